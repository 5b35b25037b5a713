/*
 * What the sops command decides, through the library (sops_policy.c, sops_ops.c): which
 * keys and rules a new file gets, recipient lists, encrypting again with a previous
 * version, rotating. Keys are made here; SOPS_AGE_KEY_FILE points at them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "doc/doc.h"
#include "sealer/age/age.h"
#include "sealer/sops/sops.h"
#include "test.h"

struct env {
	char dir[64];
	char pk[2][128]; /* two recipients, age1... */
};

/* A temp dir with two identities in keys.txt (SOPS_AGE_KEY_FILE) and a .sops.yaml. */
static int env_setup(struct env *e)
{
	struct buf keys = BUF_INIT_SECRET(4096), conf = BUF_INIT(4096), path = BUF_INIT(256);
	int rc = 0, i;

	snprintf(e->dir, sizeof(e->dir), "/tmp/gitseal-unit-sops.XXXXXX");
	if (!mkdtemp(e->dir))
		return gs_error(GS_EIO, "mkdtemp");
	for (i = 0; i < 2 && rc == 0; i++) {
		struct buf sk = BUF_INIT_SECRET(256), pk = BUF_INIT(256);
		if ((rc = age_keygen(&sk, &pk)) == 0) {
			snprintf(e->pk[i], sizeof(e->pk[i]), "%s", pk.p);
			rc = buf_addf(&keys, "%s\n", sk.p);
		}
		buf_release(&sk);
		buf_release(&pk);
	}
	if (rc == 0)
		rc = buf_addf(&conf,
		              "creation_rules:\n"
		              "  - path_regex: ^secrets/\n"
		              "    encrypted_regex: ^(data|stringData)$\n"
		              "    age: %s\n"
		              "  - path_regex: ^groups/\n"
		              "    shamir_threshold: 1\n"
		              "    key_groups:\n"
		              "      - age: [%s]\n"
		              "      - age: [%s]\n"
		              "  - path_regex: ^nokeys/\n"
		              "    unencrypted_suffix: _plain\n",
		              e->pk[0], e->pk[0], e->pk[1]);
	if (rc == 0 && (rc = buf_addf(&path, "%s/keys.txt", e->dir)) == 0 &&
	    (rc = file_write_atomic(path.p, keys.p, keys.len, 0600, 0)) == 0) {
		setenv("SOPS_AGE_KEY_FILE", path.p, 1);
		unsetenv("SOPS_AGE_KEY");
		unsetenv("SOPS_AGE_KEY_CMD");
		setenv("XDG_CONFIG_HOME", e->dir, 1); /* no keys.txt of the user's */
		buf_reset(&path);
		if ((rc = buf_addf(&path, "%s/.sops.yaml", e->dir)) == 0)
			rc = file_write_atomic(path.p, conf.p, conf.len, 0644, 0);
	}
	buf_release(&keys);
	buf_release(&conf);
	buf_release(&path);
	return rc;
}

static void env_cleanup(struct env *e)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/keys.txt", e->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/.sops.yaml", e->dir);
	unlink(p);
	rmdir(e->dir);
	unsetenv("SOPS_AGE_KEY_FILE");
}

static int load_conf(struct sops_config *c, const struct env *e)
{
	int have = 0, rc = sops_config_discover(c, &have, NULL, e->dir);
	if (rc == 0 && !have)
		rc = gs_error(GS_ENOTFOUND, "no .sops.yaml found in %s", e->dir);
	return rc;
}

