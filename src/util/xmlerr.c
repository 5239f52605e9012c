/* xmlerr.c: libxml2's parser and validator errors in roster's words, and
 * away from the host's handlers while roster parses (xmlerr.h). */
#include "xmlerr.h"

#include <libxml/globals.h>
#include <libxml/relaxng.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/* What an error names from the file, after its phrase. */
enum {
	NAMES_NONE,
	NAMES_TAG,	/* <str1> */
	NAMES_OPEN,	/* <str1 (a start tag not closed) */
	NAMES_PAIR,	/* <str1>, </str2> */
	NAMES_PLAIN,	/* str1 (an attribute, an encoding) */
	NAMES_ENTITY,	/* &str1; */
	NAMES_QNAME,	/* str1, or str1:str2 when str2 (a prefix, a name) */
	NAMES_SECOND,	/* <str2> */
	NAMES_ATTR,	/* <str2> str1 (an element, its attribute) */
};

typedef struct xml_phrase {
	int code;
	int names;
	const char *phrase; /* a key of i18n.c's details */
} xml_phrase;

#define MALFORMED_DECL "the XML declaration is malformed"
#define AMPERSAND "an '&' that starts no reference (write &amp;)"

static const xml_phrase phrases[] = {
	{ XML_ERR_DOCUMENT_EMPTY, NAMES_NONE, "no root element" },
	{ XML_ERR_DOCUMENT_END, NAMES_NONE, "content after the root element" },
	{ XML_ERR_TAG_NAME_MISMATCH, NAMES_PAIR,
	  "an element is closed by another element's tag" },
	{ XML_ERR_TAG_NOT_FINISHED, NAMES_TAG,
	  "the file ends inside an element" },
	{ XML_ERR_GT_REQUIRED, NAMES_OPEN, "a tag is not closed by '>'" },
	{ XML_ERR_LTSLASH_REQUIRED, NAMES_NONE, "a closing tag is missing" },
	{ XML_ERR_NAME_REQUIRED, NAMES_NONE,
	  "a tag or attribute name is not valid" },
	{ XML_ERR_NAME_TOO_LONG, NAMES_NONE, "a name is too long" },
	{ XML_ERR_SPACE_REQUIRED, NAMES_NONE, "a space is missing" },
	/* libxml2 2.9 asks for '=' only in the XML declaration (a tag's
	 * attribute without one has no value, below) */
	{ XML_ERR_EQUAL_REQUIRED, NAMES_NONE, MALFORMED_DECL },
	{ XML_ERR_LT_IN_ATTRIBUTE, NAMES_NONE, "'<' inside an attribute value" },
	{ XML_ERR_ATTRIBUTE_NOT_STARTED, NAMES_NONE,
	  "an attribute value is not in quotes" },
	{ XML_ERR_ATTRIBUTE_NOT_FINISHED, NAMES_NONE,
	  "an attribute value is not closed" },
	{ XML_ERR_ATTRIBUTE_WITHOUT_VALUE, NAMES_PLAIN,
	  "an attribute has no value" },
	{ XML_ERR_ATTRIBUTE_REDEFINED, NAMES_QNAME,
	  "an attribute is given twice" },
	{ XML_ERR_UNDECLARED_ENTITY, NAMES_ENTITY,
	  "an entity reference is not allowed" },
	{ XML_WAR_UNDECLARED_ENTITY, NAMES_ENTITY,
	  "an entity reference is not allowed" },
	{ XML_ERR_ENTITY_LOOP, NAMES_NONE, "an entity reference is not allowed" },
	{ XML_ERR_ENTITYREF_NO_NAME, NAMES_NONE, AMPERSAND },
	{ XML_ERR_ENTITYREF_SEMICOL_MISSING, NAMES_NONE, AMPERSAND },
	{ XML_ERR_INVALID_HEX_CHARREF, NAMES_NONE,
	  "a character reference is not valid" },
	{ XML_ERR_INVALID_DEC_CHARREF, NAMES_NONE,
	  "a character reference is not valid" },
	{ XML_ERR_INVALID_CHARREF, NAMES_NONE,
	  "a character reference is not valid" },
	{ XML_ERR_INVALID_CHAR, NAMES_NONE,
	  "a character that XML does not allow" },
	{ XML_ERR_INVALID_ENCODING, NAMES_NONE, "the text is not valid UTF-8" },
	{ XML_ERR_HYPHEN_IN_COMMENT, NAMES_NONE, "'--' inside a comment" },
	{ XML_ERR_COMMENT_NOT_FINISHED, NAMES_NONE, "a comment is not closed" },
	{ XML_ERR_PI_NOT_STARTED, NAMES_NONE,
	  "a processing instruction has no name" },
	{ XML_ERR_PI_NOT_FINISHED, NAMES_NONE,
	  "a processing instruction is not closed" },
	{ XML_ERR_CDATA_NOT_FINISHED, NAMES_NONE,
	  "a CDATA section is not closed" },
	{ XML_ERR_MISPLACED_CDATA_END, NAMES_NONE, "']]>' in text" },
	{ XML_ERR_RESERVED_XML_NAME, NAMES_NONE,
	  "the XML declaration must begin the file" },
	{ XML_ERR_UNSUPPORTED_ENCODING, NAMES_PLAIN,
	  "the declared encoding is not supported" },
	{ XML_ERR_UNKNOWN_ENCODING, NAMES_PLAIN,
	  "the declared encoding is not supported" },
	{ XML_ERR_UNKNOWN_VERSION, NAMES_NONE, MALFORMED_DECL },
	{ XML_ERR_VERSION_MISSING, NAMES_NONE, MALFORMED_DECL },
	{ XML_ERR_XMLDECL_NOT_STARTED, NAMES_NONE, MALFORMED_DECL },
	{ XML_ERR_XMLDECL_NOT_FINISHED, NAMES_NONE, MALFORMED_DECL },
	{ XML_ERR_STANDALONE_VALUE, NAMES_NONE, MALFORMED_DECL },
	{ XML_ERR_ENCODING_NAME, NAMES_NONE, MALFORMED_DECL },
	{ XML_ERR_STRING_NOT_STARTED, NAMES_NONE, MALFORMED_DECL },
	{ XML_ERR_STRING_NOT_CLOSED, NAMES_NONE, MALFORMED_DECL },
	{ XML_WAR_NS_URI, NAMES_NONE, "a namespace is not a valid URI" },
	{ XML_WAR_NS_URI_RELATIVE, NAMES_NONE,
	  "a namespace is not a valid URI" },
	{ XML_NS_ERR_UNDEFINED_NAMESPACE, NAMES_PLAIN,
	  "a namespace prefix is not declared" },
};

