/*
 * Renderers as child processes: posix_spawn (no shell, no fork of a big
 * threaded controller), a process group of their own so that the deadline
 * kills whatever they started too, stdout captured under a cap, stderr kept
 * for the error message, and a clean environment without a route out.
 *
 * The group is killed before the child is reaped (waitid WNOWAIT): while the
 * child is a zombie its pid cannot be reused, so kill(-pid) can never reach an
 * unrelated process group.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "render/render_int.h"

#define ERR_KEEP ((size_t)64 << 10) /* stderr bytes kept for the message */
#define MSG_MAX 2000                /* characters of stderr in an error message */
#define WARN_LINES 20

/* A loopback port nothing listens on (discard): a proxy there refuses every connection. */
#define CLOSED_PROXY "http://127.0.0.1:9"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int env_add(char ***env, size_t *n, const char *fmt, const char *a, const char *b)
{
	char *s, **nv;
	int len = snprintf(NULL, 0, fmt, a, b ? b : "");

	if (len < 0 || !(s = malloc((size_t)len + 1)))
		return gs_error(GS_ENOMEM, "out of memory");
	snprintf(s, (size_t)len + 1, fmt, a, b ? b : "");
	if (!(nv = realloc(*env, (*n + 2) * sizeof(*nv)))) {
		free(s);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*env = nv;
	return 0;
}

int render__env(struct render__ctx *c)
{
	static const char *const dirs[] = { "home",        "home/.config",      "home/.cache",
		                            "home/.local", "home/.local/share", "tmp" };
	char **env = NULL, *p;
	size_t n = 0, i;
	int rc;

	if (c->env)
		return 0;
	if ((rc = render__private_dir(c)) < 0)
		return rc;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!(p = render__join(c->priv, dirs[i])))
			return gs_error(GS_ENOMEM, "out of memory");
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			rc = gs_error(GS_EIO, "%s: %s", p, strerror(errno));
			free(p);
			return rc;
		}
		free(p);
	}
	if ((rc = env_add(&env, &n, "%s%s", "PATH=/usr/local/bin:/usr/bin:/bin", NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "LANG=C.UTF-8", NULL)) < 0 ||
	    (rc = env_add(&env, &n, "HOME=%s/home", c->priv, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "XDG_CONFIG_HOME=%s/home/.config", c->priv, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "XDG_CACHE_HOME=%s/home/.cache", c->priv, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "XDG_DATA_HOME=%s/home/.local/share", c->priv, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "HELM_CONFIG_HOME=%s/home/.config/helm", c->priv, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "HELM_CACHE_HOME=%s/home/.cache/helm", c->priv, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "HELM_DATA_HOME=%s/home/.local/share/helm", c->priv, NULL)) <
	        0 ||
	    (rc = env_add(&env, &n, "TMPDIR=%s/tmp", c->priv, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "KUBECONFIG=%s/no-kubeconfig", c->priv, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "HTTP_PROXY=" CLOSED_PROXY, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "HTTPS_PROXY=" CLOSED_PROXY, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "http_proxy=" CLOSED_PROXY, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "https_proxy=" CLOSED_PROXY, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "ALL_PROXY=" CLOSED_PROXY, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "all_proxy=" CLOSED_PROXY, NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "GIT_TERMINAL_PROMPT=0", NULL)) < 0 ||
	    (rc = env_add(&env, &n, "%s%s", "HELM_NO_PLUGINS=1", NULL)) < 0) {
		render__strv_free(env, n);
		return rc;
	}
	c->env = env;
	return 0;
}

