/*
 * The watchers of the reconcile machinery: SealedSecrets (list in pages, then
 * watch) and Secrets (a deleted Secret of ours is made again), over all
 * namespaces or each listed one. Callbacks only record what they saw and queue
 * a job, waiting while too many SealedSecret documents are queued, so a cold
 * start over thousands of objects stays in a few MiB.
 */
#include "controller/loop_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "sealer/sealed/sealed.h"

/* Under the lock: does this object need a reconcile? Records what was seen; creates the entry. */
static int ss_needs_work(struct ctl_loop *l, struct watcher *w, const struct doc *obj, struct ent **out)
{
	const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
	const char *uid = doc_str(doc_getp(obj, "metadata", "uid", NULL));
	struct ent *e;
	char *gs;

	*out = NULL;
	if (l->stop || !(e = ctl__ent_find(l, ns, name, 1)) || !(gs = ctl__gen_scope_of(obj)))
		return 0;
	e->seen = w->epoch;
	/* our own status writes and metadata-only edits come back as MODIFIED: nothing to do, also
	 * while the same generation is being handled (the status write of the running job) */
	if (e->uid && uid && !strcmp(e->uid, uid) && e->gen_scope && !strcmp(e->gen_scope, gs) &&
	    (e->inflight || (e->done && !e->queued))) {
		free(gs);
		return 0;
	}
	if (!e->uid || !uid || strcmp(e->uid, uid) || !e->gen_scope || strcmp(e->gen_scope, gs))
		e->retries = 0;
	free(e->uid);
	e->uid = uid ? strdup(uid) : NULL;
	free(e->gen_scope);
	e->gen_scope = gs;
	e->done = 0;
	e->retry_at = 0;
	*out = e;
	return 1;
}

static void on_ss(struct ctl_loop *l, struct watcher *w, enum kube_event_type type, const struct doc *obj)
{
	const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct ent *e;

	if (!ns || !name)
		return;
	pthread_mutex_lock(&l->mu);
	if (type == KUBE_EVENT_DELETED) {
		if ((e = ctl__ent_find(l, ns, name, 0))) {
			gs_info("sealedsecret deleted", "namespace=%s name=%s", ns, name);
			ctl__ent_remove(l, e);
		}
		ctl_metric_condition_del(ns, name);
		if (l->st->opts->old_gc_behavior)
			ctl__enqueue(l, NULL, JOB_DELETE_SECRET, NULL, ns, name);
		pthread_mutex_unlock(&l->mu);
		return;
	}
	/* backpressure: a cold start over thousands of SealedSecrets holds at most MAX_QUEUED of them */
	while (l->nqueued >= MAX_QUEUED && !l->stop)
		pthread_cond_wait(&l->cv_space, &l->mu);
	if (!ss_needs_work(l, w, obj, &e)) {
		pthread_mutex_unlock(&l->mu);
		return;
	}
	pthread_mutex_unlock(&l->mu);
	/* only what is queued is copied (as JSON: see struct job) */
	if (doc_emit_json(&b, obj, &eo) < 0) {
		gs_err("cannot queue a sealedsecret", "namespace=%s name=%s error=\"%s\"", ns, name, gs_error_last());
		buf_release(&b);
		return;
	}
	pthread_mutex_lock(&l->mu);
	/* the entry may have gone meanwhile (deleted, or a relist): look it up again */
	if ((e = ctl__ent_find(l, ns, name, 0)))
		ctl__enqueue(l, e, JOB_RECONCILE, buf_detach(&b, NULL), ns, name);
	pthread_mutex_unlock(&l->mu);
	buf_release(&b);
}

/* After a (re)list: forget what was not listed (deleted while we were not watching). */
static void on_synced(struct ctl_loop *l, struct watcher *w)
{
	size_t i;
	pthread_mutex_lock(&l->mu);
	for (i = 0; i < BUCKETS; i++) {
		struct ent *e = l->tab[i], *next;
		for (; e; e = next) {
			next = e->next;
			if ((!w->ns || !strcmp(w->ns, e->ns)) && e->seen != w->epoch && !e->inflight) {
				ctl_metric_condition_del(e->ns, e->name);
				ctl__ent_remove(l, e);
			}
		}
	}
	if (w->epoch == 1)
		l->ss_synced++;
	if (w->list_slot) {
		w->list_slot = 0;
		sem_post(&l->list_slots);
	}
	w->epoch++;
	ctl__check_caught_up(l);
	gs_info("sealedsecrets listed", "namespace=%s known=%zu", w->ns ? w->ns : "(all)", l->nents);
	pthread_mutex_unlock(&l->mu);
}

