/*
 * gitseal keys retire KEY: take a sealing key or age identity out of the cluster once nothing
 * needs it. KEY is the key Secret's name, a fingerprint (SHA256:..., or enough of it to be
 * unique) or an age recipient. The controller says what still needs the key (/v1/keys): while
 * a SealedSecret does (or the count is not complete, or SOPS usage is unknown), retire refuses
 * and names them; --force overrides with a warning. Retiring first writes the key Secret,
 * age-encrypted to the -r recipients as `keys backup` does, to -o FILE (`keys restore -f FILE`
 * puts it back; `gitseal unseal --key FILE -i ID` opens with it), then deletes the Secret; the
 * controller's key watch unloads it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"
#include "core/file.h"
#include "doc/doc.h"
#include "keys/keys.h"
#include "sealer/age/age.h"

#define MAX_RCPTS 64
#define RETIRE_MAX ((size_t)16 << 20)

enum { O_FORCE = 256 };

static const struct cli_opt retire_options[] = {
	{ "output", 'o', required_argument, "FILE",
	  "write the key's Secret there first (required)" },
	{ "recipient", 'r', required_argument, "age1...",
	  "encrypt that copy to this age recipient (repeatable)" },
	{ "armor", 'a', no_argument, NULL, "an ASCII-armored age file" },
	{ "force", O_FORCE, no_argument, NULL,
	  "retire even while something may need the key (a warning says what)" },
	KEYS_CLUSTER_OPTS,
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal keys retire KEY -o FILE [-r RECIPIENT]... [-a] [--force] "
	           "[--controller-namespace NS]\n\n"
	           "KEY: the key Secret's name, a fingerprint (SHA256:...) or an age recipient "
	           "(gitseal keys list).\nRefuses while something still needs the key.\n\n");
	cli_opt_help(f, retire_options);
}

/* The entry of /v1/keys that KEY names; *age set for an identity. */
static int find_key(const struct doc **out, int *age, const struct doc *st, const char *key)
{
	static const char *const tables[] = { "rsa", "age" };
	size_t t, i, hits = 0, kl = strlen(key);
	*out = NULL;
	for (t = 0; t < 2; t++) {
		const struct doc *list = doc_get(st, tables[t]);
		for (i = 0; i < doc_len(list); i++) {
			const struct doc *k = doc_val_at(list, i);
			const char *name = doc_str(doc_get(k, "name"));
			const char *id = doc_str(doc_get(k, t ? "recipient" : "fingerprint"));
			int exact = (name && !strcmp(name, key)) || (id && !strcmp(id, key));
			int prefix = id && kl >= 8 && !strncmp(id, key, kl);
			if (!exact && !prefix)
				continue;
			if (exact) {
				*out = k;
				*age = (int)t;
				return 0;
			}
			*out = k;
			*age = (int)t;
			hits++;
		}
	}
	if (hits == 1)
		return 0;
	*out = NULL;
	return gs_error(hits ? GS_EINVAL : GS_ENOTFOUND,
	                hits ? "key '%s' is ambiguous: give more of it"
	                     : "no key '%s' in the "
	                       "controller's list "
	                       "(gitseal keys list)",
	                key);
}

/* "3 SealedSecrets still need it: a/x, b/y and 1 more (how to fix)" */
static void still_needed(struct buf *why, long long n, const char *what, const char *of,
                         const struct doc *names, long long more, const char *fix)
{
	size_t i;
	buf_addf(why, "%lld %s%s%s still need%s it:", n, what, n == 1 ? "" : "s", of,
	         n == 1 ? "s" : "");
	for (i = 0; i < doc_len(names); i++)
		buf_addf(why, "%s %s", i ? "," : "", doc_str(doc_val_at(names, i)));
	if (more)
		buf_addf(why, " and %lld more", more);
	buf_addf(why, " (%s)", fix);
}

/* Why an age identity must not go (the Application reconciler's count); NULL when nothing
 * needs it. */
static const char *age_needed(struct buf *why, const struct doc *st, const struct doc *k)
{
	const struct doc *apps = doc_get(k, "applications");
	long long needed = 0, objects = 0, uncounted = 0, more = 0;
	int complete = 0;

	if (doc_get_int(doc_get(k, "sopsNeeded"), &needed) < 0 ||
	    doc_get_int(doc_get(k, "sopsObjects"), &objects) < 0) {
		buf_adds(why,
		         "the controller that answered does not count SOPS objects (it does not "
		         "lead the Applications, or runs none): what needs the key is not known "
		         "there; try again, or check that gitseal rotate re-encrypted every file");
		return why->p;
	}
	doc_get_bool(doc_get(st, "sopsComplete"), &complete);
	doc_get_int(doc_get(st, "sopsUncounted"), &uncounted);
	doc_get_int(doc_get(k, "moreApplications"), &more);
	if (needed > 0)
		still_needed(why, needed, "SOPS object", " of Applications", apps, more,
		             "gitseal rotate re-encrypts them to the newest recipient");
	else if (!complete)
		buf_addf(why,
		         "the controller has not built every Application yet (%lld to go): try "
		         "again shortly",
		         uncounted);
	return why->len ? why->p : NULL;
}

