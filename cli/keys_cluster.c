/*
 * What gitseal keys list / renew / retire share: reaching the controller's namespace (kubectl's
 * flags, kubeseal's --controller-namespace/--controller-name) and its /v1/keys document.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"

#define KEYS_JSON_MAX ((size_t)16 << 20)

int keys_cli_common_opt(struct seal_cluster *c, int id, const char *arg)
{
	switch (id) {
	case KEYS_O_CTL_NS: c->ctl_ns = arg; return 1;
	case KEYS_O_CTL_NAME: c->ctl_name = arg; return 1;
	case KEYS_O_KUBECONFIG: c->ov.kubeconfig = arg; return 1;
	case KEYS_O_CONTEXT: c->ov.context = arg; return 1;
	}
	return 0;
}

const char *keys_cli_ns(const struct seal_cluster *c)
{
	return c->ctl_ns && *c->ctl_ns ? c->ctl_ns : "kube-system";
}

int keys_cli_status(struct doc **out, struct seal_cluster *c)
{
	struct buf body = BUF_INIT(KEYS_JSON_MAX);
	int rc;
	*out = NULL;
	if ((rc = seal_cluster_get(c, "/v1/keys", &body)) < 0)
		rc = gs_error_prefix(rc, "cannot ask the controller for its keys (/v1/keys)");
	else if ((rc = doc_parse_one(out, "/v1/keys", body.p, body.len, DOC_PARSE_JSON)) < 0 ||
	         doc_kind(*out) != DOC_MAP || !doc_get(*out, "rsa")) {
		doc_free(*out);
		*out = NULL;
		rc = gs_error(GS_EPARSE, "the controller's /v1/keys answer is not a key list (a "
		                         "gitseal-controller is needed)");
	}
	buf_release(&body);
	return rc;
}
