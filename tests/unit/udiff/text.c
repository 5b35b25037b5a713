/* lib/udiff/text.c: unified line diffs (GNU diff -u's format, Myers' algorithm). */
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "udiff/udiff.h"

static void check(const char *a, const char *b, const char *want)
{
	struct buf out = BUF_INIT(1 << 20);
	struct udiff_opts o = UDIFF_OPTS_INIT;
	int rc = udiff_text(&out, a, strlen(a), b, strlen(b), NULL, NULL, &o);
	assert_int(rc, *want ? 1 : 0);
	assert_str(out.p, want);
	buf_release(&out);
}

/* The expected texts are GNU diffutils 3.8's `diff -u` output (headers aside). */
void test_udiff_text__gnu_diff_output(void)
{
	check("a\nb\nc\n", "a\nb\nc\n", "");
	check("", "", "");
	check("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\n",
	      "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\nnew\n",
	      "@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n"
	      "@@ -12,3 +12,4 @@\n l\n m\n n\n+new\n");
	check("a\nb", "a\nc",
	      "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
	      "\\ No newline at end of file\n");
	check("a\nb", "a\nb\n", "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
	check("", "x\ny\n", "@@ -0,0 +1,2 @@\n+x\n+y\n");
	check("x\ny\n", "", "@@ -1,2 +0,0 @@\n-x\n-y\n");
	check("a\n", "b\n", "@@ -1 +1 @@\n-a\n+b\n");
}

void test_udiff_text__hunks_merge_within_twice_the_context(void)
{
	/* changes 6 unchanged lines apart share one hunk; 7 apart make two */
	check("1\n2\n3\n4\n5\n6\n7\n8\n", "X\n2\n3\n4\n5\n6\n7\nY\n",
	      "@@ -1,8 +1,8 @@\n-1\n+X\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+Y\n");
	check("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "X\n2\n3\n4\n5\n6\n7\n8\nY\n",
	      "@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n@@ -6,4 +6,4 @@\n 6\n 7\n 8\n-9\n+Y\n");
}

void test_udiff_text__headers_and_colours(void)
{
	struct buf out = BUF_INIT(1 << 16);
	struct udiff_opts o = UDIFF_OPTS_INIT;
	must_pass(udiff_text(&out, "a\n", 2, "b\n", 2, "LIVE/x", "MERGED/x", &o));
	assert_str(out.p, "--- LIVE/x\n+++ MERGED/x\n@@ -1 +1 @@\n-a\n+b\n");
	assert_true(!strchr(out.p, '\033'));
	buf_reset(&out);
	o.color = 1;
	must_pass(udiff_text(&out, "a\nc\n", 4, "b\nc\n", 4, "LIVE/x", "MERGED/x", &o));
	assert_str(out.p,
	           "\033[1m--- LIVE/x\033[m\n\033[1m+++ MERGED/x\033[m\n"
	           "\033[36m@@ -1,2 +1,2 @@\033[m\n\033[31m-a\033[m\n\033[32m+b\033[m\n c\n");
	buf_release(&out);
}

/* ---- property: the diff applied to a gives b, and it is minimal ---------------------------- */

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) & 0x7fff;
}

static void random_text(struct buf *t, size_t lines, unsigned alphabet)
{
	size_t i;
	buf_reset(t);
	for (i = 0; i < lines; i++)
		buf_addf(t, "l%u\n", rnd() % alphabet);
}

