/*
 * The Application CRD, generated from the field table (app_fields.c), so the
 * schema the API server prunes with and the checks `gitseal build --app-file`
 * and `gitseal check` run never disagree.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/error.h"
#include "doc/doc.h"

/* What Go's time.ParseDuration takes, unsigned (app_check's is_duration()). */
#define DURATION_PATTERN "^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\xc2\xb5s|ms|s|m|h))+)$"

static const char *type_name(enum app_type t)
{
	switch (t) {
	case APP_T_OBJECT: return "object";
	case APP_T_LIST: return "array";
	case APP_T_STRING: return "string";
	case APP_T_BOOL: return "boolean";
	case APP_T_INT: return "integer";
	}
	return "string";
}

/* {description, type[, pattern][, x-kubernetes-preserve-unknown-fields]} for one row. */
static struct doc *schema_of(const struct app_field *f, int root_metadata)
{
	struct doc *s = doc_new_map();
	int rc = 0;
	if (!s)
		return NULL;
	if (!root_metadata && f->help)
		rc |= doc_set(s, "description", doc_new_strz(f->help));
	rc |= doc_set(s, "type", doc_new_strz(type_name(f->type)));
	if (f->flags & APP_F_DURATION)
		rc |= doc_set(s, "pattern", doc_new_strz(DURATION_PATTERN));
	if ((f->flags & APP_F_FREEFORM) && !root_metadata)
		rc |= doc_set(s, "x-kubernetes-preserve-unknown-fields", doc_new_bool(1));
	if (rc) {
		doc_free(s);
		return NULL;
	}
	return s;
}

/* The schema node of a parent path ("" = the root; "a.b[]" = the items of a.b). */
static struct doc *find_node(struct doc *root, const char *path)
{
	struct doc *n = root;
	const char *p = path;
	while (n && *p) {
		size_t len = strcspn(p, ".[");
		if (len)
			n = doc_getn(doc_get(n, "properties"), p, len);
		p += len;
		if (!strncmp(p, "[]", 2)) {
			n = doc_get(n, "items");
			p += 2;
		}
		if (*p == '.')
			p++;
	}
	return n;
}

static int add_required(struct doc *parent, const char *leaf)
{
	struct doc *req = doc_get(parent, "required");
	int rc;
	if (!req) {
		if ((rc = doc_set(parent, "required", doc_new_seq())) < 0)
			return rc;
		req = doc_get(parent, "required");
	}
	return doc_push(req, doc_new_strz(leaf));
}

static int build_schema(struct doc **out)
{
	size_t n, i;
	const struct app_field *f = app_fields(&n);
	struct doc *root = doc_new_map();
	int rc = 0;

	*out = NULL;
	if (!root ||
	    doc_set(root, "description",
	            doc_new_strz("An application: manifests in Git (plain, Kustomize or "
	                         "Helm, with SOPS and sealed secrets) kept applied to a "
	                         "cluster")) < 0 ||
	    doc_set(root, "type", doc_new_strz("object")) < 0) {
		doc_free(root);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	for (i = 0; i < n && rc == 0; i++) {
		const char *path = f[i].path, *dot = strrchr(path, '.');
		const char *leaf;
		char *parent_path;
		struct doc *parent, *node, *props;
		size_t plen;
		int is_items = 0;

		/* "a.b[]": the items of a.b; "a.b": property b of a */
		plen = strlen(path);
		if (plen > 2 && !strcmp(path + plen - 2, "[]")) {
			is_items = 1;
			parent_path = strndup(path, plen - 2);
			leaf = NULL;
		} else {
			parent_path = dot ? strndup(path, (size_t)(dot - path)) : strdup("");
			leaf = dot ? dot + 1 : path;
		}
		if (!parent_path) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			break;
		}
		parent = find_node(root, parent_path);
		if (!parent) {
			rc = gs_error(GS_EINVAL, "app fields: %s comes before its parent", path);
			free(parent_path);
			break;
		}
		if (!(node = schema_of(&f[i], !strcmp(path, "metadata")))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			free(parent_path);
			break;
		}
		if (is_items) {
			rc = doc_set(parent, "items", node);
		} else {
			if (!(props = doc_get(parent, "properties"))) {
				if ((rc = doc_set(parent, "properties", doc_new_map())) < 0) {
					doc_free(node);
					free(parent_path);
					break;
				}
				props = doc_get(parent, "properties");
			}
			rc = doc_set(props, leaf, node);
			/* the API server fills apiVersion, kind and metadata: only spec is required
			 * at the top */
			if (rc == 0 && (f[i].flags & APP_F_REQUIRED) &&
			    (*parent_path || !strcmp(leaf, "spec")))
				rc = add_required(parent, leaf);
		}
		free(parent_path);
	}
	if (rc < 0) {
		doc_free(root);
		return rc;
	}
	*out = root;
	return 0;
}

