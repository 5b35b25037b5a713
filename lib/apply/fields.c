/*
 * managedFields: the fieldsV1 sets the API server records per manager
 * (structured-merge-diff's path elements: "f:<field>", "k:<json keys>",
 * "v:<json value>", "i:<index>", and "." for the node itself). Used to compare
 * only the fields we own (drift), to keep only those (projection), and to take
 * over what kubectl's client-side apply owned (gitops-anchors §2.3).
 */
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"

#define PE_MAX (64 << 10) /* a path element's JSON (keys of a list item) */

const struct doc *apply__managed_entry(const struct doc *obj, const char *manager, const char *op)
{
	const struct doc *mf = doc_getp(obj, "metadata", "managedFields", NULL);
	size_t i;
	for (i = 0; doc_kind(mf) == DOC_SEQ && i < doc_len(mf); i++) {
		const struct doc *e = doc_val_at(mf, i);
		const char *m = doc_str(doc_get(e, "manager")),
		           *o = doc_str(doc_get(e, "operation"));
		if (m && !strcmp(m, manager) && (!op || (o && !strcmp(o, op))))
			return e;
	}
	return NULL;
}

int apply__fields_union(struct doc *dst, const struct doc *src)
{
	size_t i;
	int rc;

	if (doc_kind(dst) != DOC_MAP || doc_kind(src) != DOC_MAP)
		return 0;
	for (i = 0; i < doc_len(src); i++) {
		size_t kl;
		const char *k = doc_text(doc_key_at(src, i), &kl);
		struct doc *d = doc_getn(dst, k, kl), *c;
		if (d) {
			if ((rc = apply__fields_union(d, doc_val_at(src, i))) < 0)
				return rc;
			continue;
		}
		if (!(c = doc_clone(doc_val_at(src, i))))
			return gs_error(GS_ENOMEM, "out of memory");
		if ((rc = doc_setn(dst, k, kl, c)) < 0)
			return rc;
	}
	return 0;
}

/* A fieldset node that says only "this node" (no children to look into). */
static int fs_leaf(const struct doc *fs)
{
	size_t i;
	for (i = 0; i < doc_len(fs); i++) {
		size_t kl;
		const char *k = doc_text(doc_key_at(fs, i), &kl);
		if (!(kl == 1 && k[0] == '.'))
			return 0;
	}
	return 1;
}

static int item_has_keys(const struct doc *item, const struct doc *keys)
{
	size_t i;
	if (doc_kind(item) != DOC_MAP)
		return 0;
	for (i = 0; i < doc_len(keys); i++) {
		size_t kl;
		const char *k = doc_text(doc_key_at(keys, i), &kl);
		if (!apply__equal(doc_getn(item, k, kl), doc_val_at(keys, i)))
			return 0;
	}
	return 1;
}

long apply__fields_item(const struct doc *seq, const char *pe, size_t pelen, struct doc **keys_out)
{
	struct doc *v = NULL;
	long found = -1;
	size_t i;
	int rc;

	if (keys_out)
		*keys_out = NULL;
	if (pelen < 3 || pe[1] != ':' || pelen > PE_MAX)
		return gs_error(GS_EPARSE, "managedFields: bad path element '%.40s'", pe);
	if (pe[0] == 'i') {
		long long idx = 0;
		for (i = 2; i < pelen; i++) {
			if (pe[i] < '0' || pe[i] > '9' || idx > 100000000)
				return gs_error(GS_EPARSE, "managedFields: bad index '%.40s'", pe);
			idx = idx * 10 + (pe[i] - '0');
		}
		return (size_t)idx < doc_len(seq) ? (long)idx : -1;
	}
	if (pe[0] != 'k' && pe[0] != 'v')
		return gs_error(GS_EPARSE, "managedFields: bad path element '%.40s'", pe);
	if ((rc = doc_parse_one(&v, "managedFields", pe + 2, pelen - 2, DOC_PARSE_JSON)) < 0)
		return rc;
	if (pe[0] == 'k' && doc_kind(v) != DOC_MAP) {
		doc_free(v);
		return gs_error(GS_EPARSE, "managedFields: keys '%.40s' are not an object", pe);
	}
	for (i = 0; found < 0 && i < doc_len(seq); i++)
		if (pe[0] == 'k' ? item_has_keys(doc_val_at(seq, i), v)
		                 : apply__equal(doc_val_at(seq, i), v))
			found = (long)i;
	if (keys_out && pe[0] == 'k')
		*keys_out = v;
	else
		doc_free(v);
	return found;
}

