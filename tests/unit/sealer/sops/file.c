/* SOPS files through the library: upstream fixtures, MAC, metadata, .sops.yaml, splice. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "doc/doc.h"
#include "sealer/age/age.h"
#include "sealer/sops/sops.h"
#include "test.h"

static int open_fixture(struct sops_file *f, const char *rel, enum sops_format fmt,
                        unsigned char key[32])
{
	struct buf data = BUF_INIT(1 << 20), k = BUF_INIT_SECRET(4096);
	struct age_identity *ids = NULL;
	int rc;
	if ((rc = test_read_fixture(&data, rel)) < 0 ||
	    (rc = sops_file_load(f, rel, data.p, data.len, fmt)) < 0)
		goto out;
	if ((rc = test_read_fixture(&k, "fixtures/sops-upstream/key.txt")) < 0 ||
	    (rc = age_identities_parse(&ids, k.p, k.len, "key.txt")) < 0)
		goto out;
	rc = sops_meta_data_key(&f->meta, ids, "", key);
out:
	age_identities_free(ids);
	buf_release(&data);
	buf_release(&k);
	return rc;
}

void test_sops_file__upstream_yaml_metadata_and_mac(void)
{
	struct sops_file f;
	unsigned char key[32];
	must_pass(open_fixture(&f, "fixtures/sops-upstream/secret.enc.yaml", SOPS_FMT_YAML, key));
	assert_int(f.meta.ngroups, 1);
	assert_int(f.meta.groups[0].nage, 3);
	assert_str(f.meta.version, "3.8.1");
	assert_str(f.meta.lastmodified, "2024-03-25T22:08:10Z");
	assert_int(f.meta.rules.kind, SOPS_RULE_UNENCRYPTED_SUFFIX);
	must_pass(sops_file_decrypt(&f, key, 0));
	assert_str(doc_str(doc_get(f.docs[0], "secret")), "this is a secret");
	assert_int(doc_kind(doc_get(f.docs[0], "int")), DOC_INT);
	assert_int(doc_kind(doc_get(f.docs[0], "boolean")), DOC_BOOL);
	assert_str(doc_str(doc_val_at(doc_getp(f.docs[0], "complex", "array", NULL), 2)), "three");
	sops_file_release(&f);
}

void test_sops_file__upstream_json_and_dotenv(void)
{
	struct sops_file f;
	unsigned char key[32];
	struct buf out = BUF_INIT_SECRET(1 << 20), want = BUF_INIT(4096);
	must_pass(
	    open_fixture(&f, "fixtures/sops-upstream/secret.enc.sops392.json", SOPS_FMT_JSON, key));
	must_pass(sops_file_decrypt(&f, key, 0));
	assert_str(doc_str(doc_get(f.docs[0], "0word")), "gotta match go");
	sops_file_release(&f);
	must_pass(open_fixture(&f, "fixtures/sops-upstream/secret.enc.env", SOPS_FMT_DOTENV, key));
	must_pass(sops_file_decrypt(&f, key, 0));
	must_pass(sops_file_emit(&out, &f, SOPS_FMT_DOTENV, 0, 0));
	must_pass(
	    test_read_fixture(&want, "fixtures/sops-upstream/expected/secret.dec-by-go-sops.env"));
	assert_mem(out.p, out.len, want.p, want.len);
	sops_file_release(&f);
	buf_release(&out);
	buf_release(&want);
}

void test_sops_file__mac_mismatch_and_ignore(void)
{
	struct sops_file f;
	unsigned char key[32];
	must_pass(open_fixture(&f, "fixtures/sops-upstream/secret.enc.yaml", SOPS_FMT_YAML, key));
	/* another lastmodified: the MAC's AAD no longer matches */
	free(f.meta.lastmodified);
	f.meta.lastmodified = strdup("2024-03-25T22:08:11Z");
	must_fail_with(sops_file_decrypt(&f, key, 0), SOPS_ERR(GS_EAUTH, SOPS_EXIT_MAC_MISMATCH));
	assert_contains(gs_error_last(), "Cannot decrypt MAC");
	sops_file_release(&f);
	must_pass(open_fixture(&f, "fixtures/sops-upstream/secret.enc.yaml", SOPS_FMT_YAML, key));
	/* a plaintext leaf that was hashed changes: computed MAC differs */
	must_pass(doc_set(f.docs[0], "extra_unencrypted", doc_new_strz("x")));
	must_fail_with(sops_file_decrypt(&f, key, 0), SOPS_ERR(GS_EAUTH, SOPS_EXIT_MAC_MISMATCH));
	assert_contains(gs_error_last(), "MAC mismatch. File has ");
	sops_file_release(&f);
	must_pass(open_fixture(&f, "fixtures/sops-upstream/secret.enc.yaml", SOPS_FMT_YAML, key));
	must_pass(doc_set(f.docs[0], "extra_unencrypted", doc_new_strz("x")));
	must_pass(sops_file_decrypt(&f, key, 1));
	sops_file_release(&f);
}

