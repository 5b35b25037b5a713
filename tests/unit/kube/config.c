/* kubeconfig like kubectl: merging, contexts, overrides, paths, exec, in-cluster. No server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "doc/doc.h"
#include "kube/kube.h"
#include "test.h"

/* CA "hello" in base64 */
static const char KC1[] =
    "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
    "clusters:\n- name: c1\n  cluster:\n    server: https://one.example:6443/\n"
    "    certificate-authority-data: aGVsbG8=\n"
    "- name: c2\n  cluster:\n    server: https://two.example\n"
    "    certificate-authority: ca/two.crt\n"
    "- name: c4\n  cluster:\n    server: https://four.example\n    insecure-skip-tls-verify: true\n"
    "    certificate-authority-data: aGVsbG8=\n"
    "users:\n- name: u1\n  user:\n    token: 12345\n"
    "- name: u2\n  user:\n    client-certificate: certs/u2.crt\n    client-key: /abs/u2.key\n"
    "    as: someone\n    as-groups: [g1, g2]\n"
    "contexts:\n- name: dev\n  context: {cluster: c1, user: u1, namespace: team-a}\n"
    "- name: other\n  context: {cluster: c2, user: u2}\n"
    "- name: both\n  context: {cluster: c4, user: u1}\n";

static const char KC2[] = "apiVersion: v1\nkind: Config\ncurrent-context: second\n"
                          "clusters:\n- name: c1\n  cluster: {server: 'https://shadowed.example'}\n"
                          "- name: c3\n  cluster: {server: 'https://three.example'}\n"
                          "users:\n- name: u3\n  user:\n    exec:\n      apiVersion: "
                          "client.authentication.k8s.io/v1beta1\n"
                          "      command: aws\n      args: [eks, get-token]\n      env: [{name: "
                          "AWS_PROFILE, value: prod}]\n"
                          "      installHint: install the aws cli\n"
                          "contexts:\n- name: dev\n  context: {cluster: c3, user: u3}\n"
                          "- name: second\n  context: {cluster: c3, user: u3}\n";

static int load(struct kube_config *cfg, const char *const *srcs, const char *const *files,
                size_t n, const struct kube_overrides *ov)
{
	struct doc *docs[4] = { NULL };
	size_t i;
	int rc = 0;
	for (i = 0; i < n && rc == 0; i++)
		rc = doc_parse_one(&docs[i], files[i], srcs[i], strlen(srcs[i]), DOC_PARSE_SECRET);
	if (rc == 0)
		rc = kube_config_from_docs(cfg, docs, files, n, ov);
	for (i = 0; i < n; i++)
		doc_free(docs[i]);
	return rc;
}

void test_kube_config__current_context_token_and_ca_data(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	const char *srcs[] = { KC1 }, *files[] = { "/home/me/.kube/config" };
	must_pass(load(&cfg, srcs, files, 1, NULL));
	assert_str(cfg.context, "dev");
	assert_str(cfg.cluster_name, "c1");
	assert_str(cfg.server, "https://one.example:6443/");
	assert_str(cfg.ns, "team-a");
	assert_str(cfg.token,
	           "12345"); /* a plain scalar that looks like a number is still the token */
	assert_mem(cfg.ca_pem.p, cfg.ca_pem.len, "hello", 5);
	assert_int(cfg.insecure, 0);
	assert_true(cfg.exec == NULL);
	kube_config_release(&cfg);
}

void test_kube_config__paths_are_relative_to_the_file_and_overrides_win(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	const char *srcs[] = { KC1 }, *files[] = { "/home/me/.kube/config" };
	ov.context = "other";
	ov.ns = "override-ns";
	must_pass(load(&cfg, srcs, files, 1, &ov));
	assert_str(cfg.server, "https://two.example");
	assert_int(cfg.insecure, 0);
	assert_str(cfg.ca_file, "/home/me/.kube/ca/two.crt");
	assert_str(cfg.client_cert_file, "/home/me/.kube/certs/u2.crt");
	assert_str(cfg.client_key_file, "/abs/u2.key");
	assert_str(cfg.ns, "override-ns");
	assert_str(cfg.impersonate_user, "someone");
	assert_int(cfg.nimpersonate_groups, 2);
	assert_str(cfg.impersonate_groups[1], "g2");
	kube_config_release(&cfg);

	/* --server/--token/--insecure-skip-tls-verify on top of a context */
	ov.context = "dev";
	ov.ns = NULL;
	ov.server = "https://elsewhere:1";
	ov.token = "tok";
	ov.insecure_skip_tls_verify = 1;
	must_pass(load(&cfg, srcs, files, 1, &ov));
	assert_str(cfg.server, "https://elsewhere:1");
	assert_str(cfg.token, "tok");
	assert_int(cfg.insecure, 1);
	assert_int(cfg.ca_pem.len, 0); /* the flag drops the kubeconfig's CA, as kubectl */
	assert_str(cfg.ns, "team-a");
	kube_config_release(&cfg);
}

