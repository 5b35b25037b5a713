/*
 * The reconcile machinery of the leader: the SealedSecret table, the job
 * queue, the worker pool, the watchers and the timers (retries, key renewal).
 *
 * One mutex guards the table and the queues; the loop thread owns the timers
 * and is the only one that sleeps on them. Watcher callbacks only record what
 * they saw and queue a job (waiting while too many SealedSecret documents are
 * queued, so a cold start over thousands of objects stays in a few MiB);
 * workers run ctl_reconcile() without the lock and report back.
 */
#include "controller/ctl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "kube/kube.h"
#include "sealer/sealed.h"

#define BUCKETS 8192
#define MAX_QUEUED 64 /* SealedSecret docs waiting for a worker */
/* Events and status writes wait while Secrets are still to be written (workloads need the
 * Secrets; on a cold start over thousands the three writes per object otherwise share the API
 * server evenly), up to this many or this long. */
#define MAX_POSTS 8000
#define POST_MAX_WAIT 30.0

enum job_kind { JOB_RECONCILE, JOB_BY_NAME, JOB_DELETE_SECRET };

struct job;

struct ent {
	struct ent *next;
	char *ns, *name;
	char *uid;
	char *gen_scope;    /* "<generation>/<scope>" last reconciled */
	int inflight;
	struct job *queued; /* waiting in the queue */
	struct job *running; /* on a worker */
	char *pending;      /* newer object (JSON) seen while in flight */
	int pending_by_name;
	int done;           /* the last reconcile of uid/gen_scope succeeded */
	int unseal_failed;
	int retries;
	double retry_at;
	unsigned seen;      /* list epoch of its watcher */
};

struct job {
	struct job *next;
	enum job_kind kind;
	/* The SealedSecret as compact JSON, not a doc: a doc_clone() shares (and counts references
	 * to) the arena of the watcher's parse without atomics, so a tree must not cross threads.
	 * The worker parses its own copy; a queued job also holds ~1.5 KiB instead of a tree. */
	char *ss;
	char *ns, *name;
	struct ent *e;
};

struct watcher {
	struct watcher *next;
	struct ctl_loop *l;
	struct kube_client *kc;
	struct kube_watch *w;
	pthread_t th;
	const char *what;
	char *ns; /* NULL: all namespaces */
	int kind; /* 0 SealedSecrets, 1 Secrets */
	unsigned epoch;
	int started;
	int list_slot; /* holds one of l->list_slots until its first list is done */
};

/* The event and status write after a successful unseal: second priority. */
struct post {
	struct post *next;
	char *ss; /* JSON: post_subset() of the SealedSecret */
	int unsealed;
	double queued_at;
};

struct ctl_loop {
	struct ctl_state *st;
	struct post *phead, *ptail;
	size_t nposts;
	int pinflight;
	pthread_cond_t cv_post;
	pthread_t posters[2];
	int nposters;
	pthread_mutex_t mu;
	pthread_cond_t cv_loop, cv_job, cv_space;
	struct ent *tab[BUCKETS];
	size_t nents;
	struct job *head, *tail;
	size_t nqueued;
	int inflight;
	pthread_t *workers;
	int nworkers;
	struct watcher *watchers; /* a list: namespaces appear at run time */
	pthread_t loop_th;
	/* SealedSecret watchers list one at a time: a page of 500 objects is a few MiB as a tree,
	 * and eight namespaces listing at once would multiply that (the RSS goal is 30 MiB) */
	sem_t list_slots;
	int stop;
	/* counters for the log line at the end of the first sync */
	long done_ok, done_skipped, done_failed;
	int ss_watchers, ss_synced, ns_synced, caught_up;
	double started;
};

static double mono(void);

