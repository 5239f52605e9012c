/*
 * structinit.c: the versioned option structs and the frozen actor layout.
 *
 * For each options struct the C initialiser macro and the _init function
 * must give the very same bytes, _init must refuse versions it does not
 * know, and the member list below must cover the whole struct (so a member
 * appended without updating the macro, the function and this test fails
 * here).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "roster.h"

#define MEMBER_SIZE(type, m) sizeof(((type *)0)->m)

/* Sum of the member sizes: equal to sizeof when the struct has no padding
 * and the list is complete. */
static const size_t directory_options_members =
	MEMBER_SIZE(roster_directory_options, version) +
	MEMBER_SIZE(roster_directory_options, language) +
	MEMBER_SIZE(roster_directory_options, malloc_fn) +
	MEMBER_SIZE(roster_directory_options, realloc_fn) +
	MEMBER_SIZE(roster_directory_options, free_fn) +
	MEMBER_SIZE(roster_directory_options, alloc_data) +
	MEMBER_SIZE(roster_directory_options, event_cb) +
	MEMBER_SIZE(roster_directory_options, event_data) +
	MEMBER_SIZE(roster_directory_options, clock_fn) +
	MEMBER_SIZE(roster_directory_options, clock_data) +
	MEMBER_SIZE(roster_directory_options, storage) +
	MEMBER_SIZE(roster_directory_options, store) +
	MEMBER_SIZE(roster_directory_options, flags) +
	MEMBER_SIZE(roster_directory_options, reserved);

static const size_t password_policy_members =
	MEMBER_SIZE(roster_password_policy, version) +
	MEMBER_SIZE(roster_password_policy, min_length) +
	MEMBER_SIZE(roster_password_policy, max_length) +
	MEMBER_SIZE(roster_password_policy, required_classes) +
	MEMBER_SIZE(roster_password_policy, generated_length) +
	MEMBER_SIZE(roster_password_policy, hash_cost) +
	MEMBER_SIZE(roster_password_policy, reset_ttl) +
	MEMBER_SIZE(roster_password_policy, welcome_ttl);

static const size_t import_options_members =
	MEMBER_SIZE(roster_import_options, version) +
	MEMBER_SIZE(roster_import_options, mode) +
	MEMBER_SIZE(roster_import_options, dry_run) +
	MEMBER_SIZE(roster_import_options, max_errors) +
	MEMBER_SIZE(roster_import_options, country);

static void directory_options_macro_equals_init(void **state)
{
	roster_directory_options m, f;

	(void)state;
	assert_int_equal(sizeof(roster_directory_options),
			 directory_options_members);

	memset(&m, 0xa5, sizeof(m));
	m = (roster_directory_options)ROSTER_DIRECTORY_OPTIONS_INIT;
	memset(&f, 0x5a, sizeof(f));
	assert_int_equal(roster_directory_options_init(
				 &f, ROSTER_DIRECTORY_OPTIONS_VERSION),
			 ROSTER_OK);

	assert_int_equal(m.version, ROSTER_DIRECTORY_OPTIONS_VERSION);
	assert_int_equal(f.version, m.version);
	assert_int_equal(f.language, m.language);
	assert_true(f.malloc_fn == m.malloc_fn);
	assert_true(f.realloc_fn == m.realloc_fn);
	assert_true(f.free_fn == m.free_fn);
	assert_ptr_equal(f.alloc_data, m.alloc_data);
	assert_true(f.event_cb == m.event_cb);
	assert_ptr_equal(f.event_data, m.event_data);
	assert_true(f.clock_fn == m.clock_fn);
	assert_ptr_equal(f.clock_data, m.clock_data);
	assert_ptr_equal(f.storage, m.storage);
	assert_ptr_equal(f.store, m.store);
	assert_int_equal(f.flags, m.flags);
	assert_int_equal(f.reserved, m.reserved);
	/* No padding (checked above), so the bytes compare too. */
	assert_memory_equal(&m, &f, sizeof(m));
}

/* A caller built against version 1 has a shorter struct: _init for
 * version 1 must not write past it. */
static void directory_options_init_keeps_to_its_version(void **state)
{
	roster_directory_options o;

	(void)state;
	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(roster_directory_options_init(&o, 1), ROSTER_OK);
	assert_int_equal(o.version, 1);
	assert_null(o.clock_data);
	assert_int_equal(((unsigned char *)&o.storage)[0], 0x5a);
	assert_int_equal(((unsigned char *)&o.store)[sizeof(o.store) - 1], 0x5a);

	/* and version 2 (storage, no flags) not past its own end */
	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(roster_directory_options_init(&o, 2), ROSTER_OK);
	assert_int_equal(o.version, 2);
	assert_null(o.store);
	assert_int_equal(((unsigned char *)&o.flags)[0], 0x5a);
	assert_int_equal(((unsigned char *)&o.reserved)[sizeof(o.reserved) - 1],
			 0x5a);
}

static void password_policy_macro_equals_init(void **state)
{
	roster_password_policy m, f;

	(void)state;
	assert_int_equal(sizeof(roster_password_policy),
			 password_policy_members);

	memset(&m, 0xa5, sizeof(m));
	m = (roster_password_policy)ROSTER_PASSWORD_POLICY_INIT;
	memset(&f, 0x5a, sizeof(f));
	assert_int_equal(roster_password_policy_init(
				 &f, ROSTER_PASSWORD_POLICY_VERSION),
			 ROSTER_OK);

	assert_int_equal(m.version, ROSTER_PASSWORD_POLICY_VERSION);
	assert_int_equal(f.version, m.version);
	assert_int_equal(f.min_length, m.min_length);
	assert_int_equal(f.max_length, m.max_length);
	assert_int_equal(f.required_classes, m.required_classes);
	assert_int_equal(f.generated_length, m.generated_length);
	assert_int_equal(f.hash_cost, m.hash_cost);
	assert_int_equal(f.reset_ttl, m.reset_ttl);
	assert_int_equal(f.welcome_ttl, m.welcome_ttl);
	assert_memory_equal(&m, &f, sizeof(m));
}

