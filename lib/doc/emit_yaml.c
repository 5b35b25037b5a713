/*
 * YAML emitter, written here rather than with libyaml's emitter so that the
 * two house styles come out byte for byte:
 *   - go-yaml v2 (sigs.k8s.io/yaml: kubectl, kubeseal): sequences not
 *     indented under their key, lookalike strings double-quoted, multi-line
 *     strings as "|-" literals, no line folding;
 *   - yaml.v3 (sops), DOC_EMIT_SEQ_INDENT: indentation aligned to multiples
 *     of the indent, sequences indented, "- " counted as indentation.
 * Scalar styles are chosen the way libyaml's analyzer does (go-yaml is a port
 * of it): plain when it reads back as the same string, else single quotes,
 * else double quotes with escapes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/text.h"
#include "doc/doc_int.h"

struct em {
	struct buf *out;
	int best;
	unsigned flags;
	int v3;
};

enum ctx { CTX_TOP, CTX_VALUE, CTX_ITEM, CTX_KEY /* after "?" */ };

/* --- scalar analysis (libyaml's yaml_emitter_analyze_scalar) -------------- */

struct scan {
	int multiline, flow_plain, block_plain, single, block, odd_break;
};

static size_t u8width(unsigned char c)
{
	return c < 0x80             ? 1
	       : (c & 0xE0) == 0xC0 ? 2
	       : (c & 0xF0) == 0xE0 ? 3
	       : (c & 0xF8) == 0xF0 ? 4
	                            : 1;
}

static size_t break_at(const unsigned char *s, size_t i, size_t n)
{
	if (i >= n)
		return 0;
	if (s[i] == '\r' || s[i] == '\n')
		return 1;
	if (s[i] == 0xC2 && i + 1 < n && s[i + 1] == 0x85)
		return 2;
	if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
		return 3;
	return 0;
}

static int blankz_at(const unsigned char *s, size_t i, size_t n)
{
	return i >= n || s[i] == ' ' || s[i] == '\t' || break_at(s, i, n);
}

static int printable_at(const unsigned char *s, size_t i)
{
	unsigned char c = s[i];
	return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && s[i + 1] >= 0xA0) ||
	       (c > 0xC2 && c < 0xED) || (c == 0xED && s[i + 1] < 0xA0) || c == 0xEE ||
	       (c == 0xEF && !(s[i + 1] == 0xBB && s[i + 2] == 0xBF) &&
	        !(s[i + 1] == 0xBF && (s[i + 2] == 0xBE || s[i + 2] == 0xBF)));
}

/* character classes for the analyzer: a constant table, so emitting from several threads is fine */
enum { C_IND_FIRST = 1, C_FLOW = 2, C_PLAIN_ASCII = 4 };
#define P_ C_PLAIN_ASCII
#define I_ C_IND_FIRST
#define F_ (C_IND_FIRST | C_FLOW)
static const unsigned char cls[256] = {
	['!'] = I_,         ['"'] = I_,  ['#'] = I_, ['$'] = P_,         ['%'] = I_,
	['&'] = I_,         ['\''] = I_, ['('] = P_, [')'] = P_,         ['*'] = I_,
	['+'] = P_,         [','] = F_,  ['-'] = I_, ['.'] = P_,         ['/'] = P_,
	['0' ... '9'] = P_, [':'] = I_,  [';'] = P_, ['<'] = P_,         ['='] = P_,
	['>'] = I_,         ['?'] = F_,  ['@'] = I_, ['A' ... 'Z'] = P_, ['['] = F_,
	['\\'] = P_,        [']'] = F_,  ['^'] = P_, ['_'] = P_,         ['`'] = I_,
	['a' ... 'z'] = P_, ['{'] = F_,  ['|'] = I_, ['}'] = F_,         ['~'] = P_,
};
#undef P_
#undef I_
#undef F_

