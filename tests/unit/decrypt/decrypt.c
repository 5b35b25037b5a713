/* lib/decrypt: SOPS manifests in a rendered set, MACs (direct and through the source file), keys,
 * the render hook. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#include "core/file.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"

/* the plaintext of tests/fixtures/decrypt/secret.enc.yaml (see its README) */
#define DB_PASSWORD_B64 "czNjcjN0LXBhc3N3b3Jk"

static struct decrypt_ctx *ctx_with(const char *keyfile, enum decrypt_ids_scope scope,
                                    const char *root, int require)
{
	struct decrypt_opts o = DECRYPT_OPTS_INIT;
	struct decrypt_ctx *c = NULL;
	struct buf key = BUF_INIT_SECRET(1 << 16);
	char rootdir[4096];
	if (root) {
		snprintf(rootdir, sizeof(rootdir), "%s", test_fixture(root));
		o.root = rootdir;
	}
	o.require_encrypted = require;
	if (decrypt_ctx_new(&c, &o) < 0)
		return NULL;
	if (keyfile && (test_read_fixture(&key, keyfile) < 0 ||
	                decrypt_ctx_add_identities(c, key.p, key.len, keyfile, scope) < 0)) {
		decrypt_ctx_free(c);
		c = NULL;
	}
	buf_release(&key);
	return c;
}

static int load(struct doc_stream *st, const char *fixture, const char *name)
{
	struct buf b = BUF_INIT(1 << 20);
	int rc;
	if ((rc = test_read_fixture(&b, fixture)) >= 0)
		rc = doc_parse(st, name, b.p, b.len, 0, NULL);
	buf_release(&b);
	return rc;
}

/* the fixture's text with one string replaced, parsed */
static int load_with(struct doc_stream *st, const char *fixture, const char *from, const char *to)
{
	struct buf b = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	char *at;
	int rc;
	if ((rc = test_read_fixture(&b, fixture)) < 0)
		goto out;
	if (!(at = strstr(b.p, from))) {
		rc = gs_error(GS_ENOTFOUND, "'%s' not in %s", from, fixture);
		goto out;
	}
	buf_add(&out, b.p, (size_t)(at - b.p));
	buf_adds(&out, to);
	buf_adds(&out, at + strlen(from));
	rc = doc_parse(st, "secret.enc.yaml", out.p, out.len, 0, NULL);
out:
	buf_release(&b);
	buf_release(&out);
	return rc;
}

/* What Kustomize does to a resource: keys sorted, a label added. */
static void kustomize(struct doc *obj)
{
	struct doc *labels = doc_new_map();
	doc_set(labels, "app.kubernetes.io/part-of", doc_new_strz("shop"));
	doc_set(doc_get(obj, "metadata"), "labels", labels);
	doc_sort_keys(obj, 1);
}

static int no_digest(const char *msg)
{
	/* sops' MAC message would carry 128 hex digits (a digest of the values) */
	size_t run = 0;
	for (; *msg; msg++) {
		run = ((*msg >= '0' && *msg <= '9') || (*msg >= 'A' && *msg <= 'F')) ? run + 1 : 0;
		if (run >= 32)
			return 0;
	}
	return 1;
}

void test_decrypt__right_key_decrypts_in_place(void)
{
	struct decrypt_ctx *c = ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, NULL, 0);
	struct doc_stream st = DOC_STREAM_INIT;
	struct buf out = BUF_INIT_SECRET(1 << 16);
	unsigned fl = 0;
	const struct doc *v;

	assert_true(c != NULL);
	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "secret.enc.yaml"));
	assert_int(decrypt_objects(c, st.docs, st.n, &fl), 1);
	assert_int(fl, DECRYPT_OBJ_SOPS);
	assert_true(doc_get(st.docs[0], "sops") == NULL);
	v = doc_getp(st.docs[0], "stringData", "username", NULL);
	assert_str(doc_str(v), "admin-user");
	assert_true(doc_flags(v) & DOC_SECRET);
	assert_str(doc_str(doc_getp(st.docs[0], "data", "password", NULL)), DB_PASSWORD_B64);
	assert_str(doc_str(doc_getp(st.docs[0], "stringData", "url", NULL)),
	           "postgres://db.prod:5432/app");
	/* the places stay those of the rendered object; the plaintext keeps nothing of the
	 * ciphertext's style */
	assert_int(doc_line(v), 10);
	assert_str(doc_k8s_namespace(st.docs[0]), "prod");
	must_pass(doc_emit_yaml(&out, st.docs[0], NULL));
	assert_contains(out.p, "  username: admin-user\n");
	assert_true(!strstr(out.p, "ENC["));
	buf_release(&out);
	doc_stream_release(&st);
	decrypt_ctx_free(c);
}

