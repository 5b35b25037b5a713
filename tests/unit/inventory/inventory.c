/* lib/inventory: Flux-format ids, set difference, stable order, status (de)serialisation. */
#include <stdlib.h>

#include "doc/doc.h"
#include "inventory/inventory.h"
#include "test.h"

static const char *id_of(struct buf *b, const char *ns, const char *name, const char *group,
                         const char *kind)
{
	buf_reset(b);
	return inventory_id(b, ns, name, group, kind) < 0 ? NULL : b->p;
}

void test_inventory__ids_are_fluxs(void)
{
	struct buf b = BUF_INIT(1024);
	assert_str(id_of(&b, "default", "podinfo", "apps", "Deployment"),
	           "default_podinfo_apps_Deployment");
	assert_str(id_of(&b, "default", "podinfo", "", "Service"), "default_podinfo__Service");
	assert_str(id_of(&b, NULL, "podinfo", NULL, "Namespace"), "_podinfo__Namespace");
	assert_str(id_of(&b, "", "system:controller:x", "rbac.authorization.k8s.io", "ClusterRole"),
	           "_system__controller__x_rbac.authorization.k8s.io_ClusterRole");
	/* '_' cannot be carried outside RBAC names; empty name or kind is refused */
	assert_true(id_of(&b, "ns", "a_b", "", "ConfigMap") == NULL);
	assert_contains(gs_error_last(), "'_' in ConfigMap ns/a_b");
	assert_true(id_of(&b, "ns", "", "", "ConfigMap") == NULL);
	assert_true(id_of(&b, "ns", "x", "", "") == NULL);
	buf_release(&b);
}

static void check_parse(const char *id, const char *ns, const char *name, const char *group,
                        const char *kind)
{
	struct inventory_ref r;
	struct buf b = BUF_INIT(1024);
	must_pass(inventory_id_parse(&r, id));
	assert_str(r.ns, ns);
	assert_str(r.name, name);
	assert_str(r.group, group);
	assert_str(r.kind, kind);
	/* and back */
	must_pass(inventory_id(&b, r.ns, r.name, r.group, r.kind));
	assert_str(b.p, id);
	inventory_ref_release(&r);
	buf_release(&b);
}

void test_inventory__ids_parse_back(void)
{
	struct inventory_ref r;
	check_parse("default_podinfo_apps_Deployment", "default", "podinfo", "apps", "Deployment");
	check_parse("_podinfo__Namespace", "", "podinfo", "", "Namespace");
	check_parse("prod_web.v2__Service", "prod", "web.v2", "", "Service");
	check_parse("_system__controller__x_rbac.authorization.k8s.io_ClusterRole", "",
	            "system:controller:x", "rbac.authorization.k8s.io", "ClusterRole");
	check_parse("_w.example.com_apiextensions.k8s.io_CustomResourceDefinition", "",
	            "w.example.com", "apiextensions.k8s.io", "CustomResourceDefinition");
	must_fail_with(inventory_id_parse(&r, "ns_name_Kind"), GS_EPARSE);
	assert_contains(gs_error_last(), "inventory id 'ns_name_Kind'");
	must_fail_with(inventory_id_parse(&r, "ns__group_Kind"), GS_EPARSE); /* no name */
	must_fail_with(inventory_id_parse(&r, "ns_name_group_"), GS_EPARSE); /* no kind */
	must_fail_with(inventory_id_parse(&r, ""), GS_EPARSE);
	must_fail_with(inventory_id_parse(&r, "a_b_c__Service"),
	               GS_EPARSE); /* '_' in a plain name */
}

