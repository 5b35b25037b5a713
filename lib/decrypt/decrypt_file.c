/*
 * The render hook: SOPS-encrypted files that a Kustomize secretGenerator or
 * configMapGenerator reads (envs, files) are decrypted before Kustomize runs.
 * What comes out is remembered as keyed hashes (never the plaintext), so that
 * requireEncrypted can tell a generated Secret whose every value came from
 * such a file from one built from plaintext literals.
 */
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/crypto.h"
#include "core/error.h"
#include "decrypt/decrypt_int.h"
#include "doc/doc.h"

#define MAX_HASHES 100000

/* HMAC-SHA256 under the context's random key of tag NUL a NUL b: equal values compare
 * equal within one build, and nothing of the plaintext can be read back from a hash. */
static int hash(const struct decrypt_ctx *c, unsigned char out[32], const char *tag, const void *a,
                size_t alen, const void *b, size_t blen)
{
	struct gs_hmac_ctx *h = NULL;
	static const unsigned char zero = 0;
	int rc;
	if ((rc = gs_hmac_sha256_new(&h, c->hkey, sizeof(c->hkey))) < 0 ||
	    (rc = gs_hmac_update(h, tag, strlen(tag) + 1)) < 0 ||
	    (rc = gs_hmac_update(h, a, alen)) < 0 || (rc = gs_hmac_update(h, &zero, 1)) < 0 ||
	    (b && (rc = gs_hmac_update(h, b, blen)) < 0) || (rc = gs_hmac_final(h, out)) < 0)
		rc = gs_error_prefix(rc, "decrypt: hash");
	gs_hmac_free(h);
	return rc < 0 ? rc : 0;
}

int decrypt__hash_add(struct decrypt_ctx *c, const char *tag, const void *a, size_t alen,
                      const void *b, size_t blen)
{
	unsigned char h[32], (*v)[32];
	int rc;
	if (c->nhashes >= MAX_HASHES)
		return gs_error(GS_ETOOBIG, "decrypt: more than %d generator values", MAX_HASHES);
	if ((rc = hash(c, h, tag, a, alen, b, blen)) < 0)
		return rc;
	if (!(v = realloc(c->hashes, (c->nhashes + 1) * sizeof(*v))))
		return gs_error(GS_ENOMEM, "out of memory");
	c->hashes = v;
	memcpy(c->hashes[c->nhashes++], h, 32);
	return 0;
}

int decrypt__hash_has(const struct decrypt_ctx *c, const char *tag, const void *a, size_t alen,
                      const void *b, size_t blen)
{
	unsigned char h[32];
	size_t i;
	if (hash(c, h, tag, a, alen, b, blen) < 0)
		return 0;
	for (i = 0; i < c->nhashes; i++)
		if (!gs_memcmp_ct(c->hashes[i], h, 32))
			return 1;
	return 0;
}

/* A generator's value: the whole of a decrypted file (files:), or one entry of a decrypted env file
 * (envs:). */
static int covered(const struct decrypt_ctx *c, const char *key, const char *v, size_t len)
{
	return decrypt__hash_has(c, "file", v, len, NULL, 0) ||
	       decrypt__hash_has(c, "env", key, strlen(key), v, len);
}

int decrypt__generated(const struct decrypt_ctx *c, const struct doc *secret)
{
	struct buf val = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	const struct doc *data = doc_get(secret, "data"), *sd = doc_get(secret, "stringData");
	size_t i, n = 0, len;
	int ok = 1;

	for (i = 0; ok && doc_kind(data) == DOC_MAP && i < doc_len(data); i++, n++) {
		const char *v = doc_text(doc_val_at(data, i), &len);
		buf_reset(&val);
		ok = v && base64_decode(&val, v, len, B64_GO_STD) >= 0 &&
		     covered(c, doc_text(doc_key_at(data, i), NULL), val.p, val.len);
	}
	for (i = 0; ok && doc_kind(sd) == DOC_MAP && i < doc_len(sd); i++, n++) {
		const char *v = doc_text(doc_val_at(sd, i), &len);
		ok = v && covered(c, doc_text(doc_key_at(sd, i), NULL), v, len);
	}
	gs_error_clear();
	buf_release(&val);
	return ok && n > 0;
}

