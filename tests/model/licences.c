/*
 * licences.c: licences on accounts and users, decided with the default
 * catalog (BRIEF, 001): the account's edition and licences, the services
 * a licence needs, the PBX and Helpdesk attachment, the table of allowed
 * changes, station pack downgrades, the choices a portal shows, and a
 * new catalog that reports the users it no longer fits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"

static const char *const start_licences[] = {
	"callcentrum-mini", "callcentrum-start", "helpdesk-mini",
	"helpdesk-start",   "omnichannel-mini",	 "omnichannel-start",
	"video",
};
#define NSTART (sizeof(start_licences) / sizeof(start_licences[0]))

/* A world whose account is a START account with the licences above. */
static world *start_world(void)
{
	world *w = world_new(NULL);

	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, "start",
						     start_licences, NSTART),
			 0);
	return w;
}

/* Create a user with a licence (and optionally a PBX extension and the
 * Helpdesk flag). */
static int licensed_user(world *w, const char *email, const char *licence,
			 const char *ext, int helpdesk, roster_id *out)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Lic");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Ensed");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
	if (licence)
		roster_form_set_str(f, ROSTER_FIELD_LICENCE, licence);
	if (ext) {
		roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
		roster_form_set_str(f, ROSTER_FIELD_EXTENSION, ext);
	}
	if (helpdesk)
		roster_form_set_bool(f, ROSTER_FIELD_HELPDESK, 1);
	rc = roster_user_create(out, w->dir, &w->as_admin, w->account, f);
	roster_form_free(f);
	return rc;
}

static int set_licence(world *w, roster_id user, const char *licence)
{
	roster_form *f = NULL;
	int rc;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_LICENCE, licence);
	rc = roster_user_update(w->dir, &w->as_admin, user, f);
	roster_form_free(f);
	return rc;
}

static void test_account_licences(void **state)
{
	static const char *const dup[] = { "video", "callcentrum-mini", "video" };
	static const char *const unknown[] = { "callcentrum-mega" };
	static const char *const not_offered[] = { "callcentrum-profi" };
	world *w = world_new(NULL);
	roster_record *rec = NULL;

	(void)state;
	world_events_clear(w);
	/* any order, duplicates dropped; kept ascending */
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, "start", dup, 3),
			 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_ACCOUNT_UPDATED), 1);
	assert_int_equal(roster_record_get(&rec, w->dir, w->account), 0);
	assert_string_equal(roster_record_edition(rec), "start");
	assert_int_equal(roster_record_licence_count(rec), 2);
	assert_string_equal(roster_record_licence(rec, 0), "callcentrum-mini");
	assert_string_equal(roster_record_licence(rec, 1), "video");
	assert_null(roster_record_licence(rec, 2));
	roster_record_free(rec);

	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, "start",
						     unknown, 1),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "licence.unknown");
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, "start",
						     not_offered, 1),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.edition");
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, "gold", NULL, 0),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "edition.unknown");
	/* an account admin may not choose what the account has bought */
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_admin,
						     w->account, NULL, NULL, 0),
			 ROSTER_EDENIED);
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_other_partner,
						     w->account, NULL, NULL, 0),
			 ROSTER_EDENIED);
	/* the failures changed nothing */
	assert_int_equal(roster_record_get(&rec, w->dir, w->account), 0);
	assert_int_equal(roster_record_licence_count(rec), 2);
	roster_record_free(rec);
	/* and it can be emptied */
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, NULL, NULL, 0),
			 0);
	assert_int_equal(roster_record_get(&rec, w->dir, w->account), 0);
	assert_null(roster_record_edition(rec));
	assert_int_equal(roster_record_licence_count(rec), 0);
	roster_record_free(rec);
	world_free(w);
}

