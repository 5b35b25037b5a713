/* Colour for diagnostics and diffs: on a terminal only, NO_COLOR and --color respected. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static int color_on;

int cli_color_parse(const char *s)
{
	if (!s || !strcmp(s, "auto"))
		return CLI_COLOR_AUTO;
	if (!strcmp(s, "always"))
		return CLI_COLOR_ALWAYS;
	if (!strcmp(s, "never"))
		return CLI_COLOR_NEVER;
	return -1;
}

void cli_color_init(int mode, int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
	if (mode == CLI_COLOR_ALWAYS)
		color_on = 1;
	else if (mode == CLI_COLOR_NEVER)
		color_on = 0;
	else /* no-color.org: NO_COLOR set and not empty turns it off */
		color_on = isatty(fd) && !(no && *no) && !(term && !strcmp(term, "dumb"));
}

const char *cli_color(enum cli_color c)
{
	static const char *const codes[] = {
		[CLI_RESET] = "\033[0m",  [CLI_BOLD] = "\033[1m",    [CLI_RED] = "\033[31m",
		[CLI_GREEN] = "\033[32m", [CLI_YELLOW] = "\033[33m", [CLI_CYAN] = "\033[36m",
		[CLI_DIM] = "\033[2m",
	};
	return color_on && c <= CLI_DIM ? codes[c] : "";
}
