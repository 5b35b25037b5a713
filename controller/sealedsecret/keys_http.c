/*
 * The key lifecycle's endpoints, beside upstream's (http.c), on the same server:
 *   GET  /v1/age-recipient   the newest age identity's recipient ("age1...\n"), what
 *                            `gitseal encrypt --to-cluster` encrypts to; 500 when there is none
 *   GET  /v1/keys            every sealing key and age identity with the SealedSecrets that still
 *                            need each key (usage.c), for `gitseal keys list` and `keys retire`
 *   POST /v1/rotate-stale    /v1/rotate for `gitseal rotate`: 204 without a body when the
 *                            SealedSecret already opens with the newest key (one private-key
 *                            operation per item), else the re-sealed SealedSecret as /v1/rotate
 *                            returns it. Never renders template.data; the scope comes from the
 *                            top-level metadata, as /v1/rotate.
 * Nothing here returns plaintext or a private key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/log.h"
#include "keys/keys.h"
#include "sealer/sealed/sealed.h"

static void do_age_recipient(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	struct ss_controller *c = ctx;
	(void)rq;
	if (!c->age || keys_age_ring_newest(ss_age_ring(c), &resp->body, NULL) < 0 ||
	    buf_addc(&resp->body, '\n') < 0) {
		gs_error_clear();
		rt_http_reply_text(resp, 500, "cannot get age recipient\n");
		return;
	}
	resp->code = 200;
	resp->type = "text/plain; charset=utf-8";
}

static void do_keys(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	struct ss_controller *c = ctx;
	(void)rq;
	if (ss_usage_json(c, &resp->body) < 0) {
		rt_http_reply_text(resp, 500, "cannot list the keys\n");
		gs_error_clear();
		return;
	}
	resp->code = 200;
	resp->type = "application/json";
}

/* One SealedSecret from the body (JSON or YAML, one document). */
static int parse_one(struct doc **out, const struct buf *body, int max_items)
{
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i, n = 0;
	int rc;

	*out = NULL;
	if ((rc = doc_parse(&s, "request body", body->p, body->len, 0, NULL)) < 0)
		return rc;
	for (i = 0; i < s.n; i++)
		if (s.docs[i]) {
			if (!n++)
				*out = s.docs[i];
			else
				doc_free(s.docs[i]);
			s.docs[i] = NULL;
		}
	doc_stream_release(&s);
	if (n != 1 || !sealed_is_sealedsecret(*out)) {
		doc_free(*out);
		*out = NULL;
		return gs_error(GS_EINVAL, n > 1 ? "multi-document YAML is not supported"
		                                 : "expected one SealedSecret");
	}
	n = doc_len(doc_getp(*out, "spec", "encryptedData", NULL));
	if (n > (size_t)max_items) {
		doc_free(*out);
		*out = NULL;
		return gs_error(GS_ETOOBIG,
		                "too many items: %zu (at most %d per request, --http-max-items)", n,
		                max_items);
	}
	return 0;
}

static void do_rotate_stale(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	struct ss_controller *c = ctx;
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct doc *ss = NULL;
	int rc, current = 0;

	if (rq->body_too_big) {
		rt_http_reply_text(resp, 413, "request body too large\n");
		return;
	}
	if ((rc = parse_one(&ss, rq->body, c->o->http_max_items)) < 0) {
		rt_http_reply_text(resp, rc == GS_ETOOBIG ? 413 : 400, gs_error_last());
		gs_error_clear();
		return;
	}
	uo.accept_v1_data = c->o->accept_v1_data;
	uo.what = "request body";
	pthread_rwlock_rdlock(&c->keys.lock);
	{
		struct sealed_keyset ks = c->keys.ring.set; /* private: the hint is ours */
		const struct keys_entry *newest = keys_ring_newest(&c->keys.ring);
		ks.hint = ks.n > 1 ? 1 : 0; /* a stale one was sealed for an older key */
		ks.threads = 1;
		ks.used = 0;
		if (!newest || !newest->cert)
			rc = gs_error(GS_ENOTFOUND, "no sealing key");
		else if ((rc = sealed_opens_with(ss, newest->key, 0, &uo)) > 0)
			current = 1;
		else if (rc == 0)
			rc = sealed_reseal(ss, &ks, newest->cert, &uo);
	}
	pthread_rwlock_unlock(&c->keys.lock);
	if (rc >= 0 && current) {
		resp->code = 204;
	} else if (rc >= 0 && (rc = doc_emit_json(&resp->body, ss, &eo)) >= 0) {
		resp->code = 200;
		resp->type = "application/json";
	} else {
		struct buf msg = BUF_INIT(4096);
		buf_addf(&msg, "error decrypting secret. %s\n", gs_error_last());
		rt_http_reply_text(resp, rc == GS_EAUTH ? 409 : 500, msg.p);
		buf_release(&msg);
	}
	doc_free(ss);
	gs_error_clear();
}

int ss_lifecycle_routes(struct ss_controller *c, struct rt_http *api)
{
	/* /v1/rotate-stale decrypts: the same work threads and per-peer limit as /v1/rotate */
	struct rt_http_route_opts ro = { 0 };
	int rc;

	if ((rc = rt_http_route(api, "GET", "/v1/age-recipient", do_age_recipient, c)) < 0 ||
	    (rc = rt_http_route(api, "GET", "/v1/keys", do_keys, c)) < 0)
		return rc;
	ro.method = "POST";
	ro.path = "/v1/rotate-stale";
	ro.fn = do_rotate_stale;
	ro.ctx = c;
	ro.work = 1;
	ro.rate = c->o->rate_limit;
	ro.burst = c->o->rate_limit_burst;
	return rt_http_route_add(api, &ro);
}
