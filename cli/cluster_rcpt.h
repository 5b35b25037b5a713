#ifndef GS_CLUSTER_RCPT_H
#define GS_CLUSTER_RCPT_H
/*
 * Age recipients of gitseal-controllers (cli/cluster_rcpt.c): the flags gitseal encrypt takes
 * for them, and the sops_cluster_fn that fetches "cluster:REF" recipients.
 */
#include <stdio.h>

#include "core/buf.h"
#include "sealer/sops/sops.h"

enum {
	CLI_CLUSTER_TO = 0x1000,
	CLI_CLUSTER_RCPT,
	CLI_CLUSTER_NS,
	CLI_CLUSTER_NAME,
	CLI_CLUSTER_KUBECONFIG,
};

struct cli_cluster_ref {
	const char *ref; /* a context, a URL, or (file) a file holding the recipient */
	int file;
};
struct cli_cluster {
	struct cli_cluster_ref *refs; /* --to-cluster and --cluster-recipient, in order */
	size_t nrefs;
	const char *kubeconfig; /* --kubeconfig */
	const char *ctl_ns;     /* --controller-namespace */
	const char *ctl_name;   /* --controller-name */
};
void cli_cluster_release(struct cli_cluster *c);
/* Take the options above out of argv (argv[0] kept; "--" ends them): -1 to go on, else an exit
 * code after a message. */
int cli_cluster_take_args(struct cli_cluster *c, int *argc, char **argv);
/* Their help lines. */
void cli_cluster_help(FILE *f);
/* sops_cluster_fn: ctx a struct cli_cluster (or NULL: the defaults). */
int cli_cluster_recipient(void *ctx, const char *ref, struct buf *out);
/* The recipients as sops' --age list: "cluster:REF" (a file as file://PATH). */
int cli_cluster_age_csv(struct buf *csv, const struct cli_cluster *c);

#endif
