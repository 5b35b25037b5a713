/* kubeconfig like kubectl: files merged first-wins, contexts, overrides; in-cluster config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/file.h"
#include "kube/kube_int.h"

#define KUBECONFIG_MAX ((size_t)16 << 20)
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void kube_config_release(struct kube_config *cfg)
{
	size_t i;
	if (!cfg)
		return;
	free(cfg->source);
	free(cfg->context);
	free(cfg->cluster_name);
	free(cfg->user_name);
	free(cfg->server);
	free(cfg->ns);
	free(cfg->tls_server_name);
	buf_release(&cfg->ca_pem);
	free(cfg->ca_file);
	buf_release(&cfg->client_cert_pem);
	free(cfg->client_cert_file);
	buf_release(&cfg->client_key_pem);
	free(cfg->client_key_file);
	gs_free_secret_str(cfg->token);
	free(cfg->token_file);
	free(cfg->username);
	gs_free_secret_str(cfg->password);
	free(cfg->impersonate_user);
	for (i = 0; i < cfg->nimpersonate_groups; i++)
		free(cfg->impersonate_groups[i]);
	free(cfg->impersonate_groups);
	if (cfg->exec) {
		free(cfg->exec->api_version);
		free(cfg->exec->command);
		free(cfg->exec->install_hint);
		for (i = 0; i < cfg->exec->nargs; i++)
			free(cfg->exec->args[i]);
		free(cfg->exec->args);
		for (i = 0; i < cfg->exec->nenv; i++)
			gs_free_secret_str(cfg->exec->env[i]);
		free(cfg->exec->env);
		free(cfg->exec);
	}
	free(cfg->proxy_url);
	memset(cfg, 0, sizeof(*cfg));
	buf_init(&cfg->ca_pem, 1 << 20, 0);
	buf_init(&cfg->client_cert_pem, 1 << 20, 0);
	buf_init(&cfg->client_key_pem, 1 << 20, 1);
}

/* The text of a scalar (any kind but null), else NULL. */
/* No CA: --insecure-skip-tls-verify given on the command line (kubectl clears it too). */
static void clear_ca(struct kube_config *cfg)
{
	buf_reset(&cfg->ca_pem);
	free(cfg->ca_file);
	cfg->ca_file = NULL;
}

static const char *sval(const struct doc *n)
{
	if (!doc_is_scalar(n) || doc_kind(n) == DOC_NULL)
		return NULL;
	return doc_text(n, NULL);
}

static int set_str(char **dst, const char *s)
{
	char *d;
	if (!s)
		return 0;
	if (!(d = strdup(s)))
		return gs_error(GS_ENOMEM, "out of memory");
	gs_free_secret_str(*dst);
	*dst = d;
	return 0;
}

/* A path in a kubeconfig is relative to that file's directory (as kubectl resolves it). */
static int set_path(char **dst, const char *path, const char *file)
{
	const char *slash;
	char *d;
	if (!path || !*path)
		return 0;
	if (path[0] == '/' || !file || !(slash = strrchr(file, '/')))
		return set_str(dst, path);
	if (asprintf(&d, "%.*s/%s", (int)(slash - file), file, path) < 0)
		return gs_error(GS_ENOMEM, "out of memory");
	free(*dst);
	*dst = d;
	return 0;
}

static int set_b64(struct buf *dst, const struct doc *n, const char *file, const char *what)
{
	const char *s = sval(n);
	int rc;
	if (!s)
		return 0;
	buf_reset(dst);
	if ((rc = base64_decode(dst, s, strlen(s), B64_GO_STD)) < 0)
		return gs_error(rc, "%s:%u: %s: not valid base64", file, doc_line(n), what);
	return 0;
}

