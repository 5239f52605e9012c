/*
 * account.c: partners, accounts, sites, PBXes and permission groups,
 * their snapshots and the listings of every kind of record.
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "txn.h"
#include "util/text.h"
#include "validate.h"

struct roster_record {
	rs_alloc al;
	int kind;
	roster_id id, parent;
	char *name;
	int helpdesk;
	unsigned min_digits, max_digits;
	size_t members, admins;
	rs_unit *licensing; /* an account's edition and licences, or NULL */
};

/* The list that holds the records of `kind` under `parent`, or NULL. */
static rs_idvec *siblings(roster_directory *dir, roster_id parent, int kind)
{
	rs_rec *p;

	if (kind == ROSTER_KIND_PARTNER)
		return parent ? NULL : &dir->partners;
	p = parent ? rs_get(dir, parent) : NULL;
	if (!p)
		return NULL;
	if (p->kind == ROSTER_KIND_PARTNER && kind == ROSTER_KIND_ACCOUNT)
		return &RS_MEMBERS(p)->accounts;
	if (p->kind != ROSTER_KIND_ACCOUNT)
		return NULL;
	switch (kind) {
	case ROSTER_KIND_SITE:
		return &RS_MEMBERS(p)->sites;
	case ROSTER_KIND_PBX:
		return &RS_MEMBERS(p)->pbxes;
	case ROSTER_KIND_GROUP:
		return &RS_MEMBERS(p)->groups;
	case ROSTER_KIND_USER:
		return &RS_MEMBERS(p)->users;
	}
	return NULL;
}

/* Who may create, rename or delete a record of `kind` under `parent`? */
static int authorize(roster_directory *dir, const rs_who *who, int kind,
		     roster_id parent)
{
	switch (kind) {
	case ROSTER_KIND_PARTNER:
		return rs_authz_system(dir, who);
	case ROSTER_KIND_ACCOUNT:
		if (who->kind == ROSTER_ACTOR_SYSTEM ||
		    (who->kind == ROSTER_ACTOR_PARTNER && who->id == parent))
			return ROSTER_OK;
		return rs_fail(dir, ROSTER_EDENIED, NULL, "auth.scope", NULL);
	case ROSTER_KIND_PBX:
		return rs_authz_account(dir, who, parent, RS_MANAGE_SERVICES);
	default:
		return rs_authz_account(dir, who, parent, RS_MANAGE_USERS);
	}
}

int rs_unit_name_key(const rs_alloc *al, const char *in, unsigned flags,
		     char **name, char **key)
{
	enum rs_text_fault f;

	*name = *key = NULL;
	f = rs_text_clean(al, in, flags, ROSTER_NAME_MAX, name);
	if (f == RS_TEXT_OK)
		f = rs_text_clean(al, *name, flags | RS_TEXT_FOLD,
				  ROSTER_NAME_MAX * 4, key);
	if (f != RS_TEXT_OK) {
		rs_free(al, *name);
		*name = NULL;
	}
	return f;
}

/* `stored` for a name read from a store (RS_TEXT_STORED). */
static int clean_name(roster_directory *dir, const char *in, int stored,
		      char **name, char **key)
{
	static const char *const rules[] = { NULL, "nomem", "text.utf8",
					     "text.control", "text.empty",
					     "text.long" };
	enum rs_text_fault f;

	*name = *key = NULL;
	if (!in)
		return rs_fail(dir, ROSTER_EINVAL, "name", "arg.null", NULL);
	if ((f = rs_unit_name_key(&dir->al, in, stored ? RS_TEXT_STORED : 0,
				  name, key)) == RS_TEXT_OK)
		return ROSTER_OK;
	if (f == RS_TEXT_NOMEM)
		return rs_nomem(dir);
	return rs_fail_limit(dir, ROSTER_EINVALID, "name", rules[f],
			     f == RS_TEXT_UTF8 ? NULL : in, ROSTER_NAME_MAX);
}

