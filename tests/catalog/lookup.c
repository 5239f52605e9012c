/*
 * lookup.c: items found by identifier and changes decided on catalogs
 * loaded from a buffer, checked against the test's own tables: every
 * length of identifier, near misses of each one, a catalog small enough
 * for the matrix of changes and one with more licences than it holds
 * (RS_CHANGE_BITS, 1024), unknown and NULL arguments with their errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "roster.h"

/* Licences of the generated catalogs: in families of TIERS, the last of
 * each without tier. */
#define TIERS 4

typedef struct gen {
	size_t n, nchanges;
	char **id;
	char *xml;
	size_t len, cap;
} gen;

static void put(gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(g->xml + g->len, g->cap - g->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < g->cap - g->len)
			break;
		g->cap = 2 * g->cap + (size_t)n;
		g->xml = realloc(g->xml, g->cap);
		assert_non_null(g->xml);
	}
	g->len += (size_t)n;
}

static void names(gen *g, const char *id)
{
	put(g, "<name xml:lang='en'>%s</name><name xml:lang='fr'>%s</name>"
	       "<name xml:lang='cs'>%s</name>", id, id, id);
}

/*
 * The identifier of licence i: i in base 36, then "-zz..." up to a length
 * of 1 + i % 32 when longer than the digits. Unique: the part before the
 * first '-' is i itself; and never "f-N" or "t-N", the families and
 * tiers.
 */
static char *licence_id(size_t i)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char rev[16], *s = calloc(ROSTER_ITEM_ID_MAX + 1, 1);
	size_t nd = 0, len = 1 + i % 32, k;

	assert_non_null(s);
	do {
		rev[nd++] = digits[i % 36];
		i /= 36;
	} while (i);
	for (k = 0; k < nd; k++)
		s[k] = rev[nd - 1 - k];
	if (len > nd) {
		s[nd] = '-';
		for (k = nd + 1; k < len; k++)
			s[k] = 'z';
	}
	return s;
}

static const char *tier_of(size_t i, char *buf)
{
	if (i % TIERS == TIERS - 1)
		return NULL;
	sprintf(buf, "t-%zu", i % TIERS);
	return buf;
}

/* The table of the generated catalogs: i may change into j. */
static int allowed(size_t n, size_t i, size_t j)
{
	return i != j && (j == (i * 7 + 3) % n || j == (i + 1) % n);
}

/* Needs: the family's (pbx, every other family) and its own (s1). */
static int needs(size_t i, const char *service)
{
	if (strcmp(service, "pbx") == 0)
		return (i / TIERS) % 2 == 0;
	if (strcmp(service, "s1") == 0)
		return i % 3 == 0;
	return -1;
}

static void generate(gen *g, size_t n)
{
	size_t i, nf = (n + TIERS - 1) / TIERS;
	char t[16];

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->id = calloc(n, sizeof(char *));
	assert_non_null(g->id);
	put(g, "<catalog xmlns='urn:roster:catalog:1' format='1'><services>");
	put(g, "<service id='pbx'>");
	names(g, "pbx");
	put(g, "</service><service id='s1'>");
	names(g, "s1");
	put(g, "</service></services><tiers>");
	for (i = 0; i < TIERS - 1; i++) {
		put(g, "<tier id='t-%zu'>", i);
		sprintf(t, "t-%zu", i);
		names(g, t);
		put(g, "</tier>");
	}
	put(g, "</tiers><families>");
	for (i = 0; i < nf; i++) {
		put(g, "<family id='f-%zu'>", i);
		sprintf(t, "f-%zu", i);
		names(g, t);
		if (i % 2 == 0)
			put(g, "<requires service='pbx'/>");
		put(g, "</family>");
	}
	put(g, "</families><licences>");
	for (i = 0; i < n; i++) {
		const char *tier = tier_of(i, t);

		g->id[i] = licence_id(i);
		put(g, "<licence id='%s' family='f-%zu'", g->id[i], i / TIERS);
		if (tier)
			put(g, " tier='%s'", tier);
		put(g, ">");
		names(g, g->id[i]);
		if (i % 3 == 0)
			put(g, "<requires service='s1'/>");
		put(g, "</licence>");
	}
	put(g, "</licences><changes>");
	for (i = 0; i < n; i++) {
		size_t a = (i * 7 + 3) % n, b = (i + 1) % n;

		if (a != i) {
			put(g, "<change from='%s' to='%s'/>", g->id[i], g->id[a]);
			g->nchanges++;
		}
		if (b != i && b != a) {
			put(g, "<change from='%s' to='%s'/>", g->id[i], g->id[b]);
			g->nchanges++;
		}
	}
	put(g, "</changes></catalog>");
}

static void gen_free(gen *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->id[i]);
	free(g->id);
	free(g->xml);
}

/* The test's own lookup: the index of a licence, or -1. */
static long oracle(const gen *g, const char *id)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->id[i], id) == 0)
			return (long)i;
	return -1;
}

