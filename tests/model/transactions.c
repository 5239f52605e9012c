/* transactions.c: several changes as one, all or nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"

static int setup(void **state)
{
	*state = world_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	world_free(*state);
	return 0;
}

/* Create a user on the world's PBX with an extension. */
static int on_pbx(world *w, const char *email, const char *ext, roster_id *id)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "T");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "X");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
	roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, ext);
	rc = roster_user_create(id, w->dir, &w->as_admin, w->account, f);
	roster_form_free(f);
	return rc;
}

static void test_commit_delivers_after(void **state)
{
	world *w = *state;
	roster_id a, b, c, found;

	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_transaction_active(w->dir), 1);
	assert_int_equal(on_pbx(w, "a@acme.example", "201", &a), 0);
	assert_int_equal(on_pbx(w, "b@acme.example", "202", &b), 0);
	assert_int_equal(on_pbx(w, "c@acme.example", "203", &c), 0);
	/* the transaction sees its own changes; the host hears nothing yet */
	assert_int_equal(roster_user_find_login(&found, w->dir, "b@acme.example"), 0);
	assert_int_equal(found, b);
	assert_int_equal(w->nevents, 0);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	assert_int_equal(roster_transaction_active(w->dir), 0);
	/* three users, three welcome e-mails, one reload of the PBX (001) */
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 3);
	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 3);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 1);
	assert_int_equal(w->events[w->nevents - 1].type, ROSTER_EVENT_PBX_RELOAD);
	for (size_t i = 1; i < w->nevents; i++)
		assert_true(w->events[i].seq > w->events[i - 1].seq);
}

static void test_rollback_restores_everything(void **state)
{
	world *w = *state;
	roster_form *f = NULL;
	roster_id a, again, found;
	char *before, *after;

	before = snapshot_take(w->dir);
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(on_pbx(w, "a@acme.example", "201", &a), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "changed in the transaction");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, w->admin, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_record_rename(w->dir, &w->as_admin, w->site, "Lyon"), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_admin, w->group), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, a), 0);
	assert_int_equal(roster_transaction_rollback(w->dir), 0);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "rollback");
	assert_int_equal(w->nevents, 0);
	assert_int_equal(roster_user_find_login(&found, w->dir, "a@acme.example"),
			 ROSTER_ENOTFOUND);
	/* identifiers handed out in the rolled-back transaction are reused */
	assert_int_equal(on_pbx(w, "a@acme.example", "201", &again), 0);
	assert_int_equal(again, a);
	free(before);
	free(after);
}

static void test_failed_call_inside(void **state)
{
	world *w = *state;
	roster_id a, b = 77, found;

	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(on_pbx(w, "a@acme.example", "201", &a), 0);
	/* the same extension again: this call fails and changes nothing ... */
	assert_int_equal(on_pbx(w, "b@acme.example", "201", &b), ROSTER_EEXISTS);
	assert_int_equal(b, 0);
	assert_int_equal(roster_user_find_login(&found, w->dir, "b@acme.example"),
			 ROSTER_ENOTFOUND);
	/* ... and the transaction goes on with the first change in place */
	assert_int_equal(roster_transaction_active(w->dir), 1);
	assert_int_equal(on_pbx(w, "b@acme.example", "202", &b), 0);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 2);
	assert_int_equal(roster_user_find_login(&found, w->dir, "a@acme.example"), 0);
}

static void test_swap_inside(void **state)
{
	world *w = *state;
	roster_id a, b;
	roster_form *f = NULL;

	/* a login and an extension move from one user to another within one
	 * transaction: each step is checked against the state before it */
	assert_int_equal(on_pbx(w, "a@acme.example", "201", &a), 0);
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, a), 0);
	assert_int_equal(on_pbx(w, "a@acme.example", "201", &b), 0);
	assert_int_not_equal(a, b);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, b, f), 0);
	roster_form_clear(f);
	/* with a second admin in the transaction, the first may step down */
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_partner, w->admin, f), 0);
	roster_form_free(f);
	world_events_clear(w);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_ROLE_CHANGED), 2);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_DELETED), 1);
}

static void test_free_with_open_transaction(void **state)
{
	world *w = *state;
	roster_id a;
	roster_form *f = NULL;

	/* replaced versions live in the open transaction: freeing the
	 * directory must release them (the sanitizer build checks) */
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(on_pbx(w, "a@acme.example", "201", &a), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "x");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, a, f), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, w->admin, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_record_rename(w->dir, &w->as_partner, w->account, "Y"), 0);
	world_free(w);
	*state = NULL;
}

