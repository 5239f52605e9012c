/*
 * stations.c: station packs and the inventory of each site (000).
 *
 * Orders, disconnects and assignments by hand first; then seeded random
 * sequences of thousands of operations over many sites checked step by
 * step against a simple reference model (every count agrees, in service
 * never exceeds purchased); then the same kind of sequence split across
 * two directories on one store, which conflict and retry; and two threads
 * racing for a site's last station.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"

static const char *const packs[] = { "basic", "standard", "premium" };
#define NPACKS 3

static int set_pack(roster_directory *d, const roster_actor *a, roster_id u,
		    roster_id site, const char *pack, int confirm)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, d), 0);
	if (site)
		roster_form_set_ref(f, ROSTER_FIELD_SITE, site);
	roster_form_set_str(f, ROSTER_FIELD_PACK, pack);
	if (confirm)
		roster_form_confirm(f, ROSTER_CONFIRM_DOWNGRADE);
	rc = roster_user_update(d, a, u, f);
	roster_form_free(f);
	return rc;
}

static void counts(world *w, roster_id site, const char *pack, size_t *p,
		   size_t *u)
{
	assert_int_equal(roster_station_counts(w->dir, &w->as_admin, site, pack,
					       p, u),
			 0);
}

static void test_by_hand(void **state)
{
	world *w = world_new(NULL);
	roster_id u1, u2, paris2;
	roster_actor self;
	size_t p, u;
	char *before, *after;

	(void)state;
	assert_int_equal(roster_site_create(&paris2, w->dir, &w->as_partner,
					    w->account, "Paris 2"), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "One",
				    "a1@acme.example", 0, &u1), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "Two",
				    "a2@acme.example", 0, &u2), 0);
	/* ordering is the partner's, not the account admin's */
	assert_int_equal(roster_station_order(w->dir, &w->as_admin, w->site,
					      "premium", 1),
			 ROSTER_EDENIED);
	assert_int_equal(roster_station_order(w->dir, &w->as_other_partner,
					      w->site, "premium", 1),
			 ROSTER_EDENIED);
	world_events_clear(w);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "premium", 1), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_ACCOUNT_UPDATED), 1);
	counts(w, w->site, "premium", &p, &u);
	assert_int_equal(p, 1);
	assert_int_equal(u, 0);
	/* a pack needs a site, and a station there */
	assert_int_equal(set_pack(w->dir, &w->as_admin, u1, 0, "premium", 0),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "pack.site");
	assert_int_equal(set_pack(w->dir, &w->as_admin, u1, paris2, "premium", 0),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "pack.none_available");
	assert_int_equal(set_pack(w->dir, &w->as_admin, u1, w->site, "premium",
				  0), 0);
	counts(w, w->site, "premium", &p, &u);
	assert_int_equal(u, 1);
	/* the last one is taken */
	before = snapshot_take(w->dir);
	assert_int_equal(set_pack(w->dir, &w->as_admin, u2, w->site, "premium",
				  0), ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "pack.none_available");
	assert_string_equal(roster_error_value(roster_directory_error(w->dir)),
			    "premium");
	/* in service cannot be disconnected */
	assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner,
						   w->site, "premium", 1),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "station.in_service");
	/* the refusals changed nothing */
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "refused");
	free(before);
	free(after);
	/* a change of pack frees the old station, which stays available */
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 2), 0);
	/* more than were purchased, none in service: the refusal says so,
	 * not that stations in service are at stake */
	assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner,
						   w->site, "basic", 3),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "station.in_service");
	assert_string_equal(roster_error_message(roster_directory_error(w->dir)),
			    "only stations purchased and not in service can be "
			    "disconnected (requested > available: 3 > 2)");
	assert_int_equal(set_pack(w->dir, &w->as_admin, u1, 0, "basic", 0),
			 ROSTER_ECONFIRM);
	assert_err(w, ROSTER_ECONFIRM, "pack.downgrade");
	assert_int_equal(set_pack(w->dir, &w->as_admin, u1, 0, "basic", 1), 0);
	counts(w, w->site, "premium", &p, &u);
	assert_int_equal(p, 1);
	assert_int_equal(u, 0);
	counts(w, w->site, "basic", &p, &u);
	assert_int_equal(p, 2);
	assert_int_equal(u, 1);
	/* ... until given to another user */
	assert_int_equal(set_pack(w->dir, &w->as_admin, u2, w->site, "premium",
				  0), 0);
	/* a downgrade to a pack the site has no station of is refused for
	 * the station, as the choices say first, not asked to be confirmed
	 * and then refused */
	assert_int_equal(set_pack(w->dir, &w->as_admin, u2, 0, "standard", 0),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "pack.none_available");
	assert_int_equal(set_pack(w->dir, &w->as_admin, u2, 0, "standard", 1),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "pack.none_available");
	/* no pack at all loses every client: a downgrade, to confirm */
	before = snapshot_take(w->dir);
	assert_int_equal(set_pack(w->dir, &w->as_admin, u2, 0, NULL, 0),
			 ROSTER_ECONFIRM);
	assert_err(w, ROSTER_ECONFIRM, "pack.downgrade");
	assert_non_null(strstr(roster_error_value(roster_directory_error(w->dir)),
			       "desktop"));
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "unconfirmed removal");
	free(before);
	free(after);
	assert_int_equal(set_pack(w->dir, &w->as_admin, u2, 0, NULL, 1), 0);
	counts(w, w->site, "premium", &p, &u);
	assert_int_equal(u, 0);
	assert_int_equal(set_pack(w->dir, &w->as_admin, u2, 0, "premium", 0),
			 0);
	/* a user of the account may read the inventory, outsiders not */
	self = actor_of(ROSTER_ACTOR_USER, u2);
	assert_int_equal(roster_station_counts(w->dir, &self, w->site, "basic",
					       &p, &u), 0);
	assert_int_equal(roster_station_counts(w->dir, &w->as_other_admin,
					       w->site, "basic", &p, &u),
			 ROSTER_EDENIED);
	/* deleting a user frees the station; disconnect it, then the site
	 * can go */
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, paris2,
					      "basic", 3), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, paris2),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "site.stations");
	assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner,
						   paris2, "basic", 3), 0);
	counts(w, paris2, "basic", &p, &u);
	assert_int_equal(p, 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, paris2), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, u1), 0);
	counts(w, w->site, "basic", &p, &u);
	assert_int_equal(u, 0);
	assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner,
						   w->site, "basic", 2), 0);
	/* nor do stations leave with an empty account that holds the site */
	{
		roster_id acc, brno;
		char *before, *after;

		assert_int_equal(roster_account_create(&acc, w->dir, &w->as_partner,
						       w->partner, "Empty"), 0);
		assert_int_equal(roster_site_create(&brno, w->dir, &w->as_partner,
						    acc, "Brno"), 0);
		assert_int_equal(roster_station_order(w->dir, &w->as_partner, brno,
						      "premium", 3), 0);
		before = snapshot_take(w->dir);
		assert_int_equal(roster_record_delete(w->dir, &w->as_partner, acc),
				 ROSTER_EPOLICY);
		assert_err(w, ROSTER_EPOLICY, "site.stations");
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "account kept");
		free(before);
		free(after);
		assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner,
							   brno, "premium", 3), 0);
		/* nor purchased product licences: released first */
		assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
							 acc, "meetings", 2), 0);
		assert_int_equal(roster_record_delete(w->dir, &w->as_partner, acc),
				 ROSTER_EPOLICY);
		assert_err(w, ROSTER_EPOLICY, "account.products");
		assert_int_equal(roster_product_release(w->dir, &w->as_partner,
							acc, "meetings", 2), 0);
		assert_int_equal(roster_record_delete(w->dir, &w->as_partner, acc),
				 0);
	}
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* Against a reference model                                           */

