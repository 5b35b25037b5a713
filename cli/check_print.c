/*
 * gitseal check's report: text for people (coloured on a terminal), JSON for
 * scripts, GitHub workflow commands and GitLab Code Quality for CI annotations.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_check.h"
#include "core/crypto.h"
#include "core/text.h"

int check_format_parse(const char *s)
{
	if (!strcmp(s, "text"))
		return CHECK_FMT_TEXT;
	if (!strcmp(s, "json"))
		return CHECK_FMT_JSON;
	if (!strcmp(s, "github"))
		return CHECK_FMT_GITHUB;
	if (!strcmp(s, "gitlab"))
		return CHECK_FMT_GITLAB;
	return -1;
}

static void put_json_str(FILE *f, struct buf *b, const char *s)
{
	buf_reset(b);
	json_quote(b, s, strlen(s), 0);
	fwrite(b->p, 1, b->len, f);
}

static void print_text(FILE *f, const struct check_report *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		const struct check_finding *x = &r->v[i];
		fprintf(f, "%s%s", cli_color(CLI_BOLD), x->file);
		if (x->line)
			fprintf(f, ":%u", x->line);
		if (x->line && x->col)
			fprintf(f, ":%u", x->col);
		fprintf(f, ":%s %s %s[%s]%s\n", cli_color(CLI_RESET), x->msg, cli_color(CLI_RED),
		        x->code, cli_color(CLI_RESET));
	}
}

static void print_json(FILE *f, const struct check_report *r)
{
	struct buf b = BUF_INIT(1 << 20);
	size_t i;
	fprintf(f, "{\"files\": %zu, \"findings\": [", r->files);
	for (i = 0; i < r->n; i++) {
		const struct check_finding *x = &r->v[i];
		fprintf(f, "%s\n  {\"file\": ", i ? "," : "");
		put_json_str(f, &b, x->file);
		fprintf(f, ", \"line\": %u, \"column\": %u, \"code\": ", x->line, x->col);
		put_json_str(f, &b, x->code);
		fprintf(f, ", \"message\": ");
		put_json_str(f, &b, x->msg);
		fputc('}', f);
	}
	fprintf(f, "%s]}\n", r->n ? "\n" : "");
	buf_release(&b);
}

/* GitHub workflow command data: % CR LF escaped; in properties also : and , */
static void put_gh(FILE *f, const char *s, int property)
{
	for (; *s; s++) {
		if (*s == '%')
			fputs("%25", f);
		else if (*s == '\r')
			fputs("%0D", f);
		else if (*s == '\n')
			fputs("%0A", f);
		else if (property && *s == ':')
			fputs("%3A", f);
		else if (property && *s == ',')
			fputs("%2C", f);
		else
			fputc(*s, f);
	}
}

static void print_github(FILE *f, const struct check_report *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		const struct check_finding *x = &r->v[i];
		fputs("::error file=", f);
		put_gh(f, x->file, 1);
		if (x->line)
			fprintf(f, ",line=%u", x->line);
		if (x->line && x->col)
			fprintf(f, ",col=%u", x->col);
		fputs(",title=", f);
		put_gh(f, "gitseal check ", 1);
		put_gh(f, x->code, 1);
		fputs("::", f);
		put_gh(f, x->msg, 0);
		fputc('\n', f);
	}
}

/* GitLab Code Quality (a CodeClimate subset): one object per finding, fingerprinted. */
static void print_gitlab(FILE *f, const struct check_report *r)
{
	struct buf b = BUF_INIT(1 << 20), id = BUF_INIT(1 << 20);
	unsigned char h[GS_SHA256_LEN];
	char hex[2 * GS_SHA256_LEN + 1];
	size_t i;
	fputc('[', f);
	for (i = 0; i < r->n; i++) {
		const struct check_finding *x = &r->v[i];
		buf_reset(&id);
		buf_addf(&id, "%s\n%s\n%u\n%s", x->code, x->file, x->line, x->msg);
		gs_sha256(h, id.p, id.len);
		gs_hex(hex, h, sizeof(h));
		fprintf(f, "%s\n  {\"description\": ", i ? "," : "");
		put_json_str(f, &b, x->msg);
		fputs(", \"check_name\": ", f);
		put_json_str(f, &b, x->code);
		fprintf(f,
		        ", \"fingerprint\": \"%s\", \"severity\": \"critical\", \"location\": "
		        "{\"path\": ",
		        hex);
		put_json_str(f, &b, x->file);
		fprintf(f, ", \"lines\": {\"begin\": %u}}}", x->line ? x->line : 1);
	}
	fprintf(f, "%s]\n", r->n ? "\n" : "");
	buf_release(&b);
	buf_release(&id);
}

int check_print(FILE *f, const struct check_report *r, enum check_format fmt)
{
	switch (fmt) {
	case CHECK_FMT_JSON: print_json(f, r); break;
	case CHECK_FMT_GITHUB: print_github(f, r); break;
	case CHECK_FMT_GITLAB: print_gitlab(f, r); break;
	default: print_text(f, r); break;
	}
	return fflush(f) || ferror(f) ? -1 : 0;
}
