/*
 * table.h: the hash tables and sorted vectors behind the model's indexes.
 *
 * rs_table is one open-addressing table of (a, b) pairs with linear probing
 * and backward-shift deletion, used two ways:
 *  - as a map from identifier (a) to pointer (b);
 *  - as a multiset of (key hash (a), identifier (b)) for unique keys,
 *    where the caller's match function compares the real keys.
 * An entry with b == 0 is empty. Inserts never allocate: the caller
 * reserves room first (rs_table_reserve), so the apply phase of a change
 * cannot fail and undoing a removal can always put the entry back.
 *
 * rs_idvec is a sorted vector of identifiers (the members of a parent).
 */
#ifndef RS_TABLE_H
#define RS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

typedef struct rs_pair {
	uint64_t a;
	uint64_t b;
} rs_pair;

typedef struct rs_table {
	rs_pair *slots;
	size_t cap; /* 0 or a power of two */
	size_t count;
} rs_table;

void rs_table_free(const rs_alloc *al, rs_table *t);
/* Make room for `extra` more entries; 0 or ROSTER_ENOMEM. */
int rs_table_reserve(const rs_alloc *al, rs_table *t, size_t extra);
/* Insert (a, b), b != 0. Room must have been reserved. */
void rs_table_insert(rs_table *t, uint64_t a, uint64_t b);
/* Remove the entry (a, b); returns 1 if it was there. */
int rs_table_remove(rs_table *t, uint64_t a, uint64_t b);

/* Remove each entry for which drop(ctx, a, b) is non-zero, offering each
 * entry once, without allocating. */
void rs_table_sweep(rs_table *t,
		    int (*drop)(void *ctx, uint64_t a, uint64_t b), void *ctx);

/* Map use: the b of the entry whose a is `key`, 0 if none. */
uint64_t rs_table_get(const rs_table *t, uint64_t key);
/* Map use: set key's value (b != 0); returns the old value or 0. */
uint64_t rs_table_set(rs_table *t, uint64_t key, uint64_t b);
/* Map use: remove key; returns the old value or 0. */
uint64_t rs_table_del(rs_table *t, uint64_t key);

/*
 * Multiset use: the first b whose a is `hash` and for which match(ctx, b)
 * is non-zero, 0 if none.
 */
uint64_t rs_table_find(const rs_table *t, uint64_t hash,
		       int (*match)(void *ctx, uint64_t b), void *ctx);

/*
 * Backward-shift deletion with linear probing: with a hole at slot i, may
 * the entry at slot j (the next ones, wrapping) whose home is k move
 * into it? Not when k lies in (i, j], cyclically: it would then sit
 * before its home.
 */
static inline int rs_probe_may_fill(size_t i, size_t j, size_t k)
{
	return (j > i && (k <= i || k > j)) || (j < i && k <= i && k > j);
}

/* 64-bit hash of bytes, seeded. */
uint64_t rs_hash(const void *data, size_t len, uint64_t seed);
uint64_t rs_hash_u64(uint64_t x, uint64_t seed);

typedef struct rs_idvec {
	uint64_t *ids;
	size_t len;
	size_t cap;
} rs_idvec;

void rs_idvec_free(const rs_alloc *al, rs_idvec *v);
int rs_idvec_reserve(const rs_alloc *al, rs_idvec *v, size_t extra);
/* Insert keeping order; room must have been reserved. */
void rs_idvec_insert(rs_idvec *v, uint64_t id);
/* Remove; returns 1 if it was there. */
int rs_idvec_remove(rs_idvec *v, uint64_t id);
/* Index of the first element greater than `id`. */
size_t rs_idvec_upper(const rs_idvec *v, uint64_t id);

#endif
