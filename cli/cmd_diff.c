/*
 * gitseal diff [PATH | --repo URL ...] [--app NAME] [--prune] [--color=WHEN]:
 * what the controller would change, as `kubectl diff` shows it. The objects are
 * built exactly as `gitseal build` builds them (cli/build_objects.c: source,
 * render, decrypt, order), then lib/apply runs in its dry-run mode against the
 * live cluster: a server-side dry-run apply (field manager gitseal, force, the
 * owner labels of the Application) predicts each stored object, and every
 * object that would change is printed as a unified diff of the live object
 * against the prediction (lib/udiff: the server's bookkeeping stripped, Secret
 * values masked on both sides, "*** (changed)" where a value would change, an
 * object that would be created shown whole). With --app NAME the Application
 * comes from the cluster: its source (a local checkout as PATH instead, if
 * given), destination namespace, ignoreDifferences, owner labels and decryption
 * Secret (read from its namespace, kept in memory, beside the local age
 * identities); --prune adds what its inventory holds that left Git (shown
 * whole, as deleted).
 *
 * Exit codes as kubectl diff: 0 no differences, 1 differences, 2 an error
 * (usage errors too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "apply/apply.h"
#include "cli/app_cli.h"
#include "cli/cli.h"
#include "cli/cmd_build.h"
#include "core/error.h"
#include "core/file.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"
#include "inventory/inventory.h"
#include "udiff/udiff.h"

enum { O_APP = 300, O_PRUNE, O_COLOR };

static const struct cli_opt diff_own_options[] = {
	{ "app", O_APP, required_argument, "NAME",
	  "the Application NAME of the cluster (-n): its source, destination, owner labels" },
	{ "prune", O_PRUNE, no_argument, NULL, "with --app: also show what would be pruned" },
	{ "color", O_COLOR, required_argument, "WHEN",
	  "auto (default: on a terminal, unless NO_COLOR), always, never" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage(FILE *f, const struct cli_opt *opts)
{
	fprintf(
	    f,
	    "usage: gitseal diff [PATH | --repo URL [--revision REV]] [--path P] [--app-file F]\n"
	    "                    [--app NAME [--prune]] [--color WHEN] [build options]\n"
	    "Build as gitseal build does, dry-run the server-side apply against the cluster\n"
	    "and show what would change as unified diffs (Secret values masked). Exit 0: no\n"
	    "differences, 1: differences, 2: an error.\n\n");
	cli_opt_help(f, opts);
}

struct diff_run {
	struct app_cli c;
	struct build_opts o;
	const char *app_name;
	int prune;
	struct udiff_opts uo;
	struct app *app; /* --app's, parsed (owned) */
	struct doc *app_obj;
	struct doc *dec_secret; /* its decryption Secret (plaintext keys: wiped when freed) */
	size_t ndiff, nerr;
};

static int flush(struct buf *out)
{
	int rc = file_write_all(1, out->p, out->len, "stdout");
	buf_reset(out);
	return rc;
}

/* The ignore rules of an Application in lib/apply's shape (borrowing its strings). */
static int ignore_rules(struct apply_ignore **out, const struct app *a)
{
	size_t i;
	*out = NULL;
	if (!a || !a->nignore)
		return 0;
	if (!(*out = calloc(a->nignore, sizeof(**out))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < a->nignore; i++) {
		(*out)[i].group = a->ignore[i].group ? a->ignore[i].group : "";
		(*out)[i].kind = a->ignore[i].kind;
		(*out)[i].name = a->ignore[i].name;
		(*out)[i].ns = a->ignore[i].namespace;
		(*out)[i].pointers = (const char *const *)a->ignore[i].pointers;
		(*out)[i].npointers = a->ignore[i].npointers;
	}
	return 0;
}

static enum udiff_mask mask_for(const struct doc *obj, unsigned flags)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *kind = doc_k8s_kind(obj);
	int secret = av && kind && !strcmp(av, "v1") && !strcmp(kind, "Secret");
	/* a Secret: its data and stringData (AUTO); a SOPS file of another kind (a ConfigMap, a
	 * custom object): all of its content */
	return flags & DECRYPT_OBJ_SOPS && !secret ? UDIFF_MASK_ALL : UDIFF_MASK_AUTO;
}

static int show(struct diff_run *d, struct buf *out, const struct doc *before,
                const struct doc *after, enum udiff_mask m)
{
	int rc = udiff_object(out, before, after, m, &d->uo);
	if (rc > 0) {
		d->ndiff++;
		rc = flush(out);
	}
	return rc;
}

