/*
 * import.c: rows to users, the core of roster_import.
 *
 * A format reader (csv.c, xml.c) hands over rows of (field, text) cells.
 * Each row becomes a roster_form: strings as they are, flags from
 * "1"/"0"/"true"/"false", sites, PBXes and groups by their name in the
 * account, lines split on their separator. The form goes through
 * roster_user_create itself, inside one transaction opened for the whole
 * import, so a row is refused exactly as a single create would be, and a
 * refused row changes nothing (a failed call undoes itself). A row's
 * product licences join the form, checked here as roster_product_assign
 * checks them (a product of the catalog, one available in the account,
 * counted once per import and then as rows take them), so that the user
 * is created holding them, in one change. At the end
 * the transaction is committed (all rows good, or best effort) or rolled
 * back (a dry run, or a refusal in all-or-nothing mode).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "form.h"
#include "policy.h"
#include "search_index.h"
#include "txn.h"
#include "util/text.h"
#include "validate.h"

/* A refusal: the error's detail, kept to render it in any language. */
typedef struct import_err {
	unsigned long line;
	int code;
	roster_language lang; /* of message */
	char column[32];
	char rule[40];
	char field[32];
	long long limit;
	char *value; /* the error's display value, NULL when "" */
	char *message;
} import_err;

struct roster_import_report {
	rs_alloc al;
	size_t rows, created;
	int stopped; /* at max_errors */
	import_err *err;
	size_t nerr, caperr;
};

/* Product licences of the account not yet held, as the rows take them. */
typedef struct stock_left {
	char *product;
	size_t left;
} stock_left;

struct rs_import {
	roster_directory *dir;
	const roster_actor *actor;
	roster_id account;
	roster_read_fn read;
	void *read_data;
	roster_import_options opts;
	roster_import_report *rep;
	roster_form *form;
	size_t refused; /* rows refused */
	size_t created; /* users created in the transaction */
	int eof;
	stock_left *stock; /* the products rows named so far */
	size_t nstock, capstock;
	/* all-or-nothing: the unique keys (login, lines, extension on its
	 * PBX) of the rows refused so far, so that a later row taking one
	 * is reported now, as it would be once the first row is mended */
	rs_table held;	/* key hash -> its place in keys + 1 */
	char **keys;
	size_t nkeys, capkeys;
};

int rs_bulk_column(const char *name)
{
	if (name && strcmp(name, "products") == 0)
		return RS_COL_PRODUCTS;
	return roster_field_from_name(name);
}

const char *rs_bulk_column_name(int col)
{
	return col == RS_COL_PRODUCTS ? "products" : roster_field_name(col);
}

roster_directory *rs_import_dir(const rs_import *im)
{
	return im->dir;
}

