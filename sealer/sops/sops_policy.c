/*
 * What the sops command decides before it touches a value: which .sops.yaml is in
 * effect, which keys and rules a new file gets (flags first, then the creation rule,
 * as sops' getEncryptConfig), and recipient lists built from rules and metadata.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealer/sops/sops.h"

int sops_config_discover(struct sops_config *c, int *have, const char *path, const char *dir)
{
	char *found = NULL;
	int rc;

	*have = 0;
	memset(c, 0, sizeof(*c));
	if (!path || !*path) {
		if (sops_config_find(&found, dir && *dir ? dir : ".") < 0) {
			gs_error_clear(); /* no config is fine: sops goes on with the flags */
			return 0;
		}
		path = found;
	}
	rc = sops_config_load(c, path);
	free(found);
	if (rc < 0)
		return rc;
	*have = 1;
	return 0;
}

/* Append the groups of a list of NULL-terminated recipient lists to spec. */
static int add_groups(struct sops_keyspec *spec, char **const *groups, size_t ngroups)
{
	size_t i, j;
	int rc = 0;
	for (i = 0; i < ngroups && rc == 0; i++) {
		struct buf csv = BUF_INIT(1 << 20);
		for (j = 0; groups[i][j] && rc == 0; j++)
			rc = buf_addf(&csv, "%s%s", j ? "," : "", groups[i][j]);
		if (rc == 0)
			rc = sops_keyspec_add_group(spec, csv.p);
		buf_release(&csv);
	}
	return rc;
}

int sops_keyspec_from_rule(struct sops_keyspec *spec, const struct sops_creation_rule *rule)
{
	int rc = add_groups(spec, rule->keys.groups, rule->keys.ngroups);
	if (rc == 0)
		spec->shamir_threshold = rule->keys.shamir_threshold;
	return rc;
}

/* Is r one of the comma-separated recipients in list? */
static int in_list(const char *list, const char *r)
{
	size_t rl = strlen(r);
	const char *p = list;
	while ((p = strstr(p, r))) {
		if ((p == list || p[-1] == ',' || p[-1] == ' ') && (p[rl] == 0 || p[rl] == ','))
			return 1;
		p += rl;
	}
	return 0;
}

int sops_keyspec_from_meta(struct sops_keyspec *spec, const struct sops_meta *m, const char *add,
                           const char *rm)
{
	size_t i, j;
	int rc = 0;
	for (i = 0; i < m->ngroups && rc == 0; i++) {
		struct buf csv = BUF_INIT(1 << 20);
		for (j = 0; j < m->groups[i].nage && rc == 0; j++) {
			const char *r = m->groups[i].age[j].recipient;
			if (rm && in_list(rm, r))
				continue;
			rc = buf_addf(&csv, "%s%s", csv.len ? "," : "", r);
		}
		if (i == 0 && add) { /* each new recipient once */
			const char *p = add;
			while (*p && rc == 0) {
				const char *e = strchr(p, ',');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				char one[256];
				snprintf(one, sizeof(one), "%.*s", (int)n, p);
				if (n && !strstr(csv.p, one))
					rc = buf_addf(&csv, "%s%s", csv.len ? "," : "", one);
				p += n + (e ? 1 : 0);
			}
		}
		if (rc == 0)
			rc = sops_keyspec_add_group(spec, csv.p);
		buf_release(&csv);
	}
	spec->shamir_threshold = m->shamir_threshold;
	return rc;
}

static int group_has(const struct sops_group *g, const char *r)
{
	size_t k;
	for (k = 0; k < g->nage; k++)
		if (!strcmp(g->age[k].recipient, r))
			return 1;
	return 0;
}

int sops_keyspec_matches(const struct sops_keyspec *spec, const struct sops_meta *m,
                         int with_threshold)
{
	size_t i, j, n;
	if (spec->ngroups != m->ngroups)
		return 0;
	if (with_threshold && spec->ngroups > 1 &&
	    (spec->shamir_threshold ? spec->shamir_threshold : (int)spec->ngroups) !=
	        m->shamir_threshold)
		return 0;
	for (i = 0; i < spec->ngroups; i++) {
		for (n = 0; spec->groups[i][n]; n++)
			if (!group_has(&m->groups[i], spec->groups[i][n]))
				return 0;
		if (with_threshold && n != m->groups[i].nage)
			return 0;
		for (j = 0; j < m->groups[i].nage; j++) {
			size_t k;
			for (k = 0;
			     k < n && strcmp(m->groups[i].age[j].recipient, spec->groups[i][k]);
			     k++)
				;
			if (k == n)
				return 0;
		}
	}
	return 1;
}

int sops_encrypt_config(struct sops_keyspec *spec, struct sops_rules *rules,
                        const struct sops_encrypt_opts *o, const struct sops_config *conf,
                        const char *name, enum sops_format fmt, int need_keys)
{
	const struct sops_creation_rule *rule = NULL;
	enum sops_rule_kind kind = o->rule;
	const char *value = o->rule_value;
	int rc, mac_only = o->mac_only_encrypted, threshold = o->shamir_threshold;

	if (conf && conf->nrules && (rc = sops_config_match(conf, name, &rule)) < 0)
		return sops_error_exit(rc, SOPS_EXIT_GENERIC);
	if (o->rule_count > 1)
		return gs_error(SOPS_ERR(GS_EINVAL, SOPS_EXIT_CONFLICT),
		                "Error: cannot use more than one of encrypted_suffix, "
		                "unencrypted_suffix, encrypted_regex, "
		                "unencrypted_regex, encrypted_comment_regex, or "
		                "unencrypted_comment_regex in the same file");
	if (kind == SOPS_RULE_NONE && rule && rule->rule_kind != SOPS_RULE_NONE)
		kind = rule->rule_kind, value = rule->rule_value;
	if (kind == SOPS_RULE_NONE && o->default_regex)
		kind = SOPS_RULE_ENCRYPTED_REGEX, value = o->default_regex;
	if (rule && rule->mac_only_encrypted)
		mac_only = 1;
	if (fmt == SOPS_FMT_BINARY) /* one value that is always encrypted */
		kind = SOPS_RULE_NONE, mac_only = 0;
	else if (kind == SOPS_RULE_NONE)
		kind = SOPS_RULE_UNENCRYPTED_SUFFIX, value = "_unencrypted";
	if ((rc = sops_rules_set(rules, kind, value)) < 0) {
		/* the rule's own regex: name the .sops.yaml and the rule that holds it */
		if (rule && value == rule->rule_value)
			gs_error_prefix(rc, "%s:%u: creation_rules[%zu]", conf->path, rule->line,
			                (size_t)(rule - conf->rules));
		return sops_error_exit(rc, SOPS_EXIT_GENERIC);
	}
	rules->mac_only_encrypted = mac_only;
	if (o->age) {
		if ((rc = sops_keyspec_add_group(spec, o->age)) < 0)
			return rc;
	} else if (rule) {
		if ((rc = add_groups(spec, rule->keys.groups, rule->keys.ngroups)) < 0)
			return rc;
		if (!threshold)
			threshold = rule->keys.shamir_threshold;
	}
	if ((rc = sops_keyspec_resolve(spec, o->cluster, o->cluster_ctx)) < 0)
		return rc;
	if (need_keys && (spec->ngroups == 0 || !spec->groups[0][0]))
		return gs_error(
		    GS_EINVAL,
		    conf ? "error loading config: the matching creation rule has no age keys"
		         : "config file not found, or has no creation rules, and no keys provided "
		           "through "
		           "command line options");
	spec->shamir_threshold = threshold;
	return 0;
}
