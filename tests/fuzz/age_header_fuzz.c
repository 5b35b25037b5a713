/*
 * sealer/age*.c: feed anything to what reads untrusted age input:
 *   - as an age file (binary or armored, detected) decrypted with a fixed X25519
 *     identity: header, stanzas, armor, MAC, STREAM payload;
 *   - as an identity file and as a recipient string.
 * Nothing may crash or leak (ASan/UBSan). A file that decrypts must decrypt the
 * same way again; an age1 recipient that parses must print back as itself.
 * Only an X25519 identity is used: scrypt stanzas are "not mine" (no 4 GiB scrypt).
 * The identity is the C2SP test kit's (public test vector key).
 */
#include <stdlib.h>
#include <string.h>

#include "sealer/age/age.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

static const char kit_identity[] =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0\n";

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct age_identity *ids = NULL, *more = NULL;
	struct age_recipient *r = NULL;
	struct buf a = BUF_INIT_SECRET(8 << 20), b = BUF_INIT_SECRET(8 << 20);
	char *s;
	int rc;

	CHECK(age_identities_parse(&ids, kit_identity, strlen(kit_identity), "kit") == 0);
	rc = age_decrypt_buf(&a, data, size, ids);
	if (rc == 0) {
		CHECK(age_decrypt_buf(&b, data, size, ids) == 0);
		CHECK(a.len == b.len && !memcmp(a.p, b.p, a.len));
	} else {
		CHECK(a.len == 0);
	}
	age_identities_parse(&more, (const char *)data, size, "fuzz");
	age_identities_free(more);
	if (size < 4096 && (s = malloc(size + 1))) {
		memcpy(s, data, size);
		s[size] = '\0';
		/* an age1 recipient prints back as itself (SSH keys lose their comment) */
		if (age_recipient_parse(&r, s) == 0 && !strncmp(s, "age1", 4))
			CHECK(!strcmp(age_recipient_str(r), s));
		age_recipient_free(r);
		free(s);
	}
	age_identities_free(ids);
	buf_release(&a);
	buf_release(&b);
	return 0;
}
