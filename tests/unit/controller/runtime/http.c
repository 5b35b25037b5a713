/* controller/runtime: listen addresses (http.c) and the per-key rate limit (ratelimit.c). */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "controller/runtime/http_int.h"

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

/* Rate limits key a client by its address: IPv4 as it is (also through a dual-stack listener),
 * IPv6 by its /64 (one client owns one). */
void test_ctl_runtime_http__peer_keys(void)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	char k[64];

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &in4.sin_addr);
	rt__http_peer_key(k, (struct sockaddr *)&in4);
	assert_str(k, "192.0.2.7");
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &in6.sin6_addr);
	rt__http_peer_key(k, (struct sockaddr *)&in6);
	assert_str(k, "192.0.2.7");
	inet_pton(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", &in6.sin6_addr);
	rt__http_peer_key(k, (struct sockaddr *)&in6);
	assert_str(k, "2001:db8:1:2::/64");
	inet_pton(AF_INET6, "2001:db8:1:2::1", &in6.sin6_addr);
	rt__http_peer_key(k, (struct sockaddr *)&in6);
	assert_str(k, "2001:db8:1:2::/64");
	rt__http_peer_key(k, NULL);
	assert_str(k, "");
}
