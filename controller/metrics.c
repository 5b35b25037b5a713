/*
 * Prometheus metrics with the upstream names (pkg/controller/metrics.go),
 * rendered in the text exposition format with labels sorted by name as the
 * Go client does. Never a value from a Secret: only names, namespaces,
 * reasons and counts.
 */
#include "controller/ctl.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS "sealed_secrets_controller_"
#define COND_BUCKETS 4096

struct counter2 { /* a counter with two labels */
	struct counter2 *next;
	char *a, *b;
	double v;
};

struct cond {
	struct cond *next;
	char *ns, *name, *instance;
	int v;
};

struct httpm {
	struct httpm *next;
	char *path, *method;
	int code;
	double count;
};

struct histo {
	struct histo *next;
	char *path, *method;
	double buckets[11], sum, count;
};

static const double bucket_le[11] = { .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double unseal_requests;
static struct counter2 *unseal_errors;
static struct cond *conds[COND_BUCKETS];
static struct httpm *http_counts;
static struct histo *http_histos;
static double start_time;

void ctl_metrics_init(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	start_time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *xstrdup(const char *s)
{
	return strdup(s ? s : "");
}

void ctl_metric_unseal_request(void)
{
	pthread_mutex_lock(&mu);
	unseal_requests++;
	pthread_mutex_unlock(&mu);
}

void ctl_metric_unseal_error(const char *reason, const char *ns)
{
	struct counter2 *c;
	pthread_mutex_lock(&mu);
	for (c = unseal_errors; c; c = c->next)
		if (!strcmp(c->a, reason) && !strcmp(c->b, ns ? ns : ""))
			break;
	if (!c && (c = calloc(1, sizeof(*c)))) {
		c->a = xstrdup(reason);
		c->b = xstrdup(ns);
		c->next = unseal_errors;
		unseal_errors = c;
	}
	if (c)
		c->v++;
	pthread_mutex_unlock(&mu);
}

static unsigned cond_hash(const char *ns, const char *name)
{
	unsigned h = 2166136261u;
	for (; *ns; ns++)
		h = (h ^ (unsigned char)*ns) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % COND_BUCKETS;
}

void ctl_metric_condition(const char *ns, const char *name, const char *instance, int value)
{
	struct cond *c, **head = &conds[cond_hash(ns, name)];
	pthread_mutex_lock(&mu);
	for (c = *head; c; c = c->next)
		if (!strcmp(c->ns, ns) && !strcmp(c->name, name))
			break;
	if (!c && (c = calloc(1, sizeof(*c)))) {
		c->ns = xstrdup(ns);
		c->name = xstrdup(name);
		c->instance = xstrdup(instance);
		c->next = *head;
		*head = c;
	}
	if (c)
		c->v = value;
	pthread_mutex_unlock(&mu);
}

void ctl_metric_condition_del(const char *ns, const char *name)
{
	struct cond *c, **pp = &conds[cond_hash(ns, name)];
	pthread_mutex_lock(&mu);
	for (; (c = *pp); pp = &c->next)
		if (!strcmp(c->ns, ns) && !strcmp(c->name, name)) {
			*pp = c->next;
			free(c->ns);
			free(c->name);
			free(c->instance);
			free(c);
			break;
		}
	pthread_mutex_unlock(&mu);
}

void ctl_metric_http(const char *path, const char *method, int code, double seconds)
{
	struct httpm *m;
	struct histo *h;
	int i;

	pthread_mutex_lock(&mu);
	for (m = http_counts; m; m = m->next)
		if (m->code == code && !strcmp(m->path, path) && !strcmp(m->method, method))
			break;
	if (!m && (m = calloc(1, sizeof(*m)))) {
		m->path = xstrdup(path);
		m->method = xstrdup(method);
		m->code = code;
		m->next = http_counts;
		http_counts = m;
	}
	if (m)
		m->count++;
	for (h = http_histos; h; h = h->next)
		if (!strcmp(h->path, path) && !strcmp(h->method, method))
			break;
	if (!h && (h = calloc(1, sizeof(*h)))) {
		h->path = xstrdup(path);
		h->method = xstrdup(method);
		h->next = http_histos;
		http_histos = h;
	}
	if (h) {
		for (i = 0; i < 11; i++)
			if (seconds <= bucket_le[i])
				h->buckets[i]++;
		h->sum += seconds;
		h->count++;
	}
	pthread_mutex_unlock(&mu);
}

/* Label values escaped as the exposition format wants (\\, \", \n). */
static int add_label(struct buf *out, const char *k, const char *v, int first)
{
	int rc = buf_addf(out, "%s%s=\"", first ? "" : ",", k);
	for (; rc >= 0 && *v; v++)
		rc = *v == '\\' ? buf_adds(out, "\\\\") : *v == '"' ? buf_adds(out, "\\\"") :
		     *v == '\n' ? buf_adds(out, "\\n") : buf_addc(out, *v);
	return rc < 0 ? rc : buf_addc(out, '"');
}

static void proc_stats(double *cpu, double *rss, double *fds)
{
	FILE *f = fopen("/proc/self/stat", "r");
	char line[1024];
	unsigned long ut = 0, st = 0;
	long rsspages = 0;
	*cpu = *rss = *fds = 0;
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			const char *p = strrchr(line, ')');
			/* fields after "(comm)": state(3) ... utime(14) stime(15) ... rss(24) */
			if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d "
			                       "%*d %*u %*u %ld", &ut, &st, &rsspages) == 3) {
				*cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
				*rss = (double)rsspages * (double)sysconf(_SC_PAGESIZE);
			}
		}
		fclose(f);
	}
	{
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				(*fds)++;
		if (d) {
			closedir(d);
			(*fds)--; /* the directory's own descriptor */
		}
	}
}

