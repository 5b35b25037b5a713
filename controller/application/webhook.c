/*
 * The webhook receiver (--listen-webhook-addr, default :9292), on every replica:
 *
 *   POST /hook/github   X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>; events push
 *                       (ping answers pong, others are ignored)
 *   POST /hook/gitlab   X-Gitlab-Token: <the secret>; Push Hook, Tag Push Hook
 *   POST /hook/generic  X-Signature: sha256=<hex HMAC-SHA256 of the body>; a JSON body naming
 *                       the repository ({"repoURL": "..."} or {"repository": {"url": "..."}})
 *
 * Each secret comes from the Secret --webhook-secret (default gitseal-webhook) of the
 * controller's namespace: key github, gitlab or generic, else token. A request whose signature
 * or token does not verify (or with no secret configured) gets 401 and changes nothing; MACs
 * and tokens are compared in constant time. Bodies are capped (1 MiB: 413 beyond). A verified
 * push reconciles, with a fetch, every Application of this shard whose repoURL names the same
 * repository (host and path, whatever the scheme, user, port or ".git"): at once on the
 * leader; on another replica through the reconcile-requested-at annotation, which the leader
 * sees.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "controller/application/application_int.h"
#include "core/base64.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "source/source.h"

#define HOOK_SECRET_TTL 10.0 /* seconds a read of the webhook Secret is used */

int app__url_match(struct buf *out, const char *url)
{
	struct buf k = BUF_INIT(8192);
	const char *p, *host, *path, *colon;
	size_t hl;
	int rc;

	buf_reset(out);
	if (!url || (rc = source_url_key(&k, url)) < 0) {
		buf_release(&k);
		return url ? rc : gs_error(GS_EINVAL, "no URL");
	}
	p = strstr(k.p, "://");
	host = p ? p + 3 : k.p;
	path = strchr(host, '/');
	hl = path ? (size_t)(path - host) : strlen(host);
	/* no port ([v6]:port too) */
	colon =
	    memchr(host, ']', hl) ? memchr(memchr(host, ']', hl), ':', hl) : memchr(host, ':', hl);
	if (colon)
		hl = (size_t)(colon - host);
	buf_add(out, host, hl);
	if (path) {
		if (!strncmp(path, "/~/", 3))
			path += 2;
		buf_adds(out, path);
	}
	while (out->len && out->p[out->len - 1] == '/')
		buf_truncate(out, out->len - 1);
	if (out->len > 4 && !strcmp(out->p + out->len - 4, ".git"))
		buf_truncate(out, out->len - 4);
	buf_release(&k);
	return 0;
}

/* The secret for a provider (its key, else "token") into out (a secret buffer). */
static int hook_secret(struct app_controller *c, const char *provider, struct buf *out)
{
	struct doc *sec = NULL;
	double now = gs_mono();
	const char *keys[] = { provider, "token", NULL };
	const char *v = NULL;
	int rc = 0, i, plain = 0;

	pthread_mutex_lock(&c->mu);
	if (c->hook_secret_at > 0 && now - c->hook_secret_at < HOOK_SECRET_TTL) {
		sec = doc_clone(c->hook_secret);
		pthread_mutex_unlock(&c->mu);
	} else {
		pthread_mutex_unlock(&c->mu);
		rc = kube_get(&sec, c->kc, "v1", "Secret", c->o->namespace, c->o->webhook_secret);
		if (rc < 0 && rc != GS_ENOTFOUND) {
			doc_free(sec);
			return rc;
		}
		gs_error_clear();
		pthread_mutex_lock(&c->mu);
		doc_free(c->hook_secret);
		c->hook_secret = doc_clone(sec);
		c->hook_secret_at = now;
		pthread_mutex_unlock(&c->mu);
	}
	for (i = 0; keys[i] && !v; i++) {
		if ((v = doc_str(doc_getp(sec, "data", keys[i], NULL))))
			plain = 0;
		else if ((v = doc_str(doc_getp(sec, "stringData", keys[i], NULL))))
			plain = 1;
	}
	buf_reset(out);
	if (!v || !*v)
		rc = gs_error(GS_ENOTFOUND, "no %s secret in Secret %s/%s", provider,
		              c->o->namespace, c->o->webhook_secret);
	else
		rc = plain ? buf_adds(out, v) : base64_decode(out, v, strlen(v), B64_GO_STD);
	doc_free(sec);
	return rc;
}

/* "sha256=<hex>" over body with secret. */
static int hmac_ok(const char *header, const struct buf *secret, const struct buf *body)
{
	unsigned char mac[GS_SHA256_LEN];
	int ok;
	if (!header || strncmp(header, "sha256=", 7) || strlen(header + 7) != 2 * GS_SHA256_LEN)
		return 0;
	if (gs_hmac_sha256(mac, secret->p, secret->len, body->p, body->len) < 0)
		return 0;
	ok = gs_mac_equal_hex(header + 7, strlen(header + 7), mac, sizeof(mac));
	gs_wipe(mac, sizeof(mac));
	return ok;
}

