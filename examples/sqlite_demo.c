/*
 * sqlite_demo.c: a directory that outlives the process, in a SQLite file.
 *
 *     roster-sqlite-demo [FILE]      (default roster-demo.db)
 *
 * Opens a directory on the file, creates a partner, an account and a user,
 * closes everything, reopens the file and prints the user read back.
 * Give it a new file: on a second run the partner's name is taken.
 */
#include <stdio.h>

#include "sqlite_store.h"

/* Print why a step failed; returns 1, the exit status. */
static int failed(const char *step, const char *why)
{
	fprintf(stderr, "%s: %s\n", step, why);
	return 1;
}

/* Open the store at `path` and a directory on it; prints why on failure. */
static int open_on(sqlite_store **store, roster_directory **dir,
		   const char *path)
{
	roster_directory_options o;

	if (sqlite_store_open(store, path))
		return failed(path, sqlite_store_open_error());
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = sqlite_store_methods();
	o.store = *store;
	if (roster_directory_open(dir, &o))
		return failed("open", roster_error_message(roster_error_last()));
	return 0;
}

/* Fill the form; the setters report through roster_error_last(). */
static int fill(roster_form *f)
{
	if (roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Ada") ||
	    roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Lovelace") ||
	    roster_form_set_str(f, ROSTER_FIELD_EMAIL, "ada@acme.example"))
		return failed("form", roster_error_message(roster_error_last()));
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "roster-demo.db";
	sqlite_store *store = NULL;
	roster_directory *dir = NULL;
	roster_actor system, as_partner;
	roster_id partner, account, user;
	roster_form *f = NULL;
	roster_user *u = NULL;
	int rc = 1;

	if (open_on(&store, &dir, path))
		goto out;
	roster_actor_init(&system, ROSTER_ACTOR_SYSTEM, 0);
	if (roster_partner_create(&partner, dir, &system, "Reseller & Co") ||
	    roster_actor_init(&as_partner, ROSTER_ACTOR_PARTNER, partner) ||
	    roster_account_create(&account, dir, &as_partner, partner, "Acme") ||
	    roster_form_new(&f, dir)) {
		failed("create", roster_error_message(roster_directory_error(dir)));
		goto out;
	}
	if (fill(f))
		goto out;
	if (roster_user_create(&user, dir, &as_partner, account, f)) {
		failed("create", roster_error_message(roster_directory_error(dir)));
		goto out;
	}
	roster_form_free(f);
	f = NULL;
	roster_directory_free(dir);
	dir = NULL;
	sqlite_store_close(store);
	store = NULL;
	printf("wrote user %llu to %s; reopening\n", (unsigned long long)user,
	       path);

	if (open_on(&store, &dir, path))
		goto out;
	if (roster_user_get(&u, dir, user)) {
		failed("read", roster_error_message(roster_directory_error(dir)));
		goto out;
	}
	printf("read back: %s %s <%s>\n",
	       roster_user_str(u, ROSTER_FIELD_FIRST_NAME),
	       roster_user_str(u, ROSTER_FIELD_LAST_NAME),
	       roster_user_str(u, ROSTER_FIELD_EMAIL));
	rc = 0;
out:
	/* every failure comes here: what is open is freed, store last */
	roster_user_free(u);
	roster_form_free(f);
	roster_directory_free(dir);
	sqlite_store_close(store);
	return rc;
}
