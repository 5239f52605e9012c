/*
 * products.c: countable product licences (003): purchases, assignment to
 * one user or a selection (all or nothing, with the numbers when too few
 * are left), release refused while assigned, who may do what, the store,
 * and two directories racing for the last licence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"

static void counts(world *w, size_t *p, size_t *u)
{
	assert_int_equal(roster_product_counts(w->dir, &w->as_admin, w->account,
					       "meetings", p, u),
			 0);
}

static void test_assign_selection(void **state)
{
	world *w = world_new(NULL);
	roster_id u[4];
	size_t p, a, n;
	char *before, *after;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char email[32];
		snprintf(email, sizeof(email), "m%d@acme.example", i);
		assert_int_equal(world_user(w, &w->as_admin, w->account, "M",
					    "Eet", email, 0, &u[i]), 0);
	}
	u[3] = u[0]; /* listed twice */
	/* none bought, none to release: the refusal says so, not that
	 * licences are assigned */
	assert_int_equal(roster_product_release(w->dir, &w->as_partner,
						w->account, "meetings", 1),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "product.in_use");
	assert_string_equal(roster_error_message(roster_directory_error(w->dir)),
			    "only product licences bought and not assigned can "
			    "be released (requested > available: 1 > 0)");
	/* buying is the partner's */
	assert_int_equal(roster_product_purchase(w->dir, &w->as_admin,
						 w->account, "meetings", 2),
			 ROSTER_EDENIED);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 2), 0);
	counts(w, &p, &a);
	assert_int_equal(p, 2);
	assert_int_equal(a, 0);
	/* three need one each, two are left: none is assigned */
	before = snapshot_take(w->dir);
	world_events_clear(w);
	n = 9;
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       u, 4, &n),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "product.none_available");
	assert_string_equal(roster_error_value(roster_directory_error(w->dir)),
			    "3 > 2");
	assert_int_equal(n, 0);
	assert_int_equal(w->nevents, 0);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "refused selection");
	free(after);
	/* two of them, the first listed twice */
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       u + 3, 1, &n), 0);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       u, 2, &n), 0);
	assert_int_equal(n, 1); /* u[0] had it already */
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 2);
	counts(w, &p, &a);
	assert_int_equal(a, 2);
	/* again: nothing to do, nothing happens */
	world_events_clear(w);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       u, 2, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(w->nevents, 0);
	/* assigned licences cannot be released */
	assert_int_equal(roster_product_release(w->dir, &w->as_partner,
						w->account, "meetings", 1),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "product.in_use");
	/* taking it away frees it; deleting a user too */
	assert_int_equal(roster_product_unassign(w->dir, &w->as_admin,
						 "meetings", u + 1, 2, &n), 0);
	assert_int_equal(n, 1); /* u[2] had none */
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, u[0]), 0);
	counts(w, &p, &a);
	assert_int_equal(p, 2);
	assert_int_equal(a, 0);
	assert_int_equal(roster_product_release(w->dir, &w->as_partner,
						w->account, "meetings", 2), 0);
	counts(w, &p, &a);
	assert_int_equal(p, 0);
	/* a selection has no size limit (a page's is no bound on "select
	 * all"): 20,000 entries naming the two left, each counting once */
	{
		size_t k, big = 20000;
		roster_id *sel = calloc(big, sizeof(*sel));

		assert_non_null(sel);
		for (k = 0; k < big; k++)
			sel[k] = u[1 + k % 2];
		assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
							 w->account, "meetings",
							 2), 0);
		assert_int_equal(roster_product_assign(w->dir, &w->as_admin,
						       "meetings", sel, big,
						       &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(roster_product_unassign(w->dir, &w->as_admin,
							 "meetings", sel, big,
							 &n), 0);
		assert_int_equal(n, 2);
		free(sel);
	}
	free(before);
	world_free(w);
}

