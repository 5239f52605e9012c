/* keyset.c: sets of unique keys, one word an entry (keyset.h). */
#include "keyset.h"

#include <string.h>

#include "roster/common.h"

/*
 * An entry is the hash's high bits (its tag) over a value's bits: an
 * identifier below 2^32 under 32 bits of tag, or a record's address
 * (below 2^47 and a multiple of 8) shifted right by 3 under 20 bits of
 * tag. Other values go to the far table with the whole hash. The home
 * slot is the tag's top bits, or the tag spread over the slots when they
 * outnumber the tags: the tag only tells apart the few entries of one run
 * of probes, the match function the rest.
 */
#define ID_BITS 32
#define PTR_BITS 44
#define PTR_SHIFT 3

static unsigned value_bits(const rs_keyset *s)
{
	return s->ptrs ? PTR_BITS : ID_BITS;
}

/* The value's bits in an entry, or 0 when it goes to the far table. */
static uint64_t near_bits(const rs_keyset *s, uint64_t v)
{
	if (!s->ptrs)
		return v < ((uint64_t)1 << ID_BITS) ? v : 0;
	if (v & ((1u << PTR_SHIFT) - 1) ||
	    v >= ((uint64_t)1 << (PTR_BITS + PTR_SHIFT)))
		return 0;
	return v >> PTR_SHIFT;
}

static uint64_t entry_of(const rs_keyset *s, uint64_t hash, uint64_t bits)
{
	unsigned vb = value_bits(s);

	return hash >> vb << vb | bits;
}

static uint64_t tag_of(const rs_keyset *s, uint64_t e)
{
	return e >> value_bits(s);
}

static uint64_t value_of(const rs_keyset *s, uint64_t e)
{
	uint64_t bits = e & (((uint64_t)1 << value_bits(s)) - 1);

	return s->ptrs ? bits << PTR_SHIFT : bits;
}

static size_t home(const rs_keyset *s, uint64_t tag)
{
	unsigned tb = 64 - value_bits(s), cb = (unsigned)__builtin_ctzll(s->cap);

	return (size_t)(cb <= tb ? tag >> (tb - cb) : tag << (cb - tb));
}

void rs_keyset_free(const rs_alloc *al, rs_keyset *s)
{
	int ptrs = s->ptrs;

	rs_free(al, s->slots);
	rs_table_free(al, &s->far);
	memset(s, 0, sizeof(*s));
	s->ptrs = ptrs;
}

static void put(rs_keyset *s, uint64_t e)
{
	size_t i = home(s, tag_of(s, e));

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
	if (!near_bits(s, id)) {
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
	if (!near_bits(s, id)) {
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
	uint64_t bits = near_bits(s, id);

	if (!bits)
		rs_table_insert(&s->far, hash, id);
	else
		put(s, entry_of(s, hash, bits));
}

static void remove_at(rs_keyset *s, size_t i)
{
	size_t mask = s->cap - 1, j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (!s->slots[j])
			break;
		k = home(s, tag_of(s, s->slots[j]));
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
	uint64_t bits = near_bits(s, id), e = entry_of(s, hash, bits);
	size_t i;

	if (!bits)
		return rs_table_remove(&s->far, hash, id);
	if (!s->cap)
		return 0;
	for (i = home(s, tag_of(s, e)); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == e) {
			remove_at(s, i);
			return 1;
		}
	return 0;
}

uint64_t rs_keyset_find(const rs_keyset *s, uint64_t hash,
			int (*match)(void *ctx, uint64_t id), void *ctx)
{
	uint64_t tag = hash >> value_bits(s);
	size_t i;

	if (s->cap)
		for (i = home(s, tag); s->slots[i];
		     i = (i + 1) & (s->cap - 1))
			if (tag_of(s, s->slots[i]) == tag &&
			    match(ctx, value_of(s, s->slots[i])))
				return value_of(s, s->slots[i]);
	return s->far.count ? rs_table_find(&s->far, hash, match, ctx) : 0;
}
