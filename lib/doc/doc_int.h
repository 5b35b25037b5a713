#ifndef GS_DOC_INTERNAL_H
#define GS_DOC_INTERNAL_H
/*
 * Private to lib/doc. A parsed stream's nodes, texts and child arrays live in
 * one arena (a few large blocks instead of a malloc per node). The arena is
 * reference counted by the nodes that point at it, so doc_free() on one node
 * of a parsed tree, or a tree kept after doc_stream_release(), both work:
 * the memory goes when the last node does. Nodes made by the API live on the
 * heap (arena NULL); clones of parsed nodes keep a reference for the file name.
 */
#include <stddef.h>
#include <string.h>

#include "doc/doc.h"

struct doc__block;

struct doc__arena {
	size_t refs; /* nodes pointing at this arena (atomic ops: trees cross threads) */
	struct doc__block *blocks;
	char *cur; /* free space in the newest block */
	size_t left;
	int secret;  /* some secret text lives here: wipe every block on free */
	char file[]; /* the source name, shared by every node */
};

/* which parts of a node are separate heap allocations (else inside the arena) */
enum {
	DOC__HEAP_NODE = 1 << 0,
	DOC__HEAP_TEXT = 1 << 1,
	DOC__HEAP_TAG = 1 << 2,
	DOC__HEAP_KIDS = 1 << 3,
};

struct doc {
	struct doc__arena *arena;
	char *text;        /* scalars: NUL-terminated text as written (never NULL) */
	char *tag;         /* explicit tag, short form ("!!binary"), or NULL */
	struct doc **kids; /* map: key0, val0, key1, val1...; seq: items */
	size_t len;        /* scalar: text bytes; map: pairs; seq: items */
	size_t cap;        /* kids slots allocated on the heap (0 while in the arena) */
	struct doc_mark start, end;
	unsigned char kind, style, flags, heap;
};

extern char doc__empty[];

struct doc__arena *doc__arena_new(const char *file);
void *doc__arena_alloc(struct doc__arena *a, size_t n);
void doc__arena_unref(struct doc__arena *a);
/* A node in the arena (a counts it) or, if a is NULL, on the heap; zeroed, text "". */
struct doc *doc__node(struct doc__arena *a, enum doc_kind kind);
char *doc__strdup(struct doc__arena *a, const char *s, size_t n);

/* Kind of a plain scalar under yaml.v3 rules (DOC_STR if nothing else). */
enum doc_kind doc__resolve_plain(const char *s, size_t n);
int doc__is_timestamp(const char *s, size_t n);
/* Parse an int the way yaml.v3 reads it (0x, 0o, 0b, 0777, underscores); 0 or GS_EPARSE. */
int doc__parse_int(const char *s, size_t n, long long *out, int *is_unsigned);
int doc__parse_float(const char *s, size_t n, double *out);
/* A decimal integer of any size, as JSON writes one: -?(0|[1-9][0-9]*). */
int doc__is_decimal_int(const char *s, size_t n);
/* An int text yaml.v3 reads (as we do) but go-yaml v2 reads as a string ("0o+17"). */
int doc__v2_misreads_int(const char *s, size_t n);

int doc__grow(void **arr, size_t *cap, size_t need, size_t size);
void doc__limits(struct doc_limits *l, const struct doc_limits *given);
/* Duplicate keys in kv (npairs key/value pairs): GS_EPARSE naming both places. htab is scratch. */
int doc__check_dups(const char *file, struct doc **kv, size_t npairs, unsigned **htab,
                    size_t *hcap);
/* DOC_PARSE_JSON: a stream of JSON values, read natively (strict RFC 8259). */
int doc__parse_json(struct doc_stream *out, const char *file, const char *src, size_t len,
                    unsigned flags, const struct doc_limits *lim);

/* buf_add()/buf_addc() with the common case inline: the emitters write byte by byte */
static inline int doc__put(struct buf *b, const void *s, size_t n)
{
	if (b->cap && b->len + n < b->cap && b->len + n <= b->max) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len] = '\0';
		return 0;
	}
	return buf_add(b, s, n);
}

static inline int doc__putc(struct buf *b, char c)
{
	return doc__put(b, &c, 1);
}

static inline int doc__puts(struct buf *b, const char *s)
{
	return doc__put(b, s, strlen(s));
}

#endif
