/*
 * The HTTP server's work pool (http_int.h): the routes marked work (decryption: /v1/verify,
 * /v1/rotate) run here, on work_threads threads of their own behind a queue of qmax requests,
 * so they never hold an event thread (/healthz answers meanwhile) and never take the
 * reconcilers' workers or decryption slots. A full queue is answered 503 at once; a request
 * whose connection was closed meanwhile (deadline, eviction) is not run.
 */
#include <stdlib.h>
#include <string.h>

#include "controller/runtime/http_int.h"
#include "core/log.h"

static void *work_main(void *arg)
{
	struct rt_http *h = arg;
	struct rt_req *rq;

	pthread_mutex_lock(&h->wmu);
	for (;;) {
		while (!h->qhead && !h->wstop)
			pthread_cond_wait(&h->wcv, &h->wmu);
		if (!(rq = h->qhead))
			break; /* stopping, and nothing waits */
		h->qhead = rq->qnext;
		if (!h->qhead)
			h->qtail = NULL;
		h->qlen--;
		pthread_mutex_unlock(&h->wmu);
		rt__http_run(h, rq);
		pthread_mutex_lock(&h->wmu);
	}
	pthread_mutex_unlock(&h->wmu);
	return NULL;
}

int rt__http_work_start(struct rt_http *h)
{
	int i, max = (int)(sizeof(h->workers) / sizeof(h->workers[0]));
	if (h->work_threads > max)
		h->work_threads = max;
	h->wstop = 0;
	for (i = 0; i < h->work_threads; i++) {
		if (pthread_create(&h->workers[i], NULL, work_main, h))
			return gs_error(GS_ERROR, "http: cannot start the work threads");
		h->nworkers++;
	}
	return 0;
}

int rt__http_work_submit(struct rt_http *h, struct rt_req *rq)
{
	int rc = 0;
	pthread_mutex_lock(&h->wmu);
	if (h->wstop || !h->nworkers || h->qlen >= h->qmax) {
		rc = -1;
	} else {
		rq->qnext = NULL;
		if (h->qtail)
			h->qtail->qnext = rq;
		else
			h->qhead = rq;
		h->qtail = rq;
		h->qlen++;
		pthread_cond_signal(&h->wcv);
	}
	pthread_mutex_unlock(&h->wmu);
	return rc;
}

void rt__http_work_stop(struct rt_http *h)
{
	int i;
	pthread_mutex_lock(&h->wmu);
	__atomic_store_n(&h->wstop, 1, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&h->wcv);
	pthread_mutex_unlock(&h->wmu);
	/* the threads answer what still waits (stopping: 503, not run) and end */
	for (i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	h->nworkers = 0;
}
