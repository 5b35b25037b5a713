/*
 * Comments in YAML, which libyaml does not report: a '#' outside every scalar's byte
 * range (and after a blank or at a line start) starts one. sops keeps them in the
 * tree of the map or list they sit in (yaml.v3 head/line/foot comments) and encrypts
 * them as "#ENC[...,type:comment]" with that container's path as AAD; which container
 * is decided here the way yaml.v3 attaches them (the entry on the same line for a line
 * comment, else the next entry at the same column). Decryption tries that AAD first,
 * then every container's, and keeps a comment no AAD opens, as sops does.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doc/doc.h"
#include "sealer/sops/sops.h"
#include "sealer/sops/sops_int.h"
#include "sealer/sops/sops_splice_int.h"

/* --- comments ------------------------------------------------------------------- */

/* Mark bytes that belong to scalars (keys included): a '#' there is not a comment. */
void sops__mark_scalars(const struct doc *n, unsigned char *in_scalar)
{
	size_t i;
	if (doc_kind(n) == DOC_MAP) {
		for (i = 0; i < doc_len(n); i++) {
			sops__mark_scalars(doc_key_at(n, i), in_scalar);
			sops__mark_scalars(doc_val_at(n, i), in_scalar);
		}
	} else if (doc_kind(n) == DOC_SEQ) {
		for (i = 0; i < doc_len(n); i++)
			sops__mark_scalars(doc_val_at(n, i), in_scalar);
	} else if (n) {
		struct doc_mark a = doc_start(n), z = doc_end(n);
		if (z.offset > a.offset)
			memset(in_scalar + a.offset, 1, z.offset - a.offset);
	}
}

int sops__comment_at(const char *src, size_t o, const unsigned char *in_scalar)
{
	return src[o] == '#' && !in_scalar[o] &&
	       (o == 0 || src[o - 1] == ' ' || src[o - 1] == '\t' || src[o - 1] == '\n');
}

/* The container AAD sops uses for a comment at offset o (see the file comment). */
static const struct entry *comment_owner(const struct splice *s, size_t o, unsigned col,
                                         int line_comment)
{
	size_t lo = 0, hi = s->nent;
	const struct entry *prev, *next;
	while (lo < hi) { /* first entry starting after o */
		size_t mid = (lo + hi) / 2;
		if (s->ent[mid].start <= o)
			lo = mid + 1;
		else
			hi = mid;
	}
	prev = lo ? &s->ent[lo - 1] : NULL;
	next = lo < s->nent ? &s->ent[lo] : NULL;
	if (line_comment && prev)
		return prev;
	if (next && next->col == col)
		return next;
	if (prev && prev->col == col)
		return prev;
	return next ? next : prev;
}

static int rules_for_aad(const struct sops_rules *r, const char *aad, size_t n)
{
	const char *parts[256] = { NULL };
	size_t lens[256] = { 0 }, depth = 0, i, st = 0;
	if (n == 1 && aad[0] == ':')
		return sops_rules_encrypts(r, parts, lens, 0);
	for (i = 0; i < n && depth < 256; i++)
		if (aad[i] == ':') {
			parts[depth] = aad + st;
			lens[depth++] = i - st;
			st = i + 1;
		}
	return sops_rules_encrypts(r, parts, lens, depth);
}

int sops__do_comments(struct splice *s, const struct doc_stream *st, const unsigned char *old_key,
                      const unsigned char *new_key, struct sops_stash *stash,
                      struct sops_stash *collect)
{
	unsigned char *in_scalar = calloc(s->len + 1, 1);
	struct sops_cipher *oc = NULL, *nc = NULL;
	struct buf pt = BUF_INIT_SECRET(1 << 20), enc = BUF_INIT(1 << 20);
	size_t i, o, ei = 0;
	unsigned line = 1, col = 1;
	int rc = 0;

