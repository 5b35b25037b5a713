/*
 * One Application, on a worker (the loop, in order):
 *
 *   spec      parsed with lib/app (an invalid one is Stalled until it changes); suspend stops
 *             here; dependsOn waits (re-looked at every --requeue-dependency, and at once when
 *             the other turns Ready);
 *   source    a poll (ls-remote, no fetch unless the ref moved); nothing moved, nothing asked,
 *             nothing drifted: no render, no request, only the status if health changed;
 *   pipeline  render + decrypt + order (lib/pipeline, exactly as `gitseal build`);
 *   apply     staged server-side apply of what changed since the last sync: objects whose
 *             desired form moved (digest), that the watches saw drift (selfHeal), that are gone,
 *             or every object on a request or the first sight after a start; without
 *             syncPolicy.automated a dry run says what would change and nothing is written;
 *   prune     only when every earlier stage succeeded, automated.prune, lib/apply's safety rules;
 *   health    from the watches (kstatus), with spec.timeout;
 *   status    and an Event naming what changed.
 * Every failure keeps what is in the cluster: nothing applied after a broken render, nothing
 * pruned after a failed apply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controller/application/application_int.h"
#include "core/clock.h"
#include "core/log.h"
#include "decrypt/decrypt.h"
#include "pipeline/pipeline.h"
#include "source/source.h"

/* ---- outcome ----------------------------------------------------------------------------------
 */

void app__rearm(struct run *r, double seconds)
{
	if (r->c->q)
		rt_queue_add_after(r->c->q, r->e->key, seconds > 0 ? seconds : 0);
}

/* The interval's poll: after a full run from now, else when it was due (any add to the queue
 * cancels the timer, so every run sets it again). */
static void rearm_poll(struct run *r, int restart)
{
	double now = gs_mono();
	if (restart || r->e->next_poll <= 0)
		r->e->next_poll = now + app__interval(r->c, r->spec);
	app__rearm(r, r->e->next_poll - now);
}

/* Status from the entry's last outcome + what the watches say; inv/hist may be NULL. */
void app__run_status(struct run *r, const struct inventory *inv, const struct app_hist *hist)
{
	struct app_controller *c = r->c;
	struct app_ent *e = r->e;
	struct app_status_in in;
	struct apply_health h;
	struct buf drift = BUF_INIT(APP_MSG_MAX * 2);
	size_t ndrift = 0;
	double timeout = r->spec && r->spec->timeout > 0 ? r->spec->timeout : c->o->app_timeout;

	memset(&in, 0, sizeof(in));
	pthread_mutex_lock(&c->mu);
	app__health_of(c, e, &h, &drift, &ndrift);
	in.health_timeout = (h.status == APPLY_PROGRESSING || h.status == APPLY_MISSING) &&
	                    e->applied_at > 0 && gs_mono() - e->applied_at > timeout;
	pthread_mutex_unlock(&c->mu);
	in.generation = r->e->generation;
	in.last = &e->last;
	in.health = &h;
	in.drift = drift.p;
	in.ndrift = ndrift;
	in.inv = inv;
	in.hist = hist;
	in.requested = r->requested;
	in.now = time(NULL);
	if (app__status_write(c, e, r->obj, &in) < 0) {
		gs_warn("cannot write the status", "application=%s/%s error=\"%s\"", r->ns, r->name,
		        gs_error_last());
		gs_error_clear();
	}
	/* Progressing: look again when spec.timeout runs out */
	if ((h.status == APPLY_PROGRESSING || h.status == APPLY_MISSING) && e->applied_at > 0 &&
	    !in.health_timeout)
		app__rearm(r, e->applied_at + timeout - gs_mono() + 0.2);
	buf_release(&drift);
}

/* A failed stage: Ready=False with the reason, a Warning, and a retry (stalled: none). */
enum rt_result app__run_fail(struct run *r, const char *stage, const char *reason, int stalled)
{
	struct app_controller *c = r->c;
	struct buf msg = BUF_INIT(APP_MSG_MAX + 64);
	struct app_hist hist;

