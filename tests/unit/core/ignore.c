/* lib/core ignore: gitignore(5) rules, git's wildmatch, Argo CD style brace alternatives. */
#include <stdlib.h>

#include "test.h"

#include "core/ignore.h"

static struct ignore *rules(const char *text, unsigned flags)
{
	struct ignore *ig = NULL;
	if (ignore_new(&ig) < 0 ||
	    ignore_add_text(ig, text, strlen(text), ".gitsealignore", flags) < 0) {
		ignore_free(ig);
		return NULL;
	}
	return ig;
}

void test_core_ignore__wildmatch(void)
{
	assert_true(ignore_wildmatch("*.yaml", "a.yaml"));
	assert_true(!ignore_wildmatch("*.yaml", "d/a.yaml"));
	assert_true(ignore_wildmatch("?.yaml", "a.yaml"));
	assert_true(!ignore_wildmatch("?", "/"));
	assert_true(ignore_wildmatch("**/a.yaml", "a.yaml"));
	assert_true(ignore_wildmatch("**/a.yaml", "x/y/a.yaml"));
	assert_true(ignore_wildmatch("x/**", "x/y/z"));
	assert_true(!ignore_wildmatch("x/**", "x"));
	assert_true(ignore_wildmatch("a/**/b", "a/b"));
	assert_true(ignore_wildmatch("a/**/b", "a/x/y/b"));
	assert_true(!ignore_wildmatch("a/**/b", "a/x/y/c"));
	assert_true(ignore_wildmatch("a**b", "axxb")); /* not a component: a plain star */
	assert_true(!ignore_wildmatch("a**b", "ax/xb"));
	assert_true(ignore_wildmatch("test/*", "test/x.yaml"));
	assert_true(!ignore_wildmatch("test/*", "test/x/y.yaml"));
	assert_true(ignore_wildmatch("[abc].yaml", "b.yaml"));
	assert_true(!ignore_wildmatch("[!abc].yaml", "b.yaml"));
	assert_true(ignore_wildmatch("[^abc].yaml", "d.yaml"));
	assert_true(ignore_wildmatch("[a-c]x", "bx"));
	assert_true(!ignore_wildmatch("[a-c]x", "dx"));
	assert_true(ignore_wildmatch("[]]", "]"));
	assert_true(ignore_wildmatch("[[:digit:]]*", "7up"));
	assert_true(!ignore_wildmatch("[[:digit:]]*", "up"));
	assert_true(ignore_wildmatch("\\*", "*"));
	assert_true(!ignore_wildmatch("\\*", "a"));
	assert_true(!ignore_wildmatch("a[/]b", "a/b")); /* a class never matches a slash */
}

