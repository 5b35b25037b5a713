/*
 * gitseal get apps [NAME] [-A] [-n NS] [-o wide|json|yaml]: Applications as
 * kubectl get shows them, with the reconciler's status:
 *
 *   NAME   SYNC     HEALTH        REVISION   AGE   MESSAGE
 *   web    Synced   Progressing   1a2b3c4    12m   Deployment prod/web: 0 of 2 updated...
 *
 * -A adds NAMESPACE in front, -o wide adds REPO, PATH and DESTINATION
 * (namespace@cluster). -o json|yaml prints the objects as the API returns them
 * (a v1 List without NAME), keys sorted as kubectl prints them, so the output
 * only changes when the objects do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/app_cli.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/doc.h"

enum { OUT_TABLE, OUT_WIDE, OUT_JSON, OUT_YAML };

static const struct cli_opt get_options[] = {
	{ "all-namespaces", 'A', no_argument, NULL, "Applications of every namespace" },
	{ "output", 'o', required_argument, "FMT", "wide, json or yaml" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage(FILE *f, const struct cli_opt *opts)
{
	fprintf(f, "usage: gitseal get apps [NAME] [-A] [-n NS] [-o wide|json|yaml]\n"
	           "List Applications with their sync and health status.\n\n");
	cli_opt_help(f, opts);
}

/* kubectl's duration.HumanDuration: "45s", "3m20s", "12m", "5h3m", "20h", "3d4h", "120d", "2y3d" */
static void human_duration(char *out, size_t n, long long secs)
{
	long long m = secs / 60, h = secs / 3600, d = h / 24;
	if (secs < -1)
		snprintf(out, n, "<invalid>");
	else if (secs < 0)
		snprintf(out, n, "0s");
	else if (secs < 120)
		snprintf(out, n, "%llds", secs);
	else if (m < 10)
		snprintf(out, n, secs % 60 ? "%lldm%llds" : "%lldm", m, secs % 60);
	else if (m < 180)
		snprintf(out, n, "%lldm", m);
	else if (h < 8)
		snprintf(out, n, m % 60 ? "%lldh%lldm" : "%lldh", h, m % 60);
	else if (h < 48)
		snprintf(out, n, "%lldh", h);
	else if (h < 24 * 8)
		snprintf(out, n, h % 24 ? "%lldd%lldh" : "%lldd", d, h % 24);
	else if (h < 24 * 365 * 2)
		snprintf(out, n, "%lldd", d);
	else if (h < 24 * 365 * 8)
		snprintf(out, n, d % 365 ? "%lldy%lldd" : "%lldy", d / 365, d % 365);
	else
		snprintf(out, n, "%lldy", d / 365);
}

/* A commit id shortened as git shows it; anything else (a chart version) as it is. */
static void short_revision(char *out, size_t n, const char *rev)
{
	size_t len = rev ? strlen(rev) : 0;
	if (len >= 40 && strspn(rev, "0123456789abcdef") == len)
		len = 7;
	snprintf(out, n, "%.*s", (int)len, rev ? rev : "");
}

/* ---- the table ---------------------------------------------------------------------------- */

#define MAX_COLS 10

struct table {
	char **cells; /* rows * ncols, owned */
	size_t rows, cap, ncols;
	size_t width[MAX_COLS];
};

