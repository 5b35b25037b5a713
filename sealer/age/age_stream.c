/*
 * The age payload: STREAM with ChaCha20-Poly1305 (OpenSSL EVP, one context for
 * each thread), 64 KiB chunks, nonce = 88-bit big-endian counter || last flag.
 * Input and output move in batches of 16 chunks, two buffers each way, so that
 * reading and writing overlap the crypto of the other batch; plaintext is
 * released only after its chunk (and every chunk before it) authenticates.
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

#include "sealer/age/age_int.h"

#ifndef AGE_BATCH
#define AGE_BATCH 16 /* chunks per buffer (two buffers each way): 1 MiB stays in cache */
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

static int seal_chunk(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *pt, size_t n,
                      uint64_t counter, int last)
{
	unsigned char nonce[12];
	int len = 0, len2 = 0;
	set_nonce(nonce, counter, last);
	if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, out, &len, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + len, &len2) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AGE_TAG, out + n) != 1)
		return gs_error_openssl(GS_ERROR, "chacha20-poly1305");
	return 0;
}

/* 0 ok, 1 the chunk does not authenticate under this nonce, <0 error */
static int open_chunk(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *ct, size_t n,
                      uint64_t counter, int last)
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

static EVP_CIPHER_CTX *stream_ctx(const unsigned char fk[16], const unsigned char nonce16[16],
                                  int enc)
{
	unsigned char key[32];
	EVP_CIPHER_CTX *ctx = NULL;
	if (age__hkdf(key, sizeof(key), fk, AGE_FILE_KEY_LEN, nonce16, 16, "payload") < 0)
		return NULL;
	if (!(ctx = EVP_CIPHER_CTX_new()) ||
	    EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, NULL, enc) != 1) {
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

/* Hand the batch to the helper, which starts on it while the caller does I/O. */
static void batch_post(struct worker *w, struct batch *b)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->job = b;
	w->state = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Claim what is left of the batch here, then wait for the chunk the helper may be in. */
static int batch_join(struct worker *w, struct batch *b, EVP_CIPHER_CTX *ctx)
{
	batch_run(b, ctx);
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		if (w->state == 1)
			w->state = 0; /* the helper never picked it up: withdraw it */
		while (w->state == 2)
			pthread_cond_wait(&w->cv, &w->mu);
		pthread_mutex_unlock(&w->mu);
	}
	return atomic_load(&b->rc);
}

