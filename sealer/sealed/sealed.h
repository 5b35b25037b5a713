#ifndef GS_SEALED_H
#define GS_SEALED_H
/*
 * Bitnami Sealed Secrets (bitnami.com/v1alpha1 SealedSecret), offline.
 *
 * Item format (sealed-secrets pkg/crypto HybridEncrypt), each value alone:
 *   base64std( u16be(len(rsa)) || RSA-OAEP-SHA256/MGF1-SHA256(session key, label)
 *              || AES-256-GCM(session key, nonce = 12 zero bytes, no AAD)(pt) || tag16 )
 * Label by scope: strict "<ns>/<name>", namespace-wide "<ns>", cluster-wide "".
 *
 * Layers: this header is the crypto and the SealedSecret <-> Secret documents.
 * Key lifecycle (generation, certs, key Secrets, the keyring with its certs)
 * is keys/keys.h, whose `struct keys_ring` embeds a `struct sealed_keyset`.
 *
 * Secrets: plaintext only ever lives in BUF_INIT_SECRET buffers or DOC_SECRET
 * nodes; private keys live inside OpenSSL (the PEM text they came from is
 * wiped). Error messages name the document and field, never a value.
 */
#include <stddef.h>
#include <time.h>

#include "core/buf.h"

struct doc;

/* ---- scopes and labels ---------------------------------------------------- */

enum sealed_scope {
	SEALED_SCOPE_DEFAULT = 0, /* as the input's annotations say, else strict */
	SEALED_STRICT,
	SEALED_NAMESPACE_WIDE,
	SEALED_CLUSTER_WIDE,
};

#define SEALED_ANNO_NAMESPACE_WIDE "sealedsecrets.bitnami.com/namespace-wide"
#define SEALED_ANNO_CLUSTER_WIDE "sealedsecrets.bitnami.com/cluster-wide"
#define SEALED_ANNO_MANAGED "sealedsecrets.bitnami.com/managed"
#define SEALED_ANNO_PATCH "sealedsecrets.bitnami.com/patch"
#define SEALED_ANNO_SKIP_OWNER "sealedsecrets.bitnami.com/skip-set-owner-references"
#define SEALED_API_VERSION "bitnami.com/v1alpha1"

/* "strict", "namespace-wide", "cluster-wide" (and "" = default); -1 if unknown. */
int sealed_scope_parse(const char *s);
const char *sealed_scope_name(enum sealed_scope s);
/*
 * The scope an object's metadata.annotations select (upstream SecretScope):
 * cluster-wide wins; the value must be the exact string "true".
 */
enum sealed_scope sealed_scope_of(const struct doc *obj);
/* Rewrite obj's metadata.annotations for scope (UpdateScopeAnnotations); strict removes both. */
int sealed_set_scope_annotations(struct doc *obj, enum sealed_scope scope);
/* Append the OAEP label bytes for scope (ns/name may be NULL for the scopes that ignore them). */
int sealed_label(struct buf *out, enum sealed_scope scope, const char *ns, const char *name);

/* ---- keys ----------------------------------------------------------------- */

struct sealed_pubkey;  /* an RSA public key, with its certificate's validity if it came from one */
struct sealed_privkey; /* an RSA private key (OpenSSL inside) */

/*
 * Parse the first "CERTIFICATE" PEM block of text (kubeseal's ParseKey); a
 * "PUBLIC KEY" block is accepted too (no validity then). `what` names the source
 * in messages. GS_EPARSE when it is not PEM or not RSA ("cert is not RSA").
 */
int sealed_pubkey_from_pem(struct sealed_pubkey **out, const char *text, size_t len,
                           const char *what);
void sealed_pubkey_free(struct sealed_pubkey *pk);
/* NotAfter/NotBefore of the certificate (0 when it was a bare public key). */
time_t sealed_pubkey_not_after(const struct sealed_pubkey *pk);
time_t sealed_pubkey_not_before(const struct sealed_pubkey *pk);
/*
 * 0 if the certificate is valid at `now`; else GS_EAUTH with kubeseal's message
 * "failed to encrypt using an expired certificate on January 2, 2006".
 */
int sealed_pubkey_check_expiry(const struct sealed_pubkey *pk, time_t now);
/* Modulus size in bytes (512 for RSA-4096). */
size_t sealed_pubkey_size(const struct sealed_pubkey *pk);

/*
 * Parse a private key PEM ("RSA PRIVATE KEY" PKCS#1 or "PRIVATE KEY" PKCS#8,
 * RSA only). The caller wipes its copy of the text; nothing is kept but the key.
 */
int sealed_privkey_from_pem(struct sealed_privkey **out, const char *text, size_t len,
                            const char *what);
