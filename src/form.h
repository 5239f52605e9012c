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
};

#endif
