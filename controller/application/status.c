/*
 * The status of an Application (the contract `gitseal get apps` reads):
 *
 *   observedGeneration
 *   conditions: Ready, Reconciling, Stalled (reason, message, lastTransitionTime kept while the
 *               status does not change)
 *   sync:   {status: Synced|OutOfSync|Unknown, revision, message}
 *   health: {status: Healthy|Progressing|Degraded|Missing|Suspended|Unknown, message}
 *   lastAppliedRevision, lastAttemptedRevision, inventory {entries}, lastHandledReconcileAt
 *   history: the last 10 sync results, newest first
 *
 * Ready: a failed run says why (ArtifactFailed, BuildFailed, ReconciliationFailed, PruneFailed,
 * DependencyNotReady, InvalidSpec: Stalled), else the health decides: Healthy -> True
 * (ReconciliationSucceeded), Degraded -> False (HealthCheckFailed), Progressing or Missing ->
 * Unknown (Progressing) until spec.timeout, then False (HealthCheckFailed). Drift is the sync
 * status (OutOfSync with the fields), not Ready's. Nothing here quotes a value: messages name
 * objects and fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/application/application_int.h"
#include "core/log.h"

void app__last_release(struct app_last *l)
{
	free(l->message);
	free(l->sync_message);
	l->message = l->sync_message = NULL;
}

void app__last_fail(struct app_last *l, const char *reason, const char *message, int stalled)
{
	free(l->message);
	l->message = NULL;
	snprintf(l->reason, sizeof(l->reason), "%s", reason ? reason : "");
	if (reason && message)
		l->message = strndup(message, APP_MSG_MAX);
	l->stalled = reason && stalled;
}

static void rfc3339(char out[32], time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int set_s(struct doc *m, const char *k, const char *v)
{
	return doc_set(m, k, doc_new_strz(v ? v : ""));
}

/* A condition; its lastTransitionTime stays as cur has it unless the status flipped. */
static int condition(struct doc *conds, const struct doc *cur, const char *type, const char *st,
                     const char *reason, const char *msg, time_t now)
{
	const struct doc *old = NULL, *oc = doc_get(cur, "conditions");
	struct doc *c = doc_new_map();
	char ts[32];
	size_t i;
	int rc = 0;

	for (i = 0; i < doc_len(oc); i++) {
		const char *t = doc_str(doc_get(doc_val_at(oc, i), "type"));
		if (t && !strcmp(t, type))
			old = doc_val_at(oc, i);
	}
	if (!c)
		return gs_error(GS_ENOMEM, "out of memory");
	if (old && doc_str(doc_get(old, "status")) &&
	    !strcmp(doc_str(doc_get(old, "status")), st) &&
	    doc_str(doc_get(old, "lastTransitionTime")))
		snprintf(ts, sizeof(ts), "%s", doc_str(doc_get(old, "lastTransitionTime")));
	else
		rfc3339(ts, now);
	rc |= set_s(c, "type", type);
	rc |= set_s(c, "status", st);
	rc |= set_s(c, "reason", reason);
	rc |= set_s(c, "message", msg);
	rc |= set_s(c, "lastTransitionTime", ts);
	rc |= doc_push(conds, c);
	return rc ? gs_error(GS_ENOMEM, "out of memory") : 0;
}

