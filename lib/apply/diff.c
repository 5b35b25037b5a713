/* Value equality, changed-path lists and the structural diff under every comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"

#define PATH_MAX_LEN (16 << 10)

void apply_paths_release(struct apply_paths *p)
{
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int apply__paths_add(struct apply_paths *p, const char *path)
{
	p->total++;
	if (p->n >= APPLY_MAX_PATHS)
		return 0;
	if (!p->v && !(p->v = calloc(APPLY_MAX_PATHS, sizeof(*p->v))))
		return gs_error(GS_ENOMEM, "out of memory");
	if (!(p->v[p->n] = strdup(*path ? path : ".")))
		return gs_error(GS_ENOMEM, "out of memory");
	p->n++;
	return 0;
}

int apply_paths_join(struct buf *out, const struct apply_paths *p)
{
	size_t i;
	int rc = 0;
	for (i = 0; i < p->n && rc == 0; i++)
		rc = buf_addf(out, "%s%s", i ? ", " : "", p->v[i]);
	if (rc == 0 && p->total > p->n)
		rc = buf_addf(out, " (and %zu more)", p->total - p->n);
	return rc;
}

char *apply__what(const struct doc *obj)
{
	const char *kind = doc_k8s_kind(obj), *ns = doc_k8s_namespace(obj),
	           *name = doc_k8s_name(obj);
	size_t n = strlen(kind ? kind : "?") + strlen(ns ? ns : "") + strlen(name ? name : "") + 3;
	char *w = malloc(n);
	if (w && ns && *ns)
		snprintf(w, n, "%s %s/%s", kind ? kind : "?", ns, name ? name : "");
	else if (w)
		snprintf(w, n, "%s %s", kind ? kind : "?", name ? name : "");
	return w;
}

void apply__mark_secret(struct doc *n)
{
	size_t i;
	if (!n)
		return;
	if (doc_is_scalar(n)) {
		doc_set_flags(n, doc_flags(n) | DOC_SECRET);
		return;
	}
	for (i = 0; i < doc_len(n); i++) {
		if (doc_kind(n) == DOC_MAP)
			apply__mark_secret(doc_key_at(n, i));
		apply__mark_secret(doc_val_at(n, i));
	}
}

/* ---- equality ---- */

static int is_num(enum doc_kind k)
{
	return k == DOC_INT || k == DOC_FLOAT;
}

static int scalar_eq(const struct doc *a, const struct doc *b)
{
	enum doc_kind ka = doc_kind(a), kb = doc_kind(b);
	size_t la, lb;
	const char *ta, *tb;

	if (is_num(ka) && is_num(kb)) {
		long long ia, ib;
		double fa, fb;
		if (ka == DOC_INT && kb == DOC_INT && doc_get_int(a, &ia) == 0 &&
		    doc_get_int(b, &ib) == 0)
			return ia == ib;
		if (doc_get_float(a, &fa) == 0 && doc_get_float(b, &fb) == 0)
			return fa == fb;
	}
	if (ka == DOC_TIMESTAMP)
		ka = DOC_STR;
	if (kb == DOC_TIMESTAMP)
		kb = DOC_STR;
	if (ka != kb)
		return 0;
	if (ka == DOC_NULL)
		return 1;
	if (ka == DOC_BOOL) {
		int x = 0, y = 0;
		doc_get_bool(a, &x);
		doc_get_bool(b, &y);
		return x == y;
	}
	ta = doc_text(a, &la);
	tb = doc_text(b, &lb);
	return la == lb && !memcmp(ta, tb, la);
}

/* A missing map entry, a null one and an empty map or list are the same to the API server (Go's
 * omitempty). */
static int absent(const struct doc *v)
{
	return !v || doc_kind(v) == DOC_NULL ||
	       ((doc_kind(v) == DOC_MAP || doc_kind(v) == DOC_SEQ) && !doc_len(v));
}

int apply__equal(const struct doc *a, const struct doc *b)
{
	size_t i;

	if (absent(a) || absent(b))
		return absent(a) && absent(b);
	if (doc_kind(a) == DOC_MAP && doc_kind(b) == DOC_MAP) {
		size_t na = 0, nb = 0;
		for (i = 0; i < doc_len(a); i++) {
			size_t kl;
			const char *k = doc_text(doc_key_at(a, i), &kl);
			const struct doc *va = doc_val_at(a, i);
			if (absent(va))
				continue;
			na++;
			if (!apply__equal(va, doc_getn(b, k, kl)))
				return 0;
		}
		for (i = 0; i < doc_len(b); i++)
			nb += !absent(doc_val_at(b, i));
		return na == nb;
	}
	if (doc_kind(a) == DOC_SEQ && doc_kind(b) == DOC_SEQ) {
		if (doc_len(a) != doc_len(b))
			return 0;
		for (i = 0; i < doc_len(a); i++)
			if (!apply__equal(doc_val_at(a, i), doc_val_at(b, i)))
				return 0;
		return 1;
	}
	if (doc_is_scalar(a) && doc_is_scalar(b))
		return scalar_eq(a, b);
	return 0;
}

/* ---- paths ---- */

static int plain_key(const char *k, size_t n)
{
	size_t i;
	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_' || k[i] == '-'))
			return 0;
	return 1;
}

