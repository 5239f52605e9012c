/*
 * contract.c: a directory on a store. Commits reach the store and a new
 * directory reads them back whole; a stale writer gets a conflict and
 * changes nothing; a store failing at any callback leaves memory and store
 * as before, and the error names the callback; malformed stores are
 * refused with the key at fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"

/* A store that forwards to a memory store and fails one chosen call. */
typedef struct faulty {
	roster_memstore *ms;
	long calls;   /* callbacks made so far */
	long fail_at; /* 0: never */
	int code;     /* what the failing call returns */
} faulty;

static const roster_storage *M(void)
{
	return roster_memstore_methods();
}

static int fault(faulty *f)
{
	return f->fail_at && ++f->calls == f->fail_at;
}

static int f_begin(void *s)
{
	faulty *f = s;
	return fault(f) ? ROSTER_ESTORAGE : M()->begin(f->ms);
}

static int f_commit(void *s)
{
	faulty *f = s;
	if (fault(f)) {
		M()->rollback(f->ms); /* a failed commit keeps nothing */
		return f->code;
	}
	return M()->commit(f->ms);
}

static int f_rollback(void *s)
{
	faulty *f = s;
	return M()->rollback(f->ms);
}

static int f_put(void *s, const char *k, const void *v, size_t n, uint64_t e,
		 uint64_t *out)
{
	faulty *f = s;
	return fault(f) ? f->code : M()->put(f->ms, k, v, n, e, out);
}

static int f_remove(void *s, const char *k, uint64_t e)
{
	faulty *f = s;
	return fault(f) ? f->code : M()->remove(f->ms, k, e);
}

static int f_scan(void *s, const char *p, roster_storage_row_fn row, void *d)
{
	faulty *f = s;
	return fault(f) ? ROSTER_ESTORAGE : M()->scan(f->ms, p, row, d);
}

static const char *f_errmsg(void *s)
{
	(void)s;
	return "injected failure";
}

static const roster_storage faulty_methods = {
	ROSTER_STORAGE_VERSION, f_begin, f_commit, f_rollback, f_put,
	f_remove, f_scan, f_errmsg, NULL
};

static roster_directory_options on_store(const roster_storage *st, void *store)
{
	roster_directory_options o;

	assert_int_equal(roster_directory_options_init(
				 &o, ROSTER_DIRECTORY_OPTIONS_VERSION), 0);
	o.storage = st;
	o.store = store;
	return o;
}

/* A second directory on the same store, with the cheap password hash. */
static roster_directory *reopen(const roster_storage *st, void *store)
{
	roster_directory_options o = on_store(st, store);
	roster_directory *d = NULL;

	assert_int_equal(roster_directory_open(&d, &o), 0);
	return d;
}

static char *dump_store(const roster_storage *st, void *store)
{
	roster_directory *d = reopen(st, store);
	char *s = snapshot_take(d);

	roster_directory_free(d);
	return s;
}

