/* The client against the real API server: configs, CRUD, errors, paged lists, timing. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "core/file.h"
#include "tests/kube/kt.h"

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* GET /version through a client: the server is the 1.20 one. */
static void check_version(struct kube_client *kc)
{
	struct kube_request rq = { "GET", "/version", NULL, NULL, 0, 0 };
	struct buf out = BUF_INIT(1 << 20);
	int rc = kube_request(kc, &rq, &out);
	if (rc != 200)
		fail_("GET /version: %d %s", rc, gs_error_last());
	assert_contains(out.p, "\"gitVersion\": \"v1.20");
	buf_release(&out);
}

void test_kube_client__kubeconfig_with_token(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_client *kc = NULL;

	if (!kt_client())
		skip_("no API server");
	must_pass(kube_config_load(&cfg, &ov));
	assert_str(cfg.server, kt_env("KUBE_API_URL"));
	assert_true(cfg.token && !strcmp(cfg.token, kt_env("KUBE_API_TOKEN")));
	assert_true(cfg.ca_pem.len > 0);
	assert_str(cfg.ns, "default");
	must_pass(kube_client_new(&kc, &cfg, NULL));
	check_version(kc);
	kube_client_free(kc);
	kube_config_release(&cfg);
}

void test_kube_client__kubeconfig_with_client_cert_files_and_data(void)
{
	struct buf cert = BUF_INIT(1 << 20), key = BUF_INIT_SECRET(1 << 20),
	           yaml = BUF_INIT_SECRET(1 << 20);
	struct buf c64 = BUF_INIT(1 << 20), k64 = BUF_INIT_SECRET(1 << 20);
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_client *kc = NULL;
	const char *path;

	if (!kt_client())
		skip_("no API server");
	/* paths, relative to the kubeconfig's directory */
	must_pass(file_read(&cert, kt_env("KUBE_API_CLIENT_CERT")));
	must_pass(file_read(&key, kt_env("KUBE_API_CLIENT_KEY")));
	kt_write_tmp("admin.crt", cert.p, cert.len);
	kt_write_tmp("admin.key", key.p, key.len);
	buf_addf(
	    &yaml,
	    "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
	    "clusters: [{name: k, cluster: {server: '%s', certificate-authority: '%s'}}]\n"
	    "users: [{name: u, user: {client-certificate: admin.crt, client-key: admin.key}}]\n"
	    "contexts: [{name: c, context: {cluster: k, user: u, namespace: kube-system}}]\n",
	    kt_env("KUBE_API_URL"), kt_env("KUBE_API_CA"));
	path = kt_write_tmp("cert.kubeconfig", yaml.p, yaml.len);
	ov.kubeconfig = path;
	must_pass(kube_client_from_env(&kc, &ov, NULL));
	assert_str(kube_client_namespace(kc), "kube-system");
	check_version(kc);
	{ /* and it is authenticated: listing namespaces needs a user with rights */
		struct doc *l = NULL;
		must_pass(kube_list(&l, kc, "v1", "Namespace", NULL, NULL));
		assert_true(doc_len(doc_get(l, "items")) >= 3);
		doc_free(l);
	}
	kube_client_free(kc);
	kc = NULL;

	/* the same inline (-data) */
	base64_encode(&c64, cert.p, cert.len, B64_PAD);
	base64_encode(&k64, key.p, key.len, B64_PAD);
	buf_reset(&yaml);
	buf_addf(&yaml,
	         "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
	         "clusters: [{name: k, cluster: {server: '%s', certificate-authority: '%s'}}]\n"
	         "users: [{name: u, user: {client-certificate-data: %s, client-key-data: %s}}]\n"
	         "contexts: [{name: c, context: {cluster: k, user: u}}]\n",
	         kt_env("KUBE_API_URL"), kt_env("KUBE_API_CA"), c64.p, k64.p);
	ov.kubeconfig = kt_write_tmp("data.kubeconfig", yaml.p, yaml.len);
	must_pass(kube_client_from_env(&kc, &ov, NULL));
	check_version(kc);
	{
		struct doc *l = NULL;
		must_pass(kube_list(&l, kc, "v1", "Namespace", NULL, NULL));
		doc_free(l);
	}
	kube_client_free(kc);
	buf_release(&cert);
	buf_release(&key);
	buf_release(&yaml);
	buf_release(&c64);
	buf_release(&k64);
}

