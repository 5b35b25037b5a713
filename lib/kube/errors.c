/* API errors: the server's Status object -> a GS_E* code and "message (Reason, code)". */
#include <string.h>

#include "kube/client.h"

static int code_for(long status)
{
	switch (status) {
	case 404: return GS_ENOTFOUND;
	case 409: return GS_ECONFLICT;
	case 410: return GS_EGONE;
	case 401:
	case 403: return GS_EAUTH;
	case 400:
	case 405:
	case 415:
	case 422: return GS_EINVAL;
	case 413: return GS_ETOOBIG;
	default: return GS_EIO;
	}
}

static const char *default_reason(long status)
{
	switch (status) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	case 504: return "Timeout";
	default: return "Unknown";
	}
}

int kube__api_error(long status, const char *method, const char *path, const char *body, size_t len)
{
	struct doc *st = NULL;
	const char *msg = NULL, *reason = NULL;
	long long code = status;
	int rc;

	if (len && body[0] == '{' &&
	    doc_parse_one(&st, "response", body, len, DOC_PARSE_JSON) == 0 &&
	    doc_str(doc_get(st, "kind")) && !strcmp(doc_str(doc_get(st, "kind")), "Status")) {
		msg = doc_str(doc_get(st, "message"));
		reason = doc_str(doc_get(st, "reason"));
		doc_get_int(doc_get(st, "code"), &code);
	}
	if (!reason || !*reason)
		reason = default_reason(status);
	kube__set_last(status, reason);
	rc = code_for(status);
	if (msg && *msg)
		gs_error(rc, "%s (%s, %ld)", msg, reason, status);
	else if (len && len < 200 && !memchr(body, '\0', len))
		gs_error(rc, "%s %s: HTTP %ld: %.*s", method, path, status,
		         (int)strcspn(body, "\r\n"), body);
	else
		gs_error(rc, "%s %s: HTTP %ld (%s)", method, path, status, reason);
	doc_free(st);
	return rc;
}
