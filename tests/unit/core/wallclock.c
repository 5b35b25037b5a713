/* lib/core/wallclock.c: RFC 3339 timestamps as the Kubernetes API writes them. */
#include <string.h>

#include "test.h"

#include "core/clock.h"

void test_core_wallclock__parse(void)
{
	assert_int(gs_time_parse("1970-01-01T00:00:00Z"), 0);
	assert_int(gs_time_parse("2026-12-04T18:17:07Z"), 1796408227);
	assert_int(gs_time_parse("2026-12-04T18:17:07.123456789Z"), 1796408227);
	assert_int(gs_time_parse("2026-12-04T19:17:07+01:00"), 1796408227);
	assert_int(gs_time_parse("2026-12-04T17:47:07-00:30"), 1796408227);
}

void test_core_wallclock__parse_refuses(void)
{
	static const char *const bad[] = {
		"",
		"2026-12-04",
		"2026-12-04T18:17:07",       /* no zone */
		"2026-12-04T18:17:07.Z",     /* a dot without digits */
		"2026-12-04T18:17:07Zjunk",  /* trailing text */
		"2026-12-04T18:17:07+1:00",  /* short offset */
		"2026-12-04T18:17:07+24:00", /* out of range */
		"2026-12-04T18:17:07+0a:00",
	};
	size_t i;
	assert_int(gs_time_parse(NULL), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (gs_time_parse(bad[i]) != -1)
			fail_("accepted \"%s\"", bad[i]);
}

void test_core_wallclock__format_round_trips(void)
{
	char s[GS_TIME_MAX];
	gs_time_format(s, 1796408227);
	assert_str(s, "2026-12-04T18:17:07Z");
	assert_int(gs_time_parse(s), 1796408227);
}

void test_core_wallclock__now_nano(void)
{
	char s[GS_TIME_MAX];
	time_t before = time(NULL), t;
	size_t n;
	gs_time_now_nano(s);
	t = gs_time_parse(s);
	assert_true(t >= before && t <= time(NULL));
	n = strlen(s);
	assert_true(s[n - 1] == 'Z');
	/* a fraction, when there is one, has no trailing zero (Go's RFC3339Nano) */
	if (n > 20) {
		assert_true(s[19] == '.');
		assert_true(s[n - 2] != '0');
		assert_true(n - 21 >= 1 && n - 21 <= 9);
	}
}
