/*
 * A rate limit per key: GCRA, like the throttled/v2 limiter upstream's /v1/verify uses (rate per
 * second, burst). Keys whose bucket is full again are forgotten, so the table stays small.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "controller/runtime/runtime.h"

struct rl_ent {
	struct rl_ent *next;
	char *key;
	double tat; /* theoretical arrival time */
};

struct rt_ratelimit {
	pthread_mutex_t mu;
	double interval, tolerance;
	struct rl_ent *ents;
	size_t n;
};

struct rt_ratelimit *rt_ratelimit_new(double rate, int burst)
{
	struct rt_ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	pthread_mutex_init(&rl->mu, NULL);
	rl->interval = rate > 0 ? 1.0 / rate : 0;
	rl->tolerance = rl->interval * (burst > 0 ? burst : 1);
	return rl;
}

int rt_ratelimit_allow(struct rt_ratelimit *rl, const char *key, double now)
{
	struct rl_ent *e, **pp;
	int ok;

	if (!rl || rl->interval <= 0)
		return 1;
	pthread_mutex_lock(&rl->mu);
	/* forget keys whose bucket is full again, so the table stays small */
	for (pp = &rl->ents; (e = *pp);) {
		if (e->tat <= now && strcmp(e->key, key)) {
			*pp = e->next;
			free(e->key);
			free(e);
			rl->n--;
		} else {
			pp = &e->next;
		}
	}
	for (e = rl->ents; e; e = e->next)
		if (!strcmp(e->key, key))
			break;
	if (!e && rl->n < 100000 && (e = calloc(1, sizeof(*e)))) {
		if (!(e->key = strdup(key))) {
			free(e);
			e = NULL;
		} else {
			e->tat = now;
			e->next = rl->ents;
			rl->ents = e;
			rl->n++;
		}
	}
	if (!e) {
		pthread_mutex_unlock(&rl->mu);
		return 0;
	}
	{
		double tat = e->tat > now ? e->tat : now, next = tat + rl->interval;
		ok = next - rl->tolerance <= now;
		if (ok)
			e->tat = next;
	}
	pthread_mutex_unlock(&rl->mu);
	return ok;
}

void rt_ratelimit_free(struct rt_ratelimit *rl)
{
	struct rl_ent *e;
	if (!rl)
		return;
	while ((e = rl->ents)) {
		rl->ents = e->next;
		free(e->key);
		free(e);
	}
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}
