/*
 * refresh.c: two directories on one store. A refresh shows the other's
 * commits; racing writers never lose an update (the loser gets a
 * conflict, sees the winner's state and retries); and the last-admin rule
 * holds even when two directories each remove a different admin, in turn
 * or from two threads at once.
 *
 * Every test runs once per backend (tests/support/stores.h): the shared
 * memory store, and two handles on one file for the file store and the
 * example SQLite store.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"
#include "textbuf.h"
#include "stores.h"

#define ROUNDS 1000

static roster_directory *open_on(fixture *fx, void *store)
{
	roster_directory_options o;
	roster_password_policy p;
	roster_directory *d = NULL;

	o = on_store(ST(fx), store);
	assert_int_equal(roster_directory_open(&d, &o), 0);
	roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION);
	p.hash_cost = 1;
	p.min_length = 8;
	assert_int_equal(roster_directory_set_password_policy(d, &p), 0);
	return d;
}

static void test_refresh_shows_commits(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	roster_id id, found;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	b = open_on(fx, fx_open(fx));
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
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* Racing increments of one user's note                                */

typedef struct racer {
	fixture *fx;
	void *store; /* this racer's handle */
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

	o = on_store(ST(r->fx), r->store);
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

/* Allocation hooks that count, for a directory whose refreshes are
 * watched: reading the store again allocates for every record. */
static long allocations, fail_at; /* fail_at: the one that fails, 0 none */

static void *count_malloc(size_t size, void *data)
{
	(void)data;
	return ++allocations == fail_at ? NULL : malloc(size);
}

static void *count_realloc(void *p, size_t size, void *data)
{
	(void)data;
	return ++allocations == fail_at ? NULL : realloc(p, size);
}

static void count_free(void *p, void *data)
{
	(void)data;
	free(p);
}

static void rename_user(world *w, roster_id id, const char *last)
{
	roster_form *f = NULL;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, last),
			 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), 0);
	roster_form_free(f);
}

/* A refresh with nothing new in the store reads no record again (it
 * allocates nothing but its bitmap of the records held, so that a key
 * handed twice is not counted twice); anything new, a record or only a
 * counter, is read. */
static void test_refresh_unchanged(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b = NULL;
	roster_user *u = NULL;
	roster_id id, other;
	size_t acked;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Una", "Changed",
				    "una@acme.example", 0, &id), 0);
	o = on_store(ST(fx), fx_open(fx));
	o.malloc_fn = count_malloc;
	o.realloc_fn = count_realloc;
	o.free_fn = count_free;
	assert_int_equal(roster_directory_open(&b, &o), 0);
	/* nothing new */
	allocations = 0;
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_int_equal(allocations, 1);
	/* the other directory acknowledges its events: still nothing new */
	assert_int_equal(roster_outbox_ack(w->dir, 1, UINT64_MAX, &acked), 0);
	assert_true(acked > 0);
	allocations = 0;
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_int_equal(allocations, 1);
	/* a record changed: read, and seen */
	rename_user(w, id, "Renamed");
	allocations = 0;
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_true(allocations > 1);
	assert_int_equal(roster_user_get(&u, b, id), 0);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_LAST_NAME),
			    "Renamed");
	roster_user_free(u);
	/* its own commit is no news to it */
	{
		roster_form *f = NULL;
		roster_actor admin = actor_of(ROSTER_ACTOR_USER, w->admin);

		assert_int_equal(roster_form_new(&f, b), 0);
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "b"),
				 0);
		assert_int_equal(roster_user_update(b, &admin, id, f), 0);
		roster_form_free(f);
	}
	allocations = 0;
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_int_equal(allocations, 1);
	/* a user created and deleted again: the same records, but an
	 * identifier handed out (the counter's version): read */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Brief", "Stay",
				    "brief@acme.example", 0, &other), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, other), 0);
	allocations = 0;
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_true(allocations > 1);
	/* a deleted record (the other directory sees the note first): read,
	 * and gone */
	assert_int_equal(roster_directory_refresh(w->dir), 0);
	allocations = 0;
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, id), 0);
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_true(allocations > 1);
	assert_int_equal(roster_user_get(&u, b, id), ROSTER_ENOTFOUND);
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

static void test_no_lost_update(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	racer r[2];
	pthread_t th[2];
	roster_directory *check;
	world *w;
	int i;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].fx = fx;
		r[i].store = fx_open(fx);
	}
	for (i = 0; i < 2; i++) {
		r[i].admin = r[i].target = w->admin;
		assert_int_equal(pthread_create(&th[i], NULL, increment, &r[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	check = open_on(fx, fx_open(fx));
	print_message("%s: %d increments from two directories, %d conflicts "
		      "retried\n", fx->be->name, 2 * ROUNDS,
		      r[0].conflicts + r[1].conflicts);
	assert_int_equal(r[0].failures + r[1].failures, 0);
	assert_int_equal(read_counter(check, w->admin), 2 * ROUNDS);
	roster_directory_free(check);
	world_free(w);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* Two directories each remove a different admin                       */

static void test_last_admin_across_directories(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *a, *b;
	roster_form *fa = NULL, *fb = NULL;
	roster_record *rec = NULL;
	roster_id second, plain;
	world *w;
	int round, ra, rb, refused = 0;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Sam",
				    "Second", "sam@acme.example", 1, &second), 0);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Pia",
				    "Plain", "pia@acme.example", 0, &plain), 0);
	a = open_on(fx, fx_open(fx));
	b = open_on(fx, fx_open(fx));
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
	print_message("%s: %d rounds: the last-admin rule held every time\n",
		      fx->be->name, refused);
	roster_form_free(fa);
	roster_form_free(fb);
	roster_directory_free(a);
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/*
 * An admin demoted, or deleted, through one directory changes nothing
 * more through another that has not read it yet: the commit finds the
 * admin's record changed (a conflict, then a refresh), and the retry is
 * refused; the admin's record keeps its version as it acts. A store that
 * cannot check (`check` NULL) is not asked: there the stale directory's
 * change goes through, as before, until it reads the change.
 */
static void revoked_admin_across_directories(void **state, int can_check)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_storage methods = *ST(fx);
	roster_directory_options o;
	roster_directory *b;
	roster_form *f = NULL;
	roster_id plain, gone, stays;
	roster_actor as_gone;
	const roster_error *e;
	uint64_t v;
	world *w;

	if (!can_check)
		methods.check = NULL;
	o = on_store(&methods, ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Pia",
				    "Plain", "pia@acme.example", 0, &plain), 0);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Gil",
				    "Gone", "gil@acme.example", 1, &gone), 0);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Sam",
				    "Stays", "sam@acme.example", 1, &stays), 0);
	as_gone = actor_of(ROSTER_ACTOR_USER, gone);
	o = on_store(&methods, fx_open(fx));
	assert_int_equal(roster_directory_open(&b, &o), 0);

	v = user_version(w->dir, w->admin);
	assert_int_equal(set_note(w->dir, &w->as_admin, plain, "one"), 0);
	assert_true(user_version(w->dir, w->admin) == v);

	/* demoted through b */
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_int_equal(roster_form_new(&f, b), 0);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 0), 0);
	assert_int_equal(roster_user_update(b, &w->as_partner, w->admin, f), 0);
	world_events_clear(w);
	if (!can_check) {
		assert_int_equal(set_note(w->dir, &w->as_admin, plain, "two"),
				 0);
		roster_form_free(f);
		roster_directory_free(b);
		world_free(w);
		fx_free(fx);
		return;
	}
	assert_int_equal(set_note(w->dir, &w->as_admin, plain, "two"),
			 ROSTER_ECONFLICT);
	e = roster_directory_error(w->dir);
	assert_string_equal(roster_error_rule(e), "storage.conflict");
	assert_int_equal(w->nevents, 0);
	assert_int_equal(set_note(w->dir, &w->as_admin, plain, "two"),
			 ROSTER_EDENIED);

	/* deleted through b (an admin is demoted first): the same */
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_int_equal(roster_user_update(b, &w->as_partner, gone, f), 0);
	assert_int_equal(roster_user_delete(b, &w->as_partner, gone), 0);
	assert_int_equal(set_note(w->dir, &as_gone, plain, "three"),
			 ROSTER_ECONFLICT);
	assert_int_equal(set_note(w->dir, &as_gone, plain, "three"),
			 ROSTER_EDENIED);
	assert_string_equal(roster_error_rule(roster_directory_error(w->dir)),
			    "auth.actor");

	/* nothing either wrote is lost, nothing refused is there */
	assert_int_equal(roster_directory_refresh(b), 0);
	{
		roster_user *u = NULL;

		assert_int_equal(roster_user_get(&u, b, plain), 0);
		assert_string_equal(roster_user_str(u, ROSTER_FIELD_NOTE), "one");
		roster_user_free(u);
	}
	roster_form_free(f);
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

