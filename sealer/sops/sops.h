#ifndef GS_SOPS_H
#define GS_SOPS_H
/*
 * SOPS files (getsops/sops 3.7-3.13 compatible) with age master keys.
 *
 * A file is a list of documents (YAML multi-doc, or one JSON/dotenv/INI/binary
 * tree) plus the `sops:` metadata. Every selected leaf is encrypted on its own
 * with AES-256-GCM under one 32-byte data key:
 *   ENC[AES256_GCM,data:<b64>,iv:<b64 32
 * bytes>,tag:<b64>,type:str|int|float|bool|bytes|time|comment] with AAD = the map keys from the
 * root joined by ':' plus a trailing ':' (list indices are not part of it). The MAC is SHA-512 over
 * the cleartext leaves in document order, uppercase hex, encrypted with AAD = lastmodified. The
 * data key is an armored age file per recipient, or (2+ key groups) Shamir shares over GF(2^8) as
 * in HashiCorp Vault.
 *
 * Errors: see "errors and exit codes" below: the returned code carries sops'
 * exit code. Everything that holds a data key or plaintext is wiped.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

struct doc;
struct age_identity;
struct sops_file;

/* --- errors and exit codes ------------------------------------------------------ */

/* sops' exit codes (cmd/sops/codes) */
enum sops_exit {
	SOPS_EXIT_GENERIC = 1,
	SOPS_EXIT_READ_INPUT = 2,
	SOPS_EXIT_WRITE_OUTPUT = 3,
	SOPS_EXIT_DUMPING_TREE = 4,
	SOPS_EXIT_READING_CONFIG = 5,
	SOPS_EXIT_INVALID_SET = 7,
	SOPS_EXIT_CONFLICT = 8,
	SOPS_EXIT_ENCRYPTING_MAC = 21,
	SOPS_EXIT_ENCRYPTING_TREE = 23,
	SOPS_EXIT_DECRYPTING_MAC = 24,
	SOPS_EXIT_DECRYPTING_TREE = 25,
	SOPS_EXIT_CHANGE_KEYS_MISSING = 49,
	SOPS_EXIT_MAC_MISMATCH = 51,
	SOPS_EXIT_MAC_NOT_FOUND = 52,
	SOPS_EXIT_CONFIG_NOT_FOUND = 61,
	SOPS_EXIT_BAD_TREE_PATH = 91,
	SOPS_EXIT_EMPTY_FILE = 92,
	SOPS_EXIT_NO_FILE = 100,
	SOPS_EXIT_NO_ENCRYPTION_KEY = 111,
	SOPS_EXIT_NO_DATA_KEY = 128,
	SOPS_EXIT_UNCHANGED = 200,
	SOPS_EXIT_NO_EDITOR = 201,
	SOPS_EXIT_VERSION_COMPARE = 202,
	SOPS_EXIT_ALREADY_ENCRYPTED = 203,
};

/*
 * Every sops_* function returns 0 (or a count) on success, or a negative code after
 * gs_error() set the message, as everywhere. Where sops has an exit code of its own for
 * the failure, the code carries it beside its GS_E* class, in the one int:
 *
 *     rc = gs_error(SOPS_ERR(GS_EAUTH, SOPS_EXIT_MAC_MISMATCH), "MAC mismatch ...");
 *     sops_exit_code(rc)   == 51          (what `gitseal sops` exits with)
 *     sops_error_class(rc) == GS_EAUTH    (what any other caller tests)
 *
 * A plain GS_E* code (from lib/core, lib/doc, age, ...) is sops' generic 1. So the exit
 * code is a property of the failure that returned it: nothing sticky, nothing per thread
 * (a worker's rc, passed to another thread, keeps it). Callers that only test `rc < 0`
 * need nothing; a class is tested with sops_error_class(rc) == GS_E..., never rc == GS_E...
 * (false for a tagged code).
 */
