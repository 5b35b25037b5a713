/* controller/runtime: listen addresses (http.c) and the per-key rate limit (ratelimit.c). */
#include "test.h"

#include "controller/runtime/runtime.h"

void test_ctl_runtime_http__listen_addresses(void)
{
	char host[64];
	int port;
	must_pass(rt_parse_listen(":8080", host, sizeof(host), &port));
	assert_str(host, "");
	assert_int(port, 8080);
	must_pass(rt_parse_listen("127.0.0.1:0", host, sizeof(host), &port));
	assert_str(host, "127.0.0.1");
	must_pass(rt_parse_listen("[::1]:9", host, sizeof(host), &port));
	assert_str(host, "::1");
	must_fail(rt_parse_listen("8080", host, sizeof(host), &port));
	must_fail(rt_parse_listen(":99999", host, sizeof(host), &port));
}

void test_ctl_runtime_ratelimit__gcra_burst_then_rate(void)
{
	struct rt_ratelimit *rl = rt_ratelimit_new(2, 2);
	assert_true(rt_ratelimit_allow(rl, "/v1/verify", 100.0));
	assert_true(rt_ratelimit_allow(rl, "/v1/verify", 100.0));
	assert_true(!rt_ratelimit_allow(rl, "/v1/verify", 100.0));
	assert_true(rt_ratelimit_allow(rl, "/v1/verify10.0.0.1", 100.0)); /* another client */
	assert_true(!rt_ratelimit_allow(rl, "/v1/verify", 100.4));
	assert_true(rt_ratelimit_allow(rl, "/v1/verify", 100.5));
	assert_true(!rt_ratelimit_allow(rl, "/v1/verify", 100.5));
	assert_true(rt_ratelimit_allow(rl, "/v1/verify", 110.0));
	rt_ratelimit_free(rl);
}
