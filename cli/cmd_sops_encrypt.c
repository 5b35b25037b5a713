/*
 * sops encrypt FILE: keys and rules from the flags and .sops.yaml (sops_encrypt_config),
 * then sops_encrypt(). With -i under git, HEAD's version of FILE is used as the previous
 * version (unchanged values keep their ciphertext, so Git diffs stay small).
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd_sops.h"
#include "doc/doc.h"

/* Run argv, capturing stdout (for `git show`): 0 on exit 0. */
static int run_capture(struct buf *out, const char *const argv[])
{
	int fd[2], st;
	pid_t pid;
	char chunk[8192];
	ssize_t n;
	if (pipe(fd) < 0)
		return GS_EIO;
	if ((pid = fork()) < 0) {
		close(fd[0]);
		close(fd[1]);
		return GS_EIO;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(fd[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(fd[0]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	while ((n = read(fd[0], chunk, sizeof(chunk))) > 0)
		if (buf_add(out, chunk, (size_t)n) < 0)
			break;
	close(fd[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return GS_ENOTFOUND;
	return 0;
}

/* The committed version of an in-place file, if it is an encrypted file under git. */
static int git_head_version(struct buf *out, const char *path)
{
	char *d = strdup(path), *b = strdup(path), spec[4200];
	int rc = GS_ENOTFOUND;
	if (d && b) {
		const char *argv[] = { "git", "-C", dirname(d), "show", spec, NULL };
		snprintf(spec, sizeof(spec), "HEAD:./%s", basename(b));
		rc = run_capture(out, argv);
	}
	free(d);
	free(b);
	return rc;
}

/* gitseal encrypt of a document that is not a Secret: say what its rule encrypted in it. */
static void explain(const struct sops_file *f, const char *name)
{
	const char *rule = sops_rule_key(f->meta.rules.kind),
	           *value = f->meta.rules.value ? f->meta.rules.value : "";
	size_t i, n;
	if (f->fmt != SOPS_FMT_YAML && f->fmt != SOPS_FMT_JSON)
		return;
	for (i = 0; i < f->ndocs; i++) {
		const char *kind = doc_k8s_kind(f->docs[i]), *obj = doc_k8s_name(f->docs[i]);
		if (doc_kind(f->docs[i]) != DOC_MAP || (kind && !strcmp(kind, "Secret")))
			continue;
		if (sops_file_selected(f, i, &n) < 0) {
			gs_error_clear();
			continue;
		}
		if (n)
			fprintf(stderr,
			        "note: %s: %s%s%s is not a Secret: its %zu value%s matching %s "
			        "'%s' %s encrypted\n",
			        name, kind ? kind : "a document without a kind", obj ? " " : "",
			        obj ? obj : "", n, n == 1 ? "" : "s", rule, value,
			        n == 1 ? "is" : "are");
		else
			fprintf(stderr,
			        "warning: %s: %s%s%s is not a Secret and no value matches %s '%s': "
			        "nothing in it "
			        "is encrypted (gitseal sops encrypt encrypts every value)\n",
			        name, kind ? kind : "a document without a kind", obj ? " " : "",
			        obj ? obj : "", rule, value);
	}
}

int sops_cmd_encrypt(const struct sops_opts *o)
{
	struct buf data = BUF_INIT_SECRET(BUF_MAX_FILE), prev = BUF_INIT(BUF_MAX_FILE),
	           out = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_keyspec spec = { 0 };
	struct sops_previous pv = { NULL, NULL, 0, 0 };
	enum sops_format in, outfmt;
	const char *name = o->filename_override ? o->filename_override : o->file;
	int rc, have_prev = 0;

	memset(&f, 0, sizeof(f));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if ((rc = sops_cli_read(&data, o->file)) < 0)
		goto out;
	if ((rc = sops_file_load_plain(&f, o->file, data.p, data.len, in)) < 0)
		goto out;
	/* an earlier encrypted version: --previous FILE, or HEAD's under git with -i (a hint) */
	if (o->previous) {
		if ((rc = sops_cli_read(&prev, o->previous)) < 0)
			goto out;
		have_prev = 1;
	} else if (o->in_place && !o->no_git_previous && strcmp(o->file, "-") &&
	           git_head_version(&prev, o->file) == 0 && prev.len) {
		have_prev = 2;
	}
	if ((rc = sops_cli_encrypt_config(o, name, in, &spec, &f.meta.rules, have_prev != 1)) < 0)
		goto out;
	if (o->explain)
		explain(&f, strcmp(o->file, "-") ? o->file : "stdin");
	if (have_prev) {
		pv.name = o->previous ? o->previous : o->file;
		pv.data = prev.p;
		pv.len = prev.len;
		pv.hint = have_prev == 2;
	}
	if ((rc = sops_encrypt(&out, &f, data.p, data.len, &spec, have_prev ? &pv : NULL, outfmt,
	                       o->indent)) < 0)
		goto out;
	rc = sops_cli_write(o, o->file, &out);
out:
	sops_keyspec_release(&spec);
	sops_file_release(&f);
	buf_release(&data);
	buf_release(&prev);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}
