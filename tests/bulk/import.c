/*
 * import.c: roster_import and roster_export (bulk.h).
 *
 * Inputs are fed through the read callback in small pieces (7 bytes) so
 * that every quote, CRLF and multi-byte character also lands across a
 * piece boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "snapshot.h"

/* ------------------------------------------------------------------ */
/* Sources and sinks                                                   */

typedef struct src {
	const char *s;
	size_t len, pos, piece;
	int fail_at; /* fail when pos reaches this (-1: never) */
} src;

static long src_read(void *data, void *buf, size_t len)
{
	src *s = data;
	size_t n = s->len - s->pos;

	if (s->fail_at >= 0 && s->pos >= (size_t)s->fail_at)
		return -1;
	if (n > len)
		n = len;
	if (n > s->piece)
		n = s->piece;
	memcpy(buf, s->s + s->pos, n);
	s->pos += n;
	return (long)n;
}

typedef struct sink {
	char *buf;
	size_t len;
	int fail;
} sink;

static int sink_write(void *data, const void *buf, size_t len)
{
	sink *s = data;

	if (s->fail)
		return 1;
	s->buf = realloc(s->buf, s->len + len + 1);
	assert_non_null(s->buf);
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return 0;
}

static roster_import_options opts_of(unsigned mode, int dry)
{
	roster_import_options o;

	assert_int_equal(roster_import_options_init(
				 &o, ROSTER_IMPORT_OPTIONS_VERSION),
			 ROSTER_OK);
	o.mode = mode;
	o.dry_run = dry;
	return o;
}

static int import_text(world *w, const roster_actor *actor, roster_id account,
		       int format, const char *text,
		       const roster_import_options *o,
		       roster_import_report **rep)
{
	src s = { text, strlen(text), 0, 7, -1 };

	return roster_import(rep, w->dir, actor, account, format, src_read, &s,
			     o);
}

static int import_csv(world *w, const char *text,
		      const roster_import_options *o,
		      roster_import_report **rep)
{
	return import_text(w, &w->as_partner, w->account, ROSTER_FORMAT_CSV,
			   text, o, rep);
}

static int import_xml(world *w, const char *text,
		      const roster_import_options *o,
		      roster_import_report **rep)
{
	return import_text(w, &w->as_partner, w->account, ROSTER_FORMAT_XML,
			   text, o, rep);
}

/* Refusal i of the report has this line, column, code and rule. */
static void assert_refusal(const roster_import_report *r, size_t i,
			   unsigned long line, const char *column, int code,
			   const char *rule)
{
	assert_true(i < roster_import_error_count(r));
	assert_int_equal(roster_import_error_line(r, i), line);
	assert_string_equal(roster_import_error_column(r, i), column);
	assert_int_equal(roster_import_error_code(r, i), code);
	assert_string_equal(roster_import_error_rule(r, i), rule);
	assert_true(roster_import_error_message(r, i)[0] != '\0');
}

static roster_id login(world *w, const char *email)
{
	roster_id id = 0;

	if (roster_user_find_login(&id, w->dir, email) != ROSTER_OK)
		return 0;
	return id;
}

/* The user of login `email` has `count` lines, lines[i] the i-th of
 * them (NULL: not checked). */
static void assert_lines(world *w, const char *email, size_t count,
			 const char *const *lines)
{
	roster_user *u = NULL;
	size_t i;

	assert_int_equal(roster_user_get(&u, w->dir, login(w, email)),
			 ROSTER_OK);
	assert_int_equal(roster_user_line_count(u), count);
	for (i = 0; i < count; i++)
		if (lines[i])
			assert_string_equal(roster_user_line(u, i), lines[i]);
	roster_user_free(u);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

static void test_csv_basic(void **state)
{
	/* BOM, CRLF, columns in any order, quotes, a note over two lines */
	const char *csv =
		"\xEF\xBB\xBF"
		"email,last_name,first_name,site,pbx,extension,group,lines,"
		"admin,note\r\n"
		"marie@acme.example,Dvo\xC5\x99\xC3\xA1kov\xC3\xA1,Marie,Paris,"
		"Main PBX,101,Sales,+33123456789 +33123456790,1,"
		"\"says \"\"hi\"\", then\r\nleaves\"\r\n"
		"jean@acme.example,Martin,Jean,,,,,,false,\r\n";
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	roster_user *u;
	roster_id id;

	(void)state;
	assert_int_equal(import_csv(w, csv, NULL, &r), ROSTER_OK);
	assert_int_equal(roster_import_rows(r), 2);
	assert_int_equal(roster_import_created(r), 2);
	assert_int_equal(roster_import_error_count(r), 0);
	roster_import_report_free(r);
	/* one creation event per user, delivered at commit */
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 2);
	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 2);

	id = login(w, "marie@acme.example");
	assert_true(id != 0);
	assert_int_equal(roster_user_get(&u, w->dir, id), ROSTER_OK);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_LAST_NAME),
			    "Dvo\xC5\x99\xC3\xA1kov\xC3\xA1");
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_SITE), w->site);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_PBX), w->pbx);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_GROUP), w->group);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_EXTENSION), "101");
	assert_int_equal(roster_user_line_count(u), 2);
	assert_string_equal(roster_user_line(u, 1), "+33123456790");
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_ADMIN), 1);
	assert_non_null(strstr(roster_user_str(u, ROSTER_FIELD_NOTE),
			       "says \"hi\", then"));
	assert_non_null(strstr(roster_user_str(u, ROSTER_FIELD_NOTE),
			       "leaves"));
	roster_user_free(u);
	assert_true(login(w, "jean@acme.example") != 0);
	world_free(w);
}

/* Numbers written with spaces, as a single create takes them: a group
 * that begins with neither '+' nor "00" goes on the number before it. */
static void test_csv_lines_with_spaces(void **state)
{
	const char *csv =
		"first_name,last_name,email,lines\n"
		"Ann,Lee,ann@x.example,+33 1 44 55 66 77  +420 601 234 567\n"
		"Bo,Li,bo@x.example,0044 20 7946 0000 +33144556678\n"
		"Cy,Ng,cy@x.example,12 34\n"
		"Di,Ox,di@x.example,0033144556679 0044207946001\n";
	world *w = world_new(NULL);
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	roster_import_report *r = NULL;

	(void)state;
	assert_int_equal(import_csv(w, csv, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_created(r), 3);
	assert_int_equal(roster_import_error_count(r), 1);
	/* no '+' at all: refused as a single create refuses "12 34" */
	assert_refusal(r, 0, 4, "lines", ROSTER_EINVALID, "phone.e164");
	roster_import_report_free(r);
	assert_lines(w, "ann@x.example", 2,
		     (const char *const[]){ "+33144556677", "+420601234567" });
	assert_lines(w, "bo@x.example", 2,
		     (const char *const[]){ "+442079460000", "+33144556678" });
	/* numbers written whole after "00": each its own, as before */
	assert_lines(w, "di@x.example", 2,
		     (const char *const[]){ NULL, "+44207946001" });
	world_free(w);
}

/* The groups of a lines cell are joined into numbers before the count of
 * numbers is kept: three numbers of six groups each are three numbers,
 * none of them cut after the 17th group, and seventeen numbers written
 * with spaces are refused as too many, not cut to the first three. */
static void test_csv_lines_many_groups(void **state)
{
	char csv[2048];
	world *w = world_new(NULL);
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	roster_import_report *r = NULL;
	size_t i, n;

	(void)state;
	n = (size_t)snprintf(csv, sizeof(csv),
			     "first_name,last_name,email,lines\n"
			     "Ann,Lee,ann@x.example,+33 1 44 55 66 71 "
			     "+33 1 44 55 66 72 +33 1 44 55 66 73\n"
			     "Bo,Li,bo@x.example,");
	for (i = 0; i < ROSTER_LINES_MAX + 1; i++)
		n += (size_t)snprintf(csv + n, sizeof(csv) - n,
				      "%s+33 1 44 55 66 %02zu", i ? " " : "",
				      10 + i);
	snprintf(csv + n, sizeof(csv) - n, "\n");
	assert_int_equal(import_csv(w, csv, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_created(r), 1);
	assert_int_equal(roster_import_error_count(r), 1);
	assert_refusal(r, 0, 3, "lines", ROSTER_EINVALID, "line.count");
	roster_import_report_free(r);
	assert_lines(w, "ann@x.example", 3,
		     (const char *const[]){ "+33144556671", NULL,
					    "+33144556673" });
	world_free(w);
}

/* A malformed file: EPARSE, this rule and line, nothing imported. */
static void malformed(const char *text, size_t len, const char *rule,
		      unsigned long line)
{
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	char *before = snapshot_take(w->dir), *after;
	src s = { text, len ? len : strlen(text), 0, 7, -1 };
	int rc;

	rc = roster_import(&r, w->dir, &w->as_partner, w->account,
			   ROSTER_FORMAT_CSV, src_read, &s, NULL);
	if (rc != ROSTER_EPARSE)
		fail_msg("expected EPARSE for %.60s, got %d (%s)", text, rc,
			 roster_error_rule(roster_directory_error(w->dir)));
	if (roster_import_error_line(r, roster_import_error_count(r) - 1) !=
	    line)
		fail_msg("line %lu, expected %lu (%s)",
			 roster_import_error_line(
				 r, roster_import_error_count(r) - 1),
			 line, roster_import_error_message(r, 0));
	assert_err(w, ROSTER_EPARSE, rule);
	assert_non_null(r);
	assert_int_equal(roster_import_created(r), 0);
	assert_true(roster_import_error_count(r) >= 1);
	assert_refusal(r, roster_import_error_count(r) - 1, line, "",
		       ROSTER_EPARSE, rule);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "malformed CSV");
	assert_int_equal(w->nevents, 0);
	free(before);
	free(after);
	roster_import_report_free(r);
	world_free(w);
}

#define HEAD "first_name,last_name,email\n"

static void test_csv_malformed(void **state)
{
	static const char nul[] = HEAD "A,B,a\0b@x.example\n";
	static const char nul_past[] = HEAD "A,B,a@x.example,x,y\0z\n";
	char *big;
	size_t n = 70000;

	(void)state;
	malformed(HEAD "Ann,Lee,\"ann@x.example\n",  0,
		  "import.csv", 2);
	malformed(HEAD "Ann,Lee,ann@x.example\nBo,\"Li\"x,b@x.example\n",
		   0, "import.csv", 3);
	malformed(HEAD "Ann,L\"ee,ann@x.example\n",  0,
		  "import.csv", 2);
	malformed(HEAD "Ann,Lee,ann@x.example\r\nBo,Li\xC3\x28,b@x.example\r\n",
		   0, "import.csv", 3);
	malformed(HEAD "Ann,\xFF,ann@x.example\n",  0,
		  "import.csv", 2);
	malformed(nul, sizeof(nul) - 1, "import.csv", 2);
	/* in a cell past the header's count too: the file is at fault, not
	 * only the row's count of cells (those cells were not checked) */
	malformed(HEAD "Ann,Lee,ann@x.example,x,\xFF\n", 0, "import.csv", 2);
	malformed(nul_past, sizeof(nul_past) - 1, "import.csv", 2);
	malformed("first_name,surname,email\nA,B,c@x.example\n",  0,
		  "import.column", 1);
	malformed("first_name,email,email\nA,c@x.example,c@x.example\n",  0,
		  "import.column", 1);
	malformed("",  0, "import.csv", 1);
	malformed("\xEF\xBB\xBF",  0, "import.csv", 1);
	/* the file's first cell empty: checked before anything was kept
	 * (UBSan saw a null pointer given to memchr) */
	malformed(",first_name,last_name,email\n,A,B,c@x.example\n", 0,
		  "import.column", 1);

	/* a field over 64 KiB */
	big = malloc(strlen(HEAD) + n + 32);
	assert_non_null(big);
	strcpy(big, HEAD "Ann,");
	memset(big + strlen(big), 'x', n);
	strcpy(big + strlen(HEAD) + 4 + n, ",a@x.example\n");
	malformed(big, strlen(big), "import.csv", 2);
	free(big);
}

static void test_csv_cells(void **state)
{
	const char *csv = HEAD "Ann,Lee,ann@x.example\n"
			       "Bo,Li\n"
			       "\n"
			       "Cy,Ng,cy@x.example,extra\n"
			       "Di,Ox,di@x.example\n";
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;

	(void)state;
	assert_int_equal(import_csv(w, csv, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_rows(r), 4); /* the blank line skipped */
	assert_int_equal(roster_import_created(r), 2);
	assert_int_equal(roster_import_error_count(r), 2);
	assert_refusal(r, 0, 3, "", ROSTER_EINVALID, "import.cells");
	assert_refusal(r, 1, 5, "", ROSTER_EINVALID, "import.cells");
	assert_non_null(strstr(roster_import_error_message(r, 0), "cell count (2)"));
	assert_true(login(w, "ann@x.example") && login(w, "di@x.example"));
	roster_import_report_free(r);
	world_free(w);
}

static const char bad_rows[] =
	"first_name,last_name,email,two_factor,site,lines\n"
	"Ann,Lee,ann@x.example,1,Paris,+33111111111\n"	 /* 2: good */
	"Bo,Li,not-an-address,,,\n"			 /* 3: email.syntax */
	"Cy,Ng,ANN@x.example,,,\n"			 /* 4: email.unique */
	"Di,Ox,di@x.example,maybe,,\n"			 /* 5: import.value */
	"Ed,Po,ed@x.example,,Lyon,\n"			 /* 6: import.ref */
	",Qu,fe@x.example,,,\n"				 /* 7: field.required */
	"Gu,Ra,gu@x.example,,,+33111111111\n"		 /* 8: line.unique */
	"\"Ha\nns\",Sy,ha@x.example,0,,\n"		 /* 9: good, 2 lines */
	"Io,Tu,ada@acme.example,,,\n";			 /* 11: email.unique */

static void check_bad_rows(const roster_import_report *r)
{
	assert_int_equal(roster_import_rows(r), 9);
	assert_int_equal(roster_import_error_count(r), 7);
	assert_refusal(r, 0, 3, "email", ROSTER_EINVALID, "email.syntax");
	assert_refusal(r, 1, 4, "email", ROSTER_EEXISTS, "email.unique");
	assert_refusal(r, 2, 5, "two_factor", ROSTER_EINVALID, "import.value");
	assert_refusal(r, 3, 6, "site", ROSTER_EINVALID, "import.ref");
	assert_refusal(r, 4, 7, "first_name", ROSTER_EINVALID,
		       "field.required");
	assert_refusal(r, 5, 8, "lines", ROSTER_EEXISTS, "line.unique");
	assert_refusal(r, 6, 11, "email", ROSTER_EEXISTS, "email.unique");
	/* the value each refused, as its message quotes it */
	assert_string_equal(roster_import_error_value(r, 0), "not-an-address");
	assert_string_equal(roster_import_error_value(r, 1), "ANN@x.example");
	assert_string_equal(roster_import_error_value(r, 2), "maybe");
	assert_string_equal(roster_import_error_value(r, 3), "Lyon");
	assert_string_equal(roster_import_error_value(r, 4), "");
	assert_string_equal(roster_import_error_value(r, 5), "+33111111111");
	assert_null(roster_import_error_value(r, 7));
}

/* A file names a site, PBX or group as roster_record_find() finds it:
 * case and spaces aside, accents counting; XML alike. */
static void test_ref_names(void **state)
{
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	roster_user *u = NULL;
	roster_id site = 0;

	(void)state;
	assert_int_equal(roster_record_find(&site, w->dir, w->account,
					    ROSTER_KIND_SITE, "Paris"), 0);
	assert_int_equal(import_csv(w,
		"first_name,last_name,email,site,group,pbx,extension\n"
		"Ann,Lee,ann@x.example,  PARIS ,sales,main   pbx,501\n"
		"Bo,Li,bo@x.example,Pâris,,,\n", NULL, &r),
		ROSTER_EINVALID);
	assert_int_equal(roster_import_error_count(r), 1);
	assert_refusal(r, 0, 3, "site", ROSTER_EINVALID, "import.ref");
	roster_import_report_free(r);
	r = NULL;
	roster_import_options o;
	roster_import_options_init(&o, ROSTER_IMPORT_OPTIONS_VERSION);
	o.mode = ROSTER_IMPORT_BEST_EFFORT;
	assert_int_equal(import_xml(w,
		"<users xmlns=\"urn:roster:users:1\"><user><first_name>Ann</first_name>"
		"<last_name>Lee</last_name><email>ann@x.example</email>"
		"<site>paris</site><group>SALES</group><pbx>Main PBX</pbx>"
		"<extension>501</extension></user></users>", &o, &r), 0);
	assert_int_equal(roster_import_created(r), 1);
	roster_import_report_free(r);
	assert_int_equal(roster_user_get(&u, w->dir, login(w, "ann@x.example")),
			 0);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_SITE), site);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_GROUP), w->group);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_PBX), w->pbx);
	roster_user_free(u);
	world_free(w);
}

