/*
 * sops groups add --file FILE --age R1,R2 [--shamir-secret-sharing-threshold N]
 * sops groups delete --file FILE INDEX
 * The same data key is split again over the new groups; values and MAC stay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_sops.h"

int sops_cmd_groups(const struct sops_opts *o)
{
	struct buf out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_keyspec spec = { 0 };
	struct sops_layout lay = SOPS_LAYOUT_INIT;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc, add;
	size_t del = 0;

	memset(&f, 0, sizeof(f));
	if (o->nargs < 1 || (strcmp(o->args[0], "add") && strcmp(o->args[0], "delete"))) {
		fprintf(stderr, "usage: gitseal sops groups add --file FILE --age R1,R2 "
		                "[--shamir-secret-sharing-threshold N]\n"
		                "       gitseal sops groups delete --file FILE INDEX\n");
		return 1;
	}
	add = !strcmp(o->args[0], "add");
	if (!o->file) {
		fprintf(stderr, "Error: no file specified\n");
		return SOPS_EXIT_NO_FILE;
	}
	if (add && !o->enc.age) {
		fprintf(stderr, "Error: groups add needs --age\n");
		return 1;
	}
	if (!add) {
		if (o->nargs < 2) {
			fprintf(stderr,
			        "error: exactly one positional argument (index) required\n");
			return 1;
		}
		del = strtoul(o->args[1], NULL, 10);
	}
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0 ||
	    (rc = sops_cli_open(&f, o->file, in, key, &raw)) < 0)
		goto out;
	if ((rc = sops_keyspec_from_meta(&spec, &f.meta, NULL, NULL)) < 0)
		goto out;
	if (!add && del >= spec.ngroups) {
		rc = gs_error(GS_EINVAL, "%s: there is no key group %zu (the file has %zu)",
		              o->file, del, spec.ngroups);
		goto out;
	}
	if ((rc = add ? sops_keyspec_add_group(&spec, o->enc.age)
	              : sops_keyspec_remove_group(&spec, del)) < 0)
		goto out;
	if (o->enc.shamir_threshold)
		spec.shamir_threshold = o->enc.shamir_threshold;
	if (spec.shamir_threshold > (int)spec.ngroups)
		spec.shamir_threshold = (int)spec.ngroups;
	lay.src = raw.p;
	lay.src_len = raw.len;
	lay.indent = o->indent;
	if ((rc = sops_file_rewrap(&out, &f, key, &spec, in, &lay)) < 0)
		goto out;
	rc = sops_cli_replace(o->file, &out);
out:
	gs_wipe(key, sizeof(key));
	buf_release(&raw);
	sops_keyspec_release(&spec);
	sops_file_release(&f);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}
