/*
 * store.h: what the storage fuzz targets (filestore.c, records.c) share.
 *
 * fuzz_store_run opens a directory on a store the target filled from its
 * input. A store refused must be refused with a code open may return
 * and an error naming a rule. A store accepted is read through the
 * public API: every record and user of every listing, the counts of
 * stations and product licences, searches (every user of an account
 * page by page, a user by its own first name, the property filters),
 * billing, choices, both exports, the outbox; then a second directory
 * opened on the same store must see the same, and a few writes are made
 * (a partner, a site, a user's note, a deletion, an acknowledgement of
 * the outbox). Beside crashes and sanitizer reports, the target aborts
 * when what it read contradicts the store's own rules (a member or admin
 * count that is not its users', a search that misses a user or counts
 * otherwise than the listing, a login index that does not lead back to
 * its user), when a refused write changed the directory or the store,
 * and when a write that succeeded left a store that a directory opened
 * afresh refuses or sees otherwise.
 */
#ifndef ROSTER_FUZZ_STORE_H
#define ROSTER_FUZZ_STORE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roster.h"
#include "records.h"
#include "../support/listing.h"
#include "../support/textbuf.h"

/* Listings page through this many ids at a time, to use cursors too. */
#define FUZZ_PAGE 3

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* ------------------------------------------------------------------ */
/* Dumps of what a directory shows (textbuf.h)                         */

static const char *fuzz_or(const char *s)
{
	return s ? s : "-";
}

/* A failed call on `dir`: its error is recorded, with a rule and a
 * message. */
static void fuzz_refused(roster_directory *dir, int rc)
{
	const roster_error *e = roster_directory_error(dir);

	fuzz_check(rc < 0 && rc >= ROSTER_ERROR_CODE_MIN);
	fuzz_check(roster_error_code(e) == rc);
	fuzz_check(roster_error_rule(e)[0] != '\0');
	fuzz_check(roster_error_message(e)[0] != '\0');
}

/* ------------------------------------------------------------------ */
/* Reading everything                                                  */

static const roster_actor fuzz_sys = { ROSTER_ACTOR_SYSTEM, 0, 0 };

/* Every id of one listing, through as many pages as it takes. */
static roster_id *fuzz_list(roster_directory *dir, roster_id parent, int kind,
			    size_t *count)
{
	const char *why = NULL;
	roster_id *ids = listing_all(dir, parent, kind, FUZZ_PAGE, count, &why);

	fuzz_check(ids != NULL);
	return ids;
}

/* The stations of a site per pack, the product licences of an account
 * per product, for every item of the catalog: never more in use than
 * purchased. */
static void fuzz_counts(textbuf *b, roster_directory *dir, roster_id id,
			int kind)
{
	int item = kind == ROSTER_KIND_SITE ? ROSTER_ITEM_PACK
					    : ROSTER_ITEM_PRODUCT;
	roster_catalog *cat = roster_directory_catalog(dir);
	size_t i;

	fuzz_check(cat != NULL);
	for (i = 0; i < roster_catalog_count(cat, item); i++) {
		const char *it = roster_catalog_item(cat, item, i);
		size_t have = 0, used = 0;
		int rc = item == ROSTER_ITEM_PACK
				 ? roster_station_counts(dir, &fuzz_sys, id, it,
							 &have, &used)
				 : roster_product_counts(dir, &fuzz_sys, id, it,
							 &have, &used);
		fuzz_check(rc == ROSTER_OK);
		fuzz_check(used <= have);
		if (have)
			textbuf_put(b, "    %s: %zu of %zu\n", it, used, have);
	}
	roster_catalog_free(cat);
}

