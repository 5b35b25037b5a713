/*
 * The HTTP endpoints (pkg/controller/server.go), served by every replica:
 *   :8080  /healthz  /v1/cert.pem  /v1/verify (rate limited)  /v1/rotate
 *   :8081  /metrics
 * libmicrohttpd runs them on its own threads; handlers only read the key
 * ring (under its read lock). Verify and rotate never render template.data
 * (it would be a decryption oracle, upstream PRs #2019/#2049), and rotate
 * takes the scope from the top-level metadata only (CVE-2026-22728): both hold
 * because sealed_open()/sealed_reseal() read the SealedSecret's own metadata.
 */
#include "controller/ctl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "core/log.h"
#include "keys/keys.h"
#include "sealer/sealed/sealed.h"

#define BODY_MAX ((size_t)2 << 20)

struct ctl_http {
	struct MHD_Daemon *d;
	struct ctl_state *st;
	int metrics;
	int port;
};

struct req {
	struct buf body;
	double start;
	int too_big;
	int code;          /* the status sent */
	const char *path;  /* metrics label (static string) */
	char method[8];
};

static __thread int last_code; /* set by reply() for the request at hand */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- handlers ------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, int code, const char *type, const void *body, size_t len,
                             int secret)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	/* bodies are certificates, sealed (encrypted) documents or short texts: never plaintext */
	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	(void)secret;
	last_code = code;
	if (!r)
		return MHD_NO;
	if (type)
		MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, (unsigned)code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, int code, const char *text)
{
	return reply(c, code, "text/plain; charset=utf-8", text, strlen(text), 0);
}

/* One SealedSecret from the body (JSON or YAML; several documents is an error as upstream). */
static int parse_ss(struct doc **out, const struct buf *body)
{
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i, n = 0;
	int rc;

	*out = NULL;
	if ((rc = doc_parse(&s, "request body", body->p, body->len, 0, NULL)) < 0)
		return rc;
	for (i = 0; i < s.n; i++)
		n += s.docs[i] != NULL;
	if (n != 1) {
		doc_stream_release(&s);
		return gs_error(GS_EINVAL, n ? "multi-document YAML is not supported" : "empty request body");
	}
	for (i = 0; i < s.n; i++)
		if (s.docs[i]) {
			*out = s.docs[i];
			s.docs[i] = NULL;
		}
	doc_stream_release(&s);
	if (!sealed_is_sealedsecret(*out)) {
		const char *k = doc_str(doc_get(*out, "kind"));
		doc_free(*out);
		*out = NULL;
		return gs_error(GS_EINVAL, "unexpected resource type: %s", k ? k : "(no kind)");
	}
	return 0;
}

static enum MHD_Result do_cert(struct ctl_http *h, struct MHD_Connection *c)
{
	const char *pem = NULL;
	size_t len = 0;
	struct buf copy = BUF_INIT(1 << 20);
	int ok;

	pthread_rwlock_rdlock(&h->st->keys_lock);
	ok = keys_ring_newest_cert_pem(h->st->ring, &pem, &len) >= 0 && buf_add(&copy, pem, len) >= 0;
	pthread_rwlock_unlock(&h->st->keys_lock);
	gs_error_clear();
	if (!ok) {
		buf_release(&copy);
		return reply_text(c, 500, "cannot get certificate\n");
	}
	{
		enum MHD_Result r = reply(c, 200, "application/x-pem-file", copy.p, copy.len, 0);
		buf_release(&copy);
		return r;
	}
}

static enum MHD_Result do_verify(struct ctl_http *h, struct MHD_Connection *c, struct req *rq)
{
	struct doc *ss = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;
	size_t hint = 0;
	int rc;

	if ((rc = parse_ss(&ss, &rq->body)) < 0) {
		gs_info("verify: bad request", "error=\"%s\"", gs_error_last());
		return reply_text(c, 500, gs_error_last());
	}
	rc = ctl_open_items(h->st, &it, ss, &hint);
	sealed_items_release(&it);
	doc_free(ss);
	gs_error_clear();
	return rc < 0 ? reply(c, 409, NULL, "", 0, 0) : reply(c, 200, NULL, "", 0, 0);
}

static enum MHD_Result do_rotate(struct ctl_http *h, struct MHD_Connection *c, struct req *rq)
{
	struct doc *ss = NULL;
	struct buf out = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	enum MHD_Result r;
	int rc;

