/*
 * user.c: creating, editing and deleting users.
 *
 * A change builds the next version of the user from the current one and
 * the form, checks every field (authorisation first, then syntax, then the
 * rules across fields, then uniqueness), hashes the password last, and
 * only then publishes the new version and its index entries through the
 * transaction primitives.
 */
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "form.h"
#include "password.h"
#include "policy.h"
#include "txn.h"
#include "users.h"
#include "util/text.h"
#include "validate.h"

/* ------------------------------------------------------------------ */
/* Records and their index keys                                        */

int rs_user_replace(roster_directory *dir, rs_user *next)
{
	int rc = rs_user_publishable(dir, &next);

	if (rc) {
		rs_rec_free(dir, &next->base, 0);
		return rc;
	}
	if ((rc = rs_put(dir, next->base.id, &next->base))) {
		rs_rec_free(dir, &next->base, 0);
		return rs_nomem(dir);
	}
	return ROSTER_OK;
}

static uint64_t str_hash(const roster_directory *dir, const char *s)
{
	return rs_hash(s, strlen(s), dir->seed);
}

static uint64_t ext_hash(const roster_directory *dir, roster_id pbx,
			 const char *ext)
{
	return rs_hash(ext, strlen(ext), rs_hash_u64(pbx, dir->seed));
}

typedef struct probe {
	const roster_directory *dir;
	const char *key;
	roster_id pbx;
	roster_id self; /* a match on this user does not count */
} probe;

static const rs_user *probe_user(const probe *p, uint64_t id)
{
	if (id == p->self)
		return NULL;
	return (const rs_user *)rs_get_kind(p->dir, id, ROSTER_KIND_USER);
}

/* The logins hold the users' addresses (model.h). */
static int match_email(void *ctx, uint64_t addr)
{
	const probe *p = ctx;
	const rs_user *u = (const rs_user *)(uintptr_t)addr;

	return u->base.id != p->self && strcmp(RS_EMAIL_KEY(u), p->key) == 0;
}

static int match_line(void *ctx, uint64_t id)
{
	const probe *p = ctx;
	const rs_user *u = probe_user(p, id);
	size_t i;

	for (i = 0; u && i < u->nlines; i++)
		if (strcmp(RS_LINE(u, i), p->key) == 0)
			return 1;
	return 0;
}

static int match_ext(void *ctx, uint64_t id)
{
	const probe *p = ctx;
	const rs_user *u = probe_user(p, id);

	return u && RS_REF(u, ROSTER_FIELD_PBX) == p->pbx &&
	       strcmp(RS_STR(u, ROSTER_FIELD_EXTENSION), p->key) == 0;
}

int rs_user_login_swap(roster_directory *dir, const rs_user *old,
		       const rs_user *cur)
{
	if (old && rs_key_remove(dir, &dir->emails,
				 str_hash(dir, RS_EMAIL_KEY(old)),
				 (uintptr_t)old))
		return ROSTER_ENOMEM;
	if (cur && rs_key_insert(dir, &dir->emails,
				 str_hash(dir, RS_EMAIL_KEY(cur)),
				 (uintptr_t)cur))
		return ROSTER_ENOMEM;
	return ROSTER_OK;
}

/*
 * Index entries of a user: add (sign > 0) or remove (sign < 0). Its login
 * is put in by rs_put (rs_user_login_swap), which follows every version;
 * taking it out here too is for a refresh, where a login may pass to
 * another user before this one's next version is published.
 */
static int index_user(roster_directory *dir, const rs_user *u, int sign,
		      int email, int lines, int ext)
{
	int (*op)(roster_directory *, rs_keyset *, uint64_t, roster_id) =
		sign > 0 ? rs_key_insert : rs_key_remove;
	roster_id id = u->base.id;
	size_t i;

	if (email && sign < 0 &&
	    rs_key_remove(dir, &dir->emails, str_hash(dir, RS_EMAIL_KEY(u)),
			  (uintptr_t)u))
		return ROSTER_ENOMEM;
	for (i = 0; lines && i < u->nlines; i++)
		if (op(dir, &dir->lines, str_hash(dir, RS_LINE(u, i)), id))
			return ROSTER_ENOMEM;
	if (ext && RS_REF(u, ROSTER_FIELD_PBX) &&
	    op(dir, &dir->extensions,
	       ext_hash(dir, RS_REF(u, ROSTER_FIELD_PBX),
			RS_STR(u, ROSTER_FIELD_EXTENSION)),
	       id))
		return ROSTER_ENOMEM;
	return ROSTER_OK;
}

/* One unique key of a user read from the store: refused when another
 * user holds it, else put in as `value` (its id, or for the login its
 * address), through the undo log when `logged` (a refresh) or straight
 * (a load, outside any transaction). A refresh's login is left to rs_put,
 * which publishes the user (value 0). */
static int stored_key(roster_directory *dir, rs_keyset *set, uint64_t hash,
		      int (*match)(void *, uint64_t), probe *p, const char *key,
		      uint64_t value, int logged)
{
	if (rs_keyset_find(set, hash, match, p))
		return rs_fail(dir, ROSTER_EPARSE, "store",
			       "storage.inconsistent", key);
	if (!value)
		return ROSTER_OK;
	if (logged)
		return rs_key_insert(dir, set, hash, value) ? rs_nomem(dir)
							    : ROSTER_OK;
	if (rs_keyset_reserve(&dir->al, set, value, NULL))
		return rs_nomem(dir);
	rs_keyset_insert(set, hash, value);
	return ROSTER_OK;
}

