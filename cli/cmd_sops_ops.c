/* gitseal sops: edit, set/unset, updatekeys, groups, exec-env/exec-file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_sops.h"
#include "core/file.h"
#include "doc/doc.h"

/* --- plaintext temp files on tmpfs --- */

static char cleanup_dir[4096], cleanup_path[4096];

static void wipe_unlink(const char *path)
{
	{
		int fd = open(path, O_WRONLY | O_NOFOLLOW);
		struct stat st;
		if (fd >= 0) { /* overwrite before unlinking: tmpfs pages may be reused */
			if (fstat(fd, &st) == 0 && st.st_size > 0) {
				char zero[4096] = { 0 };
				off_t left = st.st_size;
				while (left > 0) {
					ssize_t w = write(fd, zero, left > (off_t)sizeof(zero) ? sizeof(zero) : (size_t)left);
					if (w <= 0)
						break;
					left -= w;
				}
				fsync(fd);
			}
			close(fd);
		}
		unlink(path);
	}
}

void sops_cli_tmp_cleanup(const char *dir, const char *path)
{
	DIR *d;
	struct dirent *e;
	char p[8192];
	if (path && path[0])
		wipe_unlink(path);
	if (!dir || !dir[0])
		return;
	/* editors leave swap and backup files next to the plaintext: wipe them too */
	if ((d = opendir(dir))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				wipe_unlink(p);
			}
		closedir(d);
	}
	rmdir(dir);
}

static void on_signal(int sig)
{
	sops_cli_tmp_cleanup(cleanup_dir, cleanup_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

int sops_cli_tmpfile(char *dir, size_t dirlen, char *path, size_t pathlen, const char *base)
{
	const char *roots[3], *r;
	struct stat st;
	int i, fd;
	roots[0] = "/dev/shm";
	roots[1] = getenv("XDG_RUNTIME_DIR");
	roots[2] = NULL;
	for (i = 0; i < 2; i++) {
		r = roots[i];
		if (!r || !*r || stat(r, &st) < 0 || !S_ISDIR(st.st_mode) || access(r, W_OK) < 0)
			continue;
		snprintf(dir, dirlen, "%s/gitseal-sops.XXXXXX", r);
		if (!mkdtemp(dir))
			continue;
		chmod(dir, 0700);
		snprintf(path, pathlen, "%s/%s", dir, base);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)) < 0) {
			rmdir(dir);
			continue;
		}
		close(fd);
		snprintf(cleanup_dir, sizeof(cleanup_dir), "%s", dir);
		snprintf(cleanup_path, sizeof(cleanup_path), "%s", path);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		return 0;
	}
	dir[0] = path[0] = 0;
	return gs_error(SOPS_ERR(GS_EIO, SOPS_EXIT_WRITE_OUTPUT), "Could not create temporary directory: no tmpfs (/dev/shm or $XDG_RUNTIME_DIR) to hold "
	                        "the plaintext");
}

/* Run `sh -c CMD "$@"` and return its exit status (128+signal when killed). */
static int run_shell(const char *cmd, const char *arg)
{
	pid_t pid = fork();
	int st;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		if (arg)
			execl("/bin/sh", "sh", "-c", cmd, "sh", arg, (char *)NULL);
		else
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

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
		if (run_shell(cmd, NULL) == 0)
			return names[i];
	}
	return NULL;
}

