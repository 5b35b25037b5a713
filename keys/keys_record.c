/*
 * The controller's source-record key as a Secret (keys.h, "the source-record key"): made once by
 * the leader, read by whoever leads, carried by `gitseal keys backup` and `keys restore` next to
 * the sealing keys. No crypto here beyond base64: the HMAC is the controller's (core/crypto.h).
 */
#include "keys/keys.h"

#include <string.h>

#include "core/base64.h"
#include "doc/doc.h"

int keys_is_record_secret(const struct doc *secret)
{
	return doc_getp(secret, "metadata", "labels", KEYS_RECORD_LABEL, NULL) != NULL;
}

int keys_record_secret(struct doc **out, const char *ns, const unsigned char *key, size_t len)
{
	struct buf b = BUF_INIT_SECRET(256);
	struct doc *s = NULL, *v = NULL;
	int rc;

	*out = NULL;
	if (len != KEYS_RECORD_KEY_LEN)
		return gs_error(GS_EINVAL, "source-record key: %zu bytes, want %d", len,
		                KEYS_RECORD_KEY_LEN);
	if ((rc = base64_encode(&b, key, len, B64_PAD)) < 0)
		goto out;
	if (!(s = doc_new_map()) || !(v = doc_new_str(b.p, b.len))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	doc_set_flags(v, DOC_SECRET);
	if ((rc = doc_set(s, "apiVersion", doc_new_strz("v1"))) < 0 ||
	    (rc = doc_set(s, "kind", doc_new_strz("Secret"))) < 0 ||
	    (rc = doc_set(s, "metadata", doc_new_map())) < 0 ||
	    (rc = doc_set(doc_get(s, "metadata"), "name", doc_new_strz(KEYS_RECORD_NAME))) < 0 ||
	    (rc = doc_set(doc_get(s, "metadata"), "namespace",
	                  doc_new_strz(ns ? ns : "kube-system"))) < 0 ||
	    (rc = doc_set(doc_get(s, "metadata"), "labels", doc_new_map())) < 0 ||
	    (rc = doc_set(doc_getp(s, "metadata", "labels", NULL), KEYS_RECORD_LABEL,
	                  doc_new_strz("active"))) < 0 ||
	    (rc = doc_set(s, "type", doc_new_strz("Opaque"))) < 0 ||
	    (rc = doc_set(s, "data", doc_new_map())) < 0)
		goto out;
	rc = doc_set(doc_get(s, "data"), KEYS_RECORD_DATA, v);
	v = NULL;
	if (rc < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	doc_free(v);
	doc_free(s);
	buf_release(&b);
	return rc;
}

int keys_record_key(unsigned char *key, const struct doc *secret)
{
	struct buf b = BUF_INIT_SECRET(256);
	const struct doc *v = doc_getp(secret, "data", KEYS_RECORD_DATA, NULL);
	const char *name = doc_k8s_name(secret);
	int rc = 0;

	if (!doc_str(v) || base64_decode(&b, doc_str(v), doc_len(v), B64_GO_STD) < 0 ||
	    b.len != KEYS_RECORD_KEY_LEN)
		rc =
		    gs_error(GS_EPARSE, "secret %s: data.%s is not a base64 %d-byte key",
		             name ? name : KEYS_RECORD_NAME, KEYS_RECORD_DATA, KEYS_RECORD_KEY_LEN);
	else
		memcpy(key, b.p, KEYS_RECORD_KEY_LEN);
	buf_release(&b);
	return rc;
}
