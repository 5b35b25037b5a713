/* spec.source and spec.decryption of an Application, after app_check() found nothing wrong. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/doc.h"

static void strv_free(char **v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void app_free(struct app *a)
{
	size_t i;
	struct app_helm *h;
	if (!a)
		return;
	h = &a->source.helm;
	strv_free(h->value_files, h->nvalue_files);
	gs_free_secret_str(h->values); /* inline values may hold credentials */
	for (i = 0; i < h->nparameters; i++) {
		free(h->parameters[i].name);
		gs_free_secret_str(h->parameters[i].value);
	}
	free(h->parameters);
	for (i = 0; i < h->nfile_parameters; i++) {
		free(h->file_parameters[i].name);
		free(h->file_parameters[i].path);
	}
	free(h->file_parameters);
	free(h->release_name);
	free(h->kube_version);
	strv_free(h->api_versions, h->napi_versions);
	free(h->post_render);
	free(a->source.repo_url);
	free(a->source.target_revision);
	free(a->source.path);
	free(a->source.chart);
	free(a->source.secret_ref);
	free(a->source.directory.include);
	free(a->source.directory.exclude);
	free(a->decryption.secret_ref);
	free(a->destination.server);
	free(a->destination.name);
	free(a->destination.namespace);
	free(a->service_account);
	strv_free(a->sync_options, a->nsync_options);
	for (i = 0; i < a->nignore; i++) {
		free(a->ignore[i].group);
		free(a->ignore[i].kind);
		free(a->ignore[i].name);
		free(a->ignore[i].namespace);
		strv_free(a->ignore[i].pointers, a->ignore[i].npointers);
	}
	free(a->ignore);
	for (i = 0; i < a->ndepends_on; i++) {
		free(a->depends_on[i].name);
		free(a->depends_on[i].namespace);
	}
	free(a->depends_on);
	free(a->name);
	free(a->namespace);
	free(a->file);
	free(a);
}

/* A copy of a string field (NULL when absent); *failed set on out of memory. */
static char *dup_str(const struct doc *n, int *failed)
{
	const char *s = doc_str(n);
	char *c;
	if (!s)
		return NULL;
	if (!(c = strdup(s)))
		*failed = 1;
	return c;
}

static int get_bool(const struct doc *n)
{
	int b = 0;
	doc_get_bool(n, &b);
	return b;
}

static char **dup_strv(const struct doc *seq, size_t *n, int *failed)
{
	char **v;
	size_t i;
	*n = 0;
	if (doc_kind(seq) != DOC_SEQ || !doc_len(seq))
		return NULL;
	if (!(v = calloc(doc_len(seq), sizeof(*v)))) {
		*failed = 1;
		return NULL;
	}
	for (i = 0; i < doc_len(seq); i++)
		if (doc_str(doc_val_at(seq, i)))
			v[(*n)++] = dup_str(doc_val_at(seq, i), failed);
	return v;
}

static void parse_helm(struct app_helm *h, const struct doc *hd, int *failed)
{
	const struct doc *l;
	size_t i;

	h->value_files = dup_strv(doc_get(hd, "valueFiles"), &h->nvalue_files, failed);
	h->values =
	    dup_str(doc_get(hd, "values"), failed); /* as written: helm reads it as a values file */
	l = doc_get(hd, "parameters");
	if (doc_kind(l) == DOC_SEQ && doc_len(l) &&
	    (h->parameters = calloc(doc_len(l), sizeof(*h->parameters))))
		for (i = 0; i < doc_len(l); i++) {
			const struct doc *p = doc_val_at(l, i);
			struct app_helm_parameter *hp = &h->parameters[h->nparameters++];
			hp->name = dup_str(doc_get(p, "name"), failed);
			hp->value = dup_str(doc_get(p, "value"), failed);
			hp->force_string = get_bool(doc_get(p, "forceString"));
		}
	else if (doc_kind(l) == DOC_SEQ && doc_len(l))
		*failed = 1;
	l = doc_get(hd, "fileParameters");
	if (doc_kind(l) == DOC_SEQ && doc_len(l) &&
	    (h->file_parameters = calloc(doc_len(l), sizeof(*h->file_parameters))))
		for (i = 0; i < doc_len(l); i++) {
			const struct doc *p = doc_val_at(l, i);
			struct app_helm_file_parameter *fp =
			    &h->file_parameters[h->nfile_parameters++];
			fp->name = dup_str(doc_get(p, "name"), failed);
			fp->path = dup_str(doc_get(p, "path"), failed);
		}
	else if (doc_kind(l) == DOC_SEQ && doc_len(l))
		*failed = 1;
	h->release_name = dup_str(doc_get(hd, "releaseName"), failed);
	h->skip_crds = get_bool(doc_get(hd, "skipCrds"));
	h->kube_version = dup_str(doc_get(hd, "kubeVersion"), failed);
	h->api_versions = dup_strv(doc_get(hd, "apiVersions"), &h->napi_versions, failed);
	h->post_render = dup_str(doc_get(hd, "postRender"), failed);
}

