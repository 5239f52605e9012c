/* form.c: collecting field values; validation happens when applied. */
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "form.h"
#include "util/text.h"
#include "validate.h"

int roster_form_new(roster_form **out, roster_directory *dir)
{
	roster_form *f;
	int rc;

	if (!out)
		return dir ? rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL)
			   : rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if ((rc = rs_enter(dir)))
		return rc;
	f = rs_calloc(&dir->al, 1, sizeof(*f));
	if (!f)
		return rs_nomem(dir);
	f->al = dir->al;
	*out = f;
	return ROSTER_OK;
}

/* Free a list of strings of the form (its lines or its products). */
static void clear_list(roster_form *f, char ***list, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		rs_free(&f->al, (*list)[i]);
	rs_free(&f->al, *list);
	*list = NULL;
	*n = 0;
}

static void clear_lines(roster_form *f)
{
	clear_list(f, &f->lines, &f->nlines);
}

static void clear_products(roster_form *f)
{
	clear_list(f, &f->products, &f->nproducts);
}

int rs_form_set_products(roster_form *f, const char *const *ids, size_t n)
{
	size_t i;

	clear_products(f);
	if (!n)
		return 0;
	if (!(f->products = rs_calloc(&f->al, n, sizeof(*f->products))))
		return -1;
	for (i = 0; i < n; i++) {
		if (!(f->products[i] = rs_strdup(&f->al, ids[i]))) {
			f->nproducts = i;
			clear_products(f);
			return -1;
		}
	}
	f->nproducts = n;
	return 0;
}

void roster_form_clear(roster_form *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < ROSTER_FIELD_END; i++) {
		if (!f->str[i])
			continue; /* most fields are unset: no call */
		if (i == ROSTER_FIELD_PASSWORD)
			rs_free_secret(&f->al, f->str[i]);
		else
			rs_free(&f->al, f->str[i]);
	}
	clear_lines(f);
	clear_products(f);
	memset(f->set, 0, sizeof(f->set));
	memset(f->str, 0, sizeof(f->str));
	memset(f->flag, 0, sizeof(f->flag));
	memset(f->ref, 0, sizeof(f->ref));
	f->generate_password = 0;
	f->confirm = 0;
	f->country[0] = '\0';
	f->expect = 0;
}

void roster_form_free(roster_form *f)
{
	rs_alloc al;

	if (!f)
		return;
	roster_form_clear(f);
	al = f->al;
	rs_free(&al, f);
}

static int check(const roster_form *f, int field, int type)
{
	char v[24];

	if (!f)
		return rs_error_tl(ROSTER_EINVAL, "form", "arg.null", NULL);
	if (!rs_field(field)) {
		/* name the argument and its value, as the message needs */
		snprintf(v, sizeof(v), "%d", field);
		return rs_error_tl(ROSTER_EINVAL, "field", "arg.range", v);
	}
	if (roster_field_type(field) != type)
		return rs_error_tl(ROSTER_EINVAL, roster_field_name(field),
				   "arg.type", NULL);
	return ROSTER_OK;
}

int roster_form_set_str(roster_form *f, int field, const char *value)
{
	char *copy = NULL;
	int rc = check(f, field, ROSTER_TYPE_STRING);

	if (rc)
		return rc;
	if (value && *value) {
		/* bound the copy: validation refuses anything this long
		 * (RS_TEXT_BYTES_MAX), a value cut here included */
		size_t n = strnlen(value, RS_TEXT_BYTES_MAX + 1);
		copy = rs_strndup(&f->al, value, n);
		if (!copy)
			return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	}
	if (field == ROSTER_FIELD_PASSWORD) {
		rs_free_secret(&f->al, f->str[field]);
		f->generate_password = 0;
	} else {
		rs_free(&f->al, f->str[field]);
	}
	f->str[field] = copy;
	f->set[field] = 1;
	return ROSTER_OK;
}

int roster_form_set_bool(roster_form *f, int field, int value)
{
	int rc = check(f, field, ROSTER_TYPE_BOOL);

	if (rc)
		return rc;
	f->flag[field] = value != 0;
	f->set[field] = 1;
	return ROSTER_OK;
}

int roster_form_set_ref(roster_form *f, int field, roster_id id)
{
	int rc = check(f, field, ROSTER_TYPE_REF);

	if (rc)
		return rc;
	f->ref[field] = id;
	f->set[field] = 1;
	return ROSTER_OK;
}

int roster_form_set_lines(roster_form *f, const char *const *lines,
			  size_t count)
{
	char **copy = NULL;
	size_t i;
	int rc = check(f, ROSTER_FIELD_LINES, ROSTER_TYPE_LIST);

	if (rc)
		return rc;
	if (count && !lines)
		return rs_error_tl(ROSTER_EINVAL, "lines", "arg.null", NULL);
	if (count > 1024) {
		char v[24];

		snprintf(v, sizeof(v), "%zu", count);
		return rs_error_tl(ROSTER_EINVAL, "lines", "arg.range", v);
	}
	for (i = 0; i < count; i++)
		if (!lines[i])
			return rs_error_tl(ROSTER_EINVAL, "lines", "arg.null",
					   NULL);
	if (count) {
		copy = rs_calloc(&f->al, count, sizeof(*copy));
		if (!copy)
			return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
		for (i = 0; i < count; i++) {
			copy[i] = rs_strndup(&f->al, lines[i],
					     strnlen(lines[i], 256));
			if (!copy[i]) {
				while (i--)
					rs_free(&f->al, copy[i]);
				rs_free(&f->al, copy);
				return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem",
						   NULL);
			}
		}
	}
	clear_lines(f);
	f->lines = copy;
	f->nlines = count;
	f->set[ROSTER_FIELD_LINES] = 1;
	return ROSTER_OK;
}

int roster_form_set_numbers_country(roster_form *f, const char *country)
{
	if (!f)
		return rs_error_tl(ROSTER_EINVAL, "form", "arg.null", NULL);
	if (!country || !*country) {
		f->country[0] = '\0';
		return ROSTER_OK;
	}
	if (!rs_region_code(country, NULL))
		return rs_error_tl(ROSTER_EINVAL, "country", "arg.range",
				   strnlen(country, 8) < 8 ? country : NULL);
	f->country[0] = country[0];
	f->country[1] = country[1];
	f->country[2] = '\0';
	return ROSTER_OK;
}

int roster_form_expect_version(roster_form *f, uint64_t version)
{
	if (!f)
		return rs_error_tl(ROSTER_EINVAL, "form", "arg.null", NULL);
	f->expect = version;
	return ROSTER_OK;
}

int roster_form_generate_password(roster_form *f)
{
	if (!f)
		return rs_error_tl(ROSTER_EINVAL, "form", "arg.null", NULL);
	rs_free_secret(&f->al, f->str[ROSTER_FIELD_PASSWORD]);
	f->str[ROSTER_FIELD_PASSWORD] = NULL;
	f->set[ROSTER_FIELD_PASSWORD] = 1;
	f->generate_password = 1;
	return ROSTER_OK;
}

int roster_form_confirm(roster_form *f, unsigned int flags)
{
	char v[24];

	if (!f)
		return rs_error_tl(ROSTER_EINVAL, "form", "arg.null", NULL);
	if (flags & ~ROSTER_CONFIRM_DOWNGRADE) {
		snprintf(v, sizeof(v), "%#x", flags);
		return rs_error_tl(ROSTER_EINVAL, "flags", "arg.range", v);
	}
	f->confirm = flags;
	return ROSTER_OK;
}

int roster_form_has(const roster_form *f, int field)
{
	return f && rs_field(field) && f->set[field];
}
