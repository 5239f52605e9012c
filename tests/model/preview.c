/*
 * preview.c: dry runs. A transaction's preview tells its events, its
 * inventory deltas and the users whose bill changes; rolling back then
 * leaves everything as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"

static long long delta_of(const roster_preview *p, int kind, roster_id rec,
			  const char *item, long long *purchased)
{
	size_t i;

	for (i = 0; i < roster_preview_delta_count(p); i++) {
		int k;
		roster_id r;
		const char *it;
		long long dp, du;
		assert_int_equal(roster_preview_delta(p, i, &k, &r, &it, &dp,
						      &du), 0);
		if (k == kind && r == rec && strcmp(it, item) == 0) {
			if (purchased)
				*purchased = dp;
			return du;
		}
	}
	fail_msg("no delta for %s", item);
	return 0;
}

static void test_dry_run(void **state)
{
	world *w = world_new(NULL);
	roster_preview *p = NULL;
	roster_form *f = NULL;
	roster_id u, v;
	char *before, *after;
	long long dp = 0;
	size_t i, reloads = 0, created = 0;

	(void)state;
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 2), 0);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 2), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "V", "Old",
				    "v@acme.example", 0, &v), 0);
	before = snapshot_take(w->dir);
	world_events_clear(w);

	/* not without a transaction */
	assert_int_equal(roster_transaction_preview(&p, w->dir), ROSTER_EMISUSE);
	assert_err(w, ROSTER_EMISUSE, "txn.none");
	assert_null(p);

	assert_int_equal(roster_transaction_begin(w->dir), 0);
	/* a new user on the PBX with a station and a meetings licence */
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "New");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Comer");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "new@acme.example");
	roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "333");
	roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "basic");
	assert_int_equal(roster_user_create(&u, w->dir, &w->as_admin,
					    w->account, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       &u, 1, NULL), 0);
	/* one more station bought, an option for the old user */
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "premium", 3), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_bool(f, ROSTER_FIELD_API_COMMUNICATOR, 1);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, v, f), 0);
	roster_form_free(f);

	assert_int_equal(roster_transaction_preview(&p, w->dir), 0);
	/* events: held back, but told */
	assert_int_equal(w->nevents, 0);
	for (i = 0; i < roster_preview_event_count(p); i++) {
		const roster_event *e = roster_preview_event(p, i);
		assert_int_equal(roster_event_seq(e), 0);
		assert_null(roster_event_secret(e));
		reloads += roster_event_type_of(e) == ROSTER_EVENT_PBX_RELOAD;
		if (roster_event_type_of(e) == ROSTER_EVENT_USER_CREATED) {
			created++;
			assert_int_equal(roster_event_user(e), u);
			assert_string_equal(roster_event_email(e),
					    "new@acme.example");
		}
		if (roster_event_type_of(e) == ROSTER_EVENT_WELCOME_EMAIL)
			assert_int_equal(roster_event_withheld(e),
					 ROSTER_WITHHELD_SECRET);
	}
	assert_int_equal(created, 1);
	assert_int_equal(reloads, 1);
	assert_null(roster_preview_event(p, 999));
	/* inventory */
	assert_int_equal(delta_of(p, ROSTER_ITEM_PACK, w->site, "basic", &dp), 1);
	assert_int_equal(dp, 0);
	assert_int_equal(delta_of(p, ROSTER_ITEM_PACK, w->site, "premium", &dp),
			 0);
	assert_int_equal(dp, 3);
	assert_int_equal(delta_of(p, ROSTER_ITEM_PRODUCT, w->account, "meetings",
				  &dp), 1);
	assert_int_equal(roster_preview_delta_count(p), 3);
	assert_int_equal(roster_preview_delta(p, 3, NULL, NULL, NULL, NULL,
					      NULL), ROSTER_EINVAL);
	/* billing */
	assert_int_equal(roster_preview_billing_count(p), 2);
	for (i = 0; i < 2; i++) {
		roster_id who = roster_preview_billing_user(p, i);
		unsigned what = roster_preview_billing_what(p, i);
		if (who == u)
			assert_int_equal(what, ROSTER_BILL_BILLABLE);
		else {
			assert_int_equal(who, v);
			assert_int_equal(what, ROSTER_BILL_OPTIONS);
		}
	}
	assert_int_equal(roster_preview_billing_user(p, 2), 0);
	assert_int_equal(roster_preview_billing_what(p, 2), 0);

	/* a dry run: roll back, and nothing happened */
	assert_int_equal(roster_transaction_rollback(w->dir), 0);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "dry run");
	assert_int_equal(w->nevents, 0);
	/* the preview outlives the transaction */
	assert_int_equal(roster_preview_event_count(p) > 0, 1);
	roster_preview_free(p);
	roster_preview_free(NULL);
	free(before);
	free(after);
	world_free(w);
}

/* A change that undoes itself inside the transaction shows no delta. */
static void test_cancelling_out(void **state)
{
	world *w = world_new(NULL);
	roster_preview *p = NULL;

	(void)state;
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 2), 0);
	assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner,
						   w->site, "basic", 2), 0);
	assert_int_equal(roster_transaction_preview(&p, w->dir), 0);
	assert_int_equal(roster_preview_delta_count(p), 0);
	assert_int_equal(roster_preview_billing_count(p), 0);
	roster_preview_free(p);
	assert_int_equal(roster_transaction_preview(NULL, w->dir), ROSTER_EINVAL);
	assert_int_equal(roster_transaction_preview(&p, NULL), ROSTER_EINVAL);
	assert_int_equal(roster_transaction_rollback(w->dir), 0);
	world_free(w);
}

/* The preview shows the e-mails the commit would send: not one whose
 * link a later change voided, nor one to a user deleted since. */
static void test_dead_links(void **state)
{
	world *w = world_new(NULL);
	roster_preview *p = NULL;
	roster_id gone, twice;
	size_t i, welcome = 0, reset = 0, previewed;

	(void)state;
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "N", "U",
				    "gone@acme.example", 0, &gone), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, gone), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "T", "W",
				    "twice@acme.example", 0, &twice), 0);
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account,
					       &twice, 1), 0);
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account,
					       &twice, 1), 0);
	assert_int_equal(roster_transaction_preview(&p, w->dir), 0);
	for (i = 0; i < roster_preview_event_count(p); i++) {
		const roster_event *e = roster_preview_event(p, i);
		welcome += roster_event_type_of(e) == ROSTER_EVENT_WELCOME_EMAIL;
		reset += roster_event_type_of(e) ==
			 ROSTER_EVENT_PASSWORD_RESET_EMAIL;
		assert_int_not_equal(roster_event_user(e) == gone &&
					     roster_event_type_of(e) ==
						     ROSTER_EVENT_WELCOME_EMAIL,
				     1);
	}
	assert_int_equal(welcome, 1); /* twice's own */
	assert_int_equal(reset, 1);
	previewed = roster_preview_event_count(p);
	roster_preview_free(p);
	world_events_clear(w);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	/* what was shown is what was delivered */
	assert_int_equal(w->nevents, previewed);
	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 1);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_cancelling_out),
		cmocka_unit_test(test_dead_links),
	};

	return cmocka_run_group_tests_name("model/preview", tests, NULL, NULL);
}
