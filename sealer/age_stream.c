/*
 * The age payload: STREAM with ChaCha20-Poly1305 (OpenSSL EVP, one context for
 * every chunk), 64 KiB chunks, nonce = 88-bit big-endian counter || last flag.
 * Input and output move in batches of 16 chunks for throughput; plaintext is
 * released only after its chunk authenticates.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
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

/*
 * A second thread helps with each batch (chunks are independent given their
 * nonce): both threads claim chunks from a shared counter, each with its own
 * cipher context. The caller never waits for a helper that has not started
 * (on a busy machine it simply does the whole batch), only for a chunk the
 * helper is in the middle of. Started only for inputs of several chunks, on
 * machines with two or more CPUs.
 */
struct batch {
	void (*one)(struct batch *b, EVP_CIPHER_CTX *ctx, size_t i); /* process chunk i */
	atomic_size_t next;
	size_t n;
	atomic_int rc;
	/* seal: slots b, lengths len, final index last; open: ciphertext c, plaintext pt, ok[] */
	unsigned char *buf, *pt;
	const unsigned char *c;
	const size_t *len;
	size_t last;
	int *ok;
	uint64_t counter0;
};

static void batch_run(struct batch *b, EVP_CIPHER_CTX *ctx)
{
	size_t i;
	while ((i = atomic_fetch_add(&b->next, 1)) < b->n)
		b->one(b, ctx, i);
}

struct worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state; /* 0 idle, 1 batch posted, 2 helper running, 3 quit */
	struct batch *job;
	EVP_CIPHER_CTX *ctx;
	int running;
};

static void *worker_main(void *p)
{
	struct worker *w = p;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->state == 0 || w->state == 2)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->state == 3)
			break;
		w->state = 2;
		pthread_mutex_unlock(&w->mu);
		batch_run(w->job, w->ctx);
		pthread_mutex_lock(&w->mu);
		w->state = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void worker_start(struct worker *w, EVP_CIPHER_CTX *ctx)
{
	if (w->running || !ctx || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	w->state = 0;
	w->ctx = ctx;
	if (pthread_mutex_init(&w->mu, NULL))
		return;
	if (pthread_cond_init(&w->cv, NULL)) {
		pthread_mutex_destroy(&w->mu);
		return;
	}
	if (pthread_create(&w->th, NULL, worker_main, w)) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		return;
	}
	w->running = 1;
}

/* Process the batch here, with the helper's help if it gets scheduled in time. */
static void batch_do(struct worker *w, struct batch *b, EVP_CIPHER_CTX *ctx)
{
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->job = b;
		w->state = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	batch_run(b, ctx);
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		if (w->state == 1)
			w->state = 0; /* the helper never picked it up: withdraw it */
		while (w->state == 2)
			pthread_cond_wait(&w->cv, &w->mu);
		pthread_mutex_unlock(&w->mu);
	}
}

static void worker_stop(struct worker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->state = 3;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	w->running = 0;
}

static void seal_one(struct batch *b, EVP_CIPHER_CTX *ctx, size_t i)
{
	unsigned char *c = b->buf + i * AGE_ENC_CHUNK;
	int rc = seal_chunk(ctx, c, c, b->len[i], b->counter0 + i, i == b->last);
	if (rc < 0)
		atomic_store(&b->rc, rc);
}

/* Open a full chunk known not to be the final one (more data follows it). */
static void open_one(struct batch *b, EVP_CIPHER_CTX *ctx, size_t i)
{
	int rc = open_chunk(ctx, b->pt + i * AGE_CHUNK, b->c + i * AGE_ENC_CHUNK, AGE_ENC_CHUNK, b->counter0 + i, 0);
	b->ok[i] = rc == 0;
	if (rc < 0)
		atomic_store(&b->rc, rc);
}

/*
 * The batch buffer has BATCH slots of AGE_ENC_CHUNK bytes: plaintext is read into
 * slot i, sealed in place with its tag right after it, so that a batch of full
 * chunks is one contiguous write and the data is touched only once.
 */
