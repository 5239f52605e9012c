/*
 * contract.c: a directory on a store. Commits reach the store and a new
 * directory reads them back whole; a stale writer gets a conflict and
 * changes nothing; a store failing at any callback leaves memory and store
 * as before, and the error names the callback; malformed stores are
 * refused with the key at fault.
 *
 * Every test runs once per backend: the memory store and, when SQLite is
 * available, the example SQLite store (a fresh file per test, and a second
 * connection to it wherever a second directory opens on "the same store").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "snapshot.h"
#ifdef ROSTER_HAVE_SQLITE_STORE
#include "sqlite_store.h"
#endif

/* A backend under test: how to open a handle on a store and close it. */
typedef struct backend {
	const char *name;
	int file; /* a handle per directory, on one file; else one shared */
	int (*open)(void **store, const char *path);
	const roster_storage *(*methods)(void);
	void (*close)(void *store);
} backend;

static int mem_open(void **store, const char *path)
{
	roster_memstore *ms = NULL;
	int rc = roster_memstore_new(&ms);

	(void)path;
	*store = ms;
	return rc;
}

static void mem_close(void *store)
{
	roster_memstore_free(store);
}

#ifdef ROSTER_HAVE_SQLITE_STORE
static int sql_open(void **store, const char *path)
{
	sqlite_store *s = NULL;
	int rc = sqlite_store_open(&s, path);

	*store = s;
	return rc;
}

static void sql_close(void *store)
{
	sqlite_store_close(store);
}
#endif

static const backend backends[] = {
	{ "memory", 0, mem_open, roster_memstore_methods, mem_close },
#ifdef ROSTER_HAVE_SQLITE_STORE
	{ "sqlite", 1, sql_open, sqlite_store_methods, sql_close },
#endif
};

/* One store of a test and the handles opened on it. */
typedef struct fixture {
	const backend *be;
	char path[512];
	void *handles[4];
	size_t n;
} fixture;

/* A handle on the fixture's store: the first one, or for a file backend a
 * new connection to the same file. */
static void *fx_open(fixture *fx)
{
	if (fx->n && !fx->be->file)
		return fx->handles[0];
	assert_true(fx->n < sizeof(fx->handles) / sizeof(fx->handles[0]));
	assert_int_equal(fx->be->open(&fx->handles[fx->n], fx->path), 0);
	return fx->handles[fx->n++];
}

/* A new empty store of the test's backend; *store gets its first handle. */
static fixture *fx_new(void **state, void **store)
{
	fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	int fd;

	assert_non_null(fx);
	fx->be = *state;
	if (fx->be->file) {
		snprintf(fx->path, sizeof(fx->path), "%s/roster-contract-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		fd = mkstemp(fx->path);
		assert_true(fd >= 0);
		close(fd);
	}
	*store = fx_open(fx);
	return fx;
}

static void fx_free(fixture *fx)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	char p[sizeof(fx->path) + 16];
	size_t i;

	while (fx->n)
		fx->be->close(fx->handles[--fx->n]);
	for (i = 0; *fx->path && i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", fx->path, ext[i]);
		unlink(p);
	}
	free(fx);
}

#define ST(fx) ((fx)->be->methods())

/* A store that forwards to a backend's store and fails one chosen call. */
typedef struct faulty {
	const roster_storage *st;
	void *store;
	long calls;   /* callbacks made so far */
	long fail_at; /* 0: never */
	int code;     /* what the failing call returns */
} faulty;

static int fault(faulty *f)
{
	return f->fail_at && ++f->calls == f->fail_at;
}

static int f_begin(void *s)
{
	faulty *f = s;
	return fault(f) ? ROSTER_ESTORAGE : f->st->begin(f->store);
}

static int f_commit(void *s)
{
	faulty *f = s;
	if (fault(f)) {
		f->st->rollback(f->store); /* a failed commit keeps nothing */
		return f->code;
	}
	return f->st->commit(f->store);
}

static int f_rollback(void *s)
{
	faulty *f = s;
	return f->st->rollback(f->store);
}

static int f_put(void *s, const char *k, const void *v, size_t n, uint64_t e,
		 uint64_t *out)
{
	faulty *f = s;
	return fault(f) ? f->code : f->st->put(f->store, k, v, n, e, out);
}

static int f_remove(void *s, const char *k, uint64_t e)
{
	faulty *f = s;
	return fault(f) ? f->code : f->st->remove(f->store, k, e);
}

static int f_scan(void *s, const char *p, roster_storage_row_fn row, void *d)
{
	faulty *f = s;
	return fault(f) ? ROSTER_ESTORAGE : f->st->scan(f->store, p, row, d);
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
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d2;
	world *w;
	roster_id id, who;
	char *a, *b;
	roster_form *f = NULL;

	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
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
	d2 = reopen(ST(fx), fx_open(fx)); /* a second connection */
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
	fx_free(fx);
}