/* The login, lines and extension of a user read from the store. */
static int stored_keys(roster_directory *dir, const rs_user *u,
		       const char *key, int logged)
{
	probe p = { dir, RS_EMAIL_KEY(u), 0, u->base.id };
	roster_id pbx = RS_REF(u, ROSTER_FIELD_PBX);
	const char *ext = RS_STR(u, ROSTER_FIELD_EXTENSION);
	size_t i;
	int rc;

	if ((rc = stored_key(dir, &dir->emails, str_hash(dir, p.key),
			     match_email, &p, key,
			     logged ? 0 : (uintptr_t)u, logged)))
		return rc;
	for (i = 0; i < u->nlines; i++) {
		p.key = RS_LINE(u, i);
		if ((rc = stored_key(dir, &dir->lines, str_hash(dir, p.key),
				     match_line, &p, key, p.self, logged)))
			return rc;
	}
	if (!pbx != !ext)
		return rs_fail(dir, ROSTER_EPARSE, "store",
			       "storage.inconsistent", key);
	if (pbx) {
		p.key = ext;
		p.pbx = pbx;
		return stored_key(dir, &dir->extensions, ext_hash(dir, pbx, ext),
				  match_ext, &p, key, p.self, logged);
	}
	return ROSTER_OK;
}

int rs_user_index_load(roster_directory *dir, const rs_user *u,
		       const char *key)
{
	return stored_keys(dir, u, key, 0);
}

/* Membership of the user in the site, PBX and group it references. */
static int member_of(roster_directory *dir, roster_id ref, roster_id user,
		     int sign)
{
	rs_rec *r = ref ? rs_get(dir, ref) : NULL;

	if (!r)
		return ROSTER_OK;
	return sign > 0 ? rs_vec_insert(dir, &RS_MEMBERS(r)->users, user)
			: rs_vec_remove(dir, &RS_MEMBERS(r)->users, user);
}

/* Does a user's membership in `ref`'s unit (group, site or PBX) or its
 * account's admin count carry over from version a to version b? */
static int same_ref(const rs_user *a, const rs_user *b, int ref)
{
	return b && a->base.parent == b->base.parent &&
	       RS_REF(a, ref) == RS_REF(b, ref);
}

static int counts_admin(const rs_user *a, const rs_user *b)
{
	return b && a->base.parent == b->base.parent &&
	       RS_FLAG(b, ROSTER_FIELD_ADMIN);
}

static const int unit_refs[] = { ROSTER_FIELD_GROUP, ROSTER_FIELD_SITE,
				 ROSTER_FIELD_PBX };

int rs_user_unlink_read(roster_directory *dir, const rs_user *old,
			const rs_user *next)
{
	rs_rec *acc = rs_get(dir, old->base.parent);
	size_t i;

	if (index_user(dir, old, -1, 1, 1, 1))
		return rs_nomem(dir);
	if (!(next && next->base.parent == old->base.parent) &&
	    rs_vec_remove(dir, &RS_MEMBERS(acc)->users, old->base.id))
		return rs_nomem(dir);
	for (i = 0; i < sizeof(unit_refs) / sizeof(unit_refs[0]); i++)
		if (!same_ref(old, next, unit_refs[i]) &&
		    member_of(dir, RS_REF(old, unit_refs[i]), old->base.id, -1))
			return rs_nomem(dir);
	if (RS_FLAG(old, ROSTER_FIELD_ADMIN) && !counts_admin(old, next) &&
	    rs_count(dir, &RS_MEMBERS(acc)->admins, -1))
		return rs_nomem(dir);
	if (!next && rs_put(dir, old->base.id, NULL))
		return rs_nomem(dir);
	return ROSTER_OK;
}