static void test_user_licence_rules(void **state)
{
	world *w = start_world();
	roster_id u;

	(void)state;
	/* Callcentrum needs a PBX and an extension */
	assert_int_equal(licensed_user(w, "a@acme.example", "callcentrum-mini",
				       NULL, 0, &u),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.pbx");
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "licence");
	assert_int_equal(licensed_user(w, "a@acme.example", "callcentrum-mini",
				       "201", 0, &u),
			 0);
	/* not enabled for the account */
	assert_int_equal(licensed_user(w, "b@acme.example", "callcentrum-profi",
				       "202", 0, &u),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.not_enabled");
	/* Helpdesk needs the service, then the user attached to it */
	assert_int_equal(licensed_user(w, "c@acme.example", "helpdesk-mini",
				       NULL, 0, &u),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.service");
	assert_string_equal(roster_error_value(roster_directory_error(w->dir)),
			    "helpdesk");
	assert_int_equal(licensed_user(w, "c@acme.example", NULL, NULL, 1, &u),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "helpdesk.account");
	assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_partner,
						     w->account, 1),
			 0);
	assert_int_equal(licensed_user(w, "c@acme.example", "helpdesk-mini",
				       NULL, 0, &u),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.helpdesk");
	assert_int_equal(licensed_user(w, "c@acme.example", "helpdesk-mini",
				       NULL, 1, &u),
			 0);
	/* Omnichannel needs both, and both attachments */
	assert_int_equal(licensed_user(w, "d@acme.example", "omnichannel-mini",
				       "204", 0, &u),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.helpdesk");
	assert_int_equal(licensed_user(w, "d@acme.example", "omnichannel-mini",
				       "204", 1, &u),
			 0);
	/* Video needs nothing */
	assert_int_equal(licensed_user(w, "e@acme.example", "video", NULL, 0,
				       &u),
			 0);
	/* unknown, and not an identifier at all */
	assert_int_equal(licensed_user(w, "f@acme.example", "callcentrum-mega",
				       NULL, 0, &u),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "licence.unknown");
	assert_int_equal(licensed_user(w, "f@acme.example", "Video", NULL, 0,
				       &u),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "item.syntax");
	world_free(w);
}

static void test_changes_and_attachments(void **state)
{
	world *w = start_world();
	roster_form *f = NULL;
	roster_id u, v;
	char *before, *after;

	(void)state;
	assert_int_equal(licensed_user(w, "a@acme.example", "callcentrum-mini",
				       "201", 0, &u),
			 0);
	/* MINI to START of the same family: in the table */
	world_events_clear(w);
	assert_int_equal(set_licence(w, u, "callcentrum-start"), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 1);
	/* and back: not in the table */
	before = snapshot_take(w->dir);
	assert_int_equal(set_licence(w, u, "callcentrum-mini"), ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.change");
	assert_string_equal(roster_error_value(roster_directory_error(w->dir)),
			    "callcentrum-start");
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "refused change");
	free(before);
	free(after);
	/* Video changes to nothing */
	assert_int_equal(licensed_user(w, "e@acme.example", "video", "205", 0,
				       &v),
			 0);
	assert_int_equal(set_licence(w, v, "callcentrum-start"), ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.change");
	/* nor is a licence taken away: clearing it and setting another
	 * would pass the table, even within one transaction */
	before = snapshot_take(w->dir);
	assert_int_equal(set_licence(w, v, NULL), ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.remove");
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)),
			    "licence");
	assert_string_equal(roster_error_value(roster_directory_error(w->dir)),
			    "video");
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(set_licence(w, u, NULL), ROSTER_EPOLICY);
	assert_int_equal(set_licence(w, u, "callcentrum-mini"), ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.change");
	assert_int_equal(roster_transaction_commit(w->dir), 0);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "licences taken away");
	free(before);
	free(after);
	/* a kept licence still needs its PBX: taking it away is refused */
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_ref(f, ROSTER_FIELD_PBX, 0);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, NULL);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.pbx");
	/* ... but the Video user may leave the PBX */
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, v, f), 0);
	roster_form_free(f);
	/* a licence taken from the account stays with its users */
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, "start", NULL, 0),
			 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "still here");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f), 0);
	roster_form_free(f);
	/* ... and, the account no longer giving it, may now be taken away */
	assert_int_equal(set_licence(w, u, NULL), 0);
	world_free(w);
}

