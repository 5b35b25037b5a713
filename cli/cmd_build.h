#ifndef GS_CMD_BUILD_H
#define GS_CMD_BUILD_H
/* Shared between cli/cmd_build.c and cli/build_render.c. */
#include <stddef.h>

struct app;
struct decrypt_ctx;
struct doc;

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

/* The rendered objects (owned). */
struct build_objs {
	struct doc **v;
	size_t n, cap;
};
#define BUILD_OBJS_INIT                                                                            \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void build_objs_release(struct build_objs *b);

/* Render the app path of the tree at root into objs, generator files through the decrypt hook. */
int build_render(struct build_objs *objs, const struct build_opts *o, const struct app *app,
                 const char *root, struct decrypt_ctx *dc);

#endif
