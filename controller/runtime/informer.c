/*
 * Informers: one resource type (a label/field selector, one namespace or all) listed and
 * watched on the runtime's informer thread (a kube_mux), kept in a local cache, and handed to
 * the reconciler's handlers as adds, updates and deletes. A relist (at start, after a 410) ends
 * with the deletion of whatever the cache had that the list did not show.
 *
 * The cache keeps per object its key, uid, resourceVersion and generation (and, keep_objects,
 * the object as compact JSON): ~100 bytes each without the object, so 4 000 SealedSecrets cost
 * ~0.4 MiB. Handlers run on the informer thread without the cache's lock, so they may read the
 * cache (rt_informer_meta) and take their own locks.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/runtime/runtime_int.h"
#include "core/log.h"

struct obj {
	long long generation;
	char *json;     /* keep_objects */
	unsigned epoch; /* the list that showed it; 0: a watch event */
	unsigned char uidlen, rvlen;
	char data[]; /* uid \0 rv \0 */
};

struct rt_informer {
	struct rt *rt;
	struct rt_informer_opts o;
	char *api_version, *kind, *ns, *label_selector, *field_selector, *what;
	struct kube_watch *w;
	struct kube_mux *mux;
	pthread_mutex_t mu;  /* the cache and the counters */
	struct rt_map cache; /* key -> struct obj */
	unsigned epoch;      /* the current list */
	int synced;
};

static const char *obj_uid(const struct obj *o)
{
	return o->data;
}

static const char *obj_rv(const struct obj *o)
{
	return o->data + o->uidlen + 1;
}

/* A meta view over an object's fields: pointers into the object or into bufs. */
struct meta_copy {
	struct rt_meta m;
	char key[512], ns[256], uid[64], rv[64];
};

static void meta_of_doc(struct meta_copy *mc, const struct doc *d, const char *key)
{
	const char *ns = doc_k8s_namespace(d), *uid = doc_str(doc_getp(d, "metadata", "uid", NULL));
	const char *rv = doc_str(doc_getp(d, "metadata", "resourceVersion", NULL));
	memset(&mc->m, 0, sizeof(mc->m));
	snprintf(mc->key, sizeof(mc->key), "%s", key);
	snprintf(mc->ns, sizeof(mc->ns), "%s", ns ? ns : "");
	snprintf(mc->uid, sizeof(mc->uid), "%s", uid ? uid : "");
	snprintf(mc->rv, sizeof(mc->rv), "%s", rv ? rv : "");
	mc->m.key = mc->key;
	mc->m.ns = mc->ns;
	mc->m.name = doc_k8s_name(d);
	mc->m.uid = mc->uid;
	mc->m.resource_version = mc->rv;
	if (doc_get_int(doc_getp(d, "metadata", "generation", NULL), &mc->m.generation) < 0)
		gs_error_clear();
}

static void meta_of_obj(struct meta_copy *mc, const char *key, const struct obj *o)
{
	const char *slash = strchr(key, '/');
	memset(&mc->m, 0, sizeof(mc->m));
	snprintf(mc->key, sizeof(mc->key), "%s", key);
	snprintf(mc->ns, sizeof(mc->ns), "%.*s", slash ? (int)(slash - key) : 0, key);
	snprintf(mc->uid, sizeof(mc->uid), "%s", obj_uid(o));
	snprintf(mc->rv, sizeof(mc->rv), "%s", obj_rv(o));
	mc->m.key = mc->key;
	mc->m.ns = mc->ns;
	mc->m.name = slash ? mc->key + (slash - key) + 1 : mc->key;
	mc->m.uid = mc->uid;
	mc->m.resource_version = mc->rv;
	mc->m.generation = o->generation;
}

static struct obj *obj_new(const struct doc *d, int keep, unsigned epoch)
{
	const char *uid = doc_str(doc_getp(d, "metadata", "uid", NULL));
	const char *rv = doc_str(doc_getp(d, "metadata", "resourceVersion", NULL));
	size_t ul = uid ? strlen(uid) : 0, rl = rv ? strlen(rv) : 0;
	struct obj *o;

	ul = ul > 255 ? 255 : ul; /* uids are 36 characters, versions a number: never that long */
	rl = rl > 255 ? 255 : rl;
	if (!(o = calloc(1, sizeof(*o) + ul + rl + 2)))
		return NULL;
	o->uidlen = (unsigned char)ul;
	o->rvlen = (unsigned char)rl;
	memcpy(o->data, uid ? uid : "", ul);
	memcpy(o->data + ul + 1, rv ? rv : "", rl);
	o->epoch = epoch;
	if (doc_get_int(doc_getp(d, "metadata", "generation", NULL), &o->generation) < 0)
		gs_error_clear();
	if (keep) {
		struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
		struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
		if (doc_emit_json(&b, d, &eo) < 0) {
			buf_release(&b);
			free(o);
			return NULL;
		}
		o->json = buf_detach(&b, NULL);
	}
	return o;
}

