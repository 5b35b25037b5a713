/* Watch: one JSON event per line, parsed as the bytes arrive; resume, re-list on 410. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "kube/watch_int.h"

const char *kube_event_type_name(enum kube_event_type t)
{
	static const char *const names[] = { "ADDED",  "MODIFIED", "DELETED", "BOOKMARK",
		                             "LISTED", "SYNCED",   "ERROR" };
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "UNKNOWN";
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int kube_watch_new(struct kube_watch **out, struct kube_client *kc, const char *api_version,
                   const char *kind, const char *ns, const struct kube_watch_opts *opts)
{
	struct kube_watch_opts o = KUBE_WATCH_OPTS_INIT;
	struct kube_watch *w;

	*out = NULL;
	if (opts)
		o = *opts;
	if (!api_version || !kind)
		return gs_error(GS_EINVAL, "watch: missing apiVersion or kind");
	if (!(w = calloc(1, sizeof(*w))))
		return gs_error(GS_ENOMEM, "out of memory");
	w->kc = kc;
	w->api_version = strdup(api_version);
	w->kind = strdup(kind);
	w->ns = xstrdup(ns);
	w->label_selector = xstrdup(o.label_selector);
	w->field_selector = xstrdup(o.field_selector);
	w->rv = o.resource_version && *o.resource_version ? strdup(o.resource_version) : NULL;
	w->timeout_seconds = o.timeout_seconds > 0 ? o.timeout_seconds : 300;
	w->no_bookmarks = o.no_bookmarks;
	w->all_namespaces = o.all_namespaces;
	w->no_list = o.no_list;
	w->metadata_only = o.metadata_only;
	w->list_limit = o.list_limit > 0 ? o.list_limit : 500;
	w->idle_timeout_ms =
	    o.idle_timeout_ms > 0 ? o.idle_timeout_ms : (w->timeout_seconds + 30) * 1000L;
	buf_init(&w->line, WATCH_LINE_MAX, 1);
	buf_init(&w->base, 16 << 10, 0);
	buf_init(&w->body, KUBE_BODY_MAX, 1);
	if (!w->api_version || !w->kind || (ns && !w->ns) ||
	    (o.label_selector && !w->label_selector) || (o.field_selector && !w->field_selector)) {
		kube_watch_free(w);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	*out = w;
	return 0;
}

void kube_watch_free(struct kube_watch *w)
{
	if (!w)
		return;
	kube_mux_remove(__atomic_load_n(&w->mux, __ATOMIC_ACQUIRE), w);
	free(w->cont);
	free(w->list_rv);
	buf_release(&w->base);
	buf_release(&w->body);
	free(w->api_version);
	free(w->kind);
	free(w->ns);
	free(w->label_selector);
	free(w->field_selector);
	free(w->rv);
	buf_release(&w->line);
	free(w);
}

void kube_watch_stop(struct kube_watch *w)
{
	__atomic_store_n(&w->stop, 1, __ATOMIC_SEQ_CST);
	kube__mux_stop(__atomic_load_n(&w->mux, __ATOMIC_ACQUIRE), w);
}

const char *kube_watch_resource_version(const struct kube_watch *w)
{
	return w->rv;
}

static int set_rv(struct kube_watch *w, const struct doc *obj)
{
	const char *rv = doc_str(doc_getp(obj, "metadata", "resourceVersion", NULL));
	char *n;
	if (!rv || !*rv)
		return 0;
	if (!(n = strdup(rv)))
		return gs_error(GS_ENOMEM, "out of memory");
	free(w->rv);
	w->rv = n;
	return 0;
}

/* One complete line: {"type": "...", "object": {...}}. */
static int handle_line(struct kube_watch *w, const char *p, size_t n)
{
	struct doc *ev = NULL;
	const struct doc *obj;
	const char *type;
	enum kube_event_type t;
	int rc;

	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (!n)
		return 0;
	if ((rc = kube__parse_body_raw(&ev, p, n, "watch event", w->kind)) < 0)
		return rc;
	type = doc_str(doc_get(ev, "type"));
	obj = doc_get(ev, "object");
	if (!type || doc_kind(obj) != DOC_MAP) {
		rc = gs_error(GS_EPARSE, "watch %s: event without type or object", w->kind);
		goto out;
	}
	if (!strcmp(type, "ERROR")) {
		long long code = 0;
		const char *msg = doc_str(doc_get(obj, "message")),
		           *reason = doc_str(doc_get(obj, "reason"));
		doc_get_int(doc_get(obj, "code"), &code);
		kube__set_last((long)code, reason);
		rc = gs_error(code == 410 ? GS_EGONE : GS_EIO, "watch %s: %s (%s, %lld)", w->kind,
		              msg ? msg : "error", reason ? reason : "Unknown", code);
		goto out;
	}
	if (!strcmp(type, "ADDED"))
		t = KUBE_EVENT_ADDED;
	else if (!strcmp(type, "MODIFIED"))
		t = KUBE_EVENT_MODIFIED;
	else if (!strcmp(type, "DELETED"))
		t = KUBE_EVENT_DELETED;
	else if (!strcmp(type, "BOOKMARK"))
		t = KUBE_EVENT_BOOKMARK;
	else {
		rc = 0; /* an event type from the future: ignore */
		goto out;
	}
	if ((rc = set_rv(w, obj)) < 0)
		goto out;
	w->events++;
	if ((rc = w->cb(w->ctx, t, obj)) != 0)
		w->cb_rc = rc;
out:
	doc_free(ev);
	return rc;
}