void test_decrypt__wrong_key_names_file_object_and_recipients(void)
{
	struct decrypt_ctx *c =
	    ctx_with("fixtures/decrypt/other-key.txt", DECRYPT_IDS_ANY, "fixtures/decrypt", 0);
	struct doc_stream st = DOC_STREAM_INIT;

	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "rendered.yaml"));
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EAUTH);
	/* the source file is named (found under root by its sops block), not the rendered stream */
	assert_str(gs_error_last(),
	           "secret.enc.yaml: Secret prod/db: no age identity matches (recipients: "
	           "age19una4p0cxyhaslfsh9kvvhffd8yv3qk8q2e9p0shvv8crhwqhczse0rcxx; looked in: "
	           "fixtures/decrypt/other-key.txt)");
	assert_true(doc_get(st.docs[0], "sops") != NULL);
	doc_stream_release(&st);
	decrypt_ctx_free(c);

	/* no identity at all */
	c = ctx_with(NULL, DECRYPT_IDS_ANY, NULL, 0);
	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "secret.enc.yaml"));
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EAUTH);
	assert_contains(gs_error_last(),
	                "secret.enc.yaml:1: Secret prod/db: no age identity to decrypt it with "
	                "(recipients: age19una4p0");
	doc_stream_release(&st);
	decrypt_ctx_free(c);
}

void test_decrypt__broken_mac_is_refused(void)
{
	struct decrypt_ctx *c = ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, NULL, 0);
	struct doc_stream st = DOC_STREAM_INIT;

	/* a plaintext field covered by the MAC, changed after encryption */
	must_pass(load_with(&st, "fixtures/decrypt/secret.enc.yaml", "type: Opaque",
	                    "type: kubernetes.io/basic-auth"));
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EAUTH);
	assert_contains(
	    gs_error_last(),
	    "secret.enc.yaml:1: Secret prod/db: MAC mismatch: the object is not the document "
	    "that was encrypted");
	assert_true(no_digest(gs_error_last()));
	assert_true(!strstr(gs_error_last(), "admin-user"));
	doc_stream_release(&st);
	decrypt_ctx_free(c);
}

void test_decrypt__broken_mac_found_through_the_source_file(void)
{
	char dir[] = "/tmp/gitseal-dec.XXXXXX", path[128];
	struct buf b = BUF_INIT(1 << 20);
	struct decrypt_opts o = DECRYPT_OPTS_INIT;
	struct decrypt_ctx *c = NULL;
	struct doc_stream st = DOC_STREAM_INIT;
	char *at;

	/* the source file in the tree was changed after encryption; Kustomize then renders it */
	assert_true(mkdtemp(dir) != NULL);
	must_pass(test_read_fixture(&b, "fixtures/decrypt/secret.enc.yaml"));
	assert_true((at = strstr(b.p, "type: Opaque")) != NULL);
	memcpy(at, "type: Opaqu3", 12);
	snprintf(path, sizeof(path), "%s/secret.enc.yaml", dir);
	must_pass(file_write_atomic(path, b.p, b.len, 0644, 0));
	o.root = dir;
	must_pass(decrypt_ctx_new(&c, &o));
	buf_reset(&b);
	must_pass(test_read_fixture(&b, "fixtures/decrypt/key.txt"));
	must_pass(decrypt_ctx_add_identities(c, b.p, b.len, "key.txt", DECRYPT_IDS_ANY));
	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "kustomize-output"));
	kustomize(st.docs[0]);
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EAUTH);
	assert_str(gs_error_last(),
	           "secret.enc.yaml: MAC mismatch: the file was changed after it was encrypted");
	doc_stream_release(&st);
	decrypt_ctx_free(c);
	remove(path);
	rmdir(dir);
	buf_release(&b);
}

