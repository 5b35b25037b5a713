/*
 * Log records (see log.h). The fmt_kv string is walked field by field: each
 * key and value template is formatted conversion by conversion (one va_arg of
 * the type its conversion names, the way the compiler checked it), so values
 * can be escaped one by one. Callers pass gs_error_last() as an argument and
 * use it after: values are copied before anything can fail, and a failure
 * (out of memory) puts the thread's message back.
 */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "core/buf.h"
#include "core/text.h"

int gs_log_level = GS_LOG_INFO;
int gs_log_json;

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_stream;

#define LINE_MAX_FIELDS_BYTES (256 << 10) /* later fields are dropped, truncated=true says so */

void gs_log_set_stream(FILE *f)
{
	log_stream = f;
}

/* A formatted key or value: at most GS_LOG_VALUE_MAX bytes, cut on a UTF-8 boundary. */
struct val {
	char p[GS_LOG_VALUE_MAX + 4];
	size_t len;
	int cut;
	int convs;   /* conversions in the template */
	int numeric; /* one numeric conversion and no literal text */
};

static void val_cut(struct val *v)
{
	if (!v->cut) {
		memcpy(v->p + v->len, "...", 3);
		v->len += 3;
		v->cut = 1;
	}
}

static void val_add(struct val *v, const char *s, size_t n)
{
	size_t room = GS_LOG_VALUE_MAX - v->len;
	if (v->cut)
		return;
	if (n > room) {
		n = room;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80) /* do not split a character */
			n--;
		memcpy(v->p + v->len, s, n);
		v->len += n;
		val_cut(v);
		return;
	}
	memcpy(v->p + v->len, s, n);
	v->len += n;
}

/* One conversion spec at *fmt ('%' already consumed): format its argument(s) into v. */
static void conv(struct val *v, const char **fmt, va_list *ap)
{
	char spec[32], out[GS_LOG_VALUE_MAX + 8]; /* longer than a value: val_add() cuts it */
	const char *f = *fmt;
	int stars[2] = { 0, 0 }, nstar = 0, lmod = 0,
	    n = -1; /* lmod: 0 none, 1 h/hh, 2 l, 3 ll, 4 j, 5 z, 6 t, 7 L */
	size_t k = 0;
	char c;

	spec[k++] = '%';
	while (*f && strchr("-+ #0'", *f) && k < 8)
		spec[k++] = *f++;
	if (*f == '*') {
		stars[nstar++] = va_arg(*ap, int);
		spec[k++] = *f++;
	} else {
		while (*f >= '0' && *f <= '9' && k < 14)
			spec[k++] = *f++;
	}
	if (*f == '.') {
		spec[k++] = *f++;
		if (*f == '*') {
			stars[nstar++] = va_arg(*ap, int);
			spec[k++] = *f++;
		} else {
			while (*f >= '0' && *f <= '9' && k < 22)
				spec[k++] = *f++;
		}
	}
	for (; *f && strchr("hljztL", *f) && k < 28; f++) {
		spec[k++] = *f;
		lmod = *f == 'h'   ? 1
		       : *f == 'l' ? (lmod == 2 ? 3 : 2)
		       : *f == 'j' ? 4
		       : *f == 'z' ? 5
		       : *f == 't' ? 6
		                   : 7;
	}
	c = *f;
	if (c)
		f++;
	spec[k++] = c;
	spec[k] = '\0';
	*fmt = f;

#define FMT(T)                                                                                     \
	do {                                                                                       \
		T a_ = va_arg(*ap, T);                                                             \
		n = nstar == 0   ? snprintf(out, sizeof(out), spec, a_)                            \
		    : nstar == 1 ? snprintf(out, sizeof(out), spec, stars[0], a_)                  \
		                 : snprintf(out, sizeof(out), spec, stars[0], stars[1], a_);       \
	} while (0)

	switch (c) {
	case 'd':
	case 'i':
		switch (lmod) {
		case 2: FMT(long); break;
		case 3: FMT(long long); break;
		case 4: FMT(intmax_t); break;
		case 5: FMT(ssize_t); break;
		case 6: FMT(ptrdiff_t); break;
		default: FMT(int); break;
		}
		break;
	case 'u':
	case 'o':
	case 'x':
	case 'X':
		switch (lmod) {
		case 2: FMT(unsigned long); break;
		case 3: FMT(unsigned long long); break;
		case 4: FMT(uintmax_t); break;
		case 5: FMT(size_t); break;
		case 6: FMT(ptrdiff_t); break;
		default: FMT(unsigned); break;
		}
		break;
	case 'c': FMT(int); break;
	case 'p': FMT(void *); break;
	case 'e':
	case 'E':
	case 'f':
	case 'F':
	case 'g':
	case 'G':
	case 'a':
	case 'A':
		if (lmod == 7)
			FMT(long double);
		else
			FMT(double);
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		n = nstar == 0   ? snprintf(out, sizeof(out), spec, s)
		    : nstar == 1 ? snprintf(out, sizeof(out), spec, stars[0], s)
		                 : snprintf(out, sizeof(out), spec, stars[0], stars[1], s);
		break;
	}
	case '%': val_add(v, "%", 1); return;
	default: /* %n, %ls and what the compiler would have refused: nothing is read */
		val_add(v, "%?", 2);
		return;
	}
#undef FMT
	v->convs++;
	v->numeric = strchr("diufFeEgG", c) != NULL;
	if (n > 0)
		val_add(v, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
	if (n >= (int)sizeof(out))
		val_cut(v); /* the argument alone was too long */
}