int kube__watch_stream(void *ctx, const char *p, size_t n)
{
	struct kube_watch *w = ctx;
	const char *nl;
	int rc;

	while (n) {
		if (!(nl = memchr(p, '\n', n)))
			return (rc = buf_add(&w->line, p, n)) < 0
			           ? (w->stream_rc = gs_error(rc, "watch %s: event over %zu bytes",
			                                      w->kind, w->line.max))
			           : 0;
		if (w->line.len) {
			if ((rc = buf_add(&w->line, p, nl - p)) < 0)
				return w->stream_rc = gs_error(rc, "watch %s: event over %zu bytes",
				                               w->kind, w->line.max);
			rc = handle_line(w, w->line.p, w->line.len);
			buf_reset(&w->line);
		} else {
			rc = handle_line(w, p, nl - p);
		}
		if (rc != 0) {
			if (!w->cb_rc)
				w->stream_rc = rc;
			return rc;
		}
		n -= nl - p + 1;
		p = nl + 1;
	}
	return 0;
}

int kube__watch_feed(struct kube_watch *w, kube_watch_cb cb, void *ctx, const char *p, size_t n)
{
	w->cb = cb;
	w->ctx = ctx;
	w->cb_rc = w->stream_rc = 0;
	return kube__watch_stream(w, p, n);
}

int kube__watch_query(struct kube_watch *w, struct buf *path)
{
	char num[32];
	int rc;

	snprintf(num, sizeof(num), "%d", w->timeout_seconds);
	if ((rc = buf_addf(path, "?watch=1&timeoutSeconds=%s", num)) < 0 ||
	    (!w->no_bookmarks && (rc = buf_adds(path, "&allowWatchBookmarks=true")) < 0))
		return rc;
	if (w->rv && ((rc = buf_adds(path, "&resourceVersion=")) < 0 ||
	              (rc = kube__escape(path, w->rv)) < 0))
		return rc;
	if (w->label_selector && ((rc = buf_adds(path, "&labelSelector=")) < 0 ||
	                          (rc = kube__escape(path, w->label_selector)) < 0))
		return rc;
	if (w->field_selector && ((rc = buf_adds(path, "&fieldSelector=")) < 0 ||
	                          (rc = kube__escape(path, w->field_selector)) < 0))
		return rc;
	return 0;
}

int kube__list_query(struct buf *path, long limit, const char *label_selector,
                     const char *field_selector, const char *cont)
{
	int rc;
	if ((rc = buf_addf(path, "?limit=%ld", limit)) < 0)
		return rc;
	if (label_selector && ((rc = buf_adds(path, "&labelSelector=")) < 0 ||
	                       (rc = kube__escape(path, label_selector)) < 0))
		return rc;
	if (field_selector && ((rc = buf_adds(path, "&fieldSelector=")) < 0 ||
	                       (rc = kube__escape(path, field_selector)) < 0))
		return rc;
	if (cont &&
	    ((rc = buf_adds(path, "&continue=")) < 0 || (rc = kube__escape(path, cont)) < 0))
		return rc;
	return 0;
}

int kube_watch_once(struct kube_watch *w, kube_watch_cb cb, void *ctx)
{
	struct kube_resource res = { 0 };
	struct buf path = BUF_INIT(16 << 10);
	struct kube__call call = { 0 };
	int rc;

	w->cb = cb;
	w->ctx = ctx;
	w->cb_rc = w->stream_rc = 0;
	buf_reset(&w->line);
	if ((rc = kube_discover(&res, w->kc, w->api_version, w->kind)) < 0 ||
	    (rc = kube_resource_path(&path, &res,
	                             w->all_namespaces ? NULL
	                             : w->ns && *w->ns ? w->ns
	                                               : w->kc->ns,
	                             NULL, NULL)) < 0)
		goto out;
	if ((rc = kube__watch_query(w, &path)) < 0)
		goto out;
	call.method = "GET";
	call.path = path.p;
	call.accept = w->metadata_only ? KUBE_ACCEPT_METADATA : NULL;
	call.timeout_ms = -1; /* the server ends it after timeoutSeconds; the low-speed limit
	                         catches a dead peer */
	call.low_speed_time_s = (w->idle_timeout_ms + 999) / 1000;
	call.stream = kube__watch_stream;
	call.stream_ctx = w;
	call.stop = &w->stop;
	rc = kube__do(w->kc, &call, NULL, NULL);
	if (w->cb_rc)
		rc = w->cb_rc;
	else if (w->stream_rc)
		rc = w->stream_rc;
	else if (rc > 0)
		rc = 0;
	if (rc == GS_EGONE)
		gs_error_prefix(rc, "watch from resourceVersion %s", w->rv ? w->rv : "(none)");
out:
	kube_resource_release(&res);
	buf_release(&path);
	return rc;
}

