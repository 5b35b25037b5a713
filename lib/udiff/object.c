/*
 * Object diffs (udiff.h): both states cleaned of the server's bookkeeping,
 * masked where they hold secret values, emitted as YAML with sorted keys and
 * compared line by line.
 */
#include <string.h>

#include "core/error.h"
#include "doc/doc.h"
#include "udiff/udiff.h"

#define UDIFF__OBJ_MAX ((size_t)64 << 20)
#define MASK "***"
#define MASK_CHANGED "*** (changed)"
#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

int udiff_object_name(struct buf *out, const struct doc *obj)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *slash;
	const char *kind = doc_k8s_kind(obj), *ns = doc_k8s_namespace(obj),
	           *name = doc_k8s_name(obj);
	int rc;
	if (!av || !kind || !name)
		return gs_error(GS_EINVAL, "diff: an object without apiVersion, kind or name");
	if ((slash = strchr(av, '/')))
		rc = buf_addf(out, "%.*s.%s", (int)(slash - av), av, slash + 1);
	else
		rc = buf_adds(out, av);
	if (rc >= 0)
		rc = buf_addf(out, ".%s.%s.%s", kind, ns ? ns : "", name);
	return rc;
}

/* A copy without what the server keeps for itself. */
static int clean(struct doc **out, const struct doc *obj)
{
	static const char *const meta_keys[] = { "managedFields",    "resourceVersion",
		                                 "generation",       "uid",
		                                 "selfLink",         "creationTimestamp",
		                                 "deletionTimestamp" };
	struct doc *c, *meta;
	size_t i;
	*out = NULL;
	if (!obj)
		return 0;
	if (!(c = doc_clone(obj)))
		return gs_error(GS_ENOMEM, "out of memory");
	doc_del(c, "status");
	if ((meta = doc_get(c, "metadata")) && doc_kind(meta) == DOC_MAP) {
		for (i = 0; i < sizeof(meta_keys) / sizeof(meta_keys[0]); i++)
			doc_del(meta, meta_keys[i]);
		if (doc_kind(doc_get(meta, "annotations")) == DOC_MAP &&
		    !doc_len(doc_get(meta, "annotations")))
			doc_del(meta, "annotations");
	}
	*out = c;
	return 0;
}

/* Every scalar under n (nulls aside) becomes `with`. */
static int mask_all(struct doc *n, const char *with)
{
	size_t i;
	int rc;
	if (!n)
		return 0;
	if (doc_kind(n) == DOC_MAP || doc_kind(n) == DOC_SEQ) {
		for (i = 0; i < doc_len(n); i++)
			if ((rc = mask_all(doc_val_at(n, i), with)) < 0)
				return rc;
		return 0;
	}
	if (doc_kind(n) == DOC_NULL)
		return 0;
	if ((rc = doc_set_scalar(n, DOC_STR, with, strlen(with))) < 0)
		return rc;
	doc_set_style(n, DOC_STYLE_ANY);
	return 0;
}

static int same_scalar(const struct doc *a, const struct doc *b)
{
	size_t la, lb;
	const char *ta = doc_text(a, &la), *tb = doc_text(b, &lb);
	return doc_kind(a) == doc_kind(b) && ta && tb && la == lb && !memcmp(ta, tb, la);
}

/* Mask a (before) and b (after) side by side: equal values show as MASK on both sides, values
 * that differ as MASK and MASK_CHANGED, values on one side only as MASK. */
static int mask_pair(struct doc *a, struct doc *b)
{
	size_t i;
	int rc;
	if (!a || !b)
		return (rc = mask_all(a, MASK)) < 0 ? rc : mask_all(b, MASK);
	if (doc_kind(a) == DOC_MAP && doc_kind(b) == DOC_MAP) {
		for (i = 0; i < doc_len(a); i++) {
			size_t kl;
			const char *k = doc_text(doc_key_at(a, i), &kl);
			if ((rc = mask_pair(doc_val_at(a, i), doc_getn(b, k, kl))) < 0)
				return rc;
		}
		for (i = 0; i < doc_len(b); i++) {
			size_t kl;
			const char *k = doc_text(doc_key_at(b, i), &kl);
			if (!doc_getn(a, k, kl) && (rc = mask_all(doc_val_at(b, i), MASK)) < 0)
				return rc;
		}
		return 0;
	}
	if (doc_kind(a) == DOC_SEQ && doc_kind(b) == DOC_SEQ) {
		for (i = 0; i < doc_len(a) || i < doc_len(b); i++)
			if ((rc = mask_pair(i < doc_len(a) ? doc_val_at(a, i) : NULL,
			                    i < doc_len(b) ? doc_val_at(b, i) : NULL)) < 0)
				return rc;
		return 0;
	}
	if (doc_is_scalar(a) && doc_is_scalar(b) && same_scalar(a, b))
		return (rc = mask_all(a, MASK)) < 0 ? rc : mask_all(b, MASK);
	return (rc = mask_all(a, MASK)) < 0 ? rc : mask_all(b, MASK_CHANGED);
}