static void test_revoked_admin_across_directories(void **state)
{
	revoked_admin_across_directories(state, 1);
}

static void test_revoked_admin_store_without_check(void **state)
{
	revoked_admin_across_directories(state, 0);
}

/* ------------------------------------------------------------------ */
/* The same, from two threads at once                                  */

typedef struct demoter {
	fixture *fx;
	void *store;
	pthread_barrier_t *start, *done;
	const world *w;
	roster_id victim; /* the admin this thread demotes */
	int rounds_won, refused, conflicts, failures;
} demoter;

static void *demote(void *arg)
{
	demoter *t = arg;
	roster_directory_options o = on_store(ST(t->fx), t->store);
	roster_directory *d = NULL;
	roster_form *f = NULL;
	int round, rc;

	if (roster_directory_open(&d, &o) || roster_form_new(&f, d))
		t->failures++;
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 0);
	for (round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(t->start);
		if (d && roster_directory_refresh(d))
			t->failures++;
		do {
			rc = d ? roster_user_update(d, &t->w->as_partner,
						    t->victim, f)
			       : ROSTER_ERROR;
			if (rc == ROSTER_ECONFLICT)
				t->conflicts++;
		} while (rc == ROSTER_ECONFLICT);
		if (rc == ROSTER_OK)
			t->rounds_won++;
		else if (rc == ROSTER_EPOLICY)
			t->refused++;
		else
			t->failures++;
		pthread_barrier_wait(t->done);
	}
	roster_form_free(f);
	roster_directory_free(d);
	return NULL;
}

/*
 * Two threads, each with its own directory (and its own handle on a file
 * store), each try at once to demote a different one of the account's two
 * admins, ROUNDS times. Exactly one wins each round; the other is refused
 * by the last-admin rule once it sees the winner's commit.
 */
static void test_last_admin_threads(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	pthread_barrier_t start, done;
	roster_record *rec = NULL;
	roster_form *f = NULL;
	demoter t[2];
	pthread_t th[2];
	roster_id second;
	world *w;
	int round, i, held = 0;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Sam",
				    "Second", "sam@acme.example", 1, &second), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	for (i = 0; i < 2; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].fx = fx;
		t[i].store = fx_open(fx);
		t[i].start = &start;
		t[i].done = &done;
		t[i].w = w;
		t[i].victim = i ? second : w->admin;
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, demote, &t[i]), 0);
	for (round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		/* one admin left, as the store has it */
		assert_int_equal(roster_directory_refresh(w->dir), 0);
		assert_int_equal(roster_record_get(&rec, w->dir, w->account), 0);
		held += roster_record_admins(rec) == 1;
		roster_record_free(rec);
		/* both admins again for the next round */
		assert_int_equal(roster_user_update(w->dir, &w->as_partner,
						    w->admin, f), 0);
		assert_int_equal(roster_user_update(w->dir, &w->as_partner,
						    second, f), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	print_message("%s: %d rounds from two threads: %d + %d won, %d + %d "
		      "refused, %d conflicts retried\n",
		      fx->be->name, ROUNDS, t[0].rounds_won, t[1].rounds_won,
		      t[0].refused, t[1].refused,
		      t[0].conflicts + t[1].conflicts);
	assert_int_equal(t[0].failures + t[1].failures, 0);
	assert_int_equal(held, ROUNDS);
	assert_int_equal(t[0].rounds_won + t[1].rounds_won, ROUNDS);
	assert_int_equal(t[0].refused + t[1].refused, ROUNDS);
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);
	roster_form_free(f);
	world_free(w);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* Reading only what changed                                           */

/* What the searches of a few prefixes, with and without filters, find in
 * the world's account, and how many: as text, to compare directories. */
static char *searches_of(roster_directory *d, const world *w)
{
	static const char *const texts[] = { "", "m", "ma", "dv", "zo",
					     "le", "u1", "acme", "+33" };
	textbuf out = { NULL, 0, 0 };
	size_t i, k, n;
	roster_query *q = NULL;

	assert_int_equal(roster_query_new(&q), 0);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		for (k = 0; k < 4; k++) {
			roster_page *pg = NULL;
			size_t j;
			roster_query_clear(q);
			assert_int_equal(roster_query_set_text(q, texts[i]), 0);
			if (k & 1)
				assert_int_equal(roster_query_filter(
							 q, ROSTER_FILTER_ADMINS),
						 0);
			if (k & 2)
				assert_int_equal(roster_query_ref(
							 q, ROSTER_FIELD_GROUP,
							 w->group),
						 0);
			assert_int_equal(roster_search(&pg, d, &w->as_partner,
						       w->account, q, NULL, 40),
					 0);
			assert_int_equal(roster_search_count(&n, d,
							     &w->as_partner,
							     w->account, q),
					 0);
			textbuf_put(&out, "%s/%zu: %zu:", texts[i], k, n);
			for (j = 0; j < roster_page_count(pg); j++)
				textbuf_put(&out, " %llu",
				    (unsigned long long)roster_page_id(pg, j));
			textbuf_put(&out, "\n");
			roster_page_free(pg);
		}
	roster_query_free(q);
	return out.s;
}

/* Every user, as the system finds them (with and without a word), page
 * after page: in listing order, one account's users after the other's. */
static char *system_search_of(roster_directory *d)
{
	static const char *const texts[] = { "", "in" };
	const roster_actor sys = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	textbuf out = { NULL, 0, 0 };
	char cursor[256];
	size_t i, j;
	roster_query *q = NULL;

	assert_int_equal(roster_query_new(&q), 0);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *next = NULL;
		int first = 1;

		assert_int_equal(roster_query_set_text(q, texts[i]), 0);
		textbuf_put(&out, "%s:", texts[i]);
		while (first || next) {
			roster_page *pg = NULL;
			assert_int_equal(roster_search(&pg, d, &sys, 0, q,
						       first ? NULL : cursor,
						       16),
					 0);
			first = 0;
			for (j = 0; j < roster_page_count(pg); j++)
				textbuf_put(&out, " %llu",
				    (unsigned long long)roster_page_id(pg, j));
			next = roster_page_next(pg);
			if (next)
				snprintf(cursor, sizeof(cursor), "%s", next);
			roster_page_free(pg);
		}
		textbuf_put(&out, "\n");
	}
	roster_query_free(q);
	return out.s;
}

/* d shows what a directory opened on the store (through handle `store`)
 * now shows, searches included. */
static void assert_as_opened(fixture *fx, void *store, roster_directory *d,
			     const world *w, const char *what)
{
	roster_directory *fresh = open_on(fx, store);
	char *a = snapshot_take(d), *b = snapshot_take(fresh);
	char *sa = searches_of(d, w), *sb = searches_of(fresh, w);
	char *ya = system_search_of(d), *yb = system_search_of(fresh);

	snapshot_assert_equal(b, a, what);
	snapshot_assert_equal(sb, sa, what);
	snapshot_assert_equal(yb, ya, what);
	free(a);
	free(b);
	free(sa);
	free(sb);
	free(ya);
	free(yb);
	roster_directory_free(fresh);
}

static unsigned draw(unsigned *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % n;
}

typedef struct people {
	roster_id id[256];
	size_t n;
	unsigned serial; /* for fresh logins, lines and extensions */
	roster_id group2; /* a second group of the world's account */
	roster_id units[64]; /* groups and accounts made since */
	size_t nunits;
	roster_id accs[16]; /* accounts with users, of other partners too */
	size_t naccs;
	roster_id sites[16]; /* sites of the world's account made since */
	size_t nsites;
} people;

static int set_user(world *w, roster_id id, int field, const char *v)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	if (field == ROSTER_FIELD_LINES)
		roster_form_set_lines(f, v ? &v : NULL, v ? 1 : 0);
	else if (field == ROSTER_FIELD_GROUP)
		roster_form_set_ref(f, field, v ? w->group : 0);
	else if (field == ROSTER_FIELD_ADMIN)
		roster_form_set_bool(f, field, v != NULL);
	else if (field == ROSTER_FIELD_EXTENSION) {
		roster_form_set_ref(f, ROSTER_FIELD_PBX, v ? w->pbx : 0);
		roster_form_set_str(f, field, v);
	} else
		roster_form_set_str(f, field, v);
	rc = roster_user_update(w->dir, &w->as_partner, id, f);
	roster_form_free(f);
	return rc;
}

static const char *const firsts[] = { "Marie", "Zoë", "Élodie", "Jan",
				      "Hélène", "Luc", "Anna", "Petr" };
static const char *const lasts[] = { "Dvořák", "Dvořáková", "Lefort",
				     "Martin", "Novák", "Černý", "Zakaria",
				     "Smith" };

