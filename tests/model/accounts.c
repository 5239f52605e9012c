/* accounts.c: partners, accounts, sites, PBXes, groups and listings. */
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

static void test_records(void **state)
{
	world *w = *state;
	roster_record *r = NULL;

	assert_int_equal(roster_record_get(&r, w->dir, w->account), 0);
	assert_int_equal(roster_record_kind(r), ROSTER_KIND_ACCOUNT);
	assert_int_equal(roster_record_parent(r), w->partner);
	assert_string_equal(roster_record_name(r), "Acme");
	assert_int_equal(roster_record_members(r), 1);
	assert_int_equal(roster_record_admins(r), 1);
	assert_int_equal(roster_record_helpdesk(r), 0);
	roster_record_free(r);
	assert_int_equal(roster_record_get(&r, w->dir, w->pbx), 0);
	assert_int_equal(roster_record_kind(r), ROSTER_KIND_PBX);
	assert_int_equal(roster_record_min_digits(r), 3);
	assert_int_equal(roster_record_max_digits(r), 4);
	roster_record_free(r);
	assert_int_equal(roster_record_get(&r, w->dir, w->partner), 0);
	assert_int_equal(roster_record_members(r), 1);
	roster_record_free(r);
	assert_int_equal(roster_record_get(&r, w->dir, w->admin), ROSTER_EINVAL);
	assert_err(w, ROSTER_EINVAL, "record.kind");
	assert_int_equal(roster_record_get(&r, w->dir, 777777), ROSTER_ENOTFOUND);
	assert_null(r);
}

static void test_partner_events(void **state)
{
	world *w = *state;
	roster_id p, a;

	assert_int_equal(roster_partner_create(&p, w->dir, &w->system, "Third"), 0);
	assert_int_equal(world_last(w, ROSTER_EVENT_PARTNER_CREATED)->partner, p);
	assert_int_equal(roster_account_create(&a, w->dir, &w->system, p, "Initech"), 0);
	assert_int_equal(world_last(w, ROSTER_EVENT_ACCOUNT_CREATED)->partner, p);
	assert_int_equal(world_last(w, ROSTER_EVENT_ACCOUNT_CREATED)->account, a);
	assert_int_equal(roster_record_delete(w->dir, &w->system, a), 0);
	assert_int_equal(world_last(w, ROSTER_EVENT_ACCOUNT_DELETED)->partner, p);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "E", "V",
				    "ev@acme.example", 0, &a), 0);
	assert_int_equal(world_last(w, ROSTER_EVENT_USER_CREATED)->partner, w->partner);
}

static void test_names(void **state)
{
	world *w = *state;
	roster_id id;
	roster_record *r;

	/* unique in their parent, case-insensitively, after normalisation */
	assert_int_equal(roster_account_create(&id, w->dir, &w->as_partner, w->partner,
					       "  ACME "), ROSTER_EEXISTS);
	assert_err(w, ROSTER_EEXISTS, "name.unique");
	/* the message holds for partners and accounts as for what is in one */
	assert_string_equal(roster_error_message(roster_directory_error(w->dir)),
			    "the name ACME is already used here");
	assert_int_equal(roster_group_create(&id, w->dir, &w->as_admin, w->account,
					     "sales"), ROSTER_EEXISTS);
	/* the same name in another account is fine */
	assert_int_equal(roster_group_create(&id, w->dir, &w->as_other_admin,
					     w->other_account, "Sales"), 0);
	assert_int_equal(roster_site_create(&id, w->dir, &w->as_admin, w->account,
					    "Brno\x01"), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "text.control");
	/* nor a second "Brno" made with an invisible character */
	assert_int_equal(roster_site_create(&id, w->dir, &w->as_admin, w->account,
					    "Br\xE2\x80\x8Bno"), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "text.control");
	assert_int_equal(roster_site_create(&id, w->dir, &w->as_admin, w->account,
					    "  Brno   Střed "), 0);
	assert_int_equal(roster_record_get(&r, w->dir, id), 0);
	assert_string_equal(roster_record_name(r), "Brno Střed");
	roster_record_free(r);
	/* rename keeps uniqueness, allows a change of case of one's own name */
	assert_int_equal(roster_record_rename(w->dir, &w->as_admin, id, "paris"),
			 ROSTER_EEXISTS);
	assert_int_equal(roster_record_rename(w->dir, &w->as_admin, id, "BRNO STŘED"), 0);
	assert_int_equal(roster_record_rename(w->dir, &w->as_admin, w->account, "Acme Corp"),
			 ROSTER_EDENIED);
	world_events_clear(w);
	assert_int_equal(roster_record_rename(w->dir, &w->as_partner, w->account, "Acme Corp"), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_ACCOUNT_UPDATED), 1);
	assert_int_equal(roster_record_get(&r, w->dir, w->account), 0);
	assert_string_equal(roster_record_name(r), "Acme Corp");
	/* members survive a new version of the record */
	assert_int_equal(roster_record_members(r), 1);
	roster_record_free(r);
}

