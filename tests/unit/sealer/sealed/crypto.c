/* Sealed Secrets item crypto: known-answer vectors, round trips, tampering, Go's leniencies. */
#include "test.h"

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "core/base64.h"
#include "keys/keys.h"
#include "sealer/sealed/sealed.h"

static int load_ring(struct keys_ring *r, const char *keyrel, const char *certrel)
{
	struct buf k = BUF_INIT_SECRET(1 << 16), c = BUF_INIT(1 << 16);
	int rc;
	if ((rc = test_read_fixture(&k, keyrel)) < 0 ||
	    (certrel && (rc = test_read_fixture(&c, certrel)) < 0))
		goto out;
	rc = keys_ring_add_pem(r, k.p, k.len, certrel ? c.p : NULL, c.len, keyrel);
out:
	buf_release(&k);
	buf_release(&c);
	return rc;
}

static int load_cert(struct sealed_pubkey **pk, const char *rel)
{
	struct buf c = BUF_INIT(1 << 16);
	int rc;
	if ((rc = test_read_fixture(&c, rel)) >= 0)
		rc = sealed_pubkey_from_pem(pk, c.p, c.len, rel);
	buf_release(&c);
	return rc;
}

static size_t unhex(unsigned char *out, const char *s)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (unsigned char)v;
	}
	return n;
}

