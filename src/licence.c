/*
 * licence.c: licences and packs on accounts and users, decided with the
 * directory's catalog, every refusal with its reasons (licence.h).
 *
 * One function, reasons(), says why a user as it would be may not hold a
 * licence; the check of a change reports its first reason and
 * roster_user_choices() all of them, so a portal's drop-down and the
 * refusal of a change never disagree.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"
#include "fields.h"
#include "form.h"
#include "policy.h"
#include "txn.h"
#include "users.h"
#include "validate.h"

/* ------------------------------------------------------------------ */
/* The directory's catalog                                             */

/* The default catalog, parsed once per process and shared. */
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static roster_catalog *default_catalog;

const roster_catalog *rs_catalog(roster_directory *dir)
{
	int rc = ROSTER_OK;

	if (dir->catalog)
		return dir->catalog;
	pthread_mutex_lock(&default_lock);
	if (!default_catalog)
		rc = roster_catalog_load_default(&default_catalog);
	if (rc == ROSTER_OK)
		dir->catalog = roster_catalog_ref(default_catalog);
	pthread_mutex_unlock(&default_lock);
	if (rc) {
		const roster_error *e = roster_error_last();
		rs_fail(dir, rc, roster_error_field(e), roster_error_rule(e),
			roster_error_value(e));
		return NULL;
	}
	return dir->catalog;
}

int rs_catalog_language(roster_directory *dir, const char *tag)
{
	roster_error before = dir->err;
	const roster_catalog *cat = rs_catalog(dir);
	char id[ROSTER_ITEM_ID_MAX + 1];
	size_t i;

	/* without a catalog (out of memory) the library's own list stands,
	 * and the call goes on as if nothing was asked */
	if (!cat) {
		dir->err = before;
		return 1;
	}
	for (i = 0; tag[i] && i < ROSTER_ITEM_ID_MAX; i++)
		id[i] = (char)(tag[i] >= 'A' && tag[i] <= 'Z' ? tag[i] + 32
							       : tag[i]);
	id[i] = '\0';
	return roster_catalog_has(cat, ROSTER_ITEM_LANGUAGE, id);
}

/* ------------------------------------------------------------------ */
/* Reasons                                                             */

typedef struct reason {
	const char *rule;
	const char *param; /* borrowed from the catalog or the user */
} reason;

/* Most reasons one licence can have (one per service, and the rest). */
#define REASONS_MAX 16

/*
 * The catalog's indices of what every licence of a decision is asked
 * against: the account's edition, the two services the library knows,
 * the licence the user comes from. Looked up once, at the first licence
 * the catalog knows; an unknown one (RS_NONE) is recorded as the calls
 * of roster/catalog.h record it.
 */
typedef struct against {
	int known;
	uint32_t edition, pbx, helpdesk, from;
} against;

static void look_up(const roster_catalog *cat, const rs_unit *acc,
		    const char *from, against *a)
{
	if (a->known)
		return;
	a->known = 1;
	a->edition = acc->edition ? rs_catalog_lookup(cat, ROSTER_ITEM_EDITION,
						      acc->edition)
				  : RS_NONE;
	a->pbx = rs_catalog_lookup(cat, ROSTER_ITEM_SERVICE, "pbx");
	a->helpdesk = rs_catalog_lookup(cat, ROSTER_ITEM_SERVICE, "helpdesk");
	a->from = from ? rs_catalog_lookup(cat, ROSTER_ITEM_LICENCE, from)
		       : RS_NONE;
}

int rs_service_orderable(roster_directory *dir, const rs_unit *acc,
			 const char *service, const char *field)
{
	const roster_catalog *cat;

	if (!acc->edition)
		return ROSTER_OK;
	if (!(cat = rs_catalog(dir)))
		return dir->err.code;
	/* ENOTFOUND (either unknown to the catalog) does not refuse: a
	 * service no licence knows is needed by none */
	if (roster_catalog_edition_orders(cat, acc->edition, service) == 0)
		return rs_fail(dir, ROSTER_EPOLICY, field, "service.edition",
			       acc->edition);
	return ROSTER_OK;
}

/* Has the account ordered the service (an index), one its edition lets
 * it order? The library knows two. */