	if ((rc = parse_ss(&ss, &rq->body)) < 0)
		return reply_text(c, 500, gs_error_last());
	uo.accept_v1_data = h->st->opts->accept_v1_data;
	uo.what = "request body";
	pthread_rwlock_rdlock(&h->st->keys_lock);
	{
		/* a private keyset: the ring's hint is not ours to move */
		struct sealed_keyset ks = h->st->ring->set;
		const struct keys_entry *newest = keys_ring_newest(h->st->ring);
		ks.hint = 0;
		ks.threads = 1;
		if (!newest || !newest->cert)
			rc = gs_error(GS_ENOTFOUND, "no sealing key");
		else
			rc = sealed_reseal(ss, &ks, newest->cert, &uo);
	}
	pthread_rwlock_unlock(&h->st->keys_lock);
	if (rc >= 0)
		rc = doc_emit_json(&out, ss, &eo);
	if (rc < 0) {
		struct buf msg = BUF_INIT(4096);
		buf_addf(&msg, "error decrypting secret. %s\n", gs_error_last());
		r = reply_text(c, 500, msg.p);
		buf_release(&msg);
	} else {
		r = reply(c, 200, "application/json", out.p, out.len, 0);
	}
	doc_free(ss);
	buf_release(&out);
	return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct ctl_http *h = cls;
	struct req *rq = *con_cls;
	enum MHD_Result r;
	int post = !strcmp(method, "POST");
	const char *path = "other";

	(void)version;
	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		buf_init(&rq->body, BODY_MAX, 0);
		rq->start = now_s();
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_big && buf_add(&rq->body, upload, *upload_size) < 0) {
			rq->too_big = 1;
			gs_error_clear();
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (h->metrics) {
		if (!strcmp(url, "/metrics")) {
			struct buf m = BUF_INIT(BUF_MAX_DEFAULT);
			ctl_metrics_render(&m);
			r = reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", m.p, m.len, 0);
			buf_release(&m);
		} else {
			r = reply_text(c, 404, "404 page not found\n");
		}
		return r;
	}
	if (!strcmp(url, "/healthz")) {
		path = "/healthz";
		r = reply_text(c, 200, "ok\n");
	} else if (!strcmp(url, "/v1/cert.pem") && !strcmp(method, "GET")) {
		path = "/v1/cert.pem";
		r = do_cert(h, c);
	} else if (!strcmp(url, "/v1/verify") && post) {
		const char *xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
		struct buf key = BUF_INIT(4096);
		path = "/v1/verify";
		buf_addf(&key, "%s%s", url, xff ? xff : "");
		if (!ctl_ratelimit_allow(h->st->verify_rl, key.p, now_s()))
			r = reply_text(c, 429, "Too many requests\n");
		else if (rq->too_big)
			r = reply_text(c, 413, "request body too large\n");
		else
			r = do_verify(h, c, rq);
		buf_release(&key);
	} else if (!strcmp(url, "/v1/rotate") && post) {
		path = "/v1/rotate";
		if (rq->too_big)
			r = reply_text(c, 413, "request body too large\n");
		else
			r = do_rotate(h, c, rq);
	} else {
		r = reply_text(c, 404, "404 page not found\n");
	}
	rq->code = last_code;
	rq->path = path;
	snprintf(rq->method, sizeof(rq->method), "%s", method);
	return r;
}

/* Metrics of every finished request on :8080 (the code is the one actually sent). */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct ctl_http *h = cls;
	struct req *rq = *con_cls;
	(void)toe;
	(void)c;
	if (!rq)
		return;
	if (!h->metrics && rq->path && rq->code)
		ctl_metric_http(rq->path, rq->method, rq->code, now_s() - rq->start);
	buf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	gs_warn("http server", "error=\"%s\"", msg);
}

int ctl_http_start(struct ctl_http **out, struct ctl_state *st, const char *addr, int metrics)
{
	struct ctl_http *h = NULL;
	char host[256];
	int port;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;

	*out = NULL;
	if (ctl_parse_listen(addr, host, sizeof(host), &port) < 0)
		return gs_error_prefix(GS_EINVAL, "--%s", metrics ? "listen-metrics-addr" : "listen-addr");
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (!*host) {
		/* ":8080": every address, IPv6 and IPv4 */
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		sin6.sin6_addr = in6addr_any;
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_DUAL_STACK;
	} else if (inet_pton(AF_INET, !strcmp(host, "localhost") ? "127.0.0.1" : host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		return gs_error(GS_EINVAL, "listen address \"%s\": host must be an IP address", addr);
	}
	if (!(h = calloc(1, sizeof(*h))))
		return gs_error(GS_ENOMEM, "out of memory");
	h->st = st;
	h->metrics = metrics;
	h->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	                        MHD_OPTION_SOCK_ADDR, sa,
	                        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2, MHD_OPTION_CONNECTION_TIMEOUT,
	                        (unsigned)(st->opts->read_timeout > 0 ? st->opts->read_timeout : 120),
	                        MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_END);
	if (!h->d && (flags & MHD_USE_DUAL_STACK)) {
		/* no IPv6 on this host: plain IPv4 any */
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		h->d = MHD_start_daemon(flags & ~(unsigned)MHD_USE_DUAL_STACK, (uint16_t)port, NULL, NULL, handle, h,
		                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_THREAD_POOL_SIZE,
		                        (unsigned)2, MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_END);
	}
	if (!h->d) {
		free(h);
		return gs_error(GS_EIO, "cannot listen on %s", addr);
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : port;
	*out = h;
	return 0;
}

int ctl_http_port(const struct ctl_http *h)
{
	return h ? h->port : 0;
}

void ctl_http_stop(struct ctl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
