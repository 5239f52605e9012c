/* query.c: reading a loaded catalog. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

int rs_set_has(rs_set s, uint32_t x)
{
	uint32_t lo = 0, hi = s.n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s.v[mid] == x)
			return 1;
		if (s.v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int rs_set_within(rs_set a, rs_set b)
{
	uint32_t i = 0, j = 0;

	while (i < a.n) {
		while (j < b.n && b.v[j] < a.v[i])
			j++;
		if (j == b.n || b.v[j] != a.v[i])
			return 0;
		i++;
	}
	return 1;
}

static const rs_item *item_at(const roster_catalog *cat, int kind,
			      uint32_t i)
{
	return &cat->kind[kind].items[i];
}

int rs_offers(const roster_catalog *cat, uint32_t edition, uint32_t licence)
{
	const rs_item *l = item_at(cat, ROSTER_ITEM_LICENCE, licence);

	return l->tier == RS_NONE ||
	       rs_set_has(item_at(cat, ROSTER_ITEM_EDITION, edition)->set[0],
			  l->tier);
}

int rs_can_meet(const roster_catalog *cat, uint32_t edition,
		uint32_t licence)
{
	return rs_set_within(item_at(cat, ROSTER_ITEM_LICENCE, licence)->set[0],
			     item_at(cat, ROSTER_ITEM_EDITION, edition)->set[1]);
}

int rs_change_ok(const roster_catalog *cat, uint32_t from, uint32_t to)
{
	uint32_t lo = 0, hi = cat->nchanges;

	if (cat->change_bits) {
		size_t bit = (size_t)from * cat->kind[ROSTER_ITEM_LICENCE].n + to;

		return (int)(cat->change_bits[bit / 64] >> (bit % 64) & 1);
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const rs_change *c = &cat->changes_sorted[mid];

		if (c->from == from && c->to == to)
			return 1;
		if (c->from < from || (c->from == from && c->to < to))
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

uint32_t rs_catalog_lookup(const roster_catalog *cat, int kind,
			   const char *id)
{
	uint32_t x = rs_catalog_find(cat, kind, id);

	if (x == RS_NONE)
		rs_error_tl(ROSTER_ENOTFOUND, rs_kind_name(kind),
			    "catalog.unknown", id);
	return x;
}

/* ------------------------------------------------------------------ */
/* Items                                                               */

static int kind_ok(int kind)
{
	return kind >= 1 && kind <= RS_KIND_LAST;
}

size_t roster_catalog_count(const roster_catalog *cat, int kind)
{
	if (!cat || !kind_ok(kind))
		return 0;
	return cat->kind[kind].n;
}

const char *roster_catalog_item(const roster_catalog *cat, int kind,
				size_t i)
{
	if (!cat || !kind_ok(kind) || i >= cat->kind[kind].n)
		return NULL;
	return cat->kind[kind].items[i].id;
}

int roster_catalog_has(const roster_catalog *cat, int kind, const char *id)
{
	if (!cat || !id) {
		/* a yes/no answer records why it said no (catalog.h) */
		rs_error_tl(ROSTER_EINVAL, cat ? "id" : "cat", "arg.null", NULL);
		return 0;
	}
	return rs_catalog_find(cat, kind, id) != RS_NONE;
}

/* The name of `it` in `lang` for the edition (RS_NONE: none), NULL when
 * that set has none. */
static const char *name_in(const rs_item *it, uint32_t edition, int lang)
{
	uint32_t i;

	for (i = 0; i < it->nnames; i++)
		if (it->names[i].edition == edition)
			return it->names[i].text[lang];
	return NULL;
}

const char *roster_catalog_name(const roster_catalog *cat, int kind,
				const char *id, roster_language lang,
				const char *edition)
{
	uint32_t x, e = RS_NONE;
	const rs_item *it;
	const char *s = NULL;

	if (!cat || !id || (int)lang < 0 || lang >= ROSTER_LANG_COUNT)
		return NULL;
	x = rs_catalog_find(cat, kind, id);
	if (x == RS_NONE)
		return NULL;
	if (edition) {
		e = rs_catalog_find(cat, ROSTER_ITEM_EDITION, edition);
		if (e == RS_NONE)
			return NULL;
	}
	it = item_at(cat, kind, x);
	if (e != RS_NONE)
		s = name_in(it, e, lang);
	if (!s)
		s = name_in(it, RS_NONE, lang);
	if (!s && e != RS_NONE)
		s = name_in(it, e, ROSTER_LANG_EN);
	if (!s)
		s = name_in(it, RS_NONE, ROSTER_LANG_EN);
	return s;
}

/* ------------------------------------------------------------------ */
/* Licences, editions, packs                                           */

