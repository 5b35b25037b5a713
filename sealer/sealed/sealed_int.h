#ifndef GS_SEALED_INT_H
#define GS_SEALED_INT_H
/* Private to sealer/sealed*.c: the key structs and single-key decryption. */
#include <openssl/evp.h>

#include "sealer/sealed/sealed.h"

struct sealed_pubkey {
	EVP_PKEY *pkey;
	size_t size; /* modulus bytes */
	time_t not_before, not_after;
};

struct sealed_privkey {
	EVP_PKEY *pkey;
	size_t size;
};

/*
 * Try one key: 0 and the plaintext appended to out; GS_EAUTH when this key
 * does not open it; GS_EPARSE when the blob is too short. Sets no message
 * (callers decide: one wrong key is not an error).
 */
int sealed__decrypt_with(struct buf *out, const struct sealed_privkey *key, const void *label,
                         size_t label_len, const unsigned char *blob, size_t len);

#endif
