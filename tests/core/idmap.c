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

#define NIDS 64

/* Identifiers on both sides of page ends, the last dense ones, and far
 * ones up to the largest. */
static uint64_t id_at(size_t i)
{
	if (i < 38)
		return i * (RS_IDMAP_PAGE / 3) + 1; /* 1025 = a page + 1 */
	if (i == 38)
		return RS_IDMAP_DENSE - 1;
	if (i == 39)
		return RS_IDMAP_DENSE - RS_IDMAP_PAGE;
	if (i < 48)
		return RS_IDMAP_DENSE + (i - 40);
	if (i < 56)
		return UINT64_MAX - (i - 48);
	return ((uint64_t)1 << 40) + (i - 56) * RS_IDMAP_PAGE;
}

static unsigned rnd_state = 77;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void check(const rs_idmap *m, const uint64_t *ids, char *const *ref)
{
	uint64_t pos = 0, last_dense = 0;
	size_t i, held = 0, walked = 0;
	char seen_ptr[NIDS];
	void *p;

	memset(seen_ptr, 0, sizeof(seen_ptr));
	for (i = 0; i < NIDS; i++) {
		assert_ptr_equal(rs_idmap_get(m, ids[i]), ref[i]);
		held += ref[i] != NULL;
	}
	/* an identifier never set */
	assert_null(rs_idmap_get(m, 5 * RS_IDMAP_PAGE + 3));
	while ((p = rs_idmap_next(m, &pos))) {
		for (i = 0; i < NIDS && ref[i] != p; i++)
			;
		assert_true(i < NIDS);
		assert_false(seen_ptr[i]);
		seen_ptr[i] = 1;
		walked++;
		if (ids[i] < RS_IDMAP_DENSE) {
			/* dense ones first, ascending */
			assert_true(ids[i] > last_dense);
			last_dense = ids[i];
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
	size_t step, i, j;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(ref, 0, sizeof(ref));
	for (i = 0; i < NIDS; i++) {
		ids[i] = id_at(i);
		for (j = 0; j < i; j++)
			assert_true(ids[j] != ids[i]);
	}
	counting_live = 0;
	for (step = 0; step < 20000; step++) {
		i = rnd() % NIDS;
		if (rnd() % 3) {
			assert_int_equal(rs_idmap_reserve(&counting, &m, ids[i],
							  NULL),
					 0);
			assert_ptr_equal(rs_idmap_set(&m, ids[i], &targets[i]),
					 ref[i]);
			ref[i] = &targets[i];
		} else {
			assert_ptr_equal(rs_idmap_del(&m, ids[i]), ref[i]);
			ref[i] = NULL;
		}
		if (step % 97 == 0)
			check(&m, ids, ref);
	}
	check(&m, ids, ref);
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
	assert_int_equal(roster_transaction_rollback(dir), 0);
	assert_int_equal(counting_live, before);
	assert_null(rs_get(dir, partner));

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
		cmocka_unit_test(test_reserve_failures),
		cmocka_unit_test(test_rollback_gives_pages_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