/* The packs as choices: free stations and downgrades. */
static void test_pack_choices(void **state)
{
	world *w = world_new(NULL);
	roster_choices *ch = NULL;
	roster_form *f = NULL;
	roster_id u;
	size_t i;

	(void)state;
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "standard", 1), 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 1), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "P", "Ack",
				    "p@acme.example", 0, &u), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "standard");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_user_choices(&ch, w->dir, &w->as_admin, 0, u), 0);
	for (i = 0; i < roster_choices_count(ch); i++) {
		const char *item = roster_choices_item(ch, i);
		if (roster_choices_kind(ch, i) != ROSTER_ITEM_PACK)
			continue;
		if (strcmp(item, "standard") == 0) {
			assert_true(roster_choices_current(ch, i));
			assert_true(roster_choices_allowed(ch, i));
		} else if (strcmp(item, "premium") == 0) {
			/* none bought */
			assert_int_equal(roster_choices_reason_count(ch, i), 1);
			assert_string_equal(roster_choices_reason(ch, i, 0),
					    "pack.none_available");
		} else {
			/* one free, but fewer clients: confirm */
			assert_string_equal(item, "basic");
			assert_int_equal(roster_choices_reason_count(ch, i), 1);
			assert_string_equal(roster_choices_reason(ch, i, 0),
					    "pack.downgrade");
			assert_true(strlen(roster_choices_reason_param(ch, i, 0)) > 0);
			assert_non_null(strstr(roster_choices_reason_message(
						       ch, i, 0, ROSTER_LANG_EN),
					       roster_choices_reason_param(ch, i, 0)));
		}
	}
	roster_choices_free(ch);
	world_free(w);
}

static void test_pack_downgrade(void **state)
{
	world *w = world_new(NULL);
	roster_form *f = NULL;
	roster_id u;
	const char *lost;

	(void)state;
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "premium", 1), 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "standard", 1), 0);
	assert_int_equal(roster_station_order(w->dir, &w->as_partner, w->site,
					      "basic", 1), 0);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "P", "Ack",
				    "p@acme.example", 0, &u), 0);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "golden");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "pack.unknown");
	roster_form_set_str(f, ROSTER_FIELD_PACK, "premium");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f), 0);
	/* fewer clients: confirm first, and be told what is lost */
	roster_form_set_str(f, ROSTER_FIELD_PACK, "basic");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f),
			 ROSTER_ECONFIRM);
	assert_err(w, ROSTER_ECONFIRM, "pack.downgrade");
	lost = roster_error_value(roster_directory_error(w->dir));
	assert_true(strlen(lost) > 0);
	assert_int_equal(roster_form_confirm(f, 8), ROSTER_EINVAL);
	assert_int_equal(roster_form_confirm(f, ROSTER_CONFIRM_DOWNGRADE), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f), 0);
	/* more clients needs no confirmation */
	roster_form_clear(f);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "standard");
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f), 0);
	roster_form_free(f);
	world_free(w);
}