int sops_cli_edit(struct sops_opts *o)
{
	struct buf before = BUF_INIT_SECRET(BUF_MAX_FILE), after = BUF_INIT_SECRET(BUF_MAX_FILE);
	struct buf out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f, nf;
	struct sops_stash *stash = NULL;
	struct sops_keyspec spec = { 0 };
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
		if ((rc = sops_cli_open(&f, o, o->file, in, key, &raw)) < 0 || (rc = sops_stash_new(&stash, &f, key)) < 0 ||
		    (in == SOPS_FMT_YAML && (rc = sops_stash_comments(stash, &f, raw.p, raw.len, key)) < 0) ||
		    (rc = sops_file_decrypt(&f, key, o->ignore_mac)) < 0 ||
		    (rc = sops_cli_emit(&before, &f, in, 0, o->indent, &raw, key, NULL, NULL)) < 0)
			goto out;
	} else {
		/* a new file: keys and rules from the flags or .sops.yaml, like `sops edit new.yaml` */
		if ((rc = sops_cli_encrypt_config(o, o->filename_override ? o->filename_override : o->file, in, &spec,
		                                  &f.meta.rules, 1)) < 0)
			goto out;
		sops_data_key_new(key);
		if ((rc = sops_meta_set_keys(&f.meta, &spec, key)) < 0)
			goto out;
		if (in == SOPS_FMT_JSON)
			buf_adds(&before, "{}\n");
	}
	if (!(editor = find_editor())) {
		rc = gs_error(SOPS_ERR(GS_ENOTFOUND, SOPS_EXIT_NO_EDITOR), "no editor available: sops attempts to use the editor defined in the SOPS_EDITOR or "
		                            "EDITOR environment variables, and if that's not set defaults to any of vim, nano, vi, "
		                            "but none of them could be found");
		goto out;
	}
	b = strdup(o->file);
	if ((rc = sops_cli_tmpfile(dir, sizeof(dir), path, sizeof(path), b ? basename(b) : "file")) < 0)
		goto out;
	if ((rc = file_write_atomic(path, before.p, before.len, 0600, 0)) < 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "%s \"$1\"", editor);
	old_int = signal(SIGINT, SIG_IGN); /* the editor gets ^C, we clean up afterwards */
	st = run_shell(cmd, path);
	signal(SIGINT, old_int);
	if (st != 0) {
		rc = gs_error(SOPS_ERR(GS_ERROR, SOPS_EXIT_NO_EDITOR), "Could not run editor: exit status %d", st);
		goto out;
	}
	if ((rc = file_read(&after, path)) < 0)
		goto out;
	if (after.len == before.len && !gs_memcmp_ct(after.p, before.p, after.len)) {
		rc = gs_error(SOPS_ERR(GS_ECONFLICT, SOPS_EXIT_UNCHANGED), "File has not changed, exiting.");
		goto out;
	}
	if ((rc = sops_file_load_plain(&nf, o->file, after.p, after.len, in)) < 0) {
		gs_error_prefix(rc, "Could not load tree, probably due to invalid syntax (the file is unchanged)");
		goto out;
	}
	nf.meta = f.meta; /* same data key, master keys and rules */
	memset(&f.meta, 0, sizeof(f.meta));
	if ((rc = sops_cli_seal(&out, &nf, key, stash, in, o->indent, &after, 1, NULL)) < 0)
		goto out;
	rc = sops_error_exit(file_write_atomic(o->file, out.p, out.len, 0600, 1), SOPS_EXIT_WRITE_OUTPUT);
out:
	sops_cli_tmp_cleanup(dir, path);
	cleanup_dir[0] = cleanup_path[0] = 0;
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

/* Same kind and text? (set --idempotent) */
static int same_value(const struct doc *a, const struct doc *b)
{
	size_t la = 0, lb = 0;
	const char *ta, *tb;
	if (!a || !b || doc_kind(a) != doc_kind(b) || !doc_is_scalar(a))
		return 0;
	ta = doc_text(a, &la);
	tb = doc_text(b, &lb);
	return ta && tb && la == lb && !memcmp(ta, tb, la);
}

