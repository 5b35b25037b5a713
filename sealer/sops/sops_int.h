#ifndef GS_SOPS_INT_H
#define GS_SOPS_INT_H
/* Helpers shared by the sealer/sops_*.c files only. */
#include <stddef.h>

#include "core/buf.h"

struct doc;
struct sops_meta;

int sops__meta_parse(struct sops_meta *m, const struct doc *s, const char *file);
/* The metadata as a map for the given store (YAML: `[]` for empty lists and a literal `enc`). */
int sops__meta_to_doc(struct doc **out, const struct sops_meta *m, int fmt);
void sops__now_rfc3339(char out[32]);
void sops__normalize_rfc3339(char *out, size_t outlen, const char *in);

/* Flat stores (stores/flatten.go): "age__list_0__map_enc" <-> nested maps/lists. */
int sops__flatten(struct buf *out, const struct doc *meta, const char *prefix, const char *sep_kv,
                  int ini);
/* *budget: list items it may still create for the file (a hostile index cannot exhaust memory) */
int sops__unflatten_set(struct doc *root, const char *key, size_t keylen, const char *val,
                        size_t vallen, size_t *budget);

struct sops_stash;
int sops__stash_add(struct sops_stash *s, const char *aad, size_t al, const char *pt, size_t pl,
                    const unsigned char *iv);
/* An unused previous IV for exactly this AAD and plaintext, or NULL. */
const unsigned char *sops__stash_take(struct sops_stash *s, const char *aad, size_t al,
                                      const char *pt, size_t pl);

/* The comment rules (sealer/sops_cmtrules.c): which leaves and comments of a YAML source
 * sops encrypts under encrypted_comment_regex / unencrypted_comment_regex. */
struct sops_rules;
struct sops_cmt_plan;
int sops_cmt_plan_new(struct sops_cmt_plan **out, const struct sops_rules *rules, const char *name,
                      const char *src, size_t len, struct doc *const *docs, size_t ndocs);
void sops_cmt_plan_free(struct sops_cmt_plan *p);
/* 1: encrypt the leaf of this entry: anchor is its key (or the list item), container the map
 * or list holding it (p NULL: a file without comments) */
int sops_cmt_plan_leaf(const struct sops_cmt_plan *p, const struct sops_rules *r,
                       const struct doc *anchor, const struct doc *container);
/* 1: encrypt the comment whose '#' is at off */
int sops_cmt_plan_comment(const struct sops_cmt_plan *p, size_t off);

#endif
