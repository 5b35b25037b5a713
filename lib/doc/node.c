/* Nodes: the arena, building, lookups, changes, clone and free. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc_int.h"

char doc__empty[1];

struct doc__block {
	struct doc__block *next;
	size_t size;
	max_align_t data[];
};

#define ARENA_BLOCK ((size_t)64 << 10)

struct doc__arena *doc__arena_new(const char *file)
{
	size_t n = strlen(file ? file : "");
	struct doc__arena *a = calloc(1, sizeof(*a) + n + 1);
	if (a)
		memcpy(a->file, file ? file : "", n + 1);
	return a;
}

void *doc__arena_alloc(struct doc__arena *a, size_t n)
{
	struct doc__block *b;
	size_t size;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (n > a->left) {
		/* big requests get their own block; the current one keeps its free space */
		size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
		if (!(b = malloc(sizeof(*b) + size)))
			return NULL;
		b->size = size;
		if (size == n && a->blocks) {
			b->next = a->blocks->next;
			a->blocks->next = b;
			return b->data;
		}
		b->next = a->blocks;
		a->blocks = b;
		a->cur = (char *)b->data;
		a->left = size;
	}
	p = a->cur;
	a->cur += n;
	a->left -= n;
	return p;
}

void doc__arena_unref(struct doc__arena *a)
{
	struct doc__block *b, *next;

	/* atomic: a clone made on one thread may be freed on another */
	if (!a || __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (b = a->blocks; b; b = next) {
		next = b->next;
		if (a->secret)
			gs_wipe(b->data, b->size);
		free(b);
	}
	free(a);
}

struct doc *doc__node(struct doc__arena *a, enum doc_kind kind)
{
	struct doc *n;

	if (a) {
		if (!(n = doc__arena_alloc(a, sizeof(*n))))
			return NULL;
		memset(n, 0, sizeof(*n));
		__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
		n->arena = a;
	} else {
		if (!(n = calloc(1, sizeof(*n))))
			return NULL;
		n->heap = DOC__HEAP_NODE;
	}
	n->kind = (unsigned char)kind;
	n->text = doc__empty;
	return n;
}

char *doc__strdup(struct doc__arena *a, const char *s, size_t n)
{
	char *p = a ? doc__arena_alloc(a, n + 1) : malloc(n + 1);
	if (p) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* --- building ------------------------------------------------------------ */

struct doc *doc_new_map(void)
{
	return doc__node(NULL, DOC_MAP);
}

struct doc *doc_new_seq(void)
{
	return doc__node(NULL, DOC_SEQ);
}

struct doc *doc_new_scalar(enum doc_kind kind, const char *text, size_t n)
{
	struct doc *d;

	if (kind == DOC_MAP || kind == DOC_SEQ)
		return doc__node(NULL, kind);
	if (!(d = doc__node(NULL, kind)))
		return NULL;
	if (n || text) {
		if (!(d->text = doc__strdup(NULL, text ? text : "", n))) {
			free(d);
			return NULL;
		}
		d->heap |= DOC__HEAP_TEXT;
		d->len = n;
	}
	return d;
}

struct doc *doc_new_null(void)
{
	return doc_new_scalar(DOC_NULL, "null", 4);
}

struct doc *doc_new_bool(int v)
{
	return v ? doc_new_scalar(DOC_BOOL, "true", 4) : doc_new_scalar(DOC_BOOL, "false", 5);
}

struct doc *doc_new_int(long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v);
	return doc_new_scalar(DOC_INT, tmp, (size_t)n);
}

struct doc *doc_new_float(double v)
{
	char tmp[40];
	int n;

	if (v != v)
		return doc_new_scalar(DOC_FLOAT, ".nan", 4);
	if (v > 1.7976931348623157e308)
		return doc_new_scalar(DOC_FLOAT, ".inf", 4);
	if (v < -1.7976931348623157e308)
		return doc_new_scalar(DOC_FLOAT, "-.inf", 5);
	/* shortest text that reads back the same */
	for (int prec = 1; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* keep it a float when read back: "3" -> "3.0" */
	if (!strpbrk(tmp, ".eE") && (size_t)n + 2 < sizeof(tmp)) {
		memcpy(tmp + n, ".0", 3);
		n += 2;
	}
	return doc_new_scalar(DOC_FLOAT, tmp, (size_t)n);
}

struct doc *doc_new_str(const char *s, size_t n)
{
	return doc_new_scalar(DOC_STR, s, n);
}

struct doc *doc_new_strz(const char *s)
{
	return doc_new_scalar(DOC_STR, s ? s : "", s ? strlen(s) : 0);
}

struct doc *doc_clone(const struct doc *n)
{
	struct doc *c;
	size_t i, nk;

	if (!n)
		return NULL;
	if (!(c = doc__node(NULL, (enum doc_kind)n->kind)))
		return NULL;
	c->style = n->style;
	c->flags = n->flags;
	c->start = n->start;
	c->end = n->end;
	if (n->arena) {
		c->arena = n->arena; /* for the file name */
		__atomic_add_fetch(&n->arena->refs, 1, __ATOMIC_RELAXED);
	}
	if (n->tag) {
		if (!(c->tag = strdup(n->tag)))
			goto fail;
		c->heap |= DOC__HEAP_TAG;
	}
	if (n->kind == DOC_MAP || n->kind == DOC_SEQ) {
		nk = n->kind == DOC_MAP ? 2 * n->len : n->len;
		if (nk) {
			if (!(c->kids = calloc(nk, sizeof(*c->kids))))
				goto fail;
			c->heap |= DOC__HEAP_KIDS;
			c->cap = nk;
			for (i = 0; i < nk; i++) {
				if (!(c->kids[i] = doc_clone(n->kids[i]))) {
					c->len = n->kind == DOC_MAP ? i / 2 : i;
					/* free what was cloned so far (an odd key without value
					 * too) */
					if (n->kind == DOC_MAP && (i & 1))
						doc_free(c->kids[i - 1]);
					goto fail;
				}
			}
		}
		c->len = n->len;
	} else if (n->len || n->text != doc__empty) {
		if (!(c->text = doc__strdup(NULL, n->text, n->len)))
			goto fail;
		c->heap |= DOC__HEAP_TEXT;
		c->len = n->len;
	}
	return c;
fail:
	doc_free(c);
	return NULL;
}

static void free_text(struct doc *n)
{
	if (n->flags & DOC_SECRET)
		gs_wipe(n->text, n->len);
	if (n->heap & DOC__HEAP_TEXT)
		free(n->text);
	n->heap &= (unsigned char)~DOC__HEAP_TEXT;
	n->text = doc__empty;
	n->len = 0;
}

void doc_free(struct doc *n)
{
	size_t i, nk;

	if (!n)
		return;
	if (n->kind == DOC_MAP || n->kind == DOC_SEQ) {
		nk = n->kind == DOC_MAP ? 2 * n->len : n->len;
		for (i = 0; i < nk; i++)
			doc_free(n->kids[i]);
		if (n->heap & DOC__HEAP_KIDS)
			free(n->kids);
	} else {
		free_text(n);
	}
	if (n->heap & DOC__HEAP_TAG)
		free(n->tag);
	if (n->heap & DOC__HEAP_NODE) {
		struct doc__arena *a = n->arena;
		free(n);
		doc__arena_unref(a);
	} else {
		doc__arena_unref(n->arena);
	}
}

/* --- reading ------------------------------------------------------------- */

enum doc_kind doc_kind(const struct doc *n)
{
	return n ? (enum doc_kind)n->kind : DOC_NULL;
}

int doc_is_scalar(const struct doc *n)
{
	return n && n->kind != DOC_MAP && n->kind != DOC_SEQ;
}

const char *doc_str(const struct doc *n)
{
	return n && n->kind == DOC_STR ? n->text : NULL;
}

const char *doc_text(const struct doc *n, size_t *len)
{
	if (!doc_is_scalar(n)) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = n->len;
	return n->text;
}

size_t doc_len(const struct doc *n)
{
	return n ? n->len : 0;
}

int doc_get_bool(const struct doc *n, int *out)
{
	if (!n || n->kind != DOC_BOOL)
		return GS_EPARSE;
	*out = n->text[0] == 't' || n->text[0] == 'T';
	return 0;
}

int doc_get_int(const struct doc *n, long long *out)
{
	if (!n || n->kind != DOC_INT)
		return GS_EPARSE;
	return doc__parse_int(n->text, n->len, out, NULL);
}

int doc_get_float(const struct doc *n, double *out)
{
	long long v;
	int rc;

	if (n && n->kind == DOC_INT) {
		if ((rc = doc__parse_int(n->text, n->len, &v, NULL)) < 0)
			return rc;
		*out = (double)v;
		return 0;
	}
	if (!n || n->kind != DOC_FLOAT)
		return GS_EPARSE;
	return doc__parse_float(n->text, n->len, out);
}

static long find_key(const struct doc *map, const char *key, size_t keylen)
{
	size_t i;

	if (!map || map->kind != DOC_MAP)
		return -1;
	for (i = 0; i < map->len; i++) {
		const struct doc *k = map->kids[2 * i];
		if (k->len == keylen && k->kind != DOC_MAP && k->kind != DOC_SEQ &&
		    !memcmp(k->text, key, keylen))
			return (long)i;
	}
	return -1;
}

struct doc *doc_getn(const struct doc *map, const char *key, size_t keylen)
{
	long i = key ? find_key(map, key, keylen) : -1;
	return i < 0 ? NULL : map->kids[2 * i + 1];
}

struct doc *doc_get(const struct doc *map, const char *key)
{
	return key ? doc_getn(map, key, strlen(key)) : NULL;
}

struct doc *doc_getp(const struct doc *n, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, n);
	while (n && (key = va_arg(ap, const char *)))
		n = doc_get(n, key);
	va_end(ap);
	return (struct doc *)n;
}

struct doc *doc_key_at(const struct doc *map, size_t i)
{
	return map && map->kind == DOC_MAP && i < map->len ? map->kids[2 * i] : NULL;
}

struct doc *doc_val_at(const struct doc *n, size_t i)
{
	if (!n || i >= n->len)
		return NULL;
	if (n->kind == DOC_MAP)
		return n->kids[2 * i + 1];
	return n->kind == DOC_SEQ ? n->kids[i] : NULL;
}

const char *doc_file(const struct doc *n)
{
	return n && n->arena ? n->arena->file : NULL;
}

struct doc_mark doc_start(const struct doc *n)
{
	struct doc_mark m = { 0, 0, 0 };
	return n ? n->start : m;
}

struct doc_mark doc_end(const struct doc *n)
{
	struct doc_mark m = { 0, 0, 0 };
	return n ? n->end : m;
}

unsigned doc_line(const struct doc *n)
{
	return n ? n->start.line : 0;
}

enum doc_style doc_style(const struct doc *n)
{
	return n ? (enum doc_style)n->style : DOC_STYLE_ANY;
}

const char *doc_tag(const struct doc *n)
{
	return n ? n->tag : NULL;
}

unsigned doc_flags(const struct doc *n)
{
	return n ? n->flags : 0;
}

const char *doc_k8s_kind(const struct doc *obj)
{
	return doc_str(doc_get(obj, "kind"));
}

const char *doc_k8s_name(const struct doc *obj)
{
	return doc_str(doc_getp(obj, "metadata", "name", NULL));
}

const char *doc_k8s_namespace(const struct doc *obj)
{
	return doc_str(doc_getp(obj, "metadata", "namespace", NULL));
}

/* --- changing -------------------------------------------------------------- */

static int kids_reserve(struct doc *n, size_t slots)
{
	struct doc **k;
	size_t used = n->kind == DOC_MAP ? 2 * n->len : n->len, cap;

	if (used + slots <= n->cap)
		return 0;
	cap = n->cap ? n->cap * 2 : used + 8;
	if (cap < used + slots)
		cap = used + slots;
	if (n->heap & DOC__HEAP_KIDS) {
		if (!(k = realloc(n->kids, cap * sizeof(*k))))
			return gs_error(GS_ENOMEM, "out of memory");
	} else {
		if (!(k = malloc(cap * sizeof(*k))))
			return gs_error(GS_ENOMEM, "out of memory");
		if (used)
			memcpy(k, n->kids, used * sizeof(*k));
	}
	n->kids = k;
	n->cap = cap;
	n->heap |= DOC__HEAP_KIDS;
	return 0;
}

int doc_setn(struct doc *map, const char *key, size_t keylen, struct doc *child)
{
	struct doc *k;
	long i;
	int rc;

	if (!map || map->kind != DOC_MAP || !key || !child) {
		doc_free(child);
		return gs_error(GS_EINVAL, "doc_set: not a map");
	}
	if ((i = find_key(map, key, keylen)) >= 0) {
		doc_free(map->kids[2 * i + 1]);
		map->kids[2 * i + 1] = child;
		return 0;
	}
	if ((rc = kids_reserve(map, 2)) < 0 || !(k = doc_new_str(key, keylen))) {
		doc_free(child);
		return rc < 0 ? rc : gs_error(GS_ENOMEM, "out of memory");
	}
	map->kids[2 * map->len] = k;
	map->kids[2 * map->len + 1] = child;
	map->len++;
	return 0;
}

int doc_set(struct doc *map, const char *key, struct doc *child)
{
	return doc_setn(map, key, key ? strlen(key) : 0, child);
}

struct doc *doc_take(struct doc *map, const char *key)
{
	struct doc *v;
	long i = key ? find_key(map, key, strlen(key)) : -1;

	if (i < 0)
		return NULL;
	v = map->kids[2 * i + 1];
	doc_free(map->kids[2 * i]);
	memmove(map->kids + 2 * i, map->kids + 2 * i + 2,
	        (map->len - (size_t)i - 1) * 2 * sizeof(*map->kids));
	map->len--;
	return v;
}

int doc_del(struct doc *map, const char *key)
{
	struct doc *v = doc_take(map, key);
	if (!v)
		return 0;
	doc_free(v);
	return 1;
}

int doc_push(struct doc *seq, struct doc *child)
{
	int rc;

	if (!seq || seq->kind != DOC_SEQ || !child) {
		doc_free(child);
		return gs_error(GS_EINVAL, "doc_push: not a sequence");
	}
	if ((rc = kids_reserve(seq, 1)) < 0) {
		doc_free(child);
		return rc;
	}
	seq->kids[seq->len++] = child;
	return 0;
}

int doc_set_scalar(struct doc *n, enum doc_kind kind, const char *text, size_t len)
{
	char *t;

	if (!doc_is_scalar(n) || kind == DOC_MAP || kind == DOC_SEQ)
		return gs_error(GS_EINVAL, "doc_set_scalar: not a scalar");
	if (!(t = doc__strdup(NULL, text ? text : "", len)))
		return gs_error(GS_ENOMEM, "out of memory");
	free_text(n);
	n->text = t;
	n->len = len;
	n->heap |= DOC__HEAP_TEXT;
	n->kind = (unsigned char)kind;
	if (n->tag && kind != DOC_STR) {
		/* an old !!str or !!binary no longer describes the value */
		if (n->heap & DOC__HEAP_TAG)
			free(n->tag);
		n->tag = NULL;
		n->heap &= (unsigned char)~DOC__HEAP_TAG;
	}
	return 0;
}

void doc_set_style(struct doc *n, enum doc_style style)
{
	if (n)
		n->style = (unsigned char)style;
}

void doc_set_flags(struct doc *n, unsigned flags)
{
	if (!n)
		return;
	/* secret text is wiped wherever it lives (doc_free, doc_set_scalar);
	 * texts inside an arena are also wiped with the arena */
	if ((flags & DOC_SECRET) && n->arena && !(n->heap & DOC__HEAP_TEXT))
		n->arena->secret = 1;
	n->flags = (unsigned char)flags;
}

static int cmp_pairs(const void *a, const void *b)
{
	const struct doc *ka = *(struct doc *const *)a, *kb = *(struct doc *const *)b;
	size_t n = ka->len < kb->len ? ka->len : kb->len;
	int c = memcmp(ka->text, kb->text, n);
	return c ? c : (ka->len > kb->len) - (ka->len < kb->len);
}

void doc_sort_keys(struct doc *n, int recursive)
{
	size_t i, nk;

	if (!n || (n->kind != DOC_MAP && n->kind != DOC_SEQ))
		return;
	nk = n->kind == DOC_MAP ? 2 * n->len : n->len;
	if (n->kind == DOC_MAP && n->len > 1)
		qsort(n->kids, n->len, 2 * sizeof(*n->kids), cmp_pairs); /* pairs move together */
	if (recursive)
		for (i = 0; i < nk; i++)
			doc_sort_keys(n->kids[i], 1);
}
