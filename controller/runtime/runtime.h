#ifndef GS_CTL_RUNTIME_H
#define GS_CTL_RUNTIME_H
/*
 * controller/runtime: what every reconciler of gitseal-controller stands on
 * (controller/sealedsecret/ today, controller/application/ next). It knows
 * keys ("namespace/name"), objects and handlers, never a reconciler's kinds.
 *
 * Threading model (STYLE.md §9: one owner per piece of state, blocking work on
 * workers, nothing blocks the event loop):
 *
 *   main       flags, signals (sigwait: SIGTERM/SIGINT stop, SIGUSR1 is the
 *              reconciler's), start and stop. Owns the struct rt.
 *   informers  ONE thread for every informer of the process: a kube_mux
 *              (lib/kube) runs all their lists and watches over one curl multi
 *              handle; HTTP/2 carries every watch on one TLS connection. The
 *              informer keeps its cache and calls the handlers there, one at a
 *              time; handlers never block: they record and queue keys. A
 *              reconciler whose queue is full makes its informer wait (busy()):
 *              the next list page is not fetched and the watch stream pauses
 *              (flow control pushes back on the server) until rt_kick().
 *   workers    each rt_queue has its own N threads; a key is on at most one
 *              worker at a time; retries wait out a per-key backoff. Workers
 *              make the blocking API calls and the crypto.
 *   leader     one thread per Lease (rt_leader): acquires and renews it and
 *              calls the reconciler's tick (redis-style: it returns the delay
 *              it wants) while leading or not; losing the Lease ends the
 *              process at once, as client-go does.
 *   http       per server: libmicrohttpd's 2 event threads (epoll) answering the light
 *              routes inline; a work pool (--http-workers threads) for the routes marked
 *              work (decryption), so /healthz never waits behind them; a reaper thread
 *              that closes connections past their read/write deadline (runtime/http*.c).
 *   One kube_client serves every thread (one QPS/burst bucket, one connection
 *   cache for requests; the informers' watches are on their own connection so
 *   they never take a worker's keep-alive connection).
 *
 * What a watch costs (measured against the test API server; the one-connection
 * claim is asserted by tests/kube/mux_test.c): 24 label-selected watches on
 * the mux add 1 thread, 1 TLS connection and ~0.6 MiB RSS; as a thread and a
 * client each (the design before the runtime) they added 24 threads, 24
 * connections and ~4.4 MiB. The Application reconciler's dozens of kinds stay
 * in that first column.
 *
 * Lock order: a reconciler's lock, then rt_queue's, then the informer's; the
 * runtime never calls a handler or callback with one of its locks held.
 */
#include <stddef.h>

#include "core/buf.h"
#include "doc/doc.h"
#include "kube/kube.h"

/* ---- the runtime ------------------------------------------------------------------------------
 */

struct rt;
struct rt_registry;
/* One client for the whole process (co: the one QPS/burst bucket), a metrics registry, and the
 * informer thread (started with the first informer). */
int rt_new(struct rt **out, const struct kube_config *cfg, const struct kube_client_opts *co);
/* After every informer, queue, leader and HTTP server built on it stopped. */
void rt_free(struct rt *rt);
struct kube_client *rt_client(struct rt *rt);
struct rt_registry *rt_metrics(struct rt *rt);
/* Any thread: informers whose busy() said wait look again now. */
void rt_kick(struct rt *rt);

/* "ns/name" ("name" when ns is NULL or empty) into out (cleared first). */
int rt_key(struct buf *out, const char *ns, const char *name);
/* Split a key: *ns and *name point into copy (a caller's buffer of at least strlen(key)+1). */
void rt_key_split(const char *key, char *copy, const char **ns, const char **name);

/* ---- a string-keyed hash map ------------------------------------------------------------------
 */

