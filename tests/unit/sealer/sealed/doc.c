/* SealedSecret documents: kubeseal's layout, scopes, errors, unseal, merge-into, reseal, many keys.
 */
#include "test.h"

#include <stdlib.h>

#include "core/base64.h"
#include "doc/doc.h"
#include "keys/keys.h"
#include "sealer/sealed/sealed.h"

struct fx {
	struct keys_ring ring;
	struct sealed_pubkey *pk;
};

static int fx_init(struct fx *f, const char *dir)
{
	char kp[256], cp[256];
	struct buf c = BUF_INIT(1 << 16);
	int rc;
	keys_ring_init(&f->ring);
	f->pk = NULL;
	snprintf(kp, sizeof(kp), "fixtures/sealed/%s/key.pem", dir);
	snprintf(cp, sizeof(cp), "fixtures/sealed/%s/cert.pem", dir);
	if ((rc = keys_ring_load_file(&f->ring, test_fixture(kp))) < 0 ||
	    (rc = test_read_fixture(&c, cp)) < 0)
		goto out;
	rc = sealed_pubkey_from_pem(&f->pk, c.p, c.len, cp);
out:
	buf_release(&c);
	return rc;
}

static void fx_release(struct fx *f)
{
	keys_ring_release(&f->ring);
	sealed_pubkey_free(f->pk);
}

static struct doc *parse(const char *s)
{
	struct doc *d = NULL;
	if (doc_parse_one(&d, "test.yaml", s, strlen(s), DOC_PARSE_SECRET) < 0)
		return NULL;
	return d;
}

static const char *value_of(const struct sealed_items *it, const char *k, struct buf *tmp)
{
	const struct buf *v = sealed_items_get(it, k);
	buf_reset(tmp);
	if (!v)
		return NULL;
	buf_add(tmp, v->p, v->len);
	return tmp->p;
}

static const char secret_yaml[] =
    "apiVersion: v1\nkind: Secret\n"
    "metadata:\n  name: mysecret\n  namespace: team-a\n  uid: 123\n  resourceVersion: '9'\n"
    "  labels: {app: demo}\n"
    "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"leak\":1}'\n    "
    "keep: me\n"
    "type: Opaque\nimmutable: true\n"
    "data:\n  username: YWRtaW4=\n  dup: ZnJvbS1kYXRh\n"
    "stringData:\n  password: s3cr3t\n  dup: from-stringData\n";

void test_sealed_doc__seal_layout_is_kubeseal_json(void)
{
	struct fx f;
	struct doc *sec = parse(secret_yaml), *ss = NULL;
	struct buf js = BUF_INIT(1 << 20);
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	const char *p;

	must_pass(fx_init(&f, "vectors"));
	assert_true(sec != NULL);
	must_pass(sealed_seal_secret(&ss, sec, f.pk, NULL));
	must_pass(doc_emit_json(&js, ss, &eo));
	/* Go struct order at the top, template before encryptedData, ObjectMeta order inside */
	p = "{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\": \"bitnami.com/v1alpha1\",\n"
	    "  \"metadata\": {\n    \"name\": \"mysecret\",\n    \"namespace\": \"team-a\"\n  },\n"
	    "  \"spec\": {\n    \"template\": {\n      \"metadata\": {\n        \"name\": "
	    "\"mysecret\",\n"
	    "        \"namespace\": \"team-a\",\n        \"labels\": {\n          \"app\": "
	    "\"demo\"\n"
	    "        },\n        \"annotations\": {\n          \"keep\": \"me\"\n        }\n      "
	    "},\n"
	    "      \"type\": \"Opaque\",\n      \"immutable\": true\n    },\n    "
	    "\"encryptedData\": {\n"
	    "      \"dup\": \"AQ";
	assert_true(!strncmp(js.p, p, strlen(p)));
	assert_true(strstr(js.p, "last-applied") == NULL);
	/* quoted: random base64 contains "uid" about once in a hundred runs */
	assert_true(strstr(js.p, "\"uid\"") == NULL && strstr(js.p, "\"resourceVersion\"") == NULL);
	assert_true(strstr(js.p, "\"password\": \"") > strstr(js.p, "\"dup\": \""));
	assert_true(strstr(js.p, "\"username\": \"") > strstr(js.p, "\"password\": \""));
	assert_true(strstr(js.p, "creationTimestamp") == NULL); /* kubeseal >= 0.30 */
	{
		struct sealed_items it = SEALED_ITEMS_INIT;
		struct buf t = BUF_INIT_SECRET(4096);
		must_pass(sealed_open(&it, ss, &f.ring.set, NULL));
		assert_int(it.n, 3);
		assert_str(value_of(&it, "dup", &t), "from-stringData"); /* stringData wins */
		assert_str(value_of(&it, "username", &t), "admin");
		assert_str(value_of(&it, "password", &t), "s3cr3t");
		sealed_items_release(&it);
		buf_release(&t);
	}
	buf_release(&js);
	doc_free(ss);
	doc_free(sec);
	fx_release(&f);
}

