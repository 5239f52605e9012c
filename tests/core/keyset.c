/*
 * keyset.c: the sets of unique keys (src/util/keyset.h) against a plain
 * array of (key, identifier) pairs, and the blocks a reservation makes.
 *
 * - Random inserts and removals of keys whose hashes collide on purpose:
 *   several keys share a hash's high 32 bits (the part an entry keeps) or
 *   the whole hash, homes crowd a few slots (probing, wrapping past the
 *   end, deletions that move later entries back), and some identifiers
 *   are at or above 2^32 (kept aside). Every key is found with its
 *   identifier, or not, as the array says.
 * - The same for a set of addresses (`ptrs`): an address a multiple of 8
 *   below 2^47 is kept in its entry, another (unaligned, or higher) aside.
 * - A set of addresses larger than its 20 bits of tag can number (more
 *   than 2^20 slots): every entry found, and none after its removal.
 * - Each allocation of a reservation failing in turn: the set unchanged,
 *   no block kept; undoing a fresh reservation frees its block.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "counting.h"
#include "util/keyset.h"

#define NKEYS 200

typedef struct key {
	uint64_t hash;
	uint64_t id; /* the identifier it would be inserted with */
	int in;	     /* in the set */
} key;

static unsigned rnd_state = 99;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* match: the identifier is the one the probed key was inserted with */
static int match_id(void *ctx, uint64_t id)
{
	const key *k = ctx;

	return id == k->id;
}

/*
 * Keys in groups of four: hashes of a group share their high 32 bits,
 * and the first two their whole hash; the high bits of all of them fall
 * in a few homes, at the start or at the end of the table whatever its
 * size, so that probes wrap past its end. Every tenth identifier is far.
 */
static void make_keys(key *k)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		uint64_t g = i / 4 % 13;
		uint64_t high = (g % 2 ? 0xffffffffu - g : g) << 32 |
				(uint64_t)(i / 52) << 60;
		uint64_t low = i % 4 < 2 ? 0x1234 : 0x1000 + i;
		k[i].hash = high | low;
		k[i].id = i % 10 == 9 ? ((uint64_t)1 << 32) + i * 7
				      : (uint64_t)i * 3 + 1;
		k[i].in = 0;
	}
	/* the largest identifiers of both kinds */
	k[0].id = 0xffffffffu;
	k[1].id = UINT64_MAX;
}

/* Kept aside rather than in an entry? */
static int far_value(const rs_keyset *s, uint64_t v)
{
	if (!s->ptrs)
		return v >= ((uint64_t)1 << 32);
	return (v & 7) != 0 || v >= ((uint64_t)1 << 47);
}

static void check(const rs_keyset *s, key *k)
{
	size_t i, n = 0, far = 0;

	for (i = 0; i < NKEYS; i++) {
		uint64_t got = rs_keyset_find(s, k[i].hash, match_id, &k[i]);
		assert_int_equal(got, k[i].in ? k[i].id : 0);
		if (k[i].in)
			far_value(s, k[i].id) ? far++ : n++;
	}
	assert_int_equal(s->count, n);
	assert_int_equal(s->far.count, far);
}

/* Random inserts and removals in `s` (empty), checked against k. */
static void against_array(rs_keyset *s_, key *k)
{
	rs_keyset s = *s_;
	size_t step, i;

	counting_live = 0;
	for (step = 0; step < 30000; step++) {
		i = rnd() % NKEYS;
		if (!k[i].in) {
			assert_int_equal(rs_keyset_reserve(&counting, &s,
							   k[i].id, NULL),
					 0);
			rs_keyset_insert(&s, k[i].hash, k[i].id);
			k[i].in = 1;
		} else if (rnd() % 2) {
			assert_int_equal(rs_keyset_remove(&s, k[i].hash,
							  k[i].id),
					 1);
			k[i].in = 0;
		}
		/* removing what is not there changes nothing */
		if (!k[(i + 1) % NKEYS].in)
			assert_int_equal(rs_keyset_remove(&s,
							  k[(i + 1) % NKEYS].hash,
							  k[(i + 1) % NKEYS].id),
					 0);
		if (step % 101 == 0)
			check(&s, k);
	}
	check(&s, k);
	/* a key of the same hash but another identifier is not found */
	{
		key other = k[2];
		other.id = 123456;
		assert_int_equal(rs_keyset_find(&s, other.hash, match_id,
						&other),
				 0);
	}
	rs_keyset_free(&counting, &s);
	assert_int_equal(counting_live, 0);
	*s_ = s;
}

static void test_against_array(void **state)
{
	key k[NKEYS];
	rs_keyset s;

	(void)state;
	memset(&s, 0, sizeof(s));
	make_keys(k);
	against_array(&s, k);
}

