/* lib/doc parsing: kinds, streams, offsets, errors, duplicate keys, limits, secrets. */
#include <stdlib.h>

#include "test.h"

#include "doc/doc.h"

static struct doc *parse(const char *src)
{
	struct doc *d = NULL;
	if (doc_parse_one(&d, "t.yaml", src, strlen(src), 0) < 0)
		return NULL;
	return d;
}

void test_doc_parse__kubernetes_secret(void)
{
	const char *src = "apiVersion: v1\n"
	                  "kind: Secret\n"
	                  "metadata:\n"
	                  "  name: db-creds\n"
	                  "  namespace: prod\n"
	                  "type: Opaque\n"
	                  "data:\n"
	                  "  password: cGFzcw==\n"
	                  "  user: YWRtaW4=\n";
	struct doc *d = parse(src), *data;

	assert_true(d != NULL);
	assert_int(doc_kind(d), DOC_MAP);
	assert_int(doc_len(d), 5);
	assert_str(doc_k8s_kind(d), "Secret");
	assert_str(doc_k8s_name(d), "db-creds");
	assert_str(doc_k8s_namespace(d), "prod");
	assert_str(doc_file(d), "t.yaml");
	data = doc_get(d, "data");
	assert_int(doc_len(data), 2);
	assert_str(doc_str(doc_key_at(data, 1)), "user");
	assert_str(doc_str(doc_val_at(data, 1)), "YWRtaW4=");
	assert_str(doc_str(doc_getp(d, "data", "password", NULL)), "cGFzcw==");
	assert_true(doc_getp(d, "data", "nope", "deeper", NULL) == NULL);
	assert_true(doc_get(doc_get(d, "missing"), "x") == NULL);
	assert_int(doc_line(doc_get(d, "type")), 6);
	doc_free(d);
}

/* yaml.v3 reading of plain scalars; quoted is always a string */
void test_doc_parse__scalar_kinds(void)
{
	static const struct {
		const char *text;
		enum doc_kind kind;
	} table[] = {
		{ "true", DOC_BOOL },
		{ "True", DOC_BOOL },
		{ "FALSE", DOC_BOOL },
		{ "yes", DOC_STR },
		{ "no", DOC_STR },
		{ "on", DOC_STR },
		{ "y", DOC_STR },
		{ "~", DOC_NULL },
		{ "null", DOC_NULL },
		{ "Null", DOC_NULL },
		{ "", DOC_NULL },
		{ "7", DOC_INT },
		{ "-7", DOC_INT },
		{ "+7", DOC_INT },
		{ "0x1F", DOC_INT },
		{ "0o17", DOC_INT },
		{ "012", DOC_INT },
		{ "1_000", DOC_INT },
		{ "0b101", DOC_INT },
		{ "08", DOC_FLOAT },
		{ "1e3", DOC_FLOAT },
		{ ".5", DOC_FLOAT },
		{ "3.14", DOC_FLOAT },
		{ "-.inf", DOC_FLOAT },
		{ ".NaN", DOC_FLOAT },
		{ "1.", DOC_FLOAT },
		{ "1e400", DOC_STR },
		{ "2001-12-14", DOC_TIMESTAMP },
		{ "2001-12-14T21:59:43.10Z", DOC_TIMESTAMP },
		{ "2001-12-14 21:59:43.10", DOC_TIMESTAMP },
		{ "2001-02-30", DOC_STR },
		{ "1:20", DOC_STR },
		{ "0x", DOC_STR },
		{ "1.2.3", DOC_STR },
		{ "18446744073709551615", DOC_INT },
		{ "18446744073709551616", DOC_FLOAT },
		{ "-x", DOC_STR },
		{ "v1", DOC_STR },
		{ "<<", DOC_STR },
		/* yaml.v3 quirks (checked against v3.0.1 on 260 000 random scalars) */
		{ ".1_0", DOC_FLOAT },
		{ "._1", DOC_STR },
		{ "0b-101", DOC_INT },
		{ "0o+17", DOC_INT },
		{ "-0b1", DOC_INT },
		{ "-0o+1", DOC_STR },
		{ "2001-1-2", DOC_TIMESTAMP },
		{ "2001-12-14t1:2:3Z", DOC_TIMESTAMP },
	};
	char src[128];
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct doc *d, *v;
		snprintf(src, sizeof(src), "k: %s\nq: '%s'\n", table[i].text, table[i].text);
		must_pass(doc_parse_one(&d, "t.yaml", src, strlen(src), 0));
		v = doc_get(d, "k");
		if (doc_kind(v) != table[i].kind) {
			doc_free(d);
			fail_("'%s' read as kind %d, expected %d", table[i].text, doc_kind(v),
			      table[i].kind);
		}
		assert_str(doc_text(v, NULL), table[i].text);
		assert_int(doc_kind(doc_get(d, "q")), DOC_STR);
		assert_int(doc_style(doc_get(d, "q")), DOC_STYLE_SINGLE);
		doc_free(d);
	}
}

