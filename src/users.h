/* users.h (internal): user records: their versions in memory
 * (user_record.c) and what user.c shares with the other writers. */
#ifndef RS_USERS_H
#define RS_USERS_H

#include "model.h"

/* A new, empty working copy (model.h); NULL out of memory. */
rs_user *rs_user_new(const rs_alloc *al);
/* Replace string i (model.h) of the working copy u by s (taken, may be
 * NULL), freeing the one it had. */
void rs_user_set(const rs_alloc *al, rs_user *u, size_t i, char *s);
/* Void a working copy's reset and welcome tokens: their hashes and
 * their deadlines. */
void rs_user_void_tokens(const rs_alloc *al, rs_user *u);
/* A working copy of a user version (with its hashes and tokens): one
 * allocation per string, ready to be changed. 0 or ENOMEM recorded. */
int rs_user_copy(roster_directory *dir, const rs_user *src, rs_user **out);
/* A packed copy of `src` (left as it is) in one block.
 * 0 or ROSTER_ENOMEM, not recorded. */
int rs_user_pack(const rs_alloc *al, const rs_user *src, rs_user **out);
/* Replace the working copy *u by its packed form, ready to publish (no
 * change when already packed). 0 or ENOMEM recorded, *u then untouched. */
int rs_user_publishable(roster_directory *dir, rs_user **u);
/* Free a user version, packed or not. Accepts NULL. */
void rs_user_release(const rs_alloc *al, rs_user *u);
/* The login of a user's new version `cur` takes the place of the old
 * one's (either NULL), logged: rs_put calls it for every user version.
 * 0 or ROSTER_ENOMEM, not recorded. */
int rs_user_login_swap(roster_directory *dir, const rs_user *old,
		       const rs_user *cur);
/*
 * Index a user read from the store (outside any transaction): its login,
 * lines and extension must be free. 0, or ROSTER_EPARSE naming `key`.
 */
int rs_user_index_load(roster_directory *dir, const rs_user *u,
		       const char *key);
/*
 * Another directory's version of a user, read by a refresh, replaces the
 * one held, inside a transaction (undone whole if anything fails).
 * Every version leaving (`old`, `next` the one replacing it or NULL when
 * the user is gone) is unlinked before any arriving one is linked (`u`,
 * `prev` the one it replaces or NULL when new), so that two users may
 * trade a login. Unlinking takes the unique keys out, and the member
 * lists and admin count where they change. Linking (of a version whose
 * links were checked, rs_persist_check) checks that its account is one,
 * puts the keys in (ROSTER_EPARSE, recorded, when another user holds one;
 * `key` names the record in messages) and the rest back, then publishes
 * `u`. 0, ROSTER_EPARSE or ROSTER_ENOMEM, recorded.
 */
int rs_user_unlink_read(roster_directory *dir, const rs_user *old,
			const rs_user *next);
int rs_user_link_read(roster_directory *dir, rs_user *u, const rs_user *prev,
		      const char *key);
/*
 * Check a user read from the store against the rules the API enforces:
 * rs_user_check_stored those of the user alone (normal forms, lines,
 * product ids), rs_user_check_links the rules across fields, which read
 * the records it refers to (loaded first); neither checks uniqueness,
 * which rs_user_index_load does. ROSTER_EPARSE with the field and rule
 * in `why`, or ROSTER_ENOMEM recorded.
 */
int rs_user_check_stored(roster_directory *dir, const rs_user *u, char *why,
			 size_t n);
int rs_user_check_links(roster_directory *dir, const rs_user *u, char *why,
			size_t n);
/* Replace a user record by a new version whose keys are unchanged. */
int rs_user_replace(roster_directory *dir, rs_user *next);

#endif
