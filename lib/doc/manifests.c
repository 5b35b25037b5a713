/*
 * Manifest streams: the one reader of Kubernetes objects out of YAML/JSON text
 * (files of a plain directory, kubectl kustomize and helm template output,
 * `gitseal kube apply -f`, kubeseal's input). See doc.h.
 *
 * Lists are flattened as kubectl's FlattenListVisitor does: recursively (a
 * List of Lists, bounded), items detached from the parsed tree without a copy
 * (each node holds its own reference on the arena, so the List can go).
 */
#include <stdlib.h>
#include <string.h>

#include "doc/doc_int.h"

#define LIST_DEPTH_MAX 8

int doc_list_add(struct doc_list *list, struct doc *obj)
{
	int rc;

	if ((rc = doc__grow((void **)&list->objs, &list->cap, list->n + 1, sizeof(*list->objs))) <
	    0) {
		doc_free(obj);
		return rc;
	}
	list->objs[list->n++] = obj;
	return 0;
}

int doc_list_splice(struct doc_list *to, struct doc_list *from)
{
	int rc;

	if (!from->n)
		return 0;
	if (!to->n) {
		/* the common case: hand the array over */
		struct doc_list t = *to;
		*to = *from;
		*from = t;
		return 0;
	}
	if ((rc = doc__grow((void **)&to->objs, &to->cap, to->n + from->n, sizeof(*to->objs))) < 0)
		return rc;
	memcpy(to->objs + to->n, from->objs, from->n * sizeof(*from->objs));
	to->n += from->n;
	from->n = 0;
	return 0;
}

void doc_list_release(struct doc_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++)
		doc_free(list->objs[i]);
	free(list->objs);
	memset(list, 0, sizeof(*list));
}

int doc_manifests_are_json(const char *src, size_t len)
{
	size_t i = 0;

	if (!src)
		return 0;
	if (len >= 3 && !memcmp(src, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r' ||
	                   src[i] == '\v' || src[i] == '\f'))
		i++;
	return i < len && src[i] == '{';
}

static const char *kind_word(const struct doc *d)
{
	switch (doc_kind(d)) {
	case DOC_SEQ: return "a sequence";
	case DOC_STR: return "a string";
	case DOC_NULL: return "null";
	case DOC_MAP: return "a mapping";
	default: return "a scalar";
	}
}

static const char *where(const struct doc *d, const char *file)
{
	const char *f = doc_file(d);
	return f && *f ? f : file && *file ? file : "<input>";
}

static int is_list(const struct doc *obj)
{
	const char *kind = doc_str(doc_get(obj, "kind"));
	size_t n = kind ? strlen(kind) : 0;
	const struct doc *items = doc_get(obj, "items");

	if (!kind || n < 4 || strcmp(kind + n - 4, "List"))
		return 0;
	/* kubectl's meta.IsListType: an `items` field; `kind: List` alone is an empty list */
	return (items && (doc_kind(items) == DOC_SEQ || doc_kind(items) == DOC_NULL)) ||
	       (!items && !strcmp(kind, "List"));
}

static int check_object(const struct doc *obj, const char *file, unsigned flags)
{
	struct doc_mark m = doc_start(obj);
	const struct doc *v;

	if (!(flags & DOC_MANIFEST_REQUIRE_KIND))
		return 0;
	v = doc_get(obj, "apiVersion");
	if (!doc_str(v) || !*doc_str(v))
		return gs_error(GS_EPARSE, "%s:%u:%u: not a Kubernetes object: %s",
		                where(obj, file), m.line, m.col,
		                v ? "apiVersion is not a string" : "no apiVersion");
	v = doc_get(obj, "kind");
	if (!doc_str(v) || !*doc_str(v))
		return gs_error(GS_EPARSE, "%s:%u:%u: not a Kubernetes object: %s",
		                where(obj, file), m.line, m.col,
		                v ? "kind is not a string" : "no kind");
	return 0;
}

/* Append obj (owned) or, for a List, its items; obj is consumed on every path. */
static int take(struct doc_list *out, struct doc *obj, const char *file, unsigned flags, int depth)
{
	struct doc_mark m = doc_start(obj);
	struct doc *items;
	size_t i;
	int rc = 0;

	if (doc_kind(obj) != DOC_MAP) {
		rc = gs_error(GS_EPARSE,
		              "%s:%u:%u: not a Kubernetes object: %s instead of a mapping",
		              where(obj, file), m.line, m.col, kind_word(obj));
		doc_free(obj);
		return rc;
	}
	if (!is_list(obj)) {
		if ((rc = check_object(obj, file, flags)) < 0) {
			doc_free(obj);
			return rc;
		}
		return doc_list_add(out, obj);
	}
	if (depth >= LIST_DEPTH_MAX) {
		rc = gs_error(GS_EPARSE, "%s:%u:%u: Lists nested deeper than %d levels",
		              where(obj, file), m.line, m.col, LIST_DEPTH_MAX);
		doc_free(obj);
		return rc;
	}
	items = doc_get(obj, "items");
	for (i = 0; rc >= 0 && items && items->kind == DOC_SEQ && i < items->len; i++) {
		struct doc *it = items->kids[i];
		items->kids[i] = NULL; /* detached: the node keeps its own arena reference */
		if (!it || it->kind == DOC_NULL) {
			struct doc_mark im = it ? it->start : m;
			rc = gs_error(GS_EPARSE, "%s:%u:%u: %s items[%zu] is empty",
			              where(obj, file), im.line, im.col,
			              doc_str(doc_get(obj, "kind")), i);
			doc_free(it);
			break;
		}
		rc = take(out, it, file, flags, depth + 1);
	}
	doc_free(obj); /* NULL entries of items are fine for doc_free */
	return rc;
}

int doc_read_manifests(struct doc_list *list, const char *file, const char *src, size_t len,
                       unsigned flags)
{
	struct doc_stream s = DOC_STREAM_INIT;
	struct doc_list got = DOC_LIST_INIT;
	unsigned pf = flags & DOC_PARSE_SECRET;
	size_t i;
	int rc;

	if (doc_manifests_are_json(src, len))
		pf |= DOC_PARSE_JSON;
	if ((rc = doc_parse(&s, file, src, len, pf, NULL)) < 0)
		return rc;
	for (i = 0; i < s.n && rc >= 0; i++) {
		struct doc *d = s.docs[i];
		s.docs[i] = NULL;
		if (flags & DOC_MANIFEST_AS_WRITTEN)
			rc = doc_list_add(&got, d);
		else if (!d || d->kind == DOC_NULL)
			doc_free(d); /* an empty document, or `null` */
		else
			rc = take(&got, d, file, flags, 0);
	}
	doc_stream_release(&s);
	if (rc >= 0) {
		size_t n = got.n;
		if ((rc = doc_list_splice(list, &got)) >= 0)
			rc = n > (size_t)0x7fffffff ? 0x7fffffff : (int)n;
	}
	doc_list_release(&got);
	return rc;
}
