/*
 * Staged copies: the part of a tree a renderer must read, copied into this
 * render's private directory (0700, in memory) where some files can be
 * replaced by the decrypt stage's plaintext, or a chart's output added for a
 * post-render. The tree's layout is kept below the copy's root, so relative
 * references (../../base) still resolve. Wiping overwrites every file with
 * zeros before it is unlinked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/file.h"
#include "render/render_int.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif

static int zero_file(const char *path, const struct stat *st)
{
	static const char zeros[65536];
	off_t left = st->st_size;
	int fd;

	if (!(st->st_mode & S_IWUSR))
		chmod(path, 0600);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	while (left > 0) {
		size_t n = left > (off_t)sizeof(zeros) ? sizeof(zeros) : (size_t)left;
		ssize_t w = write(fd, zeros, n);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			break;
		}
		left -= w;
	}
	close(fd);
	return 0;
}

static int wipe_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode)) {
		zero_file(path, st);
		unlink(path);
	} else if (type == FTW_DP || type == FTW_D || type == FTW_DNR) {
		chmod(path, 0700);
		rmdir(path);
	} else {
		unlink(path); /* symlinks, sockets, fifos */
	}
	return 0;
}

void render__wipe_tree(const char *path)
{
	struct stat st;

	if (!path || lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && !(st.st_mode & S_IRWXU))
		chmod(path, 0700);
	/* FTW_DEPTH: children first; FTW_PHYS: never follow a link out of the copy */
	nftw(path, wipe_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void render__stage_wipe(struct render__stage *st)
{
	if (!st)
		return;
	render__wipe_tree(st->dir);
	free(st->dir);
	memset(st, 0, sizeof(*st));
}

int render__stage_new(struct render__ctx *c, struct render__stage *st)
{
	struct statfs fs;
	char *dir;
	int rc, n;

	memset(st, 0, sizeof(*st));
	if ((rc = render__private_dir(c)) < 0)
		return rc;
	if (statfs(c->priv, &fs) < 0)
		return gs_error(GS_EIO, "%s: %s", c->priv, strerror(errno));
	if ((unsigned long)fs.f_type != TMPFS_MAGIC && (unsigned long)fs.f_type != RAMFS_MAGIC)
		return gs_error(
		    GS_EINVAL,
		    "render: %s is not an in-memory file system (tmpfs): decrypted files "
		    "are never staged on disk; set GITSEAL_RENDER_TMPDIR",
		    c->tmpbase);
	for (n = 0; n < 100; n++) {
		char name[32];
		snprintf(name, sizeof(name), "stage%d", n);
		if (!(dir = render__join(c->priv, name)))
			return gs_error(GS_ENOMEM, "out of memory");
		if (mkdir(dir, 0700) == 0) {
			st->dir = dir;
			return 0;
		}
		rc = errno;
		free(dir);
		if (rc != EEXIST)
			return gs_error(GS_EIO, "%s: %s", c->priv, strerror(rc));
	}
	return gs_error(GS_EIO, "%s: too many staged copies", c->priv);
}

/* mkdir -p of the directories above rel, below the copy's root */
static int make_parents(const char *root, const char *rel)
{
	char path[PATH_MAX];
	size_t rl = strlen(root), i, n = strlen(rel);

	if (rl + 1 + n >= sizeof(path))
		return gs_error(GS_EINVAL, "%s: path too long", rel);
	memcpy(path, root, rl);
	path[rl] = '/';
	memcpy(path + rl + 1, rel, n + 1);
	for (i = rl + 1; path[i]; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return gs_error(GS_EIO, "%s: %s", path, strerror(errno));
		path[i] = '/';
	}
	return 0;
}

static int copy_file(struct render__ctx *c, struct render__stage *st, const char *src,
                     const char *dst, const char *rel)
{
	char chunk[65536];
	int in = -1, out = -1, rc = 0;
	ssize_t r;

	if (++st->files > RENDER__STAGE_FILES)
		return gs_error(GS_ETOOBIG, "%s: more than %d files to stage",
		                c->app[0] ? c->app : ".", RENDER__STAGE_FILES);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return gs_error(GS_EIO, "%s: %s", rel, strerror(errno));
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		rc = gs_error(GS_EIO, "%s: %s", dst, strerror(errno));
		goto out;
	}
	while ((r = read(in, chunk, sizeof(chunk))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = gs_error(GS_EIO, "%s: %s", rel, strerror(errno));
			goto out;
		}
		if ((st->bytes += (size_t)r) > RENDER__STAGE_MAX) {
			rc = gs_error(GS_ETOOBIG, "%s: more than %zu MiB to stage",
			              c->app[0] ? c->app : ".", RENDER__STAGE_MAX >> 20);
			goto out;
		}
		if ((rc = file_write_all(out, chunk, (size_t)r, dst)) < 0)
			goto out;
	}
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int copy_tree(struct render__ctx *c, struct render__stage *st, const char *rel, int depth)
{
	char *src = render__abs(c, rel), *dst = render__join(st->dir, rel[0] ? rel : ".");
	struct dirent *e;
	DIR *d = NULL;
	int rc = 0;

	if (!src || !dst) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (depth > 64) {
		rc = gs_error(GS_ETOOBIG, "%s: directories nested deeper than 64 levels", rel);
		goto out;
	}
	if (mkdir(dst, 0700) < 0 && errno != EEXIST) {
		rc = gs_error(GS_EIO, "%s: %s", dst, strerror(errno));
		goto out;
	}
	if (!(d = opendir(src))) {
		rc = gs_error(GS_EIO, "%s: %s", rel[0] ? rel : ".", strerror(errno));
		goto out;
	}
	while (rc >= 0 && (e = readdir(d))) {
		char *crel, *csrc, *cdst, *checked = NULL;
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		crel = render__join(rel, e->d_name);
		csrc = render__join(src, e->d_name);
		cdst = render__join(dst, e->d_name);
		if (!crel || !csrc || !cdst) {
			rc = gs_error(GS_ENOMEM, "out of memory");
		} else if (lstat(csrc, &sb) < 0) {
			rc = gs_error(GS_EIO, "%s: %s", crel, strerror(errno));
		} else if (S_ISLNK(sb.st_mode) &&
		           ((rc = render__resolve(&checked, c, "", crel, "link")) < 0 ||
		            stat(csrc, &sb) < 0)) {
			if (rc >= 0)
				rc = 0; /* a dangling link: nothing to copy */
			sb.st_mode = 0;
		}
		if (rc >= 0 && S_ISDIR(sb.st_mode))
			rc = copy_tree(c, st, crel, depth + 1);
		else if (rc >= 0 && S_ISREG(sb.st_mode))
			rc = copy_file(c, st, csrc, cdst, crel);
		free(checked);
		free(crel);
		free(csrc);
		free(cdst);
	}
out:
	if (d)
		closedir(d);
	free(src);
	free(dst);
	return rc;
}

int render__stage_copy_dir(struct render__ctx *c, struct render__stage *st, const char *rel)
{
	int rc;

	if (rel[0] && (rc = make_parents(st->dir, rel)) < 0)
		return rc;
	return copy_tree(c, st, rel, 0);
}

int render__stage_write(struct render__stage *st, const char *rel, const void *data, size_t len)
{
	char *dst = render__join(st->dir, rel);
	int fd, rc;

	if (!dst)
		return gs_error(GS_ENOMEM, "out of memory");
	if ((rc = make_parents(st->dir, rel)) < 0)
		goto out;
	unlink(dst); /* the copied original (never the tree: dst is in the copy) */
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		rc = gs_error(GS_EIO, "%s: %s", rel, strerror(errno));
		goto out;
	}
	rc = file_write_all(fd, data, len, rel);
	close(fd);
out:
	free(dst);
	return rc < 0 ? rc : 0;
}