static void test_all_or_nothing(void **state)
{
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	char *before = snapshot_take(w->dir), *after;

	(void)state;
	assert_int_equal(import_csv(w, bad_rows, NULL, &r), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "import.rows");
	check_bad_rows(r);
	assert_int_equal(roster_import_created(r), 0);
	/* duplicates inside the file are refused too (row 4 vs row 2) */
	if (!strstr(roster_import_error_message(r, 1), "ANN@x.example"))
		fail_msg("%s", roster_import_error_message(r, 1));
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "all or nothing");
	assert_int_equal(w->nevents, 0);
	free(before);
	free(after);
	roster_import_report_free(r);
	world_free(w);
}

static void test_best_effort(void **state)
{
	/* two refused rows, then a good one */
	static const char two_bad[] = "first_name,last_name,email\n"
				      "A,B,bad1\nC,D,bad2\nE,F,e@x.example\n";
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	roster_user *u;

	(void)state;
	assert_int_equal(import_csv(w, bad_rows, &o, &r), ROSTER_OK);
	check_bad_rows(r);
	assert_int_equal(roster_import_created(r), 2);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 2);
	assert_int_equal(roster_user_get(&u, w->dir, login(w, "ann@x.example")),
			 ROSTER_OK);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_SITE), w->site);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_TWO_FACTOR), 1);
	roster_user_free(u);
	assert_true(login(w, "ha@x.example") != 0);
	assert_int_equal(login(w, "gu@x.example"), 0);
	roster_import_report_free(r);

	/* a password's refusal never quotes it */
	assert_int_equal(import_csv(w, "first_name,last_name,email,password\n"
				       "Pa,Ss,pass@x.example,pw\n",
				    &o, &r),
			 ROSTER_OK);
	assert_refusal(r, 0, 2, "password", ROSTER_EINVALID, "password.length");
	assert_string_equal(roster_import_error_value(r, 0), "");
	roster_import_report_free(r);

	/* max_errors: stop reading after the second refusal */
	o.max_errors = 2;
	assert_int_equal(import_csv(w, two_bad, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_rows(r), 2);
	assert_int_equal(roster_import_error_count(r), 2);
	assert_int_equal(login(w, "e@x.example"), 0);
	assert_int_equal(roster_import_stopped(r), 1); /* row 3 unread */
	roster_import_report_free(r);
	/* under the limit, or none: read to the end */
	o.max_errors = 3;
	assert_int_equal(import_csv(w, two_bad, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_stopped(r), 0);
	assert_int_equal(roster_import_created(r), 1);
	roster_import_report_free(r);
	assert_int_equal(roster_import_stopped(NULL), 0);
	world_free(w);
}

/* Row 2 is refused for its site; the later rows taking its login, its
 * line or its extension are refused with it in all-or-nothing mode (as
 * they would be once row 2 is mended), and imported in best-effort mode,
 * where row 2 holds nothing. */
static const char refused_keys[] =
	"first_name,last_name,email,site,pbx,extension,lines\n"
	"Ann,Lee,ann@x.example,Lyon,Main PBX,101,+33111111111\n" /* 2 */
	"Bo,Li,ANN@x.example,,,,\n"			  /* 3: email */
	"Cy,Ng,cy@x.example,,,,+33 1 11 11 11 11\n"	  /* 4: line */
	"Di,Ox,di@x.example,,Main PBX,101,\n"		  /* 5: extension */
	",Po,ann@x.example,,,,\n"	/* 6: its own fault comes first */
	"Ed,Qu,ed@x.example,Paris,Main PBX,102,+33122222222\n"; /* 7: good */

static void test_refused_row_holds_keys(void **state)
{
	roster_import_options best = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	roster_import_options dry = opts_of(ROSTER_IMPORT_ALL_OR_NOTHING, 1);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	char *before = snapshot_take(w->dir), *after;
	int pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		assert_int_equal(import_csv(w, refused_keys,
					    pass ? &dry : NULL, &r),
				 ROSTER_EINVALID);
		assert_int_equal(roster_import_rows(r), 6);
		assert_int_equal(roster_import_error_count(r), 5);
		assert_refusal(r, 0, 2, "site", ROSTER_EINVALID, "import.ref");
		assert_refusal(r, 1, 3, "email", ROSTER_EEXISTS,
			       "email.unique");
		assert_refusal(r, 2, 4, "lines", ROSTER_EEXISTS, "line.unique");
		assert_refusal(r, 3, 5, "extension", ROSTER_EEXISTS,
			       "extension.unique");
		assert_refusal(r, 4, 6, "first_name", ROSTER_EINVALID,
			       "field.required");
		/* the words a create gives, the value as the row wrote it */
		assert_string_equal(roster_import_error_message(r, 1),
				    "the e-mail address ANN@x.example is "
				    "already used by another user");
		assert_non_null(strstr(roster_import_error_message(r, 2),
				       "+33111111111"));
		assert_int_equal(roster_import_created(r), 0);
		roster_import_report_free(r);
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "refused keys");
		free(after);
	}
	assert_int_equal(w->nevents, 0);

	/* best effort: row 2 holds nothing, the others are created */
	assert_int_equal(import_csv(w, refused_keys, &best, &r), ROSTER_OK);
	assert_int_equal(roster_import_error_count(r), 2);
	assert_refusal(r, 0, 2, "site", ROSTER_EINVALID, "import.ref");
	assert_refusal(r, 1, 6, "first_name", ROSTER_EINVALID,
		       "field.required");
	assert_int_equal(roster_import_created(r), 4);
	roster_import_report_free(r);
	assert_true(login(w, "ann@x.example") != 0);
	assert_lines(w, "cy@x.example", 1,
		     (const char *const[]){ "+33111111111" });
	free(before);
	world_free(w);
}

static void every_field_account(world *w, roster_id account, roster_id site);

/* A row refused for a key a refused row holds is undone: the station its
 * create took is there for the rows after it. */
static void test_refused_row_gives_back(void **state)
{
	world *w = world_new(NULL);
	roster_import_report *r = NULL;

	(void)state;
	every_field_account(w, w->account, w->site); /* 2 premium stations */
	assert_int_equal(
		import_csv(w,
			   "first_name,last_name,email,site,pack\n"
			   "Ann,Lee,ann@x.example,Lyon,premium\n"
			   "Bo,Li,ANN@x.example,Paris,premium\n"
			   "Cy,Ng,cy@x.example,Paris,premium\n"
			   "Di,Ox,di@x.example,Paris,premium\n",
			   NULL, &r),
		ROSTER_EINVALID);
	assert_int_equal(roster_import_error_count(r), 2);
	assert_refusal(r, 0, 2, "site", ROSTER_EINVALID, "import.ref");
	assert_refusal(r, 1, 3, "email", ROSTER_EEXISTS, "email.unique");
	roster_import_report_free(r);
	world_free(w);
}

/* An XML row refused as a whole for an element given twice holds the
 * login, line and extension of the elements it has (the first of each)
 * too, in all-or-nothing mode, as a row refused for a cell does. */
static void test_twice_row_holds_keys(void **state)
{
	roster_import_options best = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;

	(void)state;
	assert_int_equal(
		import_xml(w,
			   "<users xmlns=\"urn:roster:users:1\">\n"
			   "<user><first_name>A</first_name>"
			   "<first_name>A</first_name><last_name>B</last_name>"
			   "<email>ann@x.example</email><pbx>Main PBX</pbx>"
			   "<extension> 101 </extension><lines>"
			   "<line>+33 1 11 11 11 11</line></lines></user>\n"
			   "<user><first_name>C</first_name><last_name>D</last_name>"
			   "<email>ANN@x.example</email></user>\n"
			   "<user><first_name>E</first_name><last_name>F</last_name>"
			   "<email>e@x.example</email><lines>"
			   "<line>+33111111111</line></lines></user>\n"
			   "<user><first_name>G</first_name><last_name>H</last_name>"
			   "<email>g@x.example</email><pbx>Main PBX</pbx>"
			   "<extension>\n    101\n  </extension></user>\n"
			   "</users>\n",
			   NULL, &r),
		ROSTER_EINVALID);
	/* the extension's blanks, a newline among them, are no part of
	 * it: the key held for the refused row is the same */
	assert_int_equal(roster_import_error_count(r), 4);
	assert_refusal(r, 0, 2, "first_name", ROSTER_EINVALID, "import.twice");
	assert_refusal(r, 1, 3, "email", ROSTER_EEXISTS, "email.unique");
	assert_refusal(r, 2, 4, "lines", ROSTER_EEXISTS, "line.unique");
	assert_refusal(r, 3, 5, "extension", ROSTER_EEXISTS,
		       "extension.unique");
	roster_import_report_free(r);
	assert_int_equal(w->nevents, 0);
	/* best effort: the row holds nothing, the others are created */
	assert_int_equal(
		import_xml(w,
			   "<users xmlns=\"urn:roster:users:1\">\n"
			   "<user><email>ann@x.example</email>"
			   "<email>b@x.example</email></user>\n"
			   "<user><first_name>C</first_name><last_name>D</last_name>"
			   "<email>ANN@x.example</email></user>\n"
			   "</users>\n",
			   &best, &r),
		ROSTER_OK);
	assert_int_equal(roster_import_error_count(r), 1);
	assert_int_equal(roster_import_created(r), 1);
	roster_import_report_free(r);
	world_free(w);
}

/* With a country, the file's national numbers are taken as numbers of
 * that country; without one they are refused as before. */
