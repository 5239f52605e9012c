/*
 * search.c: search as you type and filters (003). Accents, case, word
 * starts and several words; the documented order; paging while users are
 * added and deleted; equality with a brute-force scan over random users;
 * every filter; who may search what; other directories' users after a
 * refresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "searched.h"

static roster_id add(world *w, const char *first, const char *last,
		     const char *email)
{
	roster_id id = 0;

	assert_int_equal(world_user(w, &w->as_admin, w->account, first, last,
				    email, 0, &id), 0);
	return id;
}

/* Set one string field of user `id`, as the account's admin. */
static void update_str(world *w, roster_id id, int field, const char *v)
{
	roster_form *f = NULL;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, field, v), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, f), 0);
	roster_form_free(f);
}

/* The ids found for `text`, in order, into ids (at most n); the count. */
static size_t find(world *w, const char *text, roster_id *ids, size_t n)
{
	roster_query *q = NULL;
	roster_page *p = NULL;
	size_t i, got;

	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_set_text(q, text), 0);
	assert_int_equal(roster_search(&p, w->dir, &w->as_admin, w->account, q,
				       NULL, 100), 0);
	got = roster_page_count(p);
	for (i = 0; i < got && i < n; i++)
		ids[i] = roster_page_id(p, i);
	roster_page_free(p);
	roster_query_free(q);
	return got;
}

/* How many users of the account match `text` (roster_search_count). */
static size_t count_of(world *w, const char *text)
{
	roster_query *q = NULL;
	size_t n = 0;

	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_set_text(q, text), 0);
	assert_int_equal(roster_search_count(&n, w->dir, &w->as_admin,
					     w->account, q),
			 0);
	roster_query_free(q);
	return n;
}

static void test_accents_case_words(void **state)
{
	world *w = world_new(NULL);
	roster_id dvorak, helene, zakaria, marie, novak, ids[8];

	(void)state;
	dvorak = add(w, "Antonín", "Dvořák", "antonin@acme.example");
	helene = add(w, "Marie-Hélène", "Lefèvre", "mh@acme.example");
	zakaria = add(w, "Zakaria", "Benali", "zb@acme.example");
	marie = add(w, "Marie", "Dvořáková", "marie.d@acme.example");
	novak = add(w, "Martin", "Novák", "martin@acme.example");
	assert_int_equal(find(w, "dvor", ids, 8), 2);
	assert_int_equal(ids[0], dvorak);
	assert_int_equal(ids[1], marie);
	assert_int_equal(find(w, "DVOŘ", ids, 8), 2);
	assert_int_equal(find(w, "hel", ids, 8), 1);
	assert_int_equal(ids[0], helene);
	assert_int_equal(find(w, "ZÁK", ids, 8), 1);
	assert_int_equal(ids[0], zakaria);
	assert_int_equal(find(w, "ma dv", ids, 8), 1);
	assert_int_equal(ids[0], marie);
	assert_int_equal(find(w, "dv ma", ids, 8), 1);
	/* word starts only: "vor" begins no word */
	assert_int_equal(find(w, "vor", ids, 8), 0);
	/* the login's words */
	assert_int_equal(find(w, "martin@", ids, 8), 1);
	assert_int_equal(ids[0], novak);
	assert_int_equal(find(w, "marie.d", ids, 8), 1);
	/* empty text: everyone of the account (the harness's admin too) */
	assert_int_equal(find(w, "", ids, 8), 6);
	assert_int_equal(find(w, "  ,. ", ids, 8), 6);
	/* upper case finds the dotless i; compatibility forms find their
	 * plain letters (full width, the digraph Ǆ) */
	{
		roster_id yilmaz = add(w, "Ayşe", "Yılmaz", "ay@acme.example");
		roster_id wide = add(w, "Ｍａｒｔａ", "Ｗｉｄｅ",
				     "wide@acme.example");
		roster_id dz = add(w, "ǅemal", "Hodžić", "dz@acme.example");

		assert_int_equal(find(w, "YILMAZ", ids, 8), 1);
		assert_int_equal(ids[0], yilmaz);
		assert_int_equal(find(w, "yıl", ids, 8), 1);
		assert_int_equal(find(w, "marta", ids, 8), 1);
		assert_int_equal(ids[0], wide);
		assert_int_equal(find(w, "Džemal", ids, 8), 1);
		assert_int_equal(ids[0], dz);
	}
	/* letters with a stroke and the ligatures, which no decomposition
	 * gives their plain letters, are found by them too */
	{
		roster_id lukasz = add(w, "Łukasz", "Żółć", "lz@acme.example");
		roster_id laetitia = add(w, "Lætitia", "Œuvray",
					 "lo@acme.example");
		roster_id oyvind = add(w, "Øyvind", "Đoković", "od@acme.example");
		roster_id thor = add(w, "Þórður", "Hħaŧ", "th@acme.example");

		assert_int_equal(find(w, "lukasz", ids, 8), 1);
		assert_int_equal(ids[0], lukasz);
		assert_int_equal(find(w, "ŁUK zolc", ids, 8), 1);
		assert_int_equal(find(w, "laetitia", ids, 8), 1);
		assert_int_equal(ids[0], laetitia);
		assert_int_equal(find(w, "LÆT oeuv", ids, 8), 1);
		assert_int_equal(find(w, "oyv dok", ids, 8), 1);
		assert_int_equal(ids[0], oyvind);
		assert_int_equal(find(w, "thord hhat", ids, 8), 1);
		assert_int_equal(ids[0], thor);
		/* "lae" is three letters: "la" finds Lætitia, "lae" too */
		assert_int_equal(find(w, "la", ids, 8), 1);
		assert_int_equal(find(w, "lae", ids, 8), 1);
	}
	world_free(w);
}

/* A login's words are its runs of letters and digits, whatever the
 * punctuation between them and the case it was typed in; a word shared
 * with the names is listed once; a change of login moves its words. */
static void test_login_words(void **state)
{
	world *w = world_new(NULL);
	roster_id id, other, paulo, ids[4];
	int i;

	(void)state;
	id = add(w, "Jean", "Tagore", "Jean-Paul.O+Tag_2@Acme-X.example");
	other = add(w, "Anne", "Ulm", "anne@beta.example");
	for (i = 0; i < 8; i++) {
		/* (the harness's admin is ada@acme.example) */
		static const char *const found[] = { "paul", "PAUL",   "o",
						     "tag",  "2",      "acme x",
						     "x",    "jean paul" };
		assert_int_equal(find(w, found[i], ids, 4), 1);
		assert_int_equal(ids[0], id);
	}
	/* inside a word: not a word start */
	assert_int_equal(find(w, "aul", ids, 4), 0);
	assert_int_equal(find(w, "cme", ids, 4), 0);
	assert_int_equal(find(w, "ag_", ids, 4), 0);
	/* longer than the lists' four characters, in the login only */
	assert_int_equal(find(w, "example", ids, 4), 3);
	/* "paulx" is in this login, but not at a word start */
	paulo = add(w, "Paulo", "Xavier", "paulo.xpaulx@delta.example");
	assert_int_equal(find(w, "paulx", ids, 4), 0);
	assert_int_equal(find(w, "xpaul", ids, 4), 1);
	assert_int_equal(ids[0], paulo);
	assert_int_equal(roster_user_delete(w->dir, &w->as_admin, paulo), 0);
	assert_int_equal(find(w, "exampl paul", ids, 4), 1);
	/* "jean", "tag": in the names and the login, counted once */
	assert_int_equal(count_of(w, "jean"), 1);
	assert_int_equal(count_of(w, "tag"), 1);
	/* a new login: the old one's words go, the new one's come */
	update_str(w, id, ROSTER_FIELD_EMAIL, "jp.tagore@gamma.example");
	assert_int_equal(find(w, "paul", ids, 4), 0);
	assert_int_equal(find(w, "acme x", ids, 4), 0);
	assert_int_equal(find(w, "gamma", ids, 4), 1);
	assert_int_equal(find(w, "gam", ids, 4), 1);
	assert_int_equal(find(w, "jp", ids, 4), 1);
	assert_int_equal(ids[0], id);
	assert_int_equal(find(w, "anne", ids, 4), 1);
	assert_int_equal(ids[0], other);
	world_free(w);
}

/* Names whose folded words outgrow the buffer a user's keys are built in
 * (a Hangul syllable folds to three jamo of three bytes each): the user
 * is found by its words and sorted by its names like any other. */
