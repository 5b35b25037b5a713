/*
 * Sealing key generation, as the upstream controller does it
 * (sealed-secrets pkg/crypto/keys.go GeneratePrivateKeyAndCert):
 * rsa.GenerateKey(4096); x509 v3, serial = rand.Int(0..2^128), subject =
 * issuer = CN=<--my-cn> (empty by default: an empty Name), NotBefore = now,
 * NotAfter = now + --key-ttl, keyUsage = encipherOnly (critical),
 * basicConstraints CA:TRUE (critical), a subject key id, sha256WithRSA.
 */
#include "keys/keys.h"

#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

void keys_pair_init(struct keys_pair *p)
{
	buf_init(&p->key_pem, 1 << 16, 1);
	buf_init(&p->cert_pem, 1 << 16, 0);
}

void keys_pair_release(struct keys_pair *p)
{
	buf_release(&p->key_pem);
	buf_release(&p->cert_pem);
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)))
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Copy a memory BIO's bytes into out. */
static int bio_to_buf(struct buf *out, BIO *bio)
{
	BUF_MEM *m = NULL;
	BIO_get_mem_ptr(bio, &m);
	if (!m)
		return gs_error(GS_ERROR, "empty PEM output");
	return buf_add(out, m->data, m->length);
}

int keys_generate(struct keys_pair *out, const struct keys_gen_opts *opts)
{
	struct keys_gen_opts o = KEYS_GEN_OPTS_INIT;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	BIGNUM *bn = NULL;
	BIO *kbio = NULL, *cbio = NULL;
	OSSL_ENCODER_CTX *enc = NULL;
	unsigned char serial[16];
	int rc = 0;

	if (opts)
		o = *opts;
	if (!o.bits)
		o.bits = KEYS_DEFAULT_BITS;
	if (!o.ttl)
		o.ttl = KEYS_DEFAULT_TTL;
	if (!o.now)
		o.now = time(NULL);
	if (o.bits < 2048 || o.bits > 8192)
		return gs_error(GS_EINVAL, "key size %d: must be between 2048 and 8192 bits",
		                o.bits);

	if (!(pkey = EVP_RSA_gen((unsigned)o.bits))) {
		rc = gs_error_openssl(GS_ERROR, "RSA key generation");
		goto out;
	}
	if (RAND_bytes(serial, sizeof(serial)) != 1 ||
	    !(bn = BN_bin2bn(serial, sizeof(serial), NULL)) || !(x = X509_new()) ||
	    !(name = X509_NAME_new())) {
		rc = gs_error_openssl(GS_ERROR, "certificate");
		goto out;
	}
	/* Go leaves out empty attributes: the default --my-cn "" gives an empty Name */
	if (o.cn && *o.cn &&
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)o.cn, -1,
	                                -1, 0)) {
		rc = gs_error_openssl(GS_EINVAL, "certificate common name");
		goto out;
	}
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, name) || !ASN1_TIME_set(X509_getm_notBefore(x), o.now) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), o.now + o.ttl) || !X509_set_pubkey(x, pkey) ||
	    /* the order Go writes them in */
	    !add_ext(x, NID_key_usage, "critical,encipherOnly") ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, NID_subject_key_identifier, "hash") || !X509_sign(x, pkey, EVP_sha256())) {
		rc = gs_error_openssl(GS_ERROR, "certificate");
		goto out;
	}
	/* PKCS#1 "RSA PRIVATE KEY" as upstream; a secure-heap BIO is cleared on free */
	if (!(kbio = BIO_new(BIO_s_secmem())) || !(cbio = BIO_new(BIO_s_mem())) ||
	    !(enc = OSSL_ENCODER_CTX_new_for_pkey(pkey, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM",
	                                          "type-specific", NULL)) ||
	    !OSSL_ENCODER_to_bio(enc, kbio) || !PEM_write_bio_X509(cbio, x)) {
		rc = gs_error_openssl(GS_ERROR, "PEM encoding");
		goto out;
	}
	buf_reset(&out->key_pem);
	buf_reset(&out->cert_pem);
	if ((rc = bio_to_buf(&out->key_pem, kbio)) < 0 ||
	    (rc = bio_to_buf(&out->cert_pem, cbio)) < 0) {
		buf_reset(&out->key_pem);
		goto out;
	}
out:
	ERR_clear_error();
	OPENSSL_cleanse(serial, sizeof(serial));
	OSSL_ENCODER_CTX_free(enc);
	BIO_free(kbio);
	BIO_free(cbio);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

int keys_random_suffix(struct buf *out)
{
	/* k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3, so no words */
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	const unsigned n = sizeof(alnum) - 1, lim = 256 - 256 % n;
	unsigned char r[32];
	size_t i, got = 0;
	char s[5];

	while (got < 5) {
		if (RAND_bytes(r, sizeof(r)) != 1)
			return gs_error_openssl(GS_ERROR, "random");
		for (i = 0; i < sizeof(r) && got < 5; i++)
			if (r[i] < lim)
				s[got++] = alnum[r[i] % n];
	}
	return buf_add(out, s, 5);
}
