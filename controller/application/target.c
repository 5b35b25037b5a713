/*
 * Where an Application applies, as whom, and with which secrets:
 *
 *   - this cluster: the runtime's client, or (spec.serviceAccountName, else
 *     --default-service-account) a client that impersonates
 *     system:serviceaccount:<Application namespace>:<name>;
 *   - another cluster (destination.name, or a server other than
 *     https://kubernetes.default.svc): a Secret of the controller's namespace labelled
 *     argocd.argoproj.io/secret-type=cluster or gitseal.dev/secret-type=cluster, in Argo CD's
 *     shape (name, server, config: {bearerToken, tlsClientConfig: {caData, certData, keyData,
 *     insecure, serverName}}); the apply impersonates the ServiceAccount there too, and an
 *     Application without one cannot target a remote cluster;
 *   - secretRefs (source credentials, decryption identities) come from the Application's own
 *     namespace only; without a decryption Secret, the cluster's own age identities
 *     (keys/: Secrets labelled gitseal.dev/age-identity) open only files whose namespace is
 *     the object's.
 *
 * Clients are kept per (server, user, cluster Secret version): a rotated token makes a new one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/application/application_int.h"
#include "core/base64.h"
#include "core/clock.h"
#include "core/log.h"
#include "decrypt/decrypt.h"
#include "source/source.h"

#define CLUSTER_LABEL_ARGO "argocd.argoproj.io/secret-type=cluster"
#define CLUSTER_LABEL_OURS "gitseal.dev/secret-type=cluster"
#define IDS_CACHE_SECONDS 5.0

static void client_free(void *p)
{
	kube_client_free(p);
}

void app__clients_free(struct app_controller *c)
{
	rt_map_release(&c->clients, client_free);
	doc_free(c->ids_cache);
	c->ids_cache = NULL;
}

/* The cached client for key, or a new one from cfg. */
static int client_for(struct app_controller *c, const char *key, const struct kube_config *cfg,
                      struct kube_client **out)
{
	struct kube_client_opts co = KUBE_CLIENT_OPTS_INIT;
	struct kube_client *kc = NULL, *other;
	int rc;

	pthread_mutex_lock(&c->mu);
	*out = rt_map_get(&c->clients, key);
	pthread_mutex_unlock(&c->mu);
	if (*out)
		return 0;
	co.qps = c->o->kubeclient_qps;
	co.burst = c->o->kubeclient_burst;
	co.user_agent = "gitseal-controller/" CTL_VERSION;
	co.field_manager = APPLY_FIELD_MANAGER;
	if ((rc = kube_client_new(&kc, cfg, &co)) < 0)
		return rc;
	pthread_mutex_lock(&c->mu);
	if ((other = rt_map_get(&c->clients, key))) { /* another worker was first */
		pthread_mutex_unlock(&c->mu);
		kube_client_free(kc);
		*out = other;
		return 0;
	}
	if (rt_map_put(&c->clients, key, kc) < 0) {
		pthread_mutex_unlock(&c->mu);
		kube_client_free(kc);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&c->mu);
	*out = kc;
	return 0;
}

/* "system:serviceaccount:<ns>:<sa>" for spec (NULL: apply as the controller). */
static int impersonated_user(struct buf *out, struct app_controller *c, const struct app *spec)
{
	const char *sa = spec->service_account && *spec->service_account
	                     ? spec->service_account
	                     : c->o->default_service_account;
	buf_reset(out);
	if (!sa || !*sa)
		return 0;
	return buf_addf(out, "system:serviceaccount:%s:%s", spec->namespace, sa);
}

/* A string of a Secret's data (base64) into out ("" when absent). */
static int secret_field(struct buf *out, const struct doc *secret, const char *key)
{
	const char *v = doc_str(doc_getp(secret, "data", key, NULL));
	buf_reset(out);
	if (!v) {
		v = doc_str(doc_getp(secret, "stringData", key, NULL));
		return v ? buf_adds(out, v) : 0;
	}
	return base64_decode(out, v, strlen(v), B64_GO_STD);
}

static int same_server(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	while (la && a[la - 1] == '/')
		la--;
	while (lb && b[lb - 1] == '/')
		lb--;
	return la == lb && !strncasecmp(a, b, la);
}

