#ifndef GS_CRYPTO_H
#define GS_CRYPTO_H
/*
 * Small crypto helpers for code outside sealer/ and keys/: SHA-256, HMAC-SHA256
 * (one-shot and streaming), constant-time MAC comparison, random bytes. The
 * webhook receiver checks GitHub's "X-Hub-Signature-256: sha256=<hex>" with
 * them; the controller keys its source record with them. OpenSSL (libcrypto)
 * underneath; nothing here keeps state between calls, and every function is
 * safe on any number of threads.
 *
 * Secrets: keys are copied into OpenSSL's context and wiped when it is freed;
 * the caller wipes its own key and any MAC that must stay secret (gs_wipe).
 * MACs are compared only with gs_mac_equal()/gs_mac_equal_hex() (constant time
 * in the content; lengths are public).
 */
#include <stddef.h>

#define GS_SHA256_LEN 32

#define GS_SHA1_LEN 20

/*
 * A content address, not a security primitive: out = H(a || b) with SHA-1 (outlen
 * GS_SHA1_LEN) or SHA-256 (GS_SHA256_LEN), as git names an object ("blob <size>\0" then
 * the bytes). 0, GS_EINVAL for another length, GS_ERROR when libcrypto fails.
 */
int gs_object_id(unsigned char *out, size_t outlen, const void *a, size_t an, const void *b,
                 size_t bn);

/* out = SHA-256(data). 0, or GS_ERROR when libcrypto fails (out is then zeroed). */
int gs_sha256(unsigned char out[GS_SHA256_LEN], const void *data, size_t n);
/* out = HMAC-SHA256(key, data) (RFC 2104); any key length, 0 included. */
int gs_hmac_sha256(unsigned char out[GS_SHA256_LEN], const void *key, size_t keylen,
                   const void *data, size_t n);

/*
 * Streaming: new, update any number of times, final once, free (NULL is fine).
 * After final the context may be freed or started again with _reset (HMAC keeps
 * its key). On failure *out is NULL; update/final after a failure keep failing.
 */
struct gs_sha256_ctx;
int gs_sha256_new(struct gs_sha256_ctx **out);
int gs_sha256_update(struct gs_sha256_ctx *c, const void *data, size_t n);
int gs_sha256_final(struct gs_sha256_ctx *c, unsigned char out[GS_SHA256_LEN]);
int gs_sha256_reset(struct gs_sha256_ctx *c);
void gs_sha256_free(struct gs_sha256_ctx *c);

struct gs_hmac_ctx;
int gs_hmac_sha256_new(struct gs_hmac_ctx **out, const void *key, size_t keylen);
int gs_hmac_update(struct gs_hmac_ctx *c, const void *data, size_t n);
int gs_hmac_final(struct gs_hmac_ctx *c, unsigned char out[GS_SHA256_LEN]);
int gs_hmac_reset(struct gs_hmac_ctx *c);
void gs_hmac_free(struct gs_hmac_ctx *c); /* wipes the key */

/* 1 when the n bytes of a and b are equal, else 0; time depends on n only. */
int gs_mac_equal(const void *a, const void *b, size_t n);
/*
 * 1 when hex (hexlen characters, either case, e.g. the part of GitHub's header
 * after "sha256=") spells exactly the maclen bytes of mac, else 0 (also for a
 * wrong length or a non-hex character). Time depends on the lengths only.
 */
int gs_mac_equal_hex(const char *hex, size_t hexlen, const unsigned char *mac, size_t maclen);
/* Lowercase hex of n bytes into dst (room for 2n+1), NUL-terminated; no table lookups. */
void gs_hex(char *dst, const void *src, size_t n);

/* n bytes from the kernel's CSPRNG (getrandom). GS_EIO if it fails. */
int gs_random_bytes(void *out, size_t n);

#endif
