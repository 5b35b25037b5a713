/*
 * One object of a staged apply (a worker thread's job): find out whether it
 * exists, take over kubectl's fields, predict the stored object with a dry
 * run, compare, and only then write. Immutable-field errors recreate the
 * object when it asks for it (gitops-anchors §2.4).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"
#include "core/clock.h"

void apply__count(struct apply__run *run, int write)
{
	__atomic_add_fetch(&run->requests, 1, __ATOMIC_RELAXED);
	if (write)
		__atomic_add_fetch(&run->writes, 1, __ATOMIC_RELAXED);
}

/* r->error = "<what>: <this thread's last message>" */
static void fail(struct apply_result *r, const char *fmt, ...) GS_PRINTF(2, 3);
static void fail(struct apply_result *r, const char *fmt, ...)
{
	struct buf b = BUF_INIT(8192);
	va_list ap;

	buf_addf(&b, "%s: ", r->what ? r->what : "object");
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(r->error);
	r->error = buf_detach(&b, NULL);
	r->action = APPLY_FAILED;
}

static int add_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			rc = buf_addc(b, (char)c);
		else
			rc = buf_addf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	return rc;
}

/*
 * Server-side apply (force) of obj, or its dry run. Sent through kube_request() rather than
 * kube_apply() because a failure's whole Status is wanted: details.causes names the immutable
 * fields, while the one-line message is capped and may quote a pod template. On failure
 * *status (if not NULL) gets the Status object (wiped memory: it may quote values). out NULL:
 * the stored object is not wanted (not parsed: thousands of creations cost less CPU).
 */
static int server_apply(struct apply__run *run, struct doc **out, const struct doc *obj,
                        int dry_run, struct doc **status)
{
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct kube_resource res = { 0 };
	struct buf path = BUF_INIT(16 << 10), body = BUF_INIT_SECRET(KUBE_BODY_MAX);
	struct buf resp = BUF_INIT_SECRET(KUBE_BODY_MAX);
	struct kube_request req = { "PATCH", NULL, "application/apply-patch+yaml", NULL, 0, 0 };
	const char *kind = doc_k8s_kind(obj);
	int rc, secret = kind && !strcmp(kind, "Secret");

	if (out)
		*out = NULL;
	if (status)
		*status = NULL;
	if ((rc = kube_discover(&res, run->kc, doc_str(doc_get(obj, "apiVersion")), kind)) < 0 ||
	    (rc = kube_resource_path(&path, &res, doc_k8s_namespace(obj), doc_k8s_name(obj),
	                             NULL)) < 0 ||
	    (rc = buf_adds(&path, "?fieldManager=")) < 0 ||
	    (rc = add_escaped(&path, run->o.field_manager)) < 0 ||
	    (rc = buf_adds(&path, dry_run ? "&force=true&dryRun=All" : "&force=true")) < 0 ||
	    (rc = doc_emit_json(&body, obj, &eo)) <
	        0) /* JSON is YAML: sent with the apply media type */
		goto out;
	req.path = path.p;
	req.body = body.p;
	req.body_len = body.len;
	apply__count(run, !dry_run);
	if ((rc = kube_request(run->kc, &req, &resp)) < 0) {
		if (status && resp.len)
			doc_parse_one(status, "status", resp.p, resp.len,
			              DOC_PARSE_JSON | DOC_PARSE_SECRET);
		goto out;
	}
	if (out && (rc = doc_parse_one(out, "response", resp.p, resp.len,
	                               DOC_PARSE_JSON | (secret ? DOC_PARSE_SECRET : 0))) < 0)
		gs_error_prefix(rc, "apply response");
out:
	kube_resource_release(&res);
	buf_release(&path);
	buf_release(&body);
	buf_release(&resp);
	return rc;
}

/* GET the live object: 1 present (*live), 0 absent, < 0 error. */
static int get_live(struct apply__run *run, struct doc **live, const struct doc *obj)
{
	int rc;
	apply__count(run, 0);
	rc = kube_get(live, run->kc, doc_str(doc_get(obj, "apiVersion")), doc_k8s_kind(obj),
	              doc_k8s_namespace(obj), doc_k8s_name(obj));
	if (rc == GS_ENOTFOUND)
		return 0;
	return rc < 0 ? rc : 1;
}

/* What the API server says when a field cannot change: "field is immutable" (most kinds),
 * "may not change once set" (Service clusterIPs), "updates to statefulset spec for fields other
 * than ... are forbidden". */
static int says_immutable(const char *m)
{
	return m && (strstr(m, "immutable") || strstr(m, "may not change once set") ||
	             strstr(m, "are forbidden"));
}

/*
 * Whether a failed apply's Status (422 Invalid) is about immutable fields; their names go to out
 * ("spec.clusterIPs[0], spec.template"). Only the field names are kept: the messages may quote
 * values (a Job's whole pod template).
 */
