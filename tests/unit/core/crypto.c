/* lib/core/crypto.h: SHA-256 (FIPS 180-4 examples), HMAC-SHA256 (RFC 4231), MAC comparison. */
#include <stdlib.h>

#include "test.h"

#include "core/crypto.h"

static void hex_is(const unsigned char *mac, size_t n, const char *want, int line)
{
	char got[2 * 64 + 1];
	gs_hex(got, mac, n);
	if (strcmp(got, want))
		test__fail(__FILE__, line, "got %s, expected %s", got, want);
}
#define HEX_IS(mac, n, want) hex_is(mac, n, want, __LINE__)

void test_core_crypto__sha256_vectors(void)
{
	unsigned char md[GS_SHA256_LEN];
	char *million = malloc(1000000);

	must_pass(gs_sha256(md, "", 0));
	HEX_IS(md, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	must_pass(gs_sha256(md, NULL, 0));
	HEX_IS(md, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	must_pass(gs_sha256(md, "abc", 3));
	HEX_IS(md, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	must_pass(gs_sha256(md, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56));
	HEX_IS(md, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_true(million != NULL);
	memset(million, 'a', 1000000);
	must_pass(gs_sha256(md, million, 1000000));
	HEX_IS(md, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

void test_core_crypto__sha256_streaming(void)
{
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct gs_sha256_ctx *c = NULL;
	unsigned char md[GS_SHA256_LEN];
	size_t at, step;

	must_pass(gs_sha256_new(&c));
	for (step = 1; step <= 56; step += 5) {
		for (at = 0; at < 56; at += step)
			must_pass(gs_sha256_update(c, msg + at, at + step > 56 ? 56 - at : step));
		must_pass(gs_sha256_final(c, md));
		HEX_IS(md, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
		must_pass(gs_sha256_reset(c));
	}
	must_pass(gs_sha256_final(c, md)); /* nothing fed after the reset */
	HEX_IS(md, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	gs_sha256_free(c);
	gs_sha256_free(NULL);
}

struct rfc4231 {
	unsigned char key[131];
	size_t keylen;
	const char *data;
	size_t datalen;
	const char *mac; /* hex; test case 5 is truncated to 128 bits */
};

/* RFC 4231 section 4, test cases 1-7 */
void test_core_crypto__hmac_sha256_rfc4231(void)
{
	static const char dd[50] = { [0 ... 49] = (char)0xdd },
	                  cd[50] = { [0 ... 49] = (char)0xcd };
	static const char t6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	static const char t7[] =
	    "This is a test using a larger than block-size key and a larger than block-size data."
	    " The key needs to be hashed before being used by the HMAC algorithm.";
	static const struct rfc4231 tc[] = {
		{ { [0 ... 19] = 0x0b },
		  20,
		  "Hi There",
		  8,
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ "Jefe", 4, "what do ya want for nothing?", 28,
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ { [0 ... 19] = 0xaa },
		  20,
		  dd,
		  50,
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
		{ { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
		    14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25 },
		  25,
		  cd,
		  50,
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
		{ { [0 ... 19] = 0x0c },
		  20,
		  "Test With Truncation",
		  20,
		  "a3b6167473100ee06e0c796c2955552b" },
		{ { [0 ... 130] = 0xaa },
		  131,
		  t6,
		  sizeof(t6) - 1,
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
		{ { [0 ... 130] = 0xaa },
		  131,
		  t7,
		  sizeof(t7) - 1,
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	};
	unsigned char mac[GS_SHA256_LEN];
	struct gs_hmac_ctx *c = NULL;
	size_t i, at;

	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		size_t cmp = strlen(tc[i].mac) / 2;
		must_pass(gs_hmac_sha256(mac, tc[i].key, tc[i].keylen, tc[i].data, tc[i].datalen));
		HEX_IS(mac, cmp, tc[i].mac);
		assert_true(gs_mac_equal_hex(tc[i].mac, 2 * cmp, mac, cmp));
		/* streaming, three bytes at a time, then again after a reset with the same key */
		must_pass(gs_hmac_sha256_new(&c, tc[i].key, tc[i].keylen));
		for (at = 0; at < tc[i].datalen; at += 3)
			must_pass(gs_hmac_update(c, tc[i].data + at,
			                         at + 3 > tc[i].datalen ? tc[i].datalen - at : 3));
		must_pass(gs_hmac_final(c, mac));
		HEX_IS(mac, cmp, tc[i].mac);
		must_pass(gs_hmac_reset(c));
		must_pass(gs_hmac_update(c, tc[i].data, tc[i].datalen));
		must_pass(gs_hmac_final(c, mac));
		HEX_IS(mac, cmp, tc[i].mac);
		gs_hmac_free(c);
	}
	/* an empty key is a key */
	must_pass(gs_hmac_sha256(mac, NULL, 0, "", 0));
	HEX_IS(mac, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	gs_hmac_free(NULL);
}

/* GitHub's example (docs: "Validating webhook deliveries"): X-Hub-Signature-256 */
void test_core_crypto__github_signature(void)
{
	static const char secret[] = "It's a Secret to Everybody", body[] = "Hello, World!";
	static const char sig[] =
	    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
	char upper[sizeof(sig)], bad[sizeof(sig)];
	unsigned char mac[GS_SHA256_LEN];
	size_t i;

	must_pass(gs_hmac_sha256(mac, secret, strlen(secret), body, strlen(body)));
	assert_true(gs_mac_equal_hex(sig, 64, mac, 32));
	for (i = 0; i < sizeof(sig); i++)
		upper[i] = sig[i] >= 'a' && sig[i] <= 'f' ? (char)(sig[i] - 32) : sig[i];
	assert_true(gs_mac_equal_hex(upper, 64, mac, 32));
	/* any changed character, a short or long text, or a non-hex character fails */
	for (i = 0; i < 64; i++) {
		memcpy(bad, sig, sizeof(sig));
		bad[i] = bad[i] == '0' ? '1' : '0';
		if (gs_mac_equal_hex(bad, 64, mac, 32))
			fail_("character %zu changed, still equal", i);
	}
	assert_true(!gs_mac_equal_hex(sig, 63, mac, 32));
	assert_true(gs_mac_equal_hex(sig, 62, mac, 31)); /* lengths are the caller's to check */
	assert_true(!gs_mac_equal_hex("", 0, mac, 32));
	memcpy(bad, sig, sizeof(sig));
	assert_int(bad[4], '0');
	bad[4] = 0x10; /* 0x10 | 0x20 is '0': only A-F are folded to lowercase */
	assert_true(!gs_mac_equal_hex(bad, 64, mac, 32));
	must_pass(gs_hmac_sha256(mac, secret, strlen(secret), "Hello, World?", 13));
	assert_true(!gs_mac_equal_hex(sig, 64, mac, 32));
}

void test_core_crypto__mac_equal_and_random(void)
{
	unsigned char a[64], b[64];
	char hex[129];
	int i, same = 0;

	must_pass(gs_random_bytes(a, sizeof(a)));
	must_pass(gs_random_bytes(b, sizeof(b)));
	assert_true(!gs_mac_equal(a, b, sizeof(a))); /* 2^-512 */
	memcpy(b, a, sizeof(a));
	assert_true(gs_mac_equal(a, b, sizeof(a)));
	b[63] ^= 1;
	assert_true(!gs_mac_equal(a, b, sizeof(a)));
	assert_true(gs_mac_equal(a, b, 63));
	/* bytes are spread over all values: not a constant or a counter */
	for (i = 1; i < 64; i++)
		same += a[i] == a[0];
	assert_true(same < 8);
	gs_hex(hex, "\x00\x09\x0a\xf0\xff", 5);
	assert_str(hex, "00090af0ff");
	must_pass(gs_random_bytes(a, 0));
}
