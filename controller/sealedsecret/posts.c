/*
 * After a successful unseal: the Unsealed event and the status write, on two
 * post threads, second in priority to the Secrets themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/clock.h"
#include "core/log.h"

/*
 * What the event and the status write need of a SealedSecret: its identity, generation,
 * labels (the condition metric) and status. Not the spec nor the annotations (kubectl's
 * last-applied copy holds the whole spec): a queued post is ~0.5 KiB, so thousands can wait.
 */
static struct doc *post_subset(const struct doc *ss)
{
	static const char *const meta_keys[] = { "name",       "namespace",
		                                 "uid",        "resourceVersion",
		                                 "generation", "labels" };
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
int ss__queue_post(struct ss_loop *l, const struct doc *ss, int unsealed)
{
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct doc *sub = NULL;
	struct ss_post *p;
	size_t n;

	int stop;

	pthread_mutex_lock(&l->mu);
	n = l->nposts;
	stop = l->stop;
	pthread_mutex_unlock(&l->mu);
	if (n >= SS_MAX_POSTS ||
	    stop) /* the post threads are far behind: do it here, which slows the workers down */
		return 0;
	if (!(p = calloc(1, sizeof(*p))) || !(sub = post_subset(ss)) ||
	    doc_emit_json(&b, sub, &eo) < 0) {
		free(p);
		doc_free(sub);
		buf_release(&b);
		return 0;
	}
	doc_free(sub);
	p->ss = buf_detach(&b, NULL);
	p->unsealed = unsealed;
	p->queued_at = gs_mono();
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

void ss__posts_drop(struct ss_loop *l)
{
	while (l->phead) {
		struct ss_post *p = l->phead;
		l->phead = p->next;
		free(p->ss);
		free(p);
	}
	l->ptail = NULL;
	l->nposts = 0;
}

void *ss__post_main(void *arg)
{
	struct ss_loop *l = arg;

	pthread_mutex_lock(&l->mu);
	while (!l->stop || l->phead) { /* a clean stop writes what is queued */
		struct ss_post *p = l->phead;
		struct doc *ss = NULL;
		if (!p) {
			pthread_cond_wait(&l->cv_post, &l->mu);
			continue;
		}
		if (!l->stop && l->q && rt_queue_len(l->q) && l->nposts < SS_MAX_POSTS / 2 &&
		    gs_mono() - p->queued_at < SS_POST_MAX_WAIT) {
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
			ss_reconcile_post(l->c, ss, p->unsealed);
		gs_error_clear();
		doc_free(ss);
		free(p->ss);
		free(p);
		pthread_mutex_lock(&l->mu);
		l->pinflight--;
		ss__check_caught_up(l);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}
