/* age recipients and identities: parsing (Go age's rules and wording), key generation. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sealer/age/age_int.h"

int age_recipient_parse(struct age_recipient **out, const char *s)
{
	struct age_recipient *r = NULL;
	struct buf q = BUF_INIT(1024);
	char hrp[128];
	unsigned char data[64];
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	if (!strncmp(s, "age1", 4) && strchr(s + 4, '1')) {
		rc = gs_error(GS_EPARSE, "plugin recipients are not supported: %s",
		              age__quote(&q, s, strlen(s)));
		goto out;
	}
	if (!strncmp(s, "ssh-ed25519 ", 12)) {
		rc = age__ssh_recipient_parse(out, s);
		goto out;
	}
	if (!strncmp(s, "ssh-rsa ", 8)) {
		rc = age__rsa_recipient_parse(out, s);
		goto out;
	}
	if (!strncmp(s, "ssh-", 4)) {
		rc = gs_error(GS_EPARSE, "unknown SSH recipient type: %s",
		              age__quote(&q, s, strcspn(s, " ")));
		goto out;
	}
	if (strncmp(s, "age1", 4)) {
		rc =
		    gs_error(GS_EPARSE, "unknown recipient type: %s", age__quote(&q, s, strlen(s)));
		goto out;
	}
	if (age__bech32_decode(s, hrp, sizeof(hrp), data, sizeof(data), &n) < 0) {
		rc = gs_error_prefix(GS_EPARSE, "malformed recipient %s",
		                     age__quote(&q, s, strlen(s)));
		goto out;
	}
	if (strcmp(hrp, "age")) {
		rc = gs_error(GS_EPARSE, "malformed recipient %s: invalid type \"%s\"",
		              age__quote(&q, s, strlen(s)), hrp);
		goto out;
	}
	if (n != 32) {
		rc = gs_error(GS_EPARSE, "malformed recipient %s: invalid X25519 public key",
		              age__quote(&q, s, strlen(s)));
		goto out;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	r->type = AGE_R_X25519;
	memcpy(r->pk, data, 32);
	buf_reset(&q);
	if ((rc = age__bech32_encode(&q, "age", r->pk, 32)) < 0)
		goto out;
	memcpy(r->str, q.p, q.len + 1);
	*out = r;
	r = NULL;
out:
	free(r);
	buf_release(&q);
	return rc;
}

int age_recipient_scrypt(struct age_recipient **out, const char *pass, int logn)
{
	struct age_recipient *r;
	*out = NULL;
	if (!pass || !*pass)
		return gs_error(GS_EINVAL, "passphrase can't be empty");
	if (logn < 0 || logn > 30)
		return gs_error(GS_EINVAL, "invalid scrypt work factor %d", logn);
	if (!(r = calloc(1, sizeof(*r))) || !(r->pass = strdup(pass))) {
		free(r);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	r->type = AGE_R_SCRYPT;
	r->logn = logn ? logn : AGE_SCRYPT_LOGN_ENCRYPT;
	snprintf(r->str, sizeof(r->str), "scrypt");
	*out = r;
	return 0;
}

void age_recipient_free(struct age_recipient *r)
{
	if (!r)
		return;
	age__pkey_free(r->pkey);
	free(r->str_long);
	gs_free_secret_str(r->pass);
	free(r);
}

const char *age_recipient_str(const struct age_recipient *r)
{
	return r->str_long ? r->str_long : r->str;
}

static struct age_identity *id_new(struct age_identity **list, int type)
{
	struct age_identity *id = calloc(1, sizeof(*id)), **tail = list;
	if (!id) {
		gs_error(GS_ENOMEM, "out of memory");
		return NULL;
	}
	id->type = type;
	while (*tail)
		tail = &(*tail)->next;
	*tail = id;
	return id;
}

static int x25519_from_scalar(struct age_identity *id, const unsigned char sk[32])
{
	struct buf b = BUF_INIT(128);
	int rc;
	memcpy(id->sk, sk, 32);
	crypto_scalarmult_base(id->pk, id->sk);
	if ((rc = age__bech32_encode(&b, "age", id->pk, 32)) == 0)
		memcpy(id->recip, b.p, b.len + 1);
	buf_release(&b);
	return rc;
}

/* One "AGE-SECRET-KEY-1..." line (no secret in messages). */
static int parse_secret_key(struct age_identity **list, const char *s)
{
	unsigned char data[64];
	char hrp[64];
	size_t n = 0;
	struct age_identity *id;
	int rc;

	if (age__bech32_decode(s, hrp, sizeof(hrp), data, sizeof(data), &n) < 0) {
		rc = gs_error_prefix(GS_EPARSE, "malformed secret key");
		goto out;
	}
	if (strcmp(hrp, "AGE-SECRET-KEY-")) {
		rc = gs_error(GS_EPARSE, "malformed secret key: unknown type \"%s\"", hrp);
		goto out;
	}
	if (n != 32) {
		rc = gs_error(GS_EPARSE, "malformed secret key: invalid X25519 secret key");
		goto out;
	}
	if (!(id = id_new(list, AGE_I_X25519))) {
		rc = GS_ENOMEM;
		goto out;
	}
	rc = x25519_from_scalar(id, data);
out:
	gs_wipe(data, sizeof(data));
	return rc;
}