/* The validator's errors (domain XML_FROM_RELAXNGV), by the same kinds
 * of names: what is wrong comes first in the error's strings. */
#define BAD_VALUE "a value is not valid"
static const xml_phrase validity[] = {
	{ XML_RELAXNG_ERR_ELEMNAME, NAMES_SECOND,
	  "an element is not the one expected here" },
	{ XML_RELAXNG_ERR_ELEMNONS, NAMES_TAG,
	  "an element is not in the schema's namespace" },
	{ XML_RELAXNG_ERR_ELEMWRONGNS, NAMES_TAG,
	  "an element is not in the schema's namespace" },
	/* "Expecting no namespace for element %s" */
	{ XML_RELAXNG_ERR_ELEMEXTRANS, NAMES_TAG,
	  "an element is not in the schema's namespace" },
	{ XML_RELAXNG_ERR_ELEMWRONG, NAMES_TAG, "an element is not allowed here" },
	{ XML_RELAXNG_ERR_NOELEM, NAMES_TAG, "an element is missing" },
	{ XML_RELAXNG_ERR_ELEMNOTEMPTY, NAMES_TAG, "an element must be empty" },
	/* an attribute the element may not have, or one it may have with a
	 * value the schema refuses */
	{ XML_RELAXNG_ERR_INVALIDATTR, NAMES_ATTR,
	  "an attribute or its value is not allowed" },
	{ XML_RELAXNG_ERR_ATTRVALID, NAMES_TAG,
	  "an element's attributes are not valid" },
	{ XML_RELAXNG_ERR_CONTENTVALID, NAMES_TAG,
	  "an element's content is not valid" },
	{ XML_RELAXNG_ERR_EXTRACONTENT, NAMES_TAG,
	  "an element holds more than it may" },
	{ XML_RELAXNG_ERR_DATAELEM, NAMES_TAG,
	  "an element holds elements where text is expected" },
	{ XML_RELAXNG_ERR_TEXTWRONG, NAMES_TAG,
	  "text is not allowed in an element" },
	{ XML_RELAXNG_ERR_TYPE, NAMES_NONE, BAD_VALUE },
	{ XML_RELAXNG_ERR_TYPEVAL, NAMES_NONE, BAD_VALUE },
	{ XML_RELAXNG_ERR_TYPECMP, NAMES_NONE, BAD_VALUE },
	{ XML_RELAXNG_ERR_DATATYPE, NAMES_NONE, BAD_VALUE },
	{ XML_RELAXNG_ERR_VALUE, NAMES_NONE, BAD_VALUE },
	{ XML_RELAXNG_ERR_LIST, NAMES_NONE, BAD_VALUE },
};

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

