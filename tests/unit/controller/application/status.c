/* controller/application/status.c: the status an Application gets (the contract `gitseal get
 * apps` reads): Ready from the last run and the health, sync with drift, history kept to 10,
 * lastTransitionTime kept while a condition does not flip. And webhook.c's URL matching. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "controller/application/application_int.h"

static const char *cond(const struct doc *st, const char *type, const char *field)
{
	const struct doc *c = doc_get(st, "conditions");
	size_t i;
	for (i = 0; i < doc_len(c); i++)
		if (!strcmp(doc_str(doc_get(doc_val_at(c, i), "type")), type))
			return doc_str(doc_get(doc_val_at(c, i), field));
	return NULL;
}

static void last_ok(struct app_last *l)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->sync, sizeof(l->sync), "Synced");
	snprintf(l->revision, sizeof(l->revision), "%040d", 1);
	snprintf(l->attempted, sizeof(l->attempted), "%040d", 1);
	snprintf(l->ref, sizeof(l->ref), "refs/heads/main");
}

void test_ctl_application_status__ready_from_health(void)
{
	struct app_last l;
	struct apply_health h = { APPLY_HEALTHY, "" };
	struct app_status_in in;
	struct doc *st = NULL;
	int ready = -2;

	last_ok(&l);
	memset(&in, 0, sizeof(in));
	in.generation = 4;
	in.last = &l;
	in.health = &h;
	in.now = 1000;
	must_pass(app__status_build(&st, NULL, &in, &ready));
	assert_int(ready, 1);
	assert_str(cond(st, "Ready", "status"), "True");
	assert_str(cond(st, "Ready", "reason"), "ReconciliationSucceeded");
	assert_contains(cond(st, "Ready", "message"),
	                "Applied revision: refs/heads/main@sha1:0000");
	assert_str(cond(st, "Reconciling", "status"), "False");
	assert_str(cond(st, "Stalled", "status"), "False");
	assert_str(doc_str(doc_getp(st, "sync", "status", NULL)), "Synced");
	assert_str(doc_str(doc_getp(st, "health", "status", NULL)), "Healthy");
	assert_true(doc_getp(st, "health", "message", NULL) == NULL);
	doc_free(st);

	h.status = APPLY_PROGRESSING;
	snprintf(h.message, sizeof(h.message), "Deployment prod/web: 0 of 1 replicas available");
	must_pass(app__status_build(&st, NULL, &in, &ready));
	assert_int(ready, -1);
	assert_str(cond(st, "Ready", "status"), "Unknown");
	assert_str(cond(st, "Ready", "reason"), "Progressing");
	assert_str(cond(st, "Ready", "message"),
	           "waiting for: Deployment prod/web: 0 of 1 replicas available");
	assert_str(cond(st, "Reconciling", "status"), "True");
	doc_free(st);

	in.health_timeout = 1;
	must_pass(app__status_build(&st, NULL, &in, &ready));
	assert_int(ready, 0);
	assert_str(cond(st, "Ready", "reason"), "HealthCheckFailed");
	assert_contains(cond(st, "Ready", "message"), "timeout waiting for: Deployment prod/web");
	doc_free(st);

	in.health_timeout = 0;
	h.status = APPLY_DEGRADED;
	must_pass(app__status_build(&st, NULL, &in, &ready));
	assert_str(cond(st, "Ready", "reason"), "HealthCheckFailed");
	assert_str(doc_str(doc_getp(st, "health", "status", NULL)), "Degraded");
	doc_free(st);
}

void test_ctl_application_status__failures_and_drift(void)
{
	struct app_last l;
	struct apply_health h = { APPLY_HEALTHY, "" };
	struct app_status_in in;
	struct doc *st = NULL;
	int ready;

	last_ok(&l);
	memset(&in, 0, sizeof(in));
	in.last = &l;
	in.health = &h;
	in.drift = "ConfigMap prod/cfg (.data.mode)";
	in.ndrift = 1;
	must_pass(app__status_build(&st, NULL, &in, &ready));
	assert_int(ready, 1); /* drift is the sync status's, not Ready's */
	assert_str(doc_str(doc_getp(st, "sync", "status", NULL)), "OutOfSync");
	assert_str(doc_str(doc_getp(st, "sync", "message", NULL)),
	           "1 object differs: ConfigMap prod/cfg (.data.mode)");
	doc_free(st);

	app__last_fail(&l, "BuildFailed", "apps/web/cm.yaml:5:1: did not find expected ','", 0);
	snprintf(l.sync, sizeof(l.sync), "Unknown");
	must_pass(app__status_build(&st, NULL, &in, &ready));
	assert_int(ready, 0);
	assert_str(cond(st, "Ready", "reason"), "BuildFailed");
	assert_contains(cond(st, "Ready", "message"), "apps/web/cm.yaml:5:1");
	assert_str(cond(st, "Reconciling", "reason"), "ProgressingWithRetry");
	assert_str(cond(st, "Stalled", "status"), "False");
	assert_str(doc_str(doc_getp(st, "sync", "status", NULL)), "Unknown");
	doc_free(st);

	app__last_fail(&l, "InvalidSpec", "spec.project: only the project \"default\" exists", 1);
	must_pass(app__status_build(&st, NULL, &in, &ready));
	assert_str(cond(st, "Stalled", "status"), "True");
	assert_str(cond(st, "Stalled", "reason"), "InvalidSpec");
	assert_str(cond(st, "Reconciling", "status"), "False");
	doc_free(st);
	app__last_release(&l);
}

