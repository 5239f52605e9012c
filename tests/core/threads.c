/*
 * threads.c: distinct directory handles used from distinct threads at the
 * same time, with no locking, and the per-thread error of handle-less
 * calls. Run under ThreadSanitizer by scripts/test (suite "threads").
 *
 * cmocka's assertions are only used in the main thread: the workers
 * record what they saw and the main thread checks it after joining them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "roster.h"

#define THREADS 4
#define USERS 300

typedef struct job {
	int index;
	pthread_barrier_t *barrier;

	/* The first failure, if any: a description and the code. */
	char failed[160];
	int rc;

	/* The thread-local error before and after the deliberate failure. */
	int err_before, err_own, err_own_rule_ok, err_after_work;
	/* Work done. */
	size_t created, updated, logins, deleted, remaining;
	size_t ev_created, ev_deleted;
	roster_id admin_id;
	/* A snapshot handed from the worker to the main thread. */
	roster_user *admin;
} job;

/* The code this thread's deliberate handle-less failure must leave. */
static int expected_code(int index)
{
	return index % 2 ? ROSTER_EVERSION : ROSTER_EINVAL;
}

static void on_event(const roster_event *e, void *data)
{
	job *j = data;

	switch (roster_event_type_of(e)) {
	case ROSTER_EVENT_USER_CREATED:
		j->ev_created++;
		break;
	case ROSTER_EVENT_USER_DELETED:
		j->ev_deleted++;
		break;
	default:
		break;
	}
}

#define STEP(expr, ...)                                                        \
	do {                                                                   \
		int rc_ = (expr);                                              \
		if (rc_ != ROSTER_OK) {                                        \
			j->rc = rc_;                                           \
			snprintf(j->failed, sizeof(j->failed), __VA_ARGS__);   \
			goto out;                                              \
		}                                                              \
	} while (0)

static int make_form(roster_form **f, roster_directory *dir, const char *first,
		     const char *last, const char *email, const char *password)
{
	int rc = roster_form_new(f, dir);

	if (!rc)
		rc = roster_form_set_str(*f, ROSTER_FIELD_FIRST_NAME, first);
	if (!rc)
		rc = roster_form_set_str(*f, ROSTER_FIELD_LAST_NAME, last);
	if (!rc)
		rc = roster_form_set_str(*f, ROSTER_FIELD_EMAIL, email);
	if (!rc && password)
		rc = roster_form_set_str(*f, ROSTER_FIELD_PASSWORD, password);
	return rc;
}

