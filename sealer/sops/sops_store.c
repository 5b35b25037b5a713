/* SOPS stores: YAML (multi-document), JSON, dotenv, INI and binary, read and written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "sealer/sops/sops.h"
#include "sealer/sops/sops_int.h"

void sops_file_release(struct sops_file *f)
{
	size_t i;
	for (i = 0; i < f->ndocs; i++)
		doc_free(f->docs[i]);
	free(f->docs);
	sops_cmt_plan_free(f->cmt);
	sops_meta_release(&f->meta);
	free(f->name);
	memset(f, 0, sizeof(*f));
}

static int add_doc(struct sops_file *f, struct doc *d)
{
	struct doc **n = realloc(f->docs, (f->ndocs + 1) * sizeof(*n));
	if (!n) {
		doc_free(d);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	f->docs = n;
	f->docs[f->ndocs++] = d;
	return 0;
}

/* --- flat stores: stores/flatten.go --- */

int sops__flatten(struct buf *out, const struct doc *n, const char *prefix, const char *sep_kv,
                  int ini)
{
	struct buf key = BUF_INIT(4096);
	size_t i;
	int rc = 0;
	if (doc_kind(n) == DOC_MAP || doc_kind(n) == DOC_SEQ) {
		for (i = 0; i < doc_len(n) && rc == 0; i++) {
			buf_reset(&key);
			if (doc_kind(n) == DOC_MAP) {
				const char *k = doc_text(doc_key_at(n, i), NULL);
				if (prefix[0])
					buf_addf(&key, "%s__map_%s", prefix, k);
				else
					buf_adds(&key, k);
			} else {
				buf_addf(&key, "%s__list_%zu", prefix, i);
			}
			rc = sops__flatten(out, doc_val_at(n, i), key.p, sep_kv, ini);
		}
		buf_release(&key);
		return rc;
	}
	if (doc_kind(n) == DOC_NULL)
		return 0;
	{
		size_t len = 0;
		const char *v = doc_text(n, &len);
		if ((rc = buf_addf(out, "%s%s%s", ini ? "" : "sops_", prefix, sep_kv)) < 0)
			return rc;
		for (i = 0; i < len && rc == 0; i++)
			rc = v[i] == '\n' ? buf_add(out, "\\n", 2) : buf_addc(out, v[i]);
		return rc < 0 ? rc : buf_addc(out, '\n');
	}
}

#define SOPS_FLAT_LIST_MAX 10000

/* Set "age__list_0__map_enc" = val in root, creating the maps and lists on the way. */
int sops__unflatten_set(struct doc *root, const char *key, size_t keylen, const char *val,
                        size_t vallen, size_t *budget)
{
	struct doc *cur = root;
	const char *p = key, *end = key + keylen;
	struct buf comp = BUF_INIT(4096), v = BUF_INIT(BUF_MAX_DEFAULT);
	int is_list = 0, rc = 0;
	size_t i;

	for (i = 0; i < vallen; i++) /* "\n" escapes back to newlines */
		if (val[i] == '\\' && i + 1 < vallen && val[i + 1] == 'n')
			buf_addc(&v, '\n'), i++;
		else
			buf_addc(&v, val[i]);
	for (;;) {
		const char *sep = NULL, *q;
		int next_list = 0;
		for (q = p; q + 7 <= end; q++)
			if (!memcmp(q, "__map_", 6)) {
				sep = q;
				break;
			} else if (!memcmp(q, "__list_", 7)) {
				sep = q, next_list = 1;
				break;
			}
		buf_reset(&comp);
		buf_add(&comp, p, (size_t)((sep ? sep : end) - p));
		if (is_list) {
			char *e = NULL;
			size_t idx = strtoul(comp.p, &e, 10);
			/* indices come in text order (list_10 before list_2), so gaps are allowed,
			 * not huge ones */
			if (!comp.len || *e || comp.p[0] == '-' || idx >= SOPS_FLAT_LIST_MAX) {
				rc = gs_error(GS_EPARSE, "sops metadata: %.*s: bad list index",
				              (int)keylen, key);
				goto out;
			}
			if (doc_kind(cur) != DOC_SEQ) {
				rc = gs_error(GS_EPARSE, "sops metadata: %.*s: mixed list and map",
				              (int)keylen, key);
				goto out;
			}
			while (doc_len(cur) <= idx && *budget) {
				--*budget;
				doc_push(cur, sep ? (next_list ? doc_new_seq() : doc_new_map())
				                  : doc_new_null());
			}
			if (doc_len(cur) <= idx) {
				rc = gs_error(GS_EPARSE, "sops metadata: %.*s: too many list items",
				              (int)keylen, key);
				goto out;
			}
			if (!sep) {
				struct doc *leaf = doc_val_at(cur, idx);
				doc_set_scalar(leaf, DOC_STR, v.p, v.len);
				goto out;
			}
			cur = doc_val_at(cur, idx);
		} else {
			struct doc *child;
			if (doc_kind(cur) != DOC_MAP) {
				rc = gs_error(GS_EPARSE, "sops metadata: %.*s: mixed list and map",
				              (int)keylen, key);
				goto out;
			}
			if (!sep) {
				doc_set(cur, comp.p, doc_new_str(v.p, v.len));
				goto out;
			}
			if (!(child = doc_get(cur, comp.p))) {
				child = next_list ? doc_new_seq() : doc_new_map();
				doc_set(cur, comp.p, child);
			}
			cur = child;
		}
		is_list = next_list;
		p = sep + (next_list ? 7 : 6);
	}
out:
	buf_release(&comp);
	buf_release(&v);
	return rc;
}