/* A token compared in constant time (both hashed: lengths may differ). */
static int token_ok(const char *header, const struct buf *secret)
{
	unsigned char a[GS_SHA256_LEN], b[GS_SHA256_LEN];
	int ok;
	if (!header || gs_sha256(a, header, strlen(header)) < 0 ||
	    gs_sha256(b, secret->p, secret->len) < 0)
		return 0;
	ok = gs_mac_equal(a, b, sizeof(a));
	gs_wipe(a, sizeof(a));
	gs_wipe(b, sizeof(b));
	return ok;
}

/* Every repository URL a payload names (up to 8). */
static size_t payload_urls(const struct doc *d, const char **urls)
{
	static const char *const paths[][2] = {
		{ "repository", "clone_url" },   { "repository", "ssh_url" },
		{ "repository", "git_url" },     { "repository", "html_url" },
		{ "repository", "url" },         { "repository", "git_http_url" },
		{ "repository", "git_ssh_url" }, { "repository", "homepage" },
		{ "project", "git_http_url" },   { "project", "git_ssh_url" },
		{ "project", "web_url" },        { "project", "http_url" },
		{ "project", "ssh_url" },
	};
	size_t i, n = 0;
	const char *s;
	if ((s = doc_str(doc_get(d, "repoURL"))))
		urls[n++] = s;
	if ((s = doc_str(doc_get(d, "repository"))))
		urls[n++] = s;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && n < 8; i++)
		if ((s = doc_str(doc_getp(d, paths[i][0], paths[i][1], NULL))) && *s)
			urls[n++] = s;
	return n;
}

struct match {
	struct app_controller *c;
	char keys[8][1024];
	size_t nkeys;
	size_t queued;
};

static int url_matches(const struct match *m, const char *key)
{
	size_t i;
	for (i = 0; key && i < m->nkeys; i++)
		if (!strcmp(m->keys[i], key))
			return 1;
	return 0;
}

/* Under c->mu (the leader's table). */
static void queue_match(void *ctx, const char *key, void *val)
{
	struct match *m = ctx;
	struct app_ent *e = val;
	if (!url_matches(m, e->url_key))
		return;
	e->want |= APP_W_RUN | APP_W_FETCH;
	rt_queue_add(m->c->q, key, NULL);
	m->queued++;
}