static roster_record *fuzz_record(textbuf *b, roster_directory *dir,
				  roster_id id, roster_id parent, int kind)
{
	roster_record *r = NULL;
	size_t i;

	fuzz_check(roster_record_get(&r, dir, id) == ROSTER_OK);
	fuzz_check(roster_record_id(r) == id);
	fuzz_check(roster_record_kind(r) == kind);
	fuzz_check(roster_record_parent(r) == parent);
	fuzz_check(roster_record_name(r) && roster_record_name(r)[0]);
	fuzz_check(kind == ROSTER_KIND_PBX ||
		   roster_record_min_digits(r) == 0);
	fuzz_check(kind != ROSTER_KIND_PBX ||
		   (roster_record_min_digits(r) >= ROSTER_EXTENSION_DIGITS_MIN &&
		    roster_record_min_digits(r) <= roster_record_max_digits(r) &&
		    roster_record_max_digits(r) <= ROSTER_EXTENSION_DIGITS_MAX));
	textbuf_put(b, "record %llu kind=%d parent=%llu name=[%s] helpdesk=%d "
		    "digits=%u..%u members=%zu admins=%zu edition=[%s]",
		 (unsigned long long)id, kind, (unsigned long long)parent,
		 roster_record_name(r), roster_record_helpdesk(r),
		 roster_record_min_digits(r), roster_record_max_digits(r),
		 roster_record_members(r), roster_record_admins(r),
		 fuzz_or(roster_record_edition(r)));
	for (i = 0; i < roster_record_licence_count(r); i++)
		textbuf_put(b, " [%s]", roster_record_licence(r, i));
	fuzz_check(roster_record_licence(r, i) == NULL);
	textbuf_put(b, "\n");
	if (kind == ROSTER_KIND_SITE || kind == ROSTER_KIND_ACCOUNT)
		fuzz_counts(b, dir, id, kind);
	return r;
}

/* What the users of an account hold, counted from the users themselves
 * to check the counts the directory keeps. */
typedef struct fuzz_tally {
	size_t users, admins, pbx_users, registered, cloud, iot;
	roster_id first_user;
	char first_name[128];
} fuzz_tally;

static void fuzz_user(textbuf *b, roster_directory *dir, roster_id id,
		      roster_id account, fuzz_tally *t)
{
	roster_user *u = NULL;
	roster_id found = 0;
	const char *email;
	size_t i;
	int f;

	fuzz_check(roster_user_get(&u, dir, id) == ROSTER_OK);
	fuzz_check(roster_user_id(u) == id);
	fuzz_check(roster_user_account(u) == account);
	textbuf_put(b, "  user %llu password=%d\n", (unsigned long long)id,
		 roster_user_has_password(u));
	for (f = 1; f < ROSTER_FIELD_END; f++) {
		switch (roster_field_type(f)) {
		case ROSTER_TYPE_STRING:
			if (roster_user_str(u, f))
				textbuf_put(b, "    %s=[%s]\n", roster_field_name(f),
					 roster_user_str(u, f));
			break;
		case ROSTER_TYPE_BOOL:
			if (roster_user_bool(u, f))
				textbuf_put(b, "    %s\n", roster_field_name(f));
			break;
		case ROSTER_TYPE_REF:
			if (roster_user_ref(u, f))
				textbuf_put(b, "    %s=%llu\n", roster_field_name(f),
					 (unsigned long long)roster_user_ref(u, f));
			break;
		default:
			for (i = 0; i < roster_user_line_count(u); i++)
				textbuf_put(b, "    line [%s]\n",
					 roster_user_line(u, i));
			fuzz_check(roster_user_line(u, i) == NULL);
		}
	}
	for (i = 0; i < roster_user_product_count(u); i++)
		textbuf_put(b, "    product [%s]\n", roster_user_product(u, i));
	fuzz_check(roster_user_product(u, i) == NULL);
	/* the login index leads back to this user */
	email = roster_user_str(u, ROSTER_FIELD_EMAIL);
	fuzz_check(email && roster_user_str(u, ROSTER_FIELD_FIRST_NAME) &&
		   roster_user_str(u, ROSTER_FIELD_LAST_NAME));
	fuzz_check(roster_user_find_login(&found, dir, email) == ROSTER_OK &&
		   found == id);
	t->users++;
	t->admins += roster_user_bool(u, ROSTER_FIELD_ADMIN) != 0;
	t->pbx_users += roster_user_ref(u, ROSTER_FIELD_PBX) != 0;
	t->registered += roster_user_bool(u, ROSTER_FIELD_REGISTERED) != 0;
	t->cloud += roster_user_bool(u, ROSTER_FIELD_CLOUD) != 0;
	t->iot += roster_user_bool(u, ROSTER_FIELD_IOT) != 0;
	if (!t->first_user) {
		t->first_user = id;
		snprintf(t->first_name, sizeof(t->first_name), "%s",
			 roster_user_str(u, ROSTER_FIELD_FIRST_NAME));
	}
	roster_user_free(u);
}

