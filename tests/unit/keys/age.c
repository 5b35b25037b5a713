/* keys/keys_age.c: the cluster's age identities (Secrets, the ring), and a SOPS file encrypted to
 * one: opened by lib/decrypt with the identities only into the namespace the file names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#include "core/file.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"
#include "keys/keys.h"
#include "sealer/age/age.h"
#include "sealer/sops/sops.h"

void test_keys_age__secret_round_trip(void)
{
	struct doc *s = NULL;
	struct buf r = BUF_INIT(256), r2 = BUF_INIT(256), text = BUF_INIT_SECRET(4096);
	struct age_identity *ids = NULL;

	must_pass(keys_age_secret_new(&s, &r, "sealed", NULL));
	assert_true(keys_is_age_secret(s));
	assert_str(doc_str(doc_getp(s, "metadata", "generateName", NULL)), KEYS_AGE_PREFIX);
	assert_str(doc_str(doc_getp(s, "metadata", "namespace", NULL)), "sealed");
	assert_str(doc_str(doc_getp(s, "metadata", "labels", KEYS_AGE_LABEL, NULL)), "active");
	assert_str(doc_str(doc_getp(s, "metadata", "annotations", KEYS_AGE_ANNO, NULL)), r.p);
	assert_true(doc_flags(doc_getp(s, "data", KEYS_AGE_DATA, NULL)) & DOC_SECRET);
	must_pass(keys_age_secret_identity(s, &text, &r2));
	assert_str(r2.p, r.p);
	must_pass(age_identities_parse(&ids, text.p, text.len, "text"));
	assert_str(age_identity_recipient(ids, 0), r.p);
	/* an annotation that names another identity is refused */
	doc_set(doc_getp(s, "metadata", "annotations", NULL), KEYS_AGE_ANNO,
	        doc_new_strz("age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"));
	must_fail_with(keys_age_secret_identity(s, NULL, NULL), GS_EPARSE);
	assert_contains(gs_error_last(), "annotation does not name its identity");
	age_identities_free(ids);
	doc_free(s);
	buf_release(&r);
	buf_release(&r2);
	buf_release(&text);
}

static struct doc *identity_at(const char *name, const char *created, struct buf *rcpt)
{
	struct doc *s = NULL;
	if (keys_age_secret_new(&s, rcpt, "sealed", name) < 0)
		return NULL;
	doc_set(doc_get(s, "metadata"), "creationTimestamp", doc_new_strz(created));
	return s;
}

void test_keys_age__ring_newest_first_dedup_remove(void)
{
	struct keys_age_ring *r = NULL;
	struct buf a = BUF_INIT(256), b = BUF_INIT(256), n = BUF_INIT(256),
	           text = BUF_INIT_SECRET(1 << 16);
	struct doc *old = identity_at("old", "2024-01-01T00:00:00Z", &a);
	struct doc *new = identity_at("new", "2024-06-01T00:00:00Z", &b);
	struct keys_age_info *info = NULL;
	size_t count = 0;
	time_t created = 0;

	must_pass(keys_age_ring_new(&r));
	must_fail_with(keys_age_ring_newest(r, &n, NULL), GS_ENOTFOUND);
	assert_int(keys_age_ring_add_secret(r, new, -1), 1);
	assert_int(keys_age_ring_add_secret(r, old, -1), 1);
	assert_int(keys_age_ring_add_secret(r, old, -1), 0); /* the same identity again */
	assert_int(keys_age_ring_count(r), 2);
	must_pass(keys_age_ring_newest(r, &n, &created));
	assert_str(n.p, b.p);
	assert_int(created, 1717200000);
	must_pass(keys_age_ring_list(r, &info, &count));
	assert_int(count, 2);
	assert_str(info[0].name, "new");
	assert_str(info[1].recipient, a.p);
	assert_int(keys_age_ring_identities(r, &text), 2);
	assert_int(keys_age_ring_remove(r, "new"), 1);
	assert_int(keys_age_ring_remove(r, "new"), 0);
	buf_reset(&n);
	must_pass(keys_age_ring_newest(r, &n, NULL));
	assert_str(n.p, a.p);
	/* created in the same second as "old": the one added last is the newest */
	{
		struct buf c = BUF_INIT(256);
		struct doc *tie = identity_at("tie", "2024-01-01T00:00:00Z", &c);
		assert_int(keys_age_ring_add_secret(r, tie, -1), 1);
		buf_reset(&n);
		must_pass(keys_age_ring_newest(r, &n, NULL));
		assert_str(n.p, c.p);
		doc_free(tie);
		buf_release(&c);
	}
	free(info);
	keys_age_ring_free(r);
	doc_free(old);
	doc_free(new);
	buf_release(&a);
	buf_release(&b);
	buf_release(&n);
	buf_release(&text);
}

