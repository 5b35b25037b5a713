/*
 * The HTTP server: libmicrohttpd (its own 2 threads per listener) in front of a route table the
 * reconcilers fill before it starts. Request bodies are buffered up to a cap (a route sees
 * body_too_big past it); every finished request on a server with a metric prefix is counted
 * (<prefix>http_requests_total{code,method,path}) and timed (..._duration_seconds{method,path}),
 * path being the route's, or "other".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "controller/runtime/runtime_int.h"
#include "core/clock.h"
#include "core/log.h"

#define BODY_MAX ((size_t)2 << 20)
#define MAX_ROUTES 32

static const double http_buckets[] = { .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };

struct route {
	char *method, *path;
	rt_http_fn fn;
	void *ctx;
};

struct rt_http {
	struct rt *rt;
	struct MHD_Daemon *d;
	char *addr, *flag;
	char host[256];
	int port, bound_port;
	double read_timeout;
	size_t body_max;
	struct route routes[MAX_ROUTES];
	size_t nroutes;
	struct rt_metric *requests, *durations;
};

struct req {
	struct buf body;
	double start;
	int too_big;
	int code;         /* the status sent */
	const char *path; /* metrics label (a route's path or "other") */
	char method[8];
};

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

static enum MHD_Result send_resp(struct MHD_Connection *c, const struct rt_http_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	/* bodies are certificates, sealed (encrypted) documents or short texts: never plaintext */
	r = MHD_create_response_from_buffer(resp->body.len, resp->body.p, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (resp->type)
		MHD_add_response_header(r, "Content-Type", resp->type);
	ret = MHD_queue_response(c, (unsigned)(resp->code ? resp->code : 200), r);
	MHD_destroy_response(r);
	return ret;
}

static const struct route *find_route(const struct rt_http *h, const char *method, const char *path)
{
	size_t i;
	for (i = 0; i < h->nroutes; i++)
		if (!strcmp(h->routes[i].path, path) &&
		    (!h->routes[i].method || !strcmp(h->routes[i].method, method)))
			return &h->routes[i];
	return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	struct rt_http *h = cls;
	struct req *rq = *con_cls;
	struct rt_http_resp resp = { 0, NULL, BUF_INIT(BUF_MAX_DEFAULT) };
	struct rt_http_req hr;
	const struct route *rt;
	enum MHD_Result r;

	(void)version;
	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		buf_init(&rq->body, h->body_max, 0);
		rq->start = gs_mono();
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
	if ((rt = find_route(h, method, url))) {
		hr.method = method;
		hr.path = url;
		hr.body = &rq->body;
		hr.body_too_big = rq->too_big;
		hr.conn = c;
		rt->fn(rt->ctx, &hr, &resp);
		rq->path = rt->path;
	} else {
		rt_http_reply_text(&resp, 404, "404 page not found\n");
		rq->path = "other";
	}
	rq->code = resp.code ? resp.code : 200;
	snprintf(rq->method, sizeof(rq->method), "%s", method);
	r = send_resp(c, &resp);
	buf_release(&resp.body);
	return r;
}

/* Metrics of every finished request (the code is the one actually sent). */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct rt_http *h = cls;
	struct req *rq = *con_cls;
	(void)toe;
	(void)c;
	if (!rq)
		return;
	if (h->requests && rq->path && rq->code) {
		char code[16];
		const char *cv[] = { code, rq->method, rq->path }, *dv[] = { rq->method, rq->path };
		snprintf(code, sizeof(code), "%d", rq->code);
		rt_metric_add(h->requests, cv, 1);
		rt_metric_observe(h->durations, dv, gs_mono() - rq->start);
	}
	gs_wipe(rq->body.p, rq->body.len);
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
	h->read_timeout = o->read_timeout > 0 ? o->read_timeout : 120;
	h->body_max = o->body_max ? o->body_max : BODY_MAX;
	if (rt_parse_listen(h->addr, h->host, sizeof(h->host), &h->port) < 0) {
		int rc = gs_error_prefix(GS_EINVAL, "--%s", h->flag);
		rt_http_free(h);
		return rc;
	}
	if (o->metric_prefix) {
		static const char *const cl[] = { "code", "method", "path", NULL }, *const dl[] = {
			"method", "path", NULL
		};
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
		buf_release(&n);
	}
	*out = h;
	return 0;
}

int rt_http_route(struct rt_http *h, const char *method, const char *path, rt_http_fn fn, void *ctx)
{
	struct route *r;
	if (h->d)
		return gs_error(GS_EINVAL, "http: routes are added before the server starts");
	if (h->nroutes == MAX_ROUTES)
		return gs_error(GS_EINVAL, "http: more than %d routes", MAX_ROUTES);
	r = &h->routes[h->nroutes];
	r->method = method ? strdup(method) : NULL;
	r->path = strdup(path);
	if ((method && !r->method) || !r->path) {
		free(r->method);
		free(r->path);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	r->fn = fn;
	r->ctx = ctx;
	h->nroutes++;
	return 0;
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
		gs_error_clear(); /* what fits goes out */
}

int rt_http_route_healthz(struct rt_http *h)
{
	return rt_http_route(h, NULL, "/healthz", do_healthz, h);
}

int rt_http_route_metrics(struct rt_http *h)
{
	return rt_http_route(h, NULL, "/metrics", do_metrics, h);
}

int rt_http_start(struct rt_http *h)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	const char *host = h->host;

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
	h->d = MHD_start_daemon(flags, (uint16_t)h->port, NULL, NULL, handle, h,
	                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, sa,
	                        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)h->read_timeout,
	                        MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_END);
	if (!h->d && (flags & MHD_USE_DUAL_STACK)) {
		/* no IPv6 on this host: plain IPv4 any */
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)h->port);
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		h->d = MHD_start_daemon(flags & ~(unsigned)MHD_USE_DUAL_STACK, (uint16_t)h->port,
		                        NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		                        NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		                        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
		                        MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_END);
	}
	if (!h->d)
		return gs_error(GS_EIO, "cannot listen on %s", h->addr);
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->bound_port = di ? di->port : h->port;
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
	if (h->d)
		MHD_stop_daemon(h->d);
	for (i = 0; i < h->nroutes; i++) {
		free(h->routes[i].method);
		free(h->routes[i].path);
	}
	free(h->addr);
	free(h->flag);
	free(h);
}
