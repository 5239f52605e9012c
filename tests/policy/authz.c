/*
 * authz.c: the whole authorisation matrix.
 *
 * Every kind of actor (actor.h) tries every mutating operation on targets
 * inside and outside its reach, and every field of the user form. The
 * expected outcome of each case is written down in the tables below, from
 * the rules of BRIEF.md and include/roster/{actor,account,user,password}.h:
 *
 * - partners are created by the system only; accounts and their ordered
 *   services (Helpdesk, PBXes) by the system or the account's partner;
 * - sites, permission groups and users by the system, the partner and the
 *   account's admins (003, 004);
 * - a plain user edits only the self-service fields of their own record
 *   (002) and may ask a reset of their own password;
 * - nobody acts outside the accounts they are given, nobody grants a right
 *   they do not hold (admin role, statutory flag, do-not-bill);
 * - an admin cannot be deleted (004), an account keeps its last admin,
 *   "registered" is set by activation (only the host may force it), and a
 *   revoked admin loses its rights at once.
 *
 * Each refused call must leave the directory exactly as it was (compared
 * through a snapshot of everything the API shows) and raise no event; each
 * allowed call must raise at least one. Mismatches are all printed, with
 * the actor, the operation and the target, before the test fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"

/* ------------------------------------------------------------------ */
/* Actors, targets, expectations                                       */

enum actor_ix {
	SYS,	/* the system actor */
	PART,	/* the partner of the account */
	OPART,	/* another partner */
	ADMIN,	/* an admin of the account */
	USER,	/* a plain (non-admin) user of the account */
	OADMIN, /* an admin of another account */
	NOPART, /* a partner id that names nothing */
	NOUSER, /* a user id that names nothing */
	RESV,	/* a well-formed actor with reserved != 0 */
	NACTORS
};

static const char *const actor_names[NACTORS] = {
	"system",	 "partner",	 "other partner",
	"admin",	 "plain user",	 "other account's admin",
	"unknown partner", "unknown user", "reserved != 0",
};

enum target_ix {
	T_NONE, /* the operation names no record */
	T_IN,	/* a record of the account (or partner) of the fixture */
	T_OUT,	/* the same kind of record under the other partner */
	T_SELF, /* the acting user's own record */
	T_MIXED /* the account of the fixture, but a user of the other one */
};

static const char *const target_names[] = {
	"-", "in the account", "in the other account", "own record",
	"account + foreign user",
};

typedef struct expect {
	int code;	  /* 1: the case does not apply */
	const char *rule; /* "" when allowed */
} expect;

#define ALLOW { ROSTER_OK, "" }
#define NA { 1, NULL }
#define D_SYS { ROSTER_EDENIED, "auth.system" }
#define D_SCOPE { ROSTER_EDENIED, "auth.scope" }
#define D_PARTNER { ROSTER_EDENIED, "auth.partner" }
#define D_ADMIN { ROSTER_EDENIED, "auth.admin" }
#define D_FIELD { ROSTER_EDENIED, "auth.field" }
#define D_GRANT { ROSTER_EDENIED, "auth.grant" }
#define D_RO { ROSTER_EDENIED, "auth.readonly" }
#define D_ACTOR { ROSTER_EDENIED, "auth.actor" }
#define E_ACTOR { ROSTER_EINVAL, "arg.actor" }
#define P_ADMDEL { ROSTER_EPOLICY, "admin.delete" }
/* a user of another account, for an actor that may manage both */
#define I_ACCOUNT { ROSTER_EINVALID, "user.account" }
/* the three actors that do not resolve, for rows where they apply */
#define UNRESOLVED D_ACTOR, D_ACTOR, E_ACTOR

enum op_ix {
	OP_PARTNER_CREATE,
	OP_ACCOUNT_CREATE,
	OP_HELPDESK,
	OP_SITE_CREATE,
	OP_PBX_CREATE,
	OP_GROUP_CREATE,
	OP_RENAME_PARTNER,
	OP_RENAME_ACCOUNT,
	OP_RENAME_SITE,
	OP_RENAME_PBX,
	OP_RENAME_GROUP,
	OP_DELETE_ACCOUNT,
	OP_DELETE_SITE,
	OP_DELETE_PBX,
	OP_DELETE_GROUP,
	OP_USER_CREATE,
	OP_USER_DELETE,
	OP_RESET_ONE,
	OP_RESET_ALL,
	OP_WELCOME_ONE,
	OP_WELCOME_ALL,
	NOPS
};

static const char *const op_names[NOPS] = {
	"partner create", "account create", "helpdesk set",
	"site create",	  "pbx create",	    "group create",
	"partner rename", "account rename", "site rename",
	"pbx rename",	  "group rename",   "account delete",
	"site delete",	  "pbx delete",	    "group delete",
	"user create",	  "user delete",    "password reset (one)",
	"password reset (all)", "welcome send (one)", "welcome send (all)",
};

typedef struct op_row {
	int op, target;
	expect e[NACTORS];
} op_row;

