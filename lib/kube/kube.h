#ifndef GS_KUBE_H
#define GS_KUBE_H
/*
 * kube: a small Kubernetes API client over libcurl (the only place that
 * includes <curl/curl.h>). libcurl is dlopen()ed by the first client or
 * fetch (curl_dl.c), so binaries start without it; if it is missing, those
 * calls fail with "libcurl.so.4 not found: install libcurl4 (make deps)".
 * Objects go in and out as lib/doc trees (JSON on the wire); bodies travel
 * in struct buf.
 *
 *   struct kube_client *kc = NULL;
 *   struct kube_overrides ov = KUBE_OVERRIDES_INIT;   // the CLI fills --kubeconfig/--context/-n
 *   if (kube_client_from_env(&kc, &ov, NULL) < 0) ... gs_error_last() ...
 *   kube_get(&obj, kc, "v1", "Secret", "ns", "name");
 *
 * Errors: every call returns 0 (or a count) or a negative GS_E* code after
 * gs_error(). API errors carry the server's Status, e.g.
 *   secrets "x" already exists (AlreadyExists, 409)
 * and map 404 -> GS_ENOTFOUND, 409 -> GS_ECONFLICT, 401/403 -> GS_EAUTH,
 * 400/422 -> GS_EINVAL, network/5xx -> GS_EIO, 410 -> GS_EGONE (below).
 * kube_last_status() tells the HTTP status and reason of this thread's last call.
 *
 * Thread safety: a kube_client may be shared by threads. Requests take an
 * idle curl handle from a small pool (a mutex guards the pool, the QPS
 * bucket, discovery and the credential cache); a curl share handle shares
 * connections, DNS and TLS sessions, so keep-alive works across threads.
 * A kube_watch is used by one thread at a time (kube_watch_stop() may be
 * called from any thread); many watches can share one thread on a kube_mux.
 *
 * Secrets: bearer tokens, client keys and Secret objects are kept in wiped
 * memory; they never appear in messages or logs.
 */
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "doc/doc.h"

/* A watch's resourceVersion is too old (HTTP 410 Gone): list again. */
#define GS_EGONE (-410)

/* Metadata only (meta.k8s.io/v1, served since Kubernetes 1.15): the server sends each object as a
 * PartialObjectMetadata (apiVersion, kind, metadata), so a Secret's data never reaches us. A list
 * takes the List form, a watch the single one (its events carry objects). */
#define KUBE_ACCEPT_METADATA "Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
#define KUBE_ACCEPT_METADATA_LIST                                                                  \
	"Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

#define KUBE_BODY_MAX ((size_t)64 << 20) /* cap on any response body */
#define KUBE_FETCH_MAX ((size_t)4 << 20) /* default cap of kube_fetch_url() if out->max is 0 */

/* ---- plain HTTP(S) ------------------------------------------------------------------------ */

/*
 * GET url (http or https only, up to 5 redirects, system CAs and proxies) into out, capped at
 * out->max bytes. timeout_ms bounds the whole transfer (0 = 30 s; the connect phase gets at most
 * 10 s). Errors name the URL: "GET https://x/cert.pem: HTTP 404 Not Found", "...: timed out".
 */
int kube_fetch_url(struct buf *out, const char *url, long timeout_ms);

/* ---- configuration (like kubectl) --------------------------------------------------------- */

/* What the command line overrides; NULL/0 = not given. */
struct kube_overrides {
	const char
	    *kubeconfig;     /* --kubeconfig: one file, replaces $KUBECONFIG and ~/.kube/config */
	const char *context; /* --context */
	const char *cluster; /* --cluster */
	const char *user;    /* --user */
	const char *ns;      /* -n / --namespace */
	const char *server;  /* --server */
	const char *token;   /* --token (a secret: the CLI should blank it in argv) */
	int insecure_skip_tls_verify; /* --insecure-skip-tls-verify */
	int in_cluster;               /* 1: only in-cluster config; -1: never; 0: kubectl's order */
};
#define KUBE_OVERRIDES_INIT                                                                        \
	{                                                                                          \
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0                                     \
	}