/* Rename (metadata.name) and move (metadata.namespace) per scope: strict neither, namespace-wide
 * rename, cluster-wide both. */
void test_sealed_doc__rename_and_move_follow_the_scope(void)
{
	static const enum sealed_scope scopes[] = { SEALED_STRICT, SEALED_NAMESPACE_WIDE,
		                                    SEALED_CLUSTER_WIDE };
	static const int rename_ok[] = { 0, 1, 1 }, move_ok[] = { 0, 0, 1 };
	struct fx f;
	size_t i;

	must_pass(fx_init(&f, "vectors"));
	for (i = 0; i < 3; i++) {
		struct sealed_seal_opts so = SEALED_SEAL_OPTS_INIT;
		struct doc *sec = parse(
		    "kind: Secret\nmetadata: {name: a, namespace: ns1}\nstringData: {k: v}\n");
		struct doc *ss = NULL;
		so.scope = scopes[i];
		must_pass(sealed_seal_secret(&ss, sec, f.pk, &so));
		assert_int(sealed_scope_of(ss), scopes[i]);
		must_pass(sealed_verify(ss, &f.ring.set, NULL));
		must_pass(doc_set(doc_get(ss, "metadata"), "name", doc_new_strz("b")));
		assert_int(sealed_verify(ss, &f.ring.set, NULL) == 0, rename_ok[i]);
		if (!rename_ok[i])
			assert_str(gs_error_last(), "no key could decrypt secret (k)");
		must_pass(doc_set(doc_get(ss, "metadata"), "name", doc_new_strz("a")));
		must_pass(doc_set(doc_get(ss, "metadata"), "namespace", doc_new_strz("ns2")));
		assert_int(sealed_verify(ss, &f.ring.set, NULL) == 0, move_ok[i]);
		/* dropping the scope annotation makes it strict again: fails for the wide scopes */
		if (i) {
			must_pass(
			    doc_set(doc_get(ss, "metadata"), "namespace", doc_new_strz("ns1")));
			must_pass(sealed_verify(ss, &f.ring.set, NULL));
			must_pass(sealed_set_scope_annotations(ss, SEALED_STRICT));
			must_fail_with(sealed_verify(ss, &f.ring.set, NULL), GS_EAUTH);
		}
		doc_free(ss);
		doc_free(sec);
	}
	fx_release(&f);
}

