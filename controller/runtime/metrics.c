/*
 * The Prometheus registry: counter, gauge and histogram families with label sets, rendered in
 * the text exposition format (0.0.4) in registration order, then the process_* metrics as the Go
 * client exports them. Never a value from a Secret: only names, namespaces, reasons and counts.
 *
 * Bounded and always parseable: each family holds at most max_series series (a new one past it
 * is dropped and counted in gitseal_metric_series_dropped_total{metric}); every label value goes
 * through the one escaper (core/text.h prom_label_quote); a render that does not fit its buffer
 * ends after the last whole family, never inside a line.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/runtime/runtime.h"
#include "core/text.h"

#define MAX_SERIES_DEFAULT 10000

#define SEP '\x1f' /* between label values in a series key: not in names, namespaces or paths */

struct series {
	double v;        /* counter, gauge; histogram: count */
	double sum;      /* histogram */
	double *buckets; /* histogram: cumulative counts per bound */
	char **values;   /* one per label */
};

struct rt_metric {
	struct rt_metric *next;
	struct rt_registry *r;
	enum rt_metric_type type;
	char *name, *help;
	char **labels;
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	struct rt_map series; /* values joined with SEP -> struct series */
	double dropped;       /* series not made: the family was full */
};

struct rt_registry {
	pthread_mutex_t mu;
	struct rt_metric *head, *tail;
	double start_time;
	size_t max_series; /* per family */
};

struct rt_registry *rt_registry_new(void)
{
	struct rt_registry *r = calloc(1, sizeof(*r));
	struct timespec ts;
	if (!r)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	r->max_series = MAX_SERIES_DEFAULT;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->start_time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	return r;
}

static void series_free(void *p)
{
	struct series *s = p;
	if (!s)
		return;
	if (s->values) {
		char **v;
		for (v = s->values; *v; v++)
			free(*v);
	}
	free(s->values);
	free(s->buckets);
	free(s);
}

static void metric_free(struct rt_metric *m)
{
	size_t i;
	rt_map_release(&m->series, series_free);
	for (i = 0; i < m->nlabels; i++)
		free(m->labels[i]);
	free(m->labels);
	free(m->bounds);
	free(m->name);
	free(m->help);
	free(m);
}

void rt_registry_set_max_series(struct rt_registry *r, size_t max)
{
	pthread_mutex_lock(&r->mu);
	r->max_series = max ? max : MAX_SERIES_DEFAULT;
	pthread_mutex_unlock(&r->mu);
}

void rt_registry_free(struct rt_registry *r)
{
	if (!r)
		return;
	while (r->head) {
		struct rt_metric *m = r->head;
		r->head = m->next;
		metric_free(m);
	}
	pthread_mutex_destroy(&r->mu);
	free(r);
}

struct rt_metric *rt_metric_new(struct rt_registry *r, enum rt_metric_type type, const char *name,
                                const char *help, const char *const *labels, const double *buckets,
                                size_t nbuckets)
{
	struct rt_metric *m;
	size_t i, n = 0;

	pthread_mutex_lock(&r->mu);
	for (m = r->head; m; m = m->next)
		if (!strcmp(m->name, name))
			goto out;
	while (labels && labels[n])
		n++;
	if (!(m = calloc(1, sizeof(*m))) || !(m->name = strdup(name)) ||
	    !(m->help = strdup(help ? help : "")) ||
	    (n && !(m->labels = calloc(n, sizeof(char *)))) ||
	    (type == RT_HISTOGRAM && nbuckets && !(m->bounds = calloc(nbuckets, sizeof(double)))))
		goto fail;
	m->r = r;
	m->type = type;
	for (i = 0; i < n; i++) {
		if (!(m->labels[i] = strdup(labels[i])))
			goto fail;
		m->nlabels++;
	}
	if (type == RT_HISTOGRAM) {
		for (i = 0; i < nbuckets; i++)
			m->bounds[i] = buckets[i];
		m->nbounds = nbuckets;
	}
	if (r->tail)
		r->tail->next = m;
	else
		r->head = m;
	r->tail = m;
	goto out;
fail:
	if (m)
		metric_free(m);
	m = NULL;
out:
	pthread_mutex_unlock(&r->mu);
	return m;
}