void test_sops_policy__flags_then_creation_rule_then_default(void)
{
	struct env e;
	struct sops_config c;
	struct sops_encrypt_opts o = SOPS_ENCRYPT_OPTS_INIT;
	struct sops_keyspec spec = { 0 };
	struct sops_rules r = { 0 };
	char name[128];

	must_pass(env_setup(&e));
	must_pass(load_conf(&c, &e));
	/* the matching rule: its rule and its recipients */
	snprintf(name, sizeof(name), "%s/secrets/db.yaml", e.dir);
	must_pass(sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_YAML, 1));
	assert_int(r.kind, SOPS_RULE_ENCRYPTED_REGEX);
	assert_str(r.value, "^(data|stringData)$");
	assert_int(spec.ngroups, 1);
	assert_str(spec.groups[0][0], e.pk[0]);
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	/* flags win over the rule: --age and --unencrypted-regex */
	o.age = e.pk[1];
	o.rule = SOPS_RULE_UNENCRYPTED_REGEX;
	o.rule_value = "^kind$";
	o.rule_count = 1;
	must_pass(sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_YAML, 1));
	assert_int(r.kind, SOPS_RULE_UNENCRYPTED_REGEX);
	assert_str(spec.groups[0][0], e.pk[1]);
	assert_true(spec.groups[0][1] == NULL);
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	/* key groups and the threshold of the rule */
	o = (struct sops_encrypt_opts)SOPS_ENCRYPT_OPTS_INIT;
	snprintf(name, sizeof(name), "%s/groups/x.json", e.dir);
	must_pass(sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_JSON, 1));
	assert_int(spec.ngroups, 2);
	assert_int(spec.shamir_threshold, 1);
	assert_int(r.kind, SOPS_RULE_UNENCRYPTED_SUFFIX); /* sops' default */
	assert_str(r.value, "_unencrypted");
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	/* gitseal encrypt's default regex applies when neither flags nor rule choose; binary has no
	 * rule */
	o.default_regex = "^(data|stringData)$";
	o.age = e.pk[0];
	must_pass(sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_YAML, 1));
	assert_int(r.kind, SOPS_RULE_ENCRYPTED_REGEX);
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	must_pass(sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_BINARY, 1));
	assert_int(r.kind, SOPS_RULE_NONE);
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	sops_config_release(&c);
	env_cleanup(&e);
}

void test_sops_policy__refusals_carry_sops_exit_codes(void)
{
	struct env e;
	struct sops_config c;
	struct sops_encrypt_opts o = SOPS_ENCRYPT_OPTS_INIT;
	struct sops_keyspec spec = { 0 };
	struct sops_rules r = { 0 };
	char name[128];
	int rc;

	must_pass(env_setup(&e));
	must_pass(load_conf(&c, &e));
	snprintf(name, sizeof(name), "%s/secrets/db.yaml", e.dir);
	o.rule_count = 2; /* --encrypted-regex and --unencrypted-suffix */
	rc = sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_YAML, 1);
	assert_int(sops_exit_code(rc), SOPS_EXIT_CONFLICT);
	assert_contains(gs_error_last(), "cannot use more than one of");
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	/* a rule without keys, and no config at all, each with sops' message */
	o.rule_count = 0;
	snprintf(name, sizeof(name), "%s/nokeys/a.yaml", e.dir);
	must_fail_with(sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_YAML, 1), GS_EINVAL);
	assert_contains(gs_error_last(), "the matching creation rule has no age keys");
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	must_fail_with(sops_encrypt_config(&spec, &r, &o, NULL, name, SOPS_FMT_YAML, 1), GS_EINVAL);
	assert_contains(gs_error_last(), "config file not found, or has no creation rules");
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	/* no keys are fine when they are not needed (a previous version brings them) */
	must_pass(sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_YAML, 0));
	assert_int(r.kind, SOPS_RULE_UNENCRYPTED_SUFFIX);
	assert_str(r.value, "_plain");
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	/* no rule matches */
	snprintf(name, sizeof(name), "%s/elsewhere/a.yaml", e.dir);
	must_fail_with(sops_encrypt_config(&spec, &r, &o, &c, name, SOPS_FMT_YAML, 1),
	               GS_ENOTFOUND);
	assert_contains(gs_error_last(), "no matching creation rules found");
	sops_keyspec_release(&spec);
	sops_rules_release(&r);
	sops_config_release(&c);
	env_cleanup(&e);
}

void test_sops_policy__recipient_lists(void)
{
	struct sops_keyspec a = { 0 }, b = { 0 };
	struct sops_meta m;
	struct sops_age_key k0[2] = { { (char *)"age1one", NULL }, { (char *)"age1two", NULL } },
	                    k1[1] = { { (char *)"age1three", NULL } };
	struct sops_group g[2];

	memset(&m, 0, sizeof(m));
	memset(g, 0, sizeof(g));
	g[0].age = k0;
	g[0].nage = 2;
	g[1].age = k1;
	g[1].nage = 1;
	m.groups = g;
	m.ngroups = 2;
	m.shamir_threshold = 2;
	/* rotate --rm-age age1two --add-age age1four,age1one */
	must_pass(sops_keyspec_from_meta(&a, &m, "age1four,age1one", "age1two"));
	assert_int(a.ngroups, 2);
	assert_str(a.groups[0][0], "age1one");
	assert_str(a.groups[0][1], "age1four");
	assert_true(a.groups[0][2] == NULL);
	assert_str(a.groups[1][0], "age1three");
	assert_int(a.shamir_threshold, 2);
	assert_true(!sops_keyspec_matches(&a, &m, 0));
	/* the same recipients in another order match; the threshold only when asked */
	must_pass(sops_keyspec_add_group(&b, "age1two, age1one"));
	must_pass(sops_keyspec_add_group(&b, "age1three"));
	b.shamir_threshold = 1;
	assert_true(sops_keyspec_matches(&b, &m, 0));
	assert_true(!sops_keyspec_matches(&b, &m, 1));
	b.shamir_threshold = 2;
	assert_true(sops_keyspec_matches(&b, &m, 1));
	/* groups delete 0 */
	must_pass(sops_keyspec_remove_group(&b, 0));
	assert_int(b.ngroups, 1);
	assert_str(b.groups[0][0], "age1three");
	must_fail_with(sops_keyspec_remove_group(&b, 1), GS_EINVAL);
	sops_keyspec_release(&a);
	sops_keyspec_release(&b);
}

