/*
 * markup.h: what an XML parser cannot be trusted with, found as the
 * bytes come, before libxml2 parses them.
 *
 * libxml2 checks a tag's attributes for duplicates pair by pair, so that
 * a tag of tens of thousands of them takes seconds to hours to parse, and
 * adds a DOCTYPE's attribute defaults to a tag the same way after
 * parsing its whole internal subset. The scan follows the markup of the
 * bytes given, in as many pieces as they come, and stops at a tag of more
 * than RS_MARKUP_ATTRS attributes or at a DOCTYPE. Comments, processing
 * instructions, CDATA and quoted values are skipped whole; a document
 * this misreads is not well-formed, and the parser refuses it anyway.
 *
 * libxml2's push parser keeps what it reads until the next tag: all of
 * it when that is comments and processing instructions, with white
 * space between them, or a tag's attributes. A scan given a limit
 * (rs_markup.between_max) stops at more bytes from the end of an
 * element's tag to the end of the next.
 *
 * It also follows the elements open, so that a reader can say what a
 * parser's fault at the end means: libxml2 reports a file that ends
 * before its root element closes, or holds none, as "extra content at
 * the end of the document", as it reports content after the root.
 */
#ifndef RS_MARKUP_H
#define RS_MARKUP_H

#include <stddef.h>

/* The most attributes a tag may have (roster's formats use at most 7). */
#define RS_MARKUP_ATTRS 32

/* What stopped a scan. */
enum rs_markup_fault {
	RS_MARKUP_OK = 0,
	RS_MARKUP_ATTRS_MANY = 1, /* a tag of too many attributes */
	RS_MARKUP_DOCTYPE = 2,	  /* a DOCTYPE */
	RS_MARKUP_BETWEEN = 3	  /* more than between_max bytes from the
				     end of a tag to the end of the next */
};

/* How far the root element went (rs_markup.root). */
enum rs_markup_root {
	RS_MARKUP_NO_ROOT = 0,	  /* no element yet */
	RS_MARKUP_ROOT_OPEN = 1,  /* the root opened, not closed */
	RS_MARKUP_ROOT_CLOSED = 2 /* the root closed (or was empty) */
};

typedef struct rs_markup {
	int state, quote, run; /* run: '-', ']' or '?' just before */
	size_t attrs;
	unsigned long line, tag_line; /* tag_line: the line of the last '<' */
	int end_tag;	     /* the tag read is an end tag ("</") */
	int slash;	     /* its last byte was '/' (an empty element) */
	unsigned long depth; /* elements open */
	int root;	     /* enum rs_markup_root */
	/* bytes since the end of the last element's tag, and the most
	 * allowed (0: any number; set after init) */
	size_t between, between_max;
} rs_markup;

/* A scan at the start of a document (line 1), with no limit of bytes
 * between two tags. */
void rs_markup_init(rs_markup *m);
/* Scan the next n bytes: RS_MARKUP_OK, or the fault, whose line is
 * m->tag_line (m->line, where the scan stopped, for RS_MARKUP_BETWEEN).
 * A scan that found a fault is not to be continued. */
int rs_markup_scan(rs_markup *m, const char *p, size_t n);

#endif
