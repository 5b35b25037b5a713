/*
 * gitseal keys renew: a new sealing key and a new age identity now, made here and created as
 * labelled key Secrets in the controller's namespace through the API server; every replica's
 * key watch loads them at once, and the newest seals from then on (upstream's answer is a
 * SIGUSR1 to the right pod, or waiting for --key-renew-period). Old keys stay: retire them with
 * gitseal keys retire once gitseal rotate has re-sealed what used them.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"
#include "doc/doc.h"
#include "keys/keys.h"

enum { O_BITS = 256, O_PREFIX, O_ONLY };

static const struct cli_opt renew_options[] = {
	{ "key-size", O_BITS, required_argument, "N", "RSA key size (2048-8192, default 4096)" },
	{ "key-prefix", O_PREFIX, required_argument, "PREFIX",
	  "the key Secret's generateName (default sealed-secrets-key)" },
	{ "only", O_ONLY, required_argument, "rsa|age", "make only a sealing key or an identity" },
	KEYS_CLUSTER_OPTS,
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal keys renew [--only rsa|age] [--key-size N] "
	           "[--controller-namespace NS]\n\n"
	           "Create a new sealing key (RSA, as the controller makes it) and a new age "
	           "identity in the\ncontroller's namespace; the controller loads them and seals "
	           "with them from now on.\n\n");
	cli_opt_help(f, renew_options);
}

int keys_cmd_renew(int argc, char **argv)
{
	struct cli_getopt g;
	struct seal_cluster c;
	struct keys_gen_opts go = KEYS_GEN_OPTS_INIT;
	struct keys_secret_opts so = KEYS_SECRET_OPTS_INIT;
	struct keys_pair pair;
	struct doc *sec = NULL, *live = NULL;
	struct buf rcpt = BUF_INIT(256);
	const char *only = NULL;
	int opt, ret = 1, bits = 4096;

	memset(&c, 0, sizeof(c));
	keys_pair_init(&pair);
	cli_getopt_init(&g, renew_options);
	optind = 1;
	so.generate_name = KEYS_PREFIX;
	while ((opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		if (keys_cli_common_opt(&c, opt, optarg))
			continue;
		switch (opt) {
		case O_BITS:
			if (cli_int_arg(&bits, "key-size", optarg, 2048, 8192) < 0)
				goto out;
			break;
		case O_PREFIX: so.generate_name = optarg; break;
		case O_ONLY: only = optarg; break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			usage(stderr);
			ret = 2;
			goto out;
		}
	}
	if (optind < argc || (only && strcmp(only, "rsa") && strcmp(only, "age"))) {
		usage(stderr);
		ret = 2;
		goto out;
	}
	if (kube_client_from_env(&c.kc, &c.ov, NULL) < 0) {
		cli_die_last("cannot connect to the cluster");
		goto out;
	}
	so.namespace = keys_cli_ns(&c);
	if (!only || !strcmp(only, "rsa")) {
		go.bits = bits;
		if (keys_generate(&pair, &go) < 0 || keys_pair_secret(&sec, &pair, &so) < 0 ||
		    kube_create(&live, c.kc, sec, NULL) < 0) {
			cli_die_last("cannot create the sealing key");
			goto out;
		}
		printf("created %s/%s (sealing key)\n", so.namespace, doc_k8s_name(live));
		doc_free(sec);
		doc_free(live);
		sec = live = NULL;
	}
	if (!only || !strcmp(only, "age")) {
		if (keys_age_secret_new(&sec, &rcpt, so.namespace, NULL) < 0 ||
		    kube_create(&live, c.kc, sec, NULL) < 0) {
			cli_die_last("cannot create the age identity");
			goto out;
		}
		printf("created %s/%s (age identity %s)\n", so.namespace, doc_k8s_name(live),
		       rcpt.p);
	}
	ret = 0;
out:
	keys_pair_release(&pair);
	doc_free(sec);
	doc_free(live);
	buf_release(&rcpt);
	seal_cluster_release(&c);
	return ret;
}