static void obj_free(void *p)
{
	struct obj *o = p;
	if (o && o->json) {
		gs_wipe(o->json, strlen(o->json)); /* a kept Secret would hold data */
		free(o->json);
	}
	free(o);
}

/* An object seen (LISTED, ADDED, MODIFIED): into the cache, then the handler. */
static void upsert(struct rt_informer *inf, const struct doc *d, int listed)
{
	struct buf key = BUF_INIT(1024);
	struct meta_copy old;
	struct obj *o = NULL, *prev;
	int had = 0;

	if (rt_key(&key, doc_k8s_namespace(d), doc_k8s_name(d)) < 0)
		goto out;
	if (!inf->o.no_list) {
		if (!(o = obj_new(d, inf->o.keep_objects, listed ? inf->epoch : 0))) {
			gs_err("out of memory", "what=%s key=%s", inf->what, key.p);
			goto out;
		}
		pthread_mutex_lock(&inf->mu);
		if ((prev = rt_map_get(&inf->cache, key.p))) {
			meta_of_obj(&old, key.p, prev);
			had = 1;
		}
		if (rt_map_put(&inf->cache, key.p, o) < 0) {
			pthread_mutex_unlock(&inf->mu);
			obj_free(o);
			gs_err("out of memory", "what=%s key=%s", inf->what, key.p);
			goto out;
		}
		pthread_mutex_unlock(&inf->mu);
		obj_free(prev);
	}
	if (had) {
		if (inf->o.on_update)
			inf->o.on_update(inf->o.ctx, d, &old.m, listed);
	} else if (inf->o.on_add) {
		inf->o.on_add(inf->o.ctx, d, listed);
	}
out:
	buf_release(&key);
}

static void removed(struct rt_informer *inf, const struct doc *d)
{
	struct buf key = BUF_INIT(1024);
	struct meta_copy gone;
	struct obj *o = NULL;

	if (rt_key(&key, doc_k8s_namespace(d), doc_k8s_name(d)) < 0)
		goto out;
	if (inf->o.no_list) {
		meta_of_doc(&gone, d, key.p);
	} else {
		pthread_mutex_lock(&inf->mu);
		o = rt_map_del(&inf->cache, key.p);
		pthread_mutex_unlock(&inf->mu);
		if (o)
			meta_of_obj(&gone, key.p, o);
		else
			meta_of_doc(&gone, d, key.p);
		obj_free(o);
	}
	if (inf->o.on_delete)
		inf->o.on_delete(inf->o.ctx, &gone.m, d);
out:
	buf_release(&key);
}

/* The list is complete: what it did not show is gone. */
struct sweep {
	struct rt_informer *inf;
	struct meta_copy *gone;
	size_t n, cap;
};

static int sweep_one(void *ctx, const char *key, void *val)
{
	struct sweep *s = ctx;
	struct obj *o = val;
	if (o->epoch == s->inf->epoch)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct meta_copy *g = realloc(s->gone, cap * sizeof(*g));
		if (!g)
			return 0; /* stays cached; the next relist tries again */
		s->gone = g;
		s->cap = cap;
	}
	meta_of_obj(&s->gone[s->n++], key, o);
	obj_free(o);
	return 1;
}

static void synced(struct rt_informer *inf)
{
	struct sweep s = { inf, NULL, 0, 0 };
	size_t i;
	int first;

	pthread_mutex_lock(&inf->mu);
	if (!inf->o.no_list)
		rt_map_each_del(&inf->cache, sweep_one, &s);
	inf->epoch++;
	first = !inf->synced;
	inf->synced = 1;
	pthread_mutex_unlock(&inf->mu);
	for (i = 0; i < s.n; i++) {
		s.gone[i].m.key = s.gone[i].key; /* the copies moved with realloc */
		s.gone[i].m.ns = s.gone[i].ns;
		s.gone[i].m.name =
		    strchr(s.gone[i].key, '/') ? strchr(s.gone[i].key, '/') + 1 : s.gone[i].key;
		s.gone[i].m.uid = s.gone[i].uid;
		s.gone[i].m.resource_version = s.gone[i].rv;
		if (inf->o.on_delete)
			inf->o.on_delete(inf->o.ctx, &s.gone[i].m, NULL);
	}
	free(s.gone);
	if (inf->o.on_synced)
		inf->o.on_synced(inf->o.ctx, first);
}

int rt__informer_event(void *ctx, enum kube_event_type t, const struct doc *obj)
{
	struct rt_informer *inf = ctx;
	switch (t) {
	case KUBE_EVENT_LISTED: upsert(inf, obj, 1); break;
	case KUBE_EVENT_ADDED:
	case KUBE_EVENT_MODIFIED: upsert(inf, obj, 0); break;
	case KUBE_EVENT_DELETED: removed(inf, obj); break;
	case KUBE_EVENT_SYNCED: synced(inf); break;
	case KUBE_EVENT_ERROR:
		gs_err("watch failed, retrying", "what=%s namespace=%s error=\"%s\"", inf->what,
		       inf->ns ? inf->ns : "(all)", gs_error_last());
		break;
	default: break;
	}
	gs_error_clear();
	return 0;
}

