/*
 * keyset.h: the sets of unique keys (logins, lines, extensions) as
 * (key hash, identifier) entries, where the caller's match function
 * compares the real keys of the record an entry names.
 *
 * An entry is one 64-bit word: the hash's high 32 bits, which also give
 * its home slot, and an identifier below 2^32, which every identifier a
 * directory hands out is for a long time: 8 bytes an entry where a pair
 * of 64-bit words took 16. An identifier at or above 2^32 (a store may
 * hold any) goes, with its whole hash, to an rs_table beside it.
 *
 * A set of `ptrs` holds the addresses of the records instead (the logins:
 * a lookup then reads the entry and the user, not the map of records in
 * between), 20 bits of hash over the address divided by 8; an address the
 * entry cannot hold goes to the table. Its owner puts every new version
 * of a record in place of the last (rs_put does for the logins). Open
 * addressing with linear probing and backward-shift deletion, at most 3/4
 * full. As with rs_table, inserts never allocate: the caller reserves room
 * first, so that the apply phase of a change cannot fail and undoing a
 * removal can always put the entry back.
 */
#ifndef RS_KEYSET_H
#define RS_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "table.h"

typedef struct rs_keyset {
	uint64_t *slots; /* hash >> 32 << 32 | identifier; 0: empty */
	size_t cap;	 /* 0 or a power of two */
	size_t count;
	rs_table far;	 /* identifiers at or above 2^32 */
	int ptrs;	 /* the values are records' addresses (kept by
			    rs_keyset_free) */
} rs_keyset;

void rs_keyset_free(const rs_alloc *al, rs_keyset *s);
/* Room for one more entry of identifier `id`; 0 or ROSTER_ENOMEM, the set
 * unchanged. *fresh (may be NULL) is 1 when this gave the part of the set
 * that holds `id` its first block. */
int rs_keyset_reserve(const rs_alloc *al, rs_keyset *s, uint64_t id,
		      int *fresh);
/* Undo a reservation that was fresh: frees the block of the part that
 * holds `id`, which must be empty again. */
void rs_keyset_unreserve(const rs_alloc *al, rs_keyset *s, uint64_t id);
/* Insert (hash, id), id != 0; room must have been reserved. */
void rs_keyset_insert(rs_keyset *s, uint64_t hash, uint64_t id);
/* Remove the entry (hash, id); returns 1 if it was there. */
int rs_keyset_remove(rs_keyset *s, uint64_t hash, uint64_t id);
/* The first identifier of an entry of `hash` for which match(ctx, id) is
 * non-zero, 0 if none. Entries whose hashes share their high 32 bits are
 * all offered to match. */
uint64_t rs_keyset_find(const rs_keyset *s, uint64_t hash,
			int (*match)(void *ctx, uint64_t id), void *ctx);

#endif
