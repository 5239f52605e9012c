/*
 * xmlerr.h: libxml2's parser and RELAX NG validator errors in roster's
 * words, and away from the host's handlers while roster parses.
 *
 * libxml2 words its errors in English only. The XML importer and the
 * catalog parser (and the catalog's schema check) report its first error
 * as one of roster's phrases instead, which the details table of i18n.c has in every language,
 * followed by what the error names from the file (an element, an
 * attribute, an entity, an encoding) after ": ", in markup no language
 * changes: "an attribute is given twice: id". The bytes libxml2 quotes
 * of a text that is not UTF-8 (a password's, perhaps) are never kept.
 */
#ifndef RS_XMLERR_H
#define RS_XMLERR_H

#include <stddef.h>

#include <libxml/xmlerror.h>

/* A thread's handlers of libxml2's errors. */
typedef struct rs_xml_handlers {
	xmlGenericErrorFunc generic;
	void *generic_ctx;
	xmlStructuredErrorFunc structured;
	void *structured_ctx;
} rs_xml_handlers;

/* The most bytes of a name from the file a description quotes: the
 * longest description, two names cut, fits an error's value (127); after
 * a catalog's place, its names may be cut there, never its phrase. */
#define RS_XMLERR_NAME_MAX 32
/* Room for any description. */
#define RS_XMLERR_SIZE (2 * RS_XMLERR_NAME_MAX + 96)

/*
 * Describe `e` into `out` (`size` > 0 bytes): a phrase of i18n.c's
 * details, then ": " and the names when the error has some. A parser's
 * error of no phrase is "not well-formed: libxml2 <its code>", a RELAX NG
 * validator's (domain XML_FROM_RELAXNGV) "the schema is not followed:
 * libxml2 <its code>".
 */
void rs_xml_describe(const xmlError *e, char *out, size_t size);

/* Is the validator's error `code` one naming nothing from the file (a
 * value refused, whose element a later error names)? */
int rs_xml_nameless(int code);

/* The libxml2 error code of phrase i of the parser's errors (validator
 * 0) or the validator's (1), and the phrase in *phrase; -1 past the last
 * (so that a test checks each has its words everywhere). */
int rs_xml_phrase(int validator, size_t i, const char **phrase);

/*
 * Keep the calling thread's handlers of libxml2's errors in *saved, then
 * send its errors to `handler` (with `ctx`) while roster parses: an
 * error of no parser context (out of memory creating one) goes there,
 * and the few messages libxml2 writes with no error record ("malloc
 * failed") go nowhere, where they were printed on the host's stderr.
 * rs_xml_errors_restore gives the host its handlers back. A libxml2
 * without threads has one pair for the process, which another thread
 * would take: there both do nothing.
 */
void rs_xml_errors_take(rs_xml_handlers *saved, xmlStructuredErrorFunc handler,
			void *ctx);
void rs_xml_errors_restore(const rs_xml_handlers *saved);

#endif
