/*
 * station.c: the stations of each site and who holds them (station.h).
 *
 * A site record keeps the stations purchased per pack; those in service
 * are counted from the site's users, so the two can never disagree with
 * the users. Every change that takes a station, orders or disconnects
 * writes the site record too (conditionally, like every record), so two
 * directories racing for a site's last station conflict instead of both
 * taking it.
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "roster/product.h"
#include "txn.h"
#include "validate.h"

size_t rs_stock_count(const rs_stock *st, size_t n, const char *item)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(st[i].item, item) == 0)
			return st[i].purchased;
	return 0;
}

size_t rs_site_stations(const rs_unit *site)
{
	size_t i, n = 0;

	for (i = 0; i < site->nstock; i++)
		n += site->stock[i].purchased;
	return n;
}

/* Users of the site with the pack, leaving out `except` (0: none). */
static size_t in_service(const roster_directory *dir, const rs_unit *site,
			 const char *pack, roster_id except)
{
	const rs_idvec *users = &site->members->users;
	size_t i, n = 0;

	for (i = 0; i < users->len; i++) {
		const rs_user *u = (const rs_user *)rs_get(dir, users->ids[i]);
		if (u && u->base.id != except && RS_STR(u, ROSTER_FIELD_PACK) &&
		    strcmp(RS_STR(u, ROSTER_FIELD_PACK), pack) == 0)
			n++;
	}
	return n;
}

size_t rs_station_free(const roster_directory *dir, roster_id site_id,
		       const char *pack, roster_id except)
{
	const rs_unit *site =
		(const rs_unit *)rs_get_kind(dir, site_id, ROSTER_KIND_SITE);
	size_t have, used;

	if (!site || !(have = rs_stock_count(site->stock, site->nstock, pack)))
		return 0;
	used = in_service(dir, site, pack, except);
	return used < have ? have - used : 0;
}

int rs_station_check(roster_directory *dir, const rs_user *u,
		     const rs_user *cur)
{
	const char *pack = RS_STR(u, ROSTER_FIELD_PACK);
	roster_id site_id = RS_REF(u, ROSTER_FIELD_SITE);

	if (!pack)
		return ROSTER_OK;
	/* the same station as before: nothing to take */
	if (cur && RS_STR(cur, ROSTER_FIELD_PACK) &&
	    strcmp(RS_STR(cur, ROSTER_FIELD_PACK), pack) == 0 &&
	    RS_REF(cur, ROSTER_FIELD_SITE) == site_id)
		return ROSTER_OK;
	if (!site_id)
		return rs_fail(dir, ROSTER_EPOLICY, "pack", "pack.site", pack);
	if (!rs_station_free(dir, site_id, pack, u->base.id))
		return rs_fail(dir, ROSTER_EPOLICY, "pack", "pack.none_available",
			       pack);
	/* the site is written with the change: racing takers conflict */
	return rs_unit_touch(dir, site_id);
}

/* ------------------------------------------------------------------ */
/* Orders                                                              */

/* The site, checked for `who` managing the account's services. */
static const rs_unit *site_for(roster_directory *dir, const rs_who *who,
			       roster_id site_id, int scope, int *rc)
{
	const rs_unit *site =
		(const rs_unit *)rs_get_kind(dir, site_id, ROSTER_KIND_SITE);

	if (!site) {
		*rc = rs_fail_id(dir, ROSTER_ENOTFOUND, "site", "record.notfound",
				 site_id);
		return NULL;
	}
	*rc = scope ? rs_authz_account(dir, who, site->base.parent, scope)
		    : ROSTER_OK;
	return *rc ? NULL : site;
}

/* A pack of the catalog; with `held`, also one the site still holds
 * stations of that the catalog has dropped since (they may be
 * disconnected and counted, else the site could never be deleted). */
static int check_pack(roster_directory *dir, const char *pack,
		      const rs_unit *held)
{
	const roster_catalog *cat;

	if (!pack)
		return rs_fail(dir, ROSTER_EINVAL, "pack", "arg.null", NULL);
	if (rs_valid_item_id(pack))
		return rs_fail(dir, ROSTER_EINVALID, "pack", "item.syntax", pack);
	if (held && rs_stock_count(held->stock, held->nstock, pack))
		return ROSTER_OK;
	if (!(cat = rs_catalog(dir)))
		return dir->err.code;
	if (!roster_catalog_has(cat, ROSTER_ITEM_PACK, pack))
		return rs_fail(dir, ROSTER_EINVALID, "pack", "pack.unknown", pack);
	return ROSTER_OK;
}

static int restock(roster_directory *dir, const rs_unit *cur, int bought,
		   const char *item, long long delta);