static void test_choices(void **state)
{
	world *w = start_world();
	roster_choices *ch = NULL;
	roster_actor self;
	roster_id u;
	size_t i, n, allowed = 0, found_current = 0;
	int saw_change = 0, saw_enabled = 0, saw_service = 0;

	(void)state;
	assert_int_equal(licensed_user(w, "a@acme.example", "callcentrum-mini",
				       "201", 0, &u),
			 0);
	assert_int_equal(roster_user_choices(&ch, w->dir, &w->as_admin, 0, u), 0);
	n = roster_choices_count(ch);
	/* every licence of the default catalog, then every pack */
	assert_int_equal(n, 13 + 3);
	for (i = 13; i < n; i++) {
		/* the user has no site, so no station */
		assert_int_equal(roster_choices_kind(ch, i), ROSTER_ITEM_PACK);
		assert_false(roster_choices_allowed(ch, i));
		assert_string_equal(roster_choices_reason(ch, i, 0), "pack.site");
	}
	n = 13;
	for (i = 0; i < n; i++) {
		const char *item = roster_choices_item(ch, i);
		size_t r, nr = roster_choices_reason_count(ch, i);

		assert_int_equal(roster_choices_kind(ch, i), ROSTER_ITEM_LICENCE);
		assert_non_null(roster_choices_name(ch, i, ROSTER_LANG_CS));
		assert_int_equal(roster_choices_allowed(ch, i), nr == 0);
		if (roster_choices_current(ch, i)) {
			assert_string_equal(item, "callcentrum-mini");
			found_current++;
		}
		allowed += roster_choices_allowed(ch, i) &&
			   !roster_choices_current(ch, i);
		for (r = 0; r < nr; r++) {
			const char *rule = roster_choices_reason(ch, i, r);
			const char *en = NULL;
			roster_language l;

			saw_change += strcmp(rule, "licence.change") == 0;
			saw_enabled += strcmp(rule, "licence.not_enabled") == 0;
			saw_service += strcmp(rule, "licence.service") == 0;
			for (l = ROSTER_LANG_EN; l < ROSTER_LANG_COUNT; l++) {
				const char *m = roster_choices_reason_message(
					ch, i, r, l);
				assert_non_null(m);
				assert_true(strlen(m) > 10);
				if (l == ROSTER_LANG_EN)
					en = strdup(m);
				else
					assert_string_not_equal(m, en);
			}
			free((void *)en);
		}
		/* the START edition names its tier's licences its own way */
		if (strcmp(item, "callcentrum-start") == 0) {
			assert_string_equal(roster_choices_name(ch, i,
								ROSTER_LANG_EN),
					    "Callcentrum START");
			assert_true(roster_choices_allowed(ch, i));
		}
		/* Video: no PBX needed, but not reachable from Callcentrum */
		if (strcmp(item, "video") == 0) {
			assert_false(roster_choices_allowed(ch, i));
			assert_string_equal(roster_choices_reason(ch, i, 0),
					    "licence.change");
			assert_string_equal(roster_choices_reason_param(ch, i, 0),
					    "callcentrum-mini");
		}
	}
	assert_int_equal(found_current, 1);
	/* callcentrum-start and omnichannel-mini/start need nothing more but
	 * Helpdesk, which is not ordered: only one is allowed as things are */
	assert_int_equal(allowed, 1);
	assert_true(saw_change && saw_enabled && saw_service);
	assert_null(roster_choices_item(ch, 16));
	assert_int_equal(roster_choices_allowed(ch, 16), 0);
	assert_null(roster_choices_reason(ch, 0, 99));
	roster_choices_free(ch);

	/* a new user's form: no current licence, no change rule */
	assert_int_equal(roster_user_choices(&ch, w->dir, &w->as_admin,
					     w->account, 0), 0);
	for (i = 0; i < roster_choices_count(ch); i++) {
		assert_false(roster_choices_current(ch, i));
		assert_int_equal(roster_choices_reason_count(ch, i) == 0,
				 roster_choices_allowed(ch, i));
	}
	roster_choices_free(ch);

	/* the user on their own record may look, but not choose */
	self = actor_of(ROSTER_ACTOR_USER, u);
	assert_int_equal(roster_user_choices(&ch, w->dir, &self, 0, u), 0);
	for (i = 0; i < roster_choices_count(ch); i++)
		assert_false(!roster_choices_current(ch, i) &&
			     roster_choices_allowed(ch, i));
	roster_choices_free(ch);
	/* outsiders may not even look */
	assert_int_equal(roster_user_choices(&ch, w->dir, &w->as_other_admin, 0,
					     u),
			 ROSTER_EDENIED);
	assert_null(ch);
	assert_int_equal(roster_user_choices(&ch, w->dir, &w->as_admin, 0, 999999),
			 ROSTER_ENOTFOUND);
	assert_int_equal(roster_user_choices(NULL, w->dir, &w->as_admin, 0, u),
			 ROSTER_EINVAL);
	world_free(w);
}