/* On an error path: stop a posted batch (no more chunks claimed) and wait for the helper. */
static void batch_cancel(struct worker *w, struct batch *b)
{
	if (!b)
		return;
	atomic_store(&b->next, b->n);
	batch_join(w, b, NULL);
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
	int rc = open_chunk(ctx, b->pt + i * AGE_CHUNK, b->c + i * AGE_ENC_CHUNK, AGE_ENC_CHUNK,
	                    b->counter0 + i, 0);
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

/*
 * Encryption pipeline: two buffers of BATCH slots. While the helper seals
 * batch A, the caller writes the previous batch and reads batch B; then it
 * joins in on what is left of A. The last slot of a full batch may hold the
 * final chunk, so it is carried over to the next batch unsealed.
 */
struct ebatch {
	unsigned char *b;
	size_t len[BATCH], slots, nch;
	int eof;
	struct batch job;
};

static int ebatch_fill(struct age_src *in, struct ebatch *e)
{
	for (; e->slots < BATCH && !e->eof; e->slots++) {
		ssize_t r = read_full(in, e->b + e->slots * AGE_ENC_CHUNK, AGE_CHUNK);
		if (r < 0)
			return (int)r;
		e->len[e->slots] = (size_t)r;
		if ((size_t)r < AGE_CHUNK)
			e->eof = 1;
	}
	return 0;
}

/* Decide which chunks of e get sealed now (and which is final), and start on them. */
static void ebatch_post(struct worker *w, struct ebatch *e, uint64_t counter,
                        const unsigned char fk[16], const unsigned char nonce16[16],
                        EVP_CIPHER_CTX **ctx2)
{
	size_t last = (size_t)-1;
	if (!e->eof) {
		e->nch = BATCH - 1; /* the held-back slot may be the final chunk */
	} else {
		e->nch = e->slots;
		/* input ended right after a full chunk: that chunk is the final one (unless it is
		 * the only one) */
		if (e->nch > 1 && e->len[e->nch - 1] == 0)
			e->nch--;
		last = e->nch - 1;
	}
	if (e->nch >= 4 && !*ctx2 && (*ctx2 = stream_ctx(fk, nonce16, 1)))
		worker_start(w, *ctx2);
	memset(&e->job, 0, sizeof(e->job));
	e->job.one = seal_one;
	e->job.n = e->nch;
	e->job.buf = e->b;
	e->job.len = e->len;
	e->job.last = last;
	e->job.counter0 = counter;
	atomic_init(&e->job.next, 0);
	atomic_init(&e->job.rc, 0);
	batch_post(w, &e->job);
}

int age__stream_encrypt(struct age_sink *out, struct age_src *in, const unsigned char fk[16])
{
	const size_t cap = (size_t)BATCH * AGE_ENC_CHUNK;
	unsigned char nonce16[16];
	struct ebatch eb[2], *a = &eb[0], *b = &eb[1], *t;
	struct batch *posted = NULL;
	EVP_CIPHER_CTX *ctx = NULL, *ctx2 = NULL;
	struct worker w;
	uint64_t counter = 0;
	int rc = 0, rrc = 0;

	memset(&w, 0, sizeof(w));
	memset(eb, 0, sizeof(eb));
	randombytes_buf(nonce16, sizeof(nonce16));
	if ((rc = out->write(out, nonce16, sizeof(nonce16))) < 0)
		goto out;
	if (!(ctx = stream_ctx(fk, nonce16, 1))) {
		rc = GS_ERROR;
		goto out;
	}
	if (!(a->b = malloc(cap))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = ebatch_fill(in, a)) < 0)
		goto out;
	ebatch_post(&w, a, counter, fk, nonce16, &ctx2);
	posted = &a->job;
	for (;;) {
		if (!a->eof) {
			/* read the next batch while a is being sealed */
			if (!b->b && !(b->b = malloc(cap))) {
				rrc = gs_error(GS_ENOMEM, "out of memory");
			} else {
				memcpy(b->b, a->b + (BATCH - 1) * (size_t)AGE_ENC_CHUNK, AGE_CHUNK);
				b->len[0] = AGE_CHUNK;
				b->slots = 1;
				b->eof = 0;
				rrc = ebatch_fill(in, b);
			}
		}
		rc = batch_join(&w, &a->job, ctx);
		posted = NULL;
		if (rc < 0 || (rc = rrc) < 0)
			goto out;
		counter += a->nch;
		if (!a->eof) {
			ebatch_post(&w, b, counter, fk, nonce16, &ctx2);
			posted = &b->job;
		}
		if ((rc = out->write(out, a->b,
		                     (a->nch - 1) * AGE_ENC_CHUNK + a->len[a->nch - 1] + AGE_TAG)) <
		    0)
			goto out;
		if (a->eof)
			break;
		t = a;
		a = b;
		b = t;
	}
out:
	batch_cancel(&w, posted);
	worker_stop(&w);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_CTX_free(ctx2);
	if (eb[0].b)
		gs_free_secret(eb[0].b, cap);
	if (eb[1].b)
		gs_free_secret(eb[1].b, cap);
	return rc;
}

/*
 * Decryption pipeline: rb holds up to BATCH encrypted chunks; the full chunks
 * that more data follows (so none is the final one) are opened by the helper
 * and the caller while the caller reads the next buffer and writes the
 * previous batch's plaintext. The final chunk, and a chunk that does not open
 * as a middle one, go through the careful one-chunk path.
 */
struct dbatch {
	unsigned char *pt;
	int ok[BATCH];
	struct batch job;
};

static size_t dbatch_count(const struct age__rbuf *rb)
{
	size_t avail = rb->end - rb->start, k = avail > 0 ? (avail - 1) / AGE_ENC_CHUNK : 0;
	return k > BATCH ? BATCH : k;
}

static void dbatch_post(struct worker *w, struct dbatch *d, const unsigned char *c, size_t k,
                        uint64_t counter)
{
	memset(&d->job, 0, sizeof(d->job));
	d->job.one = open_one;
	d->job.n = k;
	d->job.c = c;
	d->job.pt = d->pt;
	d->job.ok = d->ok;
	d->job.counter0 = counter;
	atomic_init(&d->job.next, 0);
	atomic_init(&d->job.rc, 0);
	batch_post(w, &d->job);
}

/* Move what follows the first k chunks of rb into nb and fill nb up to cap from rb's source. */
static int prefetch(struct age__rbuf *rb, size_t k, unsigned char *nb, size_t cap, size_t *n,
                    int *eof)
{
	size_t from = rb->start + k * AGE_ENC_CHUNK;
	*n = rb->end - from;
	*eof = rb->eof;
	memcpy(nb, rb->p + from, *n);
	while (*n < cap && !*eof) {
		ssize_t r = rb->src->read(rb->src, nb + *n, cap - *n);
		if (r < 0)
			return (int)r;
		if (r == 0)
			*eof = 1;
		*n += (size_t)r;
	}
	return 0;
}

/*
 * A full chunk with data after it did not open as a middle chunk: if it opens
 * as the final chunk its plaintext is released and the rest is trailing data
 * (what the one-chunk path concludes too). Always returns an error.
 */
