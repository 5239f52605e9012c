/* idmap.c: identifier -> pointer, paged for dense identifiers (idmap.h). */
#include "idmap.h"

#include <string.h>

#include "roster/common.h"

#define QUARTER (RS_IDMAP_PAGE / 4) /* records a page keeps at least */
#define FREE_PAGES 16		    /* pages made whatever the count */
#define DIR_MAX (RS_IDMAP_DENSE >> RS_IDMAP_PAGE_BITS)

static size_t page_of(uint64_t id)
{
	return (size_t)(id >> RS_IDMAP_PAGE_BITS);
}

/* The page slot of `id`, NULL when its page does not exist. */
static void **slot_of(const rs_idmap *m, uint64_t id)
{
	size_t p = page_of(id);

	if (id >= RS_IDMAP_DENSE || p >= m->npages || !m->pages[p])
		return NULL;
	return &m->pages[p][id & (RS_IDMAP_PAGE - 1)];
}

void rs_idmap_free(const rs_alloc *al, rs_idmap *m)
{
	size_t i;

	for (i = 0; i < m->npages; i++)
		rs_free(al, m->pages[i]);
	rs_free(al, m->pages);
	rs_free(al, m->used);
	rs_table_free(al, &m->far);
	memset(m, 0, sizeof(*m));
}

/* Room in the directory of pages for page p; *fresh when it got its
 * first blocks. 0 or -1. */
static int dir_room(const rs_alloc *al, rs_idmap *m, size_t p, int *fresh)
{
	size_t n = m->npages + m->npages / 2;
	void ***pages;
	uint16_t *used;

	*fresh = 0;
	if (p < m->npages)
		return 0;
	if (n <= p)
		n = p + 1;
	if (n < 16)
		n = 16;
	if (n > DIR_MAX)
		n = DIR_MAX;
	if (!(used = rs_reallocarray(al, m->used, n, sizeof(*used))))
		return -1;
	m->used = used;
	if (!(pages = rs_reallocarray(al, m->pages, n, sizeof(*pages)))) {
		if (!m->npages) {
			rs_free(al, m->used);
			m->used = NULL;
		}
		return -1;
	}
	memset(pages + m->npages, 0, (n - m->npages) * sizeof(*pages));
	memset(used + m->npages, 0, (n - m->npages) * sizeof(*used));
	*fresh = m->npages == 0;
	m->pages = pages;
	m->npages = n;
	return 0;
}

int rs_idmap_reserve(const rs_alloc *al, rs_idmap *m, uint64_t id,
		     int *made)
{
	size_t p = page_of(id);
	int fresh;

	if (made)
		*made = RS_IDMAP_MADE_NONE;
	/* a slot in its page, or its entry in the table, is there */
	if (slot_of(m, id) || (m->far.count && rs_table_get(&m->far, id)))
		return 0;
	if (id < RS_IDMAP_DENSE &&
	    m->nmade < m->count / QUARTER + FREE_PAGES) {
		if (dir_room(al, m, p, &fresh))
			return ROSTER_ENOMEM;
		if (!(m->pages[p] = rs_calloc(al, RS_IDMAP_PAGE,
					      sizeof(void *)))) {
			/* a first directory goes with its first page */
			if (fresh)
				rs_idmap_unreserve(al, m, id,
						   RS_IDMAP_MADE_DIR);
			return ROSTER_ENOMEM;
		}
		m->nmade++;
		if (made)
			*made = RS_IDMAP_MADE_PAGE |
				(fresh ? RS_IDMAP_MADE_DIR : 0);
		return 0;
	}
	fresh = m->far.cap == 0;
	if (rs_table_reserve(al, &m->far, 1))
		return ROSTER_ENOMEM;
	if (fresh && made)
		*made = RS_IDMAP_MADE_FAR;
	return 0;
}

void rs_idmap_unreserve(const rs_alloc *al, rs_idmap *m, uint64_t id,
			int made)
{
	if (made & RS_IDMAP_MADE_FAR)
		rs_table_free(al, &m->far);
	if (made & RS_IDMAP_MADE_PAGE) {
		size_t p = page_of(id);
		rs_free(al, m->pages[p]);
		m->pages[p] = NULL;
		m->nmade--;
	}
	if (made & RS_IDMAP_MADE_DIR) {
		/* no other page was made since: the directory is empty */
		rs_free(al, m->pages);
		rs_free(al, m->used);
		m->pages = NULL;
		m->used = NULL;
		m->npages = 0;
	}
}

void *rs_idmap_set(rs_idmap *m, uint64_t id, void *ptr)
{
	void **at = slot_of(m, id), *old;

	if (at && *at) {
		old = *at;
		*at = ptr;
		return old;
	}
	/* in its page unless the table holds it already */
	if (at && (!m->far.count || !rs_table_get(&m->far, id))) {
		*at = ptr;
		m->used[page_of(id)]++;
		m->count++;
		return NULL;
	}
	old = (void *)(uintptr_t)rs_table_set(&m->far, id,
					      (uint64_t)(uintptr_t)ptr);
	if (!old)
		m->count++;
	return old;
}

void *rs_idmap_del(rs_idmap *m, uint64_t id)
{
	void **at = slot_of(m, id), *old;

	if (at && *at) {
		old = *at;
		*at = NULL;
		m->count--;
		if (--m->used[page_of(id)] < QUARTER)
			m->sparse = 1;
		return old;
	}
	old = m->far.count ? (void *)(uintptr_t)rs_table_del(&m->far, id)
			   : NULL;
	if (old)
		m->count--;
	return old;
}

void *rs_idmap_next(const rs_idmap *m, uint64_t *pos)
{
	uint64_t i = *pos, end = (uint64_t)m->npages << RS_IDMAP_PAGE_BITS;

	/* the pages, in identifier order */
	while (i < end) {
		void **page = m->pages[page_of(i)];
		if (!page) {
			i = (uint64_t)(page_of(i) + 1) << RS_IDMAP_PAGE_BITS;
			continue;
		}
		if (page[i & (RS_IDMAP_PAGE - 1)]) {
			*pos = i + 1;
			return page[i & (RS_IDMAP_PAGE - 1)];
		}
		i++;
	}
	/* then the table's slots, from RS_IDMAP_DENSE on */
	if (i < RS_IDMAP_DENSE)
		i = RS_IDMAP_DENSE;
	for (; i - RS_IDMAP_DENSE < m->far.cap; i++)
		if (m->far.slots[i - RS_IDMAP_DENSE].b) {
			*pos = i + 1;
			return (void *)(uintptr_t)
				m->far.slots[i - RS_IDMAP_DENSE].b;
		}
	*pos = i;
	return NULL;
}

void rs_idmap_tidy(const rs_alloc *al, rs_idmap *m, int all)
{
	size_t p, k, last = m->npages;

	if (!m->sparse && !all)
		return;
	/* the last page is where new identifiers go: it fills */
	while (last > 0 && !m->pages[last - 1])
		last--;
	for (p = 0; p + 1 < last; p++) {
		void **page = m->pages[p];
		if (!page || m->used[p] >= QUARTER)
			continue;
		if (m->used[p] && rs_table_reserve(al, &m->far, m->used[p]))
			return; /* the rest stays sparse */
		for (k = 0; k < RS_IDMAP_PAGE; k++)
			if (page[k])
				rs_table_insert(&m->far,
						((uint64_t)p << RS_IDMAP_PAGE_BITS) | k,
						(uint64_t)(uintptr_t)page[k]);
		rs_free(al, page);
		m->pages[p] = NULL;
		m->used[p] = 0;
		m->nmade--;
	}
	m->sparse = 0;
}
