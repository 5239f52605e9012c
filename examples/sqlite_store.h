/*
 * sqlite_store.h: a roster store in a SQLite database, an example of a
 * host supplying persistence (roster/sys/storage.h).
 *
 * One sqlite_store is one connection. Several directories in one process
 * may share it (its callbacks are serialised); directories in other
 * processes, or on other connections to the same file, see each other's
 * commits and lose races with ROSTER_ECONFLICT, as the contract says.
 */
#ifndef SQLITE_STORE_H
#define SQLITE_STORE_H

#include <roster.h>

typedef struct sqlite_store sqlite_store;

/**
 * Open (creating if needed) the database at `path` (":memory:" for one
 * that lives as long as the store). ROSTER_OK, ROSTER_EINVAL, ROSTER_ENOMEM
 * or ROSTER_ESTORAGE; sqlite_store_open_error() then tells why.
 */
int sqlite_store_open(sqlite_store **out, const char *path);
/** Why this thread's last sqlite_store_open failed ("" if it did not). */
const char *sqlite_store_open_error(void);
/** Close the connection. Accepts NULL. Free its directories first. */
void sqlite_store_close(sqlite_store *s);
/** The callbacks (pass the sqlite_store as `store`). */
const roster_storage *sqlite_store_methods(void);

#endif
