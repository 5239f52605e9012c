/*
 * account.h: partners, accounts and what belongs to an account.
 *
 * A partner (reseller) manages customer accounts (003). An account
 * (tenant) has ordered services: zero or more PBXes, each with the digit
 * rules of its extensions (001), and the Helpdesk service. It has sites
 * (the station inventory is per site, 000) and permission groups (001).
 *
 * All records share one identifier space: a roster_id names exactly one
 * partner, account, site, PBX, permission group or user.
 *
 * Who may do what here:
 * - partners are created by the system actor only;
 * - accounts are created, renamed and deleted by the system or by their
 *   partner; the ordered services (PBXes, Helpdesk) likewise, since they
 *   are ordered from the provider;
 * - sites and permission groups are managed by the system, the partner
 *   and the account's admins.
 * A record still in use is never deleted: an account with users, a PBX
 * with users on it, a site or group given to a user.
 */
#ifndef ROSTER_ACCOUNT_H
#define ROSTER_ACCOUNT_H

#include "actor.h"
#include "directory.h"
#include "page.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kinds of records. Values are stable. */
typedef enum roster_kind {
	ROSTER_KIND_PARTNER = 1,
	ROSTER_KIND_ACCOUNT = 2,
	ROSTER_KIND_SITE = 3,
	ROSTER_KIND_PBX = 4,
	ROSTER_KIND_GROUP = 5,
	ROSTER_KIND_USER = 6
} roster_kind;

/** Longest name of a partner, account, site, PBX or group, in characters. */
#define ROSTER_NAME_MAX 100
/** Bounds of a PBX's extension digit rules. */
#define ROSTER_EXTENSION_DIGITS_MIN 2
#define ROSTER_EXTENSION_DIGITS_MAX 8

/** Create a partner (system actor only). */
ROSTER_API int roster_partner_create(roster_id *out, roster_directory *dir,
				     const roster_actor *actor,
				     const char *name);

/** Create an account of a partner. */
ROSTER_API int roster_account_create(roster_id *out, roster_directory *dir,
				     const roster_actor *actor,
				     roster_id partner, const char *name);

/** Order (1) or cancel (0) the Helpdesk service of an account. Not
 * ordered when the catalog does not let the account's edition order it
 * (ROSTER_EPOLICY service.edition); not cancelled while a user is
 * attached to it (its "helpdesk" flag): ROSTER_EPOLICY helpdesk.in_use. */
ROSTER_API int roster_account_set_helpdesk(roster_directory *dir,
					   const roster_actor *actor,
					   roster_id account, int ordered);

/** Add a site to an account. Names are unique in the account. */
ROSTER_API int roster_site_create(roster_id *out, roster_directory *dir,
				  const roster_actor *actor, roster_id account,
				  const char *name);

/**
 * Add a PBX to an account. Its extensions have between min_digits and
 * max_digits decimal digits (within ROSTER_EXTENSION_DIGITS_MIN..MAX) and
 * do not start with 0. Names are unique in the account. Refused
 * (ROSTER_EPOLICY service.edition) when the catalog does not let the
 * account's edition order the "pbx" service.
 */
ROSTER_API int roster_pbx_create(roster_id *out, roster_directory *dir,
				 const roster_actor *actor, roster_id account,
				 const char *name, unsigned int min_digits,
				 unsigned int max_digits);

/** Add a permission group to an account. Names are unique in the account. */
ROSTER_API int roster_group_create(roster_id *out, roster_directory *dir,
				   const roster_actor *actor,
				   roster_id account, const char *name);

/** Rename a partner, account, site, PBX or group. */
ROSTER_API int roster_record_rename(roster_directory *dir,
				    const roster_actor *actor, roster_id id,
				    const char *name);

/**
 * Delete a partner (system actor only), an account, site, PBX or group.
 * Refused with ROSTER_EPOLICY while it is in use: a partner with accounts,
 * an account with users, a site, PBX or group given to a user, a site
 * with purchased stations (site.stations: disconnect them), an account
 * with purchased product licences (account.products: release them) or
 * one of whose sites has stations. An empty account takes its sites,
 * PBXes and groups along. Users are deleted with roster_user_delete.
 */
ROSTER_API int roster_record_delete(roster_directory *dir,
				    const roster_actor *actor, roster_id id);

/**
 * The partner (parent 0), account (parent its partner), site, PBX or
 * group (parent its account) named `name`, as names are kept unique: case
 * aside, spaces as a name is given them ("paris  nord" finds "Paris
 * Nord"; accents count: "Brno Stred" is not "Brno Střed"). Sets *out.
 * ROSTER_ENOTFOUND (field name, record.named) when none is, a parent with
 * no records of that kind included; ROSTER_ENOTFOUND (field parent,
 * record.notfound) for a parent that does not exist or cannot hold that
 * kind; ROSTER_EINVAL (field kind) for users, found by login with
 * roster_user_find_login; a name that could be no record's (empty, too
 * long, not UTF-8) is refused as roster_site_create and the other
 * creations refuse it. Any actor may look up: it tells an id, which
 * roster_record_get tells too.
 */
ROSTER_API int roster_record_find(roster_id *out, roster_directory *dir,
				  roster_id parent, int kind,
				  const char *name);

/** A snapshot of a partner, account, site, PBX or group. */
typedef struct roster_record roster_record;

/** Copy a record out of the directory. Users are read with roster_user_get. */
ROSTER_API int roster_record_get(roster_record **out, roster_directory *dir,
				 roster_id id);
/** Free a snapshot. Accepts NULL. */
ROSTER_API void roster_record_free(roster_record *rec);

ROSTER_API roster_id roster_record_id(const roster_record *rec);
/** The record's roster_kind, 0 for NULL. */
ROSTER_API int roster_record_kind(const roster_record *rec);
/** The partner of an account, the account of a site, PBX or group. */
ROSTER_API roster_id roster_record_parent(const roster_record *rec);
/** The name, never NULL for a valid record. */
ROSTER_API const char *roster_record_name(const roster_record *rec);
/** Accounts: 1 when Helpdesk is ordered. */
ROSTER_API int roster_record_helpdesk(const roster_record *rec);
/** PBXes: the digit rules of extensions; 0 for other kinds. */
ROSTER_API unsigned int roster_record_min_digits(const roster_record *rec);
ROSTER_API unsigned int roster_record_max_digits(const roster_record *rec);
/**
 * Number of members: accounts of a partner, users of an account, site, PBX
 * or group.
 */
ROSTER_API size_t roster_record_members(const roster_record *rec);
/** Accounts: number of users holding the admin role. */
ROSTER_API size_t roster_record_admins(const roster_record *rec);

/**
 * List the records of one kind under a parent, in ascending id order:
 * accounts of a partner; sites, PBXes, groups or users of an account;
 * all partners with parent 0. `cursor` is NULL for the first page or a
 * value of roster_page_next(); `limit` is 1..ROSTER_PAGE_MAX.
 */
ROSTER_API int roster_list(roster_page **out, roster_directory *dir,
			   roster_id parent, int kind, const char *cursor,
			   size_t limit);

#ifdef __cplusplus
}
#endif

#endif
