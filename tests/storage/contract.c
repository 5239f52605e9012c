/*
 * contract.c: a directory on a store. Commits reach the store and a new
 * directory reads them back whole; a stale writer gets a conflict and
 * changes nothing; a store failing at any callback leaves memory and store
 * as before, and the error names the callback; malformed stores are
 * refused with the key at fault.
 *
 * Every test runs once per backend: the memory store, the file store and,
 * when SQLite is available, the example SQLite store (for the file-backed
 * ones a fresh file per test, and a second handle on it wherever a second
 * directory opens on "the same store").
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "snapshot.h"
#include "stores.h"

/* A new empty store of the test's backend; *store gets its first handle. */
static fixture *fx_new(void **state, void **store)
{
	return fx_new_on(*state, store);
}

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

static int f_check(void *s, const char *k, uint64_t e)
{
	faulty *f = s;
	return fault(f) ? f->code : f->st->check(f->store, k, e);
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
	f_remove, f_scan, f_errmsg, NULL, f_check
};

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

/* Every key of the store with its value in hex, sorted: the exact
 * contents, outbox included (versions left out). */
typedef struct rawdump {
	char **lines;
	size_t n;
} rawdump;

static int raw_row(const char *key, const void *value, size_t len,
		   uint64_t version, void *data)
{
	rawdump *d = data;
	char *line = malloc(strlen(key) + 2 * len + 2), *p;
	size_t i;

	(void)version;
	assert_non_null(line);
	p = line + sprintf(line, "%s=", key);
	for (i = 0; i < len; i++)
		p += sprintf(p, "%02x", ((const unsigned char *)value)[i]);
	d->lines = realloc(d->lines, (d->n + 1) * sizeof(char *));
	assert_non_null(d->lines);
	d->lines[d->n++] = line;
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *raw_store(const roster_storage *st, void *store)
{
	rawdump d = { NULL, 0 };
	size_t i, total = 1;
	char *s;

	assert_int_equal(st->scan(store, "", raw_row, &d), 0);
	qsort(d.lines, d.n, sizeof(char *), cmp_line);
	for (i = 0; i < d.n; i++)
		total += strlen(d.lines[i]) + 1;
	s = malloc(total);
	assert_non_null(s);
	*s = '\0';
	for (i = 0; i < d.n; i++) {
		strcat(s, d.lines[i]);
		strcat(s, "\n");
		free(d.lines[i]);
	}
	free(d.lines);
	return s;
}

/* The versions of every key of the store, by key number ("w<number>"). */
typedef struct versions {
	uint64_t *v;
	size_t n, rows;
} versions;

static int version_row(const char *key, const void *value, size_t len,
		       uint64_t version, void *data)
{
	versions *vs = data;
	unsigned long k = strtoul(key + 1, NULL, 10);
	char want[32];

	assert_true(k < vs->n);
	snprintf(want, sizeof(want), "value %lu/%llu", k,
		 (unsigned long long)version);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(value, want, len);
	vs->v[k] = version;
	vs->rows++;
	return 0;
}

/* Put key k expecting version `expect`; the value names the key and the
 * version it gets, which the caller learns only from the put: so the
 * value is written again with it. */
static uint64_t put_numbered(const roster_storage *st, void *store,
			     unsigned long k, uint64_t expect)
{
	char key[32], value[32];
	uint64_t ver = 0, ver2 = 0;

	snprintf(key, sizeof(key), "w%lu", k);
	assert_int_equal(st->put(store, key, "x", 1, expect, &ver), 0);
	snprintf(value, sizeof(value), "value %lu/%llu", k,
		 (unsigned long long)ver + 1);
	assert_int_equal(st->put(store, key, value, strlen(value), ver, &ver2),
			 0);
	assert_int_equal(ver2, ver + 1);
	return ver2;
}

/*
 * One transaction of thousands of writes: each put and remove checks the
 * version the key has in the transaction's own view (its latest write),
 * a stale one is refused and adds nothing, a rolled-back transaction
 * leaves nothing, and small transactions after a big one see it whole.
 */
static void test_large_write_set(void **state)
{
	enum { N = 6000 };
	void *store;
	fixture *fx = fx_new(state, &store);
	const roster_storage *st = ST(fx);
	uint64_t *want = calloc(N, sizeof(*want)), ver;
	versions got = { calloc(N, sizeof(uint64_t)), N, 0 };
	unsigned long k;
	size_t live = 0;
	char key[32];
	int round;

	assert_non_null(want);
	assert_non_null(got.v);
	for (round = 0; round < 2; round++) {
		/* round 0 rolls back, round 1 commits */
		assert_int_equal(st->begin(store), 0);
		for (k = 0; k < N; k++)
			want[k] = put_numbered(st, store, k, 0);
		for (k = 0; k < N; k += 3) {
			/* a stale version and "absent" are both refused */
			snprintf(key, sizeof(key), "w%lu", k);
			assert_int_equal(st->put(store, key, "y", 1,
						 want[k] - 1, &ver),
					 ROSTER_ECONFLICT);
			assert_int_equal(st->put(store, key, "y", 1, 0, &ver),
					 ROSTER_ECONFLICT);
			want[k] = put_numbered(st, store, k, want[k]);
		}
		for (k = 0; k < N; k += 5) {
			snprintf(key, sizeof(key), "w%lu", k);
			assert_int_equal(st->remove(store, key, want[k] + 1),
					 ROSTER_ECONFLICT);
			assert_int_equal(st->remove(store, key, want[k]), 0);
			assert_int_equal(st->remove(store, key, want[k]),
					 ROSTER_ECONFLICT);
			want[k] = 0;
		}
		for (k = 0; k < N; k += 10) /* removed, then put again */
			want[k] = put_numbered(st, store, k, 0);
		if (round == 0) {
			assert_int_equal(st->rollback(store), 0);
			assert_int_equal(st->scan(store, "w", version_row, &got),
					 0);
			assert_int_equal(got.rows, 0);
		} else {
			assert_int_equal(st->commit(store), 0);
		}
	}
	assert_int_equal(st->scan(store, "w", version_row, &got), 0);
	for (k = 0; k < N; k++) {
		assert_true(got.v[k] == want[k]);
		live += want[k] != 0;
	}
	assert_int_equal(got.rows, live);
	/* small transactions on top of the big one check its versions */
	for (k = 0; k < N; k += 997) {
		assert_int_equal(st->begin(store), 0);
		snprintf(key, sizeof(key), "w%lu", k);
		assert_int_equal(st->put(store, key, "z", 1, want[k] ? 0 : 1,
					 &ver),
				 ROSTER_ECONFLICT);
		want[k] = put_numbered(st, store, k, want[k]);
		assert_int_equal(st->commit(store), 0);
	}
	got.rows = 0;
	assert_int_equal(st->scan(store, "w", version_row, &got), 0);
	for (k = 0; k < N; k++)
		assert_true(got.v[k] == want[k]);
	free(want);
	free(got.v);
	fx_free(fx);
}

static int no_row(const char *key, const void *value, size_t len,
		  uint64_t version, void *data)
{
	(void)key, (void)value, (void)len, (void)version, (void)data;
	return 0;
}

static int count_row(const char *key, const void *value, size_t len,
		     uint64_t version, void *data)
{
	(void)key, (void)value, (void)len, (void)version;
	++*(size_t *)data;
	return 0;
}

/* The example SQLite store, called again by the thread inside its own
 * transaction (a callback of a commit calling into another directory on
 * the store), fails with a message instead of waiting for itself for
 * ever; the transaction goes on. */
static void test_sqlite_reentry(void **state)
{
	void *store;
	fixture *fx = fx_new(state, &store);
	const roster_storage *st = ST(fx);
	uint64_t ver = 0;

	if (strcmp(((const backend *)*state)->name, "sqlite") != 0) {
		fx_free(fx);
		skip();
	}
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->begin(store), ROSTER_ESTORAGE);
	assert_non_null(strstr(st->errmsg(store), "inside a transaction"));
	assert_int_equal(st->scan(store, "", no_row, NULL), ROSTER_ESTORAGE);
	assert_non_null(strstr(st->errmsg(store), "inside a transaction"));
	assert_int_equal(st->put(store, "h/k", "v", 1, 0, &ver), 0);
	assert_int_equal(st->commit(store), 0);
	fx_free(fx);
}

