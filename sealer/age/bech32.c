/* Bech32 (BIP-173) as age uses it: no 90-character limit, checksum over the lowercase form. */
#include <ctype.h>
#include <string.h>

#include "sealer/age/age_int.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, unsigned v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
		                         0x2a1462b3 };
	uint32_t top = chk >> 25;
	int i;
	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static uint32_t hrp_polymod(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned)tolower((unsigned char)hrp[i]) >> 5);
	chk = polymod_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (unsigned)tolower((unsigned char)hrp[i]) & 31);
	return chk;
}

int age__bech32_encode(struct buf *out, const char *hrp, const unsigned char *data, size_t n)
{
	size_t hlen = strlen(hrp), i, start = out->len;
	int upper = 0, lower = 0, rc;
	uint32_t chk, acc = 0;
	unsigned bits = 0;

	for (i = 0; i < hlen; i++) {
		if (hrp[i] < 33 || hrp[i] > 126)
			return gs_error(GS_EINVAL, "invalid HRP character");
		upper |= isupper((unsigned char)hrp[i]) != 0;
		lower |= islower((unsigned char)hrp[i]) != 0;
	}
	if (!hlen || (upper && lower))
		return gs_error(GS_EINVAL, "invalid HRP");
	chk = hrp_polymod(hrp, hlen);
	for (i = 0; i < hlen; i++)
		if ((rc = buf_addc(out, (char)tolower((unsigned char)hrp[i]))) < 0)
			return rc;
	if ((rc = buf_addc(out, '1')) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			unsigned v = (acc >> (bits - 5)) & 31;
			bits -= 5;
			chk = polymod_step(chk, v);
			if ((rc = buf_addc(out, charset[v])) < 0)
				return rc;
		}
	}
	if (bits) {
		unsigned v = (acc << (5 - bits)) & 31;
		chk = polymod_step(chk, v);
		if ((rc = buf_addc(out, charset[v])) < 0)
			return rc;
	}
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		if ((rc = buf_addc(out, charset[(chk >> (5 * (5 - i))) & 31])) < 0)
			return rc;
	if (upper)
		for (i = start; i < out->len; i++)
			out->p[i] = (char)toupper((unsigned char)out->p[i]);
	return 0;
}

int age__bech32_decode(const char *s, char *hrp, size_t hrpmax, unsigned char *data, size_t datamax,
                       size_t *n)
{
	size_t len = strlen(s), pos, i, o = 0;
	int upper = 0, lower = 0;
	uint32_t chk, acc = 0;
	unsigned bits = 0;
	const char *sep;

	for (i = 0; i < len; i++) {
		upper |= isupper((unsigned char)s[i]) != 0;
		lower |= islower((unsigned char)s[i]) != 0;
	}
	if (upper && lower)
		return gs_error(GS_EPARSE, "mixed case");
	sep = strrchr(s, '1');
	pos = sep ? (size_t)(sep - s) : 0;
	if (!sep || pos < 1 || pos + 7 > len)
		return gs_error(GS_EPARSE, "separator '1' at invalid position: pos=%d, len=%zu",
		                sep ? (int)pos : -1, len);
	if (pos >= hrpmax)
		return gs_error(GS_EPARSE, "human-readable part too long");
	for (i = 0; i < pos; i++) {
		if (s[i] < 33 || s[i] > 126)
			return gs_error(GS_EPARSE,
			                "invalid character human-readable part: s[%zu]=%d", i,
			                (unsigned char)s[i]);
		hrp[i] = s[i];
	}
	hrp[pos] = '\0';
	chk = hrp_polymod(hrp, pos);
	for (i = pos + 1; i < len; i++) {
		const char *c = memchr(charset, tolower((unsigned char)s[i]), 32);
		unsigned v;
		if (!c)
			return gs_error(GS_EPARSE, "invalid character data part: s[%zu]=%d",
			                i - pos - 1, (unsigned char)s[i]);
		v = (unsigned)(c - charset);
		chk = polymod_step(chk, v);
		if (i >= len - 6)
			continue; /* checksum characters */
		acc = (acc << 5) | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= datamax)
				return gs_error(GS_EPARSE, "data too long");
			data[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (chk != 1)
		return gs_error(GS_EPARSE, "invalid checksum");
	if (bits >= 5)
		return gs_error(GS_EPARSE, "illegal zero padding");
	if ((acc << (8 - bits)) & 0xff)
		return gs_error(GS_EPARSE, "non-zero padding");
	*n = o; /* hrp keeps the input's case: age compares it exactly */
	return 0;
}
