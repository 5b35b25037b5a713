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
#include "core/error.h"

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
	/* "sops-rule-unencrypted-data": a rule (the file's own, or a .sops.yaml creation rule)
	 * leaves a Secret's data or stringData in plaintext */
	INSPECT_SOPS_RULE_UNENCRYPTED_DATA,
	/* "sops-file-not-encrypted": a .sops.yaml creation rule names the file, which is not
	 * encrypted */
	INSPECT_SOPS_FILE_NOT_ENCRYPTED,
	/* The codes of the checks around these in gitseal check (lib/check/check.h), listed here
	 * so that one table holds every stable code: */
	INSPECT_SOPS_CONFIG_INVALID, /* "sops-config-invalid": a .sops.yaml sops cannot use */
	INSPECT_APPLICATION_FIELD,   /* "application-field": a field the Application CRD does not
	                                know, or of the wrong type */
	INSPECT_PARSE_ERROR,         /* "parse-error": a YAML/JSON file that does not parse */
	INSPECT_SOPS_MAC_MISMATCH,   /* "sops-mac-mismatch": with keys: the MAC or a value's tag
	                                does not verify */
	INSPECT_SOPS_NO_KEY,         /* "sops-no-key": with keys: none of them opens the file */
	INSPECT_SEALED_NO_KEY,       /* "sealed-no-key": with --key: the SealedSecret opens with
	                                none of them (another cluster, or moved since) */
};
#define INSPECT_NCODES 16
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
/* The decrypt stage's checks, and `gitseal check`'s keyless ones (the rule checks of
 * INSPECT_SOPS_STRUCTURE include a Secret's values its own rule leaves in plaintext). */
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

/* Append a finding at a place given by hand (file borrowed, as inspect_object's); 1 or GS_ENOMEM.
 */
int inspect_report_add(struct inspect_report *r, enum inspect_code code, const char *file,
                       unsigned line, unsigned col, const char *fmt, ...) GS_PRINTF(6, 7);

/* --- .sops.yaml creation rules ----------------------------------------------------- */

struct sops_rules;
/* A .sops.yaml creation rule as the checks see it: its encryption rule and its place. */
struct inspect_rule {
	const struct sops_rules *rules; /* what it encrypts (no rule: sops' _unencrypted suffix) */
	const char *file;               /* the .sops.yaml (borrowed) */
	unsigned line, col;             /* where the rule starts */
	const char *desc;               /* "creation rule 2 (path_regex 'prod/.*')" */
};
/*
 * A document that the creation rule selects and that has no `sops` block yet:
 * - a Secret: each data/stringData value the rule would leave in plaintext
 *   (sops-rule-unencrypted-data, reported at the rule, naming the document);
 * - when the rule names the file by its path_regex (named_by_path), a document that is
 *   not a Kubernetes object and holds a value the rule encrypts: sops-file-not-encrypted.
 * Returns the number of findings added, or GS_ENOMEM.
 */
int inspect_rule_document(struct inspect_report *r, const struct doc *obj,
                          const struct inspect_rule *rule, int named_by_path);
/*
 * A creation rule on its own: an encrypted_regex or unencrypted_regex that leaves a Secret's
 * data or stringData unencrypted (sops-rule-unencrypted-data, at the rule).
 */
int inspect_rule_secret_fields(struct inspect_report *r, const struct inspect_rule *rule);

/* "file:line:col: message [code]" (no place when the node had none). */
int inspect_finding_format(struct buf *out, const struct inspect_finding *f);
/*
 * Turn the first finding of r from index `from` on into this thread's error
 * (GS_EPARSE, "file:line:col: message [code]", with "(and N more)" when there
 * are others); 0 when there is none.
 */
int inspect_report_error(const struct inspect_report *r, size_t from);

#endif
