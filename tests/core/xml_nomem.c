/*
 * xml_nomem.c: libxml2 running out of memory, in the two places roster
 * parses XML (an XML import and a catalog load).
 *
 * libxml2 allocates through its own hooks (xmlMemSetup), not the
 * directory's allocator, so the other suites never see it fail. Here the
 * hooks fail the Nth allocation libxml2 makes, for every N until the call
 * needs fewer: each call must then succeed or fail with ROSTER_ENOMEM
 * (rule "nomem") and change nothing, never report the file as malformed.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/xmlmemory.h>

#include "harness.h"
#include "snapshot.h"

/* ------------------------------------------------------------------ */
/* libxml2's allocation hooks                                          */

static long fail_at, seen; /* fail allocation number fail_at (0: none) */
static xmlFreeFunc host_free;
static xmlMallocFunc host_malloc;
static xmlReallocFunc host_realloc;
static xmlStrdupFunc host_strdup;

/*
 * Is this allocation made while libxml2 compiles a RELAX NG schema or
 * validates a document with it? libxml2 2.9 does not survive running
 * out of memory there (NULLs it does not check): such an allocation is
 * not the one failed, the next one outside is. The schema's text is
 * parsed (xmlReadMemory) before it is compiled: that parse may fail.
 * Found by the return addresses of the calls, innermost first: the
 * first inside one of those functions itself tells.
 */
static int in_relaxng(void)
{
	void *frames[64];
	int n = backtrace(frames, 64), i;

	for (i = 0; i < n; i++) {
		Dl_info info;
		const ElfW(Sym) *sym = NULL;
		uintptr_t at = (uintptr_t)frames[i], start;

		if (!dladdr1(frames[i], &info, (void **)&sym, RTLD_DL_SYMENT) ||
		    !sym || !info.dli_sname || !info.dli_saddr)
			continue;
		start = (uintptr_t)info.dli_saddr;
		if (at <= start || at > start + sym->st_size)
			continue; /* in a function the table of symbols hides */
		if (strcmp(info.dli_sname, "xmlReadMemory") == 0)
			return 0;
		if (strcmp(info.dli_sname, "xmlRelaxNGParse") == 0 ||
		    strcmp(info.dli_sname, "xmlRelaxNGValidateDoc") == 0)
			return 1;
	}
	return 0;
}

static int failing(void)
{
	if (!fail_at || ++seen != fail_at)
		return 0;
	if (in_relaxng()) {
		fail_at++;
		return 0;
	}
	return 1;
}

static void *hook_malloc(size_t size)
{
	return failing() ? NULL : host_malloc(size);
}

static void *hook_realloc(void *p, size_t size)
{
	return failing() ? NULL : host_realloc(p, size);
}

static char *hook_strdup(const char *s)
{
	return failing() ? NULL : host_strdup(s);
}

/* From now on libxml2's allocation number n fails (counted from 1; 0:
 * none), or the first after it that may. Returns how many allocations
 * libxml2 made since the last call; *failed (may be NULL) gets the
 * number of the one that failed, 0 if none did. */
static long fail_from_now(long n, long *failed)
{
	long made = seen;

	if (failed)
		*failed = fail_at && seen >= fail_at ? fail_at : 0;
	fail_at = n;
	seen = 0;
	return made;
}

static int setup(void **state)
{
	(void)state;
	xmlInitParser(); /* its own tables, before any allocation fails */
	assert_int_equal(xmlMemGet(&host_free, &host_malloc, &host_realloc,
				   &host_strdup),
			 0);
	assert_int_equal(xmlMemSetup(host_free, hook_malloc, hook_realloc,
				     hook_strdup),
			 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fail_from_now(0, NULL);
	xmlMemSetup(host_free, host_malloc, host_realloc, host_strdup);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Import                                                              */

typedef struct src {
	const char *s;
	size_t len, pos;
} src;

/* The host's own handlers of libxml2 errors, which roster takes while
 * it parses and must give back, and give to the host's callbacks. */
static int host_ctx;
static long host_reads, host_reads_own;

static void host_generic(void *ctx, const char *msg, ...)
{
	(void)ctx, (void)msg;
}

static void host_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx, (void)e;
}

static int host_handlers_set(void)
{
	return xmlGenericError == host_generic &&
	       xmlGenericErrorContext == &host_ctx &&
	       xmlStructuredError == host_structured &&
	       xmlStructuredErrorContext == &host_ctx;
}

static long src_read(void *data, void *buf, size_t len)
{
	src *s = data;
	size_t n = s->len - s->pos;

	host_reads++;
	host_reads_own += host_handlers_set();

	if (n > len)
		n = len;
	if (n > 64) /* several reads, as a file gives them */
		n = 64;
	memcpy(buf, s->s + s->pos, n);
	s->pos += n;
	return (long)n;
}

static const char users_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<users xmlns=\"urn:roster:users:1\">\n"
	"  <user><first_name>Zdeněk</first_name><last_name>Dvořák</last_name>"
	"<email>z.dvorak@example.cz</email>"
	"<lines><line>+420601234567</line></lines></user>\n"
	"  <user><first_name>Marie-Hélène</first_name>"
	"<last_name>Lefèvre</last_name><email>mh@example.fr</email>"
	"<note>&lt;a note&gt; &#x263A;</note></user>\n"
	"</users>\n";

static int import_xml(world *w, roster_import_report **rep)
{
	src s = { users_xml, strlen(users_xml), 0 };

	return roster_import(rep, w->dir, &w->as_partner, w->account,
			     ROSTER_FORMAT_XML, src_read, &s, NULL);
}

/* The process's stderr into a file while a call runs: libxml2 must
 * print nothing there (a library does not print). */
typedef struct catch {
	FILE *file;
	int saved;
} catch;

static void stderr_catch(catch *c)
{
	c->file = tmpfile();
	assert_non_null(c->file);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->file), 2) >= 0);
}

