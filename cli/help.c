/*
 * What a command says about itself, from its struct cli_spec: `VERB --help`,
 * `gitseal help VERB [SUB]`, the name it runs under (gitseal seal, or kubeseal
 * when linked under that name) and "did you mean" for a mistyped verb.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* main(): the multi-call name in effect (kubeseal -> seal), at most one */
static const char *alias_name, *alias_verb;

void cli_set_alias(const char *alias, const char *verb)
{
	alias_name = alias;
	alias_verb = verb;
}

const char *cli_alias_of(const char *verb)
{
	return alias_verb && verb && !strcmp(alias_verb, verb) ? alias_name : NULL;
}

const char *cli_prog(char *buf, size_t len, const struct cli_spec *s)
{
	const char *name = s && s->name ? s->name : "";
	size_t first = strcspn(name, " ");
	const char *alias;
	char verb[64];

	snprintf(verb, sizeof(verb), "%.*s", (int)first, name);
	if ((alias = cli_alias_of(verb)))
		snprintf(buf, len, "%s%s", alias, name + first);
	else
		snprintf(buf, len, "gitseal%s%s", *name ? " " : "", name);
	return buf;
}

const struct cli_command *cli_spec_sub(const struct cli_spec *s, const char *name)
{
	return s ? cli_command_find(s->subs, s->nsubs, name) : NULL;
}

static int has_listed_opts(const struct cli_spec *s)
{
	size_t i;
	for (i = 0; s->opts && s->opts[i].name; i++)
		if (cli_opt_listed(&s->opts[i], s->only))
			return 1;
	return 0;
}

void cli_usage(FILE *f, const struct cli_spec *s)
{
	char prog[128];
	const char *u, *nl;
	int first = 1;

	if (s->text) {
		fputs(s->text, f);
		return;
	}
	cli_prog(prog, sizeof(prog), s);
	for (u = s->usage ? s->usage : ""; first || *u; u = nl + !!*nl, first = 0) {
		nl = u + strcspn(u, "\n");
		fprintf(f, "%s %s%s%.*s\n", first ? "usage:" : "      ", prog, nl > u ? " " : "",
		        (int)(nl - u), u);
	}
	if (s->about && *s->about)
		fprintf(f, "\n%s\n", s->about);
	if (has_listed_opts(s)) {
		fputs("\noptions:\n", f);
		cli_opt_help_only(f, s->opts, s->only);
	}
	if (s->nsubs) {
		size_t i;
		int any = 0;
		fputs("\ncommands:\n", f);
		cli_command_list(f, s->subs, s->nsubs);
		for (i = 0; i < s->nsubs; i++)
			any |= s->subs[i].spec != NULL;
		if (any)
			fprintf(f, "\nRun '%s <command> --help' for a command's options.\n", prog);
	}
	if (s->more && *s->more)
		fprintf(f, "\n%s\n", s->more);
}

/* --- did you mean ---------------------------------------------------------------------- */

/* Damerau-Levenshtein (optimal string alignment) distance, names are short. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[33][33];
	if (la > 32 || lb > 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* How far name is from the typed word: its edit distance, 0 for a prefix of 2+ letters. */
static size_t score(const char *typed, const char *name)
{
	size_t lt = strlen(typed);
	if (lt >= 2 && !strncmp(name, typed, lt))
		return 0;
	return distance(typed, name);
}

int cli_unknown_command(const char *prog, const char *what, const char *name,
                        const struct cli_command *cmds, size_t n)
{
	size_t i, best = (size_t)-1, limit, count = 0;

	fprintf(stderr, "%s: '%s' is not a %s command. See '%s --help'.\n", prog, name, what, prog);
	limit = strlen(name) < 4 ? 1 : 2;
	for (i = 0; i < n; i++) {
		size_t d = score(name, cmds[i].name);
		if (d < best)
			best = d;
	}
	if (best > limit)
		return 2;
	for (i = 0; i < n; i++)
		count += score(name, cmds[i].name) == best;
	fprintf(stderr, "\nThe most similar command%s\n", count > 1 ? "s are" : " is");
	for (i = 0; i < n; i++)
		if (score(name, cmds[i].name) == best)
			fprintf(stderr, "\t%s\n", cmds[i].name);
	return 2;
}

/* --- gitseal help ---------------------------------------------------------------------- */

void cli_main_usage(FILE *f)
{
	const struct cli_command *cmds;
	size_t n;
	cmds = cli_commands(&n);
	fprintf(f, "usage: gitseal <command> [options]\n\n"
	           "Secret management for GitOps on Kubernetes: Sealed Secrets, age and SOPS.\n\n"
	           "commands:\n");
	cli_command_list(f, cmds, n);
	fprintf(
	    f,
	    "\nRun 'gitseal help <command>' or 'gitseal <command> --help' for a command's "
	    "options,\n"
	    "'man gitseal-<command>' for its manual. Linked as kubeseal, sops, age or age-keygen,\n"
	    "gitseal behaves as that tool.\n");
}

/* A command without a spec: its own --help. */
static int run_help(const struct cli_command *c)
{
	char name[64], help[] = "--help";
	char *argv[3];
	snprintf(name, sizeof(name), "%s", c->name);
	argv[0] = name;
	argv[1] = help;
	argv[2] = NULL;
	optind = 1;
	return c->fn ? c->fn(2, argv) : 0;
}

int cli_help(int argc, char **argv)
{
	const struct cli_command *cmds, *c, *sub;
	size_t n;

	cmds = cli_commands(&n);
	if (argc < 2) {
		cli_main_usage(stdout);
		return 0;
	}
	if (!(c = cli_command_find(cmds, n, argv[1])))
		return cli_unknown_command("gitseal", "gitseal", argv[1], cmds, n);
	if (argc < 3) {
		if (!c->spec)
			return run_help(c);
		cli_usage(stdout, c->spec);
		return 0;
	}
	if (!c->spec || !(sub = cli_spec_sub(c->spec, argv[2]))) {
		char prog[128];
		snprintf(prog, sizeof(prog), "gitseal %s", c->name);
		if (!c->spec || !c->spec->nsubs) {
			fprintf(stderr, "gitseal help: '%s' has no sub-commands\n", c->name);
			return 2;
		}
		return cli_unknown_command(prog, prog, argv[2], c->spec->subs, c->spec->nsubs);
	}
	if (sub->spec) {
		cli_usage(stdout, sub->spec);
		return 0;
	}
	return run_help(sub);
}
