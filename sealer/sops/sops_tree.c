/* Walking the documents: encrypt/decrypt every selected leaf, the MAC, the IV stash, tree paths. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "doc/doc.h"
#include "sealer/sops/sops.h"
#include "sealer/sops/sops_int.h"

#define MAX_DEPTH 1024

/* The key path of the current leaf: components for the rules, "a:b:" for the AAD. */
struct walk {
	const char *keys[MAX_DEPTH];
	size_t lens[MAX_DEPTH];
	size_t depth;
	struct buf aad;
	const struct sops_rules *rules;
	struct sops_cipher *cipher;
	struct sops_mac *mac;
	struct buf pt;      /* scratch plaintext (secret) */
	struct buf enc;     /* scratch ciphertext */
	unsigned char *ivs; /* encrypt: one bulk draw of IVs */
	size_t nivs, iv_next;
	size_t count; /* encrypt: leaves to encrypt (first pass) */
	int counting;
	struct sops_stash *stash;
	struct sops_stash *collect;      /* stash being filled */
	const struct sops_cmt_plan *cmt; /* comment rules */
	const struct doc *anchor,
	    *container; /* the current entry's key (or list item), and its map (or list) */
	const char *file;
};

/* --- ToBytes: the bytes sops hashes and encrypts for a cleartext leaf --- */

static int parse_go_int(const char *s, size_t n, long long *out)
{
	char tmp[80], *end;
	size_t i, o = 0;
	int neg = 0, base = 10;
	const char *p;
	if (n == 0 || n >= sizeof(tmp))
		return GS_EPARSE;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			tmp[o++] = s[i];
	tmp[o] = 0;
	p = tmp;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8;
	if (!*p)
		return GS_EPARSE;
	errno = 0;
	{
		unsigned long long u = strtoull(p, &end, base);
		if (*end || errno || u > (neg ? 9223372036854775808ULL : 9223372036854775807ULL))
			return GS_EPARSE;
		*out = neg ? (long long)(0 - u) : (long long)u;
	}
	return 0;
}

static int parse_go_float(const char *s, size_t n, double *out)
{
	char tmp[400], *end;
	size_t i, o = 0;
	if (n == 0 || n >= sizeof(tmp))
		return GS_EPARSE;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			tmp[o++] = s[i];
	tmp[o] = 0;
	{
		const char *p = tmp + (tmp[0] == '-' || tmp[0] == '+');
		if (!strcasecmp(p, ".inf") || !strcasecmp(p, "inf") || !strcasecmp(p, "+inf")) {
			*out = tmp[0] == '-' ? -INFINITY : INFINITY;
			return 0;
		}
		if (!strcasecmp(p, ".nan") || !strcasecmp(p, "nan")) {
			*out = NAN;
			return 0;
		}
	}
	errno = 0;
	*out = strtod(tmp, &end);
	return *end ? GS_EPARSE : 0;
}

/* A plain YAML timestamp as yaml.v3 parses it and Go's time.MarshalText prints it (RFC 3339,
 * fraction without trailing zeros, "Z" for a zero offset); sops >= 3.10 hashes that. 0 or -1. */
static int go_time_text(char *out, size_t outlen, const char *s, size_t n)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0, i = 0, k;
	char frac[16] = "", zone[24] = "Z";
	const char *p = s, *end = s + n;
