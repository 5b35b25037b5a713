#ifndef GS_INSPECT_H
#define GS_INSPECT_H
/*
 * Checks over one object (a Kubernetes manifest or any SOPS document), each
 * finding with its place (file:line:col of the node at fault), a stable code
 * and a message. One implementation for the three callers: the decrypt stage
 * of `gitseal build` and of the reconciler (what is left after decryption, and
 * decryption.requireEncrypted), and `gitseal check` (files as committed).
 *
 * Pure: no keys, no I/O. Messages name kinds, objects, fields, rules and
 * recipients, never a value (not even a ciphertext).
 */
#include <stddef.h>

#include "core/buf.h"

struct doc;

/* Stable codes: scripts and CI annotations key on inspect_code_name(). */
enum inspect_code {
	INSPECT_SOPS_NOT_DECRYPTED =
	    1,                      /* "sops-not-decrypted": a `sops` block left after decryption */
	INSPECT_SOPS_VALUE_LEFT,    /* "sops-value-left": a Secret with ENC[...] values after
	                               decryption */
	INSPECT_PLAINTEXT_SECRET,   /* "plaintext-secret": plaintext data/stringData with
	                               requireEncrypted */
	INSPECT_UNENCRYPTED_SECRET, /* "unencrypted-secret": committed data neither sealed nor
	                               SOPS-encrypted */
	INSPECT_SOPS_METADATA_MISSING,    /* "sops-metadata-missing": ENC[...] values but no `sops`
	                                     block */
	INSPECT_SOPS_METADATA_MALFORMED,  /* "sops-metadata-malformed": a `sops` block sops cannot
	                                     use */
	INSPECT_SOPS_VALUE_NOT_ENCRYPTED, /* "sops-value-not-encrypted": plaintext where the file's
	                                     rule encrypts */
	INSPECT_SEALED_SCOPE_MISMATCH,    /* "sealed-scope-mismatch": scope annotations vs the
	                                     template's name/namespace */
};
#define INSPECT_NCODES 8
/* "sops-not-decrypted", ...; "unknown" for anything else. */
const char *inspect_code_name(enum inspect_code code);

/* Which checks run (several may be combined). */
enum inspect_flags {
	/* after decryption: a `sops` block on any object, ENC[...] values in a Secret */
	INSPECT_LEFTOVERS = 1 << 0,
	/* decryption.requireEncrypted: a Secret with data/stringData that did not come
	 * out of SOPS decryption (see INSPECT_FROM_SOPS) is refused */
	INSPECT_REQUIRE_ENCRYPTED = 1 << 1,
	/* committed files: a Secret with data/stringData and no `sops` block */
	INSPECT_UNENCRYPTED = 1 << 2,
	/* committed files: the `sops` block and every value its rule encrypts */
	INSPECT_SOPS_STRUCTURE = 1 << 3,
	/* SealedSecret scope annotations against spec.template.metadata */
	INSPECT_SEALED_SCOPE = 1 << 4,

	/* a fact about the object, not a check: its secret values came out of SOPS
	 * decryption (a decrypted manifest, or a generator fed by decrypted files) */
	INSPECT_FROM_SOPS = 1 << 8,
};
/* The decrypt stage's checks, and `gitseal check`'s keyless ones. */
#define INSPECT_AFTER_DECRYPT INSPECT_LEFTOVERS
#define INSPECT_COMMITTED (INSPECT_UNENCRYPTED | INSPECT_SOPS_STRUCTURE | INSPECT_SEALED_SCOPE)

struct inspect_finding {
	enum inspect_code code;
	const char *file; /* borrowed from the object's tree (NULL when it was built in memory) */
	unsigned line, col;
	char *msg; /* "Secret prod/db: ...", without the place */
};
struct inspect_report {
	struct inspect_finding *v;
	size_t n, cap;
};
#define INSPECT_REPORT_INIT                                                                        \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void inspect_report_release(struct inspect_report *r);

/*
 * Run the checks selected by flags on obj, appending findings to r (their file
 * names are borrowed: keep obj's tree alive while r is used). Returns the number
 * of findings added, or GS_ENOMEM.
 */
int inspect_object(struct inspect_report *r, const struct doc *obj, unsigned flags);

/* "file:line:col: message [code]" (no place when the node had none). */
int inspect_finding_format(struct buf *out, const struct inspect_finding *f);
/*
 * Turn the first finding of r from index `from` on into this thread's error
 * (GS_EPARSE, "file:line:col: message [code]", with "(and N more)" when there
 * are others); 0 when there is none.
 */
int inspect_report_error(const struct inspect_report *r, size_t from);

#endif
