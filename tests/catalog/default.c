/*
 * default.c: the default catalog against the domain brief.
 *
 * The brief's tables are written out here again, by hand, from the brief
 * itself (Licences, Stations and inventory, Product licences): the test
 * reads nothing of the catalog to decide what is expected.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "roster.h"
#include "paths.h"

/* ------------------------------------------------------------------ */
/* The brief                                                           */

/* Families: Callcentrum, Helpdesk, Omnichannel, Video. Tiers: MINI,
 * START, PROFI, ENTERPRISE (Video has none). */
static const char *const licences[] = {
	"callcentrum-mini", "callcentrum-start", "callcentrum-profi",
	"callcentrum-enterprise", "helpdesk-mini", "helpdesk-start",
	"helpdesk-profi", "helpdesk-enterprise", "omnichannel-mini",
	"omnichannel-start", "omnichannel-profi", "omnichannel-enterprise",
	"video",
};
#define NLIC (sizeof(licences) / sizeof(licences[0]))

/* "The only changes allowed (all others are refused)". */
static const struct {
	const char *from;
	const char *to[8];
} brief_changes[] = {
	{ "callcentrum-mini",
	  { "callcentrum-start", "callcentrum-profi", "callcentrum-enterprise",
	    "omnichannel-mini", "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	{ "helpdesk-mini",
	  { "helpdesk-start", "helpdesk-profi", "helpdesk-enterprise",
	    "omnichannel-mini", "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	{ "omnichannel-mini",
	  { "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	{ "callcentrum-start",
	  { "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	{ "callcentrum-profi",
	  { "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	{ "callcentrum-enterprise",
	  { "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	{ "helpdesk-start",
	  { "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	{ "helpdesk-profi",
	  { "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	{ "helpdesk-enterprise",
	  { "omnichannel-start", "omnichannel-profi",
	    "omnichannel-enterprise" } },
	/* Video: none */
};

static int brief_allows(const char *from, const char *to)
{
	size_t i, j;

	for (i = 0; i < sizeof(brief_changes) / sizeof(brief_changes[0]); i++)
		if (strcmp(brief_changes[i].from, from) == 0)
			for (j = 0; j < 8 && brief_changes[i].to[j]; j++)
				if (strcmp(brief_changes[i].to[j], to) == 0)
					return 1;
	return 0;
}

/* "Callcentrum (and MINI) need a PBX; Helpdesk (and MINI) need the
 * Helpdesk service; Omnichannel (and MINI) need both." */
static int brief_needs(const char *licence, const char *service)
{
	int pbx = strncmp(licence, "callcentrum-", 12) == 0 ||
		  strncmp(licence, "omnichannel-", 12) == 0;
	int helpdesk = strncmp(licence, "helpdesk-", 9) == 0 ||
		       strncmp(licence, "omnichannel-", 12) == 0;

	if (strcmp(service, "pbx") == 0)
		return pbx;
	if (strcmp(service, "helpdesk") == 0)
		return helpdesk;
	return -1;
}

static roster_catalog *def;

static int setup(void **state)
{
	(void)state;
	return roster_catalog_load_default(&def) == ROSTER_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	roster_catalog_free(def);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void test_items(void **state)
{
	static const struct {
		int kind;
		const char *ids[20];
	} want[] = {
		{ ROSTER_ITEM_SERVICE, { "pbx", "helpdesk" } },
		{ ROSTER_ITEM_TIER, { "mini", "start", "profi", "enterprise" } },
		{ ROSTER_ITEM_EDITION, { "mini", "start", "profi", "enterprise" } },
		{ ROSTER_ITEM_FAMILY,
		  { "callcentrum", "helpdesk", "omnichannel", "video" } },
		{ ROSTER_ITEM_CLIENT, { "deskphone", "desktop", "web", "mobile" } },
		{ ROSTER_ITEM_PACK, { "premium", "standard", "basic" } },
		{ ROSTER_ITEM_PRODUCT, { "meetings" } },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (j = 0; want[i].ids[j]; j++)
			assert_string_equal(roster_catalog_item(def, want[i].kind,
								j),
					    want[i].ids[j]);
		assert_int_equal(roster_catalog_count(def, want[i].kind), j);
		assert_null(roster_catalog_item(def, want[i].kind, j));
	}
	/* exactly the thirteen licences, in this order */
	assert_int_equal(roster_catalog_count(def, ROSTER_ITEM_LICENCE), NLIC);
	for (i = 0; i < NLIC; i++) {
		const char *id = roster_catalog_item(def, ROSTER_ITEM_LICENCE, i);

		assert_string_equal(id, licences[i]);
		assert_int_equal(roster_catalog_has(def, ROSTER_ITEM_LICENCE, id),
				 1);
	}
	assert_int_equal(roster_catalog_has(def, ROSTER_ITEM_LICENCE,
					    "callcentrum"),
			 0);
	assert_int_equal(roster_catalog_has(def, ROSTER_ITEM_TIER, "video"), 0);
	assert_int_equal(roster_catalog_count(def, 0), 0);
	assert_int_equal(roster_catalog_count(def, ROSTER_ITEM_LANGUAGE + 1), 0);
}

static void test_licence_family_tier(void **state)
{
	static const char *const tiers[] = { "mini", "start", "profi",
					     "enterprise" };
	static const char *const families[] = { "callcentrum", "helpdesk",
						"omnichannel" };
	char id[64];
	size_t f, t;

	(void)state;
	for (f = 0; f < 3; f++)
		for (t = 0; t < 4; t++) {
			snprintf(id, sizeof(id), "%s-%s", families[f], tiers[t]);
			assert_string_equal(
				roster_catalog_licence_family(def, id),
				families[f]);
			assert_string_equal(roster_catalog_licence_tier(def, id),
					    tiers[t]);
		}
	assert_string_equal(roster_catalog_licence_family(def, "video"),
			    "video");
	assert_null(roster_catalog_licence_tier(def, "video"));
	assert_null(roster_catalog_licence_family(def, "fax"));
	assert_null(roster_catalog_licence_tier(def, "fax"));
}

/* Every (from, to) pair of the catalog's licences against the brief. */
static void test_every_change(void **state)
{
	size_t n = roster_catalog_count(def, ROSTER_ITEM_LICENCE), i, j;
	size_t allowed = 0, checked = 0;

	(void)state;
	assert_int_equal(n, NLIC);
	for (i = 0; i < n; i++) {
		const char *from = roster_catalog_item(def, ROSTER_ITEM_LICENCE, i);

		for (j = 0; j < n; j++) {
			const char *to =
				roster_catalog_item(def, ROSTER_ITEM_LICENCE, j);
			int want = brief_allows(from, to);
			int got = roster_catalog_change_allowed(def, from, to);

			if (got != want)
				fail_msg("%s -> %s: catalog says %d, brief %d",
					 from, to, got, want);
			allowed += (size_t)want;
			checked++;
		}
	}
	assert_int_equal(checked, NLIC * NLIC);
	/* 7 + 7 + 3 + 3 * 3 + 3 * 3 */
	assert_int_equal(allowed, 35);
	/* nothing changes from Video, nothing into it */
	for (i = 0; i < NLIC; i++) {
		assert_int_equal(roster_catalog_change_allowed(def, "video",
							       licences[i]),
				 0);
		assert_int_equal(roster_catalog_change_allowed(def, licences[i],
							       "video"),
				 0);
		assert_int_equal(roster_catalog_change_allowed(def, licences[i],
							       licences[i]),
				 0);
	}
	/* unknown licences are told, not refused */
	assert_int_equal(roster_catalog_change_allowed(def, "fax", "video"),
			 ROSTER_ENOTFOUND);
	assert_string_equal(roster_error_rule(roster_error_last()),
			    "catalog.unknown");
	assert_string_equal(roster_error_value(roster_error_last()), "fax");
	assert_int_equal(roster_catalog_change_allowed(def, "video", "fax"),
			 ROSTER_ENOTFOUND);
}

static void test_needs(void **state)
{
	size_t i, s;

	(void)state;
	assert_int_equal(roster_catalog_count(def, ROSTER_ITEM_SERVICE), 2);
	for (i = 0; i < NLIC; i++)
		for (s = 0; s < 2; s++) {
			const char *svc =
				roster_catalog_item(def, ROSTER_ITEM_SERVICE, s);

			if (roster_catalog_licence_needs(def, licences[i], svc) !=
			    brief_needs(licences[i], svc))
				fail_msg("%s needs %s: catalog says %d",
					 licences[i], svc,
					 roster_catalog_licence_needs(
						 def, licences[i], svc));
		}
	assert_int_equal(roster_catalog_licence_needs(def, "video", "sms"),
			 ROSTER_ENOTFOUND);
	assert_string_equal(roster_error_field(roster_error_last()), "service");
	assert_int_equal(roster_catalog_licence_needs(def, "sms", "pbx"),
			 ROSTER_ENOTFOUND);
	assert_string_equal(roster_error_field(roster_error_last()), "licence");
}

/* Each edition offers MINI and its own tier; Video is offered by all;
 * every edition lets its accounts order both services. */
static void test_editions(void **state)
{
	static const char *const editions[] = { "mini", "start", "profi",
						"enterprise" };
	size_t e, i;

	(void)state;
	for (e = 0; e < 4; e++) {
		for (i = 0; i < NLIC; i++) {
			const char *tier =
				roster_catalog_licence_tier(def, licences[i]);
			int want = !tier || strcmp(tier, "mini") == 0 ||
				   strcmp(tier, editions[e]) == 0;

			if (roster_catalog_edition_offers(def, editions[e],
							  licences[i]) != want)
				fail_msg("edition %s, licence %s: expected %d",
					 editions[e], licences[i], want);
		}
		assert_int_equal(roster_catalog_edition_orders(def, editions[e],
							       "pbx"),
				 1);
		assert_int_equal(roster_catalog_edition_orders(def, editions[e],
							       "helpdesk"),
				 1);
	}
	assert_int_equal(roster_catalog_edition_offers(def, "gold", "video"),
			 ROSTER_ENOTFOUND);
	assert_string_equal(roster_error_field(roster_error_last()), "edition");
	assert_int_equal(roster_catalog_edition_orders(def, "mini", "fax"),
			 ROSTER_ENOTFOUND);
}

static void name_is(const char *licence, const char *edition,
		    const char *en, const char *fr, const char *cs)
{
	assert_string_equal(roster_catalog_name(def, ROSTER_ITEM_LICENCE,
						licence, ROSTER_LANG_EN, edition),
			    en);
	assert_string_equal(roster_catalog_name(def, ROSTER_ITEM_LICENCE,
						licence, ROSTER_LANG_FR, edition),
			    fr);
	assert_string_equal(roster_catalog_name(def, ROSTER_ITEM_LICENCE,
						licence, ROSTER_LANG_CS, edition),
			    cs);
}

static void test_names(void **state)
{
	int kind, lang;
	size_t i;

	(void)state;
	/* the tier is in the name... */
	name_is("callcentrum-start", NULL, "Callcentrum START",
		"Callcentrum START", "Callcentrum START");
	name_is("callcentrum-start", "start", "Callcentrum START",
		"Callcentrum START", "Callcentrum START");
	name_is("callcentrum-mini", "start", "Callcentrum MINI",
		"Callcentrum MINI", "Callcentrum MINI");
	name_is("helpdesk-profi", "profi", "Helpdesk PROFI", "Helpdesk PROFI",
		"Helpdesk PROFI");
	name_is("callcentrum-enterprise", NULL, "Callcentrum ENTERPRISE",
		"Callcentrum ENTERPRISE", "Callcentrum ENTERPRISE");
	/* ...but an ENTERPRISE account names the family alone, beside
	 * "Callcentrum MINI" (001) */
	name_is("callcentrum-enterprise", "enterprise", "Callcentrum",
		"Callcentrum", "Callcentrum");
	name_is("omnichannel-enterprise", "enterprise", "Omnichannel",
		"Omnichannel", "Omnichannel");
	name_is("callcentrum-mini", "enterprise", "Callcentrum MINI",
		"Callcentrum MINI", "Callcentrum MINI");
	name_is("video", "mini", "Video", "Vidéo", "Video");
	assert_string_equal(roster_catalog_name(def, ROSTER_ITEM_SERVICE, "pbx",
						ROSTER_LANG_CS, NULL),
			    "Ústředna");
	assert_string_equal(roster_catalog_name(def, ROSTER_ITEM_PACK, "basic",
						ROSTER_LANG_FR, NULL),
			    "Basique");
	/* unknown item, edition or language */
	assert_null(roster_catalog_name(def, ROSTER_ITEM_LICENCE, "fax",
					ROSTER_LANG_EN, NULL));
	assert_null(roster_catalog_name(def, ROSTER_ITEM_LICENCE, "video",
					ROSTER_LANG_EN, "gold"));
	assert_null(roster_catalog_name(def, ROSTER_ITEM_LICENCE, "video",
					(roster_language)ROSTER_LANG_COUNT,
					NULL));
	assert_null(roster_catalog_name(def, 0, "video", ROSTER_LANG_EN, NULL));
	/* every item is named in every language */
	for (kind = ROSTER_ITEM_SERVICE; kind <= ROSTER_ITEM_LANGUAGE; kind++)
		for (i = 0; i < roster_catalog_count(def, kind); i++)
			for (lang = 0; lang < ROSTER_LANG_COUNT; lang++) {
				const char *n = roster_catalog_name(
					def, kind,
					roster_catalog_item(def, kind, i),
					(roster_language)lang, NULL);
				assert_non_null(n);
				assert_true(n[0] != '\0');
			}
}

static int pack_has(const char *pack, const char *client)
{
	return roster_catalog_pack_includes(def, pack, client);
}

/* Premium, Standard, Basic: each strictly within the one above, so that
 * a change down always loses a client (a downgrade). */
static void test_packs(void **state)
{
	static const char *const order[] = { "basic", "standard", "premium" };
	size_t nc = roster_catalog_count(def, ROSTER_ITEM_CLIENT), p, c;

	(void)state;
	assert_true(nc > 0);
	for (p = 0; p + 1 < 3; p++) {
		size_t more = 0;

		for (c = 0; c < nc; c++) {
			const char *cl =
				roster_catalog_item(def, ROSTER_ITEM_CLIENT, c);
			int lo = pack_has(order[p], cl);
			int hi = pack_has(order[p + 1], cl);

			assert_true(lo == 0 || lo == 1);
			assert_true(hi == 0 || hi == 1);
			if (lo)
				assert_int_equal(hi, 1);
			more += (size_t)(hi && !lo);
		}
		assert_true(more > 0);
	}
	/* every pack includes a client, the top one all */
	for (c = 0; c < nc; c++)
		assert_int_equal(pack_has("premium", roster_catalog_item(
							    def,
							    ROSTER_ITEM_CLIENT,
							    c)),
				 1);
	assert_int_equal(pack_has("basic", "deskphone"), 1);
	assert_int_equal(pack_has("basic", "mobile"), 0);
	assert_int_equal(pack_has("gold", "mobile"), ROSTER_ENOTFOUND);
	assert_int_equal(pack_has("basic", "fax"), ROSTER_ENOTFOUND);
	assert_string_equal(roster_error_field(roster_error_last()), "client");
}

/* The phone languages are those of roster_phone_language(), lower case. */
static void test_languages(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; roster_phone_language(i); i++) {
		const char *tag = roster_phone_language(i);
		const char *id = roster_catalog_item(def, ROSTER_ITEM_LANGUAGE, i);
		size_t k;

		assert_non_null(id);
		assert_int_equal(strlen(id), strlen(tag));
		for (k = 0; tag[k]; k++)
			assert_int_equal(id[k], tolower((unsigned char)tag[k]));
	}
	assert_int_equal(roster_catalog_count(def, ROSTER_ITEM_LANGUAGE), i);
	assert_string_equal(roster_catalog_name(def, ROSTER_ITEM_LANGUAGE,
						"cs-cz", ROSTER_LANG_CS, NULL),
			    "čeština (Česko)");
}

static void test_product_and_policy(void **state)
{
	roster_password_policy want, got;

	(void)state;
	assert_int_equal(roster_catalog_has(def, ROSTER_ITEM_PRODUCT, "meetings"),
			 1);
	assert_int_equal(roster_password_policy_init(
				 &want, ROSTER_PASSWORD_POLICY_VERSION),
			 ROSTER_OK);
	memset(&got, 0xA5, sizeof(got));
	got.version = ROSTER_PASSWORD_POLICY_VERSION;
	assert_int_equal(roster_catalog_password_policy(def, &got), ROSTER_OK);
	assert_memory_equal(&got, &want, sizeof(got));
	got.version = 0;
	assert_int_equal(roster_catalog_password_policy(def, &got),
			 ROSTER_EVERSION);
}

static void test_lint_clean(void **state)
{
	roster_lint *lint = NULL;
	size_t i;

	(void)state;
	assert_int_equal(roster_catalog_lint(&lint, def), ROSTER_OK);
	for (i = 0; i < roster_lint_count(lint); i++)
		print_error("line %lu: %s\n", roster_lint_line(lint, i),
			    roster_lint_message(lint, i, ROSTER_LANG_EN));
	assert_int_equal(roster_lint_count(lint), 0);
	roster_lint_free(lint);
}

/* The texts the library carries are the files of data/, and the file
 * loads to the same catalog. */
static void test_embedded(void **state)
{
	char path[4096];
	char *text;
	size_t len = 0, i;
	roster_catalog *file = NULL;
	roster_lint *lint = NULL;

	(void)state;
	source_path(path, sizeof(path), "data/catalog.xml");
	text = slurp(path, &len);
	assert_non_null(text);
	assert_string_equal(roster_catalog_default_xml(), text);
	free(text);
	source_path(path, sizeof(path), "data/catalog.rng");
	text = slurp(path, &len);
	assert_non_null(text);
	assert_string_equal(roster_catalog_schema(), text);
	free(text);

	source_path(path, sizeof(path), "data/catalog.xml");
	assert_int_equal(roster_catalog_load_file(&file, path), ROSTER_OK);
	for (i = 0; i < NLIC; i++)
		assert_string_equal(roster_catalog_item(file, ROSTER_ITEM_LICENCE,
							i),
				    licences[i]);
	assert_int_equal(roster_catalog_lint_file(&lint, path), ROSTER_OK);
	assert_int_equal(roster_lint_count(lint), 0);
	roster_lint_free(lint);
	roster_catalog_free(file);
}

static void test_references(void **state)
{
	roster_catalog *a = NULL, *b;

	(void)state;
	assert_int_equal(roster_catalog_load_default(&a), ROSTER_OK);
	b = roster_catalog_ref(a);
	assert_ptr_equal(a, b);
	roster_catalog_free(a);
	/* still alive through b */
	assert_int_equal(roster_catalog_change_allowed(b, "helpdesk-mini",
						       "omnichannel-mini"),
			 1);
	roster_catalog_free(b);
	assert_null(roster_catalog_ref(NULL));
	roster_catalog_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_licence_family_tier),
		cmocka_unit_test(test_every_change),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_editions),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_packs),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_product_and_policy),
		cmocka_unit_test(test_lint_clean),
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_references),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