static void test_national_numbers(void **state)
{
	static const char csv[] =
		"first_name,last_name,email,phone,lines\n"
		"Ann,Lee,ann@x.example,01 44 55 66 77,0601020304\n"
		"Bo,Li,bo@x.example,+420 601 234 567,"
		"01 44 55 66 88 0601020305 +33 1 44 55 66 99\n"
		"Cy,Ng,cy@x.example,0033 1 44 55 66 00,\n"
		"Di,Ox,di@x.example,01 44 x 55,\n";
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	world *w = world_new(NULL), *w2 = world_new(NULL);
	roster_import_report *r = NULL;
	roster_user *u;

	(void)state;
	strcpy(o.country, "fr");
	assert_int_equal(import_csv(w, csv, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_created(r), 3);
	assert_int_equal(roster_import_error_count(r), 1);
	assert_refusal(r, 0, 5, "phone", ROSTER_EINVALID, "phone.e164");
	roster_import_report_free(r);
	assert_int_equal(roster_user_get(&u, w->dir, login(w, "ann@x.example")),
			 ROSTER_OK);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_PHONE),
			    "+33144556677");
	roster_user_free(u);
	assert_lines(w, "ann@x.example", 1,
		     (const char *const[]){ "+33601020304" });
	/* a national number written whole begins a number of the cell */
	assert_lines(w, "bo@x.example", 3,
		     (const char *const[]){ "+33144556688", "+33601020305",
					    "+33144556699" });
	assert_int_equal(roster_user_get(&u, w->dir, login(w, "cy@x.example")),
			 ROSTER_OK);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_PHONE),
			    "+33144556600");
	roster_user_free(u);
	/* XML: each <line> a number */
	assert_int_equal(
		import_xml(w,
			   "<users xmlns=\"urn:roster:users:1\"><user>"
			   "<first_name>Ed</first_name><last_name>Po</last_name>"
			   "<email>ed@x.example</email><phone>+44 20 7946 0000"
			   "</phone><lines><line>06 01 02 03 06</line>"
			   "<line>(01) 44 55 66 22</line></lines></user></users>",
			   &o, &r),
		ROSTER_OK);
	assert_int_equal(roster_import_created(r), 1);
	roster_import_report_free(r);
	assert_lines(w, "ed@x.example", 2,
		     (const char *const[]){ "+33601020306", "+33144556622" });

	/* no country (the default, and version 1): national numbers are
	 * refused, as a single create refuses them */
	o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	assert_int_equal(import_csv(w2, csv, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_created(r), 1); /* Cy: "0033" */
	assert_refusal(r, 0, 2, "phone", ROSTER_EINVALID, "phone.e164");
	roster_import_report_free(r);
	o.version = 1;
	strcpy(o.country, "fr"); /* not read in version 1 */
	assert_int_equal(import_csv(w2, "first_name,last_name,email,phone\n"
					"Ed,Po,ed@x.example,01 44 55 66 11\n",
				    &o, &r),
			 ROSTER_OK);
	assert_int_equal(roster_import_created(r), 0);
	roster_import_report_free(r);

	/* a country no numbering plan knows is refused before any row */
	o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	strcpy(o.country, "XX");
	assert_int_equal(import_csv(w2, csv, &o, &r), ROSTER_EINVAL);
	assert_err(w2, ROSTER_EINVAL, "arg.range");
	assert_string_equal(roster_error_field(roster_directory_error(w2->dir)),
			    "country");
	roster_import_report_free(r);
	memcpy(o.country, "FRAN", 4); /* no NUL */
	assert_int_equal(import_csv(w2, csv, &o, &r), ROSTER_EINVAL);
	roster_import_report_free(r);
	world_free(w2);
	world_free(w);
}

static void test_dry_run(void **state)
{
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 1);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	char *before = snapshot_take(w->dir), *after;

	(void)state;
	assert_int_equal(import_csv(w, bad_rows, &o, &r), ROSTER_EINVALID);
	check_bad_rows(r);
	assert_int_equal(roster_import_created(r), 0);
	roster_import_report_free(r);
	/* a clean file in a dry run: OK, still nothing */
	assert_int_equal(import_csv(w, HEAD "Ann,Lee,ann@x.example\n", &o, &r),
			 ROSTER_OK);
	assert_int_equal(roster_import_rows(r), 1);
	assert_int_equal(roster_import_created(r), 0);
	roster_import_report_free(r);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "dry run");
	assert_int_equal(w->nevents, 0);
	free(before);
	free(after);
	/* the identifiers handed out in the dry run are handed out again */
	assert_int_equal(import_csv(w, HEAD "Ann,Lee,ann@x.example\n", NULL,
				    &r),
			 ROSTER_OK);
	assert_int_equal(roster_import_created(r), 1);
	roster_import_report_free(r);
	world_free(w);
}

static void test_french(void **state)
{
	world *w = world_new(NULL);
	roster_import_report *r = NULL;

	(void)state;
	assert_int_equal(roster_directory_set_language(w->dir, ROSTER_LANG_FR),
			 ROSTER_OK);
	assert_int_equal(import_csv(w, bad_rows, NULL, &r), ROSTER_EINVALID);
	check_bad_rows(r);
	assert_string_equal(roster_import_error_message(r, 0),
			    "le champ « adresse e-mail » ne contient pas "
			    "d'adresse e-mail valide : not-an-address");
	assert_non_null(strstr(roster_import_error_message(r, 2),
			       "n'est pas une valeur valide"));
	assert_non_null(strstr(roster_import_error_message(r, 3),
			       "le compte n'en a aucun nommé Lyon"));
	roster_import_report_free(r);
	r = NULL;
	/* a fault of the file says its line in the handle's language */
	assert_int_equal(import_csv(w, "first_name,last_name,email\r\n"
				       "A,B,a@x.example\r\n\"C,D,c@x.example\r\n",
				    NULL, &r),
			 ROSTER_EPARSE);
	assert_int_equal(roster_import_error_line(
				 r, roster_import_error_count(r) - 1),
			 3);
	assert_string_equal(roster_import_error_message(
				    r, roster_import_error_count(r) - 1),
			    "le fichier CSV est mal formé à la ligne 3 : un "
			    "champ entre guillemets n'est pas fermé");
	roster_import_report_free(r);
	r = NULL;
	/* the importer's words for an XML file too, in Czech as well */
	assert_int_equal(import_xml(w, "<users xmlns=\"urn:roster:users:1\">\n"
				       "<user><first_name>A</first_name>",
				    NULL, &r),
			 ROSTER_EPARSE);
	assert_non_null(strstr(roster_import_error_message(
				       r, roster_import_error_count(r) - 1),
			       "le fichier se termine avant la fermeture de "
			       "son élément racine"));
	roster_import_report_free(r);
	r = NULL;
	assert_int_equal(roster_directory_set_language(w->dir, ROSTER_LANG_CS),
			 ROSTER_OK);
	assert_int_equal(import_xml(w, "<other/>", NULL, &r), ROSTER_EPARSE);
	assert_string_equal(roster_import_error_message(
				    r, roster_import_error_count(r) - 1),
			    "soubor XML je chybně formátovaný nebo nepovolený "
			    "na řádku 1: kořenový prvek musí být <users "
			    "xmlns=\"urn:roster:users:1\">");
	roster_import_report_free(r);
	world_free(w);
}

/* A report made in one language renders each refusal in another as an
 * import made in that language says it. */
static void test_report_any_language(void **state)
{
	static const char *const files[] = {
		bad_rows,
		"first_name,last_name,email\r\nA,B,a@x.example\r\n"
		"\"C,D,c@x.example\r\n",
	};
	roster_import_report *r[ROSTER_LANG_COUNT];
	char buf[ROSTER_ERROR_MESSAGE_MAX], small[24];
	size_t f, i, n;
	int l, m;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		for (l = 0; l < ROSTER_LANG_COUNT; l++) {
			world *w = world_new(NULL);

			assert_int_equal(roster_directory_set_language(
						 w->dir, (roster_language)l),
					 ROSTER_OK);
			r[l] = NULL;
			assert_int_not_equal(import_csv(w, files[f], NULL,
							&r[l]),
					     ROSTER_OK);
			world_free(w);
		}
		n = roster_import_error_count(r[0]);
		assert_true(n > 0);
		for (i = 0; i < n; i++)
			for (l = 0; l < ROSTER_LANG_COUNT; l++)
				for (m = 0; m < ROSTER_LANG_COUNT; m++) {
					assert_int_equal(
						roster_import_error_message_in(
							r[l], i,
							(roster_language)m,
							buf, sizeof(buf)),
						ROSTER_OK);
					assert_string_equal(
						buf,
						roster_import_error_message(
							r[m], i));
				}
		/* cut between characters in a small buffer */
		assert_int_equal(roster_import_error_message_in(
					 r[0], 0, ROSTER_LANG_CS, small,
					 sizeof(small)),
				 ROSTER_OK);
		assert_true(strlen(small) < sizeof(small));
		assert_memory_equal(small, roster_import_error_message(r[2], 0),
				    strlen(small));
		/* past the end, and a language that is none */
		assert_int_equal(roster_import_error_message_in(
					 r[0], n, ROSTER_LANG_EN, buf,
					 sizeof(buf)),
				 ROSTER_EINVAL);
		assert_string_equal(buf, "");
		assert_int_equal(roster_import_error_message_in(
					 r[0], 0, (roster_language)7, buf,
					 sizeof(buf)),
				 ROSTER_EINVAL);
		for (l = 0; l < ROSTER_LANG_COUNT; l++)
			roster_import_report_free(r[l]);
	}
}

static void test_refusals(void **state)
{
	world *w = world_new(NULL);
	roster_import_report *r = (roster_import_report *)&r;
	roster_import_options o = opts_of(0, 0);
	src s = { "x", 1, 0, 7, 0 };

	(void)state;
	/* the actor: out of scope, and a plain user */
	assert_int_equal(import_text(w, &w->as_other_partner, w->account,
				     ROSTER_FORMAT_CSV, HEAD, NULL, &r),
			 ROSTER_EDENIED);
	assert_non_null(r);
	roster_import_report_free(r);
	assert_int_equal(import_text(w, &w->as_partner, w->pbx,
				     ROSTER_FORMAT_CSV, HEAD, NULL, &r),
			 ROSTER_ENOTFOUND);
	roster_import_report_free(r);
	/* an open transaction */
	assert_int_equal(roster_transaction_begin(w->dir), ROSTER_OK);
	assert_int_equal(import_csv(w, HEAD "A,B,c@x.example\n", NULL, &r),
			 ROSTER_EMISUSE);
	assert_err(w, ROSTER_EMISUSE, "txn.open");
	roster_import_report_free(r);
	assert_int_equal(roster_transaction_rollback(w->dir), ROSTER_OK);
	/* a failing read: ESTORAGE, nothing imported */
	s.s = HEAD "A,B,c@x.example\n";
	s.len = strlen(s.s);
	s.fail_at = (int)strlen(HEAD) + 7;
	assert_int_equal(roster_import(&r, w->dir, &w->as_partner, w->account,
				       ROSTER_FORMAT_CSV, src_read, &s, NULL),
			 ROSTER_ESTORAGE);
	assert_err(w, ROSTER_ESTORAGE, "import.read");
	assert_int_equal(login(w, "c@x.example"), 0);
	roster_import_report_free(r);
	s.pos = 0;
	s.s = "<users xmlns=\"urn:roster:users:1\"><user><first_name>A"
	      "</first_name></user></users>";
	s.len = strlen(s.s);
	s.fail_at = 21;
	assert_int_equal(roster_import(&r, w->dir, &w->as_partner, w->account,
				       ROSTER_FORMAT_XML, src_read, &s, NULL),
			 ROSTER_ESTORAGE);
	roster_import_report_free(r);
	/* options */
	o.version = 99;
	assert_int_equal(import_csv(w, HEAD, &o, &r), ROSTER_EVERSION);
	roster_import_report_free(r);
	o = opts_of(7, 0);
	assert_int_equal(import_csv(w, HEAD, &o, &r), ROSTER_EINVAL);
	assert_err(w, ROSTER_EINVAL, "arg.range");
	roster_import_report_free(r);
	/* a missing file */
	assert_int_equal(roster_import_file(&r, w->dir, &w->as_partner,
					    w->account, ROSTER_FORMAT_CSV,
					    "/nonexistent/users.csv", NULL),
			 ROSTER_ESTORAGE);
	assert_err(w, ROSTER_ESTORAGE, "import.open");
	roster_import_report_free(r);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* XML                                                                 */

static void test_xml_basic(void **state)
{
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!-- users of Acme -->\n"
		"<users xmlns=\"urn:roster:users:1\">\n"
		"  <user>\n"
		"    <first_name>Z\xC3\xA9lie</first_name>\n"
		"    <last_name>Fran&#231;ois &amp; Co</last_name>\n"
		"    <email>zelie@x.example</email>\n"
		"    <note><![CDATA[a <b> & \"c\"]]>\nd</note>\n"
		"    <pbx>Main PBX</pbx><extension>102</extension>\n"
		"    <lines><line>+33 1 22 33 44 55</line>"
		"<line>+33122334456</line></lines>\n"
		"    <statutory>true</statutory>\n"
		"  </user>\n"
		"  <user><first_name>No</first_name><last_name>Mail</last_name>"
		"</user>\n"
		"  <user>\n"
		"    <first_name>Tw</first_name><first_name>Ice</first_name>\n"
		"  </user>\n"
		"</users>\n";
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	roster_user *u;

	(void)state;
	if (import_xml(w, xml, &o, &r) != ROSTER_OK)
		fail_msg("%s", roster_error_message(roster_directory_error(w->dir)));
	assert_int_equal(roster_import_rows(r), 3);
	assert_int_equal(roster_import_created(r), 1);
	assert_int_equal(roster_import_error_count(r), 2);
	assert_refusal(r, 0, 14, "email", ROSTER_EINVALID, "field.required");
	assert_refusal(r, 1, 15, "first_name", ROSTER_EINVALID,
		       "import.twice");
	roster_import_report_free(r);
	assert_int_equal(roster_user_get(&u, w->dir, login(w, "zelie@x.example")),
			 ROSTER_OK);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_FIRST_NAME),
			    "Z\xC3\xA9lie");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_LAST_NAME),
			    "Fran\xC3\xA7ois & Co");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_NOTE),
			    "a <b> & \"c\"\nd");
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_PBX), w->pbx);
	assert_int_equal(roster_user_line_count(u), 2);
	assert_string_equal(roster_user_line(u, 0), "+33122334455");
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_STATUTORY), 1);
	roster_user_free(u);
	world_free(w);
}

/* Each <line> is one number as a single create takes it: an empty one
 * is refused as create refuses "", an indented one is read without its
 * white space, and a <lines/> with none leaves the user without lines. */
