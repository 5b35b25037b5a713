/* Helpers for the lib/apply tests against the real API server (see at.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "tests/kube/apply/at.h"

#define NBUF 8
static char bufs[NBUF][1 << 14];
static int next_buf;

static char *rot(void)
{
	return bufs[next_buf++ % NBUF];
}

const char *at_suffix(void)
{
	char *b = rot();
	unsigned r = 0;
	if (getrandom(&r, sizeof(r), 0) < 0)
		r = (unsigned)getpid() ^ (unsigned)next_buf;
	snprintf(b, 16, "%06x", r & 0xffffff);
	return b;
}

const char *at_ns(const char *x)
{
	char *b = rot();
	snprintf(b, 64, "t-apl-%s", x);
	return b;
}

const char *at_gv(const char *x)
{
	char *b = rot();
	snprintf(b, 128, "x%s.apl.example.com/v1", x);
	return b;
}

const char *at_crd(const char *kind, const char *plural, const char *x)
{
	char *b = rot();
	snprintf(b, sizeof(bufs[0]),
	         "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
	         "metadata: {name: %s.x%s.apl.example.com}\n"
	         "spec:\n  group: x%s.apl.example.com\n  scope: Namespaced\n"
	         "  names: {kind: %s, plural: %s, singular: %.*s, listKind: %sList}\n"
	         "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
	         "    subresources: {status: {}}\n"
	         "    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n"
	         "          spec: {type: object, properties: {size: {type: integer}}}\n"
	         "          status: {type: object, properties: {ready: {type: boolean}}}\n",
	         plural, x, x, kind, plural, (int)strlen(plural) - 1, plural, kind);
	return b;
}

const char *at_fmt(const char *fmt, ...)
{
	char *b = rot();
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

static struct buf last = BUF_INIT(1 << 20);

const char *at_last_text(void)
{
	return last.p;
}

int at_set(struct doc_stream *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT(1 << 20);
	va_list ap;
	int rc;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_set(&last, b.p, b.len);
	rc = doc_parse(s, "set.yaml", b.p, b.len, 0, NULL);
	buf_release(&b);
	return rc;
}

/* label value of key in a metric line ({a="b",...}), "" if absent */
static void label(char *out, size_t n, const char *line, const char *key)
{
	char pat[64];
	const char *p, *e;
	snprintf(pat, sizeof(pat), "%s=\"", key);
	out[0] = '\0';
	if (!(p = strstr(line, pat)))
		return;
	p += strlen(pat);
	if (!(e = strchr(p, '"')))
		return;
	snprintf(out, n, "%.*s", (int)(e - p), p);
}

int at_counts(struct at_counts *out, struct kube_client *kc)
{
	static const char *const resources[] = { "configmaps", "deployments",
		                                 "services",   "secrets",
		                                 "namespaces", "customresourcedefinitions",
		                                 "gadgets",    "jobs" };
	struct kube_request req = { "GET", "/metrics", NULL, NULL, 0, 0 };
	struct buf body = BUF_INIT(64 << 20);
	char *line, *save = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kube_request(kc, &req, &body)) < 0)
		goto out;
	for (line = strtok_r(body.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char verb[32], dry[32], res[128];
		const char *sp;
		size_t i;
		int ours = 0;
		if (strncmp(line, "apiserver_request_total{", 24) || !(sp = strrchr(line, ' ')))
			continue;
		label(verb, sizeof(verb), line, "verb");
		label(dry, sizeof(dry), line, "dry_run");
		label(res, sizeof(res), line, "resource");
		for (i = 0; i < sizeof(resources) / sizeof(*resources); i++)
			ours |= !strcmp(res, resources[i]);
		if (!ours)
			continue;
		if (*dry)
			out->dry_runs += strtol(sp + 1, NULL, 10);
		else if (!strcmp(verb, "POST") || !strcmp(verb, "PUT") || !strcmp(verb, "PATCH") ||
		         !strcmp(verb, "APPLY") || !strcmp(verb, "DELETE") ||
		         !strcmp(verb, "DELETECOLLECTION"))
			out->writes += strtol(sp + 1, NULL, 10);
	}
	rc = 0;
out:
	buf_release(&body);
	return rc;
}

const char *at_paths(const struct apply_paths *p)
{
	char *b = rot();
	struct buf j = BUF_INIT(1 << 14);
	apply_paths_join(&j, p);
	snprintf(b, sizeof(bufs[0]), "%s", j.p);
	buf_release(&j);
	return b;
}

const char *at_json(const struct doc *d)
{
	char *b = rot();
	struct buf j = BUF_INIT(1 << 20);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	doc_emit_json(&j, d, &eo);
	snprintf(b, sizeof(bufs[0]), "%s", j.p);
	buf_release(&j);
	return b;
}

int at_has_manager(const struct doc *live, const char *manager)
{
	const struct doc *mf = doc_getp(live, "metadata", "managedFields", NULL);
	size_t i;
	for (i = 0; i < doc_len(mf); i++)
		if (!strcmp(doc_str(doc_get(doc_val_at(mf, i), "manager"))
		                ? doc_str(doc_get(doc_val_at(mf, i), "manager"))
		                : "",
		            manager))
			return 1;
	return 0;
}