/* Every item of ss_vectors.py gen-vectors opens with its label, and only with it. */
void test_sealed_crypto__opens_python_vectors(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	struct buf tsv = BUF_INIT(1 << 20);
	char *line, *save = NULL;
	int n = 0;

	must_pass(
	    load_ring(&r, "fixtures/sealed/vectors/key.pem", "fixtures/sealed/vectors/cert.pem"));
	must_pass(test_read_fixture(&tsv, "fixtures/sealed/vectors/items.tsv"));
	for (line = strtok_r(tsv.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[6], *s2 = NULL, *p = line;
		unsigned char label[512];
		size_t llen, i;
		struct buf pt = BUF_INIT_SECRET(1 << 20), want = BUF_INIT(1 << 20);
		if (*line == '#')
			continue;
		for (i = 0; i < 6; i++, p = NULL)
			f[i] = strtok_r(p, "\t", &s2);
		assert_true(f[5] != NULL);
		llen = strcmp(f[3], "-") ? unhex(label, f[3]) : 0;
		if (strcmp(f[4], "-"))
			must_pass(base64_decode(&want, f[4], strlen(f[4]), B64_GO_STD));
		must_pass(sealed_decrypt_item(&pt, &r.set, label, llen, f[5], strlen(f[5])));
		assert_mem(pt.p, pt.len, want.p, want.len);
		buf_reset(&pt);
		must_fail_with(sealed_decrypt_item(&pt, &r.set, "x", 1, f[5], strlen(f[5])),
		               GS_EAUTH);
		assert_str(gs_error_last(), "no key could decrypt secret");
		assert_int(pt.len, 0);
		buf_release(&pt);
		buf_release(&want);
		n++;
	}
	assert_int(n, 6);
	buf_release(&tsv);
	keys_ring_release(&r);
}

void test_sealed_crypto__fingerprint_matches_upstream_format(void)
{
	struct sealed_pubkey *pk = NULL;
	struct buf fp = BUF_INIT(256);
	must_pass(load_cert(&pk, "fixtures/sealed/vectors/cert.pem"));
	must_pass(sealed_pubkey_fingerprint(&fp, pk));
	assert_str(fp.p, "SHA256:oU/GalJn3mzualNA9+6LdVUdwEz62Y7QwGtc8JhF9Ek");
	buf_release(&fp);
	sealed_pubkey_free(pk);
}

void test_sealed_crypto__roundtrip_rsa4096_three_labels(void)
{
	static const char *const labels[] = { "team-a/mysecret", "team-a", "" };
	struct keys_ring r = KEYS_RING_INIT;
	struct sealed_pubkey *pk = NULL;
	size_t i;

	must_pass(load_ring(&r, "fixtures/sealed/tls.key", "fixtures/sealed/tls.crt"));
	must_pass(load_cert(&pk, "fixtures/sealed/tls.crt"));
	assert_int(sealed_pubkey_size(pk), 512);
	for (i = 0; i < 3; i++) {
		struct buf ct = BUF_INIT(1 << 16), pt = BUF_INIT_SECRET(1 << 16),
		           blob = BUF_INIT(1 << 16);
		must_pass(sealed_encrypt_item(&ct, pk, labels[i], strlen(labels[i]), "s3cr3t", 6));
		assert_true(!strncmp(ct.p, "Ag", 2) && strchr("ABCD", ct.p[2])); /* u16be 512 */
		must_pass(base64_decode(&blob, ct.p, ct.len, B64_GO_STD));
		assert_int(blob.len, 2 + 512 + 6 + 16);
		assert_true(strchr(ct.p, '\n') == NULL);
		must_pass(
		    sealed_decrypt_item(&pt, &r.set, labels[i], strlen(labels[i]), ct.p, ct.len));
		assert_mem(pt.p, pt.len, "s3cr3t", 6);
		/* another scope's label does not open it */
		buf_reset(&pt);
		must_fail_with(sealed_decrypt_item(&pt, &r.set, labels[(i + 1) % 3],
		                                   strlen(labels[(i + 1) % 3]), ct.p, ct.len),
		               GS_EAUTH);
		buf_release(&ct);
		buf_release(&pt);
		buf_release(&blob);
	}
	sealed_pubkey_free(pk);
	keys_ring_release(&r);
}

void test_sealed_crypto__encryptor_many_items_differ(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	struct sealed_pubkey *pk = NULL;
	struct sealed_encryptor *e = NULL;
	struct buf a = BUF_INIT(1 << 16), b = BUF_INIT(1 << 16), pt = BUF_INIT_SECRET(1 << 16);
	int i;

	must_pass(load_ring(&r, "fixtures/sealed/vectors/key.pem", NULL));
	must_pass(load_cert(&pk, "fixtures/sealed/vectors/cert.pem"));
	must_pass(sealed_encryptor_new(&e, pk, "ns/n", 4));
	for (i = 0; i < 70; i++) { /* more than one pool of session keys */
		buf_reset(&a);
		buf_reset(&pt);
		must_pass(sealed_encryptor_seal(e, &a, "v", 1));
		assert_true(!b.len || strcmp(a.p, b.p));
		must_pass(buf_set(&b, a.p, a.len));
		must_pass(sealed_decrypt_item(&pt, &r.set, "ns/n", 4, a.p, a.len));
		assert_mem(pt.p, pt.len, "v", 1);
	}
	/* the empty value seals too */
	buf_reset(&a);
	buf_reset(&pt);
	must_pass(sealed_encryptor_seal(e, &a, "", 0));
	must_pass(sealed_decrypt_item(&pt, &r.set, "ns/n", 4, a.p, a.len));
	assert_int(pt.len, 0);
	sealed_encryptor_free(e);
	sealed_pubkey_free(pk);
	buf_release(&a);
	buf_release(&b);
	buf_release(&pt);
	keys_ring_release(&r);
}

void test_sealed_crypto__tampered_truncated_and_bad_base64_fail(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	struct sealed_pubkey *pk = NULL;
	struct buf ct = BUF_INIT(1 << 16), blob = BUF_INIT(1 << 16), pt = BUF_INIT_SECRET(1 << 16);
	size_t at[] = { 1, 2, 100, 258, 260, 270 };
	size_t i;

	must_pass(load_ring(&r, "fixtures/sealed/vectors/key.pem", NULL));
	must_pass(load_cert(&pk, "fixtures/sealed/vectors/cert.pem"));
	must_pass(sealed_encrypt_item(&ct, pk, "a/b", 3, "hello world", 11));
	must_pass(base64_decode(&blob, ct.p, ct.len, B64_GO_STD));
	assert_int(blob.len, 2 + 256 + 11 + 16);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) { /* RSA part, GCM body, tag */
		blob.p[at[i]] ^= 0x01;
		must_fail(
		    sealed_decrypt_blob(&pt, &r.set, "a/b", 3, (unsigned char *)blob.p, blob.len));
		assert_int(pt.len, 0);
		blob.p[at[i]] ^= 0x01;
	}
	must_pass(sealed_decrypt_blob(&pt, &r.set, "a/b", 3, (unsigned char *)blob.p, blob.len));
	buf_reset(&pt);
	must_fail_with(sealed_decrypt_blob(&pt, &r.set, "a/b", 3, (unsigned char *)blob.p, 1),
	               GS_EPARSE);
	must_fail_with(sealed_decrypt_blob(&pt, &r.set, "a/b", 3, (unsigned char *)blob.p, 200),
	               GS_EPARSE);
	assert_str(gs_error_last(), "SealedSecret data is too short");
	/* cut inside the GCM tag */
	must_fail_with(
	    sealed_decrypt_blob(&pt, &r.set, "a/b", 3, (unsigned char *)blob.p, blob.len - 1),
	    GS_EAUTH);
	must_fail_with(sealed_decrypt_item(&pt, &r.set, "a/b", 3, "AgB*", 4), GS_EPARSE);
	assert_contains(gs_error_last(), "illegal base64 data at input byte 3");
	/* Go's StdEncoding ignores newlines anywhere */
	{
		struct buf wrapped = BUF_INIT(1 << 16);
		for (i = 0; i < ct.len; i += 76) {
			must_pass(buf_add(&wrapped, ct.p + i, ct.len - i < 76 ? ct.len - i : 76));
			must_pass(buf_adds(&wrapped, "\r\n"));
		}
		must_pass(sealed_decrypt_item(&pt, &r.set, "a/b", 3, wrapped.p, wrapped.len));
		assert_mem(pt.p, pt.len, "hello world", 11);
		buf_release(&wrapped);
	}
	sealed_pubkey_free(pk);
	buf_release(&ct);
	buf_release(&blob);
	buf_release(&pt);
	keys_ring_release(&r);
}

