#ifndef GS_KUBE_CURL_DL_H
#define GS_KUBE_CURL_DL_H
/*
 * Private to lib/kube: libcurl loaded with dlopen() on first use, so commands
 * that never talk to a cluster (seal --cert, age, sops, unseal) do not pay for
 * mapping libcurl and its ~30 dependencies at every start.
 *
 * Include this instead of <curl/curl.h> in lib/kube: it keeps curl's types
 * and constants and turns the curl_* calls into calls through a table. Until
 * kube__global_init() (internal.h) succeeded the table holds stubs that fail (or do nothing,
 * for the free functions, which can then only be given NULL), so no path can
 * call through a NULL pointer.
 */
#include <curl/curl.h>

struct kube__curl_api {
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
};
extern struct kube__curl_api kube__curl;

/* curl.h defines these three as macros (type checks or argument counts). */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_share_setopt

#define curl_global_init(f)            (kube__curl.global_init(f))
#define curl_version_info(v)           (kube__curl.version_info(v))
#define curl_easy_init()               (kube__curl.easy_init())
#define curl_easy_setopt(h, o, p)      (kube__curl.easy_setopt((h), (o), (p)))
#define curl_easy_getinfo(h, i, p)     (kube__curl.easy_getinfo((h), (i), (p)))
#define curl_easy_perform(h)           (kube__curl.easy_perform(h))
#define curl_easy_cleanup(h)           (kube__curl.easy_cleanup(h))
#define curl_easy_strerror(c)          (kube__curl.easy_strerror(c))
#define curl_share_init()              (kube__curl.share_init())
#define curl_share_setopt(s, o, p)     (kube__curl.share_setopt((s), (o), (p)))
#define curl_share_cleanup(s)          (kube__curl.share_cleanup(s))
#define curl_slist_append(l, s)        (kube__curl.slist_append((l), (s)))
#define curl_slist_free_all(l)         (kube__curl.slist_free_all(l))
#define curl_url()                     (kube__curl.url())
#define curl_url_set(u, w, p, f)       (kube__curl.url_set((u), (w), (p), (f)))
#define curl_url_get(u, w, p, f)       (kube__curl.url_get((u), (w), (p), (f)))
#define curl_url_cleanup(u)            (kube__curl.url_cleanup(u))
#define curl_free(p)                   (kube__curl.mem_free(p))

#endif
