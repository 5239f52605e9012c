/*
 * misbehaving.c: a store whose scan breaks the storage contract
 * (roster/sys/storage.h) gets a clear error and leaves the directory as
 * it was, never a crash nor a directory half read: a scan that goes on
 * after its row callback stopped it, hands a NULL value of some length,
 * returns a result of its own outside the documented set (a positive
 * one), or hands a key twice. And a scan that fails is reported as the
 * scan's failure, not as an earlier call's.
 *
 * Every test runs once per backend, the misbehaving store wrapping it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"
#include "stores.h"

enum {
	WELL = 0,
	GO_ON,	    /* calls every row, whatever the row returned; 0 */
	NULL_VALUE, /* hands record values as NULL, their lengths kept */
	RETURN_ONE, /* calls every row, then returns 1 */
	TWICE,	    /* hands each key twice */
	TWICE_ONE,  /* hands the key `twice` twice */
	STALE_FIRST, /* hands each record as the last scan of "" saw it
		      * (at its version now), then as it is */
	ZERO,	    /* hands record rows at version 0 ("absent") */
	FAIL,	    /* fails at once, ROSTER_ESTORAGE */
	CONFLICT    /* fails at once, ROSTER_ECONFLICT (not a scan's) */
};

/* The records a scan of "" saw (STALE_FIRST). */
#define SEEN_MAX 64
typedef struct seen_row {
	char key[32];
	unsigned char value[512];
	size_t len;
} seen_row;

/* A store that forwards to a backend's store; its scan misbehaves in
 * `mode` on scans of `prefix` (NULL: every scan). */
typedef struct wrap {
	const roster_storage *st;
	void *store;
	int mode;
	const char *prefix;
	char twice[32]; /* TWICE_ONE */
	int fail_put;
	int begin_conflict; /* begin fails, ROSTER_ECONFLICT (not its) */
	const char *zero_key; /* its put succeeds answering version 0 */
	const char *unset_key; /* its put succeeds setting no version */
	roster_directory *reenter; /* errmsg calls into it, then frees it */
	int reentered;		   /* what that call returned */
	roster_storage_row_fn row; /* of the scan under way */
	void *data;
	seen_row seen[SEEN_MAX];
	size_t nseen;
} wrap;

/* Keep the rows of a scan of "" (to hand them again, stale). */
static int w_keep(const char *k, const void *v, size_t n, uint64_t ver,
		  void *d)
{
	wrap *w = d;
	seen_row *r;

	if (strncmp(k, "r/", 2) == 0 && n <= sizeof(r->value)) {
		assert_true(w->nseen < SEEN_MAX);
		r = &w->seen[w->nseen++];
		snprintf(r->key, sizeof(r->key), "%s", k);
		memcpy(r->value, v, n);
		r->len = n;
	}
	return w->row(k, v, n, ver, w->data);
}

static int w_row(const char *k, const void *v, size_t n, uint64_t ver,
		 void *d)
{
	wrap *w = d;
	int rc;

	if (w->mode == NULL_VALUE && strncmp(k, "r/", 2) == 0)
		return w->row(k, NULL, n, ver, w->data);
	if (w->mode == ZERO && strncmp(k, "r/", 2) == 0)
		return w->row(k, v, n, 0, w->data);
	if (w->mode == STALE_FIRST) {
		size_t i;
		for (i = 0; i < w->nseen; i++)
			if (strcmp(w->seen[i].key, k) == 0 &&
			    (rc = w->row(k, w->seen[i].value, w->seen[i].len,
					 ver, w->data)))
				return rc;
	}
	rc = w->row(k, v, n, ver, w->data);
	if ((w->mode == TWICE || (w->mode == TWICE_ONE &&
				  strcmp(k, w->twice) == 0)) &&
	    rc == 0)
		rc = w->row(k, v, n, ver, w->data);
	return w->mode == GO_ON || w->mode == RETURN_ONE ? 0 : rc;
}

static int w_begin(void *s)
{
	wrap *w = s;
	return w->begin_conflict ? ROSTER_ECONFLICT : w->st->begin(w->store);
}

