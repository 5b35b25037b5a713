/* gitseal: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/error.h"

static const struct cli_command commands[] = {
#define CLI_COMMAND(name, fn, desc) { name, fn, desc },
#include "cli/commands.def"
#undef CLI_COMMAND
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal <command> [options]\n\n"
	           "Secret management for GitOps on Kubernetes: Sealed Secrets, age and SOPS.\n\n"
	           "commands:\n");
	cli_command_list(f, commands, NCOMMANDS);
	fprintf(f, "\nRun 'gitseal <command> --help' for a command's options.\n");
}

int cli_die_last(const char *prefix)
{
	if (prefix)
		fprintf(stderr, "error: %s: %s\n", prefix, gs_error_last());
	else
		fprintf(stderr, "error: %s\n", gs_error_last());
	return 1;
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("gitseal version %s\n", GITSEAL_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		return cmd_version(argc - 1, argv + 1);
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "error: libsodium failed to initialise\n");
		return 1;
	}
	if ((c = cli_command_find(commands, NCOMMANDS, argv[1])))
		return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "gitseal: '%s' is not a gitseal command. See 'gitseal --help'.\n", argv[1]);
	return 2;
}