/* check: a version compared, nothing written; the transaction's own
 * writes seen; out of turn, a failure with a message. */
static void test_check(void **state)
{
	void *store;
	fixture *fx = fx_new(state, &store);
	const roster_storage *st = ST(fx);
	uint64_t ver = 0, ver2 = 0;
	size_t rows = 0;

	assert_true(st->version >= 2 && st->check);
	assert_int_equal(st->check(store, "h/k", 0), ROSTER_ESTORAGE);
	assert_non_null(strstr(st->errmsg(store), "outside a transaction"));
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->put(store, "h/k", "v", 1, 0, &ver), 0);
	assert_int_equal(st->check(store, "h/k", ver), 0);
	assert_int_equal(st->commit(store), 0);
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->check(store, "h/k", ver), 0);
	assert_int_equal(st->check(store, "h/k", ver + 1), ROSTER_ECONFLICT);
	assert_int_equal(st->check(store, "h/k", 0), ROSTER_ECONFLICT);
	assert_int_equal(st->check(store, "h/none", 0), 0);
	assert_int_equal(st->check(store, "h/none", ver), ROSTER_ECONFLICT);
	assert_int_equal(st->commit(store), 0);
	/* it wrote nothing: the version stands */
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->put(store, "h/k", "w", 1, ver, &ver2), 0);
	assert_true(ver2 != ver);
	assert_int_equal(st->rollback(store), 0);
	assert_int_equal(st->scan(store, "h/", count_row, &rows), 0);
	assert_int_equal(rows, 1);
	fx_free(fx);
}

/* The built-in stores refuse NULL keys and values with a length, and
 * the transaction goes on unharmed; and calls a host makes out of turn
 * (commit or rollback outside a transaction, begin or scan inside the
 * thread's own, a scan without prefix or row) fail with a message
 * instead of unlocking a lock not held, deadlocking or crashing.
 * (The example SQLite store is the host's code and is not held to it.) */
static void test_null_arguments(void **state)
{
	void *store;
	fixture *fx = fx_new(state, &store);
	const roster_storage *st = ST(fx);
	uint64_t ver = 0;

	if (strcmp(((const backend *)*state)->name, "sqlite") == 0) {
		fx_free(fx);
		skip();
	}
	assert_int_equal(st->commit(store), ROSTER_ESTORAGE);
	assert_non_null(strstr(st->errmsg(store), "outside a transaction"));
	assert_int_equal(st->rollback(store), ROSTER_ESTORAGE);
	assert_int_equal(st->scan(store, NULL, no_row, NULL), ROSTER_ESTORAGE);
	assert_int_equal(st->scan(store, "", NULL, NULL), ROSTER_ESTORAGE);
	assert_true(strstr(st->errmsg(store), "NULL") != NULL);
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->begin(store), ROSTER_ESTORAGE);
	assert_non_null(strstr(st->errmsg(store), "inside a transaction"));
	assert_int_equal(st->scan(store, "", no_row, NULL), ROSTER_ESTORAGE);
	assert_non_null(strstr(st->errmsg(store), "inside a transaction"));
	assert_int_equal(st->put(store, NULL, "v", 1, 0, &ver), ROSTER_ESTORAGE);
	assert_int_equal(st->put(store, "k", NULL, 4, 0, &ver), ROSTER_ESTORAGE);
	assert_int_equal(st->put(store, "k", "v", 1, 0, NULL), ROSTER_ESTORAGE);
	assert_int_equal(st->remove(store, NULL, 1), ROSTER_ESTORAGE);
	assert_true(strstr(st->errmsg(store), "NULL") != NULL);
	assert_int_equal(st->put(store, "k", "v", 1, 0, &ver), 0);
	assert_int_equal(st->commit(store), 0);
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->remove(store, "k", ver), 0);
	assert_int_equal(st->commit(store), 0);
	fx_free(fx);
}

typedef struct failer {
	const roster_storage *st;
	void *store;
} failer;

static void *fail_remove(void *arg)
{
	failer *f = arg;

	assert_int_equal(f->st->remove(f->store, "k", 1), ROSTER_ESTORAGE);
	assert_non_null(strstr(f->st->errmsg(f->store), "remove"));
	return NULL;
}

/* The store holds `text` somewhere in its records. */
static void assert_store_holds(fixture *fx, void *ms, const char *text)
{
	char *dump = dump_store(ST(fx), ms);

	assert_non_null(strstr(dump, text));
	free(dump);
}

/* A store shared by the directories of several threads is unlocked
 * before a failing call's reason is read: each thread reads its own. */
static void test_errmsg_per_thread(void **state)
{
	void *store;
	fixture *fx = fx_new(state, &store);
	failer f = { ST(fx), store };
	uint64_t ver = 0;
	pthread_t t;

	if (strcmp(((const backend *)*state)->name, "sqlite") == 0) {
		fx_free(fx);
		skip();
	}
	/* no transaction open: both calls fail, each with its reason */
	assert_int_equal(f.st->put(store, "k", "v", 1, 0, &ver),
			 ROSTER_ESTORAGE);
	assert_int_equal(pthread_create(&t, NULL, fail_remove, &f), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(strstr(f.st->errmsg(store), "put"));
	assert_null(strstr(f.st->errmsg(store), "remove"));
	fx_free(fx);
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
	/* words an admin can act on, not the store's method or its path */
	assert_string_equal(roster_error_message(roster_directory_error(d2)),
			    "someone else changed these records meanwhile: "
			    "nothing was written; look again and retry");
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
	assert_store_holds(fx, ms, "second writer");
	roster_directory_free(d2);
	world_free(w);
	fx_free(fx);
}

/* A world on a store and a second connection to it, opened before the
 * first changes the admin's note. */
static world *two_connections(void **state, fixture **fx, void **ms,
			      roster_directory **d2)
{
	roster_directory_options o;
	world *w;

	*fx = fx_new(state, ms);
	o = on_store(ST(*fx), *ms);
	w = world_new(&o);
	*d2 = reopen(ST(*fx), fx_open(*fx));
	return w;
}

/* Save the admin's note through d, expecting `version` (0: none). */
static int save_note(world *w, roster_directory *d, const char *note,
		     uint64_t version)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, d), 0);
	assert_int_equal(roster_form_expect_version(f, version), 0);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, note);
	rc = roster_user_update(d, &w->as_admin, w->admin, f);
	roster_form_free(f);
	return rc;
}

/* A user's version is its record's in the store, the same through every
 * connection: a form made from it in one connection, saved after another
 * changed the user and this one refreshed, is refused (user.changed) and
 * writes nothing; made again from the new version it goes through. */