static int w_commit(void *s)
{
	wrap *w = s;
	return w->st->commit(w->store);
}

static int w_rollback(void *s)
{
	wrap *w = s;
	return w->st->rollback(w->store);
}

static int w_put(void *s, const char *k, const void *v, size_t n, uint64_t e,
		 uint64_t *out)
{
	wrap *w = s;
	int rc;

	if (w->fail_put)
		return ROSTER_ESTORAGE;
	if (w->unset_key && strcmp(k, w->unset_key) == 0) {
		uint64_t ignored;

		return w->st->put(w->store, k, v, n, e, &ignored);
	}
	rc = w->st->put(w->store, k, v, n, e, out);
	if (!rc && ((w->mode == ZERO && strncmp(k, "r/", 2) == 0) ||
		    (w->zero_key && strcmp(k, w->zero_key) == 0)))
		*out = 0;
	return rc;
}

static int w_remove(void *s, const char *k, uint64_t e)
{
	wrap *w = s;
	return w->st->remove(w->store, k, e);
}

static int w_scan(void *s, const char *p, roster_storage_row_fn row, void *d)
{
	wrap *w = s;
	int rc;

	if (w->mode == WELL && !*p) {
		w->row = row;
		w->data = d;
		w->nseen = 0;
		return w->st->scan(w->store, p, w_keep, w);
	}
	if (w->mode == WELL || (w->prefix && strcmp(p, w->prefix) != 0))
		return w->st->scan(w->store, p, row, d);
	if (w->mode == FAIL)
		return ROSTER_ESTORAGE;
	if (w->mode == CONFLICT)
		return ROSTER_ECONFLICT;
	w->row = row;
	w->data = d;
	rc = w->st->scan(w->store, p, w_row, w);
	return w->mode == RETURN_ONE ? 1 : rc;
}

static const char *w_errmsg(void *s)
{
	wrap *w = s;

	if (w->reenter) {
		roster_actor sys;
		roster_id p = 0;

		roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
		w->reentered = roster_partner_create(&p, w->reenter, &sys,
						     "From errmsg");
		roster_directory_free(w->reenter); /* refused: in use */
	}
	return w->fail_put ? "disk full" : "scan gone wrong";
}

static const roster_storage wrap_methods = {
	ROSTER_STORAGE_VERSION, w_begin, w_commit, w_rollback, w_put,
	w_remove, w_scan, w_errmsg, NULL, NULL
};

/* A world on the wrapped store of a new fixture, and a second directory
 * on it (its own handle for a file backend). */
typedef struct setup {
	fixture *fx;
	wrap w, w2;
	world *a;
	roster_directory *b;
} setup;

static void setup_new(setup *s, void **state)
{
	roster_directory_options o;

	memset(s, 0, sizeof(*s));
	s->fx = fx_new_on(*state, &s->w.store);
	s->w.st = ST(s->fx);
	o = on_store(&wrap_methods, &s->w);
	s->a = world_new(&o);
	s->w2.st = ST(s->fx);
	s->w2.store = fx_open(s->fx);
	o = on_store(&wrap_methods, &s->w2);
	assert_int_equal(roster_directory_open(&s->b, &o), 0);
}

static void setup_free(setup *s)
{
	roster_directory_free(s->b);
	world_free(s->a);
	fx_free(s->fx);
}

static roster_id new_user(setup *s, const char *email)
{
	roster_id id;

	assert_int_equal(world_user(s->a, &s->a->system, s->a->account, "Ada",
				    "Lovelace", email, 0, &id), 0);
	return id;
}

static void rename_user(setup *s, roster_id id, const char *last)
{
	roster_form *f = NULL;

	assert_int_equal(roster_form_new(&f, s->a->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, last),
			 0);
	assert_int_equal(roster_user_update(s->a->dir, &s->a->system, id, f),
			 0);
	roster_form_free(f);
}