static void add_person(world *w, people *p, unsigned *seed)
{
	char email[64], line[32], ext[8];
	roster_form *f = NULL;
	const char *l = line;
	roster_id id;

	if (p->n == sizeof(p->id) / sizeof(p->id[0]))
		return;
	p->serial++;
	snprintf(email, sizeof(email), "u%u@acme.example", p->serial);
	snprintf(line, sizeof(line), "+3312345%04u", p->serial);
	snprintf(ext, sizeof(ext), "%u", 100 + p->serial % 900);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, firsts[draw(seed, 8)]);
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, lasts[draw(seed, 8)]);
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
	if (draw(seed, 3) == 0)
		roster_form_set_lines(f, &l, 1);
	if (draw(seed, 3) == 0) {
		roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
		roster_form_set_str(f, ROSTER_FIELD_EXTENSION, ext);
	}
	if (draw(seed, 2))
		roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group);
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, draw(seed, 8) == 0);
	/* an extension or line taken already: refused, as it should be */
	if (roster_user_create(&id, w->dir, &w->as_partner, w->account, f) == 0)
		p->id[p->n++] = id;
	roster_form_free(f);
}

/* Two users trade their logins (or lines) in one transaction. */
static void trade(world *w, roster_id a, roster_id b, int field,
		  const char *va, const char *vb)
{
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	if (set_user(w, a, field, "trading@acme.example") ||
	    set_user(w, b, field, va) || set_user(w, a, field, vb))
		assert_int_equal(roster_transaction_rollback(w->dir), 0);
	else
		assert_int_equal(roster_transaction_commit(w->dir), 0);
}

/* One change by the world's directory, as a portal's other process
 * would make: users mostly, now and then a unit. */
static void change_one(world *w, people *p, unsigned *seed)
{
	char v[64];
	roster_user *u = NULL, *u2 = NULL;
	roster_id id, other;
	unsigned op = draw(seed, 26);
	size_t at;

	if (p->n < 4 || op == 0) {
		add_person(w, p, seed);
		return;
	}
	at = draw(seed, (unsigned)p->n);
	id = p->id[at];
	other = p->id[(at + 1 + draw(seed, (unsigned)p->n - 1)) % p->n];
	switch (op) {
	case 1:
		set_user(w, id, ROSTER_FIELD_LAST_NAME, lasts[draw(seed, 8)]);
		break;
	case 2:
		snprintf(v, sizeof(v), "moved%u@acme.example", ++p->serial);
		set_user(w, id, ROSTER_FIELD_EMAIL, v);
		break;
	case 3: /* logins traded */
		assert_int_equal(roster_user_get(&u, w->dir, id), 0);
		assert_int_equal(roster_user_get(&u2, w->dir, other), 0);
		trade(w, id, other, ROSTER_FIELD_EMAIL,
		      roster_user_str(u, ROSTER_FIELD_EMAIL),
		      roster_user_str(u2, ROSTER_FIELD_EMAIL));
		roster_user_free(u);
		roster_user_free(u2);
		break;
	case 4:
		set_user(w, id, ROSTER_FIELD_GROUP, draw(seed, 2) ? "in" : NULL);
		break;
	case 5: /* may be the last admin: refused */
		set_user(w, id, ROSTER_FIELD_ADMIN, draw(seed, 2) ? "yes" : NULL);
		break;
	case 6: /* an admin: refused */
		if (roster_user_delete(w->dir, &w->as_partner, id) == 0)
			p->id[at] = p->id[--p->n];
		break;
	case 7: /* a line or an extension, fresh or another user's */
		snprintf(v, sizeof(v), "+3399999%04u", ++p->serial);
		set_user(w, id, ROSTER_FIELD_LINES, draw(seed, 3) ? v : NULL);
		break;
	case 8:
		snprintf(v, sizeof(v), "%u", 100 + draw(seed, 900));
		set_user(w, id, ROSTER_FIELD_EXTENSION,
			 draw(seed, 4) ? v : NULL);
		break;
	case 9: /* a group created */
		snprintf(v, sizeof(v), "Team %u", ++p->serial);
		assert_int_equal(roster_group_create(&other, w->dir,
						     &w->as_partner,
						     w->account, v),
				 0);
		if (p->nunits < sizeof(p->units) / sizeof(p->units[0]))
			p->units[p->nunits++] = other;
		break;
	case 14: /* a group or an account (with its units) deleted; a
		  * group with members is not */
		if (p->nunits) {
			int rc;
			at = draw(seed, (unsigned)p->nunits);
			rc = roster_record_delete(w->dir, &w->as_partner,
						  p->units[at]);
			if (rc == ROSTER_OK)
				p->units[at] = p->units[--p->nunits];
			else
				assert_int_equal(rc, ROSTER_EPOLICY);
		}
		break;
	case 15: /* an account with a site, a PBX and a group */
		snprintf(v, sizeof(v), "Customer %u", ++p->serial);
		assert_int_equal(roster_transaction_begin(w->dir), 0);
		assert_int_equal(roster_account_create(&other, w->dir,
						       &w->as_partner,
						       w->partner, v),
				 0);
		assert_int_equal(roster_site_create(&id, w->dir,
						    &w->as_partner, other,
						    "Head office"),
				 0);
		assert_int_equal(roster_pbx_create(&id, w->dir, &w->as_partner,
						   other, "Switch", 3, 5),
				 0);
		assert_int_equal(roster_group_create(&id, w->dir,
						     &w->as_partner, other,
						     "Everyone"),
				 0);
		assert_int_equal(roster_transaction_commit(w->dir), 0);
		if (p->nunits < sizeof(p->units) / sizeof(p->units[0]))
			p->units[p->nunits++] = other;
		break;
	case 10: /* a unit changed: a group renamed */
		snprintf(v, sizeof(v), "Group %u", ++p->serial);
		assert_int_equal(roster_record_rename(w->dir, &w->as_partner,
						      draw(seed, 2) ? w->group
								    : p->group2,
						      v),
				 0);
		break;
	case 11: /* two groups trade names in one transaction */
		snprintf(v, sizeof(v), "Swap %u", ++p->serial);
		assert_int_equal(roster_transaction_begin(w->dir), 0);
		{
			roster_record *g1 = NULL, *g2 = NULL;
			assert_int_equal(roster_record_get(&g1, w->dir, w->group),
					 0);
			assert_int_equal(roster_record_get(&g2, w->dir, p->group2),
					 0);
			assert_int_equal(roster_record_rename(w->dir,
							      &w->as_partner,
							      w->group, v),
					 0);
			assert_int_equal(roster_record_rename(
						 w->dir, &w->as_partner,
						 p->group2, roster_record_name(g1)),
					 0);
			assert_int_equal(roster_record_rename(
						 w->dir, &w->as_partner,
						 w->group, roster_record_name(g2)),
					 0);
			roster_record_free(g1);
			roster_record_free(g2);
		}
		assert_int_equal(roster_transaction_commit(w->dir), 0);
		break;
	case 12: /* a product licence bought, then given */
		assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
							 w->account, "meetings",
							 1),
				 0);
		roster_product_assign(w->dir, &w->as_partner, "meetings", &id, 1,
				      NULL);
		break;
	case 13: /* a station ordered at the site, then a user given it */
		assert_int_equal(roster_station_order(w->dir, &w->as_partner,
						      w->site, "basic", 1),
				 0);
		{
			roster_form *f = NULL;
			assert_int_equal(roster_form_new(&f, w->dir), 0);
			roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
			roster_form_set_str(f, ROSTER_FIELD_PACK, "basic");
			roster_user_update(w->dir, &w->as_partner, id, f);
			roster_form_free(f);
		}
		break;
	case 18: /* a partner with an account and its admin */
		if (p->naccs == sizeof(p->accs) / sizeof(p->accs[0]))
			break;
		snprintf(v, sizeof(v), "Reseller %u", ++p->serial);
		assert_int_equal(roster_transaction_begin(w->dir), 0);
		assert_int_equal(roster_partner_create(&other, w->dir,
						       &w->system, v),
				 0);
		assert_int_equal(roster_account_create(&id, w->dir, &w->system,
						       other, "Its account"),
				 0);
		snprintf(v, sizeof(v), "in%u@resold.example", ++p->serial);
		assert_int_equal(world_user(w, &w->system, id,
					    firsts[draw(seed, 8)],
					    lasts[draw(seed, 8)], v, 1, &other),
				 0);
		assert_int_equal(roster_transaction_commit(w->dir), 0);
		p->accs[p->naccs++] = id;
		break;
	case 19: /* a user in one of them, or in an account of the world's
		  * partner made with it */
		if (!p->naccs)
			break;
		snprintf(v, sizeof(v), "in%u@resold.example", ++p->serial);
		world_user(w, &w->system, p->accs[draw(seed, (unsigned)p->naccs)],
			   firsts[draw(seed, 8)], lasts[draw(seed, 8)], v,
			   (int)draw(seed, 2), &other);
		break;
	case 20: /* a site created, or two trading names */
		if (p->nsites < 2 || draw(seed, 2)) {
			if (p->nsites == sizeof(p->sites) / sizeof(p->sites[0]))
				break;
			snprintf(v, sizeof(v), "Branch %u", ++p->serial);
			assert_int_equal(roster_site_create(&other, w->dir,
							    &w->as_partner,
							    w->account, v),
					 0);
			p->sites[p->nsites++] = other;
		} else {
			roster_record *s1 = NULL, *s2 = NULL;
			roster_id a = p->sites[0], b = p->sites[1];
			assert_int_equal(roster_record_get(&s1, w->dir, a), 0);
			assert_int_equal(roster_record_get(&s2, w->dir, b), 0);
			snprintf(v, sizeof(v), "Swap %u", ++p->serial);
			assert_int_equal(roster_transaction_begin(w->dir), 0);
			assert_int_equal(roster_record_rename(w->dir,
							      &w->as_partner, a,
							      v),
					 0);
			assert_int_equal(roster_record_rename(
						 w->dir, &w->as_partner, b,
						 roster_record_name(s1)),
					 0);
			assert_int_equal(roster_record_rename(
						 w->dir, &w->as_partner, a,
						 roster_record_name(s2)),
					 0);
			assert_int_equal(roster_transaction_commit(w->dir), 0);
			roster_record_free(s1);
			roster_record_free(s2);
		}
		break;
	case 21: /* a user moved to a site made since (with a station), or
		  * off it; a site deleted when it can be */
		if (!p->nsites)
			break;
		at = draw(seed, (unsigned)p->nsites);
		if (draw(seed, 3) == 0) {
			if (roster_record_delete(w->dir, &w->as_partner,
						 p->sites[at]) == 0)
				p->sites[at] = p->sites[--p->nsites];
			break;
		}
		{
			roster_form *f = NULL;
			int on = (int)draw(seed, 2);
			if (on)
				roster_station_order(w->dir, &w->as_partner,
						     p->sites[at], "basic", 1);
			assert_int_equal(roster_form_new(&f, w->dir), 0);
			roster_form_set_ref(f, ROSTER_FIELD_SITE,
					    on ? p->sites[at] : 0);
			roster_form_set_str(f, ROSTER_FIELD_PACK,
					    on ? "basic" : NULL);
			roster_user_update(w->dir, &w->as_partner, id, f);
			roster_form_free(f);
			if (!on)
				roster_station_disconnect(w->dir,
							  &w->as_partner,
							  p->sites[at], "basic",
							  1);
		}
		break;
	case 22: /* the Helpdesk service ordered or cancelled (refused while
		  * a user is attached) */
		roster_account_set_helpdesk(w->dir, &w->as_partner, w->account,
					    (int)draw(seed, 2));
		break;
	case 23: { /* the account's licences, or a product licence released */
		static const char *const lic[] = { "video", "callcentrum-mini",
						   "helpdesk-start" };
		if (draw(seed, 2))
			assert_int_equal(roster_account_set_licences(
						 w->dir, &w->as_partner,
						 w->account, NULL, lic,
						 1 + draw(seed, 3)),
					 0);
		else
			roster_product_release(w->dir, &w->as_partner,
					       w->account, "meetings", 1);
		break;
	}
	case 24: /* a PBX made in an account made since, with a user on it */
		if (!p->naccs)
			break;
		{
			roster_id acc = p->accs[draw(seed, (unsigned)p->naccs)];
			roster_id pbx;
			roster_form *f = NULL;
			snprintf(v, sizeof(v), "Switch %u", ++p->serial);
			assert_int_equal(roster_transaction_begin(w->dir), 0);
			assert_int_equal(roster_pbx_create(&pbx, w->dir,
							   &w->system, acc, v,
							   2, 4),
					 0);
			assert_int_equal(roster_form_new(&f, w->dir), 0);
			snprintf(v, sizeof(v), "pbx%u@resold.example",
				 ++p->serial);
			roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "On");
			roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Switch");
			roster_form_set_str(f, ROSTER_FIELD_EMAIL, v);
			roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx);
			roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "42");
			assert_int_equal(roster_user_create(&other, w->dir,
							    &w->system, acc, f),
					 0);
			roster_form_free(f);
			assert_int_equal(roster_transaction_commit(w->dir), 0);
		}
		break;
	case 25: /* an account made and deleted again with its group, and a
		  * group made and a user joining it, in one transaction */
		snprintf(v, sizeof(v), "Brief %u", ++p->serial);
		assert_int_equal(roster_transaction_begin(w->dir), 0);
		assert_int_equal(roster_account_create(&other, w->dir,
						       &w->as_partner,
						       w->partner, v),
				 0);
		assert_int_equal(roster_group_create(&id, w->dir,
						     &w->as_partner, other,
						     "Passing"),
				 0);
		assert_int_equal(roster_record_delete(w->dir, &w->as_partner,
						      other),
				 0);
		snprintf(v, sizeof(v), "Joined %u", ++p->serial);
		assert_int_equal(roster_group_create(&other, w->dir,
						     &w->as_partner,
						     w->account, v),
				 0);
		{
			roster_form *f = NULL;
			assert_int_equal(roster_form_new(&f, w->dir), 0);
			roster_form_set_ref(f, ROSTER_FIELD_GROUP, other);
			assert_int_equal(roster_user_update(w->dir,
							    &w->as_partner,
							    p->id[at], f),
					 0);
			roster_form_free(f);
		}
		assert_int_equal(roster_transaction_commit(w->dir), 0);
		if (p->nunits < sizeof(p->units) / sizeof(p->units[0]))
			p->units[p->nunits++] = other;
		break;
	default: /* several users, in one transaction */
		assert_int_equal(roster_transaction_begin(w->dir), 0);
		add_person(w, p, seed);
		set_user(w, id, ROSTER_FIELD_FIRST_NAME, firsts[draw(seed, 8)]);
		set_user(w, other, ROSTER_FIELD_GROUP,
			 draw(seed, 2) ? "in" : NULL);
		assert_int_equal(roster_transaction_commit(w->dir), 0);
		break;
	}
}