#define SOPS_ERR(gs, exit) ((gs)-1000 * (int)(exit))
/* sops' exit code for rc: 0 for rc >= 0, the tagged code, else 1 (SOPS_EXIT_GENERIC). */
int sops_exit_code(int rc);
/* The GS_E* class of rc (rc itself when it carries no exit code; rc >= 0 unchanged). */
int sops_error_class(int rc);
/* rc tagged with exit instead of what it carried (SOPS_EXIT_GENERIC: untagged), for failures
 * of lower layers that sops reports with a code of its own; rc >= 0 is returned as is. Pure:
 * pass the result to gs_error_prefix() to update gs_error_code() too. */
int sops_error_exit(int rc, enum sops_exit exit);
/* The same, only when rc carries the generic code (an inner, more precise one wins). */
int sops_error_exit_default(int rc, enum sops_exit exit);

#define SOPS_VERSION "3.9.4" /* what new files say they were written by (semver; 3.7+ read it) */
#define SOPS_KEY_LEN 32
#define SOPS_IV_LEN 32

enum sops_format { SOPS_FMT_YAML, SOPS_FMT_JSON, SOPS_FMT_DOTENV, SOPS_FMT_INI, SOPS_FMT_BINARY };
/* "yaml" | "json" | "dotenv" | "ini" | "binary"; GS_EINVAL otherwise. */
int sops_format_parse(enum sops_format *out, const char *s);
const char *sops_format_name(enum sops_format f);
/* sops' choice by extension: .yaml/.yml, .json, .env, .ini, else binary. */
enum sops_format sops_format_for_path(const char *path);

/* --- values ---------------------------------------------------------------- */
enum sops_type {
	SOPS_T_STR,
	SOPS_T_INT,
	SOPS_T_FLOAT,
	SOPS_T_BOOL,
	SOPS_T_BYTES,
	SOPS_T_TIME,
	SOPS_T_COMMENT
};
const char *sops_type_name(enum sops_type t);

struct sops_cipher; /* AES-256-GCM under one data key, reused for every value */
int sops_cipher_new(struct sops_cipher **out, const unsigned char key[SOPS_KEY_LEN]);
void sops_cipher_free(struct sops_cipher *c);
/* Append ENC[AES256_GCM,...] for pt (n > 0 bytes) to out; iv is SOPS_IV_LEN bytes. */
int sops_value_encrypt(struct sops_cipher *c, struct buf *out, const void *pt, size_t n,
                       const unsigned char *iv, const char *aad, size_t aadlen,
                       enum sops_type type);
/* Decrypt an ENC[...] string, appending the plaintext to pt (a secret buffer).
 * GS_EPARSE "does not match sops' data format"; GS_EAUTH on a tag failure. */
int sops_value_decrypt(struct sops_cipher *c, struct buf *pt, enum sops_type *type, const char *enc,
                       size_t enclen, const char *aad, size_t aadlen);
/* Does s look like an ENC[AES256_GCM,...] value? */
int sops_is_encrypted_value(const char *s, size_t n);
/* The IV of an ENC[...] value (for reusing unchanged ciphertext); 0 or GS_EPARSE. */
int sops_value_iv(unsigned char iv[SOPS_IV_LEN], const char *enc, size_t enclen);
/* Go strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip, no exponent. */
int sops_format_float(char *out, size_t outlen, double v);

/* --- MAC --------------------------------------------------------------------- */
struct sops_mac;
int sops_mac_new(struct sops_mac **out, int mac_only_encrypted);
int sops_mac_update(struct sops_mac *m, const void *p, size_t n);
/* 128 uppercase hex digits + NUL; frees m. */
int sops_mac_final(struct sops_mac *m, char hex[129]);
void sops_mac_free(struct sops_mac *m);

/* --- Shamir (HashiCorp Vault's scheme over GF(2^8), as vendored by sops) -------- */
/* shares: parts buffers of n+1 bytes each (y bytes then the x coordinate). */
int sops_shamir_split(unsigned char **shares, const unsigned char *secret, size_t n, int parts,
                      int threshold);