/* users[].user.exec (client.authentication.k8s.io/v1 or v1beta1 ExecCredential plugin) */
struct kube_exec_config {
	char *api_version;
	char *command;
	char **args; /* nargs entries */
	size_t nargs;
	char **env; /* "NAME=value", nenv entries */
	size_t nenv;
	int provide_cluster_info;
	char *install_hint;
};

/* The resolved connection settings for one context. Every string is owned; NULL when unset. */
struct kube_config {
	char *source;  /* for messages: the kubeconfig path(s) or "in-cluster" */
	char *context; /* context name ("" in-cluster) */
	char *cluster_name;
	char *user_name;
	char *server; /* "https://host:port[/prefix]", no trailing slash */
	char *ns;     /* namespace: override > context > in-cluster file > "default" */
	char *tls_server_name;
	int insecure;      /* insecure-skip-tls-verify */
	struct buf ca_pem; /* certificate-authority-data (decoded) or the file's bytes */
	char *ca_file;
	struct buf client_cert_pem;
	char *client_cert_file;
	struct buf client_key_pem; /* secret */
	char *client_key_file;
	char *token;            /* secret */
	char *token_file;       /* re-read when its mtime changes, every minute, and after a 401 */
	char *username;         /* basic auth (old clusters) */
	char *password;         /* secret */
	char *impersonate_user; /* as / Impersonate-User */
	char **impersonate_groups;
	size_t nimpersonate_groups;
	struct kube_exec_config *exec;
	char *proxy_url;
};
#define KUBE_CONFIG_INIT                                                                           \
	{                                                                                          \
		.ca_pem = BUF_INIT(1 << 20), .client_cert_pem = BUF_INIT(1 << 20),                 \
		.client_key_pem = BUF_INIT_SECRET(1 << 20)                                         \
	}

/* Load like kubectl: --kubeconfig, else $KUBECONFIG (colon-separated, first wins), else
 * ~/.kube/config, else in-cluster (service account) when KUBERNETES_SERVICE_HOST is set. */
int kube_config_load(struct kube_config *cfg, const struct kube_overrides *ov);
/* Resolve from kubeconfig documents already in memory (files[i] names docs[i]; first wins). */
int kube_config_from_docs(struct kube_config *cfg, struct doc *const *docs,
                          const char *const *files, size_t n, const struct kube_overrides *ov);
/* In-cluster: dir holds token, ca.crt, namespace (NULL =
 * /var/run/secrets/kubernetes.io/serviceaccount); the server comes from
 * KUBERNETES_SERVICE_HOST/PORT. */
int kube_config_in_cluster(struct kube_config *cfg, const char *dir);
void kube_config_release(struct kube_config *cfg);

/* ---- client -------------------------------------------------------------------------------- */

struct kube_client_opts {
	double qps;              /* client-side rate: tokens per second (0 = 50; <0 = unlimited) */
	int burst;               /* bucket size (0 = 100) */
	long connect_timeout_ms; /* 0 = 10 000 */
	long timeout_ms;         /* whole request, except watches (0 = 60 000) */
	int max_retries;         /* on 429/503/504 and broken connections (0 = 5; <0 = none) */
	long backoff_base_ms;    /* first retry delay (0 = 200), doubled each time, +-50% jitter */
	long backoff_max_ms;     /* 0 = 10 000 */
	const char *user_agent;  /* NULL = "gitseal/<version>" */
	const char *field_manager; /* default fieldManager for apply (NULL = "gitseal") */
};
#define KUBE_CLIENT_OPTS_INIT                                                                      \
	{                                                                                          \
		0, 0, 0, 0, 0, 0, 0, NULL, NULL                                                    \
	}

struct kube_client;
/* The client copies what it needs from cfg; opts may be NULL. */
int kube_client_new(struct kube_client **out, const struct kube_config *cfg,
                    const struct kube_client_opts *opts);
/* kube_config_load() + kube_client_new(). */
int kube_client_from_env(struct kube_client **out, const struct kube_overrides *ov,
                         const struct kube_client_opts *opts);
void kube_client_free(struct kube_client *kc);
const char *kube_client_namespace(const struct kube_client *kc); /* the default namespace */
const char *kube_client_server(const struct kube_client *kc);

