/* SOPS values, MAC hashing, floats, Shamir, rules and paths (no YAML/age needed). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealer/sops/sops.h"
#include "test.h"

/* Data key of tests/fixtures/sops-upstream/secret.enc.yaml (age -d -i key.txt on its first enc). */
static const char fixture_key_hex[] =
    "81d247290bee0b25484e76101e727f63fc984896953fe4888864f49db529e73a";
static const char fixture_secret[] =
    "ENC[AES256_GCM,data:ME9a8+qqBCwXn0eqF010rw==,iv:uhdG6vcUoywenIi6EDaXDvyhWb/2Lv6kL4MiLdLb/kU=,"
    "tag:llVdEID432oMefr5T2tl2g==,type:str]";
static const char fixture_array0[] =
    "ENC[AES256_GCM,data:dDBg,iv:yQOKyyjy49vtuYeAGmwug6Bgj+r/nGAAq028IXGswWw=,"
    "tag:Uk5/fV0k2ICcHPY7gJfMNQ==,type:str]";

static void fixture_key(unsigned char key[32])
{
	size_t n = 0;
	sodium_hex2bin(key, 32, fixture_key_hex, 64, NULL, &n, NULL);
}

void test_sops_value__decrypts_upstream_values(void)
{
	unsigned char key[32];
	struct sops_cipher *c = NULL;
	struct buf pt = BUF_INIT_SECRET(1024);
	enum sops_type t;

	fixture_key(key);
	must_pass(sops_cipher_new(&c, key));
	must_pass(
	    sops_value_decrypt(c, &pt, &t, fixture_secret, strlen(fixture_secret), "secret:", 7));
	assert_str(pt.p, "this is a secret");
	assert_int(t, SOPS_T_STR);
	/* list items use their parent's path: complex:array: */
	buf_reset(&pt);
	must_pass(sops_value_decrypt(c, &pt, &t, fixture_array0, strlen(fixture_array0),
	                             "complex:array:", 14));
	assert_str(pt.p, "one");
	/* another path (AAD) fails the tag */
	buf_reset(&pt);
	must_fail_with(
	    sops_value_decrypt(c, &pt, &t, fixture_secret, strlen(fixture_secret), "string:", 7),
	    GS_EAUTH);
	assert_contains(gs_error_last(), "message authentication failed");
	sops_cipher_free(c);
	buf_release(&pt);
}

void test_sops_value__roundtrip_and_types(void)
{
	unsigned char key[32], iv[32];
	struct sops_cipher *c = NULL;
	struct buf enc = BUF_INIT(1 << 20), pt = BUF_INIT_SECRET(1 << 20),
	           big = BUF_INIT_SECRET(1 << 20);
	enum sops_type t;
	size_t i;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(iv, sizeof(iv));
	must_pass(sops_cipher_new(&c, key));
	must_pass(sops_value_encrypt(c, &enc, "5432", 4, iv, "stringData:port:", 16, SOPS_T_INT));
	assert_true(!strncmp(enc.p, "ENC[AES256_GCM,data:", 20));
	assert_contains(enc.p, ",type:int]");
	assert_true(sops_is_encrypted_value(enc.p, enc.len));
	must_pass(sops_value_decrypt(c, &pt, &t, enc.p, enc.len, "stringData:port:", 16));
	assert_str(pt.p, "5432");
	assert_int(t, SOPS_T_INT);
	{
		unsigned char iv2[32];
		must_pass(sops_value_iv(iv2, enc.p, enc.len));
		assert_mem(iv2, 32, iv, 32);
	}
	/* same key, IV, AAD and plaintext: identical ciphertext (what keeps unchanged values
	 * stable) */
	{
		struct buf enc2 = BUF_INIT(4096);
		must_pass(sops_value_encrypt(c, &enc2, "5432", 4, iv, "stringData:port:", 16,
		                             SOPS_T_INT));
		assert_str(enc2.p, enc.p);
		buf_release(&enc2);
	}
	/* a value larger than the stack buffers */
	for (i = 0; i < 100000; i++)
		buf_addc(&big, (char)('a' + i % 26));
	buf_reset(&enc);
	must_pass(sops_value_encrypt(c, &enc, big.p, big.len, iv, "k:", 2, SOPS_T_STR));
	buf_reset(&pt);
	must_pass(sops_value_decrypt(c, &pt, &t, enc.p, enc.len, "k:", 2));
	assert_mem(pt.p, pt.len, big.p, big.len);
	sops_cipher_free(c);
	buf_release(&enc);
	buf_release(&pt);
	buf_release(&big);
}

