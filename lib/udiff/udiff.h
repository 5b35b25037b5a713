#ifndef GS_UDIFF_H
#define GS_UDIFF_H
/*
 * udiff: unified diffs for people, of texts and of Kubernetes objects
 * (`gitseal diff`). Text diffs are GNU diff -u's format (Myers' O(ND)
 * algorithm in linear space, three lines of context, "@@ -l,s +l,s @@",
 * "\ No newline at end of file"), optionally coloured as git colours them.
 *
 * An object diff compares two states of one object, as kubectl diff does:
 *
 *   diff -u -N LIVE/apps.v1.Deployment.prod.web MERGED/apps.v1.Deployment.prod.web
 *   --- LIVE/apps.v1.Deployment.prod.web
 *   +++ MERGED/apps.v1.Deployment.prod.web
 *   @@ -12,7 +12,7 @@
 *
 * Both sides are shown without what the server keeps for itself
 * (metadata.managedFields, resourceVersion, generation, uid, selfLink,
 * creationTimestamp, deletionTimestamp; status), as YAML with sorted keys.
 *
 * Secrets: values of a masked object never reach the output, not even as
 * context. Each value is replaced by "***" on both sides; one that differs
 * shows as "*** (changed)" on the new side, so the diff says that a value
 * changed and never what it was or became. Masked are a core Secret's data and
 * stringData (UDIFF_MASK_SECRET) or, for objects whose content was encrypted
 * (a SOPS ConfigMap), everything outside apiVersion, kind and metadata
 * (UDIFF_MASK_ALL); with either, kubectl's last-applied-configuration
 * annotation too (it holds a copy of the values). Working copies live in wiped
 * memory.
 */
#include <stddef.h>

#include "core/buf.h"

struct doc;

struct udiff_opts {
	int context; /* lines of context around a change; < 0 = 3 */
	int color;   /* ANSI colours: headers bold, @@ cyan, - red, + green (git's) */
};
#define UDIFF_OPTS_INIT                                                                            \
	{                                                                                          \
		-1, 0                                                                              \
	}

/*
 * Append the unified diff of the lines of a[0..alen) and b[0..blen) to out, headed by
 * "--- aname" and "+++ bname" (both or neither may be NULL: no header). Returns 0 and appends
 * nothing when the texts are equal, 1 when they differ, or a negative code (GS_ENOMEM,
 * GS_ETOOBIG from out).
 */
int udiff_text(struct buf *out, const char *a, size_t alen, const char *b, size_t blen,
               const char *aname, const char *bname, const struct udiff_opts *opts);

enum udiff_mask {
	UDIFF_MASK_AUTO,   /* UDIFF_MASK_SECRET for a core/v1 Secret, else nothing */
	UDIFF_MASK_SECRET, /* data, stringData */
	UDIFF_MASK_ALL,    /* every value outside apiVersion, kind and metadata */
};

/* kubectl diff's name of an object: "[group.]version.Kind.namespace.name" ("v1.Namespace..prod").
 */
int udiff_object_name(struct buf *out, const struct doc *obj);

/*
 * Append the diff between two states of one object: before (the live object; NULL = it does not
 * exist yet) and after (the object as it would be; NULL = it would be deleted). The names come
 * from whichever is not NULL. Returns 0 (nothing appended) when they show the same, 1 when they
 * differ, or a negative code.
 */
int udiff_object(struct buf *out, const struct doc *before, const struct doc *after,
                 enum udiff_mask mask, const struct udiff_opts *opts);

#endif
