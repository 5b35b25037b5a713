/* Runs the unit tests listed by gen-list.sh and prints TAP. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

struct unit_test {
	const char *name;
	void (*fn)(void);
};
#include "list.inc"

static int failed_now, skipped_now;
static char skip_why[256];

void test__fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed_now = 1;
}

void test__skip(const char *why)
{
	snprintf(skip_why, sizeof(skip_why), "%s", why);
	skipped_now = 1;
}

const char *test_fixture(const char *rel)
{
	static char path[4096];
	const char *top = getenv("GS_TOP");
	snprintf(path, sizeof(path), "%s/tests/%s", top ? top : ".", rel);
	return path;
}

#include "core/file.h"
int test_read_fixture(struct buf *out, const char *rel)
{
	return file_read(out, test_fixture(rel));
}

/* "test_sealer_age__armor" -> "sealer_age::armor" */
static void pretty(char *dst, size_t n, const char *name)
{
	const char *s = name + 5, *sep = strstr(s, "__");
	snprintf(dst, n, "%.*s::%s", (int)(sep - s), s, sep + 2);
}

int main(int argc, char **argv)
{
	size_t i, ran = 0, nfail = 0;
	const char *filter = argc > 1 ? argv[1] : "";

	if (sodium_init() < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(unit_tests) / sizeof(unit_tests[0]); i++) {
		char name[256];
		pretty(name, sizeof(name), unit_tests[i].name);
		if (*filter && strncmp(name, filter, strlen(filter)))
			continue;
		failed_now = skipped_now = 0;
		gs_error_clear();
		unit_tests[i].fn();
		ran++;
		if (skipped_now)
			printf("ok %zu - unit::%s # SKIP %s\n", ran, name, skip_why);
		else if (failed_now) {
			printf("not ok %zu - unit::%s\n", ran, name);
			nfail++;
		} else
			printf("ok %zu - unit::%s\n", ran, name);
	}
	printf("1..%zu\n", ran);
	return nfail ? 1 : 0;
}
