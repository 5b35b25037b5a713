#ifndef GS_CTL_APPLICATION_INT_H
#define GS_CTL_APPLICATION_INT_H
/*
 * Inside controller/application/:
 *   controller.c  start/stop, the leader's tick, the Applications informer, the queue and its
 *                 dispatch (what each queued key asks for)
 *   reconcile.c   one Application: source -> pipeline -> apply -> prune (a queue worker)
 *   objects.c     what was applied: one entry per object, the shared watches per kind (drift
 *                 and health from watch events, without requests), the apply lookup
 *   status.c      the status (conditions, sync, health, history, inventory) and the Events
 *   target.c      where and as whom: impersonated and remote-cluster clients, the source
 *                 credentials, the decryption identities
 *   webhook.c     the receiver: GitHub, GitLab, generic HMAC
 *   metrics.c     the Prometheus series
 *
 * Locks: c->mu guards the tables (apps, objects, kinds, clients); it is taken before the
 * queue's lock (rt_queue_add under c->mu is fine) and never held across an API call, a fetch
 * or a render. Workers hold an Application (ent->running) while they reconcile it; the watch
 * handlers only record and queue.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "app/app.h"
#include "apply/apply.h"
#include "controller/application/application.h"
#include "controller/opts.h"
#include "controller/runtime/runtime.h"
#include "core/buf.h"
#include "doc/doc.h"
#include "inventory/inventory.h"
#include "kube/kube.h"
#include "pipeline/pipeline.h"

#define APP_API_VERSION "gitseal.dev/v1alpha1"
#define APP_KIND "Application"
#define APP_ANN_REQUESTED "gitseal.dev/reconcile-requested-at"
#define APP_ANN_WITH_SOURCE "gitseal.dev/reconcile-with-source"
#define APP_LABEL_SHARD "sharding.gitseal.dev/key"
#define APP_LABEL_AGE_IDENTITY "gitseal.dev/age-identity" /* the cluster's own (keys/) */
#define APP_COMPONENT "gitseal-controller"
#define APP_HISTORY_MAX 10
#define APP_MSG_MAX 1024 /* condition and event messages are cut here */

struct source_cache;
struct source_tree;
struct decrypt_ctx;
struct source_creds;

/* What a queued Application asks for (ent->want, ORed; a timer that fires asks for nothing:
 * poll the source). */
enum app_want {
	APP_W_RUN = 1 << 0,    /* new object, generation or request: run the pipeline */
	APP_W_FETCH = 1 << 1,  /* fetch the source even if a poll says nothing moved */
	APP_W_DRIFT = 1 << 2,  /* a watched object drifted: apply what drifted (selfHeal) */
	APP_W_STATUS = 1 << 3, /* health or sync changed: rewrite the status */
	APP_W_ALL = 1 << 4,    /* compare every object (a request, a restart, a remote cluster) */
};

/* ---- what was applied (objects.c) ------------------------------------------------------------
 */

struct app_obj {
	char *app;        /* the owner's key ("ns/name") */
	char *applied;    /* compact JSON of the fields we own (apply_result.applied); NULL: none */
	char *what;       /* "Deployment prod/web" */
	uint64_t digest;  /* the desired object last applied (app__digest) */
	char rv[32];      /* the resourceVersion accounted for (our write, or an event judged) */
	char late_rv[32]; /* an event seen while the object was being applied ("-": deleted) */
	char *late;       /* ... the object it carried (compact JSON, wiped when freed) */
	unsigned char health;  /* enum apply_health_status */
	uint64_t sdigest;      /* a Secret: keyed digest of the fields we own (no values kept) */
	unsigned secret : 1;   /* a v1 Secret: sdigest instead of applied */
	unsigned applying : 1; /* in the apply that runs now: events wait in late/late_rv */
	unsigned present : 1;  /* the object exists (our write, or the watch) */
	unsigned drifted : 1;  /* the last event differs from what we applied */
	unsigned listed : 1;   /* the watch of its kind carries it */
	char *health_msg;      /* why it is not Healthy */
	char *drift_msg;       /* "Deployment prod/web (.spec.replicas)" */
};

/* One watch per applied kind, shared by every Application (label-selected on gitseal.dev/name). */
struct app_kind {
	struct app_controller *c;
	char *api_version, *kind;
	struct rt_informer *inf;
};