	buf_adds(&msg, gs_error_last());
	gs_error_clear();
	gs_err("reconcile failed", "application=%s/%s revision=%s stage=%s reason=%s error=\"%s\"",
	       r->ns, r->name, r->commit, stage, reason, msg.p);
	pthread_mutex_lock(&c->mu);
	app__last_fail(&r->e->last, reason, msg.p, stalled);
	if (*r->commit)
		memcpy(r->e->last.attempted, r->commit, sizeof(r->commit));
	/* before the apply nothing was compared; after it, what failed is out of sync */
	if (!strcmp(stage, "apply") || !strcmp(stage, "prune")) {
		snprintf(r->e->last.sync, sizeof(r->e->last.sync), "OutOfSync");
	} else {
		snprintf(r->e->last.sync, sizeof(r->e->last.sync), "Unknown");
	}
	free(r->e->last.sync_message);
	r->e->last.sync_message = strndup(msg.p, APP_MSG_MAX);
	r->e->ok = 0;
	pthread_mutex_unlock(&c->mu);
	memset(&hist, 0, sizeof(hist));
	hist.revision = *r->commit ? r->commit : r->e->last.revision;
	hist.started = r->started;
	hist.duration = gs_mono() - r->t0;
	hist.created = r->created;
	hist.configured = r->configured;
	hist.pruned = r->pruned;
	hist.message = msg.p;
	app__run_status(r, r->has_inv ? &r->inv : NULL, stalled || *hist.revision ? &hist : NULL);
	app__event(c, r->obj, 1, reason, msg.p);
	app__metric_duration(c, r->ns, r->name, gs_mono() - r->t0);
	buf_release(&msg);
	return stalled ? RT_FAILED : RT_RETRY;
}

long app__remaining_ms(const struct run *r)
{
	double left = r->deadline - gs_mono();
	return left > 0.001 ? (long)(left * 1000) : 0;
}

static int check_deadline(const struct run *r, const char *stage)
{
	double timeout = r->spec->timeout > 0 ? r->spec->timeout : r->c->o->app_timeout;
	if (app__remaining_ms(r) > 0)
		return 0;
	return gs_error(GS_EIO, "%s: timeout of %gs exceeded", stage, timeout);
}

/* ---- spec -------------------------------------------------------------------------------------
 */

/* Put a freshly parsed spec into the entry (the watch handlers read it under c->mu). */
static int install_spec(struct run *r, struct app *spec)
{
	struct app_controller *c = r->c;
	struct app_ent *e = r->e;
	struct apply_ignore *ign = NULL;
	struct buf url = BUF_INIT(4096);
	char *url_key = NULL;
	size_t i;

	if (spec->nignore && !(ign = calloc(spec->nignore, sizeof(*ign))))
		goto nomem;
	for (i = 0; i < spec->nignore; i++) {
		ign[i].group = spec->ignore[i].group ? spec->ignore[i].group : "";
		ign[i].kind = spec->ignore[i].kind;
		ign[i].name = spec->ignore[i].name;
		ign[i].ns = spec->ignore[i].namespace;
		ign[i].pointers = (const char *const *)spec->ignore[i].pointers;
		ign[i].npointers = spec->ignore[i].npointers;
	}
	if (app__url_match(&url, spec->source.repo_url) == 0)
		url_key = buf_detach(&url, NULL);
	gs_error_clear();
	pthread_mutex_lock(&c->mu);
	if (e->spec && app_in_cluster(e->spec) != app_in_cluster(spec))
		app__objs_forget(c, e); /* another cluster: what we knew is elsewhere */
	app_free(e->spec);
	free(e->ign);
	free(e->url_key);
	e->spec = spec;
	e->ign = ign;
	e->nign = spec->nignore;
	e->url_key = url_key;
	e->remote = !app_in_cluster(spec);
	e->invalid = 0;
	pthread_mutex_unlock(&c->mu);
	r->spec = spec;
	buf_release(&url);
	return 0;
nomem:
	free(ign);
	app_free(spec);
	buf_release(&url);
	return gs_error(GS_ENOMEM, "out of memory");
}