/* The path segment of an element: ".x", "[name=web]", "[=value]", "[3]". */
static int path_elem(struct buf *path, const char *pe, size_t pelen, const struct doc *keys)
{
	if (pe[0] == 'f')
		return apply__path_key(path, pe + 2, pelen - 2);
	if (pe[0] == 'k' && keys)
		return apply__path_item(path, keys);
	if (pe[0] == 'i')
		return buf_addf(path, "[%.*s]", (int)(pelen - 2), pe + 2);
	return buf_addf(path, "[=%.*s]", (int)(pelen - 2 > 200 ? 200 : pelen - 2), pe + 2);
}

int apply__fields_walk(struct apply_paths *out, struct buf *path, const struct doc *a,
                       const struct doc *b, const struct doc *fs)
{
	size_t i, mark = path->len;
	int rc = 0;

	if (!a)
		return 0; /* nothing of ours to compare here */
	if (doc_kind(fs) != DOC_MAP || fs_leaf(fs) || doc_is_scalar(a)) {
		if (!apply__equal(a, b))
			return apply__paths_add(out, path->p);
		return 0;
	}
	if (doc_kind(a) != doc_kind(b))
		return apply__paths_add(out, path->p);
	for (i = 0; rc == 0 && i < doc_len(fs); i++) {
		size_t kl;
		const char *k = doc_text(doc_key_at(fs, i), &kl);
		const struct doc *sub = doc_val_at(fs, i), *xa = NULL, *xb = NULL;
		struct doc *keys = NULL;
		if (kl < 2 || k[1] != ':')
			continue; /* "." */
		if (k[0] == 'f' && doc_kind(a) == DOC_MAP) {
			xa = doc_getn(a, k + 2, kl - 2);
			xb = doc_getn(b, k + 2, kl - 2);
		} else if (k[0] != 'f' && doc_kind(a) == DOC_SEQ) {
			long ia = apply__fields_item(a, k, kl, &keys), ib;
			if (ia < -1) {
				rc = (int)ia;
				break;
			}
			ib = ia < 0 ? -1 : apply__fields_item(b, k, kl, NULL);
			if (ib < -1)
				rc = (int)ib;
			xa = ia >= 0 ? doc_val_at(a, (size_t)ia) : NULL;
			xb = ib >= 0 ? doc_val_at(b, (size_t)ib) : NULL;
		}
		if (rc == 0 && xa && (rc = path_elem(path, k, kl, keys)) == 0)
			rc = xb ? apply__fields_walk(out, path, xa, xb, sub)
			        : apply__paths_add(out, path->p);
		doc_free(keys);
		buf_truncate(path, mark);
	}
	return rc;
}

/* ---- projection ---- */

/* Copy the key fields of item into p if p lacks them (a projected list item keeps its identity). */
static int keep_keys(struct doc *p, const struct doc *item, const struct doc *keys)
{
	size_t i;
	int rc;
	for (i = 0; i < doc_len(keys); i++) {
		size_t kl;
		const char *k = doc_text(doc_key_at(keys, i), &kl);
		struct doc *c;
		if (doc_getn(p, k, kl))
			continue;
		if (!(c = doc_clone(doc_getn(item, k, kl))))
			continue;
		if ((rc = doc_setn(p, k, kl, c)) < 0)
			return rc;
	}
	return 0;
}

