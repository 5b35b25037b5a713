#ifndef GS_ROTATE_H
#define GS_ROTATE_H
/*
 * rotate: re-encrypt a checkout for new keys, all or nothing (`gitseal rotate`, `gitseal reseal`).
 *
 * The walk: every file under a path that .gitignore files (at any level) and the root's
 * .gitsealignore do not exclude, `.git` skipped, symlinks not followed. In .yaml/.yml/.json
 * files: SealedSecrets (YAML or JSON, single or multi-document, in Lists too) and SOPS files;
 * .env and .ini SOPS files too.
 *
 * What needs it:
 *   - a SealedSecret, unless every item already opens with the newest key (one private-key
 *     operation per item to find out; one alone for most stale ones: item 0 fails first). It
 *     is re-sealed for the newest certificate: offline with the keyring (the newest key with a
 *     certificate, or --cert's), or through the controller's /v1/rotate-stale (rotate_online_fn),
 *     which decides the same way there. Only the values change in the file's bytes.
 *   - a SOPS file, when its age recipients differ from what `.sops.yaml` names for its path now
 *     (cluster: entries fetched), or include a retired recipient, or with force: it gets a fresh
 *     data key wrapped for those recipients (sops' updatekeys and rotate in one), comments and
 *     layout kept as `gitseal sops` keeps them. Without a matching rule, its own recipients less
 *     the retired ones. A file with pgp/kms/vault master keys that needs it is refused by name.
 *     A current SOPS file costs no cryptography at all.
 *
 * All or nothing: every file is prepared in memory and checked (a re-sealed SealedSecret opens
 * with the newest key when the ring holds it, its items' names unchanged; a rotated SOPS file
 * parses, opens with its new data key, its MAC verifies and its recipients are the ones asked
 * for) before any file is replaced (core/file.h's file_set); an error anywhere leaves the
 * checkout untouched and names the file. Files that need nothing are not written.
 *
 * Threads: files are spread over `jobs` workers (keys are shared read-only, each worker has its
 * own key hints); the walk, .sops.yaml and the clusters are read first, on the caller's thread.
 * Secrets: plaintext only in the sealer's wiped buffers and documents.
 */
#include <stddef.h>

#include "core/buf.h"

struct doc;
struct keys_ring;
struct sealed_pubkey;
struct sops_config;

/*
 * A SealedSecret through the controller (/v1/rotate-stale): *out NULL when it already opens with
 * the newest key, else the re-sealed SealedSecret (owned by the caller). Called from several
 * threads at once.
 */
typedef int (*rotate_online_fn)(void *ctx, const struct doc *ss, struct doc **out);
/* A "cluster:REF" recipient of a .sops.yaml rule (sealer/sops's sops_cluster_fn). */
typedef int (*rotate_cluster_fn)(void *ctx, const char *ref, struct buf *recipient);

struct rotate_opts {
	/* SealedSecrets: offline ... */
	struct keys_ring *ring;           /* the keys they open with */
	const struct sealed_pubkey *cert; /* seal for it; NULL: the ring's newest certificate */
	/* ... or through the controller */
	rotate_online_fn online;
	void *online_ctx;
	int always;        /* re-seal every SealedSecret (gitseal reseal), not only stale ones */
	int skip_unopened; /* a SealedSecret no key opens is listed and left, not an error */
	/* SOPS files */
	const struct sops_config *conf; /* the .sops.yaml in effect; NULL: none */
	rotate_cluster_fn cluster;      /* fetches `cluster:` recipients */
	void *cluster_ctx;
	const char *identities; /* more age identities (key file text), besides sops' places */
	size_t identities_len;
	const char *const *retired; /* age recipients no file may keep */
	size_t nretired;
	int force; /* every SOPS file gets a fresh data key */
	/* what to do */
	int no_sealed, no_sops;   /* leave that kind alone */
	int dry_run;              /* decide and report, write nothing */
	int jobs;                 /* worker threads; 0: one per online CPU */
	const char *const *files; /* explicit files (gitseal reseal) instead of walking path */
	size_t nfiles;
};

enum rotate_kind { ROTATE_SEALED, ROTATE_SOPS };
enum rotate_action {
	ROTATE_CURRENT, /* nothing to do: not written */
	ROTATE_CHANGED, /* re-sealed / re-encrypted (or would be, dry run) */
	ROTATE_SKIPPED, /* skip_unopened: no key opens it */
};
struct rotate_entry {
	char *path; /* as walked */
	enum rotate_kind kind;
	enum rotate_action action;
	size_t objects, changed; /* SealedSecrets in the file and how many changed; SOPS: 1 */
	char *why; /* "sealed for an older key", "recipients differ from .sops.yaml" */
};
struct rotate_report {
	struct rotate_entry *ent; /* in walk order */
	size_t n;
	size_t files;   /* files looked at */
	size_t written; /* files replaced */
};
void rotate_report_release(struct rotate_report *r);

/*
 * Walk path (a directory or one file; opts->files instead when given) and re-encrypt what needs
 * it. 0 and the report; < 0 naming the file, with nothing written (the report then says what
 * was found before the error).
 */
int rotate_run(struct rotate_report *rep, const char *path, const struct rotate_opts *opts);

#endif
