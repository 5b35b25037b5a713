/*
 * Which sealing keys the SealedSecrets of the cluster still need, so that `gitseal keys list`
 * can show it and `gitseal keys retire` can refuse to delete a key in use.
 *
 * The unsealer learns it for free: every decryption says which keys opened the items
 * (sealed_keyset.used), and the table entry of the SealedSecret keeps their ids (ss_ent.key_ids;
 * ids, not indexes: indexes move as keys come and go). Nothing is written to the cluster for
 * it. A restart does not decrypt what is already right (the source record), so those entries
 * start unknown: once the first sync has caught up, the leader's tick queues "census" jobs for
 * them, a few at a time (--workers), each one opening the SealedSecret once and writing nothing.
 * SealedSecrets no key opens are "unopened": they need a key the controller does not have.
 *
 * Exposed as gitseal_sealing_key_sealedsecrets{fingerprint,name} (and ..._unknown) on the
 * metrics port, and as /v1/keys (keys_http.c) with up to USAGE_NAMES names per key. Only the
 * leader runs the unsealer: a follower answers with "leader": false and no counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/log.h"
#include "keys/keys.h"
#include "kube/kube.h"
#include "sealer/sealed/sealed.h"

#define USAGE_NAMES 50     /* names listed per key in /v1/keys */
#define USAGE_MAX_KEYS 256 /* keys tallied (more are counted as unknown) */

struct ss_usage_metrics {
	struct rt_metric *per_key, *unknown;
	pthread_mutex_t mu;
	char (*fps)[64]; /* the fingerprints with a series now */
	size_t nfps;
};

void ss_usage_init(struct ss_controller *c)
{
	static const char *const labels[] = { "fingerprint", "name", NULL };
	struct ss_usage_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return; /* no metrics then: counting still works */
	m->per_key = rt_metric_new(rt_metrics(c->rt), RT_GAUGE, "gitseal_sealing_key_sealedsecrets",
	                           "SealedSecrets that need each sealing key (leader only).",
	                           labels, NULL, 0);
	m->unknown = rt_metric_new(
	    rt_metrics(c->rt), RT_GAUGE, "gitseal_sealing_key_sealedsecrets_unknown",
	    "SealedSecrets whose sealing keys are not known yet (leader only).", NULL, NULL, 0);
	pthread_mutex_init(&m->mu, NULL);
	c->usage = m;
}

void ss_usage_free(struct ss_controller *c)
{
	if (!c->usage)
		return;
	pthread_mutex_destroy(&c->usage->mu);
	free(c->usage->fps);
	free(c->usage);
	c->usage = NULL;
}

void ss__usage_record(struct ss_ent *e, const struct ss_result *res)
{
	if (res->decrypted) {
		memcpy(e->key_ids, res->key_ids, sizeof(e->key_ids));
		e->key_known = 1;
		e->identify_failed = 0;
	} else if (res->unseal_failed) {
		memset(e->key_ids, 0, sizeof(e->key_ids));
		e->key_known = 0;
	}
	/* skipped: the record matched, so the spec is the one last decrypted: ids unchanged */
}

/* ---- the tally ---------------------------------------------------------------------------- */

struct tally_key {
	unsigned id;
	size_t count;
	struct buf names; /* JSON strings, comma-separated */
	size_t nnames;
};

struct tally {
	struct tally_key k[USAGE_MAX_KEYS];
	size_t nk;
	size_t total, unknown, unopened, names_max;
};

static struct tally_key *tally_key(struct tally *t, unsigned id)
{
	size_t i;
	for (i = 0; i < t->nk; i++)
		if (t->k[i].id == id)
			return &t->k[i];
	if (t->nk == USAGE_MAX_KEYS)
		return NULL;
	t->k[t->nk].id = id;
	buf_init(&t->k[t->nk].names, 1 << 20, 0);
	return &t->k[t->nk++];
}

static void tally_ent(void *ctx, const char *key, void *val)
{
	struct tally *t = ctx;
	struct ss_ent *e = val;
	size_t i;

	t->total++;
	if (!e->key_known) {
		if (e->unseal_failed)
			t->unopened++;
		else
			t->unknown++;
		return;
	}
	for (i = 0; i < SS_KEY_IDS && e->key_ids[i]; i++) {
		struct tally_key *k = tally_key(t, e->key_ids[i]);
		if (!k) {
			t->unknown++;
			continue;
		}
		k->count++;
		if (k->nnames < t->names_max) {
			if (k->nnames)
				buf_addc(&k->names, ',');
			buf_add_json_str(&k->names, key, strlen(key));
			k->nnames++;
		}
	}
}

static void tally_release(struct tally *t)
{
	size_t i;
	for (i = 0; i < t->nk; i++)
		buf_release(&t->k[i].names);
}

