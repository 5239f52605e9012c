/* users.c: every rule of BRIEF's Users section, each refusal included. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static int setup(void **state)
{
	*state = world_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	world_free(*state);
	return 0;
}

static roster_form *form(world *w)
{
	roster_form *f = NULL;

	assert_int_equal(roster_form_new(&f, w->dir), ROSTER_OK);
	return f;
}

static void base(roster_form *f, const char *email)
{
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Jan"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Novák"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, email), 0);
}

/* Create with the form as the admin; returns the code. */
static int create(world *w, roster_form *f, roster_id *id)
{
	return roster_user_create(id, w->dir, &w->as_admin, w->account, f);
}

static roster_user *get(world *w, roster_id id)
{
	roster_user *u = NULL;

	assert_int_equal(roster_user_get(&u, w->dir, id), ROSTER_OK);
	return u;
}

static size_t account_users(world *w)
{
	roster_page *p = NULL;
	size_t n;

	assert_int_equal(roster_list(&p, w->dir, w->account, ROSTER_KIND_USER,
				     NULL, 100), 0);
	n = roster_page_total(p);
	roster_page_free(p);
	return n;
}

static void test_create_all_fields(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	const char *lines[] = { "+33 1 23 45 67 89", "0042 0601 123 456" };
	roster_user *u;
	roster_id id;

	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME,
					     "  Marie-He\xCC\x81le\xCC\x80ne  "), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME,
					     "Dvořáková   Svobodová"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL,
					     " Marie@Acme.Example "), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PHONE,
					     "+420 (601) 12-34-56"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_STREET,
					     "1 rue de la Paix"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_LOCALITY,
					     "Paris"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_POSTCODE,
					     "75002"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY,
					     "fr"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "fr_ca"), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "201"), 0);
	assert_int_equal(roster_form_set_lines(f, lines, 2), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE,
					     "\r\nfirst line\r\n\r\n  second line  \rthird\xE2\x80\xA8" "fourth\n\n"), 0);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_TWO_FACTOR, 1), 0);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_API_COMMUNICATOR, 7), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	roster_form_free(f);

	u = get(w, id);
	assert_int_equal(roster_user_account(u), w->account);
	/* NFC, trimmed, runs of white space collapsed */
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_FIRST_NAME),
			    "Marie-Hélène");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_LAST_NAME),
			    "Dvořáková Svobodová");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_DISPLAY_NAME),
			    "Marie-Hélène Dvořáková Svobodová");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_EMAIL),
			    "Marie@Acme.Example");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_PHONE), "+420601123456");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_ADDRESS_COUNTRY), "FR");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_LANGUAGE), "fr-CA");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_EXTENSION), "201");
	/* a note keeps its blank lines; every line break is written \n,
	 * the blanks around them and around the note are dropped */
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_NOTE),
			    "first line\n\nsecond line\nthird\nfourth");
	assert_null(roster_user_str(u, ROSTER_FIELD_PASSWORD));
	assert_null(roster_user_str(u, ROSTER_FIELD_ADDRESS_REGION));
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_GROUP), w->group);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_SITE), w->site);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_PBX), w->pbx);
	assert_int_equal(roster_user_line_count(u), 2);
	assert_string_equal(roster_user_line(u, 0), "+33123456789");
	assert_string_equal(roster_user_line(u, 1), "+420601123456");
	assert_null(roster_user_line(u, 2));
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_TWO_FACTOR), 1);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_API_COMMUNICATOR), 1);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_REGISTERED), 0);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_ADMIN), 0);
	assert_int_equal(roster_user_has_password(u), 0);
	roster_user_free(u);

	/* created, welcome e-mail due, one reload of the PBX (001, 003) */
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 1);
	assert_string_equal(world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->email,
			    "Marie@Acme.Example");
	assert_true(strlen(world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->secret) > 40);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 1);
	assert_int_equal(world_last(w, ROSTER_EVENT_PBX_RELOAD)->pbx, w->pbx);
}

/* A refused create changes nothing and raises nothing. */
static void refused(world *w, roster_form *f, int code, const char *field,
		    const char *rule)
{
	size_t before = account_users(w);
	roster_id id = 99;

	world_events_clear(w);
	assert_int_equal(create(w, f, &id), code);
	assert_int_equal(id, 0);
	assert_string_equal(roster_error_rule(roster_directory_error(w->dir)), rule);
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)), field);
	assert_int_equal(account_users(w), before);
	assert_int_equal(w->nevents, 0);
}

