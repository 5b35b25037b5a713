/* lib/app: the Application's source and decryption spec, unknown fields, types, the field table. */
#include <stdlib.h>

#include "test.h"

#include "app/app.h"
#include "doc/doc.h"

static const char *full_app =
    "apiVersion: gitseal.dev/v1alpha1\n"
    "kind: Application\n"
    "metadata: {name: web, namespace: gitseal-system, labels: {anything: goes}}\n"
    "spec:\n"
    "  project: default\n"
    "  source:\n"
    "    repoURL: https://git.example.com/config-repo.git\n"
    "    targetRevision: main\n"
    "    path: overlays/prod\n"
    "    secretRef: {name: repo-creds}\n"
    "    directory: {recurse: true, include: \"*.yaml\", exclude: \"test/*\"}\n"
    "    helm:\n"
    "      valueFiles: [values-prod.yaml, /shared/values.yaml]\n"
    "      values: |\n"
    "        replicaCount: 2\n"
    "      parameters: [{name: replicaCount, value: \"5\"}, {name: tag, value: \"01\", "
    "forceString: true}]\n"
    "      fileParameters: [{name: config, path: files/config.json}]\n"
    "      releaseName: web\n"
    "      skipCrds: false\n"
    "      kubeVersion: \"1.20.2\"\n"
    "      apiVersions: [monitoring.coreos.com/v1]\n"
    "      postRender: overlays/post\n"
    "    chart: nginx\n"
    "  decryption:\n"
    "    secretRef: {name: sops-age}\n"
    "    requireEncrypted: true\n"
    "  destination: {server: https://kubernetes.default.svc, namespace: prod}\n"
    "  syncPolicy: {automated: {prune: true, selfHeal: true}, syncOptions: "
    "[CreateNamespace=true]}\n"
    "  ignoreDifferences: [{group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}]\n"
    "  interval: 5m\n"
    "  timeout: 1h30m\n"
    "  dependsOn: [{name: infra}]\n"
    "  suspend: false\n"
    "status: {sync: {status: Synced}}\n";

static int parse(struct app **out, const char *yaml)
{
	struct doc *d = NULL;
	int rc;
	if ((rc = doc_parse_one(&d, "app.yaml", yaml, strlen(yaml), 0)) < 0)
		return rc;
	rc = app_parse(out, d);
	doc_free(d);
	return rc;
}

/* every issue of a manifest, "line:col: msg" one per line */
static int check(struct buf *out, const char *yaml)
{
	struct doc *d = NULL;
	struct app_issues r = APP_ISSUES_INIT;
	size_t i;
	int rc;
	if ((rc = doc_parse_one(&d, "app.yaml", yaml, strlen(yaml), 0)) < 0)
		return rc;
	rc = app_check(&r, d);
	for (i = 0; i < r.n; i++)
		buf_addf(out, "%u:%u: %s\n", r.v[i].line, r.v[i].col, r.v[i].msg);
	app_issues_release(&r);
	doc_free(d);
	return rc;
}

void test_app__parses_the_whole_source_spec(void)
{
	struct app *a = NULL;
	struct app_helm *h;
	must_pass(parse(&a, full_app));
	assert_str(a->name, "web");
	assert_str(a->namespace, "gitseal-system");
	assert_str(a->file, "app.yaml");
	assert_str(a->source.repo_url, "https://git.example.com/config-repo.git");
	assert_str(a->source.target_revision, "main");
	assert_str(a->source.path, "overlays/prod");
	assert_str(a->source.chart, "nginx");
	assert_str(a->source.secret_ref, "repo-creds");
	assert_true(a->source.has_directory);
	assert_true(a->source.directory.recurse);
	assert_str(a->source.directory.include, "*.yaml");
	assert_str(a->source.directory.exclude, "test/*");
	assert_true(a->source.has_helm);
	h = &a->source.helm;
	assert_int(h->nvalue_files, 2);
	assert_str(h->value_files[1], "/shared/values.yaml");
	assert_str(h->values, "replicaCount: 2\n");
	assert_int(h->nparameters, 2);
	assert_str(h->parameters[0].name, "replicaCount");
	assert_str(h->parameters[0].value, "5");
	assert_int(h->parameters[0].force_string, 0);
	assert_str(h->parameters[1].value, "01");
	assert_int(h->parameters[1].force_string, 1);
	assert_int(h->nfile_parameters, 1);
	assert_str(h->file_parameters[0].path, "files/config.json");
	assert_str(h->release_name, "web");
	assert_int(h->skip_crds, 0);
	assert_str(h->kube_version, "1.20.2");
	assert_int(h->napi_versions, 1);
	assert_str(h->api_versions[0], "monitoring.coreos.com/v1");
	assert_str(h->post_render, "overlays/post");
	assert_str(a->decryption.secret_ref, "sops-age");
	assert_int(a->decryption.require_encrypted, 1);
	app_free(a);

	/* the minimum: a repoURL; an Argo CD manifest is read too */
	must_pass(parse(&a,
	                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: m}\n"
	                "spec: {source: {repoURL: 'file:///r'}}\n"));
	assert_str(a->source.repo_url, "file:///r");
	assert_true(a->source.target_revision == NULL && a->source.path == NULL &&
	            !a->source.has_helm);
	assert_true(a->decryption.secret_ref == NULL && !a->decryption.require_encrypted);
	app_free(a);
	app_free(NULL);
}

