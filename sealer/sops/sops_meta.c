/* The `sops:` metadata block: read (flat or key_groups layout), write (as sops 3.9 does), data key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/buf.h"
#include "doc/doc.h"
#include "sealer/age/age.h"
#include "sealer/sops/sops.h"
#include "sealer/sops/sops_int.h"

/* master key types other than age: kept as they are, never used */
static const char *const other_keys[] = { "kms", "gcp_kms", "azure_kv", "hc_vault",
	                                  "pgp", "hckms",   NULL };

static void group_release(struct sops_group *g)
{
	size_t i;
	for (i = 0; i < g->nage; i++) {
		free(g->age[i].recipient);
		free(g->age[i].enc);
	}
	free(g->age);
	doc_free(g->other);
	memset(g, 0, sizeof(*g));
}

void sops_meta_release(struct sops_meta *m)
{
	size_t i;
	for (i = 0; i < m->ngroups; i++)
		group_release(&m->groups[i]);
	free(m->groups);
	free(m->lastmodified);
	free(m->mac);
	free(m->version);
	sops_rules_release(&m->rules);
	memset(m, 0, sizeof(*m));
}

int sops_meta_has_foreign_keys(const struct sops_meta *m)
{
	size_t i;
	for (i = 0; i < m->ngroups; i++)
		if (m->groups[i].other && doc_len(m->groups[i].other) > 0)
			return 1;
	return 0;
}

static char *str_of(const struct doc *v)
{
	const char *t = doc_text(v, NULL);
	return strdup(t ? t : "");
}

static int parse_group(struct sops_group *g, const struct doc *map, const char *where)
{
	const struct doc *age = doc_get(map, "age");
	size_t i;
	if (age && doc_kind(age) == DOC_SEQ) {
		if (!(g->age = calloc(doc_len(age) + 1, sizeof(*g->age))))
			return gs_error(GS_ENOMEM, "out of memory");
		for (i = 0; i < doc_len(age); i++) {
			const struct doc *e = doc_val_at(age, i);
			const struct doc *r = doc_get(e, "recipient"), *enc = doc_get(e, "enc");
			if (!r || !enc || !doc_is_scalar(r) || !doc_is_scalar(enc))
				return gs_error(GS_EPARSE, "%s: age[%zu] needs recipient and enc",
				                where, i);
			g->age[g->nage].recipient = str_of(r);
			g->age[g->nage].enc = str_of(enc);
			g->nage++;
		}
	} else if (age && doc_kind(age) != DOC_NULL) {
		return gs_error(GS_EPARSE, "%s: age must be a list", where);
	}
	if (!(g->other = doc_new_map()))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; other_keys[i]; i++) {
		const struct doc *v = doc_get(map, other_keys[i]);
		if (v && doc_kind(v) == DOC_SEQ && doc_len(v) > 0 &&
		    doc_set(g->other, other_keys[i], doc_clone(v)) < 0)
			return gs_error(GS_ENOMEM, "out of memory");
	}
	return 0;
}

static int is_semver(const char *v)
{
	int parts = 0;
	if (*v == 'v')
		v++;
	while (parts < 3) {
		if (*v < '0' || *v > '9')
			return 0;
		while (*v >= '0' && *v <= '9')
			v++;
		parts++;
		if (parts < 3 && *v++ != '.')
			return 0;
	}
	return *v == 0 || *v == '-' || *v == '+';
}

