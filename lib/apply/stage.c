/*
 * The apply order (gitops-anchors §2.5, fluxcd/pkg ssa/sort.go): stages, sync
 * waves within a stage, then Flux's kind order, then group, kind, namespace,
 * name, input position.
 *
 * TODO(lead): helper "dec" wrote the pure apply order in lib/apply/order.{c,h}
 * (branch dec, f3b326e) with these very signatures. Once it is on main, the
 * three functions below become calls into it and the rest of this file goes:
 *     apply__stage_of(o)          -> (int)apply_stage_of(o)
 *     apply__sync_wave(w, o)      -> apply_sync_wave(w, o)
 *     apply__order(ord, o, n, r)  -> apply_order(ord, o, n, r)
 */
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"

#define SYNC_WAVE "argocd.argoproj.io/sync-wave"

static const char *group_of(const struct doc *obj, char *buf, size_t n)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *slash = av ? strchr(av, '/') : NULL;
	size_t l = slash ? (size_t)(slash - av) : 0;
	if (l >= n)
		l = n - 1;
	memcpy(buf, av ? av : "", l);
	buf[l] = '\0';
	return buf;
}

int apply__stage_of(const struct doc *obj)
{
	const char *kind = doc_k8s_kind(obj), *ns = doc_k8s_namespace(obj);
	char g[256];
	size_t n;

	if (!kind)
		return APPLY__STAGE_REST;
	group_of(obj, g, sizeof(g));
	if ((!strcmp(kind, "CustomResourceDefinition") && !strcmp(g, "apiextensions.k8s.io")) ||
	    (!strcmp(kind, "Namespace") && !*g))
		return APPLY__STAGE_DEFS;
	n = strlen(kind);
	if (n > 5 && !strcmp(kind + n - 5, "Class") && (!ns || !*ns))
		return APPLY__STAGE_CLASSES;
	return APPLY__STAGE_REST;
}

int apply__sync_wave(long *wave, const struct doc *obj)
{
	const struct doc *a = doc_getp(obj, "metadata", "annotations", SYNC_WAVE, NULL);
	const char *w = doc_text(a, NULL);
	char *end;

	*wave = 0;
	if (!a || doc_kind(a) == DOC_NULL)
		return 0;
	*wave = strtol(w, &end, 10);
	if (!*w || *end) {
		*wave = 0;
		return gs_error(GS_EPARSE, "%s %s: annotation %s: '%.40s' is not an integer",
		                doc_k8s_kind(obj) ? doc_k8s_kind(obj) : "object", doc_k8s_name(obj) ? doc_k8s_name(obj) : "",
		                SYNC_WAVE, w);
	}
	return 0;
}

/* Flux's kind order (ssa/sort.go); unlisted kinds between PodDisruptionBudget and the webhooks. */
static int kind_rank(const char *kind)
{
	static const char *const first[] = {
		"CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterClass", "RuntimeClass",
		"PriorityClass", "StorageClass", "VolumeSnapshotClass", "IngressClass", "GatewayClass",
		"ClusterRoleBinding", "ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "ConfigMap",
		"Secret", "Service", "LimitRange", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
	};
	static const char *const last[] = { "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration" };
	size_t i, nf = sizeof(first) / sizeof(*first);
	for (i = 0; kind && i < nf; i++)
		if (!strcmp(kind, first[i]))
			return (int)i;
	for (i = 0; kind && i < sizeof(last) / sizeof(*last); i++)
		if (!strcmp(kind, last[i]))
			return (int)(nf + 1 + i);
	return (int)nf;
}

static int strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

struct key {
	const struct doc *obj;
	size_t index;
	int stage;
	long wave;
};

static int key_cmp(const void *pa, const void *pb)
{
	const struct key *x = pa, *y = pb;
	const struct doc *a = x->obj, *b = y->obj;
	char ga[256], gb[256];
	int c;

	if (x->stage != y->stage)
		return x->stage - y->stage;
	if (x->wave != y->wave)
		return x->wave < y->wave ? -1 : 1;
	if ((c = kind_rank(doc_k8s_kind(a)) - kind_rank(doc_k8s_kind(b))))
		return c;
	if ((c = strcmp(group_of(a, ga, sizeof(ga)), group_of(b, gb, sizeof(gb)))))
		return c;
	if ((c = strcmp0(doc_k8s_kind(a), doc_k8s_kind(b))))
		return c;
	if ((c = strcmp0(doc_k8s_namespace(a), doc_k8s_namespace(b))))
		return c;
	if ((c = strcmp0(doc_k8s_name(a), doc_k8s_name(b))))
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

int apply__order(size_t *order, struct doc *const *objs, size_t n, int reverse)
{
	struct key *keys;
	size_t i;
	int rc = 0;

	if (!n)
		return 0;
	if (!(keys = calloc(n, sizeof(*keys))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		keys[i].obj = objs[i];
		keys[i].index = i;
		keys[i].stage = apply__stage_of(objs[i]);
		if ((rc = apply__sync_wave(&keys[i].wave, objs[i])) < 0)
			goto out;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++)
		order[i] = keys[reverse ? n - 1 - i : i].index;
out:
	free(keys);
	return rc;
}