static void test_xml_line_items(void **state)
{
	const char *xml =
		"<users xmlns=\"urn:roster:users:1\">\n"
		"<user><first_name>An</first_name><last_name>Li</last_name>"
		"<email>an@x.example</email><lines>\n"
		"  <line>\n    +33 1 22 33 44 55\n  </line>\n"
		"  <line>+33122334456</line>\n</lines></user>\n"
		"<user><first_name>Bo</first_name><last_name>Li</last_name>"
		"<email>bo@x.example</email>"
		"<lines><line>+33122334457</line><line/></lines></user>\n"
		"<user><first_name>Cy</first_name><last_name>Li</last_name>"
		"<email>cy@x.example</email><lines><line> </line></lines>"
		"</user>\n"
		"<user><first_name>Di</first_name><last_name>Li</last_name>"
		"<email>di@x.example</email><lines/></user>\n"
		"</users>\n";
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;

	(void)state;
	assert_int_equal(import_xml(w, xml, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_rows(r), 4);
	assert_int_equal(roster_import_created(r), 2);
	assert_int_equal(roster_import_error_count(r), 2);
	assert_refusal(r, 0, 8, "lines", ROSTER_EINVALID, "phone.e164");
	assert_refusal(r, 1, 9, "lines", ROSTER_EINVALID, "phone.e164");
	roster_import_report_free(r);
	assert_lines(w, "an@x.example", 2,
		     (const char *const[]){ "+33122334455", "+33122334456" });
	assert_lines(w, "di@x.example", 0, NULL);
	world_free(w);
}

/* A file that is not UTF-8 where a password stands: the fault names the
 * line and the encoding, and quotes none of the bytes (libxml2 would). */
static void test_xml_bad_bytes_not_quoted(void **state)
{
	const char *xml =
		"<users xmlns=\"urn:roster:users:1\">\n"
		"<user><first_name>A</first_name><last_name>B</last_name>"
		"<email>a@x.example</email>\n"
		"<password>Secr\xE9t-\xE8\xE0z</password></user>\n"
		"</users>\n";
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	const char *m;

	(void)state;
	assert_int_equal(import_xml(w, xml, NULL, &r), ROSTER_EPARSE);
	assert_int_equal(roster_import_error_count(r), 1);
	assert_int_equal(roster_import_error_line(r, 0), 3);
	m = roster_import_error_message(r, 0);
	assert_non_null(strstr(m, "UTF-8"));
	assert_null(strstr(m, "0xE9"));
	assert_null(strstr(m, "Bytes"));
	roster_import_report_free(r);
	world_free(w);
}

static void xml_malformed(const char *xml, const char *rule)
{
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	char *before = snapshot_take(w->dir), *after;
	int rc = import_xml(w, xml, NULL, &r);

	if (rc != ROSTER_EPARSE)
		fail_msg("expected EPARSE for %.80s, got %d", xml, rc);
	assert_err(w, ROSTER_EPARSE, rule);
	assert_true(roster_import_error_count(r) >= 1);
	assert_true(roster_import_error_line(
			    r, roster_import_error_count(r) - 1) >= 1);
	assert_int_equal(roster_import_created(r), 0);
	after = snapshot_take(w->dir);
	snapshot_assert_equal(before, after, "malformed XML");
	assert_int_equal(w->nevents, 0);
	free(before);
	free(after);
	roster_import_report_free(r);
	world_free(w);
}

#define U1 "<user><first_name>A</first_name><last_name>B</last_name>" \
	   "<email>a@x.example</email></user>"

static void test_xml_malformed(void **state)
{
	(void)state;
	/* billion laughs */
	xml_malformed("<?xml version=\"1.0\"?>\n<!DOCTYPE users [\n"
		      "<!ENTITY a \"aaaaaaaaaa\">\n"
		      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
		      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
		      "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
		      "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
		      "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
		      "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
		      "]>\n<users xmlns=\"urn:roster:users:1\"><user>"
		      "<first_name>&g;</first_name></user></users>\n",
		      "import.xml");
	/* an external entity */
	xml_malformed("<?xml version=\"1.0\"?>\n"
		      "<!DOCTYPE users [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		      "<users xmlns=\"urn:roster:users:1\"><user>"
		      "<note>&x;</note></user></users>\n",
		      "import.xml");
	xml_malformed("<!DOCTYPE users SYSTEM \"http://example.invalid/u.dtd\">"
		      "<users xmlns=\"urn:roster:users:1\"/>",
		      "import.xml");
	/* an undeclared entity */
	xml_malformed("<users xmlns=\"urn:roster:users:1\"><user><note>&x;"
		      "</note></user></users>",
		      "import.xml");
	xml_malformed("<users xmlns=\"urn:roster:users:1\">" U1, "import.xml");
	xml_malformed("", "import.xml");
	xml_malformed("<users>" U1 "</users>", "import.xml");
	xml_malformed("<users xmlns=\"urn:roster:users:1\">" U1
		      "<person/></users>",
		      "import.xml");
	xml_malformed("<users xmlns=\"urn:roster:users:1\"><user>"
		      "<surname>X</surname></user></users>",
		      "import.column");
	xml_malformed("<users xmlns=\"urn:roster:users:1\"><user>"
		      "<note><b>X</b></note></user></users>",
		      "import.xml");
	xml_malformed("<users xmlns=\"urn:roster:users:1\">text</users>",
		      "import.xml");
	xml_malformed("<users xmlns=\"urn:roster:users:1\"><user>"
		      "<first_name>\xC3\x28</first_name></user></users>",
		      "import.xml");
}

/* The detail of the XML fault of `xml` (EPARSE, import.xml). */
static void xml_fault_says(const char *xml, const char *detail)
{
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	size_t n;

	assert_int_equal(import_xml(w, xml, NULL, &r), ROSTER_EPARSE);
	n = roster_import_error_count(r);
	assert_true(n >= 1);
	assert_string_equal(roster_import_error_rule(r, n - 1), "import.xml");
	if (!strstr(roster_import_error_message(r, n - 1), detail))
		fail_msg("%.60s: \"%s\", expected \"%s\"", xml,
			 roster_import_error_message(r, n - 1), detail);
	roster_import_report_free(r);
	world_free(w);
}

/* libxml2 reports a file cut short (its root not closed) and one holding
 * no element as content after the root: the fault says which it is. */
static void test_xml_cut_short(void **state)
{
	(void)state;
	xml_fault_says("", "no root element");
	xml_fault_says("<?xml version=\"1.0\"?>\n<!-- users -->\n",
		       "no root element");
	xml_fault_says("<users xmlns=\"urn:roster:users:1\">\n" U1 "\n",
		       "the file ends before its root element is closed");
	xml_fault_says("<users xmlns=\"urn:roster:users:1\">\n<user>"
		       "<first_name>A</first_name><last_name>B",
		       "the file ends before its root element is closed");
	/* content after the root is what libxml2 says it is */
	xml_fault_says("<users xmlns=\"urn:roster:users:1\">" U1 "</users>"
		       "<users xmlns=\"urn:roster:users:1\"/>",
		       "content after the root element");
	xml_fault_says("<users xmlns=\"urn:roster:users:1\"/>\n<x>",
		       "content after the root element");
}

/* The fault of `xml` in each language: its value (the English words),
 * and the message of an import made in each language. */
static void xml_fault_words(const char *xml, const char *value,
			    const char *fr, const char *cs)
{
	const char *says[ROSTER_LANG_COUNT];
	char buf[ROSTER_ERROR_MESSAGE_MAX];
	int l;

	says[ROSTER_LANG_EN] = value;
	says[ROSTER_LANG_FR] = fr;
	says[ROSTER_LANG_CS] = cs;
	for (l = 0; l < ROSTER_LANG_COUNT; l++) {
		world *w = world_new(NULL);
		roster_import_report *r = NULL;
		size_t n;
		const char *m;

		assert_int_equal(roster_directory_set_language(
					 w->dir, (roster_language)l),
				 ROSTER_OK);
		if (import_xml(w, xml, NULL, &r) != ROSTER_EPARSE)
			fail_msg("%.60s: not refused as malformed: %s", xml,
				 roster_error_message(
					 roster_directory_error(w->dir)));
		n = roster_import_error_count(r);
		assert_true(n >= 1);
		assert_string_equal(roster_import_error_rule(r, n - 1),
				    "import.xml");
		assert_string_equal(roster_import_error_value(r, n - 1), value);
		m = roster_import_error_message(r, n - 1);
		if (!strstr(m, says[l]))
			fail_msg("%.60s: \"%s\", expected \"%s\"", xml, m,
				 says[l]);
		/* and rendered from a report of another language */
		assert_int_equal(roster_import_error_message_in(
					 r, n - 1,
					 (roster_language)((l + 1) %
							   ROSTER_LANG_COUNT),
					 buf, sizeof(buf)),
				 ROSTER_OK);
		assert_non_null(strstr(buf, says[(l + 1) % ROSTER_LANG_COUNT]));
		roster_import_report_free(r);
		world_free(w);
	}
}

#define USERS "<users xmlns=\"urn:roster:users:1\">"

/* libxml2's errors are said in roster's words, in the handle's language,
 * with the names they concern from the file and none of libxml2's own
 * (English) words. */
static void test_xml_fault_words(void **state)
{
	char xml[512], value[160];
	const char *long_name =
		"a_very_long_element_name_that_goes_on_and_on_and_on_x";

	(void)state;
	xml_fault_words(USERS "<user><first_name>A</last_name></user></users>",
			"an element is closed by another element's tag: "
			"<first_name>, </last_name>",
			"un élément est fermé par la balise d'un autre élément "
			": <first_name>, </last_name>",
			"prvek je uzavřen značkou jiného prvku: <first_name>, "
			"</last_name>");
	xml_fault_words(USERS "<user a=\"1\" a=\"2\"/></users>",
			"an attribute is given twice: a",
			"un attribut est donné deux fois : a",
			"atribut je uveden dvakrát: a");
	xml_fault_words(USERS "<user a/></users>", "an attribute has no value: a",
			"un attribut n'a pas de valeur : a",
			"atribut nemá hodnotu: a");
	xml_fault_words(USERS "<user a=1/></users>",
			"an attribute value is not in quotes",
			"la valeur d'un attribut n'est pas entre guillemets",
			"hodnota atributu není v uvozovkách");
	xml_fault_words(USERS "<user a=\"<\"/></users>",
			"'<' inside an attribute value",
			"'<' dans la valeur d'un attribut",
			"'<' uvnitř hodnoty atributu");
	xml_fault_words(USERS "<1user/></users>",
			"a tag or attribute name is not valid",
			"un nom de balise ou d'attribut n'est pas valide",
			"název značky nebo atributu není platný");
	xml_fault_words(USERS "<user><note>&x;</note></user></users>",
			"an entity reference is not allowed: &x;",
			"une référence d'entité n'est pas autorisée : &x;",
			"odkaz na entitu není povolen: &x;");
	xml_fault_words(USERS "<user><note>&amp</note></user></users>",
			"an '&' that starts no reference (write &amp;)",
			"un '&' qui ne commence aucune référence (écrire &amp;)",
			"znak '&', kterým nezačíná žádný odkaz (pište &amp;)");
	xml_fault_words(USERS "<user><note>&#65</note></user></users>",
			"a character reference is not valid",
			"une référence de caractère n'est pas valide",
			"odkaz na znak není platný");
	xml_fault_words(USERS "<user><note>\x01</note></user></users>",
			"a character that XML does not allow",
			"un caractère que XML n'autorise pas",
			"znak, který XML nepovoluje");
	xml_fault_words(USERS "<user><note>&#0;</note></user></users>",
			"a character that XML does not allow",
			"un caractère que XML n'autorise pas",
			"znak, který XML nepovoluje");
	xml_fault_words(USERS "<user><note>\xC3\x28</note></user></users>",
			"the text is not valid UTF-8",
			"le texte n'est pas de l'UTF-8 valide",
			"text není platné UTF-8");
	xml_fault_words(USERS "<user><!-- a -- b --></user></users>",
			"'--' inside a comment", "'--' dans un commentaire",
			"'--' uvnitř komentáře");
	xml_fault_words(USERS "<user><note>a]]>b</note></user></users>",
			"']]>' in text", "']]>' dans le texte", "']]>' v textu");
	xml_fault_words(" <?xml version=\"1.0\"?>" USERS "</users>",
			"the XML declaration must begin the file",
			"la déclaration XML doit commencer le fichier",
			"deklarace XML musí stát na začátku souboru");
	xml_fault_words("<?xml version=\"2.0\"?>" USERS "</users>",
			"the XML declaration is malformed",
			"la déclaration XML est mal formée",
			"deklarace XML je chybně zapsaná");
	/* libxml2 takes a bare '&' for a missing name */
	xml_fault_words(USERS "<user><last_name>Smith & Sons</last_name></user>"
			"</users>",
			"an '&' that starts no reference (write &amp;)",
			"un '&' qui ne commence aucune référence (écrire &amp;)",
			"znak '&', kterým nezačíná žádný odkaz (pište &amp;)");
	/* an end tag of no name: libxml2's word for it is not quoted */
	xml_fault_words(USERS "<user></></user></users>",
			"an element is closed by another element's tag",
			"un élément est fermé par la balise d'un autre élément",
			"prvek je uzavřen značkou jiného prvku");
	xml_fault_words(USERS "<user x:a=\"1\" x:a=\"2\" xmlns:x=\"u\"/></users>",
			"an attribute is given twice: x:a",
			"un attribut est donné deux fois : x:a",
			"atribut je uveden dvakrát: x:a");
	xml_fault_words(USERS "<user a=\"1\"b=\"2\"/></users>",
			"a space is missing", "un espace manque", "chybí mezera");
	xml_fault_words(USERS "<user><? x?></user></users>",
			"a processing instruction has no name",
			"une instruction de traitement n'a pas de nom",
			"instrukce pro zpracování nemá název");
	xml_fault_words("<?xml version \"1.0\"?>" USERS "</users>",
			"the XML declaration is malformed",
			"la déclaration XML est mal formée",
			"deklarace XML je chybně zapsaná");
	xml_fault_words(USERS "<user", "a tag is not closed by '>': <user",
			"une balise n'est pas fermée par '>' : <user",
			"značka není uzavřena znakem '>': <user");
	/* a long name is cut on a character boundary, past 32 bytes: the
	 * "ž" at bytes 31-32 goes whole */
	snprintf(xml, sizeof(xml),
		 USERS "<user><first_name>x</%.31sž%s></user></users>",
		 long_name, long_name);
	snprintf(value, sizeof(value),
		 "an element is closed by another element's tag: "
		 "<first_name>, </%.31s...>",
		 long_name);
	xml_fault_words(xml, value,
			"un élément est fermé par la balise d'un autre élément",
			"prvek je uzavřen značkou jiného prvku");
}

/*
 * Bytes that libxml2 takes for another encoding as it makes the reader
 * (UCS-4 in unusual orders) or cannot convert: the fault names what
 * libxml2 said, on a line, and nothing is printed. libxml2 printed these
 * on the process's standard error, the reader's handler not being set
 * yet.
 */
static void test_xml_prints_nothing(void **state)
{
	static const char *const starts[] = {
		"\x3C\x00\x00\x00<users/>", "\x00\x00\x3C\x00<users/>",
		"\x00\x3C\x00\x00<users/>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		world *w = world_new(NULL);
		roster_import_report *r = NULL;
		src s = { starts[i], 12, 0, 7, -1 };
		FILE *err = tmpfile();
		int saved, rc;
		long printed;

		assert_non_null(err);
		fflush(stderr);
		saved = dup(2);
		assert_true(saved >= 0);
		assert_true(dup2(fileno(err), 2) >= 0);
		rc = roster_import(&r, w->dir, &w->as_partner, w->account,
				   ROSTER_FORMAT_XML, src_read, &s, NULL);
		fflush(stderr);
		assert_true(dup2(saved, 2) >= 0);
		close(saved);
		printed = ftell(err);
		fclose(err);
		assert_int_equal(rc, ROSTER_EPARSE);
		assert_refusal(r, roster_import_error_count(r) - 1, 1, "",
			       ROSTER_EPARSE, "import.xml");
		if (printed)
			fail_msg("start %zu: %ld bytes printed", i, printed);
		roster_import_report_free(r);
		world_free(w);
	}
}

/* A document of `n` users, each followed by `per` lines of 1000 bytes
 * (a comment, or spaces before an empty comment: `spaces`), or with
 * them after the first user alone (malloc'd). */
static char *commented(size_t n, size_t per, int after_first, int spaces)
{
	char *doc = malloc(n * (per * 1000 + 200) + 100), *at = doc;
	size_t i, k;

	assert_non_null(doc);
	at += sprintf(at, "<users xmlns=\"urn:roster:users:1\">\n");
	for (i = 0; i < n; i++) {
		at += sprintf(at, "<user><first_name>A</first_name><last_name>"
				  "B</last_name><email>u%zu@x.example</email>"
				  "</user>\n",
			      i);
		for (k = 0; (!after_first || i == 0) && k < per; k++) {
			if (spaces) {
				memset(at, ' ', 992);
				at += 992;
				at += sprintf(at, "<!---->\n");
				continue;
			}
			at += sprintf(at, "<!-- ");
			memset(at, 'c', 990);
			at += 990;
			at += sprintf(at, " -->\n");
		}
	}
	strcpy(at, "</users>\n");
	return doc;
}

/* The import of `doc` stops on `line` as more than 1 MiB came between
 * two tags. */
static void too_much_between(world *w, const char *doc, unsigned long line)
{
	roster_import_options o = opts_of(ROSTER_IMPORT_ALL_OR_NOTHING, 1);
	roster_import_report *r = NULL;
	size_t n;

	assert_int_equal(import_xml(w, doc, &o, &r), ROSTER_EPARSE);
	n = roster_import_error_count(r);
	assert_refusal(r, n - 1, line, "", ROSTER_EPARSE, "import.xml");
	assert_non_null(strstr(roster_import_error_message(r, n - 1),
			       "more than 1 MiB between two tags"));
	roster_import_report_free(r);
}

/*
 * libxml2's push parser keeps what it reads until the next tag: a file
 * of comments (or of white space between empty comments, or processing
 * instructions) took two to three times its size in memory (218 MB for
 * 100 MB of comments), and a tag's attributes are read whole. More than
 * 1 MiB between two tags stops the import, on the line where the scan
 * stopped; comments between the users, however many in all, do not.
 */
static void test_xml_between_tags(void **state)
{
	roster_import_options o = opts_of(ROSTER_IMPORT_ALL_OR_NOTHING, 1);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	char *doc, *at;

	(void)state;
	/* 1,100 lines of 1000 bytes after the first user's line (2): the
	 * 1,049th passes 1 MiB, on line 1,051 */
	doc = commented(2, 1100, 1, 0);
	too_much_between(w, doc, 1051);
	free(doc);
	doc = commented(2, 1100, 1, 1);
	too_much_between(w, doc, 1051);
	free(doc);
	/* an attribute's value of 1.5 MiB */
	doc = malloc(1600 * 1024);
	assert_non_null(doc);
	at = doc + sprintf(doc, "<users xmlns=\"urn:roster:users:1\">\n"
				"<user a=\"");
	memset(at, 'v', 1500 * 1024);
	strcpy(at + 1500 * 1024, "\"/></users>\n");
	too_much_between(w, doc, 2);
	free(doc);
	/* 1,000 comments between two tags, 4,000 in the file */
	doc = commented(4, 1000, 0, 0);
	assert_int_equal(import_xml(w, doc, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_rows(r), 4);
	roster_import_report_free(r);
	free(doc);
	world_free(w);
}

/* A tag of more than 32 attributes is refused before libxml2, which
 * compares a tag's attributes pair by pair, sees it whole (40,000 took
 * 11 s); '=' in comments and quoted values is not counted. Read 7 bytes
 * at a time, so the scan spans reads. */
static void test_xml_attributes(void **state)
{
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	char doc[4096], *at = doc;
	int i;

	(void)state;
	at += sprintf(at, "<?xml version=\"1.0\"?>\n<!-- <x");
	for (i = 0; i < 40; i++)
		at += sprintf(at, " c%d=1", i);
	at += sprintf(at, "> -->\n<users xmlns=\"urn:roster:users:1\"");
	for (i = 1; i < 32; i++)
		at += sprintf(at, " a%d=\"=>%d='\"", i, i);
	sprintf(at, ">\n\n<user>\n<first_name>A</first_name><last_name>B"
		    "</last_name><email>a@x.example</email></user></users>\n");
	assert_int_equal(import_xml(w, doc, NULL, &r), 0);
	assert_int_equal(roster_import_created(r), 1);
	roster_import_report_free(r);
	r = NULL;
	/* on the second user, on line 6, more than 32: refused before
	 * libxml2 reads them (a user may have none: test_xml_no_names) */
	at = strstr(doc, "</user></users>") + strlen("</user>");
	sprintf(at, "\n<user a0=\"1\"");
	at += strlen(at);
	for (i = 1; i <= 32; i++)
		at += sprintf(at, "\n a%d=\"1\"", i);
	sprintf(at, "/></users>\n");
	xml_malformed(doc, "import.xml");
	world_free(w);
	w = world_new(NULL);
	assert_int_equal(import_xml(w, doc, NULL, &r), ROSTER_EPARSE);
	assert_int_equal(roster_import_error_count(r), 1);
	assert_int_equal(roster_import_error_line(r, 0), 7);
	assert_non_null(strstr(roster_import_error_message(r, 0),
			       "too many attributes"));
	roster_import_report_free(r);
	r = NULL;
	/* nor through a DOCTYPE's attribute defaults, which libxml2 would
	 * add to the root tag the same way: a DOCTYPE is refused on its
	 * line as it is read, before its subset is parsed */
	at = doc + sprintf(doc, "<?xml version=\"1.0\"?>\n<!DOCTYPE users [\n");
	for (i = 0; i < 40; i++)
		at += sprintf(at, "<!ATTLIST users a%d CDATA \"1\">\n", i);
	sprintf(at, "]>\n<users xmlns=\"urn:roster:users:1\"/>\n");
	assert_int_equal(import_xml(w, doc, NULL, &r), ROSTER_EPARSE);
	assert_int_equal(roster_import_error_count(r), 1);
	assert_int_equal(roster_import_error_line(r, 0), 2);
	assert_non_null(strstr(roster_import_error_message(r, 0),
			       "DOCTYPE"));
	roster_import_report_free(r);
	world_free(w);
}

/* Import an XML document that is malformed (ROSTER_EPARSE); `buf` gets the
 * message of its last refusal in `lang`. */
static void refused_in(world *w, const char *doc, int lang, char *buf,
		       size_t size)
{
	roster_import_report *r = NULL;

	assert_int_equal(import_xml(w, doc, NULL, &r), ROSTER_EPARSE);
	assert_int_equal(roster_import_error_message_in(
				 r, roster_import_error_count(r) - 1, lang, buf,
				 size),
			 ROSTER_OK);
	roster_import_report_free(r);
}

/*
 * libxml2 keeps every name it reads until the end of the parse: a file
 * of a million distinct attribute names or instruction targets grew the
 * import's memory with its length, then failed as out of memory when
 * libxml2's table of names was full. The format has neither (but the
 * root's attributes, a few): the first stops the import, on its line.
 */
static void test_xml_no_names(void **state)
{
	static const struct {
		const char *doc;
		unsigned long line;
		const char *says;
	} cases[] = {
		{ "<?xml version=\"1.0\"?>\n<?pi x?>\n" USERS "</users>", 2,
		  "a processing instruction is not allowed" },
		{ USERS "\n<user><note>a<?t1 ?>b</note></user></users>", 2,
		  "a processing instruction is not allowed" },
		{ USERS "\n</users>\n<?t ?>", 3,
		  "a processing instruction is not allowed" },
		{ USERS "\n<user a0=\"1\"/></users>", 2,
		  "only <users> has attributes" },
		{ USERS "\n<user>\n<note a0000000000000000000001=''/></user>"
			"</users>",
		  3, "only <users> has attributes" },
		{ USERS "\n<user xmlns=\"urn:roster:users:1\"/></users>", 2,
		  "only <users> has attributes" },
		{ "<u:users xmlns:u=\"urn:roster:users:1\">\n<u:user>"
		  "<u:first_name xmlns:p1=\"x\">A</u:first_name></u:user>"
		  "</u:users>",
		  2, "only <users> has attributes" },
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		world *w = world_new(NULL);
		roster_import_report *r = NULL;
		char *before = snapshot_take(w->dir), *after;

		assert_int_equal(import_xml(w, cases[i].doc, NULL, &r),
				 ROSTER_EPARSE);
		n = roster_import_error_count(r);
		assert_refusal(r, n - 1, cases[i].line, "", ROSTER_EPARSE,
			       "import.xml");
		assert_string_equal(roster_import_error_value(r, n - 1),
				    cases[i].says);
		assert_int_equal(roster_import_created(r), 0);
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "name refused");
		free(before);
		free(after);
		roster_import_report_free(r);
		world_free(w);
	}
	/* in French and Czech too */
	{
		world *w = world_new(NULL);
		char buf[ROSTER_ERROR_MESSAGE_MAX];

		refused_in(w, cases[0].doc, ROSTER_LANG_FR, buf, sizeof(buf));
		assert_non_null(strstr(buf, "une instruction de traitement "
					    "n'est pas autorisée"));
		refused_in(w, cases[3].doc, ROSTER_LANG_CS, buf, sizeof(buf));
		assert_non_null(strstr(buf, "atributy má jen <users>"));
		world_free(w);
	}
}

/* A line break inside quotes counts as one line whichever it is (CR,
 * LF or CRLF), as between records: the next row's line is right. */
static void test_csv_quoted_breaks(void **state)
{
	static const char *const breaks[] = { "\n", "\r", "\r\n" };
	roster_import_options o = opts_of(ROSTER_IMPORT_ALL_OR_NOTHING, 1);
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		const char *nl = breaks[i];
		char csv[256];
		world *w = world_new(NULL);
		roster_import_report *r = NULL;

		snprintf(csv, sizeof(csv),
			 "first_name,last_name,email,note%s"
			 "Ann,Lee,ann@x.example,\"one%stwo%s%sthree\"%s"
			 "Bo,Li,bad-address,%s",
			 nl, nl, nl, nl, nl, nl);
		assert_int_equal(import_csv(w, csv, &o, &r), ROSTER_EINVALID);
		assert_int_equal(roster_import_error_count(r), 1);
		/* Ann's note spans lines 2 to 5 (one empty) */
		assert_refusal(r, 0, 6, "email", ROSTER_EINVALID,
			       "email.syntax");
		roster_import_report_free(r);
		world_free(w);
	}
}

