/* kube_mux: many watches on one thread over one connection, gates, 410, no_list, stop. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/kube/kt.h"

#define NW 24

struct mseen {
	pthread_mutex_t mu;
	char log[4096];
	int synced, errors, listed;
};

static int mrecord(void *ctx, enum kube_event_type t, const struct doc *obj)
{
	struct mseen *s = ctx;
	pthread_mutex_lock(&s->mu);
	s->synced += t == KUBE_EVENT_SYNCED;
	s->errors += t == KUBE_EVENT_ERROR;
	s->listed += t == KUBE_EVENT_LISTED;
	if (t != KUBE_EVENT_BOOKMARK && t != KUBE_EVENT_ERROR)
		snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "%s%s%s;",
		         kube_event_type_name(t), obj ? ":" : "", obj ? doc_k8s_name(obj) : "");
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static int mwait(struct mseen *s, const char *needle, int synced)
{
	int i, ok = 0;
	for (i = 0; i < 300 && !ok; i++) {
		pthread_mutex_lock(&s->mu);
		ok = (!needle || strstr(s->log, needle)) && s->synced >= synced;
		pthread_mutex_unlock(&s->mu);
		if (!ok)
			usleep(50000);
	}
	return ok;
}

/* Connections of this process to the API server's port (/proc/self/net/tcp*, fds of ours). */
static int nconns(void)
{
	const char *url = kt_env("KUBE_API_URL"), *colon = url ? strrchr(url, ':') : NULL;
	unsigned port = colon ? (unsigned)(int)strtol(colon + 1, NULL, 10) : 0;
	const char *files[] = { "/proc/self/net/tcp", "/proc/self/net/tcp6" };
	unsigned long inodes[512];
	int ninodes = 0, n = 0;
	size_t f;
	DIR *d;
	struct dirent *e;

	for (f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "r");
		char line[512];
		while (fp && fgets(line, sizeof(line), fp)) {
			char rem[128];
			unsigned rport = 0, st = 0;
			unsigned long ino = 0;
			if (sscanf(line, " %*d: %*s %127s %x %*s %*s %*s %*s %*s %lu", rem, &st,
			           &ino) == 3 &&
			    strchr(rem, ':') && sscanf(strchr(rem, ':') + 1, "%x", &rport) == 1 &&
			    rport == port && st == 1 && ninodes < 512)
				inodes[ninodes++] = ino;
		}
		if (fp)
			fclose(fp);
	}
	d = opendir("/proc/self/fd");
	while (d && (e = readdir(d))) {
		char p[300], l[64];
		ssize_t k;
		unsigned long ino;
		int i;
		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		if ((k = readlink(p, l, sizeof(l) - 1)) <= 0)
			continue;
		l[k] = '\0';
		if (sscanf(l, "socket:[%lu]", &ino) == 1)
			for (i = 0; i < ninodes; i++)
				n += inodes[i] == ino;
	}
	if (d)
		closedir(d);
	return n;
}

void test_kube_mux__many_watches_share_one_thread_and_one_connection(void)
{
	struct kube_client *kc;
	struct kube_mux *m = NULL;
	struct kube_watch *w[NW] = { 0 };
	struct mseen s[NW];
	struct doc *o;
	const char *ns;
	int i, before, during;

	kt_setup(kc);
	ns = kt_ns(kc, "mux");
	for (i = 0; i < NW; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		pthread_mutex_init(&s[i].mu, NULL);
	}
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pre, namespace: %s, labels: "
	            "{w: '3'}}\n",
	            ns);
	must_pass(kube_create(NULL, kc, o, NULL));
	doc_free(o);
	before = nconns();
	must_pass(kube_mux_new(&m, kc));
	for (i = 0; i < NW; i++) {
		struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
		char sel[16];
		snprintf(sel, sizeof(sel), "w=%d", i);
		wo.label_selector = sel;
		wo.timeout_seconds = 60;
		must_pass(kube_watch_new(&w[i], kc, "v1", "ConfigMap", ns, &wo));
		must_pass(kube_mux_add(m, w[i], mrecord, &s[i]));
	}
	for (i = 0; i < NW; i++)
		assert_true(mwait(&s[i], NULL, 1));
	assert_str(s[3].log, "LISTED:pre;SYNCED;");
	assert_str(s[4].log, "SYNCED;");
	for (i = 0; i < NW; i++) {
		o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, namespace: %s, "
		            "labels: {w: '%d'}}\n",
		            i, ns, i);
		must_pass(kube_create(NULL, kc, o, NULL));
		doc_free(o);
	}
	for (i = 0; i < NW; i++) {
		char want[32];
		snprintf(want, sizeof(want), "ADDED:c%d;", i);
		assert_true(mwait(&s[i], want, 1));
	}
	/* every watch streaming at once: HTTP/2 carries them on one connection (the client's own
	 * requests above use its pooled HTTP/1.1 connection, open before and after alike) */
	during = nconns();
	printf("# connections to the API server before %d during %d\n", before, during);
	assert_int(during - before, 1);
	kube_mux_free(m);
	for (i = 0; i < NW; i++) {
		assert_int(s[i].errors, 0);
		kube_watch_free(w[i]);
	}
}

