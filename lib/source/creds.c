/*
 * Credentials for a Git remote: from a Kubernetes Secret (Flux's or Argo CD's keys,
 * `stringData` over `data` as the API server merges them) or, for the CLI, from
 * files and two environment variables. Passwords, tokens and private keys live in
 * secret buffers, wiped by source_creds_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/doc.h"
#include "source/source_int.h"

#define CRED_MAX ((size_t)1 << 20) /* 1 MiB per value: a CA bundle is the largest */

static struct source_creds *creds_new(void)
{
	struct source_creds *cr = calloc(1, sizeof(*cr));
	if (!cr)
		return NULL;
	buf_init(&cr->password, 64 << 10, 1);
	buf_init(&cr->bearer_token, 64 << 10, 1);
	buf_init(&cr->identity, CRED_MAX, 1);
	buf_init(&cr->known_hosts, CRED_MAX, 0);
	buf_init(&cr->ca, CRED_MAX, 0);
	buf_init(&cr->tls_cert, CRED_MAX, 0);
	buf_init(&cr->tls_key, CRED_MAX, 1);
	return cr;
}

void source_creds_free(struct source_creds *cr)
{
	if (!cr)
		return;
	free(cr->username);
	buf_release(&cr->password);
	buf_release(&cr->bearer_token);
	buf_release(&cr->identity);
	buf_release(&cr->known_hosts);
	buf_release(&cr->ca);
	buf_release(&cr->tls_cert);
	buf_release(&cr->tls_key);
	free(cr);
}

/*
 * The value of key in the Secret, decoded into out (out is left empty when the key
 * is absent). Returns 1 when found, 0 when absent, < 0 on error.
 */
static int secret_value(struct buf *out, const struct doc *secret, const char *key,
                        const char *what)
{
	const struct doc *sd = doc_get(doc_get(secret, "stringData"), key);
	const struct doc *d = doc_get(doc_get(secret, "data"), key);
	const char *text;
	size_t len = 0;
	int rc;

	buf_reset(out);
	if (sd && doc_is_scalar(sd) && doc_kind(sd) != DOC_NULL) {
		text = doc_text(sd, &len);
		if ((rc = buf_add(out, text, len)) < 0)
			return gs_error_prefix(rc, "%s: stringData.%s", what, key);
		return 1;
	}
	if (!d || doc_kind(d) == DOC_NULL)
		return 0;
	if (!doc_is_scalar(d))
		return gs_error(GS_EPARSE, "%s: data.%s is not a string", what, key);
	text = doc_text(d, &len);
	if ((rc = base64_decode(out, text, len, B64_GO_STD)) < 0) {
		buf_reset(out);
		return gs_error(rc == GS_ETOOBIG ? rc : GS_EPARSE, "%s: data.%s: %s", what, key,
		                rc == GS_ETOOBIG ? "too large" : "not valid base64");
	}
	return 1;
}

/* the first of several key names that is present */
static int secret_any(struct buf *out, const struct doc *secret, const char *const *keys,
                      const char *what, const char **found)
{
	int rc;
	*found = NULL;
	for (; *keys; keys++) {
		if ((rc = secret_value(out, secret, *keys, what)) != 0) {
			if (rc > 0)
				*found = *keys;
			return rc;
		}
	}
	return 0;
}

int source_creds_from_secret(struct source_creds **out, const struct doc *secret)
{
	static const char *const user_keys[] = { "username", NULL };
	static const char *const pass_keys[] = { "password", NULL };
	static const char *const token_keys[] = { "bearerToken", NULL };
	static const char *const id_keys[] = { "identity", "sshPrivateKey", NULL };
	static const char *const kh_keys[] = { "known_hosts", NULL };
	static const char *const ca_keys[] = { "ca.crt", "caFile", NULL };
	static const char *const cert_keys[] = { "tls.crt", "tlsClientCertData", "certFile", NULL };
	static const char *const key_keys[] = { "tls.key", "tlsClientCertKey", "keyFile", NULL };
	struct source_creds *cr = NULL;
	struct buf user = BUF_INIT(4096), what = BUF_INIT(512);
	const char *name = doc_k8s_name(secret), *cert_key = NULL, *key_key = NULL, *kh_key = NULL,
	           *k;
	int rc;

	*out = NULL;
	if ((rc = buf_addf(&what, "secret '%s'", name ? name : "(unnamed)")) < 0)
		goto out;
	if (doc_kind(secret) != DOC_MAP) {
		rc = gs_error(GS_EPARSE, "%s: not a Secret object", what.p);
		goto out;
	}
	if (!(cr = creds_new())) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = secret_any(&user, secret, user_keys, what.p, &k)) < 0 ||
	    (rc = secret_any(&cr->password, secret, pass_keys, what.p, &k)) < 0 ||
	    (rc = secret_any(&cr->bearer_token, secret, token_keys, what.p, &k)) < 0 ||
	    (rc = secret_any(&cr->identity, secret, id_keys, what.p, &k)) < 0 ||
	    (rc = secret_any(&cr->known_hosts, secret, kh_keys, what.p, &kh_key)) < 0 ||
	    (rc = secret_any(&cr->ca, secret, ca_keys, what.p, &k)) < 0 ||
	    (rc = secret_any(&cr->tls_cert, secret, cert_keys, what.p, &cert_key)) < 0 ||
	    (rc = secret_any(&cr->tls_key, secret, key_keys, what.p, &key_key)) < 0)
		goto out;
	if (user.len) {
		if (memchr(user.p, '\0', user.len) || memchr(user.p, '\n', user.len)) {
			rc = gs_error(GS_EPARSE, "%s: username holds a NUL or newline", what.p);
			goto out;
		}
		cr->username = buf_detach(&user, NULL);
	}
	if (cr->password.len && memchr(cr->password.p, '\0', cr->password.len)) {
		rc = gs_error(GS_EPARSE, "%s: password holds a NUL byte", what.p);
		goto out;
	}
	if (cr->bearer_token.len && (memchr(cr->bearer_token.p, '\n', cr->bearer_token.len) ||
	                             memchr(cr->bearer_token.p, '\r', cr->bearer_token.len) ||
	                             memchr(cr->bearer_token.p, '\0', cr->bearer_token.len))) {
		rc = gs_error(GS_EPARSE, "%s: bearerToken holds a line break or NUL", what.p);
		goto out;
	}
	if (!!cert_key != !!key_key) {
		rc = gs_error(GS_EPARSE, "%s: %s without %s", what.p, cert_key ? cert_key : key_key,
		              cert_key ? "a client key (tls.key)"
		                       : "a client certificate (tls.crt)");
		goto out;
	}
	cr->have_known_hosts = kh_key != NULL;
	*out = cr;
	cr = NULL;
