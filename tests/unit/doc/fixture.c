/* lib/doc against real files: what kubeseal-style and sops tools wrote comes back byte for byte. */
#include "test.h"

#include "doc/doc.h"

static void rewrite(const char *fixture, unsigned parse_flags, int json, int indent,
                    unsigned emit_flags, const char *suffix)
{
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	struct doc_stream s = DOC_STREAM_INIT;
	struct doc_emit_opts o = { indent, emit_flags };

	if (test_read_fixture(&in, fixture) < 0)
		fail_("cannot read %s: %s", fixture, gs_error_last());
	must_pass(doc_parse(&s, fixture, in.p, in.len, parse_flags, NULL));
	assert_int(s.n, 1);
	if (json)
		must_pass(doc_emit_json(&out, s.docs[0], &o));
	else
		must_pass(doc_emit_stream_yaml(&out, s.docs, s.n, &o));
	must_pass(buf_adds(&out, suffix));
	assert_str(out.p, in.p);
	doc_stream_release(&s);
	buf_release(&in);
	buf_release(&out);
}

void test_doc_fixture__sealedsecret_yaml(void)
{
	rewrite("fixtures/doc/sealedsecret.yaml", 0, 0, 2, 0, "");
}

void test_doc_fixture__sops_yaml(void)
{
	rewrite("fixtures/doc/secret.enc.yaml", 0, 0, 2, DOC_EMIT_SEQ_INDENT, "");
}

void test_doc_fixture__sops_json(void)
{
	rewrite("fixtures/doc/secret.enc.json", DOC_PARSE_JSON, 1, 2, 0, "\n");
}

/* a hand-written Secret: key order and values survive YAML -> JSON -> YAML */
void test_doc_fixture__secret_yaml_json_yaml(void)
{
	struct buf in = BUF_INIT(1 << 20), j = BUF_INIT(1 << 20), y1 = BUF_INIT(1 << 20),
	           y2 = BUF_INIT(1 << 20);
	struct doc *a = NULL, *b = NULL;

	must_pass(test_read_fixture(&in, "fixtures/doc/secret.yaml"));
	must_pass(doc_parse_one(&a, "secret.yaml", in.p, in.len, 0));
	must_pass(doc_emit_json(&j, a, NULL));
	must_pass(doc_parse_one(&b, "secret.json", j.p, j.len, DOC_PARSE_JSON));
	must_pass(doc_emit_yaml(&y1, a, NULL));
	must_pass(doc_emit_yaml(&y2, b, NULL));
	assert_str(y1.p, y2.p);
	assert_contains(y1.p, "  password: s3cr3t \xc3\xbc"
	                      "n\xc3\xaf"
	                      "c\xc3\xb6"
	                      "d\xc3\xa9\n");
	assert_contains(y1.p, "  empty: \"\"\n");
	assert_str(doc_str(doc_getp(b, "metadata", "annotations", "keep", NULL)), "me");
	doc_free(a);
	doc_free(b);
	buf_release(&in);
	buf_release(&j);
	buf_release(&y1);
	buf_release(&y2);
}
