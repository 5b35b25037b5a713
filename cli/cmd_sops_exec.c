/*
 * sops exec-env FILE CMD: CMD runs with the file's top-level values in its environment.
 * sops exec-file FILE CMD: CMD runs with '{}' replaced by a tmpfs file holding the
 * plaintext (--filename NAME), wiped afterwards. The exit status is CMD's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_sops.h"
#include "core/file.h"
#include "doc/doc.h"

static int run(const struct sops_opts *o, int file_mode)
{
	struct buf out = BUF_INIT_SECRET(BUF_MAX_FILE), cmd = BUF_INIT_SECRET(1 << 20);
	struct sops_file f;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	char dir[4200] = "", path[4400] = "";
	int rc, st = 0;
	size_t i;

	memset(&f, 0, sizeof(f));
	if (o->nargs < 1) {
		fprintf(stderr, "error: missing command to run\n");
		return SOPS_EXIT_GENERIC;
	}
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0 ||
	    (rc = sops_cli_open(&f, o->file, in, key, NULL)) < 0 ||
	    (rc = sops_file_decrypt(&f, key, o->ignore_mac)) < 0)
		goto out;
	if (!file_mode) {
		const struct doc *root = f.ndocs ? f.docs[0] : NULL;
		if (o->pristine)
			clearenv();
		for (i = 0; i < doc_len(root); i++) {
			const struct doc *v = doc_val_at(root, i);
			const char *k = doc_text(doc_key_at(root, i), NULL);
			if (!doc_is_scalar(v)) {
				rc = gs_error(
				    GS_EINVAL,
				    "cannot use complex value in environment; offending key %s", k);
				goto out;
			}
			if (strchr(k, '=')) {
				rc = gs_error(GS_EINVAL,
				              "cannot use keys with '=' in environment: %s", k);
				goto out;
			}
			setenv(k, doc_kind(v) == DOC_NULL ? "" : doc_text(v, NULL), 1);
		}
		st = sops_cli_shell(o->args[0], NULL);
		goto out;
	}
	if ((rc = sops_file_emit(&out, &f, outfmt, 0, o->indent)) < 0)
		goto out;
	if ((rc = sops_cli_tmpfile(dir, sizeof(dir), path, sizeof(path),
	                           o->exec_filename ? o->exec_filename : "tmp-file")) < 0 ||
	    (rc = file_write_atomic(path, out.p, out.len, 0600, 0)) < 0)
		goto out;
	{ /* '{}' is the plaintext file, as in sops */
		const char *c = o->args[0], *q;
		while ((q = strstr(c, "{}"))) {
			buf_add(&cmd, c, (size_t)(q - c));
			buf_adds(&cmd, path);
			c = q + 2;
		}
		buf_adds(&cmd, c);
	}
	st = sops_cli_shell(cmd.p, NULL);
out:
	sops_cli_tmp_cleanup(dir, path);
	gs_wipe(key, sizeof(key));
	sops_file_release(&f);
	buf_release(&out);
	buf_release(&cmd);
	if (rc < 0)
		return sops_cli_fail(rc);
	return st < 0 ? 1 : st;
}

int sops_cmd_exec_env(const struct sops_opts *o)
{
	return run(o, 0);
}

int sops_cmd_exec_file(const struct sops_opts *o)
{
	return run(o, 1);
}
