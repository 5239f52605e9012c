/*
 * xmlerr.c: libxml2's errors in roster's words (src/util/xmlerr.c), and
 * those words in every language (src/i18n.c), for every phrase.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "util/xmlerr.h"

#include <libxml/relaxng.h>

static xmlError err_of(int code, const char *s1, const char *s2)
{
	xmlError e;

	memset(&e, 0, sizeof(e));
	e.domain = XML_FROM_PARSER;
	e.code = code;
	e.level = XML_ERR_FATAL;
	e.message = (char *)"libxml2's own words";
	e.str1 = (char *)s1;
	e.str2 = (char *)s2;
	return e;
}

/* Every phrase has its words in each language, other than the English
 * in French and Czech, alone and between a place and names. */
static void test_every_phrase_translated(void **state)
{
	char buf[ROSTER_ERROR_MESSAGE_MAX], said[256], detail[300];
	const char *phrase, *t;
	size_t i;
	int code, l, n = 0;

	(void)state;
	for (i = 0; (code = rs_xml_phrase(0, i, &phrase)) >= 0; i++) {
		xmlError e = err_of(code, "a", "b");

		n++;
		rs_xml_describe(&e, said, sizeof(said));
		assert_memory_equal(said, phrase, strlen(phrase));
		assert_null(strstr(said, "libxml2's own words"));
		for (l = 0; l < ROSTER_LANG_COUNT; l++) {
			t = rs_i18n_detail(phrase, (roster_language)l, buf,
					   sizeof(buf));
			if (!t)
				fail_msg("\"%s\" has no words in language %d",
					 phrase, l);
			if (l != ROSTER_LANG_EN && strcmp(t, phrase) == 0)
				fail_msg("\"%s\" is English in language %d",
					 phrase, l);
			snprintf(detail, sizeof(detail), "f.xml:3: %s", said);
			t = rs_i18n_detail(detail, (roster_language)l, buf,
					   sizeof(buf));
			assert_non_null(t);
			assert_memory_equal(t, "f.xml:3: ", 9);
		}
	}
	assert_true(n >= 27);
	for (i = 0; (code = rs_xml_phrase(1, i, &phrase)) >= 0; i++) {
		xmlError e = err_of(code, "a", "b");

		e.domain = XML_FROM_RELAXNGV;
		rs_xml_describe(&e, said, sizeof(said));
		assert_memory_equal(said, phrase, strlen(phrase));
		for (l = 0; l < ROSTER_LANG_COUNT; l++) {
			t = rs_i18n_detail(said, (roster_language)l, buf,
					   sizeof(buf));
			if (!t || (l != ROSTER_LANG_EN && !strcmp(t, said)))
				fail_msg("\"%s\" has no words in language %d",
					 phrase, l);
		}
	}
	assert_true(i >= 19);
	/* a place whose file name holds a phrase's words */
	assert_string_equal(rs_i18n_detail("a NUL byte: x.xml:2: a NUL byte",
					   ROSTER_LANG_FR, buf, sizeof(buf)),
			    "a NUL byte: x.xml:2: un octet NUL");
	/* words of no phrase */
	assert_null(rs_i18n_detail("x.xml:2: a NUL", ROSTER_LANG_FR, buf,
				   sizeof(buf)));
	assert_null(rs_i18n_detail("a NUL bytes", ROSTER_LANG_FR, buf,
				   sizeof(buf)));
}

