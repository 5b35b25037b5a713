#ifndef GS_CLI_H
#define GS_CLI_H
/*
 * The gitseal command. Each subcommand is `int cmd_<verb>(int argc, char **argv)`
 * in cli/cmd_<verb>.c, listed in cli/commands.def; it parses its options,
 * calls the library and returns the process exit code (0 ok, 1 failure,
 * 2 usage; where we stand in for kubeseal/sops/age, their codes). A verb with
 * sub-verbs (sops, keys) dispatches from its cmd_<verb>.c to cmd_<verb>_<sub>.c
 * through a table; nothing calls back into a dispatcher.
 *
 * What a command is told about itself (`VERB --help`, `gitseal help VERB`, the
 * man pages, bash/zsh/fish completion) comes from one description, its
 * `const struct cli_spec cmd_<verb>_spec` (see below): define it in
 * cmd_<verb>.c next to the option table it points at.
 */
#include <getopt.h>
#include <stdio.h>

#define GITSEAL_VERSION "0.1.0"
/* The versions of the tools gitseal stands in for, at the level it implements: what
 * `kubeseal --version` and `age --version` print under those names (sops: SOPS_VERSION). */
#define CLI_KUBESEAL_VERSION "0.36.6"
#define CLI_AGE_VERSION "v1.1.1"

struct cli_spec;

/* Each verb's function, and its description (weak: a verb without one still runs, and its
 * help comes from running `VERB --help`). */
#define CLI_COMMAND(name, fn, desc)                                                                \
	int fn(int argc, char **argv);                                                             \
	extern const struct cli_spec fn##_spec __attribute__((weak));
#include "cli/commands.def"
#undef CLI_COMMAND

/* Print "error: <last error>" (kubeseal's wording) to stderr; returns 1. */
int cli_die_last(const char *prefix);

/*
 * Command tables: gitseal's (commands.def, in main.c) and a verb's sub-verbs (keys,
 * sops, kube). A name's handler gets argv with argv[0] = that name; fn is NULL for
 * sub-verbs that the verb runs itself after parsing its own flags (sops, kube).
 */
struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *desc;            /* one line, for the usage list */
	const struct cli_spec *spec; /* its options and help; NULL: none yet */
};
/* gitseal's own table (commands.def), n gets its length. */
const struct cli_command *cli_commands(size_t *n);
/* The entry for name, or NULL. */
const struct cli_command *cli_command_find(const struct cli_command *cmds, size_t n,
                                           const char *name);
/* "  name           desc" for each entry. */
void cli_command_list(FILE *f, const struct cli_command *cmds, size_t n);
/*
 * "'x' is not a <what> command" and, like git, the closest names (edit distance, or a
 * name that x starts or ends): printed to stderr. Returns 2 (usage).
 */
int cli_unknown_command(const char *prog, const char *what, const char *name,
                        const struct cli_command *cmds, size_t n);

/*
 * Option tables (cli/opt.c). A command describes its options once, in a table; the table
 * makes getopt_long's arguments, the help text, the man page and the shell completion,
 * so they cannot drift apart.
 */
enum cli_opt_flags {
	CLI_OPT_REQUIRED = 1 << 0, /* the command cannot run without it: named when missing */
};
struct cli_opt {
	const char *name; /* long name ("in-place"); NULL ends the table */
	int id;           /* what getopt_long returns: the short letter ('i'), or an id >= 256 */
	int has_arg;      /* no_argument, required_argument, optional_argument */
	/* The argument's placeholder in help ("FILE"). It tells completion what to offer:
	 * "json|yaml" the words, a name holding FILE, PATH, DIR or KEY files (DIR:
	 * directories); anything else nothing. NULL for a flag. */
	const char *arg;
	const char *help; /* one line; NULL: accepted for compatibility, not listed */
	unsigned flags;   /* enum cli_opt_flags */
};
#define CLI_OPTS_MAX 96

/* How getopt reads argv (cli_getopt_init_mode). */
enum cli_getopt_mode {
	CLI_GETOPT_STOP = 1 << 0, /* options end at the first argument ('+': Go's flag package) */
	CLI_GETOPT_LONG_ONLY =
	    1 << 1,                /* -name is a long option too (getopt_long_only, Go's flags) */
	CLI_GETOPT_QUIET = 1 << 2, /* no getopt message for an unknown option (opterr = 0) */
};
struct cli_getopt {
	struct option longopts[CLI_OPTS_MAX + 1];
	char shortopts[2 * CLI_OPTS_MAX + 3];
	const struct cli_opt *opts;
	unsigned mode;
	unsigned char seen[CLI_OPTS_MAX]; /* seen[i]: opts[i]'s id came up (cli_getopt) */
};
/* getopt_long's long table and short-option string for opts (a letter id gets its short form). */
void cli_getopt_init(struct cli_getopt *g, const struct cli_opt *opts);
void cli_getopt_init_mode(struct cli_getopt *g, const struct cli_opt *opts, unsigned mode);
/* The next option (getopt_long or getopt_long_only as the mode says), noting it as seen;
 * optind must have been reset to 1 by the caller before the first call. */
