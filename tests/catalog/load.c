/*
 * load.c: catalogs refused, with their file, line and rule, and the lint
 * of catalogs and files.
 *
 * tests/catalog/bad/ holds one catalog per fault; the table below says
 * the rule and line each must be refused with, and every file of the
 * directory must be in it. tests/catalog/lint/ holds a catalog with a
 * finding of each lint code and one with many duplicates and unknown
 * references; tests/catalog/good/ a valid catalog of its own.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "roster.h"
#include "paths.h"

static const struct bad {
	const char *file;
	const char *rule;
	unsigned long line;
} bad[] = {
	{ "dtd-billion-laughs.xml", "catalog.syntax", 2 },
	{ "dtd-external.xml", "catalog.syntax", 2 },
	{ "dtd-xxe.xml", "catalog.syntax", 2 },
	{ "duplicate-change.xml", "catalog.duplicate", 59 },
	{ "duplicate-id.xml", "catalog.duplicate", 14 },
	{ "duplicate-ref.xml", "catalog.duplicate", 22 },
	{ "duplicate-tier.xml", "catalog.duplicate", 56 },
	{ "name-blank.xml", "catalog.name", 5 },
	{ "name-control.xml", "catalog.name", 6 },
	{ "name-edge-space.xml", "catalog.name", 5 },
	{ "name-edition-incomplete.xml", "catalog.name", 46 },
	{ "name-missing-fr.xml", "catalog.name", 4 },
	{ "name-spaces.xml", "catalog.name", 5 },
	{ "name-twice.xml", "catalog.name", 8 },
	{ "schema-attributes.xml", "catalog.schema", 4 },
	{ "schema-bad-id.xml", "catalog.schema", 4 },
	{ "schema-bad-lang.xml", "catalog.schema", 8 },
	{ "schema-format.xml", "catalog.schema", 2 },
	{ "schema-long-id.xml", "catalog.schema", 4 },
	{ "schema-missing-attribute.xml", "catalog.schema", 36 },
	{ "schema-namespace.xml", "catalog.schema", 2 },
	{ "schema-no-name.xml", "catalog.schema", 4 },
	{ "schema-order.xml", "catalog.schema", 15 },
	{ "schema-unknown-element.xml", "catalog.schema", 15 },
	{ "syntax-empty.xml", "catalog.syntax", 1 },
	{ "syntax-encoding.xml", "catalog.syntax", 6 },
	{ "syntax-mismatch.xml", "catalog.syntax", 8 },
	{ "syntax-nul.xml", "catalog.syntax", 16 },
	{ "syntax-truncated.xml", "catalog.syntax", 14 },
	{ "syntax-undeclared-entity.xml", "catalog.syntax", 5 },
	{ "unknown-client.xml", "catalog.reference", 21 },
	{ "unknown-edition-name.xml", "catalog.reference", 50 },
	{ "unknown-family.xml", "catalog.reference", 46 },
	{ "unknown-licence-from.xml", "catalog.reference", 59 },
	{ "unknown-licence-to.xml", "catalog.reference", 58 },
	{ "unknown-service-family.xml", "catalog.reference", 32 },
	{ "unknown-service-licence.xml", "catalog.reference", 50 },
	{ "unknown-service-orderable.xml", "catalog.reference", 33 },
	{ "unknown-tier-offer.xml", "catalog.reference", 33 },
	{ "unknown-tier.xml", "catalog.reference", 46 },
	{ "value-policy-cross.xml", "catalog.value", 4 },
	{ "value-policy-range.xml", "catalog.value", 3 },
	{ "value-self-change.xml", "catalog.value", 58 },
};
#define NBAD (sizeof(bad) / sizeof(bad[0]))

static void path_of(char *out, size_t size, const char *dir, const char *file)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "tests/catalog/%s/%s", dir, file);
	source_path(out, size, rel);
}

/* The thread's error is an EPARSE with this rule, naming file:line. */
static void refused(int rc, const char *file, const char *rule,
		    unsigned long line)
{
	const roster_error *e = roster_error_last();
	char where[256];

	if (rc != ROSTER_EPARSE)
		fail_msg("%s: returned %d, expected ROSTER_EPARSE", file, rc);
	assert_int_equal(roster_error_code(e), ROSTER_EPARSE);
	if (strcmp(roster_error_rule(e), rule) != 0)
		fail_msg("%s: rule %s, expected %s (%s)", file,
			 roster_error_rule(e), rule, roster_error_value(e));
	assert_string_equal(roster_error_field(e), "catalog");
	snprintf(where, sizeof(where), "%s:%lu: ", file, line);
	if (strncmp(roster_error_value(e), where, strlen(where)) != 0)
		fail_msg("%s: value \"%s\", expected it to start with \"%s\"",
			 file, roster_error_value(e), where);
	/* the message shows where */
	assert_non_null(strstr(roster_error_message(e), where));
}

