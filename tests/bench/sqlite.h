/*
 * sqlite.h: the SQLite side of the benchmark (sqlite.c).
 *
 * The same users in an in-memory SQLite database: a table users (id,
 * account, first, last, email, admin) and an FTS5 index over the names
 * and the e-mail (tokenize 'unicode61 remove_diacritics 2', prefix
 * '1 2 3 4', external content), loaded in one transaction through
 * prepared statements, then optimized. The queries are those roster runs:
 * every word starting with a prefix, first results ordered by last name,
 * first name, id (or unordered), in the whole table or in one account,
 * optionally admins only, and the count of all matches.
 *
 * Every function prints what failed, with SQLite's message, on stderr
 * and returns -1; 0 on success.
 */
#ifndef BENCH_SQLITE_H
#define BENCH_SQLITE_H

#include <stddef.h>

/** One generated user, as both engines get it. */
typedef struct bench_user {
	const char *first;
	const char *last;
	const char *email;
	/** Index of the account, 0 to accounts - 1 (0 is the big one). */
	size_t account;
	int admin;
} bench_user;

/** Fills *out with user i (0-based); the strings stay valid until the
 * next call. */
typedef void (*bench_user_fn)(void *data, size_t i, bench_user *out);

typedef struct bench_sqlite bench_sqlite;

/** A new in-memory database with the schema and the statements. */
int bench_sqlite_open(bench_sqlite **out);
void bench_sqlite_close(bench_sqlite *db);

/**
 * Insert users 0 to n - 1 (id i + 1) into the table and the index in one
 * transaction; *insert_s gets the seconds of that, *optimize_s those of
 * the FTS5 'optimize' that follows.
 */
int bench_sqlite_load(bench_sqlite *db, size_t n, bench_user_fn user,
		      void *data, double *insert_s, double *optimize_s);

/** Search options. */
#define BENCH_SQLITE_ORDERED 1u	/* ORDER BY last, first, id */
#define BENCH_SQLITE_ADMINS 2u	/* admins only */

/**
 * The first `limit` users having a word that starts with `prefix`, in the
 * account of index `account` (or every account when `account` < 0);
 * *rows gets the number of rows returned.
 */
int bench_sqlite_search(bench_sqlite *db, const char *prefix, long account,
			unsigned int flags, size_t limit, size_t *rows);

/** The number of users having a word that starts with `prefix`. */
int bench_sqlite_count(bench_sqlite *db, const char *prefix, size_t *out);

/** sqlite3_memory_used(): bytes SQLite holds now. */
long long bench_sqlite_memory(void);

/** The SQLite version string. */
const char *bench_sqlite_version(void);

#endif