void test_sealed_doc__scope_from_annotations_and_flags(void)
{
	struct fx f;
	struct doc *sec, *ss = NULL;
	struct sealed_seal_opts so = SEALED_SEAL_OPTS_INIT;

	must_pass(fx_init(&f, "vectors"));
	sec = parse("kind: Secret\nmetadata:\n  name: a\n  annotations:\n"
	            "    sealedsecrets.bitnami.com/namespace-wide: 'true'\n    "
	            "sealedsecrets.bitnami.com/cluster-wide: 'True'\n"
	            "stringData: {k: v}\n");
	assert_int(sealed_scope_of(sec), SEALED_NAMESPACE_WIDE); /* exactly "true" */
	must_pass(sealed_seal_secret(&ss, sec, f.pk, &so));
	assert_int(sealed_scope_of(ss), SEALED_NAMESPACE_WIDE);
	assert_str(doc_k8s_namespace(ss), "default"); /* no namespace: the default one */
	doc_free(ss);
	so.scope = SEALED_CLUSTER_WIDE;
	must_pass(sealed_seal_secret(&ss, sec, f.pk, &so));
	assert_int(sealed_scope_of(ss), SEALED_CLUSTER_WIDE);
	assert_true(doc_k8s_namespace(ss) == NULL); /* cluster-wide without namespace: none */
	assert_str(doc_str(doc_getp(ss, "spec", "template", "metadata", "annotations",
	                            SEALED_ANNO_CLUSTER_WIDE, NULL)),
	           "true");
	assert_true(doc_getp(ss, "spec", "template", "metadata", "annotations",
	                     SEALED_ANNO_NAMESPACE_WIDE, NULL) == NULL);
	doc_free(ss);
	doc_free(sec);
	fx_release(&f);
}

void test_sealed_doc__bad_input_names_the_field(void)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "kind: Secret\nmetadata: {namespace: x}\nstringData: {k: v}\n",
		  "in.yaml: missing metadata.name in input Secret" },
		{ "kind: Secret\nmetadata: {name: a}\n",
		  "in.yaml: secret.data is empty in input Secret, assuming this is an error" },
		{ "kind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n",
		  "in.yaml: kind 'ConfigMap' is not a Secret" },
		{ "kind: Secret\nmetadata: {name: a}\ndata: {k: 'not base64!'}\n",
		  "in.yaml: data.k: illegal base64 data at input byte 3" },
		{ "kind: Secret\nmetadata: {name: a, namespace: x}\ndata: {k: YQ==}\n",
		  "namespace mismatch: input secret is in namespace \"x\" but \"y\" was "
		  "specified" },
		{ "kind: Secret\nmetadata: {name: a, annotations: {b: true}}\ndata: {k: YQ==}\n",
		  "in.yaml: metadata.annotations.b: expected a string" },
		{ "kind: Secret\nmetadata: {name: a}\nstringData: {k: 12}\n",
		  "in.yaml: stringData.k: expected a string" },
		{ "- a\n- b\n", "in.yaml: not a Kubernetes object" },
	};
	struct fx f;
	size_t i;

	must_pass(fx_init(&f, "vectors"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sealed_seal_opts so = SEALED_SEAL_OPTS_INIT;
		struct doc *sec = parse(cases[i].in), *ss = NULL;
		so.what = "in.yaml";
		so.namespace = "y";
		assert_true(sec != NULL);
		must_fail(sealed_seal_secret(&ss, sec, f.pk, &so));
		assert_true(ss == NULL);
		assert_contains(gs_error_last(), cases[i].msg);
		assert_true(strstr(gs_error_last(), "not base64!") == NULL); /* never the value */
		doc_free(sec);
	}
	{ /* --allow-empty-data */
		struct sealed_seal_opts so = SEALED_SEAL_OPTS_INIT;
		struct doc *sec = parse(cases[1].in), *ss = NULL;
		so.allow_empty_data = 1;
		must_pass(sealed_seal_secret(&ss, sec, f.pk, &so));
		assert_int(doc_len(doc_getp(ss, "spec", "encryptedData", NULL)), 0);
		doc_free(ss);
		doc_free(sec);
	}
	fx_release(&f);
}

