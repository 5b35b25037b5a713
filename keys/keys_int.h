#ifndef GS_KEYS_INT_H
#define GS_KEYS_INT_H
/* Private to keys/: helpers the files share. */
#include <time.h>

#include "keys/keys.h"

/* metadata.creationTimestamp ("2006-01-02T15:04:05Z"), or -1 */
time_t keys__creation_time(const struct doc *obj);
/* PEM text with one or more private keys (keys_ring.c) */
int keys__ring_add_pem_text(struct keys_ring *r, const char *text, size_t len, const char *what);
/* keys_ring_add_pem_at() remembering the key Secret's name (keys_ring.c) */
int keys__ring_add_pem_secret(struct keys_ring *r, const char *key_pem, size_t key_len,
                              const char *cert_pem, size_t cert_len, const char *name,
                              time_t created, const char *secret);

#endif
