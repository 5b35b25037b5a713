/*
 * gitseal check PATH...: the work tree. A directory is walked in name order,
 * without following links; what Git ignores (each directory's .gitignore and
 * .git/info/exclude, inside a repository) and what the root's .gitsealignore
 * ignores is skipped, as are dot-names and a chart's templates/. The files
 * around the one checked (.sops.yaml, generator sources) are read from disk,
 * by their path from the root: the repository's top, else "/".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/check_int.h"
#include "core/error.h"
#include "core/file.h"
#include "core/ignore.h"

#define TREE_FILE_MAX ((size_t)32 << 20)
#define TREE_DEPTH_MAX 64

/* The root as seen from the current directory, for the names of files found from it
 * (.sops.yaml, generator sources): "" at the root, "../" below it, "/" outside a repository. */
#define ROOT_NAME_MAX 512

struct level {
	char *rel;         /* the directory, from the root */
	struct ignore *ig; /* its .gitignore (NULL: none) */
};

struct tree {
	struct check_ctx c;
	char top[PATH_MAX]; /* the root: the repository's top, or "/" */
	int in_repo;
	struct ignore *sealignore; /* the root's .gitsealignore (paths from the root) */
	struct level lv[TREE_DEPTH_MAX + 2];
	size_t nlv;
	char root_name[ROOT_NAME_MAX];
};

