/*
 * lib/apply against the real kube-apiserver: the staged apply from zero (CRD,
 * its custom object, a Namespace and objects in it), zero writes the second
 * time (the server's own request counters say so), changes configured and
 * reported, removed fields removed (also after a kubectl-style create),
 * immutable fields, a dry run that writes nothing, drift from the server's
 * managedFields.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "apply/apply.h"
#include "tests/kube/apply/at.h"

void test_kube_apply__staged_from_zero_then_zero_writes(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT, s2 = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	struct at_counts before, after;
	struct doc *live = NULL;
	const char *x = at_suffix();
	size_t i;

	kt_setup(kc);
	/* written in reverse order on purpose: the stages sort it */
	must_pass(at_set(
	    &s,
	    "apiVersion: x%s.apl.example.com/v1\nkind: Gadget\nmetadata: {name: g1, namespace: "
	    "t-apl-%s}\nspec: {size: 3}\n---\n"
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: t-apl-%s}\n"
	    "spec:\n  replicas: 0\n  selector: {matchLabels: {app: web}}\n"
	    "  template:\n    metadata: {labels: {app: web}}\n"
	    "    spec: {containers: [{name: web, image: 'nginx:1', ports: [{containerPort: "
	    "80}]}]}\n---\n"
	    "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: t-apl-%s}\n"
	    "spec: {selector: {app: web}, ports: [{port: 80}]}\n---\n"
	    "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: "
	    "t-apl-%s}\nstringData: {password: hunter2}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: t-apl-%s}\ndata: "
	    "{a: '1', b: '2'}\n---\n"
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: t-apl-%s}\n---\n"
	    "%s",
	    x, x, x, x, x, x, x, at_crd("Gadget", "gadgets", x)));
	o.owner_name = "app1";
	o.owner_namespace = "gitseal-system";
	o.poll_interval_ms = 100;
	o.wait_timeout_ms = 30000;
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.created, 7);
	assert_int(rep.failed + rep.skipped + rep.configured + rep.unchanged, 0);
	for (i = 0; i < rep.n; i++)
		assert_str(apply_action_name(rep.r[i].action), "created");
	/* the objects carry the owner labels; stringData became data */
	must_pass(kube_get(&live, kc, "v1", "Secret", at_ns(x), "creds"));
	assert_str(doc_str(doc_getp(live, "metadata", "labels", APPLY_LABEL_NAME, NULL)), "app1");
	assert_str(doc_str(doc_getp(live, "metadata", "labels", APPLY_LABEL_NAMESPACE, NULL)),
	           "gitseal-system");
	assert_str(doc_str(doc_getp(live, "data", "password", NULL)), "aHVudGVyMg==");
	doc_free(live);
	live = NULL;
	must_pass(kube_get(&live, kc, at_gv(x), "Gadget", at_ns(x), "g1"));
	assert_str(doc_str(doc_getp(live, "metadata", "labels", APPLY_LABEL_NAME, NULL)), "app1");
	doc_free(live);
	apply_report_release(&rep);

	/* the same set again (fresh from the text): nothing is written, the server's counters agree
	 */
	must_pass(at_set(&s2, "%s", at_last_text()));
	must_pass(at_counts(&before, kc));
	must_pass(apply_run(&rep, kc, s2.docs, s2.n, &o));
	must_pass(at_counts(&after, kc));
	assert_int(rep.unchanged, 7);
	assert_int(rep.writes, 0);
	assert_int(after.writes - before.writes, 0);
	/* ... while the dry runs did reach it (so the counter can see requests) */
	assert_int(after.dry_runs - before.dry_runs, 7);
	printf("# second apply: %zu requests, %zu writes\n", rep.requests, rep.writes);
	apply_report_release(&rep);
	doc_stream_release(&s);
	doc_stream_release(&s2);
}

