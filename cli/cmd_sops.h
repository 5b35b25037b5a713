#ifndef GS_CMD_SOPS_H
#define GS_CMD_SOPS_H
/*
 * The sops verbs of the CLI (gitseal sops, encrypt, decrypt): sops' flags, messages
 * and exit codes around the library (sealer/sops/sops.h holds every decision).
 *
 *   cli/cmd_sops.c           gitseal sops: parse, then the verb's table entry
 *   cli/cmd_sops_<verb>.c    one verb each: int sops_cmd_<verb>(const struct sops_opts *)
 *   cli/sops_args.c          the option table, parsing, checks every verb shares
 *   cli/sops_io.c            reading, opening, writing (sops' exit codes 2, 3)
 *   cli/sops_tmp.c           plaintext temp files on tmpfs, running a shell (edit, exec-*)
 * cmd_encrypt.c and cmd_decrypt.c parse the same flags and call one verb directly.
 */
#include "cli/cli.h"
#include "core/buf.h"
#include "sealer/sops/sops.h"

struct sops_opts {
	const char *verb; /* encrypt, decrypt, edit, rotate, updatekeys, set, unset, ... */
	const char *file;
	struct sops_encrypt_opts
	    enc; /* --age, the rule flags, --mac-only-encrypted, --shamir-... */
	const char *add_age, *rm_age;
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
	char **args; /* positional arguments after FILE */
	int nargs;
	int explain; /* gitseal encrypt: say what was encrypted in a non-Secret */
};

/* --- sops_args.c --- */
/* sops' flags: one table for every verb (they are global in sops). */
extern const struct cli_opt sops_cli_options[];
/*
 * Parse sops' flags into o (argv[0] is the command name); -1 to go on, else an exit code.
 * self is the command's help (--help): cmd_sops_spec (then a verb's own when one is
 * named), cmd_encrypt_spec, cmd_decrypt_spec.
 */
int sops_cli_parse(struct sops_opts *o, int argc, char **argv, const struct cli_spec *self);
/* "sops 3.9.4" then gitseal's version line; 0. */
int sops_cli_version(void);

/* --- sops_help.c: the verbs (name, description, help) --- */
extern const struct cli_command sops_verbs[];
extern const size_t sops_nverbs;
/* The checks sops makes before any verb that works on FILE (no file, --in-place with
 * --output or stdin, ...): -1 to go on, else the exit code (message printed). */
int sops_cli_check(const struct sops_opts *o);

/* --- sops_io.c --- */
/* Print the last error as sops does (message only) and return rc's sops exit code. */
int sops_cli_fail(int rc);
/* Read path ("-" = stdin) into out: "Error reading file", exit 2. */
int sops_cli_read(struct buf *out, const char *path);
/* Input and output formats: --input-type/--output-type, else by the (overridden) name. */
int sops_cli_formats(const struct sops_opts *o, enum sops_format *in, enum sops_format *out);
/* Read an encrypted file and recover its data key; raw (if not NULL) gets its bytes. */
int sops_cli_open(struct sops_file *f, const char *path, enum sops_format fmt,
                  unsigned char key[SOPS_KEY_LEN], struct buf *raw);
/* Write to -i (atomic, 0600), --output, or stdout: "Could not write output file", exit 3. */
int sops_cli_write(const struct sops_opts *o, const char *path, const struct buf *data);
/* Replace path in place (atomic, 0600), exit 3 on failure. */
int sops_cli_replace(const char *path, const struct buf *data);
/* The .sops.yaml in effect: --config, $SOPS_CONFIG, else found from the current directory up. */
int sops_cli_config(const struct sops_opts *o, struct sops_config *c, int *have);
/* sops_encrypt_config() for a new file called name, with --age defaulting to $SOPS_AGE_RECIPIENTS
 * and the .sops.yaml in effect. */
int sops_cli_encrypt_config(const struct sops_opts *o, const char *name, enum sops_format fmt,
                            struct sops_keyspec *spec, struct sops_rules *rules, int need_keys);

/* --- sops_tmp.c --- */
/* Make a tmpfs directory 0700 and a file path in it for plaintext; removed by sops_cli_tmp_cleanup
 * (and on SIGTERM/SIGHUP). Exit 3 when there is no tmpfs. */
int sops_cli_tmpfile(char *dir, size_t dirlen, char *path, size_t pathlen, const char *base);
/* Overwrite and unlink path and everything in dir (editor swap files), then remove dir. */
void sops_cli_tmp_cleanup(const char *dir, const char *path);
/* Run `sh -c cmd sh arg` (arg may be NULL); its exit status (128+signal when killed), -1 if it did
 * not run. */
int sops_cli_shell(const char *cmd, const char *arg);

/* --- the verbs: cmd_sops_<verb>.c; each returns the exit code --- */
int sops_cmd_encrypt(const struct sops_opts *o);
int sops_cmd_decrypt(const struct sops_opts *o);
int sops_cmd_rotate(const struct sops_opts *o);
int sops_cmd_filestatus(const struct sops_opts *o);
int sops_cmd_edit(const struct sops_opts *o);
int sops_cmd_set(const struct sops_opts *o);
int sops_cmd_unset(const struct sops_opts *o);
int sops_cmd_updatekeys(const struct sops_opts *o);
int sops_cmd_groups(const struct sops_opts *o);
int sops_cmd_exec_env(const struct sops_opts *o);
int sops_cmd_exec_file(const struct sops_opts *o);

#endif
