/* snapshot.c: a text rendering of everything a directory shows. */
#include "snapshot.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listing.h"
#include "textbuf.h"

/* Listings page through this many ids at a time, to use cursors too. */
#define SNAPSHOT_PAGE 3

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* Every id of one listing, through as many pages as it takes. */
static roster_id *list_all(roster_directory *dir, roster_id parent, int kind,
			   size_t *count)
{
	const char *why = NULL;
	roster_id *ids = listing_all(dir, parent, kind, SNAPSHOT_PAGE, count,
				     &why);

	if (!ids)
		fail_msg("snapshot: listing of parent %llu, kind %d: %s (%s)",
			 (unsigned long long)parent, kind, why,
			 roster_error_rule(roster_directory_error(dir)));
	return ids;
}

/* The stations of a site per pack, the product licences of an account
 * per product: purchased and in use, for every item of the catalog. */
static void put_counts(textbuf *b, roster_directory *dir, const roster_record *r,
		       const char *indent)
{
	const roster_actor sys = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	int kind = roster_record_kind(r);
	int item = kind == ROSTER_KIND_SITE	 ? ROSTER_ITEM_PACK
		   : kind == ROSTER_KIND_ACCOUNT ? ROSTER_ITEM_PRODUCT
						 : 0;
	roster_catalog *cat;
	size_t i;

	if (!item || !(cat = roster_directory_catalog(dir)))
		return;
	for (i = 0; i < roster_catalog_count(cat, item); i++) {
		const char *id = roster_catalog_item(cat, item, i);
		size_t have = 0, used = 0;
		int rc = item == ROSTER_ITEM_PACK
				 ? roster_station_counts(dir, &sys,
							 roster_record_id(r), id,
							 &have, &used)
				 : roster_product_counts(dir, &sys,
							 roster_record_id(r), id,
							 &have, &used);
		if (rc != ROSTER_OK)
			fail_msg("snapshot: counts of %s: %d", id, rc);
		if (have || used)
			textbuf_put(b, "%s  %s: %zu of %zu\n", indent, id, used, have);
	}
	roster_catalog_free(cat);
}

static void put_record(textbuf *b, roster_directory *dir, roster_id id,
		       const char *indent)
{
	roster_record *r = NULL;
	int rc = roster_record_get(&r, dir, id);

	if (rc != ROSTER_OK)
		fail_msg("snapshot: roster_record_get(%llu): %d",
			 (unsigned long long)id, rc);
	textbuf_put(b, "%srecord %llu kind=%d parent=%llu name=[%s] helpdesk=%d "
	       "digits=%u..%u members=%zu admins=%zu\n",
	    indent, (unsigned long long)roster_record_id(r),
	    roster_record_kind(r), (unsigned long long)roster_record_parent(r),
	    or_dash(roster_record_name(r)), roster_record_helpdesk(r),
	    roster_record_min_digits(r), roster_record_max_digits(r),
	    roster_record_members(r), roster_record_admins(r));
	if (roster_record_edition(r) || roster_record_licence_count(r)) {
		size_t i;
		textbuf_put(b, "%s  edition=[%s] licences=", indent,
		    or_dash(roster_record_edition(r)));
		for (i = 0; i < roster_record_licence_count(r); i++)
			textbuf_put(b, " [%s]", roster_record_licence(r, i));
		textbuf_put(b, "\n");
	}
	put_counts(b, dir, r, indent);
	roster_record_free(r);
}

static void put_user(textbuf *b, roster_directory *dir, roster_id id)
{
	roster_user *u = NULL;
	roster_id found = 0;
	const char *email;
	size_t i;
	int f, rc = roster_user_get(&u, dir, id);

	if (rc != ROSTER_OK)
		fail_msg("snapshot: roster_user_get(%llu): %d",
			 (unsigned long long)id, rc);
	textbuf_put(b, "    user %llu account=%llu password=%d\n",
	    (unsigned long long)roster_user_id(u),
	    (unsigned long long)roster_user_account(u),
	    roster_user_has_password(u));
	for (f = 1; f < ROSTER_FIELD_END; f++) {
		switch (roster_field_type(f)) {
		case ROSTER_TYPE_STRING:
			textbuf_put(b, "      %s=[%s]\n", roster_field_name(f),
			    or_dash(roster_user_str(u, f)));
			break;
		case ROSTER_TYPE_BOOL:
			textbuf_put(b, "      %s=%d\n", roster_field_name(f),
			    roster_user_bool(u, f));
			break;
		case ROSTER_TYPE_REF:
			textbuf_put(b, "      %s=%llu\n", roster_field_name(f),
			    (unsigned long long)roster_user_ref(u, f));
			break;
		default:
			textbuf_put(b, "      %s=%zu", roster_field_name(f),
			    roster_user_line_count(u));
			for (i = 0; i < roster_user_line_count(u); i++)
				textbuf_put(b, " [%s]", roster_user_line(u, i));
			textbuf_put(b, "\n");
		}
	}
	textbuf_put(b, "      products=");
	for (i = 0; i < roster_user_product_count(u); i++)
		textbuf_put(b, " [%s]", roster_user_product(u, i));
	textbuf_put(b, "\n");
	/* the login index must still lead to this user */
	email = roster_user_str(u, ROSTER_FIELD_EMAIL);
	rc = email ? roster_user_find_login(&found, dir, email) : -1;
	textbuf_put(b, "      login_index=%s\n",
	    rc == ROSTER_OK && found == id ? "ok" : "BROKEN");
	roster_user_free(u);
}

char *snapshot_take(roster_directory *dir)
{
	static const int kinds[] = { ROSTER_KIND_SITE, ROSTER_KIND_PBX,
				     ROSTER_KIND_GROUP, ROSTER_KIND_USER };
	textbuf b = { NULL, 0, 0 };
	roster_id *partners, *accounts, *ids;
	size_t np, na, n, i, j, k, l;

	textbuf_put(&b, "snapshot\n");
	partners = list_all(dir, 0, ROSTER_KIND_PARTNER, &np);
	for (i = 0; i < np; i++) {
		put_record(&b, dir, partners[i], "");
		accounts = list_all(dir, partners[i], ROSTER_KIND_ACCOUNT, &na);
		for (j = 0; j < na; j++) {
			put_record(&b, dir, accounts[j], "  ");
			for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
				ids = list_all(dir, accounts[j], kinds[k], &n);
				for (l = 0; l < n; l++) {
					if (kinds[k] == ROSTER_KIND_USER)
						put_user(&b, dir, ids[l]);
					else
						put_record(&b, dir, ids[l],
							   "    ");
				}
				free(ids);
			}
		}
		free(accounts);
	}
	free(partners);
	return b.s;
}

void snapshot_assert_equal(const char *a, const char *b, const char *what)
{
	size_t line = 1, i = 0, start = 0;

	if (strcmp(a, b) == 0)
		return;
	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	fail_msg("%s: the directory changed at snapshot line %zu:\n"
		 "  before: %.*s\n  after:  %.*s",
		 what, line, (int)strcspn(a + start, "\n"), a + start,
		 (int)strcspn(b + start, "\n"), b + start);
}
