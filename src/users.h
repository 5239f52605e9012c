/* users.h (internal): user records shared by user.c and token.c. */
#ifndef RS_USERS_H
#define RS_USERS_H

#include "model.h"

/* Deep copy of a user record (with its hashes and tokens). */
int rs_user_copy(roster_directory *dir, const rs_user *src, rs_user **out);
/*
 * Index a user read from the store (outside any transaction): its login,
 * lines and extension must be free. 0, or ROSTER_EPARSE naming `key`.
 */
int rs_user_index_load(roster_directory *dir, const rs_user *u,
		       const char *key);
/*
 * Check a user read from the store against the rules the API enforces
 * (normal forms, lines, rules across fields; not uniqueness, which
 * rs_user_index_load checks). ROSTER_EPARSE with the field and rule in
 * `why`, or ROSTER_ENOMEM recorded.
 */
int rs_user_check_stored(roster_directory *dir, const rs_user *u, char *why,
			 size_t n);
/* Replace a user record by a new version whose keys are unchanged. */
int rs_user_replace(roster_directory *dir, rs_user *next);

#endif
