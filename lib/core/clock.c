#include "core/clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

int64_t gs_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gs_mono_abstime(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (ms <= 0)
		return;
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

double gs_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void gs_sleep_ms(int64_t ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int gs_parse_duration(const char *s, double *secs)
{
	static const struct {
		const char *name;
		double secs;
	} units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "ms", 1e-3 },
		      { "s", 1 },     { "m", 60 },    { "h", 3600 } };
	const char *p = s;
	double total = 0;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*secs = 0;
		return 0;
	}
	if (!*p)
		return gs_error(GS_EINVAL, "time: invalid duration \"%s\"", s);
	while (*p) {
		char *e;
		double v;
		size_t i;
		if (!isdigit((unsigned char)*p) && *p != '.')
			return gs_error(GS_EINVAL, "time: invalid duration \"%s\"", s);
		v = strtod(p, &e);
		if (e == p)
			return gs_error(GS_EINVAL, "time: invalid duration \"%s\"", s);
		p = e;
		if (!*p)
			return gs_error(GS_EINVAL, "time: missing unit in duration \"%s\"", s);
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(p, units[i].name, strlen(units[i].name)))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return gs_error(GS_EINVAL, "time: unknown unit in duration \"%s\"", s);
		p += strlen(units[i].name);
		total += v * units[i].secs;
	}
	*secs = neg ? -total : total;
	return 0;
}
