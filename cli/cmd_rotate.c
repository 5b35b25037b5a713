/*
 * gitseal rotate [PATH]: re-encrypt a checkout for the newest keys, all or nothing (lib/rotate):
 * SealedSecrets that do not open with the newest key are re-sealed (offline with --key, else
 * through the controller's /v1/rotate-stale via the API server), SOPS files whose recipients
 * differ from .sops.yaml (or hold a --retired one, or with --force) get a fresh data key. A
 * table says what changed and why; nothing is written with --dry-run, or when anything fails.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cluster_rcpt.h"
#include "cli/cmd_seal.h"
#include "rotate/rotate.h"
#include "sealer/sops/sops.h"

#define MAX_LIST 256
#define KEYFILE_MAX ((size_t)64 << 20)

enum {
	O_CERT = 256,
	O_DRY,
	O_FORCE,
	O_RETIRED,
	O_CONFIG,
	O_SKIP,
	O_ONLY,
	O_EXPIRED,
	O_CTL_NS,
	O_CTL_NAME,
	O_KUBECONFIG,
	O_CONTEXT,
};

static const struct cli_opt rotate_options[] = {
	{ "key", 'k', required_argument, "FILE",
	  "private keys (PEM, key Secrets, a `keys backup`, age-encrypted with -i): offline "
	  "(repeatable)" },
	{ "identity", 'i', required_argument, "FILE",
	  "age identity of an encrypted key file (repeatable)" },
	{ "cert", O_CERT, required_argument, "FILE|URL",
	  "seal for this certificate (default: the newest of --key)" },
	{ "allow-expired-cert", O_EXPIRED, no_argument, NULL, "seal for an expired certificate" },
	{ "dry-run", O_DRY, no_argument, NULL, "say what would change, write nothing" },
	{ "jobs", 'j', required_argument, "N", "worker threads (default: one per CPU)" },
	{ "force", O_FORCE, no_argument, NULL, "a fresh data key for every SOPS file" },
	{ "retired", O_RETIRED, required_argument, "age1...",
	  "an age recipient no SOPS file may keep (repeatable)" },
	{ "config", O_CONFIG, required_argument, "FILE",
	  "the .sops.yaml (default $SOPS_CONFIG, else found from PATH up)" },
	{ "skip-unopened", O_SKIP, no_argument, NULL,
	  "leave SealedSecrets no key opens (another cluster's) instead of failing" },
	{ "only", O_ONLY, required_argument, "sealed|sops", "one kind of file only" },
	{ "verbose", 'v', no_argument, NULL, "list the files that stay as they are too" },
	{ "controller-namespace", O_CTL_NS, required_argument, "NS",
	  "the controller's namespace (default kube-system)" },
	{ "controller-name", O_CTL_NAME, required_argument, "NAME",
	  "its service (default sealed-secrets-controller)" },
	{ "kubeconfig", O_KUBECONFIG, required_argument, "FILE", "kubeconfig" },
	{ "context", O_CONTEXT, required_argument, "NAME", "kubeconfig context" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal rotate [PATH] [--key FILE... [-i ID]] [--cert FILE|URL] "
	           "[--dry-run] [-j N] [--force]\n\n"
	           "Re-encrypt every SealedSecret and SOPS file under PATH (default .) that needs "
	           "it for the\nnewest keys: all files are prepared and checked before any is "
	           "replaced.\nWithout --key, SealedSecrets are re-sealed by the controller "
	           "through the API server.\n\n");
	cli_opt_help(f, rotate_options);
}

/* The controller, found on the first SealedSecret (a checkout without any needs no cluster). */
struct online_ctx {
	struct seal_cluster sc;
	pthread_mutex_t mu;
	int tried, rc; /* under mu */
	char *err;
};

static int online_ready(struct online_ctx *o)
{
	int rc;
	pthread_mutex_lock(&o->mu);
	if (!o->tried) {
		struct buf probe = BUF_INIT(4096);
		/* one worker finds the controller; the others share what it learnt */
		o->tried = 1;
		if ((o->rc = seal_cluster_get(&o->sc, "/healthz", &probe)) < 0) {
			gs_error_prefix(o->rc,
			                "SealedSecrets are re-sealed by the controller without "
			                "--key, and it cannot be reached");
			o->err = strdup(gs_error_last());
		}
		buf_release(&probe);
	}
	rc = o->rc;
	if (rc < 0)
		gs_error(rc, "%s", o->err ? o->err : "the controller cannot be reached");
	pthread_mutex_unlock(&o->mu);
	return rc;
}

