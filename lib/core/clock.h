#ifndef GS_CLOCK_H
#define GS_CLOCK_H
/*
 * The monotonic clock (CLOCK_MONOTONIC: never jumps with the wall clock), the one copy.
 * Use it for deadlines, intervals and durations; time(NULL) only for timestamps shown to people.
 */
#include <stdint.h>
#include <time.h>

/*
 * Wall-clock timestamps as the Kubernetes API writes them (RFC 3339, UTC), in
 * wallclock.c: for objects, annotations and what people read, never for deadlines.
 */
#define GS_TIME_MAX 40 /* room for "2006-01-02T15:04:05.999999999Z" and its NUL */
/* "2026-12-04T18:17:07Z", with fractions of a second (ignored) or a +hh:mm offset, into seconds
 * since the epoch; -1 when s is NULL or not such a timestamp. */
time_t gs_time_parse(const char *s);
/* t as "2026-12-04T18:17:07Z" (metav1.Time). */
void gs_time_format(char out[GS_TIME_MAX], time_t t);
/* Now, as Go's time.RFC3339Nano writes it in UTC: nanoseconds without trailing zeros
 * ("2026-12-04T18:17:07.1234Z"; no fraction on a whole second). */
void gs_time_now_nano(char out[GS_TIME_MAX]);

int64_t gs_mono_ms(void);     /* milliseconds */
double gs_mono(void);         /* seconds */
void gs_sleep_ms(int64_t ms); /* sleeps the whole time, across EINTR; <= 0 returns at once */
/* The CLOCK_MONOTONIC time ms milliseconds from now (<= 0: now), for pthread_cond_timedwait on a
 * condition variable made with pthread_condattr_setclock(CLOCK_MONOTONIC). */
void gs_mono_abstime(struct timespec *ts, int64_t ms);
/* Go's time.ParseDuration ("720h", "1h30m", "2.5s", "-1s", "0") into seconds; GS_EINVAL naming the
 * text as Go words it ("time: invalid duration \"x\""). */
int gs_parse_duration(const char *s, double *secs);

#endif