struct rt_map_ent;
struct rt_map {
	struct rt_map_ent **b;
	size_t nb, n;
};
#define RT_MAP_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void *rt_map_get(const struct rt_map *m, const char *key);
/* Set key (copied) to val; returns 0, or GS_ENOMEM. An old value is replaced (not freed). */
int rt_map_put(struct rt_map *m, const char *key, void *val);
/* Remove key; returns its value (NULL if absent). */
void *rt_map_del(struct rt_map *m, const char *key);
/* Call fn for every entry (any order); fn may not change the map, except rt_map_each_del below. */
void rt_map_each(struct rt_map *m, void (*fn)(void *ctx, const char *key, void *val), void *ctx);
/* Remove every entry for which fn returns non-zero (fn frees the value if it should). */
void rt_map_each_del(struct rt_map *m, int (*fn)(void *ctx, const char *key, void *val), void *ctx);
void rt_map_release(struct rt_map *m, void (*free_val)(void *val));

/* ---- keyed work queue -------------------------------------------------------------------------
 */

enum rt_result {
	RT_DONE,   /* handled: the key's retry count is forgotten */
	RT_RETRY,  /* again after the key's backoff (base * 2^retries, capped), without payload */
	RT_FAILED, /* not retried now; the retry count stays until rt_queue_forget() */
};

struct rt_queue_opts {
	const char *name;    /* in logs */
	int workers;         /* threads (>= 1) */
	double backoff_base; /* seconds before the first retry (0 = 0.5) */
	double backoff_max;  /* cap (0 = 60) */
	size_t watermark;    /* rt_queue_busy() from this many waiting keys (0 = never busy) */
	size_t stack_size;   /* worker stacks (0 = the default) */
	/* On a worker, no lock held. payload: the newest one given to rt_queue_add() for this key
	 * (NULL: none, or a retry), to be freed by process; retries: how many retries came before.
	 */
	enum rt_result (*process)(void *ctx, int worker, const char *key, void *payload,
	                          int retries);
	void (*free_payload)(void *payload); /* for payloads dropped (replaced, stop) */
	void (*drained)(
	    void *ctx);          /* the waiting keys went below the watermark (a worker, no lock) */
	void (*idle)(void *ctx); /* nothing waits, nothing runs (a worker, no lock) */
	void *ctx;
};

struct rt_queue;
int rt_queue_new(struct rt_queue **out, const struct rt_queue_opts *o);
/*
 * Queue key (any thread). A key waits at most once (FIFO by its first add); a payload given again
 * replaces the waiting one (the old is freed), NULL keeps it. A key added while a worker has it
 * runs again afterwards with the newest payload. An add cancels a pending retry of the key.
 */
void rt_queue_add(struct rt_queue *q, const char *key, void *payload);
/* Queue key after seconds, unless it is waiting, running or due sooner already. */
void rt_queue_add_after(struct rt_queue *q, const char *key, double seconds);
/* Forget key's retry count (and a pending retry). */
void rt_queue_forget(struct rt_queue *q, const char *key);
int rt_queue_retries(struct rt_queue *q, const char *key);
size_t rt_queue_len(struct rt_queue *q); /* waiting keys (not running, not delayed) */
size_t rt_queue_running(struct rt_queue *q);
int rt_queue_busy(struct rt_queue *q); /* rt_queue_len() >= watermark */
/* Workers finish the key they hold and end; waiting and delayed keys are dropped. Frees q. */
void rt_queue_free(struct rt_queue *q);

/* ---- informers --------------------------------------------------------------------------------
 */

/* What the cache keeps of every object (ns "" for cluster-scoped kinds). */
struct rt_meta {
	const char *key, *ns, *name, *uid, *resource_version;
	long long generation;
};

struct rt_informer_opts {
	const char *api_version, *kind;
	const char *ns; /* NULL: every namespace */
	const char *label_selector, *field_selector;
	long page_size;   /* list pages (0 = 500) */
	int no_list;      /* only changes from now on: no list, no cache (Secrets' deletions) */
	int keep_objects; /* the cache keeps each object too (compact JSON): rt_informer_get() */
	/* Handlers: on the informer thread, one at a time, in the order the server sent; never
	 * blocking. obj is borrowed for the call. */
	void (*on_add)(void *ctx, const struct doc *obj, int listed);
	void (*on_update)(void *ctx, const struct doc *obj, const struct rt_meta *old, int listed);
	/* last: the object as deleted; NULL when a relist found it gone */
	void (*on_delete)(void *ctx, const struct rt_meta *gone, const struct doc *last);
	void (*on_synced)(void *ctx, int first); /* a (re)list is complete */
	int (*busy)(void *ctx); /* non-zero: wait (next page, stream) until rt_kick() */
	void *ctx;
	const char *what; /* in logs ("sealedsecrets"); NULL: the kind */
	/* objects as PartialObjectMetadata (apiVersion, kind, metadata): a Secret's data never
	 * enters the process, neither in lists nor in events */
	int metadata_only;
};