/* Who may do what (account.h, password.h, user.h, actor.h). */
static const op_row op_matrix[] = {
	/*                         system   partner  o.partner admin   user     o.admin  ?partner ?user reserved */
	{ OP_PARTNER_CREATE, T_NONE, { ALLOW, D_SYS, D_SYS, D_SYS, D_SYS, D_SYS, UNRESOLVED } },

	{ OP_ACCOUNT_CREATE, T_IN,   { ALLOW, ALLOW, D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE, UNRESOLVED } },
	{ OP_ACCOUNT_CREATE, T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, D_SCOPE, UNRESOLVED } },
	{ OP_HELPDESK,       T_IN,   { ALLOW, ALLOW, D_SCOPE, D_PARTNER, D_PARTNER, D_SCOPE, UNRESOLVED } },
	{ OP_HELPDESK,       T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, D_PARTNER, UNRESOLVED } },
	{ OP_PBX_CREATE,     T_IN,   { ALLOW, ALLOW, D_SCOPE, D_PARTNER, D_PARTNER, D_SCOPE, UNRESOLVED } },
	{ OP_PBX_CREATE,     T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, D_PARTNER, UNRESOLVED } },
	{ OP_SITE_CREATE,    T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_SITE_CREATE,    T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },
	{ OP_GROUP_CREATE,   T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_GROUP_CREATE,   T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },

	{ OP_RENAME_PARTNER, T_IN,   { ALLOW, D_SYS, D_SYS, D_SYS, D_SYS, D_SYS, UNRESOLVED } },
	{ OP_RENAME_PARTNER, T_OUT,  { ALLOW, D_SYS, D_SYS, D_SYS, D_SYS, D_SYS, UNRESOLVED } },
	{ OP_RENAME_ACCOUNT, T_IN,   { ALLOW, ALLOW, D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE, UNRESOLVED } },
	{ OP_RENAME_ACCOUNT, T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, D_SCOPE, UNRESOLVED } },
	{ OP_RENAME_PBX,     T_IN,   { ALLOW, ALLOW, D_SCOPE, D_PARTNER, D_PARTNER, D_SCOPE, UNRESOLVED } },
	{ OP_RENAME_PBX,     T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, D_PARTNER, UNRESOLVED } },
	{ OP_RENAME_SITE,    T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_RENAME_SITE,    T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },
	{ OP_RENAME_GROUP,   T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_RENAME_GROUP,   T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },

	{ OP_DELETE_ACCOUNT, T_IN,   { ALLOW, ALLOW, D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE, UNRESOLVED } },
	{ OP_DELETE_ACCOUNT, T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, D_SCOPE, UNRESOLVED } },
	{ OP_DELETE_PBX,     T_IN,   { ALLOW, ALLOW, D_SCOPE, D_PARTNER, D_PARTNER, D_SCOPE, UNRESOLVED } },
	{ OP_DELETE_PBX,     T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, D_PARTNER, UNRESOLVED } },
	{ OP_DELETE_SITE,    T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_DELETE_SITE,    T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },
	{ OP_DELETE_GROUP,   T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_DELETE_GROUP,   T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },

	{ OP_USER_CREATE,    T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_USER_CREATE,    T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },
	{ OP_USER_DELETE,    T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_USER_DELETE,    T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },
	/* an admin cannot be deleted (004); a plain user cannot delete */
	{ OP_USER_DELETE,    T_SELF, { NA, NA, NA, P_ADMDEL, D_ADMIN, NA, NA, NA, NA } },

	{ OP_RESET_ONE,      T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_RESET_ONE,      T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },
	/* anyone may ask a reset of their own password */
	{ OP_RESET_ONE,      T_SELF, { NA, NA, NA, ALLOW, ALLOW, NA, NA, NA, NA } },
	/* a user of another account named in a request for this one */
	{ OP_RESET_ONE,      T_MIXED, { I_ACCOUNT, D_SCOPE, D_SCOPE, D_SCOPE, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_RESET_ALL,      T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_RESET_ALL,      T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },

	{ OP_WELCOME_ONE,    T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_WELCOME_ONE,    T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },
	/* the welcome e-mail is the managers' to send, even to themselves */
	{ OP_WELCOME_ONE,    T_SELF, { NA, NA, NA, ALLOW, D_ADMIN, NA, NA, NA, NA } },
	{ OP_WELCOME_ONE,    T_MIXED, { I_ACCOUNT, D_SCOPE, D_SCOPE, D_SCOPE, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_WELCOME_ALL,    T_IN,   { ALLOW, ALLOW, D_SCOPE, ALLOW, D_ADMIN, D_SCOPE, UNRESOLVED } },
	{ OP_WELCOME_ALL,    T_OUT,  { ALLOW, D_SCOPE, ALLOW, D_SCOPE, D_SCOPE, ALLOW, UNRESOLVED } },
};

/* Classes of user fields, by who may set them. */
enum field_class {
	C_SELF,	     /* self-service (002): the user may edit their own */
	C_MANAGED,   /* managers only */
	C_STATUTORY, /* managers holding the statutory flag themselves */
	C_DNB,	     /* do-not-bill: system and partner only */
	C_RO,	     /* registered: set by activation, or by the host */
	NCLASSES
};

static const int field_class[ROSTER_FIELD_END] = {
	[ROSTER_FIELD_FIRST_NAME] = C_SELF,
	[ROSTER_FIELD_LAST_NAME] = C_SELF,
	[ROSTER_FIELD_DISPLAY_NAME] = C_SELF,
	[ROSTER_FIELD_EMAIL] = C_SELF,
	[ROSTER_FIELD_PASSWORD] = C_SELF,
	[ROSTER_FIELD_PHONE] = C_SELF,
	[ROSTER_FIELD_ADDRESS_STREET] = C_SELF,
	[ROSTER_FIELD_ADDRESS_EXTRA] = C_SELF,
	[ROSTER_FIELD_ADDRESS_LOCALITY] = C_SELF,
	[ROSTER_FIELD_ADDRESS_REGION] = C_SELF,
	[ROSTER_FIELD_ADDRESS_POSTCODE] = C_SELF,
	[ROSTER_FIELD_ADDRESS_COUNTRY] = C_SELF,
	[ROSTER_FIELD_LANGUAGE] = C_SELF,
	[ROSTER_FIELD_GROUP] = C_MANAGED,
	[ROSTER_FIELD_SITE] = C_MANAGED,
	[ROSTER_FIELD_PBX] = C_MANAGED,
	[ROSTER_FIELD_EXTENSION] = C_MANAGED,
	[ROSTER_FIELD_LINES] = C_MANAGED,
	[ROSTER_FIELD_NOTE] = C_MANAGED,
	[ROSTER_FIELD_TWO_FACTOR] = C_SELF,
	[ROSTER_FIELD_API_COMMUNICATOR] = C_MANAGED,
	[ROSTER_FIELD_STATUTORY] = C_STATUTORY,
	[ROSTER_FIELD_DO_NOT_BILL] = C_DNB,
	[ROSTER_FIELD_SYSTEM_USER] = C_MANAGED,
	[ROSTER_FIELD_ADMIN] = C_MANAGED,
	[ROSTER_FIELD_REGISTERED] = C_RO,
	[ROSTER_FIELD_LICENCE] = C_MANAGED,
	[ROSTER_FIELD_PACK] = C_MANAGED,
	[ROSTER_FIELD_HELPDESK] = C_MANAGED,
	[ROSTER_FIELD_CLOUD] = C_RO,
	[ROSTER_FIELD_IOT] = C_RO,
};

typedef struct field_row {
	int actor, target;
	expect e[NCLASSES];
} field_row;

/* Who may set which user field (user.h, actor.h). */
static const field_row field_matrix[] = {
	/*                 self-service managed  statutory do_not_bill registered */
	{ SYS,    T_IN,   { ALLOW,   ALLOW,   ALLOW,   ALLOW,   ALLOW } },
	{ SYS,    T_OUT,  { ALLOW,   ALLOW,   ALLOW,   ALLOW,   ALLOW } },
	{ PART,   T_IN,   { ALLOW,   ALLOW,   ALLOW,   ALLOW,   D_RO } },
	{ PART,   T_OUT,  { D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE } },
	{ OPART,  T_IN,   { D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE } },
	{ OPART,  T_OUT,  { ALLOW,   ALLOW,   ALLOW,   ALLOW,   D_RO } },
	/* the admin of the fixture does not hold the statutory flag */
	{ ADMIN,  T_IN,   { ALLOW,   ALLOW,   D_GRANT, D_GRANT, D_RO } },
	{ ADMIN,  T_OUT,  { D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE } },
	{ ADMIN,  T_SELF, { ALLOW,   ALLOW,   D_GRANT, D_GRANT, D_RO } },
	{ USER,   T_IN,   { D_ADMIN, D_ADMIN, D_ADMIN, D_ADMIN, D_ADMIN } },
	{ USER,   T_OUT,  { D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE } },
	{ USER,   T_SELF, { ALLOW,   D_FIELD, D_FIELD, D_FIELD, D_RO } },
	{ OADMIN, T_IN,   { D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE, D_SCOPE } },
	{ OADMIN, T_OUT,  { ALLOW,   ALLOW,   D_GRANT, D_GRANT, D_RO } },
	{ NOPART, T_IN,   { D_ACTOR, D_ACTOR, D_ACTOR, D_ACTOR, D_ACTOR } },
	{ NOPART, T_OUT,  { D_ACTOR, D_ACTOR, D_ACTOR, D_ACTOR, D_ACTOR } },
	{ NOUSER, T_IN,   { D_ACTOR, D_ACTOR, D_ACTOR, D_ACTOR, D_ACTOR } },
	{ NOUSER, T_OUT,  { D_ACTOR, D_ACTOR, D_ACTOR, D_ACTOR, D_ACTOR } },
	{ RESV,   T_IN,   { E_ACTOR, E_ACTOR, E_ACTOR, E_ACTOR, E_ACTOR } },
	{ RESV,   T_OUT,  { E_ACTOR, E_ACTOR, E_ACTOR, E_ACTOR, E_ACTOR } },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* The fixture                                                         */

enum spare_ix { SP_ACCOUNT, SP_SITE, SP_PBX, SP_GROUP, NSPARES };

typedef struct fx {
	world *w;
	int dirty; /* a call succeeded: rebuild before the next case */
	roster_id admin2;   /* a second admin of the account */
	roster_id user;	    /* a plain user of the account (the USER actor) */
	roster_id target;   /* another plain user of the account */
	roster_id o_target; /* a plain user of the other account */
	roster_id o_pbx, o_site, o_group;
	/* records in no use: [0] of the fixture's partner/account, [1] of
	 * the other one (an empty account, a site, a PBX, a group) */
	roster_id spare[2][NSPARES];
	roster_actor actors[NACTORS];
	size_t failures;
} fx;

#define UNKNOWN_ID 987654321u

static void form_str(roster_form *f, int field, const char *v)
{
	assert_int_equal(roster_form_set_str(f, field, v), ROSTER_OK);
}

/* Every field a user may carry, so that changing any one alone is valid. */
static void full_form(roster_form *f, const char *email, roster_id pbx,
		      const char *ext, roster_id site, roster_id group,
		      const char *line)
{
	form_str(f, ROSTER_FIELD_EMAIL, email);
	form_str(f, ROSTER_FIELD_PHONE, "+33 1 23 45 67 89");
	form_str(f, ROSTER_FIELD_ADDRESS_STREET, "1 Main Street");
	form_str(f, ROSTER_FIELD_ADDRESS_EXTRA, "Suite 1");
	form_str(f, ROSTER_FIELD_ADDRESS_LOCALITY, "Paris");
	form_str(f, ROSTER_FIELD_ADDRESS_REGION, "IDF");
	form_str(f, ROSTER_FIELD_ADDRESS_POSTCODE, "75001");
	form_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "FR");
	form_str(f, ROSTER_FIELD_LANGUAGE, "en-US");
	form_str(f, ROSTER_FIELD_NOTE, "A note");
	form_str(f, ROSTER_FIELD_EXTENSION, ext);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE, site), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, group), 0);
	assert_int_equal(roster_form_set_lines(f, &line, 1), 0);
}

