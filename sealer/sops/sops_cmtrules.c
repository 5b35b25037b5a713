/*
 * The comment rules of sops >= 3.9 (encrypted_comment_regex, unencrypted_comment_regex):
 * whether a value is encrypted depends on the comments before it. sops keeps a YAML
 * file's comments as items of the map or list they sit in (yaml.v3 head, line and foot
 * comments; a value's line comment comes before its entry) and, walking the tree, keeps
 * one list of comments per level, emptied after each entry: a leaf is plaintext when any
 * comment on the stack matches unencrypted_comment_regex, and encrypted only when one
 * matches encrypted_comment_regex (a comment itself: any earlier one). libyaml reports no
 * comments, so they are found in the bytes (as in sops_comments.c) and placed by line and
 * column the way yaml.v3 attaches them; then that walk is replayed over the file's trees.
 * The decisions are kept by the node of each entry's key (or list item), which survive
 * `sops set` and `unset`; a new entry takes what the stack holds at its container's end,
 * where sops appends it. Comments are decided by the offset of their '#'.
 *
 * Checked against yaml.v3 v3 + sops' walk (a Go harness, not committed: it needs the
 * sources) on 2 000 random files: with comments at their key's indentation every leaf
 * decision matched (and 99% of the comments'); foot comments indented unlike anything
 * around them can be attached differently by yaml.v3 (~5% of leaves in such files).
 */
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "sealer/sops/sops.h"
#include "sealer/sops/sops_int.h"
#include "sealer/sops/sops_splice_int.h"

struct ccont;

struct centry { /* a map entry or a list item */
	struct ccont *parent;
	const struct doc *anchor; /* its key, or the item */
	size_t index;             /* in parent */
	size_t start;             /* offset of the key, or of the item */
	unsigned line, col;       /* of the key, or of the item's '-' */
	unsigned key_line;        /* line of the key (or item) */
	unsigned val_end_line;    /* last line of a scalar value (0 for a map or list) */
	const struct doc *val;
	struct ccont *child; /* the value, when it is a map or a list */
	struct centry *up;   /* the entry whose value holds parent */
};

struct cplaced {
	size_t before; /* entry index in the container (n: after the last) */
	size_t cmt;    /* index in plan->cm */
};

struct ccont {
	const struct doc *node;
	struct centry **ent;
	size_t n;
	struct cplaced *c;
	size_t nc, capc;
};

struct ccomment {
	size_t off; /* of the '#' */
	unsigned line, col;
	const char *text; /* after the '#' */
	size_t len;
	int inline_;
	int enc; /* the decision */
};

struct cleaf {
	const struct doc
	    *node; /* an entry's anchor, or a container (for what is added at its end) */
	int enc;
};

struct sops_cmt_plan {
	const struct sops_rules *rules;
	struct centry **all; /* document order */
	size_t nall, capall;
	struct ccont **roots;
	size_t nroots;
	struct ccomment *cm;
	size_t ncm;
	struct cleaf *leaves;
	size_t nleaves, capleaves;
	/* the comment stack of the walk: comment indices, and where each level starts */
	size_t *stk, nstk, capstk;
	size_t *lvl, nlvl, caplvl;
};

#define GROW(p, n, cap)                                                                            \
	((n) < (cap)                                                                               \
	     ? 0                                                                                   \
	     : ((cap) = (cap) ? (cap)*2 : 16, ((p) = realloc_or_free((p), (cap) * sizeof(*(p))))   \
	                                          ? 0                                              \
	                                          : gs_error(GS_ENOMEM, "out of memory")))

static void *realloc_or_free(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q)
		free(p);
	return q;
}

/* The column of the '-' of a block list item starting at offset o (the item's own column
 * otherwise). */
static unsigned dash_col(const char *src, size_t o, unsigned col)
{
	size_t i = o;
	while (i > 0 && (src[i - 1] == ' ' || src[i - 1] == '\t'))
		i--;
	if (i > 0 && src[i - 1] == '-' && col > o - i + 1)
		return col - (unsigned)(o - i) - 1;
	return col;
}

static int build(struct sops_cmt_plan *p, const char *src, const struct doc *n, struct centry *up,
                 struct ccont **out)
{
	struct ccont *c = calloc(1, sizeof(*c));
	int seq = doc_kind(n) == DOC_SEQ;
	size_t i;
	int rc;

