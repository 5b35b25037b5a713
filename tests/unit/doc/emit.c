/* lib/doc emitters: Kubernetes (go-yaml v2) and sops (yaml.v3) YAML, Go-style JSON, quoting. */
#include <stdlib.h>

#include "test.h"

#include "doc/doc.h"

static const char k8s_secret[] = "apiVersion: v1\n"
                                 "kind: Secret\n"
                                 "metadata:\n"
                                 "  name: db-creds\n"
                                 "  namespace: prod\n"
                                 "  labels:\n"
                                 "    app.kubernetes.io/name: web\n"
                                 "  annotations: {}\n"
                                 "type: Opaque\n"
                                 "data:\n"
                                 "  password: cGFzcw==\n"
                                 "stringData:\n"
                                 "  enabled: \"yes\"\n"
                                 "  port: \"8080\"\n"
                                 "  empty: \"\"\n"
                                 "  url: https://example.com/a?b=c#frag\n"
                                 "  colon: 'a: b'\n"
                                 "  pem: |\n"
                                 "    -----BEGIN KEY-----\n"
                                 "    AAAA\n"
                                 "    -----END KEY-----\n";

static const char k8s_deployment[] = "apiVersion: apps/v1\n"
                                     "kind: Deployment\n"
                                     "metadata:\n"
                                     "  name: web\n"
                                     "spec:\n"
                                     "  replicas: 3\n"
                                     "  selector:\n"
                                     "    matchLabels:\n"
                                     "      app: web\n"
                                     "  template:\n"
                                     "    metadata:\n"
                                     "      labels:\n"
                                     "        app: web\n"
                                     "    spec:\n"
                                     "      containers:\n"
                                     "      - name: web\n"
                                     "        image: nginx:1.25\n"
                                     "        args:\n"
                                     "        - --port=8080\n"
                                     "        - \"on\"\n"
                                     "        - - nested\n"
                                     "          - list\n"
                                     "        ports:\n"
                                     "        - containerPort: 80\n"
                                     "          protocol: TCP\n"
                                     "        env:\n"
                                     "        - name: GREETING\n"
                                     "          value: |-\n"
                                     "            hello\n"
                                     "              world\n"
                                     "        resources: {}\n"
                                     "        cpu: 0.5\n"
                                     "        ratio: 1e3\n"
                                     "        enabled: true\n"
                                     "        nothing: null\n"
                                     "      tolerations: []\n";

static int roundtrip(struct buf *out, const char *src, const struct doc_emit_opts *o)
{
	struct doc_stream s = DOC_STREAM_INIT;
	int rc = doc_parse(&s, "in.yaml", src, strlen(src), 0, NULL);
	if (rc >= 0)
		rc = doc_emit_stream_yaml(out, s.docs, s.n, o);
	doc_stream_release(&s);
	return rc;
}

void test_doc_emit__kubernetes_manifests_roundtrip(void)
{
	struct buf out = BUF_INIT(1 << 20);
	struct doc_emit_opts o = DOC_EMIT_OPTS_INIT;
	char multi[4096];

	must_pass(roundtrip(&out, k8s_secret, &o));
	assert_str(out.p, k8s_secret);
	buf_reset(&out);
	must_pass(roundtrip(&out, k8s_deployment, &o));
	assert_str(out.p, k8s_deployment);
	buf_reset(&out);
	snprintf(multi, sizeof(multi), "%s---\n%s", k8s_secret, k8s_deployment);
	must_pass(roundtrip(&out, multi, &o));
	assert_str(out.p, multi);
	buf_release(&out);
}

