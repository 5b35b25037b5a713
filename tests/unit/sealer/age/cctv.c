/*
 * The C2SP age test kit (CCTV, npm cctv-age 0.2.0) over the committed vectors in
 * tests/fixtures/cctv-age/vectors: each non-hybrid vector must give its expected
 * outcome (success, no match, HMAC/header/payload/armor failure) and the SHA-256
 * of the plaintext released (also of the partial plaintext of payload failures).
 * zlib-compressed vectors are inflated with the system's libz.so.1 (dlopen).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/file.h"
#include "sealer/age/age.h"
#include "test.h"

#define VEC_DIR "fixtures/cctv-age/vectors"

struct sink_hash {
	struct age_sink sink;
	crypto_hash_sha256_state st;
};

static int hash_write(struct age_sink *s, const void *p, size_t n)
{
	crypto_hash_sha256_update(&((struct sink_hash *)s)->st, p, n);
	return 0;
}

struct mem {
	struct age_src src;
	const unsigned char *p;
	size_t n, pos;
};

static ssize_t mem_read(struct age_src *s, void *p, size_t n)
{
	struct mem *m = (struct mem *)s;
	size_t k = m->n - m->pos < n ? m->n - m->pos : n;
	memcpy(p, m->p + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

typedef int (*uncompress_fn)(unsigned char *, unsigned long *, const unsigned char *,
                             unsigned long);

static int inflate_zlib(unsigned char **out, size_t *outlen, const unsigned char *in, size_t n)
{
	static uncompress_fn fn;
	unsigned long cap = 32ul << 20;
	if (!fn) {
		void *h = dlopen("libz.so.1", RTLD_NOW);
		if (!h || !(fn = (uncompress_fn)dlsym(h, "uncompress")))
			return -1;
	}
	if (!(*out = malloc(cap)))
		return -1;
	if (fn(*out, &cap, in, n) != 0) {
		free(*out);
		return -1;
	}
	*outlen = cap;
	return 0;
}

static const char *failure_name(int f)
{
	static const char *names[] = { "success",        "io failure", "armor failure",
		                       "header failure", "no match",   "HMAC failure",
		                       "payload failure" };
	return f >= 0 && f <= AGE_FAIL_PAYLOAD ? names[f] : "?";
}

/* Run one vector; returns NULL when it gives what it expects, else a reason (static). */
static const char *run_vector(const char *path, int *skipped)
{
	static char why[512];
	struct buf f = BUF_INIT(BUF_MAX_FILE);
	struct age_identity *ids = NULL;
	char expect[64] = "", payload[65] = "";
	unsigned char *body, *inflated = NULL, hash[32];
	size_t bodylen, inflatedlen = 0, i;
	int armored = 0, compressed = 0, rc;
	struct age_decrypt_result res;
	struct sink_hash sink;
	struct mem src;
	char *line, *end;

	*skipped = 0;
	why[0] = '\0';
	if (file_read(&f, path) < 0) {
		snprintf(why, sizeof(why), "%s", gs_error_last());
		goto out;
	}
	for (line = f.p;; line = end + 1) {
		char *val;
		if (!(end = memchr(line, '\n', f.len - (size_t)(line - f.p)))) {
			snprintf(why, sizeof(why), "no blank line after the vector's header");
			goto out;
		}
		if (end == line)
			break;
		*end = '\0';
		if (!(val = strstr(line, ": "))) {
			snprintf(why, sizeof(why), "bad vector line %s", line);
			goto out;
		}
		*val = '\0';
		val += 2;
		if (!strcmp(line, "expect"))
			snprintf(expect, sizeof(expect), "%s", val);
		else if (!strcmp(line, "payload"))
			snprintf(payload, sizeof(payload), "%s", val);
		else if (!strcmp(line, "identity")) {
			if (!strncmp(val, "AGE-SECRET-KEY-PQ-", 18)) {
				*skipped = 1; /* ML-KEM-768 hybrid */
				goto out;
			}
			if (age_identities_parse(&ids, val, strlen(val), "vector") < 0) {
				snprintf(why, sizeof(why), "identity: %s", gs_error_last());
				goto out;
			}
		} else if (!strcmp(line, "passphrase")) {
			if (age_identity_add_passphrase(&ids, val) < 0) {
				snprintf(why, sizeof(why), "passphrase: %s", gs_error_last());
				goto out;
			}
		} else if (!strcmp(line, "armored"))
			armored = 1;
		else if (!strcmp(line, "compressed"))
			compressed = 1;
		else if (strcmp(line, "file key") && strcmp(line, "comment")) {
			snprintf(why, sizeof(why), "unknown vector key %s", line);
			goto out;
		}
	}
	body = (unsigned char *)end + 1;
	bodylen = f.len - (size_t)((char *)body - f.p);
	if (compressed) {
		if (inflate_zlib(&inflated, &inflatedlen, body, bodylen) < 0) {
			snprintf(why, sizeof(why), "cannot inflate (libz.so.1)");
			goto out;
		}
		body = inflated;
		bodylen = inflatedlen;
	}
	src = (struct mem){ { mem_read }, body, bodylen, 0 };
	sink.sink.write = hash_write;
	crypto_hash_sha256_init(&sink.st);
	rc = age_decrypt_stream_ex(&sink.sink, &src.src, ids, &res, armored ? 1 : 0);
	crypto_hash_sha256_final(&sink.st, hash);
	if (strcmp(failure_name(rc < 0 ? res.failure : AGE_OK), expect)) {
		snprintf(why, sizeof(why), "expected %s, got %s (%s)", expect,
		         failure_name(rc < 0 ? res.failure : 0), rc < 0 ? gs_error_last() : "ok");
		goto out;
	}
	if (payload[0]) {
		char hex[65];
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", hash[i]);
		if (strcmp(hex, payload))
			snprintf(why, sizeof(why),
			         "payload hash %s, expected %s (%llu bytes released)", hex, payload,
			         res.released);
	}
out:
	free(inflated);
	age_identities_free(ids);
	buf_release(&f);
	return why[0] ? why : NULL;
}

static int list_vectors(char ***names, size_t *n)
{
	DIR *d = opendir(test_fixture(VEC_DIR));
	struct dirent *e;
	*names = NULL;
	*n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		*names = realloc(*names, (*n + 1) * sizeof(char *));
		(*names)[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	return 0;
}

void test_age_cctv__vectors(void)
{
	char **names = NULL, path[4096];
	size_t n = 0, i, ran = 0, bad = 0, skipped = 0;

	if (list_vectors(&names, &n) < 0 || n < 100)
		fail_("cannot list the vectors in tests/%s", VEC_DIR);
	for (i = 0; i < n; i++) {
		const char *why;
		int skip;
		snprintf(path, sizeof(path), "%s/%s", test_fixture(VEC_DIR), names[i]);
		why = run_vector(path, &skip);
		if (skip)
			skipped++;
		else
			ran++;
		if (why) {
			printf("# cctv %s: %s\n", names[i], why);
			bad++;
		}
	}
	printf("# cctv: %zu vectors checked, %zu failed, %zu hybrid skipped\n", ran, bad, skipped);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_int(bad, 0);
	assert_int(ran, 124);
}

void test_age_cctv__hybrid(void)
{
	skip_("19 ML-KEM-768 hybrid vectors: no ML-KEM in OpenSSL 3.0 / libsodium 1.0.18");
}
