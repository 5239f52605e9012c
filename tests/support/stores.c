/* stores.c: the backends under test (stores.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "stores.h"
#ifdef ROSTER_HAVE_SQLITE_STORE
#include "sqlite_store.h"
#endif

static int mem_open(void **store, const char *path)
{
	roster_memstore *ms = NULL;
	int rc = roster_memstore_new(&ms);

	(void)path;
	*store = ms;
	return rc;
}

static void mem_close(void *store)
{
	roster_memstore_free(store);
}

static int file_open(void **store, const char *path)
{
	roster_filestore *fs = NULL;
	/* a killed process loses nothing without fsync; the crash suite
	 * runs with it */
	int rc = roster_filestore_open(path, ROSTER_FILESTORE_NOSYNC, &fs);

	*store = fs;
	return rc;
}

static void file_close(void *store)
{
	roster_filestore_free(store);
}

#ifdef ROSTER_HAVE_SQLITE_STORE
static int sql_open(void **store, const char *path)
{
	sqlite_store *s = NULL;
	int rc = sqlite_store_open(&s, path);

	*store = s;
	return rc;
}

static void sql_close(void *store)
{
	sqlite_store_close(store);
}
#endif

const backend store_backends[] = {
	{ "memory", 0, mem_open, roster_memstore_methods, mem_close },
	{ "file", 1, file_open, roster_filestore_methods, file_close },
#ifdef ROSTER_HAVE_SQLITE_STORE
	{ "sqlite", 1, sql_open, sqlite_store_methods, sql_close },
#endif
};

const size_t store_nbackends =
	sizeof(store_backends) / sizeof(store_backends[0]);

void *fx_open(fixture *fx)
{
	if (fx->n && !fx->be->file)
		return fx->handles[0];
	assert_true(fx->n < STORE_HANDLES_MAX);
	assert_int_equal(fx->be->open(&fx->handles[fx->n], fx->path), 0);
	return fx->handles[fx->n++];
}

fixture *fx_new_on(const backend *be, void **store)
{
	fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");
	int fd;

	assert_non_null(fx);
	fx->be = be;
	if (be->file) {
		snprintf(fx->path, sizeof(fx->path), "%s/roster-store-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		fd = mkstemp(fx->path);
		assert_true(fd >= 0);
		close(fd);
		/* an empty file is a new store to every file backend */
	}
	*store = fx_open(fx);
	return fx;
}

void fx_free(fixture *fx)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal",
					   ".lock", ".tmp" };
	char p[sizeof(fx->path) + 16];
	size_t i;

	while (fx->n)
		fx->be->close(fx->handles[--fx->n]);
	for (i = 0; *fx->path && i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", fx->path, ext[i]);
		unlink(p);
	}
	free(fx);
}

roster_directory_options on_store(const roster_storage *st, void *store)
{
	roster_directory_options o;

	assert_int_equal(roster_directory_options_init(
				 &o, ROSTER_DIRECTORY_OPTIONS_VERSION), 0);
	o.storage = st;
	o.store = store;
	return o;
}

int store_run_per_backend(const char *group, const struct CMUnitTest *tests,
			  size_t n)
{
	struct CMUnitTest *all = calloc(n * store_nbackends, sizeof(*all));
	char *names = calloc(n * store_nbackends, 96);
	size_t b, i, k = 0;
	int rc;

	assert_non_null(all);
	assert_non_null(names);
	for (b = 0; b < store_nbackends; b++)
		for (i = 0; i < n; i++, k++) {
			all[k] = tests[i];
			snprintf(names + 96 * k, 96, "%s: %s",
				 store_backends[b].name, tests[i].name);
			all[k].name = names + 96 * k;
			all[k].initial_state = (void *)&store_backends[b];
		}
	rc = _cmocka_run_group_tests(group, all, k, NULL, NULL);
	free(all);
	free(names);
	return rc;
}
