/*
 * export.c: roster_export, an account's users as CSV or XML.
 *
 * The columns are every user field a create takes, but the password
 * (secrets are never written) and "registered" (a state roster sets, not
 * data an import may give); sites, PBXes and groups are written by name,
 * lines separated by spaces (CSV) or as <line> elements (XML). Output is
 * gathered in a buffer and handed to the write callback in pieces.
 */
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "bulk.h"
#include "policy.h"

typedef struct out {
	roster_directory *dir;
	roster_write_fn write;
	void *data;
	int failed;
	size_t len;
	char buf[8192];
} out;

static void flush(out *o)
{
	int r, was;

	if (o->failed || !o->len)
		return;
	was = rs_hook_begin(o->dir);
	r = o->write(o->data, o->buf, o->len);
	rs_hook_end(o->dir, was);
	o->len = 0;
	if (r)
		o->failed = 1;
}

static void emit(out *o, const char *s, size_t n)
{
	while (n > 0 && !o->failed) {
		size_t k = sizeof(o->buf) - o->len;

		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof(o->buf))
			flush(o);
	}
}

static void emits(out *o, const char *s)
{
	emit(o, s, strlen(s));
}

/* Every field an import may set: not the password (a secret), nor those
 * roster or the host alone set (registered, cloud, iot), which would
 * refuse the row of anyone but the host importing the file again. */
static int exported(int field)
{
	return field != ROSTER_FIELD_PASSWORD &&
	       !(rs_field(field)->flags & RS_F_READONLY);
}