/* The same with addresses: multiples of 8 below 2^47, the largest of
 * them, and every tenth unaligned or above (kept aside). */
static void test_addresses(void **state)
{
	key k[NKEYS];
	rs_keyset s;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.ptrs = 1;
	make_keys(k);
	for (i = 0; i < NKEYS; i++)
		k[i].id = i % 10 == 9 ? (i % 20 == 9 ? 0x7f0000000001u + i * 16
						     : ((uint64_t)1 << 47) + i * 8)
				      : 0x7f0000000000u + i * 64;
	k[0].id = ((uint64_t)1 << 47) - 8;
	k[1].id = UINT64_MAX - 7;
	against_array(&s, k);
	/* freeing keeps the kind of values */
	assert_int_equal(s.ptrs, 1);
}

/* More slots than 20 bits of tag tell: 1.5M addresses (2^21 slots) from
 * random hashes, all found; half removed, those not found. */
static void test_addresses_beyond_tags(void **state)
{
	const size_t n = 3u << 19;
	uint64_t *h = malloc(n * sizeof(*h)), x = 0x9e3779b97f4a7c15u;
	key one;
	rs_keyset s;
	size_t i;

	(void)state;
	assert_non_null(h);
	memset(&s, 0, sizeof(s));
	s.ptrs = 1;
	counting_live = 0;
	for (i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		h[i] = x;
		assert_int_equal(rs_keyset_reserve(&counting, &s, (i + 1) * 8,
						   NULL),
				 0);
		rs_keyset_insert(&s, h[i], (i + 1) * 8);
	}
	assert_true(s.cap > ((size_t)1 << 20));
	assert_int_equal(s.count, n);
	for (i = 0; i < n; i++) {
		one.hash = h[i];
		one.id = (i + 1) * 8;
		assert_int_equal(rs_keyset_find(&s, h[i], match_id, &one),
				 one.id);
	}
	for (i = 0; i < n; i += 2)
		assert_int_equal(rs_keyset_remove(&s, h[i], (i + 1) * 8), 1);
	for (i = 0; i < n; i++) {
		one.hash = h[i];
		one.id = (i + 1) * 8;
		assert_int_equal(rs_keyset_find(&s, h[i], match_id, &one),
				 i % 2 ? one.id : 0);
	}
	assert_int_equal(s.count, n / 2);
	rs_keyset_free(&counting, &s);
	assert_int_equal(counting_live, 0);
	free(h);
}

/* Every allocation of a first reservation failing in turn, near and far,
 * in a set of identifiers and in one of addresses: the set unchanged, no
 * block kept; undone, it gives its block back. */
static void test_reserve_failures(void **state)
{
	/* identifiers near and far, then addresses near and far */
	const uint64_t ids[] = { 5, (uint64_t)1 << 40, 0x7f0000001000u,
				 0x7f0000001001u };
	rs_keyset s;
	key one = { 0xabcdef0012345678u, 0, 0 };
	size_t k;
	long n;
	int fresh;

	(void)state;
	for (k = 0; k < 4; k++) {
		memset(&s, 0, sizeof(s));
		s.ptrs = k >= 2;
		counting_live = 0;
		one.id = ids[k];
		for (n = 1;; n++) {
			counting_fail(n);
			if (!rs_keyset_reserve(&counting, &s, one.id, &fresh))
				break;
			assert_int_equal(counting_live, 0);
			assert_null(s.slots);
			assert_int_equal(s.far.cap, 0);
		}
		counting_fail(0);
		assert_true(n > 1);
		assert_int_equal(fresh, 1);
		rs_keyset_insert(&s, one.hash, one.id);
		assert_int_equal(rs_keyset_find(&s, one.hash, match_id, &one),
				 one.id);
		/* in an entry, or aside */
		assert_int_equal(s.count, k % 2 ? 0 : 1);
		assert_int_equal(s.far.count, k % 2 ? 1 : 0);
		/* undone: the entry, then the block */
		assert_int_equal(rs_keyset_remove(&s, one.hash, one.id), 1);
		rs_keyset_unreserve(&counting, &s, one.id);
		assert_int_equal(counting_live, 0);
		/* room already there: not fresh */
		assert_int_equal(rs_keyset_reserve(&counting, &s, one.id, NULL),
				 0);
		assert_int_equal(rs_keyset_reserve(&counting, &s, one.id,
						   &fresh),
				 0);
		assert_int_equal(fresh, 0);
		rs_keyset_free(&counting, &s);
		assert_int_equal(counting_live, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_array),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_addresses_beyond_tags),
		cmocka_unit_test(test_reserve_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
