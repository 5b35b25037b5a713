/*
 * The GitOps stages' readers of untrusted repository content: feed anything as
 *   - a rendered manifest stream through sealer/inspect (every check),
 *     lib/app's check and parse, lib/apply's order, and lib/decrypt's stage
 *     (attacker-made `sops` blocks, ENC[...] values, SealedSecrets), with the
 *     decrypt fixtures' test key;
 *   - a file a Kustomize generator reads, through decrypt_file() as YAML,
 *     JSON, dotenv, INI and sniffed.
 * Nothing may crash or leak (ASan/UBSan); what decrypt_file() does not take
 * leaves its output empty; the recipients recorded for the cluster's own identity (an odd
 * first byte) are one string per object at most. The key is tests/fixtures/decrypt/key.txt (a test
 * key).
 */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "apply/order.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"
#include "sealer/inspect/inspect.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

static const char test_key[] =
    "AGE-SECRET-KEY-13KUC7Z8JUJP05SPGLWR5Q7WVXP338NTQZZ93L5RU64T6585T3T6SL575NU\n";

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const names[] = { "f.yaml", "f.json", "f.env", "f.ini", "f.bin" };
	struct doc_stream st = DOC_STREAM_INIT;
	struct inspect_report r = INSPECT_REPORT_INIT;
	struct decrypt_ctx *c = NULL;
	struct buf out = BUF_INIT_SECRET(8 << 20);
	size_t i, n = 0, *order;
	struct doc **objs;
	int rc;

	CHECK(decrypt_ctx_new(&c, NULL) == 0);
	/* odd first byte: the key as the cluster's own identity (namespace-bound, uses recorded) */
	decrypt_ctx_add_identities(c, test_key, strlen(test_key), "fuzz",
	                           size && (data[0] & 1) ? DECRYPT_IDS_OWN_NAMESPACE
	                                                 : DECRYPT_IDS_ANY);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		buf_reset(&out);
		rc = decrypt_file(c, names[i], (const char *)data, size, &out);
		CHECK(rc == 1 || out.len == 0);
	}
	if (doc_parse(&st, "fuzz.yaml", (const char *)data, size, 0, NULL) == 0) {
		objs = calloc(st.n + 1, sizeof(*objs));
		order = calloc(st.n + 1, sizeof(*order));
		CHECK(objs && order);
		for (i = 0; i < st.n; i++) {
			struct app *a = NULL;
			struct app_issues ai = APP_ISSUES_INIT;
			if (!st.docs[i])
				continue;
			inspect_object(&r, st.docs[i],
			               INSPECT_COMMITTED | INSPECT_AFTER_DECRYPT |
			                   INSPECT_REQUIRE_ENCRYPTED);
			app_check(&ai, st.docs[i]);
			if (app_parse(&a, st.docs[i]) == 0)
				CHECK(ai.n == 0);
			app_free(a);
			app_issues_release(&ai);
			objs[n++] = st.docs[i];
		}
		if (apply_order(order, objs, n, 0) == 0)
			for (i = 0; i < n; i++)
				CHECK(order[i] < n);
		decrypt_objects(c, objs, n, NULL);
		{
			const char *const *uses;
			size_t nu = decrypt_ctx_own_uses(c, &uses);
			CHECK(nu <= n);
			for (i = 0; i < nu; i++)
				CHECK(uses[i] != NULL);
		}
		free(objs);
		free(order);
	}
	inspect_report_release(&r);
	doc_stream_release(&st);
	decrypt_ctx_free(c);
	buf_release(&out);
	return 0;
}
