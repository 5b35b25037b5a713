#ifndef GS_CLI_H
#define GS_CLI_H
/*
 * The gitseal command. Each subcommand is `int cmd_<verb>(int argc, char **argv)`
 * in cli/cmd_<verb>.c, listed in cli/commands.def; it parses its options,
 * calls the library and returns the process exit code (0 ok, 1 failure,
 * 2 usage; where we stand in for kubeseal/sops/age, their codes).
 */
#define GITSEAL_VERSION "0.1.0"

#define CLI_COMMAND(name, fn, desc) int fn(int argc, char **argv);
#include "cli/commands.def"
#undef CLI_COMMAND

/* Print "error: <last error>" (kubeseal's wording) to stderr; returns 1. */
int cli_die_last(const char *prefix);

#endif
