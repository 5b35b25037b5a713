/* sealer/sealed/template.c: the template.data subset. */
#include "test.h"

#include <string.h>

#include "sealer/sealed/sealed.h"

static const struct sealed_kv vals[] = {
	{ "user", "admin", 5 },
	{ "pass", "p\"w<&>\n", 7 },
	{ "a.b", "dotted", 6 },
	{ "bin", "\xff\x00z", 3 },
};
#define NV (sizeof(vals) / sizeof(vals[0]))

static int render(struct buf *out, const char *src)
{
	buf_reset(out);
	return sealed_template_render(out, "k", src, strlen(src), vals, NV);
}

void test_ctl_template__fields_index_literal_text(void)
{
	struct buf b = BUF_INIT_SECRET(1 << 20);
	must_pass(render(&b, "u={{ .user }};x={{index . \"a.b\"}}"));
	assert_str(b.p, "u=admin;x=dotted");
	must_pass(render(&b, "plain text, no actions"));
	assert_str(b.p, "plain text, no actions");
	must_pass(render(&b, "{{ .missing }}|{{ index . \"missing\" }}|"));
	assert_str(b.p, "<no value>||");
	must_pass(render(&b, "{{ index . `a.b` }}"));
	assert_str(b.p, "dotted");
	buf_release(&b);
}

void test_ctl_template__tojson_b64_and_pipelines(void)
{
	struct buf b = BUF_INIT_SECRET(1 << 20);
	must_pass(render(&b, "{{ toJson .pass }}"));
	assert_str(b.p, "\"p\\\"w\\u003c\\u0026\\u003e\\n\"");
	must_pass(render(&b, "{{ .user | b64enc }} {{ b64enc .user }}"));
	assert_str(b.p, "YWRtaW4= YWRtaW4=");
	must_pass(render(&b, "{{ .user | b64enc | b64dec | upper }}"));
	assert_str(b.p, "ADMIN");
	must_pass(render(&b, "{{ toJson .bin }}"));
	assert_str(b.p, "\"\\ufffd\\u0000z\"");
	must_pass(render(&b, "{{ toJson . }}"));
	assert_str(b.p, "{\"a.b\":\"dotted\",\"bin\":\"\\ufffd\\u0000z\",\"pass\":"
	                "\"p\\\"w\\u003c\\u0026\\u003e\\n\","
	                "\"user\":\"admin\"}");
	must_pass(render(&b, "{{ toJson .nope }}"));
	assert_str(b.p, "null");
	must_pass(render(&b, "{{ print .user \":\" (index . \"a.b\") }}"));
	assert_str(b.p, "admin:dotted");
	must_pass(render(&b, "{{ quote .user }} {{ squote .user }}"));
	assert_str(b.p, "\"admin\" 'admin'");
	buf_release(&b);
}

void test_ctl_template__trim_markers_and_comments(void)
{
	struct buf b = BUF_INIT_SECRET(1 << 20);
	must_pass(render(&b, "a  \n {{- .user -}} \n  b"));
	assert_str(b.p, "aadminb");
	must_pass(render(&b, "x{{/* a comment with }} inside */}}y"));
	assert_str(b.p, "xy");
	must_pass(render(&b, "x {{- /* c */ -}} y"));
	assert_str(b.p, "xy");
	must_pass(render(&b, "{{ \"\\x41\\u00e9\\n\" }}"));
	assert_str(b.p, "A\xc3\xa9\n");
	buf_release(&b);
}

void test_ctl_template__unsupported_constructs_are_named(void)
{
	struct buf b = BUF_INIT_SECRET(1 << 20);
	must_fail(render(&b, "{{ if .user }}x{{ end }}"));
	assert_contains(gs_error_last(), "unsupported template construct \"if\"");
	must_fail(render(&b, "{{ range . }}{{ end }}"));
	assert_contains(gs_error_last(), "\"range\"");
	must_fail(render(&b, "{{ printf \"%s\" .user }}"));
	assert_contains(gs_error_last(), "unsupported template function \"printf\"");
	must_fail(render(&b, "{{ $x := .user }}"));
	assert_contains(gs_error_last(), "variable $x");
	must_fail(render(&b, "{{ index . 1 }}"));
	assert_contains(gs_error_last(), "literal 1");
	must_fail(render(&b, "{{ .user"));
	assert_contains(gs_error_last(), "unclosed action");
	must_fail(render(&b, "{{ .foo-bar }}"));
	assert_contains(gs_error_last(), "index . \"key\"");
	must_fail(render(&b, "{{ .user.x }}"));
	assert_contains(gs_error_last(), "can't evaluate field x");
	must_fail(render(&b, "{{ .user .pass }}"));
	assert_contains(gs_error_last(), "non-function");
	must_fail(render(&b, "{{ b64enc .nope }}"));
	assert_contains(gs_error_last(), "invalid value; expected string");
	must_fail(render(&b, "{{ }}"));
	assert_contains(gs_error_last(), "missing value");
	must_fail(render(&b, "line1\n{{ template \"x\" }}"));
	assert_contains(gs_error_last(), "template.data k:2:");
	buf_release(&b);
}

void test_ctl_template__errors_never_hold_values(void)
{
	struct buf b = BUF_INIT_SECRET(1 << 20);
	must_fail(render(&b, "{{ .pass | b64enc | toJson | .user }}"));
	assert_true(!strstr(gs_error_last(), "admin"));
	must_fail(render(&b, "{{ index .user \"x\" }}"));
	assert_true(!strstr(gs_error_last(), "admin"));
	buf_release(&b);
}