int rs_unit_check_stored(roster_directory *dir, const rs_unit *n, char *why,
			 size_t len)
{
	roster_error saved = dir->err;
	char *name, *key;
	size_t i;
	int fault = 1, rc = clean_name(dir, n->name, 1, &name, &key);

	if (rc == ROSTER_ENOMEM)
		return rc;
	if (rc)
		snprintf(why, len, "name: %s", dir->err.rule);
	else if (strcmp(name, n->name) != 0)
		snprintf(why, len, "name: not in normal form");
	else if (n->helpdesk && n->base.kind != ROSTER_KIND_ACCOUNT)
		snprintf(why, len, "helpdesk: only on an account");
	else if ((n->edition || n->nlicences) &&
		 n->base.kind != ROSTER_KIND_ACCOUNT)
		snprintf(why, len, "licences: only on an account");
	else if (n->edition && rs_valid_item_id(n->edition))
		snprintf(why, len, "edition: item.syntax");
	else
		fault = 0;
	for (i = 0; !fault && i < n->nlicences; i++)
		if (rs_valid_item_id(n->licences[i])) {
			snprintf(why, len, "licences: item.syntax");
			fault = 1;
		}
	if (!fault && n->nstock && n->base.kind != ROSTER_KIND_SITE) {
		snprintf(why, len, "stations: only on a site");
		fault = 1;
	}
	for (i = 0; !fault && i < n->nstock; i++)
		if (rs_valid_item_id(n->stock[i].item)) {
			snprintf(why, len, "stations: item.syntax");
			fault = 1;
		}
	if (!fault && n->nbought && n->base.kind != ROSTER_KIND_ACCOUNT) {
		snprintf(why, len, "products: only on an account");
		fault = 1;
	}
	for (i = 0; !fault && i < n->nbought; i++)
		if (rs_valid_item_id(n->bought[i].item)) {
			snprintf(why, len, "products: item.syntax");
			fault = 1;
		}
	if (!rc) {
		rs_free(&dir->al, name);
		rs_free(&dir->al, key);
	}
	dir->err = saved;
	return fault ? ROSTER_EPARSE : ROSTER_OK;
}

static int name_taken(const roster_directory *dir, const rs_idvec *sib,
		      const char *key, roster_id self)
{
	size_t i;

	for (i = 0; i < sib->len; i++) {
		const rs_unit *n = (const rs_unit *)rs_get(dir, sib->ids[i]);
		if (n && n->base.id != self && strcmp(n->name_key, key) == 0)
			return 1;
	}
	return 0;
}

int rs_unit_replace_read(roster_directory *dir, rs_unit *cur,
			 const rs_unit *old, const char *key)
{
	rs_members *own = cur->members;
	const rs_idvec *users = &old->members->users;
	char where[128];
	size_t i;

	if (cur->base.kind != old->base.kind ||
	    cur->base.parent != old->base.parent)
		return rs_fail(dir, ROSTER_EPARSE, "store",
			       "storage.inconsistent", key);
	/* a PBX's new digit rules admit its users' extensions */
	for (i = 0; cur->base.kind == ROSTER_KIND_PBX &&
		    (cur->min_digits != old->min_digits ||
		     cur->max_digits != old->max_digits) &&
		    i < users->len;
	     i++) {
		const rs_user *u = (const rs_user *)rs_get(dir, users->ids[i]);
		if (rs_valid_extension(RS_STR(u, ROSTER_FIELD_EXTENSION),
				       cur->min_digits, cur->max_digits)) {
			snprintf(where, sizeof(where), "%s: extension.digits",
				 key);
			return rs_fail(dir, ROSTER_EPARSE, "store",
				       "storage.inconsistent", where);
		}
	}
	cur->members = old->members;
	if (rs_put(dir, cur->base.id, &cur->base)) {
		cur->members = own;
		return rs_nomem(dir);
	}
	rs_members_free(&dir->al, own); /* the empty set it was read with */
	return ROSTER_OK;
}

int rs_unit_name_read(roster_directory *dir, const rs_unit *u,
		      const char *key)
{
	const rs_idvec *sib = siblings(dir, u->base.parent, u->base.kind);

	if (sib && name_taken(dir, sib, u->name_key, u->base.id)) {
		char where[64];
		snprintf(where, sizeof(where), "%s: name.unique", key);
		return rs_fail(dir, ROSTER_EPARSE, "store",
			       "storage.inconsistent", where);
	}
	return ROSTER_OK;
}

