/*
 * The apply and prune stages of one run (reconcile.c calls app__sync once the desired set is
 * rendered and decrypted):
 *
 *   - which objects go to lib/apply: those whose desired form moved since the last sync (a
 *     digest), that are new or gone, that the watches saw drift (with selfHeal, or on a
 *     request), or all of them (a request, the first sight after a start, a remote cluster
 *     that no watch covers). The others cost nothing: no request.
 *   - the staged server-side apply (field manager gitseal, force, owner labels, kubectl
 *     takeover, immutable recreate with gitseal.dev/force: enabled), as the ServiceAccount;
 *     the watches tell it which objects do not exist (applied directly);
 *   - without syncPolicy.automated (and no request): a dry run over every object, nothing
 *     written, OutOfSync with what would change;
 *   - prune only after an apply without a single failure, with lib/apply's safety rules; what
 *     a delete could not remove stays in the inventory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/application/application_int.h"
#include "core/clock.h"
#include "core/log.h"

/* "Deployment prod/web configured (.spec.replicas)" lines for the Event. */
static void change_line(struct buf *b, const char *what, const struct apply_result *res, int dry)
{
	const char *verb = res->action == APPLY_CREATED ? (dry ? "would be created" : "created")
	                   : res->recreated             ? (dry ? "would be recreated" : "recreated")
	                                                : (dry ? "differs" : "configured");
	buf_addf(b, "%s%s %s", b->len ? "\n" : "", what, verb);
	if (res->action == APPLY_CONFIGURED && res->changed.n) {
		buf_adds(b, " (");
		apply_paths_join(b, &res->changed);
		buf_addc(b, ')');
	}
}

/* Under c->mu: the inventory ids e now owns (table keys), dropping entries it no longer has. */
static int set_ids(struct run *r, const struct inventory *inv)
{
	struct app_controller *c = r->c;
	struct app_ent *e = r->e;
	struct buf key = BUF_INIT(INVENTORY_ID_MAX + 600);
	char **ids = calloc(inv->n + 1, sizeof(*ids));
	size_t i, n = 0;

	if (!ids)
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < inv->n; i++) {
		buf_reset(&key);
		if (e->remote)
			buf_addf(&key, "@%s %s", e->key, inv->e[i].id);
		else
			buf_adds(&key, inv->e[i].id);
		if (!(ids[n++] = strdup(key.p))) {
			while (n)
				free(ids[--n]);
			free(ids);
			buf_release(&key);
			return gs_error(GS_ENOMEM, "out of memory");
		}
	}
	/* entries of objects that left (pruned, or kept in the cluster without prune): not ours */
	for (i = 0; i < e->nids; i++) {
		size_t j;
		int kept = 0;
		struct app_obj *o = app__obj_of(c, e, e->ids[i]);
		for (j = 0; j < n && !kept; j++)
			kept = !strcmp(ids[j], e->ids[i]);
		if (!kept && o)
			app__obj_free(rt_map_del(&c->objs, e->ids[i]));
		else if (o && o->applying) /* a prune that failed: ours again */
			o->applying = 0;
		free(e->ids[i]);
	}
	free(e->ids);
	e->ids = ids;
	e->nids = n;
	buf_release(&key);
	return 0;
}

/* ---- ignoreDifferences when applying (RespectIgnoreDifferences, as Flux's ignore rules) ---------
 * An object that exists keeps what the cluster has at an ignored pointer: the value applied is
 * the live one (we keep ownership, nothing reverts), or none when the live object has none. */

/* One token of a JSON pointer at *p (unescaped), advancing *p. */
static void ptr_token(struct buf *tok, const char **p)
{
	buf_reset(tok);
	for (; **p && **p != '/'; (*p)++) {
		char ch = **p;
		if (ch == '~' && ((*p)[1] == '0' || (*p)[1] == '1'))
			ch = *++(*p) == '0' ? '~' : '/';
		buf_addc(tok, ch);
	}
}

/* The node at a pointer in n (NULL: none); parent and key of the last step when in a map. */
static struct doc *ptr_get(struct doc *n, const char *ptr, struct doc **parent, struct buf *key)
{
	const char *p = ptr;
	*parent = NULL;
	while (n && *p == '/') {
		p++;
		ptr_token(key, &p);
		*parent = n;
		if (doc_kind(n) == DOC_MAP) {
			n = doc_get(n, key->p);
		} else if (doc_kind(n) == DOC_SEQ) {
			char *end;
			long i = strtol(key->p, &end, 10);
			n = *key->p && !*end && i >= 0 && (size_t)i < doc_len(n)
			        ? doc_val_at(n, (size_t)i)
			        : NULL;
			*parent = NULL; /* list items are left as they are */
		} else {
			n = NULL;
		}
	}
	return n;
}

