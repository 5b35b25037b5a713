/*
 * One SOPS file of a checkout: what its age recipients should be (the `.sops.yaml` rule for its
 * path, `cluster:` entries fetched; without a rule its own, less the retired ones), whether it
 * needs a new data key (they differ, it holds a retired recipient, or --force), and then
 * `sops rotate` with those recipients (updatekeys + rotate in one: a fresh data key, every
 * value encrypted anew, comments and layout kept as our sops verbs keep them), checked before
 * anything is written. A current file is only parsed: no cryptography.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "rotate/rotate_int.h"
#include "sealer/age/age.h"

int rotate__is_sops(const char *name, const char *text, size_t len, enum sops_format *fmt)
{
	*fmt = sops_format_for_path(name);
	switch (*fmt) {
	case SOPS_FMT_YAML:
	case SOPS_FMT_JSON:
		return memmem(text, len, "sops", 4) && memmem(text, len, "mac", 3) &&
		       memmem(text, len, "lastmodified", 12);
	case SOPS_FMT_DOTENV: return memmem(text, len, "sops_mac=", 9) != NULL;
	case SOPS_FMT_INI: return memmem(text, len, "[sops]", 6) != NULL;
	default: return 0;
	}
}

int rotate__sops_rule(struct rotate_sops_ctx *sc, const char *name, int *rule)
{
	const struct sops_config *conf = sc->o->conf;
	const struct sops_creation_rule *r = NULL;
	size_t i;
	int rc;

	*rule = -1;
	if (!conf || !conf->nrules)
		return 0;
	if ((rc = sops_config_match(conf, name, &r)) < 0) {
		if (sops_error_class(rc) == GS_ENOTFOUND) {
			gs_error_clear(); /* no rule for it: it keeps its own recipients */
			return 0;
		}
		return gs_error_prefix(rc, "%s", name);
	}
	i = (size_t)(r - conf->rules);
	if (!sc->rule_ok[i]) {
		struct sops_keyspec *spec = &sc->rule_specs[i];
		if ((rc = sops_keyspec_from_rule(spec, r)) < 0 ||
		    (rc = sops_keyspec_resolve(spec, sc->o->cluster, sc->o->cluster_ctx)) < 0)
			return gs_error_prefix(rc, "%s: creation_rules[%zu]", conf->path, i);
		sc->rule_ok[i] = 1;
	}
	*rule = (int)i;
	return 0;
}

static const char *retired_in(const struct rotate_opts *o, const char *r)
{
	size_t i;
	for (i = 0; i < o->nretired; i++)
		if (!strcmp(o->retired[i], r))
			return o->retired[i];
	return NULL;
}

/* The first retired recipient of the file, or NULL. */
static const char *holds_retired(const struct rotate_opts *o, const struct sops_meta *m)
{
	size_t g, k;
	const char *r;
	for (g = 0; g < m->ngroups; g++)
		for (k = 0; k < m->groups[g].nage; k++)
			if ((r = retired_in(o, m->groups[g].age[k].recipient)))
				return r;
	return NULL;
}

/* A spec naming a retired recipient (a rule that was not updated) is an error. */
static const char *spec_retired(const struct rotate_opts *o, const struct sops_keyspec *s)
{
	size_t g, k;
	const char *r;
	for (g = 0; g < s->ngroups; g++)
		for (k = 0; s->groups[g][k]; k++)
			if ((r = retired_in(o, s->groups[g][k])))
				return r;
	return NULL;
}

/* The new file opens with its new data key, its MAC verifies, its recipients are spec's. */
static int check(const char *name, const struct buf *out, enum sops_format fmt,
                 const struct sops_keyspec *spec, const unsigned char key[SOPS_KEY_LEN])
{
	struct sops_file g;
	int rc;
	memset(&g, 0, sizeof(g));
	if ((rc = sops_file_load(&g, name, out->p, out->len, fmt)) < 0)
		return gs_error_prefix(rc, "%s: the rotated file does not read back", name);
	if (!sops_keyspec_matches(spec, &g.meta, 1))
		rc = gs_error(GS_ERROR,
		              "%s: the rotated file does not name the recipients asked for", name);
	else if ((rc = sops_file_decrypt(&g, key, 0)) < 0)
		gs_error_prefix(rc, "%s: the rotated file does not open with its new data key",
		                name);
	sops_file_release(&g);
	return rc;
}

int rotate__sops_file(struct buf *out, struct rotate_result *res, const struct rotate_sops_ctx *sc,
                      int rule, const char *name, const char *text, size_t len,
                      enum sops_format fmt)
{
	const struct rotate_opts *o = sc->o;
	struct sops_file f;
	struct sops_keyspec own = { 0 };
	const struct sops_keyspec *spec;
	struct sops_layout lay = SOPS_LAYOUT_INIT;
	unsigned char key[SOPS_KEY_LEN];
	const char *r;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(res, 0, sizeof(*res));
	res->kind = ROTATE_SOPS;
	if ((rc = sops_file_load(&f, name, text, len, fmt)) < 0) {
		if (sops_error_class(rc) == GS_ENOTFOUND) {
			/* no sops metadata after all (a lookalike): not ours */
			gs_error_clear();
			rc = 0;
		}
		goto out;
	}
	res->objects = 1;
	if (rule >= 0) {
		spec = &sc->rule_specs[rule];
		if ((r = spec_retired(o, spec))) {
			rc = gs_error(GS_EINVAL,
			              "%s: the .sops.yaml rule for it still names the retired "
			              "recipient %s",
			              name, r);
			goto out;
		}
	} else {
		if ((rc = sops_keyspec_from_meta(&own, &f.meta, NULL, sc->retired_csv)) < 0)
			goto out;
		spec = &own;
	}
	if ((r = holds_retired(o, &f.meta)))
		snprintf(res->why, sizeof(res->why), "holds retired recipient %.70s", r);
	else if (!sops_keyspec_matches(spec, &f.meta, 1))
		snprintf(res->why, sizeof(res->why), "recipients differ from .sops.yaml");
	else if (o->force)
		snprintf(res->why, sizeof(res->why), "--force");
	else {
		res->action = ROTATE_CURRENT;
		snprintf(res->why, sizeof(res->why), "%s",
		         rule >= 0 ? "recipients as .sops.yaml names them"
		                   : "no retired recipient");
		goto out;
	}
	res->action = ROTATE_CHANGED;
	res->changed = 1;
	if (sops_meta_has_foreign_keys(&f.meta)) {
		rc = gs_error(GS_EINVAL,
		              "%s: has pgp/kms/vault master keys, which gitseal cannot re-wrap: "
		              "rotate it with sops, or remove those keys first",
		              name);
		goto out;
	}
	if (o->dry_run)
		goto out;
	if ((rc = sops_meta_data_key(&f.meta, sc->ids, sc->where, key)) < 0) {
		gs_error_prefix(rc, "%s", name);
		goto out;
	}
	lay.src = text;
	lay.src_len = len;
	if ((rc = sops_file_rotate(out, &f, key, spec, fmt, &lay, 0)) < 0 ||
	    (rc = check(name, out, fmt, spec, key)) < 0)
		goto out;
	rc = 0;
out:
	gs_wipe(key, sizeof(key));
	sops_keyspec_release(&own);
	sops_file_release(&f);
	return rc;
}
