/*
 * The age payload: STREAM with ChaCha20-Poly1305 (OpenSSL EVP, one context for
 * every chunk), 64 KiB chunks, nonce = 88-bit big-endian counter || last flag.
 * Input and output move in batches of 16 chunks for throughput; plaintext is
 * released only after its chunk authenticates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "sealer/age_internal.h"

#ifndef AGE_BATCH
#define AGE_BATCH 16 /* chunks per read/write */
#endif
#define BATCH AGE_BATCH
#ifndef AGE_READ_MAX
#define AGE_READ_MAX ((size_t)BATCH * AGE_CHUNK)
#endif
_Static_assert(BATCH >= 2, "the encryptor holds back one chunk per batch");

static ssize_t fd_read(struct age_src *s, void *p, size_t n)
{
	struct age_fd_src *f = (struct age_fd_src *)s;
	for (;;) {
		ssize_t r = read(f->fd, p, n);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return gs_error(GS_EIO, "read %s: %s", f->name, strerror(errno));
	}
}

static int fd_write(struct age_sink *s, const void *p, size_t n)
{
	struct age_fd_sink *f = (struct age_fd_sink *)s;
	const char *c = p;
	while (n) {
		ssize_t r = write(f->fd, c, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return gs_error(GS_EIO, "write %s: %s", f->name, strerror(errno));
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

void age_fd_src_init(struct age_fd_src *s, int fd, const char *name)
{
	s->src.read = fd_read;
	s->fd = fd;
	s->name = name;
}

void age_fd_sink_init(struct age_fd_sink *s, int fd, const char *name)
{
	s->sink.write = fd_write;
	s->fd = fd;
	s->name = name;
}

int age__rbuf_init(struct age__rbuf *rb, struct age_src *src, size_t cap)
{
	memset(rb, 0, sizeof(*rb));
	rb->src = src;
	if (!(rb->p = malloc(cap)))
		return gs_error(GS_ENOMEM, "out of memory");
	rb->cap = cap;
	return 0;
}

void age__rbuf_release(struct age__rbuf *rb)
{
	free(rb->p);
	rb->p = NULL;
}

long age__rbuf_need(struct age__rbuf *rb, size_t want)
{
	if (want > rb->cap)
		want = rb->cap;
	if (rb->end - rb->start >= want || rb->eof)
		return (long)(rb->end - rb->start);
	if (rb->start + want > rb->cap) {
		memmove(rb->p, rb->p + rb->start, rb->end - rb->start);
		rb->end -= rb->start;
		rb->start = 0;
	}
	while (rb->end - rb->start < want && !rb->eof) {
		ssize_t r = rb->src->read(rb->src, rb->p + rb->end, rb->cap - rb->end);
		if (r < 0)
			return r;
		if (r == 0)
			rb->eof = 1;
		rb->end += (size_t)r;
	}
	return (long)(rb->end - rb->start);
}

static void set_nonce(unsigned char nonce[12], uint64_t counter, int last)
{
	int i;
	memset(nonce, 0, 3);
	for (i = 0; i < 8; i++)
		nonce[3 + i] = (unsigned char)(counter >> (56 - 8 * i));
	nonce[11] = last ? 1 : 0;
}

static int seal_chunk(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *pt, size_t n, uint64_t counter,
                      int last)
{
	unsigned char nonce[12];
	int len = 0, len2 = 0;
	set_nonce(nonce, counter, last);
	if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 || EVP_EncryptUpdate(ctx, out, &len, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + len, &len2) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AGE_TAG, out + n) != 1)
		return gs_error_openssl(GS_ERROR, "chacha20-poly1305");
	return 0;
}

/* 0 ok, 1 the chunk does not authenticate under this nonce, <0 error */
static int open_chunk(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *ct, size_t n, uint64_t counter,
                      int last)
{
	unsigned char nonce[12], tag[AGE_TAG];
	int len = 0, len2 = 0;
	set_nonce(nonce, counter, last);
	memcpy(tag, ct + n - AGE_TAG, AGE_TAG);
	if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &len, ct, (int)(n - AGE_TAG)) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AGE_TAG, tag) != 1)
		return gs_error_openssl(GS_ERROR, "chacha20-poly1305");
	if (EVP_DecryptFinal_ex(ctx, out + len, &len2) != 1) {
		ERR_clear_error();
		return 1;
	}
	return 0;
}

static EVP_CIPHER_CTX *stream_ctx(const unsigned char fk[16], const unsigned char nonce16[16], int enc)
{
	unsigned char key[32];
	EVP_CIPHER_CTX *ctx = NULL;
	if (age__hkdf(key, sizeof(key), fk, AGE_FILE_KEY_LEN, nonce16, 16, "payload") < 0)
		return NULL;
	if (!(ctx = EVP_CIPHER_CTX_new()) || EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, NULL, enc) != 1) {
		gs_error_openssl(GS_ERROR, "chacha20-poly1305");
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	gs_wipe(key, sizeof(key));
	return ctx;
}

