/*
 * The cluster side of gitseal seal, as kubeseal reaches the controller:
 * through the API server's service proxy,
 *   GET  /api/v1/namespaces/<ns>/services/<name>            (spec.ports[0].name)
 *   GET  .../services/http:<name>:<port>/proxy/v1/cert.pem
 *   POST .../services/http:<name>:<port>/proxy/v1/verify    (200 opens, 409 does not)
 *   POST .../services/http:<name>:<port>/proxy/v1/rotate    (the re-encrypted SealedSecret)
 * with the kubeconfig and kubectl's override flags (lib/kube).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_seal.h"
#include "kube/kube.h"

#define PROXY_BODY_MAX ((size_t)16 << 20)

void seal_cluster_release(struct seal_cluster *c)
{
	kube_client_free(c->kc);
	c->kc = NULL;
	free(c->base);
	c->base = NULL;
}

static int connect(struct seal_cluster *c)
{
	int rc;
	if (c->kc)
		return 0;
	if ((rc = kube_client_from_env(&c->kc, &c->ov, NULL)) < 0)
		return gs_error_prefix(rc, "cannot connect to the cluster");
	return 0;
}

const char *seal_cluster_namespace(struct seal_cluster *c)
{
	static char ns[256];
	struct kube_config cfg = KUBE_CONFIG_INIT;
	/* like kubeseal: the kubeconfig context's namespace, without contacting the server */
	if (!*ns) {
		snprintf(ns, sizeof(ns), "%s", "default");
		if (kube_config_load(&cfg, &c->ov) >= 0 && cfg.ns && *cfg.ns)
			snprintf(ns, sizeof(ns), "%s", cfg.ns);
		kube_config_release(&cfg);
		gs_error_clear();
	}
	return ns;
}

static const char *ctl_ns(const struct seal_cluster *c)
{
	return c->ctl_ns && *c->ctl_ns ? c->ctl_ns : "kube-system";
}

static const char *ctl_name(const struct seal_cluster *c)
{
	return c->ctl_name && *c->ctl_name ? c->ctl_name : "sealed-secrets-controller";
}

/* "/api/v1/namespaces/<ns>/services/http:<name>:<port>/proxy<endpoint>" */
static int proxy_path(struct seal_cluster *c, struct buf *path, const char *endpoint)
{
	struct kube_request req = { "GET", NULL, NULL, NULL, 0, 0 };
	struct buf p = BUF_INIT(4096), body = BUF_INIT(1 << 20);
	struct doc *svc = NULL;
	const char *port;
	int rc;

	if ((rc = connect(c)) < 0)
		goto out;
	if (c->base) { /* found before: one GET of the Service per process, not per request */
		rc = buf_addf(path, "%s%s", c->base, endpoint);
		goto out;
	}
	if ((rc = buf_addf(&p, "/api/v1/namespaces/%s/services/%s", ctl_ns(c), ctl_name(c))) < 0)
		goto out;
	req.path = p.p;
	if ((rc = kube_request(c->kc, &req, &body)) < 0) {
		if (kube_last_status() == 404)
			rc = gs_error(
			    GS_ENOTFOUND,
			    "cannot get sealed secret service: services \"%s\" not found.\n"
			    "Please, use the flag --controller-name and --controller-namespace to "
			    "set up "
			    "the name and namespace of the sealed secrets controller",
			    ctl_name(c));
		goto out;
	}
	if ((rc = doc_parse_one(&svc, "service", body.p, body.len, DOC_PARSE_JSON)) < 0)
		goto out;
	/* the helm chart names the port "http"; controller.yaml leaves it unnamed */
	port = doc_str(doc_get(doc_val_at(doc_getp(svc, "spec", "ports", NULL), 0), "name"));
	buf_reset(&p);
	if ((rc = buf_addf(&p, "/api/v1/namespaces/%s/services/http:%s:%s/proxy", ctl_ns(c),
	                   ctl_name(c), port ? port : "")) < 0 ||
	    (rc = buf_addf(path, "%s%s", p.p, endpoint)) < 0)
		goto out;
	c->base = strdup(p.p);
out:
	doc_free(svc);
	buf_release(&p);
	buf_release(&body);
	return rc;
}

int seal_cluster_get(struct seal_cluster *c, const char *endpoint, struct buf *out)
{
	struct kube_request req = { "GET", NULL, NULL, NULL, 0, 0 };
	struct buf path = BUF_INIT(4096);
	int rc;
	if ((rc = proxy_path(c, &path, endpoint)) >= 0) {
		req.path = path.p;
		rc = kube_request(c->kc, &req, out);
	}
	buf_release(&path);
	return rc;
}

int seal_cluster_cert(struct seal_cluster *c, struct buf *pem)
{
	int rc = seal_cluster_get(c, "/v1/cert.pem", pem);
	return rc < 0 ? gs_error_prefix(rc, "cannot fetch certificate") : 0;
}

int seal_cluster_post(struct seal_cluster *c, const char *endpoint, const struct doc *d,
                      struct buf *out, long *status)
{
	struct kube_request req = { "POST", NULL, "application/json", NULL, 0, 0 };
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	struct buf path = BUF_INIT(4096), body = BUF_INIT(PROXY_BODY_MAX);
	int rc;

	*status = 0;
	eo.flags = DOC_EMIT_COMPACT | DOC_EMIT_JSON_HTML_ESCAPE;
	if ((rc = proxy_path(c, &path, endpoint)) < 0 || (rc = doc_emit_json(&body, d, &eo)) < 0)
		goto out;
	req.path = path.p;
	req.body = body.p;
	req.body_len = body.len;
	rc = kube_request(c->kc, &req, out);
	*status = kube_last_status();
out:
	buf_release(&path);
	buf_release(&body);
	return rc;
}
