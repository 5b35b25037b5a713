/*
 * Key Secrets: the `kubernetes.io/tls` Secrets the controller keeps its
 * sealing keys in (what `kubectl get secret -l sealedsecrets.bitnami.com/
 * sealed-secrets-key -o yaml` backs up), Lists of them, and key files for
 * kubeseal --recovery-private-key.
 */
#include "keys/keys.h"

#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "core/file.h"
#include "doc/doc.h"

#include "keys/keys_int.h"

time_t keys__creation_time(const struct doc *secret)
{
	const char *s = doc_str(doc_getp(secret, "metadata", "creationTimestamp", NULL));
	struct tm tm;
	const char *end;
	memset(&tm, 0, sizeof(tm));
	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	return *end == 'Z' && !end[1] ? timegm(&tm) : -1;
}

int keys_ring_add_secret(struct keys_ring *r, const struct doc *secret, const char *what)
{
	struct buf key = BUF_INIT_SECRET(1 << 20), cert = BUF_INIT(1 << 20), name = BUF_INIT(1024);
	const struct doc *data = doc_get(secret, "data");
	const struct doc *k = doc_get(data, "tls.key"), *c = doc_get(data, "tls.crt");
	const char *n = doc_k8s_name(secret);
	int rc;

	if (keys_is_age_secret(secret))
		return 0; /* an age identity beside the RSA keys (a backup holds both) */
	if (!n)
		n = doc_str(doc_getp(secret, "metadata", "generateName", NULL));
	if ((rc = buf_addf(&name, "%s%s%s", what ? what : "", what && n ? ": " : "", n ? n : "")) <
	    0)
		goto out;
	if (!doc_str(k)) {
		/* kubeseal's message, sic */
		rc = gs_error(GS_EPARSE, "%s: secret must contain a 'tls.data' key", name.p);
		goto out;
	}
	if ((rc = base64_decode(&key, doc_str(k), doc_len(k), B64_GO_STD)) < 0) {
		gs_error_prefix(rc, "%s: data.tls.key", name.p);
		goto out;
	}
	if (doc_str(c) && (rc = base64_decode(&cert, doc_str(c), doc_len(c), B64_GO_STD)) < 0) {
		gs_error_prefix(rc, "%s: data.tls.crt", name.p);
		goto out;
	}
	rc = keys__ring_add_pem_secret(r, key.p, key.len, cert.len ? cert.p : NULL, cert.len,
	                               name.p, keys__creation_time(secret), doc_k8s_name(secret));
out:
	buf_release(&key);
	buf_release(&cert);
	buf_release(&name);
	return rc;
}

int keys_ring_add_doc(struct keys_ring *r, const struct doc *obj, const char *what)
{
	const char *kind = doc_k8s_kind(obj);
	const struct doc *items;
	size_t i;
	int rc, added = 0;

	if (kind && (!strcmp(kind, "List") || !strcmp(kind, "SecretList"))) {
		items = doc_get(obj, "items");
		for (i = 0; i < doc_len(items); i++) {
			const struct doc *it = doc_val_at(items, i);
			const char *ik = doc_k8s_kind(it);
			if (ik && strcmp(ik, "Secret"))
				return gs_error(GS_EPARSE,
				                "%s: items[%zu]: kind '%s' is not a Secret", what,
				                i, ik);
			if (keys_is_record_secret(it)) /* a backup's source-record key */
				continue;
			if ((rc = keys_ring_add_secret(r, it, what)) < 0)
				return rc;
			added += rc;
		}
		return added;
	}
	if (doc_kind(obj) != DOC_MAP || (kind && strcmp(kind, "Secret")))
		return gs_error(GS_EPARSE, "%s: %s%s%s is not a key Secret or a List of them", what,
		                kind ? "kind '" : "", kind ? kind : "the document",
		                kind ? "'" : "");
	if (keys_is_record_secret(obj))
		return 0;
	return keys_ring_add_secret(r, obj, what);
}

