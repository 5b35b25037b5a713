/*
 * Secret -> SealedSecret documents, as kubeseal writes them
 * (pkg/kubeseal/kubeseal.go Seal + apis/.../sealedsecret_expansion.go
 * NewSealedSecret): scopes, labels, template metadata, merge-into.
 */
#include "sealer/sealed/sealed.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base64.h"
#include "doc/doc.h"

/* Go's ObjectMeta field order: JSON output follows it. */
static const char *const objmeta_order[] = {
	"name",
	"generateName",
	"namespace",
	"selfLink",
	"uid",
	"resourceVersion",
	"generation",
	"creationTimestamp",
	"deletionTimestamp",
	"deletionGracePeriodSeconds",
	"labels",
	"annotations",
	"ownerReferences",
	"finalizers",
	"managedFields",
	NULL,
};

/* Dropped from the template (kubeseal.go:267-273, sealedsecret_expansion.go:238). */
static int server_field(const char *k)
{
	static const char *const f[] = { "selfLink",
		                         "uid",
		                         "resourceVersion",
		                         "generation",
		                         "creationTimestamp",
		                         "deletionTimestamp",
		                         "deletionGracePeriodSeconds",
		                         "ownerReferences",
		                         NULL };
	size_t i;
	for (i = 0; f[i]; i++)
		if (!strcmp(k, f[i]))
			return 1;
	return 0;
}

static int last_applied(const char *k)
{
	return !strcmp(k, "kubectl.kubernetes.io/last-applied-configuration") ||
	       !strcmp(k, "kubecfg.ksonnet.io/last-applied-configuration");
}

/* gs_error with "what: " in front when what is set. */
static int serr(const char *what, int code, const char *fmt, ...) GS_PRINTF(3, 4);
static int serr(const char *what, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gs_verror(code, fmt, ap);
	va_end(ap);
	if (what && *what)
		gs_error_prefix(code, "%s", what);
	return code;
}

int sealed_scope_parse(const char *s)
{
	if (!s || !*s)
		return SEALED_SCOPE_DEFAULT;
	if (!strcmp(s, "strict"))
		return SEALED_STRICT;
	if (!strcmp(s, "namespace-wide"))
		return SEALED_NAMESPACE_WIDE;
	if (!strcmp(s, "cluster-wide"))
		return SEALED_CLUSTER_WIDE;
	return -1;
}

const char *sealed_scope_name(enum sealed_scope s)
{
	switch (s) {
	case SEALED_NAMESPACE_WIDE: return "namespace-wide";
	case SEALED_CLUSTER_WIDE: return "cluster-wide";
	default: return "strict";
	}
}

static int anno_true(const struct doc *obj, const char *key)
{
	const char *v = doc_str(doc_getp(obj, "metadata", "annotations", key, NULL));
	return v && !strcmp(v, "true"); /* exactly "true": "True" or a YAML bool are strict */
}

enum sealed_scope sealed_scope_of(const struct doc *obj)
{
	if (anno_true(obj, SEALED_ANNO_CLUSTER_WIDE))
		return SEALED_CLUSTER_WIDE;
	if (anno_true(obj, SEALED_ANNO_NAMESPACE_WIDE))
		return SEALED_NAMESPACE_WIDE;
	return SEALED_STRICT;
}