/* tls-server-name: connect to 127.0.0.1, check the certificate for another of its names */
void test_kube_client__tls_server_name_is_checked_against_the_certificate(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_client *kc = NULL;
	struct doc *d = NULL;

	if (!kt_client())
		skip_("no API server");
	must_pass(kube_config_load(&cfg, &ov));
	cfg.tls_server_name = strdup("kubernetes.default.svc");
	must_pass(kube_client_new(&kc, &cfg, NULL));
	check_version(kc);
	kube_client_free(kc);
	free(cfg.tls_server_name);
	cfg.tls_server_name = strdup("not-in-the-cert.example");
	must_pass(kube_client_new(&kc, &cfg, NULL));
	must_fail_with(kube_get(&d, kc, "v1", "Namespace", NULL, "default"), GS_EIO);
	assert_contains(gs_error_last(), kt_env("KUBE_API_URL"));
	assert_contains(gs_error_last(), "not-in-the-cert.example");
	kube_client_free(kc);
	kube_config_release(&cfg);
}

/* Without the cluster's CA the server is not trusted, unless insecure-skip-tls-verify. */
void test_kube_client__unknown_ca_fails_unless_insecure(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_client *kc = NULL;
	struct doc *d = NULL;

	if (!kt_client())
		skip_("no API server");
	must_pass(kube_config_load(&cfg, &ov));
	buf_reset(&cfg.ca_pem); /* the system CAs only */
	must_pass(kube_client_new(&kc, &cfg, NULL));
	must_fail_with(kube_get(&d, kc, "v1", "Namespace", NULL, "default"), GS_EIO);
	assert_contains(gs_error_last(), "certificate");
	kube_client_free(kc);
	cfg.insecure = 1;
	must_pass(kube_client_new(&kc, &cfg, NULL));
	must_pass(kube_get(&d, kc, "v1", "Namespace", NULL, "default"));
	assert_str(doc_k8s_name(d), "default");
	doc_free(d);
	kube_client_free(kc);
	kube_config_release(&cfg);
}

void test_kube_client__no_credentials_is_forbidden_with_the_message(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_client *kc = NULL;
	struct doc *l = NULL;

	if (!kt_client())
		skip_("no API server");
	cfg.server = strdup(kt_env("KUBE_API_URL"));
	cfg.ca_file = strdup(kt_env("KUBE_API_CA"));
	must_pass(kube_client_new(&kc, &cfg, NULL));
	must_fail_with(kube_list(&l, kc, "v1", "Secret", "default", NULL), GS_EAUTH);
	assert_contains(gs_error_last(), "system:anonymous");
	assert_contains(gs_error_last(), "(Forbidden, 403)");
	assert_int(kube_last_status(), 403);
	assert_str(kube_last_reason(), "Forbidden");
	kube_client_free(kc);
	kube_config_release(&cfg);
}

