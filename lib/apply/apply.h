#ifndef GS_APPLY_H
#define GS_APPLY_H
/*
 * apply: put a set of objects into a cluster the way Flux's ssa package does
 * (gitops-anchors §2), and the pure pieces the reconciler and `gitseal diff`
 * share with it:
 *
 *   - apply_run(): staged server-side apply (CRDs and Namespaces first, waited
 *     for; then cluster-scoped *Class kinds; then the rest; sync-waves within a
 *     stage), field manager "gitseal", force. For an object that exists, a
 *     dry-run apply predicts the stored object; only when it differs from the
 *     live one (after normalising both, §2.3) does the real apply go out.
 *     Fields that `kubectl apply` managed are taken over first, immutable-field
 *     errors recreate an object that asks for it (gitseal.dev/force: enabled),
 *     every object gets the owner labels. Up to opts.workers requests in flight.
 *   - apply_prune(): delete what left Git (old inventory - new), in reverse
 *     apply order, only objects that still carry our owner labels.
 *   - apply_health(): kstatus rules (§2.8) with Argo CD's names.
 *   - apply_drift(): has a live object (a watch event) drifted from what we
 *     applied? Decided from the fields we own, without a request.
 *   - apply_normalize(), apply_comparable(), apply_diff(): the normalisation and
 *     the changed-path diff under all of the above.
 *
 * Paths name fields, never values: ".spec.replicas",
 * ".spec.template.spec.containers[name=web].image",
 * ".metadata.labels[\"app.kubernetes.io/name\"]", ".spec.ports[0]".
 *
 * Secrets: Secret objects stay DOC_SECRET trees; request bodies and responses
 * live in wiped buffers (lib/kube); comparisons emit into wiped buffers; no
 * value ever reaches a message, a path or a log.
 *
 * Thread use: apply_run() and apply_prune() start their own worker threads and
 * share the caller's kube_client between them (it is thread-safe); give that
 * client a QPS limit that suits (kube_client_opts.qps < 0 = none).
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "doc/doc.h"
#include "inventory/inventory.h"
#include "kube/kube.h"

#define APPLY_FIELD_MANAGER "gitseal"
#define APPLY_LABEL_NAME "gitseal.dev/name"           /* owner labels: the Application's name */
#define APPLY_LABEL_NAMESPACE "gitseal.dev/namespace" /* ... and namespace */
#define APPLY_ANN_FORCE "gitseal.dev/force" /* "enabled": recreate on an immutable field */
#define APPLY_ANN_PRUNE "gitseal.dev/prune" /* "disabled": never pruned */
#define APPLY_ANN_LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"
#define APPLY_MAX_PATHS 32 /* changed paths kept per object (total counts all) */

/* ---- changed paths -------------------------------------------------------------------------- */

struct apply_paths {
	char **v; /* up to APPLY_MAX_PATHS paths, in document order */
	size_t n;
	size_t total; /* how many differences there were (may exceed n) */
};
#define APPLY_PATHS_INIT                                                                           \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void apply_paths_release(struct apply_paths *p);
/* "a, b, c (and 4 more)" into out, for events and messages. */
int apply_paths_join(struct buf *out, const struct apply_paths *p);

/* ---- ignoreDifferences (Argo CD's shape; jqPathExpressions are not supported) ------------------
 */

struct apply_ignore {
	const char *group;           /* "" = core group, "*" = any */
	const char *kind;            /* "*" = any */
	const char *name;            /* NULL = any */
	const char *ns;              /* NULL = any */
	const char *const *pointers; /* RFC 6901 JSON pointers ("/spec/replicas") */
	size_t npointers;
};
/* Whether rule r applies to obj. */
int apply_ignore_matches(const struct apply_ignore *r, const struct doc *obj);
/* Remove the ignored pointers of every matching rule from obj (in place). */
int apply_ignore_strip(struct doc *obj, const struct apply_ignore *rules, size_t n);

/* ---- normalisation and diff (pure) ------------------------------------------------------------
 */

/*
 * Normalise a desired object in place before it is sent (Flux's SetNativeKindsDefaults):
 * Secret stringData folded into data (base64, kept DOC_SECRET) so ownership sits on data keys;
 * container/Service ports without a protocol get "TCP" (Pod, Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job, CronJob pod templates, Service). Errors name the object.
 */
int apply_normalize(struct doc *obj);
/*
 * The part of obj that a comparison looks at (a new tree): normalised as above, metadata reduced to
 * labels and annotations (kubectl's last-applied annotation dropped), status dropped except on
 * CustomResourceDefinitions, a pod template's null creationTimestamp dropped, ignore rules applied.
 */
int apply_comparable(struct doc **out, const struct doc *obj, const struct apply_ignore *ign,
                     size_t nign);
