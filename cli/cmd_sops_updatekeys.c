/*
 * sops updatekeys FILE: wrap the same data key for the recipients the matching
 * .sops.yaml creation rule names now (values and MAC stay); asks first unless -y.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cluster_rcpt.h"
#include "cli/cmd_sops.h"

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

/* "Is this okay? (y/n):" on the terminal (stdin without one); 1 for yes. */
static int confirm(void)
{
	char ans[16] = "";
	FILE *tty = fopen("/dev/tty", "r");
	int yes;
	fprintf(stderr, "Is this okay? (y/n):");
	yes = fgets(ans, sizeof(ans), tty ? tty : stdin) && (ans[0] == 'y' || ans[0] == 'Y');
	if (tty)
		fclose(tty);
	return yes;
}

int sops_cmd_updatekeys(const struct sops_opts *o)
{
	struct buf out = BUF_INIT(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_config conf;
	struct sops_keyspec spec = { 0 };
	struct sops_layout lay = SOPS_LAYOUT_INIT;
	const struct sops_creation_rule *rule = NULL;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc, have = 0;

	memset(&f, 0, sizeof(f));
	memset(&conf, 0, sizeof(conf));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if ((rc = sops_cli_config(o, &conf, &have)) < 0)
		goto out;
	if (!have) {
		rc = gs_error(SOPS_ERR(GS_ENOTFOUND, SOPS_EXIT_CONFIG_NOT_FOUND),
		              "config file not found");
		goto out;
	}
	if ((rc = sops_config_match(&conf, o->file, &rule)) < 0 ||
	    (rc = sops_keyspec_from_rule(&spec, rule)) < 0 ||
	    (rc = sops_keyspec_resolve(&spec, cli_cluster_recipient, NULL)) < 0) /* `cluster:` */
		goto out;
	if (o->enc.shamir_threshold)
		spec.shamir_threshold = o->enc.shamir_threshold;
	if ((rc = sops_cli_open(&f, o->file, in, key, &raw)) < 0)
		goto out;
	if (sops_keyspec_matches(&spec, &f.meta, 1)) {
		fprintf(stderr, "File %s already up to date\n", o->file);
		goto out;
	}
	print_changes(stderr, &f.meta, &spec);
	if (!o->yes && !confirm()) {
		rc = gs_error(GS_ERROR, "Exiting. User responded no");
		goto out;
	}
	lay.src = raw.p;
	lay.src_len = raw.len;
	lay.indent = o->indent;
	/* same data key: values and MAC stay as they are, only the key stanzas change */
	if ((rc = sops_meta_set_keys(&f.meta, &spec, key)) < 0) {
		rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_NO_DATA_KEY),
		                     "Could not re-encrypt data key");
		goto out;
	}
	if ((rc = sops_file_rewrite(&out, &f, in, 1, &lay)) < 0)
		goto out;
	if ((rc = sops_cli_replace(o->file, &out)) == 0)
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