static int disk_read(void *arg, const char *rel, struct buf *out)
{
	struct tree *t = arg;
	char path[PATH_MAX + 4096];
	int fd, rc;

	snprintf(path, sizeof(path), "%s%s%s", t->top, strcmp(t->top, "/") ? "/" : "", rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR
		           ? gs_error(GS_ENOTFOUND, "%s: not there", rel)
		           : gs_error(GS_EIO, "%s: %s", rel, strerror(errno));
	rc = file_read_fd(out, fd, rel);
	close(fd);
	return rc < 0 ? rc : 0;
}

/* An ignore file of the tree (rel from the root) into a new ignore, or NULL when absent. */
static struct ignore *load_ignore(struct tree *t, const char *rel)
{
	struct buf text = BUF_INIT((size_t)4 << 20);
	struct ignore *ig = NULL;
	if (disk_read(t, rel, &text) == 0 && ignore_new(&ig) == 0 &&
	    ignore_add_text(ig, text.p, text.len, rel, 0) < 0) {
		ignore_free(ig); /* a rule git would not read either: the file is not used */
		ig = NULL;
	}
	gs_error_clear();
	buf_release(&text);
	return ig;
}

static int push_level(struct tree *t, const char *rel)
{
	char path[4096];
	if (t->nlv >= sizeof(t->lv) / sizeof(t->lv[0]))
		return gs_error(GS_ETOOBIG, "%s: directories nested too deep", rel);
	snprintf(path, sizeof(path), "%s%s.gitignore", rel, *rel ? "/" : "");
	t->lv[t->nlv].ig = t->in_repo ? load_ignore(t, path) : NULL;
	if (!(t->lv[t->nlv].rel = strdup(rel)))
		return gs_error(GS_ENOMEM, "out of memory");
	t->nlv++;
	return 0;
}

static void pop_level(struct tree *t)
{
	t->nlv--;
	ignore_free(t->lv[t->nlv].ig);
	free(t->lv[t->nlv].rel);
}

static int ignored(struct tree *t, const char *rel, int is_dir)
{
	size_t i;
	if (t->sealignore && ignore_match(t->sealignore, rel, is_dir))
		return 1;
	for (i = 0; i < t->nlv; i++) {
		size_t dl = strlen(t->lv[i].rel);
		const char *p = dl ? rel + dl + 1 : rel;
		if (t->lv[i].ig && ignore_match(t->lv[i].ig, p, is_dir))
			return 1;
	}
	return 0;
}

static int check_one(struct tree *t, struct check_report *r, const char *abs, const char *rel,
                     const char *name)
{
	struct buf data = BUF_INIT_SECRET(TREE_FILE_MAX);
	int fd, rc;

	if (!check__wanted(&t->c, rel))
		return 0;
	if ((fd = open(abs, O_RDONLY | O_CLOEXEC)) < 0)
		return gs_error(GS_EIO, "%s: %s", name, strerror(errno));
	rc = file_read_fd(&data, fd, name);
	close(fd);
	if (rc == GS_ETOOBIG) {
		gs_error_clear();
		rc = check__add(r, INSPECT_PARSE_ERROR, name, 0, 0, "over %zu MiB: not read",
		                TREE_FILE_MAX >> 20);
	} else if (rc >= 0) {
		rc = check__file(&t->c, r, name, rel, data.p, data.len);
	}
	buf_release(&data);
	return rc;
}

static int is_chart_templates(const char *abs_dir, const char *name)
{
	char p[PATH_MAX + 64];
	if (strcmp(name, "templates"))
		return 0;
	snprintf(p, sizeof(p), "%s/Chart.yaml", abs_dir);
	return file_exists(p);
}

static int walk(struct tree *t, struct check_report *r, const char *abs, const char *rel,
                const char *name, int depth)
{
	struct dirent **ents = NULL;
	char cabs[PATH_MAX + 512], crel[4096], cname[4096];
	int n, i, rc = 0;

	if (depth > TREE_DEPTH_MAX)
		return gs_error(GS_ETOOBIG, "%s: directories nested too deep", name);
	if ((n = scandir(abs, &ents, NULL, alphasort)) < 0)
		return gs_error(GS_EIO, "%s: %s", *name ? name : ".", strerror(errno));
	if ((rc = push_level(t, rel)) < 0)
		goto out;
	for (i = 0; i < n && rc >= 0; i++) {
		const char *e = ents[i]->d_name;
		struct stat st;
		if (!strcmp(e, ".") || !strcmp(e, ".."))
			continue;
		snprintf(cabs, sizeof(cabs), "%s/%s", abs, e);
		snprintf(crel, sizeof(crel), "%s%s%s", rel, *rel ? "/" : "", e);
		snprintf(cname, sizeof(cname), "%s%s", name, e);
		if (lstat(cabs, &st) < 0 || S_ISLNK(st.st_mode))
			continue;
		if (e[0] == '.' && !(!strcmp(e, ".sops.yaml") && S_ISREG(st.st_mode)))
			continue; /* .git, .github, editor files; each .sops.yaml is read */
		if (ignored(t, crel, S_ISDIR(st.st_mode)))
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (is_chart_templates(abs, e))
				continue;
			snprintf(cname, sizeof(cname), "%s%s/", name, e);
			rc = walk(t, r, cabs, crel, cname, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			rc = check_one(t, r, cabs, crel, cname);
		}
	}
	pop_level(t);
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

/* The repository around abs (a directory): its top, else "/". */
static void find_top(struct tree *t, const char *abs)
{
	char cur[PATH_MAX], probe[PATH_MAX + 8];
	snprintf(cur, sizeof(cur), "%s", abs);
	for (;;) {
		char *slash;
		snprintf(probe, sizeof(probe), "%s/.git", strcmp(cur, "/") ? cur : "");
		if (access(probe, F_OK) == 0) {
			snprintf(t->top, sizeof(t->top), "%s", cur);
			t->in_repo = 1;
			return;
		}
		if (!strcmp(cur, "/") || !(slash = strrchr(cur, '/')))
			break;
		if (slash == cur)
			cur[1] = 0;
		else
			*slash = 0;
	}
	snprintf(t->top, sizeof(t->top), "/");
	t->in_repo = 0;
}

static const char *root_name(struct tree *t)
{
	char cwd[PATH_MAX];
	size_t n = strlen(t->top), pos = 0;
	const char *p;

	t->root_name[0] = 0;
	if (!strcmp(t->top, "/") || !getcwd(cwd, sizeof(cwd)) || strncmp(cwd, t->top, n) ||
	    (cwd[n] && cwd[n] != '/')) {
		/* outside the repository (or none): names from / */
		snprintf(t->root_name, sizeof(t->root_name), "%s/",
		         strcmp(t->top, "/") ? t->top : "");
		return t->root_name;
	}
	for (p = cwd + n; *p && pos + 4 < sizeof(t->root_name); p++)
		if (*p == '/')
			pos +=
			    (size_t)snprintf(t->root_name + pos, sizeof(t->root_name) - pos, "../");
	return t->root_name;
}

/* abs's path from the root ("" for the root itself) */
static const char *rel_of(const struct tree *t, const char *abs)
{
	size_t n = strlen(t->top);
	if (!strcmp(t->top, "/"))
		return abs + 1;
	if (!strcmp(abs, t->top))
		return "";
	return abs + n + 1;
}

/* The .gitignore files above a walked directory count too (git reads every level). */
static int push_parents(struct tree *t, const char *rel)
{
	char dir[4096];
	const char *p = rel;
	int rc;
	if ((rc = push_level(t, "")) < 0)
		return rc;
	while (*rel && (p = strchr(p, '/'))) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - rel), rel);
		if ((rc = push_level(t, dir)) < 0)
			return rc;
		p++;
	}
	return 0;
}

