#ifndef GS_RENDER_INT_H
#define GS_RENDER_INT_H
/*
 * Private to lib/render: the state of one render, the child-process runner,
 * the staging directory, and the one interface renderers sit behind.
 */
#include <stddef.h>

#include "render/render.h"

#define RENDER__TIMEOUT_MS 90000L
#define RENDER__OUTPUT_MAX ((size_t)64 << 20)
#define RENDER__STAGE_MAX ((size_t)256 << 20) /* bytes copied into a staged tree */
#define RENDER__STAGE_FILES 100000

/* One render in progress. */
struct render__ctx {
	const struct render_source *src;
	const struct render_opts *opts;
	struct render_result *res;
	char *root;    /* realpath of the tree */
	char *app;     /* app path from the root, normalised: "" for the root, else "a/b" */
	char *tmpbase; /* where private directories go (in memory) */
	char *priv;    /* this render's private 0700 directory (HOME, helm dirs, values, copies) */
	char *helm, *kubectl, *kustomize; /* resolved tool paths (NULL: none) */
	char **env;                       /* the children's environment (NULL-terminated) */
	long timeout_ms;
	size_t output_max;
};

/* "dir/name", "name" when dir is "" (malloc'd, NULL on failure). */
char *render__join(const char *dir, const char *name);
/*
 * Resolve rel (relative to the directory base, itself relative to the root)
 * to a path from the root, refusing anything that leaves the tree, also
 * through symlinks. *out is malloc'd ("" = the root). what names it in errors.
 */
int render__resolve(char **out, struct render__ctx *c, const char *base, const char *rel,
                    const char *what);
/* Absolute path of rel (from the root) in the tree (malloc'd). */
char *render__abs(struct render__ctx *c, const char *rel);
int render__warn(struct render__ctx *c, const char *fmt, ...) GS_PRINTF(2, 3);
/* Make this render's private directory (once). */
int render__private_dir(struct render__ctx *c);
/* Append the file rel (from the root) to out; errors name rel. */
int render__read_file(struct render__ctx *c, const char *rel, struct buf *out);
/* Is there a regular file (or a symlink to one) at rel from the root? */
int render__is_file(struct render__ctx *c, const char *rel);
int render__is_dir(struct render__ctx *c, const char *rel);

/* ---- child processes (exec.c) ---- */
struct render__cmd {
	const char *const *argv; /* argv[0]: the tool's path */
	const char *cwd;         /* NULL: the private directory */
	const char *what;        /* "kustomize overlays/prod" for messages */
	const char *cut; /* a path prefix removed from stderr (the tree's or a copy's root + "/") */
	int secret_out;  /* stdout may hold plaintext: out is a secret buffer */
};
/* Run the command; stdout into out (capped at c->output_max). A non-zero exit, a signal, the
 * deadline or the cap: an error "what: <stderr>" / "what: deadline of 2s exceeded". */
int render__run(struct render__ctx *c, const struct render__cmd *cmd, struct buf *out);
/* The tool's path: helm, or kustomize / kubectl (*is_kubectl) as configured or found in PATH. */
int render__tool(struct render__ctx *c, int helm, const char **path, int *is_kubectl);
/* Build c->env (once). */
int render__env(struct render__ctx *c);

/* ---- a staged copy of part of the tree (stage.c) ---- */
struct render__stage {
	char *dir; /* the copy's root (0700, in memory); the tree's layout below it */
	size_t bytes, files;
};
#define RENDER__STAGE_INIT                                                                         \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
/* Create an empty staging root inside the private directory. */
int render__stage_new(struct render__ctx *c, struct render__stage *st);
/* Copy directory rel (from the tree root) with everything below it. */
int render__stage_copy_dir(struct render__ctx *c, struct render__stage *st, const char *rel);
/* Write (replace) the file rel in the copy with data, mode 0600. */
int render__stage_write(struct render__stage *st, const char *rel, const void *data, size_t len);
/* Overwrite every file with zeros, remove everything (the root too). NULL dir is fine. */
void render__stage_wipe(struct render__stage *st);
/* Wipe and remove a directory tree (used for the private directory too). */
void render__wipe_tree(const char *path);

/* ---- renderers ---- */
int render__plain(struct render__ctx *c, struct doc_list *out);
int render__kustomize(struct render__ctx *c, struct doc_list *out);
int render__helm(struct render__ctx *c, struct doc_list *out);
/* Chart sources: the chart archive (.tgz) in the cache, fetched by digest. */
int render__chart_fetch(struct render__ctx *c, char **tgz_path, char **label);

/*
 * The Kustomize interface: build the kustomization at dir (from root, a tree or a
 * staged copy) into objects named after `name`. The exec implementation runs
 * `kustomize build` / `kubectl kustomize`; a native C one takes its place here.
 */
struct render__kustomizer {
	const char *name;
	int (*build)(struct render__ctx *c, const char *root, const char *dir, const char *name,
	             unsigned parse_flags, struct doc_list *out);
};
extern const struct render__kustomizer render__kustomize_exec;
/* Run the kustomizer on dir of the tree, applying the generator hook (staging when it replaces). */
int render__kustomize_dir(struct render__ctx *c, const char *dir, struct doc_list *out);
/*
 * Collect the kustomization directories reachable from dir (itself, resources, components,
 * bases; from the root, sorted) and, if files is not NULL, the generator files they read.
 */
int render__kustomize_walk(struct render__ctx *c, const char *dir, char ***dirs, size_t *ndirs,
                           char ***files, size_t *nfiles);
void render__strv_free(char **v, size_t n);

#endif