int roster_import_options_init(roster_import_options *opts,
			       unsigned int version)
{
	char v[24];

	if (!opts)
		return rs_error_tl(ROSTER_EINVAL, "opts", "arg.null", NULL);
	if (version < 1 || version > ROSTER_IMPORT_OPTIONS_VERSION) {
		snprintf(v, sizeof(v), "%u", version);
		return rs_error_tl(ROSTER_EVERSION, "version", "arg.version", v);
	}
	/* a caller built against version 1 has a shorter struct */
	memset(opts, 0, version >= 2 ? sizeof(*opts)
				      : offsetof(roster_import_options, country));
	opts->version = version;
	opts->mode = ROSTER_IMPORT_ALL_OR_NOTHING;
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* The report                                                          */

/* Add the directory's last error as a refusal of `line`. */
static int add_err(rs_import *im, unsigned long line, const char *column)
{
	roster_import_report *r = im->rep;
	const roster_error *e = &im->dir->err;
	import_err *x;

	if (r->nerr == r->caperr) {
		size_t cap = r->caperr ? 2 * r->caperr : 16;
		import_err *n = rs_reallocarray(&r->al, r->err, cap, sizeof(*n));

		if (!n)
			return rs_nomem(im->dir);
		r->err = n;
		r->caperr = cap;
	}
	x = &r->err[r->nerr];
	x->line = line;
	x->code = e->code;
	snprintf(x->column, sizeof(x->column), "%s", column ? column : "");
	snprintf(x->rule, sizeof(x->rule), "%s", e->rule);
	snprintf(x->field, sizeof(x->field), "%s", e->field);
	x->lang = e->lang;
	x->limit = e->limit;
	x->value = NULL;
	if (!(x->message = rs_strdup(&r->al, e->message)) ||
	    (e->value[0] && !(x->value = rs_strdup(&r->al, e->value)))) {
		rs_free(&r->al, x->message);
		return rs_nomem(im->dir);
	}
	r->nerr++;
	return ROSTER_OK;
}

/* A row was refused: 1 when that was the last one allowed. */
static int refused(rs_import *im)
{
	im->refused++;
	return im->opts.max_errors && im->refused >= im->opts.max_errors;
}

int rs_import_row_fault(rs_import *im, unsigned long line, const char *column,
			int code, const char *rule, const char *value,
			long long limit)
{
	int rc;

	im->rep->rows++;
	rs_fail_limit(im->dir, code, column, rule, value, limit);
	if ((rc = add_err(im, line, column)))
		return rc;
	return refused(im);
}

int rs_import_file_fault(rs_import *im, unsigned long line,
			 const char *column, const char *rule,
			 const char *value)
{
	/* the line as a number, for the message to say in its language */
	rs_fail_limit(im->dir, ROSTER_EPARSE, column, rule, value ? value : "",
		      (long long)line);
	if (add_err(im, line, column))
		return ROSTER_ENOMEM;
	return ROSTER_EPARSE;
}

long rs_import_read(rs_import *im, void *buf, size_t len)
{
	roster_directory *dir = im->dir;
	long n;
	int was;

	if (im->eof)
		return 0;
	was = rs_hook_begin(dir);
	n = im->read(im->read_data, buf, len);
	rs_hook_end(dir, was);
	if (n < 0 || (unsigned long)n > len) {
		im->eof = 1;
		rs_fail(dir, ROSTER_ESTORAGE, NULL, "import.read", NULL);
		return -1;
	}
	if (n == 0)
		im->eof = 1;
	return n;
}

/* ------------------------------------------------------------------ */
/* Cells to form values                                                */

/* A cell that cannot be a value of its field: recorded, 1. */
static int cell_fault(rs_import *im, const rs_row *row, int field,
		      const char *rule, const char *value)
{
	int rc;

	rs_fail_limit(im->dir, ROSTER_EINVALID, rs_bulk_column_name(field), rule,
		      value, (long long)row->line);
	if ((rc = add_err(im, row->line, rs_bulk_column_name(field))))
		return rc;
	return 1;
}

static int ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;

		if (x != *b)
			return 0;
	}
	return *a == *b;
}

/* The site, PBX or group (by `field`) of the account named `name` as
 * roster_record_find() finds it, case aside: *id 0 when none is. 0, or
 * ROSTER_ENOMEM recorded. */
static int find_unit(roster_directory *dir, roster_id account, int field,
		     const char *name, roster_id *id)
{
	int kind = field == ROSTER_FIELD_SITE  ? ROSTER_KIND_SITE
		   : field == ROSTER_FIELD_PBX ? ROSTER_KIND_PBX
					       : ROSTER_KIND_GROUP;
	char *nm, *key;
	int f = rs_unit_name_key(&dir->al, name, 0, &nm, &key);

	*id = 0;
	if (f == RS_TEXT_OK)
		*id = rs_unit_named(dir, account, kind, key);
	rs_free(&dir->al, nm);
	rs_free(&dir->al, key);
	/* a name no record can have names none */
	return f == RS_TEXT_NOMEM ? rs_nomem(dir) : ROSTER_OK;
}

/* ASCII white space, which separates product ids (XML indents them) */
static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Cut the CSV cell `s` in place into its items, separated by `sep` or
 * any ASCII white space: at most `max` into out, their count. */
static size_t split_items(char *s, char sep, char **out, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		char *end;

		while (*s == sep || is_blank(*s))
			s++;
		if (!*s)
			break;
		for (end = s; *end && *end != sep && !is_blank(*end);)
			end++;
		out[n++] = s;
		if (*end)
			*end++ = '\0';
		s = end;
	}
	return n;
}

