/*
 * demo.c: a scripted tour of roster.
 *
 * A provider creates a partner; the partner creates a customer account
 * with a PBX and its first admin; the admin creates users. Along the way
 * the rules refuse some changes, each with its reason in English and in
 * French, and the host prints every event it would act on: the welcome
 * e-mails to send and the PBX reloads to run.
 */
#include <stdio.h>
#include <string.h>

#include <roster.h>

static void on_event(const roster_event *e, void *data)
{
	const char *email = roster_event_email(e);

	(void)data;
	printf("  event #%llu %-22s", (unsigned long long)roster_event_seq(e),
	       roster_event_type_name(roster_event_type_of(e)));
	if (roster_event_type_of(e) == ROSTER_EVENT_PARTNER_CREATED)
		printf(" partner=%llu",
		       (unsigned long long)roster_event_partner(e));
	if (roster_event_account(e) && !roster_event_user(e))
		printf(" account=%llu",
		       (unsigned long long)roster_event_account(e));
	if (roster_event_user(e))
		printf(" user=%llu", (unsigned long long)roster_event_user(e));
	if (roster_event_pbx(e))
		printf(" pbx=%llu", (unsigned long long)roster_event_pbx(e));
	if (email)
		printf(" to=%s", email);
	if (roster_event_secret(e))
		printf(" (link token received, %zu chars)",
		       strlen(roster_event_secret(e)));
	putchar('\n');
}

/* Print why the last call on `dir` failed, in English and in French:
 * one refusal, told in each language the portal's users read. */
static void explain(roster_directory *dir, int rc)
{
	const roster_error *e = roster_directory_error(dir);
	char fr[ROSTER_ERROR_MESSAGE_MAX];

	printf("  refused: %s (code %d, rule %s", roster_strerror(rc), rc,
	       roster_error_rule(e));
	if (*roster_error_field(e))
		printf(", field %s", roster_error_field(e));
	printf(")\n    en: %s\n", roster_error_message(e));
	if (roster_error_message_in(e, ROSTER_LANG_FR, fr, sizeof(fr)) ==
	    ROSTER_OK)
		printf("    fr: %s\n", fr);
}

static roster_id account, admin, pbx;
static roster_actor as_admin;
/* Set when a form setter failed: they report through the thread's error,
 * not the directory's. */
static const roster_error *form_error;

/* The detail of the last failure on `dir`. */
static const roster_error *last_error(roster_directory *dir)
{
	return form_error ? form_error : roster_directory_error(dir);
}

static int create_user(roster_directory *dir, const roster_actor *actor,
		       const char *first, const char *last, const char *email,
		       const char *extension, int make_admin, roster_id *out)
{
	roster_form *f = NULL;
	int rc;

	form_error = NULL;
	if ((rc = roster_form_new(&f, dir)))
		return rc;
	if ((rc = roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, first)) ||
	    (rc = roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, last)) ||
	    (rc = roster_form_set_str(f, ROSTER_FIELD_EMAIL, email)) ||
	    (rc = roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "fr-FR")) ||
	    (extension &&
	     ((rc = roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx)) ||
	      (rc = roster_form_set_str(f, ROSTER_FIELD_EXTENSION,
					extension)))) ||
	    (make_admin &&
	     (rc = roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1)))) {
		form_error = roster_error_last();
		roster_form_free(f);
		return rc;
	}
	rc = roster_user_create(out, dir, actor, account, f);
	roster_form_free(f);
	return rc;
}

static int delete_admin(roster_directory *dir)
{
	return roster_user_delete(dir, &as_admin, admin);
}

static int duplicate_login(roster_directory *dir)
{
	roster_id id;

	return create_user(dir, &as_admin, "Jean", "Dupont",
			   "MARIE.DVORAK@acme.example", NULL, 0, &id);
}

static int taken_extension(roster_directory *dir)
{
	roster_id id;

	return create_user(dir, &as_admin, "Zakaria", "Benali",
			   "zakaria@acme.example", "201", 0, &id);
}

int main(void)
{
	roster_directory_options opts;
	roster_directory *dir = NULL;
	roster_actor system, as_partner;
	roster_id partner, marie, id;
	int rc;

	roster_directory_options_init(&opts, ROSTER_DIRECTORY_OPTIONS_VERSION);
	opts.event_cb = on_event;
	if (roster_directory_open(&dir, &opts) != ROSTER_OK) {
		fprintf(stderr, "open: %s\n",
			roster_error_message(roster_error_last()));
		return 1;
	}
	printf("roster %s\n\n", roster_version_string());
	roster_actor_init(&system, ROSTER_ACTOR_SYSTEM, 0);

	printf("1. The provider creates a partner; the partner a customer account with a PBX\n");
	if (roster_partner_create(&partner, dir, &system, "Reseller & Co") ||
	    roster_actor_init(&as_partner, ROSTER_ACTOR_PARTNER, partner) ||
	    roster_account_create(&account, dir, &as_partner, partner, "Acme") ||
	    roster_pbx_create(&pbx, dir, &as_partner, account, "Acme PBX", 3, 4))
		goto fail;

	printf("\n2. The partner creates the account's first admin\n");
	if (create_user(dir, &as_partner, "Ada", "Lovelace", "ada@acme.example",
			"200", 1, &admin))
		goto fail;
	roster_actor_init(&as_admin, ROSTER_ACTOR_USER, admin);

	printf("\n3. The admin creates users (names are normalised, logins unique)\n");
	if (create_user(dir, &as_admin, "  Marie ", "Dvořáková",
			"Marie.Dvorak@acme.example", "201", 0, &marie) ||
	    create_user(dir, &as_admin, "Tomáš", "Novák", "tomas@acme.example",
			NULL, 0, &id))
		goto fail;

	printf("\n4. Refusals, each with its reason\n");
	printf("- the admin deletes itself:\n");
	if ((rc = delete_admin(dir)) != ROSTER_EPOLICY)
		goto fail;
	explain(dir, rc);
	printf("- a second user with the same login, in other case:\n");
	if ((rc = duplicate_login(dir)) != ROSTER_EEXISTS)
		goto fail;
	explain(dir, rc);
	printf("- extension 201 is already taken on the PBX:\n");
	if ((rc = taken_extension(dir)) != ROSTER_EEXISTS)
		goto fail;
	explain(dir, rc);

	printf("\n5. Marie may edit her phone language but not her extension (001, 002)\n");
	{
		roster_actor as_marie;
		int lang = 0, ext = 0;

		roster_actor_init(&as_marie, ROSTER_ACTOR_USER, marie);
		if (roster_user_field_access(&lang, dir, &as_marie, marie,
					     ROSTER_FIELD_LANGUAGE) ||
		    roster_user_field_access(&ext, dir, &as_marie, marie,
					     ROSTER_FIELD_EXTENSION))
			goto fail;
		printf("  language: %s, extension: %s (%s)\n",
		       lang ? "editable" : "greyed out",
		       ext ? "editable" : "greyed out",
		       roster_error_message(roster_directory_error(dir)));
	}

	printf("\n6. The admin asks password reset e-mails for every user\n");
	if (roster_password_reset(dir, &as_admin, account, NULL, 0))
		goto fail;

	roster_directory_free(dir);
	printf("\ndone\n");
	return 0;
fail:
	fprintf(stderr, "unexpected failure: %s\n",
		roster_error_message(last_error(dir)));
	roster_directory_free(dir);
	return 1;
}
