/* Object calls: get, list (paged), create, update, update status, patch, apply, delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client.h"

#define PATH_MAX_LEN (16 << 10)

static const char *kube_ns(struct kube_client *kc, const char *ns)
{
	return ns && *ns ? ns : kc->ns;
}

/* Secrets are parsed into wiped memory. */
static unsigned parse_flags(const char *kind)
{
	return DOC_PARSE_JSON |
	       (kind && (!strcmp(kind, "Secret") || !strcmp(kind, "SecretList")) ? DOC_PARSE_SECRET
	                                                                         : 0);
}

int kube__parse_body_raw(struct doc **out, const char *p, size_t n, const char *what,
                         const char *kind)
{
	int rc = doc_parse_one(out, what, p, n, parse_flags(kind));
	if (rc < 0)
		return gs_error_prefix(rc, "response");
	return 0;
}

int kube__parse_body(struct doc **out, const struct buf *body, const char *what, const char *kind)
{
	return kube__parse_body_raw(out, body->p, body->len, what, kind);
}

/* "?a=b&c=d": add one query parameter (value escaped). */
static int add_query(struct buf *b, const char *key, const char *val)
{
	int rc;
	if (!val)
		return 0;
	if ((rc = buf_addf(b, "%c%s=", strchr(b->p, '?') ? '&' : '?', key)) < 0)
		return rc;
	return kube__escape(b, val);
}

static int write_query(struct buf *b, int dry_run, const char *field_manager)
{
	int rc = 0;
	if (dry_run)
		rc = add_query(b, "dryRun", "All");
	if (rc == 0)
		rc = add_query(b, "fieldManager", field_manager);
	return rc;
}

/* The object's resource and path (collection when with_name is 0). */
static int obj_path(struct buf *path, struct kube_resource *res, struct kube_client *kc,
                    const struct doc *obj, int with_name, const char *sub)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *kind = doc_str(doc_get(obj, "kind"));
	const char *name = doc_str(doc_getp(obj, "metadata", "name", NULL));
	const char *ns = doc_str(doc_getp(obj, "metadata", "namespace", NULL));
	int rc;

	if (doc_kind(obj) != DOC_MAP)
		return gs_error(GS_EINVAL, "object is not a map");
	if (!av || !kind)
		return gs_error(GS_EINVAL, "object without apiVersion or kind");
	if (with_name && (!name || !*name))
		return gs_error(GS_EINVAL, "%s: object without metadata.name", kind);
	if ((rc = kube_discover(res, kc, av, kind)) < 0)
		return rc;
	return kube_resource_path(path, res, kube_ns(kc, ns), with_name ? name : NULL, sub);
}

static int send_obj(struct doc **out, struct kube_client *kc, const char *method,
                    const struct buf *path, const char *ctype, const struct doc *body_doc,
                    const char *what, const char *kind)
{
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct buf body = BUF_INIT_SECRET(KUBE_BODY_MAX), resp = BUF_INIT_SECRET(KUBE_BODY_MAX);
	struct kube__call call = { 0 };
	int rc;

	if (out)
		*out = NULL;
	if (body_doc && (rc = doc_emit_json(&body, body_doc, &eo)) < 0)
		goto out;
	call.method = method;
	call.path = path->p;
	call.content_type = ctype;
	call.body = body_doc ? body.p : NULL;
	call.body_len = body.len;
	if ((rc = kube__do(kc, &call, &resp, NULL)) < 0) {
		gs_error_prefix(rc, "%s", what);
		goto out;
	}
	rc = out ? kube__parse_body(out, &resp, what, kind) : 0;
out:
	buf_release(&body);
	buf_release(&resp);
	return rc;
}

static void what_of(char *w, size_t n, const char *kind, const char *ns, const char *name,
                    const struct kube_resource *r)
{
	if (r && r->namespaced)
		snprintf(w, n, "%s %s/%s", kind, ns ? ns : "", name ? name : "");
	else
		snprintf(w, n, "%s %s", kind, name ? name : "");
}