/*
 * The numbers of a CSV "lines" cell are separated by spaces, and a number
 * is written with spaces too ("+33 1 44 55 66 77", as a single create
 * takes it): a group beginning with '+' begins a number, and so does one
 * beginning with "00" and of 8 characters or more (a number written whole
 * after its international prefix), and, when the import has a country,
 * any group of 8 characters or more (a national number written whole:
 * "01 44 55 66 77 0601020304" is two); any other group goes on the
 * number before it ("0044 20 7946 0000" is one). Each number is cut in place
 * after its last group, the spaces inside it kept: at most `max` numbers
 * into out, their count. The groups are joined as they are read, so that
 * `max` counts numbers: a cut after `max` groups would keep a number
 * short of its last groups (a wrong number, or a duplicate of another)
 * and hide that the cell holds too many.
 */
static size_t split_numbers(char *s, char **out, size_t max, int national)
{
	char *end = NULL; /* after the last group of the number being read */
	size_t n = 0;

	for (;;) {
		char *g;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		for (g = s; *s && *s != ' '; s++)
			;
		if (!n || g[0] == '+' ||
		    ((national || (g[0] == '0' && g[1] == '0')) &&
		     s - g >= 8)) {
			if (n == max)
				break;
			if (end)
				*end = '\0';
			out[n++] = g;
		}
		end = s;
	}
	if (end)
		*end = '\0';
	return n;
}

/* Cut the items of an XML list in place, each after RS_ITEM_SEP, white
 * space around each dropped (the text of an element may be indented), an
 * empty one kept: at most `max` into out, their count. */
static size_t split_each(char *s, char **out, size_t max)
{
	char *next = strchr(s, RS_ITEM_SEP);
	size_t n = 0;

	while (next && n < max) {
		char *item = next + 1, *end;

		next = strchr(item, RS_ITEM_SEP);
		end = next ? next : item + strlen(item);
		while (item < end && is_blank(*item))
			item++;
		while (end > item && is_blank(end[-1]))
			end--;
		*end = '\0'; /* at most the next separator, already found */
		out[n++] = item;
	}
	return n;
}

