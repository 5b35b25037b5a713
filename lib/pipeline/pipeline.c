/*
 * The stages after the source: render the Application's source spec (plus the
 * caller's extra values and parameters), decrypt, and put the objects in apply
 * order. `gitseal build` and the reconciler both call pipeline_build().
 */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "apply/order.h"
#include "core/error.h"
#include "decrypt/decrypt.h"
#include "doc/doc.h"
#include "pipeline/pipeline.h"

void pipeline_decrypt_opts(struct decrypt_opts *out, const char *root, const struct app *app)
{
	memset(out, 0, sizeof(*out));
	out->root = root;
	out->require_encrypted = app ? app->decryption.require_encrypted : 0;
}

void pipeline_result_release(struct pipeline_result *r)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		doc_free(r->objs[i]);
	free(r->objs);
	free(r->flags);
	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof(*r));
}

/* The render_source of an Application plus the caller's extras; arrays it needs are owned by
 * the three pointers given (freed by the caller). */
static int make_source(struct render_source *src, const struct pipeline_input *in,
                       const char ***vfiles, struct render_helm_param **params,
                       struct render_helm_file_param **fparams)
{
	const struct app *app = in->app;
	const struct app_helm *h = app ? &app->source.helm : NULL;
	size_t i, nv = 0, np = 0;

	memset(src, 0, sizeof(*src));
	src->root = in->root;
	src->path = in->path ? in->path : app && app->source.path ? app->source.path : "";
	src->name = in->name ? in->name : app ? app->name : NULL;
	src->namespace = in->ns ? in->ns : app ? app->destination.namespace : NULL;
	if (app && app->source.has_directory) {
		src->directory.recurse = app->source.directory.recurse;
		src->directory.include = app->source.directory.include;
		src->directory.exclude = app->source.directory.exclude;
	}
	if (app && app->source.chart) {
		src->chart = app->source.chart;
		src->repo_url = app->source.repo_url;
		src->chart_version = app->source.target_revision;
	}
	/* the Application's values files, then the caller's; its parameters, then the caller's */
	if (!(*vfiles =
	          calloc((h ? h->nvalue_files : 0) + in->nvalue_files + 1, sizeof(**vfiles))) ||
	    !(*params = calloc((h ? h->nparameters : 0) + in->nparams + 1, sizeof(**params))) ||
	    !(*fparams = calloc((h ? h->nfile_parameters : 0) + 1, sizeof(**fparams))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; h && i < h->nvalue_files; i++)
		(*vfiles)[nv++] = h->value_files[i];
	for (i = 0; i < in->nvalue_files; i++)
		(*vfiles)[nv++] = in->value_files[i];
	for (i = 0; h && i < h->nparameters; i++) {
		(*params)[np].name = h->parameters[i].name;
		(*params)[np].value = h->parameters[i].value ? h->parameters[i].value : "";
		(*params)[np++].force_string = h->parameters[i].force_string;
	}
	for (i = 0; i < in->nparams; i++)
		(*params)[np++] = in->params[i];
	src->helm.value_files = *vfiles;
	src->helm.nvalue_files = nv;
	src->helm.params = *params;
	src->helm.nparams = np;
	if (!h)
		return 0;
	for (i = 0; i < h->nfile_parameters; i++) {
		(*fparams)[i].name = h->file_parameters[i].name;
		(*fparams)[i].path = h->file_parameters[i].path;
	}
	src->helm.file_params = *fparams;
	src->helm.nfile_params = h->nfile_parameters;
	src->helm.values = h->values;
	src->helm.release_name = h->release_name;
	src->helm.skip_crds = h->skip_crds;
	src->helm.kube_version = h->kube_version;
	src->helm.api_versions = (const char *const *)h->api_versions;
	src->helm.napi_versions = h->napi_versions;
	src->helm.post_render = h->post_render;
	return 0;
}

int pipeline_build(struct pipeline_result *out, const struct pipeline_input *in,
                   const struct render_opts *ro, struct decrypt_ctx *dc)
{
	struct render_source src;
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render_helm_param *params = NULL;
	struct render_helm_file_param *fparams = NULL;
	const char **vfiles = NULL;
	struct doc **sorted = NULL;
	unsigned *flags = NULL, *sflags = NULL;
	size_t *order = NULL, i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ro)
		opts = *ro;
	opts.hook = dc ? decrypt_render_hook : NULL;
	opts.hook_arg = dc;
	if ((rc = make_source(&src, in, &vfiles, &params, &fparams)) < 0 ||
	    (rc = render(&res, &src, &opts)) < 0)
		goto out;
	n = res.objs.n;
	if (!(flags = calloc(n + 1, sizeof(*flags))) ||
	    !(sflags = calloc(n + 1, sizeof(*sflags))) ||
	    !(order = calloc(n + 1, sizeof(*order))) ||
	    !(sorted = calloc(n + 1, sizeof(*sorted)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (dc && (rc = decrypt_objects(dc, res.objs.objs, n, flags)) < 0)
		goto out;
	if ((rc = apply_order(order, res.objs.objs, n, 0)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		sorted[i] = res.objs.objs[order[i]];
		sflags[i] = flags[order[i]];
	}
	/* the objects move to the result; the render result keeps only its warnings */
	free(res.objs.objs);
	res.objs.objs = NULL;
	res.objs.n = res.objs.cap = 0;
	out->objs = sorted;
	out->flags = sflags;
	out->n = n;
	out->warnings = res.warnings;
	out->nwarnings = res.nwarnings;
	out->kind = res.kind;
	res.warnings = NULL;
	res.nwarnings = 0;
	sorted = NULL;
	sflags = NULL;
	rc = 0;
out:
	free(sorted);
	free(sflags);
	free(flags);
	free(order);
	free(vfiles);
	free(params);
	free(fparams);
	render_result_release(&res);
	return rc;
}
