/*
 * gitseal sops: a stand-in for getsops/sops with age keys — same verbs, flags,
 * environment variables, messages and exit codes (51 MAC mismatch, 128 no data
 * key, 200 unchanged, 203 already encrypted, ...). Output files are written to a
 * temporary file in the same directory and renamed, so a failure leaves the
 * target untouched.
 */
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
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
#include "sealer/age/age.h"

static const char sops_usage[] =
	"usage: gitseal sops [options] encrypt|decrypt|edit|rotate|updatekeys|set|unset|filestatus|exec-env|exec-file|groups FILE\n"
	"       gitseal sops -e|-d|-r [options] FILE      (sops' legacy flags; bare FILE = edit)\n"
	"\n"
	"Reads and writes SOPS files (yaml, json, dotenv, ini, binary) with age keys, like sops 3.9.\n"
	"\n"
	"options:\n"
	"  -e, --encrypt / -d, --decrypt / -r, --rotate   the verb, sops 3.x style\n"
	"  -i, --in-place            write the result back to FILE (temp file + rename)\n"
	"      --output FILE         write the result to FILE\n"
	"      --age R1,R2           age recipients (default $SOPS_AGE_RECIPIENTS, else .sops.yaml)\n"
	"      --add-age R / --rm-age R    rotate: add or remove recipients\n"
	"      --encrypted-regex RE | --unencrypted-regex RE | --encrypted-suffix S | --unencrypted-suffix S\n"
	"      --mac-only-encrypted  the MAC covers encrypted values only\n"
	"      --shamir-secret-sharing-threshold N   key groups needed to recover the data key\n"
	"      --input-type, --output-type yaml|json|dotenv|ini|binary\n"
	"      --extract '[\"a\"][\"b\"]'  decrypt: print one value\n"
	"      --ignore-mac          decrypt even when the MAC does not match\n"
	"      --filename-override P  name used for .sops.yaml rules and the format (stdin input)\n"
	"      --config FILE         the .sops.yaml to use (default $SOPS_CONFIG, else found from the current directory up)\n"
	"      --indent N            output indentation\n"
	"      --value-stdin / --value-file F   set: read the JSON value there (argv is visible to other users)\n"
	"      --idempotent          set: do not write when the value is unchanged\n"
	"      --previous FILE       encrypt: keep the ciphertext of values unchanged since FILE (default under git\n"
	"                            with -i: the HEAD version of FILE; --no-previous to disable)\n"
	"  -y, --yes                 updatekeys: do not ask\n"
	"\n"
	"keys: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, $XDG_CONFIG_HOME/sops/age/keys.txt\n"
	"      (or ~/.config/sops/age/keys.txt)\n";

int sops_cli_fail(int rc)
{
	const char *m = gs_error_last();
	fprintf(stderr, "%s\n", m[0] ? m : "error");
	return sops_exit_code(rc);
}

int sops_cli_read(struct buf *out, const char *path)
{
	int rc = file_read(out, path);
	if (rc < 0) {
		return gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_READ_INPUT), "Error reading file");
	}
	return 0;
}

int sops_cli_formats(const struct sops_opts *o, enum sops_format *in, enum sops_format *out)
{
	const char *name = o->filename_override ? o->filename_override : o->file;
	int rc;
	*in = sops_format_for_path(name && strcmp(name, "-") ? name : "stdin.yaml");
	if (o->input_type && (rc = sops_format_parse(in, o->input_type)) < 0)
		return rc;
	*out = *in;
	if (o->output_type && (rc = sops_format_parse(out, o->output_type)) < 0)
		return rc;
	return 0;
}

int sops_cli_key(const struct sops_file *f, unsigned char key[SOPS_KEY_LEN])
{
	struct buf where = BUF_INIT(8192);
	struct age_identity *ids = NULL;
	int rc;

	if ((rc = sops_identities_load(&ids, &where)) < 0) {
		rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_NO_DATA_KEY), "Failed to get the data key required to decrypt the SOPS file");
	} else {
		rc = sops_meta_data_key(&f->meta, ids, where.p, key);
	}
	age_identities_free(ids);
	buf_release(&where);
	return rc;
}