static void test_expected_version(void **state)
{
	fixture *fx;
	roster_directory *d2;
	void *ms;
	world *w = two_connections(state, &fx, &ms, &d2);
	uint64_t v;
	char *before, *after;

	v = user_version(d2, w->admin);
	assert_int_equal(user_version(w->dir, w->admin), v);
	/* the second connection shows the admin's form at v; the first
	 * changes the admin meanwhile */
	assert_int_equal(save_note(w, w->dir, "first writer", 0), 0);
	assert_true(user_version(w->dir, w->admin) != v);
	assert_int_equal(roster_directory_refresh(d2), 0);
	assert_int_equal(user_version(d2, w->admin),
			 user_version(w->dir, w->admin));
	before = dump_store(ST(fx), ms);
	assert_int_equal(save_note(w, d2, "second writer", v),
			 ROSTER_ECONFLICT);
	assert_string_equal(roster_error_rule(roster_directory_error(d2)),
			    "user.changed");
	after = dump_store(ST(fx), ms);
	assert_string_equal(before, after);
	free(after);
	/* made again from the user as the store has it now */
	assert_int_equal(save_note(w, d2, "second writer",
				   user_version(d2, w->admin)),
			 0);
	assert_store_holds(fx, ms, "second writer");
	free(before);
	roster_directory_free(d2);
	world_free(w);
	fx_free(fx);
}

/* A form made from the user's version in one connection and saved
 * through another that has not read the store since: the form is no
 * stale one (nobody changed the user since it was shown), but the
 * connection is. Refused (the connection cannot write over the store's
 * newer record), it reads the store again as a commit losing a race
 * does, so that saving the same form again goes through. */
static void test_expected_version_stale_handle(void **state)
{
	fixture *fx;
	roster_directory *d2;
	void *ms;
	world *w = two_connections(state, &fx, &ms, &d2);
	uint64_t v;

	assert_int_equal(save_note(w, w->dir, "first writer", 0), 0);
	/* the form is shown from the first connection, at the new version */
	v = user_version(w->dir, w->admin);
	assert_true(v != user_version(d2, w->admin));
	/* and saved through the second, which read the store before */
	assert_int_equal(save_note(w, d2, "second writer", v), ROSTER_ECONFLICT);
	/* the second connection now has the store's version */
	assert_int_equal(user_version(d2, w->admin), v);
	assert_int_equal(save_note(w, d2, "second writer", v), 0);
	assert_store_holds(fx, ms, "second writer");
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

/* Licences, stations and product licences in one transaction. */
static int licence_transaction(world *w)
{
	static const char *const lic[] = { "video" };
	roster_form *f = NULL;
	roster_id id;
	int rc;

	if ((rc = roster_transaction_begin(w->dir)))
		return rc;
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, NULL, lic, 1),
			 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 2), 0);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 1), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "L");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "V");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "lv@acme.example");
	roster_form_set_str(f, ROSTER_FIELD_LICENCE, "video");
	roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "basic");
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin,
					    w->account, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       &id, 1, NULL), 0);
	return roster_transaction_commit(w->dir);
}

static void faults_with(void **state, int (*txn)(world *w), const char *what);

static void test_faults_at_every_call(void **state)
{
	faults_with(state, big_transaction, "users");
}

static void test_faults_licences(void **state)
{
	faults_with(state, licence_transaction, "licences and inventory");
}

static void faults_with(void **state, int (*txn)(world *w), const char *what)
{
	static const int codes[] = { ROSTER_ESTORAGE, ROSTER_ECONFLICT };
	long n, retried;
	size_t k;

	for (k = 0; k < 2; k++) {
		retried = 0;
		for (n = 1;; n++) {
			faulty fs = { NULL, NULL, 0, 0, codes[k] };
			fixture *fx = fx_new(state, &fs.store);
			roster_directory_options o;
			world *w;
			char *mem_before, *store_before, *raw_before;
			char *mem_after, *store_after, *raw_after;
			int rc, injected;

			fs.st = ST(fx);
			o = on_store(&faulty_methods, &fs);
			w = world_new(&o);
			mem_before = snapshot_take(w->dir);
			store_before = dump_store(ST(fx), fs.store);
			raw_before = raw_store(ST(fx), fs.store);
			world_events_clear(w);
			fs.calls = 0;
			fs.fail_at = n;
			rc = txn(w);
			injected = fs.calls >= n;
			fs.fail_at = 0;
			mem_after = snapshot_take(w->dir);
			store_after = dump_store(ST(fx), fs.store);
			if (rc == ROSTER_OK) {
				/* all of it landed: past the last callback, or
				 * a conflict on the event numbers alone, which
				 * the commit resolved by numbering again */
				snapshot_assert_equal(mem_after, store_after,
						      "committed");
				assert_true(w->nevents > 0);
				if (injected) {
					assert_int_equal(codes[k],
							 ROSTER_ECONFLICT);
					retried++;
				}
			} else {
				assert_true(rc == codes[k] || rc == ROSTER_ESTORAGE);
				assert_true(strlen(roster_error_field(
						    roster_directory_error(w->dir))) > 0);
				assert_string_equal(
					roster_error_value(
						roster_directory_error(w->dir)),
					"injected failure");
				assert_int_equal(roster_transaction_active(w->dir), 0);
				assert_int_equal(w->nevents, 0);
				snapshot_assert_equal(mem_before, mem_after, "memory");
				snapshot_assert_equal(store_before, store_after,
						      "store");
				/* byte for byte, the outbox included */
				raw_after = raw_store(ST(fx), fs.store);
				snapshot_assert_equal(raw_before, raw_after, "raw");
				free(raw_after);
			}
			free(mem_before);
			free(mem_after);
			free(store_before);
			free(store_after);
			free(raw_before);
			world_free(w);
			fx_free(fx);
			if (!injected)
				break;
			assert_true(n < 200);
		}
		/* begin, 5 puts (3 users, the admin, the counters), a remove,
		 * the events and their counter, commit */
		print_message("%s: %s: %s: failed each of %ld storage calls in "
			      "turn (%ld resolved by numbering the events "
			      "again)\n",
			      ((const backend *)*state)->name, what,
			      codes[k] == ROSTER_ECONFLICT ? "conflict" : "failure",
			      n - 1, retried);
		assert_true(n - 1 >= 7);
		if (codes[k] == ROSTER_ECONFLICT)
			assert_true(retried > 0);
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
	/* roster's own key spaces, r/ and o/, in another shape: a record or
	 * an event that would be missed, so the store is refused */
	{
		static const char *const bad[] = {
			"r/000000000000002A", "r/2a", "r/0000000000000000",
			"r/000000000000002a0", "o/0000000000000000", "o/x" };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			fx = fx_new(state, &ms);
			o.store = ms;
			assert_int_equal(put_raw(fx, ms, bad[i], junk,
						 sizeof(junk)),
					 0);
			assert_int_equal(roster_directory_open(&d, &o),
					 ROSTER_EPARSE);
			assert_string_equal(
				roster_error_rule(roster_error_last()),
				"storage.malformed");
			fx_free(fx);
		}
	}
}

/* Rewrite the stored bytes `from` (once) in record `id` to `to`, of the
 * same length, behind the directories' backs. */
typedef struct rawrec {
	char key[32];
	unsigned char *value;
	size_t len;
	uint64_t version;
} rawrec;

static int get_row(const char *key, const void *value, size_t len,
		   uint64_t version, void *data)
{
	rawrec *r = data;

	if (strcmp(key, r->key) != 0)
		return 0;
	r->value = malloc(len ? len : 1);
	assert_non_null(r->value);
	memcpy(r->value, value, len);
	r->len = len;
	r->version = version;
	return 0;
}