void test_decrypt__kustomized_object_checked_against_its_source(void)
{
	struct decrypt_ctx *c =
	    ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, "fixtures/decrypt", 0);
	struct doc_stream st = DOC_STREAM_INIT;
	struct doc *obj;

	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "kustomize-output"));
	kustomize(st.docs[0]);
	assert_int(decrypt_objects(c, st.docs, st.n, NULL), 1);
	assert_str(doc_str(doc_getp(st.docs[0], "stringData", "username", NULL)), "admin-user");
	assert_str(
	    doc_str(doc_getp(st.docs[0], "metadata", "labels", "app.kubernetes.io/part-of", NULL)),
	    "shop");
	doc_stream_release(&st);

	/* without the tree the MAC of a changed object cannot be checked */
	decrypt_ctx_free(c);
	c = ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, NULL, 0);
	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "kustomize-output"));
	kustomize(st.docs[0]);
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EAUTH);
	assert_contains(gs_error_last(),
	                "MAC mismatch: the object is not the document that was encrypted");
	doc_stream_release(&st);

	/* two documents under one MAC: each rendered object is checked through the file */
	decrypt_ctx_free(c);
	c = ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, "fixtures/decrypt", 0);
	must_pass(load(&st, "fixtures/decrypt/multi.enc.yaml", "multi.enc.yaml"));
	assert_int(st.n, 2);
	assert_int(decrypt_objects(c, st.docs, st.n, NULL), 2);
	assert_str(doc_str(doc_getp(st.docs[0], "stringData", "token", NULL)), "api-token-value");
	assert_str(doc_str(doc_getp(st.docs[1], "stringData", "password", NULL)),
	           "cache-password-value");
	doc_stream_release(&st);

	/* a ciphertext taken from elsewhere in the file, put at another path: refused */
	must_pass(load(&st, "fixtures/decrypt/multi.enc.yaml", "multi.enc.yaml"));
	obj = st.docs[1];
	kustomize(obj);
	must_pass(doc_set(doc_get(obj, "stringData"), "password",
	                  doc_clone(doc_getp(st.docs[0], "stringData", "token", NULL))));
	must_fail(decrypt_objects(c, st.docs + 1, 1, NULL));
	assert_contains(
	    gs_error_last(),
	    "multi.enc.yaml: Secret prod/cache: stringData.password does not decrypt with "
	    "the file's data key");
	doc_stream_release(&st);
	decrypt_ctx_free(c);
}

void test_decrypt__swapped_and_truncated_values(void)
{
	struct decrypt_ctx *c = ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, NULL, 0);
	struct doc_stream st = DOC_STREAM_INIT;
	struct doc *sd, *a, *b;

	/* two values swapped: each is bound to its key path (AAD) */
	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "secret.enc.yaml"));
	sd = doc_get(st.docs[0], "stringData");
	a = doc_clone(doc_get(sd, "username"));
	b = doc_clone(doc_get(sd, "url"));
	doc_set(sd, "username", b);
	doc_set(sd, "url", a);
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EAUTH);
	assert_str(
	    gs_error_last(),
	    "secret.enc.yaml:1: Secret prod/db: stringData.username does not decrypt with the "
	    "file's data key: the value was changed, truncated or moved after encryption");
	doc_stream_release(&st);

	/* a value cut short: no longer an ENC[...] value */
	must_pass(load_with(&st, "fixtures/decrypt/secret.enc.yaml",
	                    ",tag:SLgnAaVQJWTuBmZN10w5Sw==,type:str]", ""));
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EPARSE);
	assert_str(gs_error_last(),
	           "secret.enc.yaml:1: Secret prod/db: data.password is not a well-formed "
	           "ENC[AES256_GCM,data:...,iv:...,tag:...,type:...] value (cut short?)");
	doc_stream_release(&st);

	/* its ciphertext cut short: the tag fails */
	must_pass(load_with(&st, "fixtures/decrypt/secret.enc.yaml",
	                    "data:HT0HfEXpjV1hZO5ATo17/kHGBPc=", "data:HT0HfEXpjV1hZO5A"));
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EAUTH);
	assert_contains(gs_error_last(), "Secret prod/db: data.password does not decrypt");
	doc_stream_release(&st);
	decrypt_ctx_free(c);
}

