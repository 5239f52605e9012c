/*
 * sqlite.c: the SQLite side of the benchmark (sqlite.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "sqlite.h"

#define NO_ACCOUNT 0
#define ONE_ACCOUNT 1

struct bench_sqlite {
	sqlite3 *db;
	sqlite3_stmt *ins_user, *ins_fts, *count;
	/* [in one account][ordered][admins only] */
	sqlite3_stmt *search[2][2][2];
};

static const char schema[] =
	"CREATE TABLE users(id INTEGER PRIMARY KEY,"
	" account INTEGER NOT NULL, first TEXT NOT NULL,"
	" last TEXT NOT NULL, email TEXT NOT NULL, admin INTEGER NOT NULL);"
	"CREATE VIRTUAL TABLE fts USING fts5(first, last, email,"
	" content = 'users', content_rowid = 'id',"
	" tokenize = 'unicode61 remove_diacritics 2',"
	" prefix = '1 2 3 4');";

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const bench_sqlite *s, const char *what)
{
	fprintf(stderr, "roster-bench: sqlite: %s: %s\n", what,
		s->db ? sqlite3_errmsg(s->db) : "out of memory");
	return -1;
}

static int exec(bench_sqlite *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "roster-bench: sqlite: %s: %s\n", sql,
			msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int prepare(bench_sqlite *s, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK) {
		fprintf(stderr, "roster-bench: sqlite: prepare %s: %s\n", sql,
			sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

/* The statement of a search: the FTS5 index alone when nothing of the
 * users table is needed, else joined to it. */
static int prepare_search(bench_sqlite *s, int account, int ordered,
			  int admins)
{
	char sql[512];

	if (!account && !ordered && !admins)
		snprintf(sql, sizeof(sql),
			 "SELECT rowid FROM fts WHERE fts MATCH ?1 LIMIT ?3");
	else
		snprintf(sql, sizeof(sql),
			 "SELECT u.id FROM fts JOIN users u ON u.id = fts.rowid"
			 " WHERE fts MATCH ?1%s%s%s LIMIT ?3",
			 account ? " AND u.account = ?2" : "",
			 admins ? " AND u.admin = 1" : "",
			 ordered ? " ORDER BY u.last, u.first, u.id" : "");
	return prepare(s, sql, &s->search[account][ordered][admins]);
}

int bench_sqlite_open(bench_sqlite **out)
{
	bench_sqlite *s = calloc(1, sizeof(*s));
	int a, o, f;

	*out = NULL;
	if (!s) {
		fprintf(stderr, "roster-bench: sqlite: out of memory\n");
		return -1;
	}
	if (sqlite3_open_v2(":memory:", &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		fail(s, "open :memory:");
		bench_sqlite_close(s);
		return -1;
	}
	if (exec(s, schema) ||
	    prepare(s, "INSERT INTO users(id, account, first, last, email,"
		       " admin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		    &s->ins_user) ||
	    prepare(s, "INSERT INTO fts(rowid, first, last, email)"
		       " VALUES (?1, ?2, ?3, ?4)",
		    &s->ins_fts) ||
	    prepare(s, "SELECT count(*) FROM fts WHERE fts MATCH ?1",
		    &s->count)) {
		bench_sqlite_close(s);
		return -1;
	}
	for (a = 0; a < 2; a++)
		for (o = 0; o < 2; o++)
			for (f = 0; f < 2; f++)
				if (prepare_search(s, a, o, f)) {
					bench_sqlite_close(s);
					return -1;
				}
	*out = s;
	return 0;
}

void bench_sqlite_close(bench_sqlite *s)
{
	int a, o, f;

	if (!s)
		return;
	sqlite3_finalize(s->ins_user);
	sqlite3_finalize(s->ins_fts);
	sqlite3_finalize(s->count);
	for (a = 0; a < 2; a++)
		for (o = 0; o < 2; o++)
			for (f = 0; f < 2; f++)
				sqlite3_finalize(s->search[a][o][f]);
	if (sqlite3_close(s->db) != SQLITE_OK)
		fail(s, "close");
	free(s);
}

/* Run an INSERT to its end and make it ready for the next row. */
static int step_done(bench_sqlite *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(s, what);
	return 0;
}

int bench_sqlite_load(bench_sqlite *s, size_t n, bench_user_fn user,
		      void *data, double *insert_s, double *optimize_s)
{
	double t0 = now();
	size_t i;

	if (exec(s, "BEGIN"))
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_int64 id = (sqlite3_int64)i + 1;
		bench_user u;

		user(data, i, &u);
		if (sqlite3_bind_int64(s->ins_user, 1, id) ||
		    sqlite3_bind_int64(s->ins_user, 2,
				       (sqlite3_int64)u.account) ||
		    sqlite3_bind_text(s->ins_user, 3, u.first, -1,
				      SQLITE_STATIC) ||
		    sqlite3_bind_text(s->ins_user, 4, u.last, -1,
				      SQLITE_STATIC) ||
		    sqlite3_bind_text(s->ins_user, 5, u.email, -1,
				      SQLITE_STATIC) ||
		    sqlite3_bind_int(s->ins_user, 6, u.admin != 0))
			return fail(s, "bind users row");
		if (step_done(s, s->ins_user, "insert into users"))
			return -1;
		if (sqlite3_bind_int64(s->ins_fts, 1, id) ||
		    sqlite3_bind_text(s->ins_fts, 2, u.first, -1,
				      SQLITE_STATIC) ||
		    sqlite3_bind_text(s->ins_fts, 3, u.last, -1,
				      SQLITE_STATIC) ||
		    sqlite3_bind_text(s->ins_fts, 4, u.email, -1,
				      SQLITE_STATIC))
			return fail(s, "bind fts row");
		if (step_done(s, s->ins_fts, "insert into fts"))
			return -1;
	}
	if (exec(s, "COMMIT"))
		return -1;
	*insert_s = now() - t0;
	t0 = now();
	if (exec(s, "INSERT INTO fts(fts) VALUES('optimize')"))
		return -1;
	*optimize_s = now() - t0;
	return 0;
}

/* The FTS5 expression of a prefix: the prefix as a string, then '*'. */
static int match_text(char *out, size_t size, const char *prefix)
{
	size_t o = 0;

	out[o++] = '"';
	for (; *prefix; prefix++) {
		if (o + 5 > size)
			return -1;
		if (*prefix == '"')
			out[o++] = '"';
		out[o++] = *prefix;
	}
	out[o++] = '"';
	out[o++] = '*';
	out[o] = '\0';
	return 0;
}

int bench_sqlite_search(bench_sqlite *s, const char *prefix, long account,
			unsigned int flags, size_t limit, size_t *rows)
{
	sqlite3_stmt *st = s->search[account >= 0 ? ONE_ACCOUNT : NO_ACCOUNT]
				    [(flags & BENCH_SQLITE_ORDERED) != 0]
				    [(flags & BENCH_SQLITE_ADMINS) != 0];
	char match[128];
	size_t n = 0;
	int rc;

	if (match_text(match, sizeof(match), prefix)) {
		fprintf(stderr, "roster-bench: sqlite: prefix too long\n");
		return -1;
	}
	if (sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC) ||
	    (account >= 0 &&
	     sqlite3_bind_int64(st, 2, (sqlite3_int64)account)) ||
	    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit))
		return fail(s, "bind search");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(void)sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(s, "search");
	*rows = n;
	return 0;
}

int bench_sqlite_count(bench_sqlite *s, const char *prefix, size_t *out)
{
	char match[128];
	sqlite3_int64 n;
	int rc;

	if (match_text(match, sizeof(match), prefix)) {
		fprintf(stderr, "roster-bench: sqlite: prefix too long\n");
		return -1;
	}
	if (sqlite3_bind_text(s->count, 1, match, -1, SQLITE_STATIC))
		return fail(s, "bind count");
	rc = sqlite3_step(s->count);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s->count);
		return fail(s, "count");
	}
	n = sqlite3_column_int64(s->count, 0);
	rc = sqlite3_step(s->count);
	sqlite3_reset(s->count);
	if (rc != SQLITE_DONE || n < 0)
		return fail(s, "count");
	*out = (size_t)n;
	return 0;
}

long long bench_sqlite_memory(void)
{
	return (long long)sqlite3_memory_used();
}

const char *bench_sqlite_version(void)
{
	return sqlite3_libversion();
}
