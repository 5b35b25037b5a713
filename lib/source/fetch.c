/*
 * One update of a remote: connect once, list its refs, resolve the revision, and
 * download objects only when the wanted one is not in the cache yet (the same
 * connection: one refs round trip for a poll that finds nothing new). The refs we
 * fetched are stored under their own names in the bare cache, so the next fetch
 * negotiates from them and receives only what is new; "+" refspecs take
 * force-pushes.
 *
 * libgit2 is driven through git_remote_callbacks.transport: each operation gets a
 * smart transport over a subtransport of ours (t_http.c, t_git.c, t_ssh.c) that
 * holds a pointer to this operation (deadline, caps, credentials, the first
 * error). file:// and local paths use libgit2's own local transport.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/error.h"
#include "source/source_int.h"

/* download() on a borrowed advertisement: start again with our own (not a gs_error code) */
#define SHARED_STALE (-1000)

#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_FETCH ((uint64_t)1 << 30)

/* --- libgit2, once per process ---------------------------------------------- */

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static int git_init_rc;
static char git_init_err[512];

static void git_init_once(void)
{
	static const int levels[] = { GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
		                      GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL };
	size_t i;
	if ((git_init_rc = source__git_load()) < 0) {
		snprintf(git_init_err, sizeof(git_init_err), "%s", gs_error_last());
		return;
	}
	if (git_libgit2_init() < 0) {
		const git_error *e = git_error_last();
		git_init_rc = GS_ERROR;
		snprintf(git_init_err, sizeof(git_init_err), "libgit2: %s",
		         e && e->message ? e->message : "init failed");
		return;
	}
	/* No ~/.gitconfig or /etc/gitconfig: url.insteadOf, proxies or hooks set for the
	 * user's git must not change what the cache fetches (we own libgit2 in this process). */
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "");
}

int source__git_init(void)
{
	pthread_once(&git_once, git_init_once);
	if (git_init_rc < 0)
		return gs_error(git_init_rc, "%s", git_init_err);
	return 0;
}

int source__git_error(int code, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown error";
	if (what && *what)
		return gs_error(code, "%s: %s", what, msg);
	return gs_error(code, "%s", msg);
}

/* --- the operation ------------------------------------------------------------ */

void source__fmt_duration(char *out, size_t n, int64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(out, n, "%llds", (long long)(ms / 1000));
	else
		snprintf(out, n, "%.1fs", (double)ms / 1000.0);
}

int source__fail(struct source__op *op, int code, const char *fmt, ...)
{
	va_list ap;
	if (op->done) {
		/* libgit2 tidying up after the operation succeeded: nothing to report */
		git_error_set_str(GIT_ERROR_NET, "connection closed");
		return -1;
	}
	if (!op->err_code) {
		va_start(ap, fmt);
		vsnprintf(op->err, sizeof(op->err), fmt, ap);
		va_end(ap);
		op->err_code = code;
	}
	git_error_set_str(GIT_ERROR_NET, op->err);
	return -1;
}

int64_t source__left_ms(const struct source__op *op)
{
	return op->deadline - gs_mono_ms();
}

int source__deadline_fail(struct source__op *op)
{
	char d[32];
	source__fmt_duration(d, sizeof(d), op->timeout_ms);
	return source__fail(op, GS_EIO, "deadline of %s exceeded", d);
}

int source__count_rx(struct source__op *op, size_t n)
{
	op->rx_bytes += n;
	if (op->rx_bytes > op->max_bytes)
		return source__fail(op, GS_ETOOBIG, "more than %llu bytes received (the size cap)",
		                    (unsigned long long)op->max_bytes);
	return 0;
}

int source__transport(git_transport **out, git_remote *owner, void *payload)
{
	struct source__op *op = payload;
	switch (op->url->scheme) {
	case SOURCE_HTTP:
	case SOURCE_HTTPS:
		op->def.callback = source__sub_http;
		op->def.rpc = 1;
		break;
	case SOURCE_GIT:
		op->def.callback = source__sub_git;
		op->def.rpc = 0;
		break;
	case SOURCE_SSH:
		op->def.callback = source__sub_ssh;
		op->def.rpc = 0;
		break;
	default: return source__fail(op, GS_EINVAL, "no network transport for this URL");
	}
	op->def.param = op;
	return git_transport_smart(out, owner, &op->def);
}