int rs_user_link_read(roster_directory *dir, rs_user *u, const rs_user *prev,
		      const char *key)
{
	rs_rec *acc = rs_get_kind(dir, u->base.parent, ROSTER_KIND_ACCOUNT);
	size_t i;
	int rc;

	if (!acc)
		return rs_fail(dir, ROSTER_EPARSE, "store",
			       "storage.inconsistent", key);
	if ((rc = stored_keys(dir, u, key, 1)))
		return rc;
	if (!(prev && prev->base.parent == u->base.parent) &&
	    rs_vec_insert(dir, &RS_MEMBERS(acc)->users, u->base.id))
		return rs_nomem(dir);
	for (i = 0; i < sizeof(unit_refs) / sizeof(unit_refs[0]); i++)
		if (!same_ref(u, prev, unit_refs[i]) &&
		    member_of(dir, RS_REF(u, unit_refs[i]), u->base.id, 1))
			return rs_nomem(dir);
	if (RS_FLAG(u, ROSTER_FIELD_ADMIN) && !counts_admin(u, prev) &&
	    rs_count(dir, &RS_MEMBERS(acc)->admins, 1))
		return rs_nomem(dir);
	/* a user new to the handle may find the index's slots taken
	 * (ROSTER_ERROR, recorded) */
	if ((rc = rs_put(dir, u->base.id, &u->base)))
		return rc == ROSTER_ENOMEM ? rs_nomem(dir) : rc;
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Building the next version                                           */

static const char *text_rule(enum rs_text_fault f)
{
	switch (f) {
	case RS_TEXT_UTF8:
		return "text.utf8";
	case RS_TEXT_CONTROL:
		return "text.control";
	case RS_TEXT_EMPTY:
		return "text.empty";
	case RS_TEXT_LONG:
		return "text.long";
	default:
		return "nomem";
	}
}

static int strs_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Is `v` the display name a user with no display name of its own shows,
 * "First Last" (user_read.c)? */
static int is_default_display(const rs_user *u, const char *v)
{
	const char *first = RS_STR(u, ROSTER_FIELD_FIRST_NAME);
	const char *last = RS_STR(u, ROSTER_FIELD_LAST_NAME);
	size_t n;

	if (!v || !first || !last || RS_STR(u, ROSTER_FIELD_DISPLAY_NAME))
		return 0;
	n = strlen(first);
	return strncmp(v, first, n) == 0 && v[n] == ' ' &&
	       strcmp(v + n + 1, last) == 0;
}

/* A number as numbers are kept: '+' and 2 to 15 digits, the first not 0.
 * Every number the setters write is one, and a number read from a store
 * need only be one: the setters' rules of writing may change, what they
 * keep does not. */
static int e164_shape(const char *s)
{
	size_t n = 0;

	if (*s++ != '+' || *s == '0')
		return 0;
	for (; s[n] >= '0' && s[n] <= '9'; n++)
		;
	return !s[n] && n >= 2 && n <= 15;
}

/* Normalise one string field into RS_STR(u, field); `stored` for a value
 * read from a store (RS_TEXT_STORED, e164_shape). */
static int set_string(roster_directory *dir, rs_user *u, int field,
		      const char *in, int stored)
{
	const rs_field_info *fi = rs_field(field);
	char buf[256], key[256];
	const char *rule = NULL, *norm = NULL;
	enum rs_text_fault tf;
	char *val = NULL;

	rs_user_set(&dir->al, u, (size_t)field, NULL);
	if (field == ROSTER_FIELD_EMAIL)
		rs_user_set(&dir->al, u, RS_S_EMAIL_KEY, NULL);
	if (!in)
		return ROSTER_OK; /* cleared; required fields checked later */
	switch (field) {
	case ROSTER_FIELD_EMAIL:
		if (strnlen(in, 1024) > 1000) {
			rule = "email.syntax";
			break;
		}
		if (!(rule = rs_valid_email(in, buf, key))) {
			norm = buf;
			if (!(RS_W(u)->s[RS_S_EMAIL_KEY] =
				      rs_strdup(&dir->al, key)))
				return rs_nomem(dir);
		}
		break;
	case ROSTER_FIELD_PHONE:
		if (strnlen(in, 64) >= 64)
			rule = "phone.e164";
		else if (stored && e164_shape(in))
			norm = in;
		else if (!(rule = rs_valid_e164(in, buf)))
			norm = buf;
		break;
	case ROSTER_FIELD_ADDRESS_COUNTRY:
		if (!(rule = rs_valid_country(in, buf)))
			norm = buf;
		break;
	case ROSTER_FIELD_LANGUAGE:
		if (!(norm = rs_phone_language(in)) ||
		    !rs_catalog_language(dir, norm))
			rule = "language.unsupported";
		break;
	case ROSTER_FIELD_LICENCE:
	case ROSTER_FIELD_PACK:
		/* the catalog's rules are checked across fields */
		if (!(rule = rs_valid_item_id(in)))
			norm = in;
		break;
	case ROSTER_FIELD_EXTENSION:
		/* digit rules depend on the PBX: checked across fields; the
		 * blanks around it are no part of it (" 100 " in a file) */
		if (!(rule = rs_extension_trim(in, buf)))
			norm = buf;
		break;
	default:
		tf = rs_text_clean(&dir->al, in,
				   (field == ROSTER_FIELD_NOTE ? RS_TEXT_MULTILINE
							       : 0) |
					   (stored ? RS_TEXT_STORED : 0),
				   fi->max_chars, &val);
		if (tf == RS_TEXT_NOMEM)
			return rs_nomem(dir);
		if (tf != RS_TEXT_OK)
			return rs_fail_limit(dir, ROSTER_EINVALID, fi->name,
					     text_rule(tf),
					     tf == RS_TEXT_UTF8 ? in : NULL,
					     (long long)fi->max_chars);
		RS_W(u)->s[field] = val;
		return ROSTER_OK;
	}
	if (rule)
		return rs_fail_limit(dir, ROSTER_EINVALID, fi->name, rule, in,
				     (long long)fi->max_chars);
	if (!(RS_W(u)->s[field] = rs_strdup(&dir->al, norm)))
		return rs_nomem(dir);
	return ROSTER_OK;
}

/* The phone as the form gives it: a national number of the form's
 * country (roster_form_set_numbers_country) in E.164, in `out`, else the
 * value as it is, for set_string to take or refuse. */
static const char *national(const roster_form *f, int field, const char *v,
			    char out[32])
{
	if (field == ROSTER_FIELD_PHONE && v && f->country[0] &&
	    strnlen(v, 64) < 64 && !rs_national_e164(v, f->country, out))
		return out;
	return v;
}

static void free_lines(const rs_alloc *al, char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		rs_free(al, lines[i]);
	rs_free(al, lines);
}

static int set_lines(roster_directory *dir, rs_user *u, const roster_form *f)
{
	rs_user_work *w = RS_W(u);
	char buf[32];
	size_t i, j;

	free_lines(&dir->al, w->lines, u->nlines);
	w->lines = NULL;
	u->nlines = 0;
	if (f->nlines > ROSTER_LINES_MAX)
		return rs_fail_limit(dir, ROSTER_EINVALID, "lines",
				     "line.count", NULL, ROSTER_LINES_MAX);
	if (!f->nlines)
		return ROSTER_OK;
	w->lines = rs_calloc(&dir->al, f->nlines, sizeof(char *));
	if (!w->lines)
		return rs_nomem(dir);
	for (i = 0; i < f->nlines; i++) {
		if (strnlen(f->lines[i], 64) >= 64 ||
		    rs_national_e164(f->lines[i],
				     f->country[0] ? f->country : NULL, buf))
			return rs_fail(dir, ROSTER_EINVALID, "lines",
				       "phone.e164", f->lines[i]);
		for (j = 0; j < u->nlines; j++)
			if (strcmp(RS_LINE(u, j), buf) == 0)
				return rs_fail(dir, ROSTER_EINVALID, "lines",
					       "line.duplicate", buf);
		if (!(w->lines[u->nlines] = rs_strdup(&dir->al, buf)))
			return rs_nomem(dir);
		u->nlines++;
	}
	return ROSTER_OK;
}

static int lines_equal(const rs_user *u, char **lines, size_t n)
{
	size_t i;

	if (u->nlines != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(RS_LINE(u, i), lines[i]) != 0)
			return 0;
	return 1;
}

/*
 * Set `field` of `u` (the version being built) from the form, in its
 * normal form, and tell in *changed whether that differs from the value
 * `u` held: a value sent back as it is kept (even one a store of an
 * earlier version holds, which today's rules would refuse), or written
 * otherwise but the same once normalised ("Jan " for "Jan", a line with
 * spaces, a note with CRLF), changes nothing. A value the setter refuses
 * is a change (the value held is valid) and its error is returned; so is
 * ROSTER_ENOMEM.
 * `cur` is the version the caller read (NULL at creation): a form sent
 * back with its derived display name changes nothing either. The
 * password is always a change, and is hashed later (apply_form).
 */
static int set_field(roster_directory *dir, rs_user *u, const rs_user *cur,
		     const roster_form *f, int field, int *changed)
{
	rs_user_work *w;
	char e164[32], *old, **old_lines;
	size_t old_n;
	int rc;

	*changed = 0;
	switch (roster_field_type(field)) {
	case ROSTER_TYPE_STRING:
		if (field == ROSTER_FIELD_PASSWORD) {
			*changed = 1;
			return ROSTER_OK;
		}
		w = RS_W(u);
		old = w->s[field];
		/* the value as it is kept: no change, even one today's rules
		 * would not take (a store of an earlier version's) */
		if (old && f->str[field] && strcmp(old, f->str[field]) == 0)
			return ROSTER_OK;
		w->s[field] = NULL;
		rc = set_string(dir, u, field,
				national(f, field, f->str[field], e164), 0);
		if (!rc && field == ROSTER_FIELD_DISPLAY_NAME && !old) {
			/* the derived "First Last" sent back, once
			 * normalised: the user still has none of its own */
			char *v = w->s[field];

			w->s[field] = NULL;
			if ((cur && is_default_display(cur, v)) ||
			    is_default_display(u, v)) {
				rs_free(&dir->al, v);
				return ROSTER_OK;
			}
			w->s[field] = v;
		}
		*changed = rc || !strs_equal(RS_STR(u, field), old);
		rs_free(&dir->al, old);
		return rc;
	case ROSTER_TYPE_BOOL:
		*changed = RS_FLAG(u, field) != f->flag[field];
		rs_flag_set(u, field, f->flag[field]);
		return ROSTER_OK;
	case ROSTER_TYPE_REF:
		*changed = RS_REF(u, field) != f->ref[field];
		RS_REF_W(u, field) = f->ref[field];
		return ROSTER_OK;
	default:
		w = RS_W(u);
		old_lines = w->lines;
		old_n = u->nlines;
		if (lines_equal(u, f->lines, f->nlines))
			return ROSTER_OK; /* as they are kept */
		w->lines = NULL;
		u->nlines = 0;
		rc = set_lines(dir, u, f);
		*changed = rc || !lines_equal(u, old_lines, old_n);
		free_lines(&dir->al, old_lines, old_n);
		return rc;
	}
}

/* A reference must name a record of `kind` in `account`. */
static int check_ref(roster_directory *dir, const rs_user *u, int field,
		     int kind)
{
	roster_id id = RS_REF(u, field);
	rs_rec *r;

	if (!id)
		return ROSTER_OK;
	r = rs_get(dir, id);
	if (!r || r->kind != kind)
		return rs_fail_id(dir, ROSTER_ENOTFOUND, roster_field_name(field),
				  "ref.notfound", id);
	if (r->parent != u->base.parent)
		return rs_fail_id(dir, ROSTER_EINVALID, roster_field_name(field),
				  "ref.account", id);
	return ROSTER_OK;
}

/* Rules across fields. */
static int check_fields(roster_directory *dir, const rs_user *u)
{
	static const int required[] = { ROSTER_FIELD_FIRST_NAME,
					ROSTER_FIELD_LAST_NAME,
					ROSTER_FIELD_EMAIL };
	const char *ext = RS_STR(u, ROSTER_FIELD_EXTENSION);
	roster_id pbx = RS_REF(u, ROSTER_FIELD_PBX);
	size_t i;
	int rc, any_address = 0, f;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!RS_STR(u, required[i]))
			return rs_fail(dir, ROSTER_EINVALID,
				       roster_field_name(required[i]),
				       "field.required", NULL);
	if ((rc = check_ref(dir, u, ROSTER_FIELD_GROUP, ROSTER_KIND_GROUP)) ||
	    (rc = check_ref(dir, u, ROSTER_FIELD_SITE, ROSTER_KIND_SITE)) ||
	    (rc = check_ref(dir, u, ROSTER_FIELD_PBX, ROSTER_KIND_PBX)))
		return rc;
	if (pbx && !ext)
		return rs_fail(dir, ROSTER_EINVALID, "extension",
			       "extension.required", NULL);
	if (ext && !pbx)
		return rs_fail(dir, ROSTER_EINVALID, "extension",
			       "extension.pbx", ext);
	if (pbx) {
		const rs_unit *px = (const rs_unit *)rs_get(dir, pbx);
		if (rs_valid_extension(ext, px->min_digits, px->max_digits))
			return rs_fail(dir, ROSTER_EINVALID, "extension",
				       "extension.digits", ext);
	}
	for (f = 1; f < ROSTER_FIELD_END; f++)
		if ((rs_field(f)->flags & RS_F_ADDRESS) && RS_STR(u, f))
			any_address = 1;
	if (any_address)
		for (f = ROSTER_FIELD_ADDRESS_STREET;
		     f <= ROSTER_FIELD_ADDRESS_COUNTRY; f++)
			if ((f == ROSTER_FIELD_ADDRESS_STREET ||
			     f == ROSTER_FIELD_ADDRESS_LOCALITY ||
			     f == ROSTER_FIELD_ADDRESS_COUNTRY) &&
			    !RS_STR(u, f))
				return rs_fail(dir, ROSTER_EINVALID,
					       roster_field_name(f),
					       "address.incomplete", NULL);
	if (RS_FLAG(u, ROSTER_FIELD_DO_NOT_BILL) &&
	    !RS_FLAG(u, ROSTER_FIELD_SYSTEM_USER))
		return rs_fail(dir, ROSTER_EINVALID, "do_not_bill",
			       "do_not_bill.system", NULL);
	return ROSTER_OK;
}

