/* The runtime object: one client, one metrics registry, one informer thread for the process. */
#include <stdlib.h>
#include <string.h>

#include "controller/runtime/runtime_int.h"

int rt_new(struct rt **out, const struct kube_config *cfg, const struct kube_client_opts *co)
{
	struct rt *rt;
	int rc;

	*out = NULL;
	if (!(rt = calloc(1, sizeof(*rt))))
		return gs_error(GS_ENOMEM, "out of memory");
	pthread_mutex_init(&rt->mu, NULL);
	if (!(rt->metrics = rt_registry_new())) {
		rt_free(rt);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if ((rc = kube_client_new(&rt->kc, cfg, co)) < 0) {
		rt_free(rt);
		return rc;
	}
	*out = rt;
	return 0;
}

void rt_free(struct rt *rt)
{
	if (!rt)
		return;
	kube_mux_free(rt->mux);
	kube_client_free(rt->kc);
	rt_registry_free(rt->metrics);
	pthread_mutex_destroy(&rt->mu);
	free(rt);
}

struct kube_client *rt_client(struct rt *rt)
{
	return rt->kc;
}

struct rt_registry *rt_metrics(struct rt *rt)
{
	return rt->metrics;
}

int rt__mux(struct rt *rt, struct kube_mux **out)
{
	int rc = 0;
	pthread_mutex_lock(&rt->mu);
	if (!rt->mux)
		rc = kube_mux_new(&rt->mux, rt->kc);
	*out = rt->mux;
	pthread_mutex_unlock(&rt->mu);
	return rc;
}

void rt_kick(struct rt *rt)
{
	pthread_mutex_lock(&rt->mu);
	kube_mux_kick(rt->mux);
	pthread_mutex_unlock(&rt->mu);
}

int rt_key(struct buf *out, const char *ns, const char *name)
{
	buf_reset(out);
	if (ns && *ns)
		return buf_addf(out, "%s/%s", ns, name ? name : "");
	return buf_adds(out, name ? name : "");
}

void rt_key_split(const char *key, char *copy, const char **ns, const char **name)
{
	char *slash;
	memcpy(copy, key, strlen(key) + 1);
	if ((slash = strchr(copy, '/'))) {
		*slash = '\0';
		*ns = copy;
		*name = slash + 1;
	} else {
		*ns = "";
		*name = copy;
	}
}
