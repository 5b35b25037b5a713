#ifndef GS_INVENTORY_H
#define GS_INVENTORY_H
/*
 * inventory: the set of objects an Application applied, kept in its status so
 * that the next run knows what left Git (prune) without listing the cluster.
 *
 * The format is Flux's (kustomize-controller api/v1 ResourceInventory):
 *
 *   inventory:
 *     entries:
 *     - {id: prod_web_apps_Deployment, v: v1}
 *     - {id: _prod__Namespace, v: v1}
 *
 * id = "<namespace>_<name>_<group>_<kind>": empty namespace for cluster-scoped
 * objects, empty group for the core group. Names of the rbac.authorization.k8s.io
 * kinds may hold ':', written "__" (cli-utils objmetadata). The id leaves the
 * version out (the API server does not treat versions as different objects);
 * `v` only says which version to GET/DELETE with at prune time.
 *
 * An inventory is kept sorted by id and free of duplicates by inventory_sort(),
 * so two inventories compare, serialise and diff in a stable order. Pure: no
 * network, no secrets (ids are names, never values).
 */
#include <stddef.h>

#include "core/buf.h"
#include "doc/doc.h"

/* Caps: an id is a Kubernetes name (253) + namespace (63) + group + kind; an inventory lives in
 * one status object (etcd's ~1.5 MiB), so 100 000 entries is far beyond what fits anyway. */
#define INVENTORY_ID_MAX 1024
#define INVENTORY_MAX_ENTRIES 100000

struct inventory_entry {
	char *id;      /* "<ns>_<name>_<group>_<kind>" */
	char *version; /* "v1" */
};

struct inventory {
	struct inventory_entry *e;
	size_t n, cap;
};
#define INVENTORY_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* One id taken apart (strings owned; group and ns "" when empty). */
struct inventory_ref {
	char *ns, *name, *group, *kind;
};
void inventory_ref_release(struct inventory_ref *r);

/* Append the id of (ns, name, group, kind) to out. GS_EINVAL when name or kind is empty or a part
 * holds a character the format cannot carry ('_' outside an RBAC name). */
int inventory_id(struct buf *out, const char *ns, const char *name, const char *group,
                 const char *kind);
/* Take an id apart; GS_EPARSE naming the id when it is not one. */
int inventory_id_parse(struct inventory_ref *out, const char *id);
/* "group/version" (or "v1" for the core group) of an entry, into out. */
int inventory_api_version(struct buf *out, const char *group, const char *version);

/* Add an entry (copies). Call inventory_sort() before lookups, diffs or serialising. */
int inventory_add(struct inventory *inv, const char *ns, const char *name, const char *group,
                  const char *kind, const char *version);
/* Add an object by its apiVersion, kind, metadata.namespace and metadata.name. */
int inventory_add_object(struct inventory *inv, const struct doc *obj);
/* Add an entry by id (checked) and version. */
int inventory_add_id(struct inventory *inv, const char *id, const char *version);
/* Sort by id and drop duplicates (the later version of a duplicated id wins); frees unused room. */
void inventory_sort(struct inventory *inv);
/* The entry with this id in a sorted inventory, or NULL. */
const struct inventory_entry *inventory_find(const struct inventory *inv, const char *id);
/* out = a - b (entries of a whose id is not in b), both sorted; out is sorted. */
int inventory_diff(struct inventory *out, const struct inventory *a, const struct inventory *b);
/* Move every entry of src into dst (src is left empty); sorts dst. */
int inventory_merge(struct inventory *dst, struct inventory *src);

/* {entries: [{id, v}...]} (the status field's value), in id order. */
int inventory_to_doc(struct doc **out, const struct inventory *inv);
/* Read what inventory_to_doc() wrote (NULL or an empty map = empty inventory). Errors name the
 * field: "inventory.entries[3].id: ...". The result is sorted. */
int inventory_from_doc(struct inventory *out, const struct doc *d);

void inventory_release(struct inventory *inv);

#endif
