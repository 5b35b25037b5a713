/*
 * The SealedSecrets of one file (gitseal rotate, gitseal reseal): each is kept unless it must
 * change (rotate: it does not open with the newest key; reseal: always), re-sealed for the
 * newest certificate, checked, and its new values written over the old ones in the file's own
 * bytes (quoting kept), so the diff shows only the values. A file whose values cannot be
 * replaced in place (block scalars, concatenated JSON values) is written anew.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "keys/keys.h"
#include "rotate/rotate_int.h"

struct span {
	size_t start, end;
	const struct doc *node;
	enum doc_style style;
};

struct spans {
	struct span *s;
	size_t n, cap;
	int reemit; /* a value cannot be replaced in place */
};

/* Where ss's encryptedData values are in text. */
static int collect(struct spans *sp, const struct doc *ss, const char *text, size_t len)
{
	const struct doc *enc = doc_getp(ss, "spec", "encryptedData", NULL);
	size_t i;
	for (i = 0; i < doc_len(enc); i++) {
		const struct doc *v = doc_val_at(enc, i);
		struct span s;
		s.node = v;
		s.start = doc_start(v).offset;
		s.end = doc_end(v).offset;
		s.style = doc_style(v);
		if (s.end <= s.start || s.end > len ||
		    (s.style != DOC_STYLE_PLAIN && s.style != DOC_STYLE_DOUBLE &&
		     s.style != DOC_STYLE_SINGLE) ||
		    (s.style == DOC_STYLE_DOUBLE &&
		     (text[s.start] != '"' || text[s.end - 1] != '"')) ||
		    (s.style == DOC_STYLE_SINGLE &&
		     (text[s.start] != '\'' || text[s.end - 1] != '\''))) {
			sp->reemit = 1;
			continue;
		}
		if (sp->n == sp->cap) {
			struct span *n =
			    realloc(sp->s, (sp->cap = sp->cap ? 2 * sp->cap : 64) * sizeof(*n));
			if (!n)
				return gs_error(GS_ENOMEM, "out of memory");
			sp->s = n;
		}
		sp->s[sp->n++] = s;
	}
	return 0;
}

