/*
 * The SOPS files of the source tree, found by their `sops.mac` value.
 *
 * Kustomize rewrites what it renders (sorted keys, a namespace, labels), so
 * the rendered copy of a SOPS manifest no longer has the values its MAC was
 * computed over. Its `sops` block is copied unchanged though, and the ENC[...]
 * string of sops.mac is unique to one encryption (random IV): the file under
 * root that holds it is the one that was encrypted. That file's MAC is checked
 * over all its documents, once; the rendered object is then accepted only if
 * each of its ciphertexts is one of the file's, under the same key path.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/file.h"
#include "decrypt/decrypt_int.h"
#include "doc/doc.h"

#define SCAN_MAX_FILES 100000
#define SCAN_MAX_DEPTH 64
#define SCAN_MAX_SIZE ((size_t)16 << 20)
#define ENC_PREFIX "ENC[AES256_GCM,data:"

void decrypt__src_release(struct decrypt__src *s)
{
	size_t i;
	free(s->mac);
	free(s->relpath);
	free(s->err);
	for (i = 0; i < s->npairs; i++) {
		free(s->pairs[i].aad);
		free(s->pairs[i].enc);
	}
	free(s->pairs);
	for (i = 0; i < s->ndocs; i++)
		free(s->ns[i]);
	free(s->ns);
	memset(s, 0, sizeof(*s));
}

static int manifest_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int add_src(struct decrypt_ctx *c, const char *mac, size_t maclen, const char *relpath)
{
	struct decrypt__src *v, *s;
	size_t i;
	for (i = 0; i < c->nsrcs;
	     i++) /* the documents of a multi-document file share their block */
		if (!strcmp(c->srcs[i].relpath, relpath) && strlen(c->srcs[i].mac) == maclen &&
		    !memcmp(c->srcs[i].mac, mac, maclen))
			return 0;
	if (!(v = realloc(c->srcs, (c->nsrcs + 1) * sizeof(*v))))
		return gs_error(GS_ENOMEM, "out of memory");
	c->srcs = v;
	s = &c->srcs[c->nsrcs];
	memset(s, 0, sizeof(*s));
	if (!(s->mac = strndup(mac, maclen)) || !(s->relpath = strdup(relpath))) {
		decrypt__src_release(s);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	c->nsrcs++;
	return 0;
}

/* Every `mac: ENC[...]` (YAML, quoted or not) and `"mac": "ENC[...]"` (JSON) of a file. */
static int index_file(struct decrypt_ctx *c, const struct buf *data, const char *relpath)
{
	const char *p = data->p, *end = data->p + data->len;
	int rc;

	while ((p = memmem(p, (size_t)(end - p), ENC_PREFIX, strlen(ENC_PREFIX)))) {
		const char *q = p, *close;
		while (q > data->p && (q[-1] == ' ' || q[-1] == '"' || q[-1] == '\''))
			q--;
		close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			break;
		if (q - data->p >= 4 &&
		    (!memcmp(q - 4, "mac:", 4) ||
		     (q - data->p >= 6 && !memcmp(q - 6, "\"mac\":", 6))) &&
		    (rc = add_src(c, p, (size_t)(close - p + 1), relpath)) < 0)
			return rc;
		p = close;
	}
	return 0;
}

static int scan_dir(struct decrypt_ctx *c, struct buf *rel, int depth, size_t *nfiles)
{
	struct buf full = BUF_INIT(8192), data = BUF_INIT(SCAN_MAX_SIZE);
	struct dirent *e;
	DIR *d;
	size_t mark = rel->len;
	int rc = 0;

	buf_addf(&full, "%s%s%s", c->root, rel->len ? "/" : "", rel->p);
	if (!(d = opendir(full.p)))
		goto out; /* unreadable directories hold nothing we can check against */
	while ((e = readdir(d)) && rc >= 0) {
		struct stat st;
		if (e->d_name[0] == '.') /* ., .., .git and other hidden trees */
			continue;
		buf_truncate(rel, mark);
		buf_addf(rel, "%s%s", mark ? "/" : "", e->d_name);
		buf_reset(&full);
		buf_addf(&full, "%s/%s", c->root, rel->p);
		if (lstat(full.p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < SCAN_MAX_DEPTH)
				rc = scan_dir(c, rel, depth + 1, nfiles);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !manifest_ext(e->d_name) ||
		    (size_t)st.st_size > SCAN_MAX_SIZE || ++*nfiles > SCAN_MAX_FILES)
			continue;
		buf_reset(&data);
		if (file_read(&data, full.p) < 0) {
			gs_error_clear();
			continue;
		}
		if (memmem(data.p, data.len, ENC_PREFIX, strlen(ENC_PREFIX)))
			rc = index_file(c, &data, rel->p);
	}
	closedir(d);
out:
	buf_truncate(rel, mark);
	buf_release(&full);
	buf_release(&data);
	return rc;
}

struct decrypt__src *decrypt__src_find(struct decrypt_ctx *c, const char *mac)
{
	size_t i;
	if (!c->scanned && c->root) {
		struct buf rel = BUF_INIT(8192);
		size_t nfiles = 0;
		c->scanned = 1;
		if (scan_dir(c, &rel, 0, &nfiles) < 0)
			gs_error_clear(); /* out of memory while indexing: the MAC check then fails
			                     by name */
		buf_release(&rel);
	}
	for (i = 0; i < c->nsrcs; i++)
		if (!strcmp(c->srcs[i].mac, mac))
			return &c->srcs[i];
	return NULL;
}