static void test_long_folded_names(void **state)
{
	world *w = world_new(NULL);
	char first[301], last[301];
	roster_id a, b, ids[4];
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		memcpy(first + 3 * i, "\xED\x95\x9C", 3); /* U+D55C */
		memcpy(last + 3 * i, i % 2 ? "\xEA\xB5\xAD" /* U+AD6D */
					   : "\xEC\x96\xB4", /* U+C5B4 */
		       3);
	}
	first[300] = last[300] = '\0';
	a = add(w, first, last, "long.names@acme.example");
	b = add(w, "Anna", last, "anna@acme.example");
	assert_int_equal(find(w, "\xED\x95\x9C\xED\x95\x9C", ids, 4), 1);
	assert_int_equal(ids[0], a);
	/* the same last name: the first names decide, "anna" first */
	assert_int_equal(find(w, "\xEC\x96\xB4", ids, 4), 2);
	assert_int_equal(ids[0], b);
	assert_int_equal(ids[1], a);
	assert_int_equal(find(w, "long", ids, 4), 1);
	/* a page ending on a user whose folded key is long (each Hangul
	 * syllable folds to three jamo: 1,800 bytes): its cursor leads on */
	{
		roster_query *q = NULL;
		roster_page *p1 = NULL, *p2 = NULL;
		roster_id c = add(w, "\xED\x9E\xA3", last, "c@acme.example");

		assert_int_equal(roster_query_new(&q), 0);
		assert_int_equal(roster_query_set_text(q, "\xEC\x96\xB4"), 0);
		assert_int_equal(roster_search(&p1, w->dir, &w->as_admin,
					       w->account, q, NULL, 2), 0);
		assert_int_equal(roster_page_count(p1), 2);
		assert_int_equal(roster_page_id(p1, 1), a);
		assert_non_null(roster_page_next(p1));
		assert_true(strlen(roster_page_next(p1)) > 2 * 1024);
		assert_int_equal(roster_search(&p2, w->dir, &w->as_admin,
					       w->account, q,
					       roster_page_next(p1), 2), 0);
		assert_int_equal(roster_page_count(p2), 1);
		assert_int_equal(roster_page_id(p2, 0), c);
		roster_page_free(p1);
		roster_page_free(p2);
		roster_query_free(q);
	}
	world_free(w);
}

/* A word typed twice asks nothing more; more than 16 different words are
 * refused, not cut to 16 (which would match users failing the rest). */
static void test_query_words(void **state)
{
	world *w = world_new(NULL);
	roster_query *q = NULL;
	roster_id a, ids[4];
	char text[256] = "";
	int i;

	(void)state;
	a = add(w, "Anna", "Zorn", "zorn@acme.example");
	add(w, "Anna", "Bell", "anna@acme.example");
	for (i = 0; i < 16; i++)
		strcat(text, "anna ");
	strcat(text, "zorn");
	assert_int_equal(find(w, text, ids, 4), 1);
	assert_int_equal(ids[0], a);
	assert_int_equal(count_of(w, text), 1);
	assert_int_equal(roster_query_new(&q), 0);
	strcpy(text, "a b c d e f g h i j k l m n o p");
	assert_int_equal(roster_query_set_text(q, text), 0);
	strcat(text, " q");
	assert_int_equal(roster_query_set_text(q, text), ROSTER_EINVALID);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "query.words");
	assert_non_null(strstr(roster_error_message(roster_error_last()),
			       "16"));
	roster_query_free(q);
	world_free(w);
}

/* A user of many words (75 in its names, 4 in its login): each prefix is
 * listed once, the words past the first 64 as well as the others, and
 * the login's "b01", past them, as well as the first name's. */
static void test_many_words(void **state)
{
	world *w = world_new(NULL);
	char names[3][128];
	roster_id id, ids[4];
	size_t f, i, n;

	(void)state;
	for (f = 0; f < 3; f++) {
		for (i = 0, n = 0; i < 25; i++)
			n += (size_t)snprintf(names[f] + n, sizeof(names[f]) - n,
					      "%s%c%02zu", i ? " " : "",
					      "bcd"[f], i + 1);
	}
	assert_int_equal(world_user(w, &w->as_admin, w->account, names[0],
				    names[1], "b01.words@acme.example", 0, &id),
			 0);
	{
		roster_form *fm = NULL;
		assert_int_equal(roster_form_new(&fm, w->dir), 0);
		assert_int_equal(roster_form_set_str(fm, ROSTER_FIELD_DISPLAY_NAME,
						     names[2]),
				 0);
		assert_int_equal(roster_user_update(w->dir, &w->as_admin, id, fm),
				 0);
		roster_form_free(fm);
	}
	/* "d2" begins six words past the 64th: one result, counted once */
	assert_int_equal(find(w, "d2", ids, 4), 1);
	assert_int_equal(ids[0], id);
	assert_int_equal(find(w, "d25", ids, 4), 1);
	assert_int_equal(find(w, "b0 d1", ids, 4), 1);
	assert_int_equal(find(w, "b01 word", ids, 4), 1);
	assert_int_equal(count_of(w, "d"), 1);
	assert_int_equal(count_of(w, "b0"), 1);
	assert_int_equal(count_of(w, "c2"), 1);
	world_free(w);
}

static void test_numbers(void **state)
{
	world *w = world_new(NULL);
	roster_form *f = NULL;
	roster_id u, ids[4];
	const char *lines[] = { "+33 1 44 55 66 77" };

	(void)state;
	u = add(w, "Num", "Ber", "num@acme.example");
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "4711");
	roster_form_set_str(f, ROSTER_FIELD_PHONE, "+420 601 234 567");
	roster_form_set_lines(f, lines, 1);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f), 0);
	roster_form_free(f);
	assert_int_equal(find(w, "47", ids, 4), 1);
	assert_int_equal(ids[0], u);
	assert_int_equal(find(w, "420601", ids, 4), 1);
	assert_int_equal(find(w, "33144", ids, 4), 1);
	/* the national numbers: 601234567 (the Czech Republic dials no
	 * national prefix), 144556677 and 0144556677 (France dials 0) */
	assert_int_equal(find(w, "601", ids, 4), 1);
	assert_int_equal(find(w, "0144", ids, 4), 1);
	assert_int_equal(find(w, "144", ids, 4), 1);
	assert_int_equal(find(w, "0601", ids, 4), 0);
	assert_int_equal(find(w, "234", ids, 4), 0); /* not a word start */
	/* a number written as it is dialled, with its '+': one number */
	assert_int_equal(find(w, "+420 601 234 567", ids, 4), 1);
	assert_int_equal(find(w, "+420 601", ids, 4), 1);
	assert_int_equal(find(w, "(+420) 601-234.5", ids, 4), 1);
	assert_int_equal(find(w, "+33 1 44 55 66 77", ids, 4), 1);
	assert_int_equal(find(w, "+33/1/44", ids, 4), 1);
	assert_int_equal(find(w, "num +420 601", ids, 4), 1);
	assert_int_equal(find(w, "+420 601 num", ids, 4), 1);
	assert_int_equal(find(w, "+421 601", ids, 4), 0);
	assert_int_equal(find(w, "+420 602", ids, 4), 0);
	/* without the '+', groups of digits are one number too: as
	 * dialled from abroad, or in the number's country */
	assert_int_equal(find(w, "420 601", ids, 4), 1);
	assert_int_equal(find(w, "00420 601 234", ids, 4), 1);
	assert_int_equal(find(w, "601 234 567", ids, 4), 1);
	assert_int_equal(find(w, "601 234 568", ids, 4), 0);
	assert_int_equal(find(w, "01 44 55 66 77", ids, 4), 1);
	assert_int_equal(find(w, "01.44.55", ids, 4), 1);
	assert_int_equal(find(w, "+33 (0)1 44 55", ids, 4), 1);
	assert_int_equal(find(w, "0033 1 44", ids, 4), 1);
	assert_int_equal(find(w, "num 601 234", ids, 4), 1);
	assert_int_equal(find(w, "601 234 num", ids, 4), 1);
	/* so two numbers are one: the extension and the phone no longer
	 * narrow together, but a group followed by letters is a word */
	assert_int_equal(find(w, "47 420", ids, 4), 0);
	assert_int_equal(find(w, "4711 2ber", ids, 4), 0);
	assert_int_equal(find(w, "4711 1ber", ids, 4), 0);
	assert_int_equal(find(w, "47 num", ids, 4), 1);
	/* a '+' inside a word begins no number: "num", "420" (the
	 * beginning of 420601234567) and the number "601" (of 601234567) */
	assert_int_equal(find(w, "num+420 601", ids, 4), 1);
	assert_int_equal(find(w, "n\xC3\xBAm+420 601", ids, 4), 1);
	assert_int_equal(find(w, "num+420 602", ids, 4), 0);
	assert_int_equal(find(w, "num+420 601 234", ids, 4), 1);
	assert_int_equal(find(w, "num+420 234", ids, 4), 0);
	/* a number pasted as it is printed: no-break spaces (U+00A0, the
	 * narrow U+202F of French typography) around it and between its
	 * groups, or a dash before it, are spaces and punctuation too */
	assert_int_equal(find(w, "\xC2\xA0+420 601", ids, 4), 1);
	assert_int_equal(find(w, "+420\xE2\x80\xAF" "601\xC2\xA0" "234", ids, 4),
			 1);
	assert_int_equal(find(w, "tel.\xC2\xA0:\xC2\xA0+33\xC2\xA0" "1\xC2\xA0" "44",
			      ids, 4),
			 0); /* "tel" begins no word of the user's */
	assert_int_equal(find(w, "num\xC2\xA0+33\xC2\xA0" "1\xC2\xA0" "44", ids, 4),
			 1);
	assert_int_equal(find(w, "\xE2\x80\x94+420 601", ids, 4), 1);
	assert_int_equal(find(w, "+420\xC2\xA0" "602", ids, 4), 0);
	/* the index follows changes */
	update_str(w, u, ROSTER_FIELD_LAST_NAME, "Changed");
	assert_int_equal(find(w, "ber", ids, 4), 0);
	assert_int_equal(find(w, "chan", ids, 4), 1);
	world_free(w);
}

/* Each number is found from its country calling code and as it is
 * written in its country: the national prefix where one is dialled, the
 * leading 0 of an Italian number kept, none for a code no country has. */
