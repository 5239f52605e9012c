/*
 * xml.c: the XML reader of roster_import (docs/bulk.md).
 *
 *   <users xmlns="urn:roster:users:1">
 *     <user><first_name>Marie</first_name>...
 *       <lines><line>+33123456789</line></lines></user>
 *   </users>
 *
 * Streamed with libxml2's reader over the read callback: the reader keeps
 * only the nodes it is on, and this file one user's cells. Safety as in
 * catalog/parse.c: no network, no DTD loading, no entity substitution, the
 * text read as UTF-8; a DOCTYPE or an entity reference is refused, so no
 * entity (external or recursive) is ever expanded. Errors go to a handler
 * set on the reader, and those no parser context catches (detecting the
 * encoding of the first bytes as the reader is made, converting input) to
 * one set for the thread while libxml2 works for the import: roster
 * never prints them. libxml2 is initialised once (pthread_once).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>

#include "bulk.h"
#include "util/markup.h"
#include "util/xmlerr.h"

#define NS "urn:roster:users:1"
/* The most bytes from the end of a tag to the end of the next: libxml2
 * keeps them until that tag (comments and the white space between them,
 * a tag's attributes), and a field holds 64 KiB at most. */
#define BETWEEN_MAX (1024 * 1024)

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

void rs_xml_once(void)
{
	pthread_once(&xml_once, xml_init);
}

typedef struct xin {
	rs_import *im;
	const rs_alloc *al;
	xmlTextReaderPtr r;
	int read_failed;
	int cr; /* the last byte read was a CR */
	/* the thread's handlers of libxml2 errors before the import */
	rs_xml_handlers host;
	/* the markup of the bytes read, followed across reads */
	rs_markup scan;
	int scan_fault; /* what stopped it (rs_markup_fault) */
	/* the first error libxml2 reported */
	int have_err, err_code;
	unsigned long err_line;
	char err_msg[RS_XMLERR_SIZE];
	/* the user being read */
	unsigned long line;
	char *buf;
	size_t len, cap;
	size_t offs[RS_COLS];
	int fields[RS_COLS];
	const char *values[RS_COLS];
	size_t ncells;
	int twice; /* a field given twice: its number */
	size_t cell_start;
} xin;

/*
 * Line breaks as LF alone, in place: XML reads CR LF and a lone CR as
 * LF (XML 1.0, 2.11), but libxml2 counts only the LFs, so the lines of a
 * file of lone CRs all said 1. The bytes left, fewer when an LF went.
 */
static size_t lf_breaks(xin *x, char *buf, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n' && x->cr) {
			x->cr = 0; /* the LF of a CR LF: the CR was its LF */
			continue;
		}
		x->cr = c == '\r';
		buf[k++] = x->cr ? '\n' : c;
	}
	return k;
}

static void on_error(void *arg, xmlErrorPtr e);

/* The thread's libxml2 errors to the import (1), or back to the
 * handlers the host had (0), as while its callback reads. */
static void errors_to_import(xin *x, int on)
{
	if (on)
		rs_xml_errors_take(&x->host, on_error, x);
	else
		rs_xml_errors_restore(&x->host);
}

static int io_read(void *ctx, char *buf, int len)
{
	xin *x = ctx;
	long n;

	if (len <= 0 || x->scan_fault)
		return x->scan_fault ? -1 : 0;
	/* a piece that was only the LF of a CR LF is not the end */
	do {
		errors_to_import(x, 0);
		n = rs_import_read(x->im, buf, (size_t)len);
		errors_to_import(x, 1);
		if (n < 0) {
			x->read_failed = 1;
			return -1;
		}
	} while (n > 0 && !(n = (long)lf_breaks(x, buf, (size_t)n)));
	/* a tag libxml2 would take long over, or a DOCTYPE, stops the
	 * import before libxml2 sees it (util/markup.h) */
	if ((x->scan_fault = rs_markup_scan(&x->scan, buf, (size_t)n)))
		return -1;
	return (int)n;
}