/* A catalog without Video: its users are reported, not changed. */
static void test_new_catalog_reports(void **state)
{
	world *w = start_world();
	roster_catalog *def = NULL, *cat = NULL;
	roster_page *report = NULL;
	roster_user *got = NULL;
	roster_id u, v;
	const char *xml;
	char *mine, *at;
	size_t len;

	(void)state;
	assert_int_equal(licensed_user(w, "a@acme.example", "callcentrum-mini",
				       "201", 0, &u),
			 0);
	assert_int_equal(licensed_user(w, "v@acme.example", "video", NULL, 0,
				       &v),
			 0);
	/* the default catalog, with the Video licence renamed away */
	def = roster_directory_catalog(w->dir);
	assert_non_null(def);
	xml = roster_catalog_default_xml();
	len = strlen(xml);
	mine = malloc(len + 1);
	assert_non_null(mine);
	memcpy(mine, xml, len + 1);
	at = strstr(mine, "<licence id=\"video\"");
	assert_non_null(at);
	memcpy(at + strlen("<licence id=\""), "vide2", 5);
	/* no Czech phone language, and longer passwords */
	at = strstr(mine, "<language id=\"cs-cz\"");
	assert_non_null(at);
	memcpy(at + strlen("<language id=\""), "cs-xx", 5);
	at = strstr(mine, "min-length=\"12\"");
	assert_non_null(at);
	memcpy(at + strlen("min-length=\""), "14", 2);
	assert_int_equal(roster_catalog_load_buffer(&cat, mine, len, "mine.xml"),
			 0);
	assert_int_equal(roster_directory_set_catalog(w->dir, cat, &report), 0);
	assert_int_equal(roster_page_count(report), 1);
	assert_int_equal(roster_page_id(report, 0), v);
	/* the user still has it */
	assert_int_equal(roster_user_get(&got, w->dir, v), 0);
	assert_string_equal(roster_user_str(got, ROSTER_FIELD_LICENCE), "video");
	roster_user_free(got);
	/* a licence the catalog no longer has may be taken away */
	assert_int_equal(set_licence(w, v, NULL), 0);
	roster_page_free(report);
	/* its phone languages and its password policy are the directory's */
	{
		roster_password_policy pol;
		roster_form *f = NULL;

		roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION);
		assert_int_equal(roster_directory_get_password_policy(w->dir,
								      &pol), 0);
		assert_int_equal(pol.min_length, 14);
		assert_int_equal(roster_form_new(&f, w->dir), 0);
		roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "cs-CZ");
		assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f),
				 ROSTER_EINVALID);
		assert_err(w, ROSTER_EINVALID, "language.unsupported");
		roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "fr-FR");
		assert_int_equal(roster_user_update(w->dir, &w->as_admin, u, f),
				 0);
		roster_form_free(f);
	}
	/* refused inside a transaction; NULL refused */
	assert_int_equal(roster_transaction_begin(w->dir), 0);
	assert_int_equal(roster_directory_set_catalog(w->dir, def, NULL),
			 ROSTER_EMISUSE);
	assert_int_equal(roster_transaction_rollback(w->dir), 0);
	assert_int_equal(roster_directory_set_catalog(w->dir, NULL, NULL),
			 ROSTER_EINVAL);
	assert_int_equal(roster_directory_set_catalog(w->dir, def, NULL), 0);
	roster_catalog_free(cat);
	roster_catalog_free(def);
	free(mine);
	world_free(w);
}

/* A catalog whose START edition may not order Helpdesk: a START account
 * is refused the service, and a Helpdesk licence ordered before no longer
 * counts as served. */
static void test_orderable(void **state)
{
	world *w = start_world();
	roster_catalog *cat = NULL;
	roster_page *report = NULL;
	const char *line = "<orderable service=\"helpdesk\"/>";
	char *mine = catalog_xml_copy(), *at, *before, *after;
	roster_id u, acc2, bare, pbx;

	(void)state;
	/* ordered under the default catalog, a user attached */
	assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_partner,
						     w->account, 1), 0);
	assert_int_equal(licensed_user(w, "h@acme.example", "helpdesk-start",
				       NULL, 1, &u), 0);
	assert_int_equal(roster_account_create(&acc2, w->dir, &w->as_partner,
					       w->partner, "Start Two"), 0);
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     acc2, "start",
						     start_licences, NSTART),
			 0);
	assert_int_equal(roster_account_create(&bare, w->dir, &w->as_partner,
					       w->partner, "No Edition"), 0);
	/* START no longer lets its accounts order Helpdesk */
	assert_non_null(at = strstr(mine, "<edition id=\"start\""));
	assert_non_null(at = strstr(at, line));
	memset(at, ' ', strlen(line));
	/* and MINI no PBX */
	assert_non_null(at = strstr(mine, "<edition id=\"mini\""));
	assert_non_null(at = strstr(at, "<orderable service=\"pbx\"/>"));
	memset(at, ' ', strlen("<orderable service=\"pbx\"/>"));
	cat = catalog_xml_load(mine);
	assert_int_equal(roster_catalog_edition_orders(cat, "start",
						       "helpdesk"), 0);
	assert_int_equal(roster_directory_set_catalog(w->dir, cat, &report), 0);
	/* the user holding a licence it no longer serves is reported */
	assert_int_equal(roster_page_count(report), 1);
	assert_int_equal(roster_page_id(report, 0), u);
	roster_page_free(report);
	/* another START account may not order it: nothing changes */
	before = snapshot_take(w->dir);
	world_events_clear(w);
	assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_partner,
						     acc2, 1),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "service.edition");
	assert_string_equal(roster_error_value(roster_directory_error(w->dir)),
			    "start");
	assert_int_equal(w->nevents, 0);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "refused service");
	free(before);
	free(after);
	/* it may still have a PBX; an account without edition anything */
	assert_int_equal(roster_pbx_create(&pbx, w->dir, &w->as_partner, acc2,
					   "Main", 3, 4), 0);
	assert_int_equal(roster_account_set_helpdesk(w->dir, &w->as_partner,
						     bare, 1), 0);
	assert_int_equal(roster_pbx_create(&pbx, w->dir, &w->as_partner, bare,
					   "Main", 3, 4), 0);
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     bare, "mini", NULL, 0),
			 0);
	assert_int_equal(roster_pbx_create(&pbx, w->dir, &w->as_partner, bare,
					   "Second", 3, 4),
			 ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "service.edition");
	/* the served rule: the first account's Helpdesk no longer counts */
	assert_int_equal(set_licence(w, u, "helpdesk-mini"), ROSTER_EPOLICY);
	assert_err(w, ROSTER_EPOLICY, "licence.service");
	roster_catalog_free(cat);
	free(mine);
	world_free(w);
}