#define SITES 12
#define USERS 60

typedef struct model {
	long purchased[SITES][NPACKS];
	int site[USERS]; /* -1: not created */
	int pack[USERS]; /* -1: none */
} model;

#define STALE 1

typedef struct sim {
	int lenient; /* two directories: a stale refusal is retried */
	world *w;
	roster_directory *dirs[2];
	roster_id sites[SITES];
	roster_id users[USERS];
	model m;
	unsigned seed;
	long steps, refused, conflicts;
} sim;

static unsigned rnd(sim *s)
{
	s->seed = s->seed * 1103515245u + 12345u;
	return (s->seed >> 16) & 0x7fff;
}

static long used(const model *m, int site, int pack)
{
	long n = 0;
	int i;

	for (i = 0; i < USERS; i++)
		n += m->site[i] == site && m->pack[i] == pack;
	return n;
}

/* Clients of each pack are nested: basic < standard < premium. */
static int downgrade(int from, int to)
{
	return from >= 0 && to < from;
}

static void check_model(sim *s, roster_directory *d, long step)
{
	int i, k;

	for (i = 0; i < SITES; i++)
		for (k = 0; k < NPACKS; k++) {
			size_t p = 99, u = 99;
			assert_int_equal(roster_station_counts(d, &s->w->system,
							       s->sites[i],
							       packs[k], &p, &u),
					 0);
			if ((long)p != s->m.purchased[i][k] ||
			    (long)u != used(&s->m, i, k))
				fail_msg("step %ld (seed %u): site %d %s: "
					 "%zu/%zu, the model says %ld/%ld",
					 step, s->seed, i, packs[k], u, p,
					 used(&s->m, i, k), s->m.purchased[i][k]);
			assert_true(u <= p);
		}
}

