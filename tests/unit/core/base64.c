/* lib/core/base64: the bulk decoder agrees with the exact rules on every length and variant. */
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "core/base64.h"
#include "test.h"

void test_core_base64__bulk_and_tail_agree_on_every_length(void)
{
	unsigned char data[100], back[200];
	char enc[200], wrapped[300];
	size_t n, len, got, i, w;
	int variants[] = { B64_PAD, B64_PAD | B64_URL, B64_NOPAD | B64_STRICT }, v;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37 + 11);
	for (v = 0; v < 3; v++)
		for (n = 0; n < sizeof(data); n++) {
			len = base64_encode_raw(enc, data, n, variants[v]);
			must_pass(base64_decode_raw(back, &got, enc, len, variants[v]));
			assert_mem(back, got, data, n);
		}
	/* Go's StdEncoding: newlines anywhere (in the bulk, too) are skipped */
	for (n = 1; n < sizeof(data); n += 7) {
		len = base64_encode_raw(enc, data, n, B64_PAD);
		for (i = w = 0; i < len; i++) {
			wrapped[w++] = enc[i];
			if (i % 5 == 2)
				wrapped[w++] = '\n';
		}
		must_pass(base64_decode_raw(back, &got, wrapped, w, B64_GO_STD));
		assert_mem(back, got, data, n);
	}
}

void test_core_base64__bulk_reports_the_exact_offset(void)
{
	unsigned char back[64];
	size_t got;
	must_fail_with(base64_decode_raw(back, &got, "QUJDREVG*0hJ", 12, B64_GO_STD), GS_EPARSE);
	assert_contains(gs_error_last(), "illegal base64 data at input byte 8");
	/* padding inside the bulk, then more data */
	must_fail_with(base64_decode_raw(back, &got, "QQ==QUJD", 8, B64_GO_STD), GS_EPARSE);
	assert_contains(gs_error_last(), "input byte 4");
	/* URL alphabet is not the standard one */
	must_fail(base64_decode_raw(back, &got, "-_-_", 4, B64_PAD));
	must_pass(base64_decode_raw(back, &got, "-_-_", 4, B64_PAD | B64_URL));
}

/* Decoding needs no initialisation: many threads at once from the first call (TSan-clean). */
static void *decode_many(void *arg)
{
	unsigned char back[64];
	size_t got, i;
	int *bad = arg;
	for (i = 0; i < 2000; i++)
		if (base64_decode_raw(back, &got, "aGVsbG8sIHdvcmxkIQ==", 20, B64_GO_STD) < 0 || got != 13 ||
		    memcmp(back, "hello, world!", 13))
			(*bad)++;
	return NULL;
}

void test_core_base64__decodes_on_many_threads_at_once(void)
{
	pthread_t th[4];
	int bad[4] = { 0 }, i;
	for (i = 0; i < 4; i++)
		assert_int(pthread_create(&th[i], NULL, decode_many, &bad[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int(bad[i], 0);
	}
}
