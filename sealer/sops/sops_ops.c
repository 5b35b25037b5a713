/*
 * Whole-file operations as the sops command does them: open (the data key through the
 * identities sops would use), emit keeping an earlier text's layout and comments,
 * seal, encrypt with a previous version, rotate and re-wrap. Bytes in, a buf out: the
 * caller reads and writes the files.
 */
#include <stdlib.h>
#include <string.h>

#include "sealer/age/age.h"
#include "sealer/sops/sops.h"

int sops_file_data_key(const struct sops_file *f, unsigned char key[SOPS_KEY_LEN])
{
	struct buf where = BUF_INIT(8192);
	struct age_identity *ids = NULL;
	int rc;

	if ((rc = sops_identities_load(&ids, &where)) < 0)
		rc =
		    gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_NO_DATA_KEY),
		                    "Failed to get the data key required to decrypt the SOPS file");
	else
		rc = sops_meta_data_key(&f->meta, ids, where.p, key);
	age_identities_free(ids);
	buf_release(&where);
	return rc;
}

int sops_file_open(struct sops_file *f, const char *name, const char *data, size_t len,
                   enum sops_format fmt, unsigned char key[SOPS_KEY_LEN])
{
	int rc;
	if ((rc = sops_file_load(f, name, data, len, fmt)) < 0)
		return rc;
	if ((rc = sops_file_data_key(f, key)) < 0)
		sops_file_release(f);
	return rc;
}

int sops_file_rewrite(struct buf *out, struct sops_file *f, enum sops_format fmt, int with_meta,
                      const struct sops_layout *lay)
{
	static const struct sops_layout none = SOPS_LAYOUT_INIT;
	int rc;

	if (!lay)
		lay = &none;
	if ((fmt == SOPS_FMT_YAML || fmt == SOPS_FMT_JSON) && f->fmt == fmt && lay->src &&
	    lay->src_len &&
	    (rc = sops_yaml_splice(out, f, lay->src, lay->src_len, with_meta, lay->indent,
	                           lay->old_key, lay->new_key, lay->stash)) != GS_EINVAL)
		return rc;
	/* a whole new emit drops the comments: with the comment rules they decide what is encrypted
	 */
	if (fmt == SOPS_FMT_YAML && with_meta &&
	    f->meta.rules.kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX && lay->src &&
	    memchr(lay->src, '#', lay->src_len))
		return gs_error(
		    GS_EINVAL,
		    "%s: this change cannot be made while keeping the file's comments, which %s "
		    "depends on; nothing was written",
		    f->name, sops_rule_key(f->meta.rules.kind));
	if (fmt == SOPS_FMT_DOTENV && f->fmt == SOPS_FMT_DOTENV && lay->src && lay->src_len &&
	    (rc = sops_dotenv_splice(out, f, lay->src, lay->src_len, with_meta, lay->old_key,
	                             lay->new_key, lay->stash)) != GS_EINVAL)
		return rc;
	return sops_file_emit(out, f, fmt, with_meta, lay->indent);
}

int sops_file_seal(struct buf *out, struct sops_file *f, const unsigned char key[SOPS_KEY_LEN],
                   enum sops_format fmt, const struct sops_layout *lay, int src_plain)
{
	struct sops_layout l = SOPS_LAYOUT_INIT;
	int rc;

	if (lay)
		l = *lay;
	if (l.src &&
	    l.src_len) { /* the text f was parsed from: the comment rules read its comments */
		f->src = l.src;
		f->src_len = l.src_len;
	}
	if ((rc = sops_file_encrypt(f, key, l.stash)) < 0)
		return sops_error_exit_default(rc, SOPS_EXIT_ENCRYPTING_TREE);
	l.new_key = src_plain || l.old_key ? key : NULL;
	if ((rc = sops_file_rewrite(out, f, fmt, 1, &l)) < 0)
		gs_error_prefix(rc, "Could not marshal tree");
	return rc;
}

/* Take pf's master keys and data key into f (keeping f's rules). */
static void keep_previous_keys(struct sops_file *f, struct sops_file *pf)
{
	struct sops_meta *m = &f->meta, *pm = &pf->meta;
	struct sops_rules keep = m->rules;
	memset(&m->rules, 0, sizeof(m->rules));
	sops_meta_release(m);
	*m = *pm;
	memset(pm, 0, sizeof(*pm));
	sops_rules_release(&m->rules);
	m->rules = keep;
}

int sops_encrypt(struct buf *out, struct sops_file *f, const char *src, size_t len,
                 const struct sops_keyspec *spec, const struct sops_previous *prev,
                 enum sops_format fmt, int indent)
{
	struct sops_file pf;
	struct sops_stash *stash = NULL;
	struct sops_layout lay = SOPS_LAYOUT_INIT;
	unsigned char key[SOPS_KEY_LEN];
	int rc, use_prev = prev != NULL;