/* Every path where a and b differ (maps by key; lists of maps that all carry a unique "name" by
 * name, other lists by position). Returns the number of differences (0 = equal). */
int apply_diff(struct apply_paths *out, const struct doc *a, const struct doc *b);

/* ---- staged apply ------------------------------------------------------------------------------
 */

enum apply_action {
	APPLY_UNCHANGED, /* the dry run predicted the live object: nothing sent */
	APPLY_CREATED,
	APPLY_CONFIGURED,
	APPLY_FAILED,  /* error says why */
	APPLY_SKIPPED, /* not tried: an earlier stage failed */
};
const char *apply_action_name(enum apply_action a); /* "unchanged", "created", ... */

struct apply_result {
	enum apply_action action;
	int recreated; /* deleted and created again (immutable field + gitseal.dev/force) */
	int took_over; /* kubectl's managed fields were folded into ours */
	char *what;    /* "Deployment prod/web" */
	struct apply_paths changed; /* CONFIGURED: the fields that differed */
	char *error;           /* FAILED/SKIPPED: a message naming the object (never a value) */
	struct doc *applied;   /* opts.keep_applied: the stored object reduced to the fields we own,
	                        * with our managedFields entry: what apply_drift() compares with */
	struct doc *live;      /* opts.keep_objects: the object before (NULL if absent) ... */
	struct doc *predicted; /* ... and after (the dry-run's object in dry_run mode) */
};

struct apply_report {
	struct apply_result *r; /* one per input object, in input order */
	size_t n;
	size_t created, configured, unchanged, failed, skipped;
	size_t requests; /* API requests made (GET/LIST/dry runs/writes; discovery aside), */
	size_t writes;   /* of which writes (apply, patch, delete) */
};
#define APPLY_REPORT_INIT                                                                          \
	{                                                                                          \
		NULL, 0, 0, 0, 0, 0, 0, 0, 0                                                       \
	}
void apply_report_release(struct apply_report *r);
/* The inventory of every object that is now in the cluster (created, configured, unchanged). */
int apply_report_inventory(struct inventory *out, const struct apply_report *r,
                           struct doc *const *objs);

/*
 * What a cache (the reconciler's watches) knows about an object: return 0 if it does not exist,
 * 1 if it does (*live may be set to an owned copy, or left NULL), -1 if the cache cannot tell.
 * Called from worker threads.
 */
typedef int (*apply_lookup_fn)(void *ctx, const struct doc *desired, struct doc **live);

struct apply_opts {
	const char *field_manager; /* NULL = "gitseal" */
	const char *owner_name;    /* owner label values (the Application); NULL = no labels */
	const char *owner_namespace;
	const char
	    *default_namespace; /* for namespaced objects without one (NULL: such objects fail) */
	int workers;            /* requests in flight (0 = 8) */
	int dry_run;            /* say what would change, write nothing (gitseal diff) */
	long wait_timeout_ms;   /* CRDs Established, Namespaces Active, served kinds (0 = 60 000) */
	long delete_timeout_ms; /* immutable recreate: wait until the old object is gone (0 = 60
	                           000) */
	long poll_interval_ms;  /* both waits poll at this interval (0 = 500) */
	size_t list_threshold;  /* LIST a (kind, namespace) once it holds this many objects instead
	                         * of  one GET each (0 = 8; SIZE_MAX = never) */
	int no_takeover;        /* leave kubectl's managed fields alone */
	int keep_applied;       /* fill apply_result.applied */
	int keep_objects;       /* fill apply_result.live / predicted (gitseal diff) */
	const struct apply_ignore *ignore; /* differences in these paths do not count */
	size_t nignore;
	apply_lookup_fn lookup; /* NULL = ask the API server */
	void *lookup_ctx;
};
#define APPLY_OPTS_INIT                                                                            \
	{                                                                                          \
		NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL             \
	}

/*
 * Apply objs[0..n) (normalised and labelled in place: afterwards they are what was applied).
 * Returns 0 when every object was applied (or unchanged), GS_ERROR when some failed or were
 * skipped (the report says which and why), or another negative code when nothing could start
 * (bad options, out of memory). *out is filled in every case but the last.
 */
int apply_run(struct apply_report *out, struct kube_client *kc, struct doc *const *objs, size_t n,
              const struct apply_opts *opts);

/* ---- prune ----------------------------------------------------------------------------------- */