/* Is the character before offset i a blank or a break (or is i the start)? */
static int preceded_by_ws(const unsigned char *s, size_t i)
{
	if (!i)
		return 1;
	if (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\r' || s[i - 1] == '\n')
		return 1;
	if (i >= 2 && s[i - 2] == 0xC2 && s[i - 1] == 0x85)
		return 1;
	return i >= 3 && s[i - 3] == 0xE2 && s[i - 2] == 0x80 &&
	       (s[i - 1] == 0xA8 || s[i - 1] == 0xA9);
}

/* v3: yaml.v3 lets tabs into block scalars (else quoted); libyaml and go-yaml v2 escape them */
static void analyze(const unsigned char *s, size_t n, struct scan *sc, int v3)
{
	int flow_ind = 0, block_ind = 0, line_breaks = 0, special = 0, tabs = 0;
	int lead_space = 0, lead_break = 0, trail_space = 0, trail_break = 0, break_space = 0,
	    space_break = 0;
	int prev_space = 0, prev_break = 0;
	size_t i, w;

	memset(sc, 0, sizeof(*sc));
	if (!n) {
		sc->block_plain = sc->single = 1;
		return;
	}
	if (n >= 3 && (!memcmp(s, "---", 3) || !memcmp(s, "...", 3)))
		flow_ind = block_ind = 1;
	for (i = 0; i < n; i += w) {
		unsigned char c = s[i];
		size_t bw;
		int first = i == 0, last, followed_ws;

		if (i && (cls[c] & C_PLAIN_ASCII)) {
			/* the common case: printable ASCII characters with no meaning here */
			while (i + 1 < n && (cls[s[i + 1]] & C_PLAIN_ASCII))
				i++;
			prev_space = prev_break = 0;
			w = 1;
			continue;
		}
		w = u8width(c);
		last = i + w >= n;
		followed_ws = blankz_at(s, i + w, n);
		if (first) {
			if (c && strchr("#,[]{}&*!|>'\"%@`", c)) {
				flow_ind = block_ind = 1;
			} else if (c == '?' || c == ':') {
				flow_ind = 1;
				if (followed_ws)
					block_ind = 1;
			} else if (c == '-' && followed_ws) {
				flow_ind = block_ind = 1;
			}
		} else {
			if (cls[c] & C_FLOW)
				flow_ind = 1;
			if (c == ':') {
				flow_ind = 1;
				if (followed_ws)
					block_ind = 1;
			}
			if (c == '#' && preceded_by_ws(s, i))
				flow_ind = block_ind = 1;
		}
		if (v3 && c == '\t')
			tabs = 1;
		else if (!printable_at(s, i))
			special = 1;
		bw = break_at(s, i, n);
		if (bw) {
			line_breaks = 1;
			if (c != '\n')
				sc->odd_break = 1;
		}
		if (c == ' ') {
			if (first)
				lead_space = 1;
			if (last)
				trail_space = 1;
			if (prev_break)
				break_space = 1;
			prev_space = 1;
			prev_break = 0;
		} else if (bw) {
			if (first)
				lead_break = 1;
			if (last)
				trail_break = 1;
			if (prev_space)
				space_break = 1;
			prev_break = 1;
			prev_space = 0;
		} else {
			prev_space = prev_break = 0;
		}
	}
	sc->multiline = line_breaks;
	sc->flow_plain = sc->block_plain = sc->single = sc->block = 1;
	if (lead_space || lead_break || trail_space || trail_break)
		sc->flow_plain = sc->block_plain = 0;
	if (trail_space)
		sc->block = 0;
	if (break_space)
		sc->flow_plain = sc->block_plain = sc->single = 0;
	if (space_break || special || tabs)
		sc->flow_plain = sc->block_plain = sc->single = 0;
	if (space_break || special)
		sc->block = 0;
	if (line_breaks)
		sc->flow_plain = sc->block_plain = 0;
	if (flow_ind)
		sc->flow_plain = 0;
	if (block_ind)
		sc->block_plain = 0;
}

/* --- scalar writers -------------------------------------------------------- */

/* the text a scalar is written with: an empty null is "null", a null or
 * bool whose text was set to something else is written canonically */
static const char *out_text(const struct doc *d, size_t *n)
{
	if (!d->tag && ((d->kind != DOC_STR && !d->len) ||
	                (d->kind == DOC_NULL && doc__resolve_plain(d->text, d->len) != DOC_NULL))) {
		*n = 4;
		return "null";
	}
	if (!d->tag && d->kind == DOC_BOOL && doc__resolve_plain(d->text, d->len) != DOC_BOOL) {
		int t = d->text[0] == 't' || d->text[0] == 'T';
		*n = t ? 4 : 5;
		return t ? "true" : "false";
	}
	*n = d->len;
	return d->text;
}

static int put_indent(struct em *e, int col)
{
	int rc;
	if ((rc = buf_grow(e->out, (size_t)col)) < 0)
		return rc;
	memset(e->out->p + e->out->len, ' ', (size_t)col);
	e->out->len += (size_t)col;
	e->out->p[e->out->len] = '\0';
	return 0;
}

static int write_single(struct em *e, const char *s, size_t n)
{
	size_t i, start = 0;
	int rc;

	if ((rc = doc__putc(e->out, '\'')) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (s[i] == '\'') {
			if ((rc = doc__put(e->out, s + start, i + 1 - start)) < 0 ||
			    (rc = doc__putc(e->out, '\'')) < 0)
				return rc;
			start = i + 1;
		}
	if ((rc = doc__put(e->out, s + start, n - start)) < 0)
		return rc;
	return doc__putc(e->out, '\'');
}

static int write_double(struct em *e, const char *str, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0, w, k;
	/* go-yaml's is_bom() looks at the start of the value whatever the index:
	 * a value that starts with a BOM has every character escaped */
	int bom = n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF;
	int rc;

	if ((rc = doc__putc(e->out, '"')) < 0)
		return rc;
	while (i < n) {
		unsigned char c = s[i];
		unsigned cp;
		char esc[12];
		size_t elen = 2;

		w = u8width(c);
		if (!bom && printable_at(s, i) && !break_at(s, i, n) && c != '"' && c != '\\' &&
		    !(c == 0xEF && s[i + 1] == 0xBB && s[i + 2] == 0xBF)) {
			i += w;
			continue;
		}
		cp = w == 1 ? c : c & (0x7Fu >> w);
		for (k = 1; k < w; k++)
			cp = (cp << 6) | (s[i + k] & 0x3F);
		esc[0] = '\\';
		switch (cp) {
		case 0x00: esc[1] = '0'; break;
		case 0x07: esc[1] = 'a'; break;
		case 0x08: esc[1] = 'b'; break;
		case 0x09: esc[1] = 't'; break;
		case 0x0A: esc[1] = 'n'; break;
		case 0x0B: esc[1] = 'v'; break;
		case 0x0C: esc[1] = 'f'; break;
		case 0x0D: esc[1] = 'r'; break;
		case 0x1B: esc[1] = 'e'; break;
		case 0x22: esc[1] = '"'; break;
		case 0x5C: esc[1] = '\\'; break;
		case 0x85: esc[1] = 'N'; break;
		case 0xA0: esc[1] = '_'; break;
		case 0x2028: esc[1] = 'L'; break;
		case 0x2029: esc[1] = 'P'; break;
		default: {
			int digits = cp <= 0xFF ? 2 : cp <= 0xFFFF ? 4 : 8;
			esc[1] = cp <= 0xFF ? 'x' : cp <= 0xFFFF ? 'u' : 'U';
			for (k = 0; k < (size_t)digits; k++)
				esc[2 + k] = hex[(cp >> (4 * (digits - 1 - (int)k))) & 15];
			elen = 2 + (size_t)digits;
		}
		}
		if ((rc = doc__put(e->out, str + start, i - start)) < 0 ||
		    (rc = doc__put(e->out, esc, elen)) < 0)
			return rc;
		i += w;
		start = i;
	}
	if ((rc = doc__put(e->out, str + start, n - start)) < 0)
		return rc;
	return doc__putc(e->out, '"');
}

/* "|" + indentation indicator + chomping, then the lines at content_col. */
static int write_literal(struct em *e, const char *s, size_t n, int content_col, int parent_col)
{
	size_t i, start;
	int rc;

	if ((rc = doc__putc(e->out, '|')) < 0)
		return rc;
	/* a first line starting with a tab needs the indicator too: libyaml refuses a tab
	 * where it is still detecting the indentation (yaml.v3 omits it and cannot read it back) */
	if (s[0] == ' ' || s[0] == '\n' || s[0] == '\t') {
		int ind = content_col - parent_col;
		if (ind < 1 || ind > 9)
			ind = e->best;
		if ((rc = doc__putc(e->out, (char)('0' + ind))) < 0)
			return rc;
	}
	if (s[n - 1] != '\n')
		rc = doc__putc(e->out, '-');
	else if (n == 1 || s[n - 2] == '\n')
		rc = doc__putc(e->out, '+');
	if (rc < 0 || (rc = doc__putc(e->out, '\n')) < 0)
		return rc;
	for (start = 0; start < n; start = i + 1) {
		for (i = start; i < n && s[i] != '\n'; i++)
			;
		if (i > start && (rc = put_indent(e, content_col)) < 0)
			return rc;
		if ((rc = doc__put(e->out, s + start, i - start)) < 0 ||
		    (rc = doc__putc(e->out, '\n')) < 0)
			return rc;
		if (i == n)
			break;
	}
	return 0;
}

/*
 * A tag as YAML text: "!!suffix" and "!suffix" shorthands, any other URI as
 * "!<uri>"; bytes outside the URI characters %-escaped (libyaml decoded them).
 */
static int write_tag(struct em *e, const char *tag)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *rest = tag;
	int rc = 0, verbatim = 0;

	if (!strncmp(tag, "!!", 2))
		rest = tag + 2;
	else if (tag[0] == '!')
		rest = tag + 1;
	else
		verbatim = 1;
	if ((rc = doc__put(e->out, verbatim ? "!<" : tag, verbatim ? 2 : (size_t)(rest - tag))) < 0)
		return rc;
	for (; *rest && rc >= 0; rest++) {
		unsigned char c = (unsigned char)*rest;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    strchr("-;/?:@&=+$_.~*'()#", c)) {
			rc = doc__putc(e->out, (char)c);
		} else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = doc__put(e->out, esc, 3);
		}
	}
	if (rc >= 0 && verbatim)
		rc = doc__putc(e->out, '>');
	return rc;
}

