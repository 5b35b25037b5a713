#ifndef GS_KUBE_INTERNAL_H
#define GS_KUBE_INTERNAL_H
/*
 * Private to lib/kube (and its unit tests): the pure parts kept separate so
 * they can be tested without a server.
 */
#include <stdint.h>
#include <time.h>

#include "core/clock.h"
#include "kube/kube.h"

/* The old names of core/clock.h's gs_mono_ms() and gs_sleep_ms(), kept for watch.c only.
 * TODO(lead): drop once controller work moves watch.c to core/clock.h. */
static inline long long kube__now_ms(void)
{
	return gs_mono_ms();
}
static inline void kube__sleep_ms(long long ms)
{
	gs_sleep_ms(ms);
}

/* Token bucket: qps tokens per second, at most burst stored. */
struct kube__bucket {
	double qps, burst, tokens;
	long long last_ms;
};
void kube__bucket_init(struct kube__bucket *b, double qps, int burst, long long now_ms);
/* Take one token at now_ms: returns how long to wait (ms) before the request may go (0 = now). */
long long kube__bucket_take(struct kube__bucket *b, long long now_ms);

/* Delay before retry `attempt` (0-based): base*2^attempt capped at max, times a jitter factor in
 * [0.5, 1.5) drawn from rnd (a uniform 32-bit value). A Retry-After (ms, >= 0) wins if larger. */
long long kube__backoff_ms(int attempt, long base_ms, long max_ms, uint32_t rnd,
                           long long retry_after_ms);
/* Retry-After header value (delta-seconds or HTTP-date) -> ms from now_epoch, -1 if unparsable. */
long long kube__parse_retry_after(const char *v, time_t now_epoch);
/* Whether a status (0 = connection broke) is retried. */
int kube__retryable(long status);

/* Split "group/version" ("v1" -> group ""). Returns 0 or GS_EINVAL; out strings owned. */
int kube__split_api_version(char **group, char **version, const char *api_version);
/* Append s percent-escaped for a path segment or a query value. */
int kube__escape(struct buf *out, const char *s);
/* Map an HTTP status + body (a Status object or not) to a GS_E* code and message. */
int kube__api_error(long status, const char *method, const char *path, const char *body,
                    size_t len);

/* exec credential plugin output -> token / cert / key and expiry (0 = none). */
struct kube__cred {
	char *token; /* secret */
	struct buf cert_pem;
	struct buf key_pem; /* secret */
	time_t expires;
};
void kube__cred_init(struct kube__cred *c);
void kube__cred_release(struct kube__cred *c);
int kube__exec_parse(struct kube__cred *out, const char *json, size_t len, const char *command);
int kube__exec_run(struct kube__cred *out, const struct kube_exec_config *ex, const char *server);
/* Feed raw watch-stream bytes to w as if they came from the server (tests and the fuzzer): events
 * go to cb; returns what the stream handler returns (0, the callback's value, or an error). */
int kube__watch_feed(struct kube_watch *w, kube_watch_cb cb, void *ctx, const char *p, size_t n);

/* RFC 3339 ("2024-01-02T03:04:05Z", fractions and offsets allowed) -> epoch; -1 if bad. */
time_t kube__parse_time(const char *s);
/* Now as MicroTime "2024-01-02T03:04:05.123456Z". */
void kube__micro_time(char out[32]);

#endif
