#ifndef GS_CTL_SEALEDSECRET_INT_H
#define GS_CTL_SEALEDSECRET_INT_H
/*
 * Inside controller/sealedsecret/:
 *   controller.c  start/stop, the leader's tick, the unsealing machinery (table, queue, informers)
 *   reconcile.c   one SealedSecret -> its Secret (a queue worker)
 *   posts.c       the event and status write after an unseal, second in priority
 *   desired.c     the desired Secret, the plan for an existing one, the status (pure functions)
 *   keyring.c     the key Secrets (an informer on every replica) and key generation (the leader)
 *   http.c        /v1/cert.pem, /v1/verify, /v1/rotate
 *   metrics.c     the upstream metric names
 *   record.c      the source-record key (the HMAC key of the record on every Secret we write)
 *   agekeys.c     the cluster's age identities (an informer on every replica, made by the leader)
 *   usage.c       which keys each SealedSecret needs: per-key counts, a metric, the census
 *   keys_http.c   /v1/age-recipient, /v1/keys, /v1/rotate-stale
 */
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <time.h>

#include "controller/opts.h"
#include "controller/runtime/runtime.h"
#include "controller/sealedsecret/sealedsecret.h"
#include "core/buf.h"
#include "doc/doc.h"
#include "keys/keys.h"

#define SS_COMPONENT "sealed-secrets" /* event source, as upstream */
/* On every Secret we write: what it was made from (see ss_source_record). */
#define SS_ANNO_SOURCE "gitseal.dev/unsealed-from"

/* ---- the desired Secret (desired.c): pure functions over docs ------------------------------ */

struct sealed_items;
/* The source-record key: KEYS_RECORD_KEY_LEN bytes (keys/keys.h), the controller's. */
#define SS_RECORD_KEY_LEN 32
/* The Secret a SealedSecret should produce: sealed_desired_secret() (items + template.data) plus
 * the SS_ANNO_SOURCE record under key. */
int ss_desired_secret(struct doc **out, const struct doc *ss, const struct sealed_items *items,
                      const unsigned char *key);
/* "uid=<uid>,generation=<n>,spec=<hex>,mac=<hex>": what the Secret was made from (desired.c has
 * the details). The mac covers the Secret's data map as written, so a hand edit of the Secret is
 * noticed without decrypting, and is keyed, so it says nothing about the values. */
int ss_source_record(struct buf *out, const struct doc *ss, const struct doc *data,
                     const unsigned char *key);
/* 1 when secret carries the record for ss as it is now and its data is unchanged since;
 * SS_RECORD_OLD when it carries a record of the format before the HMAC that says the same (to be
 * replaced by the keyed one: no decryption needed); 0 otherwise. */
#define SS_RECORD_OLD 2
int ss_secret_is_current(const struct doc *secret, const struct doc *ss, const unsigned char *key);
/* 1 when secret carries our record for ss's uid (we made it). */
int ss_made_by(const struct doc *secret, const struct doc *ss);
/* 1 when secret has a controller ownerReference to ss (uid). */
int ss_controlled_by(const struct doc *secret, const struct doc *ss);

enum ss_plan {
	SS_PLAN_NOOP,      /* already as desired */
	SS_PLAN_UPDATE,    /* *update holds the object to PUT */
	SS_PLAN_UNMANAGED, /* exists, not ours, not managed/patch: leave it alone */
};
/* What to do with an existing Secret (upstream controller.go:382-447: managed, patch, replace). */
int ss_plan_update(enum ss_plan *plan, struct doc **update, const struct doc *existing,
                   const struct doc *desired, const struct doc *ss, const unsigned char *key);
/* Synced condition as it should be; 1 if the status must be written (flip, message or generation).
 */
int ss_status_needs_write(const struct doc *ss, int ok, const char *message);
/* ss with .status set: observedGeneration + the Synced condition (lastTransitionTime kept unless
 * flipped). */
int ss_status_build(struct doc **out, const struct doc *ss, int ok, const char *message,
                    time_t now);
/* hex SHA-256 (first 16 bytes) of the compact sorted JSON of n. */
int ss_hash_doc(char out[33], const struct doc *n);

/* ---- metrics (metrics.c): upstream's names (pkg/controller/metrics.go) ------------------- */

struct ss_metrics {
	struct rt_metric *build_info, *unseal_requests, *unseal_errors, *condition;
};
void ss_metrics_init(struct ss_metrics *m, struct rt_registry *r);
void ss_metric_unseal_request(struct ss_metrics *m);
void ss_metric_unseal_error(struct ss_metrics *m, const char *reason, const char *ns);
/* condition_info gauge: -1 false, 0 unknown, 1 true; removed with ss_metric_condition_del */
void ss_metric_condition(struct ss_metrics *m, const char *ns, const char *name,
                         const char *instance, int value);
