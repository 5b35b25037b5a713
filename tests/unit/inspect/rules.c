/* sealer/inspect/inspect_rules.c: .sops.yaml creation rules against what they would encrypt. */
#include <stdlib.h>

#include "test.h"

#include "doc/doc.h"
#include "sealer/inspect/inspect.h"
#include "sealer/sops/sops.h"

/* Every document of yaml against one rule (kind, value); findings one per line into out. */
static int run_rule(struct buf *out, const char *yaml, enum sops_rule_kind kind, const char *value,
                    int by_path)
{
	struct doc_stream st = DOC_STREAM_INIT;
	struct inspect_report r = INSPECT_REPORT_INIT;
	struct sops_rules rules = { SOPS_RULE_NONE, NULL, NULL, 0 };
	struct inspect_rule rl = { NULL, ".sops.yaml", 3, 5,
		                   "creation rule 1 (path_regex 'apps/.*')" };
	size_t i;
	int rc;

	if ((rc = sops_rules_set(&rules, kind, value)) < 0)
		return rc;
	rl.rules = &rules;
	if ((rc = doc_parse(&st, "in.yaml", yaml, strlen(yaml), 0, NULL)) < 0)
		goto out;
	for (i = 0; i < st.n && rc >= 0; i++)
		rc = inspect_rule_document(&r, st.docs[i], &rl, by_path);
	if (rc >= 0)
		rc = inspect_rule_secret_fields(&r, &rl);
	for (i = 0; i < r.n; i++) {
		inspect_finding_format(out, &r.v[i]);
		buf_addc(out, '\n');
	}
	rc = rc < 0 ? rc : (int)r.n;
out:
	inspect_report_release(&r);
	doc_stream_release(&st);
	sops_rules_release(&rules);
	return rc;
}

static const char *secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\n"
                            "data:\n  a: YQ==\nstringData:\n  pw: hunter2\n";

