/*
 * The SealedSecret controller on the runtime: start and stop, the leader's tick, and while
 * leading the unsealing machinery:
 *
 *   informers  SealedSecrets (list in pages of 100, watch), of every namespace or of each one
 *              listed; Secrets from now on (no list), for deletions: a deleted Secret of ours is
 *              made again. Handlers record in the table and queue the key with the object;
 *              while 64 keys wait, the informers wait (so a cold start over thousands of
 *              objects holds a few of them, not all).
 *   queue      4 x --workers threads, --workers of them decrypting at a time: unseal (RSA),
 *              render, write the Secret (reconcile.c); events and status follow (posts.c).
 *
 * The table (l->ents, under l->mu) is what the reconciler knows of each SealedSecret: the
 * uid/generation/scope last queued, whether that succeeded, whether no key could open it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/clock.h"
#include "core/log.h"
#include "kube/kube.h"
#include "sealer/sealed/sealed.h"

/* Once everything listed at start is handled: one log line (and the figure the bench reads). */
void ss__check_caught_up(struct ss_loop *l)
{
	if (l->caught_up || !l->ns_synced || l->ss_synced < l->ss_informers || !l->q ||
	    rt_queue_len(l->q) || rt_queue_running(l->q) || l->nposts || l->pinflight)
		return;
	l->caught_up = 1;
	gs_info("caught up", "sealedsecrets=%zu unsealed=%ld unchanged=%ld failed=%ld seconds=%.3f",
	        l->ents.n, l->done_ok, l->done_skipped, l->done_failed, gs_mono() - l->started);
}

static void gen_scope_of(char out[48], const struct doc *ss)
{
	const char *gen = doc_text(doc_getp(ss, "metadata", "generation", NULL), NULL);
	snprintf(out, 48, "%s/%s", gen ? gen : "0", sealed_scope_name(sealed_scope_of(ss)));
}

/* Under l->mu: forget a SealedSecret (its running worker, if any, frees the entry). */
static void ent_remove(struct ss_loop *l, const char *key)
{
	struct ss_ent *e = rt_map_del(&l->ents, key);
	if (e && e->running)
		e->orphan = 1;
	else
		free(e);
}

/* ---- what the informers see (the informer thread, never blocking) -------------------------- */

/* The context of one SealedSecret informer. */
struct ss_watch {
	struct ss_loop *l;
	char ns[]; /* "" for every namespace */
};

/* Under the lock: does this object need a reconcile? Records what was seen; creates the entry. */
static int ss_needs_work(struct ss_loop *l, const char *key, const struct doc *obj)
{
	const char *uid = doc_str(doc_getp(obj, "metadata", "uid", NULL));
	struct ss_ent *e = rt_map_get(&l->ents, key);
	char gs[48];

	if (l->stop)
		return 0;
	if (!e) {
		if (!(e = calloc(1, sizeof(*e))) || rt_map_put(&l->ents, key, e) < 0) {
			free(e);
			return 0;
		}
	}
	gen_scope_of(gs, obj);
	/* our own status writes and metadata-only edits come back as MODIFIED: nothing to do, also
	 * while the same generation is being handled (the status write of the running job) */
	if (*e->uid && uid && !strcmp(e->uid, uid) && !strcmp(e->gen_scope, gs) &&
	    (e->running || (e->done && !e->queued)))
		return 0;
	/* a new object or generation: a fresh count of retries (the add that follows cancels a
	 * pending retry in any case: it runs now) */
	if (!*e->uid || !uid || strcmp(e->uid, uid) || strcmp(e->gen_scope, gs))
		rt_queue_forget(l->q, key);
	snprintf(e->uid, sizeof(e->uid), "%s", uid ? uid : "");
	memcpy(e->gen_scope, gs, sizeof(gs));
	e->done = 0;
	return 1;
}

