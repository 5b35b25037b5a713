/*
 * Remote URLs: the forms git accepts for fetching, parsed once into parts. The
 * display form (every message) drops userinfo; an http(s) password found in the
 * URL moves into wiped memory and is used only when the credentials have none.
 * Hosts and users that start with '-' are refused: they would become ssh options
 * (CVE-2017-1000117).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "source/source_int.h"

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) into a new string (NULL on a bad escape or no memory). */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	size_t i;
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n) {
				gs_free_secret(out, n + 1);
				return NULL;
			}
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				gs_free_secret(out, n + 1);
				return NULL;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static int bad_text(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

static int valid_host(const char *h, size_t n)
{
	size_t i;
	if (!n || h[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || c == ':' || c == '%'))
			return 0;
	}
	return 1;
}

void source__url_release(struct source__url *u)
{
	free(u->user);
	gs_free_secret_str(u->password);
	free(u->host);
	free(u->path);
	free(u->display);
	free(u->key);
	free(u->git_url);
	memset(u, 0, sizeof(*u));
}

static int set_views(struct source__url *u)
{
	struct buf d = BUF_INIT(16384), k = BUF_INIT(16384);
	const char *scheme, *slash;
	int rc = 0, v6;
	size_t i;

	if (u->scheme == SOURCE_FILE) {
		u->display = strdup(u->path);
		size_t kn = strlen(u->path) + 8;
		u->key = malloc(kn);
		if (u->key)
			snprintf(u->key, kn, "file://%s", u->path);
		u->git_url = strdup(u->path);
		goto check;
	}
	v6 = strchr(u->host, ':') != NULL;
	if (u->scp) {
		rc = buf_addf(&d, "%s%s%s:%s", v6 ? "[" : "", u->host, v6 ? "]" : "", u->path);
		if (!rc)
			rc = buf_addf(&k, "ssh://%s%s%s/%s%s", v6 ? "[" : "", u->host,
			              v6 ? "]" : "", u->path[0] == '/' ? "" : "~/",
			              u->path[0] == '/' ? u->path + 1 : u->path);
	} else {
		scheme = u->scheme == SOURCE_HTTPS  ? "https"
		         : u->scheme == SOURCE_HTTP ? "http"
		         : u->scheme == SOURCE_SSH  ? "ssh"
		                                    : "git";
		rc = buf_addf(&d, "%s://%s%s%s", scheme, v6 ? "[" : "", u->host, v6 ? "]" : "");
		if (!rc && u->port)
			rc = buf_addf(&d, ":%d", u->port);
		if (!rc)
			rc = buf_adds(&d, u->path);
		if (!rc)
			rc = buf_add(&k, d.p, d.len);
	}
	if (rc < 0)
		goto out;
	/* lowercase scheme and host: everything before the first '/' after "://" */
	slash = strchr(strstr(k.p, "://") + 3, '/');
	for (i = 0; i < (size_t)(slash - k.p); i++)
		k.p[i] = (char)tolower((unsigned char)k.p[i]);
	/* a trailing '/' names the same repository */
	while (k.len > 1 && k.p[k.len - 1] == '/')
		buf_truncate(&k, k.len - 1);
	u->display = buf_detach(&d, NULL);
	u->key = buf_detach(&k, NULL);
	u->git_url = strdup(u->display);
check:
	if (!u->display || !u->key || !u->git_url)
		rc = gs_error(GS_ENOMEM, "out of memory");
out:
	buf_release(&d);
	buf_release(&k);
	return rc;
}

/* authority = [user[:password]@]host[:port]; n bytes */
static int parse_authority(struct source__url *u, const char *a, size_t n, const char *url)
{
	const char *at = NULL, *h, *end = a + n, *colon;
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] == '@')
			at = a + i;
	h = a;
	if (at) {
		const char *ui = a, *pc = memchr(ui, ':', (size_t)(at - ui));
		size_t ulen = pc ? (size_t)(pc - ui) : (size_t)(at - ui);
		if (u->scheme == SOURCE_HTTP || u->scheme == SOURCE_HTTPS) {
			if (!(u->user = pct_decode(ui, ulen)))
				return gs_error(GS_EPARSE,
				                "bad URL: bad %%-escape in the user name");
			if (pc && !(u->password = pct_decode(pc + 1, (size_t)(at - pc - 1))))
				return gs_error(GS_EPARSE,
				                "bad URL: bad %%-escape in the password");
		} else {
			if (pc)
				return gs_error(GS_EPARSE,
				                "bad URL: a password in an %s URL is not supported",
				                u->scheme == SOURCE_SSH ? "ssh" : "git://");
			if (!(u->user = dupn(ui, ulen)))
				return gs_error(GS_ENOMEM, "out of memory");
		}
		if (!u->user[0]) {
			free(u->user);
			u->user = NULL;
		} else if (u->user[0] == '-' || bad_text(u->user, strlen(u->user))) {
			return gs_error(GS_EPARSE, "bad URL: the user name may not start with '-'");
		}
		h = at + 1;
	}
	if (h < end && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return gs_error(GS_EPARSE, "bad URL: unclosed '[' in the host");
		if (!(u->host = dupn(h + 1, (size_t)(rb - h - 1))))
			return gs_error(GS_ENOMEM, "out of memory");
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < end && !colon)
			return gs_error(GS_EPARSE, "bad URL: junk after ']' in the host");
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (!(u->host = dupn(h, colon ? (size_t)(colon - h) : (size_t)(end - h))))
			return gs_error(GS_ENOMEM, "out of memory");
	}
	if (!valid_host(u->host, strlen(u->host)))
		return gs_error(GS_EPARSE, "bad URL '%s': bad host name", url);
	if (colon) {
		long port = 0;
		const char *p;
		if (colon + 1 == end)
			colon = NULL; /* "host:" = default port */
		for (p = colon ? colon + 1 : end; p < end; p++) {
			if (!isdigit((unsigned char)*p) || (port = port * 10 + (*p - '0')) > 65535)
				return gs_error(GS_EPARSE, "bad URL: bad port");
		}
		if (colon && port == 0)
			return gs_error(GS_EPARSE, "bad URL: bad port");
		u->port = (int)port;
	}
	return 0;
}

