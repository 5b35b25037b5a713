/*
 * Flags as the upstream controller takes them (pflag: --flag=value,
 * --flag value, bare --flag for booleans) and the same names from the
 * environment as SEALED_SECRETS_<FLAG_WITH_UNDERSCORES> (pkg/pflagenv).
 * The environment is read first, so a flag on the command line wins.
 */
#include "controller/opts.h"

#include "core/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_type { OT_STR, OT_INT, OT_BOOL, OT_DUR, OT_FLOAT, OT_TIME };

struct opt_def {
	const char *name;
	enum opt_type type;
	size_t off;
	const char *def;
	const char *help;
};

#define O(f) offsetof(struct ctl_opts, f)
static const struct opt_def defs[] = {
	{ "key-prefix", OT_STR, O(key_prefix), "sealed-secrets-key",
	  "prefix of the key Secrets' names" },
	{ "key-size", OT_INT, O(key_size), "4096", "size of generated RSA keys" },
	{ "key-ttl", OT_DUR, O(key_ttl), "87600h", "lifetime of generated certificates" },
	{ "my-cn", OT_STR, O(my_cn), "", "common name of generated certificates" },
	{ "key-renew-period", OT_DUR, O(key_renew_period), "720h",
	  "new key every this long (0 disables)" },
	{ "rotate-period", OT_DUR, O(key_renew_period), NULL,
	  "deprecated alias of --key-renew-period" },
	{ "key-order-priority", OT_STR, O(key_order_priority), "CertNotBefore",
	  "newest key by CertNotBefore or SecretCreationTimestamp" },
	{ "key-cutoff-time", OT_TIME, O(key_cutoff_time), "",
	  "make a new key at start if the newest is older (RFC1123Z)" },
	{ "accept-deprecated-v1-data", OT_BOOL, O(accept_v1_data), "true",
	  "accept the legacy spec.data field" },
	{ "all-namespaces", OT_BOOL, O(all_namespaces), "true", "watch every namespace" },
	{ "additional-namespaces", OT_STR, O(additional_namespaces), "",
	  "comma-separated namespaces to watch too" },
	{ "label-selector", OT_STR, O(label_selector), "",
	  "only SealedSecrets (and Secrets) matching it" },
	{ "rate-limit", OT_FLOAT, O(rate_limit), "2",
	  "/v1/verify and /v1/rotate requests per second per peer address (0: no limit)" },
	{ "rate-limit-burst", OT_INT, O(rate_limit_burst), "2",
	  "/v1/verify and /v1/rotate burst per peer address" },
	{ "privatekey-annotations", OT_STR, O(privatekey_annotations), "",
	  "k=v,... on new key Secrets" },
	{ "privatekey-labels", OT_STR, O(privatekey_labels), "", "k=v,... on new key Secrets" },
	{ "old-gc-behavior", OT_BOOL, O(old_gc_behavior), "false",
	  "delete the Secret when its SealedSecret goes" },
	{ "update-status", OT_BOOL, O(update_status), "true", "write the Synced condition" },
	{ "watch-for-secrets", OT_BOOL, O(watch_for_secrets), "false",
	  "accepted; key Secrets are always watched" },
	{ "skip-recreate", OT_BOOL, O(skip_recreate), "false", "do not recreate deleted Secrets" },
	{ "log-info-stdout", OT_BOOL, O(log_info_stdout), "true", "accepted; logs go to stderr" },
	{ "log-level", OT_STR, O(log_level), "INFO", "DEBUG, INFO, WARN or ERROR" },
	{ "log-format", OT_STR, O(log_format), "text", "text or json" },
	{ "max-unseal-retries", OT_INT, O(max_unseal_retries), "5",
	  "retries of a failing SealedSecret" },
	{ "kubeclient-qps", OT_FLOAT, O(kubeclient_qps), "500",
	  "API requests per second (upstream: 5)" },
	{ "kubeclient-burst", OT_INT, O(kubeclient_burst), "1000",
	  "API request burst (upstream: 10)" },
	{ "listen-addr", OT_STR, O(listen_addr), ":8080", "HTTP address (/healthz, /v1/...)" },
	{ "listen-metrics-addr", OT_STR, O(listen_metrics_addr), ":8081",
	  "metrics address (/metrics)" },
	{ "read-timeout", OT_DUR, O(read_timeout), "2m",
	  "HTTP: the whole request (headers and body) within this" },
	{ "write-timeout", OT_DUR, O(write_timeout), "2m",
	  "HTTP: the answer within this from the end of the request" },
	{ "http-max-connections", OT_INT, O(http_max_connections), "256",
	  "HTTP connections per listener (the oldest slow one makes room)" },
	{ "http-max-connections-per-ip", OT_INT, O(http_max_connections_per_ip), "32",
	  "HTTP connections from one address per listener" },
	{ "http-max-buffered-bytes", OT_INT, O(http_max_buffered), "16777216",
	  "request bodies held at once per listener (503 past it)" },
	{ "http-workers", OT_INT, O(http_workers), "1",
	  "threads for /v1/verify and /v1/rotate (their whole CPU budget)" },
	{ "http-max-items", OT_INT, O(http_max_items), "256",
	  "items of a SealedSecret sent to /v1/verify or /v1/rotate (413 past it)" },
	{ "version", OT_BOOL, O(version), "false", "print the version and exit" },
	{ "help", OT_BOOL, O(help), "false", "this help" },
	{ "kubeconfig", OT_STR, O(kubeconfig), "",
	  "kubeconfig file (default: in-cluster, $KUBECONFIG)" },
	{ "leader-elect", OT_BOOL, O(leader_elect), "true",
	  "elect a leader with a Lease (several replicas)" },
	{ "leader-elect-lease-name", OT_STR, O(leader_elect_lease_name), "gitseal-controller",
	  "the Lease's name" },
	{ "leader-elect-lease-duration", OT_DUR, O(leader_elect_lease_duration), "15s",
	  "Lease duration" },
	{ "workers", OT_INT, O(workers), "2", "unsealing threads" },
	{ "applications", OT_BOOL, O(applications), "true",
	  "reconcile Applications (applications.gitseal.dev)" },
	{ "app-workers", OT_INT, O(app_workers), "8", "Applications reconciled at once" },
	{ "app-label-selector", OT_STR, O(app_label_selector), "",
	  "only Applications matching it" },
	{ "shard", OT_STR, O(shard), "",
	  "own the Applications labelled sharding.gitseal.dev/key=NAME (Lease gitseal-apps-NAME; "
	  "no unsealer)" },
	{ "default-service-account", OT_STR, O(default_service_account), "",
	  "apply as this ServiceAccount when an Application names none" },
	{ "listen-webhook-addr", OT_STR, O(listen_webhook_addr), ":9292",
	  "webhook receiver address (/hook/github, /hook/gitlab, /hook/generic)" },
	{ "webhook-secret", OT_STR, O(webhook_secret), "gitseal-webhook",
	  "Secret in the controller's namespace with the webhook secrets (keys github, gitlab, "
	  "generic)" },
	{ "app-interval", OT_DUR, O(app_interval), "5m",
	  "reconcile interval of Applications that set none" },
	{ "app-timeout", OT_DUR, O(app_timeout), "5m",
	  "deadline of one reconcile for Applications that set none" },
	{ "app-retry-backoff", OT_DUR, O(app_retry_backoff), "5s",
	  "first retry of a failed reconcile (doubles each time)" },
	{ "app-retry-backoff-max", OT_DUR, O(app_retry_backoff_max), "5m", "cap of the retries" },
	{ "requeue-dependency", OT_DUR, O(requeue_dependency), "10s",
	  "look again this often at a dependency that is not Ready" },
	{ "source-cache-dir", OT_STR, O(source_cache_dir), "",
	  "Git cache directory (default: $XDG_CACHE_HOME/gitseal)" },
};
#undef O

