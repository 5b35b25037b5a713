/*
 * What a SealedSecret should produce, and what to do with the Secret that is
 * there: pure functions over docs (no API calls), so they are unit-tested.
 *
 * Rules follow upstream (pkg/controller/controller.go unseal/updateSecret):
 *   - not there                 -> create
 *   - not controlled by the SealedSecret and neither `managed` nor `patch`
 *     annotated                 -> leave alone ("not managed by SealedSecret")
 *   - `patch`                   -> merge data, labels, annotations; owner refs
 *                                  only if also `managed`
 *   - otherwise                 -> replace data, labels, annotations, owner refs
 *   - type always; update only when something differs
 * Ours on top: the SS_ANNO_SOURCE record, so a restart skips Secrets that
 * are already right without decrypting anything:
 *   uid=<uid>,generation=<n>,spec=<sha-256 of spec+scope, 16 bytes hex>,mac=<hmac hex>
 * The mac is HMAC-SHA256 under the controller's source-record key (a random 32-byte key in a
 * Secret of its namespace: keys/keys.h) over the namespace, name, the head and the Secret's data
 * as written: it notices a hand edit of the data without decrypting, yet says nothing about the
 * values to anyone without the key (no offline guessing, equal values in two Secrets look
 * unrelated), and cannot be forged. The spec hash is of the ciphertext, which is public.
 */
#include "controller/sealedsecret/sealedsecret_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "sealer/sealed/sealed.h"

int ss_hash_doc(char out[33], const struct doc *n)
{
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_emit_opts eo = { 0, DOC_EMIT_SORT_KEYS | DOC_EMIT_COMPACT };
	unsigned char h[GS_SHA256_LEN];
	int rc = 0;

	if (n && (rc = doc_emit_json(&b, n, &eo)) < 0)
		goto out;
	if ((rc = gs_sha256(h, b.p, b.len)) < 0)
		goto out;
	gs_hex(out, h, 16);
out:
	buf_release(&b);
	return rc;
}

