/*
 * git:// for libgit2's smart transport: one TCP connection per operation, every
 * step under the operation's deadline — the name lookup (getaddrinfo_a), the
 * connect, each read and write (poll) — so a daemon that accepts and then says
 * nothing fails in time. rpc = 0: the stream of the ref listing is the one the
 * fetch continues on.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "source/source_int.h"

struct git_stream;

struct git_sub {
	git_smart_subtransport parent;
	struct source__op *op;
	struct git_stream *cur;
};

struct git_stream {
	git_smart_subtransport_stream parent;
	struct git_sub *sub;
	int fd;
};

/* getaddrinfo with a deadline: glibc's asynchronous lookup, abandoned at the deadline */
static int lookup(struct addrinfo **res, struct source__op *op, const char *host, const char *port)
{
	struct addrinfo hints;
	struct gaicb *req;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, res) == 0)
		return 0;
	hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
	/* the request must outlive an abandoned lookup: it is freed only once the lookup is over */
	if (!(req = calloc(1, sizeof(*req) + sizeof(hints))))
		return source__fail(op, GS_ENOMEM, "out of memory");
	memcpy(req + 1, &hints, sizeof(hints));
	req->ar_name = strdup(host);
	req->ar_service = strdup(port);
	req->ar_request = (struct addrinfo *)(req + 1);
	if (!req->ar_name || !req->ar_service || getaddrinfo_a(GAI_NOWAIT, &req, 1, NULL) != 0) {
		free((char *)req->ar_name);
		free((char *)req->ar_service);
		free(req);
		return source__fail(op, GS_EIO, "resolve %s: cannot start the lookup", host);
	}
	for (;;) {
		const struct gaicb *list[1] = { req };
		int64_t left = source__left_ms(op);
		struct timespec ts;
		if (left <= 0)
			break;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		rc = gai_suspend(list, 1, &ts);
		if (rc == 0 || rc == EAI_ALLDONE || gai_error(req) != EAI_INPROGRESS)
			break;
	}
	rc = gai_error(req);
	if (rc == EAI_INPROGRESS && gai_cancel(req) != EAI_CANCELED) {
		/* still running in glibc's thread: it keeps the request (a few bytes) */
		return source__deadline_fail(op);
	}
	if (rc == EAI_INPROGRESS || rc == EAI_CANCELED) {
		free((char *)req->ar_name);
		free((char *)req->ar_service);
		free(req);
		return source__deadline_fail(op);
	}
	*res = req->ar_result;
	free((char *)req->ar_name);
	free((char *)req->ar_service);
	free(req);
	if (rc != 0)
		return source__fail(op, GS_EIO, "resolve %s: %s", host, gai_strerror(rc));
	return 0;
}

static int dial(struct source__op *op, const char *host, int port)
{
	struct addrinfo *res = NULL, *ai;
	char ports[16], err[256] = "no address";
	int fd = -1;

	snprintf(ports, sizeof(ports), "%d", port);
	if (lookup(&res, op, host, ports) < 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		int e = 0, r;
		socklen_t el = sizeof(e);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		            ai->ai_protocol);
		if (fd < 0) {
			snprintf(err, sizeof(err), "%s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			r = source__poll_fd(fd, POLLOUT, op->deadline);
			if (r == 0) {
				close(fd);
				freeaddrinfo(res);
				return source__deadline_fail(op);
			}
			if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
				break;
			snprintf(err, sizeof(err), "%s", strerror(r < 0 ? errno : e));
		} else {
			snprintf(err, sizeof(err), "%s", strerror(errno));
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return source__fail(op, GS_EIO, "connect %s port %d: %s", host, port, err);
	return fd;
}

static int send_all(struct source__op *op, int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = source__poll_fd(fd, POLLOUT, op->deadline);
			if (r == 0)
				return source__deadline_fail(op);
			if (r > 0)
				continue;
		}
		return source__fail(op, GS_EIO, "send: %s", strerror(errno));
	}
	return 0;
}