static void on_ss(struct ss_loop *l, const struct doc *obj)
{
	const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
	struct buf key = BUF_INIT(1024), b = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct ss_job *job;
	struct ss_ent *e;
	int work;

	if (!ns || !name || rt_key(&key, ns, name) < 0)
		goto out;
	pthread_mutex_lock(&l->mu);
	work = ss_needs_work(l, key.p, obj);
	pthread_mutex_unlock(&l->mu);
	if (!work)
		goto out;
	/* only what is queued is copied (as JSON: see struct ss_job) */
	if (doc_emit_json(&b, obj, &eo) < 0 || !(job = malloc(sizeof(*job) + b.len + 1))) {
		gs_err("cannot queue a sealedsecret", "namespace=%s name=%s error=\"%s\"", ns, name,
		       gs_error_last());
		goto out;
	}
	job->kind = SS_JOB_RECONCILE;
	memcpy(job->json, b.p, b.len + 1);
	pthread_mutex_lock(&l->mu);
	if ((e = rt_map_get(&l->ents, key.p))) {
		e->queued = 1;
		rt_queue_add(l->q, key.p, job);
	} else {
		free(job);
	}
	pthread_mutex_unlock(&l->mu);
out:
	buf_release(&key);
	buf_release(&b);
}

static void on_ss_add(void *ctx, const struct doc *obj, int listed)
{
	struct ss_watch *w = ctx;
	(void)listed;
	on_ss(w->l, obj);
}

static void on_ss_update(void *ctx, const struct doc *obj, const struct rt_meta *old, int listed)
{
	struct ss_watch *w = ctx;
	(void)old;
	(void)listed;
	on_ss(w->l, obj);
}

static void on_ss_delete(void *ctx, const struct rt_meta *gone, const struct doc *last)
{
	struct ss_watch *w = ctx;
	struct ss_loop *l = w->l;
	pthread_mutex_lock(&l->mu);
	if (last && rt_map_get(&l->ents, gone->key))
		gs_info("sealedsecret deleted", "namespace=%s name=%s", gone->ns, gone->name);
	ent_remove(l, gone->key);
	rt_queue_forget(l->q, gone->key);
	ss_metric_condition_del(&l->c->metrics, gone->ns, gone->name);
	if (last && l->c->o->old_gc_behavior) {
		struct ss_job *job = malloc(sizeof(*job) + 1);
		if (job) {
			job->kind = SS_JOB_DELETE_SECRET;
			job->json[0] = '\0';
			rt_queue_add(l->q, gone->key, job);
		}
	}
	pthread_mutex_unlock(&l->mu);
}

static void on_ss_synced(void *ctx, int first)
{
	struct ss_watch *w = ctx;
	struct ss_loop *l = w->l;
	pthread_mutex_lock(&l->mu);
	if (first)
		l->ss_synced++;
	ss__check_caught_up(l);
	gs_info("sealedsecrets listed", "namespace=%s known=%zu", *w->ns ? w->ns : "(all)",
	        l->ents.n);
	pthread_mutex_unlock(&l->mu);
}

/* Wait (the next page, the stream) while the queue is full. */
static int ss_busy(void *ctx)
{
	struct ss_watch *w = ctx;
	return rt_queue_busy(w->l->q);
}

/* A Secret went away: if one of ours made it, make it again (upstream watchSecrets). */
static void on_secret_delete(void *ctx, const struct rt_meta *gone, const struct doc *obj)
{
	struct ss_loop *l = ctx;
	const struct doc *refs = doc_getp(obj, "metadata", "ownerReferences", NULL);
	const char *rec = doc_str(doc_getp(obj, "metadata", "annotations", SS_ANNO_SOURCE, NULL));
	const char *owner = NULL;
	struct buf key = BUF_INIT(1024);
	struct ss_ent *e;
	size_t i;

	for (i = 0; i < doc_len(refs); i++) {
		const struct doc *r = doc_val_at(refs, i);
		const char *k = doc_str(doc_get(r, "kind"));
		if (k && !strcmp(k, "SealedSecret"))
			owner = doc_str(doc_get(r, "name"));
	}
	if (!owner && rec)
		owner = gone->name;
	if (!owner || !*gone->ns || rt_key(&key, gone->ns, owner) < 0)
		goto out;
	pthread_mutex_lock(&l->mu);
	if ((e = rt_map_get(&l->ents, key.p))) {
		gs_info("secret deleted, recreating", "namespace=%s name=%s", gone->ns, gone->name);
		e->done = 0;
		rt_queue_forget(l->q, key.p);
		rt_queue_add(l->q, key.p, NULL);
	}
	pthread_mutex_unlock(&l->mu);
out:
	buf_release(&key);
}

