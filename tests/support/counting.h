/*
 * counting.h: an allocator for the internal tests of one structure: it
 * counts the blocks it has handed out and not freed (counting_live), and
 * fails the Nth allocation after counting_fail(N) (0: none fails).
 * Static: each test program has its own.
 */
#ifndef ROSTER_TEST_COUNTING_H
#define ROSTER_TEST_COUNTING_H

#include <stdlib.h>

#include "util/alloc.h"

static long counting_live, counting_fail_at, counting_seen;

static void counting_fail(long n)
{
	counting_fail_at = n;
	counting_seen = 0;
}

static int counting_failing(void)
{
	return counting_fail_at && ++counting_seen == counting_fail_at;
}

static void *counting_malloc(size_t size, void *data)
{
	void *p;

	(void)data;
	if (counting_failing() || !(p = malloc(size)))
		return NULL;
	counting_live++;
	return p;
}

static void *counting_realloc(void *p, size_t size, void *data)
{
	if (!p)
		return counting_malloc(size, data);
	if (counting_failing())
		return NULL;
	return realloc(p, size);
}

static void counting_free(void *p, void *data)
{
	(void)data;
	if (p)
		counting_live--;
	free(p);
}

static const rs_alloc counting = { counting_malloc, counting_realloc,
				   counting_free, NULL };

#endif
