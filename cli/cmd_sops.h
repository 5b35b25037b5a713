#ifndef GS_CMD_SOPS_H
#define GS_CMD_SOPS_H
/* Shared between cli/cmd_sops*.c, cmd_encrypt.c and cmd_decrypt.c: sops' options and helpers. */
#include "core/buf.h"
#include "sealer/sops/sops.h"

struct sops_opts {
	const char *verb;          /* encrypt, decrypt, edit, rotate, updatekeys, set, unset, ... */
	const char *file;
	const char *age;           /* --age (or SOPS_AGE_RECIPIENTS) */
	const char *add_age, *rm_age;
	enum sops_rule_kind rule;
	const char *rule_value;
	int rule_count;
	int mac_only_encrypted;
	int shamir_threshold;
	const char *input_type, *output_type;
	int in_place;
	const char *output;
	const char *extract;
	int ignore_mac;
	const char *filename_override;
	const char *config;
	int indent;
	int value_stdin;
	const char *value_file;
	int idempotent;
	int yes;
	const char *previous;
	int no_git_previous;
	int pristine;
	const char *exec_filename;
	const char *default_regex; /* gitseal encrypt: ^(data|stringData)$ unless a rule says otherwise */
	char **args;               /* positional arguments after FILE */
	int nargs;
};

/* Run one sops verb with parsed options; returns the exit code (messages on stderr). */
int sops_cli_run(struct sops_opts *o);
/* Print the last error as sops does (message only) and return rc's sops exit code. */
int sops_cli_fail(int rc);

/* Parse sops' flags (argv[0] is the command name); -1 to go on, else an exit code. */
int sops_cli_parse(struct sops_opts *o, int argc, char **argv);
/* Recipients of m's groups (+ add to group 0, - rm everywhere) as a keyspec. */
int sops_cli_spec_from_meta(struct sops_keyspec *spec, const struct sops_meta *m, const char *add, const char *rm);

/* The .sops.yaml in effect (--config, $SOPS_CONFIG, or found upwards); *have = 0 when none. */
int sops_cli_load_config(const struct sops_opts *o, struct sops_config *c, int *have);
/* Keys and rules for a new file named name: flags first, then the matching creation rule. */
int sops_cli_encrypt_config(const struct sops_opts *o, const char *name, enum sops_format fmt, struct sops_keyspec *spec,
                            struct sops_rules *rules, int need_keys);

/* cmd_sops_ops.c */
int sops_cli_edit(struct sops_opts *o);
int sops_cli_set(struct sops_opts *o, int unset);
int sops_cli_updatekeys(struct sops_opts *o);
int sops_cli_groups(struct sops_opts *o);
int sops_cli_exec(struct sops_opts *o, int file_mode);

/* cmd_sops.c helpers used by the ops */
int sops_cli_read(struct buf *out, const char *path);
int sops_cli_formats(const struct sops_opts *o, enum sops_format *in, enum sops_format *out);
/* Recover the data key of a loaded file with the identities sops would use (exit 128). */
int sops_cli_key(const struct sops_file *f, unsigned char key[SOPS_KEY_LEN]);
/* Load an encrypted file and recover its data key. */
int sops_cli_open(struct sops_file *f, const struct sops_opts *o, const char *path, enum sops_format fmt,
                  unsigned char key[SOPS_KEY_LEN], struct buf *raw);
/* Write out to -i (atomic, same mode), --output, or stdout. */
int sops_cli_write(const struct sops_opts *o, const char *path, const struct buf *data);
/* Make a tmpfs directory 0700 and a file path in it for plaintext; *dir must be removed by the caller. */
int sops_cli_tmpfile(char *dir, size_t dirlen, char *path, size_t pathlen, const char *base);
void sops_cli_tmp_cleanup(const char *dir, const char *path);
/* Encrypt f (plaintext, metadata set) with key and emit it, keeping unchanged ciphertext from stash.
 * YAML with src (the bytes f was read from, or those of the file it replaces) keeps src's layout;
 * comments are decrypted with old_key (rotate) and encrypted with key when src is plaintext. */
int sops_cli_seal(struct buf *out, struct sops_file *f, const unsigned char key[SOPS_KEY_LEN], struct sops_stash *stash,
                  enum sops_format fmt, int indent, const struct buf *src, int src_plain, const unsigned char *old_key);
/* Emit f (YAML: spliced into src when possible). */
int sops_cli_emit(struct buf *out, struct sops_file *f, enum sops_format fmt, int with_meta, int indent,
                  const struct buf *src, const unsigned char *old_key, const unsigned char *new_key, struct sops_stash *stash);

#endif
