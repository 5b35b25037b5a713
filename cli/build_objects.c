/*
 * gitseal build's pipeline as one call, for build and diff (cmd_build.h):
 * the shared options, then the source (a local checkout or a Git revision
 * through cli/build_source.c) and lib/pipeline (render, decrypt, apply order),
 * as the reconciler runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "cli/cmd_build.h"
#include "core/error.h"
#include "core/progress.h"
#include "decrypt/decrypt.h"
#include "render/render.h"

enum {
	O_REPO = 256,
	O_REVISION,
	O_PATH,
	O_APP_FILE,
	O_HELM_VALUES,
	O_SET,
	O_SSH_KEY,
	O_KNOWN_HOSTS,
	O_CA_FILE,
	O_PASSWORD_FILE,
	O_TIMEOUT,
	O_HELM,
	O_KUBECTL,
};

const struct cli_opt build_common_options[] = {
	{ "repo", O_REPO, required_argument, "URL",
	  "a Git repository (https, ssh://, git@host:path, git://, file://)" },
	{ "revision", O_REVISION, required_argument, "REV",
	  "branch, tag, semver range, commit (default HEAD)" },
	{ "path", O_PATH, required_argument, "P", "the directory to render, inside the tree" },
	{ "app-file", O_APP_FILE, required_argument, "F",
	  "read source and decryption from an Application manifest" },
	{ "helm-values", O_HELM_VALUES, required_argument, "F",
	  "a values file, relative to the chart or /from/the/root (repeatable)" },
	{ "set", O_SET, required_argument, "k=v", "a Helm parameter, after the Application's" },
	{ "ssh-key", O_SSH_KEY, required_argument, "F",
	  "private key for ssh (never written to disk)" },
	{ "known-hosts", O_KNOWN_HOSTS, required_argument, "F",
	  "the only host keys ssh accepts (default ~/.ssh/known_hosts)" },
	{ "ca-file", O_CA_FILE, required_argument, "F", "PEM CA bundle for https" },
	{ "password-file", O_PASSWORD_FILE, required_argument, "F",
	  "https password (or GITSEAL_GIT_PASSWORD; user: GITSEAL_GIT_USERNAME)" },
	{ "timeout", O_TIMEOUT, required_argument, "D",
	  "deadline of each Git operation and render (30s, 500ms, 2m)" },
	{ "helm", O_HELM, required_argument, "F", "the helm binary (GITSEAL_HELM; default: PATH)" },
	{ "kubectl", O_KUBECTL, required_argument, "F",
	  "kubectl >= 1.27 for Kustomize (GITSEAL_KUBECTL; default: PATH)" },
	{ NULL, 0, 0, NULL, NULL },
};

int build_opts_init(struct build_opts *o, int argc)
{
	memset(o, 0, sizeof(*o));
	if (!(o->helm_values = calloc((size_t)argc + 1, sizeof(*o->helm_values))) ||
	    !(o->sets = calloc((size_t)argc + 1, sizeof(*o->sets)))) {
		build_opts_release(o);
		fprintf(stderr, "error: out of memory\n");
		return -1;
	}
	return 0;
}

void build_opts_release(struct build_opts *o)
{
	free(o->helm_values);
	free(o->sets);
	o->helm_values = NULL;
	o->sets = NULL;
}

int build_opt(struct build_opts *o, int id, const char *arg)
{
	switch (id) {
	case O_REPO: o->repo = arg; return 1;
	case O_REVISION: o->revision = arg; return 1;
	case O_PATH: o->subpath = arg; return 1;
	case O_APP_FILE: o->app_file = arg; return 1;
	case O_HELM_VALUES: o->helm_values[o->nhelm_values++] = arg; return 1;
	case O_SET:
		if (!strchr(arg, '=') || arg[0] == '=') {
			fprintf(stderr, "error: --set %s: expected name=value\n", arg);
			return -1;
		}
		o->sets[o->nsets++] = arg;
		return 1;
	case O_SSH_KEY: o->ssh_key = arg; return 1;
	case O_KNOWN_HOSTS: o->known_hosts = arg; return 1;
	case O_CA_FILE: o->ca_file = arg; return 1;
	case O_PASSWORD_FILE: o->password_file = arg; return 1;
	case O_HELM: o->helm = arg; return 1;
	case O_KUBECTL: o->kubectl = arg; return 1;
	case O_TIMEOUT:
		if ((o->timeout_ms = cli_duration_ms(arg)) <= 0) {
			fprintf(stderr,
			        "error: --timeout %s: expected a duration (30s, 500ms, 2m)\n", arg);
			return -1;
		}
		return 1;
	default: return 0;
	}
}

int build_opts_args(struct build_opts *o, int argc, char **argv, int with_app)
{
	if (optind < argc)
		o->path = argv[optind++];
	if (optind < argc || (o->path && o->repo) ||
	    (o->revision && !o->repo && ((!o->app_file && !with_app) || o->path))) {
		fprintf(stderr, "error: %s\n",
		        optind < argc ? "one PATH at most"
		        : o->path && o->repo
		            ? "give PATH or --repo, not both"
		            : "--revision needs --repo (or an Application without PATH)");
		return -1;
	}
	return 0;
}

void build_result_release(struct build_result *r)
{
	pipeline_result_release(&r->res);
	app_free(r->app);
	r->app = NULL;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int build_objects(struct build_result *r, const struct build_opts *o)
{
	struct decrypt_ctx *dc = NULL;
	struct decrypt_opts dopts = DECRYPT_OPTS_INIT;
	struct pipeline_input in;
	struct render_opts ro = RENDER_OPTS_INIT;
	struct render_helm_param *params = NULL;
	struct build_source src;
	struct progress pg;
	const struct app *app = o->app;
	const char *root;
	size_t i;
	int rc;

	memset(&src, 0, sizeof(src));
	if (!app && o->app_file) {
		if ((rc = app_load_file(&r->app, o->app_file)) < 0)
			goto out;
		app = r->app;
	}
	if (app && app->source.chart && !o->path && !o->repo) {
		root = NULL; /* a chart from a Helm repository or registry: no tree */
	} else if (o->repo || (!o->path && app)) {
		/* --revision wins; the Application's targetRevision goes with its own repoURL only
		 */
		const char *url = o->repo ? o->repo : app->source.repo_url;
		const char *rev = o->revision ? o->revision
		                  : !o->repo  ? app->source.target_revision
		                              : NULL;
		if ((rc = build_source_open(&src, o, url, rev, &root)) < 0)
			goto out;
	} else {
		root = o->path ? o->path : ".";
	}
	if (root && !is_dir(root)) {
		rc = gs_error(GS_ENOTFOUND, "%s: not a directory", root);
		goto out;
	}
	pipeline_decrypt_opts(&dopts, root, app);
	if ((rc = decrypt_ctx_new(&dc, &dopts)) < 0 || (rc = decrypt_ctx_add_env(dc)) < 0 ||
	    (o->decryption_secret &&
	     (rc = decrypt_ctx_add_secret(dc, o->decryption_secret, DECRYPT_IDS_ANY)) < 0))
		goto out;
	/* --set name=value: the name is what comes before the first '=' */
	if (!(params = calloc(o->nsets + 1, sizeof(*params)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < o->nsets; i++) {
		const char *eq = strchr(o->sets[i], '=');
		if (!(params[i].name = strndup(o->sets[i], (size_t)(eq - o->sets[i])))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		params[i].value = eq + 1;
	}
	memset(&in, 0, sizeof(in));
	in.app = app;
	in.root = root;
	in.path = o->subpath;
	in.value_files = o->helm_values;
	in.nvalue_files = o->nhelm_values;
	in.params = params;
	in.nparams = o->nsets;
	ro.timeout_ms = (long)o->timeout_ms; /* 0: render's default */
	ro.tools.helm = o->helm;
	ro.tools.kubectl = o->kubectl;
	progress_start_elapsed(&pg, "rendering");
	rc = pipeline_build(&r->res, &in, &ro, dc);
	progress_end(&pg);
	if (rc < 0)
		goto out;
	for (i = 0; i < r->res.nwarnings; i++)
		fprintf(stderr, "warning: %s\n", r->res.warnings[i]);
out:
	for (i = 0; params && i < o->nsets; i++)
		free((char *)params[i].name);
	free(params);
	decrypt_ctx_free(dc);
	build_source_release(&src);
	if (rc < 0)
		build_result_release(r);
	return rc;
}
