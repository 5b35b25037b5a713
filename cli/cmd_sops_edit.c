/*
 * sops edit FILE (and the bare `gitseal sops FILE`): the plaintext goes to $SOPS_EDITOR /
 * $EDITOR (else vim, nano, vi) in a tmpfs file; what comes back is encrypted with the same
 * data key, unchanged values keeping their ciphertext. A new FILE gets keys and rules as
 * `sops edit new.yaml` does.
 */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_sops.h"
#include "core/file.h"

static const char *find_editor(void)
{
	static const char *const names[] = { "vim", "nano", "vi", NULL };
	const char *e = getenv("SOPS_EDITOR");
	int i;
	if (e && *e)
		return e;
	if ((e = getenv("EDITOR")) && *e)
		return e;
	for (i = 0; names[i]; i++) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", names[i]);
		if (sops_cli_shell(cmd, NULL) == 0)
			return names[i];
	}
	return NULL;
}

int sops_cmd_edit(const struct sops_opts *o)
{
	struct buf before = BUF_INIT_SECRET(BUF_MAX_FILE), after = BUF_INIT_SECRET(BUF_MAX_FILE);
	struct buf out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f, nf;
	struct sops_stash *stash = NULL;
	struct sops_keyspec spec = { 0 };
	struct sops_layout lay = SOPS_LAYOUT_INIT;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	char dir[4200] = "", path[4400] = "", cmd[8192], *b = NULL;
	const char *editor;
	int rc, st, existing = file_exists(o->file);
	void (*old_int)(int);

	memset(&f, 0, sizeof(f));
	memset(&nf, 0, sizeof(nf));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if (existing) {
		if ((rc = sops_cli_open(&f, o->file, in, key, &raw)) < 0 ||
		    (rc = sops_stash_new(&stash, &f, key)) < 0 ||
		    (in == SOPS_FMT_YAML &&
		     (rc = sops_stash_comments(stash, &f, raw.p, raw.len, key)) < 0) ||
		    (rc = sops_file_decrypt(&f, key, o->ignore_mac)) < 0)
			goto out;
		lay.src = raw.p;
		lay.src_len = raw.len;
		lay.old_key = key;
		lay.indent = o->indent;
		if ((rc = sops_file_rewrite(&before, &f, in, 0, &lay)) < 0)
			goto out;
	} else {
		/* a new file: keys and rules from the flags or .sops.yaml, like `sops edit
		 * new.yaml` */
		if ((rc = sops_cli_encrypt_config(
		         o, o->filename_override ? o->filename_override : o->file, in, &spec,
		         &f.meta.rules, 1)) < 0)
			goto out;
		sops_data_key_new(key);
		if ((rc = sops_meta_set_keys(&f.meta, &spec, key)) < 0)
			goto out;
		/* sops starts a new file from its example for the format */
		if ((rc = sops_example(&before, in, o->indent)) < 0)
			goto out;
	}
	if (!(editor = find_editor())) {
		rc = gs_error(SOPS_ERR(GS_ENOTFOUND, SOPS_EXIT_NO_EDITOR),
		              "no editor available: sops attempts to use the editor defined in the "
		              "SOPS_EDITOR or EDITOR "
		              "environment variables, and if that's not set defaults to any of "
		              "vim, nano, vi, but none of "
		              "them could be found");
		goto out;
	}
	b = strdup(o->file);
	if ((rc = sops_cli_tmpfile(dir, sizeof(dir), path, sizeof(path),
	                           b ? basename(b) : "file")) < 0)
		goto out;
	if ((rc = file_write_atomic(path, before.p, before.len, 0600, 0)) < 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "%s \"$1\"", editor);
	old_int = signal(SIGINT, SIG_IGN); /* the editor gets ^C, we clean up afterwards */
	st = sops_cli_shell(cmd, path);
	signal(SIGINT, old_int);
	if (st != 0) {
		rc = gs_error(SOPS_ERR(GS_ERROR, SOPS_EXIT_NO_EDITOR),
		              "Could not run editor: exit status %d", st);
		goto out;
	}
	if ((rc = file_read(&after, path)) < 0)
		goto out;
	if (after.len == before.len && !gs_memcmp_ct(after.p, before.p, after.len)) {
		rc = gs_error(SOPS_ERR(GS_ECONFLICT, SOPS_EXIT_UNCHANGED),
		              "File has not changed, exiting.");
		goto out;
	}
	if ((rc = sops_file_load_plain(&nf, o->file, after.p, after.len, in)) < 0) {
		gs_error_prefix(
		    rc,
		    "Could not load tree, probably due to invalid syntax (the file is unchanged)");
		goto out;
	}
	nf.meta = f.meta; /* same data key, master keys and rules */
	memset(&f.meta, 0, sizeof(f.meta));
	lay.src = after.p;
	lay.src_len = after.len;
	lay.old_key = NULL;
	lay.stash = stash;
	lay.indent = o->indent;
	if ((rc = sops_file_seal(&out, &nf, key, in, &lay, 1)) < 0)
		goto out;
	rc = sops_cli_replace(o->file, &out);
out:
	sops_cli_tmp_cleanup(dir, path);
	free(b);
	gs_wipe(key, sizeof(key));
	sops_stash_free(stash);
	sops_keyspec_release(&spec);
	sops_file_release(&f);
	sops_file_release(&nf);
	buf_release(&raw);
	buf_release(&before);
	buf_release(&after);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}
