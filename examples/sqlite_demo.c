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

static roster_directory *open_on(sqlite_store *store)
{
	roster_directory_options o;
	roster_directory *dir = NULL;

	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = sqlite_store_methods();
	o.store = store;
	if (roster_directory_open(&dir, &o))
		fprintf(stderr, "open: %s\n",
			roster_error_message(roster_error_last()));
	return dir;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "roster-demo.db";
	sqlite_store *store = NULL;
	roster_directory *dir;
	roster_actor system, as_partner;
	roster_id partner, account, user;
	roster_form *f = NULL;
	roster_user *u = NULL;

	if (sqlite_store_open(&store, path) || !(dir = open_on(store)))
		return 1;
	roster_actor_init(&system, ROSTER_ACTOR_SYSTEM, 0);
	if (roster_partner_create(&partner, dir, &system, "Reseller & Co") ||
	    roster_actor_init(&as_partner, ROSTER_ACTOR_PARTNER, partner) ||
	    roster_account_create(&account, dir, &as_partner, partner, "Acme") ||
	    roster_form_new(&f, dir) ||
	    roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Ada") ||
	    roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Lovelace") ||
	    roster_form_set_str(f, ROSTER_FIELD_EMAIL, "ada@acme.example") ||
	    roster_user_create(&user, dir, &as_partner, account, f)) {
		fprintf(stderr, "create: %s\n",
			roster_error_message(roster_directory_error(dir)));
		return 1;
	}
	roster_form_free(f);
	roster_directory_free(dir);
	sqlite_store_close(store);
	printf("wrote user %llu to %s; reopening\n", (unsigned long long)user,
	       path);

	if (sqlite_store_open(&store, path) || !(dir = open_on(store)) ||
	    roster_user_get(&u, dir, user))
		return 1;
	printf("read back: %s %s <%s>\n",
	       roster_user_str(u, ROSTER_FIELD_FIRST_NAME),
	       roster_user_str(u, ROSTER_FIELD_LAST_NAME),
	       roster_user_str(u, ROSTER_FIELD_EMAIL));
	roster_user_free(u);
	roster_directory_free(dir);
	sqlite_store_close(store);
	return 0;
}