/* nparts shares of partlen bytes -> secret (partlen-1 bytes). */
int sops_shamir_combine(unsigned char *secret, const unsigned char *const *parts, size_t nparts,
                        size_t partlen);

/* --- which leaves are encrypted ----------------------------------------------- */
enum sops_rule_kind {
	SOPS_RULE_NONE,
	SOPS_RULE_UNENCRYPTED_SUFFIX,
	SOPS_RULE_ENCRYPTED_SUFFIX,
	SOPS_RULE_UNENCRYPTED_REGEX,
	SOPS_RULE_ENCRYPTED_REGEX,
	SOPS_RULE_UNENCRYPTED_COMMENT_REGEX,
	SOPS_RULE_ENCRYPTED_COMMENT_REGEX,
};
const char *sops_rule_key(enum sops_rule_kind k); /* "encrypted_regex", ... */
struct sops_rules {
	enum sops_rule_kind kind;
	char *value;
	void *re; /* compiled regex (PCRE2, RE2 syntax subset) */
	int mac_only_encrypted;
};
/* Set the rule (value copied, regex compiled): GS_EPARSE naming the bad regex. */
int sops_rules_set(struct sops_rules *r, enum sops_rule_kind kind, const char *value);
void sops_rules_release(struct sops_rules *r);
/* Should the leaf under this key path be encrypted? (sops' shouldBeEncrypted) */
int sops_rules_encrypts(const struct sops_rules *r, const char *const *path, const size_t *lens,
                        size_t depth);
/* Does the rule's regex match this text (a comment, for the comment rules)? */
int sops_rules_match_text(const struct sops_rules *r, const char *s, size_t n);
/* Unanchored RE2-style search of s with a one-off pattern (for .sops.yaml path_regex). */
int sops_regex_search(const char *pattern, const char *s, int *match);

/* --- metadata ------------------------------------------------------------------- */
struct sops_age_key {
	char *recipient;
	char *enc; /* armored age file holding the data key or this group's Shamir share */
};
struct sops_group {
	struct sops_age_key *age;
	size_t nage;
	struct doc *other; /* pgp/kms/gcp_kms/azure_kv/hc_vault/... entries, kept as they are */
};
struct sops_meta {
	struct sops_group *groups;
	size_t ngroups;
	int key_groups_layout; /* written under key_groups (2+ groups, or read that way) */
	int shamir_threshold;
	char *lastmodified;
	char *mac;
	struct sops_rules rules;
	char *version;
};
void sops_meta_release(struct sops_meta *m);
/* Does any group hold non-age master keys (pgp, kms, ...)? */
int sops_meta_has_foreign_keys(const struct sops_meta *m);

/* A recipient list per key group (from --age, SOPS_AGE_RECIPIENTS or .sops.yaml). */
struct sops_keyspec {
	char ***groups; /* groups[i] = NULL-terminated list of "age1..." (or "cluster:REF" until
	                 * sops_keyspec_resolve() replaced it) */
	size_t ngroups;
	int shamir_threshold;
	int clusters; /* how many recipients sops_keyspec_resolve() fetched from clusters */
};
void sops_keyspec_release(struct sops_keyspec *k);
/* Append "age1a,age1b" (spaces trimmed) as one new group. */
int sops_keyspec_add_group(struct sops_keyspec *k, const char *csv);
/* Remove group i (GS_EINVAL when there is none). */
int sops_keyspec_remove_group(struct sops_keyspec *k, size_t i);

/*
 * Cluster recipients: a recipient written "cluster:REF" (a `.sops.yaml` rule's `cluster:` entry,
 * gitseal encrypt --to-cluster/--cluster-recipient) stands for the age recipient of the
 * gitseal-controller that REF names: a kubeconfig context, or a URL (http(s)://, file://) of
 * its /v1/age-recipient. sealer/ has no network: the caller's fn fetches it ("age1..." appended
 * to recipient). A file encrypted to a cluster must name its namespace in clear (see
 * sops_check_namespaced): the controller decrypts it only into that namespace.
 */