static void test_required_and_text(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	char longname[200];

	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Jan"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, "jan@acme.example"), 0);
	refused(w, f, ROSTER_EINVALID, "last_name", "field.required");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "  \t "), 0);
	refused(w, f, ROSTER_EINVALID, "last_name", "text.empty");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "No\xC3\x28vak"), 0);
	refused(w, f, ROSTER_EINVALID, "last_name", "text.utf8");
	assert_string_equal(roster_error_value(roster_directory_error(w->dir)),
			    "No\\xC3(vak");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "No\x07vak"), 0);
	refused(w, f, ROSTER_EINVALID, "last_name", "text.control");
	/* invisible: a right-to-left override, a zero-width space alone;
	 * a combining accent alone shows nothing either */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "No\xE2\x80\xAEkav"), 0);
	refused(w, f, ROSTER_EINVALID, "last_name", "text.control");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "\xE2\x80\x8B"), 0);
	refused(w, f, ROSTER_EINVALID, "last_name", "text.control");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "\xCC\x81"), 0);
	refused(w, f, ROSTER_EINVALID, "last_name", "text.empty");
	/* noncharacters: U+FFFF, U+FFFE (not writable in XML 1.0), U+FDD0,
	 * U+1FFFF */
	{
		static const char *const nonchars[] = {
			"No\xEF\xBF\xBFvak", "No\xEF\xBF\xBEvak",
			"No\xEF\xB7\x90vak", "No\xF0\x9F\xBF\xBFvak" };
		size_t i;

		for (i = 0; i < 4; i++) {
			assert_int_equal(roster_form_set_str(
						 f, ROSTER_FIELD_LAST_NAME,
						 nonchars[i]),
					 0);
			refused(w, f, ROSTER_EINVALID, "last_name",
				"text.control");
		}
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, longname), 0);
	refused(w, f, ROSTER_EINVALID, "last_name", "text.long");
	/* 100 characters of two bytes each are fine */
	{
		char ok[201];
		int i;
		for (i = 0; i < 100; i++)
			memcpy(ok + 2 * i, "é", 2);
		ok[200] = '\0';
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, ok), 0);
		roster_id id;
		assert_int_equal(create(w, f, &id), ROSTER_OK);
	}
	roster_form_free(f);
}

static void test_email_rules(void **state)
{
	world *w = *state;
	static const char *bad[] = { "plain", "@acme.example", "a@", "a@b",
				     "a..b@acme.example", ".a@acme.example",
				     "a@-acme.example", "a@acme.e1",
				     "a b@acme.example", "a@acme..example",
				     "jan@acme.example\n", "a@acme.xn--",
				     "a@acme.xn--p1ai-", "a@acme.xn--p_ai",
				     "a@acme.xn-p1ai" };
	/* top-level domains in their ASCII form: .рф, .中国 */
	static const char *good[] = { "ivan@acme.xn--p1ai",
				      "li@xn--fiqs8s.xn--fiqs8s",
				      "ana@acme.XN--P1AI" };
	roster_form *f = form(w);
	roster_id id, id2;
	size_t i;

	base(f, "x@acme.example");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, bad[i]), 0);
		refused(w, f, ROSTER_EINVALID, "email", "email.syntax");
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, good[i]), 0);
		assert_int_equal(create(w, f, &id), ROSTER_OK);
	}
	/* unique case-insensitively across the whole directory: Otto is in
	 * another account of another partner */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL,
					     "OTTO@globex.EXAMPLE"), 0);
	refused(w, f, ROSTER_EEXISTS, "email", "email.unique");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, "jan@acme.example"), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	assert_int_equal(roster_user_find_login(&id2, w->dir, "JAN@ACME.example"), 0);
	assert_int_equal(id, id2);
	assert_int_equal(roster_user_find_login(&id2, w->dir, "nobody@acme.example"),
			 ROSTER_ENOTFOUND);
	/* an update to a taken login is refused and changes nothing */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, "Ada@Acme.example"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_EEXISTS);
	assert_err(w, ROSTER_EEXISTS, "email.unique");
	assert_int_equal(roster_user_find_login(&id2, w->dir, "jan@acme.example"), 0);
	/* changing only the case of one's own login is not a conflict */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, "Jan@Acme.example"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	/* after delete the login is free again */
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, id), ROSTER_OK);
	assert_int_equal(roster_user_find_login(&id2, w->dir, "jan@acme.example"),
			 ROSTER_ENOTFOUND);
	roster_form_clear(f);
	base(f, "JAN@acme.example");
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	roster_form_free(f);
}

/* A login is found from any spelling the e-mail setter turns into the
 * same key, and from nothing the setter would refuse. */
