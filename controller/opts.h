#ifndef GS_CTL_OPTS_H
#define GS_CTL_OPTS_H
/*
 * gitseal-controller's flags (opts.c): upstream's names and SEALED_SECRETS_<FLAG> variables,
 * and ours. main.c parses them; every reconciler reads the struct (never writes it).
 */
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "core/buf.h"
#include "doc/doc.h"

#define CTL_VERSION "0.1.0"
#define CTL_FIELD_MANAGER "gitseal-controller"

struct ctl_opts {
	/* upstream flags (cmd/controller/main.go), env SEALED_SECRETS_<FLAG> */
	char *key_prefix;
	int key_size;
	double key_ttl; /* seconds */
	char *my_cn;
	double key_renew_period;  /* seconds; 0 = no renewal */
	char *key_order_priority; /* CertNotBefore | SecretCreationTimestamp */
	time_t key_cutoff_time;   /* 0 = unset */
	int accept_v1_data;
	int all_namespaces;
	char *additional_namespaces; /* comma separated */
	char *label_selector;
	double rate_limit;
	int rate_limit_burst;
	char *privatekey_annotations;
	char *privatekey_labels;
	int old_gc_behavior;
	int update_status;
	int watch_for_secrets;
	int skip_recreate;
	int log_info_stdout;
	char *log_level;
	char *log_format;
	int max_unseal_retries;
	double kubeclient_qps;
	int kubeclient_burst;
	char *listen_addr;
	char *listen_metrics_addr;
	double read_timeout;  /* HTTP: the whole request (Go's ReadTimeout) */
	double write_timeout; /* HTTP: end of request to end of answer (Go's WriteTimeout) */
	int version;
	int help;
	/* ours */
	char *kubeconfig;
	int leader_elect;
	char *leader_elect_lease_name;
	double leader_elect_lease_duration;
	int workers;
	char *namespace; /* the controller's own namespace (keys, Lease): $POD_NAMESPACE, SA file,
	                    "default" */
	char *identity;  /* Lease holder: $POD_NAME or hostname, + pid */
	/* the HTTP servers' limits (runtime.h struct rt_http_opts; README "Security") */
	int http_max_connections;
	int http_max_connections_per_ip;
	int http_max_buffered; /* bytes */
	int http_workers;
	int http_max_items;
	/* the Application reconciler */
	int applications;              /* --applications: run it (default true) */
	int app_workers;               /* Applications reconciled at once */
	char *app_label_selector;      /* only Applications matching it */
	char *shard;                   /* own the Applications labelled sharding.gitseal.dev/key */
	char *default_service_account; /* apply as this SA when an Application names none */
	char *listen_webhook_addr;     /* the webhook receiver */
	char *webhook_secret;          /* Secret (controller namespace) with the webhook secrets */
	double app_interval;           /* default spec.interval */
	double app_timeout;            /* default spec.timeout */
	double app_retry_backoff;      /* first retry of a failed reconcile */
	double app_retry_backoff_max;  /* cap */
	double requeue_dependency;     /* look again at a dependency that is not Ready */
	char *source_cache_dir;        /* Git cache (default: $XDG_CACHE_HOME/gitseal) */
};

/* Defaults, then SEALED_SECRETS_* from env, then argv. 0 ok, 1 usage error (message printed). */
int ctl_opts_parse(struct ctl_opts *o, int argc, const char *const *argv);
void ctl_opts_release(struct ctl_opts *o);
void ctl_opts_usage(FILE *f);
/* Go's time.ParseDuration ("720h", "1h30m", "2.5s", "0"); GS_EINVAL naming the text. */
int ctl_parse_duration(const char *s, double *secs);
/* "a=b,c=d" -> map doc (upstream splits naively; an entry without '=' is an error here). */
int ctl_parse_kv_list(struct doc **out, const char *s, const char *flag);

#endif
