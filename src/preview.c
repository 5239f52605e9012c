/*
 * preview.c: what the open transaction would do (preview.h).
 *
 * Read from the undo log, the same way a commit reads it: the net change
 * of each record (as it was before the transaction, as it is now), and
 * the queued events and PBX reloads. Nothing is changed.
 */
#include <stdio.h>
#include <string.h>

#include "txn.h"

typedef struct delta {
	int kind;
	roster_id rec;
	char *item;
	long long purchased, in_use;
} delta;

typedef struct bill {
	roster_id user;
	unsigned what;
} bill;

struct roster_preview {
	rs_alloc al;
	struct roster_event *events;
	size_t nevents;
	delta *d;
	size_t nd, capd;
	bill *b;
	size_t nb, capb;
	int failed; /* an allocation failed on the way */
};

static void *grow(roster_preview *p, void *arr, size_t *cap, size_t n,
		  size_t size)
{
	void *g = rs_array_room(&p->al, arr, n, cap, size, 8);

	if (!g)
		p->failed = 1;
	return g;
}

/* Add to the delta of (kind, rec, item), making it when new. */
static void add_delta(roster_preview *p, int kind, roster_id rec,
		      const char *item, long long purchased, long long in_use)
{
	delta *d;
	size_t i;

	if (p->failed)
		return;
	for (i = 0; i < p->nd; i++) {
		d = &p->d[i];
		if (d->kind == kind && d->rec == rec && strcmp(d->item, item) == 0) {
			d->purchased += purchased;
			d->in_use += in_use;
			return;
		}
	}
	if (!(d = grow(p, p->d, &p->capd, p->nd, sizeof(*d))))
		return;
	p->d = d;
	d = &p->d[p->nd];
	if (!(d->item = rs_strdup(&p->al, item))) {
		p->failed = 1;
		return;
	}
	d->kind = kind;
	d->rec = rec;
	d->purchased = purchased;
	d->in_use = in_use;
	p->nd++;
}