/* what go-yaml v2 (kubectl, kubeseal) writes for these strings */
void test_doc_emit__yaml11_quoting(void)
{
	static const struct {
		const char *in, *out;
	} table[] = {
		{ "yes", "\"yes\"" },
		{ "no", "\"no\"" },
		{ "on", "\"on\"" },
		{ "off", "\"off\"" },
		{ "y", "\"y\"" },
		{ "n", "\"n\"" },
		{ "Y", "\"Y\"" },
		{ "NO", "\"NO\"" },
		{ "~", "\"~\"" },
		{ "null", "\"null\"" },
		{ "true", "\"true\"" },
		{ "0x1F", "\"0x1F\"" },
		{ "012", "\"012\"" },
		{ "1_000", "\"1_000\"" },
		{ "1e3", "\"1e3\"" },
		{ ".5", "\".5\"" },
		{ "2001-12-14", "\"2001-12-14\"" },
		{ "1:20", "\"1:20\"" },
		{ "-1:20:30.5", "\"-1:20:30.5\"" },
		{ "", "\"\"" },
		{ ".inf", "\".inf\"" },
		{ "0o17", "\"0o17\"" },
		{ "123", "\"123\"" },
		{ "yess", "yess" },
		{ "1:2:3x", "1:2:3x" },
		{ "hello world", "hello world" },
		{ "a: b", "'a: b'" },
		{ "- x", "'- x'" },
		{ "#c", "'#c'" },
		{ "a #c", "'a #c'" },
		{ "a#c", "a#c" },
		{ " lead", "' lead'" },
		{ "trail ", "'trail '" },
		{ "it's", "it's" },
		{ "'q'", "'''q'''" },
		{ "@at", "'@at'" },
		{ "*star", "'*star'" },
		{ "tab\there", "\"tab\\there\"" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "smile \xf0\x9f\x98\x80", "\"smile \\U0001F600\"" },
		{ "bell\a", "\"bell\\a\"" },
		{ "---", "'---'" },
		{ "key:", "'key:'" },
		{ "a,b", "a,b" },
		{ "[x]", "'[x]'" },
		{ "nbsp\xc2\xa0x", "nbsp\xc2\xa0x" },
		{ "ctl\x01", "\"ctl\\x01\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct buf out = BUF_INIT(4096), want = BUF_INIT(4096);
		struct doc *m = doc_new_map(), *back = NULL;

		must_pass(doc_set(m, "k", doc_new_strz(table[i].in)));
		must_pass(doc_emit_yaml(&out, m, NULL));
		must_pass(buf_addf(&want, "k: %s\n", table[i].out));
		if (strcmp(out.p, want.p)) {
			test__fail(__FILE__, __LINE__, "'%s' came out as '%s', expected '%s'",
			           table[i].in, out.p, want.p);
		} else {
			/* and it reads back as the same string */
			must_pass(doc_parse_one(&back, "b.yaml", out.p, out.len, 0));
			assert_int(doc_kind(doc_get(back, "k")), DOC_STR);
			assert_str(doc_str(doc_get(back, "k")), table[i].in);
		}
		doc_free(back);
		doc_free(m);
		buf_release(&out);
		buf_release(&want);
	}
	assert_true(doc_yaml11_needs_quotes("on", 2));
	assert_true(!doc_yaml11_needs_quotes("one", 3));
}

/* multi-line strings and strings that read back the same whatever they hold */
void test_doc_emit__strings_read_back(void)
{
	static const char *const strs[] = {
		"a\nb",
		"a\nb\n",
		"a\nb\n\n",
		"\nlead",
		" lead\nx",
		"x\n y",
		"trail \nx",
		"x\n\ny",
		"\n",
		"\n\n",
		"tab\tin\nlines",
		"cr\r\nlf",
		"a\xc2\x85"
		"b",
		"ls\xe2\x80\xa8x",
		"q\"uote\\",
		"\x7f",
		"\xef\xbb\xbf"
		"bom",
		"--- x",
		"... ",
		"a\n---\nb",
		"  \n  ",
		"#\n#",
	};
	static const int indents[] = { 2, 4 };
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
			struct buf out = BUF_INIT(4096);
			struct doc *m = doc_new_map(), *s = doc_new_seq(), *back = NULL;
			struct doc_emit_opts o = { indents[k], k ? DOC_EMIT_SEQ_INDENT : 0 };

			must_pass(doc_set(m, "k", doc_new_strz(strs[i])));
			must_pass(doc_push(s, doc_new_strz(strs[i])));
			must_pass(doc_push(s, doc_new_strz("next")));
			must_pass(doc_set(m, "s", s));
			must_pass(doc_set(m, strs[i], doc_new_strz("as key")));
			must_pass(doc_emit_yaml(&out, m, &o));
			if (doc_parse_one(&back, "b.yaml", out.p, out.len, 0) < 0) {
				test__fail(__FILE__, __LINE__, "string %zu: %s in:\n%s", i,
				           gs_error_last(), out.p);
			} else {
				assert_str(doc_str(doc_get(back, "k")), strs[i]);
				assert_str(doc_str(doc_val_at(doc_get(back, "s"), 0)), strs[i]);
				assert_str(doc_str(doc_get(back, strs[i])), "as key");
			}
			doc_free(back);
			doc_free(m);
			buf_release(&out);
		}
}