/* Find the cluster Secret of spec's destination. */
static int find_cluster(struct app_controller *c, const struct app *spec, struct doc **out)
{
	static const char *const selectors[] = { CLUSTER_LABEL_OURS, CLUSTER_LABEL_ARGO };
	const char *want_name = spec->destination.name, *want_server = spec->destination.server;
	struct buf v = BUF_INIT_SECRET(1 << 20);
	size_t s, i;
	int rc = 0;

	*out = NULL;
	for (s = 0; s < 2 && !*out; s++) {
		struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
		struct doc *list = NULL;
		const struct doc *items;
		lo.label_selector = selectors[s];
		if ((rc = kube_list(&list, c->kc, "v1", "Secret", c->o->namespace, &lo)) < 0) {
			rc = gs_error_prefix(rc, "cluster secrets in %s", c->o->namespace);
			goto out;
		}
		items = doc_get(list, "items");
		for (i = 0; i < doc_len(items) && !*out; i++) {
			const struct doc *sec = doc_val_at(items, i);
			int match;
			if (want_name && *want_name) {
				match =
				    secret_field(&v, sec, "name") == 0 && !strcmp(v.p, want_name);
			} else {
				match = secret_field(&v, sec, "server") == 0 &&
				        same_server(v.p, want_server);
			}
			if (match && !(*out = doc_clone(sec)))
				rc = gs_error(GS_ENOMEM, "out of memory");
		}
		doc_free(list);
	}
	if (!*out && rc == 0)
		rc = gs_error(GS_ENOTFOUND,
		              "no cluster Secret in namespace %s (labelled %s or %s) for %s %s",
		              c->o->namespace, CLUSTER_LABEL_OURS, CLUSTER_LABEL_ARGO,
		              want_name && *want_name ? "name" : "server",
		              want_name && *want_name ? want_name : want_server);
out:
	buf_release(&v);
	return rc;
}