static void on_error(void *arg, xmlErrorPtr e)
{
	xin *x = arg;

	if (!e || e->level < XML_ERR_ERROR || x->have_err)
		return;
	x->have_err = 1;
	x->err_code = e->code;
	x->err_line = e->line > 0 ? (unsigned long)e->line : 0;
	rs_xml_describe(e, x->err_msg, sizeof(x->err_msg));
}

/*
 * The line of the reader's node. libxml2 keeps a node's line in 16 bits
 * (65,535 for that line and any past it): there the line is where the
 * parser stands, which is the node's or, as the reader parses a chunk
 * ahead, a later one.
 */
static unsigned long line_here(const xin *x)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(x->r);
	long l = n ? xmlGetLineNo(n) : -1, p;

	if (l > 0 && l < 65535)
		return (unsigned long)l;
	p = xmlTextReaderGetParserLineNumber(x->r);
	if (p > l && p > 0)
		return (unsigned long)p;
	return l > 0 ? (unsigned long)l : 1;
}

static int fault(xin *x, const char *what)
{
	return rs_import_file_fault(x->im, line_here(x), NULL, "import.xml",
				    what);
}

static int append(xin *x, const char *s, size_t n)
{
	if (x->len - x->cell_start + n > RS_BULK_CELL_MAX)
		return fault(x, "a field is longer than 65536 bytes");
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 1024;
		char *b;

		while (cap < x->len + n + 1)
			cap *= 2;
		/* cells may hold passwords: no copy is left behind */
		if (!(b = rs_grow_wiped(x->al, x->buf, x->cap, cap)))
			return rs_nomem(rs_import_dir(x->im));
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, s, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return 0;
}

/* Is the node the reader is on an element of ours named `name`? */
static int ours(const xin *x, const char *name)
{
	const xmlChar *ns = xmlTextReaderConstNamespaceUri(x->r);
	const xmlChar *local = xmlTextReaderConstLocalName(x->r);

	return ns && local && strcmp((const char *)ns, NS) == 0 &&
	       (!name || strcmp((const char *)local, name) == 0);
}

/*
 * What libxml2's error means. It reports a file that ends before its
 * root element is closed, cut short, or that holds no element at all as
 * content after the root (XML_ERR_DOCUMENT_END): the scan of the bytes
 * tells which.
 */
static const char *err_detail(const xin *x)
{
	if (x->err_code != XML_ERR_DOCUMENT_END ||
	    x->scan.root == RS_MARKUP_ROOT_CLOSED)
		return x->err_msg;
	return x->scan.root == RS_MARKUP_NO_ROOT
		       ? "no root element"
		       : "the file ends before its root element is closed";
}

/* Advance; 1 on a node, 0 at the end, < 0 a recorded failure. */
static int next(xin *x)
{
	int rc = xmlTextReaderRead(x->r);
	int t;

	if (rc < 0 || x->read_failed || x->have_err || x->scan_fault) {
		if (x->read_failed)
			return ROSTER_ESTORAGE;
		if (x->scan_fault)
			return rs_import_file_fault(
				x->im,
				x->scan_fault == RS_MARKUP_BETWEEN
					? x->scan.line
					: x->scan.tag_line,
				NULL, "import.xml",
				x->scan_fault == RS_MARKUP_DOCTYPE
					? "a DOCTYPE is not allowed"
				: x->scan_fault == RS_MARKUP_BETWEEN
					? "more than 1 MiB between two tags"
					: "a tag with too many attributes");
		if (!x->have_err)
			return fault(x, "not well-formed");
		if (x->err_code == XML_ERR_NO_MEMORY)
			return rs_nomem(rs_import_dir(x->im));
		/* an error of no parser (the input's encoding) has no line */
		return rs_import_file_fault(
			x->im, x->err_line ? x->err_line : line_here(x), NULL,
			"import.xml", err_detail(x));
	}
	if (rc == 0)
		return 0;
	t = xmlTextReaderNodeType(x->r);
	if (t == XML_READER_TYPE_DOCUMENT_TYPE)
		return fault(x, "a DOCTYPE is not allowed");
	if (t == XML_READER_TYPE_ENTITY_REFERENCE ||
	    t == XML_READER_TYPE_ENTITY)
		return fault(x, "an entity reference is not allowed");
	/* libxml2 keeps every name it reads for the whole parse: a file of
	 * distinct attribute names or instruction targets would grow memory
	 * with its length. The format has none: the first stops it. */
	if (t == XML_READER_TYPE_PROCESSING_INSTRUCTION)
		return fault(x, "a processing instruction is not allowed");
	if (t == XML_READER_TYPE_ELEMENT && xmlTextReaderDepth(x->r) > 0 &&
	    xmlTextReaderHasAttributes(x->r) == 1)
		return fault(x, "only <users> has attributes");
	return 1;
}

