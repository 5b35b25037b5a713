/*
 * gitseal reconcile app NAME [--with-source] [--wait] [--timeout D]: Flux's
 * `flux reconcile kustomization`, through the Application's annotations:
 *
 *   gitseal.dev/reconcile-requested-at: <now, RFC 3339 with nanoseconds>
 *   gitseal.dev/reconcile-with-source: "true"    (--with-source: fetch again;
 *                                                 removed without it)
 *
 * The reconciler runs the Application at once and records the value it handled
 * in status.lastHandledReconcileAt. With --wait (or --timeout) this waits for
 * that, watching only this Application, and prints the result; it exits 1 when
 * the run left Ready=False (its message on stderr) or the time ran out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app_cli.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "doc/doc.h"

enum { O_WITH_SOURCE = 256, O_WAIT, O_TIMEOUT };

static const struct cli_opt reconcile_options[] = {
	{ "with-source", O_WITH_SOURCE, no_argument, NULL,
	  "fetch the source again (not only render and apply)" },
	{ "wait", O_WAIT, no_argument, NULL,
	  "wait until the controller handled it and print the result" },
	{ "timeout", O_TIMEOUT, required_argument, "D",
	  "how long to wait (default 5m; implies --wait)" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage(FILE *f, const struct cli_opt *opts)
{
	fprintf(f,
	        "usage: gitseal reconcile app NAME [--with-source] [--wait] [--timeout D] [-n NS]\n"
	        "Ask gitseal-controller to sync an Application now.\n\n");
	cli_opt_help(f, opts);
}

/* The patch: both annotations (null removes the second). */
static int request_patch(struct doc **out, const char *at, int with_source)
{
	struct doc *p = doc_new_map(), *meta, *ann;
	*out = NULL;
	/* doc_set takes the child even when it fails, and fails on a NULL one */
	if (!p || doc_set(p, "metadata", meta = doc_new_map()) < 0 ||
	    doc_set(meta, "annotations", ann = doc_new_map()) < 0 ||
	    doc_set(ann, APP_ANN_RECONCILE_AT, doc_new_strz(at)) < 0 ||
	    doc_set(ann, APP_ANN_WITH_SOURCE, with_source ? doc_new_strz("true") : doc_new_null()) <
	        0) {
		doc_free(p);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	*out = p;
	return 0;
}

struct waiter {
	const char *at;     /* the value asked for */
	struct doc *result; /* the Application once it handled it */
	int gone;
};

static int handled(const struct doc *app, const char *at)
{
	const char *h = doc_str(doc_getp(app, "status", "lastHandledReconcileAt", NULL));
	return h && !strcmp(h, at);
}

static int on_event(void *ctx, enum kube_event_type t, const struct doc *obj)
{
	struct waiter *w = ctx;
	if (t == KUBE_EVENT_DELETED) {
		w->gone = 1;
		return 1;
	}
	if ((t == KUBE_EVENT_ADDED || t == KUBE_EVENT_MODIFIED || t == KUBE_EVENT_LISTED) &&
	    handled(obj, w->at)) {
		if (!(w->result = doc_clone(obj)))
			return gs_error(GS_ENOMEM, "out of memory");
		return 1;
	}
	return 0;
}

/* Watch this one Application from rv until it handled w->at or the deadline passed. */
static int wait_handled(struct app_cli *c, const char *name, const char *rv0, int64_t deadline,
                        struct waiter *w)
{
	struct buf sel = BUF_INIT(1024);
	char *rv = rv0 ? strdup(rv0) : NULL;
	struct doc *now = NULL;
	int rc = 0;

	if ((rc = buf_addf(&sel, "metadata.name=%s", name)) < 0)
		goto out;
	while (!w->result && !w->gone) {
		struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
		struct kube_watch *kw = NULL;
		int64_t left = deadline - gs_mono_ms();
		if (left <= 0) {
			rc = gs_error(GS_EIO, "timed out waiting for %s/%s to be reconciled",
			              APP_RESOURCE, name);
			goto out;
		}
		wo.field_selector = sel.p;
		wo.resource_version = rv;
		wo.timeout_seconds = (int)((left + 999) / 1000);
		if ((rc = kube_watch_new(&kw, c->kc, APP_API_VERSION, APP_KIND,
		                         app_cli_namespace(c), &wo)) < 0)
			goto out;
		rc = kube_watch_once(kw, on_event, w);
		if (rc == 0 && kube_watch_resource_version(kw)) {
			char *next = strdup(kube_watch_resource_version(kw));
			free(rv);
			rv = next; /* the server ended the stream: go on from where it was */
		}
		kube_watch_free(kw);
		if (rc == GS_EGONE) {
			/* too old to resume: look at the object, then watch from its version */
			if ((rc = app_cli_get(&now, c, name)) < 0)
				goto out;
			if (handled(now, w->at)) {
				w->result = now;
				now = NULL;
				rc = 0;
				goto out;
			}
			free(rv);
			rv = doc_str(doc_getp(now, "metadata", "resourceVersion", NULL))
			         ? strdup(
			               doc_str(doc_getp(now, "metadata", "resourceVersion", NULL)))
			         : NULL;
			doc_free(now);
			now = NULL;
			rc = 0;
		} else if (rc < 0) {
			goto out;
		}
	}
	rc = w->gone ? gs_error(GS_ENOTFOUND, "%s \"%s\" was deleted", APP_RESOURCE, name) : 0;
out:
	doc_free(now);
	free(rv);
	buf_release(&sel);
	return rc;
}

/* "application.gitseal.dev/web reconciled: Synced, Healthy, revision 1a2b3c4" (and the message) */
static int report(const struct doc *app, const char *name)
{
	const struct doc *ready = app_cli_condition(app, "Ready");
	const char *sync = doc_str(doc_getp(app, "status", "sync", "status", NULL));
	const char *health = doc_str(doc_getp(app, "status", "health", "status", NULL));
	const char *rev = doc_str(doc_getp(app, "status", "sync", "revision", NULL));
	const char *rs = doc_str(doc_get(ready, "status"));
	const char *msg = doc_str(doc_get(ready, "message"));
	const char *hmsg = doc_str(doc_getp(app, "status", "health", "message", NULL));

	printf("application.gitseal.dev/%s reconciled: %s, %s", name, sync ? sync : "Unknown",
	       health ? health : "Unknown");
	if (rev && *rev)
		printf(", revision %.12s", rev);
	printf("\n");
	if (rs && !strcmp(rs, "False")) {
		fflush(stdout);
		fprintf(stderr, "error: %s/%s is not ready: %s\n", APP_RESOURCE, name,
		        msg && *msg ? msg : "(no message)");
		return 1;
	}
	if (hmsg && *hmsg)
		printf("  %s\n", hmsg);
	return 0;
}

int cmd_reconcile_app(int argc, char **argv)
{
	struct cli_opt opts[APP_CLI_OPTS_MAX + 1];
	struct app_cli c = APP_CLI_INIT;
	struct cli_getopt g;
	struct doc *app = NULL, *patch = NULL, *after = NULL;
	struct waiter w;
	char at[GS_TIME_MAX];
	long long timeout_ms = 5 * 60 * 1000;
	int64_t deadline;
	int with_source = 0, wait = 0, ch, ret = 2, suspended = 0;
	const char *name;

	memset(&w, 0, sizeof(w));
	app_cli_opts(opts, reconcile_options);
	cli_getopt_init(&g, opts);
	optind = 1;
	while ((ch = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		if (app_cli_kube_opt(&c, ch, optarg))
			continue;
		switch (ch) {
		case O_WITH_SOURCE: with_source = 1; break;
		case O_WAIT: wait = 1; break;
		case O_TIMEOUT:
			if ((timeout_ms = cli_duration_ms(optarg)) < 0) {
				fprintf(
				    stderr,
				    "error: --timeout %s: expected a duration (30s, 500ms, 2m)\n",
				    optarg);
				goto out;
			}
			wait = 1;
			break;
		case 'h':
			usage(stdout, opts);
			ret = 0;
			goto out;
		default: usage(stderr, opts); goto out;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "error: %s\n",
		        optind < argc ? "one NAME only" : "NAME is required");
		goto out;
	}
	name = argv[optind];
	deadline = gs_mono_ms() + timeout_ms;
	ret = 1;
	if (app_cli_connect(&c) < 0 || app_cli_get(&app, &c, name) < 0)
		goto fail;
	if (doc_get_bool(doc_getp(app, "spec", "suspend", NULL), &suspended) == 0 && suspended) {
		fprintf(stderr,
		        "error: %s/%s is suspended: resume it first (gitseal resume app %s)\n",
		        APP_RESOURCE, name, name);
		goto out;
	}
	gs_time_now_nano(at);
	if (request_patch(&patch, at, with_source) < 0 ||
	    app_cli_patch(&after, &c, name, patch) < 0)
		goto fail;
	printf("application.gitseal.dev/%s reconcile requested%s\n", name,
	       with_source ? " (with source)" : "");
	if (!wait) {
		ret = 0;
		goto out;
	}
	fflush(stdout);
	w.at = at;
	if (wait_handled(&c, name, doc_str(doc_getp(after, "metadata", "resourceVersion", NULL)),
	                 deadline, &w) < 0)
		goto fail;
	ret = report(w.result, name);
	goto out;
fail:
	ret = cli_die_last(NULL);
out:
	doc_free(w.result);
	doc_free(app);
	doc_free(patch);
	doc_free(after);
	app_cli_release(&c);
	return ret;
}