/* Set desired's value at ptr to live's (or remove it); maps on the way are made. */
static int ptr_adopt(struct doc *desired, const struct doc *live, const char *ptr)
{
	struct buf key = BUF_INIT(4096);
	struct doc *lp, *dp, *lv = ptr_get((struct doc *)live, ptr, &lp, &key);
	struct doc *dv = ptr_get(desired, ptr, &dp, &key);
	const char *p = ptr;
	struct doc *n = desired;
	int rc = 0;

	(void)dv;
	if (!lv) { /* the cluster has none: apply none (a map entry only) */
		if (dp && doc_kind(dp) == DOC_MAP)
			doc_del(dp, key.p);
		goto out;
	}
	while (*p == '/') { /* walk, making maps, to the last step */
		const char *rest;
		p++;
		ptr_token(&key, &p);
		rest = p;
		if (doc_kind(n) != DOC_MAP)
			goto out; /* through a list: leave it */
		if (!*rest) {
			rc = doc_set(n, key.p, doc_clone(lv));
			goto out;
		}
		if (!doc_get(n, key.p) && (rc = doc_set(n, key.p, doc_new_map())) < 0)
			goto out;
		n = doc_get(n, key.p);
	}
out:
	buf_release(&key);
	return rc;
}

/* Objects that exist and have ignore rules: adopt the live values at the ignored pointers. */
static int respect_ignored(struct run *r, struct doc **sub, size_t nsub)
{
	const struct app_ent *e = r->e;
	size_t i, j, k;
	int rc = 0;

	for (i = 0; i < nsub && e->nign; i++) {
		struct doc *live = NULL;
		int any = 0;
		for (j = 0; j < e->nign; j++)
			any |= apply_ignore_matches(&e->ign[j], sub[i]);
		if (!any)
			continue;
		rc =
		    kube_get(&live, r->kc, doc_str(doc_get(sub[i], "apiVersion")),
		             doc_k8s_kind(sub[i]), doc_k8s_namespace(sub[i]), doc_k8s_name(sub[i]));
		if (rc == GS_ENOTFOUND) { /* a creation applies what Git says */
			gs_error_clear();
			rc = 0;
			continue;
		}
		if (rc < 0)
			return gs_error_prefix(rc, "%s", doc_k8s_name(sub[i]));
		for (j = 0; j < e->nign && rc == 0; j++)
			if (apply_ignore_matches(&e->ign[j], sub[i]))
				for (k = 0; k < e->ign[j].npointers && rc == 0; k++)
					rc = ptr_adopt(sub[i], live, e->ign[j].pointers[k]);
		doc_free(live);
	}
	return rc;
}

/* The objects about to be pruned are "applying": their delete events are no
 * drift (set_ids drops or releases them afterwards). */
static void mark_stale(struct run *r, const struct inventory *inv)
{
	struct app_controller *c = r->c;
	size_t i;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < r->e->nids; i++) {
		const char *id = r->e->ids[i];
		struct app_obj *o = app__obj_of(c, r->e, id);
		if (r->e->remote && (id = strchr(id, ' ')))
			id++;
		if (o && id && !inventory_find(inv, id))
			o->applying = 1;
	}
	pthread_mutex_unlock(&c->mu);
}

/* The first few errors of a report, "; "-joined. */
static void errors_of(struct buf *b, const struct apply_report *rep)
{
	size_t i, shown = 0;
	for (i = 0; i < rep->n; i++) {
		if (rep->r[i].action != APPLY_FAILED || !rep->r[i].error)
			continue;
		if (shown++ < 3)
			buf_addf(b, "%s%s", b->len ? "; " : "", rep->r[i].error);
	}
	if (shown > 3)
		buf_addf(b, " (and %zu more failed)", shown - 3);
	if (!shown && rep->skipped)
		buf_adds(b, "objects were skipped");
}