int sops_cli_set(struct sops_opts *o, int unset)
{
	struct buf val = BUF_INIT_SECRET(BUF_MAX_DEFAULT), out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_path p = { 0 };
	struct sops_stash *stash = NULL;
	struct doc *value = NULL, *cur = NULL;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc, need = unset || o->value_stdin || o->value_file ? 1 : 2;

	memset(&f, 0, sizeof(f));
	if (o->value_stdin && o->value_file) {
		fprintf(stderr, "Error: cannot use both --value-file and --value-stdin\n");
		return SOPS_EXIT_GENERIC;
	}
	if (o->nargs < need) {
		fprintf(stderr, unset ? "Error: no file specified, or index is missing\n"
		                      : "Error: no file specified, or index and value are missing. Need precisely 3 positional "
		                        "arguments.\n");
		return SOPS_EXIT_NO_FILE;
	}
	if (sops_path_parse(&p, o->args[0]) < 0) {
		fprintf(stderr, unset ? "Invalid unset index format\n" : "Invalid set index format\n");
		return SOPS_EXIT_INVALID_SET;
	}
	if (!unset) {
		if (o->value_stdin)
			rc = file_read(&val, "-");
		else if (o->value_file)
			rc = file_read(&val, o->value_file);
		else
			rc = buf_adds(&val, o->args[1]);
		if (rc < 0)
			goto out;
		if (doc_parse_one(&value, "value", val.p, val.len, DOC_PARSE_JSON | DOC_PARSE_SECRET) < 0) {
			rc = gs_error(SOPS_ERR(GS_EPARSE, SOPS_EXIT_INVALID_SET), "Value for --set is not valid JSON");
			goto out;
		}
	}
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if ((rc = sops_cli_open(&f, o, o->file, in, key, &raw)) < 0 || (rc = sops_stash_new(&stash, &f, key)) < 0 ||
	    (rc = sops_file_decrypt(&f, key, o->ignore_mac)) < 0)
		goto out;
	if (o->idempotent) {
		int found = sops_file_lookup(&f, &p, &cur) == 0;
		gs_error_clear();
		if (unset ? !found : same_value(cur, value)) {
			rc = 0;
			goto out; /* nothing to change: the file is not rewritten */
		}
	}
	if (unset)
		rc = sops_file_unset(&f, &p);
	else {
		rc = sops_file_set(&f, &p, value);
		value = NULL;
	}
	if (rc < 0)
		goto out;
	if ((rc = sops_cli_seal(&out, &f, key, stash, in, o->indent, &raw, 0, NULL)) < 0)
		goto out;
	rc = sops_error_exit(file_write_atomic(o->file, out.p, out.len, 0600, 1), SOPS_EXIT_WRITE_OUTPUT);
out:
	gs_wipe(key, sizeof(key));
	buf_release(&raw);
	doc_free(value);
	sops_stash_free(stash);
	sops_path_release(&p);
	sops_file_release(&f);
	buf_release(&val);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}

static int same_groups(const struct sops_meta *m, const struct sops_keyspec *s)
{
	size_t i, j, n;
	if (m->ngroups != s->ngroups)
		return 0;
	if (s->ngroups > 1 && (s->shamir_threshold ? s->shamir_threshold : (int)s->ngroups) != m->shamir_threshold)
		return 0;
	for (i = 0; i < s->ngroups; i++) {
		for (n = 0; s->groups[i][n]; n++) {
			for (j = 0; j < m->groups[i].nage; j++)
				if (!strcmp(m->groups[i].age[j].recipient, s->groups[i][n]))
					break;
			if (j == m->groups[i].nage)
				return 0;
		}
		if (n != m->groups[i].nage)
			return 0;
	}
	return 1;
}

static void print_changes(FILE *fp, const struct sops_meta *m, const struct sops_keyspec *s)
{
	size_t i, j, k;
	fprintf(fp, "The following changes will be made to the file's groups:\n");
	for (i = 0; i < (m->ngroups > s->ngroups ? m->ngroups : s->ngroups); i++) {
		fprintf(fp, "Group %zu\n", i + 1);
		for (j = 0; i < s->ngroups && s->groups[i][j]; j++) {
			int had = 0;
			for (k = 0; i < m->ngroups && k < m->groups[i].nage; k++)
				had |= !strcmp(m->groups[i].age[k].recipient, s->groups[i][j]);
			fprintf(fp, "    %s%s\n", had ? "" : "+++ ", s->groups[i][j]);
		}
		for (k = 0; i < m->ngroups && k < m->groups[i].nage; k++) {
			int keep = 0;
			for (j = 0; i < s->ngroups && s->groups[i][j]; j++)
				keep |= !strcmp(m->groups[i].age[k].recipient, s->groups[i][j]);
			if (!keep)
				fprintf(fp, "--- %s\n", m->groups[i].age[k].recipient);
		}
	}
}

