/* lib/apply: managedFields sets, projection, drift against what we applied, kubectl takeover. */
#include "util.h"

/* A Deployment as the API server stores it after `gitseal` applied replicas, a label, one container
 * (image, name, one port) and someone else (kube-controller-manager style) added an annotation. */
static const char applied_yaml[] =
    "apiVersion: apps/v1\nkind: Deployment\n"
    "metadata:\n  name: web\n  namespace: prod\n  uid: u1\n  resourceVersion: '10'\n  generation: "
    "1\n"
    "  labels: {app: web, gitseal.dev/name: app}\n"
    "  annotations: {deployment.kubernetes.io/revision: '1'}\n"
    "  managedFields:\n"
    "  - manager: gitseal\n    operation: Apply\n    apiVersion: apps/v1\n    fieldsType: "
    "FieldsV1\n"
    "    fieldsV1:\n"
    "      f:metadata: {f:labels: {f:app: {}, f:gitseal.dev/name: {}}}\n"
    "      f:spec:\n        f:replicas: {}\n"
    "        f:template:\n          f:spec:\n            f:containers:\n"
    "              k:{\"name\":\"web\"}:\n                .: {}\n                f:image: {}\n     "
    "           f:name: {}\n"
    "                f:ports:\n                  k:{\"containerPort\":80,\"protocol\":\"TCP\"}:\n"
    "                    .: {}\n                    f:containerPort: {}\n                    "
    "f:protocol: {}\n"
    "  - manager: kube-controller-manager\n    operation: Update\n    apiVersion: apps/v1\n    "
    "fieldsType: FieldsV1\n"
    "    fieldsV1: {f:metadata: {f:annotations: {f:deployment.kubernetes.io/revision: {}}}}\n"
    "spec:\n  replicas: 2\n  progressDeadlineSeconds: 600\n"
    "  template:\n    spec:\n      containers:\n"
    "      - name: web\n        image: web:1\n        imagePullPolicy: IfNotPresent\n"
    "        ports: [{containerPort: 80, protocol: TCP}]\n"
    "status: {replicas: 2}\n";

static struct doc *live_with(const char *from, const char *to)
{
	struct buf b = BUF_INIT(1 << 16);
	const char *p = strstr(applied_yaml, from);
	struct doc *d;
	buf_add(&b, applied_yaml, p - applied_yaml);
	buf_adds(&b, to);
	buf_adds(&b, p + strlen(from));
	d = y(b.p);
	buf_release(&b);
	return d;
}

void test_apply_drift__projection_keeps_only_our_fields(void)
{
	struct doc *live = y(applied_yaml), *p = NULL;
	must_pass(apply_project(&p, live, NULL));
	assert_str(json(doc_get(p, "spec")),
	           "{\"replicas\":2,\"template\":{\"spec\":{\"containers\":"
	           "[{\"image\":\"web:1\",\"name\":\"web\",\"ports\":[{\"containerPort\":80,"
	           "\"protocol\":\"TCP\"}]}]}}}");
	assert_str(json(doc_getp(p, "metadata", "labels", NULL)),
	           "{\"app\":\"web\",\"gitseal.dev/name\":\"app\"}");
	assert_true(doc_getp(p, "metadata", "annotations", NULL) == NULL); /* not ours */
	assert_true(doc_get(p, "status") == NULL);
	assert_str(doc_str(doc_getp(p, "metadata", "uid", NULL)), "u1");
	assert_int(doc_len(doc_getp(p, "metadata", "managedFields", NULL)), 1);
	doc_free(p);
	must_fail_with(apply_project(&p, live, "nobody"), GS_ENOTFOUND);
	doc_free(live);
}

static int drift(struct apply_paths *p, const struct doc *applied, const struct doc *live,
                 const struct apply_ignore *ign, size_t n)
{
	struct apply_drift_opts o = APPLY_DRIFT_OPTS_INIT;
	o.ignore = ign;
	o.nignore = n;
	apply_paths_release(p);
	return apply_drift(p, applied, live, &o);
}

