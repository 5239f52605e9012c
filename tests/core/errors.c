/* errors.c: codes, their stable values, messages and languages. */
#include <string.h>

#include "harness.h"

static void test_codes_are_stable(void **state)
{
	(void)state;
	/* values are a promise: never renumbered */
	assert_int_equal(ROSTER_OK, 0);
	assert_int_equal(ROSTER_ERROR, -1);
	assert_int_equal(ROSTER_ENOMEM, -2);
	assert_int_equal(ROSTER_EINVAL, -3);
	assert_int_equal(ROSTER_EINVALID, -4);
	assert_int_equal(ROSTER_ENOTFOUND, -5);
	assert_int_equal(ROSTER_EEXISTS, -6);
	assert_int_equal(ROSTER_EDENIED, -7);
	assert_int_equal(ROSTER_EPOLICY, -8);
	assert_int_equal(ROSTER_ECONFIRM, -9);
	assert_int_equal(ROSTER_ECONFLICT, -10);
	assert_int_equal(ROSTER_ESTORAGE, -11);
	assert_int_equal(ROSTER_EMISUSE, -12);
	assert_int_equal(ROSTER_EUSER, -13);
	assert_int_equal(ROSTER_EPASSTHROUGH, -14);
	assert_int_equal(ROSTER_EEXPIRED, -15);
	assert_int_equal(ROSTER_EPARSE, -16);
	assert_int_equal(ROSTER_EVERSION, -17);
	assert_int_equal(ROSTER_EAUTH, -18);
	assert_int_equal(ROSTER_ERROR_CODE_MIN, -18);
}

static void test_strerror(void **state)
{
	int c;

	(void)state;
	for (c = 0; c >= ROSTER_ERROR_CODE_MIN; c--) {
		assert_non_null(roster_strerror(c));
		assert_string_not_equal(roster_strerror(c), "unknown error");
	}
	assert_string_equal(roster_strerror(ROSTER_EDENIED), "not allowed");
	assert_string_equal(roster_strerror(1), "unknown error");
	assert_string_equal(roster_strerror(ROSTER_ERROR_CODE_MIN - 1), "unknown error");
}

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(roster_version(), ROSTER_VERSION_NUMBER);
	assert_string_equal(roster_version_string(), ROSTER_VERSION_STRING);
}

static void test_languages(void **state)
{
	roster_language l;

	(void)state;
	assert_int_equal(roster_language_parse(&l, "fr-CA"), 0);
	assert_int_equal(l, ROSTER_LANG_FR);
	assert_int_equal(roster_language_parse(&l, "CS"), 0);
	assert_int_equal(l, ROSTER_LANG_CS);
	assert_int_equal(roster_language_parse(&l, "en_GB"), 0);
	assert_int_equal(l, ROSTER_LANG_EN);
	assert_int_equal(roster_language_parse(&l, "de"), ROSTER_EINVAL);
	assert_int_equal(roster_error_code(roster_error_last()), ROSTER_EINVAL);
	assert_string_equal(roster_error_value(roster_error_last()), "de");
	assert_int_equal(roster_language_parse(&l, "e"), ROSTER_EINVAL);
	assert_int_equal(roster_language_parse(&l, "frx"), ROSTER_EINVAL);
	assert_int_equal(roster_language_parse(NULL, "fr"), ROSTER_EINVAL);
	assert_string_equal(roster_field_label(ROSTER_FIELD_EXTENSION, ROSTER_LANG_CS),
			    "klapka");
	assert_string_equal(roster_field_label(ROSTER_FIELD_FIRST_NAME, ROSTER_LANG_FR),
			    "prénom");
	assert_null(roster_field_label(ROSTER_FIELD_FIRST_NAME, (roster_language)3));
}

static void test_fields(void **state)
{
	int f;

	(void)state;
	for (f = 1; f < ROSTER_FIELD_END; f++) {
		const char *n = roster_field_name(f);
		int l;
		assert_non_null(n);
		assert_int_equal(roster_field_from_name(n), f);
		assert_true(roster_field_type(f) >= ROSTER_TYPE_STRING &&
			    roster_field_type(f) <= ROSTER_TYPE_LIST);
		for (l = 0; l < ROSTER_LANG_COUNT; l++)
			assert_non_null(roster_field_label(f, (roster_language)l));
	}
	assert_null(roster_field_name(0));
	assert_null(roster_field_name(ROSTER_FIELD_END));
	assert_int_equal(roster_field_from_name("nope"), 0);
	assert_int_equal(roster_field_from_name(NULL), 0);
	assert_int_equal(roster_field_type(99), 0);
}

