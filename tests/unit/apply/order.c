/* lib/apply/order: stages, sync waves and Flux's kind order. */
#include <stdio.h>
#include <stdlib.h>

#include "test.h"

#include "apply/order.h"
#include "doc/doc.h"

/* Parse a YAML stream, order it, and write "Kind/name" of each object in order, space-separated. */
static int order_of(struct buf *out, const char *yaml, int reverse)
{
	struct doc_stream st = DOC_STREAM_INIT;
	size_t *ord = NULL, i;
	int rc;

	if ((rc = doc_parse(&st, "objs.yaml", yaml, strlen(yaml), 0, NULL)) < 0)
		return rc;
	if (!(ord = calloc(st.n + 1, sizeof(*ord)))) {
		doc_stream_release(&st);
		return GS_ENOMEM;
	}
	if ((rc = apply_order(ord, st.docs, st.n, reverse)) == 0)
		for (i = 0; i < st.n; i++)
			buf_addf(out, "%s%s/%s", i ? " " : "", doc_k8s_kind(st.docs[ord[i]]),
			         doc_k8s_name(st.docs[ord[i]]));
	free(ord);
	doc_stream_release(&st);
	return rc;
}

void test_apply_order__stages_then_flux_kind_order(void)
{
	struct buf out = BUF_INIT(4096);
	const char *y =
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\n"
	    "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: prod}\n"
	    "---\napiVersion: admissionregistration.k8s.io/v1\nkind: "
	    "ValidatingWebhookConfiguration\nmetadata: {name: vw}\n"
	    "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: prod}\n"
	    "---\napiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\n"
	    "---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\n"
	    "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: "
	    "{name: widgets.example.com}\n"
	    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: prod}\n"
	    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n"
	    "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "
	    "reader}\n"
	    "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: prod}\n";
	must_pass(order_of(&out, y, 0));
	/* CRD and Namespace first, then the cluster-scoped Class, then Flux's order; webhooks last
	 */
	assert_str(out.p,
	           "CustomResourceDefinition/widgets.example.com Namespace/prod StorageClass/fast "
	           "ClusterRole/reader ServiceAccount/app ConfigMap/cfg Secret/db Service/web "
	           "Deployment/web "
	           "Widget/w ValidatingWebhookConfiguration/vw");
	buf_reset(&out);
	must_pass(order_of(&out, y, 1));
	assert_str(out.p, "ValidatingWebhookConfiguration/vw Widget/w Deployment/web Service/web "
	                  "Secret/db ConfigMap/cfg "
	                  "ServiceAccount/app ClusterRole/reader StorageClass/fast Namespace/prod "
	                  "CustomResourceDefinition/widgets.example.com");
	buf_release(&out);
}

void test_apply_order__stable_whatever_the_input_order(void)
{
	struct buf a = BUF_INIT(4096), b = BUF_INIT(4096);
	/* same kind: by namespace then name; a namespaced "Class" kind is not a cluster class */
	must_pass(order_of(
	    &a,
	    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: b, namespace: x}\n"
	    "---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: a, namespace: y}\n"
	    "---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: a, namespace: x}\n"
	    "---\nkind: WorkClass\napiVersion: example.com/v1\nmetadata: {name: c, namespace: x}\n",
	    0));
	must_pass(order_of(
	    &b,
	    "kind: WorkClass\napiVersion: example.com/v1\nmetadata: {name: c, namespace: x}\n"
	    "---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: a, namespace: x}\n"
	    "---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: a, namespace: y}\n"
	    "---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: b, namespace: x}\n",
	    0));
	assert_str(a.p, "ConfigMap/a ConfigMap/b ConfigMap/a WorkClass/c");
	assert_str(a.p, b.p);
	buf_release(&a);
	buf_release(&b);
}

void test_apply_order__sync_wave_within_a_stage(void)
{
	struct buf out = BUF_INIT(4096);
	/* waves reorder inside a stage, never across stages: the Namespace in wave 5 still goes
	 * first */
	must_pass(
	    order_of(&out,
	             "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: early, namespace: p, "
	             "annotations: {argocd.argoproj.io/sync-wave: \"-1\"}}\n"
	             "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: p, "
	             "annotations: {argocd.argoproj.io/sync-wave: \"2\"}}\n"
	             "---\napiVersion: v1\nkind: Secret\nmetadata: {name: zero, namespace: p}\n"
	             "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: p, "
	             "annotations: {argocd.argoproj.io/sync-wave: \"5\"}}\n",
	             0));
	assert_str(out.p, "Namespace/p Deployment/early Secret/zero ConfigMap/late");
	buf_release(&out);
}

void test_apply_order__bad_sync_wave_names_the_object(void)
{
	struct buf out = BUF_INIT(4096);
	long w = 7;
	must_fail_with(
	    order_of(&out,
	             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	             "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: p\n"
	             "  annotations:\n    argocd.argoproj.io/sync-wave: \"1e3\"\n",
	             0),
	    GS_EPARSE);
	assert_str(
	    gs_error_last(),
	    "objs.yaml:11:35: ConfigMap p/cm: annotation argocd.argoproj.io/sync-wave: '1e3' "
	    "is not an integer");
	assert_int(apply_sync_wave(&w, NULL), 0);
	assert_int(w, 0);
	buf_release(&out);
}

void test_apply_order__kind_ranks(void)
{
	assert_true(apply_kind_rank("CustomResourceDefinition") < apply_kind_rank("Namespace"));
	assert_true(apply_kind_rank("Secret") < apply_kind_rank("Deployment"));
	assert_int(apply_kind_rank("Widget"), 0);
	assert_int(apply_kind_rank(NULL), 0);
	assert_true(apply_kind_rank("MutatingWebhookConfiguration") > 0);
	assert_true(apply_kind_rank("ValidatingWebhookConfiguration") >
	            apply_kind_rank("MutatingWebhookConfiguration"));
}
