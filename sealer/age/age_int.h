#ifndef GS_AGE_INT_H
#define GS_AGE_INT_H
/*
 * Private to sealer/age*.c and sealer/bech32.c: the parsed header, the
 * primitives (OpenSSL HKDF/HMAC/ChaCha20-Poly1305, libsodium X25519) and the
 * recipient/identity internals. Not for other modules: use sealer/age.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "sealer/age/age.h"

#define AGE_FILE_KEY_LEN 16
#define AGE_INTRO "age-encryption.org/v1\n"
#define AGE_ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define AGE_ARMOR_END "-----END AGE ENCRYPTED FILE-----"
#define AGE_CHUNK 65536
#define AGE_TAG 16
#define AGE_ENC_CHUNK (AGE_CHUNK + AGE_TAG)
#define AGE_SCRYPT_LOGN_ENCRYPT 18 /* Go age's default work factor */
#define AGE_SCRYPT_LOGN_MAX 22     /* Go age refuses more when decrypting */
#define AGE_HEADER_MAX ((size_t)16 << 20)
#define MAX_IDENTITY_FILE ((size_t)16 << 20) /* Go age's limit */
#define MAX_IDENTITY_FILE_PT ((size_t)16 << 20)

/* ---- bech32.c (BIP-173 without the 90-character limit, as age uses it) ---- */
/* Encode data under hrp; the result is uppercase when hrp is. */
int age__bech32_encode(struct buf *out, const char *hrp, const unsigned char *data, size_t n);
/* Decode s: the lowercase hrp into hrp[hrpmax], the data into data[*n] (room for datamax). */
int age__bech32_decode(const char *s, char *hrp, size_t hrpmax, unsigned char *data, size_t datamax,
                       size_t *n);

/* ---- age_prim.c ---- */
int age__hkdf(unsigned char *out, size_t outlen, const void *ikm, size_t ikmlen, const void *salt,
              size_t saltlen, const char *info);
int age__hmac_sha256(unsigned char out[32], const unsigned char key[32], const void *data,
                     size_t n);
/* ChaCha20-Poly1305 with a zero nonce (stanza bodies): out gets n+16 bytes. */
int age__aead_seal0(unsigned char *out, const unsigned char key[32], const unsigned char *pt,
                    size_t n);
/* 0 ok, 1 the tag does not verify (not an error message), <0 error. out gets n-16 bytes. */
int age__aead_open0(unsigned char *out, const unsigned char key[32], const unsigned char *ct,
                    size_t n);
/* Go's %q-ish quoting of untrusted bytes for messages (capped). */
const char *age__quote(struct buf *tmp, const void *p, size_t n);

/* ---- age_format.c: the header ---- */
struct age_stanza {
	char **args; /* args[0] is the type */
	size_t nargs;
	unsigned char *body;
	size_t bodylen;
};

struct age_header {
	struct age_stanza *st;
	size_t nst;
	unsigned char mac[32];
	size_t maclen;   /* bytes of the original header covered by the MAC (through "---") */
	size_t totallen; /* bytes of the whole header, MAC line included */
};

/* Parse the header at the start of p[n] (the whole header must be there). GS_EPARSE with Go's
 * wording. */
int age__header_parse(struct age_header *h, const char *p, size_t n);
void age__header_release(struct age_header *h);
/* Append a stanza (copies args and body). */
int age__header_add(struct age_header *h, const char *const *args, size_t nargs,
                    const unsigned char *body, size_t bodylen);
/* Serialise without MAC (through "---"), then the MAC line. */
int age__header_marshal_nomac(struct buf *out, const struct age_header *h);
int age__header_mac(unsigned char mac[32], const unsigned char file_key[16], const void *hdr,
                    size_t n);

/* ---- recipients and identities ---- */
enum age__rtype { AGE_R_X25519, AGE_R_SCRYPT, AGE_R_SSH_ED25519, AGE_R_SSH_RSA };
struct age_recipient {
	int type;
	unsigned char pk[32];       /* X25519 (for ssh-ed25519: the Montgomery form of the key) */
	unsigned char ssh_blob[64]; /* ssh-ed25519: the SSH wire public key */
	size_t ssh_bloblen;
	char str[128];
	char *str_long; /* ssh-rsa: the whole "ssh-rsa AAAA..." */
	void *pkey;     /* ssh-rsa: EVP_PKEY */
	char tag[8];    /* ssh-rsa: b64 SHA-256(wire)[:4] */
	char *pass;     /* scrypt: wiped on free */
	int logn;
};

