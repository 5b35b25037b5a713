/* What a real server won't do on demand, from tests/kube/canned.py: 429, 503, 500, truncated
 * bodies, dropped watches, 401 after a token rotation. Plus unreachable servers. */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "tests/kube/kt.h"

static struct kube_client *canned_client(const char *token_file, int retries)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_client_opts o = KUBE_CLIENT_OPTS_INIT;
	struct kube_client *kc = NULL;

	cfg.server = strdup(kt_env("KT_CANNED_URL"));
	cfg.ns = strdup("ns");
	if (token_file)
		cfg.token_file = strdup(token_file);
	o.backoff_base_ms = 20;
	o.max_retries = retries;
	if (kube_client_new(&kc, &cfg, &o) < 0)
		printf("# %s\n", gs_error_last());
	kube_config_release(&cfg);
	return kc;
}

static long long counter(const char *name)
{
	struct buf b = BUF_INIT(4096);
	struct doc *d = NULL;
	long long n = -1;
	char url[512];
	snprintf(url, sizeof(url), "%s/count/%s", kt_env("KT_CANNED_URL"), name);
	if (kube_fetch_url(&b, url, 5000) == 0 &&
	    doc_parse_one(&d, "count", b.p, b.len, DOC_PARSE_JSON) == 0)
		doc_get_int(doc_get(d, "count"), &n);
	doc_free(d);
	buf_release(&b);
	return n;
}

#define need_canned()                                                                              \
	do {                                                                                       \
		if (!kt_env("KT_CANNED_URL"))                                                      \
			skip_("KT_CANNED_URL not set (t5000-client.sh sets it)");                  \
	} while (0)

void test_kube_canned__429_is_retried_after_retry_after(void)
{
	struct kube_client *kc;
	struct doc *o = NULL;
	need_canned();
	kc = canned_client(NULL, 0);
	must_pass(kube_get(&o, kc, "v1", "ConfigMap", NULL, "r429"));
	assert_int(counter("r429"), 2);
	doc_free(o);
	kube_client_free(kc);
}

void test_kube_canned__503_is_retried_500_is_not(void)
{
	struct kube_client *kc;
	struct doc *o = NULL;
	need_canned();
	kc = canned_client(NULL, 0);
	must_pass(kube_get(&o, kc, "v1", "ConfigMap", NULL, "r503"));
	assert_int(counter("r503"), 3);
	doc_free(o);
	o = NULL;
	must_fail_with(kube_get(&o, kc, "v1", "ConfigMap", NULL, "r500"), GS_EIO);
	assert_contains(gs_error_last(),
	                ".bogus: field not declared in schema (InternalError, 500)");
	assert_int(counter("r500"), 1);
	kube_client_free(kc);
	/* with retries off, a 503 is the caller's */
	kc = canned_client(NULL, -1);
	{
		struct kube_request rq = { "GET", "/reset", NULL, NULL, 0, 0 };
		must_pass(kube_request(kc, &rq, NULL));
	}
	must_fail_with(kube_get(&o, kc, "v1", "ConfigMap", NULL, "r503"), GS_EIO);
	assert_contains(gs_error_last(), "(ServiceUnavailable, 503)");
	assert_int(counter("r503"), 1);
	kube_client_free(kc);
}

void test_kube_canned__truncated_body_is_an_error(void)
{
	struct kube_client *kc;
	struct doc *o = NULL;
	need_canned();
	kc = canned_client(NULL, -1);
	must_fail_with(kube_get(&o, kc, "v1", "ConfigMap", NULL, "trunc"), GS_EIO);
	assert_contains(gs_error_last(), "/api/v1/namespaces/ns/configmaps/trunc");
	assert_true(o == NULL);
	kube_client_free(kc);
}

struct wctx {
	int added, modified;
	char rv[32];
};

static int on_ev(void *ctx, enum kube_event_type t, const struct doc *obj)
{
	struct wctx *w = ctx;
	snprintf(w->rv, sizeof(w->rv), "%s",
	         doc_str(doc_getp(obj, "metadata", "resourceVersion", NULL)));
	if (t == KUBE_EVENT_ADDED)
		w->added++;
	if (t == KUBE_EVENT_MODIFIED) {
		w->modified++;
		return 7; /* stop */
	}
	return 0;
}

