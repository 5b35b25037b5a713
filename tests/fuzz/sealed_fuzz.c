/*
 * sealer/sealed*.c + keys/: feed anything to what reads untrusted input:
 *   - as a document stream: seal each document as a Secret, open it as a
 *     SealedSecret (the test key below), load it as key Secrets;
 *   - as raw bytes: one sealed item blob, a certificate/private key PEM.
 * Whatever parses must not crash or leak (ASan/UBSan); a sealed document must
 * open again with the key.
 * The key is the deterministic RSA-2048 test key of tests/fixtures/sealed/vectors
 * (ss_vectors.py gen-vectors), never used for anything real.
 */
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "keys/keys.h"
#include "sealer/sealed/sealed.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

static const char test_key[] = "-----BEGIN RSA PRIVATE KEY-----\n"
                               "MIIEpAIBAAKCAQEA7zAzdhhnfiUA5oJJKzmDp5Urw1y30X2WDLI4gnDm97oQXoik\n"
                               "uiCGPs493Knxt4Z7wEbZ9wgxDYEBmZ3pBGrBGAP1Nuep7PG+POPU5PVsa2gD30Fm\n"
                               "ZrcoQY+BvvoY0+BD9Wrj95V90BmP3Fd1HHYlwqRVpxdDGS+pooZfc6TG4znVgE1E\n"
                               "byqbywDEyWoPuECSHshjy5a1yzIkJcViQMO/5/EkVqFQGzr29Ac8nXgonaD+2smS\n"
                               "5yJLhoaRqJ1xiBWMoeVzSvZBFtsARPCN+cqRmEke8u2p188KOWlMlw+98GFr5TCb\n"
                               "CBQIKpewJdrKjHRdu8dxRTDsKdKVQ2Dgr2WmgQIDAQABAoIBAQCE7Z7L9QgfPOVh\n"
                               "NesAELiwO+DUdATcchUf/TQWmjRiXI+YWgxiPI0e/nO23OOvARhpZXbhKTZJsPZ4\n"
                               "rx+/Cq1BcYGn/9uaCUeWg2/fxt14W5g7TRdh4kyHEwAiaM+/gJWEIOGMyRHgwzQG\n"
                               "WryFEswtfjLz56OsraZy4obNuDeoM3rqT9IV9N9PR/nA4BiJD9NOt6IHP+f2zu3P\n"
                               "fhOTR+7VB4fQP+8/ZnyXAlJHLAia9y8p69K09xriieUiCRWyAGppuk/0QI1fXpY8\n"
                               "emD9+iP7kUE+Oo4o6n0Or4S34BDwZmlLJfx/VvCqET4ZSPKzbfZtJ3RcbdJxaXEX\n"
                               "uFiaRVqBAoGBAP10WVtyN7DPbgXxZdbsNA6Rud4RdAgvOYBmoiwCRO6QjJKr68WF\n"
                               "dBjbO4jsSHTyNqYmu/TBE1HNnWoIidveMVeyI7yn36kDxbs/3FaOzpvI8lbQbRWH\n"
                               "XHZC3uF0DqO+DsjayoD9wSWhj3h7hcapZXmqdOnRXIg42lHJ3tqGFa9JAoGBAPGX\n"
                               "LCawD+GiKKzCjUWflSnji6gMlTIRRjfhhdht5ohgYxZJR2ByDwnceAXjuHt1/6ZO\n"
                               "gmcNUZhAI0jbibYO8xc31pAWbQzHqkuXWzls9Vbkg81TWnBUt2rdan+NaeF4toRi\n"
                               "auI8rnR8kFWeOKW6QkH92onJbJHxTtb8N8jTDmV5AoGAW+1JQ6unm0+A3lLx1wQQ\n"
                               "1X/xZCP8a8OFHZccFs4z5jszYTdN6nQ+6Y0KiNz6YsA/JgBCh8FHmpHzGDREnCR4\n"
                               "zQ/lelWA/7JIk2PULOja8xHtI6OxDO/tj08tu6P2c1lJz3vbmvFujpGMkexrVuS1\n"
                               "020Jvoya/SVxudx4IdYkI1ECgYEAgb5qG6zaGpb3uTASpp15gjGNwwZe6bCVQVWA\n"
                               "iCcdc4gwLrvT9VvL78PTQXZ2kPdiAHKRXb6tX1KyoGImpvuIWaPHO0KP9hkUv9vd\n"
                               "Rg3aBHxcvFxTaZhVmLKoiy/q+QfXHWmtdSqZlj1/VjvOuFI7Wy11vCHMiORLLvHt\n"
                               "E5ElXiECgYBzWfEF6ZIBsleUifd4RwcEUKCtPBRAbKcm8hxvH92UxsJB/wvtSodh\n"
                               "4eLdb2R/6mtSjWpOKQqyVi9yHr7LjjbfsEZRT/cihuAoQx+efUvgoEnj9efvAxlb\n"
                               "OM3UhzBasI1AnqdhwAZdjc5fuW9o2kPaLQQa/u2LbY6Dk61b6/N9gQ==\n"
                               "-----END RSA PRIVATE KEY-----\n";
