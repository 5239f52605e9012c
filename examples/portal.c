/*
 * portal.c: the users page of an admin portal, as one program.
 *
 *     roster-portal [DIR]     (default: a new directory under $TMPDIR,
 *                              removed at the end)
 *
 * Keeps the directory in a file store, DIR/portal.store, and walks
 * through what a portal does with it:
 *
 *  1. the host's side of events: the callback queues each one (it may
 *     not call back into the directory), the host carries out the queue
 *     after each call, then acknowledges it in the store's outbox; on
 *     start, what a crash left unacknowledged is replayed;
 *  2. a CSV upload in best-effort mode, its report told in the admin's
 *     language (French), whatever the directory's;
 *  3. search as you type, a letter at a time, phone numbers as written
 *     in their country, then with a filter by group, a page at a time
 *     with the cursor;
 *  4. the edit form: the fields a user may not change on their own
 *     record, and the licences an admin could give them, with the reasons
 *     of those refused; the form kept with the version it showed, so that
 *     saving it after another admin's change is refused, not overwritten;
 *  5. bulk actions on a selection: a product licence each, refused as a
 *     whole when too few are left, then welcome e-mails again;
 *  6. another worker process of the portal on the same file: it adds a
 *     user, and this one sees it after a refresh (which reads that user
 *     and the account it wrote, not the whole store); an edit made on
 *     what it read before then loses the race, and is made again.
 *
 * Run with DIR twice: the second run finds the directory set up, replays
 * what is left in the outbox (nothing, as each run acknowledges what it
 * did) and lists the users.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <roster.h>

/* ------------------------------------------------------------------ */
/* 1. Events                                                           */

#define QUEUE_MAX 64

/* What the callback queued: the outbox numbers of the events carried
 * out, to acknowledge once the call is over. */
static uint64_t queued[QUEUE_MAX];
static size_t nqueued, dropped;

static void on_event(const roster_event *e, void *data)
{
	int type = roster_event_type_of(e);
	const char *secret = roster_event_secret(e);

	(void)data;
	switch (type) {
	case ROSTER_EVENT_WELCOME_EMAIL:
	case ROSTER_EVENT_PASSWORD_RESET_EMAIL:
		/* a replayed e-mail has lost its token: send a new link */
		printf("    mail to %s: %s, link token %.6s...%s\n",
		       roster_event_email(e),
		       type == ROSTER_EVENT_WELCOME_EMAIL ? "welcome"
							  : "password reset",
		       secret ? secret : "", secret ? "" : "(ask a new one)");
		break;
	case ROSTER_EVENT_PBX_RELOAD:
		printf("    reload PBX %llu\n",
		       (unsigned long long)roster_event_pbx(e));
		break;
	default:
		printf("    %s%s\n", roster_event_type_name(type),
		       roster_event_replayed(e) ? " (replayed)" : "");
	}
	if (nqueued < QUEUE_MAX)
		queued[nqueued++] = roster_event_seq(e);
	else
		dropped++; /* left in the outbox: replayed next time */
}

/* After a call: acknowledge the events carried out, a run of numbers
 * following each other at a time (each acknowledgement scans the
 * outbox once). */