void test_inventory__sorted_deduplicated_and_diffed(void)
{
	struct inventory a = INVENTORY_INIT, b = INVENTORY_INIT, d = INVENTORY_INIT;
	must_pass(inventory_add(&a, "prod", "web", "apps", "Deployment", "v1"));
	must_pass(inventory_add(&a, "prod", "web", "", "Service", "v1"));
	must_pass(inventory_add(&a, "", "prod", "", "Namespace", "v1"));
	must_pass(inventory_add(&a, "prod", "web", "apps", "Deployment",
	                        "v2")); /* same id: the later wins */
	inventory_sort(&a);
	assert_int(a.n, 3);
	assert_str(a.e[0].id, "_prod__Namespace");
	assert_str(a.e[1].id, "prod_web__Service");
	assert_str(a.e[2].id, "prod_web_apps_Deployment");
	assert_str(a.e[2].version, "v2");
	assert_true(inventory_find(&a, "prod_web__Service") != NULL);
	assert_true(inventory_find(&a, "prod_web__ConfigMap") == NULL);

	must_pass(inventory_add(&b, "prod", "web", "apps", "Deployment", "v1"));
	must_pass(inventory_add(&b, "prod", "cfg", "", "ConfigMap", "v1"));
	inventory_sort(&b);
	must_pass(inventory_diff(&d, &a, &b)); /* what left: a - b */
	assert_int(d.n, 2);
	assert_str(d.e[0].id, "_prod__Namespace");
	assert_str(d.e[1].id, "prod_web__Service");
	inventory_release(&d);
	must_pass(inventory_diff(&d, &b, &a));
	assert_int(d.n, 1);
	assert_str(d.e[0].id, "prod_cfg__ConfigMap");
	must_pass(inventory_merge(&d, &a));
	assert_int(a.n, 0);
	assert_int(d.n, 4);
	assert_str(d.e[0].id, "_prod__Namespace");
	inventory_release(&a);
	inventory_release(&b);
	inventory_release(&d);
}

void test_inventory__from_objects_and_status_roundtrip(void)
{
	struct inventory inv = INVENTORY_INIT, back = INVENTORY_INIT;
	struct doc_stream s = DOC_STREAM_INIT;
	struct doc *st = NULL;
	struct buf out = BUF_INIT(1 << 16);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	static const char objs[] =
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\n---\n"
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\n"
	    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "
	    "'x:y'}\n";
	size_t i;

	must_pass(doc_parse(&s, "objs.yaml", objs, sizeof(objs) - 1, 0, NULL));
	for (i = 0; i < s.n; i++)
		must_pass(inventory_add_object(&inv, s.docs[i]));
	inventory_sort(&inv);
	must_pass(inventory_to_doc(&st, &inv));
	must_pass(doc_emit_json(&out, st, &eo));
	assert_str(out.p, "{\"entries\":[{\"id\":\"_prod__Namespace\",\"v\":\"v1\"},"
	                  "{\"id\":\"_x__y_rbac.authorization.k8s.io_ClusterRole\",\"v\":\"v1\"},"
	                  "{\"id\":\"prod_web_apps_Deployment\",\"v\":\"v1\"}]}");
	must_pass(inventory_from_doc(&back, st));
	assert_int(back.n, 3);
	for (i = 0; i < back.n; i++) {
		assert_str(back.e[i].id, inv.e[i].id);
		assert_str(back.e[i].version, inv.e[i].version);
	}
	inventory_release(&back);
	must_pass(inventory_from_doc(&back, NULL)); /* no inventory yet */
	assert_int(back.n, 0);
	doc_free(st);
	doc_stream_release(&s);
	inventory_release(&inv);
	buf_release(&out);
}

void test_inventory__bad_status_names_the_field(void)
{
	struct inventory inv = INVENTORY_INIT;
	struct doc *d = NULL;
	static const char y[] = "entries:\n- {id: a_b__Service, v: v1}\n- {id: nope, v: v1}\n";
	must_pass(doc_parse_one(&d, "st.yaml", y, sizeof(y) - 1, 0));
	must_fail_with(inventory_from_doc(&inv, d), GS_EPARSE);
	assert_contains(gs_error_last(), "inventory.entries[1].id: inventory id 'nope'");
	assert_int(inv.n, 0);
	doc_free(d);
	must_pass(doc_parse_one(&d, "st.yaml", "entries:\n- {id: a_b__Service}\n", 29, 0));
	must_fail_with(inventory_from_doc(&inv, d), GS_EPARSE);
	assert_contains(gs_error_last(), "inventory.entries[0]: v missing");
	doc_free(d);
}
