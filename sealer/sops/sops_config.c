/* .sops.yaml: discovery (walk up from a directory), creation_rules, key groups. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "doc/doc.h"
#include "sealer/sops/sops.h"

void sops_keyspec_release(struct sops_keyspec *k)
{
	size_t i, j;
	for (i = 0; i < k->ngroups; i++) {
		for (j = 0; k->groups[i] && k->groups[i][j]; j++)
			free(k->groups[i][j]);
		free(k->groups[i]);
	}
	free(k->groups);
	memset(k, 0, sizeof(*k));
}

static int keyspec_new_group(struct sops_keyspec *k)
{
	char ***g = realloc(k->groups, (k->ngroups + 1) * sizeof(*g));
	if (!g)
		return gs_error(GS_ENOMEM, "out of memory");
	k->groups = g;
	if (!(g[k->ngroups] = calloc(1, sizeof(char *))))
		return gs_error(GS_ENOMEM, "out of memory");
	k->ngroups++;
	return 0;
}

/* Append recipients from "a, b,c" to the last group. */
static int keyspec_add_csv(struct sops_keyspec *k, const char *csv)
{
	char ***grp = &k->groups[k->ngroups - 1];
	const char *p = csv;
	while (*p) {
		const char *e = strchr(p, ','), *a, *b;
		size_t n = 0;
		char **g;
		if (!e)
			e = p + strlen(p);
		for (a = p; a < e && (*a == ' ' || *a == '\t' || *a == '\n'); a++)
			;
		for (b = e; b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n'); b--)
			;
		if (b > a) {
			while ((*grp)[n])
				n++;
			if (!(g = realloc(*grp, (n + 2) * sizeof(*g))))
				return gs_error(GS_ENOMEM, "out of memory");
			*grp = g;
			if (!(g[n] = strndup(a, (size_t)(b - a))))
				return gs_error(GS_ENOMEM, "out of memory");
			g[n + 1] = NULL;
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

int sops_keyspec_remove_group(struct sops_keyspec *k, size_t i)
{
	size_t j;
	if (i >= k->ngroups)
		return gs_error(GS_EINVAL, "there is no key group %zu (%zu groups)", i, k->ngroups);
	for (j = 0; k->groups[i][j]; j++)
		free(k->groups[i][j]);
	free(k->groups[i]);
	memmove(&k->groups[i], &k->groups[i + 1], (k->ngroups - i - 1) * sizeof(*k->groups));
	k->ngroups--;
	return 0;
}

int sops_keyspec_add_group(struct sops_keyspec *k, const char *csv)
{
	int rc = keyspec_new_group(k);
	return rc < 0 ? rc : keyspec_add_csv(k, csv);
}

/* `age:` as a comma-separated string or a list of strings */
static int add_age_field(struct sops_keyspec *k, const struct doc *v, const char *where)
{
	size_t i;
	int rc;
	if (!v || doc_kind(v) == DOC_NULL)
		return 0;
	if (doc_kind(v) == DOC_STR)
		return keyspec_add_csv(k, doc_str(v));
	if (doc_kind(v) != DOC_SEQ)
		return gs_error(GS_EPARSE, "%s:%u: %s: age must be a string or a list of strings",
		                doc_file(v), doc_line(v), where);
	for (i = 0; i < doc_len(v); i++) {
		const struct doc *e = doc_val_at(v, i);
		if (doc_kind(e) != DOC_STR)
			return gs_error(GS_EPARSE, "%s:%u: %s: age entries must be strings",
			                doc_file(e), doc_line(e), where);
		if ((rc = keyspec_add_csv(k, doc_str(e))) < 0)
			return rc;
	}
	return 0;
}

/* Append one recipient (no comma splitting: a cluster URL may hold one) to the last group. */
static int keyspec_add_one(struct sops_keyspec *k, const char *prefix, const char *r)
{
	char ***grp = &k->groups[k->ngroups - 1], **g;
	size_t n = 0, pl = strlen(prefix), rl = strlen(r);
	while ((*grp)[n])
		n++;
	if (!(g = realloc(*grp, (n + 2) * sizeof(*g))))
		return gs_error(GS_ENOMEM, "out of memory");
	*grp = g;
	if (!(g[n] = malloc(pl + rl + 1)))
		return gs_error(GS_ENOMEM, "out of memory");
	memcpy(g[n], prefix, pl);
	memcpy(g[n] + pl, r, rl + 1);
	g[n + 1] = NULL;
	return 0;
}

/* gitseal's `cluster:` (a kubeconfig context or a URL of /v1/age-recipient), a string or a list:
 * "cluster:REF" entries, fetched by sops_keyspec_resolve() when the rule is used */
static int add_cluster_field(struct sops_keyspec *k, const struct doc *v, const char *where)
{
	size_t i, n = doc_kind(v) == DOC_SEQ ? doc_len(v) : 1;
	int rc;
	if (!v || doc_kind(v) == DOC_NULL)
		return 0;
	for (i = 0; i < n; i++) {
		const struct doc *e = doc_kind(v) == DOC_SEQ ? doc_val_at(v, i) : v;
		if (doc_kind(e) != DOC_STR || !doc_len(e) || strlen(doc_str(e)) != doc_len(e))
			return gs_error(GS_EPARSE,
			                "%s:%u: %s: cluster must be a context name or URL, or a "
			                "list of them",
			                doc_file(e), doc_line(e), where);
		if ((rc = keyspec_add_one(k, SOPS_CLUSTER_PREFIX, doc_str(e))) < 0)
			return rc;
	}
	return 0;
}

static const char *const foreign_keys[] = {
	"pgp",      "kms",      "gcp_kms", "azure_keyvault", "hc_vault_transit_uri", "hckms",
	"hc_vault", "azure_kv", NULL
};

static int check_foreign(const struct doc *map, const char *where)
{
	size_t i;
	for (i = 0; foreign_keys[i]; i++) {
		const struct doc *v = doc_get(map, foreign_keys[i]);
		if (v && doc_kind(v) != DOC_NULL && doc_len(v) > 0)
			return gs_error(
			    GS_EINVAL,
			    "%s:%u: %s: %s master keys are not supported by gitseal (age only)",
			    doc_file(v), doc_line(v), where, foreign_keys[i]);
	}
	return 0;
}

static int parse_rule(struct sops_creation_rule *r, const struct doc *m, size_t idx, int any_keys)
{
	char where[64];
	const struct doc *v, *kg;
	size_t i;
	int rc, nrules = 0;
	long long t = 0;

	snprintf(where, sizeof(where), "creation_rules[%zu]", idx);
	r->line = doc_line(m);
	r->col = doc_start(m).col;
	if (doc_kind(m) != DOC_MAP)
		return gs_error(GS_EPARSE, "%s:%u: %s must be a map", doc_file(m), doc_line(m),
		                where);
	if ((v = doc_get(m, "path_regex")) && doc_kind(v) != DOC_NULL) {
		if (!doc_is_scalar(v) || !(r->path_regex = strdup(doc_text(v, NULL))))
			return gs_error(GS_EPARSE, "%s:%u: %s.path_regex must be a string",
			                doc_file(v), doc_line(v), where);
	}
	for (i = SOPS_RULE_UNENCRYPTED_SUFFIX; i <= SOPS_RULE_ENCRYPTED_COMMENT_REGEX; i++) {
		v = doc_get(m, sops_rule_key((enum sops_rule_kind)i));
		if (!v || !doc_text(v, NULL) || !doc_len(v))
			continue;
		nrules++;
		r->rule_kind = (enum sops_rule_kind)i;
		free(r->rule_value);
		if (!(r->rule_value = strdup(doc_text(v, NULL))))
			return gs_error(GS_ENOMEM, "out of memory");
	}
	if (nrules > 1) {
		return gs_error(
		    SOPS_ERR(GS_EINVAL, SOPS_EXIT_CONFLICT),
		    "%s: cannot use more than one of encrypted_suffix, unencrypted_suffix, "
		    "encrypted_regex, unencrypted_regex, encrypted_comment_regex, or "
		    "unencrypted_comment_regex "
		    "in the same rule",
		    where);
	}
	if ((v = doc_get(m, "mac_only_encrypted")) && doc_get_bool(v, &r->mac_only_encrypted) < 0)
		return gs_error(GS_EPARSE, "%s:%u: %s.mac_only_encrypted must be true or false",
		                doc_file(v), doc_line(v), where);
	if ((v = doc_get(m, "shamir_threshold")) && (doc_get_int(v, &t) < 0 || t < 0 || t > 255))
		return gs_error(GS_EPARSE, "%s:%u: %s.shamir_threshold must be a small integer",
		                doc_file(v), doc_line(v), where);
	r->keys.shamir_threshold = (int)t;
	kg = doc_get(m, "key_groups");
	if (kg && doc_kind(kg) == DOC_SEQ && doc_len(kg) > 0) {
		for (i = 0; i < doc_len(kg); i++) {
			const struct doc *g = doc_val_at(kg, i);
			char gw[128];
			snprintf(gw, sizeof(gw), "%s.key_groups[%zu]", where, i);
			if (doc_kind(g) != DOC_MAP)
				return gs_error(GS_EPARSE, "%s:%u: %s must be a map", doc_file(g),
				                doc_line(g), gw);
			if ((!any_keys && (rc = check_foreign(g, gw)) < 0) ||
			    (rc = keyspec_new_group(&r->keys)) < 0 ||
			    (rc = add_age_field(&r->keys, doc_get(g, "age"), gw)) < 0 ||
			    (rc = add_cluster_field(&r->keys, doc_get(g, "cluster"), gw)) < 0)
				return rc;
		}
	} else {
		if ((!any_keys && (rc = check_foreign(m, where)) < 0) ||
		    (rc = keyspec_new_group(&r->keys)) < 0 ||
		    (rc = add_age_field(&r->keys, doc_get(m, "age"), where)) < 0 ||
		    (rc = add_cluster_field(&r->keys, doc_get(m, "cluster"), where)) < 0)
			return rc;
	}
	return 0;
}

void sops_config_release(struct sops_config *c)
{
	size_t i;
	for (i = 0; i < c->nrules; i++) {
		free(c->rules[i].path_regex);
		free(c->rules[i].rule_value);
		sops_keyspec_release(&c->rules[i].keys);
	}
	free(c->rules);
	free(c->path);
	free(c->dir);
	memset(c, 0, sizeof(*c));
}

int sops_config_find(char **path, const char *dir)
{
	char cur[PATH_MAX], cand[PATH_MAX + 16];
	int i;
	*path = NULL;
	if (!realpath(dir, cur))
		return gs_error(GS_ENOTFOUND, "%s: cannot resolve directory", dir);
	for (i = 0; i < 100; i++) {
		char *slash;
		snprintf(cand, sizeof(cand), "%s/.sops.yaml", strcmp(cur, "/") ? cur : "");
		if (file_exists(cand)) {
			if (!(*path = strdup(cand)))
				return gs_error(GS_ENOMEM, "out of memory");
			return 0;
		}
		if (!strcmp(cur, "/"))
			break;
		slash = strrchr(cur, '/');
		if (slash == cur)
			cur[1] = 0;
		else
			*slash = 0;
	}
	return gs_error(GS_ENOTFOUND, "config file not found");
}

/* The text of a config named path; any_keys: pgp/kms/... entries are accepted (and ignored). */
static int parse_text(struct sops_config *c, const char *path, const char *text, size_t len,
                      int any_keys)
{
	struct doc *root = NULL;
	const struct doc *rules, *stores;
	size_t i;
	int rc = 0;

	if (len == 0)
		return 0; /* an empty config has no rules */
	if ((rc = doc_parse_one(&root, path, text, len, 0)) < 0)
		goto out;
	if (doc_kind(root) != DOC_MAP) {
		rc = gs_error(GS_EPARSE, "%s: the config must be a map", path);
		goto out;
	}
	if ((stores = doc_get(root, "stores"))) {
		long long n;
		if (doc_get_int(doc_getp(stores, "yaml", "indent", NULL), &n) == 0)
			c->yaml_indent = (int)n;
		if (doc_get_int(doc_getp(stores, "json", "indent", NULL), &n) == 0)
			c->json_indent = (int)n;
	}
	rules = doc_get(root, "creation_rules");
	if (!rules || doc_kind(rules) == DOC_NULL)
		goto out;
	if (doc_kind(rules) != DOC_SEQ) {
		rc = gs_error(GS_EPARSE, "%s:%u: creation_rules must be a list", path,
		              doc_line(rules));
		goto out;
	}
	if (!(c->rules = calloc(doc_len(rules) + 1, sizeof(*c->rules)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < doc_len(rules); i++) {
		c->nrules++;
		if ((rc = parse_rule(&c->rules[i], doc_val_at(rules, i), i, any_keys)) < 0)
			goto out;
	}
out:
	doc_free(root);
	return rc;
}

int sops_config_load(struct sops_config *c, const char *path)
{
	struct buf text = BUF_INIT((size_t)4 << 20);
	char abs[PATH_MAX], *slash;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = file_read(&text, path)) < 0)
		goto out;
	if (!(c->path = strdup(path))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (!realpath(path, abs)) {
		rc = gs_error(GS_EIO, "%s: cannot resolve path", path);
		goto out;
	}
	slash = strrchr(abs, '/');
	*slash = 0;
	if (!(c->dir = strdup(abs[0] ? abs : "/"))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	rc = parse_text(c, path, text.p, text.len, 0);
out:
	if (rc < 0) {
		rc = sops_error_exit_default(rc, SOPS_EXIT_READING_CONFIG);
		sops_config_release(c);
	}
	buf_release(&text);
	return rc;
}

int sops_config_parse(struct sops_config *c, const char *name, const char *text, size_t len)
{
	int rc;
	memset(c, 0, sizeof(*c));
	if (!(c->path = strdup(name)))
		return gs_error(GS_ENOMEM, "out of memory");
	if ((rc = parse_text(c, name, text, len, 1)) < 0)
		sops_config_release(c);
	return rc;
}

int sops_config_match(const struct sops_config *c, const char *file,
                      const struct sops_creation_rule **out)
{
	char cwd[PATH_MAX], abs[PATH_MAX + 4096];
	const char *rel = file;
	size_t i, dl = c->dir ? strlen(c->dir) : 0;
	int rc, m;

	*out = NULL;
	/* sops compares the absolute path with the config directory stripped */
	if (file[0] != '/' && getcwd(cwd, sizeof(cwd)) &&
	    strlen(cwd) + strlen(file) + 2 < sizeof(abs)) {
		snprintf(abs, sizeof(abs), "%s/%s", cwd, file);
		rel = abs;
	}
	if (dl && !strncmp(rel, c->dir, dl) && rel[dl] == '/')
		rel += dl + 1;
	for (i = 0; i < c->nrules; i++) {
		if (!c->rules[i].path_regex || !c->rules[i].path_regex[0]) {
			*out = &c->rules[i];
			return 0;
		}
		if ((rc = sops_regex_search(c->rules[i].path_regex, rel, &m)) < 0)
			return gs_error_prefix(rc, "%s:%u: creation_rules[%zu].path_regex", c->path,
			                       c->rules[i].line, i);
		if (m) {
			*out = &c->rules[i];
			return 0;
		}
	}
	return gs_error(GS_ENOTFOUND, "error loading config: no matching creation rules found");
}
