/* lib/app: the reconciler's half of the spec (destination, syncPolicy, ignoreDifferences,
 * interval, timeout, dependsOn, suspend) and the values the schema cannot express. */
#include <stdlib.h>

#include "test.h"

#include "app/app.h"
#include "core/clock.h"
#include "doc/doc.h"

static const char *head = "apiVersion: gitseal.dev/v1alpha1\n"
                          "kind: Application\n"
                          "metadata: {name: web, namespace: team-a, generation: 7}\n"
                          "spec:\n"
                          "  source: {repoURL: https://git.example.com/r.git}\n";

static int parse(struct app **out, const char *rest)
{
	struct buf y = BUF_INIT(1 << 16);
	struct doc *d = NULL;
	int rc;
	buf_adds(&y, head);
	buf_adds(&y, rest);
	if ((rc = doc_parse_one(&d, "app.yaml", y.p, y.len, 0)) >= 0)
		rc = app_parse(out, d);
	doc_free(d);
	buf_release(&y);
	return rc;
}

void test_app_spec__the_whole_spec(void)
{
	struct app *a = NULL;
	must_pass(parse(&a,
	                "  project: default\n"
	                "  destination: {server: https://kubernetes.default.svc, namespace: prod}\n"
	                "  serviceAccountName: deployer\n"
	                "  syncPolicy:\n"
	                "    automated: {prune: true, selfHeal: true}\n"
	                "    syncOptions: [CreateNamespace=true, ServerSideApply=true]\n"
	                "  ignoreDifferences:\n"
	                "  - {group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}\n"
	                "  - {kind: ConfigMap, name: cfg, namespace: prod, jsonPointers: [/data]}\n"
	                "  interval: 1m30s\n"
	                "  timeout: 2s\n"
	                "  dependsOn: [{name: infra}, {name: db, namespace: data}]\n"
	                "  suspend: true\n"));
	assert_int(a->generation, 7);
	assert_str(a->destination.server, APP_IN_CLUSTER);
	assert_str(a->destination.namespace, "prod");
	assert_true(app_in_cluster(a));
	assert_str(a->service_account, "deployer");
	assert_true(a->automated && a->prune && a->self_heal);
	assert_int(a->nsync_options, 2);
	assert_true(a->create_namespace);
	assert_int(a->nignore, 2);
	assert_str(a->ignore[0].group, "apps");
	assert_str(a->ignore[0].kind, "Deployment");
	assert_int(a->ignore[0].npointers, 1);
	assert_str(a->ignore[0].pointers[0], "/spec/replicas");
	assert_true(a->ignore[0].name == NULL && a->ignore[1].group == NULL);
	assert_str(a->ignore[1].namespace, "prod");
	assert_true(a->interval == 90 && a->timeout == 2);
	assert_int(a->ndepends_on, 2);
	assert_str(a->depends_on[0].name, "infra");
	assert_true(a->depends_on[0].namespace == NULL);
	assert_str(a->depends_on[1].namespace, "data");
	assert_true(a->suspend);
	app_free(a);
}

void test_app_spec__defaults(void)
{
	struct app *a = NULL;
	must_pass(parse(&a, ""));
	assert_true(!a->automated && !a->prune && !a->self_heal && !a->suspend);
	assert_true(a->interval == 0 && a->timeout == 0 && !a->create_namespace);
	assert_true(app_in_cluster(a));
	app_free(a);
	must_pass(parse(&a, "  syncPolicy: {automated: {}}\n  destination: {name: in-cluster}\n"));
	assert_true(a->automated && !a->prune && !a->self_heal && app_in_cluster(a));
	app_free(a);
}

void test_app_spec__remote_destinations(void)
{
	struct app *a = NULL;
	must_pass(parse(&a, "  destination: {server: \"https://10.1.2.3:6443\"}\n"));
	assert_true(!app_in_cluster(a));
	app_free(a);
	must_pass(parse(&a, "  destination: {name: prod-eu}\n"));
	assert_true(!app_in_cluster(a));
	assert_str(a->destination.name, "prod-eu");
	app_free(a);
}

/* each bad value: GS_EPARSE with file:line:col and the field path, nothing returned */
void test_app_spec__values_the_schema_cannot_express(void)
{
	static const struct {
		const char *yaml, *msg;
	} bad[] = {
		{ "  project: other\n",
		  "app.yaml:6:12: spec.project: only the project \"default\"" },
		{ "  syncPolicy: {syncOptions: [Prune=false]}\n",
		  "spec.syncPolicy.syncOptions[0]: unknown sync option (known: CreateNamespace," },
		{ "  syncPolicy: {syncOptions: [CreateNamespace=yes]}\n",
		  "CreateNamespace is true or false" },
		{ "  syncPolicy: {syncOptions: [ServerSideApply=false]}\n",
		  "ServerSideApply is always true here" },
		{ "  syncPolicy: {syncOptions: [PrunePropagationPolicy=foreground]}\n",
		  "only background propagation" },
		{ "  ignoreDifferences: [{kind: Deployment, jsonPointers: [spec/replicas]}]\n",
		  "spec.ignoreDifferences[0].jsonPointers[0]: a JSON pointer starts with /" },
		{ "  interval: 0s\n", "spec.interval: must be a positive duration" },
		{ "  timeout: \"5\"\n", "spec.timeout: not a duration" },
		{ "  destination: {server: \"https://x\", name: y}\n",
		  "spec.destination: give server or name, not both" },
		{ "  dependsOn: [{namespace: x}]\n", "missing required field name" },
	};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct app *a = NULL;
		must_fail_with(parse(&a, bad[i].yaml), GS_EPARSE);
		assert_true(a == NULL);
		assert_contains(gs_error_last(), bad[i].msg);
		assert_contains(gs_error_last(), "app.yaml:");
	}
}

void test_app_spec__go_durations(void)
{
	double s = -1;
	must_pass(gs_parse_duration("1h30m", &s));
	assert_true(s == 5400);
	must_pass(gs_parse_duration("1.5s", &s));
	assert_true(s == 1.5);
	must_pass(gs_parse_duration("250ms", &s));
	assert_true(s > 0.2499 && s < 0.2501);
	must_pass(gs_parse_duration("-2s", &s));
	assert_true(s == -2);
	must_pass(gs_parse_duration("0", &s));
	assert_true(s == 0);
	must_fail_with(gs_parse_duration("5", &s), GS_EINVAL);
	assert_contains(gs_error_last(), "missing unit");
	must_fail_with(gs_parse_duration("5d", &s), GS_EINVAL);
	assert_contains(gs_error_last(), "unknown unit");
	must_fail_with(gs_parse_duration("", &s), GS_EINVAL);
	must_fail_with(gs_parse_duration("m5", &s), GS_EINVAL);
}
