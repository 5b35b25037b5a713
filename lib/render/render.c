/*
 * render(): resolve the paths, pick the renderer (Argo CD's detection), run
 * it inside a private in-memory directory, and hand back the objects.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "render/render_int.h"

char *render__join(const char *dir, const char *name)
{
	size_t a = dir ? strlen(dir) : 0, b = strlen(name);
	char *p = malloc(a + b + 2);

	if (!p)
		return NULL;
	if (a) {
		memcpy(p, dir, a);
		p[a++] = '/';
	}
	memcpy(p + a, name, b + 1);
	return p;
}

char *render__abs(struct render__ctx *c, const char *rel)
{
	return rel && *rel ? render__join(c->root, rel) : strdup(c->root);
}

void render__strv_free(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int render__warn(struct render__ctx *c, const char *fmt, ...)
{
	struct render_result *r = c->res;
	char *msg = NULL, **nw;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return gs_error(GS_ENOMEM, "out of memory");
	if (!(nw = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*nw)))) {
		free(msg);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	r->warnings = nw;
	r->warnings[r->nwarnings++] = msg;
	return 0;
}

int render__resolve(char **out, struct render__ctx *c, const char *base, const char *rel,
                    const char *what)
{
	struct buf norm = BUF_INIT(PATH_MAX);
	const char *p, *seg;
	char *abs = NULL, *real = NULL;
	size_t rootlen = strlen(c->root);
	int rc = 0;

	*out = NULL;
	if (!rel)
		rel = "";
	if (strstr(rel, "://"))
		return gs_error(GS_EINVAL, "%s '%s': not a path in the tree", what, rel);
	/* a leading '/' starts at the tree root (Argo CD's valueFiles) */
	p = rel[0] == '/' ? rel : NULL;
	if (!p && base && *base && (rc = buf_adds(&norm, base)) < 0)
		goto out;
	for (p = rel; *p;) {
		size_t n;
		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if (!n || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			char *slash = strrchr(norm.p, '/');
			if (!norm.len) {
				rc = gs_error(GS_EINVAL, "%s '%s' leaves the tree", what, rel);
				goto out;
			}
			buf_truncate(&norm, slash ? (size_t)(slash - norm.p) : 0);
			continue;
		}
		if ((norm.len && (rc = buf_addc(&norm, '/')) < 0) ||
		    (rc = buf_add(&norm, seg, n)) < 0)
			goto out;
	}
	/* symlinks: what exists must resolve inside the tree */
	if (!(abs = render__abs(c, norm.p))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((real = realpath(abs, NULL)) && rootlen > 1 &&
	    (strncmp(real, c->root, rootlen) || (real[rootlen] && real[rootlen] != '/'))) {
		rc = gs_error(GS_EINVAL, "%s '%s' leaves the tree (through a symbolic link)", what,
		              rel);
		goto out;
	}
	if (!(*out = strdup(norm.p)))
		rc = gs_error(GS_ENOMEM, "out of memory");
out:
	free(abs);
	free(real);
	buf_release(&norm);
	return rc;
}

int render__read_file(struct render__ctx *c, const char *rel, struct buf *out)
{
	char *abs = render__abs(c, rel);
	int fd, rc;

	if (!abs)
		return gs_error(GS_ENOMEM, "out of memory");
	fd = open(abs, O_RDONLY | O_CLOEXEC);
	free(abs);
	if (fd < 0)
		return gs_error(errno == ENOENT ? GS_ENOTFOUND : GS_EIO, "%s: %s", rel,
		                errno == ENOENT ? "no such file in the tree" : strerror(errno));
	rc = file_read_fd(out, fd, rel);
	close(fd);
	return rc;
}

static int stat_rel(struct render__ctx *c, const char *rel, struct stat *st)
{
	char *abs = render__abs(c, rel);
	int r = abs ? stat(abs, st) : -1;
	free(abs);
	return r;
}

int render__is_file(struct render__ctx *c, const char *rel)
{
	struct stat st;
	return stat_rel(c, rel, &st) == 0 && S_ISREG(st.st_mode);
}

