/*
 * Child processes for the ssh transport (ssh, ssh-agent, ssh-add): stdin and stdout
 * are one end of a socketpair (send() with MSG_NOSIGNAL, so a child that dies never
 * raises SIGPIPE in a library), stderr a pipe whose last bytes become the error
 * message. Every wait has a deadline; at the deadline the child is killed.
 *
 * The child gets a clean slate between fork() and exec(): only async-signal-safe
 * calls, the signal mask emptied, every other descriptor closed (other threads may
 * have opened some without O_CLOEXEC), PR_SET_PDEATHSIG so it dies with us, and
 * its own process group.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "source/source_int.h"

/* argv[0] in $PATH (or as given when it holds a '/'), before fork: execve() only after */
static int find_exe(char *out, size_t n, const char *name)
{
	const char *path = getenv("PATH"), *p;
	if (strchr(name, '/')) {
		snprintf(out, n, "%s", name);
		return access(out, X_OK);
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len && len + strlen(name) + 2 <= n) {
			snprintf(out, n, "%.*s/%s", (int)len, p, name);
			if (access(out, X_OK) == 0)
				return 0;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return -1;
}

int source__proc_spawn(struct source__proc *p, const char *const argv[], const char *const env[])
{
	char exe[4096];
	int sv[2] = { -1, -1 }, ep[2] = { -1, -1 };
	pid_t pid;
	sigset_t all, old;

	memset(p, 0, sizeof(*p));
	p->fd = p->errfd = -1;
	buf_init(&p->err, SOURCE_PROC_ERR_MAX * 2, 0);
	if (find_exe(exe, sizeof(exe), argv[0]) < 0)
		return gs_error(GS_ENOTFOUND, "%s: command not found (install openssh-client)",
		                argv[0]);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(ep, O_CLOEXEC) < 0) {
		int e = errno;
		if (sv[0] >= 0)
			close(sv[0]), close(sv[1]);
		if (ep[0] >= 0)
			close(ep[0]), close(ep[1]);
		return gs_error(GS_EIO, "%s: %s", argv[0], strerror(e));
	}
	/* no signal handler of ours may run in the child before exec */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		struct sigaction dfl;
		sigset_t none;
		int i;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (i = 1; i < NSIG; i++)
			if (i != SIGKILL && i != SIGSTOP)
				sigaction(i, &dfl, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpgid(0, 0);
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 || dup2(ep[1], 2) < 0)
			_exit(127);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execve(exe, (char *const *)argv, (char *const *)env);
		_exit(127);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	close(ep[1]);
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(ep[0]);
		return gs_error(GS_EIO, "%s: fork: %s", argv[0], strerror(e));
	}
	p->pid = pid;
	p->fd = sv[0];
	p->errfd = ep[0];
	fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
	fcntl(p->errfd, F_SETFL, fcntl(p->errfd, F_GETFL) | O_NONBLOCK);
	return 0;
}

void source__proc_drain_err(struct source__proc *p)
{
	char tmp[4096];
	ssize_t n;
	if (p->errfd < 0)
		return;
	while ((n = read(p->errfd, tmp, sizeof(tmp))) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		/* keep the last SOURCE_PROC_ERR_MAX bytes: the reason is at the end */
		if (p->err.len + (size_t)n > SOURCE_PROC_ERR_MAX) {
			size_t drop = p->err.len + (size_t)n - SOURCE_PROC_ERR_MAX;
			if (drop > p->err.len)
				drop = p->err.len;
			memmove(p->err.p, p->err.p + drop, p->err.len - drop);
			buf_truncate(&p->err, p->err.len - drop);
		}
		buf_add(&p->err, tmp,
		        (size_t)n > SOURCE_PROC_ERR_MAX ? SOURCE_PROC_ERR_MAX : (size_t)n);
	}
	if (n == 0) {
		close(p->errfd);
		p->errfd = -1;
	}
}

int source__poll_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pf = { fd, events, 0 };
		int64_t left = deadline - gs_mono_ms();
		int r;
		if (left <= 0)
			return 0;
		r = poll(&pf, 1, left > 1000 ? 1000 : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

int source__proc_wait(struct source__proc *p, int64_t deadline)
{
	int pidfd;
	if (!p->pid || p->reaped)
		return 0;
	pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	for (;;) {
		struct pollfd pf[2];
		int64_t left;
		nfds_t n = 0;
		pid_t r = waitpid(p->pid, &p->status, WNOHANG);
		if (r == p->pid || (r < 0 && errno == ECHILD)) {
			p->reaped = 1;
			break;
		}
		source__proc_drain_err(p);
		if ((left = deadline - gs_mono_ms()) <= 0) {
			if (pidfd >= 0)
				close(pidfd);
			return 1;
		}
		if (pidfd >= 0)
			pf[n++] = (struct pollfd){ pidfd, POLLIN, 0 };
		if (p->errfd >= 0)
			pf[n++] = (struct pollfd){ p->errfd, POLLIN, 0 };
		/* without a pidfd (old kernels), look again every 10 ms */
		poll(pf, n,
		     pidfd >= 0 ? (left > 1000 ? 1000 : (int)left) : (left > 10 ? 10 : (int)left));
	}
	if (pidfd >= 0)
		close(pidfd);
	source__proc_drain_err(p);
	return 0;
}

void source__proc_release(struct source__proc *p)
{
	if (p->pid && !p->reaped) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->reaped = 1;
	}
	if (p->fd >= 0)
		close(p->fd);
	if (p->errfd >= 0)
		close(p->errfd);
	p->fd = p->errfd = -1;
	buf_release(&p->err);
}

const char *source__proc_last_line(struct source__proc *p, char *out, size_t n)
{
	const char *s = p->err.p, *end = s + p->err.len, *line;
	size_t len;
	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	line = end;
	while (line > s && line[-1] != '\n' && line[-1] != '\r')
		line--;
	len = (size_t)(end - line);
	if (len >= n)
		len = n - 1;
	memcpy(out, line, len);
	out[len] = '\0';
	return out;
}