/* ---- the workers ------------------------------------------------------------------------------
 */

static void free_job(void *p)
{
	free(p);
}

static enum rt_result process(void *ctx, int worker, const char *key, void *payload, int retries)
{
	struct ss_loop *l = ctx;
	struct ss_controller *c = l->c;
	struct ss_job *job = payload;
	struct ss_result res;
	struct ss_ent *e;
	struct doc *ss = NULL;
	char *copy = malloc(strlen(key) + 1);
	const char *ns, *name;
	enum rt_result rr = RT_DONE;

	memset(&res, 0, sizeof(res));
	if (!copy) {
		free(job);
		return RT_RETRY;
	}
	rt_key_split(key, copy, &ns, &name);
	if (job && job->kind == SS_JOB_DELETE_SECRET) {
		if (kube_delete(c->kc, "v1", "Secret", ns, name, NULL) < 0 &&
		    gs_error_code() != GS_ENOTFOUND)
			gs_err("secret delete failed", "namespace=%s name=%s error=\"%s\"", ns,
			       name, gs_error_last());
		gs_error_clear();
		free(job);
		free(copy);
		return RT_DONE;
	}
	if (job && job->kind == SS_JOB_IDENTIFY) { /* usage.c's census */
		int identify;
		pthread_mutex_lock(&l->mu);
		e = rt_map_get(&l->ents, key);
		identify = e && e->done && e->identifying;
		if (e)
			e->identifying = 0;
		pthread_mutex_unlock(&l->mu);
		free(job);
		job = NULL;
		if (identify) {
			free(copy);
			return ss__identify(l, worker, key);
		}
		/* a recreate (or other reconcile) joined it: that, as a retry */
	}
	pthread_mutex_lock(&l->mu);
	if ((e = rt_map_get(&l->ents, key))) {
		e->queued = 0;
		e->running = 1;
		e->identifying = 0;
	}
	pthread_mutex_unlock(&l->mu);
	if (!e) { /* deleted meanwhile */
		free(job);
		free(copy);
		return RT_DONE;
	}

	if (!job) { /* a retry, a recreate, a new key: the object as it is now */
		if (kube_get(&ss, c->kc, SEALED_API_VERSION, "SealedSecret", ns, name) < 0) {
			if (gs_error_code() != GS_ENOTFOUND)
				res.retry = 1;
			gs_error_clear();
		}
	} else if (doc_parse_one(&ss, "sealedsecret", job->json, strlen(job->json),
	                         DOC_PARSE_JSON) < 0) {
		gs_err("cannot read a queued sealedsecret", "namespace=%s name=%s error=\"%s\"", ns,
		       name, gs_error_last());
	}
	free(job);
	if (ss) {
		ss_reconcile(c, ss, &l->hints[worker], l->defer_post, &res);
		if (res.post && !ss__queue_post(l, ss, res.post_event))
			ss_reconcile_post(c, ss, res.post_event);
	}
	doc_free(ss);
	gs_error_clear();

	if (!res.ok && res.retry && retries < c->o->max_unseal_retries)
		rr = RT_RETRY;
	else if (!res.ok)
		rr = RT_FAILED;
	pthread_mutex_lock(&l->mu);
	if (res.skipped)
		l->done_skipped++;
	else if (res.ok)
		l->done_ok++;
	else
		l->done_failed++;
	e->running = 0;
	if (e->orphan) {
		free(e);
		rr = RT_DONE;
	} else {
		e->done = res.ok;
		e->unseal_failed = res.unseal_failed;
		ss__usage_record(e, &res);
	}
	if (!rt_queue_len(l->q) && l->phead)
		pthread_cond_broadcast(&l->cv_post);
	pthread_mutex_unlock(&l->mu);
	free(copy);
	return rr;
}

