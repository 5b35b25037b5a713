/* age v1 encryption and decryption: header, stanzas, MAC, then the STREAM payload. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/base64.h"
#include "sealer/age/age_int.h"

#define RBUF_CAP ((size_t)17 * AGE_ENC_CHUNK)

/* ---- memory source and buffer sink for the in-memory calls ---- */
struct mem_src {
	struct age_src src;
	const unsigned char *p;
	size_t n, pos;
};

static ssize_t mem_read(struct age_src *s, void *p, size_t n)
{
	struct mem_src *m = (struct mem_src *)s;
	size_t k = m->n - m->pos < n ? m->n - m->pos : n;
	memcpy(p, m->p + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

struct buf_sink {
	struct age_sink sink;
	struct buf *b;
};

static int buf_write(struct age_sink *s, const void *p, size_t n)
{
	return buf_add(((struct buf_sink *)s)->b, p, n);
}

/* A source that first hands out what an rbuf already holds, then reads its source. */
struct rest_src {
	struct age_src src;
	struct age__rbuf *rb;
};

static ssize_t rest_read(struct age_src *s, void *p, size_t n)
{
	struct age__rbuf *rb = ((struct rest_src *)s)->rb;
	size_t k = rb->end - rb->start;
	if (!k)
		return rb->eof ? 0 : rb->src->read(rb->src, p, n);
	k = k < n ? k : n;
	memcpy(p, rb->p + rb->start, k);
	rb->start += k;
	return (ssize_t)k;
}

/* ---- encryption ---- */

int age_encrypt_stream(struct age_sink *out, struct age_src *in, struct age_recipient *const *rcpts,
                       size_t nrcpts, int armor)
{
	struct age_header h;
	struct age__armor_sink as;
	struct age_sink *dst = out;
	struct buf hdr = BUF_INIT(AGE_HEADER_MAX);
	unsigned char fk[AGE_FILE_KEY_LEN], mac[32];
	char mac64[48];
	size_t i;
	int rc = 0;

	memset(&h, 0, sizeof(h));
	age__armor_sink_init(&as, out);
	randombytes_buf(fk, sizeof(fk));
	if (!nrcpts) {
		rc = gs_error(GS_EINVAL, "no recipients specified");
		goto out;
	}
	for (i = 0; i < nrcpts; i++) {
		if (rcpts[i]->type == AGE_R_SCRYPT && nrcpts != 1) {
			rc = gs_error(GS_EINVAL,
			              "an scrypt recipient must be the only one for the file");
			goto out;
		}
		rc = rcpts[i]->type == AGE_R_SCRYPT        ? age__scrypt_wrap(&h, rcpts[i], fk)
		     : rcpts[i]->type == AGE_R_SSH_ED25519 ? age__ssh_wrap(&h, rcpts[i], fk)
		     : rcpts[i]->type == AGE_R_SSH_RSA     ? age__rsa_wrap(&h, rcpts[i], fk)
		                                           : age__x25519_wrap(&h, rcpts[i], fk);
		if (rc < 0) {
			gs_error_prefix(rc, "failed to wrap key for recipient #%zu", i);
			goto out;
		}
	}
	if ((rc = age__header_marshal_nomac(&hdr, &h)) < 0 ||
	    (rc = age__header_mac(mac, fk, hdr.p, hdr.len)) < 0)
		goto out;
	base64_encode_raw(mac64, mac, sizeof(mac), B64_NOPAD);
	if ((rc = buf_addf(&hdr, " %s\n", mac64)) < 0)
		goto out;
	if (armor)
		dst = &as.sink;
	if ((rc = dst->write(dst, hdr.p, hdr.len)) < 0 ||
	    (rc = age__stream_encrypt(dst, in, fk)) < 0)
		goto out;
	if (armor)
		rc = age__armor_sink_close(&as);
out:
	gs_wipe(fk, sizeof(fk));
	age__armor_sink_release(&as);
	age__header_release(&h);
	buf_release(&hdr);
	return rc;
}

int age_encrypt_buf(struct buf *out, const void *pt, size_t n, struct age_recipient *const *rcpts,
                    size_t nrcpts, int armor)
{
	struct mem_src src = { { mem_read }, pt, n, 0 };
	struct buf_sink sink = { { buf_write }, out };
	size_t start = out->len;
	int rc = age_encrypt_stream(&sink.sink, &src.src, rcpts, nrcpts, armor);
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}

/* ---- decryption ---- */

static int unwrap_list(const struct age_identity *ids, const struct age_header *h,
                       unsigned char fk[16]);

static int unlock(const struct age_identity *id)
{
	struct age_identity prompt, *inner = NULL;
	struct mem_src src = { { mem_read }, id->contents, id->contentslen, 0 };
	struct buf pt = BUF_INIT_SECRET(MAX_IDENTITY_FILE_PT);
	struct buf_sink sink = { { buf_write }, &pt };
	struct age_decrypt_result res;
	struct buf prompt_text = BUF_INIT(4096);
	int rc;

	memset(&prompt, 0, sizeof(prompt));
	prompt.type = AGE_I_PROMPT;
	prompt.ask = id->ask;
	prompt.ask_ctx = id->ask_ctx;
	prompt.max_logn = AGE_SCRYPT_LOGN_MAX;
	buf_addf(&prompt_text, "Enter passphrase for identity file \"%s\":", id->name);
	prompt.name = prompt_text.p;
	rc = age_decrypt_stream(&sink.sink, &src.src, &prompt, &res);
	if (rc < 0 && res.failure == AGE_FAIL_NO_MATCH)
		rc = gs_error(GS_EAUTH,
		              "identity file is encrypted with age but not with a passphrase");
	else if (rc < 0)
		gs_error_prefix(rc, "failed to decrypt identity file");
	else if ((rc = age_identities_parse(&inner, pt.p, pt.len, id->name)) == 0) {
		id->lazy->inner = inner;
		id->lazy->done = 1;
	}
	buf_release(&pt);
	buf_release(&prompt_text);
	return rc;
}

int age_identities_unlock(struct age_identity *list)
{
	int rc;
	for (; list; list = list->next)
		if (list->type == AGE_I_ENCRYPTED && !list->lazy->done && (rc = unlock(list)) < 0)
			return rc;
	return 0;
}

/* 0 file key found, 1 not for this identity, <0 error */
static int unwrap_one(const struct age_identity *id, const struct age_header *h,
                      unsigned char fk[16])
{
	struct buf pass = BUF_INIT_SECRET(4096);
	size_t i;
	int rc = 1;

	switch (id->type) {
	case AGE_I_X25519:
	case AGE_I_SCRYPT:
		for (i = 0; i < h->nst && rc == 1; i++)
			rc = id->type == AGE_I_X25519
			         ? age__x25519_unwrap(id, &h->st[i], fk)
			         : age__scrypt_unwrap(id->pass, id->max_logn, &h->st[i], fk);
		break;
	case AGE_I_SSH_ED25519:
		for (i = 0; i < h->nst && rc == 1; i++)
			rc = age__ssh_unwrap(id, &h->st[i], fk);
		break;
	case AGE_I_SSH_RSA:
		for (i = 0; i < h->nst && rc == 1; i++)
			rc = age__rsa_unwrap(id, &h->st[i], fk);
		break;
	case AGE_I_PROMPT:
		/* asked only for a passphrase-encrypted file */
		if (h->nst != 1 || strcmp(h->st[0].args[0], "scrypt"))
			break;
		if ((rc = id->ask(id->ask_ctx, id->name ? id->name : "Enter passphrase:", &pass)) <
		    0) {
			gs_error_prefix(rc, "could not read passphrase");
			break;
		}
		if (!pass.len) {
			rc = gs_error(GS_EINVAL, "passphrase can't be empty");
			break;
		}
		if ((rc = age__scrypt_unwrap(pass.p, id->max_logn, &h->st[0], fk)) == 1)
			rc = gs_error(GS_EAUTH, "incorrect passphrase");
		break;
	case AGE_I_ENCRYPTED:
		/* identity files hold X25519 keys: no need to ask for a passphrase-encrypted file
		 */
		if (h->nst == 1 && !strcmp(h->st[0].args[0], "scrypt"))
			break;
		if (!id->lazy->done && (rc = unlock(id)) < 0)
			break;
		rc = unwrap_list(id->lazy->inner, h, fk);
		break;
	}
	buf_release(&pass);
	return rc;
}

static int unwrap_list(const struct age_identity *ids, const struct age_header *h,
                       unsigned char fk[16])
{
	int rc = 1;
	for (; ids && rc == 1; ids = ids->next)
		rc = unwrap_one(ids, h, fk);
	return rc;
}

/* Collect the header lines (intro, stanzas, MAC line) from rb into hdr. */
static int read_header(struct age__rbuf *rb, struct buf *hdr)
{
	int first = 1;
	for (;;) {
		unsigned char *nl;
		size_t avail = rb->end - rb->start, n;
		long got;
		if (!(nl = memchr(rb->p + rb->start, '\n', avail))) {
			if (rb->eof)
				return buf_add(hdr, rb->p + rb->start, avail) < 0
				           ? gs_error(GS_EPARSE, "header too long")
				           : 0;
			if (avail == rb->cap)
				return gs_error(GS_EPARSE, "parsing age header: line too long");
			if ((got = age__rbuf_need(rb, avail + 1)) < 0)
				return (int)got;
			continue;
		}
		n = (size_t)(nl - (rb->p + rb->start)) + 1;
		if (buf_add(hdr, rb->p + rb->start, n) < 0)
			return gs_error(GS_EPARSE, "parsing age header: header too long");
		rb->start += n;
		if (!first && n >= 3 && !memcmp(nl + 1 - n, "---", 3))
			return 0;
		first = 0;
	}
}

int age_decrypt_stream_ex(struct age_sink *out, struct age_src *in, const struct age_identity *ids,
                          struct age_decrypt_result *res, int armor)
{
	struct age_decrypt_result local;
	struct age__rbuf rb0, rb;
	struct age__armor_src as;
	struct rest_src rest = { { rest_read }, &rb0 };
	struct age_header h;
	struct buf hdr = BUF_INIT(AGE_HEADER_MAX);
	unsigned char fk[AGE_FILE_KEY_LEN], mac[32], nonce[16];
	int rc, armored = 0, fail = AGE_FAIL_HEADER;
	long got;
	size_t i, ws = 0;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	memset(&h, 0, sizeof(h));
	memset(&rb, 0, sizeof(rb));
	memset(&as, 0, sizeof(as));
	if ((rc = age__rbuf_init(&rb0, in, 4096)) < 0)
		goto out;
	/* armor is detected after at most 1024 bytes of leading whitespace */
	if ((got = age__rbuf_need(&rb0, 1024 + strlen(AGE_ARMOR_BEGIN))) < 0) {
		rc = (int)got;
		fail = AGE_FAIL_IO;
		goto out;
	}
	while (ws < (size_t)got && ws < 1024 && strchr(" \t\r\n\v\f", rb0.p[ws]) && rb0.p[ws])
		ws++;
	if (armor > 0 ||
	    (armor < 0 && (size_t)got - ws >= 14 && !memcmp(rb0.p + ws, AGE_ARMOR_BEGIN, 14))) {
		armored = 1;
		if ((rc = age__armor_src_init(&as, &rest.src)) < 0)
			goto out;
		in = &as.src;
	} else {
		in = &rest.src;
	}
	if ((size_t)got >= 22 && !memcmp(rb0.p, "age-encryption.org/v1\r", 22)) {
		rc = gs_error(GS_EPARSE, "invalid header intro");
		goto out;
	}
	if ((rc = age__rbuf_init(&rb, in, RBUF_CAP)) < 0 || (rc = read_header(&rb, &hdr)) < 0 ||
	    (rc = age__header_parse(&h, hdr.p, hdr.len)) < 0) {
		if (rc != GS_EIO && rc != GS_ENOMEM && !as.failed)
			gs_error_prefix(rc, "failed to read header");
		goto out;
	}
	for (i = 0; i < h.nst; i++) {
		if (!strcmp(h.st[i].args[0], "scrypt") && h.nst != 1) {
			rc = gs_error(GS_EPARSE, "an scrypt recipient must be the only one");
			goto out;
		}
	}
	res->scrypt_only = h.nst == 1 && !strcmp(h.st[0].args[0], "scrypt");
	if ((rc = unwrap_list(ids, &h, fk)) == 1) {
		fail = AGE_FAIL_NO_MATCH;
		rc = gs_error(GS_EAUTH, "no identity matched any of the recipients");
		goto out;
	}
	if (rc < 0)
		goto out;
	if ((rc = age__header_mac(mac, fk, hdr.p, h.maclen)) < 0)
		goto out;
	if (gs_memcmp_ct(mac, h.mac, 32)) {
		fail = AGE_FAIL_HMAC;
		rc = gs_error(GS_EAUTH, "bad header MAC");
		goto out;
	}
	/* the whole header was consumed by read_header: the nonce follows */
	if ((got = age__rbuf_need(&rb, 16)) < 0 || got < 16) {
		rc = got < 0 ? (int)got
		             : gs_error(GS_EPARSE, "failed to read nonce: unexpected EOF");
		goto out;
	}
	memcpy(nonce, rb.p + rb.start, 16);
	rb.start += 16;
	fail = AGE_FAIL_PAYLOAD;
	rc = age__stream_decrypt(out, &rb, fk, nonce, &res->released);
out:
	if (rc < 0)
		res->failure = armored && as.failed ? AGE_FAIL_ARMOR
		               : rc == GS_EIO       ? AGE_FAIL_IO
		                                    : fail;
	gs_wipe(fk, sizeof(fk));
	age__header_release(&h);
	buf_release(&hdr);
	age__rbuf_release(&rb);
	age__rbuf_release(&rb0);
	age__armor_src_release(&as);
	return rc < 0 ? rc : 0;
}

int age_decrypt_stream(struct age_sink *out, struct age_src *in, const struct age_identity *ids,
                       struct age_decrypt_result *res)
{
	return age_decrypt_stream_ex(out, in, ids, res, -1);
}

int age_decrypt_buf(struct buf *out, const void *ct, size_t n, const struct age_identity *ids)
{
	struct mem_src src = { { mem_read }, ct, n, 0 };
	struct buf_sink sink = { { buf_write }, out };
	size_t start = out->len;
	int rc = age_decrypt_stream(&sink.sink, &src.src, ids, NULL);
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}