static int ordered(const roster_catalog *cat, const rs_unit *acc,
		   const against *a, uint32_t service)
{
	/* ordered under an edition that has changed, or a catalog that
	 * no longer lets the edition order it: not served */
	if (acc->edition && a->edition != RS_NONE &&
	    !rs_set_has(cat->kind[ROSTER_ITEM_EDITION].items[a->edition].set[1],
			service))
		return 0;
	if (service == a->pbx)
		return acc->members->pbxes.len > 0;
	if (service == a->helpdesk)
		return acc->helpdesk;
	return 0;
}

static int enabled(const rs_unit *acc, const char *licence)
{
	size_t i;

	for (i = 0; i < acc->nlicences; i++)
		if (strcmp(acc->licences[i], licence) == 0)
			return 1;
	return 0;
}

/* Does licence `lic` need service `s` (indices; RS_NONE: an unknown
 * service, needed by none)? */
static int needs(const roster_catalog *cat, uint32_t lic, uint32_t s)
{
	return s != RS_NONE &&
	       rs_set_has(cat->kind[ROSTER_ITEM_LICENCE].items[lic].set[0], s);
}

/* What licence `lic` (an index) needs of the user itself, beyond the
 * account. */
static size_t attachment(const roster_catalog *cat, const against *a,
			 const rs_user *u, uint32_t lic, reason *out, size_t n)
{
	if (needs(cat, lic, a->pbx) &&
	    (!RS_REF(u, ROSTER_FIELD_PBX) || !RS_STR(u, ROSTER_FIELD_EXTENSION)) &&
	    n < REASONS_MAX)
		out[n++] = (reason){ "licence.pbx", NULL };
	if (needs(cat, lic, a->helpdesk) && !RS_FLAG(u, ROSTER_FIELD_HELPDESK) &&
	    n < REASONS_MAX)
		out[n++] = (reason){ "licence.helpdesk", NULL };
	return n;
}

/*
 * Why the user `u` of account `acc` may not hold licence `lic`, coming
 * from licence `from` (NULL: none; never `lic`). Fills `out`
 * (REASONS_MAX), returns the count. The order is the order of
 * licence.h. `a` is shared by the licences of one decision, zeroed
 * before the first.
 */
static size_t reasons(const roster_catalog *cat, against *a,
		      const rs_unit *acc, const rs_user *u, const char *from,
		      const char *lic, reason *out)
{
	uint32_t l = rs_catalog_find(cat, ROSTER_ITEM_LICENCE, lic), i;
	const rs_item *services = cat->kind[ROSTER_ITEM_SERVICE].items;
	rs_set need;
	size_t n = 0;

	if (l == RS_NONE) {
		out[n++] = (reason){ "licence.unknown", lic };
		return n;
	}
	look_up(cat, acc, from, a);
	if (!enabled(acc, lic))
		out[n++] = (reason){ "licence.not_enabled", lic };
	if (acc->edition &&
	    (a->edition == RS_NONE || !rs_offers(cat, a->edition, l)))
		out[n++] = (reason){ "licence.edition", acc->edition };
	/* the services it needs, in catalog order (indices ascending) */
	need = cat->kind[ROSTER_ITEM_LICENCE].items[l].set[0];
	for (i = 0; i < need.n; i++)
		if (!ordered(cat, acc, a, need.v[i]) && n < REASONS_MAX)
			out[n++] = (reason){ "licence.service",
					     services[need.v[i]].id };
	n = attachment(cat, a, u, l, out, n);
	if (from && strcmp(from, lic) != 0 &&
	    (a->from == RS_NONE || !rs_change_ok(cat, a->from, l)) &&
	    n < REASONS_MAX)
		out[n++] = (reason){ "licence.change", from };
	return n;
}

/* The clients of pack `from` that pack `to` lacks, comma-separated, in
 * catalog order. */
