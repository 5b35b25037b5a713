/*
 * gitseal build: source -> render -> decrypt, printed in apply order: exactly
 * what the controller would apply for an Application, on a developer's
 * machine. Secret values are masked as *** unless --show-secrets. Any error
 * exits 1 with its file:line and prints nothing on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_build.h"
#include "core/error.h"
#include "core/file.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"

enum { O_SHOW_SECRETS = 300 };

static const struct cli_opt build_own_options[] = {
	{ "output", 'o', required_argument, "yaml|json", "yaml (default) or json (a v1 List)" },
	{ "show-secrets", O_SHOW_SECRETS, no_argument, NULL, "print Secret values instead of ***" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

/* build's whole table: the options it shares with diff (cli/build_objects.c), then its own */
static struct cli_opt build_options[CLI_OPTS_MAX + 1];

__attribute__((constructor)) static void build_options_init(void)
{
	cli_opts_cat(build_options, CLI_OPTS_MAX, build_common_options, build_own_options);
}

const struct cli_spec cmd_build_spec = {
	.name = "build",
	.usage = "[PATH | --repo URL [--revision REV]] [--path P] [--app-file FILE]\n"
	         "[--helm-values FILE]... [--set k=v]... [-o yaml|json] [--show-secrets]",
	.about =
	    "Render a local checkout (PATH, default .) or a Git revision and decrypt its SOPS\n"
	    "files as gitseal-controller would: prints the objects it would apply, in apply\n"
	    "order. Exit 1 on any error (naming the file), 2 on a usage error.",
	.opts = build_options,
	.args = "dir",
	.more = "Git timeouts default to 60s, renders to 90s. Age identities: SOPS_AGE_KEY,\n"
	        "SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or ~/.config/sops/age/keys.txt, as sops\n"
	        "finds them.",
};

/* --- masking ------------------------------------------------------------------------------ */

static int mask_values(struct doc *m)
{
	size_t i;
	int rc;
	for (i = 0; doc_kind(m) == DOC_MAP && i < doc_len(m); i++) {
		struct doc *v = doc_val_at(m, i);
		if (doc_is_scalar(v) && doc_kind(v) != DOC_NULL) {
			if ((rc = doc_set_scalar(v, DOC_STR, "***", 3)) < 0)
				return rc;
			doc_set_style(v, DOC_STYLE_ANY);
		}
	}
	return 0;
}

/* Every scalar of a decrypted object outside apiVersion/kind/metadata. */
static int mask_tree(struct doc *n, int top)
{
	size_t i;
	int rc;
	if (doc_kind(n) == DOC_MAP || doc_kind(n) == DOC_SEQ) {
		for (i = 0; i < doc_len(n); i++) {
			if (top && doc_kind(n) == DOC_MAP) {
				const char *k = doc_text(doc_key_at(n, i), NULL);
				if (!strcmp(k, "apiVersion") || !strcmp(k, "kind") ||
				    !strcmp(k, "metadata"))
					continue;
			}
			if ((rc = mask_tree(doc_val_at(n, i), 0)) < 0)
				return rc;
		}
		return 0;
	}
	if (doc_kind(n) == DOC_NULL)
		return 0;
	if ((rc = doc_set_scalar(n, DOC_STR, "***", 3)) < 0)
		return rc;
	doc_set_style(n, DOC_STYLE_ANY);
	return 0;
}

static int mask(struct doc *obj, unsigned flags)
{
	const char *kind = doc_k8s_kind(obj), *av = doc_str(doc_get(obj, "apiVersion"));
	int rc;
	if (kind && !strcmp(kind, "Secret") && (!av || !strchr(av, '/'))) {
		if ((rc = mask_values(doc_get(obj, "data"))) < 0)
			return rc;
		return mask_values(doc_get(obj, "stringData"));
	}
	if (flags & DECRYPT_OBJ_SOPS) /* a SOPS-encrypted ConfigMap or custom object */
		return mask_tree(obj, 1);
	return 0;
}

/* --- output ---------------------------------------------------------------------------------- */

static int emit(struct buf *out, struct doc **objs, size_t n, int json)
{
	struct doc_emit_opts yo = DOC_EMIT_OPTS_INIT, jo = { 4, 0 };
	struct doc *list = NULL, *items = NULL;
	size_t i;
	int rc;

	if (!json)
		return doc_emit_stream_yaml(out, objs, n, &yo);
	/* one JSON value, as kubectl get -o json prints several objects */
	if (!(list = doc_new_map()) || (rc = doc_set(list, "apiVersion", doc_new_strz("v1"))) < 0 ||
	    (rc = doc_set(list, "kind", doc_new_strz("List"))) < 0 ||
	    (rc = doc_set(list, "items", items = doc_new_seq())) < 0) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct doc *c = doc_clone(objs[i]);
		if (!c || (rc = doc_push(items, c)) < 0) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = doc_emit_json(out, list, &jo)) >= 0)
		rc = buf_addc(out, '\n');
out:
	doc_free(list);
	return rc;
}

/* --- the command ------------------------------------------------------------------------------
 */

static int run(const struct build_opts *o, struct buf *out)
{
	struct build_result r = BUILD_RESULT_INIT;
	size_t i;
	int rc;

	if ((rc = build_objects(&r, o)) < 0)
		goto out;
	for (i = 0; i < r.res.n && !o->show_secrets; i++)
		if ((rc = mask(r.res.objs[i], r.res.flags[i])) < 0)
			goto out;
	rc = emit(out, r.res.objs, r.res.n, o->json);
out:
	build_result_release(&r);
	return rc;
}

int cmd_build(int argc, char **argv)
{
	struct cli_getopt g;
	struct build_opts o;
	struct buf out = BUF_INIT_SECRET(BUF_MAX_FILE);
	int opt, ret = 2, taken;

	if (build_opts_init(&o, argc) < 0)
		return 1;
	cli_getopt_init(&g, build_options);
	optind = 1;
	while ((opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		if ((taken = build_opt(&o, opt, optarg)) < 0)
			goto done;
		if (taken)
			continue;
		switch (opt) {
		case 'o':
			if (strcmp(optarg, "yaml") && strcmp(optarg, "json")) {
				fprintf(stderr, "error: -o %s: expected yaml or json\n", optarg);
				goto done;
			}
			o.json = !strcmp(optarg, "json");
			break;
		case O_SHOW_SECRETS: o.show_secrets = 1; break;
		case 'h':
			cli_usage(stdout, &cmd_build_spec);
			ret = 0;
			goto done;
		default: cli_usage(stderr, &cmd_build_spec); goto done;
		}
	}
	if (build_opts_args(&o, argc, argv, 0) < 0)
		goto done;
	if (run(&o, &out) < 0) {
		ret = cli_die_last(NULL);
		goto done;
	}
	ret = file_write_all(1, out.p, out.len, "stdout") < 0 ? cli_die_last(NULL) : 0;
done:
	build_opts_release(&o);
	buf_release(&out);
	return ret;
}
