/*
 * roster: user administration policy and model for cloud-PBX portals.
 *
 * common.h: export macro, versions, identifiers, error codes, languages.
 *
 * Conventions of the whole API
 * ----------------------------
 * - Every object is an opaque handle, created through a first `**out`
 *   parameter and released by a matching `_free` that accepts NULL.
 * - Calls return `int`: 0 (ROSTER_OK) on success or a negative ROSTER_E*
 *   code. The detail (field, rule, offending value, message in the handle's
 *   language) is kept per directory handle, see error.h.
 * - A failed call changes nothing: not the model, not the storage, not the
 *   inventory. Nothing is visible to other calls before it is committed.
 * - Strings cross the API as NUL-terminated UTF-8. Strings returned by the
 *   library are borrowed: they live as long as the object they came from.
 * - Option structs carry a `version` first member; initialise them with
 *   the matching `_init` function (or the `_INIT` macro in C).
 * - There are no variadic functions, so every call can be reached from
 *   foreign-function interfaces (Python ctypes, Lua FFI).
 *
 * Threads
 * -------
 * roster keeps no process-global mutable state but the default catalog,
 * loaded once under a lock and then only read. One directory handle (and
 * the objects it hands out) must be used by one thread at a time; distinct
 * handles may be used from distinct threads at the same time with no
 * locking. Objects returned as copies (roster_user, roster_page) belong to
 * the caller and may move to another thread. Calling back into a directory
 * from one of its own callbacks (events, an import's read, an export's
 * write, the storage methods, the clock) fails with ROSTER_EMISUSE; the
 * allocator hooks must not call it at all. The last error
 * of calls made without a handle is kept per thread (roster_error_last).
 */
#ifndef ROSTER_COMMON_H
#define ROSTER_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(ROSTER_BUILDING)
#define ROSTER_API __declspec(dllexport)
#elif defined(__GNUC__) && defined(ROSTER_BUILDING)
#define ROSTER_API __attribute__((visibility("default")))
#else
#define ROSTER_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Compile-time version of the headers. */
#define ROSTER_VERSION_MAJOR 0
#define ROSTER_VERSION_MINOR 1
#define ROSTER_VERSION_PATCH 0
#define ROSTER_VERSION_STRING "0.1.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH, comparable with roster_version(). */
#define ROSTER_VERSION_NUMBER                                                  \
	(ROSTER_VERSION_MAJOR * 10000 + ROSTER_VERSION_MINOR * 100 +            \
	 ROSTER_VERSION_PATCH)

/** The run-time version of the library as ROSTER_VERSION_NUMBER. */
ROSTER_API int roster_version(void);
/** The run-time version of the library as "MAJOR.MINOR.PATCH". */
ROSTER_API const char *roster_version_string(void);

/**
 * Identifier of any record (partner, account, site, PBX, permission group,
 * user). Never 0: 0 means "none" wherever an identifier is optional.
 */
typedef uint64_t roster_id;

/**
 * Error codes. Values are stable: never renumbered, never reused. A code
 * that is retired stays here as a placeholder.
 */
typedef enum roster_code {
	ROSTER_OK = 0,
	/** Generic failure with no more specific code. */
	ROSTER_ERROR = -1,
	/** An allocation failed; nothing was changed. */
	ROSTER_ENOMEM = -2,
	/** A bad argument: NULL where a value is needed, out of range. */
	ROSTER_EINVAL = -3,
	/** A field value breaks a validation rule (see the error's field). */
	ROSTER_EINVALID = -4,
	/** The record named does not exist. */
	ROSTER_ENOTFOUND = -5,
	/** A record with the same unique key already exists. */
	ROSTER_EEXISTS = -6,
	/** The actor may not do this (authorisation). */
	ROSTER_EDENIED = -7,
	/** A business rule refuses the change (e.g. last admin). */
	ROSTER_EPOLICY = -8,
	/** The change needs an explicit confirmation from the caller. */
	ROSTER_ECONFIRM = -9,
	/** Storage reported that the record changed under us. */
	ROSTER_ECONFLICT = -10,
	/** Reading or writing failed: a storage callback (see the message
	 * for the backend's), an import's read callback, or a file (import,
	 * catalog) that cannot be opened or read. */
	ROSTER_ESTORAGE = -11,
	/** The API was used out of contract (re-entered from a callback). */
	ROSTER_EMISUSE = -12,
	/** A host callback asked to abort the operation. */
	ROSTER_EUSER = -13,
	/** Reserved for host callbacks: pass to the next handler. */
	ROSTER_EPASSTHROUGH = -14,
	/** A token or password reset link has expired or was used. */
	ROSTER_EEXPIRED = -15,
	/** Malformed input document (XML, CSV). */
	ROSTER_EPARSE = -16,
	/** An options struct carries an unknown version. */
	ROSTER_EVERSION = -17,
	/** Credentials do not match. */
	ROSTER_EAUTH = -18
} roster_code;

/** The lowest (most negative) error code this version knows. */
#define ROSTER_ERROR_CODE_MIN ROSTER_EAUTH

/**
 * A short English description of an error code, never NULL. Codes this
 * version does not know give "unknown error".
 */
ROSTER_API const char *roster_strerror(int code);

/** Languages of messages and display names. Values are stable. */
typedef enum roster_language {
	ROSTER_LANG_EN = 0,
	ROSTER_LANG_FR = 1,
	ROSTER_LANG_CS = 2
} roster_language;

/** Number of languages; valid values are 0 .. ROSTER_LANG_COUNT - 1. */
#define ROSTER_LANG_COUNT 3

/**
 * Parse a language tag ("en", "fr", "cs", case-insensitive, a region
 * suffix such as "fr-CA" accepted). Returns ROSTER_EINVAL for others.
 */
ROSTER_API int roster_language_parse(roster_language *out, const char *tag);

#ifdef __cplusplus
}
#endif

#endif
