/* sops filestatus FILE: {"encrypted":true|false} (a file that does not parse is not encrypted). */
#include <stdio.h>

#include "cli/cmd_sops.h"

int sops_cmd_filestatus(const struct sops_opts *o)
{
	struct buf data = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	enum sops_format in, outfmt;
	int rc, enc = 0;

	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0 ||
	    (rc = sops_cli_read(&data, o->file)) < 0) {
		buf_release(&data);
		return sops_cli_fail(rc);
	}
	if (sops_file_load(&f, o->file, data.p, data.len, in) == 0) {
		enc = f.meta.version && f.meta.mac;
		sops_file_release(&f);
	}
	gs_error_clear();
	buf_release(&data);
	printf("{\"encrypted\":%s}\n", enc ? "true" : "false");
	return 0;
}