static void lost_clients(const roster_catalog *cat, const char *from,
			 const char *to, char *buf, size_t size)
{
	const rs_kind *packs = &cat->kind[ROSTER_ITEM_PACK];
	const rs_item *clients = cat->kind[ROSTER_ITEM_CLIENT].items;
	uint32_t f = rs_catalog_find(cat, ROSTER_ITEM_PACK, from);
	uint32_t t = to ? rs_catalog_find(cat, ROSTER_ITEM_PACK, to) : RS_NONE,
		 i;
	rs_set have, keep = { NULL, 0 };
	size_t w = 0;

	buf[0] = '\0';
	if (f == RS_NONE)
		return;
	have = packs->items[f].set[0];
	if (t != RS_NONE)
		keep = packs->items[t].set[0];
	for (i = 0; i < have.n; i++) {
		const char *c = clients[have.v[i]].id;

		if (!rs_set_has(keep, have.v[i]) && w + strlen(c) + 2 < size)
			w += (size_t)snprintf(buf + w, size - w, "%s%s",
					      w ? "," : "", c);
	}
}

static int fail_reason(roster_directory *dir, const char *field,
		       const reason *r)
{
	int code = strcmp(r->rule, "licence.unknown") == 0 ||
				   strcmp(r->rule, "pack.unknown") == 0 ||
				   strcmp(r->rule, "helpdesk.account") == 0
			   ? ROSTER_EINVALID
			   : ROSTER_EPOLICY;

	return rs_fail(dir, code, field, r->rule, r->param);
}

/* Can the account no longer give `lic` to u: unknown, not enabled, not
 * offered, or a service it needs not ordered? */
static int lost_licence(const roster_catalog *cat, const rs_unit *acc,
			const rs_user *u, const char *lic)
{
	reason r[REASONS_MAX];
	against a = { 0 };
	size_t n = reasons(cat, &a, acc, u, NULL, lic, r), i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].rule, "licence.unknown") == 0 ||
		    strcmp(r[i].rule, "licence.not_enabled") == 0 ||
		    strcmp(r[i].rule, "licence.edition") == 0 ||
		    strcmp(r[i].rule, "licence.service") == 0)
			return 1;
	return 0;
}

int rs_licence_check(roster_directory *dir, const rs_user *u,
		     const rs_user *cur)
{
	const rs_unit *acc = (const rs_unit *)rs_get(dir, u->base.parent);
	const char *lic = RS_STR(u, ROSTER_FIELD_LICENCE);
	const char *pack = RS_STR(u, ROSTER_FIELD_PACK);
	const char *was = cur ? RS_STR(cur, ROSTER_FIELD_LICENCE) : NULL;
	const char *was_pack = cur ? RS_STR(cur, ROSTER_FIELD_PACK) : NULL;
	const roster_catalog *cat;
	reason r[REASONS_MAX];
	against a = { 0 };
	size_t n;

	if (RS_FLAG(u, ROSTER_FIELD_HELPDESK) && !acc->helpdesk &&
	    !(cur && RS_FLAG(cur, ROSTER_FIELD_HELPDESK))) {
		r[0] = (reason){ "helpdesk.account", NULL };
		return fail_reason(dir, "helpdesk", &r[0]);
	}
	if (!lic && !pack && !was)
		return ROSTER_OK;
	if (!(cat = rs_catalog(dir)))
		return dir->err.code;
	/* taking a licence away is no change the table allows (001: the
	 * only changes are those listed; Video none), or clearing it and
	 * setting another would pass every rule; a licence the account can
	 * no longer give (gone from the catalog, no longer enabled or
	 * offered, a service it needs cancelled: what a new catalog reports)
	 * may go */
	if (!lic && was && !lost_licence(cat, acc, u, was)) {
		r[0] = (reason){ "licence.remove", was };
		return fail_reason(dir, "licence", &r[0]);
	}
	if (!lic && !pack)
		return ROSTER_OK;
	if (lic && was && strcmp(lic, was) == 0) {
		/* kept: only what the user itself changed must still fit */
		int moved = !cur || RS_REF(cur, ROSTER_FIELD_PBX) !=
						    RS_REF(u, ROSTER_FIELD_PBX) ||
			    (RS_STR(cur, ROSTER_FIELD_EXTENSION) == NULL) !=
				    (RS_STR(u, ROSTER_FIELD_EXTENSION) == NULL) ||
			    RS_FLAG(cur, ROSTER_FIELD_HELPDESK) !=
				    RS_FLAG(u, ROSTER_FIELD_HELPDESK);
		uint32_t l = moved ? rs_catalog_find(cat, ROSTER_ITEM_LICENCE,
						     lic)
				   : RS_NONE;

		if (l != RS_NONE) {
			a.pbx = rs_catalog_lookup(cat, ROSTER_ITEM_SERVICE,
						  "pbx");
			a.helpdesk = rs_catalog_lookup(cat, ROSTER_ITEM_SERVICE,
						       "helpdesk");
			if ((n = attachment(cat, &a, u, l, r, 0)))
				return fail_reason(dir, "licence", &r[0]);
		}
	} else if (lic && (n = reasons(cat, &a, acc, u, was, lic, r))) {
		return fail_reason(dir, "licence", &r[0]);
	}
	if (!pack || (was_pack && strcmp(pack, was_pack) == 0))
		return ROSTER_OK;
	if (!roster_catalog_has(cat, ROSTER_ITEM_PACK, pack)) {
		r[0] = (reason){ "pack.unknown", pack };
		return fail_reason(dir, "pack", &r[0]);
	}
	return ROSTER_OK;
}

