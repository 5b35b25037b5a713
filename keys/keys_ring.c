/*
 * The keyring: private keys with their certs, newest first by cert NotBefore
 * or by key Secret creation (the controller's --key-order-priority), and the keyset view
 * that sealer/ tries them through.
 */
#include "keys/keys.h"
#include "keys/keys_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void keys_ring_init(struct keys_ring *r)
{
	struct keys_ring z = KEYS_RING_INIT;
	*r = z;
}

static void entry_release(struct keys_entry *e)
{
	sealed_privkey_free(e->key);
	sealed_pubkey_free(e->cert);
	free(e->cert_pem);
	free(e->name);
	free(e->secret);
	memset(e, 0, sizeof(*e));
}

void keys_ring_release(struct keys_ring *r)
{
	size_t i;
	int by_creation;
	unsigned next_id;
	for (i = 0; i < r->n; i++)
		entry_release(&r->ent[i]);
	free(r->ent);
	free(r->set.keys);
	by_creation = r->by_creation;
	next_id = r->next_id; /* ids are never reused, even across a release */
	keys_ring_init(r);
	r->by_creation = by_creation;
	r->next_id = next_id;
}

static const char *pem_block(const char *text, size_t len, const char *label)
{
	size_t mlen = strlen(label), i;
	for (i = 0; i + mlen <= len; i++)
		if (text[i] == '-' && !memcmp(text + i, label, mlen))
			return text + i;
	return NULL;
}

/* Insert e keeping newest-first order; ties keep the first added (upstream mostRecentKey). */
static int ring_insert(struct keys_ring *r, struct keys_entry *e)
{
	struct keys_entry *ent;
	struct sealed_privkey **keys;
	size_t pos, i;

	if (!(ent = realloc(r->ent, (r->n + 1) * sizeof(*ent))))
		return gs_error(GS_ENOMEM, "out of memory");
	r->ent = ent;
	if (!(keys = realloc(r->set.keys, (r->n + 1) * sizeof(*keys))))
		return gs_error(GS_ENOMEM, "out of memory");
	r->set.keys = keys;
	for (pos = 0; pos < r->n && ent[pos].order >= e->order; pos++)
		;
	e->id = ++r->next_id;
	memmove(ent + pos + 1, ent + pos, (r->n - pos) * sizeof(*ent));
	ent[pos] = *e;
	r->n++;
	for (i = 0; i < r->n; i++)
		keys[i] = ent[i].key;
	r->set.n = r->n;
	r->set.hint = 0;
	memset(e, 0, sizeof(*e));
	return 0;
}

int keys_ring_add_pem(struct keys_ring *r, const char *key_pem, size_t key_len,
                      const char *cert_pem, size_t cert_len, const char *name)
{
	return keys_ring_add_pem_at(r, key_pem, key_len, cert_pem, cert_len, name, -1);
}

int keys_ring_add_pem_at(struct keys_ring *r, const char *key_pem, size_t key_len,
                         const char *cert_pem, size_t cert_len, const char *name, time_t created)
{
	return keys__ring_add_pem_secret(r, key_pem, key_len, cert_pem, cert_len, name, created,
	                                 NULL);
}

