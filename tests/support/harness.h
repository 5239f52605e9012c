/*
 * harness.h: shared fixtures of the test suites.
 *
 * A test world is a directory with a fake clock, an event recorder and a
 * cheap password hash, populated with one partner owning one account that
 * has a PBX, a site, a permission group and one admin, plus a second
 * partner with its own account and admin (for out-of-scope checks).
 */
#ifndef ROSTER_TEST_HARNESS_H
#define ROSTER_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "roster.h"

#define EVENTS_MAX 512

typedef struct rec_event {
	int type;
	uint64_t seq;
	roster_id partner, account, user, pbx;
	int admin;
	char email[256];
	char secret[128];
	char password[300];
} rec_event;

typedef struct world {
	roster_directory *dir;
	int64_t now;
	rec_event events[EVENTS_MAX];
	size_t nevents;
	roster_actor system;
	roster_id partner, account, pbx, site, group;
	roster_actor as_partner;
	roster_id admin;      /* an admin user of `account` */
	roster_actor as_admin;
	roster_id other_partner, other_account, other_admin;
	roster_actor as_other_partner, as_other_admin;
} world;

/* Build a world; returns 0 or fails the test. The allocator hooks of
 * `opts` (may be NULL) are used. */
world *world_new(const roster_directory_options *opts);

/* Options (current version, defaults) of a directory on memory store ms. */
roster_directory_options memstore_options(roster_memstore *ms);
void world_free(world *w);

/* Create a user in `account` with the given names and e-mail, as `actor`.
 * Returns the roster code; *out gets the id. */
int world_user(world *w, const roster_actor *actor, roster_id account,
	       const char *first, const char *last, const char *email,
	       int admin, roster_id *out);

/* Update user `u`'s note as actor `a`; returns the roster code. */
int set_note(roster_directory *d, const roster_actor *a, roster_id u,
	     const char *note);
/* The version of user `id` (roster_user_version), which must exist. */
uint64_t user_version(roster_directory *d, roster_id id);

/* Number of recorded events of a type since the last world_events_clear. */
size_t world_count(const world *w, int type);
/* The last recorded event of a type, NULL if none. */
const rec_event *world_last(const world *w, int type);
void world_events_clear(world *w);

/* A copy of the default catalog's XML to edit (free it). */
char *catalog_xml_copy(void);
/* Replace the first `from` in xml by `to`, of the same length. */
void catalog_xml_edit(char *xml, const char *from, const char *to);
/* Load an edited catalog, which must be valid. */
roster_catalog *catalog_xml_load(const char *xml);

/* An actor value. */
roster_actor actor_of(int kind, roster_id id);

/* Assert the directory's last error has this code and rule. */
#define assert_err(w, code, rule)                                              \
	do {                                                                   \
		assert_int_equal(roster_error_code(roster_directory_error(     \
					 (w)->dir)),                           \
				 (code));                                      \
		assert_string_equal(roster_error_rule(roster_directory_error(  \
					    (w)->dir)),                        \
				    (rule));                                   \
	} while (0)

#endif