/* Split the numbers of a "lines" cell and set them. */
static int set_lines(rs_import *im, const rs_row *row, const char *v)
{
	roster_directory *dir = im->dir;
	char *list[ROSTER_LINES_MAX + 1];
	char *copy = rs_strdup(&dir->al, v);
	size_t n;
	int rc;

	if (!copy)
		return rs_nomem(dir);
	/* one more than allowed is kept, for create to refuse */
	if (row->line_sep == RS_ITEM_SEP) {
		n = split_each(copy, list, ROSTER_LINES_MAX + 1);
	} else {
		n = split_numbers(copy, list, ROSTER_LINES_MAX + 1,
				  im->opts.country[0] != '\0');
	}
	rc = roster_form_set_lines(im->form, (const char *const *)list, n);
	rs_free(&dir->al, copy);
	return rc ? rs_nomem(dir) : ROSTER_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The product licences of a "products" cell (ids separated as lines
 * are: by spaces in CSV, one a <product> in XML, an empty one refused as
 * an empty <line/> is), each of the catalog, on the form: 0, 1 refused
 * (recorded) or < 0 fatal. */
static int set_products(rs_import *im, const rs_row *row, const char *v)
{
	roster_directory *dir = im->dir;
	char *copy = rs_strdup(&dir->al, v), **ids = NULL;
	size_t max = strlen(v) + 1, n, i, k;
	int rc = ROSTER_OK;

	/* a cell of n bytes holds fewer than n + 1 ids: XML's have a
	 * separator before each */
	if (!copy || !(ids = rs_calloc(&dir->al, max, sizeof(*ids)))) {
		rs_free(&dir->al, copy);
		return rs_nomem(dir);
	}
	n = row->line_sep == RS_ITEM_SEP ? split_each(copy, ids, max)
					 : split_items(copy, row->line_sep, ids,
						       max);
	for (i = 0; i < n && !rc; i++)
		if (rs_product_check(dir, ids[i])) {
			char rule[40];

			if (dir->err.code != ROSTER_EINVALID) {
				/* out of memory, or no catalog: the import stops */
				rc = dir->err.code;
				break;
			}
			snprintf(rule, sizeof(rule), "%s", dir->err.rule);
			rc = cell_fault(im, row, RS_COL_PRODUCTS, rule, ids[i]);
		}
	if (!rc) {
		/* ascending, each once, as a user holds them */
		qsort(ids, n, sizeof(*ids), cmp_str);
		for (i = k = 0; i < n; i++)
			if (!k || strcmp(ids[k - 1], ids[i]) != 0)
				ids[k++] = ids[i];
		if (rs_form_set_products(im->form, (const char *const *)ids, k))
			rc = rs_nomem(dir);
	}
	rs_free(&dir->al, ids);
	rs_free(&dir->al, copy);
	return rc;
}

/* The count of `product` left in the account for the rows to come,
 * NULL out of memory (recorded). */
static stock_left *stock_of(rs_import *im, const rs_unit *acc,
			    const char *product)
{
	roster_directory *dir = im->dir;
	stock_left *s;
	size_t i;

	for (i = 0; i < im->nstock; i++)
		if (strcmp(im->stock[i].product, product) == 0)
			return &im->stock[i];
	if (im->nstock == im->capstock) {
		size_t cap = im->capstock ? 2 * im->capstock : 8;

		if (!(s = rs_reallocarray(&dir->al, im->stock, cap,
					  sizeof(*s)))) {
			rs_nomem(dir);
			return NULL;
		}
		im->stock = s;
		im->capstock = cap;
	}
	s = &im->stock[im->nstock];
	if (!(s->product = rs_strdup(&dir->al, product))) {
		rs_nomem(dir);
		return NULL;
	}
	s->left = rs_product_available(dir, acc, product);
	im->nstock++;
	return s;
}

/* Has the account one of each of the form's product licences left? 0,
 * 1 refused (recorded) or < 0 fatal. */
static int products_left(rs_import *im, const rs_row *row)
{
	const roster_form *f = im->form;
	const rs_unit *acc = (const rs_unit *)rs_get_kind(
		im->dir, im->account, ROSTER_KIND_ACCOUNT);
	size_t i;
	int rc;

	for (i = 0; acc && i < f->nproducts; i++) {
		const stock_left *s = stock_of(im, acc, f->products[i]);

		if (!s)
			return ROSTER_ENOMEM;
		if (s->left)
			continue;
		/* as roster_product_assign says it: needed > available */
		rs_fail(im->dir, ROSTER_EPOLICY, "products",
			"product.none_available", "1 > 0");
		if ((rc = add_err(im, row->line, "products")))
			return rc;
		return 1;
	}
	return 0;
}

/* A user was created holding the form's product licences. */
static void products_taken(rs_import *im)
{
	size_t i, j;

	for (i = 0; i < im->form->nproducts; i++)
		for (j = 0; j < im->nstock; j++)
			if (strcmp(im->stock[j].product,
				   im->form->products[i]) == 0)
				im->stock[j].left--;
}

/* Apply one cell to the form: 0, 1 refused (recorded) or < 0 fatal. */
static int apply_cell(rs_import *im, const rs_row *row, int field,
		      const char *v)
{
	roster_id id;
	int rc;

	if (field == RS_COL_PRODUCTS)
		return set_products(im, row, v);
	switch (roster_field_type(field)) {
	case ROSTER_TYPE_STRING:
		return roster_form_set_str(im->form, field, v)
			       ? rs_nomem(im->dir)
			       : ROSTER_OK;
	case ROSTER_TYPE_BOOL:
		if (strcmp(v, "1") == 0 || ascii_ieq(v, "true"))
			roster_form_set_bool(im->form, field, 1);
		else if (strcmp(v, "0") == 0 || ascii_ieq(v, "false"))
			roster_form_set_bool(im->form, field, 0);
		else
			return cell_fault(im, row, field, "import.value", v);
		return ROSTER_OK;
	case ROSTER_TYPE_REF:
		if ((rc = find_unit(im->dir, im->account, field, v, &id)))
			return rc;
		if (!id)
			return cell_fault(im, row, field, "import.ref", v);
		roster_form_set_ref(im->form, field, id);
		return ROSTER_OK;
	case ROSTER_TYPE_LIST:
		return set_lines(im, row, v);
	default:
		return cell_fault(im, row, field, "import.column", v);
	}
}

/* ------------------------------------------------------------------ */
/* The unique keys of refused rows (all-or-nothing)                   */

enum { KEY_EMAIL, KEY_LINE, KEY_EXTENSION };

typedef int (*key_fn)(rs_import *im, const char *key, size_t len, int what,
		      const char *value);

/*
 * Each unique key of the row in the form, made as a create makes it (the
 * login's lower-case key, a line in E.164, an extension on its PBX), in
 * the order a create checks them; a value the create would refuse makes
 * none. Stops at fn's first non-zero return and returns it.
 */
static int each_row_key(rs_import *im, key_fn fn)
{
	const roster_form *f = im->form;
	const char *email = f->str[ROSTER_FIELD_EMAIL];
	const char *ext = f->str[ROSTER_FIELD_EXTENSION];
	roster_id pbx = f->ref[ROSTER_FIELD_PBX];
	char key[1 + 256 + 1], out[256];
	size_t i;
	int rc;

	if (email && strnlen(email, 1024) <= 1000 &&
	    !rs_valid_email(email, out, key + 1)) {
		key[0] = 'e';
		if ((rc = fn(im, key, 1 + strlen(key + 1), KEY_EMAIL, out)))
			return rc;
	}
	for (i = 0; i < f->nlines; i++) {
		if (strnlen(f->lines[i], 64) >= 64 ||
		    rs_national_e164(f->lines[i],
				     f->country[0] ? f->country : NULL,
				     key + 1))
			continue;
		key[0] = 'l';
		if ((rc = fn(im, key, 1 + strlen(key + 1), KEY_LINE, key + 1)))
			return rc;
	}
	if (pbx && ext && !rs_extension_trim(ext, out)) {
		/* as the setter keeps it */
		int n = snprintf(key, sizeof(key), "x%016llx%s",
				 (unsigned long long)pbx, out);

		if ((rc = fn(im, key, (size_t)n, KEY_EXTENSION, out)))
			return rc;
	}
	return 0;
}

typedef struct key_probe {
	const rs_import *im;
	const char *key;
} key_probe;

static int same_key(void *ctx, uint64_t b)
{
	const key_probe *p = ctx;

	return strcmp(p->im->keys[b - 1], p->key) == 0;
}

/* Seeded as the directory's key sets are, so that a file cannot be made
 * of keys that all collide. */
static uint64_t key_hash(const rs_import *im, const char *key, size_t len)
{
	return rs_hash(key, len, im->dir->seed);
}

static int is_held(const rs_import *im, const char *key, size_t len)
{
	key_probe p = { im, key };

	return im->held.count && rs_table_find(&im->held, key_hash(im, key, len),
					       same_key, &p);
}

static int hold_one(rs_import *im, const char *key, size_t len, int what,
		    const char *value)
{
	const rs_alloc *al = &im->dir->al;
	char **keys;

	(void)what;
	(void)value;
	if (is_held(im, key, len))
		return 0;
	if (!(keys = rs_array_room(al, im->keys, im->nkeys, &im->capkeys,
				   sizeof(*keys), 16)))
		return rs_nomem(im->dir);
	im->keys = keys;
	if (rs_table_reserve(al, &im->held, 1) ||
	    !(keys[im->nkeys] = rs_strndup(al, key, len)))
		return rs_nomem(im->dir);
	im->nkeys++;
	rs_table_insert(&im->held, key_hash(im, key, len), im->nkeys);
	return 0;
}

/* The row was refused: in all-or-nothing mode, hold its keys. 0 or
 * ROSTER_ENOMEM. */
static int hold_keys(rs_import *im)
{
	if (im->opts.mode != ROSTER_IMPORT_ALL_OR_NOTHING)
		return 0;
	return each_row_key(im, hold_one);
}

static int refuse_held(rs_import *im, const char *key, size_t len, int what,
		       const char *value)
{
	static const char *const field[] = { "email", "lines", "extension" };
	static const char *const rule[] = { "email.unique", "line.unique",
					    "extension.unique" };

	if (!is_held(im, key, len))
		return 0;
	return rs_fail(im->dir, ROSTER_EEXISTS, field[what], rule[what],
		       value);
}

/* The row passed a create: ROSTER_EEXISTS, with the create's words, when
 * it takes a key of a refused row; else 0. */
static int held_fault(rs_import *im)
{
	return im->nkeys ? each_row_key(im, refuse_held) : 0;
}

static void free_keys(rs_import *im)
{
	const rs_alloc *al = &im->dir->al;

	while (im->nkeys)
		rs_free(al, im->keys[--im->nkeys]);
	rs_free(al, im->keys);
	rs_table_free(al, &im->held);
}

/* An empty form for the next row, taking the import's country of
 * numbers (checked with the options) as a single create's form would. */
static void new_form(rs_import *im)
{
	roster_form_clear(im->form);
	roster_form_set_numbers_country(im->form, im->opts.country);
}

/* The row's login, PBX, extension and lines on the form, as its cells
 * give them, with no refusal recorded (a PBX the account does not have
 * is left out, as a refused cell is): 0 or ROSTER_ENOMEM. */
static int key_cells(rs_import *im, const rs_row *row)
{
	size_t i;
	int rc;

	new_form(im);
	for (i = 0; i < row->n; i++) {
		int f = row->fields[i];
		const char *v = row->values[i];
		roster_id id;

		if (!v[0])
			continue;
		if (f == ROSTER_FIELD_LINES) {
			if ((rc = set_lines(im, row, v)))
				return rc;
		} else if (f == ROSTER_FIELD_EMAIL ||
			   f == ROSTER_FIELD_EXTENSION) {
			if (roster_form_set_str(im->form, f, v))
				return rs_nomem(im->dir);
		} else if (f == ROSTER_FIELD_PBX) {
			if ((rc = find_unit(im->dir, im->account, f, v, &id)))
				return rc;
			if (id)
				roster_form_set_ref(im->form, f, id);
		}
	}
	return ROSTER_OK;
}

int rs_import_row_refused(rs_import *im, const rs_row *row,
			  const char *column, const char *rule)
{
	int rc = rs_import_row_fault(im, row->line, column, ROSTER_EINVALID,
				     rule, NULL, 0);

	/* the keys are read once the refusal is recorded: the error that
	 * key_cells leaves is only ever ROSTER_ENOMEM's */
	if (rc < 0 || im->opts.mode != ROSTER_IMPORT_ALL_OR_NOTHING)
		return rc;
	if (key_cells(im, row) || hold_keys(im))
		return ROSTER_ENOMEM;
	return rc;
}

/* ------------------------------------------------------------------ */
/* A row                                                               */

/* Create the row's user: 0, or the create's error, undone. */
static int create_row(rs_import *im, roster_id *id)
{
	rs_op op;
	int rc;

	if (!im->nkeys)
		return roster_user_create(id, im->dir, im->actor, im->account,
					  im->form);
	/* a user taking a refused row's key is refused after its create,
	 * the faults a create finds first coming first; the operation
	 * undoes the create */
	rs_op_begin(im->dir, &op);
	rc = roster_user_create(id, im->dir, im->actor, im->account,
				im->form);
	if (rc == ROSTER_OK)
		rc = held_fault(im);
	return rs_op_end(im->dir, &op, rc);
}

int rs_import_row(rs_import *im, const rs_row *row)
{
	roster_directory *dir = im->dir;
	const char *column;
	roster_id id;
	int rc, bad = 0;
	size_t i;

	im->rep->rows++;
	new_form(im);
	for (i = 0; i < row->n; i++) {
		if (!row->values[i][0])
			continue; /* an empty cell leaves the field unset */
		rc = apply_cell(im, row, row->fields[i], row->values[i]);
		if (rc < 0)
			return rc;
		bad |= rc;
	}
	if (!bad && im->form->nproducts)
		bad = products_left(im, row);
	if (bad < 0)
		return bad;
	if (bad)
		return (rc = hold_keys(im)) ? rc : refused(im);
	rc = create_row(im, &id);
	if (rc == ROSTER_OK) {
		im->created++;
		products_taken(im);
		/* between two calls: the users waiting for the search index
		 * join it once there are many (search_index.h) */
		return rs_sindex_flush_full(dir) ? rs_nomem(dir) : 0;
	}
	if (rc == ROSTER_ENOMEM)
		return rc;
	column = dir->err.field;
	if (!rs_bulk_column(column))
		column = "";
	if ((rc = add_err(im, row->line, column)) || (rc = hold_keys(im)))
		return rc;
	return refused(im);
}

/* ------------------------------------------------------------------ */
/* The import                                                          */

static int check_opts(roster_directory *dir, const roster_import_options *o)
{
	char v[24];

	if (o->version < 1 || o->version > ROSTER_IMPORT_OPTIONS_VERSION) {
		snprintf(v, sizeof(v), "%u", o->version);
		return rs_fail(dir, ROSTER_EVERSION, "version", "arg.version",
			       v);
	}
	if (o->mode != ROSTER_IMPORT_ALL_OR_NOTHING &&
	    o->mode != ROSTER_IMPORT_BEST_EFFORT) {
		snprintf(v, sizeof(v), "%u", o->mode);
		return rs_fail(dir, ROSTER_EINVAL, "mode", "arg.range", v);
	}
	if (o->version >= 2 && o->country[0] &&
	    (!memchr(o->country, '\0', sizeof(o->country)) ||
	     !rs_region_code(o->country, NULL)))
		return rs_fail(dir, ROSTER_EINVAL, "country", "arg.range",
			       memchr(o->country, '\0', sizeof(o->country))
				       ? o->country
				       : NULL);
	return ROSTER_OK;
}

static roster_import_report *new_report(roster_directory *dir)
{
	roster_import_report *r = rs_calloc(&dir->al, 1, sizeof(*r));

	if (r)
		r->al = dir->al;
	return r;
}

/* Run the format reader in a transaction and settle it. */
static int run(rs_import *im, int format)
{
	roster_directory *dir = im->dir;
	int rc;

	rs_txn_begin(dir);
	/* the rows' users join the search index together, in order */
	rs_sindex_defer(dir, 1);
	rc = format == ROSTER_FORMAT_CSV ? rs_csv_import(im) : rs_xml_import(im);
	/* the commit lists them (a rollback drops them) */
	rs_sindex_defer(dir, 0);
	im->rep->stopped = rc >= 0 && im->opts.max_errors &&
			   im->refused >= im->opts.max_errors;
	if (rc < 0) {
		rs_txn_rollback(dir);
		return rc;
	}
	if (im->opts.dry_run ||
	    (im->refused && im->opts.mode == ROSTER_IMPORT_ALL_OR_NOTHING)) {
		rs_txn_rollback(dir);
		if (!im->refused)
			return ROSTER_OK;
		return rs_fail_limit(dir, ROSTER_EINVALID, NULL, "import.rows",
				     NULL, (long long)im->refused);
	}
	if ((rc = rs_txn_commit(dir)))
		return rc;
	im->rep->created = im->created;
	return ROSTER_OK;
}

int roster_import(roster_import_report **report, roster_directory *dir,
		  const roster_actor *actor, roster_id account, int format,
		  roster_read_fn read, void *read_data,
		  const roster_import_options *opts)
{
	rs_import im;
	rs_who who;
	char v[24];
	int rc;

	if (report)
		*report = NULL;
	if ((rc = rs_enter(dir)))
		return rc;
	if (!report || !read)
		return rs_fail(dir, ROSTER_EINVAL, report ? "read" : "report",
			       "arg.null", NULL);
	memset(&im, 0, sizeof(im));
	if (!(im.rep = new_report(dir)))
		return rs_nomem(dir);
	*report = im.rep;
	if (format != ROSTER_FORMAT_CSV && format != ROSTER_FORMAT_XML) {
		snprintf(v, sizeof(v), "%d", format);
		return rs_fail(dir, ROSTER_EINVAL, "format", "arg.range", v);
	}
	roster_import_options_init(&im.opts, ROSTER_IMPORT_OPTIONS_VERSION);
	if (opts) {
		if ((rc = check_opts(dir, opts)))
			return rc;
		im.opts.mode = opts->mode;
		im.opts.dry_run = opts->dry_run;
		im.opts.max_errors = opts->max_errors;
		if (opts->version >= 2)
			memcpy(im.opts.country, opts->country,
			       sizeof(im.opts.country));
	}
	im.dir = dir;
	im.actor = actor;
	im.account = account;
	im.read = read;
	im.read_data = read_data;
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!rs_get_kind(dir, account, ROSTER_KIND_ACCOUNT))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	if ((rc = rs_authz_account(dir, &who, account, RS_MANAGE_USERS)))
		return rc;
	if (dir->txn_open)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "txn.open", NULL);
	if ((rc = roster_form_new(&im.form, dir)))
		return rc;
	rc = run(&im, format);
	roster_form_free(im.form);
	while (im.nstock)
		rs_free(&dir->al, im.stock[--im.nstock].product);
	rs_free(&dir->al, im.stock);
	free_keys(&im);
	return rc;
}