static int set_str(struct doc *m, const char *k, const char *v)
{
	return doc_set(m, k, doc_new_strz(v));
}

static struct doc *column(const char *name, const char *type, const char *path)
{
	struct doc *c = doc_new_map();
	if (!c || set_str(c, "name", name) < 0 || set_str(c, "type", type) < 0 ||
	    set_str(c, "jsonPath", path) < 0) {
		doc_free(c);
		return NULL;
	}
	return c;
}

int app_crd(struct doc **out)
{
	struct doc *crd = doc_new_map(), *meta = doc_new_map(), *spec = doc_new_map();
	struct doc *names = doc_new_map(), *shorts = doc_new_seq(), *versions = doc_new_seq();
	struct doc *v = doc_new_map(), *sub = doc_new_map(), *cols = doc_new_seq();
	struct doc *schema = NULL, *wrap = doc_new_map();
	int rc = 0;

	*out = NULL;
	if ((rc = build_schema(&schema)) < 0)
		goto fail;
	if (!crd || !meta || !spec || !names || !shorts || !versions || !v || !sub || !cols ||
	    !wrap)
		goto nomem;
	rc |= set_str(meta, "name", "applications.gitseal.dev");
	rc |= set_str(names, "kind", "Application");
	rc |= set_str(names, "listKind", "ApplicationList");
	rc |= set_str(names, "plural", "applications");
	rc |= set_str(names, "singular", "application");
	rc |= doc_push(shorts, doc_new_strz("app"));
	rc |= doc_push(shorts, doc_new_strz("apps"));
	rc |= doc_set(names, "shortNames", shorts);
	shorts = NULL;
	rc |= doc_set(sub, "status", doc_new_map());
	rc |= doc_push(cols, column("Sync", "string", ".status.sync.status"));
	rc |= doc_push(cols, column("Health", "string", ".status.health.status"));
	rc |= doc_push(cols, column("Revision", "string", ".status.sync.revision"));
	rc |= doc_push(cols, column("Age", "date", ".metadata.creationTimestamp"));
	rc |= doc_set(wrap, "openAPIV3Schema", schema);
	schema = NULL;
	rc |= set_str(v, "name", "v1alpha1");
	rc |= doc_set(v, "served", doc_new_bool(1));
	rc |= doc_set(v, "storage", doc_new_bool(1));
	rc |= doc_set(v, "subresources", sub);
	sub = NULL;
	rc |= doc_set(v, "additionalPrinterColumns", cols);
	cols = NULL;
	rc |= doc_set(v, "schema", wrap);
	wrap = NULL;
	rc |= doc_push(versions, v);
	v = NULL;
	rc |= set_str(spec, "group", "gitseal.dev");
	rc |= doc_set(spec, "names", names);
	names = NULL;
	rc |= set_str(spec, "scope", "Namespaced");
	rc |= doc_set(spec, "versions", versions);
	versions = NULL;
	rc |= set_str(crd, "apiVersion", "apiextensions.k8s.io/v1");
	rc |= set_str(crd, "kind", "CustomResourceDefinition");
	rc |= doc_set(crd, "metadata", meta);
	meta = NULL;
	rc |= doc_set(crd, "spec", spec);
	spec = NULL;
	if (rc)
		goto nomem;
	*out = crd;
	return 0;
nomem:
	rc = gs_error(GS_ENOMEM, "out of memory");
fail:
	doc_free(crd);
	doc_free(meta);
	doc_free(spec);
	doc_free(names);
	doc_free(shorts);
	doc_free(versions);
	doc_free(v);
	doc_free(sub);
	doc_free(cols);
	doc_free(schema);
	doc_free(wrap);
	return rc;
}

int app_crd_yaml(struct buf *out)
{
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	struct doc *crd = NULL;
	int rc;

	if ((rc = app_crd(&crd)) < 0)
		return rc;
	rc = buf_adds(out,
	              "# The Application CRD (applications.gitseal.dev). GENERATED from the field "
	              "table in\n# lib/app/app_fields.c by `make crd`: edit the table, not this "
	              "file.\n");
	if (rc >= 0)
		rc = doc_emit_yaml(out, crd, &eo);
	doc_free(crd);
	return rc < 0 ? rc : 0;
}
