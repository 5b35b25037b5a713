/*
 * gitseal seal: a drop-in for kubeseal (same flags, SEALED_SECRETS_* env,
 * messages "error: ..." exit 1, output layout), offline: the certificate comes
 * from --cert (a file or URL). Output is written only when every document
 * sealed (atomically with -w), so a failure leaves no partial file.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_seal.h"
#include "core/file.h"
#include "kube/kube.h"

#define CERT_MAX ((size_t)1 << 20)

/* ---- helpers shared with unseal/validate/reseal/keys -------------------------------- */

int seal_cli_read_docs(struct doc_stream *s, struct buf *text, const char *path, unsigned flags,
                       int *is_json)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	struct doc_list l = DOC_LIST_INIT;
	int rc;

	if (!strcmp(path, "-") && isatty(0))
		fprintf(stderr, "(tty detected: expecting json/yaml k8s resource in stdin)\n");
	if ((rc = file_read(text, path)) < 0)
		return rc;
	/* kubeseal's YAMLOrJSONDecoder: a leading '{' means a stream of concatenated JSON objects;
	 * documents as written (empty ones kept, so "document N" counts them; no List flattening)
	 */
	*is_json = doc_manifests_are_json(text->p, text->len);
	if ((rc = doc_read_manifests(&l, name, text->p, text->len,
	                             flags | DOC_MANIFEST_AS_WRITTEN)) < 0)
		return rc;
	if (*is_json && l.n > 1)
		*is_json = 2;
	s->docs = l.objs;
	s->n = l.n;
	if (!(s->file = strdup(name)))
		return gs_error(GS_ENOMEM, "out of memory");
	return 0;
}

/* ---- seal ---------------------------------------------------------------------------- */

enum {
	O_CERT = 256,
	O_SCOPE,
	O_NAME,
	O_RAW,
	O_FROM_FILE,
	O_MERGE,
	O_ALLOW_EMPTY,
	O_RECOVERY_UNSEAL,
	O_RECOVERY_KEY,
	O_FETCH_CERT,
	O_VALIDATE,
	O_REENCRYPT,
	O_ALLOW_EXPIRED,
	O_VERSION,
	O_IGNORED,
	O_CTL_NS,
	O_CTL_NAME,
	O_KUBECONFIG,
	O_CONTEXT,
	O_CLUSTER,
	O_USER,
	O_TOKEN,
	O_SERVER,
	O_INSECURE,
	O_CLUSTER_CERT,
	O_BACKUP_RCPT,
};

