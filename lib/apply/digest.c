/*
 * Digests of an object's comparable form, so that a LIST of thousands of live
 * objects is kept as 8 bytes each rather than as trees (memory: the reconciler
 * aims at tens of MiB for thousands of objects). SipHash-2-4 (Aumasson and
 * Bernstein) with a key drawn once per process: someone who can edit live
 * objects cannot aim at a collision to hide a change.
 */
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "apply/apply_int.h"

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init(void)
{
	if (getrandom(sip_key, sizeof(sip_key), 0) != (ssize_t)sizeof(sip_key)) {
		struct timespec ts; /* no entropy source: still a per-process key */
		clock_gettime(CLOCK_REALTIME, &ts);
		sip_key[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
		sip_key[1] = (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ULL;
	}
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;
	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t siphash24(const uint64_t k[2], const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0], v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0], v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, left = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (; left; left--)
		b |= (uint64_t)p[i + left - 1] << (8 * (left - 1));
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t apply__siphash(const void *p, size_t n)
{
	pthread_once(&sip_once, sip_init);
	return siphash24(sip_key, p, n);
}

/* The reference vector of the SipHash paper (key 00..0f, message 00..0e): for the unit test. */
uint64_t apply__siphash_ref(const void *p, size_t n);
uint64_t apply__siphash_ref(const void *p, size_t n)
{
	static const uint64_t k[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	return siphash24(k, p, n);
}

int apply__digest(uint64_t *out, const struct doc *obj, const struct apply_ignore *ign, size_t nign)
{
	struct doc_emit_opts eo = { 0, DOC_EMIT_COMPACT | DOC_EMIT_SORT_KEYS };
	struct buf json = BUF_INIT_SECRET((size_t)64 << 20);
	struct doc *c = NULL;
	int rc;

	*out = 0;
	if ((rc = apply_comparable(&c, obj, ign, nign)) == 0 &&
	    (rc = doc_emit_json(&json, c, &eo)) == 0)
		*out = apply__siphash(json.p, json.len);
	doc_free(c);
	buf_release(&json);
	return rc;
}
