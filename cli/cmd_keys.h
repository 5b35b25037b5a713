#ifndef GS_CMD_KEYS_H
#define GS_CMD_KEYS_H
/* The sub-verbs of gitseal keys (cli/cmd_keys_<sub>.c), run from cmd_keys.c's table; argv[0] is the
 * sub-verb. */
int keys_cmd_new(int argc, char **argv);
int keys_cmd_cert(int argc, char **argv);
int keys_cmd_backup(int argc,
                    char **argv); /* cmd_keys_backup.c: backup and restore share their options */
int keys_cmd_restore(int argc, char **argv);

/* Their help, man page sections and completion (struct cli_spec, cli/cli.h). */
struct cli_spec;
extern const struct cli_spec keys_cmd_new_spec, keys_cmd_cert_spec, keys_cmd_backup_spec,
    keys_cmd_restore_spec;

#endif
