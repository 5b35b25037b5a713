#ifndef GS_SOURCE_H
#define GS_SOURCE_H
/*
 * source: Git repositories as read-only directory trees, over libgit2 (the only
 * place that includes <git2.h>), with a deadline and a size cap on every network
 * operation.
 *
 *   struct source_cache *c;  struct source_tree *t;  struct source_rev rev;
 *   struct source_opts o = SOURCE_OPTS_INIT;
 *   o.url = "https://git.example.com/config.git"; o.revision = "~1.4"; o.timeout_ms = 30000;
 *   source_cache_open(&c, NULL);
 *   source_checkout(&t, &rev, c, &o);       // ls-remote, fetch if moved, export once
 *   render(source_tree_path(t));            // read-only files; no lock held meanwhile
 *   source_tree_release(t);
 *
 * The cache (one per directory, shared by every thread of a process and by other
 * processes using the same directory):
 *   DIR/repos/<hash>.git    one bare repository per remote URL (userinfo stripped),
 *                           holding only the refs that were asked for
 *   DIR/trees/<commit>/     each revision exported once: files 0444 (0555 when the
 *                           commit marks them executable), directories 0555, without
 *                           what the commit's own root .gitsealignore (gitignore syntax)
 *                           lists; symbolic links that lead outside the tree are refused
 *   DIR/trees/<commit>.lock reader lock (flock LOCK_SH while a tree is handed out),
 *                           its size and, by mtime, its last use
 * A tree that is handed out is never removed, by this process or another one. Trees
 * and repositories unused for max_idle_s, and the least recently used ones while the
 * cache is over max_bytes, are collected (source_cache_gc(), also run by
 * source_checkout() at most once a minute).
 *
 * Revisions (targetRevision): "" or "HEAD"; a branch; a tag; any "refs/..." name; a
 * semver range over tags ("v" prefix optional: ">=1.2.0 <2", "~1.4", "^1", "1.x",
 * "1.2 - 1.4", "^1 || ^2"; the highest matching release wins; pre-releases only
 * when the range names one, e.g. ">=1.0.0-0"); a commit SHA, full or abbreviated
 * (4+ hex digits). A name is tried as a branch, then as a tag, then as a semver
 * range, then as a commit. A poll first asks the remote for its refs and fetches
 * only when the wanted ref points at an object the cache does not hold (a pinned
 * full SHA already in the cache needs no network at all).
 *
 * URLs: https://, http://, ssh://user@host[:port]/path, user@host:path (scp-like),
 * git://host[:port]/path, file:///path or /path (libgit2's local transport, no
 * deadline). Userinfo in an http(s) URL is used as username/password when the
 * credentials have none, and is never shown: every message names the URL without it.
 *
 * Transports (libgit2 1.5 has no timeouts): HTTP(S) through libcurl (lib/net) with
 * the deadline, the proxy, the CA bundle and the client certificate of the
 * credentials, OpenSSL TLS; git:// over a socket with poll() deadlines; SSH through
 * the system OpenSSH client (`ssh -F /dev/null`, BatchMode, StrictHostKeyChecking=yes
 * against exactly the credentials' known_hosts, no agent forwarding), killed at the
 * deadline. A private key is handed to a private ssh-agent on a pipe (never written
 * to disk) and the agent is killed when the operation ends.
 *
 * Errors name the URL without userinfo and what failed: "fetch https://h/r.git:
 * deadline of 2s exceeded", "fetch ssh://h/r.git: host key for [127.0.0.1]:2222 does
 * not match known_hosts", "fetch https://h/r.git: HTTP 401: authentication failed",
 * "https://h/r.git: revision 'v9.x': no tag matches". Codes: GS_EAUTH (credentials,
 * host key), GS_ENOTFOUND (repository, revision), GS_EIO (network, deadline),
 * GS_ETOOBIG (size caps), GS_EPARSE/GS_EINVAL (URL, revision, credentials).
 *
 * Threads: every function may be called from any thread; calls on one URL are
 * serialised (and across processes, by a lock file), calls on different URLs run
 * in parallel. Secrets (passwords, tokens, private keys) live in wiped memory and
 * never reach argv, logs, messages or persistent disk.
 */
#include <stdint.h>

#include "core/buf.h"

struct doc;

/* --- credentials --------------------------------------------------------- */

struct source_creds; /* opaque; secret members are wiped by source_creds_free() */

/*
 * From a Kubernetes Secret (a parsed doc; `data` base64, `stringData` plain), with
 * Flux's keys (username, password, bearerToken, identity, known_hosts, ca.crt,
 * tls.crt, tls.key) or Argo CD's (username, password, sshPrivateKey,
 * tlsClientCertData, tlsClientCertKey). Pure: reads nothing else. GS_EPARSE naming
 * the key for bad base64 or a half client-certificate pair.
 */
int source_creds_from_secret(struct source_creds **out, const struct doc *secret);