static void assert_error(const roster_error *e, int code, const char *field,
			 const char *rule, const char *value)
{
	assert_int_equal(roster_error_code(e), code);
	assert_string_equal(roster_error_field(e), field);
	assert_string_equal(roster_error_rule(e), rule);
	if (value)
		assert_string_equal(roster_error_value(e), value);
}

/* The second directory shows what the first does. */
static void assert_as_first(setup *s)
{
	char *a = snapshot_take(s->a->dir), *b = snapshot_take(s->b);

	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* The second directory refused a refresh with (code, field, rule, value)
 * and shows what it showed before; refreshed on a store behaving, it
 * shows the first's commits. */
static void refresh_refused(setup *s, int code, const char *field,
			    const char *rule, const char *value)
{
	char *before = snapshot_take(s->b), *after;

	assert_int_equal(roster_directory_refresh(s->b), code);
	assert_error(roster_directory_error(s->b), code, field, rule, value);
	after = snapshot_take(s->b);
	assert_string_equal(before, after);
	free(before);
	free(after);
	s->w2.mode = WELL;
	assert_int_equal(roster_directory_refresh(s->b), 0);
	assert_as_first(s);
}

static void open_refused(setup *s, int code, const char *field,
			 const char *rule, const char *value)
{
	roster_directory_options o = on_store(&wrap_methods, &s->w2);
	roster_directory *d = (roster_directory *)&o; /* set to NULL */

	assert_int_equal(roster_directory_open(&d, &o), code);
	assert_null(d);
	assert_error(roster_error_last(), code, field, rule, value);
}

/* A scan going on after a row stopped it, returning 0: the malformed
 * record that stopped it was skipped and the directory opened without
 * it (refused now, as by a store behaving). */
static void test_scan_going_on(void **state)
{
	setup s;
	uint64_t v;

	setup_new(&s, state);
	assert_int_equal(s.w.st->begin(s.w.store), 0);
	assert_int_equal(s.w.st->put(s.w.store, "r/00000000000f0000",
				     "\x01\x06garbage", 9, 0, &v), 0);
	assert_int_equal(s.w.st->commit(s.w.store), 0);
	s.w2.mode = GO_ON;
	open_refused(&s, ROSTER_EPARSE, "store", "storage.malformed",
		     "r/00000000000f0000: truncated");
	/* a refresh reads everything (a record it cannot read), the same */
	new_user(&s, "zed@acme.example");
	assert_int_equal(roster_directory_refresh(s.b), ROSTER_EPARSE);
	assert_error(roster_directory_error(s.b), ROSTER_EPARSE, "store",
		     "storage.malformed", "r/00000000000f0000: truncated");
	setup_free(&s);
}

/* A NULL value of some length: read through before (a crash). */
static void test_scan_null_value(void **state)
{
	setup s;

	setup_new(&s, state);
	new_user(&s, "zed@acme.example");
	s.w2.mode = NULL_VALUE;
	open_refused(&s, ROSTER_ESTORAGE, "scan", "storage.failed",
		     "a row with a NULL value");
	refresh_refused(&s, ROSTER_ESTORAGE, "scan", "storage.failed",
			"a row with a NULL value");
	setup_free(&s);
}

/* A row at version 0, which means "absent" (roster/sys/storage.h): a
 * user read so had version 0, which roster_user_version() never gives
 * and which, given back to roster_form_expect_version(), expects none,
 * so that a form made from it overwrote a change made since; and every
 * later write of the record was refused as a conflict. Refused as a
 * fault of the store's, as a put answering version 0 is. */
static void test_scan_version_zero(void **state)
{
	setup s;
	roster_form *f = NULL;
	roster_id id;
	char *before, *after;

	setup_new(&s, state);
	id = new_user(&s, "zed@acme.example");
	s.w2.mode = ZERO;
	open_refused(&s, ROSTER_ESTORAGE, "scan", "storage.failed",
		     "a row at version 0");
	rename_user(&s, id, "Byron");
	s.w2.mode = ZERO;
	refresh_refused(&s, ROSTER_ESTORAGE, "scan", "storage.failed",
			"a row at version 0");
	/* a put answering version 0: the commit fails, nothing changes */
	before = snapshot_take(s.a->dir);
	s.w.mode = ZERO;
	assert_int_equal(roster_form_new(&f, s.a->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME,
					     "King"),
			 0);
	assert_int_equal(roster_user_update(s.a->dir, &s.a->system, id, f),
			 ROSTER_ESTORAGE);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE, "put",
		     "storage.failed", NULL);
	roster_form_free(f);
	after = snapshot_take(s.a->dir);
	assert_string_equal(before, after);
	free(before);
	free(after);
	s.w.mode = WELL;
	rename_user(&s, id, "King");
	setup_free(&s);
}

