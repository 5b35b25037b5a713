/*
 * gitseal resume TYPE NAME: one sub-verb per type from the table below
 * (cmd_suspend_<type>.c has both verbs); only Applications for now.
 */
#include <stdio.h>
#include <string.h>

#include "cli/app_cli.h"
#include "cli/cli.h"

static const struct cli_command types[] = {
	{ "app", cmd_resume_app, "an Application (also apps, application(s))" },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

int cmd_resume(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
		        "usage: gitseal resume TYPE NAME [-n NS]\n\ntypes:\n");
		cli_command_list(argc < 2 ? stderr : stdout, types, NTYPES);
		return argc < 2 ? 2 : 0;
	}
	if (!app_cli_is_app_type(argv[1])) {
		fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n", argv[1]);
		return 1;
	}
	return types[0].fn(argc - 1, argv + 1);
}
