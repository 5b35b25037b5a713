/* The apply order: stages, sync waves, Flux's kind order. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "apply/order.h"
#include "core/error.h"
#include "doc/doc.h"

/* fluxcd/pkg ssa/sort.go (v0.77) computeKind2index: orderFirst ranks
 * -len..-1, orderLast 1..len, every other kind 0. */
static const char *const kinds_first[] = {
	"CustomResourceDefinition",
	"Namespace",
	"ClusterRole",
	"ClusterClass",
	"RuntimeClass",
	"PriorityClass",
	"StorageClass",
	"VolumeSnapshotClass",
	"IngressClass",
	"GatewayClass",
	"ClusterRoleBinding",
	"ResourceQuota",
	"ServiceAccount",
	"Role",
	"RoleBinding",
	"ConfigMap",
	"Secret",
	"Service",
	"LimitRange",
	"Deployment",
	"StatefulSet",
	"CronJob",
	"PodDisruptionBudget",
};
static const char *const kinds_last[] = { "MutatingWebhookConfiguration",
	                                  "ValidatingWebhookConfiguration" };

#define NFIRST (sizeof(kinds_first) / sizeof(kinds_first[0]))
#define NLAST (sizeof(kinds_last) / sizeof(kinds_last[0]))

int apply_kind_rank(const char *kind)
{
	size_t i;
	if (!kind)
		return 0;
	for (i = 0; i < NFIRST; i++)
		if (!strcmp(kind, kinds_first[i]))
			return -(int)NFIRST + (int)i;
	for (i = 0; i < NLAST; i++)
		if (!strcmp(kind, kinds_last[i]))
			return 1 + (int)i;
	return 0;
}

/* The API group of apiVersion "group/version" ("" for the core group's "v1"). */
static void group_of(const struct doc *obj, const char **g, size_t *glen)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *slash;
	*g = "";
	*glen = 0;
	if (av && (slash = strchr(av, '/'))) {
		*g = av;
		*glen = (size_t)(slash - av);
	}
}

static int group_is(const struct doc *obj, const char *want)
{
	const char *g;
	size_t n;
	group_of(obj, &g, &n);
	return n == strlen(want) && !memcmp(g, want, n);
}

enum apply_stage apply_stage_of(const struct doc *obj)
{
	const char *kind = doc_k8s_kind(obj), *ns = doc_k8s_namespace(obj);
	size_t n;

	if (!kind)
		return APPLY_STAGE_OBJECTS;
	if ((!strcmp(kind, "CustomResourceDefinition") && group_is(obj, "apiextensions.k8s.io")) ||
	    (!strcmp(kind, "Namespace") && group_is(obj, "")))
		return APPLY_STAGE_DEFINITIONS;
	n = strlen(kind);
	if (n > 5 && !strcmp(kind + n - 5, "Class") && (!ns || !*ns))
		return APPLY_STAGE_CLASSES;
	return APPLY_STAGE_OBJECTS;
}

int apply_sync_wave(long *wave, const struct doc *obj)
{
	const struct doc *a = doc_getp(obj, "metadata", "annotations", APPLY_ANNO_SYNC_WAVE, NULL);
	const char *s = doc_text(a, NULL), *p;
	char *end;
	long v;

	*wave = 0;
	if (!a || doc_kind(a) == DOC_NULL)
		return 0;
	/* strconv.Atoi's syntax: an optional sign, then decimal digits */
	p = s + (*s == '+' || *s == '-');
	if (*p < '0' || *p > '9')
		goto bad;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno == ERANGE || v < INT_MIN || v > INT_MAX)
		goto bad;
	*wave = v;
	return 0;
bad:
	return gs_error(
	    GS_EPARSE, "%s:%u:%u: %s %s%s%s: annotation %s: '%s' is not an integer", doc_file(a),
	    doc_start(a).line, doc_start(a).col, doc_k8s_kind(obj) ? doc_k8s_kind(obj) : "object",
	    doc_k8s_namespace(obj) ? doc_k8s_namespace(obj) : "", doc_k8s_namespace(obj) ? "/" : "",
	    doc_k8s_name(obj) ? doc_k8s_name(obj) : "", APPLY_ANNO_SYNC_WAVE, s);
}

struct order_key {
	const struct doc *obj;
	size_t index;
	int stage;
	long wave;
	int rank;
};

static int strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct order_key *a = pa, *b = pb;
	const char *ga, *gb;
	size_t la, lb;
	int c;

	if (a->stage != b->stage)
		return a->stage < b->stage ? -1 : 1;
	if (a->wave != b->wave)
		return a->wave < b->wave ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	group_of(a->obj, &ga, &la);
	group_of(b->obj, &gb, &lb);
	if ((c = memcmp(ga, gb, la < lb ? la : lb)) || la != lb)
		return c ? c : la < lb ? -1 : 1;
	if ((c = strcmp0(doc_k8s_kind(a->obj), doc_k8s_kind(b->obj))) ||
	    (c = strcmp0(doc_k8s_namespace(a->obj), doc_k8s_namespace(b->obj))) ||
	    (c = strcmp0(doc_k8s_name(a->obj), doc_k8s_name(b->obj))))
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

int apply_order(size_t *order, struct doc *const *objs, size_t n, int reverse)
{
	struct order_key *keys;
	size_t i;
	int rc = 0;

	if (!n)
		return 0;
	if (!(keys = calloc(n, sizeof(*keys))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		keys[i].obj = objs[i];
		keys[i].index = i;
		keys[i].stage = apply_stage_of(objs[i]);
		keys[i].rank = apply_kind_rank(doc_k8s_kind(objs[i]));
		if ((rc = apply_sync_wave(&keys[i].wave, objs[i])) < 0)
			goto out;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++)
		order[i] = keys[reverse ? n - 1 - i : i].index;
out:
	free(keys);
	return rc;
}
