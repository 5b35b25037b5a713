/* sealer/inspect: one check per code, with its place; messages never hold a value. */
#include <stdlib.h>

#include "test.h"

#include "doc/doc.h"
#include "sealer/inspect/inspect.h"

/* Inspect every document of a YAML text; the findings are formatted one per line into out. */
static int run(struct buf *out, const char *yaml, unsigned flags)
{
	struct doc_stream st = DOC_STREAM_INIT;
	struct inspect_report r = INSPECT_REPORT_INIT;
	size_t i;
	int rc;

	if ((rc = doc_parse(&st, "in.yaml", yaml, strlen(yaml), 0, NULL)) < 0)
		return rc;
	for (i = 0; i < st.n && rc >= 0; i++)
		rc = inspect_object(&r, st.docs[i], flags);
	for (i = 0; i < r.n; i++) {
		inspect_finding_format(out, &r.v[i]);
		buf_addc(out, '\n');
	}
	rc = rc < 0 ? rc : (int)r.n;
	inspect_report_release(&r);
	doc_stream_release(&st);
	return rc;
}

static const char *plain_secret =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n"
    "stringData:\n  password: hunter2-hunter2\n";

void test_inspect__code_names_are_stable(void)
{
	assert_str(inspect_code_name(INSPECT_SOPS_NOT_DECRYPTED), "sops-not-decrypted");
	assert_str(inspect_code_name(INSPECT_SOPS_VALUE_LEFT), "sops-value-left");
	assert_str(inspect_code_name(INSPECT_PLAINTEXT_SECRET), "plaintext-secret");
	assert_str(inspect_code_name(INSPECT_UNENCRYPTED_SECRET), "unencrypted-secret");
	assert_str(inspect_code_name(INSPECT_SOPS_METADATA_MISSING), "sops-metadata-missing");
	assert_str(inspect_code_name(INSPECT_SOPS_METADATA_MALFORMED), "sops-metadata-malformed");
	assert_str(inspect_code_name(INSPECT_SOPS_VALUE_NOT_ENCRYPTED), "sops-value-not-encrypted");
	assert_str(inspect_code_name(INSPECT_SEALED_SCOPE_MISMATCH), "sealed-scope-mismatch");
	assert_str(inspect_code_name(0), "unknown");
	assert_str(inspect_code_name(99), "unknown");
}

void test_inspect__refuses_still_encrypted_secret(void)
{
	struct buf out = BUF_INIT(1 << 16), enc = BUF_INIT(1 << 16);
	must_pass(test_read_fixture(&enc, "fixtures/decrypt/secret.enc.yaml"));
	assert_int(run(&out, enc.p, INSPECT_AFTER_DECRYPT), 2);
	assert_contains(
	    out.p,
	    "in.yaml:13:5: Secret prod/db still carries SOPS metadata (a 'sops' block) after "
	    "decryption: an encrypted object is never applied [sops-not-decrypted]\n");
	assert_contains(out.p, "in.yaml:8:15: Secret prod/db: data.password is still a "
	                       "SOPS-encrypted value (ENC[...]) "
	                       "after decryption, and other values too [sops-value-left]\n");
	/* an ENC[...] value in a Secret without a sops block is refused too; in a ConfigMap it is
	 * data */
	buf_reset(&out);
	assert_int(
	    run(&out,
	        "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData:\n  a: plain\n"
	        "  b: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n"
	        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	        "data: {b: 'ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]'}\n",
	        INSPECT_AFTER_DECRYPT),
	    1);
	assert_str(
	    out.p,
	    "in.yaml:6:6: Secret x: stringData.b is still a SOPS-encrypted value (ENC[...]) after "
	    "decryption [sops-value-left]\n");
	/* any object with a sops block is refused */
	buf_reset(&out);
	assert_int(run(&out,
	               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: p}\nsops: "
	               "{mac: x}\n",
	               INSPECT_AFTER_DECRYPT),
	           1);
	assert_contains(out.p, "ConfigMap p/c still carries SOPS metadata");
	/* a decrypted Secret passes */
	buf_reset(&out);
	assert_int(run(&out, plain_secret, INSPECT_AFTER_DECRYPT), 0);
	buf_release(&out);
	buf_release(&enc);
}