/* Read what is there from fd into b (or count and drop it once b is full when keep_going). */
static int drain(int fd, struct buf *b, int *eof, int keep_going)
{
	char chunk[65536];
	ssize_t r = read(fd, chunk, sizeof(chunk));
	int rc;

	if (r < 0)
		return errno == EINTR || errno == EAGAIN
		           ? 0
		           : gs_error(GS_EIO, "read: %s", strerror(errno));
	if (r == 0) {
		*eof = 1;
		return 0;
	}
	if ((rc = buf_add(b, chunk, (size_t)r)) < 0) {
		if (keep_going) {
			/* stderr: keep the first ERR_KEEP bytes, drop the rest */
			size_t room = b->max > b->len ? b->max - b->len : 0;
			gs_error_clear();
			return room ? buf_add(b, chunk, room) : 0;
		}
		return rc;
	}
	gs_wipe(chunk, (size_t)r); /* stdout may be a rendered Secret */
	return 0;
}

/* stderr as a one-line message: the tree's path cut, from the first "Error:" line on. */
static void tidy(struct buf *msg, const struct buf *err, const char *cut)
{
	const char *s = err->p, *e = err->p + err->len, *start;
	size_t cutlen = cut ? strlen(cut) : 0;
	int sep = 0;

	/* from the first line that is an error (helm "Error: ", kubectl "error: ") */
	for (start = s; start < e;) {
		const char *nl = memchr(start, '\n', (size_t)(e - start));
		if (!strncmp(start, "Error: ", 7) || !strncmp(start, "error: ", 7)) {
			s = start + 7;
			break;
		}
		start = nl ? nl + 1 : e;
	}
	while (s < e && msg->len < MSG_MAX) {
		if (cutlen && (size_t)(e - s) >= cutlen && !memcmp(s, cut, cutlen)) {
			s += cutlen;
			continue;
		}
		if (*s == '\n' || *s == '\r' || *s == '\t' || (sep && *s == ' ')) {
			/* a line break and the next line's indentation: one separator */
			sep = msg->len > 0;
			s++;
			continue;
		}
		if (sep && buf_adds(msg, msg->p[msg->len - 1] == ':' ? " " : "; ") < 0)
			break;
		sep = 0;
		if (buf_addc(msg, *s++) < 0)
			break;
	}
	if (s < e && msg->len >= MSG_MAX)
		buf_adds(msg, " ...");
	while (msg->len && (msg->p[msg->len - 1] == ' ' || msg->p[msg->len - 1] == ';'))
		buf_truncate(msg, msg->len - 1);
}

/* A successful run's stderr lines become warnings ("# Warning: 'commonLabels' is deprecated"). */
static void warn_lines(struct render__ctx *c, const struct render__cmd *cmd, const struct buf *err)
{
	const char *s = err->p, *e = err->p + err->len;
	size_t cutlen = cmd->cut ? strlen(cmd->cut) : 0;
	int n = 0;

	while (s < e && n < WARN_LINES) {
		const char *nl = memchr(s, '\n', (size_t)(e - s)), *le = nl ? nl : e;
		struct buf line = BUF_INIT(1024);
		const char *p;
		for (p = s; p < le && line.len < 1000; p++) {
			if (cutlen && (size_t)(le - p) >= cutlen && !memcmp(p, cmd->cut, cutlen)) {
				p += cutlen - 1;
				continue;
			}
			buf_addc(&line, *p == '\r' || *p == '\t' ? ' ' : *p);
		}
		while (line.len && line.p[line.len - 1] == ' ')
			buf_truncate(&line, line.len - 1);
		if (line.len) {
			render__warn(c, "%s: %s", cmd->what, line.p);
			n++;
		}
		buf_release(&line);
		s = nl ? nl + 1 : e;
	}
}