void test_sops_value__bad_syntax(void)
{
	unsigned char key[32] = { 0 };
	struct sops_cipher *c = NULL;
	struct buf pt = BUF_INIT_SECRET(1024);
	enum sops_type t;
	static const char *const bad[] = {
		"ENC[AES256_GCM,data:abc=,iv:,tag:x,type:str]",
		"ENC[AES256_CBC,data:AAAA,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]",
		"ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str",
		"ENC[AES256_GCM,data:!!!!,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]",
		"plain text",
		"ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]", /* short tag */
	};
	size_t i;
	must_pass(sops_cipher_new(&c, key));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&pt);
		must_fail_with(sops_value_decrypt(c, &pt, &t, bad[i], strlen(bad[i]), "a:", 2),
		               GS_EPARSE);
		assert_contains(gs_error_last(), "does not match sops' data format");
	}
	buf_reset(&pt);
	must_fail_with(
	    sops_value_decrypt(
	        c, &pt, &t,
	        "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:blob]", 72,
	        "a:", 2),
	    GS_EPARSE);
	assert_contains(gs_error_last(), "Unknown datatype");
	sops_cipher_free(c);
	buf_release(&pt);
}

void test_sops_value__go_float_format(void)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
		{ 3.14, "3.14" },
		{ 1.0, "1" },
		{ 1.5, "1.5" },
		{ 1e20, "100000000000000000000" },
		{ 0.000001, "0.000001" },
		{ -0.5, "-0.5" },
		{ 123456789.125, "123456789.125" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 0, "0" },
		{ 1e-7, "0.0000001" },
		{ 5432, "5432" },
	};
	char out[400];
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sops_format_float(out, sizeof(out), cases[i].v);
		assert_str(out, cases[i].s);
	}
}

void test_sops_value__mac_only_seed_changes_the_mac(void)
{
	struct sops_mac *a = NULL, *b = NULL;
	char ha[129], hb[129];
	must_pass(sops_mac_new(&a, 0));
	must_pass(sops_mac_new(&b, 1));
	must_pass(sops_mac_update(a, "x", 1));
	must_pass(sops_mac_update(b, "x", 1));
	must_pass(sops_mac_final(a, ha));
	must_pass(sops_mac_final(b, hb));
	assert_int(strlen(ha), 128);
	assert_true(strcmp(ha, hb) != 0);
	/* uppercase hex, as sops' fmt "%X" */
	assert_true(strspn(ha, "0123456789ABCDEF") == 128);
	/* SHA-512("x") */
	assert_true(
	    !strncmp(ha, "A4ABD4448C49562D828115D13A1FCCEA927F52B4D5459297F8B43E42DA89238B", 64));
}

void test_sops_value__shamir_roundtrip_every_subset(void)
{
	unsigned char secret[32], out[32], *shares[5], buf5[5][33];
	const unsigned char *pick[5];
	int mask, i, n, th;
	randombytes_buf(secret, sizeof(secret));
	for (i = 0; i < 5; i++)
		shares[i] = buf5[i];
	for (th = 2; th <= 5; th++) {
		must_pass(sops_shamir_split(shares, secret, 32, 5, th));
		for (mask = 1; mask < 32; mask++) {
			for (n = 0, i = 0; i < 5; i++)
				if (mask & (1 << i))
					pick[n++] = shares[i];
			if (n < 2)
				continue;
			memset(out, 0, sizeof(out));
			must_pass(sops_shamir_combine(out, pick, (size_t)n, 33));
			if (n >= th)
				assert_mem(out, 32, secret, 32);
			else
				assert_true(memcmp(out, secret, 32) !=
				            0); /* too few shares: some other value */
		}
	}
	must_fail(sops_shamir_split(shares, secret, 32, 2, 3));
	must_fail(sops_shamir_split(shares, secret, 32, 3, 1));
	pick[0] = shares[0];
	pick[1] = shares[0];
	must_fail(sops_shamir_combine(out, pick, 2, 33)); /* duplicate part */
}

