/*
 * YAML output that keeps the source's bytes: comments, key order, quoting and
 * indentation stay as they were outside the values that changed (sops re-emits
 * the whole file, #864). libyaml reports no comments, so instead of emitting a
 * tree we compare the new trees with a parse of the source and splice the changed
 * scalars into the original bytes at the parser's byte offsets; comments are
 * found between the nodes and encrypted/decrypted as sops does (#ENC[...], AAD =
 * the path of the map or list they sit in). The result is parsed again and
 * compared with the trees; anything the splice cannot express (flow maps that
 * change shape, aliases, list lengths) makes the caller fall back to re-emitting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doc/doc.h"
#include "sealer/sops/sops.h"
#include "sealer/sops/sops_int.h"
#include "sealer/sops/sops_splice_int.h"

int sops__add_edit(struct splice *s, size_t start, size_t end, const char *text, size_t n)
{
	struct edit *e;
	if (s->ne == s->cape) {
		size_t nc = s->cape ? 2 * s->cape : 64;
		if (!(e = realloc(s->e, nc * sizeof(*e))))
			return GS_ENOMEM;
		s->e = e;
		s->cape = nc;
	}
	e = &s->e[s->ne++];
	e->start = start;
	e->end = end;
	e->off = s->arena.len;
	e->len = n;
	return buf_add(&s->arena, text, n);
}

int sops__add_entry(struct splice *s, const struct doc *n)
{
	struct entry *e;
	struct doc_mark m = doc_start(n);
	if (s->nent == s->capent) {
		size_t nc = s->capent ? 2 * s->capent : 256;
		if (!(e = realloc(s->ent, nc * sizeof(*e))))
			return GS_ENOMEM;
		s->ent = e;
		s->capent = nc;
	}
	e = &s->ent[s->nent++];
	e->start = m.offset;
	e->line = m.line;
	e->col = m.col;
	e->aad_off = s->aads.len;
	e->aad_len = s->path.len ? s->path.len : 1;
	return buf_add(&s->aads, s->path.len ? s->path.p : ":", e->aad_len);
}

size_t sops__line_start(const struct splice *s, size_t o)
{
	while (o > 0 && s->src[o - 1] != '\n')
		o--;
	return o;
}

/* --- rendering a new scalar ------------------------------------------------- */

static int plain_ok(const char *t, size_t n, int flow)
{
	size_t i;
	if (n == 0 || strchr("-?:,[]{}#&*!|>'\"%@` \t", t[0]) || t[n - 1] == ' ' || t[n - 1] == ':')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c < 0x20 || c == 0x7f || (c == ':' && i + 1 < n && t[i + 1] == ' ') ||
		    (c == '#' && i && t[i - 1] == ' '))
			return 0;
		if (flow && strchr(",[]{}", c))
			return 0;
	}
	return !doc_yaml11_needs_quotes(t, n) && !(n == 1 && (t[0] == '~' || t[0] == '='));
}

static int add_double_quoted(struct buf *b, const char *t, size_t n)
{
	size_t i;
	int rc = buf_addc(b, '"');
	for (i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '"' || c == '\\')
			rc = buf_addc(b, '\\') < 0 ? GS_ENOMEM : buf_addc(b, (char)c);
		else if (c == '\n')
			rc = buf_add(b, "\\n", 2);
		else if (c == '\t')
			rc = buf_add(b, "\\t", 2);
		else if (c < 0x20 || c == 0x7f)
			rc = buf_addf(b, "\\x%02x", c);
		else
			rc = buf_addc(b, (char)c);
	}
	return rc < 0 ? rc : buf_addc(b, '"');
}

/* A literal block for multi-line text that reads back the same (clip "|" or strip "|-"). */
static int literal_ok(const char *t, size_t n)
{
	size_t i;
	if (n < 2 || t[0] == ' ' || t[0] == '\n' ||
	    (n >= 2 && t[n - 1] == '\n' && t[n - 2] == '\n'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f ||
		    (c == ' ' && (i + 1 == n || t[i + 1] == '\n')))
			return 0;
	}
	return memchr(t, '\n', n) != NULL;
}

