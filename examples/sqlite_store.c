/*
 * sqlite_store.c: a roster store in one SQLite table.
 *
 *     roster(key TEXT PRIMARY KEY, value BLOB NOT NULL, version INTEGER)
 *
 * Versions come from a counter in a second table, bumped inside the write
 * transaction, so a committed version is never handed out twice. A write
 * transaction is BEGIN IMMEDIATE: it takes the database's write lock at
 * once, so the version check in put/remove and the write that follows
 * cannot be overtaken by another connection. A busy timeout makes two
 * connections wait for each other's lock instead of failing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlite_store.h"

enum { GET, BUMP, PUT, DEL, SCAN, SCAN_RANGE, NSTMT };

static const char *const sql[NSTMT] = {
	[GET] = "SELECT version FROM roster WHERE key = ?1",
	[BUMP] = "UPDATE roster_clock SET n = n + 1 RETURNING n",
	[PUT] = ("INSERT INTO roster(key, value, version) VALUES (?1, ?2, ?3)"
		 " ON CONFLICT(key) DO UPDATE"
		 " SET value = excluded.value, version = excluded.version"),
	[DEL] = "DELETE FROM roster WHERE key = ?1",
	[SCAN] = ("SELECT key, value, version FROM roster"
		  " WHERE substr(key, 1, length(?1)) = ?1"),
	/* the keys from the prefix up to the next one after all it
	 * begins: a range of the key's index, not a pass over the table
	 * (roster scans the outbox, "o/", after every acknowledgement) */
	[SCAN_RANGE] = ("SELECT key, value, version FROM roster"
			" WHERE key >= ?1 AND key < ?2"),
};

static const char schema[] =
	"PRAGMA journal_mode = WAL;" /* a no-op for ":memory:" */
	"PRAGMA synchronous = FULL;"
	"CREATE TABLE IF NOT EXISTS roster(key TEXT PRIMARY KEY,"
	" value BLOB NOT NULL, version INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS roster_clock(n INTEGER NOT NULL);"
	"INSERT INTO roster_clock SELECT 0"
	" WHERE NOT EXISTS (SELECT 1 FROM roster_clock);";

struct sqlite_store {
	sqlite3 *db;
	sqlite3_stmt *st[NSTMT];
	pthread_mutex_t lock; /* held from begin to commit or rollback */
	int in_txn;
	char err[256];
};

/* Record why a call failed and return `code`; `why` NULL: SQLite's words. */
static int fail(sqlite_store *s, int code, const char *why)
{
	snprintf(s->err, sizeof(s->err), "%s", why ? why : sqlite3_errmsg(s->db));
	return code;
}

/* Reset a statement after use, so that it holds no read snapshot. */
static int done(sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

void sqlite_store_close(sqlite_store *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < NSTMT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Why this thread's last sqlite_store_open failed. */
static _Thread_local char open_err[256];

const char *sqlite_store_open_error(void)
{
	return open_err;
}

int sqlite_store_open(sqlite_store **out, const char *path)
{
	sqlite_store *s;
	pthread_mutexattr_t attr;
	int i, locked;

	open_err[0] = '\0';
	if (!out || !path) {
		snprintf(open_err, sizeof(open_err), "NULL argument");
		return ROSTER_EINVAL;
	}
	*out = NULL;
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(open_err, sizeof(open_err), "out of memory");
		return ROSTER_ENOMEM;
	}
	/* error-checking: a thread that takes it again (a callback of its
	 * own transaction calling into a directory on this store) is told,
	 * instead of waiting for itself for ever */
	if (pthread_mutexattr_init(&attr)) {
		free(s);
		snprintf(open_err, sizeof(open_err), "out of memory");
		return ROSTER_ENOMEM;
	}
	locked = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK) ||
		 pthread_mutex_init(&s->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (locked) {
		free(s);
		snprintf(open_err, sizeof(open_err), "out of memory");
		return ROSTER_ENOMEM;
	}
	if (sqlite3_open(path, &s->db) != SQLITE_OK ||
	    sqlite3_busy_timeout(s->db, 10000) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < NSTMT; i++)
		if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->st[i], NULL) != SQLITE_OK)
			goto fail;
	*out = s;
	return ROSTER_OK;
fail:
	/* SQLite's words (it answers "out of memory" for a NULL handle) */
	snprintf(open_err, sizeof(open_err), "%s", sqlite3_errmsg(s->db));
	sqlite_store_close(s);
	return ROSTER_ESTORAGE;
}

/* Take the store's lock; ROSTER_ESTORAGE when this thread holds it. */
static int take(sqlite_store *s, const char *what)
{
	if (pthread_mutex_lock(&s->lock) == 0)
		return ROSTER_OK;
	return fail(s, ROSTER_ESTORAGE, what);
}

static int ss_begin(void *store)
{
	sqlite_store *s = store;

	if (take(s, "begin inside a transaction of this thread"))
		return ROSTER_ESTORAGE;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, 0, NULL);
		pthread_mutex_unlock(&s->lock);
		return ROSTER_ESTORAGE;
	}
	s->in_txn = 1;
	return ROSTER_OK;
}