static roster_id add_user(world *w, roster_id account, const char *first,
			  const char *email, int admin, roster_id pbx,
			  const char *ext, roster_id site, roster_id group,
			  const char *line)
{
	roster_form *f = NULL;
	roster_id id = 0;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	form_str(f, ROSTER_FIELD_FIRST_NAME, first);
	form_str(f, ROSTER_FIELD_LAST_NAME, "Tester");
	full_form(f, email, pbx, ext, site, group, line);
	if (admin)
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1),
				 0);
	assert_int_equal(roster_user_create(&id, w->dir, &w->system, account,
					    f),
			 ROSTER_OK);
	roster_form_free(f);
	return id;
}

static void fx_build(fx *x)
{
	static const char *const video = "video";
	world *w = world_new(NULL);
	roster_form *f = NULL;
	roster_id *sp;
	int i;

	x->w = w;
	x->dirty = 0;
	/* the other account gets a PBX, a site and a group too */
	assert_int_equal(roster_pbx_create(&x->o_pbx, w->dir, &w->system,
					   w->other_account, "Other PBX", 3, 4),
			 0);
	assert_int_equal(roster_site_create(&x->o_site, w->dir, &w->system,
					    w->other_account, "Berlin"),
			 0);
	assert_int_equal(roster_group_create(&x->o_group, w->dir, &w->system,
					     w->other_account, "Support"),
			 0);
	for (i = 0; i < 2; i++) {
		roster_id partner = i ? w->other_partner : w->partner;
		roster_id account = i ? w->other_account : w->account;

		sp = x->spare[i];
		assert_int_equal(roster_account_create(&sp[SP_ACCOUNT], w->dir,
						       &w->system, partner,
						       "Empty"),
				 0);
		assert_int_equal(roster_site_create(&sp[SP_SITE], w->dir,
						    &w->system, account,
						    "Spare site"),
				 0);
		assert_int_equal(roster_pbx_create(&sp[SP_PBX], w->dir,
						   &w->system, account,
						   "Spare PBX", 3, 4),
				 0);
		assert_int_equal(roster_group_create(&sp[SP_GROUP], w->dir,
						     &w->system, account,
						     "Spare group"),
				 0);
		/* Video needs no service; Helpdesk lets users attach */
		assert_int_equal(roster_account_set_licences(w->dir, &w->system,
							     account, NULL,
							     &video, 1),
				 0);
		assert_int_equal(roster_account_set_helpdesk(w->dir, &w->system,
							     account, 1),
				 0);
	}
	/* stations for the users' pack, at both accounts' sites */
	assert_int_equal(roster_station_order(w->dir, &w->system, w->site,
					      "basic", 10), 0);
	assert_int_equal(roster_station_order(w->dir, &w->system, x->o_site,
					      "basic", 10), 0);
	/* the harness's admin gets every field too */
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	full_form(f, "ada@acme.example", w->pbx, "101", w->site, w->group,
		  "+33 1 00 00 00 01");
	assert_int_equal(roster_user_update(w->dir, &w->system, w->admin, f),
			 ROSTER_OK);
	roster_form_free(f);
	x->admin2 = add_user(w, w->account, "Bea", "bea@acme.example", 1,
			     w->pbx, "102", w->site, w->group,
			     "+33 1 00 00 00 02");
	x->user = add_user(w, w->account, "Uma", "uma@acme.example", 0, w->pbx,
			   "103", w->site, w->group, "+33 1 00 00 00 03");
	x->target = add_user(w, w->account, "Tom", "tom@acme.example", 0,
			     w->pbx, "104", w->site, w->group,
			     "+33 1 00 00 00 04");
	x->o_target = add_user(w, w->other_account, "Olga",
			       "olga@globex.example", 0, x->o_pbx, "201",
			       x->o_site, x->o_group, "+33 1 00 00 00 05");

	x->actors[SYS] = w->system;
	x->actors[PART] = w->as_partner;
	x->actors[OPART] = w->as_other_partner;
	x->actors[ADMIN] = w->as_admin;
	x->actors[USER] = actor_of(ROSTER_ACTOR_USER, x->user);
	x->actors[OADMIN] = w->as_other_admin;
	x->actors[NOPART] = actor_of(ROSTER_ACTOR_PARTNER, UNKNOWN_ID);
	x->actors[NOUSER] = actor_of(ROSTER_ACTOR_USER, UNKNOWN_ID);
	x->actors[RESV] = actor_of(ROSTER_ACTOR_USER, x->user);
	x->actors[RESV].reserved = 1;
	world_events_clear(w);
}

/* A world in its initial state (rebuilt only after a change). */
static world *fx_fresh(fx *x)
{
	if (x->w && !x->dirty)
		return x->w;
	world_free(x->w);
	fx_build(x);
	return x->w;
}

static int fx_setup(void **state)
{
	fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	*state = x;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *x = *state;

	world_free(x->w);
	free(x);
	return 0;
}

/* A world of the fixture's shape for a test that changes it freely. */
static world *fx_private(fx *x)
{
	world *w;

	x->dirty = 1;
	w = fx_fresh(x);
	x->dirty = 1; /* whatever the test does, the next one rebuilds */
	return w;
}

/* Each test counts its own mismatches. */
static fx *fx_start(void **state)
{
	fx *x = *state;

	x->failures = 0;
	return x;
}

/* The user a target names for an actor. */
static roster_id self_of(const fx *x, int actor)
{
	switch (actor) {
	case ADMIN:
		return x->w->admin;
	case USER:
		return x->user;
	case OADMIN:
		return x->w->other_admin;
	}
	return 0;
}

static roster_id target_user(const fx *x, int target, int actor)
{
	switch (target) {
	case T_IN:
		return x->target;
	case T_OUT:
	case T_MIXED:
		return x->o_target;
	case T_SELF:
		return self_of(x, actor);
	}
	return 0;
}

static const roster_error *last_err(const fx *x)
{
	return roster_directory_error(x->w->dir);
}

#define MISMATCH(x, ...)                                                       \
	do {                                                                   \
		print_error(__VA_ARGS__);                                      \
		print_error("\n");                                            \
		(x)->failures++;                                               \
	} while (0)

/* ------------------------------------------------------------------ */
/* Operations                                                          */

