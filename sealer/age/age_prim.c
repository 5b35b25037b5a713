/* age primitives: HKDF-SHA256 and HMAC-SHA256 (OpenSSL 3), zero-nonce ChaCha20-Poly1305. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "sealer/age/age_int.h"

int age__hkdf(unsigned char *out, size_t outlen, const void *ikm, size_t ikmlen, const void *salt,
              size_t saltlen, const char *info)
{
	static const unsigned char zero_salt[32];
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5], *p = params;
	unsigned char dummy = 0;
	int rc = 0;

	/* An empty salt is HashLen zeros (RFC 5869), as in Go; OpenSSL rejects a 0-length one. */
	if (!saltlen) {
		salt = zero_salt;
		saltlen = sizeof(zero_salt);
	}
	if (!(kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) || !(ctx = EVP_KDF_CTX_new(kdf))) {
		rc = gs_error_openssl(GS_ERROR, "hkdf");
		goto out;
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikmlen ? (void *)ikm : &dummy,
	                                         ikmlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) != 1)
		rc = gs_error_openssl(GS_ERROR, "hkdf");
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int age__hmac_sha256(unsigned char out[32], const unsigned char key[32], const void *data, size_t n)
{
	unsigned int len = 32;
	if (!HMAC(EVP_sha256(), key, 32, data, n, out, &len))
		return gs_error_openssl(GS_ERROR, "hmac");
	return 0;
}

int age__aead_seal0(unsigned char *out, const unsigned char key[32], const unsigned char *pt,
                    size_t n)
{
	static const unsigned char nonce[12];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, rc = 0;

	if (!ctx || EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, out, &len, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AGE_TAG, out + n) != 1)
		rc = gs_error_openssl(GS_ERROR, "chacha20-poly1305");
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int age__aead_open0(unsigned char *out, const unsigned char key[32], const unsigned char *ct,
                    size_t n)
{
	static const unsigned char nonce[12];
	EVP_CIPHER_CTX *ctx;
	unsigned char tag[AGE_TAG];
	int len = 0, rc = 0;

	if (n < AGE_TAG)
		return 1;
	memcpy(tag, ct + n - AGE_TAG, AGE_TAG);
	if (!(ctx = EVP_CIPHER_CTX_new()))
		return gs_error_openssl(GS_ENOMEM, "chacha20-poly1305");
	if (EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &len, ct, (int)(n - AGE_TAG)) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AGE_TAG, tag) != 1) {
		rc = gs_error_openssl(GS_ERROR, "chacha20-poly1305");
	} else if (EVP_DecryptFinal_ex(ctx, out + len, &len) != 1) {
		gs_wipe(out, n - AGE_TAG);
		ERR_clear_error();
		rc = 1;
	}
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

const char *age__quote(struct buf *tmp, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;
	buf_reset(tmp);
	buf_addc(tmp, '"');
	for (i = 0; i < n && i < 200; i++) {
		unsigned char c = s[i];
		if (c == '\n')
			buf_adds(tmp, "\\n");
		else if (c == '\r')
			buf_adds(tmp, "\\r");
		else if (c == '\t')
			buf_adds(tmp, "\\t");
		else if (c == '"' || c == '\\')
			buf_addf(tmp, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			buf_addf(tmp, "\\x%02x", c);
		else
			buf_addc(tmp, (char)c);
	}
	if (i < n)
		buf_adds(tmp, "...");
	buf_addc(tmp, '"');
	return tmp->p;
}
