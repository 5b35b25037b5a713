/* core/v1 Events (with count aggregation) and coordination.k8s.io/v1 Leases for leader election. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "kube/client.h"

#define EVENT_CACHE_MAX 256
#define EVENT_AGGREGATE_S 600

struct ev_entry {
	char *key;  /* ns\0kind\0name\0type\0reason\0message, joined with '\n' */
	char *name; /* the Event's metadata.name */
	char *ns;
	long long count;
	int64_t last_ms; /* gs_mono_ms() when it was last sent */
};

struct kube__evcache {
	struct ev_entry e[EVENT_CACHE_MAX];
	size_t n;
};

void kube__event_cache_free(struct kube_client *kc)
{
	size_t i;
	if (!kc->events)
		return;
	for (i = 0; i < kc->events->n; i++) {
		free(kc->events->e[i].key);
		free(kc->events->e[i].name);
		free(kc->events->e[i].ns);
	}
	free(kc->events);
	kc->events = NULL;
}

static void rfc3339(char out[32], time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int set_s(struct doc *m, const char *k, const char *v)
{
	return v ? doc_set(m, k, doc_new_strz(v)) : 0;
}

/* The cached entry for key (under kc->mu), or NULL. */
static struct ev_entry *ev_find(struct kube_client *kc, const char *key)
{
	size_t i;
	for (i = 0; kc->events && i < kc->events->n; i++)
		if (!strcmp(kc->events->e[i].key, key))
			return &kc->events->e[i];
	return NULL;
}

static void ev_remember(struct kube_client *kc, const char *key, const char *ns, const char *name,
                        long long count)
{
	struct ev_entry *e;
	pthread_mutex_lock(&kc->mu);
	if (!kc->events && !(kc->events = calloc(1, sizeof(*kc->events))))
		goto out;
	if (!(e = ev_find(kc, key))) {
		if (kc->events->n == EVENT_CACHE_MAX) { /* drop the oldest */
			free(kc->events->e[0].key);
			free(kc->events->e[0].name);
			free(kc->events->e[0].ns);
			memmove(&kc->events->e[0], &kc->events->e[1],
			        (EVENT_CACHE_MAX - 1) * sizeof(*e));
			kc->events->n--;
		}
		e = &kc->events->e[kc->events->n];
		memset(e, 0, sizeof(*e));
		if (!(e->key = strdup(key)))
			goto out;
		kc->events->n++;
	}
	free(e->name);
	free(e->ns);
	e->name = strdup(name);
	e->ns = strdup(ns);
	e->count = count;
	e->last_ms = gs_mono_ms();
out:
	pthread_mutex_unlock(&kc->mu);
}

int kube_event(struct kube_client *kc, const struct doc *obj, const char *type, const char *reason,
               const char *message, const char *component)
{
	const char *oname = doc_k8s_name(obj), *ons = doc_k8s_namespace(obj),
	           *okind = doc_str(doc_get(obj, "kind"));
	const char *ns =
	    ons && *ons ? ons : "default"; /* events about cluster-scoped objects go to default */
	struct doc *ev = NULL, *io = NULL, *meta = NULL, *src = NULL, *patch = NULL, *live = NULL;
	struct buf key = BUF_INIT(1 << 16);
	char now[32], name[320], host[256] = "";
	struct timespec wall;
	char *cached_name = NULL;
	long long count = 0;
	struct ev_entry *e;
	int rc;

	if (!oname || !okind || !type || !reason)
		return gs_error(GS_EINVAL, "event: object name/kind, type and reason are required");
	rfc3339(now, time(NULL));
	if ((rc = buf_addf(&key, "%s\n%s\n%s\n%s\n%s\n%s", ns, okind, oname, type, reason,
	                   message ? message : "")) < 0)
		goto out;
	pthread_mutex_lock(&kc->mu);
	if ((e = ev_find(kc, key.p)) && gs_mono_ms() - e->last_ms < EVENT_AGGREGATE_S * 1000LL &&
	    !strcmp(e->ns, ns)) {
		cached_name = strdup(e->name);
		count = e->count;
	}
	pthread_mutex_unlock(&kc->mu);

	if (cached_name) { /* the same event again: count it on the first one */
		if (!(patch = doc_new_map()) ||
		    doc_set(patch, "count", doc_new_int(count + 1)) < 0 ||
		    set_s(patch, "lastTimestamp", now) < 0) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		rc = kube_merge_patch(NULL, kc, "v1", "Event", ns, cached_name, patch, NULL, NULL);
		if (rc == 0) {
			ev_remember(kc, key.p, ns, cached_name, count + 1);
			goto out;
		}
		if (rc != GS_ENOTFOUND)
			goto out;
	}
	clock_gettime(CLOCK_REALTIME,
	              &wall); /* client-go names events "<object>.<UnixNano in hex>" */
	snprintf(name, sizeof(name), "%.240s.%llx", oname,
	         (unsigned long long)wall.tv_sec * 1000000000ULL +
	             (unsigned long long)wall.tv_nsec);
	gethostname(host, sizeof(host) - 1);
	if (!(ev = doc_new_map()) || !(meta = doc_new_map()) || !(io = doc_new_map()) ||
	    !(src = doc_new_map())) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = set_s(meta, "name", name)) < 0 || (rc = set_s(meta, "namespace", ns)) < 0 ||
	    (rc = set_s(io, "apiVersion", doc_str(doc_get(obj, "apiVersion")))) < 0 ||
	    (rc = set_s(io, "kind", okind)) < 0 || (rc = set_s(io, "name", oname)) < 0 ||
	    (ons && *ons && (rc = set_s(io, "namespace", ons)) < 0) ||
	    (rc = set_s(io, "uid", doc_str(doc_getp(obj, "metadata", "uid", NULL)))) < 0 ||
	    (rc = set_s(io, "resourceVersion",
	                doc_str(doc_getp(obj, "metadata", "resourceVersion", NULL)))) < 0 ||
	    (rc = set_s(src, "component", component ? component : "gitseal")) < 0 ||
	    (host[0] && (rc = set_s(src, "host", host)) < 0))
		goto out;
	if ((rc = set_s(ev, "apiVersion", "v1")) < 0 || (rc = set_s(ev, "kind", "Event")) < 0 ||
	    (rc = doc_set(ev, "metadata", meta)) < 0)
		goto out;
	meta = NULL;
	if ((rc = doc_set(ev, "involvedObject", io)) < 0)
		goto out;
	io = NULL;
	if ((rc = set_s(ev, "reason", reason)) < 0 ||
	    (rc = set_s(ev, "message", message ? message : "")) < 0 ||
	    (rc = set_s(ev, "type", type)) < 0 || (rc = doc_set(ev, "count", doc_new_int(1))) < 0 ||
	    (rc = set_s(ev, "firstTimestamp", now)) < 0 ||
	    (rc = set_s(ev, "lastTimestamp", now)) < 0 || (rc = doc_set(ev, "source", src)) < 0)
		goto out;
	src = NULL;
	if ((rc = set_s(ev, "reportingComponent", component ? component : "gitseal")) < 0 ||
	    (rc = set_s(ev, "reportingInstance", host[0] ? host : "unknown")) < 0)
		goto out;
	if ((rc = kube_create(&live, kc, ev, NULL)) < 0)
		goto out;
	ev_remember(kc, key.p, ns, name, 1);