void test_app__unknown_fields_with_did_you_mean(void)
{
	struct buf out = BUF_INIT(1 << 16);
	struct app *a = NULL;
	const char *y =
	    "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: m}\n"
	    "spec:\n  source:\n    repoUrl: https://x\n    repoURL: https://x\n"
	    "    helm:\n      valuesFile: [a.yaml]\n      parameters:\n      - {name: a, vaule: "
	    "b}\n"
	    "      valuesObject: {a: 1}\n"
	    "  decryption: {provider: sops, requireEncrypt: true}\n  destinaton: {}\nsepc: {}\n";
	assert_int(check(&out, y), 8);
	assert_str(
	    out.p,
	    "6:5: unknown field spec.source.repoUrl (did you mean repoURL?)\n"
	    "9:7: unknown field spec.source.helm.valuesFile (did you mean valueFiles?)\n"
	    "11:19: unknown field spec.source.helm.parameters[0].vaule (did you mean value?)\n"
	    "12:7: unknown field spec.source.helm.valuesObject\n"
	    "13:16: unknown field spec.decryption.provider\n"
	    "13:32: unknown field spec.decryption.requireEncrypt (did you mean requireEncrypted?)\n"
	    "14:3: unknown field spec.destinaton (did you mean destination?)\n"
	    "15:1: unknown field sepc (did you mean spec?)\n");
	must_fail_with(parse(&a, y), GS_EPARSE);
	assert_str(
	    gs_error_last(),
	    "app.yaml:6:5: unknown field spec.source.repoUrl (did you mean repoURL?) (and 7 more)");
	assert_true(a == NULL);
	buf_release(&out);
}

void test_app__types_and_required_fields(void)
{
	struct buf out = BUF_INIT(1 << 16);
	const char *y =
	    "apiVersion: gitseal.dev/v1alpha1\nkind: Application\nmetadata: {name: m}\n"
	    "spec:\n  source:\n    targetRevision: 1.0\n"
	    "    helm:\n      skipCrds: \"false\"\n      parameters:\n      - {value: 5}\n"
	    "      valueFiles: values.yaml\n      kubeVersion:\n"
	    "  decryption: {secretRef: {}}\n  interval: 5 minutes\n  timeout: 90s\n";
	assert_int(check(&out, y), 8);
	assert_str(
	    out.p,
	    "6:21: spec.source.targetRevision: expected a string, got a number (quote it)\n"
	    "8:17: spec.source.helm.skipCrds: expected a boolean (true or false), got a string\n"
	    "10:17: spec.source.helm.parameters[0].value: expected a string, got a number (quote "
	    "it)\n"
	    "10:9: spec.source.helm.parameters[0]: missing required field name\n"
	    "11:19: spec.source.helm.valueFiles: expected a list, got a string\n"
	    "6:5: spec.source: missing required field repoURL\n"
	    "13:27: spec.decryption.secretRef: missing required field name\n"
	    "14:13: spec.interval: not a duration (like 30s, 5m or 1h30m)\n");
	buf_release(&out);
}

void test_app__kind_api_version_and_shape(void)
{
	struct buf out = BUF_INIT(1 << 16);
	assert_int(check(&out, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: m}\n"
	                       "spec: {source: {repoURL: x}}\n"),
	           2);
	assert_str(out.p, "2:7: kind is 'Deployment', not Application\n"
	                  "1:13: apiVersion is 'apps/v1', not gitseal.dev/v1alpha1\n");
	buf_reset(&out);
	assert_int(check(&out, "kind: Application\n"), 3);
	assert_str(out.p,
	           "1:1: missing required field apiVersion\n1:1: missing required field metadata\n"
	           "1:1: missing required field spec\n");
	buf_release(&out);
}

void test_app__load_file(void)
{
	struct app *a = NULL;
	char dir[] = "/tmp/gitseal-app.XXXXXX", path[64];
	FILE *f;
	assert_true(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/app.yaml", dir);
	assert_true((f = fopen(path, "w")) != NULL);
	fputs("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n", f);
	fputs(full_app, f);
	fclose(f);
	must_pass(app_load_file(&a, path));
	assert_str(a->source.path, "overlays/prod");
	assert_str(a->file, path);
	app_free(a);
	assert_true((f = fopen(path, "a")) != NULL);
	fputs("---\n", f);
	fputs(full_app, f);
	fclose(f);
	must_fail_with(app_load_file(&a, path), GS_EPARSE);
	assert_contains(gs_error_last(), "app.yaml: holds more than one Application");
	assert_true((f = fopen(path, "w")) != NULL);
	fputs("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", f);
	fclose(f);
	must_fail_with(app_load_file(&a, path), GS_EPARSE);
	assert_contains(gs_error_last(), "app.yaml: no Application in it");
	remove(path);
	remove(dir);
}

void test_app__field_table_is_consistent(void)
{
	size_t n, i;
	const struct app_field *f = app_fields(&n);
	assert_true(n > 40);
	for (i = 0; i < n; i++) {
		char parent[256];
		const char *dot = strrchr(f[i].path, '.'), *br = strrchr(f[i].path, '[');
		const char *cut = br && (!dot || br > dot) ? br : dot;
		const struct app_field *p;
		if (!cut)
			continue;
		/* every row's parent is listed before it, as an object or a list */
		snprintf(parent, sizeof(parent), "%.*s", (int)(cut - f[i].path), f[i].path);
		if (!(p = app_field_find(parent)))
			fail_("%s has no parent row", f[i].path);
		if (p >= &f[i])
			fail_("%s comes before its parent", f[i].path);
		if (cut == br ? p->type != APP_T_LIST : p->type != APP_T_OBJECT)
			fail_("%s: parent %s has the wrong type", f[i].path, parent);
		if (!f[i].help || !*f[i].help)
			fail_("%s has no description", f[i].path);
	}
	assert_true(app_field_find("spec.source.helm.valueFiles[]") != NULL);
	assert_true(app_field_find("spec.source.helm.valuesFile") == NULL);
}