void test_kube_apply__changes_are_configured_and_removed_fields_go(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	struct doc *live = NULL;
	const char *x = at_suffix(), *ns;
	static const char tmpl[] =
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: t-apl-%s}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: t-apl-%s, labels: "
	    "{%s}}\ndata: {%s}\n---\n"
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: t-apl-%s}\n"
	    "spec:\n  replicas: %d\n  selector: {matchLabels: {app: web}}\n"
	    "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, "
	    "image: '%s'}]}\n";

	kt_setup(kc);
	ns = at_ns(x);
	o.owner_name = "app2";
	o.owner_namespace = "gitseal-system";
	must_pass(at_set(&s, tmpl, x, x, "team: a, tier: web", "a: '1', b: '2'", x, 1, "nginx:1"));
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.created, 3);
	apply_report_release(&rep);
	doc_stream_release(&s);

	/* a changed value, a removed data key, a removed label, other replicas and image */
	must_pass(at_set(&s, tmpl, x, x, "team: a", "a: '9'", x, 2, "nginx:2"));
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.unchanged, 1);
	assert_int(rep.configured, 2);
	assert_str(apply_action_name(rep.r[1].action), "configured");
	assert_str(at_paths(&rep.r[1].changed), ".metadata.labels.tier, .data.a, .data.b");
	assert_str(at_paths(&rep.r[2].changed),
	           ".spec.replicas, .spec.template.spec.containers[name=web].image");
	apply_report_release(&rep);
	must_pass(kube_get(&live, kc, "v1", "ConfigMap", ns, "cfg"));
	assert_str(at_json(doc_get(live, "data")), "{\"a\":\"9\"}");
	assert_true(doc_getp(live, "metadata", "labels", "tier", NULL) == NULL);
	assert_str(doc_str(doc_getp(live, "metadata", "labels", "team", NULL)), "a");
	doc_free(live);
	doc_stream_release(&s);
}

void test_kube_apply__kubectl_fields_are_taken_over(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	struct kube_write_opts wo = KUBE_WRITE_OPTS_INIT;
	struct doc *made = NULL, *live = NULL;
	const char *ns;

	kt_setup(kc);
	ns = kt_ns(kc, "apl-kubectl");
	/* what `kubectl apply` (client side) leaves: a create by kubectl-client-side-apply with the
	 * last-applied annotation */
	made = kt_yaml(
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\n  namespace: %s\n"
	    "  labels: {old: label}\n  annotations:\n    "
	    "kubectl.kubernetes.io/last-applied-configuration: |\n"
	    "      "
	    "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"1\",\"b\":\"2\"},\"kind\":\"ConfigMap\"}\n"
	    "data: {a: '1', b: '2'}\n",
	    ns);
	wo.field_manager = "kubectl-client-side-apply";
	must_pass(kube_create(NULL, kc, made, &wo));
	doc_free(made);

	/* Git now has the ConfigMap without b and without the label */
	must_pass(at_set(&s,
	                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: legacy, namespace: "
	                 "%s}\ndata: {a: '1'}\n",
	                 ns));
	o.owner_name = "app3";
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.configured, 1);
	assert_true(rep.r[0].took_over);
	apply_report_release(&rep);
	must_pass(kube_get(&live, kc, "v1", "ConfigMap", ns, "legacy"));
	assert_str(at_json(doc_get(live, "data")), "{\"a\":\"1\"}");
	assert_true(doc_getp(live, "metadata", "labels", "old", NULL) == NULL);
	assert_true(doc_getp(live, "metadata", "annotations", APPLY_ANN_LAST_APPLIED, NULL) ==
	            NULL);
	assert_true(at_has_manager(live, "kubectl-client-side-apply") == 0);
	assert_true(at_has_manager(live, "gitseal") == 1);
	doc_free(live);

	/* and the next run finds nothing to do */
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.unchanged, 1);
	assert_int(rep.writes, 0);
	apply_report_release(&rep);
	doc_stream_release(&s);
}