const char *roster_catalog_licence_family(const roster_catalog *cat,
					  const char *licence)
{
	uint32_t x = cat ? rs_catalog_find(cat, ROSTER_ITEM_LICENCE, licence)
			 : RS_NONE;

	if (x == RS_NONE)
		return NULL;
	x = item_at(cat, ROSTER_ITEM_LICENCE, x)->family;
	return x == RS_NONE ? NULL : item_at(cat, ROSTER_ITEM_FAMILY, x)->id;
}

const char *roster_catalog_licence_tier(const roster_catalog *cat,
					const char *licence)
{
	uint32_t x = cat ? rs_catalog_find(cat, ROSTER_ITEM_LICENCE, licence)
			 : RS_NONE;

	if (x == RS_NONE)
		return NULL;
	x = item_at(cat, ROSTER_ITEM_LICENCE, x)->tier;
	return x == RS_NONE ? NULL : item_at(cat, ROSTER_ITEM_TIER, x)->id;
}

/*
 * The two items of a pairwise question: ROSTER_OK with both found, or
 * the recorded error (EINVAL for NULL, ENOTFOUND naming the first
 * unknown one).
 */
static int pair(const roster_catalog *cat, int k1, const char *f1,
		const char *id1, uint32_t *x1, int k2, const char *f2,
		const char *id2, uint32_t *x2)
{
	*x1 = *x2 = RS_NONE;
	if (!cat)
		return rs_error_tl(ROSTER_EINVAL, "cat", "arg.null", NULL);
	if (!id1)
		return rs_error_tl(ROSTER_EINVAL, f1, "arg.null", NULL);
	if (!id2)
		return rs_error_tl(ROSTER_EINVAL, f2, "arg.null", NULL);
	if ((*x1 = rs_catalog_lookup(cat, k1, id1)) == RS_NONE ||
	    (*x2 = rs_catalog_lookup(cat, k2, id2)) == RS_NONE)
		return ROSTER_ENOTFOUND;
	return ROSTER_OK;
}

int roster_catalog_licence_needs(const roster_catalog *cat,
				 const char *licence, const char *service)
{
	uint32_t l, s;
	int rc = pair(cat, ROSTER_ITEM_LICENCE, "licence", licence, &l,
		      ROSTER_ITEM_SERVICE, "service", service, &s);

	if (rc)
		return rc;
	return rs_set_has(item_at(cat, ROSTER_ITEM_LICENCE, l)->set[0], s);
}

int roster_catalog_change_allowed(const roster_catalog *cat,
				  const char *from, const char *to)
{
	uint32_t f, t;
	int rc = pair(cat, ROSTER_ITEM_LICENCE, "from", from, &f,
		      ROSTER_ITEM_LICENCE, "to", to, &t);

	if (rc)
		return rc;
	return rs_change_ok(cat, f, t);
}

int roster_catalog_edition_offers(const roster_catalog *cat,
				  const char *edition, const char *licence)
{
	uint32_t e, l;
	int rc = pair(cat, ROSTER_ITEM_EDITION, "edition", edition, &e,
		      ROSTER_ITEM_LICENCE, "licence", licence, &l);

	if (rc)
		return rc;
	return rs_offers(cat, e, l);
}

int roster_catalog_edition_orders(const roster_catalog *cat,
				  const char *edition, const char *service)
{
	uint32_t e, s;
	int rc = pair(cat, ROSTER_ITEM_EDITION, "edition", edition, &e,
		      ROSTER_ITEM_SERVICE, "service", service, &s);

	if (rc)
		return rc;
	return rs_set_has(item_at(cat, ROSTER_ITEM_EDITION, e)->set[1], s);
}

int roster_catalog_pack_includes(const roster_catalog *cat, const char *pack,
				 const char *client)
{
	uint32_t p, c;
	int rc = pair(cat, ROSTER_ITEM_PACK, "pack", pack, &p,
		      ROSTER_ITEM_CLIENT, "client", client, &c);

	if (rc)
		return rc;
	return rs_set_has(item_at(cat, ROSTER_ITEM_PACK, p)->set[0], c);
}

int roster_catalog_password_policy(const roster_catalog *cat,
				   roster_password_policy *out)
{
	char v[24];
	unsigned int version;

	if (!cat || !out)
		return rs_error_tl(ROSTER_EINVAL, cat ? "out" : "cat",
				   "arg.null", NULL);
	version = out->version;
	if (version < 1 || version > ROSTER_PASSWORD_POLICY_VERSION) {
		snprintf(v, sizeof(v), "%u", version);
		return rs_error_tl(ROSTER_EVERSION, "version", "arg.version",
				   v);
	}
	/* version 1 is the whole struct */
	*out = cat->policy;
	out->version = version;
	return ROSTER_OK;
}
