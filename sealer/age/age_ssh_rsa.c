/*
 * ssh-rsa recipients (Go agessh): "-> ssh-rsa <b64 SHA-256(wire)[:4]>", body =
 * RSA-OAEP(SHA-256, MGF1-SHA-256, label "age-encryption.org/v1/ssh-rsa", file key).
 * Keys of at least 2048 bits, as Go age. OpenSSL 3 builds the keys from their parts.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "core/base64.h"
#include "sealer/age/age_int.h"

#define RSA_LABEL "age-encryption.org/v1/ssh-rsa"

struct rd {
	const unsigned char *p;
	size_t n;
};

static int rd_str(struct rd *r, const unsigned char **s, size_t *len)
{
	uint32_t l;
	if (r->n < 4)
		return -1;
	l = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	if (l > r->n - 4)
		return -1;
	*s = r->p + 4;
	*len = l;
	r->p += 4 + l;
	r->n -= 4 + l;
	return 0;
}

static BIGNUM *rd_bn(struct rd *r)
{
	const unsigned char *s;
	size_t n;
	if (rd_str(r, &s, &n) < 0 || (n && (s[0] & 0x80)))
		return NULL; /* mpints here are positive */
	return BN_bin2bn(s, (int)n, NULL);
}

static void tag_of(char out[8], const unsigned char *blob, size_t n)
{
	unsigned char h[32];
	crypto_hash_sha256(h, blob, n);
	base64_encode_raw(out, h, 4, B64_NOPAD);
}

void age__pkey_free(void *pkey)
{
	EVP_PKEY_free(pkey);
}

/* n, e (public) or all parts (private) -> EVP_PKEY; NULL after gs_error */
static EVP_PKEY *build(BIGNUM *n, BIGNUM *e, BIGNUM *d, BIGNUM *p, BIGNUM *q, BIGNUM *qinv)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *dp = NULL, *dq = NULL, *t = NULL;
	BN_CTX *bnc = NULL;
	int ok = bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);

	if (ok && d) {
		ok = (bnc = BN_CTX_new()) && (dp = BN_new()) && (dq = BN_new()) && (t = BN_new()) &&
		     BN_sub(t, p, BN_value_one()) && BN_mod(dp, d, t, bnc) &&
		     BN_sub(t, q, BN_value_one()) && BN_mod(dq, d, t, bnc) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv);
	}
	if (!ok || !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) !=
	        1) {
		gs_error_openssl(GS_EPARSE, "invalid RSA key");
		pkey = NULL;
	}
	if (pkey && EVP_PKEY_get_bits(pkey) < 2048) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
		gs_error(GS_EPARSE, "insufficient ssh-rsa key size");
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(t);
	BN_CTX_free(bnc);
	return pkey;
}