/* Find `name` in the list `section` (clusters/users/contexts) of the first doc that has it. */
static const struct doc *find_named(struct doc *const *docs, const char *const *files, size_t n,
                                    const char *section, const char *name, const char **file)
{
	size_t i, j;
	for (i = 0; i < n; i++) {
		const struct doc *list = doc_get(docs[i], section);
		for (j = 0; j < doc_len(list) && doc_kind(list) == DOC_SEQ; j++) {
			const struct doc *e = doc_val_at(list, j);
			const char *nm = sval(doc_get(e, "name"));
			if (nm && !strcmp(nm, name)) {
				*file = files[i];
				return e;
			}
		}
	}
	return NULL;
}

static int files_list(struct buf *out, const char *const *files, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (buf_addf(out, "%s%s", i ? ":" : "", files[i]) < 0)
			return GS_ENOMEM;
	return 0;
}

static int load_exec(struct kube_config *cfg, const struct doc *ex, const char *file)
{
	struct kube_exec_config *e;
	const struct doc *args = doc_get(ex, "args"), *env = doc_get(ex, "env");
	size_t i;
	int rc = 0;

	if (!(e = calloc(1, sizeof(*e))))
		return gs_error(GS_ENOMEM, "out of memory");
	cfg->exec = e;
	if (!sval(doc_get(ex, "command")))
		return gs_error(GS_EPARSE, "%s:%u: user \"%s\": exec has no command", file,
		                doc_line(ex), cfg->user_name);
	if ((rc = set_str(&e->command, sval(doc_get(ex, "command")))) < 0 ||
	    (rc = set_str(&e->api_version, sval(doc_get(ex, "apiVersion")))) < 0 ||
	    (rc = set_str(&e->install_hint, sval(doc_get(ex, "installHint")))) < 0)
		return rc;
	doc_get_bool(doc_get(ex, "provideClusterInfo"), &e->provide_cluster_info);
	if (doc_len(args) && (e->args = calloc(doc_len(args), sizeof(char *))))
		for (i = 0; i < doc_len(args); i++)
			if (sval(doc_val_at(args, i)) &&
			    (rc = set_str(&e->args[e->nargs++], sval(doc_val_at(args, i)))) < 0)
				return rc;
	if (doc_len(env) && (e->env = calloc(doc_len(env), sizeof(char *))))
		for (i = 0; i < doc_len(env); i++) {
			const char *k = sval(doc_get(doc_val_at(env, i), "name"));
			const char *v = sval(doc_get(doc_val_at(env, i), "value"));
			if (!k)
				return gs_error(GS_EPARSE, "%s:%u: exec env entry without a name",
				                file, doc_line(doc_val_at(env, i)));
			if (asprintf(&e->env[e->nenv], "%s=%s", k, v ? v : "") < 0)
				return gs_error(GS_ENOMEM, "out of memory");
			e->nenv++;
		}
	if (e->api_version && strcmp(e->api_version, "client.authentication.k8s.io/v1") &&
	    strcmp(e->api_version, "client.authentication.k8s.io/v1beta1"))
		return gs_error(GS_EPARSE,
		                "%s:%u: exec apiVersion \"%s\" is not supported (want "
		                "client.authentication.k8s.io/v1 or v1beta1)",
		                file, doc_line(ex), e->api_version);
	return 0;
}

