/*
 * template.data: the safe subset of Go text/template + sprig that Sealed
 * Secrets users actually write. The dot is the map of decrypted values
 * (map[string]string in upstream), so:
 *
 *   {{ .key }}  {{ index . "a.b" }}  {{ toJson .x }}  {{ .x | b64enc }}
 *   {{ b64enc .x }}  {{ print .a "-" .b }}  {{- trim markers -}}  and comment actions
 *
 * Functions: index, print, toJson, b64enc, b64dec, upper, lower, trim,
 * quote, squote. Anything else (if/range/with/define/template/block,
 * variables, numbers, other functions) is an error that names the construct,
 * so the SealedSecret gets Synced=False with a useful message.
 *
 * Values are plaintext: every intermediate lives in a secret buffer, and no
 * error message ever contains a value (only template source, which is not
 * secret: it sits in Git in the clear).
 */
#include "sealer/sealed/sealed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/text.h"
#include "doc/doc.h"

enum tv_kind { TV_NONE, TV_STR, TV_DOT };

struct tv {
	enum tv_kind kind;
	struct buf s;
};

struct tpl {
	const char *name; /* the data key being rendered, for messages */
	const struct sealed_kv *vals;
	size_t nvals;
	const char *src;
	const char *p, *end; /* the current action */
};

#define TV_MAX ((size_t)16 << 20)

static void tv_init(struct tv *v)
{
	v->kind = TV_NONE;
	buf_init(&v->s, TV_MAX, 1);
}

static void tv_release(struct tv *v)
{
	buf_release(&v->s);
	v->kind = TV_NONE;
}

static unsigned tpl_line(const struct tpl *t, const char *at)
{
	unsigned line = 1;
	const char *q;
	for (q = t->src; q < at; q++)
		line += *q == '\n';
	return line;
}

static int tpl_err(const struct tpl *t, const char *fmt, const char *what, size_t n)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, (int)(n > 60 ? 60 : n), what);
	return gs_error(GS_EINVAL, "template.data %s:%u: %s", t->name, tpl_line(t, t->p), msg);
}

static int is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_ws(struct tpl *t)
{
	while (t->p < t->end && is_space(*t->p))
		t->p++;
}

static const struct sealed_kv *lookup(const struct tpl *t, const char *k, size_t n)
{
	size_t i;
	for (i = 0; i < t->nvals; i++)
		if (strlen(t->vals[i].key) == n && !memcmp(t->vals[i].key, k, n))
			return &t->vals[i];
	return NULL;
}

static int cmp_kv(const void *a, const void *b)
{
	const struct sealed_kv *const *x = a, *const *y = b;
	return strcmp((*x)->key, (*y)->key);
}

static int dot_sorted(const struct tpl *t, const struct sealed_kv ***out)
{
	size_t i;
	const struct sealed_kv **v = calloc(t->nvals + 1, sizeof(*v));
	if (!v)
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < t->nvals; i++)
		v[i] = &t->vals[i];
	qsort(v, t->nvals, sizeof(*v), cmp_kv);
	*out = v;
	return 0;
}

/* How a value prints: strings as they are, the dot as map[k:v ...]. */
static int tv_print(const struct tpl *t, struct buf *out, const struct tv *v)
{
	const struct sealed_kv **sorted = NULL;
	size_t i;
	int rc = 0;

	if (v->kind == TV_STR)
		return buf_add(out, v->s.p, v->s.len);
	if (v->kind == TV_NONE)
		return buf_adds(out, "<no value>");
	if ((rc = dot_sorted(t, &sorted)) < 0)
		return rc;
	rc = buf_adds(out, "map[");
	for (i = 0; rc >= 0 && i < t->nvals; i++) {
		rc = buf_addf(out, "%s%s:", i ? " " : "", sorted[i]->key);
		if (rc >= 0)
			rc = buf_add(out, sorted[i]->val, sorted[i]->len);
	}
	free(sorted);
	return rc < 0 ? rc : buf_addc(out, ']');
}

