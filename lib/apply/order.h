#ifndef GS_APPLY_ORDER_H
#define GS_APPLY_ORDER_H
/*
 * The order in which a rendered object set is applied (pure: no cluster).
 *
 * Stages, each applied (and, in the reconciler, waited for) before the next:
 *   APPLY_STAGE_DEFINITIONS  CustomResourceDefinitions and Namespaces,
 *   APPLY_STAGE_CLASSES      cluster-scoped kinds whose name ends in "Class"
 *                            (StorageClass, IngressClass, PriorityClass, ...),
 *   APPLY_STAGE_OBJECTS      everything else.
 * Within a stage: the `argocd.argoproj.io/sync-wave` annotation (an integer,
 * default 0, lower first), then the kind order of Flux's ssa/sort.go (fluxcd/pkg
 * ssa v0.77: CustomResourceDefinition, Namespace, ClusterRole, ... Deployment,
 * StatefulSet, CronJob, PodDisruptionBudget, then unlisted kinds, then
 * Mutating/ValidatingWebhookConfiguration last), then API group, kind,
 * namespace, name, and finally the rendered position, so the order never
 * depends on the input order of distinct objects. Deletes (prune) run the
 * same order backwards.
 *
 * This header is lib/apply's first part; the reconciler extends lib/apply with
 * the staged server-side apply itself.
 */
#include <stddef.h>

struct doc;

enum apply_stage {
	APPLY_STAGE_DEFINITIONS = 0,
	APPLY_STAGE_CLASSES = 1,
	APPLY_STAGE_OBJECTS = 2,
};
#define APPLY_NSTAGES 3

#define APPLY_ANNO_SYNC_WAVE "argocd.argoproj.io/sync-wave"

/* The stage an object belongs to. */
enum apply_stage apply_stage_of(const struct doc *obj);
/* Flux's rank of a kind: negative for the kinds applied first, 0 unlisted, positive last. */
int apply_kind_rank(const char *kind);
/*
 * The object's sync wave (0 without the annotation). GS_EPARSE naming the file,
 * line and object when the annotation is not an integer (Argo CD would take 0
 * silently; a typo must not reorder a deployment).
 */
int apply_sync_wave(long *wave, const struct doc *obj);

/*
 * Fill order[0..n) with the indexes of objs in apply order (reverse != 0: the
 * delete order). Fails only on a bad sync-wave annotation (order is then
 * unspecified).
 */
int apply_order(size_t *order, struct doc *const *objs, size_t n, int reverse);

#endif