static int git_read(git_smart_subtransport_stream *stream, char *buffer, size_t size, size_t *nread)
{
	struct git_stream *s = (struct git_stream *)stream;
	struct source__op *op = s->sub->op;
	*nread = 0;
	for (;;) {
		ssize_t r = recv(s->fd, buffer, size, 0);
		int p;
		if (r >= 0) {
			*nread = (size_t)r;
			return source__count_rx(op, (size_t)r);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return source__fail(op, GS_EIO, "recv: %s", strerror(errno));
		if ((p = source__poll_fd(s->fd, POLLIN, op->deadline)) == 0)
			return source__deadline_fail(op);
		if (p < 0)
			return source__fail(op, GS_EIO, "poll: %s", strerror(errno));
	}
}

static int git_write(git_smart_subtransport_stream *stream, const char *buffer, size_t len)
{
	struct git_stream *s = (struct git_stream *)stream;
	return send_all(s->sub->op, s->fd, buffer, len);
}

static void git_stream_free(git_smart_subtransport_stream *stream)
{
	struct git_stream *s = (struct git_stream *)stream;
	if (!s)
		return;
	if (s->sub->cur == s)
		s->sub->cur = NULL;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* "git-upload-pack /path\0host=h[:port]\0" as one pkt-line */
static int request(struct buf *out, const struct source__url *u)
{
	const char *path = u->path;
	char hdr[5];
	size_t start;
	int rc, v6 = strchr(u->host, ':') != NULL;

	if (path[0] == '/' && path[1] == '~')
		path++;
	if ((rc = buf_adds(out, "0000")) < 0)
		return rc;
	start = out->len;
	if ((rc = buf_addf(out, "git-upload-pack %s", path)) < 0 ||
	    (rc = buf_addc(out, '\0')) < 0 ||
	    (rc = buf_addf(out, "host=%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "")) < 0 ||
	    (u->port && (rc = buf_addf(out, ":%d", u->port)) < 0) || (rc = buf_addc(out, '\0')) < 0)
		return rc;
	if (out->len - start + 4 > 0xfff0)
		return gs_error(GS_ETOOBIG, "repository path too long");
	snprintf(hdr, sizeof(hdr), "%04x", (unsigned)(out->len - start + 4));
	memcpy(out->p + start - 4, hdr, 4);
	return 0;
}

static int git_action(git_smart_subtransport_stream **out, git_smart_subtransport *t,
                      const char *url, git_smart_service_t action)
{
	struct git_sub *sub = (struct git_sub *)t;
	struct source__op *op = sub->op;
	struct git_stream *s;
	struct buf req = BUF_INIT(65536);
	(void)url;

	*out = NULL;
	if (action == GIT_SERVICE_UPLOADPACK && sub->cur) {
		*out = &sub->cur->parent;
		return 0;
	}
	if (action == GIT_SERVICE_UPLOADPACK) {
		/* libgit2 saying goodbye on a stream that is gone: nothing to say it on */
		git_error_set_str(GIT_ERROR_NET, "no connection");
		return -1;
	}
	if (action != GIT_SERVICE_UPLOADPACK_LS)
		return source__fail(op, GS_EINVAL, "push is not supported");
	if (request(&req, op->url) < 0) {
		buf_release(&req);
		return source__fail(op, GS_EPARSE, "%s", gs_error_last());
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		buf_release(&req);
		return source__fail(op, GS_ENOMEM, "out of memory");
	}
	s->parent.subtransport = t;
	s->parent.read = git_read;
	s->parent.write = git_write;
	s->parent.free = git_stream_free;
	s->sub = sub;
	if ((s->fd = dial(op, op->url->host, op->url->port ? op->url->port : 9418)) < 0 ||
	    send_all(op, s->fd, req.p, req.len) < 0) {
		buf_release(&req);
		git_stream_free(&s->parent);
		return -1;
	}
	buf_release(&req);
	sub->cur = s;
	*out = &s->parent;
	return 0;
}

static int git_close(git_smart_subtransport *t)
{
	struct git_sub *sub = (struct git_sub *)t;
	if (sub->cur) {
		close(sub->cur->fd);
		sub->cur->fd = -1;
	}
	return 0;
}

static void git_sub_free(git_smart_subtransport *t)
{
	struct git_sub *sub = (struct git_sub *)t;
	if (sub && sub->cur)
		sub->cur->sub = sub, git_stream_free(&sub->cur->parent);
	free(sub);
}

int source__sub_git(git_smart_subtransport **out, git_transport *owner, void *param)
{
	struct git_sub *sub = calloc(1, sizeof(*sub));
	(void)owner;
	*out = NULL;
	if (!sub)
		return source__fail(param, GS_ENOMEM, "out of memory");
	sub->op = param;
	sub->parent.action = git_action;
	sub->parent.close = git_close;
	sub->parent.free = git_sub_free;
	*out = &sub->parent;
	return 0;
}
