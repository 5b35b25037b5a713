/* Server-side apply, watch, 410, CRD discovery, leases, events, RBAC against the real server. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/kube/kt.h"

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

void test_kube_api__server_side_apply_conflicts_force_and_dry_run(void)
{
	struct kube_apply_opts ao = KUBE_APPLY_OPTS_INIT;
	struct kube_client *kc;
	struct doc *o = NULL, *live = NULL, *got = NULL;
	const char *ns;
	char *rv = NULL;

	kt_setup(kc);
	ns = kt_ns(kc, "ssa");
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: %s}\ndata: "
	            "{a: '1'}\n",
	            ns);
	ao.field_manager = "mgr-a";
	must_pass(kube_apply(&live, kc, o, &ao));
	assert_str(doc_str(doc_getp(live, "data", "a", NULL)), "1");
	assert_str(doc_str(doc_get(doc_val_at(doc_getp(live, "metadata", "managedFields", NULL), 0),
	                           "manager")),
	           "mgr-a");
	doc_free(live);
	live = NULL;

	/* another manager changing a's field: 409 naming the owner; with force it wins */
	doc_free(o);
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: %s}\ndata: "
	            "{a: '3'}\n",
	            ns);
	ao.field_manager = "mgr-b";
	must_fail_with(kube_apply(&live, kc, o, &ao), GS_ECONFLICT);
	assert_contains(gs_error_last(), "conflict with \"mgr-a\"");
	assert_contains(gs_error_last(), "(Conflict, 409)");
	ao.force = 1;
	must_pass(kube_apply(&live, kc, o, &ao));
	assert_str(doc_str(doc_getp(live, "data", "a", NULL)), "3");
	rv = dupstr(doc_str(doc_getp(live, "metadata", "resourceVersion", NULL)));
	doc_free(live);
	live = NULL;

	/* dryRun=All: the merged result comes back, nothing is stored */
	doc_free(o);
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: %s}\ndata: "
	            "{a: '3', z: new}\n",
	            ns);
	ao.dry_run = 1;
	must_pass(kube_apply(&live, kc, o, &ao));
	assert_str(doc_str(doc_getp(live, "data", "z", NULL)), "new");
	must_pass(kube_get(&got, kc, "v1", "ConfigMap", ns, "ssa"));
	assert_true(doc_getp(got, "data", "z", NULL) == NULL);
	assert_str(doc_str(doc_getp(got, "metadata", "resourceVersion", NULL)), rv);
	doc_free(got);
	got = NULL;

	/* dry-run create of a new object: nothing there afterwards */
	{
		struct kube_write_opts wo = KUBE_WRITE_OPTS_INIT;
		struct doc *n = kt_yaml(
		    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry, namespace: %s}\n", ns);
		wo.dry_run = 1;
		must_pass(kube_create(NULL, kc, n, &wo));
		must_fail_with(kube_get(&got, kc, "v1", "ConfigMap", ns, "dry"), GS_ENOTFOUND);
		doc_free(n);
	}
	free(rv);
	doc_free(o);
	doc_free(live);
}

struct seen {
	char log[1024];
	int synced, stop_after_deleted;
	pthread_mutex_t mu;
};

static int record(void *ctx, enum kube_event_type t, const struct doc *obj)
{
	struct seen *s = ctx;
	pthread_mutex_lock(&s->mu);
	if (t == KUBE_EVENT_SYNCED)
		s->synced = 1;
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "%s%s%s;",
	         kube_event_type_name(t), obj ? ":" : "", obj ? doc_k8s_name(obj) : "");
	pthread_mutex_unlock(&s->mu);
	return t == KUBE_EVENT_DELETED && s->stop_after_deleted ? 99 : 0;
}

void test_kube_api__watch_replays_from_a_resource_version(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct seen s = { "", 0, 1, PTHREAD_MUTEX_INITIALIZER };
	struct kube_watch *w = NULL;
	struct doc *list = NULL, *o, *p;
	const char *ns;

	kt_setup(kc);
	ns = kt_ns(kc, "watch");
	must_pass(kube_list(&list, kc, "v1", "ConfigMap", ns, NULL));
	wo.resource_version = doc_str(doc_getp(list, "metadata", "resourceVersion", NULL));
	wo.timeout_seconds = 10;
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w1, namespace: %s}\n", ns);
	p = kt_yaml("data: {x: y}\n");
	must_pass(kube_create(NULL, kc, o, NULL));
	must_pass(kube_merge_patch(NULL, kc, "v1", "ConfigMap", ns, "w1", p, NULL, NULL));
	must_pass(kube_delete(kc, "v1", "ConfigMap", ns, "w1", NULL));
	must_pass(kube_watch_new(&w, kc, "v1", "ConfigMap", ns, &wo));
	assert_int(kube_watch_once(w, record, &s), 99);
	assert_str(s.log, "ADDED:w1;MODIFIED:w1;DELETED:w1;");
	kube_watch_free(w);
	doc_free(list);
	doc_free(o);
	doc_free(p);
}

struct runner {
	struct kube_watch *w;
	struct seen *s;
	int rc;
};

static void *run_watch(void *arg)
{
	struct runner *r = arg;
	r->rc = kube_watch_run(r->w, record, r->s);
	return NULL;
}