static int blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/* Skip comments and white space; refuse text. */
static int skippable(xin *x, int *skip)
{
	int t = xmlTextReaderNodeType(x->r);

	*skip = 1;
	switch (t) {
	case XML_READER_TYPE_COMMENT:
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
	case XML_READER_TYPE_XML_DECLARATION:
		return 0;
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
		if (blank(xmlTextReaderConstValue(x->r)))
			return 0;
		return fault(x, "text outside a field");
	default:
		*skip = 0;
		return 0;
	}
}

/* The text of the element the reader is on, up to its end, appended. */
static int read_text(xin *x, int depth)
{
	int rc, t;

	if (xmlTextReaderIsEmptyElement(x->r))
		return 0;
	while ((rc = next(x)) == 1) {
		t = xmlTextReaderNodeType(x->r);
		if (t == XML_READER_TYPE_END_ELEMENT &&
		    xmlTextReaderDepth(x->r) == depth)
			return 0;
		if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
		    t == XML_READER_TYPE_WHITESPACE ||
		    t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
			const char *v =
				(const char *)xmlTextReaderConstValue(x->r);
			if (v && (rc = append(x, v, strlen(v))))
				return rc;
		} else if (t == XML_READER_TYPE_ELEMENT) {
			return fault(x, "an element inside a field");
		}
	}
	return rc < 0 ? rc : fault(x, "unexpected end");
}

/* <lines> or <products>: the text of each of its `item` elements (line,
 * product), each after RS_ITEM_SEP. */
static int read_list(xin *x, const char *item)
{
	static const char sep = RS_ITEM_SEP;
	int rc, t, skip;

	if (xmlTextReaderIsEmptyElement(x->r))
		return 0;
	while ((rc = next(x)) == 1) {
		if ((rc = skippable(x, &skip)))
			return rc;
		if (skip)
			continue;
		t = xmlTextReaderNodeType(x->r);
		if (t == XML_READER_TYPE_END_ELEMENT)
			return 0;
		if (t != XML_READER_TYPE_ELEMENT || !ours(x, item))
			return fault(x, strcmp(item, "line") == 0
						? "<lines> holds only <line> elements"
						: "<products> holds only <product> "
						  "elements");
		if ((rc = append(x, &sep, 1)))
			return rc;
		if ((rc = read_text(x, xmlTextReaderDepth(x->r))))
			return rc;
	}
	return rc < 0 ? rc : fault(x, "unexpected end");
}

/* One field element inside <user>. */
static int read_field(xin *x)
{
	const char *name = (const char *)xmlTextReaderConstLocalName(x->r);
	int f = ours(x, NULL) && name ? rs_bulk_column(name) : 0;
	size_t i;
	int rc;

	if (!f)
		return rs_import_file_fault(x->im, line_here(x), NULL,
					    "import.column",
					    name ? name : "");
	for (i = 0; i < x->ncells && x->fields[i] != f; i++)
		;
	if (i < x->ncells && !x->twice)
		x->twice = f;
	x->cell_start = x->len;
	rc = f == ROSTER_FIELD_LINES	? read_list(x, "line")
	     : f == RS_COL_PRODUCTS ? read_list(x, "product")
				    : read_text(x, xmlTextReaderDepth(x->r));
	if (rc)
		return rc;
	if (i < x->ncells) {
		/* the row is refused at </user>: a repeat's text is not kept,
		 * so that a <user> of repeated elements holds one of each */
		x->len = x->cell_start;
		return 0;
	}
	if ((rc = append(x, "", 0)))
		return rc;
	x->len++; /* keep the NUL */
	if (x->ncells < RS_COLS) {
		x->fields[x->ncells] = f;
		x->offs[x->ncells++] = x->cell_start;
	}
	return 0;
}