/* The number of users that search finds in `account` with `query`,
 * page by page; each at most once, and as many as the count says. */
static size_t fuzz_search(roster_directory *dir, roster_id account,
			  const roster_query *q, roster_id want, int *found)
{
	char cursor[128];
	const char *next = NULL;
	size_t n = 0, counted = 0, i;
	roster_id prev = 0;
	int first = 1;

	while (first || next) {
		roster_page *p = NULL;

		fuzz_check(roster_search(&p, dir, &fuzz_sys, account, q,
					 first ? NULL : cursor,
					 FUZZ_PAGE) == ROSTER_OK);
		first = 0;
		for (i = 0; i < roster_page_count(p); i++) {
			roster_id id = roster_page_id(p, i);
			fuzz_check(id != prev);
			prev = id;
			if (id == want)
				*found = 1;
			n++;
		}
		next = roster_page_next(p);
		if (next) {
			fuzz_check(strlen(next) < sizeof(cursor));
			strcpy(cursor, next);
		}
		roster_page_free(p);
	}
	fuzz_check(roster_search_count(&counted, dir, &fuzz_sys, account, q) ==
		   ROSTER_OK);
	fuzz_check(counted == n);
	return n;
}

static size_t fuzz_filtered(roster_directory *dir, roster_id account,
			    int filter)
{
	roster_query *q = NULL;
	size_t n = 0;

	fuzz_check(roster_query_new(&q) == ROSTER_OK);
	fuzz_check(roster_query_filter(q, filter) == ROSTER_OK);
	fuzz_check(roster_search_count(&n, dir, &fuzz_sys, account, q) ==
		   ROSTER_OK);
	roster_query_free(q);
	return n;
}

static int fuzz_sink(void *data, const void *buf, size_t len)
{
	size_t *n = data;

	(void)buf;
	*n += len;
	return 0;
}

/* The searches, billing, choices and exports of one account, checked
 * against what its users hold. */
static void fuzz_account_reads(roster_directory *dir, roster_id account,
			       const fuzz_tally *t)
{
	roster_query *q = NULL;
	roster_billing *bill = NULL;
	roster_choices *ch = NULL;
	size_t out = 0;
	int found = 0;

	fuzz_check(roster_query_new(&q) == ROSTER_OK);
	fuzz_check(fuzz_search(dir, account, q, 0, &found) == t->users);
	/* a user is found by its own first name */
	if (t->first_user &&
	    roster_query_set_text(q, t->first_name) == ROSTER_OK) {
		found = 0;
		fuzz_search(dir, account, q, t->first_user, &found);
		fuzz_check(found);
	}
	roster_query_free(q);
	fuzz_check(fuzz_filtered(dir, account, ROSTER_FILTER_ADMINS) ==
		   t->admins);
	fuzz_check(fuzz_filtered(dir, account, ROSTER_FILTER_PBX_USERS) ==
		   t->pbx_users);
	fuzz_check(fuzz_filtered(dir, account, ROSTER_FILTER_REGISTERED) ==
		   t->registered);
	fuzz_check(fuzz_filtered(dir, account, ROSTER_FILTER_UNREGISTERED) ==
		   t->users - t->registered);
	fuzz_check(fuzz_filtered(dir, account, ROSTER_FILTER_CLOUD) ==
		   t->cloud);
	fuzz_check(fuzz_filtered(dir, account, ROSTER_FILTER_IOT) == t->iot);

	fuzz_check(roster_billing_summary(&bill, dir, &fuzz_sys, account) ==
		   ROSTER_OK);
	fuzz_check(roster_billing_users(bill) + roster_billing_excluded(bill) ==
		   t->users);
	roster_billing_free(bill);
	fuzz_check(roster_user_choices(&ch, dir, &fuzz_sys, account,
				       t->first_user) == ROSTER_OK);
	fuzz_check(roster_choices_count(ch) > 0);
	roster_choices_free(ch);
	fuzz_check(roster_export(dir, &fuzz_sys, account, ROSTER_FORMAT_CSV,
				 fuzz_sink, &out) == ROSTER_OK);
	fuzz_check(roster_export(dir, &fuzz_sys, account, ROSTER_FORMAT_XML,
				 fuzz_sink, &out) == ROSTER_OK);
}