static void test_who_may(void **state)
{
	world *w = world_new(NULL);
	roster_actor self;
	roster_id u, mixed[2];
	size_t p, a;

	(void)state;
	assert_int_equal(world_user(w, &w->as_admin, w->account, "M", "Eet",
				    "m@acme.example", 0, &u), 0);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 5), 0);
	self = actor_of(ROSTER_ACTOR_USER, u);
	/* a user may see the account's numbers but not take a licence */
	assert_int_equal(roster_product_counts(w->dir, &self, w->account,
					       "meetings", &p, &a), 0);
	assert_int_equal(p, 5);
	assert_int_equal(roster_product_assign(w->dir, &self, "meetings", &u, 1,
					       NULL),
			 ROSTER_EDENIED);
	/* outsiders see nothing and assign nothing */
	assert_int_equal(roster_product_counts(w->dir, &w->as_other_admin,
					       w->account, "meetings", &p, &a),
			 ROSTER_EDENIED);
	assert_int_equal(roster_product_assign(w->dir, &w->as_other_admin,
					       "meetings", &u, 1, NULL),
			 ROSTER_EDENIED);
	/* one selection, one account */
	mixed[0] = u;
	mixed[1] = w->other_admin;
	assert_int_equal(roster_product_assign(w->dir, &w->system, "meetings",
					       mixed, 2, NULL),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "product.account");
	mixed[1] = 999999;
	assert_int_equal(roster_product_assign(w->dir, &w->system, "meetings",
					       mixed, 2, NULL),
			 ROSTER_ENOTFOUND);
	/* a partner's selection spanning two of its accounts and, after
	 * them, another partner's: refused for the reach, whatever the
	 * order of the identifiers */
	{
		roster_id acc2, v, x, sel[3];
		assert_int_equal(roster_account_create(&acc2, w->dir,
						       &w->as_partner,
						       w->partner, "Second"),
				 0);
		assert_int_equal(world_user(w, &w->as_partner, acc2, "S", "Two",
					    "s@two.example", 0, &v), 0);
		/* the outsider's user has the highest identifier */
		assert_int_equal(world_user(w, &w->as_other_admin,
					    w->other_account, "X", "Out",
					    "x@other.example", 0, &x), 0);
		assert_true(u < v && v < x);
		sel[0] = u;
		sel[1] = v;
		sel[2] = x;
		assert_int_equal(roster_product_assign(w->dir, &w->as_partner,
						       "meetings", sel, 3, NULL),
				 ROSTER_EDENIED);
		assert_err(w, ROSTER_EDENIED, "auth.scope");
		assert_int_equal(roster_product_unassign(w->dir, &w->as_partner,
							 "meetings", sel, 3,
							 NULL),
				 ROSTER_EDENIED);
		/* its own two accounts: the one-account rule */
		assert_int_equal(roster_product_assign(w->dir, &w->as_partner,
						       "meetings", sel, 2, NULL),
				 ROSTER_EINVALID);
		assert_err(w, ROSTER_EINVALID, "product.account");
	}
	assert_int_equal(roster_product_assign(w->dir, &w->system, "golf", &u, 1,
					       NULL),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "product.unknown");
	world_free(w);
}

/* A product or a pack the catalog has dropped: reported on its holders,
 * never bought, ordered or assigned again, but still released,
 * unassigned, disconnected and counted, so that the account and the site
 * can be emptied and deleted. */
