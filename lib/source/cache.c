/*
 * The cache directory and who may touch what in it.
 *
 * Repositories: one operation at a time per remote, in this process (an entry
 * with a condition variable) and across processes (flock(LOCK_EX) on
 * repos/<name>.lock), both waits bounded by the operation's deadline. The lock
 * file's mtime is the repository's last use.
 *
 * Trees: a handed-out tree holds flock(LOCK_SH) on trees/<commit>.lock, shared by
 * all handles of this process on that commit; the collector removes a tree only
 * under LOCK_EX|LOCK_NB, so never one that any process is reading. Two exporters
 * of one commit (threads wait for each other; processes race) each write a private
 * copy under tmp/ and rename it into place; the loser's copy is discarded.
 * Nothing is locked while a tree is being read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/error.h"
#include "source/source_int.h"

#define GC_EVERY_MS 60000

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t i, n = strlen(path);
	if (n >= sizeof(tmp))
		return gs_error(GS_EINVAL, "%s: path too long", path);
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return gs_error(GS_EIO, "mkdir %s: %s", tmp, strerror(errno));
		tmp[i] = i == n ? '\0' : '/';
	}
	return 0;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

int source_cache_open(struct source_cache **out, const struct source_cache_opts *opts)
{
	struct source_cache *c = NULL;
	pthread_condattr_t ca;
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir = NULL;
	int rc;

	*out = NULL;
	if ((rc = source__git_init()) < 0)
		return rc;
	if (opts && opts->dir && *opts->dir)
		dir = strdup(opts->dir);
	else if (xdg && *xdg == '/')
		dir = join(xdg, "gitseal");
	else if (home && *home)
		dir = join(home, ".cache/gitseal");
	else
		return gs_error(GS_EINVAL, "no cache directory: set XDG_CACHE_HOME or HOME");
	if (!dir || !(c = calloc(1, sizeof(*c)))) {
		free(dir);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	c->dir = dir;
	if (opts)
		c->opts = *opts;
	c->opts.dir = c->dir;
	if (!c->opts.max_bytes)
		c->opts.max_bytes = (uint64_t)2 << 30;
	if (c->opts.max_idle_s <= 0)
		c->opts.max_idle_s = 24 * 3600;
	if (!c->opts.max_tree_bytes)
		c->opts.max_tree_bytes = (uint64_t)1 << 30;
	if (!c->opts.max_tree_files)
		c->opts.max_tree_files = 200000;
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	c->last_gc = gs_mono_ms();
	if ((rc = gs_random_bytes(c->creds_key, sizeof(c->creds_key))) < 0)
		goto fail;
	if (!(c->repos_dir = join(dir, "repos")) || !(c->trees_dir = join(dir, "trees")) ||
	    !(c->tmp_dir = join(dir, "tmp"))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = mkdir_p(c->repos_dir, 0700)) < 0 || (rc = mkdir_p(c->trees_dir, 0700)) < 0 ||
	    (rc = mkdir_p(c->tmp_dir, 0700)) < 0) {
		rc = gs_error_prefix(rc, "source cache");
		goto fail;
	}
	/* absolute paths: trees are handed to renderers that run elsewhere */
	if (dir[0] != '/') {
		char *abs = realpath(dir, NULL);
		if (!abs) {
			rc = gs_error(GS_EIO, "source cache %s: %s", dir, strerror(errno));
			goto fail;
		}
		free(c->dir);
		free(c->repos_dir);
		free(c->trees_dir);
		free(c->tmp_dir);
		c->dir = abs;
		c->opts.dir = abs;
		c->repos_dir = join(abs, "repos");
		c->trees_dir = join(abs, "trees");
		c->tmp_dir = join(abs, "tmp");
		if (!c->repos_dir || !c->trees_dir || !c->tmp_dir) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	source_cache_free(c);
	return rc;
}

