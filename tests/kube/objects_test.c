/* CRDs and discovery, status, leases, events, RBAC-restricted identities (real server). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "tests/kube/kt.h"

static int wait_established(struct kube_client *kc, const char *name)
{
	int i;
	for (i = 0; i < 100; i++) {
		struct doc *crd = NULL;
		const struct doc *conds;
		size_t j;
		if (kube_get(&crd, kc, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL,
		             name) < 0)
			return -1;
		conds = doc_getp(crd, "status", "conditions", NULL);
		for (j = 0; j < doc_len(conds); j++) {
			const struct doc *c = doc_val_at(conds, j);
			if (!strcmp(doc_str(doc_get(c, "type")) ? doc_str(doc_get(c, "type")) : "",
			            "Established") &&
			    !strcmp(doc_str(doc_get(c, "status")) ? doc_str(doc_get(c, "status"))
			                                          : "",
			            "True")) {
				doc_free(crd);
				return 0;
			}
		}
		doc_free(crd);
		usleep(100000);
	}
	return -1;
}

static struct doc *crd_doc(const char *group, const char *kind, const char *plural)
{
	return kt_yaml(
	    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
	    "metadata: {name: %s.%s}\n"
	    "spec:\n  group: %s\n  scope: Namespaced\n"
	    "  names: {kind: %s, plural: %s, singular: %.*s, listKind: %sList}\n"
	    "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
	    "    subresources: {status: {}}\n"
	    "    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n"
	    "          spec: {type: object, properties: {size: {type: integer}}}\n"
	    "          status: {type: object, properties: {ready: {type: boolean}}}\n",
	    plural, group, group, kind, plural, (int)strlen(plural) - 1, plural, kind);
}

/* Discovery serves a new CRD's group a moment after Established (README: about 0.5 s). */
static int discover_soon(struct kube_resource *r, struct kube_client *kc, const char *gv,
                         const char *kind)
{
	int i, rc = GS_ENOTFOUND;
	for (i = 0; i < 50 && rc == GS_ENOTFOUND; i++)
		if ((rc = kube_discover(r, kc, gv, kind)) == GS_ENOTFOUND)
			usleep(100000);
	return rc;
}

void test_kube_objects__discovery_finds_a_fresh_crd_and_status_is_separate(void)
{
	struct kube_client *kc;
	struct kube_resource r = { 0 };
	struct doc *crd = NULL, *w = NULL, *live = NULL, *got = NULL, *p = NULL;
	char group[64], gv[128], name[128];
	const char *ns;
	unsigned rnd = 0;
	int i, rc = -1;

	kt_setup(kc);
	ns = kt_ns(kc, "crd");
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (unsigned)getpid();
	snprintf(group, sizeof(group), "t%06x.kt.example.com", rnd & 0xffffff);
	snprintf(gv, sizeof(gv), "%s/v1", group);

	/* not served yet */
	must_fail_with(kube_discover(&r, kc, gv, "Widget"), GS_ENOTFOUND);
	crd = crd_doc(group, "Widget", "widgets");
	must_pass(kube_create(NULL, kc, crd, NULL));
	snprintf(name, sizeof(name), "widgets.%s", group);
	must_pass(wait_established(kc, name));
	must_pass(discover_soon(&r, kc, gv, "Widget"));
	assert_str(r.plural, "widgets");
	assert_true(r.namespaced);
	assert_true(r.has_status);
	kube_resource_release(&r);

	/* a second kind in the same (now cached) group/version: a miss refreshes the cache */
	doc_free(crd);
	crd = crd_doc(group, "Gadget", "gadgets");
	must_pass(kube_create(NULL, kc, crd, NULL));
	snprintf(name, sizeof(name), "gadgets.%s", group);
	must_pass(wait_established(kc, name));
	must_pass(discover_soon(&r, kc, gv, "Gadget"));
	assert_str(r.plural, "gadgets");
	kube_resource_release(&r);

	/* a custom object: apply spec, then status through the subresource only */
	w = kt_yaml(
	    "apiVersion: %s\nkind: Widget\nmetadata: {name: w1, namespace: %s}\nspec: {size: 3}\n",
	    gv, ns);
	for (i = 0; i < 50 && (rc = kube_apply(&live, kc, w, NULL)) == GS_ENOTFOUND; i++)
		usleep(100000); /* the resource answers a moment after Established */
	must_pass(rc);
	must_pass(doc_set(live, "status", kt_yaml("ready: true\n")));
	must_pass(doc_set(doc_get(live, "spec"), "size", doc_new_int(99)));
	must_pass(kube_update_status(&got, kc, live, NULL));
	doc_free(got);
	got = NULL;
	must_pass(kube_get(&got, kc, gv, "Widget", ns, "w1"));
	assert_str(doc_text(doc_getp(got, "status", "ready", NULL), NULL), "true");
	assert_str(doc_text(doc_getp(got, "spec", "size", NULL), NULL),
	           "3"); /* status ignores spec */
	doc_free(got);
	got = NULL;
	p = kt_yaml("status: {ready: false}\n");
	must_pass(kube_merge_patch(&got, kc, gv, "Widget", ns, "w1", p, "status", NULL));
	assert_str(doc_text(doc_getp(got, "status", "ready", NULL), NULL), "false");

	/* clean up the cluster-scoped CRDs (their deletion completes inside the apiserver) */
	snprintf(name, sizeof(name), "widgets.%s", group);
	must_pass(kube_delete(kc, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, name,
	                      NULL));
	snprintf(name, sizeof(name), "gadgets.%s", group);
	must_pass(kube_delete(kc, "apiextensions.k8s.io/v1", "CustomResourceDefinition", NULL, name,
	                      NULL));
	kube_discovery_invalidate(kc);
	doc_free(crd);
	doc_free(w);
	doc_free(live);
	doc_free(got);
	doc_free(p);
}

