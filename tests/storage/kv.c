/*
 * kv.c: the built-in stores' table (src/storage/kv.h) against a plain
 * array, over random puts and removals of a small set of keys: every key
 * is found or not as the array says, with its version, the count and
 * bytes agree, and the order applied lists every live entry once, oldest
 * first. Keys are chosen so that their hashes share slots (probing,
 * wrapping past the table's end, deletions that move later entries
 * back).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "storage/kv.h"

#define NKEYS 300

typedef struct ref {
	uint64_t version; /* 0: absent */
	uint64_t applied; /* when it was last put: the order */
	size_t len;
} ref;

static unsigned rnd_state = 4242;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void key_of(char *out, size_t i)
{
	snprintf(out, 16, "k%zu", i);
}

/* The table holds what the reference does. */
static void check(const rs_kv *t, const ref *r)
{
	const rs_kv_entry *e, *prev = NULL;
	size_t i, count = 0, listed = 0;
	uint64_t last_applied = 0, bytes = 0;

	for (i = 0; i < NKEYS; i++) {
		char k[16];
		size_t kl;
		key_of(k, i);
		kl = strlen(k);
		e = rs_kv_get(t, k, kl, rs_kv_hash(k, kl));
		if (!r[i].version) {
			assert_null(e);
			continue;
		}
		assert_non_null(e);
		assert_int_equal(e->version, r[i].version);
		assert_int_equal(e->len, r[i].len);
		count++;
		bytes += kl + r[i].len;
	}
	assert_int_equal(t->count, count);
	assert_int_equal(t->bytes, bytes);
	assert_true(t->cap > 2 * t->count);
	/* the order applied: each live key once, by when it was put */
	for (e = t->oldest; e; prev = e, e = e->newer) {
		size_t n = (size_t)strtoul(e->key + 1, NULL, 10);
		assert_ptr_equal(e->older, prev);
		assert_true(r[n].applied > last_applied);
		last_applied = r[n].applied;
		listed++;
	}
	assert_ptr_equal(t->newest, prev);
	assert_int_equal(listed, count);
}

static void test_random_against_array(void **state)
{
	static ref r[NKEYS];
	static char value[64];
	rs_kv t;
	rs_kv_writes w = { NULL, 0, 0, NULL, 0 };
	uint64_t version = 0, applied = 0;
	size_t round, i;

	(void)state;
	memset(r, 0, sizeof(r));
	memset(value, 'v', sizeof(value));
	assert_int_equal(rs_kv_init(&t), 0);
	for (round = 0; round < 400; round++) {
		/* a set of 1 to 40 writes, some to the same key */
		size_t n = 1 + rnd() % 40;
		ref next[NKEYS];
		memcpy(next, r, sizeof(r));
		for (i = 0; i < n; i++) {
			size_t k = rnd() % (round < 200 ? NKEYS : NKEYS / 3);
			int removal = rnd() % 3 == 0;
			size_t len = rnd() % sizeof(value);
			char key[16];
			rs_kv_entry *e;
			key_of(key, k);
			e = rs_kv_entry_new(key, strlen(key),
					    rs_kv_hash(key, strlen(key)),
					    removal ? NULL : value, len,
					    ++version);
			assert_non_null(e);
			assert_int_equal(rs_kv_writes_add(&w, &t, e), 0);
			/* the set's view: its latest write */
			assert_int_equal(rs_kv_current(&t, &w, key, strlen(key),
						       rs_kv_hash(key,
								  strlen(key))),
					 removal ? 0 : version);
			if (removal) {
				next[k].version = 0;
			} else {
				next[k].version = version;
				next[k].applied = ++applied;
				next[k].len = len;
			}
		}
		if (rnd() % 5 == 0) {
			/* rolled back: the table unchanged */
			rs_kv_writes_clear(&w);
			check(&t, r);
			continue;
		}
		rs_kv_apply(&t, &w);
		memcpy(r, next, sizeof(r));
		check(&t, r);
	}
	rs_kv_writes_free(&w);
	rs_kv_free(&t);
}

/* Keys in 20 spaces (more than a table names: the last ones met stay
 * spaceless), keys with no '/', with a space name too long to keep, and
 * with an empty one. */
#define NSPACED 400
static char spaced[NSPACED][40];

