#ifndef GS_CTL_RUNTIME_HTTP_INT_H
#define GS_CTL_RUNTIME_HTTP_INT_H
/*
 * Private to controller/runtime's HTTP server (http.c: routes and the request path; http_conn.c:
 * the connection table, deadlines, eviction; http_work.c: the work pool). Only these three files
 * include <microhttpd.h>.
 *
 * Who runs where:
 *   event threads  libmicrohttpd's (epoll, RT_HTTP_EVENT_THREADS of them): accept, read, route,
 *                  answer the light routes inline; never a decryption.
 *   work threads   the routes marked work: a bounded queue in front of work_threads threads; the
 *                  connection is suspended meanwhile and resumed with the answer.
 *   reaper         one thread per server: every RT_HTTP_REAP_MS it shuts down the connections
 *                  past their read deadline (headers and body: read_timeout from the accept or the
 *                  end of the previous response) or their write deadline (write_timeout from the
 *                  end of the request to the end of the response).
 * Locks: h->cmu (the connection table), h->wmu (the work queue); never both, never a route's
 * lock under either.
 */
#include <pthread.h>

#include <microhttpd.h>

#include "controller/runtime/runtime_int.h"

#define RT_HTTP_EVENT_THREADS 2
#define RT_HTTP_REAP_MS 200
#define RT_HTTP_MAX_ROUTES 32
#define RT_HTTP_MAX_METHODS 8

struct rt_http_route_int {
	char *path;
	char *methods[RT_HTTP_MAX_METHODS]; /* none: any method */
	size_t nmethods;
	rt_http_fn fn;
	void *ctx;
	int work; /* on the work pool */
	int body; /* a request body is buffered (POST, PUT, PATCH or any method) */
	struct rt_ratelimit *limit; /* per peer; NULL: none */
};

enum rt_conn_phase {
	RT_CONN_READ,   /* headers and body of a request (or waiting for the next one) */
	RT_CONN_HANDLE, /* the request is read: handling and writing the answer */
};

/* One TCP connection (MHD's socket context), in h->conns from accept to close. */
struct rt_conn {
	struct rt_conn *prev, *next; /* under h->cmu */
	int fd;
	enum rt_conn_phase phase; /* under h->cmu */
	double since;             /* start of the phase (gs_mono) */
	int killed;               /* shut down by the reaper or an eviction (atomic) */
	char peer[64];            /* the rate-limit key: IPv4 address, IPv6 /64 */
};

enum rt_req_state { RT_REQ_BODY, RT_REQ_QUEUED, RT_REQ_DONE };

/* One request (MHD's con_cls). */
struct rt_req {
	struct rt_http *h;
	struct rt_conn *conn;
	struct MHD_Connection *c;
	const struct rt_http_route_int *route; /* NULL: answered at the first call */
	enum rt_req_state state;
	struct buf body;
	size_t reserved; /* bytes counted in h->buffered */
	int too_big;     /* past the route's cap */
	int answered;    /* a response was queued */
	double start;
	int code;
	const char *path_label, *method_label;
	const char *method, *url; /* MHD's, valid for the request */
	struct rt_http_resp resp; /* the work pool's answer */
	struct rt_req *qnext;
};

struct rt_http {
	struct rt *rt;
	struct MHD_Daemon *d;
	char *addr, *flag;
	char host[256];
	int port, bound_port;
	double read_timeout, write_timeout;
	size_t body_max, body_total_max, conn_memory;
	unsigned max_conns, max_per_ip;
	struct rt_http_route_int routes[RT_HTTP_MAX_ROUTES];
	size_t nroutes;
	struct rt_metric *requests, *durations, *closed;

	size_t buffered; /* bytes of request bodies held (atomic) */
	int serving;     /* started (atomic): libmicrohttpd's messages are about clients now */

	/* connections (http_conn.c) */
	pthread_mutex_t cmu;
	struct rt_conn *conns; /* most recent first */
	size_t nconns;
	pthread_t reaper;
	int reaper_running;
	int reaper_stop; /* under cmu */
	pthread_cond_t reaper_cv;

	/* work pool (http_work.c) */
	pthread_mutex_t wmu;
	pthread_cond_t wcv;
	struct rt_req *qhead, *qtail;
	size_t qlen, qmax;
	int work_threads, nworkers;
	pthread_t workers[16];
	int wstop; /* under wmu */
};

/* http_conn.c */
void rt__http_conn_init(struct rt_http *h);
void rt__http_conn_release(struct rt_http *h);
void rt__http_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe);
enum MHD_Result rt__http_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
int rt__http_reaper_start(struct rt_http *h);
void rt__http_reaper_stop(struct rt_http *h);
/* The connection's phase (any MHD thread). */
void rt__http_conn_phase(struct rt_http *h, struct rt_conn *conn, enum rt_conn_phase phase);
struct rt_conn *rt__http_conn_of(struct MHD_Connection *c);
/* "a.b.c.d" for IPv4 (and IPv4-mapped IPv6), the /64 prefix for IPv6 ("2001:db8:1:2::/64"). */
void rt__http_peer_key(char out[64], const struct sockaddr *sa);

/* http_work.c */
int rt__http_work_start(struct rt_http *h);
/* Queue rq (its connection is suspended already): 0, or -1 when full or stopping. */
int rt__http_work_submit(struct rt_http *h, struct rt_req *rq);
/* Queued requests are answered 503 and resumed; running ones finish; the threads end. */
void rt__http_work_stop(struct rt_http *h);

/* http.c: the work pool's end of a request (any thread): state DONE, then resumed. */
void rt__http_run(struct rt_http *h, struct rt_req *rq);

#endif
