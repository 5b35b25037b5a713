/* SOPS values: ENC[AES256_GCM,...] with a 32-byte IV, the MAC, formats and exit codes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/base64.h"
#include "sealer/sops/sops.h"

/* rc = class - 1000 * exit: class in (-1000, 0), exit >= 0 (see sops.h) */
int sops_exit_code(int rc)
{
	if (rc >= 0)
		return 0;
	return -rc / 1000 ? -rc / 1000 : SOPS_EXIT_GENERIC;
}

int sops_error_class(int rc)
{
	return rc >= 0 ? rc : -(-rc % 1000);
}

int sops_error_exit(int rc, enum sops_exit exit)
{
	if (rc >= 0)
		return rc;
	return exit == SOPS_EXIT_GENERIC ? sops_error_class(rc)
	                                 : SOPS_ERR(sops_error_class(rc), exit);
}

int sops_error_exit_default(int rc, enum sops_exit exit)
{
	return sops_exit_code(rc) == SOPS_EXIT_GENERIC ? sops_error_exit(rc, exit) : rc;
}

static const char *const format_names[] = { "yaml", "json", "dotenv", "ini", "binary" };

int sops_format_parse(enum sops_format *out, const char *s)
{
	size_t i;
	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (!strcmp(s, format_names[i])) {
			*out = (enum sops_format)i;
			return 0;
		}
	if (!strcmp(s, "yml")) {
		*out = SOPS_FMT_YAML;
		return 0;
	}
	if (!strcmp(s, "env")) {
		*out = SOPS_FMT_DOTENV;
		return 0;
	}
	return gs_error(GS_EINVAL, "unknown format '%s' (want yaml, json, dotenv, ini or binary)",
	                s);
}

const char *sops_format_name(enum sops_format f)
{
	return format_names[f];
}

enum sops_format sops_format_for_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		return SOPS_FMT_BINARY;
	if (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml"))
		return SOPS_FMT_YAML;
	if (!strcmp(dot, ".json"))
		return SOPS_FMT_JSON;
	if (!strcmp(dot, ".env"))
		return SOPS_FMT_DOTENV;
	if (!strcmp(dot, ".ini"))
		return SOPS_FMT_INI;
	return SOPS_FMT_BINARY;
}

static const char *const type_names[] = {
	"str", "int", "float", "bool", "bytes", "time", "comment"
};

const char *sops_type_name(enum sops_type t)
{
	return type_names[t];
}

struct sops_cipher {
	EVP_CIPHER_CTX *ctx;
	unsigned char key[SOPS_KEY_LEN];
	int ivlen; /* the IV length the context is set up for, 0 = none yet */
	int enc;   /* direction of the current setup */
};

int sops_cipher_new(struct sops_cipher **out, const unsigned char key[SOPS_KEY_LEN])
{
	struct sops_cipher *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return gs_error(GS_ENOMEM, "out of memory");
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx) {
		free(c);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	memcpy(c->key, key, SOPS_KEY_LEN);
	*out = c;
	return 0;
}

void sops_cipher_free(struct sops_cipher *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx);
	gs_wipe(c->key, sizeof(c->key));
	free(c);
}

/* Key the context for this direction and IV length once; later calls only set the IV. */
static int cipher_setup(struct sops_cipher *c, int enc, int ivlen, const unsigned char *iv)
{
	if (c->ivlen != ivlen || c->enc != enc) {
		if (EVP_CipherInit_ex(c->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_IVLEN, ivlen, NULL) != 1 ||
		    EVP_CipherInit_ex(c->ctx, NULL, NULL, c->key, iv, enc) != 1) {
			c->ivlen = 0;
			return gs_error_openssl(GS_ERROR, "aes-256-gcm");
		}
		c->ivlen = ivlen;
		c->enc = enc;
		return 0;
	}
	if (EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, iv, enc) != 1)
		return gs_error_openssl(GS_ERROR, "aes-256-gcm");
	return 0;
}

