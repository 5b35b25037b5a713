/* gitseal decrypt: `gitseal sops decrypt` under a short name (Kubernetes Secrets and any SOPS
 * file). */
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_sops.h"

int cmd_decrypt(int argc, char **argv)
{
	struct sops_opts o;
	int rc;
	memset(&o, 0, sizeof(o));
	if ((rc = sops_cli_parse(&o, argc, argv)) >= 0)
		return rc;
	if (strcmp(o.verb, "edit") && strcmp(o.verb, "decrypt"))
		o.file = o.file ? o.file : o.verb;
	o.verb = "decrypt";
	if (!o.file)
		o.file = "-";
	if ((rc = sops_cli_check(&o)) >= 0)
		return rc;
	return sops_cmd_decrypt(&o);
}
