/*
 * policy.h (internal): who may do what to whom.
 *
 * The rules live here and only here; the model calls them before it
 * changes anything. See roster/actor.h for the rules in words.
 */
#ifndef RS_POLICY_H
#define RS_POLICY_H

#include "model.h"

/* The actor resolved against the directory at the time of the call. */
typedef struct rs_who {
	int kind;	   /* roster_actor_kind */
	roster_id id;	   /* partner or user id */
	roster_id account; /* user actors: their account */
	int admin;	   /* user actors: holds the admin role */
	int statutory;	   /* user actors: holds the statutory flag */
} rs_who;

/* What the actor wants to do to an account or its contents. */
enum rs_scope {
	RS_MANAGE_USERS = 1, /* users, sites, groups: system, partner, admin */
	RS_MANAGE_SERVICES   /* the account itself and its ordered services:
				system and partner */
};

/* Check and resolve an actor; records the error on failure. */
int rs_who_resolve(roster_directory *dir, const roster_actor *actor,
		   rs_who *who);

/* May `who` act on `account` at `scope`? 0 or a recorded error. */
int rs_authz_account(roster_directory *dir, const rs_who *who,
		     roster_id account, int scope);

/* Is `who` the system? 0 or a recorded error. */
int rs_authz_system(roster_directory *dir, const rs_who *who);

/*
 * May `who` change `field` of a user of `account` (target_user 0 for the
 * creation form)? Returns NULL when allowed, else the refusing rule, and
 * sets *code to the error code of the refusal.
 */
const char *rs_field_rule(const roster_directory *dir, const rs_who *who,
			  roster_id account, roster_id target_user, int field,
			  int *code);

#endif
