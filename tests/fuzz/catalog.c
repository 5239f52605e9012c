/*
 * catalog.c: the fuzz target of the catalog parser.
 *
 * Each input is loaded as a catalog; a catalog that loads is read through
 * every query and linted; the same input is linted as a file would be.
 * Beside crashes and sanitizer reports, the target aborts when the
 * answers contradict one another: an item the catalog lists but does not
 * have, a name missing in a language, an answer that is neither 0 nor 1,
 * a load and a lint of the same text that disagree, a refusal's message
 * that is not UTF-8 in some language, or a syntax or schema fault whose
 * words stay English in French.
 *
 * Built as a libFuzzer binary with -Dfuzz=true (clang), and run over the
 * corpus by replay.c under `meson test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roster.h"
#include "catalog/internal.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bound the pairwise questions so that one input stays quick. */
#define PAIRS_MAX 48

static void check(int ok)
{
	if (!ok)
		abort();
}

static void read_catalog(const roster_catalog *cat)
{
	size_t n[RS_KIND_LAST + 1], i, j;
	roster_password_policy p;
	int kind, lang;

	for (kind = 1; kind <= RS_KIND_LAST; kind++) {
		n[kind] = roster_catalog_count(cat, kind);
		if (n[kind] > PAIRS_MAX)
			n[kind] = PAIRS_MAX;
	}
	for (kind = 1; kind <= RS_KIND_LAST; kind++)
		for (i = 0; i < n[kind]; i++) {
			const char *id = roster_catalog_item(cat, kind, i);

			check(id && roster_catalog_has(cat, kind, id) == 1);
			for (lang = 0; lang < ROSTER_LANG_COUNT; lang++) {
				const char *nm = roster_catalog_name(
					cat, kind, id, (roster_language)lang,
					NULL);

				check(nm && nm[0]);
				for (j = 0; j < n[ROSTER_ITEM_EDITION]; j++)
					check(roster_catalog_name(
						      cat, kind, id,
						      (roster_language)lang,
						      roster_catalog_item(
							      cat,
							      ROSTER_ITEM_EDITION,
							      j)) != NULL);
			}
		}
	for (i = 0; i < n[ROSTER_ITEM_LICENCE]; i++) {
		const char *l = roster_catalog_item(cat, ROSTER_ITEM_LICENCE, i);
		int r;

		check(roster_catalog_licence_family(cat, l) != NULL);
		(void)roster_catalog_licence_tier(cat, l);
		for (j = 0; j < n[ROSTER_ITEM_SERVICE]; j++) {
			r = roster_catalog_licence_needs(
				cat, l,
				roster_catalog_item(cat, ROSTER_ITEM_SERVICE, j));
			check(r == 0 || r == 1);
		}
		for (j = 0; j < n[ROSTER_ITEM_EDITION]; j++) {
			r = roster_catalog_edition_offers(
				cat,
				roster_catalog_item(cat, ROSTER_ITEM_EDITION, j),
				l);
			check(r == 0 || r == 1);
		}
		for (j = 0; j < n[ROSTER_ITEM_LICENCE]; j++) {
			const char *t =
				roster_catalog_item(cat, ROSTER_ITEM_LICENCE, j);

			r = roster_catalog_change_allowed(cat, l, t);
			check(r == 0 || r == 1);
			check(i != j || r == 0);
		}
	}
	for (i = 0; i < n[ROSTER_ITEM_EDITION]; i++)
		for (j = 0; j < n[ROSTER_ITEM_SERVICE]; j++) {
			int r = roster_catalog_edition_orders(
				cat, roster_catalog_item(cat, ROSTER_ITEM_EDITION, i),
				roster_catalog_item(cat, ROSTER_ITEM_SERVICE, j));
			check(r == 0 || r == 1);
		}
	for (i = 0; i < n[ROSTER_ITEM_PACK]; i++)
		for (j = 0; j < n[ROSTER_ITEM_CLIENT]; j++) {
			int r = roster_catalog_pack_includes(
				cat, roster_catalog_item(cat, ROSTER_ITEM_PACK, i),
				roster_catalog_item(cat, ROSTER_ITEM_CLIENT, j));
			check(r == 0 || r == 1);
		}
	p.version = ROSTER_PASSWORD_POLICY_VERSION;
	check(roster_catalog_password_policy(cat, &p) == ROSTER_OK);
	check(p.min_length <= p.max_length);
}

