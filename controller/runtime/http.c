/*
 * The HTTP server: libmicrohttpd (epoll, its own event threads) in front of a route table the
 * reconcilers fill before it starts. What an unauthenticated client can make it do is bounded
 * (runtime.h, struct rt_http_opts; README "Security"):
 *
 *   - connections: max_conns at once (the oldest one still being read makes room for a new
 *     one), max_per_ip from one address, conn_memory each for headers and reads;
 *   - time: the whole request (headers and body) within read_timeout, the answer within
 *     write_timeout (http_conn.c), whatever the client trickles;
 *   - memory: a body only for routes that take one (POST, PUT, PATCH), body_max each (a
 *     Content-Length above it is refused before the body is read), body_total_max for all
 *     bodies held at once (503 past it);
 *   - CPU: routes marked work run on the work pool (http_work.c), never on an event thread, so
 *     /healthz and /metrics answer while they decrypt; a full queue is 503;
 *   - rate: a route's limit is per peer address (IPv4 address, IPv6 /64), checked before the
 *     body is read (429); never a header such as X-Forwarded-For, which any client sets;
 *   - answers: 404 for unknown paths, 405 with Allow for a known path and another method;
 *   - metrics: <prefix>http_requests_total{code,method,path} and ..._duration_seconds{method,
 *     path} take the method from the methods the routes serve (else "other") and the path from
 *     the routes (else "other"), so no client can add a series.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "controller/runtime/http_int.h"
#include "core/clock.h"
#include "core/log.h"

#define BODY_MAX ((size_t)2 << 20)
#define BODY_TOTAL_MAX ((size_t)16 << 20)
#define CONN_MEMORY ((size_t)64 << 10)
#define MAX_CONNS 256
#define MAX_PER_IP 32
#define WORK_QUEUE 16

static const double http_buckets[] = { .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };
/* what a route with any method counts under its own name */
static const char *const std_methods[] = { "GET",    "HEAD",    "POST", "PUT",
	                                   "DELETE", "OPTIONS", "PATCH" };

int rt_parse_listen(const char *addr, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long p;

	if (!colon)
		return gs_error(GS_EINVAL, "listen address \"%s\": missing port", addr);
	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');
		if (!rb || rb + 1 != colon || (size_t)(rb - addr - 1) >= hostlen)
			return gs_error(GS_EINVAL, "listen address \"%s\": bad host", addr);
		memcpy(host, addr + 1, (size_t)(rb - addr - 1));
		host[rb - addr - 1] = 0;
	} else {
		if ((size_t)(colon - addr) >= hostlen)
			return gs_error(GS_EINVAL, "listen address \"%s\": bad host", addr);
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = 0;
	}
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || p < 0 || p > 65535)
		return gs_error(GS_EINVAL, "listen address \"%s\": bad port", addr);
	*port = (int)p;
	return 0;
}

