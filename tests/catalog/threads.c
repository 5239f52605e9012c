/*
 * threads.c (suite "threads", run under ThreadSanitizer by scripts/test):
 * catalogs loaded, linted and read from four threads at once, one of
 * them shared by all and released from whichever thread drops the last
 * reference; errors of failed loads kept apart per thread.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "roster.h"
#include "paths.h"

#define THREADS 4
#define ROUNDS 25

typedef struct job {
	int n;
	roster_catalog *shared; /* a reference of this thread's own */
	const char *custom;	/* a catalog file */
	char *text;		/* the default catalog, as bytes */
	size_t len;
	int failures;
	char why[160];
} job;

static void bad(job *j, const char *what)
{
	if (!j->failures++)
		snprintf(j->why, sizeof(j->why), "thread %d: %s", j->n, what);
}

/* Read everything of a catalog; the answers of the default one are
 * known. */
static void read_all(job *j, const roster_catalog *cat)
{
	size_t n = roster_catalog_count(cat, ROSTER_ITEM_LICENCE), a, b;
	size_t allowed = 0;
	int kind, lang;

	for (a = 0; a < n; a++)
		for (b = 0; b < n; b++) {
			int r = roster_catalog_change_allowed(
				cat, roster_catalog_item(cat, ROSTER_ITEM_LICENCE, a),
				roster_catalog_item(cat, ROSTER_ITEM_LICENCE, b));
			if (r < 0)
				bad(j, "change_allowed failed");
			allowed += (size_t)(r == 1);
		}
	if (allowed != 35)
		bad(j, "not 35 changes allowed");
	for (kind = ROSTER_ITEM_SERVICE; kind <= ROSTER_ITEM_LANGUAGE; kind++)
		for (a = 0; a < roster_catalog_count(cat, kind); a++)
			for (lang = 0; lang < ROSTER_LANG_COUNT; lang++)
				if (!roster_catalog_name(
					    cat, kind,
					    roster_catalog_item(cat, kind, a),
					    (roster_language)lang, "enterprise"))
					bad(j, "a name is missing");
	if (strcmp(roster_catalog_name(cat, ROSTER_ITEM_LICENCE,
				       "callcentrum-enterprise",
				       ROSTER_LANG_EN, "enterprise"),
		   "Callcentrum") != 0)
		bad(j, "enterprise name");
	if (roster_catalog_licence_needs(cat, "omnichannel-start",
					 "helpdesk") != 1)
		bad(j, "licence_needs");
}

static void *run(void *arg)
{
	job *j = arg;
	int round;
	char name[32];

	snprintf(name, sizeof(name), "thread-%d.xml", j->n);
	for (round = 0; round < ROUNDS && !j->failures; round++) {
		roster_catalog *cat = NULL, *mine = NULL;
		roster_lint *lint = NULL;

		/* a load of its own, from memory and from a file */
		if (roster_catalog_load_buffer(&cat, j->text, j->len, name) !=
		    ROSTER_OK)
			bad(j, "load_buffer");
		else
			read_all(j, cat);
		roster_catalog_free(cat);
		if (roster_catalog_load_file(&mine, j->custom) != ROSTER_OK ||
		    roster_catalog_change_allowed(mine, "phone-any",
						  "phone-std") != 1)
			bad(j, "load_file");
		/* the shared one */
		read_all(j, j->shared);
		if (roster_catalog_lint(&lint, j->shared) != ROSTER_OK ||
		    roster_lint_count(lint) != 0)
			bad(j, "lint of the default catalog");
		roster_lint_free(lint);
		/* a refusal: this thread's error, naming this thread's file */
		if (roster_catalog_load_buffer(&cat, "<catalog", 8, name) !=
			    ROSTER_EPARSE ||
		    strncmp(roster_error_value(roster_error_last()), name,
			    strlen(name)) != 0)
			bad(j, "refusal");
		roster_catalog_free(mine);
		roster_catalog_free(cat);
	}
	/* the last thread to get here frees the shared catalog */
	roster_catalog_free(j->shared);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];
	job jobs[THREADS];
	char custom[4096], path[4096];
	roster_catalog *shared = NULL;
	char *text;
	size_t len = 0;
	int i;

	(void)state;
	source_path(path, sizeof(path), "data/catalog.xml");
	source_path(custom, sizeof(custom), "tests/catalog/good/custom.xml");
	text = slurp(path, &len);
	assert_non_null(text);
	assert_int_equal(roster_catalog_load_default(&shared), ROSTER_OK);
	for (i = 0; i < THREADS; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].n = i;
		jobs[i].shared = roster_catalog_ref(shared);
		jobs[i].custom = custom;
		jobs[i].text = text;
		jobs[i].len = len;
	}
	/* the threads hold the only references left */
	roster_catalog_free(shared);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, run, &jobs[i]), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < THREADS; i++)
		if (jobs[i].failures)
			fail_msg("%s (%d failures)", jobs[i].why,
				 jobs[i].failures);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
