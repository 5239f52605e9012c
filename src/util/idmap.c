/* idmap.c: identifier -> pointer, paged for dense identifiers (idmap.h). */
#include "idmap.h"

#include <string.h>

#include "roster/common.h"

void rs_idmap_free(const rs_alloc *al, rs_idmap *m)
{
	size_t i;

	for (i = 0; i < m->npages; i++)
		rs_free(al, m->pages[i]);
	rs_free(al, m->pages);
	rs_table_free(al, &m->far);
	memset(m, 0, sizeof(*m));
}

int rs_idmap_reserve(const rs_alloc *al, rs_idmap *m, uint64_t id,
		     int *made)
{
	size_t p = (size_t)(id >> RS_IDMAP_PAGE_BITS), n;
	int fresh = 0;
	void ***pages;

	if (made)
		*made = RS_IDMAP_MADE_NONE;
	if (id >= RS_IDMAP_DENSE) {
		fresh = m->far.cap == 0;
		if (rs_table_reserve(al, &m->far, 1))
			return ROSTER_ENOMEM;
		if (fresh && made)
			*made = RS_IDMAP_MADE_FAR;
		return 0;
	}
	if (p < m->npages && m->pages[p])
		return 0;
	if (p >= m->npages) {
		/* the directory of pages grows by half again at least */
		n = m->npages + m->npages / 2;
		if (n <= p)
			n = p + 1;
		if (n < 16)
			n = 16;
		if (n > RS_IDMAP_DENSE >> RS_IDMAP_PAGE_BITS)
			n = RS_IDMAP_DENSE >> RS_IDMAP_PAGE_BITS;
		if (!(pages = rs_reallocarray(al, m->pages, n, sizeof(*pages))))
			return ROSTER_ENOMEM;
		memset(pages + m->npages, 0,
		       (n - m->npages) * sizeof(*pages));
		if (!m->npages)
			fresh = RS_IDMAP_MADE_DIR;
		m->pages = pages;
		m->npages = n;
	}
	if (!(m->pages[p] = rs_calloc(al, RS_IDMAP_PAGE, sizeof(void *)))) {
		/* a first directory goes with its first page */
		rs_idmap_unreserve(al, m, id, fresh);
		return ROSTER_ENOMEM;
	}
	if (made)
		*made = RS_IDMAP_MADE_PAGE | fresh;
	return 0;
}

void rs_idmap_unreserve(const rs_alloc *al, rs_idmap *m, uint64_t id,
			int made)
{
	if (made & RS_IDMAP_MADE_FAR)
		rs_table_free(al, &m->far);
	if (made & RS_IDMAP_MADE_PAGE) {
		size_t p = (size_t)(id >> RS_IDMAP_PAGE_BITS);
		rs_free(al, m->pages[p]);
		m->pages[p] = NULL;
	}
	if (made & RS_IDMAP_MADE_DIR) {
		/* no other page was made since: the directory is empty */
		rs_free(al, m->pages);
		m->pages = NULL;
		m->npages = 0;
	}
}

void *rs_idmap_set(rs_idmap *m, uint64_t id, void *ptr)
{
	void **at, *old;

	if (id >= RS_IDMAP_DENSE)
		return (void *)(uintptr_t)rs_table_set(&m->far, id,
						       (uint64_t)(uintptr_t)ptr);
	at = &m->pages[id >> RS_IDMAP_PAGE_BITS][id & (RS_IDMAP_PAGE - 1)];
	old = *at;
	*at = ptr;
	return old;
}

void *rs_idmap_del(rs_idmap *m, uint64_t id)
{
	uint64_t p = id >> RS_IDMAP_PAGE_BITS;
	void **at, *old;

	if (id >= RS_IDMAP_DENSE)
		return (void *)(uintptr_t)rs_table_del(&m->far, id);
	if (p >= m->npages || !m->pages[p])
		return NULL;
	at = &m->pages[p][id & (RS_IDMAP_PAGE - 1)];
	old = *at;
	*at = NULL;
	return old;
}

void *rs_idmap_next(const rs_idmap *m, uint64_t *pos)
{
	uint64_t i = *pos, end = (uint64_t)m->npages << RS_IDMAP_PAGE_BITS;

	/* the dense identifiers, a page at a time */
	while (i < end) {
		void **page = m->pages[i >> RS_IDMAP_PAGE_BITS];
		if (!page) {
			i = ((i >> RS_IDMAP_PAGE_BITS) + 1) << RS_IDMAP_PAGE_BITS;
			continue;
		}
		if (page[i & (RS_IDMAP_PAGE - 1)]) {
			*pos = i + 1;
			return page[i & (RS_IDMAP_PAGE - 1)];
		}
		i++;
	}
	/* then the far table's slots, from RS_IDMAP_DENSE on */
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
