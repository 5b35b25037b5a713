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

#endif