static void test_login_lookup(void **state)
{
	world *w = *state;
	static const char *found[] = {
		"marie.curie+lab@acme.example", "MARIE.CURIE+LAB@ACME.EXAMPLE",
		"Marie.Curie+Lab@Acme.Example", "  marie.curie+lab@acme.example",
		"marie.curie+lab@acme.example\t ", "\t Marie.Curie+LAB@acme.EXAMPLE \t",
	};
	static const char *not_found[] = {
		"", " ", "marie.curie+lab@acme.example\n",
		"marie.curie+lab@acme.example.", "marie.curie+lab@acme",
		"\"marie.curie+lab\"@acme.example", "marie..curie+lab@acme.example",
		"marie.curie+lab@acme..example", "marie.curie+lab@acmé.example",
		"marié.curie+lab@acme.example", "marie.curie+lab@xn--acme.example",
		"marie.curie@acme.example", "marie.curie+lab@acme.example2",
		"marie.curie+lab @acme.example", "\xC2\xA0marie.curie+lab@acme.example",
	};
	roster_form *f = form(w);
	roster_id id, found_id;
	char padded[1100];
	size_t i;

	base(f, "  Marie.Curie+Lab@Acme.Example\t");
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	for (i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		found_id = 0;
		assert_int_equal(roster_user_find_login(&found_id, w->dir, found[i]),
				 ROSTER_OK);
		assert_int_equal(found_id, id);
	}
	for (i = 0; i < sizeof(not_found) / sizeof(not_found[0]); i++) {
		found_id = 99;
		assert_int_equal(roster_user_find_login(&found_id, w->dir,
							not_found[i]),
				 ROSTER_ENOTFOUND);
		assert_int_equal(found_id, 0);
		assert_err(w, ROSTER_ENOTFOUND, "record.notfound");
	}
	/* blanks count toward the 1000 bytes an input may have, for the
	 * lookup as for the setter */
	memset(padded, ' ', sizeof(padded));
	memcpy(padded + 1000 - 28, "marie.curie+lab@acme.example", 28);
	padded[1000] = '\0';
	assert_int_equal(roster_user_find_login(&found_id, w->dir, padded),
			 ROSTER_OK);
	assert_int_equal(found_id, id);
	padded[1000] = ' ';
	padded[1001] = '\0';
	assert_int_equal(roster_user_find_login(&found_id, w->dir, padded),
			 ROSTER_ENOTFOUND);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, padded), 0);
	refused(w, f, ROSTER_EINVALID, "email", "email.syntax");
	padded[1000] = '\0';
	memcpy(padded + 1000 - 28, "other.curie+lab@acme.example", 28);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, padded), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	assert_int_equal(roster_user_find_login(&found_id, w->dir,
						"OTHER.curie+lab@acme.example"),
			 ROSTER_OK);
	assert_int_equal(found_id, id);
	roster_form_free(f);
}

