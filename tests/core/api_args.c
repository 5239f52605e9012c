/*
 * api_args.c: every public function, called with bad arguments, in the
 * manner of libxml2's testapi.
 *
 * Each function declared ROSTER_API in include/roster/ is called at least
 * once with NULL for each of its pointer arguments and with values out of
 * range: unknown kinds, fields and languages, the id 0 and ids that name
 * nothing or a record of another kind, page limits 0 and past
 * ROSTER_PAGE_MAX, malformed cursors and tokens, unknown struct versions,
 * strings of 100000 bytes, invalid UTF-8 ("\xC3\x28", "\xFF") and control
 * characters. The checks: the precise error code, the rule and the field
 * the error names, the out-parameters emptied, the directory unchanged,
 * and the neutral value each getter documents for NULL. A call made from
 * inside the event callback on the same directory fails with
 * ROSTER_EMISUSE and the rule "reentrant".
 *
 * Calls go through C(fn), which counts them against the table `api`
 * below; the last tests check that every function of the table was
 * called and that the table lists exactly the ROSTER_API functions of the
 * headers.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "snapshot.h"

/* ------------------------------------------------------------------ */
/* The functions of the API                                            */

typedef struct api_fn {
	const char *name;
	unsigned calls;
} api_fn;

/* Keep in sync with include/roster/ (test_table_matches_headers). */
static api_fn api[] = {
	/* common.h */
	{ "roster_version", 0 },
	{ "roster_version_string", 0 },
	{ "roster_strerror", 0 },
	{ "roster_language_parse", 0 },
	/* error.h */
	{ "roster_error_last", 0 },
	{ "roster_error_code", 0 },
	{ "roster_error_message", 0 },
	{ "roster_error_message_in", 0 },
	{ "roster_error_field", 0 },
	{ "roster_error_rule", 0 },
	{ "roster_error_value", 0 },
	/* event.h */
	{ "roster_event_type_of", 0 },
	{ "roster_event_type_name", 0 },
	{ "roster_event_seq", 0 },
	{ "roster_event_partner", 0 },
	{ "roster_event_account", 0 },
	{ "roster_event_user", 0 },
	{ "roster_event_pbx", 0 },
	{ "roster_event_email", 0 },
	{ "roster_event_secret", 0 },
	{ "roster_event_password", 0 },
	{ "roster_event_admin", 0 },
	{ "roster_event_replayed", 0 },
	{ "roster_event_withheld", 0 },
	/* directory.h */
	{ "roster_directory_options_init", 0 },
	{ "roster_directory_open", 0 },
	{ "roster_directory_free", 0 },
	{ "roster_directory_error", 0 },
	{ "roster_directory_set_language", 0 },
	{ "roster_directory_refresh", 0 },
	{ "roster_outbox_replay", 0 },
	{ "roster_outbox_ack", 0 },
	/* sys/storage.h */
	{ "roster_memstore_new", 0 },
	{ "roster_memstore_free", 0 },
	{ "roster_memstore_methods", 0 },
	{ "roster_filestore_open", 0 },
	{ "roster_filestore_free", 0 },
	{ "roster_filestore_methods", 0 },
	/* transaction.h */
	{ "roster_transaction_begin", 0 },
	{ "roster_transaction_commit", 0 },
	{ "roster_transaction_rollback", 0 },
	{ "roster_transaction_active", 0 },
	/* actor.h */
	{ "roster_actor_init", 0 },
	/* page.h */
	{ "roster_page_count", 0 },
	{ "roster_page_id", 0 },
	{ "roster_page_next", 0 },
	{ "roster_page_total", 0 },
	{ "roster_page_free", 0 },
	/* account.h */
	{ "roster_partner_create", 0 },
	{ "roster_account_create", 0 },
	{ "roster_account_set_helpdesk", 0 },
	{ "roster_site_create", 0 },
	{ "roster_pbx_create", 0 },
	{ "roster_group_create", 0 },
	{ "roster_record_rename", 0 },
	{ "roster_record_delete", 0 },
	{ "roster_record_find", 0 },
	{ "roster_record_get", 0 },
	{ "roster_record_free", 0 },
	{ "roster_record_id", 0 },
	{ "roster_record_kind", 0 },
	{ "roster_record_parent", 0 },
	{ "roster_record_name", 0 },
	{ "roster_record_helpdesk", 0 },
	{ "roster_record_min_digits", 0 },
	{ "roster_record_max_digits", 0 },
	{ "roster_record_members", 0 },
	{ "roster_record_admins", 0 },
	{ "roster_list", 0 },
	/* user.h */
	{ "roster_field_name", 0 },
	{ "roster_field_from_name", 0 },
	{ "roster_field_type", 0 },
	{ "roster_field_label", 0 },
	{ "roster_phone_language", 0 },
	{ "roster_form_new", 0 },
	{ "roster_form_free", 0 },
	{ "roster_form_clear", 0 },
	{ "roster_form_set_str", 0 },
	{ "roster_form_set_bool", 0 },
	{ "roster_form_set_ref", 0 },
	{ "roster_form_set_lines", 0 },
	{ "roster_form_generate_password", 0 },
	{ "roster_form_set_numbers_country", 0 },
	{ "roster_form_expect_version", 0 },
	{ "roster_form_has", 0 },
	{ "roster_form_confirm", 0 },
	{ "roster_user_create", 0 },
	{ "roster_user_update", 0 },
	{ "roster_user_delete", 0 },
	{ "roster_user_field_access", 0 },
	{ "roster_user_get", 0 },
	{ "roster_user_find_login", 0 },
	{ "roster_user_free", 0 },
	{ "roster_user_id", 0 },
	{ "roster_user_account", 0 },
	{ "roster_user_str", 0 },
	{ "roster_user_bool", 0 },
	{ "roster_user_ref", 0 },
	{ "roster_user_line_count", 0 },
	{ "roster_user_line", 0 },
	{ "roster_user_has_password", 0 },
	{ "roster_user_version", 0 },
	/* password.h */
	{ "roster_password_policy_init", 0 },
	{ "roster_directory_set_password_policy", 0 },
	{ "roster_directory_get_password_policy", 0 },
	{ "roster_password_check", 0 },
	{ "roster_password_generate", 0 },
	{ "roster_login", 0 },
	{ "roster_password_reset", 0 },
	{ "roster_welcome_send", 0 },
	{ "roster_token_redeem", 0 },
	/* licence.h */
	{ "roster_directory_set_catalog", 0 },
	{ "roster_directory_catalog", 0 },
	{ "roster_account_set_licences", 0 },
	{ "roster_record_edition", 0 },
	{ "roster_record_licence_count", 0 },
	{ "roster_record_licence", 0 },
	{ "roster_user_choices", 0 },
	{ "roster_choices_free", 0 },
	{ "roster_choices_count", 0 },
	{ "roster_choices_kind", 0 },
	{ "roster_choices_item", 0 },
	{ "roster_choices_name", 0 },
	{ "roster_choices_current", 0 },
	{ "roster_choices_allowed", 0 },
	{ "roster_choices_reason_count", 0 },
	{ "roster_choices_reason", 0 },
	{ "roster_choices_reason_param", 0 },
	{ "roster_choices_reason_message", 0 },
	/* station.h */
	{ "roster_station_order", 0 },
	{ "roster_station_disconnect", 0 },
	{ "roster_station_counts", 0 },
	/* product.h */
	{ "roster_product_purchase", 0 },
	{ "roster_product_release", 0 },
	{ "roster_product_assign", 0 },
	{ "roster_product_unassign", 0 },
	{ "roster_product_counts", 0 },
	{ "roster_user_product_count", 0 },
	{ "roster_user_product", 0 },
	/* billing.h */
	{ "roster_billing_summary", 0 },
	{ "roster_billing_free", 0 },
	{ "roster_billing_users", 0 },
	{ "roster_billing_excluded", 0 },
	{ "roster_billing_count", 0 },
	{ "roster_billing_kind", 0 },
	{ "roster_billing_item", 0 },
	{ "roster_billing_quantity", 0 },
	/* search.h */
	{ "roster_query_new", 0 },
	{ "roster_query_free", 0 },
	{ "roster_query_set_text", 0 },
	{ "roster_query_filter", 0 },
	{ "roster_query_item", 0 },
	{ "roster_query_ref", 0 },
	{ "roster_query_clear", 0 },
	{ "roster_search", 0 },
	{ "roster_search_count", 0 },
	/* preview.h */
	{ "roster_transaction_preview", 0 },
	{ "roster_preview_free", 0 },
	{ "roster_preview_event_count", 0 },
	{ "roster_preview_event", 0 },
	{ "roster_preview_delta_count", 0 },
	{ "roster_preview_delta", 0 },
	{ "roster_preview_billing_count", 0 },
	{ "roster_preview_billing_user", 0 },
	{ "roster_preview_billing_what", 0 },
	/* catalog.h */
	{ "roster_catalog_load_file", 0 },
	{ "roster_catalog_load_buffer", 0 },
	{ "roster_catalog_load_default", 0 },
	{ "roster_catalog_free", 0 },
	{ "roster_catalog_ref", 0 },
	{ "roster_catalog_schema", 0 },
	{ "roster_catalog_default_xml", 0 },
	{ "roster_catalog_count", 0 },
	{ "roster_catalog_item", 0 },
	{ "roster_catalog_has", 0 },
	{ "roster_catalog_name", 0 },
	{ "roster_catalog_licence_family", 0 },
	{ "roster_catalog_licence_tier", 0 },
	{ "roster_catalog_licence_needs", 0 },
	{ "roster_catalog_change_allowed", 0 },
	{ "roster_catalog_edition_offers", 0 },
	{ "roster_catalog_edition_orders", 0 },
	{ "roster_catalog_pack_includes", 0 },
	{ "roster_catalog_password_policy", 0 },
	{ "roster_catalog_lint", 0 },
	{ "roster_catalog_lint_file", 0 },
	{ "roster_lint_free", 0 },
	{ "roster_lint_count", 0 },
	{ "roster_lint_code_of", 0 },
	{ "roster_lint_item", 0 },
	{ "roster_lint_line", 0 },
	{ "roster_lint_message", 0 },
	/* bulk.h */
	{ "roster_import_options_init", 0 },
	{ "roster_import", 0 },
	{ "roster_import_file", 0 },
	{ "roster_import_report_free", 0 },
	{ "roster_import_rows", 0 },
	{ "roster_import_created", 0 },
	{ "roster_import_stopped", 0 },
	{ "roster_import_error_value", 0 },
	{ "roster_import_error_count", 0 },
	{ "roster_import_error_line", 0 },
	{ "roster_import_error_column", 0 },
	{ "roster_import_error_code", 0 },
	{ "roster_import_error_rule", 0 },
	{ "roster_import_error_message", 0 },
	{ "roster_import_error_message_in", 0 },
	{ "roster_export", 0 },
};

#define NAPI (sizeof(api) / sizeof(api[0]))

static void api_mark(const char *name)
{
	size_t i;

	for (i = 0; i < NAPI; i++) {
		if (strcmp(api[i].name, name) == 0) {
			api[i].calls++;
			return;
		}
	}
	fail_msg("%s is called but missing from the table", name);
}

/* Call a public function, counting the call. */
#define C(fn) (api_mark(#fn), fn)

/* ------------------------------------------------------------------ */
/* Checks                                                              */

static void check_err(const roster_error *err, int rc, int code,
		      const char *rule, const char *field, const char *what,
		      int line)
{
	if (rc != code)
		fail_msg("line %d: %s returned %d (rule %s), expected %d", line,
			 what, rc, C(roster_error_rule)(err), code);
	if (C(roster_error_code)(err) != code)
		fail_msg("line %d: %s recorded code %d, expected %d", line,
			 what, C(roster_error_code)(err), code);
	if (rule && strcmp(C(roster_error_rule)(err), rule) != 0)
		fail_msg("line %d: %s recorded rule \"%s\", expected \"%s\"",
			 line, what, C(roster_error_rule)(err), rule);
	if (field && strcmp(C(roster_error_field)(err), field) != 0)
		fail_msg("line %d: %s recorded field \"%s\", expected \"%s\"",
			 line, what, C(roster_error_field)(err), field);
	if (C(roster_error_message)(err)[0] == '\0')
		fail_msg("line %d: %s recorded no message", line, what);
}

/* The call fails with this code, rule and field (NULL: not checked),
 * recorded in the directory of world w. */