static int render(struct buf *b, const struct doc *n, int flow, int indent, int json)
{
	size_t len = 0, i;
	const char *t = doc_text(n, &len);
	if (json) {
		switch (doc_kind(n)) {
		case DOC_NULL: return buf_adds(b, "null");
		case DOC_INT:
		case DOC_BOOL: return buf_add(b, t, len);
		case DOC_FLOAT:
			return strcmp(t, "NaN") && strcmp(t, "+Inf") && strcmp(t, "-Inf")
			           ? buf_add(b, t, len)
			           : GS_EINVAL;
		default: return buf_add_json_str(b, t, len);
		}
	}
	switch (doc_kind(n)) {
	case DOC_NULL: return buf_adds(b, "null");
	case DOC_FLOAT:
		if (!strcmp(t, "NaN"))
			return buf_adds(b, ".nan");
		if (!strcmp(t, "+Inf"))
			return buf_adds(b, ".inf");
		if (!strcmp(t, "-Inf"))
			return buf_adds(b, "-.inf");
		/* fallthrough */
	case DOC_INT:
	case DOC_BOOL:
	case DOC_TIMESTAMP: return buf_add(b, t, len);
	default: break;
	}
	if (plain_ok(t, len, flow))
		return buf_add(b, t, len);
	if (!flow && literal_ok(t, len)) {
		int rc = buf_adds(b, t[len - 1] == '\n' ? "|" : "|-");
		size_t end = t[len - 1] == '\n' ? len - 1 : len, ls = 0;
		for (i = 0; i <= end && rc == 0; i++)
			if (i == end || t[i] == '\n') {
				rc = buf_addf(b, "\n%*s", i > ls ? indent : 0, "");
				if (rc == 0)
					rc = buf_add(b, t + ls, i - ls);
				ls = i + 1;
			}
		return rc;
	}
	return add_double_quoted(b, t, len);
}

/* --- comparing the new trees with the source's ------------------------------ */

static int same_scalar(const struct doc *a, const struct doc *b)
{
	size_t la = 0, lb = 0;
	const char *ta = doc_text(a, &la), *tb = doc_text(b, &lb);
	int num = (doc_kind(a) == DOC_INT || doc_kind(a) == DOC_FLOAT) &&
	          (doc_kind(b) == DOC_INT || doc_kind(b) == DOC_FLOAT);
	if (doc_kind(a) != doc_kind(b) &&
	    !num) /* a float 7 (sops <= 3.13.1 JSON) reads back as int 7 */
		return 0;
	if (doc_kind(a) == DOC_NULL)
		return 1;
	return ta && tb && la == lb && !memcmp(ta, tb, la);
}

static int sp_node(struct splice *s, const struct doc *old, const struct doc *nw, int flow,
                   int parent_col);
static int append_entries(struct splice *s, const struct doc *old, const struct doc *nw,
                          size_t from);

static int replace_scalar(struct splice *s, const struct doc *old, const struct doc *nw, int flow,
                          int parent_col)
{
	struct buf r = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	struct doc_mark a = doc_start(old), z = doc_end(old);
	enum doc_style st = doc_style(old);
	int rc;
	if (doc_kind(old) == DOC_NULL && z.offset == a.offset)
		return s->fail = 1, 0; /* an empty value has no bytes to replace */
	if ((rc = render(&r, nw, flow, parent_col + s->step, s->json)) == GS_EINVAL) {
		buf_release(&r);
		return s->fail = 1, 0;
	}
	if (rc == 0) {
		if (st == DOC_STYLE_LITERAL || st == DOC_STYLE_FOLDED) {
			/* the block runs to the start of the next line: keep its line breaks */
			size_t i = z.offset;
			while (i > a.offset && s->src[i - 1] == '\n')
				i--, rc = rc ? rc : buf_addc(&r, '\n');
		}
		if (rc == 0)
			rc = sops__add_edit(s, a.offset, z.offset, r.p, r.len);
	}
	buf_release(&r);
	return rc;
}

