/*
 * Parsing with libyaml's event API into arena nodes, iteratively (an explicit
 * stack, so hostile nesting hits max_depth instead of the C stack).
 *
 * libyaml's marks count characters; nodes keep byte offsets, converted by
 * walking the UTF-8 source with a cursor (events come in source order, so
 * this is linear). The encoding is forced to UTF-8 so that a BOM counts as
 * one character at offset 0 and offsets are always bytes of the caller's text.
 *
 * Aliases are expanded by copying the anchored node; every copied node counts
 * against max_alias (billion laughs). Merge keys `<<` are not merged: they
 * stay ordinary keys (Kubernetes manifests do not use them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "doc/doc_int.h"

struct frame {
	struct doc *node;
	size_t base; /* first child in p->vec */
	char *anchor;
};

struct anchor {
	const char *name;
	struct doc *node;
};

struct parser {
	yaml_parser_t yp;
	const char *src, *file;
	size_t len, base; /* base: a UTF-8 BOM skipped before libyaml sees the text */
	unsigned flags;
	struct doc_limits lim;
	struct doc__arena *arena;
	int ascii;
	size_t cur_char, cur_byte;
	struct doc **vec;
	size_t vlen, vcap;
	struct frame *frames;
	size_t nframes, fcap;
	struct anchor *anchors;
	size_t nanchors, acap;
	unsigned *atab; /* anchor name hash -> index + 1 (open addressing, power of two) */
	size_t atab_size;
	unsigned *htab; /* duplicate-key scratch table */
	size_t hcap;
	size_t nodes, aliased;
	struct doc *root;
	struct doc **docs;
	size_t ndocs, dcap;
};

static const char *fname(const struct parser *p)
{
	return p->file && *p->file ? p->file : "<input>";
}

static size_t byte_at(struct parser *p, size_t ci)
{
	const unsigned char *s = (const unsigned char *)p->src;

	if (p->ascii)
		return p->base + (ci < p->len ? ci : p->len);
	while (p->cur_char < ci && p->cur_byte < p->len) {
		p->cur_byte++;
		while (p->cur_byte < p->len && (s[p->cur_byte] & 0xC0) == 0x80)
			p->cur_byte++;
		p->cur_char++;
	}
	while (p->cur_char > ci && p->cur_byte > 0) {
		p->cur_byte--;
		while (p->cur_byte > 0 && (s[p->cur_byte] & 0xC0) == 0x80)
			p->cur_byte--;
		p->cur_char--;
	}
	return p->base + p->cur_byte;
}

static struct doc_mark mark(struct parser *p, yaml_mark_t m)
{
	struct doc_mark d;
	d.offset = byte_at(p, m.index);
	d.line = (unsigned)m.line + 1;
	d.col = (unsigned)m.column + 1;
	return d;
}

static int perr(struct parser *p, int code, struct doc_mark m, const char *fmt, const char *arg)
{
	char what[256];
	snprintf(what, sizeof(what), fmt, arg ? arg : "");
	return gs_error(code, "%s:%u:%u: %s", fname(p), m.line, m.col, what);
}

static int yaml_err(struct parser *p)
{
	yaml_parser_t *y = &p->yp;
	const char *problem = y->problem ? y->problem : "cannot parse";
	struct doc_mark m;

	if (y->error == YAML_MEMORY_ERROR)
		return gs_error(GS_ENOMEM, "%s: out of memory", fname(p));
	if (y->error == YAML_READER_ERROR) {
		/* a byte offset here, not a mark */
		size_t i, off = y->problem_offset < p->len ? y->problem_offset : p->len;
		m.line = 1;
		m.col = 1;
		m.offset = 0;
		for (i = 0; i < off; i++) {
			if (p->src[i] == '\n')
				m.line++, m.col = 1;
			else if (((unsigned char)p->src[i] & 0xC0) != 0x80)
				m.col++;
		}
		return perr(p, GS_EPARSE, m, "%s", problem);
	}
	m.line = (unsigned)y->problem_mark.line + 1;
	m.col = (unsigned)y->problem_mark.column + 1;
	return perr(p, GS_EPARSE, m, "%s", problem);
}

int doc__grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n;
	void *np;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	if (!(np = realloc(*arr, n * size)))
		return gs_error(GS_ENOMEM, "out of memory");
	*arr = np;
	*cap = n;
	return 0;
}