static void table_release(struct table *t)
{
	size_t i;
	for (i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* One row of t->ncols cells (copied; a newline in a cell becomes a space: one line per row). */
static int table_add(struct table *t, const char *const *cells)
{
	size_t i;
	if (t->rows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **v = realloc(t->cells, cap * t->ncols * sizeof(*v));
		if (!v)
			return gs_error(GS_ENOMEM, "out of memory");
		t->cells = v;
		t->cap = cap;
	}
	for (i = 0; i < t->ncols; i++) {
		char *c = strdup(cells[i] ? cells[i] : ""), *p;
		if (!c) {
			while (i--)
				free(t->cells[t->rows * t->ncols + i]);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		for (p = c; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		t->cells[t->rows * t->ncols + i] = c;
		if (strlen(c) > t->width[i])
			t->width[i] = strlen(c);
	}
	t->rows++;
	return 0;
}

/* kubectl's tabwriter: three spaces between columns, the last one unpadded */
static int table_print(struct buf *out, const struct table *t)
{
	size_t r, i;
	int rc = 0;
	for (r = 0; r < t->rows && rc >= 0; r++) {
		for (i = 0; i < t->ncols && rc >= 0; i++) {
			const char *c = t->cells[r * t->ncols + i];
			if (i + 1 < t->ncols)
				rc = buf_addf(out, "%-*s   ", (int)t->width[i], c);
			else
				rc = buf_adds(out, c);
		}
		while (out->len &&
		       out->p[out->len - 1] == ' ') /* empty last cells: no trailing blanks */
			out->p[--out->len] = '\0';
		if (rc >= 0)
			rc = buf_addc(out, '\n');
	}
	return rc;
}

static const char *str_at(const struct doc *d, const char *a, const char *b, const char *c)
{
	const char *s = doc_str(c ? doc_getp(d, a, b, c, NULL) : doc_getp(d, a, b, NULL));
	return s ? s : "";
}

static int add_app(struct table *t, const struct doc *app, int all_ns, int wide, time_t now)
{
	const char *cells[MAX_COLS];
	const struct doc *ready = app_cli_condition(app, "Ready");
	const char *sync = str_at(app, "status", "sync", "status");
	const char *health = str_at(app, "status", "health", "status");
	const char *msg = doc_str(doc_get(ready, "message"));
	const char *created = str_at(app, "metadata", "creationTimestamp", NULL);
	const char *server = str_at(app, "spec", "destination", "server");
	const char *cluster = str_at(app, "spec", "destination", "name");
	char rev[64], age[32];
	struct buf dest = BUF_INIT(4096);
	size_t n = 0;
	time_t ts = gs_time_parse(created);
	int rc;

	short_revision(rev, sizeof(rev), str_at(app, "status", "sync", "revision"));
	if (ts < 0)
		snprintf(age, sizeof(age), "<unknown>");
	else
		human_duration(age, sizeof(age), (long long)(now - ts));
	if (!msg || !*msg)
		msg = str_at(app, "status", "sync", "message");
	if (all_ns)
		cells[n++] = doc_k8s_namespace(app);
	cells[n++] = doc_k8s_name(app);
	cells[n++] = *sync ? sync : "Unknown";
	cells[n++] = *health ? health : "Unknown";
	cells[n++] = rev;
	cells[n++] = age;
	if (wide) {
		const char *path = str_at(app, "spec", "source", "path");
		const char *chart = str_at(app, "spec", "source", "chart");
		cells[n++] = str_at(app, "spec", "source", "repoURL");
		cells[n++] = *path ? path : *chart ? chart : ".";
		if (!*cluster)
			cluster = !*server || !strcmp(server, "https://kubernetes.default.svc")
			              ? "in-cluster"
			              : server;
		buf_addf(&dest, "%s@%s", str_at(app, "spec", "destination", "namespace"), cluster);
		cells[n++] = dest.p;
	}
	cells[n++] = msg;
	rc = table_add(t, cells);
	buf_release(&dest);
	return rc;
}

static int print_table(struct buf *out, const struct doc *const *apps, size_t n, int all_ns,
                       int wide)
{
	static const char *const head[] = { "NAMESPACE", "NAME", "SYNC", "HEALTH",      "REVISION",
		                            "AGE",       "REPO", "PATH", "DESTINATION", "MESSAGE" };
	const char *cells[MAX_COLS];
	struct table t;
	time_t now = time(NULL);
	size_t i, k = 0;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	for (i = all_ns ? 0 : 1; i < MAX_COLS; i++)
		if (wide || i < 6 || i == 9)
			cells[k++] = head[i];
	t.ncols = k;
	rc = table_add(&t, cells);
	for (i = 0; i < n && rc >= 0; i++)
		rc = add_app(&t, apps[i], all_ns, wide, now);
	if (rc >= 0)
		rc = table_print(out, &t);
	table_release(&t);
	return rc;
}

/* The objects, or a v1 List of them, as kubectl -o json|yaml prints them. */
static int print_objects(struct buf *out, struct doc *list, const char *name, int json)
{
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	struct doc *meta;
	int rc;
	eo.flags = DOC_EMIT_SORT_KEYS;
	if (json)
		eo.indent = 4;
	if (!name) {
		/* the list's own resourceVersion says nothing about the items: kubectl writes "" */
		if (!(meta = doc_new_map()) ||
		    (rc = doc_set(meta, "resourceVersion", doc_new_strz(""))) < 0 ||
		    (rc = doc_set(list, "metadata", meta)) < 0 ||
		    (rc = doc_set(list, "apiVersion", doc_new_strz("v1"))) < 0 ||
		    (rc = doc_set(list, "kind", doc_new_strz("List"))) < 0)
			return gs_error(GS_ENOMEM, "out of memory");
	}
	if (json)
		return (rc = doc_emit_json(out, list, &eo)) < 0 ? rc : buf_addc(out, '\n');
	return doc_emit_yaml(out, list, &eo);
}

int cmd_get_apps(int argc, char **argv)
{
	struct cli_opt opts[APP_CLI_OPTS_MAX + 1];
	struct app_cli c = APP_CLI_INIT;
	struct cli_getopt g;
	struct doc *res = NULL;
	struct buf out = BUF_INIT(KUBE_BODY_MAX);
	const struct doc *const *apps = NULL;
	const char *name = NULL;
	int all_ns = 0, fmt = OUT_TABLE, ch, ret = 2;
	size_t n = 0;

	app_cli_opts(opts, get_options);
	cli_getopt_init(&g, opts);
	optind = 1;
	while ((ch = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		if (app_cli_kube_opt(&c, ch, optarg))
			continue;
		switch (ch) {
		case 'A': all_ns = 1; break;
		case 'o':
			if (!strcmp(optarg, "wide"))
				fmt = OUT_WIDE;
			else if (!strcmp(optarg, "json"))
				fmt = OUT_JSON;
			else if (!strcmp(optarg, "yaml"))
				fmt = OUT_YAML;
			else {
				fprintf(stderr,
				        "error: unable to match a printer suitable for the output "
				        "format \"%s\", allowed formats are: json,wide,yaml\n",
				        optarg);
				goto out;
			}
			break;
		case 'h':
			usage(stdout, opts);
			ret = 0;
			goto out;
		default: usage(stderr, opts); goto out;
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "error: one NAME at most\n");
		goto out;
	}
	if (name && all_ns) {
		fprintf(stderr, "error: a resource cannot be retrieved by name across all "
		                "namespaces\n");
		goto out;
	}
	ret = 1;
	if (app_cli_connect(&c) < 0)
		goto fail;
	if (name) {
		if (app_cli_get(&res, &c, name) < 0)
			goto fail;
		apps = (const struct doc *const *)&res;
		n = 1;
	} else {
		const struct doc *items;
		if (app_cli_list(&res, &c, all_ns) < 0)
			goto fail;
		items = doc_get(res, "items");
		n = doc_len(items);
		if (!n && fmt != OUT_JSON && fmt != OUT_YAML) {
			if (all_ns)
				fprintf(stderr, "No resources found\n");
			else
				fprintf(stderr, "No resources found in %s namespace.\n",
				        app_cli_namespace(&c));
			ret = 0;
			goto out;
		}
		if (n && !(apps = calloc(n, sizeof(*apps)))) {
			gs_error(GS_ENOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < n; i++)
			((const struct doc **)apps)[i] = doc_val_at(items, i);
	}
	if ((fmt == OUT_JSON || fmt == OUT_YAML
	         ? print_objects(&out, res, name, fmt == OUT_JSON)
	         : print_table(&out, apps, n, all_ns, fmt == OUT_WIDE)) < 0 ||
	    file_write_all(1, out.p, out.len, "stdout") < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	ret = cli_die_last(NULL);
out:
	if (!name)
		free((void *)apps);
	doc_free(res);
	buf_release(&out);
	app_cli_release(&c);
	return ret;
}