	*out = c;
	if (c)
		c->node = n;
	if (!c || (doc_len(n) && !(c->ent = calloc(doc_len(n), sizeof(*c->ent)))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < doc_len(n); i++) {
		const struct doc *k = seq ? doc_val_at(n, i) : doc_key_at(n, i),
		                 *v = doc_val_at(n, i);
		struct doc_mark m = doc_start(k);
		struct centry *e = calloc(1, sizeof(*e));
		if (!e)
			return gs_error(GS_ENOMEM, "out of memory");
		c->ent[c->n++] = e;
		e->parent = c;
		e->anchor = k;
		e->index = i;
		e->start = m.offset;
		e->line = e->key_line = m.line;
		e->col = seq ? dash_col(src, m.offset, m.col) : m.col;
		e->val = v;
		e->up = up;
		if ((rc = GROW(p->all, p->nall, p->capall)) < 0)
			return rc;
		p->all[p->nall++] = e;
		if (doc_kind(v) == DOC_MAP || doc_kind(v) == DOC_SEQ) {
			if ((rc = build(p, src, v, e, &e->child)) < 0)
				return rc;
		} else {
			e->val_end_line = doc_end(v).line;
		}
	}
	return 0;
}

static void free_cont(struct ccont *c)
{
	size_t i;
	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		free_cont(c->ent[i]->child);
		free(c->ent[i]);
	}
	free(c->ent);
	free(c->c);
	free(c);
}

void sops_cmt_plan_free(struct sops_cmt_plan *p)
{
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->nroots; i++)
		free_cont(p->roots[i]);
	free(p->roots);
	free(p->all);
	free(p->cm);
	free(p->leaves);
	free(p->stk);
	free(p->lvl);
	free(p);
}

static int place(struct ccont *c, size_t before, size_t cmt)
{
	int rc;
	if ((rc = GROW(c->c, c->nc, c->capc)) < 0)
		return rc;
	c->c[c->nc].before = before;
	c->c[c->nc].cmt = cmt;
	c->nc++;
	return 0;
}

/* Where yaml.v3 (and so sops) puts comment k: before which entry of which container. */
static int place_comment(struct sops_cmt_plan *p, size_t k)
{
	const struct ccomment *cm = &p->cm[k];
	size_t lo = 0, hi = p->nall, i;
	const struct centry *next, *prev, *e;

	while (lo < hi) { /* first entry after the comment */
		size_t mid = (lo + hi) / 2;
		if (p->all[mid]->start < cm->off)
			lo = mid + 1;
		else
			hi = mid;
	}
	next = lo < p->nall ? p->all[lo] : NULL;
	prev = lo ? p->all[lo - 1] : NULL;
	if (cm->inline_) {
		/* a line comment: of the deepest entry whose key, or scalar value, is on its line
		 */
		for (i = lo; i-- > 0;) {
			e = p->all[i];
			if (e->key_line == cm->line || e->val_end_line == cm->line)
				return place(e->parent, e->index, k);
			if (e->key_line < cm->line && !e->child)
				break;
		}
	}
	if (next && cm->col <= next->col)
		return place(next->parent, next->index, k); /* a head comment of the next entry */
	for (e = prev; e;
	     e = e->up) /* a foot comment of the deepest enclosing entry at its column */
		if (e->col <= cm->col)
			return place(e->parent, e->index + 1, k);
	if (next)
		return place(next->parent, next->index, k);
	return p->nroots ? place(p->roots[p->nroots - 1], p->roots[p->nroots - 1]->n, k) : 0;
}

static int cmp_placed(const void *a, const void *b)
{
	const struct cplaced *x = a, *y = b;
	if (x->before != y->before)
		return x->before < y->before ? -1 : 1;
	return x->cmt < y->cmt ? -1 : x->cmt > y->cmt;
}

/* sops' shouldBeEncrypted for the comment rules, over the current stack */
static int should_encrypt(struct sops_cmt_plan *p, int is_comment)
{
	const struct sops_rules *r = p->rules;
	size_t i;
	if (r->kind == SOPS_RULE_UNENCRYPTED_COMMENT_REGEX) {
		for (i = 0; i < p->nstk; i++)
			if (sops_rules_match_text(r, p->cm[p->stk[i]].text, p->cm[p->stk[i]].len))
				return 0;
		return 1;
	}
	/* encrypted_comment_regex: a comment is not decided by itself (the last one pushed) */
	for (i = 0; i < p->nstk - (is_comment ? 1 : 0); i++)
		if (sops_rules_match_text(r, p->cm[p->stk[i]].text, p->cm[p->stk[i]].len))
			return 1;
	return 0;
}

static int walk(struct sops_cmt_plan *p, struct ccont *c)
{
	size_t i, ci = 0;
	int rc;

	if ((rc = GROW(p->lvl, p->nlvl, p->caplvl)) < 0)
		return rc;
	p->lvl[p->nlvl++] = p->nstk;
	if (c->nc)
		qsort(c->c, c->nc, sizeof(*c->c), cmp_placed);
	for (i = 0; i <= c->n; i++) {
		for (; ci < c->nc && c->c[ci].before == i; ci++) {
			if ((rc = GROW(p->stk, p->nstk, p->capstk)) < 0)
				return rc;
			p->stk[p->nstk++] = c->c[ci].cmt;
			p->cm[c->c[ci].cmt].enc = should_encrypt(p, 1);
		}
		if ((rc = GROW(p->leaves, p->nleaves, p->capleaves)) < 0)
			return rc;
		if (i == c->n) { /* what `set` adds here */
			p->leaves[p->nleaves].node = c->node;
			p->leaves[p->nleaves++].enc = should_encrypt(p, 0);
			break;
		}
		if (c->ent[i]->child) {
			if ((rc = walk(p, c->ent[i]->child)) < 0)
				return rc;
		} else {
			p->leaves[p->nleaves].node = c->ent[i]->anchor;
			p->leaves[p->nleaves++].enc = should_encrypt(p, 0);
		}
		p->nstk = p->lvl[p->nlvl - 1]; /* an entry empties its level's list */
	}
	p->nstk = p->lvl[--p->nlvl];
	return 0;
}

