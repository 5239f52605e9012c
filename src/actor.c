/* actor.c: resolving actors and the authorisation rules. */
#include <string.h>

#include "fields.h"
#include "policy.h"

int roster_actor_init(roster_actor *actor, int kind, roster_id id)
{
	if (!actor)
		return rs_error_tl(ROSTER_EINVAL, "actor", "arg.null", NULL);
	if (kind < ROSTER_ACTOR_SYSTEM || kind > ROSTER_ACTOR_USER ||
	    (kind != ROSTER_ACTOR_SYSTEM && id == 0))
		return rs_error_tl(ROSTER_EINVAL, "actor", "arg.actor", NULL);
	actor->kind = (uint32_t)kind;
	actor->reserved = 0;
	actor->id = kind == ROSTER_ACTOR_SYSTEM ? 0 : id;
	return ROSTER_OK;
}

int rs_who_resolve(roster_directory *dir, const roster_actor *actor,
		   rs_who *who)
{
	rs_rec *r;

	memset(who, 0, sizeof(*who));
	if (!actor)
		return rs_fail(dir, ROSTER_EINVAL, "actor", "arg.null", NULL);
	if (actor->reserved)
		return rs_fail(dir, ROSTER_EINVAL, "actor", "arg.actor", NULL);
	who->kind = (int)actor->kind;
	who->id = actor->id;
	switch (actor->kind) {
	case ROSTER_ACTOR_SYSTEM:
		return ROSTER_OK;
	case ROSTER_ACTOR_PARTNER:
		if (!rs_get_kind(dir, actor->id, ROSTER_KIND_PARTNER))
			return rs_fail_id(dir, ROSTER_EDENIED, "partner",
					  "auth.actor", actor->id);
		return ROSTER_OK;
	case ROSTER_ACTOR_USER:
		r = rs_get_kind(dir, actor->id, ROSTER_KIND_USER);
		if (!r)
			return rs_fail_id(dir, ROSTER_EDENIED, "user",
					  "auth.actor", actor->id);
		who->account = r->parent;
		/* its role decides: the commit checks it is still so */
		dir->acting_user = actor->id;
		who->admin = RS_FLAG(((rs_user *)r), ROSTER_FIELD_ADMIN);
		who->statutory = RS_FLAG(((rs_user *)r), ROSTER_FIELD_STATUTORY);
		return ROSTER_OK;
	default:
		return rs_fail(dir, ROSTER_EINVAL, "actor", "arg.actor", NULL);
	}
}

int rs_authz_system(roster_directory *dir, const rs_who *who)
{
	if (who->kind == ROSTER_ACTOR_SYSTEM)
		return ROSTER_OK;
	return rs_fail(dir, ROSTER_EDENIED, NULL, "auth.system", NULL);
}

/* Is `who` the system, the account's partner, or (scope permitting) one
 * of its admins? Returns the refusing rule or NULL. */
static const char *account_rule(const roster_directory *dir,
				const rs_who *who, roster_id account, int scope)
{
	rs_rec *acc = rs_get_kind(dir, account, ROSTER_KIND_ACCOUNT);

	switch (who->kind) {
	case ROSTER_ACTOR_SYSTEM:
		return NULL;
	case ROSTER_ACTOR_PARTNER:
		return acc && acc->parent == who->id ? NULL : "auth.scope";
	case ROSTER_ACTOR_USER:
		if (who->account != account)
			return "auth.scope";
		if (scope == RS_MANAGE_USERS && who->admin)
			return NULL;
		/* in its own account: not the partner, or not an admin */
		return scope == RS_MANAGE_USERS ? "auth.admin" : "auth.partner";
	}
	return "auth.scope";
}

int rs_authz_account(roster_directory *dir, const rs_who *who,
		     roster_id account, int scope)
{
	const char *rule = account_rule(dir, who, account, scope);

	return rule ? rs_fail(dir, ROSTER_EDENIED, NULL, rule, NULL)
		    : ROSTER_OK;
}

const char *rs_field_rule(const roster_directory *dir, const rs_who *who,
			  roster_id account, roster_id target_user, int field,
			  int *code)
{
	const rs_field_info *fi = rs_field(field);
	int self = who->kind == ROSTER_ACTOR_USER && target_user &&
		   who->id == target_user;
	const char *rule;

	*code = ROSTER_EDENIED;
	if (!fi) {
		*code = ROSTER_EINVAL;
		return "arg.range";
	}
	/* outside the actor's reach no field is editable: say that first,
	 * as roster_user_update does */
	rule = account_rule(dir, who, account, RS_MANAGE_USERS);
	if (rule && (!self || who->account != account))
		return rule;
	/* registered is set by activation; only the host may force it */
	if (fi->flags & RS_F_READONLY)
		return who->kind == ROSTER_ACTOR_SYSTEM ? NULL
							: "auth.readonly";
	/* a user who is not an admin edits the self-service fields of their
	 * own record (002) */
	if (rule)
		return (fi->flags & RS_F_SELF) ? NULL : "auth.field";
	/* an admin: nobody grants a right they do not hold */
	if (who->kind == ROSTER_ACTOR_USER) {
		const rs_rec *t;

		if (field == ROSTER_FIELD_STATUTORY && !who->statutory)
			return "auth.grant";
		if (field == ROSTER_FIELD_DO_NOT_BILL)
			return "auth.grant";
		/* nor takes over the login of one who holds it: setting a
		 * statutory person's password or login would let the admin
		 * act as that person, and grant the flag */
		if ((field == ROSTER_FIELD_PASSWORD ||
		     field == ROSTER_FIELD_EMAIL) &&
		    !who->statutory && !self && target_user &&
		    (t = rs_get(dir, target_user)) &&
		    t->kind == ROSTER_KIND_USER &&
		    RS_FLAG((const rs_user *)t, ROSTER_FIELD_STATUTORY))
			return "auth.statutory";
	}
	return NULL;
}
