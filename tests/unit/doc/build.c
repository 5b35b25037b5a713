/* lib/doc building and changing trees: set/del/take/push, clone, scalars, secrets. */
#include <math.h>
#include <stdlib.h>

#include "test.h"

#include "doc/doc.h"

void test_doc_build__new_and_emit(void)
{
	struct doc *obj = doc_new_map(), *meta = doc_new_map(), *data = doc_new_map(),
	           *list = doc_new_seq();
	struct buf out = BUF_INIT(4096);

	must_pass(doc_set(obj, "apiVersion", doc_new_strz("v1")));
	must_pass(doc_set(obj, "kind", doc_new_strz("Secret")));
	must_pass(doc_set(meta, "name", doc_new_strz("x")));
	must_pass(doc_set(obj, "metadata", meta));
	must_pass(doc_set(data, "n", doc_new_int(-42)));
	must_pass(doc_set(data, "f", doc_new_float(2.5)));
	must_pass(doc_set(data, "g", doc_new_float(3)));
	must_pass(doc_set(data, "b", doc_new_bool(0)));
	must_pass(doc_set(data, "z", doc_new_null()));
	must_pass(doc_set(data, "s", doc_new_str("a\0b", 3)));
	must_pass(doc_set(data, "raw", doc_new_scalar(DOC_FLOAT, "3.10", 4)));
	must_pass(doc_push(list, doc_new_strz("one")));
	must_pass(doc_push(list, doc_new_int(2)));
	must_pass(doc_set(data, "list", list));
	must_pass(doc_set(obj, "data", data));
	assert_int(doc_len(doc_get(data, "s")), 3);
	must_pass(doc_emit_yaml(&out, obj, NULL));
	assert_str(out.p,
	           "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  \"n\": -42\n  f: "
	           "2.5\n  g: 3.0\n"
	           "  b: false\n  z: null\n  s: \"a\\0b\"\n  raw: 3.10\n  list:\n  - one\n  - 2\n");
	assert_true(doc_file(obj) == NULL);
	assert_int(doc_line(obj), 0);
	doc_free(obj);
	buf_release(&out);
	/* wrong containers are refused and the child is freed */
	obj = doc_new_map();
	must_fail_with(doc_push(obj, doc_new_strz("x")), GS_EINVAL);
	must_fail_with(doc_push(NULL, NULL), GS_EINVAL);
	doc_free(obj);
}

void test_doc_build__set_replace_keeps_position(void)
{
	struct doc *d = NULL;
	const char *src = "a: 1\nb: 2\nc: 3\n";
	struct buf out = BUF_INIT(4096);
	struct doc *taken;

	must_pass(doc_parse_one(&d, "t.yaml", src, strlen(src), 0));
	must_pass(doc_set(d, "b", doc_new_strz("two")));
	must_pass(doc_set(d, "d", doc_new_int(4)));
	assert_int(doc_del(d, "a"), 1);
	assert_int(doc_del(d, "a"), 0);
	taken = doc_take(d, "c");
	assert_str(doc_text(taken, NULL), "3");
	assert_true(doc_take(d, "c") == NULL);
	must_pass(doc_emit_yaml(&out, d, NULL));
	assert_str(out.p, "b: two\nd: 4\n");
	/* a taken node outlives the tree it came from */
	doc_free(d);
	assert_str(doc_file(taken), "t.yaml");
	doc_free(taken);
	buf_release(&out);
}

void test_doc_build__clone_is_deep(void)
{
	const char *src = "a: {b: [1, {c: d}]}\ne: !!binary aGk=\n";
	struct doc *d = NULL, *c;
	struct buf x = BUF_INIT(4096), y = BUF_INIT(4096);

	must_pass(doc_parse_one(&d, "t.yaml", src, strlen(src), DOC_PARSE_SECRET));
	c = doc_clone(d);
	assert_true(c != NULL);
	must_pass(doc_emit_yaml(&x, d, NULL));
	must_pass(doc_emit_yaml(&y, c, NULL));
	assert_str(x.p, y.p);
	assert_str(doc_tag(doc_get(c, "e")), "!!binary");
	assert_true(doc_flags(doc_get(c, "e")) & DOC_SECRET);
	assert_int(doc_line(doc_get(c, "e")), 2);
	doc_free(d); /* the clone keeps its own text and the file name */
	assert_str(doc_str(doc_getp(c, "a", "b", NULL)
	                       ? doc_get(doc_val_at(doc_getp(c, "a", "b", NULL), 1), "c")
	                       : NULL),
	           "d");
	assert_str(doc_file(c), "t.yaml");
	doc_free(c);
	assert_true(doc_clone(NULL) == NULL);
	buf_release(&x);
	buf_release(&y);
}

void test_doc_build__scalars_change(void)
{
	struct doc *n = doc_new_strz("x");
	double f;
	long long v;

	must_pass(doc_set_scalar(n, DOC_INT, "0o17", 4));
	must_pass(doc_get_int(n, &v));
	assert_int(v, 15);
	must_pass(doc_set_scalar(n, DOC_FLOAT, "-.inf", 5));
	must_pass(doc_get_float(n, &f));
	assert_true(isinf(f) && f < 0);
	must_pass(doc_set_scalar(n, DOC_FLOAT, ".nan", 4));
	must_pass(doc_get_float(n, &f));
	assert_true(isnan(f));
	doc_set_style(n, DOC_STYLE_DOUBLE);
	assert_int(doc_style(n), DOC_STYLE_DOUBLE);
	must_fail_with(doc_set_scalar(NULL, DOC_STR, "", 0), GS_EINVAL);
	doc_free(n);
	n = doc_new_seq();
	must_fail_with(doc_set_scalar(n, DOC_STR, "", 0), GS_EINVAL);
	must_fail_with(doc_set(n, "k", doc_new_null()), GS_EINVAL);
	assert_true(doc_str(n) == NULL && doc_text(n, NULL) == NULL && !doc_is_scalar(n));
	doc_free(n);
	/* NULL in, NULL/0 out */
	assert_int(doc_kind(NULL), DOC_NULL);
	assert_int(doc_len(NULL), 0);
	assert_true(doc_get(NULL, "x") == NULL && doc_val_at(NULL, 0) == NULL &&
	            doc_key_at(NULL, 0) == NULL);
	doc_free(NULL);
}

void test_doc_build__secret_flag_wipes(void)
{
	struct doc *m = doc_new_map(), *s = doc_new_strz("topsecret");
	const char *text;

	doc_set_flags(s, DOC_SECRET);
	assert_true(doc_flags(s) & DOC_SECRET);
	text = doc_str(s);
	must_pass(doc_set(m, "k", s));
	/* replacing wipes the old secret text before it is freed */
	must_pass(doc_set_scalar(s, DOC_STR, "other", 5));
	(void)text;
	doc_free(m);
}

void test_doc_build__many_pushes(void)
{
	struct doc *s = doc_new_seq(), *m = doc_new_map();
	char key[32];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		must_pass(doc_push(s, doc_new_int(i)));
		must_pass(doc_set(m, key, doc_new_int(i)));
	}
	assert_int(doc_len(s), 5000);
	assert_int(doc_len(m), 5000);
	assert_str(doc_text(doc_val_at(s, 4999), NULL), "4999");
	assert_str(doc_text(doc_get(m, "k4321"), NULL), "4321");
	doc_free(s);
	doc_free(m);
}