void test_kube_apply__immutable_fields_fail_or_recreate(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	struct doc *live = NULL;
	const char *ns, *uid1;
	char uid[64], ip1[32], ip2[32];
	unsigned r = 0;
	static const char tmpl[] =
	    "apiVersion: v1\nkind: Service\nmetadata: {name: fixed, namespace: %s%s}\n"
	    "spec: {clusterIP: %s, ports: [{port: 80}]}\n---\n"
	    "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once, namespace: %s%s}\n"
	    "spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: "
	    "'%s'}]}}}\n";

	kt_setup(kc);
	ns = kt_ns(kc, "apl-immutable");
	if (getrandom(&r, sizeof(r), 0) < 0)
		r = (unsigned)getpid();
	snprintf(ip1, sizeof(ip1), "10.0.%u.%u", 100 + (r & 63), 2 + ((r >> 8) & 127));
	snprintf(ip2, sizeof(ip2), "10.0.%u.%u", 100 + (r & 63), 130 + ((r >> 8) & 63));
	o.delete_timeout_ms = 30000;
	o.poll_interval_ms = 100;
	must_pass(at_set(&s, tmpl, ns, "", ip1, ns, "", "busybox:1"));
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.created, 2);
	apply_report_release(&rep);
	doc_stream_release(&s);
	must_pass(kube_get(&live, kc, "v1", "Service", ns, "fixed"));
	uid1 = doc_str(doc_getp(live, "metadata", "uid", NULL));
	snprintf(uid, sizeof(uid), "%s", uid1 ? uid1 : "");
	doc_free(live);
	live = NULL;

	/* without the annotation: an error naming the object and the field, nothing changed */
	must_pass(at_set(&s, tmpl, ns, "", ip2, ns, "", "busybox:2"));
	must_fail_with(apply_run(&rep, kc, s.docs, s.n, &o), GS_ERROR);
	assert_int(rep.failed, 2);
	assert_contains(rep.r[0].error, "Service");
	assert_contains(rep.r[0].error, "/fixed: immutable field spec.clusterIPs[0] changed");
	assert_contains(rep.r[0].error, "gitseal.dev/force: enabled");
	assert_contains(rep.r[1].error, "immutable field spec.template changed");
	assert_int(rep.writes, 0);
	apply_report_release(&rep);
	doc_stream_release(&s);

	/* with it: deleted and created again */
	must_pass(at_set(&s, tmpl, ns, ", annotations: {gitseal.dev/force: enabled}", ip2, ns,
	                 ", annotations: {gitseal.dev/force: enabled}", "busybox:2"));
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.configured, 2);
	assert_true(rep.r[0].recreated && rep.r[1].recreated);
	assert_str(at_paths(&rep.r[0].changed), "spec.clusterIPs[0]");
	apply_report_release(&rep);
	doc_stream_release(&s);
	must_pass(kube_get(&live, kc, "v1", "Service", ns, "fixed"));
	assert_str(doc_str(doc_getp(live, "spec", "clusterIP", NULL)), ip2);
	assert_true(strcmp(doc_str(doc_getp(live, "metadata", "uid", NULL)), uid) != 0);
	doc_free(live);
}

