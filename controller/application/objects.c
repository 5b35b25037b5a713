/*
 * What the Applications applied, and the watches that see it change.
 *
 * c->objs holds one entry per applied object (key: its inventory id; "@<app> <id>" for a remote
 * cluster's, which no watch sees): who owns it, the fields we own as we applied them (compact
 * JSON of apply_result.applied), the digest of the desired object, the resourceVersion we
 * accounted for, its health. One informer per applied kind (label-selected on gitseal.dev/name,
 * every namespace, on the runtime's one watch thread) is shared by every Application.
 *
 * A watch event compares only what moved: the same resourceVersion as accounted for costs
 * nothing; a new one is judged against what we own (apply_drift: the fields in our managedFields
 * entry, lists matched by their keys, ignoreDifferences left out), without a request. A drifted
 * object queues its Application (APP_W_DRIFT with selfHeal, else APP_W_STATUS: OutOfSync with
 * the fields); a health change queues a status update. While its Application is being applied
 * an event is only noted (late_rv): the worker sorts it out once it knows what it wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/application/application_int.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"

void app__obj_free(void *p)
{
	struct app_obj *o = p;
	if (!o)
		return;
	free(o->app);
	free(o->applied);
	free(o->what);
	free(o->health_msg);
	free(o->drift_msg);
	gs_free_secret_str(o->late);
	free(o);
}

void app__kind_free(void *p)
{
	struct app_kind *k = p;
	if (!k)
		return;
	rt_informer_stop(k->inf);
	free(k->api_version);
	free(k->kind);
	free(k);
}

static void kind_key(struct buf *b, const char *api_version, const char *kind)
{
	buf_reset(b);
	buf_addf(b, "%s %s", api_version, kind);
}

/* The inventory id of a live or desired object. */
static int obj_id(struct buf *out, const struct doc *obj)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *slash = av ? strchr(av, '/') : NULL;
	struct buf group = BUF_INIT(256);
	int rc;
	if (!av || !doc_k8s_kind(obj) || !doc_k8s_name(obj))
		return gs_error(GS_EINVAL, "object without apiVersion, kind or name");
	if (slash)
		buf_add(&group, av, (size_t)(slash - av));
	buf_reset(out);
	rc = inventory_id(out, doc_k8s_namespace(obj) ? doc_k8s_namespace(obj) : "",
	                  doc_k8s_name(obj), group.p, doc_k8s_kind(obj));
	buf_release(&group);
	return rc;
}

/* ---- digests of desired objects -------------------------------------------------------------- */

int app__digest(uint64_t *out, const struct doc *obj)
{
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT | DOC_EMIT_SORT_KEYS };
	struct buf json = BUF_INIT_SECRET(KUBE_BODY_MAX);
	unsigned char h[GS_SHA256_LEN];
	struct doc *cmp = NULL;
	int rc;

	*out = 0;
	if ((rc = apply_comparable(&cmp, obj, NULL, 0)) < 0 ||
	    (rc = doc_emit_json(&json, cmp, &eo)) < 0 || (rc = gs_sha256(h, json.p, json.len)) < 0)
		goto out;
	memcpy(out, h, sizeof(*out));
	gs_wipe(h, sizeof(h));
out:
	doc_free(cmp);
	buf_release(&json);
	return rc;
}

/* ---- the watches ---------------------------------------------------------------------------- */

