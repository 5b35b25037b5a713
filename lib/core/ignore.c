/*
 * gitignore rules and git's wildmatch.
 *
 * The matcher follows git's wildmatch.c design (dowild() with WM_ABORT_ALL and
 * WM_ABORT_TO_STARSTAR): once a `*` has tried every position of the text, no
 * outer `*` can do better, so the search stops instead of backtracking; this
 * keeps hostile patterns such as `*a*a*a*a*a*b` against a long name linear-ish
 * instead of exponential. Written anew for gitseal.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/ignore.h"

#define RULES_MAX 100000
#define ALTERNATIVES_MAX 1000

enum { WM_NOMATCH = 0, WM_MATCH = 1, WM_ABORT_ALL = -1, WM_ABORT_TO_STARSTAR = -2 };

struct rule {
	char *pat;             /* the glob, without `!`, a leading `/` or a trailing `/` */
	unsigned negate : 1;   /* `!rule`: re-include */
	unsigned dir_only : 1; /* `rule/` */
	unsigned anchored : 1; /* had a `/` at the start or in the middle: matched against the whole
	                          path */
};

struct ignore {
	struct rule *rules;
	size_t n, cap;
};

/* ---- wildmatch ----------------------------------------------------------------------- */

/* The `]` closing a class whose body starts at q (after `[`), or NULL when it does not close. */
static const char *class_end(const char *q)
{
	if (*q == '!' || *q == '^')
		q++;
	if (*q == ']') /* a `]` first is literal */
		q++;
	while (*q && *q != ']') {
		if (*q == '\\') {
			if (!*++q)
				return NULL;
		} else if (q[0] == '[' && q[1] == ':') {
			const char *e = strstr(q + 2, ":]");
			if (e)
				q = e + 1;
		}
		q++;
	}
	return *q ? q : NULL;
}

static int posix_class(const char *name, size_t n, unsigned char c)
{
#define IS(s) (n == sizeof(s) - 1 && !memcmp(name, s, n))
	if (IS("alnum"))
		return isalnum(c);
	if (IS("alpha"))
		return isalpha(c);
	if (IS("blank"))
		return c == ' ' || c == '\t';
	if (IS("cntrl"))
		return iscntrl(c);
	if (IS("digit"))
		return isdigit(c);
	if (IS("graph"))
		return isgraph(c);
	if (IS("lower"))
		return islower(c);
	if (IS("print"))
		return isprint(c);
	if (IS("punct"))
		return ispunct(c);
	if (IS("space"))
		return isspace(c);
	if (IS("upper"))
		return isupper(c);
	if (IS("xdigit"))
		return isxdigit(c);
#undef IS
	return 0;
}

/* Does t match the class body [q, end)? */
static int class_match(const char *q, const char *end, unsigned char t)
{
	int neg = 0, ok = 0;

	if (*q == '!' || *q == '^')
		neg = 1, q++;
	while (q < end) {
		unsigned char lo = (unsigned char)*q;
		const char *next = q + 1;
		if (lo == '\\') {
			lo = (unsigned char)q[1];
			next = q + 2;
		} else if (lo == '[' && q[1] == ':') {
			const char *e = strstr(q + 2, ":]");
			if (e && e < end) {
				ok |= posix_class(q + 2, (size_t)(e - q - 2), t);
				q = e + 2;
				continue;
			}
		}
		if (next[0] == '-' && next + 1 < end) {
			unsigned char hi = (unsigned char)next[1];
			const char *after = next + 2;
			if (hi == '\\') {
				hi = (unsigned char)next[2];
				after = next + 3;
			}
			ok |= t >= lo && t <= hi;
			q = after;
			continue;
		}
		ok |= t == lo;
		q = next;
	}
	return ok != neg;
}

