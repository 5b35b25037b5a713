/*
 * gitseal keys list: the controller's sealing keys and age identities (through the API server's
 * service proxy, /v1/keys), newest first, with what still needs each: the SealedSecrets the
 * unsealer opened with it. SOPS objects are counted by the Application reconciler's inventory;
 * until it gives them they show as unknown.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"
#include "doc/doc.h"

static const struct cli_opt list_options[] = {
	{ "output", 'o', required_argument, "table|json", "the format (default table)" },
	KEYS_CLUSTER_OPTS,
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal keys list [-o table|json] [--controller-namespace NS]\n\n"
	           "The controller's sealing keys (rsa) and age identities (age), newest first: "
	           "status sealing\n"
	           "(what new secrets are sealed or encrypted to) or active (kept to decrypt), and "
	           "what still\nneeds each.\n\n");
	cli_opt_help(f, list_options);
}

static long long num(const struct doc *d, const char *key, int *null)
{
	long long v = 0;
	*null = doc_get_int(doc_get(d, key), &v) < 0;
	return v;
}

static void print_needed(const struct doc *status, const struct doc *k)
{
	int null, lnull;
	long long n = num(k, "sealedSecrets", &null);
	const struct doc *users = doc_get(k, "users");
	int leader = 0;
	size_t i;

	doc_get_bool(doc_get(status, "leader"), &leader);
	if (null || !leader) {
		printf("unknown (a follower answered)");
		return;
	}
	printf("%lld SealedSecret%s", n, n == 1 ? "" : "s");
	if (num(status, "unknown", &lnull) > 0 && !lnull)
		printf(" (%lld not counted yet)", num(status, "unknown", &lnull));
	for (i = 0; i < doc_len(users) && i < 3; i++)
		printf("%s%s", i ? ", " : ": ", doc_str(doc_val_at(users, i)));
	if (doc_len(users) > 3 || num(k, "moreUsers", &null) > 0)
		printf(", ...");
}

static void print_sops(const struct doc *status, const struct doc *k)
{
	int null, complete = 0;
	long long n = num(k, "sopsObjects", &null), uncounted;
	const struct doc *apps = doc_get(k, "applications");
	size_t i;

	if (null) {
		printf("SOPS objects: unknown (the controller that answered does not lead the "
		       "Applications)");
		return;
	}
	printf("%lld SOPS object%s", n, n == 1 ? "" : "s");
	doc_get_bool(doc_get(status, "sopsComplete"), &complete);
	uncounted = num(status, "sopsUncounted", &null);
	if (!complete)
		printf(" (%lld Application%s not built yet)", null ? 0 : uncounted,
		       uncounted == 1 ? "" : "s");
	for (i = 0; i < doc_len(apps) && i < 3; i++)
		printf("%s%s", i ? ", " : ": ", doc_str(doc_val_at(apps, i)));
	if (doc_len(apps) > 3 || num(k, "moreApplications", &null) > 0)
		printf(", ...");
}

int keys_cmd_list(int argc, char **argv)
{
	struct cli_getopt g;
	struct seal_cluster c;
	struct doc *st = NULL;
	struct buf json = BUF_INIT((size_t)16 << 20);
	const char *fmt = "table", *tables[] = { "rsa", "age" };
	size_t t, i;
	int opt, ret = 1;

	memset(&c, 0, sizeof(c));
	cli_getopt_init(&g, list_options);
	optind = 1;
	while ((opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		if (keys_cli_common_opt(&c, opt, optarg))
			continue;
		switch (opt) {
		case 'o': fmt = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || (strcmp(fmt, "table") && strcmp(fmt, "json"))) {
		usage(stderr);
		return 2;
	}
	if (keys_cli_status(&st, &c) < 0) {
		cli_die_last(NULL);
		goto out;
	}
	if (!strcmp(fmt, "json")) {
		struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
		if (doc_emit_json(&json, st, &eo) < 0 || buf_addc(&json, '\n') < 0) {
			cli_die_last(NULL);
			goto out;
		}
		fwrite(json.p, 1, json.len, stdout);
		ret = 0;
		goto out;
	}
	printf("%-4s %-32s %-64s %-20s %-7s %s\n", "TYPE", "NAME", "KEY", "CREATED", "STATUS",
	       "NEEDED BY");
	for (t = 0; t < 2; t++) {
		const struct doc *list = doc_get(st, tables[t]);
		for (i = 0; i < doc_len(list); i++) {
			const struct doc *k = doc_val_at(list, i);
			const char *id = doc_str(doc_get(k, t ? "recipient" : "fingerprint"));
			const char *created = doc_str(doc_get(k, "created"));
			printf("%-4s %-32s %-64s %-20s %-7s ", tables[t],
			       doc_str(doc_get(k, "name")) ? doc_str(doc_get(k, "name")) : "-",
			       id ? id : "-", created ? created : "-",
			       doc_str(doc_get(k, "status")) ? doc_str(doc_get(k, "status")) : "-");
			if (t)
				print_sops(st, k);
			else
				print_needed(st, k);
			putchar('\n');
		}
	}
	ret = 0;
out:
	doc_free(st);
	buf_release(&json);
	seal_cluster_release(&c);
	return ret;
}
