/* lib/source semver: versions, precedence, ranges as Argo CD / Flux users write them. */
#include <stdlib.h>

#include "source/source_int.h"
#include "test.h"

static int matches(const char *range, const char *version)
{
	struct source__range *r = NULL;
	struct source__semver v;
	int m;
	if (source__range_parse(&r, range) < 0)
		return -1;
	if (source__semver_parse(&v, version) < 0) {
		source__range_free(r);
		return -2;
	}
	m = source__range_match(r, &v);
	source__range_free(r);
	return m;
}

static int cmp(const char *a, const char *b)
{
	struct source__semver x, y;
	if (source__semver_parse(&x, a) < 0 || source__semver_parse(&y, b) < 0)
		return 99;
	return source__semver_cmp(&x, &y);
}

void test_source_semver__parses_versions_with_v_prefix_partials_and_build(void)
{
	struct source__semver v;
	must_pass(source__semver_parse(&v, "v1.2.3-rc.1+build.5"));
	assert_int(v.major, 1);
	assert_int(v.minor, 2);
	assert_int(v.patch, 3);
	assert_str(v.pre, "rc.1");
	must_pass(source__semver_parse(&v, "2"));
	assert_int(v.major, 2);
	assert_int(v.minor, 0);
	must_pass(source__semver_parse(&v, "1.4"));
	assert_int(v.minor, 4);
	must_fail(source__semver_parse(&v, "main"));
	must_fail(source__semver_parse(&v, "1.x"));
	must_fail(source__semver_parse(&v, "1.2.3.4"));
	must_fail(source__semver_parse(&v, "1.2-rc")); /* a pre-release needs all three numbers */
	must_fail(source__semver_parse(&v, "v"));
	must_fail(source__semver_parse(&v, "1..2"));
	must_fail(source__semver_parse(&v, "99999999999999999999.0.0"));
}

void test_source_semver__precedence_follows_semver_org(void)
{
	/* semver.org 11: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2
	 * < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0 */
	static const char *const order[] = { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		                             "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
		                             "1.0.0-rc.1",  "1.0.0",         "1.0.1",
		                             "1.1.0",       "2.0.0",         "10.0.0" };
	size_t i;
	for (i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++) {
		assert_int(cmp(order[i], order[i + 1]), -1);
		assert_int(cmp(order[i + 1], order[i]), 1);
	}
	assert_int(cmp("1.2.3+a", "1.2.3+b"), 0); /* build metadata does not count */
	assert_int(cmp("v1.2.3", "1.2.3"), 0);
}

void test_source_semver__comparison_ranges(void)
{
	assert_int(matches(">=1.2.0 <2", "1.2.0"), 1);
	assert_int(matches(">=1.2.0 <2", "1.9.9"), 1);
	assert_int(matches(">=1.2.0 <2", "2.0.0"), 0);
	assert_int(matches(">=1.2.0 <2", "1.1.9"), 0);
	assert_int(matches(">=1.2.0, <2", "1.5.0"), 1); /* Masterminds' comma */
	assert_int(matches("> 1.2", "1.2.9"), 0);       /* > 1.2 is >= 1.3.0 */
	assert_int(matches("> 1.2", "1.3.0"), 1);
	assert_int(matches(">1.2.3", "1.2.3"), 0);
	assert_int(matches("<=1.2", "1.2.9"), 1);
	assert_int(matches("<=1.2", "1.3.0"), 0);
	assert_int(matches("<1.2", "1.1.99"), 1);
	assert_int(matches("<1.2", "1.2.0"), 0);
	assert_int(matches("=1.2.3", "1.2.3"), 1);
	assert_int(matches("1.2.3", "v1.2.3"), 1);
	assert_int(matches("!=1.2.3", "1.2.3"), 0);
	assert_int(matches("!=1.2.3", "1.2.4"), 1);
	assert_int(matches("!=1.2", "1.2.7"), 0);
	assert_int(matches("!=1.2", "1.3.0"), 1);
}