static int want_str(const struct tpl *t, const char *fn, const struct tv *v)
{
	if (v->kind == TV_STR)
		return 0;
	if (v->kind == TV_NONE)
		return tpl_err(t, "error calling %.*s: invalid value; expected string", fn,
		               strlen(fn));
	return tpl_err(
	    t, "error calling %.*s: wrong type for value; expected string; got map[string]string",
	    fn, strlen(fn));
}

static int fn_tojson(const struct tpl *t, struct tv *res, const struct tv *a)
{
	const struct sealed_kv **sorted = NULL;
	size_t i;
	int rc;

	res->kind = TV_STR;
	if (a->kind == TV_NONE)
		return buf_adds(&res->s, "null");
	if (a->kind == TV_STR)
		return json_quote(&res->s, a->s.p, a->s.len, JSON_QUOTE_GO | JSON_QUOTE_HTML);
	if ((rc = dot_sorted(t, &sorted)) < 0)
		return rc;
	rc = buf_addc(&res->s, '{');
	for (i = 0; rc >= 0 && i < t->nvals; i++) {
		if (i)
			rc = buf_addc(&res->s, ',');
		if (rc >= 0)
			rc = json_quote(&res->s, sorted[i]->key, strlen(sorted[i]->key),
			                JSON_QUOTE_GO | JSON_QUOTE_HTML);
		if (rc >= 0)
			rc = buf_addc(&res->s, ':');
		if (rc >= 0)
			rc = json_quote(&res->s, sorted[i]->val, sorted[i]->len,
			                JSON_QUOTE_GO | JSON_QUOTE_HTML);
	}
	free(sorted);
	return rc < 0 ? rc : buf_addc(&res->s, '}');
}

/* Go's %q for the strings we see: escapes, invalid bytes as \x.., printable UTF-8 kept. */
static int go_quote(struct buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int rc = buf_addc(out, '"');
	while (rc >= 0 && i < n) {
		unsigned c = u[i];
		size_t len = utf8_len(u + i, n - i, NULL);
		const char *e = c == '\a'   ? "\\a"
		                : c == '\b' ? "\\b"
		                : c == '\f' ? "\\f"
		                : c == '\n' ? "\\n"
		                : c == '\r' ? "\\r"
		                : c == '\t' ? "\\t"
		                : c == '\v' ? "\\v"
		                : c == '"'  ? "\\\""
		                : c == '\\' ? "\\\\"
		                            : NULL;
		if (e) {
			rc = buf_adds(out, e);
			i++;
		} else if (c >= 0x80 && len) {
			rc = buf_add(out, s + i, len);
			i += len;
		} else if (c < 0x20 || c >= 0x7f) {
			rc = buf_addf(out, "\\x%02x", c);
			i++;
		} else {
			rc = buf_addc(out, (char)c);
			i++;
		}
	}
	return rc < 0 ? rc : buf_addc(out, '"');
}

struct tfn {
	const char *name;
	int min, max; /* argument count; max -1 = any */
};

static const struct tfn funcs[] = {
	{ "index", 1, -1 }, { "print", 0, -1 },  { "toJson", 1, 1 }, { "b64enc", 1, 1 },
	{ "b64dec", 1, 1 }, { "upper", 1, 1 },   { "lower", 1, 1 },  { "trim", 1, 1 },
	{ "quote", 0, -1 }, { "squote", 0, -1 },
};

static const char *const keywords[] = { "if",     "else",     "end",   "range", "with",
	                                "define", "template", "block", "break", "continue",
	                                "nil",    "true",     "false" };

static int call(const struct tpl *t, const struct tfn *f, struct tv *args, int nargs,
                struct tv *res)
{
	const char *fn = f->name;
	int i, rc = 0;

