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
	  "generate a sealing key as the controller does (its key Secret, or PEM files)",
	  &keys_cmd_new_spec },
	{ "cert", keys_cmd_cert, "print the certificate of the newest key in key files",
	  &keys_cmd_cert_spec },
	{ "backup", keys_cmd_backup,
	  "every sealing-key Secret of the cluster into one (age-encrypted) file",
	  &keys_cmd_backup_spec },
	{ "restore", keys_cmd_restore,
	  "create the key Secrets of a backup that are not in the cluster",
	  &keys_cmd_restore_spec },
	{ "list", keys_cmd_list,
	  "the controller's keys and age identities, and what still needs each" },
	{ "renew", keys_cmd_renew, "a new sealing key and age identity in the cluster, now", NULL },
	{ "retire", keys_cmd_retire,
	  "back up a key no longer needed (age-encrypted), then delete its Secret", NULL },
};
#define NKEYS (sizeof(keys_commands) / sizeof(keys_commands[0]))

static const struct cli_opt keys_options[] = {
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_keys_spec = {
	.name = "keys",
	.usage = "<command> [options]",
	.about = "The Sealed Secrets controller's sealing keys, offline and in the cluster.",
	.opts = keys_options,
	.subs = keys_commands,
	.nsubs = NKEYS,
};

int cmd_keys(int argc, char **argv)
{
	const struct cli_command *c;
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_usage(argc < 2 ? stderr : stdout, &cmd_keys_spec);
		return argc < 2 ? 2 : 0;
	}
	if ((c = cli_command_find(keys_commands, NKEYS, argv[1])))
		return c->fn(argc - 1, argv + 1);
	return cli_unknown_command("gitseal keys", "gitseal keys", argv[1], keys_commands, NKEYS);
}
