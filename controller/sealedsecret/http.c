/*
 * The SealedSecret endpoints (pkg/controller/server.go), served by every replica on the runtime's
 * HTTP server (:8080, with /healthz): /v1/cert.pem, /v1/verify (rate limited), /v1/rotate.
 * Handlers only read the key ring (under its read lock). Verify and rotate never render
 * template.data (it would be a decryption oracle, upstream PRs #2019/#2049), and rotate takes
 * the scope from the top-level metadata only (CVE-2026-22728): both hold because
 * sealed_open()/sealed_reseal() read the SealedSecret's own metadata.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/clock.h"
#include "core/log.h"
#include "sealer/sealed/sealed.h"

/* One SealedSecret from the body (JSON or YAML; several documents is an error as upstream). */
static int parse_ss(struct doc **out, const struct buf *body)
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
	return 0;
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
	const char *xff = rt_http_header(rq, "X-Forwarded-For");
	struct buf key = BUF_INIT(4096);
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct doc *ss = NULL;
	size_t hint = 0;
	int rc;

	buf_addf(&key, "%s%s", rq->path, xff ? xff : "");
	if (!rt_ratelimit_allow(c->verify_rl, key.p, gs_mono())) {
		rt_http_reply_text(resp, 429, "Too many requests\n");
	} else if (rq->body_too_big) {
		rt_http_reply_text(resp, 413, "request body too large\n");
	} else if ((rc = parse_ss(&ss, rq->body)) < 0) {
		gs_info("verify: bad request", "error=\"%s\"", gs_error_last());
		rt_http_reply_text(resp, 500, gs_error_last());
	} else {
		rc = ss_keys_open(&c->keys, &it, ss, &hint);
		sealed_items_release(&it);
		resp->code = rc < 0 ? 409 : 200;
	}
	doc_free(ss);
	gs_error_clear();
	buf_release(&key);
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
	if ((rc = parse_ss(&ss, rq->body)) < 0) {
		rt_http_reply_text(resp, 500, gs_error_last());
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
	int rc;
	if ((rc = rt_http_route(api, "GET", "/v1/cert.pem", do_cert, c)) < 0 ||
	    (rc = rt_http_route(api, "POST", "/v1/verify", do_verify, c)) < 0 ||
	    (rc = rt_http_route(api, "POST", "/v1/rotate", do_rotate, c)) < 0)
		return rc;
	return 0;
}
