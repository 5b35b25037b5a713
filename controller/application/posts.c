/*
 * Status writes and Events come second to the objects themselves: while Applications wait in
 * the queue (a cold start, a push that touches many of them), they are kept here and written by
 * one post thread once no Application waits, or after APP_POST_WAIT seconds, or past
 * APP_POST_MAX of them, as the unsealer's posts wait behind its Secrets. With nothing waiting
 * they are written at once by the worker, as before. A status waiting for its Application is
 * replaced by a newer one, so only the last is written.
 */
#include <stdlib.h>
#include <string.h>

#include "controller/application/application_int.h"
#include "core/clock.h"
#include "core/log.h"

#define APP_POST_WAIT 30.0  /* seconds a post waits at most */
#define APP_POST_MAX 8000   /* posts held at most (each ~1 KiB) */
#define APP_POST_FLUSH 5.0  /* seconds to write what is left when reconciling stops */
#define APP_POST_POLL_MS 50 /* how often a waiting post thread looks at the queue */

struct app_post {
	struct app_post *next;
	char *key;    /* "ns/name" */
	char *status; /* a status post: compact JSON of .status (NULL: dropped, superseded) */
	/* an event: the Application's identity as strings ("" none; a doc cloned from the
	 * informer's object would keep that object's whole arena alive while it waits) */
	char *ev_name, *ev_ns, *ev_uid, *ev_rv;
	char *reason, *message;
	int warning, inflight, event;
	double at; /* gs_mono() when queued */
};

static void post_free(struct app_post *p)
{
	if (!p)
		return;
	free(p->key);
	free(p->status);
	free(p->ev_name);
	free(p->ev_ns);
	free(p->ev_uid);
	free(p->ev_rv);
	free(p->reason);
	free(p->message);
	free(p);
}

/* Under posts.mu: may a worker's post wait? */
static int deferring(struct app_posts *ps)
{
	return ps->running && ps->q && ps->n < APP_POST_MAX && rt_queue_len(ps->q) > 0;
}

static void enqueue(struct app_posts *ps, struct app_post *p)
{
	p->at = gs_mono();
	if (ps->tail)
		ps->tail->next = p;
	else
		ps->head = p;
	ps->tail = p;
	ps->n++;
	pthread_cond_broadcast(&ps->cv);
}

int app__post_status(struct app_controller *c, const char *key, const char *json, int same)
{
	struct app_posts *ps = &c->posts;
	struct app_post *p, *np = NULL;
	int taken = 1;

	pthread_mutex_lock(&ps->mu);
	p = rt_map_get(&ps->status, key);
	if (p && !p->inflight) {
		/* the one waiting is replaced, or dropped when the server has this one already */
		free(p->status);
		p->status = same ? NULL : strdup(json);
		if (!p->status)
			rt_map_del(&ps->status, key);
	} else if (p || (!same && deferring(ps))) {
		/* behind one being written, or the queue is busy: this one waits (in order) */
		if ((np = calloc(1, sizeof(*np))) && (np->key = strdup(key)) &&
		    (np->status = strdup(json)) && rt_map_put(&ps->status, key, np) == 0) {
			enqueue(ps, np);
			np = NULL;
			app__metric_count(c->metrics.posts, "status", 1);
		} else {
			taken = 0; /* out of memory: the worker writes it */
		}
	} else {
		taken = 0; /* nothing waits: the worker writes it now (or not at all, when same) */
	}
	pthread_mutex_unlock(&ps->mu);
	post_free(np);
	return taken;
}

