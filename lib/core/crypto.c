/*
 * SHA-256 and HMAC-SHA256 through OpenSSL 3's EVP interfaces (SHA-NI/AVX2
 * where the CPU has them), fetched once; constant-time comparison through
 * sodium_memcmp (gs_memcmp_ct); random bytes from getrandom(2).
 */
#include "core/crypto.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core/buf.h"
#include "core/error.h"

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha256, *md_sha1;
static EVP_MAC *mac_hmac;

static void fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static const EVP_MD *sha256_md(void)
{
	pthread_once(&fetch_once, fetch);
	return md_sha256;
}

struct gs_sha256_ctx {
	EVP_MD_CTX *md;
	int failed;
};

struct gs_hmac_ctx {
	EVP_MAC_CTX *mac;
	int failed;
};

int gs_sha256_new(struct gs_sha256_ctx **out)
{
	struct gs_sha256_ctx *c = NULL;
	const EVP_MD *md = sha256_md();

	*out = NULL;
	if (!md)
		return gs_error_openssl(GS_ERROR, "sha256: no SHA256 in libcrypto");
	if (!(c = calloc(1, sizeof(*c))) || !(c->md = EVP_MD_CTX_new())) {
		free(c);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if (!EVP_DigestInit_ex(c->md, md, NULL)) {
		gs_sha256_free(c);
		return gs_error_openssl(GS_ERROR, "sha256: init");
	}
	*out = c;
	return 0;
}

int gs_sha256_update(struct gs_sha256_ctx *c, const void *data, size_t n)
{
	if (c->failed || (n && !EVP_DigestUpdate(c->md, data, n))) {
		c->failed = 1;
		return gs_error_openssl(GS_ERROR, "sha256: update");
	}
	return 0;
}

int gs_sha256_final(struct gs_sha256_ctx *c, unsigned char out[GS_SHA256_LEN])
{
	unsigned len = 0;
	if (c->failed || !EVP_DigestFinal_ex(c->md, out, &len) || len != GS_SHA256_LEN) {
		c->failed = 1;
		memset(out, 0, GS_SHA256_LEN);
		return gs_error_openssl(GS_ERROR, "sha256: final");
	}
	return 0;
}

int gs_sha256_reset(struct gs_sha256_ctx *c)
{
	c->failed = !EVP_DigestInit_ex(c->md, sha256_md(), NULL);
	return c->failed ? gs_error_openssl(GS_ERROR, "sha256: init") : 0;
}

void gs_sha256_free(struct gs_sha256_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

int gs_object_id(unsigned char *out, size_t outlen, const void *a, size_t an, const void *b,
                 size_t bn)
{
	EVP_MD_CTX *c = NULL;
	const EVP_MD *md;
	unsigned len = 0;
	int rc = 0;

	pthread_once(&fetch_once, fetch);
	md = outlen == GS_SHA1_LEN ? md_sha1 : outlen == GS_SHA256_LEN ? md_sha256 : NULL;
	if (!md)
		return gs_error(GS_EINVAL, "object id: no digest of %zu bytes", outlen);
	if (!(c = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(c, md, NULL) ||
	    !EVP_DigestUpdate(c, a, an) || (bn && !EVP_DigestUpdate(c, b, bn)) ||
	    !EVP_DigestFinal_ex(c, out, &len) || len != outlen) {
		memset(out, 0, outlen);
		rc = gs_error_openssl(GS_ERROR, "object id");
	}
	EVP_MD_CTX_free(c);
	return rc;
}

int gs_sha256(unsigned char out[GS_SHA256_LEN], const void *data, size_t n)
{
	const EVP_MD *md = sha256_md();
	unsigned len = 0;

	if (!md || !EVP_Digest(n ? data : "", n, out, &len, md, NULL) || len != GS_SHA256_LEN) {
		memset(out, 0, GS_SHA256_LEN);
		return gs_error_openssl(GS_ERROR, "sha256");
	}
	return 0;
}

int gs_hmac_sha256_new(struct gs_hmac_ctx **out, const void *key, size_t keylen)
{
	struct gs_hmac_ctx *c = NULL;
	OSSL_PARAM params[2];

	*out = NULL;
	pthread_once(&fetch_once, fetch);
	if (!mac_hmac)
		return gs_error_openssl(GS_ERROR, "hmac-sha256: no HMAC in libcrypto");
	if (!(c = calloc(1, sizeof(*c))) || !(c->mac = EVP_MAC_CTX_new(mac_hmac))) {
		free(c);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* a NULL key would mean "the previous key": an empty key is "" */
	if (!EVP_MAC_init(c->mac, keylen ? key : (const void *)"", keylen, params)) {
		gs_hmac_free(c);
		return gs_error_openssl(GS_ERROR, "hmac-sha256: init");
	}
	*out = c;
	return 0;
}

int gs_hmac_update(struct gs_hmac_ctx *c, const void *data, size_t n)
{
	if (c->failed || (n && !EVP_MAC_update(c->mac, data, n))) {
		c->failed = 1;
		return gs_error_openssl(GS_ERROR, "hmac-sha256: update");
	}
	return 0;
}

int gs_hmac_final(struct gs_hmac_ctx *c, unsigned char out[GS_SHA256_LEN])
{
	size_t len = 0;
	if (c->failed || !EVP_MAC_final(c->mac, out, &len, GS_SHA256_LEN) || len != GS_SHA256_LEN) {
		c->failed = 1;
		memset(out, 0, GS_SHA256_LEN);
		return gs_error_openssl(GS_ERROR, "hmac-sha256: final");
	}
	return 0;
}

int gs_hmac_reset(struct gs_hmac_ctx *c)
{
	c->failed = !EVP_MAC_init(c->mac, NULL, 0, NULL); /* same key, fresh state */
	return c->failed ? gs_error_openssl(GS_ERROR, "hmac-sha256: init") : 0;
}

void gs_hmac_free(struct gs_hmac_ctx *c)
{
	if (!c)
		return;
	EVP_MAC_CTX_free(c->mac); /* OpenSSL clears the key it copied */
	free(c);
}

int gs_hmac_sha256(unsigned char out[GS_SHA256_LEN], const void *key, size_t keylen,
                   const void *data, size_t n)
{
	struct gs_hmac_ctx *c = NULL;
	int rc;

	if ((rc = gs_hmac_sha256_new(&c, key, keylen)) >= 0 &&
	    (rc = gs_hmac_update(c, data, n)) >= 0)
		rc = gs_hmac_final(c, out);
	else
		memset(out, 0, GS_SHA256_LEN);
	gs_hmac_free(c);
	return rc;
}

int gs_mac_equal(const void *a, const void *b, size_t n)
{
	return gs_memcmp_ct(a, b, n) == 0;
}

void gs_hex(char *dst, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t i;

	/* sodium_bin2hex's arithmetic: no branch or table indexed by the (secret) nibble */
	for (i = 0; i < n; i++) {
		unsigned hi = s[i] >> 4, lo = s[i] & 0xf;
		dst[2 * i] = (char)(unsigned char)(87u + hi + (((hi - 10u) >> 8) & ~38u));
		dst[2 * i + 1] = (char)(unsigned char)(87u + lo + (((lo - 10u) >> 8) & ~38u));
	}
	dst[2 * n] = '\0';
}

int gs_mac_equal_hex(const char *hex, size_t hexlen, const unsigned char *mac, size_t maclen)
{
	char want_small[129], got_small[129] = "", *want = want_small, *got = got_small;
	size_t i;
	int eq;

	if (maclen > SIZE_MAX / 2 - 1 || hexlen != 2 * maclen)
		return 0;
	if (hexlen >= sizeof(want_small)) {
		want = malloc(hexlen + 1);
		got = malloc(hexlen + 1);
		if (!want || !got) {
			free(want);
			free(got);
			return 0;
		}
	}
	gs_hex(want, mac, maclen);
	/* the received text is public: lowercase A-F only, so no other byte turns into a digit */
	for (i = 0; i < hexlen; i++)
		got[i] = hex[i] >= 'A' && hex[i] <= 'F' ? (char)(hex[i] | 0x20) : hex[i];
	eq = gs_memcmp_ct(want, got, hexlen) == 0;
	gs_wipe(want, hexlen);
	if (want != want_small) {
		free(want);
		free(got);
	}
	return eq;
}

int gs_random_bytes(void *out, size_t n)
{
	unsigned char *p = out;

	while (n) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return gs_error(GS_EIO, "getrandom: %s", strerror(errno));
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}