const char *rt_http_header(const struct rt_http_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void rt_http_reply_text(struct rt_http_resp *resp, int code, const char *text)
{
	resp->code = code;
	resp->type = "text/plain; charset=utf-8";
	buf_reset(&resp->body);
	if (buf_adds(&resp->body, text) < 0)
		gs_error_clear();
}

/* ---- routes -----------------------------------------------------------------------------------
 */

static int route_has_method(const struct rt_http_route_int *r, const char *method)
{
	size_t i;
	if (!r->nmethods)
		return 1;
	for (i = 0; i < r->nmethods; i++)
		if (!strcmp(r->methods[i], method))
			return 1;
	return 0;
}

/* The route for (method, path); *path_known: some route serves the path. */
static const struct rt_http_route_int *find_route(const struct rt_http *h, const char *method,
                                                  const char *path, int *path_known)
{
	size_t i;
	*path_known = 0;
	for (i = 0; i < h->nroutes; i++) {
		if (strcmp(h->routes[i].path, path))
			continue;
		*path_known = 1;
		if (route_has_method(&h->routes[i], method))
			return &h->routes[i];
	}
	return NULL;
}

/* "GET, HEAD" for a path: the methods of every route serving it. */
static void allow_of(const struct rt_http *h, const char *path, struct buf *out)
{
	size_t i, j;
	for (i = 0; i < h->nroutes; i++) {
		const struct rt_http_route_int *r = &h->routes[i];
		if (strcmp(r->path, path))
			continue;
		for (j = 0; j < r->nmethods; j++)
			if (buf_addf(out, "%s%s", out->len ? ", " : "", r->methods[j]) < 0)
				gs_error_clear();
	}
}

/* The method as a metric label: one the routes serve (or, for an any-method route, a standard
 * one), else "other". The label points into the route table or a static string. */
static const char *method_label(const struct rt_http *h, const char *method)
{
	size_t i, j;
	int any = 0;
	for (i = 0; i < h->nroutes; i++) {
		any |= !h->routes[i].nmethods;
		for (j = 0; j < h->routes[i].nmethods; j++)
			if (!strcmp(h->routes[i].methods[j], method))
				return h->routes[i].methods[j];
	}
	for (i = 0; any && i < sizeof(std_methods) / sizeof(*std_methods); i++)
		if (!strcmp(std_methods[i], method))
			return std_methods[i];
	return "other";
}

static const char *path_label(const struct rt_http *h, const char *path)
{
	size_t i;
	for (i = 0; i < h->nroutes; i++)
		if (!strcmp(h->routes[i].path, path))
			return h->routes[i].path;
	return "other";
}

/* ---- answers ----------------------------------------------------------------------------------
 */

static enum MHD_Result send_resp(struct rt_req *rq, const struct rt_http_resp *resp,
                                 const char *allow, int retry_after)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	/* bodies are certificates, sealed (encrypted) documents or short texts: never plaintext */
	r = MHD_create_response_from_buffer(resp->body.len, resp->body.p, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (resp->type)
		MHD_add_response_header(r, "Content-Type", resp->type);
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", "1");
	rq->code = resp->code ? resp->code : 200;
	rq->answered = 1;
	ret = MHD_queue_response(rq->c, (unsigned)rq->code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct rt_req *rq, int code, const char *text, const char *allow,
                                 int retry_after)
{
	struct rt_http_resp resp = { 0, NULL, BUF_INIT(4096) };
	enum MHD_Result r;
	rt_http_reply_text(&resp, code, text);
	r = send_resp(rq, &resp, allow, retry_after);
	buf_release(&resp.body);
	return r;
}

static void fill_req(struct rt_http_req *hr, const struct rt_req *rq)
{
	memset(hr, 0, sizeof(*hr));
	hr->method = rq->method;
	hr->path = rq->url;
	hr->body = &rq->body;
	hr->body_too_big = rq->too_big;
	hr->conn = rq->c;
	hr->peer = rq->conn ? rq->conn->peer : "";
}

/* On a work thread: run the route (unless the connection is gone or the pool stops), then hand
 * the connection back to its event thread. rq belongs to that thread again after the resume. */
void rt__http_run(struct rt_http *h, struct rt_req *rq)
{
	struct rt_http_req hr;

	if (__atomic_load_n(&h->wstop, __ATOMIC_SEQ_CST) ||
	    (rq->conn && __atomic_load_n(&rq->conn->killed, __ATOMIC_SEQ_CST))) {
		rt_http_reply_text(&rq->resp, 503, "server shutting down or connection closed\n");
	} else {
		fill_req(&hr, rq);
		rq->route->fn(rq->route->ctx, &hr, &rq->resp);
	}
	rq->state = RT_REQ_DONE;
	MHD_resume_connection(rq->c);
}

static void release_body(struct rt_http *h, struct rt_req *rq)
{
	if (rq->reserved)
		__atomic_sub_fetch(&h->buffered, rq->reserved, __ATOMIC_SEQ_CST);
	rq->reserved = 0;
	gs_wipe(rq->body.p, rq->body.len);
	buf_release(&rq->body);
}

static int reserve(struct rt_http *h, struct rt_req *rq, size_t n);

/* The first call (headers read): what can be decided before the body. 1 = answered. */
static int first_call(struct rt_http *h, struct rt_req *rq, enum MHD_Result *ret)
{
	const struct rt_http_route_int *r;
	const char *cl;
	int known;

	rq->path_label = path_label(h, rq->url);
	rq->method_label = method_label(h, rq->method);
	if (!(r = find_route(h, rq->method, rq->url, &known))) {
		if (known) {
			struct buf allow = BUF_INIT(256);
			allow_of(h, rq->url, &allow);
			*ret = send_text(rq, 405, "405 method not allowed\n", allow.p, 0);
			buf_release(&allow);
		} else {
			*ret = send_text(rq, 404, "404 page not found\n", NULL, 0);
		}
		return 1;
	}
	rq->route = r;
	if (r->limit && !rt_ratelimit_allow(r->limit, rq->conn ? rq->conn->peer : "", gs_mono())) {
		*ret = send_text(rq, 429, "Too many requests\n", NULL, 1);
		return 1;
	}
	buf_init(&rq->body, r->body ? h->body_max : 0, 0);
	cl = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (r->body && cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (*end || n > h->body_max) {
			*ret = send_text(rq, 413, "request body too large\n", NULL, 0);
			return 1;
		}
		/* the whole declared body counts from now on: past the server's cap the answer
		 * comes before a byte of it is read */
		if (!reserve(h, rq, (size_t)n)) {
			*ret = send_text(
			    rq, 503, "too many request bodies in flight, retry later\n", NULL, 1);
			return 1;
		}
		if (n && buf_grow(&rq->body, (size_t)n) < 0)
			gs_error_clear(); /* grown as it comes, then */
	}
	return 0;
}

/* Count n more bytes of rq's body against the server's cap: 0 when it is full. */
static int reserve(struct rt_http *h, struct rt_req *rq, size_t n)
{
	if (__atomic_add_fetch(&h->buffered, n, __ATOMIC_SEQ_CST) > h->body_total_max) {
		__atomic_sub_fetch(&h->buffered, n, __ATOMIC_SEQ_CST);
		return 0;
	}
	rq->reserved += n;
	return 1;
}

/* A chunk of the body. 0: the connection is to be closed (a body without Content-Length past
 * the server's cap: no answer can be queued in the middle of a body). */
static int take_body(struct rt_http *h, struct rt_req *rq, const char *data, size_t n)
{
	if (!rq->route->body || rq->too_big)
		return 1; /* read and dropped */
	if (rq->body.len + n > h->body_max) {
		rq->too_big = 1;
		release_body(h, rq);
		return 1;
	}
	if (rq->body.len + n > rq->reserved && !reserve(h, rq, rq->body.len + n - rq->reserved)) {
		release_body(h, rq);
		return 0;
	}
	if (buf_add(&rq->body, data, n) < 0) {
		gs_error_clear();
		rq->too_big = 1;
		release_body(h, rq);
	}
	return 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	struct rt_http *h = cls;
	struct rt_req *rq = *con_cls;
	struct rt_http_resp resp = { 0, NULL, BUF_INIT(BUF_MAX_DEFAULT) };
	struct rt_http_req hr;
	enum MHD_Result ret = MHD_YES;

	(void)version;
	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		rq->h = h;
		rq->c = c;
		rq->conn = rt__http_conn_of(c);
		rq->method = method;
		rq->url = url;
		rq->start = gs_mono();
		rq->state = RT_REQ_BODY;
		buf_init(&rq->body, 0, 0);
		buf_init(&rq->resp.body, BUF_MAX_DEFAULT, 0);
		*con_cls = rq;
		first_call(h, rq, &ret);
		return ret;
	}
	if (rq->answered) { /* answered early: MHD drops the body */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!take_body(h, rq, upload, *upload_size))
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->state == RT_REQ_QUEUED)
		return MHD_YES; /* not resumed yet */
	if (rq->state == RT_REQ_DONE)
		return send_resp(rq, &rq->resp, NULL, rq->resp.code == 503);
	/* the whole request is read: from here on the write deadline */
	rt__http_conn_phase(h, rq->conn, RT_CONN_HANDLE);
	if (rq->route->work) {
		rq->state = RT_REQ_QUEUED;
		MHD_suspend_connection(c);
		if (rt__http_work_submit(h, rq) < 0) {
			rt_http_reply_text(&rq->resp, 503, "server busy, retry later\n");
			rq->state = RT_REQ_DONE;
			MHD_resume_connection(c);
		}
		return MHD_YES;
	}
	fill_req(&hr, rq);
	rq->route->fn(rq->route->ctx, &hr, &resp);
	ret = send_resp(rq, &resp, NULL, 0);
	buf_release(&resp.body);
	return ret;
}