/* What the Application's inventory holds that the new set does not: shown as deleted. */
static int show_prune(struct diff_run *d, struct buf *out, const struct apply_report *rep,
                      struct doc *const *objs)
{
	struct inventory old_inv = INVENTORY_INIT, new_inv = INVENTORY_INIT;
	struct apply_prune_report pr = APPLY_PRUNE_REPORT_INIT;
	struct apply_prune_opts po = APPLY_PRUNE_OPTS_INIT;
	size_t i;
	int rc;

	if ((rc = inventory_from_doc(&old_inv, doc_getp(d->app_obj, "status", "inventory", NULL))) <
	        0 ||
	    (rc = apply_report_inventory(&new_inv, rep, objs)) < 0)
		goto out;
	po.owner_name = d->app->name;
	po.owner_namespace = d->app->namespace;
	po.dry_run = 1;
	rc = apply_prune(&pr, d->c.kc, &old_inv, &new_inv, &po);
	if (rc < 0 && rc != GS_ERROR)
		goto out;
	for (i = 0; i < pr.n; i++) {
		const struct apply_prune_result *p = &pr.r[i];
		struct inventory_ref ref = { 0 };
		const struct inventory_entry *e = inventory_find(&old_inv, p->id);
		struct buf av = BUF_INIT(512);
		struct doc *live = NULL;
		if (p->action == APPLY_PRUNE_FAILED) {
			fprintf(stderr, "error: pruning %s: %s\n", p->what, p->message);
			d->nerr++;
			continue;
		}
		if (p->action != APPLY_PRUNED)
			continue;
		if ((rc = inventory_id_parse(&ref, p->id)) == 0 &&
		    (rc = inventory_api_version(&av, ref.group, e ? e->version : "v1")) == 0)
			rc = kube_get(&live, d->c.kc, av.p, ref.kind, *ref.ns ? ref.ns : NULL,
			              ref.name);
		if (rc == 0)
			rc = show(d, out, live, NULL, UDIFF_MASK_AUTO);
		else if (rc == GS_ENOTFOUND)
			rc = 0; /* gone meanwhile */
		doc_free(live);
		buf_release(&av);
		inventory_ref_release(&ref);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	apply_prune_report_release(&pr);
	inventory_release(&old_inv);
	inventory_release(&new_inv);
	return rc;
}

/*
 * The Application's decryption Secret, read as the controller reads it (its own namespace), so
 * that the diff decrypts what the controller decrypts. Reading it needs `get secrets` there; a
 * user without that right gets a warning and only the local identities (SOPS_AGE_KEY...).
 * The keys stay in wiped memory; nothing is written.
 */
static int decryption_secret(struct diff_run *d, struct doc **out)
{
	int rc = kube_get(out, d->c.kc, "v1", "Secret", d->app->namespace,
	                  d->app->decryption.secret_ref);
	if (rc == GS_EAUTH || rc == GS_ENOTFOUND) {
		fprintf(
		    stderr,
		    "warning: the decryption Secret %s/%s of %s/%s cannot be read (%s): only the "
		    "local age identities decrypt\n",
		    d->app->namespace, d->app->decryption.secret_ref, APP_RESOURCE, d->app->name,
		    gs_error_last());
		*out = NULL;
		return 0;
	}
	return rc;
}

static int run(struct diff_run *d)
{
	struct build_result r = BUILD_RESULT_INIT;
	struct apply_report rep = APPLY_REPORT_INIT;
	struct apply_opts ao = APPLY_OPTS_INIT;
	struct apply_ignore *ign = NULL;
	struct buf out = BUF_INIT(BUF_MAX_FILE);
	const struct app *app;
	size_t i;
	int rc;

	if (d->app_name) {
		if ((rc = app_cli_connect(&d->c)) < 0 ||
		    (rc = app_cli_get(&d->app_obj, &d->c, d->app_name)) < 0 ||
		    (rc = app_parse(&d->app, d->app_obj)) < 0)
			goto out;
		d->o.app = d->app;
		if (d->app->decryption.secret_ref &&
		    (rc = decryption_secret(d, &d->dec_secret)) < 0)
			goto out;
		d->o.decryption_secret = d->dec_secret;
	}
	if ((rc = build_objects(&r, &d->o)) < 0)
		goto out;
	app = d->app ? d->app : r.app;
	if (!d->c.kc && (rc = kube_client_from_env(&d->c.kc, &d->c.ov, NULL)) < 0)
		goto out;
	if ((rc = ignore_rules(&ign, app)) < 0)
		goto out;
	ao.dry_run = 1;
	ao.keep_objects = 1;
	ao.owner_name = app ? app->name : NULL;
	ao.owner_namespace =
	    app ? (app->namespace ? app->namespace : app_cli_namespace(&d->c)) : NULL;
	ao.default_namespace = app && app->destination.namespace ? app->destination.namespace
	                                                         : app_cli_namespace(&d->c);
	ao.ignore = ign;
	ao.nignore = app ? app->nignore : 0;
	rc = apply_run(&rep, d->c.kc, r.res.objs, r.res.n, &ao);
	if (rc < 0 && rc != GS_ERROR)
		goto out;
	for (i = 0; i < rep.n; i++) {
		const struct apply_result *a = &rep.r[i];
		enum udiff_mask m = mask_for(r.res.objs[i], r.res.flags[i]);
		rc = 0;
		switch (a->action) {
		case APPLY_UNCHANGED: break;
		case APPLY_CREATED:
			rc = show(d, &out, NULL, a->predicted ? a->predicted : r.res.objs[i], m);
			break;
		case APPLY_CONFIGURED:
			if (a->live && a->predicted)
				rc = show(d, &out, a->live, a->predicted, m);
			else if (a->recreated) { /* an immutable field changed */
				printf("# %s would be deleted and created again (immutable %s "
				       "changed; "
				       "gitseal.dev/force: enabled)\n",
				       a->what, a->changed.n ? a->changed.v[0] : "field");
				fflush(stdout);
				d->ndiff++;
			}
			break;
		case APPLY_FAILED:
		case APPLY_SKIPPED:
			fprintf(stderr, "error: %s\n", a->error ? a->error : a->what);
			d->nerr++;
			break;
		}
		if (rc < 0)
			goto out;
	}
	if (d->prune && (rc = show_prune(d, &out, &rep, r.res.objs)) < 0)
		goto out;
	rc = 0;
out:
	free(ign);
	apply_report_release(&rep);
	build_result_release(&r);
	buf_release(&out);
	return rc;
}

static int color_arg(int *color, const char *when)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
	if (!strcmp(when, "always"))
		*color = 1;
	else if (!strcmp(when, "never"))
		*color = 0;
	else if (!strcmp(when, "auto"))
		*color = isatty(1) && !(no && *no) && !(term && !strcmp(term, "dumb"));
	else {
		fprintf(stderr, "error: --color %s: expected auto, always or never\n", when);
		return -1;
	}
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct cli_opt own[CLI_OPTS_MAX + 1], opts[APP_CLI_OPTS_MAX + 1];
	struct cli_getopt g;
	struct diff_run d;
	const char *color = "auto";
	int ch, ret = 2, taken;