static int end_txn(sqlite_store *s, int rc)
{
	s->in_txn = 0;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int ss_rollback(void *store)
{
	sqlite_store *s = store;
	int rc = ROSTER_OK;

	if (!s->in_txn)
		return ROSTER_OK;
	/* SQLite may already have rolled back on its own (after a full disk) */
	if (!sqlite3_get_autocommit(s->db) &&
	    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		rc = fail(s, ROSTER_ESTORAGE, NULL);
	return end_txn(s, rc);
}

static int ss_commit(void *store)
{
	sqlite_store *s = store;

	if (!s->in_txn)
		return fail(s, ROSTER_ESTORAGE, "commit outside a transaction");
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return end_txn(s, ROSTER_OK);
	fail(s, 0, NULL);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return end_txn(s, ROSTER_ESTORAGE);
}

/* The key's version in this transaction's view (0: absent), or -1. */
static int64_t current(sqlite_store *s, const char *key)
{
	sqlite3_stmt *st = s->st[GET];
	int64_t version = -1;
	int rc;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		version = 0;
	else
		fail(s, 0, NULL);
	done(st, 0);
	return version;
}

static int ss_put(void *store, const char *key, const void *value, size_t len,
		  uint64_t expected, uint64_t *version_out)
{
	sqlite_store *s = store;
	sqlite3_stmt *bump = s->st[BUMP], *put = s->st[PUT];
	int64_t cur, version;

	if (!s->in_txn)
		return fail(s, ROSTER_ESTORAGE, "put outside a transaction");
	if ((cur = current(s, key)) < 0)
		return ROSTER_ESTORAGE;
	if ((uint64_t)cur != expected)
		return fail(s, ROSTER_ECONFLICT, cur ? "version changed"
						     : "key absent");
	if (sqlite3_step(bump) != SQLITE_ROW)
		return done(bump, fail(s, ROSTER_ESTORAGE, NULL));
	version = sqlite3_column_int64(bump, 0);
	if (sqlite3_step(bump) != SQLITE_DONE) /* finish the UPDATE */
		return done(bump, fail(s, ROSTER_ESTORAGE, NULL));
	done(bump, 0);
	sqlite3_bind_text(put, 1, key, -1, SQLITE_STATIC);
	/* a NULL pointer would bind SQL NULL; "" binds an empty blob */
	sqlite3_bind_blob64(put, 2, len ? value : "", len, SQLITE_STATIC);
	sqlite3_bind_int64(put, 3, version);
	if (sqlite3_step(put) != SQLITE_DONE)
		return done(put, fail(s, ROSTER_ESTORAGE, NULL));
	*version_out = (uint64_t)version;
	return done(put, ROSTER_OK);
}

static int ss_remove(void *store, const char *key, uint64_t expected)
{
	sqlite_store *s = store;
	sqlite3_stmt *del = s->st[DEL];
	int64_t cur;

	if (!s->in_txn)
		return fail(s, ROSTER_ESTORAGE, "remove outside a transaction");
	if ((cur = current(s, key)) < 0)
		return ROSTER_ESTORAGE;
	if (!cur || (uint64_t)cur != expected)
		return fail(s, ROSTER_ECONFLICT, cur ? "version changed"
						     : "key absent");
	sqlite3_bind_text(del, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(del) != SQLITE_DONE)
		return done(del, fail(s, ROSTER_ESTORAGE, NULL));
	return done(del, ROSTER_OK);
}

static int ss_check(void *store, const char *key, uint64_t expected)
{
	sqlite_store *s = store;
	int64_t cur;

	if (!s->in_txn)
		return fail(s, ROSTER_ESTORAGE, "check outside a transaction");
	if ((cur = current(s, key)) < 0)
		return ROSTER_ESTORAGE;
	if ((uint64_t)cur != expected)
		return fail(s, ROSTER_ECONFLICT, "version changed");
	return ROSTER_OK;
}

static int ss_scan(void *store, const char *prefix, roster_storage_row_fn row,
		   void *row_data)
{
	sqlite_store *s = store;
	size_t n = strlen(prefix);
	char *above = NULL;
	sqlite3_stmt *st = s->st[SCAN];
	int rc = 0, step = SQLITE_DONE;

	/* the first string after every one that begins with the prefix:
	 * its last byte below 0xFF one higher, the bytes after it dropped */
	while (n && (unsigned char)prefix[n - 1] == 0xFF)
		n--;
	if (n && (above = malloc(n + 1))) {
		memcpy(above, prefix, n);
		above[n - 1] = (char)((unsigned char)above[n - 1] + 1);
		above[n] = '\0';
		st = s->st[SCAN_RANGE];
	}
	if (take(s, "scan inside a transaction of this thread")) {
		free(above);
		return ROSTER_ESTORAGE;
	}
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	if (above)
		sqlite3_bind_text(st, 2, above, -1, SQLITE_STATIC);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(st, 1); /* NULL when empty */
		rc = row((const char *)sqlite3_column_text(st, 0), v ? v : "",
			 (size_t)sqlite3_column_bytes(st, 1),
			 (uint64_t)sqlite3_column_int64(st, 2), row_data);
	}
	if (!rc && step != SQLITE_DONE)
		rc = fail(s, ROSTER_ESTORAGE, NULL);
	done(st, 0);
	pthread_mutex_unlock(&s->lock);
	free(above);
	return rc;
}

static const char *ss_errmsg(void *store)
{
	return ((sqlite_store *)store)->err;
}

static const roster_storage methods = {
	ROSTER_STORAGE_VERSION, ss_begin, ss_commit, ss_rollback, ss_put,
	ss_remove, ss_scan, ss_errmsg, NULL, ss_check
};

const roster_storage *sqlite_store_methods(void)
{
	return &methods;
}
