/*
 * bulk.h: what the import fuzz targets (csv.c, xml.c) share.
 *
 * One directory is built on the first input: an account with a site, a
 * PBX and a group named as the seeds name them, and two "meetings"
 * product licences. Each input is imported
 * into it as a dry run, in all-or-nothing or best-effort mode by its
 * first byte's parity (its second bit takes national numbers as French
 * ones). Beside crashes and sanitizer reports, the target
 * aborts when the outcome contradicts the contract: a code the import may
 * not return, a report that disagrees with the code, a refusal without a
 * line, rule or message, a message that is not UTF-8 in some language,
 * a file's fault (import.csv, import.xml) not said in French, or a
 * directory changed by a dry run.
 */
#ifndef ROSTER_FUZZ_BULK_H
#define ROSTER_FUZZ_BULK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roster.h"
#include "utf8.h"

typedef struct fuzz_src {
	const uint8_t *data;
	size_t size, pos;
} fuzz_src;

static void fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* Refusal i of r: its message valid UTF-8 in every language, and a
 * fault of the file said in French, its English words not kept. */
static void fuzz_messages(const roster_import_report *r, size_t i)
{
	char buf[ROSTER_ERROR_MESSAGE_MAX];
	const char *rule = roster_import_error_rule(r, i);
	const char *value = roster_import_error_value(r, i);
	int l;

	for (l = 0; l < ROSTER_LANG_COUNT; l++) {
		fuzz_check(roster_import_error_message_in(
				   r, i, (roster_language)l, buf,
				   sizeof(buf)) == ROSTER_OK);
		fuzz_check(fuzz_utf8(buf));
		if (l == ROSTER_LANG_FR && value && value[0] &&
		    (!strcmp(rule, "import.csv") || !strcmp(rule, "import.xml")))
			fuzz_check(strstr(buf, value) == NULL);
	}
}

static long fuzz_read(void *d, void *buf, size_t len)
{
	fuzz_src *s = d;
	size_t n = s->size - s->pos;

	/* uneven pieces, so that tokens straddle reads */
	if (n > 13)
		n = 13 + s->pos % 29;
	if (n > s->size - s->pos)
		n = s->size - s->pos;
	if (n > len)
		n = len;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (long)n;
}

static roster_directory *fuzz_dir;
static roster_id fuzz_account;
static roster_actor fuzz_system;

static void fuzz_world(void)
{
	roster_password_policy pol;
	roster_id partner, id;

	if (fuzz_dir)
		return;
	roster_actor_init(&fuzz_system, ROSTER_ACTOR_SYSTEM, 0);
	fuzz_check(roster_directory_open(&fuzz_dir, NULL) == ROSTER_OK);
	roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION);
	pol.hash_cost = 1;
	fuzz_check(roster_directory_set_password_policy(fuzz_dir, &pol) ==
		   ROSTER_OK);
	fuzz_check(roster_partner_create(&partner, fuzz_dir, &fuzz_system,
					 "Partner") == ROSTER_OK);
	fuzz_check(roster_account_create(&fuzz_account, fuzz_dir,
					 &fuzz_system, partner,
					 "Acme") == ROSTER_OK);
	fuzz_check(roster_site_create(&id, fuzz_dir, &fuzz_system,
				      fuzz_account, "Paris") == ROSTER_OK);
	fuzz_check(roster_pbx_create(&id, fuzz_dir, &fuzz_system, fuzz_account,
				     "Main PBX", 3, 4) == ROSTER_OK);
	fuzz_check(roster_group_create(&id, fuzz_dir, &fuzz_system,
				       fuzz_account, "Sales") == ROSTER_OK);
	/* two product licences, so that rows can run out of them */
	fuzz_check(roster_product_purchase(fuzz_dir, &fuzz_system,
					   fuzz_account, "meetings",
					   2) == ROSTER_OK);
}

static void fuzz_import(int format, const uint8_t *data, size_t size)
{
	roster_import_options o;
	roster_import_report *r = NULL;
	roster_record *acc;
	fuzz_src s = { data, size, 0 };
	size_t i, n;
	int rc;

	fuzz_world();
	roster_import_options_init(&o, ROSTER_IMPORT_OPTIONS_VERSION);
	o.dry_run = 1;
	o.mode = size && (data[0] & 1) ? ROSTER_IMPORT_BEST_EFFORT
				       : ROSTER_IMPORT_ALL_OR_NOTHING;
	/* and national numbers, taken as French ones, by its second bit */
	if (size && (data[0] & 2))
		memcpy(o.country, "FR", 3);
	rc = roster_import(&r, fuzz_dir, &fuzz_system, fuzz_account, format,
			   fuzz_read, &s, &o);
	fuzz_check(rc == ROSTER_OK || rc == ROSTER_EINVALID ||
		   rc == ROSTER_EPARSE || rc == ROSTER_ENOMEM);
	fuzz_check(r != NULL);
	n = roster_import_error_count(r);
	fuzz_check(roster_import_created(r) == 0);
	/* a row may be refused for several cells; without rows, only the
	 * file itself can be */
	fuzz_check(roster_import_rows(r) > 0 || n <= 1);
	if (rc == ROSTER_OK)
		fuzz_check(n == 0);
	if (rc == ROSTER_EINVALID)
		fuzz_check(n > 0);
	if (rc == ROSTER_EPARSE)
		fuzz_check(n > 0 &&
			   roster_import_error_code(r, n - 1) == ROSTER_EPARSE);
	for (i = 0; i < n; i++) {
		fuzz_check(roster_import_error_line(r, i) >= 1);
		fuzz_check(roster_import_error_code(r, i) < 0);
		fuzz_check(roster_import_error_rule(r, i)[0] != '\0');
		fuzz_check(roster_import_error_message(r, i)[0] != '\0');
		fuzz_check(roster_import_error_column(r, i) != NULL);
		fuzz_messages(r, i);
	}
	fuzz_check(roster_import_error_rule(r, n) == NULL);
	roster_import_report_free(r);
	/* a dry run leaves the account empty */
	fuzz_check(roster_record_get(&acc, fuzz_dir, fuzz_account) ==
		   ROSTER_OK);
	fuzz_check(roster_record_members(acc) == 0);
	roster_record_free(acc);
	fuzz_check(!roster_transaction_active(fuzz_dir));
}

#endif