static int run_op(fx *x, int op, int target, int actor)
{
	world *w = x->w;
	roster_directory *d = w->dir;
	const roster_actor *a = &x->actors[actor];
	int out = target == T_OUT;
	roster_id account = out ? w->other_account : w->account;
	roster_id partner = out ? w->other_partner : w->partner;
	const roster_id *sp = x->spare[out];
	roster_id id = 0, users[1];
	roster_form *f = NULL;
	int rc;

	switch (op) {
	case OP_PARTNER_CREATE:
		return roster_partner_create(&id, d, a, "New Partner");
	case OP_ACCOUNT_CREATE:
		return roster_account_create(&id, d, a, partner, "New Account");
	case OP_HELPDESK:
		/* the fixture's accounts have it: the change takes it off */
		return roster_account_set_helpdesk(d, a, account, 0);
	case OP_SITE_CREATE:
		return roster_site_create(&id, d, a, account, "New Site");
	case OP_PBX_CREATE:
		return roster_pbx_create(&id, d, a, account, "New PBX", 2, 6);
	case OP_GROUP_CREATE:
		return roster_group_create(&id, d, a, account, "New Group");
	case OP_RENAME_PARTNER:
		return roster_record_rename(d, a, partner, "Renamed");
	case OP_RENAME_ACCOUNT:
		return roster_record_rename(d, a, sp[SP_ACCOUNT], "Renamed");
	case OP_RENAME_SITE:
		return roster_record_rename(d, a, sp[SP_SITE], "Renamed");
	case OP_RENAME_PBX:
		return roster_record_rename(d, a, sp[SP_PBX], "Renamed");
	case OP_RENAME_GROUP:
		return roster_record_rename(d, a, sp[SP_GROUP], "Renamed");
	case OP_DELETE_ACCOUNT:
		return roster_record_delete(d, a, sp[SP_ACCOUNT]);
	case OP_DELETE_SITE:
		return roster_record_delete(d, a, sp[SP_SITE]);
	case OP_DELETE_PBX:
		return roster_record_delete(d, a, sp[SP_PBX]);
	case OP_DELETE_GROUP:
		return roster_record_delete(d, a, sp[SP_GROUP]);
	case OP_USER_CREATE:
		assert_int_equal(roster_form_new(&f, d), 0);
		form_str(f, ROSTER_FIELD_FIRST_NAME, "Nina");
		form_str(f, ROSTER_FIELD_LAST_NAME, "New");
		form_str(f, ROSTER_FIELD_EMAIL, "nina.new@example.org");
		rc = roster_user_create(&id, d, a, account, f);
		roster_form_free(f);
		if (rc == ROSTER_OK)
			assert_int_not_equal(id, 0);
		else
			assert_int_equal(id, 0);
		return rc;
	case OP_USER_DELETE:
		return roster_user_delete(d, a, target_user(x, target, actor));
	case OP_RESET_ONE:
	case OP_WELCOME_ONE:
		users[0] = target_user(x, target, actor);
		if (target == T_MIXED)
			account = w->account;
		return op == OP_RESET_ONE
			       ? roster_password_reset(d, a, account, users, 1)
			       : roster_welcome_send(d, a, account, users, 1);
	case OP_RESET_ALL:
		return roster_password_reset(d, a, account, NULL, 0);
	case OP_WELCOME_ALL:
		return roster_welcome_send(d, a, account, NULL, 0);
	}
	fail_msg("unknown operation %d", op);
	return ROSTER_ERROR;
}

/*
 * Run one call and compare it with the expectation: an allowed call must
 * succeed and raise events; a refused one must fail with the expected code
 * and rule, change nothing and raise nothing.
 */
typedef int (*call_fn)(fx *x, const void *arg);

static void check_call(fx *x, const expect *e, const char *label,
		       int need_event, call_fn call, const void *arg)
{
	world *w = fx_fresh(x);
	char *before = snapshot_take(w->dir);
	char *after;
	int rc;

	world_events_clear(w);
	rc = call(x, arg);
	if (e->code == ROSTER_OK) {
		if (rc != ROSTER_OK)
			MISMATCH(x, "%s: expected success, got %d (%s, rule %s)",
				 label, rc, roster_strerror(rc),
				 roster_error_rule(last_err(x)));
		else if (need_event && w->nevents == 0)
			MISMATCH(x, "%s: succeeded without any event", label);
		x->dirty = 1;
		free(before);
		return;
	}
	if (rc == ROSTER_OK) {
		MISMATCH(x, "%s: expected %s (%s), but it succeeded", label,
			 roster_strerror(e->code), e->rule);
		x->dirty = 1;
		free(before);
		return;
	}
	if (rc != e->code ||
	    roster_error_code(last_err(x)) != e->code ||
	    strcmp(roster_error_rule(last_err(x)), e->rule) != 0)
		MISMATCH(x, "%s: expected %d rule %s, got %d rule %s", label,
			 e->code, e->rule, rc, roster_error_rule(last_err(x)));
	if (w->nevents)
		MISMATCH(x, "%s: refused but raised %zu event(s), first %s",
			 label, w->nevents,
			 roster_event_type_name(w->events[0].type));
	after = snapshot_take(w->dir);
	if (strcmp(before, after) != 0) {
		MISMATCH(x, "%s: refused but changed the directory", label);
		x->dirty = 1;
	}
	free(before);
	free(after);
}

typedef struct op_arg {
	int op, target, actor;
} op_arg;

static int call_op(fx *x, const void *arg)
{
	const op_arg *o = arg;

	return run_op(x, o->op, o->target, o->actor);
}

static void test_operation_matrix(void **state)
{
	fx *x = fx_start(state);
	size_t r, cases = 0;
	int a;

	for (r = 0; r < NELEM(op_matrix); r++) {
		const op_row *row = &op_matrix[r];

		for (a = 0; a < NACTORS; a++) {
			op_arg arg = { row->op, row->target, a };
			char label[160];

			if (row->e[a].code == 1)
				continue;
			snprintf(label, sizeof(label), "%s as %s on %s",
				 op_names[row->op], actor_names[a],
				 target_names[row->target]);
			/* there is no event for a partner's new name */
			check_call(x, &row->e[a], label,
				   row->op != OP_RENAME_PARTNER, call_op, &arg);
			cases++;
		}
	}
	print_message("%zu operation cases\n", cases);
	assert_int_equal(x->failures, 0);
}