void test_core_ignore__hostile_pattern_is_not_exponential(void)
{
	char text[201];

	memset(text, 'a', 200);
	text[200] = '\0';
	/* with naive backtracking this is C(200, 12) attempts; wildmatch gives up early */
	assert_true(!ignore_wildmatch("*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
	assert_true(!ignore_wildmatch("**/*a*a*a*a*a*a*a*a*a*a*a*b", text));
	assert_true(ignore_wildmatch("*a*a*a*a*a*a*a*a*a*a*a*a", text));
}

void test_core_ignore__gitignore_rules(void)
{
	struct ignore *ig = rules("# generated files\n"
	                          "\n"
	                          "*.log\n"
	                          "!keep.log\n"
	                          "/build\n"
	                          "doc/frotz/\n"
	                          "tmp/\n"
	                          "\\#hash.yaml\n"
	                          "\\!bang.yaml\n"
	                          "space\\ \n"
	                          "trailing.yaml   \n"
	                          "crlf.yaml\r\n",
	                          0);

	assert_true(ig != NULL);
	assert_int(ignore_count(ig), 10);
	assert_int(ignore_match(ig, "x.log", 0), 1);
	assert_int(ignore_match(ig, "a/b/x.log", 0), 1);
	assert_int(ignore_match(ig, "a/keep.log", 0), 0); /* re-included */
	assert_int(ignore_match(ig, "build", 1), 1);
	assert_int(ignore_match(ig, "build", 0), 1);
	assert_int(ignore_match(ig, "a/build", 1), 0); /* anchored at the root */
	assert_int(ignore_match(ig, "doc/frotz", 1), 1);
	assert_int(ignore_match(ig, "doc/frotz", 0), 0); /* directories only */
	assert_int(ignore_match(ig, "a/doc/frotz", 1), 0);
	assert_int(ignore_match(ig, "x/y/tmp", 1), 1); /* no slash but the last: any depth */
	assert_int(ignore_match(ig, "#hash.yaml", 0), 1);
	assert_int(ignore_match(ig, "!bang.yaml", 0), 1);
	assert_int(ignore_match(ig, "space ", 0), 1);
	assert_int(ignore_match(ig, "space", 0), 0);
	assert_int(ignore_match(ig, "trailing.yaml", 0), 1);
	assert_int(ignore_match(ig, "crlf.yaml", 0), 1);
	assert_int(ignore_match(ig, "deploy.yaml", 0), 0);
	ignore_free(ig);
}

void test_core_ignore__parent_directory_cannot_be_reincluded(void)
{
	struct ignore *ig = rules("secrets/\n!secrets/keep.yaml\n", 0);

	assert_true(ig != NULL);
	/* the rule alone re-includes it, but its directory is ignored (git's rule) */
	assert_int(ignore_match(ig, "secrets/keep.yaml", 0), 0);
	assert_int(ignore_path(ig, "secrets/keep.yaml", 0), 1);
	assert_int(ignore_path(ig, "app/secrets/x.yaml", 0), 1);
	assert_int(ignore_path(ig, "app/x.yaml", 0), 0);
	ignore_free(ig);
}

void test_core_ignore__argo_braces(void)
{
	struct ignore *ig = rules("{config.json,env-usw2/*}", IGNORE_BRACES), *plain;

	assert_true(ig != NULL);
	assert_int(ignore_count(ig), 2);
	assert_int(ignore_match(ig, "config.json", 0), 1);
	assert_int(ignore_match(ig, "env-usw2/a.yaml", 0), 1);
	assert_int(ignore_match(ig, "other.json", 0), 0);
	ignore_free(ig);

	ig = rules("*.{yaml,yml,j{son,sonnet}}", IGNORE_BRACES);
	assert_true(ig != NULL);
	assert_int(ignore_count(ig), 4);
	assert_int(ignore_match(ig, "a/b.yml", 0), 1);
	assert_int(ignore_match(ig, "b.jsonnet", 0), 1);
	assert_int(ignore_match(ig, "b.txt", 0), 0);
	ignore_free(ig);

	/* without the flag a brace is an ordinary character, as in git */
	plain = rules("{a,b}.yaml", 0);
	assert_true(plain != NULL);
	assert_int(ignore_match(plain, "{a,b}.yaml", 0), 1);
	assert_int(ignore_match(plain, "a.yaml", 0), 0);
	ignore_free(plain);
}

void test_core_ignore__bad_rules_are_errors_naming_the_line(void)
{
	struct ignore *ig = NULL;
	const char *t1 = "ok.yaml\n[abc.yaml\n", *t2 = "a\\";

	must_pass(ignore_new(&ig));
	must_fail_with(ignore_add_text(ig, t1, strlen(t1), ".gitsealignore", 0), GS_EPARSE);
	assert_str(gs_error_last(), ".gitsealignore:2: unterminated '[' in rule '[abc.yaml'");
	must_fail_with(ignore_add_text(ig, t2, strlen(t2), "exclude", 0), GS_EPARSE);
	assert_str(gs_error_last(), "exclude:1: rule ends with a lone backslash");
	must_fail_with(
	    ignore_add(ig, "{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}{s,t}", IGNORE_BRACES),
	    GS_ETOOBIG);
	assert_contains(gs_error_last(), "more than 1000 brace alternatives");
	ignore_free(ig);
}
