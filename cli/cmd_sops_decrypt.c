/* sops decrypt FILE [--extract PATH]: comments kept (decrypted) where the file had them. */
#include <string.h>

#include "cli/cmd_sops.h"
#include "doc/doc.h"

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

int sops_cmd_decrypt(const struct sops_opts *o)
{
	struct buf out = BUF_INIT_SECRET(BUF_MAX_FILE), raw = BUF_INIT(BUF_MAX_FILE);
	struct sops_file f;
	struct sops_path p = { 0 };
	struct sops_layout lay = SOPS_LAYOUT_INIT;
	unsigned char key[SOPS_KEY_LEN];
	enum sops_format in, outfmt;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = sops_cli_formats(o, &in, &outfmt)) < 0)
		goto out;
	if (o->extract && (rc = sops_path_parse(&p, o->extract)) < 0)
		goto out;
	if ((rc = sops_cli_open(&f, o->file, in, key, &raw)) < 0)
		goto out;
	if ((rc = sops_file_decrypt(&f, key, o->ignore_mac)) < 0)
		goto out;
	if (o->extract) {
		struct doc *n = NULL;
		if ((rc = sops_file_lookup(&f, &p, &n)) < 0 ||
		    (rc = emit_extract(&out, n, outfmt, o->indent)) < 0)
			goto out;
	} else {
		/* with comments, splice them back decrypted where they were; without, emit as sops
		 * does */
		if (memchr(raw.p, '#', raw.len)) {
			lay.src = raw.p;
			lay.src_len = raw.len;
		}
		lay.old_key = key;
		lay.indent = o->indent;
		if ((rc = sops_file_rewrite(&out, &f, outfmt, 0, &lay)) < 0) {
			gs_error_prefix(rc, "Error dumping file");
			goto out;
		}
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