#define SOPS_CLUSTER_PREFIX "cluster:"
typedef int (*sops_cluster_fn)(void *ctx, const char *ref, struct buf *recipient);
/* Replace every "cluster:REF" of spec by its recipient (each REF fetched once; a recipient
 * already in the group is not added twice); spec->clusters counts them. fn NULL with one
 * there: GS_EINVAL naming it. */
int sops_keyspec_resolve(struct sops_keyspec *spec, sops_cluster_fn fn, void *ctx);
/*
 * A file encrypted to a cluster: every document is a Kubernetes object with a non-empty
 * metadata.namespace that the rules leave unencrypted, and the MAC covers it (no
 * mac_only_encrypted). GS_EINVAL naming the file and document otherwise.
 */
int sops_check_namespaced(const struct sops_file *f);

/*
 * Wrap the data key for the given groups (one armored age file per recipient,
 * Shamir shares when 2+ groups) into m->groups, replacing the age keys. Non-age
 * entries of existing groups are kept when keep_other (updatekeys).
 */
int sops_meta_set_keys(struct sops_meta *m, const struct sops_keyspec *spec,
                       const unsigned char key[SOPS_KEY_LEN]);

/* A fresh random data key. */
int sops_data_key_new(unsigned char key[SOPS_KEY_LEN]);

/* Identities the way sops finds them: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD,
 * then $XDG_CONFIG_HOME/sops/age/keys.txt or ~/.config/sops/age/keys.txt. *where
 * gets a description of the places looked at (for the error message). */
int sops_identities_load(struct age_identity **ids, struct buf *where);
/* Recover the data key (exit 128 with sops' "Failed to get the data key" report). */
int sops_meta_data_key(const struct sops_meta *m, const struct age_identity *ids, const char *where,
                       unsigned char key[SOPS_KEY_LEN]);

/* --- files ------------------------------------------------------------------------- */
struct sops_cmt_plan;
struct sops_file {
	enum sops_format fmt;
	struct doc **docs; /* the trees without `sops` (YAML: one per document) */
	size_t ndocs;
	struct sops_meta meta;
	int has_meta;
	char *name; /* for messages */
	/* The YAML text the trees were parsed from (borrowed; NULL: none): the comment rules
	 * decide from its comments. */
	const char *src;
	size_t src_len;
	struct sops_cmt_plan *cmt; /* built from src by sops_file_encrypt() */
};
void sops_file_release(struct sops_file *f);

/* Parse an encrypted file ("sops metadata not found" when it has none). */
int sops_file_load(struct sops_file *f, const char *name, const char *data, size_t len,
                   enum sops_format fmt);
/* Parse a plaintext file (exit 203 "File already encrypted" when it carries sops metadata). */
int sops_file_load_plain(struct sops_file *f, const char *name, const char *data, size_t len,
                         enum sops_format fmt);

/* Decrypt every encrypted leaf in place and check the MAC (exit 51 / 25). */
int sops_file_decrypt(struct sops_file *f, const unsigned char key[SOPS_KEY_LEN], int ignore_mac);

/* Previous ciphertexts by (AAD, plaintext): reused so unchanged values keep their bytes. */
struct sops_stash;
/* Collect from an encrypted file's trees decrypted with key (the same data key). */
int sops_stash_new(struct sops_stash **out, const struct sops_file *enc,
                   const unsigned char key[SOPS_KEY_LEN]);
void sops_stash_free(struct sops_stash *s);
/* Add the encrypted comments of a YAML source (decrypted with key) to the stash. */
int sops_stash_comments(struct sops_stash *stash, const struct sops_file *f, const char *src,
                        size_t len, const unsigned char key[SOPS_KEY_LEN]);

