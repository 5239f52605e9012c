/* persist.c: loading a directory from its store and writing commits
 * (refresh.c reads the changes of other directories). */
#include "persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../search_index.h"
#include "../txn.h"
#include "../users.h"
#include "codec.h"

/* Times a commit renumbers its events after another directory took the
 * same sequence numbers, before it reports the conflict. */
#define EVENT_RETRIES 64

const char *rs_storage_check(const roster_storage *st)
{
	if (st->version < 1 || st->version > ROSTER_STORAGE_VERSION)
		return "version";
	if (!st->begin)
		return "begin";
	if (!st->commit)
		return "commit";
	if (!st->rollback)
		return "rollback";
	if (!st->put)
		return "put";
	if (!st->remove)
		return "remove";
	if (!st->scan)
		return "scan";
	return NULL;
}

int rs_storage_fail(roster_directory *dir, const char *method, int rc)
{
	const char *msg = NULL;

	/* errmsg is a callback like the others: a call back into the
	 * directory from it is refused (ROSTER_EMISUSE), a free deferred */
	if (dir->storage->errmsg) {
		int was = rs_hook_begin(dir);

		msg = dir->storage->errmsg(dir->store);
		rs_hook_end(dir, was);
	}

	/* a conflict is a version that differs, which only put, remove and
	 * commit check (roster/sys/storage.h); from begin or scan it would
	 * have the host look again and retry a failure of the store's */
	if (rc == ROSTER_ECONFLICT && strcmp(method, "begin") != 0 &&
	    strcmp(method, "scan") != 0)
		return rs_fail(dir, ROSTER_ECONFLICT, method, "storage.conflict",
			       msg);
	return rs_fail(dir, ROSTER_ESTORAGE, method, "storage.failed", msg);
}

/* A scan under way: the row callback it wraps, and how it stopped. */
typedef struct scan_guard {
	roster_storage_row_fn row;
	void *data;
	int stop;	   /* the non-zero result that stopped the scan */
	const char *fault; /* what the store did wrong, when it did */
} scan_guard;

/*
 * The row callback handed to a store. A store that goes on after a row
 * stopped its scan (and returns 0) would have a load skip the malformed
 * record that stopped it, and a refresh read half the changes; one that
 * hands a NULL value of some length would have the row read through it.
 * Such rows are not passed on.
 */
static int guard_row(const char *key, const void *value, size_t len,
		     uint64_t version, void *data)
{
	scan_guard *g = data;

	if (g->stop)
		return g->stop;
	if (!key || (!value && len)) {
		g->fault = !key ? "a row with a NULL key"
				: "a row with a NULL value";
		return g->stop = ROSTER_ESTORAGE;
	}
	/* 0 means "absent": a record held at it would be written back as
	 * a new key (a conflict every time), and a user's version, which
	 * is never 0, would expect nothing of a form made from it */
	if (!version) {
		g->fault = "a row at version 0";
		return g->stop = ROSTER_ESTORAGE;
	}
	return g->stop = g->row(key, value, len, version, g->data);
}

