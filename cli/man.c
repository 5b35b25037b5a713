/*
 * Manual pages in roff, from the command table and each command's struct cli_spec:
 * gitseal(1) lists the commands, gitseal-VERB(1) has the verb's synopsis, what it
 * does, its options and (as sections) its sub-verbs. `man -l` renders them.
 */
#include <string.h>

#include "cli/cli.h"

/* Text for roff: \ as \e, - as \-, a leading . or ' made harmless. */
static void put_esc(FILE *f, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n && s[i]; i++) {
		if (i == 0 && (s[0] == '.' || s[0] == '\''))
			fputs("\\&", f);
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

static void put_str(FILE *f, const char *s)
{
	put_esc(f, s, strlen(s));
}

/* Paragraphs ("\n\n" between): flowing text, or kept as is when a line is indented. */
static void put_paragraphs(FILE *f, const char *text)
{
	const char *p = text;
	while (p && *p) {
		const char *end = strstr(p, "\n\n"), *q, *nl;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int pre = 0;
		for (q = p; q < p + len; q = nl + 1) {
			nl = memchr(q, '\n', (size_t)(p + len - q));
			if (*q == ' ' || *q == '\t')
				pre = 1;
			if (!nl)
				break;
		}
		fputs(pre ? ".PP\n.nf\n" : ".PP\n", f);
		for (q = p; q < p + len;) {
			nl = memchr(q, '\n', (size_t)(p + len - q));
			if (!nl)
				nl = p + len;
			put_esc(f, q, (size_t)(nl - q));
			fputc('\n', f);
			q = nl + 1;
		}
		if (pre)
			fputs(".fi\n", f);
		p = end ? end + 2 : NULL;
	}
}

/* Preformatted lines (a help text kept as it is). */
static void put_lines(FILE *f, const char *text)
{
	const char *nl;
	fputs(".nf\n", f);
	for (; *text; text = nl + !!*nl) {
		nl = text + strcspn(text, "\n");
		put_esc(f, text, (size_t)(nl - text));
		fputc('\n', f);
	}
	fputs(".fi\n", f);
}

static int is_short(int id)
{
	return id > 0 && id < 256 && id != '?' && id != ':';
}

static void put_options(FILE *f, const struct cli_spec *s)
{
	size_t i, j;
	for (i = 0; s->opts && s->opts[i].name; i++) {
		const struct cli_opt *o = &s->opts[i];
		int shown = 0;
		if (!cli_opt_listed(o, s->only))
			continue;
		for (j = 0; j < i; j++)
			shown |= s->opts[j].id == o->id && cli_opt_listed(&s->opts[j], s->only);
		fputs(".TP\n", f);
		if (is_short(o->id) && !shown)
			fprintf(f, "\\fB\\-%c\\fR, ", o->id);
		fputs("\\fB\\-\\-", f);
		put_str(f, o->name);
		fputs("\\fR", f);
		if (o->arg) {
			fputs(o->has_arg == optional_argument ? "[=\\fI" : " \\fI", f);
			put_str(f, o->arg);
			fputs(o->has_arg == optional_argument ? "\\fR]" : "\\fR", f);
		}
		fputs("\n", f);
		put_str(f, o->help);
		if (o->flags & CLI_OPT_REQUIRED)
			fputs(" (required)", f);
		fputs("\n", f);
	}
}

static void put_synopsis(FILE *f, const struct cli_spec *s)
{
	char prog[128];
	const char *u = s->usage ? s->usage : "", *nl;
	int first = 1;
	cli_prog(prog, sizeof(prog), s);
	fputs(".nf\n", f);
	for (; first || *u; u = nl + !!*nl, first = 0) {
		nl = u + strcspn(u, "\n");
		fputs("\\fB", f);
		put_str(f, prog);
		fputs(nl > u ? "\\fR " : "\\fR", f);
		put_esc(f, u, (size_t)(nl - u));
		fputs("\n", f);
	}
	fputs(".fi\n", f);
}

static int has_options(const struct cli_spec *s)
{
	size_t i;
	for (i = 0; s->opts && s->opts[i].name; i++)
		if (cli_opt_listed(&s->opts[i], s->only))
			return 1;
	return 0;
}

static void put_header(FILE *f, const char *title, const char *name, const char *desc)
{
	fputs(".TH ", f);
	put_str(f, title);
	fprintf(f, " 1 \"\" \"gitseal %s\" \"User Commands\"\n.SH NAME\n", GITSEAL_VERSION);
	put_str(f, name);
	fputs(" \\- ", f);
	put_str(f, desc);
	fputs("\n", f);
}

static void put_verb(FILE *f, const struct cli_command *c)
{
	const struct cli_spec *s = c->spec;
	char title[96], name[96];
	size_t i;

	snprintf(name, sizeof(name), "gitseal-%s", c->name);
	for (i = 0; name[i] && i < sizeof(title) - 1; i++)
		title[i] = name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 32) : name[i];
	title[i] = 0;
	put_header(f, title, name, c->desc);
	fputs(".SH SYNOPSIS\n", f);
	if (s)
		put_synopsis(f, s);
	else
		fprintf(f, "\\fBgitseal %s\\fR [\\fIoptions\\fR]\n", c->name);
	fputs(".SH DESCRIPTION\n", f);
	if (s && s->about)
		put_paragraphs(f, s->about);
	else if (s && s->text)
		put_lines(f, s->text);
	else
		put_paragraphs(f, c->desc);
	if (s && has_options(s)) {
		fputs(".SH OPTIONS\n", f);
		put_options(f, s);
	}
	if (s && s->nsubs) {
		fputs(".SH COMMANDS\n", f);
		for (i = 0; i < s->nsubs; i++) {
			const struct cli_command *sub = &s->subs[i];
			fputs(".SS ", f);
			put_str(f, sub->name);
			fputs("\n", f);
			put_paragraphs(f, sub->desc);
			if (!sub->spec)
				continue;
			fputs(".PP\n", f);
			put_synopsis(f, sub->spec);
			if (sub->spec->about)
				put_paragraphs(f, sub->spec->about);
			if (has_options(sub->spec)) {
				fputs(".PP\nOptions:\n", f);
				put_options(f, sub->spec);
			}
			if (sub->spec->more)
				put_paragraphs(f, sub->spec->more);
		}
	}
	if (s && s->more) {
		fputs(".SH NOTES\n", f);
		put_paragraphs(f, s->more);
	}
	fputs(".SH SEE ALSO\n.BR gitseal (1)\n", f);
}

