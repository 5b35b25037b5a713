#ifndef GS_CMD_CHECK_H
#define GS_CMD_CHECK_H
/* gitseal check's report formats (cli/check_print.c), for cmd_check.c. */
#include <stdio.h>

#include "check/check.h"

enum check_format { CHECK_FMT_TEXT, CHECK_FMT_JSON, CHECK_FMT_GITHUB, CHECK_FMT_GITLAB };
/* "text" | "json" | "github" | "gitlab", else -1. */
int check_format_parse(const char *s);
/* Print r in fmt (text: coloured as cli_color_init() decided); -1 when f could not be written. */
int check_print(FILE *f, const struct check_report *r, enum check_format fmt);

#endif