static void test_conflict(void **state)
{
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d2;
	roster_form *f = NULL;
	world *w;
	char *before, *after;

	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
	w = world_new(&o);
	d2 = reopen(ST(fx), fx_open(fx)); /* a second connection */
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
	after = dump_store(ST(fx), ms);
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
	after = dump_store(ST(fx), ms);
	assert_non_null(strstr(after, "second writer"));
	free(after);
	roster_directory_free(d2);
	world_free(w);
	fx_free(fx);
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

	for (k = 0; k < 2; k++) {
		for (n = 1;; n++) {
			faulty fs = { NULL, NULL, 0, 0, codes[k] };
			fixture *fx = fx_new(state, &fs.store);
			roster_directory_options o;
			world *w;
			char *mem_before, *store_before, *mem_after, *store_after;
			int rc;

			fs.st = ST(fx);
			o = on_store(&faulty_methods, &fs);
			w = world_new(&o);
			mem_before = snapshot_take(w->dir);
			store_before = dump_store(ST(fx), fs.store);
			world_events_clear(w);
			fs.calls = 0;
			fs.fail_at = n;
			rc = big_transaction(w);
			fs.fail_at = 0;
			if (rc == ROSTER_OK) {
				/* past the last callback: all of it landed */
				store_after = dump_store(ST(fx), fs.store);
				mem_after = snapshot_take(w->dir);
				snapshot_assert_equal(mem_after, store_after,
						      "committed");
				free(store_after);
				free(mem_after);
				free(mem_before);
				free(store_before);
				world_free(w);
				fx_free(fx);
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
			store_after = dump_store(ST(fx), fs.store);
			snapshot_assert_equal(mem_before, mem_after, "memory");
			snapshot_assert_equal(store_before, store_after, "store");
			free(mem_before);
			free(mem_after);
			free(store_before);
			free(store_after);
			world_free(w);
			fx_free(fx);
			assert_true(n < 100);
		}
		/* begin, 5 puts (3 users, the admin, the counters), a remove,
		 * commit */
		print_message("%s: %s: failed each of %ld storage calls in turn\n",
			      ((const backend *)*state)->name,
			      codes[k] == ROSTER_ECONFLICT ? "conflict" : "failure",
			      n - 1);
		assert_true(n - 1 >= 7);
	}
}

static int put_raw(fixture *fx, void *store, const char *key, const void *v,
		   size_t n)
{
	const roster_storage *st = ST(fx);
	uint64_t ver;
	int rc;

	assert_int_equal(st->begin(store), 0);
	rc = st->put(store, key, v, n, 0, &ver);
	assert_int_equal(rc ? st->rollback(store) : st->commit(store), 0);
	return rc;
}

static void test_malformed_store(void **state)
{
	static const unsigned char junk[] = { 1, 6, 0xFF };
	/* an account whose partner does not exist */
	static const unsigned char orphan[] = { 1, 2, 1, 8, 7, 0, 0, 0, 0, 0, 0, 0,
						2, 8, 9, 0, 0, 0, 0, 0, 0, 0,
						3, 1, 'A' };
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d = NULL;

	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
	assert_int_equal(put_raw(fx, ms, "r/0000000000000007", orphan, sizeof(orphan)), 0);
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_EPARSE);
	assert_null(d);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "storage.inconsistent");
	assert_string_equal(roster_error_value(roster_error_last()),
			    "r/0000000000000007");
	assert_int_equal(put_raw(fx, ms, "r/0000000000000001", junk, sizeof(junk)), 0);
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "storage.malformed");
	/* keys that are not roster's are left alone */
	fx_free(fx);
	fx = fx_new(state, &ms);
	o.store = ms;
	assert_int_equal(put_raw(fx, ms, "host/settings", "x", 1), 0);
	assert_int_equal(roster_directory_open(&d, &o), 0);
	roster_directory_free(d);
	fx_free(fx);
}

static void test_scan_failure_on_open(void **state)
{
	faulty fs = { NULL, NULL, 0, 1, ROSTER_ESTORAGE };
	fixture *fx = fx_new(state, &fs.store);
	roster_directory_options o;
	roster_directory *d = NULL;

	fs.st = ST(fx);
	o = on_store(&faulty_methods, &fs);
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_ESTORAGE);
	assert_null(d);
	assert_string_equal(roster_error_field(roster_error_last()), "scan");
	assert_string_equal(roster_error_value(roster_error_last()),
			    "injected failure");
	fx_free(fx);
}

/* Every test once per backend, named "backend: test". */
#define CONTRACT(name, be)                                                     \
	{ name ": round_trip", test_round_trip, NULL, NULL, (void *)(be) },     \
	{ name ": conflict", test_conflict, NULL, NULL, (void *)(be) },         \
	{ name ": faults_at_every_call", test_faults_at_every_call, NULL,     \
	  NULL, (void *)(be) },                                                \
	{ name ": malformed_store", test_malformed_store, NULL, NULL,         \
	  (void *)(be) },                                                      \
	{ name ": scan_failure_on_open", test_scan_failure_on_open, NULL,     \
	  NULL, (void *)(be) }

int main(void)
{
	const struct CMUnitTest tests[] = {
		CONTRACT("memory", &backends[0]),
#ifdef ROSTER_HAVE_SQLITE_STORE
		CONTRACT("sqlite", &backends[1]),
#endif
	};

	return cmocka_run_group_tests_name("storage/contract", tests, NULL, NULL);
}