/* Remove map entry i (block style): from the key's line to the next entry's line. */
/* Where the last scalar under n ends (a block map or list "ends" only at what follows it). */
static size_t last_scalar_end(const struct doc *n)
{
	size_t len = doc_len(n);
	if ((doc_kind(n) == DOC_MAP || doc_kind(n) == DOC_SEQ) && len &&
	    doc_style(n) != DOC_STYLE_FLOW)
		return last_scalar_end(doc_val_at(n, len - 1));
	return doc_end(n).offset;
}

/* An entry's lines: from its key's line to the end of its value's last line (its line comment
 * included), and the comment lines indented deeper than its key that follow (foot comments of
 * what it holds). Comments at the next key's column are that key's and stay. */
static int delete_entry(struct splice *s, const struct doc *map, size_t i)
{
	struct doc_mark k = doc_start(doc_key_at(map, i));
	size_t a = sops__line_start(s, k.offset), z = last_scalar_end(doc_val_at(map, i)), e;
	if (z < a)
		z = doc_end(doc_key_at(map, i)).offset;
	while (z < s->len && (z == 0 || s->src[z - 1] != '\n'))
		z++;
	for (;;) { /* deeper comment lines */
		size_t ind = 0;
		while (z + ind < s->len && s->src[z + ind] == ' ')
			ind++;
		if (z + ind >= s->len || s->src[z + ind] != '#' || ind <= k.col - 1)
			break;
		for (e = z + ind; e < s->len && s->src[e] != '\n'; e++)
			;
		z = e < s->len ? e + 1 : e;
	}
	return sops__add_edit(s, a, z, "", 0);
}

/* Append new map entries after the last one, indented like their siblings. */
static int append_entries(struct splice *s, const struct doc *old, const struct doc *nw,
                          size_t from)
{
	struct doc *tmp = doc_new_map();
	struct buf y = BUF_INIT_SECRET(BUF_MAX_DEFAULT), r = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	struct doc_emit_opts o = { s->step, DOC_EMIT_SEQ_INDENT };
	size_t i, pos, col = doc_len(old) ? doc_start(doc_key_at(old, 0)).col - 1 : 0, ls = 0;
	int rc = 0;

	if (!tmp)
		return GS_ENOMEM;
	for (i = from; i < doc_len(nw) && rc == 0; i++) {
		size_t kl = 0;
		const char *k = doc_text(doc_key_at(nw, i), &kl);
		if (doc_getn(old, k, kl)) {
			s->fail = 1;
			goto out;
		}
		rc = doc_setn(tmp, k, kl, doc_clone(doc_val_at(nw, i)));
	}
	if (rc == 0 && doc_len(tmp)) {
		if (!doc_len(old)) {
			s->fail = 1;
			goto out;
		}
		pos = doc_end(doc_val_at(old, doc_len(old) - 1)).offset;
		while (pos < s->len && (pos == 0 || s->src[pos - 1] != '\n'))
			pos++;
		if ((rc = doc_emit_yaml(&y, tmp, &o)) < 0)
			goto out;
		if (pos == s->len && s->len && s->src[s->len - 1] != '\n')
			buf_addc(&r, '\n');
		for (i = 0; i < y.len; i++)
			if (y.p[i] == '\n') {
				buf_addf(&r, "%*s", (int)col, "");
				buf_add(&r, y.p + ls, i + 1 - ls);
				ls = i + 1;
			}
		rc = sops__add_edit(s, pos, pos, r.p, r.len);
	}
out:
	doc_free(tmp);
	buf_release(&y);
	buf_release(&r);
	return rc;
}

static int key_is(const struct doc *k, const char *t, size_t n)
{
	size_t kl = 0;
	const char *kt = doc_text(k, &kl);
	return kt && kl == n && !memcmp(kt, t, n);
}

