/*
 * gitseal build: source -> render -> decrypt, printed in apply order: exactly
 * what the controller would apply for an Application, on a developer's
 * machine. Secret values are masked as *** unless --show-secrets. Any error
 * exits 1 with its file:line and prints nothing on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "apply/order.h"
#include "cli/cli.h"
#include "cli/cmd_build.h"
#include "core/error.h"
#include "core/file.h"
#include "core/progress.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"

enum {
	O_REPO = 256,
	O_REVISION,
	O_PATH,
	O_APP_FILE,
	O_HELM_VALUES,
	O_SET,
	O_SHOW_SECRETS,
	O_SSH_KEY,
	O_KNOWN_HOSTS,
	O_CA_FILE,
	O_PASSWORD_FILE,
	O_TIMEOUT,
	O_HELM,
	O_KUBECTL,
};

static const struct cli_opt build_options[] = {
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
	{ "output", 'o', required_argument, "yaml|json", "yaml (default) or json (a v1 List)" },
	{ "show-secrets", O_SHOW_SECRETS, no_argument, NULL, "print Secret values instead of ***" },
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
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: gitseal build [PATH | --repo URL [--revision REV]] [--path P] [--app-file F]\n"
	    "                     [--helm-values F]... [--set k=v]... [-o yaml|json] "
	    "[--show-secrets]\n"
	    "Render a local checkout (PATH, default .) or a Git revision and decrypt its SOPS\n"
	    "files as gitseal-controller would: prints the objects it would apply, in apply\n"
	    "order. Exit 1 on any error (naming the file), 2 on a usage error.\n\n");
	cli_opt_help(f, build_options);
	fprintf(f, "\nGit timeouts default to 60s, renders to 90s. Age identities: SOPS_AGE_KEY,\n"
	           "SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or ~/.config/sops/age/keys.txt, as sops\n"
	           "finds them.\n");
}

/* --- masking ------------------------------------------------------------------------------ */

static int mask_values(struct doc *m)
{
	size_t i;
	int rc;
	for (i = 0; doc_kind(m) == DOC_MAP && i < doc_len(m); i++) {
		struct doc *v = doc_val_at(m, i);
		if (doc_is_scalar(v) && doc_kind(v) != DOC_NULL) {
			if ((rc = doc_set_scalar(v, DOC_STR, "***", 3)) < 0)
				return rc;
			doc_set_style(v, DOC_STYLE_ANY);
		}
	}
	return 0;
}

/* Every scalar of a decrypted object outside apiVersion/kind/metadata. */
static int mask_tree(struct doc *n, int top)
{
	size_t i;
	int rc;
	if (doc_kind(n) == DOC_MAP || doc_kind(n) == DOC_SEQ) {
		for (i = 0; i < doc_len(n); i++) {
			if (top && doc_kind(n) == DOC_MAP) {
				const char *k = doc_text(doc_key_at(n, i), NULL);
				if (!strcmp(k, "apiVersion") || !strcmp(k, "kind") ||
				    !strcmp(k, "metadata"))
					continue;
			}
			if ((rc = mask_tree(doc_val_at(n, i), 0)) < 0)
				return rc;
		}
		return 0;
	}
	if (doc_kind(n) == DOC_NULL)
		return 0;
	if ((rc = doc_set_scalar(n, DOC_STR, "***", 3)) < 0)
		return rc;
	doc_set_style(n, DOC_STYLE_ANY);
	return 0;
}

static int mask(struct doc *obj, unsigned flags)
{
	const char *kind = doc_k8s_kind(obj), *av = doc_str(doc_get(obj, "apiVersion"));
	int rc;
	if (kind && !strcmp(kind, "Secret") && (!av || !strchr(av, '/'))) {
		if ((rc = mask_values(doc_get(obj, "data"))) < 0)
			return rc;
		return mask_values(doc_get(obj, "stringData"));
	}
	if (flags & DECRYPT_OBJ_SOPS) /* a SOPS-encrypted ConfigMap or custom object */
		return mask_tree(obj, 1);
	return 0;
}

/* --- output ---------------------------------------------------------------------------------- */

static int emit(struct buf *out, struct doc **objs, size_t n, int json)
{
	struct doc_emit_opts yo = DOC_EMIT_OPTS_INIT, jo = { 4, 0 };
	struct doc *list = NULL, *items = NULL;
	size_t i;
	int rc;

	if (!json)
		return doc_emit_stream_yaml(out, objs, n, &yo);
	/* one JSON value, as kubectl get -o json prints several objects */
	if (!(list = doc_new_map()) || (rc = doc_set(list, "apiVersion", doc_new_strz("v1"))) < 0 ||
	    (rc = doc_set(list, "kind", doc_new_strz("List"))) < 0 ||
	    (rc = doc_set(list, "items", items = doc_new_seq())) < 0) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct doc *c = doc_clone(objs[i]);
		if (!c || (rc = doc_push(items, c)) < 0) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = doc_emit_json(out, list, &jo)) >= 0)
		rc = buf_addc(out, '\n');
out:
	doc_free(list);
	return rc;
}

