/*
 * The known fields of an Application and the check of a manifest against
 * them. The table is the one source of truth: the reconciler generates the
 * CRD's OpenAPI schema from it, so what this reports is exactly what the API
 * server would drop (unknown fields) or refuse (types, required fields).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/error.h"
#include "doc/doc.h"

static const struct app_field fields[] = {
	{ "apiVersion", APP_T_STRING, APP_F_REQUIRED, "gitseal.dev/v1alpha1" },
	{ "kind", APP_T_STRING, APP_F_REQUIRED, "Application" },
	{ "metadata", APP_T_OBJECT, APP_F_REQUIRED | APP_F_FREEFORM, "standard object metadata" },
	{ "status", APP_T_OBJECT, APP_F_FREEFORM, "written by gitseal-controller" },
	{ "spec", APP_T_OBJECT, APP_F_REQUIRED, "what to deploy, and how" },

	/* the source spec (the `gitseal build` issue) */
	{ "spec.source", APP_T_OBJECT, APP_F_REQUIRED, "where the manifests come from" },
	{ "spec.source.repoURL", APP_T_STRING, APP_F_REQUIRED,
	  "Git URL (https, http, ssh://, git@host:path, git://, file://), or a Helm repository or "
	  "oci:// registry "
	  "with chart" },
	{ "spec.source.targetRevision", APP_T_STRING, 0,
	  "branch, tag, semver range over tags, commit SHA (full or short) or HEAD; a chart "
	  "version with chart" },
	{ "spec.source.path", APP_T_STRING, 0,
	  "directory inside the repository (default: its root)" },
	{ "spec.source.chart", APP_T_STRING, 0,
	  "chart name, with a Helm repository or oci:// repoURL" },
	{ "spec.source.secretRef", APP_T_OBJECT, 0,
	  "credentials Secret in the Application's namespace" },
	{ "spec.source.secretRef.name", APP_T_STRING, APP_F_REQUIRED, "name of the Secret" },
	{ "spec.source.directory", APP_T_OBJECT, 0, "plain manifests: which files" },
	{ "spec.source.directory.recurse", APP_T_BOOL, 0, "read subdirectories too" },
	{ "spec.source.directory.include", APP_T_STRING, 0, "glob of the files to read" },
	{ "spec.source.directory.exclude", APP_T_STRING, 0, "glob of the files to skip" },
	{ "spec.source.helm", APP_T_OBJECT, 0, "Helm chart options (helm template)" },
	{ "spec.source.helm.valueFiles", APP_T_LIST, 0,
	  "values files, relative to the chart or to the repository root with a leading /" },
	{ "spec.source.helm.valueFiles[]", APP_T_STRING, 0, "a values file" },
	{ "spec.source.helm.values", APP_T_STRING, APP_F_MULTILINE,
	  "inline values (YAML), highest precedence after parameters" },
	{ "spec.source.helm.parameters", APP_T_LIST, 0, "--set parameters" },
	{ "spec.source.helm.parameters[]", APP_T_OBJECT, 0, "one parameter" },
	{ "spec.source.helm.parameters[].name", APP_T_STRING, APP_F_REQUIRED,
	  "the value's path (a.b[0].c)" },
	{ "spec.source.helm.parameters[].value", APP_T_STRING, 0, "the value" },
	{ "spec.source.helm.parameters[].forceString", APP_T_BOOL, 0,
	  "always a string (--set-string)" },
	{ "spec.source.helm.fileParameters", APP_T_LIST, 0, "--set-file parameters" },
	{ "spec.source.helm.fileParameters[]", APP_T_OBJECT, 0, "one file parameter" },
	{ "spec.source.helm.fileParameters[].name", APP_T_STRING, APP_F_REQUIRED,
	  "the value's path" },
	{ "spec.source.helm.fileParameters[].path", APP_T_STRING, APP_F_REQUIRED,
	  "file whose content is the value" },
	{ "spec.source.helm.releaseName", APP_T_STRING, 0,
	  "release name (default: the Application's name)" },
	{ "spec.source.helm.skipCrds", APP_T_BOOL, 0, "leave out the chart's crds/ directory" },
	{ "spec.source.helm.kubeVersion", APP_T_STRING, 0,
	  "Kubernetes version the chart sees (.Capabilities)" },
	{ "spec.source.helm.apiVersions", APP_T_LIST, 0,
	  "API versions the chart sees (.Capabilities)" },
	{ "spec.source.helm.apiVersions[]", APP_T_STRING, 0,
	  "group/version, or group/version/Kind" },
	{ "spec.source.helm.postRender", APP_T_STRING, 0,
	  "a kustomization directory applied over the chart's output" },
	{ "spec.decryption", APP_T_OBJECT, 0, "SOPS decryption of the rendered manifests" },
	{ "spec.decryption.secretRef", APP_T_OBJECT, 0,
	  "Secret whose entries ending in .agekey hold age identities" },
	{ "spec.decryption.secretRef.name", APP_T_STRING, APP_F_REQUIRED, "name of the Secret" },
	{ "spec.decryption.requireEncrypted", APP_T_BOOL, 0,
	  "refuse a Secret whose data did not come out of SOPS decryption" },

	/* the rest of the spec (the reconciler issue parses these) */
	{ "spec.project", APP_T_STRING, 0,
	  "accepted for Argo CD compatibility; only \"default\" exists" },
	{ "spec.destination", APP_T_OBJECT, 0, "where the objects are applied" },
	{ "spec.destination.server", APP_T_STRING, 0,
	  "API server URL (https://kubernetes.default.svc: this cluster)" },
	{ "spec.destination.name", APP_T_STRING, 0, "name of a registered cluster" },
	{ "spec.destination.namespace", APP_T_STRING, 0, "namespace of objects that name none" },
	{ "spec.serviceAccountName", APP_T_STRING, 0,
	  "apply as this ServiceAccount of the Application's namespace" },
	{ "spec.syncPolicy", APP_T_OBJECT, 0, "when and how to sync" },
	{ "spec.syncPolicy.automated", APP_T_OBJECT, 0, "sync on every change" },
	{ "spec.syncPolicy.automated.prune", APP_T_BOOL, 0, "delete what left Git" },
	{ "spec.syncPolicy.automated.selfHeal", APP_T_BOOL, 0,
	  "revert changes made in the cluster" },
	{ "spec.syncPolicy.syncOptions", APP_T_LIST, 0, "options such as CreateNamespace=true" },
	{ "spec.syncPolicy.syncOptions[]", APP_T_STRING, 0, "Option=value" },
	{ "spec.ignoreDifferences", APP_T_LIST, 0, "fields whose drift is ignored" },
	{ "spec.ignoreDifferences[]", APP_T_OBJECT, 0, "one rule" },
	{ "spec.ignoreDifferences[].group", APP_T_STRING, 0, "API group" },
	{ "spec.ignoreDifferences[].kind", APP_T_STRING, APP_F_REQUIRED, "kind" },
	{ "spec.ignoreDifferences[].name", APP_T_STRING, 0, "object name" },
	{ "spec.ignoreDifferences[].namespace", APP_T_STRING, 0, "object namespace" },
	{ "spec.ignoreDifferences[].jsonPointers", APP_T_LIST, 0, "RFC 6901 pointers" },
	{ "spec.ignoreDifferences[].jsonPointers[]", APP_T_STRING, 0,
	  "a pointer (/spec/replicas)" },
	{ "spec.interval", APP_T_STRING, APP_F_DURATION, "how often to reconcile (5m)" },
	{ "spec.timeout", APP_T_STRING, APP_F_DURATION, "deadline of one reconcile (5m)" },
	{ "spec.dependsOn", APP_T_LIST, 0, "Applications that must be Ready first" },
	{ "spec.dependsOn[]", APP_T_OBJECT, 0, "one Application" },
	{ "spec.dependsOn[].name", APP_T_STRING, APP_F_REQUIRED, "its name" },
	{ "spec.dependsOn[].namespace", APP_T_STRING, 0,
	  "its namespace (default: this Application's)" },
	{ "spec.suspend", APP_T_BOOL, 0, "stop reconciling" },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