/* 1 when every dependency is Ready for its generation; 0 with the reason in the error. */
static int deps_ready(struct run *r)
{
	size_t i;
	for (i = 0; i < r->spec->ndepends_on; i++) {
		const struct app_dep *d = &r->spec->depends_on[i];
		const char *dns = d->namespace ? d->namespace : r->ns;
		struct buf key = BUF_INIT(1024);
		struct doc *dep = NULL;
		const struct doc *conds;
		long long gen = 0, seen = -1;
		int ok = 0;
		size_t j;

		rt_key(&key, dns, d->name);
		if (app__get(r->c, &dep, key.p) < 0) {
			gs_error(GS_ENOTFOUND, "dependency '%s' not found", key.p);
			buf_release(&key);
			return 0;
		}
		doc_get_int(doc_getp(dep, "metadata", "generation", NULL), &gen);
		doc_get_int(doc_getp(dep, "status", "observedGeneration", NULL), &seen);
		gs_error_clear();
		conds = doc_getp(dep, "status", "conditions", NULL);
		for (j = 0; j < doc_len(conds); j++) {
			const struct doc *cd = doc_val_at(conds, j);
			const char *t = doc_str(doc_get(cd, "type")),
			           *s = doc_str(doc_get(cd, "status"));
			if (t && s && !strcmp(t, "Ready"))
				ok = !strcmp(s, "True") && gen == seen;
		}
		doc_free(dep);
		if (!ok) {
			gs_error(GS_ERROR, "dependency '%s' is not ready", key.p);
			buf_release(&key);
			return 0;
		}
		buf_release(&key);
	}
	return 1;
}

/* ---- source -----------------------------------------------------------------------------------
 */

/* The tree to render: 1 ready in r->tree, 0 nothing moved (no work), < 0 failed. */
static int source(struct run *r)
{
	struct app_controller *c = r->c;
	const struct app *spec = r->spec;
	struct source_opts so = SOURCE_OPTS_INIT;
	struct source_creds *creds = NULL;
	struct source_rev rev;
	unsigned work = APP_W_RUN | APP_W_DRIFT | APP_W_ALL | APP_W_FETCH;
	int rc;

	if (spec->source.chart) { /* a chart repository: nothing to poll, render fetches it */
		snprintf(r->ref, sizeof(r->ref), "%s", spec->source.chart);
		snprintf(r->commit, sizeof(r->commit), "%s",
		         spec->source.target_revision ? spec->source.target_revision : "latest");
		return 1;
	}
	/* a revert of drifted objects renders the revision applied, from the cache */
	if ((r->want & APP_W_DRIFT) && !(r->want & (APP_W_RUN | APP_W_FETCH | APP_W_ALL)) &&
	    *r->e->commit && !r->request &&
	    source_tree_get(&r->tree, c->cache, spec->source.repo_url, r->e->commit) == 0) {
		memcpy(r->commit, r->e->commit, sizeof(r->commit));
		snprintf(r->ref, sizeof(r->ref), "%s", r->e->last.ref);
		return 1;
	}
	gs_error_clear();
	if ((rc = app__source_creds(c, spec, &creds)) < 0)
		return rc;
	so.url = spec->source.repo_url;
	so.revision = spec->source.target_revision;
	so.creds = creds;
	so.timeout_ms = app__remaining_ms(r);
	memset(&rev, 0, sizeof(rev));
	rc = source_update(&rev, c->cache, &so);
	app__metric_count(c->metrics.fetch,
	                  rc < 0        ? "failed"
	                  : rev.fetched ? "fetched"
	                                : "unchanged",
	                  1);
	source_creds_free(creds);
	if (rc < 0)
		return rc;
	memcpy(r->commit, rev.commit, sizeof(r->commit));
	snprintf(r->ref, sizeof(r->ref), "%s", rev.ref);
	r->fetched = rev.fetched;
	/* nothing moved, nothing asked for: a remote cluster (no watches) still compares every
	 * interval when it heals itself */
	if (!strcmp(r->commit, r->e->commit) && r->e->ok && !(r->want & work) &&
	    !(r->remote && spec->automated && spec->self_heal))
		return 0;
	if (r->remote)
		r->want |= APP_W_ALL;
	if ((rc = source_tree_get(&r->tree, c->cache, spec->source.repo_url, r->commit)) < 0)
		return rc;
	return 1;
}

/* An empty directory to render chart sources from (value files need a tree). */
static const char *empty_root(struct run *r)
{
	snprintf(r->empty, sizeof(r->empty), "%s/empty", source_cache_dir(r->c->cache));
	mkdir(r->empty, 0700);
	return r->empty;
}

/* ---- the pipeline -----------------------------------------------------------------------------
 */

