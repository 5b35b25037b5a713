/* lib/core/base64.h: RFC 4648 vectors, Go's rules, and the table decoder against a plain one. */
#include <pthread.h>
#include <stdlib.h>

#include "test.h"

#include "core/base64.h"

void test_core_base64__rfc4648_vectors(void)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const pad[] = { "",         "Zg==",     "Zm8=",    "Zm9v",
		                           "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	static const char *const raw[] = {
		"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"
	};
	struct buf e = BUF_INIT(64), d = BUF_INIT(64);
	size_t i;

	for (i = 0; i < 7; i++) {
		buf_reset(&e);
		must_pass(base64_encode(&e, plain[i], strlen(plain[i]), B64_PAD));
		assert_str(e.p, pad[i]);
		assert_int(e.len, base64_encoded_len(strlen(plain[i]), B64_PAD));
		buf_reset(&e);
		must_pass(base64_encode(&e, plain[i], strlen(plain[i]), B64_NOPAD));
		assert_str(e.p, raw[i]);
		assert_int(e.len, base64_encoded_len(strlen(plain[i]), B64_NOPAD));
		buf_reset(&d);
		must_pass(base64_decode(&d, pad[i], strlen(pad[i]), B64_GO_STD));
		assert_str(d.p, plain[i]);
		buf_reset(&d);
		must_pass(base64_decode(&d, raw[i], strlen(raw[i]), B64_NOPAD | B64_STRICT));
		assert_str(d.p, plain[i]);
	}
	buf_reset(&e);
	must_pass(base64_encode(&e, "\xfb\xff\xbf", 3, B64_URL | B64_PAD));
	assert_str(e.p, "-_-_");
	buf_reset(&d);
	must_pass(base64_decode(&d, "-_-_", 4, B64_URL));
	assert_mem(d.p, d.len, "\xfb\xff\xbf", 3);
	must_fail_with(base64_decode(&d, "+/+/", 4, B64_URL), GS_EPARSE);
	must_fail_with(base64_decode(&d, "-_-_", 4, 0), GS_EPARSE);
	buf_release(&e);
	buf_release(&d);
}

/* Go's messages: the offset of the first bad byte, or the length when the end is wrong */
void test_core_base64__errors_name_the_byte(void)
{
	struct buf d = BUF_INIT(64);

	must_fail_with(base64_decode(&d, "Zm9v*m9v", 8, B64_GO_STD), GS_EPARSE);
	assert_str(gs_error_last(), "illegal base64 data at input byte 4");
	must_fail_with(base64_decode(&d, "Zm9vY", 5, B64_GO_STD), GS_EPARSE);
	assert_str(gs_error_last(), "illegal base64 data at input byte 5");
	must_fail_with(base64_decode(&d, "Zg==Zg==", 8, B64_GO_STD), GS_EPARSE);
	assert_str(gs_error_last(), "illegal base64 data at input byte 4");
	must_fail_with(base64_decode(&d, "Zm9v\nYmFy", 9, B64_PAD), GS_EPARSE);
	assert_str(gs_error_last(), "illegal base64 data at input byte 4");
	assert_int(d.len, 0); /* nothing appended on failure */
	must_pass(base64_decode(&d, "Zm9v\r\nYmFy\n", 11, B64_GO_STD));
	assert_str(d.p, "foobar");
	buf_release(&d);
}

/* The decoder as it was before the tables: one character at a time, the reference. */
static int ref_char(int c, int url)
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