static void *worker(void *arg)
{
	job *j = arg;
	roster_directory_options opts;
	roster_password_policy pol;
	roster_directory *dir = NULL;
	roster_form *f = NULL;
	roster_page *page = NULL;
	roster_actor system, as_partner, as_admin;
	roster_id partner, account, ids[USERS], who;
	char email[64], password[64], name[32];
	size_t i;

	/* A fresh thread has no error yet, whatever other threads did. */
	j->err_before = roster_error_code(roster_error_last());
	if (j->index % 2)
		roster_directory_options_init(&opts, 0);
	else
		roster_directory_options_init(NULL, 1);
	/* Every thread has failed before any reads its own error back. */
	pthread_barrier_wait(j->barrier);
	j->err_own = roster_error_code(roster_error_last());
	j->err_own_rule_ok =
		strcmp(roster_error_rule(roster_error_last()),
		       j->index % 2 ? "arg.version" : "arg.null") == 0;

	STEP(roster_directory_options_init(&opts,
					   ROSTER_DIRECTORY_OPTIONS_VERSION),
	     "options_init");
	opts.event_cb = on_event;
	opts.event_data = j;
	STEP(roster_directory_open(&dir, &opts), "directory_open");
	STEP(roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION),
	     "policy_init");
	pol.hash_cost = 1;
	pol.min_length = 8;
	STEP(roster_directory_set_password_policy(dir, &pol), "set_policy");

	STEP(roster_actor_init(&system, ROSTER_ACTOR_SYSTEM, 0), "actor");
	snprintf(name, sizeof(name), "Partner %d", j->index);
	STEP(roster_partner_create(&partner, dir, &system, name), "partner");
	STEP(roster_actor_init(&as_partner, ROSTER_ACTOR_PARTNER, partner),
	     "actor");
	STEP(roster_account_create(&account, dir, &as_partner, partner, "Acme"),
	     "account");
	snprintf(email, sizeof(email), "admin@t%d.example", j->index);
	STEP(make_form(&f, dir, "Ada", "Admin", email, "admin-secret-1"),
	     "admin form");
	STEP(roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1), "admin flag");
	STEP(roster_user_create(&j->admin_id, dir, &as_partner, account, f),
	     "admin create");
	roster_form_free(f);
	f = NULL;
	STEP(roster_actor_init(&as_admin, ROSTER_ACTOR_USER, j->admin_id),
	     "actor");

	for (i = 0; i < USERS; i++) {
		snprintf(email, sizeof(email), "u%zu@t%d.example", i, j->index);
		snprintf(password, sizeof(password), "first-%d-%zu", j->index, i);
		STEP(make_form(&f, dir, "User", "Number", email, password),
		     "form %zu", i);
		STEP(roster_user_create(&ids[i], dir, &as_admin, account, f),
		     "create %zu", i);
		roster_form_free(f);
		f = NULL;
		j->created++;
	}
	for (i = 0; i < USERS; i++) {
		snprintf(password, sizeof(password), "second-%d-%zu", j->index, i);
		snprintf(name, sizeof(name), "Renamed %zu", i);
		STEP(roster_form_new(&f, dir), "form_new %zu", i);
		STEP(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, name),
		     "set last %zu", i);
		STEP(roster_form_set_str(f, ROSTER_FIELD_PASSWORD, password),
		     "set password %zu", i);
		STEP(roster_user_update(dir, &as_admin, ids[i], f),
		     "update %zu", i);
		roster_form_free(f);
		f = NULL;
		j->updated++;
		if (i % 10 == 0) {
			snprintf(email, sizeof(email), "u%zu@t%d.example", i,
				 j->index);
			STEP(roster_login(&who, dir, email, password),
			     "login %zu", i);
			if (who != ids[i]) {
				snprintf(j->failed, sizeof(j->failed),
					 "login %zu gave another user", i);
				goto out;
			}
			j->logins++;
		}
	}
	for (i = 0; i < USERS; i++) {
		STEP(roster_user_delete(dir, &as_admin, ids[i]), "delete %zu", i);
		j->deleted++;
	}
	STEP(roster_list(&page, dir, account, ROSTER_KIND_USER, NULL, 100),
	     "list");
	j->remaining = roster_page_total(page);
	STEP(roster_user_get(&j->admin, dir, j->admin_id), "user_get");

out:
	roster_page_free(page);
	roster_form_free(f);
	roster_directory_free(dir);
	/* Calls on the directory never touched the thread's own error. */
	j->err_after_work = roster_error_code(roster_error_last());
	return NULL;
}

static void directories_in_parallel(void **state)
{
	pthread_t tid[THREADS];
	pthread_barrier_t barrier;
	job jobs[THREADS];
	roster_directory_options o;
	char email[64];
	int i;

	(void)state;
	/* The main thread's own error, left in place by the workers. */
	assert_int_equal(roster_directory_options_init(&o, 99), ROSTER_EVERSION);

	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < THREADS; i++) {
		jobs[i].index = i;
		jobs[i].barrier = &barrier;
		assert_int_equal(pthread_create(&tid[i], NULL, worker, &jobs[i]),
				 0);
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);
	pthread_barrier_destroy(&barrier);

	assert_int_equal(roster_error_code(roster_error_last()), ROSTER_EVERSION);
	assert_string_equal(roster_error_value(roster_error_last()), "99");

	for (i = 0; i < THREADS; i++) {
		job *j = &jobs[i];

		if (j->failed[0])
			print_error("thread %d: %s failed with %d (%s)\n", i,
				    j->failed, j->rc, roster_strerror(j->rc));
		assert_string_equal(j->failed, "");
		assert_int_equal(j->err_before, ROSTER_OK);
		assert_int_equal(j->err_own, expected_code(i));
		assert_true(j->err_own_rule_ok);
		assert_int_equal(j->err_after_work, expected_code(i));
		assert_int_equal(j->created, USERS);
		assert_int_equal(j->updated, USERS);
		assert_int_equal(j->logins, (USERS + 9) / 10);
		assert_int_equal(j->deleted, USERS);
		assert_int_equal(j->remaining, 1);
		assert_int_equal(j->ev_created, USERS + 1);
		assert_int_equal(j->ev_deleted, USERS);
		/* The snapshot outlives its directory and changed threads. */
		assert_non_null(j->admin);
		assert_int_equal(roster_user_id(j->admin), j->admin_id);
		snprintf(email, sizeof(email), "admin@t%d.example", i);
		assert_string_equal(roster_user_str(j->admin, ROSTER_FIELD_EMAIL),
				    email);
		assert_true(roster_user_has_password(j->admin));
		roster_user_free(j->admin);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(directories_in_parallel),
	};

	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