/* One <user>: its fields, then the row. */
static int read_user(xin *x)
{
	rs_row row;
	size_t i;
	int rc, t, skip, empty;

	x->line = line_here(x);
	x->len = x->cell_start = 0;
	x->ncells = 0;
	x->twice = 0;
	empty = xmlTextReaderIsEmptyElement(x->r);
	while (!empty) {
		if ((rc = next(x)) != 1)
			return rc < 0 ? rc : fault(x, "unexpected end");
		if ((rc = skippable(x, &skip)))
			return rc;
		if (skip)
			continue;
		t = xmlTextReaderNodeType(x->r);
		if (t == XML_READER_TYPE_END_ELEMENT)
			break;
		if (t != XML_READER_TYPE_ELEMENT)
			return fault(x, "unexpected node in <user>");
		if ((rc = read_field(x)))
			return rc;
	}
	for (i = 0; i < x->ncells; i++)
		x->values[i] = x->buf + x->offs[i];
	row.line = x->line;
	row.n = x->ncells;
	row.fields = x->fields;
	row.values = x->values;
	row.line_sep = RS_ITEM_SEP;
	if (x->twice)
		return rs_import_row_refused(x->im, &row,
					     rs_bulk_column_name(x->twice),
					     "import.twice");
	return rs_import_row(x->im, &row);
}

static int read_doc(xin *x)
{
	int rc, t, skip, root = 0;

	while ((rc = next(x)) == 1) {
		if ((rc = skippable(x, &skip)))
			return rc;
		if (skip)
			continue;
		t = xmlTextReaderNodeType(x->r);
		if (!root) {
			if (t != XML_READER_TYPE_ELEMENT || !ours(x, "users"))
				return fault(x, "the root element must be "
						"<users xmlns=\"" NS "\">");
			root = 1;
			continue;
		}
		if (t == XML_READER_TYPE_END_ELEMENT)
			continue; /* </users>; what follows is checked */
		if (t != XML_READER_TYPE_ELEMENT || !ours(x, "user") ||
		    xmlTextReaderDepth(x->r) != 1)
			return fault(x, "<users> holds only <user> elements");
		if ((rc = read_user(x)))
			return rc;
	}
	if (rc == 0 && !root)
		return fault(x, "no root element");
	return rc;
}

int rs_xml_import(rs_import *im)
{
	roster_directory *dir = rs_import_dir(im);
	xin *x = rs_calloc(&dir->al, 1, sizeof(*x));
	int rc;

	if (!x)
		return rs_nomem(dir);
	rs_xml_once();
	x->im = im;
	x->al = &dir->al;
	rs_markup_init(&x->scan);
	x->scan.between_max = BETWEEN_MAX;
	errors_to_import(x, 1);
	x->r = xmlReaderForIO(io_read, NULL, x, "import.xml", "UTF-8",
			      XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
	if (!x->r) {
		errors_to_import(x, 0);
		rc = x->read_failed ? ROSTER_ESTORAGE : rs_nomem(dir);
		rs_free(&dir->al, x);
		return rc;
	}
	xmlTextReaderSetStructuredErrorHandler(x->r, on_error, x);
	rc = read_doc(x);
	xmlFreeTextReader(x->r);
	errors_to_import(x, 0);
	rs_free_wiped(&dir->al, x->buf, x->cap);
	rs_free(&dir->al, x);
	return rc > 0 ? 0 : rc;
}