/*
 * Everything a host can read of the directory, as text, checked on the
 * way (see the top of this file); with `deep`, the searches, billing,
 * choices and exports of each account too. *first_user gets the first
 * user listed, *first_account the first account (0: none).
 */
static char *fuzz_walk(roster_directory *dir, int deep, roster_id *first_user,
		       roster_id *first_account)
{
	static const int kinds[] = { ROSTER_KIND_SITE, ROSTER_KIND_PBX,
				     ROSTER_KIND_GROUP };
	textbuf b = { NULL, 0, 0 };
	roster_id *partners, *accounts, *units, *users;
	size_t np, na, nu, nusers, i, j, k, l, all = 0, counted = 0;
	roster_query *q = NULL;

	if (first_user)
		*first_user = 0;
	if (first_account)
		*first_account = 0;
	textbuf_put(&b, "directory\n");
	partners = fuzz_list(dir, 0, ROSTER_KIND_PARTNER, &np);
	for (i = 0; i < np; i++) {
		roster_record *p = fuzz_record(&b, dir, partners[i], 0,
					       ROSTER_KIND_PARTNER);

		accounts = fuzz_list(dir, partners[i], ROSTER_KIND_ACCOUNT, &na);
		fuzz_check(roster_record_members(p) == na);
		roster_record_free(p);
		for (j = 0; j < na; j++) {
			fuzz_tally t;
			roster_record *a = fuzz_record(&b, dir, accounts[j],
						       partners[i],
						       ROSTER_KIND_ACCOUNT);

			memset(&t, 0, sizeof(t));
			if (first_account && !*first_account)
				*first_account = accounts[j];
			users = fuzz_list(dir, accounts[j], ROSTER_KIND_USER,
					  &nusers);
			for (l = 0; l < nusers; l++)
				fuzz_user(&b, dir, users[l], accounts[j], &t);
			fuzz_check(roster_record_members(a) == nusers);
			fuzz_check(roster_record_admins(a) == t.admins);
			roster_record_free(a);
			for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
				static const int field[] = {
					ROSTER_FIELD_SITE, ROSTER_FIELD_PBX,
					ROSTER_FIELD_GROUP
				};
				units = fuzz_list(dir, accounts[j], kinds[k], &nu);
				for (l = 0; l < nu; l++) {
					roster_record *r = fuzz_record(
						&b, dir, units[l], accounts[j],
						kinds[k]);
					size_t m, members = 0;
					/* its members are the users naming it */
					for (m = 0; m < nusers; m++) {
						roster_user *u = NULL;
						fuzz_check(roster_user_get(
								   &u, dir, users[m]) ==
							   ROSTER_OK);
						members += roster_user_ref(u, field[k]) ==
							   units[l];
						roster_user_free(u);
					}
					fuzz_check(roster_record_members(r) ==
						   members);
					roster_record_free(r);
				}
				free(units);
			}
			if (first_user && !*first_user && nusers)
				*first_user = users[0];
			if (deep)
				fuzz_account_reads(dir, accounts[j], &t);
			all += nusers;
			free(users);
		}
		free(accounts);
	}
	free(partners);
	fuzz_check(roster_query_new(&q) == ROSTER_OK);
	fuzz_check(roster_search_count(&counted, dir, &fuzz_sys, 0, q) ==
		   ROSTER_OK);
	fuzz_check(counted == all);
	roster_query_free(q);
	return b.s;
}

