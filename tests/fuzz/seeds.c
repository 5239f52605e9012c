/*
 * seeds.c: the first inputs of the storage fuzz targets, written by the
 * library itself, so that fuzzing starts from stores that load.
 *
 *   fuzz-seeds DIR
 *
 * builds a small directory (two partners; an account with an edition,
 * licences, Helpdesk, two PBXes, two sites with stations, a group and
 * product licences bought; users with lines, a pack, a licence, product
 * licences, a password and both tokens; a second account with its
 * admin; a deletion and a rename; events left in the outbox) once on a
 * memory store and once on a file store, and writes:
 *
 *   DIR/records/   inputs of records.c: the memory store's rows (all of
 *                  them, and those of a store holding a partner alone)
 *   DIR/filestore/ inputs of filestore.c: the store's file (whole, and
 *                  with its last frame torn), an empty file, a header
 *                  alone and a header cut short
 *
 * The clock is records.c's and filestore.c's (FUZZ_NOW), so the tokens
 * are live when they are fuzzed. Merge them into the corpora with
 * libFuzzer's -merge=1 (tests/fuzz/meson.build).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "roster.h"
#include "records.h"

static void need(int rc, const char *what)
{
	if (rc != ROSTER_OK) {
		fprintf(stderr, "fuzz-seeds: %s: %d %s\n", what, rc,
			roster_error_message(roster_error_last()));
		exit(1);
	}
}

static void need_dir(roster_directory *d, int rc, const char *what)
{
	if (rc != ROSTER_OK) {
		fprintf(stderr, "fuzz-seeds: %s: %d %s\n", what, rc,
			roster_error_message(roster_directory_error(d)));
		exit(1);
	}
}

static int64_t fixed_clock(void *data)
{
	(void)data;
	return FUZZ_NOW;
}

static roster_directory *open_on(const roster_storage *st, void *store)
{
	roster_directory_options o;
	roster_password_policy pol;
	roster_directory *d = NULL;

	need(roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION),
	     "options");
	o.storage = st;
	o.store = store;
	o.clock_fn = fixed_clock;
	need(roster_directory_open(&d, &o), "open");
	roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION);
	pol.hash_cost = 1;
	need_dir(d, roster_directory_set_password_policy(d, &pol), "policy");
	return d;
}

typedef struct person {
	const char *first, *last, *email;
} person;

/* A form for a new user with the three fields every user has. */
static roster_form *user_form(roster_directory *d, const person *p)
{
	roster_form *f = NULL;

	need_dir(d, roster_form_new(&f, d), "form");
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, p->first);
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, p->last);
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, p->email);
	return f;
}