/* Rules across fields, and uniqueness against the rest of the directory. */
static int check_user(roster_directory *dir, const rs_user *u)
{
	probe p = { dir, NULL, 0, u->base.id };
	const char *ext = RS_STR(u, ROSTER_FIELD_EXTENSION);
	roster_id pbx = RS_REF(u, ROSTER_FIELD_PBX);
	size_t i;
	int rc;

	if ((rc = check_fields(dir, u)))
		return rc;
	p.key = RS_EMAIL_KEY(u);
	if (rs_keyset_find(&dir->emails, str_hash(dir, p.key), match_email, &p))
		return rs_fail(dir, ROSTER_EEXISTS, "email", "email.unique",
			       RS_STR(u, ROSTER_FIELD_EMAIL));
	for (i = 0; i < u->nlines; i++) {
		p.key = RS_LINE(u, i);
		if (rs_keyset_find(&dir->lines, str_hash(dir, p.key), match_line,
				  &p))
			return rs_fail(dir, ROSTER_EEXISTS, "lines",
				       "line.unique", p.key);
	}
	if (pbx) {
		p.key = ext;
		p.pbx = pbx;
		if (rs_keyset_find(&dir->extensions, ext_hash(dir, pbx, ext),
				  match_ext, &p))
			return rs_fail(dir, ROSTER_EEXISTS, "extension",
				       "extension.unique", ext);
	}
	return ROSTER_OK;
}

