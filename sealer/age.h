#ifndef GS_AGE_H
#define GS_AGE_H
/*
 * age v1 (C2SP age.md): X25519 and scrypt recipients, armor, STREAM payload.
 * The in-memory calls below are what SOPS and key backups use; the streaming
 * API (constant memory for any file size) is what `gitseal age` uses.
 *
 * Secrets: identities live in wiped memory; decrypted output goes to a
 * BUF_INIT_SECRET buffer supplied by the caller.
 */
#include <stddef.h>

#include "core/buf.h"

struct age_recipient; /* one "age1..." X25519 public key (or scrypt passphrase) */
struct age_identity;  /* a list of identities ("AGE-SECRET-KEY-1..." lines, scrypt passphrase) */

/* Parse "age1..." (Bech32). GS_EPARSE with age's wording on a bad string. */
int age_recipient_parse(struct age_recipient **out, const char *s);
void age_recipient_free(struct age_recipient *r);
/* The canonical "age1..." string of a recipient (borrowed). */
const char *age_recipient_str(const struct age_recipient *r);

/*
 * Parse an identity file's text (age-keygen output: '#' comments, blank lines,
 * one AGE-SECRET-KEY-1... per line) and append its identities to *list
 * (*list may start NULL). `name` is used in messages.
 */
int age_identities_parse(struct age_identity **list, const char *text, size_t len, const char *name);
void age_identities_free(struct age_identity *list);
/* The recipient ("age1...") of identity i in the list, or NULL past the end (borrowed). */
const char *age_identity_recipient(const struct age_identity *list, size_t i);
/* Generate a new X25519 identity; writes "AGE-SECRET-KEY-1..." into sk (a secret buffer) and "age1..." into pk. */
int age_keygen(struct buf *sk, struct buf *pk);

/* Encrypt pt (n bytes) to the recipients, appending the age file (armored if armor) to out. */
int age_encrypt_buf(struct buf *out, const void *pt, size_t n, struct age_recipient *const *rcpts,
                    size_t nrcpts, int armor);
/* Decrypt an age file (binary or armored) with the identities, appending the plaintext to out.
 * GS_EAUTH "no identity matched any of the recipients" when none opens it. */
int age_decrypt_buf(struct buf *out, const void *ct, size_t n, const struct age_identity *ids);

#endif
