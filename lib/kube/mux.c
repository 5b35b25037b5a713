/*
 * Many watches on one thread (kube.h, "Many watches on one thread"): a curl multi handle, an
 * eventfd to wake its poll, and for each watch the state machine of kube_watch_run():
 *
 *   LIST  -> a page: items as LISTED; next page (held while the gate is closed); after the last
 *            one SYNCED and WATCH from the list's resourceVersion (no_list: one limit=1 request
 *            for the current version, nothing delivered)
 *   WATCH -> the stream: events as they are parsed (paused while the gate is closed); the
 *            server's timeout resumes from the last version, 410 goes back to LIST
 *   any failed request: KUBE_EVENT_ERROR, then the same request again after a backoff
 *
 * Only the mux thread touches the multi handle and the watches' request state; other threads
 * hand watches in and out under m->mu and wake the poll.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/clock.h"
#include "kube/watch_int.h"

#define MUX_GATE_RECHECK_MS 1000

struct kube_mux {
	struct kube_client *kc;
	CURLM *multi;
	int wake_fd;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* a removal done */
	struct kube_watch *adds; /* handed in, not yet taken by the thread (under mu) */
	struct kube_watch *list; /* the thread's */
	int stop;                /* under mu */
	int started;
};

static void wake(struct kube_mux *m)
{
	uint64_t one = 1;
	ssize_t n;
	do
		n = write(m->wake_fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

void kube_mux_kick(struct kube_mux *m)
{
	if (m)
		wake(m);
}

void kube_watch_set_gate(struct kube_watch *w, int (*gate)(void *ctx), void *ctx)
{
	w->gate = gate;
	w->gate_ctx = ctx;
}

static int gated(const struct kube_watch *w)
{
	return w->gate && w->gate(w->gate_ctx);
}

/* ---- one request ------------------------------------------------------------------------------
 */

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct kube_watch *w = ud;
	size_t len = size * n;
	long st = 0;

	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &st);
	if (w->streaming && st >= 200 && st < 300) {
		if (w->state == KUBE__MW_DONE)
			return 0;
		if (gated(w)) { /* curl keeps the bytes and gives them again after the unpause */
			w->paused = 1;
			return CURL_WRITEFUNC_PAUSE;
		}
		if (kube__watch_stream(w, p, len) != 0)
			return 0; /* the callback stopped it, GS_EGONE, or a bad event: end the
			             request */
		return len;
	}
	if (buf_add(&w->body, p, len) < 0) {
		gs_error_clear();
		return 0;
	}
	return len;
}

static void release_request(struct kube_mux *m, struct kube_watch *w)
{
	if (w->running) {
		curl_multi_remove_handle(m->multi, w->h);
		w->running = 0;
	}
	kube__free_headers(w->hdrs);
	w->hdrs = NULL;
	w->paused = 0;
	gs_wipe(w->body.p, w->body.len);
	buf_reset(&w->body);
}

static void deliver_error(struct kube_watch *w)
{
	if (w->state != KUBE__MW_DONE && w->cb(w->ctx, KUBE_EVENT_ERROR, NULL) != 0)
		w->state = KUBE__MW_DONE;
	gs_error_clear();
}

/* After a failed request: report it and try again later. */
static void failed(struct kube_watch *w)
{
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (uint32_t)gs_mono_ms();
	w->failures++;
	deliver_error(w);
	w->due_ms =
	    gs_mono_ms() + kube__backoff_ms(w->failures - 1 < 16 ? w->failures - 1 : 16,
	                                    w->kc->backoff_base_ms, WATCH_BACKOFF_MAX_MS, rnd, -1);
}

static int resolve(struct kube_watch *w)
{
	struct kube_resource res = { 0 };
	int rc;

	buf_reset(&w->base);
	if ((rc = kube_discover(&res, w->kc, w->api_version, w->kind)) >= 0 &&
	    (rc = kube_resource_path(&w->base, &res,
	                             w->all_namespaces ? NULL
	                             : w->ns && *w->ns ? w->ns
	                                               : w->kc->ns,
	                             NULL, NULL)) >= 0)
		w->resolved = 1;
	kube_resource_release(&res);
	return rc;
}

