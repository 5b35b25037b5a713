/* X25519 recipient stanzas (age.md "X25519 recipient type"). */
#include <string.h>

#include <sodium.h>

#include "core/base64.h"
#include "sealer/age/age_int.h"

#define X25519_LABEL "age-encryption.org/v1/X25519"

/* wrap key = HKDF(shared, salt = share || recipient, X25519_LABEL) */
static int wrap_key(unsigned char key[32], const unsigned char shared[32],
                    const unsigned char share[32], const unsigned char pk[32])
{
	unsigned char salt[64];
	memcpy(salt, share, 32);
	memcpy(salt + 32, pk, 32);
	return age__hkdf(key, 32, shared, 32, salt, sizeof(salt), X25519_LABEL);
}

int age__x25519_wrap(struct age_header *h, const struct age_recipient *r,
                     const unsigned char fk[16])
{
	unsigned char eph[32], share[32], shared[32], key[32], body[AGE_FILE_KEY_LEN + AGE_TAG];
	char share64[48];
	const char *args[2] = { "X25519", share64 };
	int rc;

	randombytes_buf(eph, sizeof(eph));
	if (crypto_scalarmult_base(share, eph) != 0 || crypto_scalarmult(shared, eph, r->pk) != 0) {
		rc = gs_error(GS_EINVAL, "invalid X25519 recipient %s", r->str);
		goto out;
	}
	if ((rc = wrap_key(key, shared, share, r->pk)) < 0 ||
	    (rc = age__aead_seal0(body, key, fk, AGE_FILE_KEY_LEN)) < 0)
		goto out;
	base64_encode_raw(share64, share, 32, B64_NOPAD);
	rc = age__header_add(h, args, 2, body, sizeof(body));
out:
	gs_wipe(eph, sizeof(eph));
	gs_wipe(shared, sizeof(shared));
	gs_wipe(key, sizeof(key));
	return rc;
}

int age__x25519_unwrap(const struct age_identity *id, const struct age_stanza *s,
                       unsigned char fk[16])
{
	unsigned char share[40], shared[32], key[32];
	size_t n = 0;
	int rc;

	if (strcmp(s->args[0], "X25519"))
		return 1;
	if (s->nargs != 2)
		return gs_error(GS_EPARSE, "invalid X25519 recipient block");
	if (strlen(s->args[1]) > 48 || base64_decode_raw(share, &n, s->args[1], strlen(s->args[1]),
	                                                 B64_NOPAD | B64_STRICT) < 0)
		return gs_error(GS_EPARSE, "failed to parse X25519 recipient: illegal base64 data");
	if (n != 32)
		return gs_error(GS_EPARSE, "invalid X25519 recipient block");
	/* libsodium refuses an all-zero shared secret (low-order share), as Go's X25519 does */
	if (crypto_scalarmult(shared, id->sk, share) != 0)
		return gs_error(GS_EPARSE,
		                "invalid X25519 recipient: bad input point: low order point");
	if ((rc = wrap_key(key, shared, share, id->pk)) < 0)
		goto out;
	if (s->bodylen != AGE_FILE_KEY_LEN + AGE_TAG) {
		rc = gs_error(GS_EPARSE, "invalid X25519 recipient block: incorrect file key size");
		goto out;
	}
	rc = age__aead_open0(fk, key, s->body, s->bodylen);
out:
	gs_wipe(shared, sizeof(shared));
	gs_wipe(key, sizeof(key));
	return rc;
}