void test_decrypt__leftovers_and_pass_through(void)
{
	struct decrypt_ctx *c = ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, NULL, 0);
	struct doc_stream st = DOC_STREAM_INIT;
	struct buf before = BUF_INIT(1 << 16), after = BUF_INIT(1 << 16);
	const char *y = "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: p}\n"
	                "stringData: {a: 'ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]'}\n";
	unsigned fl[2];

	must_pass(doc_parse(&st, "left.yaml", y, strlen(y), 0, NULL));
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EPARSE);
	assert_str(
	    gs_error_last(),
	    "left.yaml:4:17: Secret p/x: stringData.a is still a SOPS-encrypted value (ENC[...]) "
	    "after decryption [sops-value-left]");
	doc_stream_release(&st);

	/* a SealedSecret goes through untouched */
	must_pass(load(&st, "fixtures/sealed/sealedsecret.yaml", "sealed.yaml"));
	must_pass(doc_emit_yaml(&before, st.docs[0], NULL));
	assert_int(decrypt_objects(c, st.docs, 1, fl), 0);
	assert_int(fl[0], DECRYPT_OBJ_SEALED);
	must_pass(doc_emit_yaml(&after, st.docs[0], NULL));
	assert_str(after.p, before.p);
	doc_stream_release(&st);
	buf_release(&before);
	buf_release(&after);
	decrypt_ctx_free(c);
}

void test_decrypt__require_encrypted(void)
{
	struct decrypt_ctx *c =
	    ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, "fixtures/decrypt", 1);
	struct doc_stream st = DOC_STREAM_INIT;
	struct buf env = BUF_INIT(1 << 16), plain = BUF_INIT_SECRET(1 << 16);
	const char *plain_secret =
	    "apiVersion: v1\nkind: Secret\nmetadata: {name: lit, namespace: prod}\n"
	    "data: {password: aHVudGVyMg==}\n";
	/* what kustomize makes of an envs: file (data base64 of each value) and of literals */
	const char *generated =
	    "apiVersion: v1\nkind: Secret\nmetadata: {name: app-7f9c, namespace: prod}\n"
	    "data: {API_TOKEN: dG9rLTEyMzQ1Ng==, DB_PASSWORD: aHVudGVyMi1odW50ZXIy}\n";
	const char *mixed =
	    "apiVersion: v1\nkind: Secret\nmetadata: {name: app-mixed, namespace: prod}\n"
	    "data: {API_TOKEN: dG9rLTEyMzQ1Ng==}\nstringData: {EXTRA: literal}\n";
	unsigned fl[2];

	/* a SOPS Secret is fine */
	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "secret.enc.yaml"));
	assert_int(decrypt_objects(c, st.docs, st.n, NULL), 1);
	doc_stream_release(&st);
	/* a plaintext one is not */
	must_pass(doc_parse(&st, "plain.yaml", plain_secret, strlen(plain_secret), 0, NULL));
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EPARSE);
	assert_str(
	    gs_error_last(),
	    "plain.yaml:4:7: Secret prod/lit has plaintext data and decryption.requireEncrypted is "
	    "set: encrypt it (gitseal encrypt) or seal it (gitseal seal) [plaintext-secret]");
	doc_stream_release(&st);
	/* a generated Secret passes once its env file went through the render hook */
	must_pass(doc_parse(&st, "gen.yaml", generated, strlen(generated), 0, NULL));
	must_fail(decrypt_objects(c, st.docs, st.n, NULL));
	must_pass(test_read_fixture(&env, "fixtures/decrypt/app.enc.env"));
	assert_int(decrypt_file(c, "overlays/prod/app.enc.env", env.p, env.len, &plain), 1);
	assert_int(decrypt_objects(c, st.docs, st.n, fl), 0);
	assert_int(fl[0], DECRYPT_OBJ_GENERATED);
	doc_stream_release(&st);
	/* ... but not with a literal beside the decrypted values */
	must_pass(doc_parse(&st, "mixed.yaml", mixed, strlen(mixed), 0, NULL));
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EPARSE);
	assert_contains(gs_error_last(), "Secret prod/app-mixed has plaintext data");
	doc_stream_release(&st);
	buf_release(&env);
	buf_release(&plain);
	decrypt_ctx_free(c);
}