int apply__path_key(struct buf *path, const char *key, size_t len)
{
	int rc;
	if (plain_key(key, len)) {
		if ((rc = buf_addc(path, '.')) < 0)
			return rc;
		return buf_add(path, key, len);
	}
	if ((rc = buf_addc(path, '[')) < 0 || (rc = buf_add_json_str(path, key, len)) < 0)
		return rc;
	return buf_addc(path, ']');
}

/* A key value in a path: scalars as written, anything else as "..." (paths never carry structure).
 */
static int path_value(struct buf *path, const struct doc *v)
{
	size_t n;
	const char *t = doc_text(v, &n);
	if (!t)
		return buf_adds(path, "...");
	return buf_add(path, t, n);
}

int apply__path_item(struct buf *path, const struct doc *keys)
{
	size_t i;
	int rc = buf_addc(path, '[');
	for (i = 0; rc == 0 && i < doc_len(keys); i++) {
		size_t kl;
		const char *k = doc_text(doc_key_at(keys, i), &kl);
		if (i)
			rc = buf_addc(path, ',');
		if (rc == 0 && (rc = buf_add(path, k, kl)) == 0 && (rc = buf_addc(path, '=')) == 0)
			rc = path_value(path, doc_val_at(keys, i));
	}
	return rc ? rc : buf_addc(path, ']');
}

/* ---- diff ---- */

/* Lists whose items are all maps with a unique string "name" are matched by name. */
static int named_list(const struct doc *seq)
{
	size_t i, j;
	for (i = 0; i < doc_len(seq); i++) {
		const char *n = doc_str(doc_get(doc_val_at(seq, i), "name"));
		if (!n)
			return 0;
		for (j = 0; j < i; j++)
			if (!strcmp(n, doc_str(doc_get(doc_val_at(seq, j), "name"))))
				return 0;
	}
	return 1;
}

static const struct doc *by_name(const struct doc *seq, const char *name)
{
	size_t i;
	for (i = 0; i < doc_len(seq); i++)
		if (!strcmp(doc_str(doc_get(doc_val_at(seq, i), "name")), name))
			return doc_val_at(seq, i);
	return NULL;
}

static int diff_rec(struct apply_paths *out, struct buf *path, const struct doc *a,
                    const struct doc *b, unsigned depth);

static int diff_named(struct apply_paths *out, struct buf *path, const struct doc *a,
                      const struct doc *b, unsigned depth)
{
	size_t i, mark = path->len;
	int rc = 0;

	for (i = 0; rc == 0 && i < doc_len(a); i++) {
		const struct doc *ia = doc_val_at(a, i);
		const char *name = doc_str(doc_get(ia, "name"));
		if ((rc = buf_addf(path, "[name=%s]", name)) == 0)
			rc = diff_rec(out, path, ia, by_name(b, name), depth + 1);
		buf_truncate(path, mark);
	}
	for (i = 0; rc == 0 && i < doc_len(b); i++) {
		const char *name = doc_str(doc_get(doc_val_at(b, i), "name"));
		if (by_name(a, name))
			continue;
		if ((rc = buf_addf(path, "[name=%s]", name)) == 0)
			rc = apply__paths_add(out, path->p);
		buf_truncate(path, mark);
	}
	return rc;
}

static int diff_rec(struct apply_paths *out, struct buf *path, const struct doc *a,
                    const struct doc *b, unsigned depth)
{
	size_t i, mark = path->len;
	int rc = 0;

	if (depth > 512)
		return gs_error(GS_ETOOBIG, "diff: nested deeper than 512 levels");
	if (doc_kind(a) == DOC_MAP && doc_kind(b) == DOC_MAP) {
		for (i = 0; rc == 0 && i < doc_len(a); i++) {
			size_t kl;
			const char *k = doc_text(doc_key_at(a, i), &kl);
			if ((rc = apply__path_key(path, k, kl)) == 0)
				rc = diff_rec(out, path, doc_val_at(a, i), doc_getn(b, k, kl),
				              depth + 1);
			buf_truncate(path, mark);
		}
		for (i = 0; rc == 0 && i < doc_len(b); i++) {
			size_t kl;
			const char *k = doc_text(doc_key_at(b, i), &kl);
			if (absent(doc_val_at(b, i)) || !absent(doc_getn(a, k, kl)))
				continue;
			if ((rc = apply__path_key(path, k, kl)) == 0)
				rc = apply__paths_add(out, path->p);
			buf_truncate(path, mark);
		}
		return rc;
	}
	if (doc_kind(a) == DOC_SEQ && doc_kind(b) == DOC_SEQ) {
		size_t na = doc_len(a), nb = doc_len(b);
		if (named_list(a) && named_list(b) && (na || nb))
			return diff_named(out, path, a, b, depth);
		for (i = 0; rc == 0 && i < (na > nb ? na : nb); i++) {
			if ((rc = buf_addf(path, "[%zu]", i)) == 0)
				rc = i < na && i < nb ? diff_rec(out, path, doc_val_at(a, i),
				                                 doc_val_at(b, i), depth + 1)
				                      : apply__paths_add(out, path->p);
			buf_truncate(path, mark);
		}
		return rc;
	}
	if (!apply__equal(a, b))
		return apply__paths_add(out, path->p);
	return 0;
}

int apply_diff(struct apply_paths *out, const struct doc *a, const struct doc *b)
{
	struct buf path = BUF_INIT(PATH_MAX_LEN);
	size_t before = out->total;
	int rc = diff_rec(out, &path, a, b, 0);
	buf_release(&path);
	return rc < 0 ? rc : (int)(out->total - before);
}