void test_kube_canned__dropped_watch_resumes_from_the_last_version(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct kube_watch *w = NULL;
	struct wctx c = { 0, 0, "" };
	need_canned();
	kc = canned_client(NULL, 0);
	wo.resource_version = "4";
	must_pass(kube_watch_new(&w, kc, "v1", "ConfigMap", NULL, &wo));
	/* one request: the event arrives in two pieces, then the connection drops */
	must_fail_with(kube_watch_once(w, on_ev, &c), GS_EIO);
	assert_int(c.added, 1);
	assert_str(kube_watch_resource_version(w), "5");
	/* the loop resumes from resourceVersion 5 and gets the MODIFIED event */
	assert_int(kube_watch_run(w, on_ev, &c), 7);
	assert_int(c.modified, 1);
	assert_str(kube_watch_resource_version(w), "6");
	kube_watch_free(w);
	kube_client_free(kc);
}

static int log_events(void *ctx, enum kube_event_type t, const struct doc *obj)
{
	char *log = ctx;
	snprintf(log + strlen(log), 256 - strlen(log), "%s:%s;", kube_event_type_name(t),
	         obj && doc_k8s_name(obj) ? doc_k8s_name(obj) : "");
	return t == KUBE_EVENT_DELETED ? 5 : 0;
}

void test_kube_canned__error_event_410_means_list_again(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct kube_watch *w = NULL;
	char log[256] = "";
	need_canned();
	kc = canned_client(NULL, 0);
	wo.resource_version = "gone";
	must_pass(kube_watch_new(&w, kc, "v1", "ConfigMap", NULL, &wo));
	must_fail_with(kube_watch_once(w, log_events, log), GS_EGONE);
	assert_contains(gs_error_last(), "too old resource version");
	assert_contains(gs_error_last(), "(Expired, 410)");
	assert_str(log, "");
	/* run: list (items get their apiVersion/kind), SYNCED, watch from the list's version 10 */
	assert_int(kube_watch_run(w, log_events, log), 5);
	assert_str(log, "LISTED:listed;SYNCED:;BOOKMARK:;DELETED:listed;");
	assert_str(kube_watch_resource_version(w), "12");
	kube_watch_free(w);
	kube_client_free(kc);
}

void test_kube_canned__silent_watch_is_broken_after_the_idle_timeout(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct kube_watch *w = NULL;
	char log[256] = "";
	need_canned();
	kc = canned_client(NULL, 0);
	wo.resource_version = "hang";
	wo.idle_timeout_ms = 1000;
	must_pass(kube_watch_new(&w, kc, "v1", "ConfigMap", NULL, &wo));
	must_fail_with(kube_watch_once(w, log_events, log), GS_EIO);
	assert_contains(gs_error_last(), "watch=1");
	assert_contains(gs_error_last(), "slow");
	kube_watch_free(w);
	kube_client_free(kc);
}

void test_kube_canned__rotated_token_file_is_read_again(void)
{
	struct kube_client *kc;
	struct doc *o = NULL;
	struct timespec ts[2];
	struct stat st;
	const char *tf;
	need_canned();
	tf = kt_write_tmp("token", "tok1\n", 5);
	kc = canned_client(tf, -1);
	must_pass(kube_get(&o, kc, "v1", "ConfigMap", NULL, "whoami"));
	assert_str(doc_str(doc_getp(o, "data", "token", NULL)), "tok1");
	doc_free(o);
	o = NULL;

	/* rotated with the same mtime: only the 401 makes the client read it again (once) */
	must_pass(stat(tf, &st) == 0 ? 0 : -1);
	tf = kt_write_tmp("token", "tok2", 4);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	must_pass(utimensat(AT_FDCWD, tf, ts, 0) == 0 ? 0 : -1);
	must_pass(kube_get(&o, kc, "v1", "ConfigMap", NULL, "need-tok2"));
	assert_int(counter("need-tok2"), 2);
	doc_free(o);
	o = NULL;
	must_pass(kube_get(&o, kc, "v1", "ConfigMap", NULL, "whoami"));
	assert_str(doc_str(doc_getp(o, "data", "token", NULL)), "tok2");
	doc_free(o);
	kube_client_free(kc);
}