static void q_drained(void *ctx)
{
	struct ss_loop *l = ctx;
	rt_kick(l->c->rt);
}

static void q_idle(void *ctx)
{
	struct ss_loop *l = ctx;
	pthread_mutex_lock(&l->mu);
	ss__check_caught_up(l);
	pthread_mutex_unlock(&l->mu);
}

struct requeue {
	struct ss_loop *l;
};

static void requeue_failed(void *ctx, const char *key, void *val)
{
	struct requeue *r = ctx;
	struct ss_ent *e = val;
	if (e->unseal_failed && !e->running && !e->queued) {
		e->unseal_failed = 0;
		rt_queue_forget(r->l->q, key);
		rt_queue_add(r->l->q, key, NULL);
	}
}

void ss_loop_keys_changed(struct ss_loop *l)
{
	struct requeue r = { l };
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	rt_map_each(&l->ents, requeue_failed, &r);
	pthread_mutex_unlock(&l->mu);
}

/* ---- start / stop -----------------------------------------------------------------------------
 */

static int add_informer(struct ss_loop *l, const struct rt_informer_opts *io, struct ss_watch *w)
{
	struct rt_informer *inf = NULL;
	int rc;
	if (l->ninfs == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct rt_informer **n = realloc(l->infs, cap * sizeof(*n));
		struct ss_watch **nw = realloc(l->watches, cap * sizeof(*nw));
		if (n)
			l->infs = n;
		if (nw)
			l->watches = nw;
		if (!n || !nw)
			return gs_error(GS_ENOMEM, "out of memory");
		l->cap = cap;
	}
	if ((rc = rt_informer_start(&inf, l->c->rt, io)) < 0)
		return rc;
	l->watches[l->ninfs] = w;
	l->infs[l->ninfs++] = inf;
	return 0;
}

/* SealedSecrets of ns (NULL: every namespace), and its Secrets for deletions (unless
 * --skip-recreate); as upstream, --label-selector filters both. */
static int watch_namespace(struct ss_loop *l, const char *ns)
{
	const struct ctl_opts *o = l->c->o;
	struct rt_informer_opts io = { 0 };
	struct ss_watch *w = calloc(1, sizeof(*w) + (ns ? strlen(ns) : 0) + 1);
	int rc;

	if (!w)
		return gs_error(GS_ENOMEM, "out of memory");
	w->l = l;
	memcpy(w->ns, ns ? ns : "", (ns ? strlen(ns) : 0) + 1);
	io.api_version = SEALED_API_VERSION;
	io.kind = "SealedSecret";
	io.ns = ns;
	io.label_selector = o->label_selector;
	/* a parsed page of 500 objects is several MiB; 100 keep the cold start in the RSS goal */
	io.page_size = 100;
	io.on_add = on_ss_add;
	io.on_update = on_ss_update;
	io.on_delete = on_ss_delete;
	io.on_synced = on_ss_synced;
	io.busy = ss_busy;
	io.ctx = w;
	io.what = "sealedsecrets";
	pthread_mutex_lock(&l->mu);
	l->ss_informers++; /* before it can report its first sync */
	pthread_mutex_unlock(&l->mu);
	if ((rc = add_informer(l, &io, w)) < 0) {
		pthread_mutex_lock(&l->mu);
		l->ss_informers--;
		pthread_mutex_unlock(&l->mu);
		free(w);
		return rc;
	}
	if (!o->skip_recreate) {
		memset(&io, 0, sizeof(io));
		io.api_version = "v1";
		io.kind = "Secret";
		io.ns = ns;
		io.label_selector = o->label_selector;
		io.no_list = 1;       /* only deletions from now on */
		io.metadata_only = 1; /* names, owners, annotations: no Secret's data, ever */
		io.on_delete = on_secret_delete;
		io.ctx = l;
		io.what = "secrets";
		rc = add_informer(l, &io, NULL);
	}
	if (rc >= 0)
		gs_debug("watching", "namespace=%s", ns ? ns : "(all)");
	return rc;
}