void source_cache_free(struct source_cache *c)
{
	struct source__repo_ent *r, *rn;
	struct source__tree_ent *t, *tn;
	if (!c)
		return;
	for (r = c->repos; r; r = rn) {
		rn = r->next;
		pthread_cond_destroy(&r->cv);
		free(r->key);
		free(r->adv_refs);
		free(r->adv_names);
		free(r);
	}
	for (t = c->trees; t; t = tn) {
		tn = t->next;
		if (t->lockfd >= 0)
			close(t->lockfd);
		free(t);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	gs_wipe(c->creds_key, sizeof(c->creds_key));
	free(c->repos_dir);
	free(c->trees_dir);
	free(c->tmp_dir);
	free(c->dir);
	free(c);
}

const char *source_cache_dir(const struct source_cache *c)
{
	return c->dir;
}

void source__stat_add(struct source_cache *c, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&c->mu);
	*field += n;
	pthread_mutex_unlock(&c->mu);
}

void source_cache_stats(struct source_cache *c, struct source_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->stats;
	pthread_mutex_unlock(&c->mu);
}

/* --- repositories ------------------------------------------------------------------ */

int source__repo_paths(struct source_cache *c, const char *key, struct buf *dir, struct buf *lock)
{
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1], tail[41];
	const char *last = strrchr(key, '/'), *p;
	size_t n = 0;
	int rc;

	/* a readable name (the last path element) and a hash of the whole key */
	if (git_odb_hash(&id, key, strlen(key), GIT_OBJECT_BLOB) < 0)
		return source__git_error(GS_ERROR, "hash");
	git_oid_tostr(hex, sizeof(hex), &id);
	for (p = last ? last + 1 : key; *p && n < 32; p++) {
		if (!strcmp(p, ".git"))
			break;
		tail[n++] =
		    (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'
		               ? *p
		               : '_');
	}
	tail[n] = '\0';
	if ((rc = buf_addf(dir, "%s/%s%s%.16s.git", c->repos_dir, tail, n ? "-" : "", hex)) < 0 ||
	    (rc = buf_addf(lock, "%s/%s%s%.16s.lock", c->repos_dir, tail, n ? "-" : "", hex)) < 0)
		return rc;
	return 0;
}

int source__repo_lock(struct source_cache *c, const char *lockpath, const char *key,
                      int64_t deadline, struct source__repo_ent **entp, int *lockfd)
{
	struct source__repo_ent *e;
	int fd = -1, rc = 0;

	*entp = NULL;
	*lockfd = -1;
	pthread_mutex_lock(&c->mu);
	for (e = c->repos; e && strcmp(e->key, key); e = e->next)
		;
	if (!e) {
		pthread_condattr_t ca;
		if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key))) {
			free(e);
			pthread_mutex_unlock(&c->mu);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&e->cv, &ca);
		pthread_condattr_destroy(&ca);
		e->next = c->repos;
		c->repos = e;
	}
	while (e->busy) {
		struct timespec ts;
		int64_t now = gs_mono_ms();
		if (now >= deadline) {
			pthread_mutex_unlock(&c->mu);
			return gs_error(GS_EIO, "deadline passed waiting for the cache of %s", key);
		}
		gs_mono_abstime(&ts, deadline - now);
		pthread_cond_timedwait(&e->cv, &c->mu, &ts);
	}
	e->busy = 1;
	pthread_mutex_unlock(&c->mu);

	/* across processes (and the collector, which unlinks the file once it holds it) */
	for (;;) {
		struct stat a, b;
		if ((fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			rc = gs_error(GS_EIO, "%s: %s", lockpath, strerror(errno));
			goto fail;
		}
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK && errno != EINTR) {
				rc = gs_error(GS_EIO, "flock %s: %s", lockpath, strerror(errno));
				goto fail;
			}
			if (gs_mono_ms() >= deadline) {
				rc = gs_error(GS_EIO, "deadline passed waiting for %s", lockpath);
				goto fail;
			}
			gs_sleep_ms(10);
		}
		if (fstat(fd, &a) == 0 && stat(lockpath, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(fd);
		fd = -1;
	}
	futimens(fd, NULL); /* last use, for the collector */
	*entp = e;
	*lockfd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	pthread_mutex_lock(&c->mu);
	e->busy = 0;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void source__repo_unlock(struct source_cache *c, struct source__repo_ent *e, int lockfd)
{
	if (lockfd >= 0)
		close(lockfd); /* drops the flock */
	pthread_mutex_lock(&c->mu);
	e->busy = 0;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&c->mu);
}

