/*
 * catalog.h: the policy catalog, policy as data.
 *
 * What a portal sells and what may change into what is not compiled into
 * roster: it is read from one XML catalog (format in docs/catalog.md,
 * schema roster_catalog_schema(), RELAX NG, checked by libxml2's own
 * validator). A catalog holds:
 *
 *   services   what an account can order (the PBX, the Helpdesk service)
 *   tiers      ordered levels (MINI, START, PROFI, ENTERPRISE)
 *   editions   what an account is, each offering some tiers, letting its
 *              accounts order some services, and naming licences its
 *              own way
 *   families   of licences (Callcentrum, Helpdesk, Omnichannel, Video),
 *              each needing some services
 *   licences   a family at a tier (or a family without tiers), each
 *              needing its family's services and possibly more
 *   changes    the only licence changes allowed: every pair not listed
 *              is refused
 *   clients    software clients a station pack may include
 *   packs      station packs (Premium, Standard, Basic) and their clients
 *   products   countable product licences (meetings)
 *   languages  the phone languages users may choose, identified by
 *              their tags in lower case ("cs-cz")
 *   policy     the password policy
 *
 * Every item has a stable identifier (lower-case ASCII letters, digits
 * and '-', 1 to 32 bytes) and display names in English, French and Czech
 * (xml:lang), possibly one per edition. A catalog is immutable once
 * loaded, may be shared by any number of directories and threads, and is
 * reference-counted: roster_catalog_free drops the caller's reference.
 *
 * roster_catalog_load_default() gives the catalog shipped with the
 * library, which encodes the domain brief exactly.
 */
#ifndef ROSTER_CATALOG_H
#define ROSTER_CATALOG_H

#include "common.h"
#include "password.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct roster_catalog roster_catalog;

/** Kinds of catalog items. Values are stable. */
typedef enum roster_item_kind {
	ROSTER_ITEM_SERVICE = 1,
	ROSTER_ITEM_TIER = 2,
	ROSTER_ITEM_EDITION = 3,
	ROSTER_ITEM_FAMILY = 4,
	ROSTER_ITEM_LICENCE = 5,
	ROSTER_ITEM_CLIENT = 6,
	ROSTER_ITEM_PACK = 7,
	ROSTER_ITEM_PRODUCT = 8,
	ROSTER_ITEM_LANGUAGE = 9
} roster_item_kind;

/** Longest item identifier, in bytes. */
#define ROSTER_ITEM_ID_MAX 32

/* ------------------------------------------------------------------ */
/* Loading                                                             */

/**
 * Read a catalog from a file. A file that is not well-formed XML, breaks
 * the schema or contradicts itself (an identifier given twice, a
 * reference to an unknown item) is refused with ROSTER_EPARSE; the error
 * (roster_error_last()) names the file and line in its value
 * ("catalog.xml:12: ...", the last component of the path) and the rule
 * broken: "catalog.syntax" (not well-formed, or a DOCTYPE),
 * "catalog.schema", "catalog.duplicate", "catalog.reference",
 * "catalog.name" (a display name missing, doubled or malformed),
 * "catalog.value" (a password policy value out of range, a change from a
 * licence to itself), "catalog.size" (over ROSTER_CATALOG_SIZE_MAX
 * bytes). ROSTER_ESTORAGE ("catalog.read") when the file cannot be read;
 * ROSTER_EINVAL for NULL. A catalog is UTF-8 whatever its XML declaration
 * says; no network access, no DTD and so no entities: a catalog is read
 * as it is.
 */
ROSTER_API int roster_catalog_load_file(roster_catalog **out,
					const char *path);

/** Largest catalog accepted, in bytes. */
#define ROSTER_CATALOG_SIZE_MAX (4u << 20)

/**
 * The same from memory; `name` (may be NULL: "catalog") stands for the
 * file name in errors.
 */
ROSTER_API int roster_catalog_load_buffer(roster_catalog **out,
					  const void *xml, size_t len,
					  const char *name);

/** The catalog shipped with the library (docs/catalog.md), parsed anew:
 * the caller owns the reference. */
ROSTER_API int roster_catalog_load_default(roster_catalog **out);

/** Drop a reference. Accepts NULL. */
ROSTER_API void roster_catalog_free(roster_catalog *cat);
/** Take one more reference; returns `cat`. */
ROSTER_API roster_catalog *roster_catalog_ref(roster_catalog *cat);

/** The RELAX NG schema of catalogs, as text (NUL-terminated). */
ROSTER_API const char *roster_catalog_schema(void);
/** The XML of the default catalog, as text (NUL-terminated). */
ROSTER_API const char *roster_catalog_default_xml(void);

/* ------------------------------------------------------------------ */
/* Reading                                                             */

/*
 * The calls below that answer 1 or 0 record their failures as calls
 * without a handle do (roster_error_last): ROSTER_EINVAL ("arg.null")
 * for a NULL argument, ROSTER_ENOTFOUND ("catalog.unknown", the field
 * naming the kind, the value the identifier) for an unknown item.
 */

/** Number of items of a kind (0 for an unknown kind or NULL). */
ROSTER_API size_t roster_catalog_count(const roster_catalog *cat, int kind);
/** Identifier of the i-th item of a kind, in catalog order; NULL past
 * the end. */
ROSTER_API const char *roster_catalog_item(const roster_catalog *cat,
					   int kind, size_t i);
/** 1 when the catalog has an item of that kind and identifier. */
ROSTER_API int roster_catalog_has(const roster_catalog *cat, int kind,
				  const char *id);
/**
 * Display name of an item in a language, as the given edition names it
 * (`edition` may be NULL for the name without edition). Falls back to
 * the name without edition, then to English. NULL for an unknown item,
 * an unknown edition or a language out of range.
 */
