/*
 * The decrypt stage: the context (identities, source index, generator hashes)
 * and the pass over a rendered object set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/crypto.h"
#include "core/error.h"
#include "decrypt/decrypt_int.h"
#include "doc/doc.h"
#include "sealer/age/age.h"
#include "sealer/inspect/inspect.h"

int decrypt_ctx_new(struct decrypt_ctx **out, const struct decrypt_opts *opts)
{
	struct decrypt_ctx *c;
	size_t n;
	int rc;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return gs_error(GS_ENOMEM, "out of memory");
	buf_init(&c->where, 8192, 0);
	if (opts && opts->root) {
		n = strlen(opts->root);
		while (n > 1 && opts->root[n - 1] == '/')
			n--;
		if (!(c->root = strndup(opts->root, n))) {
			free(c);
			return gs_error(GS_ENOMEM, "out of memory");
		}
	}
	c->require_encrypted = opts ? opts->require_encrypted : 0;
	if ((rc = gs_random_bytes(c->hkey, sizeof(c->hkey))) < 0) {
		decrypt_ctx_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void decrypt_ctx_free(struct decrypt_ctx *c)
{
	size_t i;
	if (!c)
		return;
	age_identities_free(c->ids);
	age_identities_free(c->env_ids);
	age_identities_free(c->own_ids);
	for (i = 0; i < c->nsrcs; i++)
		decrypt__src_release(&c->srcs[i]);
	free(c->srcs);
	for (i = 0; i < c->nown_uses; i++)
		free(c->own_uses[i]);
	free(c->own_uses);
	if (c->hashes)
		gs_free_secret(c->hashes, c->nhashes * sizeof(*c->hashes));
	gs_wipe(c->hkey, sizeof(c->hkey));
	buf_release(&c->where);
	free(c->root);
	free(c);
}

/* --- identities ------------------------------------------------------------------ */

static void add_where(struct decrypt_ctx *c, const char *what, enum decrypt_ids_scope scope)
{
	buf_addf(&c->where, "%s%s%s", c->where.len ? ", " : "", what,
	         scope == DECRYPT_IDS_OWN_NAMESPACE ? " (own namespace only)" : "");
}

int decrypt_ctx_add_identities(struct decrypt_ctx *c, const char *text, size_t len,
                               const char *what, enum decrypt_ids_scope scope)
{
	struct age_identity **list = scope == DECRYPT_IDS_OWN_NAMESPACE ? &c->own_ids : &c->ids;
	int rc;
	if ((rc = age_identities_parse(list, text, len, what)) < 0)
		return rc;
	add_where(c, what, scope);
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && !strcmp(s + n - m, suffix);
}

int decrypt_ctx_add_secret(struct decrypt_ctx *c, const struct doc *secret,
                           enum decrypt_ids_scope scope)
{
	static const char *const fields[] = { "data", "stringData" };
	struct buf val = BUF_INIT_SECRET((size_t)1 << 20), what = BUF_INIT(1024);
	const char *ns = doc_k8s_namespace(secret), *name = doc_k8s_name(secret);
	size_t f, i, found = 0;
	int rc = 0;

	for (f = 0; f < 2 && rc >= 0; f++) {
		const struct doc *m = doc_get(secret, fields[f]);
		for (i = 0; doc_kind(m) == DOC_MAP && i < doc_len(m) && rc >= 0; i++) {
			const char *key = doc_text(doc_key_at(m, i), NULL);
			size_t len;
			const char *v = doc_text(doc_val_at(m, i), &len);
			if (!key || !has_suffix(key, ".agekey") || !v)
				continue;
			buf_reset(&val);
			buf_reset(&what);
			buf_addf(&what, "Secret %s%s%s entry %s", ns ? ns : "", ns ? "/" : "",
			         name ? name : "", key);
			rc = f == 0 ? base64_decode(&val, v, len, B64_GO_STD)
			            : buf_add(&val, v, len);
			if (rc < 0) {
				gs_error(GS_EPARSE, "%s: not valid base64", what.p);
				break;
			}
			if ((rc = decrypt_ctx_add_identities(c, val.p, val.len, what.p, scope)) < 0)
				break;
			found++;
		}
	}
	if (rc >= 0 && !found)
		rc = gs_error(
		    GS_ENOTFOUND,
		    "Secret %s%s%s has no entry ending in .agekey (age identities are read from "
		    "entries named like age.agekey, as Flux does)",
		    ns ? ns : "", ns ? "/" : "", name ? name : "");
	buf_release(&val);
	buf_release(&what);
	return rc < 0 ? rc : 0;
}

int decrypt_ctx_add_env(struct decrypt_ctx *c)
{
	c->env_wanted =
	    1; /* read when a file needs a key: a build without SOPS files never reads them */
	return 0;
}

/* sops' places, read once; an error (a SOPS_AGE_KEY_FILE that is not there) names the file being
 * opened. */
static int load_env(struct decrypt_ctx *c, const char *place)
{
	struct buf where = BUF_INIT(8192);
	int rc;

	c->env_wanted = 0;
	if ((rc = sops_identities_load(&c->env_ids, &where)) < 0) {
		gs_error_prefix(rc, "%s: reading age identities", place);
		goto out;
	}
	add_where(c, where.len ? where.p : "SOPS_AGE_KEY", DECRYPT_IDS_ANY);
	rc = 0;
out:
	buf_release(&where);
	return rc;
}

