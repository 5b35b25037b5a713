/* A string-keyed hash map with chaining; buckets double when the map is as full as it is wide. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/runtime/runtime.h"

struct rt_map_ent {
	struct rt_map_ent *next;
	void *val;
	uint32_t hash;
	char key[];
};

static uint32_t hash_of(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct rt_map_ent **slot(const struct rt_map *m, const char *key, uint32_t h)
{
	struct rt_map_ent **pp = &m->b[h & (m->nb - 1)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && !strcmp((*pp)->key, key))
			break;
	return pp;
}

void *rt_map_get(const struct rt_map *m, const char *key)
{
	struct rt_map_ent *e;
	if (!m->n)
		return NULL;
	e = *slot(m, key, hash_of(key));
	return e ? e->val : NULL;
}

static int grow(struct rt_map *m)
{
	size_t nb = m->nb ? m->nb * 2 : 64, i;
	struct rt_map_ent **b = calloc(nb, sizeof(*b));
	if (!b)
		return GS_ENOMEM;
	for (i = 0; i < m->nb; i++)
		while (m->b[i]) {
			struct rt_map_ent *e = m->b[i];
			m->b[i] = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	free(m->b);
	m->b = b;
	m->nb = nb;
	return 0;
}

int rt_map_put(struct rt_map *m, const char *key, void *val)
{
	uint32_t h = hash_of(key);
	struct rt_map_ent **pp, *e;
	size_t kl = strlen(key);

	if ((m->n >= m->nb) && grow(m) < 0)
		return GS_ENOMEM;
	pp = slot(m, key, h);
	if (*pp) {
		(*pp)->val = val;
		return 0;
	}
	if (!(e = malloc(sizeof(*e) + kl + 1)))
		return GS_ENOMEM;
	e->next = NULL;
	e->val = val;
	e->hash = h;
	memcpy(e->key, key, kl + 1);
	*pp = e;
	m->n++;
	return 0;
}

void *rt_map_del(struct rt_map *m, const char *key)
{
	struct rt_map_ent **pp, *e;
	void *v;
	if (!m->n)
		return NULL;
	pp = slot(m, key, hash_of(key));
	if (!(e = *pp))
		return NULL;
	*pp = e->next;
	v = e->val;
	free(e);
	m->n--;
	return v;
}

void rt_map_each(struct rt_map *m, void (*fn)(void *ctx, const char *key, void *val), void *ctx)
{
	size_t i;
	struct rt_map_ent *e;
	for (i = 0; i < m->nb; i++)
		for (e = m->b[i]; e; e = e->next)
			fn(ctx, e->key, e->val);
}

void rt_map_each_del(struct rt_map *m, int (*fn)(void *ctx, const char *key, void *val), void *ctx)
{
	size_t i;
	for (i = 0; i < m->nb; i++) {
		struct rt_map_ent **pp = &m->b[i], *e;
		while ((e = *pp)) {
			if (fn(ctx, e->key, e->val)) {
				*pp = e->next;
				free(e);
				m->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}

void rt_map_release(struct rt_map *m, void (*free_val)(void *val))
{
	size_t i;
	for (i = 0; i < m->nb; i++)
		while (m->b[i]) {
			struct rt_map_ent *e = m->b[i];
			m->b[i] = e->next;
			if (free_val)
				free_val(e->val);
			free(e);
		}
	free(m->b);
	m->b = NULL;
	m->nb = m->n = 0;
}
