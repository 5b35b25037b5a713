/* gitseal decrypt: `gitseal sops decrypt` under a short name (Kubernetes Secrets and any SOPS
 * file). */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_sops.h"

static const char *const decrypt_only[] = {
	"extract",    "ignore-mac",  "in-place", "output", "filename-override",
	"input-type", "output-type", "config",   "indent", "help",
	NULL
};

const struct cli_spec cmd_decrypt_spec = {
	.name = "decrypt",
	.usage = "[--extract PATH] [options] [FILE]",
	.about = "`gitseal sops decrypt` under a short name: a Kubernetes Secret or any SOPS file "
	         "to stdout,\n"
	         "the MAC checked. Reads stdin without FILE (unless it is a terminal).",
	.opts = sops_cli_options,
	.only = decrypt_only,
	.args = "file",
	.more = "Identities: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, then\n"
	        "$XDG_CONFIG_HOME/sops/age/keys.txt. Exit codes are sops' (51: MAC mismatch, 128: "
	        "no key).",
};

int cmd_decrypt(int argc, char **argv)
{
	struct sops_opts o;
	int rc;
	memset(&o, 0, sizeof(o));
	if ((rc = sops_cli_parse(&o, argc, argv, &cmd_decrypt_spec)) >= 0)
		return rc;
	if (strcmp(o.verb, "edit") && strcmp(o.verb, "decrypt"))
		o.file = o.file ? o.file : o.verb;
	o.verb = "decrypt";
	if (!o.file && !isatty(0))
		o.file = "-";
	if ((rc = sops_cli_check(&o)) >= 0)
		return rc;
	return sops_cmd_decrypt(&o);
}