/* The text of a field other than lines, "" when unset. */
static const char *text_of(const roster_directory *dir, const rs_user *u,
			   int field)
{
	const rs_unit *unit;

	switch (roster_field_type(field)) {
	case ROSTER_TYPE_STRING:
		return RS_STR(u, field) ? RS_STR(u, field) : "";
	case ROSTER_TYPE_BOOL:
		return RS_FLAG(u, field) ? "1" : "0";
	case ROSTER_TYPE_REF:
		unit = RS_REF(u, field)
			       ? (const rs_unit *)rs_get(dir, RS_REF(u, field))
			       : NULL;
		return unit && unit->name ? unit->name : "";
	default:
		return "";
	}
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

/*
 * Would a spreadsheet take the cell for a formula? It does when the cell
 * begins with = + - @, a tab or a carriage return; not when it is a number
 * as a phone number is written (a sign, then digits and spaces), which
 * computes nothing. Apostrophes ahead of such a start count too: the cell
 * is then written with one apostrophe more, which spreadsheets read as
 * "text", and the import takes one off (docs/bulk.md).
 */
static int formula_like(const char *s)
{
	const char *p = s + strspn(s, "'");
	const char *digits = "0123456789";

	if (!*p || !strchr("=+-@\t\r", *p))
		return 0;
	if (p == s && (*p == '+' || *p == '-') && strpbrk(p + 1, digits) &&
	    p[1 + strspn(p + 1, "0123456789 ")] == '\0')
		return 0;
	return 1;
}

static void csv_cell(out *o, const char *s)
{
	const char *p;
	int text = formula_like(s);

	if (!strpbrk(s, ",\"\r\n")) {
		if (text)
			emit(o, "'", 1);
		emits(o, s);
		return;
	}
	/* the apostrophe is part of the field: inside its quotes */
	emit(o, text ? "\"'" : "\"", text ? 2 : 1);
	while ((p = strchr(s, '"'))) {
		emit(o, s, (size_t)(p - s) + 1);
		emit(o, "\"", 1);
		s = p + 1;
	}
	emits(o, s);
	emit(o, "\"", 1);
}

/*
 * The product licences, one cell of ids separated by spaces. An id holds
 * no comma, quote, apostrophe or white space, so the cell needs no
 * quotes, and only its start can look like a formula: the first id's,
 * unless that id is a sign and digits (a number) and every other id
 * digits too, which formula_like() of the whole cell would also find.
 */
static void csv_products(out *o, const rs_user *u)
{
	const char *first = u->nproducts ? RS_PRODUCT(u, 0) : "";
	int text = formula_like(first);
	size_t i;

	for (i = 1; !text && (*first == '+' || *first == '-') &&
		    i < u->nproducts;
	     i++)
		text = RS_PRODUCT(u, i)[strspn(RS_PRODUCT(u, i),
					       "0123456789")] != '\0';
	if (text)
		emit(o, "'", 1);
	for (i = 0; i < u->nproducts; i++) {
		if (i)
			emit(o, " ", 1);
		emits(o, RS_PRODUCT(u, i));
	}
}

static void csv_user(out *o, const rs_user *u)
{
	int f, first = 1;
	size_t i;

	for (f = 1; f < ROSTER_FIELD_END; f++) {
		if (!exported(f))
			continue;
		if (!first)
			emit(o, ",", 1);
		first = 0;
		if (f != ROSTER_FIELD_LINES) {
			csv_cell(o, text_of(o->dir, u, f));
			continue;
		}
		for (i = 0; i < u->nlines; i++) {
			if (i)
				emit(o, " ", 1);
			csv_cell(o, RS_LINE(u, i));
		}
	}
	emit(o, ",", 1);
	csv_products(o, u);
	emit(o, "\r\n", 2);
}

static void csv_header(out *o)
{
	int f, first = 1;

	for (f = 1; f < ROSTER_FIELD_END; f++) {
		if (!exported(f))
			continue;
		if (!first)
			emit(o, ",", 1);
		first = 0;
		emits(o, roster_field_name(f));
	}
	emits(o, ",");
	emits(o, rs_bulk_column_name(RS_COL_PRODUCTS));
	emit(o, "\r\n", 2);
}

/* ------------------------------------------------------------------ */
/* XML                                                                 */

static void xml_text(out *o, const char *s)
{
	for (; *s && !o->failed; s++) {
		switch (*s) {
		case '&':
			emits(o, "&amp;");
			break;
		case '<':
			emits(o, "&lt;");
			break;
		case '>':
			emits(o, "&gt;");
			break;
		case '\r':
			emits(o, "&#13;");
			break;
		default:
			emit(o, s, 1);
		}
	}
}

static void xml_element(out *o, const char *indent, const char *name,
			const char *value)
{
	emits(o, indent);
	emit(o, "<", 1);
	emits(o, name);
	emit(o, ">", 1);
	xml_text(o, value);
	emits(o, "</");
	emits(o, name);
	emits(o, ">\n");
}

static void xml_user(out *o, const rs_user *u)
{
	int f;
	size_t i;

	emits(o, "  <user>\n");
	for (f = 1; f < ROSTER_FIELD_END; f++) {
		const char *v;

		if (!exported(f))
			continue;
		if (f == ROSTER_FIELD_LINES) {
			if (!u->nlines)
				continue;
			emits(o, "    <lines>\n");
			for (i = 0; i < u->nlines; i++)
				xml_element(o, "      ", "line", RS_LINE(u, i));
			emits(o, "    </lines>\n");
			continue;
		}
		v = text_of(o->dir, u, f);
		if (v[0])
			xml_element(o, "    ", roster_field_name(f), v);
	}
	if (u->nproducts) {
		emits(o, "    <products>\n");
		for (i = 0; i < u->nproducts; i++)
			xml_element(o, "      ", "product", RS_PRODUCT(u, i));
		emits(o, "    </products>\n");
	}
	emits(o, "  </user>\n");
}

/* ------------------------------------------------------------------ */
/* The export                                                          */

int roster_export(roster_directory *dir, const roster_actor *actor,
		  roster_id account, int format, roster_write_fn write,
		  void *write_data)
{
	const rs_rec *acc;
	rs_who who;
	out *o;
	char v[24];
	size_t i;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!write)
		return rs_fail(dir, ROSTER_EINVAL, "write", "arg.null", NULL);
	if (format != ROSTER_FORMAT_CSV && format != ROSTER_FORMAT_XML) {
		snprintf(v, sizeof(v), "%d", format);
		return rs_fail(dir, ROSTER_EINVAL, "format", "arg.range", v);
	}
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!(acc = rs_get_kind(dir, account, ROSTER_KIND_ACCOUNT)))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	if ((rc = rs_authz_account(dir, &who, account, RS_MANAGE_USERS)))
		return rc;
	if (!(o = rs_calloc(&dir->al, 1, sizeof(*o))))
		return rs_nomem(dir);
	o->dir = dir;
	o->write = write;
	o->data = write_data;
	if (format == ROSTER_FORMAT_CSV)
		csv_header(o);
	else
		emits(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<users xmlns=\"urn:roster:users:1\">\n");
	for (i = 0; i < RS_MEMBERS(acc)->users.len && !o->failed; i++) {
		const rs_user *u = (const rs_user *)rs_get_kind(
			dir, RS_MEMBERS(acc)->users.ids[i], ROSTER_KIND_USER);

		if (!u)
			continue;
		if (format == ROSTER_FORMAT_CSV)
			csv_user(o, u);
		else
			xml_user(o, u);
	}
	if (format == ROSTER_FORMAT_XML)
		emits(o, "</users>\n");
	flush(o);
	rc = o->failed ? rs_fail(dir, ROSTER_EUSER, NULL, "export.write", NULL)
		       : ROSTER_OK;
	rs_free(&dir->al, o);
	return rc;
}