int sops_cli_open(struct sops_file *f, const struct sops_opts *o, const char *path, enum sops_format fmt,
                  unsigned char key[SOPS_KEY_LEN], struct buf *raw)
{
	struct buf data = BUF_INIT(BUF_MAX_FILE);
	int rc;
	(void)o;

	memset(f, 0, sizeof(*f));
	if ((rc = sops_cli_read(&data, path)) < 0)
		goto out;
	if ((rc = sops_file_load(f, path, data.p, data.len, fmt)) < 0)
		goto out;
	rc = sops_cli_key(f, key);
out:
	if (rc < 0)
		sops_file_release(f);
	if (rc == 0 && raw) {
		*raw = data;
		return 0;
	}
	buf_release(&data);
	return rc;
}

int sops_cli_emit(struct buf *out, struct sops_file *f, enum sops_format fmt, int with_meta, int indent,
                  const struct buf *src, const unsigned char *old_key, const unsigned char *new_key, struct sops_stash *stash)
{
	int rc;
	if ((fmt == SOPS_FMT_YAML || fmt == SOPS_FMT_JSON) && f->fmt == fmt && src && src->len &&
	    (rc = sops_yaml_splice(out, f, src->p, src->len, with_meta, indent, old_key, new_key, stash)) != GS_EINVAL)
		return rc;
	/* a whole new emit drops the comments: with the comment rules they decide what is encrypted */
	if (fmt == SOPS_FMT_YAML && with_meta && f->meta.rules.kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX && src &&
	    memchr(src->p, '#', src->len))
		return gs_error(GS_EINVAL, "%s: this change cannot be made while keeping the file's comments, which %s "
		                "depends on; nothing was written", f->name, sops_rule_key(f->meta.rules.kind));
	if (fmt == SOPS_FMT_DOTENV && f->fmt == SOPS_FMT_DOTENV && src && src->len &&
	    (rc = sops_dotenv_splice(out, f, src->p, src->len, with_meta, old_key, new_key, stash)) != GS_EINVAL)
		return rc;
	return sops_file_emit(out, f, fmt, with_meta, indent);
}

int sops_cli_write(const struct sops_opts *o, const char *path, const struct buf *data)
{
	int rc;
	if (o->in_place && path && strcmp(path, "-"))
		rc = file_write_atomic(path, data->p, data->len, 0600, 1);
	else if (o->output)
		rc = file_write_atomic(o->output, data->p, data->len, 0600, 0);
	else
		rc = file_write_all(1, data->p, data->len, "stdout");
	if (rc < 0) {
		return gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_WRITE_OUTPUT), "Could not write output file");
	}
	return 0;
}

int sops_cli_seal(struct buf *out, struct sops_file *f, const unsigned char key[SOPS_KEY_LEN], struct sops_stash *stash,
                  enum sops_format fmt, int indent, const struct buf *src, int src_plain, const unsigned char *old_key)
{
	int rc;
	if (src && src->len) { /* the text f was parsed from: the comment rules read its comments */
		f->src = src->p;
		f->src_len = src->len;
	}
	rc = sops_file_encrypt(f, key, stash);
	if (rc < 0)
		return sops_error_exit_default(rc, SOPS_EXIT_ENCRYPTING_TREE);
	if ((rc = sops_cli_emit(out, f, fmt, 1, indent, src, old_key, src_plain || old_key ? key : NULL, stash)) < 0)
		gs_error_prefix(rc, "Could not marshal tree");
	return rc;
}

