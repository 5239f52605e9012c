/*
 * idmap.h: the map from identifier to record behind rs_get().
 *
 * A directory hands identifiers out in sequence from 1, so nearly all of
 * them are dense: those below RS_IDMAP_DENSE sit in pages of
 * RS_IDMAP_PAGE pointers, found by the identifier's high bits in a small
 * directory of pages and its low bits in the page: 8 bytes a record and
 * two reads, one of them the page directory, which stays in cache.
 * Identifiers at or above it (a store may hold any identifier) go to an
 * rs_table. A hash table of (identifier, pointer) pairs at most 3/4 full
 * cost 24 to 48 bytes a record and a read at a random place of it.
 *
 * As with rs_table, inserts never allocate: the caller makes room for an
 * identifier first (rs_idmap_reserve), so that the apply phase of a change
 * cannot fail and undoing a removal can always put the entry back. A page
 * is freed only with the map, or by rs_idmap_unreserve() when the
 * reservation that made it is undone.
 */
#ifndef RS_IDMAP_H
#define RS_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "table.h"

#define RS_IDMAP_PAGE_BITS 10
#define RS_IDMAP_PAGE ((uint64_t)1 << RS_IDMAP_PAGE_BITS)
#define RS_IDMAP_DENSE ((uint64_t)1 << 28)

typedef struct rs_idmap {
	void ***pages;	/* pages[id >> RS_IDMAP_PAGE_BITS], NULL: none yet */
	size_t npages;	/* length of pages[] */
	rs_table far;	/* identifiers >= RS_IDMAP_DENSE */
} rs_idmap;

/* What a reservation made, bits for rs_idmap_unreserve(). */
enum {
	RS_IDMAP_MADE_NONE = 0,
	RS_IDMAP_MADE_PAGE = 1, /* the identifier's page */
	RS_IDMAP_MADE_DIR = 2,	/* the first directory of pages */
	RS_IDMAP_MADE_FAR = 4	/* the far table's first block */
};

void rs_idmap_free(const rs_alloc *al, rs_idmap *m);

/* Make room for `id`; *made (may be NULL) tells what was allocated for
 * it. 0 or ROSTER_ENOMEM, the map unchanged. */
int rs_idmap_reserve(const rs_alloc *al, rs_idmap *m, uint64_t id,
		     int *made);
/* Undo the reservation of `id` that made `made`: frees what it made.
 * Every entry put there since must have been removed, and every later
 * reservation undone. */
void rs_idmap_unreserve(const rs_alloc *al, rs_idmap *m, uint64_t id,
			int made);

/* The pointer of `id`, NULL when none. */
static inline void *rs_idmap_get(const rs_idmap *m, uint64_t id)
{
	uint64_t p = id >> RS_IDMAP_PAGE_BITS;

	if (id < RS_IDMAP_DENSE)
		return p < m->npages && m->pages[p]
			       ? m->pages[p][id & (RS_IDMAP_PAGE - 1)]
			       : NULL;
	return (void *)(uintptr_t)rs_table_get(&m->far, id);
}

/* Set id's pointer (not NULL; room reserved); returns the old one. */
void *rs_idmap_set(rs_idmap *m, uint64_t id, void *ptr);
/* Remove id; returns its pointer, NULL when it had none. */
void *rs_idmap_del(rs_idmap *m, uint64_t id);

/* Each pointer held, one a call: *pos is 0 to start, then opaque. The
 * dense identifiers' come in identifier order, then the others'. NULL
 * once every one has been given; the map must not change meanwhile. */
void *rs_idmap_next(const rs_idmap *m, uint64_t *pos);

#endif