static void stock_deltas(roster_preview *p, int kind, roster_id rec,
			 const rs_stock *st, size_t n, int sign)
{
	size_t i;

	for (i = 0; i < n; i++)
		add_delta(p, kind, rec, st[i].item,
			  sign * (long long)st[i].purchased, 0);
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_products(const rs_user *a, const rs_user *b)
{
	size_t i;

	if (a->nproducts != b->nproducts)
		return 0;
	for (i = 0; i < a->nproducts; i++)
		if (strcmp(RS_PRODUCT(a, i), RS_PRODUCT(b, i)) != 0)
			return 0;
	return 1;
}

/* One user as it was (a) and is (b), either NULL. */
static void user_change(roster_preview *p, const rs_user *a, const rs_user *b)
{
	const rs_user *side[2] = { a, b };
	int billed[2], s;
	unsigned what = 0;
	size_t i;

	for (s = 0; s < 2; s++) {
		const rs_user *u = side[s];
		long long sign = s ? 1 : -1;
		billed[s] = u && !RS_FLAG(u, ROSTER_FIELD_DO_NOT_BILL);
		if (!u)
			continue;
		if (RS_STR(u, ROSTER_FIELD_PACK) && RS_REF(u, ROSTER_FIELD_SITE))
			add_delta(p, ROSTER_ITEM_PACK, RS_REF(u, ROSTER_FIELD_SITE),
				  RS_STR(u, ROSTER_FIELD_PACK), 0, sign);
		for (i = 0; i < u->nproducts; i++)
			add_delta(p, ROSTER_ITEM_PRODUCT, u->base.parent,
				  RS_PRODUCT(u, i), 0, sign);
	}
	if (billed[0] != billed[1])
		what = ROSTER_BILL_BILLABLE;
	else if (billed[0]) {
		if (!same_str(RS_STR(a, ROSTER_FIELD_LICENCE),
			      RS_STR(b, ROSTER_FIELD_LICENCE)))
			what |= ROSTER_BILL_LICENCE;
		if (!same_str(RS_STR(a, ROSTER_FIELD_PACK), RS_STR(b, ROSTER_FIELD_PACK)))
			what |= ROSTER_BILL_PACK;
		if (!same_products(a, b))
			what |= ROSTER_BILL_PRODUCTS;
		if (RS_FLAG(a, ROSTER_FIELD_API_COMMUNICATOR) !=
		    RS_FLAG(b, ROSTER_FIELD_API_COMMUNICATOR))
			what |= ROSTER_BILL_OPTIONS;
	}
	if (what && !p->failed) {
		bill *g = grow(p, p->b, &p->capb, p->nb, sizeof(*g));
		if (g) {
			p->b = g;
			p->b[p->nb].user = (a ? a : b)->base.id;
			p->b[p->nb].what = what;
			p->nb++;
		}
	}
}

static void copy_event(roster_preview *p, const struct roster_event *e)
{
	struct roster_event *c = &p->events[p->nevents];

	memset(c, 0, sizeof(*c));
	c->type = e->type;
	c->partner = e->partner;
	c->account = e->account;
	c->user = e->user;
	c->pbx = e->pbx;
	c->admin = e->admin;
	c->withheld = (e->secret ? ROSTER_WITHHELD_SECRET : 0) |
		      (e->password ? ROSTER_WITHHELD_PASSWORD : 0);
	if (e->email && !(c->email = rs_strdup(&p->al, e->email)))
		p->failed = 1;
	p->nevents++;
}

void roster_preview_free(roster_preview *p)
{
	rs_alloc al;
	size_t i;

	if (!p)
		return;
	al = p->al;
	for (i = 0; i < p->nevents; i++)
		rs_free(&al, p->events[i].email);
	for (i = 0; i < p->nd; i++)
		rs_free(&al, p->d[i].item);
	rs_free(&al, p->events);
	rs_free(&al, p->d);
	rs_free(&al, p->b);
	rs_free(&al, p);
}

int roster_transaction_preview(roster_preview **out, roster_directory *dir)
{
	const rs_txn *t;
	roster_preview *p;
	rs_table seen = { NULL, 0, 0 };
	struct { rs_rec *first, *last; } *net = NULL;
	size_t i, n = 0, k;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (!dir->txn_explicit)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "txn.none", NULL);
	t = dir->txn;
	if (!(p = rs_calloc(&dir->al, 1, sizeof(*p))))
		return rs_nomem(dir);
	p->al = dir->al;
	/* the events, then the reloads as the commit will raise them */
	if (t->nevents + t->nreloads &&
	    !(p->events = rs_calloc(&dir->al, t->nevents + t->nreloads,
				    sizeof(*p->events))))
		p->failed = 1;
	for (i = 0; i < t->nevents && !p->failed; i++)
		if (!rs_event_dead(dir, &t->events[i]))
			copy_event(p, &t->events[i]);
	for (i = 0; i < t->nreloads && !p->failed; i++) {
		struct roster_event e;
		const rs_rec *acc;
		if (!rs_get_kind(dir, t->reloads[i].pbx, ROSTER_KIND_PBX))
			continue;
		memset(&e, 0, sizeof(e));
		e.type = ROSTER_EVENT_PBX_RELOAD;
		e.account = t->reloads[i].account;
		acc = rs_get(dir, e.account);
		e.partner = acc ? acc->parent : 0;
		e.pbx = t->reloads[i].pbx;
		copy_event(p, &e);
	}
	/* the net change of each record */
	if (!p->failed && t->nlog &&
	    (!(net = rs_calloc(&dir->al, t->nlog, sizeof(*net))) ||
	     rs_table_reserve(&dir->al, &seen, t->nlog)))
		p->failed = 1;
	for (i = 0; i < t->nlog && !p->failed; i++) {
		const rs_undo *u = &t->log[i];
		uint64_t at;
		if (u->op != U_REC)
			continue;
		if ((at = rs_table_get(&seen, u->a))) {
			net[at - 1].last = u->new_rec;
			continue;
		}
		net[n].first = u->old_rec;
		net[n].last = u->new_rec;
		rs_table_insert(&seen, u->a, ++n);
	}
	for (k = 0; k < n && !p->failed; k++) {
		const rs_rec *a = net[k].first, *b = net[k].last;
		const rs_rec *any = a ? a : b;
		if (!any)
			continue;
		if (any->kind == ROSTER_KIND_USER) {
			user_change(p, (const rs_user *)a, (const rs_user *)b);
		} else if (any->kind == ROSTER_KIND_SITE ||
			   any->kind == ROSTER_KIND_ACCOUNT) {
			int site = any->kind == ROSTER_KIND_SITE;
			int kind = site ? ROSTER_ITEM_PACK : ROSTER_ITEM_PRODUCT;
			const rs_unit *ua = (const rs_unit *)a;
			const rs_unit *ub = (const rs_unit *)b;
			if (ua)
				stock_deltas(p, kind, any->id,
					     site ? ua->stock : ua->bought,
					     site ? ua->nstock : ua->nbought, -1);
			if (ub)
				stock_deltas(p, kind, any->id,
					     site ? ub->stock : ub->bought,
					     site ? ub->nstock : ub->nbought, 1);
		}
	}
	rs_table_free(&dir->al, &seen);
	rs_free(&dir->al, net);
	if (p->failed) {
		roster_preview_free(p);
		return rs_nomem(dir);
	}
	/* what cancels out is no change */
	for (i = k = 0; i < p->nd; i++) {
		if (p->d[i].purchased || p->d[i].in_use)
			p->d[k++] = p->d[i];
		else
			rs_free(&p->al, p->d[i].item);
	}
	p->nd = k;
	*out = p;
	return ROSTER_OK;
}

size_t roster_preview_event_count(const roster_preview *p)
{
	return p ? p->nevents : 0;
}

const roster_event *roster_preview_event(const roster_preview *p, size_t i)
{
	return p && i < p->nevents ? &p->events[i] : NULL;
}

size_t roster_preview_delta_count(const roster_preview *p)
{
	return p ? p->nd : 0;
}

int roster_preview_delta(const roster_preview *p, size_t i, int *kind,
			 roster_id *record, const char **item,
			 long long *purchased, long long *in_use)
{
	const delta *d;

	if (!p || i >= p->nd) {
		char v[24];

		snprintf(v, sizeof(v), "%zu", i);
		return rs_error_tl(ROSTER_EINVAL, p ? "i" : "preview",
				   p ? "arg.range" : "arg.null", p ? v : NULL);
	}
	d = &p->d[i];
	if (kind)
		*kind = d->kind;
	if (record)
		*record = d->rec;
	if (item)
		*item = d->item;
	if (purchased)
		*purchased = d->purchased;
	if (in_use)
		*in_use = d->in_use;
	return ROSTER_OK;
}

size_t roster_preview_billing_count(const roster_preview *p)
{
	return p ? p->nb : 0;
}

roster_id roster_preview_billing_user(const roster_preview *p, size_t i)
{
	return p && i < p->nb ? p->b[i].user : 0;
}

unsigned int roster_preview_billing_what(const roster_preview *p, size_t i)
{
	return p && i < p->nb ? p->b[i].what : 0;
}
