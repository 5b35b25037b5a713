/* scrypt (passphrase) stanzas (age.md "scrypt recipient type"), OpenSSL's EVP_PBE_scrypt. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "core/base64.h"
#include "sealer/age/age_int.h"

#define SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define LABEL_LEN (sizeof(SCRYPT_LABEL) - 1)

static int derive(unsigned char key[32], const char *pass, const unsigned char salt16[16], int logn)
{
	unsigned char salt[LABEL_LEN + 16];
	uint64_t N = (uint64_t)1 << logn;
	/* scrypt needs 128*r*N bytes (+ a little): 4 GiB at age's maximum of 2^22 */
	uint64_t maxmem = 128 * 8 * N + ((uint64_t)1 << 20);

	memcpy(salt, SCRYPT_LABEL, LABEL_LEN);
	memcpy(salt + LABEL_LEN, salt16, 16);
	if (EVP_PBE_scrypt(pass, strlen(pass), salt, sizeof(salt), N, 8, 1, maxmem, key, 32) != 1)
		return gs_error_openssl(GS_ERROR, "failed to generate scrypt hash");
	return 0;
}

int age__scrypt_wrap(struct age_header *h, const struct age_recipient *r,
                     const unsigned char fk[16])
{
	unsigned char salt[16], key[32], body[AGE_FILE_KEY_LEN + AGE_TAG];
	char salt64[32], logn[16];
	const char *args[3] = { "scrypt", salt64, logn };
	int rc;

	randombytes_buf(salt, sizeof(salt));
	base64_encode_raw(salt64, salt, sizeof(salt), B64_NOPAD);
	snprintf(logn, sizeof(logn), "%d", r->logn);
	if ((rc = derive(key, r->pass, salt, r->logn)) == 0 &&
	    (rc = age__aead_seal0(body, key, fk, AGE_FILE_KEY_LEN)) == 0)
		rc = age__header_add(h, args, 3, body, sizeof(body));
	gs_wipe(key, sizeof(key));
	return rc;
}

int age__scrypt_unwrap(const char *pass, int max_logn, const struct age_stanza *s,
                       unsigned char fk[16])
{
	unsigned char salt[24], key[32];
	const char *w;
	size_t n = 0, i;
	long logn = 0;
	int rc;

	if (strcmp(s->args[0], "scrypt"))
		return 1;
	if (s->nargs != 3)
		return gs_error(GS_EPARSE, "invalid scrypt recipient block");
	if (strlen(s->args[1]) > 30 ||
	    base64_decode_raw(salt, &n, s->args[1], strlen(s->args[1]), B64_NOPAD | B64_STRICT) < 0)
		return gs_error(GS_EPARSE, "failed to parse scrypt salt: illegal base64 data");
	if (n != 16)
		return gs_error(GS_EPARSE, "invalid scrypt recipient block");
	w = s->args[2];
	/* ^[1-9][0-9]*$, no sign, no leading zero, no hex */
	if (w[0] < '1' || w[0] > '9')
		return gs_error(GS_EPARSE, "scrypt work factor encoding invalid: \"%s\"", w);
	for (i = 0; w[i]; i++) {
		if (w[i] < '0' || w[i] > '9')
			return gs_error(GS_EPARSE, "scrypt work factor encoding invalid: \"%s\"",
			                w);
		if (logn < 1000)
			logn = logn * 10 + (w[i] - '0');
	}
	if (logn > max_logn)
		return gs_error(GS_EPARSE, "scrypt work factor too large: %ld", logn);
	if (s->bodylen != AGE_FILE_KEY_LEN + AGE_TAG)
		return gs_error(GS_EPARSE,
		                "invalid scrypt recipient block: incorrect file key size");
	if ((rc = derive(key, pass, salt, (int)logn)) == 0)
		rc = age__aead_open0(fk, key, s->body, s->bodylen);
	gs_wipe(key, sizeof(key));
	return rc;
}