static int append(struct spans *to, const struct spans *from)
{
	size_t k;
	for (k = 0; k < from->n; k++) {
		if (to->n == to->cap) {
			struct span *n =
			    realloc(to->s, (to->cap = to->cap ? 2 * to->cap : 64) * sizeof(*n));
			if (!n)
				return gs_error(GS_ENOMEM, "out of memory");
			to->s = n;
		}
		to->s[to->n++] = from->s[k];
	}
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int splice(struct buf *out, struct spans *sp, const char *name, const char *text, size_t len)
{
	size_t i, pos = 0;
	int rc;
	qsort(sp->s, sp->n, sizeof(*sp->s), cmp_span);
	for (i = 0; i < sp->n; i++) {
		const char *q = sp->s[i].style == DOC_STYLE_DOUBLE   ? "\""
		                : sp->s[i].style == DOC_STYLE_SINGLE ? "'"
		                                                     : "";
		if (sp->s[i].start < pos)
			return gs_error(GS_EPARSE, "%s: overlapping values", name);
		if ((rc = buf_add(out, text + pos, sp->s[i].start - pos)) < 0 ||
		    (rc = buf_addf(out, "%s%s%s", q, doc_str(sp->s[i].node), q)) < 0)
			return rc;
		pos = sp->s[i].end;
	}
	return buf_add(out, text + pos, len - pos);
}

/* The documents anew (kubeseal's layout, the file's format). */
static int reemit(struct buf *out, struct doc *const *docs, size_t n, int json, int doc_start)
{
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	size_t i;
	int rc;
	for (i = 0; i < n; i++) {
		if (!docs[i])
			continue;
		if (json) {
			eo.flags = DOC_EMIT_JSON_HTML_ESCAPE;
			if ((rc = doc_emit_json(out, docs[i], &eo)) < 0 ||
			    (rc = buf_addc(out, '\n')) < 0)
				return rc;
		} else {
			eo.flags = DOC_EMIT_SORT_KEYS | (doc_start ? DOC_EMIT_DOC_START : 0);
			if ((rc = doc_emit_yaml(out, docs[i], &eo)) < 0)
				return rc;
		}
	}
	return 0;
}

/* The controller's answer must be the same SealedSecret with new values: take those. */
static int take_online(struct doc *ss, const struct doc *got, const char *what)
{
	struct doc *enc = doc_getp(ss, "spec", "encryptedData", NULL);
	const struct doc *genc = doc_getp(got, "spec", "encryptedData", NULL);
	const char *n1 = doc_k8s_name(ss), *n2 = doc_k8s_name(got);
	const char *s1 = doc_k8s_namespace(ss), *s2 = doc_k8s_namespace(got);
	size_t i;
	int rc;

	if (!sealed_is_sealedsecret(got) || doc_len(genc) != doc_len(enc) ||
	    (n1 && (!n2 || strcmp(n1, n2))) || (s1 && (!s2 || strcmp(s1, s2))) ||
	    sealed_scope_of(got) != sealed_scope_of(ss))
		return gs_error(
		    GS_EPARSE, "%s: the controller's re-sealed SealedSecret is not the same object",
		    what);
	for (i = 0; i < doc_len(enc); i++) {
		size_t kl = 0;
		const char *k = doc_text(doc_key_at(enc, i), &kl);
		const struct doc *v = doc_getn(genc, k, kl);
		if (!doc_str(v) || doc_len(v) < 16)
			return gs_error(GS_EPARSE,
			                "%s: the controller's answer lacks spec.encryptedData.%s",
			                what, k);
		if ((rc = doc_set_scalar(doc_val_at(enc, i), DOC_STR, doc_str(v), doc_len(v))) < 0)
			return rc;
	}
	return 0;
}

/*
 * One SealedSecret: 1 re-sealed (in place), 0 left as it is, 2 skipped (no key opens it and
 * skip_unopened), < 0 error.
 */
static int one(struct rotate_sealed_ctx *ctx, struct doc *ss, const char *what)
{
	const struct rotate_opts *o = ctx->o;
	struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
	struct sealed_keyset ks;
	int rc;

	uo.what = what;
	if (o->online) {
		struct doc *got = NULL;
		if ((rc = o->online(o->online_ctx, ss, &got)) < 0) {
			if (sops_error_class(rc) == GS_EAUTH && o->skip_unopened) {
				gs_error_clear();
				return 2;
			}
			return gs_error_prefix(rc, "%s", what);
		}
		if (!got)
			return 0;
		rc = take_online(ss, got, what);
		doc_free(got);
		return rc < 0 ? rc : 1;
	}
	if (!o->always && ctx->newkey) {
		if ((rc = sealed_opens_with(ss, ctx->newkey, 0, &uo)) < 0)
			return rc;
		if (rc == 1)
			return 0;
	}
	ks = ctx->set;
	ks.used = 0;
	rc = sealed_reseal(ss, &ks, ctx->cert, &uo);
	if (rc >= 0)
		ctx->set.hint = ks.hint; /* the next one likely opens with the same key */
	if (rc == GS_EAUTH && o->skip_unopened) {
		gs_error_clear();
		return 2;
	}
	if (rc < 0)
		return rc;
	/* the check: it opens with the newest key (item 0: every item was sealed by one
	 * encryptor, for one label, in the same pass) */
	if (ctx->newkey && (rc = sealed_opens_with(ss, ctx->newkey, 1, &uo)) != 1)
		return rc < 0 ? rc
		              : gs_error(GS_EAUTH,
		                         "%s: the re-sealed SealedSecret does not open with "
		                         "the newest key",
		                         what);
	return 1;
}

int rotate__sealed_file(struct buf *out, struct rotate_result *res, struct rotate_sealed_ctx *ctx,
                        const char *name, const char *text, size_t len)
{
	struct doc_list l = DOC_LIST_INIT;
	struct spans sp = { NULL, 0, 0, 0 };
	size_t i, j, skipped = 0;
	int rc, json;

	memset(res, 0, sizeof(*res));
	res->kind = ROTATE_SEALED;
	if (!memmem(text, len, "SealedSecret", 12))
		return 0;
	json = doc_manifests_are_json(text, len);
	if ((rc = doc_read_manifests(&l, name, text, len, DOC_MANIFEST_AS_WRITTEN)) < 0)
		goto out;
	if (json && l.n > 1)
		sp.reemit = 1; /* concatenated JSON values: offsets are per value */
	for (i = 0; i < l.n; i++) {
		struct doc *d = l.objs[i];
		const struct doc *items = doc_get(d, "items");
		size_t n = sealed_is_sealedsecret(d)    ? 1
		           : doc_kind(items) == DOC_SEQ ? doc_len(items)
		                                        : 0;
		for (j = 0; j < n; j++) {
			struct doc *ss = sealed_is_sealedsecret(d) ? d : doc_val_at(items, j);
			struct spans mine = { NULL, 0, 0, 0 };
			char what[512];
			if (!sealed_is_sealedsecret(ss))
				continue;
			res->objects++;
			if (l.n > 1 || n > 1)
				snprintf(what, sizeof(what), "%s: SealedSecret %s/%s", name,
				         doc_k8s_namespace(ss) ? doc_k8s_namespace(ss) : "",
				         doc_k8s_name(ss) ? doc_k8s_name(ss) : "");
			else
				snprintf(what, sizeof(what), "%s", name);
			if ((rc = collect(&mine, ss, text, len)) < 0 ||
			    (rc = one(ctx, ss, what)) < 0) {
				free(mine.s);
				goto out;
			}
			if (rc == 2) {
				skipped++;
			} else if (rc == 1) {
				res->changed++;
				sp.reemit |= mine.reemit;
				rc = append(&sp, &mine);
			}
			free(mine.s);
			if (rc < 0)
				goto out;
		}
	}
	rc = 0;
	if (!res->objects)
		goto out;
	if (!res->changed) {
		res->action = skipped ? ROTATE_SKIPPED : ROTATE_CURRENT;
		snprintf(res->why, sizeof(res->why), "%s",
		         skipped ? "no key given opens it" : "opens with the newest key");
		goto out;
	}
	res->action = ROTATE_CHANGED;
	if (ctx->o->always)
		snprintf(res->why, sizeof(res->why), "re-sealed for the certificate");
	else if (res->changed == res->objects)
		snprintf(res->why, sizeof(res->why), "sealed for an older key");
	else
		snprintf(res->why, sizeof(res->why), "%zu of %zu sealed for an older key",
		         res->changed, res->objects);
	rc = sp.reemit ? reemit(out, l.objs, l.n, json, !json) : splice(out, &sp, name, text, len);
out:
	free(sp.s);
	doc_list_release(&l);
	return rc;
}
