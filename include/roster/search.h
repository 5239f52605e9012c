/*
 * search.h: search as you type, and filters, over users (003).
 *
 * A query holds text and filters; roster_search() lists the users that
 * match, a page at a time, and roster_search_count() counts them.
 *
 * Text: each word of the query must begin a word of the user's first name,
 * last name, display name or e-mail, or the digits of the user's
 * extension, phone or lines. Case and accents are ignored (folded through
 * utf8proc, with compatibility forms such as full-width letters and
 * ligatures taken as their plain letters; and, as utf8proc gives them no
 * plain letter, the dotless ı as i, the letters with a stroke ł ø đ ħ ŧ
 * and ð as l o d h t d, æ œ þ as ae oe th): "dvor" finds Dvořák, "hel"
 * finds Marie-Hélène, "ZÁK" finds Zakaria, "YILMAZ" finds Yılmaz,
 * "lukasz" finds Łukasz, "laetitia" finds Lætitia; "ma dv" finds Marie
 * Dvořáková. Words are split at anything
 * that is not a letter or a digit, but for a phone number: from a '+' or a
 * group of digits beginning a piece of the text that holds no letter, '@'
 * or '_' (the pieces are what spaces separate), groups of digits separated
 * by spaces (of any kind: the no-break spaces of a number pasted as
 * printed too) or ". - ( ) /" are one number, so that "+420 601 234 567"
 * finds the user whose phone is +420601234567 (numbers are kept in that
 * form). A piece holding a letter, '@' or '_' is words, whatever its
 * digits: "john.2024.01@acme" finds the login john.2024.01@acme.example as
 * its words do. A number dialled from abroad with "00" for its '+' is
 * found as well ("00420 601" finds +420601234567: a "00" followed by two
 * digits or more that begin a country calling code is taken for the '+'),
 * a word of digits beginning "00" otherwise ("007") is found as it is
 * typed, and the "(0)" of "+33 (0)1 44" or "0033 (0)1 44" is left out, as
 * a phone's or a line's setter leaves it out where the country dials 0 for
 * a national number (a number kept with that 0, "+33 01 44..." or one a
 * store holds, is found by it all the same); elsewhere its 0 is kept, as
 * the setter keeps it ("+39 (0)6 1234" finds +390612345678). A number is also found as it
 * is written in its country, from the country calling codes of
 * libphonenumber: "601 234" finds +420601234567 and "01 44 55" or "1 44
 * 55" finds +33144556677 (France dials a national prefix, 0). Two groups
 * of digits are thus one number: "4711 601" asks for a number, not an
 * extension and a phone; a group in a piece holding letters ("2nd") is a
 * word. A name written with an apostrophe (' ’ ʼ) is found with it or
 * without it: "o'b", "brien" and "obrien" all find O'Brien, and Oʼneil
 * (U+02BC, a letter for Unicode, is taken as the others are) is found as
 * O'Neil is. An empty text matches every user.
 *
 * Filters, all of which must hold: properties (admins, registered,
 * unregistered, PBX users, connected to the cloud service, connected to
 * IoT), a licence, a station pack, a product licence, a permission group,
 * a site.
 *
 * Order (documented and stable): by account (ascending identifier), then
 * last name, then first name, folded as above and compared byte by byte,
 * then by identifier. A search over several accounts lists each
 * account's users together. The cursor names the last user of a page by
 * that order, so paging while users are added or deleted never shows a
 * user twice and never skips one that stays. It holds that user's
 * account, folded last and first names (in hex) and id: a few dozen
 * bytes for common names, but names of letters that fold into several
 * (ligatures, roman numerals, squared units: a user may set their own)
 * make it kilobytes long, 28,860 characters at most. It ends with a
 * check of the rest (a CRC-32: it tells damage, it is no seal; the
 * place a cursor names is searched within the actor's scope all the
 * same): keep it whole rather than in a fixed buffer (one cut short,
 * wherever, or damaged is refused as malformed, never taken for another
 * place), and do not show it: it spells the names.
 *
 * Search pages do not count their matches: roster_page_total() gives
 * ROSTER_TOTAL_UNKNOWN, and roster_search_count() counts when asked.
 * Prefixes of up to four characters are indexed; a word of one to four
 * characters and no filter is counted without walking the matches.
 */