/* The Python model's sealed document opens into its expected Secret. */
void test_sealed_doc__python_vector_document_unseals(void)
{
	struct fx f;
	struct buf in = BUF_INIT(1 << 20), want = BUF_INIT(1 << 20), got = BUF_INIT_SECRET(1 << 20);
	struct doc *ss = NULL, *sec = NULL, *exp = NULL;
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;

	must_pass(fx_init(&f, "vectors"));
	must_pass(test_read_fixture(&in, "fixtures/sealed/vectors/sealedsecret.json"));
	must_pass(test_read_fixture(&want, "fixtures/sealed/vectors/unsealed.json"));
	must_pass(doc_parse_one(&ss, "sealedsecret.json", in.p, in.len, DOC_PARSE_JSON));
	must_pass(doc_parse_one(&exp, "unsealed.json", want.p, want.len, DOC_PARSE_JSON));
	must_pass(sealed_unseal(&sec, ss, &f.ring.set, NULL, NULL));
	eo.flags = DOC_EMIT_SORT_KEYS | DOC_EMIT_COMPACT;
	must_pass(doc_emit_json(&got, sec, &eo));
	buf_reset(&want);
	must_pass(doc_emit_json(&want, exp, &eo));
	assert_str(got.p, want.p);
	assert_true(doc_flags(doc_getp(sec, "data", "foo", NULL)) & DOC_SECRET);
	doc_free(ss);
	doc_free(sec);
	doc_free(exp);
	buf_release(&in);
	buf_release(&want);
	buf_release(&got);
	fx_release(&f);
}

void test_sealed_doc__unseal_errors_are_tagged_per_item(void)
{
	struct fx f;
	struct doc *sec = parse("kind: Secret\nmetadata: {name: a, namespace: n}\nstringData: {x: "
	                        "'1', y: '2', z: '3'}\n");
	struct doc *ss = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct doc *enc;

	must_pass(fx_init(&f, "vectors"));
	must_pass(sealed_seal_secret(&ss, sec, f.pk, NULL));
	enc = doc_getp(ss, "spec", "encryptedData", NULL);
	/* y: tampered tag; z: bad base64 */
	{
		const char *y = doc_str(doc_get(enc, "y"));
		size_t n = doc_len(doc_get(enc, "y"));
		char *t = strdup(y);
		t[n - 6] = t[n - 6] == 'A' ? 'B' : 'A';
		must_pass(doc_set_scalar(doc_get(enc, "y"), DOC_STR, t, n));
		free(t);
	}
	uo.what = "s.yaml";
	must_fail_with(sealed_open(&it, ss, &f.ring.set, &uo), GS_EAUTH);
	assert_str(gs_error_last(), "s.yaml: no key could decrypt secret (y)");
	assert_int(it.n, 0);
	must_pass(doc_set_scalar(doc_get(enc, "z"), DOC_STR, "AgB$", 4));
	must_fail_with(sealed_open(&it, ss, &f.ring.set, &uo), GS_EPARSE);
	assert_contains(gs_error_last(),
	                "s.yaml: spec.encryptedData.z: illegal base64 data at input byte 3");
	/* a SealedSecret without a name cannot be strict */
	doc_del(doc_get(ss, "metadata"), "name");
	must_fail_with(sealed_open(&it, ss, &f.ring.set, &uo), GS_EPARSE);
	assert_contains(gs_error_last(), "missing metadata.name");
	doc_free(ss);
	doc_free(sec);
	fx_release(&f);
}

