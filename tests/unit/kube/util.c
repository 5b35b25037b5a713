/* The pure parts of lib/kube: QPS bucket, backoff, Retry-After, paths, times, errors, exec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube_int.h"
#include "test.h"

void test_kube_util__token_bucket_allows_burst_then_paces(void)
{
	struct kube__bucket b;
	kube__bucket_init(&b, 10, 3, 1000);
	assert_int(kube__bucket_take(&b, 1000), 0);
	assert_int(kube__bucket_take(&b, 1000), 0);
	assert_int(kube__bucket_take(&b, 1000), 0);
	assert_int(kube__bucket_take(&b, 1000), 100); /* 10 qps: the 4th waits 100 ms */
	assert_int(kube__bucket_take(&b, 1000), 200); /* and the 5th queues behind it */
	/* after a long pause the bucket holds at most `burst` tokens */
	assert_int(kube__bucket_take(&b, 60000), 0);
	assert_int(kube__bucket_take(&b, 60000), 0);
	assert_int(kube__bucket_take(&b, 60000), 0);
	assert_true(kube__bucket_take(&b, 60000) > 0);
	/* qps <= 0: unlimited */
	kube__bucket_init(&b, -1, 1, 0);
	assert_int(kube__bucket_take(&b, 0), 0);
	assert_int(kube__bucket_take(&b, 0), 0);
}

void test_kube_util__backoff_doubles_caps_and_jitters(void)
{
	uint32_t lo = 0, mid = 0x80000000u, hi = 0xffffffffu;
	assert_int(kube__backoff_ms(0, 200, 10000, mid, -1), 200);
	assert_int(kube__backoff_ms(1, 200, 10000, mid, -1), 400);
	assert_int(kube__backoff_ms(3, 200, 10000, mid, -1), 1600);
	assert_int(kube__backoff_ms(20, 200, 10000, mid, -1), 10000);
	assert_int(kube__backoff_ms(0, 200, 10000, lo, -1), 100);
	assert_true(kube__backoff_ms(0, 200, 10000, hi, -1) >= 299);
	assert_true(kube__backoff_ms(0, 200, 10000, hi, -1) < 300);
	/* Retry-After wins when it is longer */
	assert_int(kube__backoff_ms(0, 200, 10000, mid, 3000), 3000);
	assert_int(kube__backoff_ms(5, 200, 10000, mid, 10), 6400);
}

void test_kube_util__retry_after_seconds_and_http_date(void)
{
	time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
	assert_int(kube__parse_retry_after("3", now), 3000);
	assert_int(kube__parse_retry_after(" 1\r\n", now), 1000);
	assert_int(kube__parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now), 5000);
	assert_int(kube__parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
	assert_int(kube__parse_retry_after("soon", now), -1);
	assert_int(kube__parse_retry_after("3x", now), -1);
	assert_int(kube__parse_retry_after(NULL, now), -1);
}

void test_kube_util__what_is_retried(void)
{
	assert_true(kube__retryable(0));
	assert_true(kube__retryable(429));
	assert_true(kube__retryable(503));
	assert_true(kube__retryable(504));
	assert_true(!kube__retryable(500)); /* 1.20 answers schema errors with 500 */
	assert_true(!kube__retryable(409));
	assert_true(!kube__retryable(404));
}

static struct kube_resource res(const char *group, const char *plural, int namespaced)
{
	struct kube_resource r = { (char *)group,  (char *)"v1", (char *)"Kind",
		                   (char *)plural, namespaced,   0 };
	return r;
}