/* --- dotenv and INI --- */

static int parse_flat(struct sops_file *f, const char *data, size_t len, int ini, struct doc **meta)
{
	struct doc *root = doc_new_map(), *sec = NULL, *m = doc_new_map();
	const char *p = data, *end = data + len;
	unsigned line = 0;
	int rc = 0, in_sops = 0;
	size_t budget = 100000; /* list items in the metadata */

	if (!root || !m) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *eq, *ks,
		           *ke, *vs, *ve;
		line++;
		ks = p;
		p = nl ? nl + 1 : end;
		if (le > ks && le[-1] == '\r')
			le--;
		if (ini)
			while (ks < le && (*ks == ' ' || *ks == '\t'))
				ks++;
		if (ks == le || *ks == '#' || (ini && *ks == ';'))
			continue; /* comments are not part of the tree */
		if (ini && *ks == '[') {
			const char *close = memchr(ks, ']', (size_t)(le - ks));
			if (!close) {
				rc = gs_error(GS_EPARSE, "%s:%u: unclosed section header", f->name,
				              line);
				goto out;
			}
			in_sops = close - ks - 1 == 4 && !memcmp(ks + 1, "sops", 4);
			if (!in_sops) {
				struct doc *s = doc_new_map();
				char name[1024];
				snprintf(name, sizeof(name), "%.*s", (int)(close - ks - 1), ks + 1);
				if (!(sec = doc_get(root, name))) {
					doc_set(root, name, s);
					sec = s;
				} else {
					doc_free(s);
				}
			}
			continue;
		}
		if (!(eq = memchr(ks, '=', (size_t)(le - ks)))) {
			rc = gs_error(GS_EPARSE, "%s:%u: invalid %s input line (no '=')", f->name,
			              line, ini ? "ini" : "dotenv");
			goto out;
		}
		ke = eq;
		vs = eq + 1;
		ve = le;
		if (ini) {
			while (ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			while (vs < ve && (*vs == ' ' || *vs == '\t'))
				vs++;
			while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
		}
		if (ini ? in_sops : (ke - ks > 5 && !memcmp(ks, "sops_", 5))) {
			const char *k = ini ? ks : ks + 5;
			if ((rc = sops__unflatten_set(m, k, (size_t)(ke - k), vs, (size_t)(ve - vs),
			                              &budget)) < 0)
				goto out;
			continue;
		}
		{
			struct doc *target = root;
			struct doc *v;
			char key[4096];
			struct buf val = BUF_INIT_SECRET(BUF_MAX_DEFAULT);
			const char *q;
			if (ini) {
				if (!sec) {
					if (!(sec = doc_get(root, "DEFAULT"))) {
						sec = doc_new_map();
						doc_set(root, "DEFAULT", sec);
					}
				}
				target = sec;
			}
			for (q = vs; q < ve; q++)
				if (*q == '\\' && q + 1 < ve && q[1] == 'n')
					buf_addc(&val, '\n'), q++;
				else
					buf_addc(&val, *q);
			v = doc_new_str(val.p, val.len);
			buf_release(&val);
			if (v)
				doc_set_flags(v, DOC_SECRET);
			snprintf(key, sizeof(key), "%.*s", (int)(ke - ks), ks);
			if (!v || doc_set(target, key, v) < 0) {
				doc_free(v);
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
out:
	if (rc < 0 || doc_len(m) == 0) {
		doc_free(m);
		m = NULL;
	}
	*meta = m;
	if (rc < 0) {
		doc_free(root);
		return rc;
	}
	return add_doc(f, root);
}

static int emit_flat(struct buf *out, const struct doc *root, const struct doc *meta, int ini)
{
	size_t i, j, k;
	int rc = 0;
	for (i = 0; i < doc_len(root) && rc == 0; i++) {
		const struct doc *key = doc_key_at(root, i), *v = doc_val_at(root, i);
		const struct doc *sec = ini ? v : NULL;
		size_t n = ini ? doc_len(v) : 1;
		if (ini) {
			if (doc_kind(v) != DOC_MAP)
				return gs_error(GS_EINVAL,
				                "ini: top-level value %s must be a section",
				                doc_text(key, NULL));
			if (strcmp(doc_text(key, NULL), "DEFAULT") || i > 0)
				rc = buf_addf(out, "%s[%s]\n", out->len ? "\n" : "",
				              doc_text(key, NULL));
		}
		for (j = 0; j < n && rc == 0; j++) {
			const struct doc *kk = ini ? doc_key_at(sec, j) : key,
			                 *vv = ini ? doc_val_at(sec, j) : v;
			size_t len = 0;
			const char *t;
			if (!doc_is_scalar(vv))
				return gs_error(GS_EINVAL,
				                "cannot use complex value in %s: offending key %s",
				                ini ? "ini" : "dotenv", doc_text(kk, NULL));
			t = doc_kind(vv) == DOC_NULL ? "" : doc_text(vv, &len);
			if (doc_kind(vv) == DOC_NULL)
				len = 0;
			rc = buf_addf(out, "%s%s", doc_text(kk, NULL), ini ? " = " : "=");
			for (k = 0; k < len && rc == 0; k++)
				rc = t[k] == '\n' ? buf_add(out, "\\n", 2) : buf_addc(out, t[k]);
			if (rc == 0)
				rc = buf_addc(out, '\n');
		}
	}
	if (rc == 0 && meta) {
		if (ini)
			rc = buf_adds(out, out->len ? "\n[sops]\n" : "[sops]\n");
		if (rc == 0)
			rc = sops__flatten(out, meta, "", ini ? " = " : "=", ini);
	}
	return rc;
}

/* --- load --- */

static int load(struct sops_file *f, const char *name, const char *data, size_t len,
                enum sops_format fmt, int plain)
{
	struct doc_stream st = DOC_STREAM_INIT;
	struct doc *meta = NULL;
	size_t i;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	f->fmt = fmt;
	if (!(f->name = strdup(name ? name : "-")))
		return gs_error(GS_ENOMEM, "out of memory");
	switch (fmt) {
	case SOPS_FMT_BINARY:
		if (plain) {
			struct doc *root = doc_new_map(), *v = doc_new_str(data, len);
			if (v)
				doc_set_flags(v, DOC_SECRET);
			if (!root || !v || doc_set(root, "data", v) < 0) {
				doc_free(root);
				doc_free(v);
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			rc = add_doc(f, root);
			goto out;
		}
		/* the encrypted form is JSON */
		/* fallthrough */
	case SOPS_FMT_JSON:
	case SOPS_FMT_YAML: {
		unsigned flags =
		    (fmt != SOPS_FMT_YAML ? DOC_PARSE_JSON : 0) | (plain ? DOC_PARSE_SECRET : 0);
		if ((rc = doc_parse(&st, f->name, data, len, flags, NULL)) < 0) {
			rc = gs_error_prefix(sops_error_exit(rc, SOPS_EXIT_READ_INPUT),
			                     "Error unmarshalling input %s",
			                     fmt == SOPS_FMT_YAML ? "YAML" : "json");
			goto out;
		}
		for (i = 0; i < st.n; i++) {
			struct doc *d = st.docs[i];
			st.docs[i] = NULL;
			if (!d && fmt == SOPS_FMT_YAML)
				d = doc_new_map(); /* an empty document is an empty branch */
			if (doc_kind(d) != DOC_MAP) {
				rc = gs_error(SOPS_ERR(GS_EPARSE, SOPS_EXIT_READ_INPUT),
				              "%s:%u: Error unmarshalling input %s: the document "
				              "must be a map",
				              f->name, doc_line(d),
				              fmt == SOPS_FMT_YAML ? "YAML" : "json");
				doc_free(d);
				goto out;
			}
			if (i == 0)
				meta = doc_take(d, "sops");
			else if (!plain)
				doc_free(doc_take(d, "sops")); /* each document carries a copy; the
				                                  first one counts */
			else if (doc_get(d, "sops"))
				meta = doc_take(d, "sops");
			if ((rc = add_doc(f, d)) < 0)
				goto out;
		}
		if (fmt == SOPS_FMT_BINARY && !plain && f->ndocs == 1 &&
		    !doc_get(f->docs[0], "data") && meta) {
			rc = gs_error(GS_EPARSE, "%s: binary store: no data key", f->name);
			goto out;
		}
		break;
	}
	case SOPS_FMT_DOTENV:
	case SOPS_FMT_INI:
		if ((rc = parse_flat(f, data, len, fmt == SOPS_FMT_INI, &meta)) < 0) {
			rc = sops_error_exit(rc, SOPS_EXIT_READ_INPUT);
			goto out;
		}
		break;
	}
	if (f->ndocs == 0 && fmt != SOPS_FMT_YAML) {
		rc = gs_error(GS_EPARSE, "%s: empty input", f->name);
		goto out;
	}
	if (plain) {
		if (f->ndocs == 0) {
			rc = gs_error(SOPS_ERR(GS_EPARSE, SOPS_EXIT_EMPTY_FILE),
			              "%s: File cannot be completely empty, it must contain at "
			              "least one document",
			              f->name);
		} else if (meta) {
			rc = gs_error(SOPS_ERR(GS_ECONFLICT, SOPS_EXIT_ALREADY_ENCRYPTED),
			              "File already encrypted: %s contains a top-level entry "
			              "called 'sops', or for "
			              "flat file formats top-level entries starting with 'sops_'. "
			              "This is generally due to the "
			              "file already being encrypted. If this is an unencrypted "
			              "file, rename the 'sops' entry. "
			              "If this is an encrypted file and you want to edit it, use "
			              "the editor mode, for example: "
			              "`gitseal sops edit %s`",
			              f->name, f->name);
		}
		goto out;
	}
	if (!meta) {
		rc = gs_error(GS_ENOTFOUND, "%s: sops metadata not found", f->name);
		goto out;
	}
	if ((rc = sops__meta_parse(&f->meta, meta, f->name)) < 0) {
		rc = sops_error_exit(rc, SOPS_EXIT_GENERIC);
		goto out;
	}
	f->has_meta = 1;
out:
	doc_free(meta);
	doc_stream_release(&st);
	if (rc < 0)
		sops_file_release(f);
	return rc;
}

int sops_file_load(struct sops_file *f, const char *name, const char *data, size_t len,
                   enum sops_format fmt)
{
	return load(f, name, data, len, fmt, 0);
}

int sops_file_load_plain(struct sops_file *f, const char *name, const char *data, size_t len,
                         enum sops_format fmt)
{
	return load(f, name, data, len, fmt, 1);
}

/* --- emit --- */

/* Go's json.MarshalIndent with a tab: our emitter writes one space per level, turned into tabs. */
static int spaces_to_tabs(struct buf *out, size_t from)
{
	size_t i = from, o = from;
	int bol = 1;
	while (i < out->len) {
		char c = out->p[i++];
		if (bol && c == ' ') {
			out->p[o++] = '\t';
			continue;
		}
		bol = c == '\n';
		out->p[o++] = c;
	}
	buf_truncate(out, o);
	return 0;
}

int sops_file_emit(struct buf *out, const struct sops_file *f, enum sops_format fmt, int with_meta,
                   int indent)
{
	struct doc *meta = NULL;
	size_t i, start = out->len;
	int rc = 0;

	if (with_meta &&
	    (rc = sops__meta_to_doc(&meta, &f->meta,
	                            fmt == SOPS_FMT_YAML ? SOPS_FMT_YAML : SOPS_FMT_JSON)) < 0)
		return rc;
	switch (fmt) {
	case SOPS_FMT_YAML: {
		struct doc_emit_opts o = { indent ? indent : 4, DOC_EMIT_SEQ_INDENT };
		for (i = 0; i < f->ndocs && rc == 0; i++)
			if (meta)
				rc = doc_set(f->docs[i], "sops", doc_clone(meta));
		if (rc == 0)
			rc = f->ndocs ? doc_emit_stream_yaml(out, f->docs, f->ndocs, &o) : 0;
		for (i = 0; i < f->ndocs && meta; i++)
			doc_free(doc_take(f->docs[i], "sops"));
		break;
	}
	case SOPS_FMT_JSON:
	case SOPS_FMT_BINARY: {
		struct doc_emit_opts o = { indent ? indent : 1, 0 };
		if (fmt == SOPS_FMT_BINARY && !with_meta) {
			size_t len = 0;
			const char *d = doc_text(doc_get(f->docs[0], "data"), &len);
			if (!d) {
				rc = gs_error(GS_EPARSE, "%s: binary store: no data key", f->name);
				break;
			}
			rc = buf_add(out, d, len);
			break;
		}
		if (f->ndocs != 1) {
			rc = gs_error(
			    GS_EINVAL,
			    "%s: json output needs exactly one document (this file has %zu)",
			    f->name, f->ndocs);
			break;
		}
		if (meta && (rc = doc_set(f->docs[0], "sops", doc_clone(meta))) < 0)
			break;
		rc = doc_emit_json(out, f->docs[0], &o);
		if (meta)
			doc_free(doc_take(f->docs[0], "sops"));
		if (rc == 0 && !indent)
			rc = spaces_to_tabs(out, start);
		if (rc == 0 && (out->len == start || out->p[out->len - 1] != '\n'))
			rc = buf_addc(out, '\n');
		break;
	}
	case SOPS_FMT_DOTENV:
	case SOPS_FMT_INI:
		if (f->ndocs != 1) {
			rc = gs_error(GS_EINVAL, "%s: %s output needs exactly one document",
			              f->name, sops_format_name(fmt));
			break;
		}
		rc = emit_flat(out, f->docs[0], meta, fmt == SOPS_FMT_INI);
		break;
	}
	doc_free(meta);
	if (rc < 0) {
		buf_truncate(out, start);
		rc = sops_error_exit_default(rc, SOPS_EXIT_DUMPING_TREE);
	}
	return rc;
}

int sops_check_not_encrypted(const struct sops_file *f)
{
	size_t i;
	for (i = 0; i < f->ndocs; i++)
		if (doc_get(f->docs[i], "sops")) {
			return gs_error(SOPS_ERR(GS_ECONFLICT, SOPS_EXIT_ALREADY_ENCRYPTED),
			                "File already encrypted: %s has a top-level 'sops' entry",
			                f->name);
		}
	return 0;
}
