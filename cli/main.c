/*
 * gitseal: dispatch to a subcommand. Linked (or copied) under the name of a tool
 * it stands in for - kubeseal, sops, age, age-keygen - it behaves as that tool
 * (argv[0]), so existing scripts keep working.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/error.h"

static const struct cli_command commands[] = {
#define CLI_COMMAND(name, fn, desc) { name, fn, desc, &fn##_spec },
#include "cli/commands.def"
#undef CLI_COMMAND
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The multi-call names: argv[0]'s last component -> the verb that stands in for it. */
static const struct {
	const char *name, *verb;
} aliases[] = {
	{ "kubeseal", "seal" },
	{ "sops", "sops" },
	{ "age", "age" },
	{ "age-keygen", "age-keygen" },
};

const struct cli_command *cli_commands(size_t *n)
{
	*n = NCOMMANDS;
	return commands;
}

int cli_die_last(const char *prefix)
{
	if (prefix)
		fprintf(stderr, "error: %s: %s\n", prefix, gs_error_last());
	else
		fprintf(stderr, "error: %s\n", gs_error_last());
	return 1;
}

extern const struct cli_spec cmd_version_spec, cmd_help_spec;

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(stdout, &cmd_version_spec);
		return 0;
	}
	printf("gitseal version %s\n", GITSEAL_VERSION);
	return 0;
}

const struct cli_spec cmd_version_spec = {
	.name = "version",
	.about = "Print gitseal's version. Under a multi-call name, --version prints that tool's\n"
	         "version line first (the level gitseal implements), then this one.",
};

int cmd_help(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(stdout, &cmd_help_spec);
		return 0;
	}
	return cli_help(argc, argv);
}

const struct cli_spec cmd_help_spec = {
	.name = "help",
	.usage = "[COMMAND [SUBCOMMAND]]",
	.about = "Print a command's help: its usage, options and sub-commands (the same text as\n"
	         "'gitseal COMMAND --help'); without one, the list of commands.",
	.args = "@commands",
};

static int init_sodium(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "error: libsodium failed to initialise\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct cli_command *c;
	const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
	size_t i;

	base = base ? base + 1 : argc > 0 && argv[0] ? argv[0] : "gitseal";
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(base, aliases[i].name))
			continue;
		/* the verb gets argv as it is: argv[0] is the tool's name, its flags follow */
		cli_set_alias(aliases[i].name, aliases[i].verb);
		if (init_sodium() < 0)
			return 1;
		return cli_command_find(commands, NCOMMANDS, aliases[i].verb)->fn(argc, argv);
	}
	if (argc < 2) {
		cli_main_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_main_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))
		return cmd_version(argc - 1, argv + 1);
	if (init_sodium() < 0)
		return 1;
	if ((c = cli_command_find(commands, NCOMMANDS, argv[1])))
		return c->fn(argc - 1, argv + 1);
	return cli_unknown_command("gitseal", "gitseal", argv[1], commands, NCOMMANDS);
}