/* The directory of the seeds, on a store; only a partner with `small`. */
static void build(roster_directory *d, int small)
{
	static const char *const licences[] = {
		"callcentrum-enterprise", "callcentrum-mini",
		"helpdesk-enterprise",	  "helpdesk-mini",
		"omnichannel-enterprise", "omnichannel-mini",
		"video"
	};
	static const char *const start[] = { "callcentrum-mini",
					     "callcentrum-start" };
	static const person ada = { "Ada", "Lovelace", "Ada@Acme.example" };
	static const person bob = { "Bořivoj", "Dvořák", "bob@acme.example" };
	static const person zoe = { "Zoë", "Zöllner", "zoe@acme.example" };
	static const person eve = { "Eve", "Gone", "eve@acme.example" };
	static const person otto = { "Otto", "Other", "otto@globex.example" };
	const char *lines[] = { "+33123456789", "+420601000002" };
	roster_actor sys, pa;
	roster_id p1, p2, a1, a2, pbx, pbx2, paris, brno, sales, id;
	roster_form *f;

	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	need_dir(d, roster_partner_create(&p1, d, &sys, "Partner One"),
		 "partner");
	if (small)
		return;
	roster_actor_init(&pa, ROSTER_ACTOR_PARTNER, p1);
	need_dir(d, roster_account_create(&a1, d, &pa, p1, "Acme"), "account");
	need_dir(d, roster_account_set_licences(d, &sys, a1, "enterprise",
						licences, 7),
		 "licences");
	need_dir(d, roster_account_set_helpdesk(d, &sys, a1, 1), "helpdesk");
	need_dir(d, roster_pbx_create(&pbx, d, &pa, a1, "Main PBX", 3, 4),
		 "pbx");
	need_dir(d, roster_pbx_create(&pbx2, d, &pa, a1, "Second PBX", 2, 5),
		 "pbx");
	need_dir(d, roster_site_create(&paris, d, &pa, a1, "Paris"), "site");
	need_dir(d, roster_site_create(&brno, d, &pa, a1, "Brno"), "site");
	need_dir(d, roster_group_create(&sales, d, &pa, a1, "Sales"), "group");
	need_dir(d, roster_station_order(d, &sys, paris, "standard", 3),
		 "stations");
	need_dir(d, roster_station_order(d, &sys, paris, "premium", 1),
		 "stations");
	need_dir(d, roster_station_order(d, &sys, brno, "basic", 2),
		 "stations");
	need_dir(d, roster_product_purchase(d, &sys, a1, "meetings", 3),
		 "products");

	/* an admin with every kind of field */
	f = user_form(d, &ada);
	roster_form_set_str(f, ROSTER_FIELD_DISPLAY_NAME, "Ada L.");
	roster_form_set_str(f, ROSTER_FIELD_PASSWORD, "long enough secret");
	roster_form_set_str(f, ROSTER_FIELD_PHONE, "+33987654321");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_STREET, "1 rue de la Paix");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_LOCALITY, "Paris");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_POSTCODE, "75002");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "FR");
	roster_form_set_str(f, ROSTER_FIELD_NOTE, "two\nlines");
	roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "100");
	roster_form_set_ref(f, ROSTER_FIELD_SITE, paris);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "standard");
	roster_form_set_ref(f, ROSTER_FIELD_GROUP, sales);
	roster_form_set_str(f, ROSTER_FIELD_LICENCE, "callcentrum-enterprise");
	roster_form_set_lines(f, lines, 2);
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	roster_form_set_bool(f, ROSTER_FIELD_TWO_FACTOR, 1);
	roster_form_set_bool(f, ROSTER_FIELD_CLOUD, 1);
	need_dir(d, roster_user_create(&id, d, &sys, a1, f), "user");
	roster_form_free(f);
	need_dir(d, roster_product_assign(d, &sys, "meetings", &id, 1, NULL),
		 "assign");

	/* Helpdesk, a reset and a welcome link */
	f = user_form(d, &bob);
	roster_form_set_bool(f, ROSTER_FIELD_HELPDESK, 1);
	roster_form_set_str(f, ROSTER_FIELD_LICENCE, "helpdesk-enterprise");
	roster_form_set_ref(f, ROSTER_FIELD_PBX, pbx2);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "42");
	roster_form_set_ref(f, ROSTER_FIELD_SITE, brno);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "basic");
	roster_form_set_bool(f, ROSTER_FIELD_IOT, 1);
	need_dir(d, roster_user_create(&id, d, &sys, a1, f), "user");
	roster_form_free(f);
	need_dir(d, roster_welcome_send(d, &sys, a1, &id, 1), "welcome");
	need_dir(d, roster_password_reset(d, &sys, a1, &id, 1), "reset");
	need_dir(d, roster_product_assign(d, &sys, "meetings", &id, 1, NULL),
		 "assign");

	/* a plain user, and one deleted */
	f = user_form(d, &zoe);
	roster_form_set_ref(f, ROSTER_FIELD_GROUP, sales);
	roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "cs-cz");
	need_dir(d, roster_user_create(&id, d, &sys, a1, f), "user");
	roster_form_free(f);
	f = user_form(d, &eve);
	need_dir(d, roster_user_create(&id, d, &sys, a1, f), "user");
	roster_form_free(f);
	need_dir(d, roster_user_delete(d, &sys, id), "delete");
	need_dir(d, roster_record_rename(d, &sys, sales, "Sales and support"),
		 "rename");

	need_dir(d, roster_partner_create(&p2, d, &sys, "Partner Two"),
		 "partner");
	roster_actor_init(&pa, ROSTER_ACTOR_PARTNER, p2);
	need_dir(d, roster_account_create(&a2, d, &pa, p2, "Globex"), "account");
	need_dir(d, roster_account_set_licences(d, &sys, a2, "start", start, 2),
		 "licences");
	f = user_form(d, &otto);
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	roster_form_set_bool(f, ROSTER_FIELD_STATUTORY, 1);
	need_dir(d, roster_user_create(&id, d, &pa, a2, f), "user");
	roster_form_free(f);
	/* the first events leave the outbox, the others stay */
	need_dir(d, roster_outbox_ack(d, 1, 10, NULL), "ack");
}