int cli_getopt(struct cli_getopt *g, int argc, char **argv);
/*
 * Every CLI_OPT_REQUIRED option of the table that did not come up, named in one line:
 * "error: gitseal reseal: missing --key OLD, --cert NEW (see 'gitseal reseal --help')".
 * Returns how many were missing (0: none, nothing printed).
 */
int cli_missing(const struct cli_getopt *g, const char *cmd);

/* The help lines of opts, one per listed option: "  -i, --in-place            help".
 * only: NULL, or the long names to list (a NULL-terminated list). */
void cli_opt_help(FILE *f, const struct cli_opt *opts);
void cli_opt_help_only(FILE *f, const struct cli_opt *opts, const char *const *only);
/* Is opts[i] one of only's names (NULL only: every option)? */
int cli_opt_listed(const struct cli_opt *o, const char *const *only);
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

/*
 * What a command says about itself: its --help, `gitseal help VERB`, its man page
 * (gitseal-VERB.1; sub-verbs are sections of their verb's page) and its completion.
 */
struct cli_spec {
	const char *name;  /* "seal", "keys new", "sops encrypt": the words after "gitseal" */
	const char *usage; /* synopsis lines after the command's name, '\n' between them */
	const char
	    *about; /* what it does: paragraphs ('\n\n' between; an indented line is kept as is) */
	const struct cli_opt *opts; /* NULL: no options */
	const char *const *only;    /* NULL: every option of opts; else the long names it takes */
	const struct cli_command
	    *subs; /* sub-verbs (the usage list, help VERB SUB, man, completion) */
	size_t nsubs;
	const char
	    *args; /* what its arguments complete to: "file", "dir", a word list "a b c", NULL */
	const char
	    *more; /* after the options (environment, exit status, examples), same form as about */
	const char *text; /* a help text printed as is instead (age and age-keygen: theirs) */
};

/*
 * The name a command is run as, for its messages: "gitseal seal", or under a multi-call
 * name "kubeseal" ("sops encrypt" for the sub-verb of `sops`). buf gets it.
 */
const char *cli_prog(char *buf, size_t len, const struct cli_spec *s);
/* main(): run as `alias` (kubeseal, sops, age, age-keygen), standing for gitseal's `verb`. */
void cli_set_alias(const char *alias, const char *verb);
/* The alias in effect for a verb ("kubeseal" for "seal"), or NULL. */
const char *cli_alias_of(const char *verb);

/* The whole help of a command: usage lines, about, options, sub-verbs, more. */
void cli_usage(FILE *f, const struct cli_spec *s);
/* A command's sub-verb by name (s->subs), or NULL. */
const struct cli_command *cli_spec_sub(const struct cli_spec *s, const char *name);

/* gitseal's own usage: the command list. */
void cli_main_usage(FILE *f);
/* gitseal help [VERB [SUB]]: 0, or 2 with "did you mean" for an unknown name. */
int cli_help(int argc, char **argv);
/* Man pages in roff (cli/man.c): gitseal.1 (spec NULL) or gitseal-VERB.1. */
int cli_man_page(FILE *f, const struct cli_command *verb);
/* Completion scripts (cli/completion.c): "bash", "zsh" or "fish"; -1 for another shell. */
int cli_completion_script(FILE *f, const char *shell);

/*
 * Colour on a terminal (cli/color.c): diagnostics and diffs are coloured when stdout is
 * a terminal, NO_COLOR is unset or empty, and TERM is not "dumb"; --color=always|never|auto
 * decides first. cli_color(CLI_RED) is "" when colour is off.
 */
enum cli_color_mode { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };
/* "auto" | "always" | "never" (NULL: auto); -1 for another word. */
int cli_color_parse(const char *s);
/* Decide for fd (1: stdout) once; later cli_color() calls use the result. */
void cli_color_init(int mode, int fd);
enum cli_color { CLI_RESET, CLI_BOLD, CLI_RED, CLI_GREEN, CLI_YELLOW, CLI_CYAN, CLI_DIM };
const char *cli_color(enum cli_color c);

#endif