void test_kube_apply__dry_run_reports_and_writes_nothing(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	struct doc *live = NULL;
	const char *x = at_suffix();
	static const char tmpl[] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, "
	                           "namespace: %s}\ndata: {a: '%s'}\n";

	kt_setup(kc);
	must_pass(at_set(&s, tmpl, kt_ns(kc, "apl-dry"), "1"));
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	apply_report_release(&rep);
	{
		char ns[128];
		snprintf(ns, sizeof(ns), "%s", doc_k8s_namespace(s.docs[0]));
		doc_stream_release(&s);
		/* a change, a new object, and a new namespace with an object in it (gitseal diff)
		 */
		must_pass(at_set(
		    &s,
		    "%s---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: new, namespace: "
		    "%s}\n---\n"
		    "apiVersion: v1\nkind: Namespace\nmetadata: {name: t-apl-%s}\n---\n"
		    "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: %s}\nstringData: "
		    "{k: v}\n---\n"
		    "%s---\napiVersion: %s\nkind: Gadget\nmetadata: {name: g, namespace: %s}\n---\n"
		    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inner, namespace: "
		    "t-apl-%s}\n",
		    at_fmt(tmpl, ns, "2"), ns, x, ns, at_crd("Gadget", "gadgets", x), at_gv(x), ns,
		    x));
		o.dry_run = 1;
		o.keep_objects = 1;
		must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
		assert_int(rep.configured, 1);
		assert_int(rep.created,
		           6); /* the new CRD's Gadget and the new namespace's ConfigMap too */
		assert_int(rep.writes, 0);
		assert_str(at_paths(&rep.r[0].changed), ".data.a");
		assert_str(doc_str(doc_getp(rep.r[0].live, "data", "a", NULL)), "1");
		assert_str(doc_str(doc_getp(rep.r[0].predicted, "data", "a", NULL)), "2");
		/* the Secret: stringData folded into wiped data, the server's answer parsed into
		 * wiped memory */
		assert_true(doc_flags(doc_getp(s.docs[3], "data", "k", NULL)) & DOC_SECRET);
		assert_str(doc_str(doc_getp(rep.r[3].predicted, "data", "k", NULL)), "dg==");
		assert_true(doc_flags(doc_getp(rep.r[3].predicted, "data", "k", NULL)) &
		            DOC_SECRET);
		apply_report_release(&rep);
		must_pass(kube_get(&live, kc, "v1", "ConfigMap", ns, "cfg"));
		assert_str(doc_str(doc_getp(live, "data", "a", NULL)), "1");
		doc_free(live);
		must_fail_with(kube_get(&live, kc, "v1", "ConfigMap", ns, "new"), GS_ENOTFOUND);
		must_fail_with(kube_get(&live, kc, "v1", "Namespace", NULL, at_ns(x)),
		               GS_ENOTFOUND);
	}
	doc_stream_release(&s);
}