/* The ENC[...] text of key k in document 0 of an encrypted YAML text. */
static int enc_of(struct buf *out, const char *text, size_t len, const char *k)
{
	struct doc *d = NULL;
	int rc = doc_parse_one(&d, "out.yaml", text, len, 0);
	if (rc == 0) {
		const char *v = doc_str(doc_getp(d, "stringData", k, NULL));
		buf_reset(out);
		rc = v ? buf_adds(out, v) : gs_error(GS_ENOTFOUND, "no stringData.%s", k);
	}
	doc_free(d);
	return rc;
}

void test_sops_policy__encrypt_again_keeps_unchanged_ciphertext(void)
{
	static const char v1[] = "kind: Secret\nstringData:\n  a: one # first\n  b: two\n";
	static const char v2[] = "kind: Secret\nstringData:\n  a: one # first\n  b: TWO\n";
	struct env e;
	struct sops_file f, g;
	struct sops_keyspec spec = { 0 }, other = { 0 };
	struct sops_previous prev = { "prev.yaml", NULL, 0, 0 };
	struct buf out1 = BUF_INIT(1 << 16), out2 = BUF_INIT(1 << 16), out3 = BUF_INIT(1 << 16);
	struct buf x = BUF_INIT(4096), y = BUF_INIT(4096);
	unsigned char key[SOPS_KEY_LEN];

	must_pass(env_setup(&e));
	must_pass(sops_keyspec_add_group(&spec, e.pk[0]));
	memset(&f, 0, sizeof(f));
	must_pass(sops_file_load_plain(&f, "s.yaml", v1, sizeof(v1) - 1, SOPS_FMT_YAML));
	must_pass(sops_rules_set(&f.meta.rules, SOPS_RULE_ENCRYPTED_REGEX, "^stringData$"));
	must_pass(sops_encrypt(&out1, &f, v1, sizeof(v1) - 1, &spec, NULL, SOPS_FMT_YAML, 0));
	sops_file_release(&f);
	assert_true(strstr(out1.p, "# ENC[") || strstr(out1.p, "#ENC["));
	/* again, with the first output as the previous version: a keeps its bytes, b changes */
	prev.data = out1.p;
	prev.len = out1.len;
	must_pass(sops_file_load_plain(&f, "s.yaml", v2, sizeof(v2) - 1, SOPS_FMT_YAML));
	must_pass(sops_rules_set(&f.meta.rules, SOPS_RULE_ENCRYPTED_REGEX, "^stringData$"));
	must_pass(sops_encrypt(&out2, &f, v2, sizeof(v2) - 1, &spec, &prev, SOPS_FMT_YAML, 0));
	sops_file_release(&f);
	must_pass(enc_of(&x, out1.p, out1.len, "a"));
	must_pass(enc_of(&y, out2.p, out2.len, "a"));
	assert_str(y.p, x.p);
	must_pass(enc_of(&x, out1.p, out1.len, "b"));
	must_pass(enc_of(&y, out2.p, out2.len, "b"));
	assert_true(strcmp(x.p, y.p) != 0);
	/* and it opens, with b's new value */
	must_pass(sops_file_open(&g, "out2.yaml", out2.p, out2.len, SOPS_FMT_YAML, key));
	must_pass(sops_file_decrypt(&g, key, 0));
	assert_str(doc_str(doc_getp(g.docs[0], "stringData", "b", NULL)), "TWO");
	sops_file_release(&g);
	/* a hint (HEAD) made for other recipients is ignored: everything encrypted afresh */
	must_pass(sops_keyspec_add_group(&other, e.pk[1]));
	prev.hint = 1;
	must_pass(sops_file_load_plain(&f, "s.yaml", v2, sizeof(v2) - 1, SOPS_FMT_YAML));
	must_pass(sops_rules_set(&f.meta.rules, SOPS_RULE_ENCRYPTED_REGEX, "^stringData$"));
	must_pass(sops_encrypt(&out3, &f, v2, sizeof(v2) - 1, &other, &prev, SOPS_FMT_YAML, 0));
	sops_file_release(&f);
	must_pass(enc_of(&x, out3.p, out3.len, "a"));
	must_pass(enc_of(&y, out2.p, out2.len, "a"));
	assert_true(strcmp(x.p, y.p) != 0);
	must_pass(sops_file_load(&g, "out3.yaml", out3.p, out3.len, SOPS_FMT_YAML));
	assert_str(g.meta.groups[0].age[0].recipient, e.pk[1]);
	sops_file_release(&g);
	/* an explicit previous version that does not open is an error, not a hint */
	prev.hint = 0;
	prev.data = v1;
	prev.len = sizeof(v1) - 1;
	must_pass(sops_file_load_plain(&f, "s.yaml", v2, sizeof(v2) - 1, SOPS_FMT_YAML));
	buf_reset(&out3);
	must_fail_with(sops_encrypt(&out3, &f, v2, sizeof(v2) - 1, &spec, &prev, SOPS_FMT_YAML, 0),
	               GS_ENOTFOUND);
	assert_contains(gs_error_last(), "sops metadata not found");
	sops_file_release(&f);
	sops_keyspec_release(&spec);
	sops_keyspec_release(&other);
	buf_release(&out1);
	buf_release(&out2);
	buf_release(&out3);
	buf_release(&x);
	buf_release(&y);
	env_cleanup(&e);
}