/* A record is found by its name under its parent as names are kept
 * unique: case and spaces aside; renamed, by its new name; deleted, no
 * more. */
static void test_find_by_name(void **state)
{
	world *w = *state;
	roster_id id, found = 0;

	assert_int_equal(roster_site_create(&id, w->dir, &w->as_admin, w->account,
					    "Brno Střed"), 0);
	assert_int_equal(roster_record_find(&found, w->dir, w->account,
					    ROSTER_KIND_SITE, "  brno   STŘED "), 0);
	assert_int_equal(found, id);
	/* accents count, as they do for uniqueness: another name */
	assert_int_equal(roster_record_find(&found, w->dir, w->account,
					    ROSTER_KIND_SITE, "Brno Stred"),
			 ROSTER_ENOTFOUND);
	/* another kind, another parent: not there */
	assert_int_equal(roster_record_find(&found, w->dir, w->account,
					    ROSTER_KIND_GROUP, "Brno Střed"),
			 ROSTER_ENOTFOUND);
	assert_int_equal(found, 0);
	assert_err(w, ROSTER_ENOTFOUND, "record.named");
	assert_int_equal(roster_record_find(&found, w->dir, w->other_account,
					    ROSTER_KIND_SITE, "Brno Střed"),
			 ROSTER_ENOTFOUND);
	/* partners under 0, accounts under their partner, groups, PBXes */
	assert_int_equal(roster_record_find(&found, w->dir, 0,
					    ROSTER_KIND_PARTNER, "partner one"), 0);
	assert_int_equal(found, w->partner);
	assert_int_equal(roster_record_find(&found, w->dir, w->partner,
					    ROSTER_KIND_ACCOUNT, "acme"), 0);
	assert_int_equal(found, w->account);
	assert_int_equal(roster_record_find(&found, w->dir, w->account,
					    ROSTER_KIND_GROUP, "SALES"), 0);
	assert_int_equal(found, w->group);
	assert_int_equal(roster_record_find(&found, w->dir, w->account,
					    ROSTER_KIND_PBX, "main pbx"), 0);
	assert_int_equal(found, w->pbx);
	/* renamed, then deleted */
	assert_int_equal(roster_record_rename(w->dir, &w->as_admin, id, "Brno Sever"), 0);
	assert_int_equal(roster_record_find(&found, w->dir, w->account,
					    ROSTER_KIND_SITE, "Brno Střed"),
			 ROSTER_ENOTFOUND);
	assert_int_equal(roster_record_find(&found, w->dir, w->account,
					    ROSTER_KIND_SITE, "brno sever"), 0);
	assert_int_equal(found, id);
	assert_int_equal(roster_record_delete(w->dir, &w->as_admin, id), 0);
	assert_int_equal(roster_record_find(&found, w->dir, w->account,
					    ROSTER_KIND_SITE, "brno sever"),
			 ROSTER_ENOTFOUND);
}

static void test_services(void **state)
{
	world *w = *state;
	roster_record *r;
	roster_id id;

	assert_int_equal(roster_pbx_create(&id, w->dir, &w->as_partner, w->account,
					   "Bad", 1, 4), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "pbx.digits");
	assert_int_equal(roster_pbx_create(&id, w->dir, &w->as_partner, w->account,
					   "Bad", 5, 4), ROSTER_EINVALID);
	assert_int_equal(roster_pbx_create(&id, w->dir, &w->as_partner, w->account,
					   "Bad", 2, 9), ROSTER_EINVALID);
	/* ordered services come from the provider: not the admin's to add */
	assert_int_equal(roster_pbx_create(&id, w->dir, &w->as_admin, w->account,
					   "Mine", 3, 3), ROSTER_EDENIED);
	assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_admin, w->account, 1),
			 ROSTER_EDENIED);
	world_events_clear(w);
	assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_partner, w->account, 1), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_ACCOUNT_UPDATED), 1);
	assert_int_equal(roster_record_get(&r, w->dir, w->account), 0);
	assert_int_equal(roster_record_helpdesk(r), 1);
	roster_record_free(r);
	/* setting it again is no change */
	world_events_clear(w);
	assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_partner, w->account, 5), 0);
	assert_int_equal(w->nevents, 0);
	/* not cancelled while a user is attached to it, as a PBX is not
	 * removed under its users */
	{
		roster_form *f = NULL;
		char *before, *after;

		assert_int_equal(roster_form_new(&f, w->dir), 0);
		roster_form_set_bool(f, ROSTER_FIELD_HELPDESK, 1);
		assert_int_equal(roster_user_update(w->dir, &w->as_partner,
						    w->admin, f), 0);
		before = snapshot_take(w->dir);
		assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_partner,
							     w->account, 0),
				 ROSTER_EPOLICY);
		assert_err(w, ROSTER_EPOLICY, "helpdesk.in_use");
		assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
				    "helpdesk");
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "helpdesk kept");
		free(before);
		free(after);
		roster_form_set_bool(f, ROSTER_FIELD_HELPDESK, 0);
		assert_int_equal(roster_user_update(w->dir, &w->as_partner,
						    w->admin, f), 0);
		roster_form_free(f);
		assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_partner,
							     w->account, 0), 0);
	}
}