/* How many leaves of document doc f's rules select for encryption (GS_EINVAL for the comment
 * rules, which decide from the source's comments). */
int sops_file_selected(const struct sops_file *f, size_t doc, size_t *count);

/* Encrypt the leaves the rules select, compute the MAC, set lastmodified/mac/version. */
int sops_file_encrypt(struct sops_file *f, const unsigned char key[SOPS_KEY_LEN],
                      struct sops_stash *stash);

/* Emit in fmt; with_meta adds the sops block (encrypted output). indent 0 = format default. */
int sops_file_emit(struct buf *out, const struct sops_file *f, enum sops_format fmt, int with_meta,
                   int indent);

/*
 * YAML (or JSON: values and the sops member only) that keeps src's bytes (comments, order, quoting,
 * indentation) outside the values that differ between the trees parsed from src and f's trees; the
 * sops block is written (with_meta) or dropped. Comments: "#ENC[...]" ones are decrypted with
 * old_key, plain ones encrypted with new_key (as sops does; either may be NULL). GS_EINVAL when the
 * change cannot be spliced (the caller re-emits with sops_file_emit).
 */
int sops_yaml_splice(struct buf *out, const struct sops_file *f, const char *src, size_t len,
                     int with_meta, int indent, const unsigned char *old_key,
                     const unsigned char *new_key, struct sops_stash *stash);

/* The same for dotenv: src's lines with the tree's values, comment lines as sops writes them. */
int sops_dotenv_splice(struct buf *out, const struct sops_file *f, const char *src, size_t len,
                       int with_meta, const unsigned char *old_key, const unsigned char *new_key,
                       struct sops_stash *stash);

/* --extract / set / unset paths: '["a"]["b"][0]' */
struct sops_path {
	char **keys; /* keys[i] NULL when the component is an index */
	long *index;
	size_t n;
};
int sops_path_parse(struct sops_path *p, const char *s); /* exit 91 on bad syntax */
void sops_path_release(struct sops_path *p);
/* The node at p in document 0 (borrowed) or GS_ENOTFOUND "component ['x'] not found". */
int sops_file_lookup(const struct sops_file *f, const struct sops_path *p, struct doc **out);
/* Set p to value (taken), creating maps on the way; unset removes (GS_ENOTFOUND if absent). */
int sops_file_set(struct sops_file *f, const struct sops_path *p, struct doc *value);
int sops_file_unset(struct sops_file *f, const struct sops_path *p);

/* Refuse a plaintext tree that already holds sops metadata (exit 203). */
int sops_check_not_encrypted(const struct sops_file *f);

/* --- .sops.yaml ------------------------------------------------------------------- */
struct sops_creation_rule {
	unsigned line, col; /* where the rule starts in .sops.yaml */
	char *path_regex;
	struct sops_keyspec keys;
	enum sops_rule_kind rule_kind;
	char *rule_value;
	int mac_only_encrypted;
};
struct sops_config {
	char *path;
	char *dir; /* absolute directory of the config file */
	struct sops_creation_rule *rules;
	size_t nrules;
	int yaml_indent, json_indent; /* stores: {yaml: {indent}}, 0 = unset */
};
/* Walk up from dir (up to 100 levels) for .sops.yaml: 0 and *path, or GS_ENOTFOUND. */
int sops_config_find(char **path, const char *dir);
int sops_config_load(struct sops_config *c, const char *path);
/* A config's text, named name in messages (no directory: sops_config_match() is not for it);
 * master keys other than age are accepted and ignored (gitseal check reads any sops config). */
int sops_config_parse(struct sops_config *c, const char *name, const char *text, size_t len);
void sops_config_release(struct sops_config *c);
/* First rule matching file (path relative to the config's directory); GS_ENOTFOUND
 * "error loading config: no matching creation rules found". */
int sops_config_match(const struct sops_config *c, const char *file,
                      const struct sops_creation_rule **out);

