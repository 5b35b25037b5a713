/*
 * gitseal validate: kubeseal --validate, offline: every item of every
 * SealedSecret must open with one of the --key keys (no template rendering).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_seal.h"

static const struct cli_opt validate_options[] = {
	{ "key", 'k', required_argument, "KEY",
	  "private key: PEM, a sealing-key Secret or a List of them (repeatable)",
	  CLI_OPT_REQUIRED },
	{ "recovery-private-key", 'k', required_argument, "KEY", NULL },
	{ "identity", 'i', required_argument, "FILE",
	  "age identity of an encrypted key file (gitseal keys backup -r)" },
	{ "secret-file", 'f', required_argument, "FILE",
	  "SealedSecret file (or FILE...; default stdin)" },
	{ "quiet", 'q', no_argument, NULL, "no line per SealedSecret that opens" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_validate_spec = {
	.name = "validate",
	.usage = "--key KEY [--key KEY...] [-i IDENTITY...] [FILE...]",
	.about = "Check offline that every SealedSecret in the files (default stdin) opens with "
	         "the keys\n"
	         "(kubeseal --validate without a cluster). Prints one line per SealedSecret; exit "
	         "1 if any\n"
	         "fails.",
	.opts = validate_options,
	.args = "file",
};

int cmd_validate(int argc, char **argv)
{
	struct cli_getopt g;
	struct keys_ring ring = KEYS_RING_INIT;
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	char **keys = calloc((size_t)argc + 1, sizeof(*keys)),
	     **ids = calloc((size_t)argc + 1, sizeof(*ids)),
	     **files = calloc((size_t)argc + 2, sizeof(*files));
	size_t nkeys = 0, nids = 0, nfiles = 0, f, nbad = 0, nok = 0;
	int opt, ret = 1, quiet = 0;

	if (!keys || !ids || !files)
		goto done;
	cli_getopt_init(&g, validate_options);
	optind = 1;
	while ((opt = cli_getopt(&g, argc, argv)) != -1) {
		switch (opt) {
		case 'k': keys[nkeys++] = optarg; break;
		case 'i': ids[nids++] = optarg; break;
		case 'f': files[nfiles++] = optarg; break;
		case 'q': quiet = 1; break;
		case 'h':
			cli_usage(stdout, &cmd_validate_spec);
			ret = 0;
			goto done;
		default:
			cli_usage(stderr, &cmd_validate_spec);
			ret = 2;
			goto done;
		}
	}
	for (; optind < argc; optind++)
		files[nfiles++] = argv[optind];
	if (!nfiles)
		files[nfiles++] = (char *)"-";
	if (cli_missing(&g, "gitseal validate")) {
		ret = 2;
		goto done;
	}
	if (seal_cli_load_keys(&ring, keys, nkeys, ids, nids) < 0) {
		ret = cli_die_last(NULL);
		goto done;
	}
	for (f = 0; f < nfiles; f++) {
		struct doc_stream s = DOC_STREAM_INIT;
		struct buf text = BUF_INIT(BUF_MAX_FILE);
		size_t i;
		int json;
		if (seal_cli_read_docs(&s, &text, files[f], 0, &json) < 0) {
			cli_die_last(NULL);
			nbad++;
		}
		for (i = 0; i < s.n; i++) {
			const struct doc *d = s.docs[i];
			if (!d)
				continue;
			uo.what = seal_cli_what(files[f], i, s.n);
			if (!sealed_is_sealedsecret(d)) {
				fprintf(stderr, "error: %s: not a SealedSecret\n", uo.what);
				nbad++;
			} else if (sealed_verify(d, &ring.set, &uo) < 0) {
				/* kubeseal: "unable to decrypt sealed secret: <name>" */
				fprintf(stderr, "error: unable to decrypt sealed secret: %s: %s\n",
				        doc_k8s_name(d) ? doc_k8s_name(d) : "?", gs_error_last());
				nbad++;
			} else {
				if (!quiet)
					printf("%s: SealedSecret %s/%s: ok\n", uo.what,
					       doc_k8s_namespace(d) ? doc_k8s_namespace(d) : "",
					       doc_k8s_name(d) ? doc_k8s_name(d) : "");
				nok++;
			}
		}
		doc_stream_release(&s);
		buf_release(&text);
	}
	if (!nbad && !nok) {
		fprintf(stderr, "error: no sealed secrets found\n");
		goto done;
	}
	ret = nbad ? 1 : 0;
done:
	keys_ring_release(&ring);
	free(keys);
	free(ids);
	free(files);
	return ret;
}