/* syncOptions Argo CD users write: ours, and Argo's that describe what gitseal always does */
static const char *const sync_options[] = {
	"CreateNamespace",          /* true: the destination namespace is created with the set */
	"ServerSideApply",          /* true only: we always apply server-side */
	"ApplyOutOfSyncOnly",       /* true only: only what differs is written */
	"PruneLast",                /* true only: prune runs after every apply stage */
	"RespectIgnoreDifferences", /* true only: ignored fields are never reverted */
	"PrunePropagationPolicy",   /* background only */
	NULL,
};

/* A spec error at node n: "file:line:col: path: message". */
static int spec_error(const struct doc *n, const char *path, const char *msg)
{
	if (doc_file(n) && doc_line(n))
		return gs_error(GS_EPARSE, "%s:%u:%u: %s: %s", doc_file(n), doc_start(n).line,
		                doc_start(n).col, path, msg);
	return gs_error(GS_EPARSE, "%s: %s", path, msg);
}

static int parse_sync_options(struct app *a, const struct doc *seq, int *failed)
{
	struct buf path = BUF_INIT(256), msg = BUF_INIT(1024);
	size_t i, j;
	int rc = 0;

	a->sync_options = dup_strv(seq, &a->nsync_options, failed);
	for (i = 0; i < doc_len(seq) && rc == 0; i++) {
		const struct doc *n = doc_val_at(seq, i);
		const char *opt = doc_str(n), *eq = opt ? strchr(opt, '=') : NULL;
		const char *val = eq ? eq + 1 : NULL;
		buf_reset(&path);
		buf_reset(&msg);
		buf_addf(&path, "spec.syncPolicy.syncOptions[%zu]", i);
		if (!opt)
			continue;
		for (j = 0; eq && sync_options[j]; j++)
			if (strlen(sync_options[j]) == (size_t)(eq - opt) &&
			    !strncmp(opt, sync_options[j], (size_t)(eq - opt)))
				break;
		if (!eq || !sync_options[j]) {
			buf_adds(&msg, "unknown sync option (known: ");
			for (j = 0; sync_options[j]; j++)
				buf_addf(&msg, "%s%s", j ? ", " : "", sync_options[j]);
			buf_adds(&msg, ")");
			rc = spec_error(n, path.p, msg.p);
		} else if (j == 0) {
			if (strcmp(val, "true") && strcmp(val, "false"))
				rc = spec_error(n, path.p, "CreateNamespace is true or false");
			a->create_namespace = !strcmp(val, "true");
		} else if (j == 5) {
			if (strcasecmp(val, "background"))
				rc = spec_error(n, path.p,
				                "only background propagation is supported");
		} else if (strcmp(val, "true")) {
			buf_addf(&msg, "%.*s is always true here", (int)(eq - opt), opt);
			rc = spec_error(n, path.p, msg.p);
		}
	}
	buf_release(&path);
	buf_release(&msg);
	return rc;
}