/* The same for the counters' records (m/counters, m/events): a put
 * answering version 0, or succeeding without setting one, was taken,
 * and the next commit conflicted with itself or renumbered its events. */
static void test_counters_version_zero(void **state)
{
	static const char *const keys[] = { "m/counters", "m/events" };
	size_t i;
	int unset;

	for (i = 0; i < 2; i++)
		for (unset = 0; unset < 2; unset++) {
			setup s;
			roster_id id;
			char *before, *after;

			setup_new(&s, state);
			new_user(&s, "zed@acme.example");
			before = snapshot_take(s.a->dir);
			if (unset)
				s.w.unset_key = keys[i];
			else
				s.w.zero_key = keys[i];
			assert_int_equal(world_user(s.a, &s.a->system,
						    s.a->account, "Ada", "Byron",
						    "byron@acme.example", 0, &id),
					 ROSTER_ESTORAGE);
			assert_error(roster_directory_error(s.a->dir),
				     ROSTER_ESTORAGE, "put", "storage.failed",
				     NULL);
			after = snapshot_take(s.a->dir);
			assert_string_equal(before, after);
			free(before);
			free(after);
			s.w.unset_key = s.w.zero_key = NULL;
			new_user(&s, "byron@acme.example");
			new_user(&s, "eve@acme.example");
			setup_free(&s);
		}
}

/* An outbox key handed twice: a replay delivered its event twice, and
 * an acknowledgement removed it twice, which read as a conflict at every
 * retry. Both refuse the scan. */
static void test_outbox_key_twice(void **state)
{
	setup s;
	size_t n = 99;

	setup_new(&s, state);
	new_user(&s, "zed@acme.example");
	s.w.mode = TWICE;
	s.w.prefix = NULL;
	assert_int_equal(roster_outbox_replay(s.a->dir, 0, &n), ROSTER_ESTORAGE);
	assert_int_equal(n, 0);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE, "scan",
		     "storage.failed", "a key twice");
	assert_int_equal(roster_outbox_ack(s.a->dir, 1, 100, &n),
			 ROSTER_ESTORAGE);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE, "scan",
		     "storage.failed", "a key twice");
	s.w.mode = WELL;
	assert_int_equal(roster_outbox_replay(s.a->dir, 0, &n), 0);
	assert_true(n > 0);
	assert_int_equal(roster_outbox_ack(s.a->dir, 1, 100, &n), 0);
	assert_true(n > 0);
	setup_free(&s);
}

/* A scan returning 1 (outside the documented set) after its rows: a
 * refresh took it for its own signal to read everything, and put in
 * place records it had not decoded (a crash, on the scan of the records)
 * or, on the scan of the counters, took their new versions without the
 * records (and succeeded). */
static void test_scan_positive_result(void **state)
{
	static const char *const prefixes[] = { "m/", "r/", NULL };
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		setup s;
		setup_new(&s, state);
		new_user(&s, "zed@acme.example");
		s.w2.mode = RETURN_ONE;
		s.w2.prefix = prefixes[i];
		refresh_refused(&s, ROSTER_ESTORAGE, "scan", "storage.failed",
				"scan gone wrong");
		if (!prefixes[i]) { /* an open scans everything at once */
			s.w2.mode = RETURN_ONE;
			open_refused(&s, ROSTER_ESTORAGE, "scan",
				     "storage.failed", "scan gone wrong");
		}
		setup_free(&s);
	}
}