const struct app_field *app_fields(size_t *n)
{
	*n = NFIELDS;
	return fields;
}

const struct app_field *app_field_find(const char *path)
{
	size_t i;
	for (i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].path, path))
			return &fields[i];
	return NULL;
}

void app_issues_release(struct app_issues *r)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		free(r->v[i].msg);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int issue(struct app_issues *r, const struct doc *at, const char *fmt, ...) GS_PRINTF(3, 4);
static int issue(struct app_issues *r, const struct doc *at, const char *fmt, ...)
{
	struct buf msg = BUF_INIT(4096);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0 && rc != GS_ETOOBIG)
		goto fail;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		struct app_issue *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			goto fail;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].file = doc_file(at);
	r->v[r->n].line = doc_start(at).line;
	r->v[r->n].col = doc_start(at).col;
	r->v[r->n++].msg = buf_detach(&msg, NULL);
	return 1;
fail:
	buf_release(&msg);
	return gs_error(GS_ENOMEM, "out of memory");
}

/* Optimal string alignment distance, ignoring case (a typo swaps, drops or adds a letter). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[48][48];
	if (la >= 48 || lb >= 48)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
			size_t best = d[i - 1][j - 1] + (ca != cb);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == (b[j - 2] | 0x20) && (a[i - 2] | 0x20) == cb &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* The closest sibling field of an unknown key under parent ("" at the top), or NULL. */