	if (nargs < f->min || (f->max >= 0 && nargs > f->max))
		return tpl_err(t, "wrong number of args for %.*s", fn, strlen(fn));
	res->kind = TV_STR;
	if (!strcmp(fn, "index")) {
		const struct sealed_kv *kv;
		if (args[0].kind == TV_NONE)
			return tpl_err(t, "error calling %.*s: index of untyped nil", fn,
			               strlen(fn));
		if (nargs == 1) {
			res->kind = args[0].kind;
			return buf_set(&res->s, args[0].s.p, args[0].s.len);
		}
		if (args[0].kind != TV_DOT || nargs > 2)
			return tpl_err(t, "error calling %.*s: can't index item of type string", fn,
			               strlen(fn));
		if (args[1].kind != TV_STR)
			return tpl_err(t,
			               "error calling %.*s: value has type map[string]string; "
			               "should be string",
			               fn, strlen(fn));
		kv = lookup(t, args[1].s.p, args[1].s.len);
		return kv ? buf_set(&res->s, kv->val, kv->len) : 0; /* missing key: zero value "" */
	}
	if (!strcmp(fn, "print")) {
		for (i = 0; rc >= 0 && i < nargs; i++)
			rc = args[i].kind == TV_NONE ? buf_adds(&res->s, "<nil>")
			                             : tv_print(t, &res->s, &args[i]);
		return rc;
	}
	if (!strcmp(fn, "quote") || !strcmp(fn, "squote")) {
		int first = 1;
		for (i = 0; rc >= 0 && i < nargs; i++) {
			struct buf tmp = BUF_INIT_SECRET(TV_MAX);
			if (args[i].kind == TV_NONE)
				continue; /* sprig skips nil arguments */
			if (!first)
				rc = buf_addc(&res->s, ' ');
			first = 0;
			if (rc >= 0)
				rc = tv_print(t, &tmp, &args[i]);
			if (rc >= 0 && fn[0] == 'q')
				rc = go_quote(&res->s, tmp.p, tmp.len);
			else if (rc >= 0) {
				rc = buf_addc(&res->s, '\'');
				if (rc >= 0)
					rc = buf_add(&res->s, tmp.p, tmp.len);
				if (rc >= 0)
					rc = buf_addc(&res->s, '\'');
			}
			buf_release(&tmp);
		}
		return rc;
	}
	if (!strcmp(fn, "toJson"))
		return fn_tojson(t, res, &args[0]);
	if ((rc = want_str(t, fn, &args[0])) < 0)
		return rc;
	if (!strcmp(fn, "b64enc"))
		return base64_encode(&res->s, args[0].s.p, args[0].s.len, B64_PAD);
	if (!strcmp(fn, "b64dec")) {
		/* sprig returns the error text as the value; it never holds the input */
		if (base64_decode(&res->s, args[0].s.p, args[0].s.len, B64_PAD) < 0) {
			buf_reset(&res->s);
			gs_error_clear();
			return buf_adds(&res->s, "illegal base64 data");
		}
		return 0;
	}
	if (!strcmp(fn, "upper") || !strcmp(fn, "lower")) {
		size_t j;
		if ((rc = buf_set(&res->s, args[0].s.p, args[0].s.len)) < 0)
			return rc;
		for (j = 0; j < res->s.len; j++) {
			char c = res->s.p[j];
			if (fn[0] == 'u' && c >= 'a' && c <= 'z')
				res->s.p[j] = (char)(c - 32);
			else if (fn[0] == 'l' && c >= 'A' && c <= 'Z')
				res->s.p[j] = (char)(c + 32);
		}
		return 0;
	}
	/* trim: strings.TrimSpace (ASCII white space) */
	{
		const char *b = args[0].s.p, *e = b + args[0].s.len;
		while (b < e && (is_space(*b) || *b == '\v' || *b == '\f'))
			b++;
		while (e > b && (is_space(e[-1]) || e[-1] == '\v' || e[-1] == '\f'))
			e--;
		return buf_set(&res->s, b, (size_t)(e - b));
	}
}

static int eval_pipeline(struct tpl *t, struct tv *out, int in_paren);

