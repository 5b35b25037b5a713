/*
 * Files in and out for the sops verbs, with sops' messages and exit codes (2 reading,
 * 3 writing). Output files are written to a temporary file in the same directory and
 * renamed, so a failure leaves the target untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cluster_rcpt.h"
#include "cli/cmd_sops.h"
#include "core/file.h"

int sops_cli_fail(int rc)
{
	const char *m = gs_error_last();
	fprintf(stderr, "%s\n", m[0] ? m : "error");
	return sops_exit_code(rc);
}

int sops_cli_read(struct buf *out, const char *path)
{
	int rc = file_read(out, path);
	if (rc < 0)
		return gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_READ_INPUT),
		                       "Error reading file");
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

int sops_cli_open(struct sops_file *f, const char *path, enum sops_format fmt,
                  unsigned char key[SOPS_KEY_LEN], struct buf *raw)
{
	struct buf data = BUF_INIT(BUF_MAX_FILE);
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = sops_cli_read(&data, path)) == 0)
		rc = sops_file_open(f, path, data.p, data.len, fmt, key);
	if (rc == 0 && raw) {
		*raw = data;
		return 0;
	}
	buf_release(&data);
	return rc;
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
	if (rc < 0)
		return gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_WRITE_OUTPUT),
		                       "Could not write output file");
	return 0;
}

int sops_cli_replace(const char *path, const struct buf *data)
{
	return sops_error_exit(file_write_atomic(path, data->p, data->len, 0600, 1),
	                       SOPS_EXIT_WRITE_OUTPUT);
}

int sops_cli_config(const struct sops_opts *o, struct sops_config *c, int *have)
{
	return sops_config_discover(c, have, o->config ? o->config : getenv("SOPS_CONFIG"), ".");
}

int sops_cli_encrypt_config(const struct sops_opts *o, const char *name, enum sops_format fmt,
                            struct sops_keyspec *spec, struct sops_rules *rules, int need_keys)
{
	struct sops_encrypt_opts eo = o->enc;
	struct sops_config conf;
	int rc, have = 0;

	if (!eo.age && (eo.age = getenv("SOPS_AGE_RECIPIENTS")) && !*eo.age)
		eo.age = NULL;
	if (!eo.cluster) /* `cluster:` in .sops.yaml: the kubeconfig's defaults */
		eo.cluster = cli_cluster_recipient;
	if ((rc = sops_cli_config(o, &conf, &have)) < 0)
		return rc;
	rc = sops_encrypt_config(spec, rules, &eo, have ? &conf : NULL, name, fmt, need_keys);
	sops_config_release(&conf);
	return rc;
}
