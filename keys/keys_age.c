/*
 * The cluster's age identities (keys.h "the cluster's age identities"): their Secrets, and the
 * thread-safe ring gitseal-controller keeps them in. An identity is one X25519 key in age's key
 * file format; its text lives in BUF_INIT_SECRET memory and is wiped when it goes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "doc/doc.h"
#include "keys/keys.h"
#include "keys/keys_int.h"
#include "sealer/age/age.h"

#define AGE_SECRET_MAX ((size_t)1 << 16) /* one key file: a few hundred bytes */

int keys_is_age_secret(const struct doc *obj)
{
	const char *kind = doc_k8s_kind(obj);
	return (!kind || !strcmp(kind, "Secret")) &&
	       doc_getp(obj, "metadata", "labels", KEYS_AGE_LABEL, NULL) != NULL;
}

static int secret_err(const struct doc *secret, const char *what)
{
	const char *n = doc_k8s_name(secret);
	return gs_error(GS_EPARSE, "age identity Secret '%s': %s", n ? n : "(no name)", what);
}

int keys_age_secret_identity(const struct doc *secret, struct buf *text, struct buf *recipient)
{
	const struct doc *v = doc_getp(secret, "data", KEYS_AGE_DATA, NULL);
	const char *anno =
	    doc_str(doc_getp(secret, "metadata", "annotations", KEYS_AGE_ANNO, NULL));
	struct buf raw = BUF_INIT_SECRET(AGE_SECRET_MAX);
	struct age_identity *ids = NULL;
	const char *r;
	int rc;

	if (!doc_str(v)) {
		const struct doc *sv = doc_getp(secret, "stringData", KEYS_AGE_DATA, NULL);
		if (!doc_str(sv))
			return secret_err(secret, "no data." KEYS_AGE_DATA);
		rc = buf_add(&raw, doc_str(sv), doc_len(sv));
	} else {
		rc = base64_decode(&raw, doc_str(v), doc_len(v), B64_GO_STD);
	}
	if (rc < 0) {
		rc = secret_err(secret, "data." KEYS_AGE_DATA " is not base64");
		goto out;
	}
	if ((rc = age_identities_parse(&ids, raw.p, raw.len, KEYS_AGE_DATA)) < 0) {
		gs_error_prefix(rc, "age identity Secret '%s'",
		                doc_k8s_name(secret) ? doc_k8s_name(secret) : "(no name)");
		goto out;
	}
	if (age_identities_count(ids) != 1 || !(r = age_identity_recipient(ids, 0))) {
		rc = secret_err(secret,
		                "data." KEYS_AGE_DATA " must hold exactly one X25519 identity");
		goto out;
	}
	if (anno && strcmp(anno, r)) {
		rc = secret_err(secret,
		                "the " KEYS_AGE_ANNO " annotation does not name its identity");
		goto out;
	}
	if ((text && (rc = buf_add(text, raw.p, raw.len)) < 0) ||
	    (text && raw.len && raw.p[raw.len - 1] != '\n' && (rc = buf_addc(text, '\n')) < 0) ||
	    (recipient && (rc = buf_adds(recipient, r)) < 0))
		goto out;
	rc = 0;
out:
	age_identities_free(ids);
	buf_release(&raw);
	return rc;
}

static int set_str(struct doc *map, const char *key, const char *val)
{
	struct doc *v = doc_new_strz(val);
	if (!v)
		return gs_error(GS_ENOMEM, "out of memory");
	return doc_set(map, key, v);
}

