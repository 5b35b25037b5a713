/*
 * gitseal keys backup / restore: every sealing-key Secret of the controller's
 * namespace to one file and back (upstream's FAQ does this with kubectl and
 * gets it wrong in two ways: plaintext private keys on disk, and a restore
 * after the controller started leaves an extra key). Here:
 *   backup   the key Secrets (label sealedsecrets.bitnami.com/sealed-secrets-key,
 *            any value, plus the legacy Secret named like --key-prefix) as one
 *            v1 List, age-encrypted to every -r RECIPIENT; plaintext (0600, with
 *            a warning) without one. `gitseal unseal --key` reads the plaintext
 *            List as it is.
 *            The cluster's age identities (label gitseal.dev/age-identity) and the
 *            source-record key (label gitseal.dev/source-record-key) come along.
 *   restore  creates the Secrets that are not there (never a new key); an
 *            existing Secret with the same name is left alone. gitseal-controller
 *            loads restored keys as they appear, without a restart.
 * No crypto here: age is sealer/age.h, the cluster is lib/kube.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"
#include "cli/cmd_seal.h"
#include "core/file.h"
#include "doc/doc.h"
#include "keys/keys.h"
#include "kube/kube.h"
#include "sealer/age/age.h"

#define BACKUP_MAX ((size_t)64 << 20)
#define MAX_RCPTS 64

struct kb_opts {
	struct kube_overrides ov;
	const char *ctl_ns;
	const char *prefix;
	const char *out;
	const char *in;
	const char *rcpts[MAX_RCPTS];
	size_t nrcpts;
	char *ids[MAX_RCPTS];
	size_t nids;
	int armor;
};

enum { O_KUBECONFIG = 256, O_CONTEXT, O_CTL_NS, O_PREFIX };

static const struct cli_opt kb_options[] = {
	{ "output", 'o', required_argument, "FILE", "backup: write there (default stdout)" },
	{ "file", 'f', required_argument, "FILE", "restore: read there (default stdin)" },
	{ "recipient", 'r', required_argument, "age1...",
	  "backup: encrypt to this age recipient (repeatable)" },
	{ "identity", 'i', required_argument, "FILE",
	  "restore: age identity file of an encrypted backup" },
	{ "armor", 'a', no_argument, NULL, "backup: ASCII-armored age file" },
	{ "kubeconfig", O_KUBECONFIG, required_argument, "FILE", "kubeconfig" },
	{ "context", O_CONTEXT, required_argument, "NAME", "kubeconfig context" },
	{ "controller-namespace", O_CTL_NS, required_argument, "NS",
	  "where the keys live (default kube-system)" },
	{ "key-prefix", O_PREFIX, required_argument, "PREFIX",
	  "the legacy single key's name (default sealed-secrets-key)" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const char *const backup_only[] = { "output",     "recipient", "armor",
	                                   "kubeconfig", "context",   "controller-namespace",
	                                   "key-prefix", "help",      NULL };
static const char *const restore_only[] = {
	"file",       "identity", "kubeconfig", "context", "controller-namespace",
	"key-prefix", "help",     NULL
};

const struct cli_spec keys_cmd_backup_spec = {
	.name = "keys backup",
	.usage = "[-o FILE] [-r RECIPIENT]... [-a] [--controller-namespace NS]",
	.about =
	    "Every sealing-key Secret of the controller's namespace into one file (a v1 List),\n"
	    "age-encrypted to each -r age1... recipient (-a: armored); without -r it is plaintext\n"
	    "(mode 0600) and a warning says so. gitseal unseal --key reads it.",
	.opts = kb_options,
	.only = backup_only,
};

const struct cli_spec keys_cmd_restore_spec = {
	.name = "keys restore",
	.usage = "[-f FILE] [-i IDENTITY]... [--controller-namespace NS]",
	.about = "Create the key Secrets of a backup that are not in the cluster (-i: age identity "
	         "file of\n"
	         "an encrypted backup); existing ones are left alone, no key is made.",
	.opts = kb_options,
	.only = restore_only,
};

static int kb_parse(struct kb_opts *o, int argc, char **argv, const struct cli_spec *spec)
{
	struct cli_getopt g;
	int c;
	memset(o, 0, sizeof(*o));
	o->ctl_ns = "kube-system";
	o->prefix = KEYS_PREFIX;
	o->out = "-";
	o->in = "-";
	cli_getopt_init(&g, kb_options);
	optind = 1;
	while ((c = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'f': o->in = optarg; break;
		case 'a': o->armor = 1; break;
		case 'r':
			if (o->nrcpts == MAX_RCPTS) {
				fprintf(stderr, "error: too many recipients\n");
				return 2;
			}
			o->rcpts[o->nrcpts++] = optarg;
			break;
		case 'i':
			if (o->nids == MAX_RCPTS) {
				fprintf(stderr, "error: too many identities\n");
				return 2;
			}
			o->ids[o->nids++] = optarg;
			break;
		case O_KUBECONFIG: o->ov.kubeconfig = optarg; break;
		case O_CONTEXT: o->ov.context = optarg; break;
		case O_CTL_NS: o->ctl_ns = optarg; break;
		case O_PREFIX: o->prefix = optarg; break;
		case 'h': cli_usage(stdout, spec); return -1;
		default: cli_usage(stderr, spec); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* The Secret as a backup holds it: no server fields. */