#define NUM(v, max)                                                                                \
	do {                                                                                       \
		for (k = 0, v = 0; p < end && *p >= '0' && *p <= '9' && k < (max); k++)            \
			v = v * 10 + (*p++ - '0');                                                 \
		if (!k)                                                                            \
			return -1;                                                                 \
	} while (0)
	NUM(y, 4);
	if (p - s != 4 || p >= end || *p++ != '-')
		return -1;
	NUM(mo, 2);
	if (p >= end || *p++ != '-')
		return -1;
	NUM(d, 2);
	if (p < end) {
		if (*p != 'T' && *p != 't' && *p != ' ' && *p != '\t')
			return -1;
		while (p < end && (*p == 'T' || *p == 't' || *p == ' ' || *p == '\t'))
			p++;
		NUM(h, 2);
		if (p >= end || *p++ != ':')
			return -1;
		NUM(mi, 2);
		if (p >= end || *p++ != ':')
			return -1;
		NUM(sec, 2);
		if (p < end && *p == '.') {
			frac[0] = '.';
			for (p++, i = 1; p < end && *p >= '0' && *p <= '9'; p++)
				if (i < 10)
					frac[i++] = *p;
			frac[i] = 0;
			while (i > 1 && frac[i - 1] == '0')
				frac[--i] = 0;
			if (i == 1)
				frac[0] = 0;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && (*p == 'Z' || *p == 'z')) {
			p++;
		} else if (p < end && (*p == '+' || *p == '-')) {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			NUM(oh, 2);
			if (p < end && *p == ':')
				p++;
			if (p < end)
				NUM(om, 2);
			off = sign * (oh * 60 + om);
			if (off)
				snprintf(zone, sizeof(zone), "%c%02d:%02d", sign < 0 ? '-' : '+',
				         oh, om);
		}
		if (p != end)
			return -1;
	}
#undef NUM
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", y, mo, d, h, mi, sec, frac,
	         zone);
	return 0;
}

/* Bytes of a cleartext leaf as sops.ToBytes renders it; *p may point into tmp (>= 400 bytes). */
static int leaf_bytes(const struct doc *n, char *tmp, const char **p, size_t *len,
                      enum sops_type *t)
{
	size_t tl = 0;
	const char *text = doc_text(n, &tl);
	long long iv;
	double fv;
	int b;

	*t = SOPS_T_STR;
	switch (doc_kind(n)) {
	case DOC_BOOL:
		if (doc_get_bool(n, &b) < 0)
			b = 0;
		*p = b ? "True" : "False";
		*len = strlen(*p);
		*t = SOPS_T_BOOL;
		return 0;
	case DOC_INT:
		if (parse_go_int(text, tl, &iv) == 0) {
			*len = (size_t)snprintf(tmp, 400, "%lld", iv);
			*p = tmp;
			*t = SOPS_T_INT;
			return 0;
		}
		/* too big for int64: encoding/json and yaml.v3 make it a float */
		/* fallthrough */
	case DOC_FLOAT:
		if (parse_go_float(text, tl, &fv) < 0)
			return gs_error(GS_EPARSE, "Could not convert %s to bytes",
			                doc_kind(n) == DOC_INT ? "int" : "float");
		*len = (size_t)sops_format_float(tmp, 400, fv);
		*p = tmp;
		*t = SOPS_T_FLOAT;
		return 0;
	default: /* strings, and timestamps kept as their text (what sops < 3.10 can read) */
		*p = text ? text : "";
		*len = text ? tl : 0;
		return 0;
	}
}

/* --- the IV stash: (AAD, plaintext) -> IV of the previous ciphertext --- */
struct stash_entry {
	struct stash_entry *next;
	unsigned char iv[SOPS_IV_LEN];
	size_t len; /* aad + '\0' + plaintext */
	int used;
	char data[];
};
struct sops_stash {
	struct stash_entry **tab;
	size_t nbuckets;
	unsigned char seed[16];
};

static size_t stash_hash(const struct sops_stash *s, const char *aad, size_t al, const char *pt,
                         size_t pl)
{
	unsigned char h[8];
	crypto_generichash_state st;
	crypto_generichash_init(&st, s->seed, sizeof(s->seed), sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)aad, al + 1);
	crypto_generichash_update(&st, (const unsigned char *)pt, pl);
	crypto_generichash_final(&st, h, sizeof(h));
	return (size_t)(((unsigned long long)h[0] | (unsigned long long)h[1] << 8 |
	                 (unsigned long long)h[2] << 16 | (unsigned long long)h[3] << 24) %
	                s->nbuckets);
}

int sops__stash_add(struct sops_stash *s, const char *aad, size_t al, const char *pt, size_t pl,
                    const unsigned char *iv)
{
	struct stash_entry *e = malloc(sizeof(*e) + al + 1 + pl);
	size_t b;
	if (!e)
		return gs_error(GS_ENOMEM, "out of memory");
	memcpy(e->data, aad, al);
	e->data[al] = 0;
	memcpy(e->data + al + 1, pt, pl);
	e->len = al + 1 + pl;
	e->used = 0;
	memcpy(e->iv, iv, SOPS_IV_LEN);
	b = stash_hash(s, aad, al, pt, pl);
	e->next = s->tab[b];
	s->tab[b] = e;
	return 0;
}