static void patch_record(fixture *fx, void *store, roster_id id,
			 const char *from, const char *to)
{
	const roster_storage *st = ST(fx);
	rawrec r;
	size_t n = strlen(from), i;
	uint64_t ver;

	memset(&r, 0, sizeof(r));
	assert_int_equal(strlen(to), n);
	snprintf(r.key, sizeof(r.key), "r/%016llx", (unsigned long long)id);
	assert_int_equal(st->scan(store, r.key, get_row, &r), 0);
	assert_non_null(r.value);
	for (i = 0; i + n <= r.len; i++)
		if (memcmp(r.value + i, from, n) == 0)
			break;
	assert_true(i + n <= r.len);
	memcpy(r.value + i, to, n);
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->put(store, r.key, r.value, r.len, r.version, &ver), 0);
	assert_int_equal(st->commit(store), 0);
	free(r.value);
}

/* A directory that read the store before it was patched refuses the
 * patch on refresh as an open does, naming the same rule and fault, and
 * shows what it showed before. Frees `d`. */
static void refresh_refused(roster_directory *d, const char *before,
			    const char *rule, const char *why)
{
	const roster_error *e = roster_directory_error(d);
	char *after;

	assert_int_equal(roster_directory_refresh(d), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(e), rule);
	if (!strstr(roster_error_value(e), why))
		fail_msg("refresh: \"%s\" does not say \"%s\"",
			 roster_error_value(e), why);
	after = snapshot_take(d);
	snapshot_assert_equal(before, after, "refused refresh");
	free(after);
	roster_directory_free(d);
}

/* An open of the store is refused (ROSTER_EPARSE) with `rule` and a value
 * holding `why` (either NULL: any); so is a refresh of `d`, which read
 * the store before, with the same rule and value, and which shows
 * `before` still. Frees `d`. */
static void refused_as_open(roster_directory *d,
			    const roster_directory_options *o,
			    const char *before, const char *rule,
			    const char *why)
{
	roster_directory *d2 = NULL;
	char opened[64], value[256];

	assert_int_equal(roster_directory_open(&d2, o), ROSTER_EPARSE);
	assert_null(d2);
	snprintf(opened, sizeof(opened), "%s",
		 roster_error_rule(roster_error_last()));
	snprintf(value, sizeof(value), "%s",
		 roster_error_value(roster_error_last()));
	if (rule)
		assert_string_equal(opened, rule);
	if (why && !strstr(value, why))
		fail_msg("open: \"%s\" does not say \"%s\"", value, why);
	refresh_refused(d, before, opened, value);
}

/* Records that decode but that the API could never have written are
 * refused on open and on refresh, naming the key, the field and the rule. */
static void test_invalid_records(void **state)
{
	static const struct {
		int user; /* else the site */
		const char *from, *to, *rule, *why;
	} cases[] = {
		{ 1, "zoe@acme.example", "zoe@acme example", "storage.malformed",
		  "email: email.syntax" },
		{ 1, "zoe@acme.example", " oe@acme.example", "storage.malformed",
		  "email: not in normal form" },
		{ 1, "+33123456789", "+3312345678a", "storage.malformed",
		  "lines: +3312345678a" },
		{ 1, "+33123456789", "+33987654321", "storage.malformed",
		  "lines: +33987654321" }, /* the same line twice */
		{ 1, "321", "32a", "storage.malformed",
		  "extension: extension.digits" },
		{ 1, "Zoe", "Z\x01" "e", "storage.malformed",
		  "first_name: text.control" },
		{ 0, "Nice1", "Ni\x7f" "e1", "storage.malformed",
		  "name not valid" },
		{ 0, "Nice1", " ice1", "storage.malformed",
		  "name: not in normal form" },
		{ 0, "Nice1", "NICE2", "storage.inconsistent", "name.unique" },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		fixture *fx;
		void *ms;
		roster_directory_options o;
		roster_directory *d = NULL;
		roster_form *f = NULL;
		roster_id user, site, site2;
		const char *lines[] = { "+33123456789", "+33987654321" };
		char *before;
		world *w;

		fx = fx_new(state, &ms);
		o = on_store(ST(fx), ms);
		w = world_new(&o);
		assert_int_equal(roster_site_create(&site, w->dir, &w->as_partner,
						    w->account, "Nice1"), 0);
		assert_int_equal(roster_site_create(&site2, w->dir,
						    &w->as_partner, w->account,
						    "Nice2"), 0);
		assert_int_equal(roster_form_new(&f, w->dir), 0);
		roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Zoe");
		roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Lefort");
		roster_form_set_str(f, ROSTER_FIELD_EMAIL, "zoe@acme.example");
		roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
		roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "321");
		roster_form_set_lines(f, lines, 2);
		assert_int_equal(roster_user_create(&user, w->dir, &w->as_admin,
						    w->account, f), 0);
		roster_form_free(f);
		/* untouched, it opens */
		assert_int_equal(roster_directory_open(&d, &o), 0);
		before = snapshot_take(d);
		patch_record(fx, ms, cases[k].user ? user : site, cases[k].from,
			     cases[k].to);
		refused_as_open(d, &o, before, cases[k].rule, cases[k].why);
		free(before);
		world_free(w);
		fx_free(fx);
	}
}

/* A user holding a pack or product its site or account never bought
 * (the user's record or the unit's patched): more in use than purchased,
 * refused on open and on refresh. */
static void test_in_use_inconsistent(void **state)
{
	static const struct {
		int unit; /* 0 the user, 1 its site, 2 its account */
		const char *from, *to, *why;
	} cases[] = {
		{ 0, "basic", "xasic", "stations" },
		{ 0, "meetings", "meetingx", "products" },
		{ 1, "basic", "xasic", "stations" },
		{ 2, "meetings", "meetingx", "products" },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		fixture *fx;
		void *ms;
		roster_directory_options o;
		roster_directory *d = NULL;
		roster_form *f = NULL;
		roster_id u;
		char *before;
		world *w;

		fx = fx_new(state, &ms);
		o = on_store(ST(fx), ms);
		w = world_new(&o);
		assert_int_equal(roster_station_order(w->dir, &w->as_partner,
						      w->site, "basic", 1), 0);
		assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
							 w->account, "meetings",
							 1), 0);
		assert_int_equal(roster_form_new(&f, w->dir), 0);
		roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "In");
		roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Use");
		roster_form_set_str(f, ROSTER_FIELD_EMAIL, "in@acme.example");
		roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
		roster_form_set_str(f, ROSTER_FIELD_PACK, "basic");
		assert_int_equal(roster_user_create(&u, w->dir, &w->as_admin,
						    w->account, f), 0);
		roster_form_free(f);
		assert_int_equal(roster_product_assign(w->dir, &w->as_admin,
						       "meetings", &u, 1, NULL),
				 0);
		assert_int_equal(roster_directory_open(&d, &o), 0);
		before = snapshot_take(d);
		patch_record(fx, ms,
			     cases[k].unit == 0   ? u
			     : cases[k].unit == 1 ? w->site
						  : w->account,
			     cases[k].from, cases[k].to);
		refused_as_open(d, &o, before, "storage.inconsistent",
				cases[k].why);
		free(before);
		world_free(w);
		fx_free(fx);
	}
}

/* A unit appearing in the store under a parent that does not exist, or
 * vanishing while a user is still at it, behind the back of a directory
 * that read the store before: refused on refresh as on open. */
/* A user "<first> Lefort" of the world's account with a login, and an
 * extension on its PBX, a line and a site when given. Returns its id. */
