#ifndef GS_NET_H
#define GS_NET_H
/*
 * net: libcurl, loaded with dlopen() on first use, for every module that talks
 * HTTP (lib/kube, lib/source). Commands that never reach the network (seal
 * --cert, age, sops, unseal) do not pay for mapping libcurl and its ~30
 * dependencies at every start. The only place that includes <curl/curl.h>.
 *
 * Include this instead of <curl/curl.h>: it keeps curl's types and constants
 * and turns the curl_* calls into calls through a table. Until net_init()
 * succeeded the table holds stubs that fail (or do nothing, for the free
 * functions, which can then only be given NULL), so no path can call through
 * a NULL pointer.
 */
#include <curl/curl.h>

/* dlopen libcurl + curl_global_init() once per process; 0, or an error naming what is missing
 * ("libcurl.so.4 not found: install libcurl4 (make deps)"). Thread-safe. */
int net_init(void);

struct net_curl_api {
	CURLcode (*global_init)(long flags);
	curl_version_info_data *(*version_info)(CURLversion v);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *h);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode cc);
	CURLSH *(*share_init)(void);
	CURLSHcode (*share_setopt)(CURLSH *sh, CURLSHoption opt, ...);
	CURLSHcode (*share_cleanup)(CURLSH *sh);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part, unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart what, char **part, unsigned int flags);
	void (*url_cleanup)(CURLU *u);
	void (*mem_free)(void *p);
	/* the multi API and pause (lib/source drives transfers from its own read() calls) */
	CURLcode (*easy_pause)(CURL *h, int bitmask);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd *extra, unsigned int n, int timeout_ms, int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *msgs_in_queue);
	CURLMcode (*multi_cleanup)(CURLM *m);
	const char *(*multi_strerror)(CURLMcode mc);
};
extern struct net_curl_api net_curl;

/* curl.h defines these three as macros (type checks or argument counts). */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_share_setopt

#define curl_global_init(f)            (net_curl.global_init(f))
#define curl_version_info(v)           (net_curl.version_info(v))
#define curl_easy_init()               (net_curl.easy_init())
#define curl_easy_setopt(h, o, p)      (net_curl.easy_setopt((h), (o), (p)))
#define curl_easy_getinfo(h, i, p)     (net_curl.easy_getinfo((h), (i), (p)))
#define curl_easy_perform(h)           (net_curl.easy_perform(h))
#define curl_easy_cleanup(h)           (net_curl.easy_cleanup(h))
#define curl_easy_strerror(c)          (net_curl.easy_strerror(c))
#define curl_share_init()              (net_curl.share_init())
#define curl_share_setopt(s, o, p)     (net_curl.share_setopt((s), (o), (p)))
#define curl_share_cleanup(s)          (net_curl.share_cleanup(s))
#define curl_slist_append(l, s)        (net_curl.slist_append((l), (s)))
#define curl_slist_free_all(l)         (net_curl.slist_free_all(l))
#define curl_url()                     (net_curl.url())
#define curl_url_set(u, w, p, f)       (net_curl.url_set((u), (w), (p), (f)))
#define curl_url_get(u, w, p, f)       (net_curl.url_get((u), (w), (p), (f)))
#define curl_url_cleanup(u)            (net_curl.url_cleanup(u))
#define curl_free(p)                   (net_curl.mem_free(p))
#define curl_easy_pause(h, b)          (net_curl.easy_pause((h), (b)))
#define curl_multi_init()              (net_curl.multi_init())
#define curl_multi_add_handle(m, h)    (net_curl.multi_add_handle((m), (h)))
#define curl_multi_remove_handle(m, h) (net_curl.multi_remove_handle((m), (h)))
#define curl_multi_perform(m, r)       (net_curl.multi_perform((m), (r)))
#define curl_multi_poll(m, e, n, t, r) (net_curl.multi_poll((m), (e), (n), (t), (r)))
#define curl_multi_info_read(m, q)     (net_curl.multi_info_read((m), (q)))
#define curl_multi_cleanup(m)          (net_curl.multi_cleanup(m))
#define curl_multi_strerror(c)         (net_curl.multi_strerror(c))

#endif
