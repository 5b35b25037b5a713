/*
 * gitseal-controller: flags, signals and wiring, nothing else.
 *
 * main() hardens the process, parses the flags, makes the runtime (one API
 * client, the metrics registry: controller/runtime), the HTTP servers (every
 * replica serves them at once, before any key exists) and the reconcilers on
 * them, then waits for signals with sigwait(): SIGTERM/SIGINT stop cleanly (the
 * Lease is given up so another replica takes over at once), SIGUSR1 asks for a
 * new sealing key as upstream. Everything else lives in the reconcilers'
 * folders and the runtime; nothing calls back into this file.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <sodium.h>

#include "controller/application/application.h"
#include "controller/opts.h"
#include "controller/runtime/runtime.h"
#include "controller/sealedsecret/sealedsecret.h"
#include "core/log.h"
#include "keys/keys.h"
#include "kube/kube.h"

static void harden(void)
{
	struct rlimit rl = { 0, 0 };
	/* plaintext and private keys live in this process: no core dumps, no ptrace by peers */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &rl);
}

static int setup_logging(const struct ctl_opts *o)
{
	if (!strcasecmp(o->log_level, "debug"))
		gs_log_level = GS_LOG_DEBUG;
	else if (!strcasecmp(o->log_level, "info"))
		gs_log_level = GS_LOG_INFO;
	else if (!strcasecmp(o->log_level, "warn") || !strcasecmp(o->log_level, "warning"))
		gs_log_level = GS_LOG_WARN;
	else if (!strcasecmp(o->log_level, "error"))
		gs_log_level = GS_LOG_ERROR;
	else
		return gs_error(GS_EINVAL, "invalid --log-level \"%s\"", o->log_level);
	if (!strcmp(o->log_format, "json"))
		gs_log_json = 1;
	else if (strcmp(o->log_format, "text"))
		return gs_error(GS_EINVAL, "invalid --log-format \"%s\" (text or json)",
		                o->log_format);
	return 0;
}

