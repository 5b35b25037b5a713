/* The age header: strict parse (C2SP age.md, Go's internal/format), serialisation, MAC. */
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "sealer/age/age_int.h"

#define B64_AGE (B64_NOPAD | B64_STRICT)
#define BYTES_PER_LINE 48

void age__header_release(struct age_header *h)
{
	size_t i, j;
	for (i = 0; i < h->nst; i++) {
		for (j = 0; j < h->st[i].nargs; j++)
			free(h->st[i].args[j]);
		free(h->st[i].args);
		free(h->st[i].body);
	}
	free(h->st);
	memset(h, 0, sizeof(*h));
}

int age__header_add(struct age_header *h, const char *const *args, size_t nargs,
                    const unsigned char *body, size_t bodylen)
{
	struct age_stanza *st, *s;
	size_t i;

	if (!(st = realloc(h->st, (h->nst + 1) * sizeof(*st))))
		return gs_error(GS_ENOMEM, "out of memory");
	h->st = st;
	s = &st[h->nst];
	memset(s, 0, sizeof(*s));
	h->nst++;
	if (!(s->args = calloc(nargs ? nargs : 1, sizeof(char *))) ||
	    !(s->body = malloc(bodylen ? bodylen : 1)))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < nargs; i++) {
		if (!(s->args[i] = strdup(args[i])))
			return gs_error(GS_ENOMEM, "out of memory");
		s->nargs++;
	}
	memcpy(s->body, body, bodylen);
	s->bodylen = bodylen;
	return 0;
}

/* Decode one base64 header token; CR/LF inside are rejected like Go's format.DecodeString. */
static int decode_b64(unsigned char *out, size_t *outlen, const char *s, size_t n)
{
	if (memchr(s, '\r', n) || memchr(s, '\n', n))
		return gs_error(GS_EPARSE, "unexpected newline character");
	return base64_decode_raw(out, outlen, s, n, B64_AGE);
}

static int valid_arg(const char *s, size_t n)
{
	size_t i;
	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 33 || s[i] > 126)
			return 0;
	return 1;
}

