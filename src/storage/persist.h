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
 * own message: ROSTER_ECONFLICT of put, remove or commit stays a
 * conflict, the rest are ROSTER_ESTORAGE. Returns the code recorded. */
int rs_storage_fail(roster_directory *dir, const char *method, int rc);

/*
 * The store's scan of the keys starting with `prefix`, `row` called for
 * each, run as a callback (rs_hook_begin). Whatever the store does, the
 * result is what the contract says: 0; the first non-zero result of
 * `row`, which stopped the scan (the store calls it no more after it,
 * nor returns anything else); or ROSTER_ESTORAGE recorded, naming
 * "scan", when the scan failed or misbehaved (a NULL key, a NULL value
 * of non-zero length, any non-zero result of its own, positive ones
 * included).
 */
int rs_storage_scan(roster_directory *dir, const char *prefix,
		    roster_storage_row_fn row, void *data);

/* The counters record (next identifier) and the event counter. */
#define RS_META_KEY "m/counters"
#define RS_EVENTS_KEY "m/events"

/* Read the store into an empty directory and build its search index.
 * 0 or a recorded error. */
int rs_persist_load(roster_directory *dir);

/*
 * A record read from the store is one the API could have written: a unit
 * or a user alone when decoded (`links` 0), then a user's links to the
 * records it names (`links` 1, those read first). 0, ROSTER_EPARSE
 * ("storage.malformed", naming `key`, the field and the rule) or
 * ROSTER_ENOMEM, recorded.
 */
int rs_persist_check(roster_directory *dir, const rs_rec *r, const char *key,
		     int links);

/*
 * Decode the record stored under `key` (record `id`, at `version`) and
 * check it alone, as a load does: a user is also given its search keys
 * and packed. 0 and *out a fresh record, not yet in the directory; else
 * *out is NULL and the error (ROSTER_EPARSE naming the key and the fault,
 * or ROSTER_ENOMEM) is recorded.
 */
int rs_persist_decode(roster_directory *dir, const char *key, roster_id id,
		      const void *value, size_t len, uint64_t version,
		      rs_rec **out);

/*
 * No site has more of a pack in service than it purchased, and no
 * account more of a product assigned: the users of each of units[0..n)
 * of `kind` (site or account; others are passed over) hold the items
 * (their pack, their products) counted against the unit's purchased
 * list. 0, ROSTER_EPARSE ("storage.inconsistent") or ROSTER_ENOMEM,
 * recorded.
 */
int rs_persist_check_in_use(roster_directory *dir, rs_rec *const *units,
			    size_t n, int kind);

/*
 * Bring the model up to what the store holds now (other directories'
 * commits included), refresh.c. On failure the model is as it was and
 * the error is recorded.
 */
int rs_persist_refresh(roster_directory *dir);

struct rs_txn;
/* Write the open transaction's changes. 0 or a recorded error, having
 * written nothing. Versions of the written records are updated. */
int rs_persist_commit(roster_directory *dir, struct rs_txn *t);

#endif