/* HTTP status and Status.reason of this thread's last API call (0 and "" for network errors). */
long kube_last_status(void);
const char *kube_last_reason(void);

/* ---- raw requests --------------------------------------------------------------------------- */

struct kube_request {
	const char *method;       /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;         /* "/api/v1/namespaces/x/secrets?limit=10" (already escaped) */
	const char *content_type; /* NULL = application/json when there is a body */
	const char *body;
	size_t body_len;
	long timeout_ms; /* 0 = the client's */
};
/* Send one request (rate-limited, retried). out gets the response body (any status). Returns the
 * HTTP status (2xx) or a negative code with the Status message for >= 300. out may be NULL. */
int kube_request(struct kube_client *kc, const struct kube_request *req, struct buf *out);

/* ---- discovery ------------------------------------------------------------------------------- */

struct kube_resource {
	char *group; /* "" for the core group */
	char *version;
	char *kind;
	char *plural; /* "secrets" */
	int namespaced;
	int has_status; /* a "<plural>/status" subresource exists */
};
/* apiVersion + kind -> resource (cached; refreshed once on a miss, e.g. a CRD created just now). */
int kube_discover(struct kube_resource *out, struct kube_client *kc, const char *api_version,
                  const char *kind);
void kube_resource_release(struct kube_resource *r);
/* Forget the cache (after creating or deleting a CRD). */
void kube_discovery_invalidate(struct kube_client *kc);
/* "/api/v1/namespaces/ns/secrets/name/status": any of ns (ignored if cluster-scoped), name,
 * subresource may be NULL. Names are path-escaped. */
int kube_resource_path(struct buf *out, const struct kube_resource *r, const char *ns,
                       const char *name, const char *subresource);

/* ---- objects --------------------------------------------------------------------------------- */
/* ns NULL = the client's default namespace (ignored for cluster-scoped kinds). For the calls that
 * take an object, its apiVersion/kind/metadata.namespace/name say where it goes. */

int kube_get(struct doc **out, struct kube_client *kc, const char *api_version, const char *kind,
             const char *ns, const char *name);

struct kube_list_opts {
	const char *label_selector;
	const char *field_selector;
	long limit;         /* page size (0 = 500); pages are followed with continue */
	int all_namespaces; /* ns ignored */
	int metadata_only;  /* items as PartialObjectMetadata (KUBE_ACCEPT_METADATA_LIST): no
	                     * spec, no data; what a Secret holds never comes */
};
#define KUBE_LIST_OPTS_INIT                                                                        \
	{                                                                                          \
		NULL, NULL, 0, 0                                                                   \
	}
/* The whole list as one "<Kind>List" object: items from every page, metadata.resourceVersion of
 * the snapshot. */
int kube_list(struct doc **out, struct kube_client *kc, const char *api_version, const char *kind,
              const char *ns, const struct kube_list_opts *opts);
/* Streaming variant: cb gets each item (borrowed); a non-zero return stops and is returned.
 * *resource_version (if not NULL) receives the list's resourceVersion (caller frees). */
typedef int (*kube_item_cb)(void *ctx, const struct doc *item);
int kube_list_each(struct kube_client *kc, const char *api_version, const char *kind,
                   const char *ns, const struct kube_list_opts *opts, kube_item_cb cb, void *ctx,
                   char **resource_version);

struct kube_write_opts {
	int dry_run;               /* dryRun=All: validated and returned, nothing stored */
	const char *field_manager; /* NULL = the client's */
};
#define KUBE_WRITE_OPTS_INIT                                                                       \
	{                                                                                          \
		0, NULL                                                                            \
	}
int kube_create(struct doc **out, struct kube_client *kc, const struct doc *obj,
                const struct kube_write_opts *opts);
/* PUT; obj should carry metadata.resourceVersion (409 GS_ECONFLICT when it changed). */
int kube_update(struct doc **out, struct kube_client *kc, const struct doc *obj,
                const struct kube_write_opts *opts);
/* PUT .../status */
int kube_update_status(struct doc **out, struct kube_client *kc, const struct doc *obj,
                       const struct kube_write_opts *opts);
