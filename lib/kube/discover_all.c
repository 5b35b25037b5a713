/*
 * Every resource kind the server serves (one version per group: the preferred
 * one), for the callers that must look at "everything in a namespace" (prune:
 * a Namespace is deleted only when it holds nothing we do not own). About one
 * request per API group; not cached (rare).
 */
#include <stdlib.h>
#include <string.h>

#include "kube/client.h"

static int has_verb(const struct doc *r, const char *verb)
{
	const struct doc *v = doc_get(r, "verbs");
	size_t i;
	for (i = 0; i < doc_len(v) && doc_kind(v) == DOC_SEQ; i++)
		if (doc_str(doc_val_at(v, i)) && !strcmp(doc_str(doc_val_at(v, i)), verb))
			return 1;
	return 0;
}

static int add_gv(struct kube_resource **v, size_t *n, size_t *cap, struct kube_client *kc,
                  const char *group, const char *version, int list_only)
{
	struct buf path = BUF_INIT(4096), body = BUF_INIT(KUBE_BODY_MAX);
	struct kube__call call = { 0 };
	struct doc *d = NULL;
	const struct doc *list;
	size_t i;
	int rc;

	if ((rc = *group ? buf_addf(&path, "/apis/%s/%s", group, version)
	                 : buf_addf(&path, "/api/%s", version)) < 0)
		goto out;
	call.method = "GET";
	call.path = path.p;
	if ((rc = kube__do(kc, &call, &body, NULL)) < 0 ||
	    (rc = doc_parse_one(&d, path.p, body.p, body.len, DOC_PARSE_JSON)) < 0)
		goto out;
	list = doc_get(d, "resources");
	for (i = 0; i < doc_len(list) && doc_kind(list) == DOC_SEQ; i++) {
		const struct doc *r = doc_val_at(list, i);
		const char *name = doc_str(doc_get(r, "name")), *kind = doc_str(doc_get(r, "kind"));
		struct kube_resource *e;
		int ns = 0;
		if (!name || !kind || strchr(name, '/') || (list_only && !has_verb(r, "list")))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? 2 * *cap : 64;
			struct kube_resource *nv = realloc(*v, nc * sizeof(*nv));
			if (!nv) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			*v = nv;
			*cap = nc;
		}
		doc_get_bool(doc_get(r, "namespaced"), &ns);
		e = &(*v)[*n];
		memset(e, 0, sizeof(*e));
		e->group = strdup(group);
		e->version = strdup(version);
		e->kind = strdup(kind);
		e->plural = strdup(name);
		e->namespaced = ns;
		(*n)++;
		if (!e->group || !e->version || !e->kind || !e->plural) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	doc_free(d);
	buf_release(&path);
	buf_release(&body);
	return rc;
}

int kube_discover_all(struct kube_resource **out, size_t *nout, struct kube_client *kc,
                      int list_only)
{
	struct kube__call call = { 0 };
	struct buf body = BUF_INIT(KUBE_BODY_MAX);
	struct kube_resource *v = NULL;
	struct doc *groups = NULL;
	const struct doc *gl;
	size_t n = 0, cap = 0, i;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = add_gv(&v, &n, &cap, kc, "", "v1", list_only)) < 0)
		goto out;
	call.method = "GET";
	call.path = "/apis";
	if ((rc = kube__do(kc, &call, &body, NULL)) < 0 ||
	    (rc = doc_parse_one(&groups, "/apis", body.p, body.len, DOC_PARSE_JSON)) < 0)
		goto out;
	gl = doc_get(groups, "groups");
	for (i = 0; i < doc_len(gl) && doc_kind(gl) == DOC_SEQ; i++) {
		const struct doc *g = doc_val_at(gl, i);
		const char *name = doc_str(doc_get(g, "name"));
		const char *ver = doc_str(doc_getp(g, "preferredVersion", "version", NULL));
		if (!name || !ver)
			continue;
		if ((rc = add_gv(&v, &n, &cap, kc, name, ver, list_only)) < 0 && rc != GS_ENOTFOUND)
			goto out;
		rc = 0; /* a group that went away since /apis: skip it */
	}
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
out:
	for (i = 0; i < n; i++)
		kube_resource_release(&v[i]);
	free(v);
	doc_free(groups);
	buf_release(&body);
	return rc;
}

void kube_resources_free(struct kube_resource *v, size_t n)
{
	size_t i;
	for (i = 0; v && i < n; i++)
		kube_resource_release(&v[i]);
	free(v);
}
