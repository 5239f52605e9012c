/*
 * csv.c: the CSV reader of roster_import (RFC 4180).
 *
 * A streaming state machine over the pieces the read callback gives:
 * fields separated by commas, records by CRLF, LF or a lone CR, a field
 * in double quotes may hold commas, line breaks and quotes doubled (""),
 * a UTF-8 byte order mark at the start is skipped. The first record names
 * the columns. Blank lines are skipped.
 *
 * Faults of the file stop the import with ROSTER_EPARSE and its line: an
 * unterminated quote, a quote inside an unquoted field or text after a
 * closing one, bytes that are not UTF-8 (or NUL), a field longer than
 * RS_BULK_CELL_MAX, an unknown or repeated column. A record with the wrong
 * number of fields is a refusal of that row only.
 *
 * Memory: the bytes of one record, and no more fields than the header
 * names (plus one, to see that there are too many), and the cell being
 * read, which is checked and dropped when past them.
 */
#include <stdio.h>
#include <string.h>

#include "bulk.h"
#include "util/text.h"

#define CHUNK 16384
/* More columns than this is not a user file. */
#define COLUMNS_MAX 128

enum { S_START, S_PLAIN, S_QUOTED, S_QUOTE_SEEN };

typedef struct csv {
	rs_import *im;
	const rs_alloc *al;
	char *buf;		/* the cells of the record, each NUL-ended */
	size_t len, cap;
	size_t offs[COLUMNS_MAX + 1];
	size_t ncells;		/* cells of the record, stored or not */
	size_t cell_start, cell_len;
	int state;
	int pending_cr;		/* a CR ended a record: swallow one LF */
	int quoted_cr;		/* a CR inside quotes: an LF after it is
				   the same line break */
	unsigned long line, row_line;
	size_t row_bytes;	/* bytes of the record so far */
	int fields[COLUMNS_MAX + 1];
	size_t ncols;		/* 0 until the header is read */
	const char *values[COLUMNS_MAX + 1];
} csv;

static int fault(csv *c, unsigned long line, const char *what)
{
	return rs_import_file_fault(c->im, line, NULL, "import.csv", what);
}

/* How many cells of a record are kept. */
static size_t keep_max(const csv *c)
{
	return c->ncols ? c->ncols + 1 : COLUMNS_MAX + 1;
}

static int put(csv *c, char ch)
{
	if (c->cell_len >= RS_BULK_CELL_MAX)
		return fault(c, c->line, "a field is longer than 65536 bytes");
	c->cell_len++;
	if (c->len == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		/* cells may hold passwords: no copy is left behind */
		char *n = rs_grow_wiped(c->al, c->buf, c->cap, cap);

		if (!n)
			return rs_nomem(rs_import_dir(c->im));
		c->buf = n;
		c->cap = cap;
	}
	c->buf[c->len++] = ch;
	return 0;
}

static int end_cell(csv *c)
{
	/* an empty first cell of the file comes before any buffer */
	const char *s = c->cell_len ? c->buf + c->cell_start : "";
	int rc;

	/* every cell, kept or not: bytes that are not UTF-8 are a fault of
	 * the file wherever they are, not a row with too many cells */
	if (memchr(s, '\0', c->cell_len) || !rs_utf8_valid(s, c->cell_len))
		return fault(c, c->line, "a field is not valid UTF-8");
	if (c->ncells < keep_max(c)) {
		c->cell_len = 0; /* the NUL does not count */
		if ((rc = put(c, '\0')))
			return rc;
		c->offs[c->ncells] = c->cell_start;
	} else {
		c->len = c->cell_start; /* a cell past the count: not kept */
	}
	c->ncells++;
	c->cell_start = c->len;
	c->cell_len = 0;
	c->state = S_START;
	return 0;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}

static int header(csv *c)
{
	size_t i, j;

	if (c->ncells > COLUMNS_MAX)
		return fault(c, c->row_line, "too many columns");
	for (i = 0; i < c->ncells; i++) {
		char *name = c->buf + c->offs[i];
		int f;

		trim(name);
		f = rs_bulk_column(name);
		for (j = 0; f && j < i; j++)
			if (c->fields[j] == f)
				f = 0;
		if (!f)
			return rs_import_file_fault(c->im, c->row_line, NULL,
						    "import.column", name);
		c->fields[i] = f;
	}
	c->ncols = c->ncells;
	return 0;
}

/* A cell kept from a spreadsheet's formulas by an apostrophe (export.c)
 * without it: one apostrophe ahead of = + - @, a tab or a carriage return,
 * after any others, is taken off. */
static const char *unquoted(const char *s)
{
	const char *p = s + strspn(s, "'");

	return p > s && *p && strchr("=+-@\t\r", *p) ? s + 1 : s;
}

