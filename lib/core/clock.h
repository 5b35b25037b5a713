#ifndef GS_CLOCK_H
#define GS_CLOCK_H
/*
 * The monotonic clock (CLOCK_MONOTONIC: never jumps with the wall clock), the one copy.
 * Use it for deadlines, intervals and durations; time(NULL) only for timestamps shown to people.
 */
#include <stdint.h>

int64_t gs_mono_ms(void);     /* milliseconds */
double gs_mono(void);         /* seconds */
void gs_sleep_ms(int64_t ms); /* sleeps the whole time, across EINTR; <= 0 returns at once */
/* Go's time.ParseDuration ("720h", "1h30m", "2.5s", "-1s", "0") into seconds; GS_EINVAL naming the
 * text as Go words it ("time: invalid duration \"x\""). */
int gs_parse_duration(const char *s, double *secs);

#endif