/*
 * A user read from the store must be one the API could have written:
 * every string in the normal form its setter gives, valid distinct lines
 * and product ids (rs_user_check_stored, the user alone), and the rules
 * across fields, which read the records it refers to
 * (rs_user_check_links). On a fault, `why` (n bytes) gets the field and
 * the rule and ROSTER_EPARSE is returned, having recorded nothing;
 * ROSTER_ENOMEM is recorded.
 */
int rs_user_check_stored(roster_directory *dir, const rs_user *u, char *why,
			 size_t n)
{
	rs_user_work s;
	size_t i, j;
	int f, rc = ROSTER_OK;
	roster_error saved = dir->err;

	memset(&s, 0, sizeof(s));
	s.u.base = u->base;
	for (f = 1; f < ROSTER_FIELD_END && !rc; f++) {
		if (!RS_STR(u, f))
			continue;
		if ((rc = set_string(dir, &s.u, f, RS_STR(u, f), 1)) ==
		    ROSTER_ENOMEM)
			break;
		if (rc)
			snprintf(why, n, "%s: %s", dir->err.field, dir->err.rule);
		else if (strcmp(s.s[f], RS_STR(u, f)) != 0 ||
			 (f == ROSTER_FIELD_EMAIL &&
			  strcmp(s.s[RS_S_EMAIL_KEY], RS_EMAIL_KEY(u)) != 0)) {
			snprintf(why, n, "%s: not in normal form",
				 roster_field_name(f));
			rc = ROSTER_EPARSE;
		}
	}
	for (i = 0; i < RS_S_END; i++)
		rs_free(&dir->al, s.s[i]);
	if (rc == ROSTER_ENOMEM)
		return rc;
	if (!rc && u->nlines > ROSTER_LINES_MAX) {
		snprintf(why, n, "lines: line.count");
		rc = ROSTER_EPARSE;
	}
	for (i = 0; i < u->nlines && !rc; i++) {
		if (!e164_shape(RS_LINE(u, i)))
			rc = ROSTER_EPARSE;
		for (j = 0; j < i && !rc; j++)
			if (strcmp(RS_LINE(u, j), RS_LINE(u, i)) == 0)
				rc = ROSTER_EPARSE;
		if (rc)
			snprintf(why, n, "lines: %s", RS_LINE(u, i));
	}
	if (!rc && RS_STR(u, ROSTER_FIELD_PACK) && !RS_REF(u, ROSTER_FIELD_SITE)) {
		snprintf(why, n, "pack: pack.site");
		rc = ROSTER_EPARSE;
	}
	for (i = 0; !rc && i < u->nproducts; i++)
		if (rs_valid_item_id(RS_PRODUCT(u, i))) {
			snprintf(why, n, "products: item.syntax");
			rc = ROSTER_EPARSE;
		}
	if (rc == ROSTER_ENOMEM)
		return rc;
	dir->err = saved;
	return rc ? ROSTER_EPARSE : ROSTER_OK;
}