/* An unused previous IV for exactly this AAD and plaintext (each one is handed out once). */
const unsigned char *sops__stash_take(struct sops_stash *s, const char *aad, size_t al,
                                      const char *pt, size_t pl)
{
	struct stash_entry *e;
	for (e = s->tab[stash_hash(s, aad, al, pt, pl)]; e; e = e->next)
		if (!e->used && e->len == al + 1 + pl && !memcmp(e->data, aad, al) &&
		    !e->data[al] && !gs_memcmp_ct(e->data + al + 1, pt, pl)) {
			e->used = 1;
			return e->iv;
		}
	return NULL;
}

void sops_stash_free(struct sops_stash *s)
{
	size_t i;
	if (!s)
		return;
	for (i = 0; i < s->nbuckets; i++) {
		struct stash_entry *e = s->tab[i], *n;
		for (; e; e = n) {
			n = e->next;
			gs_free_secret(e, sizeof(*e) + e->len);
		}
	}
	free(s->tab);
	free(s);
}

/* --- the walk --- */

static int walk_push(struct walk *w, const struct doc *key)
{
	size_t n = 0;
	const char *k = doc_text(key, &n);
	if (!k)
		return gs_error(GS_EPARSE, "%s:%u: Tree contains a non-string key", w->file,
		                doc_line(key));
	if (w->depth >= MAX_DEPTH)
		return gs_error(GS_ETOOBIG, "%s: tree too deep", w->file);
	w->keys[w->depth] = k;
	w->lens[w->depth] = n;
	w->depth++;
	if (buf_add(&w->aad, k, n) < 0 || buf_addc(&w->aad, ':') < 0)
		return GS_ENOMEM;
	return 0;
}

static void walk_pop(struct walk *w)
{
	w->depth--;
	buf_truncate(&w->aad, w->aad.len - w->lens[w->depth] - 1);
}

typedef int (*leaf_fn)(struct walk *w, struct doc *leaf);

static int walk_node(struct walk *w, struct doc *n, leaf_fn fn)
{
	size_t i;
	int rc;
	switch (doc_kind(n)) {
	case DOC_MAP:
		for (i = 0; i < doc_len(n); i++) {
			if ((rc = walk_push(w, doc_key_at(n, i))) < 0)
				return rc;
			w->anchor = doc_key_at(n, i);
			w->container = n;
			rc = walk_node(w, doc_val_at(n, i), fn);
			walk_pop(w);
			if (rc < 0)
				return rc;
		}
		return 0;
	case DOC_SEQ: /* list items keep their parent's path */
		for (i = 0; i < doc_len(n); i++) {
			w->anchor = doc_val_at(n, i);
			w->container = n;
			if ((rc = walk_node(w, doc_val_at(n, i), fn)) < 0)
				return rc;
		}
		return 0;
	case DOC_NULL: /* neither encrypted nor hashed */ return 0;
	default: return fn(w, n);
	}
}

static int walk_docs(struct walk *w, struct doc **docs, size_t n, leaf_fn fn)
{
	size_t i;
	int rc;
	for (i = 0; i < n; i++)
		if ((rc = walk_node(w, docs[i], fn)) < 0)
			return rc;
	return 0;
}

static int walk_init(struct walk *w, const char *file, const struct sops_rules *rules,
                     const unsigned char *key)
{
	int rc;
	memset(w, 0, sizeof(*w));
	buf_init(&w->aad, (size_t)16 << 20, 0);
	buf_init(&w->pt, BUF_MAX_DEFAULT, 1);
	buf_init(&w->enc, BUF_MAX_DEFAULT, 0);
	w->rules = rules;
	w->file = file ? file : "-";
	if (key && (rc = sops_cipher_new(&w->cipher, key)) < 0)
		return rc;
	return 0;
}

static void walk_release(struct walk *w)
{
	buf_release(&w->aad);
	buf_release(&w->pt);
	buf_release(&w->enc);
	sops_cipher_free(w->cipher);
	sops_mac_free(w->mac);
	if (w->ivs)
		gs_free_secret(w->ivs, w->nivs * SOPS_IV_LEN);
}