static void test_dropped_from_catalog(void **state)
{
	world *w = world_new(NULL);
	roster_catalog *cat = NULL;
	roster_page *report = NULL;
	roster_id u, site;
	size_t p, a, n;
	char *mine = catalog_xml_copy();

	(void)state;
	assert_int_equal(roster_site_create(&site, w->dir, &w->as_partner,
					    w->account, "Annex"), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "M", "Eet",
				    "m@acme.example", 0, &u), 0);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 2), 0);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       &u, 1, NULL), 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, site,
					      "basic", 2), 0);
	/* the default catalog, without "meetings" and "basic" */
	catalog_xml_edit(mine, "<product id=\"meetings\"",
			 "<product id=\"meetingz\"");
	catalog_xml_edit(mine, "<pack id=\"basic\"", "<pack id=\"basiq\"");
	cat = catalog_xml_load(mine);
	assert_int_equal(roster_directory_set_catalog(w->dir, cat, &report), 0);
	/* the holder is reported */
	assert_int_equal(roster_page_count(report), 1);
	assert_int_equal(roster_page_id(report, 0), u);
	roster_page_free(report);
	/* no more of them */
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 1),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "product.unknown");
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       &w->admin, 1, NULL),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "product.unknown");
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, site,
					      "basic", 1),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "pack.unknown");
	/* what is held is still counted, taken back and given back */
	assert_int_equal(roster_product_counts(w->dir, &w->as_admin, w->account,
					       "meetings", &p, &a), 0);
	assert_int_equal(p, 2);
	assert_int_equal(a, 1);
	assert_int_equal(roster_product_release(w->dir, &w->as_partner,
						w->account, "meetings", 2),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "product.in_use");
	n = 0;
	assert_int_equal(roster_product_unassign(w->dir, &w->as_admin,
						 "meetings", &u, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(roster_product_release(w->dir, &w->as_partner,
						w->account, "meetings", 2), 0);
	assert_int_equal(roster_station_counts(w->dir, &w->as_admin, site,
					       "basic", &p, &a), 0);
	assert_int_equal(p, 2);
	assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner, site,
						   "basic", 2), 0);
	/* nothing left: unknown again, and the site can go */
	assert_int_equal(roster_product_counts(w->dir, &w->as_admin, w->account,
					       "meetings", &p, &a),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "product.unknown");
	assert_int_equal(roster_product_unassign(w->dir, &w->as_admin,
						 "meetings", &u, 1, NULL),
			 ROSTER_EINVALID);
	assert_int_equal(roster_product_release(w->dir, &w->as_partner,
						w->account, "meetings", 1),
			 ROSTER_EINVALID);
	assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner, site,
						   "basic", 1),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "pack.unknown");
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, site), 0);
	roster_catalog_free(cat);
	free(mine);
	world_free(w);
}

/* Kept by the store; two directories race for the last licence. */
static void test_store_and_race(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *b = NULL;
	roster_user *got = NULL;
	roster_id u1, u2;
	size_t p, a;
	int ra, rb;
	world *w;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "One",
				    "a1@acme.example", 0, &u1), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "Two",
				    "a2@acme.example", 0, &u2), 0);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 1), 0);
	assert_int_equal(roster_directory_open(&b, &o), 0);
	/* both see one available; the second to commit conflicts, then sees
	 * none left */
	ra = roster_product_assign(w->dir, &w->as_admin, "meetings", &u1, 1,
				   NULL);
	rb = roster_product_assign(b, &w->as_admin, "meetings", &u2, 1, NULL);
	assert_int_equal(ra, 0);
	assert_int_equal(rb, ROSTER_ECONFLICT);
	rb = roster_product_assign(b, &w->as_admin, "meetings", &u2, 1, NULL);
	assert_int_equal(rb, ROSTER_EPOLICY);
	assert_int_equal(roster_product_counts(b, &w->as_admin, w->account,
					       "meetings", &p, &a), 0);
	assert_int_equal(p, 1);
	assert_int_equal(a, 1);
	assert_int_equal(roster_user_get(&got, b, u1), 0);
	assert_int_equal(roster_user_product_count(got), 1);
	roster_user_free(got);
	roster_directory_free(b);
	world_free(w);
	roster_memstore_free(ms);
}

/* What the events of an assignment tell the host: one user.updated per
 * user changed, in ascending id order, naming the user, its account and
 * partner, and carrying its e-mail and admin flag as every other
 * user.updated does. */
static void expect_updated(const rec_event *e, const world *w, roster_id user,
			   const char *email, int admin)
{
	assert_int_equal(e->type, ROSTER_EVENT_USER_UPDATED);
	assert_int_equal(e->user, user);
	assert_int_equal(e->account, w->account);
	assert_int_equal(e->partner, w->partner);
	assert_string_equal(e->email, email);
	assert_int_equal(e->admin, admin);
}

