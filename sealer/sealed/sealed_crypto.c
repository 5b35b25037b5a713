/*
 * Sealed Secrets hybrid encryption (sealed-secrets pkg/crypto/crypto.go):
 * RSA-OAEP(SHA-256, MGF1-SHA-256, label) of a random AES key, then AES-GCM
 * with a zero nonce and no AAD. Keys and certificates from PEM.
 */
#include "sealer/sealed/sealed.h"
#include "sealer/sealed/sealed_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "core/base64.h"

#define GCM_TAG 16
#define GCM_NONCE 12
#define POOL_KEYS 64 /* session keys drawn from the RNG at once */

/* ---- public keys --------------------------------------------------------- */

static time_t asn1_time_to_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

static const char *pem_find(const char *text, size_t len, const char *label)
{
	char marker[64];
	size_t mlen, i;
	mlen = (size_t)snprintf(marker, sizeof(marker), "-----BEGIN %s-----", label);
	if (len < mlen)
		return NULL;
	for (i = 0; i + mlen <= len; i++)
		if (text[i] == '-' && !memcmp(text + i, marker, mlen))
			return text + i;
	return NULL;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1; /* never prompt on a terminal for an encrypted key */
}

static const char *key_type_name(const EVP_PKEY *k)
{
	if (EVP_PKEY_is_a(k, "EC"))
		return "ECDSA key";
	if (EVP_PKEY_is_a(k, "ED25519"))
		return "ed25519 key";
	if (EVP_PKEY_is_a(k, "DSA"))
		return "DSA key";
	return "non-RSA key";
}

int sealed_pubkey_from_pem(struct sealed_pubkey **out, const char *text, size_t len,
                           const char *what)
{
	struct sealed_pubkey *pk = NULL;
	const char *p;
	BIO *bio = NULL;
	X509 *x = NULL;
	int rc = 0;

	*out = NULL;
	if (!what)
		what = "certificate";
	if (!(pk = calloc(1, sizeof(*pk))))
		return gs_error(GS_ENOMEM, "out of memory");
	if ((p = pem_find(text, len, "CERTIFICATE"))) {
		if (!(bio = BIO_new_mem_buf(p, (int)(len - (size_t)(p - text))))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		if (!(x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL))) {
			rc = gs_error_openssl(GS_EPARSE, what);
			goto out;
		}
		pk->not_before = asn1_time_to_time(X509_get0_notBefore(x));
		pk->not_after = asn1_time_to_time(X509_get0_notAfter(x));
		if (!(pk->pkey = X509_get_pubkey(x))) {
			rc = gs_error_openssl(GS_EPARSE, what);
			goto out;
		}
	} else if ((p = pem_find(text, len, "PUBLIC KEY"))) {
		if (!(bio = BIO_new_mem_buf(p, (int)(len - (size_t)(p - text))))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		if (!(pk->pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL))) {
			rc = gs_error_openssl(GS_EPARSE, what);
			goto out;
		}
	} else {
		/* client-go cert.ParseCertsPEM's wording */
		rc =
		    gs_error(GS_EPARSE,
		             "%s: data does not contain any valid RSA or ECDSA certificates", what);
		goto out;
	}
	if (!EVP_PKEY_is_a(pk->pkey, "RSA")) {
		rc = gs_error(GS_EPARSE, "%s: expected RSA public key but found %s", what,
		              key_type_name(pk->pkey));
		goto out;
	}
	pk->size = (size_t)EVP_PKEY_get_size(pk->pkey);
	*out = pk;
	pk = NULL;
out:
	ERR_clear_error();
	X509_free(x);
	BIO_free(bio);
	sealed_pubkey_free(pk);
	return rc;
}

void sealed_pubkey_free(struct sealed_pubkey *pk)
{
	if (!pk)
		return;
	EVP_PKEY_free(pk->pkey);
	free(pk);
}

time_t sealed_pubkey_not_after(const struct sealed_pubkey *pk)
{
	return pk ? pk->not_after : 0;
}
time_t sealed_pubkey_not_before(const struct sealed_pubkey *pk)
{
	return pk ? pk->not_before : 0;
}
size_t sealed_pubkey_size(const struct sealed_pubkey *pk)
{
	return pk ? pk->size : 0;
}

