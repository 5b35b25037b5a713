#ifndef GS_KUBE_CLIENT_H
#define GS_KUBE_CLIENT_H
/* Private to lib/kube: the client's state and the one request path every call goes through. */
#include "net/net.h"
#include <pthread.h>
#include <sys/stat.h>

#include "kube/kube_int.h"

struct kube__disc;
struct kube__evcache;

struct kube_client {
	pthread_mutex_t mu;      /* pool, bucket, discovery, event cache */
	pthread_mutex_t cred_mu; /* token file, exec credential */
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
	CURLSH *share;
	CURL *pool[8];
	size_t npool;

	char *server, *ns, *source;
	int insecure;
	struct buf ca_pem, cert_pem, key_pem;
	char *ca_file, *cert_file, *key_file;
	char *token, *token_file;
	struct timespec token_mtime;
	long long token_read_ms;
	char *username, *password;
	char *impersonate_user;
	char **imp_groups;
	size_t nimp_groups;
	char *proxy_url;
	char *tls_server_name;
	char *base_url;                /* server, or its tls-server-name form */
	struct curl_slist *connect_to; /* tls-server-name: where to connect really */
	struct kube_exec_config *exec;
	struct kube__cred cred;
	int cred_valid;

	double qps;
	int burst;
	struct kube__bucket bucket;
	long connect_timeout_ms, timeout_ms, backoff_base_ms, backoff_max_ms;
	int max_retries;
	char *user_agent, *field_manager;

	struct kube__disc *disc;
	struct kube__evcache *events;
};

/* A streamed body: called with each chunk of a 2xx response; non-zero stops the transfer. */
typedef int (*kube__stream_fn)(void *ctx, const char *p, size_t n);

struct kube__call {
	const char *method;
	const char *path; /* with query */
	const char *content_type;
	const char *accept; /* a whole header line; NULL = "Accept: application/json" */
	const char *body;
	size_t body_len;
	long timeout_ms;       /* 0 = the client's, < 0 = none */
	long low_speed_time_s; /* > 0: fail when under 1 byte/s for this long */
	kube__stream_fn stream;
	void *stream_ctx;
	volatile int *stop;
};
/* Returns the 2xx status, or an error (Status message) for anything else; out gets the body. */
int kube__do(struct kube_client *kc, const struct kube__call *call, struct buf *out, long *status);
void kube__set_last(long status, const char *reason);
void kube__free_headers(struct curl_slist *hdrs);
/* A new handle with the client's TLS, proxy and user agent; shared: in the client's share (its
 * connection cache, DNS and TLS sessions), as kube__handle_get() gives them. */
CURL *kube__handle_new(struct kube_client *kc, int shared);
CURL *kube__handle_get(struct kube_client *kc);
void kube__handle_put(struct kube_client *kc, CURL *h);
void kube__rate_wait(struct kube_client *kc);
/* Take a token from the QPS bucket without waiting: how long (ms) the request should wait. */
long long kube__rate_reserve(struct kube_client *kc);
int kube__can_refresh(const struct kube_client *kc);
/* Everything kube__do() sets on h before a transfer: URL, headers (Accept, Content-Type,
 * Impersonate-*, credentials; force_auth re-reads them after a 401), timeouts, method and body.
 * *hdrs is freed with kube__free_headers() once the transfer is over. */
int kube__prepare(struct kube_client *kc, CURL *h, const struct kube__call *call, const char *url,
                  struct curl_slist **hdrs, int force_auth);

/* JSON response -> tree (Secrets into wiped memory); `what` names it in messages. */
int kube__parse_body(struct doc **out, const struct buf *body, const char *what, const char *kind);
int kube__parse_body_raw(struct doc **out, const char *p, size_t n, const char *what,
                         const char *kind);

void kube__discovery_free(struct kube_client *kc);
void kube__event_cache_free(struct kube_client *kc);

#endif