out:
	source_creds_free(cr);
	buf_release(&user);
	buf_release(&what);
	return rc;
}

static int read_into(struct buf *b, const char *path, const char *flag)
{
	int rc = file_read(b, path);
	if (rc < 0)
		return gs_error_prefix(rc, "%s", flag);
	return 0;
}

int source_creds_from_files(struct source_creds **out, const struct source_cred_files *f)
{
	struct source_creds *cr = NULL;
	const char *user = getenv("GITSEAL_GIT_USERNAME"), *pass = getenv("GITSEAL_GIT_PASSWORD");
	const char *home = getenv("HOME");
	char *kh = NULL;
	int rc = 0;

	*out = NULL;
	if (!(cr = creds_new()))
		return gs_error(GS_ENOMEM, "out of memory");
	cr->ssh_defaults = 1;
	if (user && *user && !(cr->username = strdup(user))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (f && f->password_file) {
		if ((rc = read_into(&cr->password, f->password_file, "--password-file")) < 0)
			goto out;
		/* one trailing newline is the file's, not the password's */
		if (cr->password.len && cr->password.p[cr->password.len - 1] == '\n')
			buf_truncate(&cr->password, cr->password.len - 1);
		if (cr->password.len && cr->password.p[cr->password.len - 1] == '\r')
			buf_truncate(&cr->password, cr->password.len - 1);
	} else if (pass && *pass && (rc = buf_adds(&cr->password, pass)) < 0) {
		goto out;
	}
	if (f && f->ssh_key) {
		if ((rc = read_into(&cr->identity, f->ssh_key, "--ssh-key")) < 0)
			goto out;
		cr->ssh_defaults = 0;
	}
	if (f && f->ca_file && (rc = read_into(&cr->ca, f->ca_file, "--ca-file")) < 0)
		goto out;
	if (f && f->known_hosts) {
		if ((rc = read_into(&cr->known_hosts, f->known_hosts, "--known-hosts")) < 0)
			goto out;
		cr->have_known_hosts = 1;
	} else if (home && asprintf(&kh, "%s/.ssh/known_hosts", home) > 0 && file_exists(kh)) {
		if ((rc = read_into(&cr->known_hosts, kh, kh)) < 0)
			goto out;
		cr->have_known_hosts = 1;
	}
	*out = cr;
	cr = NULL;
out:
	free(kh);
	source_creds_free(cr);
	return rc;
}

static void digest_part(struct gs_hmac_ctx *h, const void *p, size_t n)
{
	unsigned char len[8];
	size_t i;
	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (8 * i));
	gs_hmac_update(h, len, sizeof(len)); /* length-prefixed: no two splits collide */
	gs_hmac_update(h, p, n);
}

void source__creds_digest(const struct source_cache *c, const struct source_creds *cr,
                          unsigned char out[32])
{
	struct gs_hmac_ctx *h = NULL;
	const struct buf *parts[7];
	size_t i;

	memset(out, 0, 32);
	if (gs_hmac_sha256_new(&h, c->creds_key, sizeof(c->creds_key)) < 0)
		return; /* all zero: a failed digest is never taken as a match (fetch.c) */
	if (!cr) {
		digest_part(h, "anonymous", 9);
	} else {
		parts[0] = &cr->password;
		parts[1] = &cr->bearer_token;
		parts[2] = &cr->identity;
		parts[3] = &cr->known_hosts;
		parts[4] = &cr->ca;
		parts[5] = &cr->tls_cert;
		parts[6] = &cr->tls_key;
		digest_part(h, "creds", 5);
		digest_part(h, cr->username ? cr->username : "",
		            cr->username ? strlen(cr->username) : 0);
		for (i = 0; i < 7; i++)
			digest_part(h, parts[i]->p, parts[i]->len);
		digest_part(h, cr->have_known_hosts ? "k" : "-", 1);
		digest_part(h, cr->ssh_defaults ? "d" : "-", 1);
	}
	if (gs_hmac_final(h, out) < 0)
		memset(out, 0, 32);
	gs_hmac_free(h);
}