int rs_pack_downgrade_check(roster_directory *dir, const rs_user *u,
			    const rs_user *cur, unsigned confirm)
{
	const char *pack = RS_STR(u, ROSTER_FIELD_PACK);
	const char *was_pack = cur ? RS_STR(cur, ROSTER_FIELD_PACK) : NULL;
	const roster_catalog *cat;
	char lost[128];

	if (!was_pack || (pack && strcmp(pack, was_pack) == 0) ||
	    (confirm & ROSTER_CONFIRM_DOWNGRADE))
		return ROSTER_OK;
	if (!(cat = rs_catalog(dir)))
		return dir->err.code;
	if (!roster_catalog_has(cat, ROSTER_ITEM_PACK, was_pack))
		return ROSTER_OK; /* dropped from the catalog: nothing known */
	/* no pack at all loses every client the old one had */
	lost_clients(cat, was_pack, pack, lost, sizeof(lost));
	if (*lost)
		return rs_fail(dir, ROSTER_ECONFIRM, "pack", "pack.downgrade",
			       lost);
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Accounts                                                            */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int set_licences(roster_directory *dir, const roster_actor *actor,
			roster_id account, const char *edition,
			const char *const *licences, size_t count)
{
	const roster_catalog *cat;
	const rs_unit *cur;
	rs_unit *n;
	rs_who who;
	size_t i, k;
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!licences && count)
		return rs_fail(dir, ROSTER_EINVAL, "licences", "arg.null", NULL);
	cur = (const rs_unit *)rs_get_kind(dir, account, ROSTER_KIND_ACCOUNT);
	if (!cur)
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	if ((rc = rs_authz_account(dir, &who, account, RS_MANAGE_SERVICES)))
		return rc;
	if (!(cat = rs_catalog(dir)))
		return dir->err.code;
	if (edition && !roster_catalog_has(cat, ROSTER_ITEM_EDITION, edition))
		return rs_fail(dir, ROSTER_EINVALID, "edition",
			       "edition.unknown", edition);
	for (i = 0; i < count; i++) {
		if (!licences[i])
			return rs_fail(dir, ROSTER_EINVAL, "licences",
				       "arg.null", NULL);
		if (!roster_catalog_has(cat, ROSTER_ITEM_LICENCE, licences[i]))
			return rs_fail(dir, ROSTER_EINVALID, "licences",
				       "licence.unknown", licences[i]);
		if (edition && roster_catalog_edition_offers(
				       cat, edition, licences[i]) != 1)
			return rs_fail(dir, ROSTER_EPOLICY, "licences",
				       "licence.edition", edition);
	}
	if (!(n = rs_unit_copy(dir, cur)))
		return rs_nomem(dir);
	rs_free(&dir->al, n->edition);
	for (i = 0; i < n->nlicences; i++)
		rs_free(&dir->al, n->licences[i]);
	rs_free(&dir->al, n->licences);
	n->edition = NULL;
	n->licences = NULL;
	n->nlicences = 0;
	if ((edition && !(n->edition = rs_strdup(&dir->al, edition))) ||
	    (count && !(n->licences = rs_calloc(&dir->al, count,
						sizeof(char *)))))
		goto nomem;
	for (i = 0; i < count; i++)
		if (!(n->licences[n->nlicences++] =
			      rs_strdup(&dir->al, licences[i])))
			goto nomem;
	if (count)
		qsort(n->licences, count, sizeof(char *), cmp_str);
	for (i = k = 0; i < n->nlicences; i++) {
		if (k && strcmp(n->licences[k - 1], n->licences[i]) == 0)
			rs_free(&dir->al, n->licences[i]);
		else
			n->licences[k++] = n->licences[i];
	}
	n->nlicences = k;
	if (rs_put(dir, account, &n->base))
		goto nomem;
	if (rs_event(dir, ROSTER_EVENT_ACCOUNT_UPDATED, account, 0, NULL, NULL,
		     NULL, 0))
		return rs_nomem(dir);
	return ROSTER_OK;
nomem:
	rs_rec_free(dir, &n->base, 0);
	return rs_nomem(dir);
}