/*
 * Another directory's changes of every kind (users created, renamed,
 * deleted, trading logins and lines in one transaction, moved in and out
 * of a group, made admin, given a product licence or a pack; groups
 * renamed or trading names, licences bought, stations ordered; groups
 * and accounts with their units created and deleted; partners with an
 * account and its admin, users in them, PBXs with a user on them; sites
 * created, trading names, given stations and users, deleted; the
 * Helpdesk ordered and cancelled, an account's licences set; an account
 * made and deleted with its group, a group made and joined, in one
 * transaction), a few at a time: after each refresh the directory shows
 * and finds what a directory opened on the store then shows and finds
 * (the system's search across accounts included). Its own changes are
 * mixed in.
 */
static void test_refresh_random_changes(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	void *check;
	people p;
	unsigned seed = 7;
	world *w;
	int round, k, n;

	memset(&p, 0, sizeof(p));
	o = on_store(ST(fx), ms);
	w = world_new(&o);
	p.id[p.n++] = w->admin;
	assert_int_equal(roster_group_create(&p.group2, w->dir, &w->as_partner,
					     w->account, "Support desk"), 0);
	for (k = 0; k < 40; k++)
		add_person(w, &p, &seed);
	b = open_on(fx, fx_open(fx));
	check = fx_open(fx);
	for (round = 0; round < 60; round++) {
		n = 1 + (int)draw(&seed, 5);
		for (k = 0; k < n; k++)
			change_one(w, &p, &seed);
		assert_int_equal(roster_directory_refresh(b), 0);
		assert_as_opened(fx, check, b, w, "refreshed");
		if (round % 7 == 3) {
			/* b writes too; the world's directory then reads it */
			roster_form *f = NULL;
			assert_int_equal(roster_form_new(&f, b), 0);
			roster_form_set_str(f, ROSTER_FIELD_NOTE, "from b");
			assert_int_equal(roster_user_update(b, &w->as_partner,
							    p.id[draw(&seed,
								      (unsigned)p.n)],
							    f),
					 0);
			roster_form_free(f);
			assert_int_equal(roster_directory_refresh(w->dir), 0);
			assert_as_opened(fx, check, w->dir, w,
					 "writer refreshed");
		}
	}
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/*
 * Accounts another directory created, one of them written again since
 * (a user created in it touches it): the store may hand them to a scan
 * in any order (the memory store: the oldest write first), yet the
 * refreshed directory lists their users as an open does, the accounts
 * by identifier.
 */
static void test_refresh_accounts_in_id_order(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b, *fresh;
	roster_id first, second, u;
	char *sb, *sf;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	b = open_on(fx, fx_open(fx));
	assert_int_equal(roster_account_create(&first, w->dir, &w->as_partner,
					       w->partner, "First"), 0);
	assert_int_equal(roster_account_create(&second, w->dir,
					       &w->as_partner, w->partner,
					       "Second"), 0);
	assert_true(first < second);
	assert_int_equal(world_user(w, &w->as_partner, second, "In", "Second",
				    "in2@acme.example", 1, &u), 0);
	assert_int_equal(world_user(w, &w->as_partner, first, "In", "First",
				    "in1@acme.example", 1, &u), 0);
	assert_int_equal(roster_directory_refresh(b), 0);
	fresh = open_on(fx, fx_open(fx));
	sb = system_search_of(b);
	sf = system_search_of(fresh);
	snapshot_assert_equal(sf, sb, "accounts read out of order");
	free(sb);
	free(sf);
	assert_as_opened(fx, fx_open(fx), b, w, "accounts read out of order");
	roster_directory_free(fresh);
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/* The stored bytes of record `from`, given identifier `to`, parent
 * `parent` and the text `a` replaced by `b` (of the same length), put
 * behind the directories' backs as a new record. */
typedef struct copied {
	char key[32];
	unsigned char *v;
	size_t n;
	uint64_t version;
} copied;

static int copy_row(const char *key, const void *value, size_t len,
		    uint64_t version, void *data)
{
	copied *c = data;

	(void)version;
	if (strcmp(key, c->key) != 0)
		return 0;
	assert_non_null(c->v = malloc(len));
	memcpy(c->v, value, len);
	c->n = len;
	return 0;
}

static int version_of_row(const char *key, const void *value, size_t len,
			  uint64_t version, void *data)
{
	copied *c = data;

	if (strcmp(key, c->key) == 0)
		c->version = version;
	return copy_row(key, value, len, version, data);
}

static void replace_bytes(copied *c, const unsigned char *from,
			  const unsigned char *to, size_t n)
{
	size_t i;

	for (i = 0; i + n <= c->n; i++)
		if (memcmp(c->v + i, from, n) == 0) {
			memcpy(c->v + i, to, n);
			return;
		}
	fail_msg("copy_record: bytes not found");
}

static void tagged_id(unsigned char out[10], int tag, roster_id id)
{
	int i;

	out[0] = (unsigned char)tag;
	out[1] = 8;
	for (i = 0; i < 8; i++)
		out[2 + i] = (unsigned char)(id >> (8 * i));
}

static void copy_record(fixture *fx, void *store, roster_id from,
			roster_id to, roster_id old_parent, roster_id parent,
			const char *a, const char *b)
{
	const roster_storage *st = ST(fx);
	unsigned char x[10], y[10];
	copied c;
	uint64_t ver;

	memset(&c, 0, sizeof(c));
	snprintf(c.key, sizeof(c.key), "r/%016llx", (unsigned long long)from);
	assert_int_equal(st->scan(store, c.key, copy_row, &c), 0);
	assert_non_null(c.v);
	tagged_id(x, 1, from);
	tagged_id(y, 1, to);
	replace_bytes(&c, x, y, sizeof(x));
	tagged_id(x, 2, old_parent);
	tagged_id(y, 2, parent);
	replace_bytes(&c, x, y, sizeof(x));
	assert_int_equal(strlen(a), strlen(b));
	replace_bytes(&c, (const unsigned char *)a, (const unsigned char *)b,
		      strlen(a));
	snprintf(c.key, sizeof(c.key), "r/%016llx", (unsigned long long)to);
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->put(store, c.key, c.v, c.n, 0, &ver), 0);
	assert_int_equal(st->commit(store), 0);
	free(c.v);
}

/* Record `id` with the first `n` bytes `a` replaced by `b`, written at
 * its version behind the directories' backs. */
static void rewrite_record(fixture *fx, void *store, roster_id id,
			   const void *a, const void *b, size_t n)
{
	const roster_storage *st = ST(fx);
	copied c;
	uint64_t ver;

	memset(&c, 0, sizeof(c));
	snprintf(c.key, sizeof(c.key), "r/%016llx", (unsigned long long)id);
	assert_int_equal(st->scan(store, c.key, version_of_row, &c), 0);
	assert_non_null(c.v);
	replace_bytes(&c, a, b, n);
	assert_int_equal(st->begin(store), 0);
	assert_int_equal(st->put(store, c.key, c.v, c.n, c.version, &ver), 0);
	assert_int_equal(st->commit(store), 0);
	free(c.v);
}

/* Record `id` with its parent `from` replaced by `to` (no call moves a
 * user to another account). */
static void move_record(fixture *fx, void *store, roster_id id,
			roster_id from, roster_id to)
{
	unsigned char x[10], y[10];

	tagged_id(x, 2, from);
	tagged_id(y, 2, to);
	rewrite_record(fx, store, id, x, y, sizeof(x));
}

/* Record `id` with the text `a` replaced by `b` (as long): a value an
 * earlier version's rules took. */
static void edit_record(fixture *fx, void *store, roster_id id,
			const char *a, const char *b)
{
	assert_int_equal(strlen(a), strlen(b));
	rewrite_record(fx, store, id, a, b, strlen(a));
}

/*
 * Values the rules of earlier versions took and today's refuse (a soft
 * hyphen or a zero-width space in a name, a line kept with its national
 * 0): a store holding them still opens and refreshes, and a form sending
 * them back as they are kept changes another field; changing them to
 * another such value is refused.
 */
static void test_values_of_earlier_rules(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	roster_form *f = NULL;
	roster_user *u = NULL;
	const char *line[] = { "+33 1 44 55 66 79" };
	roster_id id, site;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(roster_site_create(&site, w->dir, &w->as_admin,
					    w->account, "Paxxxris"), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME,
					     "Sofxxtova"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Ok"),
			 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL,
					     "sof@acme.example"), 0);
	assert_int_equal(roster_form_set_lines(f, line, 1), 0);
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin,
					    w->account, f), 0);
	roster_form_free(f);
	edit_record(fx, ms, site, "Paxxxris", "Pa\xE2\x80\x8B" "ris");
	edit_record(fx, ms, id, "Sofxxtova", "Sof\xC2\xAD" "tova");
	edit_record(fx, ms, id, "+33144556679", "+33014455667");

	o = on_store(ST(fx), fx_open(fx));
	assert_int_equal(roster_directory_open(&b, &o), 0);
	assert_int_equal(roster_directory_refresh(w->dir), 0);
	assert_int_equal(roster_user_get(&u, b, id), 0);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_FIRST_NAME),
			    "Sof\xC2\xAD" "tova");
	roster_user_free(u);

	/* the whole form sent back, one field changed */
	assert_int_equal(roster_form_new(&f, b), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME,
					     "Sof\xC2\xAD" "tova"), 0);
	line[0] = "+33014455667";
	assert_int_equal(roster_form_set_lines(f, line, 1), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "kept"), 0);
	assert_int_equal(roster_user_update(b, &w->as_admin, id, f), 0);
	/* another value of the kind refused */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME,
					     "So\xC2\xAD" "ftova"), 0);
	assert_int_equal(roster_user_update(b, &w->as_admin, id, f),
			 ROSTER_EINVALID);
	assert_string_equal(roster_error_rule(roster_directory_error(b)),
			    "text.control");
	roster_form_free(f);
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/* Users, an admin among them, moved to another account by the store: the
 * refreshed directory shows and finds what an open does (member lists,
 * admin counts, the listing order of the search). */