void test_kube_client__create_get_update_delete(void)
{
	struct kube_client *kc;
	struct doc *cm = NULL, *live = NULL, *got = NULL, *upd = NULL, *stale = NULL;
	const char *ns, *rv1;
	char *rv = NULL;

	kt_setup(kc);
	ns = kt_ns(kc, "crud");
	cm = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: %s}\ndata: "
	             "{a: '1'}\n",
	             ns);
	must_pass(kube_create(&live, kc, cm, NULL));
	rv1 = doc_str(doc_getp(live, "metadata", "resourceVersion", NULL));
	assert_true(rv1 && *rv1);
	rv = strdup(rv1);
	assert_true(doc_str(doc_getp(live, "metadata", "uid", NULL)) != NULL);

	/* a second create: AlreadyExists, the server's words with reason and code */
	must_fail_with(kube_create(NULL, kc, cm, NULL), GS_ECONFLICT);
	assert_contains(gs_error_last(), "configmaps \"one\" already exists (AlreadyExists, 409)");

	must_pass(kube_get(&got, kc, "v1", "ConfigMap", ns, "one"));
	assert_str(doc_str(doc_getp(got, "data", "a", NULL)), "1");
	assert_str(doc_str(doc_get(got, "kind")), "ConfigMap");

	/* update with the resourceVersion we read */
	must_pass(doc_set(doc_get(got, "data"), "a", doc_new_strz("2")));
	stale = doc_clone(got);
	must_pass(kube_update(&upd, kc, got, NULL));
	assert_str(doc_str(doc_getp(upd, "data", "a", NULL)), "2");
	assert_true(strcmp(doc_str(doc_getp(upd, "metadata", "resourceVersion", NULL)), rv) != 0);
	/* the same update again carries the old resourceVersion: 409 Conflict */
	must_fail_with(kube_update(NULL, kc, stale, NULL), GS_ECONFLICT);
	assert_contains(gs_error_last(), "the object has been modified");

	/* merge patch */
	doc_free(cm);
	cm = kt_yaml("data: {b: '3'}\n");
	doc_free(upd);
	must_pass(kube_merge_patch(&upd, kc, "v1", "ConfigMap", ns, "one", cm, NULL, NULL));
	assert_str(doc_str(doc_getp(upd, "data", "a", NULL)), "2");
	assert_str(doc_str(doc_getp(upd, "data", "b", NULL)), "3");

	/* delete with a precondition that does not hold, then for real */
	{
		struct kube_delete_opts d = KUBE_DELETE_OPTS_INIT;
		d.precondition_uid = "00000000-0000-0000-0000-000000000000";
		must_fail_with(kube_delete(kc, "v1", "ConfigMap", ns, "one", &d), GS_ECONFLICT);
		d.precondition_uid = NULL;
		d.propagation_policy = "Background";
		must_pass(kube_delete(kc, "v1", "ConfigMap", ns, "one", &d));
	}
	doc_free(got);
	got = NULL;
	must_fail_with(kube_get(&got, kc, "v1", "ConfigMap", ns, "one"), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "configmaps \"one\" not found (NotFound, 404)");
	assert_true(got == NULL);
	must_fail_with(kube_delete(kc, "v1", "ConfigMap", ns, "one", NULL), GS_ENOTFOUND);

	free(rv);
	doc_free(cm);
	doc_free(live);
	doc_free(upd);
	doc_free(stale);
}

void test_kube_client__secret_roundtrip_and_validation_error(void)
{
	struct kube_client *kc;
	struct doc *s = NULL, *live = NULL, *bad = NULL;
	const char *ns;

	kt_setup(kc);
	ns = kt_ns(kc, "secret");
	s = kt_yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s1, namespace: %s}\n"
	            "stringData: {password: hunter2}\n",
	            ns);
	must_pass(kube_create(NULL, kc, s, NULL));
	must_pass(kube_get(&live, kc, "v1", "Secret", ns, "s1"));
	assert_str(doc_str(doc_getp(live, "data", "password", NULL)), "aHVudGVyMg==");
	assert_true(doc_flags(doc_getp(live, "data", "password", NULL)) & DOC_SECRET);
	/* a kubernetes.io/tls Secret without tls.key: 422 Invalid, the field named */
	bad = kt_yaml("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {name: s2, "
	              "namespace: %s}\n"
	              "data: {tls.crt: ''}\n",
	              ns);
	must_fail_with(kube_create(NULL, kc, bad, NULL), GS_EINVAL);
	assert_contains(gs_error_last(), "tls.key");
	assert_contains(gs_error_last(), "(Invalid, 422)");
	doc_free(s);
	doc_free(live);
	doc_free(bad);
}