/* Apply a diff without headers to a; returns the result in out, or -1 if it does not fit a. */
static int apply_diff(struct buf *out, const char *a, const char *d, size_t *changed)
{
	const char *ap = a, *p = d;
	size_t aline = 0;
	*changed = 0;
	while (*p) {
		unsigned long as, ac = 1, bs, bc = 1;
		char *e;
		if (strncmp(p, "@@ -", 4))
			return -1;
		as = strtoul(p + 4, &e, 10);
		if (*e == ',')
			ac = strtoul(e + 1, &e, 10);
		if (strncmp(e, " +", 2))
			return -1;
		bs = strtoul(e + 2, &e, 10);
		if (*e == ',')
			bc = strtoul(e + 1, &e, 10);
		(void)bs;
		(void)bc;
		p = strchr(p, '\n') + 1;
		/* copy a's lines up to the hunk */
		if (ac == 0)
			as++; /* an empty old range names the line before */
		while (aline + 1 < as) {
			const char *nl = strchr(ap, '\n');
			buf_add(out, ap, (size_t)(nl - ap + 1));
			ap = nl + 1;
			aline++;
		}
		while (*p && *p != '@') {
			const char *nl = strchr(p, '\n');
			size_t n = (size_t)(nl - p);
			if (*p == ' ' || *p == '-') {
				if (strncmp(ap, p + 1, n - 1) || ap[n - 1] != '\n')
					return -1;
				if (*p == ' ')
					buf_add(out, ap, n);
				else
					(*changed)++;
				ap += n;
				aline++;
			} else if (*p == '+') {
				buf_add(out, p + 1, n);
				(*changed)++;
			} else {
				return -1;
			}
			p = nl + 1;
		}
	}
	buf_adds(out, ap);
	return 0;
}

static size_t lcs(const char *a, const char *b)
{
	/* lines as pointers, classic DP */
	const char *la[256], *lb[256];
	size_t na = 0, nb = 0, i, j, *dp, r;
	const char *p;
	for (p = a; *p; p = strchr(p, '\n') + 1)
		la[na++] = p;
	for (p = b; *p; p = strchr(p, '\n') + 1)
		lb[nb++] = p;
	dp = calloc((na + 1) * (nb + 1), sizeof(*dp));
	for (i = na; i-- > 0;)
		for (j = nb; j-- > 0;) {
			size_t l1 = (size_t)(strchr(la[i], '\n') - la[i]);
			size_t l2 = (size_t)(strchr(lb[j], '\n') - lb[j]);
			if (l1 == l2 && !memcmp(la[i], lb[j], l1))
				dp[i * (nb + 1) + j] = dp[(i + 1) * (nb + 1) + j + 1] + 1;
			else
				dp[i * (nb + 1) + j] =
				    dp[(i + 1) * (nb + 1) + j] > dp[i * (nb + 1) + j + 1]
				        ? dp[(i + 1) * (nb + 1) + j]
				        : dp[i * (nb + 1) + j + 1];
		}
	r = dp[0];
	free(dp);
	return r;
}

void test_udiff_text__random_diffs_apply_and_are_minimal(void)
{
	struct buf a = BUF_INIT(1 << 16), b = BUF_INIT(1 << 16), d = BUF_INIT(1 << 20),
	           back = BUF_INIT(1 << 16);
	int iter;
	for (iter = 0; iter < 400; iter++) {
		size_t na = rnd() % 60, nb = rnd() % 60, changed;
		unsigned alpha = 2 + rnd() % 8;
		random_text(&a, na, alpha);
		random_text(&b, nb, alpha);
		buf_reset(&d);
		buf_reset(&back);
		{
			struct udiff_opts o = UDIFF_OPTS_INIT;
			o.context = (int)(rnd() % 4);
			must_pass(udiff_text(&d, a.p, a.len, b.p, b.len, NULL, NULL, &o));
		}
		if (apply_diff(&back, a.p, d.p, &changed) < 0)
			fail_("iteration %d: the diff does not apply:\n%s", iter, d.p);
		assert_str(back.p, b.p);
		assert_int(changed, na + nb - 2 * lcs(a.p, b.p));
	}
	buf_release(&a);
	buf_release(&b);
	buf_release(&d);
	buf_release(&back);
}

void test_udiff_text__large_inputs_stay_correct(void)
{
	/* 20 000 lines from 3 values each way: far past the cost cap, still a diff that applies */
	struct buf a = BUF_INIT(1 << 22), b = BUF_INIT(1 << 22), d = BUF_INIT(1 << 24),
	           back = BUF_INIT(1 << 22);
	size_t changed;
	random_text(&a, 20000, 3);
	random_text(&b, 20000, 3);
	assert_int(udiff_text(&d, a.p, a.len, b.p, b.len, NULL, NULL, NULL), 1);
	must_pass(apply_diff(&back, a.p, d.p, &changed));
	assert_str(back.p, b.p);
	buf_release(&a);
	buf_release(&b);
	buf_release(&d);
	buf_release(&back);
}
