/*
 * The files of a checkout that gitseal rotate looks at: a depth-first walk in name order,
 * `.git` skipped, symlinks not followed (a checkout's links may point anywhere), what
 * .gitignore files exclude left out (each applies below its own directory, as git reads
 * them; a `!` rule re-includes only within its own file) and the root's .gitsealignore.
 * Only names rotate can hold secrets in: .yaml .yml .json .env .ini.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "core/ignore.h"
#include "rotate/rotate_int.h"

#define IGNORE_MAX ((size_t)4 << 20)
#define WALK_MAX_DEPTH 64

struct level {
	struct ignore *ig; /* this directory's .gitignore (NULL: none) */
	size_t base;       /* length of the directory's relative path (with its '/') */
};

struct walk {
	const char *root;
	struct level lv[WALK_MAX_DEPTH + 1];
	int depth;
	char **files;
	size_t n, cap;
};

static int wanted_name(const char *n)
{
	static const char *const ext[] = { ".yaml", ".yml", ".json", ".env", ".ini", NULL };
	size_t i, l = strlen(n), el;
	for (i = 0; ext[i]; i++)
		if (l > (el = strlen(ext[i])) && !strcmp(n + l - el, ext[i]))
			return 1;
	return 0;
}

static int add_rules(struct ignore **ig, const char *path, const char *name)
{
	struct buf text = BUF_INIT(IGNORE_MAX);
	int rc = 0;
	if (!file_exists(path))
		return 0;
	if ((rc = file_read(&text, path)) >= 0 && (rc = ignore_new(ig)) >= 0)
		rc = ignore_add_text(*ig, text.p, text.len, name, 0);
	buf_release(&text);
	return rc;
}

/* Does some .gitignore from the root down exclude rel? */
static int ignored(const struct walk *w, const char *rel, int is_dir)
{
	int i;
	for (i = 0; i <= w->depth; i++)
		if (w->lv[i].ig && ignore_match(w->lv[i].ig, rel + w->lv[i].base, is_dir))
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(struct walk *w, const char *path)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		char **n = realloc(w->files, cap * sizeof(*n));
		if (!n)
			return gs_error(GS_ENOMEM, "out of memory");
		w->files = n;
		w->cap = cap;
	}
	if (!(w->files[w->n] = strdup(path)))
		return gs_error(GS_ENOMEM, "out of memory");
	w->n++;
	return 0;
}

/* rel: "" for the root, else "a/b/" */
static int walk_dir(struct walk *w, const char *rel)
{
	struct buf dir = BUF_INIT(8192), p = BUF_INIT(8192);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	DIR *d = NULL;
	int rc = 0;

	if (w->depth >= WALK_MAX_DEPTH)
		return gs_error(GS_ETOOBIG, "%s/%s: directories nested too deep", w->root, rel);
	if ((rc = buf_addf(&dir, "%s/%s", w->root, rel)) < 0)
		goto out;
	if (!(d = opendir(dir.p))) {
		rc = gs_error(GS_EIO, "%s: %s", dir.p, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*nn));
			if (!nn) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	/* this directory's .gitignore applies below it */
	w->depth++;
	w->lv[w->depth].ig = NULL;
	w->lv[w->depth].base = strlen(rel);
	buf_reset(&p);
	if ((rc = buf_addf(&p, "%s.gitignore", dir.p)) < 0 ||
	    (rc = add_rules(&w->lv[w->depth].ig, p.p, p.p)) < 0)
		goto pop;
	for (i = 0; i < n && rc >= 0; i++) {
		struct stat st;
		buf_reset(&p);
		if ((rc = buf_addf(&p, "%s%s", rel, names[i])) < 0)
			break;
		{
			struct buf full = BUF_INIT(8192);
			rc = buf_addf(&full, "%s/%s", w->root, p.p);
			if (rc >= 0 && lstat(full.p, &st) < 0)
				rc = gs_error(GS_EIO, "%s: %s", full.p, strerror(errno));
			if (rc >= 0 && S_ISREG(st.st_mode) && wanted_name(names[i]) &&
			    !ignored(w, p.p, 0))
				rc = push(w, full.p);
			buf_release(&full);
		}
		if (rc < 0)
			break;
		if (S_ISDIR(st.st_mode) && strcmp(names[i], ".git") && !ignored(w, p.p, 1)) {
			if ((rc = buf_addc(&p, '/')) >= 0)
				rc = walk_dir(w, p.p);
		}
	}
pop:
	ignore_free(w->lv[w->depth].ig);
	w->lv[w->depth].ig = NULL;
	w->depth--;
out:
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_release(&dir);
	buf_release(&p);
	return rc;
}

int rotate__walk(char ***files, size_t *n, const char *path)
{
	struct walk w;
	struct stat st;
	struct buf p = BUF_INIT(8192);
	int rc;

	memset(&w, 0, sizeof(w));
	*files = NULL;
	*n = 0;
	if (stat(path, &st) < 0)
		return gs_error(GS_ENOTFOUND, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if ((rc = push(&w, path)) < 0)
			return rc;
		*files = w.files;
		*n = w.n;
		return 0;
	}
	w.root = path;
	w.depth = 0; /* level 0: the root's .gitsealignore; its .gitignore is level 1 */
	if ((rc = buf_addf(&p, "%s/.gitsealignore", path)) >= 0 &&
	    (rc = add_rules(&w.lv[0].ig, p.p, p.p)) >= 0)
		rc = walk_dir(&w, "");
	ignore_free(w.lv[0].ig);
	buf_release(&p);
	if (rc < 0) {
		size_t i;
		for (i = 0; i < w.n; i++)
			free(w.files[i]);
		free(w.files);
		return rc;
	}
	*files = w.files;
	*n = w.n;
	return 0;
}
