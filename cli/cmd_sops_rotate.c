/* sops rotate FILE [--add-age R] [--rm-age R]: a fresh data key, comments and layout kept. */
#include <string.h>

#include "cli/cmd_sops.h"

int sops_cmd_rotate(const struct sops_opts *o)
{
	struct buf out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_keyspec spec = { 0 };
	struct sops_layout lay = SOPS_LAYOUT_INIT;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if ((rc = sops_cli_open(&f, o->file, in, key, &raw)) < 0)
		goto out;
	if ((rc = sops_keyspec_from_meta(&spec, &f.meta, o->add_age, o->rm_age)) < 0)
		goto out;
	lay.src = raw.p;
	lay.src_len = raw.len;
	lay.indent = o->indent;
	if ((rc = sops_file_rotate(&out, &f, key, &spec, outfmt, &lay, o->ignore_mac)) < 0)
		goto out;
	rc = sops_cli_write(o, o->file, &out);
out:
	gs_wipe(key, sizeof(key));
	buf_release(&raw);
	sops_keyspec_release(&spec);
	sops_file_release(&f);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}