static void test_round_trip(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *d2;
	world *w;
	roster_id id, who;
	char *a, *b;
	roster_form *f = NULL;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = on_store(M(), ms);
	w = world_new(&o);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Zoë");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Dvořáková");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "Zoe@Acme.example");
	roster_form_set_str(f, ROSTER_FIELD_PASSWORD, "stored safely");
	roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "321");
	roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group);
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin, w->account, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_record_delete(w->dir, &w->as_admin, w->site), 0);

	a = snapshot_take(w->dir);
	d2 = reopen(M(), ms);
	b = snapshot_take(d2);
	snapshot_assert_equal(a, b, "reopened");
	/* derived state is rebuilt: logins, extensions, admin counts, ids */
	assert_int_equal(roster_login(&who, d2, "zoe@acme.example", "stored safely"), 0);
	assert_int_equal(who, id);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "x@acme.example", 0, &who), 0);
	{
		roster_actor admin = actor_of(ROSTER_ACTOR_USER, w->admin);
		roster_id other;
		roster_form *g = NULL;
		assert_int_equal(roster_form_new(&g, d2), 0);
		roster_form_set_str(g, ROSTER_FIELD_FIRST_NAME, "C");
		roster_form_set_str(g, ROSTER_FIELD_LAST_NAME, "D");
		roster_form_set_str(g, ROSTER_FIELD_EMAIL, "ZOE@acme.example");
		assert_int_equal(roster_user_create(&other, d2, &admin, w->account, g),
				 ROSTER_EEXISTS);
		roster_form_set_str(g, ROSTER_FIELD_EMAIL, "c@acme.example");
		roster_form_set_ref(g, ROSTER_FIELD_PBX, w->pbx);
		roster_form_set_str(g, ROSTER_FIELD_EXTENSION, "321");
		assert_int_equal(roster_user_create(&other, d2, &admin, w->account, g),
				 ROSTER_EEXISTS);
		assert_string_equal(roster_error_rule(roster_directory_error(d2)),
				    "extension.unique");
		/* the last admin stays, also after a reload */
		roster_form_clear(g);
		roster_form_set_bool(g, ROSTER_FIELD_ADMIN, 0);
		assert_int_equal(roster_user_update(d2, &admin, w->admin, g),
				 ROSTER_EPOLICY);
		roster_form_free(g);
	}
	free(a);
	free(b);
	roster_directory_free(d2);
	world_free(w);
	roster_memstore_free(ms);
}

static void test_conflict(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *d2;
	roster_form *f = NULL;
	world *w;
	char *before, *after;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = on_store(M(), ms);
	w = world_new(&o);
	d2 = reopen(M(), ms);
	/* the first directory changes the admin's note ... */
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "first writer");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, w->admin, f), 0);
	roster_form_free(f);
	/* ... the second, which read it before, loses and changes nothing */
	before = snapshot_take(d2);
	assert_int_equal(roster_form_new(&f, d2), 0);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "second writer");
	assert_int_equal(roster_user_update(d2, &w->as_admin, w->admin, f),
			 ROSTER_ECONFLICT);
	assert_string_equal(roster_error_rule(roster_directory_error(d2)),
			    "storage.conflict");
	assert_string_equal(roster_error_field(roster_directory_error(d2)), "put");
	/* ... wrote nothing, and now sees the winner's state */
	after = dump_store(M(), ms);
	assert_non_null(strstr(after, "first writer"));
	assert_null(strstr(after, "second writer"));
	free(before);
	before = snapshot_take(d2);
	snapshot_assert_equal(after, before, "loser refreshed");
	free(after);
	/* so that its retry goes through */
	assert_int_equal(roster_user_update(d2, &w->as_admin, w->admin, f), 0);
	roster_form_free(f);
	free(before);
	after = dump_store(M(), ms);
	assert_non_null(strstr(after, "second writer"));
	free(after);
	roster_directory_free(d2);
	world_free(w);
	roster_memstore_free(ms);
}

/* Many records in one transaction: users, an update, a delete. */
static int big_transaction(world *w)
{
	roster_form *f = NULL;
	roster_id id;
	char email[64];
	int i, rc;

	if ((rc = roster_transaction_begin(w->dir)))
		return rc;
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	for (i = 0; i < 3; i++) {
		snprintf(email, sizeof(email), "t%d@acme.example", i);
		roster_form_clear(f);
		roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "T");
		roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "U");
		roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
		assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin,
						    w->account, f), 0);
	}
	roster_form_clear(f);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "in the big one");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, w->admin, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_record_delete(w->dir, &w->as_admin, w->site), 0);
	return roster_transaction_commit(w->dir);
}