int kube_config_from_docs(struct kube_config *cfg, struct doc *const *docs,
                          const char *const *files, size_t n, const struct kube_overrides *ov)
{
	struct kube_overrides none = KUBE_OVERRIDES_INIT;
	const struct doc *ctx = NULL, *cl = NULL, *us = NULL, *u, *c, *g;
	const char *ctxfile = NULL, *clfile = NULL, *usfile = NULL, *name = NULL;
	struct buf src = BUF_INIT(1 << 16);
	size_t i;
	int rc = 0, b;

	if (!ov)
		ov = &none;
	if ((rc = files_list(&src, files, n)) < 0 || (rc = set_str(&cfg->source, src.p)) < 0)
		goto out;
	name = ov->context;
	for (i = 0; !name && i < n; i++) {
		const char *cur = sval(doc_get(docs[i], "current-context"));
		if (cur && *cur)
			name = cur;
	}
	if (name) {
		if (!(ctx = find_named(docs, files, n, "contexts", name, &ctxfile))) {
			rc = gs_error(GS_ENOTFOUND, "%s: context \"%s\" not found", src.p, name);
			goto out;
		}
		ctx = doc_get(ctx, "context");
	} else if (!ov->server) {
		rc = gs_error(GS_EINVAL, "%s: no current-context is set (use --context)", src.p);
		goto out;
	}
	if ((rc = set_str(&cfg->context, name ? name : "")) < 0 ||
	    (rc = set_str(&cfg->cluster_name,
	                  ov->cluster ? ov->cluster : sval(doc_get(ctx, "cluster")))) < 0 ||
	    (rc = set_str(&cfg->user_name, ov->user ? ov->user : sval(doc_get(ctx, "user")))) < 0 ||
	    (rc = set_str(&cfg->ns, ov->ns ? ov->ns : sval(doc_get(ctx, "namespace")))) < 0)
		goto out;

	if (cfg->cluster_name &&
	    !(cl = find_named(docs, files, n, "clusters", cfg->cluster_name, &clfile)) &&
	    !ov->server) {
		rc = gs_error(GS_ENOTFOUND, "%s: cluster \"%s\" (of context \"%s\") not found",
		              src.p, cfg->cluster_name, name ? name : "");
		goto out;
	}
	if (!cfg->cluster_name && !ov->server) {
		rc = gs_error(GS_EINVAL, "%s: context \"%s\" names no cluster", src.p,
		              name ? name : "");
		goto out;
	}
	c = doc_get(cl, "cluster");
	if ((rc = set_str(&cfg->server, ov->server ? ov->server : sval(doc_get(c, "server")))) <
	        0 ||
	    (rc = set_str(&cfg->tls_server_name, sval(doc_get(c, "tls-server-name")))) < 0 ||
	    (rc = set_str(&cfg->proxy_url, sval(doc_get(c, "proxy-url")))) < 0 ||
	    (rc = set_b64(&cfg->ca_pem, doc_get(c, "certificate-authority-data"), clfile,
	                  "certificate-authority-data")) < 0 ||
	    (rc = set_path(&cfg->ca_file, sval(doc_get(c, "certificate-authority")), clfile)) < 0)
		goto out;
	if (doc_get_bool(doc_get(c, "insecure-skip-tls-verify"), &b) == 0)
		cfg->insecure = b;
	if (ov->insecure_skip_tls_verify) {
		/* as kubectl: --insecure-skip-tls-verify drops the kubeconfig's CA */
		cfg->insecure = 1;
		clear_ca(cfg);
	} else if (cfg->insecure && (cfg->ca_pem.len || cfg->ca_file)) {
		rc = gs_error(GS_EINVAL,
		              "%s: cluster \"%s\": specifying a root certificates file with the "
		              "insecure flag is not allowed",
		              src.p, cfg->cluster_name ? cfg->cluster_name : "");
		goto out;
	}
	if (!cfg->server || !*cfg->server) {
		rc = gs_error(GS_EINVAL, "%s: cluster \"%s\" has no server", src.p,
		              cfg->cluster_name ? cfg->cluster_name : "");
		goto out;
	}

	if (cfg->user_name &&
	    !(us = find_named(docs, files, n, "users", cfg->user_name, &usfile)) && !ov->token) {
		rc = gs_error(GS_ENOTFOUND, "%s: user \"%s\" (of context \"%s\") not found", src.p,
		              cfg->user_name, name ? name : "");
		goto out;
	}
	u = doc_get(us, "user");
	if ((rc = set_b64(&cfg->client_cert_pem, doc_get(u, "client-certificate-data"), usfile,
	                  "client-certificate-data")) < 0 ||
	    (rc = set_b64(&cfg->client_key_pem, doc_get(u, "client-key-data"), usfile,
	                  "client-key-data")) < 0 ||
	    (rc = set_path(&cfg->client_cert_file, sval(doc_get(u, "client-certificate")),
	                   usfile)) < 0 ||
	    (rc = set_path(&cfg->client_key_file, sval(doc_get(u, "client-key")), usfile)) < 0 ||
	    (rc = set_str(&cfg->token, ov->token ? ov->token : sval(doc_get(u, "token")))) < 0 ||
	    (rc = set_path(&cfg->token_file, sval(doc_get(u, "tokenFile")), usfile)) < 0 ||
	    (rc = set_str(&cfg->username, sval(doc_get(u, "username")))) < 0 ||
	    (rc = set_str(&cfg->password, sval(doc_get(u, "password")))) < 0 ||
	    (rc = set_str(&cfg->impersonate_user, sval(doc_get(u, "as")))) < 0)
		goto out;
	if (ov->token) { /* --token replaces every other credential of the user, as in kubectl */
		free(cfg->token_file);
		cfg->token_file = NULL;
	}
	g = doc_get(u, "as-groups");
	if (doc_kind(g) == DOC_SEQ && doc_len(g)) {
		if (!(cfg->impersonate_groups = calloc(doc_len(g), sizeof(char *)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < doc_len(g); i++)
			if (sval(doc_val_at(g, i)) &&
			    (rc = set_str(&cfg->impersonate_groups[cfg->nimpersonate_groups++],
			                  sval(doc_val_at(g, i)))) < 0)
				goto out;
	}
	if (doc_get(u, "exec") && !ov->token &&
	    (rc = load_exec(cfg, doc_get(u, "exec"), usfile)) < 0)
		goto out;
	if (doc_get(u, "auth-provider") && !cfg->token && !cfg->exec) {
		rc = gs_error(
		    GS_EINVAL,
		    "%s:%u: user \"%s\": auth-provider plugins are not supported (use exec)",
		    usfile, doc_line(doc_get(u, "auth-provider")), cfg->user_name);
		goto out;
	}
	if ((cfg->client_cert_pem.len || cfg->client_cert_file) !=
	    (cfg->client_key_pem.len || cfg->client_key_file)) {
		rc = gs_error(GS_EINVAL,
		              "%s: user \"%s\": a client certificate needs a client key and the "
		              "other way round",
		              usfile, cfg->user_name);
		goto out;
	}
	if (!cfg->ns || !*cfg->ns)
		rc = set_str(&cfg->ns, "default");
out:
	buf_release(&src);
	return rc;
}

int kube_config_in_cluster(struct kube_config *cfg, const char *dir)
{
	struct buf ns = BUF_INIT(4096);
	const char *host = getenv("KUBERNETES_SERVICE_HOST"),
	           *port = getenv("KUBERNETES_SERVICE_PORT");
	char *p = NULL;
	int rc = 0;

	if (!dir)
		dir = SA_DIR;
	if (!host || !*host || !port || !*port)
		return gs_error(
		    GS_ENOTFOUND,
		    "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
	if (asprintf(&cfg->server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
	             port) < 0 ||
	    asprintf(&cfg->token_file, "%s/token", dir) < 0 ||
	    asprintf(&cfg->ca_file, "%s/ca.crt", dir) < 0 ||
	    asprintf(&p, "%s/namespace", dir) < 0) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (!file_exists(cfg->token_file)) {
		rc = gs_error(GS_ENOTFOUND,
		              "in-cluster: %s does not exist (no service account token mounted?)",
		              cfg->token_file);
		goto out;
	}
	if (!file_exists(cfg->ca_file)) {
		free(cfg->ca_file);
		cfg->ca_file = NULL;
	}
	if (file_read(&ns, p) == 0) {
		size_t n = strcspn(ns.p, " \r\n");
		buf_truncate(&ns, n);
	}
	rc = set_str(&cfg->ns, ns.len ? ns.p : "default");
	if (rc == 0)
		rc = set_str(&cfg->source, "in-cluster");
	if (rc == 0)
		rc = set_str(&cfg->context, "");
out:
	free(p);
	buf_release(&ns);
	return rc;
}

static int apply_overrides(struct kube_config *cfg, const struct kube_overrides *ov)
{
	int rc;
	if ((rc = set_str(&cfg->ns, ov->ns)) < 0 || (rc = set_str(&cfg->server, ov->server)) < 0 ||
	    (rc = set_str(&cfg->token, ov->token)) < 0)
		return rc;
	if (ov->token) {
		free(cfg->token_file);
		cfg->token_file = NULL;
	}
	if (ov->insecure_skip_tls_verify) {
		cfg->insecure = 1;
		clear_ca(cfg);
	}
	return 0;
}

int kube_config_load(struct kube_config *cfg, const struct kube_overrides *ov)
{
	struct kube_overrides none = KUBE_OVERRIDES_INIT;
	struct doc *docs[32] = { NULL };
	char *paths[32] = { NULL };
	char *list = NULL, *home = NULL;
	const char *env = getenv("KUBECONFIG");
	size_t n = 0, i;
	int rc = 0;

	if (!ov)
		ov = &none;
	if (ov->in_cluster == 1) {
		if ((rc = kube_config_in_cluster(cfg, NULL)) == 0)
			rc = apply_overrides(cfg, ov);
		return rc;
	}
	if (ov->kubeconfig) {
		if (!(paths[n++] = strdup(ov->kubeconfig)))
			return gs_error(GS_ENOMEM, "out of memory");
	} else if (env && *env) {
		char *save = NULL, *tok;
		if (!(list = strdup(env)))
			return gs_error(GS_ENOMEM, "out of memory");
		for (tok = strtok_r(list, ":", &save); tok && n < 32;
		     tok = strtok_r(NULL, ":", &save))
			if (*tok &&
			    file_exists(tok)) /* kubectl skips the missing files of the list */
				if (!(paths[n++] = strdup(tok))) {
					rc = gs_error(GS_ENOMEM, "out of memory");
					goto out;
				}
	} else if (getenv("HOME") && asprintf(&home, "%s/.kube/config", getenv("HOME")) >= 0 &&
	           file_exists(home)) {
		paths[n++] = home;
		home = NULL;
	}
	if (n == 0) {
		if (ov->in_cluster == 0 && getenv("KUBERNETES_SERVICE_HOST")) {
			if ((rc = kube_config_in_cluster(cfg, NULL)) == 0)
				rc = apply_overrides(cfg, ov);
			goto out;
		}
		rc = gs_error(GS_ENOTFOUND, "no Kubernetes configuration: %s",
		              env && *env
		                  ? "none of the files in $KUBECONFIG exists"
		                  : "set $KUBECONFIG, create ~/.kube/config or pass --kubeconfig");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct buf b = BUF_INIT_SECRET(KUBECONFIG_MAX);
		if ((rc = file_read(&b, paths[i])) == 0)
			rc = doc_parse_one(&docs[i], paths[i], b.p, b.len, DOC_PARSE_SECRET);
		buf_release(&b);
		if (rc < 0)
			goto out;
		if (docs[i] && doc_kind(docs[i]) != DOC_MAP) {
			rc = gs_error(GS_EPARSE,
			              "%s: not a kubeconfig (a map with clusters, users, contexts)",
			              paths[i]);
			goto out;
		}
	}
	rc = kube_config_from_docs(cfg, docs, (const char *const *)paths, n, ov);
out:
	for (i = 0; i < n; i++) {
		doc_free(docs[i]);
		free(paths[i]);
	}
	free(list);
	free(home);
	return rc;
}
