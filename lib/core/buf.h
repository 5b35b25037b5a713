#ifndef GS_BUF_H
#define GS_BUF_H
/*
 * Growable byte buffer with a cap (git's strbuf + curl's dynbuf).
 *
 * - `p` is never NULL and always NUL-terminated (p[len] == 0), but length is
 *   the truth: data may hold NUL bytes.
 * - Every buffer has a cap `max` chosen for its use; growing past it fails
 *   with GS_ETOOBIG and leaves the buffer as it was.
 * - A buffer made with BUF_INIT_SECRET may hold plaintext: it grows by
 *   allocate+copy+wipe (never realloc) and buf_release() wipes it. Use it for
 *   everything that holds a secret value, key or decrypted document.
 */
#include <stdarg.h>
#include <stddef.h>

#include "core/error.h"

struct buf {
	char *p;    /* never NULL; NUL-terminated */
	size_t len; /* bytes used, excluding the terminator */
	size_t cap; /* bytes allocated (0 while p points at the shared empty string) */
	size_t max; /* cap on len */
	int secret; /* wipe on grow and release */
};

extern char buf_empty[];
#define BUF_INIT(max_)                                                                             \
	{                                                                                          \
		buf_empty, 0, 0, (max_), 0                                                         \
	}
#define BUF_INIT_SECRET(max_)                                                                      \
	{                                                                                          \
		buf_empty, 0, 0, (max_), 1                                                         \
	}

/* Sizes used across the project */
#define BUF_MAX_DEFAULT ((size_t)64 << 20) /* 64 MiB: manifests, documents */
#define BUF_MAX_FILE ((size_t)256 << 20)   /* 256 MiB: whole files read in memory */

void buf_init(struct buf *b, size_t max, int secret);
/* Ensure room for `extra` more bytes (+ terminator). */
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) GS_PRINTF(2, 3);
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
int buf_set(struct buf *b, const void *data, size_t n);
/* Append s as a JSON string literal, quotes included. */
int buf_add_json_str(struct buf *b, const char *s, size_t n);
/* Keep the first n bytes (wiping the rest for secret buffers). */
void buf_truncate(struct buf *b, size_t n);
void buf_reset(struct buf *b);
/* Hand out the allocation (caller frees; for secret buffers: wipe then free); b is reset. */
char *buf_detach(struct buf *b, size_t *len);
void buf_release(struct buf *b);
int buf_eq(const struct buf *b, const char *s);

/* Wipe memory that held a secret (never optimised away). */
void gs_wipe(void *p, size_t n);
/* Wipe and free a NUL-terminated string / a block of n bytes; NULL is fine. */
void gs_free_secret_str(char *s);
void gs_free_secret(void *p, size_t n);
/* Constant-time comparison of n bytes: 0 when equal. */
int gs_memcmp_ct(const void *a, const void *b, size_t n);

#endif
