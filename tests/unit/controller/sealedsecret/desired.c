/* controller/sealedsecret/desired.c: the Secret a SealedSecret should produce, and what to do with
 * the existing one (create / replace / patch / leave alone), the restart record, the Synced
 * condition. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/base64.h"
#include "core/crypto.h"
#include "sealer/sealed/sealed.h"

static const char ss_yaml[] = "apiVersion: bitnami.com/v1alpha1\n"
                              "kind: SealedSecret\n"
                              "metadata: {name: db, namespace: prod, uid: u-123, generation: 3}\n"
                              "spec:\n"
                              "  encryptedData: {user: AgAA, pass: AgBB}\n"
                              "  template:\n"
                              "    type: kubernetes.io/basic-auth\n"
                              "    metadata:\n"
                              "      name: ignored\n"
                              "      labels: {app: db}\n"
                              "      annotations: {note: hi}\n"
                              "    data:\n"
                              "      url: 'postgres://{{ .user }}:{{ .pass }}@db'\n";

/* the source-record key of these tests */
static const unsigned char K[SS_RECORD_KEY_LEN] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
	                                            12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	                                            23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static int parse(struct doc **out, const char *y)
{
	return doc_parse_one(out, "test.yaml", y, strlen(y), 0);
}

/* Items as sealed_open() would give them (owned, released by sealed_items_release). */
static void items_init(struct sealed_items *it)
{
	static const char *const k[] = { "user", "pass" }, *const v[] = { "admin", "s3cret" };
	size_t i;
	it->n = 2;
	it->keys = calloc(2, sizeof(char *));
	it->vals = calloc(2, sizeof(struct buf));
	for (i = 0; i < 2; i++) {
		it->keys[i] = strdup(k[i]);
		buf_init(&it->vals[i], 1 << 20, 1);
		buf_adds(&it->vals[i], v[i]);
	}
}

static const char *b64field(const struct doc *sec, const char *key, struct buf *out)
{
	const char *v = doc_str(doc_getp(sec, "data", key, NULL));
	buf_reset(out);
	if (!v || base64_decode(out, v, strlen(v), B64_GO_STD) < 0)
		return NULL;
	return out->p;
}

void test_ctl_sealedsecret_desired__secret_from_template_and_items(void)
{
	struct doc *ss = NULL, *sec = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct buf v = BUF_INIT_SECRET(1 << 20);

	must_pass(parse(&ss, ss_yaml));
	items_init(&it);
	must_pass(ss_desired_secret(&sec, ss, &it, K));
	assert_str(doc_k8s_name(sec), "db");
	assert_str(doc_k8s_namespace(sec), "prod");
	assert_str(doc_str(doc_get(sec, "type")), "kubernetes.io/basic-auth");
	assert_str(doc_str(doc_getp(sec, "metadata", "labels", "app", NULL)), "db");
	assert_str(b64field(sec, "user", &v), "admin");
	assert_str(b64field(sec, "url", &v), "postgres://admin:s3cret@db");
	assert_str(
	    doc_str(doc_getp(doc_val_at(doc_getp(sec, "metadata", "ownerReferences", NULL), 0),
	                     "uid", NULL)),
	    "u-123");
	assert_true(ss_controlled_by(sec, ss));
	assert_true(ss_made_by(sec, ss));
	assert_true(ss_secret_is_current(sec, ss, K));
	assert_contains(doc_str(doc_getp(sec, "metadata", "annotations", SS_ANNO_SOURCE, NULL)),
	                "uid=u-123,generation=3,spec=");
	buf_release(&v);
	sealed_items_release(&it);
	doc_free(sec);
	doc_free(ss);
}

