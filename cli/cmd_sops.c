/*
 * gitseal sops: a stand-in for getsops/sops with age keys — same verbs, flags,
 * environment variables, messages and exit codes (51 MAC mismatch, 128 no data
 * key, 200 unchanged, 203 already encrypted, ...). Parses the flags, then runs the
 * verb's cmd_sops_<verb>.c; the decisions are the library's (sealer/sops/sops.h).
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_sops.h"

static int sops_cmd_version(const struct sops_opts *o)
{
	(void)o;
	return sops_cli_version();
}

static const struct sops_verb {
	const char *name;
	int (*fn)(const struct sops_opts *o);
	int on_file; /* sops' checks on FILE first (sops_cli_check) */
} verbs[] = {
	{ "encrypt", sops_cmd_encrypt, 1 },
	{ "decrypt", sops_cmd_decrypt, 1 },
	{ "edit", sops_cmd_edit, 1 },
	{ "rotate", sops_cmd_rotate, 1 },
	{ "updatekeys", sops_cmd_updatekeys, 1 },
	{ "set", sops_cmd_set, 1 },
	{ "unset", sops_cmd_unset, 1 },
	{ "filestatus", sops_cmd_filestatus, 1 },
	{ "exec-env", sops_cmd_exec_env, 1 },
	{ "exec-file", sops_cmd_exec_file, 1 },
	{ "groups", sops_cmd_groups, 0 }, /* --file FILE, checked there */
	{ "version", sops_cmd_version, 0 },
};

int cmd_sops(int argc, char **argv)
{
	struct sops_opts o;
	size_t i;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = sops_cli_parse(&o, argc, argv, &cmd_sops_spec)) >= 0)
		return rc;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(o.verb, verbs[i].name))
			continue;
		if (verbs[i].on_file && (rc = sops_cli_check(&o)) >= 0)
			return rc;
		return verbs[i].fn(&o);
	}
	fprintf(stderr, "gitseal sops: unknown command %s\n", o.verb);
	return 1;
}