static void test_national_numbers(void **state)
{
	static const struct {
		const char *number, *finds[4], *misses[2];
	} cases[] = {
		{ "+39 06 1234 5678", { "06 1234", "3906", "0612345678" },
		  { "6 1234", "0 06" } },
		{ "+1 202 555 0100",
		  { "202 555", "1 202 555", "2025550100",
		    "202 2nd" }, /* "2nd" is a word of the login */
		  { "0202", "555 0100" } },
		{ "+36 1 234 5678", { "06 1 234", "1 234 5678", "36 1 234" },
		  { "0 1 234", "061 235" } },
		{ "+44 20 7946 0000", { "020 7946", "20 7946", "0044 20" },
		  { "0 21 7946", "07946" } },
		{ "+999 123 4567", { "9991234", "+999 123", NULL },
		  { "123 4567", "0123" } },
	};
	world *w = world_new(NULL);
	roster_id u, ids[4];
	size_t i, k;

	(void)state;
	u = add(w, "Tel", "Number", "tel.2nd@acme.example");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		update_str(w, u, ROSTER_FIELD_PHONE, cases[i].number);
		for (k = 0; k < 4 && cases[i].finds[k]; k++)
			if (find(w, cases[i].finds[k], ids, 4) != 1 ||
			    ids[0] != u)
				fail_msg("%s: \"%s\" does not find it",
					 cases[i].number, cases[i].finds[k]);
		for (k = 0; k < 2; k++)
			if (find(w, cases[i].misses[k], ids, 4) != 0)
				fail_msg("%s: \"%s\" finds it",
					 cases[i].number, cases[i].misses[k]);
	}
	/* the words of a number go with it: the last number holds none of
	 * the first ones' */
	assert_int_equal(find(w, "06 1234", ids, 4), 0);
	assert_int_equal(find(w, "202", ids, 4), 0);
	assert_int_equal(count_of(w, "06"), 0);
	/* a line is found as the phone is */
	{
		const char *lines[] = { "+420 601 234 567" };
		roster_form *f = NULL;

		assert_int_equal(roster_form_new(&f, w->dir), 0);
		assert_int_equal(roster_form_set_lines(f, lines, 1), 0);
		assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f),
				 0);
		roster_form_free(f);
	}
	assert_int_equal(find(w, "601 234 567", ids, 4), 1);
	assert_int_equal(count_of(w, "601"), 1);
	world_free(w);
}

/* Only a text of digits and the punctuation of numbers is a number: a
 * login typed as it is written, its groups of digits between dots and
 * before its '@', finds its user as its words do, and so does a word of
 * letters and digits glued by punctuation. */
static void test_digits_in_logins(void **state)
{
	world *w = world_new(NULL);
	roster_id u, v, ids[4];

	(void)state;
	u = add(w, "John", "Smith", "john.2024.01@acme.example");
	v = add(w, "Year", "Start", "2024.01@acme.example");
	assert_int_equal(find(w, "john.2024.01@acme.example", ids, 4), 1);
	assert_int_equal(ids[0], u);
	assert_int_equal(find(w, "john.2024.01", ids, 4), 1);
	assert_int_equal(find(w, "john-2024-01", ids, 4), 1);
	assert_int_equal(find(w, "2024.01@acme.example", ids, 4), 2);
	assert_int_equal(find(w, "2024.01@", ids, 4), 2);
	assert_int_equal(find(w, "start 2024.01@acme", ids, 4), 1);
	assert_int_equal(ids[0], v);
	/* a text of digits alone is still one number */
	assert_int_equal(find(w, "2024.01", ids, 4), 0);
	assert_int_equal(find(w, "2024 01", ids, 4), 0);
	world_free(w);
}

/* A "00" is dialled for a '+' only before a country code: a word of
 * digits beginning "00" ("007" of a name or a login) is found as it is
 * typed, and a number dialled from abroad as it is dialled. */
static void test_double_zero(void **state)
{
	world *w = world_new(NULL);
	roster_id bond, tel, ids[4];

	(void)state;
	bond = add(w, "James", "Bond", "bond.007@acme.example");
	update_str(w, bond, ROSTER_FIELD_DISPLAY_NAME, "Agent 007");
	tel = add(w, "Tel", "Number", "tel@acme.example");
	update_str(w, tel, ROSTER_FIELD_PHONE, "+33 1 44 55 66 77");
	assert_int_equal(find(w, "007", ids, 4), 1);
	assert_int_equal(ids[0], bond);
	assert_int_equal(find(w, "agent 007", ids, 4), 1);
	assert_int_equal(find(w, "00", ids, 4), 1);
	assert_int_equal(find(w, "0072", ids, 4), 0);
	assert_int_equal(find(w, "0033", ids, 4), 1); /* "00" and "33" */
	assert_int_equal(ids[0], tel);
	assert_int_equal(find(w, "00999 1", ids, 4), 0); /* no such code */
	/* dialled from abroad, the "(0)" left out as after a '+' */
	assert_int_equal(find(w, "0033 1 44", ids, 4), 1);
	assert_int_equal(ids[0], tel);
	assert_int_equal(find(w, "0033144556677", ids, 4), 1);
	assert_int_equal(find(w, "0033 (0)1 44", ids, 4), 1);
	assert_int_equal(find(w, "0033 2", ids, 4), 0);
	/* the words follow the number */
	update_str(w, tel, ROSTER_FIELD_PHONE, "+420 601 234 567");
	assert_int_equal(find(w, "0033", ids, 4), 0);
	assert_int_equal(find(w, "00420 601", ids, 4), 1);
	world_free(w);
}

/* A number kept with the national prefix 0 after its country code
 * (typed "+33 01 ...", or a "(0)" kept so by a store written before E.164
 * validation left it out) is found by the text it was typed with, by
 * the text with a "(0)", which a query leaves out, and by its forms
 * without the 0. */
static void test_number_with_trunk(void **state)
{
	world *w = world_new(NULL);
	roster_id u, ids[4];

	(void)state;
	u = add(w, "Tel", "Number", "tel@acme.example");
	/* the 0 written after the country code as a digit is kept, as a
	 * store may hold it (a "(0)" is left out: model/users) */
	update_str(w, u, ROSTER_FIELD_PHONE, "+33 01 44 55 66 77");
	assert_int_equal(find(w, "+33 01 44 55 66 77", ids, 4), 1);
	assert_int_equal(ids[0], u);
	assert_int_equal(find(w, "+33 (0)1 44 55 66 77", ids, 4), 1);
	assert_int_equal(find(w, "+33 1 44 55", ids, 4), 1);
	assert_int_equal(find(w, "0033 (0)1 44", ids, 4), 1);
	assert_int_equal(find(w, "01 44 55 66 77", ids, 4), 1);
	assert_int_equal(find(w, "1 44 55", ids, 4), 1);
	assert_int_equal(find(w, "+330144", ids, 4), 1);
	assert_int_equal(find(w, "+33 2", ids, 4), 0);
	/* a country dialling no national prefix keeps its 0: +39 06; and
	 * so does a "(0)" after its code, in the setter as in a query */
	update_str(w, u, ROSTER_FIELD_PHONE, "+39 06 1234 5678");
	assert_int_equal(find(w, "+39 6", ids, 4), 0);
	assert_int_equal(find(w, "+39 06 1234", ids, 4), 1);
	update_str(w, u, ROSTER_FIELD_PHONE, "+39 (0)6 1234 5678");
	assert_int_equal(find(w, "+39 (0)6 1234 5678", ids, 4), 1);
	assert_int_equal(ids[0], u);
	assert_int_equal(find(w, "0039 (0)6 1234", ids, 4), 1);
	assert_int_equal(find(w, "+39 06 1234", ids, 4), 1);
	assert_int_equal(find(w, "+39 6 1234", ids, 4), 0);
	/* a "(0)" elsewhere than after the code is kept too */
	assert_int_equal(find(w, "+3906 (0)1234", ids, 4), 0);
	world_free(w);
}

/* A name written with an apostrophe is found as typed with it and
 * without it; the apostrophe forms of names all count. */
