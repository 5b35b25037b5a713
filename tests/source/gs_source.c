/*
 * gs-source: lib/source from the command line, for tests/source/t*.sh and the
 * benchmark (until `gitseal build` exists, and as a finer tool after). One process
 * = one source_cache; every operation prints what it got, then the counters:
 *
 *   commit=<40 hex> ref=<ref> fetched=<0|1> path=<tree>
 *   progress calls=N bytes=N objects=N/N exported=N   (when the progress hook was called)
 *   stats connects=N fetches=N fetch_bytes=N exports=N collected=N
 *   fds=N   (descriptors still open at the end)
 *
 * gs-source --cache DIR --url URL [--rev REV] [--timeout MS] [--max-bytes N]
 *           [--ssh-key F] [--known-hosts F] [--ca-file F] [--password-file F] [--secret
 * SECRET.yaml]
 *           [--repeat N] [--threads N] [--no-export] [--tree COMMIT] [--gc] [--cap BYTES] [--idle
 * S]
 *           [--hold-ms MS] [--cat FILE] [--proxy URL] [--out FILE (instead of stdout)]
 * --url may repeat: thread i uses url i % n. --hold-ms keeps the trees for MS ms before
 * releasing them (what a renderer does). --cat prints a file of the tree. Errors: "error: MSG",
 * exit 1.
 */
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/doc.h"
#include "source/source.h"

static struct {
	const char *cache, *rev, *tree, *cat, *proxy;
	const char *urls[16];
	int nurls, repeat, threads, no_export, gc, hold_ms;
	long long timeout, max_bytes, cap, idle;
	struct source_cred_files files;
	const char *secret;
} o;

static struct source_cache *cache;
static struct source_creds *creds;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static int failures;

static struct source_progress seen; /* the largest values the hook saw */
static unsigned long long hook_calls;

static int on_progress(void *data, const struct source_progress *p)
{
	(void)data;
	pthread_mutex_lock(&out_mu);
	hook_calls++;
	if (p->received_bytes > seen.received_bytes)
		seen.received_bytes = p->received_bytes;
	if (p->received_objects > seen.received_objects)
		seen.received_objects = p->received_objects;
	if (p->total_objects > seen.total_objects)
		seen.total_objects = p->total_objects;
	if (p->exported_files > seen.exported_files)
		seen.exported_files = p->exported_files;
	pthread_mutex_unlock(&out_mu);
	return 0;
}