/* Turn decrypted bytes of a given type into the leaf (kept in wiped memory). */
static int set_plain(struct doc *n, enum sops_type t, const char *p, size_t len, const char *file,
                     const char *aad)
{
	char tmp[400];
	long long iv;
	double fv;
	enum doc_kind k = DOC_STR;
	const char *text = p;
	size_t tl = len;

	switch (t) {
	case SOPS_T_INT:
		if (parse_go_int(p, len, &iv) < 0)
			return gs_error(GS_EPARSE, "%s: %s: Could not convert to int", file, aad);
		tl = (size_t)snprintf(tmp, sizeof(tmp), "%lld", iv);
		text = tmp, k = DOC_INT;
		break;
	case SOPS_T_FLOAT:
		if (parse_go_float(p, len, &fv) < 0)
			return gs_error(GS_EPARSE, "%s: %s: Could not convert to float", file, aad);
		tl = (size_t)sops_format_float(tmp, sizeof(tmp), fv);
		text = tmp, k = DOC_FLOAT;
		break;
	case SOPS_T_BOOL: { /* strconv.ParseBool */
		static const char *const tv[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
		static const char *const fvv[] = { "0", "f", "F", "FALSE", "false", "False", NULL };
		int i, b = -1;
		for (i = 0; tv[i]; i++)
			if (strlen(tv[i]) == len && !memcmp(tv[i], p, len))
				b = 1;
		for (i = 0; fvv[i]; i++)
			if (strlen(fvv[i]) == len && !memcmp(fvv[i], p, len))
				b = 0;
		if (b < 0)
			return gs_error(GS_EPARSE, "%s: %s: Could not convert to bool", file, aad);
		text = b ? "true" : "false", tl = strlen(text), k = DOC_BOOL;
		break;
	}
	case SOPS_T_TIME: k = DOC_TIMESTAMP; break;
	default: break;
	}
	doc_set_flags(n, DOC_SECRET);
	if (doc_set_scalar(n, k, text, tl) < 0)
		return gs_error(GS_ENOMEM, "out of memory");
	doc_set_style(n, DOC_STYLE_ANY);
	gs_wipe(tmp, sizeof(tmp));
	return 0;
}

static int mac_leaf(struct walk *w, const struct doc *n, int encrypted)
{
	char tmp[400];
	const char *p;
	size_t len;
	enum sops_type t;
	int rc;
	if ((w->rules->mac_only_encrypted && !encrypted) ||
	    !w->mac) /* no MAC while collecting a stash */
		return 0;
	if ((rc = leaf_bytes(n, tmp, &p, &len, &t)) < 0)
		return rc;
	if (!encrypted && doc_kind(n) == DOC_TIMESTAMP &&
	    go_time_text(tmp, sizeof(tmp), p, len) == 0) {
		p = tmp; /* a plaintext timestamp is a time.Time for sops >= 3.10 */
		len = strlen(tmp);
	}
	rc = sops_mac_update(w->mac, p, len);
	gs_wipe(tmp, sizeof(tmp));
	return rc;
}

static int decrypt_leaf(struct walk *w, struct doc *n)
{
	int enc = sops_rules_encrypts(w->rules, w->keys, w->lens, w->depth);
	enum sops_type t;
	size_t len = 0;
	const char *s;
	int rc;

	if (enc) {
		s = doc_text(n, &len);
		if (doc_kind(n) != DOC_STR) {
			if (w->rules->kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX)
				return mac_leaf(w, n, 0);
			return gs_error(
			    GS_EPARSE,
			    "%s:%u: Error walking tree: Expected encrypted value as string at %.*s",
			    w->file, doc_line(n), (int)w->aad.len, w->aad.p);
		}
		if (len == 0) /* "" is stored as is */
			return 0;
		if (w->rules->kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX &&
		    !sops_is_encrypted_value(s, len))
			return mac_leaf(w, n, 0);
		buf_reset(&w->pt);
		if ((rc = sops_value_decrypt(w->cipher, &w->pt, &t, s, len, w->aad.p, w->aad.len)) <
		    0) {
			return gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_DECRYPTING_TREE),
			                       "Error decrypting tree: Error walking tree: Could "
			                       "not decrypt value at %s:%u (%.*s)",
			                       w->file, doc_line(n), (int)w->aad.len, w->aad.p);
		}
		if (w->collect) {
			unsigned char iv[SOPS_IV_LEN];
			if (sops_value_iv(iv, s, len) == 0 &&
			    (rc = sops__stash_add(w->collect, w->aad.p, w->aad.len, w->pt.p,
			                          w->pt.len, iv)) < 0)
				return rc;
			return 0;
		}
		if ((rc = set_plain(n, t, w->pt.p, w->pt.len, w->file, w->aad.p)) < 0)
			return rc;
	}
	return w->mac ? mac_leaf(w, n, enc) : 0;
}

