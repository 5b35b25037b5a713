#ifndef GS_CMD_SEAL_H
#define GS_CMD_SEAL_H
/*
 * Helpers shared by the Sealed Secrets commands (seal, unseal, validate,
 * reseal, keys); defined in cli/cmd_seal.c.
 */
#include "core/buf.h"
#include "doc/doc.h"
#include "keys/keys.h"
#include "sealer/sealed.h"

/*
 * Read path ("-" = stdin) into text and parse every document. *is_json: 0 YAML, 1 one JSON
 * value, 2 several concatenated JSON values (node offsets then relative to each value).
 */
int seal_cli_read_docs(struct doc_stream *s, struct buf *text, const char *path, unsigned flags, int *is_json);
/* kubeseal's layout: JSON as Go's json.MarshalIndent + "\n"; YAML sorted keys after "---". */
int seal_cli_emit(struct buf *out, const struct doc *d, int json, int doc_start);
/* Add every key of each file (comma-separated lists allowed) to the ring. */
int seal_cli_load_keys(struct keys_ring *r, char *const *paths, size_t n);
/* Read a certificate from a file, a file:// or http(s):// URL into pem. */
int seal_cli_read_cert(struct buf *pem, const char *cert);
/* "x.yaml" / "x.yml" */
int seal_cli_is_yaml_name(const char *path);
/* "document N of FILE" for messages (static buffer). */
const char *seal_cli_what(const char *path, size_t i, size_t n);

#endif
