/* gitseal keys cert: the certificate (PEM) of the newest key in KEY files. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"
#include "cli/cmd_seal.h"

static void cert_usage(FILE *f)
{
	fprintf(f, "usage: gitseal keys cert --key KEY [-i IDENTITY]\n\n"
	           "Print the certificate (PEM) of the newest key in KEY (PEM, key Secret or List; an\n"
	           "age-encrypted one, as gitseal keys backup -r writes it, needs -i).\n");
}

int keys_cmd_cert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "identity", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keys_ring ring = KEYS_RING_INIT;
	char **keys = calloc((size_t)argc + 1, sizeof(*keys)), **ids = calloc((size_t)argc + 1, sizeof(*ids));
	const char *pem;
	size_t nkeys = 0, nids = 0, len;
	int opt, ret = 1;

	if (!keys || !ids) {
		free(keys);
		free(ids);
		return 1;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "k:i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': keys[nkeys++] = optarg; break;
		case 'i': ids[nids++] = optarg; break;
		case 'h': cert_usage(stdout); ret = 0; goto done;
		default: cert_usage(stderr); ret = 2; goto done;
		}
	}
	for (; optind < argc; optind++)
		keys[nkeys++] = argv[optind];
	if (!nkeys) {
		cert_usage(stderr);
		ret = 2;
		goto done;
	}
	if (seal_cli_load_keys(&ring, keys, nkeys, ids, nids) < 0 || keys_ring_newest_cert_pem(&ring, &pem, &len) < 0) {
		ret = cli_die_last(NULL);
		goto done;
	}
	fwrite(pem, 1, len, stdout);
	ret = fflush(stdout) == 0 ? 0 : 1;
done:
	keys_ring_release(&ring);
	free(keys);
	free(ids);
	return ret;
}