/* The last run's outcome (kept in the entry): what status-only updates start from. */
struct app_last {
	char reason[40];    /* Ready=False reason of a failed run ("" none) */
	char *message;      /* ... its message */
	int stalled;        /* no retry helps (an invalid spec) until it changes */
	char sync[16];      /* "Synced", "OutOfSync", "Unknown": the run's view, before drift */
	char *sync_message; /* why OutOfSync/Unknown */
	char revision[41];  /* the commit applied */
	char ref[256];      /* ... and what it resolved from */
	char attempted[41]; /* the commit last tried */
};

/* ---- one Application (under c->mu) ----------------------------------------------------------- */

struct app_ent {
	char *key; /* "ns/name" */
	char uid[64];
	long long generation;     /* metadata.generation last seen */
	struct app *spec;         /* parsed at the last run (NULL before, or when invalid) */
	struct apply_ignore *ign; /* spec->ignore as lib/apply reads it */
	size_t nign;
	char *url_key;         /* its repoURL as webhooks compare it (app__url_match) */
	char commit[41];       /* the revision last applied with success ("" none) */
	long long applied_gen; /* ... and the generation */
	char requested[128];   /* gitseal.dev/reconcile-requested-at last handled */
	unsigned want;         /* enum app_want */
	unsigned running : 1, ok : 1, remote : 1, suspended : 1, ready : 1, invalid : 1;
	unsigned orphan : 1; /* deleted while running: the worker frees it */
	double applied_at;   /* gs_mono() of the last apply (spec.timeout for health) */
	char **ids;          /* the objects it applied (c->objs keys) */
	size_t nids;
	char *last_status;    /* the JSON of the status last written (no write when equal) */
	struct app_last last; /* the last run's outcome */
	double next_poll;     /* gs_mono() when the interval's poll is due */
	/* the cluster identities' use at the last build (usage.c): one recipient list per SOPS
	 * object they opened */
	char **sops_uses;
	size_t nsops_uses;
	unsigned sops_counted : 1; /* built at least once since this replica leads */
};

/* ---- the controller ---------------------------------------------------------------------------
 */

struct app_metrics {
	struct rt_metric *duration, *ready, *fetch, *render, *apply, *prune, *webhook, *posts;
};

struct app_controller {
	const struct ctl_opts *o;
	const struct kube_config *cfg;
	struct rt *rt;
	struct kube_client *kc; /* the runtime's one client */
	struct app_metrics metrics;
	struct rt_leader *leader;
	struct source_cache *cache;
	char *label_selector; /* of Applications: the shard's and --app-label-selector */
	char lease_name[128];
	pthread_mutex_t mu; /* everything below */
	int leading, stop, crd_missing_logged, rbac_missing_logged;
	struct rt_queue *q;
	struct rt_informer *apps; /* Applications of this shard (objects kept) */
	struct rt_map ents;       /* "ns/name" -> struct app_ent */
	struct rt_map objs;       /* inventory id -> struct app_obj */
	struct rt_map kinds;      /* "apiVersion Kind" -> struct app_kind */
	struct rt_map clients;    /* "server|user|version" -> struct kube_client */
	unsigned char hkey[32];   /* keys the digests of Secrets' fields (drawn at start) */
	/* the cluster's age identity Secrets, kept a few seconds (target.c) */
	struct doc *ids_cache;
	double ids_cache_at;
	/* the webhook routes' contexts (webhook.c) */
	struct app_hook_route {
		struct app_controller *c;
		int provider;
	} hook_routes[3];
	/* webhook secret, kept a few seconds (webhook.c) */
	struct doc *hook_secret;
	double hook_secret_at;
	/* status writes and events waiting behind the applies (posts.c) */
	struct app_posts {
		pthread_mutex_t mu; /* the fields below; taken after c->mu, never before */
		pthread_cond_t cv;  /* CLOCK_MONOTONIC */
		struct app_post *head, *tail;
		size_t n;
		struct rt_map status; /* "ns/name" -> its latest status post */
		struct rt_queue *q;   /* the Applications' queue (busy: posts wait) */
		pthread_t th;
		int running, stop;
	} posts;
};

