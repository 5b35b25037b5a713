#ifndef GS_CTL_LOOP_INT_H
#define GS_CTL_LOOP_INT_H
/*
 * Inside the reconcile machinery (controller/loop.c: table, queue, workers,
 * timers; watchers.c: what the watches see; posts.c: events and status after
 * an unseal). Everything here is guarded by ctl_loop.mu unless said otherwise.
 */
#include "controller/ctl.h"

#include "kube/kube.h"

#define BUCKETS 8192
#define MAX_QUEUED 64 /* SealedSecret docs waiting for a worker */
/* Events and status writes wait while Secrets are still to be written (workloads need the
 * Secrets; on a cold start over thousands the three writes per object otherwise share the API
 * server evenly), up to this many or this long. */
#define MAX_POSTS 8000
#define POST_MAX_WAIT 30.0

enum job_kind { JOB_RECONCILE, JOB_BY_NAME, JOB_DELETE_SECRET };

struct job;

struct ent {
	struct ent *next;
	char *ns, *name;
	char *uid;
	char *gen_scope;    /* "<generation>/<scope>" last reconciled */
	int inflight;
	struct job *queued; /* waiting in the queue */
	struct job *running; /* on a worker */
	char *pending;      /* newer object (JSON) seen while in flight */
	int pending_by_name;
	int done;           /* the last reconcile of uid/gen_scope succeeded */
	int unseal_failed;
	int retries;
	double retry_at;
	unsigned seen;      /* list epoch of its watcher */
};

struct job {
	struct job *next;
	enum job_kind kind;
	/* The SealedSecret as compact JSON, not a doc: a doc_clone() shares (and counts references
	 * to) the arena of the watcher's parse without atomics, so a tree must not cross threads.
	 * The worker parses its own copy; a queued job also holds ~1.5 KiB instead of a tree. */
	char *ss;
	char *ns, *name;
	struct ent *e;
};

struct watcher {
	struct watcher *next;
	struct ctl_loop *l;
	struct kube_client *kc;
	struct kube_watch *w;
	pthread_t th;
	const char *what;
	char *ns; /* NULL: all namespaces */
	int kind; /* 0 SealedSecrets, 1 Secrets */
	unsigned epoch;
	int started;
	int list_slot; /* holds one of l->list_slots until its first list is done */
};

/* The event and status write after a successful unseal: second priority. */
struct post {
	struct post *next;
	char *ss; /* JSON: post_subset() of the SealedSecret */
	int unsealed;
	double queued_at;
};

struct ctl_loop {
	struct ctl_state *st;
	struct post *phead, *ptail;
	size_t nposts;
	int pinflight;
	pthread_cond_t cv_post;
	pthread_t posters[2];
	int nposters;
	pthread_mutex_t mu;
	pthread_cond_t cv_loop, cv_job, cv_space;
	struct ent *tab[BUCKETS];
	size_t nents;
	struct job *head, *tail;
	size_t nqueued;
	int inflight;
	pthread_t *workers;
	int nworkers;
	struct watcher *watchers; /* a list: namespaces appear at run time */
	pthread_t loop_th;
	/* SealedSecret watchers list one at a time: a page of 500 objects is a few MiB as a tree,
	 * and eight namespaces listing at once would multiply that (the RSS goal is 30 MiB) */
	sem_t list_slots;
	int stop;
	/* counters for the log line at the end of the first sync */
	long done_ok, done_skipped, done_failed;
	int ss_watchers, ss_synced, ns_synced, caught_up;
	double started;
};

/* loop.c */
double ctl__mono(void);
void ctl__check_caught_up(struct ctl_loop *l);
struct ent *ctl__ent_find(struct ctl_loop *l, const char *ns, const char *name, int create);
void ctl__ent_remove(struct ctl_loop *l, struct ent *e);
char *ctl__gen_scope_of(const struct doc *ss);
void ctl__enqueue(struct ctl_loop *l, struct ent *e, enum job_kind kind, char *ss, const char *ns, const char *name);

/* watchers.c: SealedSecrets of ns (NULL: all namespaces) and its Secrets (lock not held) */
int ctl__watch_namespace(struct ctl_loop *l, const char *ns);

/* posts.c: queue the event + status of a successful unseal (0: not queued, do it here) */
int ctl__queue_post(struct ctl_loop *l, const struct doc *ss, int unsealed);
void *ctl__post_main(void *arg);

#endif