enum age__itype {
	AGE_I_X25519,
	AGE_I_SCRYPT,
	AGE_I_PROMPT,
	AGE_I_ENCRYPTED,
	AGE_I_SSH_ED25519,
	AGE_I_SSH_RSA
};
struct age__lazy {
	struct age_identity *inner; /* decrypted identities of an encrypted identity file */
	int done;
};
struct age_identity {
	struct age_identity *next;
	int type;
	unsigned char sk[32], pk[32];
	unsigned char ssh_blob[64]; /* AGE_I_SSH_ED25519: the SSH wire public key */
	size_t ssh_bloblen;
	char recip[128];
	char *recip_long; /* AGE_I_SSH_RSA: "ssh-rsa AAAA..." */
	void *pkey;       /* AGE_I_SSH_RSA: EVP_PKEY */
	char tag[8];
	char *pass; /* AGE_I_SCRYPT */
	int max_logn;
	age_passphrase_fn ask; /* AGE_I_PROMPT, AGE_I_ENCRYPTED */
	void *ask_ctx;
	char *name;              /* AGE_I_ENCRYPTED: file name for prompts */
	unsigned char *contents; /* AGE_I_ENCRYPTED: the age file (binary, armor removed) */
	size_t contentslen;
	struct age__lazy *lazy;
};

/* Stanza unwrap results: 0 file key found, 1 not for this identity, <0 a malformed stanza (header
 * failure). */
int age__x25519_wrap(struct age_header *h, const struct age_recipient *r,
                     const unsigned char fk[16]);
int age__x25519_unwrap(const struct age_identity *id, const struct age_stanza *s,
                       unsigned char fk[16]);
int age__scrypt_wrap(struct age_header *h, const struct age_recipient *r,
                     const unsigned char fk[16]);
/* pass, passlen; max_logn */
int age__scrypt_unwrap(const char *pass, int max_logn, const struct age_stanza *s,
                       unsigned char fk[16]);

/* ---- age_ssh.c: ssh-ed25519 recipients and unencrypted OpenSSH Ed25519 identities ---- */
int age__ssh_recipient_parse(struct age_recipient **out, const char *s);
int age__ssh_identity_parse(struct age_identity *id, const char *pem, size_t n);
int age__ssh_wrap(struct age_header *h, const struct age_recipient *r, const unsigned char fk[16]);
int age__ssh_unwrap(const struct age_identity *id, const struct age_stanza *s,
                    unsigned char fk[16]);

/* ---- age_ssh_rsa.c: ssh-rsa (RSA-OAEP-SHA256) ---- */
int age__rsa_recipient_parse(struct age_recipient **out, const char *s);
/* the private section of an openssh-key-v1 key, after the key type */
int age__rsa_identity_from_openssh(struct age_identity *id, const unsigned char *blob,
                                   size_t bloblen, const unsigned char *priv, size_t privlen);
int age__rsa_wrap(struct age_header *h, const struct age_recipient *r, const unsigned char fk[16]);
int age__rsa_unwrap(const struct age_identity *id, const struct age_stanza *s,
                    unsigned char fk[16]);
void age__pkey_free(void *pkey);

/* ---- age_armor.c ---- */
struct age__armor_src {
	struct age_src src;
	struct age_src *under;
	unsigned char *in; /* raw text buffer */
	size_t inlen, inpos, incap;
	int in_eof;
	unsigned char out[48];
	size_t outlen, outpos;
	int started, done, failed;
};
int age__armor_src_init(struct age__armor_src *a, struct age_src *under);
void age__armor_src_release(struct age__armor_src *a);

struct age__armor_sink {
	struct age_sink sink;
	struct age_sink *under;
	unsigned char carry[48];
	size_t ncarry;
	char *line; /* scratch for encoded lines */
	size_t linecap;
	int started;
};
int age__armor_sink_init(struct age__armor_sink *a, struct age_sink *under);
int age__armor_sink_close(struct age__armor_sink *a);
void age__armor_sink_release(struct age__armor_sink *a);

/* ---- age_stream.c: the payload ---- */
/* Read buffer shared by the header reader and the payload decryptor. */
struct age__rbuf {
	struct age_src *src;
	unsigned char *p;
	size_t cap, start, end;
	int eof;
};
int age__rbuf_init(struct age__rbuf *rb, struct age_src *src, size_t cap);
void age__rbuf_release(struct age__rbuf *rb);
/* Make at least want bytes available (fewer at EOF); returns bytes available or <0. */
long age__rbuf_need(struct age__rbuf *rb, size_t want);

int age__stream_encrypt(struct age_sink *out, struct age_src *in, const unsigned char fk[16]);
/* Decrypts the chunks that follow the nonce in rb; *released counts plaintext bytes written. */
int age__stream_decrypt(struct age_sink *out, struct age__rbuf *rb, const unsigned char fk[16],
                        const unsigned char nonce16[16], unsigned long long *released);

#endif
