/*
 * parse.c: catalog text to a libxml2 document that the schema accepts.
 *
 * Safety: no network (XML_PARSE_NONET), no entity substitution and no DTD
 * loading; a document with a DOCTYPE is refused as soon as the DOCTYPE is
 * read, so no entity (external or recursive) is ever declared. The text
 * is read as UTF-8 whatever its declaration says (XML_PARSE_IGNORE_ENC).
 *
 * Errors go to handlers set on each parser and validation context, never
 * to libxml2's process-wide handlers, so roster neither prints nor
 * disturbs another libxml2 user of the process. libxml2 is initialised
 * once (pthread_once); the schema is compiled for each load, so that no
 * libxml2 object is shared between threads.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "error.h"
#include "util/markup.h"
#include "util/text.h"
#include "util/xmlerr.h"

/* The first error one parse or validation reported. */
typedef struct xerr {
	int nomem; /* libxml2 ran out of memory */
	int code;  /* libxml2's code of the error kept, 0 for roster's own */
	const char *rule;
	unsigned long line;
	char msg[RS_XMLERR_SIZE];
} xerr;

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
	/* the datatype tables of RELAX NG, built once before any thread
	 * compiles a schema */
	xmlRelaxNGInitTypes();
}

static void keep(xerr *x, const char *rule, unsigned long line,
		 const char *msg)
{
	size_t n;

	if (x->rule)
		return;
	x->rule = rule;
	x->line = line;
	snprintf(x->msg, sizeof(x->msg), "%s", msg ? msg : "error");
	/* libxml2 ends its messages with a newline, and some have more */
	n = strlen(x->msg);
	while (n > 0 && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' '))
		x->msg[--n] = '\0';
	while (n > 0)
		if (x->msg[--n] == '\n')
			x->msg[n] = ' ';
}

static unsigned long error_line(const xmlError *e)
{
	if (e->node) {
		long l = xmlGetLineNo((const xmlNode *)e->node);
		if (l > 0)
			return (unsigned long)l;
	}
	return e->line > 0 ? (unsigned long)e->line : 0;
}

/* Parser errors: `ctx` is the parser context (its userData). */
static void parse_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = ctx;
	char says[sizeof(((xerr *)0)->msg)];

	if (!ctxt || !e || e->level < XML_ERR_ERROR)
		return;
	if (e->code == XML_ERR_NO_MEMORY) {
		((xerr *)ctxt->_private)->nomem = 1;
		return;
	}
	rs_xml_describe(e, says, sizeof(says));
	keep(ctxt->_private, "catalog.syntax", error_line(e), says);
}

/* A DOCTYPE the scan ahead did not see (it sees every one in a document
 * it reads right): refused before its internal subset is read. */
static void parse_doctype(void *ctx, const xmlChar *name,
			  const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	xerr *x = ctxt->_private;

	(void)name, (void)external_id, (void)system_id;
	keep(x, "catalog.syntax", (unsigned long)xmlSAX2GetLineNumber(ctxt),
	     "a DOCTYPE is not allowed");
	xmlStopParser(ctxt);
}

/*
 * Validation errors: `data` is our xerr. libxml2 reports a wrong value
 * first without a name, then names the element: the second says more.
 */
static void schema_error(void *data, xmlErrorPtr e)
{
	xerr *x = data;
	char says[sizeof(x->msg)];

	if (!e || e->level < XML_ERR_ERROR)
		return;
	if (e->code == XML_ERR_NO_MEMORY) {
		x->nomem = 1;
		return;
	}
	if (x->rule && rs_xml_nameless(x->code))
		x->rule = NULL;
	if (x->rule)
		return;
	rs_xml_describe(e, says, sizeof(says));
	keep(x, "catalog.schema", error_line(e), says);
	x->code = e->code;
}

/*
 * The attributes every element must have; all but "format" hold an
 * identifier. Used only to explain a refusal of the validator, which
 * reports a missing attribute without its line and a malformed one
 * without its name.
 */
static const struct {
	const char *element;
	const char *attrs[2];
} required[] = {
	{ "catalog", { "format", NULL } },   { "service", { "id", NULL } },
	{ "tier", { "id", NULL } },	     { "edition", { "id", NULL } },
	{ "family", { "id", NULL } },	     { "licence", { "id", "family" } },
	{ "client", { "id", NULL } },	     { "pack", { "id", NULL } },
	{ "product", { "id", NULL } },	     { "language", { "id", NULL } },
	{ "change", { "from", "to" } },	     { "offer", { "tier", NULL } },
	{ "orderable", { "service", NULL } }, { "requires", { "service", NULL } },
	{ "includes", { "client", NULL } },
};

#define LACKS "an element lacks a required attribute"

/*
 * A value of the file as a refusal quotes it: 32 bytes at most, cut on
 * a character boundary and before any ": " (which would end the names
 * of a detail, i18n.c), marked "..." when cut, into `out` (48 bytes).
 */