static roster_id lefort(world *w, const char *first, const char *email,
			const char *ext, const char *line, roster_id site)
{
	roster_form *f = NULL;
	roster_id id;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, first);
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Lefort");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
	if (ext) {
		roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
		roster_form_set_str(f, ROSTER_FIELD_EXTENSION, ext);
	}
	if (line)
		roster_form_set_lines(f, &line, 1);
	if (site)
		roster_form_set_ref(f, ROSTER_FIELD_SITE, site);
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin,
					    w->account, f), 0);
	roster_form_free(f);
	return id;
}

static void test_units_inconsistent(void **state)
{
	/* an account whose partner (9) does not exist */
	static const unsigned char orphan[] = { 1, 2, 1, 8, 7, 0, 0, 0, 0, 0, 0, 0,
						2, 8, 9, 0, 0, 0, 0, 0, 0, 0,
						3, 1, 'A' };
	const roster_storage *st;
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d = NULL;
	char *before, key[32];
	rawrec r;
	world *w;

	/* the orphan, in an empty store */
	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
	assert_int_equal(roster_directory_open(&d, &o), 0);
	before = snapshot_take(d);
	assert_int_equal(put_raw(fx, ms, "r/0000000000000007", orphan,
				 sizeof(orphan)), 0);
	refused_as_open(d, &o, before, NULL, NULL);
	free(before);
	fx_free(fx);

	/* the site of a user, removed */
	fx = fx_new(state, &ms);
	st = ST(fx);
	o = on_store(st, ms);
	w = world_new(&o);
	lefort(w, "Zoe", "zoe@acme.example", NULL, NULL, w->site);
	d = NULL;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	before = snapshot_take(d);
	snprintf(key, sizeof(key), "r/%016llx", (unsigned long long)w->site);
	memset(&r, 0, sizeof(r));
	snprintf(r.key, sizeof(r.key), "%s", key);
	assert_int_equal(st->scan(ms, key, get_row, &r), 0);
	assert_non_null(r.value);
	free(r.value);
	assert_int_equal(st->begin(ms), 0);
	assert_int_equal(st->remove(ms, key, r.version), 0);
	assert_int_equal(st->commit(ms), 0);
	refused_as_open(d, &o, before, NULL, NULL);
	free(before);
	world_free(w);
	fx_free(fx);
}

/* A PBX whose digit rules no longer admit its users' extensions (no call
 * changes them: only a store can): refused by a refresh as by an open. */
static void test_pbx_digits_inconsistent(void **state)
{
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d = NULL;
	char *before;
	world *w;

	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
	w = world_new(&o); /* its PBX: 3 to 4 digits */
	lefort(w, "Zoe", "zoe@acme.example", "321", NULL, 0);
	assert_int_equal(roster_directory_open(&d, &o), 0);
	before = snapshot_take(d);
	patch_record(fx, ms, w->pbx, "\x03\x04", "\x04\x04");
	refused_as_open(d, &o, before, NULL, "extension.digits");
	free(before);
	world_free(w);
	fx_free(fx);
}

/* A user given another's login, line or extension behind the back of a
 * directory that read the store before: its refresh refuses the store as
 * an open does, and it shows what it showed. */
static void test_unique_keys_inconsistent(void **state)
{
	static const struct {
		const char *from, *to;
	} cases[] = {
		{ "max@acme.example", "zoe@acme.example" },
		{ "+33123450000", "+33123456789" },
		{ "322", "321" },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		fixture *fx;
		void *ms;
		roster_directory_options o;
		roster_directory *d = NULL;
		roster_id max;
		char *before;
		world *w;

		fx = fx_new(state, &ms);
		o = on_store(ST(fx), ms);
		w = world_new(&o);
		lefort(w, "Zoe", "zoe@acme.example", "321", "+33123456789", 0);
		max = lefort(w, "Max", "max@acme.example", "322", "+33123450000",
			     0);
		assert_int_equal(roster_directory_open(&d, &o), 0);
		before = snapshot_take(d);
		patch_record(fx, ms, max, cases[k].from, cases[k].to);
		refused_as_open(d, &o, before, "storage.inconsistent", "r/");
		free(before);
		world_free(w);
		fx_free(fx);
	}
}

/* Set the event counter m/events to `next` behind the directories' backs. */
static void patch_event_counter(fixture *fx, void *store, uint64_t next)
{
	const roster_storage *st = ST(fx);
	unsigned char b[8];
	rawrec r;
	uint64_t ver;
	int i;

	memset(&r, 0, sizeof(r));
	strcpy(r.key, "m/events");
	assert_int_equal(st->scan(store, r.key, get_row, &r), 0);
	assert_non_null(r.value);
	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(next >> (8 * i));
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->put(store, r.key, b, 8, r.version, &ver), 0);
	assert_int_equal(st->commit(store), 0);
	free(r.value);
}

/* The event counter set back below the outbox's entries, with a user
 * renamed or not: a refresh refuses the store as an open does, naming
 * the entry, and the directory shows what it showed. */
static void test_event_counter_inconsistent(void **state)
{
	int renamed;

	for (renamed = 0; renamed < 2; renamed++) {
		fixture *fx;
		void *ms;
		roster_directory_options o;
		roster_directory *d = NULL;
		roster_form *f = NULL;
		char *before;
		world *w;

		fx = fx_new(state, &ms);
		o = on_store(ST(fx), ms);
		w = world_new(&o);
		assert_int_equal(roster_directory_open(&d, &o), 0);
		before = snapshot_take(d);
		if (renamed) {
			assert_int_equal(roster_form_new(&f, w->dir), 0);
			roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Other");
			assert_int_equal(roster_user_update(w->dir, &w->as_admin,
							    w->admin, f),
					 0);
			roster_form_free(f);
			/* d reads the rename, then the counter goes back */
			assert_int_equal(roster_directory_refresh(d), 0);
			free(before);
			before = snapshot_take(d);
		}
		/* the world's commits left their events in the outbox */
		patch_event_counter(fx, ms, 1);
		refused_as_open(d, &o, before, "storage.inconsistent", "o/");
		free(before);
		world_free(w);
		fx_free(fx);
	}
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

/* A scan that fails after an earlier call failed with the same code is
 * reported as the scan's failure, not taken for one its rows recorded:
 * the directory's error names the scan, not the earlier put. */
static void test_scan_failure_after_failure(void **state)
{
	faulty fs = { NULL, NULL, 0, 0, ROSTER_ESTORAGE };
	fixture *fx = fx_new(state, &fs.store);
	roster_directory_options o;
	roster_id id = 0;
	size_t n = 0;
	world *w;

	fs.st = ST(fx);
	o = on_store(&faulty_methods, &fs);
	w = world_new(&o);
	fs.calls = 0;
	fs.fail_at = 2; /* begin, then the first put */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Put", "Fails",
				    "put.fails@acme.example", 0, &id),
			 ROSTER_ESTORAGE);
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "put");
	fs.calls = 0;
	fs.fail_at = 1; /* the replay's scan of the outbox */
	assert_int_equal(roster_outbox_replay(w->dir, 0, &n), ROSTER_ESTORAGE);
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "scan");
	assert_string_equal(roster_error_value(roster_directory_error(w->dir)),
			    "injected failure");
	/* and a replay that succeeds leaves the last failure as it was */
	fs.fail_at = 0;
	assert_int_equal(roster_outbox_replay(w->dir, 0, &n), 0);
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "scan");
	world_free(w);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* The outbox                                                          */

typedef struct replayed {
	rec_event ev[64];
	int replayed[64], withheld[64];
	size_t n;
} replayed;

