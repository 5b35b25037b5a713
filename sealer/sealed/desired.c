/*
 * The Secret a SealedSecret produces: its items opened (sealed_open.c) put
 * into the template, and template.data rendered over the decrypted values
 * (template.c). The one implementation: the controller and `gitseal unseal`
 * both call it, so offline recovery gives what the cluster would get.
 */
#include "sealer/sealed/sealed.h"

#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "doc/doc.h"

int sealed_desired_secret(struct doc **out, const struct doc *ss, const struct sealed_items *items)
{
	const struct doc *tdata = doc_getp(ss, "spec", "template", "data", NULL);
	struct sealed_kv *kv = NULL;
	struct doc *sec = NULL, *data;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = sealed_secret_from_items(&sec, ss, items)) < 0)
		return rc;
	if (doc_len(tdata) && doc_kind(tdata) == DOC_MAP) {
		if (!(kv = calloc(items->n + 1, sizeof(*kv)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < items->n; i++) {
			kv[i].key = items->keys[i];
			kv[i].val = items->vals[i].p;
			kv[i].len = items->vals[i].len;
		}
		if (!(data = doc_get(sec, "data")) || doc_kind(data) != DOC_MAP) {
			if ((rc = doc_set(sec, "data", doc_new_map())) < 0)
				goto out;
			data = doc_get(sec, "data");
		}
		for (i = 0; i < doc_len(tdata); i++) {
			size_t kl = 0, sl = 0;
			const char *k = doc_text(doc_key_at(tdata, i), &kl);
			const char *src = doc_text(doc_val_at(tdata, i), &sl);
			struct buf r = BUF_INIT_SECRET(BUF_MAX_DEFAULT),
			           b64 = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
			struct doc *node;
			if (!src) {
				rc = gs_error(GS_EINVAL, "spec.template.data.%s: not a string", k);
				goto out;
			}
			rc = sealed_template_render(&r, k, src, sl, kv, items->n);
			if (rc >= 0)
				rc = base64_encode(&b64, r.p, r.len, B64_PAD);
			if (rc >= 0 && !(node = doc_new_str(b64.p, b64.len)))
				rc = gs_error(GS_ENOMEM, "out of memory");
			if (rc >= 0) {
				doc_set_flags(node, DOC_SECRET);
				rc = doc_setn(data, k, kl, node);
			}
			buf_release(&r);
			buf_release(&b64);
			if (rc < 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(kv);
	if (rc < 0)
		doc_free(sec);
	else
		*out = sec;
	return rc;
}