static const char *holder_of(struct kube_client *kc, const char *ns, struct doc **keep)
{
	doc_free(*keep);
	*keep = NULL;
	if (kube_get(keep, kc, "coordination.k8s.io/v1", "Lease", ns, "leader") < 0)
		return NULL;
	return doc_str(doc_getp(*keep, "spec", "holderIdentity", NULL));
}

void test_kube_objects__lease_acquire_renew_contend_release_expire(void)
{
	struct kube_client *kc;
	struct kube_lease a = { NULL, "leader", "replica-a", 15 },
	                  b = { NULL, "leader", "replica-b", 1 };
	struct doc *l = NULL;
	char *renew1 = NULL;
	long long tr = -1;
	int leader = -1;

	kt_setup(kc);
	a.ns = b.ns = kt_ns(kc, "lease");
	must_pass(kube_lease_acquire(kc, &a, &leader));
	assert_int(leader, 1);
	assert_str(holder_of(kc, a.ns, &l), "replica-a");
	renew1 = strdup(doc_str(doc_getp(l, "spec", "renewTime", NULL)));
	assert_true(strlen(renew1) == 27 &&
	            renew1[19] == '.'); /* MicroTime: 2024-01-02T03:04:05.123456Z */
	usleep(20000);
	must_pass(kube_lease_acquire(kc, &a, &leader));
	assert_int(leader, 1);
	holder_of(kc, a.ns, &l);
	assert_true(strcmp(doc_str(doc_getp(l, "spec", "renewTime", NULL)), renew1) != 0);

	/* b cannot take a live lease */
	must_pass(kube_lease_acquire(kc, &b, &leader));
	assert_int(leader, 0);
	assert_str(holder_of(kc, a.ns, &l), "replica-a");

	/* a gives it up: b takes it at once, one transition */
	must_pass(kube_lease_release(kc, &a));
	must_pass(kube_lease_acquire(kc, &b, &leader));
	assert_int(leader, 1);
	assert_str(holder_of(kc, a.ns, &l), "replica-b");
	doc_get_int(doc_getp(l, "spec", "leaseTransitions", NULL), &tr);
	assert_int(tr, 1);

	/* b stops renewing its 1 s lease: a takes over after it expired */
	must_pass(kube_lease_acquire(kc, &a, &leader));
	assert_int(leader, 0);
	sleep(2);
	must_pass(kube_lease_acquire(kc, &a, &leader));
	assert_int(leader, 1);
	assert_str(holder_of(kc, a.ns, &l), "replica-a");
	free(renew1);
	doc_free(l);
}

