/*
 * gitseal reseal: re-encrypt SealedSecret files in place for a new
 * certificate (kubeseal --re-encrypt, offline). Each value is replaced in the
 * file's own bytes (same quoting), so the rest of the file - comments, key
 * order, other documents, YAML or JSON - stays as it was and the git diff
 * shows only the values. Scope: each SealedSecret's own.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_seal.h"
#include "core/file.h"

enum { O_EXPIRED = 256 };

static const struct cli_opt reseal_options[] = {
	{ "key", 'k', required_argument, "OLD_KEY",
	  "the private key(s) the files open with (repeatable)", CLI_OPT_REQUIRED },
	{ "identity", 'i', required_argument, "IDENTITY", "age identity of an encrypted key file" },
	{ "cert", 'c', required_argument, "NEW_CERT", "the certificate to seal for (file or URL)",
	  CLI_OPT_REQUIRED },
	{ "allow-expired-cert", O_EXPIRED, no_argument, NULL, "seal for an expired certificate" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_reseal_spec = {
	.name = "reseal",
	.usage = "--key OLD_KEY [--key OLD_KEY...] [-i IDENTITY] --cert NEW_CERT "
	         "[--allow-expired-cert] FILE...",
	.about = "Re-encrypt every SealedSecret in the files for the NEW_CERT certificate, in "
	         "place (kubeseal\n"
	         "--re-encrypt, offline). Only the values change: comments, key order, other "
	         "documents and\n"
	         "the file's YAML or JSON stay as they were.",
	.opts = reseal_options,
	.args = "file",
};

struct span {
	size_t start, end;
	struct doc *node;
	enum doc_style style;
};

/* Where the encryptedData values are in the file's bytes; 0 if they can be replaced in place. */
static int collect(struct span **spans, size_t *n, size_t *cap, struct doc *d,
                   const struct buf *text)
{
	struct doc *enc = doc_getp(d, "spec", "encryptedData", NULL);
	size_t i;
	for (i = 0; i < doc_len(enc); i++) {
		struct doc *v = doc_val_at(enc, i);
		struct span sp;
		sp.node = v;
		sp.start = doc_start(v).offset;
		sp.end = doc_end(v).offset;
		sp.style = doc_style(v);
		if (sp.end <= sp.start || sp.end > text->len ||
		    (sp.style != DOC_STYLE_PLAIN && sp.style != DOC_STYLE_DOUBLE &&
		     sp.style != DOC_STYLE_SINGLE) ||
		    (sp.style == DOC_STYLE_DOUBLE &&
		     (text->p[sp.start] != '"' || text->p[sp.end - 1] != '"')) ||
		    (sp.style == DOC_STYLE_SINGLE &&
		     (text->p[sp.start] != '\'' || text->p[sp.end - 1] != '\'')))
			return 1;
		if (*n == *cap) {
			struct span *t =
			    realloc(*spans, (*cap = *cap ? 2 * *cap : 64) * sizeof(*t));
			if (!t)
				return gs_error(GS_ENOMEM, "out of memory");
			*spans = t;
		}
		(*spans)[(*n)++] = sp;
	}
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int reseal_file(const char *path, struct keys_ring *ring, const struct sealed_pubkey *pk)
{
	struct doc_stream s = DOC_STREAM_INIT;
	struct buf text = BUF_INIT(BUF_MAX_FILE), out = BUF_INIT(BUF_MAX_FILE);
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct span *spans = NULL;
	size_t nspans = 0, cap = 0, i, pos = 0, nss = 0;
	int rc, json, reemit = 0;

	if ((rc = seal_cli_read_docs(&s, &text, path, 0, &json)) < 0)
		goto out;
	reemit = json == 2; /* concatenated JSON values: offsets are per value */
	for (i = 0; i < s.n; i++) {
		if (!s.docs[i] || !sealed_is_sealedsecret(s.docs[i]))
			continue; /* other documents are kept as they are */
		if ((rc = collect(&spans, &nspans, &cap, s.docs[i], &text)) < 0)
			goto out;
		reemit |= rc;
		uo.what = seal_cli_what(path, i, s.n);
		if ((rc = sealed_reseal(s.docs[i], &ring->set, pk, &uo)) < 0)
			goto out;
		nss++;
	}
	if (!nss) {
		rc = gs_error(GS_EPARSE, "%s: no SealedSecret found", path);
		goto out;
	}
	if (reemit) {
		/* a value in block style: write the documents anew */
		for (i = 0; i < s.n; i++)
			if (s.docs[i] && (rc = seal_cli_emit(&out, s.docs[i], json, !json)) < 0)
				goto out;
	} else {
		qsort(spans, nspans, sizeof(*spans), cmp_span);
		for (i = 0; i < nspans; i++) {
			const char *q = spans[i].style == DOC_STYLE_DOUBLE   ? "\""
			                : spans[i].style == DOC_STYLE_SINGLE ? "'"
			                                                     : "";
			if (spans[i].start < pos) {
				rc = gs_error(GS_EPARSE, "%s: overlapping values", path);
				goto out;
			}
			if ((rc = buf_add(&out, text.p + pos, spans[i].start - pos)) < 0 ||
			    (rc = buf_addf(&out, "%s%s%s", q, doc_str(spans[i].node), q)) < 0)
				goto out;
			pos = spans[i].end;
		}
		if ((rc = buf_add(&out, text.p + pos, text.len - pos)) < 0)
			goto out;
	}
	rc = file_write_atomic(path, out.p, out.len, 0644, 1);
out:
	free(spans);
	doc_stream_release(&s);
	buf_release(&text);
	buf_release(&out);
	return rc;
}

int cmd_reseal(int argc, char **argv)
{
	struct cli_getopt g;
	struct keys_ring ring = KEYS_RING_INIT;
	struct sealed_pubkey *pk = NULL;
	struct buf pem = BUF_INIT((size_t)1 << 20);
	char **keys = calloc((size_t)argc + 1, sizeof(*keys)),
	     **ids = calloc((size_t)argc + 1, sizeof(*ids));
	const char *cert = NULL;
	size_t nkeys = 0, nids = 0;
	int opt, ret = 1, expired_ok = 0, rc = 0;

	if (!keys || !ids)
		goto done;
	cli_getopt_init(&g, reseal_options);
	optind = 1;
	while ((opt = cli_getopt(&g, argc, argv)) != -1) {
		switch (opt) {
		case 'k': keys[nkeys++] = optarg; break;
		case 'i': ids[nids++] = optarg; break;
		case 'c': cert = optarg; break;
		case O_EXPIRED: expired_ok = 1; break;
		case 'h':
			cli_usage(stdout, &cmd_reseal_spec);
			ret = 0;
			goto done;
		default:
			cli_usage(stderr, &cmd_reseal_spec);
			ret = 2;
			goto done;
		}
	}
	if (cli_missing(&g, "gitseal reseal") || optind >= argc) {
		if (optind >= argc)
			fprintf(stderr, "error: gitseal reseal: missing FILE: the SealedSecret "
			                "files to re-encrypt\n");
		ret = 2;
		goto done;
	}
	if ((rc = seal_cli_load_keys(&ring, keys, nkeys, ids, nids)) < 0 ||
	    (rc = seal_cli_read_cert(&pem, cert)) < 0 ||
	    (rc = sealed_pubkey_from_pem(&pk, pem.p, pem.len, cert)) < 0 ||
	    (!expired_ok && (rc = sealed_pubkey_check_expiry(pk, time(NULL))) < 0))
		goto done;
	/* every file is checked and written on its own: a bad file leaves the others done */
	ret = 0;
	for (; optind < argc; optind++) {
		if (reseal_file(argv[optind], &ring, pk) < 0) {
			cli_die_last(NULL);
			ret = 1;
		} else {
			fprintf(stderr, "resealed %s\n", argv[optind]);
		}
	}
done:
	if (rc < 0)
		ret = cli_die_last(NULL);
	sealed_pubkey_free(pk);
	keys_ring_release(&ring);
	buf_release(&pem);
	free(keys);
	free(ids);
	return ret;
}
