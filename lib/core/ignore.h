#ifndef GS_IGNORE_H
#define GS_IGNORE_H
/*
 * ignore: gitignore-syntax path rules, for `.gitsealignore` at the root of a
 * revision tree and for a source's `directory.include` / `directory.exclude`.
 *
 * Rules follow gitignore(5): blank lines and `#` comments skipped, trailing
 * spaces dropped unless escaped, `!` re-includes, a trailing `/` matches only
 * directories, a pattern with a `/` at the start or in the middle is anchored
 * at the root (else it matches a name at any depth), `*` and `?` and `[...]`
 * never match `/`, `**` as a whole component matches any number of them
 * (`**` + `/x`, `a/` + `**`, `a/` + `**` + `/b`), `\` escapes. The last rule that
 * matches decides. With IGNORE_BRACES a rule may hold `{a,b}` alternatives (as
 * Argo CD's include/exclude globs: `{config.json,env-usw2/x}`).
 *
 * Paths are relative to the rules' root, `/`-separated, without a leading `/`.
 * Matching is git's wildmatch algorithm: no exponential backtracking on
 * hostile patterns (they come from the repository).
 */
#include <stddef.h>

struct ignore;

enum ignore_flags {
	IGNORE_BRACES = 1 << 0, /* `{a,b}` alternatives in the rules added with this flag */
};

int ignore_new(struct ignore **out);
void ignore_free(struct ignore *ig); /* NULL is fine */

/*
 * Add every rule of a gitignore-syntax text (one rule per line); source names
 * it in errors ("file:3: ..."). GS_EPARSE for a rule git would not read either
 * (an unterminated `[` class, a trailing `\`), GS_ETOOBIG past 100 000 rules or
 * 1 000 brace alternatives in one rule.
 */
int ignore_add_text(struct ignore *ig, const char *text, size_t len, const char *source,
                    unsigned flags);
/* One rule, as one line of such a text. */
int ignore_add(struct ignore *ig, const char *rule, unsigned flags);
/* How many rules (brace alternatives count one each). */
size_t ignore_count(const struct ignore *ig);

/*
 * Does the last matching rule ignore this path (1), re-include it or no rule
 * match (0)? Only the path itself is looked at: a walker that does not enter
 * ignored directories gets git's "a file under an ignored directory cannot be
 * re-included"; ignore_path() checks every parent itself.
 */
int ignore_match(const struct ignore *ig, const char *path, int is_dir);
/* The same, with each parent directory checked first. */
int ignore_path(const struct ignore *ig, const char *path, int is_dir);

/* The wildmatch itself: 1 when text matches pattern (`*` stops at `/`, `**` components). */
int ignore_wildmatch(const char *pattern, const char *text);

#endif