	memset(&pf, 0, sizeof(pf));
	if (spec && spec->clusters && (rc = sops_check_namespaced(f)) < 0)
		return rc;
	if (use_prev) {
		/* an earlier encrypted version: reuse its data key, keys and unchanged ciphertexts
		 */
		if ((rc = sops_file_open(&pf, prev->name, prev->data, prev->len, f->fmt, key)) <
		        0 ||
		    (rc = sops_stash_new(&stash, &pf, key)) < 0 ||
		    (f->fmt == SOPS_FMT_YAML &&
		     (rc = sops_stash_comments(stash, &pf, prev->data, prev->len, key)) < 0)) {
			if (!prev->hint)
				goto out;
			gs_error_clear(); /* the HEAD version is only a hint */
			use_prev = 0;
		} else if (prev->hint && spec->ngroups &&
		           !sops_keyspec_matches(spec, &pf.meta, 0)) {
			/* the committed version was encrypted for other keys: encrypt afresh for
			 * the ones asked for */
			use_prev = 0;
		}
		if (!use_prev) {
			sops_stash_free(stash);
			stash = NULL;
			sops_file_release(&pf);
		}
	}
	if (use_prev) {
		/* keep the previous master keys and data key (a fresh `encrypt` may not change them
		 * silently) */
		keep_previous_keys(f, &pf);
	} else {
		sops_data_key_new(key);
		if ((rc = sops_meta_set_keys(&f->meta, spec, key)) < 0) {
			rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_GENERIC),
			                     "Could not generate data key");
			goto out;
		}
	}
	/* a new file is laid out as sops writes it; one with comments (kept, encrypted as sops
	 * does) or with an earlier version keeps the source's layout, so Git diffs stay small */
	if (use_prev || memchr(src, '#', len)) {
		lay.src = src;
		lay.src_len = len;
	}
	lay.stash = stash;
	lay.indent = indent;
	rc = sops_file_seal(out, f, key, fmt, &lay, 1);
out:
	gs_wipe(key, sizeof(key));
	sops_stash_free(stash);
	sops_file_release(&pf);
	return rc;
}

int sops_file_rotate(struct buf *out, struct sops_file *f, unsigned char key[SOPS_KEY_LEN],
                     const struct sops_keyspec *spec, enum sops_format fmt,
                     const struct sops_layout *lay, int ignore_mac)
{
	struct sops_keyspec own = { 0 };
	struct sops_layout l = SOPS_LAYOUT_INIT;
	unsigned char oldkey[SOPS_KEY_LEN];
	int rc;

	memcpy(oldkey, key, sizeof(oldkey));
	if (lay)
		l = *lay;
	if (sops_meta_has_foreign_keys(&f->meta)) {
		rc = gs_error(
		    GS_EINVAL,
		    "%s: cannot rotate the data key: the file also has pgp/kms/vault master keys, "
		    "which "
		    "gitseal cannot re-wrap (rotate it with sops, or remove those keys first)",
		    f->name);
		goto out;
	}
	if ((rc = sops_file_decrypt(f, key, ignore_mac)) < 0)
		goto out;
	if (spec && spec->clusters && (rc = sops_check_namespaced(f)) < 0)
		goto out;
	if (!spec) {
		if ((rc = sops_keyspec_from_meta(&own, &f->meta, NULL, NULL)) < 0)
			goto out;
		spec = &own;
	}
	sops_data_key_new(key);
	if ((rc = sops_meta_set_keys(&f->meta, spec, key)) < 0) {
		rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_GENERIC),
		                     "Could not generate data key");
		goto out;
	}
	l.old_key = oldkey;
	l.stash = NULL; /* a new data key: every value gets a new ciphertext */
	rc = sops_file_seal(out, f, key, fmt, &l, 0);
out:
	gs_wipe(oldkey, sizeof(oldkey));
	sops_keyspec_release(&own);
	return rc;
}

int sops_file_rewrap(struct buf *out, struct sops_file *f, const unsigned char key[SOPS_KEY_LEN],
                     const struct sops_keyspec *spec, enum sops_format fmt,
                     const struct sops_layout *lay)
{
	struct sops_layout l = SOPS_LAYOUT_INIT;
	int rc;
	if (lay)
		l = *lay;
	/* same data key: values and MAC stay as they are, only the key stanzas change */
	if ((rc = sops_meta_set_keys(&f->meta, spec, key)) < 0)
		return rc;
	l.old_key = l.new_key = NULL;
	l.stash = NULL;
	return sops_file_rewrite(out, f, fmt, 1, &l);
}
