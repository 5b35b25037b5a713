/*
 * sops set FILE INDEX VALUE | --value-stdin | --value-file F, and sops unset FILE INDEX:
 * change one value in place; the others keep their ciphertext, the layout stays.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_sops.h"
#include "core/file.h"
#include "doc/doc.h"

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

static int set_or_unset(const struct sops_opts *o, int unset)
{
	struct buf val = BUF_INIT_SECRET(BUF_MAX_DEFAULT), out = BUF_INIT(BUF_MAX_FILE),
	           raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_path p = { 0 };
	struct sops_stash *stash = NULL;
	struct sops_layout lay = SOPS_LAYOUT_INIT;
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
		                      : "Error: no file specified, or index and value are missing. "
		                        "Need precisely 3 positional "
		                        "arguments.\n");
		return SOPS_EXIT_NO_FILE;
	}
	if (sops_path_parse(&p, o->args[0]) < 0) {
		fprintf(stderr,
		        unset ? "Invalid unset index format\n" : "Invalid set index format\n");
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
		if (doc_parse_one(&value, "value", val.p, val.len,
		                  DOC_PARSE_JSON | DOC_PARSE_SECRET) < 0) {
			/* the parser's reason (a place and what it expected, never the text) */
			rc = gs_error_prefix(SOPS_ERR(GS_EPARSE, SOPS_EXIT_INVALID_SET),
			                     "Value for --set is not valid JSON");
			goto out;
		}
	}
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if ((rc = sops_cli_open(&f, o->file, in, key, &raw)) < 0 ||
	    (rc = sops_stash_new(&stash, &f, key)) < 0 ||
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
	lay.src = raw.p;
	lay.src_len = raw.len;
	lay.stash = stash;
	lay.indent = o->indent;
	if ((rc = sops_file_seal(&out, &f, key, in, &lay, 0)) < 0)
		goto out;
	rc = sops_cli_replace(o->file, &out);
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

int sops_cmd_set(const struct sops_opts *o)
{
	return set_or_unset(o, 0);
}

int sops_cmd_unset(const struct sops_opts *o)
{
	return set_or_unset(o, 1);
}
