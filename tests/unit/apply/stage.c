/* lib/apply: stages and order, digests. */
#include <stdlib.h>

#include "util.h"

void test_apply_stage__stages_waves_and_kinds(void)
{
	static const char src[] =
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: a, annotations: "
	    "{argocd.argoproj.io/sync-wave: '5'}}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: a}\n---\n"
	    "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\n---\n"
	    "apiVersion: x.io/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\n---\n"
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"
	    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: "
	    "widgets.x.io}\n---\n"
	    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: a, annotations: "
	    "{argocd.argoproj.io/sync-wave: '-1'}}\n";
	static const char *const want[] = {
		"CustomResourceDefinition widgets.x.io",
		"Namespace a",
		"StorageClass fast",
		"ServiceAccount a/sa",
		"ConfigMap a/cfg",
		"Deployment a/web",
		"Widget a/w",
		"ConfigMap a/late",
	};
	struct doc_stream s = DOC_STREAM_INIT;
	struct doc *bad = y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, annotations: "
	                    "{argocd.argoproj.io/sync-wave: one}}\n");
	size_t i, order[8];
	long wave;
	must_pass(doc_parse(&s, "set.yaml", src, sizeof(src) - 1, 0, NULL));
	must_pass(apply_order(order, s.docs, s.n, 0));
	for (i = 0; i < s.n; i++) {
		char *w = apply__what(s.docs[order[i]]);
		assert_str(w, want[i]);
		free(w);
	}
	must_pass(apply_order(order, s.docs, s.n, 1)); /* the delete order */
	for (i = 0; i < s.n; i++) {
		char *w = apply__what(s.docs[order[i]]);
		assert_str(w, want[s.n - 1 - i]);
		free(w);
	}
	assert_int((int)apply_stage_of(s.docs[6]), APPLY__STAGE_DEFS);
	assert_int((int)apply_stage_of(s.docs[3]), APPLY__STAGE_CLASSES);
	must_pass(apply_sync_wave(&wave, s.docs[7]));
	assert_int(wave, -1);
	must_fail_with(apply_sync_wave(&wave, bad), GS_EPARSE);
	assert_contains(
	    gs_error_last(),
	    "ConfigMap b: annotation argocd.argoproj.io/sync-wave: 'one' is not an integer");
	doc_free(bad);
	doc_stream_release(&s);
}

uint64_t apply__siphash_ref(const void *p, size_t n);

void test_apply_stage__siphash_vector_and_digests(void)
{
	unsigned char msg[15];
	uint64_t a = 0, b = 0, c = 0;
	struct doc *x = y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, resourceVersion: "
	                  "'1', labels: {a: b}}\ndata: {k: v}\n");
	struct doc *z = y("apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}, name: c, "
	                  "resourceVersion: '2', uid: x}\n"
	                  "data: {k: v}\n");
	struct doc *w = y(
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {a: b}}\ndata: {k: w}\n");
	size_t i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	/* SipHash paper, appendix A: key 00..0f, message 00..0e */
	assert_true(apply__siphash_ref(msg, sizeof(msg)) == 0xa129ca6149be45e5ULL);
	must_pass(apply__digest(&a, x, NULL, 0));
	must_pass(
	    apply__digest(&b, z, NULL, 0)); /* other metadata and key order: the same digest */
	must_pass(apply__digest(&c, w, NULL, 0));
	assert_true(a == b);
	assert_true(a != c);
	doc_free(x);
	doc_free(z);
	doc_free(w);
}
