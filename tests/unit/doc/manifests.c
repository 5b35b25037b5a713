/* lib/doc manifest streams: YAML and JSON streams, empty documents, Lists, places, errors. */
#include <stdlib.h>

#include "test.h"

#include "doc/doc.h"

static int read_str(struct doc_list *l, const char *file, const char *src, unsigned flags)
{
	return doc_read_manifests(l, file, src, strlen(src), flags);
}

void test_doc_manifests__yaml_stream_skips_empty_documents(void)
{
	struct doc_list l = DOC_LIST_INIT;
	const char *src = "---\n"
	                  "# only a comment\n"
	                  "---\n"
	                  "apiVersion: v1\n"
	                  "kind: ConfigMap\n"
	                  "metadata: {name: a}\n"
	                  "---\n"
	                  "---\n"
	                  "null\n"
	                  "---\n"
	                  "apiVersion: v1\n"
	                  "kind: Service\n"
	                  "metadata: {name: b}\n";

	assert_int(read_str(&l, "app/x.yaml", src, 0), 2);
	assert_int(l.n, 2);
	assert_str(doc_k8s_kind(l.objs[0]), "ConfigMap");
	assert_str(doc_file(l.objs[0]), "app/x.yaml");
	assert_int(doc_line(l.objs[0]), 4);
	assert_str(doc_k8s_name(l.objs[1]), "b");
	assert_int(doc_line(l.objs[1]), 11);
	doc_list_release(&l);
}

void test_doc_manifests__appends_across_files(void)
{
	struct doc_list l = DOC_LIST_INIT;

	assert_int(read_str(&l, "a.yaml", "kind: A\napiVersion: v1\n", 0), 1);
	assert_int(
	    read_str(&l, "b.yaml", "kind: B\napiVersion: v1\n---\nkind: C\napiVersion: v1\n", 0),
	    2);
	assert_int(l.n, 3);
	assert_str(doc_file(l.objs[0]), "a.yaml");
	assert_str(doc_file(l.objs[1]), "b.yaml");
	assert_str(doc_k8s_kind(l.objs[2]), "C");
	assert_int(doc_line(l.objs[2]), 4);
	/* a failing file appends nothing */
	must_fail(read_str(&l, "c.yaml", "kind: D\napiVersion: v1\n---\nkind: [\n", 0));
	assert_int(l.n, 3);
	doc_list_release(&l);
}

void test_doc_manifests__json_stream_of_concatenated_values(void)
{
	struct doc_list l = DOC_LIST_INIT;
	const char *src =
	    "  {\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s1\"}}\n"
	    "{\"apiVersion\":\"v1\",\n \"kind\":\"Secret\",\"metadata\":{\"name\":\"s2\"}}"
	    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s3\"}}";

	assert_true(doc_manifests_are_json(src, strlen(src)));
	assert_true(!doc_manifests_are_json("[1]", 3));
	assert_true(!doc_manifests_are_json("a: {}", 5));
	assert_int(read_str(&l, "s.json", src, 0), 3);
	assert_str(doc_k8s_name(l.objs[1]), "s2");
	assert_int(doc_line(l.objs[1]), 2);
	assert_int(doc_line(l.objs[2]), 3);
	doc_list_release(&l);
	/* JSON rules, not YAML ones: a trailing comma is an error with Go's wording and the place
	 */
	must_fail(read_str(&l, "bad.json", "{\"kind\":\"A\",}\n", 0));
	assert_contains(gs_error_last(), "bad.json:1:");
	assert_contains(gs_error_last(), "invalid character '}'");
	assert_int(l.n, 0);
}

void test_doc_manifests__lists_are_flattened_in_order(void)
{
	struct doc_list l = DOC_LIST_INIT;
	const char *src = "apiVersion: v1\n"
	                  "kind: List\n"
	                  "items:\n"
	                  "- apiVersion: v1\n"
	                  "  kind: ConfigMap\n"
	                  "  metadata: {name: one}\n"
	                  "- apiVersion: v1\n"
	                  "  kind: ServiceList\n"
	                  "  items:\n"
	                  "  - {apiVersion: v1, kind: Service, metadata: {name: two}}\n"
	                  "  - {apiVersion: v1, kind: Service, metadata: {name: three}}\n"
	                  "---\n"
	                  "apiVersion: v1\n"
	                  "kind: List\n"
	                  "---\n"
	                  "apiVersion: v1\n"
	                  "kind: Secret\n"
	                  "metadata: {name: four}\n";

	assert_int(read_str(&l, "l.yaml", src, DOC_MANIFEST_REQUIRE_KIND), 4);
	assert_str(doc_k8s_name(l.objs[0]), "one");
	assert_int(doc_line(l.objs[0]), 4);
	assert_str(doc_k8s_name(l.objs[1]), "two");
	assert_int(doc_line(l.objs[1]), 10);
	assert_str(doc_k8s_name(l.objs[2]), "three");
	assert_str(doc_file(l.objs[2]), "l.yaml");
	assert_str(doc_k8s_name(l.objs[3]), "four");
	doc_list_release(&l);

	/* a kind that merely ends in "List" without items is an object */
	assert_int(read_str(&l, "w.yaml", "apiVersion: x/v1\nkind: AllowList\nspec: {}\n", 0), 1);
	assert_str(doc_k8s_kind(l.objs[0]), "AllowList");
	doc_list_release(&l);
}