static const char *suggest(const char *parent, const char *key)
{
	size_t i, plen = strlen(parent), best = (size_t)-1, limit = strlen(key) < 6 ? 1 : 2;
	const char *name = NULL;

	for (i = 0; i < NFIELDS; i++) {
		const char *p = fields[i].path, *leaf;
		size_t d;
		if (plen) {
			if (strncmp(p, parent, plen) || p[plen] != '.')
				continue;
			leaf = p + plen + 1;
		} else {
			leaf = p;
		}
		if (strchr(leaf, '.') || strchr(leaf, '['))
			continue;
		if ((d = distance(leaf, key)) < best) {
			best = d;
			name = leaf;
		}
	}
	return best <= limit ? name : NULL;
}

/* "5m", "1h30m", "2.5s": Go's time.ParseDuration syntax (unsigned) */
static int is_duration(const char *s)
{
	static const char *const units[] = { "ns", "us", "\xc2\xb5s", "ms", "s", "m", "h", NULL };
	if (!s || !*s)
		return 0;
	if (!strcmp(s, "0"))
		return 1;
	while (*s) {
		size_t i, digits = 0;
		while (*s >= '0' && *s <= '9')
			s++, digits++;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++)
				digits++;
		if (!digits)
			return 0;
		for (i = 0; units[i]; i++)
			if (!strncmp(s, units[i], strlen(units[i]))) /* "ms" is tried before "m" */
				break;
		if (!units[i])
			return 0;
		s += strlen(units[i]);
	}
	return 1;
}

static const char *kind_name(const struct doc *n)
{
	switch (doc_kind(n)) {
	case DOC_NULL: return "null";
	case DOC_BOOL: return "a boolean";
	case DOC_INT:
	case DOC_FLOAT: return "a number";
	case DOC_TIMESTAMP: return "a timestamp";
	case DOC_STR: return "a string";
	case DOC_MAP: return "a map";
	case DOC_SEQ: return "a list";
	}
	return "something else";
}

struct walk {
	struct app_issues *r;
	struct buf norm; /* "spec.source.helm.parameters[].name" */
	struct buf disp; /* "spec.source.helm.parameters[1].name" */
	int added;
};

static int walk_node(struct walk *w, const struct doc *n, const struct app_field *f);

static int type_ok(struct walk *w, const struct doc *n, const struct app_field *f)
{
	const char *want = NULL;
	int rc;
	switch (f->type) {
	case APP_T_OBJECT: want = doc_kind(n) == DOC_MAP ? NULL : "a map"; break;
	case APP_T_LIST: want = doc_kind(n) == DOC_SEQ ? NULL : "a list"; break;
	case APP_T_BOOL: want = doc_kind(n) == DOC_BOOL ? NULL : "a boolean (true or false)"; break;
	case APP_T_INT: want = doc_kind(n) == DOC_INT ? NULL : "an integer"; break;
	case APP_T_STRING:
		want = doc_kind(n) == DOC_STR ? NULL : "a string";
		if (!want && (f->flags & APP_F_DURATION) && !is_duration(doc_str(n))) {
			rc =
			    issue(w->r, n, "%s: not a duration (like 30s, 5m or 1h30m)", w->disp.p);
			return rc < 0 ? rc : (w->added++, 0);
		}
		break;
	}
	if (!want)
		return 1;
	if (doc_kind(n) ==
	    DOC_NULL) /* "field:" with nothing after it: the API server drops a null */
		return 0;
	rc = issue(w->r, n, "%s: expected %s, got %s%s", w->disp.p, want, kind_name(n),
	           f->type == APP_T_STRING && doc_is_scalar(n) ? " (quote it)" : "");
	return rc < 0 ? rc : (w->added++, 0);
}