/* Every operation appears in the matrix, every actor in each row. */
static void test_matrix_is_complete(void **state)
{
	int seen[NOPS] = { 0 };
	size_t r;
	int op, a, seen_field[NACTORS] = { 0 };

	(void)state;
	for (r = 0; r < NELEM(op_matrix); r++)
		seen[op_matrix[r].op] = 1;
	for (op = 0; op < NOPS; op++)
		if (!seen[op])
			fail_msg("operation %s has no row", op_names[op]);
	for (r = 0; r < NELEM(field_matrix); r++)
		seen_field[field_matrix[r].actor] = 1;
	for (a = 0; a < NACTORS; a++)
		if (!seen_field[a])
			fail_msg("actor %s has no field row", actor_names[a]);
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */

/*
 * Put into the form a changing, valid value of `field` for user `id`;
 * *expect_str gets the value a string field must read back as.
 */
static void put_change(fx *x, roster_form *f, roster_id id, int field,
		       const char **expect_str)
{
	world *w = x->w;
	roster_user *u = NULL;
	int out, v;
	const char *line = "+33 1 99 99 99 99";
	static const struct {
		int field;
		const char *value, *normal;
	} strs[] = {
		{ ROSTER_FIELD_FIRST_NAME, "Changed", "Changed" },
		{ ROSTER_FIELD_LAST_NAME, "  Changed   Name ", "Changed Name" },
		{ ROSTER_FIELD_DISPLAY_NAME, "Changed Display", "Changed Display" },
		{ ROSTER_FIELD_EMAIL, "Changed@Example.org", "Changed@Example.org" },
		{ ROSTER_FIELD_PASSWORD, "Changed-pass-1", NULL },
		{ ROSTER_FIELD_PHONE, "+420 601 234 567", "+420601234567" },
		{ ROSTER_FIELD_ADDRESS_STREET, "2 Side Street", "2 Side Street" },
		{ ROSTER_FIELD_ADDRESS_EXTRA, "Floor 3", "Floor 3" },
		{ ROSTER_FIELD_ADDRESS_LOCALITY, "Lyon", "Lyon" },
		{ ROSTER_FIELD_ADDRESS_REGION, "Rhone", "Rhone" },
		{ ROSTER_FIELD_ADDRESS_POSTCODE, "69001", "69001" },
		{ ROSTER_FIELD_ADDRESS_COUNTRY, "be", "BE" },
		{ ROSTER_FIELD_LANGUAGE, "fr_fr", "fr-FR" },
		{ ROSTER_FIELD_EXTENSION, "1999", "1999" },
		{ ROSTER_FIELD_NOTE, "Changed\nnote", "Changed\nnote" },
		{ ROSTER_FIELD_LICENCE, "video", "video" },
		{ ROSTER_FIELD_PACK, "basic", "basic" },
	};
	size_t i;

	*expect_str = NULL;
	for (i = 0; i < NELEM(strs); i++) {
		if (strs[i].field == field) {
			form_str(f, field, strs[i].value);
			*expect_str = strs[i].normal;
			return;
		}
	}
	assert_int_equal(roster_user_get(&u, w->dir, id), 0);
	out = roster_user_account(u) != w->account;
	switch (field) {
	case ROSTER_FIELD_GROUP:
		assert_int_equal(roster_form_set_ref(f, field,
						     x->spare[out][SP_GROUP]),
				 0);
		break;
	case ROSTER_FIELD_SITE:
		assert_int_equal(roster_form_set_ref(f, field,
						     x->spare[out][SP_SITE]),
				 0);
		break;
	case ROSTER_FIELD_PBX:
		assert_int_equal(roster_form_set_ref(f, field,
						     x->spare[out][SP_PBX]),
				 0);
		break;
	case ROSTER_FIELD_LINES:
		assert_int_equal(roster_form_set_lines(f, &line, 1), 0);
		*expect_str = "+33199999999";
		break;
	case ROSTER_FIELD_DO_NOT_BILL:
		v = !roster_user_bool(u, field);
		assert_int_equal(roster_form_set_bool(f, field, v), 0);
		/* valid only on a system user */
		if (v && !roster_user_bool(u, ROSTER_FIELD_SYSTEM_USER))
			assert_int_equal(roster_form_set_bool(
						 f, ROSTER_FIELD_SYSTEM_USER, 1),
					 0);
		break;
	default:
		assert_int_equal(roster_field_type(field), ROSTER_TYPE_BOOL);
		assert_int_equal(roster_form_set_bool(f, field,
						      !roster_user_bool(u, field)),
				 0);
	}
	roster_user_free(u);
}

/* After an allowed change: the field reads back as set. */
static void check_changed(fx *x, const char *label, roster_id id, int field,
			  const char *expect_str, const char *before)
{
	roster_user *u = NULL;
	const char *got;

	assert_int_equal(roster_user_get(&u, x->w->dir, id), 0);
	switch (roster_field_type(field)) {
	case ROSTER_TYPE_STRING:
		if (field == ROSTER_FIELD_PASSWORD) {
			if (!roster_user_has_password(u))
				MISMATCH(x, "%s: no password after the change",
					 label);
			break;
		}
		got = roster_user_str(u, field);
		if (!got || strcmp(got, expect_str) != 0)
			MISMATCH(x, "%s: reads back [%s], expected [%s]", label,
				 got ? got : "(null)", expect_str);
		break;
	case ROSTER_TYPE_LIST:
		got = roster_user_line(u, 0);
		if (roster_user_line_count(u) != 1 || !got ||
		    strcmp(got, expect_str) != 0)
			MISMATCH(x, "%s: lines read back wrong", label);
		break;
	default:
		/* flags and references: the snapshot must differ */
		{
			char *now = snapshot_take(x->w->dir);

			if (strcmp(now, before) == 0)
				MISMATCH(x, "%s: succeeded but changed nothing",
					 label);
			free(now);
		}
	}
	roster_user_free(u);
}

static void check_field(fx *x, int actor, int target, int field,
			const expect *e, size_t *cases)
{
	world *w = fx_fresh(x);
	const roster_actor *a = &x->actors[actor];
	roster_id id = target_user(x, target, actor);
	roster_form *f = NULL;
	const char *expect_str = NULL;
	char label[200], rule[64] = "";
	char *before, *after;
	int access = -1, rc, code = ROSTER_OK, by_field = 0;

	snprintf(label, sizeof(label), "field %s as %s on %s",
		 roster_field_name(field), actor_names[actor],
		 target_names[target]);
	(*cases)++;

	/* what the portal would grey out */
	rc = roster_user_field_access(&access, w->dir, a, id, field);
	if (e->code != ROSTER_OK && e->code != ROSTER_EDENIED) {
		/* the actor itself is malformed: the call fails */
		if (rc != e->code ||
		    strcmp(roster_error_rule(last_err(x)), e->rule) != 0)
			MISMATCH(x, "%s: field_access gave %d rule %s, "
				    "expected %d rule %s",
				 label, rc, roster_error_rule(last_err(x)),
				 e->code, e->rule);
		code = e->code;
	} else if (!strcmp(e->rule, "auth.actor")) {
		if (rc != ROSTER_EDENIED ||
		    strcmp(roster_error_rule(last_err(x)), e->rule) != 0)
			MISMATCH(x, "%s: field_access gave %d rule %s, "
				    "expected an unknown actor",
				 label, rc, roster_error_rule(last_err(x)));
		code = ROSTER_EDENIED;
	} else {
		if (rc != ROSTER_OK) {
			MISMATCH(x, "%s: field_access failed: %d %s", label, rc,
				 roster_error_rule(last_err(x)));
			return;
		}
		if (access != (e->code == ROSTER_OK))
			MISMATCH(x, "%s: field_access says %d, the table %s",
				 label, access,
				 e->code == ROSTER_OK ? "allows" : e->rule);
		if (!access) {
			by_field = 1;
			code = roster_error_code(last_err(x));
			if (code != ROSTER_EDENIED)
				MISMATCH(x, "%s: field_access recorded code %d",
					 label, code);
			if (strcmp(roster_error_field(last_err(x)),
				   roster_field_name(field)) != 0)
				MISMATCH(x, "%s: field_access recorded field %s",
					 label, roster_error_field(last_err(x)));
			if (e->code != ROSTER_OK &&
			    strcmp(roster_error_rule(last_err(x)), e->rule))
				MISMATCH(x, "%s: field_access rule %s, table %s",
					 label, roster_error_rule(last_err(x)),
					 e->rule);
		}
	}
	snprintf(rule, sizeof(rule), "%s", roster_error_rule(last_err(x)));

	/* and the same rule when the form is applied */
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	put_change(x, f, id, field, &expect_str);
	before = snapshot_take(w->dir);
	world_events_clear(w);
	rc = roster_user_update(w->dir, a, id, f);
	roster_form_free(f);
	if (access == 1) {
		x->dirty = 1;
		if (rc != ROSTER_OK)
			MISMATCH(x, "%s: allowed by field_access, but the "
				    "update failed: %d rule %s field %s",
				 label, rc, roster_error_rule(last_err(x)),
				 roster_error_field(last_err(x)));
		else if (!world_count(w, ROSTER_EVENT_USER_UPDATED))
			MISMATCH(x, "%s: updated without a user.updated event",
				 label);
		else
			check_changed(x, label, id, field, expect_str, before);
		free(before);
		return;
	}
	if (rc == ROSTER_OK) {
		x->dirty = 1;
		MISMATCH(x, "%s: refused by field_access (%s), but the update "
			    "succeeded",
			 label, rule);
		free(before);
		return;
	}
	if (rc != code || strcmp(roster_error_rule(last_err(x)), rule) != 0)
		MISMATCH(x, "%s: field_access refused with %d %s, the update "
			    "with %d %s",
			 label, code, rule, rc, roster_error_rule(last_err(x)));
	/* a refusal of the whole record (out of reach) may name no field */
	if (by_field &&
	    strcmp(roster_error_field(last_err(x)), roster_field_name(field)) &&
	    !(roster_error_field(last_err(x))[0] == '\0' &&
	      (!strcmp(rule, "auth.scope") || !strcmp(rule, "auth.admin"))))
		MISMATCH(x, "%s: the update names field %s", label,
			 roster_error_field(last_err(x)));
	if (w->nevents)
		MISMATCH(x, "%s: refused but raised %zu event(s)", label,
			 w->nevents);
	after = snapshot_take(w->dir);
	if (strcmp(before, after) != 0) {
		MISMATCH(x, "%s: refused but changed the directory", label);
		x->dirty = 1;
	}
	free(before);
	free(after);
}

static void test_field_matrix(void **state)
{
	fx *x = fx_start(state);
	size_t r, cases = 0;
	int field;

	for (r = 0; r < NELEM(field_matrix); r++) {
		const field_row *row = &field_matrix[r];

		for (field = 1; field < ROSTER_FIELD_END; field++)
			check_field(x, row->actor, row->target, field,
				    &row->e[field_class[field]], &cases);
	}
	print_message("%zu field cases\n", cases);
	assert_int_equal(x->failures, 0);
}

/* The creation form answers like the edit form, for every field. */
static void test_creation_form_access(void **state)
{
	fx *x = fx_start(state);
	world *w = fx_fresh(x);
	int a, field, access, rc;

	/* creation in the account: what each actor may set */
	static const int may_create[NACTORS] = { 1, 1, 0, 1, 0, 0, 0, 0, 0 };

	for (a = 0; a < NACTORS; a++) {
		for (field = 1; field < ROSTER_FIELD_END; field++) {
			int cls = field_class[field], want;

			access = -1;
			rc = roster_user_field_access(&access, w->dir,
						      &x->actors[a], w->account,
						      field);
			if (a >= NOPART) {
				if (rc == ROSTER_OK)
					MISMATCH(x, "creation form: %s answered",
						 actor_names[a]);
				continue;
			}
			assert_int_equal(rc, ROSTER_OK);
			want = may_create[a] &&
			       (cls == C_SELF || cls == C_MANAGED ||
				(cls == C_RO && a == SYS) ||
				(cls == C_STATUTORY && a != ADMIN) ||
				(cls == C_DNB && a != ADMIN));
			if (access != want)
				MISMATCH(x, "creation form: field %s as %s: %s, "
					    "expected %s",
					 roster_field_name(field),
					 actor_names[a],
					 access ? "allowed"
						: roster_error_rule(last_err(x)),
					 want ? "allowed" : "refused");
		}
	}
	assert_int_equal(x->failures, 0);
}

/* ------------------------------------------------------------------ */
/* The special rules                                                   */

static roster_form *bool_form(world *w, int field, int value)
{
	roster_form *f = NULL;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_bool(f, field, value), 0);
	return f;
}