static void replay_cb(const roster_event *e, void *data)
{
	replayed *r = data;
	rec_event *x;
	const char *email = roster_event_email(e);

	assert_true(r->n < 64);
	x = &r->ev[r->n];
	memset(x, 0, sizeof(*x));
	x->type = roster_event_type_of(e);
	x->seq = roster_event_seq(e);
	x->partner = roster_event_partner(e);
	x->account = roster_event_account(e);
	x->user = roster_event_user(e);
	x->pbx = roster_event_pbx(e);
	x->admin = roster_event_admin(e);
	if (email)
		snprintf(x->email, sizeof(x->email), "%s", email);
	/* secrets are never stored, so never replayed */
	assert_null(roster_event_secret(e));
	assert_null(roster_event_password(e));
	r->replayed[r->n] = roster_event_replayed(e);
	r->withheld[r->n] = roster_event_withheld(e);
	r->n++;
}

/* A directory on the store that records what it replays. */
static roster_directory *replayer(const roster_storage *st, void *store,
				  replayed *r)
{
	roster_directory_options o = on_store(st, store);
	roster_directory *d = NULL;

	o.event_cb = replay_cb;
	o.event_data = r;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	return d;
}

static size_t replay_all(roster_directory *d, replayed *r)
{
	size_t n = 99;

	r->n = 0;
	assert_int_equal(roster_outbox_replay(d, 0, &n), 0);
	assert_int_equal(n, r->n);
	return n;
}

static void assert_same_event(const rec_event *live, const rec_event *back,
			      int withheld)
{
	assert_int_equal(back->type, live->type);
	assert_int_equal(back->seq, live->seq);
	assert_int_equal(back->partner, live->partner);
	assert_int_equal(back->account, live->account);
	assert_int_equal(back->user, live->user);
	assert_int_equal(back->pbx, live->pbx);
	assert_int_equal(back->admin, live->admin);
	assert_string_equal(back->email, live->email);
	assert_int_equal(withheld, (*live->secret ? ROSTER_WITHHELD_SECRET : 0) |
					   (*live->password ? ROSTER_WITHHELD_PASSWORD
							    : 0));
}

static void test_outbox_replay_ack(void **state)
{
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d2;
	replayed *r = calloc(1, sizeof(*r));
	roster_form *f = NULL;
	roster_id user;
	size_t i, n, acked;
	uint64_t first;
	char *before, *after;
	world *w;

	assert_non_null(r);
	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
	w = world_new(&o);
	d2 = replayer(ST(fx), fx_open(fx), r);
	/* everything the world's setup raised is there, numbered 1, 2, ... */
	n = replay_all(d2, r);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(r->ev[i].seq, i + 1);
		assert_int_equal(r->replayed[i], 1);
	}
	assert_int_equal(roster_outbox_ack(d2, 1, n, &acked), 0);
	assert_int_equal(acked, n);
	assert_int_equal(replay_all(d2, r), 0);

	/* a creation with its welcome e-mail, a role change, a PBX reload */
	world_events_clear(w);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Eva");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Nováková");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "eva@acme.example");
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "404");
	assert_int_equal(roster_form_generate_password(f), 0);
	assert_int_equal(roster_user_create(&user, w->dir, &w->as_admin,
					    w->account, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_welcome_send(w->dir, &w->as_admin, w->account,
					     &user, 1), 0);
	assert_true(w->nevents >= 3);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 1);
	/* one for the generated password, one sent again */
	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 2);
	n = replay_all(d2, r);
	assert_int_equal(n, w->nevents);
	first = w->events[0].seq;
	for (i = 0; i < n; i++) {
		assert_int_equal(w->events[i].seq, first + i);
		assert_same_event(&w->events[i], &r->ev[i], r->withheld[i]);
	}
	assert_int_equal(r->withheld[n - 1], ROSTER_WITHHELD_SECRET);

	/* at most max, oldest first */
	r->n = 0;
	assert_int_equal(roster_outbox_replay(d2, 1, &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(r->ev[0].seq, first);
	/* acknowledging one, then again: harmless */
	assert_int_equal(roster_outbox_ack(d2, first, first, &acked), 0);
	assert_int_equal(acked, 1);
	assert_int_equal(roster_outbox_ack(d2, first, first, &acked), 0);
	assert_int_equal(acked, 0);
	assert_int_equal(replay_all(d2, r), n - 1);
	assert_int_equal(r->ev[0].seq, first + 1);

	/* a failed call and a rolled-back transaction write no event */
	before = raw_store(ST(fx), ms);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "eva@acme.example", 0, &user),
			 ROSTER_EEXISTS);
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "ab@acme.example", 0, &user), 0);
	assert_int_equal(roster_transaction_rollback(w->dir), 0);
	after = raw_store(ST(fx), ms);
	snapshot_assert_equal(before, after, "outbox after failures");
	free(before);
	free(after);

	/* acknowledging everything empties it; nothing else is touched */
	before = dump_store(ST(fx), ms);
	assert_int_equal(roster_outbox_ack(d2, 0, UINT64_MAX, &acked), 0);
	assert_int_equal(acked, n - 1);
	assert_int_equal(replay_all(d2, r), 0);
	after = dump_store(ST(fx), ms);
	snapshot_assert_equal(before, after, "records after ack");
	free(before);
	free(after);
	/* and numbering goes on after the last, never reusing a number */
	world_events_clear(w);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "C", "D",
				    "cd@acme.example", 0, &user), 0);
	assert_true(w->events[0].seq > first + n - 1);

	roster_directory_free(d2);
	world_free(w);
	fx_free(fx);
	free(r);
}

/* Two directories commit changes to different users, each having read
 * the store before the other's commit: both succeed (their events are
 * numbered again, not refused), and the numbers are unique and in commit
 * order across both. */
/* A store that hands over the rows of a scan newest write first (the
 * interface allows any order; the built-in stores give the oldest
 * first), to check what depends on order. */
typedef struct reversed {
	const roster_storage *st;
	void *store;
} reversed;

typedef struct kept_row {
	char *key;
	void *value;
	size_t len;
	uint64_t version;
} kept_row;

typedef struct kept_rows {
	kept_row *v;
	size_t n, cap;
} kept_rows;

static int keep_row(const char *key, const void *value, size_t len,
		    uint64_t version, void *data)
{
	kept_rows *k = data;
	kept_row *r;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		k->v = realloc(k->v, k->cap * sizeof(*k->v));
		assert_non_null(k->v);
	}
	r = &k->v[k->n++];
	r->key = strdup(key);
	r->value = malloc(len ? len : 1);
	assert_true(r->key && r->value);
	memcpy(r->value, value, len);
	r->len = len;
	r->version = version;
	return 0;
}

static int rv_begin(void *s)
{
	reversed *r = s;
	return r->st->begin(r->store);
}

static int rv_commit(void *s)
{
	reversed *r = s;
	return r->st->commit(r->store);
}

static int rv_rollback(void *s)
{
	reversed *r = s;
	return r->st->rollback(r->store);
}

static int rv_put(void *s, const char *k, const void *v, size_t n, uint64_t e,
		  uint64_t *out)
{
	reversed *r = s;
	return r->st->put(r->store, k, v, n, e, out);
}

static int rv_remove(void *s, const char *k, uint64_t e)
{
	reversed *r = s;
	return r->st->remove(r->store, k, e);
}

static int rv_scan(void *s, const char *p, roster_storage_row_fn row, void *d)
{
	reversed *r = s;
	kept_rows k = { NULL, 0, 0 };
	size_t i;
	int rc = r->st->scan(r->store, p, keep_row, &k);

	for (i = k.n; i-- > 0 && !rc;)
		rc = row(k.v[i].key, k.v[i].value, k.v[i].len, k.v[i].version, d);
	for (i = 0; i < k.n; i++) {
		free(k.v[i].key);
		free(k.v[i].value);
	}
	free(k.v);
	return rc;
}