static int ref_decode(unsigned char *out, size_t *outlen, const char *in, size_t inlen, int flags)
{
	unsigned acc = 0;
	size_t i, nchars = 0, npad = 0, o = 0;

	for (i = 0; i < inlen; i++) {
		int c = (unsigned char)in[i], v;
		if ((c == '\n' || c == '\r') && (flags & B64_SKIP_NEWLINES))
			continue;
		if (c == '=') {
			if (flags & B64_NOPAD)
				return -(int)i - 1;
			npad++;
			continue;
		}
		if (npad || (v = ref_char(c, flags & B64_URL)) < 0)
			return -(int)i - 1;
		acc = (acc << 6) | (unsigned)v;
		if (++nchars % 4 == 0) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if ((nchars % 4 == 1) || (nchars % 4 == 0 && npad) ||
	    (nchars % 4 == 2 &&
	     (((flags & B64_PAD) && npad != 2) || ((flags & B64_STRICT) && (acc & 0xf)))) ||
	    (nchars % 4 == 3 &&
	     (((flags & B64_PAD) && npad != 1) || ((flags & B64_STRICT) && (acc & 0x3)))))
		return -(int)inlen - 1;
	if (nchars % 4 == 2)
		out[o++] = (unsigned char)(acc >> 4);
	if (nchars % 4 == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	*outlen = o;
	return 0;
}

/* 200 000 random inputs (half only alphabet, half with newlines, padding and bad bytes):
 * the same bytes out, or an error at the same offset, for every flag combination */
void test_core_base64__table_decoder_matches_reference(void)
{
	static const char chars[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=\n\r*";
	static const int flagsets[] = { B64_GO_STD,
		                        B64_NOPAD | B64_STRICT,
		                        B64_PAD,
		                        0,
		                        B64_URL | B64_NOPAD,
		                        B64_URL | B64_SKIP_NEWLINES,
		                        B64_PAD | B64_STRICT };
	unsigned seed = 12345;
	char in[80];
	unsigned char a[80], b[80];
	int round, ok = 0;

	for (round = 0; round < 200000; round++) {
		size_t n, alen = 0, blen = 0, k;
		int f = flagsets[round % 7], ra, rb;
		char msg[64];

		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % 60;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			/* mostly alphabet characters, now and then something else */
			in[k] =
			    chars[(round & 1) || ((seed >> 16) % 97) < 90 ? (seed >> 16) % 64
			                                                  : 62 + (seed >> 20) % 8];
		}
		rb = ref_decode(b, &blen, in, n, f);
		ra = base64_decode_raw(a, &alen, in, n, f);
		if (rb < 0) {
			snprintf(msg, sizeof(msg), "illegal base64 data at input byte %d", -rb - 1);
			if (ra >= 0 || strcmp(gs_error_last(), msg))
				fail_("round %d '%.*s' flags %d: %d '%s', expected '%s'", round,
				      (int)n, in, f, ra, ra < 0 ? gs_error_last() : "", msg);
		} else if (ra < 0 || alen != blen || memcmp(a, b, alen)) {
			fail_("round %d '%.*s' flags %d: %d (%s)", round, (int)n, in, f, ra,
			      ra < 0 ? gs_error_last() : "");
		} else {
			ok++;
		}
	}
	if (ok < 30000 || ok > 170000) /* both outcomes well exercised */
		fail_("%d of 200000 decoded", ok);
}

struct b64_job {
	const char *text;
	size_t len;
	int bad;
};

static void *b64_worker(void *arg)
{
	struct b64_job *j = arg;
	unsigned char *out = malloc(base64_decoded_max(j->len));
	size_t n;
	int i;

	for (i = 0; out && i < 200; i++)
		if (base64_decode_raw(out, &n, j->text, j->len, B64_GO_STD) < 0 ||
		    n != j->len / 4 * 3 || memcmp(out, "\x00\x10\x83", 3))
			j->bad++;
	free(out);
	return NULL;
}

/* No lazily filled table: the first use may be on many threads at once (run under TSan to see
 * races). */
void test_core_base64__decodes_on_many_threads(void)
{
	struct buf text = BUF_INIT(1 << 20);
	struct b64_job jobs[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4096; i++)
		must_pass(buf_adds(&text, "ABCD"));
	for (i = 0; i < 4; i++) {
		jobs[i] = (struct b64_job){ text.p, text.len, 0 };
		if (pthread_create(&t[i], NULL, b64_worker, &jobs[i]))
			fail_("pthread_create");
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int(jobs[i].bad, 0);
	}
	buf_release(&text);
}