int sops__meta_parse(struct sops_meta *m, const struct doc *s, const char *file)
{
	const struct doc *v, *kg;
	size_t i;
	int rc, nrules = 0;
	long long t;

	memset(m, 0, sizeof(*m));
	if (doc_kind(s) != DOC_MAP) {
		rc = gs_error(GS_EPARSE, "%s: sops metadata is not a map", file);
		goto out;
	}
	kg = doc_get(s, "key_groups");
	if (kg && doc_kind(kg) == DOC_SEQ && doc_len(kg) > 0) {
		m->key_groups_layout = 1;
		if (!(m->groups = calloc(doc_len(kg), sizeof(*m->groups)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < doc_len(kg); i++) {
			char where[64];
			snprintf(where, sizeof(where), "%s: sops.key_groups[%zu]", file, i);
			m->ngroups++;
			if ((rc = parse_group(&m->groups[i], doc_val_at(kg, i), where)) < 0)
				goto out;
		}
	} else {
		char where[64];
		snprintf(where, sizeof(where), "%s: sops", file);
		if (!(m->groups = calloc(1, sizeof(*m->groups)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		m->ngroups = 1;
		if ((rc = parse_group(&m->groups[0], s, where)) < 0)
			goto out;
	}
	if ((v = doc_get(s, "shamir_threshold")) && doc_kind(v) != DOC_NULL) {
		if (doc_get_int(v, &t) < 0 &&
		    !(doc_kind(v) == DOC_STR && (t = strtoll(doc_str(v), NULL, 10)) > 0)) {
			rc = gs_error(GS_EPARSE, "%s: sops.shamir_threshold is not an integer",
			              file);
			goto out;
		}
		m->shamir_threshold = (int)t;
	}
	if ((v = doc_get(s, "lastmodified")) && doc_is_scalar(v))
		m->lastmodified = str_of(v);
	if ((v = doc_get(s, "mac")) && doc_is_scalar(v) && doc_kind(v) != DOC_NULL)
		m->mac = str_of(v);
	if ((v = doc_get(s, "version")) && doc_is_scalar(v))
		m->version = str_of(v);
	for (i = SOPS_RULE_UNENCRYPTED_SUFFIX; i <= SOPS_RULE_ENCRYPTED_COMMENT_REGEX; i++) {
		v = doc_get(s, sops_rule_key((enum sops_rule_kind)i));
		if (!v || !doc_is_scalar(v) || doc_len(v) == 0)
			continue;
		if (nrules++) {
			rc = gs_error(
			    GS_EPARSE,
			    "%s: sops metadata: cannot use more than one of encrypted_suffix, "
			    "unencrypted_suffix, encrypted_regex, unencrypted_regex, "
			    "encrypted_comment_regex, "
			    "or unencrypted_comment_regex in the same file",
			    file);
			goto out;
		}
		if ((rc = sops_rules_set(&m->rules, (enum sops_rule_kind)i, doc_text(v, NULL))) <
		    0) {
			gs_error_prefix(rc, "%s: sops", file);
			goto out;
		}
	}
	/* no rule: sops implies unencrypted_suffix _unencrypted */
	if (!nrules &&
	    (rc = sops_rules_set(&m->rules, SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted")) < 0)
		goto out;
	if ((v = doc_get(s, "mac_only_encrypted"))) {
		int b = 0;
		if (doc_get_bool(v, &b) < 0 && doc_kind(v) == DOC_STR)
			b = !strcmp(doc_str(v), "true") || !strcmp(doc_str(v), "True");
		m->rules.mac_only_encrypted = b;
	}
	if (!m->lastmodified || !m->version || !m->groups || !m->mac) {
		rc = gs_error(GS_EPARSE, "%s: sops metadata is missing %s", file,
		              !m->version        ? "version"
		              : !m->lastmodified ? "lastmodified"
		                                 : "mac");
		goto out;
	}
	if (!is_semver(m->version)) {
		rc = gs_error(GS_EPARSE,
		              "%s: sops metadata: version %s is not a semantic version (No "
		              "Major.Minor.Patch elements found)",
		              file, m->version);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		sops_meta_release(m);
	return rc;
}

static int set_new(struct doc *map, const char *key, struct doc *v)
{
	if (!v || doc_set(map, key, v) < 0) {
		doc_free(v);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	return 0;
}

static struct doc *str_node(const char *s, enum doc_style style)
{
	struct doc *d = doc_new_strz(s);
	if (d && style)
		doc_set_style(d, style);
	return d;
}

static int group_to_doc(struct doc *map, const struct sops_group *g, int nested, int fmt)
{
	struct doc *age = doc_new_seq();
	size_t i;
	int rc = 0;
	if (!age)
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < g->nage && rc == 0; i++) {
		struct doc *e = doc_new_map();
		if (!e || set_new(e, "recipient", str_node(g->age[i].recipient, 0)) < 0 ||
		    set_new(e, "enc",
		            str_node(g->age[i].enc, fmt == SOPS_FMT_YAML ? DOC_STYLE_LITERAL : 0)) <
		        0 ||
		    doc_push(age, e) < 0) {
			doc_free(e);
			rc = gs_error(GS_ENOMEM, "out of memory");
		}
	}
	if (rc < 0) {
		doc_free(age);
		return rc;
	}
	if (nested) {
		/* keygroup struct order: pgp, kms, gcp_kms, azure_kv, hc_vault, age */
		static const char *const order[] = { "pgp",   "kms",      "gcp_kms", "azure_kv",
			                             "hckms", "hc_vault", NULL };
		for (i = 0; order[i]; i++) {
			const struct doc *o = doc_get(g->other, order[i]);
			if (o)
				rc = set_new(map, order[i], doc_clone(o));
			else if (!strcmp(order[i], "hc_vault"))
				rc = set_new(map, "hc_vault",
				             fmt == SOPS_FMT_YAML ? doc_new_seq() : doc_new_null());
			if (rc < 0)
				break;
		}
		if (rc == 0 && g->nage == 0 && fmt != SOPS_FMT_YAML) {
			doc_free(age);
			return set_new(map, "age", doc_new_null());
		}
		return rc < 0 ? (doc_free(age), rc) : set_new(map, "age", age);
	}
	return set_new(map, "age", age);
}

/* An empty key list as sops 3.9 writes it: `[]` in YAML, null in JSON. */
static struct doc *empty_list(int fmt)
{
	return fmt == SOPS_FMT_YAML ? doc_new_seq() : doc_new_null();
}

int sops__meta_to_doc(struct doc **out, const struct sops_meta *m, int fmt)
{
	struct doc *s = doc_new_map();
	const struct sops_group *flat = m->key_groups_layout ? NULL : &m->groups[0];
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!s)
		return gs_error(GS_ENOMEM, "out of memory");
	/* sops 3.9 struct order: shamir_threshold, key_groups, kms, gcp_kms, azure_kv, hc_vault,
	 * age, lastmodified, mac, pgp, <rule>, mac_only_encrypted, version */
	if (m->key_groups_layout) {
		struct doc *kg = doc_new_seq();
		if (m->shamir_threshold &&
		    (rc = set_new(s, "shamir_threshold", doc_new_int(m->shamir_threshold))) < 0)
			goto out;
		if ((rc = set_new(s, "key_groups", kg)) < 0)
			goto out;
		for (i = 0; i < m->ngroups; i++) {
			struct doc *g = doc_new_map();
			if (!g || doc_push(kg, g) < 0) {
				doc_free(g);
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			if ((rc = group_to_doc(g, &m->groups[i], 1, fmt)) < 0)
				goto out;
		}
	}
	for (i = 0; i < 4; i++) {
		const struct doc *o = flat ? doc_get(flat->other, other_keys[i]) : NULL;
		if ((rc = set_new(s, other_keys[i], o ? doc_clone(o) : empty_list(fmt))) < 0)
			goto out;
	}
	if (flat) {
		if ((rc = group_to_doc(s, flat, 0, fmt)) < 0)
			goto out;
	} else if ((rc = set_new(s, "age", empty_list(fmt))) < 0) {
		goto out;
	}
	if ((rc = set_new(s, "lastmodified",
	                  str_node(m->lastmodified ? m->lastmodified : "", DOC_STYLE_DOUBLE))) <
	        0 ||
	    (rc = set_new(s, "mac", str_node(m->mac ? m->mac : "", 0))) < 0)
		goto out;
	{
		const struct doc *o = flat ? doc_get(flat->other, "pgp") : NULL;
		if ((rc = set_new(s, "pgp", o ? doc_clone(o) : empty_list(fmt))) < 0)
			goto out;
		if (flat && (o = doc_get(flat->other, "hckms")) &&
		    (rc = set_new(s, "hckms", doc_clone(o))) < 0)
			goto out;
	}
	if (m->rules.kind != SOPS_RULE_NONE &&
	    (rc = set_new(s, sops_rule_key(m->rules.kind), str_node(m->rules.value, 0))) < 0)
		goto out;
	if (m->rules.mac_only_encrypted &&
	    (rc = set_new(s, "mac_only_encrypted", doc_new_bool(1))) < 0)
		goto out;
	rc = set_new(s, "version", str_node(m->version ? m->version : SOPS_VERSION, 0));
out:
	if (rc < 0)
		doc_free(s);
	else
		*out = s;
	return rc;
}

int sops_meta_set_keys(struct sops_meta *m, const struct sops_keyspec *spec,
                       const unsigned char key[SOPS_KEY_LEN])
{
	struct sops_group *groups = NULL;
	unsigned char *shares[255] = { NULL };
	struct buf enc = BUF_INIT((size_t)1 << 20);
	size_t i, j, ng = spec->ngroups;
	int threshold = spec->shamir_threshold, rc = 0;

	if (ng == 0)
		return gs_error(GS_EINVAL, "no key groups provided");
	if (ng > 255)
		return gs_error(GS_EINVAL, "too many key groups");
	if (ng > 1) {
		if (threshold == 0)
			threshold = (int)ng;
		if (threshold > (int)ng)
			return gs_error(
			    GS_EINVAL,
			    "shamir threshold %d is larger than the number of key groups (%zu)",
			    threshold, ng);
		for (i = 0; i < ng; i++)
			if (!(shares[i] = malloc(SOPS_KEY_LEN + 1))) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
		if ((rc = sops_shamir_split(shares, key, SOPS_KEY_LEN, (int)ng, threshold)) < 0)
			goto out;
	}
	if (!(groups = calloc(ng, sizeof(*groups)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ng; i++) {
		struct sops_group *g = &groups[i];
		size_t n = 0;
		while (spec->groups[i][n])
			n++;
		if (n == 0 &&
		    !(i < m->ngroups && m->groups[i].other && doc_len(m->groups[i].other))) {
			rc = gs_error(GS_EINVAL, "empty key group provided");
			goto out;
		}
		if (!(g->age = calloc(n + 1, sizeof(*g->age)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		for (j = 0; j < n; j++) {
			struct age_recipient *r = NULL;
			if ((rc = age_recipient_parse(&r, spec->groups[i][j])) < 0) {
				gs_error_prefix(
				    rc, "failed to parse input as Bech32-encoded age public key");
				goto out;
			}
			buf_reset(&enc);
			rc = age_encrypt_buf(&enc, ng > 1 ? shares[i] : key,
			                     ng > 1 ? SOPS_KEY_LEN + 1 : SOPS_KEY_LEN, &r, 1, 1);
			g->age[j].recipient = strdup(age_recipient_str(r));
			age_recipient_free(r);
			if (rc < 0) {
				gs_error_prefix(rc,
				                "failed to encrypt new data key with master key %s",
				                spec->groups[i][j]);
				goto out;
			}
			g->age[j].enc = strndup(enc.p, enc.len);
			g->nage++;
			if (!g->age[j].recipient || !g->age[j].enc) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
		}
		/* keep pgp/kms/... stanzas of the group at the same position (updatekeys) */
		g->other = i < m->ngroups && m->groups[i].other ? doc_clone(m->groups[i].other)
		                                                : doc_new_map();
	}
	for (i = 0; i < m->ngroups; i++)
		group_release(&m->groups[i]);
	free(m->groups);
	m->groups = groups;
	m->ngroups = ng;
	groups = NULL;
	m->key_groups_layout = ng > 1;
	m->shamir_threshold = ng > 1 ? threshold : 0;
out:
	if (groups) {
		for (i = 0; i < ng; i++)
			group_release(&groups[i]);
		free(groups);
	}
	for (i = 0; i < ng; i++)
		gs_free_secret(shares[i], SOPS_KEY_LEN + 1);
	buf_release(&enc);
	return rc;
}

int sops_meta_data_key(const struct sops_meta *m, const struct age_identity *ids, const char *where,
                       unsigned char key[SOPS_KEY_LEN])
{
	struct buf report = BUF_INIT((size_t)1 << 20);
	struct buf pt = BUF_INIT_SECRET(1024);
	unsigned char *parts[255] = { NULL };
	size_t i, j, nparts = 0;
	int rc = 0, threshold = m->ngroups > 1
	                            ? (m->shamir_threshold ? m->shamir_threshold : (int)m->ngroups)
	                            : 0;
	size_t partlen = m->ngroups > 1 ? SOPS_KEY_LEN + 1 : SOPS_KEY_LEN;

	for (i = 0; i < m->ngroups && i < 255; i++) {
		const struct sops_group *g = &m->groups[i];
		int ok = 0;
		buf_addf(&report, "Group %zu: ", i);
		size_t mark = report.len;
		buf_adds(&report, "FAILED\n");
		for (j = 0; j < g->nage && !ok; j++) {
			buf_reset(&pt);
			if (!ids) {
				buf_addf(&report,
				         "  %s: FAILED\n    - | failed to create reader for "
				         "decrypting sops data key with\n"
				         "      | age: no identity matched any of the recipients. "
				         "Did not find keys in locations %s\n",
				         g->age[j].recipient, where ? where : "");
				continue;
			}
			rc = age_decrypt_buf(&pt, g->age[j].enc, strlen(g->age[j].enc), ids);
			if (rc == 0 && pt.len == partlen) {
				if (!(parts[nparts] = malloc(partlen))) {
					rc = gs_error(GS_ENOMEM, "out of memory");
					goto out;
				}
				memcpy(parts[nparts++], pt.p, partlen);
				ok = 1;
				break;
			}
			buf_addf(&report,
			         "  %s: FAILED\n    - | failed to create reader for decrypting "
			         "sops data key with\n      | age: %s\n",
			         g->age[j].recipient,
			         rc < 0 ? gs_error_last()
			                : "the decrypted data key has the wrong length");
		}
		if (ok) {
			buf_truncate(&report, mark);
			buf_adds(&report, "SUCCESS\n");
		}
		if (!ok && g->other)
			for (j = 0; j < doc_len(g->other); j++)
				buf_addf(&report,
				         "  %s: SKIPPED (gitseal decrypts with age keys only)\n",
				         doc_text(doc_key_at(g->other, j), NULL));
		buf_adds(&report, "\n");
	}
	if (m->ngroups > 1 ? (int)nparts >= threshold : nparts == 1) {
		if (m->ngroups > 1) {
			if ((rc = sops_shamir_combine(key, (const unsigned char *const *)parts,
			                              nparts, partlen)) < 0) {
				gs_error_prefix(rc, "could not get data key from shamir parts");
				goto out;
			}
		} else {
			memcpy(key, parts[0], SOPS_KEY_LEN);
		}
		rc = 0;
		goto out;
	}
	if (threshold == 0)
		buf_adds(&report,
		         "Recovery failed because no master key was able to decrypt the file. In "
		         "order for SOPS to "
		         "recover the file, at least one key has to be successful, but none were.");
	else
		buf_addf(
		    &report,
		    "Recovery failed because the file was encrypted with a Shamir threshold of %d, "
		    "but only %zu "
		    "part(s) were successfully recovered, one for each successful key group. In "
		    "order for SOPS to "
		    "recover the file, at least %d groups have to be successful. In order for a "
		    "group to be "
		    "successful, decryption has to succeed with any of the keys in that key group.",
		    threshold, nparts, threshold);
	rc = gs_error(SOPS_ERR(GS_EAUTH, SOPS_EXIT_NO_DATA_KEY),
	              "Failed to get the data key required to decrypt the SOPS file.\n\n%s",
	              report.p);
out:
	for (i = 0; i < nparts; i++)
		gs_free_secret(parts[i], partlen);
	buf_release(&pt);
	buf_release(&report);
	return rc;
}

/* time.Now().UTC().Format(time.RFC3339) */
void sops__now_rfc3339(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* lastmodified as Go re-formats it after parsing: no fraction, "Z" for a zero offset. */
void sops__normalize_rfc3339(char *out, size_t outlen, const char *in)
{
	const char *frac = NULL, *zone;
	size_t n = strlen(in);
	if (n < 20 || in[10] != 'T') {
		snprintf(out, outlen, "%s", in);
		return;
	}
	zone = in + 19;
	if (*zone == '.') {
		frac = zone;
		zone++;
		while (*zone >= '0' && *zone <= '9')
			zone++;
	}
	(void)frac;
	if (!strcmp(zone, "+00:00") || !strcmp(zone, "-00:00") || !strcmp(zone, "z"))
		zone = "Z";
	snprintf(out, outlen, "%.19s%s", in, zone);
}

int sops_data_key_new(unsigned char key[SOPS_KEY_LEN])
{
	randombytes_buf(key, SOPS_KEY_LEN);
	return 0;
}
