/*
 * bulk.h: importing and exporting an account's users (003).
 *
 * An import reads users from CSV (RFC 4180, UTF-8, a header row naming the
 * columns in any order) or XML (streamed), and creates each row's user
 * exactly as roster_user_create() would, as the given actor: the same
 * validation, authorisation and policy, the same refusals. Columns are the
 * user field names (roster_field_name: "first_name", "email", "licence",
 * ...); "site", "pbx" and "group" name a site, PBX or group of the account
 * by its name; "lines" holds the numbers separated by spaces (a number
 * written with spaces stays one: docs/bulk.md); flags are
 * "1"/"0" or "true"/"false"; an empty cell leaves the field unset. The
 * column "products" lists the user's product licences (ids separated by
 * spaces; XML: <products><product>id</product></products>), taken from
 * those the account bought and no user holds, as roster_product_assign
 * would (a row finding none left: ROSTER_EPOLICY product.none_available).
 * Duplicates inside the file are refused like duplicates in the directory
 * (the rows before them are already there); in all-or-nothing mode a
 * refused row's login, lines and extension are held too, so that the
 * rows repeating them are reported in the same run.
 *
 * All or nothing (the default): the whole import is one transaction;
 * every bad row is reported, and if there is any, nothing is imported.
 * Best effort: the good rows are imported, in one transaction, the bad
 * ones reported. A dry run reports what would be
 * refused and imports nothing. Memory does not grow with the file beyond
 * the users it creates and the refusals its report lists (a few hundred
 * bytes each, and in all-or-nothing mode the login, lines and extension
 * a refused row holds, up to about 1.5 KB more; max_errors bounds them):
 * the input is read in pieces through a callback.
 *
 * The report lists each refused row: its line in the file (CSV: the line
 * where the row starts; XML: the line of its element), the column (the
 * field name, or "" for the row as a whole), the error code, the rule, the
 * value refused ("" for none: never a password) and the message in the
 * directory's language.
 *
 * An export writes the account's users in the same formats, with the
 * same columns, so that exporting and importing into an account with the
 * same sites, PBXes and groups gives the same users. Secrets are never
 * exported, nor the flags roster or the host alone set (registered,
 * cloud, iot).
 */
#ifndef ROSTER_BULK_H
#define ROSTER_BULK_H

#include "actor.h"
#include "directory.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Reads up to `len` bytes of input into `buf`: returns the number read,
 * 0 at the end, or a negative number on failure (the import then fails
 * with ROSTER_ESTORAGE and imports nothing).
 */
typedef long (*roster_read_fn)(void *data, void *buf, size_t len);
/** Writes `len` bytes of output; returns 0, or non-zero to stop (the
 * export then fails with ROSTER_EUSER, rule "export.write"). */
typedef int (*roster_write_fn)(void *data, const void *buf, size_t len);

/** Import modes. */
#define ROSTER_IMPORT_ALL_OR_NOTHING 0u
#define ROSTER_IMPORT_BEST_EFFORT 1u

/** Options of an import. Versioned; initialise with
 * ROSTER_IMPORT_OPTIONS_INIT or roster_import_options_init. */
typedef struct roster_import_options {
	unsigned int version;
	/** ROSTER_IMPORT_ALL_OR_NOTHING or ROSTER_IMPORT_BEST_EFFORT. */
	unsigned int mode;
	/** Non-zero: check every row, import nothing. */
	int dry_run;
	/** Stop reading after this many refused rows (0: never): the rows
	 * after it are neither imported nor reported, and a best-effort
	 * import still returns ROSTER_OK; roster_import_stopped() tells
	 * (docs/bulk.md). */
	unsigned int max_errors;
	/* version 2 */
	/** The country (ISO 3166-1 alpha-2, "FR") whose national numbers
	 * the file's phone and lines may hold ("01 44 55 66 77" is then
	 * +33144556677): the national prefix left out, the country's
	 * calling code put before (libphonenumber's). "": none, every
	 * number written with its '+' or "00", as in version 1. */
	char country[4];
} roster_import_options;

#define ROSTER_IMPORT_OPTIONS_VERSION 2
#define ROSTER_IMPORT_OPTIONS_INIT                                             \
	{ ROSTER_IMPORT_OPTIONS_VERSION, ROSTER_IMPORT_ALL_OR_NOTHING, 0, 0, "" }

