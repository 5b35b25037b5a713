/*
 * SSH for libgit2's smart transport through the system OpenSSH client, as git does
 * (libssh2 1.10 cannot use RSA keys against a current sshd, and libgit2 1.5 has no
 * timeouts). rpc = 0: one `ssh ... git-upload-pack 'path'` per operation, killed at
 * the deadline.
 *
 * ssh runs with no configuration file (-F /dev/null), BatchMode, no forwarding,
 * StrictHostKeyChecking=yes against exactly the known_hosts of the credentials (a
 * file in a private 0700 directory; GlobalKnownHostsFile=/dev/null), so a host key
 * that is missing or different is an error, never a question.
 *
 * A private key never touches a disk: a private ssh-agent (ssh-agent -D, its
 * socket in the same private directory) gets it from `ssh-add -` on a pipe, ssh
 * uses only that agent, and the agent is killed when the operation ends (and by
 * PR_SET_PDEATHSIG if we die first). Credentials without a key offer no key;
 * CLI credentials without --ssh-key let ssh use the user's own keys and agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/file.h"
#include "source/source_int.h"

struct ssh_stream;

struct ssh_sub {
	git_smart_subtransport parent;
	struct source__op *op;
	struct ssh_stream *cur;
	char dir[256];             /* private directory ("" until made) */
	struct source__proc agent; /* pid 0 when none */
};

struct ssh_stream {
	git_smart_subtransport_stream parent;
	struct ssh_sub *sub;
	struct source__proc proc;
	int eof;
};

static int make_dir(struct ssh_sub *sub)
{
	const char *bases[3] = { getenv("XDG_RUNTIME_DIR"), "/dev/shm", getenv("TMPDIR") };
	size_t i;
	for (i = 0; i < 4; i++) {
		const char *b = i < 3 ? bases[i] : "/tmp";
		if (!b || !*b || strlen(b) > 150)
			continue;
		snprintf(sub->dir, sizeof(sub->dir), "%s/gitseal-ssh.XXXXXX", b);
		if (mkdtemp(sub->dir))
			return 0;
	}
	sub->dir[0] = '\0';
	return source__fail(sub->op, GS_EIO, "cannot make a private directory for ssh: %s",
	                    strerror(errno));
}

static int write_file(struct ssh_sub *sub, const char *name, const void *data, size_t n)
{
	char path[400];
	int fd, rc;
	snprintf(path, sizeof(path), "%s/%s", sub->dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return source__fail(sub->op, GS_EIO, "%s: %s", path, strerror(errno));
	rc = file_write_all(fd, data, n, path);
	close(fd);
	return rc < 0 ? source__fail(sub->op, GS_EIO, "%s", gs_error_last()) : 0;
}

/* the environment of the ssh tools: nothing of ours but what they need */
static void make_env(const char **env, size_t max, char store[][1100], int pass_agent,
                     const char *agent)
{
	static const char *const keep[] = { "PATH", "HOME", "USER", "LOGNAME" };
	size_t n = 0, i;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]) && n + 3 < max; i++) {
		const char *v = getenv(keep[i]);
		if (v && strlen(v) < 1000) {
			snprintf(store[n], 1100, "%s=%s", keep[i], v);
			env[n] = store[n];
			n++;
		}
	}
	snprintf(store[n], 1100, "LC_ALL=C");
	env[n] = store[n];
	n++;
	if (agent) {
		snprintf(store[n], 1100, "SSH_AUTH_SOCK=%s", agent);
		env[n] = store[n];
		n++;
	} else if (pass_agent && getenv("SSH_AUTH_SOCK") &&
	           strlen(getenv("SSH_AUTH_SOCK")) < 1000) {
		snprintf(store[n], 1100, "SSH_AUTH_SOCK=%s", getenv("SSH_AUTH_SOCK"));
		env[n] = store[n];
		n++;
	}
	snprintf(store[n], 1100, "SSH_ASKPASS_REQUIRE=never");
	env[n] = store[n];
	n++;
	env[n] = NULL;
}

/* read the child's stdout until a line holding `want`, or its end, or the deadline */
static int wait_line(struct source__op *op, struct source__proc *p, const char *want)
{
	char buf[1024];
	size_t len = 0;
	for (;;) {
		ssize_t r = recv(p->fd, buf + len, sizeof(buf) - 1 - len, 0);
		int w;
		if (r > 0) {
			len += (size_t)r;
			buf[len] = '\0';
			if (strstr(buf, want))
				return 0;
			if (len == sizeof(buf) - 1)
				len = 0;
			continue;
		}
		if (r == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((w = source__poll_fd(p->fd, POLLIN, op->deadline)) == 0)
			return source__deadline_fail(op);
		if (w < 0)
			return -1;
	}
}

static int send_all(struct source__op *op, int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = source__poll_fd(fd, POLLOUT, op->deadline);
			if (r == 0)
				return source__deadline_fail(op);
			if (r > 0)
				continue;
		}
		return source__fail(op, GS_EIO, "ssh: send: %s", strerror(errno));
	}
	return 0;
}

