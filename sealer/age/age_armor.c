/*
 * ASCII armor (age.md "ASCII armor", RFC 7468 strict as Go's armor package):
 * 64-column padded base64 between BEGIN/END lines, LF or CRLF, whitespace
 * (at most 1024 bytes) only before BEGIN and after END.
 */
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "sealer/age/age_int.h"

#define MAX_WHITESPACE 1024
#define LINE_BUF 4096

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int all_space(const unsigned char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!is_space(p[i]))
			return 0;
	return 1;
}

static int fail(struct age__armor_src *a, const char *msg, const unsigned char *line, size_t n)
{
	struct buf q = BUF_INIT(1024);
	a->failed = 1;
	if (line)
		gs_error(GS_EPARSE, "invalid armor: %s: %s", msg, age__quote(&q, line, n));
	else
		gs_error(GS_EPARSE, "invalid armor: %s", msg);
	buf_release(&q);
	return GS_EPARSE;
}

/* Refill a->in keeping unread bytes; returns <0 on a read error. */
static int fill(struct age__armor_src *a)
{
	ssize_t r;
	if (a->inpos) {
		memmove(a->in, a->in + a->inpos, a->inlen - a->inpos);
		a->inlen -= a->inpos;
		a->inpos = 0;
	}
	if (a->inlen == a->incap || a->in_eof)
		return 0;
	if ((r = a->under->read(a->under, a->in + a->inlen, a->incap - a->inlen)) < 0)
		return (int)r;
	if (r == 0)
		a->in_eof = 1;
	a->inlen += (size_t)r;
	return 0;
}

/* Next line without its LF and one CR; 1 = no more input, <0 error. */
static int get_line(struct age__armor_src *a, const unsigned char **line, size_t *n)
{
	unsigned char *nl;
	int rc;
	for (;;) {
		nl = memchr(a->in + a->inpos, '\n', a->inlen - a->inpos);
		if (nl || a->in_eof || (a->inpos == 0 && a->inlen == a->incap))
			break;
		if ((rc = fill(a)) < 0)
			return rc;
	}
	if (!nl && a->inpos == a->inlen)
		return 1;
	*line = a->in + a->inpos;
	*n = nl ? (size_t)(nl - *line) : a->inlen - a->inpos;
	a->inpos += *n + (nl ? 1 : 0);
	if (*n && (*line)[*n - 1] == '\r')
		(*n)--;
	return 0;
}

/* After the END line: only whitespace may follow. */
static int drain(struct age__armor_src *a)
{
	int rc;
	while (!a->in_eof && a->inlen - a->inpos <= MAX_WHITESPACE)
		if ((rc = fill(a)) < 0)
			return rc;
	if (!all_space(a->in + a->inpos,
	               a->inlen - a->inpos < MAX_WHITESPACE ? a->inlen - a->inpos : MAX_WHITESPACE))
		return fail(a, "trailing data after armored file", NULL, 0);
	if (a->inlen - a->inpos >= MAX_WHITESPACE)
		return fail(a, "too much trailing whitespace", NULL, 0);
	a->done = 1;
	return 0;
}

static ssize_t armor_read(struct age_src *s, void *p, size_t n)
{
	struct age__armor_src *a = (struct age__armor_src *)s;
	const unsigned char *line = NULL;
	size_t len = 0, removed = 0, k;
	int rc;

	if (a->outpos == a->outlen) {
		if (a->failed)
			return GS_EPARSE;
		if (a->done)
			return 0;
		while (!a->started) {
			if ((rc = get_line(a, &line, &len)) < 0)
				return rc;
			if (rc == 1)
				return fail(a, "unexpected EOF", NULL, 0);
			if (all_space(line, len)) {
				removed += len + 1;
				if (removed > MAX_WHITESPACE)
					return fail(a, "too much leading whitespace", NULL, 0);
				continue;
			}
			if (len != strlen(AGE_ARMOR_BEGIN) || memcmp(line, AGE_ARMOR_BEGIN, len))
				return fail(a, "invalid first line", line, len);
			a->started = 1;
		}
		if ((rc = get_line(a, &line, &len)) < 0)
			return rc;
		if (rc == 1)
			return fail(a, "unexpected EOF", NULL, 0);
		if (len == strlen(AGE_ARMOR_END) && !memcmp(line, AGE_ARMOR_END, len))
			return (rc = drain(a)) < 0 ? rc : 0;
		if (len == 0)
			return fail(a, "empty line in armored data", NULL, 0);
		if (len > 64)
			return fail(a, "column limit exceeded", NULL, 0);
		if (base64_decode_raw(a->out, &a->outlen, (const char *)line, len,
		                      B64_PAD | B64_STRICT) < 0)
			return fail(a, "illegal base64 data", line, len);
		a->outpos = 0;
		if (a->outlen < 48) {
			if ((rc = get_line(a, &line, &len)) < 0)
				return rc;
			if (rc == 1)
				return fail(a, "unexpected EOF", NULL, 0);
			if (len != strlen(AGE_ARMOR_END) || memcmp(line, AGE_ARMOR_END, len))
				return fail(a, "invalid closing line", line, len);
			if ((rc = drain(a)) < 0)
				return rc;
		}
	}
	k = a->outlen - a->outpos < n ? a->outlen - a->outpos : n;
	memcpy(p, a->out + a->outpos, k);
	a->outpos += k;
	return (ssize_t)k;
}

