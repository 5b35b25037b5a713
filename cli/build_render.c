/*
 * The render step of gitseal build: lib/render over the tree, with the
 * Application's source spec and the command line's Helm values and
 * parameters, generator files through the decrypt stage's hook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "cli/cmd_build.h"
#include "core/error.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"
#include "render/render.h"

int build_render(struct doc_list *objs, const struct build_opts *o, const struct app *app,
                 const char *root, struct decrypt_ctx *dc)
{
	struct render_source src;
	struct render_opts ro = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	const struct app_helm *h = app ? &app->source.helm : NULL;
	struct render_helm_param *params = NULL;
	struct render_helm_file_param *fparams = NULL;
	const char **vfiles = NULL;
	size_t i, nv = 0, np = 0;
	int rc;

	memset(&src, 0, sizeof(src));
	src.root = root;
	src.path = o->subpath ? o->subpath : app && app->source.path ? app->source.path : "";
	src.name = app ? app->name : NULL;
	if (app && app->source.has_directory) {
		src.directory.recurse = app->source.directory.recurse;
		src.directory.include = app->source.directory.include;
		src.directory.exclude = app->source.directory.exclude;
	}
	if (app && app->source.chart) {
		src.chart = app->source.chart;
		src.repo_url = app->source.repo_url;
		src.chart_version = app->source.target_revision;
	}
	/* the Application's values files, then --helm-values; its parameters, then --set */
	if (!(vfiles = calloc((h ? h->nvalue_files : 0) + o->nhelm_values + 1, sizeof(*vfiles))) ||
	    !(params = calloc((h ? h->nparameters : 0) + o->nsets + 1, sizeof(*params)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; h && i < h->nvalue_files; i++)
		vfiles[nv++] = h->value_files[i];
	for (i = 0; i < o->nhelm_values; i++)
		vfiles[nv++] = o->helm_values[i];
	for (i = 0; h && i < h->nparameters; i++) {
		params[np].name = h->parameters[i].name;
		params[np].value = h->parameters[i].value ? h->parameters[i].value : "";
		params[np++].force_string = h->parameters[i].force_string;
	}
	for (i = 0; i < o->nsets; i++) {
		/* "name=value": the name is what comes before the first '=' */
		char *eq = strchr(o->sets[i], '=');
		if (!(params[np].name = strndup(o->sets[i], (size_t)(eq - o->sets[i])))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		params[np++].value = eq + 1;
	}
	src.helm.value_files = vfiles;
	src.helm.nvalue_files = nv;
	src.helm.params = params;
	src.helm.nparams = np;
	if (h) {
		src.helm.values = h->values;
		if (h->nfile_parameters &&
		    !(fparams = calloc(h->nfile_parameters, sizeof(*fparams)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < h->nfile_parameters; i++) {
			fparams[i].name = h->file_parameters[i].name;
			fparams[i].path = h->file_parameters[i].path;
		}
		src.helm.file_params = fparams;
		src.helm.nfile_params = h->nfile_parameters;
		src.helm.release_name = h->release_name;
		src.helm.skip_crds = h->skip_crds;
		src.helm.kube_version = h->kube_version;
		src.helm.api_versions = (const char *const *)h->api_versions;
		src.helm.napi_versions = h->napi_versions;
		src.helm.post_render = h->post_render;
	}
	ro.timeout_ms = (long)o->timeout_ms; /* 0: render's default */
	ro.tools.helm = o->helm;
	ro.tools.kubectl = o->kubectl;
	ro.hook = decrypt_render_hook;
	ro.hook_arg = dc;
	if ((rc = render(&res, &src, &ro)) < 0)
		goto out;
	for (i = 0; i < res.nwarnings; i++)
		fprintf(stderr, "warning: %s\n", res.warnings[i]);
	rc = doc_list_splice(objs, &res.objs);
out:
	for (i = h ? h->nparameters : 0; params && i < np; i++)
		free((char *)params[i].name);
	free(params);
	free(fparams);
	free(vfiles);
	render_result_release(&res);
	return rc;
}
