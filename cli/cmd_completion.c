/* gitseal completion SHELL: the completion script for bash, zsh or fish, on stdout. */
#include <string.h>

#include "cli/cli.h"

static const struct cli_opt completion_options[] = {
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_completion_spec = {
	.name = "completion",
	.usage = "bash|zsh|fish",
	.about =
	    "Print the shell completion script for gitseal, generated from the same option tables\n"
	    "that parse its flags. Load it in the running shell:\n\n"
	    "    source <(gitseal completion bash)      # ~/.bashrc\n"
	    "    source <(gitseal completion zsh)       # ~/.zshrc, after compinit\n"
	    "    gitseal completion fish | source       # ~/.config/fish/config.fish\n\n"
	    "make install puts the scripts where bash-completion, zsh and fish look for them.",
	.opts = completion_options,
	.args = "bash zsh fish",
};

int cmd_completion(int argc, char **argv)
{
	struct cli_getopt g;
	int c;

	cli_getopt_init(&g, completion_options);
	optind = 1;
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		if (c == 'h') {
			cli_usage(stdout, &cmd_completion_spec);
			return 0;
		}
		cli_usage(stderr, &cmd_completion_spec);
		return 2;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "error: gitseal completion: which shell? bash, zsh or fish\n");
		return 2;
	}
	if (cli_completion_script(stdout, argv[optind]) < 0) {
		fprintf(stderr,
		        "error: gitseal completion: no completion for '%s': bash, zsh or fish\n",
		        argv[optind]);
		return 2;
	}
	return fflush(stdout) ? 1 : 0;
}