static int acknowledge(roster_directory *dir)
{
	size_t i, j;

	for (i = 0; i < nqueued; i = j) {
		for (j = i + 1; j < nqueued && queued[j] == queued[j - 1] + 1;
		     j++)
			;
		if (roster_outbox_ack(dir, queued[i], queued[j - 1], NULL))
			return -1;
	}
	nqueued = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Failing                                                             */

static roster_directory *dir;

/* Print why the last call failed (the directory's error, or the
 * thread's for calls without a directory) and return 1. */
static int fail(const char *what, int on_dir)
{
	const roster_error *e = on_dir && dir ? roster_directory_error(dir)
					      : roster_error_last();

	fprintf(stderr, "%s: %s (rule %s)\n", what, roster_error_message(e),
		roster_error_rule(e));
	return 1;
}

/* ------------------------------------------------------------------ */
/* Setting up an account on the first run                              */

static roster_actor system_actor, as_partner, as_admin;
static roster_id account, sales;

static int create_admin(roster_id *out)
{
	roster_form *f = NULL;
	int rc = roster_form_new(&f, dir);

	if (!rc)
		rc = roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Ada");
	if (!rc)
		rc = roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Lovelace");
	if (!rc)
		rc = roster_form_set_str(f, ROSTER_FIELD_EMAIL,
					 "ada@acme.example");
	if (!rc)
		rc = roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	if (rc) {
		roster_form_free(f);
		return fail("admin form", 0);
	}
	rc = roster_user_create(out, dir, &as_partner, account, f);
	roster_form_free(f);
	return rc ? fail("admin", 1) : 0;
}

static int set_up(void)
{
	static const char *const licences[] = { "video", "callcentrum-mini",
						"callcentrum-start" };
	roster_id partner, site, support, admin;

	printf("\n1. A partner, its customer's account, a site, two groups and"
	       " the first admin\n");
	if (roster_partner_create(&partner, dir, &system_actor,
				  "Reseller & Co") ||
	    roster_actor_init(&as_partner, ROSTER_ACTOR_PARTNER, partner) ||
	    roster_account_create(&account, dir, &as_partner, partner,
				  "Acme") ||
	    roster_site_create(&site, dir, &as_partner, account, "Praha") ||
	    roster_group_create(&sales, dir, &as_partner, account, "Sales") ||
	    roster_group_create(&support, dir, &as_partner, account,
				"Support") ||
	    roster_account_set_licences(dir, &as_partner, account, NULL,
					licences, 3) ||
	    roster_product_purchase(dir, &as_partner, account, "meetings", 2))
		return fail("set up", 1);
	if (create_admin(&admin))
		return 1;
	roster_actor_init(&as_admin, ROSTER_ACTOR_USER, admin);
	return acknowledge(dir) ? fail("acknowledge", 1) : 0;
}

/* ------------------------------------------------------------------ */
/* 2. A CSV upload                                                     */

static const char upload[] =
	"first_name,last_name,email,group,site,phone\r\n"
	"Marie,Dvořáková,marie@acme.example,Sales,Praha,+420 601 234 567\r\n"
	"Martin,Dvořák,martin@acme.example,Support,,\r\n"
	"Hélène,Martin,helene@acme.example,Sales,Praha,+33 (0)1 44 55 66 77\r\n"
	"Bob,Lee,not-an-address,Sales,,\r\n"		/* refused */
	"Maxime,Dubois,MARIE@acme.example,,,\r\n"	/* taken */
	"Madeleine,Dvořáková,madeleine@acme.example,Sales,Lyon,\r\n"; /* no Lyon */

typedef struct reader {
	const char *s;
	size_t len, at;
} reader;

static long read_upload(void *data, void *buf, size_t len)
{
	reader *r = data;
	size_t n = r->len - r->at < len ? r->len - r->at : len;

	memcpy(buf, r->s + r->at, n);
	r->at += n;
	return (long)n;
}

static int upload_users(void)
{
	roster_import_options o = ROSTER_IMPORT_OPTIONS_INIT;
	roster_import_report *rep = NULL;
	reader r = { upload, sizeof(upload) - 1, 0 };
	char msg[ROSTER_ERROR_MESSAGE_MAX];
	size_t i;
	int rc;

	printf("\n2. The admin uploads a CSV file, best effort\n");
	o.mode = ROSTER_IMPORT_BEST_EFFORT;
	rc = roster_import(&rep, dir, &as_admin, account, ROSTER_FORMAT_CSV,
			   read_upload, &r, &o);
	if (rc && !rep)
		return fail("import", 1);
	printf("  %zu rows, %zu users created; refused, as the admin reads "
	       "it (French):\n",
	       roster_import_rows(rep), roster_import_created(rep));
	for (i = 0; i < roster_import_error_count(rep); i++) {
		if (roster_import_error_message_in(rep, i, ROSTER_LANG_FR, msg,
						   sizeof(msg)))
			break;
		printf("    ligne %lu, colonne %s: %s\n",
		       roster_import_error_line(rep, i),
		       roster_import_error_column(rep, i), msg);
	}
	roster_import_report_free(rep);
	if (rc)
		return fail("import", 1);
	return acknowledge(dir) ? fail("acknowledge", 1) : 0;
}

/* ------------------------------------------------------------------ */
/* 3. Search as you type                                               */

/* One page of `q` after `cursor`: prints "name (id)" for each user and
 * copies the next cursor into `next` ("" on the last page). */
static int show_page(roster_query *q, const char *cursor, size_t limit,
		     char *next, size_t size)
{
	roster_page *p = NULL;
	size_t i;

	if (roster_search(&p, dir, &as_admin, account, q, cursor, limit))
		return fail("search", 1);
	for (i = 0; i < roster_page_count(p); i++) {
		roster_user *u = NULL;

		if (roster_user_get(&u, dir, roster_page_id(p, i))) {
			roster_page_free(p);
			return fail("user", 1);
		}
		printf(" %s %s;", roster_user_str(u, ROSTER_FIELD_FIRST_NAME),
		       roster_user_str(u, ROSTER_FIELD_LAST_NAME));
		roster_user_free(u);
	}
	/* a search cursor carries the last user's names: it may be longer
	 * than the buffer (search.h), and one cut short is refused */
	if (roster_page_next(p) && strlen(roster_page_next(p)) >= size) {
		fprintf(stderr, "search: a cursor of %zu bytes\n",
			strlen(roster_page_next(p)));
		roster_page_free(p);
		return 1;
	}
	snprintf(next, size, "%s",
		 roster_page_next(p) ? roster_page_next(p) : "");
	roster_page_free(p);
	return 0;
}

static int search_as_typed(void)
{
	/* names, then phone numbers as they are written in their country
	 * (+420 601 234 567, +33 1 44 55 66 77) */
	static const char *const typed[] = { "d",	"dv",	   "dvo",
					     "ma",	"ma dv",   "601 234",
					     "01 44 55" };
	roster_query *q = NULL;
	char next[512], cursor[512];
	size_t i, n, page;

	printf("\n3. Search as you type (accents and case ignored, every "
	       "word start)\n");
	if (roster_query_new(&q))
		return fail("query", 0);
	for (i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		if (roster_query_set_text(q, typed[i]) ||
		    roster_search_count(&n, dir, &as_admin, account, q)) {
			roster_query_free(q);
			return fail("search", 1);
		}
		printf("  \"%s\": %zu:", typed[i], n);
		if (show_page(q, NULL, 20, next, sizeof(next))) {
			roster_query_free(q);
			return 1;
		}
		putchar('\n');
	}
	/* "ma" in the Sales group, one a page */
	if (roster_query_set_text(q, "ma") ||
	    roster_query_ref(q, ROSTER_FIELD_GROUP, sales)) {
		roster_query_free(q);
		return fail("query", 0);
	}
	printf("  \"ma\" in Sales, one a page:\n");
	for (page = 1, cursor[0] = '\0'; page == 1 || cursor[0]; page++) {
		printf("    page %zu:", page);
		if (show_page(q, page == 1 ? NULL : cursor, 1, next,
			      sizeof(next))) {
			roster_query_free(q);
			return 1;
		}
		putchar('\n');
		memcpy(cursor, next, sizeof(cursor));
	}
	roster_query_free(q);
	return 0;
}

/* ------------------------------------------------------------------ */
/* 4. The edit form                                                    */

static roster_id find_login(const char *email)
{
	roster_id id = 0;

	if (roster_user_find_login(&id, dir, email))
		fail(email, 1);
	return id;
}

/* The version a form was shown at: ROSTER_ECONFLICT when saved after
 * someone else changed the user, and the page shows the user again. */
static uint64_t shown_version(roster_id user)
{
	roster_user *u = NULL;
	uint64_t v;

	if (roster_user_get(&u, dir, user))
		return fail("user", 1), 0;
	v = roster_user_version(u);
	roster_user_free(u);
	return v;
}

static int save_note(roster_id user, const char *note, uint64_t shown)
{
	roster_form *f = NULL;
	int rc;

	if (roster_form_new(&f, dir))
		return fail("form", 1);
	rc = roster_form_set_str(f, ROSTER_FIELD_NOTE, note);
	if (!rc)
		rc = roster_form_expect_version(f, shown);
	if (!rc)
		rc = roster_user_update(dir, &as_admin, user, f);
	roster_form_free(f);
	return rc;
}

static int stale_form(roster_id marie)
{
	uint64_t shown = shown_version(marie);
	int rc;

	printf("  two admins open her page; the other saves first:\n");
	if (save_note(marie, "desk 4", 0))
		return fail("note", 1);
	rc = save_note(marie, "desk 5", shown);
	if (rc != ROSTER_ECONFLICT)
		return fail("stale save not refused", rc != ROSTER_OK);
	printf("    saving the page shown before: %s\n",
	       roster_error_message(roster_directory_error(dir)));
	if (save_note(marie, "desk 5", shown_version(marie)))
		return fail("note", 1);
	printf("    shown again and saved: done\n");
	return 0;
}

static int edit_form(void)
{
	static const int fields[] = { ROSTER_FIELD_LAST_NAME,
				      ROSTER_FIELD_LANGUAGE,
				      ROSTER_FIELD_EXTENSION,
				      ROSTER_FIELD_GROUP };
	roster_id marie = find_login("marie@acme.example");
	roster_actor as_marie;
	roster_choices *ch = NULL;
	size_t i;

	if (!marie)
		return 1;
	printf("\n4. Marie edits her own record: what is greyed out, and "
	       "why\n");
	roster_actor_init(&as_marie, ROSTER_ACTOR_USER, marie);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		int may = 0;

		if (roster_user_field_access(&may, dir, &as_marie, marie,
					     fields[i]))
			return fail("field access", 1);
		printf("  %-10s %s", roster_field_name(fields[i]),
		       may ? "editable\n" : "greyed out: ");
		if (!may)
			printf("%s\n", roster_error_message(
					       roster_directory_error(dir)));
	}
	printf("  the licences her admin may give her (the first reason "
	       "of a refusal):\n");
	if (roster_user_choices(&ch, dir, &as_admin, account, marie))
		return fail("choices", 1);
	for (i = 0; i < roster_choices_count(ch); i++) {
		if (roster_choices_kind(ch, i) != ROSTER_ITEM_LICENCE)
			continue;
		printf("    %-24s %s\n",
		       roster_choices_name(ch, i, ROSTER_LANG_EN),
		       roster_choices_allowed(ch, i)
			       ? "yes"
			       : roster_choices_reason_message(ch, i, 0,
							       ROSTER_LANG_EN));
	}
	roster_choices_free(ch);
	return stale_form(marie);
}

