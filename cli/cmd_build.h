#ifndef GS_CMD_BUILD_H
#define GS_CMD_BUILD_H
/* Shared between cli/cmd_build.c and cli/build_render.c. */
#include <stddef.h>

struct app;
struct decrypt_ctx;
struct doc;
struct doc_list;
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
};

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

/* Render the app path of the tree at root into objs, generator files through the decrypt hook. */
int build_render(struct doc_list *objs, const struct build_opts *o, const struct app *app,
                 const char *root, struct decrypt_ctx *dc);

#endif
