/*
 * Private-key files for unseal, validate, reseal, keys cert and keys restore:
 * a PEM key, a key Secret, a List of them, or any of those age-encrypted (what
 * `gitseal keys backup -r` writes), opened with the -i identities.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_seal.h"
#include "core/file.h"
#include "sealer/age/age.h"

#define KEYFILE_MAX ((size_t)64 << 20)

static int is_age(const struct buf *b)
{
	static const char bin[] = "age-encryption.org/v1",
	                  arm[] = "-----BEGIN AGE ENCRYPTED FILE-----";
	size_t i = 0;
	if (b->len >= sizeof(bin) - 1 && !memcmp(b->p, bin, sizeof(bin) - 1))
		return 1;
	while (i < b->len && i < 1024 && strchr(" \t\r\n", b->p[i]) && b->p[i])
		i++;
	return b->len - i >= sizeof(arm) - 1 && !memcmp(b->p + i, arm, sizeof(arm) - 1);
}

int seal_cli_read_key_file(struct buf *text, const char *path, char *const *ids, size_t nids)
{
	struct buf raw = BUF_INIT_SECRET(KEYFILE_MAX), idtext = BUF_INIT_SECRET(1 << 20);
	struct age_identity *idl = NULL;
	size_t i;
	int rc;

	if ((rc = file_read(&raw, path)) < 0)
		goto out;
	if (!is_age(&raw)) {
		rc = buf_add(text, raw.p, raw.len);
		goto out;
	}
	if (!nids) {
		rc = gs_error(GS_EINVAL, "%s is age-encrypted: give its identity with -i FILE",
		              path);
		goto out;
	}
	for (i = 0; i < nids; i++) {
		buf_reset(&idtext);
		if ((rc = file_read(&idtext, ids[i])) < 0 ||
		    (rc = age_identities_parse(&idl, idtext.p, idtext.len, ids[i])) < 0)
			goto out;
	}
	if ((rc = age_decrypt_buf(text, raw.p, raw.len, idl)) < 0)
		gs_error_prefix(rc, "%s", path);
out:
	age_identities_free(idl);
	buf_release(&raw);
	buf_release(&idtext);
	return rc;
}

int seal_cli_load_keys(struct keys_ring *r, char *const *paths, size_t n, char *const *ids,
                       size_t nids)
{
	struct buf text = BUF_INIT_SECRET(KEYFILE_MAX);
	size_t i;
	int rc = 0;

	for (i = 0; rc >= 0 && i < n; i++) {
		char *list = strdup(paths[i]), *save = NULL, *p;
		if (!list) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			break;
		}
		for (p = strtok_r(list, ",", &save); rc >= 0 && p; p = strtok_r(NULL, ",", &save)) {
			buf_reset(&text);
			if ((rc = seal_cli_read_key_file(&text, p, ids, nids)) >= 0)
				rc = keys_ring_load_text(r, text.p, text.len, p);
		}
		free(list);
	}
	buf_release(&text);
	if (rc >= 0 && !r->n)
		rc = gs_error(GS_ENOTFOUND, "no private key given");
	return rc;
}