	memset(&d, 0, sizeof(d));
	d.c = (struct app_cli)APP_CLI_INIT;
	d.uo = (struct udiff_opts)UDIFF_OPTS_INIT;
	if (build_opts_init(&d.o, argc) < 0)
		return 2;
	cli_opts_cat(own, CLI_OPTS_MAX, build_common_options, diff_own_options);
	app_cli_opts(opts, own);
	cli_getopt_init(&g, opts);
	optind = 1;
	while ((ch = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		if ((taken = build_opt(&d.o, ch, optarg)) < 0)
			goto done;
		if (taken || app_cli_kube_opt(&d.c, ch, optarg))
			continue;
		switch (ch) {
		case O_APP: d.app_name = optarg; break;
		case O_PRUNE: d.prune = 1; break;
		case O_COLOR: color = optarg; break;
		case 'h':
			usage(stdout, opts);
			ret = 0;
			goto done;
		default: usage(stderr, opts); goto done;
		}
	}
	if (d.app_name && d.o.app_file) {
		fprintf(stderr, "error: give --app or --app-file, not both\n");
		goto done;
	}
	if (d.prune && !d.app_name) {
		fprintf(stderr,
		        "error: --prune needs --app NAME (its inventory says what it owns)\n");
		goto done;
	}
	if (build_opts_args(&d.o, argc, argv, d.app_name != NULL) < 0 ||
	    color_arg(&d.uo.color, color) < 0)
		goto done;
	if (run(&d) < 0) {
		fprintf(stderr, "error: %s\n", gs_error_last());
		goto done;
	}
	ret = d.nerr ? 2 : d.ndiff ? 1 : 0;
done:
	build_opts_release(&d.o);
	app_free(d.app);
	doc_free(d.app_obj);
	doc_free(d.dec_secret);
	app_cli_release(&d.c);
	return ret;
}