static int parse_ignore(struct app *a, const struct doc *seq, int *failed)
{
	size_t i, j;
	if (doc_kind(seq) != DOC_SEQ || !doc_len(seq))
		return 0;
	if (!(a->ignore = calloc(doc_len(seq), sizeof(*a->ignore)))) {
		*failed = 1;
		return 0;
	}
	for (i = 0; i < doc_len(seq); i++) {
		const struct doc *r = doc_val_at(seq, i), *ptrs = doc_get(r, "jsonPointers");
		struct app_ignore *ig = &a->ignore[a->nignore++];
		ig->group = dup_str(doc_get(r, "group"), failed);
		ig->kind = dup_str(doc_get(r, "kind"), failed);
		ig->name = dup_str(doc_get(r, "name"), failed);
		ig->namespace = dup_str(doc_get(r, "namespace"), failed);
		ig->pointers = dup_strv(ptrs, &ig->npointers, failed);
		for (j = 0; j < doc_len(ptrs); j++) {
			const char *p = doc_str(doc_val_at(ptrs, j));
			if (p && *p != '/') {
				struct buf path = BUF_INIT(256);
				int rc;
				buf_addf(&path, "spec.ignoreDifferences[%zu].jsonPointers[%zu]", i,
				         j);
				rc = spec_error(doc_val_at(ptrs, j), path.p,
				                "a JSON pointer starts with / (/spec/replicas)");
				buf_release(&path);
				return rc;
			}
		}
	}
	return 0;
}

static int parse_deps(struct app *a, const struct doc *seq, int *failed)
{
	size_t i;
	if (doc_kind(seq) != DOC_SEQ || !doc_len(seq))
		return 0;
	if (!(a->depends_on = calloc(doc_len(seq), sizeof(*a->depends_on)))) {
		*failed = 1;
		return 0;
	}
	for (i = 0; i < doc_len(seq); i++) {
		const struct doc *d = doc_val_at(seq, i);
		struct app_dep *dep = &a->depends_on[a->ndepends_on++];
		dep->name = dup_str(doc_get(d, "name"), failed);
		dep->namespace = dup_str(doc_get(d, "namespace"), failed);
	}
	return 0;
}

static int parse_duration(double *out, const struct doc *n, const char *path)
{
	const char *s = doc_str(n);
	if (!s)
		return 0;
	if (gs_parse_duration(s, out) < 0 || *out <= 0) {
		gs_error_clear();
		return spec_error(n, path, "must be a positive duration (like 30s, 5m or 1h30m)");
	}
	return 0;
}

/* The rest of the spec, after app_check() found nothing wrong with its shape. */
static int parse_rest(struct app *a, const struct doc *spec, int *failed)
{
	const struct doc *n, *sp = doc_get(spec, "syncPolicy");
	int rc;

	if ((n = doc_get(spec, "project")) && doc_str(n) && strcmp(doc_str(n), "default"))
		return spec_error(n, "spec.project", "only the project \"default\" exists");
	a->destination.server = dup_str(doc_getp(spec, "destination", "server", NULL), failed);
	a->destination.name = dup_str(doc_getp(spec, "destination", "name", NULL), failed);
	a->destination.namespace =
	    dup_str(doc_getp(spec, "destination", "namespace", NULL), failed);
	if (a->destination.server && a->destination.name && *a->destination.server &&
	    *a->destination.name)
		return spec_error(doc_get(spec, "destination"), "spec.destination",
		                  "give server or name, not both");
	a->service_account = dup_str(doc_get(spec, "serviceAccountName"), failed);
	if ((n = doc_get(sp, "automated")) && doc_kind(n) == DOC_MAP) {
		a->automated = 1;
		a->prune = get_bool(doc_get(n, "prune"));
		a->self_heal = get_bool(doc_get(n, "selfHeal"));
	}
	if ((rc = parse_sync_options(a, doc_get(sp, "syncOptions"), failed)) < 0 ||
	    (rc = parse_ignore(a, doc_get(spec, "ignoreDifferences"), failed)) < 0 ||
	    (rc = parse_deps(a, doc_get(spec, "dependsOn"), failed)) < 0 ||
	    (rc = parse_duration(&a->interval, doc_get(spec, "interval"), "spec.interval")) < 0 ||
	    (rc = parse_duration(&a->timeout, doc_get(spec, "timeout"), "spec.timeout")) < 0)
		return rc;
	a->suspend = get_bool(doc_get(spec, "suspend"));
	return 0;
}