#ifndef ROSTER_SEARCH_H
#define ROSTER_SEARCH_H

#include "actor.h"
#include "directory.h"
#include "page.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct roster_query roster_query;

/** Property filters (roster_query_filter). Values are stable. */
typedef enum roster_filter {
	ROSTER_FILTER_ADMINS = 1,
	ROSTER_FILTER_REGISTERED = 2,
	ROSTER_FILTER_UNREGISTERED = 3,
	/** Users on a PBX (with an extension). */
	ROSTER_FILTER_PBX_USERS = 4,
	/** The host-set flag "cloud": connected to the cloud service. */
	ROSTER_FILTER_CLOUD = 5,
	/** The host-set flag "iot": connected to IoT. */
	ROSTER_FILTER_IOT = 6
} roster_filter;

/** Longest query text, in bytes. */
#define ROSTER_QUERY_MAX 256

/** A new query: no text, no filter (every user). */
ROSTER_API int roster_query_new(roster_query **out);
ROSTER_API void roster_query_free(roster_query *query);
/** The text typed so far (NULL or "" for none). ROSTER_EINVALID for text
 * over ROSTER_QUERY_MAX bytes or not UTF-8 ("text.*"), or of more than 16
 * different words ("query.words"; a word typed twice counts once). */
ROSTER_API int roster_query_set_text(roster_query *query, const char *text);
/** Add a property filter. */
ROSTER_API int roster_query_filter(roster_query *query, int filter);
/**
 * Only users holding a catalog item: kind ROSTER_ITEM_LICENCE,
 * ROSTER_ITEM_PACK or ROSTER_ITEM_PRODUCT (one per kind; NULL clears).
 * A search or count with an item the directory's catalog lacks and no
 * user holds is refused (ROSTER_ENOTFOUND, field licence, pack or
 * product, rule licence.unknown, pack.unknown or product.unknown): a
 * mistyped filter is told, not taken for one nobody passes. One the
 * catalog dropped (roster_directory_set_catalog) finds its holders.
 */
ROSTER_API int roster_query_item(roster_query *query, int kind,
				 const char *id);
/** Only users in a group or at a site: field ROSTER_FIELD_GROUP or
 * ROSTER_FIELD_SITE (0 clears). A search or count naming a group or site
 * that is none (or no more) is refused (ROSTER_ENOTFOUND, field group or
 * site, record.notfound). */
ROSTER_API int roster_query_ref(roster_query *query, int field, roster_id id);
/** Remove every filter and the text. */
ROSTER_API void roster_query_clear(roster_query *query);

/**
 * One page of the users of `account` (0: every account the actor may
 * manage: all of them for the system, its own for a partner) that match,
 * in the documented order, after `cursor` (NULL for the first page).
 * Account admins search their account, which they name (0 is refused
 * with ROSTER_EDENIED, as another account is); users may not search. A
 * cursor of another account's listing is refused (ROSTER_EINVAL
 * arg.cursor) when `account` is not 0. A user renamed across the cursor
 * between two pages moves in the order, and may be shown again or not at
 * all.
 */
ROSTER_API int roster_search(roster_page **out, roster_directory *dir,
			     const roster_actor *actor, roster_id account,
			     const roster_query *query, const char *cursor,
			     size_t limit);

/** The number of users that match. */
ROSTER_API int roster_search_count(size_t *out, roster_directory *dir,
				   const roster_actor *actor,
				   roster_id account,
				   const roster_query *query);

#ifdef __cplusplus
}
#endif

#endif