int app__watch_kind(struct app_controller *c, const char *api_version, const char *kind)
{
	struct rt_informer_opts io = { 0 };
	struct buf key = BUF_INIT(512), what = BUF_INIT(512);
	struct rt_informer *inf = NULL;
	struct app_kind *k;
	int rc = 0;

	kind_key(&key, api_version, kind);
	pthread_mutex_lock(&c->mu);
	if (c->stop || rt_map_get(&c->kinds, key.p)) {
		pthread_mutex_unlock(&c->mu);
		goto out;
	}
	/* the entry first, so that another worker does not start the same watch */
	if (!(k = calloc(1, sizeof(*k))) || !(k->api_version = strdup(api_version)) ||
	    !(k->kind = strdup(kind)) || rt_map_put(&c->kinds, key.p, k) < 0) {
		pthread_mutex_unlock(&c->mu);
		app__kind_free(k);
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	k->c = c;
	pthread_mutex_unlock(&c->mu);

	buf_addf(&what, "applied %s", kind);
	io.api_version = api_version;
	io.kind = kind;
	io.label_selector = APPLY_LABEL_NAME;
	io.page_size = 100;
	io.on_add = app__on_obj;
	io.on_update = app__on_obj_update;
	io.on_delete = app__on_obj_delete;
	io.ctx = k;
	io.what = what.p;
	rc = rt_informer_start(&inf, c->rt, &io);
	pthread_mutex_lock(&c->mu);
	if (rc < 0 || c->stop) {
		/* not served yet (its CRD comes with the set), or stopping: tried again later */
		rt_map_del(&c->kinds, key.p);
		pthread_mutex_unlock(&c->mu);
		rt_informer_stop(inf);
		app__kind_free(k);
		gs_debug("no watch yet", "kind=%s error=\"%s\"", kind,
		         rc < 0 ? gs_error_last() : "");
		goto out;
	}
	k->inf = inf;
	pthread_mutex_unlock(&c->mu);
	gs_debug("watching", "kind=%s api_version=%s", kind, api_version);
out:
	buf_release(&key);
	buf_release(&what);
	return rc;
}

int app__watches_synced(struct app_controller *c, struct doc *const *objs, size_t n, long ms)
{
	struct buf key = BUF_INIT(512);
	int64_t deadline = gs_mono_ms() + ms;
	size_t i;
	int all;

	for (i = 0; i < n; i++)
		app__watch_kind(c, doc_str(doc_get(objs[i], "apiVersion")), doc_k8s_kind(objs[i]));
	for (;;) {
		all = 1;
		pthread_mutex_lock(&c->mu);
		for (i = 0; i < n && all; i++) {
			struct app_kind *k;
			kind_key(&key, doc_str(doc_get(objs[i], "apiVersion")),
			         doc_k8s_kind(objs[i]));
			k = rt_map_get(&c->kinds, key.p);
			all = k && k->inf && rt_informer_synced(k->inf);
		}
		pthread_mutex_unlock(&c->mu);
		if (all || gs_mono_ms() >= deadline)
			break;
		gs_sleep_ms(20);
	}
	buf_release(&key);
	return all;
}

int app__lookup(void *ctx, const struct doc *desired, struct doc **live)
{
	struct app_controller *c = ctx;
	struct buf key = BUF_INIT(1024), kk = BUF_INIT(512);
	struct rt_informer *inf = NULL;
	struct app_kind *k;
	int state = -1;

	*live = NULL;
	kind_key(&kk, doc_str(doc_get(desired, "apiVersion")), doc_k8s_kind(desired));
	pthread_mutex_lock(&c->mu);
	if ((k = rt_map_get(&c->kinds, kk.p)) && k->inf && rt_informer_synced(k->inf))
		inf = k->inf;
	pthread_mutex_unlock(&c->mu);
	/* the informer lives until the loop stops, after every worker: safe without the lock */
	if (inf && rt_key(&key, doc_k8s_namespace(desired), doc_k8s_name(desired)) == 0)
		state = rt_informer_meta(inf, key.p, NULL, NULL, NULL) ? 1 : 0;
	if (state == 0 && obj_id(&kk, desired) == 0) {
		/* we wrote it and no event told us it went: the cache lags our write, ask */
		struct app_obj *o;
		pthread_mutex_lock(&c->mu);
		if ((o = rt_map_get(&c->objs, kk.p)) && o->present)
			state = -1;
		pthread_mutex_unlock(&c->mu);
	}
	gs_error_clear();
	/* Absent from a label-selected cache: not ours. It may still exist without our labels (a
	 * kubectl-made object): the forced server-side apply takes it over all the same, and the
	 * next sync, seeing it in the cache, takes kubectl's fields over too. */
	buf_release(&key);
	buf_release(&kk);
	return state;
}

/* ---- watch events (the informer thread: record and queue, never block) ------------------------
 */

static int owned_by(const struct doc *obj, const char *appkey)
{
	const char *n = doc_str(doc_getp(obj, "metadata", "labels", APPLY_LABEL_NAME, NULL));
	const char *ns = doc_str(doc_getp(obj, "metadata", "labels", APPLY_LABEL_NAMESPACE, NULL));
	size_t nl = ns ? strlen(ns) : 0;
	return n && ns && !strncmp(appkey, ns, nl) && appkey[nl] == '/' &&
	       !strcmp(appkey + nl + 1, n);
}

static void set_str(char **dst, const char *s)
{
	if ((!*dst && !s) || (*dst && s && !strcmp(*dst, s)))
		return;
	free(*dst);
	*dst = s ? strdup(s) : NULL;
}

/* A Secret's fields as we own them, keyed (no value is kept, none can be read back). */
static int secret_digest(struct app_controller *c, uint64_t *out, const struct doc *projection)
{
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT | DOC_EMIT_SORT_KEYS };
	struct buf json = BUF_INIT_SECRET(KUBE_BODY_MAX);
	unsigned char h[GS_SHA256_LEN];
	struct doc *d = doc_clone(projection), *meta;
	int rc;

	*out = 0;
	if (!d)
		return gs_error(GS_ENOMEM, "out of memory");
	if ((meta = doc_get(d, "metadata"))) {
		doc_del(meta, "uid");
		doc_del(meta, "resourceVersion");
		doc_del(meta, "generation");
		doc_del(meta, "managedFields");
	}
	if ((rc = doc_emit_json(&json, d, &eo)) == 0 &&
	    (rc = gs_hmac_sha256(h, c->hkey, sizeof(c->hkey), json.p, json.len)) == 0)
		memcpy(out, h, sizeof(*out));
	gs_wipe(h, sizeof(h));
	doc_free(d);
	buf_release(&json);
	return rc;
}

