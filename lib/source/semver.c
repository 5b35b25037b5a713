/*
 * Semantic versions (semver.org 2.0.0 precedence) and the range syntax Argo CD and
 * Flux accept for targetRevision (Masterminds/semver v3), desugared the way
 * node-semver documents it:
 *
 *   1.2.3, =1.2.3      exactly (build metadata ignored)
 *   1.2, 1.2.x, 1.2.*  >=1.2.0 <1.3.0-0        1, 1.x, *, x   likewise / anything
 *   >1.2  >=1.2  <1.2  <=1.2                   >=1.3.0-0 / >=1.2.0 / <1.2.0-0 / <1.3.0-0
 *   ~1.2.3  ~1.2  ~1   (~> too)                >=1.2.3 <1.3.0-0 / >=1.2.0 <1.3.0-0 / >=1.0.0
 * <2.0.0-0 ^1.2.3  ^0.2.3  ^0.0.3  ^1.2  ^0.0  ^1     <2.0.0-0 / <0.3.0-0 / <0.0.4-0 / <2.0.0-0 /
 * <0.1.0-0 / <2.0.0-0
 *   !=1.2.3  !=1.2                             not that version / not in 1.2.x
 *   1.2 - 2.3.4  1.2.3 - 2.3                   >=1.2.0 <=2.3.4 / >=1.2.3 <2.4.0-0
 *   A B, A,B  (all of)     A || B  (any of)
 *
 * Pre-releases: a version with one satisfies a set of comparators only when one of
 * that set's comparators, as written, names a pre-release (">=1.0.0-0 <2" allows
 * 1.5.0-rc.1; "^1" does not). Upper bounds made by desugaring end at X.Y.Z-0, so
 * "^1.0.0-0" does not take 2.0.0-rc.1.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "source/source_int.h"

#define RANGE_MAX_COMPARATORS 64

enum cmp_op { OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ, OP_NE, OP_OUT /* not in [v, v2) */ };

struct comparator {
	enum cmp_op op;
	struct source__semver v, v2;
};

struct cset {
	struct comparator *c;
	size_t n;
	int allow_pre;
};

struct source__range {
	struct cset *sets;
	size_t n;
};

/* --- versions -------------------------------------------------------------- */

static int parse_num(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	*out = v;
	*s = p;
	return 0;
}

/* identifiers: [0-9A-Za-z-]+ separated by '.'; copies into out (without the leading '-') */
static int parse_idents(const char **s, char *out, size_t max)
{
	const char *p = *s, *start = p;
	size_t n;
	for (;;) {
		const char *id = p;
		while (isalnum((unsigned char)*p) || *p == '-')
			p++;
		if (p == id)
			return -1;
		if (*p != '.')
			break;
		p++;
	}
	n = (size_t)(p - start);
	if (out) {
		if (n >= max)
			return -1;
		memcpy(out, start, n);
		out[n] = '\0';
	}
	*s = p;
	return 0;
}

/*
 * One version, possibly partial or with wildcards. *parts = how many of
 * major/minor/patch were numbers (a wildcard or a missing part ends the count).
 * Leaves *s after the version.
 */
static int parse_partial(const char **s, struct source__semver *v, int *parts)
{
	const char *p = *s;
	uint64_t *field[3] = { &v->major, &v->minor, &v->patch };
	int i;

	memset(v, 0, sizeof(*v));
	*parts = 0;
	if (*p == 'v' || *p == 'V')
		p++;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != '.')
				break;
			p++;
		}
		if (*p == 'x' || *p == 'X' || *p == '*') {
			p++;
			/* anything after a wildcard must be a wildcard too */
			while (*p == '.' && (p[1] == 'x' || p[1] == 'X' || p[1] == '*'))
				p += 2;
			break;
		}
		if (parse_num(&p, field[i]) < 0)
			return -1;
		(*parts)++;
	}
	if (*parts == 3 && *p == '-') {
		p++;
		if (parse_idents(&p, v->pre, sizeof(v->pre)) < 0)
			return -1;
	}
	if (*p == '+') {
		p++;
		if (parse_idents(&p, NULL, 0) < 0)
			return -1;
	}
	*s = p;
	return 0;
}

