/*
 * libcurl through dlopen(): loaded, checked and curl_global_init()ed once, on
 * the first kube call. The binaries carry no DT_NEEDED on libcurl, so the
 * commands that never reach a cluster start without mapping it (about 10 ms
 * per exec here: libcurl pulls in gnutls, krb5, ldap, ssh2, rtmp...).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"
#include "core/error.h"

#define CURL_SONAME "libcurl.so.4"
/* CURLOPT_PROTOCOLS_STR is the newest thing lib/kube asks for. */
#define CURL_MIN_VERSION 0x075500
#define CURL_MIN_TEXT "7.85.0"

/* Stubs until the library is in: constructors fail, destructors only ever see NULL. */
static CURLcode stub_global_init(long flags) { (void)flags; return CURLE_FAILED_INIT; }
static curl_version_info_data *stub_version_info(CURLversion v) { (void)v; return NULL; }
static CURL *stub_easy_init(void) { return NULL; }
static CURLcode stub_easy_setopt(CURL *h, CURLoption o, ...) { (void)h; (void)o; return CURLE_FAILED_INIT; }
static CURLcode stub_easy_getinfo(CURL *h, CURLINFO i, ...) { (void)h; (void)i; return CURLE_FAILED_INIT; }
static CURLcode stub_easy_perform(CURL *h) { (void)h; return CURLE_FAILED_INIT; }
static void stub_easy_cleanup(CURL *h) { (void)h; }
static const char *stub_easy_strerror(CURLcode c) { (void)c; return "libcurl is not loaded"; }
static CURLSH *stub_share_init(void) { return NULL; }
static CURLSHcode stub_share_setopt(CURLSH *s, CURLSHoption o, ...) { (void)s; (void)o; return CURLSHE_NOT_BUILT_IN; }
static CURLSHcode stub_share_cleanup(CURLSH *s) { (void)s; return CURLSHE_OK; }
static struct curl_slist *stub_slist_append(struct curl_slist *l, const char *s) { (void)l; (void)s; return NULL; }
static void stub_slist_free_all(struct curl_slist *l) { (void)l; }
static CURLU *stub_url(void) { return NULL; }
static CURLUcode stub_url_set(CURLU *u, CURLUPart w, const char *p, unsigned int f)
{
	(void)u; (void)w; (void)p; (void)f;
	return CURLUE_BAD_HANDLE;
}
static CURLUcode stub_url_get(const CURLU *u, CURLUPart w, char **p, unsigned int f)
{
	(void)u; (void)w; (void)f;
	if (p)
		*p = NULL;
	return CURLUE_BAD_HANDLE;
}
static void stub_url_cleanup(CURLU *u) { (void)u; }
static void stub_mem_free(void *p) { (void)p; }
static CURLcode stub_easy_pause(CURL *h, int b) { (void)h; (void)b; return CURLE_FAILED_INIT; }
static CURLM *stub_multi_init(void) { return NULL; }
static CURLMcode stub_multi_handle(CURLM *m, CURL *h) { (void)m; (void)h; return CURLM_BAD_HANDLE; }
static CURLMcode stub_multi_perform(CURLM *m, int *r) { (void)m; if (r) *r = 0; return CURLM_BAD_HANDLE; }
static CURLMcode stub_multi_poll(CURLM *m, struct curl_waitfd *e, unsigned int n, int t, int *r)
{
	(void)m; (void)e; (void)n; (void)t;
	if (r)
		*r = 0;
	return CURLM_BAD_HANDLE;
}
static CURLMsg *stub_multi_info_read(CURLM *m, int *q) { (void)m; if (q) *q = 0; return NULL; }
static CURLMcode stub_multi_cleanup(CURLM *m) { (void)m; return CURLM_OK; }
static const char *stub_multi_strerror(CURLMcode c) { (void)c; return "libcurl is not loaded"; }