int rs_user_check_links(roster_directory *dir, const rs_user *u, char *why,
			size_t n)
{
	roster_error saved = dir->err;

	if (!check_fields(dir, u))
		return ROSTER_OK;
	snprintf(why, n, "%s: %s", dir->err.field, dir->err.rule);
	dir->err = saved;
	return ROSTER_EPARSE;
}

/*
 * Apply the form to `u` (a copy of the current version, or a blank one at
 * creation). *changed_mask gets a bit per changed field; *plain the
 * generated password, if any.
 */
static int apply_form(roster_directory *dir, const rs_who *who, rs_user *u,
		      const rs_user *cur, const roster_form *f,
		      uint64_t *changed_mask, char **plain)
{
	roster_id target = cur ? cur->base.id : 0;
	int field, rc, code, changed;
	const char *rule;

	*changed_mask = 0;
	*plain = NULL;
	for (field = 1; field < ROSTER_FIELD_END; field++) {
		if (!f->set[field])
			continue;
		rc = set_field(dir, u, cur, f, field, &changed);
		if (rc == ROSTER_ENOMEM)
			return rc;
		if (!changed)
			continue;
		/* a field the actor may not change is refused as such,
		 * whatever its value */
		rule = rs_field_rule(dir, who, u->base.parent, target, field,
				     &code);
		if (rule)
			return rs_fail(dir, code, roster_field_name(field), rule,
				       NULL);
		if (rc)
			return rc;
		*changed_mask |= (uint64_t)1 << field;
	}
	if ((rc = check_user(dir, u)) ||
	    (rc = rs_licence_check(dir, u, cur)) ||
	    (rc = rs_station_check(dir, u, cur)) ||
	    (rc = rs_pack_downgrade_check(dir, u, cur, f->confirm)) ||
	    /* the words of a copy stand while their fields do */
	    ((!RS_WORDS(u) || (*changed_mask & rs_search_field_mask())) &&
	     (rc = rs_user_search_keys(dir, u))))
		return rc;
	/* the last admin of an account stays an admin while the account
	 * has other users (alone, it may step down: the account is being
	 * emptied) */
	if (cur && RS_FLAG(cur, ROSTER_FIELD_ADMIN) && !RS_FLAG(u, ROSTER_FIELD_ADMIN)) {
		rs_rec *acc = rs_get(dir, u->base.parent);
		if (RS_MEMBERS(acc)->admins <= 1 && RS_MEMBERS(acc)->users.len > 1)
			return rs_fail(dir, ROSTER_EPOLICY, "admin",
				       "admin.last", NULL);
	}
	if (*changed_mask & ((uint64_t)1 << ROSTER_FIELD_PASSWORD)) {
		const char *pw = f->str[ROSTER_FIELD_PASSWORD];
		char *form = NULL; /* a chosen one's, as it is hashed */

		if (f->generate_password) {
			if ((rc = rs_password_new(dir, plain)))
				return rc;
			pw = *plain; /* of ASCII letters and digits: its form */
		} else if (!pw) {
			return rs_fail(dir, ROSTER_EINVALID, "password",
				       "text.empty", NULL);
		} else if ((rc = rs_password_chosen(dir, pw, &form))) {
			return rc;
		}
		rs_user_set(&dir->al, u, RS_S_PASSWORD, NULL);
		rc = rs_password_hash(dir, form ? form : pw,
				      dir->policy.hash_cost,
				      &RS_W(u)->s[RS_S_PASSWORD]);
		rs_free_secret(&dir->al, form);
		if (rc)
			return rc;
	}
	return ROSTER_OK;
}

