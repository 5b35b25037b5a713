/* lib/apply: normalisation before sending and comparing, ignoreDifferences, diff paths. */
#include "util.h"

void test_apply_normalize__secret_string_data_folds_into_data_and_stays_secret(void)
{
	struct doc *s = y("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\n"
	                  "data: {a: YWFh, b: b2xk}\nstringData: {b: new, c: hello}\n");
	assert_true(s != NULL);
	must_pass(apply_normalize(s));
	assert_true(doc_get(s, "stringData") == NULL);
	assert_str(doc_str(doc_getp(s, "data", "a", NULL)), "YWFh");
	assert_str(doc_str(doc_getp(s, "data", "b", NULL)),
	           "bmV3"); /* stringData wins, as in the API */
	assert_str(doc_str(doc_getp(s, "data", "c", NULL)), "aGVsbG8=");
	assert_true(doc_flags(doc_getp(s, "data", "c", NULL)) & DOC_SECRET);
	doc_free(s);
	s = y("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: [x]\n");
	must_fail_with(apply_normalize(s), GS_EINVAL);
	assert_contains(gs_error_last(), "Secret s: stringData: not a map");
	doc_free(s);
}

void test_apply_normalize__ports_get_tcp_in_services_and_pod_templates(void)
{
	struct doc *d = y(
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: n}\n"
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - {name: a, ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP}]}\n"
	    "      initContainers: [{name: i, ports: [{containerPort: 9}]}]\n");
	struct doc *svc =
	    y("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n");
	struct doc *cj = y("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n"
	                   "spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: x, "
	                   "ports: [{containerPort: 1}]}]}}}}}\n");
	must_pass(apply_normalize(d));
	must_pass(apply_normalize(svc));
	must_pass(apply_normalize(cj));
	assert_str(json(doc_getp(d, "spec", "template", "spec", NULL)),
	           "{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"protocol\":"
	           "\"TCP\"},"
	           "{\"containerPort\":53,\"protocol\":\"UDP\"}]}],"
	           "\"initContainers\":[{\"name\":\"i\",\"ports\":[{\"containerPort\":9,"
	           "\"protocol\":\"TCP\"}]}]}");
	assert_str(json(doc_getp(svc, "spec", "ports", NULL)),
	           "[{\"port\":80,\"protocol\":\"TCP\"}]");
	assert_str(
	    doc_str(doc_getp(
	        doc_val_at(doc_getp(doc_val_at(doc_getp(cj, "spec", "jobTemplate", "spec",
	                                                "template", "spec", "containers", NULL),
	                                       0),
	                            "ports", NULL),
	                   0),
	        "protocol", NULL)),
	    "TCP");
	doc_free(d);
	doc_free(svc);
	doc_free(cj);
}

void test_apply_normalize__comparable_keeps_labels_annotations_and_drops_status(void)
{
	struct doc *live =
	    y("apiVersion: apps/v1\nkind: Deployment\n"
	      "metadata:\n  name: w\n  namespace: n\n  uid: 1\n  resourceVersion: '5'\n  "
	      "generation: 2\n"
	      "  labels: {app: w}\n  annotations: "
	      "{kubectl.kubernetes.io/last-applied-configuration: '{}', x: y}\n"
	      "  managedFields: [{manager: m}]\n"
	      "spec: {template: {metadata: {creationTimestamp: null}, spec: {containers: []}}}\n"
	      "status: {replicas: 1}\n");
	struct doc *crd = y("apiVersion: apiextensions.k8s.io/v1\nkind: "
	                    "CustomResourceDefinition\nmetadata: {name: a.b}\n"
	                    "status: {acceptedNames: {kind: A}}\n");
	struct doc *c = NULL;
	must_pass(apply_comparable(&c, live, NULL, 0));
	assert_str(json(c), "{\"apiVersion\":\"apps/"
	                    "v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":\"w\"},"
	                    "\"annotations\":{\"x\":\"y\"}},\"spec\":{\"template\":{\"metadata\":{}"
	                    ",\"spec\":{\"containers\":[]}}}}");
	doc_free(c);
	must_pass(apply_comparable(&c, crd, NULL, 0)); /* a CRD's status is compared */
	assert_true(doc_getp(c, "status", "acceptedNames", NULL) != NULL);
	doc_free(c);
	doc_free(live);
	doc_free(crd);
}