static void import_options_macro_equals_init(void **state)
{
	roster_import_options m, f;

	(void)state;
	assert_int_equal(sizeof(roster_import_options), import_options_members);

	memset(&m, 0xa5, sizeof(m));
	m = (roster_import_options)ROSTER_IMPORT_OPTIONS_INIT;
	memset(&f, 0x5a, sizeof(f));
	assert_int_equal(roster_import_options_init(
				 &f, ROSTER_IMPORT_OPTIONS_VERSION),
			 ROSTER_OK);

	assert_int_equal(m.version, ROSTER_IMPORT_OPTIONS_VERSION);
	assert_int_equal(f.version, m.version);
	assert_int_equal(f.mode, m.mode);
	assert_int_equal(f.dry_run, m.dry_run);
	assert_int_equal(f.max_errors, m.max_errors);
	assert_string_equal(f.country, "");
	assert_memory_equal(&m, &f, sizeof(m));
}

/* Version 1 of the import options ends before country. */
static void import_options_init_keeps_to_its_version(void **state)
{
	roster_import_options o;

	(void)state;
	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(roster_import_options_init(&o, 1), ROSTER_OK);
	assert_int_equal(o.version, 1);
	assert_int_equal(o.max_errors, 0);
	assert_int_equal((unsigned char)o.country[0], 0x5a);
	assert_int_equal((unsigned char)o.country[3], 0x5a);
}

static void directory_options_init_versions(void **state)
{
	roster_directory_options o;

	(void)state;
	assert_int_equal(roster_directory_options_init(&o, 0), ROSTER_EVERSION);
	assert_int_equal(roster_error_code(roster_error_last()),
			 ROSTER_EVERSION);
	assert_int_equal(roster_directory_options_init(
				 &o, ROSTER_DIRECTORY_OPTIONS_VERSION + 1),
			 ROSTER_EVERSION);
	assert_int_equal(roster_error_code(roster_error_last()),
			 ROSTER_EVERSION);
	assert_int_equal(roster_directory_options_init(
				 NULL, ROSTER_DIRECTORY_OPTIONS_VERSION),
			 ROSTER_EINVAL);
}

static void password_policy_init_versions(void **state)
{
	roster_password_policy p;

	(void)state;
	assert_int_equal(roster_password_policy_init(&p, 0), ROSTER_EVERSION);
	assert_int_equal(roster_error_code(roster_error_last()),
			 ROSTER_EVERSION);
	assert_int_equal(roster_password_policy_init(
				 &p, ROSTER_PASSWORD_POLICY_VERSION + 1),
			 ROSTER_EVERSION);
	assert_int_equal(roster_error_code(roster_error_last()),
			 ROSTER_EVERSION);
	assert_int_equal(roster_password_policy_init(
				 NULL, ROSTER_PASSWORD_POLICY_VERSION),
			 ROSTER_EINVAL);
}

static void import_options_init_versions(void **state)
{
	roster_import_options o;

	(void)state;
	assert_int_equal(roster_import_options_init(&o, 0), ROSTER_EVERSION);
	assert_int_equal(roster_error_code(roster_error_last()),
			 ROSTER_EVERSION);
	assert_int_equal(roster_import_options_init(
				 &o, ROSTER_IMPORT_OPTIONS_VERSION + 1),
			 ROSTER_EVERSION);
	assert_int_equal(roster_error_code(roster_error_last()),
			 ROSTER_EVERSION);
	assert_int_equal(roster_import_options_init(
				 NULL, ROSTER_IMPORT_OPTIONS_VERSION),
			 ROSTER_EINVAL);
}

static void actor_layout_is_frozen(void **state)
{
	roster_actor a;

	(void)state;
	assert_int_equal(sizeof(roster_actor), 16);
	assert_int_equal(offsetof(roster_actor, kind), 0);
	assert_int_equal(offsetof(roster_actor, reserved), 4);
	assert_int_equal(offsetof(roster_actor, id), 8);

	memset(&a, 0xa5, sizeof(a));
	assert_int_equal(roster_actor_init(&a, ROSTER_ACTOR_PARTNER, 42),
			 ROSTER_OK);
	assert_int_equal(a.kind, ROSTER_ACTOR_PARTNER);
	assert_int_equal(a.reserved, 0);
	assert_int_equal(a.id, 42);
}

static void version_matches_headers(void **state)
{
	(void)state;
	assert_int_equal(roster_version(), ROSTER_VERSION_NUMBER);
	assert_string_equal(roster_version_string(), ROSTER_VERSION_STRING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(directory_options_macro_equals_init),
		cmocka_unit_test(directory_options_init_keeps_to_its_version),
		cmocka_unit_test(password_policy_macro_equals_init),
		cmocka_unit_test(directory_options_init_versions),
		cmocka_unit_test(password_policy_init_versions),
		cmocka_unit_test(import_options_macro_equals_init),
		cmocka_unit_test(import_options_init_versions),
		cmocka_unit_test(import_options_init_keeps_to_its_version),
		cmocka_unit_test(actor_layout_is_frozen),
		cmocka_unit_test(version_matches_headers),
	};

	return cmocka_run_group_tests_name("abi/structinit", tests, NULL, NULL);
}