void test_kube_apply__drift_from_what_was_applied(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	struct apply_drift_opts d = APPLY_DRIFT_OPTS_INIT;
	struct apply_paths p = APPLY_PATHS_INIT;
	struct kube_write_opts wo = KUBE_WRITE_OPTS_INIT;
	struct doc *live = NULL, *patch;
	const char *ns;
	static const char *const replicas[] = { "/spec/replicas" };
	struct apply_ignore ign = { "apps", "Deployment", NULL, NULL, replicas, 1 };

	kt_setup(kc);
	ns = kt_ns(kc, "apl-drift");
	must_pass(at_set(&s,
	                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: "
	                 "%s, labels: {a: b}}\n"
	                 "spec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n"
	                 "  template:\n    metadata: {labels: {app: web}}\n"
	                 "    spec: {containers: [{name: web, image: 'nginx:1', ports: "
	                 "[{containerPort: 80}]}]}\n",
	                 ns));
	o.keep_applied = 1;
	o.owner_name = "app4";
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_true(rep.r[0].applied != NULL);

	/* as stored: in sync, from the projection and from the desired object as sent */
	must_pass(kube_get(&live, kc, "apps/v1", "Deployment", ns, "web"));
	assert_int(apply_drift(&p, rep.r[0].applied, live, &d), APPLY_IN_SYNC);
	assert_int(apply_drift(&p, s.docs[0], live, &d), APPLY_IN_SYNC);
	doc_free(live);
	live = NULL;

	/* a hand edit (kubectl edit: another manager) of replicas and a new annotation of someone
	 * else */
	patch = kt_yaml("{spec: {replicas: 3}, metadata: {annotations: {note: hand}}}");
	wo.field_manager = "kubectl-edit";
	must_pass(
	    kube_merge_patch(&live, kc, "apps/v1", "Deployment", ns, "web", patch, NULL, &wo));
	doc_free(patch);
	assert_int(apply_drift(&p, rep.r[0].applied, live, &d), APPLY_DRIFTED);
	assert_str(at_paths(&p), ".spec.replicas");
	apply_paths_release(&p);
	assert_int(apply_drift(&p, s.docs[0], live, &d), APPLY_DRIFTED);
	assert_str(at_paths(&p), ".spec.replicas");
	apply_paths_release(&p);
	d.ignore = &ign;
	d.nignore = 1;
	assert_int(apply_drift(&p, rep.r[0].applied, live, &d), APPLY_IN_SYNC);
	doc_free(live);
	live = NULL;

	/* the image changed by hand: drift even with replicas ignored; apply_run reverts it */
	patch = kt_yaml("{spec: {template: {spec: {containers: [{name: web, image: 'evil:1'}]}}}}");
	must_pass(
	    kube_merge_patch(&live, kc, "apps/v1", "Deployment", ns, "web", patch, NULL, &wo));
	doc_free(patch);
	assert_int(apply_drift(&p, rep.r[0].applied, live, &d), APPLY_DRIFTED);
	assert_contains(at_paths(&p), ".spec.template.spec.containers");
	apply_paths_release(&p);
	doc_free(live);
	live = NULL;
	apply_report_release(&rep);
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.configured, 1);
	must_pass(kube_get(&live, kc, "apps/v1", "Deployment", ns, "web"));
	assert_int(apply_drift(&p, rep.r[0].applied, live, NULL), APPLY_IN_SYNC);
	assert_int(doc_len(doc_getp(live, "spec", "template", "spec", "containers", NULL)), 1);
	doc_free(live);
	apply_paths_release(&p);
	apply_report_release(&rep);
	doc_stream_release(&s);
}

void test_kube_apply__deployment_health_follows_its_status(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct doc *live = NULL, *st = NULL;
	struct apply_health h;
	const char *ns;
	long long gen = 0;

	kt_setup(kc);
	ns = kt_ns(kc, "apl-health");
	must_pass(
	    at_set(&s,
	           "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: %s}\n"
	           "spec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n"
	           "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: "
	           "[{name: web, image: 'nginx:1'}]}\n",
	           ns));
	must_pass(apply_run(&rep, kc, s.docs, s.n, NULL));
	must_pass(kube_get(&live, kc, "apps/v1", "Deployment", ns, "web"));
	apply_health(&h, live, time(NULL));
	assert_int(h.status, APPLY_PROGRESSING); /* no controller-manager: no status */
	assert_contains(h.message, "Deployment ");
	doc_get_int(doc_getp(live, "metadata", "generation", NULL), &gen);
	/* what the deployment controller would write, through /status */
	st = kt_yaml(
	    "observedGeneration: %lld\nreplicas: 1\nupdatedReplicas: 1\nreadyReplicas: "
	    "1\navailableReplicas: 1\n"
	    "conditions:\n- {type: Available, status: 'True', reason: MinimumReplicasAvailable}\n"
	    "- {type: Progressing, status: 'True', reason: NewReplicaSetAvailable}\n",
	    gen);
	must_pass(doc_set(live, "status", st));
	{
		struct doc *after = NULL;
		must_pass(kube_update_status(&after, kc, live, NULL));
		apply_health(&h, after, time(NULL));
		assert_int(h.status, APPLY_HEALTHY);
		doc_free(after);
	}
	doc_free(live);
	apply_report_release(&rep);
	doc_stream_release(&s);
}

/* The cache callback: says "absent" for everything (a cold start), counting calls. */
static int cold_cache(void *ctx, const struct doc *desired, struct doc **live)
{
	(void)desired;
	(void)live;
	__atomic_add_fetch((int *)ctx, 1, __ATOMIC_RELAXED);
	return 0;
}