/* One random operation on directory d; the model follows what the
 * model says must happen, and the result must agree. Returns the rc. */
static int step(sim *s, roster_directory *d)
{
	const roster_actor *sys = &s->w->system;
	int op = (int)(rnd(s) % 6), i = (int)(rnd(s) % SITES);
	int k = (int)(rnd(s) % NPACKS), u = (int)(rnd(s) % USERS);
	unsigned n = 1 + rnd(s) % 3;
	long avail = s->m.purchased[i][k] - used(&s->m, i, k);
	int rc, expect;

	switch (op) {
	case 0: /* order */
		rc = roster_station_order(d, sys, s->sites[i], packs[k], n);
		if (rc == 0)
			s->m.purchased[i][k] += n;
		expect = 0;
		break;
	case 1: /* disconnect */
		rc = roster_station_disconnect(d, sys, s->sites[i], packs[k], n);
		expect = (long)n <= avail ? 0 : ROSTER_EPOLICY;
		if (rc == 0)
			s->m.purchased[i][k] -= n;
		break;
	case 2: /* create a user with a pack */
	case 3: /* give a user a pack (and maybe another site) */ {
		roster_form *f = NULL;
		int same = s->m.site[u] == i && s->m.pack[u] == k;
		if (s->m.site[u] < 0) {
			char email[48];
			roster_id id;
			snprintf(email, sizeof(email), "u%d@acme.example", u);
			assert_int_equal(roster_form_new(&f, d), 0);
			roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "U");
			roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Ser");
			roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
			roster_form_set_ref(f, ROSTER_FIELD_SITE, s->sites[i]);
			roster_form_set_str(f, ROSTER_FIELD_PACK, packs[k]);
			rc = roster_user_create(&id, d, sys, s->w->account, f);
			roster_form_free(f);
			expect = avail >= 1 ? 0 : ROSTER_EPOLICY;
			if (rc == 0)
				s->users[u] = id;
		} else {
			int confirm = (int)(rnd(s) % 2);
			rc = set_pack(d, sys, s->users[u], s->sites[i], packs[k],
				      confirm);
			/* the station first, then the downgrade: as the
			 * choices give their reasons, so that no admin is
			 * asked to confirm what cannot be done */
			expect = same ? 0
				 : avail < 1 ? ROSTER_EPOLICY
				 : downgrade(s->m.pack[u], k) && !confirm
					 ? ROSTER_ECONFIRM
					 : 0;
		}
		if (rc == 0) {
			s->m.site[u] = i;
			s->m.pack[u] = k;
		}
		break;
	}
	case 4: /* delete a user */
		if (s->m.site[u] < 0)
			return 0;
		rc = roster_user_delete(d, sys, s->users[u]);
		expect = 0;
		if (rc == 0)
			s->m.site[u] = s->m.pack[u] = -1;
		break;
	default: /* move a user to another site, same pack */
		if (s->m.site[u] < 0 || s->m.site[u] == i)
			return 0;
		{
			roster_form *f = NULL;
			long there = s->m.purchased[i][s->m.pack[u]] -
				     used(&s->m, i, s->m.pack[u]);
			assert_int_equal(roster_form_new(&f, d), 0);
			roster_form_set_ref(f, ROSTER_FIELD_SITE, s->sites[i]);
			rc = roster_user_update(d, sys, s->users[u], f);
			roster_form_free(f);
			expect = there >= 1 ? 0 : ROSTER_EPOLICY;
			if (rc == 0)
				s->m.site[u] = i;
		}
	}
	if (rc == ROSTER_ECONFLICT)
		return rc; /* the other directory changed it: retried */
	/* a directory that has not seen the other's commits may refuse
	 * what the store would allow (never the reverse: its writes would
	 * conflict); the caller refreshes and tries again */
	if (s->lenient && rc != 0 && expect == 0 && rc != expect)
		return STALE;
	if (rc != expect)
		fail_msg("step %ld (seed %u): operation %d returned %d (%s), "
			 "the model expects %d",
			 s->steps, s->seed, op, rc,
			 roster_error_rule(roster_directory_error(d)), expect);
	s->refused += rc != 0;
	return rc;
}

