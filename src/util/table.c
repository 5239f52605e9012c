/* table.c: open-addressing table and sorted identifier vector. */
#include "table.h"

#include <string.h>

#include "roster/common.h"

static uint64_t mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t rs_hash_u64(uint64_t x, uint64_t seed)
{
	return mix(x ^ seed);
}

uint64_t rs_hash(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return mix(h);
}

static size_t home(const rs_table *t, uint64_t a)
{
	return (size_t)(mix(a) & (t->cap - 1));
}

void rs_table_free(const rs_alloc *al, rs_table *t)
{
	rs_free(al, t->slots);
	memset(t, 0, sizeof(*t));
}

int rs_table_reserve(const rs_alloc *al, rs_table *t, size_t extra)
{
	size_t need = t->count + extra, cap = t->cap ? t->cap : 8, i;
	rs_pair *old = t->slots, *slots;
	size_t old_cap = t->cap;

	if (need < t->count)
		return ROSTER_ENOMEM;
	while (need > cap / 4 * 3) {
		if (cap > SIZE_MAX / 2 / sizeof(rs_pair))
			return ROSTER_ENOMEM;
		cap *= 2;
	}
	if (cap == t->cap)
		return 0;
	slots = rs_calloc(al, cap, sizeof(rs_pair));
	if (!slots)
		return ROSTER_ENOMEM;
	t->slots = slots;
	t->cap = cap;
	t->count = 0;
	for (i = 0; i < old_cap; i++)
		if (old[i].b)
			rs_table_insert(t, old[i].a, old[i].b);
	rs_free(al, old);
	return 0;
}

void rs_table_insert(rs_table *t, uint64_t a, uint64_t b)
{
	size_t i = home(t, a);

	while (t->slots[i].b)
		i = (i + 1) & (t->cap - 1);
	t->slots[i].a = a;
	t->slots[i].b = b;
	t->count++;
}

static void remove_at(rs_table *t, size_t i)
{
	size_t mask = t->cap - 1, j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (!t->slots[j].b)
			break;
		k = home(t, t->slots[j].a);
		if (rs_probe_may_fill(i, j, k)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].a = 0;
	t->slots[i].b = 0;
	t->count--;
}

int rs_table_remove(rs_table *t, uint64_t a, uint64_t b)
{
	size_t i;

	if (!t->cap)
		return 0;
	for (i = home(t, a); t->slots[i].b; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].a == a && t->slots[i].b == b) {
			remove_at(t, i);
			return 1;
		}
	}
	return 0;
}

void rs_table_sweep(rs_table *t,
		    int (*drop)(void *ctx, uint64_t a, uint64_t b), void *ctx)
{
	size_t start = 0, k, i;

	if (!t->count)
		return;
	/* a table is at most 3/4 full: there is a hole */
	while (t->slots[start].b)
		start++;
	/* From just after a hole no entry's probe run crosses the start, and
	 * a removal at i only moves later entries of i's run into the hole,
	 * which stays at or after i: checking i again offers each entry once
	 * in one turn. */
	for (k = 1; k <= t->cap; k++) {
		i = (start + k) & (t->cap - 1);
		while (t->slots[i].b && drop(ctx, t->slots[i].a, t->slots[i].b))
			remove_at(t, i);
	}
}

static rs_pair *lookup(const rs_table *t, uint64_t key)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = home(t, key); t->slots[i].b; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].a == key)
			return &t->slots[i];
	return NULL;
}

uint64_t rs_table_get(const rs_table *t, uint64_t key)
{
	rs_pair *p = lookup(t, key);

	return p ? p->b : 0;
}

uint64_t rs_table_set(rs_table *t, uint64_t key, uint64_t b)
{
	rs_pair *p = lookup(t, key);
	uint64_t old;

	if (p) {
		old = p->b;
		p->b = b;
		return old;
	}
	rs_table_insert(t, key, b);
	return 0;
}

uint64_t rs_table_del(rs_table *t, uint64_t key)
{
	rs_pair *p = lookup(t, key);
	uint64_t old;

	if (!p)
		return 0;
	old = p->b;
	remove_at(t, (size_t)(p - t->slots));
	return old;
}

uint64_t rs_table_find(const rs_table *t, uint64_t hash,
		       int (*match)(void *ctx, uint64_t b), void *ctx)
{
	size_t i;

	if (!t->cap)
		return 0;
	for (i = home(t, hash); t->slots[i].b; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].a == hash && match(ctx, t->slots[i].b))
			return t->slots[i].b;
	return 0;
}

void rs_idvec_free(const rs_alloc *al, rs_idvec *v)
{
	rs_free(al, v->ids);
	memset(v, 0, sizeof(*v));
}

int rs_idvec_reserve(const rs_alloc *al, rs_idvec *v, size_t extra)
{
	size_t cap = v->cap ? v->cap : 4;
	uint64_t *ids;

	if (v->len + extra < v->len)
		return ROSTER_ENOMEM;
	while (cap < v->len + extra) {
		if (cap > SIZE_MAX / 2 / sizeof(uint64_t))
			return ROSTER_ENOMEM;
		cap *= 2;
	}
	if (cap <= v->cap)
		return 0;
	ids = rs_reallocarray(al, v->ids, cap, sizeof(uint64_t));
	if (!ids)
		return ROSTER_ENOMEM;
	v->ids = ids;
	v->cap = cap;
	return 0;
}

size_t rs_idvec_upper(const rs_idvec *v, uint64_t id)
{
	size_t lo = 0, hi = v->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->ids[mid] <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void rs_idvec_insert(rs_idvec *v, uint64_t id)
{
	size_t at = rs_idvec_upper(v, id);

	memmove(v->ids + at + 1, v->ids + at, (v->len - at) * sizeof(uint64_t));
	v->ids[at] = id;
	v->len++;
}

int rs_idvec_remove(rs_idvec *v, uint64_t id)
{
	size_t at = rs_idvec_upper(v, id);

	if (at == 0 || v->ids[at - 1] != id)
		return 0;
	at--;
	memmove(v->ids + at, v->ids + at + 1,
		(v->len - at - 1) * sizeof(uint64_t));
	v->len--;
	return 1;
}
