/*
 * The checks that need keys: a SOPS file opened with the age identities given
 * and its MAC verified over every document (what KSOPS and `sops -d` check,
 * and Flux does not), a SealedSecret trial-opened with the sealing keys (its
 * first item, each key once). The plaintext is wiped when freed; messages
 * never carry it, nor a MAC computed over it.
 */
#include <string.h>

#include "check/check_int.h"
#include "core/error.h"
#include "doc/doc.h"
#include "keys/keys.h"
#include "sealer/sealed/sealed.h"

static void recipients(struct buf *b, const struct sops_meta *m)
{
	size_t g, j, n = 0;
	for (g = 0; g < m->ngroups; g++)
		for (j = 0; j < m->groups[g].nage; j++)
			buf_addf(b, "%s%s", n++ ? ", " : "", m->groups[g].age[j].recipient);
	if (!n)
		buf_adds(b, "no age recipient");
}

int check__sops_keys(struct check_ctx *c, struct check_report *r, const char *name,
                     const char *data, size_t len, enum sops_format fmt, unsigned line)
{
	struct buf who = BUF_INIT(1 << 16);
	struct sops_file f;
	unsigned char key[SOPS_KEY_LEN];
	int rc = 0, e;

	if (!c->opts->sops_ids)
		return 0;
	memset(&f, 0, sizeof(f));
	/* a file sops cannot load: the structure checks (no key needed) say why */
	if (sops_file_load(&f, name, data, len, fmt) < 0)
		goto out;
	if (sops_meta_data_key(&f.meta, c->opts->sops_ids,
	                       c->opts->sops_where ? c->opts->sops_where : "", key) < 0) {
		recipients(&who, &f.meta);
		rc = check__add(r, INSPECT_SOPS_NO_KEY, name, line, 0,
		                "none of the age identities given (%s) opens this SOPS file (its "
		                "recipients: %s)",
		                c->opts->sops_where ? c->opts->sops_where : "SOPS_AGE_KEY", who.p);
		goto out;
	}
	if ((e = sops_file_decrypt(&f, key, 0)) < 0) {
		if (sops_exit_code(e) == SOPS_EXIT_MAC_MISMATCH)
			rc = check__add(
			    r, INSPECT_SOPS_MAC_MISMATCH, name, line, 0,
			    "the MAC does not match the values: the file was edited without sops "
			    "(or values "
			    "moved between files); re-encrypt it with gitseal sops edit");
		else
			rc = check__add(r, INSPECT_SOPS_MAC_MISMATCH, name, line, 0,
			                "a value does not decrypt under its key path (edited by "
			                "hand, or moved): %s",
			                sops_exit_code(e) == SOPS_EXIT_DECRYPTING_TREE
			                    ? "its GCM tag does not verify"
			                    : "the file is damaged");
	}
out:
	gs_wipe(key, sizeof(key));
	gs_error_clear();
	sops_file_release(&f);
	buf_release(&who);
	return rc;
}

int check__sealed_keys(struct check_ctx *c, struct check_report *r, const char *name,
                       const struct doc *ss)
{
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct buf label = BUF_INIT(4096);
	enum sealed_scope scope;
	const char *ns = doc_k8s_namespace(ss), *n = doc_k8s_name(ss);
	int rc = 0, e;

	if (!c->opts->sealing || !sealed_is_sealedsecret(ss))
		return 0;
	if ((e = sealed_probe(ss, &c->opts->sealing->set, &uo)) == 0)
		return 0;
	scope = sealed_scope_of(ss);
	sealed_label(&label, scope, ns, n);
	if (e == GS_EAUTH)
		rc = check__add(
		    r, INSPECT_SEALED_NO_KEY, name, doc_line(ss), doc_start(ss).col,
		    "SealedSecret %s%s%s does not open with any of the %zu key%s given (%s scope, "
		    "label '%s'): "
		    "sealed for another cluster, or renamed or moved since (re-seal it)",
		    ns ? ns : "", ns ? "/" : "", n ? n : "(no name)", c->opts->sealing->set.n,
		    c->opts->sealing->set.n == 1 ? "" : "s", sealed_scope_name(scope), label.p);
	else
		rc = check__add(r, INSPECT_SEALED_NO_KEY, name, doc_line(ss), doc_start(ss).col,
		                "SealedSecret %s%s%s: %s", ns ? ns : "", ns ? "/" : "",
		                n ? n : "(no name)", gs_error_last());
	gs_error_clear();
	buf_release(&label);
	return rc;
}
