/*
 * Sealing keys in the cluster: every `kubernetes.io/tls` Secret labelled
 * sealedsecrets.bitnami.com/sealed-secrets-key=active in the controller's
 * namespace (upstream's, unchanged), plus the pre-0.9 Secret named exactly
 * --key-prefix. Every replica watches them, so a key the leader makes is
 * served by all of them. Only the leader generates (first key, renewal,
 * --key-cutoff-time, SIGUSR1), on its own thread: RSA-4096 generation takes
 * seconds and /healthz must answer meanwhile.
 */
#include "controller/ctl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "keys/keys.h"
#include "kube/kube.h"

struct ctl_keys {
	struct ctl_state *st;
	struct kube_watch *w;
	struct kube_client *wkc; /* the watch's own client */
	pthread_t th;
	pthread_mutex_t mu;
	int synced;
	int gen_running;
	pthread_t gen_th;
	int gen_joinable;
	time_t next_try;
	int cutoff_checked;
	struct ctl_loop *loop;
};

size_t ctl_keys_count(struct ctl_state *st)
{
	size_t n;
	pthread_rwlock_rdlock(&st->keys_lock);
	n = st->ring->n;
	pthread_rwlock_unlock(&st->keys_lock);
	return n;
}

static void keys_added(struct ctl_keys *k)
{
	/* under k->mu: ctl_keys_set_loop(NULL) waits for this before the loop goes away */
	pthread_mutex_lock(&k->mu);
	ctl_loop_keys_changed(k->loop);
	pthread_mutex_unlock(&k->mu);
}

/* A key Secret: add it (a bad one is logged and skipped, never fatal: upstream panics). */
static void load_secret(struct ctl_keys *k, const struct doc *obj)
{
	const char *name = doc_k8s_name(obj);
	int rc;

	pthread_rwlock_wrlock(&k->st->keys_lock);
	rc = keys_ring_add_secret(k->st->ring, obj, name ? name : "key secret");
	pthread_rwlock_unlock(&k->st->keys_lock);
	if (rc < 0) {
		gs_err("skipping bad key secret", "namespace=%s name=%s error=\"%s\"", k->st->opts->namespace,
		       name ? name : "", gs_error_last());
		gs_error_clear();
	} else if (rc > 0) {
		gs_info("key loaded", "namespace=%s name=%s", k->st->opts->namespace, name ? name : "");
		keys_added(k);
	}
}

static int watch_cb(void *ctx, enum kube_event_type type, const struct doc *obj)
{
	struct ctl_keys *k = ctx;
	if (k->st->stopping)
		return 1;
	switch (type) {
	case KUBE_EVENT_LISTED:
	case KUBE_EVENT_ADDED:
	case KUBE_EVENT_MODIFIED:
		load_secret(k, obj);
		break;
	case KUBE_EVENT_SYNCED:
		pthread_mutex_lock(&k->mu);
		if (!k->synced)
			gs_info("keys loaded", "namespace=%s count=%zu", k->st->opts->namespace, ctl_keys_count(k->st));
		k->synced = 1;
		pthread_mutex_unlock(&k->mu);
		break;
	default: /* a key removed or relabelled stays loaded until restart, as upstream */
		break;
	}
	return 0;
}

static void *watch_main(void *arg)
{
	struct ctl_keys *k = arg;
	while (!k->st->stopping) {
		int rc = kube_watch_run(k->w, watch_cb, k);
		if (k->st->stopping)
			break;
		gs_err("key watch ended, restarting", "rc=%d error=\"%s\"", rc, gs_error_last());
		sleep(2);
	}
	return NULL;
}

int ctl_keys_start(struct ctl_keys **out, struct ctl_state *st)
{
	struct ctl_keys *k = calloc(1, sizeof(*k));
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct doc *legacy = NULL;
	int rc;

	*out = NULL;
	if (!k)
		return gs_error(GS_ENOMEM, "out of memory");
	k->st = st;
	pthread_mutex_init(&k->mu, NULL);
	/* the pre-0.9 single key, whatever its labels */
	if (kube_get(&legacy, st->kc, "v1", "Secret", st->opts->namespace, st->opts->key_prefix) >= 0) {
		load_secret(k, legacy);
		doc_free(legacy);
	}
	gs_error_clear();
	wo.label_selector = KEYS_LABEL "=active";
	if ((rc = ctl_client_new(st, &k->wkc, 1)) < 0) {
		free(k);
		return rc;
	}
	if ((rc = kube_watch_new(&k->w, k->wkc, "v1", "Secret", st->opts->namespace, &wo)) < 0) {
		kube_client_free(k->wkc);
		free(k);
		return rc;
	}
	if (pthread_create(&k->th, NULL, watch_main, k)) {
		kube_watch_free(k->w);
		kube_client_free(k->wkc);
		free(k);
		return gs_error(GS_ERROR, "cannot start a thread");
	}
	*out = k;
	return 0;
}

int ctl_keys_synced(struct ctl_keys *k)
{
	int s;
	pthread_mutex_lock(&k->mu);
	s = k->synced;
	pthread_mutex_unlock(&k->mu);
	return s;
}

void ctl_keys_set_loop(struct ctl_keys *k, struct ctl_loop *l)
{
	pthread_mutex_lock(&k->mu);
	k->loop = l;
	pthread_mutex_unlock(&k->mu);
}

