/*
 * gitseal hook install|uninstall: the git pre-commit hook that runs
 * `gitseal check --staged` (the staged versions of the staged files, read from
 * the index). The hook's path comes from git (core.hooksPath, worktrees); an
 * existing hook that is not ours is never overwritten without --force (then it
 * is kept as pre-commit.orig).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/file.h"

#define HOOK_MARK "# gitseal pre-commit hook"

static const struct cli_opt hook_options[] = {
	{ "force", 'f', no_argument, NULL,
	  "install: replace a pre-commit hook that is not gitseal's (kept as .orig)" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct cli_command hook_verbs[] = {
	{ "install", NULL,
	  "write the pre-commit hook (git rev-parse --git-path hooks/pre-commit)" },
	{ "uninstall", NULL, "remove it, if it is gitseal's" },
};

const struct cli_spec cmd_hook_spec = {
	.name = "hook",
	.usage = "install [--force]\nuninstall",
	.about =
	    "Install the git pre-commit hook that runs 'gitseal check --staged': every commit is "
	    "checked\n"
	    "for plaintext Secrets and broken SOPS/SealedSecret files, in the versions being "
	    "committed\n"
	    "(the index), not the work tree. git commit --no-verify skips it once.\n\n"
	    "With the pre-commit framework instead, see README (repo: local, entry: gitseal check\n"
	    "--staged, pass_filenames: false).",
	.opts = hook_options,
	.subs = hook_verbs,
	.nsubs = sizeof(hook_verbs) / sizeof(hook_verbs[0]),
};

/* The hook's path, as git resolves it (core.hooksPath, a worktree's common dir). */
static int hook_path(char *out, size_t len)
{
	FILE *p = popen("git rev-parse --git-path hooks/pre-commit 2>/dev/null", "r");
	size_t n;
	int st;
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	st = pclose(p);
	out[n] = 0;
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = 0;
	return st == 0 && n ? 0 : -1;
}

static int is_ours(const char *path)
{
	struct buf b = BUF_INIT(1 << 20);
	int ours = file_read(&b, path) >= 0 && strstr(b.p, HOOK_MARK) != NULL;
	buf_release(&b);
	return ours;
}

static int install(int force)
{
	char path[PATH_MAX], self[PATH_MAX], dir[PATH_MAX], *slash;
	struct buf text = BUF_INIT(1 << 16);
	ssize_t n;
	int rc = 1;

	if (hook_path(path, sizeof(path)) < 0) {
		fprintf(stderr, "error: gitseal hook: not in a git repository\n");
		return 2;
	}
	if (file_exists(path) && !is_ours(path)) {
		char orig[PATH_MAX + 8];
		if (!force) {
			fprintf(stderr,
			        "error: %s exists and is not gitseal's: add 'gitseal check "
			        "--staged' to it, or run "
			        "gitseal hook install --force (it is kept as pre-commit.orig)\n",
			        path);
			return 1;
		}
		snprintf(orig, sizeof(orig), "%s.orig", path);
		if (rename(path, orig) < 0) {
			fprintf(stderr, "error: %s: %s\n", orig, strerror(errno));
			return 1;
		}
		fprintf(stderr, "the previous hook is kept as %s\n", orig);
	}
	/* the hook runs this binary, or gitseal from PATH when it has moved */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		n = 0;
	self[n] = 0;
	buf_addf(&text,
	         "#!/bin/sh\n" HOOK_MARK
	         " (gitseal hook install): the staged versions of the staged\n"
	         "# files are checked for plaintext Secrets and broken SOPS/SealedSecret files.\n"
	         "# Skip it once with: git commit --no-verify\n"
	         "GITSEAL='%s'\n"
	         "[ -x \"$GITSEAL\" ] || GITSEAL=gitseal\n"
	         "exec \"$GITSEAL\" check --staged\n",
	         self);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/'))) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "error: %s: %s\n", dir, strerror(errno));
			goto out;
		}
	}
	if (strchr(self, '\'') || file_write_atomic(path, text.p, text.len, 0755, 0) < 0) {
		cli_die_last(NULL);
		goto out;
	}
	printf("installed %s\n", path);
	rc = 0;
out:
	buf_release(&text);
	return rc;
}

static int uninstall(void)
{
	char path[PATH_MAX];
	if (hook_path(path, sizeof(path)) < 0) {
		fprintf(stderr, "error: gitseal hook: not in a git repository\n");
		return 2;
	}
	if (!file_exists(path)) {
		printf("no pre-commit hook\n");
		return 0;
	}
	if (!is_ours(path)) {
		fprintf(stderr, "error: %s is not gitseal's: left alone\n", path);
		return 1;
	}
	if (unlink(path) < 0) {
		fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("removed %s\n", path);
	return 0;
}

int cmd_hook(int argc, char **argv)
{
	struct cli_getopt g;
	int opt, force = 0;

	cli_getopt_init(&g, hook_options);
	optind = 1;
	while ((opt = cli_getopt(&g, argc, argv)) != -1) {
		switch (opt) {
		case 'f': force = 1; break;
		case 'h': cli_usage(stdout, &cmd_hook_spec); return 0;
		default: cli_usage(stderr, &cmd_hook_spec); return 2;
		}
	}
	if (argc - optind != 1) {
		cli_usage(stderr, &cmd_hook_spec);
		return 2;
	}
	if (!strcmp(argv[optind], "install"))
		return install(force);
	if (!strcmp(argv[optind], "uninstall"))
		return uninstall();
	return cli_unknown_command("gitseal hook", "gitseal hook", argv[optind], hook_verbs,
	                           sizeof(hook_verbs) / sizeof(hook_verbs[0]));
}