/* Walk old and new maps side by side (linear when the key order is the same, as it is
 * for everything sops produces); a reordered map cannot be spliced. */
int sops__sp_map(struct splice *s, const struct doc *old, const struct doc *nw, int flow, int root)
{
	size_t i, j = 0, n = doc_len(old), m = doc_len(nw);
	int rc = 0, fl = flow || doc_style(old) == DOC_STYLE_FLOW;
	for (i = 0; i < n && rc == 0 && !s->fail; i++) {
		const struct doc *k = doc_key_at(old, i);
		size_t kl = 0, mark = s->path.len;
		const char *kt = doc_text(k, &kl);
		const struct doc *v2 = NULL;
		if (!kt)
			return s->fail = 1, 0;
		if (root && kl == 4 && !memcmp(kt, "sops", 4)) {
			if (j < m && key_is(doc_key_at(nw, j), kt, kl))
				j++;
			continue; /* the metadata block is handled by the caller */
		}
		if ((rc = sops__add_entry(s, k)) < 0)
			return rc;
		if (j < m && key_is(doc_key_at(nw, j), kt, kl))
			v2 = doc_val_at(nw, j++);
		else if (doc_getn(nw, kt, kl))
			return s->fail = 1, 0; /* moved: the MAC order changed */
		if (!v2) {
			if (fl)
				return s->fail = 1, 0;
			rc = delete_entry(s, old, i);
			continue;
		}
		buf_add(&s->path, kt, kl);
		buf_addc(&s->path, ':');
		rc = sp_node(s, doc_val_at(old, i), v2, fl, (int)doc_start(k).col - 1);
		buf_truncate(&s->path, mark);
	}
	if (rc == 0 && !s->fail && j < m) { /* new keys after the old ones */
		if (fl)
			return s->fail = 1, 0;
		rc = append_entries(s, old, nw, j);
	}
	return rc;
}

static int sp_node(struct splice *s, const struct doc *old, const struct doc *nw, int flow,
                   int parent_col)
{
	size_t i;
	int rc = 0;
	if (s->fail)
		return 0;
	if (doc_kind(old) == DOC_MAP && doc_kind(nw) == DOC_MAP)
		return sops__sp_map(s, old, nw, flow, 0);
	if (doc_kind(old) == DOC_SEQ && doc_kind(nw) == DOC_SEQ) {
		int fl = flow || doc_style(old) == DOC_STYLE_FLOW;
		if (doc_len(old) != doc_len(nw))
			return s->fail = 1, 0;
		for (i = 0; i < doc_len(old) && rc == 0 && !s->fail; i++) {
			const struct doc *it = doc_val_at(old, i);
			if ((rc = sops__add_entry(s, it)) == 0)
				rc = sp_node(s, it, doc_val_at(nw, i), fl,
				             (int)doc_start(it).col - 1);
		}
		return rc;
	}
	if (doc_is_scalar(old) && doc_is_scalar(nw))
		return same_scalar(old, nw) ? 0 : replace_scalar(s, old, nw, flow, parent_col);
	s->fail = 1;
	return 0;
}

int sops__cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	return x->start < y->start   ? -1
	       : x->start > y->start ? 1
	                             : (x->end > y->end) - (x->end < y->end);
}

/* --- checking the result ------------------------------------------------------------ */