static int parse_into(struct source__url *u, const char *url)
{
	const char *sep = strstr(url, "://"), *auth, *path;
	size_t slen;
	int rc;

	if (!url[0])
		return gs_error(GS_EPARSE, "empty repository URL");
	if (bad_text(url, strlen(url)))
		return gs_error(GS_EPARSE, "bad URL: control characters");
	if (!strncmp(url, "file://", 7) || url[0] == '/' || !strncmp(url, "./", 2) ||
	    !strncmp(url, "../", 3)) {
		const char *p = !strncmp(url, "file://", 7) ? url + 7 : url;
		if (!strncmp(p, "localhost/", 10))
			p += 9;
		if (!*p)
			return gs_error(GS_EPARSE, "bad URL '%s': no path", url);
		u->scheme = SOURCE_FILE;
		if (!(u->path = strdup(p)))
			return gs_error(GS_ENOMEM, "out of memory");
		return set_views(u);
	}
	if (!sep) {
		/* scp-like: [user@]host:path, where the ':' comes before any '/' */
		const char *colon = strchr(url, ':'), *slash = strchr(url, '/');
		if (!colon || (slash && slash < colon) || colon == url)
			return gs_error(
			    GS_EPARSE,
			    "bad URL '%s': not scheme://host/path, user@host:path or a path", url);
		u->scheme = SOURCE_SSH;
		u->scp = 1;
		if ((rc = parse_authority(u, url, (size_t)(colon - url), url)) < 0)
			return rc;
		if (u->port)
			return gs_error(GS_EPARSE,
			                "bad URL '%s': use ssh://host:port/path for a port", url);
		if (!colon[1])
			return gs_error(GS_EPARSE, "bad URL '%s': no repository path", url);
		if (!(u->path = strdup(colon + 1)))
			return gs_error(GS_ENOMEM, "out of memory");
		return set_views(u);
	}
	slen = (size_t)(sep - url);
	if (slen == 5 && !strncasecmp(url, "https", 5))
		u->scheme = SOURCE_HTTPS;
	else if (slen == 4 && !strncasecmp(url, "http", 4))
		u->scheme = SOURCE_HTTP;
	else if ((slen == 3 && !strncasecmp(url, "ssh", 3)) ||
	         (slen == 7 && !strncasecmp(url, "ssh+git", 7)) ||
	         (slen == 7 && !strncasecmp(url, "git+ssh", 7)))
		u->scheme = SOURCE_SSH;
	else if (slen == 3 && !strncasecmp(url, "git", 3))
		u->scheme = SOURCE_GIT;
	else
		return gs_error(GS_EPARSE,
		                "unsupported URL scheme '%.*s' (https, http, ssh, git or file)",
		                (int)(slen > 16 ? 16 : slen), url);
	auth = sep + 3;
	path = strchr(auth, '/');
	if (!path || !path[1])
		return gs_error(GS_EPARSE, "bad URL: no repository path");
	if ((rc = parse_authority(u, auth, (size_t)(path - auth), url)) < 0)
		return rc;
	if (strchr(path, '?') || strchr(path, '#'))
		return gs_error(GS_EPARSE, "bad URL: a query or fragment is not supported");
	if (!(u->path = strdup(path)))
		return gs_error(GS_ENOMEM, "out of memory");
	return set_views(u);
}

int source__url_parse(struct source__url *u, const char *url)
{
	int rc;
	memset(u, 0, sizeof(*u));
	if (!url)
		return gs_error(GS_EINVAL, "no repository URL");
	if ((rc = parse_into(u, url)) < 0)
		source__url_release(u);
	return rc;
}

int source_url_display(struct buf *out, const char *url)
{
	struct source__url u;
	int rc;
	if ((rc = source__url_parse(&u, url)) < 0)
		return rc;
	rc = buf_adds(out, u.display);
	source__url_release(&u);
	return rc;
}

int source_url_key(struct buf *out, const char *url)
{
	struct source__url u;
	int rc;
	if ((rc = source__url_parse(&u, url)) < 0)
		return rc;
	rc = buf_adds(out, u.key);
	source__url_release(&u);
	return rc;
}