static void test_bad_files(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NBAD; i++) {
		roster_catalog *cat = (roster_catalog *)&cat;
		char path[4096];

		path_of(path, sizeof(path), "bad", bad[i].file);
		refused(roster_catalog_load_file(&cat, path), bad[i].file,
			bad[i].rule, bad[i].line);
		assert_null(cat);
	}
}

/* The message of loading `text` named `name`, refused, in `lang`. */
static const char *refusal_in(const char *text, size_t len, const char *name,
			      roster_language lang, char *buf, size_t size)
{
	roster_catalog *cat = NULL;

	assert_int_equal(roster_catalog_load_buffer(&cat, text, len, name),
			 ROSTER_EPARSE);
	assert_int_equal(roster_error_message_in(roster_error_last(), lang,
						 buf, size),
			 ROSTER_OK);
	return buf;
}

/* A catalog that is not well-formed is told in roster's words, in each
 * language, after its place and before the names from the file. */
static void test_syntax_words(void **state)
{
	static const char *const says[ROSTER_LANG_COUNT] = {
		"the catalog is not well-formed XML: m.xml:8: an element is "
		"closed by another element's tag: <service>, </servce>",
		"le catalogue n'est pas du XML bien formé : m.xml:8: un "
		"élément est fermé par la balise d'un autre élément : "
		"<service>, </servce>",
		"katalog není správně utvořené XML: m.xml:8: prvek je "
		"uzavřen značkou jiného prvku: <service>, </servce>",
	};
	roster_catalog *cat = NULL;
	char path[4096], buf[ROSTER_ERROR_MESSAGE_MAX];
	size_t len = 0;
	char *text;
	int l;

	(void)state;
	path_of(path, sizeof(path), "bad", "syntax-mismatch.xml");
	text = slurp(path, &len);
	assert_non_null(text);
	assert_int_equal(roster_catalog_load_buffer(&cat, text, len, "m.xml"),
			 ROSTER_EPARSE);
	assert_string_equal(roster_error_value(roster_error_last()),
			    "m.xml:8: an element is closed by another "
			    "element's tag: <service>, </servce>");
	for (l = 0; l < ROSTER_LANG_COUNT; l++) {
		assert_int_equal(roster_error_message_in(roster_error_last(),
							 (roster_language)l,
							 buf, sizeof(buf)),
				 ROSTER_OK);
		assert_string_equal(buf, says[l]);
	}
	/* a long name is cut before its phrase could be; a name holding a
	 * phrase's words is taken for a place */
	assert_string_equal(
		refusal_in(text, len,
			   "dir/éééééééééééééééééééééééééééééééééééééééé.xml",
			   ROSTER_LANG_FR, buf, sizeof(buf)),
		"le catalogue n'est pas du XML bien formé : "
		"éééééééééééééééééééé...:8: un élément est fermé par la "
		"balise d'un autre élément : <service>, </servce>");
	/* a name shown escaped (\x09 for a tab) counts as shown */
	assert_non_null(strstr(
		refusal_in(text, len,
			   "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t.xml",
			   ROSTER_LANG_FR, buf, sizeof(buf)),
		"\\x09\\x09\\x09\\x09\\x09\\x09\\x09\\x09\\x09\\x09"
		"...:8: un élément est fermé par la balise d'un autre "
		"élément : <service>, </servce>"));
	assert_string_equal(
		refusal_in(text, len, "no root element: m.xml", ROSTER_LANG_CS,
			   buf, sizeof(buf)),
		"katalog není správně utvořené XML: no root element: m.xml:8: "
		"prvek je uzavřen značkou jiného prvku: <service>, </servce>");
	/* a DOCTYPE, refused by roster itself, is said the same way */
	free(text);
	path_of(path, sizeof(path), "bad", "dtd-external.xml");
	text = slurp(path, &len);
	assert_non_null(text);
	assert_string_equal(refusal_in(text, len, "d.xml", ROSTER_LANG_FR, buf,
				       sizeof(buf)),
			    "le catalogue n'est pas du XML bien formé : "
			    "d.xml:2: un DOCTYPE n'est pas autorisé");
	free(text);
}

/* `text` with its first `from` changed to `to` is refused for the schema
 * with a value ending in `says`, and the message in French holds no
 * English of it. */
