/*
 * gitseal build: source -> render -> decrypt, printed in apply order: exactly
 * what the controller would apply for an Application, on a developer's
 * machine. Secret values are masked as *** unless --show-secrets. Any error
 * exits 1 with its file:line and prints nothing on stdout.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "cli/cli.h"
#include "cli/cmd_build.h"
#include "core/error.h"
#include "core/file.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"
#include "pipeline/pipeline.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: gitseal build [PATH | --repo URL [--revision REV] [--path P]] [--app-file F]\n"
	    "                     [--helm-values F]... [--set k=v]... [-o yaml|json] "
	    "[--show-secrets]\n"
	    "Render a directory (PATH, default .), or a Git revision, and decrypt its SOPS Secrets "
	    "as\n"
	    "gitseal-controller would: prints the objects it would apply, in apply order.\n\n"
	    "  PATH               a local checkout: the repository root (with --app-file or "
	    "--path)\n"
	    "  --repo URL         a Git repository (https, ssh://, git@host:path, git://, "
	    "file://)\n"
	    "  --revision REV     branch, tag, semver range, commit (default HEAD)\n"
	    "  --path P           the directory to render, inside the repository\n"
	    "  --app-file F       read source and decryption from an Application manifest\n"
	    "  --helm-values F    a values file, relative to the chart (or /from/the/repo/root)\n"
	    "  --set k=v          a Helm parameter (after the Application's)\n"
	    "  -o, --output FMT   yaml (default) or json (a v1 List)\n"
	    "  --show-secrets     print Secret values instead of ***\n\n"
	    "Age identities: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or\n"
	    "~/.config/sops/age/keys.txt, as sops finds them.\n");
}

/* --- progress on a terminal: a line after half a second, erased at the end ------------ */

struct ticker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *what;
	int done, started, drawn;
};

static void *tick(void *arg)
{
	struct ticker *t = arg;
	struct timespec start, dl;
	clock_gettime(CLOCK_REALTIME, &start);
	dl = start;
	dl.tv_nsec += 500000000L;
	pthread_mutex_lock(&t->mu);
	for (;;) {
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		while (!t->done && pthread_cond_timedwait(&t->cv, &t->mu, &dl) == 0)
			;
		if (t->done)
			break;
		{
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			fprintf(stderr, "\r%s... %.1fs", t->what,
			        (double)(now.tv_sec - start.tv_sec) +
			            (double)(now.tv_nsec - start.tv_nsec) / 1e9);
			fflush(stderr);
			t->drawn = 1;
		}
		dl.tv_nsec += 100000000L;
	}
	if (t->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

static void ticker_start(struct ticker *t, const char *what)
{
	const char *off = getenv("GITSEAL_NO_PROGRESS");
	memset(t, 0, sizeof(*t));
	t->what = what;
	if (!isatty(2) || (off && *off))
		return;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->started = pthread_create(&t->th, NULL, tick, t) == 0;
}

static void ticker_stop(struct ticker *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->mu);
	t->done = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	t->started = 0;
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
	struct pipeline_result res = PIPELINE_RESULT_INIT;
	struct pipeline_input in;
	struct render_opts ro = RENDER_OPTS_INIT;
	struct render_helm_param *params = NULL;
	struct app *app = NULL;
	struct decrypt_ctx *dc = NULL;
	struct decrypt_opts dopts = DECRYPT_OPTS_INIT;
	struct ticker tk;
	size_t i;
	const char *root;
	int rc;

	if (o->app_file && (rc = app_load_file(&app, o->app_file)) < 0)
		goto out;
	if (o->repo || (!o->path && app)) {
		/* TODO(lead): --repo and an Application's repoURL go through lib/source once it is
		 * on main */
		rc = gs_error(
		    GS_EINVAL,
		    "%s: fetching from Git is not wired yet: give a local checkout as PATH",
		    o->repo ? o->repo : app->source.repo_url);
		goto out;
	}
	root = o->path ? o->path : ".";
	if (!is_dir(root)) {
		rc = gs_error(GS_ENOTFOUND, "%s: not a directory", root);
		goto out;
	}
	pipeline_decrypt_opts(&dopts, root, app);
	if ((rc = decrypt_ctx_new(&dc, &dopts)) < 0 || (rc = decrypt_ctx_add_env(dc)) < 0)
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
	ticker_start(&tk, "rendering");
	rc = pipeline_build(&res, &in, &ro, dc);
	ticker_stop(&tk);
	if (rc < 0)
		goto out;
	for (i = 0; i < res.nwarnings; i++)
		fprintf(stderr, "warning: %s\n", res.warnings[i]);
	for (i = 0; i < res.n; i++)
		if (!o->show_secrets && (rc = mask(res.objs[i], res.flags[i])) < 0)
			goto out;
	rc = emit(out, res.objs, res.n, o->json);
out:
	for (i = 0; params && i < o->nsets; i++)
		free((char *)params[i].name);
	free(params);
	pipeline_result_release(&res);
	decrypt_ctx_free(dc);
	app_free(app);
	return rc;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "revision", required_argument, NULL, 'R' },
		{ "path", required_argument, NULL, 'p' },
		{ "app-file", required_argument, NULL, 'a' },
		{ "helm-values", required_argument, NULL, 'f' },
		{ "set", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
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
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': o.repo = optarg; break;
		case 'R': o.revision = optarg; break;
		case 'p': o.subpath = optarg; break;
		case 'a': o.app_file = optarg; break;
		case 'f': o.helm_values[o.nhelm_values++] = optarg; break;
		case 's':
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
		case 'S': o.show_secrets = 1; break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto done;
		default: usage(stderr); goto done;
		}
	}
	if (optind < argc)
		o.path = argv[optind++];
	if (optind < argc || (o.path && o.repo) || (o.revision && !o.repo)) {
		fprintf(stderr, "error: %s\n",
		        optind < argc ? "one PATH at most"
		        : o.path      ? "give PATH or --repo, not both"
		                      : "--revision needs --repo");
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
