/*
 * Shell completion, generated from the same tables that parse the flags: the command
 * list (commands.def), each command's struct cli_spec (options, sub-verbs, what its
 * arguments are). bash and zsh share one walk of the typed words (which command,
 * whether the word before takes an argument); fish uses its own `complete` lines.
 */
#include <ctype.h>
#include <string.h>

#include "cli/cli.h"

enum arg_kind { ARG_NONE, ARG_FILE, ARG_DIR, ARG_WORDS };

/* What an option's argument completes to, from its placeholder: "json|yaml", FILE, DIR. */
static enum arg_kind arg_kind(const char *arg)
{
	static const char *const files[] = { "FILE", "PATH", "KEY", "CERT", "IDENTITY", NULL };
	size_t i;
	if (!arg)
		return ARG_NONE;
	if (strchr(arg, '|') && !arg[strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-|")])
		return ARG_WORDS;
	if (strstr(arg, "DIR"))
		return ARG_DIR;
	for (i = 0; files[i]; i++)
		if (strstr(arg, files[i]))
			return ARG_FILE;
	return ARG_NONE;
}

/* The words of a "json|yaml" placeholder, space-separated. */
static void put_words(FILE *f, const char *arg)
{
	for (; *arg; arg++)
		fputc(*arg == '|' ? ' ' : *arg, f);
}

static int is_short(int id)
{
	return id > 0 && id < 256 && isalnum(id);
}

/* Every spelling of the listed options ("-f --secret-file"); with_arg: only those taking one. */
static void put_opts(FILE *f, const struct cli_spec *s, int with_arg, const char *sep)
{
	size_t i, j;
	int n = 0;
	for (i = 0; s && s->opts && s->opts[i].name; i++) {
		const struct cli_opt *o = &s->opts[i];
		int shown = 0;
		if (!cli_opt_listed(o, s->only) || (with_arg && o->has_arg != required_argument))
			continue;
		for (j = 0; j < i; j++)
			shown |= s->opts[j].id == o->id && cli_opt_listed(&s->opts[j], s->only);
		if (is_short(o->id) && !shown)
			fprintf(f, "%s-%c", n++ ? sep : "", o->id);
		fprintf(f, "%s--%s", n++ ? sep : "", o->name);
	}
}

/* The spec of each command path, depth first: "" (gitseal), "seal", "keys", "keys new", ... */
struct node {
	char path[64];
	const struct cli_spec *spec;
	const struct cli_command *subs;
	size_t nsubs;
};

static size_t walk(struct node *out, size_t max)
{
	const struct cli_command *cmds;
	size_t n, i, j, k = 0;

	cmds = cli_commands(&n);
	if (k < max) {
		out[k].path[0] = 0;
		out[k].spec = NULL;
		out[k].subs = cmds;
		out[k++].nsubs = n;
	}
	for (i = 0; i < n && k < max; i++) {
		const struct cli_spec *s = cmds[i].spec;
		snprintf(out[k].path, sizeof(out[k].path), "%s", cmds[i].name);
		out[k].spec = s;
		out[k].subs = s ? s->subs : NULL;
		out[k++].nsubs = s ? s->nsubs : 0;
		for (j = 0; s && j < s->nsubs && k < max; j++) {
			snprintf(out[k].path, sizeof(out[k].path), "%s %s", cmds[i].name,
			         s->subs[j].name);
			out[k].spec = s->subs[j].spec;
			out[k].subs = NULL;
			out[k++].nsubs = 0;
		}
	}
	return k;
}

#define MAX_NODES 256

/* Single-quoted for sh: ' becomes '\'' */
static void put_sq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/*
 * _gitseal_cmd PATH sets, for the command path typed so far: _gs_opts (every option),
 * _gs_argopts (" -f --file ": those taking an argument), _gs_subs (sub-command names),
 * _gs_args (file, dir, @commands, or words for the arguments).
 * _gitseal_optarg PATH OPTION sets _gs_arg: what the option's argument completes to.
 */
static void put_sh_data(FILE *f, int zsh)
{
	struct node nodes[MAX_NODES];
	size_t n = walk(nodes, MAX_NODES), i, j, k;

	fputs("_gitseal_cmd() {\n\t_gs_opts= _gs_argopts= _gs_subs= _gs_args=\n\tcase $1 in\n", f);
	for (i = 0; i < n; i++) {
		const struct cli_spec *s = nodes[i].spec;
		fputs("\t", f);
		put_sq(f, nodes[i].path);
		fputs(")\n\t\t_gs_opts='", f);
		if (!nodes[i].path[0])
			fputs("--help --version", f);
		else
			put_opts(f, s, 0, " ");
		fputs("'\n\t\t_gs_argopts=' ", f);
		put_opts(f, s, 1, " ");
		fputs(" '\n\t\t_gs_subs='", f);
		for (j = 0; j < nodes[i].nsubs; j++)
			fprintf(f, "%s%s", j ? " " : "", nodes[i].subs[j].name);
		fputs("'\n", f);
		if (zsh && nodes[i].nsubs) {
			fputs("\t\t_gs_subd=(", f);
			for (j = 0; j < nodes[i].nsubs; j++) {
				char d[512];
				snprintf(d, sizeof(d), "%s:%s", nodes[i].subs[j].name,
				         nodes[i].subs[j].desc);
				fputs(j ? " " : "", f);
				put_sq(f, d);
			}
			fputs(")\n", f);
		}
		if (s && s->args) {
			fputs("\t\t_gs_args=", f);
			put_sq(f, s->args);
			fputs("\n", f);
		}
		fputs("\t\t;;\n", f);
	}
	fputs("\tesac\n}\n\n_gitseal_optarg() {\n\t_gs_arg=\n\tcase \"$1 $2\" in\n", f);
	for (i = 0; i < n; i++) {
		const struct cli_spec *s = nodes[i].spec;
		for (j = 0; s && s->opts && s->opts[j].name; j++) {
			const struct cli_opt *o = &s->opts[j];
			enum arg_kind kind = arg_kind(o->arg);
			int shown = 0;
			char pat[256];
			if (!cli_opt_listed(o, s->only) || o->has_arg != required_argument ||
			    kind == ARG_NONE)
				continue;
			for (k = 0; k < j; k++)
				shown |=
				    s->opts[k].id == o->id && cli_opt_listed(&s->opts[k], s->only);
			fputs("\t", f);
			if (is_short(o->id) && !shown) {
				snprintf(pat, sizeof(pat), "%.63s -%c", nodes[i].path, o->id);
				put_sq(f, pat);
				fputs("|", f);
			}
			snprintf(pat, sizeof(pat), "%.63s --%.100s", nodes[i].path, o->name);
			put_sq(f, pat);
			fputs(") _gs_arg=", f);
			if (kind == ARG_WORDS) {
				fputs("'", f);
				put_words(f, o->arg);
				fputs("'", f);
			} else {
				fputs(kind == ARG_DIR ? "dir" : "file", f);
			}
			fputs(" ;;\n", f);
		}
	}
	fputs("\tesac\n}\n\n", f);
	/* the walk over the typed words, shared: sets _gs_cmd, and _gs_skip when the last word
	 * typed is an option that takes the argument being completed */
	fputs("_gitseal_walk() {\n"
	      "\t# $@: the words before the one being completed, without the command's name\n"
	      "\tlocal w\n"
	      "\t_gs_cmd= _gs_skip=0\n"
	      "\t_gitseal_cmd ''\n"
	      "\tfor w in \"$@\"; do\n"
	      "\t\tif [ \"$_gs_skip\" = 1 ]; then _gs_skip=0; continue; fi\n"
	      "\t\tcase $w in\n"
	      "\t\t--*=*) ;;\n"
	      "\t\t-?*) case \"$_gs_argopts\" in *\" $w \"*) _gs_skip=1 ;; esac ;;\n"
	      "\t\t*) case \" $_gs_subs \" in\n"
	      "\t\t\t*\" $w \"*) _gs_cmd=${_gs_cmd:+$_gs_cmd }$w; _gitseal_cmd \"$_gs_cmd\" ;;\n"
	      "\t\t\tesac ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "}\n\n",
	      f);
}

static void put_bash(FILE *f)
{
	fputs(
	    "# bash completion for gitseal (generated by `gitseal completion bash`: do not edit)\n"
	    "# Load it with: source <(gitseal completion bash)\n\n",
	    f);
	put_sh_data(f, 0);
	fputs(
	    "_gitseal() {\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} _gs_cmd "
	    "_gs_skip\n"
	    "\tlocal _gs_opts _gs_argopts _gs_subs _gs_args _gs_arg\n"
	    "\t_gitseal_walk \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"\n"
	    "\tCOMPREPLY=()\n"
	    "\tif [ \"$_gs_skip\" = 1 ]; then\n"
	    "\t\t_gitseal_optarg \"$_gs_cmd\" \"$prev\"\n"
	    "\t\tcase $_gs_arg in\n"
	    "\t\tfile) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	    "\t\tdir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
	    "\t\t?*) COMPREPLY=($(compgen -W \"$_gs_arg\" -- \"$cur\")) ;;\n"
	    "\t\tesac\n"
	    "\t\treturn 0\n"
	    "\tfi\n"
	    "\tcase $cur in\n"
	    "\t-*) COMPREPLY=($(compgen -W \"$_gs_opts\" -- \"$cur\")) ;;\n"
	    "\t*)\n"
	    "\t\tif [ -n \"$_gs_subs\" ]; then COMPREPLY=($(compgen -W \"$_gs_subs\" -- "
	    "\"$cur\")); fi\n"
	    "\t\tcase $_gs_args in\n"
	    "\t\tfile) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -f -- \"$cur\")) "
	    ";;\n"
	    "\t\tdir) compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -d -- \"$cur\")) ;;\n"
	    "\t\t@commands) _gitseal_cmd ''; COMPREPLY+=($(compgen -W \"$_gs_subs\" -- \"$cur\")) "
	    ";;\n"
	    "\t\t?*) COMPREPLY+=($(compgen -W \"$_gs_args\" -- \"$cur\")) ;;\n"
	    "\t\tesac\n"
	    "\t\t;;\n"
	    "\tesac\n"
	    "\treturn 0\n"
	    "}\n\n"
	    "complete -F _gitseal gitseal\n",
	    f);
}

static void put_zsh(FILE *f)
{
	fputs("#compdef gitseal\n"
	      "# zsh completion for gitseal (generated by `gitseal completion zsh`: do not edit)\n"
	      "# Put it in a directory of $fpath as _gitseal, or: source <(gitseal completion "
	      "zsh)\n\n",
	      f);
	put_sh_data(f, 1);
	fputs("_gitseal_main() {\n"
	      "\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]} _gs_cmd _gs_skip\n"
	      "\tlocal _gs_opts _gs_argopts _gs_subs _gs_args _gs_arg\n"
	      "\tlocal -a _gs_subd\n"
	      "\t_gitseal_walk \"${(@)words[2,CURRENT-1]}\"\n"
	      "\tif [[ $_gs_skip == 1 ]]; then\n"
	      "\t\t_gitseal_optarg \"$_gs_cmd\" \"$prev\"\n"
	      "\t\tcase $_gs_arg in\n"
	      "\t\tfile) _files ;;\n"
	      "\t\tdir) _files -/ ;;\n"
	      "\t\t?*) compadd -- ${=_gs_arg} ;;\n"
	      "\t\tesac\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tcompadd -- ${=_gs_opts}\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tif (( ${#_gs_subd} )); then _describe -t commands command _gs_subd; fi\n"
	      "\tcase $_gs_args in\n"
	      "\tfile) _files ;;\n"
	      "\tdir) _files -/ ;;\n"
	      "\t@commands) _gitseal_cmd ''; _describe -t commands command _gs_subd ;;\n"
	      "\t?*) compadd -- ${=_gs_args} ;;\n"
	      "\tesac\n"
	      "\treturn 0\n"
	      "}\n\n"
	      "if [[ $funcstack[1] == _gitseal ]]; then\n"
	      "\t_gitseal_main \"$@\"\n"
	      "else\n"
	      "\tcompdef _gitseal_main gitseal\n"
	      "fi\n",
	      f);
}

/* fish: a help line, quoted for fish ('...' with \' and \\) */
static void put_fq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* The condition that the command path is the one typed (its words seen, no sub-verb after). */
static void put_fish_cond(FILE *f, const struct node *nd)
{
	char verb[64];
	const char *sp = strchr(nd->path, ' ');
	size_t j;
	fputs("-n '", f);
	if (!nd->path[0]) {
		fputs("__fish_use_subcommand", f);
	} else if (!sp) {
		fprintf(f, "__fish_seen_subcommand_from %s", nd->path);
		if (nd->nsubs) {
			fputs("; and not __fish_seen_subcommand_from", f);
			for (j = 0; j < nd->nsubs; j++)
				fprintf(f, " %s", nd->subs[j].name);
		}
	} else {
		snprintf(verb, sizeof(verb), "%.*s", (int)(sp - nd->path), nd->path);
		fprintf(f, "__fish_seen_subcommand_from %s; and __fish_seen_subcommand_from %s",
		        verb, sp + 1);
	}
	fputs("'", f);
}

static void put_fish(FILE *f)
{
	struct node nodes[MAX_NODES];
	size_t n = walk(nodes, MAX_NODES), i, j, k;

	fputs(
	    "# fish completion for gitseal (generated by `gitseal completion fish`: do not edit)\n"
	    "# Put it in ~/.config/fish/completions/gitseal.fish, or: gitseal completion fish | "
	    "source\n\n"
	    "complete -c gitseal -f\n",
	    f);
	for (i = 0; i < n; i++) {
		const struct cli_spec *s = nodes[i].spec;
		for (j = 0; j < nodes[i].nsubs; j++) {
			fputs("complete -c gitseal ", f);
			put_fish_cond(f, &nodes[i]);
			fprintf(f, " -a %s -d ", nodes[i].subs[j].name);
			put_fq(f, nodes[i].subs[j].desc);
			fputs("\n", f);
		}
		for (j = 0; s && s->opts && s->opts[j].name; j++) {
			const struct cli_opt *o = &s->opts[j];
			enum arg_kind kind = arg_kind(o->arg);
			int shown = 0;
			if (!cli_opt_listed(o, s->only))
				continue;
			for (k = 0; k < j; k++)
				shown |=
				    s->opts[k].id == o->id && cli_opt_listed(&s->opts[k], s->only);
			fputs("complete -c gitseal ", f);
			put_fish_cond(f, &nodes[i]);
			if (is_short(o->id) && !shown)
				fprintf(f, " -s %c", o->id);
			fprintf(f, " -l %s", o->name);
			if (o->has_arg == required_argument) {
				if (kind == ARG_WORDS) {
					fputs(" -x -a '", f);
					put_words(f, o->arg);
					fputs("'", f);
				} else if (kind == ARG_FILE) {
					fputs(" -r -F", f);
				} else if (kind == ARG_DIR) {
					fputs(" -x -a '(__fish_complete_directories)'", f);
				} else {
					fputs(" -x", f);
				}
			}
			fputs(" -d ", f);
			put_fq(f, o->help);
			fputs("\n", f);
		}
		if (s && s->args && nodes[i].path[0]) {
			fputs("complete -c gitseal ", f);
			put_fish_cond(f, &nodes[i]);
			if (!strcmp(s->args, "file"))
				fputs(" -F\n", f);
			else if (!strcmp(s->args, "dir"))
				fputs(" -x -a '(__fish_complete_directories)'\n", f);
			else if (!strcmp(s->args, "@commands")) {
				fputs(" -x -a '", f);
				for (k = 0; k < nodes[0].nsubs; k++)
					fprintf(f, "%s%s", k ? " " : "", nodes[0].subs[k].name);
				fputs("'\n", f);
			} else {
				fputs(" -x -a ", f);
				put_fq(f, s->args);
				fputs("\n", f);
			}
		}
	}
}

int cli_completion_script(FILE *f, const char *shell)
{
	if (!strcmp(shell, "bash"))
		put_bash(f);
	else if (!strcmp(shell, "zsh"))
		put_zsh(f);
	else if (!strcmp(shell, "fish"))
		put_fish(f);
	else
		return -1;
	return 0;
}
