/*
 * user.h: users, the form that creates and edits them, and who may edit
 * which field.
 *
 * The edit form is the creation form (001): a roster_form holds the values
 * of the fields to set. roster_user_create() takes every field the form
 * sets; roster_user_update() changes exactly the fields the form sets and
 * leaves the others as they are. Each field is validated, and a refusal
 * names the field and the rule:
 *
 *  field              rule(s)
 *  first_name,        required at creation; valid UTF-8, normalised to NFC,
 *  last_name          white space trimmed and collapsed, 1..100 characters,
 *                     no control characters, nor invisible ones (format
 *                     characters: bidi controls, zero-width space, soft
 *                     hyphen; a zero-width (non-)joiner only inside a
 *                     script that writes with it), not marks alone
 *                     ("text.*")
 *  display_name       optional, same rules; defaults to "First Last"
 *  email              the login: required, syntax "local@domain.tld",
 *                     in ASCII (a domain in its "xn--" form; the tld is
 *                     letters, or such a form: "xn--p1ai" for .рф),
 *                     at most 254 bytes, unique case-insensitively across
 *                     the whole directory ("email.*")
 *  password           write-only; checked against the password policy
 *  phone              contact number, E.164 ("+" or "00" and 2..15 digits;
 *                     spaces (tabs, no-break spaces too), dots, dashes,
 *                     slashes and parentheses are dropped, and so is a
 *                     "(0)" after a country code whose national prefix
 *                     is 0: "+33 (0)1 44 55 66 77" is +33144556677,
 *                     "+39 (0)6 ..." keeps its 0; a 0 written bare is a
 *                     digit, as some countries' numbers begin with it); a
 *                     national number with the form's country of numbers
 *                     (roster_form_set_numbers_country)
 *  address_*          structured civic address for emergency location:
 *                     when any part is set, street, locality and country
 *                     are required; country is ISO 3166-1 alpha-2,
 *                     an assigned code ("GB", not "UK"; XK for Kosovo
 *                     too), upper-cased
 *  language           phone language, one of roster_phone_language()
 *  group              a permission group of the user's own account
 *  site               a site of the user's own account
 *  pbx, extension     both or neither; the PBX is one of the account's;
 *                     the extension (blanks around it dropped) follows
 *                     its digit rules and is unique on that PBX
 *  lines              up to ROSTER_LINES_MAX E.164 numbers, each assigned
 *                     to one user of the directory only
 *  note               up to 1000 characters, on several lines: every
 *                     line break (CR LF, CR, NEL, LS, PS) is written LF
 *                     and blank lines are kept; the blanks around each
 *                     line and the empty lines around the note are not
 *  two_factor,        flags
 *  api_communicator,
 *  statutory
 *  do_not_bill        refused unless the user is a system user
 *  system_user        a system (non-person) user
 *  admin              the account admin role
 *  registered         read-only: set when the user activates their access
 *  licence            a licence of the directory's catalog (licence.h):
 *                     enabled for the account, offered by its edition,
 *                     its services ordered by the account, reached by a
 *                     change the catalog allows ("licence.*")
 *  pack               a station pack of the catalog (licence.h)
 *  helpdesk           attached to the account's Helpdesk service; needed
 *                     by licences that need Helpdesk
 *  cloud, iot         read-only: connected to the cloud service, to IoT;
 *                     set by the host (the system actor)
 *
 * Who may set which field (roster_user_field_access answers it):
 * - the system, the account's partner and its admins: every field but
 *   registered (the system only); an admin sets statutory only when it
 *   holds that flag itself, and never do_not_bill (a billing decision of
 *   the partner); nor, without that flag, the password or the e-mail (the
 *   login) of a user who holds it (auth.statutory), which would let it
 *   log in as that user and grant the flag;
 * - a user on their own record (002): the self-service fields first_name,
 *   last_name, display_name, email, password, phone, address_*, language
 *   and two_factor;
 * - anybody else: nothing.
 * A field the form sets to its current value is not a change and is not
 * refused, so a portal may send back the whole form.
 */