static int prune(struct run *r, struct inventory *inv, const char **stage, const char **reason)
{
	struct app_controller *c = r->c;
	struct apply_prune_opts po = APPLY_PRUNE_OPTS_INIT;
	struct apply_prune_report pr = APPLY_PRUNE_REPORT_INIT;
	struct inventory old = INVENTORY_INIT;
	struct buf key = BUF_INIT(INVENTORY_ID_MAX + 600), msg = BUF_INIT(APP_MSG_MAX);
	size_t i;
	int rc;

	if (inventory_from_doc(&old, doc_getp(r->obj, "status", "inventory", NULL)) < 0) {
		gs_warn("inventory unreadable: nothing pruned", "application=%s/%s error=\"%s\"",
		        r->ns, r->name, gs_error_last());
		gs_error_clear();
		rc = 0;
		goto out;
	}
	po.owner_name = r->spec->name;
	po.owner_namespace = r->spec->namespace;
	rc = apply_prune(&pr, r->kc, &old, inv, &po);
	if (rc < 0 && rc != GS_ERROR) {
		*stage = "prune";
		*reason = "PruneFailed";
		goto out;
	}
	app__metric_count(c->metrics.prune, "pruned", (double)pr.pruned);
	app__metric_count(c->metrics.prune, "failed", (double)pr.failed);
	r->pruned = pr.pruned;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < pr.n; i++) {
		const struct apply_prune_result *p = &pr.r[i];
		if (p->action == APPLY_PRUNED)
			buf_addf(&r->changes, "%s%s pruned", r->changes.len ? "\n" : "", p->what);
		if (p->action != APPLY_PRUNED && p->action != APPLY_PRUNE_GONE)
			continue;
		buf_reset(&key);
		if (r->e->remote)
			buf_addf(&key, "@%s %s", r->e->key, p->id);
		else
			buf_adds(&key, p->id);
		if (app__obj_of(c, r->e, key.p))
			app__obj_free(rt_map_del(&c->objs, key.p));
	}
	pthread_mutex_unlock(&c->mu);
	/* what could not go stays in the inventory: the next run tries again */
	if ((rc = inventory_merge(inv, &pr.keep)) < 0)
		goto out;
	if (pr.failed) {
		for (i = 0; i < pr.n; i++)
			if (pr.r[i].action == APPLY_PRUNE_FAILED && msg.len < APP_MSG_MAX / 2)
				buf_addf(&msg, "%s%s: %s", msg.len ? "; " : "", pr.r[i].what,
				         pr.r[i].message ? pr.r[i].message : "failed");
		rc = gs_error(GS_ERROR, "prune: %s", msg.p);
		*stage = "prune";
		*reason = "PruneFailed";
	} else {
		rc = 0;
	}
out:
	apply_prune_report_release(&pr);
	inventory_release(&old);
	buf_release(&key);
	buf_release(&msg);
	return rc;
}

