/*
 * idmap.c: the records map (src/util/idmap.h) against a plain array, and
 * the blocks it makes for a change given back when the change is undone.
 *
 * - Random sets and removals over identifiers on both sides of page
 *   boundaries and far ones (at and above RS_IDMAP_DENSE, up to 2^64 - 1):
 *   every identifier maps to what the array says, and a walk gives each
 *   pointer held once, the dense ones in identifier order.
 * - Each allocation of a reservation failing in turn: the map unchanged,
 *   no block kept; undoing a reservation frees what it made.
 * - A directory: a transaction whose records start a page, or are the
 *   directory's first, rolled back, leaves as many blocks as it found.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "counting.h"
#include "model.h"
#include "roster.h"

/* ------------------------------------------------------------------ */
/* Against an array                                                    */

#define NIDS 96
#define QUARTER (RS_IDMAP_PAGE / 4)

/* Identifiers on both sides of page ends, the last dense ones, one in
 * each of 32 pages (more than the map makes pages for so few records),
 * and far ones up to the largest. */
static uint64_t id_at(size_t i)
{
	if (i < 36)
		return i * (RS_IDMAP_PAGE / 3) + 1; /* 1024 = a page */
	if (i == 36)
		return RS_IDMAP_PAGE - 1;
	if (i == 37)
		return RS_IDMAP_PAGE + 1;
	if (i == 38)
		return RS_IDMAP_DENSE - 1;
	if (i == 39)
		return RS_IDMAP_DENSE - RS_IDMAP_PAGE;
	if (i < 72)
		return (uint64_t)(100 + i - 40) * RS_IDMAP_PAGE + 5;
	if (i < 80)
		return RS_IDMAP_DENSE + (i - 72);
	if (i < 88)
		return UINT64_MAX - (i - 80);
	return ((uint64_t)1 << 40) + (i - 88) * RS_IDMAP_PAGE;
}

static unsigned rnd_state = 77;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Is `p` held in the page of `id`? */
static int in_page(const rs_idmap *m, uint64_t id, const void *p)
{
	uint64_t pg = id >> RS_IDMAP_PAGE_BITS;

	return id < RS_IDMAP_DENSE && pg < m->npages && m->pages[pg] &&
	       m->pages[pg][id & (RS_IDMAP_PAGE - 1)] == p;
}

/* The map holds what the reference does, its counts agree, and a walk
 * gives each pointer once: those in pages first, in identifier order. */
static void check(const rs_idmap *m, const uint64_t *ids, char *const *ref)
{
	uint64_t pos = 0, last = 0;
	size_t i, k, held = 0, walked = 0, made = 0;
	int in_table = 0;
	char seen_ptr[NIDS];
	void *p;

	memset(seen_ptr, 0, sizeof(seen_ptr));
	for (i = 0; i < NIDS; i++) {
		assert_ptr_equal(rs_idmap_get(m, ids[i]), ref[i]);
		held += ref[i] != NULL;
	}
	assert_int_equal(m->count, held);
	for (i = 0; i < m->npages; i++) {
		size_t used = 0;
		if (!m->pages[i])
			continue;
		made++;
		for (k = 0; k < RS_IDMAP_PAGE; k++)
			used += m->pages[i][k] != NULL;
		assert_int_equal(m->used[i], used);
	}
	assert_int_equal(m->nmade, made);
	/* an identifier never set */
	assert_null(rs_idmap_get(m, 5 * RS_IDMAP_PAGE + 3));
	while ((p = rs_idmap_next(m, &pos))) {
		for (i = 0; i < NIDS && ref[i] != p; i++)
			;
		assert_true(i < NIDS);
		assert_false(seen_ptr[i]);
		seen_ptr[i] = 1;
		walked++;
		if (in_page(m, ids[i], p)) {
			assert_false(in_table);
			assert_true(ids[i] > last);
			last = ids[i];
		} else {
			in_table = 1;
		}
	}
	assert_int_equal(walked, held);
}