void test_decrypt__render_hook(void)
{
	struct decrypt_ctx *c = ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, NULL, 0);
	struct buf env = BUF_INIT(1 << 16), out = BUF_INIT_SECRET(1 << 16),
	           notsecret = BUF_INIT(1 << 16);
	char *at;

	must_pass(test_read_fixture(&env, "fixtures/decrypt/app.enc.env"));
	assert_int(decrypt_file(c, "overlays/prod/app.enc.env", env.p, env.len, &out), 1);
	assert_str(out.p, "API_TOKEN=tok-123456\nDB_PASSWORD=hunter2-hunter2\n");
	/* the same bytes under a name without .env: sniffed */
	buf_reset(&out);
	assert_int(decrypt_file(c, "secrets/app.secrets", env.p, env.len, &out), 1);
	assert_str(out.p, "API_TOKEN=tok-123456\nDB_PASSWORD=hunter2-hunter2\n");
	/* a plain file is not touched; a non-secret output buffer is refused */
	buf_reset(&out);
	assert_int(decrypt_file(c, "config.env", "A=b\n", 4, &out), 0);
	assert_int(out.len, 0);
	must_fail_with(decrypt_file(c, "overlays/prod/app.enc.env", env.p, env.len, &notsecret),
	               GS_EINVAL);
	/* a YAML SOPS file read by files: */
	buf_reset(&notsecret);
	must_pass(test_read_fixture(&notsecret, "fixtures/sops-upstream/secret.enc.yaml"));
	decrypt_ctx_free(c);
	c = ctx_with("fixtures/sops-upstream/key.txt", DECRYPT_IDS_ANY, NULL, 0);
	buf_reset(&out);
	assert_int(decrypt_file(c, "files/secret.enc.yaml", notsecret.p, notsecret.len, &out), 1);
	assert_contains(out.p, "secret: this is a secret\n");
	assert_true(!strstr(out.p, "sops:"));
	/* the wrong key, a changed value: errors naming the file */
	buf_reset(&out);
	must_fail_with(decrypt_file(c, "overlays/prod/app.enc.env", env.p, env.len, &out),
	               GS_EAUTH);
	assert_contains(
	    gs_error_last(),
	    "overlays/prod/app.enc.env: no age identity matches (recipients: age19una4p0");
	decrypt_ctx_free(c);
	c = ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_ANY, NULL, 0);
	assert_true((at = strstr(env.p, "DB_PASSWORD=")) != NULL);
	memmove(at, at + 1, strlen(at)); /* "B_PASSWORD=": the key is part of the value's AAD */
	env.len--;
	must_fail(decrypt_file(c, "overlays/prod/app.enc.env", env.p, env.len, &out));
	assert_contains(gs_error_last(), "overlays/prod/app.enc.env");
	assert_int(out.len, 0);
	assert_true(no_digest(gs_error_last()));
	buf_release(&env);
	buf_release(&out);
	buf_release(&notsecret);
	decrypt_ctx_free(c);
}