int sops_value_encrypt(struct sops_cipher *c, struct buf *out, const void *pt, size_t n,
                       const unsigned char *iv, const char *aad, size_t aadlen, enum sops_type type)
{
	unsigned char stackbuf[512], *ct = stackbuf, tag[16];
	int len = 0, rc;
	size_t need;

	if (n > (size_t)1 << 30)
		return gs_error(GS_ETOOBIG, "value too large to encrypt");
	if (n > sizeof(stackbuf) && !(ct = malloc(n)))
		return gs_error(GS_ENOMEM, "out of memory");
	if ((rc = cipher_setup(c, 1, SOPS_IV_LEN, iv)) < 0)
		goto out;
	rc = GS_ERROR;
	if ((aadlen &&
	     EVP_EncryptUpdate(c->ctx, NULL, &len, (const unsigned char *)aad, (int)aadlen) != 1) ||
	    EVP_EncryptUpdate(c->ctx, ct, &len, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c->ctx, ct + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) {
		rc = gs_error_openssl(GS_ERROR, "aes-256-gcm encrypt");
		goto out;
	}
	need = 64 + base64_encoded_len(n, B64_PAD) + base64_encoded_len(SOPS_IV_LEN, B64_PAD) + 24;
	if ((rc = buf_grow(out, need)) < 0)
		goto out;
	memcpy(out->p + out->len, "ENC[AES256_GCM,data:", 20);
	out->len += 20;
	out->len += base64_encode_raw(out->p + out->len, ct, n, B64_PAD);
	memcpy(out->p + out->len, ",iv:", 4);
	out->len += 4;
	out->len += base64_encode_raw(out->p + out->len, iv, SOPS_IV_LEN, B64_PAD);
	memcpy(out->p + out->len, ",tag:", 5);
	out->len += 5;
	out->len += base64_encode_raw(out->p + out->len, tag, 16, B64_PAD);
	memcpy(out->p + out->len, ",type:", 6);
	out->len += 6;
	memcpy(out->p + out->len, type_names[type], strlen(type_names[type]));
	out->len += strlen(type_names[type]);
	out->p[out->len++] = ']';
	out->p[out->len] = 0;
	rc = 0;
out:
	if (ct != stackbuf)
		free(ct);
	return rc;
}

struct enc_parts {
	const char *data, *iv, *tag, *type;
	size_t datalen, ivlen, taglen, typelen;
};

/* ^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]  (base64 holds no ',') */
static int enc_split(struct enc_parts *p, const char *s, size_t n)
{
	static const char pre[] = "ENC[AES256_GCM,data:";
	const char *end = s + n, *q, *iv, *tag, *type, *close;
	if (n < sizeof(pre) - 1 || memcmp(s, pre, sizeof(pre) - 1))
		return GS_EPARSE;
	q = s + sizeof(pre) - 1;
	iv = memmem(q, (size_t)(end - q), ",iv:", 4);
	if (!iv || iv == q)
		return GS_EPARSE;
	tag = memmem(iv + 4, (size_t)(end - iv - 4), ",tag:", 5);
	if (!tag || tag == iv + 4)
		return GS_EPARSE;
	type = memmem(tag + 5, (size_t)(end - tag - 5), ",type:", 6);
	if (!type || type == tag + 5)
		return GS_EPARSE;
	for (close = end - 1; close > type + 6 && *close != ']'; close--)
		;
	if (close <= type + 6 || *close != ']')
		return GS_EPARSE;
	p->data = q;
	p->datalen = (size_t)(iv - q);
	p->iv = iv + 4;
	p->ivlen = (size_t)(tag - iv - 4);
	p->tag = tag + 5;
	p->taglen = (size_t)(type - tag - 5);
	p->type = type + 6;
	p->typelen = (size_t)(close - type - 6);
	return 0;
}

int sops_is_encrypted_value(const char *s, size_t n)
{
	struct enc_parts p;
	return enc_split(&p, s, n) == 0;
}

static int type_from(const char *s, size_t n, enum sops_type *t)
{
	size_t i;
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strlen(type_names[i]) == n && !memcmp(type_names[i], s, n)) {
			*t = (enum sops_type)i;
			return 0;
		}
	return GS_EPARSE;
}

int sops_value_iv(unsigned char iv[SOPS_IV_LEN], const char *enc, size_t enclen)
{
	struct enc_parts p;
	unsigned char tmp[64];
	size_t n = sizeof(tmp);
	if (enc_split(&p, enc, enclen) < 0 || p.ivlen > 88 ||
	    base64_decode_raw(tmp, &n, p.iv, p.ivlen, B64_GO_STD) < 0 || n != SOPS_IV_LEN)
		return GS_EPARSE;
	memcpy(iv, tmp, SOPS_IV_LEN);
	return 0;
}