static void schema_change_says(const char *text, const char *from,
			       const char *to, const char *says)
{
	const char *at = strstr(text, from);
	size_t k, n = strlen(text) + strlen(to) + 1;
	char *changed = malloc(n), buf[ROSTER_ERROR_MESSAGE_MAX];
	const char *value;

	assert_non_null(at);
	assert_non_null(changed);
	k = (size_t)(at - text);
	memcpy(changed, text, k);
	snprintf(changed + k, n - k, "%s%s", to, at + strlen(from));
	refusal_in(changed, strlen(changed), "c.xml", ROSTER_LANG_FR, buf,
		   sizeof(buf));
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.schema");
	value = roster_error_value(roster_error_last());
	if (strlen(value) < strlen(says) ||
	    strcmp(value + strlen(value) - strlen(says), says) != 0)
		fail_msg("\"%s\", expected it to end with \"%s\"", value,
			 says);
	assert_null(strstr(buf, says));
	free(changed);
}

/* Each refusal for the schema is said in roster's words, in French and
 * Czech too; a value quoted stops before a ": ". */
static void test_schema_words(void **state)
{
	static const struct {
		const char *file, *en, *fr, *cs;
	} says[] = {
		{ "schema-unknown-element.xml",
		  "an element is not allowed here: <widgets>",
		  "un élément n'est pas autorisé ici : <widgets>",
		  "prvek zde není povolen: <widgets>" },
		{ "schema-bad-id.xml",
		  "an identifier is malformed (a-z, 0-9, '-', at most 32): "
		  "<service> id=\"PBX\"",
		  "un identifiant est mal formé (a-z, 0-9, '-', 32 au plus) : "
		  "<service> id=\"PBX\"",
		  "identifikátor je chybný (a-z, 0-9, '-', nejvýše 32): "
		  "<service> id=\"PBX\"" },
		{ "schema-missing-attribute.xml",
		  "an element lacks a required attribute: <licence> family",
		  "il manque à un élément un attribut obligatoire : <licence> "
		  "family",
		  "prvku chybí povinný atribut: <licence> family" },
		{ "schema-namespace.xml",
		  "an element is not in the schema's namespace: <catalog>",
		  "un élément n'est pas dans l'espace de noms du schéma : "
		  "<catalog>",
		  "prvek není ve jmenném prostoru schématu: <catalog>" },
		{ "schema-format.xml",
		  "an attribute's value is not allowed: <catalog> format=\"2\"",
		  "la valeur d'un attribut n'est pas autorisée : <catalog> "
		  "format=\"2\"",
		  "hodnota atributu není povolena: <catalog> format=\"2\"" },
		{ "schema-attributes.xml",
		  "a tag with too many attributes",
		  "une balise a trop d'attributs",
		  "značka s příliš mnoha atributy" },
		{ "schema-no-name.xml", "an item has no name: <service>",
		  "un élément du catalogue n'a pas de nom : <service>",
		  "položka nemá název: <service>" },
		{ "schema-bad-lang.xml",
		  "a name's language is not en, fr or cs: <name> xml:lang=\"de\"",
		  "la langue d'un nom n'est pas en, fr ou cs : <name> "
		  "xml:lang=\"de\"",
		  "jazyk názvu není en, fr ani cs: <name> xml:lang=\"de\"" },
	};
	char path[4096], buf[ROSTER_ERROR_MESSAGE_MAX], want[600];
	size_t i, len = 0;
	char *text, *at;

	(void)state;
	for (i = 0; i < sizeof(says) / sizeof(says[0]); i++) {
		path_of(path, sizeof(path), "bad", says[i].file);
		text = slurp(path, &len);
		assert_non_null(text);
		refusal_in(text, len, "c.xml", ROSTER_LANG_EN, buf, sizeof(buf));
		assert_string_equal(roster_error_rule(roster_error_last()),
				    "catalog.schema");
		assert_non_null(strstr(roster_error_value(roster_error_last()),
				       says[i].en));
		snprintf(want, sizeof(want), ": %s", says[i].fr);
		refusal_in(text, len, "c.xml", ROSTER_LANG_FR, buf, sizeof(buf));
		if (!strstr(buf, want))
			fail_msg("%s: \"%s\"", says[i].file, buf);
		snprintf(want, sizeof(want), ": %s", says[i].cs);
		refusal_in(text, len, "c.xml", ROSTER_LANG_CS, buf, sizeof(buf));
		if (!strstr(buf, want))
			fail_msg("%s: \"%s\"", says[i].file, buf);
		free(text);
	}
	/* attributes the validator only calls not allowed: an optional
	 * one with a malformed identifier is told so, an unknown one is
	 * not allowed */
	path_of(path, sizeof(path), "good", "custom.xml");
	text = slurp(path, &len);
	assert_non_null(text);
	schema_change_says(text, "family=\"phone\" tier=\"std\"",
			   "family=\"phone\" tier=\"Std\"",
			   "an identifier is malformed (a-z, 0-9, '-', at most "
			   "32): <licence> tier=\"Std\"");
	schema_change_says(text, "edition=\"duo\"", "edition=\"Duo\"",
			   "an identifier is malformed (a-z, 0-9, '-', at most "
			   "32): <name> edition=\"Duo\"");
	schema_change_says(text, "<service id=\"pbx\">",
			   "<service id=\"pbx\" colour=\"red\">",
			   "an attribute or its value is not allowed: <service> "
			   "colour");
	/* a value refused without a name gives way to the element's fault */
	schema_change_says(text, "<name xml:lang=\"en\">Pbx</name>",
			   "<name xml:lang=\"en\"></name>",
			   "an element's content is not valid: <name>");
	free(text);
	/* a value holding a phrase after a ": " is cut before it */
	path_of(path, sizeof(path), "bad", "schema-bad-id.xml");
	text = slurp(path, &len);
	assert_non_null(text);
	at = strstr(text, "id=\"PBX\"");
	assert_non_null(at);
	{
		char *hostile = malloc(len + 64);
		size_t k = (size_t)(at - text);

		assert_non_null(hostile);
		memcpy(hostile, text, k);
		k += (size_t)sprintf(hostile + k,
				     "id=\"X: no root element: y\"");
		memcpy(hostile + k, at + 8, len - (size_t)(at + 8 - text));
		k += len - (size_t)(at + 8 - text);
		refusal_in(hostile, k, "c.xml", ROSTER_LANG_FR, buf,
			   sizeof(buf));
		if (!strstr(buf, "un identifiant est mal formé (a-z, 0-9, '-', "
				 "32 au plus) : <service> id=\"X...\""))
			fail_msg("\"%s\"", buf);
		free(hostile);
	}
	free(text);
}