void test_inspect__require_encrypted(void)
{
	struct buf out = BUF_INIT(1 << 16);
	assert_int(run(&out, plain_secret, INSPECT_AFTER_DECRYPT | INSPECT_REQUIRE_ENCRYPTED), 1);
	assert_str(out.p,
	           "in.yaml:7:3: Secret prod/db has plaintext stringData and "
	           "decryption.requireEncrypted is set: "
	           "encrypt it (gitseal encrypt) or seal it (gitseal seal) [plaintext-secret]\n");
	assert_true(!strstr(out.p, "hunter2"));
	/* what came out of SOPS decryption is fine; so are Secrets without data and other kinds */
	buf_reset(&out);
	assert_int(run(&out, plain_secret,
	               INSPECT_AFTER_DECRYPT | INSPECT_REQUIRE_ENCRYPTED | INSPECT_FROM_SOPS),
	           0);
	assert_int(run(&out,
	               "apiVersion: v1\nkind: Secret\nmetadata: {name: e}\ndata: {}\ntype: Opaque\n"
	               "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
	               "---\napiVersion: example.com/v1\nkind: Secret\nmetadata: {name: s}\ndata: "
	               "{a: b}\n",
	               INSPECT_AFTER_DECRYPT | INSPECT_REQUIRE_ENCRYPTED),
	           0);
	/* without requireEncrypted a plaintext Secret is applied as it is */
	assert_int(run(&out, plain_secret, INSPECT_AFTER_DECRYPT), 0);
	buf_release(&out);
}

void test_inspect__committed_plaintext_secret(void)
{
	struct buf out = BUF_INIT(1 << 16), enc = BUF_INIT(1 << 16);
	assert_int(run(&out,
	               "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\n"
	               "data:\n  password: aHVudGVyMg==\n",
	               INSPECT_COMMITTED),
	           1);
	assert_str(out.p, "in.yaml:5:3: Secret prod/db has data that is neither sealed nor "
	                  "SOPS-encrypted: seal it "
	                  "(gitseal seal) or encrypt it (gitseal encrypt) [unencrypted-secret]\n");
	assert_true(!strstr(out.p, "aHVudGVyMg"));
	/* a well-formed SOPS Secret and a real sops 3.8 file are clean */
	buf_reset(&out);
	must_pass(test_read_fixture(&enc, "fixtures/decrypt/secret.enc.yaml"));
	assert_int(run(&out, enc.p, INSPECT_COMMITTED), 0);
	buf_reset(&enc);
	must_pass(test_read_fixture(&enc, "fixtures/decrypt/multi.enc.yaml"));
	assert_int(run(&out, enc.p, INSPECT_COMMITTED), 0);
	buf_reset(&enc);
	must_pass(test_read_fixture(&enc, "fixtures/sops-upstream/secret.enc.yaml"));
	assert_int(run(&out, enc.p, INSPECT_COMMITTED), 0);
	assert_str(out.p, "");
	buf_release(&out);
	buf_release(&enc);
}

/* the Secret fixture with one text replaced */
static int fixture_with(struct buf *out, const char *from, const char *to)
{
	struct buf enc = BUF_INIT(1 << 16);
	char *at;
	int rc;
	if ((rc = test_read_fixture(&enc, "fixtures/decrypt/secret.enc.yaml")) < 0)
		return rc;
	if (!(at = strstr(enc.p, from))) {
		buf_release(&enc);
		return gs_error(GS_ENOTFOUND, "'%s' is not in the fixture", from);
	}
	buf_add(out, enc.p, (size_t)(at - enc.p));
	buf_adds(out, to);
	buf_adds(out, at + strlen(from));
	buf_release(&enc);
	return 0;
}