int rs_unit_add_read(roster_directory *dir, rs_unit *u, const char *key,
		     int *put)
{
	rs_idvec *sib = siblings(dir, u->base.parent, u->base.kind);
	int rc;

	*put = 0;
	if (!sib)
		return rs_fail(dir, ROSTER_EPARSE, "store",
			       "storage.inconsistent", key);
	/* an account may find the handle out of search ordinals
	 * (ROSTER_ERROR, recorded) */
	if ((rc = rs_put(dir, u->base.id, &u->base)))
		return rc == ROSTER_ENOMEM ? rs_nomem(dir) : rc;
	*put = 1;
	return rs_vec_insert(dir, sib, u->base.id) ? rs_nomem(dir) : ROSTER_OK;
}

int rs_unit_remove_read(roster_directory *dir, const rs_unit *old,
			const char *key)
{
	const rs_members *m = old->members;
	rs_idvec *sib = siblings(dir, old->base.parent, old->base.kind);

	if (m->accounts.len || m->users.len || m->sites.len || m->pbxes.len ||
	    m->groups.len || !sib)
		return rs_fail(dir, ROSTER_EPARSE, "store",
			       "storage.inconsistent", key);
	if (rs_vec_remove(dir, sib, old->base.id) ||
	    rs_put(dir, old->base.id, NULL))
		return rs_nomem(dir);
	return ROSTER_OK;
}

static int event_for(roster_directory *dir, int kind, roster_id id,
		     roster_id parent, int deleted)
{
	switch (kind) {
	case ROSTER_KIND_PARTNER:
		return deleted ? ROSTER_OK
			       : rs_event_partner(dir, id);
	case ROSTER_KIND_ACCOUNT:
		return rs_event(dir, deleted ? ROSTER_EVENT_ACCOUNT_DELETED
					     : ROSTER_EVENT_ACCOUNT_CREATED,
				id, 0, NULL, NULL, NULL, 0);
	default:
		return rs_event(dir, ROSTER_EVENT_ACCOUNT_UPDATED, parent, 0,
				NULL, NULL, NULL, 0);
	}
}

static int unit_create(roster_directory *dir, const roster_actor *actor,
		       int kind, roster_id parent, const char *name,
		       unsigned min_digits, unsigned max_digits, roster_id *out)
{
	rs_unit *n = NULL;
	rs_idvec *sib;
	rs_who who;
	char *nm, *key;
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	sib = siblings(dir, parent, kind);
	if (!sib)
		return rs_fail_id(dir, ROSTER_ENOTFOUND,
				  kind == ROSTER_KIND_ACCOUNT ? "partner"
							      : "account",
				  "record.notfound", parent);
	if ((rc = authorize(dir, &who, kind, parent)))
		return rc;
	if (kind == ROSTER_KIND_PBX &&
	    (rc = rs_service_orderable(
		     dir, (const rs_unit *)rs_get(dir, parent), "pbx", "pbx")))
		return rc;
	if (kind == ROSTER_KIND_PBX &&
	    (min_digits < ROSTER_EXTENSION_DIGITS_MIN ||
	     max_digits > ROSTER_EXTENSION_DIGITS_MAX ||
	     min_digits > max_digits))
		return rs_fail(dir, ROSTER_EINVALID, "extension", "pbx.digits",
			       NULL);
	if ((rc = clean_name(dir, name, 0, &nm, &key)))
		return rc;
	if (name_taken(dir, sib, key, 0))
		rc = rs_fail(dir, ROSTER_EEXISTS, "name", "name.unique", nm);
	else if (dir->next_id == 0 || dir->next_id == UINT64_MAX)
		rc = rs_fail(dir, ROSTER_ERROR, NULL, "id.exhausted", NULL);
	if (rc) {
		rs_free(&dir->al, nm);
		rs_free(&dir->al, key);
		return rc;
	}
	n = rs_calloc(&dir->al, 1, sizeof(*n));
	if (n)
		n->members = rs_calloc(&dir->al, 1, sizeof(rs_members));
	if (!n || !n->members) {
		rs_free(&dir->al, n);
		rs_free(&dir->al, nm);
		rs_free(&dir->al, key);
		return rs_nomem(dir);
	}
	n->base.kind = kind;
	rs_new_id(dir, &n->base.id); /* checked above, cannot fail */
	n->base.parent = parent;
	n->name = nm;
	n->name_key = key;
	n->min_digits = min_digits;
	n->max_digits = max_digits;
	if ((rc = rs_put(dir, n->base.id, &n->base))) {
		rs_rec_free(dir, &n->base, 1);
		/* an account may also find the index's ordinals used up,
		 * which rs_put has recorded */
		return rc == ROSTER_ENOMEM ? rs_nomem(dir) : rc;
	}
	/* the parent is written too: a directory deleting it meanwhile then
	 * conflicts */
	if (rs_vec_insert(dir, sib, n->base.id) ||
	    (parent && rs_unit_touch(dir, parent)) ||
	    event_for(dir, kind, n->base.id, parent, 0))
		return rs_nomem(dir);
	*out = n->base.id;
	return ROSTER_OK;
}