static int same_tree(const struct doc *a, const struct doc *b, int root)
{
	size_t i, j;
	if (doc_kind(a) != doc_kind(b) && !(root && doc_kind(a) == DOC_MAP) &&
	    !(doc_is_scalar(a) && doc_is_scalar(b)))
		return 0;
	if (doc_kind(a) == DOC_MAP) {
		for (i = 0, j = 0; i < doc_len(a); i++) {
			size_t kl = 0, kl2 = 0;
			const char *k = doc_text(doc_key_at(a, i), &kl), *k2;
			if (root && kl == 4 && !memcmp(k, "sops", 4))
				continue;
			if (j >= doc_len(b))
				return 0;
			k2 = doc_text(doc_key_at(b, j), &kl2);
			if (kl != kl2 || memcmp(k, k2, kl) ||
			    !same_tree(doc_val_at(a, i), doc_val_at(b, j), 0))
				return 0;
			j++;
		}
		return j == doc_len(b);
	}
	if (doc_kind(a) == DOC_SEQ) {
		if (doc_len(a) != doc_len(b))
			return 0;
		for (i = 0; i < doc_len(a); i++)
			if (!same_tree(doc_val_at(a, i), doc_val_at(b, i), 0))
				return 0;
		return 1;
	}
	return same_scalar(a, b);
}

/* The indentation step of the file: the first nested block map's key column minus its parent's. */
static int detect_step(const struct doc *n)
{
	size_t i;
	for (i = 0; doc_kind(n) == DOC_MAP && i < doc_len(n); i++) {
		const struct doc *k = doc_key_at(n, i), *v = doc_val_at(n, i);
		if (doc_kind(v) == DOC_MAP && doc_style(v) != DOC_STYLE_FLOW && doc_len(v)) {
			int d = (int)doc_start(doc_key_at(v, 0)).col - (int)doc_start(k).col;
			if (d > 0 && d <= 8)
				return d;
		}
	}
	return 0;
}

static int apply_edits(struct splice *s, struct buf *res)
{
	size_t i, pos = 0;
	int rc;
	if (s->ne)
		qsort(s->e, s->ne, sizeof(*s->e), sops__cmp_edit);
	for (i = 0; i < s->ne; i++) {
		if (s->e[i].start < pos)
			return GS_EINVAL; /* overlapping changes */
		if ((rc = buf_add(res, s->src + pos, s->e[i].start - pos)) < 0 ||
		    (rc = buf_add(res, s->arena.p + s->e[i].off, s->e[i].len)) < 0)
			return rc;
		pos = s->e[i].end;
	}
	return buf_add(res, s->src + pos, s->len - pos);
}

/* The metadata object as JSON, indented like the file (ind = the member lines' indentation). */
static int json_meta(struct buf *out, const struct sops_file *f, const char *ind, size_t indlen)
{
	struct doc *meta = NULL;
	struct buf j = BUF_INIT(BUF_MAX_DEFAULT);
	int tabs = indlen && ind[0] == '\t';
	struct doc_emit_opts o = { tabs ? 1 : (int)(indlen ? indlen : 4), 0 };
	size_t i;
	int rc;
	if ((rc = sops__meta_to_doc(&meta, &f->meta, SOPS_FMT_JSON)) < 0 ||
	    (rc = doc_emit_json(&j, meta, &o)) < 0)
		goto out;
	while (j.len && j.p[j.len - 1] == '\n')
		j.len--;
	for (i = 0; i < j.len && rc == 0; i++) {
		if (j.p[i] == '\n') {
			size_t k = i + 1, sp = 0;
			rc = buf_addc(out, '\n') < 0 ? GS_ENOMEM : buf_add(out, ind, indlen);
			while (tabs && k + sp < j.len && j.p[k + sp] == ' ')
				sp++;
			for (k = 0; k < sp && rc == 0; k++)
				rc = buf_addc(out, '\t');
			i += sp;
			continue;
		}
		rc = buf_addc(out, j.p[i]);
	}
out:
	doc_free(meta);
	buf_release(&j);
	return rc;
}