#define DERR(w, expr, code, rule, field)                                      \
	do {                                                                  \
		int rc_ = (expr);                                             \
		check_err(C(roster_directory_error)((w)->dir), rc_, (code),   \
			  (rule), (field), #expr, __LINE__);                  \
	} while (0)

/* The same, recorded for the thread (calls without a directory). */
#define TERR(expr, code, rule, field)                                         \
	do {                                                                  \
		int rc_ = (expr);                                             \
		check_err(C(roster_error_last)(), rc_, (code), (rule),        \
			  (field), #expr, __LINE__);                          \
	} while (0)

#define OK(expr) assert_int_equal((expr), ROSTER_OK)

/* Strings every text argument is tried with. */
static char *huge;		  /* 100000 bytes */
static const char bad1[] = "\xC3\x28"; /* a lead byte without its tail */
static const char bad2[] = "\xFF";     /* never valid in UTF-8 */
static const char ctrl[] = "An\x01na";  /* a control character */

static int suite_setup(void **state)
{
	(void)state;
	huge = malloc(100001);
	assert_non_null(huge);
	memset(huge, 'a', 100000);
	huge[100000] = '\0';
	return 0;
}

static int suite_teardown(void **state)
{
	(void)state;
	free(huge);
	return 0;
}

/* The world's directory did not change since `before`. */
static void unchanged(world *w, char *before)
{
	char *after = snapshot_take(w->dir);

	snapshot_assert_equal(before, after, "bad arguments");
	assert_int_equal(w->nevents, 0);
	free(before);
	free(after);
}

static char *start(world *w)
{
	world_events_clear(w);
	return snapshot_take(w->dir);
}

#define UNKNOWN 987654321u

/* ------------------------------------------------------------------ */
/* common.h, error.h                                                   */

static void *fresh_thread(void *arg)
{
	const roster_error *e = C(roster_error_last)();

	*(int *)arg = e != NULL && C(roster_error_code)(e) == ROSTER_OK &&
		      C(roster_error_rule)(e)[0] == '\0';
	return NULL;
}

static void test_common(void **state)
{
	roster_language lang = ROSTER_LANG_CS;
	pthread_t t;
	int code, fresh = 0;

	(void)state;
	assert_int_equal(C(roster_version)(), ROSTER_VERSION_NUMBER);
	assert_string_equal(C(roster_version_string)(), ROSTER_VERSION_STRING);

	for (code = 0; code >= ROSTER_ERROR_CODE_MIN; code--) {
		const char *s = C(roster_strerror)(code);
		assert_non_null(s);
		assert_true(s[0] != '\0');
		assert_string_not_equal(s, "unknown error");
	}
	assert_string_equal(C(roster_strerror)(1), "unknown error");
	assert_string_equal(C(roster_strerror)(ROSTER_ERROR_CODE_MIN - 1),
			    "unknown error");
	assert_string_equal(C(roster_strerror)(INT_MIN), "unknown error");
	assert_string_equal(C(roster_strerror)(INT_MAX), "unknown error");

	TERR(C(roster_language_parse)(NULL, "en"), ROSTER_EINVAL, "arg.null",
	     "out");
	TERR(C(roster_language_parse)(&lang, NULL), ROSTER_EINVAL, "arg.null",
	     "tag");
	assert_int_equal(lang, ROSTER_LANG_CS);
	TERR(C(roster_language_parse)(&lang, ""), ROSTER_EINVAL, "arg.range",
	     "tag");
	TERR(C(roster_language_parse)(&lang, "e"), ROSTER_EINVAL, "arg.range",
	     "tag");
	TERR(C(roster_language_parse)(&lang, "de"), ROSTER_EINVAL, "arg.range",
	     "tag");
	TERR(C(roster_language_parse)(&lang, "english"), ROSTER_EINVAL,
	     "arg.range", "tag");
	TERR(C(roster_language_parse)(&lang, huge), ROSTER_EINVAL, "arg.range",
	     "tag");
	TERR(C(roster_language_parse)(&lang, bad1), ROSTER_EINVAL, "arg.range",
	     "tag");
	TERR(C(roster_language_parse)(&lang, bad2), ROSTER_EINVAL, "arg.range",
	     "tag");
	TERR(C(roster_language_parse)(&lang, "e\x01"), ROSTER_EINVAL,
	     "arg.range", "tag");
	/* the offending value is shown: UTF-8 as it is but for control
	 * characters, which are escaped (no forged log lines), and invalid
	 * UTF-8 escaped byte by byte */
	assert_string_equal(C(roster_error_value)(C(roster_error_last)()),
			    "e\\x01");
	TERR(C(roster_language_parse)(&lang, bad2), ROSTER_EINVAL, "arg.range",
	     "tag");
	assert_string_equal(C(roster_error_value)(C(roster_error_last)()),
			    "\\xFF");
	assert_int_equal(lang, ROSTER_LANG_CS);
	OK(C(roster_language_parse)(&lang, "FR-ca"));
	assert_int_equal(lang, ROSTER_LANG_FR);
	OK(C(roster_language_parse)(&lang, "en"));
	assert_int_equal(lang, ROSTER_LANG_EN);

	/* the error of a thread that made no call yet says ROSTER_OK */
	assert_int_equal(pthread_create(&t, NULL, fresh_thread, &fresh), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(fresh, 1);

	/* NULL errors: ROSTER_EINVAL and empty strings, never NULL */
	assert_int_equal(C(roster_error_code)(NULL), ROSTER_EINVAL);
	assert_string_equal(C(roster_error_message)(NULL), "");
	assert_string_equal(C(roster_error_field)(NULL), "");
	assert_string_equal(C(roster_error_rule)(NULL), "");
	assert_string_equal(C(roster_error_value)(NULL), "");
	{
		char buf[8] = "x";

		assert_int_equal(C(roster_error_message_in)(NULL, ROSTER_LANG_FR,
							   buf, sizeof(buf)),
				 ROSTER_EINVAL);
		assert_string_equal(buf, "");
		assert_int_equal(C(roster_error_message_in)(
					 C(roster_error_last)(),
					 (roster_language)ROSTER_LANG_COUNT,
					 buf, sizeof(buf)),
				 ROSTER_EINVAL);
		assert_int_equal(C(roster_error_message_in)(
					 C(roster_error_last)(), ROSTER_LANG_FR,
					 NULL, sizeof(buf)),
				 ROSTER_EINVAL);
	}
}

/* ------------------------------------------------------------------ */
/* directory.h, actor.h                                                */

static void test_directory(void **state)
{
	roster_directory_options o;
	roster_directory *dir = (roster_directory *)&o;
	world *w;
	char *before;

	(void)state;
	TERR(C(roster_directory_options_init)(NULL, 1), ROSTER_EINVAL,
	     "arg.null", "opts");
	TERR(C(roster_directory_options_init)(&o, 0), ROSTER_EVERSION,
	     "arg.version", "version");
	TERR(C(roster_directory_options_init)(&o,
					       ROSTER_DIRECTORY_OPTIONS_VERSION +
						       1),
	     ROSTER_EVERSION, "arg.version", "version");
	TERR(C(roster_directory_options_init)(&o, UINT_MAX), ROSTER_EVERSION,
	     "arg.version", "version");
	OK(C(roster_directory_options_init)(&o, 1));
	assert_int_equal(o.version, 1);
	assert_int_equal(o.language, ROSTER_LANG_EN);
	assert_null(o.malloc_fn);
	assert_null(o.event_cb);

	TERR(C(roster_directory_open)(NULL, NULL), ROSTER_EINVAL, "arg.null",
	     "out");
	o.version = 0;
	TERR(C(roster_directory_open)(&dir, &o), ROSTER_EVERSION, "arg.version",
	     "version");
	assert_null(dir);
	o.version = ROSTER_DIRECTORY_OPTIONS_VERSION + 1;
	TERR(C(roster_directory_open)(&dir, &o), ROSTER_EVERSION, "arg.version",
	     "version");
	o.version = ROSTER_DIRECTORY_OPTIONS_VERSION;
	o.language = (roster_language)ROSTER_LANG_COUNT;
	TERR(C(roster_directory_open)(&dir, &o), ROSTER_EINVAL, "arg.range",
	     "language");
	o.language = (roster_language)-1;
	TERR(C(roster_directory_open)(&dir, &o), ROSTER_EINVAL, "arg.range",
	     "language");
	o.language = ROSTER_LANG_EN;
	/* allocator hooks come all three or not at all */
	o.malloc_fn = (roster_malloc_fn)1;
	TERR(C(roster_directory_open)(&dir, &o), ROSTER_EINVAL, "arg.null",
	     "malloc_fn");
	assert_null(dir);
	o.malloc_fn = NULL;
	OK(C(roster_directory_open)(&dir, NULL));
	assert_non_null(dir);
	assert_int_equal(C(roster_error_code)(C(roster_directory_error)(dir)),
			 ROSTER_OK);
	C(roster_directory_free)(dir);
	C(roster_directory_free)(NULL);
	/* a NULL directory has no error of its own: the thread's is shown */
	assert_non_null(C(roster_directory_error)(NULL));

	TERR(C(roster_directory_set_language)(NULL, ROSTER_LANG_FR),
	     ROSTER_EINVAL, "arg.null", "dir");
	w = world_new(NULL);
	before = start(w);
	DERR(w, C(roster_directory_set_language)(w->dir, ROSTER_LANG_COUNT),
	     ROSTER_EINVAL, "arg.range", "lang");
	DERR(w, C(roster_directory_set_language)(w->dir, (roster_language)-1),
	     ROSTER_EINVAL, "arg.range", "lang");
	/* the language did not change: English messages */
	assert_string_equal(C(roster_error_message)(
				    C(roster_directory_error)(w->dir)),
			    "lang is out of range: -1");
	unchanged(w, before);
	OK(C(roster_directory_set_language)(w->dir, ROSTER_LANG_FR));
	DERR(w, C(roster_directory_set_language)(w->dir, (roster_language)7),
	     ROSTER_EINVAL, "arg.range", "lang");
	assert_string_not_equal(C(roster_error_message)(
					C(roster_directory_error)(w->dir)),
				"lang is out of range: 7");
	world_free(w);
}

static void test_transaction(void **state)
{
	world *w = world_new(NULL);

	(void)state;
	TERR(C(roster_directory_refresh)(NULL), ROSTER_EINVAL, "arg.null", "dir");
	/* a directory without storage has nothing to read again */
	OK(C(roster_directory_refresh)(w->dir));
	TERR(C(roster_transaction_begin)(NULL), ROSTER_EINVAL, "arg.null", "dir");
	TERR(C(roster_transaction_commit)(NULL), ROSTER_EINVAL, "arg.null", "dir");
	TERR(C(roster_transaction_rollback)(NULL), ROSTER_EINVAL, "arg.null",
	     "dir");
	assert_int_equal(C(roster_transaction_active)(NULL), 0);
	DERR(w, C(roster_transaction_commit)(w->dir), ROSTER_EMISUSE, "txn.none",
	     "");
	DERR(w, C(roster_transaction_rollback)(w->dir), ROSTER_EMISUSE,
	     "txn.none", "");
	OK(C(roster_transaction_begin)(w->dir));
	DERR(w, C(roster_transaction_begin)(w->dir), ROSTER_EMISUSE, "txn.open",
	     "");
	assert_int_equal(C(roster_transaction_active)(w->dir), 1);
	DERR(w, C(roster_directory_refresh)(w->dir), ROSTER_EMISUSE, "txn.open",
	     "");
	OK(C(roster_transaction_rollback)(w->dir));
	world_free(w);
}

static void test_outbox(void **state)
{
	world *w = world_new(NULL);
	size_t n = 7;

	(void)state;
	TERR(C(roster_outbox_replay)(NULL, 0, &n), ROSTER_EINVAL, "arg.null",
	     "dir");
	assert_int_equal(n, 0);
	n = 7;
	TERR(C(roster_outbox_ack)(NULL, 1, 1, &n), ROSTER_EINVAL, "arg.null",
	     "dir");
	assert_int_equal(n, 0);
	DERR(w, C(roster_outbox_ack)(w->dir, 2, 1, NULL), ROSTER_EINVAL,
	     "arg.range", "first");
	/* a directory without storage has no outbox */
	n = 7;
	OK(C(roster_outbox_replay)(w->dir, 0, &n));
	assert_int_equal(n, 0);
	OK(C(roster_outbox_replay)(w->dir, 0, NULL));
	n = 7;
	OK(C(roster_outbox_ack)(w->dir, 0, UINT64_MAX, &n));
	assert_int_equal(n, 0);
	world_free(w);
}

static void test_memstore(void **state)
{
	roster_directory_options o;
	roster_storage bad;
	roster_memstore *ms = NULL;
	roster_directory *d = NULL;

	(void)state;
	TERR(C(roster_memstore_new)(NULL), ROSTER_EINVAL, "arg.null", "out");
	C(roster_memstore_free)(NULL);
	OK(C(roster_memstore_new)(&ms));
	assert_non_null(C(roster_memstore_methods)());
	/* a storage table missing a required member, or of another version */
	OK(roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION));
	bad = *C(roster_memstore_methods)();
	bad.remove = NULL;
	o.storage = &bad;
	o.store = ms;
	TERR(roster_directory_open(&d, &o), ROSTER_EINVAL, "storage.method",
	     "remove");
	assert_string_equal(C(roster_error_message)(C(roster_error_last)()),
			    "storage callbacks: remove is missing");
	assert_null(d);
	bad = *C(roster_memstore_methods)();
	bad.version = ROSTER_STORAGE_VERSION + 1;
	TERR(roster_directory_open(&d, &o), ROSTER_EVERSION, "arg.version",
	     "storage");
	/* a built-in store's table without its store (a host that did not
	 * check that the store opened): its callbacks would dereference it */
	o.storage = C(roster_memstore_methods)();
	o.store = NULL;
	TERR(roster_directory_open(&d, &o), ROSTER_EINVAL, "arg.null", "store");
	assert_null(d);
	o.storage = roster_filestore_methods();
	TERR(roster_directory_open(&d, &o), ROSTER_EINVAL, "arg.null", "store");
	assert_null(d);
	C(roster_memstore_free)(ms);
}

static int no_row(const char *key, const void *value, size_t len,
		  uint64_t version, void *data)
{
	(void)key, (void)value, (void)len, (void)version, (void)data;
	return 0;
}

static void test_filestore(void **state)
{
	roster_filestore *fs = (roster_filestore *)&fs;
	const roster_storage *st;
	char dir[] = "/tmp/roster-args-XXXXXX", path[64], other[64];
	uint64_t ver = 0;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store", dir);
	TERR(C(roster_filestore_open)(path, 0, NULL), ROSTER_EINVAL,
	     "arg.null", "out");
	TERR(C(roster_filestore_open)(NULL, 0, &fs), ROSTER_EINVAL, "arg.null",
	     "path");
	assert_null(fs);
	TERR(C(roster_filestore_open)("", 0, &fs), ROSTER_EINVAL, "arg.range",
	     "path");
	TERR(C(roster_filestore_open)(path, 2, &fs), ROSTER_EINVAL, "arg.range",
	     "flags");
	assert_string_equal(C(roster_error_value)(C(roster_error_last)()), "2");
	TERR(C(roster_filestore_open)(path, UINT_MAX, &fs), ROSTER_EINVAL,
	     "arg.range", "flags");
	assert_null(fs);
	/* nothing was created by the refusals */
	assert_int_equal(access(path, F_OK), -1);
	/* the system's refusal names the path and the reason */
	snprintf(other, sizeof(other), "%s/missing/store", dir);
	TERR(C(roster_filestore_open)(other, 0, &fs), ROSTER_ESTORAGE,
	     "storage.failed", "open");
	assert_non_null(strstr(C(roster_error_value)(C(roster_error_last)()),
			       "No such file or directory"));
	assert_non_null(strstr(C(roster_error_message)(C(roster_error_last)()),
			       "/missing/store"));
	TERR(C(roster_filestore_open)(dir, 0, &fs), ROSTER_ESTORAGE,
	     "storage.failed", "open");
	assert_null(fs);
	/* a file that is not a store is left alone */
	snprintf(other, sizeof(other), "%s/text", dir);
	fp = fopen(other, "w");
	assert_non_null(fp);
	fputs("hello, this is not a roster store\n", fp);
	fclose(fp);
	TERR(C(roster_filestore_open)(other, 0, &fs), ROSTER_EPARSE,
	     "storage.file", "path");
	assert_null(fs);
	C(roster_filestore_free)(NULL);

	OK(C(roster_filestore_open)(path, ROSTER_FILESTORE_NOSYNC, &fs));
	st = C(roster_filestore_methods)();
	assert_non_null(st);
	assert_ptr_equal(st, C(roster_filestore_methods)());
	assert_null(st->destroy); /* the host frees the handle */
	/* callbacks misused by a host fail with a message, never crash */
	assert_int_equal(st->put(fs, "k", "v", 1, 0, &ver), ROSTER_ESTORAGE);
	assert_non_null(strstr(st->errmsg(fs), "outside a transaction"));
	assert_int_equal(st->remove(fs, "k", 1), ROSTER_ESTORAGE);
	assert_int_equal(st->commit(fs), ROSTER_ESTORAGE);
	assert_int_equal(st->rollback(fs), ROSTER_ESTORAGE);
	assert_int_equal(st->scan(fs, NULL, NULL, NULL), ROSTER_ESTORAGE);
	OK(st->begin(fs));
	assert_int_equal(st->begin(fs), ROSTER_ESTORAGE);
	assert_int_equal(st->put(fs, NULL, "v", 1, 0, &ver), ROSTER_ESTORAGE);
	assert_int_equal(st->put(fs, "k", NULL, 1, 0, &ver), ROSTER_ESTORAGE);
	assert_int_equal(st->put(fs, "k", "v", 1, 0, NULL), ROSTER_ESTORAGE);
	assert_int_equal(st->put(fs, "k\x01", "v", 1, 0, &ver),
			 ROSTER_ESTORAGE);
	assert_int_equal(st->put(fs, bad2, "v", 1, 0, &ver), ROSTER_ESTORAGE);
	assert_int_equal(st->put(fs, huge, "v", 1, 0, &ver), ROSTER_ESTORAGE);
	assert_int_equal(st->put(fs, "k", "v", 1, 7, &ver), ROSTER_ECONFLICT);
	assert_int_equal(st->remove(fs, "k", 0), ROSTER_ECONFLICT);
	assert_int_equal(st->remove(fs, NULL, 1), ROSTER_ESTORAGE);
	OK(st->put(fs, "k", NULL, 0, 0, &ver));
	assert_true(ver > 0);
	/* a scan inside the thread's own transaction would deadlock */
	assert_int_equal(st->scan(fs, "", no_row, NULL), ROSTER_ESTORAGE);
	assert_non_null(strstr(st->errmsg(fs), "inside a transaction"));
	OK(st->commit(fs));
	C(roster_filestore_free)(fs);
	fs = NULL;
	OK(C(roster_filestore_open)(path, 0, &fs));
	C(roster_filestore_free)(fs);

	snprintf(other, sizeof(other), "%s/store.lock", dir);
	unlink(other);
	unlink(path);
	snprintf(other, sizeof(other), "%s/text", dir);
	unlink(other);
	snprintf(other, sizeof(other), "%s/text.lock", dir);
	unlink(other);
	rmdir(dir);
}

static void test_actor(void **state)
{
	roster_actor a = { 9, 9, 9 };

	(void)state;
	TERR(C(roster_actor_init)(NULL, ROSTER_ACTOR_SYSTEM, 0), ROSTER_EINVAL,
	     "arg.null", "actor");
	TERR(C(roster_actor_init)(&a, 0, 1), ROSTER_EINVAL, "arg.actor",
	     "actor");
	TERR(C(roster_actor_init)(&a, 4, 1), ROSTER_EINVAL, "arg.actor",
	     "actor");
	TERR(C(roster_actor_init)(&a, -1, 1), ROSTER_EINVAL, "arg.actor",
	     "actor");
	/* partners and users are named by an id */
	TERR(C(roster_actor_init)(&a, ROSTER_ACTOR_PARTNER, 0), ROSTER_EINVAL,
	     "arg.actor", "actor");
	TERR(C(roster_actor_init)(&a, ROSTER_ACTOR_USER, 0), ROSTER_EINVAL,
	     "arg.actor", "actor");
	OK(C(roster_actor_init)(&a, ROSTER_ACTOR_SYSTEM, 5));
	assert_int_equal(a.kind, ROSTER_ACTOR_SYSTEM);
	assert_int_equal(a.reserved, 0);
	assert_int_equal(a.id, 0);
	assert_int_equal(sizeof(roster_actor), 16);
}

/* ------------------------------------------------------------------ */
/* event.h, page.h                                                     */

static void test_event_null(void **state)
{
	int t;

	(void)state;
	assert_int_equal(C(roster_event_type_of)(NULL), 0);
	assert_int_equal(C(roster_event_seq)(NULL), 0);
	assert_int_equal(C(roster_event_account)(NULL), 0);
	assert_int_equal(C(roster_event_partner)(NULL), 0);
	assert_int_equal(C(roster_event_user)(NULL), 0);
	assert_int_equal(C(roster_event_pbx)(NULL), 0);
	assert_null(C(roster_event_email)(NULL));
	assert_null(C(roster_event_secret)(NULL));
	assert_null(C(roster_event_password)(NULL));
	assert_int_equal(C(roster_event_admin)(NULL), 0);
	assert_int_equal(C(roster_event_replayed)(NULL), 0);
	assert_int_equal(C(roster_event_withheld)(NULL), 0);
	for (t = ROSTER_EVENT_USER_CREATED; t <= ROSTER_EVENT_PASSWORD_CHANGED;
	     t++)
		assert_non_null(C(roster_event_type_name)(t));
	assert_string_equal(C(roster_event_type_name)(ROSTER_EVENT_USER_CREATED),
			    "user.created");
	assert_null(C(roster_event_type_name)(0));
	assert_null(C(roster_event_type_name)(-1));
	assert_null(C(roster_event_type_name)(ROSTER_EVENT_PASSWORD_CHANGED +
					      1));
	assert_null(C(roster_event_type_name)(INT_MAX));
	assert_null(C(roster_event_type_name)(INT_MIN));
}

static void test_page(void **state)
{
	world *w = world_new(NULL);
	roster_page *p = NULL;

	(void)state;
	assert_int_equal(C(roster_page_count)(NULL), 0);
	assert_int_equal(C(roster_page_id)(NULL, 0), 0);
	assert_null(C(roster_page_next)(NULL));
	assert_int_equal(C(roster_page_total)(NULL), 0);
	C(roster_page_free)(NULL);

	OK(C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER, NULL, 1));
	assert_int_equal(C(roster_page_count)(p), 1);
	assert_int_equal(C(roster_page_id)(p, 0), w->partner);
	assert_int_equal(C(roster_page_id)(p, 1), 0);
	assert_int_equal(C(roster_page_id)(p, SIZE_MAX), 0);
	assert_int_equal(C(roster_page_total)(p), 2);
	assert_non_null(C(roster_page_next)(p));
	C(roster_page_free)(p);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* account.h                                                           */

/* A record name refused for its text: EINVALID, field "name". */
static void bad_names(world *w, int (*create)(world *, const char *))
{
	static char longest[ROSTER_NAME_MAX + 2];

	memset(longest, 'n', ROSTER_NAME_MAX + 1);
	longest[ROSTER_NAME_MAX + 1] = '\0';
	DERR(w, create(w, NULL), ROSTER_EINVAL, "arg.null", "name");
	DERR(w, create(w, ""), ROSTER_EINVALID, "text.empty", "name");
	DERR(w, create(w, " \t "), ROSTER_EINVALID, "text.empty", "name");
	DERR(w, create(w, huge), ROSTER_EINVALID, "text.long", "name");
	DERR(w, create(w, longest), ROSTER_EINVALID, "text.long", "name");
	DERR(w, create(w, bad1), ROSTER_EINVALID, "text.utf8", "name");
	DERR(w, create(w, bad2), ROSTER_EINVALID, "text.utf8", "name");
	DERR(w, create(w, ctrl), ROSTER_EINVALID, "text.control", "name");
	DERR(w, create(w, "Tab\x7f"), ROSTER_EINVALID, "text.control",
	     "name");
}

static int mk_partner(world *w, const char *name)
{
	roster_id id = 77;
	int rc = C(roster_partner_create)(&id, w->dir, &w->system, name);

	if (rc)
		assert_int_equal(id, 0);
	return rc;
}

static int mk_account(world *w, const char *name)
{
	roster_id id = 77;
	int rc = C(roster_account_create)(&id, w->dir, &w->as_partner,
					  w->partner, name);

	if (rc)
		assert_int_equal(id, 0);
	return rc;
}

static int mk_site(world *w, const char *name)
{
	roster_id id = 77;
	int rc = C(roster_site_create)(&id, w->dir, &w->as_admin, w->account,
				       name);

	if (rc)
		assert_int_equal(id, 0);
	return rc;
}

static int mk_pbx(world *w, const char *name)
{
	roster_id id = 77;
	int rc = C(roster_pbx_create)(&id, w->dir, &w->system, w->account, name,
				      3, 4);

	if (rc)
		assert_int_equal(id, 0);
	return rc;
}

static int mk_group(world *w, const char *name)
{
	roster_id id = 77;
	int rc = C(roster_group_create)(&id, w->dir, &w->as_partner, w->account,
					name);

	if (rc)
		assert_int_equal(id, 0);
	return rc;
}

static int mk_rename(world *w, const char *name)
{
	return C(roster_record_rename)(w->dir, &w->as_partner, w->site, name);
}

static void test_creates(void **state)
{
	world *w = world_new(NULL);
	roster_id id = 77;
	char *before;

	(void)state;
	before = start(w);
	/* NULL out, directory, actor */
	DERR(w, C(roster_partner_create)(NULL, w->dir, &w->system, "P"),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_partner_create)(&id, NULL, &w->system, "P"),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_partner_create)(&id, w->dir, NULL, "P"),
	     ROSTER_EINVAL, "arg.null", "actor");
	assert_int_equal(id, 0);
	bad_names(w, mk_partner);
	/* names are unique, case-insensitively */
	DERR(w, mk_partner(w, "PARTNER ONE"), ROSTER_EEXISTS, "name.unique",
	     "name");

	DERR(w, C(roster_account_create)(NULL, w->dir, &w->system, w->partner,
					 "A"),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_account_create)(&id, NULL, &w->system, w->partner, "A"),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_account_create)(&id, w->dir, NULL, w->partner, "A"),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_account_create)(&id, w->dir, &w->system, 0, "A"),
	     ROSTER_ENOTFOUND, "record.notfound", "partner");
	DERR(w, C(roster_account_create)(&id, w->dir, &w->system, UNKNOWN,
					 "A"),
	     ROSTER_ENOTFOUND, "record.notfound", "partner");
	/* an id of another kind names no partner */
	DERR(w, C(roster_account_create)(&id, w->dir, &w->system, w->account,
					 "A"),
	     ROSTER_ENOTFOUND, "record.notfound", "partner");
	DERR(w, C(roster_account_create)(&id, w->dir, &w->system, w->admin,
					 "A"),
	     ROSTER_ENOTFOUND, "record.notfound", "partner");
	bad_names(w, mk_account);

	DERR(w, C(roster_site_create)(NULL, w->dir, &w->system, w->account,
				      "S"),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_site_create)(&id, NULL, &w->system, w->account, "S"),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_site_create)(&id, w->dir, NULL, w->account, "S"),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_site_create)(&id, w->dir, &w->system, 0, "S"),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_site_create)(&id, w->dir, &w->system, UNKNOWN, "S"),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_site_create)(&id, w->dir, &w->system, w->partner,
				      "S"),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_site_create)(&id, w->dir, &w->system, w->site, "S"),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	bad_names(w, mk_site);
	DERR(w, mk_site(w, "paris"), ROSTER_EEXISTS, "name.unique", "name");

	DERR(w, C(roster_pbx_create)(NULL, w->dir, &w->system, w->account, "X",
				     3, 4),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_pbx_create)(&id, NULL, &w->system, w->account, "X", 3,
				  4),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_pbx_create)(&id, w->dir, NULL, w->account, "X", 3, 4),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_pbx_create)(&id, w->dir, &w->system, 0, "X", 3, 4),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_pbx_create)(&id, w->dir, &w->system, UNKNOWN, "X", 3,
				     4),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	/* digit rules: within 2..8 and min <= max */
	DERR(w, C(roster_pbx_create)(&id, w->dir, &w->system, w->account, "X",
				     ROSTER_EXTENSION_DIGITS_MIN - 1, 4),
	     ROSTER_EINVALID, "pbx.digits", NULL);
	DERR(w, C(roster_pbx_create)(&id, w->dir, &w->system, w->account, "X",
				     3, ROSTER_EXTENSION_DIGITS_MAX + 1),
	     ROSTER_EINVALID, "pbx.digits", NULL);
	DERR(w, C(roster_pbx_create)(&id, w->dir, &w->system, w->account, "X",
				     5, 4),
	     ROSTER_EINVALID, "pbx.digits", NULL);
	DERR(w, C(roster_pbx_create)(&id, w->dir, &w->system, w->account, "X",
				     0, 0),
	     ROSTER_EINVALID, "pbx.digits", NULL);
	DERR(w, C(roster_pbx_create)(&id, w->dir, &w->system, w->account, "X",
				     UINT_MAX, UINT_MAX),
	     ROSTER_EINVALID, "pbx.digits", NULL);
	bad_names(w, mk_pbx);

	DERR(w, C(roster_group_create)(NULL, w->dir, &w->system, w->account,
				       "G"),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_group_create)(&id, NULL, &w->system, w->account, "G"),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_group_create)(&id, w->dir, NULL, w->account, "G"),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_group_create)(&id, w->dir, &w->system, 0, "G"),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_group_create)(&id, w->dir, &w->system, w->admin, "G"),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	bad_names(w, mk_group);

	TERR(C(roster_account_set_helpdesk)(NULL, &w->system, w->account, 1),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_account_set_helpdesk)(w->dir, NULL, w->account, 1),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_account_set_helpdesk)(w->dir, &w->system, 0, 1),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_account_set_helpdesk)(w->dir, &w->system, UNKNOWN, 1),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_account_set_helpdesk)(w->dir, &w->system, w->site, 1),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_account_set_helpdesk)(w->dir, &w->system, w->partner,
					       1),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	unchanged(w, before);

	/* a true value other than 1 still means "ordered" */
	OK(C(roster_account_set_helpdesk)(w->dir, &w->system, w->account, -5));
	{
		roster_record *r = NULL;

		OK(C(roster_record_get)(&r, w->dir, w->account));
		assert_int_equal(C(roster_record_helpdesk)(r), 1);
		C(roster_record_free)(r);
	}
	world_free(w);
}