static int create_call(roster_id *out, roster_directory *dir,
		       const roster_actor *actor, int kind, roster_id parent,
		       const char *name, unsigned min_digits,
		       unsigned max_digits)
{
	roster_id id = 0;
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = 0;
	rs_op_begin(dir, &op);
	rc = rs_op_end(dir, &op,
		       unit_create(dir, actor, kind, parent, name, min_digits,
				   max_digits, &id));
	if (rc == 0)
		*out = id;
	return rc;
}

int roster_partner_create(roster_id *out, roster_directory *dir,
			  const roster_actor *actor, const char *name)
{
	return create_call(out, dir, actor, ROSTER_KIND_PARTNER, 0, name, 0, 0);
}

int roster_account_create(roster_id *out, roster_directory *dir,
			  const roster_actor *actor, roster_id partner,
			  const char *name)
{
	return create_call(out, dir, actor, ROSTER_KIND_ACCOUNT, partner, name,
			   0, 0);
}

int roster_site_create(roster_id *out, roster_directory *dir,
		       const roster_actor *actor, roster_id account,
		       const char *name)
{
	return create_call(out, dir, actor, ROSTER_KIND_SITE, account, name, 0,
			   0);
}

int roster_pbx_create(roster_id *out, roster_directory *dir,
		      const roster_actor *actor, roster_id account,
		      const char *name, unsigned int min_digits,
		      unsigned int max_digits)
{
	return create_call(out, dir, actor, ROSTER_KIND_PBX, account, name,
			   min_digits, max_digits);
}

int roster_group_create(roster_id *out, roster_directory *dir,
			const roster_actor *actor, roster_id account,
			const char *name)
{
	return create_call(out, dir, actor, ROSTER_KIND_GROUP, account, name, 0,
			   0);
}

/* Copy purchased counts; -1 on ENOMEM, having copied some (freed with
 * the unit). */
static int copy_stock(roster_directory *dir, const rs_stock *src, size_t n,
		      rs_stock **dst, size_t *count)
{
	size_t i;

	if (!n)
		return 0;
	if (!(*dst = rs_calloc(&dir->al, n, sizeof(rs_stock))))
		return -1;
	for (i = 0; i < n; i++) {
		(*dst)[i].purchased = src[i].purchased;
		if (!((*dst)[i].item = rs_strdup(&dir->al, src[i].item)))
			return -1;
		(*count)++;
	}
	return 0;
}

rs_unit *rs_unit_copy(roster_directory *dir, const rs_unit *cur)
{
	rs_unit *n = rs_calloc(&dir->al, 1, sizeof(*n));
	size_t i;
	int failed;

	if (!n)
		return NULL;
	*n = *cur;
	n->edition = NULL;
	n->licences = NULL;
	n->nlicences = 0;
	n->stock = NULL;
	n->nstock = 0;
	n->bought = NULL;
	n->nbought = 0;
	n->name = rs_strdup(&dir->al, cur->name);
	n->name_key = rs_strdup(&dir->al, cur->name_key);
	failed = !n->name || !n->name_key;
	if (!failed && cur->edition)
		failed = !(n->edition = rs_strdup(&dir->al, cur->edition));
	if (!failed && cur->nlicences) {
		n->licences = rs_calloc(&dir->al, cur->nlicences,
					sizeof(char *));
		failed = !n->licences;
		for (i = 0; !failed && i < cur->nlicences; i++) {
			n->licences[i] = rs_strdup(&dir->al, cur->licences[i]);
			failed = !n->licences[i];
			n->nlicences += !failed;
		}
	}
	if (!failed)
		failed = copy_stock(dir, cur->stock, cur->nstock, &n->stock,
				    &n->nstock) ||
			 copy_stock(dir, cur->bought, cur->nbought, &n->bought,
				    &n->nbought);
	if (failed) {
		rs_rec_free(dir, &n->base, 0);
		return NULL;
	}
	return n;
}