int roster_account_set_licences(roster_directory *dir,
				const roster_actor *actor, roster_id account,
				const char *edition,
				const char *const *licences, size_t count)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, set_licences(dir, actor, account, edition,
						licences, count));
}

/* ------------------------------------------------------------------ */
/* Choices                                                             */

typedef struct choice {
	int kind;
	const char *item;
	int current;
	size_t nreasons;
	reason r[REASONS_MAX];
	char lost[128]; /* a pack downgrade: the clients lost */
} choice;

struct roster_choices {
	rs_alloc al;
	roster_catalog *cat; /* a reference: items and params point into it */
	char *edition;
	char *params;	     /* copies of parameters from the user */
	choice *c;
	size_t n;
	char message[512];   /* the last message rendered */
};

/* One pack as a choice for `u`: its site, a free station, a downgrade. */
static void pack_choice(roster_directory *dir, const roster_catalog *cat,
			const rs_user *u, const char *pack, const char *refused,
			choice *c)
{
	const char *was = RS_STR(u, ROSTER_FIELD_PACK);
	roster_id site = RS_REF(u, ROSTER_FIELD_SITE);

	c->kind = ROSTER_ITEM_PACK;
	c->item = pack;
	c->current = was && strcmp(was, pack) == 0;
	if (c->current)
		return;
	if (!site)
		c->r[c->nreasons++] = (reason){ "pack.site", NULL };
	else if (!rs_station_free(dir, site, pack, u->base.id))
		c->r[c->nreasons++] = (reason){ "pack.none_available", pack };
	if (was && roster_catalog_has(cat, ROSTER_ITEM_PACK, was)) {
		lost_clients(cat, was, pack, c->lost, sizeof(c->lost));
		if (*c->lost)
			c->r[c->nreasons++] = (reason){ "pack.downgrade",
							c->lost };
	}
	if (refused)
		c->r[c->nreasons++] = (reason){ refused, NULL };
}

