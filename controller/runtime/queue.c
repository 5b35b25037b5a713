/*
 * The keyed work queue (client-go's workqueue, rate-limited): a FIFO of keys, each waiting at
 * most once, never on two workers at once, re-run after a worker if it was added meanwhile, and
 * retried after a per-key exponential backoff. The workers themselves wait for the next retry
 * that falls due: no timer thread.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/runtime/runtime.h"
#include "core/clock.h"
#include "core/log.h"

struct qkey {
	struct qkey *next;          /* the FIFO of waiting keys */
	struct qkey *dnext, *dprev; /* the delayed keys (unordered; removal in O(1)) */
	void *payload;
	double due; /* delayed: when it is added (gs_mono() seconds) */
	int retries;
	unsigned waiting : 1, running : 1, dirty : 1, delayed : 1;
	char key[];
};

struct rt_queue {
	struct rt_queue_opts o;
	char *name;
	pthread_mutex_t mu;
	pthread_cond_t cv;  /* CLOCK_MONOTONIC */
	struct rt_map keys; /* key -> struct qkey */
	struct qkey *head, *tail, *delayed;
	double next_due; /* at most the earliest due time of the delayed keys (0: look) */
	size_t nwaiting, nrunning;
	pthread_t *th;
	int nth, stop;
};

struct worker_arg {
	struct rt_queue *q;
	int idx;
};

static void drop_payload(struct rt_queue *q, void *p)
{
	if (p && q->o.free_payload)
		q->o.free_payload(p);
}

static struct qkey *get_key(struct rt_queue *q, const char *key, int create)
{
	struct qkey *k = rt_map_get(&q->keys, key);
	size_t kl;
	if (k || !create)
		return k;
	kl = strlen(key);
	if (!(k = calloc(1, sizeof(*k) + kl + 1)))
		return NULL;
	memcpy(k->key, key, kl + 1);
	if (rt_map_put(&q->keys, key, k) < 0) {
		free(k);
		return NULL;
	}
	return k;
}

/* Forget a key that has nothing left: not waiting, running or delayed, no retry count. */
static void maybe_free(struct rt_queue *q, struct qkey *k)
{
	if (k->waiting || k->running || k->delayed || k->retries || k->payload)
		return;
	rt_map_del(&q->keys, k->key);
	free(k);
}

static void undelay(struct rt_queue *q, struct qkey *k)
{
	if (!k->delayed)
		return;
	if (k->dprev)
		k->dprev->dnext = k->dnext;
	else
		q->delayed = k->dnext;
	if (k->dnext)
		k->dnext->dprev = k->dprev;
	k->delayed = 0;
	k->dnext = k->dprev = NULL;
	k->due = 0;
}

static void push(struct rt_queue *q, struct qkey *k)
{
	k->waiting = 1;
	k->next = NULL;
	if (q->tail)
		q->tail->next = k;
	else
		q->head = k;
	q->tail = k;
	q->nwaiting++;
	pthread_cond_signal(&q->cv);
}

/* Under mu: make an existing or new key wait (or run again after its worker). */
static void add_locked(struct rt_queue *q, struct qkey *k)
{
	undelay(q, k);
	if (k->running)
		k->dirty = 1;
	else if (!k->waiting)
		push(q, k);
}

void rt_queue_add(struct rt_queue *q, const char *key, void *payload)
{
	struct qkey *k;
	pthread_mutex_lock(&q->mu);
	if (q->stop || !(k = get_key(q, key, 1))) {
		pthread_mutex_unlock(&q->mu);
		if (!q->stop)
			gs_err("out of memory", "queue=%s key=%s", q->name, key);
		drop_payload(q, payload);
		return;
	}
	if (payload) {
		drop_payload(q, k->payload);
		k->payload = payload;
	}
	add_locked(q, k);
	pthread_mutex_unlock(&q->mu);
}

static void delay_locked(struct rt_queue *q, struct qkey *k, double seconds)
{
	double due = gs_mono() + (seconds > 0 ? seconds : 0);
	if (k->waiting || (k->running && k->dirty) || (k->delayed && k->due <= due))
		return;
	if (!k->delayed) {
		k->dprev = NULL;
		k->dnext = q->delayed;
		if (q->delayed)
			q->delayed->dprev = k;
		q->delayed = k;
		k->delayed = 1;
	}
	k->due = due;
	if (!q->next_due || due < q->next_due)
		q->next_due = due;
	pthread_cond_broadcast(&q->cv); /* sleeping workers look at the new due time */
}

void rt_queue_add_after(struct rt_queue *q, const char *key, double seconds)
{
	struct qkey *k;
	pthread_mutex_lock(&q->mu);
	if (!q->stop && (k = get_key(q, key, 1)))
		delay_locked(q, k, seconds);
	pthread_mutex_unlock(&q->mu);
}

void rt_queue_forget(struct rt_queue *q, const char *key)
{
	struct qkey *k;
	pthread_mutex_lock(&q->mu);
	if ((k = get_key(q, key, 0))) {
		k->retries = 0;
		undelay(q, k);
		maybe_free(q, k);
	}
	pthread_mutex_unlock(&q->mu);
}

int rt_queue_retries(struct rt_queue *q, const char *key)
{
	struct qkey *k;
	int n;
	pthread_mutex_lock(&q->mu);
	n = (k = get_key(q, key, 0)) ? k->retries : 0;
	pthread_mutex_unlock(&q->mu);
	return n;
}