void test_doc_parse__numbers_and_bools(void)
{
	struct doc *d =
	    parse("a: 0x1F\nb: 1_000\nc: -12\nd: 1e3\ne: True\nf: 012\ng: 9223372036854775808\n");
	long long v;
	double f;
	int b;

	assert_true(d != NULL);
	must_pass(doc_get_int(doc_get(d, "a"), &v));
	assert_int(v, 31);
	must_pass(doc_get_int(doc_get(d, "b"), &v));
	assert_int(v, 1000);
	must_pass(doc_get_int(doc_get(d, "c"), &v));
	assert_int(v, -12);
	must_pass(doc_get_int(doc_get(d, "f"), &v));
	assert_int(v, 10);
	must_fail(doc_get_int(doc_get(d, "g"), &v));
	must_pass(doc_get_float(doc_get(d, "d"), &f));
	assert_true(f == 1000.0);
	must_pass(doc_get_float(doc_get(d, "c"), &f));
	assert_true(f == -12.0);
	must_pass(doc_get_bool(doc_get(d, "e"), &b));
	assert_int(b, 1);
	must_fail_with(doc_get_bool(doc_get(d, "a"), &b), GS_EPARSE);
	must_fail_with(doc_get_int(doc_get(d, "d"), &v), GS_EPARSE);
	assert_true(doc_str(doc_get(d, "a")) == NULL);
	doc_free(d);
}

void test_doc_parse__tags(void)
{
	struct doc *d =
	    parse("a: !!str 7\nb: !!binary aGVsbG8=\nc: !!float 3\nd: !custom x\ne: !!int \"12\"\n"
	          "f: !!map {x: 1}\n");
	assert_true(d != NULL);
	assert_int(doc_kind(doc_get(d, "a")), DOC_STR);
	assert_str(doc_tag(doc_get(d, "a")), "!!str");
	assert_str(doc_str(doc_get(d, "b")), "aGVsbG8=");
	assert_str(doc_tag(doc_get(d, "b")), "!!binary");
	assert_int(doc_kind(doc_get(d, "c")), DOC_FLOAT);
	assert_str(doc_tag(doc_get(d, "d")), "!custom");
	assert_int(doc_kind(doc_get(d, "e")), DOC_INT);
	assert_str(doc_tag(doc_get(d, "f")), "!!map");
	assert_true(doc_tag(doc_get(d, "f")) != NULL &&
	            doc_tag(doc_get(doc_get(d, "f"), "x")) == NULL);
	doc_free(d);
	assert_true(parse("a: !!int abc\n") == NULL);
	assert_contains(gs_error_last(), "t.yaml:1:4: value does not match its tag !!int");
}

void test_doc_parse__multi_document_stream(void)
{
	const char *src = "# leading comment\n"
	                  "---\n"
	                  "kind: A\n"
	                  "---\n"
	                  "# only a comment\n"
	                  "---\n"
	                  "kind: B\n"
	                  "...\n"
	                  "---\n"
	                  "- 1\n";
	struct doc_stream s = DOC_STREAM_INIT;
	struct doc *one = NULL;

	must_pass(doc_parse(&s, "multi.yaml", src, strlen(src), 0, NULL));
	assert_int(s.n, 4);
	assert_str(s.file, "multi.yaml");
	assert_str(doc_k8s_kind(s.docs[0]), "A");
	assert_true(s.docs[1] == NULL);
	assert_str(doc_k8s_kind(s.docs[2]), "B");
	assert_int(doc_kind(s.docs[3]), DOC_SEQ);
	assert_int(doc_line(s.docs[2]), 7);
	/* a document outlives its stream */
	one = s.docs[2];
	s.docs[2] = NULL;
	doc_stream_release(&s);
	assert_str(doc_k8s_kind(one), "B");
	assert_str(doc_file(one), "multi.yaml");
	doc_free(one);

	must_pass(doc_parse(&s, "empty.yaml", "", 0, 0, NULL));
	assert_int(s.n, 0);
	doc_stream_release(&s);
	must_fail_with(doc_parse_one(&one, "empty.yaml", "# nothing\n", 10, 0), GS_EPARSE);
	assert_str(gs_error_last(), "empty.yaml: no document");
	must_fail_with(doc_parse_one(&one, "two.yaml", "a: 1\n---\nb: 2\n", 14, 0), GS_EPARSE);
	assert_str(gs_error_last(), "two.yaml: expected one document, found 2");
	assert_true(one == NULL);
}

