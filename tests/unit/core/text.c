/* lib/core/text.h: UTF-8 validation, JSON and logfmt quoting (the one copy of each). */
#include "test.h"

#include "core/text.h"

static size_t len_of(const char *s, size_t n, unsigned *cp)
{
	return utf8_len((const unsigned char *)s, n, cp);
}

void test_core_text__utf8_len_boundaries(void)
{
	static const struct {
		const char *s;
		size_t n, w;
		unsigned cp;
	} ok[] = {
		{ "\x00", 1, 1, 0 },
		{ "\x7f", 1, 1, 0x7f },
		{ "\xc2\x80", 2, 2, 0x80 },
		{ "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "\xe2\x82\xac!", 4, 3, 0x20ac }, /* only the first character counts */
	};
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{ "\x80", 1 }, /* a continuation byte alone */
		{ "\xbf", 1 },
		{ "\xc0\x80", 2 },         /* overlong NUL */
		{ "\xc1\xbf", 2 },         /* overlong */
		{ "\xe0\x9f\xbf", 3 },     /* overlong U+07FF */
		{ "\xf0\x8f\xbf\xbf", 4 }, /* overlong U+FFFF */
		{ "\xed\xa0\x80", 3 },     /* U+D800, a surrogate */
		{ "\xed\xbf\xbf", 3 },     /* U+DFFF */
		{ "\xf4\x90\x80\x80", 4 }, /* U+110000 */
		{ "\xf5\x80\x80\x80", 4 },
		{ "\xff", 1 },
		{ "\xc3", 1 }, /* cut short by n */
		{ "\xe2\x82", 2 },
		{ "\xf0\x9f\x98", 3 },
		{ "\xc3(", 2 }, /* not followed by a continuation byte */
		{ "\xe2\x28\xa1", 3 },
	};
	size_t i;
	unsigned cp;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cp = 0xdead;
		assert_int(len_of(ok[i].s, ok[i].n, &cp), ok[i].w);
		assert_int(cp, ok[i].cp);
		assert_int(len_of(ok[i].s, ok[i].n, NULL), ok[i].w);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (len_of(bad[i].s, bad[i].n, &cp) != 0)
			fail_("bad sequence %zu accepted", i);
		assert_true(!utf8_valid(bad[i].s, bad[i].n));
	}
	/* a 4-byte character is refused when n says only 3 bytes are there */
	assert_int(len_of("\xf0\x9f\x98\x80", 3, NULL), 0);
}

/* the eight-bytes-at-a-time ASCII scan must see a bad byte at every offset */
void test_core_text__utf8_valid_every_offset(void)
{
	char s[40];
	size_t at;

	memset(s, 'a', sizeof(s));
	assert_true(utf8_valid(s, sizeof(s)));
	assert_true(utf8_valid(s, 0));
	for (at = 0; at < sizeof(s); at++) {
		memset(s, 'a', sizeof(s));
		s[at] = (char)0xff;
		if (utf8_valid(s, sizeof(s)))
			fail_("0xff at %zu accepted", at);
		if (at + 2 <= sizeof(s)) {
			s[at] = (char)0xc3;
			s[at + 1] = (char)0xa9;
			if (!utf8_valid(s, sizeof(s)))
				fail_("é at %zu refused", at);
			if (utf8_valid(s, at + 1)) /* cut in the middle of it */
				fail_("half an é at %zu accepted", at);
		}
	}
}

static void quote_is(unsigned flags, const char *in, size_t n, const char *want, int line)
{
	struct buf b = BUF_INIT(1024);
	if (buf_adds(&b, "x=") < 0 || json_quote(&b, in, n, flags) < 0)
		test__fail(__FILE__, line, "json_quote failed: %s", gs_error_last());
	else if (strcmp(b.p + 2, want) || strncmp(b.p, "x=", 2))
		test__fail(__FILE__, line, "json_quote gave %s, expected %s", b.p + 2, want);
	buf_release(&b);
}
#define QUOTE_IS(flags, lit, want) quote_is(flags, lit, sizeof(lit) - 1, want, __LINE__)

/* expected texts from Go 1.19's encoding/json (json.Encoder, SetEscapeHTML on and off),
 * except \b and \f, which Go writes so since 1.22 and we always do */
