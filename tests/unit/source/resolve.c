/* lib/source: which ref or commit a targetRevision means, given a remote's refs. */
#include <string.h>

#include "source/source_int.h"
#include "test.h"

#define A "1111111111111111111111111111111111111111"
#define B "2222222222222222222222222222222222222222"
#define C "3333333333333333333333333333333333333333"
#define D "4444444444444444444444444444444444444444"
#define E "5555555555555555555555555555555555555555"
#define T "abcdef0123456789abcdef0123456789abcdef01"

static const struct source__ref refs[] = {
	{ "HEAD", A },
	{ "refs/heads/main", A },
	{ "refs/heads/release-1.x", B },
	{ "refs/heads/v2.0.0", C }, /* a branch named like a version */
	{ "refs/tags/v1.2.0", B },
	{ "refs/tags/v1.4.1", T }, /* annotated */
	{ "refs/tags/v1.4.1^{}", C },
	{ "refs/tags/1.4.0", D },
	{ "refs/tags/v2.0.0-rc.1", E },
	{ "refs/tags/v1.10.0", E },
	{ "refs/tags/not-a-version", D },
	{ "refs/pull/7/head", D },
};
#define N (sizeof(refs) / sizeof(refs[0]))

void test_source_resolve__head_branch_tag_and_full_refs(void)
{
	struct source__want w;
	must_pass(source__resolve(&w, refs, N, NULL));
	assert_str(w.ref, "HEAD");
	assert_str(w.oid, A);
	must_pass(source__resolve(&w, refs, N, "main"));
	assert_int(w.kind, SOURCE_WANT_REF);
	assert_str(w.ref, "refs/heads/main");
	must_pass(source__resolve(&w, refs, N, "v1.2.0"));
	assert_str(w.ref, "refs/tags/v1.2.0");
	assert_str(w.peeled, "");
	must_pass(source__resolve(&w, refs, N, "v1.4.1"));
	assert_str(w.oid, T);
	assert_str(w.peeled, C);
	must_pass(source__resolve(&w, refs, N, "refs/pull/7/head"));
	assert_str(w.oid, D);
	/* a branch wins over the semver reading of its name */
	must_pass(source__resolve(&w, refs, N, "v2.0.0"));
	assert_str(w.ref, "refs/heads/v2.0.0");
}

void test_source_resolve__semver_picks_the_highest_matching_tag(void)
{
	struct source__want w;
	must_pass(source__resolve(&w, refs, N, "^1"));
	assert_str(w.ref, "refs/tags/v1.10.0"); /* 1.10 > 1.4 (numbers, not text) */
	must_pass(source__resolve(&w, refs, N, "~1.4"));
	assert_str(w.ref, "refs/tags/v1.4.1");
	assert_str(w.peeled, C);
	must_pass(source__resolve(&w, refs, N, ">=1.2.0 <1.4.1"));
	assert_str(w.ref, "refs/tags/1.4.0");
	must_pass(source__resolve(&w, refs, N, "1.2.0")); /* a version that is not a tag name */
	assert_str(w.ref, "refs/tags/v1.2.0");
	/* pre-releases only when asked */
	must_pass(source__resolve(&w, refs, N, ">=1.0.0"));
	assert_str(w.ref, "refs/tags/v1.10.0");
	must_pass(source__resolve(&w, refs, N, ">=2.0.0-0"));
	assert_str(w.ref, "refs/tags/v2.0.0-rc.1");
}

void test_source_resolve__commits_full_and_abbreviated(void)
{
	struct source__want w;
	must_pass(source__resolve(&w, refs, N, "abcdef0"));
	assert_int(w.kind, SOURCE_WANT_COMMIT);
	assert_str(w.oid, T); /* an advertised tip: the full id */
	must_pass(source__resolve(&w, refs, N, "ABCDEF0123"));
	assert_str(w.oid, T);
	must_pass(source__resolve(&w, refs, N, "9876abc"));
	assert_int(w.kind, SOURCE_WANT_COMMIT);
	assert_str(w.oid, "9876abc"); /* not advertised: looked up after a fetch */
	must_pass(source__resolve(&w, refs, N, "0123456789012345678901234567890123456789"));
	assert_int(w.kind, SOURCE_WANT_COMMIT);
	assert_int(strlen(w.oid), 40);
	/* hex digits that also read as a version and match no tag are a commit */
	must_pass(source__resolve(&w, refs, N, "1234567"));
	assert_int(w.kind, SOURCE_WANT_COMMIT);
	assert_true(source__is_hex_id("abcd"));
	assert_true(!source__is_hex_id("abc"));
	assert_true(!source__is_hex_id("abcg123"));
}

void test_source_resolve__clear_errors(void)
{
	struct source__want w;
	static const struct source__ref none[1] = { { "x", A } };
	must_fail_with(source__resolve(&w, refs, N, "v9.x"), GS_ENOTFOUND);
	assert_str(gs_error_last(), "revision 'v9.x': no tag matches");
	must_fail_with(source__resolve(&w, refs, N, "feature/nope"), GS_ENOTFOUND);
	assert_str(gs_error_last(),
	           "revision 'feature/nope': no branch, tag or commit of that name");
	must_fail_with(source__resolve(&w, refs, N, "refs/heads/gone"), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "no such ref");
	must_fail_with(source__resolve(&w, none, 0, "HEAD"), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "the repository is empty");
}
