#ifndef GS_CTL_H
#define GS_CTL_H
/*
 * gitseal-controller internals, shared by the files of controller/ (never by cli/).
 *
 * Threads (redis-like: one owner of the state, helpers around it):
 *   main      flags, start-up, signals (a self-pipe flag), shutdown
 *   loop      (loop.c) the SealedSecret table and the work queue: retries,
 *             hands jobs to the pool
 *   watchers  (watchers.c) one per watched thing (SealedSecrets of all
 *             namespaces or of each listed one, Secrets for deletions; key
 *             Secrets in keyring.c): record what they see, queue the work
 *   pool      4 x --workers threads, --workers of them decrypting at a time:
 *             unseal (RSA), render, write the Secret, report back to the loop
 *   posts     (posts.c) two threads: the event and status write of each
 *             unseal, after the Secrets
 *   keys      generates keys (slow RSA keygen) so /healthz never waits
 *   leader    renews the Lease; only the leader reconciles and renews keys
 *   http      libmicrohttpd threads for :8080 and :8081
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "doc/doc.h"

#define CTL_VERSION "0.1.0"
#define CTL_COMPONENT "sealed-secrets"   /* event source, as upstream */
#define CTL_FIELD_MANAGER "gitseal-controller"
/* On every Secret we write: what it was made from (see ctl_source_record). */
#define CTL_ANNO_SOURCE "gitseal.dev/unsealed-from"

/* ---- options (opts.c) ----------------------------------------------------- */

struct ctl_opts {
	/* upstream flags (cmd/controller/main.go), env SEALED_SECRETS_<FLAG> */
	char *key_prefix;
	int key_size;
	double key_ttl;           /* seconds */
	char *my_cn;
	double key_renew_period;  /* seconds; 0 = no renewal */
	char *key_order_priority; /* CertNotBefore | SecretCreationTimestamp */
	time_t key_cutoff_time;   /* 0 = unset */
	int accept_v1_data;
	int all_namespaces;
	char *additional_namespaces; /* comma separated */
	char *label_selector;
	double rate_limit;
	int rate_limit_burst;
	char *privatekey_annotations;
	char *privatekey_labels;
	int old_gc_behavior;
	int update_status;
	int watch_for_secrets;
	int skip_recreate;
	int log_info_stdout;
	char *log_level;
	char *log_format;
	int max_unseal_retries;
	double kubeclient_qps;
	int kubeclient_burst;
	char *listen_addr;
	char *listen_metrics_addr;
	double read_timeout;
	double write_timeout;
	int version;
	int help;
	/* ours */
	char *kubeconfig;
	int leader_elect;
	char *leader_elect_lease_name;
	double leader_elect_lease_duration;
	int workers;
	char *namespace; /* the controller's own namespace (keys, Lease): $POD_NAMESPACE, SA file, "default" */
	char *identity;  /* Lease holder: $POD_NAME or hostname, + pid */
};

/* Defaults, then SEALED_SECRETS_* from env, then argv. 0 ok, 1 usage error (message printed). */
int ctl_opts_parse(struct ctl_opts *o, int argc, const char *const *argv);
void ctl_opts_release(struct ctl_opts *o);
void ctl_opts_usage(FILE *f);
/* Go's time.ParseDuration ("720h", "1h30m", "2.5s", "0"); GS_EINVAL naming the text. */
int ctl_parse_duration(const char *s, double *secs);
/* "a=b,c=d" -> map doc (upstream splits naively; an entry without '=' is an error here). */
int ctl_parse_kv_list(struct doc **out, const char *s, const char *flag);

/* ---- the desired Secret (desired.c): pure functions over docs ------------ */

struct sealed_items;
/*
 * The Secret a SealedSecret should produce: sealed_desired_secret() (items +
 * template.data) plus the CTL_ANNO_SOURCE record.
 */
int ctl_desired_secret(struct doc **out, const struct doc *ss, const struct sealed_items *items);
/* "uid=<uid>,generation=<n>,spec=<hex>,data=<hex>": what the Secret was made from. data hashes
 * the Secret's data map as written, so a hand edit of the Secret is noticed without decrypting. */
int ctl_source_record(struct buf *out, const struct doc *ss, const struct doc *data);
/* 1 when secret carries the record for ss as it is now and its data is unchanged since. */
int ctl_secret_is_current(const struct doc *secret, const struct doc *ss);
/* 1 when secret carries our record for ss's uid (we made it). */
int ctl_made_by(const struct doc *secret, const struct doc *ss);
/* 1 when secret has a controller ownerReference to ss (uid). */
int ctl_controlled_by(const struct doc *secret, const struct doc *ss);

enum ctl_plan {
	CTL_PLAN_NOOP,      /* already as desired */
	CTL_PLAN_UPDATE,    /* *update holds the object to PUT */
	CTL_PLAN_UNMANAGED, /* exists, not ours, not managed/patch: leave it alone */
};
/* What to do with an existing Secret (upstream controller.go:382-447: managed, patch, replace). */
int ctl_plan_update(enum ctl_plan *plan, struct doc **update, const struct doc *existing, const struct doc *desired,
                    const struct doc *ss);
/* Synced condition as it should be; 1 if the status must be written (flip, message or generation). */
int ctl_status_needs_write(const struct doc *ss, int ok, const char *message);
/* ss with .status set: observedGeneration + the Synced condition (lastTransitionTime kept unless flipped). */
int ctl_status_build(struct doc **out, const struct doc *ss, int ok, const char *message, time_t now);
/* hex SHA-256 (first 16 bytes) of the compact sorted JSON of n. */
int ctl_hash_doc(char out[33], const struct doc *n);

