/*
 * billing.c: the billing summary of an account (billing.h).
 *
 * Counted from the users as they are: nothing is stored for billing, so
 * the summary cannot drift from the users it describes.
 */
#include <string.h>

#include "policy.h"
#include "txn.h"

typedef struct line {
	int kind;
	const char *item; /* borrowed from the catalog, or static */
	size_t quantity;
} line;

struct roster_billing {
	rs_alloc al;
	roster_catalog *cat; /* a reference: items point into it */
	size_t users, excluded;
	line *lines;
	size_t n;
};

static const int paid_options[] = { ROSTER_FIELD_API_COMMUNICATOR };
#define NOPTIONS (sizeof(paid_options) / sizeof(paid_options[0]))

/* Does the billable user `u` count on `l`? */
static int counts(const line *l, const rs_user *u)
{
	const char *v;

	switch (l->kind) {
	case ROSTER_ITEM_LICENCE:
		v = RS_STR(u, ROSTER_FIELD_LICENCE);
		return v && strcmp(v, l->item) == 0;
	case ROSTER_ITEM_PACK:
		v = RS_STR(u, ROSTER_FIELD_PACK);
		return v && strcmp(v, l->item) == 0;
	case ROSTER_ITEM_PRODUCT:
		return rs_user_has_product(u, l->item);
	default:
		return RS_FLAG(u, roster_field_from_name(l->item));
	}
}

int roster_billing_summary(roster_billing **out, roster_directory *dir,
			   const roster_actor *actor, roster_id account)
{
	static const int kinds[] = { ROSTER_ITEM_LICENCE, ROSTER_ITEM_PACK,
				     ROSTER_ITEM_PRODUCT };
	const roster_catalog *cat;
	const rs_unit *acc;
	const rs_idvec *users;
	roster_billing *b;
	size_t i, k, n = NOPTIONS;
	rs_who who;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!(acc = (const rs_unit *)rs_get_kind(dir, account,
						 ROSTER_KIND_ACCOUNT)))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	if ((rc = rs_authz_account(dir, &who, account, RS_MANAGE_USERS)))
		return rc;
	if (!(cat = rs_catalog(dir)))
		return dir->err.code;
	for (k = 0; k < 3; k++)
		n += roster_catalog_count(cat, kinds[k]);
	b = rs_calloc(&dir->al, 1, sizeof(*b));
	if (!b || !(b->lines = rs_calloc(&dir->al, n, sizeof(line)))) {
		rs_free(&dir->al, b);
		return rs_nomem(dir);
	}
	b->al = dir->al;
	b->cat = roster_catalog_ref((roster_catalog *)cat);
	for (k = 0; k < 3; k++)
		for (i = 0; i < roster_catalog_count(cat, kinds[k]); i++)
			b->lines[b->n++] = (line){
				kinds[k], roster_catalog_item(cat, kinds[k], i), 0
			};
	for (i = 0; i < NOPTIONS; i++)
		b->lines[b->n++] = (line){ ROSTER_BILLING_OPTION,
					   roster_field_name(paid_options[i]), 0 };
	users = &acc->members->users;
	for (i = 0; i < users->len; i++) {
		const rs_user *u = (const rs_user *)rs_get(dir, users->ids[i]);
		if (RS_FLAG(u, ROSTER_FIELD_DO_NOT_BILL)) {
			b->excluded++;
			continue;
		}
		b->users++;
		for (k = 0; k < b->n; k++)
			b->lines[k].quantity += (size_t)counts(&b->lines[k], u);
	}
	*out = b;
	return ROSTER_OK;
}

void roster_billing_free(roster_billing *b)
{
	rs_alloc al;

	if (!b)
		return;
	al = b->al;
	roster_catalog_free(b->cat);
	rs_free(&al, b->lines);
	rs_free(&al, b);
}

size_t roster_billing_users(const roster_billing *b)
{
	return b ? b->users : 0;
}

size_t roster_billing_excluded(const roster_billing *b)
{
	return b ? b->excluded : 0;
}

size_t roster_billing_count(const roster_billing *b)
{
	return b ? b->n : 0;
}

int roster_billing_kind(const roster_billing *b, size_t i)
{
	return b && i < b->n ? b->lines[i].kind : 0;
}

const char *roster_billing_item(const roster_billing *b, size_t i)
{
	return b && i < b->n ? b->lines[i].item : NULL;
}

size_t roster_billing_quantity(const roster_billing *b, size_t i)
{
	return b && i < b->n ? b->lines[i].quantity : 0;
}