static void test_phone_address_language(void **state)
{
	world *w = *state;
	static const char *bad_phone[] = { "601123456", "+0601", "+1",
					   "+1234567890123456", "+33 1 23 x",
					   "+", "+33\xC2", "+33 1\xE2\x80",
					   "+33\xC2\xA1" "1" };
	roster_form *f = form(w);
	roster_id id;
	size_t i;

	base(f, "p@acme.example");
	for (i = 0; i < sizeof(bad_phone) / sizeof(bad_phone[0]); i++) {
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PHONE, bad_phone[i]), 0);
		refused(w, f, ROSTER_EINVALID, "phone", "phone.e164");
	}
	/* the "(0)" written after a country code is the national prefix,
	 * not dialled from abroad: left out where the country dials 0, a
	 * digit where it does not (Italy keeps its 0); elsewhere, or with
	 * no country code before it, the 0 is a digit as before */
	{
		static const char *const written[][2] = {
			{ "+33 (0)1 44 55 66 77", "+33144556677" },
			{ "0033 (0)1 44 55 66 77", "+33144556677" },
			{ "+44(0)20 7946 0000", "+442079460000" },
			{ "+39 (0)6 1234 5678", "+390612345678" },
			{ "+420 (0)601 234 567", "+4200601234567" },
			{ "+33 1 (0)44", "+331044" },
			/* a national 0 written bare is a digit: Rwanda, Korea,
			 * Japan have numbers that begin with it */
			{ "+250 06 95 01 66", "+25006950166" },
			/* pasted from a page: no-break spaces, a tab */
			{ "+33\xC2\xA0" "1\xC2\xA0" "44\xE2\x80\xAF" "55 66 77",
			  "+33144556677" },
			{ "\t+420 601 234 567", "+420601234567" },
		};
		roster_user *u;

		for (i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
			assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PHONE,
							     written[i][0]),
					 0);
			assert_int_equal(create(w, f, &id), ROSTER_OK);
			assert_int_equal(roster_user_get(&u, w->dir, id), 0);
			assert_string_equal(roster_user_str(u, ROSTER_FIELD_PHONE),
					    written[i][1]);
			roster_user_free(u);
			assert_int_equal(roster_user_delete(w->dir, &w->as_admin,
							    id),
					 0);
		}
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PHONE,
						     "+(0)33 1"),
				 0);
		refused(w, f, ROSTER_EINVALID, "phone", "phone.e164");
	}
	/* national numbers, with the form's country of numbers */
	{
		const char *lines[] = { "06 01 02 03 04", "+420 601 234 567" };
		roster_user *u;

		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PHONE,
						     "01 44 55 66 77"),
				 0);
		refused(w, f, ROSTER_EINVALID, "phone", "phone.e164");
		assert_int_equal(roster_form_set_numbers_country(f, "fr"), 0);
		assert_int_equal(roster_form_set_lines(f, lines, 2), 0);
		assert_int_equal(create(w, f, &id), ROSTER_OK);
		assert_int_equal(roster_user_get(&u, w->dir, id), 0);
		assert_string_equal(roster_user_str(u, ROSTER_FIELD_PHONE),
				    "+33144556677");
		assert_int_equal(roster_user_line_count(u), 2);
		assert_string_equal(roster_user_line(u, 0), "+33601020304");
		assert_string_equal(roster_user_line(u, 1), "+420601234567");
		roster_user_free(u);
		assert_int_equal(roster_user_delete(w->dir, &w->as_admin, id),
				 0);
		/* a country no plan knows: refused, the form's kept */
		assert_int_equal(roster_form_set_numbers_country(f, "XX"),
				 ROSTER_EINVAL);
		assert_string_equal(roster_error_field(roster_error_last()),
				    "country");
		assert_int_equal(create(w, f, &id), ROSTER_OK);
		assert_int_equal(roster_user_delete(w->dir, &w->as_admin, id),
				 0);
		/* cleared: national numbers are refused again */
		assert_int_equal(roster_form_set_numbers_country(f, NULL), 0);
		refused(w, f, ROSTER_EINVALID, "phone", "phone.e164");
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PHONE,
						     NULL),
				 0);
		refused(w, f, ROSTER_EINVALID, "lines", "phone.e164");
		assert_int_equal(roster_form_set_lines(f, NULL, 0), 0);
		/* roster_form_clear forgets the country too */
		{
			roster_form *g = form(w);

			assert_int_equal(roster_form_set_numbers_country(g, "FR"),
					 0);
			roster_form_clear(g);
			base(g, "q@acme.example");
			assert_int_equal(roster_form_set_str(g, ROSTER_FIELD_PHONE,
							     "01 44 55 66 77"),
					 0);
			refused(w, g, ROSTER_EINVALID, "phone", "phone.e164");
			roster_form_free(g);
		}
	}
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PHONE, NULL), 0);
	/* an address needs a street, a locality and a country */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_POSTCODE, "110 00"), 0);
	refused(w, f, ROSTER_EINVALID, "address_street", "address.incomplete");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_STREET, "Václavské náměstí 1"), 0);
	refused(w, f, ROSTER_EINVALID, "address_locality", "address.incomplete");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_LOCALITY, "Praha"), 0);
	refused(w, f, ROSTER_EINVALID, "address_country", "address.incomplete");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "CZE"), 0);
	refused(w, f, ROSTER_EINVALID, "address_country", "address.country");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "c1"), 0);
	refused(w, f, ROSTER_EINVALID, "address_country", "address.country");
	/* two letters no country has: the United Kingdom is GB */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "UK"), 0);
	refused(w, f, ROSTER_EINVALID, "address_country", "address.country");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "zz"), 0);
	refused(w, f, ROSTER_EINVALID, "address_country", "address.country");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "cz"), 0);
	/* phone language from the supported list (002) */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "xx-YY"), 0);
	refused(w, f, ROSTER_EINVALID, "language", "language.unsupported");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "cs-cz"), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	assert_string_equal(roster_phone_language(0), "cs-CZ");
	for (i = 0; roster_phone_language(i); i++)
		assert_int_equal(strlen(roster_phone_language(i)), 5);
	assert_true(i > 10);
	roster_form_free(f);
}

