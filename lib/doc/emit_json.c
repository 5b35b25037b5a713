/*
 * JSON emitter shaped like Go's encoding/json (kubeseal, kubectl -o json):
 * json.MarshalIndent(v, "", "  ") layout or compact, the tree's key order (or
 * byte order with DOC_EMIT_SORT_KEYS, like Go maps), Go's string escapes
 * (\u2028/\u2029 always, invalid UTF-8 as \ufffd, <>& with
 * DOC_EMIT_JSON_HTML_ESCAPE). No trailing newline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "doc/doc_int.h"

struct jem {
	struct buf *out;
	int indent;
	unsigned flags;
};

/* Go's string escapes: the one quoter (lib/core/text.h) */
static int json_str(struct jem *j, const char *str, size_t n)
{
	return json_quote(j->out, str, n,
	                  JSON_QUOTE_GO |
	                      (j->flags & DOC_EMIT_JSON_HTML_ESCAPE ? JSON_QUOTE_HTML : 0));
}

/* Is the text already a JSON number? */
static int json_number(const char *s, size_t n)
{
	size_t i = 0, d;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

static int json_scalar(struct jem *j, const struct doc *d)
{
	char tmp[48];
	long long v;
	double f;
	int rc, uns = 0;

	switch (d->kind) {
	case DOC_NULL: return doc__puts(j->out, "null");
	case DOC_BOOL:
		return doc__puts(j->out, d->text[0] == 't' || d->text[0] == 'T' ? "true" : "false");
	case DOC_INT:
		if (json_number(d->text, d->len))
			return doc__put(j->out, d->text, d->len);
		rc = doc__parse_int(d->text, d->len, &v, &uns);
		if (rc == GS_ETOOBIG && uns) {
			/* above INT64_MAX: an unsigned 64-bit value */
			char *end;
			unsigned long long u = strtoull(d->text, &end, 0);
			snprintf(tmp, sizeof(tmp), "%llu", u);
			return doc__puts(j->out, tmp);
		}
		if (rc < 0)
			return gs_error(GS_EINVAL, "cannot write int '%.40s' as JSON", d->text);
		snprintf(tmp, sizeof(tmp), "%lld", v);
		return doc__puts(j->out, tmp);
	case DOC_FLOAT:
		if (json_number(d->text, d->len))
			return doc__put(j->out, d->text, d->len);
		if ((rc = doc__parse_float(d->text, d->len, &f)) < 0 || f != f || f - f != 0)
			return gs_error(GS_EINVAL, "cannot write float '%.40s' as JSON", d->text);
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, f);
			if (strtod(tmp, NULL) == f)
				break;
		}
		return doc__puts(j->out, tmp);
	default: return json_str(j, d->text, d->len);
	}
}

static int newline(struct jem *j, int level)
{
	int rc;
	if (j->flags & DOC_EMIT_COMPACT)
		return 0;
	if ((rc = doc__putc(j->out, '\n')) < 0 ||
	    (rc = buf_grow(j->out, (size_t)(level * j->indent))) < 0)
		return rc;
	memset(j->out->p + j->out->len, ' ', (size_t)(level * j->indent));
	j->out->len += (size_t)(level * j->indent);
	j->out->p[j->out->len] = '\0';
	return 0;
}

/* a key's text; an empty null key is "null" as in YAML output */
static const char *key_text(const struct doc *k, size_t *n)
{
	if (k->kind == DOC_NULL && !k->len) {
		*n = 4;
		return "null";
	}
	*n = k->len;
	return k->text;
}

static int cmp_bytes(const void *x, const void *y)
{
	const struct doc *a = **(struct doc *const *const *)x, *b = **(struct doc *const *const *)y;
	size_t na, nb;
	const char *ta = key_text(a, &na), *tb = key_text(b, &nb);
	int c = memcmp(ta, tb, na < nb ? na : nb);
	return c ? c : (na > nb) - (na < nb);
}

static int json_node(struct jem *j, const struct doc *d, int level)
{
	struct doc *const **order = NULL;
	size_t i;
	int rc = 0, map;

	if (!d)
		return doc__puts(j->out, "null");
	if (d->kind != DOC_MAP && d->kind != DOC_SEQ)
		return json_scalar(j, d);
	map = d->kind == DOC_MAP;
	if (!d->len)
		return doc__puts(j->out, map ? "{}" : "[]");
	if (map && (j->flags & DOC_EMIT_SORT_KEYS) && d->len > 1) {
		if (!(order = malloc(d->len * sizeof(*order))))
			return gs_error(GS_ENOMEM, "out of memory");
		for (i = 0; i < d->len; i++)
			order[i] = &d->kids[2 * i];
		qsort(order, d->len, sizeof(*order), cmp_bytes);
	}
	rc = doc__putc(j->out, map ? '{' : '[');
	for (i = 0; rc >= 0 && i < d->len; i++) {
		if (i && (rc = doc__putc(j->out, ',')) < 0)
			break;
		if ((rc = newline(j, level + 1)) < 0)
			break;
		if (map) {
			struct doc *const *kv = order ? order[i] : &d->kids[2 * i];
			size_t kn;
			const char *kt = key_text(kv[0], &kn);
			if ((rc = json_str(j, kt, kn)) < 0 ||
			    (rc = doc__puts(j->out, j->flags & DOC_EMIT_COMPACT ? ":" : ": ")) < 0)
				break;
			rc = json_node(j, kv[1], level + 1);
		} else {
			rc = json_node(j, d->kids[i], level + 1);
		}
	}
	if (rc >= 0 && (rc = newline(j, level)) >= 0)
		rc = doc__putc(j->out, map ? '}' : ']');
	free(order);
	return rc;
}

int doc_emit_json(struct buf *out, const struct doc *n, const struct doc_emit_opts *opts)
{
	struct jem j;
	size_t start = out->len;
	int rc;

	j.out = out;
	j.indent = opts && opts->indent > 0 ? opts->indent : 2;
	j.flags = opts ? opts->flags : 0;
	if ((rc = json_node(&j, n, 0)) < 0)
		buf_truncate(out, start);
	return rc;
}