void test_apply_drift__only_our_fields_count(void)
{
	struct apply_paths p = APPLY_PATHS_INIT;
	struct doc *applied = y(applied_yaml), *proj = NULL, *live;

	must_pass(apply_project(&proj, applied, NULL));
	/* the same object: in sync, from the full object or from the projection */
	assert_int(drift(&p, applied, applied, NULL, 0), APPLY_IN_SYNC);
	assert_int(drift(&p, proj, applied, NULL, 0), APPLY_IN_SYNC);
	/* someone else's annotation, a defaulted field and the status move: not ours, no drift */
	live = live_with("deployment.kubernetes.io/revision: '1'",
	                 "deployment.kubernetes.io/revision: '2', other: x");
	assert_int(drift(&p, proj, live, NULL, 0), APPLY_IN_SYNC);
	doc_free(live);
	live = live_with("status: {replicas: 2}", "status: {replicas: 0}");
	assert_int(drift(&p, proj, live, NULL, 0), APPLY_IN_SYNC);
	doc_free(live);
	/* a sidecar added by someone else (a new list item) is no drift either */
	live = live_with("        ports: [{containerPort: 80, protocol: TCP}]\n",
	                 "        ports: [{containerPort: 80, protocol: TCP}]\n      - {name: "
	                 "side, image: s}\n");
	assert_int(drift(&p, proj, live, NULL, 0), APPLY_IN_SYNC);
	doc_free(live);
	/* our fields changed or removed: drift, with the paths */
	live = live_with("replicas: 2\n  progress", "replicas: 5\n  progress");
	assert_int(drift(&p, proj, live, NULL, 0), APPLY_DRIFTED);
	assert_str(joined(&p), ".spec.replicas");
	doc_free(live);
	live = live_with("image: web:1", "image: evil:1");
	assert_int(drift(&p, applied, live, NULL, 0), APPLY_DRIFTED);
	assert_str(joined(&p), ".spec.template.spec.containers[name=web].image");
	doc_free(live);
	live = live_with("app: web, gitseal.dev/name: app", "gitseal.dev/name: app");
	assert_int(drift(&p, proj, live, NULL, 0), APPLY_DRIFTED);
	assert_str(joined(&p), ".metadata.labels.app");
	doc_free(live);
	live = live_with("ports: [{containerPort: 80, protocol: TCP}]",
	                 "ports: [{containerPort: 81, protocol: TCP}]");
	assert_int(drift(&p, proj, live, NULL, 0), APPLY_DRIFTED);
	assert_str(joined(&p),
	           ".spec.template.spec.containers[name=web].ports[containerPort=80,protocol=TCP]");
	doc_free(live);
	/* gone */
	assert_int(drift(&p, proj, NULL, NULL, 0), APPLY_DRIFTED);
	apply_paths_release(&p);
	doc_free(proj);
	doc_free(applied);
}

void test_apply_drift__ignore_differences_hide_paths(void)
{
	static const char *const replicas[] = { "/spec/replicas" };
	static const char *const image[] = { "/spec/template/spec/containers/0/image" };
	struct apply_ignore rules[] = {
		{ "apps", "Deployment", NULL, NULL, replicas, 1 },
		{ "apps", "Deployment", "other", NULL, image, 1 },
	};
	struct apply_paths p = APPLY_PATHS_INIT;
	struct doc *applied = y(applied_yaml),
	           *live = live_with("replicas: 2\n  progress", "replicas: 5\n  progress");

	assert_int(drift(&p, applied, live, rules, 2), APPLY_IN_SYNC);
	doc_free(live);
	live = live_with("image: web:1",
	                 "image: evil:1"); /* the image rule names another Deployment */
	assert_int(drift(&p, applied, live, rules, 2), APPLY_DRIFTED);
	rules[1].name = "web";
	assert_int(drift(&p, applied, live, rules, 2), APPLY_IN_SYNC);
	apply_paths_release(&p);
	doc_free(live);
	doc_free(applied);
}

void test_apply_drift__from_the_desired_object_as_sent(void)
{
	struct apply_paths p = APPLY_PATHS_INIT;
	/* what we sent: no managedFields, no protocol on the port (the server defaults it) */
	struct doc *desired =
	    y("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod, "
	      "labels: {app: web, gitseal.dev/name: app}}\n"
	      "spec: {replicas: 2, template: {spec: {containers: [{name: web, image: 'web:1', "
	      "ports: [{containerPort: 80}]}]}}}\n");
	struct doc *live = y(applied_yaml), *bare;

	assert_int(drift(&p, desired, live, NULL, 0), APPLY_IN_SYNC);
	doc_free(live);
	live = live_with("image: web:1", "image: web:2");
	assert_int(drift(&p, desired, live, NULL, 0), APPLY_DRIFTED);
	assert_str(joined(&p), ".spec.template.spec.containers[name=web].image");
	doc_free(live);
	live = live_with("ports: [{containerPort: 80, protocol: TCP}]",
	                 "ports: [{containerPort: 80, protocol: UDP}]");
	assert_int(drift(&p, desired, live, NULL, 0), APPLY_DRIFTED);
	assert_str(joined(&p),
	           ".spec.template.spec.containers[name=web].ports[containerPort=80,protocol=TCP]");
	doc_free(live);
	/* a live object without our managedFields entry: only a dry run can tell */
	bare = y("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: "
	         "prod}\nspec: {replicas: 2}\n");
	assert_int(drift(&p, desired, bare, NULL, 0), APPLY_DRIFT_UNKNOWN);
	apply_paths_release(&p);
	doc_free(bare);
	doc_free(desired);
}