static void test_refs_pbx_extension(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	roster_id id, id2, pbx2, other_group;
	roster_user *u;

	assert_int_equal(roster_group_create(&other_group, w->dir,
					     &w->as_other_admin, w->other_account,
					     "Theirs"), 0);
	base(f, "e@acme.example");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, other_group), 0);
	refused(w, f, ROSTER_EINVALID, "group", "ref.account");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, 987654), 0);
	refused(w, f, ROSTER_ENOTFOUND, "group", "ref.notfound");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->site), 0);
	refused(w, f, ROSTER_ENOTFOUND, "group", "ref.notfound");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group), 0);
	/* a PBX needs an extension (001) and an extension a PBX */
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	refused(w, f, ROSTER_EINVALID, "extension", "extension.required");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, 0), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "200"), 0);
	refused(w, f, ROSTER_EINVALID, "extension", "extension.pbx");
	/* digit rules of the PBX: 3 to 4 digits, no leading zero */
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "20"), 0);
	refused(w, f, ROSTER_EINVALID, "extension", "extension.digits");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "20000"), 0);
	refused(w, f, ROSTER_EINVALID, "extension", "extension.digits");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "020"), 0);
	refused(w, f, ROSTER_EINVALID, "extension", "extension.digits");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "2a0"), 0);
	refused(w, f, ROSTER_EINVALID, "extension", "extension.digits");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "2 0"), 0);
	refused(w, f, ROSTER_EINVALID, "extension", "extension.digits");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, " \t "), 0);
	refused(w, f, ROSTER_EINVALID, "extension", "extension.digits");
	/* the blanks around it are no part of it */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, " 200\t"), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	{
		roster_user *got = get(w, id);

		assert_string_equal(roster_user_str(got, ROSTER_FIELD_EXTENSION), "200");
		roster_user_free(got);
	}
	/* unique on that PBX ... */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, "e2@acme.example"), 0);
	refused(w, f, ROSTER_EEXISTS, "extension", "extension.unique");
	/* ... but free on another PBX */
	assert_int_equal(roster_pbx_create(&pbx2, w->dir, &w->as_partner, w->account,
					   "Branch PBX", 3, 3), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx2), 0);
	assert_int_equal(create(w, f, &id2), ROSTER_OK);

	/* moving the first user to the second PBX reloads both, once each */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx2), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "201"), 0);
	world_events_clear(w);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 2);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 1);
	/* the old extension on the first PBX is free again */
	roster_form_clear(f);
	base(f, "e3@acme.example");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "200"), 0);
	assert_int_equal(create(w, f, &id2), ROSTER_OK);
	u = get(w, id);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_PBX), pbx2);
	roster_user_free(u);
	/* leaving the PBX: both cleared together */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, 0), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "extension.pbx");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, NULL), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	roster_form_free(f);
}

static void test_lines(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	const char *dup[] = { "+420601000001", "+420 601 000 001" };
	const char *one[] = { "+420601000001" };
	const char *many[17];
	char buf[17][20];
	roster_id id;
	int i;

	base(f, "l@acme.example");
	assert_int_equal(roster_form_set_lines(f, dup, 2), 0);
	refused(w, f, ROSTER_EINVALID, "lines", "line.duplicate");
	for (i = 0; i < 17; i++) {
		snprintf(buf[i], sizeof(buf[i]), "+42060100%04d", i);
		many[i] = buf[i];
	}
	assert_int_equal(roster_form_set_lines(f, many, 17), 0);
	refused(w, f, ROSTER_EINVALID, "lines", "line.count");
	assert_int_equal(roster_form_set_lines(f, many, 16), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	/* a number belongs to one user only */
	roster_form_clear(f);
	base(f, "l2@acme.example");
	assert_int_equal(roster_form_set_lines(f, many + 3, 1), 0);
	refused(w, f, ROSTER_EEXISTS, "lines", "line.unique");
	/* freeing the lines of the first user frees the number */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_lines(f, one, 0), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	roster_form_clear(f);
	base(f, "l2@acme.example");
	assert_int_equal(roster_form_set_lines(f, many + 3, 1), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	roster_form_free(f);
}

static void test_flags(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	roster_id id;

	/* do-not-bill only for system users (001), set by the partner */
	base(f, "fax@acme.example");
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_DO_NOT_BILL, 1), 0);
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_partner, w->account, f),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "do_not_bill.system");
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_SYSTEM_USER, 1), 0);
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_partner, w->account, f),
			 ROSTER_OK);
	/* a system user cannot stop being one while not billed */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_SYSTEM_USER, 0), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_partner, id, f),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "do_not_bill.system");
	roster_form_free(f);
}

