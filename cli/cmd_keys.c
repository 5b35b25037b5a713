/*
 * gitseal keys: the controller's sealing keys offline and in the cluster. One file per
 * sub-verb (cmd_keys_<sub>.c), run from the table here.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"

static const struct cli_command keys_commands[] = {
	{ "new", keys_cmd_new,
	  "generate a sealing key as the controller does (its key Secret, or PEM files)" },
	{ "cert", keys_cmd_cert, "print the certificate of the newest key in key files" },
	{ "backup", keys_cmd_backup,
	  "every sealing-key Secret of the cluster into one (age-encrypted) file" },
	{ "restore", keys_cmd_restore,
	  "create the key Secrets of a backup that are not in the cluster" },
	{ "list", keys_cmd_list,
	  "the controller's keys and age identities, and what still needs each" },
	{ "renew", keys_cmd_renew, "a new sealing key and age identity in the cluster, now" },
	{ "retire", keys_cmd_retire,
	  "back up a key no longer needed (age-encrypted), then delete its Secret" },
};
#define NKEYS (sizeof(keys_commands) / sizeof(keys_commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal keys <command> [options]\n\ncommands:\n");
	cli_command_list(f, keys_commands, NKEYS);
	fprintf(f, "\nRun 'gitseal keys <command> --help' for a command's options.\n");
}

int cmd_keys(int argc, char **argv)
{
	const struct cli_command *c;
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if ((c = cli_command_find(keys_commands, NKEYS, argv[1])))
		return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "gitseal keys: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