static void test_rename(void **state)
{
	world *w = world_new(NULL);
	roster_id user = 0, spare = 0;
	char *before;

	(void)state;
	assert_int_equal(world_user(w, &w->system, w->account, "In", "Use",
				    "in.use@acme.example", 0, &user),
			 0);
	OK(C(roster_site_create)(&spare, w->dir, &w->system, w->account,
				 "Spare"));
	before = start(w);
	TERR(C(roster_record_rename)(NULL, &w->system, w->site, "X"),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_record_rename)(w->dir, NULL, w->site, "X"),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_record_rename)(w->dir, &w->system, 0, "X"),
	     ROSTER_ENOTFOUND, "record.notfound", "id");
	DERR(w, C(roster_record_rename)(w->dir, &w->system, UNKNOWN, "X"),
	     ROSTER_ENOTFOUND, "record.notfound", "id");
	/* users are renamed through their form */
	DERR(w, C(roster_record_rename)(w->dir, &w->system, user, "X"),
	     ROSTER_EINVAL, "record.kind", "id");
	bad_names(w, mk_rename);
	/* names stay unique among siblings, case-insensitively */
	DERR(w, mk_rename(w, "SPARE"), ROSTER_EEXISTS, "name.unique", "name");
	unchanged(w, before);
	world_free(w);
}

static void test_record_get(void **state)
{
	world *w = world_new(NULL);
	roster_record *r = (roster_record *)&w;
	char *before;

	(void)state;
	before = start(w);
	DERR(w, C(roster_record_get)(NULL, w->dir, w->account), ROSTER_EINVAL,
	     "arg.null", "out");
	TERR(C(roster_record_get)(&r, NULL, w->account), ROSTER_EINVAL,
	     "arg.null", "dir");
	DERR(w, C(roster_record_get)(&r, w->dir, 0), ROSTER_ENOTFOUND,
	     "record.notfound", "id");
	assert_null(r);
	DERR(w, C(roster_record_get)(&r, w->dir, UNKNOWN), ROSTER_ENOTFOUND,
	     "record.notfound", "id");
	DERR(w, C(roster_record_get)(&r, w->dir, w->admin), ROSTER_EINVAL,
	     "record.kind", "id");
	assert_null(r);
	{
		roster_id found = 99;

		DERR(w, C(roster_record_find)(NULL, w->dir, w->account,
					      ROSTER_KIND_SITE, "x"),
		     ROSTER_EINVAL, "arg.null", "out");
		TERR(C(roster_record_find)(&found, NULL, w->account,
					   ROSTER_KIND_SITE, "x"),
		     ROSTER_EINVAL, "arg.null", "dir");
		DERR(w, C(roster_record_find)(&found, w->dir, w->account,
					      ROSTER_KIND_SITE, NULL),
		     ROSTER_EINVAL, "arg.null", "name");
		assert_int_equal(found, 0);
		DERR(w, C(roster_record_find)(&found, w->dir, w->account,
					      ROSTER_KIND_USER, "x"),
		     ROSTER_EINVAL, "arg.range", "kind");
		DERR(w, C(roster_record_find)(&found, w->dir, w->account, 0,
					      "x"),
		     ROSTER_EINVAL, "arg.range", "kind");
		DERR(w, C(roster_record_find)(&found, w->dir, UNKNOWN,
					      ROSTER_KIND_SITE, "x"),
		     ROSTER_ENOTFOUND, "record.notfound", "parent");
		DERR(w, C(roster_record_find)(&found, w->dir, w->admin,
					      ROSTER_KIND_SITE, "x"),
		     ROSTER_ENOTFOUND, "record.notfound", "parent");
		DERR(w, C(roster_record_find)(&found, w->dir, w->account,
					      ROSTER_KIND_SITE, "\xff"),
		     ROSTER_EINVALID, "text.utf8", "name");
		DERR(w, C(roster_record_find)(&found, w->dir, w->account,
					      ROSTER_KIND_SITE, "nowhere"),
		     ROSTER_ENOTFOUND, "record.named", "name");
		assert_int_equal(found, 0);
	}
	unchanged(w, before);

	/* the getters of a NULL record give their neutral values */
	assert_int_equal(C(roster_record_id)(NULL), 0);
	assert_int_equal(C(roster_record_kind)(NULL), 0);
	assert_int_equal(C(roster_record_parent)(NULL), 0);
	assert_null(C(roster_record_name)(NULL));
	assert_int_equal(C(roster_record_helpdesk)(NULL), 0);
	assert_int_equal(C(roster_record_min_digits)(NULL), 0);
	assert_int_equal(C(roster_record_max_digits)(NULL), 0);
	assert_int_equal(C(roster_record_members)(NULL), 0);
	assert_int_equal(C(roster_record_admins)(NULL), 0);
	C(roster_record_free)(NULL);

	/* and of a record, the values of its kind (0 for the others) */
	OK(C(roster_record_get)(&r, w->dir, w->pbx));
	assert_int_equal(C(roster_record_id)(r), w->pbx);
	assert_int_equal(C(roster_record_kind)(r), ROSTER_KIND_PBX);
	assert_int_equal(C(roster_record_parent)(r), w->account);
	assert_string_equal(C(roster_record_name)(r), "Main PBX");
	assert_int_equal(C(roster_record_min_digits)(r), 3);
	assert_int_equal(C(roster_record_max_digits)(r), 4);
	assert_int_equal(C(roster_record_members)(r), 0);
	assert_int_equal(C(roster_record_admins)(r), 0);
	C(roster_record_free)(r);
	OK(C(roster_record_get)(&r, w->dir, w->partner));
	assert_int_equal(C(roster_record_kind)(r), ROSTER_KIND_PARTNER);
	assert_int_equal(C(roster_record_parent)(r), 0);
	assert_int_equal(C(roster_record_members)(r), 1);
	assert_int_equal(C(roster_record_min_digits)(r), 0);
	C(roster_record_free)(r);
	world_free(w);
}

static void test_delete(void **state)
{
	world *w = world_new(NULL);
	roster_id user = 0;
	char *before;

	(void)state;
	assert_int_equal(world_user(w, &w->system, w->account, "In", "Use",
				    "in.use@acme.example", 0, &user),
			 0);
	{
		roster_form *f = NULL;

		OK(C(roster_form_new)(&f, w->dir));
		OK(C(roster_form_set_ref)(f, ROSTER_FIELD_GROUP, w->group));
		OK(C(roster_user_update)(w->dir, &w->system, user, f));
		C(roster_form_free)(f);
	}
	before = start(w);
	TERR(C(roster_record_delete)(NULL, &w->system, w->site), ROSTER_EINVAL,
	     "arg.null", "dir");
	DERR(w, C(roster_record_delete)(w->dir, NULL, w->site), ROSTER_EINVAL,
	     "arg.null", "actor");
	DERR(w, C(roster_record_delete)(w->dir, &w->system, 0),
	     ROSTER_ENOTFOUND, "record.notfound", "id");
	DERR(w, C(roster_record_delete)(w->dir, &w->system, UNKNOWN),
	     ROSTER_ENOTFOUND, "record.notfound", "id");
	DERR(w, C(roster_record_delete)(w->dir, &w->system, user),
	     ROSTER_EINVAL, "record.kind", "id");
	/* records in use stay */
	DERR(w, C(roster_record_delete)(w->dir, &w->system, w->account),
	     ROSTER_EPOLICY, "account.not_empty", NULL);
	DERR(w, C(roster_record_delete)(w->dir, &w->system, w->group),
	     ROSTER_EPOLICY, "record.in_use", NULL);
	DERR(w, C(roster_record_delete)(w->dir, &w->system, w->partner),
	     ROSTER_EPOLICY, "record.in_use", NULL);
	unchanged(w, before);
	world_free(w);
}

static void test_list(void **state)
{
	world *w = world_new(NULL);
	roster_page *p = (roster_page *)&w;
	char *before, cursor[40];
	static const char *const bad_cursors[] = {
		"", "x1", "c", "cZZ", "cA", "c-1", "c 1", "c12345678901234567",
		"C1", bad1, bad2, ctrl,
		/* 16 digits, no fewer: one cut short is not an earlier id */
		"c0", "c1", "c000000000000001", "c000000000000000Z",
	};
	size_t i;

	(void)state;
	before = start(w);
	DERR(w, C(roster_list)(NULL, w->dir, 0, ROSTER_KIND_PARTNER, NULL, 10),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_list)(&p, NULL, 0, ROSTER_KIND_PARTNER, NULL, 10),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER, NULL, 0),
	     ROSTER_EINVAL, "arg.range", "limit");
	assert_null(p);
	DERR(w, C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER, NULL,
			       ROSTER_PAGE_MAX + 1),
	     ROSTER_EINVAL, "arg.range", "limit");
	DERR(w, C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER, NULL,
			       SIZE_MAX),
	     ROSTER_EINVAL, "arg.range", "limit");
	DERR(w, C(roster_list)(&p, w->dir, 0, 0, NULL, 10), ROSTER_EINVAL,
	     "arg.range", "kind");
	DERR(w, C(roster_list)(&p, w->dir, 0, ROSTER_KIND_USER + 1, NULL, 10),
	     ROSTER_EINVAL, "arg.range", "kind");
	DERR(w, C(roster_list)(&p, w->dir, 0, -1, NULL, 10), ROSTER_EINVAL,
	     "arg.range", "kind");
	for (i = 0; i < sizeof(bad_cursors) / sizeof(bad_cursors[0]); i++)
		DERR(w, C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER,
				       bad_cursors[i], 10),
		     ROSTER_EINVAL, "arg.cursor", "cursor");
	DERR(w, C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER, huge, 10),
	     ROSTER_EINVAL, "arg.cursor", "cursor");
	/* parents: none for partners, a partner for accounts, an account for
	 * the rest */
	DERR(w, C(roster_list)(&p, w->dir, w->partner, ROSTER_KIND_PARTNER,
			       NULL, 10),
	     ROSTER_ENOTFOUND, "record.notfound", "parent");
	DERR(w, C(roster_list)(&p, w->dir, 0, ROSTER_KIND_ACCOUNT, NULL, 10),
	     ROSTER_ENOTFOUND, "record.notfound", "parent");
	DERR(w, C(roster_list)(&p, w->dir, UNKNOWN, ROSTER_KIND_USER, NULL,
			       10),
	     ROSTER_ENOTFOUND, "record.notfound", "parent");
	DERR(w, C(roster_list)(&p, w->dir, w->account, ROSTER_KIND_ACCOUNT,
			       NULL, 10),
	     ROSTER_ENOTFOUND, "record.notfound", "parent");
	DERR(w, C(roster_list)(&p, w->dir, w->partner, ROSTER_KIND_USER, NULL,
			       10),
	     ROSTER_ENOTFOUND, "record.notfound", "parent");
	DERR(w, C(roster_list)(&p, w->dir, w->site, ROSTER_KIND_USER, NULL,
			       10),
	     ROSTER_ENOTFOUND, "record.notfound", "parent");
	DERR(w, C(roster_list)(&p, w->dir, w->admin, ROSTER_KIND_USER, NULL,
			       10),
	     ROSTER_ENOTFOUND, "record.notfound", "parent");
	assert_null(p);
	unchanged(w, before);

	/* the limits themselves are fine, and so is a cursor past the end */
	OK(C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER, NULL,
			  ROSTER_PAGE_MAX));
	assert_int_equal(C(roster_page_count)(p), 2);
	assert_null(C(roster_page_next)(p));
	C(roster_page_free)(p);
	OK(C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER,
			  "cffffffffffffffff", 1));
	assert_int_equal(C(roster_page_count)(p), 0);
	assert_int_equal(C(roster_page_total)(p), 2);
	C(roster_page_free)(p);
	snprintf(cursor, sizeof(cursor), "c0000000000000000");
	OK(C(roster_list)(&p, w->dir, 0, ROSTER_KIND_PARTNER, cursor, 1));
	assert_int_equal(C(roster_page_id)(p, 0), w->partner);
	/* the cursor handed out has 16 digits, and every cut of it is
	 * refused */
	assert_int_equal(strlen(C(roster_page_next)(p)), 17);
	for (i = 0; i < 17; i++) {
		roster_page *q = NULL;

		memcpy(cursor, C(roster_page_next)(p), i);
		cursor[i] = '\0';
		DERR(w, C(roster_list)(&q, w->dir, 0, ROSTER_KIND_PARTNER,
				       cursor, 1),
		     ROSTER_EINVAL, "arg.cursor", "cursor");
	}
	C(roster_page_free)(p);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* user.h: fields and forms                                            */