int render__is_dir(struct render__ctx *c, const char *rel)
{
	struct stat st;
	return stat_rel(c, rel, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- the private directory ---------------------------------------------------------- */

#define PRIV_PREFIX "gitseal-render-"

static pthread_mutex_t stale_lock = PTHREAD_MUTEX_INITIALIZER;
static int stale_done;
static char stale_base[PATH_MAX];

/* Private directories of processes that died without cleaning up (kill -9): wiped once. */
static void remove_stale(void)
{
	DIR *d = opendir(stale_base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end, *path;
		long pid;
		struct stat st;
		if (strncmp(e->d_name, PRIV_PREFIX, sizeof(PRIV_PREFIX) - 1))
			continue;
		pid = strtol(e->d_name + sizeof(PRIV_PREFIX) - 1, &end, 10);
		if (*end != '-' || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		if (!(path = render__join(stale_base, e->d_name)))
			break;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
			render__wipe_tree(path);
		free(path);
	}
	closedir(d);
}

static int pick_tmpbase(struct render__ctx *c)
{
	const char *t = c->opts->tmpdir;
	struct stat st;

	if (!t || !*t)
		t = getenv("GITSEAL_RENDER_TMPDIR");
	if (!t || !*t) {
		t = "/dev/shm";
		if (stat(t, &st) < 0 || !S_ISDIR(st.st_mode) || access(t, W_OK) < 0)
			t = getenv("XDG_RUNTIME_DIR");
		if (!t || !*t)
			return gs_error(
			    GS_ENOTFOUND,
			    "render: no in-memory directory for private files: /dev/shm is "
			    "missing; set GITSEAL_RENDER_TMPDIR to a tmpfs");
	}
	if (!(c->tmpbase = strdup(t)))
		return gs_error(GS_ENOMEM, "out of memory");
	return 0;
}

int render__private_dir(struct render__ctx *c)
{
	char tmpl[PATH_MAX];
	int n;

	if (c->priv)
		return 0;
	if (!c->tmpbase) {
		int rc = pick_tmpbase(c);
		if (rc < 0)
			return rc;
	}
	/* once per process, in the first base seen (the same for a whole process in practice) */
	pthread_mutex_lock(&stale_lock);
	if (!stale_done && strlen(c->tmpbase) < sizeof(stale_base)) {
		snprintf(stale_base, sizeof(stale_base), "%s", c->tmpbase);
		remove_stale();
		stale_done = 1;
	}
	pthread_mutex_unlock(&stale_lock);
	n = snprintf(tmpl, sizeof(tmpl), "%s/" PRIV_PREFIX "%ld-XXXXXX", c->tmpbase,
	             (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmpl))
		return gs_error(GS_EINVAL, "render: temporary directory path too long");
	if (!mkdtemp(tmpl)) /* 0700 */
		return gs_error(GS_EIO, "render: cannot create a private directory in %s: %s",
		                c->tmpbase, strerror(errno));
	if (!(c->priv = strdup(tmpl))) {
		rmdir(tmpl);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- detection and dispatch ------------------------------------------------------------ */

const char *render_kind_name(enum render_kind k)
{
	switch (k) {
	case RENDER_KUSTOMIZE: return "kustomize";
	case RENDER_HELM: return "helm";
	default: return "plain";
	}
}

static enum render_kind detect_dir(struct render__ctx *c, const char *dir)
{
	static const char *const kus[] = { "kustomization.yaml", "kustomization.yml",
		                           "Kustomization" };
	size_t i;

	for (i = 0; i < sizeof(kus) / sizeof(kus[0]); i++) {
		char *f = render__join(dir, kus[i]);
		int is = f && render__is_file(c, f);
		free(f);
		if (is)
			return RENDER_KUSTOMIZE;
	}
	{
		char *f = render__join(dir, "Chart.yaml");
		int is = f && render__is_file(c, f);
		free(f);
		if (is)
			return RENDER_HELM;
	}
	return RENDER_PLAIN;
}

static void ctx_release(struct render__ctx *c)
{
	size_t n = 0;

	if (c->priv)
		render__wipe_tree(c->priv);
	if (c->env)
		while (c->env[n])
			n++;
	render__strv_free(c->env, n);
	free(c->root);
	free(c->app);
	free(c->tmpbase);
	free(c->priv);
	free(c->helm);
	free(c->kubectl);
	free(c->kustomize);
}

static int ctx_init(struct render__ctx *c, const struct render_source *src,
                    const struct render_opts *opts, struct render_result *res)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->src = src;
	c->opts = opts;
	c->res = res;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : RENDER__TIMEOUT_MS;
	c->output_max = opts->output_max ? opts->output_max : RENDER__OUTPUT_MAX;
	if ((!src->root || !*src->root) && src->chart && *src->chart) {
		/* a chart source without a tree: value files can only come inline */
		if ((rc = render__private_dir(c)) < 0)
			return rc;
		if (!(c->root = realpath(c->priv, NULL)) || !(c->app = strdup("")))
			return gs_error(GS_ENOMEM, "out of memory");
		return 0;
	}
	if (!src->root || !*src->root)
		return gs_error(GS_EINVAL, "render: no tree given");
	if (!(c->root = realpath(src->root, NULL)))
		return gs_error(errno == ENOENT ? GS_ENOTFOUND : GS_EIO, "render: tree '%s': %s",
		                src->root, strerror(errno));
	if ((rc = render__resolve(&c->app, c, "", src->path, "path")) < 0)
		return rc;
	if (!src->chart && !render__is_dir(c, c->app))
		return gs_error(GS_ENOTFOUND, "path '%s': no such directory in the tree",
		                src->path ? src->path : "");
	return 0;
}

int render_detect(enum render_kind *out, const struct render_source *src)
{
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render__ctx c;
	int rc;

	*out = RENDER_PLAIN;
	if ((rc = ctx_init(&c, src, &opts, &res)) >= 0)
		*out = src->chart && *src->chart ? RENDER_HELM : detect_dir(&c, c.app);
	ctx_release(&c);
	render_result_release(&res);
	return rc < 0 ? rc : 0;
}

int render(struct render_result *out, const struct render_source *src,
           const struct render_opts *opts)
{
	struct render_opts defaults = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render__ctx c;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &defaults;
	if ((rc = ctx_init(&c, src, opts, &res)) < 0)
		goto out;
	res.kind = src->chart && *src->chart ? RENDER_HELM : detect_dir(&c, c.app);
	switch (res.kind) {
	case RENDER_KUSTOMIZE: rc = render__kustomize(&c, &res.objs); break;
	case RENDER_HELM: rc = render__helm(&c, &res.objs); break;
	default: rc = render__plain(&c, &res.objs); break;
	}
	if (rc >= 0) {
		*out = res;
		memset(&res, 0, sizeof(res));
	}
out:
	ctx_release(&c);
	render_result_release(&res);
	return rc < 0 ? rc : 0;
}

void render_result_release(struct render_result *r)
{
	if (!r)
		return;
	doc_list_release(&r->objs);
	render__strv_free(r->warnings, r->nwarnings);
	memset(r, 0, sizeof(*r));
}