static int add_kv(struct doc *obj, const char *field, const char *list, const char *flag)
{
	struct doc *m = NULL, *meta = doc_get(obj, "metadata"), *dst;
	size_t i;
	int rc;

	if (!list || !*list)
		return 0;
	if ((rc = ctl_parse_kv_list(&m, list, flag)) < 0)
		return rc;
	if (!(dst = doc_get(meta, field))) {
		rc = doc_set(meta, field, m);
		return rc;
	}
	for (i = 0; rc >= 0 && i < doc_len(m); i++) {
		size_t kl = 0;
		const char *key = doc_text(doc_key_at(m, i), &kl);
		rc = doc_setn(dst, key, kl, doc_clone(doc_val_at(m, i)));
	}
	doc_free(m);
	return rc;
}

static void *gen_main(void *arg)
{
	struct ctl_keys *k = arg;
	struct ctl_state *st = k->st;
	struct keys_gen_opts go = KEYS_GEN_OPTS_INIT;
	struct keys_secret_opts so = KEYS_SECRET_OPTS_INIT;
	struct keys_pair pair;
	struct doc *sec = NULL, *created = NULL;
	const char *name;
	time_t newest;
	int rc, i;

	keys_pair_init(&pair);
	go.bits = st->opts->key_size;
	go.ttl = (time_t)st->opts->key_ttl;
	go.cn = st->opts->my_cn;
	so.generate_name = st->opts->key_prefix;
	so.namespace = st->opts->namespace;
	gs_info("generating a new key", "bits=%d", go.bits);
	/* NotBefore and creationTimestamp have one-second resolution and order the ring: a key made
	 * in the same second as the newest one would tie and lose to it, never to be served */
	pthread_rwlock_rdlock(&st->keys_lock);
	newest = st->ring->n ? keys_ring_newest(st->ring)->order : 0;
	pthread_rwlock_unlock(&st->keys_lock);
	for (i = 0; i < 40 && time(NULL) <= newest; i++) /* at most 2 s: a clock ahead of ours is not waited out */
		usleep(50 * 1000);
	if ((rc = keys_generate(&pair, &go)) < 0 || (rc = keys_pair_secret(&sec, &pair, &so)) < 0 ||
	    (rc = add_kv(sec, "labels", st->opts->privatekey_labels, "privatekey-labels")) < 0 ||
	    (rc = add_kv(sec, "annotations", st->opts->privatekey_annotations, "privatekey-annotations")) < 0 ||
	    (rc = kube_create(&created, st->kc, sec, NULL)) < 0)
		goto out;
	name = doc_k8s_name(created);
	pthread_rwlock_wrlock(&st->keys_lock);
	rc = keys_ring_add_pair(st->ring, &pair, name ? name : "new key");
	pthread_rwlock_unlock(&st->keys_lock);
	if (rc < 0)
		goto out;
	gs_info("new key generated", "namespace=%s name=%s", st->opts->namespace, name ? name : "");
	keys_added(k);
out:
	if (rc < 0)
		gs_err("key generation failed", "error=\"%s\"", gs_error_last());
	keys_pair_release(&pair);
	doc_free(sec);
	doc_free(created);
	pthread_mutex_lock(&k->mu);
	k->gen_running = 0;
	if (rc < 0)
		k->next_try = time(NULL) + 30;
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

void ctl_keys_tick(struct ctl_keys *k, int force)
{
	const struct ctl_opts *o = k->st->opts;
	time_t now = time(NULL), newest = 0;
	const char *why = NULL;
	size_t n;

	pthread_mutex_lock(&k->mu);
	if (k->gen_joinable && !k->gen_running) {
		pthread_join(k->gen_th, NULL);
		k->gen_joinable = 0;
	}
	if (!k->synced || k->gen_running) {
		if (force)
			gs_info("key generation already running or keys not loaded yet", "%s", "");
		pthread_mutex_unlock(&k->mu);
		return;
	}
	pthread_rwlock_rdlock(&k->st->keys_lock);
	n = k->st->ring->n;
	if (n)
		newest = keys_ring_newest(k->st->ring)->order;
	pthread_rwlock_unlock(&k->st->keys_lock);
	if (force)
		why = "signal";
	else if (!n)
		why = "no key";
	else if (!k->cutoff_checked && o->key_cutoff_time && newest < o->key_cutoff_time)
		why = "key-cutoff-time";
	else if (o->key_renew_period > 0 && (double)(now - newest) >= o->key_renew_period)
		why = "key-renew-period";
	k->cutoff_checked = 1;
	if (why && (force || now >= k->next_try)) {
		gs_info("key generation due", "reason=%s", why);
		k->gen_running = 1;
		if (pthread_create(&k->gen_th, NULL, gen_main, k)) {
			k->gen_running = 0;
			gs_err("cannot start the key generation thread", "%s", "");
		} else {
			k->gen_joinable = 1;
		}
	}
	pthread_mutex_unlock(&k->mu);
}

void ctl_keys_stop(struct ctl_keys *k)
{
	if (!k)
		return;
	kube_watch_stop(k->w);
	pthread_join(k->th, NULL);
	pthread_mutex_lock(&k->mu);
	if (k->gen_joinable) {
		pthread_mutex_unlock(&k->mu);
		pthread_join(k->gen_th, NULL);
	} else {
		pthread_mutex_unlock(&k->mu);
	}
	kube_watch_free(k->w);
	kube_client_free(k->wkc);
	pthread_mutex_destroy(&k->mu);
	free(k);
}