static void test_refresh_users_moved_by_store(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	roster_id u1, u2;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Anna",
				    "Mover", "a@acme.example", 1, &u1), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Petr",
				    "Mover", "p@acme.example", 0, &u2), 0);
	b = open_on(fx, fx_open(fx));
	move_record(fx, ms, u1, w->account, w->other_account);
	move_record(fx, ms, u2, w->account, w->other_account);
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_as_opened(fx, fx_open(fx), b, w, "users moved by the store");
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/*
 * An account with a user appearing in the store with an identifier below
 * an account the directory holds (none of the API's, which hands out
 * identifiers in order: a store's doing): an open numbers the accounts by
 * identifier, and so must the refreshed directory.
 */
static void test_refresh_account_below_held(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b, *fresh;
	roster_id g1, g2, later, u;
	char *sb, *sf;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	/* two identifiers no record holds */
	assert_int_equal(roster_group_create(&g1, w->dir, &w->as_partner,
					     w->account, "One"), 0);
	assert_int_equal(roster_group_create(&g2, w->dir, &w->as_partner,
					     w->account, "Two"), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, g1), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, g2), 0);
	assert_int_equal(roster_account_create(&later, w->dir, &w->as_partner,
					       w->partner, "Later"), 0);
	assert_int_equal(world_user(w, &w->as_partner, later, "In", "Later",
				    "in@acme.example", 1, &u), 0);
	b = open_on(fx, fx_open(fx));
	copy_record(fx, ms, later, g1, w->partner, w->partner, "Later",
		    "Early");
	copy_record(fx, ms, u, g2, later, g1, "in@", "en@");
	assert_int_equal(roster_directory_refresh(b), 0);
	fresh = open_on(fx, fx_open(fx));
	sb = system_search_of(b);
	sf = system_search_of(fresh);
	snapshot_assert_equal(sf, sb, "an account below one held");
	free(sb);
	free(sf);
	assert_as_opened(fx, fx_open(fx), b, w, "an account below one held");
	roster_directory_free(fresh);
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/* A directory on the store with counting allocation hooks. */
static roster_directory *open_counted(fixture *fx)
{
	roster_directory_options o = on_store(ST(fx), fx_open(fx));
	roster_directory *d = NULL;

	o.malloc_fn = count_malloc;
	o.realloc_fn = count_realloc;
	o.free_fn = count_free;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	return d;
}

