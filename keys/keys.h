#ifndef GS_KEYS_H
#define GS_KEYS_H
/*
 * Sealing keys: generation exactly as the upstream Sealed Secrets controller
 * (RSA-4096, self-signed cert with an empty subject, critical keyUsage
 * encipherOnly, CA:TRUE, 128-bit serial, 10 years), key Secrets
 * (`kubernetes.io/tls`, label sealedsecrets.bitnami.com/sealed-secrets-key:
 * active) and the keyring the controller and `gitseal unseal` open items with.
 *
 * Secrets: private keys are held by OpenSSL; PEM texts that pass through here
 * are in BUF_INIT_SECRET buffers or wiped DOC_SECRET nodes.
 */
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "sealer/sealed/sealed.h"

struct doc;

#define KEYS_LABEL "sealedsecrets.bitnami.com/sealed-secrets-key"
#define KEYS_PREFIX "sealed-secrets-key"
#define KEYS_DEFAULT_BITS 4096
#define KEYS_DEFAULT_TTL ((time_t)10 * 365 * 24 * 3600) /* --key-ttl 87600h */

/* One key of the ring. */
struct keys_entry {
	struct sealed_privkey *key; /* owned */
	struct sealed_pubkey *cert; /* owned; NULL for a bare key file */
	char *cert_pem;             /* owned; the certificate as PEM (NULL without cert) */
	size_t cert_pem_len;
	time_t not_before; /* cert NotBefore (0 without cert) */
	time_t order;      /* the ring's order: not_before, or with by_creation the key
	                    * Secret's creationTimestamp (upstream's orderingTime) */
	char *name;        /* Secret name or file name (owned) */
	/* added for the key lifecycle (keys list/retire, per-key counts): */
	unsigned id;    /* unique in this ring, never reused: what a counter remembers a key
	                 * by (indexes move as keys come and go) */
	char *secret;   /* the key Secret's metadata.name (owned); NULL for a file */
	time_t created; /* the key Secret's creationTimestamp, -1 unknown */
};

/*
 * Several RSA private keys with their certs, newest first (by cert NotBefore, or
 * by the key Secret's creationTimestamp when by_creation is set: the controller's
 * --key-order-priority; ties keep the first added). `set` is what sealed_unseal()
 * & co. try, in the same order, starting with the key that opened the previous item.
 */
struct keys_ring {
	struct keys_entry *ent;
	size_t n;
	struct sealed_keyset set; /* set.keys[i] == ent[i].key */
	int by_creation;          /* set before adding keys */
	unsigned next_id;         /* the last keys_entry.id given */
};
#define KEYS_RING_INIT                                                                             \
	{                                                                                          \
		NULL, 0, SEALED_KEYSET_INIT, 0, 0                                                  \
	}

void keys_ring_init(struct keys_ring *r);
void keys_ring_release(struct keys_ring *r);

/*
 * Add a key from PEM text (key PEM, optionally followed or preceded by its
 * certificate PEM in the same text). `name` is for messages. A key identical
 * to one already loaded (same public key) is skipped (returns 0, like upstream's
 * fingerprint map). Returns 1 when added.
 */
int keys_ring_add_pem(struct keys_ring *r, const char *key_pem, size_t key_len,
                      const char *cert_pem, size_t cert_len, const char *name);
/* The same with the time the ring orders it by when by_creation is set (<0: its NotBefore). */
int keys_ring_add_pem_at(struct keys_ring *r, const char *key_pem, size_t key_len,
                         const char *cert_pem, size_t cert_len, const char *name, time_t created);
/* Add a `kubernetes.io/tls` Secret doc (data["tls.key"], data["tls.crt"], base64). */
int keys_ring_add_secret(struct keys_ring *r, const struct doc *secret, const char *what);
/*
 * Add every key of a document: a key Secret, a v1 List (or SecretList) of them.
 * Items that are not key Secrets are an error naming them; age identity Secrets
 * (keys_is_age_secret) are skipped, so a `keys backup` holding both loads.
 */
int keys_ring_add_doc(struct keys_ring *r, const struct doc *obj, const char *what);
/*
 * Load a file (kubeseal --recovery-private-key): PEM key(s) (+ cert), or
 * JSON/YAML Secret / List of Secrets, possibly several documents. Returns the
 * number of keys added. The file text is read into a secret buffer and wiped.
 */
