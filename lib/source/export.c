/*
 * A commit's tree written out once, read-only: files 0444 (0555 when the commit
 * marks them executable), directories 0555, submodules as empty directories (as
 * `git archive` does). Paths listed in the commit's own .gitsealignore (gitignore
 * syntax, at the root) are left out. Names that could climb out ("..", "." or a
 * '/') are refused, and so is every symbolic link that leads outside the tree,
 * directly or through other links: each one is resolved with
 * openat2(RESOLVE_BENEATH), which fails exactly when the walk would leave the root
 * (where openat2 is missing, a target with ".." or a leading '/' is refused).
 * Caps on the bytes and the entries of one tree bound what a hostile repository
 * can make us write.
 *
 * Directories are walked with *at() calls on open descriptors, so no path is ever
 * re-resolved through something the tree itself created.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "source/source_int.h"

#define BLOCK 4096

struct exp {
	git_repository *repo;
	git_odb *odb;
	const struct source_cache_opts *o;
	uint64_t content, disk, entries;
	int ignore;
	source_progress_fn progress;
	void *progress_data;
	uint64_t files;
	struct buf path;  /* of the current entry, relative to the root */
	struct buf links; /* relative paths of the symlinks, NUL-separated */
};

static uint64_t blocks(uint64_t n)
{
	return (n + BLOCK - 1) / BLOCK * BLOCK;
}

static int write_blob(struct exp *x, int dirfd, const char *name, const git_oid *id, mode_t mode)
{
	git_odb_object *obj = NULL;
	const char *data;
	size_t size;
	int fd = -1, rc = 0;

	if (git_odb_read(&obj, x->odb, id) < 0)
		return source__git_error(GS_EIO, x->path.p);
	size = git_odb_object_size(obj);
	data = git_odb_object_data(obj);
	if (x->content + size > x->o->max_tree_bytes) {
		rc = gs_error(GS_ETOOBIG, "%s: the tree is over its cap of %llu bytes", x->path.p,
		              (unsigned long long)x->o->max_tree_bytes);
		goto out;
	}
	x->content += size;
	x->disk += blocks(size);
	if ((fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)) <
	    0) {
		rc = gs_error(GS_EIO, "%s: %s", x->path.p, strerror(errno));
		goto out;
	}
	if ((rc = file_write_all(fd, data, size, x->path.p)) < 0)
		goto out;
	if (fchmod(fd, mode) < 0) /* whatever the umask */
		rc = gs_error(GS_EIO, "%s: chmod: %s", x->path.p, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	git_odb_object_free(obj);
	return rc;
}

static int write_link(struct exp *x, int dirfd, const char *name, const git_oid *id)
{
	git_odb_object *obj = NULL;
	char target[4096];
	size_t size;
	int rc = 0;

	if (git_odb_read(&obj, x->odb, id) < 0)
		return source__git_error(GS_EIO, x->path.p);
	size = git_odb_object_size(obj);
	if (size == 0 || size >= sizeof(target) || memchr(git_odb_object_data(obj), '\0', size)) {
		rc = gs_error(GS_EPARSE, "%s: not a usable symbolic link", x->path.p);
		goto out;
	}
	memcpy(target, git_odb_object_data(obj), size);
	target[size] = '\0';
	if (symlinkat(target, dirfd, name) < 0) {
		rc = gs_error(GS_EIO, "%s: symlink: %s", x->path.p, strerror(errno));
		goto out;
	}
	x->disk += BLOCK;
	rc = buf_add(&x->links, x->path.p, x->path.len + 1);
out:
	git_odb_object_free(obj);
	return rc;
}

static int is_ignored(struct exp *x, int dir)
{
	int ign = 0;
	if (!x->ignore)
		return 0;
	if (dir && buf_addc(&x->path, '/') < 0)
		return 0;
	if (git_ignore_path_is_ignored(&ign, x->repo, x->path.p) < 0) {
		gs_error_clear();
		ign = 0;
	}
	if (dir)
		buf_truncate(&x->path, x->path.len - 1);
	return ign;
}

