#ifndef GS_CMD_BUILD_H
#define GS_CMD_BUILD_H
/* gitseal build's options (cli/cmd_build.c; the pipeline itself is lib/pipeline). */
#include <stddef.h>

struct build_opts {
	const char *path; /* PATH: a local checkout (the tree root) */
	const char *repo, *revision;
	const char *subpath; /* --path */
	const char *app_file;
	const char **helm_values;
	size_t nhelm_values;
	const char **sets; /* "name=value" */
	size_t nsets;
	int json;
	int show_secrets;
};

#endif