static void test_apostrophes(void **state)
{
	world *w = world_new(NULL);
	roster_id a, b, c, ids[4];

	(void)state;
	a = add(w, "Seán", "O'Brien", "sob@acme.example");
	b = add(w, "Jeanne", "D\xE2\x80\x99" "Arc", "jda@acme.example");
	c = add(w, "Kai", "O\xCA\xBCneil", "kon@acme.example");
	assert_int_equal(find(w, "obrien", ids, 4), 1);
	assert_int_equal(ids[0], a);
	assert_int_equal(find(w, "obr", ids, 4), 1);
	assert_int_equal(find(w, "o'b", ids, 4), 1);
	assert_int_equal(find(w, "brien", ids, 4), 1);
	assert_int_equal(find(w, "sean obrien", ids, 4), 1);
	assert_int_equal(count_of(w, "obrien"), 1);
	assert_int_equal(find(w, "darc", ids, 4), 1);
	assert_int_equal(ids[0], b);
	assert_int_equal(find(w, "d'arc", ids, 4), 1);
	assert_int_equal(find(w, "arc", ids, 4), 1);
	assert_int_equal(find(w, "oneil", ids, 4), 1);
	assert_int_equal(ids[0], c);
	/* U+02BC is a modifier letter, but an apostrophe in a name as the
	 * others are: the words of Oʼneil are those of O'Neil */
	assert_int_equal(find(w, "neil", ids, 4), 1);
	assert_int_equal(ids[0], c);
	assert_int_equal(find(w, "o'n", ids, 4), 1);
	assert_int_equal(find(w, "o\xCA\xBCn", ids, 4), 1);
	assert_int_equal(find(w, "oneil kai", ids, 4), 1);
	/* a joined word ending another word is a word of its own */
	update_str(w, c, ROSTER_FIELD_DISPLAY_NAME, "Xabc Ab'c");
	assert_int_equal(find(w, "abc", ids, 4), 1);
	assert_int_equal(ids[0], c);
	/* the joined word is the name's alone: no word across names */
	assert_int_equal(find(w, "obriensean", ids, 4), 0);
	assert_int_equal(find(w, "jeannedarc", ids, 4), 0);
	/* and it follows the name */
	update_str(w, a, ROSTER_FIELD_LAST_NAME, "Brien");
	assert_int_equal(find(w, "obrien", ids, 4), 0);
	assert_int_equal(find(w, "brien", ids, 4), 1);
	assert_int_equal(count_of(w, "obr"), 0);
	/* the order is the names' own: the joined words are not sorted by */
	assert_int_equal(find(w, "", ids, 4), 4);
	world_free(w);
}

/* By last name, then first name, folded; then by id. */
static void test_order(void **state)
{
	world *w = world_new(NULL);
	roster_id a, b, c, d, e, ids[8];

	(void)state;
	c = add(w, "Zoë", "Čapek", "c@acme.example");	  /* capek */
	a = add(w, "Ann", "Able", "a@acme.example");
	d = add(w, "Ann", "Capek", "d@acme.example");	  /* capek, ann < zoe */
	b = add(w, "Bob", "ABLE", "b@acme.example");	  /* able, ann < bob */
	e = add(w, "Ann", "Capek", "e@acme.example");	  /* same key: by id */
	assert_int_equal(find(w, "able", ids, 8), 2);
	assert_int_equal(ids[0], a);
	assert_int_equal(ids[1], b);
	assert_int_equal(find(w, "cap", ids, 8), 3);
	assert_int_equal(ids[0], d);
	assert_int_equal(ids[1], e);
	assert_int_equal(ids[2], c);
	world_free(w);
}

/* Paging while users come and go: nobody twice, nobody who stayed
 * skipped. */
static void test_paging_while_changing(void **state)
{
	world *w = world_new(NULL);
	roster_query *q = NULL;
	roster_page *p = NULL;
	roster_id users[12], seen[64];
	char *cursor = NULL, email[32], last[16];
	size_t nseen = 0, i, j, total = 0;
	int round = 0;

	(void)state;
	for (i = 0; i < 12; i++) {
		snprintf(email, sizeof(email), "p%zu@acme.example", i);
		snprintf(last, sizeof(last), "Page%02zu", i);
		users[i] = add(w, "P", last, email);
	}
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_set_text(q, "page"), 0);
	do {
		assert_int_equal(roster_search(&p, w->dir, &w->as_admin,
					       w->account, q, cursor, 3), 0);
		if (round == 0)
			total = roster_page_total(p);
		for (i = 0; i < roster_page_count(p); i++)
			seen[nseen++] = roster_page_id(p, i);
		free(cursor);
		cursor = roster_page_next(p) ? strdup(roster_page_next(p)) : NULL;
		roster_page_free(p);
		/* between pages: one before the cursor, one after, and a
		 * deletion of a user not shown yet */
		if (round == 1) {
			add(w, "P", "Page00a", "early@acme.example");
			add(w, "P", "Page99", "late@acme.example");
			assert_int_equal(roster_user_delete(w->dir, &w->as_admin,
							    users[10]), 0);
		}
		round++;
	} while (cursor);
	/* a search does not count; roster_search_count does */
	assert_int_equal(total, ROSTER_TOTAL_UNKNOWN);
	/* nobody twice */
	for (i = 0; i < nseen; i++)
		for (j = i + 1; j < nseen; j++)
			assert_int_not_equal(seen[i], seen[j]);
	/* every user that stayed, once; the late one too (after the cursor),
	 * not the early one (before it), nor the deleted one */
	for (i = 0; i < 12; i++) {
		int found = 0;
		for (j = 0; j < nseen; j++)
			found |= seen[j] == users[i];
		assert_int_equal(found, i != 10);
	}
	assert_int_equal(nseen, 12);
	roster_query_free(q);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* Against a brute-force scan                                          */

static const char *const firsts[] = { "Marie", "Jiří", "Hélène", "Zoë",
				      "François", "Šárka", "Anna", "Lukáš",
				      "Ève", "Petr" };
static const char *const lasts[] = { "Dvořáková", "Novák", "Lefèvre",
				     "Černý", "Dubois", "Svoboda", "Müller",
				     "Procházka", "Garçon", "Ölund" };

/* Last names written with an apostrophe (' ’ ʼ), which a user is found
 * by with it or without it: a user of test_index_random takes one now
 * and then. */
static const char *const apostrophed[] = { "O'Brien", "D\xE2\x80\x99" "Arc",
					   "O\xCA\xBC" "neil",
					   "Dell'Olio-N\xC3\xB3vak" };

/* The test's own folding of the letters above. */
static void fold(const char *in, char *out)
{
	static const struct { const char *from, *to; } map[] = {
		{ "á", "a" }, { "Á", "a" }, { "č", "c" }, { "Č", "c" },
		{ "ď", "d" }, { "é", "e" }, { "É", "e" }, { "ě", "e" },
		{ "è", "e" }, { "È", "e" }, { "í", "i" }, { "ň", "n" },
		{ "ó", "o" }, { "ř", "r" }, { "Ř", "r" }, { "š", "s" },
		{ "Š", "s" }, { "ť", "t" }, { "ú", "u" }, { "ů", "u" },
		{ "ý", "y" }, { "ž", "z" }, { "Ž", "z" }, { "ë", "e" },
		{ "ç", "c" }, { "ü", "u" }, { "Ö", "o" }, { "ö", "o" },
	};
	size_t i;

	while (*in) {
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strncmp(in, map[i].from, strlen(map[i].from)) == 0)
				break;
		if (i < sizeof(map) / sizeof(map[0])) {
			strcpy(out, map[i].to);
			out += strlen(map[i].to);
			in += strlen(map[i].from);
		} else {
			*out++ = (char)(*in >= 'A' && *in <= 'Z' ? *in + 32 : *in);
			in++;
		}
	}
	*out = '\0';
}

/* Does some word of the folded `text` begin with `prefix`? */
static int begins_word(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;

	for (; *p; p++) {
		int start = p == text ||
			    !((p[-1] >= 'a' && p[-1] <= 'z') ||
			      (p[-1] >= '0' && p[-1] <= '9'));
		if (start && strncmp(p, prefix, n) == 0)
			return 1;
	}
	return 0;
}