/* Every finished request: metrics (the code actually sent), memory back; the connection reads
 * the next request from now on. */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct rt_http *h = cls;
	struct rt_req *rq = *con_cls;
	(void)toe;
	rt__http_conn_phase(h, rt__http_conn_of(c), RT_CONN_READ);
	if (!rq)
		return;
	if (h->requests && rq->code) {
		char code[16];
		const char *cv[] = { code, rq->method_label, rq->path_label },
		           *dv[] = { rq->method_label, rq->path_label };
		snprintf(code, sizeof(code), "%d", rq->code);
		rt_metric_add(h->requests, cv, 1);
		rt_metric_observe(h->durations, dv, gs_mono() - rq->start);
	}
	release_body(h, rq);
	buf_release(&rq->resp.body);
	free(rq);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct rt_http *h = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	/* once serving, what libmicrohttpd says is about one client's connection (closed, reset,
	 * malformed, over a limit): a client could fill the log with it. Only resource trouble of
	 * the process stays a warning. */
	if (__atomic_load_n(&h->serving, __ATOMIC_SEQ_CST) && !strstr(msg, "allocat") &&
	    !strstr(msg, "thread"))
		gs_debug("http server", "addr=%s error=\"%s\"", h->addr, msg);
	else
		gs_warn("http server", "addr=%s error=\"%s\"", h->addr, msg);
}