void ss_metric_condition_del(struct ss_metrics *m, const char *ns, const char *name);
/* The metric prefix of the HTTP server the routes live on. */
#define SS_METRIC_PREFIX "sealed_secrets_controller_"

/* ---- sealing keys (keyring.c) -------------------------------------------------------------- */

struct ss_controller;
struct ss_age;
struct ss_usage_metrics;
struct ss_keys {
	struct ss_controller *c;
	/* the sealing keys: every thread reads, the key informer and the generator add */
	pthread_rwlock_t lock;
	struct keys_ring ring;
	/* --workers: how many unseals (RSA private operations) the unsealing workers run at once
	 * (/v1/verify and /v1/rotate have the HTTP work threads instead, never these) */
	sem_t rsa_slots;
	struct rt_informer *inf;
	pthread_mutex_t mu; /* what follows */
	int synced;
	int gen_running, gen_joinable, cutoff_checked;
	pthread_t gen_th;
	time_t next_try;
};
int ss_keys_init(struct ss_keys *k, struct ss_controller *c);
/* The key Secrets of the controller's namespace: the pre-0.9 one once, then an informer. */
int ss_keys_start(struct ss_keys *k);
void ss_keys_stop(struct ss_keys *k);
void ss_keys_release(struct ss_keys *k);
int ss_keys_synced(struct ss_keys *k);
size_t ss_keys_count(struct ss_keys *k);
/* The leader's timer: first key, --key-cutoff-time, --key-renew-period, SIGUSR1 (force). Starts
 * a generation thread when one is due; never blocks. */
void ss_keys_tick(struct ss_keys *k, int force);
/* Open every item of ss with the current keys (read lock and an RSA slot held meanwhile).
 * *hint: the caller's key hint (the key that opened the last one). */
int ss_keys_open(struct ss_keys *k, struct sealed_items *out, const struct doc *ss, size_t *hint);
/* The same for /v1/verify, without a decryption slot: it runs on the HTTP work threads, which are
 * the HTTP side's own budget. */
int ss_keys_verify(struct ss_keys *k, struct sealed_items *out, const struct doc *ss, size_t *hint);
/* The same; ids (SS_KEY_IDS entries, 0 past the last) gets the keys_entry.id of every key that
 * opened an item. */
#define SS_KEY_IDS 4
int ss_keys_open_ids(struct ss_keys *k, struct sealed_items *out, const struct doc *ss,
                     size_t *hint, unsigned *ids);

/* ---- the unsealing machinery (controller.c, posts.c; only while leading) ------------------ */

/* What the table knows of one SealedSecret (under ss_loop.mu). */
struct ss_ent {
	char uid[40];
	char gen_scope[48];         /* "<generation>/<scope>" last queued */
	unsigned queued : 1;        /* waiting in the queue (with this gen_scope) */
	unsigned running : 1;       /* on a worker */
	unsigned done : 1;          /* the last reconcile of uid/gen_scope succeeded */
	unsigned unseal_failed : 1; /* no key opened it: try again when a key arrives */
	unsigned orphan : 1;        /* removed from the table while running: the worker frees it */
	unsigned key_known : 1;     /* key_ids says which keys it needs (usage.c) */
	unsigned identifying : 1;   /* a census job is queued for it (usage.c) */
	unsigned identify_failed : 1;
	unsigned key_ids[SS_KEY_IDS]; /* keys_entry.id of the keys that opened it, 0-terminated */
};

/* The queue's payload: the SealedSecret as compact JSON (a queued ~1.5 KiB string is several
 * times smaller than the tree, whose clone would also pin the informer's whole list page), or
 * the Secret to delete (--old-gc-behavior). */
enum ss_job_kind { SS_JOB_RECONCILE, SS_JOB_DELETE_SECRET, SS_JOB_IDENTIFY };
struct ss_job {
	enum ss_job_kind kind;
	char json[];
};

/* The event and status write after a successful unseal: second priority. */
struct ss_post {
	struct ss_post *next;
	char *ss; /* JSON: post_subset() of the SealedSecret */
	int unsealed;
	double queued_at;
};

#define SS_QUEUE_WATERMARK 64 /* SealedSecrets waiting for a worker before the informers wait */
/* Events and status writes wait while Secrets are still to be written (workloads need the
 * Secrets; on a cold start over thousands the three writes per object otherwise share the API
 * server evenly), up to this many or this long. */
#define SS_MAX_POSTS 8000
#define SS_POST_MAX_WAIT 30.0