static void test_brute_force(void **state)
{
	world *w = world_new(NULL);
	roster_id ids[400];
	char fl[400][2][64];
	unsigned seed = 12345;
	size_t i, k, queries = 0;

	(void)state;
	for (i = 0; i < 400; i++) {
		char email[48];
		const char *f = firsts[((seed = seed * 1103515245u + 12345u) >> 16) % 10];
		const char *l = lasts[((seed = seed * 1103515245u + 12345u) >> 16) % 10];
		/* logins whose words begin with no name's letters */
		snprintf(email, sizeof(email), "u%zu@x.test", i);
		ids[i] = add(w, f, l, email);
		fold(f, fl[i][0]);
		fold(l, fl[i][1]);
	}
	for (k = 0; k < 300; k++) {
		roster_query *q = NULL;
		roster_page *p = NULL;
		char text[64], a[64], b[64];
		size_t expect = 0, got, plen;
		const char *src;

		/* one or two prefixes of random names, maybe upper case */
		seed = seed * 1103515245u + 12345u;
		src = (seed >> 16) & 1 ? firsts[(seed >> 17) % 10]
				       : lasts[(seed >> 17) % 10];
		fold(src, a);
		plen = 1 + (seed >> 20) % 4;
		if (plen > strlen(a))
			plen = strlen(a);
		a[plen] = '\0';
		b[0] = '\0';
		if ((seed >> 24) & 1) {
			seed = seed * 1103515245u + 12345u;
			fold(lasts[(seed >> 16) % 10], b);
			b[1 + (seed >> 20) % 3] = '\0';
		}
		snprintf(text, sizeof(text), "%s %s", a, b);
		for (i = 0; i < 400; i++) {
			int ok = begins_word(fl[i][0], a) || begins_word(fl[i][1], a);
			if (*b)
				ok = ok && (begins_word(fl[i][0], b) ||
					    begins_word(fl[i][1], b));
			expect += ok;
		}
		/* the harness's admin may match too ("Ada Admin") */
		assert_int_equal(roster_query_new(&q), 0);
		assert_int_equal(roster_query_set_text(q, text), 0);
		assert_int_equal(roster_search(&p, w->dir, &w->as_admin,
					       w->account, q, NULL, 1000), 0);
		got = 0;
		for (i = 0; i < roster_page_count(p); i++) {
			size_t j;
			for (j = 0; j < 400 && ids[j] != roster_page_id(p, i); j++)
				;
			got += j < 400;
		}
		if (got != expect)
			fail_msg("query \"%s\": %zu found, the scan says %zu",
				 text, got, expect);
		queries++;
		roster_page_free(p);
		roster_query_free(q);
	}
	print_message("%zu random queries over 400 users agreed with a "
		      "brute-force scan\n",
		      queries);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* The index against a scan, while users come, change and go           */

typedef struct shadow {
	roster_id id, account;
	unsigned filters; /* the boolean filters it passes, 1 << filter */
	char words[256]; /* folded words of every searched field */
	char key[260];	 /* folded "last\x01first", as documented */
	roster_id group, site;
	int video, meetings; /* holds the licence, the product licence */
} shadow;

/* " w1 w2": the words of folded text, split at what is not a letter or a
 * digit, each after a space. */
static void words_of(const char *folded, char *out)
{
	const char *p = folded;

	*out = '\0';
	while (*p) {
		size_t n;
		while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			p++;
		for (n = 0; (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9');
		     n++)
			;
		if (n) {
			strcat(out, " ");
			strncat(out, p, n);
		}
		p += n;
	}
}

/* `in` without its apostrophes (' ’ ʼ) into out. */
static void unapostrophe(const char *in, char *out)
{
	while (*in) {
		if (*in == '\'')
			in++;
		else if (strncmp(in, "\xE2\x80\x99", 3) == 0)
			in += 3;
		else if (strncmp(in, "\xCA\xBC", 2) == 0)
			in += 2;
		else
			*out++ = *in++;
	}
	*out = '\0';
}

static void shadow_read(world *w, roster_id id, shadow *s)
{
	roster_user *u = NULL;
	char folded[128], wd[2][128], part[128];
	size_t i;

	assert_int_equal(roster_user_get(&u, w->dir, id), 0);
	s->id = id;
	s->account = roster_user_account(u);
	s->words[0] = '\0';
	for (i = 0; i < NSEARCHED; i++) {
		const char *v = roster_user_str(u, searched_fields[i]);
		fold(v ? v : "", folded);
		words_of(folded, part);
		strcat(s->words, part);
		if (i < 2)
			strcpy(wd[i], part);
	}
	snprintf(s->key, sizeof(s->key), "%s\x01%s", wd[1], wd[0]);
	/* and the names' words without their apostrophes (search.h) */
	for (i = 0; i < 3; i++) {
		const char *v = roster_user_str(u, searched_fields[i]);
		char plain[128];
		unapostrophe(v ? v : "", plain);
		fold(plain, folded);
		words_of(folded, part);
		strcat(s->words, part);
	}
	s->filters =
		(roster_user_bool(u, ROSTER_FIELD_ADMIN) << ROSTER_FILTER_ADMINS) |
		(roster_user_bool(u, ROSTER_FIELD_REGISTERED)
		 << ROSTER_FILTER_REGISTERED) |
		(!roster_user_bool(u, ROSTER_FIELD_REGISTERED)
		 << ROSTER_FILTER_UNREGISTERED) |
		((roster_user_ref(u, ROSTER_FIELD_PBX) != 0)
		 << ROSTER_FILTER_PBX_USERS) |
		(roster_user_bool(u, ROSTER_FIELD_CLOUD) << ROSTER_FILTER_CLOUD) |
		(roster_user_bool(u, ROSTER_FIELD_IOT) << ROSTER_FILTER_IOT);
	s->group = roster_user_ref(u, ROSTER_FIELD_GROUP);
	s->site = roster_user_ref(u, ROSTER_FIELD_SITE);
	s->video = roster_user_str(u, ROSTER_FIELD_LICENCE) != NULL;
	s->meetings = roster_user_product_count(u) == 1;
	roster_user_free(u);
}

/* The groups and sites of the accounts of test_index_random, two each. */
static roster_id places[3][2][2]; /* [account][group, site][which] */

/* A value filter, as a query asks it and a scan checks it. */
typedef struct value_filter {
	int kind;    /* 0 none, 1 group, 2 site, 3 licence, 4 product */
	roster_id id;
} value_filter;

static int shadow_holds(const shadow *s, const value_filter *v)
{
	switch (v->kind) {
	case 1: return s->group == v->id;
	case 2: return s->site == v->id;
	case 3: return s->video;
	case 4: return s->meetings;
	default: return 1;
	}
}

static int cmp_shadow(const void *a, const void *b)
{
	const shadow *x = a, *y = b;
	int c;

	if (x->account != y->account)
		return x->account < y->account ? -1 : 1;
	if ((c = strcmp(x->key, y->key)))
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Does every word of the query begin a word of s? */
static int shadow_matches(const shadow *s, char q[][32], size_t nq)
{
	size_t i;

	for (i = 0; i < nq; i++) {
		char needle[72];
		snprintf(needle, sizeof(needle), " %s", q[i]);
		if (!strstr(s->words, needle))
			return 0;
	}
	return 1;
}

static unsigned rnd_state = 777;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Every page, through the cursors, equals the scan, in order; so does the
 * count. Scope: one account, or the whole directory (account 0). */
static void check_index(world *w, const roster_id *ids, size_t n,
			roster_id account)
{
	shadow *all = calloc(n, sizeof(*all)), *want = calloc(n, sizeof(*want));
	size_t i, k, nwant;

	assert_non_null(all);
	assert_non_null(want);
	for (i = 0; i < n; i++)
		shadow_read(w, ids[i], &all[i]);
	for (k = 0; k < 12; k++) {
		char q[2][32], text[80], folded[64], wd[64];
		roster_query *query = NULL;
		roster_page *p = NULL;
		char *cursor = NULL;
		size_t nq = 0, got = 0, counted = 99, limit = 1 + rnd() % 7;
		unsigned filters;
		value_filter vf[2];
		/* a prefix of 1 to 6 letters of a name, maybe two; or none */
		for (i = 0; i < 1 + (k % 3 == 2) && k % 6; i++) {
			const char *src = rnd() % 2 ? firsts[rnd() % 10]
						   : lasts[rnd() % 10];
			char plain[64], *sp;
			if (rnd() % 4 == 0) {
				/* a name written with an apostrophe, typed
				 * with it (its first word) or without */
				src = apostrophed[rnd() % 4];
				if (rnd() % 2) {
					unapostrophe(src, plain);
					src = plain;
				}
			}
			fold(src, folded);
			words_of(folded, wd);
			snprintf(q[nq], sizeof(q[nq]), "%.*s",
				 (int)(1 + rnd() % 6), wd + 1);
			/* a prefix of its first word */
			if ((sp = strchr(q[nq], ' ')) != NULL)
				*sp = '\0';
			nq++;
		}
		snprintf(text, sizeof(text), "%s %s", nq > 0 ? q[0] : "",
			 nq > 1 ? q[1] : "");
		/* and one or two boolean filters, every other time */
		filters = 0;
		if (k % 2)
			filters |= 1u << (1 + rnd() % 6);
		if (k % 4 == 3)
			filters |= 1u << (1 + rnd() % 6);
		/* and a group, site, licence or product licence, a time in
		 * two */
		memset(vf, 0, sizeof(vf));
		for (i = 0; i < 2 && rnd() % 2; i++) {
			vf[i].kind = 1 + (int)(rnd() % 4);
			if (vf[i].kind <= 2) {
				roster_record *r = NULL;
				vf[i].id = places[rnd() % 3][vf[i].kind - 1]
						 [rnd() % 2];
				/* a group or site of this directory only: a
				 * filter naming none is refused */
				if (roster_record_get(&r, w->dir, vf[i].id))
					vf[i].kind = 0;
				roster_record_free(r);
			}
		}
		/* two of one kind: the query keeps the second */
		if (vf[0].kind && vf[0].kind == vf[1].kind)
			vf[0].kind = 0;
		for (i = 0, nwant = 0; i < n; i++)
			if ((!account || all[i].account == account) &&
			    (all[i].filters & filters) == filters &&
			    shadow_matches(&all[i], q, nq) &&
			    shadow_holds(&all[i], &vf[0]) &&
			    shadow_holds(&all[i], &vf[1]))
				want[nwant++] = all[i];
		qsort(want, nwant, sizeof(*want), cmp_shadow);
		assert_int_equal(roster_query_new(&query), 0);
		assert_int_equal(roster_query_set_text(query, text), 0);
		for (i = 0; i < 2; i++) {
			if (vf[i].kind == 1 || vf[i].kind == 2)
				assert_int_equal(
					roster_query_ref(query,
							 vf[i].kind == 1
								 ? ROSTER_FIELD_GROUP
								 : ROSTER_FIELD_SITE,
							 vf[i].id),
					0);
			else if (vf[i].kind == 3)
				assert_int_equal(roster_query_item(
							 query, ROSTER_ITEM_LICENCE,
							 "video"),
						 0);
			else if (vf[i].kind == 4)
				assert_int_equal(roster_query_item(
							 query, ROSTER_ITEM_PRODUCT,
							 "meetings"),
						 0);
		}
		for (i = 1; i <= 6; i++)
			if (filters & (1u << i))
				assert_int_equal(roster_query_filter(query, (int)i),
						 0);
		do {
			assert_int_equal(roster_search(&p, w->dir, &w->system,
						       account, query, cursor,
						       limit),
					 0);
			for (i = 0; i < roster_page_count(p); i++, got++) {
				if (got >= nwant || roster_page_id(p, i) != want[got].id)
					fail_msg("\"%s\" (filters %#x) in %llu: result %zu is "
						 "%llu, the scan says %llu "
						 "(of %zu)",
						 text, filters,
						 (unsigned long long)account,
						 got,
						 (unsigned long long)roster_page_id(p, i),
						 (unsigned long long)(got < nwant
							 ? want[got].id : 0),
						 nwant);
			}
			free(cursor);
			cursor = roster_page_next(p) ? strdup(roster_page_next(p))
						     : NULL;
			roster_page_free(p);
		} while (cursor);
		assert_int_equal(got, nwant);
		assert_int_equal(roster_search_count(&counted, w->dir, &w->system,
						     account, query),
				 0);
		assert_int_equal(counted, nwant);
		roster_query_free(query);
	}
	free(all);
	free(want);
}

static roster_id random_user(world *w, roster_id account, int same_spot)
{
	static unsigned serial;
	char email[48];
	roster_id id = 0;
	const char *f = firsts[rnd() % 10], *l = lasts[rnd() % 10];

	if (rnd() % 8 == 0)
		l = apostrophed[rnd() % 4];
	/* many alike in one place: the labels between them run out */
	if (same_spot) {
		f = "Anna";
		l = "Lefèvre";
	}
	snprintf(email, sizeof(email), "u%u@x.test", serial++);
	assert_int_equal(world_user(w, &w->system, account, f, l, email, 0, &id),
			 0);
	return id;
}

/* The index of an account of test_index_random in places[]. */
static size_t place_of(world *w, roster_id id)
{
	roster_user *u = NULL;
	roster_id a;
	size_t i;

	assert_int_equal(roster_user_get(&u, w->dir, id), 0);
	a = roster_user_account(u);
	roster_user_free(u);
	for (i = 0; i < 3; i++) {
		roster_record *r = NULL;
		int mine;

		assert_int_equal(roster_record_get(&r, w->dir, places[i][0][0]),
				 0);
		mine = roster_record_parent(r) == a;
		roster_record_free(r);
		if (mine)
			return i;
	}
	fail_msg("user %llu of no account of the test", (unsigned long long)id);
	return 0;
}

/* A new name, or new filter flags: the admin role (refused to the last
 * admin of an account with other users), cloud and IoT; or a new group
 * or site, the licence or the product licence given or taken. */
static void rename_user(world *w, roster_id id)
{
	roster_form *f = NULL;
	unsigned what = rnd() % 7;
	int rc;

	if (what == 6) {
		if (rnd() % 2)
			assert_int_equal(roster_product_assign(w->dir, &w->system,
							       "meetings", &id,
							       1, NULL),
					 0);
		else
			assert_int_equal(roster_product_unassign(w->dir,
								 &w->system,
								 "meetings", &id,
								 1, NULL),
					 0);
		return;
	}
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	if (what == 4) {
		size_t a = place_of(w, id);
		unsigned r = rnd() % 3, s = rnd() % 3;

		assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP,
						     r < 2 ? places[a][0][r] : 0),
				 0);
		assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE,
						     s < 2 ? places[a][1][s] : 0),
				 0);
	} else if (what == 5) {
		/* a licence is changed, never taken away (licence.remove) */
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LICENCE,
						     "video"),
				 0);
	} else if (what < 2) {
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME,
						     firsts[rnd() % 10]),
				 0);
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME,
						     lasts[rnd() % 10]),
				 0);
	} else if (what == 2) {
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_ADMIN,
						      (int)(rnd() % 2)),
				 0);
	} else {
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_CLOUD,
						      (int)(rnd() % 2)),
				 0);
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_IOT,
						      (int)(rnd() % 2)),
				 0);
	}
	rc = roster_user_update(w->dir, &w->system, id, f);
	if (rc != ROSTER_OK)
		assert_string_equal(roster_error_rule(roster_directory_error(w->dir)),
				    "admin.last");
	roster_form_free(f);
}