static void add_recipients(struct buf *b, const struct sops_meta *m)
{
	size_t g, j, n = 0;
	for (g = 0; g < m->ngroups; g++)
		for (j = 0; j < m->groups[g].nage; j++)
			buf_addf(b, "%s%s", n++ ? ", " : "", m->groups[g].age[j].recipient);
	if (!n)
		buf_adds(b, "none");
}

int decrypt__data_key(struct decrypt_ctx *c, const struct sops_meta *m, const char *place,
                      unsigned char key[SOPS_KEY_LEN], int *own)
{
	struct buf r = BUF_INIT(1 << 16);
	size_t g, nage = 0;
	int rc;

	*own = 0;
	if (c->env_wanted && (rc = load_env(c, place)) < 0)
		goto out;
	for (g = 0; g < m->ngroups; g++)
		nage += m->groups[g].nage;
	if (!nage && sops_meta_has_foreign_keys(m)) {
		rc = gs_error(GS_EAUTH,
		              "%s: encrypted for pgp/kms/vault keys only: gitseal decrypts with "
		              "age identities",
		              place);
		goto out;
	}
	if (!c->ids && !c->env_ids && !c->own_ids) {
		add_recipients(&r, m);
		rc = gs_error(
		    GS_EAUTH,
		    "%s: no age identity to decrypt it with (recipients: %s; looked in: %s)", place,
		    r.p, c->where.len ? c->where.p : "nothing given");
		goto out;
	}
	if ((c->ids && sops_meta_data_key(m, c->ids, NULL, key) == 0) ||
	    (c->env_ids && sops_meta_data_key(m, c->env_ids, NULL, key) == 0)) {
		rc = 0;
		goto out;
	}
	if (c->own_ids && sops_meta_data_key(m, c->own_ids, NULL, key) == 0) {
		*own = 1;
		rc = 0;
		goto out;
	}
	add_recipients(&r, m);
	rc = gs_error(GS_EAUTH, "%s: no age identity matches (recipients: %s; looked in: %s)",
	              place, r.p, c->where.p);
out:
	buf_release(&r);
	return rc;
}

/* --- naming objects in messages -------------------------------------------------- */

void decrypt__place(struct decrypt_ctx *c, const struct doc *obj, struct buf *out)
{
	const char *mac = doc_str(doc_getp(obj, "sops", "mac", NULL)), *file = doc_file(obj);
	const char *kind = doc_k8s_kind(obj), *ns = doc_k8s_namespace(obj),
	           *name = doc_k8s_name(obj);
	struct decrypt__src *s = mac ? decrypt__src_find(c, mac) : NULL;
	size_t rl = c->root ? strlen(c->root) : 0;

	buf_reset(out);
	if (s)
		buf_adds(out, s->relpath);
	else if (file && *file) {
		if (rl && !strncmp(file, c->root, rl) && file[rl] == '/')
			file += rl + 1;
		buf_addf(out, "%s:%u", file, doc_line(obj));
	} else {
		buf_adds(out, "(rendered)");
	}
	buf_addf(out, ": %s %s%s%s", kind ? kind : "object", ns && *ns ? ns : "",
	         ns && *ns ? "/" : "", name ? name : "(no name)");
}

/* --- the stage ---------------------------------------------------------------------- */

static int is_kind(const struct doc *obj, const char *kind)
{
	const char *k = doc_k8s_kind(obj);
	return k && !strcmp(k, kind);
}

int decrypt_objects(struct decrypt_ctx *c, struct doc **objs, size_t n, unsigned *flags_out)
{
	struct inspect_report r = INSPECT_REPORT_INIT;
	size_t i;
	int rc = 0, decrypted = 0;

	for (i = 0; i < n; i++) {
		unsigned fl = 0, ifl = INSPECT_AFTER_DECRYPT |
		                       (c->require_encrypted ? INSPECT_REQUIRE_ENCRYPTED : 0);
		int own = 0;
		if (is_kind(objs[i], "SealedSecret"))
			fl |= DECRYPT_OBJ_SEALED;
		else if (doc_kind(doc_get(objs[i], "sops")) == DOC_MAP) {
			if ((rc = decrypt__object(c, objs[i], &own)) < 0)
				goto out;
			fl |= DECRYPT_OBJ_SOPS | (own ? DECRYPT_OBJ_OWN_NAMESPACE : 0);
			decrypted++;
		} else if (c->nhashes && is_kind(objs[i], "Secret") &&
		           decrypt__generated(c, objs[i])) {
			fl |= DECRYPT_OBJ_GENERATED;
		}
		if (fl & (DECRYPT_OBJ_SOPS | DECRYPT_OBJ_GENERATED))
			ifl |= INSPECT_FROM_SOPS;
		if ((rc = inspect_object(&r, objs[i], ifl)) < 0)
			goto out;
		if (flags_out)
			flags_out[i] = fl;
	}
	rc = r.n ? inspect_report_error(&r, 0) : decrypted;
out:
	inspect_report_release(&r);
	return rc;
}

size_t decrypt_ctx_own_uses(const struct decrypt_ctx *c, const char *const **out)
{
	*out = (const char *const *)c->own_uses;
	return c->nown_uses;
}
