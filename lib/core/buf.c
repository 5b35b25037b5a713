#include "core/buf.h"
#include "core/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

char buf_empty[1];

void gs_wipe(void *p, size_t n)
{
	if (p && n)
		sodium_memzero(p, n);
}

void gs_free_secret(void *p, size_t n)
{
	if (!p)
		return;
	sodium_memzero(p, n);
	free(p);
}

void gs_free_secret_str(char *s)
{
	if (s)
		gs_free_secret(s, strlen(s));
}

int gs_memcmp_ct(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n);
}

void buf_init(struct buf *b, size_t max, int secret)
{
	b->p = buf_empty;
	b->len = b->cap = 0;
	b->max = max;
	b->secret = secret;
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *np;

	if (extra > b->max || b->len > b->max - extra)
		return gs_error(GS_ETOOBIG, "buffer over its cap of %zu bytes", b->max);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap < ((size_t)1 << 62) ? cap * 2 : need;
	if (b->secret || !b->cap) {
		/* never realloc a secret: the old block would be freed unwiped */
		if (!(np = malloc(cap)))
			return gs_error(GS_ENOMEM, "out of memory");
		memcpy(np, b->p, b->len + 1);
		if (b->cap) {
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
	} else if (!(np = realloc(b->p, cap))) {
		return gs_error(GS_ENOMEM, "out of memory");
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t n)
{
	int rc;
	if (!n)
		return 0;
	if ((rc = buf_grow(b, n)) < 0)
		return rc;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return gs_error(GS_ERROR, "bad format");
	if ((rc = buf_grow(b, (size_t)n)) < 0)
		return rc;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int buf_set(struct buf *b, const void *data, size_t n)
{
	buf_truncate(b, 0);
	return buf_add(b, data, n);
}

int buf_add_json_str(struct buf *b, const char *s, size_t n)
{
	return json_quote(b, s, n, 0);
}

void buf_truncate(struct buf *b, size_t n)
{
	if (n >= b->len)
		return;
	if (b->secret)
		sodium_memzero(b->p + n, b->len - n);
	b->len = n;
	b->p[n] = '\0';
}

void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->cap ? b->p : calloc(1, 1);
	if (len)
		*len = b->len;
	b->p = buf_empty;
	b->len = b->cap = 0;
	return p;
}

void buf_release(struct buf *b)
{
	if (b->cap) {
		if (b->secret)
			sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = buf_empty;
	b->len = b->cap = 0;
}

int buf_eq(const struct buf *b, const char *s)
{
	size_t n = strlen(s);
	return b->len == n && !memcmp(b->p, s, n);
}
