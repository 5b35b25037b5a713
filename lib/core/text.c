/* UTF-8, JSON and logfmt quoting: the one copy of each (see text.h). */
#include "core/text.h"

#include <string.h>

static const char hex[] = "0123456789abcdef";

size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], lo, hi;
	size_t w;

	if (c < 0x80) {
		w = 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		if (n < 2 || (s[1] & 0xc0) != 0x80)
			return 0;
		w = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
		if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		w = 3;
	} else if (c >= 0xf0 && c <= 0xf4) {
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
		if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		w = 4;
	} else {
		return 0;
	}
	if (cp) {
		unsigned v = w == 1 ? c : c & (0x7fu >> w);
		for (size_t k = 1; k < w; k++)
			v = (v << 6) | (s[k] & 0x3f);
		*cp = v;
	}
	return w;
}

int utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, w;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (!(w = utf8_len(s + i, n - i, NULL)))
			return 0;
		i += w;
	}
	return 1;
}

/* The escape for an ASCII byte, or NULL when it goes as it is. */
static const char *ascii_escape(char tmp[7], unsigned char c, unsigned flags)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case '\b': return "\\b";
	case '\f': return "\\f";
	}
	if (c < 0x20 || c == 0x7f || ((flags & JSON_QUOTE_HTML) && (c == '<' || c == '>' || c == '&'))) {
		if (c == 0x7f && !(flags & 0x100)) /* DEL is plain JSON; escaped only for logfmt */
			return NULL;
		tmp[0] = '\\'; tmp[1] = 'u'; tmp[2] = '0'; tmp[3] = '0';
		tmp[4] = hex[c >> 4]; tmp[5] = hex[c & 15]; tmp[6] = 0;
		return tmp;
	}
	return NULL;
}

static int quote(struct buf *out, const char *str, size_t n, unsigned flags, int go_utf8)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0, w;
	int rc;

	if ((rc = buf_addc(out, '"')) < 0)
		return rc;
	while (i < n) {
		unsigned char c = s[i];
		const char *esc = NULL;
		char tmp[7];

		if (c < 0x80) {
			if (!(esc = ascii_escape(tmp, c, flags))) {
				i++;
				continue;
			}
			w = 1;
		} else if (!go_utf8) {
			i++;
			continue;
		} else if (!(w = utf8_len(s + i, n - i, NULL))) {
			esc = "\\ufffd";
			w = 1;
		} else if (w == 3 && c == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			esc = s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
		} else {
			i += w;
			continue;
		}
		if ((rc = buf_add(out, s + start, i - start)) < 0 || (rc = buf_adds(out, esc)) < 0)
			return rc;
		i += w;
		start = i;
	}
	if ((rc = buf_add(out, s + start, n - start)) < 0)
		return rc;
	return buf_addc(out, '"');
}

int json_quote(struct buf *out, const char *s, size_t n, unsigned flags)
{
	return quote(out, s, n, flags & (JSON_QUOTE_HTML | JSON_QUOTE_GO), (flags & JSON_QUOTE_GO) != 0);
}

int logfmt_quote(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\')
			break;
	}
	if (n && i == n)
		return buf_add(out, s, n);
	/* 0x100: DEL escaped too; invalid UTF-8 replaced, so a terminal shows one line */
	return quote(out, s, n, 0x100, 1);
}