out:
	free(cached_name);
	doc_free(ev);
	doc_free(meta);
	doc_free(io);
	doc_free(src);
	doc_free(patch);
	doc_free(live);
	buf_release(&key);
	return rc;
}

/* ---- leases ---- */

static int lease_spec(struct doc *spec, const struct kube_lease *l, int take, long long transitions)
{
	char now[32];
	int rc;
	kube__micro_time(now);
	if ((rc = doc_set(spec, "holderIdentity", doc_new_strz(l->holder))) < 0 ||
	    (rc = doc_set(spec, "leaseDurationSeconds",
	                  doc_new_int(l->lease_duration_seconds > 0 ? l->lease_duration_seconds
	                                                            : 15))) < 0 ||
	    (rc = doc_set(spec, "renewTime", doc_new_strz(now))) < 0)
		return rc;
	if (take && ((rc = doc_set(spec, "acquireTime", doc_new_strz(now))) < 0 ||
	             (rc = doc_set(spec, "leaseTransitions", doc_new_int(transitions))) < 0))
		return rc;
	return 0;
}

int kube_lease_acquire(struct kube_client *kc, const struct kube_lease *l, int *leader)
{
	struct doc *lease = NULL, *out = NULL, *spec;
	const char *holder;
	long long dur = 0, transitions = 0;
	time_t renew;
	int rc;

	*leader = 0;
	if (!l->name || !l->holder || !*l->holder)
		return gs_error(GS_EINVAL, "lease: name and holder identity are required");
	rc = kube_get(&lease, kc, "coordination.k8s.io/v1", "Lease", l->ns, l->name);
	if (rc == GS_ENOTFOUND) {
		struct doc *meta = NULL;
		if (!(lease = doc_new_map()) || !(spec = doc_new_map()) ||
		    doc_set(lease, "apiVersion", doc_new_strz("coordination.k8s.io/v1")) < 0 ||
		    doc_set(lease, "kind", doc_new_strz("Lease")) < 0 || !(meta = doc_new_map()) ||
		    doc_set(meta, "name", doc_new_strz(l->name)) < 0 ||
		    (l->ns && doc_set(meta, "namespace", doc_new_strz(l->ns)) < 0) ||
		    doc_set(lease, "metadata", meta) < 0 || doc_set(lease, "spec", spec) < 0 ||
		    lease_spec(spec, l, 1, 0) < 0) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		rc = kube_create(&out, kc, lease, NULL);
		if (rc == GS_ECONFLICT) /* another replica created it first */
			rc = 0;
		else if (rc == 0)
			*leader = 1;
		goto out;
	}
	if (rc < 0)
		goto out;
	spec = doc_get(lease, "spec");
	if (!spec) {
		if ((rc = doc_set(lease, "spec", doc_new_map())) < 0)
			goto out;
		spec = doc_get(lease, "spec");
	}
	holder = doc_str(doc_get(spec, "holderIdentity"));
	doc_get_int(doc_get(spec, "leaseDurationSeconds"), &dur);
	doc_get_int(doc_get(spec, "leaseTransitions"), &transitions);
	renew = kube__parse_time(doc_str(doc_get(spec, "renewTime")));
	if (holder && !strcmp(holder, l->holder)) {
		rc = lease_spec(spec, l, 0, 0); /* renew */
	} else if (!holder || !*holder || renew == (time_t)-1 ||
	           renew + (dur > 0 ? dur : 15) < time(NULL)) {
		rc = lease_spec(spec, l, 1, transitions + 1); /* free or expired: take it over */
	} else {
		rc = 0; /* someone else holds it */
		goto out;
	}
	if (rc < 0)
		goto out;
	/* the PUT carries metadata.resourceVersion: if another replica wrote first we get 409 */
	rc = kube_update(&out, kc, lease, NULL);
	if (rc == GS_ECONFLICT)
		rc = 0;
	else if (rc == 0)
		*leader = 1;
out:
	doc_free(lease);
	doc_free(out);
	return rc;
}

int kube_lease_release(struct kube_client *kc, const struct kube_lease *l)
{
	struct doc *lease = NULL, *out = NULL, *spec;
	const char *holder;
	char now[32];
	int rc;

	if ((rc = kube_get(&lease, kc, "coordination.k8s.io/v1", "Lease", l->ns, l->name)) < 0)
		return rc == GS_ENOTFOUND ? 0 : rc;
	spec = doc_get(lease, "spec");
	holder = doc_str(doc_get(spec, "holderIdentity"));
	if (!holder || strcmp(holder, l->holder))
		goto out;
	kube__micro_time(now);
	if ((rc = doc_set(spec, "holderIdentity", doc_new_strz(""))) < 0 ||
	    (rc = doc_set(spec, "leaseDurationSeconds", doc_new_int(1))) < 0 ||
	    (rc = doc_set(spec, "renewTime", doc_new_strz(now))) < 0)
		goto out;
	rc = kube_update(&out, kc, lease, NULL);
	if (rc == GS_ECONFLICT)
		rc = 0;
out:
	doc_free(lease);
	doc_free(out);
	return rc;
}