/* ---- the server -------------------------------------------------------------------------------
 */

int rt_http_new(struct rt_http **out, struct rt *rt, const struct rt_http_opts *o)
{
	struct rt_http *h;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))) || !(h->addr = strdup(o->addr ? o->addr : "")) ||
	    !(h->flag = strdup(o->flag ? o->flag : "listen"))) {
		if (h)
			free(h->addr);
		free(h);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	h->rt = rt;
	rt__http_conn_init(h);
	pthread_mutex_init(&h->wmu, NULL);
	pthread_cond_init(&h->wcv, NULL);
	h->read_timeout = o->read_timeout > 0 ? o->read_timeout : 120;
	h->write_timeout = o->write_timeout > 0 ? o->write_timeout : 120;
	h->body_max = o->body_max ? o->body_max : BODY_MAX;
	h->body_total_max = o->body_total_max ? o->body_total_max : BODY_TOTAL_MAX;
	if (h->body_total_max < h->body_max)
		h->body_total_max = h->body_max;
	h->conn_memory = o->conn_memory ? o->conn_memory : CONN_MEMORY;
	h->max_conns = o->max_conns ? o->max_conns : MAX_CONNS;
	h->max_per_ip = o->max_per_ip ? o->max_per_ip : MAX_PER_IP;
	h->work_threads = o->work_threads > 0 ? o->work_threads : 1;
	h->qmax = o->work_queue ? o->work_queue : WORK_QUEUE;
	if (rt_parse_listen(h->addr, h->host, sizeof(h->host), &h->port) < 0) {
		int rc = gs_error_prefix(GS_EINVAL, "--%s", h->flag);
		rt_http_free(h);
		return rc;
	}
	if (o->metric_prefix) {
		static const char *const cl[] = { "code", "method", "path", NULL },
		                         *const dl[] = { "method", "path", NULL },
		                         *const xl[] = { "reason", NULL };
		struct buf n = BUF_INIT(256);
		buf_addf(&n, "%shttp_requests_total", o->metric_prefix);
		h->requests = rt_metric_new(
		    rt_metrics(rt), RT_COUNTER, n.p,
		    "Total number of HTTP requests by path, method and status code.", cl, NULL, 0);
		buf_reset(&n);
		buf_addf(&n, "%shttp_request_duration_seconds", o->metric_prefix);
		h->durations = rt_metric_new(rt_metrics(rt), RT_HISTOGRAM, n.p,
		                             "HTTP request latencies in seconds.", dl, http_buckets,
		                             sizeof(http_buckets) / sizeof(*http_buckets));
		buf_reset(&n);
		buf_addf(&n, "%shttp_connections_closed_total", o->metric_prefix);
		h->closed = rt_metric_new(
		    rt_metrics(rt), RT_COUNTER, n.p,
		    "HTTP connections closed by the server: read_timeout, write_timeout, evicted.",
		    xl, NULL, 0);
		buf_release(&n);
	}
	*out = h;
	return 0;
}

