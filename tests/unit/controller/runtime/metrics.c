/* controller/runtime/metrics.c and map.c: families, label escaping, partial deletes, histograms,
 * registration order; the hash map under growth and deletion. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/runtime/runtime.h"

void test_ctl_runtime_metrics__families_labels_and_partial_delete(void)
{
	static const char *const lab[] = { "name", "namespace", "kind", NULL };
	static const double le[] = { 0.1, 1 };
	struct rt_registry *r = rt_registry_new();
	struct rt_metric *c, *g, *h, *again;
	struct buf b = BUF_INIT(1 << 20);
	const char *v1[] = { "a\"b\\c\nd", "ns", "x" }, *v2[] = { "b", "ns", "y" },
	           *v3[] = { "c", "other", "x" };
	const char *partial[] = { NULL, "ns", NULL };
	const char *hv[] = { "p" };
	static const char *const hl[] = { "path", NULL };

	assert_true(r != NULL);
	c = rt_metric_new(r, RT_COUNTER, "t_total", "A counter.", NULL, NULL, 0);
	g = rt_metric_new(r, RT_GAUGE, "t_info", "A gauge.", lab, NULL, 0);
	h = rt_metric_new(r, RT_HISTOGRAM, "t_seconds", "A histogram.", hl, le, 2);
	again = rt_metric_new(r, RT_GAUGE, "t_info", "ignored", lab, NULL, 0);
	assert_true(again == g);
	must_pass(rt_registry_render(r, &b));
	assert_contains(b.p, "# HELP t_total A counter.\n# TYPE t_total counter\nt_total 0\n");
	assert_contains(b.p, "# TYPE t_info gauge\n# HELP t_seconds");
	buf_reset(&b);
	rt_metric_add(c, NULL, 2);
	rt_metric_set(g, v1, -1);
	rt_metric_set(g, v2, 1);
	rt_metric_set(g, v3, 1);
	rt_metric_observe(h, hv, 0.5);
	rt_metric_observe(h, hv, 0.05);
	must_pass(rt_registry_render(r, &b));
	assert_contains(b.p, "t_total 2\n");
	assert_contains(b.p, "t_info{name=\"a\\\"b\\\\c\\nd\",namespace=\"ns\",kind=\"x\"} -1\n");
	assert_contains(b.p, "t_seconds_bucket{path=\"p\",le=\"0.1\"} 1\n");
	assert_contains(b.p, "t_seconds_bucket{path=\"p\",le=\"1\"} 2\n");
	assert_contains(b.p, "t_seconds_bucket{path=\"p\",le=\"+Inf\"} 2\n");
	assert_contains(b.p, "t_seconds_sum{path=\"p\"} 0.55");
	assert_contains(b.p, "t_seconds_count{path=\"p\"} 2\n");
	assert_true(strstr(b.p, "t_total") < strstr(b.p, "t_info") &&
	            strstr(b.p, "t_info") < strstr(b.p, "t_seconds"));
	assert_true(strstr(b.p, "t_seconds") < strstr(b.p, "process_cpu_seconds_total"));
	/* DeletePartialMatch: every series of namespace ns */
	rt_metric_del(g, partial);
	buf_reset(&b);
	must_pass(rt_registry_render(r, &b));
	assert_true(!strstr(b.p, "namespace=\"ns\""));
	assert_contains(b.p, "t_info{name=\"c\",namespace=\"other\",kind=\"x\"} 1\n");
	rt_metric_del(g, v3);
	buf_reset(&b);
	must_pass(rt_registry_render(r, &b));
	assert_true(!strstr(b.p, "t_info{"));
	buf_release(&b);
	rt_registry_free(r);
}

/* A family holds at most max_series series; the rest are counted, not made. Invalid UTF-8 in a
 * label value becomes U+FFFD. A render that does not fit ends after a whole family. */
void test_ctl_runtime_metrics__bounded_series_and_whole_lines(void)
{
	static const char *const lab[] = { "method", NULL };
	struct rt_registry *r = rt_registry_new();
	struct rt_metric *c, *c2;
	struct buf b = BUF_INIT(1 << 20), small = BUF_INIT(700);
	char m[32];
	const char *v[] = { m };
	const char *bad[] = { "x\xff\"}{a=\n" };
	int i;

	rt_registry_set_max_series(r, 5);
	c = rt_metric_new(r, RT_COUNTER, "req_total", "Requests.", lab, NULL, 0);
	c2 = rt_metric_new(r, RT_COUNTER, "other_total", "Other.", lab, NULL, 0);
	for (i = 0; i < 50; i++) {
		snprintf(m, sizeof(m), "M%d", i);
		rt_metric_add(c, v, 1);
	}
	rt_metric_add(c2, bad, 1);
	must_pass(rt_registry_render(r, &b));
	assert_contains(b.p, "req_total{method=\"M0\"} 1\n");
	assert_true(!strstr(b.p, "method=\"M5\""));
	assert_contains(b.p, "gitseal_metric_series_dropped_total{metric=\"req_total\"} 45\n");
	assert_contains(b.p, "other_total{method=\"x\xef\xbf\xbd\\\"}{a=\\n\"} 1\n");
	/* the series already there still count */
	snprintf(m, sizeof(m), "M0");
	rt_metric_add(c, v, 1);
	buf_reset(&b);
	must_pass(rt_registry_render(r, &b));
	assert_contains(b.p, "req_total{method=\"M0\"} 2\n");
	/* out of room: whole families only, the last line complete */
	must_fail(rt_registry_render(r, &small));
	assert_true(small.len > 0 && small.len < 700);
	assert_true(small.p[small.len - 1] == '\n');
	assert_contains(small.p, "# TYPE req_total counter");
	assert_true(!strstr(small.p, "process_cpu_seconds_total"));
	gs_error_clear();
	buf_release(&b);
	buf_release(&small);
	rt_registry_free(r);
}

static int drop_odd(void *ctx, const char *key, void *val)
{
	(void)ctx;
	(void)key;
	return ((long)val & 1) != 0;
}

void test_ctl_runtime_map__grows_finds_and_deletes(void)
{
	struct rt_map m = RT_MAP_INIT;
	char k[32];
	long i;

	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "ns/%ld", i);
		must_pass(rt_map_put(&m, k, (void *)(i + 1)));
	}
	assert_int(m.n, 5000);
	assert_true(rt_map_get(&m, "ns/4321") == (void *)4322);
	assert_true(rt_map_get(&m, "ns/5000") == NULL);
	must_pass(rt_map_put(&m, "ns/7", (void *)100)); /* replaces */
	assert_int(m.n, 5000);
	assert_true(rt_map_del(&m, "ns/7") == (void *)100);
	assert_true(rt_map_del(&m, "ns/7") == NULL);
	rt_map_each_del(&m, drop_odd, NULL); /* values i+1: odd ones are even i */
	assert_int(m.n, 2499);
	assert_true(rt_map_get(&m, "ns/0") == NULL);
	assert_true(rt_map_get(&m, "ns/1") == (void *)2);
	rt_map_release(&m, NULL);
	assert_int(m.n, 0);
}