/* Flux's markers (kustomize-controller internal/decryptor): is this a SOPS file, in which store? */
static int detect(enum sops_format *fmt, const char *relpath, const char *in, size_t len)
{
	int yaml = memmem(in, len, "mac: ENC[", 9) != NULL;
	int json = memmem(in, len, "\"mac\": \"ENC[", 12) != NULL;
	int env = (len >= 13 && !memcmp(in, "sops_mac=ENC[", 13)) ||
	          memmem(in, len, "\nsops_mac=ENC[", 14);
	int ini = (len >= 6 && !memcmp(in, "[sops]", 6)) || memmem(in, len, "\n[sops]", 7);

	*fmt = sops_format_for_path(relpath);
	switch (*fmt) {
	case SOPS_FMT_YAML: return yaml;
	case SOPS_FMT_JSON: return json;
	case SOPS_FMT_DOTENV: return env;
	case SOPS_FMT_INI: return ini;
	case SOPS_FMT_BINARY:
		/* an envs: file named app.secrets, a files: entry named config: sniff */
		if (env)
			*fmt = SOPS_FMT_DOTENV;
		else if (json)
			*fmt = SOPS_FMT_BINARY; /* sops' binary store is JSON with a data key */
		else if (yaml && (!memcmp(in, "sops:", 5) || memmem(in, len, "\nsops:", 6)))
			*fmt = SOPS_FMT_YAML;
		else if (ini)
			*fmt = SOPS_FMT_INI;
		else
			return 0;
		return 1;
	}
	return 0;
}

int decrypt_file(struct decrypt_ctx *c, const char *relpath, const char *in, size_t len,
                 struct buf *out)
{
	struct buf plain = BUF_INIT_SECRET(BUF_MAX_FILE);
	struct sops_file f;
	enum sops_format fmt;
	unsigned char key[SOPS_KEY_LEN];
	size_t i;
	int rc, own = 0;

	if (!out->secret)
		return gs_error(GS_EINVAL, "decrypt_file: %s: the output must be a secret buffer",
		                relpath);
	if (!detect(&fmt, relpath, in, len))
		return 0;
	memset(&f, 0, sizeof(f));
	if ((rc = sops_file_load(&f, relpath, in, len, fmt)) < 0)
		goto out;
	if ((rc = decrypt__data_key(c, &f.meta, relpath, key, &own)) < 0)
		goto out;
	if (own) {
		/* a generator's file names no namespace for the own-namespace rule to hold against
		 */
		rc = gs_error(
		    GS_EAUTH,
		    "%s: only the cluster's own age identity opens it, and that identity decrypts "
		    "only "
		    "manifests that name their namespace, not files a kustomize generator reads",
		    relpath);
		goto out;
	}
	if ((rc = sops_file_decrypt(&f, key, 0)) < 0) {
		if (sops_exit_code(rc) == SOPS_EXIT_MAC_MISMATCH)
			rc = gs_error(
			    GS_EAUTH,
			    "%s: MAC mismatch: the file was changed after it was encrypted",
			    relpath);
		goto out;
	}
	if ((rc = sops_file_emit(&plain, &f, fmt, 0, 0)) < 0)
		goto out;
	if ((rc = decrypt__hash_add(c, "file", plain.p, plain.len, NULL, 0)) < 0)
		goto out;
	/* an env file's entries become one Secret key each */
	for (i = 0; fmt == SOPS_FMT_DOTENV && f.ndocs == 1 && i < doc_len(f.docs[0]); i++) {
		size_t kl, vl;
		const char *k = doc_text(doc_key_at(f.docs[0], i), &kl),
		           *v = doc_text(doc_val_at(f.docs[0], i), &vl);
		if (k && v && (rc = decrypt__hash_add(c, "env", k, kl, v, vl)) < 0)
			goto out;
	}
	if ((rc = buf_add(out, plain.p, plain.len)) < 0)
		goto out;
	rc = 1;
out:
	gs_wipe(key, sizeof(key));
	sops_file_release(&f);
	buf_release(&plain);
	return rc;
}

int decrypt_render_hook(void *ctx, const char *relpath, const char *in, size_t len, struct buf *out)
{
	return decrypt_file(ctx, relpath, in, len, out);
}