/* byte offsets, not libyaml's character index */
void test_doc_parse__offsets_utf8(void)
{
	const char *src = "\xef\xbb\xbfname: \"h\xc3\xa9llo \xe2\x82\xac\"\n"
	                  "emoji: \xf0\x9f\x98\x80x\n"
	                  "list:\n"
	                  "- 'caf\xc3\xa9'\n"
	                  "k\xc3\xa9y: |\n"
	                  "  line \xc3\xa9\n"
	                  "last: end\n";
	struct doc *d = parse(src), *v;
	struct doc_mark m;

	assert_true(d != NULL);
	v = doc_get(d, "name");
	m = doc_start(v);
	assert_int(m.offset, 9);
	assert_int(m.line, 1);
	assert_mem(src + m.offset, doc_end(v).offset - m.offset, "\"h\xc3\xa9llo \xe2\x82\xac\"",
	           12);
	v = doc_get(d, "emoji");
	assert_mem(src + doc_start(v).offset, doc_end(v).offset - doc_start(v).offset,
	           "\xf0\x9f\x98\x80x", 5);
	assert_int(doc_start(v).line, 2);
	assert_int(doc_start(v).col, 8);
	v = doc_val_at(doc_get(d, "list"), 0);
	assert_mem(src + doc_start(v).offset, doc_end(v).offset - doc_start(v).offset,
	           "'caf\xc3\xa9'", 7);
	v = doc_key_at(d, 3);
	assert_mem(src + doc_start(v).offset, doc_end(v).offset - doc_start(v).offset, "k\xc3\xa9y",
	           4);
	v = doc_get(d, "last");
	assert_mem(src + doc_start(v).offset, doc_end(v).offset - doc_start(v).offset, "end", 3);
	v = doc_key_at(d, 4);
	assert_mem(src + doc_start(v).offset, 4, "last", 4);
	doc_free(d);
}

static void expect_error(const char *src, int code, const char *msg)
{
	struct doc_stream s = DOC_STREAM_INIT;
	int rc = doc_parse(&s, "secret.yaml", src, strlen(src), 0, NULL);
	if (rc != code)
		test__fail(__FILE__, __LINE__, "'%s' gave %d, expected %d (%s)", src, rc, code,
		           gs_error_last());
	else if (strcmp(gs_error_last(), msg))
		test__fail(__FILE__, __LINE__, "message '%s', expected '%s'", gs_error_last(), msg);
	assert_int(s.n, 0);
	doc_stream_release(&s);
}

void test_doc_parse__errors_name_the_place(void)
{
	expect_error("apiVersion: v1\nkind: Secret\nmetadata: name: x\n", GS_EPARSE,
	             "secret.yaml:3:15: mapping values are not allowed in this context");
	expect_error("a: [1, 2\n", GS_EPARSE, "secret.yaml:2:1: did not find expected ',' or ']'");
	expect_error("a: \"unterminated\n", GS_EPARSE,
	             "secret.yaml:2:1: found unexpected end of stream");
	expect_error("a: *nope\n", GS_EPARSE, "secret.yaml:1:4: unknown anchor 'nope' referenced");
	expect_error("a: b\n\tc: d\n", GS_EPARSE,
	             "secret.yaml:2:1: found a tab character that violates indentation");
	expect_error("ok: 1\nbad: \xff\xfe\n", GS_EPARSE,
	             "secret.yaml:2:6: invalid leading UTF-8 octet");
	expect_error("? [a]\n: b\n", GS_EPARSE, "secret.yaml:1:3: mapping keys must be scalars");
}