static void test_detail_and_languages(void **state)
{
	world *w = world_new(NULL);
	const roster_error *e = roster_directory_error(w->dir);
	roster_id id;
	char big[5000];

	(void)state;
	/* a message in each language for the same refusal */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "bad address", 0, &id), ROSTER_EINVALID);
	assert_string_equal(roster_error_field(e), "email");
	assert_string_equal(roster_error_rule(e), "email.syntax");
	assert_string_equal(roster_error_value(e), "bad address");
	assert_string_equal(roster_error_message(e),
			    "e-mail is not a valid e-mail address: bad address");
	roster_directory_set_language(w->dir, ROSTER_LANG_FR);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "bad address", 0, &id), ROSTER_EINVALID);
	assert_string_equal(roster_error_message(e),
			    "le champ « adresse e-mail » ne contient pas "
			    "d'adresse e-mail valide : bad address");
	roster_directory_set_language(w->dir, ROSTER_LANG_CS);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "bad address", 0, &id), ROSTER_EINVALID);
	assert_string_equal(roster_error_message(e),
			    "pole „e-mail“ neobsahuje platnou e-mailovou "
			    "adresu: bad address");
	assert_int_equal(roster_directory_set_language(w->dir, (roster_language)9),
			 ROSTER_EINVAL);
	/* long values are cut on a character boundary and marked */
	memset(big, 'x', sizeof(big));
	memcpy(big + 120, "ž", 2);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B", big, 0,
				    &id), ROSTER_EINVALID);
	assert_true(strlen(roster_error_value(e)) < 128);
	assert_non_null(strstr(roster_error_value(e), "..."));
	/* control characters in a value are escaped, UTF-8 is kept */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "žena\n2026-01-01 forged line", 0, &id),
			 ROSTER_EINVALID);
	assert_string_equal(roster_error_value(e),
			    "žena\\x0A2026-01-01 forged line");
	/* so are C1 controls, line separators and bidirectional overrides */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "a\xC2\x9B" "b\xE2\x80\xA8" "c\xE2\x80\xAE" "d", 0, &id),
			 ROSTER_EINVALID);
	assert_string_equal(roster_error_value(e),
			    "a\\xC2\\x9Bb\\xE2\\x80\\xA8c\\xE2\\x80\\xAEd");
	/* success leaves the last error in place */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "fine@acme.example", 0, &id), 0);
	assert_string_equal(roster_error_rule(e), "email.syntax");
	/* neutral answers for NULL */
	assert_int_equal(roster_error_code(NULL), ROSTER_EINVAL);
	assert_string_equal(roster_error_message(NULL), "");
	assert_string_equal(roster_error_rule(NULL), "");
	world_free(w);
}

/* The text of `full` cut before its byte n lands on a character
 * boundary: the byte after the cut does not continue a character. */
static void assert_cut_whole(const char *full, const char *got)
{
	size_t n = strlen(got);

	assert_memory_equal(full, got, n);
	if (full[n])
		assert_int_not_equal((unsigned char)full[n] & 0xC0, 0x80);
}

