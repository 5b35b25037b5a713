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

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal validate --key KEY [--key KEY...] [-i IDENTITY...] [FILE...]\n"
	           "Check offline that every SealedSecret in the files (default stdin) opens with the keys.\n"
	           "Prints one line per SealedSecret; exit 1 if any fails. -i: the age identity of an encrypted\n"
	           "key file (gitseal keys backup -r).\n");
}

int cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "identity", required_argument, NULL, 'i' },
		{ "recovery-private-key", required_argument, NULL, 'k' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keys_ring ring = KEYS_RING_INIT;
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	char **keys = calloc((size_t)argc + 1, sizeof(*keys)), **ids = calloc((size_t)argc + 1, sizeof(*ids)), **files = calloc((size_t)argc + 2, sizeof(*files));
	size_t nkeys = 0, nids = 0, nfiles = 0, f, nbad = 0, nok = 0;
	int opt, ret = 1, quiet = 0;

	if (!keys || !ids || !files)
		goto done;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "k:i:f:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': keys[nkeys++] = optarg; break;
		case 'i': ids[nids++] = optarg; break;
		case 'f': files[nfiles++] = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); ret = 0; goto done;
		default: usage(stderr); ret = 2; goto done;
		}
	}
	for (; optind < argc; optind++)
		files[nfiles++] = argv[optind];
	if (!nfiles)
		files[nfiles++] = (char *)"-";
	if (!nkeys) {
		fprintf(stderr, "error: gitseal validate needs at least one --key\n");
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
