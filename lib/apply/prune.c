/*
 * Prune (gitops-anchors §2.6-2.7): what the old inventory has and the new one
 * does not is deleted, in reverse apply order (Namespaces and CRDs last),
 * background propagation, and only after looking at the live object: it must
 * still carry our owner labels and must not say gitseal.dev/prune: disabled.
 * A Namespace goes only when nothing in it belongs to someone else. Deletes
 * the API refuses stay in the inventory, so the next run tries again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"

struct prune_item {
	struct doc *ref; /* {apiVersion, kind, metadata: {name, namespace}} for ordering */
	const struct inventory_entry *e;
	size_t slot; /* in the report */
};

struct prune_run {
	struct kube_client *kc;
	struct apply_prune_opts o;
	const struct inventory *new_inv;
	struct prune_item *items; /* in reverse apply order */
	size_t base;              /* the kind being pruned starts here */
	struct apply_prune_report *rep;
	struct kube_resource *all; /* every listable kind (for Namespaces), fetched once */
	size_t nall;
	int all_fetched;
	pthread_mutex_t mu;
};

const char *apply_prune_action_name(enum apply_prune_action a)
{
	switch (a) {
	case APPLY_PRUNED: return "pruned";
	case APPLY_PRUNE_GONE: return "gone";
	case APPLY_PRUNE_DISABLED: return "prune disabled";
	case APPLY_PRUNE_NOT_OURS: return "not ours";
	case APPLY_PRUNE_NS_IN_USE: return "namespace in use";
	case APPLY_PRUNE_FAILED: return "failed";
	}
	return "?";
}

void apply_prune_report_release(struct apply_prune_report *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->r[i].id);
		free(r->r[i].what);
		free(r->r[i].message);
	}
	free(r->r);
	inventory_release(&r->keep);
	memset(r, 0, sizeof(*r));
}

static struct doc *ref_doc(const struct inventory_entry *e)
{
	struct inventory_ref r;
	struct buf av = BUF_INIT(512);
	struct doc *d = NULL, *m = NULL;

	if (inventory_id_parse(&r, e->id) < 0)
		return NULL;
	if (inventory_api_version(&av, r.group, e->version) < 0 || !(d = doc_new_map()) ||
	    !(m = doc_new_map()) || doc_set(d, "apiVersion", doc_new_strz(av.p)) < 0 ||
	    doc_set(d, "kind", doc_new_strz(r.kind)) < 0 ||
	    doc_set(m, "name", doc_new_strz(r.name)) < 0 ||
	    (*r.ns && doc_set(m, "namespace", doc_new_strz(r.ns)) < 0)) {
		doc_free(m);
		doc_free(d);
		d = NULL;
	} else if (doc_set(d, "metadata", m) < 0) {
		d = NULL;
	}
	inventory_ref_release(&r);
	buf_release(&av);
	return d;
}

static int label_is(const struct doc *live, const char *key, const char *want)
{
	const char *v = doc_str(doc_getp(live, "metadata", "labels", key, NULL));
	return !want || (v && !strcmp(v, want));
}

static int ours(const struct prune_run *run, const struct doc *obj)
{
	return label_is(obj, APPLY_LABEL_NAME, run->o.owner_name) &&
	       label_is(obj, APPLY_LABEL_NAMESPACE, run->o.owner_namespace);
}

/* Objects a cluster makes by itself in every namespace, or that belong to another object. */
static int bystander(const struct doc *o)
{
	const char *kind = doc_k8s_kind(o), *name = doc_k8s_name(o);
	const char *type = doc_str(doc_get(o, "type"));
	if (doc_len(doc_getp(o, "metadata", "ownerReferences", NULL)))
		return 1;
	if (!kind || !name)
		return 0;
	return (!strcmp(kind, "ServiceAccount") && !strcmp(name, "default")) ||
	       (!strcmp(kind, "ConfigMap") && !strcmp(name, "kube-root-ca.crt")) ||
	       (!strcmp(kind, "Secret") && type &&
	        !strcmp(type, "kubernetes.io/service-account-token")) ||
	       (!strcmp(kind, "Endpoints") &&
	        doc_getp(o, "metadata", "annotations",
	                 "endpoints.kubernetes.io/last-change-trigger-time", NULL));
}

struct ns_scan {
	const struct prune_run *run;
	char found[512]; /* "ConfigMap other" */
};

