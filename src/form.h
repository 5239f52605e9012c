/* form.h (internal): the values a roster_form carries. */
#ifndef RS_FORM_H
#define RS_FORM_H

#include "model.h"

struct roster_form {
	rs_alloc al;
	unsigned char set[ROSTER_FIELD_END];
	char *str[ROSTER_FIELD_END];
	unsigned char flag[ROSTER_FIELD_END];
	roster_id ref[ROSTER_FIELD_END];
	char **lines;
	size_t nlines;
	int generate_password;
	unsigned confirm; /* ROSTER_CONFIRM_* given with the form */
	/* the country of the phone's and lines' national numbers, "" for
	 * none (roster_form_set_numbers_country) */
	char country[3];
	/* the version of the user the form was made from, 0 for none
	 * (roster_form_expect_version) */
	uint64_t expect;
	/* the product licences of a new user, ascending, each once: set by
	 * an import alone (rs_form_set_products), which checked each
	 * product and that the account has one available */
	char **products;
	size_t nproducts;
};

/* Give the form `n` product licences (ascending, distinct): 0 or -1 out
 * of memory, the form then holding none. */
int rs_form_set_products(roster_form *f, const char *const *ids, size_t n);

#endif
