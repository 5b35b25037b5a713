/*
 * gitseal-controller: a drop-in for the Bitnami Sealed Secrets controller.
 *
 * main() hardens the process, parses flags, connects to the API server,
 * starts the HTTP endpoints (every replica serves them at once, before any
 * key exists) and the key watcher, then runs the leader thread: it holds the
 * Lease and, while it does, runs the reconcile machinery (loop.c) and the key
 * timer. Signals are taken synchronously here with sigwait(): SIGTERM/SIGINT
 * stop cleanly (the Lease is given up so another replica takes over at once),
 * SIGUSR1 forces a new key as upstream.
 */
#include "controller/ctl.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "keys/keys.h"
#include "kube/kube.h"

static struct ctl_state state;
static struct ctl_keys *keys;
static pthread_mutex_t lmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lcv = PTHREAD_COND_INITIALIZER;
static int force_key;

int ctl_client_new(struct ctl_state *st, struct kube_client **out, double qps_share)
{
	struct kube_client_opts co = *st->kopts;
	if (co.qps > 0 && qps_share > 0 && qps_share < 1) {
		co.qps *= qps_share;
		co.burst = (int)(co.burst * qps_share) + 1;
	}
	return kube_client_new(out, st->kcfg, &co);
}

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
		return gs_error(GS_EINVAL, "invalid --log-format \"%s\" (text or json)", o->log_format);
	return 0;
}

static void wait_ms(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lmu);
	if (!state.stopping && !force_key)
		pthread_cond_timedwait(&lcv, &lmu, &ts);
	pthread_mutex_unlock(&lmu);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The leader thread: Lease, then the machinery and the key timer while we hold it. */
static void *leader_main(void *arg)
{
	const struct ctl_opts *o = state.opts;
	struct kube_lease lease = { o->namespace, o->leader_elect_lease_name, o->identity,
		                    (int)o->leader_elect_lease_duration };
	struct ctl_loop *loop = NULL;
	double last_renew = 0, deadline = o->leader_elect_lease_duration * 2 / 3;
	long period = (long)(o->leader_elect_lease_duration * 1000 / 5);
	int leader = 0, waiting_logged = 0;
	(void)arg;

	if (period < 200)
		period = 200;
	while (!state.stopping) {
		int now_leader = 1, force;
		if (o->leader_elect) {
			int rc = kube_lease_acquire(state.kc, &lease, &now_leader);
			if (rc < 0) {
				gs_warn("lease renewal failed", "lease=%s/%s error=\"%s\"", o->namespace,
				        o->leader_elect_lease_name, gs_error_last());
				now_leader = leader && mono() - last_renew < deadline;
			} else if (now_leader) {
				last_renew = mono();
			}
		}
		if (leader && !now_leader) {
			/* someone else may act now: stop at once, as client-go's leader election does */
			gs_err("leader election lost", "lease=%s/%s", o->namespace, o->leader_elect_lease_name);
			exit(1);
		}
		if (!leader && now_leader) {
			gs_info("became leader", "lease=%s/%s identity=%s", o->namespace, o->leader_elect_lease_name,
			        o->identity);
			leader = 1;
		} else if (!now_leader && !waiting_logged) {
			gs_info("waiting for leadership", "lease=%s/%s identity=%s", o->namespace,
			        o->leader_elect_lease_name, o->identity);
			waiting_logged = 1;
		}
		pthread_mutex_lock(&lmu);
		force = force_key;
		force_key = 0;
		pthread_mutex_unlock(&lmu);
		if (force && !leader)
			gs_info("SIGUSR1 ignored: only the leader generates keys", "identity=%s", o->identity);
		if (leader) {
			ctl_keys_tick(keys, force);
			/* reconcile once the keys are loaded and there is at least one to open with */
			if (!loop && ctl_keys_synced(keys) && ctl_keys_count(&state) > 0) {
				if (ctl_loop_start(&loop, &state) < 0) {
					gs_err("cannot start the controller", "error=\"%s\"", gs_error_last());
					exit(1);
				}
				ctl_keys_set_loop(keys, loop);
				gs_info("controller started", "workers=%d", o->workers);
			}
		}
		/* poll faster until the machinery runs, so the first key starts it at once */
		wait_ms(leader ? (loop ? period : 500) : 2000);
	}
	if (loop) {
		ctl_keys_set_loop(keys, NULL);
		ctl_loop_stop(loop);
	}
	if (o->leader_elect && leader && kube_lease_release(state.kc, &lease) < 0)
		gs_warn("lease not released", "error=\"%s\"", gs_error_last());
	return NULL;
}