static void put_main(FILE *f)
{
	const struct cli_command *cmds;
	size_t n, i;

	cmds = cli_commands(&n);
	put_header(f, "GITSEAL", "gitseal", "secret management for GitOps on Kubernetes");
	fputs(
	    ".SH SYNOPSIS\n.nf\n\\fBgitseal\\fR \\fIcommand\\fR [\\fIoptions\\fR] [\\fIargs\\fR]\n"
	    "\\fBgitseal help\\fR \\fIcommand\\fR\n"
	    "\\fBkubeseal\\fR|\\fBsops\\fR|\\fBage\\fR|\\fBage\\-keygen\\fR ... (linked under "
	    "those names)\n.fi\n",
	    f);
	fputs(".SH DESCRIPTION\n", f);
	put_paragraphs(
	    f,
	    "gitseal seals Kubernetes Secrets for Git (Bitnami Sealed Secrets, offline), encrypts\n"
	    "them with SOPS and age, checks a checkout for plaintext Secrets before they are\n"
	    "committed, and shows what its controller, gitseal-controller, would apply.\n\n"
	    "Each command has its own page, gitseal-COMMAND(1), and its own help:\n"
	    "gitseal COMMAND --help, or gitseal help COMMAND.");
	fputs(".SH COMMANDS\n", f);
	for (i = 0; i < n; i++) {
		fputs(".TP\n.BR gitseal\\-", f);
		put_str(f, cmds[i].name);
		fputs(" (1)\n", f);
		put_str(f, cmds[i].desc);
		fputs("\n", f);
	}
	fputs(".SH MULTI-CALL NAMES\n", f);
	put_paragraphs(
	    f,
	    "Linked under the name of a tool it stands in for, gitseal behaves as that tool, with\n"
	    "its flags, messages and exit codes, so existing scripts keep working:\n\n"
	    "    kubeseal     gitseal seal\n"
	    "    sops         gitseal sops\n"
	    "    age          gitseal age\n"
	    "    age-keygen   gitseal age-keygen\n\n"
	    "Under such a name --version prints the version line of the tool at the level\n"
	    "gitseal implements, then gitseal's own. make install-links makes the links; make\n"
	    "install never does, so they do not shadow the real tools.");
	fputs(".SH EXIT STATUS\n", f);
	put_paragraphs(
	    f,
	    "0 on success, 1 on failure, 2 for a usage error. gitseal check: 0 clean, 1 findings,\n"
	    "2 usage or I/O error. Under the sops, age and kubeseal names (and gitseal sops, age,\n"
	    "seal), the exit codes are those tools' own.");
	fputs(".SH ENVIRONMENT\n", f);
	put_paragraphs(f, "    SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD\n"
	                  "                 age identities, found as sops finds them (then\n"
	                  "                 $XDG_CONFIG_HOME/sops/age/keys.txt)\n"
	                  "    SOPS_AGE_RECIPIENTS, SOPS_CONFIG\n"
	                  "                 as sops reads them\n"
	                  "    SEALED_SECRETS_<FLAG>\n"
	                  "                 any kubeseal flag (gitseal seal)\n"
	                  "    KUBECONFIG   the cluster, for the commands that reach one\n"
	                  "    NO_COLOR     no colour, even on a terminal");
	fputs(".SH SEE ALSO\n", f);
	for (i = 0; i < n; i++) {
		fputs(".BR gitseal\\-", f);
		put_str(f, cmds[i].name);
		fputs(i + 1 < n ? " (1),\n" : " (1)\n", f);
	}
}

int cli_man_page(FILE *f, const struct cli_command *verb)
{
	if (verb)
		put_verb(f, verb);
	else
		put_main(f);
	return ferror(f) ? -1 : 0;
}