/* A Go string literal: "..." with escapes, or `raw`. */
static int parse_string(struct tpl *t, struct buf *out)
{
	const char *start = t->p;
	char q = *t->p++;
	int rc = 0;

	while (t->p < t->end && *t->p != q) {
		char c = *t->p++;
		if (q == '`' || c != '\\') {
			if (q == '"' && c == '\n')
				break;
			if ((rc = buf_addc(out, c)) < 0)
				return rc;
			continue;
		}
		if (t->p >= t->end)
			break;
		c = *t->p++;
		switch (c) {
		case 'a': rc = buf_addc(out, '\a'); break;
		case 'b': rc = buf_addc(out, '\b'); break;
		case 'f': rc = buf_addc(out, '\f'); break;
		case 'n': rc = buf_addc(out, '\n'); break;
		case 'r': rc = buf_addc(out, '\r'); break;
		case 't': rc = buf_addc(out, '\t'); break;
		case 'v': rc = buf_addc(out, '\v'); break;
		case '\\': rc = buf_addc(out, '\\'); break;
		case '"': rc = buf_addc(out, '"'); break;
		case 'x':
		case 'u':
		case 'U':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7': {
			int digits = c == 'x'   ? 2
			             : c == 'u' ? 4
			             : c == 'U' ? 8
			                        : 3,
			    base = c >= '0' && c <= '7' ? 8 : 16, i;
			unsigned long v = 0;
			if (base == 8)
				t->p--;
			for (i = 0; i < digits; i++, t->p++) {
				int d;
				char h = t->p < t->end ? *t->p : 0;
				d = h >= '0' && h <= '9'   ? h - '0'
				    : h >= 'a' && h <= 'f' ? h - 'a' + 10
				    : h >= 'A' && h <= 'F' ? h - 'A' + 10
				                           : 99;
				if (d >= base)
					return tpl_err(t, "invalid escape in string literal %.*s",
					               start, (size_t)(t->p - start + 1));
				v = v * (unsigned long)base + (unsigned long)d;
			}
			if (c == 'x' || base == 8) {
				if (v > 255)
					return tpl_err(t, "invalid escape in string literal %.*s",
					               start, (size_t)(t->p - start));
				rc = buf_addc(out, (char)v);
			} else {
				unsigned char u8[4];
				size_t n;
				if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
					return tpl_err(t, "invalid escape in string literal %.*s",
					               start, (size_t)(t->p - start));
				if (v < 0x80) {
					u8[0] = (unsigned char)v;
					n = 1;
				} else if (v < 0x800) {
					u8[0] = (unsigned char)(0xc0 | v >> 6);
					u8[1] = (unsigned char)(0x80 | (v & 63));
					n = 2;
				} else if (v < 0x10000) {
					u8[0] = (unsigned char)(0xe0 | v >> 12);
					u8[1] = (unsigned char)(0x80 | ((v >> 6) & 63));
					u8[2] = (unsigned char)(0x80 | (v & 63));
					n = 3;
				} else {
					u8[0] = (unsigned char)(0xf0 | v >> 18);
					u8[1] = (unsigned char)(0x80 | ((v >> 12) & 63));
					u8[2] = (unsigned char)(0x80 | ((v >> 6) & 63));
					u8[3] = (unsigned char)(0x80 | (v & 63));
					n = 4;
				}
				rc = buf_add(out, u8, n);
			}
			break;
		}
		default:
			return tpl_err(t, "invalid escape in string literal %.*s", start,
			               (size_t)(t->p - start));
		}
		if (rc < 0)
			return rc;
	}
	if (t->p >= t->end || *t->p != q)
		return tpl_err(t, "unterminated string literal %.*s", start,
		               (size_t)(t->p - start));
	t->p++;
	return 0;
}

static int at_operand_end(const struct tpl *t)
{
	return t->p >= t->end || is_space(*t->p) || *t->p == '|' || *t->p == ')';
}

