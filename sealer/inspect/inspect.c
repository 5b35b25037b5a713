/*
 * Checks over one object: leftovers after decryption, plaintext Secrets, the
 * structure of SOPS documents, SealedSecret scopes. Messages carry paths, rule
 * names and object names; values never reach them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "doc/doc.h"
#include "sealer/inspect/inspect.h"
#include "sealer/inspect/inspect_int.h"
#include "sealer/sealed/sealed.h"
#include "sealer/sops/sops.h"

static const char *const code_names[INSPECT_NCODES + 1] = {
	"unknown",
	"sops-not-decrypted",
	"sops-value-left",
	"plaintext-secret",
	"unencrypted-secret",
	"sops-metadata-missing",
	"sops-metadata-malformed",
	"sops-value-not-encrypted",
	"sealed-scope-mismatch",
	"sops-rule-unencrypted-data",
	"sops-file-not-encrypted",
	"sops-config-invalid",
	"application-field",
	"parse-error",
	"sops-mac-mismatch",
	"sops-no-key",
	"sealed-no-key",
};

const char *inspect_code_name(enum inspect_code code)
{
	return code >= 1 && code <= INSPECT_NCODES ? code_names[code] : code_names[0];
}

void inspect_report_release(struct inspect_report *r)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		free(r->v[i].msg);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int add_at(struct inspect_report *r, enum inspect_code code, const char *file, unsigned line,
                  unsigned col, const char *fmt, va_list ap)
{
	struct buf msg = BUF_INIT(4096);
	struct inspect_finding *f;
	int rc;

	rc = buf_vaddf(&msg, fmt, ap);
	if (rc < 0 && rc != GS_ETOOBIG) {
		buf_release(&msg);
		return rc;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct inspect_finding *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			buf_release(&msg);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		r->v = v;
		r->cap = cap;
	}
	f = &r->v[r->n++];
	f->code = code;
	f->file = file;
	f->line = line;
	f->col = col;
	f->msg = buf_detach(&msg, NULL);
	return 1;
}

int inspect__add(struct inspect_report *r, enum inspect_code code, const struct doc *at,
                 const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = add_at(r, code, doc_file(at), doc_start(at).line, doc_start(at).col, fmt, ap);
	va_end(ap);
	return rc;
}

int inspect_report_add(struct inspect_report *r, enum inspect_code code, const char *file,
                       unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = add_at(r, code, file, line, col, fmt, ap);
	va_end(ap);
	return rc;
}

int inspect_finding_format(struct buf *out, const struct inspect_finding *f)
{
	if (f->file && *f->file && f->line)
		buf_addf(out, "%s:%u:%u: ", f->file, f->line, f->col);
	else if (f->file && *f->file)
		buf_addf(out, "%s: ", f->file);
	return buf_addf(out, "%s [%s]", f->msg, inspect_code_name(f->code));
}

int inspect_report_error(const struct inspect_report *r, size_t from)
{
	struct buf b = BUF_INIT(8192);
	int rc;
	if (from >= r->n)
		return 0;
	inspect_finding_format(&b, &r->v[from]);
	if (r->n - from > 1)
		buf_addf(&b, " (and %zu more)", r->n - from - 1);
	rc = gs_error(GS_EPARSE, "%s", b.p);
	buf_release(&b);
	return rc;
}

void inspect__describe(char *out, size_t len, const struct doc *obj)
{
	const char *kind = doc_k8s_kind(obj), *ns = doc_k8s_namespace(obj),
	           *name = doc_k8s_name(obj);
	if (!kind && !name)
		snprintf(out, len, "document");
	else
		snprintf(out, len, "%s %s%s%s", kind ? kind : "object", ns && *ns ? ns : "",
		         ns && *ns ? "/" : "", name ? name : "(no name)");
}

int inspect__is_secret(const struct doc *obj)
{
	const char *kind = doc_k8s_kind(obj), *av = doc_str(doc_get(obj, "apiVersion"));
	return kind && !strcmp(kind, "Secret") && (!av || !strchr(av, '/'));
}

/* A map or list with at least one entry. */
static int non_empty(const struct doc *n)
{
	return (doc_kind(n) == DOC_MAP || doc_kind(n) == DOC_SEQ) && doc_len(n) > 0;
}

/* --- walking leaves with their path -------------------------------------- */

int inspect__walk(struct inspect_walk *w, const struct doc *n)
{
	size_t i;
	int rc;

	if (doc_kind(n) != DOC_MAP && doc_kind(n) != DOC_SEQ)
		return w->leaf(w, n);
	if (w->depth >= INSPECT_MAX_DEPTH)
		return 0; /* the parser caps depth lower than this */
	for (i = 0; i < doc_len(n); i++) {
		struct inspect_comp *c = &w->comp[w->depth];
		if (doc_kind(n) == DOC_MAP) {
			const struct doc *k = doc_key_at(n, i);
			if (w->depth == 0 && w->skip_top && doc_text(k, NULL) &&
			    !strcmp(doc_text(k, NULL), w->skip_top))
				continue;
			c->key = doc_text(k, &c->len);
			c->index = -1;
		} else {
			c->key = NULL;
			c->len = 0;
			c->index = (long)i;
		}
		w->depth++;
		rc = inspect__walk(w, doc_val_at(n, i));
		w->depth--;
		if (rc)
			return rc;
	}
	return 0;
}

/* "stringData.password", "list[2].name" */
void inspect__path(const struct inspect_walk *w, struct buf *out)
{
	size_t i;
	buf_reset(out);
	for (i = 0; i < w->depth; i++) {
		const struct inspect_comp *c = &w->comp[i];
		if (c->index >= 0)
			buf_addf(out, "[%ld]", c->index);
		else
			buf_addf(out, "%s%.*s", i ? "." : "", (int)c->len, c->key);
	}
}