static void test_fields(void **state)
{
	int f, l;
	size_t i;

	(void)state;
	for (f = 1; f < ROSTER_FIELD_END; f++) {
		const char *name = C(roster_field_name)(f);

		assert_non_null(name);
		assert_int_equal(C(roster_field_from_name)(name), f);
		assert_in_range(C(roster_field_type)(f), ROSTER_TYPE_STRING,
				ROSTER_TYPE_LIST);
		for (l = 0; l < ROSTER_LANG_COUNT; l++)
			assert_non_null(C(roster_field_label)(
				f, (roster_language)l));
	}
	assert_null(C(roster_field_name)(0));
	assert_null(C(roster_field_name)(-1));
	assert_null(C(roster_field_name)(ROSTER_FIELD_END));
	assert_null(C(roster_field_name)(INT_MAX));
	assert_int_equal(C(roster_field_from_name)(NULL), 0);
	assert_int_equal(C(roster_field_from_name)(""), 0);
	assert_int_equal(C(roster_field_from_name)("First_Name"), 0);
	assert_int_equal(C(roster_field_from_name)("first_name "), 0);
	assert_int_equal(C(roster_field_from_name)(huge), 0);
	assert_int_equal(C(roster_field_from_name)(bad1), 0);
	assert_int_equal(C(roster_field_from_name)(bad2), 0);
	assert_int_equal(C(roster_field_type)(0), 0);
	assert_int_equal(C(roster_field_type)(ROSTER_FIELD_END), 0);
	assert_int_equal(C(roster_field_type)(-7), 0);
	assert_null(C(roster_field_label)(0, ROSTER_LANG_EN));
	assert_null(C(roster_field_label)(ROSTER_FIELD_END, ROSTER_LANG_FR));
	assert_null(C(roster_field_label)(ROSTER_FIELD_FIRST_NAME,
					  (roster_language)ROSTER_LANG_COUNT));
	assert_null(C(roster_field_label)(ROSTER_FIELD_FIRST_NAME,
					  (roster_language)-1));

	for (i = 0; C(roster_phone_language)(i); i++)
		assert_int_equal(strlen(C(roster_phone_language)(i)), 5);
	assert_true(i > 0);
	assert_null(C(roster_phone_language)(i + 1));
	assert_null(C(roster_phone_language)(SIZE_MAX));
}

static void test_form(void **state)
{
	world *w = world_new(NULL);
	roster_form *f = (roster_form *)&w;
	const char *lines[2] = { "+33 1 00 00 00 01", NULL };
	const char *many[ROSTER_LINES_MAX + 1];
	int field;

	(void)state;
	DERR(w, C(roster_form_new)(NULL, w->dir), ROSTER_EINVAL, "arg.null",
	     "out");
	TERR(C(roster_form_new)(NULL, NULL), ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_form_new)(&f, NULL), ROSTER_EINVAL, "arg.null", "dir");
	assert_null(f);
	C(roster_form_free)(NULL);
	C(roster_form_clear)(NULL);
	assert_int_equal(C(roster_form_has)(NULL, ROSTER_FIELD_EMAIL), 0);

	TERR(C(roster_form_set_str)(NULL, ROSTER_FIELD_EMAIL, "x"),
	     ROSTER_EINVAL, "arg.null", "form");
	TERR(C(roster_form_set_bool)(NULL, ROSTER_FIELD_ADMIN, 1),
	     ROSTER_EINVAL, "arg.null", "form");
	TERR(C(roster_form_set_ref)(NULL, ROSTER_FIELD_SITE, 1), ROSTER_EINVAL,
	     "arg.null", "form");
	TERR(C(roster_form_set_lines)(NULL, lines, 1), ROSTER_EINVAL,
	     "arg.null", "form");
	TERR(C(roster_form_generate_password)(NULL), ROSTER_EINVAL, "arg.null",
	     "form");
	TERR(C(roster_form_set_numbers_country)(NULL, "FR"), ROSTER_EINVAL,
	     "arg.null", "form");
	TERR(C(roster_form_expect_version)(NULL, 1), ROSTER_EINVAL, "arg.null",
	     "form");

	OK(C(roster_form_new)(&f, w->dir));
	/* fields out of range, and of another type */
	TERR(C(roster_form_set_str)(f, 0, "x"), ROSTER_EINVAL, "arg.range",
	     "field");
	assert_string_equal(C(roster_error_value)(C(roster_error_last)()), "0");
	TERR(C(roster_form_set_str)(f, ROSTER_FIELD_END, "x"), ROSTER_EINVAL,
	     "arg.range", "field");
	TERR(C(roster_form_set_str)(f, -1, "x"), ROSTER_EINVAL, "arg.range",
	     "field");
	assert_string_equal(C(roster_error_value)(C(roster_error_last)()), "-1");
	TERR(C(roster_form_set_bool)(f, 0, 1), ROSTER_EINVAL, "arg.range",
	     "field");
	TERR(C(roster_form_set_bool)(f, ROSTER_FIELD_END, 1), ROSTER_EINVAL,
	     "arg.range", "field");
	TERR(C(roster_form_set_ref)(f, 0, 1), ROSTER_EINVAL, "arg.range",
	     "field");
	TERR(C(roster_form_set_ref)(f, INT_MAX, 1), ROSTER_EINVAL, "arg.range",
	     "field");
	for (field = 1; field < ROSTER_FIELD_END; field++) {
		int type = C(roster_field_type)(field);
		const char *name = C(roster_field_name)(field);

		if (type != ROSTER_TYPE_STRING)
			TERR(C(roster_form_set_str)(f, field, "x"),
			     ROSTER_EINVAL, "arg.type", name);
		if (type != ROSTER_TYPE_BOOL)
			TERR(C(roster_form_set_bool)(f, field, 1),
			     ROSTER_EINVAL, "arg.type", name);
		if (type != ROSTER_TYPE_REF)
			TERR(C(roster_form_set_ref)(f, field, 1),
			     ROSTER_EINVAL, "arg.type", name);
		/* nothing of that was set */
		assert_int_equal(C(roster_form_has)(f, field), 0);
	}
	assert_int_equal(C(roster_form_has)(f, 0), 0);
	assert_int_equal(C(roster_form_has)(f, ROSTER_FIELD_END), 0);
	assert_int_equal(C(roster_form_has)(f, -1), 0);
	/* lines: NULL array or NULL element, too many to copy */
	TERR(C(roster_form_set_lines)(f, NULL, 1), ROSTER_EINVAL, "arg.null",
	     "lines");
	TERR(C(roster_form_set_lines)(f, lines, 2), ROSTER_EINVAL, "arg.null",
	     "lines");
	TERR(C(roster_form_set_lines)(f, lines, SIZE_MAX), ROSTER_EINVAL,
	     "arg.range", "lines");
	assert_int_equal(C(roster_form_has)(f, ROSTER_FIELD_LINES), 0);
	/* an empty list is a value: "no lines" */
	OK(C(roster_form_set_lines)(f, NULL, 0));
	assert_int_equal(C(roster_form_has)(f, ROSTER_FIELD_LINES), 1);
	/* strings are copied as given, validated when applied */
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_NOTE, huge));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_NOTE, NULL));
	assert_int_equal(C(roster_form_has)(f, ROSTER_FIELD_NOTE), 1);
	OK(C(roster_form_set_bool)(f, ROSTER_FIELD_TWO_FACTOR, 42));
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_GROUP, 0));
	OK(C(roster_form_generate_password)(f));
	assert_int_equal(C(roster_form_has)(f, ROSTER_FIELD_PASSWORD), 1);
	C(roster_form_clear)(f);
	for (field = 0; field <= ROSTER_FIELD_END; field++)
		assert_int_equal(C(roster_form_has)(f, field), 0);

	/* too many lines is refused when the form is applied */
	for (field = 0; field <= ROSTER_LINES_MAX; field++)
		many[field] = "+33 1 00 00 00 09";
	OK(C(roster_form_set_lines)(f, many, ROSTER_LINES_MAX + 1));
	C(roster_form_free)(f);
	world_free(w);
}

/* A valid creation form, with a PBX so that extensions are checked. */
static roster_form *base_form(world *w)
{
	roster_form *f = NULL;

	OK(C(roster_form_new)(&f, w->dir));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_FIRST_NAME, "Val"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_LAST_NAME, "Id"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_EMAIL, "val.id@acme.example"));
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_PBX, w->pbx));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_EXTENSION, "123"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_ADDRESS_STREET, "1 Main St"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_ADDRESS_LOCALITY, "Paris"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_ADDRESS_COUNTRY, "FR"));
	return f;
}

/* The rules a bad value of each string field breaks, in this order:
 * 100000 bytes, "\xC3\x28", "\xFF", a control character. */
static const struct {
	int field;
	const char *rules[4];
} string_rules[] = {
	{ ROSTER_FIELD_FIRST_NAME,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_LAST_NAME,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_DISPLAY_NAME,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_EMAIL,
	  { "email.syntax", "email.syntax", "email.syntax", "email.syntax" } },
	/* a password is not text: any character may be in it */
	{ ROSTER_FIELD_PASSWORD,
	  { "password.long", "password.utf8", "password.utf8", NULL } },
	{ ROSTER_FIELD_PHONE,
	  { "phone.e164", "phone.e164", "phone.e164", "phone.e164" } },
	{ ROSTER_FIELD_ADDRESS_STREET,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_ADDRESS_EXTRA,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_ADDRESS_LOCALITY,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_ADDRESS_REGION,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_ADDRESS_POSTCODE,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_ADDRESS_COUNTRY,
	  { "address.country", "address.country", "address.country",
	    "address.country" } },
	{ ROSTER_FIELD_LANGUAGE,
	  { "language.unsupported", "language.unsupported",
	    "language.unsupported", "language.unsupported" } },
	{ ROSTER_FIELD_EXTENSION,
	  { "extension.digits", "extension.digits", "extension.digits",
	    "extension.digits" } },
	{ ROSTER_FIELD_NOTE,
	  { "text.long", "text.utf8", "text.utf8", "text.control" } },
	{ ROSTER_FIELD_LICENCE,
	  { "item.syntax", "item.syntax", "item.syntax", "item.syntax" } },
	{ ROSTER_FIELD_PACK,
	  { "item.syntax", "item.syntax", "item.syntax", "item.syntax" } },
};

static void test_user_strings(void **state)
{
	world *w = world_new(NULL);
	const char *values[4];
	roster_form *f;
	roster_id id;
	char *before;
	size_t i, v;
	int seen[ROSTER_FIELD_END] = { 0 }, field;

	(void)state;
	values[0] = huge;
	values[1] = bad1;
	values[2] = bad2;
	values[3] = ctrl;
	before = start(w);
	for (i = 0; i < sizeof(string_rules) / sizeof(string_rules[0]); i++) {
		int fld = string_rules[i].field;
		const char *name = C(roster_field_name)(fld);

		seen[fld] = 1;
		for (v = 0; v < 4; v++) {
			const char *value;

			if (!string_rules[i].rules[v])
				continue;
			/* at creation */
			f = base_form(w);
			OK(C(roster_form_set_str)(f, fld, values[v]));
			id = 77;
			DERR(w, C(roster_user_create)(&id, w->dir, &w->system,
						      w->account, f),
			     ROSTER_EINVALID, string_rules[i].rules[v], name);
			assert_int_equal(id, 0);
			/* secrets are never reported; other values are, and
			 * escaped when they are not UTF-8 */
			value = C(roster_error_value)(
				C(roster_directory_error)(w->dir));
			if (fld == ROSTER_FIELD_PASSWORD)
				assert_string_equal(value, "");
			assert_true(strlen(value) < 200);
			if (v == 2 && value[0])
				assert_non_null(strstr(value, "\\xFF"));
			C(roster_form_free)(f);
			/* and when editing */
			OK(C(roster_form_new)(&f, w->dir));
			OK(C(roster_form_set_str)(f, fld, values[v]));
			DERR(w, C(roster_user_update)(w->dir, &w->system,
						      w->admin, f),
			     ROSTER_EINVALID, NULL, NULL);
			C(roster_form_free)(f);
		}
	}
	/* every string field is covered */
	for (field = 1; field < ROSTER_FIELD_END; field++)
		if (C(roster_field_type)(field) == ROSTER_TYPE_STRING)
			assert_int_equal(seen[field], 1);
	unchanged(w, before);
	world_free(w);
}

static void test_user_values(void **state)
{
	world *w = world_new(NULL);
	roster_form *f;
	roster_id id = 77;
	const char *bad_lines[1];
	const char *dup_lines[2] = { "+33 1 11 11 11 11", "+33111111111" };
	const char *many[ROSTER_LINES_MAX + 1];
	char *before;
	size_t i;
	static const char *const line_values[] = {
		"", "123", "+0123", "+1", "+1234567890123456", "+33 1 a", NULL,
	};

	(void)state;
	before = start(w);
	/* lines */
	for (i = 0; line_values[i]; i++) {
		f = base_form(w);
		bad_lines[0] = line_values[i];
		OK(C(roster_form_set_lines)(f, bad_lines, 1));
		DERR(w, C(roster_user_create)(&id, w->dir, &w->system,
					      w->account, f),
		     ROSTER_EINVALID, "phone.e164", "lines");
		C(roster_form_free)(f);
	}
	{
		const char *odd[3] = { huge, bad1, bad2 };

		for (i = 0; i < 3; i++) {
			f = base_form(w);
			OK(C(roster_form_set_lines)(f, &odd[i], 1));
			DERR(w, C(roster_user_create)(&id, w->dir, &w->system,
						      w->account, f),
			     ROSTER_EINVALID, "phone.e164", "lines");
			C(roster_form_free)(f);
		}
	}
	f = base_form(w);
	OK(C(roster_form_set_lines)(f, dup_lines, 2));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "line.duplicate", "lines");
	for (i = 0; i <= ROSTER_LINES_MAX; i++)
		many[i] = "+33 1 00 00 00 09";
	OK(C(roster_form_set_lines)(f, many, ROSTER_LINES_MAX + 1));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "line.count", "lines");
	C(roster_form_free)(f);

	/* references: 0 ids are "none", unknown ids and other kinds are not
	 * found, records of another account are refused */
	f = base_form(w);
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_GROUP, UNKNOWN));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_ENOTFOUND, "ref.notfound", "group");
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_GROUP, w->site));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_ENOTFOUND, "ref.notfound", "group");
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_GROUP, 0));
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_SITE, w->admin));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_ENOTFOUND, "ref.notfound", "site");
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_SITE, 0));
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_PBX, w->other_account));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_ENOTFOUND, "ref.notfound", "pbx");
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_PBX, 0));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "extension.pbx", "extension");
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_EXTENSION, NULL));
	OK(C(roster_form_set_ref)(f, ROSTER_FIELD_PBX, w->pbx));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "extension.required", "extension");
	C(roster_form_free)(f);

	/* required fields, and an address without its required parts */
	OK(C(roster_form_new)(&f, w->dir));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "field.required", "first_name");
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_FIRST_NAME, "A"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_LAST_NAME, ""));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "field.required", "last_name");
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_LAST_NAME, "B"));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "field.required", "email");
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_EMAIL, "a.b@acme.example"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_ADDRESS_POSTCODE, "75001"));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "address.incomplete", "address_street");
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_ADDRESS_POSTCODE, NULL));
	/* a password below the policy, an empty one */
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_PASSWORD, "short"));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "password.length", "password");
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_PASSWORD, ""));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EINVALID, "text.empty", "password");
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_PASSWORD, NULL));
	/* the e-mail is unique across the directory, whatever its case */
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_EMAIL, " OTTO@Globex.Example"));
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account, f),
	     ROSTER_EEXISTS, "email.unique", "email");
	assert_int_equal(id, 0);
	C(roster_form_free)(f);
	unchanged(w, before);
	world_free(w);
}