static const char *quoted(const xmlChar *v, char out[48])
{
	const char *s = (const char *)v, *colon = strstr(s, ": ");
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	int cut = colon != NULL;

	if (n > 32) {
		n = rs_utf8_cut(s, 32);
		cut = 1;
	}
	snprintf(out, 48, "%.*s%s", (int)n, s, cut ? "..." : "");
	return out;
}

static int is_id(const xmlChar *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
			return 0;
	return i >= 1 && i <= ROSTER_ITEM_ID_MAX;
}

/* The fault of one attribute of `n` into msg; 1 when there is one. */
static int check_attr(const xmlNode *n, const char *attr, int id, int needed,
		      char *msg, size_t size)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
	int bad = 0;
	char q[48];

	if (!v) {
		if (needed)
			snprintf(msg, size, "%s: <%s> %s", LACKS,
				 (const char *)n->name, attr);
		return needed;
	}
	if (id)
		bad = !is_id(v);
	else
		bad = strcmp((const char *)v, "1") != 0;
	if (bad)
		snprintf(msg, size, "%s: <%s> %s=\"%s\"",
			 id ? "an identifier is malformed (a-z, 0-9, '-', at "
			      "most 32)"
			    : "an attribute's value is not allowed",
			 (const char *)n->name, attr, quoted(v, q));
	xmlFree(v);
	return bad;
}

static int check_lang(const xmlNode *n, char *msg, size_t size)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"lang",
				  XML_XML_NAMESPACE);
	int bad = !v || (strcmp((const char *)v, "en") != 0 &&
			 strcmp((const char *)v, "fr") != 0 &&
			 strcmp((const char *)v, "cs") != 0);
	char q[48];

	if (bad && v)
		snprintf(msg, size, "a name's language is not en, fr or cs: "
				    "<name> xml:lang=\"%s\"", quoted(v, q));
	else if (bad)
		snprintf(msg, size, "%s: <name> xml:lang", LACKS);
	xmlFree(v);
	return bad;
}

/* Elements that are items, which have names. */
static int has_names(const char *element)
{
	size_t i;

	/* required[1] .. required[9]: service .. language */
	for (i = 1; i <= 9; i++)
		if (strcmp(element, required[i].element) == 0)
			return 1;
	return 0;
}

static const xmlNode *first_name(const xmlNode *n)
{
	for (n = n->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, "name") == 0)
			return n;
	return NULL;
}

/* The first element (in document order) whose attributes are wrong, or
 * an item without a name. */
static void diagnose(const xmlNode *root, xerr *x)
{
	const xmlNode *n = root;
	char msg[sizeof(x->msg)];

	while (n) {
		const char *name = (const char *)n->name;
		size_t i;
		int k, bad = 0;

		if (n->type == XML_ELEMENT_NODE) {
			for (i = 0; i < sizeof(required) / sizeof(required[0]);
			     i++) {
				if (strcmp(name, required[i].element) != 0)
					continue;
				for (k = 0; k < 2 && !bad; k++)
					bad = required[i].attrs[k] &&
					      check_attr(n, required[i].attrs[k],
							 i > 0, 1, msg,
							 sizeof(msg));
			}
			if (!bad && strcmp(name, "licence") == 0)
				bad = check_attr(n, "tier", 1, 0, msg,
						 sizeof(msg));
			if (!bad && strcmp(name, "name") == 0)
				bad = check_lang(n, msg, sizeof(msg)) ||
				      check_attr(n, "edition", 1, 0, msg,
						 sizeof(msg));
			if (!bad && has_names(name) && !first_name(n)) {
				snprintf(msg, sizeof(msg),
					 "an item has no name: <%s>", name);
				bad = 1;
			}
			if (bad) {
				x->line = (unsigned long)xmlGetLineNo(n);
				snprintf(x->msg, sizeof(x->msg), "%s", msg);
				return;
			}
		}
		/* depth first, without recursion */
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && !n->next && n != root)
			n = n->parent;
		if (!n || n == root)
			return;
		n = n->next;
	}
}

static int fail(const xerr *x, const char *name)
{
	char value[160];

	rs_catalog_where(value, sizeof(value), name, x->line, x->msg);
	return rs_error_tl(ROSTER_EPARSE, "catalog", x->rule, value);
}

static int nomem(void)
{
	return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
}