/* The table of the parser's errors, or of the validator's. */
static const xml_phrase *table_of(int validator, size_t *n)
{
	*n = validator ? COUNT(validity) : COUNT(phrases);
	return validator ? validity : phrases;
}

int rs_xml_phrase(int validator, size_t i, const char **phrase)
{
	size_t n;
	const xml_phrase *tab = table_of(validator, &n);

	if (i >= n)
		return -1;
	*phrase = tab[i].phrase;
	return tab[i].code;
}

static const xml_phrase *lookup(int validator, int code)
{
	size_t i, n;
	const xml_phrase *tab = table_of(validator, &n);

	for (i = 0; i < n; i++)
		if (tab[i].code == code)
			return &tab[i];
	return NULL;
}

int rs_xml_nameless(int code)
{
	const xml_phrase *p = lookup(1, code);

	return p && p->names == NAMES_NONE;
}

/* A name of the file, cut on a character boundary past
 * RS_XMLERR_NAME_MAX bytes, into `out` (its size > RS_XMLERR_NAME_MAX
 * + 3). libxml2 names only what it parsed as UTF-8. */
static const char *name_of(const char *s, char *out)
{
	size_t n;

	if (!s || strlen(s) <= RS_XMLERR_NAME_MAX)
		return s ? s : "";
	n = rs_utf8_cut(s, RS_XMLERR_NAME_MAX);
	memcpy(out, s, n);
	memcpy(out + n, "...", 4);
	return out;
}

/*
 * Errors whose code says less than their message, their phrase or NULL:
 * elements nested past libxml2's limit (256 deep) are an internal error,
 * and so is text the parser cannot go on reading, which bytes that are
 * not UTF-8 near the end of the input cause (every such error of 300,000
 * random documents of a few pieces each);
 * an '&' starting no reference, as in "Smith & Sons", a missing name (as
 * a bad tag's); and bytes that are not UTF-8 an invalid character, as a
 * character XML forbids, but then libxml2 quotes the bytes ("Bytes:
 * 0xE9 ...") in the error's first string, or names UTF-8 in its message.
 */
