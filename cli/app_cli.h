#ifndef GS_APP_CLI_H
#define GS_APP_CLI_H
/*
 * What the Application verbs share (gitseal get apps, reconcile app, suspend app,
 * resume app, diff --app): kubectl's connection flags, the client, and the
 * Application API with kubectl's error wording where gitseal stands in for it:
 *
 *   error: applications.gitseal.dev "web" not found                 (exit 1)
 *   error: the server doesn't have a resource type "applications"   (no CRD)
 *
 * The CRD and status contract is the reconciler's (controller/application/):
 * applications.gitseal.dev/v1alpha1, status.sync/health/conditions, the
 * annotations below.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "kube/kube.h"

#define APP_API_VERSION "gitseal.dev/v1alpha1"
#define APP_KIND "Application"
#define APP_RESOURCE "applications.gitseal.dev"
/* TODO(lead): these two belong in lib/app/app.h beside the reconciler's own copy once "app" is
 * merged. Any new value of the first reconciles now; the second asks for a new fetch. */
#define APP_ANN_RECONCILE_AT "gitseal.dev/reconcile-requested-at"
#define APP_ANN_WITH_SOURCE "gitseal.dev/reconcile-with-source"

/* The sub-verbs (argv[0] is the type: "apps", "app", ...). */
int cmd_get_apps(int argc, char **argv);      /* cmd_get_apps.c */
int cmd_reconcile_app(int argc, char **argv); /* cmd_reconcile_app.c */
int cmd_suspend_app(int argc, char **argv);   /* cmd_suspend_app.c */
int cmd_resume_app(int argc, char **argv);    /* cmd_suspend_app.c */

/* kubectl's connection flags (ids 400..): a verb's table and these, merged. */
enum {
	APP_O_KUBECONFIG = 400,
	APP_O_CONTEXT,
	APP_O_SERVER,
	APP_O_TOKEN,
	APP_O_INSECURE,
};
#define APP_CLI_OPTS_MAX 48
/* out = verb's options, then kubectl's connection flags (a table of at most APP_CLI_OPTS_MAX). */
void app_cli_opts(struct cli_opt out[APP_CLI_OPTS_MAX + 1], const struct cli_opt *verb);

struct app_cli {
	struct kube_overrides ov;
	char *token; /* --token's copy (wiped) */
	struct kube_client *kc;
};
#define APP_CLI_INIT                                                                               \
	{                                                                                          \
		KUBE_OVERRIDES_INIT, NULL, NULL                                                    \
	}

/* Take one of APP_CLI_KUBE_OPTIONS: 1 if id was one of them, else 0. */
int app_cli_kube_opt(struct app_cli *c, int id, char *arg);
/* Connect, and check that the server serves Applications (the CRD is installed). */
int app_cli_connect(struct app_cli *c);
void app_cli_release(struct app_cli *c);
/* -n, else the context's namespace (after app_cli_connect). */
const char *app_cli_namespace(const struct app_cli *c);

/* "app", "apps", "application(s)", "applications.gitseal.dev" */
int app_cli_is_app_type(const char *s);

/* The Application name in the current namespace (GS_ENOTFOUND: kubectl's message). */
int app_cli_get(struct doc **out, struct app_cli *c, const char *name);
/* Every Application of the namespace, or of all of them. */
int app_cli_list(struct doc **out, struct app_cli *c, int all_namespaces);
/* A JSON merge patch on the Application name; *out (may be NULL) gets the result. */
int app_cli_patch(struct doc **out, struct app_cli *c, const char *name, const struct doc *patch);

/* The status condition of this type (borrowed), or NULL. */
const struct doc *app_cli_condition(const struct doc *app, const char *type);

#endif
