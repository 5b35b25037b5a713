/*
 * SealedSecret -> items -> Secret (upstream Unseal, without template.data),
 * verify and re-encrypt.
 *
 * Cost model: an item costs one RSA private operation per key tried (~4 ms
 * for RSA-4096 here). There is no key id, so the first item may try every
 * key; every later item of the same SealedSecret was sealed with the same
 * label by the same kubeseal run, so it tries the key that opened the first
 * one before any other. With two cores, the key search of the first item and
 * then the remaining items are spread over two threads.
 */
#include "sealer/sealed/sealed.h"
#include "sealer/sealed/sealed_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base64.h"
#include "doc/doc.h"

#define MAX_THREADS 2

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

void sealed_items_release(struct sealed_items *it)
{
	size_t i;
	for (i = 0; i < it->n; i++) {
		free(it->keys[i]);
		buf_release(&it->vals[i]);
	}
	free(it->keys);
	free(it->vals);
	memset(it, 0, sizeof(*it));
}

const struct buf *sealed_items_get(const struct sealed_items *it, const char *key)
{
	size_t i;
	for (i = 0; it && i < it->n; i++)
		if (!strcmp(it->keys[i], key))
			return &it->vals[i];
	return NULL;
}

static int items_alloc(struct sealed_items *it, size_t n)
{
	size_t i;
	it->n = 0;
	if (!(it->keys = calloc(n ? n : 1, sizeof(*it->keys))) ||
	    !(it->vals = calloc(n ? n : 1, sizeof(*it->vals))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		buf_init(&it->vals[i], BUF_MAX_DEFAULT, 1);
	return 0;
}

/* ---- parallel opening -------------------------------------------------------- */

struct job {
	struct sealed_keyset *ks;
	const void *label;
	size_t label_len;
	unsigned char **blobs;
	size_t *lens;
	struct buf *out;
	int *rcs;
	size_t n;
	pthread_mutex_t mu;
	size_t next;  /* next key (phase 1) or item (phase 2) to take */
	long found;   /* phase 1: index of the key that opened item 0, -1 while none */
	size_t ncand; /* phase 1 candidates: every key but the hint */
};

static size_t take(struct job *j)
{
	size_t i;
	pthread_mutex_lock(&j->mu);
	i = j->next++;
	pthread_mutex_unlock(&j->mu);
	return i;
}

/* Remember that keys[k] opened an item (any thread). */
static void mark_used(struct sealed_keyset *ks, size_t k)
{
	if (k < 64)
		__atomic_fetch_or(&ks->used, 1ULL << k, __ATOMIC_RELAXED);
}

/* Phase 1: the keys other than the hint, for item 0, until one opens it. */
static void *search_keys(void *arg)
{
	struct job *j = arg;
	struct buf tmp = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	size_t c, hint = j->ks->hint;
	for (;;) {
		long found;
		size_t k;
		pthread_mutex_lock(&j->mu);
		found = j->found;
		c = j->next++;
		pthread_mutex_unlock(&j->mu);
		if (found >= 0 || c >= j->ncand)
			break;
		k = c < hint ? c : c + 1;
		buf_reset(&tmp);
		if (sealed__decrypt_with(&tmp, j->ks->keys[k], j->label, j->label_len, j->blobs[0],
		                         j->lens[0]) == 0) {
			pthread_mutex_lock(&j->mu);
			if (j->found < 0) {
				j->found = (long)k;
				buf_set(&j->out[0], tmp.p, tmp.len);
				j->rcs[0] = 0;
			}
			pthread_mutex_unlock(&j->mu);
		}
	}
	buf_release(&tmp);
	return NULL;
}

/* Phase 2: items 1..n-1, the opening key first, then the others. */
static void *open_items(void *arg)
{
	struct job *j = arg;
	size_t i, k, hint = j->ks->hint;
	while ((i = take(j)) < j->n) {
		int rc = sealed__decrypt_with(&j->out[i], j->ks->keys[hint], j->label, j->label_len,
		                              j->blobs[i], j->lens[i]);
		if (rc == 0)
			mark_used(j->ks, hint);
		for (k = 0; rc == GS_EAUTH && k < j->ks->n; k++)
			if (k != hint &&
			    (rc = sealed__decrypt_with(&j->out[i], j->ks->keys[k], j->label,
			                               j->label_len, j->blobs[i], j->lens[i])) == 0)
				mark_used(j->ks, k);
		j->rcs[i] = rc;
	}
	return NULL;
}

static int nthreads(const struct sealed_keyset *ks)
{
	long cpus;
	if (ks->threads > 0)
		return ks->threads > MAX_THREADS ? MAX_THREADS : ks->threads;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus >= 2 ? 2 : 1;
}

/* Run fn on up to nt threads (the calling thread is one of them). */
static void run(void *(*fn)(void *), struct job *j, int nt)
{
	pthread_t th[MAX_THREADS];
	int i, started = 0;
	for (i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, fn, j) == 0)
			started++;
	fn(j);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

/* Open n blobs that share one label; rcs[i] per item (0, GS_EAUTH, GS_EPARSE). */
static void open_blobs(struct sealed_keyset *ks, const void *label, size_t label_len,
                       unsigned char **blobs, size_t *lens, struct buf *out, int *rcs, size_t n)
{
	struct job j;
	int nt = nthreads(ks);
	size_t i;

	for (i = 0; i < n; i++)
		rcs[i] = GS_EAUTH;
	if (!n || !ks->n)
		return;
	if (ks->hint >= ks->n)
		ks->hint = 0;
	memset(&j, 0, sizeof(j));
	pthread_mutex_init(&j.mu, NULL);
	j.ks = ks, j.label = label, j.label_len = label_len, j.blobs = blobs, j.lens = lens;
	j.out = out, j.rcs = rcs, j.n = n, j.found = -1;

	/* item 0 with the remembered key, else search the others */
	rcs[0] =
	    sealed__decrypt_with(&out[0], ks->keys[ks->hint], label, label_len, blobs[0], lens[0]);
	if (rcs[0] == 0)
		mark_used(ks, ks->hint);
	if (rcs[0] == GS_EAUTH && ks->n > 1) {
		j.ncand = ks->n - 1;
		j.next = 0;
		run(search_keys, &j, nt);
		if (j.found >= 0) {
			ks->hint = (size_t)j.found;
			mark_used(ks, ks->hint);
		}
	}
	/* the rest, two at a time */
	j.next = 1;
	if (n > 1)
		run(open_items, &j, n > 2 ? nt : 1);
	pthread_mutex_destroy(&j.mu);
}

/* ---- documents ---------------------------------------------------------------- */

static const char *ss_what(const struct sealed_unseal_opts *o)
{
	return o && o->what ? o->what : NULL;
}

/* Name, namespace, label of a SealedSecret; checks its shape. */
static int ss_label(struct buf *label, const struct doc *ss, const char *what)
{
	const char *kind = doc_k8s_kind(ss), *name = doc_k8s_name(ss);
	enum sealed_scope scope;

	if (doc_kind(ss) != DOC_MAP)
		return serr(what, GS_EPARSE, "not a Kubernetes object (expected a map)");
	if (kind && strcmp(kind, "SealedSecret"))
		return serr(what, GS_EPARSE, "kind '%s' is not a SealedSecret", kind);
	scope = sealed_scope_of(ss);
	if (scope == SEALED_STRICT && (!name || !*name))
		return serr(what, GS_EPARSE, "missing metadata.name (needed by the strict scope)");
	return sealed_label(label, scope, doc_k8s_namespace(ss), name);
}

static int open_v1(struct sealed_items *out, const struct doc *ss, struct sealed_keyset *ks,
                   const char *label, size_t label_len, const struct doc *data, const char *what);

int sealed_open(struct sealed_items *out, const struct doc *ss, struct sealed_keyset *ks,
                const struct sealed_unseal_opts *opts)
{
	const char *what = ss_what(opts);
	const struct doc *enc = doc_getp(ss, "spec", "encryptedData", NULL);
	const struct doc *v1 = doc_getp(ss, "spec", "data", NULL);
	struct buf label = BUF_INIT(4096), msg = BUF_INIT(1 << 16);
	unsigned char **blobs = NULL;
	size_t *lens = NULL, i, n = 0;
	int *rcs = NULL, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ss_label(&label, ss, what)) < 0)
		goto out;
	if (!ks || !ks->n) {
		rc = serr(what, GS_ENOTFOUND, "no private keys to unseal with");
		goto out;
	}
	if (doc_len(v1) && doc_kind(v1) == DOC_STR) {
		if (doc_len(enc)) {
			rc = serr(what, GS_EPARSE,
			          "cannot use the field 'encryptedData' and the deprecated field "
			          "'data' at the same time");
			goto out;
		}
		if (!opts || !opts->accept_v1_data) {
			rc = serr(what, GS_EPARSE,
			          "using deprecated 'data' field, use 'encryptedData' or flip the "
			          "feature flag");
			goto out;
		}
		rc = open_v1(out, ss, ks, label.p, label.len, v1, what);
		goto out;
	}
	if (enc && doc_kind(enc) != DOC_MAP && doc_kind(enc) != DOC_NULL) {
		rc = serr(what, GS_EPARSE, "spec.encryptedData: expected a map");
		goto out;
	}
	n = doc_len(enc);
	if ((rc = items_alloc(out, n)) < 0)
		goto out;
	if (!(blobs = calloc(n + 1, sizeof(*blobs))) || !(lens = calloc(n + 1, sizeof(*lens))) ||
	    !(rcs = calloc(n + 1, sizeof(*rcs)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *k = doc_str(doc_key_at(enc, i)), *b64 = doc_str(doc_val_at(enc, i));
		size_t blen = doc_len(doc_val_at(enc, i));
		if (!k) {
			rc = serr(what, GS_EPARSE, "spec.encryptedData: keys must be strings");
			goto out;
		}
		if (!(out->keys[i] = strdup(k)) ||
		    !(blobs[i] = malloc(base64_decoded_max(b64 ? blen : 0) + 1))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		out->n = i + 1;
		if (!b64) {
			rc = serr(what, GS_EPARSE, "spec.encryptedData.%s: expected a string", k);
			goto out;
		}
		if ((rc = base64_decode_raw(blobs[i], &lens[i], b64, blen, B64_GO_STD)) < 0) {
			gs_error_prefix(rc, "spec.encryptedData.%s", k);
			if (what && *what)
				gs_error_prefix(rc, "%s", what);
			goto out;
		}
	}
	open_blobs(ks, label.p, label.len, blobs, lens, out->vals, rcs, n);
	/* upstream tags each item's error with its key and joins them (#442) */
	for (i = 0; i < n; i++) {
		if (!rcs[i])
			continue;
		if (rc >= 0)
			rc = rcs[i] == GS_EPARSE ? GS_EPARSE : GS_EAUTH;
		buf_addf(&msg, "%s%s (%s)", msg.len ? ", " : "",
		         rcs[i] == GS_EPARSE ? "SealedSecret data is too short"
		                             : "no key could decrypt secret",
		         out->keys[i]);
	}
	if (rc < 0)
		serr(what, rc, "%s", msg.p);
out:
	for (i = 0; blobs && i < n; i++)
		free(blobs[i]);
	free(blobs);
	free(lens);
	free(rcs);
	buf_release(&label);
	buf_release(&msg);
	if (rc < 0)
		sealed_items_release(out);
	return rc;
}

int sealed_probe(const struct doc *ss, struct sealed_keyset *ks,
                 const struct sealed_unseal_opts *opts)
{
	const char *what = ss_what(opts);
	const struct doc *enc = doc_getp(ss, "spec", "encryptedData", NULL), *item = NULL;
	struct buf label = BUF_INIT(4096), pt = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	const char *key = NULL;
	int rc;

	if ((rc = ss_label(&label, ss, what)) < 0)
		goto out;
	if (!ks || !ks->n) {
		rc = serr(what, GS_ENOTFOUND, "no private keys to unseal with");
		goto out;
	}
	if (doc_kind(enc) == DOC_MAP && doc_len(enc) > 0) {
		item = doc_val_at(enc, 0);
		key = doc_str(doc_key_at(enc, 0));
	} else if (doc_kind(doc_getp(ss, "spec", "data", NULL)) == DOC_STR && opts &&
	           opts->accept_v1_data) {
		item = doc_getp(ss, "spec", "data", NULL);
		key = "spec.data";
	}
	if (!item) {
		rc = 0; /* nothing sealed: nothing to open */
		goto out;
	}
	if (doc_kind(item) != DOC_STR) {
		rc = serr(what, GS_EPARSE, "spec.encryptedData.%s: expected a string",
		          key ? key : "?");
		goto out;
	}
	/* the keys are tried in the keyset's order, each once, on this one item */
	rc = sealed_decrypt_item(&pt, ks, label.p, label.len, doc_str(item), doc_len(item));
	if (rc < 0) {
		gs_error_prefix(rc, "%s", key ? key : "?");
		if (what && *what)
			gs_error_prefix(rc, "%s", what);
	}
out:
	buf_release(&label);
	buf_release(&pt);
	return rc;
}

/* Legacy v1: the whole Secret, JSON, sealed as one blob in spec.data (base64 of it). */
static int open_v1(struct sealed_items *out, const struct doc *ss, struct sealed_keyset *ks,
                   const char *label, size_t label_len, const struct doc *data, const char *what)
{
	struct buf pt = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
	struct doc *sec = NULL;
	size_t f, i, n;
	int rc;

	(void)ss; /* the label already carries its name, namespace and scope */
	if ((rc = sealed_decrypt_item(&pt, ks, label, label_len, doc_str(data), doc_len(data))) <
	    0) {
		gs_error_prefix(rc, "spec.data");
		if (what && *what)
			gs_error_prefix(rc, "%s", what);
		goto out;
	}
	/* The decrypted text is plaintext: its parse errors (positions, the text around them) and
	 * its key names say nothing in a message that goes to status, events and logs. */
	if (doc_parse_one(&sec, "spec.data", pt.p, pt.len, DOC_PARSE_SECRET) < 0) {
		rc =
		    serr(what, GS_EPARSE, "spec.data: the decrypted Secret is not valid YAML/JSON");
		goto out;
	}
	if (doc_kind(sec) != DOC_MAP) {
		rc = serr(what, GS_EPARSE, "spec.data: the decrypted Secret is not an object");
		goto out;
	}
	n = doc_len(doc_get(sec, "data")) + doc_len(doc_get(sec, "stringData"));
	if ((rc = items_alloc(out, n)) < 0)
		goto out;
	for (f = 0; f < 2; f++) {
		const struct doc *m = doc_get(sec, f ? "stringData" : "data");
		for (i = 0; i < doc_len(m); i++) {
			const char *k = doc_str(doc_key_at(m, i)), *v = doc_str(doc_val_at(m, i));
			struct buf *dst;
			if (!k || !v)
				continue;
			if (!(dst = (struct buf *)sealed_items_get(out, k))) {
				if (!(out->keys[out->n] = strdup(k))) {
					rc = gs_error(GS_ENOMEM, "out of memory");
					goto out;
				}
				dst = &out->vals[out->n++];
			}
			buf_reset(dst);
			rc = f ? buf_add(dst, v, doc_len(doc_val_at(m, i)))
			       : base64_decode(dst, v, doc_len(doc_val_at(m, i)), B64_GO_STD);
			if (rc < 0) {
				rc = serr(what, rc,
				          "spec.data: the decrypted Secret's data item %zu is not "
				          "valid base64",
				          i + 1);
				goto out;
			}
		}
	}
	rc = 0;
out:
	doc_free(sec);
	buf_release(&pt);
	return rc;
}

/* Go's v1.Secret/ObjectMeta field order for the Secret we write. */
static const char *const secret_meta_order[] = {
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

int sealed_secret_from_items(struct doc **out, const struct doc *ss,
                             const struct sealed_items *items)
{
	const struct doc *tmeta = doc_getp(ss, "spec", "template", "metadata", NULL), *v;
	const char *name = doc_k8s_name(ss), *ns = doc_k8s_namespace(ss), *skip;
	struct doc *sec = NULL, *meta = NULL, *data = NULL, *refs = NULL, *ref = NULL;
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!(sec = doc_new_map()) || !(meta = doc_new_map()) || !(data = doc_new_map())) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	skip = doc_str(doc_get(doc_get(tmeta, "annotations"), SEALED_ANNO_SKIP_OWNER));
	for (i = 0; secret_meta_order[i]; i++) {
		const char *k = secret_meta_order[i];
		struct doc *c = NULL;
		if (!strcmp(k, "name"))
			c = name ? doc_new_strz(name) : NULL; /* forced to the SealedSecret's */
		else if (!strcmp(k, "namespace"))
			c = ns && *ns ? doc_new_strz(ns) : NULL;
		else if (!strcmp(k, "creationTimestamp") || !strcmp(k, "ownerReferences") ||
		         !strcmp(k, "resourceVersion") || !strcmp(k, "uid") ||
		         !strcmp(k, "selfLink") || !strcmp(k, "generation") ||
		         !strcmp(k, "managedFields") || !strcmp(k, "deletionTimestamp") ||
		         !strcmp(k, "deletionGracePeriodSeconds"))
			continue; /* the server's fields: a create that carries them fails */
		else if ((v = doc_get(tmeta, k)) && doc_kind(v) != DOC_NULL)
			c = doc_clone(v);
		if (c && (rc = doc_set(meta, k, c)) < 0)
			goto out;
		if (!strcmp(k, "annotations") && !(skip && !strcmp(skip, "true"))) {
			/* ownerReferences after annotations, in Go's order */
			const char *uid = doc_str(doc_getp(ss, "metadata", "uid", NULL));
			if (!(refs = doc_new_seq()) || !(ref = doc_new_map()) ||
			    (rc = doc_set(ref, "apiVersion", doc_new_strz(SEALED_API_VERSION))) <
			        0 ||
			    (rc = doc_set(ref, "kind", doc_new_strz("SealedSecret"))) < 0 ||
			    (rc = doc_set(ref, "name", doc_new_strz(name ? name : ""))) < 0 ||
			    (rc = doc_set(ref, "uid", doc_new_strz(uid ? uid : ""))) < 0 ||
			    (rc = doc_set(ref, "controller", doc_new_bool(1))) < 0 ||
			    (rc = doc_push(refs, ref)) < 0)
				goto out;
			ref = NULL;
			if ((rc = doc_set(meta, "ownerReferences", refs)) < 0)
				goto out;
			refs = NULL;
		}
	}
	for (i = 0; i < items->n; i++) {
		struct doc *d;
		buf_reset(&b);
		if ((rc = base64_encode(&b, items->vals[i].p, items->vals[i].len, B64_PAD)) < 0)
			goto out;
		if (!(d = doc_new_str(b.p, b.len))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		doc_set_flags(d, DOC_SECRET);
		if ((rc = doc_set(data, items->keys[i], d)) < 0)
			goto out;
	}
	doc_sort_keys(data, 0);
	if ((rc = doc_set(sec, "kind", doc_new_strz("Secret"))) < 0 ||
	    (rc = doc_set(sec, "apiVersion", doc_new_strz("v1"))) < 0 ||
	    (rc = doc_set(sec, "metadata", meta)) < 0)
		goto out;
	meta = NULL;
	if ((v = doc_getp(ss, "spec", "template", "immutable", NULL)) && doc_kind(v) == DOC_BOOL &&
	    (rc = doc_set(sec, "immutable", doc_clone(v))) < 0)
		goto out;
	if ((rc = doc_set(sec, "data", data)) < 0)
		goto out;
	data = NULL;
	if ((v = doc_getp(ss, "spec", "template", "type", NULL)) && doc_str(v) && *doc_str(v) &&
	    (rc = doc_set(sec, "type", doc_clone(v))) < 0)
		goto out;
	*out = sec;
	sec = NULL;
out:
	if (b.len)
		gs_wipe(b.p, b.len); /* base64 of plaintext */
	buf_release(&b);
	doc_free(ref);
	doc_free(refs);
	doc_free(data);
	doc_free(meta);
	doc_free(sec);
	return rc;
}

int sealed_unseal(struct doc **out, const struct doc *ss, struct sealed_keyset *ks,
                  const struct sealed_unseal_opts *opts, struct sealed_items *items)
{
	struct sealed_items it = SEALED_ITEMS_INIT;
	int rc;

	*out = NULL;
	if ((rc = sealed_open(&it, ss, ks, opts)) < 0)
		return rc;
	if ((rc = sealed_desired_secret(out, ss, &it)) < 0) {
		/* a template.data that does not render: which SealedSecret (the key is named
		 * already) */
		const char *ns = doc_k8s_namespace(ss), *name = doc_k8s_name(ss);
		gs_error_prefix(rc, "SealedSecret %s%s%s", ns ? ns : "", ns ? "/" : "",
		                name ? name : "");
		if (ss_what(opts))
			gs_error_prefix(rc, "%s", ss_what(opts));
	}
	if (rc >= 0 && items) {
		*items = it;
		return rc;
	}
	sealed_items_release(&it);
	return rc;
}

int sealed_verify(const struct doc *ss, struct sealed_keyset *ks,
                  const struct sealed_unseal_opts *opts)
{
	struct sealed_items it = SEALED_ITEMS_INIT;
	int rc = sealed_open(&it, ss, ks, opts);
	sealed_items_release(&it);
	return rc;
}

int sealed_reseal(struct doc *ss, struct sealed_keyset *ks, const struct sealed_pubkey *pk,
                  const struct sealed_unseal_opts *opts)
{
	struct sealed_items it = SEALED_ITEMS_INIT;
	struct sealed_encryptor *e = NULL;
	struct buf label = BUF_INIT(4096), ct = BUF_INIT(BUF_MAX_DEFAULT);
	struct doc *enc = doc_getp(ss, "spec", "encryptedData", NULL);
	size_t i;
	int rc;

	if (doc_len(doc_getp(ss, "spec", "data", NULL)))
		return serr(
		    ss_what(opts), GS_EPARSE,
		    "spec.data: re-encrypting the deprecated 'data' field is not supported");
	if ((rc = sealed_open(&it, ss, ks, opts)) < 0)
		goto out;
	if ((rc = ss_label(&label, ss, ss_what(opts))) < 0 ||
	    (rc = sealed_encryptor_new(&e, pk, label.p, label.len)) < 0)
		goto out;
	for (i = 0; i < it.n; i++) {
		buf_reset(&ct);
		if ((rc = sealed_encryptor_seal(e, &ct, it.vals[i].p, it.vals[i].len)) < 0 ||
		    (rc = doc_set_scalar(doc_get(enc, it.keys[i]), DOC_STR, ct.p, ct.len)) < 0)
			goto out;
	}
	rc = 0;
out:
	sealed_encryptor_free(e);
	sealed_items_release(&it);
	buf_release(&label);
	buf_release(&ct);
	return rc;
}