/* Why it must not go; NULL when nothing needs it. */
static const char *needed(struct buf *why, const struct doc *st, const struct doc *k, int age)
{
	const char *status = doc_str(doc_get(k, "status"));
	const struct doc *users = doc_get(k, "users");
	long long n = 0, more = 0, unknown = 0;
	int leader = 0, complete = 0;

	if (status && !strcmp(status, "sealing"))
		buf_addf(why,
		         "it is the newest: new secrets are %s to it (gitseal keys renew "
		         "first)",
		         age ? "encrypted" : "sealed");
	if (why->len)
		return why->p;
	if (age)
		return age_needed(why, st, k);
	doc_get_bool(doc_get(st, "leader"), &leader);
	doc_get_bool(doc_get(st, "complete"), &complete);
	doc_get_int(doc_get(k, "sealedSecrets"), &n);
	doc_get_int(doc_get(k, "moreUsers"), &more);
	doc_get_int(doc_get(st, "unknown"), &unknown);
	if (!leader)
		buf_adds(why, "the controller that answered does not unseal (a follower): what "
		              "needs the key is not known there; try again");
	else if (n > 0)
		still_needed(why, n, "SealedSecret", "", users, more,
		             "gitseal rotate re-seals them");
	else if (!complete)
		buf_addf(why,
		         "the controller has not counted every SealedSecret yet (%lld to go): "
		         "try again shortly",
		         unknown);
	return why->len ? why->p : NULL;
}

int keys_cmd_retire(int argc, char **argv)
{
	struct cli_getopt g;
	struct seal_cluster c;
	struct doc *st = NULL, *sec = NULL, *list = NULL, *items = NULL, *copy;
	struct buf why = BUF_INIT(1 << 16), yaml = BUF_INIT_SECRET(RETIRE_MAX),
	           enc = BUF_INIT(RETIRE_MAX);
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	struct kube_delete_opts dopt = { NULL, -1, 0, NULL, NULL };
	struct age_recipient *rcpts[MAX_RCPTS] = { NULL };
	const struct doc *k;
	const char *out = NULL, *key, *name, *reason;
	size_t nr = 0, i;
	int opt, ret = 1, force = 0, armor = 0, age = 0;

	memset(&c, 0, sizeof(c));
	cli_getopt_init(&g, retire_options);
	optind = 1;
	while ((opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		if (keys_cli_common_opt(&c, opt, optarg))
			continue;
		switch (opt) {
		case 'o': out = optarg; break;
		case 'a': armor = 1; break;
		case O_FORCE: force = 1; break;
		case 'r':
			if (nr == MAX_RCPTS) {
				fprintf(stderr, "error: too many recipients\n");
				ret = 2;
				goto done;
			}
			if (age_recipient_parse(&rcpts[nr], optarg) < 0) {
				cli_die_last(NULL);
				goto done;
			}
			nr++;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto done;
		default:
			usage(stderr);
			ret = 2;
			goto done;
		}
	}
	if (optind + 1 != argc || !out) {
		if (!out && optind < argc)
			fprintf(stderr, "error: -o FILE is required: a retired key is kept there "
			                "first\n");
		usage(stderr);
		ret = 2;
		goto done;
	}
	key = argv[optind];
	if (keys_cli_status(&st, &c) < 0 || find_key(&k, &age, st, key) < 0) {
		cli_die_last(NULL);
		goto done;
	}
	name = doc_str(doc_get(k, "name"));
	if ((reason = needed(&why, st, k, age))) {
		if (!force) {
			fprintf(stderr, "error: not retiring %s: %s\n", name, reason);
			goto done;
		}
		fprintf(stderr, "warning: retiring %s anyway (--force): %s\n", name, reason);
	}
	if (kube_get(&sec, c.kc, "v1", "Secret", keys_cli_ns(&c), name) < 0) {
		cli_die_last(NULL);
		goto done;
	}
	/* the copy first, as a List `keys restore` and `unseal --key` read */
	if (!(list = doc_new_map()) || !(items = doc_new_seq()) || !(copy = doc_clone(sec))) {
		fprintf(stderr, "error: out of memory\n");
		goto done;
	}
	{
		static const char *const drop[] = {
			"uid",         "resourceVersion",   "selfLink",
			"generation",  "creationTimestamp", "managedFields",
			"generateName"
		};
		for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			doc_del(doc_get(copy, "metadata"), drop[i]);
	}
	doc_set(list, "apiVersion", doc_new_strz("v1"));
	doc_set(list, "kind", doc_new_strz("List"));
	doc_push(items, copy);
	doc_set(list, "items", items);
	items = NULL;
	if (doc_emit_yaml(&yaml, list, &eo) < 0) {
		cli_die_last(NULL);
		goto done;
	}
	if (nr) {
		if (age_encrypt_buf(&enc, yaml.p, yaml.len, rcpts, nr, armor) < 0 ||
		    file_write_atomic(out, enc.p, enc.len, 0600, 0) < 0) {
			cli_die_last(NULL);
			goto done;
		}
	} else {
		fprintf(stderr,
		        "warning: %s holds the private key in plaintext: keep it safe, or "
		        "encrypt it with -r RECIPIENT\n",
		        out);
		if (file_write_atomic(out, yaml.p, yaml.len, 0600, 0) < 0) {
			cli_die_last(NULL);
			goto done;
		}
	}
	/* only the Secret we read: not one made again meanwhile under the same name */
	dopt.precondition_uid = doc_str(doc_getp(sec, "metadata", "uid", NULL));
	if (kube_delete(c.kc, "v1", "Secret", keys_cli_ns(&c), name, &dopt) < 0) {
		cli_die_last("the copy is written, but the Secret was not deleted");
		goto done;
	}
	fprintf(stderr, "retired %s/%s (%s %s); a copy is in %s\n", keys_cli_ns(&c), name,
	        age ? "age identity" : "sealing key",
	        doc_str(doc_get(k, age ? "recipient" : "fingerprint")), out);
	ret = 0;
done:
	for (i = 0; i < nr; i++)
		age_recipient_free(rcpts[i]);
	doc_free(st);
	doc_free(sec);
	doc_free(list);
	doc_free(items);
	buf_release(&why);
	buf_release(&yaml);
	buf_release(&enc);
	seal_cluster_release(&c);
	return ret;
}