static void assert_unknown(const char *kind, const char *id)
{
	const roster_error *e = roster_error_last();

	assert_int_equal(roster_error_code(e), ROSTER_ENOTFOUND);
	assert_string_equal(roster_error_field(e), kind);
	assert_string_equal(roster_error_rule(e), "catalog.unknown");
	assert_string_equal(roster_error_value(e), id);
}

/* Every answer about licences, against the tables above. */
static void check(size_t n)
{
	roster_catalog *cat = NULL;
	gen g;
	size_t i, j, count = 0;
	char t[16], f[16];

	generate(&g, n);
	assert_int_equal(roster_catalog_load_buffer(&cat, g.xml, g.len,
						    "gen.xml"),
			 ROSTER_OK);
	assert_int_equal(roster_catalog_count(cat, ROSTER_ITEM_LICENCE), n);
	for (i = 0; i < n; i++) {
		const char *tier = tier_of(i, t);

		/* the test's copy, never the catalog's own pointer */
		assert_string_equal(roster_catalog_item(cat, ROSTER_ITEM_LICENCE,
							i),
				    g.id[i]);
		assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_LICENCE,
						    g.id[i]),
				 1);
		/* one kind does not answer for another */
		assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_FAMILY,
						    g.id[i]),
				 0);
		sprintf(f, "f-%zu", i / TIERS);
		assert_string_equal(roster_catalog_licence_family(cat, g.id[i]),
				    f);
		if (tier)
			assert_string_equal(
				roster_catalog_licence_tier(cat, g.id[i]), tier);
		else
			assert_null(roster_catalog_licence_tier(cat, g.id[i]));
		assert_int_equal(roster_catalog_licence_needs(cat, g.id[i],
							      "pbx"),
				 needs(i, "pbx"));
		assert_int_equal(roster_catalog_licence_needs(cat, g.id[i],
							      "s1"),
				 needs(i, "s1"));
		for (j = 0; j < n; j++) {
			int a = roster_catalog_change_allowed(cat, g.id[i],
							      g.id[j]);

			if (a != allowed(n, i, j))
				fail_msg("%s -> %s: %d", g.id[i], g.id[j], a);
			count += a == 1;
		}
	}
	/* the table and the catalog's changes are the same */
	assert_int_equal(count, g.nchanges);
	gen_free(&g);
	roster_catalog_free(cat);
}

static void test_matrix(void **state)
{
	(void)state;
	check(1);
	check(2);
	check(40);
	check(1024);
}

static void test_many_licences(void **state)
{
	(void)state;
	/* beyond RS_CHANGE_BITS: the changes are searched */
	check(1100);
}

/*
 * Identifiers of every length from 1 to 32 are found, and none of their
 * near misses: one byte changed at each place, one cut, one added, a
 * longer identifier than any catalog can have.
 */
static void test_near_misses(void **state)
{
	static const char alphabet[] = "0az-";
	roster_catalog *cat = NULL;
	char q[64];
	size_t i, k, a;
	gen g;

	(void)state;
	generate(&g, 70);
	assert_int_equal(roster_catalog_load_buffer(&cat, g.xml, g.len, NULL),
			 ROSTER_OK);
	for (i = 0; i < g.n; i++) {
		size_t len = strlen(g.id[i]);

		for (k = 0; k < len; k++)
			for (a = 0; a < sizeof(alphabet) - 1; a++) {
				long o;

				memcpy(q, g.id[i], len + 1);
				if (q[k] == alphabet[a])
					continue;
				q[k] = alphabet[a];
				o = oracle(&g, q);
				assert_int_equal(roster_catalog_has(
							 cat, ROSTER_ITEM_LICENCE,
							 q),
						 o >= 0);
				if (o >= 0)
					continue;
				assert_int_equal(
					roster_catalog_change_allowed(
						cat, q, g.id[0]),
					ROSTER_ENOTFOUND);
				assert_unknown("licence", q);
			}
		/* cut by one */
		memcpy(q, g.id[i], len + 1);
		q[len - 1] = '\0';
		assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_LICENCE, q),
				 oracle(&g, q) >= 0);
		/* one more byte, up to one more than any identifier */
		memcpy(q, g.id[i], len);
		q[len] = 'q';
		q[len + 1] = '\0';
		assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_LICENCE, q),
				 oracle(&g, q) >= 0);
		assert_int_equal(roster_catalog_change_allowed(cat, g.id[1], q),
				 oracle(&g, q) >= 0 ? allowed(g.n, 1,
							      (size_t)oracle(&g, q))
						    : ROSTER_ENOTFOUND);
		/* upper case is another identifier */
		memcpy(q, g.id[i], len + 1);
		q[0] = (char)(q[0] >= 'a' && q[0] <= 'z' ? q[0] - 32 : 'A');
		assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_LICENCE, q),
				 0);
	}
	/* the longest identifier, and longer */
	assert_int_equal(strlen(g.id[31]), ROSTER_ITEM_ID_MAX);
	assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_LICENCE, g.id[31]),
			 1);
	snprintf(q, sizeof(q), "%s%s", g.id[31], g.id[31]);
	assert_int_equal(roster_catalog_change_allowed(cat, g.id[31], q),
			 ROSTER_ENOTFOUND);
	assert_unknown("licence", q);
	assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_LICENCE, ""), 0);
	assert_int_equal(roster_catalog_change_allowed(cat, "", g.id[0]),
			 ROSTER_ENOTFOUND);
	assert_unknown("licence", "");
	gen_free(&g);
	roster_catalog_free(cat);
}

