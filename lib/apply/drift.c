/*
 * Drift without a request: compare a live object (a watch event) with what we
 * applied, looking only at the fields we own. The reconciler calls this for
 * every event of an object it applied; only APPLY_DRIFTED (revert, or report
 * OutOfSync) and APPLY_DRIFT_UNKNOWN (do a dry run) cost requests.
 */
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"

#define PATH_MAX_LEN (16 << 10)

static int is_secret(const struct doc *obj)
{
	const char *k = doc_k8s_kind(obj), *av = doc_str(doc_get(obj, "apiVersion"));
	return k && av && !strcmp(k, "Secret") && !strcmp(av, "v1");
}

int apply_project(struct doc **out, const struct doc *live, const char *manager)
{
	static const char *const keep[] = { "name", "namespace", "uid", "resourceVersion",
		                            "generation" };
	const struct doc *e, *meta;
	struct doc *r = NULL, *m = NULL, *mf = NULL, *c;
	size_t i;
	int rc = 0;

	*out = NULL;
	manager = manager ? manager : APPLY_FIELD_MANAGER;
	if (!(e = apply__managed_entry(live, manager, "Apply")))
		return gs_error(GS_ENOTFOUND, "no managedFields entry of '%s'", manager);
	if ((rc = apply__fields_project(&r, live, doc_get(e, "fieldsV1"))) < 0)
		return rc;
	if (doc_kind(r) != DOC_MAP) {
		doc_free(r);
		return gs_error(GS_EINVAL, "object is not a map");
	}
	if (doc_get(live, "apiVersion"))
		rc = doc_set(r, "apiVersion", doc_clone(doc_get(live, "apiVersion")));
	if (rc == 0 && doc_get(live, "kind"))
		rc = doc_set(r, "kind", doc_clone(doc_get(live, "kind")));
	if (rc == 0 && !(m = doc_get(r, "metadata"))) {
		rc = doc_set(r, "metadata", doc_new_map());
		m = doc_get(r, "metadata");
	}
	meta = doc_get(live, "metadata");
	for (i = 0; rc == 0 && i < sizeof(keep) / sizeof(*keep); i++)
		if ((c = doc_get(meta, keep[i])))
			rc = doc_set(m, keep[i], doc_clone(c));
	if (rc == 0) {
		if (!(mf = doc_new_seq()) || doc_push(mf, doc_clone(e)) < 0)
			rc = GS_ENOMEM;
		else
			rc = doc_set(m, "managedFields", mf);
		mf = NULL;
	}
	doc_free(mf);
	if (rc < 0) {
		doc_free(r);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if (is_secret(live))
		apply__mark_secret(doc_get(r, "data"));
	*out = r;
	return 0;
}

/* The union of every manager's fieldset in obj: how the server keys each list. */
static int fields_hint(struct doc **out, const struct doc *obj)
{
	const struct doc *mf = doc_getp(obj, "metadata", "managedFields", NULL);
	struct doc *u = doc_new_map();
	size_t i;
	int rc = u ? 0 : gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; rc == 0 && doc_kind(mf) == DOC_SEQ && i < doc_len(mf); i++)
		rc = apply__fields_union(u, doc_get(doc_val_at(mf, i), "fieldsV1"));
	if (rc < 0) {
		doc_free(u);
		u = NULL;
	}
	*out = u;
	return rc;
}

int apply_drift(struct apply_paths *changed, const struct doc *applied, const struct doc *live,
                const struct apply_drift_opts *opts)
{
	struct apply_drift_opts o = APPLY_DRIFT_OPTS_INIT;
	struct buf path = BUF_INIT(PATH_MAX_LEN);
	struct doc *a = NULL, *b = NULL, *fs = NULL, *hint = NULL;
	const struct doc *e;
	size_t before = changed->total;
	int rc;

	if (opts)
		o = *opts;
	if (!o.field_manager)
		o.field_manager = APPLY_FIELD_MANAGER;
	if (!applied)
		return gs_error(GS_EINVAL, "drift: no applied object");
	if (!live)
		return APPLY_DRIFTED;
	if ((e = apply__managed_entry(applied, o.field_manager, "Apply"))) {
		/* applied is the stored object (or its projection): compare what our entry lists */
		if (!(a = doc_clone(applied)) || !(b = doc_clone(live)) ||
		    !(fs = doc_clone(doc_get(e, "fieldsV1")))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = apply_ignore_strip(a, o.ignore, o.nignore)) < 0 ||
		    (rc = apply_ignore_strip(b, o.ignore, o.nignore)) < 0)
			goto out;
	} else {
		/* applied is the desired object as sent: every field it sets is ours, if live says
		 * so */
		if (!apply__managed_entry(live, o.field_manager, "Apply")) {
			rc = APPLY_DRIFT_UNKNOWN;
			goto out;
		}
		if ((rc = apply_comparable(&a, applied, o.ignore, o.nignore)) < 0 ||
		    (rc = apply_comparable(&b, live, o.ignore, o.nignore)) < 0 ||
		    (rc = fields_hint(&hint, live)) < 0 ||
		    (rc = apply__fields_derive(&fs, a, hint)) < 0)
			goto out;
	}
	if ((rc = apply__fields_walk(changed, &path, a, b, fs)) < 0)
		goto out;
	rc = changed->total > before ? APPLY_DRIFTED : APPLY_IN_SYNC;
out:
	doc_free(a);
	doc_free(b);
	doc_free(fs);
	doc_free(hint);
	buf_release(&path);
	return rc;
}