static int spawn(pid_t *pid, const struct render__cmd *cmd, char *const *env, const char *cwd,
                 int out_w, int err_w)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int e;

	if (posix_spawn_file_actions_init(&fa))
		return ENOMEM;
	if (posix_spawnattr_init(&at)) {
		posix_spawn_file_actions_destroy(&fa);
		return ENOMEM;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	/* ignored signals survive exec: give the tool the defaults back */
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGQUIT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGCHLD);
	if (!(e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) &&
	    !(e = posix_spawn_file_actions_adddup2(&fa, out_w, 1)) &&
	    !(e = posix_spawn_file_actions_adddup2(&fa, err_w, 2)) &&
	    !(e = posix_spawn_file_actions_addchdir_np(&fa, cwd)) &&
	    !(e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                            POSIX_SPAWN_SETSIGDEF)) &&
	    !(e = posix_spawnattr_setpgroup(&at, 0)) &&
	    !(e = posix_spawnattr_setsigmask(&at, &none)) &&
	    !(e = posix_spawnattr_setsigdefault(&at, &def)))
		e = posix_spawn(pid, cmd->argv[0], &fa, &at, (char *const *)cmd->argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return e;
}

/* Wait for the child until the deadline; kill its group first (still unreaped) when asked or late.
 */
static int reap(pid_t pid, long long deadline, int kill_group, int *status, int *late)
{
	siginfo_t si;
	long long sleep_us = 200;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno == ECHILD)
			/* reaped by someone else (a waitpid(-1) elsewhere): its pid may be reused,
			 * never signal it */
			return gs_error(GS_EIO,
			                "child %ld was reaped by another part of the process",
			                (long)pid);
		if (!kill_group && si.si_pid == pid)
			break; /* exited: a zombie now */
		if (kill_group || now_ms() >= deadline) {
			*late |= !kill_group;
			kill(-pid, SIGKILL);
			break;
		}
		struct timespec ts = { 0, (long)sleep_us * 1000 };
		nanosleep(&ts, NULL);
		if (sleep_us < 20000)
			sleep_us *= 2;
	}
	/* stragglers in its group (the tool's own children) go with it */
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return gs_error(GS_EIO, "waitpid: %s", strerror(errno));
	return 0;
}

int render__run(struct render__ctx *c, const struct render__cmd *cmd, struct buf *out)
{
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, oeof = 0, eeof = 0, status = 0, late = 0,
	    rc = 0, e;
	struct buf err = BUF_INIT(ERR_KEEP), msg = BUF_INIT(MSG_MAX + 16);
	long long start = now_ms(), deadline = start + c->timeout_ms;
	pid_t pid = -1;
	size_t out0 = out->len, omax = out->max;

	if ((rc = render__env(c)) < 0)
		return rc;
	if (pipe2(opipe, O_CLOEXEC) < 0 || pipe2(epipe, O_CLOEXEC) < 0) {
		rc = gs_error(GS_EIO, "%s: pipe: %s", cmd->what, strerror(errno));
		goto out;
	}
	if ((e = spawn(&pid, cmd, c->env, cmd->cwd ? cmd->cwd : c->priv, opipe[1], epipe[1]))) {
		pid = -1;
		rc =
		    gs_error(GS_EIO, "%s: cannot run %s: %s", cmd->what, cmd->argv[0], strerror(e));
		goto out;
	}
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	if (out->max - out0 > c->output_max)
		out->max = out0 + c->output_max;
	while (!oeof || !eeof) {
		struct pollfd pf[2];
		int np = 0, r;
		long long left = deadline - now_ms();
		if (left <= 0) {
			late = 1;
			break;
		}
		if (!oeof)
			pf[np++] = (struct pollfd){ opipe[0], POLLIN, 0 };
		if (!eeof)
			pf[np++] = (struct pollfd){ epipe[0], POLLIN, 0 };
		if ((r = poll(pf, (nfds_t)np, left > 1000 ? 1000 : (int)left)) < 0) {
			if (errno == EINTR)
				continue;
			rc = gs_error(GS_EIO, "%s: poll: %s", cmd->what, strerror(errno));
			break;
		}
		for (int i = 0; i < np && rc >= 0; i++) {
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == opipe[0])
				rc = drain(opipe[0], out, &oeof, 0);
			else
				rc = drain(epipe[0], &err, &eeof, 1);
		}
		if (rc == GS_ETOOBIG) {
			rc = gs_error(GS_ETOOBIG, "%s: output over %zu bytes", cmd->what,
			              c->output_max);
			break;
		}
		if (rc < 0)
			break;
	}
	if ((e = reap(pid, deadline, late || rc < 0, &status, &late)) < 0 && rc >= 0)
		rc = e;
	pid = -1;
	if (rc < 0)
		goto out;
	if (late) {
		rc = gs_error(GS_EIO, "%s: deadline of %.3gs exceeded", cmd->what,
		              (double)c->timeout_ms / 1000);
		goto out;
	}
	if (WIFSIGNALED(status)) {
		tidy(&msg, &err, cmd->cut);
		rc = gs_error(GS_EIO, "%s: killed by signal %d%s%s", cmd->what, WTERMSIG(status),
		              msg.len ? ": " : "", msg.p);
		goto out;
	}
	if (WEXITSTATUS(status) != 0) {
		tidy(&msg, &err, cmd->cut);
		rc = gs_error(GS_EIO, "%s: %s", cmd->what,
		              msg.len ? msg.p : "failed without a message");
		if (!msg.len)
			rc = gs_error(GS_EIO, "%s: exit status %d without a message", cmd->what,
			              WEXITSTATUS(status));
		goto out;
	}
	warn_lines(c, cmd, &err);