int rs_unit_touch(roster_directory *dir, roster_id id)
{
	const rs_unit *cur = (const rs_unit *)rs_get(dir, id);
	rs_unit *n;

	if (!dir->storage)
		return ROSTER_OK; /* one directory alone: nothing to race */
	if (!(n = rs_unit_copy(dir, cur)))
		return rs_nomem(dir);
	if (rs_put(dir, id, &n->base)) {
		rs_rec_free(dir, &n->base, 0);
		return rs_nomem(dir);
	}
	return ROSTER_OK;
}

static const rs_unit *find_unit(roster_directory *dir, roster_id id)
{
	rs_rec *r = id ? rs_get(dir, id) : NULL;

	if (!r) {
		rs_fail_id(dir, ROSTER_ENOTFOUND, "id", "record.notfound", id);
		return NULL;
	}
	if (r->kind == ROSTER_KIND_USER) {
		rs_fail_id(dir, ROSTER_EINVAL, "id", "record.kind", id);
		return NULL;
	}
	return (const rs_unit *)r;
}

static int rename_unit(roster_directory *dir, const roster_actor *actor,
		       roster_id id, const char *name)
{
	const rs_unit *cur;
	rs_unit *n;
	rs_who who;
	char *nm, *key;
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!(cur = find_unit(dir, id)))
		return dir->err.code;
	if ((rc = authorize(dir, &who, cur->base.kind, cur->base.parent)))
		return rc;
	/* an account's partner renames it; its admins may not */
	if (cur->base.kind == ROSTER_KIND_ACCOUNT &&
	    (rc = rs_authz_account(dir, &who, id, RS_MANAGE_SERVICES)))
		return rc;
	if ((rc = clean_name(dir, name, 0, &nm, &key)))
		return rc;
	if (strcmp(nm, cur->name) == 0) {
		/* the same name: no change, no event */
		rs_free(&dir->al, nm);
		rs_free(&dir->al, key);
		return ROSTER_OK;
	}
	if (name_taken(dir, siblings(dir, cur->base.parent, cur->base.kind),
		       key, id)) {
		rc = rs_fail(dir, ROSTER_EEXISTS, "name", "name.unique", nm);
		rs_free(&dir->al, nm);
		rs_free(&dir->al, key);
		return rc;
	}
	if (!(n = rs_unit_copy(dir, cur))) {
		rs_free(&dir->al, nm);
		rs_free(&dir->al, key);
		return rs_nomem(dir);
	}
	rs_free(&dir->al, n->name);
	rs_free(&dir->al, n->name_key);
	n->name = nm;
	n->name_key = key;
	if (rs_put(dir, id, &n->base)) {
		rs_rec_free(dir, &n->base, 0);
		return rs_nomem(dir);
	}
	rs_touch_keys(dir); /* names are unique keys too */
	if (cur->base.kind != ROSTER_KIND_PARTNER &&
	    rs_event(dir, ROSTER_EVENT_ACCOUNT_UPDATED,
		     cur->base.kind == ROSTER_KIND_ACCOUNT ? id
							   : cur->base.parent,
		     0, NULL, NULL, NULL, 0))
		return rs_nomem(dir);
	return ROSTER_OK;
}

int roster_record_rename(roster_directory *dir, const roster_actor *actor,
			 roster_id id, const char *name)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, rename_unit(dir, actor, id, name));
}