/* The config for this file (NULL with 0 when there is none, as sops does). */
int sops_cli_load_config(const struct sops_opts *o, struct sops_config *c, int *have)
{
	const char *path = o->config ? o->config : getenv("SOPS_CONFIG");
	char *found = NULL;
	int rc;
	*have = 0;
	if (!path || !*path) {
		if (sops_config_find(&found, ".") < 0) {
			gs_error_clear();
			return 0;
		}
		path = found;
	}
	rc = sops_config_load(c, path);
	free(found);
	if (rc < 0)
		return rc;
	*have = 1;
	return 0;
}

/* Keys and rules for a new file: flags first, then the matching creation rule (sops' getEncryptConfig). */
int sops_cli_encrypt_config(const struct sops_opts *o, const char *name, enum sops_format fmt, struct sops_keyspec *spec,
                            struct sops_rules *rules, int need_keys)
{
	struct sops_config conf;
	const struct sops_creation_rule *rule = NULL;
	enum sops_rule_kind kind = o->rule;
	const char *value = o->rule_value, *age = o->age;
	int have = 0, rc, mac_only = o->mac_only_encrypted, threshold = o->shamir_threshold;
	size_t i;

	memset(&conf, 0, sizeof(conf));
	if (!age && (age = getenv("SOPS_AGE_RECIPIENTS")) && !*age)
		age = NULL;
	if ((rc = sops_cli_load_config(o, &conf, &have)) < 0)
		return rc;
	if (have && conf.nrules) {
		if ((rc = sops_config_match(&conf, name, &rule)) < 0) {
			rc = sops_error_exit(rc, SOPS_EXIT_GENERIC);
			goto out;
		}
	}
	if (o->rule_count > 1) {
		rc = gs_error(SOPS_ERR(GS_EINVAL, SOPS_EXIT_CONFLICT), "Error: cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "
		              "unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file");
		goto out;
	}
	if (kind == SOPS_RULE_NONE && rule && rule->rule_kind != SOPS_RULE_NONE)
		kind = rule->rule_kind, value = rule->rule_value;
	if (kind == SOPS_RULE_NONE && o->default_regex)
		kind = SOPS_RULE_ENCRYPTED_REGEX, value = o->default_regex;
	if (rule && rule->mac_only_encrypted)
		mac_only = 1;
	if (fmt == SOPS_FMT_BINARY) /* one value that is always encrypted */
		kind = SOPS_RULE_NONE, mac_only = 0;
	else if (kind == SOPS_RULE_NONE)
		kind = SOPS_RULE_UNENCRYPTED_SUFFIX, value = "_unencrypted";
	if ((rc = sops_rules_set(rules, kind, value)) < 0) {
		rc = sops_error_exit(rc, SOPS_EXIT_GENERIC);
		goto out;
	}
	rules->mac_only_encrypted = mac_only;
	if (age) {
		if ((rc = sops_keyspec_add_group(spec, age)) < 0)
			goto out;
	} else if (rule) {
		for (i = 0; i < rule->keys.ngroups; i++) {
			size_t j;
			struct buf csv = BUF_INIT(1 << 20);
			for (j = 0; rule->keys.groups[i][j]; j++)
				buf_addf(&csv, "%s%s", j ? "," : "", rule->keys.groups[i][j]);
			rc = sops_keyspec_add_group(spec, csv.p);
			buf_release(&csv);
			if (rc < 0)
				goto out;
		}
		if (!threshold)
			threshold = rule->keys.shamir_threshold;
	}
	if (need_keys && (spec->ngroups == 0 || !spec->groups[0][0])) {
		rc = gs_error(GS_EINVAL, have ? "error loading config: the matching creation rule has no age keys"
		                              : "config file not found, or has no creation rules, and no keys provided through "
		                                "command line options");
		goto out;
	}
	spec->shamir_threshold = threshold;
	rc = 0;
out:
	sops_config_release(&conf);
	return rc;
}

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