int sops_cli_updatekeys(struct sops_opts *o)
{
	struct buf out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_config conf;
	struct sops_keyspec spec = { 0 };
	const struct sops_creation_rule *rule = NULL;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc, have = 0;
	size_t i;

	memset(&f, 0, sizeof(f));
	memset(&conf, 0, sizeof(conf));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if ((rc = sops_cli_load_config(o, &conf, &have)) < 0)
		goto out;
	if (!have) {
		rc = gs_error(SOPS_ERR(GS_ENOTFOUND, SOPS_EXIT_CONFIG_NOT_FOUND), "config file not found");
		goto out;
	}
	if ((rc = sops_config_match(&conf, o->file, &rule)) < 0)
		goto out;
	for (i = 0; i < rule->keys.ngroups; i++) {
		size_t j;
		struct buf csv = BUF_INIT(1 << 20);
		for (j = 0; rule->keys.groups[i][j]; j++)
			buf_addf(&csv, "%s%s", j ? "," : "", rule->keys.groups[i][j]);
		rc = sops_keyspec_add_group(&spec, csv.p);
		buf_release(&csv);
		if (rc < 0)
			goto out;
	}
	spec.shamir_threshold = o->shamir_threshold ? o->shamir_threshold : rule->keys.shamir_threshold;
	if ((rc = sops_cli_open(&f, o, o->file, in, key, &raw)) < 0)
		goto out;
	if (same_groups(&f.meta, &spec)) {
		fprintf(stderr, "File %s already up to date\n", o->file);
		goto out;
	}
	print_changes(stderr, &f.meta, &spec);
	if (!o->yes) {
		char ans[16] = "";
		FILE *tty = fopen("/dev/tty", "r");
		fprintf(stderr, "Is this okay? (y/n):");
		if (!fgets(ans, sizeof(ans), tty ? tty : stdin) || (ans[0] != 'y' && ans[0] != 'Y')) {
			if (tty)
				fclose(tty);
			rc = gs_error(GS_ERROR, "Exiting. User responded no");
			goto out;
		}
		if (tty)
			fclose(tty);
	}
	/* same data key: values and MAC stay as they are, only the key stanzas change */
	if ((rc = sops_meta_set_keys(&f.meta, &spec, key)) < 0) {
		rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_NO_DATA_KEY), "Could not re-encrypt data key");
		goto out;
	}
	if ((rc = sops_cli_emit(&out, &f, in, 1, o->indent, &raw, NULL, NULL, NULL)) < 0)
		goto out;
	if ((rc = file_write_atomic(o->file, out.p, out.len, 0600, 1)) < 0)
		rc = sops_error_exit(rc, SOPS_EXIT_WRITE_OUTPUT);
	else
		fprintf(stderr, "File %s synced with new keys\n", o->file);
out:
	gs_wipe(key, sizeof(key));
	buf_release(&raw);
	sops_keyspec_release(&spec);
	sops_config_release(&conf);
	sops_file_release(&f);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}