/* The same, remembering the key Secret it came from (keys_ring_add_secret). */
int keys__ring_add_pem_secret(struct keys_ring *r, const char *key_pem, size_t key_len,
                              const char *cert_pem, size_t cert_len, const char *name,
                              time_t created, const char *secret)
{
	struct keys_entry e = { 0 };
	const char *c;
	size_t i;
	int rc;

	if (!name)
		name = "key";
	if ((rc = sealed_privkey_from_pem(&e.key, key_pem, key_len, name)) < 0)
		goto out;
	if (!cert_pem && (c = pem_block(key_pem, key_len, "-----BEGIN CERTIFICATE-----"))) {
		cert_pem = c;
		cert_len = key_len - (size_t)(c - key_pem);
	}
	if (cert_pem && cert_len) {
		if ((rc = sealed_pubkey_from_pem(&e.cert, cert_pem, cert_len, name)) < 0)
			goto out;
		if (!sealed_privkey_matches(e.key, e.cert)) {
			rc = gs_error(GS_EPARSE,
			              "%s: the certificate does not match the private key", name);
			goto out;
		}
		if ((c = pem_block(cert_pem, cert_len, "-----BEGIN CERTIFICATE-----"))) {
			const char *end = pem_block(c, cert_len - (size_t)(c - cert_pem),
			                            "-----END CERTIFICATE-----");
			size_t n = end ? (size_t)(end - c) + 25 : cert_len - (size_t)(c - cert_pem);
			if (!(e.cert_pem = malloc(n + 2))) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			memcpy(e.cert_pem, c, n);
			e.cert_pem[n++] = '\n';
			e.cert_pem[n] = '\0';
			e.cert_pem_len = n;
		}
		e.not_before = sealed_pubkey_not_before(e.cert);
	}
	e.order = r->by_creation && created >= 0 ? created : e.not_before;
	for (i = 0; i < r->n; i++) {
		if (sealed_privkey_same(r->ent[i].key,
		                        e.key)) { /* upstream keys its registry by fingerprint:
			                             duplicates collapse */
			/* a key made here, then seen as its Secret: learn the Secret's name */
			if (secret && !r->ent[i].secret && !(r->ent[i].secret = strdup(secret))) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			if (r->ent[i].created < 0 || !r->ent[i].created)
				r->ent[i].created = created;
			rc = 0;
			goto out;
		}
	}
	e.created = created;
	if (!(e.name = strdup(name)) || (secret && !(e.secret = strdup(secret)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = ring_insert(r, &e)) < 0)
		goto out;
	rc = 1;
out:
	entry_release(&e);
	return rc;
}

/* A key made now: by creation it is as new as its Secret (upstream: time.Now()). */
int keys_ring_add_pair(struct keys_ring *r, const struct keys_pair *p, const char *name)
{
	return keys_ring_add_pem_at(r, p->key_pem.p, p->key_pem.len, p->cert_pem.p, p->cert_pem.len,
	                            name, time(NULL));
}

int keys_ring_remove_secret(struct keys_ring *r, const char *secret)
{
	size_t i, j;
	for (i = 0; secret && i < r->n; i++) {
		if (!r->ent[i].secret || strcmp(r->ent[i].secret, secret))
			continue;
		entry_release(&r->ent[i]);
		memmove(r->ent + i, r->ent + i + 1, (r->n - i - 1) * sizeof(*r->ent));
		r->n--;
		for (j = 0; j < r->n; j++)
			r->set.keys[j] = r->ent[j].key;
		r->set.n = r->n;
		r->set.hint = 0;
		return 1;
	}
	return 0;
}

const struct keys_entry *keys_ring_by_id(const struct keys_ring *r, unsigned id)
{
	size_t i;
	for (i = 0; id && i < r->n; i++)
		if (r->ent[i].id == id)
			return &r->ent[i];
	return NULL;
}

const struct keys_entry *keys_ring_newest(const struct keys_ring *r)
{
	return r->n ? &r->ent[0] : NULL;
}

int keys_ring_newest_cert_pem(const struct keys_ring *r, const char **pem, size_t *len)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		if (r->ent[i].cert_pem) {
			*pem = r->ent[i].cert_pem;
			*len = r->ent[i].cert_pem_len;
			return 0;
		}
	*pem = NULL;
	*len = 0;
	return gs_error(GS_ENOTFOUND, "no sealing key with a certificate");
}

/*
 * PEM text with one or more private keys: each key block, with the file's
 * first certificate when there is exactly one key.
 */
int keys__ring_add_pem_text(struct keys_ring *r, const char *text, size_t len, const char *what)
{
	const char *p = text, *end = text + len;
	int added = 0, nkeys = 0, rc;
	char endmark[96];

	for (p = text; (p = pem_block(p, (size_t)(end - p), "-----BEGIN ")); p += 11) {
		const char *lab = p + 11, *q = pem_block(lab, (size_t)(end - lab), "-----");
		if (q && q - lab >= 11 && !memcmp(q - 11, "PRIVATE KEY", 11))
			nkeys++;
	}
	if (nkeys <= 1)
		return keys_ring_add_pem(r, text, len, NULL, 0, what);
	for (p = text; (p = pem_block(p, (size_t)(end - p), "-----BEGIN "));) {
		const char *lab = p + 11, *q = pem_block(lab, (size_t)(end - lab), "-----"), *stop;
		if (!q || q - lab > 64)
			break;
		snprintf(endmark, sizeof(endmark), "-----END %.*s-----", (int)(q - lab), lab);
		if (!(stop = pem_block(q, (size_t)(end - q), endmark)))
			break;
		stop += strlen(endmark);
		if (q - lab >= 11 && !memcmp(q - 11, "PRIVATE KEY", 11)) {
			if ((rc = keys_ring_add_pem(r, p, (size_t)(stop - p), "", 0, what)) < 0)
				return rc;
			added += rc;
		}
		p = stop;
	}
	return added;
}
