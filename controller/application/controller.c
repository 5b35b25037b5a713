/*
 * The Application reconciler's life: the webhook routes at once (every replica), then the Lease
 * gitseal-apps[-SHARD]. While this replica leads and the CRD is served:
 *
 *   informer  the Applications of this shard (sharding.gitseal.dev/key=SHARD, or none of that
 *             label for the main shard, and --app-label-selector), objects kept: a handler
 *             notes the generation, the reconcile-requested-at annotation and Ready flips
 *             (which wake the Applications that depend on it), and queues what needs work;
 *   queue     --app-workers threads; a key carries what it asks for in its entry (ent->want):
 *             a run of the pipeline, a fetch, a revert of drifted objects, a status update, or
 *             nothing (the interval: poll the source). Retries back off from
 *             --app-retry-backoff to --app-retry-backoff-max.
 *   watches   one per applied kind (objects.c), shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/application/application_int.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "source/source.h"

static void ent_free(struct app_ent *e)
{
	size_t i;
	if (!e)
		return;
	for (i = 0; i < e->nids; i++)
		free(e->ids[i]);
	free(e->ids);
	free(e->key);
	app_free(e->spec);
	free(e->ign);
	free(e->url_key);
	free(e->last_status);
	app__last_release(&e->last);
	app__usage_release(e);
	free(e);
}

void app__want(struct app_controller *c, const char *key, unsigned want, int locked)
{
	struct app_ent *e;
	if (!locked)
		pthread_mutex_lock(&c->mu);
	if (c->q && !c->stop && (e = rt_map_get(&c->ents, key))) {
		e->want |= want;
		rt_queue_add(c->q, key, NULL);
	}
	if (!locked)
		pthread_mutex_unlock(&c->mu);
}

int app__get(struct app_controller *c, struct doc **out, const char *key)
{
	struct rt_informer *inf;
	pthread_mutex_lock(&c->mu);
	inf = c->apps;
	pthread_mutex_unlock(&c->mu);
	*out = NULL;
	if (!inf)
		return gs_error(GS_ENOTFOUND, "not watching Applications");
	return rt_informer_get(inf, out, key);
}

double app__interval(const struct app_controller *c, const struct app *spec)
{
	double base = spec && spec->interval > 0 ? spec->interval : c->o->app_interval;
	uint32_t r = 0;
	gs_random_bytes(&r, sizeof(r));
	/* +-10 %: a thousand Applications made at once do not poll at once forever */
	return base * (0.9 + 0.2 * ((double)r / 4294967295.0));
}

/* ---- the Applications (informer thread: record and queue) ------------------------------------ */

/* Ready=True for the generation it says: what dependsOn waits for. */
static int is_ready(const struct doc *obj)
{
	const struct doc *conds = doc_getp(obj, "status", "conditions", NULL);
	long long gen = 0, seen = -1;
	size_t i;
	doc_get_int(doc_getp(obj, "metadata", "generation", NULL), &gen);
	doc_get_int(doc_getp(obj, "status", "observedGeneration", NULL), &seen);
	gs_error_clear();
	if (gen != seen)
		return 0;
	for (i = 0; i < doc_len(conds); i++) {
		const struct doc *cd = doc_val_at(conds, i);
		const char *t = doc_str(doc_get(cd, "type")), *s = doc_str(doc_get(cd, "status"));
		if (t && s && !strcmp(t, "Ready"))
			return !strcmp(s, "True");
	}
	return 0;
}

struct wake {
	struct app_controller *c;
	const char *ns, *name;
};

/* Under c->mu: queue whoever depends on ns/name. */
static void wake_one(void *ctx, const char *key, void *val)
{
	struct wake *w = ctx;
	struct app_ent *e = val;
	size_t i;
	char copy[512];
	const char *ns, *name;
	if (!e->spec || strlen(key) >= sizeof(copy))
		return;
	rt_key_split(key, copy, &ns, &name);
	for (i = 0; i < e->spec->ndepends_on; i++) {
		const struct app_dep *d = &e->spec->depends_on[i];
		if (!strcmp(d->name, w->name) && !strcmp(d->namespace ? d->namespace : ns, w->ns)) {
			e->want |= APP_W_RUN;
			rt_queue_add(w->c->q, key, NULL);
			return;
		}
	}
}

