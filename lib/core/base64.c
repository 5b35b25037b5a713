#include "core/base64.h"

#include <string.h>

static const char std_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64_encoded_len(size_t n, int flags)
{
	if (flags & B64_PAD)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t base64_decoded_max(size_t inlen)
{
	return inlen / 4 * 3 + 3;
}

size_t base64_encode_raw(char *dst, const void *data, size_t n, int flags)
{
	const unsigned char *s = data;
	const char *a = (flags & B64_URL) ? url_alpha : std_alpha;
	char *d = dst;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		*d++ = a[v >> 18];
		*d++ = a[(v >> 12) & 63];
		*d++ = a[(v >> 6) & 63];
		*d++ = a[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)s[i] << 16;
		*d++ = a[v >> 18];
		*d++ = a[(v >> 12) & 63];
		if (flags & B64_PAD) {
			*d++ = '=';
			*d++ = '=';
		}
	} else if (n - i == 2) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
		*d++ = a[v >> 18];
		*d++ = a[(v >> 12) & 63];
		*d++ = a[(v >> 6) & 63];
		if (flags & B64_PAD)
			*d++ = '=';
	}
	*d = '\0';
	return (size_t)(d - dst);
}

int base64_encode(struct buf *out, const void *data, size_t n, int flags)
{
	size_t elen = base64_encoded_len(n, flags);
	int rc;
	if ((rc = buf_grow(out, elen)) < 0)
		return rc;
	out->len += base64_encode_raw(out->p + out->len, data, n, flags);
	return 0;
}

/*
 * Decoding tables: 1 + the value of each alphabet character, 0 for anything else. Constant
 * data, built by the compiler: no lazy initialisation, so any thread may decode at any time.
 */
static const unsigned char dec_std[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8, ['I'] = 9,
	['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
	['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
	['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41,
	['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};
static const unsigned char dec_url[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8, ['I'] = 9,
	['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
	['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
	['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41,
	['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

int base64_decode_raw(unsigned char *out, size_t *outlen, const char *in, size_t inlen, int flags)
{
	const unsigned char *s = (const unsigned char *)in, *t = (flags & B64_URL) ? dec_url : dec_std;
	unsigned acc = 0;
	size_t i = 0, nchars = 0, npad = 0, o = 0;

	/* the bulk (the hot path: three decodes per SOPS value): whole groups of four alphabet
	 * characters; padding, newlines and anything else go to the exact rules below */
	while (i + 4 <= inlen) {
		unsigned a = t[s[i]], b = t[s[i + 1]], c = t[s[i + 2]], d = t[s[i + 3]], v;
		if (!a || !b || !c || !d)
			break;
		v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
		i += 4;
	}
	for (; i < inlen; i++) {
		int c = s[i], v;
		if ((c == '\n' || c == '\r') && (flags & B64_SKIP_NEWLINES))
			continue;
		if (c == '=') {
			if (flags & B64_NOPAD)
				return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", i);
			npad++;
			continue;
		}
		if (npad)
			return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", i);
		if (!(v = t[c]))
			return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", i);
		acc = (acc << 6) | (unsigned)(v - 1);
		nchars++;
		if (nchars % 4 == 0) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (nchars % 4) {
	case 1:
		return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", inlen);
	case 2:
		if ((flags & B64_PAD) && npad != 2)
			return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", inlen);
		if ((flags & B64_STRICT) && (acc & 0xf))
			return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", inlen);
		out[o++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if ((flags & B64_PAD) && npad != 1)
			return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", inlen);
		if ((flags & B64_STRICT) && (acc & 0x3))
			return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", inlen);
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
		break;
	default:
		if (npad)
			return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", inlen);
	}
	*outlen = o;
	return 0;
}

int base64_decode(struct buf *out, const char *in, size_t inlen, int flags)
{
	size_t n;
	int rc;
	if ((rc = buf_grow(out, base64_decoded_max(inlen))) < 0)
		return rc;
	if ((rc = base64_decode_raw((unsigned char *)out->p + out->len, &n, in, inlen, flags)) < 0) {
		gs_wipe(out->p + out->len, base64_decoded_max(inlen));
		out->p[out->len] = '\0';
		return rc;
	}
	out->len += n;
	out->p[out->len] = '\0';
	return 0;
}