/* The store's raw rows (key, version, value bytes) in scan order, which
 * a refused write must leave as they were. */
static int fuzz_raw_row(const char *key, const void *value, size_t len,
			uint64_t version, void *data)
{
	textbuf *b = data;
	const unsigned char *v = value;
	size_t i;

	textbuf_put(b, "%s %llu %zu:", key, (unsigned long long)version, len);
	for (i = 0; i < len; i++)
		textbuf_put(b, "%02x", v[i]);
	textbuf_put(b, "\n");
	return 0;
}

static char *fuzz_raw(const roster_storage *st, void *store)
{
	textbuf b = { NULL, 0, 0 };

	textbuf_put(&b, "store\n");
	fuzz_check(st->scan(store, "", fuzz_raw_row, &b) == 0);
	return b.s;
}

/* ------------------------------------------------------------------ */
/* The run                                                             */

static size_t fuzz_events;

static void fuzz_event(const roster_event *e, void *data)
{
	(void)data;
	fuzz_check(roster_event_type_name(roster_event_type_of(e)) != NULL);
	(void)roster_event_email(e);
	fuzz_events++;
}

static int64_t fuzz_clock(void *data)
{
	(void)data;
	return FUZZ_NOW;
}

static roster_directory_options fuzz_options(const roster_storage *st,
					     void *store)
{
	roster_directory_options o;

	fuzz_check(roster_directory_options_init(
			   &o, ROSTER_DIRECTORY_OPTIONS_VERSION) == ROSTER_OK);
	o.storage = st;
	o.store = store;
	o.event_cb = fuzz_event;
	o.clock_fn = fuzz_clock;
	return o;
}

/* A directory on the store that must open, as `dir` sees the store. */
static roster_directory *fuzz_reopen(const roster_storage *st, void *store,
				     const char *want)
{
	roster_directory_options o = fuzz_options(st, store);
	roster_directory *d = NULL;
	char *got;

	fuzz_check(roster_directory_open(&d, &o) == ROSTER_OK);
	got = fuzz_walk(d, 0, NULL, NULL);
	fuzz_check(strcmp(got, want) == 0);
	free(got);
	return d;
}

/*
 * One write, `rc` its result: refused, it changed neither the directory
 * nor the store; done, the other directory `other` sees the same after a
 * refresh. *state is the directory's text, updated.
 */
static void fuzz_wrote(roster_directory *dir, roster_directory *other,
		       const roster_storage *st, void *store, int rc,
		       char **state, char **raw)
{
	char *now = fuzz_walk(dir, 0, NULL, NULL), *now_raw;

	now_raw = fuzz_raw(st, store);
	if (rc != ROSTER_OK) {
		fuzz_refused(dir, rc);
		fuzz_check(strcmp(now, *state) == 0);
		fuzz_check(strcmp(now_raw, *raw) == 0);
		free(now);
		free(now_raw);
		return;
	}
	free(*state);
	free(*raw);
	*state = now;
	*raw = now_raw;
	fuzz_check(roster_directory_refresh(other) == ROSTER_OK);
	now = fuzz_walk(other, 0, NULL, NULL);
	fuzz_check(strcmp(now, *state) == 0);
	free(now);
}