int keys_age_secret_new(struct doc **out, struct buf *recipient, const char *ns, const char *name)
{
	struct buf sk = BUF_INIT_SECRET(4096), pk = BUF_INIT(256), file = BUF_INIT_SECRET(4096),
	           b64 = BUF_INIT_SECRET(8192);
	struct doc *s = NULL, *meta = NULL, *labels = NULL, *annos = NULL, *data = NULL, *v;
	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	int rc;

	*out = NULL;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((rc = age_keygen(&sk, &pk)) < 0 ||
	    (rc = buf_addf(&file, "# created: %s\n# public key: %s\n%s\n", when, pk.p, sk.p)) < 0 ||
	    (rc = base64_encode(&b64, file.p, file.len, B64_PAD)) < 0)
		goto out;
	if (!(s = doc_new_map()) || !(meta = doc_new_map()) || !(labels = doc_new_map()) ||
	    !(annos = doc_new_map()) || !(data = doc_new_map()) ||
	    !(v = doc_new_str(b64.p, b64.len))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	doc_set_flags(v, DOC_SECRET);
	if ((rc = doc_set(data, KEYS_AGE_DATA, v)) < 0 ||
	    (rc = set_str(meta, name ? "name" : "generateName", name ? name : KEYS_AGE_PREFIX)) <
	        0 ||
	    (rc = set_str(meta, "namespace", ns ? ns : "kube-system")) < 0 ||
	    (rc = set_str(labels, KEYS_AGE_LABEL, "active")) < 0 ||
	    (rc = set_str(annos, KEYS_AGE_ANNO, pk.p)) < 0)
		goto out;
	if ((rc = doc_set(meta, "labels", labels)) < 0)
		goto out;
	labels = NULL;
	if ((rc = doc_set(meta, "annotations", annos)) < 0)
		goto out;
	annos = NULL;
	if ((rc = set_str(s, "apiVersion", "v1")) < 0 || (rc = set_str(s, "kind", "Secret")) < 0 ||
	    (rc = doc_set(s, "metadata", meta)) < 0)
		goto out;
	meta = NULL;
	if ((rc = set_str(s, "type", "Opaque")) < 0 || (rc = doc_set(s, "data", data)) < 0)
		goto out;
	data = NULL;
	if (recipient && (rc = buf_adds(recipient, pk.p)) < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	doc_free(s);
	doc_free(meta);
	doc_free(labels);
	doc_free(annos);
	doc_free(data);
	buf_release(&sk);
	buf_release(&pk);
	buf_release(&file);
	buf_release(&b64);
	return rc;
}

static int load_doc(struct buf *ids, const struct doc *obj, const char *what)
{
	const struct doc *items = doc_get(obj, "items");
	size_t i;
	int rc, n = 0;

	if (items && doc_kind(items) == DOC_SEQ) {
		for (i = 0; i < doc_len(items); i++) {
			if ((rc = load_doc(ids, doc_val_at(items, i), what)) < 0)
				return rc;
			n += rc;
		}
		return n;
	}
	if (!keys_is_age_secret(obj))
		return 0;
	if ((rc = keys_age_secret_identity(obj, ids, NULL)) < 0)
		return gs_error_prefix(rc, "%s", what);
	return 1;
}

int keys_age_load_text(struct buf *ids, const char *text, size_t len, const char *what)
{
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i;
	int rc, n = 0;

	if (!memmem(text, len, KEYS_AGE_LABEL, strlen(KEYS_AGE_LABEL)))
		return 0; /* PEM keys, or a backup without identities */
	if ((rc = doc_parse(&s, what, text, len, DOC_PARSE_SECRET, NULL)) < 0)
		return rc;
	for (i = 0; i < s.n; i++) {
		if (!s.docs[i])
			continue;
		if ((rc = load_doc(ids, s.docs[i], what)) < 0)
			goto out;
		n += rc;
	}
	rc = n;
out:
	doc_stream_release(&s);
	return rc;
}

/* ---- the ring ----------------------------------------------------------------------------- */

struct age_ent {
	struct keys_age_info info;
	struct buf text; /* the key file, BUF_INIT_SECRET */
};

struct keys_age_ring {
	pthread_rwlock_t lock;
	struct age_ent *ent; /* newest first */
	size_t n;
};

int keys_age_ring_new(struct keys_age_ring **out)
{
	struct keys_age_ring *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r)
		return gs_error(GS_ENOMEM, "out of memory");
	pthread_rwlock_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void keys_age_ring_free(struct keys_age_ring *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		buf_release(&r->ent[i].text);
	free(r->ent);
	pthread_rwlock_destroy(&r->lock);
	free(r);
}

int keys_age_ring_add_secret(struct keys_age_ring *r, const struct doc *secret, time_t created)
{
	struct age_ent e;
	struct buf rcpt = BUF_INIT(256);
	const char *name = doc_k8s_name(secret);
	size_t i, pos;
	int rc;

	memset(&e, 0, sizeof(e));
	buf_init(&e.text, AGE_SECRET_MAX, 1);
	if ((rc = keys_age_secret_identity(secret, &e.text, &rcpt)) < 0)
		goto out;
	snprintf(e.info.name, sizeof(e.info.name), "%s", name ? name : "");
	snprintf(e.info.recipient, sizeof(e.info.recipient), "%s", rcpt.p);
	e.info.created = created >= 0 ? created : keys__creation_time(secret);
	if (e.info.created < 0)
		e.info.created = time(NULL);
	pthread_rwlock_wrlock(&r->lock);
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->ent[i].info.recipient, e.info.recipient))
			break;
	if (i < r->n) {
		rc = 0; /* the same identity again (an update, a restore): keep the first */
	} else {
		struct age_ent *n = realloc(r->ent, (r->n + 1) * sizeof(*n));
		if (!n) {
			rc = gs_error(GS_ENOMEM, "out of memory");
		} else {
			r->ent = n;
			/* a tie goes to the one added last: creationTimestamp has whole
			 * seconds, and the key watch adds a renewed identity after the
			 * one it replaces */
			for (pos = 0; pos < r->n && r->ent[pos].info.created > e.info.created;
			     pos++)
				;
			memmove(r->ent + pos + 1, r->ent + pos, (r->n - pos) * sizeof(*n));
			r->ent[pos] = e;
			r->n++;
			memset(&e, 0, sizeof(e)); /* the ring owns the text now */
			buf_init(&e.text, 0, 1);
			rc = 1;
		}
	}
	pthread_rwlock_unlock(&r->lock);
out:
	buf_release(&e.text);
	buf_release(&rcpt);
	return rc;
}

