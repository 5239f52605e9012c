/*
 * full_user.h: a fixture for the suites of internal pieces: a directory
 * holding one user with a value in every kind of field (names with
 * diacritics, a multi-line note, a civic address, a PBX extension, two
 * lines, a group, a site, flags), its welcome link and a password reset
 * pending. Compiled into each suite that uses it, so that it links with
 * the library the suite links.
 */
#ifndef ROSTER_TEST_FULL_USER_H
#define ROSTER_TEST_FULL_USER_H

#include "roster.h"

#define FULL_USER_IDS 6

/* The directory (free with roster_directory_free); ids gets the partner,
 * account, PBX, site, group and user. Fails the test on any error. */
roster_directory *full_user_directory(roster_id ids[FULL_USER_IDS]);

#endif