static int dowild(const char *p, const char *text, const char *pstart)
{
	char p_ch;

	for (; (p_ch = *p) != '\0'; text++, p++) {
		char t_ch = *text;
		const char *end;
		int match_slash, matched;

		if (t_ch == '\0' && p_ch != '*')
			return WM_ABORT_ALL;
		switch (p_ch) {
		case '\\':
			p_ch = *++p;
			/* the escaped character is literal */
			/* fall through */
		default:
			if (t_ch != p_ch)
				return WM_NOMATCH;
			continue;
		case '?':
			if (t_ch == '/')
				return WM_NOMATCH;
			continue;
		case '[':
			if (!(end = class_end(p + 1)))
				return WM_ABORT_ALL; /* refused when the rule is added */
			if (t_ch == '/' || !class_match(p + 1, end, (unsigned char)t_ch))
				return WM_NOMATCH;
			p = end;
			continue;
		case '*':
			match_slash = 0;
			if (*++p == '*') {
				const char *prev = p - 2;
				while (*++p == '*')
					;
				/* `**` as a whole component crosses `/`; elsewhere it is a `*` */
				if ((prev < pstart || *prev == '/') &&
				    (*p == '\0' || *p == '/' || (p[0] == '\\' && p[1] == '/'))) {
					if (p[0] == '/' && dowild(p + 1, text, pstart) == WM_MATCH)
						return WM_MATCH; /* `**` + `/` matching no directory
						                    at all */
					match_slash = 1;
				}
			}
			if (*p == '\0') {
				/* a trailing `**` takes everything, a trailing `*` the rest of this
				 * name */
				if (!match_slash && strchr(text, '/'))
					return WM_ABORT_TO_STARSTAR;
				return WM_MATCH;
			}
			if (!match_slash && *p == '/') {
				/* `*` + `/`: the rest of this name, then the slash (consumed by the
				 * loop) */
				const char *slash = strchr(text, '/');
				if (!slash)
					return WM_ABORT_ALL;
				text = slash;
				break;
			}
			for (;;) {
				if (t_ch == '\0')
					break;
				if ((matched = dowild(p, text, pstart)) != WM_NOMATCH) {
					if (!match_slash || matched != WM_ABORT_TO_STARSTAR)
						return matched;
				} else if (!match_slash && t_ch == '/') {
					return WM_ABORT_TO_STARSTAR;
				}
				t_ch = *++text;
			}
			return WM_ABORT_ALL;
		}
	}
	return *text ? WM_NOMATCH : WM_MATCH;
}

int ignore_wildmatch(const char *pattern, const char *text)
{
	return dowild(pattern, text, pattern) == WM_MATCH;
}

/* ---- rules --------------------------------------------------------------------------- */

int ignore_new(struct ignore **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return gs_error(GS_ENOMEM, "out of memory");
	return 0;
}

void ignore_free(struct ignore *ig)
{
	size_t i;

	if (!ig)
		return;
	for (i = 0; i < ig->n; i++)
		free(ig->rules[i].pat);
	free(ig->rules);
	free(ig);
}

size_t ignore_count(const struct ignore *ig)
{
	return ig ? ig->n : 0;
}

static int push_rule(struct ignore *ig, const char *pat, size_t n, struct rule r)
{
	if (ig->n >= RULES_MAX)
		return gs_error(GS_ETOOBIG, "more than %d rules", RULES_MAX);
	if (ig->n == ig->cap) {
		size_t cap = ig->cap ? 2 * ig->cap : 16;
		struct rule *nr = realloc(ig->rules, cap * sizeof(*nr));
		if (!nr)
			return gs_error(GS_ENOMEM, "out of memory");
		ig->rules = nr;
		ig->cap = cap;
	}
	if (!(r.pat = malloc(n + 1)))
		return gs_error(GS_ENOMEM, "out of memory");
	memcpy(r.pat, pat, n);
	r.pat[n] = '\0';
	ig->rules[ig->n++] = r;
	return 0;
}

/* The `}` closing the `{` at s[i], or 0. */
static size_t brace_end(const char *s, size_t n, size_t i)
{
	int depth = 0;

	for (; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '[' && class_end(s + i + 1))
			i = (size_t)(class_end(s + i + 1) - s);
		else if (s[i] == '{')
			depth++;
		else if (s[i] == '}' && --depth == 0)
			return i;
	}
	return 0;
}

/* Push the glob s[0..n) with its first `{a,b}` group expanded (recursively). */
static int push_expanded(struct ignore *ig, const char *s, size_t n, struct rule r, unsigned flags,
                         size_t *budget)
{
	struct buf alt = BUF_INIT((size_t)1 << 20);
	size_t i, close = 0, start, j;
	int rc = 0, depth;

	for (i = 0; (flags & IGNORE_BRACES) && i < n; i++) {
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == '[' && class_end(s + i + 1)) {
			i = (size_t)(class_end(s + i + 1) - s);
		} else if (s[i] == '{' && (close = brace_end(s, n, i))) {
			break;
		}
	}
	if (!(flags & IGNORE_BRACES) || i >= n) {
		if (!*budget)
			return gs_error(GS_ETOOBIG, "more than %d brace alternatives",
			                ALTERNATIVES_MAX);
		--*budget;
		return push_rule(ig, s, n, r);
	}
	/* alternatives between i and close, split at top-level commas */
	for (start = j = i + 1, depth = 0; rc >= 0 && j <= close; j++) {
		if (j < close && s[j] == '\\') {
			j++;
			continue;
		}
		if (j < close && s[j] == '{')
			depth++;
		else if (j < close && s[j] == '}')
			depth--;
		else if (j == close || (s[j] == ',' && !depth)) {
			buf_reset(&alt);
			if ((rc = buf_add(&alt, s, i)) < 0 ||
			    (rc = buf_add(&alt, s + start, j - start)) < 0 ||
			    (rc = buf_add(&alt, s + close + 1, n - close - 1)) < 0 ||
			    (rc = push_expanded(ig, alt.p, alt.len, r, flags, budget)) < 0)
				break;
			start = j + 1;
		}
	}
	buf_release(&alt);
	return rc;
}

