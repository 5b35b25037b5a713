#ifndef GS_CTL_APPLICATION_H
#define GS_CTL_APPLICATION_H
/*
 * The Application reconciler (applications.gitseal.dev): keeps a cluster equal to Git. Every
 * replica serves the webhook receiver; while this replica holds the Lease
 * (gitseal-apps[-SHARD]) it watches the Applications of its shard and reconciles them:
 * source -> render -> decrypt (lib/pipeline, as `gitseal build`) -> staged apply -> prune ->
 * health, with drift seen on shared watches of the applied kinds. What main.c needs.
 */
struct ctl_opts;
struct kube_config;
struct rt;
struct rt_http;
struct app_controller;

/* Metrics and the webhook routes (on hooks, before it starts); nothing runs yet. o and cfg (the
 * controller's own connection, the base of impersonated clients) outlive c. */
int app_controller_new(struct app_controller **out, struct rt *rt, const struct ctl_opts *o,
                       const struct kube_config *cfg, struct rt_http *hooks);
/* The Lease: from here on it reconciles while leading. */
int app_controller_start(struct app_controller *c);
/* Stop reconciling (workers finish what they hold), give the Lease up. */
void app_controller_stop(struct app_controller *c);
/*
 * How the Applications this replica reconciles use the cluster's age identities (/v1/keys; the
 * unsealer's usage.c calls it). recipient NULL: appends the totals
 * ,"sopsComplete":B,"sopsUncounted":N (B: every Application was built since this replica leads).
 * Else, for that recipient: ,"sopsObjects":N,"sopsNeeded":N,"applications":[...],
 * "moreApplications":N, where sopsNeeded counts the objects no other identity of ring[0..nring)
 * opens. Returns 1 with the fields appended, 0 when this replica does not lead the Applications
 * (nothing appended), < 0 on error. NULL c: 0.
 */
struct buf;
int app_controller_sops_usage(void *c, const char *recipient, const char *const *ring, size_t nring,
                              struct buf *json);
/* After the HTTP server that carries the routes stopped. */
void app_controller_free(struct app_controller *c);

#endif