enum { W_PLAIN, W_SINGLE, W_DOUBLE, W_LITERAL };

static int write_scalar(struct em *e, const struct doc *d, int key, int content_col, int parent_col)
{
	size_t n;
	const char *s = out_text(d, &n);
	struct scan sc;
	int style, rc, tagged = d->tag != NULL, binary = 0;
	struct buf b64 = BUF_INIT_SECRET(BUF_MAX_FILE); /* the value may be secret */
	char dec[24];
	long long iv;

	if (!tagged && d->kind == DOC_INT && !(e->flags & DOC_EMIT_YAML12) &&
	    doc__v2_misreads_int(s, n) && doc__parse_int(s, n, &iv, NULL) == 0) {
		/* "0o+17": go-yaml v2 would read a string, so the value goes out in decimal */
		n = (size_t)snprintf(dec, sizeof(dec), "%lld", iv);
		s = dec;
	}
	if (!utf8_valid(s, n)) {
		/* like go-yaml: bytes that are not UTF-8 go out as !!binary */
		if ((rc = base64_encode(&b64, s, n, B64_PAD)) < 0)
			return rc;
		s = b64.p;
		n = b64.len;
		binary = 1;
	}
	if (!tagged && !binary && d->kind != DOC_STR && doc__resolve_plain(s, n) == DOC_STR) {
		/* a number that would read back as a string (1e400, or text set by hand): say what
		 * it is */
		static const char *const kind_tags[] = { "!!null", "!!bool", "!!int", "!!float",
			                                 "!!timestamp" };
		if ((rc = doc__puts(e->out, kind_tags[d->kind])) < 0 ||
		    (rc = doc__putc(e->out, ' ')) < 0)
			goto out;
		tagged = 1;
	}
	if (binary || (tagged && d->tag)) {
		const char *tag = binary ? "!!binary" : d->tag;
		if ((rc = write_tag(e, tag)) < 0 || (rc = doc__putc(e->out, ' ')) < 0)
			goto out;
	}
	analyze((const unsigned char *)s, n, &sc, e->v3);
	if (d->kind != DOC_STR && !binary)
		style = W_PLAIN;
	else if (memchr(s, '\n', n))
		style = W_LITERAL;
	else if (!tagged && !binary &&
	         ((e->flags & DOC_EMIT_YAML12) ? doc__resolve_plain(s, n) != DOC_STR
	                                       : doc_yaml11_needs_quotes(s, n)))
		style = W_DOUBLE;
	else
		style = W_PLAIN;
	if ((e->flags & DOC_EMIT_KEEP_STYLE) && (d->kind == DOC_STR || tagged)) {
		switch (d->style) {
		case DOC_STYLE_SINGLE: style = W_SINGLE; break;
		case DOC_STYLE_DOUBLE: style = W_DOUBLE; break;
		case DOC_STYLE_LITERAL:
		case DOC_STYLE_FOLDED: style = W_LITERAL; break;
		default: break;
		}
	}
	if (key && sc.multiline)
		style = W_DOUBLE;
	if (style == W_PLAIN && (!sc.block_plain || (!n && key)))
		style = W_SINGLE;
	if (style == W_SINGLE && (!sc.single || sc.multiline))
		style = W_DOUBLE;
	if (style == W_LITERAL && (!sc.block || key || sc.odd_break || !n))
		style = W_DOUBLE;
	switch (style) {
	case W_PLAIN: rc = doc__put(e->out, s, n); break;
	case W_SINGLE: rc = write_single(e, s, n); break;
	case W_DOUBLE: rc = write_double(e, s, n); break;
	default: rc = write_literal(e, s, n, content_col, parent_col); goto out;
	}
	if (rc >= 0 && !key)
		rc = doc__putc(e->out, '\n');
out:
	buf_release(&b64);
	return rc;
}

