/* sealer/age.h: keys, recipients, identity files and the in-memory calls. */
#include <string.h>

#include "sealer/age/age.h"
#include "test.h"

/* age's own test key pair (cmd/age/testdata/x25519.txt) */
#define KIT_SK "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"
#define KIT_PK "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef"

void test_age_api__identity_gives_known_recipient(void)
{
	struct age_identity *ids = NULL;
	const char *text = "# created: 2021-02-02T13:09:43+01:00\r\n\n" KIT_SK "\r\n";
	must_pass(age_identities_parse(&ids, text, strlen(text), "key.txt"));
	assert_str(age_identity_recipient(ids, 0), KIT_PK);
	assert_true(age_identity_recipient(ids, 1) == NULL);
	age_identities_free(ids);
}

void test_age_api__recipient_parse(void)
{
	struct age_recipient *r = NULL;
	must_pass(age_recipient_parse(&r, KIT_PK));
	assert_str(age_recipient_str(r), KIT_PK);
	age_recipient_free(r);
	must_fail_with(age_recipient_parse(
	                   &r, "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryeg"),
	               GS_EPARSE);
	assert_contains(gs_error_last(), "invalid checksum");
	must_fail_with(age_recipient_parse(
	                   &r, "age1XMWWC06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef"),
	               GS_EPARSE);
	assert_contains(gs_error_last(), "mixed case");
	must_fail_with(age_recipient_parse(&r, "age1qqqq"), GS_EPARSE);
	must_fail_with(age_recipient_parse(&r, KIT_SK), GS_EPARSE);
	assert_str(gs_error_last(), "unknown recipient type: \"" KIT_SK "\"");
	assert_true(r == NULL);
}

void test_age_api__bad_identity_files_name_the_line_not_the_key(void)
{
	struct age_identity *ids = NULL;
	const char *bad =
	    "# ok\n" KIT_SK
	    "\nAGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM2\n";
	must_fail_with(age_identities_parse(&ids, bad, strlen(bad), "k.txt"), GS_EPARSE);
	assert_str(
	    gs_error_last(),
	    "failed to read \"k.txt\": error at line 3: malformed secret key: invalid checksum");
	age_identities_free(ids);
	ids = NULL;
	must_fail_with(age_identities_parse(&ids, "# only comments\n", 16, "k.txt"), GS_EPARSE);
	assert_str(gs_error_last(), "failed to read \"k.txt\": no secret keys found");
	age_identities_free(ids);
}

void test_age_api__keygen(void)
{
	struct buf sk = BUF_INIT_SECRET(256), pk = BUF_INIT(256);
	struct age_identity *ids = NULL;
	must_pass(age_keygen(&sk, &pk));
	assert_int(sk.len, 74);
	assert_int(pk.len, 62);
	assert_true(!strncmp(sk.p, "AGE-SECRET-KEY-1", 16) && !strncmp(pk.p, "age1", 4));
	must_pass(age_identities_parse(&ids, sk.p, sk.len, "new"));
	assert_str(age_identity_recipient(ids, 0), pk.p);
	age_identities_free(ids);
	buf_release(&sk);
	buf_release(&pk);
}

static void roundtrip(size_t n, int armor)
{
	struct age_identity *ids = NULL;
	struct age_recipient *r = NULL;
	struct buf ct = BUF_INIT(8 << 20), pt = BUF_INIT_SECRET(8 << 20), in = BUF_INIT(8 << 20);
	size_t i;
	for (i = 0; i < n; i++)
		buf_addc(&in, (char)(i * 7 + (i >> 8)));
	must_pass(age_identities_parse(&ids, KIT_SK, strlen(KIT_SK), "k"));
	must_pass(age_recipient_parse(&r, KIT_PK));
	must_pass(age_encrypt_buf(&ct, in.p, in.len, &r, 1, armor));
	assert_true(armor ? !strncmp(ct.p, "-----BEGIN AGE ENCRYPTED FILE-----\n", 35)
	                  : !strncmp(ct.p, "age-encryption.org/v1\n-> X25519 ", 32));
	must_pass(age_decrypt_buf(&pt, ct.p, ct.len, ids));
	assert_mem(pt.p, pt.len, in.p, in.len);
	age_recipient_free(r);
	age_identities_free(ids);
	buf_release(&ct);
	buf_release(&pt);
	buf_release(&in);
}

void test_age_api__roundtrip_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536, 1048576 + 3 };
	size_t i;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		roundtrip(sizes[i], 0);
		roundtrip(sizes[i], 1);
	}
}

void test_age_api__wrong_key_leaves_output_alone(void)
{
	struct age_identity *ids = NULL;
	struct age_recipient *r = NULL;
	struct buf ct = BUF_INIT(1 << 20), pt = BUF_INIT_SECRET(1 << 20), sk = BUF_INIT_SECRET(256),
	           pk = BUF_INIT(256);
	must_pass(age_keygen(&sk, &pk));
	must_pass(age_identities_parse(&ids, sk.p, sk.len, "other"));
	must_pass(age_recipient_parse(&r, KIT_PK));
	must_pass(age_encrypt_buf(&ct, "secret", 6, &r, 1, 0));
	buf_adds(&pt, "kept");
	must_fail_with(age_decrypt_buf(&pt, ct.p, ct.len, ids), GS_EAUTH);
	assert_str(gs_error_last(), "no identity matched any of the recipients");
	assert_str(pt.p, "kept");
	age_recipient_free(r);
	age_identities_free(ids);
	buf_release(&ct);
	buf_release(&pt);
	buf_release(&sk);
	buf_release(&pk);
}