/* Same recipients, group by group? (order inside a group does not matter) */
static int spec_matches(const struct sops_keyspec *spec, const struct sops_meta *m)
{
	size_t i, j, k, n;
	if (spec->ngroups != m->ngroups)
		return 0;
	for (i = 0; i < spec->ngroups; i++) {
		for (n = 0; spec->groups[i][n]; n++) {
			for (k = 0; k < m->groups[i].nage && strcmp(m->groups[i].age[k].recipient, spec->groups[i][n]); k++)
				;
			if (k == m->groups[i].nage)
				return 0;
		}
		for (j = 0; j < m->groups[i].nage; j++) {
			for (k = 0; k < n && strcmp(m->groups[i].age[j].recipient, spec->groups[i][k]); k++)
				;
			if (k == n)
				return 0;
		}
	}
	return 1;
}

static int do_encrypt(struct sops_opts *o)
{
	struct buf data = BUF_INIT_SECRET(BUF_MAX_FILE), prev = BUF_INIT(BUF_MAX_FILE), out = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f, pf;
	struct sops_keyspec spec = { 0 };
	struct sops_stash *stash = NULL;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	const char *name = o->filename_override ? o->filename_override : o->file;
	int rc, have_prev = 0;

	memset(&f, 0, sizeof(f));
	memset(&pf, 0, sizeof(pf));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if ((rc = sops_cli_read(&data, o->file)) < 0)
		goto out;
	if ((rc = sops_file_load_plain(&f, o->file, data.p, data.len, in)) < 0)
		goto out;
	/* an earlier encrypted version: reuse its data key, keys and unchanged ciphertexts */
	if (o->previous) {
		if ((rc = sops_cli_read(&prev, o->previous)) < 0)
			goto out;
		have_prev = 1;
	} else if (o->in_place && !o->no_git_previous && strcmp(o->file, "-") && git_head_version(&prev, o->file) == 0 &&
	           prev.len) {
		have_prev = 2;
	}
	if ((rc = sops_cli_encrypt_config(o, name, in, &spec, &f.meta.rules, have_prev != 1)) < 0)
		goto out;
	if (have_prev) {
		if ((rc = sops_file_load(&pf, o->previous ? o->previous : o->file, prev.p, prev.len, in)) < 0 ||
		    (rc = sops_cli_key(&pf, key)) < 0 || (rc = sops_stash_new(&stash, &pf, key)) < 0 ||
		    (in == SOPS_FMT_YAML && (rc = sops_stash_comments(stash, &pf, prev.p, prev.len, key)) < 0)) {
			if (have_prev == 1)
				goto out;
			gs_error_clear(); /* the HEAD version is only a hint */
			sops_file_release(&pf);
			have_prev = 0;
		}
	}
	if (have_prev == 2 && spec.ngroups && !spec_matches(&spec, &pf.meta)) {
		/* the committed version was encrypted for other keys: encrypt afresh for the ones asked for */
		sops_stash_free(stash);
		stash = NULL;
		sops_file_release(&pf);
		have_prev = 0;
	}
	if (have_prev) {
		/* keep the previous master keys and data key (a fresh `encrypt` may not change them silently) */
		struct sops_meta *m = &f.meta, *pm = &pf.meta;
		struct sops_rules keep = m->rules;
		memset(&m->rules, 0, sizeof(m->rules));
		sops_meta_release(m);
		*m = *pm;
		memset(pm, 0, sizeof(*pm));
		sops_rules_release(&m->rules);
		m->rules = keep;
	} else {
		sops_data_key_new(key);
		if ((rc = sops_meta_set_keys(&f.meta, &spec, key)) < 0) {
			rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_GENERIC), "Could not generate data key");
			goto out;
		}
	}
	/* a new file is laid out as sops writes it; one with comments (kept, encrypted as sops does)
	 * or with an earlier version keeps the source's layout, so Git diffs stay small */
	if ((rc = sops_cli_seal(&out, &f, key, stash, outfmt, o->indent,
	                        have_prev || memchr(data.p, '#', data.len) ? &data : NULL, 1, NULL)) < 0)
		goto out;
	rc = sops_cli_write(o, o->file, &out);