/* The same text from memory, named as the caller says. */
static void test_bad_buffers(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NBAD; i++) {
		roster_catalog *cat = NULL;
		char path[4096], name[300];
		size_t len = 0;
		char *text;

		path_of(path, sizeof(path), "bad", bad[i].file);
		text = slurp(path, &len);
		assert_non_null(text);
		snprintf(name, sizeof(name), "mem/%s", bad[i].file);
		refused(roster_catalog_load_buffer(&cat, text, len, name),
			bad[i].file, bad[i].rule, bad[i].line);
		assert_null(cat);
		free(text);
	}
}

/* A load refuses on its first fault; the lint of a file reports the
 * duplicates and unknown references as findings, and fails like a load
 * on everything else. */
static void test_bad_files_lint(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NBAD; i++) {
		roster_lint *lint = (roster_lint *)&lint;
		char path[4096];
		int code = 0, rc;

		path_of(path, sizeof(path), "bad", bad[i].file);
		if (strcmp(bad[i].rule, "catalog.duplicate") == 0)
			code = ROSTER_LINT_DUPLICATE;
		else if (strcmp(bad[i].rule, "catalog.reference") == 0)
			code = ROSTER_LINT_UNKNOWN;
		rc = roster_catalog_lint_file(&lint, path);
		if (!code) {
			refused(rc, bad[i].file, bad[i].rule, bad[i].line);
			assert_null(lint);
			continue;
		}
		assert_int_equal(rc, ROSTER_OK);
		if (roster_lint_count(lint) != 1)
			fail_msg("%s: %zu findings", bad[i].file,
				 roster_lint_count(lint));
		assert_int_equal(roster_lint_code_of(lint, 0), code);
		assert_int_equal(roster_lint_line(lint, 0), bad[i].line);
		roster_lint_free(lint);
	}
}

/* Every file of bad/ is in the table. */
static void test_bad_table_complete(void **state)
{
	char dir[4096];
	struct dirent *e;
	size_t files = 0, i;
	DIR *d;

	(void)state;
	source_path(dir, sizeof(dir), "tests/catalog/bad");
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		for (i = 0; i < NBAD; i++)
			if (strcmp(bad[i].file, e->d_name) == 0)
				break;
		if (i == NBAD)
			fail_msg("%s is not in the table", e->d_name);
		files++;
	}
	closedir(d);
	assert_int_equal(files, NBAD);
}