static void test_user_calls(void **state)
{
	world *w = world_new(NULL);
	roster_form *f = base_form(w);
	roster_user *u = (roster_user *)&w;
	roster_id id = 77;
	int access = 7;
	char *before;

	(void)state;
	before = start(w);
	DERR(w, C(roster_user_create)(NULL, w->dir, &w->system, w->account, f),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_user_create)(&id, NULL, &w->system, w->account, f),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_user_create)(&id, w->dir, NULL, w->account, f),
	     ROSTER_EINVAL, "arg.null", "actor");
	assert_int_equal(id, 0);
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->account,
				      NULL),
	     ROSTER_EINVAL, "arg.null", "form");
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, 0, f),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, UNKNOWN, f),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->partner, f),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_user_create)(&id, w->dir, &w->system, w->admin, f),
	     ROSTER_ENOTFOUND, "record.notfound", "account");

	TERR(C(roster_user_update)(NULL, &w->system, w->admin, f),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_user_update)(w->dir, NULL, w->admin, f),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_user_update)(w->dir, &w->system, w->admin, NULL),
	     ROSTER_EINVAL, "arg.null", "form");
	DERR(w, C(roster_user_update)(w->dir, &w->system, 0, f),
	     ROSTER_ENOTFOUND, "record.notfound", "user");
	DERR(w, C(roster_user_update)(w->dir, &w->system, UNKNOWN, f),
	     ROSTER_ENOTFOUND, "record.notfound", "user");
	DERR(w, C(roster_user_update)(w->dir, &w->system, w->account, f),
	     ROSTER_ENOTFOUND, "record.notfound", "user");

	TERR(C(roster_user_delete)(NULL, &w->system, w->admin), ROSTER_EINVAL,
	     "arg.null", "dir");
	DERR(w, C(roster_user_delete)(w->dir, NULL, w->admin), ROSTER_EINVAL,
	     "arg.null", "actor");
	DERR(w, C(roster_user_delete)(w->dir, &w->system, 0), ROSTER_ENOTFOUND,
	     "record.notfound", "user");
	DERR(w, C(roster_user_delete)(w->dir, &w->system, UNKNOWN),
	     ROSTER_ENOTFOUND, "record.notfound", "user");
	DERR(w, C(roster_user_delete)(w->dir, &w->system, w->site),
	     ROSTER_ENOTFOUND, "record.notfound", "user");

	DERR(w, C(roster_user_field_access)(NULL, w->dir, &w->system, w->admin,
					    ROSTER_FIELD_NOTE),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_user_field_access)(&access, NULL, &w->system, w->admin,
					 ROSTER_FIELD_NOTE),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_user_field_access)(&access, w->dir, NULL, w->admin,
					    ROSTER_FIELD_NOTE),
	     ROSTER_EINVAL, "arg.null", "actor");
	assert_int_equal(access, 0);
	DERR(w, C(roster_user_field_access)(&access, w->dir, &w->system,
					    w->admin, 0),
	     ROSTER_EINVAL, "arg.range", "field");
	DERR(w, C(roster_user_field_access)(&access, w->dir, &w->system,
					    w->admin, ROSTER_FIELD_END),
	     ROSTER_EINVAL, "arg.range", "field");
	DERR(w, C(roster_user_field_access)(&access, w->dir, &w->system,
					    w->admin, -3),
	     ROSTER_EINVAL, "arg.range", "field");
	/* the target is a user or an account */
	DERR(w, C(roster_user_field_access)(&access, w->dir, &w->system, 0,
					    ROSTER_FIELD_NOTE),
	     ROSTER_ENOTFOUND, "record.notfound", "target");
	DERR(w, C(roster_user_field_access)(&access, w->dir, &w->system,
					    UNKNOWN, ROSTER_FIELD_NOTE),
	     ROSTER_ENOTFOUND, "record.notfound", "target");
	DERR(w, C(roster_user_field_access)(&access, w->dir, &w->system,
					    w->site, ROSTER_FIELD_NOTE),
	     ROSTER_ENOTFOUND, "record.notfound", "target");
	DERR(w, C(roster_user_field_access)(&access, w->dir, &w->system,
					    w->partner, ROSTER_FIELD_NOTE),
	     ROSTER_ENOTFOUND, "record.notfound", "target");
	assert_int_equal(access, 0);

	DERR(w, C(roster_user_get)(NULL, w->dir, w->admin), ROSTER_EINVAL,
	     "arg.null", "out");
	TERR(C(roster_user_get)(&u, NULL, w->admin), ROSTER_EINVAL, "arg.null",
	     "dir");
	DERR(w, C(roster_user_get)(&u, w->dir, 0), ROSTER_ENOTFOUND,
	     "record.notfound", "user");
	assert_null(u);
	DERR(w, C(roster_user_get)(&u, w->dir, UNKNOWN), ROSTER_ENOTFOUND,
	     "record.notfound", "user");
	DERR(w, C(roster_user_get)(&u, w->dir, w->account), ROSTER_ENOTFOUND,
	     "record.notfound", "user");
	assert_null(u);

	DERR(w, C(roster_user_find_login)(NULL, w->dir, "ada@acme.example"),
	     ROSTER_EINVAL, "arg.null", "out");
	TERR(C(roster_user_find_login)(&id, NULL, "ada@acme.example"),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_user_find_login)(&id, w->dir, NULL), ROSTER_EINVAL,
	     "arg.null", "email");
	DERR(w, C(roster_user_find_login)(&id, w->dir, ""), ROSTER_ENOTFOUND,
	     "record.notfound", "email");
	assert_int_equal(id, 0);
	DERR(w, C(roster_user_find_login)(&id, w->dir, huge), ROSTER_ENOTFOUND,
	     "record.notfound", "email");
	DERR(w, C(roster_user_find_login)(&id, w->dir, bad1), ROSTER_ENOTFOUND,
	     "record.notfound", "email");
	DERR(w, C(roster_user_find_login)(&id, w->dir, bad2), ROSTER_ENOTFOUND,
	     "record.notfound", "email");
	DERR(w, C(roster_user_find_login)(&id, w->dir, "ada@acme.example\x01"),
	     ROSTER_ENOTFOUND, "record.notfound", "email");
	DERR(w, C(roster_user_find_login)(&id, w->dir, "nobody@acme.example"),
	     ROSTER_ENOTFOUND, "record.notfound", "email");
	unchanged(w, before);
	C(roster_form_free)(f);

	/* getters of a NULL user give their neutral values */
	assert_int_equal(C(roster_user_id)(NULL), 0);
	assert_int_equal(C(roster_user_account)(NULL), 0);
	assert_null(C(roster_user_str)(NULL, ROSTER_FIELD_EMAIL));
	assert_int_equal(C(roster_user_bool)(NULL, ROSTER_FIELD_ADMIN), 0);
	assert_int_equal(C(roster_user_ref)(NULL, ROSTER_FIELD_PBX), 0);
	assert_int_equal(C(roster_user_line_count)(NULL), 0);
	assert_null(C(roster_user_line)(NULL, 0));
	assert_int_equal(C(roster_user_has_password)(NULL), 0);
	assert_int_equal(C(roster_user_version)(NULL), 0);
	C(roster_user_free)(NULL);

	/* and of a user, for fields out of range or of another type */
	OK(C(roster_user_find_login)(&id, w->dir, "ADA@acme.example"));
	assert_int_equal(id, w->admin);
	OK(C(roster_user_get)(&u, w->dir, w->admin));
	assert_int_equal(C(roster_user_id)(u), w->admin);
	assert_int_equal(C(roster_user_account)(u), w->account);
	assert_string_equal(C(roster_user_str)(u, ROSTER_FIELD_EMAIL),
			    "ada@acme.example");
	assert_null(C(roster_user_str)(u, 0));
	assert_null(C(roster_user_str)(u, ROSTER_FIELD_END));
	assert_null(C(roster_user_str)(u, ROSTER_FIELD_PASSWORD));
	assert_null(C(roster_user_str)(u, ROSTER_FIELD_ADMIN));
	assert_null(C(roster_user_str)(u, ROSTER_FIELD_PHONE));
	assert_int_equal(C(roster_user_bool)(u, ROSTER_FIELD_ADMIN), 1);
	assert_int_equal(C(roster_user_bool)(u, ROSTER_FIELD_EMAIL), 0);
	assert_int_equal(C(roster_user_bool)(u, -1), 0);
	assert_int_equal(C(roster_user_bool)(u, ROSTER_FIELD_END), 0);
	assert_int_equal(C(roster_user_ref)(u, ROSTER_FIELD_PBX), 0);
	assert_int_equal(C(roster_user_ref)(u, ROSTER_FIELD_ADMIN), 0);
	assert_int_equal(C(roster_user_ref)(u, INT_MAX), 0);
	assert_int_equal(C(roster_user_line_count)(u), 0);
	assert_null(C(roster_user_line)(u, 0));
	assert_null(C(roster_user_line)(u, SIZE_MAX));
	assert_int_equal(C(roster_user_has_password)(u), 0);
	C(roster_user_free)(u);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* password.h                                                          */

static void test_policy(void **state)
{
	world *w = world_new(NULL);
	roster_password_policy p, q;
	char *before;
	static const struct {
		const char *member;
		size_t offset;
		long long value;
	} bad[] = {
#define M(m) #m, offsetof(roster_password_policy, m)
		{ M(min_length), ROSTER_PASSWORD_LENGTH_MIN - 1 },
		{ M(min_length), ROSTER_PASSWORD_LENGTH_MAX + 1 },
		{ M(max_length), 7 },
		{ M(max_length), ROSTER_PASSWORD_LENGTH_MAX + 1 },
		{ M(required_classes), 0x10 },
		{ M(generated_length), 7 },
		{ M(generated_length), 129 },
		{ M(hash_cost), 0 },
		{ M(hash_cost), 12 },
		{ M(reset_ttl), 59 },
		{ M(reset_ttl), 90LL * 86400 + 1 },
		{ M(reset_ttl), -1 },
		{ M(welcome_ttl), 0 },
		{ M(welcome_ttl), INT64_MAX },
#undef M
	};
	size_t i;

	(void)state;
	TERR(C(roster_password_policy_init)(NULL, 1), ROSTER_EINVAL,
	     "arg.null", "policy");
	TERR(C(roster_password_policy_init)(&p, 0), ROSTER_EVERSION,
	     "arg.version", "version");
	TERR(C(roster_password_policy_init)(&p,
					    ROSTER_PASSWORD_POLICY_VERSION + 1),
	     ROSTER_EVERSION, "arg.version", "version");
	OK(C(roster_password_policy_init)(&p, ROSTER_PASSWORD_POLICY_VERSION));
	assert_int_equal(p.min_length, 12);

	before = start(w);
	OK(C(roster_directory_get_password_policy)(w->dir, &p));
	q = p;
	TERR(C(roster_directory_set_password_policy)(NULL, &p), ROSTER_EINVAL,
	     "arg.null", "dir");
	DERR(w, C(roster_directory_set_password_policy)(w->dir, NULL),
	     ROSTER_EINVAL, "arg.null", "policy");
	p.version = 0;
	DERR(w, C(roster_directory_set_password_policy)(w->dir, &p),
	     ROSTER_EVERSION, "arg.version", "version");
	p.version = ROSTER_PASSWORD_POLICY_VERSION + 1;
	DERR(w, C(roster_directory_set_password_policy)(w->dir, &p),
	     ROSTER_EVERSION, "arg.version", "version");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = q;
		if (!strcmp(bad[i].member, "reset_ttl") ||
		    !strcmp(bad[i].member, "welcome_ttl"))
			*(int64_t *)((char *)&p + bad[i].offset) = bad[i].value;
		else
			*(unsigned *)((char *)&p + bad[i].offset) =
				(unsigned)bad[i].value;
		/* keep the other members valid around the one tested */
		if (!strcmp(bad[i].member, "min_length") &&
		    bad[i].value > ROSTER_PASSWORD_LENGTH_MAX) {
			p.max_length = ROSTER_PASSWORD_LENGTH_MAX;
			p.generated_length = ROSTER_PASSWORD_LENGTH_MAX;
		}
		DERR(w, C(roster_directory_set_password_policy)(w->dir, &p),
		     ROSTER_EINVAL, "policy.range", bad[i].member);
	}
	/* nothing of that was applied */
	p.version = ROSTER_PASSWORD_POLICY_VERSION;
	OK(C(roster_directory_get_password_policy)(w->dir, &p));
	assert_memory_equal(&p, &q, sizeof(p));

	TERR(C(roster_directory_get_password_policy)(NULL, &p), ROSTER_EINVAL,
	     "arg.null", "dir");
	TERR(C(roster_directory_get_password_policy)(w->dir, NULL),
	     ROSTER_EINVAL, "arg.null", "out");
	p.version = 0;
	TERR(C(roster_directory_get_password_policy)(w->dir, &p),
	     ROSTER_EVERSION, "arg.version", "version");
	p.version = ROSTER_PASSWORD_POLICY_VERSION + 1;
	TERR(C(roster_directory_get_password_policy)(w->dir, &p),
	     ROSTER_EVERSION, "arg.version", "version");
	unchanged(w, before);
	world_free(w);
}

static void test_password_calls(void **state)
{
	world *w = world_new(NULL);
	char buf[300], *before;
	roster_id id = 77, users[2];
	roster_password_policy p;

	(void)state;
	p.version = ROSTER_PASSWORD_POLICY_VERSION;
	OK(C(roster_directory_get_password_policy)(w->dir, &p));
	before = start(w);
	TERR(C(roster_password_check)(NULL, "Long-enough-1"), ROSTER_EINVAL,
	     "arg.null", "dir");
	DERR(w, C(roster_password_check)(w->dir, NULL), ROSTER_EINVAL,
	     "arg.null", "password");
	DERR(w, C(roster_password_check)(w->dir, ""), ROSTER_EINVALID,
	     "password.length", "password");
	DERR(w, C(roster_password_check)(w->dir, "short"), ROSTER_EINVALID,
	     "password.length", "password");
	DERR(w, C(roster_password_check)(w->dir, huge), ROSTER_EINVALID,
	     "password.long", "password");
	DERR(w, C(roster_password_check)(w->dir, bad1), ROSTER_EINVALID,
	     "password.utf8", "password");
	DERR(w, C(roster_password_check)(w->dir, bad2), ROSTER_EINVALID,
	     "password.utf8", "password");
	DERR(w, C(roster_password_check)(w->dir, "long enough\xFF"),
	     ROSTER_EINVALID, "password.utf8", "password");
	/* a password is never shown back */
	assert_string_equal(C(roster_error_value)(
				    C(roster_directory_error)(w->dir)),
			    "");
	OK(C(roster_password_check)(w->dir, "Long-enough-1"));

	TERR(C(roster_password_generate)(NULL, buf, sizeof(buf)),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_password_generate)(w->dir, NULL, sizeof(buf)),
	     ROSTER_EINVAL, "arg.null", "buf");
	DERR(w, C(roster_password_generate)(w->dir, buf, 0), ROSTER_EINVAL,
	     "arg.range", "size");
	DERR(w, C(roster_password_generate)(w->dir, buf, p.generated_length),
	     ROSTER_EINVAL, "arg.range", "size");
	OK(C(roster_password_generate)(w->dir, buf, p.generated_length + 1));
	assert_int_equal(strlen(buf), p.generated_length);

	DERR(w, C(roster_login)(NULL, w->dir, "ada@acme.example", "x"),
	     ROSTER_EINVAL, "arg.null", "user_out");
	TERR(C(roster_login)(&id, NULL, "ada@acme.example", "x"),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_login)(&id, w->dir, NULL, "x"), ROSTER_EINVAL,
	     "arg.null", "email");
	DERR(w, C(roster_login)(&id, w->dir, "ada@acme.example", NULL),
	     ROSTER_EINVAL, "arg.null", "password");
	/* unknown login, no password, wrong password: one answer */
	DERR(w, C(roster_login)(&id, w->dir, "", ""), ROSTER_EAUTH,
	     "login.failed", "");
	assert_int_equal(id, 0);
	DERR(w, C(roster_login)(&id, w->dir, huge, huge), ROSTER_EAUTH,
	     "login.failed", "");
	DERR(w, C(roster_login)(&id, w->dir, bad1, bad2), ROSTER_EAUTH,
	     "login.failed", "");
	DERR(w, C(roster_login)(&id, w->dir, "ada@acme.example", "whatever-1"),
	     ROSTER_EAUTH, "login.failed", "");
	assert_int_equal(id, 0);

	users[0] = w->admin;
	users[1] = 0;
	TERR(C(roster_password_reset)(NULL, &w->system, w->account, NULL, 0),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_password_reset)(w->dir, NULL, w->account, NULL, 0),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_password_reset)(w->dir, &w->system, w->account, NULL,
					 2),
	     ROSTER_EINVAL, "arg.null", "users");
	DERR(w, C(roster_password_reset)(w->dir, &w->system, 0, NULL, 0),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_password_reset)(w->dir, &w->system, UNKNOWN, NULL, 0),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_password_reset)(w->dir, &w->system, w->site, NULL, 0),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	/* all or nothing: one bad id refuses the whole request */
	DERR(w, C(roster_password_reset)(w->dir, &w->system, w->account, users,
					 2),
	     ROSTER_ENOTFOUND, "record.notfound", "users");
	users[1] = UNKNOWN;
	DERR(w, C(roster_password_reset)(w->dir, &w->system, w->account, users,
					 2),
	     ROSTER_ENOTFOUND, "record.notfound", "users");
	users[1] = w->group;
	DERR(w, C(roster_password_reset)(w->dir, &w->system, w->account, users,
					 2),
	     ROSTER_ENOTFOUND, "record.notfound", "users");
	users[1] = w->other_admin;
	DERR(w, C(roster_password_reset)(w->dir, &w->system, w->account, users,
					 2),
	     ROSTER_EINVALID, "user.account", "users");
	DERR(w, C(roster_password_reset)(w->dir, &w->as_admin, w->account,
					 users, 2),
	     ROSTER_EDENIED, "auth.scope", "users");

	TERR(C(roster_welcome_send)(NULL, &w->system, w->account, NULL, 0),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_welcome_send)(w->dir, NULL, w->account, NULL, 0),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_welcome_send)(w->dir, &w->system, w->account, NULL,
				       1),
	     ROSTER_EINVAL, "arg.null", "users");
	DERR(w, C(roster_welcome_send)(w->dir, &w->system, 0, NULL, 0),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_welcome_send)(w->dir, &w->system, w->admin, NULL, 0),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	users[1] = 0;
	DERR(w, C(roster_welcome_send)(w->dir, &w->system, w->account, users,
				       2),
	     ROSTER_ENOTFOUND, "record.notfound", "users");
	users[1] = w->other_admin;
	DERR(w, C(roster_welcome_send)(w->dir, &w->system, w->account, users,
				       2),
	     ROSTER_EINVALID, "user.account", "users");
	DERR(w, C(roster_welcome_send)(w->dir, &w->as_admin, w->account, users,
				       2),
	     ROSTER_EDENIED, "auth.scope", "users");
	unchanged(w, before);
	world_free(w);
}