/* Build a blob by hand: session key of sklen bytes, optional stripped leading zero of the RSA part.
 */
static int hand_blob(struct buf *out, const char *certrel, size_t sklen, int strip_zero,
                     const char *pt)
{
	struct buf c = BUF_INIT(1 << 16);
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *pub = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_CIPHER_CTX *g = NULL;
	unsigned char sk[32], rsa[1024], body[256], tag[16], nonce[12] = { 0 }, *l;
	size_t rlen, off = 0;
	int n, rc = -1, tries = 0;
	const EVP_CIPHER *ci = sklen == 16   ? EVP_aes_128_gcm()
	                       : sklen == 24 ? EVP_aes_192_gcm()
	                                     : EVP_aes_256_gcm();

	if (test_read_fixture(&c, certrel) < 0 || !(bio = BIO_new_mem_buf(c.p, (int)c.len)) ||
	    !(x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) || !(pub = X509_get_pubkey(x)))
		goto out;
	do {
		EVP_PKEY_CTX_free(ctx);
		if (!(ctx = EVP_PKEY_CTX_new(pub, NULL)) || EVP_PKEY_encrypt_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
		    !(l = OPENSSL_memdup("x/y", 3)) ||
		    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, 3) <= 0)
			goto out;
		RAND_bytes(sk, (int)sklen);
		rlen = sizeof(rsa);
		if (EVP_PKEY_encrypt(ctx, rsa, &rlen, sk, sklen) <= 0)
			goto out;
	} while (strip_zero && rsa[0] != 0 && ++tries < 5000);
	if (strip_zero) {
		if (rsa[0] != 0)
			goto out;
		off = 1;
	}
	rlen -= off;
	if (!(g = EVP_CIPHER_CTX_new()) || !EVP_EncryptInit_ex(g, ci, NULL, sk, nonce) ||
	    !EVP_EncryptUpdate(g, body, &n, (const unsigned char *)pt, (int)strlen(pt)) ||
	    !EVP_EncryptFinal_ex(g, body + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(g, EVP_CTRL_GCM_GET_TAG, 16, tag))
		goto out;
	buf_addc(out, (char)(rlen >> 8));
	buf_addc(out, (char)rlen);
	buf_add(out, rsa + off, rlen);
	buf_add(out, body, strlen(pt));
	buf_add(out, tag, 16);
	rc = 0;
out:
	EVP_CIPHER_CTX_free(g);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
	X509_free(x);
	BIO_free(bio);
	buf_release(&c);
	return rc;
}