static int build(struct run *r)
{
	struct app_controller *c = r->c;
	struct decrypt_opts dopts;
	struct decrypt_ctx *dc = NULL;
	struct pipeline_input in;
	struct render_opts ro = RENDER_OPTS_INIT;
	const char *root = r->tree ? source_tree_path(r->tree) : empty_root(r);
	int rc;

	pipeline_decrypt_opts(&dopts, root, r->spec);
	if ((rc = decrypt_ctx_new(&dc, &dopts)) < 0 || (rc = app__identities(c, r->spec, dc)) < 0)
		goto out;
	memset(&in, 0, sizeof(in));
	in.app = r->spec;
	in.root = root;
	ro.timeout_ms = app__remaining_ms(r) > 1000 ? app__remaining_ms(r) : 1000;
	rc = pipeline_build(&r->res, &in, &ro, dc);
	app__metric_count(c->metrics.render, rc < 0 ? "failed" : "ok", 1);
	if (rc >= 0) {
		const char *const *uses;
		size_t nuses = decrypt_ctx_own_uses(dc, &uses);
		pthread_mutex_lock(&c->mu);
		app__usage_note(r->e, uses, nuses);
		pthread_mutex_unlock(&c->mu);
	}
	if (rc >= 0 && r->res.nwarnings) {
		size_t i;
		for (i = 0; i < r->res.nwarnings; i++)
			gs_warn("render warning", "application=%s/%s warning=\"%s\"", r->ns,
			        r->name, r->res.warnings[i]);
	}
out:
	decrypt_ctx_free(dc);
	return rc;
}

static char *what_of(const struct doc *obj)
{
	struct buf b = BUF_INIT(2048);
	const char *ns = doc_k8s_namespace(obj);
	buf_addf(&b, "%s %s%s%s", doc_k8s_kind(obj), ns ? ns : "", ns ? "/" : "",
	         doc_k8s_name(obj));
	return buf_detach(&b, NULL);
}

/* The desired set: namespaces filled in where the kind is namespaced, the destination
 * namespace made with CreateNamespace=true, and per object its key, name and digest. */