static const struct opt_def *find_def(const char *name, size_t n)
{
	size_t i;
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strlen(defs[i].name) == n && !memcmp(defs[i].name, name, n))
			return &defs[i];
	return NULL;
}

int ctl_parse_duration(const char *s, double *secs)
{
	return gs_parse_duration(s, secs);
}

static int parse_bool(const char *v, int *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t i;
	for (i = 0; i < 6; i++) {
		if (!strcmp(v, t[i]))
			return *out = 1, 0;
		if (!strcmp(v, f[i]))
			return *out = 0, 0;
	}
	return -1;
}

/* RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700" (what `date -R` prints). */
static int parse_rfc1123z(const char *v, time_t *out)
{
	struct tm tm;
	const char *e;
	int off, sign;

	memset(&tm, 0, sizeof(tm));
	e = strptime(v, "%a, %d %b %Y %H:%M:%S ", &tm);
	if (!e || (e[0] != '+' && e[0] != '-') || strlen(e) != 5 ||
	    strspn(e + 1, "0123456789") != 4)
		return -1;
	sign = e[0] == '-' ? -1 : 1;
	off = ((e[1] - '0') * 10 + (e[2] - '0')) * 3600 + ((e[3] - '0') * 10 + (e[4] - '0')) * 60;
	*out = timegm(&tm) - sign * off;
	return 0;
}