int roster_user_choices(roster_choices **out, roster_directory *dir,
			const roster_actor *actor, roster_id account,
			roster_id user)
{
	const roster_catalog *cat;
	const rs_user *u = NULL;
	const rs_unit *acc;
	const char *refused, *was = NULL;
	roster_choices *ch;
	against a = { 0 };
	rs_user_work blank; /* a working copy: read through the accessors */
	rs_who who;
	size_t i, nl, np;
	int rc, code;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (user) {
		if (!(u = (const rs_user *)rs_get_kind(dir, user,
						       ROSTER_KIND_USER)))
			return rs_fail_id(dir, ROSTER_ENOTFOUND, "user",
					  "record.notfound", user);
		account = u->base.parent;
		was = RS_STR(u, ROSTER_FIELD_LICENCE);
	}
	if (!(acc = (const rs_unit *)rs_get_kind(dir, account,
						 ROSTER_KIND_ACCOUNT)))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	/* only those who may see the user may ask */
	if (!(who.kind == ROSTER_ACTOR_USER && who.id == user) &&
	    (rc = rs_authz_account(dir, &who, account, RS_MANAGE_USERS)))
		return rc;
	if (!u) {
		memset(&blank, 0, sizeof(blank));
		blank.u.base.kind = ROSTER_KIND_USER;
		blank.u.base.parent = account;
		u = &blank.u;
	}
	if (!(cat = rs_catalog(dir)))
		return dir->err.code;
	refused = rs_field_rule(dir, &who, account, user, ROSTER_FIELD_LICENCE,
				&code);
	nl = roster_catalog_count(cat, ROSTER_ITEM_LICENCE);
	np = roster_catalog_count(cat, ROSTER_ITEM_PACK);
	ch = rs_calloc(&dir->al, 1, sizeof(*ch));
	if (!ch ||
	    (nl + np && !(ch->c = rs_calloc(&dir->al, nl + np, sizeof(choice)))) ||
	    (was && !(ch->params = rs_strdup(&dir->al, was))) ||
	    (acc->edition && !(ch->edition = rs_strdup(&dir->al, acc->edition)))) {
		if (ch) {
			rs_free(&dir->al, ch->c);
			rs_free(&dir->al, ch->params);
			rs_free(&dir->al, ch);
		}
		return rs_nomem(dir);
	}
	ch->al = dir->al;
	ch->cat = roster_catalog_ref((roster_catalog *)cat);
	for (i = 0; i < nl; i++) {
		choice *c = &ch->c[ch->n++];
		c->kind = ROSTER_ITEM_LICENCE;
		c->item = roster_catalog_item(cat, ROSTER_ITEM_LICENCE, i);
		c->current = was && strcmp(was, c->item) == 0;
		if (c->current)
			continue; /* keeping it needs nothing */
		c->nreasons = reasons(cat, &a, acc, u,
				      was ? ch->params : NULL, c->item, c->r);
		if (refused && c->nreasons < REASONS_MAX)
			c->r[c->nreasons++] = (reason){ refused, NULL };
		/* parameters naming the account's edition live in the list */
		for (size_t k = 0; k < c->nreasons; k++)
			if (c->r[k].param == acc->edition)
				c->r[k].param = ch->edition;
	}
	refused = rs_field_rule(dir, &who, account, user, ROSTER_FIELD_PACK,
				&code);
	for (i = 0; i < np; i++)
		pack_choice(dir, cat, u, roster_catalog_item(cat, ROSTER_ITEM_PACK, i),
			    refused, &ch->c[ch->n++]);
	*out = ch;
	return ROSTER_OK;
}

void roster_choices_free(roster_choices *ch)
{
	rs_alloc al;

	if (!ch)
		return;
	al = ch->al;
	roster_catalog_free(ch->cat);
	rs_free(&al, ch->edition);
	rs_free(&al, ch->params);
	rs_free(&al, ch->c);
	rs_free(&al, ch);
}

static const choice *at(const roster_choices *ch, size_t i)
{
	return ch && i < ch->n ? &ch->c[i] : NULL;
}

size_t roster_choices_count(const roster_choices *ch)
{
	return ch ? ch->n : 0;
}

int roster_choices_kind(const roster_choices *ch, size_t i)
{
	const choice *c = at(ch, i);

	return c ? c->kind : 0;
}

const char *roster_choices_item(const roster_choices *ch, size_t i)
{
	const choice *c = at(ch, i);

	return c ? c->item : NULL;
}

const char *roster_choices_name(const roster_choices *ch, size_t i,
				roster_language lang)
{
	const choice *c = at(ch, i);
	const char *s;

	if (!c)
		return NULL;
	s = roster_catalog_name(ch->cat, c->kind, c->item, lang, ch->edition);
	/* an edition the catalog no longer has names nothing: the plain
	 * name then, rather than a list without names */
	if (!s && ch->edition)
		s = roster_catalog_name(ch->cat, c->kind, c->item, lang, NULL);
	return s;
}

int roster_choices_current(const roster_choices *ch, size_t i)
{
	const choice *c = at(ch, i);

	return c ? c->current : 0;
}

int roster_choices_allowed(const roster_choices *ch, size_t i)
{
	const choice *c = at(ch, i);

	return c ? c->nreasons == 0 : 0;
}

size_t roster_choices_reason_count(const roster_choices *ch, size_t i)
{
	const choice *c = at(ch, i);

	return c ? c->nreasons : 0;
}

const char *roster_choices_reason(const roster_choices *ch, size_t i,
				  size_t r)
{
	const choice *c = at(ch, i);

	return c && r < c->nreasons ? c->r[r].rule : NULL;
}

const char *roster_choices_reason_param(const roster_choices *ch, size_t i,
					size_t r)
{
	const choice *c = at(ch, i);

	return c && r < c->nreasons ? c->r[r].param : NULL;
}