/* A Secret went away: if one of ours made it, make it again (upstream watchSecrets). */
static void on_secret_deleted(struct ctl_loop *l, const struct doc *obj)
{
	const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
	const struct doc *refs = doc_getp(obj, "metadata", "ownerReferences", NULL);
	const char *rec = doc_str(doc_getp(obj, "metadata", "annotations", CTL_ANNO_SOURCE, NULL));
	const char *owner = NULL;
	struct ent *e;
	size_t i;

	for (i = 0; i < doc_len(refs); i++) {
		const struct doc *r = doc_val_at(refs, i);
		const char *k = doc_str(doc_get(r, "kind"));
		if (k && !strcmp(k, "SealedSecret"))
			owner = doc_str(doc_get(r, "name"));
	}
	if (!owner && rec)
		owner = name;
	if (!owner || !ns)
		return;
	pthread_mutex_lock(&l->mu);
	if ((e = ctl__ent_find(l, ns, owner, 0))) {
		gs_info("secret deleted, recreating", "namespace=%s name=%s", ns, name);
		e->done = 0;
		e->retries = 0;
		ctl__enqueue(l, e, JOB_BY_NAME, NULL, ns, owner);
	}
	pthread_mutex_unlock(&l->mu);
}

static int watch_cb(void *ctx, enum kube_event_type type, const struct doc *obj)
{
	struct watcher *w = ctx;
	struct ctl_loop *l = w->l;

	if (l->stop)
		return 1;
	if (w->kind == 1) {
		if (type == KUBE_EVENT_DELETED)
			on_secret_deleted(l, obj);
		return 0;
	}
	switch (type) {
	case KUBE_EVENT_LISTED:
	case KUBE_EVENT_ADDED:
	case KUBE_EVENT_MODIFIED:
	case KUBE_EVENT_DELETED:
		on_ss(l, w, type, obj);
		break;
	case KUBE_EVENT_SYNCED:
		on_synced(l, w);
		break;
	default:
		break;
	}
	return 0;
}

static int on_listed(void *ctx, const struct doc *item)
{
	struct watcher *w = ctx;
	if (w->l->stop)
		return 1;
	on_ss(w->l, w, KUBE_EVENT_LISTED, item);
	return 0;
}

/*
 * SealedSecrets: the first list is ours, in pages of 100 (a parsed page of 500 is several MiB,
 * and the RSS goal is 30), one watcher at a time; then the watch resumes from its version.
 */
static int first_list(struct watcher *w, char **rv)
{
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	const struct ctl_opts *o = w->l->st->opts;
	int rc;

	while (sem_wait(&w->l->list_slots) < 0)
		;
	w->list_slot = 1;
	lo.limit = 100;
	lo.all_namespaces = !w->ns;
	if (o->label_selector && *o->label_selector)
		lo.label_selector = o->label_selector;
	rc = kube_list_each(w->kc, SEALED_API_VERSION, "SealedSecret", w->ns, &lo, on_listed, w, rv);
	if (rc == 0 && !w->l->stop)
		on_synced(w->l, w); /* gives the slot back */
	if (w->list_slot) {
		w->list_slot = 0;
		sem_post(&w->l->list_slots);
	}
	return rc;
}

static void *watch_main(void *arg)
{
	struct watcher *w = arg;
	while (!w->l->stop) {
		int rc;
		if (!w->w) {
			struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
			const struct ctl_opts *o = w->l->st->opts;
			char *rv = NULL;
			if ((rc = first_list(w, &rv)) == 0) {
				if (o->label_selector && *o->label_selector)
					wo.label_selector = o->label_selector;
				wo.resource_version = rv;
				wo.all_namespaces = !w->ns;
				/* under the lock: ctl_loop_stop() stops every watch that exists */
				pthread_mutex_lock(&w->l->mu);
				if (!w->l->stop)
					rc = kube_watch_new(&w->w, w->kc, SEALED_API_VERSION, "SealedSecret", w->ns, &wo);
				pthread_mutex_unlock(&w->l->mu);
			}
			free(rv);
			if (w->l->stop)
				break;
			if (rc != 0 || !w->w) {
				gs_err("list failed, retrying", "what=%s namespace=%s error=\"%s\"", w->what,
				       w->ns ? w->ns : "(all)", gs_error_last());
				sleep(2);
				continue;
			}
		}
		rc = kube_watch_run(w->w, watch_cb, w);
		if (w->l->stop)
			break;
		gs_err("watch ended, restarting", "what=%s namespace=%s rc=%d error=\"%s\"", w->what,
		       w->ns ? w->ns : "(all)", rc, gs_error_last());
		sleep(2);
	}
	return NULL;
}