void test_sealed_doc__merge_into_keeps_the_file_scope(void)
{
	struct fx f;
	struct sealed_seal_opts so = SEALED_SEAL_OPTS_INIT;
	struct doc *first =
	    parse("kind: Secret\nmetadata: {name: app, namespace: prod}\nstringData: {a: '1'}\n");
	struct doc *more =
	    parse("kind: Secret\nmetadata: {name: other, labels: {l: v}}\nstringData: {b: '2'}\n");
	struct doc *ss = NULL;
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct buf t = BUF_INIT_SECRET(64);

	must_pass(fx_init(&f, "vectors"));
	so.scope = SEALED_CLUSTER_WIDE;
	must_pass(sealed_seal_secret(&ss, first, f.pk, &so));
	must_pass(
	    sealed_merge_into(ss, more, f.pk, NULL)); /* no --scope: the file's cluster-wide wins */
	must_pass(sealed_open(&it, ss, &f.ring.set, NULL));
	assert_int(it.n, 2);
	assert_str(value_of(&it, "a", &t), "1");
	assert_str(value_of(&it, "b", &t), "2");
	assert_str(doc_k8s_name(ss), "app");
	assert_str(doc_str(doc_getp(ss, "spec", "template", "metadata", "labels", "l", NULL)), "v");
	sealed_items_release(&it);
	buf_release(&t);
	doc_free(ss);
	doc_free(first);
	doc_free(more);
	fx_release(&f);
}

void test_sealed_doc__reseal_moves_to_the_new_key(void)
{
	struct fx f;
	struct keys_ring newring = KEYS_RING_INIT;
	struct sealed_pubkey *newpk = NULL;
	struct buf c = BUF_INIT(1 << 16);
	struct doc *sec = parse(
	    "kind: Secret\nmetadata: {name: a, namespace: n, annotations: "
	    "{sealedsecrets.bitnami.com/namespace-wide: 'true'}}\nstringData: {k: v, j: w}\n");
	struct doc *ss = NULL;

	must_pass(fx_init(&f, "vectors"));
	must_pass(keys_ring_load_file(&newring, test_fixture("fixtures/sealed/tls.key")));
	must_pass(test_read_fixture(&c, "fixtures/sealed/tls.crt"));
	must_pass(sealed_pubkey_from_pem(&newpk, c.p, c.len, "tls.crt"));
	must_pass(sealed_seal_secret(&ss, sec, f.pk, NULL));
	must_fail(sealed_verify(ss, &newring.set, NULL));
	must_pass(sealed_reseal(ss, &f.ring.set, newpk, NULL));
	must_pass(sealed_verify(ss, &newring.set, NULL));
	must_fail(sealed_verify(ss, &f.ring.set, NULL));
	/* same scope: a rename still opens (namespace-wide) */
	must_pass(doc_set(doc_get(ss, "metadata"), "name", doc_new_strz("renamed")));
	must_pass(sealed_verify(ss, &newring.set, NULL));
	doc_free(ss);
	doc_free(sec);
	sealed_pubkey_free(newpk);
	buf_release(&c);
	keys_ring_release(&newring);
	fx_release(&f);
}

void test_sealed_doc__legacy_v1_data_only_when_accepted(void)
{
	struct fx f;
	struct buf label = BUF_INIT(64), ct = BUF_INIT(1 << 16), y = BUF_INIT(1 << 16);
	const char *inner =
	    "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"old\"},"
	    "\"data\":{\"a\":\"MQ==\"},\"stringData\":{\"b\":\"2\"}}";
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct buf t = BUF_INIT_SECRET(64);
	struct doc *ss = NULL;

	must_pass(fx_init(&f, "vectors"));
	must_pass(sealed_label(&label, SEALED_STRICT, "ns", "old"));
	must_pass(sealed_encrypt_item(&ct, f.pk, label.p, label.len, inner, strlen(inner)));
	must_pass(buf_addf(&y,
	                   "kind: SealedSecret\napiVersion: bitnami.com/v1alpha1\nmetadata: {name: "
	                   "old, namespace: ns}\n"
	                   "spec:\n  data: %s\n",
	                   ct.p));
	must_pass(doc_parse_one(&ss, "v1.yaml", y.p, y.len, 0));
	must_fail_with(sealed_open(&it, ss, &f.ring.set, &uo), GS_EPARSE);
	assert_contains(
	    gs_error_last(),
	    "using deprecated 'data' field, use 'encryptedData' or flip the feature flag");
	uo.accept_v1_data = 1;
	must_pass(sealed_open(&it, ss, &f.ring.set, &uo));
	assert_str(value_of(&it, "a", &t), "1");
	assert_str(value_of(&it, "b", &t), "2");
	sealed_items_release(&it);
	doc_free(ss);
	buf_release(&label);
	buf_release(&ct);
	buf_release(&y);
	buf_release(&t);
	fx_release(&f);
}