struct relist {
	struct kube_watch *w;
	int cb_rc;
};

static int on_listed(void *ctx, const struct doc *item)
{
	struct relist *r = ctx;
	int rc = r->w->cb(r->w->ctx, KUBE_EVENT_LISTED, item);
	if (rc)
		r->cb_rc = rc;
	return rc;
}

static void sleep_unless_stopped(struct kube_watch *w, long long ms)
{
	while (ms > 0 && !w->stop) {
		kube__sleep_ms(ms > 100 ? 100 : ms);
		ms -= 100;
	}
}

/* no_list: the current resourceVersion, from one limit=1 list (its item is not delivered). */
static int current_rv(struct kube_watch *w, char **rv)
{
	struct kube_resource res = { 0 };
	struct buf path = BUF_INIT(16 << 10), body = BUF_INIT_SECRET(KUBE_BODY_MAX);
	struct kube__call call = { 0 };
	struct doc *d = NULL;
	const char *v;
	int rc;

	*rv = NULL;
	if ((rc = kube_discover(&res, w->kc, w->api_version, w->kind)) < 0 ||
	    (rc = kube_resource_path(&path, &res,
	                             w->all_namespaces ? NULL
	                             : w->ns && *w->ns ? w->ns
	                                               : w->kc->ns,
	                             NULL, NULL)) < 0 ||
	    (rc = kube__list_query(&path, 1, w->label_selector, w->field_selector, NULL)) < 0)
		goto out;
	call.method = "GET";
	call.path = path.p;
	call.accept = w->metadata_only ? KUBE_ACCEPT_METADATA_LIST : NULL;
	if ((rc = kube__do(w->kc, &call, &body, NULL)) < 0 ||
	    (rc = kube__parse_body(&d, &body, path.p, w->kind)) < 0)
		goto out;
	v = doc_str(doc_getp(d, "metadata", "resourceVersion", NULL));
	rc = v && !(*rv = strdup(v)) ? gs_error(GS_ENOMEM, "out of memory") : 0;
out:
	kube_resource_release(&res);
	buf_release(&path);
	buf_release(&body);
	doc_free(d);
	return rc;
}

int kube_watch_run(struct kube_watch *w, kube_watch_cb cb, void *ctx)
{
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	int rc = 0, failures = 0;

	w->cb = cb;
	w->ctx = ctx;
	lo.label_selector = w->label_selector;
	lo.field_selector = w->field_selector;
	lo.all_namespaces = w->all_namespaces;
	lo.limit = w->list_limit;
	lo.metadata_only = w->metadata_only;
	while (!w->stop) {
		long long events;
		if (!w->rv) {
			struct relist r = { w, 0 };
			char *rv = NULL;
			if (w->no_list)
				rc = current_rv(w, &rv);
			else
				rc = kube_list_each(w->kc, w->api_version, w->kind, w->ns, &lo,
				                    on_listed, &r, &rv);
			if (r.cb_rc)
				return r.cb_rc;
			if (rc == 0) {
				w->rv = rv;
				if ((rc = cb(ctx, KUBE_EVENT_SYNCED, NULL)) != 0)
					return rc;
			}
		}
		if (rc == 0) {
			events = w->events;
			rc = kube_watch_once(w, cb, ctx);
			if (w->cb_rc)
				return w->cb_rc;
			if (w->events > events)
				failures = 0;
			if (rc ==
			    GS_EGONE) { /* too old: list again and carry on from the new version */
				free(w->rv);
				w->rv = NULL;
				continue;
			}
			if (rc ==
			    0) { /* the server's timeoutSeconds: resume from the last version */
				failures = 0;
				continue;
			}
		}
		if (rc != GS_EIO || ++failures > WATCH_MAX_FAILURES)
			return rc;
		{
			uint32_t rnd = 0;
			if (getrandom(&rnd, sizeof(rnd), 0) < 0)
				rnd = (uint32_t)kube__now_ms();
			sleep_unless_stopped(
			    w,
			    kube__backoff_ms(failures - 1, w->kc->backoff_base_ms, 30000, rnd, -1));
		}
	}
	return 0;
}
