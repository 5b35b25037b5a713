#ifndef GS_CMD_BUILD_H
#define GS_CMD_BUILD_H
/*
 * gitseal build's pipeline, shared by cli/cmd_build.c and cli/cmd_diff.c
 * (cli/build_objects.c runs it: the source step in cli/build_source.c, then
 * lib/pipeline's render, decrypt and order, which the reconciler runs too).
 */
#include <stddef.h>

#include "cli/cli.h"
#include "pipeline/pipeline.h"

struct app;
struct decrypt_ctx;
struct doc;
struct source_cache;
struct source_tree;
struct source_creds;

struct build_opts {
	const char *path; /* PATH: a local checkout (the tree root) */
	const char *repo, *revision;
	const char *subpath; /* --path */
	const char *app_file;
	const char **helm_values;
	size_t nhelm_values;
	const char **sets; /* "name=value" */
	size_t nsets;
	int json;
	int show_secrets;
	/* --repo: credentials and deadline */
	const char *ssh_key, *known_hosts, *ca_file, *password_file;
	long long timeout_ms; /* 0: lib/source's and lib/render's defaults */
	/* --helm, --kubectl (NULL: GITSEAL_HELM / GITSEAL_KUBECTL, else the first in PATH) */
	const char *helm, *kubectl;
	/* an Application parsed by the caller (gitseal diff --app: from the cluster), used as
	 * --app-file's would be; borrowed */
	const struct app *app;
	/* its decryption Secret as read from the cluster (gitseal diff --app): the .agekey entries
	 * join the local identities; borrowed */
	const struct doc *decryption_secret;
};

/*
 * The options build and diff share (ids 256..299): the source (PATH or --repo, --revision,
 * --path, --app-file), Helm values and parameters, Git credentials, deadlines and tools.
 */
extern const struct cli_opt build_common_options[];
/* Arrays for the repeatable options (argc entries at most); build_opts_release() frees them. */
int build_opts_init(struct build_opts *o, int argc);
void build_opts_release(struct build_opts *o);
/* One of build_common_options into o: 1 taken, 0 not one of them, -1 a bad value (printed). */
int build_opt(struct build_opts *o, int id, const char *arg);
/* After getopt: at most one PATH (argv[optind]) and flags that go together (with_app: an
 * Application comes from elsewhere, as --app-file's would); -1 (printed) if not. */
int build_opts_args(struct build_opts *o, int argc, char **argv, int with_app);

/* What a build yields: decrypted objects (plaintext in DOC_SECRET trees) in apply order. */
struct build_result {
	struct pipeline_result res; /* objs, flags, n (and the renderer's warnings, printed) */
	struct app *app;            /* --app-file's Application (owned), or NULL */
};
#define BUILD_RESULT_INIT                                                                          \
	{                                                                                          \
		PIPELINE_RESULT_INIT, NULL                                                         \
	}
/* Source, render, decrypt and order as o says (progress on a terminal). r stays empty on failure;
 * errors name the file. */
int build_objects(struct build_result *r, const struct build_opts *o);
void build_result_release(struct build_result *r);

/* A fetched revision, kept while its tree is read. */
struct build_source {
	struct source_cache *cache;
	struct source_tree *tree;
	struct source_creds *creds;
};
/* Fetch url at revision (NULL: HEAD) and export it; *root is the tree's path. */
int build_source_open(struct build_source *bs, const struct build_opts *o, const char *url,
                      const char *revision, const char **root);
void build_source_release(struct build_source *bs);

#endif
