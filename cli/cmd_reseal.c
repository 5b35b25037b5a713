/*
 * gitseal reseal: re-encrypt SealedSecret files in place for a new
 * certificate (kubeseal --re-encrypt, offline). Each value is replaced in the
 * file's own bytes (same quoting), so the rest of the file - comments, key
 * order, other documents, YAML or JSON - stays as it was and the git diff
 * shows only the values. Scope: each SealedSecret's own. All or nothing
 * (lib/rotate, as gitseal rotate): every file is re-sealed in memory first,
 * and one that fails leaves every file as it was.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_seal.h"
#include "core/file.h"
#include "rotate/rotate.h"

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
	{
		struct rotate_opts ro;
		struct rotate_report rep = { 0 };
		size_t i;
		memset(&ro, 0, sizeof(ro));
		ro.ring = &ring;
		ro.cert = pk;
		ro.always = 1;
		ro.no_sops = 1;
		ro.files = (const char *const *)argv + optind;
		ro.nfiles = (size_t)(argc - optind);
		if ((rc = rotate_run(&rep, NULL, &ro)) < 0) {
			cli_die_last(NULL);
			fprintf(stderr, "nothing was re-sealed\n");
			ret = 1;
			rc = 0;
		} else {
			for (i = 0; i < rep.n; i++)
				fprintf(stderr, "resealed %s\n", rep.ent[i].path);
			ret = 0;
		}
		rotate_report_release(&rep);
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