struct ss_watch;
struct ss_loop {
	struct ss_controller *c;
	pthread_mutex_t mu; /* the table, the posts, the counters */
	struct rt_map ents; /* "ns/name" -> struct ss_ent */
	struct rt_queue *q;
	struct rt_informer **infs; /* SealedSecrets (and Secrets) per namespace, or of all */
	struct ss_watch **watches; /* each informer's context (NULL: Secrets') */
	size_t ninfs, cap;
	size_t *hints; /* per worker: the key that opened the last SealedSecret */
	int nworkers;
	int defer_post; /* events and status writes go to the post threads */
	int stop;
	struct ss_post *phead, *ptail;
	size_t nposts;
	int pinflight;
	pthread_cond_t cv_post;
	pthread_t posters[2];
	int nposters;
	/* the log line at the end of the first sync */
	long done_ok, done_skipped, done_failed;
	int ss_informers, ss_synced, ns_synced, caught_up;
	double started;
};

/* controller.c */
int ss_loop_start(struct ss_loop **out, struct ss_controller *c);
void ss_loop_stop(struct ss_loop *l);
/* A key arrived: retry what no key could open. */
void ss_loop_keys_changed(struct ss_loop *l);
/* Under l->mu: log "caught up" once everything listed at start is handled. */
void ss__check_caught_up(struct ss_loop *l);

/* posts.c: queue the event + status of a successful unseal (0: not queued, do it here) */
int ss__queue_post(struct ss_loop *l, const struct doc *ss, int unsealed);
void *ss__post_main(void *arg);
void ss__posts_drop(struct ss_loop *l);

/* ---- one reconcile (reconcile.c, on a worker) ---------------------------------------------- */

struct ss_result {
	int ok;            /* Synced */
	int retry;         /* worth trying again later */
	int unseal_failed; /* no key opened it: retry when a key arrives */
	int skipped;       /* already right (record matched): nothing decrypted */
	int decrypted;
	int wrote;      /* API writes made */
	int post;       /* done, but the event and status are left to ss_reconcile_post() */
	int post_event; /* ... with the Unsealed event */
	unsigned key_ids[SS_KEY_IDS]; /* decrypted: the keys that opened it (usage.c) */
};
int ss_reconcile(struct ss_controller *c, const struct doc *ss, size_t *hint, int defer_post,
                 struct ss_result *res);
/* The rest of a successful reconcile: the Unsealed event (if unsealed) and Synced=True. */
void ss_reconcile_post(struct ss_controller *c, const struct doc *ss, int unsealed);

/* ---- HTTP (http.c) ----------------------------------------------------------------------------
 */

int ss_http_routes(struct ss_controller *c, struct rt_http *api);

/* ---- the controller ----------------------------------------------------------------------------
 */

struct ss_controller {
	const struct ctl_opts *o;
	struct rt *rt;
	struct kube_client *kc; /* the runtime's one client */
	struct ss_metrics metrics;
	struct ss_keys keys;
	struct rt_leader *leader;
	pthread_mutex_t mu;   /* what follows */
	int force_key;        /* SIGUSR1 seen, for the leader's next tick */
	struct ss_loop *loop; /* the machinery, while leading */
	/* the source-record key (record.c): loaded by the leader before the machinery starts,
	 * read-only from then on; wiped at the end */
	unsigned char record_key[SS_RECORD_KEY_LEN];
	int record_key_loaded;
	struct ss_age *age;             /* the age identities (agekeys.c) */
	struct ss_usage_metrics *usage; /* per-key counts as metrics (usage.c) */
	ss_sops_usage_fn sops_usage;    /* SOPS objects per age identity (set before start) */
	void *sops_usage_arg;
};

/* record.c: the leader's source-record key into c->record_key (made on first start). */
int ss_record_key_load(struct ss_controller *c);

/* ---- the key lifecycle: age identities, per-key usage, their endpoints -------------------- */

/* agekeys.c: the identity Secrets of the controller's namespace into ring (every replica), and
 * a new identity when there is none, with each key renewal and on SIGUSR1 (the leader). */
int ss_age_new(struct ss_controller *c, struct keys_age_ring *ring);
int ss_age_start(struct ss_controller *c);
void ss_age_tick(struct ss_controller *c, int force);
void ss_age_stop(struct ss_controller *c);
void ss_age_free(struct ss_controller *c);
struct keys_age_ring *ss_age_ring(struct ss_controller *c);

/* usage.c */
void ss_usage_init(struct ss_controller *c);
void ss_usage_free(struct ss_controller *c);
/* Under l->mu: record what a worker's reconcile learnt of e (its keys). */
void ss__usage_record(struct ss_ent *e, const struct ss_result *res);
/* The leader's tick while the machinery runs: metrics, and census jobs for SealedSecrets whose
 * keys are not known (a restart skips decryption); returns the delay it wants (ms, 0: none). */
long ss_usage_tick(struct ss_controller *c, struct ss_loop *l);
/* A census job on a worker: open the SealedSecret once to learn its keys; writes nothing. */
enum rt_result ss__identify(struct ss_loop *l, int worker, const char *key);
/* The /v1/keys document (JSON) into out. */
int ss_usage_json(struct ss_controller *c, struct buf *out);

/* keys_http.c */
int ss_lifecycle_routes(struct ss_controller *c, struct rt_http *api);

#endif