int age__stream_encrypt(struct age_sink *out, struct age_src *in, const unsigned char fk[16])
{
	const size_t ptcap = (size_t)BATCH * AGE_CHUNK;
	unsigned char nonce16[16], *pt = NULL, *ct = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t have = 0, i, nch, ctlen;
	uint64_t counter = 0;
	int eof = 0, rc = 0;

	randombytes_buf(nonce16, sizeof(nonce16));
	if ((rc = out->write(out, nonce16, sizeof(nonce16))) < 0)
		goto out;
	if (!(ctx = stream_ctx(fk, nonce16, 1))) {
		rc = GS_ERROR;
		goto out;
	}
	if (!(pt = malloc(ptcap)) || !(ct = malloc((size_t)BATCH * AGE_ENC_CHUNK))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	while (!eof) {
		while (have < ptcap && !eof) {
			ssize_t r = in->read(in, pt + have, ptcap - have < AGE_READ_MAX ? ptcap - have : AGE_READ_MAX);
			if (r < 0) {
				rc = (int)r;
				goto out;
			}
			eof = r == 0;
			have += (size_t)r;
		}
		/* Until EOF the last buffered chunk is held back: it may turn out to be the final one. */
		nch = eof ? (have + AGE_CHUNK - 1) / AGE_CHUNK : BATCH - 1;
		if (eof && nch == 0)
			nch = 1; /* an empty payload is one empty final chunk */
		for (i = 0, ctlen = 0; i < nch; i++) {
			size_t n = have - i * AGE_CHUNK < AGE_CHUNK ? have - i * AGE_CHUNK : AGE_CHUNK;
			int last = eof && i == nch - 1;
			if ((rc = seal_chunk(ctx, ct + ctlen, pt + i * AGE_CHUNK, n, counter, last)) < 0)
				goto out;
			ctlen += n + AGE_TAG;
			counter++;
		}
		if ((rc = out->write(out, ct, ctlen)) < 0)
			goto out;
		if (!eof) {
			memmove(pt, pt + (BATCH - 1) * (size_t)AGE_CHUNK, AGE_CHUNK);
			have = AGE_CHUNK;
		}
	}
out:
	EVP_CIPHER_CTX_free(ctx);
	if (pt)
		gs_free_secret(pt, ptcap);
	free(ct);
	return rc;
}

int age__stream_decrypt(struct age_sink *out, struct age__rbuf *rb, const unsigned char fk[16],
                        const unsigned char nonce16[16], unsigned long long *released)
{
	const size_t ptcap = (size_t)BATCH * AGE_CHUNK;
	unsigned char *pt = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t ptlen = 0;
	uint64_t counter = 0;
	int rc = 0, last = 0;
	long avail;
	if (!(ctx = stream_ctx(fk, nonce16, 0))) {
		rc = GS_ERROR;
		goto out;
	}
	if (!(pt = malloc(ptcap))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	while (!last) {
		const unsigned char *c;
		size_t n;
		if ((avail = age__rbuf_need(rb, AGE_ENC_CHUNK + 1)) < 0) {
			rc = (int)avail;
			goto out;
		}
		c = rb->p + rb->start;
		n = (size_t)avail > AGE_ENC_CHUNK ? AGE_ENC_CHUNK : (size_t)avail;
		if (n == 0) {
			rc = gs_error(GS_EAUTH, "unexpected EOF");
			goto out;
		}
		if (n < AGE_ENC_CHUNK) {
			if (n == AGE_TAG && counter != 0) {
				rc = gs_error(GS_EAUTH, "last chunk is empty, try age v1.0.0, and please consider reporting this");
				goto out;
			}
			last = 1;
			rc = n < AGE_TAG ? 1 : open_chunk(ctx, pt + ptlen, c, n, counter, 1);
		} else {
			/* a full chunk: not the last, or a full-size final chunk */
			rc = open_chunk(ctx, pt + ptlen, c, n, counter, 0);
			if (rc == 1) {
				last = 1;
				rc = open_chunk(ctx, pt + ptlen, c, n, counter, 1);
			}
		}
		if (rc < 0)
			goto out;
		if (rc == 1) {
			rc = gs_error(GS_EAUTH, "failed to decrypt and authenticate payload chunk");
			goto out;
		}
		rb->start += n;
		ptlen += n - AGE_TAG;
		counter++;
		if (ptlen + AGE_CHUNK > ptcap || last) {
			size_t k = ptlen;
			ptlen = 0;
			if ((rc = out->write(out, pt, k)) < 0)
				goto out;
			*released += k;
		}
	}
	if ((avail = age__rbuf_need(rb, 1)) < 0)
		rc = (int)avail;
	else if (avail > 0)
		rc = gs_error(GS_EAUTH, "trailing data after end of encrypted file");
out:
	/* what authenticated before a failure is still released, as Go's reader does */
	if (ptlen && out->write(out, pt, ptlen) == 0)
		*released += ptlen;
	EVP_CIPHER_CTX_free(ctx);
	if (pt)
		gs_free_secret(pt, ptcap);
	return rc;
}
