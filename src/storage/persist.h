/*
 * persist.h (internal): the directory and its store.
 *
 * Loading reads every record of the store and rebuilds what is derived
 * from them (member lists, admin counts, unique indexes). Committing writes
 * the final version of each record a transaction changed, conditionally on
 * the version it was read at, inside one storage transaction.
 */
#ifndef RS_PERSIST_H
#define RS_PERSIST_H

#include "../model.h"

/* NULL when the callbacks are usable, else the name of the first required
 * member that is missing (or "version"). */
const char *rs_storage_check(const roster_storage *st);

/* Record a failure of the storage callback `method` with the backend's
 * own message: ROSTER_ECONFLICT stays a conflict, the rest are
 * ROSTER_ESTORAGE. Returns the code recorded. */
int rs_storage_fail(roster_directory *dir, const char *method, int rc);

/* Read the store into an empty directory and build its search index.
 * 0 or a recorded error. */
int rs_persist_load(roster_directory *dir);

/*
 * Read the store again and replace the model with what it holds now
 * (other directories' commits included). On failure the model is as it
 * was and the error is recorded.
 */
int rs_persist_refresh(roster_directory *dir);

struct rs_txn;
/* Write the open transaction's changes. 0 or a recorded error, having
 * written nothing. Versions of the written records are updated. */
int rs_persist_commit(roster_directory *dir, struct rs_txn *t);

#endif
