/* Wall-clock timestamps in the API's RFC 3339 form (clock.h); deadlines use the monotonic clock. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

time_t gs_time_parse(const char *s)
{
	struct tm tm;
	const char *p;
	time_t t;
	int hh, mm;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (!(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*p == '.') { /* fractions of a second: at least one digit, ignored */
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	t = timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		return p[1] ? -1 : t;
	if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':')
		return -1;
	if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' || p[4] < '0' || p[4] > '9' ||
	    p[5] < '0' || p[5] > '9')
		return -1;
	hh = (p[1] - '0') * 10 + (p[2] - '0');
	mm = (p[4] - '0') * 10 + (p[5] - '0');
	if (hh > 23 || mm > 59)
		return -1;
	return t - (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
}

void gs_time_format(char out[GS_TIME_MAX], time_t t)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, GS_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, GS_TIME_MAX, "1970-01-01T00:00:00Z");
}

void gs_time_now_nano(char out[GS_TIME_MAX])
{
	struct timespec ts;
	char frac[16];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gs_time_format(out, ts.tv_sec);
	if (!ts.tv_nsec)
		return;
	snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
	for (n = strlen(frac); frac[n - 1] == '0'; n--)
		;
	/* "...:07Z" -> "...:07.1234Z" */
	snprintf(out + 19, GS_TIME_MAX - 19, "%.*sZ", (int)n, frac);
}
