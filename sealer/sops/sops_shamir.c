/*
 * Shamir's secret sharing as sops vendors it from HashiCorp Vault: one random
 * polynomial per secret byte over GF(2^8) (AES field, x^8+x^4+x^3+x+1), each
 * share = the y bytes followed by its x coordinate. Arithmetic is constant time
 * (shift-and-add, inverse as a^254) rather than Vault's log/exp tables; same field.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "sealer/sops/sops.h"

static uint8_t gf_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;
	int i;
	for (i = 0; i < 8; i++) {
		r ^= (uint8_t)(-(b & 1) & a);
		a = (uint8_t)((a << 1) ^ (-(a >> 7) & 0x1B));
		b >>= 1;
	}
	return r;
}

static uint8_t gf_inv(uint8_t a) /* a^254; 0 -> 0 */
{
	uint8_t r = 1, p = a;
	int e = 254;
	while (e) {
		if (e & 1)
			r = gf_mul(r, p);
		p = gf_mul(p, p);
		e >>= 1;
	}
	return r;
}

int sops_shamir_split(unsigned char **shares, const unsigned char *secret, size_t n, int parts,
                      int threshold)
{
	uint8_t xs[255], coef[255];
	size_t i;
	int j, k;

	if (parts < threshold)
		return gs_error(GS_EINVAL, "parts cannot be less than threshold");
	if (parts > 255)
		return gs_error(GS_EINVAL, "parts cannot exceed 255");
	if (threshold < 2)
		return gs_error(GS_EINVAL, "threshold must be at least 2");
	if (n == 0)
		return gs_error(GS_EINVAL, "cannot split an empty secret");
	/* distinct random x coordinates in 1..255, like Vault's Perm(255)+1 */
	for (j = 0; j < 255; j++)
		xs[j] = (uint8_t)(j + 1);
	for (j = 254; j > 0; j--) {
		k = (int)randombytes_uniform((uint32_t)j + 1);
		uint8_t t = xs[j];
		xs[j] = xs[k];
		xs[k] = t;
	}
	for (j = 0; j < parts; j++)
		shares[j][n] = xs[j];
	for (i = 0; i < n; i++) {
		coef[0] = secret[i];
		randombytes_buf(coef + 1, (size_t)threshold - 1);
		for (j = 0; j < parts; j++) {
			uint8_t x = xs[j], y = coef[threshold - 1];
			for (k = threshold - 2; k >= 0; k--)
				y = (uint8_t)(gf_mul(y, x) ^ coef[k]);
			shares[j][i] = y;
		}
	}
	sodium_memzero(coef, sizeof(coef));
	return 0;
}

int sops_shamir_combine(unsigned char *secret, const unsigned char *const *parts, size_t nparts,
                        size_t partlen)
{
	size_t i, j, b;
	if (nparts < 2)
		return gs_error(GS_EINVAL,
		                "less than two parts cannot be used to reconstruct the secret");
	if (partlen < 2)
		return gs_error(GS_EINVAL, "parts must be at least two bytes");
	for (i = 0; i < nparts; i++)
		for (j = i + 1; j < nparts; j++)
			if (parts[i][partlen - 1] == parts[j][partlen - 1])
				return gs_error(GS_EINVAL, "duplicate part detected");
	for (b = 0; b + 1 < partlen; b++) {
		uint8_t result = 0;
		for (i = 0; i < nparts; i++) {
			uint8_t basis = 1, xi = parts[i][partlen - 1];
			for (j = 0; j < nparts; j++) {
				uint8_t xj;
				if (i == j)
					continue;
				xj = parts[j][partlen - 1];
				/* Lagrange basis at x = 0: xj / (xi + xj) */
				basis = gf_mul(basis, gf_mul(xj, gf_inv((uint8_t)(xi ^ xj))));
			}
			result ^= gf_mul(parts[i][b], basis);
		}
		secret[b] = result;
	}
	return 0;
}
