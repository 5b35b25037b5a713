/*
 * What a targetRevision means, given the refs a remote advertises (pure: no
 * libgit2, no I/O). Order, as Argo CD's lsRemote mostly does it: HEAD; a full
 * "refs/..." name; a branch; a tag; a semver range over the tags (highest match);
 * a commit id, full or abbreviated. A plain version ("1.2.3") that is not a tag
 * name matches tags equal to it with or without a "v".
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "source/source_int.h"

int source__is_hex_id(const char *rev)
{
	size_t n = strlen(rev), i;
	if (n < 4 || n > 40)
		return 0;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)rev[i]))
			return 0;
	return 1;
}

static const struct source__ref *find(const struct source__ref *refs, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(refs[i].name, name))
			return &refs[i];
	return NULL;
}

static int want_ref(struct source__want *w, const struct source__ref *refs, size_t n,
                    const struct source__ref *r)
{
	char peeled[300];
	const struct source__ref *p;

	if (strlen(r->name) >= sizeof(w->ref))
		return gs_error(GS_EPARSE, "ref name too long: '%.64s...'", r->name);
	w->kind = SOURCE_WANT_REF;
	snprintf(w->ref, sizeof(w->ref), "%s", r->name);
	memcpy(w->oid, r->oid, sizeof(w->oid));
	snprintf(peeled, sizeof(peeled), "%s^{}", r->name);
	if ((p = find(refs, n, peeled)))
		memcpy(w->peeled, p->oid, sizeof(w->peeled));
	return 0;
}

/* the highest tag whose name is a version in range r (NULL if none) */
static const struct source__ref *best_tag(const struct source__ref *refs, size_t n,
                                          const struct source__range *r)
{
	const struct source__ref *best = NULL;
	struct source__semver bv, v;
	size_t i, plen = strlen("refs/tags/");

	for (i = 0; i < n; i++) {
		const char *name = refs[i].name;
		int c;
		if (strncmp(name, "refs/tags/", plen) || strstr(name, "^{}"))
			continue;
		if (source__semver_parse(&v, name + plen) < 0) {
			gs_error_clear();
			continue;
		}
		if (!source__range_match(r, &v))
			continue;
		/* ties ("v1.2.0" and "1.2.0"): the larger name, so the choice never depends on
		 * order */
		if (!best || (c = source__semver_cmp(&v, &bv)) > 0 ||
		    (c == 0 && strcmp(name, best->name) > 0)) {
			best = &refs[i];
			bv = v;
		}
	}
	return best;
}

int source__resolve(struct source__want *w, const struct source__ref *refs, size_t n,
                    const char *rev)
{
	char name[300];
	const struct source__ref *r;
	struct source__range *range = NULL;
	int rc, hex;
	size_t i;

	memset(w, 0, sizeof(*w));
	if (!rev || !*rev)
		rev = "HEAD";
	if (strlen(rev) > 250)
		return gs_error(GS_EPARSE, "revision '%.32s...': too long", rev);
	if (!strcmp(rev, "HEAD")) {
		if ((r = find(refs, n, "HEAD")))
			return want_ref(w, refs, n, r);
		return gs_error(GS_ENOTFOUND, "revision 'HEAD': the remote has no HEAD%s",
		                n ? "" : " (the repository is empty)");
	}
	if (!strncmp(rev, "refs/", 5)) {
		if ((r = find(refs, n, rev)))
			return want_ref(w, refs, n, r);
		return gs_error(GS_ENOTFOUND, "revision '%s': no such ref", rev);
	}
	snprintf(name, sizeof(name), "refs/heads/%s", rev);
	if ((r = find(refs, n, name)))
		return want_ref(w, refs, n, r);
	snprintf(name, sizeof(name), "refs/tags/%s", rev);
	if ((r = find(refs, n, name)))
		return want_ref(w, refs, n, r);

	hex = source__is_hex_id(rev);
	if (source__range_parse(&range, rev) == 0) {
		r = best_tag(refs, n, range);
		source__range_free(range);
		if (r)
			return want_ref(w, refs, n, r);
		if (!hex)
			return gs_error(GS_ENOTFOUND, "revision '%s': no tag matches", rev);
	}
	gs_error_clear();
	if (hex) {
		size_t len = strlen(rev);
		w->kind = SOURCE_WANT_COMMIT;
		for (i = 0; i < len; i++)
			w->oid[i] = (char)tolower((unsigned char)rev[i]);
		w->oid[len] = '\0';
		/* an advertised tip with that prefix: the full id */
		for (i = 0; i < n; i++) {
			if (!strncmp(refs[i].oid, w->oid, len)) {
				memcpy(w->oid, refs[i].oid, sizeof(w->oid));
				break;
			}
		}
		return 0;
	}
	rc = gs_error(GS_ENOTFOUND, "revision '%s': no branch, tag or commit of that name", rev);
	return rc;
}
