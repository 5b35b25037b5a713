/*
 * The staged apply (fluxcd/pkg ssa ApplyAllStaged, gitops-anchors §2.2-2.5):
 * prepare every object (checks, normalisation, owner labels), sort them in
 * apply order, then per stage: learn what exists (a LIST per kind and
 * namespace, kept as digests), apply each sync wave on the worker pool, and
 * after the first stage wait until CRDs are Established (and served) and
 * Namespaces Active. A stage with a failure stops the apply: later objects are
 * SKIPPED, so a half-broken set never runs ahead of what it depends on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"
#include "core/clock.h"

const char *apply_action_name(enum apply_action a)
{
	switch (a) {
	case APPLY_UNCHANGED: return "unchanged";
	case APPLY_CREATED: return "created";
	case APPLY_CONFIGURED: return "configured";
	case APPLY_FAILED: return "failed";
	case APPLY_SKIPPED: return "skipped";
	}
	return "?";
}

void apply_report_release(struct apply_report *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->r[i].what);
		free(r->r[i].error);
		apply_paths_release(&r->r[i].changed);
		doc_free(r->r[i].applied);
		doc_free(r->r[i].live);
		doc_free(r->r[i].predicted);
	}
	free(r->r);
	memset(r, 0, sizeof(*r));
}

int apply_report_inventory(struct inventory *out, const struct apply_report *r,
                           struct doc *const *objs)
{
	size_t i;
	int rc;
	for (i = 0; i < r->n; i++) {
		enum apply_action a = r->r[i].action;
		if (a != APPLY_CREATED && a != APPLY_CONFIGURED && a != APPLY_UNCHANGED)
			continue;
		if ((rc = inventory_add_object(out, objs[i])) < 0)
			return rc;
	}
	inventory_sort(out);
	return 0;
}

int apply__set_has(const struct apply__run *run, const char *kind, const char *name)
{
	size_t i;
	for (i = 0; i < run->n; i++) {
		const struct doc *o = run->items[i].obj;
		const char *k = doc_k8s_kind(o), *nm = doc_k8s_name(o);
		if (!run->items[i].prep_error && k && !strcmp(k, kind) &&
		    (!name || (nm && !strcmp(nm, name))))
			return 1;
	}
	return 0;
}

int apply__set_defines(const struct apply__run *run, const char *api_version, const char *kind)
{
	const char *slash = api_version ? strchr(api_version, '/') : NULL;
	size_t i, gl = slash ? (size_t)(slash - api_version) : 0;
	for (i = 0; slash && kind && i < run->n; i++) {
		const struct doc *o = run->items[i].obj;
		const char *k = doc_k8s_kind(o), *g = doc_str(doc_getp(o, "spec", "group", NULL));
		const char *nk = doc_str(doc_getp(o, "spec", "names", "kind", NULL));
		if (!run->items[i].prep_error && k && !strcmp(k, "CustomResourceDefinition") && g &&
		    nk && strlen(g) == gl && !strncmp(g, api_version, gl) && !strcmp(nk, kind))
			return 1;
	}
	return 0;
}

/* ---- preparation ---- */

static char *msg_dup(const char *what, const char *msg)
{
	struct buf b = BUF_INIT(8192);
	buf_addf(&b, "%s: %s", what, msg);
	return buf_detach(&b, NULL);
}

static int set_label(struct doc *obj, const char *key, const char *value)
{
	struct doc *meta = doc_get(obj, "metadata"), *labels;
	int rc;
	if (!(labels = doc_get(meta, "labels")) || doc_kind(labels) != DOC_MAP) {
		if ((rc = doc_set(meta, "labels", doc_new_map())) < 0)
			return rc;
		labels = doc_get(meta, "labels");
	}
	return doc_set(labels, key, doc_new_strz(value));
}