static int validate(xmlDocPtr doc, const char *name)
{
	xmlRelaxNGParserCtxtPtr pctxt;
	xmlRelaxNGPtr schema;
	xmlRelaxNGValidCtxtPtr vctxt;
	xerr x;
	int rc;

	memset(&x, 0, sizeof(x));
	pctxt = xmlRelaxNGNewMemParserCtxt(rs_catalog_schema_text,
					   (int)rs_catalog_schema_text_len);
	if (!pctxt)
		return nomem();
	xmlRelaxNGSetParserStructuredErrors(pctxt, schema_error, &x);
	schema = xmlRelaxNGParse(pctxt);
	xmlRelaxNGFreeParserCtxt(pctxt);
	if (!schema) {
		if (!x.rule || x.nomem)
			return nomem();
		return rs_error_tl(ROSTER_ERROR, "catalog", "catalog.schema",
				   "the built-in schema does not compile");
	}
	vctxt = xmlRelaxNGNewValidCtxt(schema);
	if (!vctxt) {
		xmlRelaxNGFree(schema);
		return nomem();
	}
	xmlRelaxNGSetValidStructuredErrors(vctxt, schema_error, &x);
	rc = xmlRelaxNGValidateDoc(vctxt, doc);
	xmlRelaxNGFreeValidCtxt(vctxt);
	xmlRelaxNGFree(schema);
	/* short of memory, the validator may refuse what it could not
	 * check */
	if (x.nomem)
		return nomem();
	if (rc == 0)
		return ROSTER_OK;
	if (!x.rule) {
		if (rc < 0)
			return nomem();
		keep(&x, "catalog.schema", 0, "the schema is not followed");
	}
	/* the validator names neither the attribute nor, for a missing one,
	 * the line, and takes a bad value of an optional attribute for an
	 * attribute not allowed: roster finds them */
	if (x.line == 0 || x.code == XML_RELAXNG_ERR_ATTRVALID ||
	    x.code == XML_RELAXNG_ERR_INVALIDATTR ||
	    x.code == XML_RELAXNG_ERR_NOELEM)
		diagnose(xmlDocGetRootElement(doc), &x);
	return fail(&x, name);
}

/*
 * What the parser cannot be trusted with, found before it runs: a NUL
 * byte (libxml2 stops reading a buffer there, taking what follows as
 * absent), a start by which it would read another encoding than UTF-8,
 * a tag of too many attributes or a DOCTYPE (util/markup.h).
 */
static int prescan(const char *p, size_t len, xerr *x)
{
	const char *nul = memchr(p, 0, len);
	unsigned long line = 1;
	rs_markup m;
	int fault;

	/* the starts by which libxml2 would read another encoding (UTF-16's
	 * marks, EBCDIC's "<?xm"): the parser is given none (the
	 * conversion it would set up for "UTF-8" does not survive running
	 * out of memory), so they are refused here, before the NUL bytes of
	 * a UTF-16 text are */
	if ((len >= 2 && (memcmp(p, "\xFF\xFE", 2) == 0 ||
			  memcmp(p, "\xFE\xFF", 2) == 0)) ||
	    (len >= 4 && memcmp(p, "\x4C\x6F\xA7\x94", 4) == 0)) {
		keep(x, "catalog.syntax", 1, "the text is not valid UTF-8");
		return -1;
	}
	if (nul) {
		for (; p < nul; p++)
			line += *p == '\n';
		keep(x, "catalog.syntax", line, "a NUL byte");
		return -1;
	}
	rs_markup_init(&m);
	if (!(fault = rs_markup_scan(&m, p, len)))
		return 0;
	if (fault == RS_MARKUP_DOCTYPE)
		keep(x, "catalog.syntax", m.tag_line, "a DOCTYPE is not allowed");
	else
		keep(x, "catalog.schema", m.tag_line,
		     "a tag with too many attributes");
	return -1;
}

/* A parser context could not be made, or libxml2 reported running out
 * of memory with no context: the thread's errors while the catalog is
 * parsed and checked (rs_xml_errors_take). */
static void thread_error(void *data, xmlErrorPtr e)
{
	if (e && e->code == XML_ERR_NO_MEMORY)
		((xerr *)data)->nomem = 1;
}

static int parse(void **doc_out, const void *xml, size_t len,
		 const char *name, xerr *x)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	int rc;

	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return nomem();
	ctxt->_private = x;
	ctxt->sax->serror = parse_error;
	ctxt->sax->internalSubset = parse_doctype;
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOCDATA |
					XML_PARSE_BIG_LINES |
					XML_PARSE_IGNORE_ENC);
	xmlFreeParserCtxt(ctxt);
	/* a document libxml2 made while short of memory may lack a part */
	if (x->rule || x->nomem || !doc) {
		if (doc)
			xmlFreeDoc(doc);
		if (!x->rule || x->nomem)
			return nomem();
		return fail(x, name);
	}
	rc = validate(doc, name);
	/* the schema's own text, parsed short of memory, tells it here */
	if (x->nomem)
		rc = nomem();
	if (rc) {
		xmlFreeDoc(doc);
		return rc;
	}
	*doc_out = doc;
	return ROSTER_OK;
}

int rs_catalog_parse(void **doc_out, const void *xml, size_t len,
		     const char *name)
{
	rs_xml_handlers host;
	xerr x;
	int rc;

	*doc_out = NULL;
	pthread_once(&xml_once, xml_init);
	memset(&x, 0, sizeof(x));
	if (len == 0) {
		keep(&x, "catalog.syntax", 1, "the document is empty");
		return fail(&x, name);
	}
	if (prescan(xml, len, &x))
		return fail(&x, name);
	rs_xml_errors_take(&host, thread_error, &x);
	rc = parse(doc_out, xml, len, name, &x);
	rs_xml_errors_restore(&host);
	return rc;
}

void rs_catalog_doc_free(void *doc)
{
	if (doc)
		xmlFreeDoc(doc);
}