int sops_value_decrypt(struct sops_cipher *c, struct buf *pt, enum sops_type *type, const char *enc,
                       size_t enclen, const char *aad, size_t aadlen)
{
	struct enc_parts p;
	unsigned char stackbuf[512], *ct = stackbuf, iv[256], tag[32];
	size_t ctlen, ivlen = sizeof(iv), taglen = sizeof(tag);
	int len = 0, rc;

	if (enc_split(&p, enc, enclen) < 0 || type_from(p.type, p.typelen, type) < 0) {
		if (enc_split(&p, enc, enclen) == 0)
			return gs_error(GS_EPARSE, "Unknown datatype: %.*s",
			                (int)(p.typelen > 16 ? 16 : p.typelen), p.type);
		return gs_error(GS_EPARSE, "Input string does not match sops' data format");
	}
	if (p.datalen > ((size_t)1 << 30) || base64_decoded_max(p.ivlen) > sizeof(iv) ||
	    base64_decoded_max(p.taglen) > sizeof(tag))
		return gs_error(GS_EPARSE, "Input string does not match sops' data format");
	ctlen = base64_decoded_max(p.datalen);
	if (ctlen > sizeof(stackbuf) && !(ct = malloc(ctlen)))
		return gs_error(GS_ENOMEM, "out of memory");
	rc = GS_EPARSE;
	if (base64_decode_raw(ct, &ctlen, p.data, p.datalen, B64_GO_STD) < 0 ||
	    base64_decode_raw(iv, &ivlen, p.iv, p.ivlen, B64_GO_STD) < 0 ||
	    base64_decode_raw(tag, &taglen, p.tag, p.taglen, B64_GO_STD) < 0 || ivlen == 0 ||
	    taglen != 16) {
		gs_error(GS_EPARSE, "Input string does not match sops' data format");
		goto out;
	}
	if ((rc = cipher_setup(c, 0, (int)ivlen, iv)) < 0)
		goto out;
	if ((rc = buf_grow(pt, ctlen + 1)) < 0)
		goto out;
	if ((aadlen &&
	     EVP_DecryptUpdate(c->ctx, NULL, &len, (const unsigned char *)aad, (int)aadlen) != 1) ||
	    EVP_DecryptUpdate(c->ctx, (unsigned char *)pt->p + pt->len, &len, ct, (int)ctlen) !=
	        1 ||
	    EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1) {
		rc = gs_error_openssl(GS_ERROR, "aes-256-gcm decrypt");
		goto out;
	}
	if (EVP_DecryptFinal_ex(c->ctx, (unsigned char *)pt->p + pt->len + len, &len) != 1) {
		gs_wipe(pt->p + pt->len, ctlen);
		rc = gs_error(
		    GS_EAUTH,
		    "Could not decrypt with AES_GCM: cipher: message authentication failed");
		goto out;
	}
	pt->len += ctlen;
	pt->p[pt->len] = 0;
	rc = 0;
out:
	if (ct != stackbuf)
		free(ct);
	return rc;
}

int sops_format_float(char *out, size_t outlen, double v)
{
	char e[40], digits[32];
	int prec, exp10, nd = 0, i, neg;
	char *p, *q;
	size_t o = 0;

	if (isnan(v))
		return snprintf(out, outlen, "NaN");
	if (isinf(v))
		return snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
	/* shortest %e precision that reads back to v (Go's shortest round-trip digits) */
	for (prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, v);
		if (strtod(e, NULL) == v)
			break;
	}
	neg = e[0] == '-';
	p = e + neg;
	for (q = p; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9')
			digits[nd++] = *q;
	exp10 = (int)strtol(q + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (nd == 1 && digits[0] == '0') {
		exp10 = 0;
		neg = signbit(v) != 0;
	}
	if (outlen < (size_t)(nd + abs(exp10) + 8))
		return GS_ETOOBIG;
	if (neg)
		out[o++] = '-';
	if (exp10 < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = -1; i > exp10; i--)
			out[o++] = '0';
		for (i = 0; i < nd; i++)
			out[o++] = digits[i];
	} else {
		for (i = 0; i <= exp10; i++)
			out[o++] = i < nd ? digits[i] : '0';
		if (nd > exp10 + 1) {
			out[o++] = '.';
			for (i = exp10 + 1; i < nd; i++)
				out[o++] = digits[i];
		}
	}
	out[o] = 0;
	return (int)o;
}

struct sops_mac {
	EVP_MD_CTX *md;
};

int sops_mac_new(struct sops_mac **out, int mac_only_encrypted)
{
	struct sops_mac *m = calloc(1, sizeof(*m));
	*out = NULL;
	if (!m || !(m->md = EVP_MD_CTX_new())) {
		free(m);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if (EVP_DigestInit_ex(m->md, EVP_sha512(), NULL) != 1) {
		sops_mac_free(m);
		return gs_error_openssl(GS_ERROR, "sha512");
	}
	if (mac_only_encrypted) {
		/* sops seeds the hash with SHA-256("sops") so the two modes never collide */
		unsigned char h[32];
		unsigned int hl = 0;
		if (EVP_Digest("sops", 4, h, &hl, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestUpdate(m->md, h, hl) != 1) {
			sops_mac_free(m);
			return gs_error_openssl(GS_ERROR, "sha256");
		}
	}
	*out = m;
	return 0;
}

int sops_mac_update(struct sops_mac *m, const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(m->md, p, n) != 1)
		return gs_error_openssl(GS_ERROR, "sha512");
	return 0;
}

int sops_mac_final(struct sops_mac *m, char hex[129])
{
	unsigned char d[64];
	unsigned int dl = 0, i;
	int rc = 0;
	if (EVP_DigestFinal_ex(m->md, d, &dl) != 1 || dl != 64)
		rc = gs_error_openssl(GS_ERROR, "sha512");
	else {
		for (i = 0; i < 64; i++) {
			hex[2 * i] = "0123456789ABCDEF"[d[i] >> 4];
			hex[2 * i + 1] = "0123456789ABCDEF"[d[i] & 15];
		}
		hex[128] = 0;
	}
	sops_mac_free(m);
	return rc;
}

void sops_mac_free(struct sops_mac *m)
{
	if (!m)
		return;
	EVP_MD_CTX_free(m->md);
	free(m);
}