/* Once everything listed at start is handled: one log line (and the figure the bench reads). */
static void check_caught_up(struct ctl_loop *l)
{
	if (l->caught_up || !l->ns_synced || l->ss_synced < l->ss_watchers || l->nqueued || l->inflight ||
	    l->nposts || l->pinflight)
		return;
	l->caught_up = 1;
	gs_info("caught up", "sealedsecrets=%zu unsealed=%ld unchanged=%ld failed=%ld seconds=%.3f", l->nents,
	        l->done_ok, l->done_skipped, l->done_failed, mono() - l->started);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned hash2(const char *a, const char *b)
{
	unsigned h = 2166136261u;
	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 16777619u;
	return h % BUCKETS;
}

static struct ent *find(struct ctl_loop *l, const char *ns, const char *name, int create)
{
	struct ent *e, **head = &l->tab[hash2(ns, name)];
	for (e = *head; e; e = e->next)
		if (!strcmp(e->ns, ns) && !strcmp(e->name, name))
			return e;
	if (!create || !(e = calloc(1, sizeof(*e))))
		return NULL;
	if (!(e->ns = strdup(ns)) || !(e->name = strdup(name))) {
		free(e->ns);
		free(e);
		return NULL;
	}
	e->next = *head;
	*head = e;
	l->nents++;
	return e;
}

static void ent_free(struct ent *e)
{
	free(e->ns);
	free(e->name);
	free(e->uid);
	free(e->gen_scope);
	free(e->pending);
	free(e);
}

static void remove_ent(struct ctl_loop *l, struct ent *e)
{
	struct ent **pp = &l->tab[hash2(e->ns, e->name)];
	for (; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	if (e->queued)
		e->queued->e = NULL; /* the job still runs (or deletes), without an entry */
	if (e->running)
		e->running->e = NULL;
	l->nents--;
	ent_free(e);
}

static char *gen_scope_of(const struct doc *ss)
{
	char b[96];
	const char *gen = doc_text(doc_getp(ss, "metadata", "generation", NULL), NULL);
	snprintf(b, sizeof(b), "%s/%s", gen ? gen : "0", sealed_scope_name(sealed_scope_of(ss)));
	return strdup(b);
}

/* Queue a job (lock held); takes ss. */
static void enqueue(struct ctl_loop *l, struct ent *e, enum job_kind kind, char *ss, const char *ns,
                    const char *name)
{
	struct job *j;
	if (e && e->queued) { /* a newer object replaces the waiting one */
		if (ss) {
			free(e->queued->ss);
			e->queued->ss = ss;
			e->queued->kind = kind;
		}
		return;
	}
	if (e && e->inflight) { /* after the running one */
		if (ss) {
			free(e->pending);
			e->pending = ss;
		} else {
			e->pending_by_name = 1;
		}
		return;
	}
	if (!(j = calloc(1, sizeof(*j))) || !(j->ns = strdup(ns)) || !(j->name = strdup(name))) {
		gs_err("out of memory", "namespace=%s name=%s", ns, name);
		if (j)
			free(j->ns);
		free(j);
		free(ss);
		return;
	}
	j->kind = kind;
	j->ss = ss;
	j->e = e;
	if (e)
		e->queued = j;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->nqueued++;
	pthread_cond_signal(&l->cv_job);
}

static void job_free(struct job *j)
{
	free(j->ss);
	free(j->ns);
	free(j->name);
	free(j);
}

/* ---- events from the watchers ---------------------------------------------------------------- */

/* Under the lock: does this object need a reconcile? Records what was seen; creates the entry. */
static int ss_needs_work(struct ctl_loop *l, struct watcher *w, const struct doc *obj, struct ent **out)
{
	const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
	const char *uid = doc_str(doc_getp(obj, "metadata", "uid", NULL));
	struct ent *e;
	char *gs;

	*out = NULL;
	if (l->stop || !(e = find(l, ns, name, 1)) || !(gs = gen_scope_of(obj)))
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
		if ((e = find(l, ns, name, 0))) {
			gs_info("sealedsecret deleted", "namespace=%s name=%s", ns, name);
			remove_ent(l, e);
		}
		ctl_metric_condition_del(ns, name);
		if (l->st->opts->old_gc_behavior)
			enqueue(l, NULL, JOB_DELETE_SECRET, NULL, ns, name);
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
	if ((e = find(l, ns, name, 0)))
		enqueue(l, e, JOB_RECONCILE, buf_detach(&b, NULL), ns, name);
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
				remove_ent(l, e);
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
	check_caught_up(l);
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
	if ((e = find(l, ns, owner, 0))) {
		gs_info("secret deleted, recreating", "namespace=%s name=%s", ns, name);
		e->done = 0;
		e->retries = 0;
		enqueue(l, e, JOB_BY_NAME, NULL, ns, owner);
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

/*
 * What the event and the status write need of a SealedSecret: its identity, generation,
 * labels (the condition metric) and status. Not the spec nor the annotations (kubectl's
 * last-applied copy holds the whole spec): a queued post is ~0.5 KiB, so thousands can wait.
 */
static struct doc *post_subset(const struct doc *ss)
{
	static const char *const meta_keys[] = { "name", "namespace", "uid", "resourceVersion", "generation", "labels" };
	const struct doc *meta = doc_get(ss, "metadata");
	struct doc *out = doc_new_map(), *m = doc_new_map();
	size_t i;
	int rc = out && m ? 0 : -1;

	for (i = 0; rc >= 0 && i < sizeof(meta_keys) / sizeof(*meta_keys); i++)
		if (doc_get(meta, meta_keys[i]))
			rc = doc_set(m, meta_keys[i], doc_clone(doc_get(meta, meta_keys[i])));
	if (rc >= 0 && doc_get(ss, "apiVersion"))
		rc = doc_set(out, "apiVersion", doc_clone(doc_get(ss, "apiVersion")));
	if (rc >= 0 && doc_get(ss, "kind"))
		rc = doc_set(out, "kind", doc_clone(doc_get(ss, "kind")));
	if (rc >= 0) {
		rc = doc_set(out, "metadata", m);
		m = NULL;
	}
	if (rc >= 0 && doc_get(ss, "status"))
		rc = doc_set(out, "status", doc_clone(doc_get(ss, "status")));
	doc_free(m);
	if (rc < 0) {
		doc_free(out);
		return NULL;
	}
	return out;
}

/* Queue the event + status of a successful unseal (worker thread, lock not held). */
static int queue_post(struct ctl_loop *l, const struct doc *ss, int unsealed)
{
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct doc *sub = NULL;
	struct post *p;
	size_t n;

	pthread_mutex_lock(&l->mu);
	n = l->nposts;
	pthread_mutex_unlock(&l->mu);
	if (n >= MAX_POSTS) /* the post threads are far behind: do it here, which slows the workers down */
		return 0;
	if (!(p = calloc(1, sizeof(*p))) || !(sub = post_subset(ss)) || doc_emit_json(&b, sub, &eo) < 0) {
		free(p);
		doc_free(sub);
		buf_release(&b);
		return 0;
	}
	doc_free(sub);
	p->ss = buf_detach(&b, NULL);
	p->unsealed = unsealed;
	p->queued_at = mono();
	pthread_mutex_lock(&l->mu);
	if (l->ptail)
		l->ptail->next = p;
	else
		l->phead = p;
	l->ptail = p;
	l->nposts++;
	pthread_cond_signal(&l->cv_post);
	pthread_mutex_unlock(&l->mu);
	return 1;
}

/* ---- workers --------------------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
	struct ctl_loop *l = arg;
	struct kube_client *kc = NULL;
	size_t hint = 0;

	if (ctl_client_new(l->st, &kc, 1.0 / l->nworkers) < 0) {
		gs_err("worker without a Kubernetes client", "error=\"%s\"", gs_error_last());
		return NULL;
	}

	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		struct job *j = l->head;
		struct ctl_result res;
		struct ent *e;
		if (!j) {
			pthread_cond_wait(&l->cv_job, &l->mu);
			continue;
		}
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
		l->nqueued--;
		pthread_cond_broadcast(&l->cv_space);
		if ((e = j->e)) {
			e->queued = NULL;
			e->running = j;
			e->inflight = 1;
		}
		l->inflight++;
		pthread_mutex_unlock(&l->mu);

		memset(&res, 0, sizeof(res));
		if (j->kind == JOB_DELETE_SECRET) {
			if (kube_delete(kc, "v1", "Secret", j->ns, j->name, NULL) < 0 && gs_error_code() != GS_ENOTFOUND)
				gs_err("secret delete failed", "namespace=%s name=%s error=\"%s\"", j->ns, j->name,
				       gs_error_last());
			res.ok = 1;
		} else {
			struct doc *ss = NULL;
			if (j->kind == JOB_BY_NAME) {
				if (kube_get(&ss, kc, SEALED_API_VERSION, "SealedSecret", j->ns, j->name) < 0) {
					if (gs_error_code() != GS_ENOTFOUND)
						res.retry = 1;
					gs_error_clear();
				}
			} else if (j->ss && doc_parse_one(&ss, "sealedsecret", j->ss, strlen(j->ss), DOC_PARSE_JSON) < 0) {
				gs_err("cannot read a queued sealedsecret", "namespace=%s name=%s error=\"%s\"", j->ns, j->name,
				       gs_error_last());
			}
			if (ss)
				ctl_reconcile(l->st, kc, ss, &hint, &res);
			if (res.post && !queue_post(l, ss, res.post_event))
				ctl_reconcile_post(l->st, kc, ss, res.post_event);
			doc_free(ss);
			gs_error_clear();
		}

		pthread_mutex_lock(&l->mu);
		l->inflight--;
		if (res.skipped)
			l->done_skipped++;
		else if (res.ok)
			l->done_ok++;
		else
			l->done_failed++;
		if ((e = j->e)) {
			e->running = NULL;
			e->inflight = 0;
			e->done = res.ok;
			e->unseal_failed = res.unseal_failed;
			if (res.ok) {
				e->retries = 0;
			} else if (res.retry && e->retries < l->st->opts->max_unseal_retries) {
				double d = 0.5 * (double)(1 << (e->retries < 10 ? e->retries : 10));
				e->retries++;
				e->retry_at = mono() + (d > 60 ? 60 : d);
				pthread_cond_signal(&l->cv_loop);
			}
			if (e->pending) {
				char *p = e->pending;
				e->pending = NULL;
				e->done = 0;
				enqueue(l, e, JOB_RECONCILE, p, e->ns, e->name);
			} else if (e->pending_by_name) {
				e->pending_by_name = 0;
				enqueue(l, e, JOB_BY_NAME, NULL, e->ns, e->name);
			}
		}
		job_free(j);
		if (!l->nqueued && l->phead)
			pthread_cond_broadcast(&l->cv_post);
		check_caught_up(l);
	}
	pthread_mutex_unlock(&l->mu);
	kube_client_free(kc);
	return NULL;
}

static void *post_main(void *arg)
{
	struct ctl_loop *l = arg;
	struct kube_client *kc = NULL;

	if (ctl_client_new(l->st, &kc, 0.5) < 0) {
		gs_err("post thread without a Kubernetes client", "error=\"%s\"", gs_error_last());
		return NULL;
	}
	pthread_mutex_lock(&l->mu);
	while (!l->stop || l->phead) { /* a clean stop writes what is queued */
		struct post *p = l->phead;
		struct doc *ss = NULL;
		if (!p) {
			pthread_cond_wait(&l->cv_post, &l->mu);
			continue;
		}
		if (!l->stop && l->nqueued && l->nposts < MAX_POSTS / 2 && mono() - p->queued_at < POST_MAX_WAIT) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&l->cv_post, &l->mu, &ts);
			continue;
		}
		l->phead = p->next;
		if (!l->phead)
			l->ptail = NULL;
		l->nposts--;
		l->pinflight++;
		pthread_mutex_unlock(&l->mu);
		if (doc_parse_one(&ss, "sealedsecret", p->ss, strlen(p->ss), DOC_PARSE_JSON) >= 0)
			ctl_reconcile_post(l->st, kc, ss, p->unsealed);
		gs_error_clear();
		doc_free(ss);
		free(p->ss);
		free(p);
		pthread_mutex_lock(&l->mu);
		l->pinflight--;
		check_caught_up(l);
	}
	pthread_mutex_unlock(&l->mu);
	kube_client_free(kc);
	return NULL;
}