struct count_ctx {
	int n;
	int bad;
};

static int count_item(void *ctx, const struct doc *item)
{
	struct count_ctx *c = ctx;
	const char *kind = doc_str(doc_get(item, "kind"));
	c->n++;
	if (!kind || strcmp(kind, "ConfigMap") || !doc_k8s_name(item))
		c->bad++;
	return 0;
}

static int stop_at_5(void *ctx, const struct doc *item)
{
	(void)item;
	return ++*(int *)ctx == 5 ? 42 : 0;
}

void test_kube_client__list_250_configmaps_in_pages_of_100(void)
{
	struct kube_client *kc;
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	struct count_ctx c = { 0, 0 };
	struct doc *list = NULL;
	struct buf out = BUF_INIT(KUBE_BODY_MAX), path = BUF_INIT(4096);
	struct doc *page = NULL;
	const char *ns;
	char *rv = NULL;
	long long t0, t1;
	int i, stop = 0;

	struct kube_client_opts co = KUBE_CLIENT_OPTS_INIT;
	struct kube_client *fast = NULL;

	kt_setup(kc);
	ns = kt_ns(kc, "list");
	co.qps = -1; /* no client-side rate limit: measure the server and the connection */
	must_pass(kube_client_from_env(&fast, NULL, &co));
	t0 = now_us();
	for (i = 0; i < 250; i++) {
		struct doc *cm = kt_yaml(
		    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%03d, namespace: %s, "
		    "labels: {set: %s}}\ndata: {i: '%d'}\n",
		    i, ns, i % 2 ? "odd" : "even", i);
		int rc = kube_create(NULL, fast, cm, NULL);
		doc_free(cm);
		if (rc < 0)
			fail_("create cm-%03d: %s", i, gs_error_last());
	}
	t1 = now_us();
	printf("# 250 creates on keep-alive: %.2f ms per create\n", (t1 - t0) / 250.0 / 1000.0);

	/* the server pages at 100: a first page says there is more */
	buf_addf(&path, "/api/v1/namespaces/%s/configmaps?limit=100", ns);
	{
		struct kube_request rq = { "GET", path.p, NULL, NULL, 0, 0 };
		assert_int(kube_request(kc, &rq, &out), 200);
	}
	must_pass(doc_parse_one(&page, "page", out.p, out.len, DOC_PARSE_JSON));
	assert_int(doc_len(doc_get(page, "items")), 100);
	assert_true(doc_str(doc_getp(page, "metadata", "continue", NULL)) != NULL);

	lo.limit = 100;
	must_pass(kube_list_each(kc, "v1", "ConfigMap", ns, &lo, count_item, &c, &rv));
	assert_int(c.n, 250);
	assert_int(c.bad, 0);
	assert_true(rv && *rv);

	lo.label_selector = "set=odd";
	must_pass(kube_list(&list, kc, "v1", "ConfigMap", ns, &lo));
	assert_int(doc_len(doc_get(list, "items")), 125);
	assert_str(doc_str(doc_get(list, "kind")), "ConfigMapList");
	assert_str(doc_k8s_name(doc_val_at(doc_get(list, "items"), 0)), "cm-001");

	/* the callback stops the listing and its value comes back */
	assert_int(kube_list_each(kc, "v1", "ConfigMap", ns, &lo, stop_at_5, &stop, NULL), 42);
	assert_int(stop, 5);

	/* keep-alive latency: GETs of one object */
	t0 = now_us();
	for (i = 0; i < 200; i++) {
		struct doc *g = NULL;
		must_pass(kube_get(&g, fast, "v1", "ConfigMap", ns, "cm-007"));
		doc_free(g);
	}
	t1 = now_us();
	printf("# 200 GETs on keep-alive: %.2f ms per call\n", (t1 - t0) / 200.0 / 1000.0);

	kube_client_free(fast);
	free(rv);
	doc_free(list);
	doc_free(page);
	buf_release(&out);
	buf_release(&path);
}