void test_apply_drift__fields_items_and_bad_elements(void)
{
	struct doc *seq = y("[{name: a, port: 1}, {name: b, port: 2}, x, 7]"), *keys = NULL;
	static const char k[] = "k:{\"name\":\"b\"}", v[] = "v:7", i2[] = "i:2", bad[] = "q:1",
	                  badk[] = "k:[1]";
	assert_int(apply__fields_item(seq, k, strlen(k), &keys), 1);
	assert_str(json(keys), "{\"name\":\"b\"}");
	doc_free(keys);
	assert_int(apply__fields_item(seq, v, strlen(v), NULL), 3);
	assert_int(apply__fields_item(seq, i2, strlen(i2), NULL), 2);
	assert_int(apply__fields_item(seq, "i:9", 3, NULL), -1);
	must_fail_with((int)apply__fields_item(seq, bad, strlen(bad), NULL), GS_EPARSE);
	must_fail_with((int)apply__fields_item(seq, badk, strlen(badk), NULL), GS_EPARSE);
	doc_free(seq);
}

/* kubectl create with client-side apply, then our takeover patch */
void test_apply_drift__takeover_folds_kubectl_fields_into_ours(void)
{
	struct doc *live = y(
	    "apiVersion: v1\nkind: ConfigMap\n"
	    "metadata:\n  name: c\n  namespace: n\n  resourceVersion: '7'\n"
	    "  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}', keep: me}\n"
	    "  managedFields:\n"
	    "  - {manager: kubectl-client-side-apply, operation: Update, apiVersion: v1, "
	    "fieldsType: FieldsV1,\n"
	    "     fieldsV1: {f:data: {.: {}, f:a: {}, f:b: {}}, f:metadata: {f:annotations: {.: "
	    "{}, "
	    "f:kubectl.kubernetes.io/last-applied-configuration: {}}}}}\n"
	    "  - {manager: gitseal, operation: Apply, apiVersion: v1, fieldsType: FieldsV1, time: "
	    "'2020-01-01T00:00:00Z',\n"
	    "     fieldsV1: {f:data: {f:c: {}}}}\n"
	    "  - {manager: kubectl-edit, operation: Update, apiVersion: v1, fieldsType: FieldsV1,\n"
	    "     fieldsV1: {f:metadata: {f:annotations: {f:keep: {}}}}}\n"
	    "data: {a: '1', b: '2', c: '3'}\n");
	struct doc *patch = NULL, *plain;
	assert_true(apply__needs_takeover(live));
	must_pass(apply__takeover_patch(&patch, live, "gitseal", "v1"));
	assert_true(patch != NULL);
	assert_str(json(patch),
	           "{\"metadata\":{\"managedFields\":["
	           "{\"manager\":\"kubectl-edit\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
	           "\"fieldsType\":\"FieldsV1\","
	           "\"fieldsV1\":{\"f:metadata\":{\"f:annotations\":{\"f:keep\":{}}}}},"
	           "{\"manager\":\"gitseal\",\"operation\":\"Apply\",\"apiVersion\":\"v1\","
	           "\"fieldsType\":\"FieldsV1\","
	           "\"fieldsV1\":{\"f:data\":{\"f:c\":{},\".\":{},\"f:a\":{},\"f:b\":{}},\"f:"
	           "metadata\":{\"f:annotations\":{\".\":{}}}}}],"
	           "\"annotations\":{\"kubectl.kubernetes.io/"
	           "last-applied-configuration\":null},\"resourceVersion\":\"7\"}}");
	doc_free(patch);
	plain = y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, managedFields: [{manager: "
	          "kubectl-edit, operation: Update}]}\n");
	assert_true(!apply__needs_takeover(plain));
	must_pass(apply__takeover_patch(&patch, plain, "gitseal", "v1"));
	assert_true(patch == NULL);
	doc_free(plain);
	doc_free(live);
}