/* One argument: . .a.b "s" `s` (pipeline) */
static int eval_operand(struct tpl *t, struct tv *out)
{
	const char *start = t->p;
	char c = *t->p;
	int rc;

	if (c == '"' || c == '`') {
		out->kind = TV_STR;
		return parse_string(t, &out->s);
	}
	if (c == '(') {
		t->p++;
		if ((rc = eval_pipeline(t, out, 1)) < 0)
			return rc;
		if (!at_operand_end(t))
			return tpl_err(
			    t,
			    "unsupported template construct %.*s (field of a parenthesised value)",
			    t->p, strcspn(t->p, " |)"));
		return 0;
	}
	if (c == '$')
		return tpl_err(t, "unsupported template construct: variable %.*s", start,
		               strcspn(start, " |)=:"));
	if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '\'')
		return tpl_err(t, "unsupported template construct: literal %.*s", start,
		               strcspn(start, " |)"));
	if (c != '.')
		return tpl_err(t, "unexpected %.*s in operand", start, 1);
	out->kind = TV_DOT;
	t->p++;
	if (at_operand_end(t))
		return 0;
	while (1) {
		const char *name = t->p;
		const struct sealed_kv *kv;
		if (!is_ident_start(*t->p))
			return tpl_err(t,
			               "bad field name %.*s (use index . \"key\" for keys with "
			               "other characters)",
			               start, strcspn(start, " |)"));
		while (t->p < t->end && is_ident(*t->p))
			t->p++;
		if (out->kind != TV_DOT)
			return tpl_err(t, "can't evaluate field %.*s in type string", name,
			               (size_t)(t->p - name));
		kv = lookup(t, name, (size_t)(t->p - name));
		buf_reset(&out->s);
		out->kind = kv ? TV_STR : TV_NONE;
		if (kv && (rc = buf_set(&out->s, kv->val, kv->len)) < 0)
			return rc;
		if (at_operand_end(t))
			return 0;
		if (*t->p != '.')
			return tpl_err(t,
			               "bad field name %.*s (use index . \"key\" for keys with "
			               "other characters)",
			               start, strcspn(start, " |)"));
		t->p++;
	}
}

/* A command: a function call with arguments, or one operand. */
static int eval_command(struct tpl *t, struct tv *piped, struct tv *out)
{
	struct tv args[8];
	const struct tfn *f = NULL;
	int nargs = 0, i, rc = 0;
	size_t k;

	skip_ws(t);
	if (t->p >= t->end || *t->p == '|' || *t->p == ')')
		return tpl_err(t, "missing value for command%.*s", "", 0);
	if (is_ident_start(*t->p)) {
		const char *name = t->p;
		size_t n;
		while (t->p < t->end && is_ident(*t->p))
			t->p++;
		n = (size_t)(t->p - name);
		for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
			if (strlen(keywords[k]) == n && !memcmp(keywords[k], name, n))
				return tpl_err(t, "unsupported template construct \"%.*s\"", name,
				               n);
		for (k = 0; k < sizeof(funcs) / sizeof(funcs[0]); k++)
			if (strlen(funcs[k].name) == n && !memcmp(funcs[k].name, name, n))
				f = &funcs[k];
		if (!f)
			return tpl_err(t, "unsupported template function \"%.*s\"", name, n);
		if (t->p < t->end && !at_operand_end(t))
			return tpl_err(t, "unsupported template construct %.*s", name,
			               strcspn(name, " |)"));
	}
	for (i = 0; i < 8; i++)
		tv_init(&args[i]);
	while (1) {
		skip_ws(t);
		if (t->p >= t->end || *t->p == '|' || *t->p == ')')
			break;
		if (nargs == 7) {
			rc = tpl_err(t, "too many arguments%.*s", "", 0);
			goto out;
		}
		if (is_ident_start(*t->p)) {
			rc = tpl_err(t,
			             "unsupported template construct: function %.*s as an argument "
			             "(use parentheses)",
			             t->p, strcspn(t->p, " |)"));
			goto out;
		}
		if ((rc = eval_operand(t, &args[nargs++])) < 0)
			goto out;
	}
	if (!f && (nargs > 1 || piped)) {
		rc = tpl_err(t, "can't give argument to non-function%.*s", "", 0);
		goto out;
	}
	if (!f) {
		out->kind = args[0].kind;
		rc = buf_set(&out->s, args[0].s.p, args[0].s.len);
		goto out;
	}
	if (piped) {
		args[nargs].kind = piped->kind;
		if ((rc = buf_set(&args[nargs].s, piped->s.p, piped->s.len)) < 0)
			goto out;
		nargs++;
	}
	rc = call(t, f, args, nargs, out);
out:
	for (i = 0; i < 8; i++)
		tv_release(&args[i]);
	return rc;
}

