/*
 * listing.h: every id of one roster_list listing, page after page, for
 * the tests and the fuzz targets (static and without cmocka, for both).
 */
#ifndef ROSTER_TEST_LISTING_H
#define ROSTER_TEST_LISTING_H

#include <stdio.h>
#include <stdlib.h>

#include "roster.h"

/*
 * The ids under `parent` of `kind`, through pages of `page` ids, in a
 * malloc'd array (*count of them; free(3) it). NULL when a page fails,
 * memory is short, the ids are not ascending or not as many as the pages'
 * total, with *why saying which.
 */
static roster_id *listing_all(roster_directory *dir, roster_id parent,
			      int kind, size_t page, size_t *count,
			      const char **why)
{
	roster_id *ids = NULL, *grown;
	size_t n = 0, total = 0, i;
	char cursor[64];
	const char *next = NULL;
	int first = 1;

	while (first || next) {
		roster_page *p = NULL;

		if (roster_list(&p, dir, parent, kind, first ? NULL : cursor,
				page) != ROSTER_OK) {
			*why = "roster_list failed";
			goto fail;
		}
		first = 0;
		total = roster_page_total(p);
		grown = realloc(ids, (n + roster_page_count(p) + 1) *
					     sizeof(*ids));
		if (!grown) {
			roster_page_free(p);
			*why = "out of memory";
			goto fail;
		}
		ids = grown;
		for (i = 0; i < roster_page_count(p); i++) {
			ids[n] = roster_page_id(p, i);
			if (n && ids[n] <= ids[n - 1]) {
				roster_page_free(p);
				*why = "ids not ascending";
				goto fail;
			}
			n++;
		}
		next = roster_page_next(p);
		if (next && snprintf(cursor, sizeof(cursor), "%s", next) >=
				    (int)sizeof(cursor)) {
			roster_page_free(p);
			*why = "cursor too long";
			goto fail;
		}
		roster_page_free(p);
	}
	if (n != total) {
		*why = "not as many ids as the pages' total";
		goto fail;
	}
	*count = n;
	return ids;
fail:
	free(ids);
	return NULL;
}

#endif