typedef struct file_src {
	FILE *fp;
} file_src;

static long file_read(void *data, void *buf, size_t len)
{
	file_src *s = data;
	size_t n = fread(buf, 1, len, s->fp);

	if (n == 0 && ferror(s->fp))
		return -1;
	return (long)n;
}

int roster_import_file(roster_import_report **report, roster_directory *dir,
		       const roster_actor *actor, roster_id account,
		       int format, const char *path,
		       const roster_import_options *opts)
{
	file_src s;
	int rc;

	if (report)
		*report = NULL;
	if ((rc = rs_enter(dir)))
		return rc;
	if (!report || !path)
		return rs_fail(dir, ROSTER_EINVAL, report ? "path" : "report",
			       "arg.null", NULL);
	if (!(s.fp = fopen(path, "rb"))) {
		if (!(*report = new_report(dir)))
			return rs_nomem(dir);
		return rs_fail(dir, ROSTER_ESTORAGE, "path", "import.open",
			       path);
	}
	rc = roster_import(report, dir, actor, account, format, file_read, &s,
			   opts);
	fclose(s.fp);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reading the report                                                  */

void roster_import_report_free(roster_import_report *r)
{
	rs_alloc al;
	size_t i;

	if (!r)
		return;
	al = r->al;
	for (i = 0; i < r->nerr; i++) {
		rs_free(&al, r->err[i].message);
		rs_free(&al, r->err[i].value);
	}
	rs_free(&al, r->err);
	rs_free(&al, r);
}

size_t roster_import_rows(const roster_import_report *r)
{
	return r ? r->rows : 0;
}

size_t roster_import_created(const roster_import_report *r)
{
	return r ? r->created : 0;
}

int roster_import_stopped(const roster_import_report *r)
{
	return r ? r->stopped : 0;
}

size_t roster_import_error_count(const roster_import_report *r)
{
	return r ? r->nerr : 0;
}

static const import_err *err_at(const roster_import_report *r, size_t i)
{
	return r && i < r->nerr ? &r->err[i] : NULL;
}

unsigned long roster_import_error_line(const roster_import_report *r,
				       size_t i)
{
	const import_err *e = err_at(r, i);

	return e ? e->line : 0;
}

const char *roster_import_error_column(const roster_import_report *r,
				       size_t i)
{
	const import_err *e = err_at(r, i);

	return e ? e->column : NULL;
}

int roster_import_error_code(const roster_import_report *r, size_t i)
{
	const import_err *e = err_at(r, i);

	return e ? e->code : ROSTER_OK;
}

const char *roster_import_error_rule(const roster_import_report *r, size_t i)
{
	const import_err *e = err_at(r, i);

	return e ? e->rule : NULL;
}

const char *roster_import_error_value(const roster_import_report *r, size_t i)
{
	const import_err *e = err_at(r, i);

	return e ? (e->value ? e->value : "") : NULL;
}

const char *roster_import_error_message(const roster_import_report *r,
					size_t i)
{
	const import_err *e = err_at(r, i);

	return e ? e->message : NULL;
}

int roster_import_error_message_in(const roster_import_report *r, size_t i,
				   roster_language lang, char *buf,
				   size_t size)
{
	const import_err *e = err_at(r, i);
	roster_error err;

	if (!e) {
		if (buf && size)
			buf[0] = '\0';
		return ROSTER_EINVAL;
	}
	/* the refusal as the directory recorded it */
	err.code = e->code;
	err.lang = e->lang;
	err.limit = e->limit;
	snprintf(err.field, sizeof(err.field), "%s", e->field);
	snprintf(err.rule, sizeof(err.rule), "%s", e->rule);
	snprintf(err.value, sizeof(err.value), "%s", e->value ? e->value : "");
	snprintf(err.message, sizeof(err.message), "%s", e->message);
	return roster_error_message_in(&err, lang, buf, size);
}