static void prepare(struct apply__run *run, struct apply__item *it)
{
	struct doc *obj = it->obj;
	const char *name = doc_k8s_name(obj);
	char *what = apply__what(obj);
	int rc;

	it->known = -1;
	it->stage = (int)apply_stage_of(obj);
	if (apply_sync_wave(&it->wave, obj) < 0) {
		it->prep_error = msg_dup(what ? what : "object", gs_error_last());
		goto out;
	}
	if (doc_kind(obj) != DOC_MAP || !doc_str(doc_get(obj, "apiVersion")) ||
	    !doc_k8s_kind(obj) || doc_kind(doc_get(obj, "metadata")) != DOC_MAP || !name ||
	    !*name) {
		it->prep_error = msg_dup(what ? what : "object",
		                         "apiVersion, kind and metadata.name are required");
		goto out;
	}
	if ((rc = apply_normalize(obj)) < 0 ||
	    (run->o.owner_name && (rc = set_label(obj, APPLY_LABEL_NAME, run->o.owner_name)) < 0) ||
	    (run->o.owner_namespace &&
	     (rc = set_label(obj, APPLY_LABEL_NAMESPACE, run->o.owner_namespace)) < 0)) {
		it->prep_error = msg_dup(what ? what : "object", gs_error_last());
		goto out;
	}
	if (!doc_k8s_namespace(obj)) {
		struct kube_resource res = { 0 };
		/* a kind that is not served yet (its CRD comes with the set) is looked at when
		 * applied */
		if (kube_discover(&res, run->kc, doc_str(doc_get(obj, "apiVersion")),
		                  doc_k8s_kind(obj)) == 0 &&
		    res.namespaced) {
			if (!run->o.default_namespace)
				it->prep_error =
				    msg_dup(what ? what : "object",
				            "namespaced object without metadata.namespace");
			else if (doc_set(doc_get(obj, "metadata"), "namespace",
			                 doc_new_strz(run->o.default_namespace)) < 0)
				it->prep_error = msg_dup(what ? what : "object", "out of memory");
		}
		kube_resource_release(&res);
	}
out:
	free(what);
}

/* ---- what exists: one LIST per (kind, namespace) with enough objects ---- */

struct group {
	struct apply__run *run;
	struct apply__item **v; /* the group's items, by name */
	size_t n;
	size_t seen; /* items the LIST returned (ours or not): its pages are counted */
};

static int cmp_by_where(const void *a, const void *b)
{
	const struct doc *x = (*(struct apply__item *const *)a)->obj,
	                 *y = (*(struct apply__item *const *)b)->obj;
	int c = strcmp(doc_str(doc_get(x, "apiVersion")), doc_str(doc_get(y, "apiVersion")));
	if (!c)
		c = strcmp(doc_k8s_kind(x), doc_k8s_kind(y));
	if (!c)
		c = strcmp(doc_k8s_namespace(x) ? doc_k8s_namespace(x) : "",
		           doc_k8s_namespace(y) ? doc_k8s_namespace(y) : "");
	return c ? c : strcmp(doc_k8s_name(x), doc_k8s_name(y));
}