int rs_restock(roster_directory *dir, const rs_unit *cur, int bought,
	       const char *item, unsigned count, int remove, size_t in_use,
	       const char *busy_rule)
{
	size_t have = bought ? rs_stock_count(cur->bought, cur->nbought, item)
			     : rs_stock_count(cur->stock, cur->nstock, item);
	size_t max = bought ? ROSTER_PRODUCTS_MAX : ROSTER_STATIONS_MAX;
	char v[64];

	if (!count || (!remove && (have > max || count > max - have))) {
		snprintf(v, sizeof(v), "%u", count);
		return rs_fail_limit(dir, ROSTER_EINVAL, "count", "arg.range",
				     v, (long long)max);
	}
	if (remove && count > have - in_use) {
		snprintf(v, sizeof(v), "%u > %zu", count, have - in_use);
		return rs_fail(dir, ROSTER_EPOLICY, "count", busy_rule, v);
	}
	return restock(dir, cur, bought, item,
		       remove ? -(long long)count : (long long)count);
}

/* Publish the new version with `delta` purchased of `item`. */
static int restock(roster_directory *dir, const rs_unit *cur, int bought,
		   const char *item, long long delta)
{
	rs_unit *n = rs_unit_copy(dir, cur);
	rs_stock **arr, *st = NULL, *grown;
	size_t *count, i;

	if (!n)
		return rs_nomem(dir);
	arr = bought ? &n->bought : &n->stock;
	count = bought ? &n->nbought : &n->nstock;
	for (i = 0; i < *count; i++)
		if (strcmp((*arr)[i].item, item) == 0)
			st = &(*arr)[i];
	if (!st) {
		grown = rs_reallocarray(&dir->al, *arr, *count + 1, sizeof(*grown));
		if (!grown)
			goto nomem;
		*arr = grown;
		/* keep the items ascending, as they are stored */
		for (i = *count; i > 0 && strcmp(grown[i - 1].item, item) > 0; i--)
			grown[i] = grown[i - 1];
		grown[i].purchased = 0;
		if (!(grown[i].item = rs_strdup(&dir->al, item))) {
			memmove(&grown[i], &grown[i + 1],
				(*count - i) * sizeof(*grown));
			goto nomem;
		}
		(*count)++;
		st = &grown[i];
	}
	st->purchased = (uint32_t)((long long)st->purchased + delta);
	if (!st->purchased) {
		/* none left of that item: no entry */
		rs_free(&dir->al, st->item);
		memmove(st, st + 1, (size_t)(*arr + *count - (st + 1)) * sizeof(*st));
		(*count)--;
	}
	if (rs_put(dir, cur->base.id, &n->base))
		goto nomem;
	if (rs_event(dir, ROSTER_EVENT_ACCOUNT_UPDATED,
		     bought ? cur->base.id : cur->base.parent, 0, NULL, NULL,
		     NULL, 0))
		return rs_nomem(dir);
	return ROSTER_OK;
nomem:
	rs_rec_free(dir, &n->base, 0);
	return rs_nomem(dir);
}

static int order(roster_directory *dir, const roster_actor *actor,
		 roster_id site_id, const char *pack, unsigned int count,
		 int disconnect)
{
	const rs_unit *site;
	rs_who who;
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!(site = site_for(dir, &who, site_id, RS_MANAGE_SERVICES, &rc)))
		return rc;
	if ((rc = check_pack(dir, pack, disconnect ? site : NULL)))
		return rc;
	return rs_restock(dir, site, 0, pack, count, disconnect,
			  in_service(dir, site, pack, 0), "station.in_service");
}

int roster_station_order(roster_directory *dir, const roster_actor *actor,
			 roster_id site, const char *pack, unsigned int count)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, order(dir, actor, site, pack, count, 0));
}

int roster_station_disconnect(roster_directory *dir, const roster_actor *actor,
			      roster_id site, const char *pack,
			      unsigned int count)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, order(dir, actor, site, pack, count, 1));
}

int roster_station_counts(roster_directory *dir, const roster_actor *actor,
			  roster_id site_id, const char *pack,
			  size_t *purchased, size_t *in_use)
{
	const rs_unit *site;
	rs_who who;
	int rc;

	if (purchased)
		*purchased = 0;
	if (in_use)
		*in_use = 0;
	if ((rc = rs_enter(dir)))
		return rc;
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!(site = site_for(dir, &who, site_id, 0, &rc)))
		return rc;
	/* the account's own users may look too */
	if (!(who.kind == ROSTER_ACTOR_USER && who.account == site->base.parent) &&
	    (rc = rs_authz_account(dir, &who, site->base.parent,
				   RS_MANAGE_USERS)))
		return rc;
	if ((rc = check_pack(dir, pack, site)))
		return rc;
	if (purchased)
		*purchased = rs_stock_count(site->stock, site->nstock, pack);
	if (in_use)
		*in_use = in_service(dir, site, pack, 0);
	return ROSTER_OK;
}