void test_decrypt__own_identities_only_into_the_files_namespace(void)
{
	struct decrypt_ctx *c =
	    ctx_with("fixtures/decrypt/key.txt", DECRYPT_IDS_OWN_NAMESPACE, "fixtures/decrypt", 0);
	struct doc_stream st = DOC_STREAM_INIT;
	struct buf env = BUF_INIT(1 << 16), out = BUF_INIT_SECRET(1 << 16);
	const char *const *uses;
	unsigned fl = 0;

	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "secret.enc.yaml"));
	assert_int(decrypt_objects(c, st.docs, st.n, &fl), 1);
	assert_int(fl, DECRYPT_OBJ_SOPS | DECRYPT_OBJ_OWN_NAMESPACE);
	/* what the cluster's identities opened: the file's recipients (gitseal keys list) */
	assert_int(decrypt_ctx_own_uses(c, &uses), 1);
	assert_str(uses[0], "age19una4p0cxyhaslfsh9kvvhffd8yv3qk8q2e9p0shvv8crhwqhczse0rcxx");
	doc_stream_release(&st);
	/* a kustomization that moves it into another namespace */
	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "kustomize-output"));
	doc_set(doc_get(st.docs[0], "metadata"), "namespace", doc_new_strz("dev"));
	kustomize(st.docs[0]);
	must_fail_with(decrypt_objects(c, st.docs, st.n, NULL), GS_EAUTH);
	assert_int(decrypt_ctx_own_uses(c, &uses), 1); /* a refused object is not a use */
	assert_str(
	    gs_error_last(),
	    "secret.enc.yaml: Secret dev/db: only the cluster's own age identity opens it, and "
	    "that identity decrypts only into the namespace the encrypted file names ('prod'), "
	    "not into 'dev'");
	doc_stream_release(&st);
	/* generator files name no namespace */
	must_pass(test_read_fixture(&env, "fixtures/decrypt/app.enc.env"));
	must_fail_with(decrypt_file(c, "app.enc.env", env.p, env.len, &out), GS_EAUTH);
	assert_contains(gs_error_last(),
	                "app.enc.env: only the cluster's own age identity opens it");
	buf_release(&env);
	buf_release(&out);
	decrypt_ctx_free(c);
}

void test_decrypt__identities_from_a_secret(void)
{
	struct decrypt_ctx *c = NULL;
	struct doc *sec = NULL;
	struct doc_stream st = DOC_STREAM_INIT;
	struct buf key = BUF_INIT_SECRET(1 << 16), y = BUF_INIT_SECRET(1 << 16);
	size_t i;

	must_pass(test_read_fixture(&key, "fixtures/decrypt/key.txt"));
	/* Flux's layout: the key file under an entry ending in .agekey (stringData here) */
	buf_adds(&y, "apiVersion: v1\nkind: Secret\nmetadata: {name: sops-age, namespace: "
	             "apps}\nstringData:\n"
	             "  age.agekey: |\n");
	for (i = 0; i < key.len; i++) {
		if (i == 0 || key.p[i - 1] == '\n')
			buf_adds(&y, "    ");
		buf_addc(&y, key.p[i]);
	}
	must_pass(doc_parse_one(&sec, "sops-age.yaml", y.p, y.len, 0));
	must_pass(decrypt_ctx_new(&c, NULL));
	must_pass(decrypt_ctx_add_secret(c, sec, DECRYPT_IDS_ANY));
	must_pass(load(&st, "fixtures/decrypt/secret.enc.yaml", "secret.enc.yaml"));
	assert_int(decrypt_objects(c, st.docs, st.n, NULL), 1);
	doc_stream_release(&st);
	decrypt_ctx_free(c);
	doc_free(sec);
	/* an entry named age.key is ignored, as Flux does: say so */
	buf_reset(&y);
	buf_adds(
	    &y,
	    "kind: Secret\nmetadata: {name: sops-age, namespace: apps}\ndata: {age.key: eA==}\n");
	must_pass(doc_parse_one(&sec, "s.yaml", y.p, y.len, 0));
	must_pass(decrypt_ctx_new(&c, NULL));
	must_fail_with(decrypt_ctx_add_secret(c, sec, DECRYPT_IDS_ANY), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "Secret apps/sops-age has no entry ending in .agekey");
	decrypt_ctx_free(c);
	doc_free(sec);
	buf_release(&key);
	buf_release(&y);
}