/* A key handed twice: each copy of a user read was put in place, the
 * user held replaced twice (a use after free). A reading of everything
 * refuses such a store as an open does; one handing the records' keys
 * twice only when asked for them alone is read whole. */
static void test_scan_key_twice(void **state)
{
	setup s;
	roster_id id;

	setup_new(&s, state);
	id = new_user(&s, "zed@acme.example");
	assert_int_equal(roster_directory_refresh(s.b), 0);
	rename_user(&s, id, "Byron");
	new_user(&s, "yves@acme.example");
	s.w2.mode = TWICE;
	open_refused(&s, ROSTER_EPARSE, "store", "storage.malformed",
		     "r/0000000000000001: identifier repeated");
	refresh_refused(&s, ROSTER_EPARSE, "store", "storage.malformed",
			"r/0000000000000001: identifier repeated");
	rename_user(&s, id, "King");
	s.w2.mode = TWICE;
	s.w2.prefix = "r/";
	assert_int_equal(roster_directory_refresh(s.b), 0);
	assert_as_first(&s);
	setup_free(&s);
}

/* A key the directory holds at its version handed twice, while another
 * record was deleted: counted twice, it made up for the one gone, and the
 * refresh kept the deleted user. */
static void test_scan_held_key_twice(void **state)
{
	setup s;
	roster_id kept, gone;
	roster_user *u = NULL;

	setup_new(&s, state);
	kept = new_user(&s, "kept@acme.example");
	gone = new_user(&s, "gone@acme.example");
	assert_int_equal(roster_directory_refresh(s.b), 0);
	assert_int_equal(roster_user_delete(s.a->dir, &s.a->system, gone), 0);
	s.w2.mode = TWICE_ONE;
	s.w2.prefix = "r/";
	snprintf(s.w2.twice, sizeof(s.w2.twice), "r/%016llx",
		 (unsigned long long)kept);
	assert_int_equal(roster_directory_refresh(s.b), 0);
	assert_int_equal(roster_user_get(&u, s.b, gone), ROSTER_ENOTFOUND);
	assert_as_first(&s);
	setup_free(&s);
}

/* A key handed twice, first as it was when the directory read it (at
 * its new version: a unit written again as it was), then as it is: the
 * unit took the first copy's version once the second had replaced (and
 * freed) it. */
static void test_scan_stale_copy(void **state)
{
	setup s;

	/* the second directory's open kept what it read */
	setup_new(&s, state);
	s.w2.prefix = "r/";
	assert_int_equal(roster_record_rename(s.a->dir, &s.a->system,
					      s.a->site, "Main Street"), 0);
	s.w2.mode = STALE_FIRST;
	assert_int_equal(roster_directory_refresh(s.b), 0);
	assert_as_first(&s);
	setup_free(&s);
}

/* A scan failing after an earlier call failed with the same code: the
 * directory's error still named the earlier call ("put", its message),
 * taken for the one a row callback recorded. */
static void test_scan_failure_named(void **state)
{
	setup s;
	roster_id id;
	size_t n = 99;

	setup_new(&s, state);
	s.w.fail_put = 1;
	assert_int_equal(world_user(s.a, &s.a->system, s.a->account, "Ada",
				    "Lovelace", "zed@acme.example", 0, &id),
			 ROSTER_ESTORAGE);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE, "put",
		     "storage.failed", "disk full");
	s.w.fail_put = 0;
	s.w.mode = FAIL;
	assert_int_equal(roster_outbox_replay(s.a->dir, 0, &n), ROSTER_ESTORAGE);
	assert_int_equal(n, 0);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE, "scan",
		     "storage.failed", "scan gone wrong");
	s.w.fail_put = 1;
	assert_int_equal(world_user(s.a, &s.a->system, s.a->account, "Ada",
				    "Lovelace", "zed@acme.example", 0, &id),
			 ROSTER_ESTORAGE);
	s.w.fail_put = 0;
	assert_int_equal(roster_outbox_ack(s.a->dir, 1, 100, &n),
			 ROSTER_ESTORAGE);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE, "scan",
		     "storage.failed", "scan gone wrong");
	s.w.mode = WELL;
	setup_free(&s);
}