/* Errors about the decrypted text of a legacy spec.data name the item, never a position, a key
 * name or a piece of the text (they go to status, events and logs). */
static int open_v1_text(struct fx *f, const char *inner)
{
	struct buf label = BUF_INIT(64), ct = BUF_INIT(1 << 16), y = BUF_INIT(1 << 16);
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct doc *ss = NULL;
	int rc;

	uo.accept_v1_data = 1;
	uo.what = "old";
	if ((rc = sealed_label(&label, SEALED_STRICT, "ns", "old")) >= 0 &&
	    (rc = sealed_encrypt_item(&ct, f->pk, label.p, label.len, inner, strlen(inner))) >= 0 &&
	    (rc = buf_addf(&y,
	                   "kind: SealedSecret\napiVersion: bitnami.com/v1alpha1\nmetadata: {name: "
	                   "old, namespace: ns}\nspec:\n  data: %s\n",
	                   ct.p)) >= 0 &&
	    (rc = doc_parse_one(&ss, "v1.yaml", y.p, y.len, 0)) >= 0)
		rc = sealed_open(&it, ss, &f->ring.set, &uo);
	sealed_items_release(&it);
	doc_free(ss);
	buf_release(&label);
	buf_release(&ct);
	buf_release(&y);
	return rc;
}

void test_sealed_doc__legacy_v1_errors_reveal_nothing(void)
{
	struct fx f;
	must_pass(fx_init(&f, "vectors"));
	must_fail_with(open_v1_text(&f, "{\"data\": {\"hunter2\": \"x"), GS_EPARSE);
	assert_contains(gs_error_last(),
	                "old: spec.data: the decrypted Secret is not valid YAML/JSON");
	assert_true(!strstr(gs_error_last(), "hunter2"));
	assert_true(!strstr(gs_error_last(), "1:"));
	must_fail(open_v1_text(&f, "{\"data\": {\"a\": \"MQ==\", \"pw-hunter2\": \"!!\"}}"));
	assert_contains(gs_error_last(), "data item 2 is not valid base64");
	assert_true(!strstr(gs_error_last(), "hunter2"));
	must_fail(open_v1_text(&f, "just some hunter2 text"));
	assert_contains(gs_error_last(), "spec.data: the decrypted Secret is not an object");
	assert_true(!strstr(gs_error_last(), "hunter2"));
	fx_release(&f);
}

/* 8 keys loaded, items sealed for the oldest: every item opens, on 1 and 2 threads, and the hint
 * sticks. */
