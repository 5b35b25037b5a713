/*
 * lib/doc: the classes of the 2026-12-04 fuzz findings (../shared/fuzz/findings-2026-12-04,
 * replayed from tests/fuzz/corpus/): JSON numbers with leading zeros, and YAML 1.1
 * number/time look-alikes that must come out of the emitter so that go-yaml v2
 * (Kubernetes), yaml.v3 (sops) and our own reader take them for what they are.
 * Expected texts were produced by go-yaml v2.4.0 and yaml.v3 v3.0.1 (Debian's
 * golang-gopkg-yaml.v2-dev / .v3-dev) marshalling the same strings.
 */
#include <stdlib.h>

#include "test.h"

#include "doc/doc.h"

static void json_fails(const char *src, const char *msg)
{
	struct doc_stream s = DOC_STREAM_INIT;
	if (doc_parse(&s, "n.json", src, strlen(src), DOC_PARSE_JSON, NULL) >= 0)
		test__fail(__FILE__, __LINE__, "'%s' parsed", src);
	else if (strcmp(gs_error_last(), msg))
		test__fail(__FILE__, __LINE__, "'%s': '%s', expected '%s'", src, gs_error_last(),
		           msg);
	assert_int(s.n, 0);
	doc_stream_release(&s);
}

/* RFC 8259: no leading zeros; the messages are Go's encoding/json ones */
void test_doc_lookalike__json_leading_zeros_refused(void)
{
	struct doc_stream s = DOC_STREAM_INIT;
	const char *ok = "0 -0 0.5 0e5 -0.0e-1 [0, 10] {\"a\": 0}";

	json_fails("01", "n.json:1:2: invalid character '1' after top-level value");
	json_fails("-01", "n.json:1:3: invalid character '1' after top-level value");
	json_fails("00", "n.json:1:2: invalid character '0' after top-level value");
	json_fails("\r00018446744073709551615\r",
	           "n.json:1:3: invalid character '0' after top-level value");
	json_fails("[01]", "n.json:1:3: invalid character '1' after array element");
	json_fails("{\"a\": 007}", "n.json:1:8: invalid character '0' after object key:value pair");
	json_fails("[0, -00]", "n.json:1:7: invalid character '0' after array element");
	/* zero itself, and values separated by white space, are fine */
	must_pass(doc_parse(&s, "n.json", ok, strlen(ok), DOC_PARSE_JSON, NULL));
	assert_int(s.n, 7);
	doc_stream_release(&s);
}

/* A JSON integer too large for any machine type stays an int through YAML and back. */
void test_doc_lookalike__huge_json_int_reads_back(void)
{
	struct buf src = BUF_INIT(4096), y = BUF_INIT(4096), j = BUF_INIT(4096);
	struct doc *d = NULL, *back = NULL;
	int i;

	must_pass(buf_adds(&src, "{\"v\": 1"));
	for (i = 0; i < 400; i++)
		must_pass(buf_addc(&src, '0'));
	must_pass(buf_adds(&src, "}"));
	must_pass(doc_parse_one(&d, "n.json", src.p, src.len, DOC_PARSE_JSON));
	assert_int(doc_kind(doc_get(d, "v")), DOC_INT);
	must_pass(doc_emit_yaml(&y, d, NULL));
	assert_true(!strncmp(y.p, "v: !!int 1000", 13));
	must_pass(doc_parse_one(&back, "n.yaml", y.p, y.len, 0));
	assert_int(doc_kind(doc_get(back, "v")), DOC_INT);
	assert_int(doc_len(doc_get(back, "v")), 401);
	must_pass(doc_emit_json(&j, back, NULL));
	assert_true(strstr(j.p, "\"v\": 1000") && !strstr(j.p, "\"1000"));
	doc_free(back);
	back = NULL;
	/* only decimal digits pass as a big !!int: the tag still refuses text */
	must_fail(doc_parse_one(&back, "t.yaml", "n: !!int 0x1F0000000000000000000000\n", 35, 0));
	must_fail(doc_parse_one(&back, "t.yaml", "n: !!int 1.5\n", 13, 0));
	must_fail(doc_parse_one(&back, "t.yaml", "n: !!int 0012345678901234567890123\n", 35, 0));
	doc_free(back);
	doc_free(d);
	buf_release(&src);
	buf_release(&y);
	buf_release(&j);
}