static const char *said_by_message(const xmlError *e)
{
	if (e->code == XML_ERR_INTERNAL_ERROR && e->message &&
	    strstr(e->message, "depth"))
		return "elements are nested too deep";
	/* the parser stuck in text: bytes that are not UTF-8 before the
	 * end (a character cut short there, a lone continuation byte) */
	if (e->code == XML_ERR_INTERNAL_ERROR && e->message &&
	    strstr(e->message, "error in element content"))
		return "the text is not valid UTF-8";
	if (e->code == XML_ERR_NAME_REQUIRED && e->message &&
	    strstr(e->message, "EntityRef"))
		return AMPERSAND;
	if (e->code == XML_ERR_INVALID_CHAR &&
	    ((e->str1 && strncmp(e->str1, "Bytes:", 6) == 0) ||
	     (e->message && strstr(e->message, "UTF-8"))))
		return "the text is not valid UTF-8";
	return NULL;
}

void rs_xml_describe(const xmlError *e, char *out, size_t size)
{
	char a[RS_XMLERR_NAME_MAX + 4], b[RS_XMLERR_NAME_MAX + 4];
	char names[2 * RS_XMLERR_NAME_MAX + 16];
	int valid = e->domain == XML_FROM_RELAXNGV;
	const char *said = valid ? NULL : said_by_message(e);
	const xml_phrase *p = said ? NULL : lookup(valid, e->code);
	const char *s1, *s2;

	if (said || !p) {
		if (said)
			snprintf(out, size, "%s", said);
		else
			snprintf(out, size, "%s: libxml2 %d",
				 valid ? "the schema is not followed"
				       : "not well-formed",
				 e->code);
		return;
	}
	s1 = name_of(e->str1, a);
	s2 = name_of(e->str2, b);
	names[0] = '\0';
	switch (p->names) {
	case NAMES_TAG:
		snprintf(names, sizeof(names), "<%s>", s1);
		break;
	case NAMES_SECOND:
		if (*s2)
			snprintf(names, sizeof(names), "<%s>", s2);
		break;
	case NAMES_OPEN:
		snprintf(names, sizeof(names), "<%s", s1);
		break;
	case NAMES_PAIR:
		/* an end tag of no name is "unparsable" to libxml2, its
		 * word; and it names a prefixed pair without prefixes, "a"
		 * closed by "a" */
		if (*s2 && strcmp(s2, "unparsable") && strcmp(s1, s2))
			snprintf(names, sizeof(names), "<%s>, </%s>", s1, s2);
		break;
	case NAMES_ATTR:
		if (*s2)
			snprintf(names, sizeof(names), "<%s> %s", s2, s1);
		break;
	case NAMES_PLAIN:
		snprintf(names, sizeof(names), "%s", s1);
		break;
	case NAMES_QNAME:
		snprintf(names, sizeof(names), *s2 ? "%s:%s" : "%s", s1, s2);
		break;
	case NAMES_ENTITY:
		snprintf(names, sizeof(names), "&%s;", s1);
		break;
	}
	/* no first name, no names at all */
	if (!*s1 && p->names != NAMES_SECOND)
		names[0] = '\0';
	snprintf(out, size, *names ? "%s: %s" : "%s", p->phrase, names);
}

#ifdef LIBXML_THREAD_ENABLED
static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx, (void)msg;
}
#endif

void rs_xml_errors_take(rs_xml_handlers *saved, xmlStructuredErrorFunc handler,
			void *ctx)
{
#ifdef LIBXML_THREAD_ENABLED
	saved->generic = xmlGenericError;
	saved->generic_ctx = xmlGenericErrorContext;
	saved->structured = xmlStructuredError;
	saved->structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(ctx, handler);
#else
	memset(saved, 0, sizeof(*saved));
	(void)handler, (void)ctx;
#endif
}

void rs_xml_errors_restore(const rs_xml_handlers *saved)
{
#ifdef LIBXML_THREAD_ENABLED
	xmlSetGenericErrorFunc(saved->generic_ctx, saved->generic);
	xmlSetStructuredErrorFunc(saved->structured_ctx, saved->structured);
#else
	(void)saved;
#endif
}