/* Signals are taken only by sigwait(): every thread inherits this mask. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct ctl_opts opts;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_client_opts co = KUBE_CLIENT_OPTS_INIT;
	struct kube_config kcfg = KUBE_CONFIG_INIT;
	struct rt_http_opts ho = { 0 }, mo = { 0 }, wo = { 0 };
	struct rt *rt = NULL;
	struct rt_http *api = NULL, *metrics = NULL, *hooks = NULL;
	struct ss_controller *ss = NULL;
	struct keys_age_ring *age = NULL; /* the cluster's age identities, for every reconciler */
	struct app_controller *apps = NULL;
	sigset_t set;
	int rc = 1, sig = 0;

	harden();
	/* a few malloc arenas, not one per thread; request bodies and other big buffers (from
	 * 128 KiB) in mappings of their own, given back to the kernel when freed, so a burst of
	 * slow uploads leaves no high-water mark in the heap */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	if (ctl_opts_parse(&opts, argc, (const char *const *)argv))
		return 2;
	if (opts.help) {
		ctl_opts_usage(stdout);
		ctl_opts_release(&opts);
		return 0;
	}
	if (opts.version) {
		printf("gitseal-controller version %s\n", CTL_VERSION);
		ctl_opts_release(&opts);
		return 0;
	}
	if (setup_logging(&opts) < 0 || sodium_init() < 0) {
		fprintf(stderr, "error: %s\n", gs_error_last());
		ctl_opts_release(&opts);
		return 2;
	}
	block_signals(&set);

	gs_info("starting gitseal-controller", "version=%s namespace=%s", CTL_VERSION,
	        opts.namespace);
	ov.kubeconfig = *opts.kubeconfig ? opts.kubeconfig : NULL;
	co.qps = opts.kubeclient_qps; /* one bucket for every thread of the process */
	co.burst = opts.kubeclient_burst;
	co.user_agent = "gitseal-controller/" CTL_VERSION;
	co.field_manager = CTL_FIELD_MANAGER;
	if (kube_config_load(&kcfg, &ov) < 0 || rt_new(&rt, &kcfg, &co) < 0) {
		gs_err("cannot configure the Kubernetes client", "error=\"%s\"", gs_error_last());
		goto out;
	}
	ho.read_timeout = opts.read_timeout;
	ho.write_timeout = opts.write_timeout;
	ho.max_conns = (unsigned)opts.http_max_connections;
	ho.max_per_ip = (unsigned)opts.http_max_connections_per_ip;
	ho.body_total_max = (size_t)opts.http_max_buffered;
	ho.work_threads = opts.http_workers;
	mo = ho; /* the same limits on both listeners */
	ho.addr = opts.listen_addr;
	ho.flag = "listen-addr";
	ho.metric_prefix = "sealed_secrets_controller_";
	mo.addr = opts.listen_metrics_addr;
	mo.flag = "listen-metrics-addr";
	if (rt_http_new(&api, rt, &ho) < 0 || rt_http_new(&metrics, rt, &mo) < 0 ||
	    rt_http_route_healthz(api) < 0 || rt_http_route_metrics(metrics) < 0) {
		gs_err("cannot start the HTTP server", "error=\"%s\"", gs_error_last());
		goto out;
	}
	/* the unsealer runs in the main shard only (with its own Lease) */
	if (keys_age_ring_new(&age) < 0 ||
	    (!*opts.shard && (ss_controller_new(&ss, rt, &opts, api) < 0 ||
	                      ss_controller_set_age_ring(ss, age) < 0))) {
		gs_err("cannot start the controller", "error=\"%s\"", gs_error_last());
		goto out;
	}
	if (opts.applications) {
		wo = ho; /* the same limits as the other listeners */
		wo.addr = opts.listen_webhook_addr;
		wo.flag = "listen-webhook-addr";
		wo.read_timeout = opts.read_timeout;
		wo.body_max = (size_t)1 << 20; /* a push event names its repository early */
		wo.metric_prefix = "gitseal_webhook_";
		if (rt_http_new(&hooks, rt, &wo) < 0 || rt_http_route_healthz(hooks) < 0 ||
		    app_controller_new(&apps, rt, &opts, &kcfg, hooks) < 0) {
			gs_err("cannot start the application reconciler", "error=\"%s\"",
			       gs_error_last());
			goto out;
		}
		if (ss)
			ss_controller_set_sops_usage(ss, app_controller_sops_usage, apps);
	}
	/* HTTP first: liveness must not wait for keys (upstream #697) */
	if (rt_http_start(api) < 0 || rt_http_start(metrics) < 0 ||
	    (hooks && rt_http_start(hooks) < 0)) {
		gs_err("cannot start the HTTP server", "error=\"%s\"", gs_error_last());
		goto out;
	}
	gs_info("http listening",
	        "addr=%s port=%d metrics_addr=%s metrics_port=%d webhook_addr=%s webhook_port=%d",
	        opts.listen_addr, rt_http_port(api), opts.listen_metrics_addr,
	        rt_http_port(metrics), hooks ? opts.listen_webhook_addr : "",
	        hooks ? rt_http_port(hooks) : 0);
	if (ss && ss_controller_start(ss) < 0) {
		gs_err("cannot watch the key secrets", "error=\"%s\"", gs_error_last());
		goto out;
	}
	if (apps && app_controller_start(apps) < 0) {
		gs_err("cannot start the application reconciler", "error=\"%s\"", gs_error_last());
		goto out;
	}
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGUSR1) {
			gs_info("SIGUSR1: new key requested", "%s", "");
			if (ss)
				ss_controller_new_key(ss);
			continue;
		}
		if (sig == SIGHUP)
			continue;
		break;
	}
	gs_info("shutting down", "signal=%d", sig);
	rc = 0;
out:
	app_controller_stop(apps); /* the workers, the watches, the Lease */
	ss_controller_stop(ss);    /* the machinery, the Lease, the key watch */
	rt_http_free(api);         /* no handler runs after this */
	rt_http_free(metrics);
	rt_http_free(hooks);
	app_controller_free(apps);
	ss_controller_free(ss);
	keys_age_ring_free(age); /* after every reconciler that reads it */
	rt_free(rt);
	kube_config_release(&kcfg);
	ctl_opts_release(&opts);
	gs_info("stopped", "rc=%d", rc);
	return rc;
}
