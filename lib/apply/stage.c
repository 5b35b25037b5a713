/*
 * The apply order (gitops-anchors §2.5, fluxcd/pkg ssa/sort.go): stages, sync
 * waves within a stage, then Flux's kind order.
 *
 * TODO(lead): helper "dec" writes the pure apply order in lib/apply/order.{c,h};
 * once it is on main, these three functions become thin calls into it (or go).
 */
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"

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

long apply__wave_of(const struct doc *obj)
{
	const char *w = doc_str(doc_getp(obj, "metadata", "annotations", "argocd.argoproj.io/sync-wave", NULL));
	char *end;
	long v;
	if (!w || !*w)
		return 0;
	v = strtol(w, &end, 10);
	return *end ? 0 : v;
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

int apply__order_cmp(const struct doc *a, const struct doc *b)
{
	char ga[256], gb[256];
	long wa, wb;
	int c;

	if ((c = apply__stage_of(a) - apply__stage_of(b)))
		return c;
	wa = apply__wave_of(a);
	wb = apply__wave_of(b);
	if (wa != wb)
		return wa < wb ? -1 : 1;
	if ((c = kind_rank(doc_k8s_kind(a)) - kind_rank(doc_k8s_kind(b))))
		return c;
	if ((c = strcmp(group_of(a, ga, sizeof(ga)), group_of(b, gb, sizeof(gb)))))
		return c;
	if ((c = strcmp0(doc_k8s_kind(a), doc_k8s_kind(b))))
		return c;
	if ((c = strcmp0(doc_k8s_namespace(a), doc_k8s_namespace(b))))
		return c;
	return strcmp0(doc_k8s_name(a), doc_k8s_name(b));
}
