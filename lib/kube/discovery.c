/* Discovery: apiVersion + kind -> resource plural and scope, cached per group/version. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "kube/client.h"

#define DISC_MAX_AGE_MS (10 * 60 * 1000) /* a group/version list is fetched again after this */

struct gv_entry {
	char *gv; /* "v1", "apps/v1" */
	struct kube_resource *res;
	size_t n;
	long long fetched_ms;
};

struct kube__disc {
	struct gv_entry *e;
	size_t n;
};

void kube_resource_release(struct kube_resource *r)
{
	if (!r)
		return;
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->plural);
	memset(r, 0, sizeof(*r));
}

static int resource_copy(struct kube_resource *dst, const struct kube_resource *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->group = strdup(src->group);
	dst->version = strdup(src->version);
	dst->kind = strdup(src->kind);
	dst->plural = strdup(src->plural);
	dst->namespaced = src->namespaced;
	dst->has_status = src->has_status;
	if (!dst->group || !dst->version || !dst->kind || !dst->plural) {
		kube_resource_release(dst);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	return 0;
}

static void gv_free(struct gv_entry *e)
{
	size_t i;
	for (i = 0; i < e->n; i++)
		kube_resource_release(&e->res[i]);
	free(e->res);
	free(e->gv);
	memset(e, 0, sizeof(*e));
}

void kube__discovery_free(struct kube_client *kc)
{
	size_t i;
	if (!kc->disc)
		return;
	for (i = 0; i < kc->disc->n; i++)
		gv_free(&kc->disc->e[i]);
	free(kc->disc->e);
	free(kc->disc);
	kc->disc = NULL;
}

void kube_discovery_invalidate(struct kube_client *kc)
{
	pthread_mutex_lock(&kc->mu);
	kube__discovery_free(kc);
	pthread_mutex_unlock(&kc->mu);
}

/* Look kind up in the cache (under kc->mu): 1 found, 0 not in a fresh entry, -1 no fresh entry. */
static int cache_find(struct kube_client *kc, const char *gv, const char *kind,
                      struct kube_resource *out, int *rc)
{
	size_t i, j;
	if (!kc->disc)
		return -1;
	for (i = 0; i < kc->disc->n; i++) {
		struct gv_entry *e = &kc->disc->e[i];
		if (strcmp(e->gv, gv))
			continue;
		if (gs_mono_ms() - e->fetched_ms > DISC_MAX_AGE_MS)
			return -1;
		for (j = 0; j < e->n; j++)
			if (!strcmp(e->res[j].kind, kind)) {
				*rc = resource_copy(out, &e->res[j]);
				return 1;
			}
		return 0;
	}
	return -1;
}

/* Parse an APIResourceList into e (not yet in the cache). */
static int parse_list(struct gv_entry *e, const char *group, const char *version,
                      const struct buf *body)
{
	struct doc *d = NULL;
	const struct doc *list;
	size_t i, j;
	int rc;

	if ((rc = doc_parse_one(&d, e->gv, body->p, body->len, DOC_PARSE_JSON)) < 0)
		return gs_error_prefix(rc, "discovery of %s", e->gv);
	list = doc_get(d, "resources");
	if (!(e->res = calloc(doc_len(list) + 1, sizeof(*e->res)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < doc_len(list); i++) {
		const struct doc *r = doc_val_at(list, i);
		const char *name = doc_str(doc_get(r, "name")), *kind = doc_str(doc_get(r, "kind"));
		int ns = 0;
		if (!name || !kind || strchr(name, '/')) /* subresources are looked at below */
			continue;
		doc_get_bool(doc_get(r, "namespaced"), &ns);
		e->res[e->n].group = strdup(group);
		e->res[e->n].version = strdup(version);
		e->res[e->n].kind = strdup(kind);
		e->res[e->n].plural = strdup(name);
		e->res[e->n].namespaced = ns;
		if (!e->res[e->n].group || !e->res[e->n].version || !e->res[e->n].kind ||
		    !e->res[e->n].plural) {
			e->n++;
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		e->n++;
	}
	for (i = 0; i < doc_len(list); i++) {
		const char *name = doc_str(doc_get(doc_val_at(list, i), "name")), *sl;
		if (!name || !(sl = strchr(name, '/')) || strcmp(sl + 1, "status"))
			continue;
		for (j = 0; j < e->n; j++)
			if (strlen(e->res[j].plural) == (size_t)(sl - name) &&
			    !strncmp(e->res[j].plural, name, sl - name))
				e->res[j].has_status = 1;
	}
	rc = 0;
out:
	doc_free(d);
	return rc;
}

static int fetch_gv(struct kube_client *kc, const char *group, const char *version, const char *gv)
{
	struct kube__call call = { 0 };
	struct buf path = BUF_INIT(4096), body = BUF_INIT(KUBE_BODY_MAX);
	struct gv_entry e = { 0 };
	size_t i;
	int rc;

	if (*group)
		rc = buf_addf(&path, "/apis/%s/%s", group, version);
	else
		rc = buf_addf(&path, "/api/%s", version);
	if (rc < 0)
		goto out;
	call.method = "GET";
	call.path = path.p;
	if ((rc = kube__do(kc, &call, &body, NULL)) < 0) {
		if (rc == GS_ENOTFOUND)
			rc = gs_error(GS_ENOTFOUND, "the server does not serve %s", gv);
		goto out;
	}
	if (!(e.gv = strdup(gv))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = parse_list(&e, group, version, &body)) < 0)
		goto out;
	e.fetched_ms = gs_mono_ms();
	pthread_mutex_lock(&kc->mu);
	if (!kc->disc)
		kc->disc = calloc(1, sizeof(*kc->disc));
	rc = kc->disc ? 0 : gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; rc == 0 && i < kc->disc->n; i++)
		if (!strcmp(kc->disc->e[i].gv, gv)) { /* replace the old entry */
			gv_free(&kc->disc->e[i]);
			kc->disc->e[i] = e;
			memset(&e, 0, sizeof(e));
			break;
		}
	if (rc == 0 && e.gv) {
		struct gv_entry *ne = realloc(kc->disc->e, (kc->disc->n + 1) * sizeof(*ne));
		if (!ne) {
			rc = gs_error(GS_ENOMEM, "out of memory");
		} else {
			kc->disc->e = ne;
			ne[kc->disc->n++] = e;
			memset(&e, 0, sizeof(e));
		}
	}
	pthread_mutex_unlock(&kc->mu);
out:
	gv_free(&e);
	buf_release(&path);
	buf_release(&body);
	return rc;
}

int kube_discover(struct kube_resource *out, struct kube_client *kc, const char *api_version,
                  const char *kind)
{
	char *group = NULL, *version = NULL;
	int rc = 0, found, pass;

	memset(out, 0, sizeof(*out));
	if (!kind || !*kind)
		return gs_error(GS_EINVAL, "missing kind");
	if ((rc = kube__split_api_version(&group, &version, api_version)) < 0)
		return rc;
	/* pass 0: the cache as it is; pass 1: fetched again (a CRD created since, or a new version)
	 */
	for (pass = 0; pass < 2; pass++) {
		pthread_mutex_lock(&kc->mu);
		found = cache_find(kc, api_version, kind, out, &rc);
		pthread_mutex_unlock(&kc->mu);
		if (found == 1 || rc < 0)
			goto out;
		if (found == 0 && pass == 1)
			break;
		if ((rc = fetch_gv(kc, group, version, api_version)) < 0)
			goto out;
		pthread_mutex_lock(&kc->mu);
		found = cache_find(kc, api_version, kind, out, &rc);
		pthread_mutex_unlock(&kc->mu);
		if (found == 1 || rc < 0)
			goto out;
		break; /* just fetched: a second fetch would say the same */
	}
	rc = gs_error(GS_ENOTFOUND, "the server has no kind \"%s\" in %s", kind, api_version);
out:
	free(group);
	free(version);
	return rc;
}

int kube_resource_path(struct buf *out, const struct kube_resource *r, const char *ns,
                       const char *name, const char *subresource)
{
	int rc;
	if (*r->group)
		rc = buf_addf(out, "/apis/%s/%s", r->group, r->version);
	else
		rc = buf_addf(out, "/api/%s", r->version);
	if (rc == 0 && r->namespaced && ns && *ns && (rc = buf_adds(out, "/namespaces/")) == 0)
		rc = kube__escape(out, ns);
	if (rc == 0 && (rc = buf_addc(out, '/')) == 0)
		rc = buf_adds(out, r->plural);
	if (rc == 0 && name) {
		if (!*name)
			return gs_error(GS_EINVAL, "%s: empty name", r->kind);
		if ((rc = buf_addc(out, '/')) == 0)
			rc = kube__escape(out, name);
	}
	if (rc == 0 && subresource && (rc = buf_addc(out, '/')) == 0)
		rc = buf_adds(out, subresource);
	return rc;
}