static int is_secret(const struct doc *obj)
{
	const char *k = doc_k8s_kind(obj), *av = doc_str(doc_get(obj, "apiVersion"));
	return k && av && !strcmp(k, "Secret") && !strcmp(av, "v1");
}

/* Whether resourceVersion a came after b (etcd revisions; an unknown form counts as newer). */
static int rv_newer(const char *a, const char *b)
{
	char *ea, *eb;
	unsigned long long x, y;
	if (!strcmp(a, "-") || !*b)
		return 1;
	x = strtoull(a, &ea, 10);
	y = strtoull(b, &eb, 10);
	return *ea || *eb || ea == a || eb == b || x > y;
}

/* Under c->mu: judge a live object against what we applied. Returns APP_W_* to ask for. */
static unsigned judge(struct app_controller *c, struct app_ent *e, struct app_obj *o,
                      const struct doc *live, const char *rv)
{
	struct apply_drift_opts dopt = APPLY_DRIFT_OPTS_INIT;
	struct apply_paths paths = APPLY_PATHS_INIT;
	struct buf msg = BUF_INIT(APP_MSG_MAX);
	struct doc *applied = NULL;
	int was = o->drifted, rc = APPLY_DRIFT_UNKNOWN;
	unsigned want = 0;

	snprintf(o->rv, sizeof(o->rv), "%s", rv);
	if (o->secret) {
		struct doc *proj = NULL;
		uint64_t d = 0;
		if (apply_project(&proj, live, APPLY_FIELD_MANAGER) == 0 &&
		    secret_digest(c, &d, proj) == 0)
			rc = d == o->sdigest ? APPLY_IN_SYNC : APPLY_DRIFT_UNKNOWN;
		doc_free(proj);
	} else if (o->applied && doc_parse_one(&applied, "applied", o->applied, strlen(o->applied),
	                                       DOC_PARSE_JSON) == 0) {
		dopt.ignore = e->ign;
		dopt.nignore = e->nign;
		rc = apply_drift(&paths, applied, live, &dopt);
	}
	gs_error_clear();
	if (rc == APPLY_IN_SYNC) {
		o->drifted = 0;
		set_str(&o->drift_msg, NULL);
	} else {
		o->drifted = 1;
		buf_addf(&msg, "%s (", o->what);
		if (rc == APPLY_DRIFTED && paths.n)
			apply_paths_join(&msg, &paths);
		else
			buf_adds(&msg, "changed");
		buf_addc(&msg, ')');
		set_str(&o->drift_msg, msg.p);
	}
	if (o->drifted)
		want = e->spec && e->spec->automated && e->spec->self_heal && !e->suspended
		           ? APP_W_DRIFT
		           : APP_W_STATUS;
	else if (was)
		want = APP_W_STATUS;
	doc_free(applied);
	apply_paths_release(&paths);
	buf_release(&msg);
	return want;
}

