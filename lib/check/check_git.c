/*
 * gitseal check --staged (the pre-commit hook): what is about to be committed,
 * the blobs the index names, never the work tree's version (a file staged
 * plaintext and encrypted afterwards in the work tree is still caught).
 *
 * `git diff --cached --raw` gives each staged file with its blob id, `git
 * ls-files -s` the ids of the .gitsealignore and every .sops.yaml. A blob is
 * content-addressed: when the work tree's file hashes to the staged id (the
 * usual case: staged, then committed), those bytes are the blob, and reading
 * them costs no object lookup in git; the others are read by id with one
 * `git cat-file --batch`, pipelined (requests written while answers are read,
 * so neither pipe fills). A file found later (a generator source) is read
 * from the index by path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check/check_int.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/file.h"
#include "core/ignore.h"

extern char **environ;

#define GIT_OUT_MAX ((size_t)1 << 30)

/* Run git with args; stdin from `in` (NULL: /dev/null), stdout into out. 0 when git exits 0. */
static int run_git(const char *const argv[], const char *in, size_t inlen, struct buf *out)
{
	posix_spawn_file_actions_t fa;
	int to[2] = { -1, -1 }, from[2] = { -1, -1 }, st, rc = 0, spawned = 0;
	size_t written = 0;
	pid_t pid;
	char chunk[65536];

	if (pipe2(from, O_CLOEXEC) < 0 || (in && pipe2(to, O_CLOEXEC) < 0)) {
		rc = gs_error(GS_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	if (in)
		posix_spawn_file_actions_adddup2(&fa, to[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, from[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	st = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (st != 0) {
		rc = gs_error(GS_EIO, "cannot run git: %s", strerror(st));
		goto out;
	}
	spawned = 1;
	close(from[1]);
	from[1] = -1;
	if (in) {
		close(to[0]);
		to[0] = -1;
		fcntl(to[1], F_SETFL, O_NONBLOCK);
	}
	/* write the requests while reading the answers: neither pipe may fill up and block */
	for (;;) {
		struct pollfd p[2];
		int np = 0;
		p[np].fd = from[0];
		p[np++].events = POLLIN;
		if (to[1] >= 0) {
			p[np].fd = to[1];
			p[np++].events = POLLOUT;
		}
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = gs_error(GS_EIO, "poll: %s", strerror(errno));
			break;
		}
		if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(to[1], in + written, inlen - written);
			if (w > 0)
				written += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == inlen) {
				close(to[1]);
				to[1] = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
			ssize_t n = read(from[0], chunk, sizeof(chunk));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				break;
			if ((rc = buf_add(out, chunk, (size_t)n)) < 0)
				break;
		}
	}
out:
	if (to[0] >= 0)
		close(to[0]);
	if (to[1] >= 0)
		close(to[1]);
	if (from[0] >= 0)
		close(from[0]);
	if (from[1] >= 0)
		close(from[1]);
	if (spawned) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (rc == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
			rc = gs_error(GS_EIO, "git %s failed (exit %d)", argv[1],
			              WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	gs_wipe(chunk, sizeof(chunk));
	return rc;
}

/* One path's staged blob: its id, and its bytes at off/len in the index's buffer, or missing. */
struct blob {
	char *path;
	char oid[65];
	size_t off, len;
	int have, missing;
};

struct index {
	char top[PATH_MAX];
	struct buf data; /* the blobs' bytes (staged contents: may be plaintext secrets) */
	struct blob *v;
	size_t n, cap;
};

static struct blob *blob_add(struct index *ix, const char *path, const char *oid)
{
	struct blob *b;
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? 2 * ix->cap : 256;
		struct blob *v = realloc(ix->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		ix->v = v;
		ix->cap = cap;
	}
	b = &ix->v[ix->n];
	memset(b, 0, sizeof(*b));
	if (!(b->path = strdup(path)))
		return NULL;
	snprintf(b->oid, sizeof(b->oid), "%s", oid ? oid : "");
	ix->n++;
	return b;
}

/* The work tree's copy when it hashes to the staged id: those bytes are the blob. */
static int from_work_tree(struct index *ix, struct blob *b)
{
	char path[PATH_MAX + 4096], hdr[64], hex[2 * GS_SHA256_LEN + 1];
	unsigned char id[GS_SHA256_LEN];
	size_t idlen = strlen(b->oid) / 2, start = ix->data.len;
	struct stat st;
	int fd, rc, hl;

	if (idlen != GS_SHA1_LEN && idlen != GS_SHA256_LEN)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", ix->top, b->path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (rc = file_read_fd(&ix->data, fd, b->path)) < 0) {
		close(fd);
		gs_error_clear();
		buf_truncate(&ix->data, start);
		return 0;
	}
	close(fd);
	hl = snprintf(hdr, sizeof(hdr), "blob %zu", ix->data.len - start);
	if (gs_object_id(id, idlen, hdr, (size_t)hl + 1, ix->data.p + start, ix->data.len - start) <
	    0) {
		gs_error_clear();
		buf_truncate(&ix->data, start);
		return 0;
	}
	gs_hex(hex, id, idlen);
	if (strcmp(hex, b->oid)) {
		buf_truncate(&ix->data,
		             start); /* changed since it was staged: git has the staged bytes */
		return 0;
	}
	b->off = start;
	b->len = ix->data.len - start;
	b->have = 1;
	return 1;
}

/*
 * Read the blobs in ix->v[from..) that are not read yet from git, in one cat-file run:
 * by id when known, else ":path" (the path's entry in the index, stage 0).
 */
static int index_fetch(struct index *ix, size_t from)
{
	static const char *const argv[] = { "git", "cat-file", "--batch", NULL };
	struct buf req = BUF_INIT(GIT_OUT_MAX), out = BUF_INIT_SECRET(GIT_OUT_MAX);
	size_t i, pos = 0, asked = 0;
	int rc = 0;

	for (i = from; i < ix->n; i++) {
		struct blob *b = &ix->v[i];
		if (b->have || b->missing)
			continue;
		if (strchr(b->path, '\n')) {
			b->missing =
			    1; /* cat-file's requests are lines: such a name cannot be asked for */
			continue;
		}
		if ((rc = b->oid[0] ? buf_addf(&req, "%s\n", b->oid)
		                    : buf_addf(&req, ":%s\n", b->path)) < 0)
			goto out;
		asked++;
	}
	if (!asked)
		goto out;
	if ((rc = run_git(argv, req.p, req.len, &out)) < 0)
		goto out;
	/* answers in order: "<oid> blob <size>\n<bytes>\n", or "<request> missing\n" */
	for (i = from; i < ix->n; i++) {
		struct blob *b = &ix->v[i];
		const char *line = out.p + pos, *nl, *sp;
		size_t len;
		if (b->have || b->missing)
			continue;
		if (pos >= out.len || !(nl = memchr(line, '\n', out.len - pos))) {
			rc = gs_error(GS_EIO, "git cat-file: the answer for '%s' is cut short",
			              b->path);
			goto out;
		}
		sp = memrchr(line, ' ', (size_t)(nl - line));
		if (!sp || ((size_t)(nl - line) >= 8 && !memcmp(nl - 8, " missing", 8))) {
			b->missing = 1;
			pos = (size_t)(nl - out.p) + 1;
			continue;
		}
		len = strtoul(sp + 1, NULL, 10);
		pos = (size_t)(nl - out.p) + 1;
		if (pos + len + 1 > out.len) {
			rc = gs_error(GS_EIO, "git cat-file: '%s' is cut short", b->path);
			goto out;
		}
		if ((size_t)(sp - line) < 5 || memcmp(sp - 5, " blob", 5)) {
			b->missing = 1; /* not a blob (a submodule): nothing to read */
		} else {
			b->off = ix->data.len;
			b->len = len;
			if ((rc = buf_add(&ix->data, out.p + pos, len)) < 0)
				goto out;
			b->have = 1;
		}
		pos += len + 1;
	}
out:
	buf_release(&req);
	buf_release(&out);
	return rc;
}

static struct blob *index_find(struct index *ix, const char *path)
{
	size_t i;
	for (i = 0; i < ix->n; i++)
		if (!strcmp(ix->v[i].path, path))
			return &ix->v[i];
	return NULL;
}

static int index_read(void *arg, const char *path, struct buf *out)
{
	struct index *ix = arg;
	struct blob *b = index_find(ix, path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int rc;
	/* every .sops.yaml and the .gitsealignore of the index were listed: another is not there */
	if (!b && (!strcmp(base, ".sops.yaml") || !strcmp(path, ".gitsealignore")))
		return gs_error(GS_ENOTFOUND, "%s: not in the index", path);
	if (!b) {
		if (!blob_add(ix, path, NULL))
			return gs_error(GS_ENOMEM, "out of memory");
		b = &ix->v[ix->n - 1];
		if ((rc = index_fetch(ix, ix->n - 1)) < 0)
			return rc;
	}
	if (!b->have)
		return gs_error(GS_ENOTFOUND, "%s: not in the index", path);
	return buf_add(out, ix->data.p + b->off, b->len);
}

/* The nearest directory up from the current one that holds .git (a directory, or a worktree's
 * file). */
static int find_top(char *out, size_t len)
{
	char cur[PATH_MAX], probe[PATH_MAX + 8], *slash;
	if (!getcwd(cur, sizeof(cur)))
		return -1;
	for (;;) {
		snprintf(probe, sizeof(probe), "%s/.git", strcmp(cur, "/") ? cur : "");
		if (access(probe, F_OK) == 0) {
			snprintf(out, len, "%s", cur);
			return 0;
		}
		if (!strcmp(cur, "/") || !(slash = strrchr(cur, '/')))
			return -1;
		if (slash == cur)
			cur[1] = 0;
		else
			*slash = 0;
	}
}

/* "... <mode> <oid> ...": a regular file's blob (not a symlink, not a submodule) */
static int regular_mode(const char *mode)
{
	return !strncmp(mode, "100644", 6) || !strncmp(mode, "100755", 6);
}

int check_staged(struct check_report *r, const struct check_opts *o)
{
	static const char *const top[] = { "git", "rev-parse", "--show-toplevel", NULL };
	/* paths from the top, whatever the current directory and diff.relative say */
	static const char *const diff[] = {
		"git",          "diff",          "--cached",           "--raw", "-z", "--no-abbrev",
		"--no-renames", "--no-relative", "--diff-filter=ACMR", NULL
	};
	/* every .sops.yaml of the index (a pathspec's * matches / too), named from the top */
	static const char *const cfgs[] = { "git",
		                            "ls-files",
		                            "-s",
		                            "-z",
		                            "--full-name",
		                            "--",
		                            ":(top).gitsealignore",
		                            ":(top).sops.yaml",
		                            ":(top)*/.sops.yaml",
		                            NULL };
	struct buf list = BUF_INIT(GIT_OUT_MAX), ls = BUF_INIT(GIT_OUT_MAX),
	           text = BUF_INIT_SECRET(GIT_OUT_MAX);
	struct index ix;
	struct check_ctx c;
	struct check__source src;
	struct ignore *sealignore = NULL;
	size_t i, pos, first, nfiles;
	int rc;

	memset(&ix, 0, sizeof(ix));
	buf_init(&ix.data, GIT_OUT_MAX, 1);
	src.read = index_read;
	src.arg = &ix;
	check__ctx_init(&c, o, &src);
	/* the work tree's top: where .git is (git runs hooks there), else git's answer (GIT_DIR
	 * set) */
	if (!getenv("GIT_DIR") && find_top(ix.top, sizeof(ix.top)) == 0) {
		/* found */
	} else if ((rc = run_git(top, NULL, 0, &list)) < 0) {
		gs_error_prefix(rc, "not in a git repository");
		goto out;
	} else {
		while (list.len && (list.p[list.len - 1] == '\n' || list.p[list.len - 1] == '\r'))
			buf_truncate(&list, list.len - 1);
		snprintf(ix.top, sizeof(ix.top), "%s", list.p);
		buf_reset(&list);
	}
	if ((rc = run_git(diff, NULL, 0, &list)) < 0 || (rc = run_git(cfgs, NULL, 0, &ls)) < 0) {
		gs_error_prefix(rc, "cannot list the staged files");
		goto out;
	}
	/* the .gitsealignore and .sops.yaml files of the index: "<mode> <oid> <stage>\t<path>\0" */
	for (pos = 0; pos < ls.len; pos += strlen(ls.p + pos) + 1) {
		const char *e = ls.p + pos, *tab = strchr(e, '\t');
		char oid[65];
		if (!tab || !regular_mode(e) || tab[-1] != '0')
			continue;
		snprintf(oid, sizeof(oid), "%.*s", (int)strcspn(e + 7, " "), e + 7);
		if (!blob_add(&ix, tab + 1, oid)) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* the staged files: ":<srcmode> <dstmode> <srcoid> <dstoid> <status>\0<path>\0" */
	first = ix.n;
	for (pos = 0; pos < list.len;) {
		const char *e = list.p + pos, *path;
		char mode[8], oid[65];
		size_t hl = strlen(e);
		if (e[0] != ':' || pos + hl + 1 >= list.len)
			break;
		path = e + hl + 1;
		pos += hl + 1 + strlen(path) + 1;
		if (sscanf(e, ":%*7s %7s %*64s %64s", mode, oid) != 2 || !regular_mode(mode))
			continue;
		if (!blob_add(&ix, path, oid)) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
	}
	nfiles = ix.n - first;
	if (!nfiles) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < ix.n; i++)
		from_work_tree(&ix, &ix.v[i]);
	if ((rc = index_fetch(&ix, 0)) < 0)
		goto out;
	if (index_read(&ix, ".gitsealignore", &text) == 0 && ignore_new(&sealignore) == 0 &&
	    ignore_add_text(sealignore, text.p, text.len, ".gitsealignore", 0) < 0) {
		ignore_free(sealignore);
		sealignore = NULL;
	}
	gs_error_clear();
	for (i = first; i < first + nfiles; i++) {
		/* a check may read more blobs (generator sources), which moves ix.v and ix.data:
		 * the file's bytes are copied out first */
		char *path = ix.v[i].path;
		if (!ix.v[i].have || (sealignore && ignore_path(sealignore, path, 0)) ||
		    !check__wanted(&c, path))
			continue;
		buf_reset(&text);
		if ((rc = buf_add(&text, ix.data.p + ix.v[i].off, ix.v[i].len)) < 0 ||
		    (rc = check__file(&c, r, path, path, text.p, text.len)) < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < ix.n; i++)
		free(ix.v[i].path);
	free(ix.v);
	buf_release(&ix.data);
	ignore_free(sealignore);
	check__ctx_release(&c);
	buf_release(&list);
	buf_release(&ls);
	buf_release(&text);
	return rc;
}