/* --- layout ---------------------------------------------------------------- */

/* go-yaml v2's key order (sorter.go): runs of digits compare as numbers */
static int is_letter(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0xAA;
}

static unsigned next_rune(const unsigned char *s, size_t n, size_t *i)
{
	size_t w = u8width(s[*i]), k;
	unsigned cp;
	if (w == 1 || *i + w > n)
		return s[(*i)++];
	cp = s[*i] & (0x7Fu >> w);
	for (k = 1; k < w; k++)
		cp = (cp << 6) | (s[*i + k] & 0x3F);
	*i += w;
	return cp;
}

/* Digit runs compared as numbers of any size (Go uses an int64 that wraps past 19 digits,
 * which would make the order depend on where keys started) */
static int cmp_digit_runs(const unsigned char *a, size_t na, const unsigned char *b, size_t nb,
                          int keep_zeros)
{
	int c;
	if (!keep_zeros) {
		for (; na && *a == '0'; a++, na--)
			;
		for (; nb && *b == '0'; b++, nb--)
			;
	}
	if (na != nb)
		return na < nb ? -1 : 1;
	c = memcmp(a, b, na);
	return (c > 0) - (c < 0);
}

static int natural_less(const struct doc *ka, const struct doc *kb)
{
	size_t ia = 0, ib = 0, na, nb;
	const unsigned char *a = (const unsigned char *)out_text(ka, &na),
	                    *b = (const unsigned char *)out_text(kb, &nb);

	while (ia < na && ib < nb) {
		size_t sa = ia, sb = ib, ja, jb;
		unsigned ra = next_rune(a, na, &ia), rb = next_rune(b, nb, &ib);
		int al, bl, keep = 0, c;
		if (ra == rb)
			continue;
		al = is_letter(ra);
		bl = is_letter(rb);
		if (al && bl)
			return ra < rb;
		if (al || bl)
			return bl;
		if (ra == '0' || rb == '0') {
			/* after a non-zero digit, leading zeros count ("10" vs "1a") */
			for (ja = sa; ja-- > 0 && a[ja] >= '0' && a[ja] <= '9';)
				if (a[ja] != '0') {
					keep = 1;
					break;
				}
		}
		for (ja = sa; ja < na && a[ja] >= '0' && a[ja] <= '9'; ja++)
			;
		for (jb = sb; jb < nb && b[jb] >= '0' && b[jb] <= '9'; jb++)
			;
		if ((c = cmp_digit_runs(a + sa, ja - sa, b + sb, jb - sb, keep)))
			return c < 0;
		if (ja - sa != jb - sb)
			return ja - sa < jb - sb;
		return ra < rb;
	}
	return na < nb; /* one is a prefix of the other */
}

