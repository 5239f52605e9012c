/*
 * table.c: sweeping a table (src/util/table.h): rs_table_sweep() offers
 * each entry once and removes those it is told to, however the entries
 * crowd their homes (runs that wrap past the table's end, removals that
 * move later entries back into the place just checked), without
 * allocating.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "counting.h"
#include "util/table.h"

#define MAXN 96

static unsigned rnd_state = 4242;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

typedef struct offers {
	unsigned seen[MAXN + 1]; /* times entry b was offered */
	unsigned drop_mod;	 /* drop b when b % drop_mod == 0 */
} offers;

static int drop(void *ctx, uint64_t a, uint64_t b)
{
	offers *o = ctx;

	assert_true(b >= 1 && b <= MAXN);
	assert_int_equal(a, b * 7919); /* the pair as inserted */
	o->seen[b]++;
	return b % o->drop_mod == 0;
}

static int is_b(void *ctx, uint64_t b)
{
	return b == *(const uint64_t *)ctx;
}

static void test_sweep(void **state)
{
	const rs_alloc *al = &counting;
	size_t trial;

	(void)state;
	for (trial = 0; trial < 2000; trial++) {
		rs_table t = { NULL, 0, 0 };
		offers o;
		size_t n = 1 + rnd() % MAXN, i, kept = 0;
		long live;

		memset(&o, 0, sizeof(o));
		/* 1 keeps nothing; n + 1 keeps everything */
		o.drop_mod = trial % 5 == 0 ? 1 : 1 + rnd() % (unsigned)(n + 1);
		assert_int_equal(rs_table_reserve(al, &t, n), 0);
		for (i = 1; i <= n; i++)
			rs_table_insert(&t, (uint64_t)i * 7919, i);
		/* no allocation: the first one would fail */
		live = counting_live;
		counting_fail(1);
		rs_table_sweep(&t, drop, &o);
		assert_int_equal(counting_seen, 0);
		counting_fail(0);
		assert_int_equal(counting_live, live);
		for (i = 1; i <= n; i++) {
			uint64_t b = i;
			int gone = i % o.drop_mod == 0;

			assert_int_equal(o.seen[i], 1);
			assert_int_equal(rs_table_find(&t, (uint64_t)i * 7919,
						       is_b, &b),
					 gone ? 0 : i);
			kept += !gone;
		}
		assert_int_equal(t.count, kept);
		/* every entry left is reached from its home */
		for (i = 0; i < t.cap; i++) {
			uint64_t b = t.slots[i].b;
			if (b)
				assert_int_equal(rs_table_find(&t, t.slots[i].a,
							       is_b, &b),
						 b);
		}
		rs_table_free(al, &t);
		assert_int_equal(counting_live, 0);
	}
	/* an empty table: nothing offered */
	{
		rs_table t = { NULL, 0, 0 };
		offers o;

		memset(&o, 0, sizeof(o));
		o.drop_mod = 1;
		rs_table_sweep(&t, drop, &o);
		assert_int_equal(t.count, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests_name("core/table", tests, NULL, NULL);
}