static int wait_for(struct seen *s, const char *needle)
{
	int i, found = 0;
	for (i = 0; i < 200 && !found; i++) {
		pthread_mutex_lock(&s->mu);
		found = strstr(s->log, needle) != NULL;
		pthread_mutex_unlock(&s->mu);
		if (!found)
			usleep(50000);
	}
	return found;
}

void test_kube_api__watch_sees_live_changes_and_stops_on_request(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct seen s = { "", 0, 0, PTHREAD_MUTEX_INITIALIZER };
	struct kube_watch *w = NULL;
	struct runner r = { NULL, &s, -1 };
	pthread_t th;
	struct doc *o, *p;
	const char *ns;

	kt_setup(kc);
	ns = kt_ns(kc, "live");
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before, namespace: %s}\n",
	            ns);
	must_pass(kube_create(NULL, kc, o, NULL));
	doc_free(o);
	wo.timeout_seconds = 30;
	must_pass(kube_watch_new(&w, kc, "v1", "ConfigMap", ns, &wo));
	r.w = w;
	pthread_create(&th, NULL, run_watch, &r);
	if (!wait_for(&s, "SYNCED;")) {
		kube_watch_stop(w);
		pthread_join(th, NULL);
		fail_("no SYNCED: %s", s.log);
	}
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: live, namespace: %s}\n", ns);
	p = kt_yaml("data: {x: y}\n");
	must_pass(kube_create(NULL, kc, o, NULL));
	must_pass(kube_merge_patch(NULL, kc, "v1", "ConfigMap", ns, "live", p, NULL, NULL));
	must_pass(kube_delete(kc, "v1", "ConfigMap", ns, "live", NULL));
	wait_for(&s, "DELETED:live;");
	kube_watch_stop(w); /* from this thread, while the other one waits in the stream */
	pthread_join(th, NULL);
	assert_int(r.rc, 0);
	assert_str(s.log, "LISTED:before;SYNCED;ADDED:live;MODIFIED:live;DELETED:live;");
	kube_watch_free(w);
	doc_free(o);
	doc_free(p);
}

/* PodTemplates have no watch cache on our server (up.sh), so a compacted version is really gone. */
void test_kube_api__watch_from_a_compacted_version_is_gone_and_run_lists_again(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct seen s = { "", 0, 0, PTHREAD_MUTEX_INITIALIZER };
	struct kube_watch *w = NULL;
	struct doc *o = NULL, *live = NULL, *p;
	char *rv1 = NULL, cmd[1024];
	const char *ns, *rv2;

	kt_setup(kc);
	if (!kt_env("KUBE_ETCD_URL"))
		skip_("KUBE_ETCD_URL not set");
	ns = kt_ns(kc, "gone");
	o = kt_yaml("apiVersion: v1\nkind: PodTemplate\nmetadata: {name: pt, namespace: %s}\n"
	            "template: {spec: {containers: [{name: c, image: busybox}]}}\n",
	            ns);
	must_pass(kube_create(&live, kc, o, NULL));
	rv1 = dupstr(doc_str(doc_getp(live, "metadata", "resourceVersion", NULL)));
	doc_free(live);
	p = kt_yaml("metadata: {labels: {v: '2'}}\n");
	must_pass(kube_merge_patch(&live, kc, "v1", "PodTemplate", ns, "pt", p, NULL, NULL));
	doc_free(live);
	doc_free(p);
	/* two changes, so that the watch's first revision (rv1 + 1) is itself compacted away */
	p = kt_yaml("metadata: {labels: {v: '3'}}\n");
	must_pass(kube_merge_patch(&live, kc, "v1", "PodTemplate", ns, "pt", p, NULL, NULL));
	rv2 = doc_str(doc_getp(live, "metadata", "resourceVersion", NULL));
	snprintf(cmd, sizeof(cmd),
	         "curl -sf -o /dev/null -X POST -d '{\"revision\":\"%s\",\"physical\":true}' "
	         "%s/v3/kv/compaction",
	         rv2, kt_env("KUBE_ETCD_URL"));
	assert_int(system(cmd), 0);

	wo.resource_version = rv1;
	wo.timeout_seconds = 5;
	must_pass(kube_watch_new(&w, kc, "v1", "PodTemplate", ns, &wo));
	must_fail_with(kube_watch_once(w, record, &s), GS_EGONE);
	assert_contains(gs_error_last(), rv1);
	/* the informer loop lists again (LISTED, SYNCED) and goes on from there */
	{
		struct runner r = { w, &s, -1 };
		pthread_t th;
		s.stop_after_deleted = 1;
		s.log[0] = '\0';
		pthread_create(&th, NULL, run_watch, &r);
		if (wait_for(&s, "SYNCED;"))
			must_pass(kube_delete(kc, "v1", "PodTemplate", ns, "pt", NULL));
		if (!wait_for(&s, "DELETED:pt;"))
			kube_watch_stop(w);
		pthread_join(th, NULL);
		assert_str(s.log, "LISTED:pt;SYNCED;DELETED:pt;");
		assert_int(r.rc, 99);
	}
	kube_watch_free(w);
	free(rv1);
	doc_free(o);
	doc_free(p);
	doc_free(live);
}
