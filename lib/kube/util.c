/* The pure parts of the client: token bucket, backoff, Retry-After, times, escaping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "kube/kube_int.h"

void kube__bucket_init(struct kube__bucket *b, double qps, int burst, long long now_ms)
{
	b->qps = qps;
	b->burst = burst > 0 ? burst : 1;
	b->tokens = b->burst;
	b->last_ms = now_ms;
}

long long kube__bucket_take(struct kube__bucket *b, long long now_ms)
{
	double wait;

	if (b->qps <= 0)
		return 0; /* unlimited */
	if (now_ms > b->last_ms) {
		b->tokens += (now_ms - b->last_ms) * b->qps / 1000.0;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ms = now_ms;
	}
	/* Take the token now (possibly going negative): concurrent callers queue up behind it. */
	b->tokens -= 1;
	if (b->tokens >= 0)
		return 0;
	wait = -b->tokens * 1000.0 / b->qps;
	return (long long)(wait + 0.999);
}

long long kube__backoff_ms(int attempt, long base_ms, long max_ms, uint32_t rnd,
                           long long retry_after_ms)
{
	double d = base_ms > 0 ? base_ms : 1;
	int i;

	for (i = 0; i < attempt && d < max_ms; i++)
		d *= 2;
	if (max_ms > 0 && d > max_ms)
		d = max_ms;
	d *= 0.5 + rnd / 4294967296.0; /* jitter in [0.5, 1.5) spreads clients apart */
	if (retry_after_ms >= 0 && retry_after_ms > d)
		return retry_after_ms;
	return (long long)d;
}

long long kube__parse_retry_after(const char *v, time_t now_epoch)
{
	struct tm tm;
	const char *end;
	char *e;
	long s;

	if (!v)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		s = strtol(v, &e, 10);
		while (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n')
			e++;
		if (*e || s < 0 || s > 86400)
			return -1;
		return (long long)s * 1000;
	}
	/* HTTP-date: "Wed, 21 Oct 2015 07:28:00 GMT" */
	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	s = (long)(timegm(&tm) - now_epoch);
	return s > 0 ? (long long)s * 1000 : 0;
}

int kube__retryable(long status)
{
	/* Not other 5xx: a 1.20 server answers schema errors with 500, retrying them is pointless.
	 */
	return status == 0 || status == 429 || status == 503 || status == 504;
}

int kube__split_api_version(char **group, char **version, const char *api_version)
{
	const char *slash;

	*group = *version = NULL;
	if (!api_version || !*api_version)
		return gs_error(GS_EINVAL, "missing apiVersion");
	slash = strchr(api_version, '/');
	if (slash && (slash == api_version || !slash[1] || strchr(slash + 1, '/')))
		return gs_error(GS_EINVAL, "apiVersion \"%s\": want group/version or version",
		                api_version);
	*group = slash ? strndup(api_version, slash - api_version) : strdup("");
	*version = strdup(slash ? slash + 1 : api_version);
	if (!*group || !*version) {
		free(*group);
		free(*version);
		*group = *version = NULL;
		return gs_error(GS_ENOMEM, "out of memory");
	}
	return 0;
}

int kube__escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			rc = buf_addc(out, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = buf_add(out, e, 3);
		}
	}
	return rc;
}

time_t kube__parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	time_t t;
	int sign, hh, mm;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') /* fractions of a second: ignored */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	t = timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		return p[1] ? -1 : t;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		sign = *p == '+' ? 1 : -1;
		hh = (p[1] - '0') * 10 + (p[2] - '0');
		mm = (p[4] - '0') * 10 + (p[5] - '0');
		if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
			return -1;
		return t - sign * (hh * 3600 + mm * 60);
	}
	return -1;
}

void kube__micro_time(char out[32])
{
	struct timeval tv;
	struct tm tm;
	char base[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%06ldZ", base, (long)tv.tv_usec);
}