struct rt_informer;
int rt_informer_start(struct rt_informer **out, struct rt *rt, const struct rt_informer_opts *o);
/* No handler runs after it returns. Frees inf. */
void rt_informer_stop(struct rt_informer *inf);
int rt_informer_synced(struct rt_informer *inf);
size_t rt_informer_count(struct rt_informer *inf);
/* 1 and a copy of the cached meta fields into the buffers (uid 64, rv 64 bytes) if key is known. */
int rt_informer_meta(struct rt_informer *inf, const char *key, char *uid, char *rv,
                     long long *generation);
/* keep_objects: the cached object (a fresh tree); GS_ENOTFOUND if it is not there. */
int rt_informer_get(struct rt_informer *inf, struct doc **out, const char *key);

/* ---- leader election --------------------------------------------------------------------------
 */

struct rt_leader_opts {
	int enabled; /* 0: lead at once, no Lease (one replica) */
	const char *ns, *name, *identity;
	double lease_duration; /* seconds (>= 2) */
	/* On the leader thread, first at start, then when it asks (ms, capped at a fifth of the
	 * lease) or rt_leader_kick(); leader: we hold the Lease. */
	long (*tick)(void *ctx, int leader);
	/* On the leader thread at stop, before the Lease is given up: stop what only the leader
	 * does. */
	void (*stopped)(void *ctx);
	void *ctx;
};
struct rt_leader;
int rt_leader_start(struct rt_leader **out, struct rt *rt, const struct rt_leader_opts *o);
void rt_leader_kick(struct rt_leader *l); /* any thread: tick now */
/* stopped(), then the Lease is released (another replica takes over at once); frees l. */
void rt_leader_stop(struct rt_leader *l);

/* ---- HTTP server (libmicrohttpd; <microhttpd.h> stays in runtime/http*.c) --------------------
 *
 * What an unauthenticated client can make a server do is bounded by these options (http.c has the
 * whole list; README "Security" the flags): connections, time per request, memory for bodies, CPU
 * (work routes on a pool of their own), requests per peer address (rate-limited routes), and the
 * metric series it can add (none: methods and paths are labelled from the route table).
 */

struct rt_http_opts {
	const char *addr;    /* "host:port", ":port" (every address), "[::1]:port" */
	const char *flag;    /* the flag that set it, in errors ("listen-addr") */
	double read_timeout; /* the whole request, headers and body (from the accept or the end of
	                        the previous answer), seconds (0 = 120): a slow client is cut off */
	size_t body_max;     /* request bodies above this get body_too_big (0 = 2 MiB); a
	                        Content-Length above it is answered 413 before the body is read */
	const char
	    *metric_prefix; /* <prefix>http_requests_total and ..._duration_seconds; NULL: none */
	/* added with the hardening (issue 14); 0 = the default */
	double write_timeout;  /* the end of the request to the end of the answer (0 = 120) */
	unsigned max_conns;    /* connections at once (0 = 256): a new one closes the oldest one
	                          still being read */
	unsigned max_per_ip;   /* connections from one address (0 = 32) */
	size_t body_total_max; /* request bodies held at once, every connection (0 = 16 MiB): 503 */
	size_t conn_memory;    /* per connection, headers and reads (0 = 64 KiB) */
	int work_threads;      /* threads for the work routes (0 = 1) */
	size_t work_queue;     /* work requests waiting for them (0 = 16): 503 past it */
};
struct rt_http_req {
	const char *method, *path;
	const struct buf *body;
	int body_too_big;
	void *conn;       /* for rt_http_header() */
	const char *peer; /* the client's address as rate limits key it (IPv4, IPv6 /64) */
};
struct rt_http_resp {
	int code;         /* 0 = 200 */
	const char *type; /* Content-Type; NULL: none */
	struct buf body;  /* never plaintext: certificates, sealed documents, short messages */
};
typedef void (*rt_http_fn)(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp);