static void on_app(void *ctx, const struct doc *obj, int listed)
{
	struct app_controller *c = ctx;
	const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
	const char *uid = doc_str(doc_getp(obj, "metadata", "uid", NULL));
	const char *req =
	    doc_str(doc_getp(obj, "metadata", "annotations", APP_ANN_REQUESTED, NULL));
	const char *with =
	    doc_str(doc_getp(obj, "metadata", "annotations", APP_ANN_WITH_SOURCE, NULL));
	const char *handled = doc_str(doc_getp(obj, "status", "lastHandledReconcileAt", NULL));
	struct buf key = BUF_INIT(1024);
	struct app_ent *e;
	long long gen = 0;
	unsigned want = 0;
	int ready = is_ready(obj);
	(void)listed;

	if (!ns || !name || rt_key(&key, ns, name) < 0)
		goto out;
	doc_get_int(doc_getp(obj, "metadata", "generation", NULL), &gen);
	gs_error_clear();
	pthread_mutex_lock(&c->mu);
	if (c->stop) {
		pthread_mutex_unlock(&c->mu);
		goto out;
	}
	if (!(e = rt_map_get(&c->ents, key.p))) {
		if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key.p)) ||
		    rt_map_put(&c->ents, key.p, e) < 0) {
			pthread_mutex_unlock(&c->mu);
			ent_free(e);
			gs_err("out of memory", "application=%s", key.p);
			goto out;
		}
		/* first sight (a start, a new Application): compare every object once */
		want = APP_W_RUN | APP_W_ALL;
		if (handled)
			snprintf(e->requested, sizeof(e->requested), "%s", handled);
	} else if (uid && *e->uid && strcmp(uid, e->uid)) {
		/* deleted and made again under the same name: start over */
		app__objs_forget(c, e);
		e->commit[0] = '\0';
		e->ok = 0;
		want = APP_W_RUN | APP_W_ALL;
	}
	snprintf(e->uid, sizeof(e->uid), "%s", uid ? uid : "");
	if (gen != e->generation)
		want |= APP_W_RUN;
	e->generation = gen;
	if (req && strcmp(req, e->requested) && (!handled || strcmp(req, handled))) {
		want |= APP_W_RUN | APP_W_ALL;
		if (with && !strcmp(with, "true"))
			want |= APP_W_FETCH;
	}
	if (want)
		app__want(c, key.p, want, 1);
	if (ready && !e->ready) {
		struct wake w = { c, ns, name };
		e->ready = 1;
		rt_map_each(&c->ents, wake_one, &w);
	} else if (!ready) {
		e->ready = 0;
	}
	pthread_mutex_unlock(&c->mu);
out:
	buf_release(&key);
}

static void on_app_update(void *ctx, const struct doc *obj, const struct rt_meta *old, int listed)
{
	(void)old;
	on_app(ctx, obj, listed);
}

static void on_app_delete(void *ctx, const struct rt_meta *gone, const struct doc *last)
{
	struct app_controller *c = ctx;
	struct app_ent *e;
	(void)last;
	pthread_mutex_lock(&c->mu);
	if ((e = rt_map_del(&c->ents, gone->key))) {
		gs_info("application deleted", "application=%s", gone->key);
		/* what it applied stays in the cluster (with its owner labels) */
		app__objs_forget(c, e);
		if (e->running)
			e->orphan = 1;
		else
			ent_free(e);
	}
	if (c->q)
		rt_queue_forget(c->q, gone->key);
	pthread_mutex_unlock(&c->mu);
	app__metric_forget(c, gone->ns, gone->name);
}

/* ---- the workers ------------------------------------------------------------------------------
 */

static enum rt_result process(void *ctx, int worker, const char *key, void *payload, int retries)
{
	struct app_controller *c = ctx;
	struct app_ent *e;
	struct doc *obj = NULL;
	enum rt_result rr = RT_DONE;
	unsigned want;
	(void)worker;
	(void)payload;

	pthread_mutex_lock(&c->mu);
	if (c->stop || !(e = rt_map_get(&c->ents, key))) {
		pthread_mutex_unlock(&c->mu);
		return RT_DONE;
	}
	want = e->want;
	e->want = 0;
	e->running = 1;
	pthread_mutex_unlock(&c->mu);

	if (app__get(c, &obj, key) == 0)
		rr = app__reconcile(c, e, obj, want, retries);
	gs_error_clear();
	doc_free(obj);

	pthread_mutex_lock(&c->mu);
	e->running = 0;
	if (e->orphan)
		ent_free(e);
	pthread_mutex_unlock(&c->mu);
	return rr;
}