static void sim_init(sim *s, const roster_directory_options *o, unsigned seed)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->w = world_new(o);
	for (i = 0; i < SITES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Site %d", i);
		assert_int_equal(roster_site_create(&s->sites[i], s->w->dir,
						    &s->w->system, s->w->account,
						    name), 0);
	}
	for (i = 0; i < USERS; i++)
		s->m.site[i] = s->m.pack[i] = -1;
	s->dirs[0] = s->dirs[1] = s->w->dir;
}

static void test_random_sequences(void **state)
{
	unsigned seeds[] = { 1, 2, 3, 20261123 };
	long total = 0, refused = 0;
	size_t t;

	(void)state;
	for (t = 0; t < sizeof(seeds) / sizeof(seeds[0]); t++) {
		sim s;
		long n;

		sim_init(&s, NULL, seeds[t]);
		for (n = 0; n < 2500; n++) {
			s.steps = n;
			step(&s, s.w->dir);
			check_model(&s, s.w->dir, n);
		}
		total += n;
		refused += s.refused;
		world_free(s.w);
	}
	print_message("%ld random steps over %d sites, %ld refused as the "
		      "model said; counts agreed after every step\n",
		      total, SITES, refused);
}

/* The same, split across two directories on one store. */
static void test_two_directories(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *b = NULL;
	sim s;
	long n;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	sim_init(&s, &o, 77);
	s.lenient = 1;
	assert_int_equal(roster_directory_open(&b, &o), 0);
	s.dirs[1] = b;
	for (n = 0; n < 3000; n++) {
		roster_directory *d = s.dirs[rnd(&s) % 2];
		int rc, tries = 0;

		s.steps = n;
		/* the other directory's commits are seen only after a
		 * conflict (which refreshes) or now and then */
		if (rnd(&s) % 8 == 0)
			assert_int_equal(roster_directory_refresh(d), 0);
		do {
			unsigned saved = s.seed;
			rc = step(&s, d);
			if (rc == ROSTER_ECONFLICT || rc == STALE) {
				if (rc == ROSTER_ECONFLICT)
					s.conflicts++;
				else
					assert_int_equal(
						roster_directory_refresh(d), 0);
				s.seed = saved; /* the same operation again */
			}
		} while ((rc == ROSTER_ECONFLICT || rc == STALE) && ++tries < 3);
		assert_int_not_equal(rc, ROSTER_ECONFLICT);
		assert_int_not_equal(rc, STALE);
		if (n % 100 == 0) {
			assert_int_equal(roster_directory_refresh(s.dirs[0]), 0);
			assert_int_equal(roster_directory_refresh(s.dirs[1]), 0);
			check_model(&s, s.dirs[0], n);
			check_model(&s, s.dirs[1], n);
		}
	}
	print_message("3000 steps from two directories on one store, %ld "
		      "conflicts retried, counts agreed\n",
		      s.conflicts);
	roster_directory_free(b);
	world_free(s.w);
	roster_memstore_free(ms);
}