struct lookalike {
	const char *text;
	const char *v2, *v3; /* what go-yaml v2 and yaml.v3 (indent 4) write for the string */
};

static void emit_one(struct buf *out, const char *s, size_t n, const struct doc_emit_opts *o)
{
	struct doc *m = doc_new_map();
	buf_reset(out);
	if (doc_set(m, "k", doc_new_str(s, n)) < 0 || doc_emit_yaml(out, m, o) < 0)
		buf_reset(out);
	doc_free(m);
}

/* Strings that YAML 1.1 / 1.2 readers would take for numbers or times are quoted; ours read back as
 * strings. */
void test_doc_lookalike__number_and_time_strings_quoted(void)
{
	static const struct lookalike cases[] = {
		{ "1:2:0", "k: \"1:2:0\"\n",
		  "k: 1:2:0\n" }, /* sexagesimal: v2 quotes, v3 need not */
		{ "190:20:30.15", "k: \"190:20:30.15\"\n", "k: 190:20:30.15\n" },
		{ "070", "k: \"070\"\n", "k: \"070\"\n" }, /* leading-zero octal */
		{ "0o70", "k: \"0o70\"\n", "k: \"0o70\"\n" },
		{ "1_000", "k: \"1_000\"\n", "k: \"1_000\"\n" },
		{ "0b101", "k: \"0b101\"\n", "k: \"0b101\"\n" },
		{ "0x_1F", "k: \"0x_1F\"\n", "k: \"0x_1F\"\n" },
		{ "1e3", "k: \"1e3\"\n", "k: \"1e3\"\n" },
		{ "+.5", "k: \"+.5\"\n", "k: \"+.5\"\n" },
		{ ".1_1", "k: \".1_1\"\n", "k: \".1_1\"\n" },
		{ "2001-12-14", "k: \"2001-12-14\"\n", "k: \"2001-12-14\"\n" },
	};
	struct doc_emit_opts v2 = DOC_EMIT_OPTS_INIT,
	                     v3 = { 4, DOC_EMIT_SEQ_INDENT | DOC_EMIT_YAML12 };
	struct buf out = BUF_INIT(4096), s = BUF_INIT(4096), want = BUF_INIT(4096);
	struct doc *back = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		emit_one(&out, cases[i].text, strlen(cases[i].text), &v2);
		assert_str(out.p, cases[i].v2);
		must_pass(doc_parse_one(&back, "b.yaml", out.p, out.len, 0));
		assert_str(doc_str(doc_get(back, "k")), cases[i].text);
		doc_free(back);
		emit_one(&out, cases[i].text, strlen(cases[i].text), &v3);
		assert_str(out.p, cases[i].v3);
		must_pass(doc_parse_one(&back, "b.yaml", out.p, out.len, 0));
		assert_str(doc_str(doc_get(back, "k")), cases[i].text);
		doc_free(back);
	}
	/* long runs: ".5444...4" (71 characters) and 70 digits are still a float to Go */
	must_pass(buf_adds(&s, ".5"));
	for (i = 0; i < 70; i++)
		must_pass(buf_addc(&s, '4'));
	must_pass(buf_addf(&want, "k: \"%s\"\n", s.p));
	emit_one(&out, s.p, s.len, &v2);
	assert_str(out.p, want.p);
	emit_one(&out, s.p, s.len, &v3);
	assert_str(out.p, want.p);
	buf_reset(&s);
	buf_reset(&want);
	for (i = 0; i < 70; i++)
		must_pass(buf_addc(&s, (char)('0' + (i + 1) % 10)));
	must_pass(buf_addf(&want, "k: \"%s\"\n", s.p));
	emit_one(&out, s.p, s.len, &v2);
	assert_str(out.p, want.p);
	/* 1 and 400 zeros overflows a float64: Go reads it as a string, so it stays plain */
	buf_reset(&s);
	must_pass(buf_addc(&s, '1'));
	for (i = 0; i < 400; i++)
		must_pass(buf_addc(&s, '0'));
	emit_one(&out, s.p, s.len, &v2);
	assert_true(!strncmp(out.p, "k: 1000", 7));
	buf_release(&out);
	buf_release(&s);
	buf_release(&want);
}