void test_core_text__json_quote_like_go(void)
{
	QUOTE_IS(0, "", "\"\"");
	QUOTE_IS(0, "a\"b\\\n\r\t\b\f\x01\x1f\x7f",
	         "\"a\\\"b\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"");
	QUOTE_IS(0, "nul\0in", "\"nul\\u0000in\"");
	QUOTE_IS(JSON_QUOTE_GO | JSON_QUOTE_HTML, "<a href='x'>&amp;</a>",
	         "\"\\u003ca href='x'\\u003e\\u0026amp;\\u003c/a\\u003e\"");
	QUOTE_IS(JSON_QUOTE_GO, "<a href='x'>&amp;</a>", "\"<a href='x'>&amp;</a>\"");
	QUOTE_IS(JSON_QUOTE_GO, "caf\xc3\xa9 \xe2\x80\xa8 \xe2\x80\xa9 \xc2\x85",
	         "\"caf\xc3\xa9 \\u2028 \\u2029 \xc2\x85\"");
	QUOTE_IS(JSON_QUOTE_GO, "bad\xff\xc3(\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82",
	         "\"bad\\ufffd\\ufffd("
	         "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	QUOTE_IS(JSON_QUOTE_GO, "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	/* without JSON_QUOTE_GO the bytes go as they are: the caller knows they are UTF-8 */
	QUOTE_IS(0, "caf\xc3\xa9 \xe2\x80\xa8 \xff", "\"caf\xc3\xa9 \xe2\x80\xa8 \xff\"");
	/* for logs: DEL and C1 controls escaped too (U+0085 is NEL), the rest as JSON_QUOTE_GO */
	QUOTE_IS(JSON_QUOTE_LOG, "a\x7f\xc2\x85\xc2\x9f\xc2\xa0\xe2\x80\xa8\xff\n",
	         "\"a\\u007f\\u0085\\u009f\xc2\xa0\\u2028\\ufffd\\n\"");
}

void test_core_text__json_quote_leaves_buffer_on_failure(void)
{
	struct buf b = BUF_INIT(12);
	must_pass(buf_adds(&b, "keep"));
	must_fail_with(json_quote(&b, "\n\n\n\n", 4, 0),
	               GS_ETOOBIG); /* "\n" x4 + quotes: 10 bytes */
	assert_str(b.p, "keep");
	assert_int(b.len, 4);
	must_fail_with(json_quote(&b, "0123456789", 10, 0), GS_ETOOBIG);
	assert_str(b.p, "keep");
	must_pass(json_quote(&b, "ab", 2, 0));
	assert_str(b.p, "keep\"ab\"");
	buf_release(&b);
}

static void logfmt_is(const char *in, size_t n, const char *want, int line)
{
	struct buf b = BUF_INIT(1024);
	if (logfmt_quote(&b, in, n) < 0)
		test__fail(__FILE__, line, "logfmt_quote failed: %s", gs_error_last());
	else if (strcmp(b.p, want))
		test__fail(__FILE__, line, "logfmt_quote gave %s, expected %s", b.p, want);
	else if (memchr(b.p, '\n', b.len) || memchr(b.p, '\r', b.len))
		test__fail(__FILE__, line, "a line break in %s", b.p);
	buf_release(&b);
}
#define LOGFMT_IS(lit, want) logfmt_is(lit, sizeof(lit) - 1, want, __LINE__)

void test_core_text__logfmt_quote(void)
{
	LOGFMT_IS("default", "default");
	LOGFMT_IS("kube-system/sealed-secrets-key", "kube-system/sealed-secrets-key");
	LOGFMT_IS("12.5ms", "12.5ms");
	LOGFMT_IS("", "\"\"");
	LOGFMT_IS("two words", "\"two words\"");
	LOGFMT_IS("a=b", "\"a=b\"");
	LOGFMT_IS("say \"hi\"", "\"say \\\"hi\\\"\"");
	LOGFMT_IS("back\\slash", "\"back\\\\slash\"");
	LOGFMT_IS("line\nlevel=error msg=forged", "\"line\\nlevel=error msg=forged\"");
	LOGFMT_IS("cr\rtab\t", "\"cr\\rtab\\t\"");
	LOGFMT_IS("esc\x1b[31m", "\"esc\\u001b[31m\"");
	LOGFMT_IS("del\x7f", "\"del\\u007f\"");
	LOGFMT_IS("caf\xc3\xa9", "\"caf\xc3\xa9\""); /* non-ASCII is quoted, kept when valid */
	LOGFMT_IS("nel\xc2\x85ls\xe2\x80\xa8", "\"nel\\u0085ls\\u2028\"");
	LOGFMT_IS("bad\xff\xfe", "\"bad\\ufffd\\ufffd\"");
	LOGFMT_IS("nul\0x", "\"nul\\u0000x\"");
}

static void prom_is(const char *in, size_t n, const char *want, int line)
{
	struct buf b = BUF_INIT(1024);
	if (prom_label_quote(&b, in, n) < 0)
		test__fail(__FILE__, line, "prom_label_quote failed: %s", gs_error_last());
	else if (strcmp(b.p, want))
		test__fail(__FILE__, line, "prom_label_quote gave %s, expected %s", b.p, want);
	buf_release(&b);
}
#define PROM_IS(lit, want) prom_is(lit, sizeof(lit) - 1, want, __LINE__)

/* the exposition format has three escapes; a hostile method or key never breaks a line */
void test_core_text__prom_label_quote(void)
{
	PROM_IS("GET", "\"GET\"");
	PROM_IS("", "\"\"");
	PROM_IS("X\"}{a=", "\"X\\\"}{a=\"");
	PROM_IS("a\\b\nc", "\"a\\\\b\\nc\"");
	PROM_IS("caf\xc3\xa9 \xe2\x80\xa8", "\"caf\xc3\xa9 \xe2\x80\xa8\"");
	PROM_IS("bad\xff\xc3(", "\"bad\xef\xbf\xbd\xef\xbf\xbd(\"");
	PROM_IS("tab\tcr\r", "\"tab\tcr\r\"");
}
