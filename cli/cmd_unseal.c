/*
 * gitseal unseal: kubeseal --recovery-unseal with friendlier flags: every
 * --key (PEM key, key Secret, List of them; repeatable) is tried on every
 * SealedSecret of the input files.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_seal.h"
#include "core/file.h"

enum { O_V1 = 256 };

static const struct cli_opt unseal_options[] = {
	{ "key", 'k', required_argument, "KEY",
	  "private key: PEM, a sealing-key Secret or a List of them (repeatable; age-encrypted: "
	  "needs -i)",
	  CLI_OPT_REQUIRED },
	{ "recovery-private-key", 'k', required_argument, "KEY", NULL },
	{ "identity", 'i', required_argument, "FILE",
	  "age identity that opens an encrypted --key file (repeatable)" },
	{ "secret-file", 'f', required_argument, "FILE",
	  "SealedSecret file (or FILE...; default stdin)" },
	{ "format", 'o', required_argument, "json|yaml", "output format (default: the input's)" },
	{ "output", 'w', required_argument, "FILE",
	  "write there (mode 0600, only on success) instead of stdout" },
	{ "accept-v1-data", O_V1, no_argument, NULL, "open the deprecated spec.data field too" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_unseal_spec = {
	.name = "unseal",
	.usage = "--key KEY [--key KEY...] [-i IDENTITY] [-o json|yaml] [-w OUT] [FILE...]",
	.about = "Decrypt SealedSecrets offline into v1 Secrets (kubeseal --recovery-unseal): "
	         "every --key\n"
	         "is tried on every SealedSecret of the files (default stdin).",
	.opts = unseal_options,
	.args = "file",
};

int cmd_unseal(int argc, char **argv)
{
	struct cli_getopt g;
	struct keys_ring ring = KEYS_RING_INIT;
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct buf out = BUF_INIT_SECRET(BUF_MAX_FILE);
	char **keys = calloc((size_t)argc + 1, sizeof(*keys)),
	     **ids = calloc((size_t)argc + 1, sizeof(*ids)),
	     **files = calloc((size_t)argc + 2, sizeof(*files));
	const char *format = NULL, *output = NULL;
	size_t nkeys = 0, nids = 0, nfiles = 0, f, found = 0;
	int opt, ret = 1, rc = 0;

	if (!keys || !ids || !files)
		goto done;
	cli_getopt_init(&g, unseal_options);
	optind = 1;
	while ((opt = cli_getopt(&g, argc, argv)) != -1) {
		switch (opt) {
		case 'k': keys[nkeys++] = optarg; break;
		case 'i': ids[nids++] = optarg; break;
		case 'f': files[nfiles++] = optarg; break;
		case 'o': format = optarg; break;
		case 'w': output = optarg; break;
		case O_V1: uo.accept_v1_data = 1; break;
		case 'h':
			cli_usage(stdout, &cmd_unseal_spec);
			ret = 0;
			goto done;
		default:
			cli_usage(stderr, &cmd_unseal_spec);
			ret = 2;
			goto done;
		}
	}
	for (; optind < argc; optind++)
		files[nfiles++] = argv[optind];
	if (!nfiles)
		files[nfiles++] = (char *)"-";
	if (format && strcmp(format, "json") && strcmp(format, "yaml")) {
		fprintf(stderr, "error: unsupported output format: %s\n", format);
		goto done;
	}
	if (cli_missing(&g, "gitseal unseal")) {
		ret = 2;
		goto done;
	}
	if (!format && output)
		format = seal_cli_is_yaml_name(output) ? "yaml" : NULL;
	if ((rc = seal_cli_load_keys(&ring, keys, nkeys, ids, nids)) < 0)
		goto done;
	for (f = 0; f < nfiles; f++) {
		struct doc_stream s = DOC_STREAM_INIT;
		struct buf text = BUF_INIT(BUF_MAX_FILE);
		size_t i;
		int json;
		if ((rc = seal_cli_read_docs(&s, &text, files[f], 0, &json)) >= 0) {
			for (i = 0; i < s.n && rc >= 0; i++) {
				struct doc *sec = NULL;
				if (!s.docs[i])
					continue;
				uo.what = seal_cli_what(files[f], i, s.n);
				if (s.n > 1 && !sealed_is_sealedsecret(s.docs[i]))
					continue; /* other documents of a multi-document file */
				if ((rc = sealed_unseal(&sec, s.docs[i], &ring.set, &uo, NULL)) >=
				    0)
					rc = seal_cli_emit(&out, sec,
					                   format ? !strcmp(format, "json") : json,
					                   !json);
				doc_free(sec);
				found++;
			}
		}
		doc_stream_release(&s);
		buf_release(&text);
		if (rc < 0)
			goto done;
	}
	if (!found) {
		rc = gs_error(GS_EPARSE, "no sealed secrets found");
		goto done;
	}
	if ((rc = file_write_atomic(output ? output : "-", out.p, out.len, 0600, 0)) < 0)
		goto done;
	ret = 0;
done:
	if (rc < 0)
		ret = cli_die_last(NULL);
	buf_release(&out);
	keys_ring_release(&ring);
	free(keys);
	free(ids);
	free(files);
	return ret;
}
