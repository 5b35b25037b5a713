/* controller/runtime/queue.c: dedup by key, FIFO order, one worker per key, re-run after a
 * worker, payload replacement, backoff of retries, forget, the watermark and idle callbacks. */
#include "test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/runtime/runtime.h"
#include "core/clock.h"

struct rec {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char log[4096]; /* "key:payload;" in processing order */
	int gate;       /* process waits while set */
	int running, max_running;
	int fail_left; /* RT_RETRY this many times */
	double at[16]; /* when each run started */
	int runs;
	int drained, idle;
};

static enum rt_result process(void *ctx, int worker, const char *key, void *payload, int retries)
{
	struct rec *r = ctx;
	enum rt_result res = RT_DONE;
	(void)worker;
	pthread_mutex_lock(&r->mu);
	if (r->runs < 16)
		r->at[r->runs] = gs_mono();
	r->runs++;
	snprintf(r->log + strlen(r->log), sizeof(r->log) - strlen(r->log), "%s:%s:%d;", key,
	         payload ? (char *)payload : "-", retries);
	r->running++;
	if (r->running > r->max_running)
		r->max_running = r->running;
	pthread_cond_broadcast(&r->cv);
	while (r->gate)
		pthread_cond_wait(&r->cv, &r->mu);
	r->running--;
	if (r->fail_left > 0) {
		r->fail_left--;
		res = RT_RETRY;
	}
	pthread_mutex_unlock(&r->mu);
	free(payload);
	return res;
}

static void drained(void *ctx)
{
	struct rec *r = ctx;
	pthread_mutex_lock(&r->mu);
	r->drained++;
	pthread_mutex_unlock(&r->mu);
}

