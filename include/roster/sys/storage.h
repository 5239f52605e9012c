/*
 * roster/sys/storage.h: the storage contract, for backend authors.
 *
 * roster owns no database. A host that wants its directory to persist
 * hands roster_directory_open a table of callbacks (and its own pointer,
 * `store`, given back to every callback). roster then reads every record
 * when the directory opens and, at each commit, writes the records the
 * transaction changed inside one storage transaction:
 *
 *     begin, then put / remove for each changed record, then commit
 *     (or rollback, when any of them failed).
 *
 * Records are opaque byte strings under printable ASCII keys; their format
 * is specified in docs/storage.md. Every key carries a version (0 means
 * "absent"): roster writes conditionally on the version it last read, so
 * that two directories on one store never lose an update. The loser of
 * such a race gets ROSTER_ECONFLICT and nothing of its transaction is
 * written. Versions must never repeat across the whole store, not only per
 * key: a key removed and written again must not get back a version a
 * stale reader may still hold (a store-wide counter does it). A refresh
 * relies on it too: it reads again only the records whose versions
 * differ from the ones it holds.
 *
 * Within a transaction, put and remove see the transaction's own earlier
 * writes. roster never calls scan between begin and commit/rollback, calls
 * rollback only after a successful begin and never after a failed commit,
 * and ignores rollback's result. Values may be empty (len 0, value not
 * NULL). A store that gives up waiting for another writer's lock returns
 * ROSTER_ESTORAGE; ROSTER_ECONFLICT is only for a version that differs.
 *
 * Ownership: buffers roster passes to a callback are roster's and valid
 * only during the call; buffers a backend passes to the row callback of
 * scan are the backend's and valid only during that call. Nothing crosses
 * the boundary to be freed by the other side.
 *
 * Threads: roster calls a store from the thread using the directory. A
 * store shared by several directories must serialise whole transactions:
 * from begin to commit or rollback, no other directory's transaction or
 * scan may interleave (the memory store holds one lock across them).
 */
#ifndef ROSTER_SYS_STORAGE_H
#define ROSTER_SYS_STORAGE_H

#include "../common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Called by scan for each row; returns 0 to go on, anything else to stop
 * the scan, which then returns that value.
 */
typedef int (*roster_storage_row_fn)(const char *key, const void *value,
				     size_t len, uint64_t version,
				     void *row_data);

/** The callbacks of a store. Append-only; version first. */
typedef struct roster_storage {
	unsigned int version;
	/** Required. Start a write transaction. 0 or ROSTER_ESTORAGE. */
	int (*begin)(void *store);
	/**
	 * Required. Make the writes since begin durable and visible, all
	 * together. 0, ROSTER_ECONFLICT or ROSTER_ESTORAGE; on failure
	 * nothing of the transaction remains.
	 */
	int (*commit)(void *store);
	/** Required. Forget the writes since begin. */
	int (*rollback)(void *store);
	/**
	 * Required. Write `value` under `key` if the key's current version
	 * is `expected` (0: the key must not exist), and set *version_out
	 * to its new version (never 0). ROSTER_ECONFLICT when the version
	 * differs, ROSTER_ESTORAGE on failure. roster takes a success
	 * answering version 0 for the put's failure (ROSTER_ESTORAGE
	 * naming "put").
	 */
	int (*put)(void *store, const char *key, const void *value,
		   size_t len, uint64_t expected, uint64_t *version_out);
	/**
	 * Required. Remove `key` if its current version is `expected`.
	 * ROSTER_ECONFLICT when the version differs or the key is absent.
	 */
	int (*remove)(void *store, const char *key, uint64_t expected);
	/**
	 * Required. Call `row` for every committed key that starts with
	 * the bytes of `prefix` ("" for all), in any order, once each, all
	 * from one committed state: a key left out is taken for removed (a
	 * refresh drops the record, and a later write may then make the
	 * store one that no longer opens), so a scan that cannot give every
	 * row (a paged query cut short, a cursor lost) must fail, not
	 * return 0. Every row it gives, the host's own under other
	 * prefixes included, has a version other than 0 and a value.
	 * Returns 0, the first non-zero result of `row`, or ROSTER_ESTORAGE.
	 * roster takes a row with a NULL key, a NULL value of non-zero
	 * length or version 0, and any other result of the scan's own, for its failure
	 * (ROSTER_ESTORAGE naming "scan"), and the result of the row that
	 * stopped the scan as the scan's, whatever the store does after it.
	 */
	int (*scan)(void *store, const char *prefix, roster_storage_row_fn row,
		    void *row_data);
	/**
	 * Optional. The backend's own words for its last failure, reported
	 * in roster's error beside the name of the failing call. Read at
	 * once after the failing call; it need stay valid only until the
	 * next callback.
	 */
	const char *(*errmsg)(void *store);
	/**
	 * Optional. Called by each roster_directory_free to release
	 * `store` (a store shared by several directories has none, or
	 * counts them), not when roster_directory_open fails: the store
	 * is then still the caller's.
	 */
	void (*destroy)(void *store);
	/* version 2 */
	/**
	 * Optional; a store shared by several directories should have it.
	 * Between begin and commit: 0 when the key's current version is
	 * `expected` (0: the key must not exist), else ROSTER_ECONFLICT
	 * (the transaction then rolls back), or ROSTER_ESTORAGE. It writes
	 * nothing. roster checks so a record its decision read and the
	 * transaction does not write: the acting user's, whose role allowed
	 * the change, so that an admin demoted or deleted through another
	 * directory changes nothing more through this one. Without it (NULL,
	 * or a version 1 table) that holds within one directory only.
	 */
	int (*check)(void *store, const char *key, uint64_t expected);
} roster_storage;

