#ifndef GS_TEXT_H
#define GS_TEXT_H
/*
 * Text primitives used everywhere: UTF-8 validation and string quoting for
 * JSON and logfmt. The one implementation of each; nothing here allocates
 * except by appending to the caller's buffer.
 */
#include <stddef.h>

#include "core/buf.h"

/* Length of the valid UTF-8 sequence at s (Go's rules: no overlongs, no surrogates, <= U+10FFFF),
 * 0 if s[0..n) does not start with one. n must be >= 1. *cp (if not NULL) gets the code point. */
size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp);
/* 1 when all of s[0..n) is valid UTF-8. */
int utf8_valid(const void *s, size_t n);

enum json_quote_flags {
	JSON_QUOTE_HTML = 1 << 0, /* <, >, & as \u003c.. (Go's json.Marshal default, kubeseal) */
	JSON_QUOTE_GO = 1 << 1,   /* Go's encoder: invalid UTF-8 -> \ufffd, U+2028/9 escaped */
	JSON_QUOTE_LOG = 1 << 2,  /* JSON_QUOTE_GO, and DEL and the C1 controls (U+0080..U+009F,
	                             NEL among them) as \u00XX: for log lines, which must stay one
	                             line on any terminal or reader */
};
/*
 * Append s as a JSON string literal, quotes included: \" \\ \n \r \t \b \f, other
 * C0 controls as \u00XX (lowercase hex, as Go). Without JSON_QUOTE_GO bytes >= 0x80
 * are copied as they are (the caller knows the text is UTF-8). On failure
 * (GS_ETOOBIG) out is left as it was.
 */
int json_quote(struct buf *out, const char *s, size_t n, unsigned flags);

/*
 * Append s as a logfmt value: bare when it is non-empty and has no space, quote,
 * '=', '\\', control or non-ASCII byte; else quoted as json_quote(JSON_QUOTE_LOG)
 * does (go-logfmt reads JSON escapes), so one record is always one line.
 */
int logfmt_quote(struct buf *out, const char *s, size_t n);

/*
 * Append s as a Prometheus text-format label value, quotes included: \\, \" and
 * \n escaped (the only escapes the format has), each byte that is not UTF-8
 * replaced by U+FFFD (label values are UTF-8), the rest as it is. A line of
 * /metrics stays one line and parses whatever a client sent.
 */
int prom_label_quote(struct buf *out, const char *s, size_t n);

#endif
