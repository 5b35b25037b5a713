/*
 * Chart sources: a chart archive from a Helm repository (index.yaml -> the
 * version's digest and URL) or from an OCI registry (the manifest's chart
 * layer digest), kept in a cache directory under its sha256 and checked
 * against it, so a chart version is downloaded once and a tampered archive is
 * refused. Only this file reaches a chart repository; helm itself then
 * renders the local archive with no network.
 *
 * Not supported yet: repository credentials (basic auth, registry tokens).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/crypto.h"
#include "core/file.h"
#include "net/net.h"
#include "render/render_int.h"

#define INDEX_MAX ((size_t)64 << 20)
#define MANIFEST_MAX ((size_t)4 << 20)
#define HELM_LAYER "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
#define OCI_ACCEPT "Accept: application/vnd.oci.image.manifest.v1+json"

/* ---- HTTP ------------------------------------------------------------------------------- */

struct sink {
	struct buf *out;
	int over;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	if (buf_add(s->out, p, size * n) < 0) {
		s->over = 1;
		return 0;
	}
	return size * n;
}

/* The URL without user:password@ for messages. */
static void url_for_msg(char *out, size_t cap, const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *slash;
	if (scheme && (at = strchr(scheme + 3, '@')) &&
	    (!(slash = strchr(scheme + 3, '/')) || at < slash)) {
		snprintf(out, cap, "%.*s%s", (int)(scheme + 3 - url), url, at + 1);
		return;
	}
	snprintf(out, cap, "%s", url);
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int http_get(struct render__ctx *c, const char *url, const char *accept, struct buf *out,
                    long *status, long long deadline)
{
	char errbuf[CURL_ERROR_SIZE] = "", shown[1024];
	struct sink sink = { out, 0 };
	struct curl_slist *hdrs = NULL;
	long long left = deadline - mono_ms();
	CURL *h;
	CURLcode cc;
	int rc;

	url_for_msg(shown, sizeof(shown), url);
	*status = 0;
	if (left <= 0)
		return gs_error(GS_EIO, "GET %s: deadline of %.3gs exceeded", shown,
		                (double)c->timeout_ms / 1000);
	if ((rc = net_init()) < 0)
		return rc;
	if (!(h = curl_easy_init()))
		return gs_error(GS_ENOMEM, "GET %s: curl_easy_init failed", shown);
	if (accept)
		hdrs = curl_slist_append(hdrs, accept);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "gitseal");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (sink.over)
		return gs_error(GS_ETOOBIG, "GET %s: larger than %zu bytes", shown, out->max);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return gs_error(GS_EIO, "GET %s: deadline of %.3gs exceeded", shown,
		                (double)c->timeout_ms / 1000);
	if (cc != CURLE_OK)
		return gs_error(GS_EIO, "GET %s: %s", shown,
		                errbuf[0] ? errbuf : curl_easy_strerror(cc));
	if (*status == 401 || *status == 403)
		return gs_error(
		    GS_EAUTH,
		    "GET %s: HTTP %ld: the repository wants credentials (not supported yet)", shown,
		    *status);
	if (*status == 404)
		return gs_error(GS_ENOTFOUND, "GET %s: HTTP 404 Not Found", shown);
	if (*status < 200 || *status > 299)
		return gs_error(GS_EIO, "GET %s: HTTP %ld", shown, *status);
	return 0;
}

/* ---- the cache ---------------------------------------------------------------------------- */

static int sha256_hex(char hex[65], const void *data, size_t len)
{
	unsigned char d[GS_SHA256_LEN];
	int rc;

	if ((rc = gs_sha256(d, data, len)) < 0)
		return rc;
	gs_hex(hex, d, sizeof(d));
	return 0;
}

static int is_hex64(const char *s)
{
	size_t i;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path), i;

	if (n >= sizeof(tmp))
		return gs_error(GS_EINVAL, "%s: path too long", path);
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i])
			continue;
		char keep = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return gs_error(GS_EIO, "%s: %s", tmp, strerror(errno));
		tmp[i] = keep;
	}
	return 0;
}