int sealed_set_scope_annotations(struct doc *obj, enum sealed_scope scope)
{
	struct doc *meta = doc_get(obj, "metadata"), *anno;
	int rc;

	if (!meta) {
		if ((rc = doc_set(obj, "metadata", doc_new_map())) < 0)
			return rc;
		meta = doc_get(obj, "metadata");
	}
	if (!(anno = doc_get(meta, "annotations")) || doc_kind(anno) != DOC_MAP) {
		if (scope != SEALED_NAMESPACE_WIDE && scope != SEALED_CLUSTER_WIDE)
			return 0;
		if ((rc = doc_set(meta, "annotations", doc_new_map())) < 0)
			return rc;
		anno = doc_get(meta, "annotations");
	}
	doc_del(anno, SEALED_ANNO_NAMESPACE_WIDE);
	doc_del(anno, SEALED_ANNO_CLUSTER_WIDE);
	if (scope == SEALED_NAMESPACE_WIDE)
		return doc_set(anno, SEALED_ANNO_NAMESPACE_WIDE, doc_new_strz("true"));
	if (scope == SEALED_CLUSTER_WIDE)
		return doc_set(anno, SEALED_ANNO_CLUSTER_WIDE, doc_new_strz("true"));
	if (!doc_len(anno))
		doc_del(meta, "annotations");
	return 0;
}

int sealed_label(struct buf *out, enum sealed_scope scope, const char *ns, const char *name)
{
	switch (scope) {
	case SEALED_CLUSTER_WIDE: return 0;
	case SEALED_NAMESPACE_WIDE: return buf_adds(out, ns ? ns : "");
	default: return buf_addf(out, "%s/%s", ns ? ns : "", name ? name : "");
	}
}

size_t sealed_secret_data_size(const struct doc *secret)
{
	const struct doc *data = doc_get(secret, "data"), *sdata = doc_get(secret, "stringData");
	size_t i, total = 0, len;
	for (i = 0; doc_kind(data) == DOC_MAP && i < doc_len(data); i++) {
		const char *v = doc_text(doc_val_at(data, i), &len);
		size_t pad = 0;
		if (!v)
			continue;
		while (len > pad && pad < 2 && v[len - 1 - pad] == '=')
			pad++;
		total += len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) - (len % 4 ? 0 : pad);
	}
	for (i = 0; doc_kind(sdata) == DOC_MAP && i < doc_len(sdata); i++)
		if (doc_text(doc_val_at(sdata, i), &len))
			total += len;
	return total;
}

int sealed_is_sealedsecret(const struct doc *obj)
{
	const char *k = doc_k8s_kind(obj), *v = doc_str(doc_get(obj, "apiVersion"));
	return k && !strcmp(k, "SealedSecret") && (!v || !strncmp(v, "bitnami.com/", 12));
}

/* A map of string values (labels, annotations, data): every value a string (or null). */
static int check_str_map(const struct doc *m, const char *field, const char *what)
{
	size_t i;
	if (!m || doc_kind(m) == DOC_NULL)
		return 0;
	if (doc_kind(m) != DOC_MAP)
		return serr(what, GS_EPARSE, "%s: expected a map", field);
	for (i = 0; i < doc_len(m); i++) {
		const struct doc *v = doc_val_at(m, i);
		if (doc_kind(v) != DOC_STR && doc_kind(v) != DOC_NULL)
			return serr(what, GS_EPARSE, "%s.%s: expected a string (quote the value)",
			            field,
			            doc_str(doc_key_at(m, i)) ? doc_str(doc_key_at(m, i)) : "?");
	}
	return 0;
}

/* A copy of a string map, keys sorted (Go maps), without last-applied annotations; NULL if empty.
 */
static struct doc *sorted_str_map(const struct doc *m, int strip_last_applied)
{
	struct doc *c = doc_new_map();
	size_t i;
	if (!c)
		return NULL;
	for (i = 0; i < doc_len(m); i++) {
		const char *k = doc_str(doc_key_at(m, i));
		const struct doc *v = doc_val_at(m, i);
		if (!k || (strip_last_applied && last_applied(k)))
			continue;
		if (doc_set(c, k, doc_new_strz(doc_str(v) ? doc_str(v) : "")) < 0) {
			doc_free(c);
			return NULL;
		}
	}
	doc_sort_keys(c, 0);
	if (!doc_len(c)) {
		doc_free(c);
		return NULL;
	}
	return c;
}