void test_sealed_crypto__accepts_aes128_192_and_short_rsa_ciphertext(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	size_t sizes[] = { 16, 24, 32 };
	size_t i;

	must_pass(load_ring(&r, "fixtures/sealed/vectors/key.pem", NULL));
	for (i = 0; i < 4; i++) {
		struct buf blob = BUF_INIT(1 << 16), pt = BUF_INIT_SECRET(1 << 16);
		must_pass(hand_blob(&blob, "fixtures/sealed/vectors/cert.pem",
		                    i < 3 ? sizes[i] : 32, i == 3, "go lenient"));
		if (i == 3)
			assert_int(blob.len, 2 + 255 + 10 + 16);
		must_pass(
		    sealed_decrypt_blob(&pt, &r.set, "x/y", 3, (unsigned char *)blob.p, blob.len));
		assert_mem(pt.p, pt.len, "go lenient", 10);
		buf_release(&blob);
		buf_release(&pt);
	}
	keys_ring_release(&r);
}

void test_sealed_crypto__keyset_remembers_the_opening_key(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	struct sealed_pubkey *pk = NULL;
	struct buf ct = BUF_INIT(1 << 16), pt = BUF_INIT_SECRET(1 << 16);

	must_pass(load_ring(&r, "fixtures/sealed/tls.key", "fixtures/sealed/tls.crt"));
	must_pass(load_ring(&r, "fixtures/sealed/upstream-key/key.pem",
	                    "fixtures/sealed/upstream-key/cert.pem"));
	must_pass(
	    load_ring(&r, "fixtures/sealed/vectors/key.pem", "fixtures/sealed/vectors/cert.pem"));
	assert_int(r.n, 3);
	/* the same key again collapses (upstream's fingerprint map) */
	assert_int(load_ring(&r, "fixtures/sealed/tls.key", NULL), 0);
	assert_int(r.n, 3);
	must_pass(load_cert(&pk, "fixtures/sealed/tls.crt"));
	must_pass(sealed_encrypt_item(&ct, pk, "", 0, "v", 1));
	r.set.hint = 0;
	must_pass(sealed_decrypt_item(&pt, &r.set, "", 0, ct.p, ct.len));
	assert_true(r.set.keys[r.set.hint] == r.ent[r.set.hint].key);
	assert_str(r.ent[r.set.hint].name, "fixtures/sealed/tls.key");
	sealed_pubkey_free(pk);
	buf_release(&ct);
	buf_release(&pt);
	keys_ring_release(&r);
}

void test_sealed_crypto__refuses_non_rsa_and_garbage_certs(void)
{
	struct sealed_pubkey *pk = NULL;
	struct sealed_privkey *k = NULL;
	must_fail_with(load_cert(&pk, "fixtures/sealed/ec-cert.pem"), GS_EPARSE);
	assert_contains(gs_error_last(), "expected RSA public key but found ECDSA key");
	assert_true(pk == NULL);
	must_fail_with(sealed_pubkey_from_pem(&pk, "hello", 5, "cert.pem"), GS_EPARSE);
	assert_str(gs_error_last(),
	           "cert.pem: data does not contain any valid RSA or ECDSA certificates");
	must_fail_with(
	    sealed_pubkey_from_pem(
	        &pk, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 60, "c.pem"),
	    GS_EPARSE);
	must_fail_with(sealed_privkey_from_pem(&k, "nope", 4, "k.pem"), GS_EPARSE);
	assert_str(gs_error_last(), "k.pem: no PEM private key found");
}