void test_doc_emit__literal_blocks(void)
{
	struct buf out = BUF_INIT(4096);
	struct doc *m = doc_new_map();

	must_pass(doc_set(m, "a", doc_new_strz("one\ntwo")));
	must_pass(doc_set(m, "b", doc_new_strz("one\ntwo\n")));
	must_pass(doc_set(m, "c", doc_new_strz("one\n\n")));
	must_pass(doc_set(m, "d", doc_new_strz(" indented\nx")));
	must_pass(doc_set(m, "e", doc_new_strz("trailing space \nx")));
	must_pass(doc_emit_yaml(&out, m, NULL));
	assert_str(out.p, "a: |-\n  one\n  two\n"
	                  "b: |\n  one\n  two\n"
	                  "c: |+\n  one\n\n"
	                  "d: |2-\n   indented\n  x\n"
	                  "e: \"trailing space \\nx\"\n");
	doc_free(m);
	buf_release(&out);
}

/* sops writes with yaml.v3, indent 4 */
void test_doc_emit__sops_style(void)
{
	const char *src = "data: ENC[AES256_GCM,data:x,type:str]\n"
	                  "list:\n"
	                  "- a\n"
	                  "- b: c\n"
	                  "  d: e\n"
	                  "sops:\n"
	                  "  age:\n"
	                  "  - recipient: age1xyz\n"
	                  "    enc: |\n"
	                  "      -----BEGIN AGE ENCRYPTED FILE-----\n"
	                  "      YWdl\n"
	                  "      -----END AGE ENCRYPTED FILE-----\n"
	                  "  nested:\n"
	                  "    deeper:\n"
	                  "    - - x\n"
	                  "  version: 3.8.1\n";
	const char *want = "data: ENC[AES256_GCM,data:x,type:str]\n"
	                   "list:\n"
	                   "    - a\n"
	                   "    - b: c\n"
	                   "      d: e\n"
	                   "sops:\n"
	                   "    age:\n"
	                   "        - recipient: age1xyz\n"
	                   "          enc: |\n"
	                   "            -----BEGIN AGE ENCRYPTED FILE-----\n"
	                   "            YWdl\n"
	                   "            -----END AGE ENCRYPTED FILE-----\n"
	                   "    nested:\n"
	                   "        deeper:\n"
	                   "            - - x\n"
	                   "    version: 3.8.1\n";
	struct buf out = BUF_INIT(1 << 16);
	struct doc_emit_opts o = { 4, DOC_EMIT_SEQ_INDENT };

	must_pass(roundtrip(&out, src, &o));
	assert_str(out.p, want);
	buf_release(&out);
}

void test_doc_emit__keep_style_and_tags(void)
{
	const char *src = "a: 'single'\nb: \"double\"\nc: plain\nd: !!binary aGk=\ne: >\n  folded\n"
	                  "f: !!str 12\ng: 0x1F\nh: ~\ni: !custom\n  x: 1\n";
	struct buf out = BUF_INIT(4096);
	struct doc_emit_opts o = DOC_EMIT_OPTS_INIT;

	must_pass(roundtrip(&out, src, &o));
	assert_str(out.p, "a: single\nb: double\nc: plain\nd: !!binary aGk=\ne: |\n  folded\nf: "
	                  "!!str 12\ng: 0x1F\n"
	                  "h: ~\ni: !custom\n  x: 1\n");
	buf_reset(&out);
	o.flags = DOC_EMIT_KEEP_STYLE;
	must_pass(roundtrip(&out, src, &o));
	assert_str(
	    out.p,
	    "a: 'single'\nb: \"double\"\nc: plain\nd: !!binary aGk=\ne: |\n  folded\nf: !!str 12\n"
	    "g: 0x1F\nh: ~\ni: !custom\n  x: 1\n");
	buf_release(&out);
}

