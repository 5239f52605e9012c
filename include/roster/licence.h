/*
 * licence.h: licences on accounts and users, and decisions that explain
 * themselves.
 *
 * A directory decides with a catalog (catalog.h): the default one until
 * the host sets its own. An account is given an edition and the licences
 * it may use (001: chosen when the account is created, changed later by
 * its partner). A user's licence (the user field "licence") must then be:
 *
 *   known      in the catalog                       licence.unknown
 *   enabled    one of the account's licences        licence.not_enabled
 *   offered    by the account's edition             licence.edition
 *   served     every service it needs ordered by    licence.service
 *              the account (a PBX, the Helpdesk service), one its
 *              edition lets it order (the catalog's "orderable")
 *   attached   a licence that needs a PBX comes     licence.pbx
 *              with one of the account's PBXes and an extension; one that
 *              needs Helpdesk with the user's "helpdesk" flag
 *                                                   licence.helpdesk
 *   allowed    a change of licence is one the       licence.change
 *              catalog's table lists
 *
 * A licence is given at creation or later, and then only changed: taking
 * it away is refused (licence.remove), unless the account can no longer
 * give it (gone from the catalog, no longer enabled or offered, a service
 * it needs cancelled). Otherwise clearing it and setting another would
 * pass the table. A user is otherwise rid of a licence by deletion.
 *
 * A refused change fails with ROSTER_EPOLICY (licence.unknown:
 * ROSTER_EINVALID), the field "licence" and the first reason above that
 * applies. roster_user_choices() answers beforehand, for every licence of
 * the catalog, whether it is allowed and every reason why not.
 */
#ifndef ROSTER_LICENCE_H
#define ROSTER_LICENCE_H

#include "account.h"
#include "catalog.h"
#include "page.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* The directory's catalog                                             */

/**
 * Decide with `cat` from now on (the directory takes a reference). Its
 * password policy becomes the directory's (set another one after, if
 * need be), and its phone languages the ones users may choose. The
 * catalog is the handle's, not the store's: a directory opens with the
 * default one, so set it each time one opens, on every worker. When
 * `report` is not
 * NULL it gets the users whose licence, pack or product licences the new
 * catalog no longer allows: they are reported, never changed. They keep
 * what they hold (roster_user_choices lists a current licence the
 * catalog still has as kept, with no reason), and every change is then
 * decided with the new catalog: the reasons a user cannot take a licence
 * again are those roster_user_choices gives another user. What the
 * catalog dropped can still be taken back: products released and
 * unassigned, stations disconnected (and counted until then); it can no
 * longer be bought, ordered or assigned. ROSTER_EMISUSE while a
 * transaction is open.
 */
ROSTER_API int roster_directory_set_catalog(roster_directory *dir,
					    roster_catalog *cat,
					    roster_page **report);

/**
 * The catalog the directory decides with (loading the default one on
 * first use): a new reference for the caller to free. NULL on failure,
 * with the error in the directory.
 */
ROSTER_API roster_catalog *roster_directory_catalog(roster_directory *dir);

/* ------------------------------------------------------------------ */
/* Accounts                                                            */

/**
 * Give an account its edition (NULL for none) and the licences it may
 * use (`count` identifiers, any order, duplicates ignored). Each must be
 * in the catalog ("licence.unknown", "edition.unknown") and offered by
 * the edition ("licence.edition"). Users already holding a licence taken
 * away keep it and are refused on their next licence change only.
 * Partner and system only (the account's ordered services).
 */
ROSTER_API int roster_account_set_licences(roster_directory *dir,
					   const roster_actor *actor,
					   roster_id account,
					   const char *edition,
					   const char *const *licences,
					   size_t count);

/** The edition of an account snapshot, NULL if none or not an account. */
ROSTER_API const char *roster_record_edition(const roster_record *rec);
/** Number of licences an account may use. */
ROSTER_API size_t roster_record_licence_count(const roster_record *rec);
/** The i-th of them, in ascending order; NULL past the end. */
ROSTER_API const char *roster_record_licence(const roster_record *rec,
					     size_t i);

/* ------------------------------------------------------------------ */
/* Choices                                                             */

/**
 * What a user may be given: every licence and every station pack of the
 * catalog, each allowed or refused with its reasons. For packs: the user
 * needs a site ("pack.site"), a station free there ("pack.none_available")
 * and, for a pack with fewer clients, the form's confirmation
 * ("pack.downgrade", its parameter listing the clients lost). A list
 * owned by the caller.
 */
typedef struct roster_choices roster_choices;

/**
 * The choices of `user` as `actor` sees them; user 0 for the creation
 * form of a new user of `account` (otherwise `account` is ignored).
 * The user's current licence is among them (roster_choices_current).
 */
ROSTER_API int roster_user_choices(roster_choices **out,
				   roster_directory *dir,
				   const roster_actor *actor,
				   roster_id account, roster_id user);
ROSTER_API void roster_choices_free(roster_choices *choices);
/** Number of choices. */
ROSTER_API size_t roster_choices_count(const roster_choices *choices);
/** The kind of the i-th choice (ROSTER_ITEM_LICENCE, then
 * ROSTER_ITEM_PACK), 0 past the end. */
ROSTER_API int roster_choices_kind(const roster_choices *choices, size_t i);
/** Its catalog identifier. */
ROSTER_API const char *roster_choices_item(const roster_choices *choices,
					   size_t i);
/** Its display name in a language, as the account's edition names it (its
 * plain name when the catalog has no such edition); NULL past the end or
 * for a language out of range. */
ROSTER_API const char *roster_choices_name(const roster_choices *choices,
					   size_t i, roster_language lang);
/** 1 when it is what the user has now. */
ROSTER_API int roster_choices_current(const roster_choices *choices,
				      size_t i);
/** 1 when the user may be given it (no reasons), 0 when not. */
ROSTER_API int roster_choices_allowed(const roster_choices *choices,
				      size_t i);
/** Number of reasons it is refused. */
ROSTER_API size_t roster_choices_reason_count(const roster_choices *choices,
					      size_t i);
/** The rule of reason r (see above and docs/errors.md), NULL past the end. */
ROSTER_API const char *roster_choices_reason(const roster_choices *choices,
					     size_t i, size_t r);
/** Its parameter (a service, the current licence...), NULL if none. */
ROSTER_API const char *roster_choices_reason_param(
	const roster_choices *choices, size_t i, size_t r);
/** The reason told in a language. */
ROSTER_API const char *roster_choices_reason_message(
	const roster_choices *choices, size_t i, size_t r,
	roster_language lang);

#ifdef __cplusplus
}
#endif

#endif
