#ifndef GS_KUBE_WATCH_INT_H
#define GS_KUBE_WATCH_INT_H
/*
 * Private to lib/kube: a watch's state, shared by the blocking loop (watch.c) and the mux that
 * runs many watches on one thread (mux.c).
 */
#include "kube/client.h"

#define WATCH_LINE_MAX KUBE_BODY_MAX
#define WATCH_MAX_FAILURES 10
#define WATCH_BACKOFF_MAX_MS 30000

enum kube__mux_state {
	KUBE__MW_LIST, /* the next request is a list page (or, no_list, the current resourceVersion)
	                */
	KUBE__MW_WATCH, /* the next request is a watch from rv */
	KUBE__MW_DONE,  /* stopped: the callback returned non-zero, or kube_watch_stop() */
};

struct kube_watch {
	struct kube_client *kc;
	char *api_version, *kind, *ns;
	char *label_selector, *field_selector;
	char *rv;
	int timeout_seconds, no_bookmarks, all_namespaces, no_list, metadata_only;
	long idle_timeout_ms, list_limit;
	volatile int stop;
	struct buf line;
	kube_watch_cb cb;
	void *ctx;
	int cb_rc;     /* the callback's non-zero value */
	int stream_rc; /* GS_EGONE or a parse error seen in the stream */
	long long events;

	/* on a mux (mux.c): the mux thread owns everything below, except where said */
	struct kube_mux *mux;     /* set by kube_mux_add(), cleared when the mux lets go (atomic) */
	struct kube_watch *mnext; /* the mux's list (under the mux's lock until taken) */
	int (*gate)(void *ctx);   /* non-zero: hold the next page and the stream */
	void *gate_ctx;
	enum kube__mux_state state;
	int removing; /* under the mux's lock: kube_mux_remove() or kube_watch_stop() */
	int removed;  /* under the mux's lock: the mux let go of it */
	int resolved; /* base holds the resource's path */
	struct buf base;
	CURL *h;     /* the handle, kept across requests */
	int running; /* h is on the multi handle */
	struct curl_slist *hdrs;
	struct buf body;  /* a list page (wiped: Secrets have data) or an error body */
	char *cont;       /* the next page's continue token */
	char *list_rv;    /* the list's resourceVersion, until its last page */
	long long due_ms; /* when not running: start then */
	int token;        /* a QPS token is already taken for the next start */
	int failures, refreshed, paused, held, streaming;
	long long events_at_start;
	char errbuf[256];
};

/* Stop w on its mux without waiting (kube_watch_stop() on a mux). */
void kube__mux_stop(struct kube_mux *m, struct kube_watch *w);
/* Watch stream bytes (one JSON event per line) -> callbacks; 0, the callback's value or an error.
 */
int kube__watch_stream(void *ctx, const char *p, size_t n);
/* The watch request's path: the resource's path + ?watch=1&... from w->rv. */
int kube__watch_query(struct kube_watch *w, struct buf *path);
/* The list request's query: ?limit=...&labelSelector=...&fieldSelector=...&continue=... */
int kube__list_query(struct buf *path, long limit, const char *label_selector,
                     const char *field_selector, const char *cont);

#endif
