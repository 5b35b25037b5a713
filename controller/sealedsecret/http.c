/*
 * The SealedSecret endpoints (pkg/controller/server.go), served by every replica on the runtime's
 * HTTP server (:8080, with /healthz): /v1/cert.pem (GET only, as upstream's router: HEAD is 405),
 * /v1/verify and /v1/rotate (POST). Handlers only read the key ring (under its read lock).
 * Verify and rotate never render template.data (it would be a decryption oracle, upstream PRs
 * #2019/#2049), and rotate takes the scope from the top-level metadata only (CVE-2026-22728):
 * both hold because sealed_open()/sealed_reseal() read the SealedSecret's own metadata.
 *
 * Verify and rotate decrypt: they are work routes (the runtime's HTTP work threads, --http-workers,
 * are their whole CPU budget: never an event thread, never the unsealing workers' decryption
 * slots), rate limited per peer address (--rate-limit, --rate-limit-burst: each route its own
 * bucket, keyed by the TCP peer, not X-Forwarded-For), and refuse a SealedSecret of more than
 * --http-max-items items (413) before any decryption.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/clock.h"
#include "core/log.h"
#include "sealer/sealed/sealed.h"

/* One SealedSecret from the body (JSON or YAML; several documents is an error as upstream), with
 * at most max items. */
static int parse_ss(struct doc **out, const struct buf *body, int max)
{
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i, n = 0;
	int rc;

	*out = NULL;
	if ((rc = doc_parse(&s, "request body", body->p, body->len, 0, NULL)) < 0)
		return rc;
	for (i = 0; i < s.n; i++)
		n += s.docs[i] != NULL;
	if (n != 1) {
		doc_stream_release(&s);
		return gs_error(GS_EINVAL,
		                n ? "multi-document YAML is not supported" : "empty request body");
	}
	for (i = 0; i < s.n; i++)
		if (s.docs[i]) {
			*out = s.docs[i];
			s.docs[i] = NULL;
		}
	doc_stream_release(&s);
	if (!sealed_is_sealedsecret(*out)) {
		const char *k = doc_str(doc_get(*out, "kind"));
		doc_free(*out);
		*out = NULL;
		return gs_error(GS_EINVAL, "unexpected resource type: %s", k ? k : "(no kind)");
	}
	{
		size_t n = doc_len(doc_getp(*out, "spec", "encryptedData", NULL)) +
		           (doc_getp(*out, "spec", "data", NULL) ? 1 : 0);
		if (max > 0 && n > (size_t)max) {
			doc_free(*out);
			*out = NULL;
			return gs_error(GS_ETOOBIG,
			                "too many items: %zu (at most %d per request, "
			                "--http-max-items)",
			                n, max);
		}
	}
	return 0;
}

/* A parse error's answer: 413 for too many items, else 500 as upstream. */
static void bad_body(struct rt_http_resp *resp, int rc)
{
	struct buf msg = BUF_INIT(4096);
	buf_addf(&msg, "%s\n", gs_error_last());
	rt_http_reply_text(resp, rc == GS_ETOOBIG ? 413 : 500, msg.p);
	buf_release(&msg);
}

static void do_cert(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	struct ss_controller *c = ctx;
	const char *pem = NULL;
	size_t len = 0;
	int ok;

	(void)rq;
	pthread_rwlock_rdlock(&c->keys.lock);
	ok = keys_ring_newest_cert_pem(&c->keys.ring, &pem, &len) >= 0 &&
	     buf_add(&resp->body, pem, len) >= 0;
	pthread_rwlock_unlock(&c->keys.lock);
	gs_error_clear();
	if (!ok) {
		rt_http_reply_text(resp, 500, "cannot get certificate\n");
		return;
	}
	resp->code = 200;
	resp->type = "application/x-pem-file";
}

static void do_verify(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	struct ss_controller *c = ctx;
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct doc *ss = NULL;
	size_t hint = 0;
	int rc;

	if (rq->body_too_big) {
		rt_http_reply_text(resp, 413, "request body too large\n");
	} else if ((rc = parse_ss(&ss, rq->body, c->o->http_max_items)) < 0) {
		gs_info("verify: bad request", "peer=%s error=\"%s\"", rq->peer, gs_error_last());
		bad_body(resp, rc);
	} else {
		rc = ss_keys_verify(&c->keys, &it, ss, &hint);
		sealed_items_release(&it);
		resp->code = rc < 0 ? 409 : 200;
	}
	doc_free(ss);
	gs_error_clear();
}

static void do_rotate(void *ctx, const struct rt_http_req *rq, struct rt_http_resp *resp)
{
	struct ss_controller *c = ctx;
	struct doc *ss = NULL;
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT };
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	int rc;

	if (rq->body_too_big) {
		rt_http_reply_text(resp, 413, "request body too large\n");
		return;
	}
	if ((rc = parse_ss(&ss, rq->body, c->o->http_max_items)) < 0) {
		bad_body(resp, rc);
		gs_error_clear();
		return;
	}
	uo.accept_v1_data = c->o->accept_v1_data;
	uo.what = "request body";
	pthread_rwlock_rdlock(&c->keys.lock);
	{
		/* a private keyset: the ring's hint is not ours to move */
		struct sealed_keyset ks = c->keys.ring.set;
		const struct keys_entry *newest = keys_ring_newest(&c->keys.ring);
		ks.hint = 0;
		ks.threads = 1;
		if (!newest || !newest->cert)
			rc = gs_error(GS_ENOTFOUND, "no sealing key");
		else
			rc = sealed_reseal(ss, &ks, newest->cert, &uo);
	}
	pthread_rwlock_unlock(&c->keys.lock);
	if (rc >= 0)
		rc = doc_emit_json(&resp->body, ss, &eo);
	if (rc < 0) {
		struct buf msg = BUF_INIT(4096);
		buf_addf(&msg, "error decrypting secret. %s\n", gs_error_last());
		rt_http_reply_text(resp, 500, msg.p);
		buf_release(&msg);
	} else {
		resp->code = 200;
		resp->type = "application/json";
	}
	doc_free(ss);
	gs_error_clear();
}

int ss_http_routes(struct ss_controller *c, struct rt_http *api)
{
	struct rt_http_route_opts ro = { 0 };
	int rc;

	if ((rc = rt_http_route(api, "GET", "/v1/cert.pem", do_cert, c)) < 0)
		return rc;
	ro.method = "POST";
	ro.ctx = c;
	ro.work = 1;
	ro.rate = c->o->rate_limit;
	ro.burst = c->o->rate_limit_burst;
	ro.path = "/v1/verify";
	ro.fn = do_verify;
	if ((rc = rt_http_route_add(api, &ro)) < 0)
		return rc;
	ro.path = "/v1/rotate";
	ro.fn = do_rotate;
	return rt_http_route_add(api, &ro);
}
