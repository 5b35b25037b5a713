/* controller/runtime/informer.c without a server: the cache, the handlers' view of adds, updates
 * and deletes, and the relist that finds objects gone. Events are fed as the watch thread does. */
#include "test.h"

#include <stdio.h>
#include <string.h>

#include "controller/runtime/runtime_int.h"

struct seen {
	char log[2048];
};

static void on_add(void *ctx, const struct doc *obj, int listed)
{
	struct seen *s = ctx;
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "add%s:%s/%s;",
	         listed ? "(l)" : "", doc_k8s_namespace(obj), doc_k8s_name(obj));
}

static void on_update(void *ctx, const struct doc *obj, const struct rt_meta *old, int listed)
{
	struct seen *s = ctx;
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "update%s:%s:%s->%s;",
	         listed ? "(l)" : "", doc_k8s_name(obj), old->resource_version,
	         doc_str(doc_getp(obj, "metadata", "resourceVersion", NULL)));
}

static void on_delete(void *ctx, const struct rt_meta *gone, const struct doc *last)
{
	struct seen *s = ctx;
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log),
	         "delete%s:%s:%s:gen%lld;", last ? "" : "(relist)", gone->key, gone->uid,
	         gone->generation);
}

static void on_synced(void *ctx, int first)
{
	struct seen *s = ctx;
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "synced%s;",
	         first ? "(first)" : "");
}

static struct doc *obj(const char *name, const char *rv, int gen)
{
	char y[512];
	struct doc *d = NULL;
	snprintf(y, sizeof(y),
	         "{apiVersion: v1, kind: ConfigMap, metadata: {namespace: ns, name: %s, uid: u-%s, "
	         "resourceVersion: '%s', "
	         "generation: %d}, data: {v: '%s'}}",
	         name, name, rv, gen, rv);
	if (doc_parse_one(&d, "test", y, strlen(y), 0) < 0)
		return NULL;
	return d;
}

static void feed(struct rt_informer *inf, enum kube_event_type t, const char *name, const char *rv,
                 int gen)
{
	struct doc *d = name ? obj(name, rv, gen) : NULL;
	rt__informer_event(inf, t, d);
	doc_free(d);
}

static struct rt_informer *mk(struct seen *s, int keep)
{
	struct rt_informer_opts o = { 0 };
	struct rt_informer *inf = NULL;
	memset(s, 0, sizeof(*s));
	o.api_version = "v1";
	o.kind = "ConfigMap";
	o.keep_objects = keep;
	o.on_add = on_add;
	o.on_update = on_update;
	o.on_delete = on_delete;
	o.on_synced = on_synced;
	o.ctx = s;
	if (rt__informer_new(&inf, NULL, &o) < 0)
		return NULL;
	return inf;
}

void test_ctl_runtime_informer__list_then_watch_fills_the_cache(void)
{
	struct seen s;
	struct rt_informer *inf = mk(&s, 1);
	char uid[64], rv[64];
	long long gen = 0;
	struct doc *got = NULL;

	assert_true(inf != NULL);
	feed(inf, KUBE_EVENT_LISTED, "a", "10", 1);
	feed(inf, KUBE_EVENT_LISTED, "b", "11", 1);
	assert_true(!rt_informer_synced(inf));
	feed(inf, KUBE_EVENT_SYNCED, NULL, NULL, 0);
	assert_true(rt_informer_synced(inf));
	feed(inf, KUBE_EVENT_MODIFIED, "a", "12", 2);
	feed(inf, KUBE_EVENT_ADDED, "c", "13", 1);
	feed(inf, KUBE_EVENT_BOOKMARK, "x", "14", 1); /* not an object */
	feed(inf, KUBE_EVENT_DELETED, "b", "15", 1);
	assert_str(
	    s.log,
	    "add(l):ns/a;add(l):ns/b;synced(first);update:a:10->12;add:ns/c;delete:ns/b:u-b:gen1;");
	assert_int(rt_informer_count(inf), 2);
	assert_true(rt_informer_meta(inf, "ns/a", uid, rv, &gen));
	assert_str(uid, "u-a");
	assert_str(rv, "12");
	assert_int(gen, 2);
	assert_true(!rt_informer_meta(inf, "ns/b", uid, rv, &gen));
	must_pass(rt_informer_get(inf, &got, "ns/a"));
	assert_str(doc_str(doc_getp(got, "data", "v", NULL)), "12");
	doc_free(got);
	must_fail_with(rt_informer_get(inf, &got, "ns/b"), GS_ENOTFOUND);
	rt_informer_stop(inf);
}

void test_ctl_runtime_informer__a_relist_deletes_what_it_did_not_show(void)
{
	struct seen s;
	struct rt_informer *inf = mk(&s, 0);
	struct doc *got = NULL;

	assert_true(inf != NULL);
	feed(inf, KUBE_EVENT_LISTED, "a", "1", 1);
	feed(inf, KUBE_EVENT_LISTED, "b", "2", 1);
	feed(inf, KUBE_EVENT_SYNCED, NULL, NULL, 0);
	feed(inf, KUBE_EVENT_ADDED, "w", "3", 7); /* seen by the watch only */
	s.log[0] = '\0';
	/* 410: the watch lists again; b and w went while nobody watched, a changed */
	feed(inf, KUBE_EVENT_LISTED, "a", "5", 1);
	feed(inf, KUBE_EVENT_SYNCED, NULL, NULL, 0);
	assert_contains(s.log, "update(l):a:1->5;");
	assert_contains(s.log, "delete(relist):ns/b:u-b:gen1;");
	assert_contains(s.log, "delete(relist):ns/w:u-w:gen7;");
	assert_true(strstr(s.log, "synced;") >
	            strstr(s.log, "delete(relist):ns/w")); /* deletes first */
	assert_int(rt_informer_count(inf), 1);
	/* without keep_objects the cache has the meta fields only */
	must_fail_with(rt_informer_get(inf, &got, "ns/a"), GS_ENOTFOUND);
	/* a third list with the same objects deletes nothing */
	s.log[0] = '\0';
	feed(inf, KUBE_EVENT_LISTED, "a", "5", 1);
	feed(inf, KUBE_EVENT_SYNCED, NULL, NULL, 0);
	assert_str(s.log, "update(l):a:5->5;synced;");
	rt_informer_stop(inf);
}

void test_ctl_runtime_informer__no_list_has_no_cache(void)
{
	struct rt_informer_opts o = { 0 };
	struct rt_informer *inf = NULL;
	struct seen s;

	memset(&s, 0, sizeof(s));
	o.api_version = "v1";
	o.kind = "Secret";
	o.no_list = 1;
	o.on_add = on_add;
	o.on_delete = on_delete;
	o.ctx = &s;
	must_pass(rt__informer_new(&inf, NULL, &o));
	feed(inf, KUBE_EVENT_SYNCED, NULL, NULL, 0);
	feed(inf, KUBE_EVENT_ADDED, "s", "1", 0);
	feed(inf, KUBE_EVENT_DELETED, "s", "2", 0);
	assert_str(s.log, "add:ns/s;delete:ns/s:u-s:gen0;");
	assert_int(rt_informer_count(inf), 0);
	rt_informer_stop(inf);
}