void test_doc_emit__sort_keys_like_go_yaml(void)
{
	const char *src = "b: 1\nkey10: 1\na: {z: 1, y: 2}\nkey2: 1\nB: 1\n_x: 1\nkey1: 1\n";
	struct buf out = BUF_INIT(4096);
	struct doc_emit_opts o = { 2, DOC_EMIT_SORT_KEYS };
	struct doc *d = NULL;

	must_pass(roundtrip(&out, src, &o));
	/* "y" is a bool to YAML 1.1, so go-yaml v2 quotes it, as a key too */
	assert_str(out.p,
	           "_x: 1\nB: 1\na:\n  \"y\": 2\n  z: 1\nb: 1\nkey1: 1\nkey2: 1\nkey10: 1\n");
	buf_reset(&out);
	must_pass(doc_parse_one(&d, "in.yaml", src, strlen(src), 0));
	o.flags |= DOC_EMIT_COMPACT;
	must_pass(doc_emit_json(&out, d, &o));
	assert_str(
	    out.p,
	    "{\"B\":1,\"_x\":1,\"a\":{\"y\":2,\"z\":1},\"b\":1,\"key1\":1,\"key10\":1,\"key2\":1}");
	/* the tree itself is unchanged; doc_sort_keys sorts it in byte order */
	assert_str(doc_str(doc_key_at(d, 0)), "b");
	doc_sort_keys(d, 1);
	assert_str(doc_str(doc_key_at(d, 0)), "B");
	assert_str(doc_str(doc_key_at(doc_get(d, "a"), 0)), "y");
	doc_free(d);
	buf_release(&out);
}

void test_doc_emit__json_like_go(void)
{
	const char *src = "kind: Secret\nn: 0x1F\nf: 1.50\ng: .5\nt: True\nz: ~\ne: {}\nl: []\n"
	                  "s: \"<a&b>\\u2028\\t\\x01\"\nts: 2001-12-14\nlist: [1, [2], {a: b}]\n";
	struct buf out = BUF_INIT(4096);
	struct doc_emit_opts o = DOC_EMIT_OPTS_INIT;
	struct doc *d = NULL, *back = NULL;

	must_pass(doc_parse_one(&d, "in.yaml", src, strlen(src), 0));
	must_pass(doc_emit_json(&out, d, &o));
	assert_str(out.p, "{\n"
	                  "  \"kind\": \"Secret\",\n"
	                  "  \"n\": 31,\n"
	                  "  \"f\": 1.50,\n"
	                  "  \"g\": 0.5,\n"
	                  "  \"t\": true,\n"
	                  "  \"z\": null,\n"
	                  "  \"e\": {},\n"
	                  "  \"l\": [],\n"
	                  "  \"s\": \"<a&b>\\u2028\\t\\u0001\",\n"
	                  "  \"ts\": \"2001-12-14\",\n"
	                  "  \"list\": [\n"
	                  "    1,\n"
	                  "    [\n"
	                  "      2\n"
	                  "    ],\n"
	                  "    {\n"
	                  "      \"a\": \"b\"\n"
	                  "    }\n"
	                  "  ]\n"
	                  "}");
	/* JSON back in, YAML out */
	must_pass(doc_parse_one(&back, "in.json", out.p, out.len, DOC_PARSE_JSON));
	buf_reset(&out);
	must_pass(doc_emit_yaml(&out, back, NULL));
	assert_str(out.p,
	           "kind: Secret\n\"n\": 31\nf: 1.50\ng: 0.5\nt: true\nz: null\ne: {}\nl: []\n"
	           "s: \"<a&b>\\L\\t\\x01\"\nts: \"2001-12-14\"\nlist:\n- 1\n- - 2\n- a: b\n");
	buf_reset(&out);
	o.flags = DOC_EMIT_COMPACT | DOC_EMIT_JSON_HTML_ESCAPE;
	must_pass(doc_emit_json(&out, doc_get(d, "s"), &o));
	assert_str(out.p, "\"\\u003ca\\u0026b\\u003e\\u2028\\t\\u0001\"");
	doc_free(back);
	back = doc_new_scalar(DOC_FLOAT, ".inf", 4);
	must_fail_with(doc_emit_json(&out, back, &o), GS_EINVAL);
	doc_free(back);
	doc_free(d);
	buf_release(&out);
	/* invalid UTF-8 becomes U+FFFD in JSON, !!binary in YAML (like Go) */
	d = doc_new_str("a\xff", 2);
	must_pass(doc_emit_json(&out, d, &o));
	assert_str(out.p, "\"a\\ufffd\"");
	buf_reset(&out);
	must_pass(doc_emit_yaml(&out, d, NULL));
	assert_str(out.p, "!!binary Yf8=\n");
	doc_free(d);
	buf_release(&out);
}