static struct doc *clean_secret(const struct doc *s)
{
	static const char *const drop[] = { "uid",
		                            "resourceVersion",
		                            "selfLink",
		                            "generation",
		                            "creationTimestamp",
		                            "managedFields",
		                            "ownerReferences",
		                            "deletionTimestamp",
		                            "deletionGracePeriodSeconds",
		                            "generateName" };
	struct doc *c = doc_clone(s), *meta = doc_get(c, "metadata");
	size_t i;
	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		doc_del(meta, drop[i]);
	doc_set(c, "apiVersion", doc_new_strz("v1"));
	doc_set(c, "kind", doc_new_strz("Secret"));
	return c;
}

static int is_key_secret(const struct doc *s)
{
	const char *t = doc_str(doc_get(s, "type"));
	return t && !strcmp(t, "kubernetes.io/tls") && doc_getp(s, "data", "tls.key", NULL);
}

static int do_backup(struct kb_opts *o)
{
	struct kube_client *kc = NULL;
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	struct doc *list = NULL, *legacy = NULL, *out = NULL, *items = NULL, *rec = NULL,
	           *agel = NULL;
	struct buf yaml = BUF_INIT_SECRET(BACKUP_MAX), enc = BUF_INIT(BACKUP_MAX);
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	struct age_recipient *rc_[MAX_RCPTS] = { NULL };
	size_t i, n = 0, nage = 0;
	int rc = 1;

	for (i = 0; i < o->nrcpts; i++)
		if (age_recipient_parse(&rc_[i], o->rcpts[i]) < 0) {
			cli_die_last(NULL);
			goto out;
		}
	if (kube_client_from_env(&kc, &o->ov, NULL) < 0) {
		cli_die_last(NULL);
		goto out;
	}
	lo.label_selector = KEYS_LABEL;
	if (kube_list(&list, kc, "v1", "Secret", o->ctl_ns, &lo) < 0) {
		cli_die_last("cannot list the key Secrets");
		goto out;
	}
	lo.label_selector = KEYS_RECORD_LABEL;
	if (kube_list(&rec, kc, "v1", "Secret", o->ctl_ns, &lo) < 0) {
		cli_die_last("cannot list the source-record key Secret");
		goto out;
	}
	lo.label_selector = KEYS_AGE_LABEL;
	if (kube_list(&agel, kc, "v1", "Secret", o->ctl_ns, &lo) < 0) {
		cli_die_last("cannot list the age identity Secrets");
		goto out;
	}
	if (kube_get(&legacy, kc, "v1", "Secret", o->ctl_ns, o->prefix) < 0 &&
	    gs_error_code() != GS_ENOTFOUND) {
		cli_die_last(NULL);
		goto out;
	}
	if (!(out = doc_new_map()) || !(items = doc_new_seq())) {
		fprintf(stderr, "error: out of memory\n");
		goto out;
	}
	doc_set(out, "apiVersion", doc_new_strz("v1"));
	doc_set(out, "kind", doc_new_strz("List"));
	for (i = 0; i < doc_len(doc_get(list, "items")); i++) {
		const struct doc *s = doc_val_at(doc_get(list, "items"), i);
		if (is_key_secret(s)) {
			doc_push(items, clean_secret(s));
			n++;
		}
	}
	for (i = 0; i < doc_len(doc_get(rec, "items")); i++) /* not a sealing key: not counted */
		doc_push(items, clean_secret(doc_val_at(doc_get(rec, "items"), i)));
	if (legacy && is_key_secret(legacy) &&
	    !doc_getp(legacy, "metadata", "labels", KEYS_LABEL, NULL)) {
		doc_push(items, clean_secret(legacy));
		n++;
	}
	for (i = 0; i < doc_len(doc_get(agel, "items")); i++) {
		doc_push(items, clean_secret(doc_val_at(doc_get(agel, "items"), i)));
		nage++;
	}
	doc_set(out, "items", items);
	items = NULL;
	if (!n && !nage) {
		fprintf(stderr, "error: no sealing-key Secrets in namespace %s\n", o->ctl_ns);
		goto out;
	}
	if (doc_emit_yaml(&yaml, out, &eo) < 0) {
		cli_die_last(NULL);
		goto out;
	}
	if (o->nrcpts) {
		if (age_encrypt_buf(&enc, yaml.p, yaml.len, rc_, o->nrcpts, o->armor) < 0 ||
		    file_write_atomic(o->out, enc.p, enc.len, 0600, 0) < 0) {
			cli_die_last(NULL);
			goto out;
		}
	} else {
		fprintf(stderr, "warning: the backup holds the private keys in plaintext: keep it "
		                "safe, or encrypt it "
		                "with -r RECIPIENT\n");
		if (file_write_atomic(o->out, yaml.p, yaml.len, 0600, 0) < 0) {
			cli_die_last(NULL);
			goto out;
		}
	}
	fprintf(stderr, "%zu key%s backed up from namespace %s", n, n == 1 ? "" : "s", o->ctl_ns);
	if (nage)
		fprintf(stderr, ", %zu age identit%s", nage, nage == 1 ? "y" : "ies");
	fputc('\n', stderr);
	rc = 0;
out:
	for (i = 0; i < o->nrcpts; i++)
		age_recipient_free(rc_[i]);
	doc_free(list);
	doc_free(rec);
	doc_free(agel);
	doc_free(legacy);
	doc_free(out);
	doc_free(items);
	buf_release(&yaml);
	buf_release(&enc);
	kube_client_free(kc);
	return rc;
}

