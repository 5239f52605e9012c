/*
 * directory.h: the directory handle.
 *
 * A directory holds the whole model: partners, their accounts with sites,
 * PBXes and permission groups, and the users. Every other call takes one.
 */
#ifndef ROSTER_DIRECTORY_H
#define ROSTER_DIRECTORY_H

#include "common.h"
#include "error.h"
#include "event.h"
#include "sys/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The directory handle. */
typedef struct roster_directory roster_directory;

/**
 * Allocator hooks. All memory roster allocates for a directory goes
 * through them (third-party libraries it calls may still use malloc). The
 * three functions are given together or not at all. realloc_fn must act
 * like realloc(3) for a NULL pointer; free_fn must accept NULL.
 */
typedef void *(*roster_malloc_fn)(size_t size, void *alloc_data);
typedef void *(*roster_realloc_fn)(void *ptr, size_t size, void *alloc_data);
typedef void (*roster_free_fn)(void *ptr, void *alloc_data);

/**
 * Clock hook: the current time in seconds since the epoch (UTC). Tests and
 * hosts with their own clock set it; by default time(2) is used.
 */
typedef int64_t (*roster_clock_fn)(void *clock_data);

/** Options of roster_directory_open. Append-only; version first. */
typedef struct roster_directory_options {
	unsigned int version;
	/** Language of error messages. Default ROSTER_LANG_EN. */
	roster_language language;
	/** Allocator hooks, all NULL for malloc/realloc/free. */
	roster_malloc_fn malloc_fn;
	roster_realloc_fn realloc_fn;
	roster_free_fn free_fn;
	void *alloc_data;
	/** Event callback, NULL to drop events. */
	roster_event_cb event_cb;
	void *event_data;
	/** Clock hook, NULL for time(2). */
	roster_clock_fn clock_fn;
	void *clock_data;
	/* version 2 */
	/**
	 * Storage callbacks (roster/sys/storage.h), NULL for a directory
	 * that lives in memory only. The directory reads every record from
	 * the store when it opens and writes each commit to it.
	 */
	const roster_storage *storage;
	/**
	 * The store given back to every storage callback. NULL with the
	 * table of the memory or the file store is refused (ROSTER_EINVAL,
	 * rule "arg.null", field "store"): say, a file store that did not
	 * open.
	 */
	void *store;
	/* version 3 */
	/** ROSTER_DIRECTORY_* flags, 0 for the defaults. */
	unsigned int flags;
	/** Keeps the struct free of padding; must be 0. */
	unsigned int reserved;
} roster_directory_options;

/**
 * Keep no outbox: with storage, events are still delivered after each
 * commit but not written to the store, so a crash between commit and
 * delivery loses them (see roster_outbox_replay in event.h).
 */
#define ROSTER_DIRECTORY_NO_OUTBOX 1u

#define ROSTER_DIRECTORY_OPTIONS_VERSION 3
#define ROSTER_DIRECTORY_OPTIONS_INIT                                          \
	{ ROSTER_DIRECTORY_OPTIONS_VERSION, ROSTER_LANG_EN, NULL, NULL, NULL,   \
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 }

/**
 * Initialise options to their defaults for the given version (normally
 * ROSTER_DIRECTORY_OPTIONS_VERSION). Returns ROSTER_EVERSION for a version
 * this library does not know, ROSTER_EINVAL for NULL.
 */
ROSTER_API int roster_directory_options_init(roster_directory_options *opts,
					     unsigned int version);

/**
 * Open a directory. `opts` may be NULL for the defaults: an empty
 * directory in memory. With storage callbacks, every record of the store
 * is read first; a store holding a malformed or inconsistent record is
 * refused with ROSTER_EPARSE naming the key and the fault, a failing
 * callback with ROSTER_ESTORAGE. On failure *out is set to NULL and the
 * error is in roster_error_last().
 */
ROSTER_API int roster_directory_open(roster_directory **out,
				     const roster_directory_options *opts);

/**
 * Close a directory and free everything it holds. Accepts NULL. Called
 * from one of the directory's own callbacks it does nothing and records
 * ROSTER_EMISUSE in roster_error_last(): free it after the call returns.
 */
ROSTER_API void roster_directory_free(roster_directory *dir);

/**
 * Read the directory's store again, to see what other directories on the
 * same store committed since. The keys and versions are read first (every
 * record and counter at the version this directory has: nothing more is
 * read). The records created or changed are read alone, and checked with
 * the deleted ones as an open checks them; a change to more than an
 * eighth of the records reads the whole store again, as an open does. A
 * store
 * the checks refuse is reported as an open reports it (ROSTER_EPARSE).
 * ROSTER_EMISUSE while a transaction is open (with or without storage);
 * else ROSTER_OK at once for a directory without storage. On failure the
 * directory is as it was. A commit that loses a race (ROSTER_ECONFLICT)
 * refreshes the directory by itself, so the caller can look again and
 * retry.
 */
ROSTER_API int roster_directory_refresh(roster_directory *dir);

/* ------------------------------------------------------------------ */
/* The outbox                                                          */

/*
 * With storage, every event is also written to the store in the same
 * commit as the change that raised it (unless the directory was opened
 * with ROSTER_DIRECTORY_NO_OUTBOX), and stays there until the host
 * acknowledges it. Sequence numbers then come from the store: they
 * increase in commit order across every directory on it, never repeat,
 * and are the id by which a host de-duplicates. A host acknowledges an
 * event once it has carried it out; after a crash it replays what is
 * left: delivery is at least once.
 */

/**
 * Deliver again, oldest first, the events still in the outbox of the
 * directory's store (those of every directory on it), through the event
 * callback, marked by roster_event_replayed(). At most `max` of them
 * (0: all): such a replay holds the `max` oldest events alone, so that a
 * long outbox is drained in batches (replay at most `max`, acknowledge
 * them, again) without holding it all in memory.
 * *count, when not NULL, gets the number delivered. A directory without
 * storage has no outbox: 0 events. ROSTER_EPARSE names a malformed outbox
 * entry among those a replay would deliver, or a key under "o/" of
 * another shape; ROSTER_ESTORAGE a failing scan.
 */
ROSTER_API int roster_outbox_replay(roster_directory *dir, size_t max,
				    size_t *count);

/**
 * Remove the events numbered first to last (inclusive) from the outbox,
 * in one storage transaction. Each call scans the outbox once
 * (docs/storage.md): acknowledge a run of events carried out in one call
 * rather than each in turn. Events already acknowledged are skipped, so
 * acknowledging twice is harmless. *acked, when not NULL, gets the number
 * removed by this call. ROSTER_EINVAL when first > last. Independent of
 * any open transaction of the directory.
 */
ROSTER_API int roster_outbox_ack(roster_directory *dir, uint64_t first,
				 uint64_t last, size_t *acked);

/** The last error of calls on this directory. Never NULL for a valid dir. */
ROSTER_API const roster_error *roster_directory_error(const roster_directory *dir);

/** Change the language of later messages. */
ROSTER_API int roster_directory_set_language(roster_directory *dir,
					     roster_language lang);

#ifdef __cplusplus
}
#endif

#endif
