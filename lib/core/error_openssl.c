/* Kept apart from error.c so that only users of OpenSSL pull libcrypto in. */
#include "core/error.h"

#include <openssl/err.h>

int gs_error_openssl(int code, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[256];

	if (!e) {
		ERR_clear_error();
		return gs_error(code, "%s", what);
	}
	ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	return gs_error(code, "%s: %s", what, reason);
}