int app_in_cluster(const struct app *a)
{
	const char *s = a->destination.server, *n = a->destination.name;
	if (n && *n)
		return !strcmp(n, "in-cluster");
	return !s || !*s || !strcmp(s, APP_IN_CLUSTER) || !strcmp(s, APP_IN_CLUSTER "/") ||
	       !strcmp(s, APP_IN_CLUSTER ":443");
}

int app_parse(struct app **out, const struct doc *obj)
{
	struct app_issues issues = APP_ISSUES_INIT;
	const struct doc *src = doc_getp(obj, "spec", "source", NULL),
	                 *dec = doc_getp(obj, "spec", "decryption", NULL);
	const struct doc *d;
	struct app *a = NULL;
	int rc, failed = 0;

	*out = NULL;
	if ((rc = app_check(&issues, obj)) < 0)
		goto out;
	if (issues.n) {
		const struct app_issue *i = &issues.v[0];
		struct buf b = BUF_INIT(8192);
		if (i->file && i->line)
			buf_addf(&b, "%s:%u:%u: ", i->file, i->line, i->col);
		buf_adds(&b, i->msg);
		if (issues.n > 1)
			buf_addf(&b, " (and %zu more)", issues.n - 1);
		rc = gs_error(GS_EPARSE, "%s", b.p);
		buf_release(&b);
		goto out;
	}
	if (!(a = calloc(1, sizeof(*a)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	a->name = dup_str(doc_getp(obj, "metadata", "name", NULL), &failed);
	a->namespace = dup_str(doc_getp(obj, "metadata", "namespace", NULL), &failed);
	if (doc_file(obj) && !(a->file = strdup(doc_file(obj))))
		failed = 1;
	a->source.repo_url = dup_str(doc_get(src, "repoURL"), &failed);
	a->source.target_revision = dup_str(doc_get(src, "targetRevision"), &failed);
	a->source.path = dup_str(doc_get(src, "path"), &failed);
	a->source.chart = dup_str(doc_get(src, "chart"), &failed);
	a->source.secret_ref = dup_str(doc_getp(src, "secretRef", "name", NULL), &failed);
	if ((d = doc_get(src, "directory")) && doc_kind(d) == DOC_MAP) {
		a->source.has_directory = 1;
		a->source.directory.recurse = get_bool(doc_get(d, "recurse"));
		a->source.directory.include = dup_str(doc_get(d, "include"), &failed);
		a->source.directory.exclude = dup_str(doc_get(d, "exclude"), &failed);
	}
	if ((d = doc_get(src, "helm")) && doc_kind(d) == DOC_MAP) {
		a->source.has_helm = 1;
		parse_helm(&a->source.helm, d, &failed);
	}
	a->decryption.secret_ref = dup_str(doc_getp(dec, "secretRef", "name", NULL), &failed);
	a->decryption.require_encrypted = get_bool(doc_get(dec, "requireEncrypted"));
	if (doc_get_int(doc_getp(obj, "metadata", "generation", NULL), &a->generation) < 0)
		gs_error_clear();
	if ((rc = parse_rest(a, doc_get(obj, "spec"), &failed)) < 0)
		goto out;
	if (failed) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	app_free(a);
	app_issues_release(&issues);
	return rc;
}

int app_load_file(struct app **out, const char *path)
{
	struct buf data = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_stream st = DOC_STREAM_INIT;
	const struct doc *found = NULL;
	size_t i, napps = 0;
	int rc;

	*out = NULL;
	if ((rc = file_read(&data, path)) < 0)
		goto out;
	if ((rc = doc_parse(&st, strcmp(path, "-") ? path : "stdin", data.p, data.len, 0, NULL)) <
	    0)
		goto out;
	for (i = 0; i < st.n; i++) {
		const char *kind = doc_k8s_kind(st.docs[i]);
		if (kind && !strcmp(kind, "Application") && napps++ == 0)
			found = st.docs[i];
	}
	if (napps != 1) {
		rc = gs_error(GS_EPARSE, "%s: %s", strcmp(path, "-") ? path : "stdin",
		              napps ? "holds more than one Application: give a file with one"
		                    : "no Application in it (kind: Application)");
		goto out;
	}
	rc = app_parse(out, found);
out:
	doc_stream_release(&st);
	buf_release(&data);
	return rc;
}