/* Run the plugin for two requests; the count file tells how many times it ran. */
static int exec_runs(const char *expires, int cluster_info, const char **token)
{
	static char tok[64];
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_exec_config ex = { 0 };
	struct kube_client *kc = NULL;
	struct buf script = BUF_INIT(4096), cnt = BUF_INIT(4096);
	struct doc *o = NULL;
	char *args[1], myvar[] = "MYVAR=abc", exp[128], *env[2] = { myvar, exp };
	int runs = -1, i;

	snprintf(exp, sizeof(exp), "EXP=%s", expires);
	args[0] = strdup(kt_write_tmp("exec.count", "", 0));
	buf_addf(&script,
	         "#!/bin/sh\n"
	         "case \"$KUBERNETES_EXEC_INFO\" in *'\"kind\":\"ExecCredential\"'*) ;; *) exit "
	         "3;; esac\n"
	         "case \"$KUBERNETES_EXEC_INFO\" in *'\"cluster\":{\"server\":\"http'*) c=-ci;; *) "
	         "c=;; esac\n"
	         "echo run >> \"$1\"\n"
	         "printf "
	         "'{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
	         "\"status\":{\"token\":\"exec-%%s%%s\",\"expirationTimestamp\":\"%%s\"}}' "
	         "\"$MYVAR\" \"$c\" \"$EXP\"\n");
	chmod(kt_write_tmp("plugin.sh", script.p, script.len), 0700);
	ex.api_version = strdup("client.authentication.k8s.io/v1");
	ex.command = strdup(kt_write_tmp("plugin.sh", script.p, script.len));
	chmod(ex.command, 0700);
	ex.args = args;
	ex.nargs = 1;
	ex.env = env;
	ex.nenv = 2;
	ex.provide_cluster_info = cluster_info;
	cfg.server = strdup(kt_env("KT_CANNED_URL"));
	cfg.ns = strdup("ns");
	cfg.exec = &ex;
	if (kube_client_new(&kc, &cfg, NULL) < 0)
		goto out;
	for (i = 0; i < 2; i++) {
		doc_free(o);
		o = NULL;
		if (kube_get(&o, kc, "v1", "ConfigMap", NULL, "whoami") < 0)
			goto out;
		snprintf(tok, sizeof(tok), "%s", doc_str(doc_getp(o, "data", "token", NULL)));
		*token = tok;
	}
	if (file_read(&cnt, args[0]) == 0)
		for (runs = 0, i = 0; i < (int)cnt.len; i++)
			runs += cnt.p[i] == '\n';
out:
	cfg.exec = NULL;
	kube_client_free(kc);
	kube_config_release(&cfg);
	doc_free(o);
	free(args[0]);
	free(ex.api_version);
	free(ex.command);
	buf_release(&script);
	buf_release(&cnt);
	return runs;
}

void test_kube_canned__exec_plugin_token_is_cached_until_it_expires(void)
{
	const char *tok = NULL;
	need_canned();
	/* valid for long: one run serves both requests */
	assert_int(exec_runs("2999-01-01T00:00:00Z", 0, &tok), 1);
	assert_str(tok, "exec-abc");
	/* already expired: run again for each request (discovery + 2 GETs); provideClusterInfo
	 * passes the server */
	assert_int(exec_runs("2000-01-01T00:00:00Z", 1, &tok), 3);
	assert_str(tok, "exec-abc-ci");
}

void test_kube_canned__request_timeout_names_the_url(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_client_opts o = KUBE_CLIENT_OPTS_INIT;
	struct kube_client *kc = NULL;
	struct doc *d = NULL;
	need_canned();
	cfg.server = strdup(kt_env("KT_CANNED_URL"));
	cfg.ns = strdup("ns");
	o.timeout_ms = 500;
	must_pass(kube_client_new(&kc, &cfg, &o));
	must_fail_with(kube_get(&d, kc, "v1", "ConfigMap", NULL, "slow"), GS_EIO);
	assert_contains(gs_error_last(), "configmaps/slow");
	assert_contains(gs_error_last(), "imed out");
	kube_client_free(kc);
	kube_config_release(&cfg);
}

void test_kube_canned__unreachable_server_fails_quickly_and_clearly(void)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube_client_opts o = KUBE_CLIENT_OPTS_INIT;
	struct kube_client *kc = NULL;
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	struct doc *d = NULL;
	char url[64];
	int fd;

	/* a port that was free a moment ago: connection refused */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", ntohs(sa.sin_port));
	cfg.server = strdup(url);
	o.connect_timeout_ms = 1000;
	must_pass(kube_client_new(&kc, &cfg, &o));
	must_fail_with(kube_get(&d, kc, "v1", "ConfigMap", "x", "y"), GS_EIO);
	assert_contains(gs_error_last(), url);
	assert_contains(gs_error_last(), "onnect");
	kube_client_free(kc);
	kube_config_release(&cfg);

	/* a TLS server that never answers the handshake: the connect timeout ends it */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = 0;
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	listen(fd, 1);
	sl = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", ntohs(sa.sin_port));
	cfg.server = strdup(url);
	o.connect_timeout_ms = 300;
	must_pass(kube_client_new(&kc, &cfg, &o));
	must_fail_with(kube_get(&d, kc, "v1", "ConfigMap", "x", "y"), GS_EIO);
	assert_contains(gs_error_last(), url);
	assert_contains(gs_error_last(), "time");
	close(fd);
	kube_client_free(kc);
	kube_config_release(&cfg);
}