int ss_loop_start(struct ss_loop **out, struct ss_controller *c)
{
	struct rt_queue_opts qo = { 0 };
	const struct ctl_opts *o = c->o;
	struct ss_loop *l = calloc(1, sizeof(*l));
	char *nss = NULL, *tok, *save = NULL;
	int i, rc = 0;

	*out = NULL;
	if (!l)
		return gs_error(GS_ENOMEM, "out of memory");
	l->c = c;
	l->started = gs_mono();
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv_post, NULL);
	l->nworkers = o->workers * 4; /* threads; o->workers of them decrypt at a time */
	if (!(l->hints = calloc((size_t)l->nworkers, sizeof(*l->hints)))) {
		free(l);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	*out = l; /* ss_loop_stop() takes it apart from here on */
	qo.name = "sealedsecrets";
	qo.workers = l->nworkers;
	qo.backoff_base = 0.5;
	qo.backoff_max = 60;
	qo.watermark = SS_QUEUE_WATERMARK;
	qo.process = process;
	qo.free_payload = free_job;
	qo.drained = q_drained;
	qo.idle = q_idle;
	qo.ctx = l;
	if ((rc = rt_queue_new(&l->q, &qo)) < 0)
		return rc;
	for (i = 0; i < 2; i++)
		if (!pthread_create(&l->posters[i], NULL, ss__post_main, l))
			l->nposters++;
	l->defer_post = l->nposters > 0; /* before any informer: nothing runs on a worker yet */

	if (o->all_namespaces && !*o->additional_namespaces) {
		/* every namespace: one informer for SealedSecrets and one for Secrets, as upstream
		 */
		gs_info("watching", "namespaces=all");
		rc = watch_namespace(l, NULL);
	} else {
		/* own namespace + --additional-namespaces, each checked to exist (upstream skips
		 * missing ones) */
		size_t n = strlen(o->namespace) + strlen(o->additional_namespaces) + 2;
		if (!(nss = malloc(n)))
			return gs_error(GS_ENOMEM, "out of memory");
		snprintf(nss, n, "%s,%s", o->namespace, o->additional_namespaces);
		for (tok = strtok_r(nss, ",", &save); tok && rc >= 0;
		     tok = strtok_r(NULL, ",", &save)) {
			struct doc *nsobj = NULL;
			size_t j;
			int dup = 0;
			while (*tok == ' ')
				tok++;
			for (j = 0; j < l->ninfs; j++) /* each namespace once */
				dup |= l->watches[j] && !strcmp(l->watches[j]->ns, tok);
			if (!*tok || dup)
				continue;
			if (kube_get(&nsobj, c->kc, "v1", "Namespace", NULL, tok) < 0) {
				gs_err("namespace not watched", "namespace=%s error=\"%s\"", tok,
				       gs_error_last());
				gs_error_clear();
				continue;
			}
			doc_free(nsobj);
			rc = watch_namespace(l, tok);
		}
		free(nss);
	}
	pthread_mutex_lock(&l->mu);
	l->ns_synced = 1; /* every namespace has its informer now */
	ss__check_caught_up(l);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static void free_ent(void *p)
{
	free(p);
}

void ss_loop_stop(struct ss_loop *l)
{
	size_t i;
	int j;
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	pthread_cond_broadcast(&l->cv_post);
	pthread_mutex_unlock(&l->mu);
	/* no handler after this: nothing new is queued */
	for (i = 0; i < l->ninfs; i++) {
		rt_informer_stop(l->infs[i]);
		free(l->watches[i]);
	}
	free(l->infs);
	free(l->watches);
	/* workers finish what they hold; the posts they queued are written below */
	rt_queue_free(l->q);
	for (j = 0; j < l->nposters; j++)
		pthread_join(l->posters[j], NULL);
	l->defer_post = 0;
	ss__posts_drop(l);
	rt_map_release(&l->ents, free_ent);
	pthread_cond_destroy(&l->cv_post);
	pthread_mutex_destroy(&l->mu);
	free(l->hints);
	free(l);
}