/* ---- starting a watcher ---------------------------------------------------------------------- */

static char *secrets_rv(struct ctl_state *st, const char *ns);

static int add_watcher(struct ctl_loop *l, int kind, const char *ns, const char *rv)
{
	struct watcher *w = calloc(1, sizeof(*w));
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	const struct ctl_opts *o = l->st->opts;
	static const char *const what[] = { "sealedsecrets", "secrets" };
	pthread_attr_t attr;
	int rc;

	if (!w || (ns && !(w->ns = strdup(ns)))) {
		free(w);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	w->l = l;
	w->kind = kind;
	w->what = what[kind];
	w->epoch = 1;
	/* as upstream, --label-selector filters both informers */
	if (o->label_selector && *o->label_selector)
		wo.label_selector = o->label_selector;
	wo.resource_version = rv;
	wo.all_namespaces = !ns;
	if ((rc = ctl_client_new(l->st, &w->kc, 1)) < 0) {
		free(w->ns);
		free(w);
		return rc;
	}
	/* SealedSecret watchers list first, then make their watch (watch_main) */
	rc = kind == 0 ? 0 : kube_watch_new(&w->w, w->kc, "v1", "Secret", ns, &wo);
	if (rc < 0) {
		kube_client_free(w->kc);
		free(w->ns);
		free(w);
		return rc;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10); /* with --additional-namespaces, two per namespace */
	pthread_mutex_lock(&l->mu);
	l->ss_watchers += kind == 0; /* before it can report its first sync */
	pthread_mutex_unlock(&l->mu);
	if (pthread_create(&w->th, &attr, watch_main, w)) {
		pthread_mutex_lock(&l->mu);
		l->ss_watchers -= kind == 0;
		pthread_mutex_unlock(&l->mu);
		pthread_attr_destroy(&attr);
		kube_watch_free(w->w);
		kube_client_free(w->kc);
		free(w->ns);
		free(w);
		return gs_error(GS_ERROR, "cannot start a thread");
	}
	pthread_attr_destroy(&attr);
	w->started = 1;
	pthread_mutex_lock(&l->mu);
	w->next = l->watchers;
	l->watchers = w;
	pthread_mutex_unlock(&l->mu);
	return 0;
}

/* SealedSecrets of ns (NULL: all namespaces), and its Secrets for deletions (unless --skip-recreate). */
int ctl__watch_namespace(struct ctl_loop *l, const char *ns)
{
	struct watcher *w;
	char *rv;
	int rc, dup = 0;

	pthread_mutex_lock(&l->mu);
	for (w = l->watchers; w; w = w->next)
		dup |= w->kind == 0 && (ns ? w->ns && !strcmp(w->ns, ns) : !w->ns);
	pthread_mutex_unlock(&l->mu);
	if (dup)
		return 0;
	rv = l->st->opts->skip_recreate ? NULL : secrets_rv(l->st, ns);
	rc = add_watcher(l, 0, ns, NULL);
	if (rc >= 0 && !l->st->opts->skip_recreate)
		rc = add_watcher(l, 1, ns, rv ? rv : "0");
	free(rv);
	if (rc >= 0)
		gs_debug("watching", "namespace=%s", ns ? ns : "(all)");
	return rc;
}

/* The current resourceVersion of Secrets, so the deletion watch starts now without listing them all. */
static char *secrets_rv(struct ctl_state *st, const char *ns)
{
	struct buf path = BUF_INIT(4096), body = BUF_INIT(KUBE_BODY_MAX);
	struct kube_request rq = { "GET", NULL, NULL, NULL, 0, 0 };
	struct doc *d = NULL;
	char *rv = NULL;

	if (ns)
		buf_addf(&path, "/api/v1/namespaces/%s/secrets?limit=1", ns);
	else
		buf_adds(&path, "/api/v1/secrets?limit=1");
	rq.path = path.p;
	if (kube_request(st->kc, &rq, &body) >= 0 && doc_parse_one(&d, "secrets", body.p, body.len, DOC_PARSE_JSON) >= 0) {
		const char *v = doc_str(doc_getp(d, "metadata", "resourceVersion", NULL));
		if (v)
			rv = strdup(v);
	}
	gs_wipe(body.p, body.len); /* one Secret may have come back */
	buf_release(&body);
	buf_release(&path);
	doc_free(d);
	return rv;
}