int age_identities_parse_ex(struct age_identity **list, const char *text, size_t len,
                            const char *name, age_passphrase_fn ask, void *ctx)
{
	struct buf line = BUF_INIT_SECRET(8192);
	size_t pos = 0, lineno = 0, found = 0;
	int rc = 0;

	if (len > MAX_IDENTITY_FILE)
		return gs_error(GS_ETOOBIG, "failed to read \"%s\": file too long", name);
	if (len >= 14 &&
	    (!memcmp(text, "age-encryption", 14) || !memcmp(text, "-----BEGIN AGE", 14))) {
		/* a passphrase-protected identity file: decrypted when first needed */
		struct age_identity *id;
		if (!ask)
			return gs_error(
			    GS_EINVAL,
			    "failed to read \"%s\": the identity file is passphrase-protected",
			    name);
		if (!(id = id_new(list, AGE_I_ENCRYPTED)))
			return GS_ENOMEM;
		id->ask = ask;
		id->ask_ctx = ctx;
		if (!(id->name = strdup(name)) || !(id->contents = malloc(len)) ||
		    !(id->lazy = calloc(1, sizeof(*id->lazy))))
			return gs_error(GS_ENOMEM, "out of memory");
		memcpy(id->contents, text, len);
		id->contentslen = len;
		return 0;
	}
	if (len >= 10 && !memcmp(text, "-----BEGIN", 10)) {
		struct age_identity *id = id_new(list, AGE_I_SSH_ED25519);
		if (!id)
			return GS_ENOMEM;
		if ((rc = age__ssh_identity_parse(id, text, len)) < 0)
			return gs_error_prefix(rc, "malformed SSH identity in \"%s\"", name);
		return 0;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - text - pos) : len - pos;
		lineno++;
		buf_reset(&line);
		if ((rc = buf_add(&line, text + pos, n)) < 0) {
			rc = gs_error(GS_EPARSE,
			              "failed to read \"%s\": error at line %zu: line too long",
			              name, lineno);
			goto out;
		}
		pos += n + (nl ? 1 : 0);
		if (line.len && line.p[line.len - 1] == '\r')
			buf_truncate(&line, line.len - 1);
		if (!line.len || line.p[0] == '#')
			continue;
		if (!strncmp(line.p, "AGE-PLUGIN-", 11))
			rc = gs_error(GS_EPARSE, "plugin identities are not supported");
		else if (!strncmp(line.p, "AGE-SECRET-KEY-1", 16))
			rc = parse_secret_key(list, line.p);
		else
			rc = gs_error(GS_EPARSE, "unknown identity type");
		if (rc < 0) {
			gs_error_prefix(rc, "failed to read \"%s\": error at line %zu", name,
			                lineno);
			goto out;
		}
		found++;
	}
	if (!found)
		rc = gs_error(GS_EPARSE, "failed to read \"%s\": no secret keys found", name);