/* 1 deleted; 0 kept, being an admin (the role goes first). */
static int delete_user(world *w, roster_id id)
{
	int rc = roster_user_delete(w->dir, &w->system, id);

	if (rc != ROSTER_OK)
		assert_string_equal(roster_error_rule(roster_directory_error(w->dir)),
				    "admin.delete");
	return rc == ROSTER_OK;
}

static void test_index_random(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *b = NULL, *kept;
	world *w;
	roster_id accounts[3], *ids = calloc(4000, sizeof(*ids));
	size_t n = 0, step, i;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	w = world_new(&o);
	assert_non_null(ids);
	ids[n++] = w->admin;
	ids[n++] = w->other_admin;
	accounts[0] = w->account;
	for (i = 1; i < 3; i++)
		assert_int_equal(roster_account_create(&accounts[i], w->dir,
						       &w->system, w->partner,
						       i == 1 ? "Second" : "Third"),
				 0);
	for (i = 0; i < 3; i++) {
		static const char *const video[] = { "video" };
		static const char *const names[2][2] = { { "G1", "G2" },
							 { "S1", "S2" } };
		size_t k;

		for (k = 0; k < 2; k++) {
			assert_int_equal(roster_group_create(&places[i][0][k],
							     w->dir, &w->system,
							     accounts[i],
							     names[0][k]),
					 0);
			assert_int_equal(roster_site_create(&places[i][1][k],
							    w->dir, &w->system,
							    accounts[i],
							    names[1][k]),
					 0);
		}
		assert_int_equal(roster_account_set_licences(w->dir, &w->system,
							     accounts[i], NULL,
							     video, 1),
				 0);
		assert_int_equal(roster_product_purchase(w->dir, &w->system,
							 accounts[i],
							 "meetings", 100000),
				 0);
	}
	for (step = 0; step < 2400; step++) {
		unsigned op = rnd() % 100;
		roster_id acc = accounts[rnd() % 3];
		if (op < 60 || n < 10) {
			ids[n++] = random_user(w, acc, step > 1200 && step < 1500);
		} else if (op < 75) {
			rename_user(w, ids[2 + rnd() % (n - 2)]);
		} else if (op < 88) {
			size_t k = 2 + rnd() % (n - 2);
			if (delete_user(w, ids[k]))
				ids[k] = ids[--n];
		} else {
			/* several changes, then all or none of them */
			size_t before = n, k, keep = rnd() % 2;
			roster_id saved[4000];
			memcpy(saved, ids, n * sizeof(*ids));
			assert_int_equal(roster_transaction_begin(w->dir), 0);
			for (k = 0; k < 6; k++) {
				unsigned o = rnd() % 3;
				if (o == 0)
					ids[n++] = random_user(w, acc, 0);
				else if (o == 1)
					rename_user(w, ids[2 + rnd() % (n - 2)]);
				else {
					size_t d = 2 + rnd() % (n - 2);
					if (delete_user(w, ids[d]))
						ids[d] = ids[--n];
				}
			}
			if (keep) {
				assert_int_equal(roster_transaction_commit(w->dir), 0);
			} else {
				assert_int_equal(roster_transaction_rollback(w->dir), 0);
				n = before;
				memcpy(ids, saved, n * sizeof(*ids));
			}
		}
		if (step % 400 == 399) {
			check_index(w, ids, n, 0);
			for (i = 0; i < 3; i++)
				check_index(w, ids, n, accounts[i]);
		}
	}
	/* a directory opened on the store builds its index at once, from
	 * the users in the order the store gives them */
	assert_int_equal(roster_directory_open(&b, &o), 0);
	kept = w->dir;
	w->dir = b;
	check_index(w, ids, n, 0);
	for (i = 0; i < 3; i++)
		check_index(w, ids, n, accounts[i]);
	w->dir = kept;
	roster_directory_free(b);
	print_message("%zu users after 2400 random changes: every page and "
		      "count agreed with a scan, here and when opened\n",
		      n);
	free(ids);
	world_free(w);
	roster_memstore_free(ms);
}

/* Whole runs of a long list taken out and put back by a rollback: the
 * segments emptied, split and refilled without allocating. */
static void test_index_rollback_runs(void **state)
{
	world *w = world_new(NULL);
	roster_id *ids = calloc(3000, sizeof(*ids)), *gone;
	roster_query *q = NULL;
	roster_page *p = NULL;
	size_t n = 0, i, round;

	(void)state;
	assert_non_null(ids);
	ids[n++] = w->admin;
	ids[n++] = w->other_admin;
	for (i = 0; i < 1500; i++)
		ids[n++] = random_user(w, w->account, 0);
	assert_int_equal(roster_query_new(&q), 0);
	for (round = 0; round < 4; round++) {
		size_t before = n, k;
		roster_id saved[3000];
		memcpy(saved, ids, n * sizeof(*ids));
		/* the first 700 in listing order: whole segments of it */
		assert_int_equal(roster_search(&p, w->dir, &w->system, w->account,
					       q, NULL, 700),
				 0);
		gone = calloc(roster_page_count(p), sizeof(*gone));
		assert_non_null(gone);
		for (i = 0; i < roster_page_count(p); i++)
			gone[i] = roster_page_id(p, i);
		assert_int_equal(roster_transaction_begin(w->dir), 0);
		for (i = 0; i < roster_page_count(p); i++) {
			if (gone[i] == w->admin)
				continue;
			assert_int_equal(roster_user_delete(w->dir, &w->system,
							    gone[i]),
					 0);
			for (k = 0; ids[k] != gone[i]; k++)
				;
			ids[k] = ids[--n];
		}
		/* newcomers where they were, and at the same spot */
		for (i = 0; i < 500; i++)
			ids[n++] = random_user(w, w->account, round % 2);
		if (round < 2) {
			assert_int_equal(roster_transaction_rollback(w->dir), 0);
			n = before;
			memcpy(ids, saved, n * sizeof(*ids));
		} else {
			assert_int_equal(roster_transaction_commit(w->dir), 0);
		}
		roster_page_free(p);
		free(gone);
		check_index(w, ids, n, w->account);
		check_index(w, ids, n, 0);
	}
	roster_query_free(q);
	free(ids);
	world_free(w);
}