static const char *short_tag(struct parser *p, const char *tag)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	char *t;
	size_t n;

	if (!strncmp(tag, prefix, sizeof(prefix) - 1)) {
		n = strlen(tag + sizeof(prefix) - 1);
		if (!(t = doc__arena_alloc(p->arena, n + 3)))
			return NULL;
		memcpy(t, "!!", 2);
		memcpy(t + 2, tag + sizeof(prefix) - 1, n + 1);
		return t;
	}
	return doc__strdup(p->arena, tag, strlen(tag));
}

static int count_node(struct parser *p, struct doc_mark m)
{
	if (++p->nodes > p->lim.max_nodes) {
		char lim[32];
		snprintf(lim, sizeof(lim), "%zu", p->lim.max_nodes);
		return perr(p, GS_ETOOBIG, m, "more than %s nodes", lim);
	}
	return 0;
}

static int kind_of_tag(const char *tag, enum doc_kind *kind)
{
	static const struct {
		const char *tag;
		enum doc_kind kind;
	} tags[] = {
		{ "!!str", DOC_STR },   { "!!binary", DOC_STR },          { "!", DOC_STR },
		{ "!!int", DOC_INT },   { "!!float", DOC_FLOAT },         { "!!bool", DOC_BOOL },
		{ "!!null", DOC_NULL }, { "!!timestamp", DOC_TIMESTAMP },
	};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strcmp(tag, tags[i].tag)) {
			*kind = tags[i].kind;
			return 1;
		}
	return 0;
}

static int scalar_node(struct parser *p, yaml_event_t *e, struct doc **out)
{
	const char *v = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	struct doc_mark sm = mark(p, e->start_mark);
	enum doc_kind kind = DOC_STR, want;
	struct doc *d;
	int plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, rc;

	if ((rc = count_node(p, sm)) < 0)
		return rc;
	if (n > p->lim.max_scalar) {
		char lim[32];
		snprintf(lim, sizeof(lim), "%zu", p->lim.max_scalar);
		return perr(p, GS_ETOOBIG, sm, "scalar longer than %s bytes", lim);
	}
	if (!(d = doc__node(p->arena, DOC_STR)))
		return gs_error(GS_ENOMEM, "out of memory");
	if (!(d->text = doc__strdup(p->arena, v, n))) {
		d->text = doc__empty;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto fail;
	}
	d->len = n;
	d->start = sm;
	d->end = mark(p, e->end_mark);
	switch (e->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: d->style = DOC_STYLE_SINGLE; break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: d->style = DOC_STYLE_DOUBLE; break;
	case YAML_LITERAL_SCALAR_STYLE: d->style = DOC_STYLE_LITERAL; break;
	case YAML_FOLDED_SCALAR_STYLE: d->style = DOC_STYLE_FOLDED; break;
	default: d->style = DOC_STYLE_PLAIN; break;
	}
	if (p->flags & DOC_PARSE_SECRET) {
		d->flags |= DOC_SECRET;
		p->arena->secret = 1;
	}
	if (plain)
		kind = doc__resolve_plain(v, n);
	if (e->data.scalar.tag) {
		if (!(d->tag = (char *)short_tag(p, (const char *)e->data.scalar.tag))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto fail;
		}
		if (kind_of_tag(d->tag, &want)) {
			/* yaml.v3 refuses "!!int abc"; an int is a fine !!float */
			enum doc_kind r = doc__resolve_plain(v, n);
			double f;
			if (want != DOC_STR && r != want && !(want == DOC_FLOAT && r == DOC_INT) &&
			    !(want == DOC_FLOAT && doc__parse_float(v, n, &f) == 0) && /* 1e400 */
			    !(want == DOC_INT &&
			      doc__is_decimal_int(v, n))) { /* 1 and 400 zeros, as JSON allows */
				rc = perr(p, GS_EPARSE, sm, "value does not match its tag %s",
				          d->tag);
				goto fail;
			}
			kind = want;
		}
	}
	d->kind = (unsigned char)kind;
	*out = d;
	return 0;
fail:
	doc_free(d);
	return rc;
}

static uint32_t hash(const char *s, size_t n);