/* kubectl refuses a cluster with both a CA and insecure-skip-tls-verify; the command-line flag
 * instead drops the CA. */
void test_kube_config__ca_with_insecure_is_refused(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	const char *srcs[] = { KC1 }, *files[] = { "/home/me/.kube/config" };
	ov.context = "both";
	must_fail_with(load(&cfg, srcs, files, 1, &ov), GS_EINVAL);
	assert_contains(gs_error_last(), "/home/me/.kube/config: cluster \"c4\": specifying a root "
	                                 "certificates file with the insecure flag is not allowed");
	kube_config_release(&cfg);
	ov.insecure_skip_tls_verify = 1;
	must_pass(load(&cfg, srcs, files, 1, &ov));
	assert_int(cfg.insecure, 1);
	assert_int(cfg.ca_pem.len, 0);
	kube_config_release(&cfg);
}

void test_kube_config__files_merge_first_wins(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	const char *srcs[] = { KC1, KC2 }, *files[] = { "a.yaml", "b.yaml" };

	/* a's current-context wins; a's context "dev" and cluster c1 shadow b's */
	must_pass(load(&cfg, srcs, files, 2, NULL));
	assert_str(cfg.context, "dev");
	assert_str(cfg.server, "https://one.example:6443/");
	assert_str(cfg.source, "a.yaml:b.yaml");
	kube_config_release(&cfg);

	/* a context only b has, with its exec user */
	ov.context = "second";
	must_pass(load(&cfg, srcs, files, 2, &ov));
	assert_str(cfg.server, "https://three.example");
	assert_true(cfg.exec != NULL);
	assert_str(cfg.exec->command, "aws");
	assert_str(cfg.exec->api_version, "client.authentication.k8s.io/v1beta1");
	assert_int(cfg.exec->nargs, 2);
	assert_str(cfg.exec->args[1], "get-token");
	assert_int(cfg.exec->nenv, 1);
	assert_str(cfg.exec->env[0], "AWS_PROFILE=prod");
	assert_str(cfg.exec->install_hint, "install the aws cli");
	assert_str(cfg.ns, "default");
	kube_config_release(&cfg);

	/* b first: b's current-context */
	{
		const char *s2[] = { KC2, KC1 }, *f2[] = { "b.yaml", "a.yaml" };
		must_pass(load(&cfg, s2, f2, 2, NULL));
		assert_str(cfg.context, "second");
		kube_config_release(&cfg);
	}
}

