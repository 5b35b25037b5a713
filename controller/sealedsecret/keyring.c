/*
 * Sealing keys in the cluster: every `kubernetes.io/tls` Secret labelled
 * sealedsecrets.bitnami.com/sealed-secrets-key=active in the controller's
 * namespace (upstream's, unchanged), plus the pre-0.9 Secret named exactly
 * --key-prefix. Every replica watches them (an informer), so a key the leader
 * makes is served by all of them. Only the leader generates (first key,
 * renewal, --key-cutoff-time, SIGUSR1), on its own thread: RSA-4096 generation
 * takes seconds and /healthz must answer meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/log.h"
#include "kube/kube.h"
#include "sealer/sealed/sealed.h"

int ss_keys_init(struct ss_keys *k, struct ss_controller *c)
{
	memset(k, 0, sizeof(*k));
	k->c = c;
	keys_ring_init(&k->ring);
	k->ring.by_creation = !strcmp(c->o->key_order_priority, "SecretCreationTimestamp");
	pthread_rwlock_init(&k->lock, NULL);
	pthread_mutex_init(&k->mu, NULL);
	if (sem_init(&k->rsa_slots, 0, (unsigned)c->o->workers) < 0)
		return gs_error(GS_ERROR, "cannot make the decryption slots");
	return 0;
}

void ss_keys_release(struct ss_keys *k)
{
	pthread_rwlock_wrlock(&k->lock);
	keys_ring_release(&k->ring);
	pthread_rwlock_unlock(&k->lock);
	pthread_rwlock_destroy(&k->lock);
	pthread_mutex_destroy(&k->mu);
	sem_destroy(&k->rsa_slots);
}

size_t ss_keys_count(struct ss_keys *k)
{
	size_t n;
	pthread_rwlock_rdlock(&k->lock);
	n = k->ring.n;
	pthread_rwlock_unlock(&k->lock);
	return n;
}

/* slot: take one of the unsealing workers' decryption slots (the HTTP side has its own budget) */
static int keys_open(struct ss_keys *k, struct sealed_items *out, const struct doc *ss,
                     size_t *hint, unsigned *ids, int slot)
{
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct sealed_keyset ks;
	int rc;

	uo.accept_v1_data = k->c->o->accept_v1_data;
	uo.what = doc_k8s_name(ss);
	while (slot && sem_wait(&k->rsa_slots) < 0)
		;
	pthread_rwlock_rdlock(&k->lock);
	/* a private keyset over the shared keys: the hint is the caller's */
	ks = k->ring.set;
	ks.used = 0;
	ks.hint = hint && *hint < ks.n ? *hint : 0;
	ks.threads = 1;
	if (!ks.n)
		rc = gs_error(GS_EAUTH, "no key could decrypt secret (no sealing keys loaded)");
	else
		rc = sealed_open(out, ss, &ks, &uo);
	if (hint)
		*hint = ks.hint;
	if (ids) { /* which keys opened it, by id: indexes move when keys come and go */
		size_t b, n = 0;
		memset(ids, 0, SS_KEY_IDS * sizeof(*ids));
		for (b = 0; rc >= 0 && b < ks.n && b < 64 && n < SS_KEY_IDS; b++)
			if (ks.used & (1ULL << b))
				ids[n++] = k->ring.ent[b].id;
	}
	pthread_rwlock_unlock(&k->lock);
	if (slot)
		sem_post(&k->rsa_slots);
	return rc;
}

int ss_keys_open_ids(struct ss_keys *k, struct sealed_items *out, const struct doc *ss,
                     size_t *hint, unsigned *ids)
{
	return keys_open(k, out, ss, hint, ids, 1);
}

int ss_keys_open(struct ss_keys *k, struct sealed_items *out, const struct doc *ss, size_t *hint)
{
	return keys_open(k, out, ss, hint, NULL, 1);
}

int ss_keys_verify(struct ss_keys *k, struct sealed_items *out, const struct doc *ss, size_t *hint)
{
	return keys_open(k, out, ss, hint, NULL, 0);
}

/* A key arrived: the machinery (if this replica runs it) retries what no key could open. */
static void keys_added(struct ss_keys *k)
{
	struct ss_controller *c = k->c;
	/* under c->mu: stopping the machinery waits for this before the loop goes away */
	pthread_mutex_lock(&c->mu);
	ss_loop_keys_changed(c->loop);
	pthread_mutex_unlock(&c->mu);
}

/* A key Secret: add it (a bad one is logged and skipped, never fatal: upstream panics). */
static void load_secret(struct ss_keys *k, const struct doc *obj)
{
	const char *name = doc_k8s_name(obj);
	const char *ns = k->c->o->namespace;
	int rc;

	pthread_rwlock_wrlock(&k->lock);
	rc = keys_ring_add_secret(&k->ring, obj, name ? name : "key secret");
	pthread_rwlock_unlock(&k->lock);
	if (rc < 0) {
		gs_err("skipping bad key secret", "namespace=%s name=%s error=\"%s\"", ns,
		       name ? name : "", gs_error_last());
		gs_error_clear();
	} else if (rc > 0) {
		gs_info("key loaded", "namespace=%s name=%s", ns, name ? name : "");
		keys_added(k);
	}
}

static void on_add(void *ctx, const struct doc *obj, int listed)
{
	(void)listed;
	load_secret(ctx, obj);
}

