/*
 * refresh.c: bringing a directory up to what its store holds now, other
 * directories' commits included.
 *
 * A refresh scans the keys and versions of the records and counters.
 * Every version a store hands out is new, so a record whose key holds the
 * version this directory read or wrote is as the directory has it; only
 * the others are decoded. Then:
 *  - nothing changed: nothing more is done;
 *  - only users were created, changed or deleted (units may have been
 *    written again as they were, as a user's creation writes its account
 *    so that racing writers conflict): the users read replace the ones
 *    held in one transaction, checked as an open checks them, undone
 *    whole if anything fails (rs_user_unlink_read, rs_user_link_read);
 *  - anything else (a unit created, changed or deleted, more users changed
 *    than a reading of everything costs, a record the checks refuse): the
 *    whole store is read into a new model, as an open does, which also
 *    reports a faulty store as an open would.
 */
#include "persist.h"

#include <string.h>

#include "../txn.h"
#include "../users.h"
#include "codec.h"

/* A user the store holds another version of. */
typedef struct read_user {
	rs_rec *old; /* the version held; NULL: new */
	rs_rec *cur; /* the version read; NULL: deleted */
	int put;     /* published: the transaction owns `cur` */
} read_user;

/* A record the store holds again as it was, at a new version. */
typedef struct rewritten {
	rs_rec *rec;
	uint64_t version;
} rewritten;

typedef struct reading {
	roster_directory *dir;
	unsigned char *seen; /* a bit per identifier stored below `below`
				(find_deleted) */
	roster_id below;
	size_t same;	     /* records held at the version stored */
	size_t most;	     /* records read beyond which all is read */
	read_user *users;
	size_t nusers, capusers;
	rewritten *again;
	size_t nagain, capagain;
	int all;   /* read the whole store */
	int nomem; /* recorded */
	int meta, events; /* the counters seen, their versions and values */
	uint64_t meta_ver, events_ver, next_id, next_event;
} reading;

#define STOP 1 /* ends a scan: above any storage code */

/* The whole store must be read. */
static int read_all(reading *c)
{
	c->all = 1;
	return STOP;
}

static int out_of_memory(reading *c)
{
	rs_nomem(c->dir);
	c->nomem = 1;
	return STOP;
}


static int add_user(reading *c, rs_rec *old, rs_rec *cur)
{
	if (c->nusers == c->capusers) {
		size_t cap = c->capusers ? c->capusers * 2 : 16;
		read_user *v = rs_reallocarray(&c->dir->al, c->users, cap,
					       sizeof(*v));
		if (!v)
			return -1;
		c->users = v;
		c->capusers = cap;
	}
	c->users[c->nusers].old = old;
	c->users[c->nusers].cur = cur;
	c->users[c->nusers++].put = 0;
	return 0;
}

static int add_again(reading *c, rs_rec *rec, uint64_t version)
{
	if (c->nagain == c->capagain) {
		size_t cap = c->capagain ? c->capagain * 2 : 16;
		rewritten *v = rs_reallocarray(&c->dir->al, c->again, cap,
					       sizeof(*v));
		if (!v)
			return -1;
		c->again = v;
		c->capagain = cap;
	}
	c->again[c->nagain].rec = rec;
	c->again[c->nagain++].version = version;
	return 0;
}

/* Is `value` the stored form of `r`? 1, 0, or -1 out of memory. */
static int stored_as(roster_directory *dir, const rs_rec *r, const void *value,
		     size_t len)
{
	unsigned char *buf;
	size_t n;
	int same;

	if (rs_encode(&dir->al, r, &buf, &n))
		return -1;
	same = n == len && memcmp(buf, value, n) == 0;
	rs_free(&dir->al, buf);
	return same;
}

static int read_row(const char *key, const void *value, size_t len,
		    uint64_t version, void *data)
{
	reading *c = data;
	roster_directory *dir = c->dir;
	rs_rec *r, *rec;
	roster_id id;
	int rc;

	if (strcmp(key, RS_META_KEY) == 0 || strcmp(key, RS_EVENTS_KEY) == 0) {
		if (len != 8 || rs_le64_get(value) == 0)
			return read_all(c); /* which reports it */
		if (key[2] == 'c') {
			c->meta = 1;
			c->meta_ver = version;
			c->next_id = rs_le64_get(value);
		} else {
			c->events = 1;
			c->events_ver = version;
			c->next_event = rs_le64_get(value);
		}
		return 0;
	}
	if (strncmp(key, "r/", 2) != 0)
		return 0;
	if (!(id = rs_record_key_id(key)))
		return read_all(c);
	r = rs_get(dir, id);
	if (r && r->sver == version) {
		c->same++;
		return 0;
	}
	if (c->nusers + c->nagain >= c->most)
		return read_all(c);
	if (r && r->kind != ROSTER_KIND_USER) {
		/* a unit: only written again as it was */
		if ((rc = stored_as(dir, r, value, len)) < 0 ||
		    (rc && add_again(c, r, version)))
			return out_of_memory(c);
		return rc ? 0 : read_all(c);
	}
	rc = rs_persist_decode(dir, key, id, value, len, version, &rec);
	if (rc == ROSTER_ENOMEM) {
		c->nomem = 1;
		return STOP;
	}
	if (rc)
		return read_all(c);
	if (rec->kind != ROSTER_KIND_USER) {
		rs_rec_release(&dir->al, rec, 1);
		return read_all(c);
	}
	if (add_user(c, r, rec)) {
		rs_rec_release(&dir->al, rec, 1);
		return out_of_memory(c);
	}
	return 0;
}

