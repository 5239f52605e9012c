/*
 * idmap.h: the map from identifier to record behind rs_get().
 *
 * A directory hands identifiers out in sequence from 1, so that most of
 * them are dense: those below RS_IDMAP_DENSE sit in pages of
 * RS_IDMAP_PAGE pointers, found by the identifier's high bits in a small
 * directory of pages and its low bits in the page: 8 bytes a record for a
 * full page, and a lookup reads one place of a page, the directory staying
 * in cache. The others go to an rs_table of (identifier, pointer) pairs,
 * 24 to 48 bytes a record: identifiers at or above RS_IDMAP_DENSE, and
 * those whose page would be mostly empty. A new page is made only while
 * the map holds at least a quarter page of records for each page it has
 * (and for the first 16 pages in any case), and rs_idmap_tidy() moves the
 * records of a page under a quarter used to the table (but the last
 * page's, which new identifiers fill): a store of records
 * scattered over the identifiers, or a directory whose records were mostly
 * deleted since, costs no more than the table would.
 *
 * An identifier is in its page when its page exists and holds it, else in
 * the table. As with rs_table, setting never allocates: the caller makes
 * room for an identifier first (rs_idmap_reserve), so that the apply
 * phase of a change cannot fail and undoing a removal can always put the
 * entry back. Pages are freed with the map, by rs_idmap_unreserve() when
 * the reservation that made one is undone, and by rs_idmap_tidy().
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
	void ***pages;	  /* pages[id >> RS_IDMAP_PAGE_BITS], NULL: none */
	uint16_t *used;	  /* records each page holds */
	size_t npages;	  /* length of pages[] and used[] */
	size_t nmade;	  /* pages allocated */
	size_t count;	  /* records held, in pages and in the table */
	int sparse;	  /* a page may be under a quarter used */
	rs_table far;	  /* the identifiers not in a page */
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
	void *v;

	if (id < RS_IDMAP_DENSE && p < m->npages && m->pages[p] &&
	    (v = m->pages[p][id & (RS_IDMAP_PAGE - 1)]))
		return v;
	return m->far.count ? (void *)(uintptr_t)rs_table_get(&m->far, id)
			    : NULL;
}

/* Set id's pointer (not NULL; room reserved); returns the old one. */
void *rs_idmap_set(rs_idmap *m, uint64_t id, void *ptr);
/* Remove id; returns its pointer, NULL when it had none. */
void *rs_idmap_del(rs_idmap *m, uint64_t id);

/* Each pointer held, one a call: *pos is 0 to start, then opaque. Those
 * in pages come in identifier order, then the table's. NULL once every
 * one has been given; the map must not change meanwhile. */
void *rs_idmap_next(const rs_idmap *m, uint64_t *pos);

/* Outside a transaction (nothing to undo): move the records of each page
 * under a quarter used to the table and free the page, but the last one,
 * where new identifiers go (every page when `all`, else only when a
 * removal may have left one so). Out of memory, the pages not yet moved
 * stay: only memory is at stake. */
void rs_idmap_tidy(const rs_alloc *al, rs_idmap *m, int all);

#endif