/* a private agent holding the credentials' key */
static int start_agent(struct ssh_sub *sub, char *sock, size_t socklen)
{
	struct source__op *op = sub->op;
	struct source__proc add;
	char store[8][1100], line[300];
	const char *env[8];
	const char *agent_argv[] = { "ssh-agent", "-D", "-a", sock, NULL };
	const char *add_argv[] = { "ssh-add", "-q", "-", NULL };
	int rc;

	snprintf(sock, socklen, "%s/agent", sub->dir);
	make_env(env, 8, store, 0, NULL);
	if (source__proc_spawn(&sub->agent, agent_argv, env) < 0)
		return source__fail(op, GS_ENOTFOUND, "%s", gs_error_last());
	if ((rc = wait_line(op, &sub->agent, "SSH_AUTH_SOCK=")) < 0) {
		if (op->err_code)
			return -1;
		source__proc_wait(&sub->agent, gs_mono_ms() + 200);
		return source__fail(op, GS_EIO, "ssh-agent did not start: %s",
		                    source__proc_last_line(&sub->agent, line, sizeof(line)));
	}
	make_env(env, 8, store, 0, sock);
	if (source__proc_spawn(&add, add_argv, env) < 0)
		return source__fail(op, GS_ENOTFOUND, "%s", gs_error_last());
	rc = send_all(op, add.fd, op->creds->identity.p, op->creds->identity.len);
	if (rc == 0 && op->creds->identity.p[op->creds->identity.len - 1] != '\n')
		rc = send_all(op, add.fd, "\n", 1);
	shutdown(add.fd, SHUT_WR);
	if (rc < 0) {
		source__proc_release(&add);
		return rc;
	}
	if (source__proc_wait(&add, op->deadline) == 1) {
		source__proc_release(&add);
		return source__deadline_fail(op);
	}
	if (!WIFEXITED(add.status) || WEXITSTATUS(add.status) != 0) {
		source__proc_last_line(&add, line, sizeof(line));
		source__proc_release(&add);
		if (strstr(line, "passphrase") || strstr(line, "incorrect"))
			return source__fail(
			    op, GS_EPARSE,
			    "the ssh private key is encrypted: give an unencrypted key");
		return source__fail(op, GS_EPARSE, "the ssh private key could not be loaded (%s)",
		                    strstr(line, "invalid format") ? "invalid format" : line);
	}
	source__proc_release(&add);
	return 0;
}

/* shell-quote for the remote side, as git's sq_quote_buf: 'a'\''b' (and \! for csh) */
static int sq_quote(struct buf *out, const char *s)
{
	int rc = buf_addc(out, '\'');
	for (; !rc && *s; s++) {
		if (*s == '\'' || *s == '!')
			rc = buf_addf(out, "'\\%c'", *s);
		else
			rc = buf_addc(out, *s);
	}
	return rc ? rc : buf_addc(out, '\'');
}

