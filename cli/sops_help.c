/*
 * What `gitseal sops` and each of its verbs say about themselves (struct cli_spec):
 * one option table for every verb (sops' flags are global, cli/sops_args.c), and for
 * each verb the options it reads, its synopsis and what it does.
 */
#include "cli/cli.h"
#include "cli/cmd_sops.h"

#define RULES                                                                                      \
	"encrypted-regex", "unencrypted-regex", "encrypted-suffix", "unencrypted-suffix",          \
	    "encrypted-comment-regex", "unencrypted-comment-regex", "mac-only-encrypted"
#define IO "input-type", "output-type", "config", "indent", "help"

static const char *const encrypt_only[] = {
	"age",      RULES,         "shamir-secret-sharing-threshold",
	"in-place", "output",      "filename-override",
	"previous", "no-previous", IO,
	NULL
};
static const char *const decrypt_only[] = { "extract",           "ignore-mac", "in-place", "output",
	                                    "filename-override", IO,           NULL };
static const char *const edit_only[] = {
	"age", RULES, "shamir-secret-sharing-threshold", "ignore-mac", "filename-override", IO, NULL
};
static const char *const rotate_only[] = { "add-age",    "rm-age", "in-place", "output",
	                                   "ignore-mac", IO,       NULL };
static const char *const updatekeys_only[] = { "yes", "input-type", "config", "help", NULL };
static const char *const set_only[] = { "value-stdin", "value-file", "idempotent",
	                                "ignore-mac",  IO,           NULL };
static const char *const unset_only[] = { "idempotent", "ignore-mac", IO, NULL };
static const char *const filestatus_only[] = { "input-type", "help", NULL };
static const char *const exec_env_only[] = { "pristine", "ignore-mac", "input-type", "help", NULL };
static const char *const exec_file_only[] = { "filename",    "ignore-mac", "input-type",
	                                      "output-type", "help",       NULL };
static const char *const groups_only[] = { "file",       "age",  "shamir-secret-sharing-threshold",
	                                   "input-type", "help", NULL };
static const char *const version_only[] = { "help", NULL };

const struct cli_spec sops_encrypt_spec = {
	.name = "sops encrypt",
	.usage = "[options] FILE\n[options] --filename-override NAME < FILE",
	.about =
	    "Encrypt FILE (yaml, json, dotenv, ini or binary) for the age recipients of --age,\n"
	    "$SOPS_AGE_RECIPIENTS or the first matching creation rule of .sops.yaml; to stdout,\n"
	    "--output or -i. With -i under git, the values unchanged since HEAD keep their\n"
	    "ciphertext. A file that already carries sops metadata is refused (exit 203).",
	.opts = sops_cli_options,
	.only = encrypt_only,
	.args = "file",
};

const struct cli_spec sops_decrypt_spec = {
	.name = "sops decrypt",
	.usage = "[--extract PATH] [options] FILE",
	.about =
	    "Decrypt FILE to stdout (--output, -i), the MAC checked (exit 51 on a mismatch unless\n"
	    "--ignore-mac); --extract prints one value. Without FILE, stdin is read when it is "
	    "not\n"
	    "a terminal.",
	.opts = sops_cli_options,
	.only = decrypt_only,
	.args = "file",
};

const struct cli_spec sops_edit_spec = {
	.name = "sops edit",
	.usage = "[options] FILE",
	.about =
	    "Open FILE decrypted in $SOPS_EDITOR or $EDITOR (else vim, nano, vi), on tmpfs, and\n"
	    "encrypt what comes back with the same data key; unchanged values keep their\n"
	    "ciphertext. A new FILE starts from sops' example for its format and gets its keys "
	    "and\n"
	    "rules as sops encrypt does. Also `gitseal sops FILE`.",
	.opts = sops_cli_options,
	.only = edit_only,
	.args = "file",
};

const struct cli_spec sops_rotate_spec = {
	.name = "sops rotate",
	.usage = "[-i] [--add-age R] [--rm-age R] FILE",
	.about =
	    "Give FILE a fresh data key (and add or remove recipients); comments and layout kept.",
	.opts = sops_cli_options,
	.only = rotate_only,
	.args = "file",
};

const struct cli_spec sops_updatekeys_spec = {
	.name = "sops updatekeys",
	.usage = "[-y] FILE",
	.about = "Wrap FILE's data key for the recipients its .sops.yaml creation rule names now\n"
	         "(values, MAC and layout stay; the data key is not rotated).",
	.opts = sops_cli_options,
	.only = updatekeys_only,
	.args = "file",
};

const struct cli_spec sops_set_spec = {
	.name = "sops set",
	.usage = "[--idempotent] FILE INDEX VALUE\n[--idempotent] --value-stdin|--value-file F "
	         "FILE INDEX",
	.about = "Set one value of FILE in place: INDEX is a path such as "
	         "'[\"data\"][\"password\"]', VALUE a\n"
	         "JSON value ('\"text\"', 42, {\"a\": 1}). Other values keep their ciphertext. "
	         "--value-stdin\n"
	         "keeps a secret VALUE out of argv.",
	.opts = sops_cli_options,
	.only = set_only,
	.args = "file",
};