void test_keys_age__a_keyring_skips_identities_and_a_backup_yields_them(void)
{
	struct keys_ring ring = KEYS_RING_INIT;
	struct buf r = BUF_INIT(256), ids = BUF_INIT_SECRET(1 << 16),
	           text = BUF_INIT_SECRET(1 << 20);
	struct doc *s = identity_at("one", "2024-01-01T00:00:00Z", &r);
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;

	assert_int(keys_ring_add_doc(&ring, s, "backup"), 0);
	assert_int(ring.n, 0);
	must_pass(buf_adds(&text, "apiVersion: v1\nkind: List\nitems:\n-\n"));
	must_pass(doc_emit_yaml(&text, s, &eo));
	/* the emitted map under "-": indent it */
	{
		struct buf ind = BUF_INIT_SECRET(1 << 20);
		const char *p = strstr(text.p, "-\n") + 2;
		buf_add(&ind, text.p, (size_t)(p - text.p));
		for (; *p; p++) {
			if (p[-1] == '\n')
				buf_adds(&ind, "  ");
			buf_addc(&ind, *p);
		}
		assert_int(keys_age_load_text(&ids, ind.p, ind.len, "backup.yaml"), 1);
		buf_release(&ind);
	}
	assert_contains(ids.p, "AGE-SECRET-KEY-1");
	assert_contains(ids.p, r.p);
	keys_ring_release(&ring);
	doc_free(s);
	buf_release(&r);
	buf_release(&ids);
	buf_release(&text);
}

/* sops_cluster_fn: every cluster is the one identity's recipient */
static int the_cluster(void *ctx, const char *ref, struct buf *out)
{
	if (strcmp(ref, "prod"))
		return gs_error(GS_ENOTFOUND, "no cluster '%s'", ref);
	return buf_adds(out, ctx);
}

void test_keys_age__encrypted_to_the_cluster_opens_only_into_its_namespace(void)
{
	static const char secret[] = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
	                             "  namespace: team-a\nstringData:\n  password: s3cret\n";
	struct keys_age_ring *ring = NULL;
	struct sops_encrypt_opts eo = SOPS_ENCRYPT_OPTS_INIT;
	struct sops_keyspec spec = { 0 };
	struct sops_file f;
	struct decrypt_ctx *dc = NULL;
	struct decrypt_opts dopt = DECRYPT_OPTS_INIT;
	struct doc_stream st = DOC_STREAM_INIT;
	struct buf r = BUF_INIT(256), enc = BUF_INIT(1 << 16), ids = BUF_INIT_SECRET(1 << 16);
	struct doc *id = identity_at("one", "2024-01-01T00:00:00Z", &r);
	char root[] = "/tmp/gitseal-age-unit.XXXXXX", path[256];
	unsigned fl = 0;

	must_pass(keys_age_ring_new(&ring));
	assert_int(keys_age_ring_add_secret(ring, id, -1), 1);
	/* gitseal encrypt --to-cluster prod */
	memset(&f, 0, sizeof(f));
	eo.age = SOPS_CLUSTER_PREFIX "prod";
	eo.default_regex = "^(data|stringData)$";
	eo.cluster = the_cluster;
	eo.cluster_ctx = r.p;
	must_pass(sops_file_load_plain(&f, "db.yaml", secret, sizeof(secret) - 1, SOPS_FMT_YAML));
	must_pass(
	    sops_encrypt_config(&spec, &f.meta.rules, &eo, NULL, "db.yaml", SOPS_FMT_YAML, 1));
	assert_int(spec.clusters, 1);
	assert_str(spec.groups[0][0], r.p);
	must_pass(
	    sops_encrypt(&enc, &f, secret, sizeof(secret) - 1, &spec, NULL, SOPS_FMT_YAML, 0));
	assert_contains(enc.p, "namespace: team-a");
	/* the controller's identities, under the own-namespace rule; the file in a source tree */
	assert_true(mkdtemp(root) != NULL);
	snprintf(path, sizeof(path), "%s/db.enc.yaml", root);
	must_pass(file_write_atomic(path, enc.p, enc.len, 0644, 0));
	dopt.root = root;
	assert_int(keys_age_ring_identities(ring, &ids), 1);
	must_pass(decrypt_ctx_new(&dc, &dopt));
	must_pass(decrypt_ctx_add_identities(dc, ids.p, ids.len, "cluster identities",
	                                     DECRYPT_IDS_OWN_NAMESPACE));
	must_pass(doc_parse(&st, "db.enc.yaml", enc.p, enc.len, 0, NULL));
	assert_int(decrypt_objects(dc, st.docs, st.n, &fl), 1);
	assert_int(fl, DECRYPT_OBJ_SOPS | DECRYPT_OBJ_OWN_NAMESPACE);
	assert_str(doc_str(doc_getp(st.docs[0], "stringData", "password", NULL)), "s3cret");
	doc_stream_release(&st);
	/* moved into another team's namespace (what a kustomization's namespace: does) */
	must_pass(doc_parse(&st, "db.enc.yaml", enc.p, enc.len, 0, NULL));
	doc_set(doc_get(st.docs[0], "metadata"), "namespace", doc_new_strz("team-b"));
	must_fail_with(decrypt_objects(dc, st.docs, st.n, NULL), GS_EAUTH);
	assert_contains(gs_error_last(),
	                "decrypts only into the namespace the encrypted file names "
	                "('team-a'), not into 'team-b'");
	doc_stream_release(&st);
	unlink(path);
	rmdir(root);
	decrypt_ctx_free(dc);
	sops_file_release(&f);
	sops_keyspec_release(&spec);
	keys_age_ring_free(ring);
	doc_free(id);
	buf_release(&r);
	buf_release(&enc);
	buf_release(&ids);
}

