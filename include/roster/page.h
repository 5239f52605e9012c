/*
 * page.h: one page of a listing, with an opaque cursor to the next.
 *
 * Listings return identifiers in ascending order, which is creation order
 * (a search's pages follow its own order: search.h).
 * The cursor names the last identifier returned, so it stays valid while
 * the directory changes: a record created or deleted between two pages is
 * never shown twice and no surviving record is skipped. A listing's
 * cursor is 17 characters (18 bytes with its NUL), one cut short refused
 * as malformed; a search's carries names and may run to kilobytes
 * (search.h).
 */
#ifndef ROSTER_PAGE_H
#define ROSTER_PAGE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A page of identifiers. Owned by the caller; free with roster_page_free. */
typedef struct roster_page roster_page;

/** Largest page size a listing accepts. */
#define ROSTER_PAGE_MAX 10000

/** Number of identifiers in the page. 0 for NULL. */
ROSTER_API size_t roster_page_count(const roster_page *page);
/** The i-th identifier, 0 when out of range. */
ROSTER_API roster_id roster_page_id(const roster_page *page, size_t i);
/**
 * The cursor to pass for the next page, or NULL when this page is the
 * last. Borrowed: lives as long as the page.
 */
ROSTER_API const char *roster_page_next(const roster_page *page);
/** The total of a listing that does not count its matches (a search:
 * roster_search_count counts them). */
#define ROSTER_TOTAL_UNKNOWN ((size_t)-1)

/** Total number of records in the listing (all pages), or
 * ROSTER_TOTAL_UNKNOWN. */
ROSTER_API size_t roster_page_total(const roster_page *page);
/** Free a page. Accepts NULL. */
ROSTER_API void roster_page_free(roster_page *page);

#ifdef __cplusplus
}
#endif

#endif