static void test_token_redeem(void **state)
{
	world *w = world_new(NULL);
	char token[128], forged[128], *before;
	roster_id id = 77;
	size_t i;
	const char *bad_tokens[] = {
		"",
		".",
		"abc",
		"1",
		"1.",
		"0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"01.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"99999999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"987654321.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		bad1,
		bad2,
		ctrl,
		huge,
		forged,
	};

	(void)state;
	/* a real token, and a forged one for the same user */
	assert_int_equal(roster_password_reset(w->dir, &w->system, w->account,
					       &w->admin, 1),
			 0);
	snprintf(token, sizeof(token), "%s",
		 world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
	snprintf(forged, sizeof(forged), "%llu.%s",
		 (unsigned long long)w->admin,
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

	before = start(w);
	DERR(w, C(roster_token_redeem)(NULL, w->dir, token, "Good-password-1"),
	     ROSTER_EINVAL, "arg.null", "user_out");
	TERR(C(roster_token_redeem)(&id, NULL, token, "Good-password-1"),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_token_redeem)(&id, w->dir, NULL, "Good-password-1"),
	     ROSTER_EINVAL, "arg.null", "token");
	DERR(w, C(roster_token_redeem)(&id, w->dir, token, NULL), ROSTER_EINVAL,
	     "arg.null", "password");
	for (i = 0; i < sizeof(bad_tokens) / sizeof(bad_tokens[0]); i++)
		DERR(w, C(roster_token_redeem)(&id, w->dir, bad_tokens[i],
					       "Good-password-1"),
		     ROSTER_EEXPIRED, "token.invalid", "");
	assert_int_equal(id, 0);
	/* the password is checked, and the token is not spent on a refusal */
	DERR(w, C(roster_token_redeem)(&id, w->dir, token, "short"),
	     ROSTER_EINVALID, "password.length", "password");
	DERR(w, C(roster_token_redeem)(&id, w->dir, token, bad1),
	     ROSTER_EINVALID, "password.utf8", "password");
	DERR(w, C(roster_token_redeem)(&id, w->dir, token, huge),
	     ROSTER_EINVALID, "password.long", "password");
	assert_int_equal(id, 0);
	unchanged(w, before);
	OK(C(roster_token_redeem)(&id, w->dir, token, "Good-password-1"));
	assert_int_equal(id, w->admin);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* catalog.h                                                           */

/* The pairwise questions: NULL arguments, unknown items. */
typedef int (*cat_pair_fn)(const roster_catalog *, const char *,
			   const char *);

static void catalog_pair(const roster_catalog *def, cat_pair_fn fn,
			 const char *f1, const char *f2, const char *k1,
			 const char *k2, const char *id1, const char *id2)
{
	TERR(fn(NULL, id1, id2), ROSTER_EINVAL, "arg.null", "cat");
	TERR(fn(def, NULL, id2), ROSTER_EINVAL, "arg.null", f1);
	TERR(fn(def, id1, NULL), ROSTER_EINVAL, "arg.null", f2);
	TERR(fn(def, huge, id2), ROSTER_ENOTFOUND, "catalog.unknown", k1);
	TERR(fn(def, bad1, id2), ROSTER_ENOTFOUND, "catalog.unknown", k1);
	TERR(fn(def, id1, bad2), ROSTER_ENOTFOUND, "catalog.unknown", k2);
	assert_string_equal(C(roster_error_value)(C(roster_error_last)()),
			    "\\xFF");
	TERR(fn(def, id1, ctrl), ROSTER_ENOTFOUND, "catalog.unknown", k2);
	TERR(fn(def, id1, ""), ROSTER_ENOTFOUND, "catalog.unknown", k2);
	assert_true(fn(def, id1, id2) == 0 || fn(def, id1, id2) == 1);
}

static void test_catalog_args(void **state)
{
	roster_catalog *cat = (roster_catalog *)&cat, *def = NULL;
	roster_lint *lint = (roster_lint *)&lint;
	roster_password_policy p;

	(void)state;
	/* loading */
	TERR(C(roster_catalog_load_file)(NULL, "catalog.xml"), ROSTER_EINVAL,
	     "arg.null", "out");
	TERR(C(roster_catalog_load_file)(&cat, NULL), ROSTER_EINVAL,
	     "arg.null", "path");
	assert_null(cat);
	TERR(C(roster_catalog_load_file)(&cat, ""), ROSTER_ESTORAGE,
	     "catalog.read", "catalog");
	TERR(C(roster_catalog_load_file)(&cat, huge), ROSTER_ESTORAGE,
	     "catalog.read", "catalog");
	TERR(C(roster_catalog_load_file)(&cat, bad2), ROSTER_ESTORAGE,
	     "catalog.read", "catalog");
	TERR(C(roster_catalog_load_buffer)(NULL, "<x/>", 4, NULL),
	     ROSTER_EINVAL, "arg.null", "out");
	cat = (roster_catalog *)&cat;
	TERR(C(roster_catalog_load_buffer)(&cat, NULL, 4, NULL), ROSTER_EINVAL,
	     "arg.null", "xml");
	assert_null(cat);
	TERR(C(roster_catalog_load_buffer)(&cat, "", 0, "e.xml"),
	     ROSTER_EPARSE, "catalog.syntax", "catalog");
	TERR(C(roster_catalog_load_buffer)(&cat, huge, 100000, ctrl),
	     ROSTER_EPARSE, "catalog.syntax", "catalog");
	TERR(C(roster_catalog_load_buffer)(&cat, bad1, 2, bad2), ROSTER_EPARSE,
	     "catalog.syntax", "catalog");
	/* a name that is not UTF-8 is shown escaped */
	assert_int_equal(strncmp(C(roster_error_value)(C(roster_error_last)()),
				 "\\xFF:1: ", 8),
			 0);
	/* the size is refused before a byte is read */
	TERR(C(roster_catalog_load_buffer)(&cat, "<x/>",
					   ROSTER_CATALOG_SIZE_MAX + 1, NULL),
	     ROSTER_EPARSE, "catalog.size", "catalog");
	TERR(C(roster_catalog_load_buffer)(&cat, "<x/>", SIZE_MAX, NULL),
	     ROSTER_EPARSE, "catalog.size", "catalog");
	assert_null(cat);
	TERR(C(roster_catalog_load_default)(NULL), ROSTER_EINVAL, "arg.null",
	     "out");
	OK(C(roster_catalog_load_default)(&def));
	C(roster_catalog_free)(NULL);
	assert_null(C(roster_catalog_ref)(NULL));
	assert_ptr_equal(C(roster_catalog_ref)(def), def);
	C(roster_catalog_free)(def);
	assert_non_null(strstr(C(roster_catalog_schema)(), "<grammar"));
	assert_non_null(strstr(C(roster_catalog_default_xml)(), "<catalog"));

	/* reading: the neutral value for NULL, unknown kinds and items */
	assert_int_equal(C(roster_catalog_count)(NULL, ROSTER_ITEM_LICENCE), 0);
	assert_int_equal(C(roster_catalog_count)(def, 0), 0);
	assert_int_equal(C(roster_catalog_count)(def, -1), 0);
	assert_int_equal(C(roster_catalog_count)(def, ROSTER_ITEM_LANGUAGE + 1),
			 0);
	assert_null(C(roster_catalog_item)(NULL, ROSTER_ITEM_LICENCE, 0));
	assert_null(C(roster_catalog_item)(def, 0, 0));
	assert_null(C(roster_catalog_item)(def, ROSTER_ITEM_LICENCE, SIZE_MAX));
	assert_int_equal(C(roster_catalog_has)(NULL, ROSTER_ITEM_LICENCE,
					       "video"),
			 0);
	assert_int_equal(C(roster_catalog_has)(def, ROSTER_ITEM_LICENCE, NULL),
			 0);
	assert_int_equal(C(roster_catalog_has)(def, 99, "video"), 0);
	assert_int_equal(C(roster_catalog_has)(def, ROSTER_ITEM_LICENCE, huge),
			 0);
	assert_int_equal(C(roster_catalog_has)(def, ROSTER_ITEM_LICENCE, bad1),
			 0);
	assert_int_equal(C(roster_catalog_has)(def, ROSTER_ITEM_LICENCE,
					       "video"),
			 1);
	assert_null(C(roster_catalog_name)(NULL, ROSTER_ITEM_LICENCE, "video",
					   ROSTER_LANG_EN, NULL));
	assert_null(C(roster_catalog_name)(def, ROSTER_ITEM_LICENCE, NULL,
					   ROSTER_LANG_EN, NULL));
	assert_null(C(roster_catalog_name)(def, ROSTER_ITEM_LICENCE, "video",
					   (roster_language)-1, NULL));
	assert_null(C(roster_catalog_name)(def, ROSTER_ITEM_LICENCE, "video",
					   (roster_language)ROSTER_LANG_COUNT,
					   NULL));
	assert_null(C(roster_catalog_name)(def, ROSTER_ITEM_LICENCE, "video",
					   ROSTER_LANG_EN, huge));
	assert_null(C(roster_catalog_name)(def, ROSTER_ITEM_LICENCE, ctrl,
					   ROSTER_LANG_EN, NULL));
	assert_null(C(roster_catalog_name)(def, 0, "video", ROSTER_LANG_EN,
					   NULL));
	assert_null(C(roster_catalog_licence_family)(NULL, "video"));
	assert_null(C(roster_catalog_licence_family)(def, NULL));
	assert_null(C(roster_catalog_licence_family)(def, bad2));
	assert_null(C(roster_catalog_licence_tier)(NULL, "helpdesk-mini"));
	assert_null(C(roster_catalog_licence_tier)(def, NULL));
	assert_null(C(roster_catalog_licence_tier)(def, huge));
	catalog_pair(def, C(roster_catalog_licence_needs), "licence", "service",
		     "licence", "service", "helpdesk-mini", "pbx");
	catalog_pair(def, C(roster_catalog_change_allowed), "from", "to",
		     "licence", "licence", "helpdesk-mini", "video");
	catalog_pair(def, C(roster_catalog_edition_offers), "edition",
		     "licence", "edition", "licence", "mini", "video");
	catalog_pair(def, C(roster_catalog_edition_orders), "edition",
		     "service", "edition", "service", "mini", "pbx");
	catalog_pair(def, C(roster_catalog_pack_includes), "pack", "client",
		     "pack", "client", "basic", "web");
	roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION);
	TERR(C(roster_catalog_password_policy)(NULL, &p), ROSTER_EINVAL,
	     "arg.null", "cat");
	TERR(C(roster_catalog_password_policy)(def, NULL), ROSTER_EINVAL,
	     "arg.null", "out");
	p.version = 0;
	TERR(C(roster_catalog_password_policy)(def, &p), ROSTER_EVERSION,
	     "arg.version", "version");
	p.version = ROSTER_PASSWORD_POLICY_VERSION + 1;
	TERR(C(roster_catalog_password_policy)(def, &p), ROSTER_EVERSION,
	     "arg.version", "version");
	p.version = UINT_MAX;
	TERR(C(roster_catalog_password_policy)(def, &p), ROSTER_EVERSION,
	     "arg.version", "version");

	/* lint */
	TERR(C(roster_catalog_lint)(NULL, def), ROSTER_EINVAL, "arg.null",
	     "out");
	TERR(C(roster_catalog_lint)(&lint, NULL), ROSTER_EINVAL, "arg.null",
	     "cat");
	assert_null(lint);
	TERR(C(roster_catalog_lint_file)(NULL, "catalog.xml"), ROSTER_EINVAL,
	     "arg.null", "out");
	lint = (roster_lint *)&lint;
	TERR(C(roster_catalog_lint_file)(&lint, NULL), ROSTER_EINVAL,
	     "arg.null", "path");
	assert_null(lint);
	TERR(C(roster_catalog_lint_file)(&lint, huge), ROSTER_ESTORAGE,
	     "catalog.read", "catalog");
	assert_null(lint);
	C(roster_lint_free)(NULL);
	assert_int_equal(C(roster_lint_count)(NULL), 0);
	assert_int_equal(C(roster_lint_code_of)(NULL, 0), 0);
	assert_null(C(roster_lint_item)(NULL, 0, 0));
	assert_int_equal(C(roster_lint_line)(NULL, 0), 0);
	assert_null(C(roster_lint_message)(NULL, 0, ROSTER_LANG_EN));
	OK(C(roster_catalog_lint)(&lint, def));
	assert_int_equal(C(roster_lint_count)(lint), 0);
	assert_int_equal(C(roster_lint_code_of)(lint, SIZE_MAX), 0);
	assert_null(C(roster_lint_item)(lint, 0, 0));
	assert_null(C(roster_lint_item)(lint, 0, -1));
	assert_int_equal(C(roster_lint_line)(lint, 0), 0);
	assert_null(C(roster_lint_message)(lint, 0, (roster_language)-1));
	C(roster_lint_free)(lint);
	C(roster_catalog_free)(def);
}

/* ------------------------------------------------------------------ */
/* Re-entering the directory from its own callback                    */

typedef struct reenter {
	roster_directory *dir, *other;
	int armed, fired;
	int failures;
	roster_id partner, account, user, site;
} reenter;

static void expect_misuse(reenter *r, int rc, const char *what,
			  const roster_error *err)
{
	if (rc != ROSTER_EMISUSE ||
	    C(roster_error_code)(err) != ROSTER_EMISUSE ||
	    strcmp(C(roster_error_rule)(err), "reentrant") != 0) {
		print_error("from the callback, %s returned %d (%s)\n", what,
			    rc, C(roster_error_rule)(err));
		r->failures++;
	}
}

#define MISUSE(r, call)                                                        \
	expect_misuse((r), (call), #call, C(roster_directory_error)((r)->dir))
#define MISUSE_TL(r, call)                                                     \
	expect_misuse((r), (call), #call, C(roster_error_last)())

static void try_everything(reenter *r);

static void reenter_cb(const roster_event *e, void *data)
{
	reenter *r = data;

	/* the event itself reads fine */
	if (!r->armed ||
	    C(roster_event_type_of)(e) != ROSTER_EVENT_PARTNER_CREATED)
		return;
	assert_true(C(roster_event_seq)(e) > 0);
	assert_int_equal(C(roster_event_account)(e), 0);
	assert_true(C(roster_event_partner)(e) > 0);
	assert_int_equal(C(roster_event_user)(e), 0);
	assert_int_equal(C(roster_event_pbx)(e), 0);
	assert_null(C(roster_event_email)(e));
	assert_null(C(roster_event_secret)(e));
	assert_null(C(roster_event_password)(e));
	assert_int_equal(C(roster_event_admin)(e), 0);
	assert_int_equal(C(roster_event_replayed)(e), 0);
	assert_int_equal(C(roster_event_withheld)(e), 0);
	try_everything(r);
}

/* Every call on r->dir, each of which must fail with ROSTER_EMISUSE
 * ("reentrant"), from inside one of its callbacks. */
static void try_everything(reenter *r)
{
	roster_directory *d = r->dir;
	roster_actor sys = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	roster_password_policy p;
	roster_form *f = NULL;
	roster_record *rec = NULL;
	roster_user *u = NULL;
	roster_page *pg = NULL;
	roster_id id = 0;
	char buf[64];
	int access = 0;

	r->fired++;
	roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION);
	MISUSE(r, C(roster_directory_set_language)(d, ROSTER_LANG_FR));
	MISUSE(r, C(roster_transaction_begin)(d));
	MISUSE(r, C(roster_directory_refresh)(d));
	MISUSE(r, C(roster_outbox_replay)(d, 0, NULL));
	MISUSE(r, C(roster_account_set_licences)(d, &sys, r->account, NULL,
						 NULL, 0));
	MISUSE(r, C(roster_directory_set_catalog)(d, NULL, NULL));
	MISUSE(r, C(roster_outbox_ack)(d, 1, 1, NULL));
	MISUSE(r, C(roster_transaction_commit)(d));
	MISUSE(r, C(roster_transaction_rollback)(d));
	MISUSE(r, C(roster_directory_set_password_policy)(d, &p));
	MISUSE_TL(r, C(roster_directory_get_password_policy)(d, &p));
	MISUSE(r, C(roster_password_check)(d, "Long-enough-1"));
	MISUSE(r, C(roster_password_generate)(d, buf, sizeof(buf)));
	MISUSE(r, C(roster_login)(&id, d, "x@acme.example", "Long-enough-1"));
	MISUSE(r, C(roster_user_find_login)(&id, d, "x@acme.example"));
	MISUSE(r, C(roster_partner_create)(&id, d, &sys, "Nested"));
	MISUSE(r, C(roster_account_create)(&id, d, &sys, r->partner, "Nested"));
	MISUSE(r, C(roster_account_set_helpdesk)(d, &sys, r->account, 1));
	MISUSE(r, C(roster_site_create)(&id, d, &sys, r->account, "Nested"));
	MISUSE(r, C(roster_pbx_create)(&id, d, &sys, r->account, "Nested", 3,
				       4));
	MISUSE(r, C(roster_group_create)(&id, d, &sys, r->account, "Nested"));
	MISUSE(r, C(roster_record_rename)(d, &sys, r->site, "Nested"));
	MISUSE(r, C(roster_record_delete)(d, &sys, r->site));
	MISUSE(r, C(roster_record_get)(&rec, d, r->account));
	MISUSE(r, C(roster_list)(&pg, d, 0, ROSTER_KIND_PARTNER, NULL, 10));
	MISUSE(r, C(roster_form_new)(&f, d));
	MISUSE(r, C(roster_user_get)(&u, d, r->user));
	MISUSE(r, C(roster_user_field_access)(&access, d, &sys, r->user,
					      ROSTER_FIELD_NOTE));
	MISUSE(r, C(roster_user_delete)(d, &sys, r->user));
	MISUSE(r, C(roster_password_reset)(d, &sys, r->account, NULL, 0));
	MISUSE(r, C(roster_welcome_send)(d, &sys, r->account, NULL, 0));
	MISUSE(r, C(roster_token_redeem)(&id, d, "1.x", "Long-enough-1"));
	/* with a form made before the callback */
	{
		roster_form *g = NULL;

		C(roster_directory_set_language)(r->other, ROSTER_LANG_EN);
		OK(C(roster_form_new)(&g, r->other));
		MISUSE(r, C(roster_user_create)(&id, d, &sys, r->account, g));
		MISUSE(r, C(roster_user_update)(d, &sys, r->user, g));
		C(roster_form_free)(g);
	}
	assert_null(rec);
	assert_null(u);
	assert_null(pg);
	assert_null(f);
	/* another directory is another handle: it may be used */
	snprintf(buf, sizeof(buf), "From callback %d", r->fired);
	OK(C(roster_partner_create)(&id, r->other, &sys, buf));
	/* and this one cannot be freed under the call that called back */
	C(roster_directory_free)(d);
	if (C(roster_error_code)(C(roster_error_last)()) != ROSTER_EMISUSE) {
		print_error("from the callback, roster_directory_free did not "
			    "refuse\n");
		r->failures++;
	}
}

static size_t count_of(roster_directory *d, roster_id parent, int kind)
{
	roster_page *p = NULL;
	size_t n;

	OK(C(roster_list)(&p, d, parent, kind, NULL, 100));
	n = C(roster_page_total)(p);
	C(roster_page_free)(p);
	return n;
}

/* The records the calls of try_everything name, made before any
 * callback acts. */
static void reenter_records(reenter *r)
{
	roster_actor sys = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	roster_form *f = NULL;

	OK(C(roster_partner_create)(&r->partner, r->dir, &sys, "Partner"));
	OK(C(roster_account_create)(&r->account, r->dir, &sys, r->partner,
				    "Account"));
	OK(C(roster_site_create)(&r->site, r->dir, &sys, r->account, "Site"));
	OK(C(roster_form_new)(&f, r->dir));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_FIRST_NAME, "Re"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_LAST_NAME, "Entrant"));
	OK(C(roster_form_set_str)(f, ROSTER_FIELD_EMAIL, "re@acme.example"));
	OK(C(roster_user_create)(&r->user, r->dir, &sys, r->account, f));
	C(roster_form_free)(f);
}

static void test_reentrant(void **state)
{
	roster_directory_options o;
	roster_actor sys;
	reenter r;
	roster_id id = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	OK(C(roster_actor_init)(&sys, ROSTER_ACTOR_SYSTEM, 0));
	OK(C(roster_directory_open)(&r.other, NULL));
	OK(C(roster_directory_options_init)(&o,
					    ROSTER_DIRECTORY_OPTIONS_VERSION));
	o.event_cb = reenter_cb;
	o.event_data = &r;
	OK(C(roster_directory_open)(&r.dir, &o));
	/* records for the calls to name, made before the callback acts */
	reenter_records(&r);

	r.armed = 1;
	OK(C(roster_partner_create)(&id, r.dir, &sys, "Second"));
	r.armed = 0;
	assert_int_equal(r.fired, 1);
	assert_int_equal(r.failures, 0);
	/* nothing the callback tried was done */
	assert_int_equal(count_of(r.dir, 0, ROSTER_KIND_PARTNER), 2);
	assert_int_equal(count_of(r.dir, r.partner, ROSTER_KIND_ACCOUNT), 1);
	assert_int_equal(count_of(r.dir, r.account, ROSTER_KIND_SITE), 1);
	assert_int_equal(count_of(r.dir, r.account, ROSTER_KIND_PBX), 0);
	assert_int_equal(count_of(r.dir, r.account, ROSTER_KIND_GROUP), 0);
	assert_int_equal(count_of(r.dir, r.account, ROSTER_KIND_USER), 1);
	/* and after the callback, the directory is usable again */
	OK(C(roster_record_rename)(r.dir, &sys, r.site, "Still usable"));
	assert_int_equal(count_of(r.other, 0, ROSTER_KIND_PARTNER), 1);
	C(roster_directory_free)(r.dir);
	C(roster_directory_free)(r.other);
}

