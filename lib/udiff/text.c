/*
 * Line diffs: Myers' O(ND) algorithm in linear space ("An O(ND) Difference
 * Algorithm and Its Variations", 1986, section 4b: the middle snake, searched
 * from both ends as diff-match-patch's diff_bisect does), then GNU diff -u's
 * hunks. A region whose search runs past UDIFF__MAX_COST edit steps is marked
 * changed as a whole, so a pathological input stays fast (git's xdiff does
 * the same with its own heuristic); the diff is then still correct, only not
 * minimal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "udiff/udiff.h"

#define UDIFF__MAX_COST 4096
#define UDIFF__MAX_LINES 2000000

struct line {
	const char *p;
	size_t len; /* without the newline */
	uint64_t hash;
};

struct side {
	struct line *l;
	size_t n;
	char *chg;  /* 1: deleted (a) or inserted (b) */
	int no_eol; /* the last line has no newline */
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static int split(struct side *s, const char *t, size_t len)
{
	size_t i, n = 0, start = 0;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < len; i++)
		n += t[i] == '\n';
	n += len && t[len - 1] != '\n';
	if (n > UDIFF__MAX_LINES)
		return gs_error(GS_ETOOBIG, "diff: more than %d lines", UDIFF__MAX_LINES);
	if (!(s->l = calloc(n + 1, sizeof(*s->l))) || !(s->chg = calloc(n + 1, 1)))
		return gs_error(GS_ENOMEM, "out of memory");
	n = 0;
	for (i = 0; i <= len; i++) {
		if (i == len ? i > start : t[i] == '\n') {
			s->l[n].p = t + start;
			s->l[n].len = i - start;
			s->l[n].hash = fnv1a(t + start, i - start);
			n++;
			start = i + 1;
		}
	}
	s->n = n;
	s->no_eol = len && t[len - 1] != '\n';
	return 0;
}

static void side_release(struct side *s)
{
	free(s->l);
	free(s->chg);
}

static int same(const struct line *x, const struct line *y)
{
	return x->hash == y->hash && x->len == y->len && !memcmp(x->p, y->p, x->len);
}

/* a[a0..a1) against b[b0..b1): mark what changed */
static int compare(struct side *a, size_t a0, size_t a1, struct side *b, size_t b0, size_t b1);

static void mark_all(struct side *a, size_t a0, size_t a1, struct side *b, size_t b0, size_t b1)
{
	memset(a->chg + a0, 1, a1 - a0);
	memset(b->chg + b0, 1, b1 - b0);
}

/* The middle snake of a[a0..a0+n) and b[b0..b0+m) (both non-empty, no common prefix or suffix),
 * then the two halves. */
