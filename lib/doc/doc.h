#ifndef GS_DOC_H
#define GS_DOC_H
/*
 * doc: the one YAML/JSON document tree every part of gitseal shares.
 *
 * Ownership (one rule, like jq's): lookups borrow and accept NULL (so a chain
 * like doc_get(doc_get(obj, "metadata"), "name") needs no checks in between);
 * doc_new_* and doc_parse* return owned trees; doc_set/doc_push take the child.
 *
 * Parsing is libyaml; with DOC_PARSE_JSON, strict JSON read natively (a stream
 * of values like Go's json.Decoder; JSON without the flag is read as YAML
 * flow). Every node keeps:
 *   - its source file name, byte offsets and 1-based line/column of start/end
 *     (libyaml drops comments: edits that keep a file's layout splice new text
 *     into the original bytes between these offsets),
 *   - for scalars, the text as written, the style (plain/quoted/block), the
 *     tag if any, and the kind resolved like YAML 1.2 core schema / yaml.v3
 *     (plain `true` is bool, `7` int, `3.14` float, `~`/`null`/empty null,
 *     a plain 2001-12-14 style value a timestamp; quoted is always a string),
 *   - maps keep key order; duplicate keys are an error ("f:3:1: mapping key
 *     "a" already defined at line 1"; the key is not shown for DOC_SECRET).
 *     Keys compare by text, except that an empty (null) key equals "null":
 *     both are written "null".
 * Offsets: [start, end) of a scalar is its source text with quotes or the
 * block header; block scalars and block collections end where libyaml ends
 * them, at the start of the line after their last line (blank lines kept).
 * Aliases are expanded into copies (max_alias bounds the copied nodes); merge
 * keys "<<" are not merged, they stay ordinary keys. Complex (non-scalar)
 * keys are an error. Errors are "file:line:col: what" (libyaml's text for
 * syntax errors, Go's encoding/json wording for JSON: "01" is refused, as
 * RFC 8259 and json.Unmarshal do). A tag must fit its value as yaml.v3 says,
 * except that "!!float 1e400" and "!!int" with a decimal integer of any size
 * are accepted: that is how the emitter writes JSON numbers past float64.
 *
 * Emitting YAML quotes every string that a YAML 1.1 reader (Kubernetes'
 * sigs.k8s.io/yaml, go-yaml v2) would take for a bool/number/null/timestamp
 * ("yes", "on", "0x1F", "1_000", "1:20", "2001-12-14", "~", ".5444...",
 * however long), and writes an int that go-yaml v2 would take for a string
 * ("0o+17", yaml.v3-only) in decimal unless DOC_EMIT_YAML12. Output is
 * byte for byte what go-yaml v2.4.0 (default) or yaml.v3 v3.0.1
 * (DOC_EMIT_SEQ_INDENT, indent 4, DOC_EMIT_YAML12) write for the same tree,
 * without line folding, except that: strings holding \r, U+0085, U+2028 or U+2029
 * are double-quoted (go-yaml writes them raw and may not read them back),
 * and yaml.v3's lost leading newline in block scalars is not copied.
 * DOC_EMIT_KEEP_STYLE keeps quoting and block styles from the source
 * (folded scalars are written as literal ones: same text, no folding rules).
 * JSON output follows the tree's key order (or sorted keys when asked).
 *
 * Secrets: a node flagged DOC_SECRET keeps its text in memory that is wiped
 * when the node is freed or changed. DOC_PARSE_SECRET flags every scalar,
 * wipes libyaml's input buffers and events, and the arena it parsed into.
 * (libyaml may still free a few unwiped scratch copies while it scans quoted
 * scalars: parse plaintext in a short-lived process where that matters.)
 * The emitters write secrets as they are: emit into a BUF_INIT_SECRET buffer.
 */
#include <stddef.h>

#include "core/buf.h"

struct doc;

enum doc_kind { DOC_NULL, DOC_BOOL, DOC_INT, DOC_FLOAT, DOC_TIMESTAMP, DOC_STR, DOC_MAP, DOC_SEQ };

enum doc_style {
	DOC_STYLE_ANY = 0, /* emitter chooses */
	DOC_STYLE_PLAIN,
	DOC_STYLE_SINGLE,
	DOC_STYLE_DOUBLE,
	DOC_STYLE_LITERAL,
	DOC_STYLE_FOLDED,
	DOC_STYLE_FLOW,  /* maps/seqs written as {..} / [..] */
	DOC_STYLE_BLOCK, /* maps/seqs in block style */
};

enum doc_node_flags { DOC_SECRET = 1 << 0 };