/* --- what the sops command decides, for every caller (sops_policy.c, sops_ops.c) ---------
 * The policy of `sops encrypt/decrypt/rotate/updatekeys/...` on top of the file API above,
 * so that `gitseal sops`, `gitseal encrypt`, the GitOps decrypt stage and `gitseal rotate`
 * make the same choices. No argv, no terminal: files come in as bytes and go out in a buf. */

/* What `sops edit` of a new file starts from: sops' example for the format (indent 0: the
 * format's default). */
int sops_example(struct buf *out, enum sops_format fmt, int indent);

/*
 * The .sops.yaml in effect: path when given (--config, $SOPS_CONFIG: the caller reads those),
 * else the first one found walking up from dir. With none found, 0 and *have = 0 (sops then
 * goes on with flags only); a broken file is an error (exit 5).
 */
int sops_config_discover(struct sops_config *c, int *have, const char *path, const char *dir);

/* How a new file is to be encrypted, as the command line says (sops' getEncryptConfig). */
struct sops_encrypt_opts {
	const char *age; /* recipients "age1..,age1.." (one group); NULL: the creation rule's */
	enum sops_rule_kind
	    rule; /* an explicit rule; SOPS_RULE_NONE: the creation rule's, else the default */
	const char *rule_value;
	int rule_count; /* how many rule flags were given: 2+ is refused (exit 8) */
	int mac_only_encrypted;
	int shamir_threshold;      /* 0: the creation rule's */
	const char *default_regex; /* encrypted_regex when neither the flags nor the rule choose
	                            * (gitseal encrypt: ^(data|stringData)$); NULL: sops'
	                            * _unencrypted suffix */
	sops_cluster_fn cluster;   /* fetches "cluster:REF" recipients (NULL: refused) */
	void *cluster_ctx;
};
#define SOPS_ENCRYPT_OPTS_INIT                                                                     \
	{                                                                                          \
		NULL, SOPS_RULE_NONE, NULL, 0, 0, 0, NULL, NULL, NULL                              \
	}

/*
 * Keys and rules for a new file called name (relative to the cwd; it picks the creation rule)
 * ("cluster:" recipients resolved through o->cluster)
 * in format fmt: the flags in o first, then the first matching creation rule of conf (NULL:
 * no .sops.yaml). spec gets the recipients (appended), rules the encryption rule (binary files:
 * none, their one value is always encrypted). need_keys: no recipients at all is an error
 * with sops' message ("config file not found, or has no creation rules, and no keys provided
 * through command line options").
 */
int sops_encrypt_config(struct sops_keyspec *spec, struct sops_rules *rules,
                        const struct sops_encrypt_opts *o, const struct sops_config *conf,
                        const char *name, enum sops_format fmt, int need_keys);

/* The recipients of a creation rule (its groups and threshold), appended to spec. */
int sops_keyspec_from_rule(struct sops_keyspec *spec, const struct sops_creation_rule *rule);
/* The recipients of m's groups, appended to spec (rotate, groups): rm (a comma-separated list)
 * removed from every group, add (the same) added to the first group once each. */
int sops_keyspec_from_meta(struct sops_keyspec *spec, const struct sops_meta *m, const char *add,
                           const char *rm);
/* 1 when m's age recipients are spec's, group by group (order inside a group does not matter);
 * with_threshold: the Shamir threshold too (2+ groups; 0 in spec = all groups). */
int sops_keyspec_matches(const struct sops_keyspec *spec, const struct sops_meta *m,
                         int with_threshold);

/*
 * The data key of a loaded encrypted file, opened with the identities sops would use
 * (sops_identities_load). Exit 128 with sops' report of every key tried and the places looked.
 */
int sops_file_data_key(const struct sops_file *f, unsigned char key[SOPS_KEY_LEN]);
/* sops_file_load() then sops_file_data_key(); on failure f is released. */
int sops_file_open(struct sops_file *f, const char *name, const char *data, size_t len,
                   enum sops_format fmt, unsigned char key[SOPS_KEY_LEN]);

