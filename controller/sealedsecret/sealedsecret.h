#ifndef GS_CTL_SEALEDSECRET_H
#define GS_CTL_SEALEDSECRET_H
/*
 * The SealedSecret reconciler (a drop-in for the Bitnami Sealed Secrets controller), on the
 * controller runtime: the sealing keys of the controller's namespace (every replica loads and
 * serves them), /v1/cert.pem, /v1/verify and /v1/rotate, the upstream metrics, and, while this
 * replica holds the Lease, the unsealing of every SealedSecret into its Secret, key generation
 * and renewal. What main.c needs, and nothing more.
 */
struct ctl_opts;
struct rt;
struct rt_http;
struct ss_controller;
struct keys_age_ring;

/* Metrics and routes (on api, before it starts); nothing runs yet. o outlives c. */
int ss_controller_new(struct ss_controller **out, struct rt *rt, const struct ctl_opts *o,
                      struct rt_http *api);
/* The age identities: ring (made by main.c, shared with other reconcilers, outliving c) is
 * where the controller loads them; before ss_controller_start(). Without it, c keeps its own. */
int ss_controller_set_age_ring(struct ss_controller *c, struct keys_age_ring *ring);
/*
 * Who counts the SOPS objects that need each age identity (the Application reconciler's
 * app_controller_sops_usage, which says what it appends): /v1/keys reports it per identity,
 * "sopsObjects": null when fn answers 0. Before ss_controller_start().
 */
struct buf;
typedef int (*ss_sops_usage_fn)(void *arg, const char *recipient, const char *const *ring,
                                size_t nring, struct buf *json);
void ss_controller_set_sops_usage(struct ss_controller *c, ss_sops_usage_fn fn, void *arg);
/* The key watch (every replica) and the Lease: from here on it unseals while leading. */
int ss_controller_start(struct ss_controller *c);
/* SIGUSR1: a new sealing key now (only the leader makes one). Any thread. */
void ss_controller_new_key(struct ss_controller *c);
/* Stop unsealing, give the Lease up, stop the key watch. The routes keep working. */
void ss_controller_stop(struct ss_controller *c);
/* After the HTTP server that carries the routes stopped. */
void ss_controller_free(struct ss_controller *c);

#endif
