/*
 * actor.h: who is acting.
 *
 * Every mutating call names its actor:
 *
 * - ROSTER_ACTOR_SYSTEM: the host itself (provisioning, migrations). It may
 *   do anything the data rules allow.
 * - ROSTER_ACTOR_PARTNER: a reseller, by partner id. It acts on its own
 *   customer accounts only (003).
 * - ROSTER_ACTOR_USER: a user of an account, by user id. When the user
 *   holds the admin role it is an account admin and acts on every user of
 *   its own account (003, 004); otherwise it edits only the self-service
 *   fields of its own record (002). The role is read at the time of the
 *   call, so a revoked admin loses its rights at once; through another
 *   directory on the same store, the commit finds the admin's record
 *   changed (ROSTER_ECONFLICT, then a refresh) and the retry is refused,
 *   with a store that has check (roster/sys/storage.h; docs/storage.md,
 *   "What a commit checks").
 *
 * The rules enforced on top of these scopes: an admin cannot be deleted
 * until the admin role is removed (004); an account never loses its last
 * admin while it has other users (alone, the admin may step down, so that
 * an account can be emptied and deleted); nobody grants a right they do
 * not hold themselves (the admin role, the statutory flag, do-not-bill).
 *
 * Reads by id or name take no actor (roster_user_get, roster_record_get,
 * roster_list, roster_user_find_login, roster_record_find): the host
 * shows them only to whom it may, as it knows its session. The calls that
 * gather users for an actor (search, count, export, the bulk actions)
 * take one and keep to its scope. A refusal tells a record of another
 * account from a missing one (auth.scope against record.notfound): the
 * existence of an id is not kept secret, its contents are the host's to
 * keep.
 *
 * roster_actor has a frozen layout (16 bytes): it will never grow, so it
 * is safe to build on the stack and pass by pointer.
 */
#ifndef ROSTER_ACTOR_H
#define ROSTER_ACTOR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kinds of actors. Values are stable. */
typedef enum roster_actor_kind {
	ROSTER_ACTOR_SYSTEM = 1,
	ROSTER_ACTOR_PARTNER = 2,
	ROSTER_ACTOR_USER = 3
} roster_actor_kind;

/** Who acts. Frozen layout; `reserved` must be 0. */
typedef struct roster_actor {
	uint32_t kind;
	uint32_t reserved;
	roster_id id;
} roster_actor;

/** Initialise an actor. Returns ROSTER_EINVAL for an unknown kind or NULL. */
ROSTER_API int roster_actor_init(roster_actor *actor, int kind, roster_id id);

#ifdef __cplusplus
}
#endif

#endif