int main(int argc, char **argv)
{
	struct ctl_opts opts;
	struct kube_overrides ov = KUBE_OVERRIDES_INIT;
	struct kube_client_opts co = KUBE_CLIENT_OPTS_INIT;
	struct kube_config kcfg = KUBE_CONFIG_INIT;
	struct keys_ring ring = KEYS_RING_INIT;
	struct ctl_http *http = NULL, *metrics = NULL;
	pthread_t leader_th;
	sigset_t set;
	int rc = 1, sig;

	harden();
	/* a few malloc arenas, not one per thread: RSS stays small with a thread per watch */
	mallopt(M_ARENA_MAX, 2);
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
	/* every thread inherits this mask: signals are only taken by sigwait() below */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	gs_info("starting gitseal-controller", "version=%s namespace=%s", CTL_VERSION, opts.namespace);
	ctl_metrics_init();
	keys_ring_init(&ring);
	ring.by_creation = !strcmp(opts.key_order_priority, "SecretCreationTimestamp");
	state.opts = &opts;
	state.ring = &ring;
	pthread_rwlock_init(&state.keys_lock, NULL);
	sem_init(&state.rsa_slots, 0, (unsigned)opts.workers);
	state.verify_rl = ctl_ratelimit_new(opts.rate_limit, opts.rate_limit_burst);

	ov.kubeconfig = *opts.kubeconfig ? opts.kubeconfig : NULL;
	co.qps = opts.kubeclient_qps;
	co.burst = opts.kubeclient_burst;
	co.user_agent = "gitseal-controller/" CTL_VERSION;
	co.field_manager = CTL_FIELD_MANAGER;
	state.kcfg = &kcfg;
	state.kopts = &co;
	if (kube_config_load(&kcfg, &ov) < 0 || kube_client_new(&state.kc, &kcfg, &co) < 0) {
		gs_err("cannot configure the Kubernetes client", "error=\"%s\"", gs_error_last());
		goto out;
	}
	/* HTTP first: liveness must not wait for keys (upstream #697) */
	if (ctl_http_start(&http, &state, opts.listen_addr, 0) < 0 ||
	    ctl_http_start(&metrics, &state, opts.listen_metrics_addr, 1) < 0) {
		gs_err("cannot start the HTTP server", "error=\"%s\"", gs_error_last());
		goto out;
	}
	gs_info("http listening", "addr=%s port=%d metrics_addr=%s metrics_port=%d", opts.listen_addr,
	        ctl_http_port(http), opts.listen_metrics_addr, ctl_http_port(metrics));
	if (ctl_keys_start(&keys, &state) < 0) {
		gs_err("cannot watch the key secrets", "error=\"%s\"", gs_error_last());
		goto out;
	}
	if (pthread_create(&leader_th, NULL, leader_main, NULL)) {
		gs_err("cannot start the leader thread", "%s", "");
		goto out;
	}
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGUSR1) {
			gs_info("SIGUSR1: new key requested", "%s", "");
			pthread_mutex_lock(&lmu);
			force_key = 1;
			pthread_cond_broadcast(&lcv);
			pthread_mutex_unlock(&lmu);
			continue;
		}
		if (sig == SIGHUP)
			continue;
		break;
	}
	gs_info("shutting down", "signal=%d", sig);
	pthread_mutex_lock(&lmu);
	state.stopping = 1;
	pthread_cond_broadcast(&lcv);
	pthread_mutex_unlock(&lmu);
	pthread_join(leader_th, NULL);
	rc = 0;
out:
	ctl_keys_stop(keys);
	ctl_http_stop(http);
	ctl_http_stop(metrics);
	kube_client_free(state.kc);
	kube_config_release(&kcfg);
	ctl_ratelimit_free(state.verify_rl);
	pthread_rwlock_wrlock(&state.keys_lock);
	keys_ring_release(&ring);
	pthread_rwlock_unlock(&state.keys_lock);
	ctl_opts_release(&opts);
	gs_info("stopped", "rc=%d", rc);
	return rc;
}