/* errmsg is called back as the other methods are: a call into the
 * directory from it is refused, and so is freeing the directory (which
 * would have the failing call write its error into freed memory). */
static void test_errmsg_reentrant(void **state)
{
	setup s;
	roster_id id;
	size_t n = 99;

	setup_new(&s, state);
	s.w.mode = FAIL;
	s.w.reenter = s.a->dir;
	assert_int_equal(roster_outbox_replay(s.a->dir, 0, &n), ROSTER_ESTORAGE);
	assert_int_equal(s.w.reentered, ROSTER_EMISUSE);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE, "scan",
		     "storage.failed", "scan gone wrong");
	s.w.mode = WELL;
	s.w.fail_put = 1;
	s.w.reentered = 0;
	assert_int_equal(world_user(s.a, &s.a->system, s.a->account, "Ada",
				    "Lovelace", "zed@acme.example", 0, &id),
			 ROSTER_ESTORAGE);
	assert_int_equal(s.w.reentered, ROSTER_EMISUSE);
	s.w.fail_put = 0;
	s.w.reenter = NULL;
	assert_int_equal(roster_record_find(&id, s.a->dir, 0,
					    ROSTER_KIND_PARTNER, "From errmsg"),
			 ROSTER_ENOTFOUND);
	setup_free(&s);
}

/* A begin or a scan returning ROSTER_ECONFLICT, which the contract
 * keeps for a version that differs in put, remove and commit: the call
 * reported a conflict, which tells the host to look again and retry (a
 * refresh, an open even, said so). It is the store's failure. */
static void test_conflict_out_of_place(void **state)
{
	setup s;
	roster_id id;
	size_t n;

	setup_new(&s, state);
	s.w.begin_conflict = 1;
	assert_int_equal(world_user(s.a, &s.a->system, s.a->account, "Ada",
				    "Lovelace", "zed@acme.example", 0, &id),
			 ROSTER_ESTORAGE);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE,
		     "begin", "storage.failed", NULL);
	s.w.begin_conflict = 0;
	new_user(&s, "zed@acme.example");
	s.w.begin_conflict = 1;
	assert_int_equal(roster_outbox_ack(s.a->dir, 1, 100, &n),
			 ROSTER_ESTORAGE);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE,
		     "begin", "storage.failed", NULL);
	s.w.begin_conflict = 0;
	s.w2.mode = CONFLICT;
	open_refused(&s, ROSTER_ESTORAGE, "scan", "storage.failed", NULL);
	s.w2.mode = CONFLICT;
	refresh_refused(&s, ROSTER_ESTORAGE, "scan", "storage.failed", NULL);
	s.w.mode = CONFLICT;
	assert_int_equal(roster_outbox_replay(s.a->dir, 0, &n), ROSTER_ESTORAGE);
	assert_error(roster_directory_error(s.a->dir), ROSTER_ESTORAGE, "scan",
		     "storage.failed", NULL);
	s.w.mode = WELL;
	setup_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_going_on),
		cmocka_unit_test(test_scan_null_value),
		cmocka_unit_test(test_scan_version_zero),
		cmocka_unit_test(test_scan_positive_result),
		cmocka_unit_test(test_scan_key_twice),
		cmocka_unit_test(test_scan_held_key_twice),
		cmocka_unit_test(test_scan_stale_copy),
		cmocka_unit_test(test_scan_failure_named),
		cmocka_unit_test(test_conflict_out_of_place),
		cmocka_unit_test(test_errmsg_reentrant),
		cmocka_unit_test(test_counters_version_zero),
		cmocka_unit_test(test_outbox_key_twice),
	};

	return store_run_per_backend("storage/misbehaving", tests,
				     sizeof(tests) / sizeof(tests[0]));
}
