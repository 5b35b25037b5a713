/*
 * gitseal man: the manual pages in roff, made from the command table and each
 * command's spec (the same source as --help). make install writes them all.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/error.h"

static const struct cli_opt man_options[] = {
	{ "output-dir", 'o', required_argument, "DIR",
	  "write gitseal.1 and every gitseal-VERB.1 into DIR" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_man_spec = {
	.name = "man",
	.usage = "[VERB]\n-o DIR",
	.about = "Print gitseal(1), or gitseal-VERB(1), in roff on stdout (man -l - reads it), or "
	         "write\n"
	         "every page into DIR. make install installs them under share/man/man1.",
	.opts = man_options,
	.args = "@commands",
};

static int write_page(const char *dir, const struct cli_command *c)
{
	char path[4096];
	FILE *f;
	int rc;
	snprintf(path, sizeof(path), "%s/gitseal%s%s.1", dir, c ? "-" : "", c ? c->name : "");
	if (!(f = fopen(path, "w"))) {
		fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = cli_man_page(f, c);
	if (fclose(f) != 0 || rc < 0) {
		fprintf(stderr, "error: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

int cmd_man(int argc, char **argv)
{
	const struct cli_command *cmds, *c = NULL;
	const char *dir = NULL;
	struct cli_getopt g;
	size_t n, i;
	int opt;

	cmds = cli_commands(&n);
	cli_getopt_init(&g, man_options);
	optind = 1;
	while ((opt = cli_getopt(&g, argc, argv)) != -1) {
		switch (opt) {
		case 'o': dir = optarg; break;
		case 'h': cli_usage(stdout, &cmd_man_spec); return 0;
		default: cli_usage(stderr, &cmd_man_spec); return 2;
		}
	}
	if (argc - optind > 1 || (dir && argc - optind)) {
		cli_usage(stderr, &cmd_man_spec);
		return 2;
	}
	if (argc - optind == 1 && !(c = cli_command_find(cmds, n, argv[optind])))
		return cli_unknown_command("gitseal man", "gitseal", argv[optind], cmds, n);
	if (!dir)
		return cli_man_page(stdout, c) < 0 || fflush(stdout) ? 1 : 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "error: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (write_page(dir, NULL) < 0)
		return 1;
	for (i = 0; i < n; i++)
		if (write_page(dir, &cmds[i]) < 0)
			return 1;
	return 0;
}