#define ROSTER_STORAGE_VERSION 2

/* ------------------------------------------------------------------ */
/* The built-in memory store                                           */

/**
 * A store in memory that several directories may share (each call is
 * serialised by the store's own lock). It keeps nothing once freed; it
 * makes the storage contract testable and lets two directories see each
 * other's commits. Its callbacks called out of turn (commit or rollback
 * outside a transaction, begin or scan inside the calling thread's own,
 * a NULL argument) fail with ROSTER_ESTORAGE and say why in errmsg, as
 * the file store's do.
 */
typedef struct roster_memstore roster_memstore;

ROSTER_API int roster_memstore_new(roster_memstore **out);
/** Free a memory store. Accepts NULL. Free its directories first. */
ROSTER_API void roster_memstore_free(roster_memstore *ms);
/** The callbacks of memory stores (pass the roster_memstore as `store`). */
ROSTER_API const roster_storage *roster_memstore_methods(void);

/* ------------------------------------------------------------------ */
/* The built-in file store                                             */

/**
 * A store in one file that survives the process: an append-only log of
 * checksummed frames, one per committed transaction, synced before commit
 * returns (docs/storage.md, "The file store"). After a crash or a kill at
 * any moment, opening the file again gives exactly the last committed
 * transaction: a frame cut short at the end of the file is dropped, any
 * other damage is refused. When the log grows well past the live data it
 * is rewritten whole ("<path>.tmp", synced, renamed over the file).
 *
 * Several directories may share one handle (each transaction and scan is
 * serialised by the handle's own lock), and several handles, in one
 * process or in several, may open the same path: they take turns through
 * an exclusive flock(2) on "<path>.lock", held from begin to commit or
 * rollback and during scan, and each reads the others' commits when it
 * takes its turn, so a stale write gets ROSTER_ECONFLICT. Waiting for
 * another handle's turn has no time limit. A child of fork() must open
 * its own handle rather than use its parent's.
 *
 * The table of roster_filestore_methods() has no destroy: free the handle
 * with roster_filestore_free once its directories are freed. Its errmsg
 * names the path and the system's reason (strerror) or the byte offset
 * of damage; it is kept per thread (a handle shared by the directories
 * of several threads keeps each thread's own), so read it in the thread
 * that failed.
 */
typedef struct roster_filestore roster_filestore;

/** Skip fsync: the store survives a killed process, not a power cut
 * (tests, benchmarks). */
#define ROSTER_FILESTORE_NOSYNC 1u

/**
 * Open the file store at `path`, creating the file (mode 0600) when it is
 * absent or empty; `flags` is 0 or ROSTER_FILESTORE_NOSYNC. The file and
 * the lock file are named by the path's real path (symbolic links
 * resolved), so a later chdir() of the host changes nothing.
 *
 * ROSTER_EINVAL for NULL or empty `path`, NULL `out` or unknown flags;
 * ROSTER_ESTORAGE when the system refuses (rule "storage.failed", the
 * value names the path and strerror); ROSTER_EPARSE for a file that is
 * not a roster file store, of an unknown format, or damaged other than by
 * a torn last frame (rule "storage.file", the value gives the byte
 * offset); ROSTER_ENOMEM. The detail is in roster_error_last(). A
 * failed open leaves no store file it created (the lock file, once
 * created, stays, as always).
 */
ROSTER_API int roster_filestore_open(const char *path, unsigned int flags,
				     roster_filestore **out);
/** Close a file store. Accepts NULL. Free its directories first. */
ROSTER_API void roster_filestore_free(roster_filestore *fs);
/** The callbacks of file stores (pass the roster_filestore as `store`). */
ROSTER_API const roster_storage *roster_filestore_methods(void);

#ifdef __cplusplus
}
#endif

#endif