/* "GET,HEAD" into r->methods. */
static int parse_methods(struct rt_http_route_int *r, const char *list)
{
	const char *p = list;
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n) {
			if (r->nmethods == RT_HTTP_MAX_METHODS)
				return gs_error(GS_EINVAL, "http: more than %d methods on a route",
				                RT_HTTP_MAX_METHODS);
			if (!(r->methods[r->nmethods] = strndup(p, n)))
				return gs_error(GS_ENOMEM, "out of memory");
			r->nmethods++;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static void route_release(struct rt_http_route_int *r)
{
	size_t i;
	for (i = 0; i < r->nmethods; i++)
		free(r->methods[i]);
	free(r->path);
	rt_ratelimit_free(r->limit);
	memset(r, 0, sizeof(*r));
}

int rt_http_route_add(struct rt_http *h, const struct rt_http_route_opts *o)
{
	struct rt_http_route_int *r;
	size_t i;
	int rc;

	if (h->d)
		return gs_error(GS_EINVAL, "http: routes are added before the server starts");
	if (h->nroutes == RT_HTTP_MAX_ROUTES)
		return gs_error(GS_EINVAL, "http: more than %d routes", RT_HTTP_MAX_ROUTES);
	if (!o->path || o->path[0] != '/' || !o->fn)
		return gs_error(GS_EINVAL, "http: a route needs a path (\"/...\") and a handler");
	r = &h->routes[h->nroutes];
	memset(r, 0, sizeof(*r));
	if ((rc = parse_methods(r, o->method)) < 0)
		goto fail;
	if (!(r->path = strdup(o->path)) ||
	    (o->rate > 0 && !(r->limit = rt_ratelimit_new(o->rate, o->burst)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto fail;
	}
	r->fn = o->fn;
	r->ctx = o->ctx;
	r->work = o->work;
	r->body = !r->nmethods;
	for (i = 0; i < r->nmethods; i++)
		r->body |= !strcmp(r->methods[i], "POST") || !strcmp(r->methods[i], "PUT") ||
		           !strcmp(r->methods[i], "PATCH");
	h->nroutes++;
	return 0;
fail:
	route_release(r);
	return rc;
}

int rt_http_route(struct rt_http *h, const char *method, const char *path, rt_http_fn fn, void *ctx)
{
	struct rt_http_route_opts o = { 0 };
	o.method = method;
	o.path = path;
	o.fn = fn;
	o.ctx = ctx;
	return rt_http_route_add(h, &o);
}

static void do_healthz(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	(void)ctx;
	(void)rq;
	rt_http_reply_text(resp, 200, "ok\n");
}

static void do_metrics(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	struct rt_http *h = ctx;
	(void)rq;
	resp->code = 200;
	resp->type = "text/plain; version=0.0.4; charset=utf-8";
	if (rt_registry_render(rt_metrics(h->rt), &resp->body) < 0)
		gs_error_clear(); /* what fits goes out, whole lines only */
}

int rt_http_route_healthz(struct rt_http *h)
{
	return rt_http_route(h, "GET,HEAD", "/healthz", do_healthz, h);
}

int rt_http_route_metrics(struct rt_http *h)
{
	return rt_http_route(h, "GET,HEAD", "/metrics", do_metrics, h);
}

/* One listen attempt with every limit (the same on every path: IPv6, dual stack, IPv4). */
static struct MHD_Daemon *start_daemon(struct rt_http *h, unsigned flags, struct sockaddr *sa)
{
	/* libmicrohttpd splits its limit between its threads, and this server closes the oldest
	 * slow connection itself at max_conns (http_conn.c): room above for a burst */
	unsigned mhd_limit = h->max_conns * 2 + 16;
	return MHD_start_daemon(
	    flags, (uint16_t)h->port, rt__http_accept, h, handle, h, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, h, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)RT_HTTP_EVENT_THREADS, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)(h->read_timeout < 1 ? 1 : h->read_timeout), MHD_OPTION_CONNECTION_LIMIT,
	    mhd_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->max_per_ip,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, h->conn_memory, MHD_OPTION_NOTIFY_COMPLETED,
	    completed, h, MHD_OPTION_NOTIFY_CONNECTION, rt__http_notify, h, MHD_OPTION_END);
}

int rt_http_start(struct rt_http *h)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa = NULL;
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	const union MHD_DaemonInfo *di;
	const char *host = h->host;
	size_t i;
	int rc, work = 0;

	/* epoll where libmicrohttpd has it (Linux), poll otherwise: never select's FD_SETSIZE */
	flags |=
	    MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (!*host) {
		/* ":8080": every address, IPv6 and IPv4 */
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)h->port);
		sin6.sin6_addr = in6addr_any;
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_DUAL_STACK;
	} else if (inet_pton(AF_INET, !strcmp(host, "localhost") ? "127.0.0.1" : host,
	                     &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)h->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)h->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		return gs_error(GS_EINVAL, "listen address \"%s\": host must be an IP address",
		                h->addr);
	}
	for (i = 0; i < h->nroutes; i++)
		work |= h->routes[i].work;
	if (work && (rc = rt__http_work_start(h)) < 0)
		return rc;
	if ((rc = rt__http_reaper_start(h)) < 0)
		return rc;
	h->d = start_daemon(h, flags, sa);
	if (!h->d && (flags & MHD_USE_DUAL_STACK)) {
		/* no IPv6 on this host: plain IPv4 any, with the same limits */
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)h->port);
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		h->d =
		    start_daemon(h, flags & ~(unsigned)MHD_USE_DUAL_STACK, (struct sockaddr *)&sin);
	}
	if (!h->d)
		return gs_error(GS_EIO, "cannot listen on %s", h->addr);
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->bound_port = di ? di->port : h->port;
	__atomic_store_n(&h->serving, 1, __ATOMIC_SEQ_CST);
	return 0;
}

int rt_http_port(const struct rt_http *h)
{
	return h ? h->bound_port : 0;
}

void rt_http_free(struct rt_http *h)
{
	size_t i;
	if (!h)
		return;
	/* queued work is answered and resumed first: libmicrohttpd stops only without suspended
	 * connections */
	rt__http_work_stop(h);
	if (h->d)
		MHD_stop_daemon(h->d);
	rt__http_reaper_stop(h);
	for (i = 0; i < h->nroutes; i++)
		route_release(&h->routes[i]);
	pthread_cond_destroy(&h->wcv);
	pthread_mutex_destroy(&h->wmu);
	rt__http_conn_release(h);
	free(h->addr);
	free(h->flag);
	free(h);
}