static size_t read_lint(const roster_lint *lint)
{
	size_t i, n = roster_lint_count(lint);
	int lang;

	for (i = 0; i < n; i++) {
		int code = roster_lint_code_of(lint, i);

		check(code >= ROSTER_LINT_UNREACHABLE &&
		      code <= ROSTER_LINT_UNKNOWN);
		check(roster_lint_item(lint, i, 0) != NULL);
		(void)roster_lint_item(lint, i, 1);
		(void)roster_lint_line(lint, i);
		for (lang = 0; lang < ROSTER_LANG_COUNT; lang++)
			check(roster_lint_message(lint, i,
						  (roster_language)lang) != NULL);
	}
	return n;
}

/* A refusal's message, valid UTF-8 in every language; a syntax or schema
 * fault's words, after its place ("fuzz.xml:3: "), said in French. */
static void check_messages(const roster_error *e)
{
	char buf[ROSTER_ERROR_MESSAGE_MAX];
	const char *words = strstr(roster_error_value(e), ": ");
	int lang;

	for (lang = 0; lang < ROSTER_LANG_COUNT; lang++) {
		check(roster_error_message_in(e, (roster_language)lang, buf,
					      sizeof(buf)) == ROSTER_OK);
		check(fuzz_utf8(buf));
		if (lang == ROSTER_LANG_FR && words &&
		    (strcmp(roster_error_rule(e), "catalog.syntax") == 0 ||
		     strcmp(roster_error_rule(e), "catalog.schema") == 0))
			check(strstr(buf, words + 2) == NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roster_catalog *cat = NULL;
	roster_lint *lint = NULL, *flint = NULL;
	char rule[40] = "";
	int rc, frc;

	rc = roster_catalog_load_buffer(&cat, data, size, "fuzz.xml");
	if (rc == ROSTER_OK) {
		check(cat != NULL);
		read_catalog(cat);
		check(roster_catalog_lint(&lint, cat) == ROSTER_OK);
		read_lint(lint);
	} else {
		const roster_error *e = roster_error_last();

		check(cat == NULL);
		check(rc == ROSTER_EPARSE || rc == ROSTER_ENOMEM);
		check(roster_error_code(e) == rc);
		check(roster_error_rule(e)[0] != '\0');
		strncpy(rule, roster_error_rule(e), sizeof(rule) - 1);
		check_messages(e);
	}

	/* the lint of the same text as a file */
	frc = rs_catalog_lint_buffer(&flint, data, size, "fuzz.xml");
	if (rc == ROSTER_OK) {
		check(frc == ROSTER_OK);
		check(read_lint(flint) == roster_lint_count(lint));
	} else if (strcmp(rule, "catalog.duplicate") == 0 ||
		   strcmp(rule, "catalog.reference") == 0) {
		/* the lint reports them, unless a name or a value later in
		 * the file fails it (the load named the first fault) */
		if (frc == ROSTER_OK) {
			check(read_lint(flint) > 0);
		} else {
			const char *r = roster_error_rule(roster_error_last());
			check(frc == ROSTER_EPARSE);
			check(strcmp(r, "catalog.name") == 0 ||
			      strcmp(r, "catalog.value") == 0);
		}
	} else if (rc == ROSTER_EPARSE) {
		check(frc == ROSTER_EPARSE);
		check(strcmp(roster_error_rule(roster_error_last()), rule) == 0);
	}
	roster_lint_free(flint);
	roster_lint_free(lint);
	roster_catalog_free(cat);
	return 0;
}