/* The series key of values (joined with SEP) into key. */
static int series_key(const struct rt_metric *m, const char *const *values, struct buf *key)
{
	size_t i;
	int rc = 0;
	for (i = 0; rc >= 0 && i < m->nlabels; i++) {
		if (i)
			rc = buf_addc(key, SEP);
		if (rc >= 0)
			rc = buf_adds(key, values && values[i] ? values[i] : "");
	}
	return rc;
}

/* Under r->mu: the series for values, created on first use (NULL: out of memory). */
static struct series *series_get(struct rt_metric *m, const char *const *values, int create)
{
	struct buf key = BUF_INIT(1 << 16);
	struct series *s = NULL;
	size_t i;

	if (series_key(m, values, &key) < 0)
		goto out;
	if ((s = rt_map_get(&m->series, key.p)) || !create)
		goto out;
	if (m->series.n >= m->r->max_series) {
		m->dropped++;
		goto out;
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->values = calloc(m->nlabels + 1, sizeof(char *))) ||
	    (m->nbounds && !(s->buckets = calloc(m->nbounds, sizeof(double)))))
		goto fail;
	for (i = 0; i < m->nlabels; i++)
		if (!(s->values[i] = strdup(values && values[i] ? values[i] : "")))
			goto fail;
	if (rt_map_put(&m->series, key.p, s) < 0)
		goto fail;
	goto out;
fail:
	series_free(s);
	s = NULL;
out:
	buf_release(&key);
	return s;
}

void rt_metric_add(struct rt_metric *m, const char *const *values, double v)
{
	struct series *s;
	if (!m)
		return;
	pthread_mutex_lock(&m->r->mu);
	if ((s = series_get(m, values, 1)))
		s->v += v;
	pthread_mutex_unlock(&m->r->mu);
}

void rt_metric_set(struct rt_metric *m, const char *const *values, double v)
{
	struct series *s;
	if (!m)
		return;
	pthread_mutex_lock(&m->r->mu);
	if ((s = series_get(m, values, 1)))
		s->v = v;
	pthread_mutex_unlock(&m->r->mu);
}

void rt_metric_observe(struct rt_metric *m, const char *const *values, double v)
{
	struct series *s;
	size_t i;
	if (!m)
		return;
	pthread_mutex_lock(&m->r->mu);
	if ((s = series_get(m, values, 1))) {
		for (i = 0; i < m->nbounds; i++)
			if (v <= m->bounds[i])
				s->buckets[i]++;
		s->sum += v;
		s->v++;
	}
	pthread_mutex_unlock(&m->r->mu);
}

struct match {
	const struct rt_metric *m;
	const char *const *values;
};

static int matches(void *ctx, const char *key, void *val)
{
	struct match *mt = ctx;
	struct series *s = val;
	size_t i;
	(void)key;
	for (i = 0; i < mt->m->nlabels; i++)
		if (mt->values[i] && strcmp(mt->values[i], s->values[i]))
			return 0;
	series_free(s);
	return 1;
}

void rt_metric_del(struct rt_metric *m, const char *const *values)
{
	struct buf key = BUF_INIT(1 << 16);
	size_t i, partial = 0;
	if (!m)
		return;
	for (i = 0; values && i < m->nlabels; i++)
		partial |= !values[i];
	pthread_mutex_lock(&m->r->mu);
	if (partial) { /* client_golang's DeletePartialMatch: every series that agrees on the others
		        */
		struct match mt = { m, values };
		rt_map_each_del(&m->series, matches, &mt);
	} else if (series_key(m, values, &key) >= 0) {
		series_free(rt_map_del(&m->series, key.p));
	}
	pthread_mutex_unlock(&m->r->mu);
	buf_release(&key);
}

/* ---- rendering --------------------------------------------------------------------------------
 */

/* k="v": the value through the one escaper (\\, \", \n; invalid UTF-8 as U+FFFD). */
static int add_label(struct buf *out, const char *k, const char *v, int first)
{
	int rc = buf_addf(out, "%s%s=", first ? "" : ",", k);
	return rc < 0 ? rc : prom_label_quote(out, v, strlen(v));
}

/* "name{a="x",b="y"" (no closing brace) */
static int open_series(struct buf *out, const struct rt_metric *m, const char *suffix,
                       const struct series *s)
{
	size_t i;
	int rc = buf_addf(out, "%s%s{", m->name, suffix);
	for (i = 0; rc >= 0 && i < m->nlabels; i++)
		rc = add_label(out, m->labels[i], s->values[i], i == 0);
	return rc;
}