/* A member of the group of `w` (or, with group 0, a user outside it)
 * whose last name "Uxxxx" or "Uxxxx" + `suffix` orders it. */
static roster_id member(world *w, size_t i, const char *suffix,
			roster_id group)
{
	roster_form *f = NULL;
	roster_id id = 0;
	char last[64], email[96];

	snprintf(last, sizeof(last), "U%04zu%s", i, suffix);
	snprintf(email, sizeof(email), "u%04zu%s@acme.example", i, suffix);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Ann"),
			 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, last), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, email), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, group), 0);
	assert_int_equal(roster_user_create(&id, w->dir, &w->system, w->account,
					    f),
			 0);
	roster_form_free(f);
	return id;
}

static void set_group(world *w, roster_id user, roster_id group)
{
	roster_form *f = NULL;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, group), 0);
	assert_int_equal(roster_user_update(w->dir, &w->system, user, f), 0);
	roster_form_free(f);
}

/*
 * A rollback puts a member back into a group's list whose segments (of
 * 256) are full from the one it goes to on, with room only in a segment
 * before: the list as opened (segments of 256 and a last one of 1, none
 * spare), its last member leaving (its segment spare), then an outsider
 * joining in the middle (a full segment split into that spare). Putting
 * the member back carried slots from the segment before the one with
 * room, so that a full segment took one more slot than it holds,
 * written over the first of another: a search by the group listed a
 * member twice and missed one. `gone` members leave (the last one
 * last), the outsider joins after member `at`.
 */
static void rollback_into_full(size_t n, const size_t *gone, size_t ngone,
			       size_t at)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *b = NULL;
	roster_query *q = NULL;
	roster_page *p = NULL;
	roster_id *ids = calloc(n, sizeof(*ids)), outsider;
	world *w;
	size_t i;

	assert_non_null(ids);
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	w = world_new(&o);
	for (i = 0; i < n; i++)
		ids[i] = member(w, i, "", w->group);
	outsider = member(w, at, "b", 0);
	/* opened afresh: the group's list is built packed */
	assert_int_equal(roster_directory_open(&b, &o), 0);
	roster_directory_free(w->dir);
	w->dir = b;
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	for (i = 0; i < ngone; i++)
		set_group(w, ids[gone[i]], 0);
	set_group(w, outsider, w->group);
	assert_int_equal(roster_transaction_rollback(w->dir), 0);
	/* every member once, in order */
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_ref(q, ROSTER_FIELD_GROUP, w->group), 0);
	assert_int_equal(roster_search(&p, w->dir, &w->system, w->account, q,
				       NULL, ROSTER_PAGE_MAX),
			 0);
	assert_int_equal(roster_page_count(p), n);
	for (i = 0; i < n; i++)
		assert_int_equal(roster_page_id(p, i), ids[i]);
	roster_page_free(p);
	roster_query_free(q);
	free(ids);
	world_free(w);
	roster_memstore_free(ms);
}

static void test_index_rollback_into_full(void **state)
{
	/* segments 256, 256, 256, 1: back at the end of the list */
	static const size_t last[] = { 768 };
	/* 256 x 4 and 1: back before the first slot of the last segment */
	static const size_t first_of_last[] = { 768, 1024 };

	(void)state;
	rollback_into_full(769, last, 1, 300);
	rollback_into_full(1025, first_of_last, 2, 100);
}

/* ------------------------------------------------------------------ */
/* Filters, scope, other directories                                   */

static size_t count(world *w, const roster_actor *a, roster_id account,
		    roster_query *q)
{
	size_t n = 99;

	assert_int_equal(roster_search_count(&n, w->dir, a, account, q), 0);
	return n;
}

static void test_filters(void **state)
{
	static const char *const lic[] = { "video" };
	world *w = world_new(NULL);
	roster_query *q = NULL;
	roster_form *f = NULL;
	roster_id u1, u2;

	(void)state;
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, NULL, lic, 1),
			 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 2), 0);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 2), 0);
	u1 = add(w, "F", "One", "f1@acme.example");
	u2 = add(w, "F", "Two", "f2@acme.example");
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_LICENCE, "video");
	roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "basic");
	roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group);
	roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "777");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u1, f), 0);
	roster_form_clear(f);
	/* cloud and IoT are the host's to set */
	roster_form_set_bool(f, ROSTER_FIELD_CLOUD, 1);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u2, f),
			 ROSTER_EDENIED);
	assert_int_equal(roster_user_update(w->dir, &w->system, u2, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       &u2, 1, NULL), 0);

	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 3);
	assert_int_equal(roster_query_filter(q, ROSTER_FILTER_ADMINS), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 1);
	roster_query_clear(q);
	assert_int_equal(roster_query_filter(q, ROSTER_FILTER_UNREGISTERED), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 3);
	assert_int_equal(roster_query_filter(q, ROSTER_FILTER_REGISTERED), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 0);
	roster_query_clear(q);
	assert_int_equal(roster_query_filter(q, ROSTER_FILTER_PBX_USERS), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 1);
	roster_query_clear(q);
	assert_int_equal(roster_query_filter(q, ROSTER_FILTER_CLOUD), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 1);
	assert_int_equal(roster_query_filter(q, ROSTER_FILTER_IOT), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 0);
	roster_query_clear(q);
	assert_int_equal(roster_query_item(q, ROSTER_ITEM_LICENCE, "video"), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 1);
	assert_int_equal(roster_query_item(q, ROSTER_ITEM_PACK, "basic"), 0);
	assert_int_equal(roster_query_ref(q, ROSTER_FIELD_GROUP, w->group), 0);
	assert_int_equal(roster_query_ref(q, ROSTER_FIELD_SITE, w->site), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 1);
	/* with text */
	assert_int_equal(roster_query_set_text(q, "two"), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 0);
	roster_query_clear(q);
	assert_int_equal(roster_query_item(q, ROSTER_ITEM_PRODUCT, "meetings"),
			 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 1);
	assert_int_equal(roster_query_item(q, ROSTER_ITEM_PRODUCT, NULL), 0);
	assert_int_equal(count(w, &w->as_admin, w->account, q), 3);
	/* bad arguments */
	assert_int_equal(roster_query_filter(q, 0), ROSTER_EINVAL);
	assert_int_equal(roster_query_filter(q, 7), ROSTER_EINVAL);
	assert_int_equal(roster_query_item(q, ROSTER_ITEM_SERVICE, "pbx"),
			 ROSTER_EINVAL);
	assert_int_equal(roster_query_item(q, ROSTER_ITEM_PACK, "Bad Id"),
			 ROSTER_EINVALID);
	assert_int_equal(roster_query_ref(q, ROSTER_FIELD_PBX, w->pbx),
			 ROSTER_EINVAL);
	assert_int_equal(roster_query_set_text(q, "\xff"), ROSTER_EINVALID);
	{
		char big[ROSTER_QUERY_MAX + 2];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(roster_query_set_text(q, big), ROSTER_EINVALID);
	}
	{
		/* the limit is in bytes: 129 characters of 2 bytes are over */
		char big[2 * 129 + 1];
		size_t i;
		for (i = 0; i < 129; i++)
			memcpy(big + 2 * i, "\xc3\xa9", 2);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(roster_query_set_text(q, big), ROSTER_EINVALID);
		assert_string_equal(roster_error_rule(roster_error_last()),
				    "text.bytes");
		assert_string_equal(roster_error_message(roster_error_last()),
				    "query is longer than 256 bytes");
		/* 128 of them (256 bytes) are not */
		big[2 * 128] = '\0';
		assert_int_equal(roster_query_set_text(q, big), ROSTER_OK);
	}
	roster_query_free(q);
	world_free(w);
}

/* A filter naming what does not exist is refused with its field, by a
 * search and a count alike: a licence, pack or product licence the
 * catalog lacks, a group or site that is none or was deleted. One the
 * catalog has that nobody holds finds nobody. */
