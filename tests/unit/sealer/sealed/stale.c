/* sealer/sealed/sealed_stale.c: does a SealedSecret already open with a key (gitseal rotate's
 * question, one private-key operation per item)? */
#include <stdio.h>

#include "test.h"

#include "doc/doc.h"
#include "sealer/sealed/sealed.h"

static struct sealed_privkey *key(const char *fixture)
{
	struct buf b = BUF_INIT_SECRET(1 << 16);
	struct sealed_privkey *k = NULL;
	if (test_read_fixture(&b, fixture) >= 0)
		sealed_privkey_from_pem(&k, b.p, b.len, fixture);
	buf_release(&b);
	return k;
}

void test_sealed_stale__opens_with_its_key_not_another(void)
{
	struct sealed_privkey *mine = key("fixtures/sealed/tls.key");
	struct sealed_privkey *other = key("fixtures/sealed/upstream-key/key.pem");
	struct buf b = BUF_INIT(1 << 20);
	struct doc *ss = NULL;
	char ns[256];

	assert_true(mine && other);
	must_pass(test_read_fixture(&b, "fixtures/sealed/sealedsecret.yaml"));
	must_pass(doc_parse_one(&ss, "sealedsecret.yaml", b.p, b.len, 0));
	snprintf(ns, sizeof(ns), "%s", doc_k8s_namespace(ss));
	assert_int(sealed_opens_with(ss, mine, 0, NULL), 1);
	assert_int(sealed_opens_with(ss, mine, 1, NULL), 1);
	assert_int(sealed_opens_with(ss, other, 0, NULL), 0);
	/* another namespace: another label, so not this key's SealedSecret any more */
	doc_set(doc_get(ss, "metadata"), "namespace", doc_new_strz("elsewhere"));
	assert_int(sealed_opens_with(ss, mine, 0, NULL), 0);
	/* a value that is not a sealed item */
	doc_set(doc_getp(ss, "spec", "encryptedData", NULL), "bad", doc_new_strz("%%%"));
	doc_set(doc_get(ss, "metadata"), "namespace", doc_new_strz(ns));
	assert_int(sealed_opens_with(ss, mine, 1, NULL), 1); /* item 0 alone still opens */
	must_fail_with(sealed_opens_with(ss, mine, 0, NULL), GS_EPARSE);
	doc_free(ss);
	sealed_privkey_free(mine);
	sealed_privkey_free(other);
	buf_release(&b);
}