enum apply_prune_action {
	APPLY_PRUNED,          /* deleted (a Namespace: its deletionTimestamp is set) */
	APPLY_PRUNE_GONE,      /* was not there any more */
	APPLY_PRUNE_DISABLED,  /* annotated gitseal.dev/prune: disabled: left alone */
	APPLY_PRUNE_NOT_OURS,  /* lost our owner labels: left alone */
	APPLY_PRUNE_NS_IN_USE, /* a Namespace holding objects we do not own: left, kept in the
	                          inventory */
	APPLY_PRUNE_FAILED,    /* the API refused: kept in the inventory, retried next time */
};
const char *apply_prune_action_name(enum apply_prune_action a);

struct apply_prune_result {
	enum apply_prune_action action;
	char *id;      /* inventory id */
	char *what;    /* "Deployment prod/web" */
	char *message; /* why, for FAILED and NS_IN_USE */
};
struct apply_prune_report {
	struct apply_prune_result *r; /* in the order the deletes went out (reverse apply order) */
	size_t n;
	size_t pruned, failed;
	struct inventory
	    keep; /* entries of the stale set that stay in the inventory (failed, in use) */
};
#define APPLY_PRUNE_REPORT_INIT                                                                    \
	{                                                                                          \
		NULL, 0, 0, 0, INVENTORY_INIT                                                      \
	}
void apply_prune_report_release(struct apply_prune_report *r);

struct apply_prune_opts {
	const char *owner_name; /* owner labels the live object must carry to be deleted */
	const char *owner_namespace;
	int dry_run; /* say what would go, delete nothing */
	int workers; /* requests in flight within one kind (0 = 8) */
};
#define APPLY_PRUNE_OPTS_INIT                                                                      \
	{                                                                                          \
		NULL, NULL, 0, 0                                                                   \
	}

/*
 * Delete the objects of old_inv that are not in new_inv. The caller guarantees that the apply of
 * new_inv succeeded. The inventory to store afterwards is new_inv + out->keep. Returns 0, or
 * GS_ERROR when some deletes failed (listed in the report), or another code when nothing started.
 */
int apply_prune(struct apply_prune_report *out, struct kube_client *kc,
                const struct inventory *old_inv, const struct inventory *new_inv,
                const struct apply_prune_opts *opts);

/* ---- health (kstatus, Argo CD's names) --------------------------------------------------------
 */

/* In order of badness, as Argo CD ranks them (the aggregate is the worst). */
enum apply_health_status {
	APPLY_HEALTHY,
	APPLY_SUSPENDED,
	APPLY_PROGRESSING,
	APPLY_MISSING,
	APPLY_DEGRADED,
};
const char *apply_health_name(enum apply_health_status s); /* "Healthy", ... */

struct apply_health {
	enum apply_health_status status;
	char message[512]; /* why ("Deployment prod/web: 0 of 1 replicas available"); "" when
	                      healthy */
};

/* The health of one live object (NULL = Missing); now is the wall clock (Pod scheduling grace). */
void apply_health(struct apply_health *out, const struct doc *live, time_t now);
/* Fold one object's health into an aggregate (start from APPLY_HEALTHY, message ""): the worse
 * status wins and brings its message; ties keep the first. */
void apply_health_merge(struct apply_health *agg, const struct apply_health *one);
/* The aggregate of a set (NULL entries are Missing); an empty set is Healthy. */
void apply_health_set(struct apply_health *out, const struct doc *const *live, size_t n,
                      time_t now);

/* ---- drift (pure) -----------------------------------------------------------------------------
 */

enum { APPLY_IN_SYNC = 0, APPLY_DRIFTED = 1, APPLY_DRIFT_UNKNOWN = 2 };

struct apply_drift_opts {
	const char *field_manager; /* NULL = "gitseal" */
	const struct apply_ignore *ignore;
	size_t nignore;
};
#define APPLY_DRIFT_OPTS_INIT                                                                      \
	{                                                                                          \
		NULL, NULL, 0                                                                      \
	}

/*
 * Has live drifted from what we applied? `applied` is either apply_result.applied (the stored
 * object reduced to our fields, with our managedFields entry: only those fields are compared) or
 * the desired object as sent (every field it sets is compared). Lists are matched item by item
 * with the keys the server recorded in managedFields (k:{"name":"web"}), so a reordered or
 * appended list item of someone else is no drift. Ignored pointers do not count.
 * Returns APPLY_IN_SYNC, APPLY_DRIFTED (changed lists the paths; live NULL = the object is gone),
 * APPLY_DRIFT_UNKNOWN when it cannot be told without a dry run (no managedFields entry of ours),
 * or a negative error.
 */
int apply_drift(struct apply_paths *changed, const struct doc *applied, const struct doc *live,
                const struct apply_drift_opts *opts);
/* The stored object `live` reduced to the fields `manager` owns (its Apply entry), keeping
 * apiVersion, kind, name, namespace, uid, resourceVersion and that managedFields entry. */
int apply_project(struct doc **out, const struct doc *live, const char *manager);

#endif