static int see_row(const char *key, const void *value, size_t len,
		   uint64_t version, void *data)
{
	reading *c = data;
	roster_id id = rs_record_key_id(key);

	(void)value;
	(void)len;
	(void)version;
	if (id && id < c->below)
		c->seen[id >> 3] |= (unsigned char)(1u << (id & 7));
	return 0;
}

static int seen(const reading *c, roster_id id)
{
	return id < c->below && (c->seen[id >> 3] >> (id & 7)) & 1;
}

/* No more than this many identifiers a record get a bit of `seen`. */
#define SEEN_SPREAD 64

/*
 * The records held that the store no longer has: users to delete, or a
 * unit, for which everything is read again. Fewer records held at their
 * version or read again than the directory has: the keys are scanned
 * once more, marking the identifiers stored. 0, STOP, or a storage code.
 */
static int find_deleted(reading *c)
{
	roster_directory *dir = c->dir;
	size_t held = c->same + c->nagain, i;
	uint64_t pos = 0;
	rs_rec *r;
	int rc, was;

	for (i = 0; i < c->nusers; i++)
		held += c->users[i].old != NULL;
	if (held == dir->records.count)
		return 0;
	c->below = dir->next_id;
	if (c->below / SEEN_SPREAD > dir->records.count + 4096)
		return read_all(c); /* too far apart for a bitmap */
	if (!(c->seen = rs_calloc(&dir->al, c->below / 8 + 1, 1)))
		return out_of_memory(c);
	was = rs_hook_begin(dir);
	rc = dir->storage->scan(dir->store, "r/", see_row, c);
	rs_hook_end(dir, was);
	if (rc)
		return rc;
	while ((r = rs_idmap_next(&dir->records, &pos))) {
		if (seen(c, r->id))
			continue;
		if (r->kind != ROSTER_KIND_USER)
			return read_all(c);
		if (add_user(c, r, NULL))
			return out_of_memory(c);
	}
	return 0;
}

/* Sites and accounts whose items in use the users read may change: the
 * site of a user holding a pack, the account of one holding products. */
static int affected_units(reading *c, rs_rec ***out, size_t *n)
{
	roster_directory *dir = c->dir;
	rs_table seen_units = { NULL, 0, 0 };
	rs_rec **v = NULL;
	size_t i, k, cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < c->nusers && !rc; i++)
		for (k = 0; k < 2 && !rc; k++) {
			const rs_user *u = (const rs_user *)(k ? c->users[i].cur
							      : c->users[i].old);
			roster_id unit[2];
			size_t j;
			if (!u)
				continue;
			unit[0] = RS_STR(u, ROSTER_FIELD_PACK)
					  ? RS_REF(u, ROSTER_FIELD_SITE)
					  : 0;
			unit[1] = u->nproducts ? u->base.parent : 0;
			for (j = 0; j < 2 && !rc; j++) {
				rs_rec *r = unit[j] ? rs_get(dir, unit[j]) : NULL;
				if (!r || rs_table_get(&seen_units, unit[j]))
					continue;
				if (*n == cap) {
					size_t grown = cap ? cap * 2 : 8;
					rs_rec **w = rs_reallocarray(
						&dir->al, v, grown, sizeof(*w));
					if (!w) {
						rc = -1;
						break;
					}
					v = w;
					cap = grown;
				}
				if (rs_table_reserve(&dir->al, &seen_units, 1)) {
					rc = -1;
					break;
				}
				rs_table_insert(&seen_units, unit[j], 1);
				v[(*n)++] = r;
			}
		}
	rs_table_free(&dir->al, &seen_units);
	if (rc) {
		rs_free(&dir->al, v);
		*n = 0;
		return rs_nomem(dir);
	}
	*out = v;
	return 0;
}

/* Replace the users held by the users read, in one transaction. */
static int apply(reading *c)
{
	roster_directory *dir = c->dir;
	rs_rec **units = NULL;
	size_t i, nunits = 0;
	rs_op op;
	int rc = 0;

	rs_op_begin(dir, &op);
	for (i = 0; i < c->nusers && !rc; i++)
		if (c->users[i].old)
			rc = rs_user_unlink_read(dir, (rs_user *)c->users[i].old,
						 (rs_user *)c->users[i].cur);
	for (i = 0; i < c->nusers && !rc; i++) {
		read_user *u = &c->users[i];
		char key[RS_KEY_SIZE];
		if (!u->cur)
			continue;
		rs_record_key(key, u->cur->id);
		rc = rs_user_link_read(dir, (rs_user *)u->cur, (rs_user *)u->old,
				       key);
		/* published last: from then on the transaction owns it */
		u->put = rc == 0;
	}
	if (!rc && !(rc = affected_units(c, &units, &nunits)) &&
	    !(rc = rs_persist_check_in_use(dir, units, nunits,
					   ROSTER_KIND_SITE)))
		rc = rs_persist_check_in_use(dir, units, nunits,
					     ROSTER_KIND_ACCOUNT);
	rs_free(&dir->al, units);
	return rs_op_end_read(dir, &op, rc);
}

