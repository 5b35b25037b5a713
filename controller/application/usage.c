/*
 * Which SOPS objects need which of the cluster's age identities: after each build, an
 * Application keeps the recipients of every object the cluster's own identities opened
 * (lib/decrypt's decrypt_ctx_own_uses). /v1/keys reports, per identity, how many objects list it
 * and how many no other identity opens, so `gitseal keys retire` can refuse while Git still
 * needs a key. Only recipients are kept, never values.
 */
#include <stdlib.h>
#include <string.h>

#include "controller/application/application.h"
#include "controller/application/application_int.h"
#include "core/buf.h"

#define USAGE_NAMES_MAX 10

void app__usage_release(struct app_ent *e)
{
	size_t i;
	for (i = 0; i < e->nsops_uses; i++)
		free(e->sops_uses[i]);
	free(e->sops_uses);
	e->sops_uses = NULL;
	e->nsops_uses = 0;
}

void app__usage_note(struct app_ent *e, const char *const *uses, size_t n)
{
	char **v = n ? calloc(n, sizeof(*v)) : NULL;
	size_t i;

	if (n && !v)
		return; /* out of memory: keep the last count, still marked as counted or not */
	for (i = 0; i < n; i++)
		if (!(v[i] = strdup(uses[i]))) {
			while (i--)
				free(v[i]);
			free(v);
			return;
		}
	app__usage_release(e);
	e->sops_uses = v;
	e->nsops_uses = n;
	e->sops_counted = 1;
}

/* Is recipient one of the comma-separated list? */
static int lists(const char *list, const char *recipient)
{
	size_t n = strlen(recipient);
	const char *p = list;
	while ((p = strstr(p, recipient))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

struct tally {
	const char *recipient;
	const char *const *ring;
	size_t nring;
	size_t objects, needed, apps, uncounted, entries;
	struct buf *names;
};

static void count_ent(void *ctx, const char *key, void *val)
{
	struct tally *t = ctx;
	struct app_ent *e = val;
	size_t i, j, mine = 0;

	t->entries++;
	if (!e->sops_counted) {
		t->uncounted++;
		return;
	}
	if (!t->recipient)
		return;
	for (i = 0; i < e->nsops_uses; i++) {
		int other = 0;
		if (!lists(e->sops_uses[i], t->recipient))
			continue;
		mine++;
		for (j = 0; j < t->nring && !other; j++)
			other =
			    strcmp(t->ring[j], t->recipient) && lists(e->sops_uses[i], t->ring[j]);
		if (!other)
			t->needed++;
	}
	t->objects += mine;
	if (mine && t->apps++ < USAGE_NAMES_MAX) {
		buf_adds(t->names, t->apps > 1 ? "," : "");
		buf_add_json_str(t->names, key, strlen(key));
	}
}

int app_controller_sops_usage(void *arg, const char *recipient, const char *const *ring,
                              size_t nring, struct buf *json)
{
	struct app_controller *c = arg;
	struct buf names = BUF_INIT(1 << 20);
	struct tally t;
	int leading, synced, rc;

	if (!c)
		return 0;
	memset(&t, 0, sizeof(t));
	t.recipient = recipient;
	t.ring = ring;
	t.nring = nring;
	t.names = &names;
	pthread_mutex_lock(&c->mu);
	leading = c->leading && !c->stop && c->apps;
	synced = leading && rt_informer_synced(c->apps);
	if (leading)
		rt_map_each(&c->ents, count_ent, &t);
	pthread_mutex_unlock(&c->mu);
	if (!leading) {
		buf_release(&names);
		return 0;
	}
	if (!recipient)
		rc = buf_addf(json, ",\"sopsComplete\":%s,\"sopsUncounted\":%zu",
		              synced && !t.uncounted ? "true" : "false", t.uncounted);
	else
		rc = buf_addf(json,
		              ",\"sopsObjects\":%zu,\"sopsNeeded\":%zu,\"applications\":[%s],"
		              "\"moreApplications\":%zu",
		              t.objects, t.needed, names.p,
		              t.apps > USAGE_NAMES_MAX ? t.apps - USAGE_NAMES_MAX : 0);
	buf_release(&names);
	return rc < 0 ? rc : 1;
}