/* /v1/rotate-stale through the API server's service proxy. */
static int online(void *ctx, const struct doc *ss, struct doc **out)
{
	struct online_ctx *o = ctx;
	struct buf resp = BUF_INIT((size_t)16 << 20);
	long status = 0;
	int rc;

	*out = NULL;
	if ((rc = online_ready(o)) < 0)
		return rc;
	rc = seal_cluster_post(&o->sc, "/v1/rotate-stale", ss, &resp, &status);
	if (status == 204)
		rc = 0;
	else if (status == 409)
		rc = gs_error(GS_EAUTH, "no key of the controller opens it");
	else if (status == 404)
		rc = gs_error(GS_ENOTFOUND, "the controller has no /v1/rotate-stale (a "
		                            "gitseal-controller is needed; or use --key)");
	else if (rc >= 0)
		rc =
		    doc_parse_one(out, "the controller's answer", resp.p, resp.len, DOC_PARSE_JSON);
	else
		gs_error_prefix(rc, "cannot re-seal through the controller");
	buf_release(&resp);
	return rc;
}

static const char *action(const struct rotate_entry *e, int dry)
{
	if (e->action == ROTATE_SKIPPED)
		return "skipped";
	if (e->action == ROTATE_CURRENT)
		return "current";
	if (e->kind == ROTATE_SEALED)
		return dry ? "would reseal" : "resealed";
	return dry ? "would rotate" : "rotated";
}

static void summary(const struct rotate_report *rep, int dry, int verbose)
{
	size_t i, w = 4, sealed = 0, sops = 0, current = 0, skipped = 0;
	for (i = 0; i < rep->n; i++)
		if (strlen(rep->ent[i].path) > w)
			w = strlen(rep->ent[i].path);
	if (w > 60)
		w = 60;
	printf("%-*s  %-12s  %-12s  %s\n", (int)w, "FILE", "KIND", "ACTION", "WHY");
	for (i = 0; i < rep->n; i++) {
		const struct rotate_entry *e = &rep->ent[i];
		if (e->action == ROTATE_CHANGED)
			*(e->kind == ROTATE_SEALED ? &sealed : &sops) += 1;
		else if (e->action == ROTATE_SKIPPED)
			skipped++;
		else
			current++;
		if (e->action == ROTATE_CURRENT && !verbose)
			continue;
		printf("%-*s  %-12s  %-12s  %s\n", (int)w, e->path,
		       e->kind == ROTATE_SEALED ? "SealedSecret" : "SOPS", action(e, dry), e->why);
	}
	printf("%zu files looked at: %zu with SealedSecrets %s, %zu SOPS files %s, %zu current",
	       rep->files, sealed, dry ? "to re-seal" : "re-sealed", sops,
	       dry ? "to rotate" : "rotated", current);
	if (skipped)
		printf(", %zu skipped", skipped);
	printf(dry ? " (dry run: nothing written)\n" : "\n");
}

