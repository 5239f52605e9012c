/* user_read.c: snapshots of users for the host to read. */
#include <string.h>

#include "fields.h"
#include "users.h"

struct roster_user {
	rs_alloc al;
	rs_user *u;
	char *display; /* "First Last" when no display name is set */
};

int roster_user_get(roster_user **out, roster_directory *dir, roster_id id)
{
	const rs_user *cur;
	roster_user *s;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	cur = (const rs_user *)rs_get_kind(dir, id, ROSTER_KIND_USER);
	if (!cur)
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "user",
				  "record.notfound", id);
	s = rs_calloc(&dir->al, 1, sizeof(*s));
	if (!s)
		return rs_nomem(dir);
	s->al = dir->al;
	/* the published version is already one block: copied as one */
	if (rs_user_pack(&dir->al, cur, &s->u)) {
		rs_free(&dir->al, s);
		return rs_nomem(dir);
	}
	if (!RS_STR(cur, ROSTER_FIELD_DISPLAY_NAME)) {
		size_t a = strlen(RS_STR(cur, ROSTER_FIELD_FIRST_NAME));
		size_t b = strlen(RS_STR(cur, ROSTER_FIELD_LAST_NAME));
		s->display = rs_malloc(&dir->al, a + b + 2);
		if (!s->display) {
			roster_user_free(s);
			return rs_nomem(dir);
		}
		memcpy(s->display, RS_STR(cur, ROSTER_FIELD_FIRST_NAME), a);
		s->display[a] = ' ';
		memcpy(s->display + a + 1, RS_STR(cur, ROSTER_FIELD_LAST_NAME),
		       b + 1);
	}
	*out = s;
	return ROSTER_OK;
}

uint64_t roster_user_version(const roster_user *s)
{
	return s ? s->u->base.sver : 0;
}

void roster_user_free(roster_user *s)
{
	rs_alloc al;

	if (!s)
		return;
	al = s->al;
	if (s->u)
		rs_rec_release(&al, &s->u->base, 0);
	rs_free(&al, s->display);
	rs_free(&al, s);
}

roster_id roster_user_id(const roster_user *s)
{
	return s ? s->u->base.id : 0;
}

roster_id roster_user_account(const roster_user *s)
{
	return s ? s->u->base.parent : 0;
}

const char *roster_user_str(const roster_user *s, int field)
{
	if (!s || roster_field_type(field) != ROSTER_TYPE_STRING ||
	    field == ROSTER_FIELD_PASSWORD)
		return NULL;
	if (field == ROSTER_FIELD_DISPLAY_NAME && s->display)
		return s->display;
	return RS_STR(s->u, field);
}

int roster_user_bool(const roster_user *s, int field)
{
	if (!s || roster_field_type(field) != ROSTER_TYPE_BOOL)
		return 0;
	return RS_FLAG(s->u, field);
}

roster_id roster_user_ref(const roster_user *s, int field)
{
	if (!s || roster_field_type(field) != ROSTER_TYPE_REF)
		return 0;
	return RS_REF(s->u, field);
}

size_t roster_user_line_count(const roster_user *s)
{
	return s ? s->u->nlines : 0;
}

const char *roster_user_line(const roster_user *s, size_t i)
{
	return s && i < s->u->nlines ? RS_LINE(s->u, i) : NULL;
}

int roster_user_has_password(const roster_user *s)
{
	return s && RS_PASSWORD(s->u) != NULL;
}

size_t roster_user_product_count(const roster_user *s)
{
	return s ? s->u->nproducts : 0;
}

const char *roster_user_product(const roster_user *s, size_t i)
{
	return s && i < s->u->nproducts ? RS_PRODUCT(s->u, i) : NULL;
}