static int set_helpdesk(roster_directory *dir, const roster_actor *actor,
			roster_id account, int ordered)
{
	const rs_unit *cur;
	rs_unit *n;
	rs_who who;
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	cur = (const rs_unit *)rs_get_kind(dir, account, ROSTER_KIND_ACCOUNT);
	if (!cur)
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	if ((rc = rs_authz_account(dir, &who, account, RS_MANAGE_SERVICES)))
		return rc;
	if (cur->helpdesk == (ordered != 0))
		return ROSTER_OK;
	if (ordered && (rc = rs_service_orderable(dir, cur, "helpdesk",
						   "helpdesk")))
		return rc;
	/* as a PBX with users on it: a service users are attached to
	 * (helpdesk flag, 001) is not cancelled under them */
	if (!ordered) {
		const rs_idvec *users = &cur->members->users;
		size_t i;

		for (i = 0; i < users->len; i++)
			if (RS_FLAG((const rs_user *)rs_get(dir, users->ids[i]),
				    ROSTER_FIELD_HELPDESK))
				return rs_fail_id(dir, ROSTER_EPOLICY, "helpdesk",
						  "helpdesk.in_use",
						  users->ids[i]);
	}
	if (!(n = rs_unit_copy(dir, cur)))
		return rs_nomem(dir);
	n->helpdesk = ordered != 0;
	if (rs_put(dir, account, &n->base)) {
		rs_rec_free(dir, &n->base, 0);
		return rs_nomem(dir);
	}
	if (rs_event(dir, ROSTER_EVENT_ACCOUNT_UPDATED, account, 0, NULL, NULL,
		     NULL, 0))
		return rs_nomem(dir);
	return ROSTER_OK;
}

int roster_account_set_helpdesk(roster_directory *dir,
				const roster_actor *actor, roster_id account,
				int ordered)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, set_helpdesk(dir, actor, account, ordered));
}

/* Remove one unit and its place in its parent's list. */
static int remove_unit(roster_directory *dir, const rs_unit *n)
{
	rs_idvec *sib = siblings(dir, n->base.parent, n->base.kind);

	if ((sib && rs_vec_remove(dir, sib, n->base.id)) ||
	    rs_put(dir, n->base.id, NULL))
		return rs_nomem(dir);
	return ROSTER_OK;
}

static int delete_unit(roster_directory *dir, const roster_actor *actor,
		       roster_id id)
{
	const rs_unit *cur;
	const rs_members *m;
	rs_who who;
	int rc, kind;
	roster_id parent;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!(cur = find_unit(dir, id)))
		return dir->err.code;
	kind = cur->base.kind;
	parent = cur->base.parent;
	m = cur->members;
	if ((rc = authorize(dir, &who, kind, parent)))
		return rc;
	if (kind == ROSTER_KIND_ACCOUNT &&
	    (rc = rs_authz_account(dir, &who, id, RS_MANAGE_SERVICES)))
		return rc;
	if (m->users.len)
		return rs_fail_id(dir, ROSTER_EPOLICY, NULL,
				  kind == ROSTER_KIND_ACCOUNT ? "account.not_empty"
							      : "record.in_use",
				  id);
	if (m->accounts.len)
		return rs_fail_id(dir, ROSTER_EPOLICY, NULL, "record.in_use", id);
	if (kind == ROSTER_KIND_SITE && rs_site_stations(cur))
		return rs_fail_id(dir, ROSTER_EPOLICY, NULL, "site.stations", id);
	if (kind == ROSTER_KIND_ACCOUNT) {
		/* an empty account takes its sites, PBXes and groups along,
		 * but no site's stations: as for the site alone, they leave
		 * the inventory by a disconnect order (000) */
		const rs_idvec *lists[3] = { &m->sites, &m->pbxes, &m->groups };
		size_t l;

		for (l = 0; l < m->sites.len; l++)
			if (rs_site_stations((const rs_unit *)rs_get(
				    dir, m->sites.ids[l])))
				return rs_fail_id(dir, ROSTER_EPOLICY, NULL,
						  "site.stations",
						  m->sites.ids[l]);
		/* nor its purchased product licences: released first, as
		 * stations are disconnected */
		if (cur->nbought)
			return rs_fail(dir, ROSTER_EPOLICY, "account",
				       "account.products", cur->bought[0].item);
		for (l = 0; l < 3; l++)
			while (lists[l]->len)
				if ((rc = remove_unit(
					     dir, (const rs_unit *)rs_get(
							  dir, lists[l]->ids[0]))))
					return rc;
	}
	if (event_for(dir, kind, id, parent, 1))
		return rs_nomem(dir);
	return remove_unit(dir, cur);
}

int roster_record_delete(roster_directory *dir, const roster_actor *actor,
			 roster_id id)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, delete_unit(dir, actor, id));
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */

