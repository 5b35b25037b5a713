/*
 * The client: a pool of curl easy handles over one share handle (connections, DNS, TLS sessions),
 * credentials (token, token file, exec plugin, client certificates), QPS bucket, retries, errors.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/file.h"
#include "core/log.h"
#include "kube/client.h"

/* the pool array of struct kube_client (client.h): a larger cap wrote past it once more than 8
 * handles came back at once (many workers on one client) */
#define POOL_MAX (sizeof(((struct kube_client *)0)->pool) / sizeof(CURL *))
#define TOKEN_FILE_MAX (64 << 10)
#define TOKEN_FILE_REREAD_MS 60000

static __thread long last_status;
static __thread char last_reason[64];

long kube_last_status(void)
{
	return last_status;
}

const char *kube_last_reason(void)
{
	return last_reason;
}

void kube__set_last(long status, const char *reason)
{
	last_status = status;
	snprintf(last_reason, sizeof(last_reason), "%s", reason ? reason : "");
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct kube_client *kc = ud;
	(void)h;
	(void)access;
	pthread_mutex_lock(&kc->share_mu[data < CURL_LOCK_DATA_LAST ? data : 0]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct kube_client *kc = ud;
	(void)h;
	pthread_mutex_unlock(&kc->share_mu[data < CURL_LOCK_DATA_LAST ? data : 0]);
}

static int copy_strv(char ***dst, char *const *src, size_t n)
{
	size_t i;
	*dst = NULL;
	if (!n)
		return 0;
	if (!(*dst = calloc(n, sizeof(char *))))
		return GS_ENOMEM;
	for (i = 0; i < n; i++)
		if (!((*dst)[i] = strdup(src[i])))
			return GS_ENOMEM;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	size_t i;
	for (i = 0; v && i < n; i++)
		gs_free_secret_str(v[i]); /* exec env values may be secrets */
	free(v);
}

static int copy_exec(struct kube_exec_config **dst, const struct kube_exec_config *src)
{
	struct kube_exec_config *e;
	*dst = NULL;
	if (!src)
		return 0;
	if (!(e = calloc(1, sizeof(*e))))
		return GS_ENOMEM;
	*dst = e;
	e->api_version = xstrdup(src->api_version);
	e->command = xstrdup(src->command);
	e->install_hint = xstrdup(src->install_hint);
	e->provide_cluster_info = src->provide_cluster_info;
	e->nargs = src->nargs;
	e->nenv = src->nenv;
	if (copy_strv(&e->args, src->args, src->nargs) < 0 ||
	    copy_strv(&e->env, src->env, src->nenv) < 0 || !e->command)
		return GS_ENOMEM;
	return 0;
}

static void free_exec(struct kube_exec_config *e)
{
	if (!e)
		return;
	free(e->api_version);
	free(e->command);
	free(e->install_hint);
	free_strv(e->args, e->nargs);
	free_strv(e->env, e->nenv);
	free(e);
}

/*
 * tls-server-name: the URL names that host (curl checks the certificate against it and sends it
 * as SNI) while CURLOPT_CONNECT_TO sends the connection to the server's real host and port.
 */
static int base_url(struct kube_client *kc)
{
	CURLU *u = NULL;
	char *host = NULL, *port = NULL, *path = NULL, *scheme = NULL, *line = NULL, *tsn;
	int rc = 0;

	if (!kc->tls_server_name || !*kc->tls_server_name) {
		kc->base_url = strdup(kc->server);
		return kc->base_url ? 0 : gs_error(GS_ENOMEM, "out of memory");
	}
	tsn = kc->tls_server_name;
	if (!(u = curl_url()) || curl_url_set(u, CURLUPART_URL, kc->server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		rc = gs_error(GS_EINVAL, "%s: server \"%s\" is not a valid URL", kc->source,
		              kc->server);
		goto out;
	}
	if (strpbrk(tsn, ":/[]@ ")) {
		rc = gs_error(GS_EINVAL, "%s: tls-server-name \"%s\" is not a host name",
		              kc->source, tsn);
		goto out;
	}
	if (asprintf(&kc->base_url, "%s://%s:%s%s", scheme, tsn, port,
	             strcmp(path, "/") ? path : "") < 0 ||
	    asprintf(&line, "%s:%s:%s:%s", tsn, port, host, port) < 0 ||
	    !(kc->connect_to = curl_slist_append(NULL, line))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	while (*kc->base_url && kc->base_url[strlen(kc->base_url) - 1] == '/')
		kc->base_url[strlen(kc->base_url) - 1] = '\0';
out:
	free(line);
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

int kube_client_new(struct kube_client **out, const struct kube_config *cfg,
                    const struct kube_client_opts *opts)
{
	struct kube_client_opts o = KUBE_CLIENT_OPTS_INIT;
	struct kube_client *kc = NULL;
	int rc, i;

	*out = NULL;
	if ((rc = net_init()) < 0)
		return rc;
	if (!cfg || !cfg->server || !*cfg->server)
		return gs_error(GS_EINVAL, "%s: no server URL for the cluster",
		                cfg && cfg->source ? cfg->source : "kubeconfig");
	if (strncmp(cfg->server, "https://", 8) && strncmp(cfg->server, "http://", 7))
		return gs_error(GS_EINVAL, "%s: server \"%s\" is not an http(s) URL",
		                cfg->source ? cfg->source : "kubeconfig", cfg->server);
	if (opts)
		o = *opts;
	if (!(kc = calloc(1, sizeof(*kc))))
		return gs_error(GS_ENOMEM, "out of memory");
	pthread_mutex_init(&kc->mu, NULL);
	pthread_mutex_init(&kc->cred_mu, NULL);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&kc->share_mu[i], NULL);
	buf_init(&kc->ca_pem, 1 << 20, 0);
	buf_init(&kc->cert_pem, 1 << 20, 0);
	buf_init(&kc->key_pem, 1 << 20, 1);
	kube__cred_init(&kc->cred);

	kc->server = strdup(cfg->server);
	if (kc->server)
		while (*kc->server && kc->server[strlen(kc->server) - 1] == '/')
			kc->server[strlen(kc->server) - 1] = '\0';
	kc->ns = strdup(cfg->ns && *cfg->ns ? cfg->ns : "default");
	kc->insecure = cfg->insecure;
	kc->ca_file = xstrdup(cfg->ca_file);
	kc->cert_file = xstrdup(cfg->client_cert_file);
	kc->key_file = xstrdup(cfg->client_key_file);
	kc->token = xstrdup(cfg->token);
	kc->token_file = xstrdup(cfg->token_file);
	kc->username = xstrdup(cfg->username);
	kc->password = xstrdup(cfg->password);
	kc->impersonate_user = xstrdup(cfg->impersonate_user);
	kc->proxy_url = xstrdup(cfg->proxy_url);
	kc->tls_server_name = xstrdup(cfg->tls_server_name);
	kc->source = xstrdup(cfg->source ? cfg->source : "kubeconfig");
	kc->nimp_groups = cfg->nimpersonate_groups;
	kc->qps = o.qps == 0 ? 50 : o.qps;
	kc->burst = o.burst > 0 ? o.burst : 100;
	kc->connect_timeout_ms = o.connect_timeout_ms > 0 ? o.connect_timeout_ms : 10000;
	kc->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : 60000;
	kc->max_retries = o.max_retries == 0 ? 5 : o.max_retries < 0 ? 0 : o.max_retries;
	kc->backoff_base_ms = o.backoff_base_ms > 0 ? o.backoff_base_ms : 200;
	kc->backoff_max_ms = o.backoff_max_ms > 0 ? o.backoff_max_ms : 10000;
	kc->user_agent = strdup(o.user_agent ? o.user_agent : "gitseal/0.1 (linux) kube-client");
	kc->field_manager = strdup(o.field_manager ? o.field_manager : "gitseal");
	kube__bucket_init(&kc->bucket, kc->qps, kc->burst, gs_mono_ms());
	if (!kc->server || !kc->ns || !kc->user_agent || !kc->field_manager || !kc->source ||
	    copy_strv(&kc->imp_groups, cfg->impersonate_groups, cfg->nimpersonate_groups) < 0 ||
	    copy_exec(&kc->exec, cfg->exec) < 0 ||
	    buf_set(&kc->ca_pem, cfg->ca_pem.p, cfg->ca_pem.len) < 0 ||
	    buf_set(&kc->cert_pem, cfg->client_cert_pem.p, cfg->client_cert_pem.len) < 0 ||
	    buf_set(&kc->key_pem, cfg->client_key_pem.p, cfg->client_key_pem.len) < 0 ||
	    (cfg->token && !kc->token) || (cfg->password && !kc->password)) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = base_url(kc)) < 0)
		goto out;
	if (!(kc->share = curl_share_init())) {
		rc = gs_error(GS_ENOMEM, "curl_share_init failed");
		goto out;
	}
	curl_share_setopt(kc->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(kc->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(kc->share, CURLSHOPT_USERDATA, kc);
	curl_share_setopt(kc->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(kc->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(kc->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	rc = 0;
out:
	if (rc < 0)
		kube_client_free(kc);
	else
		*out = kc;
	return rc;
}

int kube_client_from_env(struct kube_client **out, const struct kube_overrides *ov,
                         const struct kube_client_opts *opts)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	int rc;

	*out = NULL;
	if ((rc = kube_config_load(&cfg, ov)) >= 0)
		rc = kube_client_new(out, &cfg, opts);
	kube_config_release(&cfg);
	return rc;
}

void kube_client_free(struct kube_client *kc)
{
	size_t i;
	if (!kc)
		return;
	for (i = 0; i < kc->npool; i++)
		curl_easy_cleanup(kc->pool[i]);
	if (kc->share)
		curl_share_cleanup(kc->share);
	kube__discovery_free(kc);
	kube__event_cache_free(kc);
	free(kc->server);
	free(kc->ns);
	free(kc->ca_file);
	free(kc->cert_file);
	free(kc->key_file);
	gs_free_secret_str(kc->token);
	free(kc->token_file);
	free(kc->username);
	gs_free_secret_str(kc->password);
	free(kc->impersonate_user);
	free(kc->proxy_url);
	free(kc->tls_server_name);
	free(kc->base_url);
	curl_slist_free_all(kc->connect_to);
	free(kc->source);
	free(kc->user_agent);
	free(kc->field_manager);
	free_strv(kc->imp_groups, kc->nimp_groups);
	free_exec(kc->exec);
	kube__cred_release(&kc->cred);
	buf_release(&kc->ca_pem);
	buf_release(&kc->cert_pem);
	buf_release(&kc->key_pem);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&kc->share_mu[i]);
	pthread_mutex_destroy(&kc->mu);
	pthread_mutex_destroy(&kc->cred_mu);
	free(kc);
}

const char *kube_client_namespace(const struct kube_client *kc)
{
	return kc->ns;
}

const char *kube_client_server(const struct kube_client *kc)
{
	return kc->server;
}

/* ---- credentials ---- */

/* Re-read the token file when its mtime changed, every minute, or when forced (after a 401). */
static int token_file_refresh(struct kube_client *kc, int force)
{
	struct buf b = BUF_INIT_SECRET(TOKEN_FILE_MAX);
	struct stat st;
	long long now = gs_mono_ms();
	size_t n;
	int rc;

	if (stat(kc->token_file, &st) < 0)
		return kc->token ? 0
		                 : gs_error(GS_EIO, "token file %s: cannot stat", kc->token_file);
	if (!force && kc->token && st.st_mtim.tv_sec == kc->token_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == kc->token_mtime.tv_nsec &&
	    now - kc->token_read_ms < TOKEN_FILE_REREAD_MS)
		return 0;
	if ((rc = file_read(&b, kc->token_file)) < 0) {
		buf_release(&b);
		return kc->token ? 0 : rc; /* keep the old token while the file is being rotated */
	}
	n = b.len;
	while (n && (b.p[n - 1] == '\n' || b.p[n - 1] == '\r' || b.p[n - 1] == ' '))
		n--;
	buf_truncate(&b, n);
	if (n) {
		gs_free_secret_str(kc->token);
		kc->token = buf_detach(&b, NULL);
		kc->token_mtime = st.st_mtim;
		kc->token_read_ms = now;
	}
	buf_release(&b);
	if (!kc->token)
		return gs_error(GS_EAUTH, "token file %s is empty", kc->token_file);
	return 0;
}

/* Fill the Authorization header (and exec client certificates) under cred_mu. */
static int auth_prepare(struct kube_client *kc, CURL *h, struct curl_slist **hdrs, int force)
{
	struct buf line = BUF_INIT_SECRET(TOKEN_FILE_MAX + 64);
	const char *token = NULL;
	struct curl_slist *n;
	int rc = 0;

	pthread_mutex_lock(&kc->cred_mu);
	if (kc->exec) {
		if (force || !kc->cred_valid ||
		    (kc->cred.expires && time(NULL) + 10 >= kc->cred.expires)) {
			kube__cred_release(&kc->cred);
			kube__cred_init(&kc->cred);
			kc->cred_valid = 0;
			if ((rc = kube__exec_run(&kc->cred, kc->exec, kc->server)) < 0)
				goto out;
			kc->cred_valid = 1;
		}
		token = kc->cred.token;
		if (kc->cred.cert_pem.len && kc->cred.key_pem.len) {
			struct curl_blob cert = { kc->cred.cert_pem.p, kc->cred.cert_pem.len,
				                  CURL_BLOB_COPY };
			struct curl_blob key = { kc->cred.key_pem.p, kc->cred.key_pem.len,
				                 CURL_BLOB_COPY };
			curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
			curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
		}
	}
	if (!token && kc->token_file) {
		if ((rc = token_file_refresh(kc, force)) < 0)
			goto out;
	}
	if (!token)
		token = kc->token;
	if (token && *token) {
		if ((rc = buf_addf(&line, "Authorization: Bearer %s", token)) < 0)
			goto out;
		if (!(n = curl_slist_append(*hdrs, line.p))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		*hdrs = n;
	} else if (kc->username && kc->password) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, kc->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, kc->password);
	}
out:
	pthread_mutex_unlock(&kc->cred_mu);
	buf_release(&line);
	return rc;
}

static int can_refresh(const struct kube_client *kc)
{
	return kc->exec || kc->token_file;
}

void kube__free_headers(struct curl_slist *hdrs)
{
	struct curl_slist *n;
	for (n = hdrs; n; n = n->next) /* the Authorization line holds a token */
		gs_wipe(n->data, strlen(n->data));
	curl_slist_free_all(hdrs);
}

/* ---- handles ---- */

CURL *kube__handle_new(struct kube_client *kc, int shared)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	if (shared)
		curl_easy_setopt(h, CURLOPT_SHARE, kc->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	/* the shared connection cache keeps at most this many idle connections (curl's
	 * default of 5 closes some as soon as a few threads and watches are busy,
	 * so every request would pay a new TLS handshake) */
	curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 64L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_USERAGENT, kc->user_agent);
	if (kc->proxy_url)
		curl_easy_setopt(h, CURLOPT_PROXY, kc->proxy_url);
	if (kc->connect_to)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, kc->connect_to);
	if (kc->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (kc->ca_pem.len) {
		struct curl_blob ca = { kc->ca_pem.p, kc->ca_pem.len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
	} else if (kc->ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, kc->ca_file);
	}
	if (kc->cert_pem.len) {
		struct curl_blob b = { kc->cert_pem.p, kc->cert_pem.len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (kc->cert_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, kc->cert_file);
	}
	if (kc->key_pem.len) {
		struct curl_blob b = { kc->key_pem.p, kc->key_pem.len,
			               CURL_BLOB_NOCOPY }; /* kc outlives h */
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (kc->key_file) {
		curl_easy_setopt(h, CURLOPT_SSLKEY, kc->key_file);
	}
	return h;
}

CURL *kube__handle_get(struct kube_client *kc)
{
	CURL *h = NULL;
	pthread_mutex_lock(&kc->mu);
	if (kc->npool)
		h = kc->pool[--kc->npool];
	pthread_mutex_unlock(&kc->mu);
	return h ? h : kube__handle_new(kc, 1);
}

void kube__handle_put(struct kube_client *kc, CURL *h)
{
	/* Per-request options go back to the defaults; the connection stays in the share. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, NULL);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 0L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 0L);
	pthread_mutex_lock(&kc->mu);
	if (kc->npool < POOL_MAX) {
		kc->pool[kc->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&kc->mu);
	if (h)
		curl_easy_cleanup(h);
}

void kube__rate_wait(struct kube_client *kc)
{
	long long wait;
	pthread_mutex_lock(&kc->mu);
	wait = kube__bucket_take(&kc->bucket, gs_mono_ms());
	pthread_mutex_unlock(&kc->mu);
	gs_sleep_ms(wait);
}

/* ---- one request ---- */

int kube__can_refresh(const struct kube_client *kc)
{
	return can_refresh(kc);
}

long long kube__rate_reserve(struct kube_client *kc)
{
	long long wait;
	pthread_mutex_lock(&kc->mu);
	wait = kube__bucket_take(&kc->bucket, kube__now_ms());
	pthread_mutex_unlock(&kc->mu);
	return wait;
}

int kube__prepare(struct kube_client *kc, CURL *h, const struct kube__call *call, const char *url,
                  struct curl_slist **hdrs, int force_auth)
{
	struct curl_slist *t;
	char ct[160];
	int rc;

	t = curl_slist_append(*hdrs, call->accept ? call->accept : "Accept: application/json");
	*hdrs = t ? t : *hdrs;
	if (call->body) {
		snprintf(ct, sizeof(ct), "Content-Type: %s",
		         call->content_type ? call->content_type : "application/json");
		if ((t = curl_slist_append(*hdrs, ct)))
			*hdrs = t;
	}
	if (kc->impersonate_user) {
		struct buf l = BUF_INIT(4096);
		size_t i;
		buf_addf(&l, "Impersonate-User: %s", kc->impersonate_user);
		if ((t = curl_slist_append(*hdrs, l.p)))
			*hdrs = t;
		for (i = 0; i < kc->nimp_groups; i++) {
			buf_reset(&l);
			buf_addf(&l, "Impersonate-Group: %s", kc->imp_groups[i]);
			if ((t = curl_slist_append(*hdrs, l.p)))
				*hdrs = t;
		}
		buf_release(&l);
	}
	if ((t = curl_slist_append(*hdrs, "Expect:")))
		*hdrs = t;
	if ((rc = auth_prepare(kc, h, hdrs, force_auth)) < 0)
		return rc;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, kc->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	                 call->timeout_ms < 0 ? 0L
	                 : call->timeout_ms   ? call->timeout_ms
	                                      : kc->timeout_ms);
	if (call->low_speed_time_s > 0) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, call->low_speed_time_s);
	}
	if (!strcmp(call->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
		if (call->body || strcmp(call->method, "DELETE")) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			                 (curl_off_t)call->body_len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body ? call->body : "");
		}
	}
	return 0;
}

struct sink {
	CURL *h;
	struct buf *body;
	int too_big;
	kube__stream_fn stream;
	void *stream_ctx;
	int stream_rc;
	char retry_after[64];
};

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	long st = 0;
	if (s->stream)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &st);
	if (s->stream && st >= 200 &&
	    st < 300) { /* an error status keeps its body for the message */
		if ((s->stream_rc = s->stream(s->stream_ctx, p, len)) != 0)
			return 0;
		return len;
	}
	if (buf_add(s->body, p, len) < 0) {
		s->too_big = 1;
		return 0;
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		size_t v =
		    len - 12 < sizeof(s->retry_after) - 1 ? len - 12 : sizeof(s->retry_after) - 1;
		memcpy(s->retry_after, p + 12, v);
		s->retry_after[v] = '\0';
	} else if (len > 10 && !strncasecmp(p, "Warning:", 8)) {
		gs_debug("kube: server warning", "warning=\"%.*s\"",
		         (int)(len - 10 > 200 ? 200 : len - 10), p + 9);
	}
	return len;
}

