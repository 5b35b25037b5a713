/*
 * Leader election with a coordination.k8s.io/v1 Lease (lib/kube lease.c), on a thread of its
 * own: acquire or renew every fifth of the lease, call the reconciler's tick, and give the Lease
 * up at stop so another replica takes over at once. Losing it while leading ends the process
 * (someone else may act now), as client-go's leader election does.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/runtime/runtime_int.h"
#include "core/clock.h"
#include "core/log.h"

#define FOLLOWER_PERIOD_MS 2000

struct rt_leader {
	struct rt *rt;
	struct rt_leader_opts o;
	char *ns, *name, *identity;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	int stop, kicked, started;
};

static void wait_ms(struct rt_leader *l, long ms)
{
	struct timespec ts;
	gs_mono_abstime(&ts, ms);
	pthread_mutex_lock(&l->mu);
	if (!l->stop && !l->kicked)
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	pthread_mutex_unlock(&l->mu);
}

static void *leader_main(void *arg)
{
	struct rt_leader *l = arg;
	struct kube_lease lease = { l->ns, l->name, l->identity, (int)l->o.lease_duration };
	double last_renew = 0, deadline = l->o.lease_duration * 2 / 3;
	long period = (long)(l->o.lease_duration * 1000 / 5);
	int leader = 0, waiting_logged = 0, stop;

	if (period < 200)
		period = 200;
	for (;;) {
		int now_leader = 1;
		long want;
		pthread_mutex_lock(&l->mu);
		stop = l->stop;
		l->kicked = 0;
		pthread_mutex_unlock(&l->mu);
		if (stop)
			break;
		if (l->o.enabled) {
			int rc = kube_lease_acquire(l->rt->kc, &lease, &now_leader);
			if (rc < 0) {
				gs_warn("lease renewal failed", "lease=%s/%s error=\"%s\"", l->ns,
				        l->name, gs_error_last());
				now_leader = leader && gs_mono() - last_renew < deadline;
			} else if (now_leader) {
				last_renew = gs_mono();
			}
			gs_error_clear();
		}
		if (leader && !now_leader) {
			/* someone else may act now: stop at once */
			gs_err("leader election lost", "lease=%s/%s", l->ns, l->name);
			exit(1);
		}
		if (!leader && now_leader) {
			gs_info("became leader", "lease=%s/%s identity=%s", l->ns, l->name,
			        l->identity);
			leader = 1;
		} else if (!now_leader && !waiting_logged) {
			gs_info("waiting for leadership", "lease=%s/%s identity=%s", l->ns, l->name,
			        l->identity);
			waiting_logged = 1;
		}
		want = l->o.tick ? l->o.tick(l->o.ctx, leader) : period;
		if (leader)
			wait_ms(l, want > 0 && want < period ? want : period);
		else
			wait_ms(l,
			        want > 0 && want < FOLLOWER_PERIOD_MS ? want : FOLLOWER_PERIOD_MS);
	}
	if (l->o.stopped)
		l->o.stopped(l->o.ctx);
	if (l->o.enabled && leader && kube_lease_release(l->rt->kc, &lease) < 0)
		gs_warn("lease not released", "error=\"%s\"", gs_error_last());
	return NULL;
}

static void leader_free(struct rt_leader *l)
{
	free(l->ns);
	free(l->name);
	free(l->identity);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

int rt_leader_start(struct rt_leader **out, struct rt *rt, const struct rt_leader_opts *o)
{
	struct rt_leader *l;
	pthread_condattr_t ca;

	*out = NULL;
	if (o->enabled && (!o->ns || !o->name || !o->identity || o->lease_duration < 2))
		return gs_error(GS_EINVAL, "leader election: namespace, name, identity and a lease "
		                           "of 2 s or more are needed");
	if (!(l = calloc(1, sizeof(*l))))
		return gs_error(GS_ENOMEM, "out of memory");
	l->rt = rt;
	l->o = *o;
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	l->ns = strdup(o->ns ? o->ns : "");
	l->name = strdup(o->name ? o->name : "");
	l->identity = strdup(o->identity ? o->identity : "");
	if (l->o.lease_duration < 2)
		l->o.lease_duration = 15;
	if (!l->ns || !l->name || !l->identity) {
		leader_free(l);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if (pthread_create(&l->th, NULL, leader_main, l)) {
		leader_free(l);
		return gs_error(GS_ERROR, "cannot start the leader thread");
	}
	*out = l;
	return 0;
}

void rt_leader_kick(struct rt_leader *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->kicked = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

void rt_leader_stop(struct rt_leader *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->th, NULL);
	leader_free(l);
}