static void test_against_array(void **state)
{
	static char targets[NIDS];
	uint64_t ids[NIDS];
	char *ref[NIDS];
	rs_idmap m;
	size_t step, i, j, tidied = 0;
	int made;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(ref, 0, sizeof(ref));
	for (i = 0; i < NIDS; i++) {
		ids[i] = id_at(i);
		for (j = 0; j < i; j++)
			assert_true(ids[j] != ids[i]);
	}
	counting_live = 0;
	for (step = 0; step < 30000; step++) {
		i = rnd() % NIDS;
		if (rnd() % 3) {
			size_t before = m.count;
			assert_int_equal(rs_idmap_reserve(&counting, &m, ids[i],
							  &made),
					 0);
			/* a page only while there are records for it */
			if (made & RS_IDMAP_MADE_PAGE)
				assert_true(m.nmade <=
					    before / QUARTER + 16);
			assert_ptr_equal(rs_idmap_set(&m, ids[i], &targets[i]),
					 ref[i]);
			ref[i] = &targets[i];
		} else {
			assert_ptr_equal(rs_idmap_del(&m, ids[i]), ref[i]);
			ref[i] = NULL;
		}
		if (step % 97 == 0)
			check(&m, ids, ref);
		if (step % 1000 == 999) {
			/* as after a commit */
			rs_idmap_tidy(&counting, &m, (int)(step / 1000 % 2));
			tidied++;
			check(&m, ids, ref);
		}
	}
	check(&m, ids, ref);
	/* scattered records: some of them were kept out of pages */
	assert_true(m.far.count > 0);
	rs_idmap_free(&counting, &m);
	assert_int_equal(counting_live, 0);
}

/* Pages left under a quarter used by removals go to the table, but the
 * last one; out of memory, they stay; an identifier in the table gets no
 * page of its own when it is set again. */
static void test_tidy(void **state)
{
	static char t[6 * RS_IDMAP_PAGE];
	const uint64_t n = 5 * RS_IDMAP_PAGE; /* pages 0 to 5 */
	rs_idmap m;
	uint64_t id;
	long blocks;
	int made, round;

	(void)state;
	for (round = 0; round < 2; round++) {
		memset(&m, 0, sizeof(m));
		counting_live = 0;
		for (id = 1; id <= n; id++) {
			assert_int_equal(rs_idmap_reserve(&counting, &m, id,
							  NULL),
					 0);
			rs_idmap_set(&m, id, &t[id]);
		}
		assert_int_equal(m.nmade, 6);
		assert_int_equal(m.far.count, 0);
		/* page 1 keeps 10, page 2 keeps 300 */
		for (id = RS_IDMAP_PAGE + 10; id < 2 * RS_IDMAP_PAGE; id++)
			assert_ptr_equal(rs_idmap_del(&m, id), &t[id]);
		for (id = 2 * RS_IDMAP_PAGE + 300; id < 3 * RS_IDMAP_PAGE;
		     id++)
			assert_ptr_equal(rs_idmap_del(&m, id), &t[id]);
		assert_true(m.sparse);
		if (round) {
			/* the table cannot grow: nothing moves */
			blocks = counting_live;
			counting_fail(1);
			rs_idmap_tidy(&counting, &m, 0);
			counting_fail(0);
			assert_int_equal(m.nmade, 6);
			assert_int_equal(counting_live, blocks);
			assert_true(m.sparse);
		}
		rs_idmap_tidy(&counting, &m, 0);
		assert_false(m.sparse);
		/* page 1 went; page 2 (300) and the last (1 record) stay */
		assert_int_equal(m.nmade, 5);
		assert_null(m.pages[1]);
		assert_non_null(m.pages[2]);
		assert_non_null(m.pages[5]);
		assert_int_equal(m.far.count, 10);
		for (id = 1; id <= n; id++) {
			int gone = (id >= RS_IDMAP_PAGE + 10 &&
				    id < 2 * RS_IDMAP_PAGE) ||
				   (id >= 2 * RS_IDMAP_PAGE + 300 &&
				    id < 3 * RS_IDMAP_PAGE);
			assert_ptr_equal(rs_idmap_get(&m, id),
					 gone ? NULL : &t[id]);
		}
		/* set again where the table holds it: no page made */
		id = RS_IDMAP_PAGE + 3;
		assert_int_equal(rs_idmap_reserve(&counting, &m, id, &made), 0);
		assert_int_equal(made, RS_IDMAP_MADE_NONE);
		assert_ptr_equal(rs_idmap_set(&m, id, &t[0]), &t[id]);
		assert_null(m.pages[1]);
		assert_ptr_equal(rs_idmap_get(&m, id), &t[0]);
		/* a new one there makes the page again, the others stay */
		id = RS_IDMAP_PAGE + 500;
		assert_int_equal(rs_idmap_reserve(&counting, &m, id, &made), 0);
		assert_int_equal(made, RS_IDMAP_MADE_PAGE);
		assert_null(rs_idmap_set(&m, id, &t[id]));
		assert_ptr_equal(rs_idmap_get(&m, id), &t[id]);
		assert_ptr_equal(rs_idmap_get(&m, RS_IDMAP_PAGE + 3), &t[0]);
		assert_ptr_equal(rs_idmap_del(&m, RS_IDMAP_PAGE + 3), &t[0]);
		assert_null(rs_idmap_get(&m, RS_IDMAP_PAGE + 3));
		assert_int_equal(m.count, n - (RS_IDMAP_PAGE - 10) -
						  (RS_IDMAP_PAGE - 300));
		rs_idmap_free(&counting, &m);
		assert_int_equal(counting_live, 0);
	}
}