/* A place in the source: byte offset (not libyaml's character index), 1-based line and column. */
struct doc_mark {
	size_t offset;
	unsigned line, col;
};

/* Limits applied while parsing (0 = the default shown). */
struct doc_limits {
	size_t max_depth;  /* 256 */
	size_t max_nodes;  /* 10 000 000 */
	size_t max_scalar; /* 64 MiB */
	size_t max_alias;  /* 10 000 nodes copied by alias expansion (billion laughs) */
};

enum doc_parse_flags {
	DOC_PARSE_JSON = 1 << 0,   /* strict JSON: values one after another, each a document */
	DOC_PARSE_SECRET = 1 << 1, /* every scalar is DOC_SECRET */
};

/* A multi-document stream: `---` separated YAML, or concatenated JSON values. */
struct doc_stream {
	struct doc **docs; /* n documents, each an owned tree (NULL for an empty document) */
	size_t n;
	char *file; /* name used in messages; every node points at it */
};
#define DOC_STREAM_INIT                                                                            \
	{                                                                                          \
		NULL, 0, NULL                                                                      \
	}

int doc_parse(struct doc_stream *out, const char *file, const char *src, size_t len, unsigned flags,
              const struct doc_limits *limits);
/* Exactly one document (an empty input is an error naming the file). */
int doc_parse_one(struct doc **out, const char *file, const char *src, size_t len, unsigned flags);
void doc_stream_release(struct doc_stream *s);

/* --- manifest streams ------------------------------------------------------- */
/*
 * The one reader of Kubernetes manifest streams (files, kubectl/kustomize/helm
 * output, -f FILE). Like kubectl's YAMLOrJSONDecoder: text whose first
 * non-blank byte is '{' is a stream of concatenated JSON values, anything else
 * multi-document YAML. Empty documents (and `null` ones) are skipped; a `List`
 * (kind List, or any *List kind with an `items` sequence) becomes its items, in
 * order; every other document must be a mapping ("file:line:col: ..."). Objects
 * keep their file (the name given here) and line: doc_file(obj), doc_line(obj).
 * Objects are appended to a doc_list, so one list can collect many files.
 */
struct doc_list {
	struct doc **objs; /* n owned objects, in stream order */
	size_t n, cap;
};
#define DOC_LIST_INIT                                                                              \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

enum doc_manifest_flags {
	/* DOC_PARSE_SECRET (1 << 1) is accepted: every scalar DOC_SECRET, parser buffers wiped */
	DOC_MANIFEST_REQUIRE_KIND =
	    1 << 8, /* each object needs apiVersion and kind (error names file:line) */
	DOC_MANIFEST_AS_WRITTEN = 1 << 9, /* kubeseal's reading: documents as they are (no List
	                                     flattening, any node kind) and an empty document kept
	                                     as a NULL entry, so "document N" counts as written */
};

/*
 * Read the stream src[0..len) named file and append its objects to list.
 * Returns the number of entries appended (>= 0), or a negative GS_E* code
 * with nothing appended.
 */
int doc_read_manifests(struct doc_list *list, const char *file, const char *src, size_t len,
                       unsigned flags);
/* Does this text read as a JSON stream (first non-blank byte '{')? */
int doc_manifests_are_json(const char *src, size_t len);
/* Append an owned object (NULL allowed: an empty document); takes obj even on failure. */
int doc_list_add(struct doc_list *list, struct doc *obj);
/* Move every entry of from to the end of to (from is left empty). */
int doc_list_splice(struct doc_list *to, struct doc_list *from);
void doc_list_release(struct doc_list *list);

/* --- building ------------------------------------------------------------ */
struct doc *doc_new_map(void);
struct doc *doc_new_seq(void);
struct doc *doc_new_null(void);
struct doc *doc_new_bool(int v);
struct doc *doc_new_int(long long v);
struct doc *doc_new_float(double v);
struct doc *doc_new_str(const char *s, size_t n);
struct doc *doc_new_strz(const char *s);
/* A scalar with this resolved kind and text as written (e.g. DOC_FLOAT "3.10"). */
struct doc *doc_new_scalar(enum doc_kind kind, const char *text, size_t n);
struct doc *doc_clone(const struct doc *n);
void doc_free(struct doc *n); /* NULL is fine; wipes DOC_SECRET text */

