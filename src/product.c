/*
 * product.c: countable product licences of accounts and their users
 * (product.h).
 *
 * An account record keeps the licences purchased per product; a user
 * record the products assigned to it. Assigned is counted from the
 * account's users. Every change writes the account record, so that two
 * directories racing for the last licence conflict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "txn.h"
#include "users.h"
#include "validate.h"

int rs_user_has_product(const rs_user *u, const char *product)
{
	size_t i;

	for (i = 0; i < u->nproducts; i++)
		if (strcmp(RS_PRODUCT(u, i), product) == 0)
			return 1;
	return 0;
}

static size_t purchased_of(const rs_unit *acc, const char *product)
{
	return rs_stock_count(acc->bought, acc->nbought, product);
}

static size_t assigned_of(const roster_directory *dir, const rs_unit *acc,
			  const char *product)
{
	const rs_idvec *users = &acc->members->users;
	size_t i, n = 0;

	for (i = 0; i < users->len; i++)
		n += rs_user_has_product(
			(const rs_user *)rs_get(dir, users->ids[i]), product);
	return n;
}

size_t rs_product_available(const roster_directory *dir, const rs_unit *acc,
			    const char *product)
{
	size_t have = purchased_of(acc, product);
	size_t used = assigned_of(dir, acc, product);

	return used < have ? have - used : 0;
}

/* A product identifier at all: 0, or EINVAL (NULL) or EINVALID
 * (item.syntax) recorded. */
static int product_id(roster_directory *dir, const char *product)
{
	if (!product)
		return rs_fail(dir, ROSTER_EINVAL, "product", "arg.null", NULL);
	if (rs_valid_item_id(product))
		return rs_fail(dir, ROSTER_EINVALID, "product", "item.syntax",
			       product);
	return ROSTER_OK;
}

int rs_product_check(roster_directory *dir, const char *product)
{
	const roster_catalog *cat;
	int rc;

	if ((rc = product_id(dir, product)))
		return rc;
	if (!(cat = rs_catalog(dir)))
		return dir->err.code;
	if (!roster_catalog_has(cat, ROSTER_ITEM_PRODUCT, product))
		return rs_fail(dir, ROSTER_EINVALID, "product",
			       "product.unknown", product);
	return ROSTER_OK;
}

/* A product the account may release, unassign or count: one of the
 * catalog, or one it still holds that the catalog has dropped since
 * (else it could never be given back, nor the account deleted). */
static int check_held(roster_directory *dir, const char *product,
		      const rs_unit *acc)
{
	if (product && acc && !rs_valid_item_id(product) &&
	    purchased_of(acc, product))
		return ROSTER_OK;
	return rs_product_check(dir, product);
}

/* ------------------------------------------------------------------ */
/* Purchases                                                           */

static int purchase(roster_directory *dir, const roster_actor *actor,
		    roster_id account, const char *product, unsigned count,
		    int release)
{
	const rs_unit *acc;
	rs_who who;
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!(acc = (const rs_unit *)rs_get_kind(dir, account,
						 ROSTER_KIND_ACCOUNT)))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	if ((rc = rs_authz_account(dir, &who, account, RS_MANAGE_SERVICES)) ||
	    (rc = release ? check_held(dir, product, acc)
			  : rs_product_check(dir, product)))
		return rc;
	return rs_restock(dir, acc, 1, product, count, release,
			  assigned_of(dir, acc, product), "product.in_use");
}

int roster_product_purchase(roster_directory *dir, const roster_actor *actor,
			    roster_id account, const char *product,
			    unsigned int count)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op,
			 purchase(dir, actor, account, product, count, 0));
}

int roster_product_release(roster_directory *dir, const roster_actor *actor,
			   roster_id account, const char *product,
			   unsigned int count)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op,
			 purchase(dir, actor, account, product, count, 1));
}

/* ------------------------------------------------------------------ */
/* Assignment                                                          */

static int cmp_id(const void *a, const void *b)
{
	roster_id x = *(const roster_id *)a, y = *(const roster_id *)b;

	return x < y ? -1 : x > y;
}

/* A new version of `cur` with `product` added or taken away. */
static int retag(roster_directory *dir, const rs_user *cur,
		 const char *product, int add)
{
	rs_user *u;
	char **l;
	size_t i;
	int rc;

	if ((rc = rs_user_copy(dir, cur, &u)))
		return rc;
	if (add) {
		char *s = rs_strdup(&dir->al, product);
		l = s ? rs_reallocarray(&dir->al, RS_W(u)->products,
					u->nproducts + 1, sizeof(char *))
		      : NULL;
		if (!l) {
			rs_free(&dir->al, s);
			rs_rec_free(dir, &u->base, 0);
			return rs_nomem(dir);
		}
		RS_W(u)->products = l;
		for (i = u->nproducts; i > 0 && strcmp(l[i - 1], product) > 0; i--)
			l[i] = l[i - 1];
		l[i] = s;
		u->nproducts++;
	} else {
		l = RS_W(u)->products;
		for (i = 0; strcmp(l[i], product) != 0; i++)
			;
		rs_free(&dir->al, l[i]);
		memmove(&l[i], &l[i + 1], (u->nproducts - i - 1) * sizeof(char *));
		u->nproducts--;
	}
	if ((rc = rs_user_replace(dir, u)))
		return rc;
	/* told as every user.updated is, with the user's e-mail and admin
	 * flag (a licence changes neither): a host that keys its copy of
	 * the user on them finds it here too */
	return rs_event(dir, ROSTER_EVENT_USER_UPDATED, cur->base.parent,
			cur->base.id, RS_STR(cur, ROSTER_FIELD_EMAIL), NULL,
			NULL, RS_FLAG(cur, ROSTER_FIELD_ADMIN))
		       ? rs_nomem(dir)
		       : ROSTER_OK;
}