/**
 * Initialise options to their defaults for the given version (normally
 * ROSTER_IMPORT_OPTIONS_VERSION): all or nothing, no dry run, no limit of
 * refused rows. Returns ROSTER_EVERSION for a version this library does
 * not know, ROSTER_EINVAL for NULL.
 */
ROSTER_API int roster_import_options_init(roster_import_options *opts,
					  unsigned int version);

/** The outcome of an import. */
typedef struct roster_import_report roster_import_report;

/** File formats. */
#define ROSTER_FORMAT_CSV 1
#define ROSTER_FORMAT_XML 2

/**
 * Import users into `account`. `opts` may be NULL for the defaults.
 * Returns ROSTER_OK when the import went through as the mode says (all
 * rows in, or in best effort the good ones in), ROSTER_EINVALID when rows
 * were refused in all-or-nothing mode or in a dry run (nothing imported),
 * ROSTER_EPARSE when the file itself is malformed (bad CSV quoting, a
 * header naming a column that is unknown or named twice, import.column,
 * XML that is not well-formed or holds a
 * DTD: nothing is imported, the report names the line). *report (never
 * NULL on return, unless out of memory, a NULL argument or a call from a
 * callback) tells the rows.
 * If a transaction is open on the directory, roster_import refuses with
 * ROSTER_EMISUSE txn.open.
 */
ROSTER_API int roster_import(roster_import_report **report,
			     roster_directory *dir, const roster_actor *actor,
			     roster_id account, int format, roster_read_fn read,
			     void *read_data,
			     const roster_import_options *opts);

/** The same from a file. */
ROSTER_API int roster_import_file(roster_import_report **report,
				  roster_directory *dir,
				  const roster_actor *actor, roster_id account,
				  int format, const char *path,
				  const roster_import_options *opts);

ROSTER_API void roster_import_report_free(roster_import_report *report);
/** Data rows read (the header not counted). */
ROSTER_API size_t roster_import_rows(const roster_import_report *report);
/** Users created (0 in a dry run or a refused all-or-nothing import). */
ROSTER_API size_t roster_import_created(const roster_import_report *report);
/** 1 when the import stopped reading at its max_errors-th refused row:
 * the rows after it, if the file had any, were neither imported nor
 * reported (a best-effort import still returns ROSTER_OK); else 0. */
ROSTER_API int roster_import_stopped(const roster_import_report *report);
/** Refusals listed. */
ROSTER_API size_t roster_import_error_count(
	const roster_import_report *report);
/** Line of refusal i (1-based), 0 past the end. */
ROSTER_API unsigned long roster_import_error_line(
	const roster_import_report *report, size_t i);
/** Its column (a field name, or "" for the whole row), NULL past the end. */
ROSTER_API const char *roster_import_error_column(
	const roster_import_report *report, size_t i);
/** Its error code. */
ROSTER_API int roster_import_error_code(const roster_import_report *report,
					size_t i);
/** Its rule (docs/errors.md). */
ROSTER_API const char *roster_import_error_rule(
	const roster_import_report *report, size_t i);
/** The value it refused, as its message quotes it ("not-an-address", a
 * site name the account does not have), "" when it names none (never a
 * password); NULL past the end. */
ROSTER_API const char *roster_import_error_value(
	const roster_import_report *report, size_t i);
/** Its message, in the directory's language at the time of the import. */
ROSTER_API const char *roster_import_error_message(
	const roster_import_report *report, size_t i);
/**
 * Its message in `lang`, written to `buf` as roster_error_message_in()
 * writes an error's (error.h). ROSTER_EINVAL when `i` is past the end or
 * an argument is out of range.
 */
ROSTER_API int roster_import_error_message_in(
	const roster_import_report *report, size_t i, roster_language lang,
	char *buf, size_t size);

/**
 * Export the users of `account`, in id order, as `actor` may see them
 * (system, partner, admins). Writes through `write`.
 */
ROSTER_API int roster_export(roster_directory *dir, const roster_actor *actor,
			     roster_id account, int format,
			     roster_write_fn write, void *write_data);

#ifdef __cplusplus
}
#endif

#endif