int keys_ring_load_file(struct keys_ring *r, const char *path);
/* The same from text already in memory (wiped by the caller). */
int keys_ring_load_text(struct keys_ring *r, const char *text, size_t len, const char *what);

/* Remove the key loaded from the key Secret called secret (its Secret was deleted): 1 removed, 0
 * none. Indexes of later keys move down; ids stay. */
int keys_ring_remove_secret(struct keys_ring *r, const char *secret);
/* The entry with this id, or NULL. */
const struct keys_entry *keys_ring_by_id(const struct keys_ring *r, unsigned id);

/* The newest key (ent[0]) and its cert PEM (borrowed); GS_ENOTFOUND when the ring has none with a
 * cert. */
const struct keys_entry *keys_ring_newest(const struct keys_ring *r);
int keys_ring_newest_cert_pem(const struct keys_ring *r, const char **pem, size_t *len);

/* ---- generation --------------------------------------------------------------- */

struct keys_gen_opts {
	int bits;       /* 0 = 4096 (--key-size) */
	time_t ttl;     /* 0 = 10 years (--key-ttl) */
	const char *cn; /* --my-cn; NULL/"" = empty subject (upstream default) */
	time_t now;     /* 0 = time(NULL); NotBefore */
};
#define KEYS_GEN_OPTS_INIT                                                                         \
	{                                                                                          \
		0, 0, NULL, 0                                                                      \
	}

/* A generated key pair as PEM. */
struct keys_pair {
	struct buf key_pem;  /* "RSA PRIVATE KEY" (PKCS#1), BUF_INIT_SECRET */
	struct buf cert_pem; /* "CERTIFICATE" */
};
void keys_pair_init(struct keys_pair *p);
void keys_pair_release(struct keys_pair *p);

/* Generate an RSA key and its self-signed certificate as the upstream controller does. Slow (~1-3
 * s). */
int keys_generate(struct keys_pair *out, const struct keys_gen_opts *opts);

struct keys_secret_opts {
	const char *name; /* metadata.name; NULL = KEYS_PREFIX + 5 random [a-z0-9] */
	const char
	    *generate_name;    /* set metadata.generateName instead of a name (controller create) */
	const char *namespace; /* NULL = "kube-system" */
	const char *label_value; /* NULL = "active" */
};
#define KEYS_SECRET_OPTS_INIT                                                                      \
	{                                                                                          \
		NULL, NULL, NULL, NULL                                                             \
	}

/* The key Secret doc (type kubernetes.io/tls, data tls.crt/tls.key, the active label); DOC_SECRET
 * tls.key. */
int keys_pair_secret(struct doc **out, const struct keys_pair *p,
                     const struct keys_secret_opts *opts);
/* Add a generated pair to the ring (it becomes the newest when its NotBefore is latest). */
int keys_ring_add_pair(struct keys_ring *r, const struct keys_pair *p, const char *name);
/* 5 random characters of [a-z0-9] (Kubernetes generateName suffix) appended to out. */
int keys_random_suffix(struct buf *out);

/* ---- the source-record key (keys_record.c) ------------------------------------------------
 *
 * gitseal-controller keys the record it writes on every Secret it makes (the
 * gitseal.dev/unsealed-from annotation: an HMAC-SHA256 over namespace, name and data) with a
 * random 32-byte key kept in one Secret of its namespace, made by the leader on first start.
 * The label puts it in `gitseal keys backup` and `keys restore`; keyrings skip it. */
#define KEYS_RECORD_LABEL "gitseal.dev/source-record-key"
#define KEYS_RECORD_NAME "gitseal-source-record-key"
#define KEYS_RECORD_DATA "hmac-sha256-key"
#define KEYS_RECORD_KEY_LEN 32

/* The Secret (type Opaque, label KEYS_RECORD_LABEL=active, the key base64 as DOC_SECRET). */
int keys_record_secret(struct doc **out, const char *ns, const unsigned char *key, size_t len);
/* The key of such a Secret into key[KEYS_RECORD_KEY_LEN]; GS_EPARSE naming the Secret. */
int keys_record_key(unsigned char *key, const struct doc *secret);
/* 1 when secret carries KEYS_RECORD_LABEL (any value). */
int keys_is_record_secret(const struct doc *secret);

