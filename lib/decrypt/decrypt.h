#ifndef GS_DECRYPT_H
#define GS_DECRYPT_H
/*
 * The decrypt stage: a rendered object set in, the objects to apply out.
 *
 * - An object with a top-level `sops` block is decrypted in place with the age
 *   identities given: every ENC[...] value becomes its plaintext (a DOC_SECRET
 *   node, wiped when freed) and the block is removed. The MAC is checked: on
 *   the object itself when it is still the document that was encrypted (plain
 *   manifests), otherwise (Kustomize sorted its keys, added a namespace or
 *   labels) on the source file under `root` that holds the same `sops` block:
 *   that file's MAC must verify over all its documents, and every encrypted
 *   value of the object must be one of that file's, at the same key path.
 * - SealedSecrets pass through unchanged (the unsealer opens them in-cluster).
 * - Then every object goes through sealer/inspect: a `sops` block or ENC[...]
 *   value left is refused; with requireEncrypted, so is a Secret whose data did
 *   not come out of SOPS (a manifest decrypted here, or a Kustomize generator
 *   whose every value came from a file decrypt_file() decrypted).
 * - decrypt_file() is the render hook for the files a Kustomize
 *   secretGenerator/configMapGenerator reads (envs, files): SOPS-encrypted bytes
 *   in, plaintext bytes out (whole-file MAC checked).
 *
 * Identities: the Application's decryption Secret (its entries ending in
 * .agekey, as Flux reads them) or, for the CLI, sops' own places. The
 * cluster's own identities (DECRYPT_IDS_OWN_NAMESPACE) open a manifest only if
 * the encrypted file names a namespace (covered by its MAC) equal to the
 * rendered object's: one team cannot have the controller decrypt another
 * team's Secret into its own namespace.
 *
 * Errors name the file and the object ("overlays/prod/secret.enc.yaml: Secret
 * prod/db: no age identity matches (recipients: age1...)"), never a value.
 * Everything all-or-nothing: on error the objects may be half decrypted and
 * must be dropped (free them; their secrets are wiped).
 */
#include <stddef.h>

#include "core/buf.h"

struct doc;
struct decrypt_ctx;

struct decrypt_opts {
	/* The directory the objects were rendered from (the revision's tree): source
	 * files are found there to check MACs and to name files in messages. NULL: the
	 * MAC can only be checked on objects that are still their encrypted document. */
	const char *root;
	int require_encrypted; /* decryption.requireEncrypted */
};
#define DECRYPT_OPTS_INIT                                                                          \
	{                                                                                          \
		NULL, 0                                                                            \
	}

int decrypt_ctx_new(struct decrypt_ctx **out, const struct decrypt_opts *opts);
void decrypt_ctx_free(struct decrypt_ctx *ctx); /* NULL is fine; wipes what it holds */

/* --- identities ------------------------------------------------------------------ */

enum decrypt_ids_scope {
	DECRYPT_IDS_ANY = 0, /* an Application's Secret, the CLI's keys: any file */
	DECRYPT_IDS_OWN_NAMESPACE =
	    1, /* the cluster's own identities: only into the namespace the file names */
};
/* Identities in age's key file format ('#' comments, one AGE-SECRET-KEY-1 per line); `what` names
 * them. */
int decrypt_ctx_add_identities(struct decrypt_ctx *ctx, const char *text, size_t len,
                               const char *what, enum decrypt_ids_scope scope);
/*
 * The entries of a Secret (data, base64, or stringData) whose key ends in
 * ".agekey", as Flux reads a decryption Secret. GS_ENOTFOUND naming the Secret
 * when it has none (an entry named age.key is the usual mistake).
 */
int decrypt_ctx_add_secret(struct decrypt_ctx *ctx, const struct doc *secret,
                           enum decrypt_ids_scope scope);
/* The CLI: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt (as
 * sops), read when the first SOPS file needs a key (errors then name that file). */
int decrypt_ctx_add_env(struct decrypt_ctx *ctx);

/* --- the render hook -------------------------------------------------------------- */

/*
 * A file a Kustomize generator reads, at relpath (relative to root): if it is
 * SOPS-encrypted (a `sops` block / sops_ entries: format from the extension,
 * dotenv or YAML detected otherwise), decrypt it, check its MAC and append the
 * plaintext to out, which must be a BUF_INIT_SECRET buffer: 1. Not SOPS: 0 (out
 * untouched). Error: < 0 naming relpath.
 */
int decrypt_file(struct decrypt_ctx *ctx, const char *relpath, const char *in, size_t len,
                 struct buf *out);
/* The same with the context as a void *: lib/render's render_file_hook (opts.hook_arg = ctx). */
int decrypt_render_hook(void *ctx, const char *relpath, const char *in, size_t len,
                        struct buf *out);

/* --- the stage -------------------------------------------------------------------- */

/* What happened to each object (decrypt_objects' flags_out). */
enum decrypt_obj_flags {
	DECRYPT_OBJ_SOPS = 1 << 0, /* a SOPS manifest, decrypted here */
	DECRYPT_OBJ_GENERATED =
	    1 << 1, /* a Secret whose every value came from a file decrypt_file() opened */
	DECRYPT_OBJ_OWN_NAMESPACE = 1 << 2, /* opened with the cluster's own identities */
	DECRYPT_OBJ_SEALED = 1 << 3,        /* a SealedSecret, passed through */
};

/*
 * Decrypt objs[0..n) in place, then run the inspect checks on all of them.
 * flags_out (n entries, or NULL) gets enum decrypt_obj_flags per object.
 * Returns the number of objects decrypted, or < 0 (see above).
 */
int decrypt_objects(struct decrypt_ctx *ctx, struct doc **objs, size_t n, unsigned *flags_out);

/*
 * The age recipients of each SOPS object the cluster's own identities opened, in the order they
 * were decrypted: one string per object, its recipients sorted and comma-separated ("age1a,age1b").
 * What keys/ must keep while the repository holds these files (gitseal keys list/retire). The
 * strings belong to ctx.
 */
size_t decrypt_ctx_own_uses(const struct decrypt_ctx *ctx, const char *const **out);

#endif
