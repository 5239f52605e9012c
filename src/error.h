/*
 * error.h (internal): recording the detail of a failure.
 *
 * Recording never allocates, so an allocation failure can always be told.
 */
#ifndef RS_ERROR_H
#define RS_ERROR_H

#include "roster/error.h"

struct roster_error {
	int code;
	char field[32];
	char rule[40];
	char value[128];
	char message[ROSTER_ERROR_MESSAGE_MAX];
	long long limit; /* the rule's {limit}, kept to render it again */
	roster_language lang; /* of message */
};

/* What went wrong: field name, rule and value may be NULL. */
typedef struct rs_fault {
	int code;
	const char *field;
	const char *rule;
	const char *value;
	long long limit;
} rs_fault;

/*
 * Record a failure in `err`, rendering the message in `lang`. Returns
 * f->code so that callers can write `return rs_error_set(...)`.
 */
int rs_error_set(roster_error *err, roster_language lang, const rs_fault *f);

/* Reset `err` to "no error". */
void rs_error_clear(roster_error *err);

/* Record a failure of a call without a directory (per thread, English). */
int rs_error_tl(int code, const char *field, const char *rule,
		const char *value);
/* The same with the rule's {limit}. */
int rs_error_tl_limit(int code, const char *field, const char *rule,
		      const char *value, long long limit);

/* Message template of a rule in a language, NULL when unknown. */
const char *rs_i18n_rule(const char *rule, roster_language lang);
/* Description of an error code in a language. */
const char *rs_i18n_code(int code, roster_language lang);
/* Display label of a field name in a language, NULL when unknown. */
const char *rs_i18n_label(const char *field, roster_language lang);
/* What is wrong with a file, as an importer or the catalog parser says
 * it (the value of import.csv, import.xml and catalog.syntax), in a
 * language: one of the phrases of i18n.c, whole, or with a place before
 * it ("file:line: ") or names from the file after it (": <a>", see
 * util/xmlerr.h), which are kept as they are; composed then in `buf`
 * (`size` bytes). NULL when the words hold no phrase. */
const char *rs_i18n_detail(const char *detail, roster_language lang,
			   char *buf, size_t size);
/* Template of a catalog lint message in a language, NULL when unknown. */
const char *rs_i18n_lint(const char *key, roster_language lang);

#endif
