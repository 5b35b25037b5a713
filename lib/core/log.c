#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int gs_log_level = GS_LOG_INFO;
int gs_log_json;

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void gs_log(int level, const char *msg, const char *fmt_kv, ...)
{
	char ts[32], kv[2048] = "";
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (level < gs_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (fmt_kv && *fmt_kv) {
		va_start(ap, fmt_kv);
		vsnprintf(kv, sizeof(kv), fmt_kv, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "time=%s.%03ldZ level=%s msg=\"%s\"%s%s\n", ts, now.tv_nsec / 1000000,
	        level_names[level], msg, kv[0] ? " " : "", kv);
	pthread_mutex_unlock(&log_lock);
}