static int method_retries_broken(const char *m)
{
	return strcmp(m, "POST") != 0; /* a broken POST may have created the object */
}

struct xfer_stop {
	volatile int *stop;
};

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct xfer_stop *x = ud;
	(void)a, (void)b, (void)c, (void)d;
	return x->stop && *x->stop;
}

int kube__do(struct kube_client *kc, const struct kube__call *call, struct buf *out,
             long *status_out)
{
	struct buf body = BUF_INIT_SECRET(KUBE_BODY_MAX);
	struct buf url = BUF_INIT(16 << 10);
	char errbuf[CURL_ERROR_SIZE];
	struct xfer_stop xs = { call->stop };
	int attempt = 0, refreshed = 0, rc = 0;
	long status = 0;
	CURL *h = NULL;

	if (status_out)
		*status_out = 0;
	if (!out)
		out = &body;
	if ((rc = buf_adds(&url, kc->base_url)) < 0 || (rc = buf_adds(&url, call->path)) < 0)
		goto out;
	for (;;) {
		struct sink s = { NULL, out, 0, call->stream, call->stream_ctx, 0, "" };
		struct curl_slist *hdrs = NULL;
		size_t start = out->len;
		CURLcode cc;
		long long ra;
		uint32_t rnd = 0;

		kube__rate_wait(kc);
		if (!(h = kube__handle_get(kc))) {
			rc = gs_error(GS_ENOMEM, "curl_easy_init failed");
			goto out;
		}
		s.h = h;
		errbuf[0] = '\0';
		if ((rc = kube__prepare(kc, h, call, url.p, &hdrs, refreshed == 1)) < 0) {
			kube__free_headers(hdrs);
			goto out;
		}
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
		if (call->stop) {
			curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
			curl_easy_setopt(h, CURLOPT_XFERINFODATA, &xs);
			curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		}
		cc = curl_easy_perform(h);
		status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		kube__handle_put(kc, h);
		h = NULL;
		kube__free_headers(hdrs);

		if (s.stream_rc) { /* the stream consumer stopped it */
			rc = s.stream_rc;
			goto out;
		}
		if (call->stop && *call->stop) {
			rc = 0;
			goto out;
		}
		if (s.too_big) {
			rc = gs_error(GS_ETOOBIG, "%s %s: response larger than %zu bytes",
			              call->method, call->path, out->max);
			goto out;
		}
		if (cc != CURLE_OK) {
			status = 0;
			if (cc == CURLE_OPERATION_TIMEDOUT)
				rc = gs_error(GS_EIO, "%s %s%s: %s", call->method, kc->server,
				              call->path, errbuf[0] ? errbuf : "timed out");
			else
				rc = gs_error(GS_EIO, "%s %s%s: %s", call->method, kc->server,
				              call->path,
				              errbuf[0] ? errbuf : curl_easy_strerror(cc));
			kube__set_last(0, "");
			/* connection refused / DNS / TLS problems do not heal in a second; do not
			 * retry them */
			if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
			    cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION ||
			    cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_OPERATION_TIMEDOUT ||
			    cc == CURLE_UNSUPPORTED_PROTOCOL || call->stream ||
			    !method_retries_broken(call->method))
				goto out;
		} else if (status == 401 && !refreshed && can_refresh(kc)) {
			refreshed =
			    1; /* a rotated token file or an expired exec credential: once */
			buf_truncate(out, start);
			continue;
		} else if (status >= 200 && status < 300) {
			kube__set_last(status, "");
			rc = (int)status;
			goto out;
		} else {
			rc = kube__api_error(status, call->method, call->path, out->p + start,
			                     out->len - start);
			if (!kube__retryable(status))
				goto out;
		}
		if (refreshed == 1)
			refreshed = 2;
		if (attempt >= kc->max_retries)
			goto out;
		if (getrandom(&rnd, sizeof(rnd), 0) < 0)
			rnd = (uint32_t)gs_mono_ms();
		ra = kube__parse_retry_after(s.retry_after[0] ? s.retry_after : NULL, time(NULL));
		gs_debug("kube: retrying", "method=%s path=\"%s\" status=%ld attempt=%d",
		         call->method, call->path, status, attempt + 1);
		gs_sleep_ms(
		    kube__backoff_ms(attempt, kc->backoff_base_ms, kc->backoff_max_ms, rnd, ra));
		attempt++;
		buf_truncate(out, start);
	}
out:
	if (h)
		kube__handle_put(kc, h);
	if (status_out)
		*status_out = status;
	buf_release(&body);
	buf_release(&url);
	return rc;
}

int kube_request(struct kube_client *kc, const struct kube_request *req, struct buf *out)
{
	struct kube__call c = { 0 };
	c.method = req->method ? req->method : "GET";
	c.path = req->path;
	c.content_type = req->content_type;
	c.body = req->body;
	c.body_len = req->body_len;
	c.timeout_ms = req->timeout_ms;
	if (!c.path || c.path[0] != '/')
		return gs_error(GS_EINVAL, "request path \"%s\" must start with /",
		                c.path ? c.path : "");
	return kube__do(kc, &c, out, NULL);
}