int sops_file_decrypt(struct sops_file *f, const unsigned char key[SOPS_KEY_LEN], int ignore_mac)
{
	struct walk w;
	struct buf stored = BUF_INIT_SECRET(1024);
	char computed[129], lm[64];
	enum sops_type t;
	int rc;

	if ((rc = walk_init(&w, f->name, &f->meta.rules, key)) < 0)
		goto out;
	if ((rc = sops_mac_new(&w.mac, f->meta.rules.mac_only_encrypted)) < 0)
		goto out;
	if ((rc = walk_docs(&w, f->docs, f->ndocs, decrypt_leaf)) < 0)
		goto out;
	rc = sops_mac_final(w.mac, computed);
	w.mac = NULL;
	if (rc < 0 || ignore_mac)
		goto out;
	sops__normalize_rfc3339(lm, sizeof(lm), f->meta.lastmodified);
	if (!f->meta.mac || !f->meta.mac[0]) {
		rc = gs_error(SOPS_ERR(GS_EAUTH, SOPS_EXIT_MAC_MISMATCH),
		              "MAC mismatch. File has no MAC, computed %s", computed);
		goto out;
	}
	if ((rc = sops_value_decrypt(w.cipher, &stored, &t, f->meta.mac, strlen(f->meta.mac), lm,
	                             strlen(lm))) < 0) {
		rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_MAC_MISMATCH),
		                     "Cannot decrypt MAC");
		goto out;
	}
	if (stored.len != 128 || gs_memcmp_ct(stored.p, computed, 128)) {
		rc = gs_error(SOPS_ERR(GS_EAUTH, SOPS_EXIT_MAC_MISMATCH),
		              "MAC mismatch. File has %.*s, computed %s",
		              (int)(stored.len > 128 ? 128 : stored.len), stored.p, computed);
		goto out;
	}
out:
	buf_release(&stored);
	walk_release(&w);
	return rc;
}

