/* lib/udiff/object.c: object diffs as kubectl diff shows them, secret values masked. */
#include <string.h>

#include "test.h"

#include "doc/doc.h"
#include "udiff/udiff.h"

static struct doc *yaml(const char *s)
{
	struct doc *d = NULL;
	if (doc_parse_one(&d, "t.yaml", s, strlen(s), 0) < 0)
		test__fail(__FILE__, __LINE__, "parse: %s", gs_error_last());
	return d;
}

static int diff(struct buf *out, const char *before, const char *after, enum udiff_mask m)
{
	struct doc *a = before ? yaml(before) : NULL, *b = after ? yaml(after) : NULL;
	struct udiff_opts o = UDIFF_OPTS_INIT;
	int rc;
	buf_reset(out);
	rc = udiff_object(out, a, b, m, &o);
	doc_free(a);
	doc_free(b);
	return rc;
}

void test_udiff_object__names_as_kubectl_diff(void)
{
	struct buf n = BUF_INIT(1024);
	struct doc *d = yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, "
	                     "namespace: prod}\n");
	must_pass(udiff_object_name(&n, d));
	assert_str(n.p, "apps.v1.Deployment.prod.web");
	doc_free(d);
	buf_reset(&n);
	d = yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n");
	must_pass(udiff_object_name(&n, d));
	assert_str(n.p, "v1.Namespace..prod");
	doc_free(d);
	buf_release(&n);
}

void test_udiff_object__server_bookkeeping_is_no_difference(void)
{
	struct buf out = BUF_INIT(1 << 20);
	assert_int(diff(&out,
	                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\n"
	                "  uid: 1\n  resourceVersion: '5'\n  generation: 1\n"
	                "  creationTimestamp: '2026-01-01T00:00:00Z'\n  managedFields: [{manager: "
	                "x}]\ndata: {a: b}\nstatus: {x: 1}\n",
	                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\n"
	                "  uid: 2\n  resourceVersion: '6'\n  managedFields: [{manager: y}]\n"
	                "data: {a: b}\n",
	                UDIFF_MASK_AUTO),
	           0);
	assert_int(out.len, 0);
	buf_release(&out);
}

void test_udiff_object__a_change_with_kubectl_headers(void)
{
	struct buf out = BUF_INIT(1 << 20);
	assert_int(diff(&out,
	                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: "
	                "prod, resourceVersion: '9'}\nspec: {replicas: 1}\n",
	                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: "
	                "prod, resourceVersion: '9'}\nspec: {replicas: 3}\n",
	                UDIFF_MASK_AUTO),
	           1);
	assert_str(out.p, "diff -u -N LIVE/apps.v1.Deployment.prod.web "
	                  "MERGED/apps.v1.Deployment.prod.web\n"
	                  "--- LIVE/apps.v1.Deployment.prod.web\n"
	                  "+++ MERGED/apps.v1.Deployment.prod.web\n"
	                  "@@ -4,4 +4,4 @@\n   name: web\n   namespace: prod\n spec:\n"
	                  "-  replicas: 1\n+  replicas: 3\n");
	buf_release(&out);
}

void test_udiff_object__secret_values_never_shown(void)
{
	struct buf out = BUF_INIT(1 << 20);
	assert_int(diff(&out,
	                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n"
	                "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: "
	                "'{\"data\":{\"password\":\"c2VjcmV0MQ==\"}}'\n"
	                "data:\n  password: c2VjcmV0MQ==\n  user: YWRtaW4=\n  gone: Z29uZQ==\n",
	                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n"
	                "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: "
	                "'{\"data\":{\"password\":\"c2VjcmV0Mg==\"}}'\n"
	                "data:\n  password: c2VjcmV0Mg==\n  user: YWRtaW4=\n  token: bmV3\n",
	                UDIFF_MASK_AUTO),
	           1);
	/* no value, old or new, in any line, context included */
	assert_true(!strstr(out.p, "c2VjcmV0"));
	assert_true(!strstr(out.p, "YWRtaW4"));
	assert_true(!strstr(out.p, "Z29uZQ"));
	assert_true(!strstr(out.p, "bmV3"));
	assert_contains(out.p, "-  password: '***'\n+  password: '*** (changed)'\n");
	assert_contains(out.p, "\n   user: '***'\n");
	assert_contains(out.p, "\n-  gone: '***'\n");
	assert_contains(out.p, "\n+  token: '***'\n");
	assert_contains(out.p,
	                "+    kubectl.kubernetes.io/last-applied-configuration: '*** (changed)'");
	/* the same values on both sides: no difference at all */
	assert_int(diff(&out,
	                "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: djE=}\n",
	                "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: djE=}\n",
	                UDIFF_MASK_AUTO),
	           0);
	buf_release(&out);
}

void test_udiff_object__new_object_shown_whole_and_masked(void)
{
	struct buf out = BUF_INIT(1 << 20);
	assert_int(diff(&out, NULL,
	                "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\n"
	                "stringData: {password: hunter2}\ntype: Opaque\n",
	                UDIFF_MASK_AUTO),
	           1);
	assert_str(out.p, "diff -u -N LIVE/v1.Secret.ns.s MERGED/v1.Secret.ns.s\n"
	                  "--- LIVE/v1.Secret.ns.s\n+++ MERGED/v1.Secret.ns.s\n"
	                  "@@ -0,0 +1,8 @@\n+apiVersion: v1\n+kind: Secret\n+metadata:\n"
	                  "+  name: s\n+  namespace: ns\n+stringData:\n+  password: '***'\n"
	                  "+type: Opaque\n");
	/* and a deleted one, whole */
	assert_int(diff(&out, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", NULL,
	                UDIFF_MASK_AUTO),
	           1);
	assert_contains(out.p, "@@ -1,4 +0,0 @@\n-apiVersion: v1\n-kind: ConfigMap\n");
	buf_release(&out);
}

void test_udiff_object__mask_all_for_encrypted_content(void)
{
	struct buf out = BUF_INIT(1 << 20);
	assert_int(diff(&out,
	                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {app: x}}\n"
	                "data: {dsn: 'postgres://u:pw1@db', mode: a}\n",
	                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {app: z}}\n"
	                "data: {dsn: 'postgres://u:pw2@db', mode: a}\n",
	                UDIFF_MASK_ALL),
	           1);
	assert_true(!strstr(out.p, "pw1") && !strstr(out.p, "pw2"));
	assert_contains(out.p, "-  dsn: '***'\n+  dsn: '*** (changed)'\n");
	assert_contains(out.p, "-    app: x\n+    app: z\n"); /* metadata stays readable */
	/* without masking the same diff shows the values */
	assert_int(diff(&out,
	                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v1}\n",
	                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v2}\n",
	                UDIFF_MASK_AUTO),
	           1);
	assert_contains(out.p, "-  k: v1\n+  k: v2\n");
	buf_release(&out);
}