/* The external entity is never read: the DOCTYPE stops the parse, and
 * nothing of the file it names shows in the error. The billion laughs
 * are refused at their DOCTYPE. What libxml2 would misread is refused
 * before it parses. */
static void test_entities(void **state)
{
	static const char *const starts[] = {
		"\xFF\xFE<\x8C\x9D", "\xFE\xFF\x8C\x9D",
		/* <?xml version="1.0"?><cat/> in EBCDIC */
		"\x4C\x6F\xA7\x94\x93\x40\xA5\x85\x99\xA2\x89\x96\x95\x7E"
		"\x7F\xF1\x4B\xF0\x7F\x6F\x6E\x4C\x83\x81\xA3\x61\x6E",
		"<catalog xmlns=\"urn:roster:catalog:1\" format=\"1\">\xC5",
		"<catalog xmlns=\"urn:roster:catalog:1\" format=\"1\">\xE2\x82",
		"<catalog xmlns=\"urn:roster:catalog:1\" format=\"1\">x\x99",
	};
	roster_catalog *cat = NULL;
	char path[4096];
	size_t i;

	(void)state;
	path_of(path, sizeof(path), "bad", "dtd-xxe.xml");
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_EPARSE);
	assert_null(strstr(roster_error_message(roster_error_last()), "root:"));
	assert_non_null(strstr(roster_error_value(roster_error_last()),
			       "DOCTYPE"));
	/* refused at its DOCTYPE, before any entity is expanded */
	path_of(path, sizeof(path), "bad", "dtd-billion-laughs.xml");
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_EPARSE);
	assert_non_null(strstr(roster_error_value(roster_error_last()),
			       "a DOCTYPE is not allowed"));
	assert_null(cat);
	/* a tag of many attributes is refused before libxml2 compares
	 * them pair by pair; a NUL before the parser stops at it */
	path_of(path, sizeof(path), "bad", "schema-attributes.xml");
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_EPARSE);
	assert_non_null(strstr(roster_error_value(roster_error_last()),
			       "too many attributes"));
	path_of(path, sizeof(path), "bad", "syntax-nul.xml");
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_EPARSE);
	assert_non_null(strstr(roster_error_value(roster_error_last()),
			       "a NUL byte"));
	/* starts by which libxml2 would read UTF-16 or EBCDIC: not UTF-8,
	 * whatever follows; and text ending inside a character, or in a
	 * byte that continues none, which stops libxml2 in its tracks */
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		refused(roster_catalog_load_buffer(&cat, starts[i],
						   strlen(starts[i]), "e.xml"),
			"e.xml", "catalog.syntax", 1);
		assert_string_equal(roster_error_value(roster_error_last()),
				    "e.xml:1: the text is not valid UTF-8");
		assert_null(cat);
	}
}

