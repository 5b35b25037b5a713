/*
 * gitseal encrypt: `gitseal sops encrypt` for Kubernetes Secrets. Only data and
 * stringData are encrypted by default (encrypted_regex ^(data|stringData)$), so
 * kind/metadata stay readable for kubectl, kustomize and Flux; a matching
 * .sops.yaml rule or an explicit --encrypted-regex/... flag wins.
 * --to-cluster CONTEXT / --cluster-recipient FILE|URL (cli/cluster_rcpt.c) encrypt to
 * gitseal-controllers' own age identities, like --age (they replace the rule's keys); the
 * Secret must then name its namespace.
 */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cluster_rcpt.h"
#include "cli/cmd_sops.h"

static const char *const encrypt_only[] = { "age",
	                                    "encrypted-regex",
	                                    "unencrypted-regex",
	                                    "encrypted-suffix",
	                                    "unencrypted-suffix",
	                                    "encrypted-comment-regex",
	                                    "unencrypted-comment-regex",
	                                    "mac-only-encrypted",
	                                    "shamir-secret-sharing-threshold",
	                                    "in-place",
	                                    "output",
	                                    "filename-override",
	                                    "previous",
	                                    "no-previous",
	                                    "input-type",
	                                    "output-type",
	                                    "config",
	                                    "indent",
	                                    "help",
	                                    NULL };

const struct cli_spec cmd_encrypt_spec = {
	.name = "encrypt",
	.usage = "[options] [FILE]\n[options] < secret.yaml",
	.about =
	    "`gitseal sops encrypt` for Kubernetes Secrets: only data and stringData are "
	    "encrypted\n"
	    "(encrypted_regex ^(data|stringData)$), so kind and metadata stay readable for "
	    "kubectl,\n"
	    "Kustomize and Flux; a matching .sops.yaml rule or an explicit rule flag wins. Reads\n"
	    "stdin (as YAML) without FILE. A document that is not a Secret is encrypted all the "
	    "same,\n"
	    "and a note says what was encrypted in it.",
	.opts = sops_cli_options,
	.only = encrypt_only,
	.args = "file",
	.more =
	    "Recipients: --age, SOPS_AGE_RECIPIENTS, or the .sops.yaml creation rule. Exit "
	    "codes are\n"
	    "sops' (203: the file is already encrypted).\n\n"
	    "Encrypting to clusters (gitseal-controller's age identity; the file must name its\n"
	    "namespace):\n"
	    "      --to-cluster CONTEXT    encrypt to the age recipient of gitseal-controller in\n"
	    "                              that kubeconfig context (repeatable)\n"
	    "      --cluster-recipient FILE|URL  the same from a file or a /v1/age-recipient URL,\n"
	    "                              offline (repeatable)\n"
	    "      --controller-namespace NS  the controller's namespace (default kube-system)\n"
	    "      --controller-name NAME  its service (default sealed-secrets-controller)\n"
	    "      --kubeconfig FILE       kubeconfig (default $KUBECONFIG, ~/.kube/config)",
};

int cmd_encrypt(int argc, char **argv)
{
	struct sops_opts o;
	struct cli_cluster cc;
	struct buf age = BUF_INIT(1 << 16);
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&cc, 0, sizeof(cc));
	if ((rc = cli_cluster_take_args(&cc, &argc, argv)) >= 0)
		goto out;
	if ((rc = sops_cli_parse(&o, argc, argv, &cmd_encrypt_spec)) >= 0)
		goto out;
	if (strcmp(o.verb, "edit") && strcmp(o.verb, "encrypt")) {
		/* "gitseal encrypt FILE" parses as the bare-file form; a verb here is a file name
		 */
		o.file = o.file ? o.file : o.verb;
	}
	o.verb = "encrypt";
	o.explain = 1;
	if (!o.file && !isatty(0))
		o.file = "-";
	/* `kubectl create secret ... -o yaml | gitseal encrypt`: stdin is a YAML manifest */
	if (o.file && !strcmp(o.file, "-") && !o.filename_override)
		o.filename_override = "stdin.yaml";
	o.enc.default_regex = "^(data|stringData)$";
	o.enc.cluster = cli_cluster_recipient;
	o.enc.cluster_ctx = &cc;
	if (cc.nrefs) {
		/* like --age: these recipients instead of the creation rule's */
		if ((o.enc.age && (buf_adds(&age, o.enc.age) < 0)) ||
		    cli_cluster_age_csv(&age, &cc) < 0) {
			rc = cli_die_last(NULL);
			goto out;
		}
		o.enc.age = age.p;
	}
	if ((rc = sops_cli_check(&o)) >= 0)
		goto out;
	rc = sops_cmd_encrypt(&o);
out:
	cli_cluster_release(&cc);
	buf_release(&age);
	return rc;
}