int age__armor_src_init(struct age__armor_src *a, struct age_src *under)
{
	memset(a, 0, sizeof(*a));
	a->src.read = armor_read;
	a->under = under;
	a->incap = LINE_BUF;
	if (!(a->in = malloc(a->incap)))
		return gs_error(GS_ENOMEM, "out of memory");
	return 0;
}

void age__armor_src_release(struct age__armor_src *a)
{
	free(a->in);
	a->in = NULL;
}

/* ---- writer ---- */

static int sink_lines(struct age__armor_sink *a, const unsigned char *p, size_t n)
{
	size_t need = n / 48 * 65 + 80, o = 0, i;
	if (need > a->linecap) {
		char *l = realloc(a->line, need);
		if (!l)
			return gs_error(GS_ENOMEM, "out of memory");
		a->line = l;
		a->linecap = need;
	}
	for (i = 0; i + 48 <= n; i += 48) {
		o += base64_encode_raw(a->line + o, p + i, 48, B64_PAD);
		a->line[o++] = '\n';
	}
	return a->under->write(a->under, a->line, o);
}

static int armor_write(struct age_sink *s, const void *data, size_t n)
{
	struct age__armor_sink *a = (struct age__armor_sink *)s;
	const unsigned char *p = data;
	size_t k;
	int rc;

	if (!a->started) {
		if ((rc = a->under->write(a->under, AGE_ARMOR_BEGIN "\n",
		                          strlen(AGE_ARMOR_BEGIN) + 1)) < 0)
			return rc;
		a->started = 1;
	}
	if (a->ncarry) {
		k = 48 - a->ncarry < n ? 48 - a->ncarry : n;
		memcpy(a->carry + a->ncarry, p, k);
		a->ncarry += k;
		p += k;
		n -= k;
		if (a->ncarry < 48)
			return 0;
		if ((rc = sink_lines(a, a->carry, 48)) < 0)
			return rc;
		a->ncarry = 0;
	}
	k = n / 48 * 48;
	if (k && (rc = sink_lines(a, p, k)) < 0)
		return rc;
	memcpy(a->carry, p + k, n - k);
	a->ncarry = n - k;
	return 0;
}

int age__armor_sink_init(struct age__armor_sink *a, struct age_sink *under)
{
	memset(a, 0, sizeof(*a));
	a->sink.write = armor_write;
	a->under = under;
	return 0;
}

int age__armor_sink_close(struct age__armor_sink *a)
{
	char last[80];
	size_t o = 0;
	int rc;

	if (!a->started && (rc = armor_write(&a->sink, "", 0)) < 0)
		return rc;
	if (a->ncarry) {
		o = base64_encode_raw(last, a->carry, a->ncarry, B64_PAD);
		last[o++] = '\n';
		if ((rc = a->under->write(a->under, last, o)) < 0)
			return rc;
	}
	return a->under->write(a->under, AGE_ARMOR_END "\n", strlen(AGE_ARMOR_END) + 1);
}

void age__armor_sink_release(struct age__armor_sink *a)
{
	free(a->line);
	a->line = NULL;
	gs_wipe(a->carry, sizeof(a->carry));
}