static void fuzz_writes(roster_directory *dir, roster_directory *other,
			const roster_storage *st, void *store, char **state,
			roster_id user, roster_id account)
{
	char *raw = fuzz_raw(st, store);
	roster_form *f = NULL;
	roster_id id;
	size_t n;
	int rc;

	rc = roster_partner_create(&id, dir, &fuzz_sys, "Fuzz partner");
	fuzz_wrote(dir, other, st, store, rc, state, &raw);
	if (account) {
		rc = roster_site_create(&id, dir, &fuzz_sys, account,
					"Fuzz site");
		fuzz_wrote(dir, other, st, store, rc, state, &raw);
	}
	if (user) {
		/* a user read from the store, written back */
		fuzz_check(roster_form_new(&f, dir) == ROSTER_OK);
		fuzz_check(roster_form_set_str(f, ROSTER_FIELD_NOTE,
					       "fuzz note") == ROSTER_OK);
		rc = roster_user_update(dir, &fuzz_sys, user, f);
		roster_form_free(f);
		fuzz_wrote(dir, other, st, store, rc, state, &raw);
		rc = roster_user_delete(dir, &fuzz_sys, user);
		fuzz_wrote(dir, other, st, store, rc, state, &raw);
	}
	rc = roster_outbox_ack(dir, 1, UINT64_MAX - 1, &n);
	fuzz_wrote(dir, other, st, store, rc, state, &raw);
	free(raw);
}

/* The secrets of a user read from the store, checked with a wrong
 * password and wrong tokens: refused, whatever the stored hashes. */
static void fuzz_secrets(roster_directory *dir, roster_id user)
{
	roster_user *u = NULL;
	roster_id who = 0;
	char token[128];
	int rc;

	fuzz_check(roster_user_get(&u, dir, user) == ROSTER_OK);
	rc = roster_login(&who, dir, roster_user_str(u, ROSTER_FIELD_EMAIL),
			  "not the password");
	roster_user_free(u);
	fuzz_check(rc != ROSTER_OK);
	fuzz_refused(dir, rc);
	/* a secret of the right length, which no token has */
	snprintf(token, sizeof(token), "%llu.%.44s", (unsigned long long)user,
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	rc = roster_token_redeem(&who, dir, token, "a new long password");
	fuzz_check(rc != ROSTER_OK);
	fuzz_refused(dir, rc);
}

/*
 * Open a directory on `store` and, when it opens, read it all, open a
 * second one on `store2` (the same store, through the same handle or
 * another), and with FUZZ_WRITE write and check (see the top).
 */
static void fuzz_store_run(const roster_storage *st, void *store,
			   void *store2, unsigned what)
{
	roster_directory_options o = fuzz_options(st, store);
	roster_directory *dir = NULL, *other;
	roster_id user, account;
	size_t replayed = 0;
	char *state, *again;
	int rc;

	fuzz_events = 0;
	rc = roster_directory_open(&dir, &o);
	if (rc != ROSTER_OK) {
		const roster_error *e = roster_error_last();

		fuzz_check(dir == NULL);
		fuzz_check(rc == ROSTER_EPARSE || rc == ROSTER_ESTORAGE ||
			   rc == ROSTER_ENOMEM);
		fuzz_check(roster_error_code(e) == rc);
		fuzz_check(roster_error_rule(e)[0] != '\0');
		fuzz_check(roster_error_message(e)[0] != '\0');
		return;
	}
	state = fuzz_walk(dir, 1, &user, &account);
	/* the outbox: malformed events are refused when replayed */
	rc = roster_outbox_replay(dir, 0, &replayed);
	if (rc != ROSTER_OK) {
		fuzz_check(rc == ROSTER_EPARSE);
		fuzz_refused(dir, rc);
	} else {
		fuzz_check(replayed == fuzz_events);
	}
	if (user && (what & FUZZ_SECRETS))
		fuzz_secrets(dir, user);
	/* reads change nothing, and a second directory sees the same */
	again = fuzz_walk(dir, 0, NULL, NULL);
	fuzz_check(strcmp(again, state) == 0);
	free(again);
	other = fuzz_reopen(st, store2, state);
	if (what & FUZZ_WRITE)
		fuzz_writes(dir, other, st, store, &state, user, account);
	roster_directory_free(other);
	/* and so does one opened afresh */
	roster_directory_free(fuzz_reopen(st, store2, state));
	free(state);
	roster_directory_free(dir);
}

#endif