/*
 * The other host hooks are callbacks too: a store's methods (put during a
 * commit, scan during a refresh) and the clock. A call back into the
 * directory from them is refused, the call under way goes on, and what
 * it committed is in memory and in the store alike.
 */
static reenter *hook_r;
static int hook_on; /* 1 put, 2 scan, 3 clock */

static int hook_put(void *store, const char *key, const void *value,
		    size_t len, uint64_t expected, uint64_t *version)
{
	if (hook_on == 1) {
		hook_on = 0;
		try_everything(hook_r);
	}
	return roster_memstore_methods()->put(store, key, value, len, expected,
					       version);
}

static int hook_scan(void *store, const char *prefix,
		     roster_storage_row_fn row, void *data)
{
	if (hook_on == 2) {
		hook_on = 0;
		try_everything(hook_r);
	}
	return roster_memstore_methods()->scan(store, prefix, row, data);
}

static int64_t hook_clock(void *data)
{
	(void)data;
	if (hook_on == 3) {
		hook_on = 0;
		try_everything(hook_r);
	}
	return 1700000000;
}

static void test_reentrant_hooks(void **state)
{
	roster_directory_options o;
	roster_storage hooked = *roster_memstore_methods();
	roster_memstore *ms = NULL;
	roster_directory *again = NULL;
	roster_actor sys;
	roster_record *rec = NULL;
	reenter r;
	roster_id id = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	hook_r = &r;
	hooked.put = hook_put;
	hooked.scan = hook_scan;
	OK(C(roster_actor_init)(&sys, ROSTER_ACTOR_SYSTEM, 0));
	OK(C(roster_directory_open)(&r.other, NULL));
	OK(roster_memstore_new(&ms));
	OK(C(roster_directory_options_init)(&o,
					    ROSTER_DIRECTORY_OPTIONS_VERSION));
	o.storage = &hooked;
	o.store = ms;
	o.clock_fn = hook_clock;
	OK(C(roster_directory_open)(&r.dir, &o));
	reenter_records(&r);

	/* a store's put, during a commit */
	hook_on = 1;
	OK(C(roster_partner_create)(&id, r.dir, &sys, "Second"));
	assert_int_equal(r.fired, 1);
	/* the clock, inside a call (a token's deadline) */
	hook_on = 3;
	OK(C(roster_password_reset)(r.dir, &sys, r.account, NULL, 0));
	assert_int_equal(r.fired, 2);
	/* a store's scan, during a refresh */
	hook_on = 2;
	OK(C(roster_directory_refresh)(r.dir));
	assert_int_equal(r.fired, 3);
	assert_int_equal(r.failures, 0);
	/* nothing the hooks tried was done; what the calls did is stored */
	assert_int_equal(count_of(r.dir, 0, ROSTER_KIND_PARTNER), 2);
	assert_int_equal(count_of(r.dir, r.account, ROSTER_KIND_SITE), 1);
	assert_int_equal(count_of(r.dir, r.account, ROSTER_KIND_USER), 1);
	o.clock_fn = NULL;
	o.storage = roster_memstore_methods();
	OK(C(roster_directory_open)(&again, &o));
	assert_int_equal(count_of(again, 0, ROSTER_KIND_PARTNER), 2);
	OK(C(roster_record_get)(&rec, again, id));
	C(roster_record_free)(rec);
	C(roster_directory_free)(again);
	OK(C(roster_record_rename)(r.dir, &sys, r.site, "Still usable"));
	C(roster_directory_free)(r.dir);
	C(roster_directory_free)(r.other);
	roster_memstore_free(ms);
	hook_r = NULL;
}

/* ------------------------------------------------------------------ */
/* Import and export                                                   */

static long bulk_read(void *data, void *buf, size_t len)
{
	const char **text = data;
	size_t n = strlen(*text);

	if (n > len)
		n = len;
	memcpy(buf, *text, n);
	*text += n;
	return (long)n;
}

static int bulk_write(void *data, const void *buf, size_t len)
{
	(void)buf;
	*(size_t *)data += len;
	return 0;
}

static void test_bulk_args(void **state)
{
	world *w = world_new(NULL);
	roster_import_options o;
	roster_import_report *r = (roster_import_report *)&r;
	roster_actor bad = { 99, 0, 0 };
	const char *text = "first_name,last_name,email\nA,B,c@x.example\n";
	size_t written = 0;
	char *before;

	(void)state;
	/* options */
	TERR(C(roster_import_options_init)(NULL, 1), ROSTER_EINVAL, "arg.null",
	     "opts");
	TERR(C(roster_import_options_init)(&o, 0), ROSTER_EVERSION,
	     "arg.version", "version");
	TERR(C(roster_import_options_init)(&o, ROSTER_IMPORT_OPTIONS_VERSION + 1),
	     ROSTER_EVERSION, "arg.version", "version");
	OK(C(roster_import_options_init)(&o, ROSTER_IMPORT_OPTIONS_VERSION));
	assert_int_equal(o.mode, ROSTER_IMPORT_ALL_OR_NOTHING);
	assert_int_equal(o.dry_run, 0);

	before = snapshot_take(w->dir);
	/* NULL arguments: no report */
	TERR(C(roster_import)(&r, NULL, &w->system, w->account,
			      ROSTER_FORMAT_CSV, bulk_read, &text, NULL),
	     ROSTER_EINVAL, "arg.null", "dir");
	assert_null(r);
	DERR(w, C(roster_import)(NULL, w->dir, &w->system, w->account,
				 ROSTER_FORMAT_CSV, bulk_read, &text, NULL),
	     ROSTER_EINVAL, "arg.null", "report");
	r = (roster_import_report *)&r;
	DERR(w, C(roster_import)(&r, w->dir, &w->system, w->account,
				 ROSTER_FORMAT_CSV, NULL, &text, NULL),
	     ROSTER_EINVAL, "arg.null", "read");
	assert_null(r);
	/* bad values: an empty report */
	DERR(w, C(roster_import)(&r, w->dir, &w->system, w->account, 0,
				 bulk_read, &text, NULL),
	     ROSTER_EINVAL, "arg.range", "format");
	assert_int_equal(C(roster_import_rows)(r), 0);
	C(roster_import_report_free)(r);
	DERR(w, C(roster_import)(&r, w->dir, &w->system, w->account, 3,
				 bulk_read, &text, NULL),
	     ROSTER_EINVAL, "arg.range", "format");
	C(roster_import_report_free)(r);
	DERR(w, C(roster_import)(&r, w->dir, NULL, w->account,
				 ROSTER_FORMAT_CSV, bulk_read, &text, NULL),
	     ROSTER_EINVAL, "arg.null", "actor");
	C(roster_import_report_free)(r);
	DERR(w, C(roster_import)(&r, w->dir, &bad, w->account,
				 ROSTER_FORMAT_CSV, bulk_read, &text, NULL),
	     ROSTER_EINVAL, "arg.actor", NULL);
	C(roster_import_report_free)(r);
	DERR(w, C(roster_import)(&r, w->dir, &w->system, 0, ROSTER_FORMAT_CSV,
				 bulk_read, &text, NULL),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	C(roster_import_report_free)(r);
	DERR(w, C(roster_import)(&r, w->dir, &w->system, w->site,
				 ROSTER_FORMAT_XML, bulk_read, &text, NULL),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	C(roster_import_report_free)(r);
	o.version = 0;
	DERR(w, C(roster_import)(&r, w->dir, &w->system, w->account,
				 ROSTER_FORMAT_CSV, bulk_read, &text, &o),
	     ROSTER_EVERSION, "arg.version", "version");
	C(roster_import_report_free)(r);
	C(roster_import_options_init)(&o, ROSTER_IMPORT_OPTIONS_VERSION);
	o.mode = 2;
	DERR(w, C(roster_import)(&r, w->dir, &w->system, w->account,
				 ROSTER_FORMAT_CSV, bulk_read, &text, &o),
	     ROSTER_EINVAL, "arg.range", "mode");
	C(roster_import_report_free)(r);
	/* the file variant */
	TERR(C(roster_import_file)(&r, NULL, &w->system, w->account,
				   ROSTER_FORMAT_CSV, "x.csv", NULL),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_import_file)(NULL, w->dir, &w->system, w->account,
				      ROSTER_FORMAT_CSV, "x.csv", NULL),
	     ROSTER_EINVAL, "arg.null", "report");
	DERR(w, C(roster_import_file)(&r, w->dir, &w->system, w->account,
				      ROSTER_FORMAT_CSV, NULL, NULL),
	     ROSTER_EINVAL, "arg.null", "path");
	assert_null(r);
	DERR(w, C(roster_import_file)(&r, w->dir, &w->system, w->account,
				      ROSTER_FORMAT_CSV, huge, NULL),
	     ROSTER_ESTORAGE, "import.open", "path");
	C(roster_import_report_free)(r);
	DERR(w, C(roster_import_file)(&r, w->dir, &w->system, w->account,
				      ROSTER_FORMAT_CSV, bad2, NULL),
	     ROSTER_ESTORAGE, "import.open", "path");
	C(roster_import_report_free)(r);
	/* the report's getters: neutral values for NULL and past the end */
	C(roster_import_report_free)(NULL);
	assert_int_equal(C(roster_import_rows)(NULL), 0);
	assert_int_equal(C(roster_import_created)(NULL), 0);
	assert_int_equal(C(roster_import_stopped)(NULL), 0);
	assert_int_equal(C(roster_import_error_count)(NULL), 0);
	assert_int_equal(C(roster_import_error_line)(NULL, 0), 0);
	assert_null(C(roster_import_error_column)(NULL, 0));
	assert_int_equal(C(roster_import_error_code)(NULL, 0), ROSTER_OK);
	assert_null(C(roster_import_error_rule)(NULL, 0));
	assert_null(C(roster_import_error_value)(NULL, 0));
	assert_null(C(roster_import_error_message)(NULL, 0));
	{
		char buf[8] = "x";

		assert_int_equal(C(roster_import_error_message_in)(
					 NULL, 0, ROSTER_LANG_FR, buf,
					 sizeof(buf)),
				 ROSTER_EINVAL);
		assert_string_equal(buf, "");
	}
	/* export */
	TERR(C(roster_export)(NULL, &w->system, w->account, ROSTER_FORMAT_CSV,
			      bulk_write, &written),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_export)(w->dir, &w->system, w->account,
				 ROSTER_FORMAT_CSV, NULL, &written),
	     ROSTER_EINVAL, "arg.null", "write");
	DERR(w, C(roster_export)(w->dir, &w->system, w->account, -1,
				 bulk_write, &written),
	     ROSTER_EINVAL, "arg.range", "format");
	DERR(w, C(roster_export)(w->dir, NULL, w->account, ROSTER_FORMAT_CSV,
				 bulk_write, &written),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_export)(w->dir, &w->system, w->pbx, ROSTER_FORMAT_XML,
				 bulk_write, &written),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_export)(w->dir, &w->as_other_admin, w->account,
				 ROSTER_FORMAT_CSV, bulk_write, &written),
	     ROSTER_EDENIED, NULL, NULL);
	assert_int_equal(written, 0);
	unchanged(w, before);

	/* and the calls that work */
	OK(C(roster_import)(&r, w->dir, &w->system, w->account,
			    ROSTER_FORMAT_CSV, bulk_read, &text, NULL));
	assert_int_equal(C(roster_import_rows)(r), 1);
	assert_int_equal(C(roster_import_created)(r), 1);
	assert_int_equal(C(roster_import_stopped)(r), 0);
	assert_int_equal(C(roster_import_error_count)(r), 0);
	assert_int_equal(C(roster_import_error_line)(r, 0), 0);
	assert_null(C(roster_import_error_column)(r, 0));
	C(roster_import_report_free)(r);
	OK(C(roster_export)(w->dir, &w->as_admin, w->account, ROSTER_FORMAT_XML,
			    bulk_write, &written));
	assert_true(written > 0);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* Coverage of the API                                                 */