/* One record in each of 300 pages: the map makes pages for the first 16
 * and as many more as the records fill a quarter of; the rest go to the
 * table, found all the same. */
static void test_scattered(void **state)
{
	static char t[300];
	rs_idmap m;
	uint64_t k, pos = 0;
	size_t walked = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	counting_live = 0;
	for (k = 0; k < 300; k++) {
		uint64_t id = k * RS_IDMAP_PAGE + 7;
		assert_int_equal(rs_idmap_reserve(&counting, &m, id, NULL), 0);
		assert_null(rs_idmap_set(&m, id, &t[k]));
	}
	assert_int_equal(m.nmade, 16 + 1);
	assert_int_equal(m.far.count, 300 - 17);
	for (k = 0; k < 300; k++)
		assert_ptr_equal(rs_idmap_get(&m, k * RS_IDMAP_PAGE + 7),
				 &t[k]);
	while (rs_idmap_next(&m, &pos))
		walked++;
	assert_int_equal(walked, 300);
	/* as after a load: each page but the last goes to the table */
	rs_idmap_tidy(&counting, &m, 1);
	assert_int_equal(m.nmade, 1);
	for (k = 0; k < 300; k++)
		assert_ptr_equal(rs_idmap_get(&m, k * RS_IDMAP_PAGE + 7),
				 &t[k]);
	rs_idmap_free(&counting, &m);
	assert_int_equal(counting_live, 0);
}

/* Every allocation of a reservation failing in turn, on an empty map and
 * on one with pages: the map as it was, no block kept. Undoing a
 * reservation gives back what it made. */
static void test_reserve_failures(void **state)
{
	static char a, b;
	const uint64_t fresh_ids[] = { 1, 7 * RS_IDMAP_PAGE + 1, 300 * RS_IDMAP_PAGE,
				       RS_IDMAP_DENSE + 9 };
	rs_idmap m;
	size_t k;
	long before, n;
	int made;

	(void)state;
	for (k = 0; k < sizeof(fresh_ids) / sizeof(fresh_ids[0]); k++) {
		int with_page;
		for (with_page = 0; with_page < 2; with_page++) {
			memset(&m, 0, sizeof(m));
			counting_live = 0;
			if (with_page) {
				assert_int_equal(rs_idmap_reserve(&counting, &m,
								  2, NULL),
						 0);
				rs_idmap_set(&m, 2, &a);
			}
			before = counting_live;
			for (n = 1;; n++) {
				counting_fail(n);
				if (!rs_idmap_reserve(&counting, &m,
						      fresh_ids[k], &made))
					break;
				assert_int_equal(counting_live, before);
				assert_null(rs_idmap_get(&m, fresh_ids[k]));
				if (with_page)
					assert_ptr_equal(rs_idmap_get(&m, 2),
							 &a);
			}
			counting_fail(0);
			if (with_page && fresh_ids[k] < RS_IDMAP_PAGE) {
				/* the page of 2: nothing to make */
				assert_int_equal(n, 1);
				assert_int_equal(made, RS_IDMAP_MADE_NONE);
				assert_int_equal(counting_live, before);
			} else {
				assert_true(n > 1);
				assert_true(made != RS_IDMAP_MADE_NONE);
				assert_true(counting_live > before);
			}
			rs_idmap_set(&m, fresh_ids[k], &b);
			assert_ptr_equal(rs_idmap_get(&m, fresh_ids[k]), &b);
			/* the change undone: its entry, then its room */
			assert_ptr_equal(rs_idmap_del(&m, fresh_ids[k]), &b);
			rs_idmap_unreserve(&counting, &m, fresh_ids[k], made);
			assert_int_equal(counting_live, before);
			assert_null(rs_idmap_get(&m, fresh_ids[k]));
			if (with_page)
				assert_ptr_equal(rs_idmap_get(&m, 2), &a);
			/* room already there: nothing made */
			if (with_page) {
				assert_int_equal(rs_idmap_reserve(&counting, &m,
								  3, &made),
						 0);
				assert_int_equal(made, RS_IDMAP_MADE_NONE);
			}
			rs_idmap_free(&counting, &m);
			assert_int_equal(counting_live, 0);
		}
	}
}

