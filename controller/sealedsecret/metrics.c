/*
 * The SealedSecret metrics with the upstream names (pkg/controller/metrics.go), on the runtime's
 * registry; labels sorted by name as the Go client renders them. The HTTP metrics
 * (sealed_secrets_controller_http_*) are the runtime HTTP server's, under SS_METRIC_PREFIX.
 */
#include "controller/sealedsecret/sealedsecret_int.h"

#define NS SS_METRIC_PREFIX

void ss_metrics_init(struct ss_metrics *m, struct rt_registry *r)
{
	static const char *const build[] = { "revision", NULL };
	static const char *const errors[] = { "namespace", "reason", NULL };
	static const char *const cond[] = { "condition", "name", "namespace",
		                            "ss_app_kubernetes_io_instance", NULL };
	const char *const rev[] = { CTL_VERSION };

	m->build_info =
	    rt_metric_new(r, RT_GAUGE, NS "build_info", "Build information.", build, NULL, 0);
	m->unseal_requests =
	    rt_metric_new(r, RT_COUNTER, NS "unseal_requests_total",
	                  "Total number of sealed secret unseal requests", NULL, NULL, 0);
	m->unseal_errors =
	    rt_metric_new(r, RT_COUNTER, NS "unseal_errors_total",
	                  "Total number of sealed secret unseal errors by reason", errors, NULL, 0);
	m->condition = rt_metric_new(
	    r, RT_GAUGE, NS "condition_info",
	    "Current SealedSecret condition status. Values are -1 (false), 0 (unknown or absent), "
	    "1 (true)",
	    cond, NULL, 0);
	rt_metric_set(m->build_info, rev, 1);
}

void ss_metric_unseal_request(struct ss_metrics *m)
{
	rt_metric_add(m->unseal_requests, NULL, 1);
}

void ss_metric_unseal_error(struct ss_metrics *m, const char *reason, const char *ns)
{
	const char *const v[] = { ns, reason };
	rt_metric_add(m->unseal_errors, v, 1);
}

void ss_metric_condition(struct ss_metrics *m, const char *ns, const char *name,
                         const char *instance, int value)
{
	const char *const v[] = { "Synced", name, ns, instance };
	rt_metric_set(m->condition, v, value);
}

void ss_metric_condition_del(struct ss_metrics *m, const char *ns, const char *name)
{
	/* the series is keyed by every label, instance included: find it by the other three */
	const char *const v[] = { "Synced", name, ns, NULL };
	rt_metric_del(m->condition, v);
}