/* ---- start / stop -----------------------------------------------------------------------------
 */

static int loop_start(struct app_controller *c)
{
	struct rt_queue_opts qo = { 0 };
	struct rt_informer_opts io = { 0 };
	struct rt_queue *q = NULL;
	struct rt_informer *inf = NULL;
	int rc;

	qo.name = "applications";
	qo.workers = c->o->app_workers;
	qo.backoff_base = c->o->app_retry_backoff;
	qo.backoff_max = c->o->app_retry_backoff_max;
	qo.process = process;
	qo.ctx = c;
	if ((rc = rt_queue_new(&q, &qo)) < 0)
		return rc;
	pthread_mutex_lock(&c->mu);
	c->q = q;
	c->stop = 0;
	pthread_mutex_unlock(&c->mu);
	if ((rc = app__posts_start(c, q)) < 0)
		return rc;
	io.api_version = APP_API_VERSION;
	io.kind = APP_KIND;
	io.label_selector = c->label_selector;
	io.page_size = 100;
	io.keep_objects = 1;
	io.on_add = on_app;
	io.on_update = on_app_update;
	io.on_delete = on_app_delete;
	io.ctx = c;
	io.what = "applications";
	if ((rc = rt_informer_start(&inf, c->rt, &io)) < 0)
		return rc;
	pthread_mutex_lock(&c->mu);
	c->apps = inf;
	pthread_mutex_unlock(&c->mu);
	gs_info("reconciling applications", "workers=%d shard=%s label_selector=\"%s\"",
	        c->o->app_workers, *c->o->shard ? c->o->shard : "(main)", c->label_selector);
	return 0;
}

struct collect {
	struct app_kind **v;
	size_t n;
};

static int take_kind(void *ctx, const char *key, void *val)
{
	struct collect *cl = ctx;
	struct app_kind *k = val;
	(void)key;
	if (!k->inf) /* a worker is starting it: that worker stops and frees it */
		return 0;
	cl->v[cl->n++] = k;
	return 1;
}

static void ent_drop(void *p)
{
	ent_free(p);
}

static void loop_stop(struct app_controller *c)
{
	struct collect cl = { NULL, 0 };
	struct rt_informer *apps;
	struct rt_queue *q;
	size_t i;

	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	apps = c->apps;
	c->apps = NULL;
	q = c->q;
	cl.v = calloc(c->kinds.n + 1, sizeof(*cl.v));
	if (cl.v)
		rt_map_each_del(&c->kinds, take_kind, &cl);
	pthread_mutex_unlock(&c->mu);
	/* no handler after these: nothing new is queued */
	rt_informer_stop(apps);
	for (i = 0; i < cl.n; i++)
		app__kind_free(cl.v[i]);
	free(cl.v);
	app__posts_unqueue(c);
	rt_queue_free(q);   /* the workers finish what they hold */
	app__posts_stop(c); /* then their status writes and events go out */
	pthread_mutex_lock(&c->mu);
	c->q = NULL;
	rt_map_release(&c->kinds, app__kind_free);
	rt_map_release(&c->objs, app__obj_free);
	rt_map_release(&c->ents, ent_drop);
	pthread_mutex_unlock(&c->mu);
}

static int stop_at_first(void *ctx, const struct doc *item)
{
	(void)ctx;
	(void)item;
	return 1;
}

/* Whether this identity may list Applications (the unsealer's RBAC alone may not): said once,
 * without the API server's text, then looked at again every minute. */
static int may_list(struct app_controller *c)
{
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	int rc;
	lo.label_selector = c->label_selector;
	lo.limit = 1;
	lo.all_namespaces = 1;
	rc = kube_list_each(c->kc, APP_API_VERSION, APP_KIND, NULL, &lo, stop_at_first, NULL, NULL);
	if (rc >= 0)
		return 1;
	if (rc == GS_EAUTH) {
		if (!c->rbac_missing_logged)
			gs_warn("not allowed to list applications.gitseal.dev: the Application "
			        "reconciler waits (bind deploy/base/rbac-reconciler.yaml, "
			        "or run "
			        "with --applications=false); looking again every minute",
			        "identity=%s", c->o->identity);
		c->rbac_missing_logged = 1;
	} else {
		gs_warn("cannot list applications.gitseal.dev; looking again in a minute",
		        "error=\"%s\"", gs_error_last());
	}
	gs_error_clear();
	return 0;
}

