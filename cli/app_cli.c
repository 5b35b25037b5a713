/*
 * The Application verbs' shared part: connection flags, the client, and the
 * Application API with kubectl's wording (app_cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/app_cli.h"
#include "core/error.h"

static const struct cli_opt kube_options[] = {
	{ "kubeconfig", APP_O_KUBECONFIG, required_argument, "FILE",
	  "kubeconfig file (default: $KUBECONFIG, ~/.kube/config)" },
	{ "context", APP_O_CONTEXT, required_argument, "NAME", "the kubeconfig context" },
	{ "namespace", 'n', required_argument, "NS", "the namespace (default: the context's)" },
	{ "server", APP_O_SERVER, required_argument, "URL", "the API server's address" },
	{ "token", APP_O_TOKEN, required_argument, "T", "a bearer token (blanked in argv)" },
	{ "insecure-skip-tls-verify", APP_O_INSECURE, no_argument, NULL,
	  "do not check the server's certificate" },
	{ NULL, 0, 0, NULL, NULL },
};

void app_cli_opts(struct cli_opt out[APP_CLI_OPTS_MAX + 1], const struct cli_opt *verb)
{
	cli_opts_cat(out, APP_CLI_OPTS_MAX, verb, kube_options);
}

int app_cli_kube_opt(struct app_cli *c, int id, char *arg)
{
	switch (id) {
	case APP_O_KUBECONFIG: c->ov.kubeconfig = arg; return 1;
	case APP_O_CONTEXT: c->ov.context = arg; return 1;
	case 'n': c->ov.ns = arg; return 1;
	case APP_O_SERVER: c->ov.server = arg; return 1;
	case APP_O_TOKEN:
		/* keep a copy and blank argv, so ps does not show it for long (curl does) */
		gs_free_secret_str(c->token);
		c->token = strdup(arg);
		gs_wipe(arg, strlen(arg));
		c->ov.token = c->token;
		return 1;
	case APP_O_INSECURE: c->ov.insecure_skip_tls_verify = 1; return 1;
	default: return 0;
	}
}

int app_cli_connect(struct app_cli *c)
{
	struct kube_resource res = { 0 };
	int rc;
	if (!c->kc && (rc = kube_client_from_env(&c->kc, &c->ov, NULL)) < 0)
		return rc;
	if ((rc = kube_discover(&res, c->kc, APP_API_VERSION, APP_KIND)) == GS_ENOTFOUND)
		rc =
		    gs_error(rc, "the server doesn't have a resource type \"applications\" (is the "
		                 "gitseal-controller's Application CRD installed?)");
	kube_resource_release(&res);
	return rc;
}

void app_cli_release(struct app_cli *c)
{
	kube_client_free(c->kc);
	c->kc = NULL;
	gs_free_secret_str(c->token);
	c->token = NULL;
	c->ov.token = NULL;
}

const char *app_cli_namespace(const struct app_cli *c)
{
	return c->ov.ns && *c->ov.ns ? c->ov.ns : kube_client_namespace(c->kc);
}

int app_cli_is_app_type(const char *s)
{
	static const char *const names[] = {
		"app",          "apps",       "application",
		"applications", APP_RESOURCE, "application.gitseal.dev"
	};
	size_t i;
	for (i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return 1;
	return 0;
}

/* kubectl's wording for a missing object, whatever the server's message said */
static int not_found(int rc, const char *name)
{
	if (rc == GS_ENOTFOUND)
		return gs_error(rc, "%s \"%s\" not found", APP_RESOURCE, name);
	return rc;
}

int app_cli_get(struct doc **out, struct app_cli *c, const char *name)
{
	return not_found(
	    kube_get(out, c->kc, APP_API_VERSION, APP_KIND, app_cli_namespace(c), name), name);
}

int app_cli_list(struct doc **out, struct app_cli *c, int all_namespaces)
{
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	lo.all_namespaces = all_namespaces;
	return kube_list(out, c->kc, APP_API_VERSION, APP_KIND, app_cli_namespace(c), &lo);
}

int app_cli_patch(struct doc **out, struct app_cli *c, const char *name, const struct doc *patch)
{
	struct kube_write_opts wo = KUBE_WRITE_OPTS_INIT;
	struct doc *res = NULL;
	int rc;
	wo.field_manager = "gitseal-cli";
	rc = not_found(kube_merge_patch(&res, c->kc, APP_API_VERSION, APP_KIND,
	                                app_cli_namespace(c), name, patch, NULL, &wo),
	               name);
	if (out)
		*out = res;
	else
		doc_free(res);
	return rc;
}

const struct doc *app_cli_condition(const struct doc *app, const char *type)
{
	const struct doc *conds = doc_getp(app, "status", "conditions", NULL);
	size_t i;
	for (i = 0; doc_kind(conds) == DOC_SEQ && i < doc_len(conds); i++) {
		const char *t = doc_str(doc_get(doc_val_at(conds, i), "type"));
		if (t && !strcmp(t, type))
			return doc_val_at(conds, i);
	}
	return NULL;
}