static int cmp_bytes(const void *x, const void *y)
{
	const struct doc *a = **(struct doc *const *const *)x, *b = **(struct doc *const *const *)y;
	size_t na, nb;
	const char *ta = out_text(a, &na), *tb = out_text(b, &nb);
	int c = memcmp(ta, tb, na < nb ? na : nb);
	return c ? c : (na > nb) - (na < nb);
}

/*
 * go-yaml's order is not always transitive ("10.x" < "1é" < "9" < "10.x"), so
 * its output then depends on Go's map order. Ours depends only on the keys:
 * byte order first, then a stable merge sort by the natural order.
 */
static void sort_keys_natural(struct doc *const **v, size_t n, struct doc *const **tmp)
{
	size_t i, j, k, mid = n / 2;

	if (n < 2)
		return;
	sort_keys_natural(v, mid, tmp);
	sort_keys_natural(v + mid, n - mid, tmp);
	for (i = 0, j = mid, k = 0; i < mid || j < n;)
		tmp[k++] = j >= n || (i < mid && !natural_less(*v[j], *v[i])) ? v[i++] : v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* Where a node's lines go under a parent at column col (libyaml's
 * increase_indent; yaml.v3 aligns to multiples of the indent, except that
 * inside a sequence item it only skips the "- ") */