int keys_age_ring_remove(struct keys_age_ring *r, const char *name)
{
	size_t i;
	int rc = 0;
	pthread_rwlock_wrlock(&r->lock);
	for (i = 0; name && *name && i < r->n; i++) {
		if (strcmp(r->ent[i].info.name, name))
			continue;
		buf_release(&r->ent[i].text);
		memmove(r->ent + i, r->ent + i + 1, (r->n - i - 1) * sizeof(*r->ent));
		r->n--;
		rc = 1;
		break;
	}
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

size_t keys_age_ring_count(struct keys_age_ring *r)
{
	size_t n;
	pthread_rwlock_rdlock(&r->lock);
	n = r->n;
	pthread_rwlock_unlock(&r->lock);
	return n;
}

int keys_age_ring_newest(struct keys_age_ring *r, struct buf *out, time_t *created)
{
	int rc;
	pthread_rwlock_rdlock(&r->lock);
	if (!r->n) {
		rc = gs_error(GS_ENOTFOUND, "no age identity");
	} else {
		rc = buf_adds(out, r->ent[0].info.recipient);
		if (created)
			*created = r->ent[0].info.created;
	}
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

int keys_age_ring_identities(struct keys_age_ring *r, struct buf *text)
{
	size_t i;
	int rc = 0;
	pthread_rwlock_rdlock(&r->lock);
	for (i = 0; rc >= 0 && i < r->n; i++)
		rc = buf_add(text, r->ent[i].text.p, r->ent[i].text.len);
	if (rc >= 0)
		rc = (int)r->n;
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

int keys_age_ring_list(struct keys_age_ring *r, struct keys_age_info **out, size_t *n)
{
	size_t i;
	int rc = 0;
	*out = NULL;
	*n = 0;
	pthread_rwlock_rdlock(&r->lock);
	if (r->n && !(*out = calloc(r->n, sizeof(**out)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
	} else {
		for (i = 0; i < r->n; i++)
			(*out)[i] = r->ent[i].info;
		*n = r->n;
	}
	pthread_rwlock_unlock(&r->lock);
	return rc;
}