static int on_transfer(const git_indexer_progress *st, void *payload)
{
	struct source__op *op = payload;
	if (source__left_ms(op) <= 0)
		return source__deadline_fail(op);
	if (op->progress) {
		struct source_progress p;
		memset(&p, 0, sizeof(p));
		p.received_bytes = st->received_bytes;
		p.received_objects = st->received_objects;
		p.indexed_objects = st->indexed_objects;
		p.total_objects = st->total_objects;
		if (op->progress(op->progress_data, &p))
			return source__fail(op, GS_ERROR, "cancelled");
	}
	return 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	struct source__op *op = payload;
	(void)str;
	(void)len;
	return source__left_ms(op) <= 0 ? source__deadline_fail(op) : 0;
}

/* The message of a failed libgit2 call: ours if a transport recorded one. */
static int op_error(struct source__op *op, int gitrc)
{
	char what[1200];
	if (op->err_code)
		return gs_error(op->err_code, "%s %s: %s", op->phase, op->url->display, op->err);
	snprintf(what, sizeof(what), "%s %s", op->phase, op->url->display);
	return source__git_error(gitrc == GIT_EAUTH       ? GS_EAUTH
	                         : gitrc == GIT_ENOTFOUND ? GS_ENOTFOUND
	                                                  : GS_EIO,
	                         what);
}

/* --- the cache's repository ----------------------------------------------------- */

/* The cache's repository for u (made if missing, and made again if it is not a repository:
 * an interrupted first fetch leaves that; we hold its lock). local: never make one. */
static int repo_open(git_repository **out, const char *dir, const struct source__url *u, int local)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf have = { 0 };
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (stat(dir, &st) == 0 && git_repository_open_bare(&repo, dir) < 0) {
		if (local)
			return source__git_error(GS_EIO, dir);
		source__rmtree(dir);
		gs_error_clear();
	} else if (!repo && local) {
		return gs_error(GS_ENOTFOUND, "%s: not in the cache", u->display);
	}
	if (!repo && git_repository_init(&repo, dir, 1) < 0)
		return source__git_error(GS_EIO, dir);
	if (git_repository_config(&cfg, repo) < 0) {
		rc = source__git_error(GS_EIO, dir);
		goto out;
	}
	rc = git_config_get_string_buf(&have, cfg, "gitseal.url");
	if (rc == GIT_ENOTFOUND) {
		rc = 0;
		if (git_config_set_string(cfg, "gitseal.url", u->key) < 0)
			rc = source__git_error(GS_EIO, dir);
	} else if (rc < 0) {
		rc = source__git_error(GS_EIO, dir);
	} else if (strcmp(have.ptr, u->key)) {
		rc = gs_error(GS_ECONFLICT, "%s: cache directory of another remote ('%s')", dir,
		              have.ptr);
	}
	if (!rc) {
		*out = repo;
		repo = NULL;
	}
out:
	git_buf_dispose(&have);
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

/* --- resolving ------------------------------------------------------------------ */