/* ------------------------------------------------------------------ */
/* 5. Bulk actions                                                     */

static int bulk_actions(void)
{
	roster_id sel[3];
	size_t assigned = 0;
	int rc;

	sel[0] = find_login("marie@acme.example");
	sel[1] = find_login("martin@acme.example");
	sel[2] = find_login("helene@acme.example");
	if (!sel[0] || !sel[1] || !sel[2])
		return 1;
	printf("\n5. Bulk actions on three selected users\n");
	printf("  a Meetings licence each (two bought):\n");
	rc = roster_product_assign(dir, &as_admin, "meetings", sel, 3,
				   &assigned);
	if (rc != ROSTER_EPOLICY)
		return fail("assign", 1);
	printf("    refused as a whole: %s\n",
	       roster_error_message(roster_directory_error(dir)));
	if (roster_product_assign(dir, &as_admin, "meetings", sel, 2,
				  &assigned))
		return fail("assign", 1);
	printf("    to the first two instead: %zu assigned\n", assigned);
	if (acknowledge(dir))
		return fail("acknowledge", 1);
	printf("  the welcome e-mail again:\n");
	if (roster_welcome_send(dir, &as_admin, account, sel, 3))
		return fail("welcome", 1);
	return acknowledge(dir) ? fail("acknowledge", 1) : 0;
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* 6. Two workers on one store                                         */

static int set_note(roster_directory *d, roster_id user, const char *note)
{
	roster_form *f = NULL;
	int rc = roster_form_new(&f, d);

	if (!rc)
		rc = roster_form_set_str(f, ROSTER_FIELD_NOTE, note);
	if (!rc)
		rc = roster_user_update(d, &as_admin, user, f);
	roster_form_free(f);
	return rc;
}

static int other_worker(const char *path)
{
	roster_directory_options o;
	roster_filestore *fs = NULL;
	roster_directory *other = NULL;
	roster_form *f = NULL;
	roster_id nora = 0, marie = find_login("marie@acme.example");
	int rc = 1;

	printf("\n6. Another worker of the portal, on the same file\n");
	/* in its own process it would open the file the same way */
	if (roster_filestore_open(path, 0, &fs))
		return fail(path, 0);
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_filestore_methods();
	o.store = fs;
	o.event_cb = on_event;
	if (roster_directory_open(&other, &o)) {
		fail("open", 0);
		goto out;
	}
	if (roster_form_new(&f, other) ||
	    roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Nora") ||
	    roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Nováková") ||
	    roster_form_set_str(f, ROSTER_FIELD_EMAIL, "nora@acme.example") ||
	    roster_user_create(&nora, other, &as_admin, account, f) ||
	    set_note(other, marie, "moved to Brno") || acknowledge(other)) {
		fprintf(stderr, "other worker: %s\n",
			roster_error_message(roster_directory_error(other)));
		goto out;
	}
	printf("  it added Nora Nováková and changed Marie's note\n");
	/* this worker, answering its next request */
	if (roster_user_find_login(&nora, dir, "nora@acme.example") !=
	    ROSTER_ENOTFOUND) {
		fprintf(stderr, "seen before a refresh\n");
		goto out;
	}
	if (roster_directory_refresh(dir) ||
	    !(nora = find_login("nora@acme.example")))
		goto out;
	printf("  after a refresh this one finds her: user %llu\n",
	       (unsigned long long)nora);
	/* an edit on what a worker read before another's commit */
	if (set_note(other, marie, "back in Praha") || acknowledge(other) ||
	    set_note(dir, marie, "on leave") != ROSTER_ECONFLICT) {
		fprintf(stderr, "the stale edit did not conflict\n");
		goto out;
	}
	printf("  an edit on stale data lost the race: %s\n",
	       roster_error_message(roster_directory_error(dir)));
	/* the loser refreshed itself: look again, and make it again */
	if (set_note(dir, marie, "on leave") || acknowledge(dir)) {
		fail("edit again", 1);
		goto out;
	}
	printf("  made again after the directory refreshed itself\n");
	rc = 0;
out:
	roster_form_free(f);
	roster_directory_free(other);
	roster_filestore_free(fs);
	return rc;
}

/* The users of the account, by name: what a second run finds. */
static int list_users(void)
{
	roster_query *q = NULL;
	char next[512];
	int rc;

	if (roster_query_new(&q))
		return fail("query", 0);
	printf("  users:");
	rc = show_page(q, NULL, 100, next, sizeof(next));
	putchar('\n');
	roster_query_free(q);
	return rc;
}

/* The first record of `kind` under `parent`, 0 if none. */
static roster_id first_of(roster_id parent, int kind)
{
	roster_page *p = NULL;
	roster_id id = 0;

	if (roster_list(&p, dir, parent, kind, NULL, 1) == ROSTER_OK &&
	    roster_page_count(p))
		id = roster_page_id(p, 0);
	roster_page_free(p);
	return id;
}

int main(int argc, char **argv)
{
	char tmp[4096], path[4200];
	const char *where = argc > 1 ? argv[1] : NULL;
	roster_directory_options o;
	roster_filestore *fs = NULL;
	size_t replayed = 0;
	roster_id partner;
	int rc = 1;

	if (!where) {
		const char *t = getenv("TMPDIR");

		/* mkdtemp(3) replaces the six X with a unique name */
		snprintf(tmp, sizeof(tmp), "%s/roster-portal.XXXXXX",
			 t && *t ? t : "/tmp");
		if (!mkdtemp(tmp)) {
			perror(tmp);
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/portal.store", where ? where : tmp);
	if (roster_filestore_open(path, 0, &fs)) {
		fail(path, 0);
		goto out;
	}
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_filestore_methods();
	o.store = fs;
	o.event_cb = on_event;
	if (roster_directory_open(&dir, &o)) {
		fail("open", 0);
		goto out;
	}
	printf("roster %s, directory in %s\n", roster_version_string(), path);
	roster_actor_init(&system_actor, ROSTER_ACTOR_SYSTEM, 0);
	/* what a crash left undone */
	if (roster_outbox_replay(dir, 0, &replayed) || acknowledge(dir)) {
		fail("replay", 1);
		goto out;
	}
	printf("%zu events left in the outbox replayed\n", replayed);
	if ((partner = first_of(0, ROSTER_KIND_PARTNER))) {
		/* set up by an earlier run: the provider looks */
		account = first_of(partner, ROSTER_KIND_ACCOUNT);
		as_admin = system_actor;
		rc = list_users();
		goto out;
	}
	if (set_up() || upload_users() || search_as_typed() || edit_form() ||
	    bulk_actions() || other_worker(path))
		goto out;
	rc = 0;
out:
	roster_directory_free(dir);
	roster_filestore_free(fs);
	if (!where) {
		/* the store and the lock file beside it */
		unlink(path);
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
			 ".lock");
		unlink(path);
		if (rmdir(tmp))
			perror(tmp);
	}
	if (!rc && dropped)
		printf("%zu events left in the outbox\n", dropped);
	return rc;
}
