#ifndef GS_CHECK_H
#define GS_CHECK_H
/*
 * gitseal check: what must not reach Git, found in a checkout or in the files
 * git is about to commit (the pre-commit hook), before anything is pushed.
 *
 * Each file is read as the developer wrote it: YAML/JSON manifests (and any
 * YAML document, Helm values included), the .sops.yaml files, the files a
 * kustomization's secretGenerator reads, and any file a .sops.yaml creation
 * rule names by its path_regex. Without keys every check is sealer/inspect's
 * (the same codes and messages as the decrypt stage of gitseal build) plus:
 * an Application manifest against the CRD's fields (lib/app), a file that does
 * not parse, a .sops.yaml sops cannot use. With keys it also checks what needs
 * them: each SOPS file's MAC (age identities), and that each SealedSecret
 * opens with one of the sealing keys (its first item only: one private-key
 * operation per key tried).
 *
 * Skipped: what .gitignore files (and .git/info/exclude) and the root's
 * .gitsealignore exclude, directories and files whose name starts with '.'
 * (but each .sops.yaml is read), a Helm chart's templates/ (Go templates are
 * not YAML), symbolic links. Files given by name are always checked.
 *
 * Findings carry their place and a stable code (inspect_code_name()); the
 * messages name files, objects, fields and rules, never a value.
 */
#include <stddef.h>

#include "core/buf.h"

struct age_identity;
struct keys_ring;

struct check_finding {
	const char *code; /* "unencrypted-secret", ... (static) */
	char *file;       /* the path as named (tree: as walked from the argument; staged: from the
	                     repository root) */
	unsigned line, col; /* 0: the whole file */
	char *msg;
};
struct check_report {
	struct check_finding *v;
	size_t n, cap;
	size_t files; /* files checked */
};
#define CHECK_REPORT_INIT                                                                          \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}
void check_report_release(struct check_report *r);

struct check_opts {
	struct keys_ring *sealing;           /* --key: SealedSecrets trial-opened; NULL: not */
	const struct age_identity *sops_ids; /* SOPS MACs checked with these; NULL: not */
	const char *sops_where;              /* where they came from, for messages */
};
#define CHECK_OPTS_INIT                                                                            \
	{                                                                                          \
		NULL, NULL, NULL                                                                   \
	}

/*
 * gitseal check PATH...: each directory walked (what the ignore files exclude skipped),
 * each file checked. Findings go to r (in path order). GS_ENOTFOUND / GS_EIO for a path
 * that cannot be read (message set): nothing is reported then.
 */
int check_paths(struct check_report *r, const char *const *paths, size_t n,
                const struct check_opts *o);

/*
 * gitseal check --staged: the staged version of every staged file (added, copied,
 * modified, renamed) of the repository at the current directory, read from the index
 * (git diff --cached, git cat-file --batch), never the work tree; .sops.yaml,
 * .gitsealignore and generator sources are read from the index too. File names are
 * from the repository root. GS_EIO when git fails (not a repository).
 */
int check_staged(struct check_report *r, const struct check_opts *o);

#endif