/* Not the leader: ask through the annotation (the leader's informer sees it). */
static int annotate_matches(struct app_controller *c, struct match *m)
{
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	struct buf url = BUF_INIT(8192);
	struct doc *list = NULL;
	const struct doc *items;
	struct timeval tv;
	char now[64];
	struct tm tm;
	size_t i;
	int rc;

	lo.label_selector = c->label_selector;
	lo.all_namespaces = 1;
	if ((rc = kube_list(&list, c->kc, APP_API_VERSION, APP_KIND, NULL, &lo)) < 0)
		return rc;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(now, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(now + strlen(now), sizeof(now) - strlen(now), ".%06ldZ", (long)tv.tv_usec);
	items = doc_get(list, "items");
	for (i = 0; i < doc_len(items); i++) {
		const struct doc *a = doc_val_at(items, i);
		struct doc *patch = doc_new_map(), *meta = doc_new_map(), *ann = doc_new_map();
		if (app__url_match(&url, doc_str(doc_getp(a, "spec", "source", "repoURL", NULL))) <
		        0 ||
		    !url_matches(m, url.p) || !patch || !meta || !ann) {
			gs_error_clear();
			doc_free(patch);
			doc_free(meta);
			doc_free(ann);
			continue;
		}
		doc_set(ann, APP_ANN_REQUESTED, doc_new_strz(now));
		doc_set(ann, APP_ANN_WITH_SOURCE, doc_new_strz("true"));
		doc_set(meta, "annotations", ann);
		doc_set(patch, "metadata", meta);
		if (kube_merge_patch(NULL, c->kc, APP_API_VERSION, APP_KIND, doc_k8s_namespace(a),
		                     doc_k8s_name(a), patch, NULL, NULL) == 0)
			m->queued++;
		else
			gs_warn("cannot request a reconcile", "application=%s/%s error=\"%s\"",
			        doc_k8s_namespace(a), doc_k8s_name(a), gs_error_last());
		gs_error_clear();
		doc_free(patch);
	}
	doc_free(list);
	buf_release(&url);
	return 0;
}

enum provider { P_GITHUB, P_GITLAB, P_GENERIC };
static const char *const provider_names[] = { "github", "gitlab", "generic" };

static void reply(struct app_controller *c, enum provider p, struct rt_http_resp *resp, int code,
                  const char *text)
{
	const char *vals[3];
	char cs[8];
	snprintf(cs, sizeof(cs), "%d", code);
	vals[0] = cs;
	vals[1] = provider_names[p];
	vals[2] = NULL;
	if (c->metrics.webhook)
		rt_metric_add(c->metrics.webhook, vals, 1);
	rt_http_reply_text(resp, code, text);
}

static void on_hook(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	struct app_hook_route *hr = ctx;
	enum provider p = (enum provider)hr->provider;
	struct app_controller *c = hr->c;
	struct buf secret = BUF_INIT_SECRET(1 << 16), key = BUF_INIT(8192), text = BUF_INIT(512);
	struct match m;
	struct doc *d = NULL;
	const char *urls[8], *ev;
	size_t n, i;
	int ok, leading;

	memset(&m, 0, sizeof(m));
	m.c = c;
	if (rq->body_too_big) {
		reply(c, p, resp, 413, "body too large\n");
		goto out;
	}
	if (hook_secret(c, provider_names[p], &secret) < 0) {
		gs_warn("webhook refused", "provider=%s error=\"%s\"", provider_names[p],
		        gs_error_last());
		gs_error_clear();
		reply(c, p, resp, 401, "no webhook secret configured\n");
		goto out;
	}
	switch (p) {
	case P_GITHUB:
		ok = hmac_ok(rt_http_header(rq, "X-Hub-Signature-256"), &secret, rq->body);
		break;
	case P_GITLAB: ok = token_ok(rt_http_header(rq, "X-Gitlab-Token"), &secret); break;
	default: ok = hmac_ok(rt_http_header(rq, "X-Signature"), &secret, rq->body); break;
	}
	if (!ok) {
		gs_warn("webhook refused: bad signature", "provider=%s", provider_names[p]);
		reply(c, p, resp, 401, "signature does not verify\n");
		goto out;
	}
	ev = p == P_GITHUB   ? rt_http_header(rq, "X-GitHub-Event")
	     : p == P_GITLAB ? rt_http_header(rq, "X-Gitlab-Event")
	                     : NULL;
	if (p == P_GITHUB && ev && !strcmp(ev, "ping")) {
		reply(c, p, resp, 200, "pong\n");
		goto out;
	}
	if ((p == P_GITHUB && ev && strcmp(ev, "push")) ||
	    (p == P_GITLAB && ev && strcmp(ev, "Push Hook") && strcmp(ev, "Tag Push Hook"))) {
		buf_addf(&text, "event %s ignored\n", ev);
		reply(c, p, resp, 200, text.p);
		goto out;
	}
	if (doc_parse_one(&d, "webhook", rq->body->p, rq->body->len, DOC_PARSE_JSON) < 0 ||
	    !(n = payload_urls(d, urls))) {
		gs_error_clear();
		reply(c, p, resp, 400, "no repository URL in the body\n");
		goto out;
	}
	for (i = 0; i < n && m.nkeys < 8; i++)
		if (app__url_match(&key, urls[i]) == 0 && key.len < sizeof(m.keys[0]))
			memcpy(m.keys[m.nkeys++], key.p, key.len + 1);
	gs_error_clear();
	pthread_mutex_lock(&c->mu);
	leading = c->leading && c->q && !c->stop;
	if (leading)
		rt_map_each(&c->ents, queue_match, &m);
	pthread_mutex_unlock(&c->mu);
	if (!leading && annotate_matches(c, &m) < 0) {
		gs_warn("webhook: cannot list applications", "error=\"%s\"", gs_error_last());
		gs_error_clear();
		reply(c, p, resp, 503, "cannot reach the applications\n");
		goto out;
	}
	gs_info("webhook", "provider=%s repository=%s applications=%zu", provider_names[p],
	        m.nkeys ? m.keys[0] : "", m.queued);
	buf_addf(&text, "%zu application%s to reconcile\n", m.queued, m.queued == 1 ? "" : "s");
	reply(c, p, resp, leading ? 200 : 202, text.p);
out:
	doc_free(d);
	buf_release(&secret);
	buf_release(&key);
	buf_release(&text);
}

int app__webhook_routes(struct app_controller *c, struct rt_http *hooks)
{
	static const char *const paths[] = { "/hook/github", "/hook/gitlab", "/hook/generic" };
	int i, rc;
	for (i = 0; i < 3; i++) {
		c->hook_routes[i].c = c;
		c->hook_routes[i].provider = i;
		if ((rc = rt_http_route(hooks, "POST", paths[i], on_hook, &c->hook_routes[i])) < 0)
			return rc;
	}
	return 0;
}