/* --- the pipeline ------------------------------------------------------------------------------
 */

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int run(const struct build_opts *o, struct buf *out)
{
	struct doc_list objs = DOC_LIST_INIT;
	struct app *app = NULL;
	struct decrypt_ctx *dc = NULL;
	struct decrypt_opts dopts = DECRYPT_OPTS_INIT;
	struct build_source src;
	struct progress pg;
	size_t *order = NULL, i;
	unsigned *flags = NULL;
	struct doc **sorted = NULL;
	const char *root;
	int rc;

	memset(&src, 0, sizeof(src));
	if (o->app_file && (rc = app_load_file(&app, o->app_file)) < 0)
		goto out;
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
	dopts.root = root;
	dopts.require_encrypted = app ? app->decryption.require_encrypted : 0;
	if ((rc = decrypt_ctx_new(&dc, &dopts)) < 0 || (rc = decrypt_ctx_add_env(dc)) < 0)
		goto out;
	progress_start_elapsed(&pg, "rendering");
	rc = build_render(&objs, o, app, root, dc);
	progress_end(&pg);
	if (rc < 0)
		goto out;
	if (!(flags = calloc(objs.n + 1, sizeof(*flags))) ||
	    !(order = calloc(objs.n + 1, sizeof(*order))) ||
	    !(sorted = calloc(objs.n + 1, sizeof(*sorted)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = decrypt_objects(dc, objs.objs, objs.n, flags)) < 0)
		goto out;
	if ((rc = apply_order(order, objs.objs, objs.n, 0)) < 0)
		goto out;
	for (i = 0; i < objs.n; i++) {
		if (!o->show_secrets && (rc = mask(objs.objs[order[i]], flags[order[i]])) < 0)
			goto out;
		sorted[i] = objs.objs[order[i]];
	}
	rc = emit(out, sorted, objs.n, o->json);
out:
	free(sorted);
	free(order);
	free(flags);
	doc_list_release(&objs);
	decrypt_ctx_free(dc);
	build_source_release(&src);
	app_free(app);
	return rc;
}

/* "30s", "500ms", "2m", or seconds: 1 ms to a day; -1 when it is none of these */
static long long parse_duration_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end), ms;
	if (end == s || !(v > 0)) /* !(v > 0): NaN too */
		return -1;
	if (!strcmp(end, "ms"))
		ms = v;
	else if (!*end || !strcmp(end, "s"))
		ms = v * 1000;
	else if (!strcmp(end, "m"))
		ms = v * 60000;
	else
		return -1;
	return ms >= 1 && ms <= 86400000.0 ? (long long)ms : -1;
}

int cmd_build(int argc, char **argv)
{
	struct cli_getopt g;
	struct build_opts o;
	struct buf out = BUF_INIT_SECRET(BUF_MAX_FILE);
	int opt, ret = 2;

	memset(&o, 0, sizeof(o));
	if (!(o.helm_values = calloc((size_t)argc + 1, sizeof(*o.helm_values))) ||
	    !(o.sets = calloc((size_t)argc + 1, sizeof(*o.sets)))) {
		fprintf(stderr, "error: out of memory\n");
		ret = 1;
		goto done;
	}
	cli_getopt_init(&g, build_options);
	optind = 1;
	while ((opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		switch (opt) {
		case O_REPO: o.repo = optarg; break;
		case O_REVISION: o.revision = optarg; break;
		case O_PATH: o.subpath = optarg; break;
		case O_APP_FILE: o.app_file = optarg; break;
		case O_HELM_VALUES: o.helm_values[o.nhelm_values++] = optarg; break;
		case O_SET:
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "error: --set %s: expected name=value\n", optarg);
				goto done;
			}
			o.sets[o.nsets++] = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "yaml") && strcmp(optarg, "json")) {
				fprintf(stderr, "error: -o %s: expected yaml or json\n", optarg);
				goto done;
			}
			o.json = !strcmp(optarg, "json");
			break;
		case O_SHOW_SECRETS: o.show_secrets = 1; break;
		case O_SSH_KEY: o.ssh_key = optarg; break;
		case O_KNOWN_HOSTS: o.known_hosts = optarg; break;
		case O_CA_FILE: o.ca_file = optarg; break;
		case O_PASSWORD_FILE: o.password_file = optarg; break;
		case O_HELM: o.helm = optarg; break;
		case O_KUBECTL: o.kubectl = optarg; break;
		case O_TIMEOUT:
			if ((o.timeout_ms = parse_duration_ms(optarg)) <= 0) {
				fprintf(
				    stderr,
				    "error: --timeout %s: expected a duration (30s, 500ms, 2m)\n",
				    optarg);
				goto done;
			}
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto done;
		default: usage(stderr); goto done;
		}
	}
	if (optind < argc)
		o.path = argv[optind++];
	if (optind < argc || (o.path && o.repo) ||
	    (o.revision && !o.repo && (!o.app_file || o.path))) {
		fprintf(stderr, "error: %s\n",
		        optind < argc ? "one PATH at most"
		        : o.path && o.repo
		            ? "give PATH or --repo, not both"
		            : "--revision needs --repo (or --app-file without PATH)");
		goto done;
	}
	if (run(&o, &out) < 0) {
		ret = cli_die_last(NULL);
		goto done;
	}
	ret = file_write_all(1, out.p, out.len, "stdout") < 0 ? cli_die_last(NULL) : 0;
done:
	free(o.helm_values);
	free(o.sets);
	buf_release(&out);
	return ret;
}