static void test_unknown_filters(void **state)
{
	static const struct {
		int kind;
		const char *id, *field, *rule;
	} items[] = {
		{ ROSTER_ITEM_LICENCE, "vidoe", "licence", "licence.unknown" },
		{ ROSTER_ITEM_PACK, "basik", "pack", "pack.unknown" },
		{ ROSTER_ITEM_PRODUCT, "meeting", "product", "product.unknown" },
	};
	world *w = world_new(NULL);
	roster_query *q = NULL;
	roster_page *p = NULL;
	roster_id site;
	size_t i, n = 99;

	(void)state;
	add(w, "U", "One", "u1@acme.example");
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		assert_int_equal(roster_query_new(&q), 0);
		assert_int_equal(roster_query_item(q, items[i].kind, items[i].id),
				 0);
		assert_int_equal(roster_search(&p, w->dir, &w->system, 0, q,
					       NULL, 10),
				 ROSTER_ENOTFOUND);
		assert_null(p);
		assert_err(w, ROSTER_ENOTFOUND, items[i].rule);
		assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
				    items[i].field);
		assert_int_equal(roster_search_count(&n, w->dir, &w->system, 0, q),
				 ROSTER_ENOTFOUND);
		assert_int_equal(n, 0);
		roster_query_free(q);
	}
	/* a site's id as a group, a deleted site */
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_ref(q, ROSTER_FIELD_GROUP, w->site), 0);
	assert_int_equal(roster_search(&p, w->dir, &w->system, 0, q, NULL, 10),
			 ROSTER_ENOTFOUND);
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "group");
	roster_query_clear(q);
	assert_int_equal(roster_site_create(&site, w->dir, &w->as_admin,
					    w->account, "Gone"), 0);
	assert_int_equal(roster_record_delete(w->dir, &w->as_admin, site), 0);
	assert_int_equal(roster_query_ref(q, ROSTER_FIELD_SITE, site), 0);
	assert_int_equal(roster_search_count(&n, w->dir, &w->system, 0, q),
			 ROSTER_ENOTFOUND);
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "site");
	/* the catalog's, held by nobody: nobody found */
	roster_query_clear(q);
	assert_int_equal(roster_query_item(q, ROSTER_ITEM_LICENCE, "video"), 0);
	assert_int_equal(roster_search_count(&n, w->dir, &w->system, 0, q), 0);
	assert_int_equal(n, 0);
	roster_query_free(q);
	world_free(w);
}

/* A product the catalog dropped is still held (include/roster/licence.h):
 * a filter naming it finds its holders, so that they can be found to take
 * it back; one nobody holds is still refused. */
static void test_dropped_item_filter(void **state)
{
	world *w = world_new(NULL);
	roster_catalog *cat = NULL;
	roster_page *report = NULL, *p = NULL;
	roster_query *q = NULL;
	roster_id u;
	size_t n = 0;
	char *mine = catalog_xml_copy();

	(void)state;
	u = add(w, "M", "Eet", "m@acme.example");
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 1), 0);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       &u, 1, NULL), 0);
	catalog_xml_edit(mine, "<product id=\"meetings\"",
			 "<product id=\"meetingz\"");
	cat = catalog_xml_load(mine);
	assert_int_equal(roster_directory_set_catalog(w->dir, cat, &report), 0);
	roster_page_free(report);
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_item(q, ROSTER_ITEM_PRODUCT, "meetings"),
			 0);
	assert_int_equal(roster_search_count(&n, w->dir, &w->system, 0, q), 0);
	assert_int_equal(n, 1);
	assert_int_equal(roster_search(&p, w->dir, &w->as_admin, w->account, q,
				       NULL, 10), 0);
	assert_int_equal(roster_page_count(p), 1);
	assert_int_equal(roster_page_id(p, 0), u);
	roster_page_free(p);
	/* given back: nobody holds it, the catalog lacks it */
	assert_int_equal(roster_product_unassign(w->dir, &w->as_admin,
						 "meetings", &u, 1, NULL), 0);
	assert_int_equal(roster_search_count(&n, w->dir, &w->system, 0, q),
			 ROSTER_ENOTFOUND);
	assert_err(w, ROSTER_ENOTFOUND, "product.unknown");
	roster_query_free(q);
	roster_catalog_free(cat);
	free(mine);
	world_free(w);
}

static void test_scope(void **state)
{
	world *w = world_new(NULL);
	roster_query *q = NULL;
	roster_page *p = NULL;
	roster_actor self;
	roster_id u;

	(void)state;
	u = add(w, "S", "Cope", "s@acme.example");
	assert_int_equal(roster_query_new(&q), 0);
	/* the system sees everyone; a partner its accounts; an admin must
	 * name its account */
	assert_int_equal(count(w, &w->system, 0, q), 3);
	assert_int_equal(count(w, &w->as_partner, 0, q), 2);
	assert_int_equal(count(w, &w->as_other_partner, 0, q), 1);
	assert_int_equal(roster_search(&p, w->dir, &w->as_admin, 0, q, NULL, 10),
			 ROSTER_EDENIED);
	assert_int_equal(roster_search(&p, w->dir, &w->as_other_admin,
				       w->account, q, NULL, 10),
			 ROSTER_EDENIED);
	self = actor_of(ROSTER_ACTOR_USER, u);
	assert_int_equal(roster_search(&p, w->dir, &self, w->account, q, NULL,
				       10),
			 ROSTER_EDENIED);
	assert_null(p);
	assert_int_equal(roster_search(&p, w->dir, &w->as_admin, w->pbx, q, NULL,
				       10),
			 ROSTER_ENOTFOUND);
	/* bad cursors and limits */
	assert_int_equal(roster_search(&p, w->dir, &w->as_admin, w->account, q,
				       "x", 10),
			 ROSTER_EINVAL);
	assert_int_equal(roster_search(&p, w->dir, &w->as_admin, w->account, q,
				       "k6.zz", 10),
			 ROSTER_EINVAL);
	assert_int_equal(roster_search(&p, w->dir, &w->as_admin, w->account, q,
				       NULL, 0),
			 ROSTER_EINVAL);
	assert_int_equal(roster_search(&p, w->dir, &w->as_admin, w->account,
				       NULL, NULL, 10),
			 ROSTER_EINVAL);
	/* a cursor cut short, wherever, or altered is refused: cut in its
	 * user's id, what is left would read as an earlier user's */
	{
		roster_page *first = NULL;
		char cut[256];
		size_t len, i;

		assert_int_equal(roster_search(&first, w->dir, &w->system,
					       w->account, q, NULL, 1), 0);
		assert_non_null(roster_page_next(first));
		len = strlen(roster_page_next(first));
		assert_true(len < sizeof(cut));
		for (i = 0; i < len; i++) {
			memcpy(cut, roster_page_next(first), i);
			cut[i] = '\0';
			assert_int_equal(roster_search(&p, w->dir, &w->system,
						       w->account, q, cut, 10),
					 ROSTER_EINVAL);
			assert_string_equal(roster_error_rule(
						    roster_directory_error(w->dir)),
					    "arg.cursor");
			strcpy(cut, roster_page_next(first));
			cut[i] = cut[i] == '0' ? '1' : '0';
			assert_int_equal(roster_search(&p, w->dir, &w->system,
						       w->account, q, cut, 10),
					 ROSTER_EINVAL);
		}
		assert_int_equal(roster_search(&p, w->dir, &w->system,
					       w->account, q,
					       roster_page_next(first), 10),
				 0);
		roster_page_free(p);
		roster_page_free(first);
	}
	/* a cursor of another account's listing is refused there, not
	 * taken for the start or the end; across accounts it leads on */
	{
		roster_page *first = NULL;
		roster_id other;

		assert_int_equal(roster_account_create(&other, w->dir,
						       &w->as_partner,
						       w->partner, "Second"),
				 0);
		assert_int_equal(roster_search(&first, w->dir, &w->system,
					       w->account, q, NULL, 1), 0);
		assert_non_null(roster_page_next(first));
		assert_int_equal(roster_search(&p, w->dir, &w->as_partner,
					       other, q,
					       roster_page_next(first), 10),
				 ROSTER_EINVAL);
		assert_string_equal(roster_error_rule(roster_directory_error(w->dir)),
				    "arg.cursor");
		assert_int_equal(roster_search(&p, w->dir, &w->system, 0, q,
					       roster_page_next(first), 10),
				 0);
		roster_page_free(p);
		roster_page_free(first);
	}
	roster_query_free(q);
	world_free(w);
}

/* After a refresh, another directory's users are found too. */
static void test_other_directories(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *b = NULL;
	roster_query *q = NULL;
	size_t n = 0;
	world *w;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	w = world_new(&o);
	assert_int_equal(roster_directory_open(&b, &o), 0);
	add(w, "Radek", "Šťastný", "radek@acme.example");
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_set_text(q, "stast"), 0);
	assert_int_equal(roster_search_count(&n, b, &w->as_admin, w->account, q),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_int_equal(roster_search_count(&n, b, &w->as_admin, w->account, q),
			 0);
	assert_int_equal(n, 1);
	roster_query_free(q);
	roster_directory_free(b);
	world_free(w);
	roster_memstore_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accents_case_words),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_national_numbers),
		cmocka_unit_test(test_digits_in_logins),
		cmocka_unit_test(test_double_zero),
		cmocka_unit_test(test_number_with_trunk),
		cmocka_unit_test(test_apostrophes),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_paging_while_changing),
		cmocka_unit_test(test_long_folded_names),
		cmocka_unit_test(test_many_words),
		cmocka_unit_test(test_query_words),
		cmocka_unit_test(test_login_words),
		cmocka_unit_test(test_brute_force),
		cmocka_unit_test(test_index_random),
		cmocka_unit_test(test_index_rollback_runs),
		cmocka_unit_test(test_index_rollback_into_full),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_unknown_filters),
		cmocka_unit_test(test_dropped_item_filter),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_other_directories),
	};

	return cmocka_run_group_tests_name("model/search", tests, NULL, NULL);
}