void test_sops_file__encrypt_roundtrip_keeps_mac_and_types(void)
{
	static const char src[] =
	    "a: 1\nb: 2.50\nc: true\nd: text\ne: \"\"\nf: null\ng: [x, {h: 0x10}]\n";
	struct sops_file f, g;
	unsigned char key[32];
	struct buf out = BUF_INIT(1 << 20), dec = BUF_INIT_SECRET(1 << 20);
	struct sops_keyspec spec = { 0 };
	struct buf sk = BUF_INIT_SECRET(256), pk = BUF_INIT(256);
	struct age_identity *ids = NULL;

	must_pass(age_keygen(&sk, &pk));
	must_pass(age_identities_parse(&ids, sk.p, sk.len, "k"));
	must_pass(sops_keyspec_add_group(&spec, pk.p));
	must_pass(sops_file_load_plain(&f, "t.yaml", src, sizeof(src) - 1, SOPS_FMT_YAML));
	must_pass(sops_rules_set(&f.meta.rules, SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted"));
	sops_data_key_new(key);
	must_pass(sops_meta_set_keys(&f.meta, &spec, key));
	must_pass(sops_file_encrypt(&f, key, NULL));
	must_pass(sops_file_emit(&out, &f, SOPS_FMT_YAML, 1, 0));
	assert_contains(out.p, "e: \"\"");
	assert_contains(out.p, "type:float]");
	must_pass(sops_file_load(&g, "t.yaml", out.p, out.len, SOPS_FMT_YAML));
	memset(key, 0, sizeof(key));
	must_pass(sops_meta_data_key(&g.meta, ids, "", key));
	must_pass(sops_file_decrypt(&g, key, 0));
	must_pass(sops_file_emit(&dec, &g, SOPS_FMT_JSON, 0, 0));
	assert_contains(dec.p, "\"b\": 2.5");
	assert_contains(dec.p, "\"h\": 16"); /* ints are re-rendered as sops does (0x10 -> 16) */
	assert_contains(dec.p, "\"c\": true");
	sops_file_release(&f);
	sops_file_release(&g);
	sops_keyspec_release(&spec);
	age_identities_free(ids);
	buf_release(&out);
	buf_release(&dec);
	buf_release(&sk);
	buf_release(&pk);
}

void test_sops_file__refuses_encrypted_input_and_missing_metadata(void)
{
	struct sops_file f;
	struct buf data = BUF_INIT(1 << 20);
	must_pass(test_read_fixture(&data, "fixtures/sops-upstream/secret.enc.yaml"));
	must_fail_with(sops_file_load_plain(&f, "x.yaml", data.p, data.len, SOPS_FMT_YAML),
	               SOPS_ERR(GS_ECONFLICT, SOPS_EXIT_ALREADY_ENCRYPTED));
	must_fail_with(sops_file_load(&f, "p.yaml", "a: 1\n", 5, SOPS_FMT_YAML), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "sops metadata not found");
	must_fail(sops_file_load(&f, "p.env", "sops_version=3.9.4\nx=1\n", 22, SOPS_FMT_DOTENV));
	buf_release(&data);
}

void test_sops_file__config_rules(void)
{
	static const char cfg[] =
	    "creation_rules:\n"
	    "  - path_regex: prod/.*\\.yaml$\n    encrypted_regex: ^data$\n    age: [age1a, "
	    "age1b]\n"
	    "  - path_regex: dev/\n    age: 'age1c, age1d'\n    mac_only_encrypted: true\n"
	    "  - shamir_threshold: 2\n    key_groups:\n      - age: [age1e]\n      - age: [age1f]\n"
	    "stores:\n  yaml:\n    indent: 2\n";
	char dir[] = "/tmp/gitseal-unit-sops.XXXXXX", path[128];
	struct sops_config c;
	const struct sops_creation_rule *r;
	char *found = NULL;
	assert_true(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/.sops.yaml", dir);
	must_pass(file_write_atomic(path, cfg, sizeof(cfg) - 1, 0600, 0));
	must_pass(sops_config_load(&c, path));
	assert_int(c.nrules, 3);
	assert_int(c.yaml_indent, 2);
	snprintf(path, sizeof(path), "%s/prod/app.yaml", dir);
	must_pass(sops_config_match(&c, path, &r));
	assert_int(r->rule_kind, SOPS_RULE_ENCRYPTED_REGEX);
	assert_str(r->keys.groups[0][1], "age1b");
	snprintf(path, sizeof(path), "%s/dev/x.json", dir);
	must_pass(sops_config_match(&c, path, &r));
	assert_str(r->keys.groups[0][1], "age1d");
	assert_true(r->mac_only_encrypted);
	snprintf(path, sizeof(path), "%s/other.txt", dir);
	must_pass(sops_config_match(&c, path, &r));
	assert_int(r->keys.ngroups, 2);
	assert_int(r->keys.shamir_threshold, 2);
	must_pass(sops_config_find(&found, dir));
	assert_contains(found, "/.sops.yaml");
	free(found);
	sops_config_release(&c);
	snprintf(path, sizeof(path), "%s/.sops.yaml", dir);
	unlink(path);
	rmdir(dir);
}

void test_sops_file__splice_keeps_bytes(void)
{
	static const char src[] = "# head\nkeep: 'as is'   # note\nchange: old\nlist:\n  - a\n";
	struct sops_file f;
	struct buf out = BUF_INIT_SECRET(1 << 20);
	must_pass(sops_file_load_plain(&f, "s.yaml", src, sizeof(src) - 1, SOPS_FMT_YAML));
	must_pass(doc_set_scalar(doc_get(f.docs[0], "change"), DOC_STR, "new: value", 10));
	must_pass(sops_yaml_splice(&out, &f, src, sizeof(src) - 1, 0, 0, NULL, NULL, NULL));
	assert_str(out.p, "# head\nkeep: 'as is'   # note\nchange: \"new: value\"\nlist:\n  - a\n");
	sops_file_release(&f);
	buf_release(&out);
}
