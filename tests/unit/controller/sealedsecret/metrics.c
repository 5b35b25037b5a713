/* controller/sealedsecret/metrics.c on the runtime's registry: the upstream names and labels. */
#include "test.h"

#include <string.h>

#include "controller/sealedsecret/sealedsecret_int.h"

void test_ctl_sealedsecret_metrics__upstream_names(void)
{
	struct buf b = BUF_INIT(1 << 20);
	struct rt_registry *r = rt_registry_new();
	struct ss_metrics m;
	const char *const http_labels[] = { "code", "method", "path", NULL },
	                  *const dur_labels[] = { "method", "path", NULL };
	const char *const code[] = { "409", "POST", "/v1/verify" }, *const dur[] = { "POST",
		                                                                     "/v1/verify" };
	static const double le[] = { .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };
	struct rt_metric *reqs, *durs;

	ss_metrics_init(&m, r);
	/* what the runtime's HTTP server registers under the sealedsecret prefix */
	reqs = rt_metric_new(r, RT_COUNTER, SS_METRIC_PREFIX "http_requests_total", "h",
	                     http_labels, NULL, 0);
	durs = rt_metric_new(r, RT_HISTOGRAM, SS_METRIC_PREFIX "http_request_duration_seconds", "h",
	                     dur_labels, le, 11);
	ss_metric_unseal_request(&m);
	ss_metric_unseal_error(&m, "unseal", "ns1");
	ss_metric_unseal_error(&m, "unseal", "ns1");
	ss_metric_condition(&m, "ns1", "a\"b", "inst", -1);
	ss_metric_condition(&m, "ns1", "gone", "", 1);
	ss_metric_condition_del(&m, "ns1", "gone");
	rt_metric_add(reqs, code, 1);
	rt_metric_observe(durs, dur, 0.02);
	must_pass(rt_registry_render(r, &b));
	assert_contains(b.p, "sealed_secrets_controller_unseal_requests_total 1\n");
	assert_contains(b.p, "sealed_secrets_controller_unseal_errors_total{namespace=\"ns1\","
	                     "reason=\"unseal\"} 2\n");
	assert_contains(
	    b.p, "sealed_secrets_controller_condition_info{condition=\"Synced\",name=\"a\\\"b\","
	         "namespace=\"ns1\",ss_app_kubernetes_io_instance=\"inst\"} -1\n");
	assert_true(!strstr(b.p, "\"gone\""));
	assert_contains(b.p, "sealed_secrets_controller_http_requests_total{code=\"409\",method="
	                     "\"POST\",path=\"/v1/verify\"} 1\n");
	assert_contains(b.p, "sealed_secrets_controller_http_request_duration_seconds_bucket{"
	                     "method=\"POST\",path=\"/v1/verify\",le=\"0.025\"} 1\n");
	assert_contains(b.p, "sealed_secrets_controller_http_request_duration_seconds_bucket{"
	                     "method=\"POST\",path=\"/v1/verify\",le=\"0.01\"} 0\n");
	assert_contains(b.p, "process_resident_memory_bytes ");
	buf_release(&b);
	rt_registry_free(r);
}
