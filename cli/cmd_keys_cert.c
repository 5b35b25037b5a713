/* gitseal keys cert: the certificate (PEM) of the newest key in KEY files. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"
#include "cli/cmd_seal.h"

static const struct cli_opt cert_options[] = {
	{ "key", 'k', required_argument, "KEY",
	  "key file: PEM, key Secret or List (repeatable, or KEY...)" },
	{ "identity", 'i', required_argument, "FILE", "age identity of an encrypted key file" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec keys_cmd_cert_spec = {
	.name = "keys cert",
	.usage = "--key KEY [-i IDENTITY]",
	.about =
	    "Print the certificate (PEM) of the newest key in KEY (PEM, key Secret or List; an\n"
	    "age-encrypted one, as gitseal keys backup -r writes it, needs -i).",
	.opts = cert_options,
	.args = "file",
};

int keys_cmd_cert(int argc, char **argv)
{
	struct cli_getopt g;
	struct keys_ring ring = KEYS_RING_INIT;
	char **keys = calloc((size_t)argc + 1, sizeof(*keys)),
	     **ids = calloc((size_t)argc + 1, sizeof(*ids));
	const char *pem;
	size_t nkeys = 0, nids = 0, len;
	int opt, ret = 1;

	if (!keys || !ids) {
		free(keys);
		free(ids);
		return 1;
	}
	cli_getopt_init(&g, cert_options);
	optind = 1;
	while ((opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		switch (opt) {
		case 'k': keys[nkeys++] = optarg; break;
		case 'i': ids[nids++] = optarg; break;
		case 'h':
			cli_usage(stdout, &keys_cmd_cert_spec);
			ret = 0;
			goto done;
		default:
			cli_usage(stderr, &keys_cmd_cert_spec);
			ret = 2;
			goto done;
		}
	}
	for (; optind < argc; optind++)
		keys[nkeys++] = argv[optind];
	if (!nkeys) {
		fprintf(stderr, "error: gitseal keys cert: missing --key KEY (see 'gitseal keys "
		                "cert --help')\n");
		ret = 2;
		goto done;
	}
	if (seal_cli_load_keys(&ring, keys, nkeys, ids, nids) < 0 ||
	    keys_ring_newest_cert_pem(&ring, &pem, &len) < 0) {
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
