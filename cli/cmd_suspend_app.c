/*
 * gitseal suspend|resume app NAME: a merge patch of spec.suspend (true/false),
 * as `flux suspend|resume`. A suspended Application is neither synced nor
 * healed nor pruned until it is resumed; its objects stay as they are.
 */
#include <stdio.h>
#include <string.h>

#include "cli/app_cli.h"
#include "cli/cli.h"
#include "core/error.h"
#include "doc/doc.h"

static const struct cli_opt suspend_options[] = {
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static int set_suspend(int argc, char **argv, int suspend)
{
	const char *verb = suspend ? "suspend" : "resume";
	struct cli_opt opts[APP_CLI_OPTS_MAX + 1];
	struct app_cli c = APP_CLI_INIT;
	struct cli_getopt g;
	struct doc *patch = doc_new_map(), *spec;
	int ch, ret = 2;

	app_cli_opts(opts, suspend_options);
	cli_getopt_init(&g, opts);
	optind = 1;
	while ((ch = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		if (app_cli_kube_opt(&c, ch, optarg))
			continue;
		if (ch == 'h') {
			printf("usage: gitseal %s app NAME [-n NS]\n%s an Application's syncs.\n\n",
			       verb, suspend ? "Stop" : "Restart");
			cli_opt_help(stdout, opts);
			ret = 0;
		} else {
			fprintf(stderr, "usage: gitseal %s app NAME [-n NS]\n", verb);
		}
		goto out;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "error: %s\n",
		        optind < argc ? "one NAME only" : "NAME is required");
		goto out;
	}
	ret = 1;
	/* {"spec":{"suspend":true}}; doc_set takes the child even when it fails */
	if (!patch || doc_set(patch, "spec", spec = doc_new_map()) < 0 ||
	    doc_set(spec, "suspend", doc_new_bool(suspend)) < 0) {
		gs_error(GS_ENOMEM, "out of memory");
		ret = cli_die_last(NULL);
		goto out;
	}
	if (app_cli_connect(&c) < 0 || app_cli_patch(NULL, &c, argv[optind], patch) < 0) {
		ret = cli_die_last(NULL);
		goto out;
	}
	printf("%s/%s %s\n", "application.gitseal.dev", argv[optind],
	       suspend ? "suspended" : "resumed");
	ret = 0;
out:
	doc_free(patch);
	app_cli_release(&c);
	return ret;
}

int cmd_suspend_app(int argc, char **argv)
{
	return set_suspend(argc, argv, 1);
}

int cmd_resume_app(int argc, char **argv)
{
	return set_suspend(argc, argv, 0);
}