static int gate_closed;
static int gate(void *ctx)
{
	(void)ctx;
	return __atomic_load_n(&gate_closed, __ATOMIC_SEQ_CST);
}

void test_kube_mux__a_closed_gate_holds_the_list_pages_and_the_stream(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct kube_mux *m = NULL;
	struct kube_watch *w = NULL;
	struct mseen s;
	struct doc *o;
	const char *ns;
	int i;

	kt_setup(kc);
	ns = kt_ns(kc, "gate");
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	for (i = 0; i < 5; i++) {
		o = kt_yaml(
		    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: g%d, namespace: %s}\n", i,
		    ns);
		must_pass(kube_create(NULL, kc, o, NULL));
		doc_free(o);
	}
	wo.list_limit = 2;
	wo.timeout_seconds = 60;
	must_pass(kube_mux_new(&m, kc));
	must_pass(kube_watch_new(&w, kc, "v1", "ConfigMap", ns, &wo));
	kube_watch_set_gate(w, gate, NULL);
	gate_closed = 1;
	must_pass(kube_mux_add(m, w, mrecord, &s));
	usleep(1500 * 1000);
	assert_str(s.log, ""); /* not even the first page while closed */
	__atomic_store_n(&gate_closed, 0, __ATOMIC_SEQ_CST);
	kube_mux_kick(m);
	assert_true(mwait(&s, "SYNCED;", 1));
	assert_str(s.log, "LISTED:g0;LISTED:g1;LISTED:g2;LISTED:g3;LISTED:g4;SYNCED;");
	/* closed again: a change waits in the paused stream, and arrives once it opens */
	__atomic_store_n(&gate_closed, 1, __ATOMIC_SEQ_CST);
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: %s}\n", ns);
	must_pass(kube_create(NULL, kc, o, NULL));
	doc_free(o);
	usleep(1500 * 1000);
	assert_true(!strstr(s.log, "late"));
	__atomic_store_n(&gate_closed, 0, __ATOMIC_SEQ_CST);
	kube_mux_kick(m);
	assert_true(mwait(&s, "ADDED:late;", 1));
	kube_mux_remove(m, w);
	kube_watch_free(w);
	kube_mux_free(m);
}

void test_kube_mux__no_list_sees_only_changes_and_remove_stops_callbacks(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct kube_mux *m = NULL;
	struct kube_watch *w = NULL;
	struct mseen s;
	struct doc *o;
	const char *ns;
	size_t len;

	kt_setup(kc);
	ns = kt_ns(kc, "nolist");
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	o = kt_yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: old, namespace: "
	            "%s}\nstringData: {k: v}\n",
	            ns);
	must_pass(kube_create(NULL, kc, o, NULL));
	doc_free(o);
	wo.no_list = 1;
	wo.timeout_seconds = 60;
	must_pass(kube_mux_new(&m, kc));
	must_pass(kube_watch_new(&w, kc, "v1", "Secret", ns, &wo));
	must_pass(kube_mux_add(m, w, mrecord, &s));
	assert_true(mwait(&s, "SYNCED;", 1));
	o = kt_yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: new, namespace: "
	            "%s}\nstringData: {k: v}\n",
	            ns);
	must_pass(kube_create(NULL, kc, o, NULL));
	doc_free(o);
	must_pass(kube_delete(kc, "v1", "Secret", ns, "old", NULL));
	assert_true(mwait(&s, "DELETED:old;", 1));
	assert_str(s.log, "SYNCED;ADDED:new;DELETED:old;");
	kube_mux_remove(m, w);
	len = strlen(s.log);
	must_pass(kube_delete(kc, "v1", "Secret", ns, "new", NULL));
	usleep(500 * 1000);
	assert_int(strlen(s.log), len); /* removed: nothing more */
	kube_watch_free(w);
	kube_mux_free(m);
}