int roster_record_get(roster_record **out, roster_directory *dir, roster_id id)
{
	const rs_unit *n;
	roster_record *r;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (!(n = find_unit(dir, id)))
		return dir->err.code;
	r = rs_calloc(&dir->al, 1, sizeof(*r));
	if (!r || !(r->name = rs_strdup(&dir->al, n->name))) {
		rs_free(&dir->al, r);
		return rs_nomem(dir);
	}
	r->al = dir->al;
	r->kind = n->base.kind;
	r->id = n->base.id;
	r->parent = n->base.parent;
	r->helpdesk = n->helpdesk;
	r->min_digits = n->min_digits;
	r->max_digits = n->max_digits;
	r->members = n->base.kind == ROSTER_KIND_PARTNER
			     ? n->members->accounts.len
			     : n->members->users.len;
	r->admins = n->members->admins;
	if ((n->edition || n->nlicences) && !(r->licensing = rs_unit_copy(dir, n))) {
		roster_record_free(r);
		return rs_nomem(dir);
	}
	*out = r;
	return ROSTER_OK;
}

const char *roster_record_edition(const roster_record *r)
{
	return r && r->licensing ? r->licensing->edition : NULL;
}

size_t roster_record_licence_count(const roster_record *r)
{
	return r && r->licensing ? r->licensing->nlicences : 0;
}

const char *roster_record_licence(const roster_record *r, size_t i)
{
	return r && r->licensing && i < r->licensing->nlicences
		       ? r->licensing->licences[i]
		       : NULL;
}

void roster_record_free(roster_record *rec)
{
	rs_alloc al;

	if (!rec)
		return;
	al = rec->al;
	rs_free(&al, rec->name);
	rs_rec_release(&al, rec->licensing ? &rec->licensing->base : NULL, 0);
	rs_free(&al, rec);
}

roster_id roster_record_id(const roster_record *r)
{
	return r ? r->id : 0;
}

int roster_record_kind(const roster_record *r)
{
	return r ? r->kind : 0;
}

roster_id roster_record_parent(const roster_record *r)
{
	return r ? r->parent : 0;
}

const char *roster_record_name(const roster_record *r)
{
	return r ? r->name : NULL;
}

int roster_record_helpdesk(const roster_record *r)
{
	return r ? r->helpdesk : 0;
}

unsigned int roster_record_min_digits(const roster_record *r)
{
	return r ? r->min_digits : 0;
}

unsigned int roster_record_max_digits(const roster_record *r)
{
	return r ? r->max_digits : 0;
}

size_t roster_record_members(const roster_record *r)
{
	return r ? r->members : 0;
}

size_t roster_record_admins(const roster_record *r)
{
	return r ? r->admins : 0;
}

/* ------------------------------------------------------------------ */
/* Listings                                                            */

struct roster_page {
	rs_alloc al;
	roster_id *ids;
	size_t count, total;
	char next[24];
	int has_next;
	char *long_next; /* a longer cursor (searches), else NULL */
};

int rs_page_set_next(roster_directory *dir, roster_page *p,
		     const char *cursor, size_t total)
{
	p->total = total;
	if (!cursor)
		return ROSTER_OK;
	if (!(p->long_next = rs_strdup(&dir->al, cursor)))
		return rs_nomem(dir);
	p->has_next = 1;
	return ROSTER_OK;
}

int rs_page_enter(roster_directory *dir, roster_page **out, size_t limit)
{
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (limit < 1 || limit > ROSTER_PAGE_MAX)
		return rs_fail_id(dir, ROSTER_EINVAL, "limit", "arg.range", limit);
	return ROSTER_OK;
}

int rs_page_of(roster_directory *dir, const roster_id *ids, size_t n,
	       roster_page **out)
{
	roster_page *p = rs_calloc(&dir->al, 1, sizeof(*p));

	if (!p || (n && !(p->ids = rs_calloc(&dir->al, n, sizeof(roster_id))))) {
		rs_free(&dir->al, p);
		return rs_nomem(dir);
	}
	p->al = dir->al;
	if (n)
		memcpy(p->ids, ids, n * sizeof(roster_id));
	p->count = p->total = n;
	*out = p;
	return ROSTER_OK;
}