int source__semver_parse(struct source__semver *v, const char *s)
{
	const char *p = s;
	int parts;
	if (parse_partial(&p, v, &parts) < 0 || *p || parts == 0)
		return gs_error(GS_EPARSE, "'%s' is not a version", s);
	/* "1.x" is a range, not a version */
	if (parts < 3 && (strchr(s, 'x') || strchr(s, 'X') || strchr(s, '*')))
		return gs_error(GS_EPARSE, "'%s' is not a version", s);
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

static int cmp_pre(const char *a, const char *b)
{
	if (!*a || !*b)
		return !*a && !*b ? 0 : !*a ? 1 : -1; /* a release ranks above its pre-releases */
	while (*a || *b) {
		size_t na = strcspn(a, "."), nb = strcspn(b, ".");
		int da, db, c;
		if (!*a)
			return -1; /* fewer identifiers rank lower */
		if (!*b)
			return 1;
		da = all_digits(a, na);
		db = all_digits(b, nb);
		if (da && db) {
			/* numerically: strip leading zeros, then longer is larger */
			while (na > 1 && *a == '0')
				a++, na--;
			while (nb > 1 && *b == '0')
				b++, nb--;
			if (na != nb)
				return na < nb ? -1 : 1;
			c = memcmp(a, b, na);
		} else if (da != db) {
			return da ? -1 : 1; /* numeric identifiers rank below alphanumeric ones */
		} else {
			c = memcmp(a, b, na < nb ? na : nb);
			if (!c && na != nb)
				c = na < nb ? -1 : 1;
		}
		if (c)
			return c < 0 ? -1 : 1;
		a += na;
		b += nb;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
	}
	return 0;
}

int source__semver_cmp(const struct source__semver *a, const struct source__semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return cmp_pre(a->pre, b->pre);
}

/* --- ranges ------------------------------------------------------------------ */

static void set_ver(struct source__semver *v, uint64_t ma, uint64_t mi, uint64_t pa,
                    const char *pre)
{
	memset(v, 0, sizeof(*v));
	v->major = ma;
	v->minor = mi;
	v->patch = pa;
	snprintf(v->pre, sizeof(v->pre), "%s", pre);
}

/* the first version above a partial one: 1.2 -> 1.3.0-0, 1 -> 2.0.0-0, 1.2.3 -> 1.2.4-0 */
static int bump(struct source__semver *out, const struct source__semver *v, int parts)
{
	if (parts <= 0)
		return -1;
	if (parts == 1)
		set_ver(out, v->major + 1, 0, 0, "0");
	else if (parts == 2)
		set_ver(out, v->major, v->minor + 1, 0, "0");
	else
		set_ver(out, v->major, v->minor, v->patch + 1, "0");
	return 0;
}

static int add(struct cset *cs, enum cmp_op op, const struct source__semver *v,
               const struct source__semver *v2)
{
	if (cs->n == RANGE_MAX_COMPARATORS)
		return -1;
	cs->c[cs->n].op = op;
	cs->c[cs->n].v = *v;
	if (v2)
		cs->c[cs->n].v2 = *v2;
	cs->n++;
	return 0;
}

/* one comparator like ">=1.2", "~1.4", "1.x" (p points at it, n bytes) */
static int parse_comparator(struct cset *cs, const char *p, size_t n)
{
	char tmp[256];
	const char *s = tmp;
	struct source__semver v, hi;
	int parts;
	enum { NONE, GE, GT, LE, LT, EQ, NE, TILDE, CARET } op = NONE;

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (!strncmp(s, ">=", 2))
		op = GE, s += 2;
	else if (!strncmp(s, "=>", 2))
		op = GE, s += 2;
	else if (!strncmp(s, "<=", 2) || !strncmp(s, "=<", 2))
		op = LE, s += 2;
	else if (!strncmp(s, "!=", 2))
		op = NE, s += 2;
	else if (!strncmp(s, "~>", 2))
		op = TILDE, s += 2;
	else if (*s == '>')
		op = GT, s++;
	else if (*s == '<')
		op = LT, s++;
	else if (*s == '=')
		op = EQ, s++;
	else if (*s == '~')
		op = TILDE, s++;
	else if (*s == '^')
		op = CARET, s++;
	while (*s == ' ')
		s++;
	if (parse_partial(&s, &v, &parts) < 0 || *s)
		return -1;
	if (v.pre[0])
		cs->allow_pre = 1;

	switch (op) {
	case NONE:
	case EQ:
		if (parts == 3)
			return add(cs, OP_EQ, &v, NULL);
		if (parts == 0)
			return add(cs, OP_GE, &v, NULL); /* * */
		bump(&hi, &v, parts);
		return add(cs, OP_GE, &v, NULL) || add(cs, OP_LT, &hi, NULL) ? -1 : 0;
	case NE:
		if (parts == 3)
			return add(cs, OP_NE, &v, NULL);
		if (parts == 0)
			return add(
			    cs, OP_LT, &v,
			    NULL); /* != * : nothing (nothing is < 0.0.0-0 ... close enough) */
		bump(&hi, &v, parts);
		return add(cs, OP_OUT, &v, &hi);
	case GE: return add(cs, OP_GE, &v, NULL);
	case GT:
		if (parts == 3)
			return add(cs, OP_GT, &v, NULL);
		if (parts == 0)
			return add(cs, OP_LT, &v, NULL); /* > * : nothing */
		bump(&hi, &v, parts);
		return add(cs, OP_GE, &hi, NULL);
	case LT:
		if (parts < 3)
			snprintf(v.pre, sizeof(v.pre), "0");
		return add(cs, OP_LT, &v, NULL);
	case LE:
		if (parts == 3)
			return add(cs, OP_LE, &v, NULL);
		if (parts == 0)
			return add(cs, OP_GE, &v, NULL); /* <= * : anything */
		bump(&hi, &v, parts);
		return add(cs, OP_LT, &hi, NULL);
	case TILDE:
		if (parts == 0)
			return add(cs, OP_GE, &v, NULL);
		bump(&hi, &v, parts == 1 ? 1 : 2);
		return add(cs, OP_GE, &v, NULL) || add(cs, OP_LT, &hi, NULL) ? -1 : 0;
	case CARET:
		if (parts == 0)
			return add(cs, OP_GE, &v, NULL);
		if (v.major > 0 || parts == 1)
			bump(&hi, &v, 1);
		else if (v.minor > 0 || parts == 2)
			bump(&hi, &v, 2);
		else
			bump(&hi, &v, 3);
		return add(cs, OP_GE, &v, NULL) || add(cs, OP_LT, &hi, NULL) ? -1 : 0;
	}
	return -1;
}

/* "A - B" */
static int parse_hyphen(struct cset *cs, const char *a, size_t an, const char *b, size_t bn)
{
	char ta[256], tb[256];
	const char *pa = ta, *pb = tb;
	struct source__semver lo, hi, up;
	int plo, phi;

	if (an >= sizeof(ta) || bn >= sizeof(tb))
		return -1;
	memcpy(ta, a, an);
	ta[an] = '\0';
	memcpy(tb, b, bn);
	tb[bn] = '\0';
	if (parse_partial(&pa, &lo, &plo) < 0 || *pa || parse_partial(&pb, &hi, &phi) < 0 || *pb)
		return -1;
	if (lo.pre[0] || hi.pre[0])
		cs->allow_pre = 1;
	if (add(cs, OP_GE, &lo, NULL) < 0)
		return -1;
	if (phi == 3)
		return add(cs, OP_LE, &hi, NULL);
	if (phi == 0)
		return 0;
	bump(&up, &hi, phi);
	return add(cs, OP_LT, &up, NULL);
}

static int parse_set(struct cset *cs, const char *p, size_t n)
{
	const char *end = p + n, *tok[RANGE_MAX_COMPARATORS];
	size_t len[RANGE_MAX_COMPARATORS], nt = 0, i;

	/* tokens split on spaces and commas; an operator alone ("> 1.2") joins the next token */
	while (p < end) {
		const char *t;
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p == end)
			break;
		t = p;
		while (p < end && *p != ' ' && *p != ',')
			p++;
		if (nt == RANGE_MAX_COMPARATORS)
			return -1;
		if (nt > 0 && strspn(tok[nt - 1], "<>=!~^") == len[nt - 1]) {
			len[nt - 1] = (size_t)(p - tok[nt - 1]);
			continue;
		}
		tok[nt] = t;
		len[nt++] = (size_t)(p - t);
	}
	if (!nt)
		return -1;
	for (i = 0; i < nt; i++) {
		if (i + 2 < nt && len[i + 1] == 1 && tok[i + 1][0] == '-') {
			if (parse_hyphen(cs, tok[i], len[i], tok[i + 2], len[i + 2]) < 0)
				return -1;
			i += 2;
			continue;
		}
		if (parse_comparator(cs, tok[i], len[i]) < 0)
			return -1;
	}
	return 0;
}

