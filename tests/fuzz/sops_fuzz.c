/*
 * SOPS parsing: ENC[...] values, the sops metadata block (flat and key_groups),
 * every store (YAML, JSON, dotenv, INI), the tree walk with a fixed data key, the
 * emitters, the YAML/JSON/dotenv splices (comments decrypted and encrypted), the
 * comment rules (encrypted/unencrypted_comment_regex) and '["a"][0]' paths. The first byte picks
 * the format.
 */
#include <stdlib.h>
#include <string.h>

#include "sealer/sops/sops.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const unsigned char key[SOPS_KEY_LEN] = { 1, 2, 3 };
	struct sops_file f;
	struct sops_cipher *c = NULL;
	struct sops_path p;
	struct buf out = BUF_INIT_SECRET((size_t)64 << 20), pt = BUF_INIT_SECRET((size_t)64 << 20);
	enum sops_type t;
	char *s;
	enum sops_format fmt;

	if (size < 1 || size > (1 << 20))
		return 0;
	fmt = (enum sops_format)(data[0] % 4);
	data++, size--;
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	if (sops_cipher_new(&c, key) == 0) {
		sops_value_decrypt(c, &pt, &t, s, size, "a:", 2);
		sops_cipher_free(c);
	}
	if (sops_path_parse(&p, s) == 0)
		sops_path_release(&p);
	if (sops_file_load(&f, "fuzz", s, size, fmt) == 0) {
		sops_file_emit(&out, &f, fmt, 1, 0);
		buf_reset(&out);
		if (fmt == SOPS_FMT_YAML || fmt == SOPS_FMT_JSON)
			sops_yaml_splice(&out, &f, s, size, 1, 0, key, NULL, NULL);
		else if (fmt == SOPS_FMT_DOTENV)
			sops_dotenv_splice(&out, &f, s, size, 1, key, NULL, NULL);
		buf_reset(&out);
		sops_file_decrypt(&f, key, 1);
		sops_file_emit(&out, &f, fmt, 0, 0);
		sops_file_release(&f);
	}
	buf_reset(&out);
	if (sops_file_load_plain(&f, "fuzz", s, size, fmt) == 0) {
		sops_file_emit(&out, &f, fmt, 0, 0);
		buf_reset(&out);
		/* encrypt comments while splicing a plaintext source */
		if ((fmt == SOPS_FMT_YAML || fmt == SOPS_FMT_JSON) &&
		    sops_rules_set(&f.meta.rules, SOPS_RULE_UNENCRYPTED_SUFFIX, "_unencrypted") ==
		        0)
			sops_yaml_splice(&out, &f, s, size, 0, 0, NULL, key, NULL);
		else if (fmt == SOPS_FMT_DOTENV)
			sops_dotenv_splice(&out, &f, s, size, 0, NULL, key, NULL);
		sops_file_release(&f);
	}
	/* the comment rules: comments placed and the walk replayed, then encrypted and spliced */
	buf_reset(&out);
	if (fmt == SOPS_FMT_YAML && sops_file_load_plain(&f, "fuzz", s, size, fmt) == 0) {
		f.src = s;
		f.src_len = size;
		if (sops_rules_set(&f.meta.rules,
		                   size & 1 ? SOPS_RULE_ENCRYPTED_COMMENT_REGEX
		                            : SOPS_RULE_UNENCRYPTED_COMMENT_REGEX,
		                   "e") == 0 &&
		    sops_file_encrypt(&f, key, NULL) == 0)
			sops_yaml_splice(&out, &f, s, size, 0, 0, NULL, key, NULL);
		sops_file_release(&f);
	}
	buf_release(&out);
	buf_release(&pt);
	free(s);
	return 0;
}