/* Apply a one-flag form; on refusal, check nothing changed. */
static int set_flag(world *w, const roster_actor *a, roster_id user,
		    int field, int value)
{
	roster_form *f = bool_form(w, field, value);
	char *before = snapshot_take(w->dir), *after;
	int rc;

	world_events_clear(w);
	rc = roster_user_update(w->dir, a, user, f);
	roster_form_free(f);
	if (rc != ROSTER_OK) {
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "refused flag change");
		assert_int_equal(w->nevents, 0);
		free(after);
	}
	free(before);
	return rc;
}

static int user_flag(world *w, roster_id user, int field)
{
	roster_user *u = NULL;
	int v;

	assert_int_equal(roster_user_get(&u, w->dir, user), 0);
	v = roster_user_bool(u, field);
	roster_user_free(u);
	return v;
}

static size_t admins_of(world *w, roster_id account)
{
	roster_record *r = NULL;
	size_t n;

	assert_int_equal(roster_record_get(&r, w->dir, account), 0);
	n = roster_record_admins(r);
	roster_record_free(r);
	return n;
}

static int delete_checked(world *w, const roster_actor *a, roster_id user)
{
	char *before = snapshot_take(w->dir), *after;
	int rc;

	world_events_clear(w);
	rc = roster_user_delete(w->dir, a, user);
	if (rc != ROSTER_OK) {
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "refused delete");
		assert_int_equal(w->nevents, 0);
		free(after);
	}
	free(before);
	return rc;
}

