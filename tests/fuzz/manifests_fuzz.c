/*
 * lib/doc manifest streams: anything in, then for every list that reads:
 * entries are mappings (unless read as written), carry a file and a line, and
 * free cleanly, with the List items detached from their parents (ASan).
 */
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const unsigned flags[] = { 0, DOC_MANIFEST_REQUIRE_KIND, DOC_MANIFEST_AS_WRITTEN,
		                          DOC_PARSE_SECRET };
	size_t f, i;

	if (size > 1 << 20)
		return 0;
	for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		struct doc_list l = DOC_LIST_INIT;
		int n = doc_read_manifests(&l, "fuzz.yaml", (const char *)data, size, flags[f]);
		if (n < 0) {
			CHECK(l.n == 0);
			continue;
		}
		CHECK((size_t)n == l.n);
		for (i = 0; i < l.n; i++) {
			if (flags[f] & DOC_MANIFEST_AS_WRITTEN)
				continue;
			CHECK(doc_kind(l.objs[i]) == DOC_MAP);
			CHECK(!strcmp(doc_file(l.objs[i]), "fuzz.yaml"));
			CHECK(doc_line(l.objs[i]) >= 1);
			if (flags[f] & DOC_MANIFEST_REQUIRE_KIND)
				CHECK(doc_str(doc_get(l.objs[i], "kind")) &&
				      doc_str(doc_get(l.objs[i], "apiVersion")));
		}
		doc_list_release(&l);
	}
	return 0;
}