static int immutable_fields(struct buf *out, const struct doc *status)
{
	const struct doc *causes = doc_getp(status, "details", "causes", NULL);
	const char *reason = doc_str(doc_get(status, "reason"));
	size_t i;

	if (!reason || strcmp(reason, "Invalid"))
		return 0;
	for (i = 0; i < doc_len(causes) && doc_kind(causes) == DOC_SEQ; i++) {
		const struct doc *c = doc_val_at(causes, i);
		const char *field = doc_str(doc_get(c, "field"));
		if (says_immutable(doc_str(doc_get(c, "message"))) && field && *field)
			buf_addf(out, "%s%s", out->len ? ", " : "", field);
	}
	if (!out->len && says_immutable(doc_str(doc_get(status, "message"))))
		buf_adds(out, "a field");
	return out->len > 0;
}

static int wants_force(const struct doc *obj)
{
	const char *v = doc_str(doc_getp(obj, "metadata", "annotations", APPLY_ANN_FORCE, NULL));
	return v && !strcmp(v, "enabled");
}

/* Delete (background) and wait until the object is gone (finalizers may hold it). */
static int delete_and_wait(struct apply__run *run, const struct doc *obj)
{
	struct kube_delete_opts d = KUBE_DELETE_OPTS_INIT;
	const char *av = doc_str(doc_get(obj, "apiVersion")), *kind = doc_k8s_kind(obj);
	const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
	int64_t deadline = gs_mono_ms() + run->o.delete_timeout_ms;
	int rc;

	d.propagation_policy = "Background";
	apply__count(run, 1);
	if ((rc = kube_delete(run->kc, av, kind, ns, name, &d)) < 0 && rc != GS_ENOTFOUND)
		return rc;
	for (;;) {
		struct doc *live = NULL;
		apply__count(run, 0);
		rc = kube_get(&live, run->kc, av, kind, ns, name);
		doc_free(live);
		if (rc == GS_ENOTFOUND)
			return 0;
		if (rc < 0)
			return rc;
		if (gs_mono_ms() >= deadline)
			return gs_error(GS_EIO, "still there %ld ms after the delete (finalizers?)",
			                run->o.delete_timeout_ms);
		gs_sleep_ms(run->o.poll_interval_ms);
	}
}

/* Stage 0 objects: note whether the stored object is already ready (saves a poll). */
static void note_ready(struct apply__item *it, const struct doc *stored)
{
	struct apply_health h;
	if (it->stage != APPLY__STAGE_DEFS || !stored)
		return;
	apply_health(&h, stored, 0);
	it->ready = h.status == APPLY_HEALTHY;
}

/* Changed paths between the live object and the predicted one. */
static int compare(struct apply__run *run, struct apply_result *r, const struct doc *live,
                   const struct doc *pred)
{
	struct doc *a = NULL, *b = NULL;
	int rc;
	if ((rc = apply_comparable(&a, live, run->o.ignore, run->o.nignore)) == 0 &&
	    (rc = apply_comparable(&b, pred, run->o.ignore, run->o.nignore)) == 0)
		rc = apply_diff(&r->changed, a, b);
	doc_free(a);
	doc_free(b);
	return rc;
}

static int digest_equal(struct apply__run *run, const struct apply__item *it,
                        const struct doc *pred, int *eq)
{
	uint64_t d;
	int rc = apply__digest(&d, pred, run->o.ignore, run->o.nignore);
	*eq = rc == 0 && d == it->digest;
	return rc;
}

/* Whether the stored object an apply returns is looked at afterwards. */
static int want_stored(const struct apply__run *run, const struct apply__item *it)
{
	return it->stage == APPLY__STAGE_DEFS || run->o.keep_applied || run->o.keep_objects;
}