/* application/merge-patch+json on the named object (subresource NULL or "status"). */
int kube_merge_patch(struct doc **out, struct kube_client *kc, const char *api_version,
                     const char *kind, const char *ns, const char *name, const struct doc *patch,
                     const char *subresource, const struct kube_write_opts *opts);

struct kube_apply_opts {
	const char *field_manager; /* NULL = the client's */
	int force;                 /* take over fields owned by other managers */
	int dry_run;
	const char *subresource; /* NULL or "status" */
};
#define KUBE_APPLY_OPTS_INIT                                                                       \
	{                                                                                          \
		NULL, 0, 0, NULL                                                                   \
	}
/* Server-side apply: PATCH application/apply-patch+yaml. A field owned by another manager gives
 * GS_ECONFLICT (409) without force. */
int kube_apply(struct doc **out, struct kube_client *kc, const struct doc *obj,
               const struct kube_apply_opts *opts);

struct kube_delete_opts {
	const char
	    *propagation_policy;   /* NULL (server default), "Foreground", "Background", "Orphan" */
	long grace_period_seconds; /* -1 = server default */
	int dry_run;
	const char *precondition_uid;
	const char *precondition_resource_version;
};
#define KUBE_DELETE_OPTS_INIT                                                                      \
	{                                                                                          \
		NULL, -1, 0, NULL, NULL                                                            \
	}
/* GS_ENOTFOUND if it is not there. */
int kube_delete(struct kube_client *kc, const char *api_version, const char *kind, const char *ns,
                const char *name, const struct kube_delete_opts *opts);

/* ---- watch ----------------------------------------------------------------------------------- */

enum kube_event_type {
	KUBE_EVENT_ADDED,
	KUBE_EVENT_MODIFIED,
	KUBE_EVENT_DELETED,
	KUBE_EVENT_BOOKMARK,
	KUBE_EVENT_LISTED, /* an item of a (re)list: kube_watch_run() lists first and after a 410 */
	KUBE_EVENT_SYNCED, /* the (re)list is complete (obj NULL): drop what was not LISTED */
	KUBE_EVENT_ERROR,  /* on a mux only: a request failed (obj NULL, gs_error_last() says why);
	                    * the mux retries with backoff */
};
const char *kube_event_type_name(enum kube_event_type t);

struct kube_watch_opts {
	const char *label_selector;
	const char *field_selector;
	const char *resource_version; /* start after this version; NULL: run lists first, once gets
	                               * the current objects as ADDED events, then the changes */
	int timeout_seconds;          /* server-side end of each watch request (0 = 300) */
	int no_bookmarks;             /* do not send allowWatchBookmarks=true */
	long idle_timeout_ms; /* no byte for this long = broken connection (0 = timeout + 30 s) */
	int all_namespaces;   /* every namespace in one watch (ns ignored), as kubectl -A */
	int no_list;          /* never list the objects: without resource_version (and after a
	                       * 410) the watch starts from the current version (one limit=1
	                       * request), so only changes are seen and SYNCED comes at once */
	long list_limit;      /* list page size (0 = 500) */
	int metadata_only;    /* lists and events as PartialObjectMetadata: no spec, no data (a
	                       * watch of Secrets that must never hold their values) */
};
#define KUBE_WATCH_OPTS_INIT                                                                       \
	{                                                                                          \
		NULL, NULL, NULL, 0, 0, 0, 0, 0, 0                                                 \
	}

/* obj is borrowed for the call; a non-zero return stops the watch and is returned by it. */
typedef int (*kube_watch_cb)(void *ctx, enum kube_event_type type, const struct doc *obj);

struct kube_watch;
int kube_watch_new(struct kube_watch **out, struct kube_client *kc, const char *api_version,
                   const char *kind, const char *ns, const struct kube_watch_opts *opts);
/* One watch request from the last seen resourceVersion: events arrive as they are parsed (one JSON
 * object per line). Returns 0 when the server ends the stream, GS_EGONE on 410 (the version is too
 * old), the callback's value, or an error. */
int kube_watch_once(struct kube_watch *w, kube_watch_cb cb, void *ctx);
/* The informer loop: list (LISTED..., SYNCED), then watch, resume from the last resourceVersion
 * after the server's timeout or a broken connection (with backoff), re-list on 410. Runs until the
 * callback returns non-zero, kube_watch_stop() or a persistent error. */