/* The template metadata: the Secret's, in ObjectMeta order, server fields stripped. */
static int template_meta(struct doc **out, const struct doc *meta, const char *name, const char *ns)
{
	struct doc *t = doc_new_map(), *v;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!t)
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; objmeta_order[i]; i++) {
		const char *k = objmeta_order[i];
		v = NULL;
		if (!strcmp(k, "name"))
			v = doc_new_strz(name);
		else if (!strcmp(k, "namespace"))
			v = ns && *ns ? doc_new_strz(ns) : NULL;
		else if (server_field(k) || !doc_get(meta, k) ||
		         doc_kind(doc_get(meta, k)) == DOC_NULL)
			continue;
		else if (!strcmp(k, "labels") || !strcmp(k, "annotations")) {
			if (!(v = sorted_str_map(doc_get(meta, k), 1)))
				continue;
		} else
			v = doc_clone(doc_get(meta, k));
		if (!v)
			continue;
		if ((rc = doc_set(t, k, v)) < 0)
			goto out;
	}
	*out = t;
	t = NULL;
out:
	doc_free(t);
	return rc;
}

/*
 * Sealing many items: one RSA-4096 public operation each (~0.1 ms), spread over
 * two threads (each with its own OAEP context and session-key pool) when there
 * are enough of them to pay for a thread.
 */
#define PAR_MIN_ITEMS 16

struct seal_job {
	struct buf *pt, *ct;
	size_t n, next;
	int rc;
	pthread_mutex_t mu;
	const struct sealed_pubkey *pk;
	const void *label;
	size_t label_len;
	char msg[256]; /* the failing thread's message (messages are per thread) */
};

static void *seal_worker(void *arg)
{
	struct seal_job *j = arg;
	struct sealed_encryptor *e = NULL;
	size_t i;
	int rc = sealed_encryptor_new(&e, j->pk, j->label, j->label_len);
	for (;;) {
		pthread_mutex_lock(&j->mu);
		if (rc < 0 && j->rc >= 0) {
			j->rc = rc;
			snprintf(j->msg, sizeof(j->msg), "%s", gs_error_last());
		}
		i = j->rc < 0 ? j->n : j->next++;
		pthread_mutex_unlock(&j->mu);
		if (i >= j->n)
			break;
		rc = sealed_encryptor_seal(e, &j->ct[i], j->pt[i].p, j->pt[i].len);
	}
	sealed_encryptor_free(e);
	return NULL;
}