int sops_cli_groups(struct sops_opts *o)
{
	struct buf out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_keyspec spec = { 0 }, next = { 0 };
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc, add;
	size_t i, del = 0;

	memset(&f, 0, sizeof(f));
	if (o->nargs < 1 || (strcmp(o->args[0], "add") && strcmp(o->args[0], "delete"))) {
		fprintf(stderr, "usage: gitseal sops groups add --file FILE --age R1,R2 [--shamir-secret-sharing-threshold N]\n"
		                "       gitseal sops groups delete --file FILE INDEX\n");
		return 1;
	}
	add = !strcmp(o->args[0], "add");
	if (!o->file) {
		fprintf(stderr, "Error: no file specified\n");
		return SOPS_EXIT_NO_FILE;
	}
	if (add && !o->age) {
		fprintf(stderr, "Error: groups add needs --age\n");
		return 1;
	}
	if (!add) {
		if (o->nargs < 2) {
			fprintf(stderr, "error: exactly one positional argument (index) required\n");
			return 1;
		}
		del = strtoul(o->args[1], NULL, 10);
	}
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0 || (rc = sops_cli_open(&f, o, o->file, in, key, &raw)) < 0)
		goto out;
	if ((rc = sops_cli_spec_from_meta(&spec, &f.meta, NULL, NULL)) < 0)
		goto out;
	if (!add && del >= spec.ngroups) {
		rc = gs_error(GS_EINVAL, "%s: there is no key group %zu (the file has %zu)", o->file, del, spec.ngroups);
		goto out;
	}
	for (i = 0; i < spec.ngroups; i++) {
		struct buf csv = BUF_INIT(1 << 20);
		size_t j;
		if (!add && i == del)
			continue;
		for (j = 0; spec.groups[i][j]; j++)
			buf_addf(&csv, "%s%s", j ? "," : "", spec.groups[i][j]);
		rc = sops_keyspec_add_group(&next, csv.p);
		buf_release(&csv);
		if (rc < 0)
			goto out;
	}
	if (add && (rc = sops_keyspec_add_group(&next, o->age)) < 0)
		goto out;
	next.shamir_threshold = o->shamir_threshold ? o->shamir_threshold : f.meta.shamir_threshold;
	if (next.shamir_threshold > (int)next.ngroups)
		next.shamir_threshold = (int)next.ngroups;
	if ((rc = sops_meta_set_keys(&f.meta, &next, key)) < 0)
		goto out;
	if ((rc = sops_cli_emit(&out, &f, in, 1, o->indent, &raw, NULL, NULL, NULL)) < 0)
		goto out;
	rc = sops_error_exit(file_write_atomic(o->file, out.p, out.len, 0600, 1), SOPS_EXIT_WRITE_OUTPUT);
out:
	gs_wipe(key, sizeof(key));
	buf_release(&raw);
	sops_keyspec_release(&spec);
	sops_keyspec_release(&next);
	sops_file_release(&f);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}

int sops_cli_exec(struct sops_opts *o, int file_mode)
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
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0 || (rc = sops_cli_open(&f, o, o->file, in, key, NULL)) < 0 ||
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
				rc = gs_error(GS_EINVAL, "cannot use complex value in environment; offending key %s", k);
				goto out;
			}
			if (strchr(k, '=')) {
				rc = gs_error(GS_EINVAL, "cannot use keys with '=' in environment: %s", k);
				goto out;
			}
			setenv(k, doc_kind(v) == DOC_NULL ? "" : doc_text(v, NULL), 1);
		}
		st = run_shell(o->args[0], NULL);
		goto out;
	}
	if ((rc = sops_file_emit(&out, &f, outfmt, 0, o->indent)) < 0)
		goto out;
	if ((rc = sops_cli_tmpfile(dir, sizeof(dir), path, sizeof(path), o->exec_filename ? o->exec_filename : "tmp-file")) < 0 ||
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
	st = run_shell(cmd.p, NULL);
out:
	sops_cli_tmp_cleanup(dir, path);
	cleanup_dir[0] = cleanup_path[0] = 0;
	gs_wipe(key, sizeof(key));
	sops_file_release(&f);
	buf_release(&out);
	buf_release(&cmd);
	if (rc < 0)
		return sops_cli_fail(rc);
	return st < 0 ? 1 : st;
}