int app__sync(struct run *r, const char **stage, const char **reason)
{
	struct app_controller *c = r->c;
	struct app_ent *e = r->e;
	const struct app *spec = r->spec;
	struct apply_opts ao = APPLY_OPTS_INIT;
	struct buf key = BUF_INIT(INVENTORY_ID_MAX + 600), msg = BUF_INIT(APP_MSG_MAX * 2);
	struct inventory inv = INVENTORY_INIT;
	struct doc **sub = calloc(r->n + 1, sizeof(*sub));
	size_t *idx = calloc(r->n + 1, sizeof(*idx)), nsub = 0, i, j;
	int dry = !spec->automated && !r->request, rc = 0;
	unsigned after = 0;

	*stage = "apply";
	*reason = "ReconciliationFailed";
	if (!sub || !idx) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < r->n; i++) {
		struct app_obj *o = app__obj_of(c, e, r->keys[i]);
		int inc = dry || (r->want & APP_W_ALL) || !o || o->digest != r->digests[i] ||
		          !o->present || (o->drifted && (spec->self_heal || r->request));
		if (!inc)
			continue;
		if (o && !dry)
			o->applying = 1;
		idx[nsub] = i;
		sub[nsub++] = r->objs[i];
	}
	pthread_mutex_unlock(&c->mu);

	if (nsub) {
		if (!r->remote && !dry)
			app__watches_synced(c, sub, nsub, 5000);
		if ((rc = respect_ignored(r, sub, nsub)) < 0)
			goto unmark;
		ao.owner_name = spec->name;
		ao.owner_namespace = spec->namespace;
		ao.default_namespace = spec->destination.namespace;
		ao.dry_run = dry;
		ao.wait_timeout_ms = app__remaining_ms(r) > 1000 ? app__remaining_ms(r) : 1000;
		ao.keep_applied = !dry;
		ao.keep_objects = !dry; /* the stored object: its resourceVersion and health */
		ao.ignore = e->ign;
		ao.nignore = e->nign;
		ao.lookup = !r->remote && !dry ? app__lookup : NULL;
		ao.lookup_ctx = c;
		rc = apply_run(&r->rep, r->kc, sub, nsub, &ao);
		if (rc < 0 && rc != GS_ERROR) {
		unmark:
			pthread_mutex_lock(&c->mu);
			for (i = 0; i < r->n; i++) {
				struct app_obj *o = app__obj_of(c, e, r->keys[i]);
				if (o)
					o->applying = 0;
			}
			pthread_mutex_unlock(&c->mu);
			goto out;
		}
	}
	/* what each object is now */
	pthread_mutex_lock(&c->mu);
	for (j = 0; j < r->rep.n; j++) {
		const struct apply_result *res = &r->rep.r[j];
		struct app_obj *o;
		i = idx[j];
		/* apply filled in a namespace discovery could not tell before (a CRD's new kind) */
		if (app__obj_key(&key, e, sub[j]) == 0 && strcmp(key.p, r->keys[i])) {
			char *k = strdup(key.p);
			if (k) {
				free(r->keys[i]);
				r->keys[i] = k;
			}
		}
		gs_error_clear();
		if (res->action == APPLY_CREATED || res->action == APPLY_CONFIGURED)
			change_line(&r->changes, r->whats[i], res, dry);
		if (res->action == APPLY_CREATED)
			r->created++;
		else if (res->action == APPLY_CONFIGURED)
			r->configured++;
		if (dry)
			continue;
		if (res->action == APPLY_CREATED || res->action == APPLY_CONFIGURED ||
		    res->action == APPLY_UNCHANGED)
			app__obj_record(c, e, r->keys[i], r->whats[i], r->digests[i], res, &after);
		else if ((o = app__obj_of(c, e, r->keys[i])))
			o->applying = 0;
	}
	pthread_mutex_unlock(&c->mu);
	app__metric_count(c->metrics.apply, "created", (double)r->rep.created);
	app__metric_count(c->metrics.apply, "configured", (double)r->rep.configured);
	app__metric_count(c->metrics.apply, "unchanged", (double)r->rep.unchanged);
	app__metric_count(c->metrics.apply, "failed", (double)r->rep.failed);
	app__metric_count(c->metrics.apply, "skipped", (double)r->rep.skipped);

	if (r->rep.failed || r->rep.skipped) {
		errors_of(&msg, &r->rep);
		/* keep tracking what this run made: old inventory + what was created or configured
		 */
		if (inventory_from_doc(&r->inv, doc_getp(r->obj, "status", "inventory", NULL)) < 0)
			gs_error_clear();
		for (j = 0; j < r->rep.n; j++)
			if (r->rep.r[j].action == APPLY_CREATED ||
			    r->rep.r[j].action == APPLY_CONFIGURED)
				inventory_add_object(&r->inv, sub[j]);
		inventory_sort(&r->inv);
		r->has_inv = 1;
		rc = gs_error(GS_ERROR, "%s", msg.p);
		goto out;
	}
	if (dry) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < r->n; i++)
		if ((rc = inventory_add_object(&inv, r->objs[i])) < 0)
			goto out;
	inventory_sort(&inv);
	if (spec->prune)
		mark_stale(r, &inv);
	if (spec->prune && (rc = prune(r, &inv, stage, reason)) < 0) {
		pthread_mutex_lock(&c->mu);
		set_ids(r, &inv);
		pthread_mutex_unlock(&c->mu);
		r->inv = inv;
		inv = (struct inventory)INVENTORY_INIT;
		r->has_inv = 1;
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	rc = set_ids(r, &inv);
	if (r->created || r->configured || r->pruned || strcmp(r->commit, e->commit) || !e->ok)
		e->applied_at = gs_mono();
	pthread_mutex_unlock(&c->mu);
	r->inv = inv;
	inv = (struct inventory)INVENTORY_INIT;
	r->has_inv = 1;
out:
	if (after)
		app__want(c, e->key, after, 0);
	inventory_release(&inv);
	free(sub);
	free(idx);
	buf_release(&key);
	buf_release(&msg);
	return rc;
}
