/*
 * The source-record key (keys/keys.h): the HMAC key of the gitseal.dev/unsealed-from record on
 * every Secret we write (desired.c). The leader reads it from its Secret in the controller's
 * namespace before the unsealing machinery starts, and makes it (32 random bytes) on the first
 * start; two leaders racing on a fresh cluster agree, since the name is fixed and the loser of
 * the create reads the winner's. It is backed up and restored with `gitseal keys backup` /
 * `keys restore`. Without it (a restore into a cluster whose controller made a new one, a
 * deleted Secret) nothing breaks: every record stops matching once, so each SealedSecret is
 * decrypted once more and its Secret gets a record under the key now in use.
 */
#include <string.h>

#include "controller/sealedsecret/sealedsecret_int.h"
#include "core/crypto.h"
#include "core/log.h"
#include "keys/keys.h"
#include "kube/kube.h"

int ss_record_key_load(struct ss_controller *c)
{
	const char *ns = c->o->namespace;
	struct doc *sec = NULL, *made = NULL, *created = NULL;
	unsigned char k[KEYS_RECORD_KEY_LEN];
	int rc;

	rc = kube_get(&sec, c->kc, "v1", "Secret", ns, KEYS_RECORD_NAME);
	if (rc == GS_ENOTFOUND) {
		gs_error_clear();
		if ((rc = gs_random_bytes(k, sizeof(k))) < 0 ||
		    (rc = keys_record_secret(&made, ns, k, sizeof(k))) < 0)
			goto out;
		rc = kube_create(&created, c->kc, made, NULL);
		if (rc == GS_ECONFLICT) { /* another replica made it meanwhile: theirs */
			gs_error_clear();
			rc = kube_get(&sec, c->kc, "v1", "Secret", ns, KEYS_RECORD_NAME);
		} else if (rc >= 0) {
			memcpy(c->record_key, k, sizeof(k));
			gs_info("source-record key created", "namespace=%s name=%s", ns,
			        KEYS_RECORD_NAME);
		}
	}
	if (rc >= 0 && sec)
		rc = keys_record_key(c->record_key, sec);
out:
	if (rc < 0)
		gs_error_prefix(rc, "source-record key %s/%s", ns, KEYS_RECORD_NAME);
	gs_wipe(k, sizeof(k));
	doc_free(sec);
	doc_free(made);
	doc_free(created);
	return rc;
}