static int child_col(struct em *e, int col, int in_item)
{
	if (!e->v3)
		return col + e->best;
	if (in_item)
		return col + 2;
	return e->best * ((col + e->best) / e->best);
}

static int emit_node(struct em *e, const struct doc *n, int col, enum ctx ctx);

/* libyaml's check_simple_key: one line, at most 128 bytes with its tag */
static int simple_key(const struct doc *k)
{
	size_t n;
	const char *s = out_text(k, &n);

	if (!doc_is_scalar(k) || n + (k->tag ? strlen(k->tag) : 0) > 128)
		return 0;
	return !memchr(s, '\n', n) && !memchr(s, '\r', n) && !memmem(s, n, "\xc2\x85", 2) &&
	       !memmem(s, n, "\xe2\x80\xa8", 3) && !memmem(s, n, "\xe2\x80\xa9", 3);
}

/* The entries of a non-empty map or sequence at column `at`; the first one
 * continues the current line when inline_first ("- key: v"). */
static int emit_entries(struct em *e, const struct doc *n, int at, int inline_first)
{
	struct doc *const **order = NULL;
	size_t i;
	int rc = 0;

	if (n->kind == DOC_MAP && (e->flags & DOC_EMIT_SORT_KEYS) && n->len > 1) {
		if (!(order = malloc(2 * n->len * sizeof(*order)))) /* and room to merge */
			return gs_error(GS_ENOMEM, "out of memory");
		for (i = 0; i < n->len; i++)
			order[i] = &n->kids[2 * i];
		qsort(order, n->len, sizeof(*order), cmp_bytes);
		sort_keys_natural(order, n->len, order + n->len);
	}
	for (i = 0; rc >= 0 && i < n->len; i++) {
		if ((i || !inline_first) && (rc = put_indent(e, at)) < 0)
			break;
		if (n->kind == DOC_SEQ) {
			if ((rc = doc__putc(e->out, '-')) >= 0)
				rc = emit_node(e, n->kids[i], at, CTX_ITEM);
			continue;
		}
		struct doc *const *kv = order ? order[i] : &n->kids[2 * i];
		if (!simple_key(kv[0])) {
			/* "? key" then ": value" on the next line, as libyaml does; a
			 * collection value starts on the ":" line, at its own column */
			const struct doc *v = kv[1];
			if ((rc = doc__putc(e->out, '?')) < 0 ||
			    (rc = emit_node(e, kv[0], at, CTX_KEY)) < 0 ||
			    (rc = put_indent(e, at)) < 0 || (rc = doc__putc(e->out, ':')) < 0)
				break;
			if (v && !doc_is_scalar(v) && v->len && !v->tag) {
				int c = e->v3 ? child_col(e, at, 0) : at + e->best;
				if ((rc = put_indent(e, c - at - 1)) >= 0)
					rc = emit_entries(e, v, c, 1);
			} else {
				rc = emit_node(e, v, at, CTX_VALUE);
			}
			continue;
		} else if ((rc = write_scalar(e, kv[0], 1, 0, 0)) < 0) {
			break;
		}
		if ((rc = doc__putc(e->out, ':')) < 0)
			break;
		rc = emit_node(e, kv[1], at, CTX_VALUE);
	}
	free(order);
	return rc;
}

