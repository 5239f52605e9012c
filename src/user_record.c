/*
 * user_record.c: one version of a user in memory: the working copy a
 * change is built in, the packed block a published version lives in, and
 * freeing either (model.h describes both forms).
 *
 * A working copy has one allocation per string, so that a change can
 * replace any of them. Once built, a version is packed: the record, the
 * offset of each string it holds (the fields it has, not every field),
 * and the strings, in one block. A million
 * users then cost a million blocks instead of ten million, with no
 * allocator header or rounding per string and no pointer per string, and
 * reading a user touches one contiguous stretch of memory. Published
 * versions are never changed (model.h).
 */
#include <assert.h>
#include <string.h>

#include "users.h"

/* Offsets are 16 bits wide when the whole block fits them. */
#define NARROW_MAX 0xffffu

/* The strings' bits, plus one (model.h): the string fields, then the
 * RS_S_* strings, in their order. */
const unsigned char rs_string_bit[RS_S_END] = {
	[ROSTER_FIELD_FIRST_NAME] = 1,
	[ROSTER_FIELD_LAST_NAME] = 2,
	[ROSTER_FIELD_DISPLAY_NAME] = 3,
	[ROSTER_FIELD_EMAIL] = 4,
	[ROSTER_FIELD_PASSWORD] = 5,
	[ROSTER_FIELD_PHONE] = 6,
	[ROSTER_FIELD_ADDRESS_STREET] = 7,
	[ROSTER_FIELD_ADDRESS_EXTRA] = 8,
	[ROSTER_FIELD_ADDRESS_LOCALITY] = 9,
	[ROSTER_FIELD_ADDRESS_REGION] = 10,
	[ROSTER_FIELD_ADDRESS_POSTCODE] = 11,
	[ROSTER_FIELD_ADDRESS_COUNTRY] = 12,
	[ROSTER_FIELD_LANGUAGE] = 13,
	[ROSTER_FIELD_EXTENSION] = 14,
	[ROSTER_FIELD_NOTE] = 15,
	[ROSTER_FIELD_LICENCE] = 16,
	[ROSTER_FIELD_PACK] = 17,
	[RS_S_EMAIL_KEY] = 18,
	[RS_S_WORDS] = 19,
	[RS_S_SORTKEY] = 20,
	[RS_S_PASSWORD] = 21,
	[RS_S_RESET] = 22,
	[RS_S_WELCOME] = RS_STRINGS_HELD,
};

rs_user *rs_user_new(const rs_alloc *al)
{
	return rs_calloc(al, 1, sizeof(rs_user_work));
}

void rs_user_set(const rs_alloc *al, rs_user *u, size_t i, char *s)
{
	rs_user_work *w = RS_W(u);

	rs_free(al, w->s[i]);
	w->s[i] = s;
}

void rs_user_void_tokens(const rs_alloc *al, rs_user *u)
{
	rs_user_set(al, u, RS_S_RESET, NULL);
	rs_user_set(al, u, RS_S_WELCOME, NULL);
	RS_RESET_EXPIRES_W(u) = 0;
	RS_WELCOME_EXPIRES_W(u) = 0;
}

static int dup_into(roster_directory *dir, char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = rs_strdup(&dir->al, src);
	return *dst ? 0 : -1;
}

/* Copy strings first .. first + n - 1 of `src` into a new array. */
static int dup_list(roster_directory *dir, char ***dst, const rs_user *src,
		    size_t first, size_t n)
{
	size_t i;

	*dst = NULL;
	if (!n)
		return 0;
	if (!(*dst = rs_calloc(&dir->al, n, sizeof(char *))))
		return -1;
	for (i = 0; i < n; i++)
		if (dup_into(dir, &(*dst)[i], rs_user_s(src, first + i)))
			return -1;
	return 0;
}

int rs_user_copy(roster_directory *dir, const rs_user *src, rs_user **out)
{
	rs_user_work *w = rs_calloc(&dir->al, 1, sizeof(*w));
	size_t i;

	*out = NULL;
	if (!w)
		return rs_nomem(dir);
	w->u = *src;
	w->u.packed = 0;
	w->u.opt = 0;
	for (i = 0; i < RS_O_END; i++)
		w->opt[i] = rs_user_opt(src, (int)i);
	for (i = 0; i < RS_S_END; i++)
		if (dup_into(dir, &w->s[i], rs_user_s(src, i)))
			goto nomem;
	/* a published user's words were computed, empty ones too: a copy
	 * has them, so that they are computed again only when their fields
	 * change */
	if (src->packed && !w->s[RS_S_WORDS] &&
	    !(w->s[RS_S_WORDS] = rs_strdup(&dir->al, "")))
		goto nomem;
	/* a list failing half-way is freed by release, which skips the
	 * NULL entries and the lists not made */
	if (dup_list(dir, &w->lines, src, RS_S_END, src->nlines) ||
	    dup_list(dir, &w->products, src, RS_S_END + src->nlines,
		     src->nproducts))
		goto nomem;
	*out = &w->u;
	return ROSTER_OK;
nomem:
	rs_user_release(&dir->al, &w->u);
	return rs_nomem(dir);
}