void apply__one(void *arg, size_t i)
{
	struct apply__run *run = arg;
	struct apply__item *it = &run->items[i];
	struct apply_result *r = &run->rep->r[it->index];
	const struct doc *obj = it->obj;
	struct doc *live = NULL, *pred = NULL, *stored = NULL, *patch = NULL, *status = NULL;
	struct kube_resource res = { 0 };
	struct buf fields = BUF_INIT(4096);
	int state = it->known, rc, eq;

	r->what = apply__what(obj);
	if (it->prep_error) {
		r->action = APPLY_FAILED;
		r->error = strdup(it->prep_error); /* the item's own stays: other workers read it */
		goto out;
	}
	if ((rc = kube_discover(&res, run->kc, doc_str(doc_get(obj, "apiVersion")),
	                        doc_k8s_kind(obj))) < 0) {
		/* gitseal diff of a set that brings its own CRD: the custom objects would be
		 * created */
		if (rc == GS_ENOTFOUND && run->o.dry_run &&
		    apply__set_defines(run, doc_str(doc_get(obj, "apiVersion")),
		                       doc_k8s_kind(obj))) {
			r->action = APPLY_CREATED;
			goto out;
		}
		fail(r, "%s", gs_error_last());
		goto out;
	}
	if (res.namespaced && !doc_k8s_namespace(obj)) {
		fail(r, "namespaced object without metadata.namespace");
		goto out;
	}
	if (state < 0 && run->o.lookup)
		state = run->o.lookup(run->o.lookup_ctx, obj, &live);
	if (state < 0 || (state == 1 && !live && it->known != 1)) {
		if ((state = get_live(run, &live, obj)) < 0) {
			fail(r, "%s", gs_error_last());
			goto out;
		}
	}
	/* kubectl's client-side apply owned fields: make them ours, so that what left Git goes */
	if (state == 1 && !run->o.dry_run && !run->o.no_takeover &&
	    (it->takeover || apply__needs_takeover(live))) {
		if (!live && (state = get_live(run, &live, obj)) < 0) {
			fail(r, "%s", gs_error_last());
			goto out;
		}
		if (state == 1 &&
		    (rc = apply__takeover_patch(&patch, live, run->o.field_manager,
		                                doc_str(doc_get(obj, "apiVersion")))) == 0 &&
		    patch) {
			struct kube_write_opts wo = KUBE_WRITE_OPTS_INIT;
			struct doc *after = NULL;
			wo.field_manager = run->o.field_manager;
			apply__count(run, 1);
			if ((rc = kube_merge_patch(&after, run->kc,
			                           doc_str(doc_get(obj, "apiVersion")),
			                           doc_k8s_kind(obj), doc_k8s_namespace(obj),
			                           doc_k8s_name(obj), patch, NULL, &wo)) < 0) {
				fail(r, "taking over kubectl's fields: %s", gs_error_last());
				goto out;
			}
			doc_free(live);
			live = after;
			r->took_over = 1;
		} else if (rc < 0) {
			fail(r, "%s", gs_error_last());
			goto out;
		}
	}
	if (state == 0) {
		/* absent: apply directly (dry_run: predict the creation) */
		if ((rc = server_apply(run, want_stored(run, it) ? &stored : NULL, obj,
		                       run->o.dry_run, NULL)) < 0) {
			if (run->o.dry_run && rc == GS_ENOTFOUND && doc_k8s_namespace(obj) &&
			    apply__set_has(run, "Namespace", doc_k8s_namespace(obj))) {
				r->action = APPLY_CREATED; /* its namespace comes with the set */
				goto out;
			}
			fail(r, "%s", gs_error_last());
			goto out;
		}
		r->action = APPLY_CREATED;
		goto done;
	}
	if ((rc = server_apply(run, &pred, obj, 1, &status)) < 0) {
		if (!immutable_fields(&fields, status)) {
			fail(r, "%s", gs_error_last());
			goto out;
		}
		if (!wants_force(obj)) {
			fail(r,
			     "immutable field %s changed: not applied (annotate it %s: enabled to "
			     "delete and recreate it)",
			     fields.p, APPLY_ANN_FORCE);
			goto out;
		}
		r->recreated = 1;
		r->action = APPLY_CONFIGURED;
		apply__paths_add(&r->changed, fields.p);
		if (run->o.dry_run)
			goto out;
		if ((rc = delete_and_wait(run, obj)) < 0 ||
		    (rc = server_apply(run, &stored, obj, 0, NULL)) < 0) {
			fail(r, "recreating it (immutable %s): %s", fields.p, gs_error_last());
			goto out;
		}
		goto done;
	}
	if (!doc_getp(pred, "metadata", "resourceVersion", NULL)) {
		state = 0; /* gone since we looked: the dry run would create it */
		r->action = APPLY_CREATED;
	} else if (live) {
		if ((rc = compare(run, r, live, pred)) < 0) {
			fail(r, "comparing: %s", gs_error_last());
			goto out;
		}
		r->action = rc > 0 || r->took_over ? APPLY_CONFIGURED : APPLY_UNCHANGED;
	} else {
		/* known from a LIST by digest only: fetch the live object just for the changed
		 * paths */
		if ((rc = digest_equal(run, it, pred, &eq)) < 0) {
			fail(r, "comparing: %s", gs_error_last());
			goto out;
		}
		r->action = eq ? APPLY_UNCHANGED : APPLY_CONFIGURED;
		if (!eq && get_live(run, &live, obj) == 1 && compare(run, r, live, pred) < 0) {
			fail(r, "comparing: %s", gs_error_last());
			goto out;
		}
	}
	if (r->action == APPLY_CONFIGURED && !r->changed.total)
		apply__paths_add(&r->changed, r->took_over ? ".metadata.managedFields" : ".");
	if (r->action == APPLY_UNCHANGED || run->o.dry_run) {
		stored = pred;
		pred = NULL;
		goto done;
	}
	doc_free(pred);
	pred = NULL;
	if ((rc = server_apply(run, want_stored(run, it) ? &stored : NULL, obj, 0, NULL)) < 0) {
		fail(r, "%s", gs_error_last());
		goto out;
	}
done:
	note_ready(it, stored);
	if (run->o.keep_applied && stored && !run->o.dry_run &&
	    (rc = apply_project(&r->applied, stored, run->o.field_manager)) < 0)
		r->applied = NULL; /* an object without our entry (unchanged by an old manager):
		                      nothing to keep */
	if (run->o.keep_objects) {
		r->live = live;
		r->predicted = stored;
		live = stored = NULL;
	}
out:
	doc_free(live);
	doc_free(pred);
	doc_free(stored);
	doc_free(patch);
	doc_free(status);
	kube_resource_release(&res);
	buf_release(&fields);
}