static ssize_t read_full(struct age_src *in, unsigned char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = in->read(in, p + got, n - got);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int age__stream_encrypt(struct age_sink *out, struct age_src *in, const unsigned char fk[16])
{
	const size_t cap = (size_t)BATCH * AGE_ENC_CHUNK;
	unsigned char nonce16[16], *b = NULL;
	size_t len[BATCH], nch, slot = 0, outlen;
	EVP_CIPHER_CTX *ctx = NULL, *ctx2 = NULL;
	struct worker w;
	uint64_t counter = 0;
	int eof = 0, rc = 0;

	memset(&w, 0, sizeof(w));
	randombytes_buf(nonce16, sizeof(nonce16));
	if ((rc = out->write(out, nonce16, sizeof(nonce16))) < 0)
		goto out;
	if (!(ctx = stream_ctx(fk, nonce16, 1))) {
		rc = GS_ERROR;
		goto out;
	}
	if (!(b = malloc(cap))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	while (!eof) {
		/* fill slots until the batch is full or the input ends */
		for (; slot < BATCH && !eof; slot++) {
			ssize_t r = read_full(in, b + slot * AGE_ENC_CHUNK, AGE_CHUNK);
			if (r < 0) {
				rc = (int)r;
				goto out;
			}
			len[slot] = (size_t)r;
			if ((size_t)r < AGE_CHUNK)
				eof = 1;
		}
		/* a full last slot may be the final chunk: hold it back until more input shows up */
		if (!eof) {
			nch = BATCH - 1;
		} else {
			nch = slot;
			/* input ended right after a full chunk: that chunk is the final one (unless it is the only one) */
			if (nch > 1 && len[nch - 1] == 0)
				nch--;
		}
		if (nch >= 4 && !ctx2 && (ctx2 = stream_ctx(fk, nonce16, 1)))
			worker_start(&w, ctx2);
		{
			struct batch job;
			memset(&job, 0, sizeof(job));
			job.one = seal_one;
			job.n = nch;
			job.buf = b;
			job.len = len;
			job.last = eof ? nch - 1 : (size_t)-1;
			job.counter0 = counter;
			atomic_init(&job.next, 0);
			atomic_init(&job.rc, 0);
			batch_do(&w, &job, ctx);
			if ((rc = atomic_load(&job.rc)) < 0)
				goto out;
		}
		outlen = (nch - 1) * AGE_ENC_CHUNK + len[nch - 1] + AGE_TAG;
		counter += nch;
		if ((rc = out->write(out, b, outlen)) < 0)
			goto out;
		if (!eof) {
			memcpy(b, b + (BATCH - 1) * (size_t)AGE_ENC_CHUNK, AGE_CHUNK);
			len[0] = AGE_CHUNK;
			slot = 1;
		}
	}
out:
	worker_stop(&w);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_CTX_free(ctx2);
	if (b)
		gs_free_secret(b, cap);
	return rc;
}

int age__stream_decrypt(struct age_sink *out, struct age__rbuf *rb, const unsigned char fk[16],
                        const unsigned char nonce16[16], unsigned long long *released)
{
	const size_t ptcap = (size_t)BATCH * AGE_CHUNK;
	unsigned char *pt = NULL;
	EVP_CIPHER_CTX *ctx = NULL, *ctx2 = NULL;
	struct worker w;
	size_t ptlen = 0;
	uint64_t counter = 0;
	int rc = 0, last = 0, ok[BATCH];
	long avail;

	memset(&w, 0, sizeof(w));
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
		size_t n, k, f;
		/* fast path: a batch of full chunks that more data follows (so none is the final one) */
		if (ptlen == 0) {
			if ((avail = age__rbuf_need(rb, (size_t)BATCH * AGE_ENC_CHUNK + 1)) < 0) {
				rc = (int)avail;
				goto out;
			}
			k = avail > 0 ? ((size_t)avail - 1) / AGE_ENC_CHUNK : 0;
			k = k > BATCH ? BATCH : k;
			if (k >= 4) {
				if (!ctx2 && (ctx2 = stream_ctx(fk, nonce16, 0)))
					worker_start(&w, ctx2);
				{
					struct batch job;
					memset(&job, 0, sizeof(job));
					job.one = open_one;
					job.n = k;
					job.c = rb->p + rb->start;
					job.pt = pt;
					job.ok = ok;
					job.counter0 = counter;
					atomic_init(&job.next, 0);
					atomic_init(&job.rc, 0);
					batch_do(&w, &job, ctx);
					if ((rc = atomic_load(&job.rc)) < 0)
						goto out;
				}
				for (f = 0; f < k && ok[f]; f++)
					;
				if (f) {
					rb->start += f * AGE_ENC_CHUNK;
					counter += f;
					if ((rc = out->write(out, pt, f * AGE_CHUNK)) < 0)
						goto out;
					*released += f * AGE_CHUNK;
				}
				if (f == k)
					continue;
				/* chunk f failed as a middle chunk: the careful path below says why */
			}
		}
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
	worker_stop(&w);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_CTX_free(ctx2);
	if (pt)
		gs_free_secret(pt, ptcap);
	return rc;
}
