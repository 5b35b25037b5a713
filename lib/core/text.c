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
		lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
		hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
		if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		w = 3;
	} else if (c >= 0xf0 && c <= 0xf4) {
		lo = c == 0xf0 ? 0x90 : 0x80; /* no overlong forms */
		hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing past U+10FFFF */
		if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
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
			while (i + 8 <= n) { /* ASCII eight bytes at a time */
				unsigned long long v;
				memcpy(&v, s + i, 8);
				if (v & 0x8080808080808080ULL)
					break;
				i += 8;
			}
			continue;
		}
		if (!(w = utf8_len(s + i, n - i, NULL)))
			return 0;
		i += w;
	}
	return 1;
}

/*
 * Byte classes for the quoter, one constant table (no lazy setup: callers are
 * on many threads). A byte stops the fast scan when its class is in the
 * caller's stop set; Q_PLAIN bytes never do.
 */
enum {
	Q_PLAIN,
	Q_ESC /* '"', '\\', C0 controls */,
	Q_HTML /* < > & */,
	Q_DEL,
	Q_HIGH /* >= 0x80 */
};
static const unsigned char qclass[256] = {
	[0x00 ... 0x1f] = Q_ESC, ['"'] = Q_ESC,  ['\\'] = Q_ESC, ['<'] = Q_HTML,
	['>'] = Q_HTML,          ['&'] = Q_HTML, [0x7f] = Q_DEL, [0x80 ... 0xff] = Q_HIGH,
};

/* The escape for a byte of class Q_ESC (or an escaped Q_HTML / Q_DEL byte). */
static const char *ascii_escape(char tmp[7], unsigned char c)
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
	tmp[0] = '\\';
	tmp[1] = 'u';
	tmp[2] = '0';
	tmp[3] = '0';
	tmp[4] = hex[c >> 4];
	tmp[5] = hex[c & 15];
	tmp[6] = 0;
	return tmp;
}

int json_quote(struct buf *out, const char *str, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0, w, before = out->len;
	unsigned stop = 1u << Q_ESC;
	int rc;

	if (flags & JSON_QUOTE_LOG)
		flags |= JSON_QUOTE_GO;
	if (flags & JSON_QUOTE_HTML)
		stop |= 1u << Q_HTML;
	if (flags & JSON_QUOTE_LOG)
		stop |= 1u << Q_DEL;
	if (flags & JSON_QUOTE_GO)
		stop |= 1u << Q_HIGH;
	if ((rc = buf_grow(out, n + 2)) < 0 || (rc = buf_addc(out, '"')) < 0)
		return rc;
	while (i < n) {
		const char *esc;
		char tmp[7];
		unsigned cp;

		if (!((stop >> qclass[s[i]]) & 1)) {
			i++;
			continue;
		}
		w = 1;
		if (s[i] < 0x80) {
			esc = ascii_escape(tmp, s[i]);
		} else if (!(w = utf8_len(s + i, n - i, &cp))) {
			esc = "\\ufffd"; /* as Go: each byte that is not UTF-8 */
			w = 1;
		} else if (cp == 0x2028 || cp == 0x2029) {
			esc = cp == 0x2028 ? "\\u2028"
			                   : "\\u2029"; /* line separators to JavaScript */
		} else if ((flags & JSON_QUOTE_LOG) && cp < 0xa0) {
			esc = ascii_escape(
			    tmp, (unsigned char)cp); /* C1 controls: U+0085 is a newline to some */
		} else {
			i += w;
			continue;
		}
		if ((rc = buf_add(out, s + start, i - start)) < 0 || (rc = buf_adds(out, esc)) < 0)
			goto fail;
		i += w;
		start = i;
	}
	if ((rc = buf_add(out, s + start, n - start)) < 0 || (rc = buf_addc(out, '"')) < 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, before);
	return rc;
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
	return json_quote(out, s, n, JSON_QUOTE_LOG);
}

int prom_label_quote(struct buf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0, w, before = out->len;
	int rc;

	if ((rc = buf_grow(out, n + 2)) < 0 || (rc = buf_addc(out, '"')) < 0)
		return rc;
	while (i < n) {
		const char *esc;
		unsigned char c = s[i];

		if (c >= 0x80) {
			if ((w = utf8_len(s + i, n - i, NULL))) {
				i += w;
				continue;
			}
			esc = "\xef\xbf\xbd"; /* U+FFFD */
		} else if (c == '\\' || c == '"' || c == '\n') {
			esc = c == '\\' ? "\\\\" : c == '"' ? "\\\"" : "\\n";
		} else {
			i++;
			continue;
		}
		if ((rc = buf_add(out, s + start, i - start)) < 0 || (rc = buf_adds(out, esc)) < 0)
			goto fail;
		start = ++i;
	}
	if ((rc = buf_add(out, s + start, n - start)) < 0 || (rc = buf_addc(out, '"')) < 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, before);
	return rc;
}