void test_keys_age__a_cluster_file_must_name_its_namespace(void)
{
	static const char nons[] = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
	                           "stringData:\n  password: s3cret\n";
	struct sops_encrypt_opts eo = SOPS_ENCRYPT_OPTS_INIT;
	struct sops_keyspec spec = { 0 };
	struct sops_file f;
	struct buf r = BUF_INIT(256), enc = BUF_INIT(1 << 16);
	struct doc *id = identity_at("one", "2024-01-01T00:00:00Z", &r);

	memset(&f, 0, sizeof(f));
	eo.age = SOPS_CLUSTER_PREFIX "prod";
	eo.cluster = the_cluster;
	eo.cluster_ctx = r.p;
	eo.default_regex = "^(data|stringData)$";
	must_pass(sops_file_load_plain(&f, "db.yaml", nons, sizeof(nons) - 1, SOPS_FMT_YAML));
	must_pass(
	    sops_encrypt_config(&spec, &f.meta.rules, &eo, NULL, "db.yaml", SOPS_FMT_YAML, 1));
	must_fail_with(
	    sops_encrypt(&enc, &f, nons, sizeof(nons) - 1, &spec, NULL, SOPS_FMT_YAML, 0),
	    GS_EINVAL);
	assert_contains(gs_error_last(), "db.yaml: Secret db has no metadata.namespace");
	assert_int(enc.len, 0);
	sops_keyspec_release(&spec);
	sops_file_release(&f);
	/* an unknown cluster, and no way to fetch one */
	memset(&f, 0, sizeof(f));
	eo.age = SOPS_CLUSTER_PREFIX "dev";
	must_pass(sops_file_load_plain(&f, "db.yaml", nons, sizeof(nons) - 1, SOPS_FMT_YAML));
	must_fail_with(
	    sops_encrypt_config(&spec, &f.meta.rules, &eo, NULL, "db.yaml", SOPS_FMT_YAML, 1),
	    GS_ENOTFOUND);
	assert_contains(gs_error_last(), "cluster 'dev': no cluster 'dev'");
	sops_keyspec_release(&spec);
	eo.cluster = NULL;
	must_fail_with(
	    sops_encrypt_config(&spec, &f.meta.rules, &eo, NULL, "db.yaml", SOPS_FMT_YAML, 1),
	    GS_EINVAL);
	assert_contains(gs_error_last(), "is a cluster's");
	sops_keyspec_release(&spec);
	sops_file_release(&f);
	doc_free(id);
	buf_release(&r);
	buf_release(&enc);
}