static void test_delete(void **state)
{
	world *w = *state;
	roster_form *f = NULL;
	roster_id user, acc, grp;
	roster_page *p = NULL;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "G"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "H"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, "g@acme.example"), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group), 0);
	assert_int_equal(roster_user_create(&user, w->dir, &w->as_admin, w->account, f), 0);
	roster_form_free(f);
	/* in use: refused */
	assert_int_equal(roster_record_delete(w->dir, &w->as_admin, w->group), ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "record.in_use");
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, w->account),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "account.not_empty");
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, w->partner),
			 ROSTER_EDENIED);
	assert_int_equal(roster_record_delete(w->dir, &w->system, w->partner),
			 ROSTER_EPOLICY);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, user), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_admin, w->group), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_admin, w->group),
			 ROSTER_ENOTFOUND);

	/* an empty account goes with its sites, PBXes and groups */
	assert_int_equal(roster_account_create(&acc, w->dir, &w->as_partner, w->partner,
					       "Short-lived"), 0);
	assert_int_equal(roster_group_create(&grp, w->dir, &w->as_partner, acc, "G"), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_other_partner, acc),
			 ROSTER_EDENIED);
	world_events_clear(w);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, acc), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_ACCOUNT_DELETED), 1);
	assert_int_equal(roster_record_get(&(roster_record *){ NULL }, w->dir, grp),
			 ROSTER_ENOTFOUND);
	assert_int_equal(roster_list(&p, w->dir, w->partner, ROSTER_KIND_ACCOUNT, NULL, 10), 0);
	assert_int_equal(roster_page_total(p), 1);
	roster_page_free(p);
}

static void test_listings(void **state)
{
	world *w = *state;
	roster_page *p = NULL;
	roster_id ids[12];
	char name[32];
	int i;

	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "Customer %02d", i);
		assert_int_equal(roster_account_create(&ids[i], w->dir, &w->as_partner,
						       w->partner, name), 0);
	}
	assert_int_equal(roster_list(&p, w->dir, w->partner, ROSTER_KIND_ACCOUNT, NULL, 5), 0);
	assert_int_equal(roster_page_count(p), 5);
	assert_int_equal(roster_page_total(p), 13);
	assert_int_equal(roster_page_id(p, 0), w->account);
	assert_int_equal(roster_page_id(p, 1), ids[0]);
	assert_int_equal(roster_page_id(p, 5), 0);
	assert_non_null(roster_page_next(p));
	roster_page_free(p);
	assert_int_equal(roster_list(&p, w->dir, 0, ROSTER_KIND_PARTNER, NULL, 10), 0);
	assert_int_equal(roster_page_count(p), 2);
	assert_null(roster_page_next(p));
	roster_page_free(p);
	assert_int_equal(roster_list(&p, w->dir, w->account, ROSTER_KIND_PBX, NULL, 10), 0);
	assert_int_equal(roster_page_count(p), 1);
	assert_int_equal(roster_page_id(p, 0), w->pbx);
	roster_page_free(p);
	/* wrong parents */
	assert_int_equal(roster_list(&p, w->dir, w->partner, ROSTER_KIND_USER, NULL, 10),
			 ROSTER_ENOTFOUND);
	assert_int_equal(roster_list(&p, w->dir, 0, ROSTER_KIND_ACCOUNT, NULL, 10),
			 ROSTER_ENOTFOUND);
	assert_int_equal(roster_list(&p, w->dir, w->account, ROSTER_KIND_USER, NULL, 0),
			 ROSTER_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partner_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listings, setup, teardown),
	};

	return cmocka_run_group_tests_name("model/accounts", tests, NULL, NULL);
}