/* The key components only (sops ignores list indices), for sops_rules_encrypts(). */
size_t inspect__keys(const struct inspect_walk *w, const char **keys, size_t *lens)
{
	size_t i, n = 0;
	for (i = 0; i < w->depth; i++)
		if (w->comp[i].index < 0) {
			keys[n] = w->comp[i].key;
			lens[n++] = w->comp[i].len;
		}
	return n;
}

static int is_enc(const struct doc *n)
{
	size_t len;
	const char *s;
	if (doc_kind(n) != DOC_STR)
		return 0;
	s = doc_text(n, &len);
	return sops_is_encrypted_value(s, len);
}

/* --- leftovers after decryption ------------------------------------------ */

struct leftover_walk {
	struct inspect_walk w;
	const struct doc *first;
	struct buf first_path;
	size_t count;
};

static int leftover_leaf(struct inspect_walk *w, const struct doc *n)
{
	struct leftover_walk *lw = (struct leftover_walk *)w;
	if (!is_enc(n))
		return 0;
	if (!lw->count++) {
		lw->first = n;
		inspect__path(w, &lw->first_path);
	}
	return 0;
}

static int check_leftovers(struct inspect_report *r, const struct doc *obj, const char *desc)
{
	const struct doc *s = doc_get(obj, "sops");
	struct leftover_walk lw;
	int rc = 0, added = 0;

	if (s) {
		if ((rc = inspect__add(r, INSPECT_SOPS_NOT_DECRYPTED, s,
		                       "%s still carries SOPS metadata (a 'sops' block) "
		                       "after decryption: an encrypted object is never applied",
		                       desc)) < 0)
			return rc;
		added++;
	}
	if (!inspect__is_secret(obj))
		return added;
	memset(&lw, 0, sizeof(lw));
	lw.w.leaf = leftover_leaf;
	lw.w.skip_top = "sops";
	buf_init(&lw.first_path, 4096, 0);
	inspect__walk(&lw.w, obj);
	if (lw.count) {
		rc = inspect__add(r, INSPECT_SOPS_VALUE_LEFT, lw.first,
		                  "%s: %s is still a SOPS-encrypted value "
		                  "(ENC[...]) after decryption%s",
		                  desc, lw.first_path.p,
		                  lw.count > 1 ? ", and other values too" : "");
		added += rc > 0;
	}
	buf_release(&lw.first_path);
	return rc < 0 ? rc : added;
}

/* --- Secrets with plaintext data ----------------------------------------- */

static const struct doc *secret_data(const struct doc *obj)
{
	const struct doc *d = doc_get(obj, "data");
	if (non_empty(d))
		return d;
	d = doc_get(obj, "stringData");
	return non_empty(d) ? d : NULL;
}

static int any_enc_leaf(struct inspect_walk *w, const struct doc *n)
{
	(void)w;
	return is_enc(n);
}

static int has_enc_leaf(const struct doc *obj)
{
	struct inspect_walk w;
	memset(&w, 0, sizeof(w));
	w.leaf = any_enc_leaf;
	return inspect__walk(&w, obj) > 0;
}

static int check_plaintext(struct inspect_report *r, const struct doc *obj, const char *desc,
                           unsigned flags)
{
	const struct doc *d;
	if (!inspect__is_secret(obj) || doc_get(obj, "sops") || !(d = secret_data(obj)))
		return 0;
	if ((flags & INSPECT_REQUIRE_ENCRYPTED) && !(flags & INSPECT_FROM_SOPS))
		return inspect__add(
		    r, INSPECT_PLAINTEXT_SECRET, d,
		    "%s has plaintext %s and decryption.requireEncrypted "
		    "is set: encrypt it (gitseal encrypt) or seal it (gitseal seal)",
		    desc, doc_get(obj, "data") == d ? "data" : "stringData");
	/* ENC[...] values without their `sops` block: INSPECT_SOPS_STRUCTURE says what is wrong */
	if ((flags & INSPECT_UNENCRYPTED) && !has_enc_leaf(obj))
		return inspect__add(
		    r, INSPECT_UNENCRYPTED_SECRET, d,
		    "%s has %s that is neither sealed nor "
		    "SOPS-encrypted: seal it (gitseal seal) or encrypt it (gitseal encrypt)",
		    desc, doc_get(obj, "data") == d ? "data" : "stringData");
	return 0;
}

int inspect_object(struct inspect_report *r, const struct doc *obj, unsigned flags)
{
	char desc[512];
	int rc, added = 0;

	if (doc_kind(obj) != DOC_MAP)
		return 0;
	inspect__describe(desc, sizeof(desc), obj);
	if (flags & INSPECT_LEFTOVERS) {
		if ((rc = check_leftovers(r, obj, desc)) < 0)
			return rc;
		added += rc;
	}
	if (flags & (INSPECT_REQUIRE_ENCRYPTED | INSPECT_UNENCRYPTED)) {
		if ((rc = check_plaintext(r, obj, desc, flags)) < 0)
			return rc;
		added += rc;
	}
	if (flags & INSPECT_SOPS_STRUCTURE) {
		if ((rc = inspect__sops_structure(r, obj, desc)) < 0)
			return rc;
		added += rc;
	}
	if (flags & INSPECT_SEALED_SCOPE) {
		if ((rc = inspect__sealed_scope(r, obj, desc)) < 0)
			return rc;
		added += rc;
	}
	return added;
}