void test_age_api__scrypt_roundtrip_and_wrong_passphrase(void)
{
	struct age_identity *good = NULL, *bad = NULL;
	struct age_recipient *r = NULL;
	struct buf ct = BUF_INIT(1 << 20), pt = BUF_INIT_SECRET(1 << 20);
	must_pass(age_recipient_scrypt(&r, "hunter2", 10));
	must_pass(age_encrypt_buf(&ct, "payload", 7, &r, 1, 1));
	must_pass(age_identity_add_passphrase(&good, "hunter2"));
	must_pass(age_identity_add_passphrase(&bad, "hunter3"));
	must_pass(age_decrypt_buf(&pt, ct.p, ct.len, good));
	assert_str(pt.p, "payload");
	must_fail_with(age_decrypt_buf(&pt, ct.p, ct.len, bad), GS_EAUTH);
	age_recipient_free(r);
	age_identities_free(good);
	age_identities_free(bad);
	buf_release(&ct);
	buf_release(&pt);
}

static int asked, prompt_named;
static int give_pass(void *ctx, const char *prompt, struct buf *pass)
{
	asked++;
	prompt_named = strstr(prompt, "\"keys.age\"") != NULL;
	return buf_adds(pass, (const char *)ctx);
}

void test_age_api__passphrase_protected_identity_file(void)
{
	struct age_identity *ids = NULL;
	struct age_recipient *r = NULL, *kit = NULL;
	struct buf keyfile = BUF_INIT(1 << 20), ct = BUF_INIT(1 << 20),
	           pt = BUF_INIT_SECRET(1 << 20);
	const char *keys = "# test\n" KIT_SK "\n";
	must_pass(age_recipient_scrypt(&r, "idpass", 10));
	must_pass(age_encrypt_buf(&keyfile, keys, strlen(keys), &r, 1, 1));
	must_pass(age_recipient_parse(&kit, KIT_PK));
	must_pass(age_encrypt_buf(&ct, "hello", 5, &kit, 1, 0));
	must_fail(age_identities_parse(&ids, keyfile.p, keyfile.len, "keys.age"));
	age_identities_free(ids);
	ids = NULL;
	must_pass(age_identities_parse_ex(&ids, keyfile.p, keyfile.len, "keys.age", give_pass,
	                                  (void *)"idpass"));
	asked = 0;
	must_pass(age_decrypt_buf(&pt, ct.p, ct.len, ids));
	assert_str(pt.p, "hello");
	must_pass(age_decrypt_buf(&pt, ct.p, ct.len, ids)); /* unlocked once */
	assert_int(asked, 1);
	assert_true(prompt_named);
	assert_str(age_identity_recipient(ids, 0), KIT_PK);
	age_identities_free(ids);
	ids = NULL;
	must_pass(age_identities_parse_ex(&ids, keyfile.p, keyfile.len, "keys.age", give_pass,
	                                  (void *)"wrong"));
	must_fail(age_decrypt_buf(&pt, ct.p, ct.len, ids));
	assert_contains(gs_error_last(), "failed to decrypt identity file: incorrect passphrase");
	age_recipient_free(r);
	age_recipient_free(kit);
	age_identities_free(ids);
	buf_release(&keyfile);
	buf_release(&ct);
	buf_release(&pt);
}

void test_age_api__several_recipients(void)
{
	struct age_identity *a = NULL, *b = NULL;
	struct age_recipient *r[2] = { NULL, NULL };
	struct buf ct = BUF_INIT(1 << 20), pt = BUF_INIT_SECRET(1 << 20), sk = BUF_INIT_SECRET(256),
	           pk = BUF_INIT(256);
	must_pass(age_keygen(&sk, &pk));
	must_pass(age_identities_parse(&a, sk.p, sk.len, "a"));
	must_pass(age_identities_parse(&b, KIT_SK, strlen(KIT_SK), "b"));
	must_pass(age_recipient_parse(&r[0], pk.p));
	must_pass(age_recipient_parse(&r[1], KIT_PK));
	must_pass(age_encrypt_buf(&ct, "both", 4, r, 2, 0));
	must_pass(age_decrypt_buf(&pt, ct.p, ct.len, a));
	must_pass(age_decrypt_buf(&pt, ct.p, ct.len, b));
	assert_str(pt.p, "bothboth");
	age_recipient_free(r[0]);
	age_recipient_free(r[1]);
	age_identities_free(a);
	age_identities_free(b);
	buf_release(&ct);
	buf_release(&pt);
	buf_release(&sk);
	buf_release(&pk);
}