/* Unknown and NULL arguments: the first at fault is reported. */
static void test_errors(void **state)
{
	roster_catalog *cat = NULL;
	const roster_error *e;
	gen g;

	(void)state;
	generate(&g, 12);
	assert_int_equal(roster_catalog_load_buffer(&cat, g.xml, g.len, NULL),
			 ROSTER_OK);
	assert_int_equal(roster_catalog_change_allowed(cat, "nope", "nada"),
			 ROSTER_ENOTFOUND);
	assert_unknown("licence", "nope");
	assert_int_equal(roster_catalog_change_allowed(cat, g.id[0], "nada"),
			 ROSTER_ENOTFOUND);
	assert_unknown("licence", "nada");
	/* a licence is not found as the family of the same name */
	assert_int_equal(roster_catalog_change_allowed(cat, "f-0", g.id[0]),
			 ROSTER_ENOTFOUND);
	assert_unknown("licence", "f-0");
	assert_int_equal(roster_catalog_licence_needs(cat, g.id[0], "s2"),
			 ROSTER_ENOTFOUND);
	assert_unknown("service", "s2");
	assert_int_equal(roster_catalog_licence_needs(cat, "t-0", "s1"),
			 ROSTER_ENOTFOUND);
	assert_unknown("licence", "t-0");
	assert_int_equal(roster_catalog_edition_offers(cat, "e", g.id[0]),
			 ROSTER_ENOTFOUND);
	assert_unknown("edition", "e");

	assert_int_equal(roster_catalog_change_allowed(cat, NULL, "nada"),
			 ROSTER_EINVAL);
	e = roster_error_last();
	assert_string_equal(roster_error_field(e), "from");
	assert_string_equal(roster_error_rule(e), "arg.null");
	assert_int_equal(roster_catalog_change_allowed(cat, "nope", NULL),
			 ROSTER_EINVAL);
	assert_string_equal(roster_error_field(e), "to");
	assert_int_equal(roster_catalog_change_allowed(NULL, g.id[0], g.id[1]),
			 ROSTER_EINVAL);
	assert_string_equal(roster_error_field(e), "cat");
	/* a success leaves the error in place */
	assert_int_equal(roster_catalog_change_allowed(cat, g.id[0], g.id[1]),
			 1);
	assert_int_equal(roster_catalog_change_allowed(cat, g.id[1], g.id[0]),
			 0);
	assert_string_equal(roster_error_field(e), "cat");
	assert_int_equal(roster_catalog_has(cat, 0, g.id[0]), 0);
	assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_LANGUAGE + 1,
					    g.id[0]),
			 0);
	assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_LICENCE, NULL), 0);
	gen_free(&g);
	roster_catalog_free(cat);
}

/* A catalog without changes, or without licences, allows none. */
static void test_no_changes(void **state)
{
	static const char bare[] =
		"<catalog xmlns='urn:roster:catalog:1' format='1'>"
		"<families><family id='f'><name xml:lang='en'>F</name>"
		"<name xml:lang='fr'>F</name><name xml:lang='cs'>F</name>"
		"</family></families><licences>"
		"<licence id='a' family='f'><name xml:lang='en'>A</name>"
		"<name xml:lang='fr'>A</name><name xml:lang='cs'>A</name>"
		"</licence></licences></catalog>";
	static const char empty[] =
		"<catalog xmlns='urn:roster:catalog:1' format='1'/>";
	roster_catalog *cat = NULL;

	(void)state;
	assert_int_equal(roster_catalog_load_buffer(&cat, bare,
						    sizeof(bare) - 1, NULL),
			 ROSTER_OK);
	assert_int_equal(roster_catalog_change_allowed(cat, "a", "a"), 0);
	assert_int_equal(roster_catalog_change_allowed(cat, "a", "b"),
			 ROSTER_ENOTFOUND);
	assert_unknown("licence", "b");
	assert_string_equal(roster_catalog_licence_family(cat, "a"), "f");
	roster_catalog_free(cat);
	assert_int_equal(roster_catalog_load_buffer(&cat, empty,
						    sizeof(empty) - 1, NULL),
			 ROSTER_OK);
	assert_int_equal(roster_catalog_change_allowed(cat, "a", "a"),
			 ROSTER_ENOTFOUND);
	assert_unknown("licence", "a");
	assert_int_equal(roster_catalog_has(cat, ROSTER_ITEM_SERVICE, "pbx"), 0);
	roster_catalog_free(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_many_licences),
		cmocka_unit_test(test_near_misses),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
