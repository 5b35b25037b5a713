/*
 * The cluster's age recipient, for SOPS files encrypted "to the cluster": `gitseal encrypt
 * --to-cluster CONTEXT` / `--cluster-recipient FILE|URL` and `.sops.yaml` rules with `cluster:`.
 * A context is reached as kubeseal reaches the controller (the API server's service proxy,
 * GET /v1/age-recipient, cli/seal_cluster.c); a URL is fetched directly, a file read. The
 * library asks through sops_cluster_fn (sealer/ has no network).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cluster_rcpt.h"
#include "cli/cmd_seal.h"
#include "core/file.h"
#include "kube/kube.h"
#include "sealer/age/age.h"

#define RCPT_MAX ((size_t)64 << 10)

static const struct cli_opt cluster_options[] = {
	{ "to-cluster", CLI_CLUSTER_TO, required_argument, "CONTEXT",
	  "encrypt to the age recipient of gitseal-controller in that kubeconfig context "
	  "(repeatable)" },
	{ "cluster-recipient", CLI_CLUSTER_RCPT, required_argument, "FILE|URL",
	  "the same from a file or a /v1/age-recipient URL, offline (repeatable)" },
	{ "controller-namespace", CLI_CLUSTER_NS, required_argument, "NS",
	  "the controller's namespace (default kube-system)" },
	{ "controller-name", CLI_CLUSTER_NAME, required_argument, "NAME",
	  "its service (default sealed-secrets-controller)" },
	{ "kubeconfig", CLI_CLUSTER_KUBECONFIG, required_argument, "FILE",
	  "kubeconfig (default $KUBECONFIG, ~/.kube/config)" },
	{ NULL, 0, 0, NULL, NULL },
};

void cli_cluster_help(FILE *f)
{
	fprintf(f,
	        "\nencrypting to clusters (gitseal-controller's age identity; the file must name "
	        "its namespace):\n");
	cli_opt_help(f, cluster_options);
}

void cli_cluster_release(struct cli_cluster *c)
{
	free(c->refs);
	memset(c, 0, sizeof(*c));
}

static const struct cli_opt *find(const char *arg, const char **val)
{
	size_t i, n;
	*val = NULL;
	if (strncmp(arg, "--", 2))
		return NULL;
	for (i = 0; cluster_options[i].name; i++) {
		n = strlen(cluster_options[i].name);
		if (strncmp(arg + 2, cluster_options[i].name, n))
			continue;
		if (arg[2 + n] == '=') {
			*val = arg + 3 + n;
			return &cluster_options[i];
		}
		if (!arg[2 + n])
			return &cluster_options[i];
	}
	return NULL;
}

static int add_ref(struct cli_cluster *c, const char *ref, int file)
{
	struct cli_cluster_ref *r = realloc(c->refs, (c->nrefs + 1) * sizeof(*r));
	if (!r)
		return gs_error(GS_ENOMEM, "out of memory");
	c->refs = r;
	c->refs[c->nrefs].ref = ref;
	c->refs[c->nrefs++].file = file;
	return 0;
}

int cli_cluster_take_args(struct cli_cluster *c, int *argc, char **argv)
{
	int i, j = 1;
	for (i = 1; i < *argc; i++) {
		const struct cli_opt *o;
		const char *val;
		if (!strcmp(argv[i], "--")) { /* the rest is the command's */
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!(o = find(argv[i], &val))) {
			argv[j++] = argv[i];
			continue;
		}
		if (!val) {
			if (i + 1 >= *argc) {
				fprintf(stderr, "error: --%s needs an argument\n", o->name);
				return 2;
			}
			val = argv[++i];
		}
		switch (o->id) {
		case CLI_CLUSTER_TO:
		case CLI_CLUSTER_RCPT:
			if (!*val) {
				fprintf(stderr, "error: --%s needs a non-empty argument\n",
				        o->name);
				return 2;
			}
			/* a --cluster-recipient without a scheme is a file */
			if (add_ref(c, val, o->id == CLI_CLUSTER_RCPT && !strstr(val, "://")) < 0)
				return cli_die_last(NULL);
			break;
		case CLI_CLUSTER_NS: c->ctl_ns = val; break;
		case CLI_CLUSTER_NAME: c->ctl_name = val; break;
		case CLI_CLUSTER_KUBECONFIG: c->kubeconfig = val; break;
		}
	}
	argv[j] = NULL;
	*argc = j;
	return -1;
}

/* "age1..." from a text (a file or a response): the first line, trimmed, must parse. */
static int recipient_of(struct buf *out, const char *text, size_t len, const char *what)
{
	struct age_recipient *r = NULL;
	char line[256];
	size_t a = 0, b;
	int rc;

	while (a < len && (text[a] == ' ' || text[a] == '\t' || text[a] == '\n' || text[a] == '\r'))
		a++;
	for (b = a; b < len && text[b] != '\n' && text[b] != '\r' && text[b] != ' '; b++)
		;
	if (b == a || b - a >= sizeof(line))
		return gs_error(GS_EPARSE, "%s: no age recipient in the answer", what);
	memcpy(line, text + a, b - a);
	line[b - a] = 0;
	if ((rc = age_recipient_parse(&r, line)) < 0)
		return gs_error_prefix(rc, "%s", what);
	age_recipient_free(r);
	return buf_adds(out, line);
}

int cli_cluster_recipient(void *ctx, const char *ref, struct buf *out)
{
	const struct cli_cluster *c = ctx;
	struct buf text = BUF_INIT(RCPT_MAX);
	int rc;

	if (!strncmp(ref, "http://", 7) || !strncmp(ref, "https://", 8)) {
		rc = kube_fetch_url(&text, ref, 30000);
	} else if (!strncmp(ref, "file://", 7)) {
		rc = file_read(&text, ref + 7);
	} else if (strstr(ref, "://")) {
		rc = gs_error(GS_EINVAL, "unsupported URL scheme (http, https, file)");
	} else {
		struct seal_cluster sc;
		memset(&sc, 0, sizeof(sc));
		sc.ov.kubeconfig = c ? c->kubeconfig : NULL;
		sc.ov.context = ref;
		sc.ctl_ns = c ? c->ctl_ns : NULL;
		sc.ctl_name = c ? c->ctl_name : NULL;
		rc = seal_cluster_get(&sc, "/v1/age-recipient", &text);
		seal_cluster_release(&sc);
		if (rc < 0)
			gs_error_prefix(rc, "cannot fetch the cluster's age recipient");
	}
	if (rc >= 0)
		rc = recipient_of(out, text.p, text.len, ref);
	buf_release(&text);
	return rc;
}

int cli_cluster_age_csv(struct buf *csv, const struct cli_cluster *c)
{
	size_t i;
	int rc = 0;
	for (i = 0; rc >= 0 && i < c->nrefs; i++) {
		if (csv->len && (rc = buf_addc(csv, ',')) < 0)
			break;
		/* a file is a file:// URL: a cluster's recipient all the same (the namespace rule)
		 */
		rc = buf_addf(csv, "%s%s%s", SOPS_CLUSTER_PREFIX, c->refs[i].file ? "file://" : "",
		              c->refs[i].ref);
	}
	return rc;
}