void test_ctl_application_status__history_inventory_transitions(void)
{
	struct app_last l;
	struct apply_health h = { APPLY_HEALTHY, "" };
	struct app_status_in in;
	struct app_hist hist;
	struct inventory inv = INVENTORY_INIT;
	struct doc *st = NULL, *cur = NULL;
	int ready, i;

	last_ok(&l);
	memset(&in, 0, sizeof(in));
	memset(&hist, 0, sizeof(hist));
	in.last = &l;
	in.health = &h;
	in.now = 1000;
	in.hist = &hist;
	in.inv = &inv;
	in.requested = "2026-12-04T10:00:00Z";
	hist.revision = l.revision;
	hist.duration = 1.25;
	hist.message = "applied";
	must_pass(inventory_add(&inv, "prod", "web", "apps", "Deployment", "v1"));
	inventory_sort(&inv);
	/* twelve syncs: ten kept, newest first */
	for (i = 0; i < 12; i++) {
		hist.created = (size_t)i;
		hist.started = 1000 + i;
		in.now = 1000 + i;
		must_pass(app__status_build(&st, cur, &in, &ready));
		doc_free(cur);
		cur = st;
		st = NULL;
	}
	assert_int(doc_len(doc_get(cur, "history")), 10);
	assert_str(doc_text(doc_get(doc_val_at(doc_get(cur, "history"), 0), "created"), NULL),
	           "11");
	assert_str(doc_str(doc_get(doc_val_at(doc_get(cur, "history"), 0), "duration")), "1.2s");
	assert_str(doc_str(doc_get(doc_val_at(doc_get(cur, "history"), 0), "startedAt")),
	           "1970-01-01T00:16:51Z");
	/* Ready stayed True the whole time: its lastTransitionTime is the first one */
	assert_str(cond(cur, "Ready", "lastTransitionTime"), "1970-01-01T00:16:40Z");
	assert_str(
	    doc_str(doc_getp(cur, "inventory", "entries", NULL)
	                ? doc_get(doc_val_at(doc_getp(cur, "inventory", "entries", NULL), 0), "id")
	                : NULL),
	    "prod_web_apps_Deployment");
	assert_str(doc_str(doc_get(cur, "lastHandledReconcileAt")), "2026-12-04T10:00:00Z");
	/* a status-only update keeps inventory, history and the handled request */
	in.inv = NULL;
	in.hist = NULL;
	in.requested = NULL;
	h.status = APPLY_DEGRADED;
	in.now = 2000;
	must_pass(app__status_build(&st, cur, &in, &ready));
	assert_int(doc_len(doc_get(st, "history")), 10);
	assert_int(doc_len(doc_getp(st, "inventory", "entries", NULL)), 1);
	assert_str(doc_str(doc_get(st, "lastHandledReconcileAt")), "2026-12-04T10:00:00Z");
	assert_str(cond(st, "Ready", "lastTransitionTime"), "1970-01-01T00:33:20Z");
	doc_free(st);
	doc_free(cur);
	inventory_release(&inv);
}

void test_ctl_application_status__webhook_url_matching(void)
{
	static const char *const same[] = {
		"https://github.com/Org/Repo.git",      "https://github.com/Org/Repo",
		"git@github.com:Org/Repo.git",          "ssh://git@github.com:22/Org/Repo.git",
		"https://user:pw@GitHub.com/Org/Repo/", "git://github.com/Org/Repo",
	};
	struct buf a = BUF_INIT(4096), b = BUF_INIT(4096);
	size_t i;
	must_pass(app__url_match(&a, same[0]));
	assert_str(a.p, "github.com/Org/Repo");
	for (i = 1; i < sizeof(same) / sizeof(same[0]); i++) {
		must_pass(app__url_match(&b, same[i]));
		if (strcmp(a.p, b.p))
			fail_("%s -> %s, expected %s", same[i], b.p, a.p);
	}
	must_pass(app__url_match(&b, "https://github.com/Org/Other.git"));
	assert_true(strcmp(a.p, b.p) != 0);
	must_pass(app__url_match(&b, "git://127.0.0.1:9418/cfg.git"));
	assert_str(b.p, "127.0.0.1/cfg");
	buf_release(&a);
	buf_release(&b);
}