static int json_splice(struct splice *s, const struct doc_stream *st, const struct sops_file *f,
                       int with_meta, struct buf *res)
{
	const struct doc *root = st->n == 1 ? st->docs[0] : NULL, *sops;
	struct buf m = BUF_INIT(BUF_MAX_DEFAULT);
	const char *ind;
	size_t indlen, ks, i;
	int rc;

	if (doc_kind(root) != DOC_MAP || doc_len(root) == 0)
		return GS_EINVAL;
	/* the members' indentation: the whitespace before the first key on its line */
	ks = doc_start(doc_key_at(root, 0)).offset;
	ind = s->src + sops__line_start(s, ks);
	indlen = (size_t)(s->src + ks - ind);
	for (i = 0; i < indlen; i++)
		if (ind[i] != ' ' && ind[i] != '\t')
			return GS_EINVAL; /* compact JSON: nothing to keep */
	if ((rc = sops__sp_map(s, root, f->docs[0], 1, 1)) < 0 || s->fail)
		return rc < 0 ? rc : GS_EINVAL;
	sops = doc_get(root, "sops");
	if (with_meta && (rc = json_meta(&m, f, ind, indlen)) < 0)
		goto out;
	if (sops && with_meta) {
		rc = sops__add_edit(s, doc_start(sops).offset, doc_end(sops).offset, m.p, m.len);
	} else if (sops) { /* drop `,\n  "sops": {...}` */
		size_t a = 0, k;
		for (k = 0; k < doc_len(root); k++)
			if (doc_val_at(root, k) == sops)
				a = doc_start(doc_key_at(root, k)).offset;
		while (a > 0 && strchr(" \t\r\n", s->src[a - 1]))
			a--;
		if (a == 0 || s->src[a - 1] != ',') {
			rc = GS_EINVAL;
			goto out;
		}
		rc = sops__add_edit(s, a - 1, doc_end(sops).offset, "", 0);
	} else if (with_meta) {
		struct buf ins = BUF_INIT(BUF_MAX_DEFAULT);
		const struct doc *last = doc_val_at(root, doc_len(root) - 1);
		if ((rc = buf_adds(&ins, ",\n")) == 0 && (rc = buf_add(&ins, ind, indlen)) == 0 &&
		    (rc = buf_adds(&ins, "\"sops\": ")) == 0 &&
		    (rc = buf_add(&ins, m.p, m.len)) == 0)
			rc = sops__add_edit(s, doc_end(last).offset, doc_end(last).offset, ins.p,
			                    ins.len);
		buf_release(&ins);
	}
	if (rc == 0)
		rc = apply_edits(s, res);
out:
	buf_release(&m);
	return rc;
}