/*
 * After another directory changed a few of many users, or created a group
 * and moved a user into it, a refresh reads those records, not the
 * store: about a hundred allocations, where reading every record (an
 * open) takes several a record.
 */
static void test_refresh_reads_only_changes(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b, *fresh;
	roster_id id, gone, group;
	char email[32];
	long few, unit, all;
	world *w;
	int i;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	for (i = 0; i < 400; i++) {
		snprintf(email, sizeof(email), "m%d@acme.example", i);
		assert_int_equal(world_user(w, &w->as_admin, w->account, "Many",
					    "Users", email, 0, &id), 0);
	}
	gone = id;
	b = open_counted(fx);
	rename_user(w, id - 7, "Renamed");
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, gone), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "New", "One",
				    "new@acme.example", 0, &id), 0);
	allocations = 0;
	assert_int_equal(roster_directory_refresh(b), 0);
	few = allocations;
	assert_as_opened(fx, fx_open(fx), b, w, "three users read");
	/* a group created and one of its users moved into it */
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_group_create(&group, w->dir, &w->as_partner,
					     w->account, "Readers"), 0);
	w->group = group;
	assert_int_equal(set_user(w, id, ROSTER_FIELD_GROUP, "in"), 0);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	allocations = 0;
	assert_int_equal(roster_directory_refresh(b), 0);
	unit = allocations;
	assert_as_opened(fx, fx_open(fx), b, w, "a group and a user read");
	/* what reading everything takes: an open */
	allocations = 0;
	fresh = open_counted(fx);
	all = allocations;
	print_message("%s: refresh after 3 of 400 users changed: %ld "
		      "allocations; after a group created: %ld; an open: %ld\n",
		      fx->be->name, few, unit, all);
	assert_true(few < 200 && unit < 200);
	assert_true(few * 20 < all && unit * 20 < all);
	roster_directory_free(fresh);
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/*
 * Refresh b with each of its allocations failing in turn, until one
 * succeeds: every failure is ROSTER_ENOMEM and leaves b showing and
 * finding what it did. Returns the number of allocations failed.
 */
static long refresh_failing_each(roster_directory *b, const world *w)
{
	long k;
	int rc;

	for (k = 1;; k++) {
		char *before = snapshot_take(b), *found = searches_of(b, w);
		char *after, *found_after;

		allocations = 0;
		fail_at = k;
		rc = roster_directory_refresh(b);
		fail_at = 0;
		if (rc == ROSTER_OK) {
			free(before);
			free(found);
			return k - 1;
		}
		assert_int_equal(rc, ROSTER_ENOMEM);
		after = snapshot_take(b);
		found_after = searches_of(b, w);
		snapshot_assert_equal(before, after, "refresh out of memory");
		snapshot_assert_equal(found, found_after,
				      "refresh out of memory");
		free(before);
		free(after);
		free(found);
		free(found_after);
	}
}

/*
 * Each allocation of a refresh reading a few users and units failing in turn: the
 * refresh fails with ROSTER_ENOMEM and the directory shows and finds what
 * it did; then it succeeds and shows what the store holds.
 */
static void test_refresh_out_of_memory(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	roster_id ids[12], id, doomed;
	char email[32];
	roster_user *u1 = NULL, *u2 = NULL;
	long k;
	world *w;
	int i;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	for (i = 0; i < 12; i++) {
		snprintf(email, sizeof(email), "o%d@acme.example", i);
		assert_int_equal(world_user(w, &w->as_admin, w->account,
					    firsts[i % 8], lasts[i % 8], email,
					    0, &ids[i]), 0);
	}
	assert_int_equal(roster_group_create(&doomed, w->dir, &w->as_partner,
					     w->account, "Doomed"), 0);
	b = open_counted(fx);
	/* a rename, a deletion, a creation, two users trading logins and
	 * one joining a group; a group created, one renamed, one deleted,
	 * licences bought */
	assert_int_equal(roster_group_create(&id, w->dir, &w->as_partner,
					     w->account, "Created"), 0);
	assert_int_equal(roster_record_rename(w->dir, &w->as_partner, w->group,
					      "Renamed"), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, doomed),
			 0);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 2), 0);
	rename_user(w, ids[0], "Zakaria");
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, ids[1]), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Dana",
				    "Dvořák", "dana@acme.example", 0, &id), 0);
	assert_int_equal(roster_user_get(&u1, w->dir, ids[2]), 0);
	assert_int_equal(roster_user_get(&u2, w->dir, ids[3]), 0);
	trade(w, ids[2], ids[3], ROSTER_FIELD_EMAIL,
	      roster_user_str(u1, ROSTER_FIELD_EMAIL),
	      roster_user_str(u2, ROSTER_FIELD_EMAIL));
	roster_user_free(u1);
	roster_user_free(u2);
	assert_int_equal(set_user(w, ids[4], ROSTER_FIELD_GROUP, "in"), 0);
	k = refresh_failing_each(b, w);
	print_message("%s: a refresh reading 6 users and 4 units failed at each "
		      "of its "
		      "%ld allocations, changing nothing\n",
		      fx->be->name, k);
	assert_true(k >= 20);
	assert_as_opened(fx, fx_open(fx), b, w, "refreshed at last");
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/*
 * The same for units: a partner created with an account, an account
 * created with its site, PBX and group and a user joining each, an
 * account deleted with its site, PBX and group, a site renamed and
 * given stations: each allocation failing in turn leaves the directory
 * as it was (and, under the address sanitizer, nothing leaked or read
 * after being freed); then the refresh succeeds.
 */
static void test_refresh_units_out_of_memory(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	roster_id doomed, id, partner, acc, site, pbx, group, u;
	roster_form *f = NULL;
	long k;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	/* an account with its units, deleted once b has read it */
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_account_create(&doomed, w->dir, &w->as_partner,
					       w->partner, "Doomed"), 0);
	assert_int_equal(roster_site_create(&id, w->dir, &w->as_partner,
					    doomed, "Site"), 0);
	assert_int_equal(roster_pbx_create(&id, w->dir, &w->as_partner, doomed,
					   "Switch", 3, 4), 0);
	assert_int_equal(roster_group_create(&id, w->dir, &w->as_partner,
					     doomed, "Group"), 0);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	b = open_counted(fx);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, doomed),
			 0);
	assert_int_equal(roster_partner_create(&partner, w->dir, &w->system,
					       "Reseller"), 0);
	assert_int_equal(roster_account_create(&id, w->dir, &w->system,
					       partner, "Its first"), 0);
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_account_create(&acc, w->dir, &w->as_partner,
					       w->partner, "Fresh"), 0);
	assert_int_equal(roster_site_create(&site, w->dir, &w->as_partner, acc,
					    "Head office"), 0);
	assert_int_equal(roster_pbx_create(&pbx, w->dir, &w->as_partner, acc,
					   "Switch", 3, 5), 0);
	assert_int_equal(roster_group_create(&group, w->dir, &w->as_partner,
					     acc, "Everyone"), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Fay");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Fresh");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "fay@fresh.example");
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	roster_form_set_ref(f, ROSTER_FIELD_SITE, site);
	roster_form_set_ref(f, ROSTER_FIELD_GROUP, group);
	roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "100");
	assert_int_equal(roster_user_create(&u, w->dir, &w->as_partner, acc, f),
			 0);
	roster_form_free(f);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	assert_int_equal(roster_record_rename(w->dir, &w->as_partner, w->site,
					      "Renamed"), 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 2), 0);
	k = refresh_failing_each(b, w);
	print_message("%s: a refresh reading units failed at each of its "
		      "%ld allocations, changing nothing\n",
		      fx->be->name, k);
	assert_true(k >= 20);
	assert_as_opened(fx, fx_open(fx), b, w, "refreshed at last");
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* Races that must conflict, or the store would contradict itself      */

