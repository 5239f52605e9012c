/*
 * search_slots.c: a directory handle's limit of users, the slots of its
 * search index, against the library built with 512 of them
 * (RS_SLOT_BITS=9, tests/meson.build) instead of 67,108,864. One user
 * more is refused with its own rule and changes nothing, whether created
 * alone or by an import; a store holding as many users as a handle holds
 * opens in another handle and is refreshed there, and a slot freed by a
 * deletion is taken again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "search_index.h"

_Static_assert(RS_SLOTS_MAX == 512, "this suite runs with 512 slots");

/* How many users the directory holds (a search of every account). */
static size_t users_in(roster_directory *dir, const roster_actor *sys)
{
	roster_query *q = NULL;
	size_t n = 0;

	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_search_count(&n, dir, sys, 0, q), 0);
	roster_query_free(q);
	return n;
}

static int create(world *w, roster_directory *dir, unsigned i, roster_id *id)
{
	roster_directory *kept = w->dir;
	char email[40];
	int rc;

	snprintf(email, sizeof(email), "s%u@acme.example", i);
	w->dir = dir;
	rc = world_user(w, &w->system, w->account, "Slot", "User", email, 0,
			id);
	w->dir = kept;
	return rc;
}

static void assert_full(roster_directory *dir, int rc)
{
	const roster_error *e = roster_directory_error(dir);

	assert_int_equal(rc, ROSTER_ERROR);
	assert_string_equal(roster_error_rule(e), "users.max");
	assert_string_equal(roster_error_message(e),
			    "a directory holds at most 512 users");
}

typedef struct csv_src {
	const char *s;
	size_t at;
} csv_src;

static long csv_read(void *data, void *buf, size_t len)
{
	csv_src *c = data;
	size_t n = strlen(c->s + c->at);

	if (n > len)
		n = len;
	memcpy(buf, c->s + c->at, n);
	c->at += n;
	return (long)n;
}

static void test_users_max(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *b = NULL;
	roster_id id = 0, last = 0;
	size_t created;
	unsigned i = 0;
	world *w;
	int rc;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	w = world_new(&o);
	/* the world's two admins, then users until the index is full */
	while ((rc = create(w, w->dir, i, &id)) == ROSTER_OK) {
		last = id;
		i++;
	}
	/* not out of memory: the host could do nothing about it */
	assert_full(w->dir, rc);
	assert_int_equal(users_in(w->dir, &w->system), RS_SLOTS_MAX);
	world_events_clear(w);
	assert_full(w->dir, create(w, w->dir, i, &id));
	assert_int_equal(w->nevents, 0);
	assert_int_equal(users_in(w->dir, &w->system), RS_SLOTS_MAX);

	/* the store this handle filled opens in another (it needed 64
	 * slots to spare) */
	rc = roster_directory_open(&b, &o);
	if (rc)
		fail_msg("a store of %u users does not open: %s", RS_SLOTS_MAX,
			 roster_error_message(roster_error_last()));
	assert_int_equal(users_in(b, &w->system), RS_SLOTS_MAX);
	assert_full(b, create(w, b, i, &id));

	/* a slot freed is taken again, here and by a refresh there, which
	 * reads the deletion before the creation */
	assert_int_equal(roster_user_delete(w->dir, &w->system, last), 0);
	assert_int_equal(create(w, w->dir, i++, &id), 0);
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_int_equal(users_in(b, &w->system), RS_SLOTS_MAX);

	/* an import: the row past the limit is refused with the rule */
	assert_int_equal(roster_user_delete(w->dir, &w->system, id), 0);
	{
		static const char csv[] = "first_name,last_name,email\n"
					  "Imp,One,imp1@acme.example\n"
					  "Imp,Two,imp2@acme.example\n";
		roster_import_options io;
		roster_import_report *rep = NULL;
		csv_src src = { csv, 0 };

		assert_int_equal(roster_import_options_init(
					 &io, ROSTER_IMPORT_OPTIONS_VERSION),
				 0);
		io.mode = ROSTER_IMPORT_BEST_EFFORT;
		assert_int_equal(roster_import(&rep, w->dir, &w->system,
					       w->account, ROSTER_FORMAT_CSV,
					       csv_read, &src, &io),
				 0);
		created = roster_import_created(rep);
		assert_int_equal(created, 1);
		assert_int_equal(roster_import_error_count(rep), 1);
		assert_string_equal(roster_import_error_rule(rep, 0),
				    "users.max");
		roster_import_report_free(rep);
	}
	assert_int_equal(users_in(w->dir, &w->system), RS_SLOTS_MAX);
	roster_directory_free(b);
	world_free(w);
	roster_memstore_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