/* What each kind of error names from the file, after its phrase. */
static void test_names(void **state)
{
	static const struct {
		int code;
		const char *s1, *s2, *says;
	} cases[] = {
		{ XML_ERR_TAG_NAME_MISMATCH, "user", "users",
		  "an element is closed by another element's tag: <user>, "
		  "</users>" },
		/* a pair without its second name says no names */
		{ XML_ERR_TAG_NAME_MISMATCH, "user", NULL,
		  "an element is closed by another element's tag" },
		{ XML_ERR_TAG_NOT_FINISHED, "note", NULL,
		  "the file ends inside an element: <note>" },
		{ XML_ERR_GT_REQUIRED, "user", NULL,
		  "a tag is not closed by '>': <user" },
		{ XML_ERR_GT_REQUIRED, NULL, NULL, "a tag is not closed by '>'" },
		{ XML_ERR_ATTRIBUTE_REDEFINED, "id", NULL,
		  "an attribute is given twice: id" },
		{ XML_ERR_UNDECLARED_ENTITY, "x", NULL,
		  "an entity reference is not allowed: &x;" },
		{ XML_ERR_UNSUPPORTED_ENCODING, "EBCDIC-XX", NULL,
		  "the declared encoding is not supported: EBCDIC-XX" },
		/* a prefixed attribute: its prefix, then its name */
		{ XML_ERR_ATTRIBUTE_REDEFINED, "x", "id",
		  "an attribute is given twice: x:id" },
		/* libxml2's word for an end tag of no name, and a pair of
		 * prefixed names it gives without their prefixes */
		{ XML_ERR_TAG_NAME_MISMATCH, "user", "unparsable",
		  "an element is closed by another element's tag" },
		{ XML_ERR_TAG_NAME_MISMATCH, "a", "a",
		  "an element is closed by another element's tag" },
		/* names of no meaning to the reader are not quoted */
		{ XML_ERR_HYPHEN_IN_COMMENT, "a secret comment", NULL,
		  "'--' inside a comment" },
		/* the bytes of a text that is not UTF-8, never */
		{ XML_ERR_INVALID_CHAR, "Bytes: 0xE9 0x74 0x3C 0x2F\n", NULL,
		  "the text is not valid UTF-8" },
		{ XML_ERR_INVALID_CHAR, NULL, NULL,
		  "a character that XML does not allow" },
	};
	char said[256], number[64];
	size_t i;
	xmlError e;

	(void)state;
	/* the validator's: the element, then its attribute; the one found
	 * where another was expected */
	e = err_of(XML_RELAXNG_ERR_INVALIDATTR, "foo", "service");
	e.domain = XML_FROM_RELAXNGV;
	rs_xml_describe(&e, said, sizeof(said));
	assert_string_equal(said, "an attribute or its value is not allowed: "
				  "<service> foo");
	e = err_of(XML_RELAXNG_ERR_ELEMNAME, "catalog", "catalogue");
	e.domain = XML_FROM_RELAXNGV;
	rs_xml_describe(&e, said, sizeof(said));
	assert_string_equal(said, "an element is not the one expected here: "
				  "<catalogue>");
	/* a code of the parser's means another thing to the validator */
	e = err_of(XML_ERR_TAG_NAME_MISMATCH, "a", "b");
	e.domain = XML_FROM_RELAXNGV;
	rs_xml_describe(&e, said, sizeof(said));
	snprintf(number, sizeof(number), "the schema is not followed: libxml2 %d",
		 (int)XML_ERR_TAG_NAME_MISMATCH);
	assert_string_equal(said, number);
	/* an error of no phrase says its number */
	e = err_of(XML_ERR_URI_FRAGMENT, "x", NULL);
	rs_xml_describe(&e, said, sizeof(said));
	snprintf(number, sizeof(number), "not well-formed: libxml2 %d",
		 (int)XML_ERR_URI_FRAGMENT);
	assert_string_equal(said, number);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = err_of(cases[i].code, cases[i].s1, cases[i].s2);
		rs_xml_describe(&e, said, sizeof(said));
		assert_string_equal(said, cases[i].says);
	}
	/* elements nested past libxml2's limit: an internal error, which
	 * only its message tells from the others */
	e = err_of(XML_ERR_INTERNAL_ERROR, NULL, NULL);
	e.message = (char *)"Excessive depth in document: 256 use "
			    "XML_PARSE_HUGE option\n";
	rs_xml_describe(&e, said, sizeof(said));
	assert_string_equal(said, "elements are nested too deep");
	assert_string_equal(rs_i18n_detail(said, ROSTER_LANG_CS, number,
					   sizeof(number)),
			    "prvky jsou vnořeny příliš hluboko");
	/* a bare '&', a missing name to libxml2 */
	e = err_of(XML_ERR_NAME_REQUIRED, NULL, NULL);
	e.message = (char *)"xmlParseEntityRef: no name\n";
	rs_xml_describe(&e, said, sizeof(said));
	assert_string_equal(said,
			    "an '&' that starts no reference (write &amp;)");
	e.message = (char *)"StartTag: invalid element name\n";
	rs_xml_describe(&e, said, sizeof(said));
	assert_string_equal(said, "a tag or attribute name is not valid");
	e = err_of(XML_ERR_INTERNAL_ERROR, NULL, NULL);
	e.message = (char *)"Huge input lookup\n";
	rs_xml_describe(&e, said, sizeof(said));
	snprintf(number, sizeof(number), "not well-formed: libxml2 %d",
		 (int)XML_ERR_INTERNAL_ERROR);
	assert_string_equal(said, number);
}

/* A name past RS_XMLERR_NAME_MAX bytes is cut on a character boundary
 * and marked; a description always fits an error's value. */
static void test_long_names(void **state)
{
	char a[200], b[200], said[256];
	xmlError e;

	(void)state;
	memset(a, 'a', sizeof(a));
	a[sizeof(a) - 1] = '\0';
	memcpy(a + RS_XMLERR_NAME_MAX - 1, "\xC5\xBE", 2); /* ž across the cut */
	memset(b, 'b', sizeof(b));
	b[sizeof(b) - 1] = '\0';
	e = err_of(XML_ERR_TAG_NAME_MISMATCH, a, b);
	rs_xml_describe(&e, said, sizeof(said));
	assert_string_equal(said + strlen(said) - 4 - RS_XMLERR_NAME_MAX,
			    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...>");
	assert_non_null(strstr(said, "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...>"));
	assert_null(strstr(said, "\xC5"));
	assert_true(strlen(said) < 128);
	/* a buffer too small is cut, never overrun */
	rs_xml_describe(&e, said, 10);
	assert_string_equal(said, "an elemen");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_phrase_translated),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_long_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