	if (!in_scalar)
		return GS_ENOMEM;
	for (i = 0; i < st->n; i++)
		if (st->docs[i])
			sops__mark_scalars(st->docs[i], in_scalar);
	if ((old_key && (rc = sops_cipher_new(&oc, old_key)) < 0) ||
	    (new_key && (rc = sops_cipher_new(&nc, new_key)) < 0))
		goto out;
	if (s->ne)
		qsort(s->e, s->ne, sizeof(*s->e), sops__cmp_edit);
	for (o = 0; o < s->len && rc == 0; o++) {
		char c = s->src[o];
		size_t eol, n;
		const char *text;
		int line_comment = 0;
		const struct entry *own;
		if (c == '\n') {
			line++, col = 1;
			continue;
		}
		col++;
		if (!sops__comment_at(s->src, o, in_scalar))
			continue;
		for (eol = o; eol < s->len && s->src[eol] != '\n'; eol++)
			;
		n = eol - o - 1;
		text = s->src + o + 1;
		if (n && text[n - 1] == '\r')
			n--;
		while (ei < s->ne && s->e[ei].end <= o)
			ei++;
		if (ei < s->ne && s->e[ei].start <= o) { /* inside a deleted/replaced range */
			o = eol - 1;
			continue;
		}
		for (i = sops__line_start(s, o); i < o; i++)
			if (s->src[i] != ' ' && s->src[i] != '\t')
				line_comment = 1;
		own = comment_owner(s, o, col - 1, line_comment);
		buf_reset(&pt);
		if (oc && sops_is_encrypted_value(text, n)) {
			/* try the owner's AAD, then every container's (sops' placement is
			 * heuristic) */
			enum sops_type t;
			int ok =
			    own && sops_value_decrypt(oc, &pt, &t, text, n,
			                              s->aads.p + own->aad_off, own->aad_len) == 0;
			if (collect) { /* only an IV whose AAD we would use again may be reused */
				unsigned char iv[SOPS_IV_LEN];
				if (ok && sops_value_iv(iv, text, n) == 0 &&
				    (rc = sops__stash_add(collect, s->aads.p + own->aad_off,
				                          own->aad_len, pt.p, pt.len, iv)) < 0)
					break;
				gs_error_clear();
				o = eol - 1;
				continue;
			}
			for (i = 0; !ok && i < s->nent; i++) {
				buf_reset(&pt);
				ok = sops_value_decrypt(oc, &pt, &t, text, n,
				                        s->aads.p + s->ent[i].aad_off,
				                        s->ent[i].aad_len) == 0;
			}
			if (!ok) {
				buf_reset(&pt);
				ok = sops_value_decrypt(oc, &pt, &t, text, n, ":", 1) == 0;
			}
			gs_error_clear();
			if (!ok) {
				o = eol - 1;
				continue; /* sops keeps a comment it cannot decrypt */
			}
		} else if (nc && !sops_is_encrypted_value(text, n) && n > 0) {
			if ((rc = buf_add(&pt, text, n)) < 0)
				break;
		} else {
			o = eol - 1;
			continue;
		}
		if (nc) {
			const char *aad = own ? s->aads.p + own->aad_off : ":";
			size_t al = own ? own->aad_len : 1;
			unsigned char ivbuf[SOPS_IV_LEN];
			const unsigned char *iv = NULL;
			int seal =
			    s->rules->kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX
			        ? !s->cmt || sops_cmt_plan_comment(
			                         s->cmt, o) /* decided by the comments before it */
			        : rules_for_aad(s->rules, aad, al);
			if (!seal || pt.len == 0) {
				rc = sops__add_edit(s, o, eol, "#", 1);
				if (rc == 0 && pt.len)
					rc = buf_add(&s->arena, pt.p, pt.len),
					s->e[s->ne - 1].len += pt.len;
				o = eol - 1;
				continue;
			}
			if (stash)
				iv = sops__stash_take(stash, aad, al, pt.p, pt.len);
			if (!iv) {
				randombytes_buf(ivbuf, sizeof(ivbuf));
				iv = ivbuf;
			}
			buf_reset(&enc);
			buf_addc(&enc, '#');
			if ((rc = sops_value_encrypt(nc, &enc, pt.p, pt.len, iv, aad, al,
			                             SOPS_T_COMMENT)) < 0)
				break;
			rc = sops__add_edit(s, o, eol, enc.p, enc.len);
		} else {
			rc = sops__add_edit(s, o, eol, "#", 1);
			if (rc == 0)
				rc = buf_add(&s->arena, pt.p, pt.len),
				s->e[s->ne - 1].len += pt.len;
		}
		o = eol - 1;
	}
out:
	free(in_scalar);
	sops_cipher_free(oc);
	sops_cipher_free(nc);
	buf_release(&pt);
	buf_release(&enc);
	return rc;
}

int sops_stash_comments(struct sops_stash *stash, const struct sops_file *f, const char *src,
                        size_t len, const unsigned char key[SOPS_KEY_LEN])
{
	struct doc_stream st = DOC_STREAM_INIT;
	struct splice s;
	size_t i;
	int rc = 0;

	if (!memchr(src, '#', len))
		return 0;
	memset(&s, 0, sizeof(s));
	buf_init(&s.arena, BUF_MAX_FILE, 1);
	buf_init(&s.aads, BUF_MAX_DEFAULT, 0);
	buf_init(&s.path, BUF_MAX_DEFAULT, 0);
	s.src = src;
	s.len = len;
	s.rules = &f->meta.rules;
	s.step = 4;
	if (doc_parse(&st, f->name, src, len, 0, NULL) < 0) {
		gs_error_clear();
		goto out; /* no comments to keep; the caller parsed this file already */
	}
	for (i = 0; i < st.n && rc == 0; i++)
		if (st.docs[i] && doc_kind(st.docs[i]) == DOC_MAP)
			rc = sops__sp_map(&s, st.docs[i], st.docs[i], 0,
			                  1); /* no changes: collects the entries */
	s.ne = 0;
	if (rc == 0)
		rc = sops__do_comments(&s, &st, key, NULL, NULL, stash);
out:
	doc_stream_release(&st);
	buf_release(&s.arena);
	buf_release(&s.aads);
	buf_release(&s.path);
	free(s.e);
	free(s.ent);
	return rc;
}