static void test_message_in(void **state)
{
	world *w = world_new(NULL);
	const roster_error *e = roster_directory_error(w->dir);
	const char *cs = "pole „e-mail“ neobsahuje platnou e-mailovou "
			 "adresu: bad address";
	char buf[ROSTER_ERROR_MESSAGE_MAX], small[128];
	roster_query *q;
	roster_id id;
	size_t size;

	(void)state;
	/* no error yet: "" in every language */
	assert_int_equal(roster_error_message_in(e, ROSTER_LANG_CS, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* recorded in English, rendered in each language */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "bad address", 0, &id), ROSTER_EINVALID);
	assert_int_equal(roster_error_message_in(e, ROSTER_LANG_EN, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf, roster_error_message(e));
	assert_int_equal(roster_error_message_in(e, ROSTER_LANG_FR, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf, "le champ « adresse e-mail » ne contient pas "
				 "d'adresse e-mail valide : bad address");
	assert_int_equal(roster_error_message_in(e, ROSTER_LANG_CS, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf, cs);
	/* and back: recorded in Czech, rendered in English */
	roster_directory_set_language(w->dir, ROSTER_LANG_CS);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "bad address", 0, &id), ROSTER_EINVALID);
	assert_string_equal(roster_error_message(e), cs);
	assert_int_equal(roster_error_message_in(e, ROSTER_LANG_EN, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf,
			    "e-mail is not a valid e-mail address: bad address");
	/* a short buffer gets a prefix cut between characters, whether it
	 * is copied (Czech) or rendered again (French) */
	assert_true(strlen(cs) + 1 <= sizeof(small));
	for (size = 1; size <= strlen(cs) + 1; size++) {
		memset(small, '#', sizeof(small));
		assert_int_equal(roster_error_message_in(e, ROSTER_LANG_CS,
							 small, size), 0);
		assert_true(strlen(small) < size);
		assert_true(strlen(small) + 4 > size - 1 || !cs[strlen(small)]);
		assert_cut_whole(cs, small);
		assert_int_equal(roster_error_message_in(e, ROSTER_LANG_FR,
							 small, size), 0);
		assert_true(strlen(small) < size);
		assert_cut_whole("le champ « adresse e-mail » ne contient pas "
				 "d'adresse e-mail valide : bad address", small);
	}
	/* a per-thread error (English) with its {limit}, in French */
	assert_int_equal(roster_query_new(&q), 0);
	memset(buf, 'x', sizeof(buf));
	buf[ROSTER_QUERY_MAX + 1] = '\0';
	assert_int_equal(roster_query_set_text(q, buf), ROSTER_EINVALID);
	assert_string_equal(roster_error_message(roster_error_last()),
			    "query is longer than 256 bytes");
	assert_int_equal(roster_error_message_in(roster_error_last(),
						 ROSTER_LANG_FR, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf,
			    "le champ « requête » dépasse 256 octets");
	roster_query_free(q);
	/* bad arguments: ROSTER_EINVAL, "" where it can be written, and the
	 * error read is left as it was */
	strcpy(buf, "x");
	assert_int_equal(roster_error_message_in(NULL, ROSTER_LANG_EN, buf,
						 sizeof(buf)),
			 ROSTER_EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(roster_error_message_in(e, ROSTER_LANG_EN, NULL, 9),
			 ROSTER_EINVAL);
	strcpy(buf, "x");
	assert_int_equal(roster_error_message_in(e, ROSTER_LANG_EN, buf, 0),
			 ROSTER_EINVAL);
	assert_string_equal(buf, "x");
	assert_int_equal(roster_error_message_in(e, (roster_language)3, buf,
						 sizeof(buf)),
			 ROSTER_EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(roster_error_message_in(e, (roster_language)-1, buf,
						 sizeof(buf)),
			 ROSTER_EINVAL);
	assert_string_equal(roster_error_message(e), cs);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "text.bytes");
	/* a parameter's name is the subject, not its label (which may be a
	 * plural); a station not in use is not one out of order */
	{
		static const char *const lines[] = { "+420601234567" };
		roster_form *f = NULL;

		assert_int_equal(roster_form_new(&f, w->dir), 0);
		assert_int_equal(roster_form_set_lines(f, lines, 2000),
				 ROSTER_EINVAL);
		roster_form_free(f);
	}
	assert_int_equal(roster_error_message_in(roster_error_last(),
						 ROSTER_LANG_FR, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf, "le paramètre « lignes » est hors limites : "
				 "2000");
	assert_int_equal(roster_error_message_in(roster_error_last(),
						 ROSTER_LANG_CS, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf, "parametr „linky“ je mimo rozsah: 2000");
	roster_directory_set_language(w->dir, ROSTER_LANG_EN);
	assert_int_equal(roster_station_disconnect(w->dir, &w->as_partner,
						   w->site, "basic", 1),
			 ROSTER_EPOLICY);
	assert_int_equal(roster_error_message_in(e, ROSTER_LANG_FR, buf,
						 sizeof(buf)), 0);
	assert_string_equal(buf, "seules les stations achetées qui ne sont pas "
				 "en service peuvent être déconnectées "
				 "(demandées > disponibles : 1 > 0)");
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_are_stable),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_detail_and_languages),
		cmocka_unit_test(test_message_in),
	};

	return cmocka_run_group_tests_name("core/errors", tests, NULL, NULL);
}