void test_source_semver__tilde_caret_and_wildcards(void)
{
	assert_int(matches("~1.4", "1.4.0"), 1);
	assert_int(matches("~1.4", "1.4.12"), 1);
	assert_int(matches("~1.4", "1.5.0"), 0);
	assert_int(matches("~1.4.2", "1.4.1"), 0);
	assert_int(matches("~>1.4.2", "1.4.3"), 1);
	assert_int(matches("~1", "1.9.0"), 1);
	assert_int(matches("~1", "2.0.0"), 0);
	assert_int(matches("^1", "1.0.0"), 1);
	assert_int(matches("^1", "1.99.99"), 1);
	assert_int(matches("^1", "2.0.0"), 0);
	assert_int(matches("^1.2.3", "1.2.2"), 0);
	assert_int(matches("^0.2.3", "0.2.9"), 1);
	assert_int(matches("^0.2.3", "0.3.0"), 0);
	assert_int(matches("^0.0.3", "0.0.3"), 1);
	assert_int(matches("^0.0.3", "0.0.4"), 0);
	assert_int(matches("^0.0", "0.0.9"), 1);
	assert_int(matches("^0.0", "0.1.0"), 0);
	assert_int(matches("1.x", "1.7.3"), 1);
	assert_int(matches("1.x", "2.0.0"), 0);
	assert_int(matches("1.2.*", "1.2.9"), 1);
	assert_int(matches("1.2.*", "1.3.0"), 0);
	assert_int(matches("1.2", "1.2.5"), 1); /* a partial version is its x-range */
	assert_int(matches("*", "0.0.1"), 1);
	assert_int(matches("x", "7.0.0"), 1);
}

void test_source_semver__hyphen_and_or(void)
{
	assert_int(matches("1.2 - 1.4", "1.2.0"), 1);
	assert_int(matches("1.2 - 1.4", "1.4.9"), 1);
	assert_int(matches("1.2 - 1.4", "1.5.0"), 0);
	assert_int(matches("1.2.3 - 2.3.4", "2.3.4"), 1);
	assert_int(matches("1.2.3 - 2.3.4", "2.3.5"), 0);
	assert_int(matches("^1 || ^3", "1.5.0"), 1);
	assert_int(matches("^1 || ^3", "2.5.0"), 0);
	assert_int(matches("^1 || ^3", "3.0.1"), 1);
}

void test_source_semver__prereleases_only_when_the_range_names_one(void)
{
	assert_int(matches("^1", "1.5.0-rc.1"), 0);
	assert_int(matches(">=1.0.0", "1.5.0-rc.1"), 0);
	assert_int(matches("*", "1.0.0-alpha"), 0);
	assert_int(matches(">=1.0.0-0 <2", "1.5.0-rc.1"), 1);
	assert_int(matches(">=1.5.0-rc.2", "1.5.0-rc.1"), 0);
	assert_int(matches(">=1.5.0-rc.2", "1.5.0-rc.10"), 1);
	assert_int(matches("^1.0.0-0", "1.2.0-beta"), 1);
	/* a desugared upper bound stops below the next major's pre-releases */
	assert_int(matches("^1.0.0-0", "2.0.0-rc.1"), 0);
	/* only the set that names one: the other side of || stays release-only */
	assert_int(matches("^2 || >=1.0.0-0 <1.1", "2.1.0-rc.1"), 0);
	assert_int(matches("^2 || >=1.0.0-0 <1.1", "1.0.5-rc.1"), 1);
}

void test_source_semver__rejects_what_is_not_a_range(void)
{
	struct source__range *r = NULL;
	static const char *const bad[] = { "",        "main",    "feature/x", ">=",
		                           "1.2.3 -", "^^1",     "1.2.3-",    ">=1.0 <",
		                           "v1.x.3",  "1.2.3.4", "deadbeef" };
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = source__range_parse(&r, bad[i]);
		if (rc >= 0) {
			source__range_free(r);
			fail_("'%s' parsed as a range", bad[i]);
		}
		assert_true(r == NULL);
		assert_contains(gs_error_last(), "not a semver range");
	}
}
