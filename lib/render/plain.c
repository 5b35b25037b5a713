/*
 * Plain manifests: the YAML and JSON files of a directory (Argo CD's Directory
 * source), walked in byte order of their names like Go's filepath.Walk, each
 * file read once into one reused buffer and parsed by doc_read_manifests().
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ignore.h"
#include "render/render_int.h"

struct walk {
	struct render__ctx *c;
	struct ignore *root_rules; /* .gitsealignore, paths from the tree root */
	struct ignore *include;    /* directory.include, paths from the app path */
	struct ignore *exclude;    /* directory.exclude */
	struct buf text;
	struct doc_list *out;
	size_t files;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && !strcmp(s + n - m, suf);
}

/* The path from the app path (what include/exclude see). */
static const char *app_rel(const struct walk *w, const char *rel)
{
	size_t n = strlen(w->c->app);
	return n ? rel + n + 1 : rel;
}

static int read_file(struct walk *w, const char *rel)
{
	int rc;

	buf_reset(&w->text);
	if ((rc = render__read_file(w->c, rel, &w->text)) < 0)
		return rc;
	w->files++;
	rc = doc_read_manifests(w->out, rel, w->text.p, w->text.len, DOC_MANIFEST_REQUIRE_KIND);
	return rc < 0 ? rc : 0;
}

static int walk_dir(struct walk *w, const char *rel, int depth)
{
	char *abs = render__abs(w->c, rel), **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	DIR *d = NULL;
	int rc = 0;

	if (!abs)
		return gs_error(GS_ENOMEM, "out of memory");
	if (depth > 64) {
		rc = gs_error(GS_ETOOBIG, "%s: directories nested deeper than 64 levels", rel);
		goto out;
	}
	if (!(d = opendir(abs))) {
		rc = gs_error(GS_EIO, "%s: %s", rel[0] ? rel : ".", strerror(errno));
		goto out;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') /* ".", "..", .git, .github, .sops.yaml, .gitsealignore */
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof(*names));
			if (!nn) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && rc >= 0; i++) {
		const char *name = names[i];
		int yaml = has_suffix(name, ".yaml") || has_suffix(name, ".yml") ||
		           has_suffix(name, ".json");
		char *crel = render__join(rel, name), *cabs = crel ? render__abs(w->c, crel) : NULL;
		struct stat lst, st;
		int link;
		if (!crel || !cabs) {
			free(crel);
			free(cabs);
			rc = gs_error(GS_ENOMEM, "out of memory");
			break;
		}
		link = lstat(cabs, &lst) == 0 && S_ISLNK(lst.st_mode);
		if (stat(cabs, &st) < 0)
			st.st_mode = 0; /* a dangling link: nothing to read */
		if (S_ISDIR(st.st_mode)) {
			/* as Go's filepath.Walk (Argo CD): a link to a directory is not entered */
			if (!link && w->c->src->directory.recurse &&
			    !ignore_match(w->root_rules, crel, 1) &&
			    !ignore_match(w->exclude, app_rel(w, crel), 1))
				rc = walk_dir(w, crel, depth + 1);
		} else if (S_ISREG(st.st_mode) && !ignore_match(w->root_rules, crel, 0) &&
		           !ignore_match(w->exclude, app_rel(w, crel), 0) &&
		           (!w->include || ignore_match(w->include, app_rel(w, crel), 0))) {
			char *checked = NULL;
			if (yaml && link &&
			    (rc = render__resolve(&checked, w->c, "", crel, "link")) >= 0)
				free(checked); /* a link read only when it stays in the tree */
			if (rc >= 0 && yaml)
				rc = read_file(w, crel);
			else if (rc >= 0 && has_suffix(name, ".jsonnet"))
				rc = render__warn(w->c, "%s: Jsonnet is not rendered; file skipped",
				                  crel);
		}
		free(crel);
		free(cabs);
	}
out:
	if (d)
		closedir(d);
	render__strv_free(names, n);
	free(abs);
	return rc;
}

static int load_rules(struct ignore **out, const char *text, const char *what)
{
	int rc;

	if (!text || !*text)
		return 0;
	if ((rc = ignore_new(out)) < 0 ||
	    (rc = ignore_add_text(*out, text, strlen(text), what, IGNORE_BRACES)) < 0)
		return rc;
	return 0;
}

int render__plain(struct render__ctx *c, struct doc_list *out)
{
	struct walk w;
	struct doc_list got = DOC_LIST_INIT;
	int rc;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.out = &got;
	buf_init(&w.text, c->output_max, 0);
	if (render__is_file(c, ".gitsealignore")) {
		if ((rc = render__read_file(c, ".gitsealignore", &w.text)) < 0 ||
		    (rc = ignore_new(&w.root_rules)) < 0 ||
		    (rc = ignore_add_text(w.root_rules, w.text.p, w.text.len, ".gitsealignore",
		                          0)) < 0)
			goto out;
	}
	if ((rc = load_rules(&w.include, c->src->directory.include, "directory.include")) < 0 ||
	    (rc = load_rules(&w.exclude, c->src->directory.exclude, "directory.exclude")) < 0)
		goto out;
	if (c->app[0] && ignore_path(w.root_rules, c->app, 1)) {
		rc = render__warn(c, "%s: ignored by .gitsealignore: nothing rendered", c->app);
		goto out;
	}
	if ((rc = walk_dir(&w, c->app, 0)) < 0)
		goto out;
	rc = doc_list_splice(out, &got);
out:
	doc_list_release(&got);
	buf_release(&w.text);
	ignore_free(w.root_rules);
	ignore_free(w.include);
	ignore_free(w.exclude);
	return rc;
}