void test_kube_config__errors_name_the_file_and_what_is_missing(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	const char *srcs[] = { KC1 }, *files[] = { "k.yaml" };
	const char *bad64[] = {
		"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		"clusters: [{name: c, cluster: {server: 'https://x', certificate-authority-data: "
		"'!!notb64'}}]\n"
		"users: [{name: u, user: {}}]\n"
	};
	const char *nokey[] = {
		"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		"clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
		"users: [{name: u, user: {client-certificate: a.crt}}]\n"
	};
	const char *noctx[] = { "clusters: []\n" };
	const char *badexec[] = {
		"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		"clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
		"users: [{name: u, user: {exec: {apiVersion: "
		"client.authentication.k8s.io/v1alpha1, command: x}}}]\n"
	};

	ov.context = "nope";
	must_fail_with(load(&cfg, srcs, files, 1, &ov), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "k.yaml: context \"nope\" not found");
	kube_config_release(&cfg);
	must_fail_with(load(&cfg, bad64, files, 1, NULL), GS_EPARSE);
	assert_contains(gs_error_last(), "k.yaml:3: certificate-authority-data");
	assert_contains(gs_error_last(), "certificate-authority-data");
	kube_config_release(&cfg);
	must_fail_with(load(&cfg, nokey, files, 1, NULL), GS_EINVAL);
	assert_contains(gs_error_last(), "client key");
	kube_config_release(&cfg);
	must_fail_with(load(&cfg, noctx, files, 1, NULL), GS_EINVAL);
	assert_contains(gs_error_last(), "no current-context");
	kube_config_release(&cfg);
	must_fail_with(load(&cfg, badexec, files, 1, NULL), GS_EPARSE);
	assert_contains(gs_error_last(), "v1alpha1");
	kube_config_release(&cfg);
}

static char tmpdir[256];

static const char *tmpfile_with(const char *name, const char *text)
{
	static char path[512];
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/kube-unit.XXXXXX");
		if (!mkdtemp(tmpdir))
			return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (file_write_atomic(path, text, strlen(text), 0600, 0) < 0)
		return NULL;
	return path;
}

static void cleanup_tmp(void)
{
	static const char *const names[] = { "a", "b", "broken", "token", "ca.crt", "namespace" };
	char path[512];
	size_t i;
	if (!tmpdir[0])
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	tmpdir[0] = '\0';
}

void test_kube_config__kubeconfig_env_list_skips_missing_files(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	char env[2048], a[512], b[512];
	const char *old = getenv("KUBECONFIG");
	char *saved = old ? strdup(old) : NULL;

	snprintf(a, sizeof(a), "%s", tmpfile_with("a", KC2));
	snprintf(b, sizeof(b), "%s", tmpfile_with("b", KC1));
	snprintf(env, sizeof(env), "%s/missing:%s:%s", tmpdir, a, b);
	setenv("KUBECONFIG", env, 1);
	must_pass(kube_config_load(&cfg, NULL));
	assert_str(cfg.context, "second");
	assert_str(cfg.server, "https://three.example");
	kube_config_release(&cfg);

	snprintf(env, sizeof(env), "%s/missing", tmpdir);
	setenv("KUBECONFIG", env, 1);
	must_fail_with(kube_config_load(&cfg, NULL), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "KUBECONFIG");
	kube_config_release(&cfg);

	/* --kubeconfig replaces the list; a broken file is named */
	{
		struct kube_overrides ov = KUBE_OVERRIDES_INIT;
		ov.kubeconfig = tmpfile_with("broken", "clusters: [unclosed\n");
		must_fail(kube_config_load(&cfg, &ov));
		assert_contains(gs_error_last(), "broken");
		kube_config_release(&cfg);
	}
	if (saved) {
		setenv("KUBECONFIG", saved, 1);
		free(saved);
	} else {
		unsetenv("KUBECONFIG");
	}
	cleanup_tmp();
}

void test_kube_config__in_cluster_service_account(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	char dir[512];
	const char *h = getenv("KUBERNETES_SERVICE_HOST");

	if (h)
		skip_("running inside a cluster");
	tmpfile_with("token", "sa-token\n");
	tmpfile_with("ca.crt", "CA");
	tmpfile_with("namespace", "gitseal-system\n");
	snprintf(dir, sizeof(dir), "%s", tmpdir);
	must_fail_with(kube_config_in_cluster(&cfg, dir), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "KUBERNETES_SERVICE_HOST");
	kube_config_release(&cfg);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	must_pass(kube_config_in_cluster(&cfg, dir));
	assert_str(cfg.server, "https://10.96.0.1:443");
	assert_str(cfg.ns, "gitseal-system");
	assert_contains(cfg.token_file, "/token");
	assert_contains(cfg.ca_file, "/ca.crt");
	assert_str(cfg.source, "in-cluster");
	kube_config_release(&cfg);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	must_pass(kube_config_in_cluster(&cfg, dir));
	assert_str(cfg.server, "https://[fd00::1]:443");
	kube_config_release(&cfg);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	cleanup_tmp();
}

/* No kubeconfig anywhere: in-cluster when KUBERNETES_SERVICE_HOST is set (unless told not to). */
void test_kube_config__no_files_falls_back_to_in_cluster(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	const char *k = getenv("KUBECONFIG"), *home = getenv("HOME");
	char *sk = k ? strdup(k) : NULL, *sh = home ? strdup(home) : NULL;

	if (getenv("KUBERNETES_SERVICE_HOST") ||
	    file_exists("/var/run/secrets/kubernetes.io/serviceaccount/token"))
		skip_("running inside a cluster");
	unsetenv("KUBECONFIG");
	setenv("HOME", "/nonexistent-home", 1);
	must_fail_with(kube_config_load(&cfg, NULL), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "~/.kube/config");
	kube_config_release(&cfg);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	must_fail_with(kube_config_load(&cfg, NULL),
	               GS_ENOTFOUND); /* it tried the service account */
	assert_contains(gs_error_last(),
	                "in-cluster: /var/run/secrets/kubernetes.io/serviceaccount/token");
	kube_config_release(&cfg);
	ov.in_cluster = -1;
	must_fail_with(kube_config_load(&cfg, &ov), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "~/.kube/config");
	kube_config_release(&cfg);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	if (sk)
		setenv("KUBECONFIG", sk, 1);
	if (sh)
		setenv("HOME", sh, 1);
	else
		unsetenv("HOME");
	free(sk);
	free(sh);
}