/* In XML too, LF, CR and CR LF each end a line (XML 1.0 reads them all
 * as LF), although libxml2 counts the LFs alone: the lines of rows and
 * of faults count each break once, and a note's text holds an LF. */
static void test_xml_line_breaks(void **state)
{
	static const char *const breaks[] = { "\n", "\r", "\r\n" };
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		const char *nl = breaks[i];
		char xml[512];
		world *w = world_new(NULL);
		roster_import_report *r = NULL;
		roster_user *u;

		snprintf(xml, sizeof(xml),
			 "<?xml version=\"1.0\"?>%s"
			 "<!-- users%sof Acme -->%s"
			 "<users xmlns=\"urn:roster:users:1\">%s"
			 "<user><first_name>Ann</first_name><last_name>Lee"
			 "</last_name><email>ann@x.example</email><note>one%s"
			 "two</note></user>%s"
			 "<user><first_name>Bo</first_name><last_name>Li"
			 "</last_name>%s<email>bad-address</email></user>%s"
			 "</users>%s",
			 nl, nl, nl, nl, nl, nl, nl, nl, nl);
		assert_int_equal(import_xml(w, xml, &o, &r), ROSTER_OK);
		assert_int_equal(roster_import_created(r), 1);
		assert_int_equal(roster_import_error_count(r), 1);
		/* Bo's <user> is on line 7 */
		assert_refusal(r, 0, 7, "email", ROSTER_EINVALID,
			       "email.syntax");
		roster_import_report_free(r);
		assert_int_equal(roster_user_get(&u, w->dir,
						 login(w, "ann@x.example")),
				 ROSTER_OK);
		assert_string_equal(roster_user_str(u, ROSTER_FIELD_NOTE),
				    "one\ntwo");
		roster_user_free(u);

		/* a fault of the file on line 4 */
		snprintf(xml, sizeof(xml),
			 "<users xmlns=\"urn:roster:users:1\">%s<user>%s%s"
			 "<first_name>A</last_name>%s</user></users>%s",
			 nl, nl, nl, nl, nl);
		assert_int_equal(import_xml(w, xml, NULL, &r), ROSTER_EPARSE);
		assert_int_equal(roster_import_error_line(
					 r, roster_import_error_count(r) - 1),
				 4);
		roster_import_report_free(r);
		world_free(w);
	}
}