void test_kube_util__api_versions_and_paths(void)
{
	struct kube_resource core = res("", "secrets", 1), ns = res("", "namespaces", 0);
	struct kube_resource crd = res("apiextensions.k8s.io", "customresourcedefinitions", 0);
	struct kube_resource lease = res("coordination.k8s.io", "leases", 1);
	struct buf p = BUF_INIT(4096);
	char *g = NULL, *v = NULL;

	must_pass(kube__split_api_version(&g, &v, "v1"));
	assert_str(g, "");
	assert_str(v, "v1");
	free(g);
	free(v);
	must_pass(kube__split_api_version(&g, &v, "apps/v1"));
	assert_str(g, "apps");
	assert_str(v, "v1");
	free(g);
	free(v);
	must_fail_with(kube__split_api_version(&g, &v, "a/b/c"), GS_EINVAL);
	must_fail_with(kube__split_api_version(&g, &v, "/v1"), GS_EINVAL);
	must_fail_with(kube__split_api_version(&g, &v, ""), GS_EINVAL);

	must_pass(kube_resource_path(&p, &core, "ns1", "s1", NULL));
	assert_str(p.p, "/api/v1/namespaces/ns1/secrets/s1");
	buf_reset(&p);
	must_pass(kube_resource_path(&p, &core, "ns1", NULL, NULL));
	assert_str(p.p, "/api/v1/namespaces/ns1/secrets");
	buf_reset(&p);
	must_pass(kube_resource_path(&p, &core, NULL, NULL, NULL)); /* all namespaces */
	assert_str(p.p, "/api/v1/secrets");
	buf_reset(&p);
	must_pass(kube_resource_path(&p, &ns, "ignored", "kube-system", "status"));
	assert_str(p.p, "/api/v1/namespaces/kube-system/status");
	buf_reset(&p);
	must_pass(kube_resource_path(&p, &crd, "ignored", "a.b.c", NULL));
	assert_str(p.p, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/a.b.c");
	buf_reset(&p);
	must_pass(kube_resource_path(&p, &lease, "x", "we ird/name?", NULL));
	assert_str(p.p, "/apis/coordination.k8s.io/v1/namespaces/x/leases/we%20ird%2Fname%3F");
	buf_reset(&p);
	must_fail_with(kube_resource_path(&p, &lease, "x", "", NULL), GS_EINVAL);
	buf_reset(&p);
	must_pass(kube__escape(&p, "app=web,tier in (a,b)"));
	assert_str(p.p, "app%3Dweb%2Ctier%20in%20%28a%2Cb%29");
	buf_release(&p);
}

void test_kube_util__rfc3339_and_micro_time(void)
{
	char mt[32];
	assert_int(kube__parse_time("2015-10-21T07:28:00Z"), 1445412480);
	assert_int(kube__parse_time("2015-10-21T07:28:00.123456Z"), 1445412480);
	assert_int(kube__parse_time("2015-10-21T09:28:00+02:00"), 1445412480);
	assert_int(kube__parse_time("2015-10-21T02:28:00-05:00"), 1445412480);
	assert_int(kube__parse_time("2015-10-21 07:28:00"), -1);
	assert_int(kube__parse_time("2015-10-21T07:28:00"), -1);
	assert_int(kube__parse_time("yesterday"), -1);
	kube__micro_time(mt);
	assert_int(strlen(mt), 27);
	assert_true(mt[10] == 'T' && mt[19] == '.' && mt[26] == 'Z');
	assert_true(labs((long)(kube__parse_time(mt) - time(NULL))) <= 2);
}

void test_kube_util__status_errors_keep_reason_and_code(void)
{
	const char *st =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"secrets \\\"x\\\" already exists\",\"reason\":\"AlreadyExists\","
	    "\"details\":{\"name\":\"x\",\"kind\":\"secrets\"},\"code\":409}";
	assert_int(kube__api_error(409, "POST", "/api/v1/namespaces/d/secrets", st, strlen(st)),
	           GS_ECONFLICT);
	assert_str(gs_error_last(), "secrets \"x\" already exists (AlreadyExists, 409)");
	assert_int(kube_last_status(), 409);
	assert_str(kube_last_reason(), "AlreadyExists");
	assert_int(kube__api_error(404, "GET", "/x", "", 0), GS_ENOTFOUND);
	assert_str(gs_error_last(), "GET /x: HTTP 404 (NotFound)");
	assert_int(kube__api_error(502, "GET", "/x", "<html>bad gateway</html>\n", 25), GS_EIO);
	assert_str(gs_error_last(), "GET /x: HTTP 502: <html>bad gateway</html>");
	assert_int(kube__api_error(403, "GET", "/x", "{}", 2), GS_EAUTH);
	assert_int(kube__api_error(410, "GET", "/x", "{}", 2), GS_EGONE);
	assert_int(kube__api_error(422, "GET", "/x", "{}", 2), GS_EINVAL);
}

void test_kube_util__exec_credential_output(void)
{
	struct kube__cred c;
	const char *ok =
	    "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	    "\"status\":{\"token\":\"t0k\",\"expirationTimestamp\":\"2015-10-21T07:28:00Z\"}}";
	const char *certs =
	    "{\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"C\","
	    "\"clientKeyData\":\"K\"}}";
	const char *half =
	    "{\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"C\"}}";

	kube__cred_init(&c);
	must_pass(kube__exec_parse(&c, ok, strlen(ok), "plugin"));
	assert_str(c.token, "t0k");
	assert_int(c.expires, 1445412480);
	kube__cred_release(&c);
	kube__cred_init(&c);
	must_pass(kube__exec_parse(&c, certs, strlen(certs), "plugin"));
	assert_true(c.token == NULL);
	assert_str(c.cert_pem.p, "C");
	assert_str(c.key_pem.p, "K");
	assert_int(c.expires, 0);
	kube__cred_release(&c);
	kube__cred_init(&c);
	must_fail_with(kube__exec_parse(&c, half, strlen(half), "plugin"), GS_EPARSE);
	assert_contains(gs_error_last(), "plugin");
	must_fail_with(kube__exec_parse(&c, "{}", 2, "plugin"), GS_EPARSE);
	must_fail(kube__exec_parse(&c, "nope", 4, "plugin"));
	assert_contains(gs_error_last(), "exec plugin plugin");
	kube__cred_release(&c);
}

void test_kube_util__exec_plugin_runs_with_args_env_and_fails_clearly(void)
{
	struct kube_exec_config ex = { 0 };
	struct kube__cred c;
	char sh[] = "/bin/sh", dash_c[] = "-c", env0[] = "TOKEN_SUFFIX=42",
	     hint[] = "apt install it";
	char script[] = "printf '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-%s\"}}' "
	                "\"$TOKEN_SUFFIX\"";
	char *args[2] = { dash_c, script }, *env[1] = { env0 };
	char fail[] = "echo oops >&2; exit 4", *fargs[2] = { dash_c, fail };
	char missing[] = "/nonexistent/kube-plugin";

	ex.command = sh;
	ex.args = args;
	ex.nargs = 2;
	ex.env = env;
	ex.nenv = 1;
	kube__cred_init(&c);
	must_pass(kube__exec_run(&c, &ex, "https://x"));
	assert_str(c.token, "tok-42");
	kube__cred_release(&c);

	kube__cred_init(&c);
	ex.args = fargs;
	must_fail_with(kube__exec_run(&c, &ex, "https://x"), GS_EAUTH);
	assert_contains(gs_error_last(), "exit status 4");
	ex.command = missing;
	ex.install_hint = hint;
	must_fail_with(kube__exec_run(&c, &ex, "https://x"), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "/nonexistent/kube-plugin");
	assert_contains(gs_error_last(), "apt install it");
	kube__cred_release(&c);
}

void test_kube_util__fetch_url_rejects_other_schemes(void)
{
	struct buf b = BUF_INIT(1024);
	must_fail_with(kube_fetch_url(&b, "file:///etc/passwd", 1000), GS_EINVAL);
	assert_contains(gs_error_last(), "file:///etc/passwd");
	must_fail_with(kube_fetch_url(&b, "ftp://x/cert.pem", 1000), GS_EINVAL);
	assert_int(b.len, 0);
	buf_release(&b);
}