static void on_update(void *ctx, const struct doc *obj, const struct rt_meta *old, int listed)
{
	(void)old;
	(void)listed;
	load_secret(ctx, obj);
}

/* A key Secret deleted (gitseal keys retire) or relabelled away: the key goes now (upstream
 * keeps it until a restart; a retired key must stop opening anything). */
static void on_delete(void *ctx, const struct rt_meta *gone, const struct doc *last)
{
	struct ss_keys *k = ctx;
	int rc;
	(void)last;
	pthread_rwlock_wrlock(&k->lock);
	rc = keys_ring_remove_secret(&k->ring, gone->name);
	pthread_rwlock_unlock(&k->lock);
	if (rc > 0)
		gs_info("key removed", "namespace=%s name=%s", gone->ns, gone->name);
}

static void on_synced(void *ctx, int first)
{
	struct ss_keys *k = ctx;
	pthread_mutex_lock(&k->mu);
	if (first && !k->synced)
		gs_info("keys loaded", "namespace=%s count=%zu", k->c->o->namespace,
		        ss_keys_count(k));
	k->synced = 1;
	pthread_mutex_unlock(&k->mu);
}

int ss_keys_start(struct ss_keys *k)
{
	struct rt_informer_opts io = { 0 };
	struct ss_controller *c = k->c;
	struct doc *legacy = NULL;

	/* the pre-0.9 single key, whatever its labels */
	if (kube_get(&legacy, c->kc, "v1", "Secret", c->o->namespace, c->o->key_prefix) >= 0) {
		load_secret(k, legacy);
		doc_free(legacy);
	} else if (gs_error_code() != GS_ENOTFOUND) {
		/* the first request of the process: a wrong CA or server is said here, at once */
		gs_err("cannot read the pre-0.9 key secret", "namespace=%s name=%s error=\"%s\"",
		       c->o->namespace, c->o->key_prefix, gs_error_last());
	}
	gs_error_clear();
	io.api_version = "v1";
	io.kind = "Secret";
	io.ns = c->o->namespace;
	io.label_selector = KEYS_LABEL "=active";
	io.on_add = on_add;
	io.on_update = on_update;
	io.on_delete = on_delete;
	io.on_synced = on_synced;
	io.ctx = k;
	io.what = "key secrets";
	return rt_informer_start(&k->inf, c->rt, &io);
}

int ss_keys_synced(struct ss_keys *k)
{
	int s;
	pthread_mutex_lock(&k->mu);
	s = k->synced;
	pthread_mutex_unlock(&k->mu);
	return s;
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
	struct ss_keys *k = arg;
	const struct ctl_opts *o = k->c->o;
	struct keys_gen_opts go = KEYS_GEN_OPTS_INIT;
	struct keys_secret_opts so = KEYS_SECRET_OPTS_INIT;
	struct keys_pair pair;
	struct doc *sec = NULL, *created = NULL;
	const char *name;
	time_t newest;
	int rc, i;

	keys_pair_init(&pair);
	go.bits = o->key_size;
	go.ttl = (time_t)o->key_ttl;
	go.cn = o->my_cn;
	so.generate_name = o->key_prefix;
	so.namespace = o->namespace;
	gs_info("generating a new key", "bits=%d", go.bits);
	/* NotBefore and creationTimestamp have one-second resolution and order the ring: a key made
	 * in the same second as the newest one would tie and lose to it, never to be served */
	pthread_rwlock_rdlock(&k->lock);
	newest = k->ring.n ? keys_ring_newest(&k->ring)->order : 0;
	pthread_rwlock_unlock(&k->lock);
	for (i = 0; i < 40 && time(NULL) <= newest;
	     i++) /* at most 2 s: a clock ahead of ours is not waited out */
		usleep(50 * 1000);
	if ((rc = keys_generate(&pair, &go)) < 0 || (rc = keys_pair_secret(&sec, &pair, &so)) < 0 ||
	    (rc = add_kv(sec, "labels", o->privatekey_labels, "privatekey-labels")) < 0 ||
	    (rc = add_kv(sec, "annotations", o->privatekey_annotations, "privatekey-annotations")) <
	        0 ||
	    (rc = kube_create(&created, k->c->kc, sec, NULL)) < 0)
		goto out;
	name = doc_k8s_name(created);
	pthread_rwlock_wrlock(&k->lock);
	rc = keys_ring_add_pair(&k->ring, &pair, name ? name : "new key");
	pthread_rwlock_unlock(&k->lock);
	if (rc < 0)
		goto out;
	gs_info("new key generated", "namespace=%s name=%s", o->namespace, name ? name : "");
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

void ss_keys_tick(struct ss_keys *k, int force)
{
	const struct ctl_opts *o = k->c->o;
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
	pthread_rwlock_rdlock(&k->lock);
	n = k->ring.n;
	if (n)
		newest = keys_ring_newest(&k->ring)->order;
	pthread_rwlock_unlock(&k->lock);
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

void ss_keys_stop(struct ss_keys *k)
{
	rt_informer_stop(k->inf);
	k->inf = NULL;
	pthread_mutex_lock(&k->mu);
	if (k->gen_joinable) {
		pthread_mutex_unlock(&k->mu);
		pthread_join(k->gen_th, NULL);
		pthread_mutex_lock(&k->mu);
		k->gen_joinable = 0;
	}
	pthread_mutex_unlock(&k->mu);
}