const struct cli_spec sops_unset_spec = {
	.name = "sops unset",
	.usage = "[--idempotent] FILE INDEX",
	.about = "Remove one value of FILE in place (exit 91 when INDEX is not there, unless\n"
	         "--idempotent).",
	.opts = sops_cli_options,
	.only = unset_only,
	.args = "file",
};

const struct cli_spec sops_filestatus_spec = {
	.name = "sops filestatus",
	.usage = "FILE",
	.about = "Print {\"encrypted\":true} when FILE carries complete sops metadata, else false.",
	.opts = sops_cli_options,
	.only = filestatus_only,
	.args = "file",
};

const struct cli_spec sops_exec_env_spec = {
	.name = "sops exec-env",
	.usage = "[--pristine] FILE COMMAND",
	.about =
	    "Run COMMAND (sh -c) with FILE's top-level values in its environment; its exit status\n"
	    "is COMMAND's.",
	.opts = sops_cli_options,
	.only = exec_env_only,
	.args = "file",
};

const struct cli_spec sops_exec_file_spec = {
	.name = "sops exec-file",
	.usage = "[--filename NAME] FILE 'COMMAND {}'",
	.about = "Run COMMAND with {} replaced by a tmpfs file holding FILE's plaintext, "
	         "overwritten and\n"
	         "removed afterwards.",
	.opts = sops_cli_options,
	.only = exec_file_only,
	.args = "file",
};

const struct cli_spec sops_groups_spec = {
	.name = "sops groups",
	.usage = "add --file FILE --age R1,R2 [--shamir-secret-sharing-threshold N]\ndelete --file "
	         "FILE INDEX",
	.about = "Add or delete a key group: the same data key is split again over the new groups\n"
	         "(Shamir); values and MAC stay.",
	.opts = sops_cli_options,
	.only = groups_only,
	.args = "add delete",
};

const struct cli_spec sops_version_spec = {
	.name = "sops version",
	.about =
	    "Print the version line of the sops gitseal implements (sops " SOPS_VERSION "), then\n"
	    "gitseal's own. Also --version.",
	.opts = sops_cli_options,
	.only = version_only,
};

const struct cli_command sops_verbs[] = {
	{ "encrypt", NULL, "encrypt a file", &sops_encrypt_spec },
	{ "decrypt", NULL, "decrypt a file", &sops_decrypt_spec },
	{ "edit", NULL, "edit a file decrypted, or a new one", &sops_edit_spec },
	{ "rotate", NULL, "a fresh data key (and recipients added or removed)", &sops_rotate_spec },
	{ "updatekeys", NULL, "the recipients .sops.yaml names now", &sops_updatekeys_spec },
	{ "set", NULL, "set one value in place", &sops_set_spec },
	{ "unset", NULL, "remove one value in place", &sops_unset_spec },
	{ "filestatus", NULL, "is it encrypted?", &sops_filestatus_spec },
	{ "exec-env", NULL, "run a command with the values in its environment",
	  &sops_exec_env_spec },
	{ "exec-file", NULL, "run a command on a temporary plaintext file", &sops_exec_file_spec },
	{ "groups", NULL, "add or delete key groups", &sops_groups_spec },
	{ "version", NULL, "print the version", &sops_version_spec },
};
const size_t sops_nverbs = sizeof(sops_verbs) / sizeof(sops_verbs[0]);

const struct cli_spec cmd_sops_spec = {
	.name = "sops",
	.usage = "[options] <command> FILE\n-e|-d|-r [options] FILE      (sops' legacy flags; a "
	         "bare FILE = edit)",
	.about =
	    "Reads and writes SOPS files (yaml, json, dotenv, ini, binary) with age keys, like "
	    "sops\n"
	    "3.9: its verbs, flags, environment, messages and exit codes (51 MAC mismatch, 128 no\n"
	    "key, 200 unchanged, 203 already encrypted, ...). Linked as sops, gitseal behaves as "
	    "it.",
	.opts = sops_cli_options,
	.subs = sops_verbs,
	.nsubs = sizeof(sops_verbs) / sizeof(sops_verbs[0]),
	.args = "file",
	.more = "keys: SOPS_AGE_KEY (a keys file's text, or keys separated by blanks), "
	        "SOPS_AGE_KEY_FILE,\n"
	        "SOPS_AGE_KEY_CMD, then $XDG_CONFIG_HOME/sops/age/keys.txt (or "
	        "~/.config/sops/age/keys.txt).\n"
	        "recipients: --age, SOPS_AGE_RECIPIENTS, .sops.yaml (--config, SOPS_CONFIG).",
};
