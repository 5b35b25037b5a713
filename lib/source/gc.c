/*
 * The collector: trees and repositories unused for max_idle_s go, then the least
 * recently used ones while the cache is over max_bytes. "Used" is the mtime of the
 * lock file (touched whenever a tree is handed out or a repository fetched into).
 * Something is removed only under its lock taken with LOCK_EX|LOCK_NB (never what
 * a process is reading or fetching into), renamed away first so that it vanishes
 * at once, then deleted. Leftovers of interrupted exports in tmp/ go after an hour.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "source/source_int.h"

#define TMP_MAX_AGE_S 3600

struct cand {
	char *dir, *lock;
	char name[300]; /* commit, or the repository directory name */
	uint64_t size;
	time_t used;
	int tree;
};

static int by_use(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	return x->used < y->used ? -1 : x->used > y->used;
}

static uint64_t size_from_lock(const char *lock, const char *dir)
{
	char buf[32];
	ssize_t n;
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	unsigned long long v = 0;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "%llu", &v) == 1 && v > 0)
				return v;
		}
	}
	return source__du(dir);
}

static int add_cand(struct cand **v, size_t *n, size_t *cap, const char *base, const char *name,
                    int tree)
{
	struct cand *c;
	struct stat st;
	size_t len = strlen(name);
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct cand *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return gs_error(GS_ENOMEM, "out of memory");
		*v = nv;
		*cap = nc;
	}
	c = &(*v)[*n];
	memset(c, 0, sizeof(*c));
	c->tree = tree;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (asprintf(&c->dir, "%s/%s", base, name) < 0)
		return gs_error(GS_ENOMEM, "out of memory");
	if (asprintf(&c->lock, "%s/%.*s.lock", base, (int)(tree ? len : len - 4), name) < 0) {
		free(c->dir);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if (stat(c->lock, &st) == 0 || stat(c->dir, &st) == 0)
		c->used = st.st_mtime;
	c->size = tree ? size_from_lock(c->lock, c->dir) : source__du(c->dir);
	(*n)++;
	return 0;
}

static int is_commit_name(const char *s)
{
	size_t i;
	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[40] == '\0';
}

/* Take the lock of c exclusively, without waiting; -1 if anyone holds it. */
static int take_exclusive(const char *lock)
{
	struct stat a, b;
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &a) < 0 || stat(lock, &b) < 0 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

/* rename away and delete; 1 when removed, 0 when in use */
static int remove_cand(struct source_cache *c, const struct cand *k)
{
	static unsigned seq;
	char trash[4096];
	struct source__tree_ent *te;
	int fd, removed = 0;

	pthread_mutex_lock(&c->mu);
	if (k->tree) {
		for (te = c->trees; te && strcmp(te->commit, k->name); te = te->next)
			;
		if (te && te->state != 0)
			goto out_unlock;
	}
	/* a repository in use (here or elsewhere) holds LOCK_EX on its lock file: flock says so */
	if ((fd = take_exclusive(k->lock)) < 0)
		goto out_unlock;
	snprintf(trash, sizeof(trash), "%s/trash.%s.%ld.%u", c->tmp_dir, k->name, (long)getpid(),
	         ++seq);
	/* a 0555 tree moves to another parent only when writable (see ensure_tree) */
	if (k->tree)
		chmod(k->dir, 0700);
	if (rename(k->dir, trash) == 0 || errno == ENOENT) {
		unlink(k->lock);
		removed = 1;
	}
	close(fd);
out_unlock:
	pthread_mutex_unlock(&c->mu);
	if (removed) {
		source__rmtree(trash);
		gs_error_clear();
		source__stat_add(c, &c->stats.collected, 1);
	}
	return removed;
}

static void clean_tmp(struct source_cache *c, time_t now)
{
	DIR *d = opendir(c->tmp_dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->tmp_dir, de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		/* trash.* is ours to delete at once; anything else may be an export in progress */
		if (!strncmp(de->d_name, "trash.", 6) || now - st.st_mtime > TMP_MAX_AGE_S)
			source__rmtree(path);
	}
	closedir(d);
	gs_error_clear();
}

int source_cache_gc(struct source_cache *c)
{
	struct cand *v = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t total = 0;
	time_t now = time(NULL);
	DIR *d;
	struct dirent *de;
	int rc = 0;

	clean_tmp(c, now);
	if ((d = opendir(c->trees_dir))) {
		while (rc == 0 && (de = readdir(d))) {
			size_t len = strlen(de->d_name);
			if (is_commit_name(de->d_name)) {
				rc = add_cand(&v, &n, &cap, c->trees_dir, de->d_name, 1);
			} else if (len == 45 && !strcmp(de->d_name + 40, ".lock")) {
				/* a lock whose tree is gone (a failed export): remove it when
				 * nobody holds it */
				char dir[4096], lock[4096];
				struct stat st;
				int fd;
				snprintf(dir, sizeof(dir), "%s/%.40s", c->trees_dir, de->d_name);
				snprintf(lock, sizeof(lock), "%s/%s", c->trees_dir, de->d_name);
				if (stat(dir, &st) < 0 && errno == ENOENT) {
					pthread_mutex_lock(&c->mu);
					if ((fd = take_exclusive(lock)) >= 0) {
						if (stat(dir, &st) < 0)
							unlink(lock);
						close(fd);
					}
					pthread_mutex_unlock(&c->mu);
				}
			}
		}
		closedir(d);
	}
	if (rc == 0 && (d = opendir(c->repos_dir))) {
		while (rc == 0 && (de = readdir(d))) {
			size_t len = strlen(de->d_name);
			if (len > 4 && !strcmp(de->d_name + len - 4, ".git"))
				rc = add_cand(&v, &n, &cap, c->repos_dir, de->d_name, 0);
		}
		closedir(d);
	}
	if (rc < 0)
		goto out;
	if (n)
		qsort(v, n, sizeof(*v), by_use);
	for (i = 0; i < n; i++)
		total += v[i].size;
	for (i = 0; i < n; i++) {
		if (now - v[i].used <= c->opts.max_idle_s && total <= c->opts.max_bytes)
			continue;
		if (remove_cand(c, &v[i]))
			total -= v[i].size;
	}
out:
	for (i = 0; i < n; i++) {
		free(v[i].dir);
		free(v[i].lock);
	}
	free(v);
	return rc;
}
