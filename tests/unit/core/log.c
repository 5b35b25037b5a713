/*
 * lib/core/log.h: logfmt and JSON lines, every key and value escaped. Records
 * are read back field by field (logfmt values through lib/doc's strict JSON
 * reader, whose string syntax they share) and, when python3 is there, every
 * JSON line through json.loads as well.
 */
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

#include "core/log.h"
#include "doc/doc.h"

/* Run fn with gs_log writing to a temporary file, hand back what it wrote. */
static int capture(struct buf *out, int json, void (*fn)(void))
{
	FILE *f = tmpfile();
	char chunk[4096];
	size_t n;
	int rc = 0;

	if (!f)
		return gs_error(GS_EIO, "tmpfile");
	gs_log_set_stream(f);
	gs_log_json = json;
	fn();
	gs_log_json = 0;
	gs_log_set_stream(NULL);
	rewind(f);
	while (rc >= 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(out, chunk, n);
	fclose(f);
	return rc;
}

static size_t count_lines(const struct buf *b)
{
	size_t i, n = 0;
	for (i = 0; i < b->len; i++)
		n += b->p[i] == '\n';
	return n;
}

/* logfmt: the value of key in line (bare, or a quoted string decoded), into val. */
static int logfmt_get(struct buf *val, const char *line, const char *key)
{
	const char *p = line;
	size_t klen = strlen(key);

	buf_reset(val);
	while (*p && *p != '\n') {
		const char *k = p, *v;
		while (*p && *p != '=' && *p != ' ' && *p != '\n')
			p++;
		if (*p != '=')
			return GS_EPARSE;
		v = ++p;
		if (*p == '"') {
			struct doc *d = NULL;
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (*p++ != '"' ||
			    doc_parse_one(&d, "value", v, (size_t)(p - v), DOC_PARSE_JSON) < 0)
				return GS_EPARSE;
			if ((size_t)(v - 1 - k) == klen && !memcmp(k, key, klen)) {
				int rc = buf_add(val, doc_str(d), doc_len(d));
				doc_free(d);
				return rc;
			}
			doc_free(d);
		} else {
			while (*p && *p != ' ' && *p != '\n')
				p++;
			if ((size_t)(v - 1 - k) == klen && !memcmp(k, key, klen))
				return buf_add(val, v, (size_t)(p - v));
		}
		if (*p == ' ')
			p++;
		else if (*p && *p != '\n')
			return GS_EPARSE;
	}
	return GS_ENOTFOUND;
}

static void plain_records(void)
{
	gs_info("unsealed", "namespace=%s name=%s", "prod", "db-creds");
	gs_warn("event not recorded", "namespace=%s reason=%s error=\"%s\"", "prod", "Unsealed",
	        "boom");
	gs_info("caught up", "sealedsecrets=%zu seconds=%.3f items=%d", (size_t)12, 0.25, -3);
	gs_info("key generation due", "%s", "");
	gs_info("no fields", NULL);
	gs_debug("not shown", "x=%d", 1); /* below the level */
	gs_info("odd formats", "pct=100%% pad=%5d star=%.*s hex=%#x ch=%c", 7, 2, "abcdef", 255,
	        'Z');
}

void test_core_log__logfmt_records(void)
{
	struct buf out = BUF_INIT(1 << 20), v = BUF_INIT(1 << 16);
	const char *l2, *l3, *l4, *l5, *l6;

	must_pass(capture(&out, 0, plain_records));
	assert_int(count_lines(&out), 6);
	/* time=2026-12-04T17:03:45.123Z: RFC 3339, UTC, milliseconds */
	assert_true(!strncmp(out.p, "time=", 5) && out.p[9] == '-' && out.p[15] == 'T' &&
	            out.p[24] == '.' && out.p[28] == 'Z' && out.p[29] == ' ');
	assert_contains(out.p, " level=info msg=\"unsealed\" namespace=prod name=db-creds\n");
	assert_true((l2 = strchr(out.p, '\n') + 1) && (l3 = strchr(l2, '\n') + 1) &&
	            (l4 = strchr(l3, '\n') + 1) && (l5 = strchr(l4, '\n') + 1) &&
	            (l6 = strchr(l5, '\n') + 1));
	assert_contains(l2, "level=warn msg=\"event not recorded\" namespace=prod reason=Unsealed "
	                    "error=\"boom\"\n");
	assert_contains(l3, "msg=\"caught up\" sealedsecrets=12 seconds=0.250 items=-3\n");
	assert_true(strstr(l4, "msg=\"key generation due\"\n") != NULL);
	assert_true(strstr(l5, "msg=\"no fields\"\n") != NULL);
	assert_contains(l6, "pct=100% pad=\"    7\" star=ab hex=0xff ch=Z\n");
	must_pass(logfmt_get(&v, l6, "pad"));
	assert_str(v.p, "    7");
	assert_true(!strstr(out.p, "not shown"));
	buf_release(&out);
	buf_release(&v);
}

/* what a template.data key, a Status message or a peer's error could hold */
static const char *const hostile[] = {
	"line\nlevel=error msg=\"forged\" admin=true",
	"cr\rlf\n\ttab",
	"say \"hi\" a=b c\\d",
	"\x1b[2J\x07 bell and escape",
	"bad utf-8 \xff\xfe \xc3( \xed\xa0\x80 end",
	"nel\xc2\x85 ls\xe2\x80\xa8 ps\xe2\x80\xa9 del\x7f",
	"",
	"=",
	"\"",
};
/* the same after escaping and reading back: invalid UTF-8 as U+FFFD, byte by byte */
static const char *const hostile_back[] = {
	"line\nlevel=error msg=\"forged\" admin=true",
	"cr\rlf\n\ttab",
	"say \"hi\" a=b c\\d",
	"\x1b[2J\x07 bell and escape",
	"bad utf-8 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end",
	"nel\xc2\x85 ls\xe2\x80\xa8 ps\xe2\x80\xa9 del\x7f",
	"",
	"=",
	"\"",
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static void hostile_records(void)
{
	size_t i;
	for (i = 0; i < NHOSTILE; i++) {
		gs_err(hostile[i], "key=%s error=\"%s\" %s=%s n=%zu", hostile[i], hostile[i],
		       hostile[i], "v", i);
		gs_info("from a template key", "%s", hostile[i]); /* a value with no key */
	}
}

void test_core_log__logfmt_hostile_values_stay_one_record(void)
{
	struct buf out = BUF_INIT(1 << 20), v = BUF_INIT(1 << 16);
	const char *line;
	size_t i;
	char want[16];

	must_pass(capture(&out, 0, hostile_records));
	assert_int(count_lines(&out), 2 * NHOSTILE);
	for (i = 0, line = out.p; i < NHOSTILE; i++) {
		must_pass(logfmt_get(&v, line, "msg"));
		assert_mem(v.p, v.len, hostile_back[i], strlen(hostile_back[i]));
		must_pass(logfmt_get(&v, line, "key"));
		assert_mem(v.p, v.len, hostile_back[i], strlen(hostile_back[i]));
		must_pass(logfmt_get(&v, line, "error"));
		assert_mem(v.p, v.len, hostile_back[i], strlen(hostile_back[i]));
		must_pass(logfmt_get(&v, line, "n"));
		snprintf(want, sizeof(want), "%zu", i);
		assert_str(v.p, want);
		must_fail_with(logfmt_get(&v, line, "admin"), GS_ENOTFOUND);
		must_fail_with(logfmt_get(&v, line, "level=error"), GS_ENOTFOUND);
		line = strchr(line, '\n') + 1;
		if (*hostile[i]) {
			must_pass(logfmt_get(&v, line, "detail"));
			assert_mem(v.p, v.len, hostile_back[i], strlen(hostile_back[i]));
		} else { /* an empty field without a key is dropped */
			must_fail_with(logfmt_get(&v, line, "detail"), GS_ENOTFOUND);
		}
		line = strchr(line, '\n') + 1;
	}
	/* a hostile key keeps only [A-Za-z0-9_.:/-] */
	assert_contains(out.p, " line_level_error_msg__forged__admin_true=v ");
	assert_contains(out.p, " _=v ");
	buf_release(&out);
	buf_release(&v);
}

void test_core_log__json_lines(void)
{
	struct buf out = BUF_INIT(1 << 20);
	struct doc_stream s = DOC_STREAM_INIT;
	const struct doc *d;

	must_pass(capture(&out, 1, plain_records));
	assert_int(count_lines(&out), 6);
	must_pass(doc_parse(&s, "log.json", out.p, out.len, DOC_PARSE_JSON, NULL));
	assert_int(s.n, 6);
	d = s.docs[0];
	assert_int(doc_len(d), 5);
	assert_str(doc_text(doc_key_at(d, 0), NULL), "time"); /* keys in call order */
	assert_str(doc_text(doc_key_at(d, 1), NULL), "level");
	assert_str(doc_text(doc_key_at(d, 2), NULL), "msg");
	assert_str(doc_text(doc_key_at(d, 3), NULL), "namespace");
	assert_str(doc_text(doc_key_at(d, 4), NULL), "name");
	assert_int(doc_len(doc_get(d, "time")), 24);
	assert_str(doc_str(doc_get(d, "level")), "info");
	assert_str(doc_str(doc_get(d, "msg")), "unsealed");
	assert_str(doc_str(doc_get(d, "name")), "db-creds");
	assert_str(doc_str(doc_get(s.docs[1], "error")), "boom");
	/* one numeric conversion is a number; a padded one is not */
	assert_int(doc_kind(doc_get(s.docs[2], "sealedsecrets")), DOC_INT);
	assert_int(doc_kind(doc_get(s.docs[2], "seconds")), DOC_FLOAT);
	assert_str(doc_text(doc_get(s.docs[2], "seconds"), NULL), "0.250");
	assert_str(doc_text(doc_get(s.docs[2], "items"), NULL), "-3");
	assert_int(doc_len(s.docs[3]), 3);
	assert_str(doc_str(doc_get(s.docs[5], "pad")), "    7");
	assert_str(doc_str(doc_get(s.docs[5], "hex")), "0xff");
	assert_contains(out.p, "{\"time\":\"");
	doc_stream_release(&s);
	buf_release(&out);
}

void test_core_log__json_hostile_keys_and_values(void)
{
	struct buf out = BUF_INIT(1 << 20), path = BUF_INIT(4096), cmd = BUF_INIT(8192);
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i, k;
	FILE *f;
	int st;

	must_pass(capture(&out, 1, hostile_records));
	assert_int(count_lines(&out), 2 * NHOSTILE);
	must_pass(doc_parse(&s, "log.json", out.p, out.len, DOC_PARSE_JSON, NULL));
	assert_int(s.n, 2 * NHOSTILE);
	for (i = 0, k = 0; i < NHOSTILE; i++) {
		const struct doc *d = s.docs[k++];
		const char *want = hostile_back[i];
		assert_mem(doc_str(doc_get(d, "msg")), doc_len(doc_get(d, "msg")), want,
		           strlen(want));
		assert_mem(doc_str(doc_get(d, "key")), doc_len(doc_get(d, "key")), want,
		           strlen(want));
		assert_mem(doc_str(doc_get(d, "error")), doc_len(doc_get(d, "error")), want,
		           strlen(want));
		/* the hostile key itself, escaped, not sanitized: JSON can carry it */
		assert_mem(doc_text(doc_key_at(d, 5), NULL), doc_len(doc_key_at(d, 5)),
		           *want ? want : "_", *want ? strlen(want) : 1);
		assert_int(doc_kind(doc_get(d, "n")), DOC_INT);
		assert_true(doc_get(d, "admin") == NULL);
		d = s.docs[k++];
		if (*hostile[i])
			assert_mem(doc_str(doc_get(d, "detail")), doc_len(doc_get(d, "detail")),
			           want, strlen(want));
		else
			assert_int(doc_len(d), 3); /* time, level, msg */
	}
	doc_stream_release(&s);
	/* and Python's reader agrees, line by line */
	if (access("/usr/bin/python3", X_OK) == 0) {
		must_pass(buf_addf(&path, "%s/gitseal-log-%d.json",
		                   getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid()));
		assert_true((f = fopen(path.p, "wb")) != NULL);
		assert_int(fwrite(out.p, 1, out.len, f), out.len);
		fclose(f);
		must_pass(
		    buf_addf(&cmd,
		             "python3 -c 'import json,sys\n"
		             "n = 0\n"
		             "for line in open(sys.argv[1], \"rb\"):\n"
		             "    r = json.loads(line)\n"
		             "    assert list(r)[:3] == [\"time\", \"level\", \"msg\"], list(r)\n"
		             "    n += 1\n"
		             "assert n == %zu, n' %s",
		             2 * NHOSTILE, path.p));
		st = system(cmd.p);
		unlink(path.p);
		assert_int(st, 0);
	}
	buf_release(&out);
	buf_release(&path);
	buf_release(&cmd);
}

static void long_records(void)
{
	static char big[3 * GS_LOG_VALUE_MAX];
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big + GS_LOG_VALUE_MAX - 1, "\xc3\xa9", 2); /* a character across the cut */
	gs_info("long", "v=%s after=%d", big, 1);
}

void test_core_log__long_values_are_cut(void)
{
	struct buf out = BUF_INIT(1 << 20), v = BUF_INIT(1 << 16);

	must_pass(capture(&out, 0, long_records));
	assert_int(count_lines(&out), 1);
	must_pass(logfmt_get(&v, out.p, "v"));
	assert_int(v.len, GS_LOG_VALUE_MAX - 1 + 3);
	assert_str(v.p + v.len - 4, "x...");
	must_pass(logfmt_get(&v, out.p, "after"));
	assert_str(v.p, "1");
	buf_release(&out);
	buf_release(&v);
}

static void keeps_error(void)
{
	gs_error(GS_EPARSE, "a.yaml:1:2: the message");
	gs_err("failed", "error=\"%s\"", gs_error_last());
}

void test_core_log__keeps_the_error_message(void)
{
	struct buf out = BUF_INIT(1 << 20);
	must_pass(capture(&out, 0, keeps_error));
	assert_str(gs_error_last(), "a.yaml:1:2: the message");
	assert_int(gs_error_code(), GS_EPARSE);
	assert_contains(out.p, "level=error msg=\"failed\" error=\"a.yaml:1:2: the message\"\n");
	buf_release(&out);
}