int ctl_metrics_render(struct buf *out)
{
	struct counter2 *c;
	struct httpm *m;
	struct histo *h;
	double cpu, rss, fds;
	size_t i;
	int rc = 0, j;

	proc_stats(&cpu, &rss, &fds);
	pthread_mutex_lock(&mu);
	rc = buf_addf(out,
	              "# HELP " NS "build_info Build information.\n# TYPE " NS "build_info gauge\n"
	              NS "build_info{revision=\"%s\"} 1\n"
	              "# HELP " NS "unseal_requests_total Total number of sealed secret unseal requests\n"
	              "# TYPE " NS "unseal_requests_total counter\n" NS "unseal_requests_total %.17g\n"
	              "# HELP " NS "unseal_errors_total Total number of sealed secret unseal errors by reason\n"
	              "# TYPE " NS "unseal_errors_total counter\n",
	              CTL_VERSION, unseal_requests);
	for (c = unseal_errors; rc >= 0 && c; c = c->next) {
		rc = buf_adds(out, NS "unseal_errors_total{");
		if (rc >= 0)
			rc = add_label(out, "namespace", c->b, 1);
		if (rc >= 0)
			rc = add_label(out, "reason", c->a, 0);
		if (rc >= 0)
			rc = buf_addf(out, "} %.17g\n", c->v);
	}
	if (rc >= 0)
		rc = buf_adds(out, "# HELP " NS "condition_info Current SealedSecret condition status. Values are -1 "
		                   "(false), 0 (unknown or absent), 1 (true)\n# TYPE " NS "condition_info gauge\n");
	for (i = 0; rc >= 0 && i < COND_BUCKETS; i++) {
		struct cond *k;
		for (k = conds[i]; rc >= 0 && k; k = k->next) {
			rc = buf_adds(out, NS "condition_info{condition=\"Synced\"");
			if (rc >= 0)
				rc = add_label(out, "name", k->name, 0);
			if (rc >= 0)
				rc = add_label(out, "namespace", k->ns, 0);
			if (rc >= 0)
				rc = add_label(out, "ss_app_kubernetes_io_instance", k->instance, 0);
			if (rc >= 0)
				rc = buf_addf(out, "} %d\n", k->v);
		}
	}
	if (rc >= 0)
		rc = buf_adds(out, "# HELP " NS "http_requests_total Total number of HTTP requests by path, method and "
		                   "status code.\n# TYPE " NS "http_requests_total counter\n");
	for (m = http_counts; rc >= 0 && m; m = m->next)
		rc = buf_addf(out, NS "http_requests_total{code=\"%d\",method=\"%s\",path=\"%s\"} %.17g\n", m->code,
		              m->method, m->path, m->count);
	if (rc >= 0)
		rc = buf_adds(out, "# HELP " NS "http_request_duration_seconds HTTP request latencies in seconds.\n"
		                   "# TYPE " NS "http_request_duration_seconds histogram\n");
	for (h = http_histos; rc >= 0 && h; h = h->next) {
		for (j = 0; rc >= 0 && j < 11; j++)
			rc = buf_addf(out, NS "http_request_duration_seconds_bucket{method=\"%s\",path=\"%s\",le=\"%g\"} %.17g\n",
			              h->method, h->path, bucket_le[j], h->buckets[j]);
		if (rc >= 0)
			rc = buf_addf(out,
			              NS "http_request_duration_seconds_bucket{method=\"%s\",path=\"%s\",le=\"+Inf\"} %.17g\n"
			              NS "http_request_duration_seconds_sum{method=\"%s\",path=\"%s\"} %.17g\n"
			              NS "http_request_duration_seconds_count{method=\"%s\",path=\"%s\"} %.17g\n",
			              h->method, h->path, h->count, h->method, h->path, h->sum, h->method, h->path, h->count);
	}
	pthread_mutex_unlock(&mu);
	if (rc >= 0)
		rc = buf_addf(out,
		              "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
		              "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.17g\n"
		              "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		              "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %.17g\n"
		              "# HELP process_open_fds Number of open file descriptors.\n"
		              "# TYPE process_open_fds gauge\nprocess_open_fds %.17g\n"
		              "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
		              "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.17g\n",
		              cpu, rss, fds, start_time);
	return rc;
}
