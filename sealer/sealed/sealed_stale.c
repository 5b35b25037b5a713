/*
 * Is a SealedSecret already sealed for a given key? There is no key id in the format: the only
 * way to know is a private-key operation. gitseal rotate and the controller's /v1/rotate-stale
 * ask it of the newest key with the least work: item 0 first (a SealedSecret sealed for an
 * older key fails there, after one operation), then the others, at most one each.
 */
#include "sealer/sealed/sealed.h"
#include "sealer/sealed/sealed_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "doc/doc.h"

int sealed_opens_with(const struct doc *ss, const struct sealed_privkey *key, size_t max_items,
                      const struct sealed_unseal_opts *opts)
{
	const struct doc *enc = doc_getp(ss, "spec", "encryptedData", NULL);
	const char *what = opts && opts->what ? opts->what : "SealedSecret";
	struct buf label = BUF_INIT(4096), pt = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	unsigned char *blob = NULL;
	size_t i, n = doc_len(enc), cap = 0, len;
	enum sealed_scope scope;
	int rc = 1;

	if (!sealed_is_sealedsecret(ss))
		return gs_error(GS_EPARSE, "%s: not a SealedSecret", what);
	if (doc_len(doc_getp(ss, "spec", "data", NULL)) && !n)
		return 0; /* the deprecated spec.data: never the newest format */
	scope = sealed_scope_of(ss);
	if (scope == SEALED_STRICT && !doc_k8s_name(ss))
		return gs_error(GS_EPARSE, "%s: missing metadata.name (needed by the strict scope)",
		                what);
	if ((rc = sealed_label(&label, scope, doc_k8s_namespace(ss), doc_k8s_name(ss))) < 0)
		goto out;
	rc = 1;
	if (max_items && max_items < n)
		n = max_items;
	for (i = 0; i < n && rc == 1; i++) {
		const struct doc *v = doc_val_at(enc, i);
		size_t need = base64_decoded_max(doc_len(v)) + 1;
		int r;
		if (!doc_str(v)) {
			rc = gs_error(GS_EPARSE, "%s: spec.encryptedData.%s: not a string", what,
			              doc_text(doc_key_at(enc, i), NULL));
			goto out;
		}
		if (need > cap) {
			free(blob);
			if (!(blob = malloc(cap = need))) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
		}
		if (base64_decode_raw(blob, &len, doc_str(v), doc_len(v), B64_GO_STD) < 0 ||
		    len < 2 || len < ((size_t)blob[0] << 8 | blob[1]) + 2) {
			rc = gs_error(GS_EPARSE, "%s: spec.encryptedData.%s: not a sealed item",
			              what, doc_text(doc_key_at(enc, i), NULL));
			goto out;
		}
		buf_reset(&pt);
		r = sealed__decrypt_with(&pt, key, label.p, label.len, blob, len);
		if (r == GS_EAUTH)
			rc = 0;
		else if (r < 0)
			rc = gs_error(r, "%s: spec.encryptedData.%s: not a sealed item", what,
			              doc_text(doc_key_at(enc, i), NULL));
	}
out:
	free(blob);
	buf_release(&label);
	buf_release(&pt);
	return rc;
}