static int eval_pipeline(struct tpl *t, struct tv *out, int in_paren)
{
	struct tv acc, res;
	int have = 0, rc = 0;

	tv_init(&acc);
	tv_init(&res);
	while (1) {
		skip_ws(t);
		if (t->p < t->end && *t->p == '$') {
			rc = tpl_err(t, "unsupported template construct: variable %.*s", t->p,
			             strcspn(t->p, " |)"));
			goto out;
		}
		if ((rc = eval_command(t, have ? &acc : NULL, &res)) < 0)
			goto out;
		tv_release(&acc);
		acc = res;
		tv_init(&res);
		have = 1;
		skip_ws(t);
		if (t->p < t->end && *t->p == '|') {
			t->p++;
			continue;
		}
		break;
	}
	if (in_paren) {
		if (t->p >= t->end || *t->p != ')') {
			rc = tpl_err(t, "unclosed left paren%.*s", "", 0);
			goto out;
		}
		t->p++;
	} else if (t->p < t->end) {
		rc = tpl_err(t, "unexpected %.*s in command", t->p, 1);
		goto out;
	}
	*out = acc;
	tv_init(&acc);
out:
	tv_release(&acc);
	tv_release(&res);
	return rc;
}

/* The end of the action that starts at p (just after "{{"), skipping string literals. */
static const char *action_end(const char *p, const char *end)
{
	while (p + 1 < end) {
		if (*p == '"' || *p == '`') {
			char q = *p++;
			while (p < end && *p != q) {
				if (q == '"' && *p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			if (p < end)
				p++;
			continue;
		}
		if (p[0] == '}' && p[1] == '}')
			return p;
		p++;
	}
	return NULL;
}

int sealed_template_render(struct buf *out, const char *name, const char *src, size_t len,
                           const struct sealed_kv *vals, size_t nvals)
{
	struct tpl t = { name, vals, nvals, src, src, src };
	const char *p = src, *end = src + len;
	int rc = 0;

	while (p < end) {
		const char *open = NULL, *q, *a, *ae, *close;
		int trim_right = 0;
		for (q = p; q + 1 < end; q++)
			if (q[0] == '{' && q[1] == '{') {
				open = q;
				break;
			}
		if (!open)
			return buf_add(out, p, (size_t)(end - p));
		a = open + 2;
		ae = NULL;
		/* "{{- " trims the white space before the action */
		if (a + 1 < end && a[0] == '-' && is_space(a[1])) {
			q = open;
			while (q > p && is_space(q[-1]))
				q--;
			if ((rc = buf_add(out, p, (size_t)(q - p))) < 0)
				return rc;
			a += 2;
		} else if ((rc = buf_add(out, p, (size_t)(open - p))) < 0) {
			return rc;
		}
		t.p = a;
		while (a < end && is_space(*a))
			a++;
		if (a + 1 < end && a[0] == '/' && a[1] == '*') {
			const char *c = memmem(a + 2, (size_t)(end - a - 2), "*/", 2);
			if (!c)
				return tpl_err(&t, "unclosed comment%.*s", "", 0);
			close = action_end(c + 2, end);
		} else {
			close = action_end(a, end);
		}
		if (!close)
			return tpl_err(&t, "unclosed action%.*s", "", 0);
		ae = close;
		/* " -}}" trims the white space after it */
		if (ae - 2 >= a && ae[-1] == '-' && is_space(ae[-2])) {
			trim_right = 1;
			ae -= 2;
		}
		if (!(a + 1 < end && a[0] == '/' && a[1] == '*')) {
			struct tv v;
			tv_init(&v);
			t.p = a;
			t.end = ae;
			while (t.end > t.p && is_space(t.end[-1]))
				t.end--;
			if (t.p >= t.end)
				rc = tpl_err(&t, "missing value for command%.*s", "", 0);
			else if ((rc = eval_pipeline(&t, &v, 0)) >= 0)
				rc = tv_print(&t, out, &v);
			tv_release(&v);
			if (rc < 0)
				return rc;
		}
		p = close + 2;
		if (trim_right)
			while (p < end && is_space(*p))
				p++;
	}
	return 0;
}