void test_inspect__broken_sops_metadata(void)
{
	struct buf out = BUF_INIT(1 << 16), in = BUF_INIT(1 << 16);
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ "    mac: ENC[", "    xmac: ENC[", "the 'sops' block has no mac" },
		{ "    mac: ENC[", "    mac: NOT[", "mac is not an ENC[AES256_GCM,...] value" },
		{ "    version: 3.9.4", "    version: \"3.9\"",
		  "version is not a semantic version" },
		{ "    lastmodified: \"", "    lastmodifiedx: \"",
		  "the 'sops' block has no lastmodified" },
		{ "    age:\n", "    agex:\n", "has no master key (age, pgp, kms" },
		{ "          enc: |", "          encx: |", "sops.age[0] has no enc" },
		{ "        - recipient: age1", "        - recipient: xge1",
		  "sops.age[0] recipient is not an age recipient" },
		{ "    encrypted_regex: ^(data|stringData)$",
		  "    encrypted_regex: ^(data|stringData$", "sops.encrypted_regex: " },
		{ "    encrypted_regex:", "    unencrypted_suffix: _x\n    encrypted_regex:",
		  "sets both unencrypted_suffix and encrypted_regex" },
		{ "sops:\n    kms: []", "sops:\n    key_groups: 3\n    kms: []",
		  "sops.key_groups is not a list" },
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&in);
		buf_reset(&out);
		must_pass(fixture_with(&in, cases[i].from, cases[i].to));
		if (run(&out, in.p, INSPECT_COMMITTED) < 1)
			fail_("case %zu (%s): no finding", i, cases[i].to);
		if (!strstr(out.p, cases[i].want) || !strstr(out.p, "[sops-metadata-malformed]"))
			fail_("case %zu: \"%s\" does not contain \"%s\"", i, out.p, cases[i].want);
		if (strstr(out.p, "HT0HfEXp") || strstr(out.p, "YWdlLWVu"))
			fail_("case %zu: a ciphertext in the message: %s", i, out.p);
	}
	buf_reset(&out);
	assert_int(run(&out, "a: 1\nsops: [x]\n", INSPECT_SOPS_STRUCTURE), 1);
	assert_str(
	    out.p,
	    "in.yaml:2:7: document: the 'sops' block is not a map [sops-metadata-malformed]\n");
	buf_release(&out);
	buf_release(&in);
}

void test_inspect__value_not_encrypted_where_the_rule_says(void)
{
	struct buf out = BUF_INIT(1 << 16), in = BUF_INIT(1 << 16);
	const char *p;
	/* a plaintext value added to stringData after encryption */
	must_pass(
	    fixture_with(&in, "    url: ENC[", "    extra: added-in-plaintext\n    url: ENC["));
	assert_int(run(&out, in.p, INSPECT_COMMITTED), 1);
	assert_str(
	    out.p,
	    "in.yaml:11:12: Secret prod/db: stringData.extra is not encrypted, but the file's "
	    "encrypted_regex '^(data|stringData)$' says it must be [sops-value-not-encrypted]\n");
	/* a truncated ENC[...] value */
	buf_reset(&in);
	buf_reset(&out);
	must_pass(fixture_with(&in, ",tag:SLgnAaVQJWTuBmZN10w5Sw==,type:str]", ""));
	assert_int(run(&out, in.p, INSPECT_COMMITTED), 1);
	assert_contains(
	    out.p,
	    "in.yaml:8:15: Secret prod/db: data.password is not a well-formed ENC[AES256_GCM,");
	assert_true(!strstr(out.p, "HT0HfEXp"));
	/* no rule: sops encrypts everything but *_unencrypted keys */
	buf_reset(&out);
	assert_int(
	    run(&out,
	        "a: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\nb: 7\nc_unencrypted: x\n"
	        "d: ''\ne: null\nsops: {age: [{recipient: age1x, enc: '-----BEGIN AGE ENCRYPTED "
	        "FILE-----\n"
	        "-----END AGE ENCRYPTED FILE-----'}], lastmodified: '2024-01-01T00:00:00Z', "
	        "version: 3.9.0,\n"
	        "  mac: 'ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]'}\n",
	        INSPECT_COMMITTED),
	    1);
	assert_str(out.p, "in.yaml:2:4: document: b is not encrypted, but the file names no rule, "
	                  "so sops encrypts "
	                  "every value [sops-value-not-encrypted]\n");
	/* ENC[...] values without a sops block */
	buf_reset(&out);
	assert_int(
	    run(&out,
	        "kind: Secret\napiVersion: v1\nmetadata: {name: s}\nstringData:\n  list:\n  - x\n"
	        "  - ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n",
	        INSPECT_COMMITTED),
	    1);
	assert_str(out.p,
	           "in.yaml:7:5: Secret s: stringData.list[1] is a SOPS-encrypted value (ENC[...]) "
	           "but the "
	           "document has no 'sops' block: nobody can decrypt it [sops-metadata-missing]\n");
	p = out.p;
	assert_true(!strstr(p, "AAAA"));
	buf_release(&out);
	buf_release(&in);
}