/* Count under the locks; 0 when this replica does not run the unsealer (*caught_up then 0). */
static int tally(struct ss_controller *c, struct tally *t, int *caught_up)
{
	struct ss_loop *l;
	int leading = 0;
	memset(t, 0, sizeof(*t));
	t->names_max = USAGE_NAMES;
	*caught_up = 0;
	pthread_mutex_lock(&c->mu); /* c->mu then l->mu, as keys_added() */
	if ((l = c->loop)) {
		leading = 1;
		pthread_mutex_lock(&l->mu);
		rt_map_each(&l->ents, tally_ent, t);
		*caught_up = l->caught_up;
		pthread_mutex_unlock(&l->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return leading;
}

static const struct tally_key *tally_find(const struct tally *t, unsigned id)
{
	size_t i;
	for (i = 0; i < t->nk; i++)
		if (t->k[i].id == id)
			return &t->k[i];
	return NULL;
}

/* ---- the census ----------------------------------------------------------------------------- */

struct census {
	struct ss_loop *l;
	int free_slots;
	int pending;
};

static void census_ent(void *ctx, const char *key, void *val)
{
	struct census *cs = ctx;
	struct ss_ent *e = val;
	struct ss_job *job;
	if (e->key_known || !e->done || e->identify_failed)
		return;
	if (e->identifying) {
		cs->pending++;
		return;
	}
	if (e->queued || e->running)
		return;
	cs->pending++;
	if (cs->free_slots <= 0 || !(job = malloc(sizeof(*job) + 1)))
		return;
	job->kind = SS_JOB_IDENTIFY;
	job->json[0] = '\0';
	e->identifying = 1;
	cs->free_slots--;
	rt_queue_add(cs->l->q, key, job);
}

static void count_identifying(void *ctx, const char *key, void *val)
{
	struct census *cs = ctx;
	struct ss_ent *e = val;
	(void)key;
	if (e->identifying)
		cs->free_slots--;
}

static void update_metrics(struct ss_controller *c, const struct tally *t, int leading)
{
	struct ss_usage_metrics *m = c->usage;
	char(*fps)[64] = NULL;
	size_t i, j, n = 0;

	if (!m)
		return;
	pthread_rwlock_rdlock(&c->keys.lock);
	if (c->keys.ring.n)
		fps = calloc(c->keys.ring.n, sizeof(*fps));
	for (i = 0; fps && leading && i < c->keys.ring.n; i++) {
		const struct keys_entry *e = &c->keys.ring.ent[i];
		const struct tally_key *k = tally_find(t, e->id);
		struct buf fp = BUF_INIT(128);
		struct sealed_pubkey *pk = NULL;
		const char *v[2];
		if (!e->cert && sealed_privkey_pubkey(&pk, e->key) < 0) {
			gs_error_clear();
			continue;
		}
		if (sealed_pubkey_fingerprint(&fp, e->cert ? e->cert : pk) >= 0) {
			v[0] = fp.p;
			v[1] = e->secret ? e->secret : e->name;
			rt_metric_set(m->per_key, v, k ? (double)k->count : 0);
			snprintf(fps[n++], 64, "%s", fp.p);
		}
		gs_error_clear();
		sealed_pubkey_free(pk);
		buf_release(&fp);
	}
	pthread_rwlock_unlock(&c->keys.lock);
	pthread_mutex_lock(&m->mu);
	for (i = 0; i < m->nfps; i++) { /* keys gone (retired), or no longer leading */
		for (j = 0; j < n && strcmp(m->fps[i], fps[j]); j++)
			;
		if (j == n) {
			const char *v[2] = { m->fps[i], NULL };
			rt_metric_del(m->per_key, v);
		}
	}
	free(m->fps);
	m->fps = fps;
	m->nfps = n;
	if (leading)
		rt_metric_set(m->unknown, NULL, (double)t->unknown);
	pthread_mutex_unlock(&m->mu);
}

long ss_usage_tick(struct ss_controller *c, struct ss_loop *l)
{
	struct census cs = { l, 0, 0 };
	struct tally t;
	int caught_up, leading = tally(c, &t, &caught_up);

	update_metrics(c, &t, leading);
	tally_release(&t);
	if (!l)
		return 0;
	pthread_mutex_lock(&l->mu);
	if (l->caught_up && !l->stop) {
		cs.free_slots = c->o->workers;
		rt_map_each(&l->ents, count_identifying, &cs);
		rt_map_each(&l->ents, census_ent, &cs);
	}
	pthread_mutex_unlock(&l->mu);
	return cs.pending ? 1000 : 0;
}

enum rt_result ss__identify(struct ss_loop *l, int worker, const char *key)
{
	struct ss_controller *c = l->c;
	struct sealed_items items = SEALED_ITEMS_INIT;
	unsigned ids[SS_KEY_IDS] = { 0 };
	struct doc *ss = NULL;
	struct ss_ent *e;
	char *copy = strdup(key);
	const char *ns, *name;
	int rc = -1;

	if (!copy)
		return RT_RETRY;
	pthread_mutex_lock(&l->mu);
	if ((e = rt_map_get(&l->ents, key)))
		e->running = 1;
	pthread_mutex_unlock(&l->mu);
	if (!e) {
		free(copy);
		return RT_DONE;
	}
	rt_key_split(key, copy, &ns, &name);
	if (kube_get(&ss, c->kc, SEALED_API_VERSION, "SealedSecret", ns, name) >= 0)
		rc = ss_keys_open_ids(&c->keys, &items, ss, &l->hints[worker], ids);
	if (rc < 0)
		gs_debug("census: keys not found", "namespace=%s name=%s error=\"%s\"", ns, name,
		         gs_error_last());
	gs_error_clear();
	sealed_items_release(&items);
	doc_free(ss);
	pthread_mutex_lock(&l->mu);
	e->running = 0;
	if (e->orphan) {
		free(e);
	} else if (rc >= 0) {
		memcpy(e->key_ids, ids, sizeof(ids));
		e->key_known = 1;
	} else {
		e->identify_failed = 1; /* not again until the next reconcile */
	}
	pthread_mutex_unlock(&l->mu);
	free(copy);
	return RT_DONE;
}

/* ---- /v1/keys ----------------------------------------------------------------------------------
 */

static void add_time(struct buf *out, const char *key, time_t t)
{
	char s[32];
	struct tm tm;
	if (t <= 0) {
		buf_addf(out, ",\"%s\":null", key);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_addf(out, ",\"%s\":\"%s\"", key, s);
}

static void add_str(struct buf *out, const char *key, const char *val)
{
	buf_addf(out, ",\"%s\":", key);
	buf_add_json_str(out, val ? val : "", val ? strlen(val) : 0);
}

int ss_usage_json(struct ss_controller *c, struct buf *out)
{
	struct keys_age_info *ai = NULL;
	const char **ring = NULL;
	struct tally t;
	size_t i, nai = 0;
	int counted, caught_up, leading = tally(c, &t, &caught_up), rc;

	buf_adds(out, "{\"namespace\":");
	buf_add_json_str(out, c->o->namespace, strlen(c->o->namespace));
	buf_addf(out, ",\"leader\":%s", leading ? "true" : "false");
	if (leading)
		buf_addf(
		    out, ",\"sealedSecrets\":%zu,\"unknown\":%zu,\"unopened\":%zu,\"complete\":%s",
		    t.total, t.unknown, t.unopened, caught_up && !t.unknown ? "true" : "false");
	buf_adds(out, ",\"rsa\":[");
	pthread_rwlock_rdlock(&c->keys.lock);
	for (i = 0; i < c->keys.ring.n; i++) {
		const struct keys_entry *e = &c->keys.ring.ent[i];
		const struct tally_key *k = tally_find(&t, e->id);
		struct sealed_pubkey *pk = NULL;
		struct buf fp = BUF_INIT(128);
		if (!e->cert && sealed_privkey_pubkey(&pk, e->key) < 0)
			gs_error_clear();
		else if (sealed_pubkey_fingerprint(&fp, e->cert ? e->cert : pk) < 0)
			gs_error_clear();
		buf_adds(out, i ? ",{" : "{");
		buf_adds(out, "\"name\":");
		buf_add_json_str(out, e->secret ? e->secret : e->name,
		                 strlen(e->secret ? e->secret : e->name));
		add_str(out, "fingerprint", fp.p);
		add_time(out, "created", e->created);
		add_time(out, "notBefore", e->not_before);
		add_str(out, "status", i == 0 ? "sealing" : "active");
		if (leading)
			buf_addf(out, ",\"sealedSecrets\":%zu,\"users\":[%s],\"moreUsers\":%zu",
			         k ? k->count : 0, k ? k->names.p : "",
			         k && k->count > k->nnames ? k->count - k->nnames : 0);
		else
			buf_adds(out, ",\"sealedSecrets\":null");
		buf_addc(out, '}');
		sealed_pubkey_free(pk);
		buf_release(&fp);
	}
	pthread_rwlock_unlock(&c->keys.lock);
	buf_adds(out, "]");
	if (c->age && keys_age_ring_list(ss_age_ring(c), &ai, &nai) < 0)
		gs_error_clear();
	if (nai && !(ring = calloc(nai, sizeof(*ring))))
		nai = 0;
	for (i = 0; i < nai; i++)
		ring[i] = ai[i].recipient;
	/* SOPS objects are counted by the Application reconciler, when this process leads them */
	counted = c->sops_usage && c->sops_usage(c->sops_usage_arg, NULL, ring, nai, out) > 0;
	buf_adds(out, ",\"age\":[");
	for (i = 0; i < nai; i++) {
		buf_adds(out, i ? ",{" : "{");
		buf_adds(out, "\"name\":");
		buf_add_json_str(out, ai[i].name, strlen(ai[i].name));
		add_str(out, "recipient", ai[i].recipient);
		add_time(out, "created", ai[i].created);
		add_str(out, "status", i == 0 ? "sealing" : "active");
		if (!counted ||
		    c->sops_usage(c->sops_usage_arg, ai[i].recipient, ring, nai, out) <= 0)
			buf_adds(out, ",\"sopsObjects\":null");
		buf_addc(out, '}');
	}
	free(ring);
	free(ai);
	rc = buf_adds(out, "]}\n");
	tally_release(&t);
	return rc < 0 ? rc : 0;
}