static int cmp_leaf(const void *a, const void *b)
{
	const struct cleaf *x = a, *y = b;
	return x->node < y->node ? -1 : x->node > y->node;
}

int sops_cmt_plan_new(struct sops_cmt_plan **out, const struct sops_rules *rules, const char *name,
                      const char *src, size_t len, struct doc *const *docs, size_t ndocs)
{
	struct sops_cmt_plan *p = calloc(1, sizeof(*p));
	struct doc_stream st = DOC_STREAM_INIT;
	unsigned char *in_scalar = NULL;
	unsigned line = 1, col = 0;
	size_t i, o, cap = 0;
	int rc;

	*out = NULL;
	if (!p)
		return gs_error(GS_ENOMEM, "out of memory");
	p->rules = rules;
	/* the source once more, only to know which bytes are scalars (the trees may have changed)
	 */
	if ((rc = doc_parse(&st, name, src, len, DOC_PARSE_SECRET, NULL)) < 0)
		goto fail;
	if (!(p->roots = calloc(ndocs + 1, sizeof(*p->roots))) ||
	    !(in_scalar = calloc(len + 1, 1))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < st.n; i++)
		if (st.docs[i])
			sops__mark_scalars(st.docs[i], in_scalar);
	for (i = 0; i < ndocs; i++)
		if (docs[i] && doc_kind(docs[i]) == DOC_MAP &&
		    (rc = build(p, src, docs[i], NULL, &p->roots[p->nroots++])) < 0)
			goto fail;
	/* the comments, as sops_comments.c finds them */
	for (o = 0; o < len; o++) {
		size_t eol, k;
		if (src[o] == '\n') {
			line++, col = 0;
			continue;
		}
		col++;
		if (!sops__comment_at(src, o, in_scalar))
			continue;
		for (eol = o; eol < len && src[eol] != '\n'; eol++)
			;
		if ((rc = GROW(p->cm, p->ncm, cap)) < 0)
			goto fail;
		memset(&p->cm[p->ncm], 0, sizeof(p->cm[p->ncm]));
		p->cm[p->ncm].off = o;
		p->cm[p->ncm].line = line;
		p->cm[p->ncm].col = col;
		p->cm[p->ncm].text = src + o + 1;
		p->cm[p->ncm].len = eol - o - 1 - (eol - o - 1 > 0 && src[eol - 1] == '\r');
		for (k = o; k > 0 && src[k - 1] != '\n'; k--)
			if (src[k - 1] != ' ' && src[k - 1] != '\t')
				p->cm[p->ncm].inline_ = 1;
		p->ncm++;
		col += (unsigned)(eol - o - 1);
		o = eol - 1;
	}
	for (i = 0; i < p->ncm; i++)
		if ((rc = place_comment(p, i)) < 0)
			goto fail;
	for (i = 0; i < p->nroots; i++)
		if ((rc = walk(p, p->roots[i])) < 0)
			goto fail;
	if (p->nleaves)
		qsort(p->leaves, p->nleaves, sizeof(*p->leaves), cmp_leaf);
	free(in_scalar);
	doc_stream_release(&st);
	*out = p;
	return 0;
fail:
	free(in_scalar);
	doc_stream_release(&st);
	sops_cmt_plan_free(p);
	return rc;
}

/* Without a plan (JSON has no comments): what an empty stack decides. */
static int no_comments(const struct sops_rules *r)
{
	return r->kind == SOPS_RULE_UNENCRYPTED_COMMENT_REGEX;
}

static const struct cleaf *find_leaf(const struct sops_cmt_plan *p, const struct doc *n)
{
	size_t lo = 0, hi = p->nleaves;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->leaves[mid].node == n)
			return &p->leaves[mid];
		if (p->leaves[mid].node < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int sops_cmt_plan_leaf(const struct sops_cmt_plan *p, const struct sops_rules *r,
                       const struct doc *anchor, const struct doc *container)
{
	const struct cleaf *l;
	if (!p)
		return no_comments(r);
	if ((l = find_leaf(p, anchor)) || (container && (l = find_leaf(p, container))))
		return l->enc;
	/* a new container (set of a map): sops would decide by its ancestors' comments, which we
	 * do not track for new nodes; encrypting is the side that cannot leak */
	return 1;
}

int sops_cmt_plan_comment(const struct sops_cmt_plan *p, size_t off)
{
	size_t lo = 0, hi = p->ncm;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->cm[mid].off == off)
			return p->cm[mid].enc;
		if (p->cm[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1;
}