/* Give stderr back; fail if anything was printed, allocation n failing. */
static void stderr_release(catch *c, long n)
{
	long printed;

	fflush(stderr);
	assert_true(dup2(c->saved, 2) >= 0);
	close(c->saved);
	printed = ftell(c->file);
	fclose(c->file);
	if (printed)
		fail_msg("allocation %ld of libxml2 failing: %ld bytes printed",
			 n, printed);
}

/* The two users of users_xml, as they were imported. */
static void assert_imported(world *w)
{
	roster_id id = 0;
	roster_user *u = NULL;

	assert_int_equal(roster_user_find_login(&id, w->dir,
						"z.dvorak@example.cz"),
			 ROSTER_OK);
	assert_int_equal(roster_user_get(&u, w->dir, id), ROSTER_OK);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_FIRST_NAME),
			    "Zdeněk");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_LAST_NAME),
			    "Dvořák");
	assert_int_equal(roster_user_line_count(u), 1);
	assert_string_equal(roster_user_line(u, 0), "+420601234567");
	roster_user_free(u);
	assert_int_equal(roster_user_find_login(&id, w->dir, "mh@example.fr"),
			 ROSTER_OK);
	assert_int_equal(roster_user_get(&u, w->dir, id), ROSTER_OK);
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_FIRST_NAME),
			    "Marie-Hélène");
	assert_string_equal(roster_user_str(u, ROSTER_FIELD_NOTE),
			    "<a note> \xE2\x98\xBA");
	roster_user_free(u);
}

/*
 * An XML import during which some allocation of libxml2 fails, for
 * each in turn: ROSTER_ENOMEM, nothing imported, or (an allocation
 * libxml2 does without) the file imported whole, never a malformed file
 * nor a user missing a part.
 */
static void test_import(void **state)
{
	world *w = world_new(NULL);
	char *before = snapshot_take(w->dir), *after;
	const roster_error *e;
	roster_import_report *rep = NULL;
	long n, failed, refused = 0;
	catch c;
	int rc;

	(void)state;
	for (n = 1;; n++) {
		stderr_catch(&c);
		fail_from_now(n, NULL);
		rc = import_xml(w, &rep);
		fail_from_now(0, &failed);
		stderr_release(&c, n);
		if (!failed) { /* needed fewer than n: none failed */
			assert_int_equal(rc, ROSTER_OK);
			break;
		}
		e = roster_directory_error(w->dir);
		if (rc == ROSTER_OK) {
			assert_int_equal(roster_import_created(rep), 2);
			assert_imported(w);
			/* again from an empty account */
			roster_import_report_free(rep);
			rep = NULL;
			free(before);
			world_free(w);
			w = world_new(NULL);
			before = snapshot_take(w->dir);
			continue;
		}
		if (rc != ROSTER_ENOMEM)
			fail_msg("allocation %ld of libxml2 failing: rc %d, "
				 "rule %s: %s",
				 n, rc, roster_error_rule(e),
				 roster_error_message(e));
		assert_string_equal(roster_error_rule(e), "nomem");
		if (rep) /* a report may come back: nothing created */
			assert_int_equal(roster_import_created(rep), 0);
		roster_import_report_free(rep);
		rep = NULL;
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "libxml2 out of memory");
		free(after);
		refused++;
	}
	assert_true(refused > 10); /* the failures were reached */
	assert_int_equal(roster_import_created(rep), 2);
	assert_imported(w);
	roster_import_report_free(rep);
	free(before);
	world_free(w);
}


/* ------------------------------------------------------------------ */
/* Catalog                                                             */

