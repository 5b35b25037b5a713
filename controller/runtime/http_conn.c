/*
 * The HTTP server's connections (http_int.h): a table of every open connection with the phase
 * it is in, filled by libmicrohttpd's connection notifications. Three things use it:
 *
 *   deadlines  libmicrohttpd's connection timeout is an idle timeout (a byte every few seconds
 *              keeps a connection forever). The reaper thread shuts down (shutdown(2): the fd
 *              stays open until libmicrohttpd closes it, so it is never another connection's)
 *              every connection whose request is not read within read_timeout of its start
 *              (the accept, or the end of the previous answer on a kept-alive connection), and
 *              every one whose answer is not written within write_timeout of the end of its
 *              request. libmicrohttpd sees the end of the stream and closes it on its thread.
 *   eviction   at max_conns, a new connection shuts down the oldest one still being read (a
 *              client that sends its request in one go is never the oldest for long), so a
 *              flood of slow connections cannot keep a probe out.
 *   peers      the rate-limit key of each connection: the peer's address (never a header).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "controller/runtime/http_int.h"
#include "core/clock.h"
#include "core/log.h"

void rt__http_peer_key(char out[64], const struct sockaddr *sa)
{
	out[0] = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, out, 64);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		struct in6_addr a = in6->sin6_addr;
		char txt[INET6_ADDRSTRLEN];
		if (IN6_IS_ADDR_V4MAPPED(&a)) { /* an IPv4 client of a dual-stack listener */
			inet_ntop(AF_INET, &a.s6_addr[12], out, 64);
			return;
		}
		/* one client owns a /64 (SLAAC, privacy addresses): one key for all of it */
		memset(&a.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &a, txt, sizeof(txt));
		snprintf(out, 64, "%s/64", txt);
	}
}

void rt__http_conn_init(struct rt_http *h)
{
	pthread_mutex_init(&h->cmu, NULL);
	pthread_cond_init(&h->reaper_cv, NULL);
}

void rt__http_conn_release(struct rt_http *h)
{
	pthread_cond_destroy(&h->reaper_cv);
	pthread_mutex_destroy(&h->cmu);
}

struct rt_conn *rt__http_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

void rt__http_conn_phase(struct rt_http *h, struct rt_conn *conn, enum rt_conn_phase phase)
{
	if (!conn)
		return;
	pthread_mutex_lock(&h->cmu);
	conn->phase = phase;
	conn->since = gs_mono();
	pthread_mutex_unlock(&h->cmu);
}

static void count_closed(struct rt_http *h, const char *reason)
{
	const char *v[] = { reason };
	rt_metric_add(h->closed, v, 1);
}

/* Under cmu. */
static void kill_conn(struct rt_conn *conn)
{
	if (__atomic_exchange_n(&conn->killed, 1, __ATOMIC_SEQ_CST))
		return;
	shutdown(conn->fd, SHUT_RDWR);
}

void rt__http_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
	struct rt_http *h = cls;
	struct rt_conn *conn;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!(conn = calloc(1, sizeof(*conn)))) {
			*socket_context =
			    NULL; /* no deadline for it: MHD's idle timeout still is */
			return;
		}
		conn->fd = fd ? fd->connect_fd : -1;
		rt__http_peer_key(conn->peer, ad ? ad->client_addr : NULL);
		conn->phase = RT_CONN_READ;
		conn->since = gs_mono();
		pthread_mutex_lock(&h->cmu);
		conn->next = h->conns;
		if (h->conns)
			h->conns->prev = conn;
		h->conns = conn;
		h->nconns++;
		pthread_mutex_unlock(&h->cmu);
		*socket_context = conn;
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED: before MHD closes the fd */
	if (!(conn = *socket_context))
		return;
	pthread_mutex_lock(&h->cmu);
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		h->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	h->nconns--;
	pthread_mutex_unlock(&h->cmu);
	free(conn);
	*socket_context = NULL;
}

/* A new connection (before MHD takes it): at max_conns, make room by closing the oldest one that
 * is still being read. */
enum MHD_Result rt__http_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct rt_http *h = cls;
	struct rt_conn *conn, *oldest = NULL;
	int evicted = 0;

	(void)addr;
	(void)addrlen;
	pthread_mutex_lock(&h->cmu);
	if (h->nconns >= h->max_conns) {
		for (conn = h->conns; conn; conn = conn->next)
			if (conn->phase == RT_CONN_READ &&
			    !__atomic_load_n(&conn->killed, __ATOMIC_SEQ_CST) &&
			    (!oldest || conn->since <= oldest->since))
				oldest = conn;
		if (oldest) {
			kill_conn(oldest);
			evicted = 1;
		}
	}
	pthread_mutex_unlock(&h->cmu);
	if (evicted)
		count_closed(h, "evicted");
	return MHD_YES;
}

static void *reaper_main(void *arg)
{
	struct rt_http *h = arg;
	struct timespec ts;

	pthread_mutex_lock(&h->cmu);
	while (!h->reaper_stop) {
		double now = gs_mono();
		long nread = 0, nwrite = 0;
		struct rt_conn *conn;

		for (conn = h->conns; conn; conn = conn->next) {
			if (__atomic_load_n(&conn->killed, __ATOMIC_SEQ_CST))
				continue;
			if (conn->phase == RT_CONN_READ && now - conn->since > h->read_timeout) {
				kill_conn(conn);
				nread++;
			} else if (conn->phase == RT_CONN_HANDLE &&
			           now - conn->since > h->write_timeout) {
				kill_conn(conn);
				nwrite++;
			}
		}
		if (nread || nwrite) {
			pthread_mutex_unlock(&h->cmu);
			if (nread) {
				const char *v[] = { "read_timeout" };
				rt_metric_add(h->closed, v, (double)nread);
			}
			if (nwrite) {
				const char *v[] = { "write_timeout" };
				rt_metric_add(h->closed, v, (double)nwrite);
			}
			gs_debug("http: connections past their deadline closed",
			         "addr=%s read=%ld write=%ld", h->addr, nread, nwrite);
			pthread_mutex_lock(&h->cmu);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += RT_HTTP_REAP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!h->reaper_stop)
			pthread_cond_timedwait(&h->reaper_cv, &h->cmu, &ts);
	}
	pthread_mutex_unlock(&h->cmu);
	return NULL;
}

int rt__http_reaper_start(struct rt_http *h)
{
	h->reaper_stop = 0;
	if (pthread_create(&h->reaper, NULL, reaper_main, h))
		return gs_error(GS_ERROR, "http: cannot start the deadline thread");
	h->reaper_running = 1;
	return 0;
}

void rt__http_reaper_stop(struct rt_http *h)
{
	if (!h->reaper_running)
		return;
	pthread_mutex_lock(&h->cmu);
	h->reaper_stop = 1;
	pthread_cond_signal(&h->reaper_cv);
	pthread_mutex_unlock(&h->cmu);
	pthread_join(h->reaper, NULL);
	h->reaper_running = 0;
}