/* For the CLI: files named by its flags (NULL: not given) and the environment. */
struct source_cred_files {
	const char *ssh_key;       /* --ssh-key: private key (OpenSSH or PEM, unencrypted) */
	const char *known_hosts;   /* --known-hosts (NULL: ~/.ssh/known_hosts when it exists) */
	const char *ca_file;       /* --ca-file: PEM bundle for https */
	const char *password_file; /* --password-file (wins over GITSEAL_GIT_PASSWORD) */
};
/*
 * Also reads GITSEAL_GIT_USERNAME and GITSEAL_GIT_PASSWORD. Without --ssh-key, ssh
 * offers the user's own keys and agent (as `git` would); credentials from a Secret
 * never do. Errors name the file.
 */
int source_creds_from_files(struct source_creds **out, const struct source_cred_files *f);
void source_creds_free(struct source_creds *cr); /* NULL is fine */

/* --- the cache ------------------------------------------------------------- */

struct source_cache;

struct source_cache_opts {
	const char *dir;         /* NULL: $XDG_CACHE_HOME/gitseal, else ~/.cache/gitseal */
	uint64_t max_bytes;      /* disk cap for repositories and trees (0: 2 GiB) */
	int64_t max_idle_s;      /* collect what was unused this long (0: 24 h) */
	uint64_t max_tree_bytes; /* cap on one exported tree (0: 1 GiB) */
	uint64_t max_tree_files; /* cap on files and directories in one tree (0: 200 000) */
};
#define SOURCE_CACHE_OPTS_INIT                                                                     \
	{                                                                                          \
		NULL, 0, 0, 0, 0                                                                   \
	}

/* opts may be NULL. Creates the directory (0700) if needed. */
int source_cache_open(struct source_cache **out, const struct source_cache_opts *opts);
/* Every tree must have been released. NULL is fine. */
void source_cache_free(struct source_cache *c);
const char *source_cache_dir(const struct source_cache *c);

/* Counters since source_cache_open(): a no-change poll adds to connects only. */
struct source_stats {
	uint64_t connects;    /* ref listings (ls-remote) */
	uint64_t fetches;     /* object downloads */
	uint64_t fetch_bytes; /* bytes received over the network by all operations */
	uint64_t exports;     /* trees written */
	uint64_t collected;   /* trees and repositories removed */
};
void source_cache_stats(struct source_cache *c, struct source_stats *out);

/* Collect idle trees/repositories and keep the cache under max_bytes (skips what is in use). */
int source_cache_gc(struct source_cache *c);

/* --- fetching and exporting ------------------------------------------------ */

struct source_progress {
	uint64_t received_bytes; /* fetching: what arrived so far */
	unsigned received_objects, indexed_objects, total_objects;
	uint64_t exported_files; /* exporting: files and links written so far */
};
/* Called often while objects arrive and while a tree is written; non-zero cancels. */
typedef int (*source_progress_fn)(void *data, const struct source_progress *p);

struct source_opts {
	const char *url;
	const char *revision;             /* NULL or "": HEAD */
	const struct source_creds *creds; /* NULL: anonymous */
	int64_t timeout_ms;               /* deadline of the network part of a call (0: 60 s) */
	uint64_t max_fetch_bytes;         /* cap on the bytes one call receives (0: 1 GiB) */
	const char *proxy;                /* http(s) proxy URL; NULL: curl's *_proxy variables */
	source_progress_fn progress;
	void *progress_data;
};
#define SOURCE_OPTS_INIT                                                                           \
	{                                                                                          \
		NULL, NULL, NULL, 0, 0, NULL, NULL, NULL                                           \
	}

struct source_rev {
	char commit[41]; /* the commit, 40 hex digits */
	char ref[256];   /* what the revision resolved to: "refs/heads/main", "refs/tags/v1.4.2",
	                    "HEAD", or "" for a commit SHA */
	int fetched;     /* this call downloaded objects */
};

/* Ask the remote, fetch what is missing, resolve the revision to a commit (no export). */
int source_update(struct source_rev *out, struct source_cache *c, const struct source_opts *o);

struct source_tree; /* a reference to an exported tree; the files stay until released */

/*
 * source_update() + the tree of that commit, exported if it is not yet (rev may be
 * NULL). The tree is immutable: read it from any number of threads or processes.
 */
int source_checkout(struct source_tree **out, struct source_rev *rev, struct source_cache *c,
                    const struct source_opts *o);
/* The tree of a commit that source_update() brought in for url (no network). */
int source_tree_get(struct source_tree **out, struct source_cache *c, const char *url,
                    const char *commit);
const char *source_tree_path(const struct source_tree *t);   /* absolute, no trailing '/' */
const char *source_tree_commit(const struct source_tree *t); /* 40 hex digits */
void source_tree_release(struct source_tree *t);             /* NULL is fine */

/* The URL as messages show it: userinfo removed ("https://h/r.git", "h:org/r.git"). */
int source_url_display(struct buf *out, const char *url);
/* The URL as the cache knows it, for comparing (a webhook's repository with an Application's):
 * no userinfo, scheme and host lowercased, no trailing '/' ("https://git.example.com/org/r.git").
 */
int source_url_key(struct buf *out, const char *url);

#endif
