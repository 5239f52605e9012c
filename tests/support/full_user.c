/* full_user.c: the fixture of full_user.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "full_user.h"

roster_directory *full_user_directory(roster_id ids[FULL_USER_IDS])
{
	roster_directory *dir = NULL;
	roster_actor sys, ap;
	roster_password_policy pol;
	roster_form *f = NULL;
	roster_id partner, account, pbx, site, group, user;
	const char *lines[] = { "+420601000001", "+420601000002" };

	assert_int_equal(roster_directory_open(&dir, NULL), 0);
	roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION);
	pol.hash_cost = 1;
	assert_int_equal(roster_directory_set_password_policy(dir, &pol), 0);
	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	assert_int_equal(roster_partner_create(&partner, dir, &sys, "Partenaire Été"), 0);
	roster_actor_init(&ap, ROSTER_ACTOR_PARTNER, partner);
	assert_int_equal(roster_account_create(&account, dir, &ap, partner, "Účet"), 0);
	assert_int_equal(roster_account_set_helpdesk(dir, &ap, account, 1), 0);
	assert_int_equal(roster_pbx_create(&pbx, dir, &ap, account, "PBX", 3, 5), 0);
	assert_int_equal(roster_site_create(&site, dir, &ap, account, "Site"), 0);
	assert_int_equal(roster_group_create(&group, dir, &ap, account, "Group"), 0);
	assert_int_equal(roster_form_new(&f, dir), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Zoë");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Dvořáková");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "Zoe@Acme.example");
	roster_form_set_str(f, ROSTER_FIELD_PASSWORD, "long enough secret");
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "two\nlines");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_STREET, "Na Příkopě 1");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_LOCALITY, "Praha");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "CZ");
	roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "1234");
	roster_form_set_ref(f, ROSTER_FIELD_SITE, site);
	roster_form_set_ref(f, ROSTER_FIELD_GROUP, group);
	roster_form_set_lines(f, lines, 2);
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	roster_form_set_bool(f, ROSTER_FIELD_TWO_FACTOR, 1);
	assert_int_equal(roster_user_create(&user, dir, &ap, account, f), 0);
	roster_form_free(f);
	assert_int_equal(roster_password_reset(dir, &ap, account, &user, 1), 0);
	ids[0] = partner, ids[1] = account, ids[2] = pbx, ids[3] = site;
	ids[4] = group, ids[5] = user;
	return dir;
}