/* posts.c: status writes and events second to the applies. _status: 1 when the post was taken
 * (queued, or a waiting one replaced or dropped), 0 when the caller writes it (unless same: the
 * server has it). _event: 1 queued, 0 the caller writes it. */
int app__post_status(struct app_controller *c, const char *key, const char *json, int same);
int app__post_event(struct app_controller *c, const struct doc *obj, int warning,
                    const char *reason, const char *message);
int app__posts_start(struct app_controller *c, struct rt_queue *q);
void app__posts_unqueue(struct app_controller *c); /* before the queue is freed */
void app__posts_stop(struct app_controller *c);    /* writes what it can, 5 s at most */

/* controller.c */
/* Queue key with what it asks for (under c->mu or not: takes it when locked == 0). */
void app__want(struct app_controller *c, const char *key, unsigned want, int locked);
/* The Application as the informer has it now (a fresh tree); GS_ENOTFOUND when gone. */
int app__get(struct app_controller *c, struct doc **out, const char *key);
/* Seconds to the next interval, jittered by +-10 % (the spec's, else --app-interval). */
double app__interval(const struct app_controller *c, const struct app *spec);

/* usage.c: keep what the last build's cluster identities opened (under c->mu). */
void app__usage_note(struct app_ent *e, const char *const *uses, size_t n);
void app__usage_release(struct app_ent *e);

/* reconcile.c: one Application on a worker (ent->running set by the caller). RT_* result. */
enum rt_result app__reconcile(struct app_controller *c, struct app_ent *e, const struct doc *obj,
                              unsigned want, int retries);

/* objects.c */
void app__obj_free(void *p);
void app__kind_free(void *p);
/* The watch of a kind (started on first use; 0 when it runs). */
int app__watch_kind(struct app_controller *c, const char *api_version, const char *kind);
/* Whether the watch of every kind of objs has listed once (waits up to ms). */
int app__watches_synced(struct app_controller *c, struct doc *const *objs, size_t n, long ms);
/* apply_lookup_fn over the watches (ctx: the controller). */
int app__lookup(void *ctx, const struct doc *desired, struct doc **live);
/* A keyed digest of what an object asks for (the comparable form, no status). */
int app__digest(uint64_t *out, const struct doc *obj);
/* The table key of an object of e: its id, or "@<app> <id>" on a remote cluster. */
int app__obj_key(struct buf *out, const struct app_ent *e, const struct doc *obj);
/* Under c->mu: what an apply result says about one object of e (table key, "Kind ns/name",
 * the digest of the desired object). Sets APP_W_DRIFT in *want when an event seen meanwhile
 * is newer than our write. */
int app__obj_record(struct app_controller *c, struct app_ent *e, const char *key, const char *what,
                    uint64_t digest, const struct apply_result *r, unsigned *want);
/* Under c->mu: the entry of key if e owns it. */
struct app_obj *app__obj_of(struct app_controller *c, const struct app_ent *e, const char *key);
/* Under c->mu: drop every object entry of an Application (it is gone or stopped owning them). */
void app__objs_forget(struct app_controller *c, struct app_ent *e);
/* Under c->mu: the aggregate health of what e applied, and the drifted objects ("" none). */
void app__health_of(struct app_controller *c, const struct app_ent *e, struct apply_health *out,
                    struct buf *drift, size_t *ndrift);
/* The watch thread's handlers (objects.c) for a kind's informer. */
void app__on_obj(void *ctx, const struct doc *obj, int listed);
void app__on_obj_update(void *ctx, const struct doc *obj, const struct rt_meta *old, int listed);
void app__on_obj_delete(void *ctx, const struct rt_meta *gone, const struct doc *last);

/* status.c */
void app__last_release(struct app_last *l);
/* Set the failure (reason NULL: none; message copied). */
void app__last_fail(struct app_last *l, const char *reason, const char *message, int stalled);