static int failed_middle(struct age_sink *out, EVP_CIPHER_CTX *ctx, unsigned char *pt,
                         const unsigned char *c, uint64_t counter, unsigned long long *released)
{
	int rc = open_chunk(ctx, pt, c, AGE_ENC_CHUNK, counter, 1);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return gs_error(GS_EAUTH, "failed to decrypt and authenticate payload chunk");
	if ((rc = out->write(out, pt, AGE_CHUNK)) < 0)
		return rc;
	*released += AGE_CHUNK;
	return gs_error(GS_EAUTH, "trailing data after end of encrypted file");
}

int age__stream_decrypt(struct age_sink *out, struct age__rbuf *rb, const unsigned char fk[16],
                        const unsigned char nonce16[16], unsigned long long *released)
{
	const size_t ptcap = (size_t)BATCH * AGE_CHUNK, ccap = (size_t)BATCH * AGE_ENC_CHUNK;
	struct dbatch db[2], *cur = &db[0], *nxt = &db[1], *t;
	struct batch *posted = NULL;
	unsigned char *pt, *tmp, *nb = NULL;
	EVP_CIPHER_CTX *ctx = NULL, *ctx2 = NULL;
	struct worker w;
	size_t ptlen = 0, k, nk, n2 = 0;
	uint64_t counter = 0;
	int rc = 0, rrc, last = 0, eof2 = 0;
	long avail;

	memset(&w, 0, sizeof(w));
	memset(db, 0, sizeof(db));
	if (!(ctx = stream_ctx(fk, nonce16, 0))) {
		rc = GS_ERROR;
		goto out;
	}
	if (!(db[0].pt = malloc(ptcap)) || !(db[1].pt = malloc(ptcap))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (rb->cap < ccap) {
		unsigned char *p = realloc(rb->p, ccap);
		if (!p) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		rb->p = p;
		rb->cap = ccap;
	}
	/* the two ciphertext buffers take turns as rb->p: same size */
	if (!(nb = malloc(rb->cap))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((avail = age__rbuf_need(rb, ccap)) < 0) {
		rc = (int)avail;
		goto out;
	}
	if ((k = dbatch_count(rb)) > 0) {
		if (k >= 4 && (ctx2 = stream_ctx(fk, nonce16, 0)))
			worker_start(&w, ctx2);
		dbatch_post(&w, cur, rb->p + rb->start, k, counter);
		posted = &cur->job;
	}
	while (k) {
		size_t f;
		rrc = prefetch(rb, k, nb, ccap, &n2, &eof2);
		rc = batch_join(&w, &cur->job, ctx);
		posted = NULL;
		if (rc < 0)
			goto out;
		for (f = 0; f < k && cur->ok[f]; f++)
			;
		nk = 0;
		if (f == k && rrc == 0) {
			/* the prefetched buffer becomes rb; its batch starts before this one is
			 * written */
			counter += k;
			tmp = rb->p;
			rb->p = nb;
			nb = tmp;
			rb->start = 0;
			rb->end = n2;
			rb->eof = eof2;
			if ((nk = dbatch_count(rb)) > 0) {
				dbatch_post(&w, nxt, rb->p, nk, counter);
				posted = &nxt->job;
			}
		}
		if (f && (rc = out->write(out, cur->pt, f * AGE_CHUNK)) < 0)
			goto out;
		*released += f * AGE_CHUNK;
		if (f < k) {
			rc = failed_middle(out, ctx, cur->pt, rb->p + rb->start + f * AGE_ENC_CHUNK,
			                   counter + f, released);
			goto out;
		}
		if ((rc = rrc) < 0)
			goto out;
		k = nk;
		t = cur;
		cur = nxt;
		nxt = t;
	}
	pt = db[0].pt;
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
				rc = gs_error(GS_EAUTH, "last chunk is empty, try age v1.0.0, and "
				                        "please consider reporting this");
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
			size_t len = ptlen;
			ptlen = 0;
			if ((rc = out->write(out, pt, len)) < 0)
				goto out;
			*released += len;
		}
	}
	if ((avail = age__rbuf_need(rb, 1)) < 0)
		rc = (int)avail;
	else if (avail > 0)
		rc = gs_error(GS_EAUTH, "trailing data after end of encrypted file");
out:
	batch_cancel(&w, posted);
	/* what authenticated before a failure is still released, as Go's reader does */
	if (ptlen && out->write(out, db[0].pt, ptlen) == 0)
		*released += ptlen;
	worker_stop(&w);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_CTX_free(ctx2);
	free(nb);
	if (db[0].pt)
		gs_free_secret(db[0].pt, ptcap);
	if (db[1].pt)
		gs_free_secret(db[1].pt, ptcap);
	return rc;
}