static void make_spaced(void)
{
	static const char *const names[] = {
		"o", "u", "a", "acc", "x", "p", "s", "g", "b", "c", "d", "e",
		"f", "h", "i", "j", "k", "l", "m", "n", "", "toolongname", NULL
	};
	size_t i, nn = sizeof(names) / sizeof(names[0]);

	for (i = 0; i < NSPACED; i++) {
		const char *nm = names[i % nn];
		if (nm)
			snprintf(spaced[i], sizeof(spaced[i]), "%s/%04zx", nm,
				 i);
		else
			snprintf(spaced[i], sizeof(spaced[i]), "plain%zu", i);
	}
}

typedef struct seen {
	const char *keys[NSPACED + 1];
	uint64_t versions[NSPACED + 1];
	size_t n;
} seen;

static int collect(const char *key, const void *value, size_t len,
		   uint64_t version, void *data)
{
	seen *s = data;

	(void)value;
	(void)len;
	assert_true(s->n < NSPACED);
	s->keys[s->n] = key;
	s->versions[s->n++] = version;
	return 0;
}

/* A scan gives the entries a walk of the order applied filtered by the
 * prefix gives, in that order. */
static void check_scan(const rs_kv *t, const char *prefix)
{
	seen got, want;
	const rs_kv_entry *e;
	size_t i, n = strlen(prefix);

	got.n = want.n = 0;
	assert_int_equal(rs_kv_scan(t, prefix, collect, &got), 0);
	for (e = t->oldest; e; e = e->newer)
		if (strncmp(e->key, prefix, n) == 0) {
			want.keys[want.n] = e->key;
			want.versions[want.n++] = e->version;
		}
	if (got.n != want.n)
		fail_msg("scan \"%s\": %zu entries, the walk %zu", prefix,
			 got.n, want.n);
	for (i = 0; i < got.n; i++) {
		assert_string_equal(got.keys[i], want.keys[i]);
		assert_int_equal(got.versions[i], want.versions[i]);
	}
}

static int stop_at_second(const char *key, const void *value, size_t len,
			  uint64_t version, void *data)
{
	(void)key;
	(void)value;
	(void)len;
	(void)version;
	return ++*(int *)data == 2 ? 7 : 0;
}

static void test_scan_by_space(void **state)
{
	static char value[8] = "value";
	rs_kv t;
	rs_kv_writes w = { NULL, 0, 0, NULL, 0 };
	uint64_t version = 0;
	size_t round, i;
	int calls = 0;

	(void)state;
	make_spaced();
	assert_int_equal(rs_kv_init(&t), 0);
	for (round = 0; round < 300; round++) {
		size_t n = 1 + rnd() % 30;
		for (i = 0; i < n; i++) {
			const char *key = spaced[rnd() % NSPACED];
			int removal = rnd() % 3 == 0;
			rs_kv_entry *e = rs_kv_entry_new(
				key, strlen(key), rs_kv_hash(key, strlen(key)),
				removal ? NULL : value, sizeof(value), ++version);
			assert_non_null(e);
			assert_int_equal(rs_kv_writes_add(&w, &t, e), 0);
		}
		if (rnd() % 5 == 0) {
			rs_kv_writes_clear(&w);
			continue;
		}
		rs_kv_apply(&t, &w);
		/* whole spaces, parts of them, single keys, no space */
		check_scan(&t, "");
		check_scan(&t, "o/");
		check_scan(&t, "acc/");
		check_scan(&t, "acc/00");
		check_scan(&t, "a");
		check_scan(&t, "/");
		check_scan(&t, "toolongname/");
		check_scan(&t, "plain");
		check_scan(&t, "zz/");
		check_scan(&t, "n/");
		check_scan(&t, "m/00");
		check_scan(&t, spaced[rnd() % NSPACED]);
	}
	assert_int_equal(t.nspaces, RS_KV_SPACES);
	assert_true(t.spaceless > 0);
	/* a row's non-zero result stops the scan and is returned */
	assert_int_equal(rs_kv_scan(&t, "", stop_at_second, &calls), 7);
	assert_int_equal(calls, 2);
	rs_kv_writes_free(&w);
	rs_kv_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_array),
		cmocka_unit_test(test_scan_by_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