struct render {
	const struct rt_metric *m;
	struct buf *out;
	int rc;
};

static void render_series(void *ctx, const char *key, void *val)
{
	struct render *r = ctx;
	const struct rt_metric *m = r->m;
	const struct series *s = val;
	size_t i;
	(void)key;

	if (r->rc < 0)
		return;
	if (m->type != RT_HISTOGRAM) {
		if (!m->nlabels)
			r->rc = buf_addf(r->out, "%s %.17g\n", m->name, s->v);
		else if ((r->rc = open_series(r->out, m, "", s)) >= 0)
			r->rc = buf_addf(r->out, "} %.17g\n", s->v);
		return;
	}
	for (i = 0; r->rc >= 0 && i <= m->nbounds; i++) {
		if ((r->rc = open_series(r->out, m, "_bucket", s)) < 0)
			break;
		if (i < m->nbounds)
			r->rc = buf_addf(r->out, "%sle=\"%g\"} %.17g\n", m->nlabels ? "," : "",
			                 m->bounds[i], s->buckets[i]);
		else
			r->rc =
			    buf_addf(r->out, "%sle=\"+Inf\"} %.17g\n", m->nlabels ? "," : "", s->v);
	}
	if (r->rc >= 0 && (r->rc = open_series(r->out, m, "_sum", s)) >= 0)
		r->rc = buf_addf(r->out, "} %.17g\n", s->sum);
	if (r->rc >= 0 && (r->rc = open_series(r->out, m, "_count", s)) >= 0)
		r->rc = buf_addf(r->out, "} %.17g\n", s->v);
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
			if (p && sscanf(p + 2,
			                "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d "
			                "%*d %*d %*d %*d "
			                "%*d %*u %*u %ld",
			                &ut, &st, &rsspages) == 3) {
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

/* The series each full family dropped (a family of its own, only when something was dropped). */
static int render_dropped(struct rt_registry *reg, struct buf *out)
{
	struct rt_metric *m;
	int rc = 0, any = 0;
	for (m = reg->head; rc >= 0 && m; m = m->next) {
		if (!m->dropped)
			continue;
		if (!any++)
			rc = buf_adds(out, "# HELP gitseal_metric_series_dropped_total Series not "
			                   "recorded because their family was full.\n"
			                   "# TYPE gitseal_metric_series_dropped_total counter\n");
		if (rc >= 0 && (rc = buf_adds(out, "gitseal_metric_series_dropped_total{")) >= 0 &&
		    (rc = add_label(out, "metric", m->name, 1)) >= 0)
			rc = buf_addf(out, "} %.17g\n", m->dropped);
	}
	return rc;
}

int rt_registry_render(struct rt_registry *reg, struct buf *out)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	struct rt_metric *m;
	double cpu, rss, fds;
	size_t whole = out->len; /* the end of the last family that fit */
	int rc = 0;

	proc_stats(&cpu, &rss, &fds);
	pthread_mutex_lock(&reg->mu);
	for (m = reg->head; rc >= 0 && m; m = m->next) {
		struct render r = { m, out, 0 };
		rc = buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
		              types[m->type]);
		if (rc >= 0 && !m->nlabels && !m->series.n && m->type != RT_HISTOGRAM)
			rc = buf_addf(
			    out, "%s 0\n",
			    m->name); /* a plain counter or gauge is there from the start */
		if (rc >= 0) {
			rt_map_each(&m->series, render_series, &r);
			rc = r.rc;
		}
		if (rc >= 0)
			whole = out->len;
	}
	if (rc >= 0 && (rc = render_dropped(reg, out)) >= 0)
		whole = out->len;
	pthread_mutex_unlock(&reg->mu);
	if (rc >= 0)
		rc = buf_addf(
		    out,
		    "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
		    "seconds.\n"
		    "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.17g\n"
		    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		    "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes "
		    "%.17g\n"
		    "# HELP process_open_fds Number of open file descriptors.\n"
		    "# TYPE process_open_fds gauge\nprocess_open_fds %.17g\n"
		    "# HELP process_start_time_seconds Start time of the process since unix epoch "
		    "in seconds.\n"
		    "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.17g\n",
		    cpu, rss, fds, reg->start_time);
	if (rc < 0)
		buf_truncate(out, whole); /* whole families only: the rest does not fit */
	return rc;
}