static int set_opt(struct ctl_opts *o, const struct opt_def *d, const char *v, const char *from)
{
	char *base = (char *)o + d->off;
	char *end;

	switch (d->type) {
	case OT_STR: {
		char *s = strdup(v);
		if (!s)
			return gs_error(GS_ENOMEM, "out of memory");
		free(*(char **)base);
		*(char **)base = s;
		return 0;
	}
	case OT_INT: {
		long n = strtol(v, &end, 10);
		if (!*v || *end || n < -2147483647L || n > 2147483647L)
			break;
		*(int *)base = (int)n;
		return 0;
	}
	case OT_FLOAT: {
		double f = strtod(v, &end);
		if (!*v || *end)
			break;
		*(double *)base = f;
		return 0;
	}
	case OT_BOOL:
		if (parse_bool(v, (int *)base) < 0)
			break;
		return 0;
	case OT_DUR:
		if (ctl_parse_duration(v, (double *)base) < 0)
			break;
		return 0;
	case OT_TIME:
		if (!*v) {
			*(time_t *)base = 0;
			return 0;
		}
		if (parse_rfc1123z(v, (time_t *)base) < 0)
			break;
		return 0;
	}
	return gs_error(GS_EINVAL, "invalid argument \"%s\" for \"--%s\" flag%s%s", v, d->name,
	                from ? " from " : "", from ? from : "");
}

void ctl_opts_usage(FILE *f)
{
	size_t i;
	fprintf(
	    f,
	    "usage: gitseal-controller [flags]\n\n"
	    "Unseals Bitnami SealedSecrets into Secrets (a drop-in for the Sealed Secrets "
	    "controller)\nand keeps Applications (applications.gitseal.dev) applied from Git.\n"
	    "Every flag can also be set as SEALED_SECRETS_<FLAG> in the environment.\n\nflags:\n");
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		const struct opt_def *d = &defs[i];
		fprintf(f, "  --%-30s %s", d->name, d->help);
		if (d->def && *d->def && d->type != OT_BOOL)
			fprintf(f, " (default %s)", d->def);
		else if (d->def && d->type == OT_BOOL && !strcmp(d->def, "true"))
			fprintf(f, " (default true)");
		fputc('\n', f);
	}
}