int sops_stash_new(struct sops_stash **out, const struct sops_file *enc,
                   const unsigned char key[SOPS_KEY_LEN])
{
	struct sops_stash *s = calloc(1, sizeof(*s));
	struct walk w;
	int rc;

	*out = NULL;
	if (!s)
		return gs_error(GS_ENOMEM, "out of memory");
	s->nbuckets = 4099;
	randombytes_buf(s->seed, sizeof(s->seed));
	if (!(s->tab = calloc(s->nbuckets, sizeof(*s->tab)))) {
		free(s);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if ((rc = walk_init(&w, enc->name, &enc->meta.rules, key)) == 0) {
		w.collect = s;
		rc = walk_docs(&w, enc->docs, enc->ndocs, decrypt_leaf);
	}
	walk_release(&w);
	if (rc < 0)
		sops_stash_free(s);
	else
		*out = s;
	return rc;
}

static int encrypt_leaf(struct walk *w, struct doc *n)
{
	int enc = w->rules->kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX
	              ? sops_cmt_plan_leaf(w->cmt, w->rules, w->anchor, w->container)
	              : sops_rules_encrypts(w->rules, w->keys, w->lens, w->depth);
	char tmp[400];
	const char *p;
	const unsigned char *iv = NULL;
	size_t len;
	enum sops_type t;
	int rc;

	if (w->counting) {
		w->count += enc;
		return 0;
	}
	if ((rc = leaf_bytes(n, tmp, &p, &len, &t)) < 0)
		return gs_error_prefix(rc, "%s:%u", w->file, doc_line(n));
	if (!enc && doc_kind(n) == DOC_TIMESTAMP) {
		char gt[64];
		if (go_time_text(gt, sizeof(gt), p, len) == 0) /* hashed as sops >= 3.10 reads it */
			rc = w->rules->mac_only_encrypted ? 0
			                                  : sops_mac_update(w->mac, gt, strlen(gt));
		else
			rc = w->rules->mac_only_encrypted ? 0 : sops_mac_update(w->mac, p, len);
		goto out;
	}
	if ((!w->rules->mac_only_encrypted || enc) && (rc = sops_mac_update(w->mac, p, len)) < 0)
		goto out;
	if (!enc || len == 0) /* "" is never encrypted */
		goto out;
	if (w->stash)
		iv = sops__stash_take(w->stash, w->aad.p, w->aad.len, p, len);
	if (!iv) {
		if (w->iv_next >= w->nivs) {
			rc = gs_error(GS_ERROR, "internal: IV pool exhausted");
			goto out;
		}
		iv = w->ivs + SOPS_IV_LEN * w->iv_next++;
	}
	buf_reset(&w->enc);
	if ((rc = sops_value_encrypt(w->cipher, &w->enc, p, len, iv, w->aad.p, w->aad.len, t)) <
	    0) {
		rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_ENCRYPTING_TREE),
		                     "Error encrypting tree");
		goto out;
	}
	doc_set_flags(n, 0);
	if (doc_set_scalar(n, DOC_STR, w->enc.p, w->enc.len) < 0) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	doc_set_style(n, DOC_STYLE_ANY);
out:
	gs_wipe(tmp, sizeof(tmp));
	return rc;
}

int sops_file_selected(const struct sops_file *f, size_t doc, size_t *count)
{
	struct walk w;
	int rc;

	*count = 0;
	if (doc >= f->ndocs)
		return 0;
	if (f->meta.rules.kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX)
		return gs_error(GS_EINVAL, "%s: the leaves %s selects depend on comments",
		                f->name ? f->name : "-", sops_rule_key(f->meta.rules.kind));
	if ((rc = walk_init(&w, f->name, &f->meta.rules, NULL)) < 0)
		goto out;
	w.counting = 1;
	/* the counting walk reads the tree only */
	rc = walk_node(&w, (struct doc *)f->docs[doc], encrypt_leaf);
	*count = w.count;
out:
	walk_release(&w);
	return rc;
}

int sops_file_encrypt(struct sops_file *f, const unsigned char key[SOPS_KEY_LEN],
                      struct sops_stash *stash)
{
	struct walk w;
	struct buf macenc = BUF_INIT(1024);
	char hex[129], lm[32];
	unsigned char iv[SOPS_IV_LEN];
	int rc;

	if (f->meta.rules.kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX) {
		if (f->fmt == SOPS_FMT_DOTENV || f->fmt == SOPS_FMT_INI)
			return gs_error(GS_EINVAL,
			                "%s is not supported by gitseal for dotenv and ini files",
			                sops_rule_key(f->meta.rules.kind));
		/* YAML comments decide; JSON has none */
		if (f->fmt == SOPS_FMT_YAML && f->src && !f->cmt &&
		    memchr(f->src, '#', f->src_len) &&
		    (rc = sops_cmt_plan_new(&f->cmt, &f->meta.rules, f->name, f->src, f->src_len,
		                            f->docs, f->ndocs)) < 0)
			return rc;
	}
	if ((rc = walk_init(&w, f->name, &f->meta.rules, key)) < 0)
		goto out;
	w.cmt = f->cmt;
	w.stash = stash;
	w.counting = 1;
	if ((rc = walk_docs(&w, f->docs, f->ndocs, encrypt_leaf)) < 0)
		goto out;
	w.counting = 0;
	/* one RNG call for every IV of the file */
	w.nivs = w.count;
	if (w.nivs) {
		if (!(w.ivs = malloc(w.nivs * SOPS_IV_LEN))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		randombytes_buf(w.ivs, w.nivs * SOPS_IV_LEN);
	}
	if ((rc = sops_mac_new(&w.mac, f->meta.rules.mac_only_encrypted)) < 0)
		goto out;
	if ((rc = walk_docs(&w, f->docs, f->ndocs, encrypt_leaf)) < 0)
		goto out;
	rc = sops_mac_final(w.mac, hex);
	w.mac = NULL;
	if (rc < 0)
		goto out;
	sops__now_rfc3339(lm);
	randombytes_buf(iv, sizeof(iv));
	if ((rc = sops_value_encrypt(w.cipher, &macenc, hex, 128, iv, lm, strlen(lm), SOPS_T_STR)) <
	    0) {
		rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_ENCRYPTING_MAC),
		                     "Could not encrypt MAC");
		goto out;
	}
	free(f->meta.lastmodified);
	free(f->meta.mac);
	free(f->meta.version);
	f->meta.lastmodified = strdup(lm);
	f->meta.mac = strdup(macenc.p);
	f->meta.version = strdup(SOPS_VERSION);
	if (!f->meta.lastmodified || !f->meta.mac || !f->meta.version)
		rc = gs_error(GS_ENOMEM, "out of memory");
	f->has_meta = 1;