static const char test_cert[] = "-----BEGIN CERTIFICATE-----\n"
                                "MIICzDCCAbSgAwIBAgIQLNIUKBNZIMxuvPbHWmocTTANBgkqhkiG9w0BAQsFADAA\n"
                                "MB4XDTI1MDEwMTAwMDAwMFoXDTM0MTIzMDAwMDAwMFowADCCASIwDQYJKoZIhvcN\n"
                                "AQEBBQADggEPADCCAQoCggEBAO8wM3YYZ34lAOaCSSs5g6eVK8Nct9F9lgyyOIJw\n"
                                "5ve6EF6IpLoghj7OPdyp8beGe8BG2fcIMQ2BAZmd6QRqwRgD9Tbnqezxvjzj1OT1\n"
                                "bGtoA99BZma3KEGPgb76GNPgQ/Vq4/eVfdAZj9xXdRx2JcKkVacXQxkvqaKGX3Ok\n"
                                "xuM51YBNRG8qm8sAxMlqD7hAkh7IY8uWtcsyJCXFYkDDv+fxJFahUBs69vQHPJ14\n"
                                "KJ2g/trJkuciS4aGkaidcYgVjKHlc0r2QRbbAETwjfnKkZhJHvLtqdfPCjlpTJcP\n"
                                "vfBha+UwmwgUCCqXsCXayox0XbvHcUUw7CnSlUNg4K9lpoECAwEAAaNCMEAwDgYD\n"
                                "VR0PAQH/BAQDAgABMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFBtyc6oQWFlB\n"
                                "yKU2fV6psD6VbXeYMA0GCSqGSIb3DQEBCwUAA4IBAQC+6iqo5seXXtxzULht+rbG\n"
                                "018hs9VjPXR6wNDsnMA3/8RsE9Go7R+sg2DEsVYoeJoUEcDLNYp6LbNEZ204GR88\n"
                                "4UKtXW59y3pqoOTBZOHSU+p55moQW+NaxH7DFxbEORi0imZOdjlN7J0Xm13E62ob\n"
                                "uvnhR5irHzNPeeQmJjm/90v43wEk6+PLYz3k+J/CSxN0oLqZ+xj4+JV814OXKoh7\n"
                                "U9HG8+Ez12NirQ0hV6Jny+5NDl9bTRHsTp99iptlrjLO/+6fqSKKDEfhI6Z/nPKY\n"
                                "HSCbdMSHu283L+G+RggoX4l5mlqFTSLTcFluqakS7copr4vnqNZf76CvNl+iAZma\n"
                                "-----END CERTIFICATE-----\n";

static struct keys_ring ring;
static struct sealed_pubkey *pk;

static void setup(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	keys_ring_init(&ring);
	CHECK(keys_ring_add_pem(&ring, test_key, sizeof(test_key) - 1, test_cert,
	                        sizeof(test_cert) - 1, "test") == 1);
	CHECK(sealed_pubkey_from_pem(&pk, test_cert, sizeof(test_cert) - 1, "test") == 0);
	ring.set.threads = 1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct doc_stream s = DOC_STREAM_INIT;
	struct buf out = BUF_INIT_SECRET(1 << 20);
	size_t i;

	setup();
	if (size > 1 << 16)
		return 0;
	/* raw: an item blob, PEM texts */
	sealed_decrypt_blob(&out, &ring.set, "ns/name", 7, data, size);
	buf_reset(&out);
	{
		struct sealed_pubkey *p = NULL;
		struct sealed_privkey *k = NULL;
		sealed_pubkey_from_pem(&p, (const char *)data, size, "fuzz");
		sealed_privkey_from_pem(&k, (const char *)data, size, "fuzz");
		sealed_pubkey_free(p);
		sealed_privkey_free(k);
	}
	/* documents */
	if (doc_parse(&s, "fuzz.yaml", (const char *)data, size, DOC_PARSE_SECRET, NULL) >= 0) {
		for (i = 0; i < s.n && i < 8; i++) {
			struct doc *ss = NULL, *sec = NULL;
			struct sealed_unseal_opts uo = SEALED_UNSEAL_OPTS_INIT;
			struct keys_ring r2 = KEYS_RING_INIT;
			struct sealed_items it = SEALED_ITEMS_INIT;
			if (!s.docs[i])
				continue;
			uo.accept_v1_data = 1;
			/* as a Secret: whatever seals opens again to the same number of items */
			if (sealed_seal_secret(&ss, s.docs[i], pk, NULL) == 0) {
				CHECK(sealed_open(&it, ss, &ring.set, NULL) == 0);
				CHECK(it.n == doc_len(doc_getp(ss, "spec", "encryptedData", NULL)));
				sealed_items_release(&it);
				CHECK(sealed_merge_into(ss, s.docs[i], pk, NULL) == 0);
				doc_free(ss);
			}
			/* as a SealedSecret */
			if (sealed_unseal(&sec, s.docs[i], &ring.set, &uo, NULL) == 0)
				CHECK(sec != NULL);
			doc_free(sec);
			/* as key Secrets */
			keys_ring_add_doc(&r2, s.docs[i], "fuzz");
			keys_ring_release(&r2);
		}
	}
	doc_stream_release(&s);
	buf_release(&out);
	return 0;
}