int rs_storage_scan(roster_directory *dir, const char *prefix,
		    roster_storage_row_fn row, void *data)
{
	scan_guard g = { row, data, 0, NULL };
	int was = rs_hook_begin(dir);
	int rc = dir->storage->scan(dir->store, prefix, guard_row, &g);

	rs_hook_end(dir, was);
	if (g.fault)
		return rs_fail(dir, ROSTER_ESTORAGE, "scan", "storage.failed",
			       g.fault);
	/* the row's own result, whatever the store returned with it; any
	 * other result is the scan's failure, recorded here (the error a
	 * directory holds from an earlier call may have the same code) */
	if (g.stop)
		return g.stop;
	return rc ? rs_storage_fail(dir, "scan", rc) : 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

/* A record the API could have written (persist.h). */
int rs_persist_check(roster_directory *dir, const rs_rec *r, const char *key,
		     int links)
{
	const rs_user *u = (const rs_user *)r;
	char why[96], where[128];
	int rc = r->kind != ROSTER_KIND_USER
			 ? rs_unit_check_stored(dir, (const rs_unit *)r, why,
						sizeof(why))
		 : links ? rs_user_check_links(dir, u, why, sizeof(why))
			 : rs_user_check_stored(dir, u, why, sizeof(why));

	if (rc != ROSTER_EPARSE)
		return rc;
	snprintf(where, sizeof(where), "%s: %s", key, why);
	return rs_fail(dir, ROSTER_EPARSE, "store", "storage.malformed", where);
}

/*
 * A user read from the store is checked (alone: its links wait for every
 * record, link_record), given its search keys and packed as soon as it
 * is decoded: its working copy is freed at once, so that the next user's
 * strings take the same memory again.
 */
static int finish_loaded(roster_directory *dir, rs_rec **rec, const char *key)
{
	rs_user *u = (rs_user *)*rec;
	int rc;

	if ((rc = rs_persist_check(dir, *rec, key, 0)) ||
	    (rc = rs_user_search_keys(dir, u)) ||
	    (rc = rs_user_publishable(dir, &u)))
		return rc;
	*rec = &u->base;
	return ROSTER_OK;
}

/* Records in the order a load read them. */
typedef struct rs_loaded {
	rs_rec **v;
	size_t n, cap;
} rs_loaded;

static int grow_loaded(roster_directory *dir, rs_loaded *l)
{
	size_t cap = l->cap ? l->cap + l->cap / 2 : 1024;
	rs_rec **v = rs_reallocarray(&dir->al, l->v, cap, sizeof(*v));

	if (!v)
		return -1;
	l->v = v;
	l->cap = cap;
	return 0;
}

/* A load under way: the records in the order read, so that the passes
 * after the scan read them from memory in the order they were made
 * (the records map gives them by identifier, which is that order only
 * for a directory that never replaced a record). */
typedef struct loading {
	roster_directory *dir;
	rs_loaded *out;
	size_t packs, products; /* users holding a pack, some products */
} loading;

int rs_persist_decode(roster_directory *dir, const char *key, roster_id id,
		      const void *value, size_t len, uint64_t version,
		      rs_rec **out)
{
	rs_rec *rec;
	const char *why;
	int rc;

	*out = NULL;
	rc = rs_decode(&dir->al, value, len, &rec, &why);
	if (rc == ROSTER_ENOMEM)
		return rs_nomem(dir);
	if (rc == 0 && (rec->id != id || id == UINT64_MAX))
		why = rec->id != id ? "key and id differ"
				    : "identifier out of range";
	if (rc || why) {
		char where[96];
		if (rec)
			rs_rec_release(&dir->al, rec, 1);
		snprintf(where, sizeof(where), "%s: %s", key, why);
		return rs_fail(dir, ROSTER_EPARSE, "store", "storage.malformed",
			       where);
	}
	rec->sver = version;
	if ((rc = rec->kind == ROSTER_KIND_USER
			  ? finish_loaded(dir, &rec, key)
			  : rs_persist_check(dir, rec, key, 0))) {
		rs_rec_release(&dir->al, rec, 1);
		return rc;
	}
	*out = rec;
	return ROSTER_OK;
}

static int load_row(const char *key, const void *value, size_t len,
		    uint64_t version, void *data)
{
	loading *ld = data;
	roster_directory *dir = ld->dir;
	roster_id id;
	rs_rec *rec;
	int rc;

	if (strcmp(key, RS_META_KEY) == 0 || strcmp(key, RS_EVENTS_KEY) == 0) {
		/* a counter is the next number to hand out; 2^64 - 1 when
		 * every one was (rs_new_id, write_events then refuse) */
		if (len != 8 || rs_le64_get(value) == 0)
			return rs_fail(dir, ROSTER_EPARSE, "store",
				       "storage.malformed", key);
		if (key[2] == 'c') {
			dir->stored_next_id = rs_le64_get(value);
			dir->meta_ver = version;
		} else {
			dir->stored_next_event = rs_le64_get(value);
			dir->events_ver = version;
		}
		return 0;
	}
	if ((id = rs_event_key_seq(key))) {
		/* the outbox is read by replay; here only its numbering */
		if (id > dir->max_event_seen)
			dir->max_event_seen = id;
		return 0;
	}
	if (!(id = rs_record_key_id(key))) {
		/* r/ and o/ are roster's: a key of another shape there is a
		 * record or an event that would go unseen */
		if ((key[0] == 'r' || key[0] == 'o') && key[1] == '/')
			return rs_fail(dir, ROSTER_EPARSE, "store",
				       "storage.malformed", key);
		return 0; /* not ours: other keys may share the store */
	}
	if (rs_get(dir, id)) {
		char where[96];
		snprintf(where, sizeof(where), "%s: identifier repeated", key);
		return rs_fail(dir, ROSTER_EPARSE, "store", "storage.malformed",
			       where);
	}
	if ((rc = rs_persist_decode(dir, key, id, value, len, version, &rec)))
		return rc;
	if (rs_idmap_reserve(&dir->al, &dir->records, id, NULL) ||
	    (ld->out->n == ld->out->cap && grow_loaded(dir, ld->out))) {
		rs_rec_release(&dir->al, rec, 1);
		return rs_nomem(dir);
	}
	rs_idmap_set(&dir->records, id, rec);
	ld->out->v[ld->out->n++] = rec;
	if (id >= dir->next_id)
		dir->next_id = id + 1;
	return 0;
}

/* Append without keeping order (sorted once all is loaded). */
static int push(roster_directory *dir, rs_idvec *v, roster_id id)
{
	if (rs_idvec_reserve(&dir->al, v, 1))
		return rs_nomem(dir);
	v->ids[v->len++] = id;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sort(rs_idvec *v)
{
	if (v->len > 1)
		qsort(v->ids, v->len, sizeof(uint64_t), cmp_id);
}

/* The expected kind of a record's parent. */
static int parent_kind(int kind)
{
	return kind == ROSTER_KIND_PARTNER ? 0
	       : kind == ROSTER_KIND_ACCOUNT ? ROSTER_KIND_PARTNER
					     : ROSTER_KIND_ACCOUNT;
}

static int cmp_unit(const void *a, const void *b)
{
	const rs_unit *x = *(const rs_unit *const *)a;
	const rs_unit *y = *(const rs_unit *const *)b;

	if (x->base.parent != y->base.parent)
		return x->base.parent < y->base.parent ? -1 : 1;
	if (x->base.kind != y->base.kind)
		return x->base.kind - y->base.kind;
	return strcmp(x->name_key, y->name_key);
}

/* Names are unique among the units of one kind under one parent. */
static int check_names(roster_directory *dir, const rs_loaded *units)
{
	const rs_unit **u;
	size_t i, n = units->n;
	int rc = ROSTER_OK;

	if (!n)
		return ROSTER_OK;
	/* sorted apart: the load order of units->v is kept */
	u = rs_calloc(&dir->al, n, sizeof(*u));
	if (!u)
		return rs_nomem(dir);
	memcpy(u, units->v, n * sizeof(*u));
	qsort(u, n, sizeof(*u), cmp_unit);
	for (i = 1; i < n && !rc; i++)
		if (cmp_unit(&u[i - 1], &u[i]) == 0) {
			char where[64];
			rs_record_key(where, u[i]->base.id);
			strcat(where, ": name.unique");
			rc = rs_fail(dir, ROSTER_EPARSE, "store",
				     "storage.inconsistent", where);
		}
	rs_free(&dir->al, u);
	return rc;
}

/* The users of each unit hold no more than it purchased (persist.h). */
int rs_persist_check_in_use(roster_directory *dir, rs_rec *const *units,
			    size_t nunits, int kind)
{
	size_t i, j, k, p, *used = NULL, cap = 0;
	int rc = ROSTER_OK;

	for (i = 0; i < nunits && !rc; i++) {
		const rs_unit *n = (const rs_unit *)units[i];
		const rs_stock *st;
		const rs_idvec *users;
		size_t nst;
		if (!n || n->base.kind != kind)
			continue;
		st = kind == ROSTER_KIND_SITE ? n->stock : n->bought;
		nst = kind == ROSTER_KIND_SITE ? n->nstock : n->nbought;
		if (nst > cap) {
			size_t *grown = rs_reallocarray(&dir->al, used, nst,
							sizeof(*used));
			if (!grown) {
				rc = rs_nomem(dir);
				break;
			}
			used = grown;
			cap = nst;
		}
		if (nst)
			memset(used, 0, nst * sizeof(*used));
		users = &n->members->users;
		for (j = 0; j < users->len && !rc; j++) {
			const rs_user *u = (const rs_user *)rs_get(dir, users->ids[j]);
			/* a site counts the pack, an account the products */
			size_t first = kind == ROSTER_KIND_SITE
					       ? ROSTER_FIELD_PACK
					       : RS_S_END + u->nlines;
			size_t nitems = kind == ROSTER_KIND_SITE
						? (size_t)(RS_STR(u, ROSTER_FIELD_PACK) != NULL)
						: u->nproducts;
			for (p = 0; p < nitems && !rc; p++) {
				const char *item = rs_user_s(u, first + p);
				for (k = 0; k < nst; k++)
					if (strcmp(st[k].item, item) == 0)
						break;
				if (k == nst || ++used[k] > st[k].purchased) {
					char where[64];
					rs_record_key(where, n->base.id);
					strcat(where, kind == ROSTER_KIND_SITE
							      ? ": stations"
							      : ": products");
					rc = rs_fail(dir, ROSTER_EPARSE, "store",
						     "storage.inconsistent", where);
				}
			}
		}
	}
	rs_free(&dir->al, used);
	return rc;
}

/* Attach one loaded record to its parent and indexes. */
static int link_record(roster_directory *dir, loading *ld, rs_rec *r)
{
	static const int refs[3][2] = { { ROSTER_FIELD_GROUP, ROSTER_KIND_GROUP },
					{ ROSTER_FIELD_SITE, ROSTER_KIND_SITE },
					{ ROSTER_FIELD_PBX, ROSTER_KIND_PBX } };
	char key[RS_KEY_SIZE];
	rs_user *u = (rs_user *)r;
	rs_rec *p = NULL;
	rs_members *m;
	size_t i;
	int rc;

	rs_record_key(key, r->id);
	if (r->kind == ROSTER_KIND_USER &&
	    (rc = rs_persist_check(dir, r, key, 1)))
		return rc;
	if (r->kind == ROSTER_KIND_PARTNER)
		return r->parent ? rs_fail(dir, ROSTER_EPARSE, "store",
					   "storage.inconsistent", key)
				 : push(dir, &dir->partners, r->id);
	p = rs_get_kind(dir, r->parent, parent_kind(r->kind));
	if (!p)
		return rs_fail(dir, ROSTER_EPARSE, "store",
			       "storage.inconsistent", key);
	m = RS_MEMBERS(p);
	switch (r->kind) {
	case ROSTER_KIND_ACCOUNT:
		return push(dir, &m->accounts, r->id);
	case ROSTER_KIND_SITE:
		return push(dir, &m->sites, r->id);
	case ROSTER_KIND_PBX:
		return push(dir, &m->pbxes, r->id);
	case ROSTER_KIND_GROUP:
		return push(dir, &m->groups, r->id);
	}
	/* a user: its account, its references, its unique keys */
	if (push(dir, &m->users, r->id))
		return dir->err.code;
	ld->packs += RS_STR(u, ROSTER_FIELD_PACK) != NULL;
	ld->products += u->nproducts != 0;
	if (RS_FLAG(u, ROSTER_FIELD_ADMIN))
		m->admins++;
	for (i = 0; i < 3; i++) {
		roster_id ref = RS_REF(u, refs[i][0]);
		rs_rec *t;
		if (!ref)
			continue;
		t = rs_get_kind(dir, ref, refs[i][1]);
		if (!t || t->parent != r->parent)
			return rs_fail(dir, ROSTER_EPARSE, "store",
				       "storage.inconsistent", key);
		if (push(dir, &RS_MEMBERS(t)->users, r->id))
			return dir->err.code;
	}
	return rs_user_index_load(dir, u, key);
}

/* Link the records read, check the rules across them and put the
 * member lists in order: `all` is every record, in the order read. */
static int link_all(roster_directory *dir, loading *ld, const rs_loaded *all)
{
	rs_loaded units = { NULL, 0, 0 };
	size_t i;
	int rc = ROSTER_OK;

	for (i = 0; i < all->n && !rc; i++) {
		rs_rec *r = all->v[i];
		if ((rc = link_record(dir, ld, r)) || r->kind == ROSTER_KIND_USER)
			continue;
		if (units.n == units.cap && grow_loaded(dir, &units))
			rc = rs_nomem(dir);
		else
			units.v[units.n++] = r;
	}
	/* the counts of items in use need users holding some */
	if (rc || (rc = check_names(dir, &units)) ||
	    (ld->packs && (rc = rs_persist_check_in_use(dir, units.v, units.n,
							ROSTER_KIND_SITE))) ||
	    (ld->products &&
	     (rc = rs_persist_check_in_use(dir, units.v, units.n,
					   ROSTER_KIND_ACCOUNT))))
		goto done;
	sort(&dir->partners);
	for (i = 0; i < units.n; i++) {
		rs_rec *r = units.v[i];
		sort(&RS_MEMBERS(r)->accounts);
		sort(&RS_MEMBERS(r)->users);
		sort(&RS_MEMBERS(r)->sites);
		sort(&RS_MEMBERS(r)->pbxes);
		sort(&RS_MEMBERS(r)->groups);
	}
done:
	rs_free(&dir->al, units.v);
	return rc;
}

int rs_persist_load(roster_directory *dir)
{
	rs_loaded all = { NULL, 0, 0 };
	loading ld = { dir, &all, 0, 0 };
	int rc = rs_storage_scan(dir, "", load_row, &ld);

	/* a failure of load_row is recorded by it, of the scan by
	 * rs_storage_scan */
	if (rc || (rc = link_all(dir, &ld, &all)))
		goto done;
	if (dir->stored_next_id > dir->next_id)
		dir->next_id = dir->stored_next_id;
	dir->stored_next_id = dir->next_id;
	if (dir->max_event_seen &&
	    dir->max_event_seen >= dir->stored_next_event) {
		char key[RS_KEY_SIZE];
		rs_event_key(key, dir->max_event_seen);
		rc = rs_fail(dir, ROSTER_EPARSE, "store",
			     "storage.inconsistent", key);
		goto done;
	}
	/* records scattered over the identifiers: not in pages */
	rs_idmap_tidy(&dir->al, &dir->records, 1);
	/* the build reads the records in the order read, not the map's */
	rc = rs_sindex_build(dir, all.v, all.n);
done:
	rs_free(&dir->al, all.v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Committing                                                          */

/* The net change of one record over the transaction. */
typedef struct change {
	roster_id id;
	rs_rec *first_old; /* as it was before the transaction (NULL: new) */
	rs_rec *last_new;  /* as it is now (NULL: removed) */
	uint64_t version;  /* written version */
} change;

/* Gather the net changes, one per record, in the order first changed. */
static int gather(roster_directory *dir, struct rs_txn *t, change **out,
		  size_t *n)
{
	rs_table seen = { NULL, 0, 0 };
	change *c;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (!t->nlog)
		return ROSTER_OK;
	c = rs_calloc(&dir->al, t->nlog, sizeof(*c));
	if (!c || rs_table_reserve(&dir->al, &seen, t->nlog)) {
		rs_free(&dir->al, c);
		rs_table_free(&dir->al, &seen);
		return rs_nomem(dir);
	}
	for (i = 0; i < t->nlog; i++) {
		const rs_undo *u = &t->log[i];
		uint64_t at;
		if (u->op != U_REC)
			continue;
		at = rs_table_get(&seen, u->a);
		if (at) {
			c[at - 1].last_new = u->new_rec;
			continue;
		}
		c[k].id = u->a;
		c[k].first_old = u->old_rec;
		c[k].last_new = u->new_rec;
		rs_table_insert(&seen, u->a, ++k);
	}
	rs_table_free(&dir->al, &seen);
	*out = c;
	*n = k;
	return ROSTER_OK;
}

/* A put that succeeded answering version 0, which means "absent"
 * (roster/sys/storage.h: never 0): kept, the record's next write would
 * expect no key, and a user's version would expect nothing of a form. */
static int zero_version(roster_directory *dir)
{
	return rs_fail(dir, ROSTER_ESTORAGE, "put", "storage.failed",
		       "a write answered version 0");
}

/* Write the net record changes and, when needed, the counters record. */
static int write_records(roster_directory *dir, change *c, size_t n,
			 int touch_keys, uint64_t *meta_ver)
{
	const roster_storage *st = dir->storage;
	char key[RS_KEY_SIZE];
	unsigned char meta[8], *buf;
	size_t i, len;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		uint64_t expected = c[i].first_old ? c[i].first_old->sver : 0;

		if (!c[i].first_old && !c[i].last_new)
			continue; /* made and removed in the transaction */
		rs_record_key(key, c[i].id);
		if (!c[i].last_new) {
			if ((rc = st->remove(dir->store, key, expected)))
				rc = rs_storage_fail(dir, "remove", rc);
			continue;
		}
		if (rs_encode(&dir->al, c[i].last_new, &buf, &len))
			return rs_nomem(dir);
		c[i].version = 0; /* not the last attempt's */
		if ((rc = st->put(dir->store, key, buf, len, expected,
				  &c[i].version)))
			rc = rs_storage_fail(dir, "put", rc);
		else if (!c[i].version)
			rc = zero_version(dir);
		rs_free(&dir->al, buf);
	}
	if (!rc && (dir->next_id != dir->stored_next_id || touch_keys)) {
		uint64_t v = 0; /* a put that succeeds setting none: 0 */

		rs_le64_put(meta, dir->next_id);
		if ((rc = st->put(dir->store, RS_META_KEY, meta, sizeof(meta),
				  dir->meta_ver, &v)))
			rc = rs_storage_fail(dir, "put", rc);
		else if (!v)
			rc = zero_version(dir);
		else
			*meta_ver = v;
	}
	return rc;
}

/*
 * The records a decision relied on and the transaction does not write
 * (the acting users', txn.c): checked to be at the version read, by a
 * store that can check (storage.h: a store without check is not asked,
 * as writing the record again in its place would give the actor a new
 * version at every change it makes, and its concurrent changes through
 * other directories conflicts).
 */
static int check_vouched(roster_directory *dir, struct rs_txn *t,
			 const change *c, size_t n)
{
	const roster_storage *st = dir->storage;
	char key[RS_KEY_SIZE];
	size_t i, j;
	int rc;

	if (st->version < 2 || !st->check)
		return ROSTER_OK;
	for (i = 0; i < t->nvouch; i++) {
		const rs_rec *r = rs_get(dir, t->vouch[i]);

		for (j = 0; j < n && c[j].id != t->vouch[i]; j++)
			;
		if (!r || j < n)
			continue; /* written on the version read */
		rs_record_key(key, t->vouch[i]);
		if ((rc = st->check(dir->store, key, r->sver)))
			return rs_storage_fail(dir, "check", rc);
	}
	return ROSTER_OK;
}

/*
 * Number the events from the store's event counter, write each under its
 * outbox key and advance the counter. Returns 1 when another directory
 * took these numbers first (a conflict that renumbering resolves).
 */
static int write_events(roster_directory *dir, struct rs_txn *t,
			uint64_t *events_ver)
{
	const roster_storage *st = dir->storage;
	uint64_t seq = dir->stored_next_event ? dir->stored_next_event : 1;
	char key[RS_KEY_SIZE];
	unsigned char b[8], *buf;
	size_t i, len;
	uint64_t version;
	int rc;

	/* numbers end at 2^64 - 2, as ids do: the counter stays above 0 */
	if (t->nevents > UINT64_MAX - seq)
		return rs_fail(dir, ROSTER_ERROR, "events", "id.exhausted",
			       NULL);
	for (i = 0; i < t->nevents; i++) {
		t->events[i].seq = seq++;
		rs_event_key(key, t->events[i].seq);
		if (rs_event_encode(&dir->al, &t->events[i], &buf, &len))
			return rs_nomem(dir);
		rc = st->put(dir->store, key, buf, len, 0, &version);
		rs_free(&dir->al, buf);
		if (rc == ROSTER_ECONFLICT)
			return 1;
		if (rc)
			return rs_storage_fail(dir, "put", rc);
	}
	rs_le64_put(b, seq);
	version = 0;
	rc = st->put(dir->store, RS_EVENTS_KEY, b, sizeof(b), dir->events_ver,
		     &version);
	if (rc == ROSTER_ECONFLICT)
		return 1;
	if (rc)
		return rs_storage_fail(dir, "put", rc);
	if (!version)
		return zero_version(dir);
	*events_ver = version;
	return 0;
}

static int counter_row(const char *key, const void *value, size_t len,
		       uint64_t version, void *data)
{
	roster_directory *dir = data;

	if (strcmp(key, RS_EVENTS_KEY) != 0)
		return 0;
	if (len != 8 || rs_le64_get(value) == 0)
		return rs_fail(dir, ROSTER_EPARSE, "store", "storage.malformed",
			       key);
	dir->stored_next_event = rs_le64_get(value);
	dir->events_ver = version;
	return 0;
}

/* Read the event counter again, after another directory moved it. */
static int read_event_counter(roster_directory *dir)
{
	return rs_storage_scan(dir, RS_EVENTS_KEY, counter_row, dir);
}

static int persist_commit(roster_directory *dir, struct rs_txn *t);

/* Without a store, the directory numbers the versions it commits itself,
 * so that a record's version changes with each commit as a store's does
 * (roster_user_version): each new version gets the next number. */
static void number(roster_directory *dir, const struct rs_txn *t)
{
	size_t i;

	for (i = 0; i < t->nlog; i++)
		if (t->log[i].op == U_REC && t->log[i].new_rec)
			t->log[i].new_rec->sver = ++dir->local_ver;
}

int rs_persist_commit(roster_directory *dir, struct rs_txn *t)
{
	/* the store's methods run as callbacks: rs_hook_begin */
	int was = rs_hook_begin(dir), rc = persist_commit(dir, t);

	rs_hook_end(dir, was);
	return rc;
}

static int persist_commit(roster_directory *dir, struct rs_txn *t)
{
	const roster_storage *st = dir->storage;
	uint64_t meta_ver = dir->meta_ver, events_ver = 0, next_event = 0;
	int events = dir->outbox && t->nevents, tries = 0;
	const uint64_t next_event_was = dir->stored_next_event;
	const uint64_t events_ver_was = dir->events_ver;
	change *c;
	size_t n, i;
	int rc;

	if (!st) {
		number(dir, t);
		return ROSTER_OK;
	}
	if ((rc = gather(dir, t, &c, &n)))
		return rc;
	if (!n && dir->next_id == dir->stored_next_id && !t->touch_keys &&
	    !events) {
		rs_free(&dir->al, c);
		return ROSTER_OK;
	}
	for (;;) {
		int renumber = 0;

		if ((rc = st->begin(dir->store))) {
			rs_free(&dir->al, c);
			return rs_storage_fail(dir, "begin", rc);
		}
		rc = write_records(dir, c, n, t->touch_keys, &meta_ver);
		if (!rc)
			rc = check_vouched(dir, t, c, n);
		if (!rc && events) {
			rc = write_events(dir, t, &events_ver);
			renumber = rc == 1;
			next_event = t->events[t->nevents - 1].seq + 1;
		}
		if (!rc && (rc = st->commit(dir->store)))
			rc = rs_storage_fail(dir, "commit", rc);
		if (!rc)
			break;
		/* keep the error of the failing call; rollback's own failure
		 * changes nothing more */
		if (renumber ||
		    !(dir->err.code == rc && strcmp(dir->err.field, "commit") == 0))
			st->rollback(dir->store);
		/* only the event numbers were taken: number them again */
		if (renumber && ++tries < EVENT_RETRIES &&
		    !(rc = read_event_counter(dir)))
			continue;
		if (renumber && rc == 1)
			rc = rs_storage_fail(dir, "put", ROSTER_ECONFLICT);
		/* a failed commit leaves the directory as it found it, the
		 * counter it may have read again included */
		dir->stored_next_event = next_event_was;
		dir->events_ver = events_ver_was;
		rs_free(&dir->al, c);
		return rc;
	}
	for (i = 0; i < n; i++)
		if (c[i].last_new)
			c[i].last_new->sver = c[i].version;
	dir->meta_ver = meta_ver;
	dir->stored_next_id = dir->next_id;
	if (events) {
		dir->stored_next_event = next_event;
		dir->events_ver = events_ver;
	}
	rs_free(&dir->al, c);
	return ROSTER_OK;
}