static int add_rule(struct ignore *ig, const char *text, size_t n, const char *source,
                    unsigned lineno, unsigned flags)
{
	struct rule r = { NULL, 0, 0, 0 };
	size_t i, budget = ALTERNATIVES_MAX;
	char *copy = NULL;
	const char *line;
	int rc = 0;

	if (n && text[n - 1] == '\r')
		n--;
	/* trailing spaces go unless escaped with a backslash */
	while (n && text[n - 1] == ' ' && !(n >= 2 && text[n - 2] == '\\'))
		n--;
	if (!n || text[0] == '#')
		return 0;
	if (!(copy = strndup(text, n))) /* NUL-terminated from here on */
		return gs_error(GS_ENOMEM, "out of memory");
	line = copy;
	if (line[0] == '!') {
		r.negate = 1;
		line++, n--;
	}
	if (n && line[n - 1] == '/' && !(n >= 2 && line[n - 2] == '\\')) {
		r.dir_only = 1;
		n--;
	}
	for (i = 0; i < n; i++) {
		const char *e;
		if (line[i] == '\\' && ++i >= n) {
			rc = gs_error(GS_EPARSE, "%s:%u: rule ends with a lone backslash", source,
			              lineno);
			goto out;
		}
		if (line[i] == '/')
			r.anchored = 1;
		if (line[i] == '[') {
			if (!(e = class_end(line + i + 1)) || e >= line + n) {
				rc = gs_error(GS_EPARSE, "%s:%u: unterminated '[' in rule '%.*s'",
				              source, lineno, (int)(n > 200 ? 200 : n), line);
				goto out;
			}
			i = (size_t)(e - line);
		}
	}
	if (n && line[0] == '/')
		line++, n--;
	if (!n)
		goto out; /* "/" alone, or "!": git matches nothing with them */
	copy[(size_t)(line - copy) + n] = '\0';
	if ((rc = push_expanded(ig, line, n, r, flags, &budget)) < 0)
		gs_error_prefix(rc, "%s:%u", source, lineno);
out:
	free(copy);
	return rc < 0 ? rc : 0;
}

int ignore_add_text(struct ignore *ig, const char *text, size_t len, const char *source,
                    unsigned flags)
{
	size_t i = 0, eol;
	unsigned lineno = 0;
	int rc;

	if (!source)
		source = "<rules>";
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	for (; i < len; i = eol + 1) {
		const char *nl = memchr(text + i, '\n', len - i);
		eol = nl ? (size_t)(nl - text) : len;
		lineno++;
		if (memchr(text + i, '\0', eol - i))
			return gs_error(GS_EPARSE, "%s:%u: NUL byte in a rule", source, lineno);
		if ((rc = add_rule(ig, text + i, eol - i, source, lineno, flags)) < 0)
			return rc;
	}
	return 0;
}

int ignore_add(struct ignore *ig, const char *rule, unsigned flags)
{
	return add_rule(ig, rule, strlen(rule), "rule", 1, flags);
}

int ignore_match(const struct ignore *ig, const char *path, int is_dir)
{
	const char *base;
	size_t i;

	if (!ig || !ig->n || !path)
		return 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (i = ig->n; i-- > 0;) {
		const struct rule *r = &ig->rules[i];
		if (r->dir_only && !is_dir)
			continue;
		if (ignore_wildmatch(r->pat, r->anchored ? path : base))
			return !r->negate;
	}
	return 0;
}

int ignore_path(const struct ignore *ig, const char *path, int is_dir)
{
	char *p;
	size_t i;
	int hit = 0;

	if (!ig || !ig->n || !path)
		return 0;
	if (!(p = strdup(path)))
		return 1; /* out of memory: ignoring is the safe answer for a walker */
	for (i = 0; p[i] && !hit; i++) {
		if (p[i] != '/' || !i)
			continue;
		p[i] = '\0';
		hit = ignore_match(ig, p, 1);
		p[i] = '/';
	}
	free(p);
	return hit || ignore_match(ig, path, is_dir);
}
