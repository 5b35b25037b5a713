/* Option tables: one description of a command's options for getopt_long and its help. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int is_short(int id)
{
	return id > 0 && id < 256 && id != '?' && id != ':';
}

void cli_getopt_init(struct cli_getopt *g, const struct cli_opt *opts)
{
	size_t i, n = 0, s = 0;
	memset(g, 0, sizeof(*g));
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
		}
	}
}

void cli_opt_help(FILE *f, const struct cli_opt *opts)
{
	size_t i, j;
	for (i = 0; opts[i].name; i++) {
		char left[96];
		int shown = 0;
		if (!opts[i].help)
			continue;
		/* the short letter goes on the first long name that has it */
		for (j = 0; j < i; j++)
			shown |= opts[j].id == opts[i].id;
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

int cli_duration_arg(long long *ms, const char *flag, const char *s)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	const char *p = s;
	double total = 0;
	size_t i;

	if (*s && !s[strspn(s, "0123456789.")]) { /* a bare number: seconds */
		total = strtod(s, NULL) * 1000;
		p = "";
	}
	while (*p) {
		char *end;
		double v;
		if (*p < '0' || *p > '9') /* no sign, no "inf", no "nan" */
			goto bad;
		v = strtod(p, &end);
		if ((size_t)(end - p) != strspn(p, "0123456789.")) /* no exponent, no hex */
			goto bad;
		p = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(p, units[i].unit, strlen(units[i].unit)) &&
			    (units[i].unit[1] || p[1] != 's')) /* "m" is not the start of "ms" */
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			goto bad;
		total += v * units[i].ms;
		p += strlen(units[i].unit);
	}
	if (!*s || !(total >= 1) || total > 7 * 86400000.0)
		goto bad;
	*ms = (long long)total;
	return 0;
bad:
	fprintf(stderr,
	        "error: invalid value \"%s\" for --%s: want a duration from 1ms to 168h (30s, "
	        "1m30s, 500ms)\n",
	        s, flag);
	return -1;
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
