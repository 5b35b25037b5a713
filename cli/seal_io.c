/*
 * Helpers of the Sealed Secrets verbs (seal, unseal, validate, reseal, keys): kubeseal's
 * output layout, input names for messages, certificates from files and URLs.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_seal.h"
#include "core/file.h"
#include "kube/kube.h"

int seal_cli_emit(struct buf *out, const struct doc *d, int json, int doc_start)
{
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	int rc;
	if (json) {
		eo.flags = DOC_EMIT_JSON_HTML_ESCAPE;
		if ((rc = doc_emit_json(out, d, &eo)) < 0)
			return rc;
		return buf_addc(out, '\n');
	}
	eo.flags = DOC_EMIT_SORT_KEYS | (doc_start ? DOC_EMIT_DOC_START : 0);
	return doc_emit_yaml(out, d, &eo);
}

int seal_cli_is_yaml_name(const char *path)
{
	size_t n = path ? strlen(path) : 0;
	return (n > 5 && !strcmp(path + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(path + n - 4, ".yml"));
}

const char *seal_cli_what(const char *path, size_t i, size_t n)
{
	static char what[4200];
	const char *p = !path || !strcmp(path, "-") ? "stdin" : path;
	if (n > 1)
		snprintf(what, sizeof(what), "%s: document %zu", p, i + 1);
	else
		snprintf(what, sizeof(what), "%s", p);
	return what;
}

int seal_cli_read_cert(struct buf *pem, const char *cert)
{
	const char *colon = strstr(cert, "://");
	/* kubeseal: no scheme, or a 1-letter one (C:\...), is a path */
	if (colon && colon - cert > 1) {
		if (!strncmp(cert, "file://", 7))
			return file_read(pem, cert + 7);
		if (!strncmp(cert, "http://", 7) || !strncmp(cert, "https://", 8))
			return kube_fetch_url(pem, cert, 30000);
		return gs_error(GS_EINVAL, "unsupported certificate URL scheme: %s", cert);
	}
	return file_read(pem, cert);
}