/* ---- metrics (metrics.c) -------------------------------------------------- */

void ctl_metrics_init(void);
void ctl_metric_unseal_request(void);
void ctl_metric_unseal_error(const char *reason, const char *ns);
/* condition_info gauge: -1 false, 0 unknown, 1 true; remove with ctl_metric_condition_del */
void ctl_metric_condition(const char *ns, const char *name, const char *instance, int value);
void ctl_metric_condition_del(const char *ns, const char *name);
void ctl_metric_http(const char *path, const char *method, int code, double seconds);
/* Prometheus text exposition of everything. */
int ctl_metrics_render(struct buf *out);

/* ---- shared state (main.c) ------------------------------------------------ */

struct kube_client;
struct keys_ring;

struct ctl_state {
	struct ctl_opts *opts;
	struct kube_client *kc; /* the main thread's and the leader's requests */
	/* Every worker and watcher thread gets a client of its own (ctl_client_new): no curl state
	 * is shared across threads, and a long-running watch never evicts a worker's keep-alive
	 * connection from a shared connection cache (that made every request a new TLS handshake). */
	const struct kube_config *kcfg;
	const struct kube_client_opts *kopts;
	/* the sealing keys: every thread reads, the key watcher/generator adds */
	pthread_rwlock_t keys_lock;
	struct keys_ring *ring;
	struct ctl_ratelimit *verify_rl;
	/* --workers: how many unseals (RSA private operations) run at once; the pool has more
	 * threads than that so API round trips overlap with decryption */
	sem_t rsa_slots;
	int defer_post; /* events and status writes go to the post threads (loop.c) */
	volatile int stopping;
};

/* A new client for one thread; qps_share: its part of --kubeclient-qps/burst (0..1). */
int ctl_client_new(struct ctl_state *st, struct kube_client **out, double qps_share);
/* Open every item of ss with the current keys (rdlock held meanwhile). *hint: per-thread key hint. */
int ctl_open_items(struct ctl_state *st, struct sealed_items *out, const struct doc *ss, size_t *hint);

/* ---- one reconcile (reconcile.c, on a worker) ------------------------------ */

struct ctl_result {
	int ok;            /* Synced */
	int retry;         /* worth trying again later */
	int unseal_failed; /* no key opened it: retry when a key arrives */
	int skipped;       /* already right (record matched): nothing decrypted */
	int decrypted;
	int wrote;         /* API writes made */
	int post;          /* done, but the event and status are left to ctl_reconcile_post() */
	int post_event;    /* ... with the Unsealed event */
};
/* The rest of a successful reconcile: the Unsealed event (if unsealed) and Synced=True. */
void ctl_reconcile_post(struct ctl_state *st, struct kube_client *kc, const struct doc *ss, int unsealed);
int ctl_reconcile(struct ctl_state *st, struct kube_client *kc, const struct doc *ss, size_t *hint,
                  struct ctl_result *res);

/* ---- the leader's machinery (loop.c) --------------------------------------- */

struct ctl_loop;
/* Start workers, the loop thread and the watchers (SealedSecrets, Secrets for deletions). */
int ctl_loop_start(struct ctl_loop **out, struct ctl_state *st);
void ctl_loop_stop(struct ctl_loop *l);
/* A key arrived: retry what no key could open. */
void ctl_loop_keys_changed(struct ctl_loop *l);
void ctl_loop_stats(struct ctl_loop *l, long *ok, long *skipped, long *failed, size_t *known, size_t *busy);

/* ---- sealing keys (keyring.c) ---------------------------------------------- */

struct ctl_keys;
/* Load the key Secrets of the controller's namespace and keep watching them (every replica). */
int ctl_keys_start(struct ctl_keys **out, struct ctl_state *st);
void ctl_keys_stop(struct ctl_keys *k);
/* 1 once the first list of key Secrets is loaded. */
int ctl_keys_synced(struct ctl_keys *k);
size_t ctl_keys_count(struct ctl_state *st);
/* The leader's timer: first key, --key-cutoff-time, --key-renew-period, SIGUSR1 (forced). Starts a
 * generation thread when one is due; never blocks. */
void ctl_keys_tick(struct ctl_keys *k, int force);
void ctl_keys_set_loop(struct ctl_keys *k, struct ctl_loop *l);

/* ---- HTTP (http.c) -------------------------------------------------------- */

struct ctl_http;
int ctl_http_start(struct ctl_http **out, struct ctl_state *st, const char *addr, int metrics);
/* The bound port (useful with ":0"). */
int ctl_http_port(const struct ctl_http *h);
void ctl_http_stop(struct ctl_http *h);
/* "host:port", ":port", "[::1]:port" -> parts; GS_EINVAL naming the flag. */
int ctl_parse_listen(const char *addr, char *host, size_t hostlen, int *port);

/* GCRA per key (verify rate limit): 1 if allowed at now. */
struct ctl_ratelimit;
struct ctl_ratelimit *ctl_ratelimit_new(double rate, int burst);
int ctl_ratelimit_allow(struct ctl_ratelimit *rl, const char *key, double now);
void ctl_ratelimit_free(struct ctl_ratelimit *rl);

#endif
