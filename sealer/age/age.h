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
/* 1 when line is an SSH public key in authorized_keys form ("type base64 [comment]") whose
 * wire form names the same type, any type (age then skips the ones it cannot use, with a
 * warning): type gets its name. 0 otherwise. */
int age_ssh_key_type(const char *line, char *type, size_t typelen);
/* The canonical "age1..." string of a recipient (borrowed). */
const char *age_recipient_str(const struct age_recipient *r);

/*
 * Parse an identity file's text (age-keygen output: '#' comments, blank lines,
 * one AGE-SECRET-KEY-1... per line) and append its identities to *list
 * (*list may start NULL). `name` is used in messages.
 */
int age_identities_parse(struct age_identity **list, const char *text, size_t len,
                         const char *name);
void age_identities_free(struct age_identity *list);
/* The recipient ("age1...") of identity i in the list, or NULL past the end (borrowed). */
const char *age_identity_recipient(const struct age_identity *list, size_t i);
/* Generate a new X25519 identity; writes "AGE-SECRET-KEY-1..." into sk (a secret buffer) and
 * "age1..." into pk. */
int age_keygen(struct buf *sk, struct buf *pk);

/* Encrypt pt (n bytes) to the recipients, appending the age file (armored if armor) to out. */
int age_encrypt_buf(struct buf *out, const void *pt, size_t n, struct age_recipient *const *rcpts,
                    size_t nrcpts, int armor);
/* Decrypt an age file (binary or armored) with the identities, appending the plaintext to out.
 * GS_EAUTH "no identity matched any of the recipients" when none opens it. */
int age_decrypt_buf(struct buf *out, const void *ct, size_t n, const struct age_identity *ids);

/* ---- Additions for the CLI and the streaming calls ---- */
#include <sys/types.h>

/* Byte source: read up to n bytes; 0 at EOF, <0 after gs_error(). */
struct age_src {
	ssize_t (*read)(struct age_src *s, void *p, size_t n);
};
/* Byte sink: write all n bytes; <0 after gs_error(). */
struct age_sink {
	int (*write)(struct age_sink *s, const void *p, size_t n);
};
struct age_fd_src {
	struct age_src src;
	int fd;
	const char *name;
};
struct age_fd_sink {
	struct age_sink sink;
	int fd;
	const char *name;
};
void age_fd_src_init(struct age_fd_src *s, int fd, const char *name);
void age_fd_sink_init(struct age_fd_sink *s, int fd, const char *name);

/* Asks for a passphrase (e.g. on the terminal); appends it to pass (a secret buffer). */
typedef int (*age_passphrase_fn)(void *ctx, const char *prompt, struct buf *pass);

/* An scrypt (passphrase) recipient; logn 0 = age's default (18). Must be the file's only recipient.
 */
int age_recipient_scrypt(struct age_recipient **out, const char *pass, int logn);
/* Identities: a known passphrase; a passphrase asked (prompt "Enter passphrase:") only if the file
 * is passphrase-encrypted ("incorrect passphrase" when it does not open it). */
int age_identity_add_passphrase(struct age_identity **list, const char *pass);
int age_identity_add_passphrase_prompt(struct age_identity **list, age_passphrase_fn ask,
                                       void *ctx);
/*
 * Like age_identities_parse, but an identity file that is itself an age file (binary or armored,
 * passphrase-encrypted) is accepted; its passphrase is asked through ask when first needed.
 */
int age_identities_parse_ex(struct age_identity **list, const char *text, size_t len,
                            const char *name, age_passphrase_fn ask, void *ctx);
/* Decrypt every passphrase-protected identity file in the list now (for age -e -i). */
int age_identities_unlock(struct age_identity *list);
/* Number of identities (after unlocking, encrypted identity files count their keys). */
size_t age_identities_count(const struct age_identity *list);

/* A random passphrase for `age -p` left empty: 10 dash-separated groups of 4 base32 characters (200
 * bits). */
int age_passphrase_generate(struct buf *out);

/* Streaming encryption: constant memory for any input size. */
int age_encrypt_stream(struct age_sink *out, struct age_src *in, struct age_recipient *const *rcpts,
                       size_t nrcpts, int armor);

/* What went wrong in a decryption (the test kit's classes). */
enum age_failure {
	AGE_OK = 0,
	AGE_FAIL_IO,       /* reading the input or writing the output */
	AGE_FAIL_ARMOR,    /* invalid armor */
	AGE_FAIL_HEADER,   /* malformed header or stanza, missing nonce */
	AGE_FAIL_NO_MATCH, /* no identity opens a stanza */
	AGE_FAIL_HMAC,     /* bad header MAC */
	AGE_FAIL_PAYLOAD,  /* a chunk fails, truncated, trailing data */
};
struct age_decrypt_result {
	int failure;                 /* enum age_failure */
	int scrypt_only;             /* the file has a single scrypt stanza */
	unsigned long long released; /* plaintext bytes written (authenticated chunks only) */
};
/*
 * Streaming decryption (binary or armored input, detected). Plaintext is written only after each
 * 64 KiB chunk authenticates; truncation and trailing data are errors. res may be NULL.
 */
int age_decrypt_stream(struct age_sink *out, struct age_src *in, const struct age_identity *ids,
                       struct age_decrypt_result *res);
/* The same with armor forced on (1), off (0) or detected (-1). */
int age_decrypt_stream_ex(struct age_sink *out, struct age_src *in, const struct age_identity *ids,
                          struct age_decrypt_result *res, int armor);

#endif