static const struct cli_opt seal_options[] = {
	{ "secret-file", 'f', required_argument, "FILE",
	  "input Secret(s) (default stdin; several documents allowed)" },
	{ "sealed-secret-file", 'w', required_argument, "FILE",
	  "output file, written only on success (.yaml/.yml: yaml)" },
	{ "format", 'o', required_argument, "json|yaml", "output format (default json)" },
	{ "namespace", 'n', required_argument, "NS", "the Secret's namespace" },
	{ "cert", O_CERT, required_argument, "FILE|URL",
	  "certificate to seal with (file, file://, http(s)://)" },
	{ "scope", O_SCOPE, required_argument, "SCOPE",
	  "strict|namespace-wide|cluster-wide (default: the Secret's annotations, else strict)" },
	{ "name", O_NAME, required_argument, "NAME", "the Secret's name" },
	{ "raw", O_RAW, no_argument, NULL,
	  "seal one value (stdin or --from-file) for --name/--namespace" },
	{ "from-file", O_FROM_FILE, required_argument, "[key=]FILE", "--raw: the value's file" },
	{ "merge-into", O_MERGE, required_argument, "FILE",
	  "seal into an existing SealedSecret (its scope and format)" },
	{ "allow-empty-data", O_ALLOW_EMPTY, no_argument, NULL, "allow Secrets without data" },
	{ "recovery-unseal", O_RECOVERY_UNSEAL, no_argument, NULL,
	  "decrypt offline with --recovery-private-key" },
	{ "recovery-private-key", O_RECOVERY_KEY, required_argument, "KEY[,KEY]",
	  "PEM, key Secret or List (repeatable)" },
	{ "fetch-cert", O_FETCH_CERT, no_argument, NULL, "print the certificate" },
	{ "validate", O_VALIDATE, no_argument, NULL,
	  "ask the controller whether it opens (offline: gitseal validate)" },
	{ "re-encrypt", O_REENCRYPT, no_argument, NULL,
	  "have the controller re-encrypt (offline: gitseal reseal)" },
	{ "rotate", O_REENCRYPT, no_argument, NULL, NULL },
	{ "allow-expired-cert", O_ALLOW_EXPIRED, no_argument, NULL,
	  "seal with an expired certificate" },
	{ "cluster-cert", O_CLUSTER_CERT, required_argument, "NAME=FILE|URL",
	  "seal for several clusters: one file each, -w with {cluster} (repeatable)" },
	{ "backup-recipient", O_BACKUP_RCPT, required_argument, "age1...",
	  "also write -w's FILE.age: the Secret age-encrypted to it (repeatable; off by default)" },
	{ "version", O_VERSION, no_argument, NULL, "print kubeseal's version line" },
	{ "help", 'h', no_argument, NULL, "this help" },
	/* the cluster connection (kubectl's flags); the others are accepted and ignored */
	{ "controller-namespace", O_CTL_NS, required_argument, "NS",
	  "the controller's namespace (kube-system)" },
	{ "controller-name", O_CTL_NAME, required_argument, "NAME",
	  "its service (sealed-secrets-controller)" },
	{ "kubeconfig", O_KUBECONFIG, required_argument, "FILE",
	  "kubeconfig (default $KUBECONFIG, ~/.kube/config)" },
	{ "context", O_CONTEXT, required_argument, "NAME", "kubeconfig context" },
	{ "cluster", O_CLUSTER, required_argument, "NAME", "kubeconfig cluster" },
	{ "user", O_USER, required_argument, "NAME", "kubeconfig user" },
	{ "token", O_TOKEN, required_argument, "TOKEN", "bearer token (blanked in argv)" },
	{ "server", O_SERVER, required_argument, "URL", "API server" },
	{ "insecure-skip-tls-verify", O_INSECURE, optional_argument, NULL,
	  "do not check the server's certificate" },
	{ "as", O_IGNORED, required_argument, NULL, NULL },
	{ "as-group", O_IGNORED, required_argument, NULL, NULL },
	{ "as-uid", O_IGNORED, required_argument, NULL, NULL },
	{ "certificate-authority", O_IGNORED, required_argument, NULL, NULL },
	{ "client-certificate", O_IGNORED, required_argument, NULL, NULL },
	{ "client-key", O_IGNORED, required_argument, NULL, NULL },
	{ "tls-server-name", O_IGNORED, required_argument, NULL, NULL },
	{ "request-timeout", O_IGNORED, required_argument, NULL, NULL },
	{ "username", O_IGNORED, required_argument, NULL, NULL },
	{ "password", O_IGNORED, required_argument, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_seal_spec = {
	.name = "seal",
	.usage = "[options] < secret.yaml > sealedsecret.json\n--raw --name NAME --namespace NS "
	         "[--from-file FILE] --cert FILE\n"
	         "--recovery-unseal --recovery-private-key KEY < sealed.json",
	.about = "Seal Kubernetes Secrets into SealedSecrets offline (kubeseal's flags, messages "
	         "and exit codes;\n"
	         "every flag also from env SEALED_SECRETS_<FLAG>). Linked as kubeseal, gitseal "
	         "behaves as it.",
	.opts = seal_options,
	.more = "Without --cert the certificate comes from the controller through the API server.\n"
	        "An explicit -o wins over the output file's extension (-w x.yaml writes YAML "
	        "otherwise).",
};

/* kubeseal reads every flag from env SEALED_SECRETS_<FLAG> too (pflagenv); command-line flags win.
 */
static int env_args(char ***out, int *outc, char ***made, int argc, char **argv)
{
	char **v, **m;
	int n = 0, i, nm = 0;
	if (!(v = calloc((size_t)argc + 2 * (sizeof(seal_options) / sizeof(seal_options[0])) + 1,
	                 sizeof(*v))))
		return gs_error(GS_ENOMEM, "out of memory");
	if (!(m = calloc(sizeof(seal_options) / sizeof(seal_options[0]) + 1, sizeof(*m)))) {
		free(v);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	*out = v;
	*made = m;
	v[n++] = argv[0];
	for (i = 0; seal_options[i].name; i++) {
		char env[96], *p;
		const char *val;
		snprintf(env, sizeof(env), "SEALED_SECRETS_%s", seal_options[i].name);
		for (p = env; *p; p++)
			*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
		if (!(val = getenv(env)) || !*val)
			continue;
		if (seal_options[i].has_arg == no_argument) {
			if (!strcmp(val, "true") || !strcmp(val, "1")) {
				if (asprintf(&v[n], "--%s", seal_options[i].name) < 0)
					return gs_error(GS_ENOMEM, "out of memory");
				m[nm++] = v[n++];
			}
		} else {
			if (asprintf(&v[n], "--%s=%s", seal_options[i].name, val) < 0)
				return gs_error(GS_ENOMEM, "out of memory");
			m[nm++] = v[n++];
		}
	}
	for (i = 1; i < argc; i++)
		v[n++] = argv[i];
	*outc = n;
	return 0;
}

struct seal_cli {
	const char *in, *out, *format, *ns, *cert, *scope_s, *name, *from_file, *merge;
	int raw, allow_empty, recovery, fetch_cert, validate, reencrypt, allow_expired, format_set;
	char **keys;
	size_t nkeys;
	struct seal_cluster cl;
	char **fleet, **backup; /* --cluster-cert, --backup-recipient */
	size_t nfleet, nbackup;
};

static int do_recovery(struct seal_cli *c, struct buf *out)
{
	struct keys_ring ring = KEYS_RING_INIT;
	struct doc_stream s = DOC_STREAM_INIT;
	struct buf text = BUF_INIT(BUF_MAX_FILE);
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	size_t i, found = 0;
	int rc, json;

	if (!c->nkeys) {
		rc = gs_error(GS_EINVAL, "--recovery-unseal requires --recovery-private-key");
		goto out;
	}
	if ((rc = seal_cli_load_keys(&ring, c->keys, c->nkeys, NULL, 0)) < 0 ||
	    (rc = seal_cli_read_docs(&s, &text, c->in, 0, &json)) < 0)
		goto out;
	for (i = 0; i < s.n; i++) {
		struct doc *sec = NULL;
		if (!s.docs[i])
			continue;
		uo.what = seal_cli_what(c->in, i, s.n);
		if ((rc = sealed_unseal(&sec, s.docs[i], &ring.set, &uo, NULL)) < 0)
			goto out;
		rc = seal_cli_emit(out, sec, strcmp(c->format, "yaml") != 0, 0);
		doc_free(sec);
		if (rc < 0)
			goto out;
		found++;
	}
	if (!found)
		rc = gs_error(GS_EPARSE, "no sealed secrets found in %s", c->in);
out:
	doc_stream_release(&s);
	buf_release(&text);
	keys_ring_release(&ring);
	return rc;
}

/* --cert FILE|URL, else the controller's /v1/cert.pem through the API server */
static int read_cert(struct seal_cli *c, struct buf *pem)
{
	return c->cert ? seal_cli_read_cert(pem, c->cert) : seal_cluster_cert(&c->cl, pem);
}

static int load_pubkey(struct seal_cli *c, struct sealed_pubkey **pk)
{
	struct buf pem = BUF_INIT(CERT_MAX);
	int rc;
	if ((rc = read_cert(c, &pem)) >= 0 &&
	    (rc = sealed_pubkey_from_pem(pk, pem.p, pem.len, c->cert ? c->cert : "cert.pem")) >=
	        0) {
		if (!c->allow_expired && (rc = sealed_pubkey_check_expiry(*pk, time(NULL))) < 0) {
			sealed_pubkey_free(*pk);
			*pk = NULL;
		}
	}
	buf_release(&pem);
	return rc;
}

static int do_raw(struct seal_cli *c, struct sealed_pubkey *pk, struct buf *out)
{
	struct buf val = BUF_INIT_SECRET(BUF_MAX_FILE), label = BUF_INIT(4096);
	int scope = sealed_scope_parse(c->scope_s);
	const char *file = c->from_file;
	int rc;

	if (scope == SEALED_SCOPE_DEFAULT)
		scope = SEALED_STRICT;
	if (scope != SEALED_CLUSTER_WIDE && (!c->ns || !*c->ns))
		return gs_error(GS_EINVAL,
		                "must provide the --namespace flag with --raw and --scope %s",
		                sealed_scope_name(scope));
	if (scope == SEALED_STRICT && (!c->name || !*c->name))
		return gs_error(GS_EINVAL,
		                "must provide the --name flag with --raw and --scope strict");
	if (file && strchr(file, '='))
		file = strchr(file, '=') + 1; /* [key=]path: the key is not used in raw mode */
	if ((rc = file_read(&val, file ? file : "-")) < 0 ||
	    (rc = sealed_label(&label, scope, c->ns, c->name)) < 0 ||
	    (rc = sealed_encrypt_item(out, pk, label.p, label.len, val.p, val.len)) < 0)
		goto out;
out:
	buf_release(&val);
	buf_release(&label);
	return rc;
}

static int do_merge(struct seal_cli *c, struct sealed_pubkey *pk)
{
	struct doc_stream in = DOC_STREAM_INIT, into = DOC_STREAM_INIT;
	struct buf itext = BUF_INIT_SECRET(BUF_MAX_FILE), mtext = BUF_INIT(BUF_MAX_FILE),
	           out = BUF_INIT(BUF_MAX_FILE);
	struct sealed_seal_opts so = SEALED_SEAL_OPTS_INIT;
	int rc, ijson, mjson;
	size_t i;

	if ((rc = seal_cli_read_docs(&in, &itext, c->in, DOC_PARSE_SECRET, &ijson)) < 0 ||
	    (rc = seal_cli_read_docs(&into, &mtext, c->merge, 0, &mjson)) < 0)
		goto out;
	if (into.n != 1 || !into.docs[0]) {
		rc = gs_error(GS_EPARSE, "%s: expected exactly one SealedSecret", c->merge);
		goto out;
	}
	so.allow_empty_data = c->allow_empty;
	{
		int want = sealed_scope_parse(c->scope_s), have = sealed_scope_of(into.docs[0]);
		if (want > SEALED_SCOPE_DEFAULT && want != have)
			fprintf(stderr,
			        "warning: --scope %s ignored: %s is %s, its items must open with "
			        "one label\n",
			        c->scope_s, c->merge, sealed_scope_name(have));
	}
	for (i = 0; i < in.n; i++) {
		if (!in.docs[i])
			continue;
		so.what = seal_cli_what(c->in, i, in.n);
		if ((rc = sealed_merge_into(into.docs[0], in.docs[i], pk, &so)) < 0)
			goto out;
	}
	/* the file keeps its own format (kubeseal rewrote YAML as JSON unless -o yaml) */
	if ((rc = seal_cli_emit(&out, into.docs[0], mjson, !strncmp(mtext.p, "---", 3))) < 0 ||
	    (rc = file_write_atomic(c->merge, out.p, out.len, 0644, 1)) < 0)
		goto out;
out:
	doc_stream_release(&in);
	doc_stream_release(&into);
	buf_release(&itext);
	buf_release(&mtext);
	buf_release(&out);
	return rc;
}

/* kubeseal --validate / --re-encrypt: one POST per document to the controller. */
static int do_cluster(struct seal_cli *c, struct buf *out)
{
	struct doc_stream s = DOC_STREAM_INIT;
	struct buf text = BUF_INIT(BUF_MAX_FILE), resp = BUF_INIT((size_t)16 << 20);
	size_t i, n = 0;
	int rc, json;
	long status;

	if ((rc = seal_cli_read_docs(&s, &text, c->in, 0, &json)) < 0)
		goto out;
	for (i = 0; i < s.n; i++) {
		const char *name;
		struct doc *rot = NULL;
		if (!s.docs[i])
			continue;
		name = doc_k8s_name(s.docs[i]) ? doc_k8s_name(s.docs[i]) : "";
		buf_reset(&resp);
		rc = seal_cluster_post(&c->cl, c->validate ? "/v1/verify" : "/v1/rotate", s.docs[i],
		                       &resp, &status);
		if (status == 409) {
			rc = c->validate
			         ? gs_error(GS_EAUTH, "unable to decrypt sealed secret: %s", name)
			         : gs_error(GS_EAUTH, "unable to rotate secret");
			goto out;
		}
		if (rc < 0) {
			gs_error_prefix(rc, c->validate ? "cannot validate sealed secret"
			                                : "cannot re-encrypt secret");
			goto out;
		}
		n++;
		if (c->validate)
			continue;
		if ((rc = doc_parse_one(&rot, "rotate response", resp.p, resp.len,
		                        DOC_PARSE_JSON)) < 0)
			goto out;
		/* kubeseal clears these on the re-encrypted object */
		doc_del(doc_get(rot, "metadata"), "creationTimestamp");
		doc_del(doc_get(rot, "metadata"), "deletionTimestamp");
		doc_del(doc_get(rot, "metadata"), "generation");
		rc = seal_cli_emit(out, rot, c->format_set ? !strcmp(c->format, "json") : json != 0,
		                   1);
		doc_free(rot);
		if (rc < 0)
			goto out;
	}
	if (!n)
		rc = gs_error(GS_EPARSE, "no sealed secrets found in %s", c->in);
out:
	doc_stream_release(&s);
	buf_release(&text);
	buf_release(&resp);
	return rc;
}

/* The API server refuses a Secret whose data is over 1 MiB: say so before it is committed. */
static void warn_size(const struct doc *secret, const char *what)
{
	size_t size = sealed_secret_data_size(secret);
	const char *ns = doc_k8s_namespace(secret), *name = doc_k8s_name(secret);
	if (size > SEALED_SECRET_MAX_DATA)
		fprintf(stderr,
		        "warning: %s: Secret %s%s%s holds %zu bytes of data, over Kubernetes' 1 "
		        "MiB limit "
		        "(%d bytes): the controller will not be able to create it\n",
		        what, ns ? ns : "", ns ? "/" : "", name ? name : "", size,
		        SEALED_SECRET_MAX_DATA);
}

static int do_seal(struct seal_cli *c, struct sealed_pubkey *pk, struct buf *out)
{
	struct doc_stream s = DOC_STREAM_INIT;
	struct buf text = BUF_INIT_SECRET(BUF_MAX_FILE);
	struct sealed_seal_opts so = SEALED_SEAL_OPTS_INIT;
	size_t i, n = 0;
	int rc, json;

	so.scope = sealed_scope_parse(c->scope_s);
	so.name = c->name;
	so.namespace = c->ns;
	so.allow_empty_data = c->allow_empty;
	if ((rc = seal_cli_read_docs(&s, &text, c->in, DOC_PARSE_SECRET, &json)) < 0)
		goto out;
	for (i = 0; i < s.n; i++) /* a Secret without namespace gets the kubeconfig's (kubeseal) */
		if (s.docs[i] && !(c->ns && *c->ns) && !doc_k8s_namespace(s.docs[i]))
			so.default_namespace = seal_cluster_namespace(&c->cl);
	for (i = 0; i < s.n; i++) {
		struct doc *ss = NULL;
		if (!s.docs[i])
			continue; /* empty documents are skipped */
		so.what = seal_cli_what(c->in, i, s.n);
		warn_size(s.docs[i], so.what);
		if ((rc = sealed_seal_secret(&ss, s.docs[i], pk, &so)) < 0)
			goto out;
		rc = seal_cli_emit(out, ss, strcmp(c->format, "yaml") != 0, 1);
		doc_free(ss);
		if (rc < 0)
			goto out;
		n++;
	}
	if (!n)
		rc = gs_error(GS_EPARSE,
		              "no secrets found. Ensure the input is valid and UTF-8 encoded");
out:
	doc_stream_release(&s);
	buf_release(&text);
	return rc;
}

int cmd_seal(int argc, char **argv)
{
	struct cli_getopt g;
	struct seal_cli c = { 0 };
	struct sealed_pubkey *pk = NULL;
	struct buf out = BUF_INIT_SECRET(BUF_MAX_FILE);
	char **av = NULL, **made = NULL, *token = NULL;
	int ac = 0, opt, rc = 0, ret = 1;
	mode_t mode = 0644;

	c.in = "-";
	c.format = "json";
	if (env_args(&av, &ac, &made, argc, argv) < 0 ||
	    !(c.keys = calloc((size_t)ac + 1, sizeof(*c.keys))) ||
	    !(c.fleet = calloc((size_t)ac + 1, sizeof(*c.fleet))) ||
	    !(c.backup = calloc((size_t)ac + 1, sizeof(*c.backup)))) {
		ret = cli_die_last(NULL);
		goto done;
	}
	cli_getopt_init(&g, seal_options);
	optind = 1;
	while ((opt = getopt_long(ac, av, g.shortopts, g.longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': c.in = optarg; break;
		case 'w': c.out = optarg; break;
		case 'o':
			c.format = optarg;
			c.format_set = 1;
			break;
		case 'n': c.ns = c.cl.ov.ns = optarg; break;
		case O_CERT: c.cert = optarg; break;
		case O_SCOPE: c.scope_s = optarg; break;
		case O_NAME: c.name = optarg; break;
		case O_RAW: c.raw = 1; break;
		case O_FROM_FILE:
			if (c.from_file) {
				fprintf(stderr,
				        "error: only one --from-file may be given with --raw\n");
				goto done;
			}
			c.from_file = optarg;
			break;
		case O_MERGE: c.merge = optarg; break;
		case O_ALLOW_EMPTY: c.allow_empty = 1; break;
		case O_RECOVERY_UNSEAL: c.recovery = 1; break;
		case O_RECOVERY_KEY: c.keys[c.nkeys++] = optarg; break;
		case O_FETCH_CERT: c.fetch_cert = 1; break;
		case O_VALIDATE: c.validate = 1; break;
		case O_REENCRYPT: c.reencrypt = 1; break;
		case O_ALLOW_EXPIRED: c.allow_expired = 1; break;
		case O_VERSION:
			printf("kubeseal version: %s\ngitseal version %s\n", CLI_KUBESEAL_VERSION,
			       GITSEAL_VERSION);
			ret = 0;
			goto done;
		case O_CTL_NS: c.cl.ctl_ns = optarg; break;
		case O_CTL_NAME: c.cl.ctl_name = optarg; break;
		case O_KUBECONFIG: c.cl.ov.kubeconfig = optarg; break;
		case O_CONTEXT: c.cl.ov.context = optarg; break;
		case O_CLUSTER: c.cl.ov.cluster = optarg; break;
		case O_USER: c.cl.ov.user = optarg; break;
		case O_TOKEN:
			/* a secret in argv: keep a copy, blank the original (curl's cleanarg) */
			free(token);
			if (!(token = strdup(optarg))) {
				ret = cli_die_last(NULL);
				goto done;
			}
			gs_wipe(optarg, strlen(optarg));
			c.cl.ov.token = token;
			break;
		case O_SERVER: c.cl.ov.server = optarg; break;
		case O_INSECURE:
			c.cl.ov.insecure_skip_tls_verify = !optarg || !strcmp(optarg, "true");
			break;
		case O_IGNORED: break;
		case O_CLUSTER_CERT: c.fleet[c.nfleet++] = optarg; break;
		case O_BACKUP_RCPT: c.backup[c.nbackup++] = optarg; break;
		case 'h':
			cli_usage(stdout, &cmd_seal_spec);
			ret = 0;
			goto done;
		default:
			cli_usage(stderr, &cmd_seal_spec);
			ret = 2;
			goto done;
		}
	}
	if (optind < ac) {
		fprintf(stderr, "error: unexpected argument '%s' (input comes from stdin or -f)\n",
		        av[optind]);
		ret = 2;
		goto done;
	}
	if (strcmp(c.format, "json") && strcmp(c.format, "yaml")) {
		fprintf(stderr, "error: unsupported output format: %s\n", c.format);
		goto done;
	}
	/* the file's extension chooses only when -o did not (kubeseal: -o, default json) */
	if (c.out && !c.format_set && seal_cli_is_yaml_name(c.out))
		c.format = "yaml";
	if (sealed_scope_parse(c.scope_s) < 0) {
		fprintf(stderr,
		        "error: invalid --scope '%s': strict, namespace-wide or cluster-wide\n",
		        c.scope_s);
		goto done;
	}
	if (c.from_file && !c.raw) {
		fprintf(stderr, "error: --from-file requires --raw\n");
		goto done;
	}
	if (c.nfleet || c.nbackup) {
		struct seal_fleet_opts fo;
		if (c.nfleet && c.cert) {
			fprintf(stderr, "error: --cluster-cert and --cert: one or the other\n");
			goto done;
		}
		if (c.recovery || c.validate || c.reencrypt || c.fetch_cert || c.raw || c.merge) {
			fprintf(stderr,
			        "error: --cluster-cert and --backup-recipient only seal Secrets "
			        "(not with --raw, --merge-into, --recovery-unseal, --validate, "
			        "--re-encrypt, --fetch-cert)\n");
			goto done;
		}
		memset(&fo, 0, sizeof(fo));
		fo.in = c.in;
		fo.out = c.out;
		fo.yaml = !strcmp(c.format, "yaml");
		fo.so.scope = sealed_scope_parse(c.scope_s);
		fo.so.name = c.name;
		fo.so.namespace = c.ns;
		fo.so.allow_empty_data = c.allow_empty;
		fo.so.default_namespace = c.ns && *c.ns ? NULL : seal_cluster_namespace(&c.cl);
		fo.allow_expired = c.allow_expired;
		fo.clusters = c.fleet;
		fo.nclusters = c.nfleet;
		fo.backup = c.backup;
		fo.nbackup = c.nbackup;
		if (!c.nfleet && (rc = load_pubkey(&c, &pk)) < 0) {
			cli_die_last(NULL);
			goto done;
		}
		fo.pk = pk;
		if (seal_fleet(&fo) < 0) {
			cli_die_last(NULL);
			goto done;
		}
		ret = 0;
		goto done;
	}
	if (c.recovery) {
		mode = 0600; /* plaintext Secret */
		rc = do_recovery(&c, &out);
	} else if (c.validate || c.reencrypt) {
		rc = do_cluster(&c, &out);
		/* kubeseal --re-encrypt with only -f writes back into that file (#405) */
		if (c.reencrypt && !c.out && strcmp(c.in, "-"))
			c.out = c.in;
	} else if (c.fetch_cert) {
		struct buf pem = BUF_INIT(CERT_MAX);
		if ((rc = read_cert(&c, &pem)) >= 0)
			rc = buf_add(&out, pem.p, pem.len);
		buf_release(&pem);
	} else if ((rc = load_pubkey(&c, &pk)) < 0) {
		/* message set */
	} else if (c.merge) {
		rc = do_merge(&c, pk);
		if (rc >= 0) {
			ret = 0;
			goto done;
		}
	} else if (c.raw) {
		rc = do_raw(&c, pk, &out);
	} else {
		rc = do_seal(&c, pk, &out);
	}
	if (rc < 0) {
		cli_die_last(NULL);
		goto done;
	}
	if (c.validate) { /* kubeseal prints nothing when every document verifies */
		ret = 0;
		goto done;
	}
	if (file_write_atomic(c.out ? c.out : "-", out.p, out.len, mode, 1) < 0) {
		cli_die_last(NULL);
		goto done;
	}
	ret = 0;
done:
	seal_cluster_release(&c.cl);
	gs_free_secret_str(token);
	sealed_pubkey_free(pk);
	buf_release(&out);
	free(c.keys);
	free(c.fleet);
	free(c.backup);
	for (opt = 0; made && made[opt]; opt++)
		free(made[opt]); /* the arguments made from the environment */
	free(made);
	free(av);
	return ret;
}