static void test_licence_args(void **state)
{
	world *w = world_new(NULL);
	roster_choices *ch = (roster_choices *)1;
	roster_catalog *cat;
	roster_record *r = NULL;
	roster_page *pg = (roster_page *)1;
	roster_form *f = NULL;
	const char *lic[] = { "video", NULL };
	const char *badlic[] = { bad2 };
	roster_actor bad = { 99, 0, 0 };

	(void)state;
	/* the directory's catalog */
	assert_null(C(roster_directory_catalog)(NULL));
	cat = C(roster_directory_catalog)(w->dir);
	assert_non_null(cat);
	TERR(C(roster_directory_set_catalog)(NULL, cat, NULL), ROSTER_EINVAL,
	     "arg.null", "dir");
	DERR(w, C(roster_directory_set_catalog)(w->dir, NULL, &pg),
	     ROSTER_EINVAL, "arg.null", "cat");
	assert_null(pg);
	OK(C(roster_directory_set_catalog)(w->dir, cat, &pg));
	assert_int_equal(roster_page_count(pg), 0);
	roster_page_free(pg);
	roster_catalog_free(cat);

	/* accounts */
	TERR(C(roster_account_set_licences)(NULL, &w->as_partner, w->account,
					    NULL, NULL, 0),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_account_set_licences)(w->dir, NULL, w->account, NULL,
					       NULL, 0),
	     ROSTER_EINVAL, "arg.null", "actor");
	DERR(w, C(roster_account_set_licences)(w->dir, &bad, w->account, NULL,
					       NULL, 0),
	     ROSTER_EINVAL, "arg.actor", "actor");
	DERR(w, C(roster_account_set_licences)(w->dir, &w->as_partner,
					       w->account, NULL, NULL, 1),
	     ROSTER_EINVAL, "arg.null", "licences");
	DERR(w, C(roster_account_set_licences)(w->dir, &w->as_partner,
					       w->account, NULL, lic, 2),
	     ROSTER_EINVAL, "arg.null", "licences");
	DERR(w, C(roster_account_set_licences)(w->dir, &w->as_partner, 999999,
					       NULL, NULL, 0),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	DERR(w, C(roster_account_set_licences)(w->dir, &w->as_partner,
					       w->account, huge, NULL, 0),
	     ROSTER_EINVALID, "edition.unknown", "edition");
	DERR(w, C(roster_account_set_licences)(w->dir, &w->as_partner,
					       w->account, NULL, badlic, 1),
	     ROSTER_EINVALID, "licence.unknown", "licences");
	OK(C(roster_account_set_licences)(w->dir, &w->as_partner, w->account,
					  "mini", lic, 1));
	assert_null(C(roster_record_edition)(NULL));
	assert_int_equal(C(roster_record_licence_count)(NULL), 0);
	assert_null(C(roster_record_licence)(NULL, 0));
	OK(roster_record_get(&r, w->dir, w->account));
	assert_string_equal(C(roster_record_edition)(r), "mini");
	assert_int_equal(C(roster_record_licence_count)(r), 1);
	assert_string_equal(C(roster_record_licence)(r, 0), "video");
	assert_null(C(roster_record_licence)(r, 1));
	roster_record_free(r);
	OK(roster_record_get(&r, w->dir, w->pbx));
	assert_null(C(roster_record_edition)(r));
	assert_int_equal(C(roster_record_licence_count)(r), 0);
	roster_record_free(r);

	/* choices */
	TERR(C(roster_user_choices)(&ch, NULL, &w->as_admin, 0, w->admin),
	     ROSTER_EINVAL, "arg.null", "dir");
	DERR(w, C(roster_user_choices)(NULL, w->dir, &w->as_admin, 0, w->admin),
	     ROSTER_EINVAL, "arg.null", "out");
	DERR(w, C(roster_user_choices)(&ch, w->dir, NULL, 0, w->admin),
	     ROSTER_EINVAL, "arg.null", "actor");
	assert_null(ch);
	DERR(w, C(roster_user_choices)(&ch, w->dir, &w->as_admin, 0, w->pbx),
	     ROSTER_ENOTFOUND, "record.notfound", "user");
	DERR(w, C(roster_user_choices)(&ch, w->dir, &w->as_admin, w->pbx, 0),
	     ROSTER_ENOTFOUND, "record.notfound", "account");
	C(roster_choices_free)(NULL);
	assert_int_equal(C(roster_choices_count)(NULL), 0);
	assert_int_equal(C(roster_choices_kind)(NULL, 0), 0);
	assert_null(C(roster_choices_item)(NULL, 0));
	assert_null(C(roster_choices_name)(NULL, 0, ROSTER_LANG_EN));
	assert_int_equal(C(roster_choices_current)(NULL, 0), 0);
	assert_int_equal(C(roster_choices_allowed)(NULL, 0), 0);
	assert_int_equal(C(roster_choices_reason_count)(NULL, 0), 0);
	assert_null(C(roster_choices_reason)(NULL, 0, 0));
	assert_null(C(roster_choices_reason_param)(NULL, 0, 0));
	assert_null(C(roster_choices_reason_message)(NULL, 0, 0, ROSTER_LANG_EN));
	OK(C(roster_user_choices)(&ch, w->dir, &w->as_admin, 0, w->admin));
	assert_true(C(roster_choices_count)(ch) > 0);
	assert_int_equal(C(roster_choices_kind)(ch, 0), ROSTER_ITEM_LICENCE);
	assert_non_null(C(roster_choices_item)(ch, 0));
	assert_non_null(C(roster_choices_name)(ch, 0, ROSTER_LANG_FR));
	assert_null(C(roster_choices_name)(ch, 0, (roster_language)7));
	assert_int_equal(C(roster_choices_current)(ch, 0), 0);
	assert_int_equal(C(roster_choices_allowed)(ch, 0), 0);
	assert_true(C(roster_choices_reason_count)(ch, 0) > 0);
	assert_non_null(C(roster_choices_reason)(ch, 0, 0));
	(void)C(roster_choices_reason_param)(ch, 0, 0);
	assert_non_null(C(roster_choices_reason_message)(ch, 0, 0,
							 ROSTER_LANG_CS));
	assert_null(C(roster_choices_reason_message)(ch, 0, 0,
						     (roster_language)-1));
	C(roster_choices_free)(ch);

	/* stations */
	{
		size_t p = 9, u = 9;

		TERR(C(roster_station_order)(NULL, &w->as_partner, w->site,
					     "basic", 1),
		     ROSTER_EINVAL, "arg.null", "dir");
		DERR(w, C(roster_station_order)(w->dir, NULL, w->site, "basic", 1),
		     ROSTER_EINVAL, "arg.null", "actor");
		DERR(w, C(roster_station_order)(w->dir, &w->as_partner, w->pbx,
						"basic", 1),
		     ROSTER_ENOTFOUND, "record.notfound", "site");
		DERR(w, C(roster_station_order)(w->dir, &w->as_partner, w->site,
						NULL, 1),
		     ROSTER_EINVAL, "arg.null", "pack");
		DERR(w, C(roster_station_order)(w->dir, &w->as_partner, w->site,
						huge, 1),
		     ROSTER_EINVALID, "item.syntax", "pack");
		DERR(w, C(roster_station_order)(w->dir, &w->as_partner, w->site,
						"golden", 1),
		     ROSTER_EINVALID, "pack.unknown", "pack");
		DERR(w, C(roster_station_order)(w->dir, &w->as_partner, w->site,
						"basic", 0),
		     ROSTER_EINVAL, "arg.range", "count");
		DERR(w, C(roster_station_order)(w->dir, &w->as_partner, w->site,
						"basic", ROSTER_STATIONS_MAX + 1),
		     ROSTER_EINVAL, "arg.range", "count");
		OK(C(roster_station_order)(w->dir, &w->as_partner, w->site,
					   "basic", 2));
		DERR(w, C(roster_station_disconnect)(w->dir, &w->as_partner,
						     w->site, "basic", 3),
		     ROSTER_EPOLICY, "station.in_service", "count");
		TERR(C(roster_station_disconnect)(NULL, &w->as_partner, w->site,
						  "basic", 1),
		     ROSTER_EINVAL, "arg.null", "dir");
		OK(C(roster_station_disconnect)(w->dir, &w->as_partner, w->site,
						"basic", 1));
		TERR(C(roster_station_counts)(NULL, &w->as_partner, w->site,
					      "basic", &p, &u),
		     ROSTER_EINVAL, "arg.null", "dir");
		assert_int_equal(p, 0);
		assert_int_equal(u, 0);
		DERR(w, C(roster_station_counts)(w->dir, &w->as_partner, w->site,
						 NULL, &p, &u),
		     ROSTER_EINVAL, "arg.null", "pack");
		OK(C(roster_station_counts)(w->dir, &w->as_partner, w->site,
					    "basic", &p, &u));
		assert_int_equal(p, 1);
		assert_int_equal(u, 0);
		OK(C(roster_station_counts)(w->dir, &w->as_partner, w->site,
					    "basic", NULL, NULL));
	}

	/* products */
	{
		size_t p = 9, u = 9, n = 9;
		roster_id two[2] = { w->admin, w->other_admin };
		roster_user *us = NULL;

		TERR(C(roster_product_purchase)(NULL, &w->as_partner, w->account,
						"meetings", 1),
		     ROSTER_EINVAL, "arg.null", "dir");
		DERR(w, C(roster_product_purchase)(w->dir, NULL, w->account,
						   "meetings", 1),
		     ROSTER_EINVAL, "arg.null", "actor");
		DERR(w, C(roster_product_purchase)(w->dir, &w->as_partner,
						   w->site, "meetings", 1),
		     ROSTER_ENOTFOUND, "record.notfound", "account");
		DERR(w, C(roster_product_purchase)(w->dir, &w->as_partner,
						   w->account, NULL, 1),
		     ROSTER_EINVAL, "arg.null", "product");
		DERR(w, C(roster_product_purchase)(w->dir, &w->as_partner,
						   w->account, huge, 1),
		     ROSTER_EINVALID, "item.syntax", "product");
		DERR(w, C(roster_product_purchase)(w->dir, &w->as_partner,
						   w->account, "golf", 1),
		     ROSTER_EINVALID, "product.unknown", "product");
		DERR(w, C(roster_product_purchase)(w->dir, &w->as_partner,
						   w->account, "meetings", 0),
		     ROSTER_EINVAL, "arg.range", "count");
		OK(C(roster_product_purchase)(w->dir, &w->as_partner,
					      w->account, "meetings", 1));
		TERR(C(roster_product_release)(NULL, &w->as_partner, w->account,
					       "meetings", 1),
		     ROSTER_EINVAL, "arg.null", "dir");
		TERR(C(roster_product_assign)(NULL, &w->as_admin, "meetings",
					      two, 1, &n),
		     ROSTER_EINVAL, "arg.null", "dir");
		assert_int_equal(n, 0);
		DERR(w, C(roster_product_assign)(w->dir, &w->as_admin,
						 "meetings", NULL, 1, NULL),
		     ROSTER_EINVAL, "arg.null", "users");
		/* users of two accounts: the actor's reach is said first */
		DERR(w, C(roster_product_assign)(w->dir, &w->as_partner,
						 "meetings", two, 2, NULL),
		     ROSTER_EDENIED, "auth.scope", NULL);
		DERR(w, C(roster_product_assign)(w->dir, &w->system,
						 "meetings", two, 2, NULL),
		     ROSTER_EINVALID, "product.account", "users");
		{
			roster_id rev[2] = { w->other_admin, w->admin };

			DERR(w, C(roster_product_unassign)(w->dir,
							   &w->as_partner,
							   "meetings", rev, 2,
							   NULL),
			     ROSTER_EDENIED, "auth.scope", NULL);
		}
		OK(C(roster_product_assign)(w->dir, &w->as_admin, "meetings",
					    two, 0, &n));
		assert_int_equal(n, 0);
		OK(C(roster_product_assign)(w->dir, &w->as_admin, "meetings",
					    two, 1, &n));
		assert_int_equal(n, 1);
		OK(roster_user_get(&us, w->dir, w->admin));
		assert_int_equal(C(roster_user_product_count)(us), 1);
		assert_string_equal(C(roster_user_product)(us, 0), "meetings");
		assert_null(C(roster_user_product)(us, 1));
		roster_user_free(us);
		assert_int_equal(C(roster_user_product_count)(NULL), 0);
		assert_null(C(roster_user_product)(NULL, 0));
		DERR(w, C(roster_product_release)(w->dir, &w->as_partner,
						  w->account, "meetings", 1),
		     ROSTER_EPOLICY, "product.in_use", "count");
		TERR(C(roster_product_unassign)(NULL, &w->as_admin, "meetings",
						two, 1, &n),
		     ROSTER_EINVAL, "arg.null", "dir");
		OK(C(roster_product_unassign)(w->dir, &w->as_admin, "meetings",
					      two, 1, &n));
		assert_int_equal(n, 1);
		OK(C(roster_product_release)(w->dir, &w->as_partner, w->account,
					     "meetings", 1));
		TERR(C(roster_product_counts)(NULL, &w->as_admin, w->account,
					      "meetings", &p, &u),
		     ROSTER_EINVAL, "arg.null", "dir");
		assert_int_equal(p, 0);
		OK(C(roster_product_counts)(w->dir, &w->as_admin, w->account,
					    "meetings", &p, &u));
		assert_int_equal(p, 0);
		assert_int_equal(u, 0);
		OK(C(roster_product_counts)(w->dir, &w->as_admin, w->account,
					    "meetings", NULL, NULL));
	}

	/* billing */
	{
		roster_billing *b = (roster_billing *)1;

		TERR(C(roster_billing_summary)(&b, NULL, &w->as_admin,
					       w->account),
		     ROSTER_EINVAL, "arg.null", "dir");
		DERR(w, C(roster_billing_summary)(NULL, w->dir, &w->as_admin,
						  w->account),
		     ROSTER_EINVAL, "arg.null", "out");
		DERR(w, C(roster_billing_summary)(&b, w->dir, NULL, w->account),
		     ROSTER_EINVAL, "arg.null", "actor");
		assert_null(b);
		C(roster_billing_free)(NULL);
		assert_int_equal(C(roster_billing_users)(NULL), 0);
		assert_int_equal(C(roster_billing_excluded)(NULL), 0);
		assert_int_equal(C(roster_billing_count)(NULL), 0);
		assert_int_equal(C(roster_billing_kind)(NULL, 0), 0);
		assert_null(C(roster_billing_item)(NULL, 0));
		assert_int_equal(C(roster_billing_quantity)(NULL, 0), 0);
		OK(C(roster_billing_summary)(&b, w->dir, &w->as_admin,
					     w->account));
		assert_int_equal(C(roster_billing_users)(b), 1);
		assert_int_equal(C(roster_billing_excluded)(b), 0);
		assert_true(C(roster_billing_count)(b) > 0);
		assert_int_equal(C(roster_billing_kind)(b, 0),
				 ROSTER_ITEM_LICENCE);
		assert_non_null(C(roster_billing_item)(b, 0));
		assert_int_equal(C(roster_billing_quantity)(b, 0), 0);
		C(roster_billing_free)(b);
	}

	/* search */
	{
		roster_query *q = NULL;
		roster_page *pg = (roster_page *)1;
		size_t n = 9;

		TERR(C(roster_query_new)(NULL), ROSTER_EINVAL, "arg.null", "out");
		OK(C(roster_query_new)(&q));
		TERR(C(roster_query_set_text)(NULL, "x"), ROSTER_EINVAL,
		     "arg.null", "query");
		TERR(C(roster_query_set_text)(q, huge), ROSTER_EINVALID,
		     "text.bytes", "query");
		TERR(C(roster_query_set_text)(q, bad1), ROSTER_EINVALID,
		     "text.utf8", "query");
		OK(C(roster_query_set_text)(q, ctrl));
		OK(C(roster_query_set_text)(q, NULL));
		TERR(C(roster_query_filter)(NULL, ROSTER_FILTER_ADMINS),
		     ROSTER_EINVAL, "arg.null", "query");
		TERR(C(roster_query_filter)(q, 99), ROSTER_EINVAL, "arg.range",
		     "filter");
		OK(C(roster_query_filter)(q, ROSTER_FILTER_ADMINS));
		TERR(C(roster_query_item)(NULL, ROSTER_ITEM_PACK, "basic"),
		     ROSTER_EINVAL, "arg.null", "query");
		TERR(C(roster_query_item)(q, 99, "basic"), ROSTER_EINVAL,
		     "arg.range", "kind");
		TERR(C(roster_query_item)(q, ROSTER_ITEM_PACK, huge),
		     ROSTER_EINVALID, "item.syntax", "id");
		OK(C(roster_query_item)(q, ROSTER_ITEM_PACK, NULL));
		TERR(C(roster_query_ref)(NULL, ROSTER_FIELD_SITE, 1),
		     ROSTER_EINVAL, "arg.null", "query");
		TERR(C(roster_query_ref)(q, ROSTER_FIELD_PBX, 1), ROSTER_EINVAL,
		     "arg.range", "field");
		OK(C(roster_query_ref)(q, ROSTER_FIELD_SITE, 0));
		TERR(C(roster_search)(&pg, NULL, &w->as_admin, w->account, q,
				      NULL, 10),
		     ROSTER_EINVAL, "arg.null", "dir");
		DERR(w, C(roster_search)(NULL, w->dir, &w->as_admin, w->account,
					 q, NULL, 10),
		     ROSTER_EINVAL, "arg.null", "out");
		DERR(w, C(roster_search)(&pg, w->dir, &w->as_admin, w->account,
					 q, huge, 10),
		     ROSTER_EINVAL, "arg.cursor", "cursor");
		assert_null(pg);
		OK(C(roster_search)(&pg, w->dir, &w->as_admin, w->account, q,
				    NULL, 10));
		assert_int_equal(roster_page_count(pg), 1);
		roster_page_free(pg);
		TERR(C(roster_search_count)(&n, NULL, &w->as_admin, w->account,
					    q),
		     ROSTER_EINVAL, "arg.null", "dir");
		assert_int_equal(n, 0);
		DERR(w, C(roster_search_count)(NULL, w->dir, &w->as_admin,
					       w->account, q),
		     ROSTER_EINVAL, "arg.null", "out");
		DERR(w, C(roster_search_count)(&n, w->dir, NULL, w->account, q),
		     ROSTER_EINVAL, "arg.null", "actor");
		OK(C(roster_search_count)(&n, w->dir, &w->as_admin, w->account,
					  q));
		assert_int_equal(n, 1);
		C(roster_query_clear)(q);
		C(roster_query_clear)(NULL);
		C(roster_query_free)(q);
		C(roster_query_free)(NULL);
	}

	/* previews */
	{
		roster_preview *pv = (roster_preview *)1;
		long long dp = 7, du = 7;

		TERR(C(roster_transaction_preview)(&pv, NULL), ROSTER_EINVAL,
		     "arg.null", "dir");
		DERR(w, C(roster_transaction_preview)(NULL, w->dir),
		     ROSTER_EINVAL, "arg.null", "out");
		DERR(w, C(roster_transaction_preview)(&pv, w->dir),
		     ROSTER_EMISUSE, "txn.none", "");
		assert_null(pv);
		C(roster_preview_free)(NULL);
		assert_int_equal(C(roster_preview_event_count)(NULL), 0);
		assert_null(C(roster_preview_event)(NULL, 0));
		assert_int_equal(C(roster_preview_delta_count)(NULL), 0);
		TERR(C(roster_preview_delta)(NULL, 0, NULL, NULL, NULL, &dp,
					     &du),
		     ROSTER_EINVAL, "arg.null", "preview");
		assert_int_equal(C(roster_preview_billing_count)(NULL), 0);
		assert_int_equal(C(roster_preview_billing_user)(NULL, 0), 0);
		assert_int_equal(C(roster_preview_billing_what)(NULL, 0), 0);
		OK(roster_transaction_begin(w->dir));
		OK(roster_station_order(w->dir, &w->as_partner, w->site, "basic",
					1));
		OK(C(roster_transaction_preview)(&pv, w->dir));
		OK(roster_transaction_rollback(w->dir));
		assert_int_equal(C(roster_preview_event_count)(pv), 1);
		assert_non_null(C(roster_preview_event)(pv, 0));
		assert_int_equal(C(roster_preview_delta_count)(pv), 1);
		OK(C(roster_preview_delta)(pv, 0, NULL, NULL, NULL, &dp, &du));
		assert_int_equal(dp, 1);
		assert_int_equal(du, 0);
		TERR(C(roster_preview_delta)(pv, 1, NULL, NULL, NULL, &dp, &du),
		     ROSTER_EINVAL, "arg.range", "i");
		assert_string_equal(C(roster_error_value)(C(roster_error_last)()),
				    "1");
		assert_int_equal(C(roster_preview_billing_count)(pv), 0);
		assert_int_equal(C(roster_preview_billing_user)(pv, 0), 0);
		assert_int_equal(C(roster_preview_billing_what)(pv, 0), 0);
		C(roster_preview_free)(pv);
	}

	/* the form's confirmation */
	TERR(C(roster_form_confirm)(NULL, 0), ROSTER_EINVAL, "arg.null", "form");
	OK(roster_form_new(&f, w->dir));
	TERR(C(roster_form_confirm)(f, 2), ROSTER_EINVAL, "arg.range", "flags");
	OK(C(roster_form_confirm)(f, ROSTER_CONFIRM_DOWNGRADE));
	OK(C(roster_form_confirm)(f, 0));
	roster_form_free(f);
	world_free(w);
}


static void test_every_function_called(void **state)
{
	size_t i, missing = 0;

	(void)state;
	for (i = 0; i < NAPI; i++) {
		if (!api[i].calls) {
			print_error("%s was never called\n", api[i].name);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

/* The headers, found from this file's path (tests run in the build
 * directory, where the compiler ran too). */
static int headers_dir(char *out, size_t size)
{
	const char *self = __FILE__, *cut = strstr(self, "tests/core/");
	const char *root = getenv("ROSTER_SOURCE_ROOT");

	if (root)
		snprintf(out, size, "%s/include/roster", root);
	else if (cut)
		snprintf(out, size, "%.*sinclude/roster", (int)(cut - self),
			 self);
	else
		return -1;
	return 0;
}

static void scan_header(const char *path, int *found, size_t *extra)
{
	FILE *fp = fopen(path, "r");
	char *text, *p;
	long len;
	size_t i;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	text = malloc((size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	text[len] = '\0';
	fclose(fp);

	for (p = text; (p = strstr(p, "ROSTER_API")) != NULL; p += 10) {
		const char *paren = strchr(p, '('), *end, *begin;
		char name[128];

		/* "#define ROSTER_API ..." and other mentions name no function */
		if (!paren || (p > text && p[-1] != '\n'))
			continue;
		end = paren;
		while (end > p && end[-1] == ' ')
			end--;
		begin = end;
		while (begin > p && (begin[-1] == '_' ||
				     (begin[-1] >= 'a' && begin[-1] <= 'z') ||
				     (begin[-1] >= '0' && begin[-1] <= '9')))
			begin--;
		if (strncmp(begin, "roster_", 7) != 0 ||
		    (size_t)(end - begin) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(end - begin), begin);
		for (i = 0; i < NAPI; i++)
			if (strcmp(api[i].name, name) == 0)
				break;
		if (i == NAPI) {
			print_error("%s (%s) is missing from the table\n", name,
				    path);
			(*extra)++;
		} else {
			found[i]++;
		}
	}
	free(text);
}

static void scan_dir(const char *dir, int *found, size_t *extra,
		     size_t *headers)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (n > 2 && strcmp(e->d_name + n - 2, ".h") == 0) {
			scan_header(path, found, extra);
			(*headers)++;
		} else {
			DIR *sub = opendir(path);

			if (sub) {
				closedir(sub);
				scan_dir(path, found, extra, headers);
			}
		}
	}
	closedir(d);
}

static void test_table_matches_headers(void **state)
{
	char dir[4096];
	int found[NAPI];
	size_t i, extra = 0, headers = 0, missing = 0;
	DIR *d;

	(void)state;
	memset(found, 0, sizeof(found));
	if (headers_dir(dir, sizeof(dir)) || !(d = opendir(dir))) {
		print_message("headers not found from %s; set "
			      "ROSTER_SOURCE_ROOT\n",
			      __FILE__);
		skip();
		return;
	}
	closedir(d);
	scan_dir(dir, found, &extra, &headers);
	assert_true(headers >= 8);
	for (i = 0; i < NAPI; i++) {
		if (found[i] != 1) {
			print_error("%s is declared %d times in the headers\n",
				    api[i].name, found[i]);
			missing++;
		}
	}
	assert_int_equal(extra, 0);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_transaction),
		cmocka_unit_test(test_outbox),
		cmocka_unit_test(test_memstore),
		cmocka_unit_test(test_filestore),
		cmocka_unit_test(test_actor),
		cmocka_unit_test(test_event_null),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_creates),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_record_get),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_user_strings),
		cmocka_unit_test(test_user_values),
		cmocka_unit_test(test_user_calls),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_password_calls),
		cmocka_unit_test(test_token_redeem),
		cmocka_unit_test(test_reentrant),
		cmocka_unit_test(test_reentrant_hooks),
		cmocka_unit_test(test_catalog_args),
		cmocka_unit_test(test_bulk_args),
		cmocka_unit_test(test_licence_args),
		/* last: they read what the tests above called */
		cmocka_unit_test(test_every_function_called),
		cmocka_unit_test(test_table_matches_headers),
	};

	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
