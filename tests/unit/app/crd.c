/* lib/app: the CRD generated from the field table, and the committed file that must equal it. */
#include <stdlib.h>

#include "test.h"

#include "app/app.h"
#include "doc/doc.h"

/* the schema node of a dotted path through properties (and "[]" for items) */
static const struct doc *schema_at(const struct doc *crd, const char *path)
{
	const struct doc *n = doc_getp(doc_val_at(doc_getp(crd, "spec", "versions", NULL), 0),
	                               "schema", "openAPIV3Schema", NULL);
	char copy[256], *save = NULL, *tok;
	snprintf(copy, sizeof(copy), "%s", path);
	for (tok = strtok_r(copy, ".", &save); tok && n; tok = strtok_r(NULL, ".", &save)) {
		size_t len = strlen(tok);
		int items = len > 2 && !strcmp(tok + len - 2, "[]");
		if (items)
			tok[len - 2] = '\0';
		n = doc_get(doc_get(n, "properties"), tok);
		if (items)
			n = doc_get(n, "items");
	}
	return n;
}

void test_app_crd__structural_schema_from_the_table(void)
{
	struct doc *crd = NULL;
	size_t n, i;
	const struct app_field *f = app_fields(&n);
	const struct doc *v, *s;

	must_pass(app_crd(&crd));
	assert_str(doc_str(doc_getp(crd, "metadata", "name", NULL)), "applications.gitseal.dev");
	assert_str(doc_str(doc_getp(crd, "spec", "scope", NULL)), "Namespaced");
	assert_int(doc_len(doc_getp(crd, "spec", "names", "shortNames", NULL)), 2);
	v = doc_val_at(doc_getp(crd, "spec", "versions", NULL), 0);
	assert_str(doc_str(doc_get(v, "name")), "v1alpha1");
	assert_true(doc_kind(doc_getp(v, "subresources", "status", NULL)) == DOC_MAP);
	assert_int(doc_len(doc_get(v, "additionalPrinterColumns")), 4);
	assert_str(
	    doc_str(doc_get(doc_val_at(doc_get(v, "additionalPrinterColumns"), 0), "jsonPath")),
	    ".status.sync.status");
	/* every row of the table is in the schema with a type (structural) */
	for (i = 0; i < n; i++) {
		const char *t;
		if (!strchr(f[i].path, '.') && strstr(f[i].path, "[]"))
			continue;
		if (!(s = schema_at(crd, f[i].path)))
			fail_("%s is not in the schema", f[i].path);
		if (!(t = doc_str(doc_get(s, "type"))))
			fail_("%s has no type", f[i].path);
	}
	s = schema_at(crd, "spec.interval");
	assert_true(doc_str(doc_get(s, "pattern")) != NULL);
	s = schema_at(crd, "status");
	assert_true(doc_get(s, "x-kubernetes-preserve-unknown-fields") != NULL);
	assert_str(doc_str(doc_get(schema_at(crd, "spec.dependsOn[].name"), "type")), "string");
	assert_str(doc_str(doc_get(schema_at(crd, "spec.syncPolicy.automated.prune"), "type")),
	           "boolean");
	assert_str(doc_str(doc_val_at(doc_get(schema_at(crd, "spec.source"), "required"), 0)),
	           "repoURL");
	doc_free(crd);
}

void test_app_crd__committed_file_is_generated(void)
{
	struct buf want = BUF_INIT(1 << 20), have = BUF_INIT(1 << 20);
	must_pass(app_crd_yaml(&want));
	must_pass(test_read_fixture(&have, "../deploy/base/crds/applications.yaml"));
	if (want.len != have.len || memcmp(want.p, have.p, want.len))
		fail_("deploy/base/crds/applications.yaml is not what the field table "
		      "generates: run `make crd` and commit it");
	buf_release(&want);
	buf_release(&have);
}
