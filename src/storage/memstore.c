/*
 * memstore.c: the built-in memory store (roster/sys/storage.h).
 *
 * Keys to (value, version) in a hash table (kv.h), behind one mutex that
 * a write transaction holds from begin to commit or rollback, so the
 * directories sharing the store see each other's commits whole. Writes of
 * a transaction wait in its write set until commit. It belongs to the
 * host and uses the C library's allocator.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "roster/sys/storage.h"
#include "kv.h"
#include "../error.h"

struct roster_memstore {
	pthread_mutex_t lock;
	rs_kv t;
	uint64_t clock; /* versions are unique across the store */
	rs_kv_writes w; /* the open transaction's */
	int in_txn;
};

/* The reason of the last failure, per thread: the caller reads it once
 * the store is unlocked, when another thread's failure could be
 * writing it already. */
static _Thread_local const char *ms_err;

int roster_memstore_new(roster_memstore **out)
{
	roster_memstore *ms;
	int rc;

	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	rc = rs_kv_lock_init(&ms->lock);
	if (rc || rs_kv_init(&ms->t)) {
		if (!rc)
			pthread_mutex_destroy(&ms->lock);
		free(ms);
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	}
	*out = ms;
	return ROSTER_OK;
}

void roster_memstore_free(roster_memstore *ms)
{
	if (!ms)
		return;
	rs_kv_writes_free(&ms->w);
	rs_kv_free(&ms->t);
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}

static int fail(int code, const char *why)
{
	ms_err = why;
	return code;
}

/* Take the store's lock; a thread inside its own transaction (or scan)
 * is refused. */
static int enter(roster_memstore *ms, const char *inside)
{
	int e = pthread_mutex_lock(&ms->lock);

	if (e == EDEADLK)
		return fail(ROSTER_ESTORAGE, inside);
	return e ? fail(ROSTER_ESTORAGE, "lock failed") : ROSTER_OK;
}

static int ms_begin(void *store)
{
	roster_memstore *ms = store;
	int rc;

	if ((rc = enter(ms, "begin inside a transaction or scan of this "
			    "thread")))
		return rc;
	ms->in_txn = 1;
	rs_kv_writes_clear(&ms->w);
	return ROSTER_OK;
}

static int add_write(roster_memstore *ms, const char *key, size_t klen,
		     uint64_t hash, const void *value, size_t len,
		     uint64_t version)
{
	rs_kv_entry *e = rs_kv_entry_new(key, klen, hash, value, len, version);

	if (!e || rs_kv_writes_add(&ms->w, &ms->t, e)) {
		free(e);
		return fail(ROSTER_ESTORAGE, "out of memory");
	}
	return ROSTER_OK;
}

static int ms_put(void *store, const char *key, const void *value, size_t len,
		  uint64_t expected, uint64_t *version_out)
{
	roster_memstore *ms = store;
	size_t klen;
	uint64_t hash;
	int rc;

	if (!ms->in_txn)
		return fail(ROSTER_ESTORAGE, "put outside a transaction");
	if (!key || !version_out || (!value && len))
		return fail(ROSTER_ESTORAGE, "put: NULL argument");
	klen = strlen(key);
	hash = rs_kv_hash(key, klen);
	if (rs_kv_current(&ms->t, &ms->w, key, klen, hash) != expected)
		return fail(ROSTER_ECONFLICT, "version changed");
	if ((rc = add_write(ms, key, klen, hash, value ? value : "", len,
			    ms->clock + 1)))
		return rc;
	*version_out = ++ms->clock;
	return ROSTER_OK;
}

static int ms_remove(void *store, const char *key, uint64_t expected)
{
	roster_memstore *ms = store;
	size_t klen;
	uint64_t hash;

	if (!ms->in_txn)
		return fail(ROSTER_ESTORAGE, "remove outside a transaction");
	if (!key)
		return fail(ROSTER_ESTORAGE, "remove: NULL argument");
	klen = strlen(key);
	hash = rs_kv_hash(key, klen);
	if (!expected ||
	    rs_kv_current(&ms->t, &ms->w, key, klen, hash) != expected)
		return fail(ROSTER_ECONFLICT, "version changed");
	return add_write(ms, key, klen, hash, NULL, 0, 0);
}

static int ms_check(void *store, const char *key, uint64_t expected)
{
	roster_memstore *ms = store;
	size_t klen;

	if (!ms->in_txn)
		return fail(ROSTER_ESTORAGE, "check outside a transaction");
	if (!key)
		return fail(ROSTER_ESTORAGE, "check: NULL argument");
	klen = strlen(key);
	if (rs_kv_current(&ms->t, &ms->w, key, klen, rs_kv_hash(key, klen)) !=
	    expected)
		return fail(ROSTER_ECONFLICT, "version changed");
	return ROSTER_OK;
}

/* The writes were made whole as they came: applying them cannot fail. */
static int ms_commit(void *store)
{
	roster_memstore *ms = store;

	/* the lock is not held: unlocking it would be undefined */
	if (!ms->in_txn)
		return fail(ROSTER_ESTORAGE, "commit outside a transaction");
	rs_kv_apply(&ms->t, &ms->w);
	ms->in_txn = 0;
	pthread_mutex_unlock(&ms->lock);
	return ROSTER_OK;
}

static int ms_rollback(void *store)
{
	roster_memstore *ms = store;

	if (!ms->in_txn)
		return fail(ROSTER_ESTORAGE, "rollback outside a transaction");
	rs_kv_writes_clear(&ms->w);
	ms->in_txn = 0;
	pthread_mutex_unlock(&ms->lock);
	return ROSTER_OK;
}

static int ms_scan(void *store, const char *prefix, roster_storage_row_fn row,
		   void *row_data)
{
	roster_memstore *ms = store;
	int rc;

	if (!prefix || !row)
		return fail(ROSTER_ESTORAGE, "scan: NULL argument");
	if ((rc = enter(ms, "scan inside a transaction or scan of this "
			    "thread")))
		return rc;
	rc = rs_kv_scan(&ms->t, prefix, row, row_data);
	pthread_mutex_unlock(&ms->lock);
	return rc;
}

static const char *ms_errmsg(void *store)
{
	(void)store;
	return ms_err ? ms_err : "";
}

static const roster_storage methods = {
	ROSTER_STORAGE_VERSION, ms_begin, ms_commit, ms_rollback, ms_put,
	ms_remove, ms_scan, ms_errmsg, NULL, ms_check
};

const roster_storage *roster_memstore_methods(void)
{
	return &methods;
}
