/*
 * The structure of a SOPS document, checked without a key: the `sops` block has
 * what sops needs to open the file (master keys, lastmodified, mac, version, at
 * most one rule), and every value the rule encrypts is an ENC[...] value. A
 * document with ENC[...] values and no `sops` block is reported too.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "doc/doc.h"
#include "sealer/inspect/inspect_int.h"
#include "sealer/sops/sops.h"

static const char *const master_keys[] = { "age",      "pgp",      "kms",   "gcp_kms",
	                                   "azure_kv", "hc_vault", "hckms", NULL };

static int is_enc(const struct doc *n)
{
	size_t len;
	const char *s;
	if (doc_kind(n) != DOC_STR)
		return 0;
	s = doc_text(n, &len);
	return sops_is_encrypted_value(s, len);
}

static int starts_enc(const struct doc *n)
{
	const char *s = doc_str(n);
	return s && !strncmp(s, "ENC[", 4);
}

/* sops' blang/semver after trimming "v": MAJOR.MINOR.PATCH, digits only, then -pre/+build */
static int is_semver(const char *v)
{
	int parts = 0;
	if (!v)
		return 0;
	if (*v == 'v')
		v++;
	for (;;) {
		if (*v < '0' || *v > '9')
			return 0;
		while (*v >= '0' && *v <= '9')
			v++;
		if (++parts == 3)
			return *v == 0 || *v == '-' || *v == '+';
		if (*v++ != '.')
			return 0;
	}
}