#ifndef ROSTER_USER_H
#define ROSTER_USER_H

#include "actor.h"
#include "directory.h"

#ifdef __cplusplus
extern "C" {
#endif

/** User fields. Values are stable; new fields are appended. */
typedef enum roster_field {
	ROSTER_FIELD_FIRST_NAME = 1,
	ROSTER_FIELD_LAST_NAME = 2,
	ROSTER_FIELD_DISPLAY_NAME = 3,
	ROSTER_FIELD_EMAIL = 4,
	ROSTER_FIELD_PASSWORD = 5,
	ROSTER_FIELD_PHONE = 6,
	ROSTER_FIELD_ADDRESS_STREET = 7,
	ROSTER_FIELD_ADDRESS_EXTRA = 8,
	ROSTER_FIELD_ADDRESS_LOCALITY = 9,
	ROSTER_FIELD_ADDRESS_REGION = 10,
	ROSTER_FIELD_ADDRESS_POSTCODE = 11,
	ROSTER_FIELD_ADDRESS_COUNTRY = 12,
	ROSTER_FIELD_LANGUAGE = 13,
	ROSTER_FIELD_GROUP = 14,
	ROSTER_FIELD_SITE = 15,
	ROSTER_FIELD_PBX = 16,
	ROSTER_FIELD_EXTENSION = 17,
	ROSTER_FIELD_LINES = 18,
	ROSTER_FIELD_NOTE = 19,
	ROSTER_FIELD_TWO_FACTOR = 20,
	ROSTER_FIELD_API_COMMUNICATOR = 21,
	ROSTER_FIELD_STATUTORY = 22,
	ROSTER_FIELD_DO_NOT_BILL = 23,
	ROSTER_FIELD_SYSTEM_USER = 24,
	ROSTER_FIELD_ADMIN = 25,
	ROSTER_FIELD_REGISTERED = 26,
	ROSTER_FIELD_LICENCE = 27,
	ROSTER_FIELD_PACK = 28,
	ROSTER_FIELD_HELPDESK = 29,
	ROSTER_FIELD_CLOUD = 30,
	ROSTER_FIELD_IOT = 31
} roster_field;

/** One past the highest field value of this version. */
#define ROSTER_FIELD_END 32

/** Value types of fields. */
typedef enum roster_value_type {
	ROSTER_TYPE_STRING = 1,
	ROSTER_TYPE_BOOL = 2,
	/** A roster_id of another record (group, site, PBX). */
	ROSTER_TYPE_REF = 3,
	/** A list of strings (lines). */
	ROSTER_TYPE_LIST = 4
} roster_value_type;

/** Most lines one user may have. */
#define ROSTER_LINES_MAX 16

/** The stable name of a field ("first_name"), NULL if unknown. */
ROSTER_API const char *roster_field_name(int field);
/** The field of a stable name, 0 if unknown. */
ROSTER_API int roster_field_from_name(const char *name);
/** The field's roster_value_type, 0 if unknown. */
ROSTER_API int roster_field_type(int field);
/** The field's display label in a language, in lower case as messages
 * use it inside a sentence ("prénom"; capitalise it for a form's
 * heading), NULL if unknown. */
ROSTER_API const char *roster_field_label(int field, roster_language lang);

/**
 * The supported phone languages (BCP 47 tags such as "fr-CA"), by index;
 * NULL past the last. The phone language selects the PBX's default sound
 * files (002).
 */
ROSTER_API const char *roster_phone_language(size_t index);

/* ------------------------------------------------------------------ */
/* The form                                                            */

/**
 * A set of field values to apply. Owned by the caller; free it before the
 * directory it was made for. The setters check only the field's type and
 * copy the value: their failures are reported through roster_error_last(),
 * and the values are validated when the form is applied.
 */
typedef struct roster_form roster_form;

/** Create an empty form for use with `dir`. */
ROSTER_API int roster_form_new(roster_form **out, roster_directory *dir);
/** Free a form (wiping any password it holds). Accepts NULL. */
ROSTER_API void roster_form_free(roster_form *form);
/** Forget every value set. */
ROSTER_API void roster_form_clear(roster_form *form);

/**
 * Set a string field. NULL or "" clears an optional field (an update then
 * removes its value). Values are copied; validation happens when the form
 * is applied. ROSTER_EINVAL when the field is not a string field.
 */
ROSTER_API int roster_form_set_str(roster_form *form, int field,
				   const char *value);
/** Set a flag field to 0 or 1 (any non-zero value is 1). */
ROSTER_API int roster_form_set_bool(roster_form *form, int field, int value);
/** Set a reference field (group, site, PBX); 0 clears it. */
ROSTER_API int roster_form_set_ref(roster_form *form, int field, roster_id id);
/** Set the whole list of lines (count may be 0 to remove them all). */
ROSTER_API int roster_form_set_lines(roster_form *form,
				     const char *const *lines, size_t count);
/**
 * Ask roster to generate the password with a CSPRNG to the directory's
 * password policy. The plaintext reaches the host once, in the
 * ROSTER_EVENT_WELCOME_EMAIL (creation) or ROSTER_EVENT_PASSWORD_CHANGED
 * (update) event.
 */
ROSTER_API int roster_form_generate_password(roster_form *form);
/**
 * The version of the user (roster_user_version) the form was made from:
 * roster_user_update() then refuses with ROSTER_ECONFLICT (field version,
 * rule user.changed) when the user is at another version, someone else
 * having changed it since, even when the form would change nothing; the
 * user is left as it is, for the admin to look at again. Outside a
 * transaction the directory then reads the store again, as after a commit
 * losing a race (roster_directory_refresh()): a form made through another
 * directory on the store, at a version this one had not read yet, goes
 * through when saved again. 0 (the default, and after roster_form_clear())
 * expects no version; a creation ignores it. ROSTER_EINVAL for a NULL
 * form. Not a field: nothing of it is kept.
 */
ROSTER_API int roster_form_expect_version(roster_form *form,
					  uint64_t version);
/**
 * The country (ISO 3166-1 alpha-2, "FR") whose national numbers the
 * form's phone and lines may hold: "01 44 55 66 77" is then taken as
 * +33144556677, the national prefix left out and the country's calling
 * code put before (libphonenumber's codes); a number written with its
 * '+' or "00" is taken as ever. NULL or "" clears it (numbers must then
 * be written with their '+' or "00"), and so does roster_form_clear().
 * ROSTER_EINVAL (field country, arg.range) for a country no numbering
 * plan knows, the form unchanged. Not a field: nothing of it is kept
 * with the user.
 */
ROSTER_API int roster_form_set_numbers_country(roster_form *form,
					       const char *country);
/** 1 when the form sets the field, 0 otherwise. */
ROSTER_API int roster_form_has(const roster_form *form, int field);

/** roster_form_confirm(): the user's confirmation of a downgrade. */
#define ROSTER_CONFIRM_DOWNGRADE 1u
/**
 * Carry confirmations with the form (ROSTER_CONFIRM_* bits, 0 for none):
 * a change of station pack to one with fewer clients, or to none, is
 * refused with ROSTER_ECONFIRM ("pack.downgrade", the value listing the
 * clients lost) unless the form carries ROSTER_CONFIRM_DOWNGRADE; a
 * change refused for its station (pack.site, pack.none_available) is
 * refused for that first. Cleared by roster_form_clear.
 */
ROSTER_API int roster_form_confirm(roster_form *form, unsigned int flags);

/* ------------------------------------------------------------------ */
/* Changes                                                             */

/**
 * Create a user in an account. The user starts unregistered and a
 * ROSTER_EVENT_WELCOME_EMAIL event carries the activation token (003,
 * 004). Creating or deleting a user on a PBX, or changing a field the PBX
 * uses (first, last and display name, language, PBX, extension, lines,
 * licence, pack), raises ROSTER_EVENT_PBX_RELOAD for that PBX (001); a
 * change of another field (a note, two-factor) raises none. A directory handle holds 67,108,864 users at most
 * (the slots of its search index): one more is ROSTER_ERROR
 * ("users.max"), and a store holding more does not open.
 */
ROSTER_API int roster_user_create(roster_id *out, roster_directory *dir,
				  const roster_actor *actor, roster_id account,
				  const roster_form *form);

/** Change the fields the form sets; the others stay as they are. */
ROSTER_API int roster_user_update(roster_directory *dir,
				  const roster_actor *actor, roster_id user,
				  const roster_form *form);

/**
 * Delete a user. An admin cannot be deleted: remove the admin role first
 * (004); the refusal is ROSTER_EPOLICY with rule "admin.delete".
 */
ROSTER_API int roster_user_delete(roster_directory *dir,
				  const roster_actor *actor, roster_id user);

/**
 * May `actor` set `field`? `target` is a user (the edit form) or an
 * account (the creation form in that account). Sets *out to 1 or 0; a
 * portal greys out the fields answered 0 (001), and exactly this rule is
 * enforced when the form is applied. When the answer is 0 the reason is
 * recorded as the directory's error (rule and message) while the call
 * itself returns ROSTER_OK.
 */
ROSTER_API int roster_user_field_access(int *out, roster_directory *dir,
					const roster_actor *actor,
					roster_id target, int field);

/* ------------------------------------------------------------------ */
/* Reading                                                             */

/** A snapshot of a user. Owned by the caller. */
typedef struct roster_user roster_user;

/** Copy a user out of the directory. */
ROSTER_API int roster_user_get(roster_user **out, roster_directory *dir,
			       roster_id user);
/** Find a user by login e-mail, case-insensitively. */
ROSTER_API int roster_user_find_login(roster_id *out, roster_directory *dir,
				      const char *email);
/** Free a snapshot. Accepts NULL. */
ROSTER_API void roster_user_free(roster_user *user);

ROSTER_API roster_id roster_user_id(const roster_user *user);
ROSTER_API roster_id roster_user_account(const roster_user *user);
/** A string field's value, NULL when unset (always NULL for password). */
ROSTER_API const char *roster_user_str(const roster_user *user, int field);
/** A flag field's value (0 or 1); 0 for other fields. */
ROSTER_API int roster_user_bool(const roster_user *user, int field);
/** A reference field's value, 0 when unset. */
ROSTER_API roster_id roster_user_ref(const roster_user *user, int field);
/** Number of lines. */
ROSTER_API size_t roster_user_line_count(const roster_user *user);
/** The i-th line, NULL when out of range. */
ROSTER_API const char *roster_user_line(const roster_user *user, size_t i);
/** 1 when a password is set. */
ROSTER_API int roster_user_has_password(const roster_user *user);
/**
 * The version of the user the snapshot holds: it changes with every
 * committed change of the user (the store's version of its record; a
 * directory without a store numbers its commits itself), and is never 0
 * once the user is committed. Within an open transaction a user keeps
 * the version it was committed at until the commit, its changes in the
 * transaction included, and one the transaction created has none yet
 * (0, which expects nothing): take it for a form after the commit.
 * A portal keeps it with the form it shows and gives it back with
 * roster_form_expect_version(), so that saving the form after someone
 * else changed the user is refused instead of overwriting that change.
 * 0 for NULL.
 */
ROSTER_API uint64_t roster_user_version(const roster_user *user);

#ifdef __cplusplus
}
#endif

#endif