int sops_yaml_splice(struct buf *out, const struct sops_file *f, const char *src, size_t len,
                     int with_meta, int indent, const unsigned char *old_key,
                     const unsigned char *new_key, struct sops_stash *stash)
{
	struct doc_stream st = DOC_STREAM_INIT, chk = DOC_STREAM_INIT;
	struct splice s;
	struct doc *meta = NULL, *wrap = NULL;
	struct buf mtext = BUF_INIT(BUF_MAX_DEFAULT), res = BUF_INIT_SECRET(BUF_MAX_FILE);
	size_t i, pos;
	int rc;

	memset(&s, 0, sizeof(s));
	buf_init(&s.arena, BUF_MAX_FILE, 1);
	buf_init(&s.aads, BUF_MAX_DEFAULT, 0);
	buf_init(&s.path, BUF_MAX_DEFAULT, 0);
	s.src = src;
	s.len = len;
	s.rules = &f->meta.rules;
	s.cmt = f->cmt && f->src == src ? f->cmt : NULL; /* its offsets are this source's */
	s.json = f->fmt == SOPS_FMT_JSON;
	if ((rc = doc_parse(&st, f->name, src, len,
	                    DOC_PARSE_SECRET | (s.json ? DOC_PARSE_JSON : 0), NULL)) < 0 ||
	    st.n != f->ndocs) {
		rc = GS_EINVAL;
		goto out;
	}
	if (s.json) {
		rc = json_splice(&s, &st, f, with_meta, &res);
		if (rc == GS_EINVAL || s.fail)
			goto fallback;
		if (rc < 0)
			goto out;
		goto check;
	}
	s.step = indent ? indent : 0;
	for (i = 0; i < st.n && !s.step; i++)
		s.step = detect_step(st.docs[i]);
	if (!s.step)
		s.step = 4;
	if (with_meta) {
		struct doc_emit_opts o = { s.step, DOC_EMIT_SEQ_INDENT };
		if ((rc = sops__meta_to_doc(&meta, &f->meta, SOPS_FMT_YAML)) < 0 ||
		    !(wrap = doc_new_map()) || doc_set(wrap, "sops", meta) < 0 ||
		    (meta = NULL, rc = doc_emit_yaml(&mtext, wrap, &o)) < 0)
			goto fallback;
	}
	for (i = 0; i < st.n && !s.fail; i++) {
		const struct doc *root = st.docs[i], *sops;
		if (!root || doc_kind(root) != DOC_MAP || doc_style(root) == DOC_STYLE_FLOW ||
		    doc_len(root) == 0)
			goto fallback;
		if ((rc = sops__sp_map(&s, root, f->docs[i], 0, 1)) < 0)
			goto out;
		sops = doc_get(root, "sops");
		if (sops) { /* replace or drop the metadata block: from its key to the end of its
			       value */
			size_t k, a = 0, z;
			for (k = 0; k < doc_len(root); k++)
				if (doc_val_at(root, k) == sops)
					a = sops__line_start(&s,
					                     doc_start(doc_key_at(root, k)).offset);
			z = doc_end(sops).offset;
			while (z < len && z > 0 && src[z - 1] != '\n')
				z++;
			rc = sops__add_edit(&s, a, z, with_meta ? mtext.p : "",
			                    with_meta ? mtext.len : 0);
		} else if (with_meta) {
			pos = doc_end(root).offset;
			while (pos < len && pos > 0 && src[pos - 1] != '\n')
				pos++;
			if (pos > 0 && src[pos - 1] != '\n' &&
			    (rc = sops__add_edit(&s, pos, pos, "\n", 1)) < 0)
				goto out;
			rc = sops__add_edit(&s, pos, pos, mtext.p, mtext.len);
		}
		if (rc < 0)
			goto out;
	}
	if (s.fail)
		goto fallback;
	if ((old_key || new_key) &&
	    (rc = sops__do_comments(&s, &st, old_key, new_key, stash, NULL)) < 0)
		goto out;
	if (s.ne)
		qsort(s.e, s.ne, sizeof(*s.e), sops__cmp_edit);
	for (i = 0, pos = 0; i < s.ne; i++) {
		if (s.e[i].start < pos)
			goto fallback; /* overlapping changes */
		if ((rc = buf_add(&res, src + pos, s.e[i].start - pos)) < 0 ||
		    (rc = buf_add(&res, s.arena.p + s.e[i].off, s.e[i].len)) < 0)
			goto out;
		pos = s.e[i].end;
	}
	if ((rc = buf_add(&res, src + pos, len - pos)) < 0)
		goto out;
	/* the result must read back as the trees we meant to write */
check:
	if (doc_parse(&chk, f->name, res.p, res.len,
	              DOC_PARSE_SECRET | (s.json ? DOC_PARSE_JSON : 0), NULL) < 0 ||
	    chk.n != f->ndocs)
		goto fallback;
	for (i = 0; i < chk.n; i++)
		if (!same_tree(chk.docs[i], f->docs[i], 1) ||
		    (with_meta && !doc_get(chk.docs[i], "sops")) ||
		    (!with_meta && doc_get(chk.docs[i], "sops")))
			goto fallback;
	rc = buf_add(out, res.p, res.len);
	goto out;
fallback:
	gs_error_clear();
	rc = GS_EINVAL;
out:
	doc_free(meta);
	doc_free(wrap);
	doc_stream_release(&st);
	doc_stream_release(&chk);
	buf_release(&mtext);
	buf_release(&res);
	buf_release(&s.arena);
	buf_release(&s.aads);
	buf_release(&s.path);
	free(s.e);
	free(s.ent);
	return rc;
}