/* An account whose edition a new catalog no longer has: its choices are
 * still named (the plain names), and refused for the edition. */
static void test_edition_gone(void **state)
{
	world *w = start_world();
	roster_catalog *cat = NULL;
	roster_choices *ch = NULL;
	roster_page *report = NULL;
	char *mine = catalog_xml_copy();
	roster_id u;
	size_t i;

	(void)state;
	assert_int_equal(licensed_user(w, "v@acme.example", "video", NULL, 0,
				       &u), 0);
	catalog_xml_edit(mine, "<edition id=\"start\"",
			 "<edition id=\"stars\"");
	cat = catalog_xml_load(mine);
	assert_int_equal(roster_directory_set_catalog(w->dir, cat, &report), 0);
	roster_page_free(report);
	assert_int_equal(roster_user_choices(&ch, w->dir, &w->as_admin, 0, u), 0);
	assert_true(roster_choices_count(ch) > 0);
	for (i = 0; i < roster_choices_count(ch); i++) {
		const char *item = roster_choices_item(ch, i);
		const char *name = roster_choices_name(ch, i, ROSTER_LANG_EN);
		assert_non_null(name);
		if (strcmp(item, "video") == 0)
			assert_string_equal(name, "Video");
	}
	roster_choices_free(ch);
	roster_catalog_free(cat);
	free(mine);
	world_free(w);
}

/* Edition and licences survive a store, and bad ones are refused. */
static void test_stored(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *d = NULL;
	roster_record *rec = NULL;
	roster_user *got = NULL;
	roster_id u;
	world *w;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	w = world_new(&o);
	assert_int_equal(roster_account_set_licences(w->dir, &w->as_partner,
						     w->account, "start",
						     start_licences, NSTART),
			 0);
	assert_int_equal(licensed_user(w, "a@acme.example", "callcentrum-mini",
				       "201", 0, &u),
			 0);
	assert_int_equal(roster_directory_open(&d, &o), 0);
	assert_int_equal(roster_record_get(&rec, d, w->account), 0);
	assert_string_equal(roster_record_edition(rec), "start");
	assert_int_equal(roster_record_licence_count(rec), NSTART);
	roster_record_free(rec);
	assert_int_equal(roster_user_get(&got, d, u), 0);
	assert_string_equal(roster_user_str(got, ROSTER_FIELD_LICENCE),
			    "callcentrum-mini");
	roster_user_free(got);
	roster_directory_free(d);
	world_free(w);
	roster_memstore_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account_licences),
		cmocka_unit_test(test_user_licence_rules),
		cmocka_unit_test(test_changes_and_attachments),
		cmocka_unit_test(test_pack_downgrade),
		cmocka_unit_test(test_pack_choices),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_new_catalog_reports),
		cmocka_unit_test(test_orderable),
		cmocka_unit_test(test_edition_gone),
		cmocka_unit_test(test_stored),
	};

	return cmocka_run_group_tests_name("model/licences", tests, NULL, NULL);
}