/* Split "PREFIX a b c" (no LF) into args after the prefix; 0 ok. */
static int split_args(char ***out, size_t *nout, const char *line, size_t n, const char *prefix)
{
	size_t plen = strlen(prefix), i, start, cnt = 0;
	char **args = NULL;

	*out = NULL;
	*nout = 0;
	if (n < plen || memcmp(line, prefix, plen) || (n > plen && line[plen] != ' '))
		return -1;
	for (i = plen; i < n; i++)
		cnt += line[i] == ' ';
	if (!(args = calloc(cnt ? cnt : 1, sizeof(char *))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (start = plen + 1, i = plen + 1; cnt && i <= n; i++) {
		if (i == n || line[i] == ' ') {
			if (!valid_arg(line + start, i - start) ||
			    !(args[*nout] = strndup(line + start, i - start))) {
				while (*nout)
					free(args[--*nout]);
				free(args);
				return -1;
			}
			(*nout)++;
			start = i + 1;
		}
	}
	*out = args;
	return 0;
}

int age__header_parse(struct age_header *h, const char *p, size_t n)
{
	struct buf q = BUF_INIT(1024);
	const char *line, *nl;
	size_t pos = 0, len;
	unsigned char *body = NULL;
	int rc = 0;

	memset(h, 0, sizeof(*h));
	if (!n) {
		rc = gs_error(GS_EPARSE, "parsing age header: failed to read intro: EOF");
		goto out;
	}
	nl = memchr(p, '\n', n);
	if (!nl || (size_t)(nl - p + 1) != strlen(AGE_INTRO) ||
	    memcmp(p, AGE_INTRO, strlen(AGE_INTRO))) {
		len = nl ? (size_t)(nl - p + 1) : n;
		rc = nl ? gs_error(GS_EPARSE, "parsing age header: unexpected intro: %s",
		                   age__quote(&q, p, len))
		        : gs_error(GS_EPARSE, "parsing age header: failed to read intro: EOF");
		goto out;
	}
	pos = strlen(AGE_INTRO);
	for (;;) {
		struct age_stanza *st;
		if (n - pos < 3) {
			rc = gs_error(GS_EPARSE, "parsing age header: failed to read header: EOF");
			goto out;
		}
		line = p + pos;
		if (!(nl = memchr(line, '\n', n - pos))) {
			/* Go age: a cut closing line fails reading the header, a cut stanza line
			 * fails in the stanza reader (format.go Parse / ReadStanza) */
			rc = memcmp(line, "---", 3)
			         ? gs_error(GS_EPARSE,
			                    "failed to parse header: failed to read line: EOF")
			         : gs_error(GS_EPARSE, "failed to read header: EOF");
			goto out;
		}
		len = (size_t)(nl - line);
		if (!memcmp(line, "---", 3)) {
			char **args = NULL;
			size_t nargs = 0, maclen = 0;
			int bad = split_args(&args, &nargs, line, len, "---") < 0 || nargs != 1 ||
			          strlen(args[0]) != 43 ||
			          decode_b64(h->mac, &maclen, args[0], 43) < 0 || maclen != 32;
			while (nargs)
				free(args[--nargs]);
			free(args);
			if (bad) {
				rc = gs_error(GS_EPARSE,
				              "parsing age header: malformed closing line: %s",
				              age__quote(&q, line, len + 1));
				goto out;
			}
			h->maclen = pos + 3;
			h->totallen = pos + len + 1;
			break;
		}
		/* a stanza: "-> type args..." then base64 body lines, the last one short */
		if (!(st = realloc(h->st, (h->nst + 1) * sizeof(*st)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		h->st = st;
		st = &h->st[h->nst];
		memset(st, 0, sizeof(*st));
		if (len < 2 || memcmp(line, "->", 2)) {
			rc = gs_error(GS_EPARSE,
			              "failed to parse header: malformed stanza opening line: %s",
			              age__quote(&q, line, len + 1));
			goto out;
		}
		if (split_args(&st->args, &st->nargs, line, len, "->") < 0 || st->nargs < 1) {
			size_t k;
			for (k = 0; k < st->nargs; k++)
				free(st->args[k]);
			free(st->args);
			rc = gs_error(GS_EPARSE, "failed to parse header: malformed stanza: %s",
			              age__quote(&q, line, len + 1));
			goto out;
		}
		h->nst++;
		pos += len + 1;
		for (;;) {
			unsigned char tmp[BYTES_PER_LINE + 3];
			size_t got = 0;
			line = p + pos;
			if (pos >= n || !(nl = memchr(line, '\n', n - pos))) {
				rc = gs_error(GS_EPARSE,
				              "failed to parse header: failed to read line: EOF");
				goto out;
			}
			len = (size_t)(nl - line);
			if (len > 64 + 3 || decode_b64(tmp, &got, line, len) < 0) {
				rc = gs_error(GS_EPARSE,
				              "failed to parse header: malformed body line %s",
				              age__quote(&q, line, len + 1));
				goto out;
			}
			if (got > BYTES_PER_LINE) {
				rc = gs_error(
				    GS_EPARSE,
				    "failed to parse header: malformed body line %s: too long",
				    age__quote(&q, line, len + 1));
				goto out;
			}
			if (!(body = realloc(st->body, st->bodylen + got + 1))) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
			st->body = body;
			memcpy(st->body + st->bodylen, tmp, got);
			st->bodylen += got;
			pos += len + 1;
			if (got < BYTES_PER_LINE)
				break;
		}
	}
out:
	buf_release(&q);
	if (rc < 0)
		age__header_release(h);
	return rc;
}

int age__header_marshal_nomac(struct buf *out, const struct age_header *h)
{
	size_t i, j;
	int rc;

	if ((rc = buf_adds(out, AGE_INTRO)) < 0)
		return rc;
	for (i = 0; i < h->nst; i++) {
		const struct age_stanza *s = &h->st[i];
		if ((rc = buf_adds(out, "->")) < 0)
			return rc;
		for (j = 0; j < s->nargs; j++)
			if ((rc = buf_addc(out, ' ')) < 0 || (rc = buf_adds(out, s->args[j])) < 0)
				return rc;
		if ((rc = buf_addc(out, '\n')) < 0)
			return rc;
		/* 64-column lines; the last is short (empty when the body is a multiple of 48
		 * bytes) */
		for (j = 0;; j += BYTES_PER_LINE) {
			size_t k =
			    s->bodylen - j < BYTES_PER_LINE ? s->bodylen - j : BYTES_PER_LINE;
			if ((rc = base64_encode(out, s->body + j, k, B64_NOPAD)) < 0 ||
			    (rc = buf_addc(out, '\n')) < 0)
				return rc;
			if (k < BYTES_PER_LINE)
				break;
		}
	}
	return buf_adds(out, "---");
}

int age__header_mac(unsigned char mac[32], const unsigned char file_key[16], const void *hdr,
                    size_t n)
{
	unsigned char key[32];
	int rc;
	if ((rc = age__hkdf(key, sizeof(key), file_key, AGE_FILE_KEY_LEN, NULL, 0, "header")) == 0)
		rc = age__hmac_sha256(mac, key, hdr, n);
	gs_wipe(key, sizeof(key));
	return rc;
}
