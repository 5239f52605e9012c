/*
 * array.c: growing an array (src/util/alloc.h): rs_array_room() hands
 * back the array while it has room, grows it from its first size by
 * doubling, and leaves the array and its capacity as they were when
 * memory is short or the capacity cannot double.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "counting.h"
#include "util/alloc.h"

static void test_room(void **state)
{
	size_t cap = 0, n, caps[4] = { 0 }, grown = 0;
	int *a = NULL, *b;

	(void)state;
	counting_fail(0);
	for (n = 0; n < 40; n++) {
		size_t before = cap;
		b = rs_array_room(&counting, a, n, &cap, sizeof(*a), 5);
		assert_non_null(b);
		if (n < before) {
			/* room left: the same array, the same capacity */
			assert_ptr_equal(b, a);
			assert_int_equal(cap, before);
		} else {
			assert_int_equal(cap, before ? before * 2 : 5);
			caps[grown++] = cap;
		}
		a = b;
		a[n] = (int)n; /* element n is there to write */
	}
	for (n = 0; n < 40; n++)
		assert_int_equal(a[n], (int)n);
	assert_int_equal(grown, 4);
	assert_int_equal(caps[3], 40);
	rs_free(&counting, a);
	assert_int_equal(counting_live, 0);
}

static void test_short_of_memory(void **state)
{
	size_t cap = 0, huge = SIZE_MAX / 2 + 1;
	int *a = NULL, *b;

	(void)state;
	counting_fail(1);
	assert_null(rs_array_room(&counting, a, 0, &cap, sizeof(*a), 4));
	assert_int_equal(cap, 0);
	counting_fail(0);
	a = rs_array_room(&counting, a, 0, &cap, sizeof(*a), 4);
	assert_non_null(a);
	a[0] = 7;
	counting_fail(1);
	assert_null(rs_array_room(&counting, a, 4, &cap, sizeof(*a), 4));
	assert_int_equal(cap, 4);
	assert_int_equal(a[0], 7); /* still the caller's, untouched */
	counting_fail(0);
	/* a capacity that cannot double: refused without allocating */
	assert_null(rs_array_room(&counting, a, huge, &huge, sizeof(*a), 4));
	assert_int_equal(huge, SIZE_MAX / 2 + 1);
	b = rs_array_room(&counting, a, 4, &cap, sizeof(*a), 4);
	assert_non_null(b);
	assert_int_equal(cap, 8);
	assert_int_equal(b[0], 7);
	rs_free(&counting, b);
	assert_int_equal(counting_live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_short_of_memory),
	};

	return cmocka_run_group_tests_name("core/array", tests, NULL, NULL);
}
