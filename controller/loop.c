/*
 * The reconcile machinery of the leader: the SealedSecret table, the job
 * queue, the worker pool and the timers (retries); the watchers are in
 * watchers.c, the events and status writes after an unseal in posts.c.
 *
 * One mutex guards the table and the queues; the loop thread owns the timers
 * and is the only one that sleeps on them. Watcher callbacks only record what
 * they saw and queue a job (waiting while too many SealedSecret documents are
 * queued, so a cold start over thousands of objects stays in a few MiB);
 * workers run ctl_reconcile() without the lock and report back.
 */
#include "controller/loop_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "sealer/sealed/sealed.h"

/* Once everything listed at start is handled: one log line (and the figure the bench reads). */
void ctl__check_caught_up(struct ctl_loop *l)
{
	if (l->caught_up || !l->ns_synced || l->ss_synced < l->ss_watchers || l->nqueued || l->inflight ||
	    l->nposts || l->pinflight)
		return;
	l->caught_up = 1;
	gs_info("caught up", "sealedsecrets=%zu unsealed=%ld unchanged=%ld failed=%ld seconds=%.3f", l->nents,
	        l->done_ok, l->done_skipped, l->done_failed, ctl__mono() - l->started);
}

double ctl__mono(void)
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

struct ent *ctl__ent_find(struct ctl_loop *l, const char *ns, const char *name, int create)
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

void ctl__ent_remove(struct ctl_loop *l, struct ent *e)
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

char *ctl__gen_scope_of(const struct doc *ss)
{
	char b[96];
	const char *gen = doc_text(doc_getp(ss, "metadata", "generation", NULL), NULL);
	snprintf(b, sizeof(b), "%s/%s", gen ? gen : "0", sealed_scope_name(sealed_scope_of(ss)));
	return strdup(b);
}

/* Queue a job (lock held); takes ss. */
void ctl__enqueue(struct ctl_loop *l, struct ent *e, enum job_kind kind, char *ss, const char *ns,
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
			if (res.post && !ctl__queue_post(l, ss, res.post_event))
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
				e->retry_at = ctl__mono() + (d > 60 ? 60 : d);
				pthread_cond_signal(&l->cv_loop);
			}
			if (e->pending) {
				char *p = e->pending;
				e->pending = NULL;
				e->done = 0;
				ctl__enqueue(l, e, JOB_RECONCILE, p, e->ns, e->name);
			} else if (e->pending_by_name) {
				e->pending_by_name = 0;
				ctl__enqueue(l, e, JOB_BY_NAME, NULL, e->ns, e->name);
			}
		}
		job_free(j);
		if (!l->nqueued && l->phead)
			pthread_cond_broadcast(&l->cv_post);
		ctl__check_caught_up(l);
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
		double now = ctl__mono(), next = now + 5;
		struct timespec ts;
		size_t i;
		for (i = 0; i < BUCKETS; i++) {
			struct ent *e;
			for (e = l->tab[i]; e; e = e->next) {
				if (!e->retry_at)
					continue;
				if (e->retry_at <= now) {
					e->retry_at = 0;
					ctl__enqueue(l, e, JOB_BY_NAME, NULL, e->ns, e->name);
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
				ctl__enqueue(l, e, JOB_BY_NAME, NULL, e->ns, e->name);
			}
	}
	pthread_mutex_unlock(&l->mu);
}

/* ---- start / stop ---------------------------------------------------------------------------- */

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
	l->started = ctl__mono();
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
		if (!pthread_create(&l->posters[i], NULL, ctl__post_main, l))
			l->nposters++;
	st->defer_post = l->nposters > 0;
	*out = l;

	if (o->all_namespaces && !*o->additional_namespaces) {
		/* every namespace: one watch for SealedSecrets and one for Secrets, as upstream's informers */
		gs_info("watching", "namespaces=all");
		rc = ctl__watch_namespace(l, NULL);
		pthread_mutex_lock(&l->mu);
		l->ns_synced = 1;
		ctl__check_caught_up(l);
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
		rc = ctl__watch_namespace(l, tok);
	}
	free(nss);
	pthread_mutex_lock(&l->mu);
	l->ns_synced = 1; /* every namespace has its watcher now */
	ctl__check_caught_up(l);
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
