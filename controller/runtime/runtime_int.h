#ifndef GS_CTL_RUNTIME_INT_H
#define GS_CTL_RUNTIME_INT_H
/* Private to controller/runtime. */
#include <pthread.h>

#include "controller/runtime/runtime.h"

struct rt {
	struct kube_client *kc;
	struct rt_registry *metrics;
	pthread_mutex_t mu;
	struct kube_mux *mux; /* the informer thread, made by the first informer (under mu) */
};

/* The mux, started on first use. */
int rt__mux(struct rt *rt, struct kube_mux **out);

/* An informer that watches nothing (rt_informer_start() without the watch): the unit tests feed
 * it events with rt__informer_event() as the watch thread would; rt_informer_stop() frees it. */
int rt__informer_new(struct rt_informer **out, struct rt *rt, const struct rt_informer_opts *o);
int rt__informer_event(void *inf, enum kube_event_type t, const struct doc *obj);

#endif