/* Strings of a user, counted as rs_user_s() numbers them. */
static size_t strings_of(const rs_user *u)
{
	return RS_S_END + u->nlines + u->nproducts;
}

/* String i as a packed user holds it: empty search words are left out
 * (rs_user_words() reads them as ""), saving their byte and offset. */
static const char *held_string(const rs_user *src, size_t i)
{
	const char *s = rs_user_s(src, i);

	return i == RS_S_WORDS && s && !*s ? NULL : s;
}

int rs_user_pack(const rs_alloc *al, const rs_user *src, rs_user **out)
{
	size_t n = strings_of(src), bytes = 0, held = 0, size, i, k, at;
	/* a login typed in lower case is its own key: kept once */
	const char *email = RS_STR(src, ROSTER_FIELD_EMAIL);
	const char *key = RS_EMAIL_KEY(src);
	int shared = key && email && !strcmp(key, email), wide;
	uint32_t present = 0;
	uint64_t opt[RS_O_END];
	unsigned opts = 0;
	size_t head;
	size_t key_at = 0;
	rs_user *u;

	*out = NULL;
	for (i = 0; i < n; i++) {
		const char *s = held_string(src, i);
		if (i < RS_S_END && s) {
			/* a string where the numbering holds none: a bug */
			assert(rs_string_bit[i]);
			present |= UINT32_C(1) << (rs_string_bit[i] - 1);
		}
		if (s || i >= RS_S_END)
			held++;
		if (s && !(shared && i == RS_S_EMAIL_KEY))
			bytes += strlen(s) + 1;
	}
	/* the values it has, after the header */
	for (i = 0; i < RS_O_END; i++)
		if ((opt[i] = rs_user_opt(src, (int)i)))
			opts |= 1u << i;
	head = sizeof(rs_user) + 8 * rs_popcount32(opts);
	wide = head + held * sizeof(uint16_t) + bytes > NARROW_MAX;
	at = head + held * (wide ? sizeof(uint32_t) : sizeof(uint16_t));
	size = at + bytes;
	if (!(u = rs_malloc(al, size)))
		return ROSTER_ENOMEM;
	*u = *src;
	u->packed = wide ? 2 : 1;
	u->present = present;
	u->opt = (unsigned char)opts;
	for (i = 0, k = 0; i < RS_O_END; i++)
		if ((opts >> i) & 1)
			memcpy((char *)(u + 1) + 8 * k++, &opt[i], 8);
	/* the login key first, beside the header a lookup reads: the two
	 * share a line or the next one */
	if (key) {
		size_t len = strlen(key) + 1;
		memcpy((char *)u + at, key, len);
		key_at = at;
		at += len;
	}
	for (i = 0, k = 0; i < n; i++) {
		const char *s = held_string(src, i);
		size_t o = 0;

		if (i < RS_S_END && !s)
			continue; /* not held: no offset */
		if (i == RS_S_EMAIL_KEY ||
		    (shared && i == ROSTER_FIELD_EMAIL)) {
			o = key_at; /* written first */
		} else if (s) {
			size_t len = strlen(s) + 1;
			memcpy((char *)u + at, s, len);
			o = at;
			at += len;
		}
		if (wide)
			((uint32_t *)((char *)u + head))[k++] = (uint32_t)o;
		else
			((uint16_t *)((char *)u + head))[k++] = (uint16_t)o;
	}
	*out = u;
	return ROSTER_OK;
}

int rs_user_publishable(roster_directory *dir, rs_user **u)
{
	rs_user *p;

	if ((*u)->packed)
		return ROSTER_OK;
	if (rs_user_pack(&dir->al, *u, &p))
		return rs_nomem(dir);
	rs_user_release(&dir->al, *u);
	*u = p;
	return ROSTER_OK;
}

void rs_user_release(const rs_alloc *al, rs_user *u)
{
	size_t i;

	if (!u)
		return;
	if (!u->packed) {
		rs_user_work *w = RS_W(u);
		for (i = 0; i < RS_S_END; i++)
			rs_free(al, w->s[i]);
		for (i = 0; w->lines && i < u->nlines; i++)
			rs_free(al, w->lines[i]);
		rs_free(al, w->lines);
		for (i = 0; w->products && i < u->nproducts; i++)
			rs_free(al, w->products[i]);
		rs_free(al, w->products);
	}
	rs_free(al, u);
}
