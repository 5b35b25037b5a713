/*
 * One SealedSecret -> its Secret, on a worker thread (upstream controller.go
 * unseal()). Writes only what changed: no Secret update, no event and no
 * status write when everything is already right, and no decryption at all
 * when the Secret carries the record of this exact SealedSecret (restart).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/clock.h"

#include "core/log.h"
#include "keys/keys.h"
#include "kube/kube.h"
#include "sealer/sealed/sealed.h"

static int write_status(struct ss_controller *c, const struct doc *ss, int ok, const char *msg,
                        struct ss_result *res)
{
	struct doc *obj = NULL, *patch = NULL, *out = NULL;
	const char *ns = doc_k8s_namespace(ss), *name = doc_k8s_name(ss);
	int rc;

	if (!c->o->update_status || !ss_status_needs_write(ss, ok, msg))
		return 0;
	if ((rc = ss_status_build(&obj, ss, ok, msg, time(NULL))) < 0)
		return rc;
	if (!(patch = doc_new_map()) ||
	    (rc = doc_set(patch, "status", doc_take(obj, "status"))) < 0) {
		rc = rc < 0 ? rc : gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	/* merge patch on /status: no resourceVersion race with the spec */
	rc = kube_merge_patch(&out, c->kc, SEALED_API_VERSION, "SealedSecret", ns, name, patch,
	                      "status", NULL);
	if (rc < 0) {
		gs_err("status update failed", "namespace=%s name=%s error=\"%s\"", ns, name,
		       gs_error_last());
		ss_metric_unseal_error(&c->metrics, "status", ns);
	} else {
		res->wrote++;
	}
out:
	doc_free(obj);
	doc_free(patch);
	doc_free(out);
	return rc;
}

static void event(struct ss_controller *c, const struct doc *ss, const char *type,
                  const char *reason, const char *msg)
{
	if (kube_event(c->kc, ss, type, reason, msg, SS_COMPONENT) < 0)
		gs_warn("event not recorded", "namespace=%s name=%s reason=%s error=\"%s\"",
		        doc_k8s_namespace(ss), doc_k8s_name(ss), reason, gs_error_last());
}

static int fail(struct ss_controller *c, const struct doc *ss, const char *ereason,
                const char *metric, const char *msg, struct ss_result *res)
{
	const char *ns = doc_k8s_namespace(ss), *name = doc_k8s_name(ss);
	gs_err("unseal failed", "namespace=%s name=%s reason=%s error=\"%s\"", ns, name, ereason,
	       msg);
	ss_metric_unseal_error(&c->metrics, metric, ns);
	event(c, ss, "Warning", ereason, msg);
	write_status(c, ss, 0, msg, res);
	ss_metric_condition(
	    &c->metrics, ns, name,
	    doc_str(doc_getp(ss, "metadata", "labels", "app.kubernetes.io/instance", NULL)), -1);
	res->ok = 0;
	return -1;
}

void ss_reconcile_post(struct ss_controller *c, const struct doc *ss, int unsealed)
{
	struct ss_result res;
	memset(&res, 0, sizeof(res));
	if (unsealed)
		event(c, ss, "Normal", "Unsealed", "SealedSecret unsealed successfully");
	write_status(c, ss, 1, NULL, &res);
	ss_metric_condition(
	    &c->metrics, doc_k8s_namespace(ss), doc_k8s_name(ss),
	    doc_str(doc_getp(ss, "metadata", "labels", "app.kubernetes.io/instance", NULL)), 1);
}

/*
 * A Secret with a record of the format before the HMAC that still matches (its data is what we
 * made): the keyed record from the same data replaces it (an update with its resourceVersion:
 * a change meanwhile wins, and the next reconcile looks again). Nothing is decrypted; the data,
 * labels and owners stay as they are. A failure leaves the old record, still valid.
 */
static void restamp(struct ss_controller *c, const struct doc *existing, const struct doc *ss,
                    struct ss_result *res)
{
	struct buf rec = BUF_INIT(1024);
	struct doc *u = doc_clone(existing), *out = NULL;
	struct doc *annos = doc_getp(u, "metadata", "annotations", NULL);
	const char *ns = doc_k8s_namespace(ss), *name = doc_k8s_name(ss);

	if (!u || !annos || ss_source_record(&rec, ss, doc_get(u, "data"), c->record_key) < 0 ||
	    doc_set(annos, SS_ANNO_SOURCE, doc_new_str(rec.p, rec.len)) < 0 ||
	    kube_update(&out, c->kc, u, NULL) < 0) {
		gs_warn("source record not upgraded", "namespace=%s name=%s error=\"%s\"", ns, name,
		        gs_error_last());
		gs_error_clear();
	} else {
		res->wrote++;
		gs_info("source record upgraded to the keyed format", "namespace=%s name=%s", ns,
		        name);
	}
	buf_release(&rec);
	doc_free(u);
	doc_free(out);
}

static double ms_since(double t0)
{
	return (gs_mono() - t0) * 1e3;
}