out:
	gs_wipe(key, sizeof(key));
	sops_stash_free(stash);
	sops_keyspec_release(&spec);
	sops_file_release(&f);
	sops_file_release(&pf);
	buf_release(&data);
	buf_release(&prev);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}

static int emit_extract(struct buf *out, struct doc *n, enum sops_format fmt, int indent)
{
	struct doc_emit_opts eo = { indent ? indent : 4, DOC_EMIT_SEQ_INDENT };
	size_t len = 0;
	const char *t;
	if (doc_kind(n) == DOC_STR) { /* a string is printed raw, as sops does */
		t = doc_text(n, &len);
		return buf_add(out, t, len);
	}
	if (doc_is_scalar(n)) {
		t = doc_kind(n) == DOC_NULL ? "null" : doc_text(n, &len);
		if (doc_kind(n) == DOC_NULL)
			len = 4;
		if (buf_add(out, t, len) < 0)
			return GS_ETOOBIG;
		return fmt == SOPS_FMT_YAML ? buf_addc(out, '\n') : 0;
	}
	if (fmt == SOPS_FMT_JSON) {
		eo.indent = indent ? indent : 4;
		eo.flags = 0;
		if (doc_emit_json(out, n, &eo) < 0)
			return GS_ERROR;
		return buf_addc(out, '\n');
	}
	return doc_emit_yaml(out, n, &eo);
}

static int do_decrypt(struct sops_opts *o)
{
	struct buf out = BUF_INIT_SECRET(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_path p = { 0 };
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if (o->extract && (rc = sops_path_parse(&p, o->extract)) < 0)
		goto out;
	if ((rc = sops_cli_open(&f, o, o->file, in, key, &raw)) < 0)
		goto out;
	if ((rc = sops_file_decrypt(&f, key, o->ignore_mac)) < 0)
		goto out;
	if (o->extract) {
		struct doc *n = NULL;
		if ((rc = sops_file_lookup(&f, &p, &n)) < 0 || (rc = emit_extract(&out, n, outfmt, o->indent)) < 0)
			goto out;
	} else if ((rc = sops_cli_emit(&out, &f, outfmt, 0, o->indent, memchr(raw.p, '#', raw.len) ? &raw : NULL, key,
	                               NULL, NULL)) < 0) {
		/* with comments, splice them back decrypted where they were; without, emit as sops does */
		gs_error_prefix(rc, "Error dumping file");
		goto out;
	}
	rc = sops_cli_write(o, o->file, &out);
out:
	gs_wipe(key, sizeof(key));
	buf_release(&raw);
	sops_path_release(&p);
	sops_file_release(&f);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}

/* The recipients of every group, for re-wrapping with a new key (rotate, groups). */
int sops_cli_spec_from_meta(struct sops_keyspec *spec, const struct sops_meta *m, const char *add, const char *rm)
{
	size_t i, j;
	int rc = 0;
	for (i = 0; i < m->ngroups && rc == 0; i++) {
		struct buf csv = BUF_INIT(1 << 20);
		for (j = 0; j < m->groups[i].nage; j++) {
			const char *r = m->groups[i].age[j].recipient;
			if (rm) { /* --rm-age takes a comma-separated list */
				const char *p = strstr(rm, r);
				size_t rl = strlen(r);
				if (p && (p == rm || p[-1] == ',' || p[-1] == ' ') && (p[rl] == 0 || p[rl] == ','))
					continue;
			}
			buf_addf(&csv, "%s%s", csv.len ? "," : "", r);
		}
		if (i == 0 && add) { /* each new recipient once */
			const char *p = add;
			while (*p) {
				const char *e = strchr(p, ',');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				char one[256];
				snprintf(one, sizeof(one), "%.*s", (int)n, p);
				if (n && !strstr(csv.p, one))
					buf_addf(&csv, "%s%s", csv.len ? "," : "", one);
				p += n + (e ? 1 : 0);
			}
		}
		rc = sops_keyspec_add_group(spec, csv.p);
		buf_release(&csv);
	}
	spec->shamir_threshold = m->shamir_threshold;
	return rc;
}

static int do_rotate(struct sops_opts *o)
{
	struct buf out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	unsigned char oldkey[SOPS_KEY_LEN];
	struct sops_file f;
	struct sops_keyspec spec = { 0 };
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if ((rc = sops_cli_open(&f, o, o->file, in, key, &raw)) < 0)
		goto out;
	memcpy(oldkey, key, sizeof(oldkey));
	if (sops_meta_has_foreign_keys(&f.meta)) {
		rc = gs_error(GS_EINVAL, "%s: cannot rotate the data key: the file also has pgp/kms/vault master keys, which "
		              "gitseal cannot re-wrap (rotate it with sops, or remove those keys first)", o->file);
		goto out;
	}
	if ((rc = sops_file_decrypt(&f, key, o->ignore_mac)) < 0)
		goto out;
	if ((rc = sops_cli_spec_from_meta(&spec, &f.meta, o->add_age, o->rm_age)) < 0)
		goto out;
	sops_data_key_new(key);
	if ((rc = sops_meta_set_keys(&f.meta, &spec, key)) < 0) {
		rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_GENERIC), "Could not generate data key");
		goto out;
	}
	if ((rc = sops_cli_seal(&out, &f, key, NULL, outfmt, o->indent, &raw, 0, oldkey)) < 0)
		goto out;
	rc = sops_cli_write(o, o->file, &out);