static int listed(void *ctx, const struct doc *live)
{
	struct group *g = ctx;
	const char *name = doc_k8s_name(live);
	size_t lo = 0, hi = g->n;

	g->seen++;
	while (name && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(doc_k8s_name(g->v[mid]->obj), name);
		if (!c) {
			struct apply__item *it = g->v[mid];
			it->takeover = apply__needs_takeover(live);
			/* seen, but no digest: -2, looked at one by one later */
			it->known = apply__digest(&it->digest, live, g->run->o.ignore,
			                          g->run->o.nignore) == 0
			                ? 1
			                : -2;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void list_group(void *ctx, size_t i)
{
	struct group *g = &((struct group *)ctx)[i];
	const struct doc *o = g->v[0]->obj;
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	size_t j;
	int rc;

	/* pages of 100: several groups list at once, and a parsed page of Deployments is ~20 KiB an
	 * item */
	lo.limit = 100;
	rc = kube_list_each(g->run->kc, doc_str(doc_get(o, "apiVersion")), doc_k8s_kind(o),
	                    doc_k8s_namespace(o), &lo, listed, g, NULL);
	for (j = 0; j == 0 || j * (size_t)lo.limit < g->seen; j++)
		apply__count(g->run, 0);
	if (rc < 0) {
		for (j = 0; j < g->n; j++) /* not allowed to list, say: GET them one by one */
			g->v[j]->known = -1;
		return;
	}
	for (j = 0; j < g->n; j++)
		g->v[j]->known = g->v[j]->known == -1   ? 0
		                 : g->v[j]->known == -2 ? -1
		                                        : g->v[j]->known;
}

static int prefetch(struct apply__run *run, size_t a, size_t b)
{
	struct apply__item **v = NULL;
	struct group *groups = NULL;
	size_t i, j, n = 0, ng = 0;
	int rc = 0;

	if (run->o.list_threshold == (size_t)-1 || b - a < run->o.list_threshold || run->o.lookup)
		return 0;
	if (!(v = calloc(b - a, sizeof(*v))) || !(groups = calloc(b - a, sizeof(*groups)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = a; i < b; i++)
		if (!run->items[i].prep_error)
			v[n++] = &run->items[i];
	qsort(v, n, sizeof(*v), cmp_by_where);
	for (i = 0; i < n; i = j) {
		struct kube_resource res = { 0 };
		for (j = i + 1; j < n; j++) {
			const struct doc *x = v[i]->obj, *y = v[j]->obj;
			if (strcmp(doc_str(doc_get(x, "apiVersion")),
			           doc_str(doc_get(y, "apiVersion"))) ||
			    strcmp(doc_k8s_kind(x), doc_k8s_kind(y)) ||
			    strcmp(doc_k8s_namespace(x) ? doc_k8s_namespace(x) : "",
			           doc_k8s_namespace(y) ? doc_k8s_namespace(y) : ""))
				break;
		}
		if (j - i < run->o.list_threshold)
			continue;
		/* kinds not served yet are looked up one by one later */
		if (kube_discover(&res, run->kc, doc_str(doc_get(v[i]->obj, "apiVersion")),
		                  doc_k8s_kind(v[i]->obj)) < 0)
			continue;
		if (!res.namespaced || doc_k8s_namespace(v[i]->obj)) {
			groups[ng].run = run;
			groups[ng].v = &v[i];
			groups[ng].n = j - i;
			ng++;
		}
		kube_resource_release(&res);
	}
	if (ng)
		apply__pool_run(ng, run->o.workers, list_group, groups);
out:
	free(groups);
	free(v);
	return rc;
}

/* ---- waiting for stage 0 ---- */

static int ok_action(enum apply_action a)
{
	return a == APPLY_CREATED || a == APPLY_CONFIGURED || a == APPLY_UNCHANGED;
}

static void wait_ready(struct apply__run *run, struct apply__item *it, int64_t deadline)
{
	struct apply_result *r = &run->rep->r[it->index];
	const struct doc *o = it->obj;
	struct apply_health h = { APPLY_PROGRESSING, "" };

	while (!it->ready) {
		struct doc *live = NULL;
		int rc;
		apply__count(run, 0);
		rc = kube_get(&live, run->kc, doc_str(doc_get(o, "apiVersion")), doc_k8s_kind(o),
		              NULL, doc_k8s_name(o));
		if (rc < 0) {
			r->error = msg_dup(r->what, gs_error_last());
			r->action = APPLY_FAILED;
			return;
		}
		apply_health(&h, live, time(NULL));
		if (doc_getp(live, "metadata", "deletionTimestamp", NULL))
			h.status = APPLY_DEGRADED,
			snprintf(h.message, sizeof(h.message), "%s", "being deleted");
		doc_free(live);
		if (h.status == APPLY_HEALTHY)
			it->ready = 1;
		else if (h.status == APPLY_DEGRADED || gs_mono_ms() >= deadline)
			break;
		else
			gs_sleep_ms(run->o.poll_interval_ms);
	}
	if (!it->ready) {
		struct buf b = BUF_INIT(4096);
		buf_addf(&b, "not ready after %ld ms: %s", run->o.wait_timeout_ms, h.message);
		if (h.status == APPLY_DEGRADED) {
			buf_reset(&b);
			buf_addf(&b, "%s", h.message);
		}
		r->error = msg_dup(r->what, b.p);
		r->action = APPLY_FAILED;
		buf_release(&b);
	}
}

/* The kinds a CRD defines are served (discovery lags Established by about half a second). */
static void wait_served(struct apply__run *run, struct apply__item *it, int64_t deadline)
{
	struct apply_result *r = &run->rep->r[it->index];
	const char *group = doc_str(doc_getp(it->obj, "spec", "group", NULL));
	const char *kind = doc_str(doc_getp(it->obj, "spec", "names", "kind", NULL));
	const struct doc *versions = doc_getp(it->obj, "spec", "versions", NULL);
	size_t i;

	for (i = 0; group && kind && i < doc_len(versions); i++) {
		const struct doc *v = doc_val_at(versions, i);
		struct buf gv = BUF_INIT(512);
		int served = 0;
		doc_get_bool(doc_get(v, "served"), &served);
		if (!served || !doc_str(doc_get(v, "name")))
			continue;
		buf_addf(&gv, "%s/%s", group, doc_str(doc_get(v, "name")));
		for (;;) {
			struct kube_resource res = { 0 };
			int rc = kube_discover(&res, run->kc, gv.p, kind);
			kube_resource_release(&res);
			apply__count(run, 0);
			if (rc == 0)
				break;
			if (rc != GS_ENOTFOUND || gs_mono_ms() >= deadline) {
				r->error = msg_dup(r->what, gs_error_last());
				r->action = APPLY_FAILED;
				break;
			}
			gs_sleep_ms(run->o.poll_interval_ms);
			kube_discovery_invalidate(run->kc);
		}
		buf_release(&gv);
	}
}

static void wait_defs(struct apply__run *run, size_t a, size_t b)
{
	int64_t deadline = gs_mono_ms() + run->o.wait_timeout_ms;
	size_t i;
	int crds = 0;

	for (i = a; i < b; i++)
		if (ok_action(run->rep->r[run->items[i].index].action))
			wait_ready(run, &run->items[i], deadline);
	for (i = a; i < b; i++) {
		struct apply_result *r = &run->rep->r[run->items[i].index];
		if (!strcmp(doc_k8s_kind(run->items[i].obj), "CustomResourceDefinition") &&
		    (r->action == APPLY_CREATED || r->action == APPLY_CONFIGURED))
			crds = 1;
	}
	if (!crds)
		return;
	kube_discovery_invalidate(run->kc);
	for (i = a; i < b; i++)
		if (!strcmp(doc_k8s_kind(run->items[i].obj), "CustomResourceDefinition") &&
		    ok_action(run->rep->r[run->items[i].index].action))
			wait_served(run, &run->items[i], deadline);
}

/* ---- the run ---- */

struct wave {
	struct apply__run *run;
	size_t base;
};

static void wave_job(void *ctx, size_t i)
{
	struct wave *w = ctx;
	apply__one(w->run, w->base + i);
}

static int failed_in(struct apply__run *run, size_t a, size_t b)
{
	size_t i;
	for (i = a; i < b; i++)
		if (run->rep->r[run->items[i].index].action == APPLY_FAILED)
			return 1;
	return 0;
}

static void skip_from(struct apply__run *run, size_t a)
{
	size_t i;
	for (i = a; i < run->n; i++) {
		struct apply_result *r = &run->rep->r[run->items[i].index];
		if (!r->what)
			r->what = apply__what(run->items[i].obj);
		r->action = APPLY_SKIPPED;
		free(r->error);
		r->error =
		    msg_dup(r->what ? r->what : "object", "not applied: an earlier stage failed");
	}
}

int apply_run(struct apply_report *out, struct kube_client *kc, struct doc *const *objs, size_t n,
              const struct apply_opts *opts)
{
	struct apply__run run;
	size_t i, a, b, w;
	int stage, rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	if (opts)
		run.o = *opts;
	if (!run.o.field_manager)
		run.o.field_manager = APPLY_FIELD_MANAGER;
	if (run.o.workers <= 0)
		run.o.workers = 8;
	if (run.o.workers > 64)
		run.o.workers = 64;
	if (run.o.wait_timeout_ms <= 0)
		run.o.wait_timeout_ms = 60000;
	if (run.o.delete_timeout_ms <= 0)
		run.o.delete_timeout_ms = 60000;
	if (run.o.poll_interval_ms <= 0)
		run.o.poll_interval_ms = 500;
	if (run.o.list_threshold == 0)
		run.o.list_threshold = 8;
	if (!kc)
		return gs_error(GS_EINVAL, "apply: no client");
	run.kc = kc;
	run.rep = out;
	run.n = n;
	if (n && (!(run.items = calloc(n, sizeof(*run.items))) ||
	          !(out->r = calloc(n, sizeof(*out->r))))) {
		free(run.items);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	out->n = n;
	for (i = 0; i < n; i++) {
		run.items[i].obj = objs[i];
		run.items[i].index = i;
		prepare(&run, &run.items[i]);
	}
	/* a set with a broken object applies nothing (a broken commit must not half-apply) */
	for (i = 0; i < n; i++)
		if (run.items[i].prep_error)
			break;
	if (i == n && n) { /* the items in apply order */
		struct apply__item *sorted = calloc(n, sizeof(*sorted));
		size_t *order = calloc(n, sizeof(*order));
		if (!sorted || !order || (rc = apply_order(order, objs, n, 0)) < 0) {
			free(sorted);
			free(order);
			free(run.items);
			memset(out, 0, sizeof(*out));
			return rc < 0 ? rc : gs_error(GS_ENOMEM, "out of memory");
		}
		for (i = 0; i < n; i++)
			sorted[i] = run.items[order[i]];
		free(run.items);
		free(order);
		run.items = sorted;
	}
	if (i < n) {
		for (i = 0; i < n; i++) {
			struct apply_result *r = &out->r[run.items[i].index];
			r->what = apply__what(run.items[i].obj);
			r->action = run.items[i].prep_error ? APPLY_FAILED : APPLY_SKIPPED;
			r->error =
			    run.items[i].prep_error
			        ? strdup(run.items[i].prep_error)
			        : msg_dup(r->what ? r->what : "object",
			                  "not applied: another object of the set is invalid");
		}
		n = 0; /* nothing to run */
	}

	for (stage = 0, a = 0; stage < APPLY__NSTAGES && a <= n; stage++, a = b) {
		int failed = 0;
		for (b = a; b < n && run.items[b].stage == stage; b++)
			;
		if (a == b)
			continue;
		if ((rc = prefetch(&run, a, b)) < 0)
			break;
		for (w = a; w < b && !failed;) {
			struct wave wv = { &run, w };
			size_t e;
			for (e = w; e < b && run.items[e].wave == run.items[w].wave; e++)
				;
			apply__pool_run(e - w, run.o.workers, wave_job, &wv);
			failed = failed_in(&run, w, e);
			w = e;
		}
		if (!failed && stage == APPLY__STAGE_DEFS && !run.o.dry_run) {
			wait_defs(&run, a, b);
			failed = failed_in(&run, a, b);
		}
		if (failed) {
			skip_from(&run, w);
			break;
		}
	}
	for (i = 0; i < out->n; i++) {
		struct apply_result *r = &out->r[i];
		if (!r->what) /* never reached (an error before the stage): say so */
			r->what = apply__what(objs[i]);
		switch (r->action) {
		case APPLY_CREATED: out->created++; break;
		case APPLY_CONFIGURED: out->configured++; break;
		case APPLY_UNCHANGED: out->unchanged++; break;
		case APPLY_FAILED: out->failed++; break;
		case APPLY_SKIPPED: out->skipped++; break;
		}
	}
	for (i = 0; i < out->n; i++)
		free(run.items[i].prep_error);
	free(run.items);
	out->requests = run.requests;
	out->writes = run.writes;
	if (rc < 0)
		return rc;
	return out->failed || out->skipped ? GS_ERROR : 0;
}