static int desired(struct run *r)
{
	const char *dns = r->spec->destination.namespace;
	struct buf key = BUF_INIT(INVENTORY_ID_MAX + 600);
	size_t i, extra = 0;
	int rc = 0, has_ns = 0;

	for (i = 0; i < r->res.n; i++) {
		struct doc *o = r->res.objs[i];
		struct kube_resource res = { 0 };
		const char *kind = doc_k8s_kind(o), *name = doc_k8s_name(o);
		if (kind && name && dns && !strcmp(kind, "Namespace") && !strcmp(name, dns))
			has_ns = 1;
		if (doc_k8s_namespace(o) || !dns || doc_kind(doc_get(o, "metadata")) != DOC_MAP)
			continue;
		if (kube_discover(&res, r->kc, doc_str(doc_get(o, "apiVersion")), kind) == 0 &&
		    res.namespaced &&
		    doc_set(doc_get(o, "metadata"), "namespace", doc_new_strz(dns)) < 0)
			rc = gs_error(GS_ENOMEM, "out of memory");
		kube_resource_release(&res);
		gs_error_clear();
		if (rc < 0)
			goto out;
	}
	if (r->spec->create_namespace && dns && !has_ns) {
		if (!(r->made_ns = doc_new_map()) ||
		    doc_set(r->made_ns, "apiVersion", doc_new_strz("v1")) < 0 ||
		    doc_set(r->made_ns, "kind", doc_new_strz("Namespace")) < 0 ||
		    doc_set(r->made_ns, "metadata", doc_new_map()) < 0 ||
		    doc_set(doc_get(r->made_ns, "metadata"), "name", doc_new_strz(dns)) < 0) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		extra = 1;
	}
	r->n = r->res.n + extra;
	if (!(r->objs = calloc(r->n + 1, sizeof(*r->objs))) ||
	    !(r->keys = calloc(r->n + 1, sizeof(*r->keys))) ||
	    !(r->whats = calloc(r->n + 1, sizeof(*r->whats))) ||
	    !(r->digests = calloc(r->n + 1, sizeof(*r->digests)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (extra)
		r->objs[0] =
		    r->made_ns; /* first: a Namespace is applied in the first stage anyway */
	for (i = 0; i < r->res.n; i++)
		r->objs[extra + i] = r->res.objs[i];
	for (i = 0; i < r->n; i++) {
		if ((rc = app__obj_key(&key, r->e, r->objs[i])) < 0 ||
		    (rc = app__digest(&r->digests[i], r->objs[i])) < 0)
			goto out;
		if (!(r->keys[i] = strdup(key.p)) || !(r->whats[i] = what_of(r->objs[i]))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	buf_release(&key);
	return rc;
}

/* ---- the run ----------------------------------------------------------------------------------
 */

static void run_release(struct run *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		if (r->keys)
			free(r->keys[i]);
		if (r->whats)
			free(r->whats[i]);
	}
	free(r->keys);
	free(r->whats);
	free(r->digests);
	free(r->objs);
	doc_free(r->made_ns);
	pipeline_result_release(&r->res);
	source_tree_release(r->tree);
	apply_report_release(&r->rep);
	buf_release(&r->changes);
	inventory_release(&r->inv);
}

/* After a run that changed nothing in the cluster: the status (health may have moved) and the
 * next poll. */
static enum rt_result idle(struct run *r)
{
	app__run_status(r, NULL, NULL);
	rearm_poll(r, 1);
	return RT_DONE;
}

static enum rt_result succeeded(struct run *r)
{
	struct app_controller *c = r->c;
	struct app_ent *e = r->e;
	struct app_hist hist;
	int dry = !r->spec->automated && !r->request, changed, history;

	pthread_mutex_lock(&c->mu);
	changed = strcmp(r->commit, e->commit) != 0;
	history = changed || r->created || r->configured || r->pruned || !e->ok;
	app__last_fail(&e->last, NULL, NULL, 0);
	free(e->last.sync_message);
	e->last.sync_message = NULL;
	memcpy(e->last.attempted, r->commit, sizeof(r->commit));
	if (dry) {
		size_t n = r->created + r->configured;
		snprintf(e->last.sync, sizeof(e->last.sync), "%s", n ? "OutOfSync" : "Synced");
		if (n) {
			struct buf m = BUF_INIT(APP_MSG_MAX);
			size_t k;
			buf_addf(&m, "%zu object%s would change (no automated sync): ", n,
			         n == 1 ? "" : "s");
			for (k = 0; k < r->changes.len && m.len < APP_MSG_MAX - 1; k++)
				buf_addc(&m, r->changes.p[k] == '\n' ? ',' : r->changes.p[k]);
			e->last.sync_message = buf_detach(&m, NULL);
		}
		history = 0;
	} else {
		snprintf(e->last.sync, sizeof(e->last.sync), "Synced");
		memcpy(e->last.revision, r->commit, sizeof(r->commit));
		snprintf(e->last.ref, sizeof(e->last.ref), "%s", r->ref);
		memcpy(e->commit, r->commit, sizeof(r->commit));
		e->applied_gen = e->generation;
	}
	e->ok = 1;
	pthread_mutex_unlock(&c->mu);

	memset(&hist, 0, sizeof(hist));
	hist.revision = r->commit;
	hist.started = r->started;
	hist.duration = gs_mono() - r->t0;
	hist.created = r->created;
	hist.configured = r->configured;
	hist.pruned = r->pruned;
	hist.message = r->created || r->configured || r->pruned ? "applied" : "up to date";
	app__run_status(r, r->has_inv ? &r->inv : NULL, history ? &hist : NULL);
	if (!dry && r->changes.len)
		app__event(c, r->obj, 0, "ReconciliationSucceeded", r->changes.p);
	gs_info(dry ? "compared" : "reconciled",
	        "application=%s/%s revision=%s stage=done created=%zu configured=%zu pruned=%zu "
	        "seconds=%.3f source_seconds=%.3f render_seconds=%.3f apply_seconds=%.3f",
	        r->ns, r->name, r->commit, r->created, r->configured, r->pruned, gs_mono() - r->t0,
	        r->source_s, r->render_s, gs_mono() - r->t_stage);
	app__metric_duration(c, r->ns, r->name, gs_mono() - r->t0);
	rearm_poll(r, 1);
	return RT_DONE;
}

enum rt_result app__reconcile(struct app_controller *c, struct app_ent *e, const struct doc *obj,
                              unsigned want, int retries)
{
	struct run r;
	struct app *spec = NULL;
	const char *req, *with, *stage = NULL, *reason = NULL;
	enum rt_result rr = RT_DONE;
	int rc;
	(void)retries;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.e = e;
	r.obj = obj;
	r.ns = doc_k8s_namespace(obj);
	r.name = doc_k8s_name(obj);
	r.want = want;
	r.t0 = gs_mono();
	r.started = time(NULL);
	buf_init(&r.changes, 1 << 16, 0);
	r.res = (struct pipeline_result)PIPELINE_RESULT_INIT;
	r.inv = (struct inventory)INVENTORY_INIT;

	if (app_parse(&spec, obj) < 0) {
		/* Stalled until the Application changes: no retry helps */
		pthread_mutex_lock(&c->mu);
		e->invalid = 1;
		pthread_mutex_unlock(&c->mu);
		r.spec = NULL;
		rr = app__run_fail(&r, "spec", "InvalidSpec", 1);
		goto out;
	}
	if (install_spec(&r, spec) < 0) {
		gs_err("cannot reconcile", "application=%s/%s error=\"%s\"", r.ns, r.name,
		       gs_error_last());
		rr = RT_RETRY;
		goto out;
	}
	r.deadline = r.t0 + (r.spec->timeout > 0 ? r.spec->timeout : c->o->app_timeout);
	req = doc_str(doc_getp(obj, "metadata", "annotations", APP_ANN_REQUESTED, NULL));
	with = doc_str(doc_getp(obj, "metadata", "annotations", APP_ANN_WITH_SOURCE, NULL));
	pthread_mutex_lock(&c->mu);
	if (req && strcmp(req, e->requested)) {
		r.request = 1;
		r.requested = req;
		snprintf(e->requested, sizeof(e->requested), "%s", req);
		r.want |= APP_W_RUN | APP_W_ALL | (with && !strcmp(with, "true") ? APP_W_FETCH : 0);
	}
	if (e->generation != e->applied_gen || !e->ok)
		r.want |= APP_W_RUN;
	e->suspended = r.spec->suspend;
	pthread_mutex_unlock(&c->mu);

	if (r.spec->suspend) {
		gs_info("suspended", "application=%s/%s", r.ns, r.name);
		goto out; /* no timer: a change of the Application wakes it */
	}
	if (!deps_ready(&r)) {
		struct buf msg = BUF_INIT(APP_MSG_MAX);
		buf_adds(&msg, gs_error_last());
		gs_error_clear();
		gs_info("waiting for a dependency", "application=%s/%s reason=\"%s\"", r.ns, r.name,
		        msg.p);
		pthread_mutex_lock(&c->mu);
		app__last_fail(&e->last, "DependencyNotReady", msg.p, 0);
		e->ok = 0;
		pthread_mutex_unlock(&c->mu);
		app__run_status(&r, NULL, NULL);
		app__rearm(&r, c->o->requeue_dependency);
		buf_release(&msg);
		goto out;
	}
	if (r.want == APP_W_STATUS) { /* the watches saw health or sync move: nothing to fetch */
		app__run_status(&r, NULL, NULL);
		rearm_poll(&r, 0);
		goto out;
	}
	if ((rc = app__target_client(c, r.spec, &r.kc, &r.remote)) < 0) {
		rr = app__run_fail(&r, "target", "ReconciliationFailed", 0);
		goto out;
	}
	r.t_stage = gs_mono();
	if ((rc = source(&r)) < 0) {
		rr = app__run_fail(&r, "source", "ArtifactFailed", 0);
		goto out;
	}
	r.source_s = gs_mono() - r.t_stage;
	if (rc == 0) {
		rr = idle(&r);
		goto out;
	}
	r.t_stage = gs_mono();
	if (check_deadline(&r, "render") < 0 || build(&r) < 0 || desired(&r) < 0) {
		rr = app__run_fail(&r, "render", "BuildFailed", 0);
		goto out;
	}
	r.render_s = gs_mono() - r.t_stage;
	r.t_stage = gs_mono();
	if (check_deadline(&r, "apply") < 0 || app__sync(&r, &stage, &reason) < 0) {
		rr = app__run_fail(&r, stage ? stage : "apply",
		                   reason ? reason : "ReconciliationFailed", 0);
		goto out;
	}
	rr = succeeded(&r);
out:
	run_release(&r);
	return rr;
}
