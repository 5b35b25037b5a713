/*
 * lib/doc: parse anything (YAML, or JSON when the input starts with '{' or
 * '['), then check what must hold for every tree that parses:
 *   - the YAML we write parses again, and writing that gives the same bytes;
 *   - the JSON we write parses as JSON;
 *   - offsets lie inside the input and start <= end;
 *   - clone, edits and frees are clean (ASan).
 */
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

static void check_marks(const struct doc *n, size_t len, int depth)
{
	size_t i;

	if (!n)
		return;
	CHECK(doc_start(n).offset <= doc_end(n).offset || doc_start(n).line == 0);
	CHECK(doc_end(n).offset <= len);
	if (depth > 300)
		abort();
	for (i = 0; i < doc_len(n) && !doc_is_scalar(n); i++) {
		check_marks(doc_key_at(n, i), len, depth + 1);
		check_marks(doc_val_at(n, i), len, depth + 1);
	}
}

static void roundtrip(const struct doc *d, unsigned flags)
{
	struct doc_emit_opts o = { flags & DOC_EMIT_SEQ_INDENT ? 4 : 2, flags };
	struct buf y1 = BUF_INIT(BUF_MAX_DEFAULT), y2 = BUF_INIT(BUF_MAX_DEFAULT),
	           j = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc *back = NULL;

	CHECK(doc_emit_yaml(&y1, d, &o) == 0);
	if (doc_parse_one(&back, "again.yaml", y1.p, y1.len, 0) < 0) {
		/* only an empty-looking document may read back as nothing */
		CHECK(doc_kind(d) == DOC_NULL);
	} else {
		CHECK(doc_emit_yaml(&y2, back, &o) == 0);
		CHECK(y1.len == y2.len && !memcmp(y1.p, y2.p, y1.len));
		doc_free(back);
		back = NULL;
	}
	if (doc_emit_json(&j, d, &o) == 0) {
		CHECK(doc_parse_one(&back, "again.json", j.p, j.len, DOC_PARSE_JSON) == 0);
		doc_free(back);
	}
	buf_release(&y1);
	buf_release(&y2);
	buf_release(&j);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct doc_limits lim = { 64, 20000, 1 << 20, 2000 };
	struct doc_stream s = DOC_STREAM_INIT;
	unsigned flags = 0;
	size_t i;

	if (size > (1 << 20))
		return 0;
	if (size && (data[0] == '{' || data[0] == '['))
		flags |= DOC_PARSE_JSON;
	if (size && data[size - 1] == '!')
		flags |= DOC_PARSE_SECRET;
	if (doc_parse(&s, "fuzz.yaml", (const char *)data, size, flags, &lim) < 0) {
		CHECK(s.n == 0 && s.docs == NULL);
		return 0;
	}
	for (i = 0; i < s.n; i++) {
		struct doc *d = s.docs[i], *c;
		if (!d)
			continue;
		check_marks(d, size, 0);
		roundtrip(d, 0);
		roundtrip(d, DOC_EMIT_SEQ_INDENT | DOC_EMIT_SORT_KEYS);
		/* edits on the parsed tree and on a clone */
		c = doc_clone(d);
		CHECK(c != NULL);
		if (doc_kind(d) == DOC_MAP && doc_len(d)) {
			size_t klen;
			const char *k = doc_text(doc_key_at(d, 0), &klen);
			CHECK(doc_getn(d, k, klen) == doc_val_at(d, 0));
			doc_setn(c, k, klen, doc_new_strz("x"));
			doc_set(d, "added", doc_new_int(1));
			doc_free(doc_take(d, "added"));
		} else if (doc_kind(d) == DOC_SEQ) {
			doc_push(d, doc_new_null());
		} else if (doc_is_scalar(d)) {
			doc_set_scalar(d, DOC_STR, "y", 1);
		}
		doc_sort_keys(c, 1);
		roundtrip(c, DOC_EMIT_KEEP_STYLE);
		doc_free(c);
	}
	/* free one document early: the rest must stay valid */
	if (s.n > 1) {
		doc_free(s.docs[0]);
		s.docs[0] = NULL;
		if (s.docs[1])
			roundtrip(s.docs[1], 0);
	}
	doc_stream_release(&s);
	return 0;
}
