/* lib/source credentials from Kubernetes Secrets (Flux's and Argo CD's keys) and from files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc/doc.h"
#include "source/source_int.h"
#include "test.h"

static struct doc *parse(const char *yaml)
{
	struct doc *d = NULL;
	if (doc_parse_one(&d, "secret.yaml", yaml, strlen(yaml), 0) < 0)
		return NULL;
	return d;
}

void test_source_creds__flux_keys(void)
{
	/* username "git", password "s3cret", bearerToken in stringData, identity, known_hosts,
	 * ca.crt */
	struct doc *d = parse(
	    "apiVersion: v1\nkind: Secret\nmetadata: {name: repo-creds}\n"
	    "data:\n  username: Z2l0\n  password: czNjcmV0\n"
	    "  identity: LS0tLS1CRUdJTiBLRVktLS0tLQo=\n  known_hosts: aCBzc2gtZWQyNTUxOSBBQUFB\n"
	    "  ca.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
	    "stringData:\n  bearerToken: tok-123\n");
	struct source_creds *cr = NULL;
	assert_true(d != NULL);
	must_pass(source_creds_from_secret(&cr, d));
	assert_str(cr->username, "git");
	assert_str(cr->password.p, "s3cret");
	assert_true(cr->password.secret);
	assert_str(cr->bearer_token.p, "tok-123");
	assert_str(cr->identity.p, "-----BEGIN KEY-----\n");
	assert_true(cr->identity.secret);
	assert_true(cr->have_known_hosts);
	assert_str(cr->known_hosts.p, "h ssh-ed25519 AAAA");
	assert_contains(cr->ca.p, "BEGIN CERTIFICATE");
	assert_true(!cr->ssh_defaults);
	source_creds_free(cr);
	doc_free(d);
}

void test_source_creds__argo_keys_and_stringdata_over_data(void)
{
	struct doc *d = parse("kind: Secret\nmetadata: {name: argo}\n"
	                      "stringData:\n  sshPrivateKey: KEY\n  tlsClientCertData: CERT\n  "
	                      "tlsClientCertKey: PKEY\n"
	                      "  password: from-stringdata\n"
	                      "data:\n  password: ZnJvbS1kYXRh\n");
	struct source_creds *cr = NULL;
	assert_true(d != NULL);
	must_pass(source_creds_from_secret(&cr, d));
	assert_str(cr->identity.p, "KEY");
	assert_str(cr->tls_cert.p, "CERT");
	assert_str(cr->tls_key.p, "PKEY");
	assert_true(cr->tls_key.secret);
	assert_str(cr->password.p, "from-stringdata");
	assert_true(!cr->have_known_hosts);
	source_creds_free(cr);
	doc_free(d);
}

void test_source_creds__bad_secrets_are_named(void)
{
	struct source_creds *cr = NULL;
	struct doc *d =
	    parse("kind: Secret\nmetadata: {name: broken}\ndata:\n  password: '***not base64'\n");
	assert_true(d != NULL);
	must_fail_with(source_creds_from_secret(&cr, d), GS_EPARSE);
	assert_str(gs_error_last(), "secret 'broken': data.password: not valid base64");
	assert_true(cr == NULL);
	doc_free(d);

	d = parse("kind: Secret\nmetadata: {name: half}\nstringData:\n  tls.crt: CERT\n");
	must_fail_with(source_creds_from_secret(&cr, d), GS_EPARSE);
	assert_contains(gs_error_last(), "secret 'half': tls.crt without a client key");
	doc_free(d);

	d = parse("kind: Secret\nmetadata: {name: nl}\nstringData:\n  bearerToken: \"a\\nb\"\n");
	must_fail_with(source_creds_from_secret(&cr, d), GS_EPARSE);
	assert_contains(gs_error_last(), "bearerToken holds a line break");
	doc_free(d);

	d = parse("- not\n- a map\n");
	must_fail_with(source_creds_from_secret(&cr, d), GS_EPARSE);
	doc_free(d);
}

void test_source_creds__files_and_environment(void)
{
	char dir[] = "/tmp/gs-creds.XXXXXX", pw[64], key[64], kh[64];
	struct source_cred_files f = { NULL, NULL, NULL, NULL };
	struct source_creds *cr = NULL;
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	FILE *fp;

	assert_true(mkdtemp(dir) != NULL);
	snprintf(pw, sizeof(pw), "%s/pw", dir);
	snprintf(key, sizeof(key), "%s/key", dir);
	snprintf(kh, sizeof(kh), "%s/kh", dir);
	fp = fopen(pw, "w"), fputs("hunter2\n", fp), fclose(fp);
	fp = fopen(key, "w"), fputs("PRIVATE\n", fp), fclose(fp);
	fp = fopen(kh, "w"), fputs("h ssh-ed25519 AAAA\n", fp), fclose(fp);

	setenv("GITSEAL_GIT_USERNAME", "bob", 1);
	setenv("GITSEAL_GIT_PASSWORD", "from-env", 1);
	setenv("HOME", dir, 1); /* no ~/.ssh/known_hosts there */
	must_pass(source_creds_from_files(&cr, &f));
	assert_str(cr->username, "bob");
	assert_str(cr->password.p, "from-env");
	assert_true(cr->ssh_defaults);
	assert_true(!cr->have_known_hosts);
	source_creds_free(cr);

	f.password_file = pw;
	f.ssh_key = key;
	f.known_hosts = kh;
	must_pass(source_creds_from_files(&cr, &f));
	assert_str(cr->password.p, "hunter2"); /* the file wins, its newline dropped */
	assert_str(cr->identity.p, "PRIVATE\n");
	assert_true(!cr->ssh_defaults);
	assert_true(cr->have_known_hosts);
	source_creds_free(cr);

	f.ca_file = "/nonexistent/ca.pem";
	must_fail_with(source_creds_from_files(&cr, &f), GS_ENOTFOUND);
	assert_contains(gs_error_last(), "--ca-file: open /nonexistent/ca.pem");
	unsetenv("GITSEAL_GIT_USERNAME");
	unsetenv("GITSEAL_GIT_PASSWORD");
	if (home)
		setenv("HOME", home, 1);
	free(home);
	unlink(pw), unlink(key), unlink(kh), rmdir(dir);
}