/* --- trees ------------------------------------------------------------------------- */

static int valid_commit(const char *commit)
{
	size_t i;
	if (!commit || strlen(commit) != 40)
		return 0;
	for (i = 0; i < 40; i++)
		if (!((commit[i] >= '0' && commit[i] <= '9') ||
		      (commit[i] >= 'a' && commit[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Open trees/<commit>.lock and hold LOCK_SH on it, making sure the file is still the
 * linked one (the collector unlinks it after taking LOCK_EX).
 */
static int hold_tree_lock(struct source_cache *c, const char *commit, int *out)
{
	char path[4096];
	struct stat a, b;
	int fd;
	snprintf(path, sizeof(path), "%s/%s.lock", c->trees_dir, commit);
	for (;;) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
			return gs_error(GS_EIO, "%s: %s", path, strerror(errno));
		while (flock(fd, LOCK_SH) < 0) {
			if (errno != EINTR) {
				close(fd);
				return gs_error(GS_EIO, "flock %s: %s", path, strerror(errno));
			}
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(fd); /* collected meanwhile: take the new one */
	}
	futimens(fd, NULL);
	*out = fd;
	return 0;
}

/* Make sure trees/<commit> exists, exporting from repo (NULL: fail if it does not). */
static int ensure_tree(struct source_cache *c, const char *commit, git_repository *repo, int lockfd,
                       const struct source_opts *o)
{
	char final[4096], tmp[4096], size[32];
	static unsigned counter;
	unsigned seq;
	struct stat st;
	git_oid id;
	uint64_t bytes = 0;
	int rc;

	snprintf(final, sizeof(final), "%s/%s", c->trees_dir, commit);
	if (stat(final, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (!repo)
		return gs_error(GS_ENOTFOUND, "commit %s: not in the cache", commit);
	pthread_mutex_lock(&c->mu);
	seq = ++counter;
	pthread_mutex_unlock(&c->mu);
	snprintf(tmp, sizeof(tmp), "%s/%s.%ld.%u", c->tmp_dir, commit, (long)getpid(), seq);
	git_oid_fromstr(&id, commit);
	if ((rc = source__export(repo, &id, tmp, &c->opts, o ? o->progress : NULL,
	                         o ? o->progress_data : NULL, &bytes)) < 0) {
		source__rmtree(tmp);
		return rc;
	}
	/* Linux renames a directory into another parent only if it may write the directory
	 * itself (its ".." changes): as a non-root user (the image's uid 1001) a 0555 tree could
	 * not move, so it moves writable and becomes read-only in place */
	if (chmod(tmp, 0700) < 0 || rename(tmp, final) < 0) {
		int e = errno;
		source__rmtree(tmp);
		if ((e == EEXIST || e == ENOTEMPTY) && stat(final, &st) == 0)
			return 0; /* another process exported it first */
		return gs_error(GS_EIO, "rename %s: %s", final, strerror(e));
	}
	if (chmod(final, 0555) < 0)
		return gs_error(GS_EIO, "%s: chmod: %s", final, strerror(errno));
	snprintf(size, sizeof(size), "%llu\n", (unsigned long long)bytes);
	if (ftruncate(lockfd, 0) == 0 && pwrite(lockfd, size, strlen(size), 0) < 0)
		gs_error_clear();
	source__stat_add(c, &c->stats.exports, 1);
	return 0;
}

/* A handle on commit's tree, exported from repo if needed (repo may be NULL). */
static int tree_acquire(struct source_tree **out, struct source_cache *c, const char *commit,
                        git_repository *repo, const struct source_opts *o)
{
	struct source__tree_ent *e;
	struct source_tree *t = NULL;
	int rc = 0, fd = -1;

	*out = NULL;
	if (!valid_commit(commit))
		return gs_error(GS_EINVAL, "'%s' is not a full commit id", commit ? commit : "");
	if (!(t = calloc(1, sizeof(*t))) || !(t->path = join(c->trees_dir, commit))) {
		free(t);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	t->cache = c;
	memcpy(t->commit, commit, 41);

	pthread_mutex_lock(&c->mu);
	for (e = c->trees; e && strcmp(e->commit, commit); e = e->next)
		;
	if (!e) {
		if (!(e = calloc(1, sizeof(*e)))) {
			pthread_mutex_unlock(&c->mu);
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(e->commit, commit, 41);
		e->lockfd = -1;
		e->next = c->trees;
		c->trees = e;
	}
	while (e->state == 1)
		pthread_cond_wait(&c->cv, &c->mu);
	if (e->state == 2) {
		e->refs++;
		pthread_mutex_unlock(&c->mu);
		t->ent = e;
		*out = t;
		return 0;
	}
	e->state = 1; /* ours to open or export; others wait */
	pthread_mutex_unlock(&c->mu);

	if ((rc = hold_tree_lock(c, commit, &fd)) == 0 &&
	    (rc = ensure_tree(c, commit, repo, fd, o)) < 0) {
		close(fd);
		fd = -1;
	}
	pthread_mutex_lock(&c->mu);
	if (rc == 0) {
		e->state = 2;
		e->refs = 1;
		e->lockfd = fd;
		t->ent = e;
	} else {
		e->state = 0;
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (rc == 0) {
		*out = t;
		t = NULL;
	}
out:
	if (t) {
		free(t->path);
		free(t);
	}
	return rc;
}

void source_tree_release(struct source_tree *t)
{
	struct source_cache *c;
	if (!t)
		return;
	c = t->cache;
	pthread_mutex_lock(&c->mu);
	if (--t->ent->refs == 0) {
		close(t->ent->lockfd); /* drops LOCK_SH: the collector may take it now */
		t->ent->lockfd = -1;
		t->ent->state = 0;
	}
	pthread_mutex_unlock(&c->mu);
	free(t->path);
	free(t);
}

const char *source_tree_path(const struct source_tree *t)
{
	return t->path;
}

const char *source_tree_commit(const struct source_tree *t)
{
	return t->commit;
}

static void maybe_gc(struct source_cache *c)
{
	int run = 0;
	pthread_mutex_lock(&c->mu);
	if (!c->gc_running && gs_mono_ms() - c->last_gc >= GC_EVERY_MS) {
		c->gc_running = 1;
		run = 1;
	}
	pthread_mutex_unlock(&c->mu);
	if (!run)
		return;
	if (source_cache_gc(c) < 0)
		gs_error_clear(); /* best effort: the checkout itself succeeded */
	pthread_mutex_lock(&c->mu);
	c->gc_running = 0;
	c->last_gc = gs_mono_ms();
	pthread_mutex_unlock(&c->mu);
}

struct checkout_then {
	struct source_cache *cache;
	struct source_tree *tree;
	const struct source_opts *o;
};

static int checkout_then(void *data, git_repository *repo, const struct source_rev *rev)
{
	struct checkout_then *ct = data;
	return tree_acquire(&ct->tree, ct->cache, rev->commit, repo, ct->o);
}

int source_checkout(struct source_tree **out, struct source_rev *rev, struct source_cache *c,
                    const struct source_opts *o)
{
	struct checkout_then ct = { c, NULL, o };
	struct source_rev r;
	int rc;

	*out = NULL;
	if ((rc = source__update_repo(&r, c, o, 0, checkout_then, &ct)) < 0)
		return rc;
	if (rev)
		*rev = r;
	*out = ct.tree;
	maybe_gc(c);
	return 0;
}

int source_tree_get(struct source_tree **out, struct source_cache *c, const char *url,
                    const char *commit)
{
	struct source_opts o = SOURCE_OPTS_INIT;
	struct source_rev r;
	struct checkout_then ct = { c, NULL, NULL };
	int rc;

	*out = NULL;
	if (!valid_commit(commit))
		return gs_error(GS_EINVAL, "'%s' is not a full commit id", commit ? commit : "");
	/* already exported: no repository needed */
	if ((rc = tree_acquire(out, c, commit, NULL, NULL)) == 0)
		return 0;
	if (rc != GS_ENOTFOUND)
		return rc;
	gs_error_clear();
	o.url = url;
	o.revision = commit;
	if ((rc = source__update_repo(&r, c, &o, 1, checkout_then, &ct)) < 0)
		return rc;
	*out = ct.tree;
	return 0;
}