/* long or multi-line keys go out as "? key" / ": value" like go-yaml, so that they read back */
void test_doc_emit__complex_keys(void)
{
	struct buf out = BUF_INIT(1 << 16), key = BUF_INIT(4096);
	struct doc *m = doc_new_map(), *back = NULL;
	int i;

	for (i = 0; i < 129; i++)
		must_pass(buf_addc(&key, 'k'));
	must_pass(doc_set(m, key.p, doc_new_strz("long")));
	must_pass(doc_set(m, "two\nlines", doc_new_strz("multi")));
	must_pass(doc_set(m, "short", doc_new_strz("x")));
	must_pass(doc_emit_yaml(&out, m, NULL));
	assert_true(!strncmp(out.p, "? kkkk", 6));
	assert_contains(out.p, "k\n: long\n? |-\n  two\n  lines\n: multi\nshort: x\n");
	must_pass(doc_parse_one(&back, "b.yaml", out.p, out.len, 0));
	assert_str(doc_str(doc_get(back, key.p)), "long");
	assert_str(doc_str(doc_get(back, "two\nlines")), "multi");
	doc_free(back);
	doc_free(m);
	buf_release(&out);
	buf_release(&key);
}

void test_doc_emit__tags_are_escaped(void)
{
	const char *src =
	    "a: !!t%21x 1\nb: !<tag:example.com,2000:app> x\nc: !loc%C3%A9 y\nd: ! z\n";
	struct buf out = BUF_INIT(4096);
	struct doc *d = NULL;

	must_pass(doc_parse_one(&d, "t.yaml", src, strlen(src), 0));
	assert_str(doc_tag(doc_get(d, "a")), "!!t!x");
	assert_str(doc_tag(doc_get(d, "b")), "tag:example.com,2000:app");
	assert_str(doc_tag(doc_get(d, "c")), "!loc\xc3\xa9");
	must_pass(doc_emit_yaml(&out, d, NULL));
	assert_str(out.p,
	           "a: !!t%21x 1\nb: !<tag:example.com%2C2000:app> x\nc: !loc%C3%A9 y\nd: ! z\n");
	doc_free(d);
	must_pass(doc_parse_one(&d, "t.yaml", out.p, out.len, 0));
	assert_str(doc_tag(doc_get(d, "b")), "tag:example.com,2000:app");
	doc_free(d);
	buf_release(&out);
}

/* scalars whose text would read back as another kind say what they are */
void test_doc_emit__kinds_survive(void)
{
	struct buf out = BUF_INIT(4096);
	struct doc *d = NULL, *m = doc_new_map();

	must_pass(doc_parse_one(&d, "n.json",
	                        "{\"big\": 1e400, \"huge\": 123456789012345678901234}", 48,
	                        DOC_PARSE_JSON));
	must_pass(doc_emit_yaml(&out, d, NULL));
	assert_str(out.p, "big: !!float 1e400\nhuge: 123456789012345678901234\n");
	doc_free(d);
	must_pass(doc_parse_one(&d, "n.yaml", out.p, out.len, 0));
	assert_int(doc_kind(doc_get(d, "big")), DOC_FLOAT);
	assert_int(doc_kind(doc_get(d, "huge")), DOC_FLOAT);
	doc_free(d);
	buf_reset(&out);
	must_pass(doc_set(m, "n", doc_new_scalar(DOC_NULL, "nil", 3)));
	must_pass(doc_set(m, "b", doc_new_scalar(DOC_BOOL, "T", 1)));
	must_pass(doc_set(m, "e", doc_new_scalar(DOC_NULL, "", 0)));
	must_pass(doc_emit_yaml(&out, m, NULL));
	assert_str(out.p, "\"n\": null\nb: true\ne: null\n");
	doc_free(m);
	buf_release(&out);
}

/* cases where go-yaml v2.4.0 / yaml.v3 v3.0.1 were compared byte for byte (tests/fuzz notes) */
void test_doc_emit__matches_go_yaml(void)
{
	const char *src = "{\"a\": \"...x\", \"b\": \"---\", \"<<\": \"<<\", \"c\\nd\": {\"x\": "
	                  "1}, \"e\\nf\": [1, 2],"
	                  " \"t\": \"tab\\there\\nx\", \"l\": [\"one\\ntwo\", {\"k\": \"v\\nw\"}], "
	                  "\"y\": \"yes\","
	                  " \"bom\": \"\\ufeffa b\"}";
	struct buf out = BUF_INIT(4096);
	struct doc_emit_opts v3 = { 4, DOC_EMIT_SEQ_INDENT | DOC_EMIT_YAML12 };
	struct doc *d = NULL;

	must_pass(doc_parse_one(&d, "g.json", src, strlen(src), DOC_PARSE_JSON));
	must_pass(doc_emit_yaml(&out, d, NULL));
	assert_str(
	    out.p,
	    "a: '...x'\nb: '---'\n<<: <<\n? |-\n  c\n  d\n: x: 1\n? |-\n  e\n  f\n: - 1\n  - 2\n"
	    "t: \"tab\\there\\nx\"\nl:\n- |-\n  one\n  two\n- k: |-\n    v\n    w\n\"y\": \"yes\"\n"
	    "bom: \"\\uFEFF\\x61\\x20\\x62\"\n");
	buf_reset(&out);
	must_pass(doc_emit_yaml(&out, d, &v3));
	assert_str(out.p, "a: '...x'\nb: '---'\n<<: <<\n? |-\n    c\n    d\n:   x: 1\n? |-\n    "
	                  "e\n    f\n:   - 1\n    - 2\n"
	                  "t: |-\n    tab\there\n    x\nl:\n    - |-\n      one\n      two\n    - "
	                  "k: |-\n        v\n        w\n"
	                  "y: yes\nbom: \"\\uFEFF\\x61\\x20\\x62\"\n");
	doc_free(d);
	buf_release(&out);
}