void test_kube_objects__events_are_created_and_counted(void)
{
	struct kube_client *kc;
	struct doc *cm = NULL, *live = NULL, *evs = NULL;
	const struct doc *items, *e;
	long long count = 0;
	const char *ns;

	kt_setup(kc);
	ns = kt_ns(kc, "events");
	cm = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: target, namespace: %s}\n",
	             ns);
	must_pass(kube_create(&live, kc, cm, NULL));
	must_pass(kube_event(kc, live, "Warning", "UnsealFailed", "no key could decrypt it",
	                     "gitseal-controller"));
	must_pass(kube_event(kc, live, "Warning", "UnsealFailed", "no key could decrypt it",
	                     "gitseal-controller"));
	must_pass(kube_event(kc, live, "Normal", "Unsealed", "secret target updated",
	                     "gitseal-controller"));
	must_pass(kube_list(&evs, kc, "v1", "Event", ns, NULL));
	items = doc_get(evs, "items");
	assert_int(doc_len(items), 2);
	e = doc_val_at(items, 0);
	if (strcmp(doc_str(doc_get(e, "reason")), "UnsealFailed"))
		e = doc_val_at(items, 1);
	assert_str(doc_str(doc_get(e, "reason")), "UnsealFailed");
	assert_str(doc_str(doc_get(e, "type")), "Warning");
	assert_str(doc_str(doc_get(e, "message")), "no key could decrypt it");
	doc_get_int(doc_get(e, "count"), &count);
	assert_int(count, 2);
	assert_str(doc_str(doc_getp(e, "involvedObject", "name", NULL)), "target");
	assert_str(doc_str(doc_getp(e, "involvedObject", "kind", NULL)), "ConfigMap");
	assert_str(doc_str(doc_getp(e, "involvedObject", "uid", NULL)),
	           doc_str(doc_getp(live, "metadata", "uid", NULL)));
	assert_str(doc_str(doc_getp(e, "source", "component", NULL)), "gitseal-controller");
	doc_free(cm);
	doc_free(live);
	doc_free(evs);
}

/* A ServiceAccount that may only read ConfigMaps in its namespace. */
static int make_robot(struct kube_client *kc, const char *ns)
{
	struct doc *d[3];
	int i, rc = 0;
	d[0] = kt_yaml(
	    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot, namespace: %s}\n", ns);
	d[1] = kt_yaml(
	    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: cm-reader, "
	    "namespace: %s}\n"
	    "rules: [{apiGroups: [''], resources: [configmaps], verbs: [get, list, watch]}]\n",
	    ns);
	d[2] =
	    kt_yaml("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
	            "metadata: {name: robot-reads, namespace: %s}\n"
	            "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}\n"
	            "subjects: [{kind: ServiceAccount, name: robot, namespace: %s}]\n",
	            ns, ns);
	for (i = 0; i < 3; i++) {
		if (rc == 0)
			rc = kube_create(NULL, kc, d[i], NULL);
		doc_free(d[i]);
	}
	return rc;
}

static void check_robot(struct kube_client *robot, const char *ns)
{
	struct doc *l = NULL;
	char want[256];
	must_pass(kube_list(&l, robot, "v1", "ConfigMap", ns, NULL));
	doc_free(l);
	l = NULL;
	must_fail_with(kube_list(&l, robot, "v1", "Secret", ns, NULL), GS_EAUTH);
	snprintf(want, sizeof(want),
	         "User \"system:serviceaccount:%s:robot\" cannot list resource \"secrets\"", ns);
	assert_contains(gs_error_last(), want);
	assert_contains(gs_error_last(), "(Forbidden, 403)");
	assert_true(l == NULL);
}

void test_kube_objects__restricted_identity_gets_forbidden_with_the_message(void)
{
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_client *kc, *robot = NULL;
	struct buf path = BUF_INIT(4096), out = BUF_INIT_SECRET(1 << 20);
	struct doc *resp = NULL;
	const char *ns;
	char user[256];

	kt_setup(kc);
	ns = kt_ns(kc, "rbac");
	must_pass(make_robot(kc, ns));

	/* 1. the admin impersonating the ServiceAccount (the kubeconfig's "as") */
	must_pass(kube_config_load(&cfg, &ov));
	snprintf(user, sizeof(user), "system:serviceaccount:%s:robot", ns);
	cfg.impersonate_user = strdup(user);
	must_pass(kube_client_new(&robot, &cfg, NULL));
	check_robot(robot, ns);
	kube_client_free(robot);
	robot = NULL;

	/* 2. a TokenRequest token for it */
	buf_addf(&path, "/api/v1/namespaces/%s/serviceaccounts/robot/token", ns);
	{
		const char *body =
		    "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\","
		    "\"spec\":{\"expirationSeconds\":600}}";
		struct kube_request rq = { "POST", path.p, NULL, body, strlen(body), 0 };
		assert_int(kube_request(kc, &rq, &out), 201);
	}
	must_pass(doc_parse_one(&resp, "token", out.p, out.len, DOC_PARSE_JSON | DOC_PARSE_SECRET));
	free(cfg.impersonate_user);
	cfg.impersonate_user = NULL;
	gs_free_secret_str(cfg.token);
	cfg.token = strdup(doc_str(doc_getp(resp, "status", "token", NULL)));
	must_pass(kube_client_new(&robot, &cfg, NULL));
	check_robot(robot, ns);
	kube_client_free(robot);
	kube_config_release(&cfg);
	doc_free(resp);
	buf_release(&path);
	buf_release(&out);
}
