#ifndef GS_SOURCE_INT_H
#define GS_SOURCE_INT_H
/*
 * lib/source private declarations: URL parsing, semver, revision resolution (pure,
 * unit-tested), the per-operation context the transports share, the transports, the
 * child-process helper and the cache internals.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "source/git_dl_int.h" /* <git2.h>, every git_*() call through the dlopen()ed library */
#include "source/source.h"

/* --- URLs (url.c) ----------------------------------------------------------- */

enum source__scheme { SOURCE_HTTPS, SOURCE_HTTP, SOURCE_SSH, SOURCE_GIT, SOURCE_FILE };

struct source__url {
	enum source__scheme scheme;
	int scp;        /* user@host:path */
	char *user;     /* NULL if none (http: from userinfo; ssh: the login) */
	char *password; /* http userinfo password, percent-decoded; wiped; NULL if none */
	char *host;     /* without brackets; NULL for file */
	int port;       /* 0: the scheme's default */
	char *path; /* "/org/r.git" ("org/r.git" for scp without a leading '/'); file: the path */
	char *display; /* for messages: no userinfo */
	char
	    *key; /* identity in the cache: scheme://host[:port]/path, scheme and host lowercased */
	char *git_url; /* given to libgit2: display for network URLs, the path for file */
};
int source__url_parse(struct source__url *u, const char *url);
void source__url_release(struct source__url *u);

/* --- semver (semver.c) ------------------------------------------------------ */

struct source__semver {
	uint64_t major, minor, patch;
	char pre[128]; /* pre-release identifiers without the '-', "" for a release */
};
/* "1.2.3", "v1.2.3-rc.1+build", and partial "1", "1.2" (missing parts 0). 0 or GS_EPARSE. */
int source__semver_parse(struct source__semver *v, const char *s);
int source__semver_cmp(const struct source__semver *a, const struct source__semver *b);

struct source__range;
/* ">=1.2.0 <2", "~1.4", "^1", "1.x", "1.2 - 1.4", "!=1.3.0", "a || b" (',' = ' '). GS_EPARSE. */
int source__range_parse(struct source__range **out, const char *s);
int source__range_match(const struct source__range *r, const struct source__semver *v);
void source__range_free(struct source__range *r);

/* --- revisions (resolve.c) -------------------------------------------------- */

struct source__ref {
	const char *name; /* "HEAD", "refs/heads/main", "refs/tags/v1^{}" (peeled) */
	char oid[41];
};
enum source__want_kind { SOURCE_WANT_REF, SOURCE_WANT_COMMIT };
struct source__want {
	enum source__want_kind kind;
	char ref[256];   /* REF: the ref to fetch */
	char oid[41];    /* REF: its object; COMMIT: the id or a prefix of it (hex) */
	char peeled[41]; /* REF: the commit an annotated tag points at ("" if not advertised) */
};
/*
 * Pick what `rev` means among the advertised refs (see source.h for the order).
 * GS_ENOTFOUND "revision 'x': ..." when nothing matches, GS_EPARSE for a bad name.
 */
int source__resolve(struct source__want *w, const struct source__ref *refs, size_t n,
                    const char *rev);
/* Is rev a (possibly abbreviated, >= 4 digits) hex object id? */
int source__is_hex_id(const char *rev);

/* --- credentials (creds.c) ------------------------------------------------- */

struct source_creds {
	char *username;          /* not secret */
	struct buf password;     /* secret */
	struct buf bearer_token; /* secret */
	struct buf identity;     /* secret: ssh private key */
	struct buf known_hosts;
	struct buf ca;       /* PEM */
	struct buf tls_cert; /* PEM */
	struct buf tls_key;  /* secret, PEM */
	int have_known_hosts;
	int ssh_defaults; /* CLI: ssh may offer the user's own keys and agent */
};

/* --- one network operation (fetch.c) --------------------------------------- */

struct source__op {
	struct source_cache *cache;
	const struct source__url *url;
	const struct source_creds *creds;
	const char *proxy;
	const char *phase; /* "fetch" */
	int64_t timeout_ms;
	int64_t deadline; /* gs_mono_ms() */
	uint64_t rx_bytes, max_bytes;
	int err_code; /* first failure a transport recorded (0: none) */
	int done;     /* the operation is over: failures while closing are not recorded */
	char err[768];
	source_progress_fn progress;
	void *progress_data;
	git_smart_subtransport_definition def;
};
/* Record the first failure (the message shown in the end), set libgit2's error, return -1. */
int source__fail(struct source__op *op, int code, const char *fmt, ...) GS_PRINTF(3, 4);
int64_t source__left_ms(const struct source__op *op); /* <= 0: the deadline has passed */
int source__deadline_fail(struct source__op *op);
/* Count n received bytes; -1 (recorded) past the cap. */
int source__count_rx(struct source__op *op, size_t n);
/* "2s", "1.5s" */
void source__fmt_duration(char *out, size_t n, int64_t ms);

/* git_remote_callbacks.transport: the smart transport over one of ours. */
int source__transport(git_transport **out, git_remote *owner, void *payload);
int source__sub_http(git_smart_subtransport **out, git_transport *owner, void *param);
int source__sub_git(git_smart_subtransport **out, git_transport *owner, void *param);
int source__sub_ssh(git_smart_subtransport **out, git_transport *owner, void *param);