/*
 * An earlier text an output keeps the layout of: the bytes f was parsed from, or those of the
 * file it replaces (src NULL: written afresh, as sops lays files out). Its "#ENC[...]" comments
 * are decrypted with old_key, its plain ones encrypted with new_key (NULL: left as they are);
 * stash holds earlier ciphertexts reused for unchanged values. indent 0: the format's default.
 */
struct sops_layout {
	const char *src;
	size_t src_len;
	const unsigned char *old_key, *new_key;
	struct sops_stash *stash;
	int indent;
};
#define SOPS_LAYOUT_INIT                                                                           \
	{                                                                                          \
		NULL, 0, NULL, NULL, NULL, 0                                                       \
	}

/*
 * Emit f in fmt (with_meta: with the sops block, i.e. encrypted output) over lay->src: YAML,
 * JSON and dotenv keep src's bytes outside the values that changed (comments, order, quoting);
 * anything else, or a change that cannot be spliced, is emitted as sops writes it. A file whose
 * comment rules depend on comments that a fresh emit would drop is refused naming it (nothing
 * written). Exit 4 on other failures.
 */
int sops_file_rewrite(struct buf *out, struct sops_file *f, enum sops_format fmt, int with_meta,
                      const struct sops_layout *lay);

/*
 * Encrypt f's plaintext trees (its metadata holds the wrapped key and the rules) under key and
 * emit them with the sops block over lay->src (whose comments the comment rules read). When
 * src_plain, src's plain comments are encrypted under key (lay->new_key is ignored; with
 * lay->old_key set, too). Exit 23 when a value cannot be encrypted.
 */
int sops_file_seal(struct buf *out, struct sops_file *f, const unsigned char key[SOPS_KEY_LEN],
                   enum sops_format fmt, const struct sops_layout *lay, int src_plain);

/*
 * An earlier encrypted version of a file being encrypted again (gitseal's --previous, or
 * HEAD's version under git): its data key, master keys and the ciphertext of every unchanged
 * value are kept, so that a re-encrypt changes only what changed. hint: only a hint (HEAD):
 * when it does not open, or was encrypted for other recipients than asked, it is ignored.
 */
struct sops_previous {
	const char *name;
	const char *data;
	size_t len;
	int hint;
};

/*
 * sops encrypt: f is the plaintext file loaded from src (sops_file_load_plain; its rules set by
 * sops_encrypt_config), spec its recipients (may be empty with a previous version, which is
 * read in f's format). A fresh data key unless prev is used. The output, in fmt, keeps src's
 * layout when it has comments or a previous version is used, else it is laid out as sops does.
 */
int sops_encrypt(struct buf *out, struct sops_file *f, const char *src, size_t len,
                 const struct sops_keyspec *spec, const struct sops_previous *prev,
                 enum sops_format fmt, int indent);

/*
 * sops rotate (with a new spec: updatekeys and rotate in one): f is open (key its data key,
 * lay->src the bytes it came from); it is decrypted, given a fresh data key (written to key)
 * wrapped for spec (NULL: f's own recipients, groups and threshold) and sealed over lay->src,
 * comments re-encrypted. A file with pgp/kms/vault keys, which cannot be re-wrapped here, is
 * refused naming it.
 */
int sops_file_rotate(struct buf *out, struct sops_file *f, unsigned char key[SOPS_KEY_LEN],
                     const struct sops_keyspec *spec, enum sops_format fmt,
                     const struct sops_layout *lay, int ignore_mac);

/* updatekeys, groups add/delete: wrap f's data key (key) for spec; values, MAC and layout stay. */
int sops_file_rewrap(struct buf *out, struct sops_file *f, const unsigned char key[SOPS_KEY_LEN],
                     const struct sops_keyspec *spec, enum sops_format fmt,
                     const struct sops_layout *lay);

#endif