static int scan_item(void *ctx, const struct doc *item)
{
	struct ns_scan *s = ctx;
	if (ours(s->run, item) || bystander(item))
		return 0;
	snprintf(s->found, sizeof(s->found), "%s %s", doc_k8s_kind(item) ? doc_k8s_kind(item) : "?",
	         doc_k8s_name(item) ? doc_k8s_name(item) : "?");
	return 1;
}

/* 0 when namespace ns holds only our objects (and bystanders), 1 when it holds someone else's
 * (message says what), < 0 when it cannot be told (then it is kept as well). */
static int ns_in_use(struct prune_run *run, const char *ns, struct buf *msg)
{
	struct ns_scan s = { run, "" };
	size_t i, plen = strlen(ns);
	int rc;

	for (i = 0; i < run->new_inv->n; i++) /* still in Git: the namespace holds what we keep */
		if (!strncmp(run->new_inv->e[i].id, ns, plen) &&
		    run->new_inv->e[i].id[plen] == '_') {
			buf_addf(msg, "it still holds %s, which is in Git", run->new_inv->e[i].id);
			return 1;
		}
	pthread_mutex_lock(&run->mu);
	if (!run->all_fetched) {
		rc = kube_discover_all(&run->all, &run->nall, run->kc, 1);
		run->all_fetched = rc == 0;
	} else
		rc = 0;
	pthread_mutex_unlock(&run->mu);
	if (rc < 0)
		return rc;
	for (i = 0; i < run->nall; i++) {
		const struct kube_resource *r = &run->all[i];
		struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
		struct buf av = BUF_INIT(512);
		if (!r->namespaced || !strcmp(r->kind, "Event"))
			continue;
		lo.limit = 100;
		inventory_api_version(&av, r->group, r->version);
		rc = kube_list_each(run->kc, av.p, r->kind, ns, &lo, scan_item, &s, NULL);
		buf_release(&av);
		if (rc == 1) {
			buf_addf(msg, "it holds %s, which is not ours", s.found);
			return 1;
		}
		if (rc < 0 && kube_last_status() != 404 && kube_last_status() != 405)
			return gs_error_prefix(rc, "listing %s in %s", r->plural, ns);
	}
	return 0;
}

static void set_msg(struct apply_prune_result *r, const char *m)
{
	free(r->message);
	r->message = strdup(m);
}

static void prune_one(void *ctx, size_t i)
{
	struct prune_run *run = ctx;
	struct prune_item *it = &run->items[run->base + i];
	struct apply_prune_result *r = &run->rep->r[it->slot];
	const struct doc *ref = it->ref;
	const char *av = doc_str(doc_get(ref, "apiVersion")), *kind = doc_k8s_kind(ref);
	const char *ns = doc_k8s_namespace(ref), *name = doc_k8s_name(ref), *pv;
	struct kube_delete_opts d = KUBE_DELETE_OPTS_INIT;
	struct buf msg = BUF_INIT(4096);
	struct doc *live = NULL;
	int rc, is_ns = !strcmp(kind, "Namespace") && !strchr(av, '/');

	r->id = strdup(it->e->id);
	r->what = apply__what(ref);
	if ((rc = kube_get(&live, run->kc, av, kind, ns, name)) == GS_ENOTFOUND) {
		r->action = APPLY_PRUNE_GONE; /* deleted already, or its kind is no longer served */
		goto out;
	}
	if (rc < 0) {
		r->action = APPLY_PRUNE_FAILED;
		set_msg(r, gs_error_last());
		goto out;
	}
	if (!ours(run, live)) {
		r->action = APPLY_PRUNE_NOT_OURS;
		goto out;
	}
	pv = doc_str(doc_getp(live, "metadata", "annotations", APPLY_ANN_PRUNE, NULL));
	if (pv && !strcmp(pv, "disabled")) {
		r->action = APPLY_PRUNE_DISABLED;
		goto out;
	}
	if (is_ns && doc_getp(live, "metadata", "deletionTimestamp", NULL)) {
		r->action = APPLY_PRUNED; /* being deleted: that is all we ask for (the test server
		                             never finishes) */
		goto out;
	}
	if (is_ns && (rc = ns_in_use(run, name, &msg)) != 0) {
		r->action = rc > 0 ? APPLY_PRUNE_NS_IN_USE : APPLY_PRUNE_FAILED;
		set_msg(r, rc > 0 ? msg.p : gs_error_last());
		goto out;
	}
	r->action = APPLY_PRUNED;
	if (run->o.dry_run)
		goto out;
	d.propagation_policy = "Background";
	if (doc_str(doc_getp(live, "metadata", "uid", NULL)))
		d.precondition_uid =
		    doc_str(doc_getp(live, "metadata", "uid", NULL)); /* the object we looked at */
	if ((rc = kube_delete(run->kc, av, kind, ns, name, &d)) == GS_ENOTFOUND)
		r->action = APPLY_PRUNE_GONE;
	else if (rc < 0) {
		r->action = APPLY_PRUNE_FAILED;
		set_msg(r, gs_error_last());
	}
out:
	doc_free(live);
	buf_release(&msg);
}