static int list_refs(struct source__ref **out, size_t *nout, git_remote *remote)
{
	const git_remote_head **heads;
	struct source__ref *refs;
	size_t n, i;

	*out = NULL;
	*nout = 0;
	if (git_remote_ls(&heads, &n, remote) < 0)
		return -1;
	if (!(refs = calloc(n ? n : 1, sizeof(*refs))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		refs[i].name = heads[i]->name;
		git_oid_tostr(refs[i].oid, sizeof(refs[i].oid), &heads[i]->oid);
	}
	*out = refs;
	*nout = n;
	return 0;
}

static int peel_commit(git_oid *commit, git_repository *repo, const git_oid *id, const char *rev,
                       const char *display)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc = 0;
	if (git_object_lookup(&obj, repo, id, GIT_OBJECT_ANY) < 0) {
		char hex[41];
		git_oid_tostr(hex, sizeof(hex), id);
		rc = gs_error(GS_ENOTFOUND,
		              "%s: revision '%s': object %s is missing after the fetch", display,
		              rev, hex);
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = gs_error(GS_ENOTFOUND, "%s: revision '%s': not a commit (a %s)", display, rev,
		              git_object_type2string(git_object_type(obj)));
		goto out;
	}
	git_oid_cpy(commit, git_object_id(peeled));
out:
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

/* store the fetched ref under its own name (HEAD as refs/gitseal/HEAD) */
static int set_ref(git_repository *repo, const char *name, const git_oid *oid)
{
	git_reference *ref = NULL;
	const char *local = strcmp(name, "HEAD") ? name : "refs/gitseal/HEAD";
	int rc = 0;
	if (git_reference_lookup(&ref, repo, local) == 0 &&
	    git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
	    git_oid_equal(git_reference_target(ref), oid)) {
		git_reference_free(ref);
		return 0;
	}
	git_reference_free(ref);
	ref = NULL;
	if (git_reference_create(&ref, repo, local, oid, 1, "gitseal fetch") < 0)
		rc = source__git_error(GS_EIO, local);
	git_reference_free(ref);
	return rc;
}

/* --- the update ------------------------------------------------------------------ */

struct update {
	struct source_cache *cache;
	const struct source_opts *o;
	struct source__url url;
	struct source__op op;
	git_repository *repo;
	git_remote *remote;
	git_remote_callbacks cbs;
	struct source__ref *refs;
	size_t nrefs;
	struct source__repo_ent *ent; /* held: the shared advertisement */
	int64_t asked;                /* gs_mono_ms() when this call began */
	unsigned char who[32];        /* source__creds_digest of o->creds */
	int shared;                   /* refs came from another call's advertisement */
};

static int download(struct update *u, const char *const *specs, size_t n)
{
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_strarray arr;
	int grc;

	if (u->shared)
		return SHARED_STALE; /* download after a fresh advertisement, not a borrowed one */
	arr.strings = (char **)specs;
	arr.count = n;
	fo.callbacks = u->cbs;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	if ((grc = git_remote_download(u->remote, &arr, &fo)) < 0)
		return op_error(&u->op, grc);
	source__stat_add(u->cache, &u->cache->stats.fetches, 1);
	return 0;
}

/* every advertised branch and tag (a commit that is no ref tip, on a server that
 * will not send arbitrary objects) */
static int download_all(struct update *u)
{
	static const char *const all[] = { "+refs/heads/*:refs/heads/*",
		                           "+refs/tags/*:refs/tags/*" };
	size_t i;
	int rc;
	if ((rc = download(u, all, 2)) < 0)
		return rc;
	for (i = 0; i < u->nrefs; i++) {
		git_oid id;
		const char *name = u->refs[i].name;
		if ((strncmp(name, "refs/heads/", 11) && strncmp(name, "refs/tags/", 10)) ||
		    strstr(name, "^{}"))
			continue;
		if (git_oid_fromstr(&id, u->refs[i].oid) == 0 &&
		    (rc = set_ref(u->repo, name, &id)) < 0)
			return rc;
	}
	return 0;
}

static int lookup_prefix(git_oid *out, struct update *u, const char *hex, const char *rev,
                         int *found)
{
	git_object *obj = NULL;
	git_oid id;
	size_t len = strlen(hex);
	int grc;

	*found = 0;
	if (git_oid_fromstrn(&id, hex, len) < 0)
		return gs_error(GS_EPARSE, "%s: revision '%s': not a commit id", u->url.display,
		                rev);
	grc = git_object_lookup_prefix(&obj, u->repo, &id, len, GIT_OBJECT_ANY);
	if (grc == GIT_ENOTFOUND)
		return 0;
	if (grc == GIT_EAMBIGUOUS)
		return gs_error(GS_ENOTFOUND, "%s: revision '%s': ambiguous, give more digits",
		                u->url.display, rev);
	if (grc < 0)
		return source__git_error(GS_EIO, u->url.display);
	git_oid_cpy(out, git_object_id(obj));
	git_object_free(obj);
	*found = 1;
	return 0;
}

static int resolve_commit(struct source_rev *out, struct update *u, const struct source__want *w,
                          const char *rev, git_oid *commit)
{
	const struct source__ref *tip = NULL;
	git_oid id;
	int found, rc;
	size_t len = strlen(w->oid), i;

	if ((rc = lookup_prefix(&id, u, w->oid, rev, &found)) < 0)
		return rc;
	if (!found && len == 40) {
		char spec[600];
		const char *specs[1] = { spec };
		/* an advertised tip: fetch its ref; else ask for the object itself, which servers
		 * allow with uploadpack.allow{Tip,Reachable,Any}SHA1InWant (libgit2 checks) */
		for (i = 0; i < u->nrefs && !tip; i++)
			if (!strcmp(u->refs[i].oid, w->oid) && strcmp(u->refs[i].name, "HEAD") &&
			    !strstr(u->refs[i].name, "^{}"))
				tip = &u->refs[i];
		if (tip)
			snprintf(spec, sizeof(spec), "+%s:%s", tip->name, tip->name);
		else
			snprintf(spec, sizeof(spec), "%s:refs/gitseal/commits/%s", w->oid, w->oid);
		rc = download(u, specs, 1);
		if (rc < 0 && !u->op.err_code &&
		    strstr(gs_error_last(), "cannot fetch a specific object")) {
			gs_error_clear();
			rc = download_all(u);
		}
		if (rc < 0)
			return rc;
		out->fetched = 1;
		if ((rc = lookup_prefix(&id, u, w->oid, rev, &found)) < 0)
			return rc;
		if (found) {
			if (!tip)
				snprintf(spec, sizeof(spec), "refs/gitseal/commits/%s", w->oid);
			if ((rc = set_ref(u->repo, tip ? tip->name : spec, &id)) < 0)
				return rc;
		}
	} else if (!found) {
		/* an abbreviated id: only the branches and tags can be searched */
		if ((rc = download_all(u)) < 0 ||
		    (rc = lookup_prefix(&id, u, w->oid, rev, &found)) < 0)
			return rc;
		out->fetched = 1;
	}
	if (!found)
		return gs_error(
		    GS_ENOTFOUND,
		    "%s: revision '%s': no commit with that id on the remote's branches and tags",
		    u->url.display, rev);
	return peel_commit(commit, u->repo, &id, rev, u->url.display);
}

/* The remote, connected (its advertisement read into u->refs). */
static int connect_remote(struct update *u)
{
	git_remote_create_options ropts = GIT_REMOTE_CREATE_OPTIONS_INIT;
	int grc;

	/* anonymous, and no url.insteadOf lookup (libgit2 1.5 leaks a pcre2 match block per
	 * config entry it matches there; the cache's config has no such entries anyway) */
	ropts.repository = u->repo;
	ropts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((grc = git_remote_create_with_opts(&u->remote, u->url.git_url, &ropts)) < 0)
		return source__git_error(GS_EIO, u->url.display);
	source__stat_add(u->cache, &u->cache->stats.connects, 1);
	if ((grc = git_remote_connect(u->remote, GIT_DIRECTION_FETCH, &u->cbs, NULL, NULL)) < 0)
		return op_error(&u->op, grc);
	if (list_refs(&u->refs, &u->nrefs, u->remote) < 0)
		return op_error(&u->op, -1);
	return 0;
}

/* Keep u's advertisement in the entry for the callers waiting behind this one. */
static void keep_advertisement(struct update *u, int64_t at)
{
	struct source__repo_ent *e = u->ent;
	struct source__ref *refs;
	size_t i, len = 0, off = 0;
	char *names;

	for (i = 0; i < u->nrefs; i++)
		len += strlen(u->refs[i].name) + 1;
	refs = calloc(u->nrefs ? u->nrefs : 1, sizeof(*refs));
	names = malloc(len ? len : 1);
	if (!refs || !names) {
		free(refs);
		free(names);
		return; /* nothing kept: the next caller asks again */
	}
	for (i = 0; i < u->nrefs; i++) {
		size_t n = strlen(u->refs[i].name) + 1;
		memcpy(names + off, u->refs[i].name, n);
		refs[i].name = names + off;
		memcpy(refs[i].oid, u->refs[i].oid, sizeof(refs[i].oid));
		off += n;
	}
	free(e->adv_refs);
	free(e->adv_names);
	e->adv_refs = refs;
	e->adv_names = names;
	e->adv_nrefs = u->nrefs;
	e->adv_at = at;
	memcpy(e->adv_who, u->who, sizeof(e->adv_who));
}

/*
 * The remote's refs. Callers of one remote take turns (the repository lock); an advertisement
 * asked for after this call began is as fresh as one this call would get, so when the same
 * credentials asked for it, it is taken instead of another round trip. Objects are always
 * downloaded after an advertisement of our own (download() sends SHARED_STALE back here).
 */
static int advertise(struct update *u)
{
	static const unsigned char zero[32];
	struct source__repo_ent *e = u->ent;
	int64_t at;
	int rc;

	if (!u->shared && e && e->adv_refs && e->adv_at >= u->asked &&
	    !gs_mac_equal(u->who, zero, sizeof(zero)) &&
	    gs_mac_equal(e->adv_who, u->who, sizeof(u->who))) {
		if (!(u->refs = calloc(e->adv_nrefs ? e->adv_nrefs : 1, sizeof(*u->refs))))
			return gs_error(GS_ENOMEM, "out of memory");
		memcpy(u->refs, e->adv_refs, e->adv_nrefs * sizeof(*u->refs));
		u->nrefs = e->adv_nrefs;
		u->shared = 1;
		return 0;
	}
	at = gs_mono_ms();
	if ((rc = connect_remote(u)) < 0)
		return rc;
	if (e)
		keep_advertisement(u, at);
	return 0;
}

static int update_locked(struct source_rev *out, struct update *u, int local)
{
	struct source__want w;
	const char *rev = u->o->revision && *u->o->revision ? u->o->revision : "HEAD";
	git_oid commit, id;
	int rc, found;

	/* a pinned full commit already here needs no network */
	if (strlen(rev) == 40 && source__is_hex_id(rev)) {
		if ((rc = lookup_prefix(&id, u, rev, rev, &found)) < 0)
			return rc;
		if (found) {
			if ((rc = peel_commit(&commit, u->repo, &id, rev, u->url.display)) < 0)
				return rc;
			git_oid_tostr(out->commit, sizeof(out->commit), &commit);
			return 0;
		}
	}
	if (local)
		return gs_error(GS_ENOTFOUND, "%s: commit %s is not in the cache", u->url.display,
		                rev);
	if (u->url.scheme == SOURCE_FILE) {
		struct stat st;
		if (stat(u->url.path, &st) < 0)
			return gs_error(GS_ENOTFOUND, "fetch %s: %s", u->url.display,
			                strerror(errno));
	}
	if ((rc = advertise(u)) < 0)
		return rc;
	if ((rc = source__resolve(&w, u->refs, u->nrefs, rev)) < 0)
		return gs_error_prefix(rc, "%s", u->url.display);

	if (w.kind == SOURCE_WANT_COMMIT) {
		if ((rc = resolve_commit(out, u, &w, rev, &commit)) < 0)
			return rc;
	} else {
		git_odb *odb = NULL;
		int have;
		if (git_oid_fromstr(&id, w.oid) < 0)
			return gs_error(GS_EPARSE, "%s: bad object id for %s", u->url.display,
			                w.ref);
		if (git_repository_odb(&odb, u->repo) < 0)
			return source__git_error(GS_EIO, u->url.display);
		have = git_odb_exists(odb, &id);
		git_odb_free(odb);
		if (!have) {
			char spec[600];
			const char *specs[1] = { spec };
			snprintf(spec, sizeof(spec), "+%s:%s", w.ref,
			         strcmp(w.ref, "HEAD") ? w.ref : "refs/gitseal/HEAD");
			if ((rc = download(u, specs, 1)) < 0)
				return rc;
			out->fetched = 1;
		}
		if ((rc = set_ref(u->repo, w.ref, &id)) < 0)
			return rc;
		if ((rc = peel_commit(&commit, u->repo, &id, rev, u->url.display)) < 0)
			return rc;
		snprintf(out->ref, sizeof(out->ref), "%s", w.ref);
	}
	git_oid_tostr(out->commit, sizeof(out->commit), &commit);
	return 0;
}

int source__update_repo(struct source_rev *out, struct source_cache *c, const struct source_opts *o,
                        int local,
                        int (*then)(void *data, git_repository *repo, const struct source_rev *rev),
                        void *data)
{
	struct update u;
	struct source__repo_ent *ent = NULL;
	struct buf dir = BUF_INIT(8192), lock = BUF_INIT(8192);
	char d[32];
	int rc, lockfd = -1;

	memset(&u, 0, sizeof(u));
	memset(out, 0, sizeof(*out));
	if ((rc = source__git_init()) < 0)
		return rc;
	if (!o || !o->url)
		return gs_error(GS_EINVAL, "no repository URL");
	if ((rc = source__url_parse(&u.url, o->url)) < 0)
		return rc;
	u.cache = c;
	u.o = o;
	u.op.cache = c;
	u.op.url = &u.url;
	u.op.creds = o->creds;
	u.op.proxy = o->proxy;
	u.op.phase = "fetch";
	u.op.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	u.op.deadline = gs_mono_ms() + u.op.timeout_ms;
	u.op.max_bytes = o->max_fetch_bytes ? o->max_fetch_bytes : DEFAULT_MAX_FETCH;
	u.op.progress = o->progress;
	u.op.progress_data = o->progress_data;
	git_remote_init_callbacks(&u.cbs, GIT_REMOTE_CALLBACKS_VERSION);
	u.cbs.transfer_progress = on_transfer;
	u.cbs.sideband_progress = on_sideband;
	u.cbs.payload = &u.op;
	if (u.url.scheme != SOURCE_FILE)
		u.cbs.transport = source__transport;

	u.asked = gs_mono_ms();
	source__creds_digest(c, o->creds, u.who);
	if ((rc = source__repo_paths(c, u.url.key, &dir, &lock)) < 0)
		goto out;
	if ((rc = source__repo_lock(c, lock.p, u.url.key, u.op.deadline, &ent, &lockfd)) < 0) {
		source__fmt_duration(d, sizeof(d), u.op.timeout_ms);
		if (rc == GS_EIO)
			rc = gs_error(GS_EIO,
			              "fetch %s: deadline of %s exceeded waiting for another fetch "
			              "of it to end",
			              u.url.display, d);
		goto out;
	}
	u.ent = ent;
	if ((rc = repo_open(&u.repo, dir.p, &u.url, local)) < 0)
		goto out;
	rc = update_locked(out, &u, local);
	if (rc == SHARED_STALE) {
		/* the borrowed advertisement named objects we lack: ask the remote ourselves */
		free(u.refs);
		u.refs = NULL;
		u.nrefs = 0;
		memset(out, 0, sizeof(*out));
		u.asked = INT64_MAX; /* never borrow again */
		u.shared = 0;
		rc = update_locked(out, &u, local);
	}
	u.op.done = 1;
	if (u.remote) {
		git_remote_disconnect(u.remote);
		git_remote_free(u.remote);
		u.remote = NULL;
	}
	source__stat_add(c, &c->stats.fetch_bytes, u.op.rx_bytes);
	if (rc >= 0 && then)
		rc = then(data, u.repo, out);
out:
	free(u.refs);
	git_remote_free(u.remote);
	git_repository_free(u.repo);
	if (ent)
		source__repo_unlock(c, ent, lockfd);
	source__url_release(&u.url);
	buf_release(&dir);
	buf_release(&lock);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int source_update(struct source_rev *out, struct source_cache *c, const struct source_opts *o)
{
	return source__update_repo(out, c, o, 0, NULL, NULL);
}