int keys_ring_load_text(struct keys_ring *r, const char *text, size_t len, const char *what)
{
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i;
	int rc, added = 0;

	if (memmem(text, len, "-----BEGIN ", 11) && memmem(text, len, "PRIVATE KEY-----", 16))
		return keys__ring_add_pem_text(r, text, len, what);
	if (memmem(text, len, "-----BEGIN ", 11))
		return gs_error(GS_EPARSE, "%s: no PEM private key found", what);
	if ((rc = doc_parse(&s, what, text, len, DOC_PARSE_SECRET, NULL)) < 0)
		return rc;
	for (i = 0; i < s.n; i++) {
		if (!s.docs[i])
			continue;
		if ((rc = keys_ring_add_doc(r, s.docs[i], what)) < 0)
			goto out;
		added += rc;
	}
	rc = added;
	if (!rc && !r->n)
		rc = gs_error(GS_ENOTFOUND, "%s: no private key found", what);
out:
	doc_stream_release(&s);
	return rc;
}

int keys_ring_load_file(struct keys_ring *r, const char *path)
{
	struct buf text = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	int rc;
	if ((rc = file_read(&text, path)) >= 0)
		rc = keys_ring_load_text(r, text.p, text.len, path);
	buf_release(&text);
	return rc;
}

int keys_pair_secret(struct doc **out, const struct keys_pair *p,
                     const struct keys_secret_opts *opts)
{
	struct keys_secret_opts o = KEYS_SECRET_OPTS_INIT;
	struct doc *s = NULL, *meta = NULL, *labels = NULL, *data = NULL, *k;
	struct buf b = BUF_INIT_SECRET(1 << 20), name = BUF_INIT(512);
	int rc;

	*out = NULL;
	if (opts)
		o = *opts;
	if (!(s = doc_new_map()) || !(meta = doc_new_map()) || !(labels = doc_new_map()) ||
	    !(data = doc_new_map())) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (o.generate_name) {
		rc = doc_set(meta, "generateName", doc_new_strz(o.generate_name));
	} else {
		if (o.name)
			rc = buf_adds(&name, o.name);
		else if ((rc = buf_adds(&name, KEYS_PREFIX)) >= 0)
			rc = keys_random_suffix(&name);
		if (rc >= 0)
			rc = doc_set(meta, "name", doc_new_strz(name.p));
	}
	if (rc < 0 ||
	    (rc = doc_set(meta, "namespace",
	                  doc_new_strz(o.namespace ? o.namespace : "kube-system"))) < 0 ||
	    (rc = doc_set(labels, KEYS_LABEL,
	                  doc_new_strz(o.label_value ? o.label_value : "active"))) < 0 ||
	    (rc = doc_set(meta, "labels", labels)) < 0)
		goto out;
	labels = NULL;
	if ((rc = base64_encode(&b, p->cert_pem.p, p->cert_pem.len, B64_PAD)) < 0 ||
	    (rc = doc_set(data, "tls.crt", doc_new_str(b.p, b.len))) < 0)
		goto out;
	buf_reset(&b);
	if ((rc = base64_encode(&b, p->key_pem.p, p->key_pem.len, B64_PAD)) < 0)
		goto out;
	if (!(k = doc_new_str(b.p, b.len))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	doc_set_flags(k, DOC_SECRET);
	if ((rc = doc_set(data, "tls.key", k)) < 0)
		goto out;
	if ((rc = doc_set(s, "apiVersion", doc_new_strz("v1"))) < 0 ||
	    (rc = doc_set(s, "kind", doc_new_strz("Secret"))) < 0 ||
	    (rc = doc_set(s, "metadata", meta)) < 0)
		goto out;
	meta = NULL;
	if ((rc = doc_set(s, "type", doc_new_strz("kubernetes.io/tls"))) < 0 ||
	    (rc = doc_set(s, "data", data)) < 0)
		goto out;
	data = NULL;
	*out = s;
	s = NULL;
out:
	buf_release(&b);
	buf_release(&name);
	doc_free(labels);
	doc_free(data);
	doc_free(meta);
	doc_free(s);
	return rc;
}

int keys_ring_unseal(struct doc **out, struct keys_ring *r, const struct doc *ss,
                     const struct sealed_unseal_opts *opts, struct sealed_items *items)
{
	return sealed_unseal(out, ss, &r->set, opts, items);
}
