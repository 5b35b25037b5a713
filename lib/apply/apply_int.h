#ifndef GS_APPLY_INTERNAL_H
#define GS_APPLY_INTERNAL_H
/* Private to lib/apply (and its unit tests). */
#include <pthread.h>
#include <stdint.h>

#include "apply/apply.h"
#include "apply/order.h"

/* ---- values and paths (diff.c) ---- */

/* Deep equality as Kubernetes sees values: numbers by value (1 == 1.0), strings and timestamps by
 * text, maps regardless of key order, a null map entry the same as a missing one. */
int apply__equal(const struct doc *a, const struct doc *b);
/* Append ".key", or ["key"] when key holds more than [A-Za-z0-9_-]. */
int apply__path_key(struct buf *path, const char *key, size_t len);
/* Append "[k=v,...]" for the listed fields of item (keys: a map whose keys are the field names). */
int apply__path_item(struct buf *path, const struct doc *keys);
/* Record one changed path (kept while fewer than APPLY_MAX_PATHS; counted always). */
int apply__paths_add(struct apply_paths *p, const char *path);
/* "Kind ns/name" or "Kind name" (malloc'd). */
char *apply__what(const struct doc *obj);
/* Every scalar of a tree made DOC_SECRET (a Secret's copies stay wiped). */
void apply__mark_secret(struct doc *n);

/* ---- managedFields (fields.c) ---- */

/* The managedFields entry of manager with operation op ("Apply"/"Update"; NULL = any), or NULL. */
const struct doc *apply__managed_entry(const struct doc *obj, const char *manager, const char *op);
/* dst |= src for two fieldsV1 trees (maps of "f:"/"k:"/"v:"/"i:"/"." to subtrees). */
int apply__fields_union(struct doc *dst, const struct doc *src);
/* Find the item of seq that the fieldsV1 path element pe ("k:{...}", "v:...", "i:N") names;
 * -1 if none, GS_EPARSE if pe is not one. keys_out (if not NULL) gets the parsed k: map (owned). */
long apply__fields_item(const struct doc *seq, const char *pe, size_t pelen, struct doc **keys_out);
/* The fieldset a plain desired object implies: every field it sets; list items keyed as the hint
 * (live managedFields union, may be NULL) keys them, else by "name", else the list is atomic. */
int apply__fields_derive(struct doc **out, const struct doc *desired, const struct doc *hint);
/* Walk fs over a and b and record where the values differ (path is the prefix, restored). */
int apply__fields_walk(struct apply_paths *out, struct buf *path, const struct doc *a,
                       const struct doc *b, const struct doc *fs);
/* Reduce n to the fields in fs (a new tree). */
int apply__fields_project(struct doc **out, const struct doc *n, const struct doc *fs);
/*
 * kubectl takeover (gitops-anchors §2.3): if live has managedFields entries of kubectl's
 * client-side apply ("kubectl-client-side-apply", "kubectl" Update or Apply, "before-first-apply"
 * Update) or the last-applied annotation, build the merge patch that folds those fields into
 * manager's Apply entry and drops the annotation. *patch NULL when there is nothing to take over.
 */
int apply__takeover_patch(struct doc **patch, const struct doc *live, const char *manager,
                          const char *api_version);
/* Whether live needs apply__takeover_patch() (cheap check). */
int apply__needs_takeover(const struct doc *live);

/* ---- apply order: lib/apply/order.h (stages, sync waves, Flux's kind order) ---- */

enum {
	APPLY__STAGE_DEFS = APPLY_STAGE_DEFINITIONS,
	APPLY__STAGE_CLASSES = APPLY_STAGE_CLASSES,
	APPLY__STAGE_REST = APPLY_STAGE_OBJECTS,
	APPLY__NSTAGES = APPLY_NSTAGES
};

/* ---- digests (digest.c) ---- */

/* A keyed 64-bit digest (SipHash-2-4, key drawn once per process) of the comparable JSON of obj.
 * The JSON is built in wiped memory. */
int apply__digest(uint64_t *out, const struct doc *obj, const struct apply_ignore *ign,
                  size_t nign);
uint64_t apply__siphash(const void *p, size_t n);

/* ---- a pool of worker threads over a range of jobs (pool.c) ---- */

typedef void (*apply__job_fn)(void *ctx, size_t i);
/* Run fn(ctx, i) for i in [0, n) on up to `workers` threads (the caller's thread is one). */
int apply__pool_run(size_t n, int workers, apply__job_fn fn, void *ctx);

#endif

/* ---- the staged apply (engine.c runs it, object.c applies one object) ---- */

struct apply__item {
	struct doc *obj; /* the caller's object, normalised and labelled */
	size_t index;    /* its place in the input and in the report */
	int stage;
	long wave;
	int known;        /* what a LIST said: -1 not listed, 0 absent, 1 present */
	uint64_t digest;  /* known == 1: the listed object's comparable digest */
	int takeover;     /* known == 1: the listed object carries kubectl's fields */
	int ready;        /* stage 0: the stored CRD is Established / Namespace Active */
	char *prep_error; /* set before the apply: the object is not applied */
};

struct apply__run {
	struct kube_client *kc;
	struct apply_opts o;       /* with defaults filled in */
	struct apply__item *items; /* in apply order */
	size_t n;
	struct apply_report *rep;
	size_t requests, writes; /* atomics */
};

/* Apply one object (a pool job: i indexes run->items). */
void apply__one(void *run, size_t i);
/* Count one request (write: it changes the cluster). */
void apply__count(struct apply__run *run, int write);
/* Whether the set makes an object of this kind and name (dry runs of things that depend on it). */
int apply__set_has(const struct apply__run *run, const char *kind, const char *name);
/* Whether the set holds the CRD that defines this kind. */
int apply__set_defines(const struct apply__run *run, const char *api_version, const char *kind);