static int end_record(csv *c)
{
	char n[24];
	rs_row row;
	size_t i;
	int rc;

	if ((rc = end_cell(c)))
		return rc;
	if (c->row_bytes == 0) {
		rc = 0; /* a blank line */
	} else if (!c->ncols) {
		rc = header(c);
	} else if (c->ncells != c->ncols) {
		snprintf(n, sizeof(n), "%zu", c->ncells);
		rc = rs_import_row_fault(c->im, c->row_line, "",
					 ROSTER_EINVALID, "import.cells", n,
					 (long long)c->ncols);
	} else {
		for (i = 0; i < c->ncells; i++)
			c->values[i] = unquoted(c->buf + c->offs[i]);
		row.line = c->row_line;
		row.n = c->ncells;
		row.fields = c->fields;
		row.values = c->values;
		row.line_sep = ' ';
		rc = rs_import_row(c->im, &row);
	}
	c->len = c->cell_start = c->cell_len = 0;
	c->ncells = 0;
	c->row_bytes = 0;
	return rc;
}

/* One byte; 0 to go on, 1 to stop, < 0 a recorded failure. */
static int step(csv *c, char ch)
{
	if (c->pending_cr) {
		c->pending_cr = 0;
		if (ch == '\n')
			return 0;
	}
	if (c->row_bytes == 0 && c->state == S_START && c->ncells == 0)
		c->row_line = c->line;
	switch (c->state) {
	case S_QUOTED:
		c->row_bytes++;
		if (ch == '"') {
			c->quoted_cr = 0;
			c->state = S_QUOTE_SEEN;
			return 0;
		}
		/* CR, LF and CRLF each break a line, as between records */
		if (ch == '\r' || (ch == '\n' && !c->quoted_cr))
			c->line++;
		c->quoted_cr = ch == '\r';
		return put(c, ch);
	case S_QUOTE_SEEN:
		if (ch == '"') {
			c->row_bytes++;
			c->state = S_QUOTED;
			return put(c, ch);
		}
		if (ch != ',' && ch != '\r' && ch != '\n')
			return fault(c, c->line, "text after a closing quote");
		break;
	case S_PLAIN:
		if (ch == '"')
			return fault(c, c->line,
				     "a quote inside an unquoted field");
		break;
	default: /* S_START */
		if (ch == '"') {
			c->row_bytes++;
			c->state = S_QUOTED;
			return 0;
		}
		break;
	}
	switch (ch) {
	case ',':
		c->row_bytes++;
		return end_cell(c);
	case '\r':
		c->pending_cr = 1;
		/* fall through */
	case '\n': {
		int rc = end_record(c);

		c->line++;
		return rc;
	}
	default:
		c->row_bytes++;
		c->state = S_PLAIN;
		return put(c, ch);
	}
}

static int parse_in(csv *c, char chunk[CHUNK])
{
	long n;
	size_t i, skip, have = 0;
	int rc;

	/* the first three bytes, for the byte order mark */
	while (have < 3) {
		n = rs_import_read(c->im, chunk + have, CHUNK - have);
		if (n < 0)
			return ROSTER_ESTORAGE;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	skip = have >= 3 && memcmp(chunk, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	n = (long)have;
	while (n > 0) {
		for (i = skip; i < (size_t)n; i++)
			if ((rc = step(c, chunk[i])))
				return rc;
		skip = 0;
		n = rs_import_read(c->im, chunk, CHUNK);
		if (n < 0)
			return ROSTER_ESTORAGE;
	}
	if (c->state == S_QUOTED)
		return fault(c, c->row_line, "a quoted field is not closed");
	if (c->row_bytes > 0 || c->ncells > 0)
		if ((rc = end_record(c)))
			return rc;
	if (!c->ncols)
		return fault(c, 1, "no header row");
	return 0;
}

/* Parse the input through a buffer wiped after (it held passwords). */
static int parse(csv *c)
{
	char chunk[CHUNK];
	int rc = parse_in(c, chunk);

	rs_wipe(chunk, sizeof(chunk));
	return rc;
}

int rs_csv_import(rs_import *im)
{
	roster_directory *dir = rs_import_dir(im);
	csv *c = rs_calloc(&dir->al, 1, sizeof(*c));
	int rc;

	if (!c)
		return rs_nomem(dir);
	c->im = im;
	c->al = &dir->al;
	c->line = 1;
	c->row_line = 1;
	rc = parse(c);
	/* cells may hold passwords: no copy is left behind */
	rs_free_wiped(&dir->al, c->buf, c->cap);
	rs_free(&dir->al, c);
	return rc > 0 ? 0 : rc;
}