static void test_update_semantics(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	roster_id id;
	roster_user *u;

	base(f, "u@acme.example");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "300"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "vip"), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);

	/* the same values again: nothing changes, no event */
	world_events_clear(w);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	assert_int_equal(w->nevents, 0);

	/* a note is not on the PBX: no reload */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "still vip"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 0);

	/* a name is shown by the PBX: one reload (001) */
	world_events_clear(w);
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Honza"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "cs-CZ"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 1);

	/* fields the form does not set stay; cleared ones go */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, ""), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	u = get(w, id);
	assert_null(roster_user_str(u, ROSTER_FIELD_NOTE));
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_FIRST_NAME), "Honza");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_EXTENSION), "300");
	roster_user_free(u);

	/* a required field cannot be cleared */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, NULL), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "field.required");

	/* an unknown user */
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, 424242, f),
			 ROSTER_ENOTFOUND);
	roster_form_free(f);
}

/* A portal reads a user into its form and sends it all back. */
static void test_form_sent_back_as_read(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	roster_user *u;
	roster_id id;
	int field;

	base(f, "back@acme.example");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "555"), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	roster_form_clear(f);
	u = get(w, id);
	for (field = 1; field < ROSTER_FIELD_END; field++) {
		switch (roster_field_type(field)) {
		case ROSTER_TYPE_STRING:
			if (field != ROSTER_FIELD_PASSWORD)
				roster_form_set_str(f, field, roster_user_str(u, field));
			break;
		case ROSTER_TYPE_BOOL:
			if (field != ROSTER_FIELD_REGISTERED)
				roster_form_set_bool(f, field, roster_user_bool(u, field));
			break;
		case ROSTER_TYPE_REF:
			roster_form_set_ref(f, field, roster_user_ref(u, field));
			break;
		}
	}
	roster_user_free(u);
	world_events_clear(w);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	assert_int_equal(w->nevents, 0);
	/* a new first name with the old derived display name: the display
	 * name follows the new name, it is not frozen */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Honza"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_OK);
	u = get(w, id);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_DISPLAY_NAME), "Honza Novák");
	roster_user_free(u);
	roster_form_free(f);
}

/* A portal sends back values written otherwise than they are kept:
 * the same once normalised, they change nothing, so the user's own form
 * is not refused for a field it may not edit, and no event goes out. */
static void test_form_sent_back_as_typed(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	roster_user *u;
	roster_actor self;
	roster_id id;
	const char *lines[] = { "+33144556677" }, *typed[] = { " +33 1 44 55 66 77" };
	uint64_t v;

	base(f, "typed@acme.example");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "line one\nline two"), 0);
	assert_int_equal(roster_form_set_lines(f, lines, 1), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	u = get(w, id);
	v = roster_user_version(u);
	roster_user_free(u);
	self = actor_of(ROSTER_ACTOR_USER, id);
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "  Jan "), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, " typed@acme.example"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "line one\r\nline two"), 0);
	assert_int_equal(roster_form_set_lines(f, typed, 1), 0);
	/* the derived display name, with blanks around and between */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_DISPLAY_NAME,
					     " Jan  Novák "), 0);
	world_events_clear(w);
	assert_int_equal(roster_user_update(w->dir, &self, id, f), ROSTER_OK);
	assert_int_equal(w->nevents, 0);
	assert_int_equal(user_version(w->dir, id), v);
	/* still derived: it follows a new first name */
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Janek"), 0);
	assert_int_equal(roster_user_update(w->dir, &self, id, f), ROSTER_OK);
	u = get(w, id);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_DISPLAY_NAME), "Janek Novák");
	roster_user_free(u);
	v = user_version(w->dir, id);
	/* a note that does change is still the admin's to write */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "line one"), 0);
	assert_int_equal(roster_user_update(w->dir, &self, id, f), ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.field");
	/* and a value the setter refuses is a change, refused as such */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "\x01"), 0);
	assert_int_equal(roster_user_update(w->dir, &self, id, f), ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.field");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "text.control");
	assert_int_equal(user_version(w->dir, id), v);
	roster_form_free(f);
}

/* A form made from one version of a user and saved after someone else
 * changed the user is refused, even when it changes nothing, and the
 * other change stays; made from the current version it goes through.
 * A directory without a store numbers its versions itself. */