int apply_prune(struct apply_prune_report *out, struct kube_client *kc,
                const struct inventory *old_inv, const struct inventory *new_inv,
                const struct apply_prune_opts *opts)
{
	struct inventory stale = INVENTORY_INIT;
	struct prune_run run;
	size_t i, a, b;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	if (opts)
		run.o = *opts;
	if (run.o.workers <= 0)
		run.o.workers = 8;
	run.kc = kc;
	run.new_inv = new_inv;
	run.rep = out;
	pthread_mutex_init(&run.mu, NULL);
	if ((rc = inventory_diff(&stale, old_inv, new_inv)) < 0)
		goto out;
	if (stale.n && (!(run.items = calloc(stale.n, sizeof(*run.items))) ||
	                !(out->r = calloc(stale.n, sizeof(*out->r))))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < stale.n; i++) {
		run.items[i].e = &stale.e[i];
		if (!(run.items[i].ref = ref_doc(&stale.e[i]))) {
			rc = gs_error(GS_EINVAL, "inventory entry '%s' cannot be pruned",
			              stale.e[i].id);
			goto out;
		}
	}
	if (stale.n) { /* reverse apply order */
		struct doc **refs = calloc(stale.n, sizeof(*refs));
		struct prune_item *sorted = calloc(stale.n, sizeof(*sorted));
		size_t *order = calloc(stale.n, sizeof(*order));
		for (i = 0; refs && i < stale.n; i++)
			refs[i] = run.items[i].ref;
		if (!refs || !sorted || !order || (rc = apply_order(order, refs, stale.n, 1)) < 0) {
			free(refs);
			free(sorted);
			free(order);
			rc = rc < 0 ? rc : gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < stale.n; i++)
			sorted[i] = run.items[order[i]];
		free(run.items);
		run.items = sorted;
		free(refs);
		free(order);
	}
	for (i = 0; i < stale.n; i++)
		run.items[i].slot = i;
	out->n = stale.n;
	/* one kind at a time, in reverse order; the objects of one kind in parallel */
	for (a = 0; a < stale.n; a = b) {
		for (b = a + 1;
		     b < stale.n &&
		     !strcmp(doc_k8s_kind(run.items[a].ref), doc_k8s_kind(run.items[b].ref)) &&
		     !strcmp(doc_str(doc_get(run.items[a].ref, "apiVersion")),
		             doc_str(doc_get(run.items[b].ref, "apiVersion")));
		     b++)
			;
		run.base = a;
		apply__pool_run(b - a, run.o.workers, prune_one, &run);
	}
	for (i = 0; i < out->n; i++) {
		const struct apply_prune_result *r = &out->r[i];
		if (r->action == APPLY_PRUNED)
			out->pruned++;
		if (r->action == APPLY_PRUNE_FAILED)
			out->failed++;
		if ((r->action == APPLY_PRUNE_FAILED || r->action == APPLY_PRUNE_NS_IN_USE) &&
		    (rc = inventory_add_id(&out->keep, r->id, run.items[i].e->version)) < 0)
			goto out;
	}
	inventory_sort(&out->keep);
	rc = out->failed ? GS_ERROR : 0;
out:
	for (i = 0; run.items && i < stale.n; i++)
		doc_free(run.items[i].ref);
	free(run.items);
	kube_resources_free(run.all, run.nall);
	inventory_release(&stale);
	pthread_mutex_destroy(&run.mu);
	if (rc < 0 && rc != GS_ERROR) {
		apply_prune_report_release(out);
	}
	return rc;
}