void test_inspect__sealed_secret_scope(void)
{
	struct buf out = BUF_INIT(1 << 16), in = BUF_INIT(1 << 16);
	/* the real kubeseal fixtures are consistent */
	must_pass(test_read_fixture(&in, "fixtures/sealed/sealedsecret.yaml"));
	assert_int(run(&out, in.p, INSPECT_COMMITTED), 0);
	buf_reset(&in);
	must_pass(test_read_fixture(&in, "fixtures/sealed/sealedsecret-namespace-wide.yaml"));
	assert_int(run(&out, in.p, INSPECT_COMMITTED), 0);
	buf_reset(&in);
	must_pass(test_read_fixture(&in, "fixtures/sealed/sealedsecret-cluster-wide.yaml"));
	assert_int(run(&out, in.p, INSPECT_COMMITTED), 0);
	assert_str(out.p, "");
	/* renamed under strict scope */
	assert_int(run(&out,
	               "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: "
	               "db2, namespace: prod}\n"
	               "spec:\n  template:\n    metadata: {name: db, namespace: prod}\n  "
	               "encryptedData: {a: AgB}\n",
	               INSPECT_COMMITTED),
	           1);
	assert_str(out.p, "in.yaml:6:22: SealedSecret prod/db2: strict scope binds the items to "
	                  "the name 'db2', but "
	                  "spec.template.metadata.name is 'db': a renamed SealedSecret no longer "
	                  "unseals (re-seal it) "
	                  "[sealed-scope-mismatch]\n");
	/* moved under namespace-wide scope; a different name is fine there */
	buf_reset(&out);
	assert_int(run(&out,
	               "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: "
	               "x\n  namespace: dev\n"
	               "  annotations: {sealedsecrets.bitnami.com/namespace-wide: \"true\"}\n"
	               "spec:\n  template:\n    metadata: {name: y, namespace: prod}\n",
	               INSPECT_COMMITTED),
	           1);
	assert_contains(
	    out.p,
	    "SealedSecret dev/x: namespace-wide scope binds the items to the namespace 'dev', but "
	    "spec.template.metadata.namespace is 'prod'");
	/* cluster-wide: anything goes; a "True" annotation is ignored upstream; templates stating
	 * another scope */
	buf_reset(&out);
	assert_int(run(&out,
	               "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: "
	               "x\n  namespace: dev\n"
	               "  annotations: {sealedsecrets.bitnami.com/cluster-wide: \"true\"}\n"
	               "spec:\n  template:\n    metadata: {name: y, namespace: prod, annotations: "
	               "{sealedsecrets.bitnami.com/cluster-wide: \"true\"}}\n",
	               INSPECT_COMMITTED),
	           0);
	assert_int(run(&out,
	               "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: "
	               "x\n  namespace: dev\n"
	               "  annotations: {sealedsecrets.bitnami.com/namespace-wide: \"True\"}\n"
	               "spec:\n  template:\n    metadata:\n      annotations: "
	               "{sealedsecrets.bitnami.com/cluster-wide: "
	               "\"true\"}\n",
	               INSPECT_COMMITTED),
	           2);
	assert_contains(out.p,
	                "in.yaml:6:59: SealedSecret dev/x: annotation "
	                "sealedsecrets.bitnami.com/namespace-wide is "
	                "not \"true\": the controller ignores it, so the SealedSecret is strict");
	assert_contains(
	    out.p, "SealedSecret dev/x: metadata.annotations make it strict but "
	           "spec.template.metadata.annotations say cluster-wide [sealed-scope-mismatch]");
	buf_release(&out);
	buf_release(&in);
}

void test_inspect__report_error(void)
{
	struct buf out = BUF_INIT(1 << 16);
	struct doc_stream st = DOC_STREAM_INIT;
	struct inspect_report r = INSPECT_REPORT_INIT;
	const char *y =
	    "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {x: y}\n"
	    "---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\nstringData: {x: y}\n";
	must_pass(doc_parse(&st, "f.yaml", y, strlen(y), 0, NULL));
	assert_int(inspect_report_error(&r, 0), 0);
	assert_int(inspect_object(&r, st.docs[0], INSPECT_REQUIRE_ENCRYPTED), 1);
	assert_int(inspect_object(&r, st.docs[1], INSPECT_REQUIRE_ENCRYPTED), 1);
	must_fail_with(inspect_report_error(&r, 0), GS_EPARSE);
	assert_str(
	    gs_error_last(),
	    "f.yaml:4:13: Secret a has plaintext stringData and decryption.requireEncrypted is "
	    "set: encrypt it (gitseal encrypt) or seal it (gitseal seal) [plaintext-secret] "
	    "(and 1 more)");
	must_fail_with(inspect_report_error(&r, 1), GS_EPARSE);
	assert_contains(gs_error_last(), "f.yaml:9:13: Secret b has plaintext");
	inspect_report_release(&r);
	doc_stream_release(&st);
	buf_release(&out);
}