/* kube_event's involvedObject, made when the event is written. */
static struct doc *event_ref(const struct app_post *p)
{
	struct doc *out = doc_new_map(), *m = doc_new_map();
	int rc = out && m ? 0 : -1;
	if (rc >= 0 && *p->ev_name)
		rc = doc_set(m, "name", doc_new_strz(p->ev_name));
	if (rc >= 0 && *p->ev_ns)
		rc = doc_set(m, "namespace", doc_new_strz(p->ev_ns));
	if (rc >= 0 && *p->ev_uid)
		rc = doc_set(m, "uid", doc_new_strz(p->ev_uid));
	if (rc >= 0 && *p->ev_rv)
		rc = doc_set(m, "resourceVersion", doc_new_strz(p->ev_rv));
	if (rc >= 0)
		rc = doc_set(out, "apiVersion", doc_new_strz(APP_API_VERSION));
	if (rc >= 0)
		rc = doc_set(out, "kind", doc_new_strz(APP_KIND));
	if (rc >= 0) {
		rc = doc_set(out, "metadata", m);
		m = NULL;
	}
	doc_free(m);
	if (rc < 0) {
		doc_free(out);
		return NULL;
	}
	return out;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int app__post_event(struct app_controller *c, const struct doc *obj, int warning,
                    const char *reason, const char *message)
{
	struct app_posts *ps = &c->posts;
	struct app_post *p;
	int defer;

	pthread_mutex_lock(&ps->mu);
	defer = deferring(ps);
	pthread_mutex_unlock(&ps->mu);
	if (!defer || !(p = calloc(1, sizeof(*p))))
		return 0;
	p->warning = warning;
	p->event = 1;
	if (!(p->ev_name = dup_or_empty(doc_k8s_name(obj))) ||
	    !(p->ev_ns = dup_or_empty(doc_k8s_namespace(obj))) ||
	    !(p->ev_uid = dup_or_empty(doc_str(doc_get(doc_get(obj, "metadata"), "uid")))) ||
	    !(p->ev_rv =
	          dup_or_empty(doc_str(doc_get(doc_get(obj, "metadata"), "resourceVersion")))) ||
	    !(p->reason = strdup(reason)) || !(p->message = strdup(message ? message : ""))) {
		post_free(p);
		return 0;
	}
	pthread_mutex_lock(&ps->mu);
	enqueue(ps, p);
	pthread_mutex_unlock(&ps->mu);
	app__metric_count(c->metrics.posts, "event", 1);
	return 1;
}

/* Write one post (no lock held). */
static void write_post(struct app_controller *c, struct app_post *p)
{
	struct doc *st = NULL, *patch = NULL;
	const char *slash;
	char ns[256];
	struct app_ent *e;

	if (p->event) {
		struct doc *ref = event_ref(p);
		if (!ref || kube_event(c->kc, ref, p->warning ? "Warning" : "Normal", p->reason,
		                       p->message, APP_COMPONENT) < 0) {
			gs_warn("cannot write an event", "application=%s/%s reason=%s error=\"%s\"",
			        p->ev_ns, p->ev_name, p->reason, gs_error_last());
			gs_error_clear();
		}
		doc_free(ref);
		return;
	}
	if (!(slash = strchr(p->key, '/')) || (size_t)(slash - p->key) >= sizeof(ns))
		return;
	memcpy(ns, p->key, (size_t)(slash - p->key));
	ns[slash - p->key] = '\0';
	if (doc_parse_one(&st, "status", p->status, strlen(p->status), DOC_PARSE_JSON) < 0 ||
	    !(patch = doc_new_map()) || doc_set(patch, "status", st) < 0) {
		doc_free(st);
		gs_error_clear();
		goto out;
	}
	if (kube_merge_patch(NULL, c->kc, APP_API_VERSION, APP_KIND, ns, slash + 1, patch, "status",
	                     NULL) < 0) {
		/* the next reconcile writes it again (last_status stays what the server has) */
		gs_warn("cannot write the status", "application=%s error=\"%s\"", p->key,
		        gs_error_last());
		gs_error_clear();
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	if ((e = rt_map_get(&c->ents, p->key))) {
		free(e->last_status);
		e->last_status = p->status;
		p->status = NULL;
	}
	pthread_mutex_unlock(&c->mu);
out:
	doc_free(patch);
}

static void *poster(void *arg)
{
	struct app_controller *c = arg;
	struct app_posts *ps = &c->posts;
	double flush_until = 0;

	pthread_mutex_lock(&ps->mu);
	for (;;) {
		struct app_post *p = ps->head;
		if (ps->stop && !flush_until)
			flush_until = gs_mono() + APP_POST_FLUSH;
		if (!p) {
			if (ps->stop)
				break;
			pthread_cond_wait(&ps->cv, &ps->mu);
			continue;
		}
		if (ps->stop && gs_mono() > flush_until)
			break;
		if (!ps->stop && (p->status || p->event) && ps->q && rt_queue_len(ps->q) > 0 &&
		    gs_mono() - p->at < APP_POST_WAIT && ps->n < APP_POST_MAX) {
			/* Applications still wait: look again shortly */
			struct timespec ts;
			gs_mono_abstime(&ts, APP_POST_POLL_MS);
			pthread_cond_timedwait(&ps->cv, &ps->mu, &ts);
			continue;
		}
		ps->head = p->next;
		if (!ps->head)
			ps->tail = NULL;
		ps->n--;
		if (!p->event && !p->status) { /* superseded */
			post_free(p);
			continue;
		}
		p->inflight = 1;
		pthread_mutex_unlock(&ps->mu);
		write_post(c, p);
		pthread_mutex_lock(&ps->mu);
		if (p->key && rt_map_get(&ps->status, p->key) == p)
			rt_map_del(&ps->status, p->key);
		post_free(p);
	}
	/* what could not be written in time: the next leader's reconciles write status again */
	while (ps->head) {
		struct app_post *p = ps->head;
		ps->head = p->next;
		if (p->key && rt_map_get(&ps->status, p->key) == p)
			rt_map_del(&ps->status, p->key);
		post_free(p);
	}
	ps->tail = NULL;
	ps->n = 0;
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

int app__posts_start(struct app_controller *c, struct rt_queue *q)
{
	struct app_posts *ps = &c->posts;
	int rc;
	pthread_mutex_lock(&ps->mu);
	ps->q = q;
	ps->stop = 0;
	rc = pthread_create(&ps->th, NULL, poster, c);
	ps->running = rc == 0;
	pthread_mutex_unlock(&ps->mu);
	return rc == 0 ? 0 : gs_error(GS_ENOMEM, "cannot start the post thread");
}

void app__posts_unqueue(struct app_controller *c)
{
	pthread_mutex_lock(&c->posts.mu);
	c->posts.q = NULL; /* about to be freed: posts wait for nothing from here on */
	pthread_mutex_unlock(&c->posts.mu);
}

void app__posts_stop(struct app_controller *c)
{
	struct app_posts *ps = &c->posts;
	int running;
	pthread_mutex_lock(&ps->mu);
	running = ps->running;
	ps->stop = 1;
	pthread_cond_broadcast(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	if (running)
		pthread_join(ps->th, NULL);
	pthread_mutex_lock(&ps->mu);
	ps->running = 0;
	ps->q = NULL;
	pthread_mutex_unlock(&ps->mu);
}
