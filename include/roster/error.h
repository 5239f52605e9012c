/*
 * error.h: the detail of the last failure.
 *
 * Every failing call records, beside its return code, which field was at
 * fault, which rule refused it, the offending value and a message in the
 * language of the handle. Calls that take a directory record it in that
 * directory (roster_directory_error); calls without one (and form
 * setters, and roster_directory_get_password_policy, which leaves the
 * directory untouched) record it per thread (roster_error_last), in
 * English. roster_error_message_in() renders either in any language.
 * A successful call leaves the previous error
 * in place (a best-effort import that succeeds with rows refused leaves
 * the last row's; its report tells them all); a failing call replaces
 * it.
 *
 * Rules are stable machine-readable identifiers such as "email.unique",
 * "auth.scope" or "admin.last": test them with strcmp, never parse the
 * message. The list of rules is in docs/errors.md.
 */
#ifndef ROSTER_ERROR_H
#define ROSTER_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The detail of one failure. Owned by its directory or thread. */
typedef struct roster_error roster_error;

/**
 * The last error recorded by calls on this thread that take no directory
 * (roster_directory_open, option initialisers, ...). Never NULL: when no
 * error happened yet, it reports ROSTER_OK.
 */
ROSTER_API const roster_error *roster_error_last(void);

/** The error code (ROSTER_OK when there was none). NULL gives ROSTER_EINVAL. */
ROSTER_API int roster_error_code(const roster_error *err);

/** The message in the handle's language, "" when none. Never NULL. */
ROSTER_API const char *roster_error_message(const roster_error *err);

/** Bytes that always hold a message, its terminating NUL included. */
#define ROSTER_ERROR_MESSAGE_MAX 512

/**
 * The message of `err` in `lang`, whatever language it was recorded in:
 * for a portal answering users of several languages from one directory,
 * or for the errors recorded per thread, which are in English. Writes at
 * most `size` bytes to `buf`, NUL included; ROSTER_ERROR_MESSAGE_MAX bytes
 * always hold the whole message, which a smaller buffer gets cut on a
 * character boundary. In the language it was recorded in, it is the text
 * of roster_error_message(). Returns ROSTER_EINVAL, writing "" when `buf`
 * and `size` allow, when `err` or `buf` is NULL, `size` is 0 or `lang` is
 * not a language; it records no error itself.
 */
ROSTER_API int roster_error_message_in(const roster_error *err,
				       roster_language lang, char *buf,
				       size_t size);

/**
 * The field at fault as its stable name (see roster_field_name), or ""
 * when the error is not about a field. Never NULL.
 */
ROSTER_API const char *roster_error_field(const roster_error *err);

/** The stable rule identifier, "" when none. Never NULL. */
ROSTER_API const char *roster_error_rule(const roster_error *err);

/**
 * The offending value, possibly shortened, "" when none. Secrets such as
 * passwords are never reported here. Never NULL.
 */
ROSTER_API const char *roster_error_value(const roster_error *err);

#ifdef __cplusplus
}
#endif

#endif