out:
	if (pid > 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (opipe[i] >= 0)
			close(opipe[i]);
		if (epipe[i] >= 0)
			close(epipe[i]);
	}
	out->max = omax;
	if (rc < 0)
		buf_truncate(out, out0); /* no partial output (wiped for secret buffers) */
	buf_release(&err);
	buf_release(&msg);
	return rc;
}

/* ---- which tool ------------------------------------------------------------------------- */

static char *which(const char *name)
{
	const char *path = getenv("PATH"), *p, *e;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	for (p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; *p; p = *e ? e + 1 : e) {
		char dir[4096], *full;
		size_t n;
		e = strchr(p, ':');
		if (!e)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (!n || n >= sizeof(dir))
			continue;
		memcpy(dir, p, n);
		dir[n] = '\0';
		if (!(full = render__join(dir, name)))
			return NULL;
		if (access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

static const char *given(const char *opt, const char *env)
{
	const char *v = opt && *opt ? opt : getenv(env);
	return v && *v ? v : NULL;
}

int render__tool(struct render__ctx *c, int helm, const char **path, int *is_kubectl)
{
	const char *t;

	if (helm) {
		if (!c->helm && (t = given(c->opts->tools.helm, "GITSEAL_HELM")))
			c->helm = strdup(t);
		else if (!c->helm)
			c->helm = which("helm");
		if (!c->helm)
			return gs_error(
			    GS_ENOTFOUND,
			    "helm not found: install Helm 3 or 4, or name it with --helm "
			    "(GITSEAL_HELM)");
		*path = c->helm;
		return 0;
	}
	if (!c->kustomize && !c->kubectl) {
		/* an option over an environment variable over PATH; kustomize first at each level
		 */
		const char *ko = c->opts->tools.kustomize, *kc = c->opts->tools.kubectl;
		if (ko && *ko)
			c->kustomize = strdup(ko);
		else if (kc && *kc)
			c->kubectl = strdup(kc);
		else if ((t = given(NULL, "GITSEAL_KUSTOMIZE")))
			c->kustomize = strdup(t);
		else if ((t = given(NULL, "GITSEAL_KUBECTL")))
			c->kubectl = strdup(t);
		else if (!(c->kustomize = which("kustomize")))
			c->kubectl = which("kubectl");
	}
	if (c->kustomize) {
		*path = c->kustomize;
		*is_kubectl = 0;
		return 0;
	}
	if (c->kubectl) {
		*path = c->kubectl;
		*is_kubectl = 1;
		return 0;
	}
	return gs_error(GS_ENOTFOUND,
	                "neither kustomize nor kubectl found: name one with --kubectl "
	                "(GITSEAL_KUBECTL, kubectl >= 1.27) or GITSEAL_KUSTOMIZE");
}
