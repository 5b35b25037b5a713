/*
 * ssh-ed25519 recipients (age.md / Go agessh): the Ed25519 key in Montgomery form,
 * an X25519 exchange tweaked by HKDF(salt = SSH wire key), stanza
 * "-> ssh-ed25519 <b64 SHA-256(wire)[:4]> <b64 share>". Identities: unencrypted
 * OpenSSH private keys ("-----BEGIN OPENSSH PRIVATE KEY-----", openssh-key-v1).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/base64.h"
#include "sealer/age/age_int.h"

#define ED25519_LABEL "age-encryption.org/v1/ssh-ed25519"
#define PEM_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PEM_END "-----END OPENSSH PRIVATE KEY-----"

/* SSH wire reader: uint32 length-prefixed strings */
struct rd {
	const unsigned char *p;
	size_t n;
};

static int rd_u32(struct rd *r, uint32_t *v)
{
	if (r->n < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return 0;
}

static int rd_str(struct rd *r, const unsigned char **s, size_t *len)
{
	uint32_t l;
	if (rd_u32(r, &l) < 0 || l > r->n)
		return -1;
	*s = r->p;
	*len = l;
	r->p += l;
	r->n -= l;
	return 0;
}

static int str_is(const unsigned char *s, size_t n, const char *want)
{
	return n == strlen(want) && !memcmp(s, want, n);
}

/* "ssh-ed25519" + 32-byte key in wire form -> Montgomery public key */
static int wire_to_x25519(unsigned char x[32], const unsigned char *blob, size_t n)
{
	struct rd r = { blob, n };
	const unsigned char *t, *k;
	size_t tl, kl;
	if (rd_str(&r, &t, &tl) < 0 || !str_is(t, tl, "ssh-ed25519") || rd_str(&r, &k, &kl) < 0 ||
	    kl != 32 || r.n)
		return gs_error(GS_EPARSE, "invalid ssh-ed25519 public key");
	if (crypto_sign_ed25519_pk_to_curve25519(x, k) != 0)
		return gs_error(GS_EPARSE, "invalid Ed25519 public key");
	return 0;
}

static void fingerprint(char out[8], const unsigned char *blob, size_t n)
{
	unsigned char h[32];
	crypto_hash_sha256(h, blob, n);
	base64_encode_raw(out, h, 4, B64_NOPAD);
}

int age__ssh_recipient_parse(struct age_recipient **out, const char *s)
{
	struct age_recipient *r = NULL;
	const char *b64 = s + strlen("ssh-ed25519 ");
	size_t len = strcspn(b64, " \t\r\n"), n = 0;
	unsigned char blob[96];
	int rc;

	*out = NULL;
	if (len > 88 || base64_decode_raw(blob, &n, b64, len, B64_PAD) < 0 ||
	    n > sizeof(r->ssh_blob))
		return gs_error(GS_EPARSE, "malformed SSH recipient: \"%s\": illegal base64 data",
		                s);
	if (!(r = calloc(1, sizeof(*r))))
		return gs_error(GS_ENOMEM, "out of memory");
	if ((rc = wire_to_x25519(r->pk, blob, n)) < 0) {
		free(r);
		return gs_error_prefix(rc, "malformed SSH recipient: \"%s\"", s);
	}
	r->type = AGE_R_SSH_ED25519;
	memcpy(r->ssh_blob, blob, n);
	r->ssh_bloblen = n;
	snprintf(r->str, sizeof(r->str), "ssh-ed25519 %.*s", (int)len, b64);
	*out = r;
	return 0;
}

int age_ssh_key_type(const char *line, char *type, size_t typelen)
{
	size_t tl = strcspn(line, " \t"), bl;
	const char *b64 = line + tl;
	unsigned char *blob;
	const unsigned char *wt;
	size_t n = 0, wl;
	struct rd r;
	int ok = 0;

	b64 += strspn(b64, " \t");
	bl = strcspn(b64, " \t\r\n");
	if (!tl || tl >= typelen || !bl || bl > 16384 || !(blob = malloc(base64_decoded_max(bl))))
		return 0;
	/* authorized_keys form: the wire key's first string names its type */
	if (base64_decode_raw(blob, &n, b64, bl, B64_PAD) == 0) {
		r.p = blob;
		r.n = n;
		ok = rd_str(&r, &wt, &wl) == 0 && wl == tl && !memcmp(wt, line, tl) && r.n > 0;
	}
	free(blob);
	if (ok)
		snprintf(type, typelen, "%.*s", (int)tl, line);
	return ok;
}

static int tweaked_wrap_key(unsigned char key[32], unsigned char shared[32],
                            const unsigned char *blob, size_t bloblen,
                            const unsigned char share[32], const unsigned char pk[32])
{
	unsigned char tweak[32], salt[64], in[32];
	int rc;
	if ((rc = age__hkdf(tweak, 32, "", 0, blob, bloblen, ED25519_LABEL)) < 0)
		return rc;
	memcpy(in, shared, 32);
	if (crypto_scalarmult(shared, tweak, in) != 0) {
		/* all-zero: Go ignores it here too (the exchange above already refused low-order
		 * shares) */
	}
	gs_wipe(tweak, sizeof(tweak));
	gs_wipe(in, sizeof(in));
	memcpy(salt, share, 32);
	memcpy(salt + 32, pk, 32);
	return age__hkdf(key, 32, shared, 32, salt, sizeof(salt), ED25519_LABEL);
}

int age__ssh_wrap(struct age_header *h, const struct age_recipient *r, const unsigned char fk[16])
{
	unsigned char eph[32], share[32], shared[32], key[32], body[AGE_FILE_KEY_LEN + AGE_TAG];
	char tag[8], share64[48];
	const char *args[3] = { "ssh-ed25519", tag, share64 };
	int rc;

	randombytes_buf(eph, sizeof(eph));
	if (crypto_scalarmult_base(share, eph) != 0 || crypto_scalarmult(shared, eph, r->pk) != 0) {
		rc = gs_error(GS_EINVAL, "invalid ssh-ed25519 recipient");
		goto out;
	}
	if ((rc = tweaked_wrap_key(key, shared, r->ssh_blob, r->ssh_bloblen, share, r->pk)) < 0 ||
	    (rc = age__aead_seal0(body, key, fk, AGE_FILE_KEY_LEN)) < 0)
		goto out;
	fingerprint(tag, r->ssh_blob, r->ssh_bloblen);
	base64_encode_raw(share64, share, 32, B64_NOPAD);
	rc = age__header_add(h, args, 3, body, sizeof(body));
out:
	gs_wipe(eph, sizeof(eph));
	gs_wipe(shared, sizeof(shared));
	gs_wipe(key, sizeof(key));
	return rc;
}

int age__ssh_unwrap(const struct age_identity *id, const struct age_stanza *s, unsigned char fk[16])
{
	unsigned char share[40], shared[32], key[32];
	char tag[8];
	size_t n = 0;
	int rc;

	if (strcmp(s->args[0], "ssh-ed25519"))
		return 1;
	if (s->nargs != 3)
		return gs_error(GS_EPARSE, "invalid ssh-ed25519 recipient block");
	if (strlen(s->args[2]) > 48 || base64_decode_raw(share, &n, s->args[2], strlen(s->args[2]),
	                                                 B64_NOPAD | B64_STRICT) < 0)
		return gs_error(GS_EPARSE,
		                "failed to parse ssh-ed25519 recipient: illegal base64 data");
	if (n != 32)
		return gs_error(GS_EPARSE, "invalid ssh-ed25519 recipient block");
	fingerprint(tag, id->ssh_blob, id->ssh_bloblen);
	if (strcmp(s->args[1], tag))
		return 1;
	if (crypto_scalarmult(shared, id->sk, share) != 0)
		return gs_error(GS_EPARSE,
		                "invalid X25519 recipient: bad input point: low order point");
	if ((rc = tweaked_wrap_key(key, shared, id->ssh_blob, id->ssh_bloblen, share, id->pk)) < 0)
		goto out;
	if (s->bodylen != AGE_FILE_KEY_LEN + AGE_TAG ||
	    (rc = age__aead_open0(fk, key, s->body, s->bodylen)) == 1)
		rc = gs_error(GS_EAUTH, "failed to decrypt file key");
out:
	gs_wipe(shared, sizeof(shared));
	gs_wipe(key, sizeof(key));
	return rc;
}

/* openssh-key-v1, unencrypted, one ssh-ed25519 key */
int age__ssh_identity_parse(struct age_identity *id, const char *pem, size_t n)
{
	struct buf der = BUF_INIT_SECRET(1 << 16), pub = BUF_INIT(256);
	const char *b, *e;
	const unsigned char *s, *blob, *t, *pk, *sk;
	size_t sl, bloblen, tl, pkl, skl;
	uint32_t nkeys, c1, c2;
	struct rd r;
	int rc = GS_EPARSE;

	if (!(b = memmem(pem, n, PEM_BEGIN, strlen(PEM_BEGIN))) ||
	    !(e = memmem(pem, n, PEM_END, strlen(PEM_END))) || e < b) {
		rc = gs_error(
		    GS_EPARSE,
		    "unsupported SSH identity (only unencrypted OpenSSH ssh-ed25519 keys)");
		goto out;
	}
	b += strlen(PEM_BEGIN);
	if (base64_decode(&der, b, (size_t)(e - b), B64_PAD | B64_SKIP_NEWLINES) < 0) {
		rc = gs_error(GS_EPARSE, "invalid OpenSSH private key: bad base64");
		goto out;
	}
	r = (struct rd){ (const unsigned char *)der.p, der.len };
	if (r.n < 15 || memcmp(r.p, "openssh-key-v1", 15)) {
		rc = gs_error(GS_EPARSE, "invalid OpenSSH private key");
		goto out;
	}
	r.p += 15;
	r.n -= 15;
	if (rd_str(&r, &s, &sl) < 0 || !str_is(s, sl, "none")) {
		rc = gs_error(GS_EPARSE, "passphrase-protected SSH keys are not supported");
		goto out;
	}
	if (rd_str(&r, &s, &sl) < 0 || rd_str(&r, &s, &sl) < 0 || rd_u32(&r, &nkeys) < 0 ||
	    nkeys != 1 || rd_str(&r, &blob, &bloblen) < 0 || rd_str(&r, &s, &sl) < 0) {
		rc = gs_error(GS_EPARSE, "invalid OpenSSH private key");
		goto out;
	}
	r = (struct rd){ s, sl };
	if (rd_u32(&r, &c1) < 0 || rd_u32(&r, &c2) < 0 || c1 != c2 || rd_str(&r, &t, &tl) < 0) {
		rc = gs_error(GS_EPARSE, "invalid OpenSSH private key");
		goto out;
	}
	if (str_is(t, tl, "ssh-rsa")) {
		rc = age__rsa_identity_from_openssh(id, blob, bloblen, r.p, r.n);
		goto out;
	}
	if (!str_is(t, tl, "ssh-ed25519")) {
		rc = gs_error(GS_EPARSE, "unsupported SSH identity type: %.*s",
		              (int)(tl < 32 ? tl : 32), t);
		goto out;
	}
	if (bloblen > sizeof(id->ssh_blob) || rd_str(&r, &pk, &pkl) < 0 || pkl != 32 ||
	    rd_str(&r, &sk, &skl) < 0 || skl != 64 || memcmp(sk + 32, pk, 32)) {
		rc = gs_error(GS_EPARSE, "invalid OpenSSH private key");
		goto out;
	}
	if ((rc = wire_to_x25519(id->pk, blob, bloblen)) < 0)
		goto out;
	if (crypto_sign_ed25519_sk_to_curve25519(id->sk, sk) != 0) {
		rc = gs_error(GS_EPARSE, "invalid Ed25519 private key");
		goto out;
	}
	memcpy(id->ssh_blob, blob, bloblen);
	id->ssh_bloblen = bloblen;
	if ((rc = base64_encode(&pub, blob, bloblen, B64_PAD)) == 0)
		snprintf(id->recip, sizeof(id->recip), "ssh-ed25519 %s", pub.p);
out:
	buf_release(&der);
	buf_release(&pub);
	return rc;
}