/* --- (AAD, ciphertext) pairs ------------------------------------------------------------- */

struct collect {
	struct buf aad;
	struct decrypt__pair **v;
	size_t *n, *cap, doc;
};

static int collect_node(struct collect *c, const struct doc *n, int top)
{
	size_t i, mark = c->aad.len, len;
	const char *s;
	int rc;

	switch (doc_kind(n)) {
	case DOC_MAP:
		for (i = 0; i < doc_len(n); i++) {
			s = doc_text(doc_key_at(n, i), &len);
			if (top && !strcmp(s, "sops"))
				continue;
			buf_truncate(&c->aad, mark);
			if ((rc = buf_add(&c->aad, s, len)) < 0 ||
			    (rc = buf_addc(&c->aad, ':')) < 0 ||
			    (rc = collect_node(c, doc_val_at(n, i), 0)) < 0)
				return rc;
		}
		buf_truncate(&c->aad, mark);
		return 0;
	case DOC_SEQ: /* list indices are not part of sops' AAD */
		for (i = 0; i < doc_len(n); i++)
			if ((rc = collect_node(c, doc_val_at(n, i), 0)) < 0)
				return rc;
		return 0;
	default:
		s = doc_text(n, &len);
		if (doc_kind(n) != DOC_STR || !sops_is_encrypted_value(s, len))
			return 0;
		if (*c->n == *c->cap) {
			size_t cap = *c->cap ? 2 * *c->cap : 16;
			struct decrypt__pair *v = realloc(*c->v, cap * sizeof(*v));
			if (!v)
				return gs_error(GS_ENOMEM, "out of memory");
			*c->v = v;
			*c->cap = cap;
		}
		(*c->v)[*c->n].doc = c->doc;
		(*c->v)[*c->n].aad = strdup(c->aad.p);
		(*c->v)[*c->n].enc = strndup(s, len);
		if (!(*c->v)[*c->n].aad || !(*c->v)[*c->n].enc) {
			free((*c->v)[*c->n].aad);
			free((*c->v)[*c->n].enc);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		++*c->n;
		return 0;
	}
}

int decrypt__collect_pairs(const struct doc *root, size_t docidx, struct decrypt__pair **v,
                           size_t *n, size_t *cap)
{
	struct collect c;
	int rc;
	c.v = v;
	c.n = n;
	c.cap = cap;
	c.doc = docidx;
	buf_init(&c.aad, 1 << 16, 0);
	rc = collect_node(&c, root, 1);
	buf_release(&c.aad);
	return rc;
}

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct decrypt__pair *)a)->enc,
	              ((const struct decrypt__pair *)b)->enc);
}

const struct decrypt__pair *decrypt__src_pair(const struct decrypt__src *s, const char *enc)
{
	struct decrypt__pair key;
	key.enc = (char *)enc;
	return s->npairs ? bsearch(&key, s->pairs, s->npairs, sizeof(key), pair_cmp) : NULL;
}

/* --- checking a source file ----------------------------------------------------------------- */

int decrypt__src_check(struct decrypt_ctx *c, struct decrypt__src *s,
                       const unsigned char key[SOPS_KEY_LEN])
{
	struct buf full = BUF_INIT(8192), data = BUF_INIT(SCAN_MAX_SIZE);
	struct doc_stream st = DOC_STREAM_INIT;
	struct sops_file f;
	enum sops_format fmt =
	    sops_format_for_path(s->relpath) == SOPS_FMT_JSON ? SOPS_FMT_JSON : SOPS_FMT_YAML;
	size_t cap = 0, i;
	int rc;

	if (s->checked)
		return s->checked > 0
		           ? 0
		           : gs_error(s->checked, "%s", s->err ? s->err : "MAC check failed");
	memset(&f, 0, sizeof(f));
	buf_addf(&full, "%s/%s", c->root, s->relpath);
	if ((rc = file_read(&data, full.p)) < 0 ||
	    (rc = doc_parse(&st, s->relpath, data.p, data.len,
	                    fmt == SOPS_FMT_JSON ? DOC_PARSE_JSON : 0, NULL)) < 0)
		goto out;
	if (!(s->ns = calloc(st.n ? st.n : 1, sizeof(*s->ns)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	s->ndocs = st.n;
	for (i = 0; i < st.n; i++) {
		const char *ns = doc_k8s_namespace(st.docs[i]);
		if (ns && !(s->ns[i] = strdup(ns))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = decrypt__collect_pairs(st.docs[i], i, &s->pairs, &s->npairs, &cap)) < 0)
			goto out;
	}
	qsort(s->pairs, s->npairs, sizeof(*s->pairs), pair_cmp);
	if ((rc = sops_file_load(&f, s->relpath, data.p, data.len, fmt)) < 0)
		goto out;
	if ((rc = sops_file_decrypt(&f, key, 0)) < 0 &&
	    sops_exit_code(rc) == SOPS_EXIT_MAC_MISMATCH)
		rc = gs_error(GS_EAUTH,
		              "%s: MAC mismatch: the file was changed after it was encrypted",
		              s->relpath);
out:
	sops_file_release(&f);
	doc_stream_release(&st);
	buf_release(&full);
	buf_release(&data);
	s->checked = rc < 0 ? rc : 1;
	if (rc < 0)
		s->err = strdup(gs_error_last());
	return rc;
}