void test_ctl_sealedsecret_desired__record_notices_spec_scope_and_data_changes(void)
{
	struct doc *ss = NULL, *sec = NULL, *ss2 = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;

	must_pass(parse(&ss, ss_yaml));
	items_init(&it);
	must_pass(ss_desired_secret(&sec, ss, &it, K));
	assert_true(ss_secret_is_current(sec, ss, K));
	/* a hand edit of the Secret's data */
	must_pass(doc_set(doc_get(sec, "data"), "user", doc_new_strz("ZXZl")));
	assert_true(!ss_secret_is_current(sec, ss, K));
	doc_free(sec);
	must_pass(ss_desired_secret(&sec, ss, &it, K));
	/* a new generation, a new spec, a new scope */
	must_pass(doc_set(doc_get(ss, "metadata"), "generation", doc_new_int(4)));
	assert_true(!ss_secret_is_current(sec, ss, K));
	must_pass(doc_set(doc_get(ss, "metadata"), "generation", doc_new_int(3)));
	assert_true(ss_secret_is_current(sec, ss, K));
	ss2 = doc_clone(ss);
	must_pass(doc_set(doc_get(ss2, "metadata"), "annotations", doc_new_map()));
	must_pass(doc_set(doc_getp(ss2, "metadata", "annotations", NULL),
	                  SEALED_ANNO_NAMESPACE_WIDE, doc_new_strz("true")));
	assert_true(!ss_secret_is_current(sec, ss2, K));
	must_pass(
	    doc_set(doc_getp(ss, "spec", "encryptedData", NULL), "user", doc_new_strz("AgCC")));
	assert_true(!ss_secret_is_current(sec, ss, K));
	sealed_items_release(&it);
	doc_free(sec);
	doc_free(ss);
	doc_free(ss2);
}

/* The record is keyed: nothing of the data shows, equal data in two Secrets gives two unrelated
 * records, another key does not verify it. */
void test_ctl_sealedsecret_desired__record_is_a_keyed_mac(void)
{
	static const unsigned char K2[SS_RECORD_KEY_LEN] = { 9 };
	struct doc *ss = NULL, *ss2 = NULL, *sec = NULL, *sec2 = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;
	const char *r1, *r2, *m1, *m2;

	must_pass(parse(&ss, ss_yaml));
	ss2 = doc_clone(ss);
	must_pass(doc_set(doc_get(ss2, "metadata"), "name", doc_new_strz("db2")));
	items_init(&it);
	must_pass(ss_desired_secret(&sec, ss, &it, K));
	must_pass(ss_desired_secret(&sec2, ss2, &it, K));
	r1 = doc_str(doc_getp(sec, "metadata", "annotations", SS_ANNO_SOURCE, NULL));
	r2 = doc_str(doc_getp(sec2, "metadata", "annotations", SS_ANNO_SOURCE, NULL));
	assert_true(r1 && r2);
	assert_true((m1 = strstr(r1, ",mac=")) != NULL);
	assert_true((m2 = strstr(r2, ",mac=")) != NULL);
	assert_int(strlen(m1), 5 + 64);
	assert_true(strcmp(m1, m2) != 0); /* same values, same spec: other name, other mac */
	assert_true(!strstr(r1, "data="));
	assert_true(!strstr(r1, doc_str(doc_getp(sec, "data", "user", NULL))));
	assert_int(ss_secret_is_current(sec, ss, K), 1);
	assert_int(ss_secret_is_current(sec, ss, K2), 0);
	assert_int(ss_secret_is_current(sec2, ss, K), 0); /* the record names the Secret */
	sealed_items_release(&it);
	doc_free(sec);
	doc_free(sec2);
	doc_free(ss);
	doc_free(ss2);
}

/* A record of the format before the HMAC (unkeyed data hash) still says "current" when it
 * matches, as SS_RECORD_OLD, so a restart neither decrypts nor keeps it; a data change is seen. */
void test_ctl_sealedsecret_desired__old_record_format_still_counts(void)
{
	struct doc *ss = NULL, *sec = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct buf old = BUF_INIT(1024);
	const char *rec;

	must_pass(parse(&ss, ss_yaml));
	items_init(&it);
	must_pass(ss_desired_secret(&sec, ss, &it, K));
	rec = doc_str(doc_getp(sec, "metadata", "annotations", SS_ANNO_SOURCE, NULL));
	/* the old record of this data: the head, then the SHA-256 (16 bytes) of the sorted
	 * "key\0base64\0" pairs, computed here the way the old code did */
	{
		const char *keys[] = { "pass", "url", "user" };
		unsigned char md[32];
		char hex[65];
		struct buf in = BUF_INIT(1 << 16);
		size_t i;
		for (i = 0; i < 3; i++) {
			const char *v = doc_str(doc_getp(sec, "data", keys[i], NULL));
			buf_add(&in, keys[i], strlen(keys[i]) + 1);
			buf_add(&in, v, strlen(v) + 1);
		}
		must_pass(gs_sha256(md, in.p, in.len));
		gs_hex(hex, md, 16);
		buf_add(&old, rec, (size_t)(strstr(rec, ",mac=") - rec));
		buf_addf(&old, ",data=%s", hex);
		buf_release(&in);
	}
	must_pass(doc_set(doc_getp(sec, "metadata", "annotations", NULL), SS_ANNO_SOURCE,
	                  doc_new_strz(old.p)));
	assert_int(ss_secret_is_current(sec, ss, K), SS_RECORD_OLD);
	assert_true(ss_made_by(sec, ss));
	must_pass(doc_set(doc_get(sec, "data"), "user", doc_new_strz("ZXZl")));
	assert_int(ss_secret_is_current(sec, ss, K), 0);
	buf_release(&old);
	sealed_items_release(&it);
	doc_free(sec);
	doc_free(ss);
}

