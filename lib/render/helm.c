/*
 * Helm: `helm template` of a chart in the tree (or of a chart archive fetched
 * by chart.c), with Argo CD's helm parameters, its output split at each
 * `# Source:` header so that every object names its template, hooks dropped
 * with a warning, and an optional post-render through a kustomization.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

#define CHART_YAML_MAX ((size_t)4 << 20)
#define HOOK_LIST_MAX 20

struct args {
	const char **v;
	size_t n, cap;
	char **owned; /* strings made here, freed with the list */
	size_t nowned;
};

static int arg_add(struct args *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 32;
		const char **nv = realloc(a->v, cap * sizeof(*nv));
		if (!nv)
			return gs_error(GS_ENOMEM, "out of memory");
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

/* Add a string made here (taken). */
static int arg_own(struct args *a, char *s)
{
	char **no;

	if (!s)
		return gs_error(GS_ENOMEM, "out of memory");
	if (!(no = realloc(a->owned, (a->nowned + 1) * sizeof(*no)))) {
		free(s);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	a->owned = no;
	a->owned[a->nowned++] = s;
	return arg_add(a, s);
}

static void args_release(struct args *a)
{
	render__strv_free(a->owned, a->nowned);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Argo CD's cleanSetParameters: commas not already escaped get a backslash, unless the value
 * is a {a,b} list. */
static char *set_value(const char *name, const char *value)
{
	size_t n = strlen(value), i;
	struct buf b = BUF_INIT((size_t)16 << 20);
	int list = n >= 2 && value[0] == '{' && value[n - 1] == '}';

	if (buf_adds(&b, name) < 0 || buf_addc(&b, '=') < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (!list && value[i] == ',' && (i == 0 || value[i - 1] != '\\') &&
		    buf_addc(&b, '\\') < 0)
			goto fail;
		if (buf_addc(&b, value[i]) < 0)
			goto fail;
	}
	return buf_detach(&b, NULL);
fail:
	buf_release(&b);
	return NULL;
}

static int read_yaml(struct render__ctx *c, const char *rel, struct doc **out)
{
	struct buf text = BUF_INIT(CHART_YAML_MAX);
	int rc;

	*out = NULL;
	if ((rc = render__read_file(c, rel, &text)) >= 0)
		rc = doc_parse_one(out, rel, text.p, text.len, 0);
	buf_release(&text);
	return rc;
}

/* Is dependency `name` vendored in charts/ (a directory or a name-version.tgz)? */
static int vendored(char **entries, size_t n, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; i < n; i++) {
		const char *e = entries[i];
		size_t el = strlen(e);
		if (!strcmp(e, name))
			return 1;
		if (!strncmp(e, name, len) && e[len] == '-' && e[len + 1] >= '0' &&
		    e[len + 1] <= '9' && el > 4 && !strcmp(e + el - 4, ".tgz"))
			return 1;
	}
	return 0;
}

/* Dependencies (Chart.yaml, requirements.yaml, Chart.lock) missing from charts/: an error naming
 * them all. */
static int check_dependencies(struct render__ctx *c, const char *chart)
{
	static const char *const lists[] = { "Chart.yaml", "Chart.lock", "requirements.yaml",
		                             "requirements.lock" };
	struct buf missing = BUF_INIT(4096), seen = BUF_INIT(8192);
	char **entries = NULL, *dir = NULL, *abs = NULL, *from = NULL;
	size_t n = 0, i, j, nmissing = 0;
	DIR *d = NULL;
	int rc = 0;

	if (!(dir = render__join(chart, "charts")) || !(abs = render__abs(c, dir))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((d = opendir(abs))) {
		struct dirent *e;
		while ((e = readdir(d))) {
			char **ne;
			if (e->d_name[0] == '.')
				continue;
			if (!(ne = realloc(entries, (n + 1) * sizeof(*ne))) ||
			    !(ne[n] = strdup(e->d_name))) {
				if (ne)
					entries = ne;
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			entries = ne;
			n++;
		}
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char *rel = render__join(chart, lists[i]);
		struct doc *y = NULL, *deps;
		if (!rel) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		if (!render__is_file(c, rel) || (rc = read_yaml(c, rel, &y)) < 0) {
			free(rel);
			if (rc < 0)
				goto out;
			continue;
		}
		deps = doc_get(y, "dependencies");
		for (j = 0; doc_kind(deps) == DOC_SEQ && j < doc_len(deps); j++) {
			const char *name = doc_str(doc_get(doc_val_at(deps, j), "name"));
			char key[300];
			if (!name || vendored(entries, n, name))
				continue;
			snprintf(key, sizeof(key), "|%s|", name);
			if (strstr(seen.p, key))
				continue; /* listed in Chart.yaml and Chart.lock */
			buf_addf(&seen, "%s", key);
			if (!from)
				from = strdup(lists[i]);
			buf_addf(&missing, "%s%s", nmissing++ ? ", " : "", name);
		}
		doc_free(y);
		free(rel);
	}
	if (nmissing)
		rc =
		    gs_error(GS_ENOTFOUND,
		             "%s/%s: dependenc%s not vendored in charts/: %s (run `helm dependency "
		             "build` and commit charts/: only a chart source reaches a repository)",
		             chart[0] ? chart : ".", from ? from : "Chart.yaml",
		             nmissing > 1 ? "ies" : "y", missing.p);
out:
	if (d)
		closedir(d);
	render__strv_free(entries, n);
	free(dir);
	free(abs);
	free(from);
	buf_release(&missing);
	buf_release(&seen);
	return rc;
}

/* A values file or --set-file path: relative to the chart, or from the root with a leading '/'. */
static int tree_file(struct render__ctx *c, struct args *a, const char *chart_dir, const char *path,
                     const char *what, const char *prefix)
{
	char *rel = NULL, *abs = NULL;
	int rc;

	if ((rc = render__resolve(&rel, c, chart_dir, path, what)) < 0)
		return rc;
	if (!render__is_file(c, rel)) {
		rc = gs_error(GS_ENOTFOUND, "%s '%s': no such file in the tree", what, path);
		free(rel);
		return rc;
	}
	abs = render__abs(c, rel);
	free(rel);
	if (!abs)
		return gs_error(GS_ENOMEM, "out of memory");
	if (prefix) {
		char *s = NULL;
		int n = asprintf(&s, "%s%s", prefix, abs);
		free(abs);
		if (n < 0)
			return gs_error(GS_ENOMEM, "out of memory");
		abs = s;
	}
	return arg_own(a, abs);
}

static int build_args(struct render__ctx *c, struct args *a, const char *tool,
                      const char *chart_path, const char *chart_dir, const char *chart_name)
{
	const struct render_helm *h = &c->src->helm;
	const char *release = h->release_name && *h->release_name ? h->release_name
	                      : c->src->name && *c->src->name     ? c->src->name
	                                                          : chart_name;
	size_t i;
	int rc;

	if ((rc = arg_add(a, tool)) < 0 || (rc = arg_add(a, "template")) < 0 ||
	    (rc = arg_add(a, release)) < 0 || (rc = arg_add(a, chart_path)) < 0 ||
	    (rc = arg_add(a, h->skip_crds ? "--skip-crds" : "--include-crds")) < 0)
		return rc;
	if (c->src->namespace && *c->src->namespace &&
	    ((rc = arg_add(a, "--namespace")) < 0 || (rc = arg_add(a, c->src->namespace)) < 0))
		return rc;
	if (h->kube_version && *h->kube_version &&
	    ((rc = arg_add(a, "--kube-version")) < 0 || (rc = arg_add(a, h->kube_version)) < 0))
		return rc;
	for (i = 0; i < h->napi_versions; i++)
		if ((rc = arg_add(a, "--api-versions")) < 0 ||
		    (rc = arg_add(a, h->api_versions[i])) < 0)
			return rc;
	for (i = 0; i < h->nvalue_files; i++)
		if ((rc = arg_add(a, "--values")) < 0 ||
		    (rc = tree_file(c, a, chart_dir, h->value_files[i], "valueFiles", NULL)) < 0)
			return rc;
	if (h->values && *h->values) {
		/* inline values: a file in the private directory, after the value files */
		struct render__stage st = RENDER__STAGE_INIT;
		char *path;
		st.dir = c->priv;
		if ((rc = render__stage_write(&st, "values-inline.yaml", h->values,
		                              strlen(h->values))) < 0)
			return rc;
		if (!(path = render__join(c->priv, "values-inline.yaml")))
			return gs_error(GS_ENOMEM, "out of memory");
		if ((rc = arg_add(a, "--values")) < 0 || (rc = arg_own(a, path)) < 0)
			return rc;
	}
	for (i = 0; i < h->nparams; i++) {
		const struct render_helm_param *p = &h->params[i];
		if (!p->name || !*p->name)
			return gs_error(GS_EINVAL, "helm.parameters[%zu]: no name", i);
		if ((rc = arg_add(a, p->force_string ? "--set-string" : "--set")) < 0 ||
		    (rc = arg_own(a, set_value(p->name, p->value ? p->value : ""))) < 0)
			return rc;
	}
	for (i = 0; i < h->nfile_params; i++) {
		const struct render_helm_file_param *p = &h->file_params[i];
		char *prefix = NULL;
		if (!p->name || !*p->name || !p->path)
			return gs_error(GS_EINVAL,
			                "helm.fileParameters[%zu]: name and path are required", i);
		if (asprintf(&prefix, "%s=", p->name) < 0)
			return gs_error(GS_ENOMEM, "out of memory");
		rc = arg_add(a, "--set-file");
		if (rc >= 0)
			rc = tree_file(c, a, chart_dir, p->path, "fileParameters", prefix);
		free(prefix);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the output ---------------------------------------------------------------------------- */

struct segment {
	const char *p;
	size_t len;
	char source[1024]; /* the object's file in the tree */
};

/* "# Source: chart/templates/x.yaml" -> "<label>/templates/x.yaml" */
static void source_name(char *out, size_t cap, const char *label, const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (slash) {
		n -= (size_t)(slash + 1 - s);
		s = slash + 1;
	}
	if (label && *label)
		snprintf(out, cap, "%s/%.*s", label, (int)n, s);
	else
		snprintf(out, cap, "%.*s", (int)n, s);
}

static int is_hook(const struct doc *obj)
{
	return doc_getp(obj, "metadata", "annotations", "helm.sh/hook", NULL) != NULL;
}

struct output {
	struct render__ctx *c;
	const char *label;
	unsigned flags;
	struct doc_list *out;
	struct buf *hooks, *kept;
	size_t nhooks;
};

/* Parse one document's text under its Source name; a hook is listed and left out. */
static int flush(struct output *o, const struct segment *seg)
{
	struct doc_list one = DOC_LIST_INIT;
	size_t i;
	int rc;

	if ((rc = doc_read_manifests(&one, seg->source, seg->p, seg->len,
	                             o->flags | DOC_MANIFEST_REQUIRE_KIND)) < 0)
		return rc;
	for (i = 0; i < one.n && rc >= 0; i++) {
		struct doc *obj = one.objs[i];
		one.objs[i] = NULL;
		if (is_hook(obj)) {
			const char *kind = doc_k8s_kind(obj), *name = doc_k8s_name(obj);
			const char *when =
			    doc_str(doc_getp(obj, "metadata", "annotations", "helm.sh/hook", NULL));
			if (o->nhooks++ < HOOK_LIST_MAX)
				buf_addf(o->hooks, "%s%s/%s (%s)", o->nhooks > 1 ? ", " : "",
				         kind ? kind : "?", name ? name : "?", when ? when : "");
			doc_free(obj);
			continue;
		}
		if (o->kept && (rc = buf_add(o->kept, seg->p, seg->len)) < 0) {
			doc_free(obj);
			break;
		}
		rc = doc_list_add(o->out, obj);
	}
	doc_list_release(&one);
	return rc;
}

/* A "---" separator line (helm writes one before each document). */
static int is_separator(const char *line, size_t ll)
{
	return ll >= 3 && !memcmp(line, "---", 3) &&
	       (ll == 3 || line[3] == ' ' || line[3] == '\r' || line[3] == '\t');
}

/* Split the output at its "---" lines and flush each document under the name its header gives. */
static int read_output(struct output *o, const struct buf *text)
{
	const char *s = text->p, *e = text->p + text->len, *line;
	struct segment seg;
	int rc;

	memset(&seg, 0, sizeof(seg));
	seg.p = s;
	snprintf(seg.source, sizeof(seg.source), "%s", o->label[0] ? o->label : ".");
	for (line = s; line < e;) {
		const char *nl = memchr(line, '\n', (size_t)(e - line));
		if (is_separator(line, (size_t)((nl ? nl : e) - line))) {
			seg.len = (size_t)(line - seg.p);
			if ((rc = flush(o, &seg)) < 0)
				return rc;
			seg.p = line;
			snprintf(seg.source, sizeof(seg.source), "%s",
			         o->label[0] ? o->label : ".");
			/* the header right after the separator names the template */
			if (nl && (size_t)(e - nl - 1) > 10 && !memcmp(nl + 1, "# Source: ", 10)) {
				const char *src = nl + 11,
				           *se = memchr(src, '\n', (size_t)(e - src));
				size_t sn = se ? (size_t)(se - src) : (size_t)(e - src);
				while (sn && (src[sn - 1] == '\r' || src[sn - 1] == ' '))
					sn--;
				source_name(seg.source, sizeof(seg.source), o->label, src, sn);
			}
		}
		line = nl ? nl + 1 : e;
	}
	seg.len = (size_t)(e - seg.p);
	return flush(o, &seg);
}

/* ---- post-render -------------------------------------------------------------------------- */

/* Add helm-output.yaml to the staged kustomization's resources (unless listed) and write it back.
 */
static int add_output_resource(struct render__ctx *c, struct render__stage *st, const char *dir)
{
	static const char *const names[] = { "kustomization.yaml", "kustomization.yml",
		                             "Kustomization" };
	struct buf text = BUF_INIT(CHART_YAML_MAX), yaml = BUF_INIT(CHART_YAML_MAX);
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	struct doc *k = NULL, *res;
	char *kfile = NULL;
	size_t i;
	int rc = 0, listed = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !kfile; i++) {
		char *f = render__join(dir, names[i]);
		if (f && render__is_file(c, f))
			kfile = f;
		else
			free(f);
	}
	if (!kfile)
		return gs_error(GS_ENOTFOUND, "helm.postRender '%s': no kustomization.yaml there",
		                dir);
	if ((rc = render__read_file(c, kfile, &text)) < 0 ||
	    (rc = doc_parse_one(&k, kfile, text.p, text.len, 0)) < 0)
		goto out;
	if (doc_kind(k) != DOC_MAP) {
		rc = gs_error(GS_EPARSE, "%s:%u: a kustomization must be a mapping", kfile,
		              doc_line(k));
		goto out;
	}
	if (!(res = doc_get(k, "resources"))) {
		if ((rc = doc_set(k, "resources", doc_new_seq())) < 0)
			goto out;
		res = doc_get(k, "resources");
	}
	if (doc_kind(res) != DOC_SEQ) {
		rc = gs_error(GS_EPARSE, "%s:%u: resources must be a list", kfile, doc_line(res));
		goto out;
	}
	for (i = 0; i < doc_len(res); i++)
		listed |= doc_str(doc_val_at(res, i)) &&
		          !strcmp(doc_str(doc_val_at(res, i)), "helm-output.yaml");
	if (!listed && (rc = doc_push(res, doc_new_strz("helm-output.yaml"))) < 0)
		goto out;
	if ((rc = doc_emit_yaml(&yaml, k, &eo)) < 0 ||
	    (rc = render__stage_write(st, kfile, yaml.p, yaml.len)) < 0)
		goto out;
out:
	doc_free(k);
	free(kfile);
	buf_release(&text);
	buf_release(&yaml);
	return rc;
}

static int post_render(struct render__ctx *c, const struct buf *kept, const char *name,
                       struct doc_list *out)
{
	struct render__stage st = RENDER__STAGE_INIT;
	char **dirs = NULL, *dir = NULL, *outfile = NULL;
	size_t ndirs = 0, i;
	const char *kept_dir = NULL;
	int rc;

	if ((rc = render__resolve(&dir, c, "", c->src->helm.post_render, "helm.postRender")) < 0)
		return rc;
	if (!render__is_dir(c, dir)) {
		rc = gs_error(GS_ENOTFOUND, "helm.postRender '%s': no such directory in the tree",
		              c->src->helm.post_render);
		goto out;
	}
	if ((rc = render__kustomize_walk(c, dir, &dirs, &ndirs, NULL, NULL)) < 0 ||
	    (rc = render__stage_new(c, &st)) < 0)
		goto out;
	for (i = 0; i < ndirs; i++) {
		size_t kl = kept_dir ? strlen(kept_dir) : 0;
		if (kept_dir && (!kl || (!strncmp(dirs[i], kept_dir, kl) &&
		                         (!dirs[i][kl] || dirs[i][kl] == '/'))))
			continue;
		if ((rc = render__stage_copy_dir(c, &st, dirs[i])) < 0)
			goto out;
		kept_dir = dirs[i];
	}
	if (!(outfile = render__join(dir, "helm-output.yaml"))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = render__stage_write(&st, outfile, kept->p, kept->len)) < 0 ||
	    (rc = add_output_resource(c, &st, dir)) < 0)
		goto out;
	rc = render__kustomize_exec.build(c, st.dir, dir, name, 0, out);
	if (rc < 0)
		gs_error_prefix(rc, "helm.postRender");
out:
	render__stage_wipe(&st);
	render__strv_free(dirs, ndirs);
	free(dir);
	free(outfile);
	return rc;
}

/* ---- the renderer -------------------------------------------------------------------------- */

int render__helm(struct render__ctx *c, struct doc_list *out)
{
	struct args a = { NULL, 0, 0, NULL, 0 };
	struct buf text = BUF_INIT(c->output_max), hooks = BUF_INIT(8192),
	           kept = BUF_INIT(c->output_max);
	struct doc_list got = DOC_LIST_INIT;
	struct doc *chart_yaml = NULL;
	char *chart_path = NULL, *label = NULL, *cut = NULL, *chart_file = NULL, what[600];
	const char *tool, *chart_name;
	struct render__cmd cmd;
	struct output o;
	size_t nhooks = 0;
	int rc, unused;

	memset(&o, 0, sizeof(o));

	if ((rc = render__tool(c, 1, &tool, &unused)) < 0 || (rc = render__private_dir(c)) < 0)
		goto out;
	if (c->src->chart && *c->src->chart) {
		if ((rc = render__chart_fetch(c, &chart_path, &label)) < 0)
			goto out;
		chart_name = c->src->chart;
	} else {
		if (!(chart_file = render__join(c->app, "Chart.yaml"))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = read_yaml(c, chart_file, &chart_yaml)) < 0 ||
		    (rc = check_dependencies(c, c->app)) < 0)
			goto out;
		chart_name = doc_str(doc_get(chart_yaml, "name"));
		if (!chart_name || !*chart_name) {
			rc = gs_error(GS_EPARSE, "%s: no chart name", chart_file);
			goto out;
		}
		if (!(chart_path = render__abs(c, c->app)) || !(label = strdup(c->app))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = build_args(c, &a, tool, chart_path, c->app, chart_name)) < 0)
		goto out;
	if (!(cut = render__join(c->root, ""))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(what, sizeof(what), "%s: helm template", label[0] ? label : ".");
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = a.v;
	cmd.what = what;
	cmd.cut = cut;
	if ((rc = render__run(c, &cmd, &text)) < 0)
		goto out;
	o.c = c;
	o.label = label;
	o.out = &got;
	o.hooks = &hooks;
	o.kept = c->src->helm.post_render && *c->src->helm.post_render ? &kept : NULL;
	if ((rc = read_output(&o, &text)) < 0) {
		gs_error_prefix(rc, "helm output");
		goto out;
	}
	nhooks = o.nhooks;
	if (nhooks && (rc = render__warn(c, "%s: %zu helm hook%s not applied (as --no-hooks): %s%s",
	                                 label[0] ? label : ".", nhooks, nhooks > 1 ? "s" : "",
	                                 hooks.p, nhooks > HOOK_LIST_MAX ? ", ..." : "")) < 0)
		goto out;
	if (c->src->helm.post_render && *c->src->helm.post_render) {
		doc_list_release(&got);
		if ((rc = post_render(c, &kept, label[0] ? label : ".", &got)) < 0)
			goto out;
	}
	rc = doc_list_splice(out, &got);
out:
	args_release(&a);
	doc_list_release(&got);
	doc_free(chart_yaml);
	buf_release(&text);
	buf_release(&hooks);
	buf_release(&kept);
	free(chart_path);
	free(chart_file);
	free(label);
	free(cut);
	return rc < 0 ? rc : 0;
}