static void idle(void *ctx)
{
	struct rec *r = ctx;
	pthread_mutex_lock(&r->mu);
	r->idle++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void free_payload(void *p)
{
	free(p);
}

static struct rt_queue *mkq(struct rec *r, int workers, size_t watermark)
{
	struct rt_queue_opts o = { 0 };
	struct rt_queue *q = NULL;
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	o.name = "test";
	o.workers = workers;
	o.backoff_base = 0.05;
	o.backoff_max = 0.2;
	o.watermark = watermark;
	o.process = process;
	o.free_payload = free_payload;
	o.drained = drained;
	o.idle = idle;
	o.ctx = r;
	if (rt_queue_new(&q, &o) < 0)
		return NULL;
	return q;
}

/* Wait (bounded) until the log holds want's length and nothing waits or runs. */
static int settle(struct rt_queue *q, struct rec *r, int runs)
{
	int i;
	for (i = 0; i < 400; i++) {
		int done;
		pthread_mutex_lock(&r->mu);
		done = r->runs >= runs && !r->running;
		pthread_mutex_unlock(&r->mu);
		if (done && !rt_queue_len(q) && !rt_queue_running(q))
			return 1;
		usleep(10 * 1000);
	}
	return 0;
}

static void set_gate(struct rec *r, int v)
{
	pthread_mutex_lock(&r->mu);
	r->gate = v;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Hold the single worker on a first key, so what is added meanwhile waits. */
static void hold_worker(struct rt_queue *q, struct rec *r)
{
	set_gate(r, 1);
	rt_queue_add(q, "hold", NULL);
	pthread_mutex_lock(&r->mu);
	while (!r->running)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

void test_ctl_runtime_queue__dedup_keeps_first_position_and_newest_payload(void)
{
	struct rec r;
	struct rt_queue *q = mkq(&r, 1, 0);
	assert_true(q != NULL);
	hold_worker(q, &r);
	rt_queue_add(q, "a", strdup("a1"));
	rt_queue_add(q, "b", strdup("b1"));
	rt_queue_add(q, "a", strdup("a2")); /* replaces a1, a stays first */
	rt_queue_add(q, "c", NULL);
	rt_queue_add(q, "b", NULL); /* keeps b1 */
	assert_int(rt_queue_len(q), 3);
	set_gate(&r, 0);
	assert_true(settle(q, &r, 4));
	assert_str(r.log, "hold:-:0;a:a2:0;b:b1:0;c:-:0;");
	rt_queue_free(q);
}

void test_ctl_runtime_queue__a_key_runs_on_one_worker_at_a_time_and_again_after(void)
{
	struct rec r;
	struct rt_queue *q = mkq(&r, 4, 0);
	assert_true(q != NULL);
	hold_worker(q, &r);                   /* "hold" runs on one of the four */
	rt_queue_add(q, "hold", strdup("x")); /* while it runs: it runs again afterwards, with x */
	rt_queue_add(q, "hold", strdup("y")); /* ... with the newest payload */
	usleep(100 * 1000);
	pthread_mutex_lock(&r.mu);
	assert_int(r.max_running, 1); /* the other workers did not take the same key */
	pthread_mutex_unlock(&r.mu);
	set_gate(&r, 0);
	assert_true(settle(q, &r, 2));
	assert_str(r.log, "hold:-:0;hold:y:0;");
	rt_queue_free(q);
}

void test_ctl_runtime_queue__retries_back_off_and_an_add_cancels_the_wait(void)
{
	struct rec r;
	struct rt_queue *q = mkq(&r, 2, 0);
	assert_true(q != NULL);
	r.fail_left = 3;
	rt_queue_add(q, "k", strdup("p"));
	assert_true(settle(q, &r, 4));
	/* the payload is for the first run only; retries count up; then success forgets them */
	assert_str(r.log, "k:p:0;k:-:1;k:-:2;k:-:3;");
	/* base 0.05 s doubling, capped at 0.2: each wait at least its backoff */
	assert_true(r.at[1] - r.at[0] >= 0.05);
	assert_true(r.at[2] - r.at[1] >= 0.1);
	assert_true(r.at[3] - r.at[2] >= 0.2);
	assert_int(rt_queue_retries(q, "k"), 0);

	/* a retry waiting out its backoff runs at once when the key is added again */
	r.log[0] = '\0';
	r.runs = 0;
	r.fail_left = 1;
	rt_queue_add(q, "slow", NULL);
	assert_true(settle(q, &r, 1));
	assert_int(rt_queue_retries(q, "slow"), 1);
	rt_queue_add(q, "slow", strdup("now"));
	assert_true(settle(q, &r, 2));
	assert_str(r.log, "slow:-:0;slow:now:1;");
	rt_queue_free(q);
}

void test_ctl_runtime_queue__failed_keeps_the_count_until_forget(void)
{
	struct rec r;
	struct rt_queue *q = mkq(&r, 1, 0);
	assert_true(q != NULL);
	r.fail_left = 1;
	rt_queue_add(q, "f", NULL);
	assert_true(settle(q, &r, 2));
	assert_int(rt_queue_retries(q, "f"), 0);
	r.fail_left = 1;
	rt_queue_add(q, "g", NULL);
	assert_true(settle(q, &r, 3));
	assert_int(rt_queue_retries(q, "g"), 1);
	rt_queue_forget(q, "g"); /* the pending retry goes too */
	assert_int(rt_queue_retries(q, "g"), 0);
	usleep(300 * 1000);
	assert_int(r.runs, 3);
	rt_queue_add_after(q, "later", 0.05);
	assert_int(rt_queue_len(q), 0);
	assert_true(settle(q, &r, 4));
	assert_contains(r.log, "later:-:0;");
	rt_queue_free(q);
}

void test_ctl_runtime_queue__watermark_busy_drained_and_idle(void)
{
	struct rec r;
	struct rt_queue *q = mkq(&r, 1, 3);
	assert_true(q != NULL);
	hold_worker(q, &r);
	rt_queue_add(q, "1", NULL);
	rt_queue_add(q, "2", NULL);
	assert_true(!rt_queue_busy(q));
	rt_queue_add(q, "3", NULL);
	assert_true(rt_queue_busy(q));
	assert_int(r.drained, 0);
	set_gate(&r, 0);
	assert_true(settle(q, &r, 4));
	assert_true(!rt_queue_busy(q));
	assert_int(r.drained, 1); /* once, when it went below the mark */
	assert_true(r.idle >= 1);
	rt_queue_free(q);
}

void test_ctl_runtime_queue__free_drops_waiting_payloads(void)
{
	struct rec r;
	struct rt_queue *q = mkq(&r, 1, 0);
	assert_true(q != NULL);
	hold_worker(q, &r);
	rt_queue_add(q, "a",
	             strdup("dropped")); /* freed by rt_queue_free (ASan finds a leak if not) */
	rt_queue_add_after(q, "b", 60);
	set_gate(&r, 0);
	rt_queue_free(q);
	assert_true(!strstr(r.log, "b:"));
}

void test_ctl_runtime_queue__many_delayed_keys_fall_due_in_time(void)
{
	struct rec r;
	struct rt_queue *q = mkq(&r, 1, 0);
	char key[16];
	double t0 = gs_mono();
	int i;
	assert_true(q != NULL);
	/* many keys waiting out their interval (the reconciler's polls), added in any order */
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		rt_queue_add_after(q, key, 0.3);
	}
	rt_queue_add_after(q, "mid", 0.15);
	rt_queue_add_after(q, "early", 0.05); /* earlier than every key before it */
	rt_queue_add_after(q, "now", 5);
	rt_queue_add(q, "now", NULL); /* an add cancels the wait: it runs at once, once */
	assert_true(settle(q, &r, 203));
	assert_true(!strncmp(r.log, "now:-:0;early:-:0;mid:-:0;k", 27));
	assert_true(r.at[1] - t0 >= 0.05);
	assert_true(r.at[2] - t0 >= 0.15);
	assert_true(r.at[3] - t0 >= 0.3);
	assert_int(r.runs, 203);
	usleep(100 * 1000);
	assert_int(r.runs, 203); /* nothing ran twice */
	rt_queue_free(q);
}
