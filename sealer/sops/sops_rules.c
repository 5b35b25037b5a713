/* Which leaves sops encrypts (suffix/regex rules), regexes (PCRE2 for Go RE2 syntax), tree paths.
 */
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sealer/sops/sops.h"

static const char *const rule_keys[] = {
	"",
	"unencrypted_suffix",
	"encrypted_suffix",
	"unencrypted_regex",
	"encrypted_regex",
	"unencrypted_comment_regex",
	"encrypted_comment_regex",
};

const char *sops_rule_key(enum sops_rule_kind k)
{
	return rule_keys[k];
}

static int regex_compile(pcre2_code **out, const char *pattern)
{
	int err = 0;
	PCRE2_SIZE off = 0;
	*out = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (!*out) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(err, msg, sizeof(msg));
		return gs_error(GS_EPARSE, "can not compile regexp '%s': %s at offset %zu", pattern,
		                (char *)msg, (size_t)off);
	}
	return 0;
}

static int regex_match(const pcre2_code *re, const char *s, size_t n)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc;
	if (!md)
		return GS_ENOMEM;
	rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

int sops_regex_search(const char *pattern, const char *s, int *match)
{
	pcre2_code *re = NULL;
	int rc = regex_compile(&re, pattern);
	if (rc < 0)
		return rc;
	rc = regex_match(re, s, strlen(s));
	pcre2_code_free(re);
	if (rc < 0)
		return gs_error(rc, "out of memory");
	*match = rc;
	return 0;
}

int sops_rules_set(struct sops_rules *r, enum sops_rule_kind kind, const char *value)
{
	pcre2_code *re = NULL;
	char *v = NULL;
	int rc;
	if (kind != SOPS_RULE_NONE) {
		if (kind != SOPS_RULE_UNENCRYPTED_SUFFIX && kind != SOPS_RULE_ENCRYPTED_SUFFIX &&
		    (rc = regex_compile(&re, value)) < 0)
			return gs_error_prefix(rc, "%s", rule_keys[kind]);
		if (!(v = strdup(value))) {
			pcre2_code_free(re);
			return gs_error(GS_ENOMEM, "out of memory");
		}
	}
	free(r->value);
	pcre2_code_free(r->re);
	r->kind = kind;
	r->value = v;
	r->re = re;
	return 0;
}

void sops_rules_release(struct sops_rules *r)
{
	free(r->value);
	pcre2_code_free(r->re);
	r->value = NULL;
	r->re = NULL;
	r->kind = SOPS_RULE_NONE;
}

int sops_rules_match_text(const struct sops_rules *r, const char *s, size_t n)
{
	return r->re ? regex_match(r->re, s, n) > 0 : 0;
}

static int has_suffix(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);
	return n >= m && !memcmp(s + n - m, suf, m);
}

int sops_rules_encrypts(const struct sops_rules *r, const char *const *path, const size_t *lens,
                        size_t depth)
{
	size_t i;
	switch (r->kind) {
	case SOPS_RULE_NONE: return 1;
	case SOPS_RULE_UNENCRYPTED_SUFFIX:
		for (i = 0; i < depth; i++)
			if (has_suffix(path[i], lens[i], r->value))
				return 0;
		return 1;
	case SOPS_RULE_ENCRYPTED_SUFFIX:
		for (i = 0; i < depth; i++)
			if (has_suffix(path[i], lens[i], r->value))
				return 1;
		return 0;
	case SOPS_RULE_UNENCRYPTED_REGEX:
		for (i = 0; i < depth; i++)
			if (regex_match(r->re, path[i], lens[i]) > 0)
				return 0;
		return 1;
	case SOPS_RULE_ENCRYPTED_REGEX:
		for (i = 0; i < depth; i++)
			if (regex_match(r->re, path[i], lens[i]) > 0)
				return 1;
		return 0;
	default: /* comment rules: decided by comments, which this tree does not carry */ return 1;
	}
}

/* --- '["a"]["b"][0]' paths (sops' --extract / set / unset syntax) --- */

void sops_path_release(struct sops_path *p)
{
	size_t i;
	for (i = 0; i < p->n; i++)
		free(p->keys[i]);
	free(p->keys);
	free(p->index);
	memset(p, 0, sizeof(*p));
}

static int path_push(struct sops_path *p, char *key, long index)
{
	char **k = realloc(p->keys, (p->n + 1) * sizeof(*k));
	long *ix;
	if (!k)
		return GS_ENOMEM;
	p->keys = k;
	ix = realloc(p->index, (p->n + 1) * sizeof(*ix));
	if (!ix)
		return GS_ENOMEM;
	p->index = ix;
	p->keys[p->n] = key;
	p->index[p->n] = index;
	p->n++;
	return 0;
}

int sops_path_parse(struct sops_path *p, const char *s)
{
	const char *q = s;
	memset(p, 0, sizeof(*p));
	while (*q) {
		if (*q != '[')
			goto bad;
		q++;
		if (*q == '"' || *q == '\'') {
			char quote = *q++;
			const char *start = q;
			char *key;
			while (*q && *q != quote)
				q++;
			if (*q != quote || q[1] != ']')
				goto bad;
			if (!(key = strndup(start, (size_t)(q - start))) ||
			    path_push(p, key, -1) < 0) {
				free(key);
				sops_path_release(p);
				return gs_error(GS_ENOMEM, "out of memory");
			}
			q += 2;
		} else {
			char *end;
			long v = strtol(q, &end, 10);
			if (end == q || *end != ']' || v < 0)
				goto bad;
			if (path_push(p, NULL, v) < 0) {
				sops_path_release(p);
				return gs_error(GS_ENOMEM, "out of memory");
			}
			q = end + 1;
		}
	}
	return 0;
bad:
	sops_path_release(p);
	return gs_error(SOPS_ERR(GS_EINVAL, SOPS_EXIT_BAD_TREE_PATH),
	                "error parsing --extract path: invalid path %s (want [\"key\"][0]...)", s);
}