static int assign(roster_directory *dir, const roster_actor *actor,
		  const char *product, const roster_id *users, size_t count,
		  int add, size_t *changed)
{
	const rs_unit *acc = NULL;
	roster_id *ids, reached = 0;
	size_t i, n = 0, need = 0, avail;
	rs_who who;
	char v[64];
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	/* one the catalog dropped may still be taken off its holders: that
	 * is checked once their account is known */
	if ((rc = add || !count ? rs_product_check(dir, product)
				: product_id(dir, product)))
		return rc;
	if (!count)
		return ROSTER_OK;
	if (!users)
		return rs_fail(dir, ROSTER_EINVAL, "users", "arg.null", NULL);
	/* the selection, each user once */
	if (!(ids = rs_calloc(&dir->al, count, sizeof(*ids))))
		return rs_nomem(dir);
	memcpy(ids, users, count * sizeof(*ids));
	qsort(ids, count, sizeof(*ids), cmp_id);
	for (i = 0; i < count; i++)
		if (!n || ids[n - 1] != ids[i])
			ids[n++] = ids[i];
	/* the actor's reach over every user first: an outsider learns
	 * nothing of where another account's users are */
	for (i = 0; i < n && !rc; i++) {
		const rs_user *u = (const rs_user *)rs_get_kind(dir, ids[i],
								ROSTER_KIND_USER);
		if (!u)
			rc = rs_fail_id(dir, ROSTER_ENOTFOUND, "users",
					"record.notfound", ids[i]);
		else if (u->base.parent != reached &&
			 !(rc = rs_authz_account(dir, &who, u->base.parent,
						 RS_MANAGE_USERS)))
			reached = u->base.parent;
	}
	for (i = 0; i < n && !rc; i++) {
		const rs_user *u = (const rs_user *)rs_get(dir, ids[i]);
		if (acc && u->base.parent != acc->base.id)
			rc = rs_fail_id(dir, ROSTER_EINVALID, "users",
					"product.account", ids[i]);
		else {
			acc = (const rs_unit *)rs_get(dir, u->base.parent);
			need += rs_user_has_product(u, product) != add;
		}
	}
	if (!rc && !add)
		rc = check_held(dir, product, acc);
	if (!rc && add && need > (avail = rs_product_available(dir, acc, product))) {
		snprintf(v, sizeof(v), "%zu > %zu", need, avail);
		rc = rs_fail(dir, ROSTER_EPOLICY, "users",
			     "product.none_available", v);
	}
	for (i = 0; i < n && !rc; i++) {
		const rs_user *u = (const rs_user *)rs_get(dir, ids[i]);
		if (rs_user_has_product(u, product) != add)
			rc = retag(dir, u, product, add);
	}
	/* the account is written too: racing assigners conflict */
	if (!rc && need)
		rc = rs_unit_touch(dir, acc->base.id);
	rs_free(&dir->al, ids);
	*changed = need;
	return rc;
}

/* One call of assign or unassign, as its own change or in the open
 * transaction; *changed stays 0 unless it succeeds. */
static int assign_call(roster_directory *dir, const roster_actor *actor,
		       const char *product, const roster_id *users,
		       size_t count, int add, size_t *changed)
{
	size_t n = 0;
	rs_op op;
	int rc;

	if (changed)
		*changed = 0;
	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	rc = rs_op_end(dir, &op,
		       assign(dir, actor, product, users, count, add, &n));
	if (!rc && changed)
		*changed = n;
	return rc;
}

int roster_product_assign(roster_directory *dir, const roster_actor *actor,
			  const char *product, const roster_id *users,
			  size_t count, size_t *assigned)
{
	return assign_call(dir, actor, product, users, count, 1, assigned);
}

int roster_product_unassign(roster_directory *dir, const roster_actor *actor,
			    const char *product, const roster_id *users,
			    size_t count, size_t *unassigned)
{
	return assign_call(dir, actor, product, users, count, 0, unassigned);
}

int roster_product_counts(roster_directory *dir, const roster_actor *actor,
			  roster_id account, const char *product,
			  size_t *purchased, size_t *assigned)
{
	const rs_unit *acc;
	rs_who who;
	int rc;

	if (purchased)
		*purchased = 0;
	if (assigned)
		*assigned = 0;
	if ((rc = rs_enter(dir)) || (rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!(acc = (const rs_unit *)rs_get_kind(dir, account,
						 ROSTER_KIND_ACCOUNT)))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	/* the account's own users may look too */
	if (!(who.kind == ROSTER_ACTOR_USER && who.account == account) &&
	    (rc = rs_authz_account(dir, &who, account, RS_MANAGE_USERS)))
		return rc;
	if ((rc = check_held(dir, product, acc)))
		return rc;
	if (purchased)
		*purchased = purchased_of(acc, product);
	if (assigned)
		*assigned = assigned_of(dir, acc, product);
	return ROSTER_OK;
}