static int gate(void *ctx)
{
	struct rt_informer *inf = ctx;
	return inf->o.busy && inf->o.busy(inf->o.ctx);
}

static char *xstrdup(const char *s, int *bad)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		*bad = 1;
	return d;
}

static void inf_free(struct rt_informer *inf)
{
	kube_watch_free(inf->w);
	rt_map_release(&inf->cache, obj_free);
	free(inf->api_version);
	free(inf->kind);
	free(inf->ns);
	free(inf->label_selector);
	free(inf->field_selector);
	free(inf->what);
	pthread_mutex_destroy(&inf->mu);
	free(inf);
}

int rt__informer_new(struct rt_informer **out, struct rt *rt, const struct rt_informer_opts *o)
{
	struct rt_informer *inf;
	int bad = 0;

	*out = NULL;
	if (!o->api_version || !o->kind)
		return gs_error(GS_EINVAL, "informer: no apiVersion or kind");
	if (!(inf = calloc(1, sizeof(*inf))))
		return gs_error(GS_ENOMEM, "out of memory");
	pthread_mutex_init(&inf->mu, NULL);
	inf->rt = rt;
	inf->o = *o;
	inf->epoch = 1;
	inf->api_version = xstrdup(o->api_version, &bad);
	inf->kind = xstrdup(o->kind, &bad);
	inf->ns = xstrdup(o->ns, &bad);
	inf->label_selector =
	    xstrdup(o->label_selector && *o->label_selector ? o->label_selector : NULL, &bad);
	inf->field_selector =
	    xstrdup(o->field_selector && *o->field_selector ? o->field_selector : NULL, &bad);
	inf->what = xstrdup(o->what ? o->what : o->kind, &bad);
	if (bad) {
		inf_free(inf);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	*out = inf;
	return 0;
}

int rt_informer_start(struct rt_informer **out, struct rt *rt, const struct rt_informer_opts *o)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct rt_informer *inf;
	int rc;

	if ((rc = rt__informer_new(&inf, rt, o)) < 0)
		return rc;
	wo.label_selector = inf->label_selector;
	wo.field_selector = inf->field_selector;
	wo.all_namespaces = !inf->ns;
	wo.no_list = o->no_list;
	wo.metadata_only = o->metadata_only;
	wo.list_limit = o->page_size;
	if ((rc = rt__mux(rt, &inf->mux)) < 0 ||
	    (rc = kube_watch_new(&inf->w, rt->kc, inf->api_version, inf->kind, inf->ns, &wo)) < 0) {
		inf_free(inf);
		return rc;
	}
	kube_watch_set_gate(inf->w, gate, inf);
	if ((rc = kube_mux_add(inf->mux, inf->w, rt__informer_event, inf)) < 0) {
		inf_free(inf);
		return rc;
	}
	*out = inf;
	return 0;
}

void rt_informer_stop(struct rt_informer *inf)
{
	if (!inf)
		return;
	if (inf->w)
		kube_mux_remove(inf->mux, inf->w);
	inf_free(inf);
}

int rt_informer_synced(struct rt_informer *inf)
{
	int s;
	pthread_mutex_lock(&inf->mu);
	s = inf->synced;
	pthread_mutex_unlock(&inf->mu);
	return s;
}

size_t rt_informer_count(struct rt_informer *inf)
{
	size_t n;
	pthread_mutex_lock(&inf->mu);
	n = inf->cache.n;
	pthread_mutex_unlock(&inf->mu);
	return n;
}

int rt_informer_meta(struct rt_informer *inf, const char *key, char *uid, char *rv,
                     long long *generation)
{
	struct obj *o;
	int found;
	pthread_mutex_lock(&inf->mu);
	if ((found = (o = rt_map_get(&inf->cache, key)) != NULL)) {
		if (uid)
			snprintf(uid, 64, "%s", obj_uid(o));
		if (rv)
			snprintf(rv, 64, "%s", obj_rv(o));
		if (generation)
			*generation = o->generation;
	}
	pthread_mutex_unlock(&inf->mu);
	return found;
}

int rt_informer_get(struct rt_informer *inf, struct doc **out, const char *key)
{
	struct obj *o;
	char *json = NULL;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&inf->mu);
	if ((o = rt_map_get(&inf->cache, key)) && o->json)
		json = strdup(o->json);
	pthread_mutex_unlock(&inf->mu);
	if (!json)
		return gs_error(GS_ENOTFOUND, "%s \"%s\" not in the cache", inf->what, key);
	rc = doc_parse_one(out, key, json, strlen(json), DOC_PARSE_JSON);
	free(json);
	return rc;
}