static int spawn_ssh(struct ssh_stream *s)
{
	struct ssh_sub *sub = s->sub;
	struct source__op *op = sub->op;
	const struct source__url *u = op->url;
	const struct source_creds *cr = op->creds;
	char store[8][1100], opt[24][600], port[16], sock[300] = "", cto[32];
	const char *env[8], *argv[80];
	struct buf cmd = BUF_INIT(16384);
	const char *path = u->path;
	size_t n = 0, k = 0;
	int rc, use_agent = 0, defaults = cr && cr->ssh_defaults && !cr->identity.len;
	int64_t left = source__left_ms(op);

	if (!cr || !cr->have_known_hosts)
		return source__fail(op, GS_EAUTH,
		                    "no known_hosts given: the host key of %s cannot be checked "
		                    "(known_hosts in the credentials Secret, or --known-hosts)",
		                    u->host);
	if (make_dir(sub) < 0 ||
	    write_file(sub, "known_hosts", cr->known_hosts.p, cr->known_hosts.len) < 0)
		return -1;
	if (cr->identity.len) {
		if (start_agent(sub, sock, sizeof(sock)) < 0)
			return -1;
		use_agent = 1;
	}
#define OPT(...)                                                                                   \
	(snprintf(opt[k], sizeof(opt[k]), __VA_ARGS__), argv[n++] = "-o", argv[n++] = opt[k++])
	argv[n++] = "ssh";
	argv[n++] = "-F";
	argv[n++] = "/dev/null";
	argv[n++] = "-T";
	argv[n++] = "-x";
	argv[n++] = "-a";
	OPT("BatchMode=yes");
	OPT("StrictHostKeyChecking=yes");
	OPT("UserKnownHostsFile=%s/known_hosts", sub->dir);
	OPT("GlobalKnownHostsFile=/dev/null");
	OPT("UpdateHostKeys=no");
	OPT("CheckHostIP=no");
	OPT("ClearAllForwardings=yes");
	OPT("ControlMaster=no");
	OPT("ControlPath=none");
	OPT("LogLevel=ERROR");
	/* past our deadline: we kill ssh first, and say so */
	snprintf(cto, sizeof(cto), "%lld", (long long)(left / 1000 + 2));
	OPT("ConnectTimeout=%s", cto);
	OPT("ServerAliveInterval=5");
	if (use_agent) {
		OPT("IdentityAgent=%s", sock);
		OPT("IdentityFile=%s/none", sub->dir);
	} else if (!defaults) {
		OPT("IdentityAgent=none");
		OPT("IdentityFile=%s/none", sub->dir);
		OPT("IdentitiesOnly=yes");
	}
#undef OPT
	if (u->port) {
		snprintf(port, sizeof(port), "%d", u->port);
		argv[n++] = "-p";
		argv[n++] = port;
	}
	if (u->user) {
		argv[n++] = "-l";
		argv[n++] = u->user;
	}
	argv[n++] = "--";
	argv[n++] = u->host;
	/* ssh://h/~user/x means ~user/x, as git reads it */
	if (!u->scp && path[0] == '/' && path[1] == '~')
		path++;
	if ((rc = buf_adds(&cmd, "git-upload-pack ")) < 0 || (rc = sq_quote(&cmd, path)) < 0) {
		buf_release(&cmd);
		return source__fail(op, GS_ETOOBIG, "repository path too long");
	}
	argv[n++] = cmd.p;
	argv[n] = NULL;
	make_env(env, 8, store, defaults, use_agent ? sock : NULL);
	rc = source__proc_spawn(&s->proc, argv, env);
	buf_release(&cmd);
	if (rc < 0)
		return source__fail(op, GS_ENOTFOUND, "%s", gs_error_last());
	return 0;
}

/* what ssh said, in our words */
static int ssh_exit_error(struct ssh_stream *s)
{
	struct source__op *op = s->sub->op;
	const char *err = s->proc.err.p, *p;
	char line[400], host[300];

	if (op->err_code)
		return -1;
	if ((p = strstr(err, "Host key for ")) &&
	    sscanf(p, "Host key for %299s has changed", host) == 1)
		return source__fail(op, GS_EAUTH, "host key for %s does not match known_hosts",
		                    host);
	if ((p = strstr(err, " host key is known for ")) &&
	    sscanf(p, " host key is known for %299s", host) == 1)
		return source__fail(op, GS_EAUTH, "no host key for %s in known_hosts", host);
	if (strstr(err, "Host key verification failed"))
		return source__fail(op, GS_EAUTH, "host key verification failed");
	source__proc_last_line(&s->proc, line, sizeof(line));
	if (strstr(err, "Permission denied"))
		return source__fail(op, GS_EAUTH, "authentication failed: %s", line);
	if (!line[0])
		snprintf(line, sizeof(line), "ssh exited with status %d",
		         WIFEXITED(s->proc.status) ? WEXITSTATUS(s->proc.status)
		                                   : 128 + WTERMSIG(s->proc.status));
	return source__fail(
	    op, strstr(err, "does not appear to be a git repository") ? GS_ENOTFOUND : GS_EIO, "%s",
	    line);
}

/* at EOF: wait (a little, within the deadline) for ssh to end and tell why */
static int ssh_at_eof(struct ssh_stream *s)
{
	struct source__op *op = s->sub->op;
	int64_t until = gs_mono_ms() + 2000;
	if (until > op->deadline)
		until = op->deadline;
	if (source__proc_wait(&s->proc, until) == 1)
		return 0; /* still running: a plain end of stream */
	if (WIFEXITED(s->proc.status) && WEXITSTATUS(s->proc.status) == 0)
		return 0;
	return ssh_exit_error(s);
}