/* Past line 65,535 (where libxml2's node lines stop), a row's refusal
 * still names its line. */
static void test_xml_big_lines(void **state)
{
	roster_import_options o = opts_of(ROSTER_IMPORT_ALL_OR_NOTHING, 1);
	const char *head = "<users xmlns=\"urn:roster:users:1\">";
	const char *bad = "<user><first_name>A</first_name><last_name>B"
			  "</last_name><email>bad</email></user></users>\n";
	size_t n = 70000, hl = strlen(head), bl = strlen(bad);
	char *xml = malloc(hl + n + bl + 1);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;

	(void)state;
	assert_non_null(xml);
	memcpy(xml, head, hl);
	memset(xml + hl, '\n', n);
	memcpy(xml + hl + n, bad, bl + 1);
	assert_int_equal(import_xml(w, xml, &o, &r), ROSTER_EINVALID);
	assert_refusal(r, 0, n + 1, "email", ROSTER_EINVALID, "email.syntax");
	roster_import_report_free(r);
	world_free(w);
	free(xml);
}

/* ------------------------------------------------------------------ */
/* Export and the round trip                                           */

static roster_id make_user(world *w, const char *first, const char *last,
			   const char *email, const char *note, int with_pbx,
			   const char *ext, const char *line, int admin)
{
	roster_form *f;
	roster_id id;
	const char *lines[1];

	assert_int_equal(roster_form_new(&f, w->dir), ROSTER_OK);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, first);
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, last);
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
	roster_form_set_str(f, ROSTER_FIELD_NOTE, note);
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, admin);
	if (with_pbx) {
		roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
		roster_form_set_str(f, ROSTER_FIELD_EXTENSION, ext);
		roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
		roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group);
		roster_form_set_str(f, ROSTER_FIELD_DISPLAY_NAME, "Front desk");
		roster_form_set_str(f, ROSTER_FIELD_PHONE, "+420 123 456 789");
		roster_form_set_bool(f, ROSTER_FIELD_TWO_FACTOR, 1);
	}
	if (line) {
		lines[0] = line;
		roster_form_set_lines(f, lines, 1);
	}
	roster_form_set_str(f, ROSTER_FIELD_PASSWORD, "Secret-pass-1");
	if (roster_user_create(&id, w->dir, &w->as_partner, w->account, f))
		fail_msg("%s", roster_error_message(roster_directory_error(w->dir)));
	roster_form_free(f);
	return id;
}

/* The users of an account, rendered field by field, references by name. */
static char *render_users(world *w, roster_id account)
{
	roster_page *p;
	size_t i, len = 0;
	char *out = calloc(1, 1);
	int f;

	assert_int_equal(roster_list(&p, w->dir, account, ROSTER_KIND_USER,
				     NULL, ROSTER_PAGE_MAX),
			 ROSTER_OK);
	for (i = 0; i < roster_page_count(p); i++) {
		roster_user *u;
		char line[4096];
		size_t n = 0, k;

		assert_int_equal(roster_user_get(&u, w->dir, roster_page_id(p, i)),
				 ROSTER_OK);
		for (f = 1; f < ROSTER_FIELD_END; f++) {
			const char *v = "";
			roster_record *rec = NULL;

			if (f == ROSTER_FIELD_PASSWORD ||
			    f == ROSTER_FIELD_LINES)
				continue;
			switch (roster_field_type(f)) {
			case ROSTER_TYPE_STRING:
				v = roster_user_str(u, f);
				break;
			case ROSTER_TYPE_BOOL:
				v = roster_user_bool(u, f) ? "1" : "0";
				break;
			default:
				if (roster_user_ref(u, f)) {
					assert_int_equal(
						roster_record_get(
							&rec, w->dir,
							roster_user_ref(u, f)),
						ROSTER_OK);
					v = roster_record_name(rec);
				}
			}
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      "%s=%s|", roster_field_name(f),
					      v ? v : "(null)");
			roster_record_free(rec);
		}
		for (k = 0; k < roster_user_line_count(u); k++)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      "line=%s|", roster_user_line(u, k));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\n");
		out = realloc(out, len + n + 1);
		memcpy(out + len, line, n + 1);
		len += n;
		roster_user_free(u);
	}
	roster_page_free(p);
	return out;
}

static void round_trip(int format)
{
	world *w = world_new(NULL), *w2 = world_new(NULL);
	roster_form *f;
	roster_id acc2, id;
	roster_import_report *r = NULL;
	sink out = { NULL, 0, 0 };
	char *a, *b;

	make_user(w, "Ren\xC3\xA9", "O'Brien \"Bob\"", "rene@acme.example",
		  "line one, with a comma\nline \"two\"; <three> & four", 1,
		  "110", "+33144445555", 0);
	make_user(w, "\xC5\xBD" "ofie", "\xC4\x8C" "ern\xC3\xA1", "zofie@acme.example",
		  NULL, 0, NULL, NULL, 1);
	make_user(w, "Plain", "User", "plain@acme.example", "x", 1, "111",
		  NULL, 0);
	/* what a spreadsheet would run as formulas, and apostrophes */
	make_user(w, "=1+2", "@SUM(A1)", "formula@acme.example",
		  "-2+3+cmd|' /C calc'!A0", 0, NULL, NULL, 0);
	make_user(w, "-1-2", "+1 2", "comma@acme.example",
		  "=SUM(1,2) \"quoted\"\nand a second line", 0, NULL, NULL, 0);
	make_user(w, "'=kept", "'plain", "quote@acme.example", "+A1", 0, NULL,
		  NULL, 0);
	/* the second account, in a second directory (logins are unique
	 * across a directory), with sites, PBXes and groups of the same
	 * names; its own admin moves out of the way of the first's login */
	assert_int_equal(roster_account_create(&acc2, w2->dir, &w2->as_partner,
					       w2->partner, "Acme Two"),
			 ROSTER_OK);
	assert_int_equal(roster_group_create(&id, w2->dir, &w2->as_partner,
					     acc2, "Sales"),
			 ROSTER_OK);
	assert_int_equal(roster_site_create(&id, w2->dir, &w2->as_partner, acc2,
					    "Paris"),
			 ROSTER_OK);
	assert_int_equal(roster_pbx_create(&id, w2->dir, &w2->as_partner, acc2,
					   "Main PBX", 3, 4),
			 ROSTER_OK);
	assert_int_equal(roster_form_new(&f, w2->dir), ROSTER_OK);
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "ada@elsewhere.example");
	assert_int_equal(roster_user_update(w2->dir, &w2->system, w2->admin, f),
			 ROSTER_OK);
	roster_form_free(f);
	assert_int_equal(roster_export(w->dir, &w->as_admin, w->account, format,
				       sink_write, &out),
			 ROSTER_OK);
	assert_non_null(out.buf);
	/* secrets never leave */
	assert_null(strstr(out.buf, "password"));
	assert_null(strstr(out.buf, "Secret-pass-1"));

	a = render_users(w, w->account);
	if (import_text(w2, &w2->as_partner, acc2, format, out.buf, NULL, &r))
		fail_msg("%s: %s", roster_import_error_message(r, 0), out.buf);
	assert_int_equal(roster_import_error_count(r), 0);
	assert_int_equal(roster_import_created(r), 7);
	roster_import_report_free(r);
	if (format == ROSTER_FORMAT_CSV) {
		/* formulas written as text, numbers as they are */
		assert_non_null(strstr(out.buf, "'=1+2,"));
		assert_non_null(strstr(out.buf, ",'@SUM(A1),"));
		assert_non_null(strstr(out.buf, "'-2+3+cmd|"));
		assert_non_null(strstr(out.buf, "''=kept,"));
		assert_non_null(strstr(out.buf, ",'plain,"));
		assert_non_null(strstr(out.buf, ",'+A1,"));
		assert_non_null(strstr(out.buf, ",+420123456789,"));
		assert_non_null(strstr(out.buf, ",+33144445555"));
		/* a sign and digits with other signs is a sum; the apostrophe
		 * of a quoted field is inside its quotes */
		assert_non_null(strstr(out.buf, "'-1-2,+1 2,"));
		assert_non_null(strstr(out.buf, ",\"'=SUM(1,2) \"\"quoted\"\""));
	}
	b = render_users(w2, acc2);
	if (strcmp(a, b) != 0)
		fail_msg("round trip differs:\n%s\n---\n%s\n---\n%s", a, b,
			 out.buf);
	free(a);
	free(b);
	free(out.buf);
	world_free(w2);
	world_free(w);
}

/* The fields only roster or the host set (registered, cloud, iot) are
 * not exported: the partner's own export imports again, in each format,
 * although the host set cloud and IoT on a user. */
static void test_export_host_fields(void **state)
{
	int format;

	(void)state;
	for (format = ROSTER_FORMAT_CSV; format <= ROSTER_FORMAT_XML;
	     format++) {
		world *w = world_new(NULL), *w2 = world_new(NULL);
		roster_import_report *r = NULL;
		sink out = { NULL, 0, 0 };
		roster_form *f;
		roster_id u, acc2;

		u = make_user(w, "Hosted", "User", "hosted@acme.example", NULL, 0,
			      NULL, NULL, 0);
		assert_int_equal(roster_form_new(&f, w->dir), ROSTER_OK);
		roster_form_set_bool(f, ROSTER_FIELD_CLOUD, 1);
		roster_form_set_bool(f, ROSTER_FIELD_IOT, 1);
		assert_int_equal(roster_user_update(w->dir, &w->system, u, f),
				 ROSTER_OK);
		roster_form_free(f);
		assert_int_equal(roster_export(w->dir, &w->as_partner,
					       w->account, format, sink_write,
					       &out),
				 ROSTER_OK);
		assert_null(strstr(out.buf, "cloud>"));
		assert_null(strstr(out.buf, ",cloud"));
		assert_null(strstr(out.buf, "iot"));
		assert_null(strstr(out.buf, "registered"));
		assert_int_equal(roster_account_create(&acc2, w2->dir,
						       &w2->as_partner,
						       w2->partner, "Copy"),
				 ROSTER_OK);
		/* w2's admin has w's admin's login: best effort skips it */
		assert_int_equal(
			import_text(w2, &w2->as_partner, acc2, format, out.buf,
				    NULL, &r),
			ROSTER_EINVALID);
		assert_int_equal(roster_import_error_count(r), 1);
		assert_string_equal(roster_import_error_rule(r, 0),
				    "email.unique");
		roster_import_report_free(r);
		free(out.buf);
		world_free(w2);
		world_free(w);
	}
}

/* The same fields are columns an import takes from the host alone: a row
 * of anyone else setting one is refused in that column, a 0 (what a new
 * user has) is no change; the system's import sets them. */
static void test_import_host_fields(void **state)
{
	static const char csv[] =
		"first_name,last_name,email,registered,cloud,iot\n"
		"A,One,a1@acme.example,,1,\n"
		"A,Two,a2@acme.example,,,1\n"
		"A,Three,a3@acme.example,1,,\n"
		"A,Four,a4@acme.example,0,0,0\n";
	world *w = world_new(NULL);
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	roster_import_report *r = NULL;
	roster_user *u;
	roster_id id;

	(void)state;
	assert_int_equal(import_csv(w, csv, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_error_count(r), 3);
	assert_refusal(r, 0, 2, "cloud", ROSTER_EDENIED, "auth.readonly");
	assert_refusal(r, 1, 3, "iot", ROSTER_EDENIED, "auth.readonly");
	assert_refusal(r, 2, 4, "registered", ROSTER_EDENIED, "auth.readonly");
	assert_int_equal(roster_import_created(r), 1);
	roster_import_report_free(r);
	r = NULL;

	assert_int_equal(import_text(w, &w->system, w->account,
				     ROSTER_FORMAT_CSV, csv, &o, &r),
			 ROSTER_OK);
	/* only the row the partner imported is refused, as a duplicate */
	assert_int_equal(roster_import_error_count(r), 1);
	assert_refusal(r, 0, 5, "email", ROSTER_EEXISTS, "email.unique");
	roster_import_report_free(r);
	assert_int_equal(roster_user_find_login(&id, w->dir, "a1@acme.example"),
			 ROSTER_OK);
	assert_int_equal(roster_user_get(&u, w->dir, id), ROSTER_OK);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_CLOUD), 1);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_IOT), 0);
	roster_user_free(u);
	world_free(w);
}

/* The products a user holds, "" for none, " "-separated. */
static const char *products_of(world *w, roster_id id)
{
	static char buf[256];
	roster_user *u;
	size_t i, n = 0;

	buf[0] = '\0';
	assert_int_equal(roster_user_get(&u, w->dir, id), ROSTER_OK);
	for (i = 0; i < roster_user_product_count(u); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? " " : "", roster_user_product(u, i));
	roster_user_free(u);
	return buf;
}

/*
 * The "products" column: each id of the catalog, as many as the account
 * has available (counted across the rows), the user created holding
 * them in one change; refused otherwise with the column and the rule.
 */