size_t rt_queue_len(struct rt_queue *q)
{
	size_t n;
	pthread_mutex_lock(&q->mu);
	n = q->nwaiting;
	pthread_mutex_unlock(&q->mu);
	return n;
}

size_t rt_queue_running(struct rt_queue *q)
{
	size_t n;
	pthread_mutex_lock(&q->mu);
	n = q->nrunning;
	pthread_mutex_unlock(&q->mu);
	return n;
}

int rt_queue_busy(struct rt_queue *q)
{
	return q->o.watermark && rt_queue_len(q) >= q->o.watermark;
}

/* Under mu: delayed keys that fell due join the FIFO; returns the next due time (0: none).
 * Each worker calls it before taking a key: with thousands of keys waiting for their
 * interval, the list is walked only once one of them is due. */
static double promote(struct rt_queue *q, double now)
{
	struct qkey *k, *kn;
	double next = 0;
	if (!q->delayed)
		return q->next_due = 0;
	if (q->next_due && now < q->next_due)
		return q->next_due;
	for (k = q->delayed; k; k = kn) {
		kn = k->dnext;
		if (k->due <= now) {
			undelay(q, k);
			if (k->running)
				k->dirty = 1;
			else if (!k->waiting)
				push(q, k);
			continue;
		}
		if (!next || k->due < next)
			next = k->due;
	}
	return q->next_due = next;
}

static void wait_until(struct rt_queue *q, double due)
{
	struct timespec ts;
	double s;
	if (!due) {
		pthread_cond_wait(&q->cv, &q->mu);
		return;
	}
	s = due - gs_mono();
	if (s <= 0)
		return;
	gs_mono_abstime(&ts, (int64_t)(s * 1000) + 1); /* + 1: never wake just before it */
	pthread_cond_timedwait(&q->cv, &q->mu, &ts);
}

static double backoff(const struct rt_queue *q, int retries)
{
	double d = q->o.backoff_base * (double)(1u << (retries < 20 ? retries : 20));
	return d > q->o.backoff_max ? q->o.backoff_max : d;
}

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct rt_queue *q = wa->q;
	int idx = wa->idx;

	free(wa);
	pthread_mutex_lock(&q->mu);
	while (!q->stop) {
		double next = promote(q, gs_mono());
		enum rt_result res;
		struct qkey *k = q->head;
		void *payload;
		int retries, drained, idle;

		if (!k) {
			wait_until(q, next);
			continue;
		}
		q->head = k->next;
		if (!q->head)
			q->tail = NULL;
		k->next = NULL;
		k->waiting = 0;
		k->running = 1;
		q->nwaiting--;
		q->nrunning++;
		drained = q->o.watermark && q->nwaiting + 1 == q->o.watermark;
		payload = k->payload;
		k->payload = NULL;
		retries = k->retries;
		pthread_mutex_unlock(&q->mu);

		if (drained && q->o.drained)
			q->o.drained(q->o.ctx);
		res = q->o.process(q->o.ctx, idx, k->key, payload, retries);

		pthread_mutex_lock(&q->mu);
		k->running = 0;
		q->nrunning--;
		if (res == RT_DONE) {
			k->retries = 0;
		} else if (res == RT_RETRY) {
			k->retries++;
			if (!k->dirty && !q->stop)
				delay_locked(q, k, backoff(q, retries));
		}
		if (k->dirty) {
			k->dirty = 0;
			if (!q->stop)
				push(q, k);
		}
		maybe_free(q, k);
		idle = !q->nwaiting && !q->nrunning && !q->stop;
		if (idle && q->o.idle) {
			pthread_mutex_unlock(&q->mu);
			q->o.idle(q->o.ctx);
			pthread_mutex_lock(&q->mu);
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int rt_queue_new(struct rt_queue **out, const struct rt_queue_opts *o)
{
	struct rt_queue *q;
	pthread_condattr_t ca;
	pthread_attr_t attr;
	int i;

	*out = NULL;
	if (!o->process || o->workers < 1)
		return gs_error(GS_EINVAL,
		                "queue: a process function and at least one worker are needed");
	if (!(q = calloc(1, sizeof(*q))) || !(q->name = strdup(o->name ? o->name : "queue")) ||
	    !(q->th = calloc((size_t)o->workers, sizeof(*q->th)))) {
		if (q)
			free(q->name);
		free(q);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	q->o = *o;
	q->o.name = q->name;
	if (q->o.backoff_base <= 0)
		q->o.backoff_base = 0.5;
	if (q->o.backoff_max <= 0)
		q->o.backoff_max = 60;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&attr);
	if (o->stack_size)
		pthread_attr_setstacksize(&attr, o->stack_size);
	for (i = 0; i < o->workers; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));
		if (!wa ||
		    (wa->q = q, wa->idx = i, pthread_create(&q->th[i], &attr, worker_main, wa))) {
			free(wa);
			pthread_attr_destroy(&attr);
			rt_queue_free(q);
			return gs_error(GS_ERROR, "queue %s: cannot start a worker thread",
			                o->name ? o->name : "");
		}
		q->nth++;
	}
	pthread_attr_destroy(&attr);
	*out = q;
	return 0;
}

static void free_key(void *ctx, const char *key, void *val)
{
	struct rt_queue *q = ctx;
	struct qkey *k = val;
	(void)key;
	drop_payload(q, k->payload);
	free(k);
}

void rt_queue_free(struct rt_queue *q)
{
	int i;
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nth; i++)
		pthread_join(q->th[i], NULL);
	rt_map_each(&q->keys, free_key, q);
	rt_map_release(&q->keys, NULL);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->th);
	free(q->name);
	free(q);
}