/* anchors are per document */
static void reset_anchors(struct parser *p)
{
	p->nanchors = 0;
	if (p->atab)
		memset(p->atab, 0, p->atab_size * sizeof(*p->atab));
}

static int add_anchor(struct parser *p, const char *name, struct doc *node)
{
	int rc;
	size_t i, j, mask;

	if ((rc = doc__grow((void **)&p->anchors, &p->acap, p->nanchors + 1, sizeof(*p->anchors))) <
	    0)
		return rc;
	p->anchors[p->nanchors].name = name;
	p->anchors[p->nanchors++].node = node;
	if (2 * p->nanchors > p->atab_size) {
		/* rehash everything into a table twice the size (later definitions win) */
		size_t size = p->atab_size ? 2 * p->atab_size : 64;
		unsigned *t = calloc(size, sizeof(*t));
		if (!t)
			return gs_error(GS_ENOMEM, "out of memory");
		free(p->atab);
		p->atab = t;
		p->atab_size = size;
		i = 0;
	} else {
		i = p->nanchors - 1;
	}
	mask = p->atab_size - 1;
	for (; i < p->nanchors; i++) {
		const char *nm = p->anchors[i].name;
		for (j = hash(nm, strlen(nm)) & mask; p->atab[j]; j = (j + 1) & mask)
			if (!strcmp(p->anchors[p->atab[j] - 1].name, nm))
				break;
		p->atab[j] = (unsigned)i + 1;
	}
	return 0;
}

/* Copy an anchored node into the arena; *height gets the subtree height. */
static int clone_alias(struct parser *p, const struct doc *n, struct doc **out, size_t *height,
                       struct doc_mark m)
{
	struct doc *c;
	size_t i,
	    nk = n->kind == DOC_MAP   ? 2 * n->len
	         : n->kind == DOC_SEQ ? n->len
	                              : 0,
	    h, maxh = 0;
	int rc;

