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

static int dec_char(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int base64_decode_raw(unsigned char *out, size_t *outlen, const char *in, size_t inlen, int flags)
{
	unsigned acc = 0;
	size_t i, nchars = 0, npad = 0, o = 0;
	int url = !!(flags & B64_URL);

	for (i = 0; i < inlen; i++) {
		int c = (unsigned char)in[i], v;
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
		if ((v = dec_char(c, url)) < 0)
			return gs_error(GS_EPARSE, "illegal base64 data at input byte %zu", i);
		acc = (acc << 6) | (unsigned)v;
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