/* Everything a catalog holds, as text (malloc'd). */
static char *catalog_text(const roster_catalog *cat)
{
	roster_password_policy p;
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	int kind, lang;
	size_t i, j;

	assert_non_null(f);
	for (kind = ROSTER_ITEM_SERVICE; kind <= ROSTER_ITEM_LANGUAGE; kind++)
		for (i = 0; i < roster_catalog_count(cat, kind); i++) {
			const char *id = roster_catalog_item(cat, kind, i);

			fprintf(f, "%d %s", kind, id);
			for (lang = 0; lang < ROSTER_LANG_COUNT; lang++)
				for (j = 0; j <= roster_catalog_count(
							 cat, ROSTER_ITEM_EDITION);
				     j++)
					fprintf(f, " [%s]",
						roster_catalog_name(
							cat, kind, id,
							(roster_language)lang,
							j ? roster_catalog_item(
								    cat,
								    ROSTER_ITEM_EDITION,
								    j - 1)
							  : NULL));
			if (kind == ROSTER_ITEM_LICENCE) {
				const char *tier =
					roster_catalog_licence_tier(cat, id);

				fprintf(f, " %s %s",
					roster_catalog_licence_family(cat, id),
					tier ? tier : "-");
				for (j = 0; j < roster_catalog_count(
							cat, ROSTER_ITEM_LICENCE);
				     j++)
					fprintf(f, "%d",
						roster_catalog_change_allowed(
							cat, id,
							roster_catalog_item(
								cat,
								ROSTER_ITEM_LICENCE,
								j)));
			}
			fputc('\n', f);
		}
	roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION);
	assert_int_equal(roster_catalog_password_policy(cat, &p), ROSTER_OK);
	fprintf(f, "policy %u %u %u %u %u %lld %lld\n", p.min_length,
		p.max_length, p.generated_length, p.hash_cost,
		p.required_classes, (long long)p.reset_ttl,
		(long long)p.welcome_ttl);
	assert_int_equal(fclose(f), 0);
	return out;
}

/*
 * Loading the default catalog from its text while some allocation of
 * libxml2 fails, for each in turn (in the parser, the schema's
 * validator or the reading of the tree): ROSTER_ENOMEM and no catalog,
 * or (an allocation libxml2 does without) the very catalog loaded
 * without a failure, never a malformed file nor a catalog missing a
 * part.
 */
static void test_catalog(void **state)
{
	const char *xml = roster_catalog_default_xml();
	roster_catalog *cat = NULL;
	char *want, *got;
	long n, failed, refused = 0;
	catch c;
	int rc;

	(void)state;
	assert_int_equal(roster_catalog_load_default(&cat), ROSTER_OK);
	want = catalog_text(cat);
	roster_catalog_free(cat);
	for (n = 1;; n++) {
		cat = NULL;
		stderr_catch(&c);
		fail_from_now(n, NULL);
		rc = roster_catalog_load_buffer(&cat, xml, strlen(xml), NULL);
		fail_from_now(0, &failed);
		stderr_release(&c, n);
		if (!failed) {
			assert_int_equal(rc, ROSTER_OK);
			break;
		}
		n = failed; /* past those of RELAX NG, which did not fail */
		if (rc == ROSTER_OK) {
			got = catalog_text(cat);
			assert_string_equal(got, want);
			free(got);
			roster_catalog_free(cat);
			continue;
		}
		if (rc != ROSTER_ENOMEM)
			fail_msg("allocation %ld of libxml2 failing: rc %d, "
				 "rule %s: %s",
				 n, rc, roster_error_rule(roster_error_last()),
				 roster_error_message(roster_error_last()));
		assert_string_equal(roster_error_rule(roster_error_last()),
				    "nomem");
		assert_null(cat);
		refused++;
	}
	assert_true(refused > 10); /* the failures were reached */
	got = catalog_text(cat);
	assert_string_equal(got, want);
	free(got);
	free(want);
	roster_catalog_free(cat);
}


/*
 * The calling thread's libxml2 handlers are the host's again after an
 * import and a catalog load, refused or not, and while the import's read
 * callback runs (docs/bulk.md, docs/catalog.md).
 */
static void test_handlers_given_back(void **state)
{
	world *w = world_new(NULL);
	roster_import_report *rep = NULL;
	roster_catalog *cat = NULL;
	src bad = { "<users xmlns=\"urn:roster:users:1\"><user>", 0, 0 };

	(void)state;
	bad.len = strlen(bad.s);
	xmlSetGenericErrorFunc(&host_ctx, host_generic);
	xmlSetStructuredErrorFunc(&host_ctx, host_structured);
	host_reads = host_reads_own = 0;
	assert_int_equal(import_xml(w, &rep), ROSTER_OK);
	roster_import_report_free(rep);
	assert_true(host_handlers_set());
	assert_true(host_reads > 1);
	assert_int_equal(host_reads_own, host_reads);
	rep = NULL;
	assert_int_equal(roster_import(&rep, w->dir, &w->as_partner,
				       w->account, ROSTER_FORMAT_XML, src_read,
				       &bad, NULL),
			 ROSTER_EPARSE);
	roster_import_report_free(rep);
	assert_true(host_handlers_set());
	assert_int_equal(roster_catalog_load_buffer(&cat, "<catalog", 8, NULL),
			 ROSTER_EPARSE);
	assert_true(host_handlers_set());
	assert_int_equal(roster_catalog_load_default(&cat), ROSTER_OK);
	assert_true(host_handlers_set());
	roster_catalog_free(cat);
	xmlSetGenericErrorFunc(NULL, NULL);
	xmlSetStructuredErrorFunc(NULL, NULL);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_catalog),
		cmocka_unit_test(test_handlers_given_back),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