static void test_faults_at_every_call(void **state)
{
	static const int codes[] = { ROSTER_ESTORAGE, ROSTER_ECONFLICT };
	long n;
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		for (n = 1;; n++) {
			faulty fs = { NULL, 0, 0, codes[k] };
			roster_directory_options o;
			world *w;
			char *mem_before, *store_before, *mem_after, *store_after;
			int rc;

			assert_int_equal(roster_memstore_new(&fs.ms), 0);
			o = on_store(&faulty_methods, &fs);
			w = world_new(&o);
			mem_before = snapshot_take(w->dir);
			store_before = dump_store(M(), fs.ms);
			world_events_clear(w);
			fs.calls = 0;
			fs.fail_at = n;
			rc = big_transaction(w);
			fs.fail_at = 0;
			if (rc == ROSTER_OK) {
				/* past the last callback: all of it landed */
				store_after = dump_store(M(), fs.ms);
				mem_after = snapshot_take(w->dir);
				snapshot_assert_equal(mem_after, store_after,
						      "committed");
				free(store_after);
				free(mem_after);
				free(mem_before);
				free(store_before);
				world_free(w);
				roster_memstore_free(fs.ms);
				break;
			}
			assert_true(rc == codes[k] || rc == ROSTER_ESTORAGE);
			assert_true(strlen(roster_error_field(
					    roster_directory_error(w->dir))) > 0);
			assert_string_equal(roster_error_value(
						    roster_directory_error(w->dir)),
					    "injected failure");
			assert_int_equal(roster_transaction_active(w->dir), 0);
			assert_int_equal(w->nevents, 0);
			mem_after = snapshot_take(w->dir);
			store_after = dump_store(M(), fs.ms);
			snapshot_assert_equal(mem_before, mem_after, "memory");
			snapshot_assert_equal(store_before, store_after, "store");
			free(mem_before);
			free(mem_after);
			free(store_before);
			free(store_after);
			world_free(w);
			roster_memstore_free(fs.ms);
			assert_true(n < 100);
		}
		/* begin, 5 puts (3 users, the admin, the counters), a remove,
		 * commit */
		print_message("%s: failed each of %ld storage calls in turn\n",
			      codes[k] == ROSTER_ECONFLICT ? "conflict" : "failure",
			      n - 1);
		assert_true(n - 1 >= 7);
	}
}

static int put_raw(roster_memstore *ms, const char *key, const void *v,
		   size_t n)
{
	uint64_t ver;
	int rc;

	M()->begin(ms);
	rc = M()->put(ms, key, v, n, 0, &ver);
	M()->commit(ms);
	return rc;
}

static void test_malformed_store(void **state)
{
	static const unsigned char junk[] = { 1, 6, 0xFF };
	/* an account whose partner does not exist */
	static const unsigned char orphan[] = { 1, 2, 1, 8, 7, 0, 0, 0, 0, 0, 0, 0,
						2, 8, 9, 0, 0, 0, 0, 0, 0, 0,
						3, 1, 'A' };
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *d = NULL;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = on_store(M(), ms);
	assert_int_equal(put_raw(ms, "r/0000000000000007", orphan, sizeof(orphan)), 0);
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_EPARSE);
	assert_null(d);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "storage.inconsistent");
	assert_string_equal(roster_error_value(roster_error_last()),
			    "r/0000000000000007");
	assert_int_equal(put_raw(ms, "r/0000000000000001", junk, sizeof(junk)), 0);
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "storage.malformed");
	/* keys that are not roster's are left alone */
	roster_memstore_free(ms);
	assert_int_equal(roster_memstore_new(&ms), 0);
	o.store = ms;
	assert_int_equal(put_raw(ms, "host/settings", "x", 1), 0);
	assert_int_equal(roster_directory_open(&d, &o), 0);
	roster_directory_free(d);
	roster_memstore_free(ms);
}

static void test_scan_failure_on_open(void **state)
{
	faulty fs = { NULL, 0, 1, ROSTER_ESTORAGE };
	roster_directory_options o;
	roster_directory *d = NULL;

	(void)state;
	assert_int_equal(roster_memstore_new(&fs.ms), 0);
	o = on_store(&faulty_methods, &fs);
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_ESTORAGE);
	assert_null(d);
	assert_string_equal(roster_error_field(roster_error_last()), "scan");
	assert_string_equal(roster_error_value(roster_error_last()),
			    "injected failure");
	roster_memstore_free(fs.ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_faults_at_every_call),
		cmocka_unit_test(test_malformed_store),
		cmocka_unit_test(test_scan_failure_on_open),
	};

	return cmocka_run_group_tests_name("storage/contract", tests, NULL, NULL);
}