out:
	gs_wipe(key, sizeof(key));
	gs_wipe(oldkey, sizeof(oldkey));
	buf_release(&raw);
	sops_keyspec_release(&spec);
	sops_file_release(&f);
	buf_release(&out);
	return rc < 0 ? sops_cli_fail(rc) : 0;
}

static int do_filestatus(struct sops_opts *o)
{
	struct buf data = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	enum sops_format in, outfmt;
	int rc, enc = 0;

	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0 || (rc = sops_cli_read(&data, o->file)) < 0) {
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

int sops_cli_run(struct sops_opts *o)
{
	const char *v = o->verb;
	if (!o->file) {
		fprintf(stderr, "Error: no file specified\n");
		return SOPS_EXIT_NO_FILE;
	}
	if (o->in_place && o->output) {
		fprintf(stderr, "Error: cannot operate on both --output and --in-place\n");
		return SOPS_EXIT_CONFLICT;
	}
	if (!strcmp(o->file, "-") && o->in_place) {
		fprintf(stderr, "Error: cannot use --in-place when reading from stdin\n");
		return SOPS_EXIT_CONFLICT;
	}
	if (!strcmp(v, "encrypt") && !strcmp(o->file, "-") && !o->filename_override) {
		fprintf(stderr, "Error: must specify --filename-override when reading from stdin\n");
		return SOPS_EXIT_CONFLICT;
	}
	if (strcmp(o->file, "-") && strcmp(v, "edit") && strcmp(v, "filestatus") && !file_exists(o->file)) {
		fprintf(stderr, "Error: cannot operate on non-existent file \"%s\"\n", o->file);
		return SOPS_EXIT_NO_FILE;
	}
	if (!strcmp(v, "encrypt"))
		return do_encrypt(o);
	if (!strcmp(v, "decrypt"))
		return do_decrypt(o);
	if (!strcmp(v, "rotate"))
		return do_rotate(o);
	if (!strcmp(v, "filestatus"))
		return do_filestatus(o);
	if (!strcmp(v, "edit"))
		return sops_cli_edit(o);
	if (!strcmp(v, "set"))
		return sops_cli_set(o, 0);
	if (!strcmp(v, "unset"))
		return sops_cli_set(o, 1);
	if (!strcmp(v, "updatekeys"))
		return sops_cli_updatekeys(o);
	if (!strcmp(v, "exec-env"))
		return sops_cli_exec(o, 0);
	if (!strcmp(v, "exec-file"))
		return sops_cli_exec(o, 1);
	fprintf(stderr, "gitseal sops: unknown command %s\n", v);
	return 1;
}

enum {
	O_AGE = 256, O_ADD_AGE, O_RM_AGE, O_ENC_RE, O_UNENC_RE, O_ENC_SUF, O_UNENC_SUF, O_ENC_CRE, O_UNENC_CRE, O_MAC_ONLY,
	O_SHAMIR, O_IN_TYPE, O_OUT_TYPE, O_OUTPUT, O_EXTRACT, O_IGNORE_MAC, O_FNAME, O_CONFIG, O_INDENT, O_VALUE_STDIN,
	O_VALUE_FILE, O_IDEMPOTENT, O_PREVIOUS, O_NO_PREVIOUS, O_PRISTINE, O_FILENAME, O_IGNORED, O_FILE,
};

static const struct option sops_longopts[] = {
	{ "encrypt", no_argument, NULL, 'e' },
	{ "decrypt", no_argument, NULL, 'd' },
	{ "rotate", no_argument, NULL, 'r' },
	{ "in-place", no_argument, NULL, 'i' },
	{ "yes", no_argument, NULL, 'y' },
	{ "help", no_argument, NULL, 'h' },
	{ "age", required_argument, NULL, O_AGE },
	{ "add-age", required_argument, NULL, O_ADD_AGE },
	{ "rm-age", required_argument, NULL, O_RM_AGE },
	{ "encrypted-regex", required_argument, NULL, O_ENC_RE },
	{ "unencrypted-regex", required_argument, NULL, O_UNENC_RE },
	{ "encrypted-suffix", required_argument, NULL, O_ENC_SUF },
	{ "unencrypted-suffix", required_argument, NULL, O_UNENC_SUF },
	{ "encrypted-comment-regex", required_argument, NULL, O_ENC_CRE },
	{ "unencrypted-comment-regex", required_argument, NULL, O_UNENC_CRE },
	{ "mac-only-encrypted", no_argument, NULL, O_MAC_ONLY },
	{ "shamir-secret-sharing-threshold", required_argument, NULL, O_SHAMIR },
	{ "input-type", required_argument, NULL, O_IN_TYPE },
	{ "output-type", required_argument, NULL, O_OUT_TYPE },
	{ "output", required_argument, NULL, O_OUTPUT },
	{ "extract", required_argument, NULL, O_EXTRACT },
	{ "ignore-mac", no_argument, NULL, O_IGNORE_MAC },
	{ "filename-override", required_argument, NULL, O_FNAME },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "indent", required_argument, NULL, O_INDENT },
	{ "value-stdin", no_argument, NULL, O_VALUE_STDIN },
	{ "value-file", required_argument, NULL, O_VALUE_FILE },
	{ "idempotent", no_argument, NULL, O_IDEMPOTENT },
	{ "previous", required_argument, NULL, O_PREVIOUS },
	{ "no-previous", no_argument, NULL, O_NO_PREVIOUS },
	{ "pristine", no_argument, NULL, O_PRISTINE },
	{ "filename", required_argument, NULL, O_FILENAME },
	{ "file", required_argument, NULL, O_FILE },
	{ "no-fifo", no_argument, NULL, O_IGNORED },
	{ "verbose", no_argument, NULL, O_IGNORED },
	{ "disable-version-check", no_argument, NULL, O_IGNORED },
	{ "show-master-keys", no_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

static void set_rule(struct sops_opts *o, enum sops_rule_kind k, const char *v)
{
	if (!v || !*v)
		return;
	o->rule = k;
	o->rule_value = v;
	o->rule_count++;
}

static const char *const verbs[] = { "encrypt", "decrypt", "edit", "rotate", "updatekeys", "set", "unset", "filestatus",
	                             "exec-env", "exec-file", "groups", NULL };

/* Parse sops' flags into o (verb from -e/-d/-r or the first word); returns -1 to go on, else an exit code. */
int sops_cli_parse(struct sops_opts *o, int argc, char **argv)
{
	int c, i, first;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "edriyhs", sops_longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o->verb = "encrypt"; break;
		case 'd': o->verb = "decrypt"; break;
		case 'r': o->verb = "rotate"; break;
		case 'i': o->in_place = 1; break;
		case 'y': o->yes = 1; break;
		case 's': break;
		case 'h': fputs(sops_usage, stdout); return 0;
		case O_AGE: o->age = optarg; break;
		case O_ADD_AGE: o->add_age = optarg; break;
		case O_RM_AGE: o->rm_age = optarg; break;
		case O_ENC_RE: set_rule(o, SOPS_RULE_ENCRYPTED_REGEX, optarg); break;
		case O_UNENC_RE: set_rule(o, SOPS_RULE_UNENCRYPTED_REGEX, optarg); break;
		case O_ENC_SUF: set_rule(o, SOPS_RULE_ENCRYPTED_SUFFIX, optarg); break;
		case O_UNENC_SUF: set_rule(o, SOPS_RULE_UNENCRYPTED_SUFFIX, optarg); break;
		case O_ENC_CRE: set_rule(o, SOPS_RULE_ENCRYPTED_COMMENT_REGEX, optarg); break;
		case O_UNENC_CRE: set_rule(o, SOPS_RULE_UNENCRYPTED_COMMENT_REGEX, optarg); break;
		case O_MAC_ONLY: o->mac_only_encrypted = 1; break;
		case O_SHAMIR: o->shamir_threshold = atoi(optarg); break;
		case O_IN_TYPE: o->input_type = optarg; break;
		case O_OUT_TYPE: o->output_type = optarg; break;
		case O_OUTPUT: o->output = optarg; break;
		case O_EXTRACT: o->extract = optarg; break;
		case O_IGNORE_MAC: o->ignore_mac = 1; break;
		case O_FNAME: o->filename_override = optarg; break;
		case O_CONFIG: o->config = optarg; break;
		case O_INDENT: o->indent = atoi(optarg); break;
		case O_VALUE_STDIN: o->value_stdin = 1; break;
		case O_VALUE_FILE: o->value_file = optarg; break;
		case O_IDEMPOTENT: o->idempotent = 1; break;
		case O_PREVIOUS: o->previous = optarg; break;
		case O_NO_PREVIOUS: o->no_git_previous = 1; break;
		case O_PRISTINE: o->pristine = 1; break;
		case O_FILENAME: o->exec_filename = optarg; break;
		case O_FILE: o->file = optarg; break;
		case O_IGNORED: break;
		default:
			fprintf(stderr, "Incorrect Usage. flag provided but not defined: %s\n\n%s", argv[optind - 1], sops_usage);
			return 1;
		}
	}
	first = optind;
	if (!o->verb && first < argc)
		for (i = 0; verbs[i]; i++)
			if (!strcmp(argv[first], verbs[i])) {
				o->verb = verbs[i];
				first++;
				break;
			}
	if (!o->verb)
		o->verb = "edit";
	if (!strcmp(o->verb, "groups")) {
		o->args = argv + first;
		o->nargs = argc - first;
		return -1;
	}
	if (first < argc && !o->file)
		o->file = argv[first++];
	if (!o->file && (!strcmp(o->verb, "encrypt") || !strcmp(o->verb, "decrypt")))
		o->file = "-"; /* sops >= 3.10 reads stdin */
	o->args = argv + first;
	o->nargs = argc - first;
	return -1;
}

int cmd_sops(int argc, char **argv)
{
	struct sops_opts o;
	int rc;
	memset(&o, 0, sizeof(o));
	if ((rc = sops_cli_parse(&o, argc, argv)) >= 0)
		return rc;
	if (!strcmp(o.verb, "groups"))
		return sops_cli_groups(&o);
	return sops_cli_run(&o);
}
