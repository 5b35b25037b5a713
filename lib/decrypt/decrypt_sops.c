/*
 * One SOPS manifest decrypted in place. sealer/sops does the work on a copy
 * (emitted as YAML with its styles and read back, so sops' own rules decide
 * types, AADs and the MAC); the plaintext scalars are then moved into the
 * rendered object, which keeps its places (file:line) for later messages.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "decrypt/decrypt_int.h"
#include "doc/doc.h"

static int is_enc(const struct doc *n)
{
	size_t len;
	const char *s;
	if (doc_kind(n) != DOC_STR)
		return 0;
	s = doc_text(n, &len);
	return sops_is_encrypted_value(s, len);
}

/* Move the decrypted scalars of d into o wherever o holds an ENC[...] value. */
static int copy_plain(struct doc *o, const struct doc *d, int top)
{
	size_t i, len;
	const char *t;
	int rc;

	switch (doc_kind(o)) {
	case DOC_MAP:
		for (i = 0; i < doc_len(o); i++) {
			const struct doc *k = doc_key_at(o, i);
			const char *key = doc_text(k, &len);
			if (top && !strcmp(key, "sops"))
				continue;
			if ((rc = copy_plain(doc_val_at(o, i), doc_getn(d, key, len), 0)) < 0)
				return rc;
		}
		return 0;
	case DOC_SEQ:
		for (i = 0; i < doc_len(o); i++)
			if ((rc = copy_plain(doc_val_at(o, i), doc_val_at(d, i), 0)) < 0)
				return rc;
		return 0;
	default:
		if (!is_enc(o) || !d || !doc_is_scalar(d) || is_enc(d))
			return 0;
		t = doc_text(d, &len);
		doc_set_flags(
		    o, DOC_SECRET); /* the ciphertext goes, the plaintext arrives in wiped memory */
		if ((rc = doc_set_scalar(o, doc_kind(d), t, len)) < 0)
			return rc;
		doc_set_style(o, DOC_STYLE_ANY);
		return 0;
	}
}

/* "data:password:" -> "data.password" */
static void aad_to_path(struct buf *out, const char *aad)
{
	size_t n = strlen(aad), i;
	buf_reset(out);
	for (i = 0; i + 1 < n; i++)
		buf_addc(out, aad[i] == ':' ? '.' : aad[i]);
}

/* After sops failed on a value: find which one, for a message with its place. */
static int diagnose(const struct doc *obj, const char *place, const unsigned char key[SOPS_KEY_LEN])
{
	struct decrypt__pair *pairs = NULL;
	struct sops_cipher *c = NULL;
	struct buf pt = BUF_INIT_SECRET(BUF_MAX_DEFAULT), path = BUF_INIT(4096);
	size_t n = 0, cap = 0, i;
	enum sops_type t;
	int rc = 0;

	if (decrypt__collect_pairs(obj, 0, &pairs, &n, &cap) < 0 || sops_cipher_new(&c, key) < 0)
		goto out;
	for (i = 0; i < n && !rc; i++) {
		buf_reset(&pt);
		if (sops_value_decrypt(c, &pt, &t, pairs[i].enc, strlen(pairs[i].enc), pairs[i].aad,
		                       strlen(pairs[i].aad)) < 0) {
			aad_to_path(&path, pairs[i].aad);
			rc = gs_error(GS_EAUTH,
			              "%s: %s does not decrypt with the file's data key: the value "
			              "was changed, "
			              "truncated or moved after encryption",
			              place, path.p);
		}
	}
out:
	for (i = 0; i < n; i++) {
		free(pairs[i].aad);
		free(pairs[i].enc);
	}
	free(pairs);
	sops_cipher_free(c);
	buf_release(&pt);
	buf_release(&path);
	return rc;
}

