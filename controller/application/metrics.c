/*
 * The Application reconciler's series (Flux's gotk_* and Argo CD's argocd_app_* in spirit):
 *   gitseal_app_reconcile_duration_seconds{name,namespace}  histogram, Flux's buckets
 *   gitseal_app_ready{name,namespace}                       1 Ready, 0 not (removed with it)
 *   gitseal_app_fetch_total{result}        unchanged | fetched | failed
 *   gitseal_app_render_total{result}       ok | failed
 *   gitseal_app_apply_total{action}        created | configured | unchanged | failed | skipped
 *   gitseal_app_prune_total{result}        pruned | failed
 *   gitseal_webhook_requests_total{code,provider}
 *   gitseal_app_posts_deferred_total{kind}  status | event: written after the queued applies
 */
#include "controller/application/application_int.h"

void app__metrics_init(struct app_metrics *m, struct rt_registry *r)
{
	static const char *const nn[] = { "name", "namespace", NULL };
	static const char *const result[] = { "result", NULL };
	static const char *const action[] = { "action", NULL };
	static const char *const kind[] = { "kind", NULL };
	static const char *const hook[] = { "code", "provider", NULL };
	static const double buckets[] = { 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800 };

	m->duration = rt_metric_new(r, RT_HISTOGRAM, "gitseal_app_reconcile_duration_seconds",
	                            "Duration of one Application reconcile (source to status).", nn,
	                            buckets, sizeof(buckets) / sizeof(buckets[0]));
	m->ready = rt_metric_new(r, RT_GAUGE, "gitseal_app_ready",
	                         "1 when the Application is Ready, 0 when it is not.", nn, NULL, 0);
	m->fetch =
	    rt_metric_new(r, RT_COUNTER, "gitseal_app_fetch_total",
	                  "Source polls by result (unchanged, fetched, failed).", result, NULL, 0);
	m->render =
	    rt_metric_new(r, RT_COUNTER, "gitseal_app_render_total",
	                  "Renders (with decryption) by result (ok, failed).", result, NULL, 0);
	m->apply = rt_metric_new(r, RT_COUNTER, "gitseal_app_apply_total",
	                         "Objects applied by action (created, configured, unchanged, "
	                         "failed, skipped).",
	                         action, NULL, 0);
	m->prune = rt_metric_new(r, RT_COUNTER, "gitseal_app_prune_total",
	                         "Objects pruned by result (pruned, failed).", result, NULL, 0);
	m->posts = rt_metric_new(r, RT_COUNTER, "gitseal_app_posts_deferred_total",
	                         "Status writes and Events that waited behind queued Applications.",
	                         kind, NULL, 0);
	m->webhook = rt_metric_new(r, RT_COUNTER, "gitseal_webhook_requests_total",
	                           "Webhook requests by provider and HTTP status.", hook, NULL, 0);
}

void app__metric_count(struct rt_metric *m, const char *label, double v)
{
	const char *vals[] = { label, NULL };
	if (m && v > 0)
		rt_metric_add(m, vals, v);
}

void app__metric_ready(struct app_controller *c, const char *ns, const char *name, int ready)
{
	const char *vals[] = { name, ns, NULL };
	if (c->metrics.ready)
		rt_metric_set(c->metrics.ready, vals, ready ? 1 : 0);
}

void app__metric_forget(struct app_controller *c, const char *ns, const char *name)
{
	const char *vals[] = { name, ns, NULL };
	if (c->metrics.ready)
		rt_metric_del(c->metrics.ready, vals);
	if (c->metrics.duration)
		rt_metric_del(c->metrics.duration, vals);
}

void app__metric_duration(struct app_controller *c, const char *ns, const char *name, double s)
{
	const char *vals[] = { name, ns, NULL };
	if (c->metrics.duration)
		rt_metric_observe(c->metrics.duration, vals, s);
}
