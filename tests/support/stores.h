/*
 * stores.h: the storage backends the suites run against, and a fixture
 * for "one store, several handles on it".
 *
 * The memory store is one handle shared by every directory; the file
 * store and (when SQLite is available) the example SQLite store are
 * files, a fresh one per fixture, and each directory after the first
 * gets its own handle on the same file, as separate processes would.
 */
#ifndef ROSTER_TEST_STORES_H
#define ROSTER_TEST_STORES_H

#include "roster.h"

typedef struct backend {
	const char *name;
	int file; /* a handle per directory, on one file; else one shared */
	int (*open)(void **store, const char *path);
	const roster_storage *(*methods)(void);
	void (*close)(void *store);
} backend;

/* Every backend this build has, and their number. */
extern const backend store_backends[];
extern const size_t store_nbackends;

#define STORE_HANDLES_MAX 8

typedef struct fixture {
	const backend *be;
	char path[512];
	void *handles[STORE_HANDLES_MAX];
	size_t n;
} fixture;

/* A new empty store of backend `be`; *store gets its first handle. */
fixture *fx_new_on(const backend *be, void **store);
/* A handle on the fixture's store: the shared one, or a new one on the
 * same file. */
void *fx_open(fixture *fx);
/* Close every handle and remove the files. */
void fx_free(fixture *fx);

#define ST(fx) ((fx)->be->methods())

/* Options for a directory on `store` through `st` (current version). */
roster_directory_options on_store(const roster_storage *st, void *store);

/*
 * Run the group `tests` once per backend, each test named
 * "backend: name" and given the backend as its state (*state). Returns
 * what cmocka's group runner returns.
 */
struct CMUnitTest;
int store_run_per_backend(const char *group, const struct CMUnitTest *tests,
			  size_t n);

#endif