static int bisect(struct side *a, size_t a0, size_t n, struct side *b, size_t b0, size_t m)
{
	const struct line *x = a->l + a0, *y = b->l + b0;
	long N = (long)n, M = (long)m, max_d = (N + M + 1) / 2, off = max_d, len = 2 * max_d + 2;
	long delta = N - M, d, k1, k2, k1start = 0, k1end = 0, k2start = 0, k2end = 0;
	long *v1 = NULL, *v2 = NULL, i;
	int front = (delta % 2) != 0, rc = 0;

	if (max_d > UDIFF__MAX_COST)
		max_d = UDIFF__MAX_COST;
	if (!(v1 = malloc((size_t)len * sizeof(*v1))) ||
	    !(v2 = malloc((size_t)len * sizeof(*v2)))) {
		free(v1);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	for (i = 0; i < len; i++)
		v1[i] = v2[i] = -1;
	v1[off + 1] = v2[off + 1] = 0;
	for (d = 0; d < max_d; d++) {
		for (k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
			long ko = off + k1, x1, y1;
			if (k1 == -d || (k1 != d && v1[ko - 1] < v1[ko + 1]))
				x1 = v1[ko + 1];
			else
				x1 = v1[ko - 1] + 1;
			y1 = x1 - k1;
			while (x1 < N && y1 < M && same(&x[x1], &y[y1]))
				x1++, y1++;
			v1[ko] = x1;
			if (x1 > N) {
				k1end += 2;
			} else if (y1 > M) {
				k1start += 2;
			} else if (front) {
				long k2o = off + delta - k1;
				if (k2o >= 0 && k2o < len && v2[k2o] != -1 && x1 >= N - v2[k2o]) {
					rc =
					    compare(a, a0, a0 + (size_t)x1, b, b0, b0 + (size_t)y1);
					if (rc >= 0)
						rc = compare(a, a0 + (size_t)x1, a0 + n, b,
						             b0 + (size_t)y1, b0 + m);
					goto out;
				}
			}
		}
		for (k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
			long ko = off + k2, x2, y2;
			if (k2 == -d || (k2 != d && v2[ko - 1] < v2[ko + 1]))
				x2 = v2[ko + 1];
			else
				x2 = v2[ko - 1] + 1;
			y2 = x2 - k2;
			while (x2 < N && y2 < M && same(&x[N - x2 - 1], &y[M - y2 - 1]))
				x2++, y2++;
			v2[ko] = x2;
			if (x2 > N) {
				k2end += 2;
			} else if (y2 > M) {
				k2start += 2;
			} else if (!front) {
				long k1o = off + delta - k2;
				if (k1o >= 0 && k1o < len && v1[k1o] != -1) {
					long x1 = v1[k1o], y1 = off + x1 - k1o;
					if (x1 >= N - x2) {
						rc = compare(a, a0, a0 + (size_t)x1, b, b0,
						             b0 + (size_t)y1);
						if (rc >= 0)
							rc = compare(a, a0 + (size_t)x1, a0 + n, b,
							             b0 + (size_t)y1, b0 + m);
						goto out;
					}
				}
			}
		}
	}
	/* no common line, or the search grew too costly: all of it changed */
	mark_all(a, a0, a0 + n, b, b0, b0 + m);
out:
	free(v1);
	free(v2);
	return rc;
}

static int compare(struct side *a, size_t a0, size_t a1, struct side *b, size_t b0, size_t b1)
{
	while (a0 < a1 && b0 < b1 && same(&a->l[a0], &b->l[b0]))
		a0++, b0++;
	while (a0 < a1 && b0 < b1 && same(&a->l[a1 - 1], &b->l[b1 - 1]))
		a1--, b1--;
	if (a0 == a1 || b0 == b1) {
		mark_all(a, a0, a1, b, b0, b1);
		return 0;
	}
	return bisect(a, a0, a1 - a0, b, b0, b1 - b0);
}

/* ---- output ---------------------------------------------------------------------------------
 */

#define C_META "\033[1m"
#define C_FRAG "\033[36m"
#define C_OLD "\033[31m"
#define C_NEW "\033[32m"
#define C_RESET "\033[m"

struct op {
	char t;        /* ' ', '-', '+' */
	size_t i;      /* the line: of a (' ', '-') or of b ('+') */
	size_t na, nb; /* lines of a and of b before this op */
};

static int put_line(struct buf *out, const struct udiff_opts *o, char t, const struct line *l,
                    int last_no_eol)
{
	const char *c = t == '-' ? C_OLD : t == '+' ? C_NEW : NULL;
	int rc;
	if (o->color && c && (rc = buf_adds(out, c)) < 0)
		return rc;
	if ((rc = buf_addc(out, t)) < 0 || (rc = buf_add(out, l->p, l->len)) < 0)
		return rc;
	if (o->color && c && (rc = buf_adds(out, C_RESET)) < 0)
		return rc;
	if ((rc = buf_addc(out, '\n')) < 0)
		return rc;
	if (last_no_eol)
		rc = buf_adds(out, "\\ No newline at end of file\n");
	return rc;
}

/* GNU's range: "l,s", "l" when s is 1; an empty range names the line before it */
static int put_range(struct buf *out, size_t start, size_t count)
{
	if (count == 1)
		return buf_addf(out, "%zu", start + 1);
	return buf_addf(out, "%zu,%zu", count ? start + 1 : start, count);
}

static int hunks(struct buf *out, const struct side *a, const struct side *b,
                 const struct udiff_opts *o)
{
	size_t ctx = o->context < 0 ? 3 : (size_t)o->context, n = 0, i = 0, j = 0, h, e, k;
	struct op *ops = malloc((a->n + b->n + 1) * sizeof(*ops));
	int rc = 0;

	if (!ops)
		return gs_error(GS_ENOMEM, "out of memory");
	/* deletions before insertions within a change, as GNU diff prints them */
	while (i < a->n || j < b->n) {
		struct op *op = &ops[n++];
		op->na = i;
		op->nb = j;
		if (i < a->n && a->chg[i]) {
			op->t = '-';
			op->i = i++;
		} else if (j < b->n && b->chg[j]) {
			op->t = '+';
			op->i = j++;
		} else {
			op->t = ' ';
			op->i = i++;
			j++;
		}
	}
	for (h = 0; h < n && rc >= 0;) {
		size_t first, last, end_a, end_b;
		while (h < n && ops[h].t == ' ')
			h++;
		if (h == n)
			break;
		/* from ctx lines before this change to ctx lines after the last change that follows
		 * the previous one within 2*ctx unchanged lines (GNU merges those hunks) */
		first = h > ctx ? h - ctx : 0;
		for (e = h, last = h; e < n; e++) {
			if (ops[e].t != ' ')
				last = e;
			else if (e - last > 2 * ctx)
				break;
		}
		last = last + ctx + 1 < n ? last + ctx + 1 : n; /* one past the hunk */
		end_a = last < n ? ops[last].na : a->n;
		end_b = last < n ? ops[last].nb : b->n;
		if ((o->color && (rc = buf_adds(out, C_FRAG)) < 0) ||
		    (rc = buf_adds(out, "@@ -")) < 0 ||
		    (rc = put_range(out, ops[first].na, end_a - ops[first].na)) < 0 ||
		    (rc = buf_adds(out, " +")) < 0 ||
		    (rc = put_range(out, ops[first].nb, end_b - ops[first].nb)) < 0 ||
		    (rc = buf_adds(out, " @@")) < 0 ||
		    (o->color && (rc = buf_adds(out, C_RESET)) < 0) ||
		    (rc = buf_addc(out, '\n')) < 0)
			break;
		for (k = first; k < last && rc >= 0; k++) {
			const struct side *s = ops[k].t == '+' ? b : a;
			rc = put_line(out, o, ops[k].t, &s->l[ops[k].i],
			              s->no_eol && ops[k].i + 1 == s->n);
		}
		h = last;
	}
	free(ops);
	return rc;
}

int udiff_text(struct buf *out, const char *a, size_t alen, const char *b, size_t blen,
               const char *aname, const char *bname, const struct udiff_opts *opts)
{
	struct udiff_opts o = UDIFF_OPTS_INIT;
	struct side sa, sb;
	size_t i, nchg = 0, mark = out->len;
	int rc;

	if (opts)
		o = *opts;
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	if ((rc = split(&sa, a, alen)) < 0 || (rc = split(&sb, b, blen)) < 0)
		goto out;
	if ((rc = compare(&sa, 0, sa.n, &sb, 0, sb.n)) < 0)
		goto out;
	/* the last lines match but only one side ends with a newline: that line changed */
	if (sa.n && sb.n && sa.no_eol != sb.no_eol && !sa.chg[sa.n - 1] && !sb.chg[sb.n - 1])
		sa.chg[sa.n - 1] = sb.chg[sb.n - 1] = 1;
	for (i = 0; i < sa.n; i++)
		nchg += sa.chg[i];
	for (i = 0; i < sb.n; i++)
		nchg += sb.chg[i];
	if (!nchg)
		goto out;
	if (aname && bname &&
	    ((o.color && (rc = buf_adds(out, C_META)) < 0) ||
	     (rc = buf_addf(out, "--- %s", aname)) < 0 ||
	     (o.color && (rc = buf_adds(out, C_RESET)) < 0) || (rc = buf_addc(out, '\n')) < 0 ||
	     (o.color && (rc = buf_adds(out, C_META)) < 0) ||
	     (rc = buf_addf(out, "+++ %s", bname)) < 0 ||
	     (o.color && (rc = buf_adds(out, C_RESET)) < 0) || (rc = buf_addc(out, '\n')) < 0))
		goto out;
	if ((rc = hunks(out, &sa, &sb, &o)) >= 0)
		rc = 1;
out:
	if (rc < 0 && out->len > mark) {
		out->len = mark;
		out->p[mark] = '\0';
	}
	side_release(&sa);
	side_release(&sb);
	return rc;
}
