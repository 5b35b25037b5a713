/*
 * gitseal encrypt: `gitseal sops encrypt` for Kubernetes Secrets. Only data and
 * stringData are encrypted by default (encrypted_regex ^(data|stringData)$), so
 * kind/metadata stay readable for kubectl, kustomize and Flux; a matching
 * .sops.yaml rule or an explicit --encrypted-regex/... flag wins.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_sops.h"

int cmd_encrypt(int argc, char **argv)
{
	struct sops_opts o;
	int rc;
	memset(&o, 0, sizeof(o));
	if ((rc = sops_cli_parse(&o, argc, argv)) >= 0)
		return rc;
	if (strcmp(o.verb, "edit") && strcmp(o.verb, "encrypt")) {
		/* "gitseal encrypt FILE" parses as the bare-file form; a verb here is a file name
		 */
		o.file = o.file ? o.file : o.verb;
	}
	o.verb = "encrypt";
	if (!o.file)
		o.file = "-";
	/* `kubectl create secret ... -o yaml | gitseal encrypt`: stdin is a YAML manifest */
	if (!strcmp(o.file, "-") && !o.filename_override)
		o.filename_override = "stdin.yaml";
	o.enc.default_regex = "^(data|stringData)$";
	if ((rc = sops_cli_check(&o)) >= 0)
		return rc;
	return sops_cmd_encrypt(&o);
}
