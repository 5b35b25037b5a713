#ifndef GS_TEST_H
#define GS_TEST_H
/*
 * A tiny clar-like unit test harness. Every `void test_<suite>__<name>(void)`
 * in tests/unit is found by gen-list.sh; `make unit T=sealer_age` runs a suite,
 * `T=sealer_age::armor_roundtrip` one test. Output is TAP, summed by tests/run.sh.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"

void test__fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void test__skip(const char *why);
const char *test_fixture(const char *rel); /* path of tests/<rel> (static buffer, one at a time) */
int test_read_fixture(struct buf *out, const char *rel);

#define fail_(...)                                                                                 \
	do {                                                                                       \
		test__fail(__FILE__, __LINE__, __VA_ARGS__);                                       \
		return;                                                                            \
	} while (0)

#define must_pass(expr)                                                                            \
	do {                                                                                       \
		int rc_ = (expr);                                                                  \
		if (rc_ < 0)                                                                       \
			fail_("%s failed (%d): %s", #expr, rc_, gs_error_last());                  \
	} while (0)
#define must_fail(expr)                                                                            \
	do {                                                                                       \
		int rc_ = (expr);                                                                  \
		if (rc_ >= 0)                                                                      \
			fail_("%s should have failed", #expr);                                     \
	} while (0)
#define must_fail_with(expr, code)                                                                 \
	do {                                                                                       \
		int rc_ = (expr);                                                                  \
		if (rc_ != (code))                                                                 \
			fail_("%s gave %d, expected %d (%s)", #expr, rc_, (int)(code),             \
			      gs_error_last());                                                    \
	} while (0)
#define assert_true(expr)                                                                          \
	do {                                                                                       \
		if (!(expr))                                                                       \
			fail_("expected %s", #expr);                                               \
	} while (0)
#define assert_int(a, b)                                                                           \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			fail_("%s == %lld, expected %lld", #a, a_, b_);                            \
	} while (0)
#define assert_str(a, b)                                                                           \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!a_ || !b_ || strcmp(a_, b_))                                                  \
			fail_("%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)",             \
			      b_ ? b_ : "(null)");                                                 \
	} while (0)
#define assert_mem(a, alen, b, blen)                                                               \
	do {                                                                                       \
		size_t al_ = (alen), bl_ = (blen);                                                 \
		if (al_ != bl_ || memcmp((a), (b), al_))                                           \
			fail_("%s differs from %s (%zu vs %zu bytes)", #a, #b, al_, bl_);          \
	} while (0)
#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		if (!h_ || !strstr(h_, n_))                                                        \
			fail_("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);           \
	} while (0)
#define skip_(why)                                                                                 \
	do {                                                                                       \
		test__skip(why);                                                                   \
		return;                                                                            \
	} while (0)

#endif