static char *default_namespace(void)
{
	const char *env = getenv("POD_NAMESPACE");
	char buf[256];
	FILE *f;

	if (env && *env)
		return strdup(env);
	if ((f = fopen("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "r"))) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		buf[strcspn(buf, " \r\n")] = 0;
		if (*buf)
			return strdup(buf);
	}
	return strdup("default");
}

int ctl_opts_parse(struct ctl_opts *o, int argc, const char *const *argv)
{
	char env[128], host[128] = "controller";
	size_t i, j;
	int a;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (defs[i].def && set_opt(o, &defs[i], defs[i].def, NULL) < 0)
			goto bad;
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		const char *v;
		snprintf(env, sizeof(env), "SEALED_SECRETS_%s", defs[i].name);
		for (j = 15; env[j]; j++)
			env[j] = env[j] == '-' ? '_' : (char)toupper((unsigned char)env[j]);
		if ((v = getenv(env)) && set_opt(o, &defs[i], v, env) < 0)
			goto bad;
	}
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *eq, *name;
		const struct opt_def *d;
		if (arg[0] != '-' || !arg[1]) {
			gs_error(GS_EINVAL, "unexpected argument \"%s\"", arg);
			goto bad;
		}
		if (!strcmp(arg, "-h")) {
			o->help = 1;
			continue;
		}
		name = arg + (arg[1] == '-' ? 2 : 1); /* Go's flag also takes -flag */
		eq = strchr(name, '=');
		if (!(d = find_def(name, eq ? (size_t)(eq - name) : strlen(name)))) {
			gs_error(GS_EINVAL, "unknown flag: %s", arg);
			goto bad;
		}
		if (eq) {
			if (set_opt(o, d, eq + 1, NULL) < 0)
				goto bad;
		} else if (d->type == OT_BOOL) {
			*(int *)((char *)o + d->off) = 1;
		} else if (a + 1 >= argc) {
			gs_error(GS_EINVAL, "flag needs an argument: --%s", d->name);
			goto bad;
		} else if (set_opt(o, d, argv[++a], NULL) < 0) {
			goto bad;
		}
	}
	if (o->workers < 1 || o->workers > 64) {
		gs_error(GS_EINVAL, "--workers must be between 1 and 64");
		goto bad;
	}
	if (o->http_workers < 1 || o->http_workers > 16) {
		gs_error(GS_EINVAL, "--http-workers must be between 1 and 16");
		goto bad;
	}
	if (o->http_max_connections < 1 || o->http_max_connections_per_ip < 1 ||
	    o->http_max_items < 1 || o->http_max_buffered < (2 << 20)) {
		gs_error(GS_EINVAL,
		         "--http-max-connections, --http-max-connections-per-ip and "
		         "--http-max-items must be at least 1, --http-max-buffered-bytes "
		         "at least 2097152 (one request body)");
		goto bad;
	}
	if (o->read_timeout < 1 || o->write_timeout < 1) {
		gs_error(GS_EINVAL, "--read-timeout and --write-timeout must be at least 1s");
		goto bad;
	}
	if (o->key_size < 1024 || o->key_size > 16384) {
		gs_error(GS_EINVAL, "--key-size must be between 1024 and 16384");
		goto bad;
	}
	if (strcmp(o->key_order_priority, "CertNotBefore") &&
	    strcmp(o->key_order_priority, "SecretCreationTimestamp")) {
		gs_error(GS_EINVAL,
		         "invalid --key-order-priority \"%s\" (CertNotBefore or "
		         "SecretCreationTimestamp)",
		         o->key_order_priority);
		goto bad;
	}
	if (strspn(o->key_prefix, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	        strlen(o->key_prefix) ||
	    strlen(o->key_prefix) > 245 || !*o->key_prefix) {
		gs_error(GS_EINVAL,
		         "invalid --key-prefix \"%s\" ([a-z0-9-], at most 245 characters)",
		         o->key_prefix);
		goto bad;
	}
	if (o->app_workers < 1 || o->app_workers > 64) {
		gs_error(GS_EINVAL, "--app-workers must be between 1 and 64");
		goto bad;
	}
	if (strlen(o->shard) > 63 ||
	    strspn(o->shard, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                     "0123456789-_.") != strlen(o->shard)) {
		gs_error(GS_EINVAL,
		         "invalid --shard \"%s\" (a label value: [A-Za-z0-9._-], at most "
		         "63 characters)",
		         o->shard);
		goto bad;
	}
	if (o->app_interval <= 0 || o->app_timeout <= 0 || o->app_retry_backoff <= 0 ||
	    o->app_retry_backoff_max < o->app_retry_backoff || o->requeue_dependency <= 0) {
		gs_error(GS_EINVAL, "--app-interval, --app-timeout, --app-retry-backoff and "
		                    "--requeue-dependency must be positive (and the backoff cap at "
		                    "least the backoff)");
		goto bad;
	}
	if (o->leader_elect_lease_duration < 2) {
		gs_error(GS_EINVAL, "--leader-elect-lease-duration must be at least 2s");
		goto bad;
	}
	if (!(o->namespace = default_namespace()))
		goto bad;
	{
		const char *pod = getenv("POD_NAME");
		char id[300];
		if (!pod || !*pod) {
			gethostname(host, sizeof(host) - 1);
			pod = host;
		}
		snprintf(id, sizeof(id), "%s_%ld", pod, (long)getpid());
		if (!(o->identity = strdup(id)))
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "error: %s\n", gs_error_last());
	return 1;
}

void ctl_opts_release(struct ctl_opts *o)
{
	size_t i;
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (defs[i].type == OT_STR) {
			char **p = (char **)((char *)o + defs[i].off);
			free(*p);
			*p = NULL;
		}
	free(o->namespace);
	free(o->identity);
	o->namespace = o->identity = NULL;
}

int ctl_parse_kv_list(struct doc **out, const char *s, const char *flag)
{
	struct doc *m = doc_new_map();
	const char *p = s;

	*out = NULL;
	if (!m)
		return gs_error(GS_ENOMEM, "out of memory");
	while (p && *p) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq || eq == p) {
			doc_free(m);
			return gs_error(GS_EINVAL, "--%s: \"%.*s\" is not key=value", flag,
			                (int)(end - p), p);
		}
		if (doc_setn(m, p, (size_t)(eq - p), doc_new_str(eq + 1, (size_t)(end - eq - 1))) <
		    0) {
			doc_free(m);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		p = comma ? comma + 1 : NULL;
	}
	*out = m;
	return 0;
}