/* A kube_config from an Argo CD cluster Secret (every secret in wiped memory). */
static int cluster_config(struct kube_config *cfg, const struct doc *sec)
{
	struct buf v = BUF_INIT_SECRET(1 << 20);
	struct doc *conf = NULL;
	const struct doc *tls;
	const char *s;
	const char *name = doc_k8s_name(sec);
	int rc, ins = 0;

	if ((rc = secret_field(&v, sec, "server")) < 0 || !v.len) {
		rc = gs_error(GS_EINVAL, "cluster Secret %s: no server", name);
		goto out;
	}
	if (!(cfg->server = strdup(v.p)) || !(cfg->source = strdup(name)) ||
	    !(cfg->ns = strdup("default"))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = secret_field(&v, sec, "config")) < 0)
		goto out;
	if (v.len && (rc = doc_parse_one(&conf, "config", v.p, v.len,
	                                 DOC_PARSE_JSON | DOC_PARSE_SECRET)) < 0) {
		rc = gs_error(GS_EPARSE, "cluster Secret %s: config is not JSON", name);
		goto out;
	}
	if ((s = doc_str(doc_get(conf, "bearerToken"))) && !(cfg->token = strdup(s))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	tls = doc_get(conf, "tlsClientConfig");
	doc_get_bool(doc_get(tls, "insecure"), &ins);
	gs_error_clear();
	cfg->insecure = ins;
	if ((s = doc_str(doc_get(tls, "serverName"))) && !(cfg->tls_server_name = strdup(s))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((s = doc_str(doc_get(tls, "caData"))) &&
	    (rc = base64_decode(&cfg->ca_pem, s, strlen(s), B64_GO_STD)) < 0)
		goto bad64;
	if ((s = doc_str(doc_get(tls, "certData"))) &&
	    (rc = base64_decode(&cfg->client_cert_pem, s, strlen(s), B64_GO_STD)) < 0)
		goto bad64;
	if ((s = doc_str(doc_get(tls, "keyData"))) &&
	    (rc = base64_decode(&cfg->client_key_pem, s, strlen(s), B64_GO_STD)) < 0)
		goto bad64;
	rc = 0;
	goto out;
bad64:
	rc = gs_error(GS_EPARSE, "cluster Secret %s: tlsClientConfig holds bad base64", name);
out:
	doc_free(conf);
	buf_release(&v);
	return rc;
}

int app__target_client(struct app_controller *c, const struct app *spec, struct kube_client **out,
                       int *remote)
{
	struct buf user = BUF_INIT(1024), key = BUF_INIT(2048);
	struct kube_config cfg = KUBE_CONFIG_INIT, local;
	struct doc *sec = NULL;
	int rc;

	*out = NULL;
	*remote = !app_in_cluster(spec);
	if ((rc = impersonated_user(&user, c, spec)) < 0)
		goto out;
	if (!*remote) {
		if (!user.len) {
			*out = c->kc;
			goto out;
		}
		/* the controller's own connection, as the ServiceAccount */
		local = *c->cfg;
		local.impersonate_user = user.p;
		local.impersonate_groups = NULL;
		local.nimpersonate_groups = 0;
		buf_addf(&key, "local|%s", user.p);
		rc = client_for(c, key.p, &local, out);
		goto out;
	}
	if (!user.len) {
		rc = gs_error(GS_EINVAL,
		              "destination %s is another cluster: set spec.serviceAccountName (or "
		              "run the controller with --default-service-account)",
		              spec->destination.name && *spec->destination.name
		                  ? spec->destination.name
		                  : spec->destination.server);
		goto out;
	}
	if ((rc = find_cluster(c, spec, &sec)) < 0 || (rc = cluster_config(&cfg, sec)) < 0)
		goto out;
	if (!(cfg.impersonate_user = strdup(user.p))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	buf_addf(&key, "%s|%s|%s|%s", cfg.server, user.p, doc_k8s_name(sec),
	         doc_str(doc_getp(sec, "metadata", "resourceVersion", NULL))
	             ? doc_str(doc_getp(sec, "metadata", "resourceVersion", NULL))
	             : "");
	rc = client_for(c, key.p, &cfg, out);
out:
	kube_config_release(&cfg);
	doc_free(sec);
	buf_release(&user);
	buf_release(&key);
	return rc;
}

int app__source_creds(struct app_controller *c, const struct app *spec, struct source_creds **out)
{
	struct doc *sec = NULL;
	int rc;

	*out = NULL;
	if (!spec->source.secret_ref)
		return 0;
	if ((rc = kube_get(&sec, c->kc, "v1", "Secret", spec->namespace, spec->source.secret_ref)) <
	    0)
		return gs_error_prefix(rc, "spec.source.secretRef %s/%s", spec->namespace,
		                       spec->source.secret_ref);
	if ((rc = source_creds_from_secret(out, sec)) < 0)
		gs_error_prefix(rc, "Secret %s/%s", spec->namespace, spec->source.secret_ref);
	doc_free(sec);
	return rc;
}

/* The cluster's own age identity Secrets (a LIST at most every few seconds). */
static int own_identities(struct app_controller *c, struct doc **out)
{
	struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
	struct doc *list = NULL;
	double now = gs_mono();
	int rc;

	*out = NULL;
	pthread_mutex_lock(&c->mu);
	if (c->ids_cache && now - c->ids_cache_at < IDS_CACHE_SECONDS)
		*out = doc_clone(c->ids_cache);
	pthread_mutex_unlock(&c->mu);
	if (*out)
		return 0;
	/* TODO(lead): the Secrets keys/ keeps the cluster's age identities in (issue 11); read
	 * here as labelled gitseal.dev/age-identity, entries ending in .agekey */
	lo.label_selector = APP_LABEL_AGE_IDENTITY;
	if ((rc = kube_list(&list, c->kc, "v1", "Secret", c->o->namespace, &lo)) < 0)
		return rc;
	pthread_mutex_lock(&c->mu);
	doc_free(c->ids_cache);
	c->ids_cache = doc_clone(list);
	c->ids_cache_at = now;
	pthread_mutex_unlock(&c->mu);
	*out = list;
	return 0;
}

int app__identities(struct app_controller *c, const struct app *spec, struct decrypt_ctx *dc)
{
	struct doc *sec = NULL;
	const struct doc *items;
	size_t i;
	int rc;

	if (spec->decryption.secret_ref) {
		if ((rc = kube_get(&sec, c->kc, "v1", "Secret", spec->namespace,
		                   spec->decryption.secret_ref)) < 0)
			return gs_error_prefix(rc, "spec.decryption.secretRef %s/%s",
			                       spec->namespace, spec->decryption.secret_ref);
		rc = decrypt_ctx_add_secret(dc, sec, DECRYPT_IDS_ANY);
		doc_free(sec);
		return rc;
	}
	if ((rc = own_identities(c, &sec)) < 0) {
		/* not fatal: a repository without SOPS files needs none */
		gs_warn("cannot list the cluster's age identities", "namespace=%s error=\"%s\"",
		        c->o->namespace, gs_error_last());
		gs_error_clear();
		return 0;
	}
	items = doc_get(sec, "items");
	for (i = 0; i < doc_len(items); i++)
		if (decrypt_ctx_add_secret(dc, doc_val_at(items, i), DECRYPT_IDS_OWN_NAMESPACE) < 0)
			gs_error_clear(); /* a Secret without .agekey entries */
	doc_free(sec);
	return 0;
}
