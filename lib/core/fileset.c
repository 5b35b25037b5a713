/*
 * Several files replaced as one: every new content is written to a temp file beside its
 * target (same directory, same mode, fsync'd) before any target is touched, then all are
 * renamed. A failure while staging removes the temps and leaves every target as it was;
 * rename(2) in the same directory does not fail for want of space, so once the first rename
 * happens the rest follow (gitseal rotate, reseal, seal --cluster-cert: all-or-nothing).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"

struct file_set_ent {
	char *path; /* the target (through symlinks: the real file) */
	char *tmp;  /* the staged content */
	char *name; /* for messages */
};

struct file_set {
	struct file_set_ent *ent;
	size_t n, cap;
	int committed;
};

int file_set_new(struct file_set **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return gs_error(GS_ENOMEM, "out of memory");
	return 0;
}

size_t file_set_count(const struct file_set *s)
{
	return s ? s->n : 0;
}

int file_set_add(struct file_set *s, const char *path, const void *data, size_t len, mode_t mode)
{
	struct file_set_ent e = { NULL, NULL, NULL };
	struct stat st;
	char *dir = NULL;
	int fd = -1, rc;

	if (!stat(path, &st)) {
		if (!S_ISREG(st.st_mode))
			return gs_error(GS_EINVAL, "%s: not a regular file", path);
		mode = st.st_mode & 07777;
	}
	if (!(e.name = strdup(path)) ||
	    (!(e.path = realpath(path, NULL)) && !(e.path = strdup(path))) ||
	    !(dir = strdup(e.path))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (asprintf(&e.tmp, "%s/.%s.XXXXXX", dirname(dir),
	             strrchr(e.path, '/') ? strrchr(e.path, '/') + 1 : e.path) < 0) {
		e.tmp = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((fd = mkostemp(e.tmp, O_CLOEXEC)) < 0) {
		free(e.tmp);
		e.tmp = NULL;
		rc = gs_error(GS_EIO, "%s: cannot create a file beside it: %s", path,
		              strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0)
		rc = gs_error(GS_EIO, "%s: chmod: %s", path, strerror(errno));
	else if ((rc = file_write_all(fd, data, len, path)) >= 0 && fsync(fd) < 0)
		rc = gs_error(GS_EIO, "%s: fsync: %s", path, strerror(errno));
	if (close(fd) < 0 && rc >= 0)
		rc = gs_error(GS_EIO, "%s: close: %s", path, strerror(errno));
	if (rc < 0)
		goto out;
	if (s->n == s->cap) {
		struct file_set_ent *n = realloc(s->ent, (s->cap ? 2 * s->cap : 16) * sizeof(*n));
		if (!n) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		s->ent = n;
		s->cap = s->cap ? 2 * s->cap : 16;
	}
	s->ent[s->n++] = e;
	memset(&e, 0, sizeof(e));
	rc = 0;
out:
	if (e.tmp)
		unlink(e.tmp);
	free(e.tmp);
	free(e.path);
	free(e.name);
	free(dir);
	return rc;
}

int file_set_commit(struct file_set *s)
{
	size_t i;
	for (i = 0; i < s->n; i++) {
		if (rename(s->ent[i].tmp, s->ent[i].path) < 0)
			return gs_error(GS_EIO, "%s: rename: %s (%zu of %zu files replaced)",
			                s->ent[i].name, strerror(errno), i, s->n);
		free(s->ent[i].tmp);
		s->ent[i].tmp = NULL;
	}
	s->committed = 1;
	return 0;
}

void file_set_free(struct file_set *s)
{
	size_t i;
	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->ent[i].tmp)
			unlink(s->ent[i].tmp); /* not committed: the target stays as it was */
		free(s->ent[i].tmp);
		free(s->ent[i].path);
		free(s->ent[i].name);
	}
	free(s->ent);
	free(s);
}