typedef struct pair {
	fixture *fx;
	world *w;	     /* directory a */
	roster_directory *b; /* directory b on the same store */
	roster_id u1, u2;
} pair;

static void pair_new(pair *p, const backend *be)
{
	roster_directory_options o;
	void *ms;

	p->fx = fx_new_on(be, &ms);
	o = on_store(ST(p->fx), ms);
	p->w = world_new(&o);
	assert_int_equal(world_user(p->w, &p->w->as_admin, p->w->account, "U",
				    "One", "u1@acme.example", 0, &p->u1), 0);
	assert_int_equal(world_user(p->w, &p->w->as_admin, p->w->account, "U",
				    "Two", "u2@acme.example", 0, &p->u2), 0);
	p->b = open_on(p->fx, fx_open(p->fx));
}

/* The second writer lost; the store still opens. */
static void pair_check(pair *p, int rc_b)
{
	roster_directory *check;

	assert_int_equal(rc_b, ROSTER_ECONFLICT);
	check = open_on(p->fx, fx_open(p->fx));
	roster_directory_free(check);
	roster_directory_free(p->b);
	world_free(p->w);
	fx_free(p->fx);
}

static int set_str(roster_directory *d, const roster_actor *a, roster_id u,
		   int field, const char *v)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, d), 0);
	roster_form_set_str(f, field, v);
	rc = roster_user_update(d, a, u, f);
	roster_form_free(f);
	return rc;
}

static void test_race_same_login(void **state)
{
	pair p;

	pair_new(&p, *state);
	assert_int_equal(set_str(p.w->dir, &p.w->as_partner, p.u1,
				 ROSTER_FIELD_EMAIL, "same@acme.example"), 0);
	pair_check(&p, set_str(p.b, &p.w->as_partner, p.u2, ROSTER_FIELD_EMAIL,
			       "SAME@acme.example"));
}

static void test_race_deleted_site(void **state)
{
	roster_form *f = NULL;
	roster_id site;
	pair p;
	int rc;

	pair_new(&p, *state);
	assert_int_equal(roster_site_create(&site, p.w->dir, &p.w->as_partner,
					    p.w->account, "Brno"), 0);
	assert_int_equal(roster_directory_refresh(p.b), 0);
	assert_int_equal(roster_record_delete(p.w->dir, &p.w->as_partner, site), 0);
	assert_int_equal(roster_form_new(&f, p.b), 0);
	roster_form_set_ref(f, ROSTER_FIELD_SITE, site);
	rc = roster_user_update(p.b, &p.w->as_partner, p.u1, f);
	roster_form_free(f);
	pair_check(&p, rc);
}

static void test_race_deleted_account(void **state)
{
	roster_id acc, site;
	pair p;

	pair_new(&p, *state);
	assert_int_equal(roster_account_create(&acc, p.w->dir, &p.w->as_partner,
					       p.w->partner, "Brief"), 0);
	assert_int_equal(roster_directory_refresh(p.b), 0);
	assert_int_equal(roster_record_delete(p.w->dir, &p.w->as_partner, acc), 0);
	pair_check(&p, roster_site_create(&site, p.b, &p.w->as_partner, acc,
					  "Orphan"));
}

/* One directory cancels the Helpdesk service while nobody is attached;
 * another, stale, attaches a user to it: the second conflicts. And the
 * other way round. */
static void test_race_helpdesk(void **state)
{
	roster_form *f = NULL;
	int order, rc;

	for (order = 0; order < 2; order++) {
		pair p;

		pair_new(&p, *state);
		assert_int_equal(roster_account_set_helpdesk(p.w->dir,
							     &p.w->as_partner,
							     p.w->account, 1),
				 0);
		assert_int_equal(roster_directory_refresh(p.b), 0);
		assert_int_equal(roster_form_new(&f, order ? p.w->dir : p.b), 0);
		roster_form_set_bool(f, ROSTER_FIELD_HELPDESK, 1);
		if (order == 0) {
			assert_int_equal(roster_account_set_helpdesk(
						 p.w->dir, &p.w->as_partner,
						 p.w->account, 0),
					 0);
			rc = roster_user_update(p.b, &p.w->as_partner, p.u1, f);
		} else {
			assert_int_equal(roster_user_update(p.w->dir,
							    &p.w->as_partner,
							    p.u1, f),
					 0);
			rc = roster_account_set_helpdesk(p.b, &p.w->as_partner,
							 p.w->account, 0);
		}
		roster_form_free(f);
		pair_check(&p, rc);
	}
}

static void test_race_same_name(void **state)
{
	roster_id s1, s2;
	pair p;

	pair_new(&p, *state);
	assert_int_equal(roster_site_create(&s1, p.w->dir, &p.w->as_partner,
					    p.w->account, "One"), 0);
	assert_int_equal(roster_site_create(&s2, p.w->dir, &p.w->as_partner,
					    p.w->account, "Two"), 0);
	assert_int_equal(roster_directory_refresh(p.b), 0);
	assert_int_equal(roster_record_rename(p.w->dir, &p.w->as_partner, s1, "Same"), 0);
	pair_check(&p, roster_record_rename(p.b, &p.w->as_partner, s2, "same"));
}

/* Set the store's counter `key` to 2^64 - 2, the last number it hands
 * out. */
static void counter_near_end(fixture *fx, void *ms, const char *key)
{
	const roster_storage *m = ST(fx);
	unsigned char counter[8];
	uint64_t ver;
	int i;

	for (i = 0; i < 8; i++)
		counter[i] = 0xFF;
	counter[0] = 0xFE;
	m->begin(ms);
	assert_int_equal(m->put(ms, key, counter, 8, 0, &ver), 0);
	m->commit(ms);
}

static void test_id_space_exhausted(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory *d;
	roster_actor sys = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	roster_id id;

	counter_near_end(fx, ms, "m/counters"); /* the next id */
	d = open_on(fx, ms);
	assert_int_equal(roster_partner_create(&id, d, &sys, "Last"), 0);
	assert_int_equal(id, UINT64_MAX - 1);
	/* no wrap to 0 or to an id in use */
	assert_int_equal(roster_partner_create(&id, d, &sys, "Wrap"), ROSTER_ERROR);
	assert_string_equal(roster_error_rule(roster_directory_error(d)),
			    "id.exhausted");
	assert_int_equal(id, 0);
	roster_directory_free(d);
	/* the store, whose counter now says every id is used, opens again
	 * and hands out none */
	d = open_on(fx, ms);
	assert_non_null(d);
	assert_int_equal(roster_partner_create(&id, d, &sys, "Wrap"), ROSTER_ERROR);
	assert_string_equal(roster_error_rule(roster_directory_error(d)),
			    "id.exhausted");
	roster_directory_free(d);
	fx_free(fx);
}

/* The outbox's event numbers end as the ids do: the last is 2^64 - 2, a
 * commit with more events is refused, and the store opens again. */
static void test_event_numbers_exhausted(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory *d;
	roster_actor sys = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	roster_id p, a;

	counter_near_end(fx, ms, "m/events"); /* the next event */
	d = open_on(fx, ms);
	assert_int_equal(roster_partner_create(&p, d, &sys, "P"), 0);
	assert_int_equal(roster_account_create(&a, d, &sys, p, "A"),
			 ROSTER_ERROR);
	assert_string_equal(roster_error_rule(roster_directory_error(d)),
			    "id.exhausted");
	roster_directory_free(d);
	d = open_on(fx, ms);
	assert_non_null(d);
	assert_int_equal(roster_account_create(&a, d, &sys, p, "A"),
			 ROSTER_ERROR);
	roster_directory_free(d);
	fx_free(fx);
}

/* ------------------------------------------------------------------ */
/* A store changing while a refresh reads it                           */

/* A store that forwards to a backend's store and, just before the
 * `at`-th scan of keys starting with `prefix`, lets `meddle` commit
 * through another directory: the store changes between the scans of
 * one refresh. */
typedef struct meddling {
	const roster_storage *st;
	void *store;
	const char *prefix;
	int at, seen;
	void (*meddle)(void *);
	void *data;
} meddling;

static int m_begin(void *s)
{
	meddling *m = s;
	return m->st->begin(m->store);
}

static int m_commit(void *s)
{
	meddling *m = s;
	return m->st->commit(m->store);
}

static int m_rollback(void *s)
{
	meddling *m = s;
	return m->st->rollback(m->store);
}

static int m_put(void *s, const char *k, const void *v, size_t n, uint64_t e,
		 uint64_t *out)
{
	meddling *m = s;
	return m->st->put(m->store, k, v, n, e, out);
}

static int m_remove(void *s, const char *k, uint64_t e)
{
	meddling *m = s;
	return m->st->remove(m->store, k, e);
}