/* ------------------------------------------------------------------ */
/* Two threads racing for the last station                             */

#define ROUNDS 500

typedef struct racer {
	roster_memstore *ms;
	pthread_barrier_t *start, *done;
	const world *w;
	roster_id user;
	int won, refused, conflicts, failures;
} racer;

static void *take(void *arg)
{
	racer *r = arg;
	roster_directory_options o;
	roster_directory *d = NULL;
	int round, rc;

	o = memstore_options(r->ms);
	if (roster_directory_open(&d, &o))
		r->failures++;
	for (round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(r->start);
		if (d && roster_directory_refresh(d))
			r->failures++;
		do {
			rc = d ? set_pack(d, &r->w->system, r->user, r->w->site,
					  "premium", 0)
			       : ROSTER_ERROR;
			r->conflicts += rc == ROSTER_ECONFLICT;
		} while (rc == ROSTER_ECONFLICT);
		if (rc == 0)
			r->won++;
		else if (rc == ROSTER_EPOLICY)
			r->refused++;
		else
			r->failures++;
		pthread_barrier_wait(r->done);
	}
	roster_directory_free(d);
	return NULL;
}

static void test_last_station_race(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	pthread_barrier_t start, done;
	pthread_t th[2];
	racer r[2];
	roster_form *f = NULL;
	world *w;
	size_t p, u;
	int i, round;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	w = world_new(&o);
	assert_int_equal(roster_station_order(w->dir, &w->system, w->site,
					      "premium", 1), 0);
	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].ms = ms;
		r[i].start = &start;
		r[i].done = &done;
		r[i].w = w;
		assert_int_equal(world_user(w, &w->as_admin, w->account, "R",
					    i ? "Two" : "One",
					    i ? "r2@acme.example"
					      : "r1@acme.example",
					    0, &r[i].user), 0);
	}
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_PACK, NULL);
	/* no pack loses the clients: a downgrade, confirmed */
	assert_int_equal(roster_form_confirm(f, ROSTER_CONFIRM_DOWNGRADE), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, take, &r[i]), 0);
	for (round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		assert_int_equal(roster_directory_refresh(w->dir), 0);
		counts(w, w->site, "premium", &p, &u);
		assert_int_equal(p, 1);
		assert_int_equal(u, 1);
		/* free it again for the next round */
		for (i = 0; i < 2; i++)
			assert_int_equal(roster_user_update(w->dir, &w->system,
							    r[i].user, f), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	print_message("%d rounds: %d + %d won the last station, %d + %d "
		      "refused, %d conflicts retried\n",
		      ROUNDS, r[0].won, r[1].won, r[0].refused, r[1].refused,
		      r[0].conflicts + r[1].conflicts);
	assert_int_equal(r[0].failures + r[1].failures, 0);
	assert_int_equal(r[0].won + r[1].won, ROUNDS);
	assert_int_equal(r[0].refused + r[1].refused, ROUNDS);
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);
	roster_form_free(f);
	world_free(w);
	roster_memstore_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_random_sequences),
		cmocka_unit_test(test_two_directories),
		cmocka_unit_test(test_last_station_race),
	};

	return cmocka_run_group_tests_name("model/stations", tests, NULL, NULL);
}
