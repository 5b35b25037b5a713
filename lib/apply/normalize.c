/*
 * Normalisation before sending and before comparing (fluxcd/pkg ssa/normalize, gitops-anchors
 * §2.3), and ignoreDifferences' JSON pointers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply/apply_int.h"
#include "core/base64.h"

static int is_core(const struct doc *obj)
{
	const char *av = doc_str(doc_get(obj, "apiVersion"));
	return av && !strcmp(av, "v1");
}

static int kind_is(const struct doc *obj, const char *kind)
{
	const char *k = doc_k8s_kind(obj);
	return k && !strcmp(k, kind);
}

/* Secret stringData folded into data: stringData wins over data for the same key, as the API does.
 */
static int fold_string_data(struct doc *obj)
{
	struct doc *sd = doc_get(obj, "stringData"), *data;
	struct buf b64 = BUF_INIT_SECRET((size_t)64 << 20);
	size_t i;
	int rc = 0;

	if (!sd)
		return 0;
	if (doc_kind(sd) != DOC_MAP && doc_kind(sd) != DOC_NULL)
		return gs_error(GS_EINVAL, "stringData: not a map");
	if (!(data = doc_get(obj, "data")) || doc_kind(data) != DOC_MAP) {
		if (data && doc_kind(data) != DOC_NULL)
			return gs_error(GS_EINVAL, "data: not a map");
		if ((rc = doc_set(obj, "data", doc_new_map())) < 0)
			return rc;
		data = doc_get(obj, "data");
	}
	for (i = 0; i < doc_len(sd); i++) {
		size_t kl, vl;
		const char *k = doc_text(doc_key_at(sd, i), &kl);
		const char *v = doc_text(doc_val_at(sd, i), &vl);
		struct doc *enc;
		if (!v) {
			rc = gs_error(GS_EINVAL, "stringData.%.*s: not a string", (int)kl, k);
			break;
		}
		buf_reset(&b64);
		if (doc_kind(doc_val_at(sd, i)) == DOC_NULL)
			vl = 0;
		if ((rc = base64_encode(&b64, v, vl, B64_PAD)) < 0)
			break;
		if (!(enc = doc_new_str(b64.p, b64.len))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			break;
		}
		doc_set_flags(enc, DOC_SECRET);
		if ((rc = doc_setn(data, k, kl, enc)) < 0)
			break;
		doc_set_flags(doc_key_at(data, doc_len(data) - 1),
		              0); /* keys are names, not values */
	}
	buf_release(&b64);
	if (rc == 0)
		doc_del(obj, "stringData");
	return rc;
}

/* ports[] entries (maps) without a protocol get "TCP". */
static int default_protocol(struct doc *ports)
{
	size_t i;
	int rc;
	if (doc_kind(ports) != DOC_SEQ)
		return 0;
	for (i = 0; i < doc_len(ports); i++) {
		struct doc *p = doc_val_at(ports, i);
		if (doc_kind(p) == DOC_MAP && !doc_get(p, "protocol") &&
		    (rc = doc_set(p, "protocol", doc_new_strz("TCP"))) < 0)
			return rc;
	}
	return 0;
}

static int pod_spec_ports(struct doc *pod_spec)
{
	static const char *const lists[] = { "containers", "initContainers",
		                             "ephemeralContainers" };
	size_t i, j;
	int rc;
	for (j = 0; j < sizeof(lists) / sizeof(*lists); j++) {
		struct doc *cs = doc_get(pod_spec, lists[j]);
		for (i = 0; doc_kind(cs) == DOC_SEQ && i < doc_len(cs); i++)
			if ((rc = default_protocol(doc_get(doc_val_at(cs, i), "ports"))) < 0)
				return rc;
	}
	return 0;
}

/* The pod spec inside a workload (NULL for other kinds). */
static struct doc *pod_template(struct doc *obj, struct doc **tmpl)
{
	const char *k = doc_k8s_kind(obj);
	*tmpl = NULL;
	if (!k)
		return NULL;
	if (!strcmp(k, "Pod") && is_core(obj))
		return doc_get(obj, "spec");
	if (!strcmp(k, "Deployment") || !strcmp(k, "StatefulSet") || !strcmp(k, "DaemonSet") ||
	    !strcmp(k, "ReplicaSet") || !strcmp(k, "Job") ||
	    (!strcmp(k, "ReplicationController") && is_core(obj)))
		*tmpl = doc_getp(obj, "spec", "template", NULL);
	else if (!strcmp(k, "CronJob"))
		*tmpl = doc_getp(obj, "spec", "jobTemplate", "spec", "template", NULL);
	return doc_get(*tmpl, "spec");
}

int apply_normalize(struct doc *obj)
{
	struct doc *tmpl, *ps;
	int rc = 0;

	if (doc_kind(obj) != DOC_MAP)
		return gs_error(GS_EINVAL, "object is not a map");
	if (kind_is(obj, "Secret") && is_core(obj))
		rc = fold_string_data(obj);
	if (rc == 0 && kind_is(obj, "Service") && is_core(obj))
		rc = default_protocol(doc_getp(obj, "spec", "ports", NULL));
	if (rc == 0 && (ps = pod_template(obj, &tmpl)))
		rc = pod_spec_ports(ps);
	if (rc < 0) {
		char *w = apply__what(obj);
		gs_error_prefix(rc, "%s", w ? w : "object");
		free(w);
	}
	return rc;
}

/* ---- comparable form ---- */