void source__range_free(struct source__range *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->sets[i].c);
	free(r->sets);
	free(r);
}

int source__range_parse(struct source__range **out, const char *s)
{
	struct source__range *r = NULL;
	const char *p = s;
	int rc = 0;

	*out = NULL;
	if (!s || !*s || strlen(s) > 1024)
		return gs_error(GS_EPARSE, "'%s' is not a semver range", s ? s : "");
	if (!(r = calloc(1, sizeof(*r))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (;;) {
		const char *bar = strstr(p, "||");
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		struct cset *ns;
		if (r->n == 32 || !(ns = realloc(r->sets, (r->n + 1) * sizeof(*ns)))) {
			rc = gs_error(GS_EPARSE, "'%s' is not a semver range", s);
			goto out;
		}
		r->sets = ns;
		memset(&r->sets[r->n], 0, sizeof(r->sets[r->n]));
		if (!(r->sets[r->n].c = calloc(RANGE_MAX_COMPARATORS, sizeof(struct comparator)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		r->n++;
		if (parse_set(&r->sets[r->n - 1], p, n) < 0) {
			rc = gs_error(GS_EPARSE, "'%s' is not a semver range", s);
			goto out;
		}
		if (!bar)
			break;
		p = bar + 2;
	}
	*out = r;
	r = NULL;
out:
	source__range_free(r);
	return rc;
}

static int cmp_ok(const struct comparator *c, const struct source__semver *v)
{
	int d = source__semver_cmp(v, &c->v);
	switch (c->op) {
	case OP_GE: return d >= 0;
	case OP_GT: return d > 0;
	case OP_LE: return d <= 0;
	case OP_LT: return d < 0;
	case OP_EQ: return d == 0;
	case OP_NE: return d != 0;
	case OP_OUT: return d < 0 || source__semver_cmp(v, &c->v2) >= 0;
	}
	return 0;
}

int source__range_match(const struct source__range *r, const struct source__semver *v)
{
	size_t i, j;
	for (i = 0; i < r->n; i++) {
		const struct cset *cs = &r->sets[i];
		int ok = !v->pre[0] || cs->allow_pre;
		for (j = 0; ok && j < cs->n; j++)
			ok = cmp_ok(&cs->c[j], v);
		if (ok)
			return 1;
	}
	return 0;
}