/* A template copied from a live Secret brings the server's fields: a create with them fails. */
void test_ctl_sealedsecret_desired__template_server_fields_dropped(void)
{
	static const char *const drop[] = { "resourceVersion", "uid",      "creationTimestamp",
		                            "managedFields",   "selfLink", "generation" };
	struct doc *ss = NULL, *sec = NULL, *tm;
	struct sealed_items it = SEALED_ITEMS_INIT;
	size_t i;

	must_pass(parse(&ss, ss_yaml));
	tm = doc_getp(ss, "spec", "template", "metadata", NULL);
	for (i = 0; i < sizeof(drop) / sizeof(*drop); i++)
		must_pass(doc_set(tm, drop[i], doc_new_strz("x")));
	items_init(&it);
	must_pass(ss_desired_secret(&sec, ss, &it, K));
	for (i = 0; i < sizeof(drop) / sizeof(*drop); i++)
		assert_true(!doc_getp(sec, "metadata", drop[i], NULL));
	assert_str(doc_str(doc_getp(sec, "metadata", "labels", "app", NULL)), "db");
	sealed_items_release(&it);
	doc_free(sec);
	doc_free(ss);
}

void test_ctl_sealedsecret_desired__template_error_names_the_construct(void)
{
	struct doc *ss = NULL, *sec = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;

	must_pass(parse(&ss, ss_yaml));
	must_pass(doc_set(doc_getp(ss, "spec", "template", "data", NULL), "url",
	                  doc_new_strz("{{ range . }}x{{ end }}")));
	items_init(&it);
	must_fail(ss_desired_secret(&sec, ss, &it, K));
	assert_contains(gs_error_last(), "unsupported template construct \"range\"");
	assert_true(!strstr(gs_error_last(), "s3cret"));
	assert_true(sec == NULL);
	sealed_items_release(&it);
	doc_free(ss);
}

void test_ctl_sealedsecret_desired__skip_owner_references(void)
{
	struct doc *ss = NULL, *sec = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;

	must_pass(parse(&ss, ss_yaml));
	must_pass(doc_set(doc_getp(ss, "spec", "template", "metadata", "annotations", NULL),
	                  SEALED_ANNO_SKIP_OWNER, doc_new_strz("true")));
	items_init(&it);
	must_pass(ss_desired_secret(&sec, ss, &it, K));
	assert_int(doc_len(doc_getp(sec, "metadata", "ownerReferences", NULL)), 0);
	assert_true(!ss_controlled_by(sec, ss));
	assert_true(ss_made_by(sec, ss)); /* still ours: the record says so */
	sealed_items_release(&it);
	doc_free(sec);
	doc_free(ss);
}

static int plan_for(enum ss_plan *plan, struct doc **upd, const char *existing_yaml,
                    const struct doc *ss)
{
	struct doc *existing = NULL, *desired = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;
	int rc;
	items_init(&it);
	if ((rc = parse(&existing, existing_yaml)) >= 0 &&
	    (rc = ss_desired_secret(&desired, ss, &it, K)) >= 0)
		rc = ss_plan_update(plan, upd, existing, desired, ss, K);
	sealed_items_release(&it);
	doc_free(existing);
	doc_free(desired);
	return rc;
}

