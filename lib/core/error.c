#include "core/error.h"

#include <stdio.h>
#include <string.h>

#define GS_ERRMSG_MAX 1024

static __thread char errmsg[GS_ERRMSG_MAX];
static __thread int errcode;

int gs_verror(int code, const char *fmt, va_list ap)
{
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	errcode = code;
	return code;
}

int gs_error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gs_verror(code, fmt, ap);
	va_end(ap);
	return code;
}

int gs_error_prefix(int code, const char *fmt, ...)
{
	char msg[GS_ERRMSG_MAX];
	size_t n, old = strlen(errmsg);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	if (old && n + 2 < sizeof(msg)) {
		memcpy(msg + n, ": ", 2);
		n += 2;
		if (old > sizeof(msg) - 1 - n)
			old = sizeof(msg) - 1 - n;
		memcpy(msg + n, errmsg, old);
		msg[n + old] = '\0';
	}
	memcpy(errmsg, msg, sizeof(errmsg));
	errcode = code;
	return code;
}

const char *gs_error_last(void)
{
	return errmsg;
}

int gs_error_code(void)
{
	return errcode;
}

void gs_error_clear(void)
{
	errmsg[0] = '\0';
	errcode = 0;
}