/* RFC 3339 as sops writes it: 2006-01-02T15:04:05 then Z or an offset (fractions allowed) */
static int is_rfc3339(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;
	if (!s || strlen(s) < sizeof(shape))
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

/* Master keys of one group (a map with age/pgp/... lists); malformed age entries reported. */
static int group_keys(struct inspect_report *r, const struct doc *g, const char *desc,
                      const char *where, size_t *nkeys)
{
	const struct doc *age = doc_get(g, "age");
	size_t i;
	int rc, added = 0;

	for (i = 0; master_keys[i]; i++) {
		const struct doc *l = doc_get(g, master_keys[i]);
		if (doc_kind(l) == DOC_SEQ)
			*nkeys += doc_len(l);
		else if (l && doc_kind(l) != DOC_NULL) {
			if ((rc = inspect__add(r, INSPECT_SOPS_METADATA_MALFORMED, l,
			                       "%s: %s.%s is not a list", desc, where,
			                       master_keys[i])) < 0)
				return rc;
			added++;
		}
	}
	for (i = 0; doc_kind(age) == DOC_SEQ && i < doc_len(age); i++) {
		const struct doc *e = doc_val_at(age, i), *rcpt = doc_get(e, "recipient"),
		                 *enc = doc_get(e, "enc");
		const char *rs = doc_str(rcpt), *es = doc_str(enc);
		const char *what = NULL;
		if (doc_kind(e) != DOC_MAP)
			what = "is not a map";
		else if (!rs || !*rs)
			what = "has no recipient";
		else if (strncmp(rs, "age1", 4) && strncmp(rs, "ssh-", 4))
			what = "recipient is not an age recipient (age1...) or SSH key";
		else if (!es || !*es)
			what = "has no enc (the data key encrypted to the recipient)";
		else if (!strstr(es, "-----BEGIN AGE ENCRYPTED FILE-----") ||
		         !strstr(es, "-----END AGE ENCRYPTED FILE-----"))
			what = "enc is not an armored age file";
		if (what) {
			if ((rc = inspect__add(r, INSPECT_SOPS_METADATA_MALFORMED, e,
			                       "%s: %s.age[%zu] %s", desc, where, i, what)) < 0)
				return rc;
			added++;
		}
	}
	return added;
}

/* The `sops` block; on success *rules holds the document's rule (release it). */
static int check_meta(struct inspect_report *r, const struct doc *s, const char *desc,
                      struct sops_rules *rules, int *rules_ok)
{
	const struct doc *kg = doc_get(s, "key_groups"), *v, *rule = NULL;
	const char *err = NULL;
	size_t nkeys = 0, ngroups = 1, i;
	int rc, added = 0, nrules = 0;
	enum sops_rule_kind kind = SOPS_RULE_UNENCRYPTED_SUFFIX;

	*rules_ok = 0;
	if (doc_kind(s) != DOC_MAP)
		return inspect__add(r, INSPECT_SOPS_METADATA_MALFORMED, s,
		                    "%s: the 'sops' block is not a map", desc);
	if (kg && doc_kind(kg) != DOC_NULL) {
		if (doc_kind(kg) != DOC_SEQ) {
			if ((rc = inspect__add(r, INSPECT_SOPS_METADATA_MALFORMED, kg,
			                       "%s: sops.key_groups is not a list", desc)) < 0)
				return rc;
			added++;
		}
		ngroups = doc_kind(kg) == DOC_SEQ ? doc_len(kg) : 0;
		for (i = 0; i < ngroups; i++) {
			char where[64];
			snprintf(where, sizeof(where), "sops.key_groups[%zu]", i);
			if ((rc = group_keys(r, doc_val_at(kg, i), desc, where, &nkeys)) < 0)
				return rc;
			added += rc;
		}
	}
	if ((rc = group_keys(r, s, desc, "sops", &nkeys)) < 0)
		return rc;
	added += rc;
	if (!nkeys)
		err = "has no master key (age, pgp, kms, gcp_kms, azure_kv, hc_vault): nobody can "
		      "decrypt it";
	else if (!(v = doc_get(s, "mac")) || doc_kind(v) == DOC_NULL || !doc_len(v))
		err = "has no mac";
	else if (!is_enc(v))
		err = "mac is not an ENC[AES256_GCM,...] value";
	else if (!(v = doc_get(s, "lastmodified")) || !doc_is_scalar(v) || doc_kind(v) == DOC_NULL)
		err = "has no lastmodified";
	else if (!is_rfc3339(doc_text(v, NULL)))
		err = "lastmodified is not an RFC 3339 time";
	else if (!(v = doc_get(s, "version")) || !doc_is_scalar(v) || doc_kind(v) == DOC_NULL)
		err = "has no version";
	else if (!is_semver(doc_text(v, NULL)))
		err = "version is not a semantic version (MAJOR.MINOR.PATCH)";
	if (err) {
		if ((rc = inspect__add(r, INSPECT_SOPS_METADATA_MALFORMED, s,
		                       "%s: the 'sops' block %s", desc, err)) < 0)
			return rc;
		added++;
	}
	if ((v = doc_get(s, "shamir_threshold")) && doc_kind(v) != DOC_NULL) {
		long long t = 0;
		if (doc_get_int(v, &t) < 0 || t < 1 || (size_t)t > (ngroups ? ngroups : 1)) {
			if ((rc = inspect__add(
			         r, INSPECT_SOPS_METADATA_MALFORMED, v,
			         "%s: sops.shamir_threshold is not an "
			         "integer between 1 and the number of key groups (%zu)",
			         desc, ngroups)) < 0)
				return rc;
			added++;
		}
	}
	for (i = SOPS_RULE_UNENCRYPTED_SUFFIX; i <= SOPS_RULE_ENCRYPTED_COMMENT_REGEX; i++) {
		v = doc_get(s, sops_rule_key((enum sops_rule_kind)i));
		if (!v || !doc_is_scalar(v) || !doc_len(v))
			continue;
		if (nrules++) {
			if ((rc = inspect__add(r, INSPECT_SOPS_METADATA_MALFORMED, v,
			                       "%s: the 'sops' block sets both %s and %s: "
			                       "sops allows one rule per file",
			                       desc, sops_rule_key(kind),
			                       sops_rule_key((enum sops_rule_kind)i))) < 0)
				return rc;
			return added + 1;
		}
		kind = (enum sops_rule_kind)i;
		rule = v;
	}
	if ((rc = sops_rules_set(rules, kind, rule ? doc_text(rule, NULL) : "_unencrypted")) < 0) {
		rc = inspect__add(r, INSPECT_SOPS_METADATA_MALFORMED, rule, "%s: sops.%s: %s", desc,
		                  sops_rule_key(kind), gs_error_last());
		gs_error_clear();
		return rc < 0 ? rc : added + 1;
	}
	if ((v = doc_get(s, "mac_only_encrypted")))
		doc_get_bool(v, &rules->mac_only_encrypted);
	*rules_ok = 1;
	return added;
}

struct value_walk {
	struct inspect_walk w;
	struct inspect_report *r;
	const struct sops_rules *rules;
	const char *desc;
	struct buf path;
	int added;
	int secret; /* a Secret: its data/stringData values must be among those the rule encrypts */
};

/* data.x, stringData.x of a Secret */
static int secret_field(const struct inspect_walk *w)
{
	const struct inspect_comp *c = &w->comp[0];
	return w->depth >= 2 && c->key &&
	       ((c->len == 4 && !memcmp(c->key, "data", 4)) ||
	        (c->len == 10 && !memcmp(c->key, "stringData", 10)));
}

static int value_leaf(struct inspect_walk *w, const struct doc *n)
{
	struct value_walk *vw = (struct value_walk *)w;
	const char *keys[INSPECT_MAX_DEPTH];
	size_t lens[INSPECT_MAX_DEPTH], nk;
	int rc;

	if (doc_kind(n) == DOC_NULL || is_enc(n) || (doc_kind(n) == DOC_STR && doc_len(n) == 0))
		return 0;
	nk = inspect__keys(w, keys, lens);
	if (!sops_rules_encrypts(vw->rules, keys, lens, nk)) {
		if (!vw->secret || !secret_field(w))
			return 0;
		/* a value the file's own rule never encrypts: plaintext in Git */
		inspect__path(w, &vw->path);
		rc = inspect__add(
		    vw->r, INSPECT_SOPS_RULE_UNENCRYPTED_DATA, n,
		    "%s: %s is in plaintext: the file's %s '%s' "
		    "leaves it unencrypted (Secrets want encrypted_regex '^(data|stringData)$')",
		    vw->desc, vw->path.p, sops_rule_key(vw->rules->kind), vw->rules->value);
		if (rc < 0)
			return rc;
		vw->added++;
		return 0;
	}
	inspect__path(w, &vw->path);
	if (starts_enc(n))
		rc = inspect__add(vw->r, INSPECT_SOPS_VALUE_NOT_ENCRYPTED, n,
		                  "%s: %s is not a well-formed "
		                  "ENC[AES256_GCM,data:...,iv:...,tag:...,type:...] value",
		                  vw->desc, vw->path.p);
	else if (vw->rules->kind == SOPS_RULE_UNENCRYPTED_SUFFIX &&
	         !strcmp(vw->rules->value, "_unencrypted"))
		rc = inspect__add(vw->r, INSPECT_SOPS_VALUE_NOT_ENCRYPTED, n,
		                  "%s: %s is not encrypted, but the file "
		                  "names no rule, so sops encrypts every value",
		                  vw->desc, vw->path.p);
	else
		rc = inspect__add(vw->r, INSPECT_SOPS_VALUE_NOT_ENCRYPTED, n,
		                  "%s: %s is not encrypted, but the file's "
		                  "%s '%s' says it must be",
		                  vw->desc, vw->path.p, sops_rule_key(vw->rules->kind),
		                  vw->rules->value);
	if (rc < 0)
		return rc;
	vw->added++;
	return 0;
}

struct enc_walk {
	struct inspect_walk w;
	const struct doc *first;
	struct buf path;
};

static int enc_leaf(struct inspect_walk *w, const struct doc *n)
{
	struct enc_walk *ew = (struct enc_walk *)w;
	if (!is_enc(n))
		return 0;
	ew->first = n;
	inspect__path(w, &ew->path);
	return 1;
}

int inspect__sops_structure(struct inspect_report *r, const struct doc *obj, const char *desc)
{
	const struct doc *s = doc_get(obj, "sops");
	struct sops_rules rules;
	int rc, added, ok;

	if (!s) {
		struct enc_walk ew;
		memset(&ew, 0, sizeof(ew));
		ew.w.leaf = enc_leaf;
		buf_init(&ew.path, 4096, 0);
		inspect__walk(&ew.w, obj);
		rc = 0;
		if (ew.first)
			rc = inspect__add(r, INSPECT_SOPS_METADATA_MISSING, ew.first,
			                  "%s: %s is a SOPS-encrypted value "
			                  "(ENC[...]) but the document has no 'sops' block: nobody "
			                  "can decrypt it",
			                  desc, ew.path.p);
		buf_release(&ew.path);
		return rc;
	}
	memset(&rules, 0, sizeof(rules));
	if ((added = check_meta(r, s, desc, &rules, &ok)) < 0 || !ok)
		goto out;
	/* with the comment rules the decision depends on comments, which the tree does not keep */
	if (rules.kind < SOPS_RULE_UNENCRYPTED_COMMENT_REGEX) {
		struct value_walk vw;
		memset(&vw, 0, sizeof(vw));
		vw.w.leaf = value_leaf;
		vw.w.skip_top = "sops";
		vw.r = r;
		vw.rules = &rules;
		vw.desc = desc;
		vw.secret = inspect__is_secret(obj);
		buf_init(&vw.path, 4096, 0);
		rc = inspect__walk(&vw.w, obj);
		buf_release(&vw.path);
		added = rc < 0 ? rc : added + vw.added;
	}
out:
	sops_rules_release(&rules);
	return added;
}
