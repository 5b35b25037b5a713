#ifndef GS_BASE64_H
#define GS_BASE64_H
/*
 * Base64 (RFC 4648) in the variants our peers use:
 *   Go StdEncoding (Kubernetes data, Sealed Secrets, sops): padded, '\r'/'\n' ignored,
 *     non-zero trailing bits accepted      -> B64_PAD | B64_SKIP_NEWLINES
 *   age stanza bodies: RawStdEncoding.Strict(): no padding, canonical trailing bits
 *     -> B64_NOPAD | B64_STRICT
 * Errors are Go's ("illegal base64 data at input byte N"). Safe on any number of
 * threads: the decoding tables are constants (no lazily filled state), and
 * whole groups of four characters take a fast path (~5x the plain loop), so
 * hot paths (SOPS values) need no private copy.
 */
#include <stddef.h>

#include "core/buf.h"

enum base64_flags {
	B64_PAD = 1 << 0,           /* encode with '=', decode requires it */
	B64_NOPAD = 1 << 1,         /* decode rejects '=' */
	B64_SKIP_NEWLINES = 1 << 2, /* decode ignores \r and \n */
	B64_STRICT = 1 << 3,        /* decode rejects non-zero trailing bits */
	B64_URL = 1 << 4,           /* '-' and '_' instead of '+' and '/' */
};
#define B64_GO_STD (B64_PAD | B64_SKIP_NEWLINES)

size_t base64_encoded_len(size_t n, int flags);
/* Largest decoded size for inlen characters of input. */
size_t base64_decoded_max(size_t inlen);
/* Append the encoding of data to out. */
int base64_encode(struct buf *out, const void *data, size_t n, int flags);
/* Encode into dst (room for base64_encoded_len()+1), NUL-terminated; returns length. */
size_t base64_encode_raw(char *dst, const void *data, size_t n, int flags);
/* Decode in into out[*outlen] (room for base64_decoded_max(inlen)); GS_EPARSE on bad input. */
int base64_decode_raw(unsigned char *out, size_t *outlen, const char *in, size_t inlen, int flags);
/* Append the decoding of in to out (a secret buffer if the data is secret). */
int base64_decode(struct buf *out, const char *in, size_t inlen, int flags);

#endif