int kube_watch_run(struct kube_watch *w, kube_watch_cb cb, void *ctx);
const char *kube_watch_resource_version(const struct kube_watch *w);
void kube_watch_stop(struct kube_watch *w); /* any thread: the running call returns soon */
void kube_watch_free(struct kube_watch *w); /* removes it from its mux first */

/*
 * Many watches on one thread: a mux runs kube_watch_run()'s loop (list in pages, watch, resume,
 * re-list on 410, backoff) for every watch added to it, on one thread over one curl multi handle.
 * Its requests do not use the client's connection cache, so a long watch never holds a connection
 * that the client's requests want to keep alive; they are HTTP/2 where the server offers it (as
 * kube-apiserver does over TLS), which carries every watch of the mux on one connection. Each watch
 * costs a few KiB and a stream, not a thread and a connection. Requests take tokens from the
 * client's QPS bucket without blocking the thread.
 *
 * Callbacks run on the mux thread, one at a time, in each watch's order; they must not block: a
 * consumer that cannot take more sets a gate (kube_watch_set_gate), which holds the watch's next
 * list page and pauses its stream (TCP/HTTP/2 flow control pushes back on the server) until the
 * gate opens; kube_mux_kick() makes the mux look at the gates again (it also does every second).
 * A callback's non-zero return stops that watch. Errors do not end a watch on a mux: each failed
 * request is reported as KUBE_EVENT_ERROR and retried with backoff (at most 30 s apart), forever.
 */
struct kube_mux;
int kube_mux_new(struct kube_mux **out, struct kube_client *kc);
/* Stops every watch (no callback runs after it returns) and the thread. The watches stay the
 * caller's to free. */
void kube_mux_free(struct kube_mux *m);
/* Start w on m with cb (any thread). A watch is on at most one mux, for good. */
int kube_mux_add(struct kube_mux *m, struct kube_watch *w, kube_watch_cb cb, void *ctx);
/* Stop w and wait until the mux let go of it: no callback for w runs after this returns. Not from
 * a callback of the same mux (return non-zero from the callback instead). */
void kube_mux_remove(struct kube_mux *m, struct kube_watch *w);
/* Any thread: look at the gates again now. */
void kube_mux_kick(struct kube_mux *m);
/* Before kube_mux_add(): gate(ctx) non-zero holds the watch (on the mux thread, cheap, no lock
 * order with the callbacks' locks: it is called without any lib/kube lock held). */
void kube_watch_set_gate(struct kube_watch *w, int (*gate)(void *ctx), void *ctx);

/* ---- events and leases ------------------------------------------------------------------------
 */

/* A core/v1 Event about obj (type "Normal" or "Warning"). The same (object, type, reason, message)
 * again within 10 minutes bumps count/lastTimestamp of the first Event instead of a new one. */
int kube_event(struct kube_client *kc, const struct doc *obj, const char *type, const char *reason,
               const char *message, const char *component);

struct kube_lease {
	const char *ns;
	const char *name;
	const char *holder;         /* our identity, e.g. pod name + random suffix */
	int lease_duration_seconds; /* 0 = 15 */
};
/* Acquire or renew a coordination.k8s.io/v1 Lease: *leader = 1 if we hold it afterwards (created,
 * renewed, or taken over after the holder's lease expired), 0 if someone else holds it. */
int kube_lease_acquire(struct kube_client *kc, const struct kube_lease *l, int *leader);
/* Give it up if we hold it (holderIdentity cleared), so another replica takes over at once. */
int kube_lease_release(struct kube_client *kc, const struct kube_lease *l);

/* ---- every served kind (lib/kube/discover_all.c; added for lib/apply's prune) ---------------- */

/* Every resource of the core group and of each API group's preferred version, subresources left
 * out (list_only: only those that can be listed). *out holds *n entries: free with
 * kube_resources_free(). About one request per group, not cached. */
int kube_discover_all(struct kube_resource **out, size_t *n, struct kube_client *kc, int list_only);
void kube_resources_free(struct kube_resource *v, size_t n);

#endif
