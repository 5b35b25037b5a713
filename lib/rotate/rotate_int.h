#ifndef GS_ROTATE_INT_H
#define GS_ROTATE_INT_H
/*
 * Inside lib/rotate/:
 *   walk.c     the files of a checkout (.gitignore at every level, .gitsealignore at the root)
 *   sealed.c   the SealedSecrets of one file: decide, re-seal, check, splice into its bytes
 *   sops.c     one SOPS file: what its recipients should be, rotate, check
 *   rotate.c   the run: walk, read, resolve, the workers, the file set
 */
#include <stddef.h>

#include "core/buf.h"
#include "rotate/rotate.h"
#include "sealer/sealed/sealed.h"
#include "sealer/sops/sops.h"

struct age_identity;
struct keys_ring;

/* walk.c: the candidate files under path, in a stable order (paths as path + "/" + rel). */
int rotate__walk(char ***files, size_t *n, const char *path);

/* What one worker knows of the SealedSecret keys (read-only, shared) + its own hint. */
struct rotate_sealed_ctx {
	const struct rotate_opts *o;
	struct sealed_keyset set;            /* a copy of the ring's (threads = 1) */
	const struct sealed_privkey *newkey; /* the newest key (the target cert's), or NULL */
	const struct sealed_pubkey *cert;    /* what is sealed for */
};

/* One file's outcome, for the report (why: a static or owned string). */
struct rotate_result {
	enum rotate_kind kind;
	enum rotate_action action;
	size_t objects, changed;
	char why[160];
};

/*
 * sealed.c: re-seal the SealedSecrets of text as they need it; out gets the new bytes when
 * something changed (res->action ROTATE_CHANGED). 0 when the file holds none (res->objects 0).
 */
int rotate__sealed_file(struct buf *out, struct rotate_result *res, struct rotate_sealed_ctx *ctx,
                        const char *name, const char *text, size_t len);

/* A recipient spec per .sops.yaml rule, resolved on the caller's thread before the workers. */
struct rotate_sops_ctx {
	const struct rotate_opts *o;
	struct sops_keyspec *rule_specs; /* per creation rule (resolved), or NULL entries */
	int *rule_ok;                    /* rule_specs[i] resolved */
	size_t nrules;
	struct age_identity *ids; /* sops' places + opts->identities */
	const char *where;        /* where identities were looked for (messages) */
	char *retired_csv;
};
/* sops.c: is text a SOPS file (by name and content)? *fmt set. */
int rotate__is_sops(const char *name, const char *text, size_t len, enum sops_format *fmt);
/* sops.c: the rule index for name (-1: none), on the caller's thread; resolves the rule. */
int rotate__sops_rule(struct rotate_sops_ctx *sc, const char *name, int *rule);
/* sops.c: rotate one SOPS file when it needs it (a worker). */
int rotate__sops_file(struct buf *out, struct rotate_result *res, const struct rotate_sops_ctx *sc,
                      int rule, const char *name, const char *text, size_t len,
                      enum sops_format fmt);

#endif