int sealed_pubkey_check_expiry(const struct sealed_pubkey *pk, time_t now)
{
	static const char *const months[] = { "January",   "February", "March",    "April",
		                              "May",       "June",     "July",     "August",
		                              "September", "October",  "November", "December" };
	struct tm tm;
	if (!pk->not_after || now <= pk->not_after)
		return 0;
	gmtime_r(&pk->not_after, &tm);
	return gs_error(GS_EAUTH, "failed to encrypt using an expired certificate on %s %d, %d",
	                months[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900);
}

static int add_mpint(struct buf *b, const BIGNUM *bn)
{
	unsigned char tmp[1200];
	int n = BN_num_bytes(bn), lead;
	unsigned char len[4];
	if (n < 0 || (size_t)n > sizeof(tmp) - 1)
		return gs_error(GS_ETOOBIG, "key too large");
	BN_bn2bin(bn, tmp + 1);
	lead = n > 0 && (tmp[1] & 0x80); /* mpint: a leading zero keeps it positive */
	tmp[0] = 0;
	n += lead;
	len[0] = (unsigned char)(n >> 24), len[1] = (unsigned char)(n >> 16);
	len[2] = (unsigned char)(n >> 8), len[3] = (unsigned char)n;
	if (buf_add(b, len, 4) < 0 || buf_add(b, tmp + 1 - lead, (size_t)n) < 0)
		return GS_ETOOBIG;
	return 0;
}

int sealed_pubkey_fingerprint(struct buf *out, const struct sealed_pubkey *pk)
{
	struct buf wire = BUF_INIT(4096);
	BIGNUM *n = NULL, *e = NULL;
	unsigned char md[32];
	int rc;

	if (!EVP_PKEY_get_bn_param(pk->pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pk->pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
		rc = gs_error_openssl(GS_ERROR, "key fingerprint");
		goto out;
	}
	if ((rc = buf_add(&wire, "\0\0\0\7ssh-rsa", 11)) < 0 || (rc = add_mpint(&wire, e)) < 0 ||
	    (rc = add_mpint(&wire, n)) < 0)
		goto out;
	if (!EVP_Digest(wire.p, wire.len, md, NULL, EVP_sha256(), NULL)) {
		rc = gs_error_openssl(GS_ERROR, "sha256");
		goto out;
	}
	if ((rc = buf_adds(out, "SHA256:")) < 0 || (rc = base64_encode(out, md, sizeof(md), 0)) < 0)
		goto out;
out:
	BN_free(n);
	BN_free(e);
	buf_release(&wire);
	return rc;
}

/* ---- private keys ---------------------------------------------------------- */

int sealed_privkey_from_pem(struct sealed_privkey **out, const char *text, size_t len,
                            const char *what)
{
	struct sealed_privkey *k = NULL;
	const char *p;
	BIO *bio = NULL;
	int rc = 0;

	*out = NULL;
	if (!what)
		what = "private key";
	if (!(p = pem_find(text, len, "RSA PRIVATE KEY")) &&
	    !(p = pem_find(text, len, "PRIVATE KEY"))) {
		if (pem_find(text, len, "ENCRYPTED PRIVATE KEY"))
			return gs_error(GS_EPARSE, "%s: encrypted private keys are not supported",
			                what);
		return gs_error(GS_EPARSE, "%s: no PEM private key found", what);
	}
	if (!(k = calloc(1, sizeof(*k))))
		return gs_error(GS_ENOMEM, "out of memory");
	if (!(bio = BIO_new_mem_buf(p, (int)(len - (size_t)(p - text))))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	/* OpenSSL decodes private-key PEM into its secure heap and clears it */
	if (!(k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL))) {
		rc = gs_error_openssl(GS_EPARSE, what);
		goto out;
	}
	if (!EVP_PKEY_is_a(k->pkey, "RSA")) {
		rc = gs_error(GS_EPARSE, "%s: expected an RSA private key but found %s", what,
		              key_type_name(k->pkey));
		goto out;
	}
	k->size = (size_t)EVP_PKEY_get_size(k->pkey);
	*out = k;
	k = NULL;
out:
	ERR_clear_error();
	BIO_free(bio);
	sealed_privkey_free(k);
	return rc;
}

void sealed_privkey_free(struct sealed_privkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

size_t sealed_privkey_size(const struct sealed_privkey *k)
{
	return k ? k->size : 0;
}

int sealed_privkey_pubkey(struct sealed_pubkey **out, const struct sealed_privkey *k)
{
	struct sealed_pubkey *pk;
	unsigned char *der = NULL;
	const unsigned char *q;
	int n;

	*out = NULL;
	if ((n = i2d_PUBKEY(k->pkey, &der)) <= 0)
		return gs_error_openssl(GS_ERROR, "public key");
	if (!(pk = calloc(1, sizeof(*pk)))) {
		OPENSSL_free(der);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	q = der;
	pk->pkey = d2i_PUBKEY(NULL, &q, n);
	OPENSSL_free(der);
	if (!pk->pkey) {
		free(pk);
		return gs_error_openssl(GS_ERROR, "public key");
	}
	pk->size = k->size;
	*out = pk;
	return 0;
}

int sealed_privkey_matches(const struct sealed_privkey *k, const struct sealed_pubkey *pk)
{
	return k && pk && EVP_PKEY_eq(k->pkey, pk->pkey) == 1;
}

int sealed_privkey_same(const struct sealed_privkey *a, const struct sealed_privkey *b)
{
	return a && b && EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

/* ---- encryption --------------------------------------------------------------- */

static EVP_PKEY_CTX *oaep_ctx(EVP_PKEY *pkey, int encrypt, const void *label, size_t label_len)
{
	EVP_PKEY_CTX *ctx;
	unsigned char *l;

	if (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)))
		return NULL;
	if ((encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0)
		goto fail;
	if (label_len) {
		/* set0 takes ownership of an OPENSSL_malloc'd copy */
		if (!(l = OPENSSL_memdup(label, label_len)))
			goto fail;
		if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, (int)label_len) <= 0) {
			OPENSSL_free(l);
			goto fail;
		}
	}
	return ctx;
fail:
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

struct sealed_encryptor {
	EVP_PKEY_CTX *rsa;
	EVP_CIPHER_CTX *gcm;
	EVP_CIPHER *aes;
	size_t k;
	unsigned char pool[POOL_KEYS * 32]; /* session keys, wiped as used */
	size_t pool_left;
	unsigned char *blob; /* scratch: 2 + k + n + 16 */
	size_t blob_cap;
};

int sealed_encryptor_new(struct sealed_encryptor **out, const struct sealed_pubkey *pk,
                         const void *label, size_t label_len)
{
	struct sealed_encryptor *e;

	*out = NULL;
	if (label_len > 0x7fffffff)
		return gs_error(GS_ETOOBIG, "label too long");
	if (!(e = OPENSSL_zalloc(sizeof(*e))))
		return gs_error(GS_ENOMEM, "out of memory");
	e->k = pk->size;
	if (!(e->rsa = oaep_ctx(pk->pkey, 1, label, label_len)) ||
	    !(e->gcm = EVP_CIPHER_CTX_new()) ||
	    !(e->aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL))) {
		sealed_encryptor_free(e);
		return gs_error_openssl(GS_ERROR, "RSA-OAEP setup");
	}
	*out = e;
	return 0;
}

void sealed_encryptor_free(struct sealed_encryptor *e)
{
	if (!e)
		return;
	EVP_PKEY_CTX_free(e->rsa);
	EVP_CIPHER_CTX_free(e->gcm);
	EVP_CIPHER_free(e->aes);
	OPENSSL_free(e->blob);
	OPENSSL_clear_free(e, sizeof(*e)); /* wipes the session key pool */
}

int sealed_encryptor_seal(struct sealed_encryptor *e, struct buf *out, const void *pt, size_t n)
{
	unsigned char *sk, *p;
	size_t need, rsalen;
	int len, rc = 0;

	if (n > (size_t)1 << 30)
		return gs_error(GS_ETOOBIG, "value too large to seal");
	need = 2 + e->k + n + GCM_TAG;
	if (need > e->blob_cap) {
		OPENSSL_free(e->blob);
		if (!(e->blob = OPENSSL_malloc(need)))
			return gs_error(GS_ENOMEM, "out of memory");
		e->blob_cap = need;
	}
	if (!e->pool_left) {
		if (RAND_bytes(e->pool, sizeof(e->pool)) != 1)
			return gs_error_openssl(GS_ERROR, "random session key");
		e->pool_left = POOL_KEYS;
	}
	sk = e->pool + (--e->pool_left) * 32;
	p = e->blob;
	rsalen = e->k;
	if (EVP_PKEY_encrypt(e->rsa, p + 2, &rsalen, sk, 32) <= 0 || rsalen > 0xffff) {
		rc = gs_error_openssl(GS_ERROR, "RSA-OAEP encrypt");
		goto out;
	}
	p[0] = (unsigned char)(rsalen >> 8);
	p[1] = (unsigned char)rsalen;
	p += 2 + rsalen;
	{
		static const unsigned char nonce[GCM_NONCE];
		if (EVP_EncryptInit_ex2(e->gcm, e->aes, sk, nonce, NULL) != 1 ||
		    (n && EVP_EncryptUpdate(e->gcm, p, &len, pt, (int)n) != 1) ||
		    EVP_EncryptFinal_ex(e->gcm, p + n, &len) != 1 ||
		    EVP_CIPHER_CTX_ctrl(e->gcm, EVP_CTRL_GCM_GET_TAG, GCM_TAG, p + n) != 1) {
			rc = gs_error_openssl(GS_ERROR, "AES-GCM encrypt");
			goto out;
		}
	}
	rc = base64_encode(out, e->blob, 2 + rsalen + n + GCM_TAG, B64_PAD);
out:
	OPENSSL_cleanse(sk, 32);
	return rc;
}

int sealed_encrypt_item(struct buf *out, const struct sealed_pubkey *pk, const void *label,
                        size_t label_len, const void *pt, size_t n)
{
	struct sealed_encryptor *e = NULL;
	int rc;
	if ((rc = sealed_encryptor_new(&e, pk, label, label_len)) < 0)
		return rc;
	rc = sealed_encryptor_seal(e, out, pt, n);
	sealed_encryptor_free(e);
	return rc;
}

/* ---- decryption ----------------------------------------------------------------- */

int sealed__decrypt_with(struct buf *out, const struct sealed_privkey *key, const void *label,
                         size_t label_len, const unsigned char *blob, size_t len)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_CIPHER_CTX *gcm = NULL;
	unsigned char ct[1024], sk[1024]; /* OpenSSL wants room for k bytes */
	size_t rsalen, sklen = sizeof(sk), glen, old = out->len;
	const EVP_CIPHER *cipher;
	static const unsigned char nonce[GCM_NONCE];
	int n, rc = GS_EAUTH;

	if (len < 2)
		return GS_EPARSE;
	rsalen = (size_t)blob[0] << 8 | blob[1];
	if (len < rsalen + 2)
		return GS_EPARSE;
	/* Go's DecryptOAEP only refuses ciphertexts longer than the modulus */
	if (rsalen > key->size || key->size > sizeof(ct))
		return GS_EAUTH;
	memset(ct, 0, key->size - rsalen);
	memcpy(ct + key->size - rsalen, blob + 2, rsalen);
	glen = len - 2 - rsalen;
	if (glen < GCM_TAG || glen - GCM_TAG > 0x7fffffff)
		return GS_EAUTH;
	if (!(ctx = oaep_ctx(key->pkey, 0, label, label_len)))
		goto out;
	if (EVP_PKEY_decrypt(ctx, sk, &sklen, ct, key->size) <= 0)
		goto out;
	switch (sklen) { /* aes.NewCipher takes 16/24/32-byte keys */
	case 16: cipher = EVP_aes_128_gcm(); break;
	case 24: cipher = EVP_aes_192_gcm(); break;
	case 32: cipher = EVP_aes_256_gcm(); break;
	default: goto out;
	}
	if ((rc = buf_grow(out, glen)) < 0)
		goto out;
	rc = GS_EAUTH;
	blob += 2 + rsalen;
	glen -= GCM_TAG;
	if (!(gcm = EVP_CIPHER_CTX_new()) ||
	    EVP_DecryptInit_ex2(gcm, cipher, sk, nonce, NULL) != 1 ||
	    (glen && EVP_DecryptUpdate(gcm, (unsigned char *)out->p + out->len, &n, blob,
	                               (int)glen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_SET_TAG, GCM_TAG, (void *)(blob + glen)) != 1 ||
	    EVP_DecryptFinal_ex(gcm, (unsigned char *)out->p + out->len + glen, &n) != 1) {
		OPENSSL_cleanse(out->p + old, glen);
		goto out;
	}
	out->len += glen;
	out->p[out->len] = '\0';
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_cleanse(sk, sizeof(sk));
	EVP_CIPHER_CTX_free(gcm);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int sealed_decrypt_blob(struct buf *out, struct sealed_keyset *ks, const void *label,
                        size_t label_len, const unsigned char *blob, size_t len)
{
	size_t i, hint = ks->hint < ks->n ? ks->hint : 0;
	int rc;

	if (len < 2 || len < ((size_t)blob[0] << 8 | blob[1]) + 2)
		return gs_error(GS_EPARSE, "SealedSecret data is too short");
	for (i = 0; i < ks->n; i++) {
		/* the key that opened the previous item first, then the rest newest first */
		size_t k = i == 0 ? hint : (i <= hint ? i - 1 : i);
		rc = sealed__decrypt_with(out, ks->keys[k], label, label_len, blob, len);
		if (rc == 0) {
			ks->hint = k;
			if (k < 64)
				ks->used |= 1ULL << k;
			return 0;
		}
		if (rc != GS_EAUTH)
			return rc == GS_EPARSE ? gs_error(rc, "SealedSecret data is too short")
			                       : rc;
	}
	return gs_error(GS_EAUTH, "no key could decrypt secret");
}

int sealed_decrypt_item(struct buf *out, struct sealed_keyset *ks, const void *label,
                        size_t label_len, const char *b64, size_t b64_len)
{
	unsigned char *blob;
	size_t len = 0;
	int rc;

	if (!(blob = malloc(base64_decoded_max(b64_len) + 1)))
		return gs_error(GS_ENOMEM, "out of memory");
	if ((rc = base64_decode_raw(blob, &len, b64, b64_len, B64_GO_STD)) >= 0)
		rc = sealed_decrypt_blob(out, ks, label, label_len, blob, len);
	free(blob); /* ciphertext: nothing to wipe */
	return rc;
}