/* Seal every value of .data (base64-decoded) then .stringData (UTF-8) into a sorted map. */
static int seal_items(struct doc *enc, const struct doc *secret, const struct sealed_pubkey *pk,
                      const void *label, size_t label_len, const char *what)
{
	static const char *const fields[] = { "data", "stringData" };
	const struct doc *m[2] = { doc_get(secret, "data"), doc_get(secret, "stringData") };
	size_t n = doc_len(m[0]) + doc_len(m[1]), f, i, k = 0;
	struct seal_job j;
	const char **keys = NULL;
	int rc = 0;

	memset(&j, 0, sizeof(j));
	if (!(keys = calloc(n + 1, sizeof(*keys))) || !(j.pt = calloc(n + 1, sizeof(*j.pt))) ||
	    !(j.ct = calloc(n + 1, sizeof(*j.ct)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		buf_init(&j.pt[i], BUF_MAX_DEFAULT, 1);
		buf_init(&j.ct[i], BUF_MAX_DEFAULT, 0);
	}
	for (f = 0; f < 2; f++) {
		for (i = 0; i < doc_len(m[f]); i++, k++) {
			const char *v = doc_str(doc_val_at(m[f], i));
			size_t vlen = v ? doc_len(doc_val_at(m[f], i)) : 0;
			if (!(keys[k] = doc_str(doc_key_at(m[f], i)))) {
				rc = serr(what, GS_EPARSE, "%s: keys must be strings", fields[f]);
				goto out;
			}
			if (f == 0) {
				if ((rc = base64_decode(&j.pt[k], v ? v : "", vlen, B64_GO_STD)) <
				    0) {
					/* never show the value */
					gs_error_prefix(rc, "data.%s", keys[k]);
					if (what && *what)
						gs_error_prefix(rc, "%s", what);
					goto out;
				}
			} else if ((rc = buf_add(&j.pt[k], v ? v : "", vlen)) < 0)
				goto out;
		}
	}
	j.n = n;
	j.pk = pk;
	j.label = label;
	j.label_len = label_len;
	pthread_mutex_init(&j.mu, NULL);
	{
		pthread_t th;
		int started = n >= PAR_MIN_ITEMS && sysconf(_SC_NPROCESSORS_ONLN) > 1 &&
		              pthread_create(&th, NULL, seal_worker, &j) == 0;
		seal_worker(&j);
		if (started)
			pthread_join(th, NULL);
	}
	pthread_mutex_destroy(&j.mu);
	if ((rc = j.rc) < 0) {
		gs_error(rc, "%s", j.msg);
		goto out;
	}
	/* in input order: stringData, after data, wins on a duplicate key */
	for (k = 0; k < n; k++)
		if ((rc = doc_set(enc, keys[k], doc_new_str(j.ct[k].p, j.ct[k].len))) < 0)
			goto out;
	doc_sort_keys(enc, 0);
out:
	for (i = 0; j.pt && i < n; i++) {
		buf_release(&j.pt[i]);
		buf_release(&j.ct[i]);
	}
	free(j.pt);
	free(j.ct);
	free(keys);
	return rc;
}

/* Checks shared by seal and merge-into; fills the effective name, namespace and scope. */
static int seal_prepare(const struct doc *secret, const struct sealed_seal_opts *o,
                        const char **name, const char **ns, enum sealed_scope *scope)
{
	const struct doc *meta = doc_get(secret, "metadata");
	const char *kind = doc_k8s_kind(secret), *what = o->what;
	int rc;

	if (doc_kind(secret) != DOC_MAP)
		return serr(what, GS_EPARSE, "not a Kubernetes object (expected a map)");
	if (kind && strcmp(kind, "Secret"))
		return serr(what, GS_EPARSE, "kind '%s' is not a Secret", kind);
	if ((rc = check_str_map(doc_get(meta, "labels"), "metadata.labels", what)) < 0 ||
	    (rc = check_str_map(doc_get(meta, "annotations"), "metadata.annotations", what)) < 0 ||
	    (rc = check_str_map(doc_get(secret, "data"), "data", what)) < 0 ||
	    (rc = check_str_map(doc_get(secret, "stringData"), "stringData", what)) < 0)
		return rc;
	if (!o->allow_empty_data && !doc_len(doc_get(secret, "data")) &&
	    !doc_len(doc_get(secret, "stringData")))
		return serr(what, GS_EPARSE,
		            "secret.data is empty in input Secret, assuming this is an error and "
		            "aborting. To work with empty data, --allow-empty-data can be used");
	*name = o->name && *o->name ? o->name : doc_k8s_name(secret);
	if (!*name || !**name)
		return serr(what, GS_EPARSE, "missing metadata.name in input Secret");
	*scope = o->scope != SEALED_SCOPE_DEFAULT ? o->scope : sealed_scope_of(secret);
	*ns = doc_k8s_namespace(secret);
	if (*scope != SEALED_CLUSTER_WIDE) {
		if (*ns && **ns && o->namespace && *o->namespace && strcmp(*ns, o->namespace))
			return serr(what, GS_EINVAL,
			            "namespace mismatch: input secret is in namespace \"%s\" but "
			            "\"%s\" was specified",
			            *ns, o->namespace);
		if (!*ns || !**ns)
			*ns = o->namespace && *o->namespace ? o->namespace
			      : o->default_namespace        ? o->default_namespace
			                                    : "default";
	}
	return 0;
}

int sealed_seal_secret(struct doc **out, const struct doc *secret, const struct sealed_pubkey *pk,
                       const struct sealed_seal_opts *opts)
{
	struct sealed_seal_opts o = SEALED_SEAL_OPTS_INIT;
	struct doc *ss = NULL, *meta = NULL, *spec = NULL, *tmpl = NULL, *tmeta = NULL, *enc = NULL,
	           *anno = NULL;
	struct buf label = BUF_INIT(4096);
	const char *name = NULL, *ns = NULL;
	enum sealed_scope scope = SEALED_STRICT;
	const struct doc *v;
	int rc;

	*out = NULL;
	if (opts)
		o = *opts;
	if ((rc = seal_prepare(secret, &o, &name, &ns, &scope)) < 0)
		return rc;
	if ((rc = sealed_label(&label, scope, ns, name)) < 0)
		goto out;
	if (!(enc = doc_new_map()) || !(ss = doc_new_map()) || !(meta = doc_new_map()) ||
	    !(spec = doc_new_map()) || !(tmpl = doc_new_map())) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = seal_items(enc, secret, pk, label.p, label.len, o.what)) < 0)
		goto out;
	/* the template: the Secret's metadata with the scope annotations kubeseal sets */
	{
		struct doc *tmp = doc_clone(doc_get(secret, "metadata"));
		struct doc *wrap = doc_new_map();
		if (!wrap || (tmp && (rc = doc_set(wrap, "metadata", tmp)) < 0)) {
			doc_free(wrap);
			rc = rc < 0 ? rc : gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		if (o.scope != SEALED_SCOPE_DEFAULT)
			rc = sealed_set_scope_annotations(wrap, scope);
		if (rc >= 0)
			rc = template_meta(&tmeta, doc_get(wrap, "metadata"), name, ns);
		doc_free(wrap);
		if (rc < 0)
			goto out;
	}
	/* top-level metadata: name, namespace, the scope annotation (UpdateScopeAnnotations) */
	if ((rc = doc_set(meta, "name", doc_new_strz(name))) < 0 ||
	    (ns && *ns && (rc = doc_set(meta, "namespace", doc_new_strz(ns))) < 0))
		goto out;
	if (scope != SEALED_STRICT) {
		if (!(anno = doc_new_map()) ||
		    (rc = doc_set(anno,
		                  scope == SEALED_CLUSTER_WIDE ? SEALED_ANNO_CLUSTER_WIDE
		                                               : SEALED_ANNO_NAMESPACE_WIDE,
		                  doc_new_strz("true"))) < 0 ||
		    (rc = doc_set(meta, "annotations", anno)) < 0)
			goto out;
		anno = NULL;
	}
	if ((rc = doc_set(tmpl, "metadata", tmeta)) < 0)
		goto out;
	tmeta = NULL;
	if ((v = doc_get(secret, "type")) && doc_str(v) && *doc_str(v) &&
	    (rc = doc_set(tmpl, "type", doc_clone(v))) < 0)
		goto out;
	if ((v = doc_get(secret, "immutable")) && doc_kind(v) == DOC_BOOL &&
	    (rc = doc_set(tmpl, "immutable", doc_clone(v))) < 0)
		goto out;
	if ((rc = doc_set(spec, "template", tmpl)) < 0)
		goto out;
	tmpl = NULL;
	if ((rc = doc_set(spec, "encryptedData", enc)) < 0)
		goto out;
	enc = NULL;
	if ((rc = doc_set(ss, "kind", doc_new_strz("SealedSecret"))) < 0 ||
	    (rc = doc_set(ss, "apiVersion", doc_new_strz(SEALED_API_VERSION))) < 0 ||
	    (rc = doc_set(ss, "metadata", meta)) < 0)
		goto out;
	meta = NULL;
	if ((rc = doc_set(ss, "spec", spec)) < 0)
		goto out;
	spec = NULL;
	*out = ss;
	ss = NULL;
out:
	buf_release(&label);
	doc_free(anno);
	doc_free(tmeta);
	doc_free(tmpl);
	doc_free(enc);
	doc_free(spec);
	doc_free(meta);
	doc_free(ss);
	return rc;
}

int sealed_merge_into(struct doc *into, const struct doc *secret, const struct sealed_pubkey *pk,
                      const struct sealed_seal_opts *opts)
{
	struct sealed_seal_opts o = SEALED_SEAL_OPTS_INIT;
	struct doc *fresh = NULL, *enc, *tmeta;
	const struct doc *fenc, *fmeta;
	const char *name = doc_k8s_name(into), *ns = doc_k8s_namespace(into);
	size_t i;
	int rc;

	if (opts)
		o = *opts;
	if (!sealed_is_sealedsecret(into)) {
		const char *kind = doc_k8s_kind(into), *file = doc_file(into);
		return gs_error(GS_EPARSE,
		                "%s: --merge-into: the file holds %s%s, not a SealedSecret",
		                file ? file : "--merge-into",
		                kind ? "a " : "an object without a kind", kind ? kind : "");
	}
	/* the file's name, namespace and scope win: its items must open with one label */
	o.name = name;
	o.namespace = NULL;
	o.default_namespace = ns ? ns : "";
	o.scope = sealed_scope_of(into);
	o.allow_empty_data = 1;
	{
		struct doc *copy = doc_clone(secret);
		if (!copy)
			return gs_error(GS_ENOMEM, "out of memory");
		if (doc_get(copy, "metadata"))
			doc_del(doc_get(copy, "metadata"), "namespace");
		rc = sealed_seal_secret(&fresh, copy, pk, &o);
		doc_free(copy);
		if (rc < 0)
			return rc;
	}
	if (!(enc = doc_getp(into, "spec", "encryptedData", NULL)) || doc_kind(enc) != DOC_MAP) {
		struct doc *spec = doc_get(into, "spec");
		if (!spec || doc_kind(spec) != DOC_MAP) {
			rc = serr(o.what, GS_EPARSE, "--merge-into: the SealedSecret has no spec");
			goto out;
		}
		if ((rc = doc_set(spec, "encryptedData", doc_new_map())) < 0)
			goto out;
		enc = doc_get(spec, "encryptedData");
	}
	fenc = doc_getp(fresh, "spec", "encryptedData", NULL);
	for (i = 0; i < doc_len(fenc); i++)
		if ((rc = doc_set(enc, doc_str(doc_key_at(fenc, i)),
		                  doc_clone(doc_val_at(fenc, i)))) < 0)
			goto out;
	/* template labels and annotations of the input are merged in, as kubeseal does */
	fmeta = doc_getp(fresh, "spec", "template", "metadata", NULL);
	if ((tmeta = doc_getp(into, "spec", "template", "metadata", NULL)) &&
	    doc_kind(tmeta) == DOC_MAP) {
		static const char *const maps[] = { "labels", "annotations" };
		size_t m;
		for (m = 0; m < 2; m++) {
			const struct doc *src = doc_get(fmeta, maps[m]);
			struct doc *dst = doc_get(tmeta, maps[m]);
			if (!doc_len(src))
				continue;
			if (!dst || doc_kind(dst) != DOC_MAP) {
				if ((rc = doc_set(tmeta, maps[m], doc_new_map())) < 0)
					goto out;
				dst = doc_get(tmeta, maps[m]);
			}
			for (i = 0; i < doc_len(src); i++) {
				const char *k = doc_str(doc_key_at(src, i));
				if (!strcmp(k, SEALED_ANNO_CLUSTER_WIDE) ||
				    !strcmp(k, SEALED_ANNO_NAMESPACE_WIDE))
					continue;
				if ((rc = doc_set(dst, k, doc_clone(doc_val_at(src, i)))) < 0)
					goto out;
			}
		}
	}
	rc = 0;
out:
	doc_free(fresh);
	return rc;
}
