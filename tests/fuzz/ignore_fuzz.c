/*
 * lib/core ignore: rules from a repository's .gitsealignore and a source's
 * include/exclude globs are untrusted. The input is rules, a NUL byte, then
 * paths one per line; every rule set that parses must match every path without
 * crashing, and git's wildmatch must stay fast on hostile patterns (a
 * libFuzzer timeout would show an exponential case).
 */
#include <stdlib.h>
#include <string.h>

#include "core/ignore.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data, *nul = memchr(s, '\0', size);
	size_t rlen = nul ? (size_t)(nul - s) : size;
	char *paths = NULL, *p, *save = NULL;
	unsigned flags;

	if (size > 1 << 16)
		return 0;
	if (!(paths = malloc(size - rlen + 1)))
		return 0;
	memcpy(paths, nul ? nul + 1 : "", nul ? size - rlen - 1 : 0);
	paths[nul ? size - rlen - 1 : 0] = '\0';
	for (flags = 0; flags <= IGNORE_BRACES; flags += IGNORE_BRACES) {
		struct ignore *ig = NULL;
		if (ignore_new(&ig) < 0)
			break;
		if (ignore_add_text(ig, s, rlen, "fuzz", flags) == 0) {
			char *copy = strdup(paths);
			for (p = copy ? strtok_r(copy, "\n", &save) : NULL; p;
			     p = strtok_r(NULL, "\n", &save)) {
				ignore_match(ig, p, 0);
				ignore_match(ig, p, 1);
				ignore_path(ig, p, 0);
			}
			free(copy);
		}
		ignore_free(ig);
	}
	/* the raw matcher on the first path line against the rules text as one pattern */
	if (rlen < 512 && !memchr(s, '\n', rlen)) {
		char *pat = strndup(s, rlen);
		if (pat) {
			ignore_wildmatch(pat, paths);
			free(pat);
		}
	}
	free(paths);
	return 0;
}