static int parse_cursor(const char *c, roster_id *after)
{
	roster_id v = 0;
	size_t i;

	if (c[0] != 'c' || strlen(c) != 17)
		return -1;
	for (i = 1; c[i]; i++) {
		int d = rs_hex_digit(c[i]);
		if (d < 0)
			return -1;
		v = v << 4 | (roster_id)d;
	}
	*after = v;
	return 0;
}

int roster_list(roster_page **out, roster_directory *dir, roster_id parent,
		int kind, const char *cursor, size_t limit)
{
	const rs_idvec *v;
	roster_page *p;
	roster_id after = 0;
	size_t start, n;
	int rc;

	if ((rc = rs_page_enter(dir, out, limit)))
		return rc;
	if (kind < ROSTER_KIND_PARTNER || kind > ROSTER_KIND_USER)
		return rs_fail_id(dir, ROSTER_EINVAL, "kind", "arg.range",
				  (roster_id)(unsigned)kind);
	if (cursor && parse_cursor(cursor, &after))
		return rs_fail(dir, ROSTER_EINVAL, "cursor", "arg.cursor", cursor);
	if (!(v = siblings(dir, parent, kind)))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "parent",
				  "record.notfound", parent);
	start = rs_idvec_upper(v, after);
	n = v->len - start < limit ? v->len - start : limit;
	p = rs_calloc(&dir->al, 1, sizeof(*p));
	if (!p || (n && !(p->ids = rs_calloc(&dir->al, n, sizeof(roster_id))))) {
		rs_free(&dir->al, p);
		return rs_nomem(dir);
	}
	p->al = dir->al;
	if (n)
		memcpy(p->ids, v->ids + start, n * sizeof(roster_id));
	p->count = n;
	p->total = v->len;
	if (start + n < v->len) {
		p->has_next = 1;
		/* 16 digits always: a cursor cut short is refused, never
		 * read as an earlier id */
		snprintf(p->next, sizeof(p->next), "c%016llx",
			 (unsigned long long)p->ids[n - 1]);
	}
	*out = p;
	return ROSTER_OK;
}

roster_id rs_unit_named(const roster_directory *dir, roster_id parent,
			int kind, const char *key)
{
	const rs_idvec *v;
	size_t i;

	if (kind == ROSTER_KIND_USER ||
	    !(v = siblings((roster_directory *)dir, parent, kind)))
		return 0;
	for (i = 0; i < v->len; i++) {
		const rs_unit *n = (const rs_unit *)rs_get(dir, v->ids[i]);
		if (n && strcmp(n->name_key, key) == 0)
			return n->base.id;
	}
	return 0;
}

int roster_record_find(roster_id *out, roster_directory *dir,
		       roster_id parent, int kind, const char *name)
{
	char *nm = NULL, *key = NULL;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = 0;
	if (kind < ROSTER_KIND_PARTNER || kind >= ROSTER_KIND_USER)
		return rs_fail_id(dir, ROSTER_EINVAL, "kind", "arg.range",
				  (roster_id)(unsigned)kind);
	if (!siblings(dir, parent, kind))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "parent",
				  "record.notfound", parent);
	/* the name as one would be created: compared as names are kept
	 * unique, case aside */
	if ((rc = clean_name(dir, name, 0, &nm, &key)))
		return rc;
	*out = rs_unit_named(dir, parent, kind, key);
	rc = *out ? ROSTER_OK
		  : rs_fail(dir, ROSTER_ENOTFOUND, "name", "record.named", nm);
	rs_free(&dir->al, nm);
	rs_free(&dir->al, key);
	return rc;
}

size_t roster_page_count(const roster_page *p)
{
	return p ? p->count : 0;
}

roster_id roster_page_id(const roster_page *p, size_t i)
{
	return p && i < p->count ? p->ids[i] : 0;
}

const char *roster_page_next(const roster_page *p)
{
	return p && p->has_next ? (p->long_next ? p->long_next : p->next) : NULL;
}

size_t roster_page_total(const roster_page *p)
{
	return p ? p->total : 0;
}

void roster_page_free(roster_page *p)
{
	rs_alloc al;

	if (!p)
		return;
	al = p->al;
	rs_free(&al, p->ids);
	rs_free(&al, p->long_next);
	rs_free(&al, p);
}
