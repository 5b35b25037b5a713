/*
 * The driver of tests/bench/b70-apply.sh (skipped unless KT_APPLY_BENCH_FILE is set): apply the
 * objects of that file twice with lib/apply (cold, then with nothing changed) and print the
 * figures the script reads:
 *   # bench cold: <s> s, <n> requests, <w> writes, <c> created
 *   # bench steady: <s> s, <n> requests, <w> writes, <u> unchanged
 *   # bench rss: <KiB> KiB
 * KT_APPLY_BENCH_WORKERS sets the requests in flight (default 8). The client has no QPS limit.
 * With KT_APPLY_BENCH_FLOOR_FILE (the same objects in another namespace), first the floor:
 *   # bench floor: <s> s, <n> requests (plain kube_apply, <w> in flight)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "apply/apply.h"
#include "apply/apply_int.h"
#include "core/clock.h"
#include "core/file.h"
#include "tests/kube/apply/at.h"

/* VmRSS now, in KiB (0 if unknown). */
static long rss_now(void)
{
	struct buf b = BUF_INIT(1 << 16);
	const char *p;
	long kib = 0;
	if (file_read(&b, "/proc/self/status") == 0 && (p = strstr(b.p, "VmRSS:")))
		kib = strtol(p + 6, NULL, 10);
	buf_release(&b);
	return kib;
}

static int one_run(struct kube_client *kc, const char *file, int workers, const char *label,
                   size_t *count)
{
	struct buf text = BUF_INIT((size_t)256 << 20);
	struct doc_stream s = DOC_STREAM_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts o = APPLY_OPTS_INIT;
	double t0, t1;
	int rc;

	if ((rc = file_read(&text, file)) < 0 ||
	    (rc = doc_parse(&s, file, text.p, text.len, 0, NULL)) < 0)
		goto out;
	printf("# bench %s: RSS %ld KiB with the %zu objects parsed\n", label, rss_now(), s.n);
	o.workers = workers;
	o.owner_name = "bench";
	o.owner_namespace = "gitseal-system";
	t0 = gs_mono();
	rc = apply_run(&rep, kc, s.docs, s.n, &o);
	t1 = gs_mono();
	printf("# bench %s: RSS %ld KiB after the apply\n", label, rss_now());
	printf("# bench %s: %.2f s, %zu requests, %zu writes, %zu created, %zu configured, %zu "
	       "unchanged, %zu failed\n",
	       label, t1 - t0, rep.requests, rep.writes, rep.created, rep.configured, rep.unchanged,
	       rep.failed);
	if (rc < 0 && rep.failed)
		printf("# first failure: %s\n", rep.r[0].error ? rep.r[0].error : "(see others)");
	*count = s.n;
out:
	apply_report_release(&rep);
	doc_stream_release(&s);
	buf_release(&text);
	return rc;
}

/* The floor: the same objects server-side applied by plain kube_apply() calls, `workers` in flight,
 * nothing else (no LIST, no dry run, no labels). */
struct floor_ctx {
	struct kube_client *kc;
	struct doc **docs;
	int failed;
};

static void floor_one(void *ctx, size_t i)
{
	struct floor_ctx *f = ctx;
	struct kube_apply_opts ao = KUBE_APPLY_OPTS_INIT;
	ao.force = 1;
	if (kube_apply(NULL, f->kc, f->docs[i], &ao) < 0)
		__atomic_store_n(&f->failed, 1, __ATOMIC_RELAXED);
}

static int floor_run(struct kube_client *kc, const char *file, int workers)
{
	struct buf text = BUF_INIT((size_t)256 << 20);
	struct doc_stream s = DOC_STREAM_INIT;
	struct floor_ctx f = { kc, NULL, 0 };
	double t0;
	int rc;

	if ((rc = file_read(&text, file)) < 0 ||
	    (rc = doc_parse(&s, file, text.p, text.len, 0, NULL)) < 0)
		goto out;
	f.docs = s.docs;
	t0 = gs_mono();
	apply__pool_run(s.n, workers, floor_one, &f);
	printf("# bench floor: %.2f s, %zu requests (plain kube_apply, %d in flight)%s\n",
	       gs_mono() - t0, s.n, workers, f.failed ? ", some FAILED" : "");
	rc = f.failed ? GS_ERROR : 0;
out:
	doc_stream_release(&s);
	buf_release(&text);
	return rc;
}

void test_kube_apply_bench__cold_then_steady(void)
{
	const char *file = kt_env("KT_APPLY_BENCH_FILE"), *w = kt_env("KT_APPLY_BENCH_WORKERS");
	struct kube_client_opts co = KUBE_CLIENT_OPTS_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_client *kc = NULL;
	struct rusage ru;
	size_t n = 0;
	int workers = w ? (int)strtol(w, NULL, 10) : 8;

	if (!file)
		skip_("a benchmark: tests/bench/b70-apply.sh sets KT_APPLY_BENCH_FILE");
	co.qps = -1;
	co.timeout_ms = 120000;
	must_pass(kube_client_from_env(&kc, &ov, &co));
	/* the floor and our cold run alternate in who goes first (KT_APPLY_BENCH_FLOOR_LAST=1) */
	if (kt_env("KT_APPLY_BENCH_FLOOR_FILE") && !kt_env("KT_APPLY_BENCH_FLOOR_LAST"))
		must_pass(floor_run(kc, kt_env("KT_APPLY_BENCH_FLOOR_FILE"), workers));
	must_pass(one_run(kc, file, workers, "cold", &n));
	if (kt_env("KT_APPLY_BENCH_FLOOR_FILE") && kt_env("KT_APPLY_BENCH_FLOOR_LAST"))
		must_pass(floor_run(kc, kt_env("KT_APPLY_BENCH_FLOOR_FILE"), workers));
	must_pass(one_run(kc, file, workers, "steady", &n));
	getrusage(RUSAGE_SELF, &ru);
	printf("# bench rss: %ld KiB for %zu objects (peak); CPU %.2f s user, %.2f s system for "
	       "both runs\n",
	       ru.ru_maxrss, n, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	kube_client_free(kc);
}

/* The floor alone, for tests/bench/b80-apps.sh (KT_APPLY_FLOOR_FILE: the objects to apply). */
void test_kube_apply_bench__floor_only(void)
{
	const char *file = kt_env("KT_APPLY_FLOOR_FILE"), *w = kt_env("KT_APPLY_BENCH_WORKERS");
	struct kube_client_opts co = KUBE_CLIENT_OPTS_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_client *kc = NULL;

	if (!file)
		skip_("a benchmark: tests/bench/b80-apps.sh sets KT_APPLY_FLOOR_FILE");
	co.qps = -1;
	co.timeout_ms = 120000;
	must_pass(kube_client_from_env(&kc, &ov, &co));
	must_pass(floor_run(kc, file, w ? (int)strtol(w, NULL, 10) : 8));
	kube_client_free(kc);
}