void test_sealed_doc__many_keys_and_threads(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	struct sealed_pubkey *pk = NULL;
	struct buf y = BUF_INIT(1 << 20);
	struct doc *sec = NULL, *ss = NULL;
	int i, t;

	for (i = 0; i < 8; i++) {
		struct keys_pair p;
		struct keys_gen_opts go = KEYS_GEN_OPTS_INIT;
		keys_pair_init(&p);
		go.bits = 2048;
		go.now = 1700000000 + i * 86400;
		must_pass(keys_generate(&p, &go));
		must_pass(keys_ring_add_pair(&r, &p, "k"));
		if (i == 0)
			must_pass(
			    sealed_pubkey_from_pem(&pk, p.cert_pem.p, p.cert_pem.len, "oldest"));
		keys_pair_release(&p);
	}
	assert_int(r.n, 8);
	assert_true(sealed_privkey_matches(r.ent[7].key, pk)); /* the oldest is last */
	must_pass(buf_adds(&y, "kind: Secret\nmetadata: {name: a, namespace: n}\nstringData:\n"));
	for (i = 0; i < 40; i++)
		must_pass(buf_addf(&y, "  k%02d: value-%d\n", i, i));
	must_pass(doc_parse_one(&sec, "t.yaml", y.p, y.len, DOC_PARSE_SECRET));
	must_pass(sealed_seal_secret(&ss, sec, pk, NULL));
	for (t = 1; t <= 2; t++) {
		struct sealed_items it = SEALED_ITEMS_INIT;
		struct buf v = BUF_INIT_SECRET(64);
		r.set.threads = t;
		r.set.hint = 0;
		must_pass(sealed_open(&it, ss, &r.set, NULL));
		assert_int(it.n, 40);
		assert_int(r.set.hint, 7);
		for (i = 0; i < 40; i++) {
			char k[16], want[32];
			snprintf(k, sizeof(k), "k%02d", i);
			snprintf(want, sizeof(want), "value-%d", i);
			assert_str(value_of(&it, k, &v), want);
		}
		sealed_items_release(&it);
		buf_release(&v);
	}
	doc_free(ss);
	doc_free(sec);
	buf_release(&y);
	sealed_pubkey_free(pk);
	keys_ring_release(&r);
}

void test_sealed_doc__key_secret_and_list_load(void)
{
	struct keys_ring r = KEYS_RING_INIT;
	struct keys_pair p;
	struct keys_gen_opts go = KEYS_GEN_OPTS_INIT;
	struct doc *s = NULL;
	struct buf y = BUF_INIT_SECRET(1 << 20), l = BUF_INIT_SECRET(1 << 20);
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	const char *name;

	must_pass(
	    keys_ring_load_file(&r, test_fixture("fixtures/sealed/upstream-key/key-secret.json")));
	assert_int(r.n, 1);
	assert_true(r.ent[0].cert != NULL);
	keys_pair_init(&p);
	go.bits = 2048;
	must_pass(keys_generate(&p, &go));
	must_pass(keys_pair_secret(&s, &p, NULL));
	name = doc_k8s_name(s);
	assert_true(name && strlen(name) == 23 && !strncmp(name, "sealed-secrets-key", 18));
	assert_str(doc_str(doc_get(s, "type")), "kubernetes.io/tls");
	assert_str(doc_str(doc_getp(s, "metadata", "labels", KEYS_LABEL, NULL)), "active");
	assert_str(doc_k8s_namespace(s), "kube-system");
	assert_true(doc_flags(doc_getp(s, "data", "tls.key", NULL)) & DOC_SECRET);
	must_pass(doc_emit_yaml(&y, s, &eo));
	must_pass(buf_adds(&l, "apiVersion: v1\nkind: List\nitems:\n- "));
	{ /* indent the Secret under items */
		size_t i;
		for (i = 0; i < y.len; i++) {
			must_pass(buf_addc(&l, y.p[i]));
			if (y.p[i] == '\n' && i + 1 < y.len)
				must_pass(buf_adds(&l, "  "));
		}
	}
	assert_int(keys_ring_load_text(&r, l.p, l.len, "list.yaml"), 1);
	assert_int(r.n, 2);
	/* a List holding something else is refused, naming it */
	must_fail_with(
	    keys_ring_load_text(&r, "kind: List\nitems:\n- kind: ConfigMap\n", 36, "bad.yaml"),
	    GS_EPARSE);
	assert_str(gs_error_last(), "bad.yaml: items[0]: kind 'ConfigMap' is not a Secret");
	must_fail_with(keys_ring_load_text(&r, "kind: Secret\ndata: {}\n", 22, "nokey.yaml"),
	               GS_EPARSE);
	assert_contains(gs_error_last(), "secret must contain a 'tls.data' key");
	doc_free(s);
	keys_pair_release(&p);
	buf_release(&y);
	buf_release(&l);
	keys_ring_release(&r);
}
