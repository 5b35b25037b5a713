/* Helpers for the lib/apply unit tests. */
#ifndef GS_TEST_APPLY_UTIL_H
#define GS_TEST_APPLY_UTIL_H
#include <stdio.h>

#include "apply/apply_int.h"
#include "doc/doc.h"
#include "test.h"

/* A tree from YAML (NULL and a printed message on a parse error). */
static inline struct doc *y(const char *text)
{
	struct doc *d = NULL;
	if (doc_parse_one(&d, "test.yaml", text, strlen(text), 0) < 0) {
		printf("# %s\n", gs_error_last());
		return NULL;
	}
	return d;
}

/* The paths joined by ", " (static buffer). */
static inline const char *joined(const struct apply_paths *p)
{
	static char s[4096];
	struct buf b = BUF_INIT(4096);
	apply_paths_join(&b, p);
	snprintf(s, sizeof(s), "%s", b.p);
	buf_release(&b);
	return s;
}

static inline const char *json(const struct doc *d)
{
	static char s[8192];
	struct buf b = BUF_INIT(1 << 20);
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	doc_emit_json(&b, d, &eo);
	snprintf(s, sizeof(s), "%s", b.p);
	buf_release(&b);
	return s;
}
#endif
