/*
 * snapshot.h: everything a directory shows through its public API, as text.
 *
 * A snapshot walks every partner, account, site, PBX, permission group and
 * user with roster_list (paging through cursors), roster_record_get and
 * roster_user_get, and renders every field: names, counters, flags,
 * references, lines, whether a password is set, and whether the login
 * index still finds each user. Two snapshots are equal exactly when
 * nothing a host can read has changed, so a test takes one before and one
 * after a refused call and compares them.
 *
 * Taking a snapshot makes only successful calls, so it leaves the
 * directory's last error as it was, and frees everything it reads.
 */
#ifndef ROSTER_TEST_SNAPSHOT_H
#define ROSTER_TEST_SNAPSHOT_H

#include "roster.h"

/* The snapshot as a malloc'd string (free with free(3)); fails the test
 * when a listing or read fails. */
char *snapshot_take(roster_directory *dir);

/* Fail the test, printing the first differing line, unless a and b are
 * equal. `what` names the check in the message. */
void snapshot_assert_equal(const char *a, const char *b, const char *what);

#endif