static int is_dir(const char *p)
{
	struct stat st;
	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* --key files: the RSA keys into ring, the age identities of a key backup into ids. */
static int load_keys(struct keys_ring *ring, struct buf *ids, char **keys, size_t nkeys, char **idf,
                     size_t nidf)
{
	struct buf text = BUF_INIT_SECRET(KEYFILE_MAX);
	size_t i;
	int rc = 0;
	for (i = 0; rc >= 0 && i < nkeys; i++) {
		buf_reset(&text);
		if ((rc = seal_cli_read_key_file(&text, keys[i], idf, nidf)) >= 0 &&
		    (rc = keys_ring_load_text(ring, text.p, text.len, keys[i])) >= 0)
			rc = keys_age_load_text(ids, text.p, text.len, keys[i]);
	}
	buf_release(&text);
	return rc;
}

int cmd_rotate(int argc, char **argv)
{
	struct cli_getopt g;
	struct rotate_opts ro;
	struct rotate_report rep = { 0 };
	struct keys_ring ring = KEYS_RING_INIT;
	struct sealed_pubkey *pk = NULL;
	struct sops_config conf;
	struct online_ctx oc;
	struct cli_cluster cc;
	struct buf pem = BUF_INIT((size_t)1 << 20), ids = BUF_INIT_SECRET(KEYFILE_MAX);
	char *keys[MAX_LIST], *idf[MAX_LIST];
	const char *retired[MAX_LIST], *cert = NULL, *config = NULL, *only = NULL, *path = ".";
	size_t nkeys = 0, nidf = 0, nretired = 0;
	int opt, ret = 1, have_conf = 0, expired_ok = 0, verbose = 0, jobs = 0;

	memset(&ro, 0, sizeof(ro));
	memset(&conf, 0, sizeof(conf));
	memset(&oc, 0, sizeof(oc));
	pthread_mutex_init(&oc.mu, NULL);
	memset(&cc, 0, sizeof(cc));
	cli_getopt_init(&g, rotate_options);
	optind = 1;
	while ((opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
		case 'i':
		case O_RETIRED:
			if (nkeys == MAX_LIST || nidf == MAX_LIST || nretired == MAX_LIST) {
				fprintf(stderr, "error: too many --%s\n",
				        opt == 'k'   ? "key"
				        : opt == 'i' ? "identity"
				                     : "retired");
				ret = 2;
				goto out;
			}
			if (opt == 'k')
				keys[nkeys++] = optarg;
			else if (opt == 'i')
				idf[nidf++] = optarg;
			else
				retired[nretired++] = optarg;
			break;
		case O_CERT: cert = optarg; break;
		case O_EXPIRED: expired_ok = 1; break;
		case O_DRY: ro.dry_run = 1; break;
		case 'j':
			if (cli_int_arg(&jobs, "jobs", optarg, 1, 64) < 0) {
				ret = 2;
				goto out;
			}
			break;
		case O_FORCE: ro.force = 1; break;
		case O_CONFIG: config = optarg; break;
		case O_SKIP: ro.skip_unopened = 1; break;
		case O_ONLY: only = optarg; break;
		case 'v': verbose = 1; break;
		case O_CTL_NS: oc.sc.ctl_ns = cc.ctl_ns = optarg; break;
		case O_CTL_NAME: oc.sc.ctl_name = cc.ctl_name = optarg; break;
		case O_KUBECONFIG: oc.sc.ov.kubeconfig = cc.kubeconfig = optarg; break;
		case O_CONTEXT: oc.sc.ov.context = optarg; break;
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
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc || (only && strcmp(only, "sealed") && strcmp(only, "sops")) ||
	    (cert && !nkeys)) {
		if (cert && !nkeys)
			fprintf(stderr, "error: --cert needs --key (offline); without --key the "
			                "controller re-seals\n");
		usage(stderr);
		ret = 2;
		goto out;
	}
	ro.no_sealed = only && !strcmp(only, "sops");
	ro.no_sops = only && !strcmp(only, "sealed");
	ro.jobs = jobs;
	ro.retired = retired;
	ro.nretired = nretired;
	/* SealedSecrets: offline with --key, else the controller */
	if (nkeys && load_keys(&ring, &ids, keys, nkeys, idf, nidf) < 0)
		goto fail;
	if (nkeys && !ro.no_sealed) {
		ro.ring = &ring;
		if (cert && ((seal_cli_read_cert(&pem, cert) < 0 ||
		              sealed_pubkey_from_pem(&pk, pem.p, pem.len, cert) < 0)))
			goto fail;
		ro.cert = pk;
		if (pk && !expired_ok && sealed_pubkey_check_expiry(pk, time(NULL)) < 0)
			goto fail;
		if (pk) {
			size_t i;
			for (i = 0; i < ring.n && !sealed_privkey_matches(ring.ent[i].key, pk); i++)
				;
			if (i == ring.n)
				fprintf(stderr,
				        "warning: --cert's private key is not among --key: "
				        "every SealedSecret that opens is re-sealed (current "
				        "ones cannot be told apart)\n");
		}
	} else if (!ro.no_sealed) {
		ro.online = online;
		ro.online_ctx = &oc;
	}
	/* SOPS: the .sops.yaml from PATH up; clusters reached as gitseal encrypt does */
	{
		char *dir = malloc(strlen(path) + 2), *slash;
		if (!dir)
			goto fail;
		snprintf(dir, strlen(path) + 2, "%s", path);
		if (!is_dir(dir) && (slash = strrchr(dir, '/')))
			*slash = 0;
		else if (!is_dir(dir))
			snprintf(dir, 2, ".");
		if (sops_config_discover(&conf, &have_conf, config ? config : getenv("SOPS_CONFIG"),
		                         dir) < 0) {
			free(dir);
			goto fail;
		}
		free(dir);
	}
	ro.conf = have_conf ? &conf : NULL;
	ro.cluster = cli_cluster_recipient;
	ro.cluster_ctx = &cc;
	ro.identities = ids.p;
	ro.identities_len = ids.len;
	if (rotate_run(&rep, path, &ro) < 0)
		goto fail;
	summary(&rep, ro.dry_run, verbose);
	ret = 0;
	goto out;
fail:
	ret = cli_die_last(NULL);
	fprintf(stderr, "nothing was written\n");
out:
	rotate_report_release(&rep);
	keys_ring_release(&ring);
	sealed_pubkey_free(pk);
	sops_config_release(&conf);
	seal_cluster_release(&oc.sc);
	free(oc.err);
	pthread_mutex_destroy(&oc.mu);
	buf_release(&pem);
	buf_release(&ids);
	return ret;
}
