/*
 * Files encrypted "to the cluster": the recipients a `.sops.yaml` rule or gitseal encrypt names
 * as "cluster:REF" are fetched by the caller (sealer/ has no network), and such a file must
 * carry its namespace in clear under the MAC, because gitseal-controller decrypts it with its
 * own identities only into that namespace (lib/decrypt's DECRYPT_IDS_OWN_NAMESPACE): one team
 * cannot have the controller decrypt another team's Secret into its own namespace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "sealer/sops/sops.h"

#define PREFIX_LEN (sizeof(SOPS_CLUSTER_PREFIX) - 1)

static int is_cluster(const char *r)
{
	return !strncmp(r, SOPS_CLUSTER_PREFIX, PREFIX_LEN);
}

/* Has group g (before index upto) the recipient r already? */
static int group_has(char **g, size_t upto, const char *r)
{
	size_t i;
	for (i = 0; i < upto; i++)
		if (g[i] && !is_cluster(g[i]) && !strcmp(g[i], r))
			return 1;
	return 0;
}

int sops_keyspec_resolve(struct sops_keyspec *spec, sops_cluster_fn fn, void *ctx)
{
	/* each REF once per call: a fleet file names a cluster in several groups at most */
	struct {
		char *ref, *rcpt;
	} seen[64];
	size_t nseen = 0, i, j, k;
	int rc = 0;

	for (i = 0; i < spec->ngroups && rc >= 0; i++) {
		char **g = spec->groups[i];
		for (j = 0; g[j] && rc >= 0;) {
			const char *ref = g[j] + PREFIX_LEN;
			struct buf r = BUF_INIT(1024);
			if (!is_cluster(g[j])) {
				j++;
				continue;
			}
			if (!fn) {
				rc = gs_error(
				    GS_EINVAL,
				    "recipient '%s' is a cluster's: gitseal encrypt fetches "
				    "it from the cluster, plain sops cannot",
				    g[j]);
				break;
			}
			for (k = 0; k < nseen && strcmp(seen[k].ref, ref); k++)
				;
			if (k < nseen) {
				rc = buf_adds(&r, seen[k].rcpt);
			} else if ((rc = fn(ctx, ref, &r)) < 0) {
				gs_error_prefix(rc, "cluster '%s'", ref);
			} else if (strncmp(r.p, "age1", 4)) {
				rc = gs_error(
				    GS_EPARSE,
				    "cluster '%s': the controller's recipient is not an age1 "
				    "key",
				    ref);
			} else if (nseen < sizeof(seen) / sizeof(seen[0])) {
				seen[nseen].ref = strdup(ref);
				seen[nseen].rcpt = strdup(r.p);
				if (seen[nseen].ref && seen[nseen].rcpt)
					nseen++;
				else {
					free(seen[nseen].ref);
					free(seen[nseen].rcpt);
				}
			}
			if (rc >= 0 && group_has(g, j, r.p)) {
				/* already in the group: drop this entry */
				free(g[j]);
				for (k = j; g[k]; k++)
					g[k] = g[k + 1];
				spec->clusters++;
			} else if (rc >= 0) {
				char *copy = strdup(r.p);
				if (!copy) {
					rc = gs_error(GS_ENOMEM, "out of memory");
				} else {
					free(g[j]);
					g[j++] = copy;
					spec->clusters++;
				}
			}
			buf_release(&r);
		}
	}
	for (k = 0; k < nseen; k++) {
		free(seen[k].ref);
		free(seen[k].rcpt);
	}
	return rc < 0 ? rc : 0;
}

int sops_check_namespaced(const struct sops_file *f)
{
	static const char *const path[] = { "metadata", "namespace" };
	static const size_t lens[] = { 8, 9 };
	size_t i;

	if (f->meta.rules.mac_only_encrypted)
		return gs_error(GS_EINVAL,
		                "%s: a file encrypted to a cluster needs its namespace covered by "
		                "the MAC: mac_only_encrypted cannot be used",
		                f->name);
	if (f->fmt != SOPS_FMT_YAML && f->fmt != SOPS_FMT_JSON)
		return gs_error(GS_EINVAL,
		                "%s: only Kubernetes objects (YAML or JSON) can be encrypted to a "
		                "cluster",
		                f->name);
	for (i = 0; i < f->ndocs; i++) {
		const struct doc *d = f->docs[i];
		const char *ns = doc_str(doc_getp(d, "metadata", "namespace", NULL));
		const char *kind = doc_k8s_kind(d), *name = doc_k8s_name(d);
		char where[64] = "";
		if (!d)
			continue;
		if (f->ndocs > 1)
			snprintf(where, sizeof(where), " (document %zu)", i + 1);
		if (!ns || !*ns)
			return gs_error(
			    GS_EINVAL,
			    "%s%s: %s %s has no metadata.namespace: a file encrypted to "
			    "a cluster must name its namespace (the controller decrypts "
			    "it only into that namespace)",
			    f->name, where, kind ? kind : "object", name ? name : "");
		if (f->meta.rules.kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX)
			return gs_error(
			    GS_EINVAL,
			    "%s%s: %s cannot be used for a file encrypted to a cluster: "
			    "metadata.namespace must stay readable (use encrypted_regex)",
			    f->name, where, sops_rule_key(f->meta.rules.kind));
		if (sops_rules_encrypts(&f->meta.rules, path, lens, 2))
			return gs_error(GS_EINVAL,
			                "%s%s: the rule %s would encrypt metadata.namespace, which "
			                "must stay readable for the controller",
			                f->name, where,
			                f->meta.rules.kind == SOPS_RULE_NONE
			                    ? "(every value)"
			                    : sops_rule_key(f->meta.rules.kind));
	}
	return 0;
}