void test_sops_value__rules(void)
{
	struct sops_rules r = { 0 };
	const char *p1[] = { "stringData", "password" }, *p2[] = { "metadata", "name" },
	           *p3[] = { "data_x" };
	size_t l1[] = { 10, 8 }, l2[] = { 8, 4 }, l3[] = { 6 };

	must_pass(sops_rules_set(&r, SOPS_RULE_ENCRYPTED_REGEX, "^(data|stringData)$"));
	assert_true(sops_rules_encrypts(&r, p1, l1, 2));
	assert_true(!sops_rules_encrypts(&r, p2, l2, 2));
	assert_true(!sops_rules_encrypts(&r, p3, l3, 1));
	must_pass(sops_rules_set(&r, SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted"));
	{
		const char *p[] = { "a_unencrypted", "b" };
		size_t l[] = { 13, 1 };
		assert_true(!sops_rules_encrypts(&r, p, l, 2)); /* ancestors count */
		assert_true(sops_rules_encrypts(&r, p2, l2, 2));
	}
	must_pass(sops_rules_set(&r, SOPS_RULE_ENCRYPTED_SUFFIX, "_enc"));
	{
		const char *p[] = { "pw_enc" };
		size_t l[] = { 6 };
		assert_true(sops_rules_encrypts(&r, p, l, 1));
		assert_true(!sops_rules_encrypts(&r, p2, l2, 2));
	}
	must_pass(sops_rules_set(&r, SOPS_RULE_UNENCRYPTED_REGEX, "^meta"));
	assert_true(!sops_rules_encrypts(&r, p2, l2, 2));
	assert_true(sops_rules_encrypts(&r, p1, l1, 2));
	must_fail_with(sops_rules_set(&r, SOPS_RULE_ENCRYPTED_REGEX, "(unclosed"), GS_EPARSE);
	assert_contains(gs_error_last(), "encrypted_regex");
	sops_rules_release(&r);
}

void test_sops_value__paths(void)
{
	struct sops_path p;
	must_pass(sops_path_parse(&p, "[\"data\"][\"pass word\"][0]"));
	assert_int(p.n, 3);
	assert_str(p.keys[0], "data");
	assert_str(p.keys[1], "pass word");
	assert_true(p.keys[2] == NULL);
	assert_int(p.index[2], 0);
	sops_path_release(&p);
	must_pass(sops_path_parse(&p, "['a']"));
	assert_str(p.keys[0], "a");
	sops_path_release(&p);
	must_fail_with(sops_path_parse(&p, "data.password"),
	               SOPS_ERR(GS_EINVAL, SOPS_EXIT_BAD_TREE_PATH));
	must_fail(sops_path_parse(&p, "[\"unclosed]"));
}

void test_sops_value__formats(void)
{
	enum sops_format f;
	assert_int(sops_format_for_path("a/b.yaml"), SOPS_FMT_YAML);
	assert_int(sops_format_for_path("x.yml"), SOPS_FMT_YAML);
	assert_int(sops_format_for_path("x.json"), SOPS_FMT_JSON);
	assert_int(sops_format_for_path(".env"), SOPS_FMT_DOTENV);
	assert_int(sops_format_for_path("a.ini"), SOPS_FMT_INI);
	assert_int(sops_format_for_path("dir.d/key"), SOPS_FMT_BINARY);
	must_pass(sops_format_parse(&f, "dotenv"));
	assert_int(f, SOPS_FMT_DOTENV);
	must_fail(sops_format_parse(&f, "toml"));
}

void test_sops_value__exit_codes_travel_in_the_error_code(void)
{
	int rc = SOPS_ERR(GS_EAUTH, SOPS_EXIT_MAC_MISMATCH);
	assert_true(rc < 0);
	assert_int(sops_exit_code(rc), 51);
	assert_int(sops_error_class(rc), GS_EAUTH);
	/* a plain GS_E* code is sops' generic failure; success is 0 */
	assert_int(sops_exit_code(GS_EPARSE), SOPS_EXIT_GENERIC);
	assert_int(sops_error_class(GS_EPARSE), GS_EPARSE);
	assert_int(sops_exit_code(0), 0);
	assert_int(sops_error_class(3), 3);
	/* the largest code keeps its class */
	rc = SOPS_ERR(GS_EINVAL, SOPS_EXIT_ALREADY_ENCRYPTED);
	assert_int(sops_exit_code(rc), 203);
	assert_int(sops_error_class(rc), GS_EINVAL);
	/* retagging a lower layer's failure keeps its class; generic untags */
	rc = sops_error_exit(GS_EIO, SOPS_EXIT_READ_INPUT);
	assert_int(sops_exit_code(rc), SOPS_EXIT_READ_INPUT);
	assert_int(sops_error_class(rc), GS_EIO);
	assert_int(sops_error_exit(rc, SOPS_EXIT_WRITE_OUTPUT),
	           SOPS_ERR(GS_EIO, SOPS_EXIT_WRITE_OUTPUT));
	assert_int(sops_error_exit(rc, SOPS_EXIT_GENERIC), GS_EIO);
	assert_int(sops_error_exit(0, SOPS_EXIT_READ_INPUT), 0);
	/* the default only tags a generic failure: an inner, more precise code wins */
	assert_int(sops_error_exit_default(GS_EPARSE, SOPS_EXIT_DUMPING_TREE),
	           SOPS_ERR(GS_EPARSE, SOPS_EXIT_DUMPING_TREE));
	assert_int(sops_error_exit_default(SOPS_ERR(GS_EAUTH, SOPS_EXIT_MAC_MISMATCH),
	                                   SOPS_EXIT_DUMPING_TREE),
	           SOPS_ERR(GS_EAUTH, SOPS_EXIT_MAC_MISMATCH));
}

void test_sops_value__exit_code_is_not_sticky(void)
{
	struct sops_path p = { 0 };
	struct sops_file f;
	int rc = sops_path_parse(&p, "data.password");
	assert_int(sops_exit_code(rc), SOPS_EXIT_BAD_TREE_PATH);
	/* the next failure has its own code: nothing left over from the one before */
	memset(&f, 0, sizeof(f));
	rc = sops_file_load(&f, "p.yaml", "a: 1\n", 5, SOPS_FMT_YAML);
	assert_int(sops_error_class(rc), GS_ENOTFOUND);
	assert_int(sops_exit_code(rc), SOPS_EXIT_GENERIC);
}
