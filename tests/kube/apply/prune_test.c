/*
 * apply_prune() against the real kube-apiserver: what left Git goes, in reverse
 * order; what lost our labels or says prune: disabled stays; a Namespace with
 * someone else's object in it stays (and stays in the inventory); a Namespace
 * of ours goes (Terminating is enough: the test server never finishes).
 */
#include <stdio.h>
#include <string.h>

#include "apply/apply.h"
#include "tests/kube/apply/at.h"

static const struct apply_prune_result *find(const struct apply_prune_report *r, const char *what)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->r[i].what, what))
			return &r->r[i];
	return NULL;
}

static const char *action_of(const struct apply_prune_report *r, const char *what)
{
	const struct apply_prune_result *x = find(r, what);
	if (!x)
		printf("# %s: not in the prune report\n", what);
	return x ? apply_prune_action_name(x->action) : "(none)";
}

void test_kube_apply_prune__what_left_goes_the_rest_stays(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT, s2 = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	struct apply_prune_opts po = APPLY_PRUNE_OPTS_INIT;
	struct apply_prune_report pr = APPLY_PRUNE_REPORT_INIT;
	struct inventory old_inv = INVENTORY_INIT, new_inv = INVENTORY_INIT;
	struct kube_write_opts wo = KUBE_WRITE_OPTS_INIT;
	struct doc *live = NULL, *patch, *foreign;
	const char *x = at_suffix(), *gone, *busy, *keep;
	char w[256];

	kt_setup(kc);
	gone = at_ns(x);                   /* a namespace of ours, empty once pruned */
	busy = at_fmt("t-apl-busy-%s", x); /* ours, but someone else put a ConfigMap in it */
	keep = at_fmt("t-apl-keep-%s", x); /* stays in Git */
	must_pass(at_set(
	    &s,
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n"
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n"
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stays, namespace: %s}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaves, namespace: %s}\n---\n"
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: leaves, namespace: %s}\n"
	    "spec: {replicas: 0, selector: {matchLabels: {a: b}}, template: {metadata: {labels: "
	    "{a: b}}, "
	    "spec: {containers: [{name: c, image: x}]}}}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: adopted, namespace: %s}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: precious, namespace: %s, "
	    "annotations: {gitseal.dev/prune: disabled}}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inner, namespace: %s}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inner, namespace: %s}\n",
	    gone, busy, keep, keep, keep, keep, keep, keep, gone, busy));
	o.owner_name = po.owner_name = "app-prune";
	o.owner_namespace = po.owner_namespace = "gitseal-system";
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	must_pass(apply_report_inventory(&old_inv, &rep, s.docs));
	assert_int(old_inv.n, 10);
	apply_report_release(&rep);

	/* someone takes "adopted" over (our labels removed) and adds a ConfigMap of their own to
	 * busy */
	patch =
	    kt_yaml("{metadata: {labels: {gitseal.dev/name: null, gitseal.dev/namespace: null}}}");
	wo.field_manager = "someone";
	must_pass(kube_merge_patch(NULL, kc, "v1", "ConfigMap", keep, "adopted", patch, NULL, &wo));
	doc_free(patch);
	foreign = kt_yaml(
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: theirs, namespace: %s}\n", busy);
	must_pass(kube_create(NULL, kc, foreign, NULL));
	doc_free(foreign);

	/* Git now holds only the keep namespace and its "stays" ConfigMap */
	must_pass(
	    at_set(&s2,
	           "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n"
	           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stays, namespace: %s}\n",
	           keep, keep));
	must_pass(apply_run(&rep, kc, s2.docs, s2.n, &o));
	must_pass(apply_report_inventory(&new_inv, &rep, s2.docs));
	apply_report_release(&rep);

	/* a dry run first: says the same, deletes nothing */
	po.dry_run = 1;
	must_pass(apply_prune(&pr, kc, &old_inv, &new_inv, &po));
	snprintf(w, sizeof(w), "ConfigMap %s/leaves", keep);
	assert_str(action_of(&pr, w), "pruned");
	apply_prune_report_release(&pr);
	must_pass(kube_get(&live, kc, "v1", "ConfigMap", keep, "leaves"));
	doc_free(live);
	live = NULL;

	po.dry_run = 0;
	must_pass(apply_prune(&pr, kc, &old_inv, &new_inv, &po));
	assert_int(pr.n, 8);
	/* reverse order: Deployment before ConfigMaps before Namespaces */
	assert_contains(pr.r[0].what, "Deployment");
	assert_contains(pr.r[pr.n - 1].what, "Namespace");
	snprintf(w, sizeof(w), "ConfigMap %s/leaves", keep);
	assert_str(action_of(&pr, w), "pruned");
	snprintf(w, sizeof(w), "Deployment %s/leaves", keep);
	assert_str(action_of(&pr, w), "pruned");
	snprintf(w, sizeof(w), "ConfigMap %s/adopted", keep);
	assert_str(action_of(&pr, w), "not ours");
	snprintf(w, sizeof(w), "ConfigMap %s/precious", keep);
	assert_str(action_of(&pr, w), "prune disabled");
	snprintf(w, sizeof(w), "Namespace %s", gone);
	assert_str(action_of(&pr, w), "pruned");
	snprintf(w, sizeof(w), "Namespace %s", busy);
	assert_str(action_of(&pr, w), "namespace in use");
	assert_contains(find(&pr, w)->message, "ConfigMap theirs");
	assert_int(pr.pruned, 5); /* leaves x2, the two inner ConfigMaps, the gone namespace */
	assert_int(pr.failed, 0);
	/* the busy namespace stays in the inventory, so a later run tries again */
	assert_int(pr.keep.n, 1);
	assert_str(pr.keep.e[0].id, at_fmt("_%s__Namespace", busy));

	must_fail_with(kube_get(&live, kc, "v1", "ConfigMap", keep, "leaves"), GS_ENOTFOUND);
	must_fail_with(kube_get(&live, kc, "apps/v1", "Deployment", keep, "leaves"), GS_ENOTFOUND);
	must_pass(kube_get(&live, kc, "v1", "ConfigMap", keep, "adopted"));
	doc_free(live);
	must_pass(kube_get(&live, kc, "v1", "ConfigMap", keep, "precious"));
	doc_free(live);
	must_pass(kube_get(&live, kc, "v1", "Namespace", NULL, gone));
	assert_true(doc_getp(live, "metadata", "deletionTimestamp", NULL) != NULL);
	doc_free(live);
	must_pass(kube_get(&live, kc, "v1", "Namespace", NULL, busy));
	assert_true(doc_getp(live, "metadata", "deletionTimestamp", NULL) == NULL);
	doc_free(live);
	apply_prune_report_release(&pr);

	/* again: the Terminating namespace counts as pruned, the rest is gone */
	must_pass(apply_prune(&pr, kc, &old_inv, &new_inv, &po));
	snprintf(w, sizeof(w), "Namespace %s", gone);
	assert_str(action_of(&pr, w), "pruned");
	snprintf(w, sizeof(w), "ConfigMap %s/leaves", keep);
	assert_str(action_of(&pr, w), "gone");
	apply_prune_report_release(&pr);
	inventory_release(&old_inv);
	inventory_release(&new_inv);
	doc_stream_release(&s);
	doc_stream_release(&s2);
}