int apply__fields_project(struct doc **out, const struct doc *n, const struct doc *fs)
{
	struct doc *r = NULL;
	size_t i, j;
	int rc = 0;

	*out = NULL;
	if (doc_kind(fs) != DOC_MAP || fs_leaf(fs) || doc_is_scalar(n)) {
		if (!(*out = doc_clone(n)))
			return gs_error(GS_ENOMEM, "out of memory");
		return 0;
	}
	if (!(r = doc_kind(n) == DOC_MAP ? doc_new_map() : doc_new_seq()))
		return gs_error(GS_ENOMEM, "out of memory");
	if (doc_kind(n) == DOC_MAP) {
		for (i = 0; rc == 0 && i < doc_len(fs); i++) {
			size_t kl;
			const char *k = doc_text(doc_key_at(fs, i), &kl);
			const struct doc *v;
			struct doc *p = NULL;
			if (kl < 2 || k[0] != 'f' || k[1] != ':' ||
			    !(v = doc_getn(n, k + 2, kl - 2)))
				continue;
			if ((rc = apply__fields_project(&p, v, doc_val_at(fs, i))) == 0)
				rc = doc_setn(r, k + 2, kl - 2, p);
		}
	} else {
		/* the items of n that fs names, in n's order */
		for (j = 0; rc == 0 && j < doc_len(n); j++) {
			for (i = 0; rc == 0 && i < doc_len(fs); i++) {
				size_t kl;
				const char *k = doc_text(doc_key_at(fs, i), &kl);
				struct doc *keys = NULL, *p = NULL;
				long at;
				if (kl < 2 || k[0] == 'f' || k[0] == '.' || k[1] != ':')
					continue;
				if ((at = apply__fields_item(n, k, kl, &keys)) < -1) {
					rc = (int)at;
					break;
				}
				if (at == (long)j) {
					rc = apply__fields_project(&p, doc_val_at(n, j),
					                           doc_val_at(fs, i));
					if (rc == 0 && keys && doc_kind(p) == DOC_MAP)
						rc = keep_keys(p, doc_val_at(n, j), keys);
					if (rc == 0)
						rc = doc_push(r, p);
					else
						doc_free(p);
					doc_free(keys);
					break;
				}
				doc_free(keys);
			}
		}
	}
	if (rc < 0) {
		doc_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* ---- a fieldset from a plain desired object ---- */

/* The key field names a hint list node uses (its first "k:" entry), or NULL. */
static struct doc *hint_keys(const struct doc *hint)
{
	size_t i;
	for (i = 0; i < doc_len(hint); i++) {
		size_t kl;
		const char *k = doc_text(doc_key_at(hint, i), &kl);
		struct doc *v = NULL;
		if (kl > 2 && k[0] == 'k' && k[1] == ':' &&
		    doc_parse_one(&v, "managedFields", k + 2, kl - 2, DOC_PARSE_JSON) == 0) {
			if (doc_kind(v) == DOC_MAP && doc_len(v))
				return v;
			doc_free(v);
		}
	}
	return NULL;
}

/* The hint subtree of the k: entry whose keys item carries. */
static const struct doc *hint_item(const struct doc *hint, const struct doc *item)
{
	size_t i;
	for (i = 0; i < doc_len(hint); i++) {
		size_t kl;
		const char *k = doc_text(doc_key_at(hint, i), &kl);
		struct doc *v = NULL;
		int match;
		if (kl < 3 || k[0] != 'k' ||
		    doc_parse_one(&v, "managedFields", k + 2, kl - 2, DOC_PARSE_JSON) < 0)
			continue;
		match = doc_kind(v) == DOC_MAP && item_has_keys(item, v);
		doc_free(v);
		if (match)
			return doc_val_at(hint, i);
	}
	return NULL;
}

static int derive_rec(struct doc **out, const struct doc *d, const struct doc *hint,
                      unsigned depth);

/* A list: keyed like the hint, or by a unique "name", else atomic (NULL = leaf). */
static int derive_list(struct doc *r, const struct doc *d, const struct doc *hint, unsigned depth,
                       int *atomic)
{
	struct doc *names = hint_keys(hint), *keys = NULL;
	struct buf pe = BUF_INIT(PE_MAX);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT | DOC_EMIT_SORT_KEYS };
	size_t i, j;
	int rc = 0, by_name = 0;

	*atomic = 0;
	if (!names) {
		for (i = 0; i < doc_len(d); i++)
			if (!doc_str(doc_get(doc_val_at(d, i), "name")))
				break;
		by_name = doc_len(d) && i == doc_len(d);
		if (!by_name) {
			*atomic = 1;
			return 0;
		}
	}
	for (i = 0; rc == 0 && i < doc_len(d); i++) {
		const struct doc *item = doc_val_at(d, i);
		struct doc *sub = NULL;
		if (!(keys = doc_new_map())) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			break;
		}
		if (by_name) {
			rc = doc_set(keys, "name", doc_clone(doc_get(item, "name")));
		} else {
			for (j = 0; rc == 0 && j < doc_len(names); j++) {
				size_t kl;
				const char *k = doc_text(doc_key_at(names, j), &kl);
				const struct doc *v = doc_getn(item, k, kl);
				if (!v) { /* an item without a key field: compare the list as a
					     whole */
					*atomic = 1;
					break;
				}
				rc = doc_setn(keys, k, kl, doc_clone(v));
			}
		}
		if (rc < 0 || *atomic)
			break;
		buf_reset(&pe);
		if ((rc = buf_adds(&pe, "k:")) < 0 || (rc = doc_emit_json(&pe, keys, &eo)) < 0)
			break;
		if ((rc = derive_rec(&sub, item, hint_item(hint, item), depth + 1)) == 0)
			rc = doc_setn(r, pe.p, pe.len, sub);
		doc_free(keys);
		keys = NULL;
	}
	doc_free(keys);
	doc_free(names);
	buf_release(&pe);
	return rc;
}