/* --- reading (borrow; NULL in gives NULL / 0 out) ------------------------- */
enum doc_kind doc_kind(const struct doc *n); /* DOC_NULL for NULL */
int doc_is_scalar(const struct doc *n);
/* The text of a DOC_STR scalar, else NULL. NUL-terminated; may contain NULs (see doc_len). */
const char *doc_str(const struct doc *n);
/* The text of any scalar as written ("7", "true", "~"), else NULL; *len if len. */
const char *doc_text(const struct doc *n, size_t *len);
/* Scalar text length, or the number of entries of a map/seq. */
size_t doc_len(const struct doc *n);
int doc_get_bool(const struct doc *n, int *out);      /* GS_EPARSE if not a bool */
int doc_get_int(const struct doc *n, long long *out); /* GS_EPARSE if not an int */
int doc_get_float(const struct doc *n, double *out);  /* ints too */

struct doc *doc_get(const struct doc *map, const char *key);
struct doc *doc_getn(const struct doc *map, const char *key, size_t keylen);
/* doc_getp(obj, "metadata", "annotations", NULL): a chain of map keys. */
struct doc *doc_getp(const struct doc *n, ...);
/* Entry i of a map (key node and value) or a sequence. */
struct doc *doc_key_at(const struct doc *map, size_t i);
struct doc *doc_val_at(const struct doc *n, size_t i);

const char *doc_file(const struct doc *n);
struct doc_mark doc_start(const struct doc *n);
struct doc_mark doc_end(const struct doc *n);
unsigned doc_line(const struct doc *n);
enum doc_style doc_style(const struct doc *n);
const char *doc_tag(const struct doc *n); /* explicit tag as written ("!!binary"), or NULL */
unsigned doc_flags(const struct doc *n);

/* Kubernetes helpers: "Kind ns/name" for messages, and the usual fields. */
const char *doc_k8s_kind(const struct doc *obj);
const char *doc_k8s_name(const struct doc *obj);
const char *doc_k8s_namespace(const struct doc *obj);

/* --- changing -------------------------------------------------------------- */
/* Set map[key] = child (replacing in place keeps the key's position); takes child. */
int doc_set(struct doc *map, const char *key, struct doc *child);
int doc_setn(struct doc *map, const char *key, size_t keylen, struct doc *child);
/* Remove map[key]; 1 if removed, 0 if absent. */
int doc_del(struct doc *map, const char *key);
/* Detach map[key] and hand it to the caller (NULL if absent). */
struct doc *doc_take(struct doc *map, const char *key);
int doc_push(struct doc *seq, struct doc *child);
/* Replace a scalar's kind and text (wiping the old text if secret). */
int doc_set_scalar(struct doc *n, enum doc_kind kind, const char *text, size_t len);
void doc_set_style(struct doc *n, enum doc_style style);
void doc_set_flags(struct doc *n, unsigned flags); /* DOC_SECRET moves the text to wiped memory */
void doc_sort_keys(struct doc *n, int recursive);

/* --- emitting -------------------------------------------------------------- */
enum doc_emit_flags {
	DOC_EMIT_SORT_KEYS =
	    1 << 0, /* sorted keys: JSON in byte order (Go maps), YAML in go-yaml v2's
	               order where digit runs compare as numbers (kubeseal YAML) */
	DOC_EMIT_COMPACT = 1 << 1,    /* JSON on one line */
	DOC_EMIT_SEQ_INDENT = 1 << 2, /* YAML: "- " indented under its key (yaml.v3 / sops) */
	DOC_EMIT_DOC_START = 1 << 3,  /* YAML: "---" before each document (kubeseal) */
	DOC_EMIT_KEEP_STYLE = 1 << 4, /* YAML: keep scalar styles from the source */
	DOC_EMIT_JSON_HTML_ESCAPE =
	    1 << 5, /* JSON: <, >, & as \u003c.. (Go's json.Marshal default, kubeseal) */
	DOC_EMIT_YAML12 =
	    1 << 6, /* YAML: quote only what yaml.v3 would misread, not yes/no/on/off/y/n
	               or 1:20 (sops writes yaml.v3 nodes this way) */
};
struct doc_emit_opts {
	int indent; /* spaces per level; 0 = 2 */
	unsigned flags;
};
#define DOC_EMIT_OPTS_INIT                                                                         \
	{                                                                                          \
		2, 0                                                                               \
	}

/* Append n (NULL = null); on failure out is left as it was. YAML ends with a newline, JSON does
 * not. */
int doc_emit_yaml(struct buf *out, const struct doc *n, const struct doc_emit_opts *opts);
int doc_emit_json(struct buf *out, const struct doc *n, const struct doc_emit_opts *opts);
/* Several documents: YAML separated by "---", JSON one value after another. */
int doc_emit_stream_yaml(struct buf *out, struct doc *const *docs, size_t n,
                         const struct doc_emit_opts *opts);
/* Would a YAML 1.1 reader (go-yaml v2) or yaml.v3 take this plain text for something other than a
 * string? */
int doc_yaml11_needs_quotes(const char *s, size_t n);

#endif