static int walk_children(struct walk *w, const struct doc *n, const struct app_field *f)
{
	size_t nlen = w->norm.len, dlen = w->disp.len, i, j;
	int rc = 0;

	if (f->type == APP_T_LIST) {
		const struct app_field *item;
		if ((rc = buf_adds(&w->norm, "[]")) < 0)
			return rc;
		item = app_field_find(w->norm.p);
		for (i = 0; item && i < doc_len(n) && rc >= 0; i++) {
			buf_truncate(&w->disp, dlen);
			buf_addf(&w->disp, "[%zu]", i);
			rc = walk_node(w, doc_val_at(n, i), item);
		}
		goto out;
	}
	for (i = 0; i < doc_len(n) && rc >= 0; i++) {
		const struct doc *k = doc_key_at(n, i);
		const char *key = doc_text(k, NULL);
		const struct app_field *child;
		buf_truncate(&w->norm, nlen);
		buf_truncate(&w->disp, dlen);
		if (nlen) {
			buf_addc(&w->norm, '.');
			buf_addc(&w->disp, '.');
		}
		buf_adds(&w->norm, key);
		buf_adds(&w->disp, key);
		if ((child = app_field_find(w->norm.p))) {
			rc = walk_node(w, doc_val_at(n, i), child);
			continue;
		}
		buf_truncate(&w->norm, nlen);
		{
			const char *s = suggest(w->norm.p, key);
			rc = s ? issue(w->r, k, "unknown field %s (did you mean %s?)", w->disp.p, s)
			       : issue(w->r, k, "unknown field %s", w->disp.p);
		}
		if (rc > 0)
			w->added++;
	}
	/* required fields of this object */
	buf_truncate(&w->disp, dlen);
	for (j = 0; j < NFIELDS && rc >= 0; j++) {
		const char *p = fields[j].path, *leaf;
		if (!(fields[j].flags & APP_F_REQUIRED))
			continue;
		if (nlen ? strncmp(p, f->path, nlen) || p[nlen] != '.' : 0)
			continue;
		leaf = nlen ? p + nlen + 1 : p;
		if (strchr(leaf, '.') || strchr(leaf, '[') || doc_get(n, leaf))
			continue;
		if ((rc = issue(w->r, n, "%s%smissing required field %s", dlen ? w->disp.p : "",
		                dlen ? ": " : "", leaf)) > 0)
			w->added++;
	}
out:
	buf_truncate(&w->norm, nlen);
	buf_truncate(&w->disp, dlen);
	return rc < 0 ? rc : 0;
}

static int walk_node(struct walk *w, const struct doc *n, const struct app_field *f)
{
	int rc = type_ok(w, n, f);
	if (rc <= 0 || (f->flags & APP_F_FREEFORM) ||
	    (f->type != APP_T_OBJECT && f->type != APP_T_LIST))
		return rc < 0 ? rc : 0;
	return walk_children(w, n, f);
}

int app_check(struct app_issues *r, const struct doc *obj)
{
	static const struct app_field root = { "", APP_T_OBJECT, 0, "an Application" };
	struct walk w;
	const char *av = doc_str(doc_get(obj, "apiVersion")), *kind = doc_k8s_kind(obj);
	int rc;

	memset(&w, 0, sizeof(w));
	w.r = r;
	buf_init(&w.norm, 4096, 0);
	buf_init(&w.disp, 4096, 0);
	if (doc_kind(obj) != DOC_MAP) {
		rc = issue(r, obj, "an Application manifest must be a map");
		goto out;
	}
	if (kind && strcmp(kind, "Application") &&
	    (rc = issue(r, doc_get(obj, "kind"), "kind is '%s', not Application", kind)) > 0)
		w.added++;
	if (av && strcmp(av, "gitseal.dev/v1alpha1") && strcmp(av, "argoproj.io/v1alpha1") &&
	    (rc = issue(r, doc_get(obj, "apiVersion"),
	                "apiVersion is '%s', not gitseal.dev/v1alpha1", av)) > 0)
		w.added++;
	rc = walk_node(&w, obj, &root);
out:
	buf_release(&w.norm);
	buf_release(&w.disp);
	return rc < 0 ? rc : w.added;
}