/*
 * Format one template from *fmt into v, up to `end` (a literal '=' for keys, a
 * space for bare values, '"' for quoted ones; NUL always ends it).
 */
static void template(struct val *v, const char **fmt, char end, va_list *ap)
{
	const char *f = *fmt;
	int literal = 0;

	v->len = 0;
	v->cut = v->convs = v->numeric = 0;
	while (*f && *f != end) {
		if (*f == '%' && f[1] != '%') {
			f++;
			conv(v, &f, ap);
			continue;
		}
		if (*f == '%')
			f++;
		literal = 1;
		val_add(v, f++, 1);
	}
	if (literal || v->convs != 1)
		v->numeric = 0;
	*fmt = f;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(const char *s, size_t n)
{
	size_t i = 0, d;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

static int add_key(struct buf *line, const struct val *k)
{
	size_t i;
	int rc = 0;

	if (gs_log_json)
		return json_quote(line, k->len ? k->p : "_", k->len ? k->len : 1, JSON_QUOTE_LOG);
	if (!k->len)
		return buf_addc(line, '_');
	for (i = 0; i < k->len && rc >= 0; i++) {
		char c = k->p[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '/' ||
		         c == '-';
		rc = buf_addc(line, ok ? c : '_');
	}
	return rc;
}

static int add_field(struct buf *line, const struct val *k, const struct val *v, int quoted)
{
	int rc;

	if ((rc = buf_adds(line, gs_log_json ? "," : " ")) < 0 || (rc = add_key(line, k)) < 0 ||
	    (rc = buf_addc(line, gs_log_json ? ':' : '=')) < 0)
		return rc;
	if (gs_log_json)
		return v->numeric && !v->cut && json_number(v->p, v->len)
		           ? buf_add(line, v->p, v->len)
		           : json_quote(line, v->p, v->len, JSON_QUOTE_LOG);
	return quoted ? json_quote(line, v->p, v->len, JSON_QUOTE_LOG)
	              : logfmt_quote(line, v->p, v->len);
}

static int add_fields(struct buf *line, const char *f, va_list *ap)
{
	struct val *k = malloc(2 * sizeof(*k)), *v = k + 1;
	int rc = 0;

	if (!k)
		return GS_ENOMEM;
	while (f && *f && rc >= 0) {
		int quoted = 0, has_key;
		const char *start;

		while (*f == ' ')
			f++;
		if (!*f)
			break;
		/* a key up to '=' (or the whole bare field when there is none before a space) */
		start = f;
		while (*f && *f != '=' && *f != ' ' && *f != '"')
			f++;
		has_key = *f == '=';
		f = start;
		if (has_key) {
			template(k, &f, '=', ap);
			f++;
		} else {
			memcpy(k->p, "detail", 6);
			k->len = 6;
			k->cut = 0;
		}
		if (*f == '"') {
			quoted = 1;
			f++;
			template(v, &f, '"', ap);
			if (*f == '"')
				f++;
		} else {
			template(v, &f, ' ', ap);
		}
		if (!has_key && !v->len)
			continue;
		if (line->len > LINE_MAX_FIELDS_BYTES) {
			rc =
			    buf_adds(line, gs_log_json ? ",\"truncated\":true" : " truncated=true");
			break;
		}
		rc = add_field(line, k, v, quoted);
		/* what follows a quoted value up to the next space is not part of any field */
		while (*f && *f != ' ')
			f++;
	}
	free(k);
	return rc;
}

void gs_log(int level, const char *msg, const char *fmt_kv, ...)
{
	struct buf line = BUF_INIT((size_t)1 << 20);
	char ts[40], saved[1024];
	int saved_code;
	struct timespec now;
	struct tm tm;
	va_list ap;
	FILE *out = log_stream ? log_stream : stderr;
	int rc;

	if (level < gs_log_level)
		return;
	/* buf_* set the thread's message when they fail (out of memory): put it back then */
	saved_code = gs_error_code();
	snprintf(saved, sizeof(saved), "%s", gs_error_last());
	if (level < GS_LOG_DEBUG || level > GS_LOG_ERROR)
		level = GS_LOG_ERROR;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03ldZ", now.tv_nsec / 1000000);
	if (!msg)
		msg = "";
	if (gs_log_json)
		rc = buf_addf(&line, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", ts,
		              level_names[level]);
	else
		rc = buf_addf(&line, "time=%s level=%s msg=", ts, level_names[level]);
	if (rc >= 0) /* msg="..." always quoted */
		rc = json_quote(&line, msg, strnlen(msg, GS_LOG_VALUE_MAX), JSON_QUOTE_LOG);
	if (rc >= 0) {
		va_start(ap, fmt_kv);
		rc = add_fields(&line, fmt_kv, &ap);
		va_end(ap);
	}
	if (rc >= 0)
		rc = buf_adds(&line, gs_log_json ? "}\n" : "\n");
	pthread_mutex_lock(&log_lock);
	if (rc >= 0)
		fwrite(line.p, 1, line.len, out);
	else /* out of memory: say so on one line rather than nothing */
		fprintf(out,
		        gs_log_json
		            ? "{\"time\":\"%s\",\"level\":\"error\",\"msg\":\"log record lost\"}\n"
		            : "time=%s level=error msg=\"log record lost\"\n",
		        ts);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
	buf_release(&line);
	if (rc < 0) {
		if (saved_code)
			gs_error(saved_code, "%s", saved);
		else
			gs_error_clear();
	}
}