int ss_reconcile(struct ss_controller *c, const struct doc *ss, size_t *hint, int defer_post,
                 struct ss_result *res)
{
	struct kube_client *kc = c->kc;
	double t0;
	double t_get = 0, t_open = 0, t_write = 0, t_event = 0;
	const char *ns = doc_k8s_namespace(ss), *name = doc_k8s_name(ss);
	const char *instance =
	    doc_str(doc_getp(ss, "metadata", "labels", "app.kubernetes.io/instance", NULL));
	struct doc *existing = NULL, *desired = NULL, *update = NULL, *out = NULL;
	struct sealed_items items = SEALED_ITEMS_INIT;
	struct buf msg = BUF_INIT(8192);
	enum ss_plan plan;
	int rc, attempt, wrote = 0, cur;

	memset(res, 0, sizeof(*res));
	res->ok = 1;
	t0 = gs_mono();
	ss_metric_unseal_request(&c->metrics);
	if (!ns || !name)
		return gs_error(GS_EINVAL, "SealedSecret without namespace or name");

	/* A SealedSecret nobody has reconciled yet (no status) almost never has its Secret: create
	 * straight away and look only if that says AlreadyExists (one round trip less per object
	 * on a cold start over thousands). */
	if (doc_getp(ss, "status", "observedGeneration", NULL) || !c->o->update_status)
		rc = kube_get(&existing, kc, "v1", "Secret", ns, name);
	else
		rc = GS_ENOTFOUND;
	if (rc < 0 && rc != GS_ENOTFOUND) {
		buf_addf(&msg, "%s", gs_error_last());
		res->retry = 1;
		fail(c, ss, "ErrUpdateFailed", "update", msg.p, res);
		goto out;
	}
	gs_error_clear();
	t_get = ms_since(t0);
	/* restart fast path: the Secret says it was made from exactly this, and is unchanged since
	 */
	if (existing && (cur = ss_secret_is_current(existing, ss, c->record_key))) {
		res->skipped = 1;
		if (cur == SS_RECORD_OLD)
			restamp(c, existing, ss, res);
		write_status(c, ss, 1, NULL, res);
		ss_metric_condition(&c->metrics, ns, name, instance, 1);
		goto out;
	}

	if ((rc = ss_keys_open_ids(&c->keys, &items, ss, hint, res->key_ids)) < 0) {
		buf_addf(&msg, "Failed to unseal: %s", gs_error_last());
		res->unseal_failed = 1;
		res->retry = 1;
		fail(c, ss, "ErrUnsealFailed", "unseal", msg.p, res);
		goto out;
	}
	res->decrypted = 1;
	t_open = ms_since(t0);
	if ((rc = ss_desired_secret(&desired, ss, &items, c->record_key)) < 0) {
		/* template.data errors land here: Synced=False naming the construct */
		buf_addf(&msg, "Failed to unseal: %s", gs_error_last());
		fail(c, ss, "ErrUnsealFailed", "unseal", msg.p, res);
		goto out;
	}
	sealed_items_release(&items);

	for (attempt = 0; attempt < 3; attempt++) {
		doc_free(out);
		out = NULL;
		if (!existing) {
			rc = kube_create(&out, kc, desired, NULL);
			if (rc == GS_ECONFLICT) { /* created meanwhile: look again */
				gs_error_clear();
				if ((rc = kube_get(&existing, kc, "v1", "Secret", ns, name)) < 0)
					break;
				continue;
			}
			wrote = rc >= 0;
			break;
		}
		if ((rc = ss_plan_update(&plan, &update, existing, desired, ss, c->record_key)) < 0)
			break;
		if (plan == SS_PLAN_UNMANAGED) {
			buf_addf(&msg,
			         "failed update: Resource \"%s\" already exists and is not managed "
			         "by SealedSecret",
			         name);
			/* retried by upstream; a retry cannot help until someone annotates the
			 * Secret */
			fail(c, ss, "ErrUpdateFailed", "unmanaged", msg.p, res);
			goto out;
		}
		if (plan == SS_PLAN_NOOP) {
			rc = 0;
			break;
		}
		rc = kube_update(&out, kc, update, NULL);
		doc_free(update);
		update = NULL;
		if (rc == GS_ECONFLICT) { /* changed under us: read it again */
			gs_error_clear();
			doc_free(existing);
			existing = NULL;
			if ((rc = kube_get(&existing, kc, "v1", "Secret", ns, name)) < 0 &&
			    rc != GS_ENOTFOUND)
				break;
			gs_error_clear();
			continue;
		}
		wrote = rc >= 0;
		break;
	}
	if (rc < 0) {
		buf_addf(&msg, "%s", gs_error_last());
		res->retry = 1;
		fail(c, ss, "ErrUpdateFailed", "update", msg.p, res);
		goto out;
	}
	t_write = ms_since(t0);
	if (wrote) {
		res->wrote++;
		gs_info("unsealed", "namespace=%s name=%s", ns, name);
	}
	if (defer_post) {
		/* the Secret is there: the event and the status follow on the post threads */
		res->post = 1;
		res->post_event = wrote;
		goto out;
	}
	ss_reconcile_post(c, ss, wrote);
	t_event = ms_since(t0);
	gs_debug("reconciled",
	         "namespace=%s name=%s get_ms=%.1f open_ms=%.1f write_ms=%.1f event_ms=%.1f "
	         "total_ms=%.1f",
	         ns, name, t_get, t_open, t_write, t_event, ms_since(t0));
out:
	sealed_items_release(&items);
	doc_free(existing);
	doc_free(desired);
	doc_free(update);
	doc_free(out);
	buf_release(&msg);
	return res->ok ? 0 : -1;
}