static void test_admin_cannot_be_deleted(void **state)
{
	fx *x = fx_start(state);
	world *w;
	roster_actor as_admin2;

	w = fx_private(x);
	as_admin2 = actor_of(ROSTER_ACTOR_USER, x->admin2);
	/* by anyone who may delete users, themselves included */
	assert_int_equal(delete_checked(w, &w->system, w->admin),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.delete");
	assert_int_equal(delete_checked(w, &w->as_partner, w->admin),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.delete");
	assert_int_equal(delete_checked(w, &as_admin2, w->admin),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.delete");
	assert_int_equal(delete_checked(w, &w->as_admin, w->admin),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.delete");
	/* outside the reach, the scope is what refuses */
	assert_int_equal(delete_checked(w, &w->as_other_partner, w->admin),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.scope");

	/* remove the role first (004), then the delete goes through */
	assert_int_equal(set_flag(w, &as_admin2, w->admin, ROSTER_FIELD_ADMIN,
				  0),
			 ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_ROLE_CHANGED), 1);
	assert_int_equal(world_last(w, ROSTER_EVENT_ROLE_CHANGED)->admin, 0);
	assert_int_equal(delete_checked(w, &as_admin2, w->admin), ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_DELETED), 1);
	assert_int_equal(admins_of(w, w->account), 1);
}

static void test_last_admin_stays(void **state)
{
	world *w = world_new(NULL);
	roster_id second = 0;
	roster_actor as_second;

	(void)state;
	assert_int_equal(admins_of(w, w->account), 1);
	/* an account with users besides its admin */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Pia",
				    "Plain", "pia@acme.example", 0, &second),
			 ROSTER_OK);
	/* nobody removes the role from the only admin */
	assert_int_equal(set_flag(w, &w->system, w->admin, ROSTER_FIELD_ADMIN,
				  0),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.last");
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "admin");
	assert_int_equal(set_flag(w, &w->as_partner, w->admin,
				  ROSTER_FIELD_ADMIN, 0),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.last");
	assert_int_equal(set_flag(w, &w->as_admin, w->admin, ROSTER_FIELD_ADMIN,
				  0),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.last");
	assert_int_equal(user_flag(w, w->admin, ROSTER_FIELD_ADMIN), 1);

	/* with a second admin, the first may step down */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Sam",
				    "Second", "sam@acme.example", 1, &second),
			 ROSTER_OK);
	assert_int_equal(admins_of(w, w->account), 2);
	assert_int_equal(set_flag(w, &w->as_admin, w->admin, ROSTER_FIELD_ADMIN,
				  0),
			 ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_ROLE_CHANGED), 1);
	assert_int_equal(admins_of(w, w->account), 1);
	/* and now the second is the last one */
	as_second = actor_of(ROSTER_ACTOR_USER, second);
	assert_int_equal(set_flag(w, &as_second, second, ROSTER_FIELD_ADMIN, 0),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.last");
	assert_int_equal(set_flag(w, &w->as_partner, second, ROSTER_FIELD_ADMIN,
				  0),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.last");
	world_free(w);
}

static void test_no_self_grant(void **state)
{
	fx *x = fx_start(state);
	world *w;
	const roster_actor *u;
	int access = -1;

	w = fx_private(x);
	u = &x->actors[USER];
	/* a plain user cannot make themselves an admin */
	assert_int_equal(roster_user_field_access(&access, w->dir, u, x->user,
						  ROSTER_FIELD_ADMIN),
			 ROSTER_OK);
	assert_int_equal(access, 0);
	assert_err(w, ROSTER_EDENIED, "auth.field");
	assert_int_equal(set_flag(w, u, x->user, ROSTER_FIELD_ADMIN, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.field");
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "admin");
	/* nor grant themselves the statutory flag or do-not-bill */
	assert_int_equal(set_flag(w, u, x->user, ROSTER_FIELD_STATUTORY, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.field");
	assert_int_equal(set_flag(w, u, x->user, ROSTER_FIELD_DO_NOT_BILL, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.field");
	/* nor make another user an admin */
	assert_int_equal(set_flag(w, u, x->target, ROSTER_FIELD_ADMIN, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.admin");
	/* but may turn on their own two-factor authentication */
	assert_int_equal(set_flag(w, u, x->user, ROSTER_FIELD_TWO_FACTOR, 1),
			 ROSTER_OK);
	assert_int_equal(user_flag(w, x->user, ROSTER_FIELD_ADMIN), 0);
}

static void test_statutory_needs_statutory(void **state)
{
	fx *x = fx_start(state);
	world *w;
	roster_actor as_admin2;
	int access = -1;

	w = fx_private(x);
	as_admin2 = actor_of(ROSTER_ACTOR_USER, x->admin2);
	/* an admin without the flag cannot give it, not even to themselves */
	assert_int_equal(roster_user_field_access(&access, w->dir, &w->as_admin,
						  x->target,
						  ROSTER_FIELD_STATUTORY),
			 ROSTER_OK);
	assert_int_equal(access, 0);
	assert_err(w, ROSTER_EDENIED, "auth.grant");
	assert_int_equal(set_flag(w, &w->as_admin, x->target,
				  ROSTER_FIELD_STATUTORY, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.grant");
	assert_int_equal(set_flag(w, &w->as_admin, w->admin,
				  ROSTER_FIELD_STATUTORY, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.grant");

	/* the partner makes the admin statutory; now the admin may */
	assert_int_equal(set_flag(w, &w->as_partner, w->admin,
				  ROSTER_FIELD_STATUTORY, 1),
			 ROSTER_OK);
	assert_int_equal(roster_user_field_access(&access, w->dir, &w->as_admin,
						  x->target,
						  ROSTER_FIELD_STATUTORY),
			 ROSTER_OK);
	assert_int_equal(access, 1);
	assert_int_equal(set_flag(w, &w->as_admin, x->target,
				  ROSTER_FIELD_STATUTORY, 1),
			 ROSTER_OK);
	assert_int_equal(user_flag(w, x->target, ROSTER_FIELD_STATUTORY), 1);
	assert_int_equal(set_flag(w, &w->as_admin, x->target,
				  ROSTER_FIELD_STATUTORY, 0),
			 ROSTER_OK);
	/* an admin without it cannot take it away either */
	assert_int_equal(set_flag(w, &as_admin2, w->admin,
				  ROSTER_FIELD_STATUTORY, 0),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.grant");
	assert_int_equal(user_flag(w, w->admin, ROSTER_FIELD_STATUTORY), 1);
	/* at creation too */
	{
		roster_form *f = NULL;
		roster_id id = 0;

		assert_int_equal(roster_form_new(&f, w->dir), 0);
		form_str(f, ROSTER_FIELD_FIRST_NAME, "Stan");
		form_str(f, ROSTER_FIELD_LAST_NAME, "Statutory");
		form_str(f, ROSTER_FIELD_EMAIL, "stan@acme.example");
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_STATUTORY,
						      1),
				 0);
		world_events_clear(w);
		assert_int_equal(roster_user_create(&id, w->dir, &as_admin2,
						    w->account, f),
				 ROSTER_EDENIED);
		assert_err(w, ROSTER_EDENIED, "auth.grant");
		assert_int_equal(w->nevents, 0);
		assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin,
						    w->account, f),
				 ROSTER_OK);
		assert_int_equal(user_flag(w, id, ROSTER_FIELD_STATUTORY), 1);
		roster_form_free(f);
	}
	/* nor takes over the login of a statutory person, which would let
	 * it log in as one and grant the flag: neither the password nor
	 * the e-mail; a statutory admin and the partner may */
	{
		static const int fields[] = { ROSTER_FIELD_PASSWORD,
					      ROSTER_FIELD_EMAIL };
		static const char *const values[] = { "Takeover-Passw0rd!",
						      "taken@acme.example" };
		size_t i;

		for (i = 0; i < 2; i++) {
			roster_form *f = NULL;
			char *before = snapshot_take(w->dir), *after;

			assert_int_equal(roster_user_field_access(
						 &access, w->dir, &as_admin2,
						 w->admin, fields[i]),
					 ROSTER_OK);
			assert_int_equal(access, 0);
			assert_err(w, ROSTER_EDENIED, "auth.statutory");
			assert_int_equal(roster_form_new(&f, w->dir), 0);
			form_str(f, fields[i], values[i]);
			world_events_clear(w);
			assert_int_equal(roster_user_update(w->dir, &as_admin2,
							    w->admin, f),
					 ROSTER_EDENIED);
			assert_err(w, ROSTER_EDENIED, "auth.statutory");
			assert_int_equal(w->nevents, 0);
			after = snapshot_take(w->dir);
			snapshot_assert_equal(before, after, "takeover");
			free(before);
			free(after);
			/* of a user who is not statutory: as before */
			assert_int_equal(roster_user_field_access(
						 &access, w->dir, &as_admin2,
						 x->target, fields[i]),
					 ROSTER_OK);
			assert_int_equal(access, 1);
			assert_int_equal(roster_user_field_access(
						 &access, w->dir, &w->as_partner,
						 w->admin, fields[i]),
					 ROSTER_OK);
			assert_int_equal(access, 1);
			roster_form_free(f);
		}
		/* a statutory admin on another statutory person: may */
		assert_int_equal(set_flag(w, &w->as_admin, x->target,
					  ROSTER_FIELD_STATUTORY, 1),
				 ROSTER_OK);
		assert_int_equal(roster_user_field_access(
					 &access, w->dir, &w->as_admin,
					 x->target, ROSTER_FIELD_PASSWORD),
				 ROSTER_OK);
		assert_int_equal(access, 1);
	}
}

static void test_do_not_bill(void **state)
{
	fx *x = fx_start(state);
	world *w;
	int access = -1;

	w = fx_private(x);
	/* only on a system user, whoever asks */
	assert_int_equal(set_flag(w, &w->system, x->target,
				  ROSTER_FIELD_DO_NOT_BILL, 1),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "do_not_bill.system");
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "do_not_bill");
	assert_int_equal(set_flag(w, &w->as_partner, x->target,
				  ROSTER_FIELD_DO_NOT_BILL, 1),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "do_not_bill.system");

	/* an admin may make a system user but not exempt it from billing */
	assert_int_equal(set_flag(w, &w->as_admin, x->target,
				  ROSTER_FIELD_SYSTEM_USER, 1),
			 ROSTER_OK);
	assert_int_equal(roster_user_field_access(&access, w->dir, &w->as_admin,
						  x->target,
						  ROSTER_FIELD_DO_NOT_BILL),
			 ROSTER_OK);
	assert_int_equal(access, 0);
	assert_err(w, ROSTER_EDENIED, "auth.grant");
	assert_int_equal(set_flag(w, &w->as_admin, x->target,
				  ROSTER_FIELD_DO_NOT_BILL, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.grant");
	/* the partner and the system may */
	assert_int_equal(set_flag(w, &w->as_partner, x->target,
				  ROSTER_FIELD_DO_NOT_BILL, 1),
			 ROSTER_OK);
	assert_int_equal(user_flag(w, x->target, ROSTER_FIELD_DO_NOT_BILL), 1);
	assert_int_equal(set_flag(w, &w->system, x->target,
				  ROSTER_FIELD_DO_NOT_BILL, 0),
			 ROSTER_OK);
	assert_int_equal(set_flag(w, &w->system, x->target,
				  ROSTER_FIELD_DO_NOT_BILL, 1),
			 ROSTER_OK);
	/* and the user cannot stop being a system user while exempt */
	assert_int_equal(set_flag(w, &w->as_admin, x->target,
				  ROSTER_FIELD_SYSTEM_USER, 0),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "do_not_bill.system");
	/* the other partner may not, nor the user themselves */
	assert_int_equal(set_flag(w, &w->as_other_partner, x->target,
				  ROSTER_FIELD_DO_NOT_BILL, 0),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.scope");
	assert_int_equal(set_flag(w, &x->actors[USER], x->user,
				  ROSTER_FIELD_DO_NOT_BILL, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.field");
}

static void test_registered_read_only(void **state)
{
	fx *x = fx_start(state);
	world *w;
	int access = -1, a;
	static const int refused[] = { PART, ADMIN, OADMIN, OPART };

	w = fx_private(x);
	for (a = 0; a < (int)NELEM(refused); a++) {
		assert_int_equal(set_flag(w, &x->actors[refused[a]], x->target,
					  ROSTER_FIELD_REGISTERED, 1),
				 ROSTER_EDENIED);
	}
	assert_int_equal(set_flag(w, &x->actors[USER], x->user,
				  ROSTER_FIELD_REGISTERED, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.readonly");
	assert_int_equal(roster_user_field_access(&access, w->dir,
						  &w->as_partner, x->target,
						  ROSTER_FIELD_REGISTERED),
			 ROSTER_OK);
	assert_int_equal(access, 0);
	assert_err(w, ROSTER_EDENIED, "auth.readonly");
	/* the host may force it */
	assert_int_equal(roster_user_field_access(&access, w->dir, &w->system,
						  x->target,
						  ROSTER_FIELD_REGISTERED),
			 ROSTER_OK);
	assert_int_equal(access, 1);
	assert_int_equal(set_flag(w, &w->system, x->target,
				  ROSTER_FIELD_REGISTERED, 1),
			 ROSTER_OK);
	assert_int_equal(user_flag(w, x->target, ROSTER_FIELD_REGISTERED), 1);
	/* and nobody else may take it back */
	assert_int_equal(set_flag(w, &w->as_admin, x->target,
				  ROSTER_FIELD_REGISTERED, 0),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.readonly");
}

static void test_revoked_admin(void **state)
{
	fx *x = fx_start(state);
	world *w;
	roster_actor as_admin2;
	roster_id id = 0, users[1];
	roster_form *f = NULL;
	int access = -1;

	w = fx_private(x);
	as_admin2 = actor_of(ROSTER_ACTOR_USER, x->admin2);
	/* the admin has the rights ... */
	assert_int_equal(roster_user_field_access(&access, w->dir, &w->as_admin,
						  x->target, ROSTER_FIELD_NOTE),
			 ROSTER_OK);
	assert_int_equal(access, 1);
	/* ... until the other admin revokes the role */
	assert_int_equal(set_flag(w, &as_admin2, w->admin, ROSTER_FIELD_ADMIN,
				  0),
			 ROSTER_OK);
	/* the same actor value, the very next calls */
	assert_int_equal(roster_user_field_access(&access, w->dir, &w->as_admin,
						  x->target, ROSTER_FIELD_NOTE),
			 ROSTER_OK);
	assert_int_equal(access, 0);
	assert_err(w, ROSTER_EDENIED, "auth.admin");
	assert_int_equal(roster_site_create(&id, w->dir, &w->as_admin,
					    w->account, "Lyon"),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.admin");
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	form_str(f, ROSTER_FIELD_FIRST_NAME, "Late");
	form_str(f, ROSTER_FIELD_LAST_NAME, "Comer");
	form_str(f, ROSTER_FIELD_EMAIL, "late@acme.example");
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin,
					    w->account, f),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.admin");
	assert_int_equal(set_flag(w, &w->as_admin, x->target,
				  ROSTER_FIELD_API_COMMUNICATOR, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.admin");
	assert_int_equal(delete_checked(w, &w->as_admin, x->target),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.admin");
	users[0] = x->target;
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account,
					       users, 1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.admin");
	assert_int_equal(roster_welcome_send(w->dir, &w->as_admin, w->account,
					     NULL, 0),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.admin");
	/* nor can it take the role back */
	assert_int_equal(set_flag(w, &w->as_admin, w->admin, ROSTER_FIELD_ADMIN,
				  1),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.field");
	/* it is a plain user now: its own self-service fields remain */
	assert_int_equal(set_flag(w, &w->as_admin, w->admin,
				  ROSTER_FIELD_TWO_FACTOR, 1),
			 ROSTER_OK);
	/* granted again, the rights are back at once */
	assert_int_equal(set_flag(w, &w->as_partner, w->admin,
				  ROSTER_FIELD_ADMIN, 1),
			 ROSTER_OK);
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin,
					    w->account, f),
			 ROSTER_OK);
	roster_form_free(f);
}

/*
 * An actor outside a user's reach is refused even by a form that changes
 * nothing: answering "no change" would tell it the user's values (is this
 * the e-mail? is the statutory flag set?).
 */
static void test_no_probe_outside_reach(void **state)
{
	fx *x = fx_start(state);
	world *w;
	roster_form *f = NULL;
	char *before, *after;
	int i;
	static const struct {
		int actor;
		const char *rule;
	} probers[] = { { OPART, "auth.scope" },
			{ OADMIN, "auth.scope" },
			{ USER, "auth.admin" } };

	w = fx_private(x);
	before = snapshot_take(w->dir);
	for (i = 0; i < (int)NELEM(probers); i++) {
		const roster_actor *a = &x->actors[probers[i].actor];
		int k;

		for (k = 0; k < 3; k++) {
			assert_int_equal(roster_form_new(&f, w->dir), 0);
			if (k == 0) /* the user's actual e-mail */
				form_str(f, ROSTER_FIELD_EMAIL,
					 "tom@acme.example");
			else if (k == 1) /* the user's actual flag */
				assert_int_equal(
					roster_form_set_bool(
						f, ROSTER_FIELD_STATUTORY, 0),
					0);
			/* k == 2: an empty form */
			world_events_clear(w);
			if (roster_user_update(w->dir, a, x->target, f) !=
			    ROSTER_EDENIED)
				MISMATCH(x, "no-op update %d as %s on %s was "
					    "not refused",
					 k, actor_names[probers[i].actor],
					 target_names[T_IN]);
			else if (strcmp(roster_error_rule(last_err(x)),
					probers[i].rule))
				MISMATCH(x, "no-op update %d as %s: rule %s",
					 k, actor_names[probers[i].actor],
					 roster_error_rule(last_err(x)));
			assert_int_equal(w->nevents, 0);
			roster_form_free(f);
		}
	}
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "no-op updates");
	free(before);
	free(after);
	/* the user themselves and the managers may send an empty form */
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_user_update(w->dir, &x->actors[USER], x->user,
					    f),
			 ROSTER_OK);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, x->target, f),
			 ROSTER_OK);
	assert_int_equal(roster_user_update(w->dir, &w->as_partner, x->target,
					    f),
			 ROSTER_OK);
	assert_int_equal(w->nevents, 0);
	roster_form_free(f);
	assert_int_equal(x->failures, 0);
}

/* An actor whose id names a record of another kind does not resolve. */
static void test_actor_of_wrong_kind(void **state)
{
	fx *x = fx_start(state);
	world *w = fx_fresh(x);
	roster_actor partner_as_user = actor_of(ROSTER_ACTOR_USER, w->partner);
	roster_actor user_as_partner = actor_of(ROSTER_ACTOR_PARTNER, x->user);
	roster_actor bad_kind = { 7, 0, x->user };
	roster_id id = 0;

	assert_int_equal(roster_site_create(&id, w->dir, &partner_as_user,
					    w->account, "X"),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.actor");
	assert_int_equal(roster_site_create(&id, w->dir, &user_as_partner,
					    w->account, "X"),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.actor");
	assert_int_equal(roster_site_create(&id, w->dir, &bad_kind, w->account,
					    "X"),
			 ROSTER_EINVAL);
	assert_err(w, ROSTER_EINVAL, "arg.actor");
	assert_int_equal(w->nevents, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_is_complete),
		cmocka_unit_test(test_operation_matrix),
		cmocka_unit_test(test_field_matrix),
		cmocka_unit_test(test_creation_form_access),
		cmocka_unit_test(test_admin_cannot_be_deleted),
		cmocka_unit_test(test_last_admin_stays),
		cmocka_unit_test(test_no_self_grant),
		cmocka_unit_test(test_statutory_needs_statutory),
		cmocka_unit_test(test_do_not_bill),
		cmocka_unit_test(test_registered_read_only),
		cmocka_unit_test(test_revoked_admin),
		cmocka_unit_test(test_no_probe_outside_reach),
		cmocka_unit_test(test_actor_of_wrong_kind),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