static void test_products_column(void **state)
{
	const char *csv = "first_name,last_name,email,products\n"
			  "A,One,a1@x.example,meetings\n"
			  "B,Two,b2@x.example,meetings  meetings\n"
			  "C,Three,c3@x.example,meetings\n"
			  "D,Four,d4@x.example,\n"
			  "E,Five,e5@x.example,nosuch\n";
	roster_import_options o = opts_of(ROSTER_IMPORT_ALL_OR_NOTHING, 0);
	world *w = world_new(NULL);
	roster_import_report *r = NULL;
	size_t bought = 0, used = 0;

	(void)state;
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 2),
			 ROSTER_OK);
	assert_int_equal(import_csv(w, csv, &o, &r), ROSTER_EINVALID);
	assert_int_equal(roster_import_error_count(r), 2);
	assert_refusal(r, 0, 4, "products", ROSTER_EPOLICY,
		       "product.none_available");
	/* worded as roster_product_assign words it: needed > available */
	assert_non_null(strstr(roster_import_error_message(r, 0), "1 > 0"));
	assert_refusal(r, 1, 6, "products", ROSTER_EINVALID,
		       "product.unknown");
	assert_int_equal(login(w, "a1@x.example"), 0);
	roster_import_report_free(r);
	assert_int_equal(roster_product_counts(w->dir, &w->as_admin, w->account,
					       "meetings", &bought, &used),
			 ROSTER_OK);
	assert_int_equal(used, 0);

	o.mode = ROSTER_IMPORT_BEST_EFFORT;
	world_events_clear(w);
	assert_int_equal(import_csv(w, csv, &o, &r), ROSTER_OK);
	assert_int_equal(roster_import_created(r), 3);
	roster_import_report_free(r);
	assert_string_equal(products_of(w, login(w, "a1@x.example")),
			    "meetings");
	assert_string_equal(products_of(w, login(w, "b2@x.example")),
			    "meetings");
	assert_string_equal(products_of(w, login(w, "d4@x.example")), "");
	assert_int_equal(login(w, "c3@x.example"), 0);
	assert_int_equal(roster_product_counts(w->dir, &w->as_admin, w->account,
					       "meetings", &bought, &used),
			 ROSTER_OK);
	assert_int_equal(used, 2);
	/* one change a user: no separate update for its products */
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 3);

	/* XML: <products> holds <product> elements, and only those */
	o.mode = ROSTER_IMPORT_ALL_OR_NOTHING;
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 1),
			 ROSTER_OK);
	assert_int_equal(
		import_xml(w,
			   "<users xmlns=\"urn:roster:users:1\"><user>"
			   "<first_name>F</first_name><last_name>Six</last_name>"
			   "<email>f6@x.example</email><products>\n\t"
			   "<product>\n\t\tmeetings\n\t</product>\n"
			   "</products></user>"
			   "</users>",
			   &o, &r),
		ROSTER_OK);
	roster_import_report_free(r);
	assert_string_equal(products_of(w, login(w, "f6@x.example")),
			    "meetings");
	assert_int_equal(
		import_xml(w,
			   "<users xmlns=\"urn:roster:users:1\"><user>"
			   "<first_name>G</first_name><last_name>Seven"
			   "</last_name><email>g7@x.example</email><products>"
			   "<line>meetings</line></products></user></users>",
			   &o, &r),
		ROSTER_EPARSE);
	roster_import_report_free(r);
	/* one id a <product>: two in one are one malformed id, and an
	 * empty one is refused as roster_product_assign refuses it, not
	 * dropped */
	o.mode = ROSTER_IMPORT_BEST_EFFORT;
	assert_int_equal(
		import_xml(w,
			   "<users xmlns=\"urn:roster:users:1\">\n<user>"
			   "<first_name>H</first_name><last_name>Eight"
			   "</last_name><email>h8@x.example</email><products>"
			   "<product>meetings nosuch</product></products>"
			   "</user>\n<user>"
			   "<first_name>I</first_name><last_name>Nine"
			   "</last_name><email>i9@x.example</email><products>"
			   "<product/><product> </product></products>"
			   "</user></users>",
			   &o, &r),
		ROSTER_OK);
	assert_int_equal(roster_import_created(r), 0);
	assert_int_equal(roster_import_error_count(r), 2);
	assert_refusal(r, 0, 2, "products", ROSTER_EINVALID, "item.syntax");
	assert_string_equal(roster_import_error_value(r, 0),
			    "meetings nosuch");
	assert_refusal(r, 1, 3, "products", ROSTER_EINVALID, "item.syntax");
	roster_import_report_free(r);
	world_free(w);
}

/* Exported product licences come back with their users, in an account
 * that bought them; one that did not refuses the rows. */
static void round_trip_products(int format)
{
	world *w = world_new(NULL), *w2 = world_new(NULL);
	roster_import_report *r = NULL;
	sink out = { NULL, 0, 0 };
	roster_id u, acc2, acc3;

	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 1),
			 ROSTER_OK);
	u = make_user(w, "Meg", "Ting", "meg@acme.example", NULL, 0, NULL,
		      NULL, 0);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       &u, 1, NULL),
			 ROSTER_OK);
	assert_int_equal(roster_export(w->dir, &w->as_partner, w->account,
				       format, sink_write, &out),
			 ROSTER_OK);
	assert_non_null(strstr(out.buf, format == ROSTER_FORMAT_CSV
						? ",meetings\r\n"
						: "<product>meetings</product>"));
	assert_int_equal(roster_account_create(&acc2, w2->dir, &w2->as_partner,
					       w2->partner, "Bought"),
			 ROSTER_OK);
	assert_int_equal(roster_account_create(&acc3, w2->dir, &w2->as_partner,
					       w2->partner, "Not bought"),
			 ROSTER_OK);
	assert_int_equal(roster_product_purchase(w2->dir, &w2->as_partner, acc2,
						 "meetings", 1),
			 ROSTER_OK);
	/* w's admin's login is w2's admin's: best effort passes over it */
	{
		roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);

		assert_int_equal(import_text(w2, &w2->as_partner, acc3, format,
					     out.buf, &o, &r),
				 ROSTER_OK);
		assert_int_equal(roster_import_created(r), 0);
		assert_string_equal(roster_import_error_rule(r, 1),
				    "product.none_available");
		roster_import_report_free(r);
		assert_int_equal(import_text(w2, &w2->as_partner, acc2, format,
					     out.buf, &o, &r),
				 ROSTER_OK);
		assert_int_equal(roster_import_created(r), 1);
		roster_import_report_free(r);
	}
	assert_string_equal(products_of(w2, login(w2, "meg@acme.example")),
			    "meetings");
	free(out.buf);
	world_free(w2);
	world_free(w);
}

static void test_round_trip_products(void **state)
{
	(void)state;
	round_trip_products(ROSTER_FORMAT_CSV);
	round_trip_products(ROSTER_FORMAT_XML);
}

/* The default catalog with two more products, "-beta" and "-gamma", on
 * w's directory. */
static void catalog_with_beta(world *w)
{
	const char *xml = roster_catalog_default_xml();
	const char *at = strstr(xml, "  </products>");
	const char *beta = "    <product id=\"-beta\">"
			   "<name xml:lang=\"en\">Beta</name>"
			   "<name xml:lang=\"fr\">Beta</name>"
			   "<name xml:lang=\"cs\">Beta</name></product>\n"
			   "    <product id=\"-gamma\">"
			   "<name xml:lang=\"en\">Gamma</name>"
			   "<name xml:lang=\"fr\">Gamma</name>"
			   "<name xml:lang=\"cs\">Gamma</name></product>\n";
	size_t head, len = strlen(xml) + strlen(beta);
	char *mine = malloc(len + 1);
	roster_catalog *cat = NULL;

	assert_non_null(at);
	assert_non_null(mine);
	head = (size_t)(at - xml);
	memcpy(mine, xml, head);
	strcpy(mine + head, beta);
	strcat(mine, at);
	assert_int_equal(roster_catalog_load_buffer(&cat, mine, len, "beta.xml"),
			 ROSTER_OK);
	assert_int_equal(roster_directory_set_catalog(w->dir, cat, NULL),
			 ROSTER_OK);
	roster_catalog_free(cat);
	free(mine);
}

/* A products cell that begins as a formula would ("-beta -gamma
 * meetings") is written after one apostrophe, which the import takes off
 * again: the ids after the first get none. */
static void test_products_formula(void **state)
{
	world *w = world_new(NULL), *w2 = world_new(NULL);
	roster_import_report *r = NULL;
	sink out = { NULL, 0, 0 };
	roster_id u, acc2;

	(void)state;
	catalog_with_beta(w);
	catalog_with_beta(w2);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "-beta", 1),
			 ROSTER_OK);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "meetings", 1),
			 ROSTER_OK);
	u = make_user(w, "Bet", "A", "beta@acme.example", NULL, 0, NULL, NULL,
		      0);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "-beta",
					       &u, 1, NULL),
			 ROSTER_OK);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "meetings",
					       &u, 1, NULL),
			 ROSTER_OK);
	assert_int_equal(roster_product_purchase(w->dir, &w->as_partner,
						 w->account, "-gamma", 1),
			 ROSTER_OK);
	assert_int_equal(roster_product_assign(w->dir, &w->as_admin, "-gamma",
					       &u, 1, NULL),
			 ROSTER_OK);
	assert_int_equal(roster_export(w->dir, &w->as_partner, w->account,
				       ROSTER_FORMAT_CSV, sink_write, &out),
			 ROSTER_OK);
	assert_non_null(strstr(out.buf, ",'-beta -gamma meetings\r\n"));
	assert_int_equal(roster_account_create(&acc2, w2->dir, &w2->as_partner,
					       w2->partner, "Copy"),
			 ROSTER_OK);
	assert_int_equal(roster_product_purchase(w2->dir, &w2->as_partner, acc2,
						 "-beta", 1),
			 ROSTER_OK);
	assert_int_equal(roster_product_purchase(w2->dir, &w2->as_partner, acc2,
						 "meetings", 1),
			 ROSTER_OK);
	assert_int_equal(roster_product_purchase(w2->dir, &w2->as_partner, acc2,
						 "-gamma", 1),
			 ROSTER_OK);
	{
		roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);

		assert_int_equal(import_text(w2, &w2->as_partner, acc2,
					     ROSTER_FORMAT_CSV, out.buf, &o, &r),
				 ROSTER_OK);
		roster_import_report_free(r);
	}
	assert_string_equal(products_of(w2, login(w2, "beta@acme.example")),
			    "-beta -gamma meetings");
	free(out.buf);
	world_free(w2);
	world_free(w);
}

/* An account able to hold a user with every field: a START edition with
 * its licences, Helpdesk ordered, premium stations at `site` and
 * "meetings" product licences. */
static void every_field_account(world *w, roster_id account, roster_id site)
{
	static const char *const licences[] = { "callcentrum-start",
						"helpdesk-start", "video" };

	assert_int_equal(roster_account_set_licences(w->dir, &w->system,
						     account, "start", licences,
						     3),
			 ROSTER_OK);
	assert_int_equal(roster_account_set_helpdesk(w->dir, &w->system,
						     account, 1),
			 ROSTER_OK);
	assert_int_equal(roster_station_order(w->dir, &w->system, site,
					      "premium", 2),
			 ROSTER_OK);
	assert_int_equal(roster_product_purchase(w->dir, &w->system, account,
						 "meetings", 2),
			 ROSTER_OK);
}

/*
 * A user with a value in every field an import by the partner takes
 * (all but the password and those only roster or the host set): names,
 * e-mail, phone, civic address, language, group, site, PBX, extension,
 * two lines, a note over lines, every flag, licence, station pack and a
 * product licence. Exported in each format and imported into an account
 * of another directory set up the same way, it comes back equal, field
 * by field, with its product licences.
 */
static void round_trip_every_field(int format)
{
	world *w = world_new(NULL), *w2 = world_new(NULL);
	const char *lines[] = { "+33 1 44 44 55 55", "0044 20 7946 0000" };
	roster_import_report *r = NULL;
	sink out = { NULL, 0, 0 };
	roster_id u, acc2, site2, id;
	roster_form *f;
	char *a, *b;
	int field;

	every_field_account(w, w->account, w->site);
	assert_int_equal(roster_form_new(&f, w->dir), ROSTER_OK);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Marie");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME,
			    "Dvo\xC5\x99\xC3\xA1kov\xC3\xA1");
	roster_form_set_str(f, ROSTER_FIELD_DISPLAY_NAME, "Marie D.");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "Marie@Acme.Example");
	roster_form_set_str(f, ROSTER_FIELD_PHONE, "+420 601 000 001");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_STREET, "1 rue de Rivoli");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_EXTRA, "B\xC3\xA2t. B");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_LOCALITY, "Paris");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_REGION, "\xC3\x8Ele-de-France");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_POSTCODE, "75001");
	roster_form_set_str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "fr");
	roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "fr_FR");
	roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group);
	roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site);
	roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "123");
	assert_int_equal(roster_form_set_lines(f, lines, 2), ROSTER_OK);
	roster_form_set_str(f, ROSTER_FIELD_NOTE,
			    "=first, \"second\"\r\n\tthird <&>");
	roster_form_set_str(f, ROSTER_FIELD_LICENCE, "helpdesk-start");
	roster_form_set_str(f, ROSTER_FIELD_PACK, "premium");
	for (field = 1; field < ROSTER_FIELD_END; field++)
		if (roster_field_type(field) == ROSTER_TYPE_BOOL &&
		    field != ROSTER_FIELD_REGISTERED &&
		    field != ROSTER_FIELD_CLOUD && field != ROSTER_FIELD_IOT)
			roster_form_set_bool(f, field, 1);
	if (roster_user_create(&u, w->dir, &w->as_partner, w->account, f))
		fail_msg("%s", roster_error_message(roster_directory_error(w->dir)));
	roster_form_free(f);
	assert_int_equal(roster_product_assign(w->dir, &w->as_partner,
					       "meetings", &u, 1, NULL),
			 ROSTER_OK);
	assert_int_equal(roster_export(w->dir, &w->as_partner, w->account,
				       format, sink_write, &out),
			 ROSTER_OK);

	/* the same sites, PBXes, groups, licences, stations and products
	 * under another directory, whose own admin moves out of the way of
	 * the login of w's */
	assert_int_equal(roster_account_create(&acc2, w2->dir, &w2->as_partner,
					       w2->partner, "Acme Two"),
			 ROSTER_OK);
	assert_int_equal(roster_form_new(&f, w2->dir), ROSTER_OK);
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "ada@elsewhere.example");
	assert_int_equal(roster_user_update(w2->dir, &w2->system, w2->admin, f),
			 ROSTER_OK);
	roster_form_free(f);
	assert_int_equal(roster_group_create(&id, w2->dir, &w2->as_partner,
					     acc2, "Sales"),
			 ROSTER_OK);
	assert_int_equal(roster_site_create(&site2, w2->dir, &w2->as_partner,
					    acc2, "Paris"),
			 ROSTER_OK);
	assert_int_equal(roster_pbx_create(&id, w2->dir, &w2->as_partner, acc2,
					   "Main PBX", 3, 4),
			 ROSTER_OK);
	every_field_account(w2, acc2, site2);
	if (import_text(w2, &w2->as_partner, acc2, format, out.buf, NULL, &r) ||
	    roster_import_created(r) != 2)
		fail_msg("%zu created, %s: %s", roster_import_created(r),
			 roster_import_error_message(r, 0), out.buf);
	roster_import_report_free(r);

	/* every field but the password, and the product licences */
	a = render_users(w, w->account);
	b = render_users(w2, acc2);
	if (strcmp(a, b) != 0)
		fail_msg("round trip differs:\n%s\n---\n%s\n---\n%s", a, b,
			 out.buf);
	assert_string_equal(products_of(w2, login(w2, "marie@acme.example")),
			    "meetings");
	free(a);
	free(b);
	free(out.buf);
	world_free(w2);
	world_free(w);
}