/* Start w's next request (its due time has come, its gate is open). */
static void start(struct kube_mux *m, struct kube_watch *w)
{
	struct buf path = BUF_INIT(16 << 10), url = BUF_INIT(32 << 10);
	struct kube__call call = { 0 };
	long long wait;
	int rc;

	if (!w->resolved && (rc = resolve(w)) < 0) { /* a CRD not there yet: try again later */
		failed(w);
		goto out;
	}
	if (!w->token) {
		w->token = 1;
		if ((wait = kube__rate_reserve(w->kc)) > 0) {
			w->due_ms = gs_mono_ms() + wait;
			goto out;
		}
	}
	w->token = 0;
	if ((rc = buf_set(&path, w->base.p, w->base.len)) < 0)
		goto fail;
	w->streaming = w->state == KUBE__MW_WATCH;
	if (w->streaming)
		rc = kube__watch_query(w, &path);
	else
		rc = kube__list_query(&path, w->no_list ? 1 : w->list_limit, w->label_selector,
		                      w->field_selector, w->cont);
	if (rc < 0 || (rc = buf_adds(&url, w->kc->base_url)) < 0 ||
	    (rc = buf_add(&url, path.p, path.len)) < 0)
		goto fail;
	if (!w->h && !(w->h = kube__handle_new(w->kc, 0))) {
		gs_error(GS_ENOMEM, "curl_easy_init failed");
		goto fail;
	}
	call.method = "GET";
	call.path = path.p;
	if (w->metadata_only)
		call.accept = w->streaming ? KUBE_ACCEPT_METADATA : KUBE_ACCEPT_METADATA_LIST;
	if (w->streaming) {
		call.timeout_ms = -1; /* the server ends it after timeoutSeconds */
		call.low_speed_time_s = (w->idle_timeout_ms + 999) / 1000;
	}
	curl_easy_setopt(w->h, CURLOPT_LOW_SPEED_LIMIT, 0L);
	curl_easy_setopt(w->h, CURLOPT_LOW_SPEED_TIME, 0L);
	if ((rc = kube__prepare(w->kc, w->h, &call, url.p, &w->hdrs, w->refreshed == 1)) < 0)
		goto fail;
	/* HTTP/2 where the server offers it: one connection carries every watch of the mux */
	curl_easy_setopt(w->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(w->h, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->h, CURLOPT_ERRORBUFFER, w->errbuf);
	curl_easy_setopt(w->h, CURLOPT_PRIVATE, w);
	w->errbuf[0] = '\0';
	w->cb_rc = w->stream_rc = 0;
	w->events_at_start = w->events;
	buf_reset(&w->line);
	buf_reset(&w->body);
	if (curl_multi_add_handle(m->multi, w->h) != CURLM_OK) {
		gs_error(GS_EIO, "watch %s: cannot add a transfer", w->kind);
		goto fail;
	}
	w->running = 1;
	goto out;
fail:
	release_request(m, w);
	failed(w);
out:
	buf_release(&path);
	buf_release(&url);
}

/* A list page (or the no_list version request) came back whole. */
static void list_done(struct kube_watch *w)
{
	struct doc *page = NULL;
	const struct doc *items;
	const char *rv, *c;
	size_t i;

	if (kube__parse_body(&page, &w->body, "list", w->kind) < 0) {
		free(w->cont);
		w->cont = NULL;
		failed(w);
		return;
	}
	gs_wipe(w->body.p, w->body.len);
	buf_reset(&w->body);
	rv = doc_str(doc_getp(page, "metadata", "resourceVersion", NULL));
	if (!w->cont || !w->list_rv) { /* the first page: its version is the list's */
		free(w->list_rv);
		w->list_rv = rv ? strdup(rv) : NULL;
	}
	c = doc_str(doc_getp(page, "metadata", "continue", NULL));
	free(w->cont);
	w->cont = !w->no_list && c && *c ? strdup(c) : NULL;
	items = doc_get(page, "items");
	for (i = 0; !w->no_list && doc_kind(items) == DOC_SEQ && i < doc_len(items); i++) {
		struct doc *it = doc_val_at(items, i);
		if (!doc_get(it, "kind") &&
		    (doc_set(it, "apiVersion", doc_new_strz(w->api_version)) < 0 ||
		     doc_set(it, "kind", doc_new_strz(w->kind)) < 0))
			gs_error_clear();
		if (w->cb(w->ctx, KUBE_EVENT_LISTED, it) != 0) {
			w->state = KUBE__MW_DONE;
			break;
		}
	}
	doc_free(page);
	w->failures = 0;
	w->due_ms = 0;
	if (w->state == KUBE__MW_DONE || w->cont)
		return;
	free(w->rv);
	w->rv = w->list_rv;
	w->list_rv = NULL;
	w->state = KUBE__MW_WATCH;
	if (w->cb(w->ctx, KUBE_EVENT_SYNCED, NULL) != 0)
		w->state = KUBE__MW_DONE;
}

/* A request ended (cc: curl's result). */
static void finished(struct kube_mux *m, struct kube_watch *w, CURLcode cc)
{
	long status = 0;
	int was_watch = w->streaming;

	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(m->multi, w->h);
	w->running = 0;
	kube__free_headers(w->hdrs);
	w->hdrs = NULL;
	w->paused = 0;
	w->streaming = 0;
	if (w->state == KUBE__MW_DONE)
		goto out;
	if (w->cb_rc) { /* the callback stopped it */
		w->state = KUBE__MW_DONE;
		goto out;
	}
	if (was_watch && w->events > w->events_at_start)
		w->failures = 0;
	if (status == 401 && w->refreshed != 1 && kube__can_refresh(w->kc)) {
		w->refreshed = 1; /* a rotated token file or an expired exec credential: once */
		w->due_ms = 0;
		goto out;
	}
	if (w->refreshed == 1)
		w->refreshed = 2;
	if (status >= 200 && status < 300 && w->stream_rc == GS_EGONE) {
		/* too old: list again (no_list: take the current version) and carry on from there
		 */
		free(w->rv);
		w->rv = NULL;
		free(w->cont);
		w->cont = NULL;
		w->state = KUBE__MW_LIST;
		w->due_ms = 0;
		gs_error_clear();
		goto out;
	}
	if (status >= 200 && status < 300 && w->stream_rc) {
		failed(w); /* a bad event: resume from the last good version after a pause */
		goto out;
	}
	if (cc == CURLE_OK && status >= 200 && status < 300) {
		w->refreshed = 0;
		if (was_watch) { /* the server's timeoutSeconds: resume from the last version */
			w->failures = 0;
			w->due_ms = 0;
		} else {
			list_done(w);
		}
		goto out;
	}
	if (cc == CURLE_WRITE_ERROR && status >= 200 && status < 300) {
		gs_error(GS_ETOOBIG, "list %s: response larger than %zu bytes", w->kind,
		         w->body.max);
	} else if (cc == CURLE_OK || status) {
		kube__api_error(status, "GET", w->base.p, w->body.p, w->body.len);
		if (status == 410) { /* an expired continue token or version: list again */
			free(w->cont);
			w->cont = NULL;
			free(w->rv);
			w->rv = NULL;
			w->state = KUBE__MW_LIST;
		}
	} else {
		kube__set_last(0, "");
		gs_error(GS_EIO, "%s %s of %s: %s", was_watch ? "watch" : "list", w->kc->server,
		         w->kind, w->errbuf[0] ? w->errbuf : curl_easy_strerror(cc));
	}
	if (!was_watch) { /* a list restarts from its first page */
		free(w->cont);
		w->cont = NULL;
	}
	failed(w);
out:
	gs_wipe(w->body.p, w->body.len);
	buf_reset(&w->body);
}

/* ---- the thread -------------------------------------------------------------------------------
 */

static void let_go(struct kube_mux *m, struct kube_watch *w)
{
	release_request(m, w);
	if (w->h) {
		curl_easy_cleanup(w->h);
		w->h = NULL;
	}
	w->state = KUBE__MW_DONE;
	w->removed = 1;
	__atomic_store_n(&w->mux, NULL,
	                 __ATOMIC_RELEASE); /* kube_watch_free() has nothing to wait for */
}

/* Under m->mu: take what was handed in, let go of what is being removed. */
static int sync_lists(struct kube_mux *m)
{
	struct kube_watch **pp, *w;
	int stop;

	pthread_mutex_lock(&m->mu);
	while ((w = m->adds)) {
		m->adds = w->mnext;
		w->mnext = m->list;
		m->list = w;
	}
	stop = m->stop;
	for (pp = &m->list; (w = *pp);) {
		if (w->removing || stop) {
			*pp = w->mnext;
			let_go(m, w);
			continue;
		}
		pp = &w->mnext;
	}
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	return stop;
}

static void *mux_main(void *arg)
{
	struct kube_mux *m = arg;
	struct curl_waitfd wfd;

	while (!sync_lists(m)) {
		long long now = gs_mono_ms(), next = now + MUX_GATE_RECHECK_MS;
		struct kube_watch *w;
		CURLMsg *msg;
		int running = 0, left = 0;
		uint64_t v;

		for (w = m->list; w; w = w->mnext) {
			if (w->state == KUBE__MW_DONE)
				continue;
			if (w->running) {
				if (w->paused && !gated(w)) {
					w->paused = 0;
					curl_easy_pause(w->h, CURLPAUSE_CONT);
				}
				continue;
			}
			if (w->due_ms > now) {
				if (w->due_ms < next)
					next = w->due_ms;
				continue;
			}
			/* a list page waits for the gate; a watch starts and pauses if it must */
			if (w->state == KUBE__MW_LIST && gated(w))
				continue;
			start(m, w);
			if (!w->running && w->due_ms < next)
				next = w->due_ms > now ? w->due_ms : now;
		}
		curl_multi_perform(m->multi, &running);
		while ((msg = curl_multi_info_read(m->multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				struct kube_watch *fw = NULL;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&fw);
				if (fw)
					finished(m, fw, msg->data.result);
				next = now; /* the next step of that watch may start at once */
			}
		now = gs_mono_ms();
		wfd.fd = m->wake_fd;
		wfd.events = CURL_WAIT_POLLIN;
		wfd.revents = 0;
		curl_multi_poll(m->multi, &wfd, 1, next > now ? (int)(next - now) : 0, NULL);
		if (wfd.revents && read(m->wake_fd, &v, sizeof(v)) < 0)
			continue;
	}
	return NULL;
}

/* ---- the API ----------------------------------------------------------------------------------
 */

int kube_mux_new(struct kube_mux **out, struct kube_client *kc)
{
	struct kube_mux *m;

	*out = NULL;
	if (!kc)
		return gs_error(GS_EINVAL, "kube_mux_new: no client");
	if (!(m = calloc(1, sizeof(*m))))
		return gs_error(GS_ENOMEM, "out of memory");
	m->kc = kc;
	m->wake_fd = -1;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (!(m->multi = curl_multi_init())) {
		kube_mux_free(m);
		return gs_error(GS_ENOMEM, "curl_multi_init failed");
	}
	if ((m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		kube_mux_free(m);
		return gs_error(GS_EIO, "eventfd: %s", strerror(errno));
	}
	if (pthread_create(&m->th, NULL, mux_main, m)) {
		kube_mux_free(m);
		return gs_error(GS_ERROR, "cannot start the watch thread");
	}
	m->started = 1;
	*out = m;
	return 0;
}

void kube_mux_free(struct kube_mux *m)
{
	if (!m)
		return;
	if (m->started) {
		pthread_mutex_lock(&m->mu);
		m->stop = 1;
		pthread_mutex_unlock(&m->mu);
		wake(m);
		pthread_join(m->th, NULL);
	}
	/* watches handed in after the thread ended (or never started) */
	while (m->adds) {
		struct kube_watch *w = m->adds;
		m->adds = w->mnext;
		let_go(m, w);
	}
	if (m->multi)
		curl_multi_cleanup(m->multi);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

int kube_mux_add(struct kube_mux *m, struct kube_watch *w, kube_watch_cb cb, void *ctx)
{
	if (__atomic_load_n(&w->mux, __ATOMIC_ACQUIRE))
		return gs_error(GS_EINVAL, "watch %s: already on a mux", w->kind);
	w->cb = cb;
	w->ctx = ctx;
	w->state = KUBE__MW_LIST;
	if (w->rv) /* resume from a known version: no list first */
		w->state = KUBE__MW_WATCH;
	w->removing = w->removed = 0;
	w->failures = w->refreshed = w->token = 0;
	w->due_ms = 0;
	__atomic_store_n(&w->mux, m, __ATOMIC_RELEASE);
	pthread_mutex_lock(&m->mu);
	if (m->stop) {
		w->removed = 1;
		w->state = KUBE__MW_DONE;
		pthread_mutex_unlock(&m->mu);
		return gs_error(GS_ERROR, "watch %s: the mux is stopping", w->kind);
	}
	w->mnext = m->adds;
	m->adds = w;
	pthread_mutex_unlock(&m->mu);
	wake(m);
	return 0;
}

void kube__mux_stop(struct kube_mux *m, struct kube_watch *w)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	w->removing = 1;
	pthread_mutex_unlock(&m->mu);
	wake(m);
}

void kube_mux_remove(struct kube_mux *m, struct kube_watch *w)
{
	if (!m || __atomic_load_n(&w->mux, __ATOMIC_ACQUIRE) != m)
		return;
	pthread_mutex_lock(&m->mu);
	w->removing = 1;
	if (!w->removed && m->started && !pthread_equal(pthread_self(), m->th)) {
		wake(m);
		while (!w->removed)
			pthread_cond_wait(&m->cv, &m->mu);
	}
	pthread_mutex_unlock(&m->mu);
}