static void on_event(struct app_kind *k, const struct doc *obj, int deleted)
{
	struct app_controller *c = k->c;
	struct buf id = BUF_INIT(INVENTORY_ID_MAX + 16);
	const char *rv = doc_str(doc_getp(obj, "metadata", "resourceVersion", NULL));
	struct apply_health h;
	struct app_obj *o;
	struct app_ent *e;
	unsigned want = 0;

	if (obj_id(&id, obj) < 0) {
		gs_error_clear();
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	if (!(o = rt_map_get(&c->objs, id.p)) || !(e = rt_map_get(&c->ents, o->app)) ||
	    (!deleted && !owned_by(obj, o->app))) {
		pthread_mutex_unlock(&c->mu);
		goto out;
	}
	apply_health(&h, deleted ? NULL : obj, time(NULL));
	if (h.status != o->health || strcmp(h.message, o->health_msg ? o->health_msg : "")) {
		o->health = (unsigned char)h.status;
		set_str(&o->health_msg, h.message[0] ? h.message : NULL);
		want |= APP_W_STATUS;
	}
	o->present = !deleted;
	o->listed = !deleted;
	if (o->applying) {
		/* the worker judges it once it knows what it wrote */
		struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
		struct buf json = BUF_INIT_SECRET(KUBE_BODY_MAX);
		snprintf(o->late_rv, sizeof(o->late_rv), "%s", deleted ? "-" : rv ? rv : "?");
		gs_free_secret_str(o->late);
		o->late = NULL;
		if (!deleted && doc_emit_json(&json, obj, &eo) == 0)
			o->late = buf_detach(&json, NULL);
		buf_release(&json);
		gs_error_clear();
		want = 0;
	} else if (deleted) {
		o->drifted = 1;
		o->rv[0] = '\0';
		{
			struct buf msg = BUF_INIT(APP_MSG_MAX);
			buf_addf(&msg, "%s (deleted)", o->what);
			set_str(&o->drift_msg, msg.p);
			buf_release(&msg);
		}
		want |= e->spec && e->spec->automated && e->spec->self_heal && !e->suspended
		            ? APP_W_DRIFT
		            : APP_W_STATUS;
	} else if (rv && strcmp(rv, o->rv)) {
		want |= judge(c, e, o, obj, rv);
	}
	if (want && !e->suspended)
		app__want(c, o->app, want, 1);
	pthread_mutex_unlock(&c->mu);
out:
	buf_release(&id);
}

void app__on_obj(void *ctx, const struct doc *obj, int listed)
{
	(void)listed;
	on_event(ctx, obj, 0);
}

void app__on_obj_update(void *ctx, const struct doc *obj, const struct rt_meta *old, int listed)
{
	(void)old;
	(void)listed;
	on_event(ctx, obj, 0);
}

void app__on_obj_delete(void *ctx, const struct rt_meta *gone, const struct doc *last)
{
	struct app_kind *k = ctx;
	struct doc *d = NULL;
	/* a relist found it gone (last NULL): make a stand-in with what the id needs */
	if (!last) {
		if (!(d = doc_new_map()) ||
		    doc_set(d, "apiVersion", doc_new_strz(k->api_version)) < 0 ||
		    doc_set(d, "kind", doc_new_strz(k->kind)) < 0 ||
		    doc_set(d, "metadata", doc_new_map()) < 0 ||
		    doc_set(doc_get(d, "metadata"), "name", doc_new_strz(gone->name)) < 0 ||
		    (*gone->ns &&
		     doc_set(doc_get(d, "metadata"), "namespace", doc_new_strz(gone->ns)) < 0)) {
			doc_free(d);
			return;
		}
		last = d;
	}
	on_event(k, last, 1);
	doc_free(d);
}

/* ---- the table -------------------------------------------------------------------------------
 */

int app__obj_key(struct buf *out, const struct app_ent *e, const struct doc *obj)
{
	struct buf id = BUF_INIT(INVENTORY_ID_MAX + 16);
	int rc;
	buf_reset(out);
	if ((rc = obj_id(&id, obj)) == 0)
		rc = e->remote ? buf_addf(out, "@%s %s", e->key, id.p) : buf_adds(out, id.p);
	buf_release(&id);
	return rc;
}

struct app_obj *app__obj_of(struct app_controller *c, const struct app_ent *e, const char *key)
{
	struct app_obj *o = rt_map_get(&c->objs, key);
	return o && !strcmp(o->app, e->key) ? o : NULL;
}

/* Fields kubectl's client-side apply (or an edit before the first apply) still owns. */
static int kubectl_traces(const struct doc *stored)
{
	const struct doc *mf = doc_getp(stored, "metadata", "managedFields", NULL);
	size_t i;
	if (doc_getp(stored, "metadata", "annotations", APPLY_ANN_LAST_APPLIED, NULL))
		return 1;
	for (i = 0; i < doc_len(mf); i++) {
		const char *m = doc_str(doc_get(doc_val_at(mf, i), "manager"));
		if (m && (!strcmp(m, "kubectl-client-side-apply") || !strcmp(m, "kubectl") ||
		          !strcmp(m, "before-first-apply")))
			return 1;
	}
	return 0;
}

int app__obj_record(struct app_controller *c, struct app_ent *e, const char *key, const char *what,
                    uint64_t digest, const struct apply_result *r, unsigned *want)
{
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	const struct doc *stored = r->predicted;
	const char *rv = doc_str(doc_getp(stored, "metadata", "resourceVersion", NULL));
	struct app_obj *o = rt_map_get(&c->objs, key);
	struct apply_health h;
	int rc = 0;

	if (!o) {
		if (!(o = calloc(1, sizeof(*o))) || rt_map_put(&c->objs, key, o) < 0) {
			free(o);
			return gs_error(GS_ENOMEM, "out of memory");
		}
	}
	set_str(&o->app, e->key);
	set_str(&o->what, what);
	if (!o->app || !o->what)
		return gs_error(GS_ENOMEM, "out of memory");
	o->digest = digest;
	free(o->applied);
	o->applied = NULL;
	o->secret = 0;
	if (r->applied && is_secret(r->applied)) {
		o->secret = 1;
		if ((rc = secret_digest(c, &o->sdigest, r->applied)) < 0)
			o->sdigest = 0;
	} else if (r->applied) {
		struct buf json = BUF_INIT(KUBE_BODY_MAX);
		if (doc_emit_json(&json, r->applied, &eo) == 0)
			o->applied = buf_detach(&json, NULL);
		buf_release(&json);
	}
	gs_error_clear();
	if (stored) {
		apply_health(&h, stored, time(NULL));
		o->health = (unsigned char)h.status;
		set_str(&o->health_msg, h.message[0] ? h.message : NULL);
	} else if (r->action == APPLY_CREATED) {
		o->health = APPLY_PROGRESSING;
		set_str(&o->health_msg, NULL);
	}
	snprintf(o->rv, sizeof(o->rv), "%s", rv ? rv : "");
	o->present = 1;
	o->drifted = 0;
	set_str(&o->drift_msg, NULL);
	o->applying = 0;
	/* applied directly (the watch cache did not know it) onto an object kubectl made: apply it
	 * once more, through the takeover of kubectl's fields, so that what Git lacks goes */
	if (r->action == APPLY_CREATED && kubectl_traces(stored)) {
		o->digest = 0;
		*want |= APP_W_DRIFT;
	}
	/* an event came while we applied: if it is newer than our write, judge it now */
	if (o->late_rv[0] && strcmp(o->late_rv, o->rv) && rv_newer(o->late_rv, o->rv)) {
		struct doc *late = NULL;
		if (o->late &&
		    doc_parse_one(&late, "event", o->late, strlen(o->late),
		                  DOC_PARSE_JSON | (o->secret ? DOC_PARSE_SECRET : 0)) == 0) {
			apply_health(&h, late, time(NULL));
			o->health = (unsigned char)h.status;
			set_str(&o->health_msg, h.message[0] ? h.message : NULL);
			*want |= judge(c, e, o, late, o->late_rv);
		} else {
			struct buf msg = BUF_INIT(APP_MSG_MAX);
			o->drifted = 1;
			o->present = strcmp(o->late_rv, "-") != 0;
			buf_addf(&msg, "%s (%s during the sync)", what,
			         o->present ? "changed" : "deleted");
			set_str(&o->drift_msg, msg.p);
			buf_release(&msg);
			*want |= e->spec && e->spec->automated && e->spec->self_heal ? APP_W_DRIFT
			                                                             : APP_W_STATUS;
		}
		doc_free(late);
		gs_error_clear();
	}
	o->late_rv[0] = '\0';
	gs_free_secret_str(o->late);
	o->late = NULL;
	return 0;
}

void app__objs_forget(struct app_controller *c, struct app_ent *e)
{
	size_t i;
	for (i = 0; i < e->nids; i++) {
		struct app_obj *o = rt_map_get(&c->objs, e->ids[i]);
		if (o && !strcmp(o->app, e->key))
			app__obj_free(rt_map_del(&c->objs, e->ids[i]));
		free(e->ids[i]);
	}
	free(e->ids);
	e->ids = NULL;
	e->nids = 0;
}

void app__health_of(struct app_controller *c, const struct app_ent *e, struct apply_health *out,
                    struct buf *drift, size_t *ndrift)
{
	size_t i;
	out->status = APPLY_HEALTHY;
	out->message[0] = '\0';
	*ndrift = 0;
	for (i = 0; i < e->nids; i++) {
		struct app_obj *o = rt_map_get(&c->objs, e->ids[i]);
		struct apply_health one;
		if (!o || strcmp(o->app, e->key))
			continue;
		one.status = (enum apply_health_status)o->health;
		snprintf(one.message, sizeof(one.message), "%s",
		         o->health_msg ? o->health_msg : "");
		apply_health_merge(out, &one);
		if (o->drifted) {
			if (*ndrift < 8)
				buf_addf(drift, "%s%s", *ndrift ? ", " : "",
				         o->drift_msg ? o->drift_msg : o->what);
			(*ndrift)++;
		}
	}
	if (*ndrift > 8)
		buf_addf(drift, " (and %zu more)", *ndrift - 8);
}