struct net_curl_api net_curl = {
	stub_global_init, stub_version_info, stub_easy_init, stub_easy_setopt, stub_easy_getinfo,
	stub_easy_perform, stub_easy_cleanup, stub_easy_strerror, stub_share_init, stub_share_setopt,
	stub_share_cleanup, stub_slist_append, stub_slist_free_all, stub_url, stub_url_set,
	stub_url_get, stub_url_cleanup, stub_mem_free, stub_easy_pause, stub_multi_init,
	stub_multi_handle, stub_multi_handle, stub_multi_perform, stub_multi_poll, stub_multi_info_read,
	stub_multi_cleanup, stub_multi_strerror,
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_rc;          /* 0, or the GS_E* code of the failure below */
static char load_err[512];   /* set once under load_once, read-only afterwards */

/* dlsym() into a function pointer: through memcpy, as ISO C has no object->function cast. */
#define RESOLVE(field, name)                                                  \
	do {                                                                  \
		void *sym_ = dlsym(lib, name);                                \
		if (!sym_) {                                                  \
			missing = name;                                       \
			goto fail;                                            \
		}                                                             \
		memcpy(&api.field, &sym_, sizeof(sym_));                      \
	} while (0)

static void load(void)
{
	struct net_curl_api api = net_curl;
	const char *missing = NULL, *why;
	curl_version_info_data *vi;
	void *lib;
	CURLcode cc;

	/* RTLD_LOCAL: curl's symbols stay out of the global scope. Never dlclose()d: gnutls and
	 * friends keep process-wide state, and the process ends soon enough. */
	if (!(lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		why = dlerror();
		load_rc = GS_ENOTFOUND;
		snprintf(load_err, sizeof(load_err), CURL_SONAME " not found: install libcurl4 (make deps)%s%s%s",
		         why ? " [" : "", why ? why : "", why ? "]" : "");
		return;
	}
	RESOLVE(global_init, "curl_global_init");
	RESOLVE(version_info, "curl_version_info");
	RESOLVE(easy_init, "curl_easy_init");
	RESOLVE(easy_setopt, "curl_easy_setopt");
	RESOLVE(easy_getinfo, "curl_easy_getinfo");
	RESOLVE(easy_perform, "curl_easy_perform");
	RESOLVE(easy_cleanup, "curl_easy_cleanup");
	RESOLVE(easy_strerror, "curl_easy_strerror");
	RESOLVE(share_init, "curl_share_init");
	RESOLVE(share_setopt, "curl_share_setopt");
	RESOLVE(share_cleanup, "curl_share_cleanup");
	RESOLVE(slist_append, "curl_slist_append");
	RESOLVE(slist_free_all, "curl_slist_free_all");
	RESOLVE(url, "curl_url");
	RESOLVE(url_set, "curl_url_set");
	RESOLVE(url_get, "curl_url_get");
	RESOLVE(url_cleanup, "curl_url_cleanup");
	RESOLVE(mem_free, "curl_free");
	RESOLVE(easy_pause, "curl_easy_pause");
	RESOLVE(multi_init, "curl_multi_init");
	RESOLVE(multi_add_handle, "curl_multi_add_handle");
	RESOLVE(multi_remove_handle, "curl_multi_remove_handle");
	RESOLVE(multi_perform, "curl_multi_perform");
	RESOLVE(multi_poll, "curl_multi_poll");
	RESOLVE(multi_info_read, "curl_multi_info_read");
	RESOLVE(multi_cleanup, "curl_multi_cleanup");
	RESOLVE(multi_strerror, "curl_multi_strerror");

	vi = api.version_info(CURLVERSION_NOW);
	if (!vi || vi->version_num < CURL_MIN_VERSION) {
		load_rc = GS_ERROR;
		snprintf(load_err, sizeof(load_err), CURL_SONAME " is version %s: libcurl " CURL_MIN_TEXT " or later is needed",
		         vi && vi->version ? vi->version : "(unknown)");
		return;
	}
	if ((cc = api.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		load_rc = GS_ERROR;
		snprintf(load_err, sizeof(load_err), "curl_global_init: %s", api.easy_strerror(cc));
		return;
	}
	/* All or nothing: the stubs stay until every pointer is good. */
	net_curl = api;
	return;
fail:
	load_rc = GS_ENOTFOUND;
	snprintf(load_err, sizeof(load_err), CURL_SONAME " has no %s: not a usable libcurl (install libcurl4: make deps)",
	         missing);
}

int net_init(void)
{
	pthread_once(&load_once, load);
	if (load_rc < 0)
		return gs_error(load_rc, "%s", load_err);
	return 0;
}