ROSTER_API const char *roster_catalog_name(const roster_catalog *cat,
					   int kind, const char *id,
					   roster_language lang,
					   const char *edition);

/** The family of a licence, NULL if unknown. */
ROSTER_API const char *roster_catalog_licence_family(
	const roster_catalog *cat, const char *licence);
/** The tier of a licence, NULL if unknown or a licence without tier. */
ROSTER_API const char *roster_catalog_licence_tier(const roster_catalog *cat,
						   const char *licence);
/**
 * 1 when the licence needs the service (through its family or itself),
 * 0 when not; ROSTER_ENOTFOUND when either is unknown.
 */
ROSTER_API int roster_catalog_licence_needs(const roster_catalog *cat,
					    const char *licence,
					    const char *service);
/**
 * 1 when the catalog's table allows changing a user's licence from
 * `from` to `to`, 0 when not (every pair not listed, a licence to
 * itself included); ROSTER_ENOTFOUND for an unknown licence.
 */
ROSTER_API int roster_catalog_change_allowed(const roster_catalog *cat,
					     const char *from, const char *to);
/** 1 when the edition offers the licence (its tier, or a licence without
 * tier), 0 when not; ROSTER_ENOTFOUND when either is unknown. */
ROSTER_API int roster_catalog_edition_offers(const roster_catalog *cat,
					     const char *edition,
					     const char *licence);
/** 1 when accounts of the edition may order the service, 0 when not;
 * ROSTER_ENOTFOUND when either is unknown. */
ROSTER_API int roster_catalog_edition_orders(const roster_catalog *cat,
					     const char *edition,
					     const char *service);
/** 1 when the pack includes the client, 0 when not; ROSTER_ENOTFOUND. */
ROSTER_API int roster_catalog_pack_includes(const roster_catalog *cat,
					    const char *pack,
					    const char *client);
/**
 * The catalog's password policy into `out`, whose version member the
 * caller sets first (as for roster_directory_get_password_policy): only
 * the members of that version are written. A catalog without a
 * password-policy element has the library's defaults.
 * ROSTER_EVERSION for an unknown version.
 */
ROSTER_API int roster_catalog_password_policy(const roster_catalog *cat,
					      roster_password_policy *out);

/* ------------------------------------------------------------------ */
/* Lint                                                                */

/*
 * A licence is held in an edition when the edition offers it and lets its
 * accounts order every service the licence needs.
 */

/** Kinds of lint findings. Values are stable. */
typedef enum roster_lint_code {
	/** A licence no account could ever hold: no edition offers it, or
	 * every edition that offers it lacks a service it needs. */
	ROSTER_LINT_UNREACHABLE = 1,
	/** An allowed change into a licence whose needs can never be met:
	 * no edition in which the licence changed from is held lets its
	 * accounts order every service the other one needs. */
	ROSTER_LINT_DEAD_CHANGE = 2,
	/** Two packs whose client sets are not included one in the other:
	 * a change between them is neither an upgrade nor a downgrade. */
	ROSTER_LINT_AMBIGUOUS_PACKS = 3,
	/** An item nothing refers to and nothing can use (a tier no licence
	 * has, a family without licences, a client no pack includes). */
	ROSTER_LINT_UNUSED = 4,
	/** An identifier given twice for one kind (roster_catalog_lint_file
	 * only: loading refuses it). */
	ROSTER_LINT_DUPLICATE = 5,
	/** A reference to an item the catalog does not have (idem). */
	ROSTER_LINT_UNKNOWN = 6
} roster_lint_code;

typedef struct roster_lint roster_lint;

/**
 * Check a loaded catalog for what loading cannot refuse but is surely a
 * mistake. *out gets the findings (possibly none, at most 10000), in
 * the order of their lines; free them with roster_lint_free.
 */
ROSTER_API int roster_catalog_lint(roster_lint **out,
				   const roster_catalog *cat);
/**
 * Check a catalog file: every duplicate identifier and unknown reference
 * (each with its line), then, when there are none, the findings of
 * roster_catalog_lint. A file that is not well-formed or breaks the
 * schema fails as roster_catalog_load_file does (ROSTER_EPARSE).
 */
ROSTER_API int roster_catalog_lint_file(roster_lint **out, const char *path);
ROSTER_API void roster_lint_free(roster_lint *lint);
ROSTER_API size_t roster_lint_count(const roster_lint *lint);
/** The code of the i-th finding (a roster_lint_code), 0 past the end. */
ROSTER_API int roster_lint_code_of(const roster_lint *lint, size_t i);
/**
 * The items concerned: `which` 0 for the first, 1 for the second, else
 * NULL. UNREACHABLE: the licence. DEAD_CHANGE: from, to. AMBIGUOUS_PACKS:
 * the two packs. UNUSED: the item. DUPLICATE: the identifier given twice
 * (for a change: from, to; for a licence repeating a family and tier:
 * it, the first one; for a reference listed twice: it, the item listing
 * it). UNKNOWN: the unknown identifier, the item referring to it (NULL
 * for a change).
 */
ROSTER_API const char *roster_lint_item(const roster_lint *lint, size_t i,
					int which);
/** The line of the catalog file concerned (for a duplicate, of the
 * second occurrence), 0 when not known. */
ROSTER_API unsigned long roster_lint_line(const roster_lint *lint, size_t i);
/** The finding told in a language; NULL past the end or for a language
 * out of range. */
ROSTER_API const char *roster_lint_message(const roster_lint *lint, size_t i,
					   roster_language lang);

#ifdef __cplusplus
}
#endif

#endif