static int m_scan(void *s, const char *p, roster_storage_row_fn row, void *d)
{
	meddling *m = s;

	if (m->meddle && strcmp(p, m->prefix) == 0 && ++m->seen == m->at) {
		m->meddle(m->data);
		m->meddle = NULL;
	}
	return m->st->scan(m->store, p, row, d);
}

static const roster_storage meddling_methods = {
	ROSTER_STORAGE_VERSION, m_begin, m_commit, m_rollback, m_put,
	m_remove, m_scan, NULL, NULL, NULL
};

/* A directory on a new handle of the fixture's store, through `m`. */
static roster_directory *open_meddling(meddling *m, fixture *fx)
{
	roster_directory_options o;
	roster_directory *d = NULL;

	memset(m, 0, sizeof(*m));
	m->st = ST(fx);
	m->store = fx_open(fx);
	o = on_store(&meddling_methods, m);
	assert_int_equal(roster_directory_open(&d, &o), 0);
	return d;
}

/* Refresh b while `meddle(data)` commits just before the `at`-th scan of
 * `prefix`, which must come. */
static void refresh_meddled(roster_directory *b, meddling *m,
			    const char *prefix, int at,
			    void (*meddle)(void *), void *data)
{
	m->prefix = prefix;
	m->at = at;
	m->seen = 0;
	m->meddle = meddle;
	m->data = data;
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_null(m->meddle);
}

typedef struct meddler {
	world *w;
	roster_id user;
} meddler;

static void take_login(void *data)
{
	meddler *md = data;

	assert_int_equal(set_user(md->w, md->user, ROSTER_FIELD_EMAIL,
				  "taken@acme.example"),
			 0);
}

static void delete_user(void *data)
{
	meddler *md = data;

	assert_int_equal(roster_user_delete(md->w->dir, &md->w->as_partner,
					    md->user),
			 0);
}

/*
 * Another directory gives u1 a new login while a refresh reads the store,
 * between its reading of the records and its reading of the counters
 * (which a change of login writes, so that two directories giving one
 * login to two users conflict). The refreshed directory must not then
 * give u2 the same login: it either sees u1's new login or still holds
 * the counters' old version and conflicts. The store opens after.
 */
static void test_refresh_counters_before_records(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b, *check = NULL;
	meddling m;
	meddler md;
	roster_id u1, u2;
	world *w;
	int rc;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "U", "One",
				    "u1@acme.example", 0, &u1), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "U", "Two",
				    "u2@acme.example", 0, &u2), 0);
	b = open_meddling(&m, fx);
	md.w = w;
	md.user = u1;
	refresh_meddled(b, &m, "m/", 1, take_login, &md);
	rc = set_str(b, &w->as_partner, u2, ROSTER_FIELD_EMAIL,
		     "taken@acme.example");
	if (rc != ROSTER_EEXISTS && rc != ROSTER_ECONFLICT)
		fail_msg("u2 took u1's login: %d", rc);
	o = on_store(ST(fx), fx_open(fx));
	assert_int_equal(roster_directory_open(&check, &o), 0);
	roster_directory_free(check);
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/*
 * A user renamed, then deleted between the two readings of the record
 * keys of one refresh (the second looks for deleted records, as another
 * user was deleted before): the refreshed directory shows and finds what
 * a directory opened on the store then shows and finds.
 */
static void test_refresh_deleted_between_scans(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	meddling m;
	meddler md;
	roster_id x, y;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Xavier",
				    "Gone", "x@acme.example", 0, &x), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Yves",
				    "Gone", "y@acme.example", 0, &y), 0);
	b = open_meddling(&m, fx);
	rename_user(w, x, "Renamed");
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, y), 0);
	md.w = w;
	md.user = x;
	refresh_meddled(b, &m, "r/", 2, delete_user, &md);
	assert_as_opened(fx, fx_open(fx), b, w, "deleted between scans");
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

static void delete_partner(void *data)
{
	meddler *md = data;

	assert_int_equal(roster_record_delete(md->w->dir, &md->w->system,
					      md->user),
			 0);
}

/*
 * A partner written again as it was (an account created under it writes
 * it, and was deleted since: the refresh takes the partner's new version
 * alone), then deleted between the two readings of the record keys (the
 * second looks for deleted records, as a user was deleted before; a
 * partner's deletion queues no event, which would have the refresh read
 * everything): the refresh must not give the version it read to the
 * partner it has just freed, and the directory shows what a directory
 * opened on the store shows.
 */
static void test_refresh_rewritten_deleted_between_scans(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	meddling m;
	meddler md;
	roster_id partner, acc, v;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(roster_partner_create(&partner, w->dir, &w->system,
					       "Passing"), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Victor",
				    "Gone", "v@acme.example", 0, &v), 0);
	b = open_meddling(&m, fx);
	assert_int_equal(roster_account_create(&acc, w->dir, &w->system,
					       partner, "Brief"), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->system, acc), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, v), 0);
	md.w = w;
	md.user = partner;
	refresh_meddled(b, &m, "r/", 2, delete_partner, &md);
	assert_as_opened(fx, fx_open(fx), b, w,
			 "rewritten, deleted between scans");
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

/* Two users deleted in one transaction by a directory keeping no outbox
 * (whose commits leave the event counter alone). */
typedef struct quiet {
	fixture *fx;
	world *w;
	roster_id one, two;
} quiet;

static void delete_two_quietly(void *data)
{
	quiet *q = data;
	roster_directory_options o = on_store(ST(q->fx), fx_open(q->fx));
	roster_directory *d = NULL;

	o.flags = ROSTER_DIRECTORY_NO_OUTBOX;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	assert_int_equal(roster_transaction_begin(d), 0);
	assert_int_equal(roster_user_delete(d, &q->w->system, q->one), 0);
	assert_int_equal(roster_user_delete(d, &q->w->system, q->two), 0);
	assert_int_equal(roster_transaction_commit(d), 0);
	roster_directory_free(d);
}

/*
 * A user created, read by a refresh, then deleted between the two
 * readings of the record keys together with a user the directory held
 * (the second reading looks for deleted records, as another user was
 * deleted before): the directory must not show the one and not the
 * other, which no state of the store ever was.
 */
static void test_refresh_created_deleted_between_scans(void **state)
{
	void *ms;
	fixture *fx = fx_new_on(*state, &ms);
	roster_directory_options o;
	roster_directory *b;
	meddling m;
	quiet q;
	roster_id held, gone, made;
	world *w;

	o = on_store(ST(fx), ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Hugo",
				    "Held", "h@acme.example", 0, &held), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Gina",
				    "Gone", "g@acme.example", 0, &gone), 0);
	b = open_meddling(&m, fx);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, gone), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Mona",
				    "Made", "m@acme.example", 0, &made), 0);
	q.fx = fx;
	q.w = w;
	q.one = held;
	q.two = made;
	refresh_meddled(b, &m, "r/", 2, delete_two_quietly, &q);
	assert_as_opened(fx, fx_open(fx), b, w,
			 "created, deleted between scans");
	roster_directory_free(b);
	world_free(w);
	fx_free(fx);
}

int main(void)
{
	/* each once per backend, named "backend: test" */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_shows_commits),
		cmocka_unit_test(test_refresh_unchanged),
		cmocka_unit_test(test_refresh_random_changes),
		cmocka_unit_test(test_refresh_reads_only_changes),
		cmocka_unit_test(test_refresh_out_of_memory),
		cmocka_unit_test(test_refresh_units_out_of_memory),
		cmocka_unit_test(test_refresh_accounts_in_id_order),
		cmocka_unit_test(test_refresh_account_below_held),
		cmocka_unit_test(test_refresh_users_moved_by_store),
		cmocka_unit_test(test_refresh_counters_before_records),
		cmocka_unit_test(test_refresh_deleted_between_scans),
		cmocka_unit_test(test_refresh_rewritten_deleted_between_scans),
		cmocka_unit_test(test_refresh_created_deleted_between_scans),
		cmocka_unit_test(test_no_lost_update),
		cmocka_unit_test(test_last_admin_across_directories),
		cmocka_unit_test(test_revoked_admin_across_directories),
		cmocka_unit_test(test_revoked_admin_store_without_check),
		cmocka_unit_test(test_values_of_earlier_rules),
		cmocka_unit_test(test_last_admin_threads),
		cmocka_unit_test(test_race_same_login),
		cmocka_unit_test(test_race_deleted_site),
		cmocka_unit_test(test_race_deleted_account),
		cmocka_unit_test(test_race_same_name),
		cmocka_unit_test(test_race_helpdesk),
		cmocka_unit_test(test_id_space_exhausted),
		cmocka_unit_test(test_event_numbers_exhausted),
	};

	return store_run_per_backend("storage/refresh", tests,
				     sizeof(tests) / sizeof(tests[0]));
}