struct rt_http;
/* Parse the address; nothing listens until rt_http_start(). */
int rt_http_new(struct rt_http **out, struct rt *rt, const struct rt_http_opts *o);

struct rt_http_route_opts {
	const char *method; /* "GET", "GET,HEAD", "POST"; NULL: any method */
	const char *path;   /* exact */
	rt_http_fn fn;
	void *ctx;
	/* CPU-heavy (a decryption): fn runs on the server's work threads, never on an event
	 * thread; the connection waits suspended. Light routes run inline and must not block. */
	int work;
	/* requests per second per peer address (not a header), checked before the body is read
	 * (429 + Retry-After past it); <= 0: unlimited */
	double rate;
	int burst;
};
/*
 * Before rt_http_start(). Only POST, PUT, PATCH (or any-method) routes get a request body; others
 * read and drop it. Unknown paths get 404, a known path with another method 405 with Allow.
 */
int rt_http_route_add(struct rt_http *h, const struct rt_http_route_opts *o);
/* rt_http_route_add() of a light route without a rate limit. */
int rt_http_route(struct rt_http *h, const char *method, const char *path, rt_http_fn fn,
                  void *ctx);
/* The built-in routes, GET and HEAD: /healthz ("ok"), /metrics (the registry). */
int rt_http_route_healthz(struct rt_http *h);
int rt_http_route_metrics(struct rt_http *h);
int rt_http_start(struct rt_http *h);
int rt_http_port(const struct rt_http *h); /* the bound port (useful with ":0") */
const char *rt_http_header(const struct rt_http_req *rq, const char *name);
void rt_http_reply_text(struct rt_http_resp *resp, int code, const char *text);
void rt_http_free(struct rt_http *h); /* stops serving first (queued work is answered 503) */
/* "host:port", ":port", "[::1]:port" -> parts; GS_EINVAL naming the text. */
int rt_parse_listen(const char *addr, char *host, size_t hostlen, int *port);

/* ---- Prometheus registry ----------------------------------------------------------------------
 */

enum rt_metric_type { RT_COUNTER, RT_GAUGE, RT_HISTOGRAM };
struct rt_metric;
struct rt_registry *rt_registry_new(void);
void rt_registry_free(struct rt_registry *r);
/* Series per family (0 = 10 000): past it a new series is dropped and counted in
 * gitseal_metric_series_dropped_total{metric="<family>"}. */
void rt_registry_set_max_series(struct rt_registry *r, size_t max);
/*
 * A metric family: labels NULL-terminated, rendered in that order (give them sorted, as the Go
 * client renders them); buckets for histograms (upper bounds, ascending). The same name again
 * returns the family already registered. NULL on out of memory.
 */
struct rt_metric *rt_metric_new(struct rt_registry *r, enum rt_metric_type type, const char *name,
                                const char *help, const char *const *labels, const double *buckets,
                                size_t nbuckets);
/* values: one per label, in the labels' order (NULL is "" here). Series appear on first use. */
void rt_metric_add(struct rt_metric *m, const char *const *values, double v); /* counter, gauge */
void rt_metric_set(struct rt_metric *m, const char *const *values, double v); /* gauge */
void rt_metric_observe(struct rt_metric *m, const char *const *values, double v); /* histogram */
/* A NULL among values matches any value (client_golang's DeletePartialMatch; a scan). */
void rt_metric_del(struct rt_metric *m, const char *const *values);
/* The text exposition format (0.0.4): every family in registration order, then process_*. Out of
 * room in out: the families that fit (whole lines only) and the error. */
int rt_registry_render(struct rt_registry *r, struct buf *out);

/* ---- rate limit (GCRA per key) ----------------------------------------------------------------
 */

struct rt_ratelimit;
struct rt_ratelimit *rt_ratelimit_new(double rate,
                                      int burst); /* rate per second; <= 0: unlimited */
int rt_ratelimit_allow(struct rt_ratelimit *rl, const char *key,
                       double now); /* 1 if allowed at now */
void rt_ratelimit_free(struct rt_ratelimit *rl);

#endif