/* A value that starts like ENC[ but is not one (cut short, edited by hand): its path in *path. */
static int broken_enc(const struct doc *n, int top, struct buf *path)
{
	size_t i, mark = path->len, len;
	const char *s;
	if (doc_kind(n) == DOC_MAP || doc_kind(n) == DOC_SEQ) {
		for (i = 0; i < doc_len(n); i++) {
			if (doc_kind(n) == DOC_MAP) {
				s = doc_text(doc_key_at(n, i), &len);
				if (top && !strcmp(s, "sops"))
					continue;
				buf_addf(path, "%s%.*s", mark ? "." : "", (int)len, s);
			} else {
				buf_addf(path, "[%zu]", i);
			}
			if (broken_enc(doc_val_at(n, i), 0, path))
				return 1;
			buf_truncate(path, mark);
		}
		return 0;
	}
	s = doc_str(n);
	return s && !strncmp(s, "ENC[", 4) && !is_enc(n);
}

/* Load the object's copy as a SOPS file (the metadata parsed by sealer/sops). */
static int load_copy(struct sops_file *f, const struct buf *text, const char *place)
{
	int rc = sops_file_load(f, place, text->p, text->len, SOPS_FMT_YAML);
	return rc;
}

/*
 * Check, without the object's own MAC, that its encrypted values are those of
 * a source file whose MAC verifies. *ns gets the namespace that file's
 * document names (borrowed from the source record).
 */