static void test_round_trip_every_field(void **state)
{
	(void)state;
	round_trip_every_field(ROSTER_FORMAT_CSV);
	round_trip_every_field(ROSTER_FORMAT_XML);
}

static void test_round_trip_csv(void **state)
{
	(void)state;
	round_trip(ROSTER_FORMAT_CSV);
}

static void test_round_trip_xml(void **state)
{
	(void)state;
	round_trip(ROSTER_FORMAT_XML);
}

static void test_export_refusals(void **state)
{
	world *w = world_new(NULL);
	sink out = { NULL, 0, 1 };
	roster_id plain;

	(void)state;
	assert_int_equal(roster_export(w->dir, &w->as_admin, w->account,
				       ROSTER_FORMAT_CSV, sink_write, &out),
			 ROSTER_EUSER);
	assert_err(w, ROSTER_EUSER, "export.write");
	out.fail = 0;
	assert_int_equal(roster_export(w->dir, &w->as_other_admin, w->account,
				       ROSTER_FORMAT_XML, sink_write, &out),
			 ROSTER_EDENIED);
	assert_int_equal(world_user(w, &w->as_partner, w->account, "Pl", "Ain",
				    "pl@acme.example", 0, &plain),
			 ROSTER_OK);
	{
		roster_actor a = actor_of(ROSTER_ACTOR_USER, plain);

		assert_int_equal(roster_export(w->dir, &a, w->account,
					       ROSTER_FORMAT_CSV, sink_write,
					       &out),
				 ROSTER_EDENIED);
	}
	assert_int_equal(out.len, 0);
	free(out.buf);
	world_free(w);
}

/* ------------------------------------------------------------------ */
/* A large file                                                        */

/* Allocator hooks that track the bytes in use and their peak. */
typedef struct meter {
	size_t live, peak;
	size_t base; /* live when the world was made */
} meter;

static void *m_malloc(size_t n, void *data)
{
	meter *m = data;
	size_t *p = malloc(n + sizeof(size_t) * 2);

	if (!p)
		return NULL;
	p[0] = n;
	m->live += n;
	if (m->live > m->peak)
		m->peak = m->live;
	return p + 2;
}

static void m_free(void *ptr, void *data)
{
	meter *m = data;
	size_t *p = ptr;

	if (!p)
		return;
	m->live -= p[-2];
	free(p - 2);
}

static void *m_realloc(void *ptr, size_t n, void *data)
{
	size_t *p = ptr, old = p ? p[-2] : 0;
	void *q = m_malloc(n, data);

	if (!q)
		return NULL;
	if (p) {
		memcpy(q, p, old < n ? old : n);
		m_free(p, data);
	}
	return q;
}

/* A world whose directory allocates through the meter, which then
 * counts from what the world holds. */
static world *metered_world(meter *m)
{
	roster_directory_options dopts;
	world *w;

	roster_directory_options_init(&dopts, ROSTER_DIRECTORY_OPTIONS_VERSION);
	dopts.malloc_fn = m_malloc;
	dopts.realloc_fn = m_realloc;
	dopts.free_fn = m_free;
	dopts.alloc_data = m;
	w = world_new(&dopts);
	m->base = m->peak = m->live;
	return w;
}

static size_t meter_peak(meter *m)
{
	return m->peak - m->base;
}

/* A <user> repeating a field thousands of times is refused for the
 * repeat, holding one copy of the field, not the file's size. */
static void test_xml_repeats(void **state)
{
	roster_import_options o = opts_of(ROSTER_IMPORT_ALL_OR_NOTHING, 0);
	const char *head = "<users xmlns=\"urn:roster:users:1\">\n<user>"
			   "<first_name>A</first_name><last_name>B</last_name>"
			   "<email>a@x.example</email>";
	const char *tail = "</user></users>\n";
	size_t reps = 2000, note = 1000, i, at;
	char *xml = malloc(strlen(head) + reps * (note + 13) + 32);
	meter m = { 0, 0, 0 };
	world *w;
	roster_import_report *r = NULL;

	(void)state;
	assert_non_null(xml);
	at = (size_t)sprintf(xml, "%s", head);
	for (i = 0; i < reps; i++) {
		memcpy(xml + at, "<note>", 6);
		memset(xml + at + 6, 'x', note);
		memcpy(xml + at + 6 + note, "</note>", 7);
		at += note + 13;
	}
	strcpy(xml + at, tail);
	w = metered_world(&m);
	assert_int_equal(import_xml(w, xml, &o, &r), ROSTER_EINVALID);
	assert_refusal(r, 0, 2, "note", ROSTER_EINVALID, "import.twice");
	assert_int_equal(roster_import_created(r), 0);
	/* two megabytes of notes; the row holds one */
	if (meter_peak(&m) > 200000)
		fail_msg("peak %zu bytes for a row of %zu notes",
			 meter_peak(&m), reps);
	roster_import_report_free(r);
	world_free(w);
	free(xml);
}

/* Allocator hooks that look, in every block freed, for a secret. */
static const char *secret_sought;
static size_t secret_found;

static void *s_malloc(size_t n, void *data)
{
	size_t *p = malloc(n + sizeof(size_t) * 2);

	(void)data;
	if (!p)
		return NULL;
	p[0] = n;
	return p + 2;
}

static void s_free(void *ptr, void *data)
{
	size_t *p = ptr, n, k = strlen(secret_sought);
	const char *b = ptr;

	(void)data;
	if (!p)
		return;
	for (n = p[-2]; n >= k; n--, b++)
		if (memcmp(b, secret_sought, k) == 0) {
			secret_found++;
			break;
		}
	free(p - 2);
}

static void *s_realloc(void *ptr, size_t n, void *data)
{
	size_t *p = ptr, old = p ? p[-2] : 0;
	void *q = s_malloc(n, data);

	if (!q)
		return NULL;
	if (p) {
		memcpy(q, p, old < n ? old : n);
		s_free(p, data);
	}
	return q;
}

/* An import's passwords are wiped from every block it frees, also when
 * a long row grows the cell buffer after them (CSV and XML). */
static void test_import_wipes_passwords(void **state)
{
	roster_directory_options dopts;
	world *w;
	roster_import_report *r = NULL;
	char *csv, *xml, pad[991], street[191];
	int format;

	(void)state;
	memset(pad, 'n', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	memset(street, 's', sizeof(street) - 1);
	street[sizeof(street) - 1] = '\0';
	csv = malloc(8000);
	xml = malloc(8000);
	assert_non_null(csv);
	assert_non_null(xml);
	/* the long cells after the password grow the buffer past 1 KB */
	snprintf(csv, 8000,
		 "first_name,last_name,email,password,note,address_street,"
		 "address_locality,address_country\r\n"
		 "Sec,Ret,sec@x.example,Wipe-Me-Pw-4242,%s,%s,Brno,CZ\r\n", pad,
		 street);
	snprintf(xml, 8000,
		 "<users xmlns=\"urn:roster:users:1\"><user>"
		 "<first_name>Sec</first_name><last_name>Ret</last_name>"
		 "<email>sec@x.example</email>"
		 "<password>Wipe-Me-Pw-4242</password><note>%s</note>"
		 "<address_street>%s</address_street>"
		 "<address_locality>Brno</address_locality>"
		 "<address_country>CZ</address_country></user></users>", pad,
		 street);
	secret_sought = "Wipe-Me-Pw-4242";
	for (format = ROSTER_FORMAT_CSV; format <= ROSTER_FORMAT_XML; format++) {
		roster_directory_options_init(&dopts,
					      ROSTER_DIRECTORY_OPTIONS_VERSION);
		dopts.malloc_fn = s_malloc;
		dopts.realloc_fn = s_realloc;
		dopts.free_fn = s_free;
		w = world_new(&dopts);
		secret_found = 0;
		assert_int_equal(import_text(w, &w->as_partner, w->account, format,
					     format == ROSTER_FORMAT_CSV ? csv
									 : xml,
					     NULL, &r),
				 ROSTER_OK);
		assert_int_equal(roster_import_created(r), 1);
		roster_import_report_free(r);
		assert_int_equal(secret_found, 0);
		world_free(w);
	}
	free(csv);
	free(xml);
}

/* Generates a CSV of `rows` data rows, each with a 1000-byte note. */
typedef struct gen {
	size_t rows, next;
	const char *flag; /* the two_factor cell */
	int note;	  /* digits of the note */
	char pending[1200];
	size_t plen, ppos;
} gen;

static long gen_read(void *data, void *buf, size_t len)
{
	gen *g = data;
	size_t n = 0;

	while (n < len) {
		if (g->ppos == g->plen) {
			if (g->next > g->rows)
				break;
			if (g->next == 0)
				g->plen = (size_t)snprintf(
					g->pending, sizeof(g->pending),
					"email,first_name,last_name,"
					"two_factor,note\r\n");
			else
				g->plen = (size_t)snprintf(
					g->pending, sizeof(g->pending),
					"u%zu@big.example,First%zu,Last,%s,"
					"\"%0*d\"\r\n",
					g->next, g->next, g->flag, g->note, 7);
			g->next++;
			g->ppos = 0;
		}
		while (n < len && g->ppos < g->plen)
			((char *)buf)[n++] = g->pending[g->ppos++];
	}
	return (long)n;
}

/*
 * 100,000 rows of 1000-byte notes (about 100 MB of CSV) all pass through
 * the reader: each is refused by its flag cell before any user is built,
 * and the memory the directory holds at its peak stays that of the
 * report, far below the size of the file. Then 100,000 users are
 * created from one file.
 */
static void test_large(void **state)
{
	roster_import_options o = opts_of(ROSTER_IMPORT_BEST_EFFORT, 0);
	meter m = { 0, 0, 0 };
	world *w;
	roster_import_report *r = NULL;
	gen g;

	(void)state;
	w = metered_world(&m);
	memset(&g, 0, sizeof(g));
	g.rows = 100000;
	g.flag = "maybe";
	g.note = 1000;
	assert_int_equal(roster_import(&r, w->dir, &w->as_partner, w->account,
				       ROSTER_FORMAT_CSV, gen_read, &g, &o),
			 ROSTER_OK);
	assert_int_equal(roster_import_rows(r), 100000);
	assert_int_equal(roster_import_error_count(r), 100000);
	assert_int_equal(roster_import_error_line(r, 99999), 100001);
	assert_string_equal(roster_import_error_rule(r, 99999), "import.value");
	/* the report is about 200 bytes a row; the file 1040 */
	if (meter_peak(&m) > 100000 * 400)
		fail_msg("peak %zu bytes for 100000 rows", meter_peak(&m));
	roster_import_report_free(r);

	/* and 100,000 rows that are all created, in one transaction */
	memset(&g, 0, sizeof(g));
	g.rows = 100000;
	g.flag = "1";
	g.note = 8;
	o.mode = ROSTER_IMPORT_ALL_OR_NOTHING;
	assert_int_equal(roster_import(&r, w->dir, &w->as_partner, w->account,
				       ROSTER_FORMAT_CSV, gen_read, &g, &o),
			 ROSTER_OK);
	assert_int_equal(roster_import_rows(r), 100000);
	assert_int_equal(roster_import_created(r), 100000);
	assert_true(login(w, "u100000@big.example") != 0);
	roster_import_report_free(r);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_basic),
		cmocka_unit_test(test_ref_names),
		cmocka_unit_test(test_csv_lines_with_spaces),
		cmocka_unit_test(test_csv_lines_many_groups),
		cmocka_unit_test(test_csv_malformed),
		cmocka_unit_test(test_csv_cells),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_best_effort),
		cmocka_unit_test(test_refused_row_holds_keys),
		cmocka_unit_test(test_refused_row_gives_back),
		cmocka_unit_test(test_national_numbers),
		cmocka_unit_test(test_twice_row_holds_keys),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_french),
		cmocka_unit_test(test_report_any_language),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_xml_basic),
		cmocka_unit_test(test_xml_line_items),
		cmocka_unit_test(test_xml_bad_bytes_not_quoted),
		cmocka_unit_test(test_xml_malformed),
		cmocka_unit_test(test_xml_attributes),
		cmocka_unit_test(test_xml_no_names),
		cmocka_unit_test(test_xml_cut_short),
		cmocka_unit_test(test_xml_fault_words),
		cmocka_unit_test(test_xml_prints_nothing),
		cmocka_unit_test(test_xml_between_tags),
		cmocka_unit_test(test_csv_quoted_breaks),
		cmocka_unit_test(test_xml_big_lines),
		cmocka_unit_test(test_xml_line_breaks),
		cmocka_unit_test(test_xml_repeats),
		cmocka_unit_test(test_round_trip_csv),
		cmocka_unit_test(test_round_trip_xml),
		cmocka_unit_test(test_round_trip_every_field),
		cmocka_unit_test(test_export_refusals),
		cmocka_unit_test(test_export_host_fields),
		cmocka_unit_test(test_import_host_fields),
		cmocka_unit_test(test_products_column),
		cmocka_unit_test(test_round_trip_products),
		cmocka_unit_test(test_products_formula),
		cmocka_unit_test(test_import_wipes_passwords),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