/* ---- the loop thread: retries ---------------------------------------------------------------- */

static void *loop_main(void *arg)
{
	struct ctl_loop *l = arg;
	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		double now = mono(), next = now + 5;
		struct timespec ts;
		size_t i;
		for (i = 0; i < BUCKETS; i++) {
			struct ent *e;
			for (e = l->tab[i]; e; e = e->next) {
				if (!e->retry_at)
					continue;
				if (e->retry_at <= now) {
					e->retry_at = 0;
					enqueue(l, e, JOB_BY_NAME, NULL, e->ns, e->name);
				} else if (e->retry_at < next) {
					next = e->retry_at;
				}
			}
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		{
			double w = next - now;
			ts.tv_sec += (time_t)w;
			ts.tv_nsec += (long)((w - (double)(time_t)w) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
		}
		pthread_cond_timedwait(&l->cv_loop, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

void ctl_loop_keys_changed(struct ctl_loop *l)
{
	size_t i;
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	for (i = 0; i < BUCKETS; i++) {
		struct ent *e;
		for (e = l->tab[i]; e; e = e->next)
			if (e->unseal_failed && !e->inflight && !e->queued) {
				e->unseal_failed = 0;
				e->retries = 0;
				enqueue(l, e, JOB_BY_NAME, NULL, e->ns, e->name);
			}
	}
	pthread_mutex_unlock(&l->mu);
}

/* ---- start / stop ---------------------------------------------------------------------------- */

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
static int watch_namespace(struct ctl_loop *l, const char *ns)
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

int ctl_loop_start(struct ctl_loop **out, struct ctl_state *st)
{
	struct ctl_loop *l = calloc(1, sizeof(*l));
	const struct ctl_opts *o = st->opts;
	char *nss = NULL, *tok, *save = NULL;
	int i, rc = 0;

	*out = NULL;
	if (!l)
		return gs_error(GS_ENOMEM, "out of memory");
	l->st = st;
	l->started = mono();
	sem_init(&l->list_slots, 0, 1);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv_loop, NULL);
	pthread_cond_init(&l->cv_job, NULL);
	pthread_cond_init(&l->cv_space, NULL);
	l->nworkers = o->workers * 4; /* threads; o->workers of them decrypt at a time */
	if (!(l->workers = calloc((size_t)l->nworkers, sizeof(*l->workers))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < l->nworkers; i++)
		if (pthread_create(&l->workers[i], NULL, worker_main, l))
			return gs_error(GS_ERROR, "cannot start a worker thread");
	if (pthread_create(&l->loop_th, NULL, loop_main, l))
		return gs_error(GS_ERROR, "cannot start the loop thread");
	pthread_cond_init(&l->cv_post, NULL);
	for (i = 0; i < 2; i++)
		if (!pthread_create(&l->posters[i], NULL, post_main, l))
			l->nposters++;
	st->defer_post = l->nposters > 0;
	*out = l;

	if (o->all_namespaces && !*o->additional_namespaces) {
		/* every namespace: one watch for SealedSecrets and one for Secrets, as upstream's informers */
		gs_info("watching", "namespaces=all");
		rc = watch_namespace(l, NULL);
		pthread_mutex_lock(&l->mu);
		l->ns_synced = 1;
		check_caught_up(l);
		pthread_mutex_unlock(&l->mu);
		return rc;
	}
	/* own namespace + --additional-namespaces, each checked to exist (upstream skips missing ones) */
	if (!(nss = malloc(strlen(o->namespace) + strlen(o->additional_namespaces) + 2)))
		return gs_error(GS_ENOMEM, "out of memory");
	sprintf(nss, "%s,%s", o->namespace, o->additional_namespaces);
	for (tok = strtok_r(nss, ",", &save); tok && rc >= 0; tok = strtok_r(NULL, ",", &save)) {
		struct doc *nsobj = NULL;
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		if (kube_get(&nsobj, st->kc, "v1", "Namespace", NULL, tok) < 0) {
			gs_err("namespace not watched", "namespace=%s error=\"%s\"", tok, gs_error_last());
			continue;
		}
		doc_free(nsobj);
		rc = watch_namespace(l, tok);
	}
	free(nss);
	pthread_mutex_lock(&l->mu);
	l->ns_synced = 1; /* every namespace has its watcher now */
	check_caught_up(l);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

void ctl_loop_stop(struct ctl_loop *l)
{
	int i;
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	for (i = 0; i < 64; i++)
		sem_post(&l->list_slots); /* watchers waiting for a list slot: go and see the stop */
	pthread_cond_broadcast(&l->cv_job);
	pthread_cond_broadcast(&l->cv_space);
	pthread_cond_broadcast(&l->cv_loop);
	pthread_cond_broadcast(&l->cv_post);
	pthread_mutex_unlock(&l->mu);
	{
		struct watcher *w, *next;
		pthread_mutex_lock(&l->mu);
		for (w = l->watchers; w; w = w->next)
			if (w->w)
				kube_watch_stop(w->w);
		pthread_mutex_unlock(&l->mu);
		/* the namespace watcher may still add some: stop until none is left running */
		while (1) {
			pthread_mutex_lock(&l->mu);
			w = l->watchers;
			l->watchers = NULL;
			pthread_mutex_unlock(&l->mu);
			if (!w)
				break;
			for (; w; w = next) {
				next = w->next;
				pthread_mutex_lock(&l->mu);
				if (w->w)
					kube_watch_stop(w->w);
				pthread_mutex_unlock(&l->mu);
				pthread_join(w->th, NULL);
				kube_watch_free(w->w);
				kube_client_free(w->kc);
				free(w->ns);
				free(w);
			}
		}
	}
	for (i = 0; i < l->nworkers; i++)
		if (l->workers[i])
			pthread_join(l->workers[i], NULL);
	pthread_join(l->loop_th, NULL);
	for (i = 0; i < l->nposters; i++)
		pthread_join(l->posters[i], NULL);
	l->st->defer_post = 0;
	while (l->phead) {
		struct post *p = l->phead;
		l->phead = p->next;
		free(p->ss);
		free(p);
	}
	while (l->head) {
		struct job *j = l->head;
		l->head = j->next;
		job_free(j);
	}
	for (i = 0; i < BUCKETS; i++)
		while (l->tab[i]) {
			struct ent *e = l->tab[i];
			l->tab[i] = e->next;
			ent_free(e);
		}
	free(l->workers);
	free(l);
}

void ctl_loop_stats(struct ctl_loop *l, long *ok, long *skipped, long *failed, size_t *known, size_t *busy)
{
	pthread_mutex_lock(&l->mu);
	*ok = l->done_ok;
	*skipped = l->done_skipped;
	*failed = l->done_failed;
	*known = l->nents;
	*busy = l->nqueued + (size_t)l->inflight;
	pthread_mutex_unlock(&l->mu);
}
