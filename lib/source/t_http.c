/*
 * Smart HTTP for libgit2's smart transport, on libcurl (through lib/net) instead of
 * libgit2 1.5's own client: a deadline on every byte, proxies, a CA bundle and a
 * client certificate per source, OpenSSL TLS (the system libgit2's mbedTLS fails
 * on TLS-1.3-only servers and on IP SANs).
 *
 * rpc = 1: libgit2 asks for one stream per request, GET .../info/refs then one
 * POST .../git-upload-pack per negotiation round; it writes each request body
 * whole and then reads the response. read() drives the transfer with the multi API
 * until some bytes arrive, the response ends, or the deadline passes; the write
 * callback pauses the transfer when 4 MiB wait unread, so memory stays bounded
 * however fast the server is. Redirects are followed for info/refs only (as git
 * does) and the POSTs go where the redirect led; credentials never follow a
 * redirect to another host (libcurl's default).
 *
 * libcurl keeps its own unwiped copies of the password or token it is given (as
 * lib/kube's): the buffers here are wiped, curl's are freed with the handle.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "net/net.h"
#include "source/source_int.h"

#define PAUSE_AT ((size_t)4 << 20)
#define USER_AGENT "git/2.39 (gitseal)"

struct http_sub {
	git_smart_subtransport parent;
	struct source__op *op;
	CURLM *multi;
	char *base; /* the repository URL, no trailing '/'; moved by a redirect of info/refs */
};

struct http_stream {
	git_smart_subtransport_stream parent;
	struct http_sub *sub;
	git_smart_service_t service;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url;
	struct buf req;  /* POST body, sent on the first read */
	struct buf pend; /* received, not read yet */
	size_t poff;
	int started, added, done, paused, checked;
	CURLcode result;
	char errbuf[CURL_ERROR_SIZE];
};

static int http_fail_status(struct http_stream *s, long code)
{
	struct source__op *op = s->sub->op;
	int creds = op->creds &&
	            (op->creds->username || op->creds->password.len || op->creds->bearer_token.len);
	creds = creds || op->url->user || op->url->password;
	switch (code) {
	case 401:
		return source__fail(op, GS_EAUTH, "HTTP 401: %s",
		                    creds ? "authentication failed"
		                          : "authentication required (no credentials given)");
	case 403: return source__fail(op, GS_EAUTH, "HTTP 403: access denied");
	case 404: return source__fail(op, GS_ENOTFOUND, "HTTP 404: repository not found");
	default: return source__fail(op, GS_EIO, "HTTP %ld", code);
	}
}