static void write_file(const char *dir, const char *sub, const char *name,
		       const void *data, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((mkdir(dir, 0777) != 0 && errno != EEXIST) ||
	    (mkdir(path, 0777) != 0 && errno != EEXIST)) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	fp = fopen(path, "wb");
	if (!fp || (len && fwrite(data, 1, len, fp) != len) || fclose(fp)) {
		perror(path);
		exit(1);
	}
}

typedef struct dump {
	unsigned char *p;
	size_t len;
} dump;

static void append(dump *d, const void *data, size_t n)
{
	d->p = realloc(d->p, d->len + n + 1);
	if (!d->p)
		exit(1);
	memcpy(d->p + d->len, data, n);
	d->len += n;
}

/* One row in the input format of records.c (records.h). */
static int dump_row(const char *key, const void *value, size_t len,
		    uint64_t version, void *data)
{
	unsigned char h[2];
	size_t klen = strlen(key);

	(void)version;
	if (klen > FUZZ_KEY_MAX || len > FUZZ_VALUE_MAX) {
		fprintf(stderr, "fuzz-seeds: %s does not fit\n", key);
		exit(1);
	}
	h[0] = (unsigned char)klen;
	append(data, h, 1);
	append(data, key, klen);
	h[0] = (unsigned char)len;
	h[1] = (unsigned char)(len >> 8);
	append(data, h, 2);
	append(data, value, len);
	return 0;
}

static void records_seed(const char *out, const char *name, int small,
			 unsigned flags)
{
	const roster_storage *st = roster_memstore_methods();
	roster_memstore *ms = NULL;
	roster_directory *d;
	unsigned char b = (unsigned char)flags;
	dump du = { NULL, 0 };

	need(roster_memstore_new(&ms), "memstore");
	d = open_on(st, ms);
	build(d, small);
	roster_directory_free(d);
	append(&du, &b, 1);
	need(st->scan(ms, "", dump_row, &du), "scan");
	write_file(out, "records", name, du.p, du.len);
	free(du.p);
	roster_memstore_free(ms);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *p = NULL;
	long n;

	if (!fp || fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) || !(p = malloc((size_t)n + 1)) ||
	    fread(p, 1, (size_t)n, fp) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	*len = (size_t)n;
	return p;
}

static void filestore_seeds(const char *out)
{
	char tmp[] = "/tmp/roster-seeds-XXXXXX", path[4096], aux[4200];
	roster_filestore *fs = NULL;
	roster_directory *d;
	unsigned char *file;
	size_t len;

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/store", tmp);
	need(roster_filestore_open(path, ROSTER_FILESTORE_NOSYNC, &fs),
	     "filestore");
	d = open_on(roster_filestore_methods(), fs);
	build(d, 0);
	roster_directory_free(d);
	roster_filestore_free(fs);
	file = slurp(path, &len);
	write_file(out, "filestore", "world", file, len);
	/* the last frame cut short: a reader drops it */
	write_file(out, "filestore", "torn", file, len - 5);
	write_file(out, "filestore", "header", file, 16);
	write_file(out, "filestore", "header-cut", file, 8);
	write_file(out, "filestore", "empty", "", 0);
	free(file);
	unlink(path);
	snprintf(aux, sizeof(aux), "%s.lock", path);
	unlink(aux);
	rmdir(tmp);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-seeds DIR\n");
		return 2;
	}
	records_seed(argv[1], "world", 0, FUZZ_WRITE | FUZZ_SECRETS);
	records_seed(argv[1], "world-read", 0, 0);
	records_seed(argv[1], "partner", 1, FUZZ_WRITE);
	filestore_seeds(argv[1]);
	return 0;
}