void test_doc_parse__duplicate_keys(void)
{
	struct buf b = BUF_INIT(1 << 20);
	int i;

	expect_error("a: 1\nb: 2\na: 3\n", GS_EPARSE,
	             "secret.yaml:3:1: mapping key \"a\" already defined at line 1");
	expect_error("m:\n  x: 1\n  'x': 2\n", GS_EPARSE,
	             "secret.yaml:3:3: mapping key \"x\" already defined at line 2");
	/* large maps use a hash table */
	for (i = 0; i < 500; i++)
		must_pass(buf_addf(&b, "key%d: %d\n", i, i));
	must_pass(buf_adds(&b, "key250: again\n"));
	expect_error(b.p, GS_EPARSE,
	             "secret.yaml:501:1: mapping key \"key250\" already defined at line 251");
	buf_release(&b);
	/* no false positives */
	struct doc *d = parse("a: 1\nab: 2\nb: 3\n\"\": 4\n");
	assert_true(d != NULL);
	doc_free(d);
}

void test_doc_parse__limits(void)
{
	struct doc_limits lim = { 0 };
	struct doc_stream s = DOC_STREAM_INIT;
	struct buf b = BUF_INIT(1 << 22);
	int i;

	for (i = 0; i < 300; i++)
		must_pass(buf_addc(&b, '['));
	must_fail_with(doc_parse(&s, "deep.yaml", b.p, b.len, 0, NULL), GS_ETOOBIG);
	assert_str(gs_error_last(), "deep.yaml:1:257: nested deeper than 256 levels");
	lim.max_depth = 3;
	must_pass(doc_parse(&s, "ok.yaml", "a: {b: [1]}", 11, 0, &lim));
	doc_stream_release(&s);
	must_fail_with(doc_parse(&s, "x.yaml", "a: {b: [[1]]}", 13, 0, &lim), GS_ETOOBIG);

	lim.max_depth = 0;
	lim.max_nodes = 5;
	must_pass(doc_parse(&s, "ok.yaml", "[1, 2, 3, 4]", 12, 0, &lim));
	doc_stream_release(&s);
	must_fail_with(doc_parse(&s, "n.yaml", "[1, 2, 3, 4, 5]", 15, 0, &lim), GS_ETOOBIG);
	assert_str(gs_error_last(), "n.yaml:1:14: more than 5 nodes");

	lim.max_nodes = 0;
	lim.max_scalar = 4;
	must_fail_with(doc_parse(&s, "s.yaml", "k: 12345", 8, 0, &lim), GS_ETOOBIG);
	assert_str(gs_error_last(), "s.yaml:1:4: scalar longer than 4 bytes");

	/* billion laughs */
	buf_reset(&b);
	must_pass(buf_adds(&b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n"));
	for (i = 1; i < 9; i++)
		must_pass(buf_addf(
		    &b, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", 'a' + i,
		    'a' + i, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1,
		    'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1));
	must_fail_with(doc_parse(&s, "lol.yaml", b.p, b.len, 0, NULL), GS_ETOOBIG);
	assert_contains(gs_error_last(), "aliases expand to more than 10000 nodes");
	buf_release(&b);
}

void test_doc_parse__aliases_expand(void)
{
	struct doc *d = parse("base: &b {x: 1, y: [a, b]}\ncopy: *b\nname: &n web\nother: *n\n");
	long long v;

	assert_true(d != NULL);
	must_pass(doc_get_int(doc_getp(d, "copy", "x", NULL), &v));
	assert_int(v, 1);
	assert_str(doc_str(doc_val_at(doc_getp(d, "copy", "y", NULL), 1)), "b");
	assert_str(doc_str(doc_get(d, "other")), "web");
	/* a copy, not a shared node */
	assert_true(doc_get(d, "copy") != doc_get(d, "base"));
	must_pass(doc_del(doc_get(d, "copy"), "x"));
	assert_true(doc_getp(d, "base", "x", NULL) != NULL);
	doc_free(d);
	/* merge keys stay plain keys */
	d = parse("a: &a {x: 1}\nb:\n  <<: *a\n  y: 2\n");
	assert_true(d != NULL);
	assert_int(doc_len(doc_get(d, "b")), 2);
	assert_int(doc_kind(doc_getp(d, "b", "<<", NULL)), DOC_MAP);
	doc_free(d);
}

void test_doc_parse__json_input(void)
{
	const char *src =
	    "{\"apiVersion\": \"v1\", \"n\": 3, \"f\": 3.0, \"e\": 1e5, \"t\": true, \"z\": null,"
	    " \"s\": \"true\", \"a\": [1, {\"b\": \"c\"}]}";
	struct doc *d = NULL;

	must_pass(doc_parse_one(&d, "x.json", src, strlen(src), DOC_PARSE_JSON));
	assert_int(doc_kind(doc_get(d, "n")), DOC_INT);
	assert_int(doc_kind(doc_get(d, "f")), DOC_FLOAT);
	assert_int(doc_kind(doc_get(d, "e")), DOC_FLOAT);
	assert_int(doc_kind(doc_get(d, "t")), DOC_BOOL);
	assert_int(doc_kind(doc_get(d, "z")), DOC_NULL);
	assert_int(doc_kind(doc_get(d, "s")), DOC_STR);
	assert_str(doc_str(doc_get(doc_val_at(doc_get(d, "a"), 1), "b")), "c");
	doc_free(d);
	/* JSON without the flag is read as YAML flow */
	must_pass(doc_parse_one(&d, "x.json", src, strlen(src), 0));
	assert_int(doc_kind(doc_get(d, "n")), DOC_INT);
	doc_free(d);
	must_fail_with(doc_parse_one(&d, "y.json", "a: 1\n", 5, DOC_PARSE_JSON), GS_EPARSE);
	assert_str(gs_error_last(),
	           "y.json:1:1: invalid character 'a' looking for beginning of value");
	must_fail_with(doc_parse_one(&d, "y.json", "{\"a\": yes}", 10, DOC_PARSE_JSON), GS_EPARSE);
	assert_str(gs_error_last(),
	           "y.json:1:7: invalid character 'y' looking for beginning of value");
	must_fail_with(doc_parse_one(&d, "y.json", "{'a': 1}", 8, DOC_PARSE_JSON), GS_EPARSE);
	assert_str(gs_error_last(),
	           "y.json:1:2: invalid character ''' looking for beginning of object key string");
}

static void json_error(const char *src, const char *msg)
{
	struct doc_stream s = DOC_STREAM_INIT;
	if (doc_parse(&s, "e.json", src, strlen(src), DOC_PARSE_JSON, NULL) >= 0)
		test__fail(__FILE__, __LINE__, "'%s' parsed", src);
	else if (strcmp(gs_error_last(), msg))
		test__fail(__FILE__, __LINE__, "'%s': '%s', expected '%s'", src, gs_error_last(),
		           msg);
	doc_stream_release(&s);
}

void test_doc_parse__json_strict_and_streams(void)
{
	const char *src = "{\"kind\": \"A\"}\n{\"kind\":\"B\"}[1]  \"s\" 7 null\n";
	struct doc_stream s = DOC_STREAM_INIT;
	struct buf big = BUF_INIT(1 << 20);
	struct doc *d = NULL;
	size_t i;

	must_pass(doc_parse(&s, "stream.json", src, strlen(src), DOC_PARSE_JSON, NULL));
	assert_int(s.n, 6);
	assert_str(doc_k8s_kind(s.docs[0]), "A");
	assert_str(doc_k8s_kind(s.docs[1]), "B");
	assert_int(doc_kind(s.docs[2]), DOC_SEQ);
	assert_str(doc_str(s.docs[3]), "s");
	assert_int(doc_kind(s.docs[4]), DOC_INT);
	assert_int(doc_kind(s.docs[5]), DOC_NULL);
	assert_int(doc_line(s.docs[1]), 2);
	doc_stream_release(&s);

	/* escapes, surrogate pairs, a lone surrogate, raw UTF-8 */
	src = "{\"e\": \"\\ud83d\\ude00 \\u00e9\\/\\\"\\n\\u0000x\", \"lone\": \"\\udc00\", "
	      "\"raw\": \"caf\xc3\xa9\"}";
	must_pass(doc_parse_one(&d, "e.json", src, strlen(src), DOC_PARSE_JSON));
	assert_mem(doc_str(doc_get(d, "e")), doc_len(doc_get(d, "e")),
	           "\xf0\x9f\x98\x80 \xc3\xa9/\"\n\0x", 12);
	assert_str(doc_str(doc_get(d, "lone")), "\xef\xbf\xbd");
	assert_str(doc_str(doc_get(d, "raw")), "caf\xc3\xa9");
	assert_int(doc_style(doc_get(d, "raw")), DOC_STYLE_DOUBLE);
	/* offsets count bytes, columns characters */
	assert_int(doc_start(doc_get(d, "raw")).offset, strstr(src, "\"caf") - src);
	assert_int(doc_end(doc_get(d, "raw")).offset, strlen(src) - 1);
	assert_int(doc_end(doc_get(d, "raw")).col, strlen(src) - 1); /* the é is one column */
	doc_free(d);

	/* keys longer than libyaml's 1024-character simple keys */
	must_pass(buf_addc(&big, '{'));
	must_pass(buf_addc(&big, '"'));
	for (i = 0; i < 3000; i++)
		must_pass(buf_addc(&big, 'k'));
	must_pass(buf_adds(&big, "\": 1}"));
	must_pass(doc_parse_one(&d, "big.json", big.p, big.len, DOC_PARSE_JSON));
	assert_int(doc_len(doc_key_at(d, 0)), 3000);
	doc_free(d);
	buf_release(&big);

	json_error("{\"a\": 1,}",
	           "e.json:1:9: invalid character '}' looking for beginning of object key string");
	json_error("[1, 2", "e.json:1:6: unexpected end of JSON input");
	json_error("[1 2]", "e.json:1:4: invalid character '2' after array element");
	json_error("{\"a\" 1}", "e.json:1:6: invalid character '1' after object key");
	json_error("{\"a\": 1 \"b\": 2}",
	           "e.json:1:9: invalid character '\"' after object key:value pair");
	json_error("\n\n  [01]", "e.json:3:5: invalid character '1' after array element");
	json_error("[1.]",
	           "e.json:1:4: invalid character ']' after decimal point in numeric literal");
	json_error("[\"a\tb\"]", "e.json:1:4: invalid character '\\x09' in string literal");
	json_error("[\"\\q\"]", "e.json:1:4: invalid character 'q' in string escape code");
	json_error("[\"\\u12x4\"]",
	           "e.json:1:7: invalid character 'x' in \\u hexadecimal character escape");
	json_error("[tru]", "e.json:1:5: invalid character ']' in literal");
	json_error("[\"\xc3\xa9\", \"\xff\"]", "e.json:1:8: invalid UTF-8 in string");
	json_error("{\"a\": 1, \"a\": 2}",
	           "e.json:1:10: mapping key \"a\" already defined at line 1");
}

void test_doc_parse__secret_flag(void)
{
	const char *src = "password: hunter2\nlist: [a, 1]\n";
	struct doc *d = NULL, *v;

	must_pass(doc_parse_one(&d, "dec.yaml", src, strlen(src), DOC_PARSE_SECRET));
	v = doc_get(d, "password");
	assert_true(doc_flags(v) & DOC_SECRET);
	assert_true(doc_flags(doc_key_at(d, 0)) & DOC_SECRET);
	assert_true(doc_flags(doc_val_at(doc_get(d, "list"), 1)) & DOC_SECRET);
	assert_str(doc_str(v), "hunter2");
	/* changing a secret scalar wipes its old text in place */
	{
		const char *old = doc_str(v);
		must_pass(doc_set_scalar(v, DOC_STR, "new", 3));
		assert_int(old[0], 0);
		assert_str(doc_str(v), "new");
	}
	doc_free(d);
	/* the duplicate-key message never shows a secret key */
	must_fail(doc_parse_one(&d, "dec.yaml", "tok3n: 1\ntok3n: 2\n", 18, DOC_PARSE_SECRET));
	assert_true(strstr(gs_error_last(), "tok3n") == NULL);
}

void test_doc_parse__anchors_redefined_and_many(void)
{
	struct buf b = BUF_INIT(1 << 24);
	struct doc_stream s = DOC_STREAM_INIT;
	struct doc *d = NULL;
	int i;

	/* a later definition wins; anchors do not cross documents */
	must_pass(doc_parse_one(&d, "a.yaml", "a: &x 1\nb: &x 2\nc: *x\n", 22, 0));
	assert_str(doc_text(doc_get(d, "c"), NULL), "2");
	doc_free(d);
	must_fail_with(doc_parse(&s, "a.yaml", "a: &x 1\n---\nb: *x\n", 18, 0, NULL), GS_EPARSE);
	assert_str(gs_error_last(), "a.yaml:3:4: unknown anchor 'x' referenced");
	/* 50 000 anchors and 5 000 aliases to the first one: a hash lookup, not a scan */
	must_pass(buf_adds(&b, "list:\n"));
	for (i = 0; i < 50000; i++)
		must_pass(buf_addf(&b, "- &a%d v%d\n", i, i));
	for (i = 0; i < 5000; i++)
		must_pass(buf_adds(&b, "- *a0\n"));
	must_pass(doc_parse_one(&d, "many.yaml", b.p, b.len, 0));
	assert_int(doc_len(doc_get(d, "list")), 55000);
	assert_str(doc_str(doc_val_at(doc_get(d, "list"), 54999)), "v0");
	doc_free(d);
	buf_release(&b);
}
