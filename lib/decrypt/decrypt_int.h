#ifndef GS_DECRYPT_INT_H
#define GS_DECRYPT_INT_H
/* Shared between the files of lib/decrypt/ only. */
#include <stddef.h>

#include "core/buf.h"
#include "decrypt/decrypt.h"
#include "sealer/sops/sops.h"

struct doc;
struct age_identity;

/* One encrypted value of a source file: its AAD (key path "a:b:") and ciphertext. */
struct decrypt__pair {
	char *aad;
	char *enc;
	size_t doc; /* index of the document holding it */
};

/* A SOPS file under root, found by the ENC[...] string of its `sops.mac`. */
struct decrypt__src {
	char *mac;     /* the sops.mac value as written */
	char *relpath; /* relative to root */
	int checked; /* 0: not yet; 1: MAC verified; < 0: the error code (err holds the message) */
	char *err;
	struct decrypt__pair *pairs; /* sorted by enc */
	size_t npairs;
	char **ns; /* metadata.namespace of each document (NULL: none) */
	size_t ndocs;
};

struct decrypt_ctx {
	char *root; /* no trailing '/' */
	int require_encrypted;
	struct age_identity *ids; /* DECRYPT_IDS_ANY, from text and Secrets */
	struct age_identity
	    *env_ids; /* DECRYPT_IDS_ANY, from sops' places (SOPS_AGE_KEY*, keys.txt) */
	struct age_identity *own_ids; /* DECRYPT_IDS_OWN_NAMESPACE */
	struct buf where;             /* where the identities came from, for messages */
	char **own_uses; /* recipients of each object own_ids opened (decrypt_ctx_own_uses) */
	size_t nown_uses;
	int env_wanted; /* decrypt_ctx_add_env() was called: load env_ids when first needed */

	int scanned; /* root was scanned for SOPS files */
	struct decrypt__src *srcs;
	size_t nsrcs;

	unsigned char hkey[32];      /* keys the hashes below (never the plaintext itself) */
	unsigned char (*hashes)[32]; /* values decrypt_file() produced, for requireEncrypted */
	size_t nhashes;
};

/* "overlays/prod/secret.enc.yaml: Secret prod/db" (the source file when known, else the rendered
 * place). */
void decrypt__place(struct decrypt_ctx *ctx, const struct doc *obj, struct buf *out);

/* decrypt_source.c */
/* The source file holding this sops.mac value (scanning root once), or NULL. */
struct decrypt__src *decrypt__src_find(struct decrypt_ctx *ctx, const char *mac);
/* Verify the source's MAC with the data key (once); 0 or the error (message set). */
int decrypt__src_check(struct decrypt_ctx *ctx, struct decrypt__src *s,
                       const unsigned char key[SOPS_KEY_LEN]);
/* The pair with this ciphertext, or NULL. */
const struct decrypt__pair *decrypt__src_pair(const struct decrypt__src *s, const char *enc);
void decrypt__src_release(struct decrypt__src *s);
/* Append (aad, enc) for every ENC[...] leaf of a tree (the top-level `sops` key skipped). */
int decrypt__collect_pairs(const struct doc *root, size_t docidx, struct decrypt__pair **v,
                           size_t *n, size_t *cap);

/* decrypt_sops.c: decrypt one SOPS manifest in place; *own set when the cluster's own identities
 * opened it. */
int decrypt__object(struct decrypt_ctx *ctx, struct doc *obj, int *own);
/* Recover a data key with the context's identities (*own: it took the cluster's own ones). */
int decrypt__data_key(struct decrypt_ctx *ctx, const struct sops_meta *m, const char *place,
                      unsigned char key[SOPS_KEY_LEN], int *own);

/* decrypt_file.c: keyed hashes of what decrypt_file() produced */
int decrypt__hash_add(struct decrypt_ctx *ctx, const char *tag, const void *a, size_t alen,
                      const void *b, size_t blen);
int decrypt__hash_has(const struct decrypt_ctx *ctx, const char *tag, const void *a, size_t alen,
                      const void *b, size_t blen);
/* Did every data/stringData value of this Secret come out of decrypt_file()? */
int decrypt__generated(const struct decrypt_ctx *ctx, const struct doc *secret);

#endif
