/*
 * gitseal get TYPE: kubectl get for gitseal's own kinds. One sub-verb per type,
 * from the table below (cmd_get_<type>.c); only Applications for now.
 */
#include <stdio.h>
#include <string.h>

#include "cli/app_cli.h"
#include "cli/cli.h"

static const struct cli_command types[] = {
	{ "apps", cmd_get_apps,
	  "Applications (also app, application(s), applications.gitseal.dev)" },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal get TYPE [NAME] [-A] [-n NS] [-o wide|json|yaml]\n\n"
	           "types:\n");
	cli_command_list(f, types, NTYPES);
}

int cmd_get(int argc, char **argv)
{
	const struct cli_command *c;
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (app_cli_is_app_type(argv[1]))
		c = &types[0];
	else
		c = cli_command_find(types, NTYPES, argv[1]);
	if (!c) {
		fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n", argv[1]);
		return 1;
	}
	return c->fn(argc - 1, argv + 1);
}