/* go-yaml's natural key order has cycles (12345 < 012345 < 0ab < 12345): ours depends only on the
 * keys */
void test_doc_emit__sorted_keys_do_not_depend_on_input_order(void)
{
	static const char *const keys[] = { "012345",    "Bx", "0ab",   "12345", "10.x",
		                            "1\xc3\xa9", "9",  "key10", "key2" };
	struct buf a = BUF_INIT(4096), b = BUF_INIT(4096);
	struct doc *m1 = doc_new_map(), *m2 = doc_new_map();
	struct doc_emit_opts o = { 2, DOC_EMIT_SORT_KEYS };
	size_t i, n = sizeof(keys) / sizeof(keys[0]);

	for (i = 0; i < n; i++) {
		must_pass(doc_set(m1, keys[i], doc_new_int((long long)i)));
		must_pass(doc_set(m2, keys[n - 1 - i], doc_new_int((long long)(n - 1 - i))));
	}
	must_pass(doc_emit_yaml(&a, m1, &o));
	must_pass(doc_emit_yaml(&b, m2, &o));
	assert_str(a.p, b.p);
	assert_contains(a.p, "key2: 8\nkey10: 7\n");
	doc_free(m1);
	doc_free(m2);
	buf_release(&a);
	buf_release(&b);
}

void test_doc_emit__streams(void)
{
	const char *src = "a: 1\n---\n---\n- x\n";
	struct doc_stream s = DOC_STREAM_INIT;
	struct buf out = BUF_INIT(4096);
	struct doc_emit_opts o = { 2, DOC_EMIT_DOC_START };

	must_pass(doc_parse(&s, "s.yaml", src, strlen(src), 0, NULL));
	assert_int(s.n, 3);
	must_pass(doc_emit_stream_yaml(&out, s.docs, s.n, NULL));
	assert_str(out.p, "a: 1\n---\n- x\n"); /* empty documents are dropped */
	buf_reset(&out);
	must_pass(doc_emit_stream_yaml(&out, s.docs, s.n, &o));
	assert_str(out.p, "---\na: 1\n---\n- x\n");
	buf_reset(&out);
	must_pass(doc_emit_yaml(&out, NULL, NULL));
	assert_str(out.p, "null\n");
	/* a failed emit leaves the buffer as it was */
	{
		struct buf small = BUF_INIT(8);
		must_pass(buf_adds(&small, "keep"));
		must_fail_with(doc_emit_yaml(&small, s.docs[0], &o), GS_ETOOBIG);
		assert_str(small.p, "keep");
		buf_release(&small);
	}
	doc_stream_release(&s);
	buf_release(&out);
}

/* yaml.v3 style lets tabs into literal blocks; a leading one needs an indentation indicator */
void test_doc_emit__tab_led_literal_reads_back(void)
{
	struct buf out = BUF_INIT(4096);
	struct doc *m = doc_new_map(), *back = NULL;
	struct doc_emit_opts o = { 4, DOC_EMIT_SEQ_INDENT };

	must_pass(doc_set(m, "k", doc_new_strz("\tx\ny")));
	must_pass(doc_emit_yaml(&out, m, &o));
	assert_str(out.p, "k: |4-\n    \tx\n    y\n");
	must_pass(doc_parse_one(&back, "t.yaml", out.p, out.len, 0));
	assert_str(doc_str(doc_get(back, "k")), "\tx\ny");
	doc_free(back);
	doc_free(m);
	buf_release(&out);
}