void test_kube_apply__many_objects_are_listed_once(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	struct kube_write_opts wo = KUBE_WRITE_OPTS_INIT;
	struct buf set = BUF_INIT(1 << 20);
	struct doc *made;
	const char *ns;
	int i, calls = 0;

	kt_setup(kc);
	ns = kt_ns(kc, "apl-many");
	/* cm7 exists already, made by kubectl's client-side apply with a key Git does not have */
	made = kt_yaml(
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm7, namespace: %s, annotations: "
	    "{kubectl.kubernetes.io/last-applied-configuration: '{}'}}\ndata: {k: '7', extra: x}\n",
	    ns);
	wo.field_manager = "kubectl-client-side-apply";
	must_pass(kube_create(NULL, kc, made, &wo));
	doc_free(made);
	for (i = 0; i < 20; i++)
		buf_addf(&set,
		         "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm%d, namespace: "
		         "%s}\ndata: {k: '%d'}\n",
		         i, ns, i);
	must_pass(at_set(&s, "%s", set.p));
	o.workers = 4;
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.created, 19);
	assert_int(rep.configured, 1);
	assert_true(rep.r[7].took_over);
	assert_str(at_paths(&rep.r[7].changed), ".data.extra");
	/* one LIST, 19 applies, for cm7: a GET, the takeover patch, a dry run and the apply */
	assert_int(rep.requests, 1 + 19 + 4);
	apply_report_release(&rep);

	/* nothing changed: one LIST and 20 dry runs, no write */
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.unchanged, 20);
	assert_int(rep.requests, 21);
	assert_int(rep.writes, 0);
	apply_report_release(&rep);
	doc_stream_release(&s);

	/* one value changed: found by digest, its paths from one GET */
	buf_reset(&set);
	for (i = 0; i < 20; i++)
		buf_addf(&set,
		         "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm%d, namespace: "
		         "%s}\ndata: {k: '%d'}\n",
		         i, ns, i == 3 ? 33 : i);
	must_pass(at_set(&s, "%s", set.p));
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(rep.configured, 1);
	assert_str(apply_action_name(rep.r[3].action), "configured");
	assert_str(at_paths(&rep.r[3].changed), ".data.k");
	assert_int(rep.writes, 1);
	apply_report_release(&rep);

	/* a cache that says "absent": no LIST, no GET, no dry run, just the applies */
	o.lookup = cold_cache;
	o.lookup_ctx = &calls;
	must_pass(apply_run(&rep, kc, s.docs, s.n, &o));
	assert_int(calls, 20);
	assert_int(rep.requests, 20);
	assert_int(rep.created, 20); /* as far as the cache knew */
	apply_report_release(&rep);
	doc_stream_release(&s);
	buf_release(&set);
}

void test_kube_apply__a_broken_object_applies_nothing(void)
{
	struct kube_client *kc;
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct doc *live = NULL;
	const char *x = at_suffix();

	kt_setup(kc);
	must_pass(at_set(
	    &s,
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: t-apl-%s}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: t-apl-%s}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: t-apl-%s}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nowhere}\n",
	    x, x, x));
	must_fail_with(apply_run(&rep, kc, s.docs, s.n, NULL), GS_ERROR);
	assert_int(rep.failed, 2);
	assert_int(rep.skipped, 2);
	assert_int(rep.requests, 0);
	assert_contains(rep.r[2].error, "apiVersion, kind and metadata.name are required");
	assert_str(rep.r[3].error,
	           "ConfigMap nowhere: namespaced object without metadata.namespace");
	assert_contains(rep.r[0].error, "not applied: another object of the set is invalid");
	must_fail_with(kube_get(&live, kc, "v1", "Namespace", NULL, at_ns(x)), GS_ENOTFOUND);
	apply_report_release(&rep);
	doc_stream_release(&s);
}