/* ---- the cluster's age identities (keys_age.c) --------------------------------------------
 *
 * Beside its RSA sealing keys, gitseal-controller keeps age X25519 identities in its namespace
 * so that SOPS files can be encrypted "to the cluster" as SealedSecrets are: one Opaque Secret
 * per identity, labelled KEYS_AGE_LABEL=active, data[KEYS_AGE_DATA] an age key file (what
 * age-keygen writes; the .agekey suffix is what Flux reads a decryption Secret by), the
 * recipient repeated in annotation KEYS_AGE_ANNO so it can be listed without the private key.
 * The newest (by creationTimestamp) is the one files are encrypted to; the older ones stay for
 * decryption until retired. They are only ever used under lib/decrypt's
 * DECRYPT_IDS_OWN_NAMESPACE rule.
 */
#define KEYS_AGE_LABEL "gitseal.dev/age-identity"
#define KEYS_AGE_ANNO "gitseal.dev/age-recipient"
#define KEYS_AGE_DATA "identity.agekey"
#define KEYS_AGE_PREFIX "gitseal-age-identity-"

/* 1 when obj is a Secret carrying KEYS_AGE_LABEL (any value). */
int keys_is_age_secret(const struct doc *obj);
/*
 * A new identity as its Secret (namespace ns, NULL "kube-system"; generateName KEYS_AGE_PREFIX
 * unless name): data DOC_SECRET. recipient (if not NULL) gets "age1...".
 */
int keys_age_secret_new(struct doc **out, struct buf *recipient, const char *ns, const char *name);
/*
 * The identity of such a Secret: its key file text appended to text (a secret buffer) and its
 * recipient to recipient (either may be NULL). GS_EPARSE naming the Secret when it holds not
 * exactly one X25519 identity, or one that the recipient annotation does not name.
 */
int keys_age_secret_identity(const struct doc *secret, struct buf *text, struct buf *recipient);
/*
 * Every age identity Secret in a text (a `keys backup`: a List, or Secrets), appended to text as
 * one key file ('#' comments and AGE-SECRET-KEY-1 lines). Returns how many; other documents are
 * skipped.
 */
int keys_age_load_text(struct buf *ids, const char *text, size_t len, const char *what);

/* What a ring says of one identity (keys_age_ring_list). */
struct keys_age_info {
	char name[254];      /* the Secret's metadata.name */
	char recipient[128]; /* "age1..." */
	time_t created;      /* creationTimestamp (-1 unknown) */
};

/*
 * The identities of a controller: thread-safe (a reader-writer lock inside), so the key
 * watch adds and removes while reconcilers and HTTP handlers read. Newest first by creation;
 * of two created in the same second, the one added last (the key watch sees a renewal after
 * what it renews). Identities are held in wiped memory.
 */
struct keys_age_ring;
int keys_age_ring_new(struct keys_age_ring **out);
void keys_age_ring_free(struct keys_age_ring *r); /* NULL is fine; wipes */
/* Add an identity Secret: 1 added, 0 already there (same recipient), < 0 bad (nothing added).
 * created < 0: the Secret's creationTimestamp (else now). */
int keys_age_ring_add_secret(struct keys_age_ring *r, const struct doc *secret, time_t created);
/* Remove the identity of the Secret called name: 1 removed, 0 none. */
int keys_age_ring_remove(struct keys_age_ring *r, const char *name);
size_t keys_age_ring_count(struct keys_age_ring *r);
/* The newest recipient ("age1...") appended to out, its creation into *created (may be NULL);
 * GS_ENOTFOUND when there is none. */
int keys_age_ring_newest(struct keys_age_ring *r, struct buf *out, time_t *created);
/* Every identity as one age key file (a secret buffer), newest first; the count. */
int keys_age_ring_identities(struct keys_age_ring *r, struct buf *text);
/* A copy of what is known of each, newest first (*out freed with free()). */
int keys_age_ring_list(struct keys_age_ring *r, struct keys_age_info **out, size_t *n);

/* Convenience: sealed_unseal() with the ring's keyset (templating not included, see sealed.h). */
int keys_ring_unseal(struct doc **out, struct keys_ring *r, const struct doc *ss,
                     const struct sealed_unseal_opts *opts, struct sealed_items *items);

#endif
