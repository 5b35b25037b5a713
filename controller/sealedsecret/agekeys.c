/*
 * The cluster's age identities (keys/keys.h "the cluster's age identities"): every replica
 * watches the Secrets labelled gitseal.dev/age-identity=active in the controller's namespace
 * and holds them in a keys_age_ring that main.c hands to every reconciler (a SOPS file
 * encrypted to the cluster is opened with them, only into the namespace it names). The leader
 * makes a new identity when there is none (first start), when the newest is older than
 * --key-renew-period (the RSA keys' schedule) and on SIGUSR1, on a thread of its own: the API
 * call must not hold up the Lease. Old identities stay for decryption until `gitseal keys
 * retire` deletes their Secret, and the watch forgets a deleted one at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/log.h"
#include "keys/keys.h"
#include "kube/kube.h"

struct ss_age {
	struct keys_age_ring *ring;
	int own; /* made here (no ring from main.c) */
	struct rt_informer *inf;
	pthread_mutex_t mu; /* what follows */
	int synced;
	int gen_running, gen_joinable;
	pthread_t gen_th;
	time_t next_try;
};

int ss_age_new(struct ss_controller *c, struct keys_age_ring *ring)
{
	struct ss_age *a = calloc(1, sizeof(*a));
	int rc;
	if (!a)
		return gs_error(GS_ENOMEM, "out of memory");
	if (!ring) {
		if ((rc = keys_age_ring_new(&ring)) < 0) {
			free(a);
			return rc;
		}
		a->own = 1;
	}
	a->ring = ring;
	pthread_mutex_init(&a->mu, NULL);
	if (c->age)
		ss_age_free(c);
	c->age = a;
	return 0;
}

struct keys_age_ring *ss_age_ring(struct ss_controller *c)
{
	return c->age ? c->age->ring : NULL;
}

static void load(struct ss_controller *c, const struct doc *obj)
{
	const char *name = doc_k8s_name(obj);
	int rc = keys_age_ring_add_secret(c->age->ring, obj, -1);
	if (rc < 0) {
		gs_err("skipping bad age identity secret", "namespace=%s name=%s error=\"%s\"",
		       c->o->namespace, name ? name : "", gs_error_last());
		gs_error_clear();
	} else if (rc > 0) {
		gs_info("age identity loaded", "namespace=%s name=%s", c->o->namespace,
		        name ? name : "");
	}
}

static void on_add(void *ctx, const struct doc *obj, int listed)
{
	(void)listed;
	load(ctx, obj);
}

static void on_update(void *ctx, const struct doc *obj, const struct rt_meta *old, int listed)
{
	(void)old;
	(void)listed;
	load(ctx, obj);
}

/* Deleted (gitseal keys retire), or relabelled away: forget it now. */
static void on_delete(void *ctx, const struct rt_meta *gone, const struct doc *last)
{
	struct ss_controller *c = ctx;
	(void)last;
	if (keys_age_ring_remove(c->age->ring, gone->name) > 0)
		gs_info("age identity removed", "namespace=%s name=%s", gone->ns, gone->name);
}

static void on_synced(void *ctx, int first)
{
	struct ss_controller *c = ctx;
	pthread_mutex_lock(&c->age->mu);
	if (first && !c->age->synced)
		gs_info("age identities loaded", "namespace=%s count=%zu", c->o->namespace,
		        keys_age_ring_count(c->age->ring));
	c->age->synced = 1;
	pthread_mutex_unlock(&c->age->mu);
}

int ss_age_start(struct ss_controller *c)
{
	struct rt_informer_opts io = { 0 };
	int rc;
	if (!c->age && (rc = ss_age_new(c, NULL)) < 0)
		return rc;
	io.api_version = "v1";
	io.kind = "Secret";
	io.ns = c->o->namespace;
	io.label_selector = KEYS_AGE_LABEL "=active";
	io.on_add = on_add;
	io.on_update = on_update;
	io.on_delete = on_delete;
	io.on_synced = on_synced;
	io.ctx = c;
	io.what = "age identity secrets";
	return rt_informer_start(&c->age->inf, c->rt, &io);
}

static void *gen_main(void *arg)
{
	struct ss_controller *c = arg;
	struct ss_age *a = c->age;
	struct doc *sec = NULL, *created = NULL;
	struct buf rcpt = BUF_INIT(256);
	int rc;

	if ((rc = keys_age_secret_new(&sec, &rcpt, c->o->namespace, NULL)) >= 0 &&
	    (rc = kube_create(&created, c->kc, sec, NULL)) >= 0 &&
	    (rc = keys_age_ring_add_secret(a->ring, created, -1)) >= 0)
		gs_info("new age identity generated", "namespace=%s name=%s recipient=%s",
		        c->o->namespace, doc_k8s_name(created) ? doc_k8s_name(created) : "",
		        rcpt.p);
	else
		gs_err("age identity generation failed", "error=\"%s\"", gs_error_last());
	gs_error_clear();
	doc_free(sec);
	doc_free(created);
	buf_release(&rcpt);
	pthread_mutex_lock(&a->mu);
	a->gen_running = 0;
	if (rc < 0)
		a->next_try = time(NULL) + 30;
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

void ss_age_tick(struct ss_controller *c, int force)
{
	struct ss_age *a = c->age;
	const struct ctl_opts *o = c->o;
	struct buf r = BUF_INIT(256);
	time_t now = time(NULL), newest = 0;
	const char *why = NULL;
	int have;

	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	if (a->gen_joinable && !a->gen_running) {
		pthread_join(a->gen_th, NULL);
		a->gen_joinable = 0;
	}
	if (!a->synced || a->gen_running) {
		pthread_mutex_unlock(&a->mu);
		return;
	}
	have = keys_age_ring_newest(a->ring, &r, &newest) >= 0;
	gs_error_clear();
	if (force)
		why = "signal";
	else if (!have)
		why = "no age identity";
	else if (o->key_renew_period > 0 && (double)(now - newest) >= o->key_renew_period)
		why = "key-renew-period";
	if (why && (force || now >= a->next_try)) {
		gs_info("age identity generation due", "reason=%s", why);
		a->gen_running = 1;
		if (pthread_create(&a->gen_th, NULL, gen_main, c)) {
			a->gen_running = 0;
			gs_err("cannot start the age identity thread", "%s", "");
		} else {
			a->gen_joinable = 1;
		}
	}
	pthread_mutex_unlock(&a->mu);
	buf_release(&r);
}

void ss_age_stop(struct ss_controller *c)
{
	struct ss_age *a = c->age;
	if (!a)
		return;
	rt_informer_stop(a->inf);
	a->inf = NULL;
	pthread_mutex_lock(&a->mu);
	if (a->gen_joinable) {
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->gen_th, NULL);
		pthread_mutex_lock(&a->mu);
		a->gen_joinable = 0;
	}
	pthread_mutex_unlock(&a->mu);
}

void ss_age_free(struct ss_controller *c)
{
	struct ss_age *a = c->age;
	if (!a)
		return;
	ss_age_stop(c);
	if (a->own)
		keys_age_ring_free(a->ring);
	pthread_mutex_destroy(&a->mu);
	free(a);
	c->age = NULL;
}