static int reload_if(roster_directory *dir, const rs_user *u)
{
	roster_id pbx = RS_REF(u, ROSTER_FIELD_PBX);

	return pbx ? rs_reload(dir, u->base.parent, pbx) : ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Create                                                              */

/* The product licences of the form (an import's, checked there) on the
 * new user u. */
static int give_products(roster_directory *dir, rs_user *u,
			 const roster_form *form)
{
	char **l;
	size_t i;

	if (!form->nproducts)
		return ROSTER_OK;
	if (!(l = rs_calloc(&dir->al, form->nproducts, sizeof(*l))))
		return rs_nomem(dir);
	RS_W(u)->products = l;
	for (i = 0; i < form->nproducts; i++, u->nproducts++)
		if (!(l[i] = rs_strdup(&dir->al, form->products[i])))
			return rs_nomem(dir);
	return ROSTER_OK;
}

static int create(roster_directory *dir, const rs_who *who, roster_id account,
		  const roster_form *form, roster_id *out)
{
	static const int refs[] = { ROSTER_FIELD_GROUP, ROSTER_FIELD_SITE,
				    ROSTER_FIELD_PBX };
	rs_user *u;
	rs_rec *acc;
	char *plain = NULL, *token = NULL;
	uint64_t mask;
	size_t i;
	int rc;

	if (!rs_get_kind(dir, account, ROSTER_KIND_ACCOUNT))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	if ((rc = rs_authz_account(dir, who, account, RS_MANAGE_USERS)))
		return rc;
	if (!(u = rs_user_new(&dir->al)))
		return rs_nomem(dir);
	u->base.kind = ROSTER_KIND_USER;
	u->base.parent = account;
	rc = apply_form(dir, who, u, NULL, form, &mask, &plain);
	if (rc == 0)
		rc = give_products(dir, u, form);
	if (rc == 0 && (rc = rs_new_id(dir, &u->base.id)) == 0) {
		rc = rs_token_new(dir, u->base.id, &token,
				  &RS_W(u)->s[RS_S_WELCOME]);
		RS_WELCOME_EXPIRES_W(u) =
			(uint64_t)rs_deadline(dir, dir->policy.welcome_ttl);
	}
	if (rc == 0)
		rc = rs_user_publishable(dir, &u);
	if (rc) {
		rs_rec_free(dir, &u->base, 0);
		rs_free_secret(&dir->al, plain);
		rs_free_secret(&dir->al, token);
		return rc;
	}
	acc = rs_get(dir, account);
	/* the index may have no slot left (ROSTER_ERROR, recorded) */
	if ((rc = rs_put(dir, u->base.id, &u->base))) {
		rs_rec_free(dir, &u->base, 0);
		goto done;
	}
	rc = ROSTER_ENOMEM;
	if (rs_unit_touch(dir, account) ||
	    rs_vec_insert(dir, &RS_MEMBERS(acc)->users, u->base.id) ||
	    index_user(dir, u, 1, 1, 1, 1) ||
	    (RS_FLAG(u, ROSTER_FIELD_ADMIN) &&
	     rs_count(dir, &RS_MEMBERS(acc)->admins, 1)))
		goto done;
	/* the site, PBX and group it joins are written too: a directory
	 * deleting one of them meanwhile then conflicts */
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (member_of(dir, RS_REF(u, refs[i]), u->base.id, 1) ||
		    (RS_REF(u, refs[i]) && rs_unit_touch(dir, RS_REF(u, refs[i]))))
			goto done;
	if (rs_event(dir, ROSTER_EVENT_USER_CREATED, account, u->base.id,
		     RS_STR(u, ROSTER_FIELD_EMAIL), NULL, NULL,
		     RS_FLAG(u, ROSTER_FIELD_ADMIN)) ||
	    rs_event(dir, ROSTER_EVENT_WELCOME_EMAIL, account, u->base.id,
		     RS_STR(u, ROSTER_FIELD_EMAIL), token, plain, 0))
		goto done;
	rs_event_link(dir, RS_WELCOME(u), plain ? RS_PASSWORD(u) : NULL);
	if (reload_if(dir, u))
		goto done;
	*out = u->base.id;
	rc = ROSTER_OK;
done:
	rs_free_secret(&dir->al, plain);
	rs_free_secret(&dir->al, token);
	return rc == ROSTER_ENOMEM ? rs_nomem(dir) : rc;
}

int roster_user_create(roster_id *out, roster_directory *dir,
		       const roster_actor *actor, roster_id account,
		       const roster_form *form)
{
	rs_who who;
	rs_op op;
	roster_id id = 0;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out || !form)
		return rs_fail(dir, ROSTER_EINVAL, out ? "form" : "out",
			       "arg.null", NULL);
	*out = 0;
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	rs_op_begin(dir, &op);
	rc = rs_op_end(dir, &op, create(dir, &who, account, form, &id));
	if (rc == 0)
		*out = id;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Update                                                              */

#define BIT(f) ((uint64_t)1 << (f))

static int update(roster_directory *dir, const rs_who *who, roster_id id,
		  const roster_form *form)
{
	static const int refs[] = { ROSTER_FIELD_GROUP, ROSTER_FIELD_SITE,
				    ROSTER_FIELD_PBX };
	const rs_user *cur = (const rs_user *)rs_get_kind(dir, id,
							   ROSTER_KIND_USER);
	roster_id account;
	rs_user *u;
	rs_rec *acc;
	char *plain = NULL;
	uint64_t mask, pbx_mask = 0;
	int rc, f, email, lines, ext;
	size_t i;

	if (!cur)
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "user",
				  "record.notfound", id);
	account = cur->base.parent;
	/* only the user and the account's managers may touch the record at
	 * all: otherwise a form that changes nothing would succeed and tell
	 * an outsider that the values it sent are the user's */
	if (!(who->kind == ROSTER_ACTOR_USER && who->id == id) &&
	    (rc = rs_authz_account(dir, who, account, RS_MANAGE_USERS)))
		return rc;
	/* the form was made from a version someone else has replaced since:
	 * refused, even when it changes nothing, so that the admin sees
	 * the user as it is now before deciding */
	if (form->expect && form->expect != cur->base.sver)
		return rs_fail(dir, ROSTER_ECONFLICT, "version", "user.changed",
			       NULL);
	if ((rc = rs_user_copy(dir, cur, &u)))
		return rc;
	rc = apply_form(dir, who, u, cur, form, &mask, &plain);
	if (rc || !mask) {
		/* refused, or nothing changes: no new version, no event */
		rs_rec_free(dir, &u->base, 0);
		rs_free_secret(&dir->al, plain);
		return rc;
	}
	/* a new password or login voids the links already sent out (the
	 * login, not its spelling: "Jan@" for "jan@" is the same one) */
	email = !strs_equal(RS_EMAIL_KEY(cur), RS_EMAIL_KEY(u));
	if (email || (mask & BIT(ROSTER_FIELD_PASSWORD)))
		rs_user_void_tokens(&dir->al, u);
	for (f = 1; f < ROSTER_FIELD_END; f++)
		if (rs_field(f)->flags & RS_F_PBX)
			pbx_mask |= BIT(f);
	lines = (mask & BIT(ROSTER_FIELD_LINES)) != 0;
	ext = (mask & (BIT(ROSTER_FIELD_PBX) | BIT(ROSTER_FIELD_EXTENSION))) != 0;
	acc = rs_get(dir, account);
	rc = ROSTER_ENOMEM;
	if (email || lines || ext)
		rs_touch_keys(dir);
	/* old keys out, new version in, new keys in */
	if (rs_user_publishable(dir, &u) ||
	    index_user(dir, cur, -1, email, lines, ext))
		goto fail_unpublished;
	if (rs_put(dir, id, &u->base))
		goto fail_unpublished;
	if (index_user(dir, u, 1, email, lines, ext))
		goto done;
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		int r = refs[i];
		if (RS_REF(cur, r) == RS_REF(u, r))
			continue;
		if (member_of(dir, RS_REF(cur, r), id, -1) ||
		    member_of(dir, RS_REF(u, r), id, 1) ||
		    (RS_REF(u, r) && rs_unit_touch(dir, RS_REF(u, r))))
			goto done;
	}
	if (mask & BIT(ROSTER_FIELD_ADMIN)) {
		if (rs_unit_touch(dir, account) ||
		    rs_count(dir, &RS_MEMBERS(acc)->admins,
			     RS_FLAG(u, ROSTER_FIELD_ADMIN) ? 1 : -1) ||
		    rs_event(dir, ROSTER_EVENT_ROLE_CHANGED, account, id,
			     RS_STR(u, ROSTER_FIELD_EMAIL), NULL, NULL,
			     RS_FLAG(u, ROSTER_FIELD_ADMIN)))
			goto done;
	}
	/* attaching to the Helpdesk service writes the account too: a
	 * directory cancelling the service meanwhile then conflicts */
	if ((mask & BIT(ROSTER_FIELD_HELPDESK)) &&
	    RS_FLAG(u, ROSTER_FIELD_HELPDESK) && rs_unit_touch(dir, account))
		goto done;
	if (rs_event(dir, ROSTER_EVENT_USER_UPDATED, account, id,
		     RS_STR(u, ROSTER_FIELD_EMAIL), NULL, NULL,
		     RS_FLAG(u, ROSTER_FIELD_ADMIN)))
		goto done;
	if ((mask & BIT(ROSTER_FIELD_PASSWORD)) &&
	    rs_event(dir, ROSTER_EVENT_PASSWORD_CHANGED, account, id,
		     RS_STR(u, ROSTER_FIELD_EMAIL), NULL, plain, 0))
		goto done;
	if ((mask & pbx_mask) && (reload_if(dir, cur) || reload_if(dir, u)))
		goto done;
	rc = ROSTER_OK;
	goto done;
