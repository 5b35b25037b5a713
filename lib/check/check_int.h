#ifndef GS_CHECK_INT_H
#define GS_CHECK_INT_H
/* Shared by lib/check/ only. */
#include "check/check.h"
#include "core/buf.h"
#include "sealer/inspect/inspect.h"
#include "sealer/sops/sops.h"

struct doc;

/* The bytes of the files around the one being checked (.sops.yaml, .gitsealignore, generator
 * sources), by path from the root: the work tree or the git index. 0, GS_ENOTFOUND, < 0. */
struct check__source {
	int (*read)(void *arg, const char *path, struct buf *out);
	void *arg;
};

/* One .sops.yaml creation rule, ready to match paths and to say what it encrypts. */
struct check__rule {
	struct sops_rules
	    path_re; /* path_regex compiled (kind NONE: the rule matches every file) */
	struct sops_rules
	    rules;      /* what it encrypts (no rule of its own: sops' _unencrypted suffix) */
	int rules_ok;   /* the rule's regex compiled */
	int by_path;    /* it has a path_regex */
	char desc[512]; /* "creation rule 2 (path_regex 'prod/.*')" */
	unsigned line, col;
};
/* A directory's .sops.yaml (or its absence), cached. */
struct check__config {
	char *dir;  /* from the root, "" for the root itself */
	char *file; /* the .sops.yaml's path from the root; NULL: none in this directory */
	char *name; /* the .sops.yaml's path as shown */
	struct check__rule *rules;
	size_t nrules;
	char *error; /* it does not load: why (reported when the file itself is checked) */
};

struct check_ctx {
	const struct check_opts *opts;
	struct check__source src;
	const char *root_name;         /* the root as shown ("" or "../repo/") */
	struct check__config *configs; /* every directory looked at */
	size_t nconfigs, capconfigs;
};

void check__ctx_init(struct check_ctx *c, const struct check_opts *o,
                     const struct check__source *src);
void check__ctx_release(struct check_ctx *c);

/* Check one file: rel from the root, shown as name. The findings are appended to r. */
int check__file(struct check_ctx *c, struct check_report *r, const char *name, const char *rel,
                const char *data, size_t len);
/* Does the file need checking at all (by its name, and the .sops.yaml rules for other files)? */
int check__wanted(struct check_ctx *c, const char *rel);

/* Append a finding (name copied). 0 or GS_ENOMEM. */
int check__add(struct check_report *r, enum inspect_code code, const char *file, unsigned line,
               unsigned col, const char *fmt, ...) GS_PRINTF(6, 7);
/* Move an inspect report's findings to r, their file shown as name. */
int check__take(struct check_report *r, struct inspect_report *ir, const char *name);

/* check_keys.c: the checks that need keys. */
int check__sops_keys(struct check_ctx *c, struct check_report *r, const char *name,
                     const char *data, size_t len, enum sops_format fmt, unsigned line);
int check__sealed_keys(struct check_ctx *c, struct check_report *r, const char *name,
                       const struct doc *ss);

/* A SOPS file by Flux's markers (mac: ENC[, "mac": "ENC[, sops_mac=ENC[, [sops]). */
int check__has_sops_marker(const char *data, size_t len);

#endif