static void test_expect_version(void **state)
{
	world *w = *state;
	roster_form *f = form(w), *g = form(w);
	roster_user *u;
	roster_id id, other;
	uint64_t v1, v2, v3;

	base(f, "version@acme.example");
	/* a creation ignores an expected version */
	assert_int_equal(roster_form_expect_version(f, 12345), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	v1 = user_version(w->dir, id);
	assert_true(v1 != 0);
	/* another admin renames the user: a new version */
	assert_int_equal(roster_form_set_str(g, ROSTER_FIELD_FIRST_NAME, "Other"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, g), 0);
	v2 = user_version(w->dir, id);
	assert_true(v2 != v1);
	/* the first admin's form, shown at v1: refused, nothing written */
	roster_form_clear(f);
	assert_int_equal(roster_form_expect_version(f, v1), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Stale"), 0);
	world_events_clear(w);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f),
			 ROSTER_ECONFLICT);
	assert_string_equal(roster_error_rule(roster_directory_error(w->dir)),
			    "user.changed");
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "version");
	assert_int_equal(w->nevents, 0);
	u = get(w, id);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_FIRST_NAME), "Other");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_LAST_NAME), "Novák");
	assert_int_equal(roster_user_version(u), v2);
	roster_user_free(u);
	/* a form that would change nothing is refused all the same */
	roster_form_clear(f);
	assert_int_equal(roster_form_expect_version(f, v1), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f),
			 ROSTER_ECONFLICT);
	/* made again from the user as it is: it goes through */
	assert_int_equal(roster_form_expect_version(f, v2), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Fresh"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), 0);
	v3 = user_version(w->dir, id);
	assert_true(v3 != v2 && v3 != v1);
	/* a change that changes nothing makes no version */
	assert_int_equal(roster_form_expect_version(f, v3), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), 0);
	assert_int_equal(user_version(w->dir, id), v3);
	/* a change rolled back leaves the version as it was */
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, g), 0);
	assert_int_equal(roster_form_set_str(g, ROSTER_FIELD_FIRST_NAME, "Undone"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, g), 0);
	assert_int_equal(roster_transaction_rollback(w->dir), 0);
	assert_int_equal(user_version(w->dir, id), v3);
	/* 0 and roster_form_clear() expect none */
	assert_int_equal(roster_form_expect_version(f, v1), 0);
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "any"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), 0);
	assert_int_equal(roster_form_expect_version(f, v1), 0);
	assert_int_equal(roster_form_expect_version(f, 0), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "again"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), 0);
	/* another user's version is not this one's */
	base(g, "version2@acme.example");
	assert_int_equal(create(w, g, &other), ROSTER_OK);
	roster_form_clear(f);
	assert_int_equal(roster_form_expect_version(f, user_version(w->dir, other)), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "wrong"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f),
			 ROSTER_ECONFLICT);
	/* an outsider learns nothing of versions: refused as before */
	assert_int_equal(roster_user_update(w->dir, &w->as_other_admin, id, f),
			 ROSTER_EDENIED);
	assert_int_equal(roster_form_expect_version(NULL, 1), ROSTER_EINVAL);
	assert_int_equal(roster_user_version(NULL), 0);
	roster_form_free(f);
	roster_form_free(g);
}

static void test_delete_rules(void **state)
{
	world *w = *state;
	roster_form *f = form(w);
	roster_id id, admin2;
	roster_user *u = NULL;

	base(f, "d@acme.example");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "400"), 0);
	assert_int_equal(create(w, f, &id), ROSTER_OK);
	world_events_clear(w);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, id), ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_DELETED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 1);
	assert_int_equal(roster_user_get(&u, w->dir, id), ROSTER_ENOTFOUND);
	assert_null(u);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, id), ROSTER_ENOTFOUND);

	/* an admin cannot be deleted: remove the role first (004) */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Bob", "Second",
				    "bob@acme.example", 1, &admin2), 0);
	world_events_clear(w);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, admin2), ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.delete");
	assert_int_equal(w->nevents, 0);
	roster_form_clear(f);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 0), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, admin2, f), ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_ROLE_CHANGED), 1);
	assert_int_equal(world_last(w, ROSTER_EVENT_ROLE_CHANGED)->admin, 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, admin2), ROSTER_OK);

	/* the last admin keeps the role while the account has other users */
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Carl", "Third",
				    "carl@acme.example", 0, &admin2), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, w->admin, f),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "admin.last");

	/* emptying an account: its partner deletes the users, then the
	 * admin alone may step down, be deleted, and the account goes */
	assert_int_equal(roster_user_delete(w->dir, &w->as_partner, admin2), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_partner, w->admin, f), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_partner, w->admin), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_partner, w->account), 0);
	roster_form_free(f);
}