static void test_reload_of_removed_pbx(void **state)
{
	world *w = *state;
	roster_id a;
	roster_password_policy p;

	assert_int_equal(on_pbx(w, "a@acme.example", "201", &a), 0);
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, a), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, w->pbx), 0);
	/* the policy is not transactional: refused while one is open */
	roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION);
	assert_int_equal(roster_directory_set_password_policy(w->dir, &p),
			 ROSTER_EMISUSE);
	assert_err(w, ROSTER_EMISUSE, "txn.open");
	world_events_clear(w);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_DELETED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 0);
}

/* An e-mail goes out only when its link still works at commit. */
static void test_dead_links_not_mailed(void **state)
{
	world *w = *state;
	roster_id a, b, c, d, g, who;
	roster_form *f = NULL;
	char token[128];

	assert_int_equal(roster_transaction_begin(w->dir), 0);
	/* created, then deleted: no one to welcome */
	assert_int_equal(on_pbx(w, "a@acme.example", "201", &a), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, a), 0);
	/* welcomed twice: the first link was voided by the second */
	assert_int_equal(on_pbx(w, "b@acme.example", "202", &b), 0);
	assert_int_equal(roster_welcome_send(w->dir, &w->as_admin, w->account,
					     &b, 1), 0);
	/* created, then its login corrected: the link went to the old one */
	assert_int_equal(on_pbx(w, "c@acme.exmaple", "203", &c), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "c@acme.example");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, c, f), 0);
	roster_form_free(f);
	/* two resets: the second voids the first */
	assert_int_equal(on_pbx(w, "d@acme.example", "204", &d), 0);
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account,
					       &d, 1), 0);
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account,
					       &d, 1), 0);
	/* a generated password, then a second welcome: the second carries
	 * the password the first was to bring */
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Gen");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Erated");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "g@acme.example");
	assert_int_equal(roster_form_generate_password(f), 0);
	assert_int_equal(roster_user_create(&g, w->dir, &w->as_admin,
					    w->account, f),
			 0);
	roster_form_free(f);
	assert_int_equal(roster_welcome_send(w->dir, &w->as_admin, w->account,
					     &g, 1), 0);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	{
		const rec_event *e = world_last(w, ROSTER_EVENT_WELCOME_EMAIL);
		assert_int_equal(e->user, g);
		assert_true(e->password[0] != '\0');
		assert_int_equal(roster_login(&who, w->dir, "g@acme.example",
					      e->password),
				 0);
		assert_int_equal(who, g);
	}

	/* every change is told, only the working links are mailed */
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 5);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_DELETED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 3);
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 1);
	for (size_t i = 0; i < w->nevents; i++) {
		const rec_event *e = &w->events[i];
		if (e->type == ROSTER_EVENT_WELCOME_EMAIL)
			assert_true(e->user == b || e->user == d ||
				    e->user == g);
		if (e->type == ROSTER_EVENT_PASSWORD_RESET_EMAIL)
			assert_true(e->user == d);
		if (i > 0)
			assert_true(e->seq > w->events[i - 1].seq);
	}
	/* the links mailed are the ones that work */
	snprintf(token, sizeof(token), "%s",
		 world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
	assert_int_equal(roster_token_redeem(&who, w->dir, token,
					     "Another-Secret-42"), 0);
	assert_int_equal(who, d);
	for (size_t i = 0; i < w->nevents; i++)
		if (w->events[i].type == ROSTER_EVENT_WELCOME_EMAIL &&
		    w->events[i].user == b) {
			assert_int_equal(roster_token_redeem(&who, w->dir,
							     w->events[i].secret,
							     "Another-Secret-42"),
					 0);
			assert_int_equal(who, b);
		}
}

/* A memory store whose commit can be made to fail, as a database that
 * loses its connection at the last moment. */
static roster_memstore *refusing_ms;
static int refusing;

static const roster_storage *MS(void)
{
	return roster_memstore_methods();
}

static int r_begin(void *s)
{
	return MS()->begin(s);
}

static int r_commit(void *s)
{
	if (!refusing)
		return MS()->commit(s);
	/* nothing of the transaction remains (storage.h) */
	MS()->rollback(s);
	return ROSTER_ESTORAGE;
}

static int r_rollback(void *s)
{
	return MS()->rollback(s);
}

static int r_put(void *s, const char *key, const void *value, size_t len,
		 uint64_t expected, uint64_t *version_out)
{
	return MS()->put(s, key, value, len, expected, version_out);
}

static int r_remove(void *s, const char *key, uint64_t expected)
{
	return MS()->remove(s, key, expected);
}

static int r_scan(void *s, const char *prefix, roster_storage_row_fn row,
		  void *data)
{
	return MS()->scan(s, prefix, row, data);
}

