/*
 * kv.h: the live keys of a built-in store and a transaction's writes.
 *
 * The memory store and the file store keep the same state: keys to
 * (value, version) in an open-addressing hash table whose slots hold each
 * entry's hash beside it, and a byte per slot of a few more bits of it,
 * so that looking up a new key (every creation) reads one line of the
 * bytes and no slot nor entry, and, while a transaction is
 * open, its writes in order with an index that finds the latest write of
 * a key in constant time. A write is an entry made whole (key and value
 * in one block) when it is added, so that applying the writes at commit
 * allocates nothing and cannot fail: the entries move into the table.
 *
 * The table also links its entries in the order they were applied, the
 * order they were allocated in, so that a scan (every record at open)
 * reads memory from one end to the other instead of jumping from bucket
 * to bucket. And it links them again by key space, the text before a
 * key's first '/' ("o" of "o/00000000000000a1"), so that a scan of a
 * prefix naming its space (the outbox, "o/...") reads that space's
 * entries alone, not every record of the store: RS_KV_SPACES spaces of
 * up to RS_KV_SPACE_BYTES - 1 bytes, kept in the table itself so that
 * applying writes still allocates nothing; the keys of other spaces are
 * in the order applied only, and counted.
 *
 * Both stores belong to the host and use the C library's allocator.
 */
#ifndef RS_STORAGE_KV_H
#define RS_STORAGE_KV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "roster/sys/storage.h"

typedef struct rs_kv_entry {
	/* in a table: the entries applied before and after it, and those
	 * of its key space (when it has one of the table's) */
	struct rs_kv_entry *older, *newer;
	struct rs_kv_entry *sp_older, *sp_newer;
	uint64_t hash;
	uint64_t version; /* 0: a removal (only in a write set) */
	uint32_t klen, len; /* 32 bits: an entry is 64 bytes, not 72 */
	unsigned space; /* 1 + its space's place in the table, 0: none */
	char key[]; /* the key, a NUL, then the value */
} rs_kv_entry;

static inline const void *rs_kv_value(const rs_kv_entry *e)
{
	return e->key + e->klen + 1;
}

typedef struct rs_kv_slot {
	uint64_t hash;
	rs_kv_entry *e; /* NULL: empty */
} rs_kv_slot;

#define RS_KV_SPACES 16
#define RS_KV_SPACE_BYTES 8

/* A key space: the keys beginning with its name and a '/'. */
typedef struct rs_kv_space {
	char name[RS_KV_SPACE_BYTES];
	size_t len;
	struct rs_kv_entry *oldest, *newest;
} rs_kv_space;

typedef struct rs_kv {
	rs_kv_slot *slots; /* linear probing */
	/* beside each slot, a byte: 0 empty, else 0x80 and 7 bits of the
	 * hash (not those of the home slot), so that looking up an absent
	 * key (every creation) reads a line of this array, an eighth the
	 * size of the slots, and no slot */
	unsigned char *tags;
	size_t cap;	   /* a power of two, over twice the entries */
	size_t count;
	uint64_t bytes; /* the sum of klen + len of the entries */
	rs_kv_entry *oldest, *newest; /* the order applied */
	rs_kv_space spaces[RS_KV_SPACES]; /* named as first met, kept */
	size_t nspaces;
	size_t spaceless; /* entries in none of them */
} rs_kv;

typedef struct rs_kv_writes {
	rs_kv_entry **v; /* in the order written */
	size_t n, cap;
	uint32_t *index; /* open addressing: 1 + place in v, 0 empty */
	size_t icap;	 /* 0 or a power of two, at least 2 n */
} rs_kv_writes;

uint64_t rs_kv_hash(const char *key, size_t klen);

/* The scan of a store (roster_storage): row() for each entry whose key
 * begins with `prefix`, in the order applied, until it returns non-zero,
 * which is returned. A prefix naming a key space of the table reads that
 * space's entries alone. */
int rs_kv_scan(const rs_kv *t, const char *prefix, roster_storage_row_fn row,
	       void *row_data);

/* The lock of a built-in store: a second begin, or a scan, inside a
 * transaction of the same thread is refused (EDEADLK) instead of
 * deadlocking, and an unlock without the lock (EPERM) instead of undefined
 * behaviour. 0, or -1 when it could not be made. */
int rs_kv_lock_init(pthread_mutex_t *m);

/* 0, or -1 when memory is short. */
int rs_kv_init(rs_kv *t);
void rs_kv_free(rs_kv *t);
rs_kv_entry *rs_kv_get(const rs_kv *t, const char *key, size_t klen,
		       uint64_t hash);

/* A write made whole: `value` NULL for a removal. NULL when memory is
 * short or the sizes overflow (a key or a value of 4 GiB or more). */
rs_kv_entry *rs_kv_entry_new(const char *key, size_t klen, uint64_t hash,
			     const void *value, size_t len, uint64_t version);

/* Add a write of a transaction on table t, which the set then owns,
 * making room in t for every write of the set, so that applying them
 * cannot fail; -1 (the caller keeps it) when memory is short. */
int rs_kv_writes_add(rs_kv_writes *w, rs_kv *t, rs_kv_entry *e);
/* The same without indexing it, for a set that is only applied (a frame
 * being read): rs_kv_writes_find must not be used on it. */
int rs_kv_writes_append(rs_kv_writes *w, rs_kv_entry *e);
/* The latest write of a key, or NULL. */
const rs_kv_entry *rs_kv_writes_find(const rs_kv_writes *w, const char *key,
				     size_t klen, uint64_t hash);
/* The version a key has as a transaction sees it: its latest write, else
 * the table (0: absent or removed). */
uint64_t rs_kv_current(const rs_kv *t, const rs_kv_writes *w, const char *key,
		       size_t klen, uint64_t hash);
/* Forget the writes (the set keeps its room). */
void rs_kv_writes_clear(rs_kv_writes *w);
void rs_kv_writes_free(rs_kv_writes *w);

/* Room in the table for `more` entries more than it holds: 0, or -1 when
 * memory is short (the table as it was). rs_kv_writes_add reserves for a
 * transaction's writes; a set made by rs_kv_writes_append (a frame) needs
 * it before it is applied. */
int rs_kv_reserve(rs_kv *t, size_t more);
/* Apply the writes in order, moving their entries into the table, and
 * empty the set. Cannot fail: rs_kv_reserve made room for them all. */
void rs_kv_apply(rs_kv *t, rs_kv_writes *w);

#endif
