/*
 * DOC_PARSE_JSON: strict JSON (RFC 8259) read directly, not through libyaml,
 * which refuses what JSON allows (\ud83d\ude00 surrogate pairs, keys over 1024
 * characters, values one after another). A stream is values separated by
 * whitespace, like Go's json.Decoder and kubectl. Messages use Go's wording.
 * Strings decode straight into the arena (never longer than their source), so
 * secrets leave no temporary copies behind.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/text.h"
#include "doc/doc_int.h"

struct jframe {
	struct doc *node;
	size_t base;
};

struct jp {
	const unsigned char *s;
	size_t n, i;
	const char *file;
	unsigned flags;
	struct doc_limits lim;
	struct doc__arena *arena;
	size_t line, line_start, col_off, col; /* col: characters up to col_off on this line */
	int ascii;                             /* no byte >= 0x80: columns are byte counts */
	size_t nodes;
	struct doc **vec;
	size_t vlen, vcap;
	struct jframe *fr;
	size_t nfr, fcap;
	unsigned *htab;
	size_t hcap;
	struct doc **docs;
	size_t ndocs, dcap;
};

static const char *jname(const struct jp *p)
{
	return p->file && *p->file ? p->file : "<input>";
}

static struct doc_mark jmark(struct jp *p, size_t off)
{
	struct doc_mark m;

	if (p->ascii) {
		p->col_off = off;
		p->col = off - p->line_start;
	} else {
		if (p->col_off < p->line_start || p->col_off > off) {
			p->col_off = p->line_start;
			p->col = 0;
		}
		for (; p->col_off < off; p->col_off++)
			if ((p->s[p->col_off] & 0xC0) != 0x80)
				p->col++;
	}
	m.offset = off;
	m.line = (unsigned)p->line;
	m.col = (unsigned)p->col + 1;
	return m;
}

static int jerr(struct jp *p, int code, size_t off, const char *fmt, ...) GS_PRINTF(4, 5);
static int jerr(struct jp *p, int code, size_t off, const char *fmt, ...)
{
	char what[160];
	struct doc_mark m = jmark(p, off);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return gs_error(code, "%s:%u:%u: %s", jname(p), m.line, m.col, what);
}

/* "invalid character 'x' <where>" as Go says it */
static int bad_char(struct jp *p, const char *where)
{
	unsigned char c;

	if (p->i >= p->n)
		return jerr(p, GS_EPARSE, p->i, "unexpected end of JSON input");
	c = p->s[p->i];
	if (c >= 0x20 && c < 0x7F)
		return jerr(p, GS_EPARSE, p->i, "invalid character '%c' %s", c, where);
	return jerr(p, GS_EPARSE, p->i, "invalid character '\\x%02x' %s", c, where);
}

static void skip_ws(struct jp *p)
{
	while (p->i < p->n) {
		unsigned char c = p->s[p->i];
		if (c == '\n') {
			p->line++;
			p->line_start = ++p->i;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			p->i++;
		} else {
			break;
		}
	}
}

static struct doc *new_node(struct jp *p, enum doc_kind kind, size_t start, int *rc)
{
	struct doc *d;