	if (++p->aliased > p->lim.max_alias) {
		char lim[32];
		snprintf(lim, sizeof(lim), "%zu", p->lim.max_alias);
		return perr(p, GS_ETOOBIG, m, "aliases expand to more than %s nodes", lim);
	}
	if ((rc = count_node(p, m)) < 0)
		return rc;
	if (!(c = doc__node(p->arena, (enum doc_kind)n->kind)))
		return gs_error(GS_ENOMEM, "out of memory");
	c->tag = n->tag; /* arena text, shared read-only */
	c->start = n->start;
	c->end = n->end;
	c->style = n->style;
	c->flags = n->flags;
	if (!nk && !(c->text = doc__strdup(p->arena, n->text, n->len))) {
		doc_free(c);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	c->len = nk ? 0 : n->len;
	if (nk) {
		if (!(c->kids = doc__arena_alloc(p->arena, nk * sizeof(*c->kids)))) {
			doc_free(c);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		for (i = 0; i < nk; i++) {
			if ((rc = clone_alias(p, n->kids[i], &c->kids[i], &h, m)) < 0) {
				/* keep the tree consistent for doc_free */
				c->len = n->kind == DOC_MAP ? i / 2 : i;
				if (n->kind == DOC_MAP && (i & 1))
					doc_free(c->kids[i - 1]);
				doc_free(c);
				return rc;
			}
			if (h > maxh)
				maxh = h;
		}
		c->len = n->len;
	}
	*height = maxh + 1;
	*out = c;
	return 0;
}

static uint32_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* A key as the emitters write it: an empty null key is written "null", so it
 * collides with a "null" key (go-yaml and sigs.k8s.io/yaml read both as null). */
static const char *key_text(const struct doc *k, size_t *n)
{
	if (k->kind == DOC_NULL && !k->len) {
		*n = 4;
		return "null";
	}
	*n = k->len;
	return k->text;
}

static int same_key(const struct doc *a, const struct doc *b)
{
	size_t na, nb;
	const char *ta = key_text(a, &na), *tb = key_text(b, &nb);
	return na == nb && !memcmp(ta, tb, na);
}

static int dup_error(const char *file, const struct doc *first, const struct doc *again)
{
	size_t n;
	const char *kt = key_text(first, &n);

	if (first->flags & DOC_SECRET) /* a decrypted document: keys are secret too */
		return gs_error(GS_EPARSE, "%s:%u:%u: mapping key already defined at line %u", file,
		                again->start.line, again->start.col, first->start.line);
	return gs_error(GS_EPARSE, "%s:%u:%u: mapping key \"%.*s\" already defined at line %u",
	                file, again->start.line, again->start.col, (int)(n > 64 ? 64 : n), kt,
	                first->start.line);
}

int doc__check_dups(const char *file, struct doc **kv, size_t npairs, unsigned **htab, size_t *hcap)
{
	size_t i, j, mask;
	int rc;

	if (npairs <= 12) {
		for (i = 1; i < npairs; i++)
			for (j = 0; j < i; j++)
				if (same_key(kv[2 * j], kv[2 * i]))
					return dup_error(file, kv[2 * j], kv[2 * i]);
		return 0;
	}
	if ((rc = doc__grow((void **)htab, hcap, 2 * npairs, sizeof(**htab))) < 0)
		return rc;
	for (mask = 1; mask < 2 * npairs; mask <<= 1)
		;
	if (mask > *hcap) /* doc__grow() rounds up to a power of two from 64 */
		mask = *hcap;
	memset(*htab, 0, mask * sizeof(**htab));
	mask--;
	for (i = 0; i < npairs; i++) {
		struct doc *k = kv[2 * i];
		size_t kn;
		const char *kt = key_text(k, &kn);
		for (j = hash(kt, kn) & mask; (*htab)[j]; j = (j + 1) & mask)
			if (same_key(kv[2 * ((*htab)[j] - 1)], k))
				return dup_error(file, kv[2 * ((*htab)[j] - 1)], k);
		(*htab)[j] = (unsigned)i + 1;
	}
	return 0;
}

/* A finished node goes to its parent collection, or becomes the document's root. */
static int attach(struct parser *p, struct doc *n)
{
	struct frame *f;
	int rc;

	if (!p->nframes) {
		p->root = n;
		return 0;
	}
	f = &p->frames[p->nframes - 1];
	if (f->node->kind == DOC_MAP && !((p->vlen - f->base) & 1) && !doc_is_scalar(n)) {
		rc = perr(p, GS_EPARSE, n->start, "mapping keys must be scalars%s", NULL);
		doc_free(n);
		return rc;
	}
	if ((rc = doc__grow((void **)&p->vec, &p->vcap, p->vlen + 1, sizeof(*p->vec))) < 0) {
		doc_free(n);
		return rc;
	}
	p->vec[p->vlen++] = n;
	return 0;
}

static int start_collection(struct parser *p, yaml_event_t *e, int map)
{
	struct doc_mark sm = mark(p, e->start_mark);
	const yaml_char_t *tag = map ? e->data.mapping_start.tag : e->data.sequence_start.tag;
	const yaml_char_t *anchor =
	    map ? e->data.mapping_start.anchor : e->data.sequence_start.anchor;
	int flow = map ? e->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
	               : e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
	struct doc *d;
	struct frame *f;
	int rc;

	if ((rc = count_node(p, sm)) < 0)
		return rc;
	if (p->nframes >= p->lim.max_depth) {
		char lim[32];
		snprintf(lim, sizeof(lim), "%zu", p->lim.max_depth);
		return perr(p, GS_ETOOBIG, sm, "nested deeper than %s levels", lim);
	}
	if ((rc = doc__grow((void **)&p->frames, &p->fcap, p->nframes + 1, sizeof(*p->frames))) < 0)
		return rc;
	if (!(d = doc__node(p->arena, map ? DOC_MAP : DOC_SEQ)))
		return gs_error(GS_ENOMEM, "out of memory");
	d->start = sm;
	d->style = flow ? DOC_STYLE_FLOW : DOC_STYLE_BLOCK;
	if (tag && !(d->tag = (char *)short_tag(p, (const char *)tag))) {
		doc_free(d);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	f = &p->frames[p->nframes++];
	f->node = d;
	f->base = p->vlen;
	f->anchor = anchor
	                ? doc__strdup(p->arena, (const char *)anchor, strlen((const char *)anchor))
	                : NULL;
	return 0;
}

static int end_collection(struct parser *p, yaml_event_t *e)
{
	struct frame *f = &p->frames[--p->nframes];
	struct doc *d = f->node;
	size_t nk = p->vlen - f->base;
	int rc = 0;

	d->end = mark(p, e->end_mark);
	if (nk && !(d->kids = doc__arena_alloc(p->arena, nk * sizeof(*d->kids))))
		rc = gs_error(GS_ENOMEM, "out of memory");
	if (nk && d->kids)
		memcpy(d->kids, p->vec + f->base, nk * sizeof(*d->kids));
	p->vlen = f->base;
	if (rc < 0) {
		while (nk--)
			doc_free(p->vec[f->base + nk]);
		doc_free(d);
		return rc;
	}
	d->len = d->kind == DOC_MAP ? nk / 2 : nk;
	if ((d->kind == DOC_MAP &&
	     (rc = doc__check_dups(fname(p), d->kids, d->len, &p->htab, &p->hcap)) < 0) ||
	    (f->anchor && (rc = add_anchor(p, f->anchor, d)) < 0)) {
		doc_free(d);
		return rc;
	}
	return attach(p, d);
}

static int alias_node(struct parser *p, yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	struct doc_mark sm = mark(p, e->start_mark);
	struct doc *c;
	size_t i, h;
	int rc;

	i = (size_t)-1;
	if (p->nanchors) {
		size_t j, mask = p->atab_size - 1;
		for (j = hash(name, strlen(name)) & mask; p->atab[j]; j = (j + 1) & mask)
			if (!strcmp(p->anchors[p->atab[j] - 1].name, name)) {
				i = p->atab[j] - 1;
				break;
			}
	}
	if (i == (size_t)-1)
		return perr(p, GS_EPARSE, sm, "unknown anchor '%.64s' referenced", name);
	if ((rc = clone_alias(p, p->anchors[i].node, &c, &h, sm)) < 0)
		return rc;
	c->start = sm;
	c->end = mark(p, e->end_mark);
	if (p->nframes + h > p->lim.max_depth) {
		char lim[32];
		doc_free(c);
		snprintf(lim, sizeof(lim), "%zu", p->lim.max_depth);
		return perr(p, GS_ETOOBIG, sm, "nested deeper than %s levels", lim);
	}
	return attach(p, c);
}

static int end_document(struct parser *p)
{
	struct doc *r = p->root;
	int rc;

	/* "---" with nothing after it, or only comments: no document */
	if (r && r->kind == DOC_NULL && !r->len && !r->tag && r->style == DOC_STYLE_PLAIN) {
		doc_free(r);
		r = NULL;
	}
	p->root = NULL;
	reset_anchors(p);
	if ((rc = doc__grow((void **)&p->docs, &p->dcap, p->ndocs + 1, sizeof(*p->docs))) < 0) {
		doc_free(r);
		return rc;
	}
	p->docs[p->ndocs++] = r;
	return 0;
}

static int on_event(struct parser *p, yaml_event_t *e)
{
	struct doc *d = NULL;
	int rc;

	switch (e->type) {
	case YAML_SCALAR_EVENT:
		if ((rc = scalar_node(p, e, &d)) < 0)
			return rc;
		if (e->data.scalar.anchor) {
			const char *a = (const char *)e->data.scalar.anchor;
			char *name = doc__strdup(p->arena, a, strlen(a));
			if (!name || (rc = add_anchor(p, name, d)) < 0) {
				doc_free(d);
				return name ? rc : gs_error(GS_ENOMEM, "out of memory");
			}
		}
		return attach(p, d);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return start_collection(p, e, e->type == YAML_MAPPING_START_EVENT);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: return end_collection(p, e);
	case YAML_ALIAS_EVENT: return alias_node(p, e);
	case YAML_DOCUMENT_START_EVENT:
		p->root = NULL;
		reset_anchors(p);
		return 0;
	case YAML_DOCUMENT_END_EVENT: return end_document(p);
	default: return 0;
	}
}

static void parser_release(struct parser *p)
{
	size_t i;

	while (p->nframes)
		doc_free(p->frames[--p->nframes].node);
	for (i = 0; i < p->vlen; i++)
		doc_free(p->vec[i]);
	for (i = 0; i < p->ndocs; i++)
		doc_free(p->docs[i]);
	doc_free(p->root);
	if (p->flags & DOC_PARSE_SECRET) {
		/* libyaml's input buffers held the plaintext */
		if (p->yp.raw_buffer.start)
			gs_wipe(p->yp.raw_buffer.start,
			        (size_t)(p->yp.raw_buffer.end - p->yp.raw_buffer.start));
		if (p->yp.buffer.start)
			gs_wipe(p->yp.buffer.start,
			        (size_t)(p->yp.buffer.end - p->yp.buffer.start));
	}
	yaml_parser_delete(&p->yp);
	free(p->vec);
	free(p->frames);
	free(p->anchors);
	free(p->atab);
	free(p->htab);
	free(p->docs);
}

void doc__limits(struct doc_limits *l, const struct doc_limits *given)
{
	memset(l, 0, sizeof(*l));
	if (given)
		*l = *given;
	if (!l->max_depth)
		l->max_depth = 256;
	if (!l->max_nodes)
		l->max_nodes = 10000000;
	if (!l->max_scalar)
		l->max_scalar = (size_t)64 << 20;
	if (!l->max_alias)
		l->max_alias = 10000;
}

int doc_parse(struct doc_stream *out, const char *file, const char *src, size_t len, unsigned flags,
              const struct doc_limits *limits)
{
	struct parser p;
	yaml_event_t e;
	size_t i;
	int rc = 0, done = 0;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.src = src ? src : "";
	p.len = src ? len : 0;
	p.file = file;
	p.flags = flags;
	doc__limits(&p.lim, limits);
	if (flags & DOC_PARSE_JSON)
		return doc__parse_json(out, file, src, len, flags, &p.lim);
	if (p.len >= 3 && !memcmp(p.src, "\xef\xbb\xbf", 3)) {
		/* libyaml skips a BOM only when it detects the encoding itself, and then
		 * its marks start after it; forced UTF-8 keeps offsets in bytes */
		p.src += 3;
		p.len -= 3;
		p.base = 3;
	}
	p.ascii = 1;
	for (i = 0; i + 8 <= p.len && p.ascii; i += 8) {
		uint64_t w;
		memcpy(&w, p.src + i, 8);
		p.ascii = !(w & 0x8080808080808080ULL);
	}
	for (; i < p.len && p.ascii; i++)
		p.ascii = (unsigned char)p.src[i] < 0x80;
	if (!(p.arena = doc__arena_new(file)) || !yaml_parser_initialize(&p.yp)) {
		free(p.arena);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	p.arena->refs = 1; /* ours until the end of parsing */
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)p.src, p.len);
	yaml_parser_set_encoding(&p.yp, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&p.yp, &e)) {
			rc = yaml_err(&p);
			break;
		}
		rc = on_event(&p, &e);
		done = e.type == YAML_STREAM_END_EVENT;
		if ((flags & DOC_PARSE_SECRET) && e.type == YAML_SCALAR_EVENT)
			gs_wipe(e.data.scalar.value, e.data.scalar.length);
		yaml_event_delete(&e);
		if (rc < 0)
			break;
	}
	if (rc >= 0 && !(out->file = strdup(file ? file : "")))
		rc = gs_error(GS_ENOMEM, "out of memory");
	if (rc >= 0) {
		out->docs = p.docs;
		out->n = p.ndocs;
		p.docs = NULL;
		p.ndocs = 0;
	}
	parser_release(&p);
	doc__arena_unref(p.arena);
	return rc < 0 ? rc : 0;
}

void doc_stream_release(struct doc_stream *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		doc_free(s->docs[i]);
	free(s->docs);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

int doc_parse_one(struct doc **out, const char *file, const char *src, size_t len, unsigned flags)
{
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i, found = 0;
	int rc;

	*out = NULL;
	if ((rc = doc_parse(&s, file, src, len, flags, NULL)) < 0)
		return rc;
	for (i = 0; i < s.n; i++)
		if (s.docs[i] && !found++) {
			*out = s.docs[i];
			s.docs[i] = NULL;
		}
	doc_stream_release(&s);
	if (found == 1)
		return 0;
	doc_free(*out);
	*out = NULL;
	if (!found)
		return gs_error(GS_EPARSE, "%s: no document", file && *file ? file : "<input>");
	return gs_error(GS_EPARSE, "%s: expected one document, found %zu",
	                file && *file ? file : "<input>", found);
}