static int export_tree(struct exp *x, const git_tree *tree, int dirfd, int depth)
{
	size_t n = git_tree_entrycount(tree), i, plen = x->path.len;
	int rc = 0;

	if (depth > 256)
		return gs_error(GS_ETOOBIG, "%s: directories nested over 256 deep", x->path.p);
	for (i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(te);
		git_filemode_t mode = git_tree_entry_filemode(te);
		const git_oid *id = git_tree_entry_id(te);

		buf_truncate(&x->path, plen);
		if ((plen && (rc = buf_addc(&x->path, '/')) < 0) ||
		    (rc = buf_adds(&x->path, name)) < 0)
			break;
		if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/')) {
			rc = gs_error(GS_EPARSE, "tree entry '%s': not a valid file name",
			              x->path.p);
			break;
		}
		if (is_ignored(x, mode == GIT_FILEMODE_TREE))
			continue;
		if (x->progress && mode != GIT_FILEMODE_TREE && (++x->files & 255) == 0) {
			struct source_progress p;
			memset(&p, 0, sizeof(p));
			p.exported_files = x->files;
			if (x->progress(x->progress_data, &p)) {
				rc = gs_error(GS_ERROR, "cancelled");
				break;
			}
		}
		if (++x->entries > x->o->max_tree_files) {
			rc = gs_error(GS_ETOOBIG, "the tree has more than %llu entries (the cap)",
			              (unsigned long long)x->o->max_tree_files);
			break;
		}
		switch (mode) {
		case GIT_FILEMODE_TREE: {
			git_tree *sub = NULL;
			int fd;
			if (mkdirat(dirfd, name, 0700) < 0 ||
			    (fd = openat(dirfd, name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				rc = gs_error(GS_EIO, "%s: %s", x->path.p, strerror(errno));
				break;
			}
			x->disk += BLOCK;
			if (git_tree_lookup(&sub, x->repo, id) < 0)
				rc = source__git_error(GS_EIO, x->path.p);
			else
				rc = export_tree(x, sub, fd, depth + 1);
			git_tree_free(sub);
			if (rc == 0 && fchmod(fd, 0555) < 0)
				rc = gs_error(GS_EIO, "%s: chmod: %s", x->path.p, strerror(errno));
			close(fd);
			break;
		}
		case GIT_FILEMODE_BLOB: rc = write_blob(x, dirfd, name, id, 0444); break;
		case GIT_FILEMODE_BLOB_EXECUTABLE: rc = write_blob(x, dirfd, name, id, 0555); break;
		case GIT_FILEMODE_LINK: rc = write_link(x, dirfd, name, id); break;
		case GIT_FILEMODE_COMMIT: /* a submodule: an empty directory */
			if (mkdirat(dirfd, name, 0555) < 0)
				rc = gs_error(GS_EIO, "%s: %s", x->path.p, strerror(errno));
			x->disk += BLOCK;
			break;
		default:
			rc = gs_error(GS_EPARSE, "%s: unknown file mode %o", x->path.p,
			              (unsigned)mode);
		}
	}
	buf_truncate(&x->path, plen);
	return rc;
}

/* every symlink must resolve inside the root */
static int check_links(struct exp *x, int rootfd)
{
	const char *p = x->links.p, *end = x->links.p + x->links.len;
	for (; p < end; p += strlen(p) + 1) {
		struct open_how how;
		long fd;
		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
		if (fd >= 0) {
			close((int)fd);
			continue;
		}
		if (errno == EXDEV)
			return gs_error(GS_EPARSE,
			                "symbolic link '%s' leads outside the repository", p);
		if (errno == ENOSYS || errno == EPERM) {
			char target[4096];
			ssize_t n = readlinkat(rootfd, p, target, sizeof(target) - 1);
			if (n < 0)
				return gs_error(GS_EIO, "%s: %s", p, strerror(errno));
			target[n] = '\0';
			if (target[0] == '/' || !strcmp(target, "..") ||
			    !strncmp(target, "../", 3) || strstr(target, "/../") ||
			    (n >= 3 && !strcmp(target + n - 3, "/..")))
				return gs_error(
				    GS_EPARSE, "symbolic link '%s' may lead outside the repository",
				    p);
		}
		/* ENOENT, ELOOP, ENOTDIR: broken, but inside */
	}
	return 0;
}

/* the root's .gitsealignore, if it has one, as libgit2 ignore rules */
static int load_ignore(struct exp *x, const git_tree *root)
{
	const git_tree_entry *te = git_tree_entry_byname(root, ".gitsealignore");
	git_odb_object *obj = NULL;
	char *rules;
	int rc = 0;

	if (!te || git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB)
		return 0;
	if (git_odb_read(&obj, x->odb, git_tree_entry_id(te)) < 0)
		return source__git_error(GS_EIO, ".gitsealignore");
	if (!(rules = strndup(git_odb_object_data(obj), git_odb_object_size(obj))))
		rc = gs_error(GS_ENOMEM, "out of memory");
	else if (git_ignore_add_rule(x->repo, rules) < 0)
		rc = source__git_error(GS_EPARSE, ".gitsealignore");
	else
		x->ignore = 1;
	free(rules);
	git_odb_object_free(obj);
	return rc;
}

int source__export(git_repository *repo, const git_oid *commit, const char *dir,
                   const struct source_cache_opts *o, source_progress_fn progress,
                   void *progress_data, uint64_t *bytes)
{
	struct exp x;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int rootfd = -1, rc;

	memset(&x, 0, sizeof(x));
	x.repo = repo;
	x.o = o;
	x.progress = progress;
	x.progress_data = progress_data;
	buf_init(&x.path, 8192, 0);
	buf_init(&x.links, (size_t)64 << 20, 0);
	*bytes = 0;
	if (git_repository_odb(&x.odb, repo) < 0 || git_commit_lookup(&c, repo, commit) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		rc = source__git_error(GS_EIO, git_oid_tostr_s(commit));
		goto out;
	}
	if (mkdir(dir, 0700) < 0 || (rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = gs_error(GS_EIO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((rc = load_ignore(&x, tree)) < 0 || (rc = export_tree(&x, tree, rootfd, 0)) < 0 ||
	    (rc = check_links(&x, rootfd)) < 0)
		goto out;
	if (fchmod(rootfd, 0555) < 0) {
		rc = gs_error(GS_EIO, "%s: chmod: %s", dir, strerror(errno));
		goto out;
	}
	*bytes = x.disk + BLOCK;
out:
	if (x.ignore)
		git_ignore_clear_internal_rules(repo);
	if (rootfd >= 0)
		close(rootfd);
	git_tree_free(tree);
	git_commit_free(c);
	git_odb_free(x.odb);
	buf_release(&x.path);
	buf_release(&x.links);
	if (rc < 0)
		rc = gs_error_prefix(rc, "export %s", git_oid_tostr_s(commit));
	return rc;
}

/* --- removing and measuring trees ------------------------------------------------ */

static int rm_at(int at, const char *name, int depth)
{
	struct stat st;
	int fd, rc = 0;
	DIR *d;
	struct dirent *de;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if (depth > 300 ||
	    (fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	fchmod(fd, 0700); /* 0555 directories: make room to unlink */
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_at(dirfd(d), de->d_name, depth + 1) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int source__rmtree(const char *path)
{
	if (rm_at(AT_FDCWD, path, 0) < 0)
		return gs_error(GS_EIO, "remove %s: %s", path, strerror(errno));
	return 0;
}

static uint64_t du_at(int at, const char *name, int depth)
{
	struct stat st;
	uint64_t sum;
	int fd;
	DIR *d;
	struct dirent *de;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	sum = (uint64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode) || depth > 300)
		return sum;
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return sum;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return sum;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			sum += du_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return sum;
}

uint64_t source__du(const char *path)
{
	return du_at(AT_FDCWD, path, 0);
}