static int ssh_read(git_smart_subtransport_stream *stream, char *buffer, size_t size, size_t *nread)
{
	struct ssh_stream *s = (struct ssh_stream *)stream;
	struct source__op *op = s->sub->op;

	*nread = 0;
	for (;;) {
		struct pollfd pf[2];
		nfds_t n = 0;
		int64_t left;
		ssize_t r = recv(s->proc.fd, buffer, size, 0);
		if (r > 0) {
			*nread = (size_t)r;
			return source__count_rx(op, (size_t)r);
		}
		if (r == 0) {
			s->eof = 1;
			return ssh_at_eof(s);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return source__fail(op, GS_EIO, "ssh: recv: %s", strerror(errno));
		if ((left = source__left_ms(op)) <= 0) {
			source__proc_release(&s->proc);
			return source__deadline_fail(op);
		}
		pf[n++] = (struct pollfd){ s->proc.fd, POLLIN, 0 };
		if (s->proc.errfd >= 0)
			pf[n++] = (struct pollfd){ s->proc.errfd, POLLIN, 0 };
		if (poll(pf, n, left > 1000 ? 1000 : (int)left) > 0 && n > 1 && pf[1].revents)
			source__proc_drain_err(&s->proc);
	}
}

static int ssh_write(git_smart_subtransport_stream *stream, const char *buffer, size_t len)
{
	struct ssh_stream *s = (struct ssh_stream *)stream;
	struct source__op *op = s->sub->op;
	if (send_all(op, s->proc.fd, buffer, len) < 0) {
		if (op->err_code == GS_EIO && !strstr(op->err, "deadline") &&
		    source__proc_wait(&s->proc, gs_mono_ms() + 500) == 0) {
			/* ssh died: its reason beats "broken pipe" */
			op->err_code = 0;
			ssh_exit_error(s);
		}
		return -1;
	}
	return 0;
}

static void ssh_stream_free(git_smart_subtransport_stream *stream)
{
	struct ssh_stream *s = (struct ssh_stream *)stream;
	if (!s)
		return;
	if (s->sub && s->sub->cur == s)
		s->sub->cur = NULL;
	if (s->proc.pid && !s->proc.reaped) {
		/* say goodbye: close our end, give ssh a moment to end on its own */
		shutdown(s->proc.fd, SHUT_WR);
		source__proc_wait(&s->proc, gs_mono_ms() + 500);
	}
	source__proc_release(&s->proc);
	free(s);
}

static int ssh_action(git_smart_subtransport_stream **out, git_smart_subtransport *t,
                      const char *url, git_smart_service_t action)
{
	struct ssh_sub *sub = (struct ssh_sub *)t;
	struct ssh_stream *s;
	(void)url;

	*out = NULL;
	if (action == GIT_SERVICE_UPLOADPACK && sub->cur) {
		*out = &sub->cur->parent;
		return 0;
	}
	if (action == GIT_SERVICE_UPLOADPACK) {
		/* libgit2 saying goodbye on a stream that is gone: nothing to say it on */
		git_error_set_str(GIT_ERROR_NET, "no connection");
		return -1;
	}
	if (action != GIT_SERVICE_UPLOADPACK_LS)
		return source__fail(sub->op, GS_EINVAL, "push is not supported");
	if (!(s = calloc(1, sizeof(*s))))
		return source__fail(sub->op, GS_ENOMEM, "out of memory");
	s->parent.subtransport = t;
	s->parent.read = ssh_read;
	s->parent.write = ssh_write;
	s->parent.free = ssh_stream_free;
	s->sub = sub;
	s->proc.fd = s->proc.errfd = -1;
	if (spawn_ssh(s) < 0) {
		ssh_stream_free(&s->parent);
		return -1;
	}
	sub->cur = s;
	*out = &s->parent;
	return 0;
}

static void cleanup(struct ssh_sub *sub)
{
	source__proc_release(&sub->agent);
	memset(&sub->agent, 0, sizeof(sub->agent));
	sub->agent.fd = sub->agent.errfd = -1;
	if (sub->dir[0]) {
		source__rmtree(sub->dir);
		sub->dir[0] = '\0';
	}
}

static int ssh_close(git_smart_subtransport *t)
{
	struct ssh_sub *sub = (struct ssh_sub *)t;
	if (sub->cur)
		ssh_stream_free(&sub->cur->parent);
	cleanup(sub);
	return 0;
}

static void ssh_sub_free(git_smart_subtransport *t)
{
	struct ssh_sub *sub = (struct ssh_sub *)t;
	if (!sub)
		return;
	if (sub->cur)
		ssh_stream_free(&sub->cur->parent);
	cleanup(sub);
	free(sub);
}

int source__sub_ssh(git_smart_subtransport **out, git_transport *owner, void *param)
{
	struct ssh_sub *sub = calloc(1, sizeof(*sub));
	(void)owner;
	*out = NULL;
	if (!sub)
		return source__fail(param, GS_ENOMEM, "out of memory");
	sub->op = param;
	sub->agent.fd = sub->agent.errfd = -1;
	sub->parent.action = ssh_action;
	sub->parent.close = ssh_close;
	sub->parent.free = ssh_sub_free;
	*out = &sub->parent;
	return 0;
}
