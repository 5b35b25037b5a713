/*
 * dotenv with its lines kept: the tree of a dotenv file has no comments, so, as
 * for YAML, output is the source's lines with the values swapped for the tree's
 * (same keys, same order), comment lines decrypted/encrypted as sops does
 * ("#ENC[...]", AAD ":", type comment) and the sops_ metadata lines rewritten.
 * Blank lines are kept (sops drops them).
 */
#include <string.h>

#include <sodium.h>

#include "doc/doc.h"
#include "sealer/sops/sops.h"
#include "sealer/sops/sops_int.h"

static int add_value(struct buf *out, const struct doc *v)
{
	size_t len = 0, i;
	const char *t = doc_kind(v) == DOC_NULL ? "" : doc_text(v, &len);
	int rc = 0;
	for (i = 0; i < len && rc == 0; i++)
		rc = t[i] == '\n' ? buf_add(out, "\\n", 2) : buf_addc(out, t[i]);
	return rc;
}

int sops_dotenv_splice(struct buf *out, const struct sops_file *f, const char *src, size_t len,
                       int with_meta, const unsigned char *old_key, const unsigned char *new_key,
                       struct sops_stash *stash)
{
	const struct doc *root = f->ndocs == 1 ? f->docs[0] : NULL;
	struct sops_cipher *oc = NULL, *nc = NULL;
	struct buf pt = BUF_INIT_SECRET(1 << 20), res = BUF_INIT_SECRET(BUF_MAX_FILE);
	struct doc *meta = NULL;
	const char *p = src, *end = src + len;
	size_t j = 0, n = doc_len(root);
	int rc = 0, comments_encrypted = sops_rules_encrypts(&f->meta.rules, NULL, NULL, 0);

	if (doc_kind(root) != DOC_MAP)
		return GS_EINVAL;
	if ((old_key && (rc = sops_cipher_new(&oc, old_key)) < 0) ||
	    (new_key && (rc = sops_cipher_new(&nc, new_key)) < 0))
		goto out;
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *eq;
		const char *line = p;
		size_t ll = (size_t)(le - line);
		p = nl ? nl + 1 : end;
		if (ll == 0) {
			rc = buf_addc(&res, '\n');
			continue;
		}
		if (line[0] == '#') {
			const char *c = line + 1;
			size_t cl = ll - 1;
			enum sops_type t;
			buf_reset(&pt);
			if (oc && sops_is_encrypted_value(c, cl) &&
			    sops_value_decrypt(oc, &pt, &t, c, cl, ":", 1) == 0) {
				c = pt.p, cl = pt.len;
			}
			gs_error_clear();
			if (nc && comments_encrypted && cl && !sops_is_encrypted_value(c, cl)) {
				unsigned char ivb[SOPS_IV_LEN];
				const unsigned char *iv =
				    stash ? sops__stash_take(stash, ":", 1, c, cl) : NULL;
				struct buf enc = BUF_INIT(1 << 20);
				if (!iv) {
					randombytes_buf(ivb, sizeof(ivb));
					iv = ivb;
				}
				rc =
				    sops_value_encrypt(nc, &enc, c, cl, iv, ":", 1, SOPS_T_COMMENT);
				if (rc == 0)
					rc = buf_addc(&res, '#') < 0
					         ? GS_ENOMEM
					         : buf_add(&res, enc.p, enc.len);
				buf_release(&enc);
			} else {
				rc = buf_addc(&res, '#') < 0 ? GS_ENOMEM : buf_add(&res, c, cl);
			}
			if (rc == 0)
				rc = buf_addc(&res, '\n');
			continue;
		}
		if (ll > 5 && !memcmp(line, "sops_", 5))
			continue; /* metadata: written again below */
		if (!(eq = memchr(line, '=', ll))) {
			rc = GS_EINVAL;
			break;
		}
		{
			size_t kl = 0;
			const char *k = j < n ? doc_text(doc_key_at(root, j), &kl) : NULL;
			if (!k || kl != (size_t)(eq - line) || memcmp(k, line, kl)) {
				rc = GS_EINVAL; /* keys moved or removed: emit the tree instead */
				break;
			}
			if ((rc = buf_add(&res, line, kl + 1)) < 0 ||
			    (rc = add_value(&res, doc_val_at(root, j))) < 0 ||
			    (rc = buf_addc(&res, '\n')) < 0)
				break;
			j++;
		}
	}
	for (; rc == 0 && j < n; j++) { /* keys added by set */
		size_t kl = 0;
		const char *k = doc_text(doc_key_at(root, j), &kl);
		if ((rc = buf_add(&res, k, kl)) < 0 || (rc = buf_addc(&res, '=')) < 0 ||
		    (rc = add_value(&res, doc_val_at(root, j))) < 0)
			break;
		rc = buf_addc(&res, '\n');
	}
	if (rc == 0 && with_meta && (rc = sops__meta_to_doc(&meta, &f->meta, SOPS_FMT_JSON)) == 0)
		rc = sops__flatten(&res, meta, "", "=", 0);
	if (rc == 0)
		rc = buf_add(out, res.p, res.len);
out:
	doc_free(meta);
	sops_cipher_free(oc);
	sops_cipher_free(nc);
	buf_release(&pt);
	buf_release(&res);
	return rc;
}
