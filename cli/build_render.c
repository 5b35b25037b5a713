/*
 * The render step of gitseal build.
 *
 * TODO(lead): a stand-in until lib/render is on main: it reads plain manifest
 * directories only (*.yaml, *.yml, *.json in byte order of their paths,
 * subdirectories with directory.recurse) and refuses Kustomize and Helm
 * directories. Replace its body with render() (render_source from the
 * Application and the flags, opts.hook = decrypt_render_hook, opts.hook_arg = dc).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "cli/cmd_build.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/doc.h"

void build_objs_release(struct build_objs *b)
{
	size_t i;
	for (i = 0; i < b->n; i++)
		doc_free(b->v[i]);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static int objs_add(struct build_objs *b, struct doc *d)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct doc **v = realloc(b->v, cap * sizeof(*v));
		if (!v) {
			doc_free(d);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = d;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int manifest(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int read_file(struct build_objs *b, const char *root, const char *rel)
{
	struct buf path = BUF_INIT(8192), data = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_stream st = DOC_STREAM_INIT;
	size_t i;
	int rc;

	buf_addf(&path, "%s/%s", root, rel);
	if ((rc = file_read(&data, path.p)) < 0 ||
	    (rc = doc_parse(&st, rel, data.p, data.len, data.p[0] == '{' ? DOC_PARSE_JSON : 0,
	                    NULL)) < 0)
		goto out;
	for (i = 0; i < st.n && rc >= 0; i++) {
		if (!st.docs[i])
			continue;
		if (doc_kind(st.docs[i]) != DOC_MAP || !doc_k8s_kind(st.docs[i]) ||
		    !doc_str(doc_get(st.docs[i], "apiVersion")))
			rc = gs_error(GS_EPARSE,
			              "%s:%u: not a Kubernetes object (apiVersion and kind)", rel,
			              doc_line(st.docs[i]));
		else
			rc = objs_add(b, st.docs[i]);
		st.docs[i] = NULL;
	}
out:
	doc_stream_release(&st);
	buf_release(&path);
	buf_release(&data);
	return rc;
}

static int read_dir(struct build_objs *b, const char *root, const char *rel, int recurse, int depth)
{
	struct buf dir = BUF_INIT(8192), child = BUF_INIT(8192);
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	DIR *d = NULL;
	int rc = 0;

	buf_addf(&dir, "%s%s%s", root, *rel ? "/" : "", rel);
	if (!(d = opendir(dir.p))) {
		rc = gs_error(GS_ENOTFOUND, "%s: cannot read the directory", *rel ? rel : root);
		goto out;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof(*v));
			if (!v) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			names = v;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && rc >= 0; i++) {
		struct stat st;
		buf_reset(&child);
		buf_addf(&child, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		buf_reset(&dir);
		buf_addf(&dir, "%s/%s", root, child.p);
		if (stat(dir.p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && recurse && depth < 64)
			rc = read_dir(b, root, child.p, recurse, depth + 1);
		else if (S_ISREG(st.st_mode) && manifest(names[i]))
			rc = read_file(b, root, child.p);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	buf_release(&dir);
	buf_release(&child);
	return rc;
}

int build_render(struct build_objs *objs, const struct build_opts *o, const struct app *app,
                 const char *root, struct decrypt_ctx *dc)
{
	static const char *const renderers[] = { "kustomization.yaml", "kustomization.yml",
		                                 "Kustomization", "Chart.yaml", NULL };
	const char *sub = o->subpath ? o->subpath : app && app->source.path ? app->source.path : "";
	struct buf p = BUF_INIT(8192);
	size_t i;
	int rc;
	(void)dc;

	while (*sub == '/')
		sub++;
	if (!strcmp(sub, "."))
		sub = "";
	for (i = 0; renderers[i]; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s%s%s", root, sub, *sub ? "/" : "", renderers[i]);
		if (file_exists(p.p)) {
			rc = gs_error(
			    GS_EINVAL,
			    "%s%s%s: rendering with %s needs lib/render, which is not built in yet",
			    sub, *sub ? "/" : "", renderers[i], i < 3 ? "Kustomize" : "Helm");
			goto out;
		}
	}
	rc = read_dir(objs, root, sub,
	              app && app->source.has_directory && app->source.directory.recurse, 0);
out:
	buf_release(&p);
	if (rc < 0)
		build_objs_release(objs);
	return rc;
}
