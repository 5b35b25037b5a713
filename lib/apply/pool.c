/* A few worker threads over a range of independent jobs (redis bio.c in miniature). */
#include <pthread.h>
#include <stdlib.h>

#include "apply/apply_int.h"

struct pool {
	pthread_mutex_t mu;
	size_t next, n;
	apply__job_fn fn;
	void *ctx;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->mu);
		i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		p->fn(p->ctx, i);
	}
}

int apply__pool_run(size_t n, int workers, apply__job_fn fn, void *ctx)
{
	struct pool p = { PTHREAD_MUTEX_INITIALIZER, 0, n, fn, ctx };
	pthread_t *t = NULL;
	size_t i, started = 0, want;

	if (workers < 1)
		workers = 1;
	want = (size_t)workers < n ? (size_t)workers : n;
	if (want > 1 && !(t = calloc(want - 1, sizeof(*t))))
		want = 1; /* no memory for threads: run them all here */
	for (i = 0; i + 1 < want; i++)
		if (pthread_create(&t[i], NULL, worker, &p) == 0)
			started++;
		else
			break;
	worker(&p); /* this thread works too */
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	pthread_mutex_destroy(&p.mu);
	return 0;
}