/* First bytes of a response: check what kind of body this is, follow a redirect's base. */
static int check_response(struct http_stream *s)
{
	struct source__op *op = s->sub->op;
	const char *want = s->service == GIT_SERVICE_UPLOADPACK_LS
	                       ? "application/x-git-upload-pack-advertisement"
	                       : "application/x-git-upload-pack-result";
	char *ct = NULL, *eff = NULL;
	long code = 0;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		return http_fail_status(s, code);
	curl_easy_getinfo(s->easy, CURLINFO_CONTENT_TYPE, &ct);
	if (!ct || strncmp(ct, want, strlen(want)))
		return source__fail(op, GS_EIO,
		                    "not a Git smart HTTP server (Content-Type '%.64s'; "
		                    "dumb HTTP is not supported)",
		                    ct ? ct : "");
	if (s->service == GIT_SERVICE_UPLOADPACK_LS) {
		static const char suffix[] = "/info/refs?service=git-upload-pack";
		curl_easy_getinfo(s->easy, CURLINFO_EFFECTIVE_URL, &eff);
		if (eff && strcmp(eff, s->url)) {
			size_t n = strlen(eff), sl = sizeof(suffix) - 1;
			char *nb;
			if (n <= sl || strcmp(eff + n - sl, suffix))
				return source__fail(
				    op, GS_EIO, "redirected to a URL that is not a Git repository");
			if (!(nb = strndup(eff, n - sl)))
				return source__fail(op, GS_ENOMEM, "out of memory");
			free(s->sub->base);
			s->sub->base = nb;
		}
	}
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct http_stream *s = ud;
	size_t n = size * nmemb;

	if (!s->checked) {
		s->checked = 1;
		if (check_response(s) < 0)
			return 0; /* aborts with CURLE_WRITE_ERROR; the reason is recorded */
	}
	if (s->pend.len - s->poff >= PAUSE_AT) {
		s->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (source__count_rx(s->sub->op, n) < 0)
		return 0;
	if (s->poff && s->poff == s->pend.len) {
		buf_reset(&s->pend);
		s->poff = 0;
	}
	if (buf_add(&s->pend, data, n) < 0) {
		source__fail(s->sub->op, GS_ENOMEM, "out of memory");
		return 0;
	}
	return n;
}

static int stream_start(struct http_stream *s)
{
	struct http_sub *sub = s->sub;
	struct source__op *op = sub->op;
	const struct source_creds *cr = op->creds;
	int64_t left = source__left_ms(op);
	CURLMcode mc;

	if (left <= 0)
		return source__deadline_fail(op);
	if (!(s->easy = curl_easy_init()))
		return source__fail(op, GS_ENOMEM, "curl_easy_init failed");
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->easy, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(s->easy, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(s->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(s->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	if (op->proxy)
		curl_easy_setopt(s->easy, CURLOPT_PROXY, op->proxy);
	if (s->service == GIT_SERVICE_UPLOADPACK_LS) {
		curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(s->easy, CURLOPT_MAXREDIRS, 5L);
		/* never from https down to http */
		curl_easy_setopt(s->easy, CURLOPT_REDIR_PROTOCOLS_STR,
		                 op->url->scheme == SOURCE_HTTPS ? "https" : "http,https");
		s->hdrs = curl_slist_append(s->hdrs, "Pragma: no-cache");
	} else {
		s->hdrs = curl_slist_append(s->hdrs,
		                            "Content-Type: application/x-git-upload-pack-request");
		s->hdrs =
		    curl_slist_append(s->hdrs, "Accept: application/x-git-upload-pack-result");
		s->hdrs = curl_slist_append(s->hdrs, "Expect:");
		curl_easy_setopt(s->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->req.p);
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->req.len);
	}
	if (!s->hdrs)
		return source__fail(op, GS_ENOMEM, "out of memory");
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);

	/* credentials: a bearer token, or basic auth from the credentials or the URL */
	if (cr && cr->bearer_token.len) {
		curl_easy_setopt(s->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(s->easy, CURLOPT_XOAUTH2_BEARER, cr->bearer_token.p);
	} else if (cr && (cr->username || cr->password.len)) {
		curl_easy_setopt(s->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(s->easy, CURLOPT_USERNAME, cr->username ? cr->username : "git");
		curl_easy_setopt(s->easy, CURLOPT_PASSWORD, cr->password.p);
	} else if (op->url->user || op->url->password) {
		curl_easy_setopt(s->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(s->easy, CURLOPT_USERNAME, op->url->user ? op->url->user : "git");
		curl_easy_setopt(s->easy, CURLOPT_PASSWORD,
		                 op->url->password ? op->url->password : "");
	}
	if (cr && cr->ca.len) {
		struct curl_blob ca = { cr->ca.p, cr->ca.len, CURL_BLOB_COPY };
		curl_easy_setopt(s->easy, CURLOPT_CAINFO_BLOB, &ca);
	}
	if (cr && cr->tls_cert.len && cr->tls_key.len) {
		struct curl_blob cert = { cr->tls_cert.p, cr->tls_cert.len, CURL_BLOB_COPY };
		struct curl_blob key = { cr->tls_key.p, cr->tls_key.len, CURL_BLOB_NOCOPY };
		curl_easy_setopt(s->easy, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(s->easy, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(s->easy, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(s->easy, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if ((mc = curl_multi_add_handle(sub->multi, s->easy)) != CURLM_OK)
		return source__fail(op, GS_EIO, "curl: %s", curl_multi_strerror(mc));
	s->added = 1;
	s->started = 1;
	return 0;
}

static int transfer_error(struct http_stream *s)
{
	struct source__op *op = s->sub->op;
	long code = 0;
	if (op->err_code)
		return source__fail(op, op->err_code, "%s", op->err);
	switch (s->result) {
	case CURLE_HTTP_RETURNED_ERROR:
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
		return http_fail_status(s, code);
	case CURLE_OPERATION_TIMEDOUT: return source__deadline_fail(op);
	case CURLE_TOO_MANY_REDIRECTS: return source__fail(op, GS_EIO, "too many redirects");
	default:
		return source__fail(op, GS_EIO, "%s",
		                    s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result));
	}
}

/* run the transfer until there are unread bytes or it has ended */
static int pump(struct http_stream *s)
{
	struct http_sub *sub = s->sub;
	struct source__op *op = sub->op;

	while (s->pend.len == s->poff && !s->done) {
		CURLMsg *m;
		int running = 0, q;
		int64_t left;
		CURLMcode mc;

		if (s->paused) {
			s->paused = 0;
			curl_easy_pause(s->easy, CURLPAUSE_CONT); /* may call on_write at once */
			continue;
		}
		if ((mc = curl_multi_perform(sub->multi, &running)) != CURLM_OK)
			return source__fail(op, GS_EIO, "curl: %s", curl_multi_strerror(mc));
		while ((m = curl_multi_info_read(sub->multi, &q))) {
			if (m->msg == CURLMSG_DONE && m->easy_handle == s->easy) {
				s->done = 1;
				s->result = m->data.result;
			}
		}
		if (s->pend.len != s->poff || s->done)
			break;
		if (op->err_code)
			return source__fail(op, op->err_code, "%s", op->err);
		if ((left = source__left_ms(op)) <= 0)
			return source__deadline_fail(op);
		if ((mc = curl_multi_poll(sub->multi, NULL, 0, left > 1000 ? 1000 : (int)left,
		                          NULL)) != CURLM_OK)
			return source__fail(op, GS_EIO, "curl: %s", curl_multi_strerror(mc));
	}
	return 0;
}

static int http_read(git_smart_subtransport_stream *stream, char *buffer, size_t size,
                     size_t *nread)
{
	struct http_stream *s = (struct http_stream *)stream;
	size_t n;

	*nread = 0;
	if (!s->started && stream_start(s) < 0)
		return -1;
	if (pump(s) < 0)
		return -1;
	if (s->pend.len == s->poff) {
		if (s->result != CURLE_OK)
			return transfer_error(s);
		if (!s->checked && check_response(s) < 0) /* an empty 200 */
			return -1;
		return 0; /* end of the response */
	}
	n = s->pend.len - s->poff;
	if (n > size)
		n = size;
	memcpy(buffer, s->pend.p + s->poff, n);
	s->poff += n;
	*nread = n;
	return 0;
}

static int http_write(git_smart_subtransport_stream *stream, const char *buffer, size_t len)
{
	struct http_stream *s = (struct http_stream *)stream;
	if (s->started)
		return source__fail(s->sub->op, GS_ERROR, "write after the request was sent");
	if (buf_add(&s->req, buffer, len) < 0)
		return source__fail(s->sub->op, GS_ETOOBIG, "request body over %zu bytes",
		                    s->req.max);
	return 0;
}

static void http_stream_free(git_smart_subtransport_stream *stream)
{
	struct http_stream *s = (struct http_stream *)stream;
	if (!s)
		return;
	if (s->added)
		curl_multi_remove_handle(s->sub->multi, s->easy);
	curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->hdrs);
	free(s->url);
	buf_release(&s->req);
	buf_release(&s->pend);
	free(s);
}

static int http_action(git_smart_subtransport_stream **out, git_smart_subtransport *t,
                       const char *url, git_smart_service_t action)
{
	struct http_sub *sub = (struct http_sub *)t;
	struct http_stream *s;
	struct buf u = BUF_INIT(16384);
	(void)url;

	*out = NULL;
	if (action != GIT_SERVICE_UPLOADPACK_LS && action != GIT_SERVICE_UPLOADPACK)
		return source__fail(sub->op, GS_EINVAL, "push is not supported");
	if (!(s = calloc(1, sizeof(*s))))
		return source__fail(sub->op, GS_ENOMEM, "out of memory");
	s->parent.subtransport = t;
	s->parent.read = http_read;
	s->parent.write = http_write;
	s->parent.free = http_stream_free;
	s->sub = sub;
	s->service = action;
	buf_init(&s->req, (size_t)64 << 20, 0);
	buf_init(&s->pend, (size_t)64 << 20, 0);
	if (buf_adds(&u, sub->base) < 0 ||
	    buf_adds(&u, action == GIT_SERVICE_UPLOADPACK_LS ? "/info/refs?service=git-upload-pack"
	                                                     : "/git-upload-pack") < 0) {
		buf_release(&u);
		http_stream_free(&s->parent);
		return source__fail(sub->op, GS_ETOOBIG, "URL too long");
	}
	s->url = buf_detach(&u, NULL);
	*out = &s->parent;
	return 0;
}

static int http_close(git_smart_subtransport *t)
{
	(void)t;
	return 0;
}

static void http_free(git_smart_subtransport *t)
{
	struct http_sub *sub = (struct http_sub *)t;
	if (!sub)
		return;
	curl_multi_cleanup(sub->multi);
	free(sub->base);
	free(sub);
}

int source__sub_http(git_smart_subtransport **out, git_transport *owner, void *param)
{
	struct source__op *op = param;
	struct http_sub *sub;
	size_t n;
	int rc;
	(void)owner;

	*out = NULL;
	if ((rc = net_init()) < 0)
		return source__fail(op, rc, "%s", gs_error_last());
	if (!(sub = calloc(1, sizeof(*sub))))
		return source__fail(op, GS_ENOMEM, "out of memory");
	sub->op = op;
	sub->parent.action = http_action;
	sub->parent.close = http_close;
	sub->parent.free = http_free;
	if (!(sub->multi = curl_multi_init()) || !(sub->base = strdup(op->url->display))) {
		http_free(&sub->parent);
		return source__fail(op, GS_ENOMEM, "out of memory");
	}
	n = strlen(sub->base);
	while (n > 0 && sub->base[n - 1] == '/')
		sub->base[--n] = '\0';
	*out = &sub->parent;
	return 0;
}
