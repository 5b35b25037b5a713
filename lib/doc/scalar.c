/*
 * Plain scalar resolution. Reading follows yaml.v3 (what sops uses): YAML 1.2
 * core plus its compatibility extras (0777 octal, 1_000 underscores, dates).
 * Quoting on output also covers what go-yaml v2 (sigs.k8s.io/yaml, kubectl,
 * kubeseal) would misread: yes/no/on/off/y/n and base 60 numbers like 1:20.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc_int.h"

static int eq(const char *s, size_t n, const char *lit)
{
	return n && lit[0] == s[0] && strlen(lit) == n && !memcmp(s, lit, n);
}

static int in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (eq(s, n, *list))
			return 1;
	return 0;
}

static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };
static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
static const char *const special_floats[] = { ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
	                                      ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
	                                      "-.Inf", "-.INF", NULL };
static const char *const old_bools[] = { "y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no", "No",
	                                 "NO", "on", "On",  "ON",  "off", "Off", "OFF", NULL };

static int isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int digit_val(char c)
{
	if (isdig(c))
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/*
 * Go's strconv.ParseInt(s, 0, 64), falling back to ParseUint, on s with the
 * underscores already removed: optional sign, 0x/0o/0b prefixes, leading 0 = octal.
 */
static int go_parse_int(const char *s, size_t n, unsigned long long *mag, int *neg,
                        int *is_unsigned)
{
	size_t i = 0;
	int base = 10, sign = 0;
	unsigned long long v = 0;

	*neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		*neg = s[i] == '-';
		sign = 1;
		i++;
	}
	if (i + 1 < n && s[i] == '0') {
		char p = s[i + 1];
		if (p == 'x' || p == 'X')
			base = 16, i += 2;
		else if (p == 'o' || p == 'O')
			base = 8, i += 2;
		else if (p == 'b' || p == 'B')
			base = 2, i += 2;
		else
			base = 8, i += 1;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		int d = digit_val(s[i]);
		if (d >= base)
			return -1;
		if (v > (~0ULL - (unsigned)d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + (unsigned)d;
	}
	*mag = v;
	*is_unsigned = 0;
	if (*neg)
		return v <= (1ULL << 63) ? 0 : -1;
	if (v <= (unsigned long long)INT64_MAX)
		return 0;
	*is_unsigned = 1; /* ParseUint takes no sign */
	return sign ? -1 : 0;
}

/* Digits in base with an optional sign (when allowed), as ParseInt(s, base) reads them. */
static int digits_in_base(const char *s, size_t n, int base, int sign_ok, unsigned long long *mag,
                          int *neg)
{
	size_t i = 0;
	unsigned long long v = 0;

	*neg = 0;
	if (sign_ok && i < n && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		int d = digit_val(s[i]);
		if (d >= base || v > (~0ULL - (unsigned)d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + (unsigned)d;
	}
	if (*neg && v > (1ULL << 63))
		return -1;
	*mag = v;
	return 0;
}

/*
 * An int the way yaml.v3 reads one (underscores already removed): ParseInt /
 * ParseUint with base prefixes, then its own "0b"/"0o" fallbacks, which also
 * take "0b-101" and "0o+17".
 */
static int yaml_int(const char *s, size_t n, unsigned long long *mag, int *neg, int *is_unsigned)
{
	if (go_parse_int(s, n, mag, neg, is_unsigned) == 0)
		return 0;
	*is_unsigned = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'o'))
		return digits_in_base(s + 2, n - 2, s[1] == 'b' ? 2 : 8, 1, mag, neg);
	if (n > 3 && s[0] == '-' && s[1] == '0' && (s[2] == 'b' || s[2] == 'o')) {
		if (digits_in_base(s + 3, n - 3, s[2] == 'b' ? 2 : 8, 0, mag, neg) < 0 ||
		    *mag > (1ULL << 63))
			return -1;
		*neg = 1;
		return 0;
	}
	return -1;
}

/* Remove '_' into dst (at least n+1 bytes); returns the new length. */
static size_t strip_underscores(char *dst, const char *s, size_t n)
{
	size_t i, k = 0;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			dst[k++] = s[i];
	dst[k] = '\0';
	return k;
}

/* Go's underscoreOK for a decimal number: each '_' between two digits */
static int underscores_ok(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (s[i] == '_' && (!i || !isdig(s[i - 1]) || i + 1 >= n || !isdig(s[i + 1])))
			return 0;
	return 1;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s, size_t n)
{
	size_t i = 0, d;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && isdig(s[i]); i++)
			;
		if (i == d)
			return 0;
	} else {
		for (d = i; i < n && isdig(s[i]); i++)
			;
		if (i == d)
			return 0;
		if (i < n && s[i] == '.')
			for (i++; i < n && isdig(s[i]); i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && isdig(s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Does the float text overflow a double (Go's ParseFloat fails with ErrRange)? */
static int float_overflows(const char *s)
{
	double v;
	errno = 0;
	v = strtod(s, NULL);
	return errno == ERANGE && isinf(v);
}

static size_t take_digits(const char *s, size_t n, size_t *i, size_t max, int *val)
{
	size_t start = *i;
	*val = 0;
	while (*i < n && *i - start < max && isdig(s[*i]))
		*val = *val * 10 + (s[(*i)++] - '0');
	return *i - start;
}

static int days_in(int month, int year)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (month == 2 && ((year % 4 == 0 && year % 100) || year % 400 == 0))
		return 29;
	return d[month - 1];
}

/*
 * yaml.v3's timestamps (time.Parse with these layouts):
 * 2006-1-2T15:4:5.999999999Z07:00 (also 't'), "2006-1-2 15:4:5.999999999", 2006-1-2.
 */
int doc__is_timestamp(const char *s, size_t n)
{
	size_t i = 0;
	int y, mo, d, h, mi, se;
	char sep;

	if (take_digits(s, n, &i, 5, &y) != 4 || i >= n || s[i++] != '-')
		return 0;
	if (!take_digits(s, n, &i, 2, &mo) || i >= n || s[i++] != '-' ||
	    !take_digits(s, n, &i, 2, &d))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in(mo, y))
		return 0;
	if (i == n)
		return 1;
	sep = s[i++];
	if (sep != 'T' && sep != 't' && sep != ' ')
		return 0;
	if (!take_digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' ||
	    !take_digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' ||
	    !take_digits(s, n, &i, 2, &se))
		return 0;
	if (h > 23 || mi > 59 || se > 59)
		return 0;
	if (i + 1 < n && (s[i] == '.' || s[i] == ',') && isdig(s[i + 1]))
		for (i++; i < n && isdig(s[i]); i++)
			;
	if (sep == ' ')
		return i == n;
	if (i < n && s[i] == 'Z')
		return i + 1 == n;
	if (i + 6 == n && (s[i] == '+' || s[i] == '-') && isdig(s[i + 1]) && isdig(s[i + 2]) &&
	    s[i + 3] == ':' && isdig(s[i + 4]) && isdig(s[i + 5]))
		return 1;
	return 0;
}

enum doc_kind doc__resolve_plain(const char *s, size_t n)
{
	char small[64], *plain = small;
	unsigned long long mag;
	int neg, uns;
	enum doc_kind kind = DOC_STR;
	char c;

	if (n == 0)
		return DOC_NULL;
	c = s[0];
	/* most text (names, base64) starts with a letter that no other kind starts with */
	if (!strchr("~nNtTfF.+-0123456789", c) || !c)
		return DOC_STR;
	if (in_list(s, n, nulls))
		return DOC_NULL;
	if (in_list(s, n, bools))
		return DOC_BOOL;
	if (in_list(s, n, special_floats))
		return DOC_FLOAT;
	if (c != '.' && !isdig(c) && c != '+' && c != '-')
		return DOC_STR;
	if (c != '.' && doc__is_timestamp(s, n))
		return DOC_TIMESTAMP;
	/* a long value too: ".5444...4" is a float however many digits follow (fuzz finding) */
	if (n >= sizeof(small) && !(plain = malloc(n + 1)))
		return DOC_STR;
	if (c == '.') {
		/* strconv.ParseFloat on ".5", ".5e3", ".1_0" (Go allows '_' between digits) */
		size_t k = 0;
		if (underscores_ok(s, n)) {
			k = strip_underscores(plain, s, n);
			if (yaml_style_float(plain, k) && !float_overflows(plain))
				kind = DOC_FLOAT;
		}
		n = k; /* what was written there: the wipe below covers it */
	} else {
		n = strip_underscores(plain, s, n);
		if (go_parse_int(plain, n, &mag, &neg, &uns) == 0)
			kind = DOC_INT;
		else if (yaml_style_float(plain, n) && !float_overflows(plain))
			kind = DOC_FLOAT;
		else if (yaml_int(plain, n, &mag, &neg, &uns) == 0)
			kind = DOC_INT;
	}
	/* the text may be a secret value: leave no copy behind */
	gs_wipe(plain, n);
	if (plain != small)
		free(plain);
	return kind;
}

int doc__parse_int(const char *s, size_t n, long long *out, int *is_unsigned)
{
	char small[64], *plain = small;
	unsigned long long mag;
	int neg, uns, rc = 0;

	if (n >= sizeof(small) && !(plain = malloc(n + 1)))
		return GS_ENOMEM;
	n = strip_underscores(plain, s, n);
	if (yaml_int(plain, n, &mag, &neg, &uns) < 0)
		rc = GS_EPARSE;
	else if (uns)
		rc = GS_ETOOBIG;
	else
		*out = neg ? (long long)(0 - mag) : (long long)mag;
	if (is_unsigned)
		*is_unsigned = uns;
	/* the text may be a secret value: leave no copy behind */
	gs_wipe(plain, n);
	if (plain != small)
		free(plain);
	return rc;
}

int doc__parse_float(const char *s, size_t n, double *out)
{
	char small[64], *plain = small;
	int rc = 0;

	if (in_list(s, n, special_floats)) {
		if (s[n - 2] == 'a' || s[n - 2] == 'A')
			*out = NAN;
		else
			*out = s[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (n >= sizeof(small) && !(plain = malloc(n + 1)))
		return GS_ENOMEM;
	n = strip_underscores(plain, s, n);
	if (!yaml_style_float(plain, n))
		rc = GS_EPARSE;
	else
		*out = strtod(plain, NULL);
	/* the text may be a secret value: leave no copy behind */
	gs_wipe(plain, n);
	if (plain != small)
		free(plain);
	return rc;
}

int doc__is_decimal_int(const char *s, size_t n)
{
	size_t i = n && s[0] == '-';

	if (i >= n || (s[i] == '0' && i + 1 < n))
		return 0;
	for (; i < n; i++)
		if (!isdig(s[i]))
			return 0;
	return 1;
}

/*
 * yaml.v3 reads "0o+17" and "0o-17" as ints (ParseInt of what follows "0o"),
 * go-yaml v2 reads them as strings (no "0o" fallback): the emitter writes such
 * an int in decimal for v2 readers.
 */
int doc__v2_misreads_int(const char *s, size_t n)
{
	static const char want[] = "0o";
	size_t i = 0, k = 0;

	for (; i < n && k < 3; i++) {
		if (s[i] == '_')
			continue;
		if (k < 2 ? s[i] != want[k] : (s[i] != '+' && s[i] != '-'))
			return 0;
		k++;
	}
	return k == 3;
}

/* go-yaml v2's isBase60Float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static int base60_float(const char *s, size_t n)
{
	size_t i = 0;
	int groups = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= n || !isdig(s[i]))
		return 0;
	while (i < n && (isdig(s[i]) || s[i] == '_'))
		i++;
	while (i < n && s[i] == ':') {
		size_t d = ++i;
		if (i < n && s[i] >= '0' && s[i] <= '5' && i + 1 < n && isdig(s[i + 1]))
			i += 2;
		else if (i < n && isdig(s[i]))
			i += 1;
		if (i == d)
			return 0;
		groups++;
	}
	if (!groups)
		return 0;
	if (i < n && s[i] == '.')
		for (i++; i < n && (isdig(s[i]) || s[i] == '_'); i++)
			;
	return i == n;
}

int doc_yaml11_needs_quotes(const char *s, size_t n)
{
	if (doc__resolve_plain(s, n) != DOC_STR)
		return 1;
	/* "<<" is left plain: go-yaml never gets to its merge entry ('<' is no hint) */
	return in_list(s, n, old_bools) || base60_float(s, n);
}