static int is_core_secret(const struct doc *o)
{
	const char *av = doc_str(doc_get(o, "apiVersion")), *kind = doc_k8s_kind(o);
	return av && kind && !strcmp(av, "v1") && !strcmp(kind, "Secret");
}

static int mask(struct doc *a, struct doc *b, enum udiff_mask m)
{
	const struct doc *any = a ? a : b;
	size_t i;
	int rc;

	if (m == UDIFF_MASK_AUTO)
		m = is_core_secret(any) ? UDIFF_MASK_SECRET : UDIFF_MASK_AUTO;
	if (m == UDIFF_MASK_AUTO)
		return 0;
	if ((rc = mask_pair(doc_getp(a, "metadata", "annotations", LAST_APPLIED, NULL),
	                    doc_getp(b, "metadata", "annotations", LAST_APPLIED, NULL))) < 0)
		return rc;
	if (m == UDIFF_MASK_SECRET) {
		if ((rc = mask_pair(doc_get(a, "data"), doc_get(b, "data"))) < 0)
			return rc;
		return mask_pair(doc_get(a, "stringData"), doc_get(b, "stringData"));
	}
	/* UDIFF_MASK_ALL: every top-level field but apiVersion, kind and metadata */
	for (i = 0; i < 2; i++) {
		struct doc *s = i ? b : a, *o = i ? a : b;
		size_t j;
		for (j = 0; doc_kind(s) == DOC_MAP && j < doc_len(s); j++) {
			size_t kl;
			const char *k = doc_text(doc_key_at(s, j), &kl);
			if (!strcmp(k, "apiVersion") || !strcmp(k, "kind") ||
			    !strcmp(k, "metadata"))
				continue;
			if (i && doc_getn(o, k, kl)) /* masked with its pair already */
				continue;
			if ((rc = mask_pair(i ? doc_getn(o, k, kl) : doc_val_at(s, j),
			                    i ? doc_val_at(s, j) : doc_getn(o, k, kl))) < 0)
				return rc;
		}
	}
	return 0;
}

static int emit(struct buf *out, const struct doc *obj)
{
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	eo.flags = DOC_EMIT_SORT_KEYS;
	return obj ? doc_emit_yaml(out, obj, &eo) : 0;
}

int udiff_object(struct buf *out, const struct doc *before, const struct doc *after,
                 enum udiff_mask m, const struct udiff_opts *opts)
{
	struct doc *a = NULL, *b = NULL;
	struct buf ya = BUF_INIT_SECRET(UDIFF__OBJ_MAX), yb = BUF_INIT_SECRET(UDIFF__OBJ_MAX);
	struct buf name = BUF_INIT(4096), an = BUF_INIT(4200), bn = BUF_INIT(4200);
	struct buf hunks = BUF_INIT(UDIFF__OBJ_MAX);
	int color = opts && opts->color, rc;

	if (!before && !after)
		return 0;
	if ((rc = udiff_object_name(&name, before ? before : after)) < 0 ||
	    (rc = buf_addf(&an, "LIVE/%s", name.p)) < 0 ||
	    (rc = buf_addf(&bn, "MERGED/%s", name.p)) < 0)
		goto out;
	if ((rc = clean(&a, before)) < 0 || (rc = clean(&b, after)) < 0 ||
	    (rc = mask(a, b, m)) < 0 || (rc = emit(&ya, a)) < 0 || (rc = emit(&yb, b)) < 0)
		goto out;
	if ((rc = udiff_text(&hunks, ya.p, ya.len, yb.p, yb.len, an.p, bn.p, opts)) <= 0)
		goto out;
	if ((color && (rc = buf_adds(out, "\033[1m")) < 0) ||
	    (rc = buf_addf(out, "diff -u -N %s %s", an.p, bn.p)) < 0 ||
	    (color && (rc = buf_adds(out, "\033[m")) < 0) || (rc = buf_addc(out, '\n')) < 0 ||
	    (rc = buf_add(out, hunks.p, hunks.len)) < 0)
		goto out;
	rc = 1;
out:
	doc_free(a);
	doc_free(b);
	buf_release(&ya);
	buf_release(&yb);
	buf_release(&name);
	buf_release(&an);
	buf_release(&bn);
	buf_release(&hunks);
	return rc;
}
