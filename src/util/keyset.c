/* keyset.c: sets of unique keys, one word an entry (keyset.h). */
#include "keyset.h"

#include <string.h>

#include "roster/common.h"

#define NEAR_MAX ((uint64_t)1 << 32) /* identifiers kept in an entry */
#define ID_OF(e) ((e) & 0xffffffffu)
#define TAG_OF(e) ((e) >> 32)

static size_t home(const rs_keyset *s, uint64_t tag)
{
	return (size_t)(tag & (s->cap - 1));
}

void rs_keyset_free(const rs_alloc *al, rs_keyset *s)
{
	rs_free(al, s->slots);
	rs_table_free(al, &s->far);
	memset(s, 0, sizeof(*s));
}

static void put(rs_keyset *s, uint64_t e)
{
	size_t i = home(s, TAG_OF(e));

	while (s->slots[i])
		i = (i + 1) & (s->cap - 1);
	s->slots[i] = e;
	s->count++;
}

int rs_keyset_reserve(const rs_alloc *al, rs_keyset *s, uint64_t id,
		      int *fresh)
{
	size_t need = s->count + 1, cap = s->cap ? s->cap : 8, i;
	uint64_t *old = s->slots, *slots;
	size_t old_cap = s->cap;

	if (fresh)
		*fresh = 0;
	if (id >= NEAR_MAX) {
		int first = s->far.cap == 0;
		if (rs_table_reserve(al, &s->far, 1))
			return ROSTER_ENOMEM;
		if (fresh)
			*fresh = first;
		return 0;
	}
	while (need > cap / 4 * 3) {
		if (cap > SIZE_MAX / 2 / sizeof(uint64_t))
			return ROSTER_ENOMEM;
		cap *= 2;
	}
	if (cap == s->cap)
		return 0;
	if (!(slots = rs_calloc(al, cap, sizeof(*slots))))
		return ROSTER_ENOMEM;
	s->slots = slots;
	s->cap = cap;
	s->count = 0;
	for (i = 0; i < old_cap; i++)
		if (old[i])
			put(s, old[i]);
	rs_free(al, old);
	if (fresh)
		*fresh = old_cap == 0;
	return 0;
}

void rs_keyset_unreserve(const rs_alloc *al, rs_keyset *s, uint64_t id)
{
	if (id >= NEAR_MAX) {
		rs_table_free(al, &s->far);
	} else {
		rs_free(al, s->slots);
		s->slots = NULL;
		s->cap = 0;
		s->count = 0;
	}
}

void rs_keyset_insert(rs_keyset *s, uint64_t hash, uint64_t id)
{
	if (id >= NEAR_MAX)
		rs_table_insert(&s->far, hash, id);
	else
		put(s, (hash >> 32 << 32) | id);
}

static void remove_at(rs_keyset *s, size_t i)
{
	size_t mask = s->cap - 1, j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (!s->slots[j])
			break;
		k = home(s, TAG_OF(s->slots[j]));
		if (rs_probe_may_fill(i, j, k)) {
			s->slots[i] = s->slots[j];
			i = j;
		}
	}
	s->slots[i] = 0;
	s->count--;
}

int rs_keyset_remove(rs_keyset *s, uint64_t hash, uint64_t id)
{
	uint64_t e = (hash >> 32 << 32) | id;
	size_t i;

	if (id >= NEAR_MAX)
		return rs_table_remove(&s->far, hash, id);
	if (!s->cap)
		return 0;
	for (i = home(s, TAG_OF(e)); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == e) {
			remove_at(s, i);
			return 1;
		}
	return 0;
}

uint64_t rs_keyset_find(const rs_keyset *s, uint64_t hash,
			int (*match)(void *ctx, uint64_t id), void *ctx)
{
	uint64_t tag = hash >> 32;
	size_t i;

	if (s->cap)
		for (i = home(s, tag); s->slots[i];
		     i = (i + 1) & (s->cap - 1))
			if (TAG_OF(s->slots[i]) == tag &&
			    match(ctx, ID_OF(s->slots[i])))
				return ID_OF(s->slots[i]);
	return s->far.count ? rs_table_find(&s->far, hash, match, ctx) : 0;
}
