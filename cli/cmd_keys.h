#ifndef GS_CMD_KEYS_H
#define GS_CMD_KEYS_H
/* The sub-verbs of gitseal keys (cli/cmd_keys_<sub>.c), run from cmd_keys.c's table; argv[0] is the
 * sub-verb. */
int keys_cmd_new(int argc, char **argv);
int keys_cmd_cert(int argc, char **argv);
int keys_cmd_backup(int argc,
                    char **argv); /* cmd_keys_backup.c: backup and restore share their options */
int keys_cmd_restore(int argc, char **argv);
int keys_cmd_list(int argc, char **argv);   /* cmd_keys_list.c */
int keys_cmd_renew(int argc, char **argv);  /* cmd_keys_renew.c */
int keys_cmd_retire(int argc, char **argv); /* cmd_keys_retire.c */

/* ---- keys_cluster.c: what list, renew and retire share ---- */
#include "cli/cmd_seal.h"
enum {
	KEYS_O_CTL_NS = 0x2000,
	KEYS_O_CTL_NAME,
	KEYS_O_KUBECONFIG,
	KEYS_O_CONTEXT,
};
/* The cli_opt entries of those options, for a sub-verb's table. */
#define KEYS_CLUSTER_OPTS                                                                          \
	{ "controller-namespace", KEYS_O_CTL_NS, required_argument, "NS",                          \
	  "the controller's namespace (default kube-system)" },                                    \
	    { "controller-name", KEYS_O_CTL_NAME, required_argument, "NAME",                       \
	      "its service (default sealed-secrets-controller)" },                                 \
	    { "kubeconfig", KEYS_O_KUBECONFIG, required_argument, "FILE", "kubeconfig" },          \
	{                                                                                          \
		"context", KEYS_O_CONTEXT, required_argument, "NAME", "kubeconfig context"         \
	}
/* 1 when id is one of them (set in c), else 0. */
int keys_cli_common_opt(struct seal_cluster *c, int id, const char *arg);
/* The controller's namespace (kube-system by default). */
const char *keys_cli_ns(const struct seal_cluster *c);
/* GET /v1/keys through the API server's service proxy, parsed. */
int keys_cli_status(struct doc **out, struct seal_cluster *c);

/* Their help, man page sections and completion (struct cli_spec, cli/cli.h). */
struct cli_spec;
extern const struct cli_spec keys_cmd_new_spec, keys_cmd_cert_spec, keys_cmd_backup_spec,
    keys_cmd_restore_spec;

#endif