static void test_size_and_read(void **state)
{
	char dir[] = "/tmp/roster-catalog-XXXXXX", path[128];
	size_t len = ROSTER_CATALOG_SIZE_MAX + 1;
	roster_catalog *cat = NULL;
	char *big = malloc(len);
	FILE *fp;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, "<catalog", 8);
	assert_int_equal(roster_catalog_load_buffer(&cat, big, len, "big.xml"),
			 ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.size");
	assert_string_equal(roster_error_value(roster_error_last()),
			    "big.xml: larger than 4194304 bytes");
	/* one byte less is read, and refused for what it is */
	assert_int_equal(roster_catalog_load_buffer(&cat, big, len - 1,
						    "big.xml"),
			 ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.syntax");

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.xml", dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(big, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.size");
	unlink(path);
	free(big);

	/* unreadable: missing, a directory */
	snprintf(path, sizeof(path), "%s/missing.xml", dir);
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_ESTORAGE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.read");
	assert_non_null(strstr(roster_error_value(roster_error_last()),
			       "missing.xml: "));
	assert_int_equal(roster_catalog_load_file(&cat, dir), ROSTER_ESTORAGE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.read");
	assert_null(cat);
	rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Lint                                                                */

typedef struct want {
	int code;
	const char *a, *b;
	unsigned long line;
} want;

static void check_findings(const roster_lint *lint, const want *w, size_t n)
{
	size_t i;
	int lang;

	for (i = 0; i < roster_lint_count(lint); i++)
		print_message("  %lu: %s\n", roster_lint_line(lint, i),
			      roster_lint_message(lint, i, ROSTER_LANG_EN));
	assert_int_equal(roster_lint_count(lint), n);
	for (i = 0; i < n; i++) {
		assert_int_equal(roster_lint_code_of(lint, i), w[i].code);
		assert_string_equal(roster_lint_item(lint, i, 0), w[i].a);
		if (w[i].b)
			assert_string_equal(roster_lint_item(lint, i, 1), w[i].b);
		else
			assert_null(roster_lint_item(lint, i, 1));
		assert_null(roster_lint_item(lint, i, 2));
		assert_int_equal(roster_lint_line(lint, i), w[i].line);
		for (lang = 0; lang < ROSTER_LANG_COUNT; lang++) {
			const char *m = roster_lint_message(
				lint, i, (roster_language)lang);

			assert_non_null(m);
			/* the message names the item */
			assert_non_null(strstr(m, w[i].a));
		}
		assert_string_not_equal(
			roster_lint_message(lint, i, ROSTER_LANG_EN),
			roster_lint_message(lint, i, ROSTER_LANG_CS));
	}
	assert_int_equal(roster_lint_code_of(lint, n), 0);
	assert_null(roster_lint_item(lint, n, 0));
	assert_int_equal(roster_lint_line(lint, n), 0);
	assert_null(roster_lint_message(lint, n, ROSTER_LANG_EN));
}

/* A finding of every code a loaded catalog can have. */
static void test_lint_codes(void **state)
{
	static const want w[] = {
		{ ROSTER_LINT_UNUSED, "spare", NULL, 26 },
		{ ROSTER_LINT_UNUSED, "empty", NULL, 54 },
		{ ROSTER_LINT_UNREACHABLE, "phone-high", NULL, 66 },
		{ ROSTER_LINT_UNREACHABLE, "desk-low", NULL, 71 },
		{ ROSTER_LINT_DEAD_CHANGE, "phone-low", "desk-low", 78 },
		{ ROSTER_LINT_UNUSED, "fax", NULL, 97 },
		{ ROSTER_LINT_AMBIGUOUS_PACKS, "one", "two", 111 },
	};
	roster_catalog *cat = NULL;
	roster_lint *lint = NULL;
	char path[4096];

	(void)state;
	path_of(path, sizeof(path), "lint", "findings.xml");
	/* it loads: these are not faults a load refuses */
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_OK);
	assert_int_equal(roster_catalog_lint(&lint, cat), ROSTER_OK);
	check_findings(lint, w, sizeof(w) / sizeof(w[0]));
	roster_lint_free(lint);
	/* the lint of the file says the same */
	assert_int_equal(roster_catalog_lint_file(&lint, path), ROSTER_OK);
	check_findings(lint, w, sizeof(w) / sizeof(w[0]));
	assert_string_equal(roster_lint_message(lint, 4, ROSTER_LANG_EN),
			    "the change from phone-low to desk-low can never "
			    "be made: no edition that can hold phone-low lets "
			    "an account order every service desk-low needs");
	roster_lint_free(lint);
	roster_catalog_free(cat);
}

/* Every duplicate and unknown reference of a file, each with its line. */
static void test_lint_file_faults(void **state)
{
	static const want w[] = {
		{ ROSTER_LINT_DUPLICATE, "pbx", NULL, 9 },
		{ ROSTER_LINT_UNKNOWN, "mid", "basic", 28 },
		{ ROSTER_LINT_DUPLICATE, "low", "basic", 29 },
		{ ROSTER_LINT_UNKNOWN, "fax", "basic", 30 },
		{ ROSTER_LINT_DUPLICATE, "phone-low-2", "phone-low", 47 },
		{ ROSTER_LINT_UNKNOWN, "desk", "desk-low", 52 },
		{ ROSTER_LINT_DUPLICATE, "phone-low", "phone-low-2", 60 },
		{ ROSTER_LINT_UNKNOWN, "phone-top", NULL, 61 },
		{ ROSTER_LINT_UNKNOWN, "gold", "one", 75 },
		{ ROSTER_LINT_UNKNOWN, "tablet", "one", 77 },
	};
	roster_catalog *cat = NULL;
	roster_lint *lint = NULL;
	char path[4096];

	(void)state;
	path_of(path, sizeof(path), "lint", "faults.xml");
	assert_int_equal(roster_catalog_lint_file(&lint, path), ROSTER_OK);
	check_findings(lint, w, sizeof(w) / sizeof(w[0]));
	assert_string_equal(roster_lint_message(lint, 0, ROSTER_LANG_FR),
			    "service pbx : identifiant donné deux fois "
			    "(d'abord à la ligne 4)");
	roster_lint_free(lint);
	/* two licences of a family at two unknown tiers: each tier is
	 * unknown, but they are not one tier given twice */
	{
		static const want tiers[] = {
			{ ROSTER_LINT_UNKNOWN, "gold", "phone-gold", 11 },
			{ ROSTER_LINT_UNKNOWN, "silver", "phone-silver", 16 },
		};
		char other[4096];

		path_of(other, sizeof(other), "lint", "unknown-tiers.xml");
		assert_int_equal(roster_catalog_lint_file(&lint, other),
				 ROSTER_OK);
		check_findings(lint, tiers, 2);
		roster_lint_free(lint);
	}
	/* a load refuses the first of them */
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.duplicate");
	assert_string_equal(roster_error_value(roster_error_last()),
			    "faults.xml:9: service pbx given twice (first at "
			    "line 4)");
	assert_null(cat);
}

/* Write a catalog to a fresh file; its path into path. */
static void write_catalog(char *path, size_t size, const char *xml,
			  size_t len)
{
	const char *tmp = getenv("TMPDIR");
	FILE *f;
	int fd;

	snprintf(path, size, "%s/roster-catalog-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	assert_int_equal(fwrite(xml, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

#define NAMES3(x)                                                            \
	"<name xml:lang=\"en\">" x "</name><name xml:lang=\"fr\">" x          \
	"</name><name xml:lang=\"cs\">" x "</name>"

/* A load reports the first fault in the file, of whatever kind; and the
 * first fault is found however many come after it (past the 10,000 a
 * list keeps). */
static void test_first_fault(void **state)
{
	static const char head[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<catalog xmlns=\"urn:roster:catalog:1\" format=\"1\">\n";
	roster_catalog *cat = NULL;
	roster_lint *lint = NULL;
	char path[4096], *big, *at;
	size_t i, cap = 4 << 20;
	const char *a;

	(void)state;
	/* a duplicate on line 4, then a name missing on line 5 */
	a = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<catalog xmlns=\"urn:roster:catalog:1\" format=\"1\">\n"
	    "<services><service id=\"pbx\">" NAMES3("PBX") "</service>\n"
	    "<service id=\"pbx\">" NAMES3("PBX") "</service>\n"
	    "<service id=\"desk\"><name xml:lang=\"en\">D</name>"
	    "<name xml:lang=\"cs\">D</name></service>\n"
	    "</services></catalog>\n";
	write_catalog(path, sizeof(path), a, strlen(a));
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.duplicate");
	assert_non_null(strstr(roster_error_value(roster_error_last()), ":4:"));
	/* the lint of the file refuses for the name all the same */
	assert_int_equal(roster_catalog_lint_file(&lint, path), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.name");
	assert_null(lint);
	unlink(path);
	/* a name missing on line 3, then 10,002 languages given twice */
	assert_non_null(big = malloc(cap));
	at = big + snprintf(big, cap, "%s%s", head,
			    "<services><service id=\"desk\"><name "
			    "xml:lang=\"en\">D</name><name xml:lang=\"cs\">D"
			    "</name></service></services>\n<languages>\n");
	for (i = 0; i < 10003; i++)
		at += snprintf(at, cap - (size_t)(at - big),
			       "<language id=\"xx\">" NAMES3("X")
			       "</language>\n");
	at += snprintf(at, cap - (size_t)(at - big), "</languages></catalog>\n");
	write_catalog(path, sizeof(path), big, (size_t)(at - big));
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.name");
	assert_non_null(strstr(roster_error_value(roster_error_last()), ":3:"));
	assert_int_equal(roster_catalog_lint_file(&lint, path), ROSTER_EPARSE);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.name");
	assert_null(lint);
	unlink(path);
	free(big);
}

/* ------------------------------------------------------------------ */
/* A catalog of its own                                                */

static void test_custom(void **state)
{
	roster_catalog *cat = NULL;
	roster_lint *lint = NULL;
	roster_password_policy p;
	char path[4096];

	(void)state;
	path_of(path, sizeof(path), "good", "custom.xml");
	assert_int_equal(roster_catalog_load_file(&cat, path), ROSTER_OK);
	assert_int_equal(roster_catalog_lint(&lint, cat), ROSTER_OK);
	assert_int_equal(roster_lint_count(lint), 0);
	roster_lint_free(lint);

	/* sections left out are empty */
	assert_int_equal(roster_catalog_count(cat, ROSTER_ITEM_PACK), 0);
	assert_int_equal(roster_catalog_count(cat, ROSTER_ITEM_LANGUAGE), 0);
	/* a licence's needs: its family's (none here) and its own */
	assert_int_equal(roster_catalog_licence_needs(cat, "phone-std", "pbx"),
			 1);
	assert_int_equal(roster_catalog_licence_needs(cat, "phone-any", "pbx"),
			 0);
	assert_int_equal(roster_catalog_change_allowed(cat, "phone-any",
						       "phone-std"),
			 1);
	assert_int_equal(roster_catalog_change_allowed(cat, "phone-std",
						       "phone-any"),
			 0);
	/* names per edition, the others falling back to the plain one */
	assert_string_equal(roster_catalog_name(cat, ROSTER_ITEM_LICENCE,
						"phone-std", ROSTER_LANG_FR,
						"duo"),
			    "Téléphone");
	assert_string_equal(roster_catalog_name(cat, ROSTER_ITEM_LICENCE,
						"phone-std", ROSTER_LANG_FR,
						"solo"),
			    "Phone STD");
	assert_string_equal(roster_catalog_name(cat, ROSTER_ITEM_LICENCE,
						"phone-std", ROSTER_LANG_CS,
						NULL),
			    "Phone STD");

	memset(&p, 0, sizeof(p));
	p.version = 1;
	assert_int_equal(roster_catalog_password_policy(cat, &p), ROSTER_OK);
	assert_int_equal(p.version, 1);
	assert_int_equal(p.min_length, 10);
	assert_int_equal(p.max_length, 64);
	assert_int_equal(p.required_classes,
			 ROSTER_CLASS_UPPER | ROSTER_CLASS_DIGIT);
	assert_int_equal(p.generated_length, 20);
	assert_int_equal(p.hash_cost, 3);
	assert_int_equal(p.reset_ttl, 3600);
	assert_int_equal(p.welcome_ttl, 7200);
	roster_catalog_free(cat);
}

/* The smallest catalog, and one read as UTF-8 whatever it declares. */
static void test_small(void **state)
{
	static const char empty[] =
		"<catalog xmlns='urn:roster:catalog:1' format='1'/>";
	static const char latin[] =
		"<?xml version='1.0' encoding='ISO-8859-1'?>\n"
		"<catalog xmlns='urn:roster:catalog:1' format='1'>"
		"<services><service id='pbx'>"
		"<name xml:lang='en'>PBX</name>"
		"<name xml:lang='fr'>Standard t\xC3\xA9l\xC3\xA9phonique</name>"
		"<name xml:lang='cs'>\xC3\x9Ast\xC5\x99\x65\x64na</name>"
		"</service></services></catalog>";
	roster_catalog *cat = NULL;
	roster_password_policy p, def;
	int kind;

	(void)state;
	assert_int_equal(roster_catalog_load_buffer(&cat, empty,
						    sizeof(empty) - 1, NULL),
			 ROSTER_OK);
	for (kind = ROSTER_ITEM_SERVICE; kind <= ROSTER_ITEM_LANGUAGE; kind++)
		assert_int_equal(roster_catalog_count(cat, kind), 0);
	roster_password_policy_init(&def, ROSTER_PASSWORD_POLICY_VERSION);
	roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION);
	p.min_length = 99;
	assert_int_equal(roster_catalog_password_policy(cat, &p), ROSTER_OK);
	assert_memory_equal(&p, &def, sizeof(p));
	roster_catalog_free(cat);

	assert_int_equal(roster_catalog_load_buffer(&cat, latin,
						    sizeof(latin) - 1, NULL),
			 ROSTER_OK);
	assert_string_equal(roster_catalog_name(cat, ROSTER_ITEM_SERVICE, "pbx",
						ROSTER_LANG_CS, NULL),
			    "\xC3\x9Ast\xC5\x99\x65\x64na");
	roster_catalog_free(cat);

	/* a NULL name is "catalog" in errors */
	assert_int_equal(roster_catalog_load_buffer(&cat, "<x", 2, NULL),
			 ROSTER_EPARSE);
	assert_int_equal(strncmp(roster_error_value(roster_error_last()),
				 "catalog:1: ", 11),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_bad_buffers),
		cmocka_unit_test(test_syntax_words),
		cmocka_unit_test(test_schema_words),
		cmocka_unit_test(test_bad_files_lint),
		cmocka_unit_test(test_bad_table_complete),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_size_and_read),
		cmocka_unit_test(test_lint_codes),
		cmocka_unit_test(test_lint_file_faults),
		cmocka_unit_test(test_first_fault),
		cmocka_unit_test(test_custom),
		cmocka_unit_test(test_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
