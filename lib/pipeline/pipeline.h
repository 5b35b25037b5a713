#ifndef GS_PIPELINE_H
#define GS_PIPELINE_H
/*
 * pipeline: what `gitseal build` and the Application reconciler both run on a
 * revision tree, so that what a developer sees is what the controller applies:
 *
 *   tree -> render (lib/render, generator files through the decrypt hook)
 *        -> decrypt (lib/decrypt: SOPS objects opened, SealedSecrets passed
 *           through, inspect checks, requireEncrypted)
 *        -> apply order (lib/apply/order)
 *
 * The source stage (lib/source) comes before it and differs only in where the
 * credentials come from (flags and files for the CLI, a Secret for the
 * controller), and the identities in the decrypt context likewise: the caller
 * fills the decrypt context. The Application's spec.source says what to render;
 * the caller may add values files and parameters after the Application's (the
 * CLI's --helm-values and --set) and override the path (--path).
 *
 * Errors name the file and line (render) or the file and object (decrypt);
 * nothing is left behind on failure. Secrets: decrypted objects are DOC_SECRET
 * trees, wiped when the result is released.
 */
#include <stddef.h>

#include "render/render.h"

struct app;
struct decrypt_ctx;
struct doc;

struct pipeline_input {
	const struct app *app; /* spec.source and spec.decryption (NULL: a plain directory) */
	const char *root;      /* the revision tree (read only) */
	const char *path;      /* the app path inside it; NULL: app->source.path, else the root */
	const char *name;      /* Helm's default release name; NULL: app->name */
	const char *ns;        /* helm --namespace; NULL: app->destination.namespace, else none */
	/* after the Application's own (the CLI's --helm-values and --set) */
	const char *const *value_files;
	size_t nvalue_files;
	const struct render_helm_param *params;
	size_t nparams;
};

struct pipeline_result {
	struct doc **objs; /* n owned objects, in apply order */
	unsigned *flags;   /* n entries of enum decrypt_obj_flags */
	size_t n;
	char **warnings; /* the renderer's warnings */
	size_t nwarnings;
	enum render_kind kind; /* which renderer ran */
};
#define PIPELINE_RESULT_INIT                                                                       \
	{                                                                                          \
		NULL, NULL, 0, NULL, 0, RENDER_PLAIN                                               \
	}

/*
 * Render, decrypt and order. ro: the renderers' tools, deadline, caps, tmpdir
 * (its hook is set here: generator files go through dc). dc: the decrypt
 * context with its identities (created with root as decrypt_opts.root and the
 * Application's requireEncrypted: see pipeline_decrypt_opts()). out must be
 * PIPELINE_RESULT_INIT; it stays empty on failure.
 */
int pipeline_build(struct pipeline_result *out, const struct pipeline_input *in,
                   const struct render_opts *ro, struct decrypt_ctx *dc);
void pipeline_result_release(struct pipeline_result *r);

struct decrypt_opts;
/* The decrypt options for a tree and an Application (NULL: none). */
void pipeline_decrypt_opts(struct decrypt_opts *out, const char *root, const struct app *app);

#endif