fail_unpublished:
	rs_rec_free(dir, &u->base, 0);
done:
	rs_free_secret(&dir->al, plain);
	return rc == ROSTER_ENOMEM ? rs_nomem(dir) : rc;
}

int roster_user_update(roster_directory *dir, const roster_actor *actor,
		       roster_id user, const roster_form *form)
{
	rs_who who;
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!form)
		return rs_fail(dir, ROSTER_EINVAL, "form", "arg.null", NULL);
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, update(dir, &who, user, form));
}

/* ------------------------------------------------------------------ */
/* Delete                                                              */

static int delete_user(roster_directory *dir, const rs_who *who, roster_id id)
{
	static const int refs[] = { ROSTER_FIELD_GROUP, ROSTER_FIELD_SITE,
				    ROSTER_FIELD_PBX };
	const rs_user *u = (const rs_user *)rs_get_kind(dir, id,
							 ROSTER_KIND_USER);
	rs_rec *acc;
	size_t i;
	int rc;

	if (!u)
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "user",
				  "record.notfound", id);
	if ((rc = rs_authz_account(dir, who, u->base.parent, RS_MANAGE_USERS)))
		return rc;
	if (RS_FLAG(u, ROSTER_FIELD_ADMIN))
		return rs_fail(dir, ROSTER_EPOLICY, "admin", "admin.delete",
			       NULL);
	acc = rs_get(dir, u->base.parent);
	/* events and keys first: they read the record, which rs_put hands
	 * to the undo log */
	if (rs_event(dir, ROSTER_EVENT_USER_DELETED, u->base.parent, id,
		     RS_STR(u, ROSTER_FIELD_EMAIL), NULL, NULL, 0) ||
	    reload_if(dir, u) || index_user(dir, u, -1, 1, 1, 1) ||
	    rs_vec_remove(dir, &RS_MEMBERS(acc)->users, id))
		return rs_nomem(dir);
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (member_of(dir, RS_REF(u, refs[i]), id, -1))
			return rs_nomem(dir);
	if (rs_put(dir, id, NULL))
		return rs_nomem(dir);
	return ROSTER_OK;
}

int roster_user_delete(roster_directory *dir, const roster_actor *actor,
		       roster_id user)
{
	rs_who who;
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, delete_user(dir, &who, user));
}

/* ------------------------------------------------------------------ */
/* Field access                                                        */

int roster_user_field_access(int *out, roster_directory *dir,
			     const roster_actor *actor, roster_id target,
			     int field)
{
	rs_who who;
	rs_rec *r;
	const char *rule;
	int rc, code;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = 0;
	if (!rs_field(field))
		return rs_fail_id(dir, ROSTER_EINVAL, "field", "arg.range",
				  (roster_id)(unsigned)field);
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	r = target ? rs_get(dir, target) : NULL;
	if (!r || (r->kind != ROSTER_KIND_USER && r->kind != ROSTER_KIND_ACCOUNT))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "target",
				  "record.notfound", target);
	if (r->kind == ROSTER_KIND_USER)
		rule = rs_field_rule(dir, &who, r->parent, r->id, field, &code);
	else
		rule = rs_field_rule(dir, &who, r->id, 0, field, &code);
	if (rule)
		rs_fail(dir, code, roster_field_name(field), rule, NULL);
	*out = rule == NULL;
	return ROSTER_OK;
}
