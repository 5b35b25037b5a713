#ifndef GS_ERROR_H
#define GS_ERROR_H
/*
 * Errors: functions return 0 (or a count) on success and a negative GS_E* code
 * on failure, after setting this thread's message with gs_error(). The message
 * names the place (file:line:col, document, field) and never holds a secret.
 */
#include <stdarg.h>

enum gs_code {
	GS_OK = 0,
	GS_ERROR = -1,     /* generic failure */
	GS_ENOTFOUND = -2, /* a file, key, field or object that is not there */
	GS_EAUTH = -3,     /* no key opens it, a tag or MAC fails */
	GS_EPARSE = -4,    /* malformed input */
	GS_ETOOBIG = -5,   /* over a cap */
	GS_ECONFLICT = -6, /* exists already, or changed under us */
	GS_EIO = -7,       /* read/write/network failure */
	GS_ENOMEM = -8,
	GS_EINVAL = -9, /* bad argument or usage */
};

#define GS_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set this thread's message; returns code so that `return gs_error(...)` is one line. */
int gs_error(int code, const char *fmt, ...) GS_PRINTF(2, 3);
int gs_verror(int code, const char *fmt, va_list ap);
/* Put "prefix: " in front of the current message (adds context on the way up); returns code. */
int gs_error_prefix(int code, const char *fmt, ...) GS_PRINTF(2, 3);
/* The last message of this thread ("" if none) and its code. */
const char *gs_error_last(void);
int gs_error_code(void);
void gs_error_clear(void);
/* Set the message from OpenSSL's error queue (and clear the queue): "what: reason". */
int gs_error_openssl(int code, const char *what);

#endif