static const char *rv_errmsg(void *s)
{
	reversed *r = s;
	return r->st->errmsg(r->store);
}

static const roster_storage reversed_methods = {
	ROSTER_STORAGE_VERSION, rv_begin, rv_commit, rv_rollback, rv_put,
	rv_remove, rv_scan, rv_errmsg, NULL, NULL
};

/* Blocks of a directory's allocator live, and the most seen. */
static long blocks_live, blocks_peak;

static void *peak_malloc(size_t size, void *data)
{
	void *p = malloc(size);

	(void)data;
	if (p && ++blocks_live > blocks_peak)
		blocks_peak = blocks_live;
	return p;
}

static void *peak_realloc(void *p, size_t size, void *data)
{
	return p ? realloc(p, size) : peak_malloc(size, data);
}

static void peak_free(void *p, void *data)
{
	(void)data;
	if (p)
		blocks_live--;
	free(p);
}

/*
 * A host drains a long outbox in batches: replay at most `max`, then
 * acknowledge them. Each batch delivers the oldest events in order,
 * whatever the order of the store's scan, and holds about a batch's
 * worth of events in memory, where replaying all of them holds them all.
 */
static void test_outbox_replay_batches(void **state)
{
	reversed rv = { NULL, NULL };
	fixture *fx = fx_new(state, &rv.store);
	roster_directory_options o;
	roster_directory *d = NULL;
	replayed *r = calloc(1, sizeof(*r));
	uint64_t next = 1;
	size_t i, n, total = 0, k, acked;
	long base, all_peak;
	char email[40];
	roster_id id;
	world *w;

	assert_non_null(r);
	rv.st = ST(fx);
	o = on_store(ST(fx), rv.store);
	w = world_new(&o);
	for (i = 0; i < 20; i++) {
		snprintf(email, sizeof(email), "batch%zu@acme.example", i);
		assert_int_equal(world_user(w, &w->as_admin, w->account, "Batch",
					    "User", email, 0, &id),
				 0);
	}
	o = on_store(&reversed_methods, &rv);
	o.event_cb = replay_cb;
	o.event_data = r;
	o.malloc_fn = peak_malloc;
	o.realloc_fn = peak_realloc;
	o.free_fn = peak_free;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	/* all of it at once: every event held (most carry an e-mail) */
	base = blocks_peak = blocks_live;
	n = replay_all(d, r);
	all_peak = blocks_peak - base;
	assert_true(n > 20);
	assert_true(all_peak > 20);
	for (;;) {
		r->n = 0;
		base = blocks_peak = blocks_live;
		assert_int_equal(roster_outbox_replay(d, 3, &k), 0);
		assert_int_equal(k, r->n);
		assert_true(blocks_peak - base <= 3 + 2);
		if (!k)
			break;
		assert_true(k == 3 || total + k == n);
		for (i = 0; i < k; i++) {
			assert_int_equal(r->ev[i].seq, next + i);
			assert_int_equal(r->replayed[i], 1);
		}
		assert_int_equal(roster_outbox_ack(d, next, next + k - 1, &acked),
				 0);
		assert_int_equal(acked, k);
		next += k;
		total += k;
	}
	assert_int_equal(total, n);
	roster_directory_free(d);
	world_free(w);
	fx_free(fx);
	free(r);
}

/* A malformed entry is named by a replay that would deliver it, and by
 * no other, whatever the order the store scans in: met first by a store
 * that scans newest first, the newest entry is pushed out of a replay of
 * the oldest alone, which delivers it; a replay of all names it. */
static void test_outbox_malformed_unreached(void **state)
{
	static const unsigned char junk[] = { 1, 16, 0xFF };
	reversed rv = { NULL, NULL };
	fixture *fx = fx_new(state, &rv.store);
	roster_directory_options o;
	roster_directory *d = NULL;
	replayed *r = calloc(1, sizeof(*r));
	char key[32];
	size_t n, k = 99;
	roster_id id;
	world *w;

	assert_non_null(r);
	rv.st = ST(fx);
	o = on_store(ST(fx), rv.store);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Batch",
				    "User", "batch@acme.example", 0, &id),
			 0);
	o = on_store(&reversed_methods, &rv);
	o.event_cb = replay_cb;
	o.event_data = r;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	n = replay_all(d, r);
	assert_true(n > 1);
	/* the next entry, written after the directory was opened */
	snprintf(key, sizeof(key), "o/%016llx", (unsigned long long)(n + 1));
	assert_int_equal(put_raw(fx, rv.store, key, junk, sizeof(junk)), 0);
	r->n = 0;
	assert_int_equal(roster_outbox_replay(d, 1, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->ev[0].seq, 1);
	r->n = 0;
	assert_int_equal(roster_outbox_replay(d, n, &k), 0);
	assert_int_equal(k, n);
	assert_int_equal(r->ev[n - 1].seq, n);
	/* one more: the malformed entry is among them */
	r->n = 0;
	assert_int_equal(roster_outbox_replay(d, n + 1, &k), ROSTER_EPARSE);
	assert_int_equal(k, 0);
	assert_int_equal(r->n, 0);
	assert_string_equal(roster_error_rule(roster_directory_error(d)),
			    "storage.malformed");
	assert_non_null(strstr(roster_error_value(roster_directory_error(d)),
			       key));
	assert_int_equal(roster_outbox_replay(d, 0, NULL), ROSTER_EPARSE);
	assert_int_equal(r->n, 0);
	roster_directory_free(d);
	world_free(w);
	fx_free(fx);
	free(r);
}

static void test_outbox_two_directories(void **state)
{
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d2, *d3;
	replayed *r = calloc(1, sizeof(*r));
	roster_form *f = NULL, *g = NULL;
	roster_id user;
	size_t n, i;
	uint64_t s1, s2;
	world *w;

	assert_non_null(r);
	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "ab@acme.example", 0, &user), 0);
	d2 = reopen(ST(fx), fx_open(fx));
	d3 = replayer(ST(fx), fx_open(fx), r);
	assert_int_equal(roster_outbox_ack(d3, 0, UINT64_MAX, NULL), 0);

	world_events_clear(w);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "by the first");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, user, f), 0);
	s1 = w->events[0].seq;
	assert_int_equal(roster_form_new(&g, d2), 0);
	roster_form_set_str(g, ROSTER_FIELD_NOTE, "by the second");
	assert_int_equal(roster_user_update(d2, &w->as_admin, w->admin, g), 0);
	/* and once more each way */
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, w->admin, f),
			 ROSTER_ECONFLICT); /* that one was really stale */
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, w->admin, f), 0);
	s2 = w->events[w->nevents - 1].seq;
	assert_int_equal(roster_user_update(d2, &w->as_admin, user, g),
			 ROSTER_ECONFLICT);
	assert_int_equal(roster_user_update(d2, &w->as_admin, user, g), 0);
	roster_form_free(f);
	roster_form_free(g);

	n = replay_all(d3, r);
	assert_int_equal(n, 4);
	for (i = 1; i < n; i++)
		assert_true(r->ev[i].seq > r->ev[i - 1].seq);
	assert_int_equal(r->ev[0].seq, s1);
	assert_int_equal(r->ev[0].user, user);
	assert_int_equal(r->ev[1].user, w->admin);
	assert_int_equal(r->ev[2].seq, s2);
	assert_int_equal(r->ev[3].user, user);
	roster_directory_free(d2);
	roster_directory_free(d3);
	world_free(w);
	fx_free(fx);
	free(r);
}

