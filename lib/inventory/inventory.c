/* The inventory: Flux-format object ids, a sorted set of them, (de)serialisation. */
#include <stdlib.h>
#include <string.h>

#include "inventory/inventory.h"

static int is_rbac(const char *group, const char *kind)
{
	return group && !strcmp(group, "rbac.authorization.k8s.io") &&
	       (!strcmp(kind, "Role") || !strcmp(kind, "ClusterRole") ||
	        !strcmp(kind, "RoleBinding") || !strcmp(kind, "ClusterRoleBinding"));
}

void inventory_ref_release(struct inventory_ref *r)
{
	if (!r)
		return;
	free(r->ns);
	free(r->name);
	free(r->group);
	free(r->kind);
	memset(r, 0, sizeof(*r));
}

int inventory_id(struct buf *out, const char *ns, const char *name, const char *group,
                 const char *kind)
{
	const char *p;
	int rbac, rc;

	ns = ns ? ns : "";
	group = group ? group : "";
	if (!name || !*name || !kind || !*kind)
		return gs_error(GS_EINVAL, "inventory id: empty %s",
		                !name || !*name ? "name" : "kind");
	rbac = is_rbac(group, kind);
	if (strchr(ns, '_') || strchr(group, '_') || strchr(kind, '_') ||
	    (!rbac && strchr(name, '_')))
		return gs_error(GS_EINVAL, "inventory id: '_' in %s %s/%s", kind, ns, name);
	if ((rc = buf_adds(out, ns)) < 0 || (rc = buf_addc(out, '_')) < 0)
		return rc;
	for (p = name; *p; p++) /* RBAC names may hold ':' (system:...): written "__" */
		if ((rc = *p == ':' && rbac ? buf_adds(out, "__") : buf_addc(out, *p)) < 0)
			return rc;
	return buf_addf(out, "_%s_%s", group, kind);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

int inventory_id_parse(struct inventory_ref *out, const char *id)
{
	const char *first, *last, *prev;
	size_t len = id ? strlen(id) : 0;
	char *w, *r;

	memset(out, 0, sizeof(*out));
	if (!len || len > INVENTORY_ID_MAX)
		return gs_error(GS_EPARSE, "inventory id '%.64s': %s", id ? id : "",
		                len ? "too long" : "empty");
	/* <ns>_<name>_<group>_<kind>: ns and name hold no '_' (but an RBAC name's "__"), group and
	 * kind none */
	first = strchr(id, '_');
	last = strrchr(id, '_');
	for (prev = last ? last - 1 : NULL; prev && prev > first && *prev != '_'; prev--)
		;
	if (!first || !prev || prev <= first + 1 || last == id + len - 1)
		return gs_error(GS_EPARSE,
		                "inventory id '%.200s': not <namespace>_<name>_<group>_<kind>", id);
	if (!(out->ns = dup_n(id, first - id)) ||
	    !(out->name = dup_n(first + 1, prev - first - 1)) ||
	    !(out->group = dup_n(prev + 1, last - prev - 1)) ||
	    !(out->kind = dup_n(last + 1, id + len - last - 1))) {
		inventory_ref_release(out);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if (is_rbac(out->group, out->kind)) { /* "__" back to ':' */
		for (w = r = out->name; *r; r++, w++)
			*w = r[0] == '_' && r[1] == '_' ? (r++, ':') : *r;
		*w = '\0';
	} else if (strchr(out->name, '_')) {
		inventory_ref_release(out);
		return gs_error(GS_EPARSE,
		                "inventory id '%.200s': not <namespace>_<name>_<group>_<kind>", id);
	}
	return 0;
}

int inventory_api_version(struct buf *out, const char *group, const char *version)
{
	if (group && *group)
		return buf_addf(out, "%s/%s", group, version);
	return buf_adds(out, version);
}

static int add_owned(struct inventory *inv, char *id, char *version)
{
	if (!id || !version) {
		free(id);
		free(version);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	if (inv->n >= INVENTORY_MAX_ENTRIES) {
		free(id);
		free(version);
		return gs_error(GS_ETOOBIG, "inventory: more than %d entries",
		                INVENTORY_MAX_ENTRIES);
	}
	if (inv->n == inv->cap) {
		size_t cap = inv->cap ? 2 * inv->cap : 16;
		struct inventory_entry *e = realloc(inv->e, cap * sizeof(*e));
		if (!e) {
			free(id);
			free(version);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		inv->e = e;
		inv->cap = cap;
	}
	inv->e[inv->n].id = id;
	inv->e[inv->n].version = version;
	inv->n++;
	return 0;
}

int inventory_add(struct inventory *inv, const char *ns, const char *name, const char *group,
                  const char *kind, const char *version)
{
	struct buf id = BUF_INIT(INVENTORY_ID_MAX);
	int rc;

	if (!version || !*version)
		return gs_error(GS_EINVAL, "inventory: %s %s: empty version", kind ? kind : "",
		                name ? name : "");
	if ((rc = inventory_id(&id, ns, name, group, kind)) < 0) {
		buf_release(&id);
		return rc;
	}
	return add_owned(inv, buf_detach(&id, NULL), strdup(version));
}

int inventory_add_id(struct inventory *inv, const char *id, const char *version)
{
	struct inventory_ref r;
	int rc;

	if ((rc = inventory_id_parse(&r, id)) < 0)
		return rc;
	rc = inventory_add(inv, r.ns, r.name, r.group, r.kind, version);
	inventory_ref_release(&r);
	return rc;
}

int inventory_add_object(struct inventory *inv, const struct doc *obj)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *slash;
	const char *kind = doc_str(doc_get(obj, "kind"));
	char group[256];

	if (!av || !*av || !kind)
		return gs_error(GS_EINVAL, "inventory: object without apiVersion or kind");
	slash = strchr(av, '/');
	if (slash && (size_t)(slash - av) >= sizeof(group))
		return gs_error(GS_EINVAL, "inventory: apiVersion '%.64s...' too long", av);
	if (slash)
		memcpy(group, av, slash - av);
	group[slash ? slash - av : 0] = '\0';
	return inventory_add(inv, doc_k8s_namespace(obj), doc_k8s_name(obj), group, kind,
	                     slash ? slash + 1 : av);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct inventory_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	/* equal ids: keep insertion order (addresses) so "the later one wins" below */
	return c ? c : (x < y ? -1 : x > y);
}

void inventory_sort(struct inventory *inv)
{
	size_t i, w = 0;

	if (!inv->n)
		return;
	qsort(inv->e, inv->n, sizeof(*inv->e), cmp_entry);
	for (i = 0; i < inv->n; i++) {
		if (w &&
		    !strcmp(inv->e[w - 1].id, inv->e[i].id)) { /* duplicate: the later entry wins */
			free(inv->e[w - 1].id);
			free(inv->e[w - 1].version);
			inv->e[w - 1] = inv->e[i];
			continue;
		}
		inv->e[w++] = inv->e[i];
	}
	inv->n = w;
	if (inv->cap > inv->n) { /* compact: shrink to what is used */
		struct inventory_entry *e = realloc(inv->e, inv->n * sizeof(*e));
		if (e) {
			inv->e = e;
			inv->cap = inv->n;
		}
	}
}

const struct inventory_entry *inventory_find(const struct inventory *inv, const char *id)
{
	size_t lo = 0, hi = inv ? inv->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(inv->e[mid].id, id);
		if (!c)
			return &inv->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int inventory_diff(struct inventory *out, const struct inventory *a, const struct inventory *b)
{
	size_t i;
	int rc;

	for (i = 0; i < a->n; i++) {
		if (inventory_find(b, a->e[i].id))
			continue;
		if ((rc = add_owned(out, strdup(a->e[i].id), strdup(a->e[i].version))) < 0)
			return rc;
	}
	inventory_sort(out);
	return 0;
}

int inventory_merge(struct inventory *dst, struct inventory *src)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < src->n; i++) {
		if (rc == 0)
			rc = add_owned(dst, src->e[i].id, src->e[i].version);
		else {
			free(src->e[i].id);
			free(src->e[i].version);
		}
	}
	free(src->e);
	memset(src, 0, sizeof(*src));
	inventory_sort(dst);
	return rc;
}

int inventory_to_doc(struct doc **out, const struct inventory *inv)
{
	struct doc *d = doc_new_map(), *entries = doc_new_seq();
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!d || !entries) {
		rc = GS_ENOMEM;
		goto out;
	}
	for (i = 0; i < inv->n && rc == 0; i++) {
		struct doc *e = doc_new_map();
		if (!e || (rc = doc_set(e, "id", doc_new_strz(inv->e[i].id))) < 0 ||
		    (rc = doc_set(e, "v", doc_new_strz(inv->e[i].version))) < 0) {
			doc_free(e);
			rc = GS_ENOMEM;
			break;
		}
		rc = doc_push(entries, e);
	}
	if (rc == 0) {
		rc = doc_set(d, "entries", entries);
		entries = NULL;
	}
	if (rc == 0) {
		*out = d;
		d = NULL;
	}
out:
	doc_free(entries);
	doc_free(d);
	return rc < 0 ? gs_error(GS_ENOMEM, "out of memory") : 0;
}

int inventory_from_doc(struct inventory *out, const struct doc *d)
{
	const struct doc *entries;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!d || doc_kind(d) == DOC_NULL)
		return 0;
	if (doc_kind(d) != DOC_MAP)
		return gs_error(GS_EPARSE, "inventory: not a map");
	entries = doc_get(d, "entries");
	if (doc_kind(entries) == DOC_NULL)
		return 0;
	if (doc_kind(entries) != DOC_SEQ)
		return gs_error(GS_EPARSE, "inventory.entries: not a list");
	for (i = 0; i < doc_len(entries); i++) {
		const struct doc *e = doc_val_at(entries, i);
		const char *id = doc_str(doc_get(e, "id")), *v = doc_str(doc_get(e, "v"));
		if (!id || !v || !*v) {
			rc = gs_error(GS_EPARSE,
			              "inventory.entries[%zu]: %s missing or not a string", i,
			              !id ? "id" : "v");
			break;
		}
		if ((rc = inventory_add_id(out, id, v)) < 0) {
			gs_error_prefix(rc, "inventory.entries[%zu].id", i);
			break;
		}
	}
	if (rc < 0)
		inventory_release(out);
	else
		inventory_sort(out);
	return rc;
}

void inventory_release(struct inventory *inv)
{
	size_t i;
	if (!inv)
		return;
	for (i = 0; i < inv->n; i++) {
		free(inv->e[i].id);
		free(inv->e[i].version);
	}
	free(inv->e);
	memset(inv, 0, sizeof(*inv));
}
