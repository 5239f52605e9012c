/*
 * refresh.c: two directories on one store. A refresh shows the other's
 * commits; racing writers never lose an update (the loser gets a
 * conflict, sees the winner's state and retries); and the last-admin rule
 * holds even when two directories each remove a different admin.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define ROUNDS 1000

static roster_directory *open_on(roster_memstore *ms)
{
	roster_directory_options o;
	roster_password_policy p;
	roster_directory *d = NULL;

	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_memstore_methods();
	o.store = ms;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION);
	p.hash_cost = 1;
	p.min_length = 8;
	assert_int_equal(roster_directory_set_password_policy(d, &p), 0);
	return d;
}

static void test_refresh_shows_commits(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *b;
	roster_id id, found;
	world *w;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_memstore_methods();
	o.store = ms;
	w = world_new(&o);
	b = open_on(ms);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "New", "Comer",
				    "new@acme.example", 0, &id), 0);
	/* not yet seen by the other directory ... */
	assert_int_equal(roster_user_find_login(&found, b, "new@acme.example"),
			 ROSTER_ENOTFOUND);
	/* ... until it reads the store again */
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_int_equal(roster_user_find_login(&found, b, "new@acme.example"), 0);
	assert_int_equal(found, id);
	/* ids handed out afterwards do not collide */
	{
		roster_actor admin = actor_of(ROSTER_ACTOR_USER, w->admin);
		roster_form *f = NULL;
		roster_id other;
		assert_int_equal(roster_form_new(&f, b), 0);
		roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "B");
		roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Side");
		roster_form_set_str(f, ROSTER_FIELD_EMAIL, "b@acme.example");
		assert_int_equal(roster_user_create(&other, b, &admin, w->account, f), 0);
		assert_true(other > id);
		roster_form_free(f);
	}
	roster_directory_free(b);
	world_free(w);
	roster_memstore_free(ms);
}

/* ------------------------------------------------------------------ */
/* Racing increments of one user's note                                */

typedef struct racer {
	roster_memstore *ms;
	roster_id admin, target;
	int conflicts, failures;
} racer;

static int read_counter(roster_directory *d, roster_id user)
{
	roster_user *u = NULL;
	int v = -1;

	if (roster_user_get(&u, d, user) == 0) {
		const char *n = roster_user_str(u, ROSTER_FIELD_NOTE);
		v = n ? atoi(n) : 0;
	}
	roster_user_free(u);
	return v;
}

static void *increment(void *arg)
{
	racer *r = arg;
	roster_directory *d = NULL;
	roster_directory_options o;
	roster_actor admin = { ROSTER_ACTOR_USER, 0, r->admin };
	roster_form *f = NULL;
	char buf[32];
	int i, rc;

	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_memstore_methods();
	o.store = r->ms;
	if (roster_directory_open(&d, &o) || roster_form_new(&f, d)) {
		r->failures++;
		return NULL;
	}
	for (i = 0; i < ROUNDS; i++) {
		do {
			snprintf(buf, sizeof(buf), "%d", read_counter(d, r->target) + 1);
			roster_form_set_str(f, ROSTER_FIELD_NOTE, buf);
			rc = roster_user_update(d, &admin, r->target, f);
			if (rc == ROSTER_ECONFLICT)
				r->conflicts++;
		} while (rc == ROSTER_ECONFLICT);
		if (rc)
			r->failures++;
	}
	roster_form_free(f);
	roster_directory_free(d);
	return NULL;
}

static void test_no_lost_update(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	racer r[2];
	pthread_t th[2];
	roster_directory *check;
	world *w;
	int i;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_memstore_methods();
	o.store = ms;
	w = world_new(&o);
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].ms = ms;
		r[i].admin = r[i].target = w->admin;
		assert_int_equal(pthread_create(&th[i], NULL, increment, &r[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	check = open_on(ms);
	print_message("%d increments from two directories, %d conflicts retried\n",
		      2 * ROUNDS, r[0].conflicts + r[1].conflicts);
	assert_int_equal(r[0].failures + r[1].failures, 0);
	assert_int_equal(read_counter(check, w->admin), 2 * ROUNDS);
	roster_directory_free(check);
	world_free(w);
	roster_memstore_free(ms);
}

/* ------------------------------------------------------------------ */
/* Two directories each remove a different admin                       */

static void test_last_admin_across_directories(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *a, *b;
	roster_form *fa = NULL, *fb = NULL;
	roster_record *rec = NULL;
	roster_id second, plain;
	world *w;
	int round, ra, rb, refused = 0;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_memstore_methods();
	o.store = ms;
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Sam",
				    "Second", "sam@acme.example", 1, &second), 0);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Pia",
				    "Plain", "pia@acme.example", 0, &plain), 0);
	a = open_on(ms);
	b = open_on(ms);
	assert_int_equal(roster_form_new(&fa, a), 0);
	assert_int_equal(roster_form_new(&fb, b), 0);
	for (round = 0; round < ROUNDS; round++) {
		/* both read two admins; each demotes a different one */
		assert_int_equal(roster_directory_refresh(a), 0);
		assert_int_equal(roster_directory_refresh(b), 0);
		roster_form_set_bool(fa, ROSTER_FIELD_ADMIN, 0);
		roster_form_set_bool(fb, ROSTER_FIELD_ADMIN, 0);
		ra = roster_user_update(a, &w->as_partner, w->admin, fa);
		rb = roster_user_update(b, &w->as_partner, second, fb);
		assert_int_equal(ra, ROSTER_OK);
		/* the second sees, after the conflict, that it would now
		 * remove the last admin */
		assert_int_equal(rb, ROSTER_ECONFLICT);
		rb = roster_user_update(b, &w->as_partner, second, fb);
		assert_int_equal(rb, ROSTER_EPOLICY);
		refused++;
		assert_int_equal(roster_record_get(&rec, b, w->account), 0);
		assert_int_equal(roster_record_admins(rec), 1);
		roster_record_free(rec);
		/* restore the first admin for the next round */
		roster_form_set_bool(fa, ROSTER_FIELD_ADMIN, 1);
		assert_int_equal(roster_user_update(a, &w->as_partner, w->admin, fa), 0);
	}
	print_message("%d rounds: the last-admin rule held every time\n", refused);
	roster_form_free(fa);
	roster_form_free(fb);
	roster_directory_free(a);
	roster_directory_free(b);
	world_free(w);
	roster_memstore_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_shows_commits),
		cmocka_unit_test(test_no_lost_update),
		cmocka_unit_test(test_last_admin_across_directories),
	};

	return cmocka_run_group_tests_name("storage/refresh", tests, NULL, NULL);
}
