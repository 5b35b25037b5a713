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
 * are already right without decrypting anything.
 */
#include "controller/sealedsecret/sealedsecret_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/base64.h"
#include "sealer/sealed/sealed.h"

int ss_hash_doc(char out[33], const struct doc *n)
{
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc_emit_opts eo = { 0, DOC_EMIT_SORT_KEYS | DOC_EMIT_COMPACT };
	unsigned char h[crypto_hash_sha256_BYTES];
	int rc = 0;

	if (n && (rc = doc_emit_json(&b, n, &eo)) < 0)
		goto out;
	crypto_hash_sha256(h, (const unsigned char *)b.p, b.len);
	sodium_bin2hex(out, 33, h, 16);
out:
	buf_release(&b);
	return rc;
}

/* data hashed as sorted "key\0base64\0" pairs: the same whether it came from us or the API. */
static int hash_data(char out[33], const struct doc *data)
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	size_t i, n = doc_len(data);
	const struct doc **keys = NULL;

	crypto_hash_sha256_init(&st);
	if (doc_kind(data) == DOC_MAP && n) {
		size_t j;
		if (!(keys = calloc(n, sizeof(*keys))))
			return gs_error(GS_ENOMEM, "out of memory");
		for (i = 0; i < n; i++)
			keys[i] = doc_key_at(data, i);
		for (i = 1; i < n; i++) /* insertion sort: a Secret has few keys */
			for (j = i; j > 0 && strcmp(doc_text(keys[j - 1], NULL),
			                            doc_text(keys[j], NULL)) > 0;
			     j--) {
				const struct doc *t = keys[j];
				keys[j] = keys[j - 1];
				keys[j - 1] = t;
			}
		for (i = 0; i < n; i++) {
			size_t kl = 0, vl = 0;
			const char *k = doc_text(keys[i], &kl),
			           *v = doc_text(doc_getn(data, k, kl), &vl);
			crypto_hash_sha256_update(&st, (const unsigned char *)k, kl + 1);
			crypto_hash_sha256_update(&st, (const unsigned char *)(v ? v : ""),
			                          v ? vl + 1 : 1);
		}
		free(keys);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 33, h, 16);
	return 0;
}

int ss_source_record(struct buf *out, const struct doc *ss, const struct doc *data)
{
	char spec[33], dh[33];
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
	    (rc = ss_hash_doc(spec, key)) < 0 || (rc = hash_data(dh, data)) < 0)
		goto out;
	rc = buf_addf(out, "uid=%s,generation=%s,spec=%s,data=%s", uid ? uid : "", gen ? gen : "0",
	              spec, dh);
out:
	doc_free(key);
	return rc;
}

int ss_secret_is_current(const struct doc *secret, const struct doc *ss)
{
	struct buf want = BUF_INIT(1024);
	const char *have =
	    doc_str(doc_getp(secret, "metadata", "annotations", SS_ANNO_SOURCE, NULL));
	int ok = 0;

	if (have && ss_source_record(&want, ss, doc_get(secret, "data")) >= 0)
		ok = !strcmp(have, want.p);
	buf_release(&want);
	return ok;
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
static int stamp(struct doc *secret, const struct doc *ss)
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
	if ((rc = ss_source_record(&rec, ss, doc_get(secret, "data"))) >= 0)
		rc = doc_set(annos, SS_ANNO_SOURCE, doc_new_str(rec.p, rec.len));
	buf_release(&rec);
	return rc;
}

int ss_desired_secret(struct doc **out, const struct doc *ss, const struct sealed_items *items)
{
	int rc;

	if ((rc = sealed_desired_secret(out, ss, items)) < 0)
		return rc;
	if ((rc = stamp(*out, ss)) < 0) {
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
                   const struct doc *desired, const struct doc *ss)
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
		rc = stamp(u, ss);
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
