#ifndef GS_CMD_SEAL_H
#define GS_CMD_SEAL_H
/*
 * Helpers shared by the Sealed Secrets commands (seal, unseal, validate,
 * reseal, keys): the manifest reader in cli/cmd_seal.c, output and certificates
 * in cli/seal_io.c, key files in cli/keyfiles.c, the cluster in cli/seal_cluster.c.
 */
#include "core/buf.h"
#include "doc/doc.h"
#include "keys/keys.h"
#include "kube/kube.h"
#include "sealer/sealed/sealed.h"

/*
 * Read path ("-" = stdin) into text and parse every document (doc_read_manifests(), as written).
 * *is_json: 0 YAML, 1 one JSON value, 2 several concatenated JSON values.
 */
int seal_cli_read_docs(struct doc_stream *s, struct buf *text, const char *path, unsigned flags,
                       int *is_json);
/* kubeseal's layout: JSON as Go's json.MarshalIndent + "\n"; YAML sorted keys after "---". */
int seal_cli_emit(struct buf *out, const struct doc *d, int json, int doc_start);
/* Add every key of each file (comma-separated lists allowed) to the ring; age-encrypted files
 * (gitseal keys backup -r) are opened with the identity files ids (cli/keyfiles.c). */
int seal_cli_load_keys(struct keys_ring *r, char *const *paths, size_t n, char *const *ids,
                       size_t nids);
/* A key file's text, decrypted first when it is an age file. */
int seal_cli_read_key_file(struct buf *text, const char *path, char *const *ids, size_t nids);
/* Read a certificate from a file, a file:// or http(s):// URL into pem. */
int seal_cli_read_cert(struct buf *pem, const char *cert);
/* "x.yaml" / "x.yml" */
int seal_cli_is_yaml_name(const char *path);
/* The controller, reached through the API server's service proxy (cli/seal_cluster.c). */
struct seal_cluster {
	struct kube_overrides ov; /* --kubeconfig, --context, -n, --server, --token ... */
	const char *ctl_ns;       /* --controller-namespace (kube-system) */
	const char *ctl_name;     /* --controller-name (sealed-secrets-controller) */
	struct kube_client *kc;   /* connected on first use */
	char *base;               /* the service proxy path, once found (threads may share c after
	                           * one call made it) */
};
void seal_cluster_release(struct seal_cluster *c);
/* The kubeconfig context's namespace ("default" without one); no network. */
const char *seal_cluster_namespace(struct seal_cluster *c);
/* GET one of the controller's endpoints ("/v1/age-recipient") into out. */
int seal_cluster_get(struct seal_cluster *c, const char *endpoint, struct buf *out);
/* GET /v1/cert.pem of the controller into pem. */
int seal_cluster_cert(struct seal_cluster *c, struct buf *pem);
/* POST d as compact JSON to the controller's endpoint ("/v1/verify"); *status = HTTP status. */
int seal_cluster_post(struct seal_cluster *c, const char *endpoint, const struct doc *d,
                      struct buf *out, long *status);

/* seal --cluster-cert / --backup-recipient (cli/seal_fleet.c) */
struct seal_fleet_opts {
	const char *in;  /* -f (default "-") */
	const char *out; /* -w, {cluster} replaced by each NAME */
	int yaml;        /* -o yaml (a .yaml/.yml path is YAML anyway) */
	struct sealed_seal_opts so;
	int allow_expired;
	char **clusters; /* "NAME=FILE|URL" */
	size_t nclusters;
	char **backup; /* age recipients of the FILE.age copies */
	size_t nbackup;
	const struct sealed_pubkey *pk; /* without clusters: --cert's */
};
int seal_fleet(const struct seal_fleet_opts *o);

/* "document N of FILE" for messages (static buffer). */
const char *seal_cli_what(const char *path, size_t i, size_t n);

#endif
