#ifndef GS_CLI_H
#define GS_CLI_H
/*
 * The gitseal command. Each subcommand is `int cmd_<verb>(int argc, char **argv)`
 * in cli/cmd_<verb>.c, listed in cli/commands.def; it parses its options,
 * calls the library and returns the process exit code (0 ok, 1 failure,
 * 2 usage; where we stand in for kubeseal/sops/age, their codes). A verb with
 * sub-verbs (sops, keys) dispatches from its cmd_<verb>.c to cmd_<verb>_<sub>.c
 * through a table; nothing calls back into a dispatcher.
 */
#include <getopt.h>
#include <stdio.h>

#define GITSEAL_VERSION "0.1.0"

#define CLI_COMMAND(name, fn, desc) int fn(int argc, char **argv);
#include "cli/commands.def"
#undef CLI_COMMAND

/* Print "error: <last error>" (kubeseal's wording) to stderr; returns 1. */
int cli_die_last(const char *prefix);

/*
 * Command tables: gitseal's (commands.def, in main.c) and a verb's sub-verbs (keys).
 * A name's handler gets argv with argv[0] = that name.
 */
struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *desc; /* one line, for the usage list */
};
/* The entry for name, or NULL. */
const struct cli_command *cli_command_find(const struct cli_command *cmds, size_t n,
                                           const char *name);
/* "  name           desc" for each entry. */
void cli_command_list(FILE *f, const struct cli_command *cmds, size_t n);

/*
 * Option tables (cli/opt.c). A command describes its options once, in a table; the table
 * makes getopt_long's arguments and the help text (and is what shell completion and man
 * pages are to be generated from), so they cannot drift apart.
 */
struct cli_opt {
	const char *name; /* long name ("in-place"); NULL ends the table */
	int id;           /* what getopt_long returns: the short letter ('i'), or an id >= 256 */
	int has_arg;      /* no_argument, required_argument, optional_argument */
	const char *arg;  /* the argument's placeholder in help ("FILE"); NULL for a flag */
	const char *help; /* one line; NULL: accepted for compatibility, not listed */
};
#define CLI_OPTS_MAX 96
struct cli_getopt {
	struct option longopts[CLI_OPTS_MAX + 1];
	char shortopts[2 * CLI_OPTS_MAX + 2];
};
/* getopt_long's long table and short-option string for opts (a letter id gets its short form). */
void cli_getopt_init(struct cli_getopt *g, const struct cli_opt *opts);
/* The help lines of opts, one per listed option: "  -i, --in-place            help". */
void cli_opt_help(FILE *f, const struct cli_opt *opts);
/* A whole-number argument of flag in [min, max] into *out; 0, or prints the error and returns -1.
 */
int cli_int_arg(int *out, const char *flag, const char *s, int min, int max);
/* "30s", "500ms", "2m", or seconds, from 1 ms to a day, in milliseconds; -1 when it is none of
 * these (the caller prints the error). */
long long cli_duration_ms(const char *s);
/* out = the rows of a, then those of b (at most max), then the NULL row: a verb's own options
 * and a shared set (build's, kubectl's connection flags) in one table. */
void cli_opts_cat(struct cli_opt *out, size_t max, const struct cli_opt *a,
                  const struct cli_opt *b);

#endif