static void test_events(void **state)
{
	world *w = world_new(NULL);
	roster_id u, sel[3];
	size_t n;

	(void)state;
	assert_int_equal(world_user(w, &w->as_admin, w->account, "E", "Vent",
				    "Event@Acme.example", 0, &u), 0);
	assert_true(w->admin < u);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 2), 0);
	sel[0] = u;
	sel[1] = w->admin;
	sel[2] = u;
	world_events_clear(w);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       sel, 3, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(w->nevents, 2);
	expect_updated(&w->events[0], w, w->admin, "ada@acme.example", 1);
	expect_updated(&w->events[1], w, u, "Event@Acme.example", 0);
	world_events_clear(w);
	assert_int_equal(roster_product_unassign(w->dir, &w->as_admin,
						 "meetings", sel, 3, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(w->nevents, 2);
	expect_updated(&w->events[0], w, w->admin, "ada@acme.example", 1);
	expect_updated(&w->events[1], w, u, "Event@Acme.example", 0);
	world_free(w);
}

static size_t line_of(const roster_billing *b, int kind, const char *item)
{
	size_t i;

	for (i = 0; i < roster_billing_count(b); i++)
		if (roster_billing_kind(b, i) == kind &&
		    strcmp(roster_billing_item(b, i), item) == 0)
			return roster_billing_quantity(b, i);
	fail_msg("no billing line %d %s", kind, item);
	return 0;
}

/* Users by licence, pack, product and paid option, without do-not-bill. */
static void test_billing(void **state)
{
	static const char *const lic[] = { "video", "callcentrum-mini" };
	world *w = world_new(NULL);
	roster_billing *b = NULL;
	roster_form *f = NULL;
	roster_id u[3];
	size_t i;

	(void)state;
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, NULL, lic, 2),
			 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 5), 0);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 5), 0);
	for (i = 0; i < 3; i++) {
		char email[32];
		snprintf(email, sizeof(email), "b%zu@acme.example", i);
		assert_int_equal(roster_form_new(&f, w->dir), 0);
		roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "B");
		roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Ill");
		roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
		roster_form_set_str(f, ROSTER_FIELD_LICENCE, "video");
		roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
		roster_form_set_str(f, ROSTER_FIELD_PACK, "basic");
		roster_form_set_bool(f, ROSTER_FIELD_API_COMMUNICATOR, 1);
		/* the third is a system user nobody pays for */
		roster_form_set_bool(f, ROSTER_FIELD_SYSTEM_USER, i == 2);
		roster_form_set_bool(f, ROSTER_FIELD_DO_NOT_BILL, i == 2);
		assert_int_equal(roster_user_create(&u[i], w->dir, &w->system,
						    w->account, f), 0);
		roster_form_free(f);
	}
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       u, 3, NULL), 0);
	assert_int_equal(roster_billing_summary(&b, w->dir, &w->as_admin,
						w->account), 0);
	/* the harness's admin and the first two */
	assert_int_equal(roster_billing_users(b), 3);
	assert_int_equal(roster_billing_excluded(b), 1);
	assert_int_equal(line_of(b, ROSTER_ITEM_LICENCE, "video"), 2);
	assert_int_equal(line_of(b, ROSTER_ITEM_LICENCE, "callcentrum-mini"), 0);
	assert_int_equal(line_of(b, ROSTER_ITEM_PACK, "basic"), 2);
	assert_int_equal(line_of(b, ROSTER_ITEM_PRODUCT, "meetings"), 2);
	assert_int_equal(line_of(b, ROSTER_BILLING_OPTION, "api_communicator"),
			 2);
	/* every licence, pack and product of the catalog has its line */
	assert_int_equal(roster_billing_count(b), 13 + 3 + 1 + 1);
	assert_int_equal(roster_billing_kind(b, 99), 0);
	assert_null(roster_billing_item(b, 99));
	assert_int_equal(roster_billing_quantity(b, 99), 0);
	roster_billing_free(b);
	/* for the account's people and its partner only */
	assert_int_equal(roster_billing_summary(&b, w->dir, &w->as_other_partner,
						w->account),
			 ROSTER_EDENIED);
	assert_null(b);
	assert_int_equal(roster_billing_summary(&b, w->dir, &w->as_admin,
						w->site),
			 ROSTER_ENOTFOUND);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assign_selection),
		cmocka_unit_test(test_who_may),
		cmocka_unit_test(test_dropped_from_catalog),
		cmocka_unit_test(test_store_and_race),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_billing),
	};

	return cmocka_run_group_tests_name("model/products", tests, NULL, NULL);
}
