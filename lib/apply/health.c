/*
 * Health: kstatus' rules (cli-utils pkg/kstatus/status {status,generic,core}.go,
 * gitops-anchors §2.8) mapped to Argo CD's names: Current -> Healthy,
 * InProgress and Terminating -> Progressing, Failed -> Degraded, NotFound ->
 * Missing; suspended Jobs/CronJobs and paused Deployments -> Suspended (Argo).
 * A SealedSecret is as healthy as the unsealer says in its Synced condition.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apply/apply_int.h"

const char *apply_health_name(enum apply_health_status s)
{
	switch (s) {
	case APPLY_HEALTHY: return "Healthy";
	case APPLY_SUSPENDED: return "Suspended";
	case APPLY_PROGRESSING: return "Progressing";
	case APPLY_MISSING: return "Missing";
	case APPLY_DEGRADED: return "Degraded";
	}
	return "Unknown";
}

static void set(struct apply_health *h, enum apply_health_status s, const struct doc *obj,
                const char *fmt, ...) GS_PRINTF(4, 5);
static void set(struct apply_health *h, enum apply_health_status s, const struct doc *obj,
                const char *fmt, ...)
{
	const char *kind = doc_k8s_kind(obj), *ns = doc_k8s_namespace(obj),
	           *name = doc_k8s_name(obj);
	va_list ap;
	int n;

	h->status = s;
	h->message[0] = '\0';
	if (s == APPLY_HEALTHY)
		return;
	if (!obj)
		n = 0;
	else if (ns && *ns)
		n = snprintf(h->message, sizeof(h->message), "%s %s/%s: ", kind ? kind : "?", ns,
		             name ? name : "");
	else
		n = snprintf(h->message, sizeof(h->message), "%s %s: ", kind ? kind : "?",
		             name ? name : "");
	if (n < 0 || (size_t)n >= sizeof(h->message))
		return;
	va_start(ap, fmt);
	vsnprintf(h->message + n, sizeof(h->message) - (size_t)n, fmt, ap);
	va_end(ap);
}

static long long num(const struct doc *n, long long def)
{
	long long v;
	return doc_get_int(n, &v) == 0 ? v : def;
}

static const char *str(const struct doc *n)
{
	const char *s = doc_str(n);
	return s ? s : "";
}

/* The condition of this type, or NULL. */
static const struct doc *condition(const struct doc *obj, const char *type)
{
	const struct doc *conds = doc_getp(obj, "status", "conditions", NULL);
	size_t i;
	for (i = 0; doc_kind(conds) == DOC_SEQ && i < doc_len(conds); i++)
		if (!strcmp(str(doc_get(doc_val_at(conds, i), "type")), type))
			return doc_val_at(conds, i);
	return NULL;
}

static int cond_is(const struct doc *c, const char *status)
{
	return c && !strcmp(str(doc_get(c, "status")), status);
}

static const char *cond_msg(const struct doc *c)
{
	const char *m = str(doc_get(c, "message"));
	return *m ? m : str(doc_get(c, "reason"));
}