int kube_get(struct doc **out, struct kube_client *kc, const char *api_version, const char *kind,
             const char *ns, const char *name)
{
	struct kube_resource res = { 0 };
	struct buf path = BUF_INIT(PATH_MAX_LEN), resp = BUF_INIT_SECRET(KUBE_BODY_MAX);
	struct kube__call call = { 0 };
	char what[512];
	int rc;

	*out = NULL;
	if ((rc = kube_discover(&res, kc, api_version, kind)) < 0 ||
	    (rc = kube_resource_path(&path, &res, kube_ns(kc, ns), name ? name : "", NULL)) < 0)
		goto out;
	what_of(what, sizeof(what), kind, kube_ns(kc, ns), name, &res);
	call.method = "GET";
	call.path = path.p;
	if ((rc = kube__do(kc, &call, &resp, NULL)) < 0) {
		gs_error_prefix(rc, "%s", what);
		goto out;
	}
	rc = kube__parse_body(out, &resp, what, kind);
out:
	kube_resource_release(&res);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int kube_list_each(struct kube_client *kc, const char *api_version, const char *kind,
                   const char *ns, const struct kube_list_opts *opts, kube_item_cb cb, void *ctx,
                   char **resource_version)
{
	struct kube_list_opts o = KUBE_LIST_OPTS_INIT;
	struct kube_resource res = { 0 };
	struct buf base = BUF_INIT(PATH_MAX_LEN), path = BUF_INIT(PATH_MAX_LEN);
	struct buf resp = BUF_INIT_SECRET(KUBE_BODY_MAX);
	char *cont = NULL, limit[32];
	struct doc *page = NULL;
	int rc, first = 1;

	if (resource_version)
		*resource_version = NULL;
	if (opts)
		o = *opts;
	if ((rc = kube_discover(&res, kc, api_version, kind)) < 0 ||
	    (rc = kube_resource_path(&base, &res, o.all_namespaces ? NULL : kube_ns(kc, ns), NULL,
	                             NULL)) < 0)
		goto out;
	snprintf(limit, sizeof(limit), "%ld", o.limit > 0 ? o.limit : 500);
	do {
		struct kube__call call = { 0 };
		struct doc *items;
		size_t i;

		buf_reset(&path);
		buf_reset(&resp);
		if ((rc = buf_set(&path, base.p, base.len)) < 0 ||
		    (rc = add_query(&path, "limit", limit)) < 0 ||
		    (rc = add_query(&path, "labelSelector", o.label_selector)) < 0 ||
		    (rc = add_query(&path, "fieldSelector", o.field_selector)) < 0 ||
		    (rc = add_query(&path, "continue", cont)) < 0)
			goto out;
		call.method = "GET";
		call.path = path.p;
		call.accept = o.metadata_only ? KUBE_ACCEPT_METADATA_LIST : NULL;
		if ((rc = kube__do(kc, &call, &resp, NULL)) < 0)
			goto out;
		doc_free(page);
		page = NULL;
		if ((rc = kube__parse_body(&page, &resp, path.p, kind)) < 0)
			goto out;
		if (first && resource_version) {
			const char *rv =
			    doc_str(doc_getp(page, "metadata", "resourceVersion", NULL));
			if (rv && !(*resource_version = strdup(rv))) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
		}
		first = 0;
		items = doc_get(page, "items");
		for (i = 0; i < doc_len(items) && doc_kind(items) == DOC_SEQ; i++) {
			struct doc *it = doc_val_at(items, i);
			/* items of a typed list carry no apiVersion/kind; give them theirs */
			if (!doc_get(it, "kind") &&
			    ((rc = doc_set(it, "apiVersion", doc_new_strz(api_version))) < 0 ||
			     (rc = doc_set(it, "kind", doc_new_strz(kind))) < 0))
				goto out;
			if ((rc = cb(ctx, it)) != 0)
				goto out;
		}
		free(cont);
		cont = NULL;
		{
			const char *c = doc_str(doc_getp(page, "metadata", "continue", NULL));
			if (c && *c && !(cont = strdup(c))) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
		}
	} while (cont);
	rc = 0;
out:
	if (rc < 0 && resource_version) {
		free(*resource_version);
		*resource_version = NULL;
	}
	free(cont);
	doc_free(page);
	kube_resource_release(&res);
	buf_release(&base);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

static int collect(void *ctx, const struct doc *item)
{
	struct doc *c = doc_clone(item);
	if (!c)
		return gs_error(GS_ENOMEM, "out of memory");
	return doc_push(ctx, c) < 0 ? GS_ENOMEM : 0;
}

int kube_list(struct doc **out, struct kube_client *kc, const char *api_version, const char *kind,
              const char *ns, const struct kube_list_opts *opts)
{
	struct doc *list = doc_new_map(), *items = doc_new_seq(), *meta = doc_new_map();
	char *rv = NULL, lkind[256];
	int rc;

	*out = NULL;
	snprintf(lkind, sizeof(lkind), "%sList", kind ? kind : "");
	if (!list || !items || !meta ||
	    doc_set(list, "apiVersion", doc_new_strz(api_version)) < 0 ||
	    doc_set(list, "kind", doc_new_strz(lkind)) < 0) {
		doc_free(items);
		doc_free(meta);
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	rc = doc_set(list, "metadata", meta);
	meta = NULL;
	if (rc == 0) {
		rc = doc_set(list, "items", items);
		items = doc_get(list, "items");
	}
	if (rc < 0 ||
	    (rc = kube_list_each(kc, api_version, kind, ns, opts, collect, items, &rv)) < 0)
		goto out;
	if (rv &&
	    (rc = doc_set(doc_get(list, "metadata"), "resourceVersion", doc_new_strz(rv))) < 0)
		goto out;
	*out = list;
	list = NULL;
out:
	free(rv);
	doc_free(list);
	doc_free(meta);
	return rc;
}

static int write_call(struct doc **out, struct kube_client *kc, const struct doc *obj,
                      const char *method, int with_name, const char *sub,
                      const struct kube_write_opts *opts)
{
	struct kube_write_opts o = KUBE_WRITE_OPTS_INIT;
	struct kube_resource res = { 0 };
	struct buf path = BUF_INIT(PATH_MAX_LEN);
	const char *kind = doc_str(doc_get(obj, "kind"));
	char what[512];
	int rc;

	if (out)
		*out = NULL;
	if (opts)
		o = *opts;
	if ((rc = obj_path(&path, &res, kc, obj, with_name, sub)) < 0 ||
	    (rc = write_query(&path, o.dry_run,
	                      o.field_manager ? o.field_manager : kc->field_manager)) < 0)
		goto out;
	what_of(what, sizeof(what), kind,
	        kube_ns(kc, doc_str(doc_getp(obj, "metadata", "namespace", NULL))),
	        doc_str(doc_getp(obj, "metadata", "name", NULL)), &res);
	rc = send_obj(out, kc, method, &path, NULL, obj, what, kind);
out:
	kube_resource_release(&res);
	buf_release(&path);
	return rc;
}

int kube_create(struct doc **out, struct kube_client *kc, const struct doc *obj,
                const struct kube_write_opts *opts)
{
	return write_call(out, kc, obj, "POST", 0, NULL, opts);
}

int kube_update(struct doc **out, struct kube_client *kc, const struct doc *obj,
                const struct kube_write_opts *opts)
{
	return write_call(out, kc, obj, "PUT", 1, NULL, opts);
}

int kube_update_status(struct doc **out, struct kube_client *kc, const struct doc *obj,
                       const struct kube_write_opts *opts)
{
	return write_call(out, kc, obj, "PUT", 1, "status", opts);
}

int kube_merge_patch(struct doc **out, struct kube_client *kc, const char *api_version,
                     const char *kind, const char *ns, const char *name, const struct doc *patch,
                     const char *subresource, const struct kube_write_opts *opts)
{
	struct kube_write_opts o = KUBE_WRITE_OPTS_INIT;
	struct kube_resource res = { 0 };
	struct buf path = BUF_INIT(PATH_MAX_LEN);
	char what[512];
	int rc;

	if (out)
		*out = NULL;
	if (opts)
		o = *opts;
	if ((rc = kube_discover(&res, kc, api_version, kind)) < 0 ||
	    (rc = kube_resource_path(&path, &res, kube_ns(kc, ns), name ? name : "", subresource)) <
	        0 ||
	    (rc = write_query(&path, o.dry_run,
	                      o.field_manager ? o.field_manager : kc->field_manager)) < 0)
		goto out;
	what_of(what, sizeof(what), kind, kube_ns(kc, ns), name, &res);
	rc = send_obj(out, kc, "PATCH", &path, "application/merge-patch+json", patch, what, kind);
out:
	kube_resource_release(&res);
	buf_release(&path);
	return rc;
}

int kube_apply(struct doc **out, struct kube_client *kc, const struct doc *obj,
               const struct kube_apply_opts *opts)
{
	struct kube_apply_opts o = KUBE_APPLY_OPTS_INIT;
	struct kube_resource res = { 0 };
	struct buf path = BUF_INIT(PATH_MAX_LEN);
	const char *kind = doc_str(doc_get(obj, "kind"));
	char what[512];
	int rc;

	if (out)
		*out = NULL;
	if (opts)
		o = *opts;
	if ((rc = obj_path(&path, &res, kc, obj, 1, o.subresource)) < 0 ||
	    (rc = write_query(&path, o.dry_run,
	                      o.field_manager ? o.field_manager : kc->field_manager)) < 0 ||
	    (o.force && (rc = add_query(&path, "force", "true")) < 0))
		goto out;
	what_of(what, sizeof(what), kind,
	        kube_ns(kc, doc_str(doc_getp(obj, "metadata", "namespace", NULL))),
	        doc_str(doc_getp(obj, "metadata", "name", NULL)), &res);
	/* JSON is YAML: the apply body goes out as JSON with the YAML media type */
	rc = send_obj(out, kc, "PATCH", &path, "application/apply-patch+yaml", obj, what, kind);
out:
	kube_resource_release(&res);
	buf_release(&path);
	return rc;
}

int kube_delete(struct kube_client *kc, const char *api_version, const char *kind, const char *ns,
                const char *name, const struct kube_delete_opts *opts)
{
	struct kube_delete_opts o = KUBE_DELETE_OPTS_INIT;
	struct kube_resource res = { 0 };
	struct buf path = BUF_INIT(PATH_MAX_LEN);
	struct doc *body = doc_new_map(), *pre = NULL;
	char what[512];
	int rc;

	if (opts)
		o = *opts;
	if (!body) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = kube_discover(&res, kc, api_version, kind)) < 0 ||
	    (rc = kube_resource_path(&path, &res, kube_ns(kc, ns), name ? name : "", NULL)) < 0)
		goto out;
	rc = doc_set(body, "apiVersion", doc_new_strz("v1"));
	if (rc == 0)
		rc = doc_set(body, "kind", doc_new_strz("DeleteOptions"));
	if (rc == 0 && o.propagation_policy)
		rc = doc_set(body, "propagationPolicy", doc_new_strz(o.propagation_policy));
	if (rc == 0 && o.grace_period_seconds >= 0)
		rc = doc_set(body, "gracePeriodSeconds", doc_new_int(o.grace_period_seconds));
	if (rc == 0 && o.dry_run) {
		struct doc *dr = doc_new_seq();
		if (!dr || doc_push(dr, doc_new_strz("All")) < 0)
			rc = GS_ENOMEM;
		else
			rc = doc_set(body, "dryRun", dr);
	}
	if (rc == 0 && (o.precondition_uid || o.precondition_resource_version)) {
		if (!(pre = doc_new_map()))
			rc = GS_ENOMEM;
		if (rc == 0 && o.precondition_uid)
			rc = doc_set(pre, "uid", doc_new_strz(o.precondition_uid));
		if (rc == 0 && o.precondition_resource_version)
			rc = doc_set(pre, "resourceVersion",
			             doc_new_strz(o.precondition_resource_version));
		if (rc == 0) {
			rc = doc_set(body, "preconditions", pre);
			pre = NULL;
		}
	}
	if (rc < 0) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	what_of(what, sizeof(what), kind, kube_ns(kc, ns), name, &res);
	rc = send_obj(NULL, kc, "DELETE", &path, NULL, body, what, kind);
out:
	doc_free(pre);
	doc_free(body);
	kube_resource_release(&res);
	buf_release(&path);
	return rc;
}
