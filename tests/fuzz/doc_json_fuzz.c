/*
 * lib/doc's JSON reader: any input read with DOC_PARSE_JSON. For what parses:
 * the JSON we write reads back and writes the same bytes (compact and
 * pretty, HTML escapes or not), and the YAML we write reads back to a tree
 * whose JSON is the same.
 */
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

static int same_json(const struct doc *a, const struct doc *b, const struct doc_emit_opts *o)
{
	struct buf x = BUF_INIT(BUF_MAX_DEFAULT), y = BUF_INIT(BUF_MAX_DEFAULT);
	int ok = doc_emit_json(&x, a, o) == 0 && doc_emit_json(&y, b, o) == 0 && x.len == y.len &&
	         !memcmp(x.p, y.p, x.len);
	buf_release(&x);
	buf_release(&y);
	return ok;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct doc_limits lim = { 64, 20000, 1 << 20, 0 };
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i;

	if (size > (1 << 20))
		return 0;
	if (doc_parse(&s, "fuzz.json", (const char *)data, size, DOC_PARSE_JSON, &lim) < 0) {
		CHECK(s.n == 0 && s.docs == NULL);
		return 0;
	}
	for (i = 0; i < s.n; i++) {
		static const unsigned flags[] = { 0, DOC_EMIT_COMPACT | DOC_EMIT_JSON_HTML_ESCAPE,
			                          DOC_EMIT_SORT_KEYS };
		struct buf j = BUF_INIT(BUF_MAX_DEFAULT), y = BUF_INIT(BUF_MAX_DEFAULT);
		struct doc *back = NULL;
		size_t k;

		CHECK(s.docs[i] != NULL);
		for (k = 0; k < 3; k++) {
			struct doc_emit_opts o = { 2, flags[k] };
			buf_reset(&j);
			CHECK(doc_emit_json(&j, s.docs[i], &o) == 0);
			CHECK(doc_parse_one(&back, "again.json", j.p, j.len, DOC_PARSE_JSON) == 0);
			CHECK(same_json(s.docs[i], back, &o));
			doc_free(back);
			back = NULL;
		}
		CHECK(doc_emit_yaml(&y, s.docs[i], NULL) == 0);
		if (doc_parse_one(&back, "again.yaml", y.p, y.len, 0) == 0) {
			struct doc_emit_opts o = { 2, DOC_EMIT_COMPACT };
			CHECK(same_json(s.docs[i], back, &o));
			doc_free(back);
		} else {
			CHECK(doc_kind(s.docs[i]) ==
			      DOC_NULL); /* "null" alone reads back as no document */
		}
		buf_release(&j);
		buf_release(&y);
	}
	doc_stream_release(&s);
	return 0;
}
