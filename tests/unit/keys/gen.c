/* Sealing key generation: the certificate the upstream controller makes, and the keyring order. */
#include "test.h"

#include <time.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "doc/doc.h"
#include "keys/keys.h"
#include "sealer/sealed/sealed.h"

static X509 *read_x509(const struct buf *pem)
{
	BIO *b = BIO_new_mem_buf(pem->p, (int)pem->len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

static int ext_der(X509 *x, int nid, int *critical, unsigned char *der, size_t *len)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	X509_EXTENSION *e;
	const ASN1_OCTET_STRING *d;
	if (i < 0 || !(e = X509_get_ext(x, i)))
		return -1;
	*critical = X509_EXTENSION_get_critical(e);
	d = X509_EXTENSION_get_data(e);
	*len = (size_t)ASN1_STRING_length(d);
	memcpy(der, ASN1_STRING_get0_data(d), *len);
	return i;
}

void test_keys_gen__rsa4096_cert_as_upstream(void)
{
	struct keys_pair p;
	struct keys_gen_opts o = KEYS_GEN_OPTS_INIT;
	X509 *x = NULL;
	EVP_PKEY *pub = NULL;
	unsigned char der[64];
	size_t len;
	int crit;
	const ASN1_INTEGER *serial;
	BIGNUM *sn = NULL;
	struct sealed_pubkey *pk = NULL;
	struct keys_ring r = KEYS_RING_INIT;

	keys_pair_init(&p);
	o.now = 1790000000;
	must_pass(keys_generate(&p, &o));
	assert_true(p.key_pem.secret);
	assert_contains(p.key_pem.p, "-----BEGIN RSA PRIVATE KEY-----"); /* PKCS#1 */
	assert_contains(p.cert_pem.p, "-----BEGIN CERTIFICATE-----");
	if (!(x = read_x509(&p.cert_pem)))
		fail_("certificate does not parse");
	assert_int(X509_get_version(x), X509_VERSION_3);
	assert_int(X509_NAME_entry_count(X509_get_subject_name(x)), 0); /* empty subject */
	assert_int(X509_NAME_entry_count(X509_get_issuer_name(x)), 0);
	pub = X509_get_pubkey(x);
	assert_int(EVP_PKEY_get_bits(pub), 4096);
	serial = X509_get0_serialNumber(x);
	sn = ASN1_INTEGER_to_BN(serial, NULL);
	assert_true(BN_num_bits(sn) <= 128 && BN_num_bits(sn) > 64);
	/* keyUsage critical encipherOnly, DER 03 02 00 01 as Go writes it */
	assert_int(ext_der(x, NID_key_usage, &crit, der, &len), 0);
	assert_int(crit, 1);
	assert_mem(der, len, "\x03\x02\x00\x01", 4);
	assert_int(ext_der(x, NID_basic_constraints, &crit, der, &len), 1);
	assert_int(crit, 1);
	assert_mem(der, len, "\x30\x03\x01\x01\xff", 5);
	assert_int(ext_der(x, NID_subject_key_identifier, &crit, der, &len), 2);
	assert_int(X509_get_ext_count(x), 3);
	assert_int(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	/* 10 years from `now` */
	must_pass(sealed_pubkey_from_pem(&pk, p.cert_pem.p, p.cert_pem.len, "cert"));
	assert_int(sealed_pubkey_not_before(pk), 1790000000);
	assert_int(sealed_pubkey_not_after(pk) - sealed_pubkey_not_before(pk), 3650LL * 86400);
	/* the key opens what the cert seals */
	assert_int(keys_ring_add_pair(&r, &p, "gen"), 1);
	{
		struct buf ct = BUF_INIT(8192), pt = BUF_INIT_SECRET(64);
		must_pass(sealed_encrypt_item(&ct, pk, "ns/n", 4, "x", 1));
		must_pass(sealed_decrypt_item(&pt, &r.set, "ns/n", 4, ct.p, ct.len));
		assert_mem(pt.p, pt.len, "x", 1);
		buf_release(&ct);
		buf_release(&pt);
	}
	keys_ring_release(&r);
	sealed_pubkey_free(pk);
	BN_free(sn);
	EVP_PKEY_free(pub);
	X509_free(x);
	keys_pair_release(&p);
}

void test_keys_gen__expired_cert_refused_with_kubeseal_message(void)
{
	struct keys_pair p;
	struct keys_gen_opts o = KEYS_GEN_OPTS_INIT;
	struct sealed_pubkey *pk = NULL;

	keys_pair_init(&p);
	o.bits = 2048;
	o.now = 1136214245; /* Mon Jan 2 15:04:05 UTC 2006 */
	o.ttl = 86400;
	must_pass(keys_generate(&p, &o));
	must_pass(sealed_pubkey_from_pem(&pk, p.cert_pem.p, p.cert_pem.len, "cert"));
	must_pass(sealed_pubkey_check_expiry(pk, 1136214245 + 3600));
	must_fail_with(sealed_pubkey_check_expiry(pk, time(NULL)), GS_EAUTH);
	assert_str(gs_error_last(),
	           "failed to encrypt using an expired certificate on January 3, 2006");
	sealed_pubkey_free(pk);
	keys_pair_release(&p);
}

void test_keys_gen__ring_is_newest_first_by_not_before(void)
{
	struct keys_pair a, b, c;
	struct keys_gen_opts o = KEYS_GEN_OPTS_INIT;
	struct keys_ring r = KEYS_RING_INIT;
	const char *pem;
	size_t len;

	keys_pair_init(&a), keys_pair_init(&b), keys_pair_init(&c);
	o.bits = 2048;
	o.now = 1700000000;
	must_pass(keys_generate(&a, &o));
	o.now = 1800000000;
	must_pass(keys_generate(&b, &o));
	o.now = 1750000000;
	o.cn = "my-cn";
	must_pass(keys_generate(&c, &o));
	must_pass(keys_ring_add_pair(&r, &a, "a"));
	must_pass(keys_ring_add_pair(&r, &b, "b"));
	must_pass(keys_ring_add_pair(&r, &c, "c"));
	assert_int(r.n, 3);
	assert_str(r.ent[0].name, "b");
	assert_str(r.ent[1].name, "c");
	assert_str(r.ent[2].name, "a");
	assert_str(keys_ring_newest(&r)->name, "b");
	must_pass(keys_ring_newest_cert_pem(&r, &pem, &len));
	assert_int(len, b.cert_pem.len);
	assert_mem(pem, len, b.cert_pem.p, b.cert_pem.len);
	assert_true(r.set.n == 3 && r.set.keys[0] == r.ent[0].key);
	/* a cert that belongs to another key is refused */
	must_fail_with(keys_ring_add_pem(&r, a.key_pem.p, a.key_pem.len, b.cert_pem.p,
	                                 b.cert_pem.len, "mixed"),
	               GS_EPARSE);
	assert_contains(gs_error_last(), "does not match");
	keys_ring_release(&r);
	keys_pair_release(&a), keys_pair_release(&b), keys_pair_release(&c);
}

/* a key Secret of p created at ts (NULL: no creationTimestamp) */
static void key_secret_at(struct doc **sec, const struct keys_pair *p, const char *ts)
{
	struct keys_secret_opts so = KEYS_SECRET_OPTS_INIT;
	must_pass(keys_pair_secret(sec, p, &so));
	if (ts)
		must_pass(
		    doc_set(doc_get(*sec, "metadata"), "creationTimestamp", doc_new_strz(ts)));
}

void test_keys_gen__ring_by_creation_timestamp(void)
{
	struct keys_pair a, b, c;
	struct keys_gen_opts o = KEYS_GEN_OPTS_INIT;
	struct keys_ring r = KEYS_RING_INIT, byc = KEYS_RING_INIT;
	struct doc *sa = NULL, *sb = NULL, *sc = NULL;

	keys_pair_init(&a), keys_pair_init(&b), keys_pair_init(&c);
	o.bits = 2048;
	o.now = 1700000000; /* oldest cert, newest Secret */
	must_pass(keys_generate(&a, &o));
	o.now = 1800000000;
	must_pass(keys_generate(&b, &o));
	o.now = 1750000000;
	must_pass(keys_generate(&c, &o));
	key_secret_at(&sa, &a, "2026-01-02T00:00:00Z");
	key_secret_at(&sb, &b, "2025-01-01T00:00:00.5Z");
	key_secret_at(&sc, &c, NULL); /* no timestamp: its NotBefore (2025-06-16) */
	byc.by_creation = 1;
	must_pass(keys_ring_add_secret(&r, sa, "a"));
	must_pass(keys_ring_add_secret(&r, sb, "b"));
	must_pass(keys_ring_add_secret(&r, sc, "c"));
	must_pass(keys_ring_add_secret(&byc, sa, "a"));
	must_pass(keys_ring_add_secret(&byc, sb, "b"));
	must_pass(keys_ring_add_secret(&byc, sc, "c"));
	assert_contains(r.ent[0].name, "b");
	assert_contains(r.ent[1].name, "c");
	assert_contains(r.ent[2].name, "a");
	assert_contains(byc.ent[0].name, "a");
	assert_contains(byc.ent[1].name, "c");
	assert_contains(byc.ent[2].name, "b");
	assert_int(byc.ent[0].order, 1767312000);
	assert_int(byc.ent[2].order, 1735689600);
	assert_true(byc.set.keys[0] == byc.ent[0].key);
	keys_ring_release(&byc);
	assert_int(byc.by_creation, 1); /* kept for reuse */
	keys_ring_release(&r);
	doc_free(sa), doc_free(sb), doc_free(sc);
	keys_pair_release(&a), keys_pair_release(&b), keys_pair_release(&c);
}

void test_keys_gen__random_suffix_is_k8s_alphabet(void)
{
	struct buf s = BUF_INIT(64), t = BUF_INIT(64);
	size_t i;
	must_pass(keys_random_suffix(&s));
	must_pass(keys_random_suffix(&t));
	assert_int(s.len, 5);
	for (i = 0; i < 5; i++)
		assert_true(strchr("bcdfghjklmnpqrstvwxz2456789", s.p[i]) != NULL);
	assert_true(strcmp(s.p, t.p) != 0 || 1); /* 1 in 14M: not asserted */
	buf_release(&s);
	buf_release(&t);
}

void test_keys_gen__loads_upstream_and_pkcs8_keys(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	struct buf k = BUF_INIT_SECRET(1 << 16), c = BUF_INIT(1 << 16);
	must_pass(test_read_fixture(&k, "fixtures/sealed/upstream-key/key.pem"));
	must_pass(test_read_fixture(&c, "fixtures/sealed/upstream-key/cert.pem"));
	/* key and cert in one PEM text */
	must_pass(buf_add(&k, c.p, c.len));
	assert_int(keys_ring_add_pem(&r, k.p, k.len, NULL, 0, "upstream"), 1);
	assert_true(r.ent[0].cert != NULL);
	assert_true(r.ent[0].not_before > 0);
	buf_reset(&k);
	must_pass(test_read_fixture(&k, "fixtures/sealed/tls.key")); /* PKCS#8 */
	assert_int(keys_ring_add_pem(&r, k.p, k.len, NULL, 0, "byo"), 1);
	assert_int(r.n, 2);
	assert_str(r.ent[1].name, "byo"); /* no cert: oldest */
	buf_release(&k);
	buf_release(&c);
	keys_ring_release(&r);
}

void test_keys_gen__pem_files_with_several_keys_and_public_keys(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	struct buf t = BUF_INIT_SECRET(1 << 16), c = BUF_INIT(1 << 16), pub = BUF_INIT(1 << 16);
	struct sealed_pubkey *pk = NULL;
	struct sealed_privkey *k = NULL;
	const char *enc =
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";

	/* two keys (PKCS#1 and PKCS#8) and a certificate in one file: both keys, no cert attached
	 */
	must_pass(test_read_fixture(&t, "fixtures/sealed/upstream-key/key.pem"));
	must_pass(test_read_fixture(&t, "fixtures/sealed/tls.crt"));
	must_pass(test_read_fixture(&t, "fixtures/sealed/tls.key"));
	assert_int(keys_ring_load_text(&r, t.p, t.len, "two.pem"), 2);
	assert_int(r.n, 2);
	must_fail_with(sealed_privkey_from_pem(&k, enc, strlen(enc), "enc.pem"), GS_EPARSE);
	assert_str(gs_error_last(), "enc.pem: encrypted private keys are not supported");
	/* a bare "PUBLIC KEY" seals too (no validity then) */
	must_pass(sealed_privkey_from_pem(&k, t.p, t.len, "k"));
	{
		struct sealed_pubkey *p2 = NULL;
		must_pass(sealed_privkey_pubkey(&p2, k));
		assert_true(sealed_privkey_matches(k, p2));
		sealed_pubkey_free(p2);
	}
	must_pass(test_read_fixture(&c, "fixtures/sealed/tls.crt"));
	{
		BIO *b = BIO_new_mem_buf(c.p, (int)c.len), *o = BIO_new(BIO_s_mem());
		X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		EVP_PKEY *pkey = X509_get_pubkey(x);
		char *data;
		long n;
		PEM_write_bio_PUBKEY(o, pkey);
		n = BIO_get_mem_data(o, &data);
		buf_add(&pub, data, (size_t)n);
		EVP_PKEY_free(pkey);
		X509_free(x);
		BIO_free(b);
		BIO_free(o);
	}
	must_pass(sealed_pubkey_from_pem(&pk, pub.p, pub.len, "pub.pem"));
	assert_int(sealed_pubkey_not_after(pk), 0);
	must_pass(sealed_pubkey_check_expiry(pk, time(NULL)));
	{
		struct buf ct = BUF_INIT(8192), pt = BUF_INIT_SECRET(64);
		must_pass(sealed_encrypt_item(&ct, pk, "", 0, "p", 1));
		must_pass(sealed_decrypt_item(&pt, &r.set, "", 0, ct.p, ct.len));
		assert_mem(pt.p, pt.len, "p", 1);
		buf_release(&ct);
		buf_release(&pt);
	}
	sealed_pubkey_free(pk);
	sealed_privkey_free(k);
	buf_release(&t);
	buf_release(&c);
	buf_release(&pub);
	keys_ring_release(&r);
}