	if (++p->nodes > p->lim.max_nodes) {
		*rc = jerr(p, GS_ETOOBIG, start, "more than %zu nodes", p->lim.max_nodes);
		return NULL;
	}
	if (!(d = doc__node(p->arena, kind))) {
		*rc = gs_error(GS_ENOMEM, "out of memory");
		return NULL;
	}
	d->start = jmark(p, start);
	if (p->flags & DOC_PARSE_SECRET) {
		d->flags |= DOC_SECRET;
		p->arena->secret = 1;
	}
	return d;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* Four hex digits at `at` (before `end`); else -1 with *bad at the first wrong one. */
static int hex4(const struct jp *p, size_t at, size_t end, unsigned *out, size_t *bad)
{
	unsigned v = 0;
	for (size_t k = 0; k < 4; k++) {
		int h = at + k < end ? hexval(p->s[at + k]) : -1;
		if (h < 0) {
			*bad = at + k;
			return -1;
		}
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A string at p->i (the opening quote): decoded into the arena. */
static int read_string(struct jp *p, struct doc **out)
{
	size_t start = p->i, end, k, o = 0, bad;
	struct doc *d;
	char *t;
	int rc = 0;

	for (end = start + 1; end < p->n && p->s[end] != '"'; end++) {
		if (p->s[end] == '\\')
			end++;
		else
			while (end + 1 < p->n && p->s[end + 1] != '"' && p->s[end + 1] != '\\')
				end++;
	}
	if (end >= p->n) {
		p->i = p->n;
		return bad_char(p, "");
	}
	if (end - start - 1 > p->lim.max_scalar)
		return jerr(p, GS_ETOOBIG, start, "scalar longer than %zu bytes",
		            p->lim.max_scalar);
	if (!(d = new_node(p, DOC_STR, start, &rc)))
		return rc;
	d->style = DOC_STYLE_DOUBLE;
	if (!(t = doc__arena_alloc(p->arena, end - start))) {
		doc_free(d);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	d->text = t; /* from here doc_free wipes what was decoded if it is secret */
	for (k = start + 1; k < end;) {
		unsigned char c = p->s[k];
		if (c == '\\') {
			unsigned cp, lo;
			switch (p->s[k + 1]) {
			case '"': t[o++] = '"'; break;
			case '\\': t[o++] = '\\'; break;
			case '/': t[o++] = '/'; break;
			case 'b': t[o++] = '\b'; break;
			case 'f': t[o++] = '\f'; break;
			case 'n': t[o++] = '\n'; break;
			case 'r': t[o++] = '\r'; break;
			case 't': t[o++] = '\t'; break;
			case 'u':
				if (hex4(p, k + 2, end, &cp, &bad) < 0) {
					p->i = bad;
					rc = bad_char(p, "in \\u hexadecimal character escape");
					goto fail;
				}
				k += 4;
				if (cp >= 0xD800 && cp < 0xDC00 && k + 7 < end &&
				    p->s[k + 2] == '\\' && p->s[k + 3] == 'u' &&
				    hex4(p, k + 4, end, &lo, &bad) == 0 && lo >= 0xDC00 &&
				    lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					k += 6;
				} else if (cp >= 0xD800 && cp < 0xE000) {
					cp = 0xFFFD; /* a lone surrogate, as Go decodes it */
				}
				o += put_utf8(t + o, cp);
				break;
			default:
				p->i = k + 1;
				rc = bad_char(p, "in string escape code");
				goto fail;
			}
			k += 2;
		} else if (c < 0x20) {
			p->i = k;
			rc = bad_char(p, "in string literal");
			goto fail;
		} else if (c < 0x80) {
			size_t run = k + 1;
			while (run < end && p->s[run] >= 0x20 && p->s[run] < 0x80 &&
			       p->s[run] != '\\')
				run++;
			memcpy(t + o, p->s + k, run - k);
			o += run - k;
			k = run;
		} else {
			size_t w = utf8_len(p->s + k, end - k, NULL);
			if (!w) {
				rc = jerr(p, GS_EPARSE, k, "invalid UTF-8 in string");
				goto fail;
			}
			memcpy(t + o, p->s + k, w);
			o += w;
			k += w;
		}
	}
	t[o] = '\0';
	d->len = o;
	p->i = end + 1;
	d->end = jmark(p, p->i);
	*out = d;
	return 0;
fail:
	d->len = o; /* wiped by doc_free when secret */
	doc_free(d);
	return rc;
}

static int read_number(struct jp *p, struct doc **out)
{
	size_t start = p->i, i = p->i, d0;
	const unsigned char *s = p->s;
	int is_float = 0, rc = 0;
	struct doc *d;

	if (i < p->n && s[i] == '-')
		i++;
	if (i < p->n && s[i] == '0') {
		/* "01": RFC 8259 has no leading zeros; Go reads "0" and stops at the '1'. In a
		 * collection the caller says "after array element"; at the top level Go's
		 * json.Unmarshal says this (its Decoder would read 0 then 1: we refuse) */
		if (++i < p->n && s[i] >= '0' && s[i] <= '9' && !p->nfr) {
			p->i = i;
			return bad_char(p, "after top-level value");
		}
	} else if (i < p->n && s[i] >= '1' && s[i] <= '9') {
		while (i < p->n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		p->i = i;
		return bad_char(p, "in numeric literal");
	}
	if (i < p->n && s[i] == '.') {
		is_float = 1;
		for (d0 = ++i; i < p->n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d0) {
			p->i = i;
			return bad_char(p, "after decimal point in numeric literal");
		}
	}
	if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
		is_float = 1;
		if (++i < p->n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d0 = i; i < p->n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d0) {
			p->i = i;
			return bad_char(p, "in exponent of numeric literal");
		}
	}
	if (!(d = new_node(p, is_float ? DOC_FLOAT : DOC_INT, start, &rc)))
		return rc;
	d->style = DOC_STYLE_PLAIN;
	if (!(d->text = doc__strdup(p->arena, (const char *)s + start, i - start))) {
		d->text = doc__empty;
		doc_free(d);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	d->len = i - start;
	p->i = i;
	d->end = jmark(p, i);
	*out = d;
	return 0;
}

static int read_literal(struct jp *p, struct doc **out)
{
	static const struct {
		const char *word;
		enum doc_kind kind;
	} lits[] = {
		{ "true", DOC_BOOL },
		{ "false", DOC_BOOL },
		{ "null", DOC_NULL },
	};
	size_t k, len;
	struct doc *d;
	int rc = 0;

	for (k = 0; k < 3; k++) {
		len = strlen(lits[k].word);
		if (p->s[p->i] != (unsigned char)lits[k].word[0])
			continue;
		for (size_t j = 1; j < len; j++)
			if (p->i + j >= p->n || p->s[p->i + j] != (unsigned char)lits[k].word[j]) {
				p->i += j;
				return bad_char(p, "in literal");
			}
		if (!(d = new_node(p, lits[k].kind, p->i, &rc)))
			return rc;
		d->style = DOC_STYLE_PLAIN;
		if (!(d->text = doc__strdup(p->arena, lits[k].word, len))) {
			d->text = doc__empty;
			doc_free(d);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		d->len = len;
		p->i += len;
		d->end = jmark(p, p->i);
		*out = d;
		return 0;
	}
	return bad_char(p, "looking for beginning of value");
}

static int push(struct jp *p, struct doc *d)
{
	int rc;
	if ((rc = doc__grow((void **)&p->vec, &p->vcap, p->vlen + 1, sizeof(*p->vec))) < 0) {
		doc_free(d);
		return rc;
	}
	p->vec[p->vlen++] = d;
	return 0;
}

static int open_collection(struct jp *p, enum doc_kind kind)
{
	struct doc *d;
	int rc = 0;

	if (p->nfr >= p->lim.max_depth)
		return jerr(p, GS_ETOOBIG, p->i, "nested deeper than %zu levels", p->lim.max_depth);
	if ((rc = doc__grow((void **)&p->fr, &p->fcap, p->nfr + 1, sizeof(*p->fr))) < 0)
		return rc;
	if (!(d = new_node(p, kind, p->i, &rc)))
		return rc;
	d->style = DOC_STYLE_FLOW;
	d->flags &= (unsigned char)~DOC_SECRET;
	p->fr[p->nfr].node = d;
	p->fr[p->nfr++].base = p->vlen;
	p->i++;
	return 0;
}

/* Close the innermost collection (at its closing bracket); *done gets the node. */
static int close_collection(struct jp *p, struct doc **done)
{
	struct jframe *f = &p->fr[--p->nfr];
	struct doc *d = f->node;
	size_t nk = p->vlen - f->base;
	int rc = 0;

	p->i++;
	d->end = jmark(p, p->i);
	if (nk && !(d->kids = doc__arena_alloc(p->arena, nk * sizeof(*d->kids))))
		rc = gs_error(GS_ENOMEM, "out of memory");
	else if (nk)
		memcpy(d->kids, p->vec + f->base, nk * sizeof(*d->kids));
	if (rc < 0) {
		while (p->vlen > f->base)
			doc_free(p->vec[--p->vlen]);
		doc_free(d);
		return rc;
	}
	p->vlen = f->base;
	d->len = d->kind == DOC_MAP ? nk / 2 : nk;
	if (d->kind == DOC_MAP &&
	    (rc = doc__check_dups(jname(p), d->kids, d->len, &p->htab, &p->hcap)) < 0) {
		doc_free(d);
		return rc;
	}
	*done = d;
	return 0;
}

/* One top-level value; the document tree in *out. */
static int read_value(struct jp *p, struct doc **out)
{
	struct doc *d;
	int rc;

	for (;;) {
		/* a value */
		skip_ws(p);
		if (p->i >= p->n)
			return bad_char(p, "");
		d = NULL;
		switch (p->s[p->i]) {
		case '{':
			if ((rc = open_collection(p, DOC_MAP)) < 0)
				return rc;
			skip_ws(p);
			if (p->i < p->n && p->s[p->i] == '}') {
				if ((rc = close_collection(p, &d)) < 0)
					return rc;
				break;
			}
			goto key;
		case '[':
			if ((rc = open_collection(p, DOC_SEQ)) < 0)
				return rc;
			skip_ws(p);
			if (p->i < p->n && p->s[p->i] == ']') {
				if ((rc = close_collection(p, &d)) < 0)
					return rc;
				break;
			}
			continue;
		case '"':
			if ((rc = read_string(p, &d)) < 0)
				return rc;
			break;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			if ((rc = read_number(p, &d)) < 0)
				return rc;
			break;
		default:
			if ((rc = read_literal(p, &d)) < 0)
				return rc;
		}
		/* after a value: attach it, then a separator or a closing bracket */
		for (;;) {
			struct jframe *f;
			if (!p->nfr) {
				*out = d;
				return 0;
			}
			if ((rc = push(p, d)) < 0)
				return rc;
			f = &p->fr[p->nfr - 1];
			skip_ws(p);
			if (p->i < p->n && p->s[p->i] == ',') {
				p->i++;
				if (f->node->kind == DOC_SEQ)
					break;
				skip_ws(p);
				goto key;
			}
			if (p->i < p->n && p->s[p->i] == (f->node->kind == DOC_MAP ? '}' : ']')) {
				if ((rc = close_collection(p, &d)) < 0)
					return rc;
				continue;
			}
			return bad_char(p, f->node->kind == DOC_MAP ? "after object key:value pair"
			                                            : "after array element");
		}
		continue;
	key:
		if (p->i >= p->n || p->s[p->i] != '"')
			return bad_char(p, "looking for beginning of object key string");
		if ((rc = read_string(p, &d)) < 0 || (rc = push(p, d)) < 0)
			return rc;
		skip_ws(p);
		if (p->i >= p->n || p->s[p->i] != ':')
			return bad_char(p, "after object key");
		p->i++;
	}
}

int doc__parse_json(struct doc_stream *out, const char *file, const char *src, size_t len,
                    unsigned flags, const struct doc_limits *lim)
{
	struct jp p;
	struct doc *d = NULL;
	size_t k;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.s = (const unsigned char *)(src ? src : "");
	p.n = src ? len : 0;
	p.file = file;
	p.flags = flags;
	p.lim = *lim;
	p.line = 1;
	if (!(p.arena = doc__arena_new(file)))
		return gs_error(GS_ENOMEM, "out of memory");
	p.arena->refs = 1;
	p.ascii = 1;
	for (k = 0; k + 8 <= p.n && p.ascii; k += 8) {
		unsigned long long w;
		memcpy(&w, p.s + k, 8);
		p.ascii = !(w & 0x8080808080808080ULL);
	}
	for (; k < p.n && p.ascii; k++)
		p.ascii = p.s[k] < 0x80;
	if (p.n >= 3 && !memcmp(p.s, "\xef\xbb\xbf", 3)) /* editors add a BOM; skip it */
		p.i = p.line_start = p.col_off = 3;
	for (;;) {
		skip_ws(&p);
		if (p.i >= p.n)
			break;
		if ((rc = read_value(&p, &d)) < 0)
			break;
		if ((rc = doc__grow((void **)&p.docs, &p.dcap, p.ndocs + 1, sizeof(*p.docs))) < 0) {
			doc_free(d);
			break;
		}
		p.docs[p.ndocs++] = d;
	}
	if (rc >= 0 && !(out->file = strdup(file ? file : "")))
		rc = gs_error(GS_ENOMEM, "out of memory");
	if (rc >= 0) {
		out->docs = p.docs;
		out->n = p.ndocs;
		p.docs = NULL;
		p.ndocs = 0;
	}
	while (p.nfr)
		doc_free(p.fr[--p.nfr].node);
	for (k = 0; k < p.vlen; k++)
		doc_free(p.vec[k]);
	for (k = 0; k < p.ndocs; k++)
		doc_free(p.docs[k]);
	free(p.docs);
	free(p.vec);
	free(p.fr);
	free(p.htab);
	doc__arena_unref(p.arena);
	return rc < 0 ? rc : 0;
}