void test_apply_normalize__ignore_rules_match_and_strip_pointers(void)
{
	static const char *const ptrs[] = { "/spec/replicas", "/metadata/labels/a~1b",
		                            "/spec/ports/1", "/nope/x" };
	struct apply_ignore rules[] = {
		{ "apps", "Deployment", NULL, NULL, ptrs, 2 },
		{ "", "Service", "s", "n", ptrs + 2, 2 },
		{ "*", "*", "other", NULL, ptrs, 1 },
	};
	struct doc *d = y("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: "
	                  "n, labels: {a/b: 1, c: 2}}\n"
	                  "spec: {replicas: 3, paused: false}\n");
	struct doc *s = y("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n}\n"
	                  "spec: {ports: [{port: 1}, {port: 2}, {port: 3}]}\n");
	struct doc *s2 = y("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: "
	                   "other}\nspec: {replicas: 1}\n");

	assert_true(apply_ignore_matches(&rules[0], d));
	assert_true(!apply_ignore_matches(&rules[0], s));
	assert_true(apply_ignore_matches(&rules[1], s));
	assert_true(!apply_ignore_matches(&rules[1], s2)); /* other namespace */
	must_pass(apply_ignore_strip(d, rules, 3));
	must_pass(apply_ignore_strip(s, rules, 3));
	must_pass(apply_ignore_strip(s2, rules, 3));
	assert_str(json(doc_get(d, "spec")), "{\"paused\":false}");
	assert_str(json(doc_getp(d, "metadata", "labels", NULL)), "{\"c\":2}");
	assert_str(json(doc_get(s, "spec")), "{\"ports\":[{\"port\":1},{\"port\":3}]}");
	assert_str(json(doc_get(s2, "spec")), "{\"replicas\":1}");
	doc_free(d);
	doc_free(s);
	doc_free(s2);
}

void test_apply_normalize__diff_names_changed_paths(void)
{
	struct apply_paths p = APPLY_PATHS_INIT;
	struct doc *a =
	    y("spec:\n  replicas: 1\n  containers: [{name: web, image: a:1}, {name: side, image: "
	      "s}]\n"
	      "  args: [x, y]\n  labels: {app.kubernetes.io/name: a}\n  same: 1.0\n  gone: null\n");
	struct doc *b = y(
	    "spec:\n  replicas: 2\n  containers: [{name: side, image: s}, {name: web, image: a:2}, "
	    "{name: new}]\n"
	    "  args: [x, z, w]\n  labels: {app.kubernetes.io/name: b}\n  same: 1\n  added: true\n");
	assert_int(apply_diff(&p, a, b), 7);
	assert_str(
	    joined(&p),
	    ".spec.replicas, .spec.containers[name=web].image, .spec.containers[name=new], "
	    ".spec.args[1], .spec.args[2], .spec.labels[\"app.kubernetes.io/name\"], .spec.added");
	apply_paths_release(&p);
	assert_int(apply_diff(&p, a, a), 0);
	apply_paths_release(&p);
	doc_free(a);
	doc_free(b);
}

void test_apply_normalize__diff_caps_the_kept_paths(void)
{
	struct apply_paths p = APPLY_PATHS_INIT;
	struct buf ya = BUF_INIT(1 << 16), yb = BUF_INIT(1 << 16);
	struct doc *a, *b;
	int i;
	for (i = 0; i < 40; i++) {
		buf_addf(&ya, "k%d: 1\n", i);
		buf_addf(&yb, "k%d: 2\n", i);
	}
	a = y(ya.p);
	b = y(yb.p);
	assert_int(apply_diff(&p, a, b), 40);
	assert_int(p.n, APPLY_MAX_PATHS);
	assert_contains(joined(&p), "(and 8 more)");
	apply_paths_release(&p);
	doc_free(a);
	doc_free(b);
	buf_release(&ya);
	buf_release(&yb);
}

void test_apply_normalize__values_compare_as_kubernetes_sees_them(void)
{
	struct doc *a =
	    y("{i: 1, f: 1.5, s: '1', b: true, n: null, t: 2001-12-14, m: {x: 1, y: 2}}");
	struct doc *b = y("{m: {y: 2, x: 1.0}, t: '2001-12-14', b: true, s: '1', f: 1.50, i: 1.0}");
	struct doc *c = y("{i: '1', e: {}, l: []}");
	assert_true(apply__equal(a, b));
	assert_true(!apply__equal(doc_get(a, "i"), doc_get(c, "i"))); /* 1 is not "1" */
	assert_true(apply__equal(doc_get(c, "e"), NULL)); /* {} and [] are as good as absent */
	assert_true(apply__equal(doc_get(c, "l"), doc_get(a, "n")));
	assert_true(!apply__equal(doc_get(a, "s"), doc_get(a, "i")));
	doc_free(a);
	doc_free(b);
	doc_free(c);
}