void test_inspect_rules__kubernetes_rule_is_fine(void)
{
	struct buf out = BUF_INIT(1 << 16);
	assert_int(run_rule(&out, secret, SOPS_RULE_ENCRYPTED_REGEX, "^(data|stringData)$", 1), 0);
	assert_int(run_rule(&out, secret, SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted", 0), 0);
	buf_release(&out);
}

void test_inspect_rules__rule_leaving_string_data_is_named_at_the_rule(void)
{
	struct buf out = BUF_INIT(1 << 16);
	assert_int(run_rule(&out, secret, SOPS_RULE_ENCRYPTED_REGEX, "^data$", 1), 2);
	assert_contains(
	    out.p,
	    ".sops.yaml:3:5: creation rule 1 (path_regex 'apps/.*') has encrypted_regex '^data$': "
	    "encrypting Secret prod/db (in.yaml:7) with it would leave stringData.pw in plaintext "
	    "[sops-rule-unencrypted-data]\n");
	assert_contains(
	    out.p,
	    ".sops.yaml:3:5: creation rule 1 (path_regex 'apps/.*') has encrypted_regex '^data$', "
	    "which leaves a Secret's stringData unencrypted");
	assert_true(!strstr(out.p, "hunter2"));
	buf_release(&out);
}

void test_inspect_rules__unencrypted_regex_over_data(void)
{
	struct buf out = BUF_INIT(1 << 16);
	assert_int(run_rule(&out, secret, SOPS_RULE_UNENCRYPTED_REGEX, "^(data|stringData)$", 0),
	           2);
	assert_contains(out.p, "leaves a Secret's data and stringData unencrypted");
	buf_release(&out);
}

void test_inspect_rules__named_file_not_encrypted(void)
{
	struct buf out = BUF_INIT(1 << 16);
	/* a values file the rule names by its path: plaintext values it would encrypt */
	assert_int(run_rule(&out, "db:\n  password: hunter2\n  port: 5432\n",
	                    SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted", 1),
	           1);
	assert_contains(
	    out.p,
	    "in.yaml:2:13: document: creation rule 1 (path_regex 'apps/.*') names this file, but "
	    "it is not SOPS-encrypted: db.password and 1 other value it encrypts are plaintext "
	    "(gitseal sops encrypt -i) "
	    "[sops-file-not-encrypted]\n");
	buf_reset(&out);
	/* the same file under a catch-all rule (no path_regex): not a finding */
	assert_int(run_rule(&out, "db:\n  password: hunter2\n", SOPS_RULE_UNENCRYPTED_SUFFIX,
	                    "_unencrypted", 0),
	           0);
	/* a Kubernetes object other than a Secret is never a secret file */
	assert_int(run_rule(&out,
	                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
	                    SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted", 1),
	           0);
	/* already encrypted: its own rule is checked elsewhere */
	assert_int(run_rule(&out, "a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops: {mac: x}\n",
	                    SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted", 1),
	           0);
	buf_release(&out);
}

void test_inspect_rules__own_rule_leaves_secret_data(void)
{
	struct doc_stream st = DOC_STREAM_INIT;
	struct inspect_report r = INSPECT_REPORT_INIT;
	struct buf enc = BUF_INIT(1 << 16), mod = BUF_INIT(1 << 16), out = BUF_INIT(1 << 16);
	const char *rule, *user, *eol;
	size_t i;

	must_pass(test_read_fixture(&enc, "fixtures/decrypt/secret.enc.yaml"));
	/* the file's own rule narrowed to data, and stringData.username left in plaintext */
	rule = strstr(enc.p, "encrypted_regex: ^(data|stringData)$");
	user = strstr(enc.p, "username: ENC[");
	assert_true(rule && user && user < rule);
	eol = strchr(user, '\n');
	buf_add(&mod, enc.p, (size_t)(user - enc.p));
	buf_adds(&mod, "username: admin-user");
	buf_add(&mod, eol, (size_t)(rule - eol));
	buf_adds(&mod, "encrypted_regex: ^data$");
	buf_adds(&mod, rule + strlen("encrypted_regex: ^(data|stringData)$"));
	must_pass(doc_parse(&st, "in.yaml", mod.p, mod.len, 0, NULL));
	for (i = 0; i < st.n; i++)
		must_pass(inspect_object(&r, st.docs[i], INSPECT_COMMITTED));
	for (i = 0; i < r.n; i++) {
		inspect_finding_format(&out, &r.v[i]);
		buf_addc(&out, '\n');
	}
	assert_contains(
	    out.p, "in.yaml:10:15: Secret prod/db: stringData.username is in plaintext: the file's "
	           "encrypted_regex '^data$' leaves it unencrypted");
	assert_contains(out.p, "[sops-rule-unencrypted-data]");
	assert_true(!strstr(out.p, "admin-user"));
	inspect_report_release(&r);
	doc_stream_release(&st);
	buf_release(&enc);
	buf_release(&mod);
	buf_release(&out);
}

void test_inspect_rules__new_code_names_are_stable(void)
{
	assert_str(inspect_code_name(INSPECT_SOPS_RULE_UNENCRYPTED_DATA),
	           "sops-rule-unencrypted-data");
	assert_str(inspect_code_name(INSPECT_SOPS_FILE_NOT_ENCRYPTED), "sops-file-not-encrypted");
	assert_str(inspect_code_name(INSPECT_SOPS_CONFIG_INVALID), "sops-config-invalid");
	assert_str(inspect_code_name(INSPECT_APPLICATION_FIELD), "application-field");
	assert_str(inspect_code_name(INSPECT_PARSE_ERROR), "parse-error");
	assert_str(inspect_code_name(INSPECT_SOPS_MAC_MISMATCH), "sops-mac-mismatch");
	assert_str(inspect_code_name(INSPECT_SOPS_NO_KEY), "sops-no-key");
	assert_str(inspect_code_name(INSPECT_SEALED_NO_KEY), "sealed-no-key");
	assert_str(inspect_code_name(INSPECT_NCODES + 1), "unknown");
}
