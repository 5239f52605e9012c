/*
 * bulk.h (internal): the pieces of an import and an export.
 *
 * import.c is the core: it takes rows, each a set of (field, text) cells
 * with its line, and creates their users inside the import's transaction,
 * recording every refusal in the report. csv.c and xml.c turn the bytes
 * of the read callback into such rows; export.c writes users back out.
 */
#ifndef RS_BULK_H
#define RS_BULK_H

#include "model.h"

/* The longest cell, in bytes, a file may hold. */
#define RS_BULK_CELL_MAX 65536

typedef struct rs_import rs_import;

/* The columns of a file: the user fields by their numbers, then the
 * users' product licences ("products", the ids separated as lines are). */
#define RS_COL_PRODUCTS ROSTER_FIELD_END
#define RS_COLS (ROSTER_FIELD_END + 1)
/* The column named `name`: a field's number, RS_COL_PRODUCTS, or 0. */
int rs_bulk_column(const char *name);
/* The name of a column, NULL for none. */
const char *rs_bulk_column_name(int col);

/* One row: its cells, the column of each (a field or RS_COL_PRODUCTS). */
typedef struct rs_row {
	unsigned long line;
	size_t n;
	const int *fields;
	const char *const *values;
	char line_sep; /* ' ': the numbers of "lines" are separated by
			* spaces (CSV); RS_ITEM_SEP: each item of a list is
			* after one (XML) */
} rs_row;

/* Before each item of an XML list (a <line>, a <product>): a byte XML
 * text cannot hold, so that an item keeps its own line breaks and an
 * empty <line/> is an item, refused as a single create refuses "". */
#define RS_ITEM_SEP '\x1f'

/* Read up to len bytes from the import's callback: the number read, 0 at
 * the end, or -1 with ROSTER_ESTORAGE recorded (the host's read failed). */
long rs_import_read(rs_import *im, void *buf, size_t len);

/*
 * Import one row. 0 to go on, 1 when the import is to stop reading (the
 * most refusals allowed were reached), or a negative code recorded
 * (ROSTER_ENOMEM, or a failed commit of storage): the import stops.
 */
int rs_import_row(rs_import *im, const rs_row *row);

/*
 * A refusal of a whole row that the format found (the wrong number of
 * cells): recorded as a refused row. Same returns as rs_import_row.
 */
int rs_import_row_fault(rs_import *im, unsigned long line, const char *column,
			int code, const char *rule, const char *value,
			long long limit);

/*
 * The same for a row whose cells the format read but refuses as a whole
 * (an XML element given twice: `row` holds the first of each): in
 * all-or-nothing mode the row holds its login, lines and extension, as a
 * row refused for one of its cells does. Same returns.
 */
int rs_import_row_refused(rs_import *im, const rs_row *row,
			  const char *column, const char *rule);

/* A fault of the file itself: recorded in the directory and the report,
 * returns `code` (ROSTER_EPARSE) to be passed back up. */
int rs_import_file_fault(rs_import *im, unsigned long line,
			 const char *column, const char *rule,
			 const char *value);

/* The directory of an import (for errors and the allocator). */
roster_directory *rs_import_dir(const rs_import *im);

/* The format readers: read the whole input, feeding rows. 0 or the
 * code of the failure, recorded. */
int rs_csv_import(rs_import *im);
int rs_xml_import(rs_import *im);

/* Initialise libxml2 once per process (xml.c). */
void rs_xml_once(void);

#endif
