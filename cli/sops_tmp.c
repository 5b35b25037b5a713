/*
 * Plaintext on its way to an editor or a command (sops edit, exec-file) lives in a
 * 0700 directory on tmpfs (/dev/shm, else $XDG_RUNTIME_DIR), never on a persistent
 * disk, and is overwritten before it is unlinked, on every path and on SIGTERM/SIGHUP.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd_sops.h"

/* what the signal handler removes: the one plaintext file of this process */
static char cleanup_dir[4096], cleanup_path[4096];

static void wipe_unlink(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW);
	struct stat st;
	if (fd >= 0) { /* overwrite before unlinking: tmpfs pages may be reused */
		if (fstat(fd, &st) == 0 && st.st_size > 0) {
			char zero[4096] = { 0 };
			off_t left = st.st_size;
			while (left > 0) {
				ssize_t w =
				    write(fd, zero,
				          left > (off_t)sizeof(zero) ? sizeof(zero) : (size_t)left);
				if (w <= 0)
					break;
				left -= w;
			}
			fsync(fd);
		}
		close(fd);
	}
	unlink(path);
}

void sops_cli_tmp_cleanup(const char *dir, const char *path)
{
	DIR *d;
	struct dirent *e;
	char p[8192];
	if (path && path[0])
		wipe_unlink(path);
	if (!dir || !dir[0])
		return;
	/* editors leave swap and backup files next to the plaintext: wipe them too */
	if ((d = opendir(dir))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				wipe_unlink(p);
			}
		closedir(d);
	}
	rmdir(dir);
	if (!strcmp(dir, cleanup_dir))
		cleanup_dir[0] = cleanup_path[0] = 0;
}

static void on_signal(int sig)
{
	sops_cli_tmp_cleanup(cleanup_dir, cleanup_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

int sops_cli_tmpfile(char *dir, size_t dirlen, char *path, size_t pathlen, const char *base)
{
	const char *roots[3], *r;
	struct stat st;
	int i, fd;
	roots[0] = "/dev/shm";
	roots[1] = getenv("XDG_RUNTIME_DIR");
	roots[2] = NULL;
	for (i = 0; i < 2; i++) {
		r = roots[i];
		if (!r || !*r || stat(r, &st) < 0 || !S_ISDIR(st.st_mode) || access(r, W_OK) < 0)
			continue;
		snprintf(dir, dirlen, "%s/gitseal-sops.XXXXXX", r);
		if (!mkdtemp(dir))
			continue;
		chmod(dir, 0700);
		snprintf(path, pathlen, "%s/%s", dir, base);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)) < 0) {
			rmdir(dir);
			continue;
		}
		close(fd);
		snprintf(cleanup_dir, sizeof(cleanup_dir), "%s", dir);
		snprintf(cleanup_path, sizeof(cleanup_path), "%s", path);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		return 0;
	}
	dir[0] = path[0] = 0;
	return gs_error(SOPS_ERR(GS_EIO, SOPS_EXIT_WRITE_OUTPUT),
	                "Could not create temporary directory: no tmpfs (/dev/shm or "
	                "$XDG_RUNTIME_DIR) to hold the plaintext");
}

int sops_cli_shell(const char *cmd, const char *arg)
{
	pid_t pid = fork();
	int st;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		if (arg)
			execl("/bin/sh", "sh", "-c", cmd, "sh", arg, (char *)NULL);
		else
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