static void test_outbox_malformed(void **state)
{
	static const unsigned char junk[] = { 1, 16, 0xFF };
	unsigned char two[8] = { 2 }, one[8] = { 1 };
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d = NULL;
	replayed *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	/* an entry the counter has not reached yet */
	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
	assert_int_equal(put_raw(fx, ms, "m/events", one, 8), 0);
	assert_int_equal(put_raw(fx, ms, "o/0000000000000001", junk,
				 sizeof(junk)), 0);
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "storage.inconsistent");
	assert_string_equal(roster_error_value(roster_error_last()),
			    "o/0000000000000001");
	fx_free(fx);
	/* a malformed entry is named when it is read back */
	fx = fx_new(state, &ms);
	assert_int_equal(put_raw(fx, ms, "m/events", two, 8), 0);
	assert_int_equal(put_raw(fx, ms, "o/0000000000000001", junk,
				 sizeof(junk)), 0);
	d = replayer(ST(fx), ms, r);
	assert_int_equal(roster_outbox_replay(d, 0, NULL), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_directory_error(d)),
			    "storage.malformed");
	assert_non_null(strstr(roster_error_value(roster_directory_error(d)),
			       "o/0000000000000001"));
	assert_int_equal(r->n, 0);
	/* acknowledging it needs no reading: it goes */
	assert_int_equal(roster_outbox_ack(d, 1, 1, NULL), 0);
	assert_int_equal(roster_outbox_replay(d, 0, NULL), 0);
	/* a key of another shape under o/, come after the directory was
	 * opened (which would have refused it): an event a replay would
	 * miss, so it is named, not skipped */
	assert_int_equal(put_raw(fx, ms, "o/000000000000000G", junk,
				 sizeof(junk)), 0);
	assert_int_equal(roster_outbox_replay(d, 0, NULL), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_directory_error(d)),
			    "storage.malformed");
	assert_non_null(strstr(roster_error_value(roster_directory_error(d)),
			       "o/000000000000000G"));
	assert_int_equal(r->n, 0);
	roster_directory_free(d);
	fx_free(fx);
	free(r);
}

static void test_no_outbox(void **state)
{
	fixture *fx;
	void *ms;
	roster_directory_options o;
	roster_directory *d = NULL;
	roster_id id;
	char *raw;
	world *w;

	fx = fx_new(state, &ms);
	o = on_store(ST(fx), ms);
	o.flags = 4;
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_EINVAL);
	assert_string_equal(roster_error_field(roster_error_last()), "flags");
	o.flags = 0;
	o.reserved = 1;
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_EINVAL);
	assert_string_equal(roster_error_field(roster_error_last()), "reserved");
	o.reserved = 0;
	o.flags = ROSTER_DIRECTORY_NO_OUTBOX;
	w = world_new(&o);
	/* events are delivered, numbered per directory, and not stored */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "ab@acme.example", 0, &id), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "C", "D",
				    "cd@acme.example", 0, &id), 0);
	assert_true(w->nevents >= 2);
	assert_int_equal(w->events[w->nevents - 1].seq,
			 w->events[w->nevents - 2].seq + 1);
	raw = raw_store(ST(fx), ms);
	assert_null(strstr(raw, "o/"));
	assert_null(strstr(raw, "m/events"));
	free(raw);
	world_free(w);
	fx_free(fx);
}

/* Keys under a prefix, as a scan gives them, sorted and joined. */
static int key_row(const char *key, const void *value, size_t len,
		   uint64_t version, void *data)
{
	char *out = data;

	(void)value;
	(void)len;
	(void)version;
	strcat(out, key);
	strcat(out, " ");
	return 0;
}

static void scan_keys(const roster_storage *st, void *store,
		      const char *prefix, char *out)
{
	char buf[512], *k[32], *p;
	size_t n = 0, i;

	buf[0] = '\0';
	assert_int_equal(st->scan(store, prefix, key_row, buf), 0);
	for (p = strtok(buf, " "); p; p = strtok(NULL, " "))
		k[n++] = p;
	qsort(k, n, sizeof(*k), cmp_line);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(out, k[i]);
		strcat(out, i + 1 < n ? "," : "");
	}
}

/* A scan gives exactly the keys that begin with its prefix: in a key
 * space or not, a part of a key, a whole key, one that ends with the
 * highest printable byte, one no key begins with. */
static void test_scan_prefixes(void **state)
{
	static const char *const keys[] = {
		"a", "ab", "abc", "ab~", "ab~x", "ac", "b", "o/1", "o/10",
		"o/2", "o0", "p", "p/~", "p/~~", "u/a/b", "~",
	};
	static const struct { const char *prefix, *want; } cases[] = {
		{ "a", "a,ab,abc,ab~,ab~x,ac" },
		{ "ab", "ab,abc,ab~,ab~x" },
		{ "ab~", "ab~,ab~x" },
		{ "abc", "abc" },
		{ "o/", "o/1,o/10,o/2" },
		{ "o/1", "o/1,o/10" },
		{ "o", "o/1,o/10,o/2,o0" },
		{ "p/~", "p/~,p/~~" },
		{ "u/a", "u/a/b" },
		{ "~", "~" },
		{ "z", "" },
		{ "q/", "" },
	};
	void *store;
	fixture *fx = fx_new(state, &store);
	const roster_storage *st = ST(fx);
	char got[512];
	uint64_t ver;
	size_t i;

	assert_int_equal(st->begin(store), 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_int_equal(st->put(store, keys[i], "v", 1, 0, &ver), 0);
	assert_int_equal(st->commit(store), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scan_keys(st, store, cases[i].prefix, got);
		if (strcmp(got, cases[i].want))
			fail_msg("scan \"%s\": %s, not %s", cases[i].prefix,
				 got, cases[i].want);
	}
	scan_keys(st, store, "", got);
	assert_string_equal(got, "a,ab,abc,ab~,ab~x,ac,b,o/1,o/10,o/2,o0,p,"
				 "p/~,p/~~,u/a/b,~");
	fx_free(fx);
}

int main(void)
{
	/* each once per backend, named "backend: test" */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_expected_version),
		cmocka_unit_test(test_expected_version_stale_handle),
		cmocka_unit_test(test_large_write_set),
		cmocka_unit_test(test_scan_prefixes),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_sqlite_reentry),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_errmsg_per_thread),
		cmocka_unit_test(test_faults_at_every_call),
		cmocka_unit_test(test_faults_licences),
		cmocka_unit_test(test_malformed_store),
		cmocka_unit_test(test_scan_failure_on_open),
		cmocka_unit_test(test_scan_failure_after_failure),
		cmocka_unit_test(test_invalid_records),
		cmocka_unit_test(test_in_use_inconsistent),
		cmocka_unit_test(test_unique_keys_inconsistent),
		cmocka_unit_test(test_pbx_digits_inconsistent),
		cmocka_unit_test(test_units_inconsistent),
		cmocka_unit_test(test_event_counter_inconsistent),
		cmocka_unit_test(test_outbox_replay_ack),
		cmocka_unit_test(test_outbox_two_directories),
		cmocka_unit_test(test_outbox_replay_batches),
		cmocka_unit_test(test_outbox_malformed_unreached),
		cmocka_unit_test(test_outbox_malformed),
		cmocka_unit_test(test_no_outbox),
	};

	return store_run_per_backend("storage/contract", tests,
				     sizeof(tests) / sizeof(tests[0]));
}
