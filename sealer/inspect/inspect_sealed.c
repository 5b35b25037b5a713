/*
 * SealedSecret scopes without a key. Items are sealed with a label made of the
 * SealedSecret's own namespace and name (strict), its namespace
 * (namespace-wide) or nothing (cluster-wide); the controller forces the
 * template's name and namespace to the SealedSecret's. A template that names
 * another object, or annotations that say two things, mean the file was moved,
 * renamed or edited by hand: under strict scope it can no longer be unsealed.
 */
#include <string.h>

#include "doc/doc.h"
#include "sealer/inspect/inspect_int.h"
#include "sealer/sealed/sealed.h"

/* An annotation present with a value other than exactly "true" (upstream then ignores it). */
static int annotation_not_true(const struct doc *meta, const char *key, const struct doc **at)
{
	const struct doc *v = doc_getp(meta, "annotations", key, NULL);
	const char *s;
	*at = v;
	if (!v || doc_kind(v) == DOC_NULL)
		return 0;
	s = doc_text(v, NULL);
	return !s || strcmp(s, "true");
}

static int scope_stated(const struct doc *meta)
{
	const struct doc *a = doc_get(meta, "annotations");
	return doc_get(a, SEALED_ANNO_CLUSTER_WIDE) || doc_get(a, SEALED_ANNO_NAMESPACE_WIDE);
}

int inspect__sealed_scope(struct inspect_report *r, const struct doc *obj, const char *desc)
{
	static const char *const annos[] = { SEALED_ANNO_CLUSTER_WIDE, SEALED_ANNO_NAMESPACE_WIDE };
	const struct doc *meta = doc_get(obj, "metadata"),
	                 *tmpl = doc_getp(obj, "spec", "template", NULL);
	const struct doc *tmeta = doc_get(tmpl, "metadata"), *at, *tn;
	const char *kind = doc_k8s_kind(obj), *ns = doc_k8s_namespace(obj),
	           *name = doc_k8s_name(obj), *s;
	enum sealed_scope scope;
	size_t i;
	int rc, added = 0;

	if (!kind || strcmp(kind, "SealedSecret"))
		return 0;
	scope = sealed_scope_of(obj);
	for (i = 0; i < 2; i++)
		if (annotation_not_true(meta, annos[i], &at)) {
			if ((rc = inspect__add(
			         r, INSPECT_SEALED_SCOPE_MISMATCH, at,
			         "%s: annotation %s is not \"true\": "
			         "the controller ignores it, so the SealedSecret is %s",
			         desc, annos[i], sealed_scope_name(scope))) < 0)
				return rc;
			added++;
		}
	/* the template's own annotations, when they state a scope, must state the same one */
	if (tmeta && scope_stated(tmeta) && sealed_scope_of(tmpl) != scope) {
		if ((rc = inspect__add(r, INSPECT_SEALED_SCOPE_MISMATCH,
		                       doc_get(tmeta, "annotations"),
		                       "%s: "
		                       "metadata.annotations make it %s but "
		                       "spec.template.metadata.annotations say %s",
		                       desc, sealed_scope_name(scope),
		                       sealed_scope_name(sealed_scope_of(tmpl)))) < 0)
			return rc;
		added++;
	}
	if (scope == SEALED_CLUSTER_WIDE)
		return added;
	if (scope == SEALED_STRICT && name && (tn = doc_get(tmeta, "name")) && (s = doc_str(tn)) &&
	    *s && strcmp(s, name)) {
		if ((rc = inspect__add(r, INSPECT_SEALED_SCOPE_MISMATCH, tn,
		                       "%s: strict scope binds the items "
		                       "to the name '%s', but spec.template.metadata.name is '%s': "
		                       "a renamed SealedSecret "
		                       "no longer unseals (re-seal it)",
		                       desc, name, s)) < 0)
			return rc;
		added++;
	}
	if (ns && *ns && (tn = doc_get(tmeta, "namespace")) && (s = doc_str(tn)) && *s &&
	    strcmp(s, ns)) {
		if ((rc = inspect__add(r, INSPECT_SEALED_SCOPE_MISMATCH, tn,
		                       "%s: %s scope binds the "
		                       "items to the namespace '%s', but "
		                       "spec.template.metadata.namespace is '%s': a moved "
		                       "SealedSecret no longer unseals (re-seal it)",
		                       desc, sealed_scope_name(scope), ns, s)) < 0)
			return rc;
		added++;
	}
	return added;
}
