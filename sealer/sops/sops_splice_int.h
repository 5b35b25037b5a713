#ifndef GS_SOPS_SPLICE_INT_H
#define GS_SOPS_SPLICE_INT_H
/* Shared by sealer/sops_splice.c (values, the sops block) and sealer/sops_comments.c. */
#include <stddef.h>

#include "core/buf.h"

struct doc;
struct doc_stream;
struct sops_rules;
struct sops_stash;
struct sops_cmt_plan;

struct edit {
	size_t start, end; /* source range replaced */
	size_t off, len;   /* replacement in the arena */
};

/* A map key or list item: where it starts and the AAD of the container it is in. */
struct entry {
	size_t start;
	unsigned line, col;
	size_t aad_off, aad_len;
};

struct splice {
	const char *src;
	size_t len;
	struct edit *e;
	size_t ne, cape;
	struct entry *ent;
	size_t nent, capent;
	struct buf arena; /* replacement texts (secret: may hold plaintext) */
	struct buf aads;  /* container AADs */
	struct buf path;  /* current container path "a:b:" */
	int step;         /* indentation step of the file */
	int fail;         /* the splice cannot express a change */
	int json;         /* JSON source: values are JSON, no comments */
	const struct sops_rules *rules;
	const struct sops_cmt_plan
	    *cmt; /* comment rules: what sops encrypts (NULL: every comment) */
};

/* Mark the bytes of every scalar (keys included) of n: a '#' there starts no comment. */
void sops__mark_scalars(const struct doc *n, unsigned char *in_scalar);
/* Does a comment start at src[o] ('#' outside every scalar, after a blank or at a line start)? */
int sops__comment_at(const char *src, size_t o, const unsigned char *in_scalar);
int sops__add_edit(struct splice *s, size_t start, size_t end, const char *text, size_t n);
int sops__add_entry(struct splice *s, const struct doc *n);
size_t sops__line_start(const struct splice *s, size_t o);
int sops__cmp_edit(const void *a, const void *b);
/* Compare old (parsed from src) with nw, recording edits and the comment owners (entries). */
int sops__sp_map(struct splice *s, const struct doc *old, const struct doc *nw, int flow, int root);
/* Decrypt "#ENC[...]" comments with old_key, encrypt plain ones with new_key, or (collect)
 * put the IVs of the encrypted ones in a stash. */
int sops__do_comments(struct splice *s, const struct doc_stream *st, const unsigned char *old_key,
                      const unsigned char *new_key, struct sops_stash *stash,
                      struct sops_stash *collect);

#endif