void test_ctl_sealedsecret_desired__unmanaged_managed_and_patch(void)
{
	struct doc *ss = NULL, *upd = NULL;
	enum ss_plan plan;
	struct buf v = BUF_INIT_SECRET(1 << 20);

	must_pass(parse(&ss, ss_yaml));
	/* someone else's Secret: left alone */
	must_pass(plan_for(
	    &plan, &upd,
	    "{metadata: {name: db, namespace: prod, labels: {x: y}}, data: {user: eA==}}", ss));
	assert_int(plan, SS_PLAN_UNMANAGED);
	assert_true(upd == NULL);
	/* managed: replaced, owner reference set */
	must_pass(plan_for(
	    &plan, &upd,
	    "{metadata: {name: db, namespace: prod, labels: {x: y}, annotations: "
	    "{sealedsecrets.bitnami.com/managed: 'true'}}, data: {old: eA==}, type: Opaque}",
	    ss));
	assert_int(plan, SS_PLAN_UPDATE);
	assert_true(!doc_getp(upd, "data", "old", NULL));
	assert_true(!doc_getp(upd, "metadata", "labels", "x", NULL));
	assert_str(doc_str(doc_getp(upd, "metadata", "labels", "app", NULL)), "db");
	assert_str(doc_str(doc_get(upd, "type")), "kubernetes.io/basic-auth");
	assert_true(ss_controlled_by(upd, ss));
	doc_free(upd);
	/* patch: merged, no owner reference without managed */
	must_pass(
	    plan_for(&plan, &upd,
	             "{metadata: {name: db, namespace: prod, labels: {x: y}, annotations: "
	             "{sealedsecrets.bitnami.com/patch: 'true'}}, data: {old: eA==, user: eA==}}",
	             ss));
	assert_int(plan, SS_PLAN_UPDATE);
	assert_str(b64field(upd, "old", &v), "x");
	assert_str(b64field(upd, "user", &v), "admin");
	assert_str(doc_str(doc_getp(upd, "metadata", "labels", "x", NULL)), "y");
	assert_str(doc_str(doc_getp(upd, "metadata", "labels", "app", NULL)), "db");
	assert_str(doc_str(doc_getp(upd, "metadata", "annotations", SEALED_ANNO_PATCH, NULL)),
	           "true");
	assert_int(doc_len(doc_getp(upd, "metadata", "ownerReferences", NULL)), 0);
	assert_true(ss_secret_is_current(upd, ss, K)); /* the record covers the merged data */
	doc_free(upd);
	buf_release(&v);
	doc_free(ss);
}

void test_ctl_sealedsecret_desired__noop_when_already_right(void)
{
	struct doc *ss = NULL, *desired = NULL, *upd = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;
	enum ss_plan plan;

	must_pass(parse(&ss, ss_yaml));
	items_init(&it);
	must_pass(ss_desired_secret(&desired, ss, &it, K));
	/* what the API server gives back has more fields; ours are equal */
	must_pass(doc_set(doc_get(desired, "metadata"), "resourceVersion", doc_new_strz("42")));
	must_pass(ss_plan_update(&plan, &upd, desired, desired, ss, K));
	assert_int(plan, SS_PLAN_NOOP);
	assert_true(upd == NULL);
	sealed_items_release(&it);
	doc_free(desired);
	doc_free(ss);
}

void test_ctl_sealedsecret_desired__synced_condition(void)
{
	struct doc *ss = NULL, *st = NULL, *st2 = NULL;
	const struct doc *c;

	must_pass(parse(&ss, ss_yaml));
	assert_true(ss_status_needs_write(ss, 1, NULL));
	must_pass(ss_status_build(&st, ss, 1, NULL, 1000000000));
	assert_true(!ss_status_needs_write(st, 1, NULL));
	assert_true(ss_status_needs_write(st, 0, "boom"));
	c = doc_val_at(doc_getp(st, "status", "conditions", NULL), 0);
	assert_str(doc_str(doc_get(c, "type")), "Synced");
	assert_str(doc_str(doc_get(c, "status")), "True");
	assert_str(doc_text(doc_getp(st, "status", "observedGeneration", NULL), NULL), "3");
	/* a flip: new update time, the transition time is the previous update time */
	must_pass(ss_status_build(&st2, st, 0, "boom", 1000000600));
	c = doc_val_at(doc_getp(st2, "status", "conditions", NULL), 0);
	assert_str(doc_str(doc_get(c, "status")), "False");
	assert_str(doc_str(doc_get(c, "message")), "boom");
	assert_str(doc_str(doc_get(c, "lastUpdateTime")), "2001-09-09T01:56:40Z");
	assert_str(doc_str(doc_get(c, "lastTransitionTime")), "2001-09-09T01:46:40Z");
	assert_true(!ss_status_needs_write(st2, 0, "boom"));
	assert_true(ss_status_needs_write(st2, 0, "other"));
	must_pass(doc_set(doc_get(st2, "metadata"), "generation", doc_new_int(4)));
	assert_true(ss_status_needs_write(st2, 0, "boom"));
	doc_free(st);
	doc_free(st2);
	doc_free(ss);
}