static int one(const char *url)
{
	struct source_opts so = SOURCE_OPTS_INIT;
	struct source_tree *t = NULL;
	struct source_rev rev;
	int rc;

	so.url = url;
	so.revision = o.rev;
	so.creds = creds;
	so.timeout_ms = o.timeout;
	so.max_fetch_bytes = (uint64_t)o.max_bytes;
	so.proxy = o.proxy;
	so.progress = on_progress;
	if (o.tree)
		rc = source_tree_get(&t, cache, url, o.tree);
	else if (o.no_export)
		rc = source_update(&rev, cache, &so);
	else
		rc = source_checkout(&t, &rev, cache, &so);
	pthread_mutex_lock(&out_mu);
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", gs_error_last());
		failures++;
	} else if (o.tree) {
		printf("commit=%s path=%s\n", source_tree_commit(t), source_tree_path(t));
	} else {
		printf("commit=%s ref=%s fetched=%d path=%s\n", rev.commit,
		       rev.ref[0] ? rev.ref : "-", rev.fetched, t ? source_tree_path(t) : "-");
	}
	if (rc >= 0 && o.cat && t) {
		struct buf b = BUF_INIT(1 << 20), path = BUF_INIT(8192);
		if (buf_addf(&path, "%s/%s", source_tree_path(t), o.cat) == 0 &&
		    file_read(&b, path.p) == 0)
			fwrite(b.p, 1, b.len, stdout);
		else
			fprintf(stderr, "error: %s\n", gs_error_last()), failures++;
		buf_release(&b);
		buf_release(&path);
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
	if (t && o.hold_ms > 0)
		gs_sleep_ms(o.hold_ms);
	source_tree_release(t);
	return rc;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static void *worker(void *arg)
{
	long i = (long)arg;
	int k;
	for (k = 0; k < o.repeat; k++)
		one(o.urls[i % o.nurls]);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "cache", 1, 0, 'c' },
		                            { "url", 1, 0, 'u' },
		                            { "rev", 1, 0, 'r' },
		                            { "timeout", 1, 0, 't' },
		                            { "max-bytes", 1, 0, 'm' },
		                            { "ssh-key", 1, 0, 'k' },
		                            { "known-hosts", 1, 0, 'K' },
		                            { "ca-file", 1, 0, 'A' },
		                            { "password-file", 1, 0, 'P' },
		                            { "secret", 1, 0, 'S' },
		                            { "repeat", 1, 0, 'n' },
		                            { "threads", 1, 0, 'j' },
		                            { "no-export", 0, 0, 'N' },
		                            { "tree", 1, 0, 'T' },
		                            { "gc", 0, 0, 'g' },
		                            { "cap", 1, 0, 'C' },
		                            { "idle", 1, 0, 'I' },
		                            { "hold-ms", 1, 0, 'H' },
		                            { "cat", 1, 0, 'a' },
		                            { "proxy", 1, 0, 'p' },
		                            { "out", 1, 0, 'o' },
		                            { 0, 0, 0, 0 } };
	struct source_cache_opts co = SOURCE_CACHE_OPTS_INIT;
	struct source_stats st;
	pthread_t th[64];
	int c, i, rc = 0;

	o.repeat = 1;
	o.threads = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o.cache = optarg; break;
		case 'u':
			if (o.nurls < 16)
				o.urls[o.nurls++] = optarg;
			break;
		case 'r': o.rev = optarg; break;
		case 't': o.timeout = strtoll(optarg, NULL, 10); break;
		case 'm': o.max_bytes = strtoll(optarg, NULL, 10); break;
		case 'k': o.files.ssh_key = optarg; break;
		case 'K': o.files.known_hosts = optarg; break;
		case 'A': o.files.ca_file = optarg; break;
		case 'P': o.files.password_file = optarg; break;
		case 'S': o.secret = optarg; break;
		case 'n': o.repeat = (int)strtol(optarg, NULL, 10); break;
		case 'j': o.threads = (int)strtol(optarg, NULL, 10); break;
		case 'N': o.no_export = 1; break;
		case 'T': o.tree = optarg; break;
		case 'g': o.gc = 1; break;
		case 'C': o.cap = strtoll(optarg, NULL, 10); break;
		case 'I': o.idle = strtoll(optarg, NULL, 10); break;
		case 'H': o.hold_ms = (int)strtol(optarg, NULL, 10); break;
		case 'a': o.cat = optarg; break;
		case 'p': o.proxy = optarg; break;
		case 'o':
			if (!freopen(optarg, "w", stdout)) {
				perror(optarg);
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (o.threads < 1 || o.threads > 64)
		o.threads = 1;
	co.dir = o.cache;
	co.max_bytes = (uint64_t)o.cap;
	co.max_idle_s = o.idle;
	if (source_cache_open(&cache, &co) < 0) {
		fprintf(stderr, "error: %s\n", gs_error_last());
		return 1;
	}
	if (o.secret) {
		struct buf b = BUF_INIT(1 << 20);
		struct doc *d = NULL;
		if (file_read(&b, o.secret) < 0 || doc_parse_one(&d, o.secret, b.p, b.len, 0) < 0 ||
		    source_creds_from_secret(&creds, d) < 0) {
			fprintf(stderr, "error: %s\n", gs_error_last());
			rc = 1;
		}
		doc_free(d);
		buf_release(&b);
	} else if (source_creds_from_files(&creds, &o.files) < 0) {
		fprintf(stderr, "error: %s\n", gs_error_last());
		rc = 1;
	}
	if (rc == 0 && o.nurls) {
		for (i = 0; i < o.threads; i++)
			pthread_create(&th[i], NULL, worker, (void *)(long)i);
		for (i = 0; i < o.threads; i++)
			pthread_join(th[i], NULL);
		if (failures)
			rc = 1;
	}
	if (o.gc && source_cache_gc(cache) < 0) {
		fprintf(stderr, "error: %s\n", gs_error_last());
		rc = 1;
	}
	if (hook_calls)
		printf("progress calls=%llu bytes=%llu objects=%u/%u exported=%llu\n", hook_calls,
		       (unsigned long long)seen.received_bytes, seen.received_objects,
		       seen.total_objects, (unsigned long long)seen.exported_files);
	source_cache_stats(cache, &st);
	printf("stats connects=%llu fetches=%llu fetch_bytes=%llu exports=%llu collected=%llu\n",
	       (unsigned long long)st.connects, (unsigned long long)st.fetches,
	       (unsigned long long)st.fetch_bytes, (unsigned long long)st.exports,
	       (unsigned long long)st.collected);
	source_creds_free(creds);
	source_cache_free(cache);
	printf("fds=%d\n",
	       count_fds()); /* what is still open: a leak per operation shows with --repeat */
	return rc;
}