/* The leader thread: start the machinery once leading and the CRD is served. */
static long tick(void *ctx, int leader)
{
	struct app_controller *c = ctx;
	struct kube_resource res = { 0 };
	int running;

	pthread_mutex_lock(&c->mu);
	running = c->leading;
	pthread_mutex_unlock(&c->mu);
	if (!leader || running)
		return 0;
	if (kube_discover(&res, c->kc, APP_API_VERSION, APP_KIND) < 0) {
		if (!c->crd_missing_logged)
			gs_warn("applications.gitseal.dev is not served: install "
			        "deploy/base/crds/applications.yaml; looking again every 5s",
			        "error=\"%s\"", gs_error_last());
		c->crd_missing_logged = 1;
		gs_error_clear();
		return 5000;
	}
	kube_resource_release(&res);
	if (!may_list(c))
		return 60000;
	if (!c->cache) {
		struct source_cache_opts so = SOURCE_CACHE_OPTS_INIT;
		so.dir = *c->o->source_cache_dir ? c->o->source_cache_dir : NULL;
		if (source_cache_open(&c->cache, &so) < 0) {
			gs_err("cannot open the Git cache: set --source-cache-dir to a writable "
			       "directory; trying again in 30s",
			       "error=\"%s\"", gs_error_last());
			gs_error_clear();
			return 30000;
		}
	}
	if (loop_start(c) < 0) {
		gs_err("cannot start the application reconciler", "error=\"%s\"", gs_error_last());
		exit(1);
	}
	pthread_mutex_lock(&c->mu);
	c->leading = 1;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

static void stopped(void *ctx)
{
	struct app_controller *c = ctx;
	int running;
	pthread_mutex_lock(&c->mu);
	running = c->leading;
	c->leading = 0;
	pthread_mutex_unlock(&c->mu);
	if (running)
		loop_stop(c);
}

int app_controller_new(struct app_controller **out, struct rt *rt, const struct ctl_opts *o,
                       const struct kube_config *cfg, struct rt_http *hooks)
{
	struct app_controller *c;
	struct buf sel = BUF_INIT(4096);
	int rc;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return gs_error(GS_ENOMEM, "out of memory");
	c->o = o;
	c->cfg = cfg;
	c->rt = rt;
	c->kc = rt_client(rt);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->posts.mu, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&c->posts.cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	app__metrics_init(&c->metrics, rt_metrics(rt));
	if ((rc = gs_random_bytes(c->hkey, sizeof(c->hkey))) < 0)
		goto fail;
	/* the shard's Applications: labelled with its name, or (the main shard) not labelled */
	if (*o->shard)
		buf_addf(&sel, "%s=%s", APP_LABEL_SHARD, o->shard);
	else
		buf_addf(&sel, "!%s", APP_LABEL_SHARD);
	if (*o->app_label_selector)
		buf_addf(&sel, ",%s", o->app_label_selector);
	snprintf(c->lease_name, sizeof(c->lease_name), "gitseal-apps%s%s", *o->shard ? "-" : "",
	         o->shard);
	if (!(c->label_selector = buf_detach(&sel, NULL))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto fail;
	}
	if (hooks && (rc = app__webhook_routes(c, hooks)) < 0)
		goto fail;
	*out = c;
	buf_release(&sel);
	return 0;
fail:
	buf_release(&sel);
	app_controller_free(c);
	return rc;
}

int app_controller_start(struct app_controller *c)
{
	struct rt_leader_opts lo = { 0 };
	lo.enabled = c->o->leader_elect;
	lo.ns = c->o->namespace;
	lo.name = c->lease_name;
	lo.identity = c->o->identity;
	lo.lease_duration = c->o->leader_elect_lease_duration;
	lo.tick = tick;
	lo.stopped = stopped;
	lo.ctx = c;
	return rt_leader_start(&c->leader, c->rt, &lo);
}

void app_controller_stop(struct app_controller *c)
{
	if (!c)
		return;
	rt_leader_stop(c->leader); /* stopped() takes the machinery down first */
	c->leader = NULL;
}

void app_controller_free(struct app_controller *c)
{
	if (!c)
		return;
	app_controller_stop(c);
	app__clients_free(c);
	doc_free(c->hook_secret);
	source_cache_free(c->cache);
	free(c->label_selector);
	rt_map_release(&c->posts.status, NULL); /* the posts themselves went with the thread */
	pthread_cond_destroy(&c->posts.cv);
	pthread_mutex_destroy(&c->posts.mu);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