void sealed_privkey_free(struct sealed_privkey *k);
size_t sealed_privkey_size(const struct sealed_privkey *k);
/* The public half (for checking a key matches a cert, or sealing to it). */
int sealed_privkey_pubkey(struct sealed_pubkey **out, const struct sealed_privkey *k);
/* 1 when the private key's public half equals pk. */
int sealed_privkey_matches(const struct sealed_privkey *k, const struct sealed_pubkey *pk);
/* 1 when both are the same key (same public modulus and exponent). */
int sealed_privkey_same(const struct sealed_privkey *a, const struct sealed_privkey *b);
/* "SHA256:<b64>" SSH-style fingerprint of the public key (upstream's key registry id). */
int sealed_pubkey_fingerprint(struct buf *out, const struct sealed_pubkey *pk);

/*
 * The private keys an unseal tries, in order: keys[hint] first (the key that
 * opened the previous item: without it, 36 loaded keys cost up to 36 RSA-4096
 * private operations, ~4 ms each, per item), then keys[0..n) (newest first).
 * Borrowed pointers; keys_ring (keys/keys.h) owns one. `threads` > 1 lets
 * sealed_unseal() open items on that many threads once a key is known.
 * Not safe for concurrent unseals sharing one keyset (hint is updated).
 */
struct sealed_keyset {
	struct sealed_privkey **keys;
	size_t n;
	size_t hint;
	int threads; /* 0 = one per online CPU, capped at 2 */
	/* bit k set when keys[k] opened an item (k < 64; never cleared here): which keys a
	 * SealedSecret needs, for the per-key counts (several when items were sealed apart) */
	unsigned long long used;
};
#define SEALED_KEYSET_INIT                                                                         \
	{                                                                                          \
		NULL, 0, 0, 0, 0                                                                   \
	}

/* ---- items ---------------------------------------------------------------- */

/*
 * Seal n plaintext bytes for label: append the standard base64 item to out.
 * For many items with the same label, sealed_encryptor is cheaper.
 */
int sealed_encrypt_item(struct buf *out, const struct sealed_pubkey *pk, const void *label,
                        size_t label_len, const void *pt, size_t n);
/*
 * Open one base64 item with the keyset, appending the plaintext to out (a
 * BUF_INIT_SECRET buffer). Accepts newline-wrapped base64, 16/24/32-byte
 * session keys, and short RSA ciphertexts (left-padded) as Go does.
 * GS_EPARSE: bad base64 or too short ("ciphertext too short");
 * GS_EAUTH: "no key could decrypt secret". Sets ks->hint on success.
 */
int sealed_decrypt_item(struct buf *out, struct sealed_keyset *ks, const void *label,
                        size_t label_len, const char *b64, size_t b64_len);
/* The same on raw bytes (after base64). */
int sealed_decrypt_blob(struct buf *out, struct sealed_keyset *ks, const void *label,
                        size_t label_len, const unsigned char *blob, size_t len);

/* A public key + one label, set up once for many items (one OAEP context). */
struct sealed_encryptor;
int sealed_encryptor_new(struct sealed_encryptor **out, const struct sealed_pubkey *pk,
                         const void *label, size_t label_len);
int sealed_encryptor_seal(struct sealed_encryptor *e, struct buf *out, const void *pt, size_t n);
void sealed_encryptor_free(struct sealed_encryptor *e);

/* ---- documents ------------------------------------------------------------- */

struct sealed_seal_opts {
	enum sealed_scope scope;       /* SEALED_SCOPE_DEFAULT: from the Secret's annotations */
	const char *name;              /* --name: overrides metadata.name */
	const char *namespace;         /* -n: must match a non-empty metadata.namespace */
	const char *default_namespace; /* for a Secret without namespace ("default" if NULL) */
	int allow_empty_data;          /* --allow-empty-data */
	const char *what;              /* input name for messages ("stdin", "secret.yaml") */
};
#define SEALED_SEAL_OPTS_INIT                                                                      \
	{                                                                                          \
		SEALED_SCOPE_DEFAULT, NULL, NULL, NULL, 0, NULL                                    \
	}

/*
 * Seal a v1 Secret document into a new SealedSecret document, as kubeseal
 * does: .data base64-decoded then sealed, .stringData sealed as UTF-8 (wins on
 * a duplicate key); labels/annotations/type/immutable into spec.template,
 * last-applied annotations and server fields stripped; top-level metadata is
 * name, namespace and the scope annotation. Keys come out in kubeseal's JSON
 * order (kind, apiVersion, metadata, spec{template, encryptedData}); emit with
 * DOC_EMIT_SORT_KEYS for YAML. Errors use kubeseal's wording.
 */
int sealed_seal_secret(struct doc **out, const struct doc *secret, const struct sealed_pubkey *pk,
                       const struct sealed_seal_opts *opts);

/* The decrypted items of one SealedSecret, in encryptedData order. */
struct sealed_items {
	size_t n;
	char **keys;      /* NUL-terminated key names */
	struct buf *vals; /* BUF_INIT_SECRET plaintext values */
};
#define SEALED_ITEMS_INIT                                                                          \
	{                                                                                          \
		0, NULL, NULL                                                                      \
	}
void sealed_items_release(struct sealed_items *it);
/* vals[i] of key, or NULL. */
const struct buf *sealed_items_get(const struct sealed_items *it, const char *key);