const char *roster_choices_reason_message(const roster_choices *ch, size_t i,
					  size_t r, roster_language lang)
{
	const choice *c = at(ch, i);
	roster_error e;
	rs_fault f;

	if (!c || r >= c->nreasons || (int)lang < 0 || lang >= ROSTER_LANG_COUNT)
		return NULL;
	f = (rs_fault){ ROSTER_EPOLICY,
			c->kind == ROSTER_ITEM_PACK ? "pack" : "licence",
			c->r[r].rule, c->r[r].param, 0 };
	rs_error_set(&e, lang, &f);
	/* the list is the caller's: its buffer holds the last message */
	memcpy(((roster_choices *)ch)->message, e.message, sizeof(e.message));
	return ch->message;
}

/* ------------------------------------------------------------------ */
/* A new catalog                                                       */

static int misfit(roster_directory *dir, const roster_catalog *cat,
		  const rs_user *u);

/* The users whose licence, pack or product licences `cat` no longer
 * allows, ascending. */
static int catalog_report(roster_directory *dir, const roster_catalog *cat,
			  roster_page **out)
{
	rs_idvec ids = { NULL, 0, 0 };
	const rs_rec *r;
	uint64_t pos = 0;
	int rc;

	while ((r = rs_idmap_next(&dir->records, &pos))) {
		if (r->kind != ROSTER_KIND_USER ||
		    !misfit(dir, cat, (const rs_user *)r))
			continue;
		if (rs_idvec_reserve(&dir->al, &ids, 1)) {
			rs_idvec_free(&dir->al, &ids);
			return rs_nomem(dir);
		}
		rs_idvec_insert(&ids, r->id);
	}
	rc = rs_page_of(dir, ids.ids, ids.len, out);
	rs_idvec_free(&dir->al, &ids);
	return rc;
}

int roster_directory_set_catalog(roster_directory *dir, roster_catalog *cat,
				 roster_page **report)
{
	roster_password_policy policy;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (report)
		*report = NULL;
	if (!cat)
		return rs_fail(dir, ROSTER_EINVAL, "cat", "arg.null", NULL);
	if (dir->txn_open)
		return rs_fail(dir, ROSTER_EMISUSE, NULL, "txn.open", NULL);
	roster_password_policy_init(&policy, ROSTER_PASSWORD_POLICY_VERSION);
	if ((rc = roster_catalog_password_policy(cat, &policy)))
		return rs_fail(dir, rc, "cat", "catalog.value", NULL);
	if (report && (rc = catalog_report(dir, cat, report)))
		return rc;
	/* the catalog's password policy becomes the directory's */
	if ((rc = roster_directory_set_password_policy(dir, &policy))) {
		if (report) {
			roster_page_free(*report);
			*report = NULL;
		}
		return rc;
	}
	roster_catalog_free(dir->catalog);
	dir->catalog = roster_catalog_ref(cat);
	return ROSTER_OK;
}

roster_catalog *roster_directory_catalog(roster_directory *dir)
{
	const roster_catalog *cat;

	if (rs_enter(dir))
		return NULL;
	cat = rs_catalog(dir);
	return cat ? roster_catalog_ref((roster_catalog *)cat) : NULL;
}

/* Does the user's licence, pack or one of its product licences no longer
 * fit under `cat`? */
static int misfit(roster_directory *dir, const roster_catalog *cat,
		  const rs_user *u)
{
	const rs_unit *acc = (const rs_unit *)rs_get(dir, u->base.parent);
	const char *lic = RS_STR(u, ROSTER_FIELD_LICENCE);
	const char *pack = RS_STR(u, ROSTER_FIELD_PACK);
	reason r[REASONS_MAX];
	against a = { 0 };
	size_t i, n;

	if (pack && !roster_catalog_has(cat, ROSTER_ITEM_PACK, pack))
		return 1;
	for (i = 0; i < u->nproducts; i++)
		if (!roster_catalog_has(cat, ROSTER_ITEM_PRODUCT,
					RS_PRODUCT(u, i)))
			return 1;
	if (!lic)
		return 0;
	/* held already: the table and the account's list do not apply */
	n = reasons(cat, &a, acc, u, NULL, lic, r);
	for (i = 0; i < n; i++)
		if (strcmp(r[i].rule, "licence.not_enabled") != 0)
			return 1;
	return 0;
}