static int check_path(struct check_report *r, const char *path, const struct check_opts *o)
{
	struct tree *t = calloc(1, sizeof(*t));
	struct check__source src;
	char abs[PATH_MAX], dirbuf[PATH_MAX], name[4096];
	struct stat st;
	int rc = 0;

	if (!t)
		return gs_error(GS_ENOMEM, "out of memory");
	if (stat(path, &st) < 0 || !realpath(path, abs)) {
		rc = gs_error(errno == ENOENT ? GS_ENOTFOUND : GS_EIO, "%s: %s", path,
		              strerror(errno));
		goto out;
	}
	snprintf(dirbuf, sizeof(dirbuf), "%s", abs);
	if (!S_ISDIR(st.st_mode)) {
		char *slash = strrchr(dirbuf, '/');
		if (slash == dirbuf)
			dirbuf[1] = 0;
		else if (slash)
			*slash = 0;
	}
	find_top(t, dirbuf);
	src.read = disk_read;
	src.arg = t;
	check__ctx_init(&t->c, o, &src);
	if (t->in_repo)
		t->sealignore = load_ignore(t, ".gitsealignore");
	t->c.root_name = root_name(t);
	if (!S_ISDIR(st.st_mode)) {
		/* a file named on the command line is checked whatever the ignore files say */
		struct buf data = BUF_INIT_SECRET(TREE_FILE_MAX);
		if ((rc = file_read(&data, path)) >= 0)
			rc = check__file(&t->c, r, path, rel_of(t, abs), data.p, data.len);
		buf_release(&data);
		goto out;
	}
	/* names are shown as walked from the argument ("apps/x.yaml", or "x.yaml" for ".") */
	if (!strcmp(path, ".") || !strcmp(path, "./"))
		name[0] = 0;
	else
		snprintf(name, sizeof(name), "%s%s", path,
		         path[strlen(path) - 1] == '/' ? "" : "/");
	if ((rc = push_parents(t, rel_of(t, abs))) < 0)
		goto out;
	if (t->in_repo && t->nlv) {
		/* .git/info/exclude applies from the root, as the root's .gitignore does */
		struct ignore *ex = load_ignore(t, ".git/info/exclude");
		if (ex) {
			if (t->nlv < sizeof(t->lv) / sizeof(t->lv[0]) &&
			    (t->lv[t->nlv].rel = strdup(""))) {
				t->lv[t->nlv].ig = ex;
				t->nlv++;
			} else {
				ignore_free(ex);
			}
		}
	}
	rc = walk(t, r, abs, rel_of(t, abs), name, 0);
out:
	while (t->nlv)
		pop_level(t);
	ignore_free(t->sealignore);
	check__ctx_release(&t->c);
	free(t);
	return rc;
}

int check_paths(struct check_report *r, const char *const *paths, size_t n,
                const struct check_opts *o)
{
	size_t i;
	int rc;
	for (i = 0; i < n; i++)
		if ((rc = check_path(r, paths[i], o)) < 0)
			return rc;
	return 0;
}