out:
	buf_release(&line);
	return rc;
}

int age_identities_parse(struct age_identity **list, const char *text, size_t len, const char *name)
{
	return age_identities_parse_ex(list, text, len, name, NULL, NULL);
}

int age_identity_add_passphrase(struct age_identity **list, const char *pass)
{
	struct age_identity *id;
	if (!pass || !*pass)
		return gs_error(GS_EINVAL, "passphrase can't be empty");
	if (!(id = id_new(list, AGE_I_SCRYPT)))
		return GS_ENOMEM;
	id->max_logn = AGE_SCRYPT_LOGN_MAX;
	if (!(id->pass = strdup(pass)))
		return gs_error(GS_ENOMEM, "out of memory");
	return 0;
}

int age_identity_add_passphrase_prompt(struct age_identity **list, age_passphrase_fn ask, void *ctx)
{
	struct age_identity *id = id_new(list, AGE_I_PROMPT);
	if (!id)
		return GS_ENOMEM;
	id->ask = ask;
	id->ask_ctx = ctx;
	id->max_logn = AGE_SCRYPT_LOGN_MAX;
	return 0;
}

void age_identities_free(struct age_identity *list)
{
	while (list) {
		struct age_identity *next = list->next;
		gs_wipe(list->sk, sizeof(list->sk));
		gs_free_secret_str(list->pass);
		age__pkey_free(list->pkey);
		free(list->recip_long);
		free(list->name);
		free(list->contents);
		if (list->lazy) {
			age_identities_free(list->lazy->inner);
			free(list->lazy);
		}
		free(list);
		list = next;
	}
}

/* The i-th X25519 identity, looking inside unlocked encrypted identity files. */
static const struct age_identity *nth_x25519(const struct age_identity *list, size_t *i)
{
	for (; list; list = list->next) {
		if (list->type == AGE_I_X25519 || list->type == AGE_I_SSH_ED25519 ||
		    list->type == AGE_I_SSH_RSA) {
			if (*i == 0)
				return list;
			(*i)--;
		} else if (list->type == AGE_I_ENCRYPTED && list->lazy->done) {
			const struct age_identity *r = nth_x25519(list->lazy->inner, i);
			if (r)
				return r;
		}
	}
	return NULL;
}

const char *age_identity_recipient(const struct age_identity *list, size_t i)
{
	const struct age_identity *id = nth_x25519(list, &i);
	return !id ? NULL : id->recip_long ? id->recip_long : id->recip;
}

size_t age_identities_count(const struct age_identity *list)
{
	size_t n = 0;
	while (age_identity_recipient(list, n))
		n++;
	return n;
}

int age_keygen(struct buf *sk, struct buf *pk)
{
	unsigned char k[32];
	struct age_identity id;
	int rc;

	memset(&id, 0, sizeof(id));
	randombytes_buf(k, sizeof(k));
	if ((rc = x25519_from_scalar(&id, k)) == 0 &&
	    (rc = age__bech32_encode(sk, "AGE-SECRET-KEY-", k, 32)) == 0)
		rc = buf_adds(pk, id.recip);
	gs_wipe(k, sizeof(k));
	gs_wipe(&id, sizeof(id));
	return rc;
}

int age_passphrase_generate(struct buf *out)
{
	static const char alphabet[] =
	    "abcdefghijkmnpqrstuvwxyz23456789"; /* 32 symbols, no look-alikes */
	unsigned char r[40];
	size_t i;
	int rc = 0;

	randombytes_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r) && rc == 0; i++) {
		if (i && i % 4 == 0)
			rc = buf_addc(out, '-');
		if (rc == 0)
			rc = buf_addc(out, alphabet[r[i] & 31]);
	}
	gs_wipe(r, sizeof(r));
	return rc;
}