static void test_pagination(void **state)
{
	world *w = *state;
	roster_id ids[30], seen[64];
	char email[64], cursor[32];
	roster_page *p = NULL;
	size_t nseen = 0, i, j, pages = 0;
	const char *next = NULL;

	for (i = 0; i < 30; i++) {
		snprintf(email, sizeof(email), "page%02zu@acme.example", i);
		assert_int_equal(world_user(w, &w->as_admin, w->account, "P",
					    "Q", email, 0, &ids[i]), 0);
	}
	/* 31 users with the admin; pages of 7; delete and add between pages */
	do {
		assert_int_equal(roster_list(&p, w->dir, w->account, ROSTER_KIND_USER,
					     next ? cursor : NULL, 7), 0);
		for (i = 0; i < roster_page_count(p); i++)
			seen[nseen++] = roster_page_id(p, i);
		next = roster_page_next(p);
		if (next)
			snprintf(cursor, sizeof(cursor), "%s", next);
		roster_page_free(p);
		if (pages++ == 1) {
			/* one already shown, one not yet shown, one new */
			roster_id extra;
			assert_int_equal(roster_user_delete(w->dir, &w->as_admin, ids[2]), 0);
			assert_int_equal(roster_user_delete(w->dir, &w->as_admin, ids[20]), 0);
			assert_int_equal(world_user(w, &w->as_admin, w->account, "N",
						    "New", "new@acme.example", 0,
						    &extra), 0);
		}
	} while (next);
	/* 31 - 1 not yet shown deleted + 1 added = 31 distinct, ascending */
	assert_int_equal(nseen, 31);
	for (i = 1; i < nseen; i++)
		assert_true(seen[i - 1] < seen[i]);
	for (i = 0; i < nseen; i++)
		assert_int_not_equal(seen[i], ids[20]);
	for (i = 0; i < nseen; i++)
		for (j = i + 1; j < nseen; j++)
			assert_int_not_equal(seen[i], seen[j]);
	assert_int_equal(roster_list(&p, w->dir, w->account, ROSTER_KIND_USER,
				     "zz", 7), ROSTER_EINVAL);
	assert_err(w, ROSTER_EINVAL, "arg.cursor");
}

static void test_messages_in_languages(void **state)
{
	world *w = *state;
	roster_id id;

	assert_int_equal(roster_directory_set_language(w->dir, ROSTER_LANG_FR), 0);
	assert_int_equal(roster_user_delete(w->dir, &w->as_partner, w->admin),
			 ROSTER_EPOLICY);
	assert_string_equal(roster_error_message(roster_directory_error(w->dir)),
			    "un compte administrateur ne peut pas être supprimé : "
			    "retirez d'abord son rôle d'administrateur");
	assert_int_equal(roster_directory_set_language(w->dir, ROSTER_LANG_CS), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "A", "B",
				    "ada@ACME.example", 0, &id), ROSTER_EEXISTS);
	assert_string_equal(roster_error_message(roster_directory_error(w->dir)),
			    "e-mailovou adresu ada@ACME.example již používá jiný uživatel");
	assert_int_equal(roster_directory_set_language(w->dir, ROSTER_LANG_EN), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "", "B",
				    "new@acme.example", 0, &id), ROSTER_EINVALID);
	assert_string_equal(roster_error_message(roster_directory_error(w->dir)),
			    "first name is required");
}

/* Within a transaction a user keeps the version it was committed at
 * until the commit: one created in it has none yet (0, which expects
 * nothing), one changed in it its version before, which a form made
 * from it then expects; the commit gives each its new version. */
static void test_version_in_transaction(void **state)
{
	world *w = *state;
	roster_form *f = form(w), *g = form(w);
	roster_id made, changed;
	uint64_t was;

	base(f, "before@acme.example");
	assert_int_equal(create(w, f, &changed), ROSTER_OK);
	was = user_version(w->dir, changed);
	assert_true(was != 0);
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	base(g, "within@acme.example");
	assert_int_equal(create(w, g, &made), ROSTER_OK);
	assert_int_equal(user_version(w->dir, made), 0);
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "one"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, changed, f), 0);
	assert_int_equal(user_version(w->dir, changed), was);
	assert_int_equal(roster_form_expect_version(f, was), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "two"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, changed, f), 0);
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	assert_true(user_version(w->dir, made) != 0);
	assert_true(user_version(w->dir, changed) != was);
	roster_form_free(f);
	roster_form_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_all_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_and_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_email_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phone_address_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refs_pbx_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_semantics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_sent_back_as_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_sent_back_as_typed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_in_languages, setup, teardown),
	};

	return cmocka_run_group_tests_name("model/users", tests, NULL, NULL);
}