/* PodTemplates have no watch cache on our server (up.sh), so a compacted version is really gone. */
void test_kube_mux__a_watch_from_a_compacted_version_lists_again(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct kube_mux *m = NULL;
	struct kube_watch *w = NULL;
	struct doc *o = NULL, *live = NULL, *p;
	struct mseen s;
	char *rv1 = NULL, cmd[1024];
	const char *ns, *rv2;

	kt_setup(kc);
	if (!kt_env("KUBE_ETCD_URL"))
		skip_("KUBE_ETCD_URL not set");
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	ns = kt_ns(kc, "mgone");
	o = kt_yaml("apiVersion: v1\nkind: PodTemplate\nmetadata: {name: pt, namespace: %s}\n"
	            "template: {spec: {containers: [{name: c, image: busybox}]}}\n",
	            ns);
	must_pass(kube_create(&live, kc, o, NULL));
	rv1 = strdup(doc_str(doc_getp(live, "metadata", "resourceVersion", NULL)));
	doc_free(live);
	p = kt_yaml("metadata: {labels: {v: '2'}}\n");
	must_pass(kube_merge_patch(&live, kc, "v1", "PodTemplate", ns, "pt", p, NULL, NULL));
	doc_free(live);
	doc_free(p);
	p = kt_yaml("metadata: {labels: {v: '3'}}\n");
	must_pass(kube_merge_patch(&live, kc, "v1", "PodTemplate", ns, "pt", p, NULL, NULL));
	rv2 = doc_str(doc_getp(live, "metadata", "resourceVersion", NULL));
	snprintf(cmd, sizeof(cmd),
	         "curl -sf -o /dev/null -X POST -d '{\"revision\":\"%s\",\"physical\":true}' "
	         "%s/v3/kv/compaction",
	         rv2, kt_env("KUBE_ETCD_URL"));
	assert_int(system(cmd), 0);
	wo.resource_version = rv1;
	wo.timeout_seconds = 30;
	must_pass(kube_mux_new(&m, kc));
	must_pass(kube_watch_new(&w, kc, "v1", "PodTemplate", ns, &wo));
	must_pass(kube_mux_add(m, w, mrecord, &s));
	assert_true(mwait(&s, "SYNCED;", 1));
	must_pass(kube_delete(kc, "v1", "PodTemplate", ns, "pt", NULL));
	assert_true(mwait(&s, "DELETED:pt;", 1));
	assert_str(s.log, "LISTED:pt;SYNCED;DELETED:pt;");
	kube_mux_free(m);
	kube_watch_free(w);
	free(rv1);
	doc_free(o);
	doc_free(p);
	doc_free(live);
}

static int gate2_closed;
static int gate2(void *ctx)
{
	(void)ctx;
	return __atomic_load_n(&gate2_closed, __ATOMIC_SEQ_CST);
}

/* Both watches on one HTTP/2 connection: a paused stream must not hold the other one up. */
void test_kube_mux__a_paused_watch_does_not_stall_the_others(void)
{
	struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
	struct kube_client *kc;
	struct kube_mux *m = NULL;
	struct kube_watch *held = NULL, *free_ = NULL;
	struct mseen sh, sf;
	struct doc *o;
	const char *ns;
	int i;

	kt_setup(kc);
	ns = kt_ns(kc, "stall");
	memset(&sh, 0, sizeof(sh));
	memset(&sf, 0, sizeof(sf));
	pthread_mutex_init(&sh.mu, NULL);
	pthread_mutex_init(&sf.mu, NULL);
	wo.timeout_seconds = 60;
	must_pass(kube_mux_new(&m, kc));
	wo.label_selector = "w=held";
	must_pass(kube_watch_new(&held, kc, "v1", "ConfigMap", ns, &wo));
	wo.label_selector = "w=free";
	must_pass(kube_watch_new(&free_, kc, "v1", "ConfigMap", ns, &wo));
	kube_watch_set_gate(held, gate2, NULL);
	must_pass(kube_mux_add(m, held, mrecord, &sh));
	must_pass(kube_mux_add(m, free_, mrecord, &sf));
	assert_true(mwait(&sh, "SYNCED;", 1));
	assert_true(mwait(&sf, "SYNCED;", 1));
	__atomic_store_n(&gate2_closed, 1, __ATOMIC_SEQ_CST);
	/* enough for the held stream to fill its window if it were read */
	for (i = 0; i < 40; i++) {
		o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: h%d, namespace: %s, "
		            "labels: {w: held}}\n"
		            "data: {pad: '%0512d'}\n",
		            i, ns, 0);
		must_pass(kube_create(NULL, kc, o, NULL));
		doc_free(o);
	}
	o = kt_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: f, namespace: %s, labels: "
	            "{w: free}}\n",
	            ns);
	must_pass(kube_create(NULL, kc, o, NULL));
	doc_free(o);
	assert_true(mwait(&sf, "ADDED:f;", 1)); /* the free one goes on while the other is held */
	__atomic_store_n(&gate2_closed, 0, __ATOMIC_SEQ_CST);
	kube_mux_kick(m);
	assert_true(mwait(&sh, "ADDED:h39;", 1));
	kube_mux_free(m);
	kube_watch_free(held);
	kube_watch_free(free_);
}