struct sealed_unseal_opts {
	int accept_v1_data; /* legacy spec.data: controller yes, kubeseal --recovery-unseal no */
	const char *what;   /* input name for messages */
};
#define SEALED_UNSEAL_OPTS_INIT                                                                    \
	{                                                                                          \
		0, NULL                                                                            \
	}

/*
 * Open every spec.encryptedData item of a SealedSecret with the label its own
 * metadata (name, namespace, scope annotations) selects. All items must open;
 * the errors of failing items are joined ("no key could decrypt secret (foo)").
 * With accept_v1_data, a legacy spec.data blob is opened and its Secret's data
 * and stringData become the items.
 */
int sealed_open(struct sealed_items *out, const struct doc *ss, struct sealed_keyset *ks,
                const struct sealed_unseal_opts *opts);

/*
 * SealedSecret -> v1 Secret (upstream Unseal): sealed_open() then sealed_desired_secret().
 * If items is non-NULL it receives the decrypted values (caller releases).
 */
int sealed_unseal(struct doc **out, const struct doc *ss, struct sealed_keyset *ks,
                  const struct sealed_unseal_opts *opts, struct sealed_items *items);
/*
 * Build the Secret from already opened items, WITHOUT template.data: metadata
 * from spec.template.metadata with name/namespace forced to the SealedSecret's,
 * type/immutable from the template, data = base64 of the opened items (DOC_SECRET
 * nodes), ownerReferences to the SealedSecret unless skip-set-owner-references.
 * sealed_desired_secret() (below) adds template.data.
 */
int sealed_secret_from_items(struct doc **out, const struct doc *ss,
                             const struct sealed_items *items);

/*
 * The Secret a SealedSecret produces, as the controller writes it:
 * sealed_secret_from_items() plus spec.template.data rendered over the decrypted
 * items (data[key] = base64 of the rendered text, DOC_SECRET). Errors name the
 * template key and the construct, never a value.
 */
int sealed_desired_secret(struct doc **out, const struct doc *ss, const struct sealed_items *items);

/* ---- template.data (template.c) ------------------------------------------ */

/* One decrypted value the templates can use (borrowed plaintext). */
struct sealed_kv {
	const char *key;
	const char *val;
	size_t len;
};
/*
 * Render one template.data source (name = its key, for messages) over vals: the subset of Go
 * text/template + sprig that upstream users write ({{ .key }}, index, print, toJson, b64enc,
 * b64dec, upper, lower, trim, quote, squote, pipes). out: a BUF_INIT_SECRET buffer.
 */
int sealed_template_render(struct buf *out, const char *name, const char *src, size_t len,
                           const struct sealed_kv *vals, size_t nvals);

/*
 * Does ss open with one of the keys? Only its first item is tried (with the label its own
 * metadata selects), so at most one private-key operation per key tried: enough to tell
 * the wrong cluster or a moved/renamed SealedSecret (the label no longer matches) without
 * opening every item. 0, or GS_EAUTH "no key could decrypt secret", GS_EPARSE. gitseal check.
 */
int sealed_probe(const struct doc *ss, struct sealed_keyset *ks,
                 const struct sealed_unseal_opts *opts);

/* Every item opens (gitseal validate / the controller's /v1/verify); no templates. */
int sealed_verify(const struct doc *ss, struct sealed_keyset *ks,
                  const struct sealed_unseal_opts *opts);

/*
 * 1 when the items of ss (the first max_items, 0: all) open with key alone, 0 when one does not
 * (ss needs re-sealing for it; a SealedSecret of the deprecated spec.data format never does),
 * < 0 for a malformed document. One private-key operation per item tried, and an item sealed
 * for another key ends it: a SealedSecret sealed for an older key costs one.
 */
int sealed_opens_with(const struct doc *ss, const struct sealed_privkey *key, size_t max_items,
                      const struct sealed_unseal_opts *opts);

/*
 * Re-encrypt ss in place for pk: every item opened with ks and sealed again
 * with the label of ss's own scope; the rest of the document is untouched
 * (kubeseal --re-encrypt / the controller's /v1/rotate, offline).
 */
int sealed_reseal(struct doc *ss, struct sealed_keyset *ks, const struct sealed_pubkey *pk,
                  const struct sealed_unseal_opts *opts);

/*
 * Seal `secret` with the name, namespace and scope of the existing SealedSecret
 * `into` (not a CLI scope: kubeseal's use of --scope there is a bug users hit),
 * and merge its items, template labels and annotations into `into`.
 */
int sealed_merge_into(struct doc *into, const struct doc *secret, const struct sealed_pubkey *pk,
                      const struct sealed_seal_opts *opts);

/* Kubernetes' cap on a Secret's data (the sum of its decoded values): 1 MiB. */
#define SEALED_SECRET_MAX_DATA (1 << 20)
/* The bytes a v1 Secret's data (base64-decoded) and stringData values add up to. */
size_t sealed_secret_data_size(const struct doc *secret);

/* 1 if obj is kind SealedSecret (apiVersion bitnami.com/...). */
int sealed_is_sealedsecret(const struct doc *obj);

#endif
