/* Option tables: one description of a command's options for getopt_long and its help. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int is_short(int id)
{
	return id > 0 && id < 256 && id != '?' && id != ':';
}

void cli_getopt_init_mode(struct cli_getopt *g, const struct cli_opt *opts, unsigned mode)
{
	size_t i, n = 0, s = 0;
	memset(g, 0, sizeof(*g));
	g->opts = opts;
	g->mode = mode;
	if (mode & CLI_GETOPT_STOP)
		g->shortopts[s++] = '+';
	for (i = 0; opts[i].name && n < CLI_OPTS_MAX; i++) {
		g->longopts[n].name = opts[i].name;
		g->longopts[n].has_arg = opts[i].has_arg;
		g->longopts[n].flag = NULL;
		g->longopts[n].val = opts[i].id;
		n++;
		if (is_short(opts[i].id) && !memchr(g->shortopts, opts[i].id, s)) {
			g->shortopts[s++] = (char)opts[i].id;
			if (opts[i].has_arg == required_argument)
				g->shortopts[s++] = ':';
			else if (opts[i].has_arg == optional_argument) {
				g->shortopts[s++] = ':';
				g->shortopts[s++] = ':';
			}
		}
	}
}

void cli_getopt_init(struct cli_getopt *g, const struct cli_opt *opts)
{
	cli_getopt_init_mode(g, opts, 0);
}

int cli_getopt(struct cli_getopt *g, int argc, char **argv)
{
	int c;
	size_t i;
	opterr = !(g->mode & CLI_GETOPT_QUIET);
	if (g->mode & CLI_GETOPT_LONG_ONLY)
		c = getopt_long_only(argc, argv, g->shortopts, g->longopts, NULL);
	else
		c = getopt_long(argc, argv, g->shortopts, g->longopts, NULL);
	for (i = 0; c != -1 && c != '?' && c != ':' && g->opts[i].name && i < CLI_OPTS_MAX; i++)
		if (g->opts[i].id == c)
			g->seen[i] = 1;
	return c;
}

int cli_missing(const struct cli_getopt *g, const char *cmd)
{
	char list[1024];
	size_t i, j, len = 0;
	int n = 0;
	list[0] = 0;
	for (i = 0; g->opts[i].name && i < CLI_OPTS_MAX; i++) {
		int seen = 0;
		if (!(g->opts[i].flags & CLI_OPT_REQUIRED))
			continue;
		/* an alias with the same id counts */
		for (j = 0; g->opts[j].name && j < CLI_OPTS_MAX; j++)
			seen |= g->opts[j].id == g->opts[i].id && g->seen[j];
		if (seen || len >= sizeof(list) - 1)
			continue;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s--%s%s%s",
		                        n++ ? ", " : "", g->opts[i].name, g->opts[i].arg ? " " : "",
		                        g->opts[i].arg ? g->opts[i].arg : "");
	}
	if (n)
		fprintf(stderr, "error: %s: missing %s (see '%s --help')\n", cmd, list, cmd);
	return n;
}

int cli_opt_listed(const struct cli_opt *o, const char *const *only)
{
	size_t i;
	if (!o->help)
		return 0;
	if (!only)
		return 1;
	for (i = 0; only[i]; i++)
		if (!strcmp(only[i], o->name))
			return 1;
	return 0;
}

void cli_opt_help_only(FILE *f, const struct cli_opt *opts, const char *const *only)
{
	size_t i, j;
	for (i = 0; opts && opts[i].name; i++) {
		char left[96];
		int shown = 0;
		if (!cli_opt_listed(&opts[i], only))
			continue;
		/* the short letter goes on the first long name that has it */
		for (j = 0; j < i; j++)
			shown |= opts[j].id == opts[i].id && cli_opt_listed(&opts[j], only);
		if (is_short(opts[i].id) && !shown)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", opts[i].id, opts[i].name,
			         opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", opts[i].name,
			         opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		if (strlen(left) < 30)
			fprintf(f, "  %-30s %s\n", left, opts[i].help);
		else
			fprintf(f, "  %s\n  %-30s %s\n", left, "", opts[i].help);
	}
}

void cli_opt_help(FILE *f, const struct cli_opt *opts)
{
	cli_opt_help_only(f, opts, NULL);
}

int cli_int_arg(int *out, const char *flag, const char *s, int min, int max)
{
	char *end = NULL;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		fprintf(stderr,
		        "error: invalid value \"%s\" for --%s: want a whole number from %d to %d\n",
		        s, flag, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

long long cli_duration_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end), ms;
	if (end == s || !(v > 0)) /* !(v > 0): NaN too */
		return -1;
	if (!strcmp(end, "ms"))
		ms = v;
	else if (!*end || !strcmp(end, "s"))
		ms = v * 1000;
	else if (!strcmp(end, "m"))
		ms = v * 60000;
	else
		return -1;
	return ms >= 1 && ms <= 86400000.0 ? (long long)ms : -1;
}

void cli_opts_cat(struct cli_opt *out, size_t max, const struct cli_opt *a, const struct cli_opt *b)
{
	size_t n = 0, i;
	for (i = 0; a && a[i].name && n < max; i++)
		out[n++] = a[i];
	for (i = 0; b && b[i].name && n < max; i++)
		out[n++] = b[i];
	memset(&out[n], 0, sizeof(out[n]));
}

const struct cli_command *cli_command_find(const struct cli_command *cmds, size_t n,
                                           const char *name)
{
	size_t i;
	for (i = 0; name && i < n; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

void cli_command_list(FILE *f, const struct cli_command *cmds, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].desc);
}