out:
	gs_wipe(hex, sizeof(hex));
	buf_release(&macenc);
	walk_release(&w);
	return rc;
}

/* --- tree paths --- */

static struct doc *step(const struct doc *n, const struct sops_path *p, size_t i)
{
	if (p->keys[i])
		return doc_kind(n) == DOC_MAP ? doc_get(n, p->keys[i]) : NULL;
	return doc_kind(n) == DOC_SEQ && (size_t)p->index[i] < doc_len(n)
	           ? doc_val_at(n, (size_t)p->index[i])
	           : NULL;
}

static int path_error(const struct sops_path *p, size_t i)
{
	if (p->keys[i])
		return gs_error(GS_ENOTFOUND, "component ['%s'] not found", p->keys[i]);
	return gs_error(GS_ENOTFOUND, "component [%ld] not found", p->index[i]);
}

int sops_file_lookup(const struct sops_file *f, const struct sops_path *p, struct doc **out)
{
	struct doc *n = f->ndocs ? f->docs[0] : NULL;
	size_t i;
	for (i = 0; i < p->n; i++)
		if (!(n = step(n, p, i)))
			return path_error(p, i);
	*out = n;
	return 0;
}

int sops_file_set(struct sops_file *f, const struct sops_path *p, struct doc *value)
{
	struct doc *n = f->ndocs ? f->docs[0] : NULL, *next;
	size_t i;
	if (!n || p->n == 0) {
		doc_free(value);
		return gs_error(GS_EINVAL, "cannot set the whole document");
	}
	for (i = 0; i + 1 < p->n; i++) {
		if (!(next = step(n, p, i))) {
			if (!p->keys[i] || doc_kind(n) != DOC_MAP || !(next = doc_new_map()) ||
			    doc_set(n, p->keys[i], next) < 0) {
				doc_free(value);
				return path_error(p, i);
			}
		}
		n = next;
	}
	if (p->keys[i]) {
		if (doc_kind(n) != DOC_MAP) {
			doc_free(value);
			return path_error(p, i);
		}
		return doc_set(n, p->keys[i], value) < 0 ? gs_error(GS_ENOMEM, "out of memory") : 0;
	}
	if (doc_kind(n) == DOC_SEQ && (size_t)p->index[i] == doc_len(n))
		return doc_push(n, value) < 0 ? gs_error(GS_ENOMEM, "out of memory") : 0;
	doc_free(value);
	return gs_error(GS_EINVAL,
	                "setting list items by index is not supported (only appending at [%zu])",
	                doc_len(n));
}

int sops_file_unset(struct sops_file *f, const struct sops_path *p)
{
	struct doc *n = f->ndocs ? f->docs[0] : NULL;
	size_t i;
	for (i = 0; i + 1 < p->n; i++)
		if (!(n = step(n, p, i)))
			return path_error(p, i);
	if (p->n == 0 || !p->keys[p->n - 1] || doc_kind(n) != DOC_MAP ||
	    doc_del(n, p->keys[p->n - 1]) != 1)
		return path_error(p, p->n ? p->n - 1 : 0);
	return 0;
}