static int cache_dir(struct render__ctx *c, char **out)
{
	const char *d = c->opts->cache_dir, *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int rc, n;

	*out = NULL;
	if (d && *d)
		n = asprintf(out, "%s", d);
	else if (x && *x)
		n = asprintf(out, "%s/gitseal/charts", x);
	else if (home && *home)
		n = asprintf(out, "%s/.cache/gitseal/charts", home);
	else
		return gs_error(GS_ENOTFOUND,
		                "no cache directory for charts: set XDG_CACHE_HOME or HOME");
	if (n < 0) {
		*out = NULL;
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if ((rc = mkdir_p(*out)) < 0) {
		free(*out);
		*out = NULL;
		return rc;
	}
	{
		/* absolute: helm runs elsewhere, and takes a relative "a/b.tgz" for repo/chart */
		char *real = realpath(*out, NULL);
		if (!real)
			rc = gs_error(GS_EIO, "%s: %s", *out, strerror(errno));
		free(*out);
		*out = real;
	}
	return rc;
}

/*
 * The archive with this sha256 (hex): from the cache when there and intact, else downloaded
 * from url, checked and stored. *path is the cached file.
 */
static int cached_archive(struct render__ctx *c, const char *digest, const char *url,
                          const char *accept, long long deadline, char **path)
{
	struct buf data = BUF_INIT(c->output_max);
	char *dir = NULL, hex[65], shown[1024];
	long status;
	int rc;

	*path = NULL;
	if ((rc = cache_dir(c, &dir)) < 0)
		goto out;
	if (asprintf(path, "%s/sha256-%s.tgz", dir, digest) < 0) {
		*path = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (file_read(&data, *path) == 0) {
		if (sha256_hex(hex, data.p, data.len) == 0 && !strcmp(hex, digest))
			goto out; /* cached and intact */
	}
	gs_error_clear();
	buf_reset(&data);
	if ((rc = http_get(c, url, accept, &data, &status, deadline)) < 0)
		goto out;
	if ((rc = sha256_hex(hex, data.p, data.len)) < 0)
		goto out;
	if (strcmp(hex, digest)) {
		url_for_msg(shown, sizeof(shown), url);
		rc = gs_error(GS_EAUTH, "%s: sha256 %s, the repository says %s: refused", shown,
		              hex, digest);
		goto out;
	}
	rc = file_write_atomic(*path, data.p, data.len, 0644, 0);
out:
	if (rc < 0) {
		free(*path);
		*path = NULL;
	}
	free(dir);
	buf_release(&data);
	return rc;
}

/* ---- versions ------------------------------------------------------------------------------ */

struct semver {
	unsigned long long v[3];
	int pre; /* has a pre-release part */
};

static int semver_parse(const char *s, struct semver *out)
{
	int i;
	char *end;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	if (*s == 'v')
		s++;
	for (i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		out->v[i] = strtoull(s, &end, 10);
		s = end;
		if (i < 2 && *s != '.')
			return i ? 0 : -1; /* "1.2" is fine */
		if (i < 2)
			s++;
	}
	out->pre = *s == '-';
	return 0;
}

static int semver_cmp(const struct semver *a, const struct semver *b)
{
	for (int i = 0; i < 3; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	return 0;
}

static int want_newest(const char *v)
{
	return !v || !*v || !strcmp(v, "*") || !strcmp(v, "latest");
}

/* ---- a Helm repository ---------------------------------------------------------------------- */

static int from_index(struct render__ctx *c, long long deadline, char **path, char **label)
{
	const struct render_source *src = c->src;
	struct buf text = BUF_INIT(INDEX_MAX), seen = BUF_INIT(2048);
	struct doc *index = NULL, *entries, *best = NULL;
	struct semver bv, sv;
	char *base = NULL, *url = NULL, *iurl = NULL, shown[1024];
	const char *u, *digest, *version;
	size_t i, n;
	long status;
	int rc;

	n = strlen(src->repo_url);
	while (n && src->repo_url[n - 1] == '/')
		n--;
	if (!(base = strndup(src->repo_url, n)) || asprintf(&iurl, "%s/index.yaml", base) < 0) {
		iurl = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	url_for_msg(shown, sizeof(shown), iurl);
	if ((rc = http_get(c, iurl, NULL, &text, &status, deadline)) < 0 ||
	    (rc = doc_parse_one(&index, shown, text.p, text.len, 0)) < 0)
		goto out;
	entries = doc_getp(index, "entries", src->chart, NULL);
	if (doc_kind(entries) != DOC_SEQ || !doc_len(entries)) {
		rc = gs_error(GS_ENOTFOUND, "not in %s", shown);
		goto out;
	}
	for (i = 0; i < doc_len(entries); i++) {
		struct doc *e = doc_val_at(entries, i);
		const char *v = doc_str(doc_get(e, "version"));
		if (!v)
			continue;
		if (seen.len < 1000)
			buf_addf(&seen, "%s%s", seen.len ? ", " : "", v);
		if (!want_newest(src->chart_version)) {
			if (!strcmp(v, src->chart_version) ||
			    (v[0] == 'v' && !strcmp(v + 1, src->chart_version)) ||
			    (src->chart_version[0] == 'v' && !strcmp(v, src->chart_version + 1))) {
				best = e;
				break;
			}
			continue;
		}
		if (semver_parse(v, &sv) < 0 || sv.pre)
			continue;
		if (!best || semver_cmp(&sv, &bv) > 0) {
			best = e;
			bv = sv;
		}
	}
	if (!best) {
		rc = gs_error(GS_ENOTFOUND, "version '%s' is not in %s (versions: %s)",
		              want_newest(src->chart_version) ? "*" : src->chart_version, shown,
		              seen.p);
		goto out;
	}
	version = doc_str(doc_get(best, "version"));
	digest = doc_str(doc_get(best, "digest"));
	u = doc_str(doc_val_at(doc_get(best, "urls"), 0));
	if (!u || !digest || !is_hex64(digest)) {
		rc = gs_error(GS_EPARSE, "%s: version %s has no %s", shown, version,
		              !u ? "urls" : "sha256 digest");
		goto out;
	}
	/* urls are absolute or relative to the repository */
	if (strstr(u, "://"))
		url = strdup(u);
	else if (asprintf(&url, "%s/%s", base, u) < 0)
		url = NULL;
	if (!url || asprintf(label, "%s-%s", src->chart, version) < 0) {
		*label = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	rc = cached_archive(c, digest, url, NULL, deadline, path);
out:
	doc_free(index);
	buf_release(&text);
	buf_release(&seen);
	free(base);
	free(url);
	free(iurl);
	return rc;
}

/* ---- an OCI registry ------------------------------------------------------------------------ */

static int oci_newest_tag(struct render__ctx *c, const char *api, const char *repo,
                          long long deadline, char **tag)
{
	struct buf text = BUF_INIT(MANIFEST_MAX);
	struct doc *list = NULL, *tags;
	struct semver bv, sv;
	const char *best = NULL;
	char *url = NULL;
	long status;
	size_t i;
	int rc;

	*tag = NULL;
	if (asprintf(&url, "%s/v2/%s/tags/list", api, repo) < 0) {
		url = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = http_get(c, url, NULL, &text, &status, deadline)) < 0 ||
	    (rc = doc_parse_one(&list, url, text.p, text.len, DOC_PARSE_JSON)) < 0)
		goto out;
	tags = doc_get(list, "tags");
	for (i = 0; i < doc_len(tags) && doc_kind(tags) == DOC_SEQ; i++) {
		const char *t = doc_str(doc_val_at(tags, i));
		if (semver_parse(t, &sv) < 0 || sv.pre)
			continue;
		if (!best || semver_cmp(&sv, &bv) > 0) {
			best = t;
			bv = sv;
		}
	}
	if (!best)
		rc = gs_error(GS_ENOTFOUND, "%s: no version tag", url);
	else if (!(*tag = strdup(best)))
		rc = gs_error(GS_ENOMEM, "out of memory");
out:
	doc_free(list);
	buf_release(&text);
	free(url);
	return rc;
}

static int from_oci(struct render__ctx *c, long long deadline, char **path, char **label)
{
	const struct render_source *src = c->src;
	const char *rest = src->repo_url + 6, *slash = strchr(rest, '/');
	struct buf text = BUF_INIT(MANIFEST_MAX);
	struct doc *man = NULL, *layers;
	char *api = NULL, *repo = NULL, *tag = NULL, *url = NULL, *blob = NULL, *p;
	const char *digest = NULL;
	long status;
	size_t i, n;
	int rc;

	n = strlen(rest);
	while (n && rest[n - 1] == '/')
		n--;
	if (!n || (slash && (size_t)(slash - rest) >= n)) {
		return gs_error(GS_EINVAL, "repoURL '%s': expected oci://host[:port]/path",
		                src->repo_url);
	}
	/* oci://host/path + chart -> repository path/chart on host */
	if (asprintf(&api, "%s://%.*s", c->opts->chart_plain_http ? "http" : "https",
	             (int)(slash ? (size_t)(slash - rest) : n), rest) < 0 ||
	    asprintf(&repo, "%.*s%s%s", slash ? (int)(n - (size_t)(slash + 1 - rest)) : 0,
	             slash ? slash + 1 : "", slash ? "/" : "", src->chart) < 0) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (want_newest(src->chart_version)) {
		if ((rc = oci_newest_tag(c, api, repo, deadline, &tag)) < 0)
			goto out;
	} else if (!(tag = strdup(src->chart_version))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (p = tag; *p; p++) /* helm stores 1.0.0+build as the tag 1.0.0_build */
		if (*p == '+')
			*p = '_';
	if (asprintf(&url, "%s/v2/%s/manifests/%s", api, repo, tag) < 0) {
		url = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = http_get(c, url, OCI_ACCEPT, &text, &status, deadline)) < 0 ||
	    (rc = doc_parse_one(&man, url, text.p, text.len, DOC_PARSE_JSON)) < 0)
		goto out;
	layers = doc_get(man, "layers");
	for (i = 0; i < doc_len(layers) && doc_kind(layers) == DOC_SEQ && !digest; i++) {
		const struct doc *l = doc_val_at(layers, i);
		const char *mt = doc_str(doc_get(l, "mediaType"));
		if (mt && !strcmp(mt, HELM_LAYER))
			digest = doc_str(doc_get(l, "digest"));
	}
	if (!digest || strncmp(digest, "sha256:", 7) || !is_hex64(digest + 7)) {
		rc = gs_error(GS_EPARSE, "%s: no Helm chart layer (%s) with a sha256 digest", url,
		              HELM_LAYER);
		goto out;
	}
	if (asprintf(&blob, "%s/v2/%s/blobs/%s", api, repo, digest) < 0 ||
	    asprintf(label, "%s-%s", src->chart,
	             src->chart_version && !want_newest(src->chart_version) ? src->chart_version
	                                                                    : tag) < 0) {
		blob = NULL;
		*label = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	rc = cached_archive(c, digest + 7, blob, NULL, deadline, path);
out:
	doc_free(man);
	buf_release(&text);
	free(api);
	free(repo);
	free(tag);
	free(url);
	free(blob);
	return rc;
}

int render__chart_fetch(struct render__ctx *c, char **tgz_path, char **label)
{
	const char *url = c->src->repo_url;
	long long deadline = mono_ms() + c->timeout_ms;
	int rc;

	*tgz_path = NULL;
	*label = NULL;
	if (!url || !*url)
		return gs_error(GS_EINVAL, "chart '%s': repoURL is required", c->src->chart);
	if (!strncmp(url, "oci://", 6))
		rc = from_oci(c, deadline, tgz_path, label);
	else if (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7))
		rc = from_index(c, deadline, tgz_path, label);
	else
		rc =
		    gs_error(GS_EINVAL, "chart '%s': repoURL '%s' is neither http(s):// nor oci://",
		             c->src->chart, url);
	if (rc < 0) {
		free(*tgz_path);
		free(*label);
		*tgz_path = *label = NULL;
		gs_error_prefix(rc, "chart '%s'", c->src->chart);
	}
	return rc;
}