static int do_restore(struct kb_opts *o)
{
	struct buf text = BUF_INIT_SECRET(BACKUP_MAX), ids = BUF_INIT_SECRET(BACKUP_MAX);
	struct doc_stream s = DOC_STREAM_INIT;
	struct kube_client *kc = NULL;
	struct keys_ring ring = KEYS_RING_INIT;
	size_t i, j, created = 0, kept = 0, age_created = 0, age_kept = 0;
	int rc = 1;

	keys_ring_init(&ring);
	if (seal_cli_read_key_file(&text, o->in, o->ids, o->nids) < 0 ||
	    doc_parse(&s, o->in, text.p, text.len, DOC_PARSE_SECRET, NULL) < 0) {
		cli_die_last(NULL);
		goto out;
	}
	/* every key must parse before anything is written */
	for (i = 0; i < s.n; i++)
		if (s.docs[i] && keys_ring_add_doc(&ring, s.docs[i], o->in) < 0) {
			cli_die_last(NULL);
			goto out;
		}
	if (keys_age_load_text(&ids, text.p, text.len, o->in) < 0) { /* they must parse too */
		cli_die_last(NULL);
		goto out;
	}
	if (!ring.n) {
		fprintf(stderr, "error: %s: no sealing keys in the backup\n", o->in);
		goto out;
	}
	if (kube_client_from_env(&kc, &o->ov, NULL) < 0) {
		cli_die_last(NULL);
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		const struct doc *d = s.docs[i], *items = doc_get(d, "items");
		size_t n = items ? doc_len(items) : 1;
		for (j = 0; j < n; j++) {
			const struct doc *sec = items ? doc_val_at(items, j) : d;
			struct doc *c = clean_secret(sec), *live = NULL;
			int r, age = keys_is_age_secret(sec);
			doc_set(doc_get(c, "metadata"), "namespace", doc_new_strz(o->ctl_ns));
			r = kube_create(&live, kc, c, NULL);
			if (r == GS_ECONFLICT) {
				fprintf(stderr, "%s/%s exists: left as it is\n", o->ctl_ns,
				        doc_k8s_name(c));
				gs_error_clear();
				if (!keys_is_record_secret(c)) /* the record key is not counted */
					*(age ? &age_kept : &kept) += 1;
			} else if (r < 0) {
				cli_die_last(doc_k8s_name(c));
				doc_free(c);
				goto out;
			} else {
				fprintf(stderr, "%s/%s restored\n", o->ctl_ns, doc_k8s_name(c));
				if (!keys_is_record_secret(c))
					*(age ? &age_created : &created) += 1;
			}
			doc_free(live);
			doc_free(c);
		}
	}
	fprintf(stderr, "%zu key%s restored, %zu already there", created, created == 1 ? "" : "s",
	        kept);
	if (age_created + age_kept)
		fprintf(stderr, "; %zu age identit%s restored, %zu already there", age_created,
		        age_created == 1 ? "y" : "ies", age_kept);
	fputc('\n', stderr);
	rc = 0;
out:
	keys_ring_release(&ring);
	doc_stream_release(&s);
	buf_release(&text);
	buf_release(&ids);
	kube_client_free(kc);
	return rc;
}

int keys_cmd_backup(int argc, char **argv)
{
	struct kb_opts o;
	int rc = kb_parse(&o, argc, argv, &keys_cmd_backup_spec);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.nids) {
		fprintf(stderr, "error: -i is for restore\n");
		return 2;
	}
	return do_backup(&o);
}

int keys_cmd_restore(int argc, char **argv)
{
	struct kb_opts o;
	int rc = kb_parse(&o, argc, argv, &keys_cmd_restore_spec);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.nrcpts) {
		fprintf(stderr, "error: -r is for backup\n");
		return 2;
	}
	return do_restore(&o);
}