int apply_comparable(struct doc **out, const struct doc *obj, const struct apply_ignore *ign,
                     size_t nign)
{
	struct doc *c = NULL, *m, *tmpl;
	int rc;

	*out = NULL;
	if (!(c = doc_clone(obj)))
		return gs_error(GS_ENOMEM, "out of memory");
	if ((rc = apply_normalize(c)) < 0)
		goto out;
	/* metadata: only labels and annotations are compared (§2.3) */
	if ((m = doc_get(c, "metadata")) && doc_kind(m) == DOC_MAP) {
		size_t i = doc_len(m);
		doc_del(doc_get(m, "annotations"), APPLY_ANN_LAST_APPLIED);
		while (i-- > 0) {
			char key[256];
			size_t kl;
			const char *k = doc_text(doc_key_at(m, i), &kl);
			if (k &&
			    ((kl == 6 && !memcmp(k, "labels", 6)) ||
			     (kl == 11 && !memcmp(k, "annotations", 11))) &&
			    doc_kind(doc_val_at(m, i)) == DOC_MAP && doc_len(doc_val_at(m, i)))
				continue;
			snprintf(key, sizeof(key), "%.*s", (int)kl, k ? k : "");
			doc_del(m, key);
		}
	}
	if (!kind_is(c, "CustomResourceDefinition"))
		doc_del(c, "status");
	if (pod_template(c, &tmpl) || tmpl) {
		struct doc *tm = doc_get(tmpl, "metadata");
		if (doc_kind(doc_get(tm, "creationTimestamp")) == DOC_NULL)
			doc_del(tm, "creationTimestamp");
	}
	if ((rc = apply_ignore_strip(c, ign, nign)) < 0)
		goto out;
	*out = c;
	c = NULL;
out:
	doc_free(c);
	return rc;
}

/* ---- ignoreDifferences ---- */

static int eq_or_any(const char *rule, const char *v)
{
	if (!rule)
		return 1;
	return !strcmp(rule, "*") || !strcmp(rule, v ? v : "");
}

int apply_ignore_matches(const struct apply_ignore *r, const struct doc *obj)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *slash = av ? strchr(av, '/') : NULL;
	char group[256] = "";

	if (slash && (size_t)(slash - av) < sizeof(group)) {
		memcpy(group, av, slash - av);
		group[slash - av] = '\0';
	}
	return eq_or_any(r->group ? r->group : "", group) &&
	       eq_or_any(r->kind, doc_k8s_kind(obj)) && eq_or_any(r->name, doc_k8s_name(obj)) &&
	       eq_or_any(r->ns, doc_k8s_namespace(obj));
}

/* One reference token of a JSON pointer, unescaped (~1 -> /, ~0 -> ~), into tok. */
static size_t pointer_token(char *tok, size_t cap, const char *p, const char **next)
{
	size_t n = 0;
	for (; *p && *p != '/'; p++) {
		char c = *p;
		if (c == '~' && (p[1] == '0' || p[1] == '1'))
			c = *++p == '0' ? '~' : '/';
		if (n + 1 < cap)
			tok[n++] = c;
	}
	tok[n] = '\0';
	*next = p;
	return n;
}

/* A sequence without item i (there is no removal from a sequence in lib/doc: rebuild it). */
static int seq_without(struct doc *parent, const char *key, size_t keylen, struct doc *seq,
                       size_t i)
{
	struct doc *ns = doc_new_seq();
	size_t j;
	int rc = ns ? 0 : GS_ENOMEM;
	for (j = 0; rc == 0 && j < doc_len(seq); j++) {
		struct doc *c;
		if (j == i)
			continue;
		if (!(c = doc_clone(doc_val_at(seq, j))))
			rc = GS_ENOMEM;
		else
			rc = doc_push(ns, c);
	}
	if (rc < 0) {
		doc_free(ns);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	return doc_setn(parent, key, keylen, ns);
}

static int index_of(const char *tok, size_t n, size_t len, size_t *out)
{
	size_t i, v = 0;
	if (!n || n > 9 || (n > 1 && tok[0] == '0'))
		return 0;
	for (i = 0; i < n; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return 0;
		v = v * 10 + (size_t)(tok[i] - '0');
	}
	*out = v;
	return v < len;
}

/* Remove the value at pointer p from obj; a path that is not there is fine. */
static int pointer_remove(struct doc *obj, const char *p)
{
	struct doc *cur = obj, *parent = NULL;
	char tok[512], ptok[512] = "";
	size_t n, pn = 0, idx;

	if (!p || *p != '/')
		return gs_error(GS_EINVAL,
		                "ignoreDifferences: JSON pointer '%.100s' does not start with '/'",
		                p ? p : "");
	while (*p == '/') {
		n = pointer_token(tok, sizeof(tok), p + 1, &p);
		if (*p != '/') { /* the last token: remove */
			if (doc_kind(cur) == DOC_MAP)
				doc_del(cur, tok);
			else if (doc_kind(cur) == DOC_SEQ && parent &&
			         index_of(tok, n, doc_len(cur), &idx))
				return seq_without(parent, ptok, pn, cur, idx);
			return 0;
		}
		parent = cur;
		memcpy(ptok, tok, n + 1);
		pn = n;
		if (doc_kind(cur) == DOC_MAP)
			cur = doc_get(cur, tok);
		else if (doc_kind(cur) == DOC_SEQ && index_of(tok, n, doc_len(cur), &idx))
			cur = doc_val_at(cur, idx),
			parent = NULL; /* a list inside a list: rare, not removed */
		else
			return 0;
		if (!cur)
			return 0;
	}
	return 0;
}

int apply_ignore_strip(struct doc *obj, const struct apply_ignore *rules, size_t n)
{
	size_t i, j;
	int rc;
	for (i = 0; i < n; i++) {
		if (!apply_ignore_matches(&rules[i], obj))
			continue;
		for (j = 0; j < rules[i].npointers; j++)
			if ((rc = pointer_remove(obj, rules[i].pointers[j])) < 0)
				return rc;
	}
	return 0;
}