static int emit_node(struct em *e, const struct doc *n, int col, enum ctx ctx)
{
	int rc = 0, sep = ctx != CTX_TOP, at;

	if (!n || (n->kind != DOC_MAP && n->kind != DOC_SEQ)) {
		if (sep && (rc = doc__putc(e->out, ' ')) < 0)
			return rc;
		if (!n)
			return doc__puts(e->out, "null\n");
		if (ctx == CTX_TOP)
			return write_scalar(e, n, 0, e->best, 0);
		return write_scalar(e, n, 0, child_col(e, col, ctx == CTX_ITEM), col);
	}
	if (ctx == CTX_KEY) {
		/* keys are scalars; a collection here comes from doc_set misuse: write it as an
		 * item */
		ctx = CTX_ITEM;
	}
	if (n->tag) {
		if ((sep && (rc = doc__putc(e->out, ' ')) < 0) || (rc = write_tag(e, n->tag)) < 0)
			return rc;
		sep = 1;
	}
	if (!n->len) {
		if (sep && (rc = doc__putc(e->out, ' ')) < 0)
			return rc;
		return doc__puts(e->out, n->kind == DOC_MAP ? "{}\n" : "[]\n");
	}
	if (ctx == CTX_ITEM && !n->tag) {
		if ((rc = doc__putc(e->out, ' ')) < 0)
			return rc;
		return emit_entries(e, n, col + 2, 1);
	}
	if (ctx != CTX_TOP || n->tag)
		if ((rc = doc__putc(e->out, '\n')) < 0)
			return rc;
	if (ctx == CTX_TOP)
		at = 0;
	else if (ctx == CTX_ITEM)
		at = col + 2;
	else if (n->kind == DOC_SEQ && !e->v3)
		at = col; /* go-yaml v2: "key:\n- a" */
	else
		at = child_col(e, col, 0);
	return emit_entries(e, n, at, 0);
}

int doc_emit_yaml(struct buf *out, const struct doc *n, const struct doc_emit_opts *opts)
{
	struct em e;
	size_t start = out->len;
	int rc = 0;

	e.out = out;
	e.best = opts && opts->indent > 0 && opts->indent < 10 ? opts->indent : 2;
	e.flags = opts ? opts->flags : 0;
	e.v3 = (e.flags & DOC_EMIT_SEQ_INDENT) != 0;
	if (e.flags & DOC_EMIT_DOC_START)
		rc = doc__puts(out, "---\n");
	if (rc >= 0)
		rc = emit_node(&e, n, 0, CTX_TOP);
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}

int doc_emit_stream_yaml(struct buf *out, struct doc *const *docs, size_t n,
                         const struct doc_emit_opts *opts)
{
	struct doc_emit_opts o = opts ? *opts : (struct doc_emit_opts)DOC_EMIT_OPTS_INIT;
	size_t i, start = out->len, written = 0;
	int rc = 0;

	for (i = 0; rc >= 0 && i < n; i++) {
		if (!docs[i])
			continue;
		if (written++ && !(o.flags & DOC_EMIT_DOC_START))
			rc = doc__puts(out, "---\n");
		if (rc >= 0)
			rc = doc_emit_yaml(out, docs[i], &o);
	}
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}
