#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_fd(struct buf *out, int fd, const char *name)
{
	int rc;
	for (;;) {
		ssize_t n;
		if ((rc = buf_grow(out, 65536)) < 0) {
			if (rc == GS_ETOOBIG) {
				/* maybe the file fits exactly: try a smaller read */
				if (out->max - out->len == 0)
					return gs_error(GS_ETOOBIG, "%s: larger than %zu bytes",
					                name, out->max);
				if ((rc = buf_grow(out, out->max - out->len)) < 0)
					return rc;
			} else {
				return rc;
			}
		}
		n = read(fd, out->p + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return gs_error(GS_EIO, "%s: read: %s", name, strerror(errno));
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->p[out->len] = '\0';
	}
	return 0;
}

int file_read(struct buf *out, const char *path)
{
	int fd, rc;
	if (!strcmp(path, "-"))
		return file_read_fd(out, 0, "stdin");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gs_error(errno == ENOENT ? GS_ENOTFOUND : GS_EIO, "open %s: %s", path,
		                errno == ENOENT ? "no such file or directory" : strerror(errno));
	rc = file_read_fd(out, fd, path);
	close(fd);
	return rc;
}

int file_write_all(int fd, const void *data, size_t len, const char *name)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return gs_error(GS_EIO, "write %s: %s", name, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * An existing device, FIFO or socket (`-o /dev/null`, a pipe) is written in place:
 * renaming a temp file over it would replace /dev/null itself when run as root.
 */
static int file_write_special(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;
	if (fd < 0)
		return gs_error(GS_EIO, "open %s: %s", path, strerror(errno));
	rc = file_write_all(fd, data, len, path);
	if (close(fd) < 0 && rc == 0)
		rc = gs_error(GS_EIO, "close %s: %s", path, strerror(errno));
	return rc;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int keep_mode)
{
	char *dup = NULL, *tmp = NULL, *real = NULL;
	struct stat st;
	int fd = -1, rc;

	if (!strcmp(path, "-"))
		return file_write_all(1, data, len, "stdout");
	if (!stat(path, &st) && !S_ISREG(st.st_mode))
		return file_write_special(path, data, len);
	if (keep_mode && !stat(path, &st))
		mode = st.st_mode & 07777;
	/* through a symlink: replace its target, not the link */
	if (!(dup = realpath(path, NULL)) && !(dup = strdup(path))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	real = dup;
	if (!(dup = strdup(real)) ||
	    asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dup),
	             strrchr(real, '/') ? strrchr(real, '/') + 1 : real) < 0) {
		tmp = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		rc = gs_error(GS_EIO, "create %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		rc = gs_error(GS_EIO, "chmod %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = file_write_all(fd, data, len, path)) < 0)
		goto out;
	if (fsync(fd) < 0) {
		rc = gs_error(GS_EIO, "fsync %s: %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, real) < 0) {
		rc = gs_error(GS_EIO, "rename to %s: %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dup);
	free(real);
	return rc;
}

int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}
