/*
 * user_record.c: one version of a user in memory: the working copy a
 * change is built in, the packed block a published version lives in, and
 * freeing either.
 *
 * A working copy has one allocation per string, so that a change can
 * replace any of them. Once built, a version is packed: the record, its
 * arrays of lines and products and every string in one block, the
 * pointers aiming inside it. A million users then cost a million blocks
 * instead of ten million, with no allocator header or rounding per string,
 * and reading a user touches one contiguous stretch of memory. Published
 * versions are never changed (model.h), so nothing ever writes through
 * those pointers.
 */
#include <string.h>

#include "users.h"

static int dup_into(roster_directory *dir, char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = rs_strdup(&dir->al, src);
	return *dst ? 0 : -1;
}

static int dup_list(roster_directory *dir, char ***dst, char *const *src,
		    size_t n)
{
	size_t i;

	*dst = NULL;
	if (!n)
		return 0;
	if (!(*dst = rs_calloc(&dir->al, n, sizeof(char *))))
		return -1;
	for (i = 0; i < n; i++)
		if (dup_into(dir, &(*dst)[i], src[i]))
			return -1;
	return 0;
}

int rs_user_copy(roster_directory *dir, const rs_user *src, rs_user **out)
{
	rs_user *u = rs_calloc(&dir->al, 1, sizeof(*u));
	size_t i;

	*out = NULL;
	if (!u)
		return rs_nomem(dir);
	u->base = src->base;
	memcpy(u->flag, src->flag, sizeof(u->flag));
	memcpy(u->ref, src->ref, sizeof(u->ref));
	u->reset.expires = src->reset.expires;
	u->welcome.expires = src->welcome.expires;
	for (i = 0; i < ROSTER_FIELD_END; i++)
		if (dup_into(dir, &u->str[i], src->str[i]))
			goto nomem;
	if (dup_into(dir, &u->email_key, src->email_key) ||
	    dup_into(dir, &u->words, src->words) ||
	    dup_into(dir, &u->sortkey, src->sortkey) ||
	    dup_into(dir, &u->password_hash, src->password_hash) ||
	    dup_into(dir, &u->reset.hash, src->reset.hash) ||
	    dup_into(dir, &u->welcome.hash, src->welcome.hash))
		goto nomem;
	/* the counts are set even when a list fails half-way: release
	 * frees the entries made, and skips the NULL ones */
	u->nlines = src->nlines;
	if (dup_list(dir, &u->lines, src->lines, src->nlines))
		goto nomem;
	u->nproducts = src->nproducts;
	if (dup_list(dir, &u->products, src->products, src->nproducts))
		goto nomem;
	*out = u;
	return ROSTER_OK;
nomem:
	if (!u->lines)
		u->nlines = 0;
	if (!u->products)
		u->nproducts = 0;
	rs_rec_free(dir, &u->base, 0);
	return rs_nomem(dir);
}

/* Each string pointer of a user, visited in one fixed order. */
#define EACH_STRING(u, S)                                                      \
	do {                                                                   \
		size_t i_;                                                     \
		for (i_ = 0; i_ < ROSTER_FIELD_END; i_++)                      \
			S((u)->str[i_]);                                       \
		for (i_ = 0; i_ < (u)->nlines; i_++)                           \
			S((u)->lines[i_]);                                     \
		for (i_ = 0; i_ < (u)->nproducts; i_++)                        \
			S((u)->products[i_]);                                  \
		S((u)->email_key);                                             \
		S((u)->words);                                                 \
		S((u)->sortkey);                                               \
		S((u)->password_hash);                                         \
		S((u)->reset.hash);                                            \
		S((u)->welcome.hash);                                          \
	} while (0)

int rs_user_pack(const rs_alloc *al, const rs_user *src, rs_user **out)
{
	/* pointer arrays right after the record keep their alignment; the
	 * strings follow */
	size_t arrays = (src->nlines + src->nproducts) * sizeof(char *);
	size_t size = sizeof(rs_user) + arrays;
	/* a login typed in lower case is its own key: kept once */
	int shared = src->email_key && src->str[ROSTER_FIELD_EMAIL] &&
		     !strcmp(src->email_key, src->str[ROSTER_FIELD_EMAIL]);
	rs_user *u;
	char *at;

	*out = NULL;
#define ADD(s) (size += (s) ? strlen(s) + 1 : 0)
	EACH_STRING(src, ADD);
#undef ADD
	if (shared)
		size -= strlen(src->email_key) + 1;
	if (!(u = rs_malloc(al, size)))
		return ROSTER_ENOMEM;
	*u = *src;
	u->packed = 1;
	u->lines = src->nlines ? (char **)(u + 1) : NULL;
	u->products = src->nproducts ? (char **)(u + 1) + src->nlines : NULL;
	if (src->nlines)
		memcpy(u->lines, src->lines, src->nlines * sizeof(char *));
	if (src->nproducts)
		memcpy(u->products, src->products,
		       src->nproducts * sizeof(char *));
	at = (char *)(u + 1) + arrays;
	if (shared)
		u->email_key = NULL;
	/* every pointer of the copy still aims at the source's strings:
	 * move each into the block */
#define MOVE(s)                                                                \
	do {                                                                   \
		if (s) {                                                       \
			size_t n_ = strlen(s) + 1;                             \
			memcpy(at, (s), n_);                                   \
			(s) = at;                                              \
			at += n_;                                              \
		}                                                              \
	} while (0)
	EACH_STRING(u, MOVE);
#undef MOVE
	if (shared)
		u->email_key = u->str[ROSTER_FIELD_EMAIL];
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
		for (i = 0; i < ROSTER_FIELD_END; i++)
			rs_free(al, u->str[i]);
		for (i = 0; i < u->nlines; i++)
			rs_free(al, u->lines[i]);
		rs_free(al, u->lines);
		for (i = 0; i < u->nproducts; i++)
			rs_free(al, u->products[i]);
		rs_free(al, u->products);
		rs_free(al, u->email_key);
		rs_free(al, u->words);
		rs_free(al, u->sortkey);
		rs_free(al, u->password_hash);
		rs_free(al, u->reset.hash);
		rs_free(al, u->welcome.hash);
	}
	rs_free(al, u);
}