static void fmt_duration(char out[32], double s)
{
	if (s < 60)
		snprintf(out, 32, "%.1fs", s);
	else if (s < 3600)
		snprintf(out, 32, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(out, 32, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

static struct doc *history(const struct doc *cur, const struct app_hist *h)
{
	struct doc *seq = doc_new_seq(), *e;
	const struct doc *old = doc_get(cur, "history");
	char ts[32], dur[32];
	size_t i;
	int rc = 0;

	if (!seq)
		return NULL;
	if (h) {
		if (!(e = doc_new_map()))
			goto fail;
		rfc3339(ts, h->started);
		fmt_duration(dur, h->duration);
		rc |= set_s(e, "revision", h->revision);
		rc |= set_s(e, "startedAt", ts);
		rc |= set_s(e, "duration", dur);
		rc |= doc_set(e, "created", doc_new_int((long long)h->created));
		rc |= doc_set(e, "configured", doc_new_int((long long)h->configured));
		rc |= doc_set(e, "pruned", doc_new_int((long long)h->pruned));
		rc |= set_s(e, "message", h->message);
		rc |= doc_push(seq, e);
	}
	for (i = 0; i < doc_len(old) && doc_len(seq) < APP_HISTORY_MAX; i++)
		rc |= doc_push(seq, doc_clone(doc_val_at(old, i)));
	if (rc)
		goto fail;
	return seq;
fail:
	doc_free(seq);
	return NULL;
}

/* Ready, Reconciling, Stalled and the sync status from the last run, the health and the drift. */
int app__status_build(struct doc **out, const struct doc *cur, const struct app_status_in *in,
                      int *ready)
{
	const struct app_last *l = in->last;
	const struct apply_health *h = in->health;
	struct buf msg = BUF_INIT(APP_MSG_MAX + 256), smsg = BUF_INIT(APP_MSG_MAX + 256);
	struct doc *st = doc_new_map(), *conds = doc_new_seq(), *sync = doc_new_map();
	struct doc *health = doc_new_map(), *inv = NULL, *hist = NULL;
	const char *ready_st, *ready_reason, *rec_st = "False", *rec_reason = "Succeeded";
	const char *sync_st = *l->sync ? l->sync : "Unknown";
	const char *hname = apply_health_name(h->status);
	int rc = 0;

	*out = NULL;
	if (!st || !conds || !sync || !health) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (*l->reason) {
		ready_st = "False";
		ready_reason = l->reason;
		buf_adds(&msg, l->message ? l->message : l->reason);
		if (!l->stalled) {
			rec_st = "True";
			rec_reason = "ProgressingWithRetry";
		}
	} else if (h->status == APPLY_HEALTHY || h->status == APPLY_SUSPENDED) {
		ready_st = "True";
		ready_reason = "ReconciliationSucceeded";
		buf_addf(&msg, "Applied revision: %s%s%s", l->ref, *l->ref ? "@sha1:" : "",
		         l->revision);
	} else if (h->status == APPLY_DEGRADED || in->health_timeout) {
		ready_st = "False";
		ready_reason = "HealthCheckFailed";
		buf_addf(&msg, "%s%s",
		         h->status == APPLY_DEGRADED ? "" : "timeout waiting for: ", h->message);
	} else {
		ready_st = "Unknown";
		ready_reason = "Progressing";
		rec_st = "True";
		rec_reason = "Progressing";
		buf_addf(&msg, "waiting for: %s", h->message);
	}
	*ready = !strcmp(ready_st, "True") ? 1 : !strcmp(ready_st, "False") ? 0 : -1;
	if (msg.len > APP_MSG_MAX)
		buf_truncate(&msg, APP_MSG_MAX);
	rc |= condition(conds, cur, "Ready", ready_st, ready_reason, msg.p, in->now);
	rc |= condition(conds, cur, "Reconciling", rec_st, rec_reason,
	                !strcmp(rec_st, "True") ? msg.p : "", in->now);
	rc |= condition(conds, cur, "Stalled", l->stalled ? "True" : "False",
	                l->stalled ? l->reason : "Succeeded", l->stalled ? msg.p : "", in->now);

	/* sync: the run's view, then what the watches saw since */
	if (!strcmp(sync_st, "Synced") && in->ndrift) {
		sync_st = "OutOfSync";
		buf_addf(&smsg, "%zu object%s differ%s: %s", in->ndrift, in->ndrift == 1 ? "" : "s",
		         in->ndrift == 1 ? "s" : "", in->drift ? in->drift : "");
	} else if (l->sync_message) {
		buf_adds(&smsg, l->sync_message);
	}
	if (smsg.len > APP_MSG_MAX)
		buf_truncate(&smsg, APP_MSG_MAX);
	rc |= set_s(sync, "status", sync_st);
	rc |= set_s(sync, "revision", *l->attempted ? l->attempted : l->revision);
	if (smsg.len)
		rc |= set_s(sync, "message", smsg.p);
	rc |= set_s(health, "status", hname);
	if (h->message[0] && h->status != APPLY_HEALTHY)
		rc |= set_s(health, "message", h->message);

	if (in->generation > 0)
		rc |= doc_set(st, "observedGeneration", doc_new_int(in->generation));
	else if (doc_get(cur, "observedGeneration"))
		rc |= doc_set(st, "observedGeneration",
		              doc_clone(doc_get(cur, "observedGeneration")));
	rc |= doc_set(st, "conditions", conds);
	conds = NULL;
	rc |= doc_set(st, "sync", sync);
	sync = NULL;
	rc |= doc_set(st, "health", health);
	health = NULL;
	if (*l->revision)
		rc |= set_s(st, "lastAppliedRevision", l->revision);
	if (*l->attempted)
		rc |= set_s(st, "lastAttemptedRevision", l->attempted);
	if (in->inv) {
		if ((rc = inventory_to_doc(&inv, in->inv)) < 0)
			goto out;
		rc = doc_set(st, "inventory", inv);
	} else if (doc_get(cur, "inventory")) {
		rc |= doc_set(st, "inventory", doc_clone(doc_get(cur, "inventory")));
	}
	if (!(hist = history(cur, in->hist))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	rc |= doc_set(st, "history", hist);
	if (in->requested)
		rc |= set_s(st, "lastHandledReconcileAt", in->requested);
	else if (doc_get(cur, "lastHandledReconcileAt"))
		rc |= doc_set(st, "lastHandledReconcileAt",
		              doc_clone(doc_get(cur, "lastHandledReconcileAt")));
	if (rc) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	*out = st;
	st = NULL;
out:
	doc_free(st);
	doc_free(conds);
	doc_free(sync);
	doc_free(health);
	buf_release(&msg);
	buf_release(&smsg);
	return rc;
}

static int same_json(const struct doc *a, const char *b)
{
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT | DOC_EMIT_SORT_KEYS };
	struct buf x = BUF_INIT(KUBE_BODY_MAX);
	int eq = 0;
	if (a && b && doc_emit_json(&x, a, &eo) == 0)
		eq = !strcmp(x.p, b);
	buf_release(&x);
	return eq;
}

int app__status_write(struct app_controller *c, struct app_ent *e, const struct doc *obj,
                      struct app_status_in *in)
{
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT | DOC_EMIT_SORT_KEYS };
	const struct doc *cur = doc_get(obj, "status");
	struct doc *st = NULL, *patch = NULL;
	struct buf json = BUF_INIT(KUBE_BODY_MAX);
	char *copy = NULL;
	const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
	int rc, ready = -1, same;

	if ((rc = app__status_build(&st, cur, in, &ready)) < 0)
		goto out;
	if ((rc = doc_emit_json(&json, st, &eo)) < 0)
		goto out;
	pthread_mutex_lock(&c->mu);
	same = (e->last_status && !strcmp(e->last_status, json.p)) || same_json(cur, json.p);
	pthread_mutex_unlock(&c->mu);
	app__metric_ready(c, ns, name, ready == 1);
	if (app__post_status(c, e->key, json.p, same) || same)
		goto out;
	if (!(patch = doc_new_map()) || doc_set(patch, "status", st) < 0) {
		st = NULL;
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	st = NULL;
	if ((rc = kube_merge_patch(NULL, c->kc, APP_API_VERSION, APP_KIND, ns, name, patch,
	                           "status", NULL)) < 0) {
		rc = gs_error_prefix(rc, "status of %s/%s", ns, name);
		goto out;
	}
	copy = buf_detach(&json, NULL);
	pthread_mutex_lock(&c->mu);
	free(e->last_status);
	e->last_status = copy;
	pthread_mutex_unlock(&c->mu);
out:
	doc_free(st);
	doc_free(patch);
	buf_release(&json);
	return rc;
}

void app__event(struct app_controller *c, const struct doc *obj, int warning, const char *reason,
                const char *message)
{
	char msg[APP_MSG_MAX + 1];
	snprintf(msg, sizeof(msg), "%s", message ? message : "");
	if (app__post_event(c, obj, warning, reason, msg))
		return;
	if (kube_event(c->kc, obj, warning ? "Warning" : "Normal", reason, msg, APP_COMPONENT) <
	    0) {
		gs_warn("cannot write an event", "application=%s/%s reason=%s error=\"%s\"",
		        doc_k8s_namespace(obj), doc_k8s_name(obj), reason, gs_error_last());
		gs_error_clear();
	}
}