/* ------------------------------------------------------------------ */
/* In a directory                                                      */

static roster_directory *open_counted(void)
{
	roster_directory_options o;
	roster_directory *dir = NULL;

	assert_int_equal(roster_directory_options_init(
				 &o, ROSTER_DIRECTORY_OPTIONS_VERSION),
			 0);
	o.malloc_fn = counting_malloc;
	o.realloc_fn = counting_realloc;
	o.free_fn = counting_free;
	assert_int_equal(roster_directory_open(&dir, &o), 0);
	return dir;
}

/* The first records of a directory, and records whose identifiers begin
 * a page, rolled back: the directory holds the blocks it held before. */
static void test_rollback_gives_pages_back(void **state)
{
	roster_actor sys;
	roster_directory *dir;
	roster_id partner, acc;
	long before;
	int k;

	(void)state;
	counting_live = 0;
	assert_int_equal(roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0), 0);
	dir = open_counted();
	before = counting_live;
	assert_int_equal(roster_transaction_begin(dir), 0);
	assert_int_equal(roster_partner_create(&partner, dir, &sys, "P"), 0);
	/* more pages in the same transaction: undone before the first */
	for (k = 1; k <= 2; k++) {
		dir->next_id = (roster_id)(10 * k * RS_IDMAP_PAGE);
		assert_int_equal(roster_account_create(&acc, dir, &sys,
						       partner,
						       k == 1 ? "A" : "B"),
				 0);
		assert_non_null(rs_get(dir, acc));
	}
	assert_int_equal(dir->records.nmade, 3);
	assert_int_equal(roster_transaction_rollback(dir), 0);
	assert_int_equal(counting_live, before);
	assert_null(rs_get(dir, partner));
	assert_int_equal(dir->records.nmade, 0);
	dir->next_id = 1;

	assert_int_equal(roster_partner_create(&partner, dir, &sys, "P"), 0);
	for (k = 1; k <= 3; k++) {
		/* the next identifier is the first of page 10 * k */
		dir->next_id = (roster_id)(10 * k * RS_IDMAP_PAGE);
		before = counting_live;
		assert_int_equal(roster_transaction_begin(dir), 0);
		assert_int_equal(roster_account_create(&acc, dir, &sys, partner,
						       "A"),
				 0);
		assert_int_equal(acc, 10 * k * RS_IDMAP_PAGE);
		assert_non_null(rs_get(dir, acc));
		assert_int_equal(roster_transaction_rollback(dir), 0);
		assert_null(rs_get(dir, acc));
		assert_int_equal(counting_live, before);
	}
	/* committed, it stays */
	assert_int_equal(roster_account_create(&acc, dir, &sys, partner, "A"),
			 0);
	assert_non_null(rs_get_kind(dir, acc, ROSTER_KIND_ACCOUNT));
	assert_non_null(rs_get_kind(dir, partner, ROSTER_KIND_PARTNER));
	roster_directory_free(dir);
	assert_int_equal(counting_live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_array),
		cmocka_unit_test(test_tidy),
		cmocka_unit_test(test_scattered),
		cmocka_unit_test(test_reserve_failures),
		cmocka_unit_test(test_rollback_gives_pages_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