static int derive_rec(struct doc **out, const struct doc *d, const struct doc *hint, unsigned depth)
{
	struct doc *r = doc_new_map();
	struct buf key = BUF_INIT(PE_MAX);
	size_t i;
	int rc = 0, atomic = 0;

	*out = NULL;
	if (!r)
		return gs_error(GS_ENOMEM, "out of memory");
	if (depth > 256)
		rc = gs_error(GS_ETOOBIG, "object nested deeper than 256 levels");
	else if (doc_kind(d) == DOC_MAP) {
		for (i = 0; rc == 0 && i < doc_len(d); i++) {
			size_t kl;
			const char *k = doc_text(doc_key_at(d, i), &kl);
			struct doc *sub = NULL;
			buf_reset(&key);
			if ((rc = buf_adds(&key, "f:")) < 0 || (rc = buf_add(&key, k, kl)) < 0)
				break;
			if ((rc = derive_rec(&sub, doc_val_at(d, i), doc_getn(hint, key.p, key.len),
			                     depth + 1)) == 0)
				rc = doc_setn(r, key.p, key.len, sub);
		}
	} else if (doc_kind(d) == DOC_SEQ) {
		rc = derive_list(r, d, hint, depth, &atomic);
		if (rc == 0 && atomic) { /* a leaf: the whole list */
			doc_free(r);
			r = doc_new_map();
			rc = r ? 0 : gs_error(GS_ENOMEM, "out of memory");
		}
	}
	buf_release(&key);
	if (rc < 0) {
		doc_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int apply__fields_derive(struct doc **out, const struct doc *desired, const struct doc *hint)
{
	return derive_rec(out, desired, hint, 0);
}

/* ---- kubectl takeover ---- */

/* Managers whose fields we take over, with the operation ("" = any). */
static int takeover_source(const struct doc *e)
{
	static const char *const src[][2] = {
		{ "kubectl-client-side-apply", "" },
		{ "kubectl", "Update" },
		{ "kubectl", "Apply" },
		{ "before-first-apply", "Update" },
	};
	const char *m = doc_str(doc_get(e, "manager")), *o = doc_str(doc_get(e, "operation"));
	size_t i;
	for (i = 0; m && i < sizeof(src) / sizeof(*src); i++)
		if (!strcmp(m, src[i][0]) && (!*src[i][1] || (o && !strcmp(o, src[i][1]))))
			return 1;
	return 0;
}

int apply__needs_takeover(const struct doc *live)
{
	const struct doc *mf = doc_getp(live, "metadata", "managedFields", NULL);
	size_t i;
	if (doc_getp(live, "metadata", "annotations", APPLY_ANN_LAST_APPLIED, NULL))
		return 1;
	for (i = 0; i < doc_len(mf) && doc_kind(mf) == DOC_SEQ; i++)
		if (takeover_source(doc_val_at(mf, i)))
			return 1;
	return 0;
}

int apply__takeover_patch(struct doc **patch, const struct doc *live, const char *manager,
                          const char *api_version)
{
	const struct doc *mf = doc_getp(live, "metadata", "managedFields", NULL);
	struct doc *p = NULL, *meta = NULL, *list = NULL, *ours = NULL, *fs;
	size_t i;
	int rc = 0;

	*patch = NULL;
	if (!apply__needs_takeover(live))
		return 0;
	if (!(p = doc_new_map()) || !(meta = doc_new_map()) || !(list = doc_new_seq())) {
		rc = GS_ENOMEM;
		goto out;
	}
	if ((ours = doc_clone(apply__managed_entry(live, manager, "Apply")))) {
		doc_del(ours, "time");
	} else if (!(ours = doc_new_map()) || doc_set(ours, "manager", doc_new_strz(manager)) < 0 ||
	           doc_set(ours, "operation", doc_new_strz("Apply")) < 0 ||
	           doc_set(ours, "apiVersion", doc_new_strz(api_version)) < 0 ||
	           doc_set(ours, "fieldsType", doc_new_strz("FieldsV1")) < 0) {
		rc = GS_ENOMEM;
		goto out;
	}
	if (!(fs = doc_get(ours, "fieldsV1")) || doc_kind(fs) != DOC_MAP) {
		if (doc_set(ours, "fieldsV1", doc_new_map()) < 0) {
			rc = GS_ENOMEM;
			goto out;
		}
		fs = doc_get(ours, "fieldsV1");
	}
	for (i = 0; i < doc_len(mf) && doc_kind(mf) == DOC_SEQ; i++) {
		const struct doc *e = doc_val_at(mf, i);
		const char *m = doc_str(doc_get(e, "manager")),
		           *o = doc_str(doc_get(e, "operation"));
		struct doc *c;
		if (takeover_source(e)) {
			if ((rc = apply__fields_union(fs, doc_get(e, "fieldsV1"))) < 0)
				goto out;
			continue;
		}
		if (m && !strcmp(m, manager) && o && !strcmp(o, "Apply"))
			continue; /* replaced by ours below */
		if (!(c = doc_clone(e)) || doc_push(list, c) < 0) {
			rc = GS_ENOMEM;
			goto out;
		}
	}
	/* the annotation goes away with this patch: no one should own it */
	doc_del(doc_getp(fs, "f:metadata", "f:annotations", NULL), "f:" APPLY_ANN_LAST_APPLIED);
	rc = doc_push(list, ours);
	ours = NULL;
	if (rc == 0) {
		rc = doc_set(meta, "managedFields", list);
		list = NULL;
	}
	if (rc == 0 && doc_getp(live, "metadata", "annotations", APPLY_ANN_LAST_APPLIED, NULL)) {
		struct doc *ann = doc_new_map();
		if (!ann || doc_set(ann, APPLY_ANN_LAST_APPLIED, doc_new_null()) < 0 ||
		    doc_set(meta, "annotations", ann) < 0)
			rc = GS_ENOMEM;
	}
	if (rc == 0 && doc_getp(live, "metadata", "resourceVersion", NULL))
		rc = doc_set(meta, "resourceVersion",
		             doc_clone(doc_getp(live, "metadata", "resourceVersion", NULL)));
	if (rc == 0) {
		rc = doc_set(p, "metadata", meta);
		meta = NULL;
	}
	if (rc == 0) {
		*patch = p;
		p = NULL;
	}
out:
	doc_free(ours);
	doc_free(list);
	doc_free(meta);
	doc_free(p);
	return rc < 0 ? gs_error(GS_ENOMEM, "out of memory") : 0;
}
