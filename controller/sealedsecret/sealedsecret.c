/*
 * The SealedSecret controller's life: metrics and routes at once (liveness must not wait for
 * keys, upstream #697), the key informer on every replica, and the Lease: while this replica
 * leads, the leader's tick makes keys when due and runs the unsealing machinery (controller.c)
 * from the moment the keys are loaded and there is one to open with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/log.h"

int ss_controller_new(struct ss_controller **out, struct rt *rt, const struct ctl_opts *o,
                      struct rt_http *api)
{
	struct ss_controller *c;
	int rc;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return gs_error(GS_ENOMEM, "out of memory");
	c->o = o;
	c->rt = rt;
	c->kc = rt_client(rt);
	pthread_mutex_init(&c->mu, NULL);
	ss_metrics_init(&c->metrics, rt_metrics(rt));
	if ((rc = ss_keys_init(&c->keys, c)) < 0) {
		free(c);
		return rc;
	}
	if ((rc = ss_http_routes(c, api)) < 0 || (rc = ss_lifecycle_routes(c, api)) < 0) {
		ss_controller_free(c);
		return rc;
	}
	ss_usage_init(c);
	*out = c;
	return 0;
}

/* The leader thread's timer: SIGUSR1, keys, and the machinery once there is a key. */
static long tick(void *ctx, int leader)
{
	struct ss_controller *c = ctx;
	struct ss_loop *loop;
	int force;

	pthread_mutex_lock(&c->mu);
	force = c->force_key;
	c->force_key = 0;
	loop = c->loop;
	pthread_mutex_unlock(&c->mu);
	if (force && !leader)
		gs_info("SIGUSR1 ignored: only the leader generates keys", "identity=%s",
		        c->o->identity);
	if (!leader)
		return 0;
	ss_keys_tick(&c->keys, force);
	/* the source-record key first: no Secret is written without it */
	if (!loop && !c->record_key_loaded) {
		if (ss_record_key_load(c) < 0) {
			gs_err("cannot load the source-record key, retrying", "error=\"%s\"",
			       gs_error_last());
			gs_error_clear();
			return 2000;
		}
		c->record_key_loaded = 1;
	}
	ss_age_tick(c, force);
	/* reconcile once the keys are loaded and there is at least one to open with */
	if (!loop && ss_keys_synced(&c->keys) && ss_keys_count(&c->keys) > 0) {
		if (ss_loop_start(&loop, c) < 0) {
			gs_err("cannot start the controller", "error=\"%s\"", gs_error_last());
			exit(1);
		}
		pthread_mutex_lock(&c->mu);
		c->loop = loop;
		pthread_mutex_unlock(&c->mu);
		gs_info("controller started", "workers=%d", c->o->workers);
	}
	/* ask again soon until the machinery runs, so the first key starts it at once */
	return loop ? ss_usage_tick(c, loop) : 500;
}

/* On the leader thread at stop, before the Lease goes. */
static void stopped(void *ctx)
{
	struct ss_controller *c = ctx;
	struct ss_loop *loop;
	pthread_mutex_lock(&c->mu); /* a key being added finishes its requeue first */
	loop = c->loop;
	c->loop = NULL;
	pthread_mutex_unlock(&c->mu);
	ss_loop_stop(loop);
}

int ss_controller_start(struct ss_controller *c)
{
	struct rt_leader_opts lo = { 0 };
	int rc;

	if ((rc = ss_keys_start(&c->keys)) < 0)
		return gs_error_prefix(rc, "cannot watch the key secrets");
	if ((rc = ss_age_start(c)) < 0)
		return gs_error_prefix(rc, "cannot watch the age identity secrets");
	lo.enabled = c->o->leader_elect;
	lo.ns = c->o->namespace;
	lo.name = c->o->leader_elect_lease_name;
	lo.identity = c->o->identity;
	lo.lease_duration = c->o->leader_elect_lease_duration;
	lo.tick = tick;
	lo.stopped = stopped;
	lo.ctx = c;
	return rt_leader_start(&c->leader, c->rt, &lo);
}

int ss_controller_set_age_ring(struct ss_controller *c, struct keys_age_ring *ring)
{
	return ss_age_new(c, ring);
}

void ss_controller_set_sops_usage(struct ss_controller *c, ss_sops_usage_fn fn, void *arg)
{
	c->sops_usage = fn;
	c->sops_usage_arg = arg;
}

void ss_controller_new_key(struct ss_controller *c)
{
	pthread_mutex_lock(&c->mu);
	c->force_key = 1;
	pthread_mutex_unlock(&c->mu);
	rt_leader_kick(c->leader);
}

void ss_controller_stop(struct ss_controller *c)
{
	if (!c)
		return;
	rt_leader_stop(c->leader);
	c->leader = NULL;
	ss_keys_stop(&c->keys);
	ss_age_stop(c);
}

void ss_controller_free(struct ss_controller *c)
{
	if (!c)
		return;
	ss_controller_stop(c);
	ss_keys_release(&c->keys);
	gs_wipe(c->record_key, sizeof(c->record_key));
	ss_age_free(c);
	ss_usage_free(c);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