/* source_update(), then `then` (if not NULL) with the repository while it is still locked.
 * local: o->revision is a full commit id that must already be in the cache (no network). */
int source__update_repo(struct source_rev *out, struct source_cache *c, const struct source_opts *o,
                        int local,
                        int (*then)(void *data, git_repository *repo, const struct source_rev *rev),
                        void *data);

/* Translate libgit2's last error: "what: message"; returns code. */
int source__git_error(int code, const char *what);
/* git_libgit2_init() and the process-wide options, once. */
int source__git_init(void);

/* --- child processes (proc.c) ---------------------------------------------- */

struct source__proc {
	pid_t pid;      /* 0: none */
	int fd;         /* our end of a socketpair that is the child's stdin and stdout */
	int errfd;      /* read end of the child's stderr */
	struct buf err; /* the last bytes of its stderr */
	int status;     /* waitpid status once reaped */
	int reaped;
};
#define SOURCE_PROC_ERR_MAX 8192
/* argv[0] is looked up in $PATH before forking; env replaces the environment. */
int source__proc_spawn(struct source__proc *p, const char *const argv[], const char *const env[]);
/* Move what the child wrote on stderr into p->err (non-blocking). */
void source__proc_drain_err(struct source__proc *p);
/* Wait for the child to exit until deadline (gs_mono_ms()); 0 when it did (p->status),
 * 1 when the deadline came first (the child is still running). */
int source__proc_wait(struct source__proc *p, int64_t deadline);
/* SIGKILL (if running), reap, close the fds, free p->err. */
void source__proc_release(struct source__proc *p);
/* The last non-empty line of p->err ("" if none), without its newline. */
const char *source__proc_last_line(struct source__proc *p, char *out, size_t n);

/* Wait for fd to be ready for events until deadline: 1 ready, 0 deadline, -1 error (errno). */
int source__poll_fd(int fd, short events, int64_t deadline);

/* --- the cache (cache.c, export.c, gc.c) ----------------------------------- */

struct source__repo_ent { /* one per remote key, in-process serialisation */
	char *key;
	pthread_mutex_t mu;
	int busy; /* an operation holds it */
	pthread_cond_t cv;
	/* The last ref advertisement (fetch.c), read and written only by the holder: a caller
	 * that began waiting before it was asked for takes it instead of asking again, so N
	 * Applications of one repository cost one round trip, not N in a row. */
	int64_t adv_at;               /* gs_mono_ms() when it was asked for (0: none) */
	unsigned char adv_who[32];    /* whose credentials asked (source__creds_digest) */
	struct source__ref *adv_refs; /* names point into adv_names */
	size_t adv_nrefs;
	char *adv_names;
	struct source__repo_ent *next;
};

struct source__tree_ent {
	char commit[41];
	int refs;   /* handles out */
	int state;  /* 0 idle, 1 being exported or opened, 2 ready (refs > 0) */
	int lockfd; /* flock(LOCK_SH) held while refs > 0 */
	struct source__tree_ent *next;
};

struct source_cache {
	char *dir;
	char *repos_dir, *trees_dir, *tmp_dir;
	struct source_cache_opts opts;
	pthread_mutex_t mu; /* the two lists below and the counters */
	pthread_cond_t cv;  /* a tree entry changed state */
	struct source__repo_ent *repos;
	struct source__tree_ent *trees;
	struct source_stats stats;
	int64_t last_gc;             /* gs_mono_ms() of the last automatic collection */
	unsigned char creds_key[32]; /* keys source__creds_digest (random, per cache) */
	int gc_running;
};

struct source_tree {
	struct source_cache *cache;
	struct source__tree_ent *ent;
	char *path;
	char commit[41];
};

void source__stat_add(struct source_cache *c, uint64_t *field, uint64_t n);
/* DIR/repos/<hash>.git for a URL key, and its lock file */
int source__repo_paths(struct source_cache *c, const char *key, struct buf *dir, struct buf *lock);
/* Serialise operations on one remote: in-process wait + flock of lockpath, both bounded by
 * deadline (GS_EIO when it passes, message set). */
int source__repo_lock(struct source_cache *c, const char *lockpath, const char *key,
                      int64_t deadline, struct source__repo_ent **ent, int *lockfd);
void source__repo_unlock(struct source_cache *c, struct source__repo_ent *ent, int lockfd);
/* A keyed digest of who asks (NULL: anonymous): equal credentials, equal digests. */
void source__creds_digest(const struct source_cache *c, const struct source_creds *cr,
                          unsigned char out[32]);
/* Export commit from repo into dir (which must not exist); fills the size. progress may be NULL. */
int source__export(git_repository *repo, const git_oid *commit, const char *dir,
                   const struct source_cache_opts *o, source_progress_fn progress,
                   void *progress_data, uint64_t *bytes);
/* rm -rf that also works on 0555 directories */
int source__rmtree(const char *path);
/* recursive size in bytes (st_blocks), 0 on error */
uint64_t source__du(const char *path);

#endif