void test_doc_manifests__json_list(void)
{
	struct doc_list l = DOC_LIST_INIT;
	const char *src =
	    "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n"
	    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"a\"},\"data\":{"
	    "\"k\":\"dg==\"}},\n"
	    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"b\"}}]}";

	assert_int(read_str(&l, "l.json", src, DOC_PARSE_SECRET), 2);
	assert_str(doc_k8s_name(l.objs[1]), "b");
	assert_int(doc_line(l.objs[1]), 3);
	assert_true(doc_flags(doc_getp(l.objs[0], "data", "k", NULL)) & DOC_SECRET);
	doc_list_release(&l);
}

void test_doc_manifests__errors_name_file_and_line(void)
{
	struct doc_list l = DOC_LIST_INIT;

	must_fail_with(
	    read_str(&l, "base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\n---\n- a\n- b\n", 0),
	    GS_EPARSE);
	assert_str(gs_error_last(),
	           "base/cm.yaml:4:1: not a Kubernetes object: a sequence instead of a mapping");
	must_fail(read_str(&l, "values.yaml", "replicaCount: 2\nimage: nginx\n",
	                   DOC_MANIFEST_REQUIRE_KIND));
	assert_str(gs_error_last(), "values.yaml:1:1: not a Kubernetes object: no apiVersion");
	must_fail(read_str(&l, "k.yaml", "---\napiVersion: v1\nkind: {a: 1}\n",
	                   DOC_MANIFEST_REQUIRE_KIND));
	assert_str(gs_error_last(), "k.yaml:2:1: not a Kubernetes object: kind is not a string");
	must_fail(read_str(&l, "i.yaml",
	                   "apiVersion: v1\nkind: List\nitems:\n- {kind: A, apiVersion: v1}\n- \n",
	                   0));
	assert_contains(gs_error_last(), "i.yaml:");
	assert_contains(gs_error_last(), "List items[1] is empty");
	must_fail(read_str(&l, "li.yaml", "apiVersion: v1\nkind: List\nitems:\n- {kind: A}\n",
	                   DOC_MANIFEST_REQUIRE_KIND));
	assert_str(gs_error_last(), "li.yaml:4:3: not a Kubernetes object: no apiVersion");
	must_fail(read_str(&l, "y.yaml", "a: b\n c: d\n", 0));
	assert_contains(gs_error_last(), "y.yaml:2:");
	/* without the check, objects without kind pass (a values file read as data) */
	assert_int(read_str(&l, "values.yaml", "replicaCount: 2\n", 0), 1);
	assert_int(l.n, 1);
	doc_list_release(&l);
}

void test_doc_manifests__as_written_keeps_every_document(void)
{
	struct doc_list l = DOC_LIST_INIT;
	const char *src = "---\n"
	                  "---\n"
	                  "apiVersion: v1\n"
	                  "kind: List\n"
	                  "items: []\n"
	                  "---\n"
	                  "just text\n";

	assert_int(read_str(&l, "k.yaml", src, DOC_MANIFEST_AS_WRITTEN), 3);
	assert_true(l.objs[0] == NULL);
	assert_str(doc_k8s_kind(l.objs[1]), "List");
	assert_str(doc_str(l.objs[2]), "just text");
	doc_list_release(&l);
}

void test_doc_manifests__deeply_nested_lists_are_refused(void)
{
	struct doc_list l = DOC_LIST_INIT;
	struct buf src = BUF_INIT(1 << 16);
	int i;

	for (i = 0; i < 12; i++)
		must_pass(buf_adds(&src, "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":["));
	must_pass(buf_adds(&src, "{\"kind\":\"A\",\"apiVersion\":\"v1\"}"));
	for (i = 0; i < 12; i++)
		must_pass(buf_adds(&src, "]}"));
	must_fail(doc_read_manifests(&l, "deep.json", src.p, src.len, 0));
	assert_contains(gs_error_last(), "Lists nested deeper than 8 levels");
	assert_int(l.n, 0);
	buf_release(&src);
}