static int check_against_source(struct decrypt_ctx *ctx, const struct doc *obj, const char *place,
                                const unsigned char key[SOPS_KEY_LEN], const char **ns)
{
	const char *mac = doc_str(doc_getp(obj, "sops", "mac", NULL));
	struct decrypt__pair *pairs = NULL;
	struct decrypt__src *s;
	struct buf path = BUF_INIT(4096);
	size_t n = 0, cap = 0, i;
	int rc;

	*ns = NULL;
	if (!mac || !(s = decrypt__src_find(ctx, mac))) {
		rc = gs_error(
		    GS_EAUTH,
		    "%s: MAC mismatch: the object is not the document that was encrypted (a "
		    "kustomization "
		    "changed it?) and %s holds its 'sops' block, so its MAC cannot be checked",
		    place,
		    ctx->root ? "no SOPS file of the source"
		              : "no source directory was given that");
		goto out;
	}
	if ((rc = decrypt__src_check(ctx, s, key)) < 0)
		goto out;
	if ((rc = decrypt__collect_pairs(obj, 0, &pairs, &n, &cap)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct decrypt__pair *p = decrypt__src_pair(s, pairs[i].enc);
		if (!p || strcmp(p->aad, pairs[i].aad)) {
			aad_to_path(&path, pairs[i].aad);
			rc = gs_error(GS_EAUTH,
			              "%s: %s is not the value %s holds there: it was changed "
			              "after encryption",
			              place, path.p, s->relpath);
			goto out;
		}
		/* the namespace the file names for these values: all must come from documents
		 * naming the same one */
		if (i == 0)
			*ns = s->ns[p->doc];
		else if (*ns && (!s->ns[p->doc] || strcmp(*ns, s->ns[p->doc])))
			*ns = NULL;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(pairs[i].aad);
		free(pairs[i].enc);
	}
	free(pairs);
	buf_release(&path);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Remember the recipients of a file the cluster's own identities opened (decrypt_ctx_own_uses). */
static int note_own_use(struct decrypt_ctx *ctx, const struct sops_meta *m)
{
	struct buf b = BUF_INIT(1 << 16);
	const char **v = NULL;
	size_t i, j, n = 0, cap = 0;
	char **grown;
	int rc = 0;

	for (i = 0; i < m->ngroups; i++)
		for (j = 0; j < m->groups[i].nage; j++) {
			if (n == cap) {
				const char **g = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
				if (!g) {
					rc = gs_error(GS_ENOMEM, "out of memory");
					goto out;
				}
				v = g;
			}
			v[n++] = m->groups[i].age[j].recipient ? m->groups[i].age[j].recipient : "";
		}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		if (!i || strcmp(v[i], v[i - 1]))
			buf_addf(&b, "%s%s", b.len ? "," : "", v[i]);
	if (!(grown = realloc(ctx->own_uses, (ctx->nown_uses + 1) * sizeof(*grown)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	ctx->own_uses = grown;
	if (!(ctx->own_uses[ctx->nown_uses] = buf_detach(&b, NULL))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	ctx->nown_uses++;
out:
	free(v);
	buf_release(&b);
	return rc;
}

int decrypt__object(struct decrypt_ctx *ctx, struct doc *obj, int *own)
{
	struct buf text = BUF_INIT_SECRET(BUF_MAX_DEFAULT), place = BUF_INIT(8192);
	struct doc_emit_opts eo = { 2, DOC_EMIT_KEEP_STYLE };
	struct sops_file f;
	unsigned char key[SOPS_KEY_LEN];
	const char *verified_ns = NULL, *obj_ns = doc_k8s_namespace(obj);
	struct buf path = BUF_INIT(4096);
	int rc, mac_ok = 1;

	memset(&f, 0, sizeof(f));
	*own = 0;
	decrypt__place(ctx, obj, &place);
	if (broken_enc(obj, 1, &path)) {
		rc = gs_error(GS_EPARSE,
		              "%s: %s is not a well-formed "
		              "ENC[AES256_GCM,data:...,iv:...,tag:...,type:...] value "
		              "(cut short?)",
		              place.p, path.p);
		goto out;
	}
	if ((rc = doc_emit_yaml(&text, obj, &eo)) < 0 || (rc = load_copy(&f, &text, place.p)) < 0)
		goto out;
	if ((rc = decrypt__data_key(ctx, &f.meta, place.p, key, own)) < 0)
		goto out;
	if ((rc = sops_file_decrypt(&f, key, 0)) < 0) {
		int mac = sops_exit_code(rc) == SOPS_EXIT_MAC_MISMATCH;
		gs_error_clear(); /* sops' MAC message holds digests of the values: never passed on
		                   */
		if (!mac) {
			if ((rc = diagnose(obj, place.p, key)) == 0)
				rc = gs_error(
				    GS_EAUTH,
				    "%s: the values do not decrypt with the file's data key",
				    place.p);
			goto out;
		}
		/* not the encrypted document itself (Kustomize sorts keys, adds a namespace...):
		 * decrypt without the MAC, which the source file then answers for */
		mac_ok = 0;
		sops_file_release(&f);
		if ((rc = load_copy(&f, &text, place.p)) < 0)
			goto out;
		if ((rc = sops_file_decrypt(&f, key, 1)) < 0) {
			if ((rc = diagnose(obj, place.p, key)) == 0)
				rc = gs_error(
				    GS_EAUTH,
				    "%s: the values do not decrypt with the file's data key",
				    place.p);
			goto out;
		}
	}
	if (mac_ok)
		verified_ns = obj_ns;
	else if ((rc = check_against_source(ctx, obj, place.p, key, &verified_ns)) < 0)
		goto out;
	if (*own && (!verified_ns || !*verified_ns || !obj_ns || strcmp(verified_ns, obj_ns))) {
		rc = gs_error(GS_EAUTH,
		              "%s: only the cluster's own age identity opens it, and that identity "
		              "decrypts only "
		              "into the namespace the encrypted file names (%s%s%s), not into '%s'",
		              place.p, verified_ns && *verified_ns ? "'" : "",
		              verified_ns && *verified_ns ? verified_ns : "it names none",
		              verified_ns && *verified_ns ? "'" : "", obj_ns ? obj_ns : "");
		goto out;
	}
	if (f.ndocs != 1) {
		rc = gs_error(GS_EPARSE, "%s: not one document", place.p);
		goto out;
	}
	if ((rc = copy_plain(obj, f.docs[0], 1)) < 0)
		goto out;
	doc_del(obj, "sops");
	if (*own && (rc = note_own_use(ctx, &f.meta)) < 0)
		goto out;
	rc = 0;
out:
	gs_wipe(key, sizeof(key));
	sops_file_release(&f);
	buf_release(&text);
	buf_release(&place);
	buf_release(&path);
	return rc;
}