struct app_hist {
	const char *revision;
	time_t started;
	double duration;
	size_t created, configured, pruned;
	const char *message;
};
struct app_status_in {
	long long generation; /* observedGeneration (0: keep) */
	const struct app_last *last;
	const struct apply_health *health;
	const char *drift; /* "Deployment prod/web (.spec.replicas), ..." or NULL */
	size_t ndrift;
	int health_timeout;          /* spec.timeout passed while Progressing */
	const struct inventory *inv; /* NULL: keep the current one */
	const struct app_hist *hist; /* NULL: no new history entry */
	const char *requested;       /* lastHandledReconcileAt (NULL: keep) */
	time_t now;
};
/* The status an Application should have (pure): cur is its current .status (may be NULL).
 * *ready gets the Ready condition's status (1 True, 0 False, -1 Unknown). */
int app__status_build(struct doc **out, const struct doc *cur, const struct app_status_in *in,
                      int *ready);
/* Build and write the status of e if it changed (merge patch on the status subresource; obj is
 * the Application as the informer has it). Takes c->mu for the entry's fields. */
int app__status_write(struct app_controller *c, struct app_ent *e, const struct doc *obj,
                      struct app_status_in *in);
/* An Event about the Application (Warning when type is NULL... see status.c). */
void app__event(struct app_controller *c, const struct doc *obj, int warning, const char *reason,
                const char *message);

/* reconcile.c and sync.c: one run of the pipeline on a worker */
struct run {
	struct app_controller *c;
	struct app_ent *e;
	const struct doc *obj;
	const struct app *spec; /* e->spec */
	const char *ns, *name;
	unsigned want;
	int request; /* a new gitseal.dev/reconcile-requested-at */
	const char *requested;
	double t0;
	double t_stage, source_s, render_s; /* gs_mono() at the stage's start; seconds per stage */
	time_t started;
	double deadline; /* gs_mono() */
	struct kube_client *kc;
	int remote;
	char commit[41], ref[256];
	struct source_tree *tree;
	struct pipeline_result res;
	struct doc **objs; /* the desired set: res.objs (+ a Namespace made for CreateNamespace) */
	size_t n;
	struct doc *made_ns;
	char **keys, **whats;
	uint64_t *digests;
	struct apply_report rep;
	size_t created, configured, pruned;
	struct buf changes; /* "Deployment prod/web configured (.spec.replicas)\n..." */
	struct inventory inv;
	int has_inv;
	int fetched;
	char empty[4096];
};

/* Status from the entry's last outcome and what the watches say (inv, hist may be NULL). */
void app__run_status(struct run *r, const struct inventory *inv, const struct app_hist *hist);
/* A failed stage (the message is gs_error_last()): Ready=False, a Warning, RT_RETRY (stalled:
 * RT_FAILED, no retry until the Application changes). */
enum rt_result app__run_fail(struct run *r, const char *stage, const char *reason, int stalled);
long app__remaining_ms(const struct run *r);
void app__rearm(struct run *r, double seconds);
/* sync.c: apply what changed (or dry-run it), prune, record; 0 or < 0 with the stage failed in
 * *stage and the Ready reason in *reason. */
int app__sync(struct run *r, const char **stage, const char **reason);

/* target.c */
/* The client that applies for e: the runtime's, one impersonating its ServiceAccount, or a remote
 * cluster's (borrowed: kept in c->clients). GS_EINVAL/GS_ENOTFOUND naming what is wrong. */
int app__target_client(struct app_controller *c, const struct app *spec, struct kube_client **out,
                       int *remote);
/* The source credentials of spec.source.secretRef (NULL without one). */
int app__source_creds(struct app_controller *c, const struct app *spec, struct source_creds **out);
/* The identities for spec: its decryption Secret, else the cluster's own (own namespace only). */
int app__identities(struct app_controller *c, const struct app *spec, struct decrypt_ctx *dc);
void app__clients_free(struct app_controller *c);

/* webhook.c */
int app__webhook_routes(struct app_controller *c, struct rt_http *hooks);
/* A repository URL as webhooks match it: host (lowercase, no port) + path, no ".git", no
 * userinfo or scheme ("github.com/org/repo"). */
int app__url_match(struct buf *out, const char *url);

/* metrics.c */
void app__metrics_init(struct app_metrics *m, struct rt_registry *r);
void app__metric_count(struct rt_metric *m, const char *label, double v);
void app__metric_ready(struct app_controller *c, const char *ns, const char *name, int ready);
void app__metric_forget(struct app_controller *c, const char *ns, const char *name);
void app__metric_duration(struct app_controller *c, const char *ns, const char *name, double s);

#endif