/* Plain look-alikes read as what yaml.v3 reads, however long they are. */
void test_doc_lookalike__long_plain_numbers_resolve(void)
{
	struct buf src = BUF_INIT(4096);
	struct doc *d = NULL;
	size_t i;

	must_pass(buf_adds(&src, "a: .5"));
	for (i = 0; i < 70; i++)
		must_pass(buf_addc(&src, '4'));
	must_pass(buf_adds(&src, "\nb: .1"));
	for (i = 0; i < 40; i++)
		must_pass(buf_adds(&src, "_1"));
	must_pass(buf_adds(&src, "\nc: 1"));
	for (i = 0; i < 70; i++)
		must_pass(buf_addc(&src, '0'));
	must_pass(buf_adds(&src, "\nd: 070\ne: 1:2:0\nf: 0o+17\n"));
	must_pass(doc_parse_one(&d, "l.yaml", src.p, src.len, 0));
	assert_int(doc_kind(doc_get(d, "a")), DOC_FLOAT);
	assert_int(doc_kind(doc_get(d, "b")), DOC_FLOAT);
	assert_int(doc_kind(doc_get(d, "c")), DOC_FLOAT);
	assert_int(doc_kind(doc_get(d, "d")), DOC_INT);
	assert_int(doc_kind(doc_get(d, "e")), DOC_STR); /* yaml.v3 has no base 60 */
	assert_int(doc_kind(doc_get(d, "f")), DOC_INT); /* yaml.v3's own "0o" fallback */
	doc_free(d);
	buf_release(&src);
}

/* An int go-yaml v2 would read as a string goes out in decimal for v2 readers (Kubernetes). */
void test_doc_lookalike__v2_reads_ints_as_ints(void)
{
	struct doc_emit_opts v3 = { 4, DOC_EMIT_SEQ_INDENT | DOC_EMIT_YAML12 };
	struct buf out = BUF_INIT(4096);
	struct doc *d = NULL;

	must_pass(doc_parse_one(&d, "o.yaml", "a: 0o+17\nb: 0o-1_7\nc: 0o17\nd: 0x1F\n", 34, 0));
	must_pass(doc_emit_yaml(&out, d, NULL));
	assert_str(out.p, "a: 15\nb: -15\nc: 0o17\nd: 0x1F\n");
	buf_reset(&out);
	must_pass(doc_emit_yaml(&out, d, &v3)); /* yaml.v3 reads them as written */
	assert_str(out.p, "a: 0o+17\nb: 0o-1_7\nc: 0o17\nd: 0x1F\n");
	doc_free(d);
	buf_release(&out);
}

/* An empty key and a "null" key are both null (and both written "null"): a duplicate. */
void test_doc_lookalike__empty_and_null_keys_collide(void)
{
	struct doc_stream s = DOC_STREAM_INIT;
	const char *src = "a: 1\n&l : x\nnull: y\n";
	struct doc *d = NULL;

	must_fail_with(doc_parse(&s, "k.yaml", src, strlen(src), 0, NULL), GS_EPARSE);
	assert_str(gs_error_last(), "k.yaml:3:1: mapping key \"null\" already defined at line 2");
	assert_int(s.n, 0);
	/* "~" and "null" stay different keys, as yaml.v3 compares them (by text) */
	must_pass(doc_parse_one(&d, "k.yaml", "~: 1\nnull: 2\n", 13, 0));
	assert_int(doc_len(d), 2);
	doc_free(d);
}