/* The keys of map data, sorted (a Secret has few: insertion sort). NULL for an empty map. */
static const struct doc **sorted_keys(const struct doc *data, size_t *n, int *rc)
{
	const struct doc **keys = NULL;
	size_t i, j;

	*rc = 0;
	*n = doc_kind(data) == DOC_MAP ? doc_len(data) : 0;
	if (!*n)
		return NULL;
	if (!(keys = calloc(*n, sizeof(*keys)))) {
		*rc = gs_error(GS_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < *n; i++)
		keys[i] = doc_key_at(data, i);
	for (i = 1; i < *n; i++)
		for (j = i;
		     j > 0 && strcmp(doc_text(keys[j - 1], NULL), doc_text(keys[j], NULL)) > 0;
		     j--) {
			const struct doc *t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	return keys;
}

/* The old record's data part: unkeyed SHA-256 (first 16 bytes) of sorted "key\0base64\0" pairs.
 * Only ever compared in memory now (an old-format record still on a Secret, see
 * ss_secret_is_current); never written again. */
static int hash_data_v1(char out[33], const struct doc *data)
{
	struct gs_sha256_ctx *h = NULL;
	unsigned char md[GS_SHA256_LEN];
	const struct doc **keys;
	size_t i, n;
	int rc;

	keys = sorted_keys(data, &n, &rc);
	if (rc < 0 || (rc = gs_sha256_new(&h)) < 0)
		goto out;
	for (i = 0; rc >= 0 && i < n; i++) {
		size_t kl = 0, vl = 0;
		const char *k = doc_text(keys[i], &kl), *v = doc_text(doc_getn(data, k, kl), &vl);
		if ((rc = gs_sha256_update(h, k, kl + 1)) >= 0)
			rc = gs_sha256_update(h, v ? v : "", v ? vl + 1 : 1);
	}
	if (rc >= 0 && (rc = gs_sha256_final(h, md)) >= 0)
		gs_hex(out, md, 16);
out:
	gs_sha256_free(h);
	free(keys);
	return rc;
}

/* One length-prefixed field of the MAC input: nothing can slide from one field into the next. */
static int mac_field(struct gs_hmac_ctx *h, const char *p, size_t n)
{
	unsigned char len[8];
	uint64_t v = n;
	int i, rc;
	for (i = 7; i >= 0; i--, v >>= 8)
		len[i] = (unsigned char)(v & 0xff);
	if ((rc = gs_hmac_update(h, len, sizeof(len))) < 0)
		return rc;
	return gs_hmac_update(h, p ? p : "", n);
}

/* HMAC-SHA256(key, "gitseal.dev/unsealed-from v2", namespace, name, uid, generation, spec hash,
 * then each data key and its base64 value as written, sorted by key) as 64 hex characters. */
static int record_mac(char out[65], const unsigned char *key, const struct doc *ss, const char *uid,
                      const char *gen, const char *spec, const struct doc *data)
{
	static const char domain[] = "gitseal.dev/unsealed-from v2";
	const char *ns = doc_k8s_namespace(ss), *name = doc_k8s_name(ss);
	struct gs_hmac_ctx *h = NULL;
	unsigned char md[GS_SHA256_LEN];
	const struct doc **keys;
	size_t i, n;
	int rc;

	if (!key)
		return gs_error(GS_EINVAL, "no source-record key loaded");
	keys = sorted_keys(data, &n, &rc);
	if (rc < 0 || (rc = gs_hmac_sha256_new(&h, key, SS_RECORD_KEY_LEN)) < 0)
		goto out;
	if ((rc = mac_field(h, domain, sizeof(domain) - 1)) < 0 ||
	    (rc = mac_field(h, ns, ns ? strlen(ns) : 0)) < 0 ||
	    (rc = mac_field(h, name, name ? strlen(name) : 0)) < 0 ||
	    (rc = mac_field(h, uid, strlen(uid))) < 0 ||
	    (rc = mac_field(h, gen, strlen(gen))) < 0 ||
	    (rc = mac_field(h, spec, strlen(spec))) < 0)
		goto out;
	for (i = 0; rc >= 0 && i < n; i++) {
		size_t kl = 0, vl = 0;
		const char *k = doc_text(keys[i], &kl), *v = doc_text(doc_getn(data, k, kl), &vl);
		if ((rc = mac_field(h, k, kl)) >= 0)
			rc = mac_field(h, v, v ? vl : 0);
	}
	if (rc >= 0 && (rc = gs_hmac_final(h, md)) >= 0)
		gs_hex(out, md, sizeof(md));
out:
	gs_wipe(md, sizeof(md));
	gs_hmac_free(h);
	free(keys);
	return rc;
}

/* "uid=...,generation=...,spec=..." (the public part, the same in both formats). */
static int record_head(struct buf *out, const struct doc *ss, char spec[33])
{
	const char *uid = doc_str(doc_getp(ss, "metadata", "uid", NULL));
	const char *gen = doc_text(doc_getp(ss, "metadata", "generation", NULL), NULL);
	struct doc *key = NULL;
	int rc;

	/* the spec and the scope select what the Secret holds */
	if (!(key = doc_new_map()))
		return gs_error(GS_ENOMEM, "out of memory");
	if ((rc = doc_set(key, "spec", doc_clone(doc_get(ss, "spec")))) < 0 ||
	    (rc = doc_set(key, "scope", doc_new_strz(sealed_scope_name(sealed_scope_of(ss))))) <
	        0 ||
	    (rc = ss_hash_doc(spec, key)) < 0)
		goto out;
	rc = buf_addf(out, "uid=%s,generation=%s,spec=%s", uid ? uid : "", gen ? gen : "0", spec);
out:
	doc_free(key);
	return rc;
}

int ss_source_record(struct buf *out, const struct doc *ss, const struct doc *data,
                     const unsigned char *key)
{
	const char *uid = doc_str(doc_getp(ss, "metadata", "uid", NULL));
	const char *gen = doc_text(doc_getp(ss, "metadata", "generation", NULL), NULL);
	char spec[33], mac[65];
	int rc;

	if ((rc = record_head(out, ss, spec)) < 0 ||
	    (rc = record_mac(mac, key, ss, uid ? uid : "", gen ? gen : "0", spec, data)) < 0)
		return rc;
	return buf_addf(out, ",mac=%s", mac);
}

int ss_secret_is_current(const struct doc *secret, const struct doc *ss, const unsigned char *key)
{
	struct buf want = BUF_INIT(1024);
	const char *have =
	    doc_str(doc_getp(secret, "metadata", "annotations", SS_ANNO_SOURCE, NULL));
	const char *tail;
	char spec[33], dh[33];
	int cur = 0;

	if (!have)
		goto out;
	if (strstr(have, ",mac=")) {
		if (ss_source_record(&want, ss, doc_get(secret, "data"), key) >= 0)
			cur = strlen(have) == want.len && gs_mac_equal(have, want.p, want.len);
		goto out;
	}
	/* the format before the HMAC: "<head>,data=<unkeyed hash of the data>". Current when the
	 * head is ours and the hash is that of the data as it is now: the caller may then replace
	 * it with the keyed record from that same data, without decrypting anything. */
	if (record_head(&want, ss, spec) < 0 || strncmp(have, want.p, want.len) ||
	    strncmp(have + want.len, ",data=", 6) || hash_data_v1(dh, doc_get(secret, "data")) < 0)
		goto out;
	tail = have + want.len + 6;
	cur = strlen(tail) == 32 && !strcmp(tail, dh) ? SS_RECORD_OLD : 0;
out:
	gs_error_clear();
	buf_release(&want);
	return cur;
}

int ss_controlled_by(const struct doc *secret, const struct doc *ss)
{
	const struct doc *refs = doc_getp(secret, "metadata", "ownerReferences", NULL);
	const char *uid = doc_str(doc_getp(ss, "metadata", "uid", NULL));
	size_t i;

	if (!uid)
		return 0;
	for (i = 0; i < doc_len(refs); i++) {
		const struct doc *r = doc_val_at(refs, i);
		int ctl = 0;
		const char *ruid = doc_str(doc_get(r, "uid"));
		if (doc_get_bool(doc_get(r, "controller"), &ctl) < 0)
			gs_error_clear();
		if (ctl && ruid && !strcmp(ruid, uid))
			return 1;
	}
	return 0;
}

int ss_made_by(const struct doc *secret, const struct doc *ss)
{
	const char *rec =
	    doc_str(doc_getp(secret, "metadata", "annotations", SS_ANNO_SOURCE, NULL));
	const char *uid = doc_str(doc_getp(ss, "metadata", "uid", NULL));
	size_t n = uid ? strlen(uid) : 0;
	return rec && n && !strncmp(rec, "uid=", 4) && !strncmp(rec + 4, uid, n) &&
	       rec[4 + n] == ',';
}

static int anno_true(const struct doc *obj, const char *anno)
{
	const char *v = doc_str(doc_getp(obj, "metadata", "annotations", anno, NULL));
	return v && !strcmp(v, "true");
}

/* Set the SS_ANNO_SOURCE record on secret from its own data. */
static int stamp(struct doc *secret, const struct doc *ss, const unsigned char *key)
{
	struct buf rec = BUF_INIT(1024);
	struct doc *meta = doc_get(secret, "metadata"), *annos;
	int rc;

	if (!meta)
		return gs_error(GS_EINVAL, "secret has no metadata");
	if (!(annos = doc_get(meta, "annotations")) || doc_kind(annos) != DOC_MAP) {
		if ((rc = doc_set(meta, "annotations", doc_new_map())) < 0)
			return rc;
		annos = doc_get(meta, "annotations");
	}
	if ((rc = ss_source_record(&rec, ss, doc_get(secret, "data"), key)) >= 0)
		rc = doc_set(annos, SS_ANNO_SOURCE, doc_new_str(rec.p, rec.len));
	buf_release(&rec);
	return rc;
}

int ss_desired_secret(struct doc **out, const struct doc *ss, const struct sealed_items *items,
                      const unsigned char *key)
{
	int rc;

	if ((rc = sealed_desired_secret(out, ss, items)) < 0)
		return rc;
	if ((rc = stamp(*out, ss, key)) < 0) {
		doc_free(*out);
		*out = NULL;
	}
	return rc;
}

/* dst[k] = src[k] for every k of map src (dst created as a map if missing). */
static int merge_map(struct doc *parent, const char *field, const struct doc *src)
{
	struct doc *dst = doc_get(parent, field);
	size_t i;
	int rc;

	if (!doc_len(src))
		return 0;
	if (doc_kind(dst) != DOC_MAP) {
		if ((rc = doc_set(parent, field, doc_new_map())) < 0)
			return rc;
		dst = doc_get(parent, field);
	}
	for (i = 0; i < doc_len(src); i++) {
		size_t kl = 0;
		const char *k = doc_text(doc_key_at(src, i), &kl);
		if ((rc = doc_setn(dst, k, kl, doc_clone(doc_val_at(src, i)))) < 0)
			return rc;
	}
	return 0;
}

/* parent[field] = clone(src[field]) or removed. */
static int replace_field(struct doc *parent, const char *field, const struct doc *src)
{
	const struct doc *v = doc_get(src, field);
	if (!v || (doc_kind(v) == DOC_MAP && !doc_len(v))) {
		doc_del(parent, field);
		return 0;
	}
	return doc_set(parent, field, doc_clone(v));
}

static int same(const struct doc *a, const struct doc *b, int *eq)
{
	struct buf x = BUF_INIT_SECRET(BUF_MAX_DEFAULT), y = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	struct doc_emit_opts eo = { 0, DOC_EMIT_SORT_KEYS | DOC_EMIT_COMPACT };
	int rc = doc_emit_json(&x, a, &eo);
	if (rc >= 0)
		rc = doc_emit_json(&y, b, &eo);
	*eq = rc >= 0 && x.len == y.len && !gs_memcmp_ct(x.p, y.p, x.len);
	buf_release(&x);
	buf_release(&y);
	return rc;
}

int ss_plan_update(enum ss_plan *plan, struct doc **update, const struct doc *existing,
                   const struct doc *desired, const struct doc *ss, const unsigned char *key)
{
	struct doc *u = NULL, *meta;
	const struct doc *dmeta = doc_get(desired, "metadata");
	int rc = 0, eq = 0;

	*update = NULL;
	*plan = SS_PLAN_UNMANAGED;
	/* ours too: a Secret we made (skip-set-owner-references leaves no owner ref to tell) */
	if (!ss_controlled_by(existing, ss) && !ss_made_by(existing, ss) &&
	    !anno_true(existing, SEALED_ANNO_MANAGED) && !anno_true(existing, SEALED_ANNO_PATCH))
		return 0;
	if (!(u = doc_clone(existing)))
		return gs_error(GS_ENOMEM, "out of memory");
	if (!(meta = doc_get(u, "metadata"))) {
		rc = gs_error(GS_EINVAL, "existing secret has no metadata");
		goto out;
	}
	if (anno_true(existing, SEALED_ANNO_PATCH)) {
		if ((rc = merge_map(u, "data", doc_get(desired, "data"))) < 0 ||
		    (rc = merge_map(meta, "annotations", doc_get(dmeta, "annotations"))) < 0 ||
		    (rc = merge_map(meta, "labels", doc_get(dmeta, "labels"))) < 0)
			goto out;
		if (anno_true(existing, SEALED_ANNO_MANAGED) &&
		    (rc = replace_field(meta, "ownerReferences", dmeta)) < 0)
			goto out;
	} else {
		if ((rc = replace_field(u, "data", desired)) < 0 ||
		    (rc = replace_field(meta, "annotations", dmeta)) < 0 ||
		    (rc = replace_field(meta, "labels", dmeta)) < 0 ||
		    (rc = replace_field(meta, "ownerReferences", dmeta)) < 0)
			goto out;
	}
	if (doc_get(desired, "type"))
		rc = doc_set(u, "type", doc_clone(doc_get(desired, "type")));
	else
		doc_del(u, "type");
	/* the record describes the merged data, so compute it last */
	if (rc >= 0)
		rc = stamp(u, ss, key);
	if (rc >= 0)
		rc = same(u, existing, &eq);
	if (rc < 0)
		goto out;
	*plan = eq ? SS_PLAN_NOOP : SS_PLAN_UPDATE;
	if (!eq) {
		*update = u;
		u = NULL;
	}
out:
	doc_free(u);
	return rc;
}

static const struct doc *synced_cond(const struct doc *ss)
{
	const struct doc *conds = doc_getp(ss, "status", "conditions", NULL);
	size_t i;
	for (i = 0; i < doc_len(conds); i++) {
		const char *t = doc_str(doc_get(doc_val_at(conds, i), "type"));
		if (t && !strcmp(t, "Synced"))
			return doc_val_at(conds, i);
	}
	return NULL;
}

int ss_status_needs_write(const struct doc *ss, int ok, const char *message)
{
	const struct doc *c = synced_cond(ss);
	const char *st = doc_str(doc_get(c, "status")), *msg = doc_str(doc_get(c, "message"));
	const char *gen = doc_text(doc_getp(ss, "metadata", "generation", NULL), NULL);
	const char *obs = doc_text(doc_getp(ss, "status", "observedGeneration", NULL), NULL);

	if (!c || !st || strcmp(st, ok ? "True" : "False"))
		return 1;
	if (strcmp(msg ? msg : "", ok ? "" : (message ? message : "")))
		return 1;
	return !gen || !obs || strcmp(gen, obs);
}

static void fmt_time(char out[32], time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ss_status_build(struct doc **out, const struct doc *ss, int ok, const char *message, time_t now)
{
	const struct doc *old = synced_cond(ss);
	const char *oldst = doc_str(doc_get(old, "status"));
	struct doc *obj = NULL, *status = NULL, *conds = NULL, *c = NULL;
	char ts[32];
	long long gen = 0;
	int rc = 0, flipped = !oldst || strcmp(oldst, ok ? "True" : "False");

	*out = NULL;
	fmt_time(ts, now);
	if (doc_get_int(doc_getp(ss, "metadata", "generation", NULL), &gen) < 0)
		gs_error_clear();
	if (!(obj = doc_clone(ss)) || !(status = doc_new_map()) || !(conds = doc_new_seq()) ||
	    !(c = doc_new_map())) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = doc_set(c, "type", doc_new_strz("Synced"))) < 0 ||
	    (rc = doc_set(c, "status", doc_new_strz(ok ? "True" : "False"))) < 0)
		goto out;
	if (flipped) {
		/* upstream: the transition time is the previous update time */
		const struct doc *lu = doc_get(old, "lastUpdateTime");
		if ((rc = doc_set(c, "lastUpdateTime", doc_new_strz(ts))) < 0 ||
		    (rc = doc_set(c, "lastTransitionTime", lu ? doc_clone(lu) : doc_new_strz(ts))) <
		        0)
			goto out;
	} else {
		const struct doc *lu = doc_get(old, "lastUpdateTime"),
		                 *lt = doc_get(old, "lastTransitionTime");
		if ((rc = doc_set(c, "lastUpdateTime", lu ? doc_clone(lu) : doc_new_strz(ts))) <
		        0 ||
		    (rc = doc_set(c, "lastTransitionTime", lt ? doc_clone(lt) : doc_new_strz(ts))) <
		        0)
			goto out;
	}
	if (!ok && message && *message && (rc = doc_set(c, "message", doc_new_strz(message))) < 0)
		goto out;
	if ((rc = doc_push(conds, c)) < 0)
		goto out;
	c = NULL;
	{
		/* keep the other conditions as they are */
		const struct doc *oc = doc_getp(ss, "status", "conditions", NULL);
		size_t i;
		for (i = 0; i < doc_len(oc); i++)
			if (doc_val_at(oc, i) != old &&
			    (rc = doc_push(conds, doc_clone(doc_val_at(oc, i)))) < 0)
				goto out;
	}
	if ((rc = doc_set(status, "observedGeneration", doc_new_int(gen))) < 0 ||
	    (rc = doc_set(status, "conditions", conds)) < 0)
		goto out;
	conds = NULL;
	if ((rc = doc_set(obj, "status", status)) < 0)
		goto out;
	status = NULL;
	*out = obj;
	obj = NULL;
out:
	doc_free(c);
	doc_free(conds);
	doc_free(status);
	doc_free(obj);
	return rc;
}