void test_sops_policy__rotate_new_data_key_and_recipients(void)
{
	static const char v[] = "# top\na: one\nb: two # note\n";
	struct env e;
	struct sops_file f;
	struct sops_keyspec spec = { 0 }, next = { 0 };
	struct sops_layout lay = SOPS_LAYOUT_INIT;
	struct buf out1 = BUF_INIT(1 << 16), out2 = BUF_INIT(1 << 16);
	unsigned char key[SOPS_KEY_LEN], k1[SOPS_KEY_LEN];

	must_pass(env_setup(&e));
	must_pass(sops_keyspec_add_group(&spec, e.pk[0]));
	memset(&f, 0, sizeof(f));
	must_pass(sops_file_load_plain(&f, "r.yaml", v, sizeof(v) - 1, SOPS_FMT_YAML));
	must_pass(sops_rules_set(&f.meta.rules, SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted"));
	must_pass(sops_encrypt(&out1, &f, v, sizeof(v) - 1, &spec, NULL, SOPS_FMT_YAML, 0));
	sops_file_release(&f);
	/* rotate to the second recipient */
	must_pass(sops_file_open(&f, "r.yaml", out1.p, out1.len, SOPS_FMT_YAML, key));
	memcpy(k1, key, sizeof(k1));
	must_pass(sops_keyspec_from_meta(&next, &f.meta, e.pk[1], e.pk[0]));
	lay.src = out1.p;
	lay.src_len = out1.len;
	must_pass(sops_file_rotate(&out2, &f, key, &next, SOPS_FMT_YAML, &lay, 0));
	sops_file_release(&f);
	assert_true(memcmp(k1, key, sizeof(key)) != 0);
	/* comments and order kept; it opens with the new data key and says the new recipient */
	assert_true(!strncmp(out2.p, "#ENC[", 5) || !strncmp(out2.p, "# ENC[", 6));
	must_pass(sops_file_open(&f, "r.yaml", out2.p, out2.len, SOPS_FMT_YAML, k1));
	assert_mem(k1, sizeof(k1), key, sizeof(key));
	assert_int(f.meta.groups[0].nage, 1);
	assert_str(f.meta.groups[0].age[0].recipient, e.pk[1]);
	must_pass(sops_file_decrypt(&f, k1, 0));
	assert_str(doc_str(doc_get(f.docs[0], "b")), "two");
	sops_file_release(&f);
	sops_keyspec_release(&spec);
	sops_keyspec_release(&next);
	buf_release(&out1);
	buf_release(&out2);
	env_cleanup(&e);
}