/* "2024-01-02T03:04:05Z" (UTC, as the API server writes it) -> epoch; -1 if not that. */
static time_t rfc3339(const char *s)
{
	struct tm tm;
	const char *end;
	memset(&tm, 0, sizeof(tm));
	if (!(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	return timegm(&tm);
}

static int spec_bool(const struct doc *obj, const char *field)
{
	int v = 0;
	doc_get_bool(doc_getp(obj, "spec", field, NULL), &v);
	return v;
}

static void deployment(struct apply_health *h, const struct doc *o)
{
	const struct doc *st = doc_get(o, "status"), *c;
	long long spec = num(doc_getp(o, "spec", "replicas", NULL), 1),
	          replicas = num(doc_get(st, "replicas"), 0);
	long long updated = num(doc_get(st, "updatedReplicas"), 0),
	          ready = num(doc_get(st, "readyReplicas"), 0);
	long long available = num(doc_get(st, "availableReplicas"), 0);
	int progressing = !doc_getp(o, "spec", "progressDeadlineSeconds", NULL), avail = 0;

	if ((c = condition(o, "Progressing"))) {
		if (!strcmp(str(doc_get(c, "reason")), "ProgressDeadlineExceeded"))
			return set(h, APPLY_DEGRADED, o, "progress deadline exceeded");
		if (cond_is(c, "True") &&
		    !strcmp(str(doc_get(c, "reason")), "NewReplicaSetAvailable"))
			progressing = 1;
	}
	avail = cond_is(condition(o, "Available"), "True");
	if (spec > replicas)
		return set(h, APPLY_PROGRESSING, o, "replicas: %lld/%lld", replicas, spec);
	if (spec > updated)
		return set(h, APPLY_PROGRESSING, o, "updated: %lld/%lld", updated, spec);
	if (replicas > spec)
		return set(h, APPLY_PROGRESSING, o, "pending termination: %lld", replicas - spec);
	if (updated > available)
		return set(h, APPLY_PROGRESSING, o, "available: %lld/%lld", available, updated);
	if (spec > ready)
		return set(h, APPLY_PROGRESSING, o, "ready: %lld/%lld", ready, spec);
	if (!progressing)
		return set(h, APPLY_PROGRESSING, o, "ReplicaSet not available");
	if (!avail)
		return set(h, APPLY_PROGRESSING, o, "Deployment not available");
	set(h, APPLY_HEALTHY, o, "available");
}

static void statefulset(struct apply_health *h, const struct doc *o)
{
	const struct doc *st = doc_get(o, "status"),
	                 *us = doc_getp(o, "spec", "updateStrategy", NULL);
	long long spec = num(doc_getp(o, "spec", "replicas", NULL), 1),
	          replicas = num(doc_get(st, "replicas"), 0);
	long long ready = num(doc_get(st, "readyReplicas"), 0),
	          current = num(doc_get(st, "currentReplicas"), 0);
	long long updated = num(doc_get(st, "updatedReplicas"), 0);
	long long partition = num(doc_getp(us, "rollingUpdate", "partition", NULL), -1);

	if (!strcmp(str(doc_get(us, "type")), "OnDelete"))
		return set(h, APPLY_HEALTHY, o, "OnDelete");
	if (spec > replicas)
		return set(h, APPLY_PROGRESSING, o, "replicas: %lld/%lld", replicas, spec);
	if (spec > ready)
		return set(h, APPLY_PROGRESSING, o, "ready: %lld/%lld", ready, spec);
	if (replicas > spec)
		return set(h, APPLY_PROGRESSING, o, "pending termination: %lld", replicas - spec);
	if (partition >= 0) {
		if (updated < spec - partition)
			return set(h, APPLY_PROGRESSING, o, "updated: %lld/%lld", updated,
			           spec - partition);
		return set(h, APPLY_HEALTHY, o, "partition rolled out");
	}
	if (spec > current)
		return set(h, APPLY_PROGRESSING, o, "current: %lld/%lld", current, spec);
	if (strcmp(str(doc_get(st, "currentRevision")), str(doc_get(st, "updateRevision"))))
		return set(h, APPLY_PROGRESSING, o, "waiting for revision %s to replace %s",
		           str(doc_get(st, "updateRevision")), str(doc_get(st, "currentRevision")));
	set(h, APPLY_HEALTHY, o, "ready");
}

static void daemonset(struct apply_health *h, const struct doc *o)
{
	const struct doc *st = doc_get(o, "status");
	long long desired = num(doc_get(st, "desiredNumberScheduled"), 0);
	long long current = num(doc_get(st, "currentNumberScheduled"), 0);
	long long updated = num(doc_get(st, "updatedNumberScheduled"), 0);
	long long available = num(doc_get(st, "numberAvailable"), 0),
	          ready = num(doc_get(st, "numberReady"), 0);

	if (!doc_get(st, "observedGeneration"))
		return set(h, APPLY_PROGRESSING, o, "not observed by its controller yet");
	if (desired > current)
		return set(h, APPLY_PROGRESSING, o, "current: %lld/%lld", current, desired);
	if (desired > updated)
		return set(h, APPLY_PROGRESSING, o, "updated: %lld/%lld", updated, desired);
	if (desired > available)
		return set(h, APPLY_PROGRESSING, o, "available: %lld/%lld", available, desired);
	if (desired > ready)
		return set(h, APPLY_PROGRESSING, o, "ready: %lld/%lld", ready, desired);
	set(h, APPLY_HEALTHY, o, "ready");
}

static void replicaset(struct apply_health *h, const struct doc *o)
{
	const struct doc *st = doc_get(o, "status"), *c = condition(o, "ReplicaFailure");
	long long spec = num(doc_getp(o, "spec", "replicas", NULL), 1),
	          replicas = num(doc_get(st, "replicas"), 0);
	long long labeled = num(doc_get(st, "fullyLabeledReplicas"), 0);
	long long available = num(doc_get(st, "availableReplicas"), 0),
	          ready = num(doc_get(st, "readyReplicas"), 0);

	if (cond_is(c, "True"))
		return set(h, APPLY_PROGRESSING, o, "replica failure: %s", cond_msg(c));
	if (spec > labeled)
		return set(h, APPLY_PROGRESSING, o, "labelled: %lld/%lld", labeled, spec);
	if (spec > available)
		return set(h, APPLY_PROGRESSING, o, "available: %lld/%lld", available, spec);
	if (spec > ready)
		return set(h, APPLY_PROGRESSING, o, "ready: %lld/%lld", ready, spec);
	if (replicas > spec)
		return set(h, APPLY_PROGRESSING, o, "pending termination: %lld", replicas - spec);
	set(h, APPLY_HEALTHY, o, "available");
}

static void job(struct apply_health *h, const struct doc *o)
{
	const struct doc *st = doc_get(o, "status"), *c;
	if ((c = condition(o, "Failed")) && cond_is(c, "True"))
		return set(h, APPLY_DEGRADED, o, "job failed: %s", cond_msg(c));
	if ((c = condition(o, "Complete")) && cond_is(c, "True"))
		return set(h, APPLY_HEALTHY, o, "completed");
	if (!doc_get(st, "startTime"))
		return set(h, APPLY_PROGRESSING, o, "job not started");
	set(h, APPLY_HEALTHY, o, "running"); /* kstatus: a running Job is Current */
}

static void pod(struct apply_health *h, const struct doc *o, time_t now)
{
	const char *phase = str(doc_getp(o, "status", "phase", NULL));
	const struct doc *cs = doc_getp(o, "status", "containerStatuses", NULL), *c;
	size_t i;

	if (!strcmp(phase, "Succeeded"))
		return set(h, APPLY_HEALTHY, o, "completed");
	if (!strcmp(phase, "Failed"))
		return set(h, APPLY_HEALTHY, o,
		           "completed, but not successfully"); /* kstatus: Current */
	for (i = 0; doc_kind(cs) == DOC_SEQ && i < doc_len(cs); i++) {
		const char *r =
		    str(doc_getp(doc_val_at(cs, i), "state", "waiting", "reason", NULL));
		if (!strcmp(r, "CrashLoopBackOff"))
			return set(h, APPLY_DEGRADED, o, "container %s is in CrashLoopBackOff",
			           str(doc_get(doc_val_at(cs, i), "name")));
	}
	if (!strcmp(phase, "Running")) {
		if (cond_is(condition(o, "Ready"), "True"))
			return set(h, APPLY_HEALTHY, o, "ready");
		return set(h, APPLY_PROGRESSING, o, "running but not ready");
	}
	if ((c = condition(o, "PodScheduled")) && cond_is(c, "False") &&
	    !strcmp(str(doc_get(c, "reason")), "Unschedulable")) {
		time_t since = rfc3339(str(doc_get(c, "lastTransitionTime")));
		if (since > 0 && now - since > 15)
			return set(h, APPLY_DEGRADED, o, "cannot be scheduled: %s", cond_msg(c));
	}
	set(h, APPLY_PROGRESSING, o, "%s", *phase ? "pending" : "no phase yet");
}

static void crd(struct apply_health *h, const struct doc *o)
{
	const struct doc *est = condition(o, "Established"), *na = condition(o, "NamesAccepted");
	if (cond_is(est, "True"))
		return set(h, APPLY_HEALTHY, o, "established");
	if (cond_is(na, "False"))
		return set(h, APPLY_DEGRADED, o, "names not accepted: %s", cond_msg(na));
	if (cond_is(est, "False") && strcmp(str(doc_get(est, "reason")), "Installing"))
		return set(h, APPLY_DEGRADED, o, "not established: %s", cond_msg(est));
	set(h, APPLY_PROGRESSING, o, "not established yet");
}

static void sealedsecret(struct apply_health *h, const struct doc *o)
{
	const struct doc *c = condition(o, "Synced");
	if (cond_is(c, "True"))
		return set(h, APPLY_HEALTHY, o, "unsealed");
	if (cond_is(c, "False"))
		return set(h, APPLY_DEGRADED, o, "%s",
		           *cond_msg(c) ? cond_msg(c) : "cannot be unsealed");
	set(h, APPLY_PROGRESSING, o, "waiting for the unsealer");
}

static int is(const char *group, const char *kind, const char *g, const char *k)
{
	return !strcmp(group, g) && !strcmp(kind, k);
}

void apply_health(struct apply_health *out, const struct doc *o, time_t now)
{
	const char *av = str(doc_get(o, "apiVersion")), *kind = str(doc_get(o, "kind")),
	           *slash = strchr(av, '/');
	const struct doc *c, *og;
	char group[256] = "";
	long long gen, obs;

	memset(out, 0, sizeof(*out));
	if (!o)
		return set(out, APPLY_MISSING, o, "not found");
	if (slash && (size_t)(slash - av) < sizeof(group)) {
		memcpy(group, av, slash - av);
		group[slash - av] = '\0';
	}
	if (doc_getp(o, "metadata", "deletionTimestamp", NULL))
		return set(out, APPLY_PROGRESSING, o, "being deleted");
	if ((is(group, kind, "batch", "Job") || is(group, kind, "batch", "CronJob")) &&
	    spec_bool(o, "suspend"))
		return set(out, APPLY_SUSPENDED, o, "suspended");
	if (is(group, kind, "apps", "Deployment") && spec_bool(o, "paused"))
		return set(out, APPLY_SUSPENDED, o, "paused");
	/* generic rules first: an unobserved generation, Reconciling, Stalled */
	og = doc_getp(o, "status", "observedGeneration", NULL);
	gen = num(doc_getp(o, "metadata", "generation", NULL), -1);
	if (og && gen >= 0 && (obs = num(og, -1)) != gen)
		return set(out, APPLY_PROGRESSING, o,
		           "generation %lld not observed yet (observed %lld)", gen, obs);
	if ((c = condition(o, "Reconciling")) && cond_is(c, "True"))
		return set(out, APPLY_PROGRESSING, o, "%s",
		           *cond_msg(c) ? cond_msg(c) : "reconciling");
	if ((c = condition(o, "Stalled")) && cond_is(c, "True"))
		return set(out, APPLY_DEGRADED, o, "%s", *cond_msg(c) ? cond_msg(c) : "stalled");

	if (is(group, kind, "apps", "Deployment"))
		return deployment(out, o);
	if (is(group, kind, "apps", "StatefulSet"))
		return statefulset(out, o);
	if (is(group, kind, "apps", "DaemonSet"))
		return daemonset(out, o);
	if (is(group, kind, "apps", "ReplicaSet"))
		return replicaset(out, o);
	if (is(group, kind, "batch", "Job"))
		return job(out, o);
	if (is(group, kind, "", "Pod"))
		return pod(out, o, now);
	if (is(group, kind, "", "PersistentVolumeClaim")) {
		const char *phase = str(doc_getp(o, "status", "phase", NULL));
		if (strcmp(phase, "Bound"))
			return set(out, APPLY_PROGRESSING, o, "not bound (phase %s)",
			           *phase ? phase : "unknown");
		return set(out, APPLY_HEALTHY, o, "bound");
	}
	if (is(group, kind, "", "Service")) {
		if (!strcmp(str(doc_getp(o, "spec", "type", NULL)), "LoadBalancer") &&
		    !*str(doc_getp(o, "spec", "clusterIP", NULL)))
			return set(out, APPLY_PROGRESSING, o, "cluster IP not set");
		return set(out, APPLY_HEALTHY, o, "ready");
	}
	if (is(group, kind, "apiextensions.k8s.io", "CustomResourceDefinition"))
		return crd(out, o);
	if (is(group, kind, "", "Namespace")) {
		const char *phase = str(doc_getp(o, "status", "phase", NULL));
		if (!strcmp(phase, "Active"))
			return set(out, APPLY_HEALTHY, o, "active");
		return set(out, APPLY_PROGRESSING, o, "%s", *phase ? phase : "not active yet");
	}
	if (is(group, kind, "bitnami.com", "SealedSecret") ||
	    is(group, kind, "gitseal.dev", "SealedSecret"))
		return sealedsecret(out, o);
	if ((c = condition(o, "Ready"))) {
		if (cond_is(c, "True"))
			return set(out, APPLY_HEALTHY, o, "ready");
		return set(out, APPLY_PROGRESSING, o, "not ready: %s",
		           *cond_msg(c) ? cond_msg(c) : "no reason given");
	}
	set(out, APPLY_HEALTHY, o, "exists");
}

void apply_health_merge(struct apply_health *agg, const struct apply_health *one)
{
	if (one->status > agg->status)
		*agg = *one;
}

void apply_health_set(struct apply_health *out, const struct doc *const *live, size_t n, time_t now)
{
	struct apply_health one;
	size_t i;
	memset(out, 0, sizeof(*out));
	out->status = APPLY_HEALTHY;
	for (i = 0; i < n; i++) {
		apply_health(&one, live[i], now);
		apply_health_merge(out, &one);
	}
}