static const char *r_errmsg(void *s)
{
	return refusing ? "commit refused" : MS()->errmsg(s);
}

static const roster_storage refusing_store = {
	ROSTER_STORAGE_VERSION, r_begin, r_commit, r_rollback, r_put,
	r_remove, r_scan, r_errmsg, NULL, NULL
};

/* Every key of the store with its version, one a line. */
static int key_version(const char *key, const void *value, size_t len,
		       uint64_t version, void *data)
{
	char *out = data;

	(void)value;
	(void)len;
	snprintf(out + strlen(out), 8192 - strlen(out), "%s %llu\n", key,
		 (unsigned long long)version);
	return 0;
}

static void store_keys(char out[8192])
{
	out[0] = '\0';
	assert_int_equal(MS()->scan(refusing_ms, "", key_version, out), 0);
}

/* The bulk actions of one transaction (resets and welcomes for a
 * selection and for all, product licences assigned and unassigned):
 * in a transaction the store refuses to commit, nothing of it remains
 * in the directory, the store or its outbox, and no event is told. */
static void run_bulk(world *w, roster_id *u)
{
	size_t n = 0;

	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       u, 3, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(roster_product_unassign(w->dir, &w->as_admin,
						 "meetings", u + 1, 1, &n), 0);
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account,
					       NULL, 0), 0);
	assert_int_equal(roster_welcome_send(w->dir, &w->as_admin, w->account,
					     u, 3), 0);
}

static void test_bulk_commit_refused(void **state)
{
	static char keys[8192], keys_after[8192];
	roster_directory_options o;
	char *before, *after;
	size_t p = 0, a = 0, replayed = 9;
	roster_id u[3];
	world *w;

	(void)state;
	assert_int_equal(roster_memstore_new(&refusing_ms), 0);
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = &refusing_store;
	o.store = refusing_ms;
	w = world_new(&o);
	assert_int_equal(on_pbx(w, "b1@acme.example", "301", &u[0]), 0);
	assert_int_equal(on_pbx(w, "b2@acme.example", "302", &u[1]), 0);
	u[2] = u[0];
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 2), 0);
	assert_int_equal(roster_outbox_ack(w->dir, 1, UINT64_MAX - 1, NULL), 0);
	world_events_clear(w);
	before = snapshot_take(w->dir);
	store_keys(keys);

	refusing = 1;
	run_bulk(w, u);
	assert_int_equal(roster_transaction_commit(w->dir), ROSTER_ESTORAGE);
	refusing = 0;
	assert_int_equal(roster_transaction_active(w->dir), 0);
	assert_int_equal(w->nevents, 0);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "refused commit");
	free(after);
	store_keys(keys_after);
	assert_string_equal(keys, keys_after);
	assert_int_equal(roster_outbox_replay(w->dir, 0, &replayed), 0);
	assert_int_equal(replayed, 0);
	assert_int_equal(roster_product_counts(w->dir, &w->as_admin, w->account,
					       "meetings", &p, &a), 0);
	assert_int_equal(a, 0);

	/* the same transaction, committed: told once, kept in the outbox */
	run_bulk(w, u);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 3);
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 3);
	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 2);
	assert_int_equal(roster_outbox_replay(w->dir, 0, &replayed), 0);
	assert_int_equal(replayed, 8);
	assert_int_equal(roster_product_counts(w->dir, &w->as_admin, w->account,
					       "meetings", &p, &a), 0);
	assert_int_equal(a, 1);
	free(before);
	world_free(w);
	roster_memstore_free(refusing_ms);
}

static roster_directory *freed_from;

static void free_in_callback(const roster_event *e, void *data)
{
	(void)e;
	(void)data;
	roster_directory_free(freed_from);
}

static void test_free_from_callback(void **state)
{
	roster_directory_options o;
	roster_actor sys;
	roster_id p;

	(void)state;
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.event_cb = free_in_callback;
	assert_int_equal(roster_directory_open(&freed_from, &o), 0);
	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	/* the free inside the callback is refused; the call completes */
	assert_int_equal(roster_partner_create(&p, freed_from, &sys, "P"), 0);
	assert_int_equal(roster_error_code(roster_error_last()), ROSTER_EMISUSE);
	assert_string_equal(roster_error_rule(roster_error_last()), "reentrant");
	roster_directory_free(freed_from);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_delivers_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_restores_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_call_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_open_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_of_removed_pbx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_links_not_mailed, setup, teardown),
		cmocka_unit_test(test_free_from_callback),
		cmocka_unit_test(test_bulk_commit_refused),
	};

	return cmocka_run_group_tests_name("model/transactions", tests, NULL, NULL);
}