void test_kube_client__discovery_of_builtin_kinds(void)
{
	struct kube_client *kc;
	struct kube_resource r = { 0 };
	struct buf p = BUF_INIT(4096);

	kt_setup(kc);
	must_pass(kube_discover(&r, kc, "v1", "Secret"));
	assert_str(r.plural, "secrets");
	assert_true(r.namespaced);
	kube_resource_release(&r);
	must_pass(kube_discover(&r, kc, "v1", "Namespace"));
	assert_str(r.plural, "namespaces");
	assert_true(!r.namespaced);
	assert_true(r.has_status);
	kube_resource_release(&r);
	must_pass(kube_discover(&r, kc, "coordination.k8s.io/v1", "Lease"));
	assert_str(r.plural, "leases");
	must_pass(kube_resource_path(&p, &r, "ns1", "l", NULL));
	assert_str(p.p, "/apis/coordination.k8s.io/v1/namespaces/ns1/leases/l");
	kube_resource_release(&r);
	must_fail_with(kube_discover(&r, kc, "v1", "NoSuchKind"), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "NoSuchKind");
	must_fail_with(kube_discover(&r, kc, "nope.example.com/v1", "Thing"), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "nope.example.com/v1");
	buf_release(&p);
}

struct worker {
	struct kube_client *kc;
	const char *ns;
	int id, failures;
	char err[256];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	int i;
	for (i = 0; i < 50; i++) {
		struct doc *
		    cm = kt_yaml(
		       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w%d-%d, namespace: %s}\n",
		       w->id, i, w->ns),
		   *got = NULL;
		if (kube_create(NULL, w->kc, cm, NULL) < 0 ||
		    kube_get(&got, w->kc, "v1", "ConfigMap", w->ns, doc_k8s_name(cm)) < 0) {
			w->failures++;
			snprintf(w->err, sizeof(w->err), "%s",
			         gs_error_last()); /* messages are per thread */
		}
		doc_free(cm);
		doc_free(got);
	}
	return NULL;
}

/* One client, four threads: the handle pool and the shared connections hold up. */
void test_kube_client__one_client_shared_by_threads(void)
{
	struct kube_client_opts co = KUBE_CLIENT_OPTS_INIT;
	struct kube_client *kc, *shared = NULL;
	struct worker w[4];
	pthread_t th[4];
	struct doc *l = NULL;
	const char *ns;
	int i;

	kt_setup(kc);
	ns = kt_ns(kc, "threads");
	co.qps = 200;
	co.burst = 20;
	must_pass(kube_client_from_env(&shared, NULL, &co));
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ shared, ns, i, 0, "" };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 4; i++)
		if (w[i].failures)
			fail_("thread %d: %d failures, last: %s", i, w[i].failures, w[i].err);
	must_pass(kube_list(&l, shared, "v1", "ConfigMap", ns, NULL));
	assert_int(doc_len(doc_get(l, "items")), 200);
	doc_free(l);
	kube_client_free(shared);
}

/* More requests in flight than the pool keeps idle handles: every handle goes back to a pool of
 * the pool array's size and the rest are freed (the pool once had room for 8 while it kept 16, and
 * the ninth handle put back overwrote the client's state). */
void test_kube_client__more_threads_than_pooled_handles(void)
{
	struct kube_client_opts co = KUBE_CLIENT_OPTS_INIT;
	struct kube_client *kc, *shared = NULL;
	struct worker w[24];
	pthread_t th[24];
	const char *ns;
	int i, n = 24;

	kt_setup(kc);
	ns = kt_ns(kc, "pool");
	co.qps = -1;
	must_pass(kube_client_from_env(&shared, NULL, &co));
	for (i = 0; i < n; i++) {
		w[i] = (struct worker){ shared, ns, i, 0, "" };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < n; i++)
		if (w[i].failures)
			fail_("thread %d: %d failures, last: %s", i, w[i].failures, w[i].err);
	kube_client_free(shared);
}