/* Read the whole store into a new model, then put it in place. */
static int reload(roster_directory *dir)
{
	roster_directory fresh;
	int rc, was;

	memset(&fresh, 0, sizeof(fresh));
	fresh.al = dir->al;
	fresh.lang = dir->lang;
	fresh.seed = dir->seed;
	fresh.storage = dir->storage;
	fresh.store = dir->store;
	fresh.next_id = 1;
	/* the store's methods may not call back into this directory */
	was = rs_hook_begin(dir);
	rc = rs_persist_load(&fresh);
	rs_hook_end(dir, was);
	/* the checks read the default catalog, as at open (a host's catalog
	 * is set after it), and took a reference to it: given back */
	roster_catalog_free(fresh.catalog);
	fresh.catalog = NULL;
	if (rc) {
		dir->err = fresh.err;
		rs_model_free(&fresh);
		return rc;
	}
	rs_model_free(dir);
	dir->records = fresh.records;
	dir->partners = fresh.partners;
	dir->emails = fresh.emails;
	dir->lines = fresh.lines;
	dir->extensions = fresh.extensions;
	dir->sindex = fresh.sindex;
	dir->next_id = fresh.next_id;
	dir->stored_next_id = fresh.stored_next_id;
	dir->meta_ver = fresh.meta_ver;
	dir->stored_next_event = fresh.stored_next_event;
	dir->events_ver = fresh.events_ver;
	return ROSTER_OK;
}

/* Free what a reading holds; the users read and not published too. */
static void reading_free(reading *c)
{
	size_t i;

	for (i = 0; i < c->nusers; i++)
		if (c->users[i].cur && !c->users[i].put)
			rs_rec_release(&c->dir->al, c->users[i].cur, 1);
	rs_free(&c->dir->al, c->users);
	rs_free(&c->dir->al, c->again);
	rs_free(&c->dir->al, c->seen);
}

/* Once the users read are in place: the versions of the units written
 * again, and the counters as read (next_id as a load sets it). */
static void take_versions(roster_directory *dir, const reading *c)
{
	size_t i;

	for (i = 0; i < c->nagain; i++)
		c->again[i].rec->sver = c->again[i].version;
	for (i = 0; i < c->nusers; i++)
		if (c->users[i].cur && c->users[i].cur->id >= dir->next_id)
			dir->next_id = c->users[i].cur->id + 1;
	if (c->meta) {
		dir->meta_ver = c->meta_ver;
		if (c->next_id > dir->next_id)
			dir->next_id = c->next_id;
	}
	dir->stored_next_id = dir->next_id;
	if (c->events) {
		dir->stored_next_event = c->next_event;
		dir->events_ver = c->events_ver;
	}
}

int rs_persist_refresh(roster_directory *dir)
{
	reading c;
	roster_error before = dir->err;
	int rc, was;

	memset(&c, 0, sizeof(c));
	c.dir = dir;
	c.most = dir->records.count / 4 + 1024;
	was = rs_hook_begin(dir);
	rc = dir->storage->scan(dir->store, "r/", read_row, &c);
	if (rc == 0)
		rc = dir->storage->scan(dir->store, "m/", read_row, &c);
	rs_hook_end(dir, was);
	if (rc == 0 && !c.all)
		rc = find_deleted(&c);
	if (c.nomem || (rc && rc != STOP)) {
		if (!c.nomem)
			rs_storage_fail(dir, "scan", rc);
		reading_free(&c);
		return dir->err.code;
	}
	/* a counter vanished: as a reading of everything would see it */
	if (!c.all && (c.meta != (dir->meta_ver != 0) ||
		       c.events != (dir->events_ver != 0)))
		c.all = 1;
	if (!c.all && !c.nusers && !c.nagain &&
	    (!c.meta || c.meta_ver == dir->meta_ver) &&
	    (!c.events || c.events_ver == dir->events_ver)) {
		reading_free(&c);
		return ROSTER_OK; /* nothing new */
	}
	if (!c.all && c.nusers && (rc = apply(&c)) != ROSTER_OK) {
		if (rc != ROSTER_EPARSE) {
			reading_free(&c);
			return rc;
		}
		c.all = 1; /* which names the fault as an open would */
	}
	if (c.all) {
		reading_free(&c);
		dir->err = before;
		return reload(dir);
	}
	take_versions(dir, &c);
	reading_free(&c);
	return ROSTER_OK;
}