int age__rsa_recipient_parse(struct age_recipient **out, const char *s)
{
	const char *b64 = s + strlen("ssh-rsa ");
	size_t len = strcspn(b64, " \t\r\n"), n = 0, tl;
	struct age_recipient *r = NULL;
	unsigned char *blob = NULL;
	const unsigned char *t;
	BIGNUM *e = NULL, *nn = NULL;
	struct rd rd;
	int rc = 0;

	*out = NULL;
	if (len > 4096 || !(blob = malloc(base64_decoded_max(len) + 1)) ||
	    base64_decode_raw(blob, &n, b64, len, B64_PAD) < 0) {
		rc = gs_error(GS_EPARSE,
		              "malformed SSH recipient: \"%.40s...\": illegal base64 data", s);
		goto out;
	}
	rd = (struct rd){ blob, n };
	if (rd_str(&rd, &t, &tl) < 0 || tl != 7 || memcmp(t, "ssh-rsa", 7) || !(e = rd_bn(&rd)) ||
	    !(nn = rd_bn(&rd)) || rd.n) {
		rc = gs_error(GS_EPARSE,
		              "malformed SSH recipient: \"%.40s...\": invalid ssh-rsa key", s);
		goto out;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (!(r->pkey = build(nn, e, NULL, NULL, NULL, NULL))) {
		rc = gs_error_prefix(GS_EPARSE, "malformed SSH recipient");
		goto out;
	}
	r->type = AGE_R_SSH_RSA;
	tag_of(r->tag, blob, n);
	snprintf(r->str, sizeof(r->str), "ssh-rsa");
	if (!(r->str_long = malloc(len + 9))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(r->str_long, len + 9, "ssh-rsa %.*s", (int)len, b64);
	*out = r;
	r = NULL;
out:
	if (r) {
		EVP_PKEY_free(r->pkey);
		free(r->str_long);
	}
	free(r);
	free(blob);
	BN_free(e);
	BN_free(nn);
	return rc;
}

int age__rsa_identity_from_openssh(struct age_identity *id, const unsigned char *blob,
                                   size_t bloblen, const unsigned char *priv, size_t privlen)
{
	struct rd rd = { priv, privlen };
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *qinv = NULL, *p = NULL, *q = NULL;
	struct buf b = BUF_INIT(1 << 16);
	int rc = 0;

	if (!(n = rd_bn(&rd)) || !(e = rd_bn(&rd)) || !(d = rd_bn(&rd)) || !(qinv = rd_bn(&rd)) ||
	    !(p = rd_bn(&rd)) || !(q = rd_bn(&rd))) {
		rc = gs_error(GS_EPARSE, "invalid OpenSSH private key");
		goto out;
	}
	if (!(id->pkey = build(n, e, d, p, q, qinv))) {
		rc = GS_EPARSE;
		goto out;
	}
	id->type = AGE_I_SSH_RSA;
	tag_of(id->tag, blob, bloblen);
	if ((rc = buf_adds(&b, "ssh-rsa ")) == 0 &&
	    (rc = base64_encode(&b, blob, bloblen, B64_PAD)) == 0)
		id->recip_long = buf_detach(&b, NULL);
out:
	buf_release(&b);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(qinv);
	BN_clear_free(p);
	BN_clear_free(q);
	return rc;
}

static EVP_PKEY_CTX *oaep_ctx(EVP_PKEY *pkey, int enc)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	char *label = OPENSSL_strdup(RSA_LABEL);
	if (!ctx || !label ||
	    (enc ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, strlen(RSA_LABEL)) != 1) {
		gs_error_openssl(GS_ERROR, "rsa-oaep");
		OPENSSL_free(label);
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int age__rsa_wrap(struct age_header *h, const struct age_recipient *r, const unsigned char fk[16])
{
	const char *args[2] = { "ssh-rsa", r->tag };
	EVP_PKEY_CTX *ctx = oaep_ctx(r->pkey, 1);
	unsigned char out[1024];
	size_t outlen = sizeof(out);
	int rc;

	if (!ctx)
		return GS_ERROR;
	if (EVP_PKEY_encrypt(ctx, out, &outlen, fk, AGE_FILE_KEY_LEN) != 1)
		rc = gs_error_openssl(GS_ERROR, "rsa-oaep");
	else
		rc = age__header_add(h, args, 2, out, outlen);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int age__rsa_unwrap(const struct age_identity *id, const struct age_stanza *s, unsigned char fk[16])
{
	unsigned char out[1024];
	size_t outlen = sizeof(out);
	EVP_PKEY_CTX *ctx;
	int rc = 0;

	if (strcmp(s->args[0], "ssh-rsa"))
		return 1;
	if (s->nargs != 2)
		return gs_error(GS_EPARSE, "invalid ssh-rsa recipient block");
	if (strcmp(s->args[1], id->tag))
		return 1;
	if (!(ctx = oaep_ctx(id->pkey, 0)))
		return GS_ERROR;
	if (EVP_PKEY_decrypt(ctx, out, &outlen, s->body, s->bodylen) != 1 ||
	    outlen != AGE_FILE_KEY_LEN) {
		ERR_clear_error();
		rc = gs_error(GS_EAUTH, "failed to decrypt file key");
	} else {
		memcpy(fk, out, AGE_FILE_KEY_LEN);
	}
	gs_wipe(out, sizeof(out));
	EVP_PKEY_CTX_free(ctx);
	return rc;
}
