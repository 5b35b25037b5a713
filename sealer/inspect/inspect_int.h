#ifndef GS_INSPECT_INT_H
#define GS_INSPECT_INT_H
/* Shared between the files of sealer/inspect/ only. */
#include <stddef.h>

#include "core/buf.h"
#include "sealer/inspect/inspect.h"

struct doc;

#define INSPECT_MAX_DEPTH 512

/* Add a finding at node `at` (its file, line and column). 1, or GS_ENOMEM. */
int inspect__add(struct inspect_report *r, enum inspect_code code, const struct doc *at,
                 const char *fmt, ...) GS_PRINTF(4, 5);
/* "Secret prod/db", "Secret db", "document" */
void inspect__describe(char *out, size_t len, const struct doc *obj);
/* kind Secret of the core group */
int inspect__is_secret(const struct doc *obj);

/* A depth-first walk over the leaves (scalars) of a tree with their path. */
struct inspect_comp {
	const char *key; /* map key, or NULL for a list item */
	size_t len;
	long index; /* list index, or -1 */
};
struct inspect_walk {
	int (*leaf)(struct inspect_walk *w, const struct doc *n); /* non-zero stops the walk */
	const char *skip_top; /* a top-level key not walked ("sops") */
	struct inspect_comp comp[INSPECT_MAX_DEPTH];
	size_t depth;
};
int inspect__walk(struct inspect_walk *w, const struct doc *n);
/* The path for messages: "stringData.password", "list[2].name". */
void inspect__path(const struct inspect_walk *w, struct buf *out);
/* The map keys of the path (list indices left out, as sops' AAD and rules do); returns how many. */
size_t inspect__keys(const struct inspect_walk *w, const char **keys, size_t *lens);

/* inspect_sops.c: the `sops` block and the values its rule encrypts. */
int inspect__sops_structure(struct inspect_report *r, const struct doc *obj, const char *desc);
/* inspect_sealed.c: SealedSecret scope annotations against spec.template.metadata. */
int inspect__sealed_scope(struct inspect_report *r, const struct doc *obj, const char *desc);

#endif
