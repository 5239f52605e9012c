/*
 * refresh.c: bringing a directory up to what its store holds now, other
 * directories' commits included.
 *
 * A refresh scans the keys and versions of the counters, then of the
 * records (read_changes). Every version a store hands out is new, so a
 * record whose key holds the version this directory read or wrote is as
 * the directory has it; the others are copied as stored, and a unit
 * written again as it was (a user's creation writes its account, so that
 * racing writers conflict) only takes its new version. Then:
 *  - nothing changed: nothing more is done;
 *  - records were created, changed or deleted: the outbox's keys are
 *    checked against the event counter, and the records read are decoded,
 *    checked as a load checks them, and put in place (by identifier, in
 *    whatever order the store scanned them) in one transaction,
 *    undone whole if anything fails (units created and changed first,
 *    parents before children; every user leaving, rs_user_unlink_read,
 *    before any arriving, rs_user_link_read; units deleted, children
 *    first; then the units' names and the items in use);
 *  - more records changed than reading everything costs, a record changing
 *    kind, an account created below one held (the search index numbers
 *    accounts by identifier) or with the handle out of search ordinals,
 *    or one the checks refuse: the whole store
 *    is read into a new model, as an open does, which also reports a
 *    faulty store as an open would.
 */
#include "persist.h"

#include <stdlib.h>
#include <string.h>

#include "../txn.h"
#include "../users.h"
#include "codec.h"

/* A record created, changed or deleted since the directory read it. */
typedef struct read_rec {
	rs_rec *old; /* the version held; NULL: new */
	rs_rec *cur; /* the version read (decode_read); NULL: deleted */
	int put;     /* published: the transaction owns `cur` */
	roster_id id;
	uint64_t version;
	unsigned char *bytes; /* as stored, until decoded */
	size_t len;
} read_rec;

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
	unsigned char *held; /* a bit per identifier below `held_below`
				counted in `same`, so that a key handed
				twice is not counted twice (NULL when the
				identifiers are too far apart) */
	roster_id held_below;
	size_t most;	     /* records read beyond which all is read */
	read_rec *recs;
	size_t nrecs, caprecs;
	rewritten *again;
	size_t nagain, capagain;
	int all;   /* read the whole store */
	int nomem; /* recorded */
	int meta, events; /* the counters seen, their versions and values */
	uint64_t meta_ver, events_ver, next_id, next_event;
	uint64_t last_event; /* the outbox's last entry (check_outbox) */
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

/* A record to read (`bytes`, copied) or deleted (`old` alone). */
static int add_read(reading *c, rs_rec *old, roster_id id, uint64_t version,
		    const void *bytes, size_t len)
{
	read_rec *r = rs_array_room(&c->dir->al, c->recs, c->nrecs,
				    &c->caprecs, sizeof(*r), 16);

	if (!r)
		return -1;
	c->recs = r;
	r += c->nrecs;
	memset(r, 0, sizeof(*r));
	if (bytes && !(r->bytes = rs_malloc(&c->dir->al, len ? len : 1)))
		return -1;
	if (bytes)
		memcpy(r->bytes, bytes, len);
	r->old = old;
	r->id = id;
	r->version = version;
	r->len = len;
	c->nrecs++;
	return 0;
}

static int add_again(reading *c, rs_rec *rec, uint64_t version)
{
	rewritten *v = rs_array_room(&c->dir->al, c->again, c->nagain,
				     &c->capagain, sizeof(*v), 16);

	if (!v)
		return -1;
	c->again = v;
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

/* A counter (RS_META_KEY or RS_EVENTS_KEY): its version and value. */
static int read_counter(reading *c, const char *key, const void *value,
			size_t len, uint64_t version)
{
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

/* A counter, or a record: held at this version, written again as it
 * was, or copied to be read. */
static int read_row(const char *key, const void *value, size_t len,
		    uint64_t version, void *data)
{
	reading *c = data;
	roster_directory *dir = c->dir;
	rs_rec *r;
	roster_id id;
	int rc;

	if (strcmp(key, RS_META_KEY) == 0 || strcmp(key, RS_EVENTS_KEY) == 0)
		return read_counter(c, key, value, len, version);
	if (strncmp(key, "r/", 2) != 0)
		return 0;
	if (!(id = rs_record_key_id(key)))
		return read_all(c);
	r = rs_get(dir, id);
	if (r && r->sver == version) {
		/* counted twice, it would hide a record deleted from
		 * find_deleted: a reading of everything refuses the store */
		if (c->held && id < c->held_below) {
			unsigned char bit = (unsigned char)(1u << (id & 7));
			if (c->held[id >> 3] & bit)
				return read_all(c);
			c->held[id >> 3] |= bit;
		}
		c->same++;
		return 0;
	}
	if (c->nrecs + c->nagain >= c->most)
		return read_all(c);
	if (r && r->kind != ROSTER_KIND_USER) {
		/* a unit written again as it was takes the new version */
		if ((rc = stored_as(dir, r, value, len)) < 0 ||
		    (rc && add_again(c, r, version)))
			return out_of_memory(c);
		if (rc)
			return 0;
	}
	/* decoded once the scan found nothing that reads everything */
	return add_read(c, r, id, version, value, len) ? out_of_memory(c) : 0;
}

/* Decode the records read, checking each alone as a load does. 0,
 * or STOP with c->all (a record the checks refuse, or changing kind) or
 * c->nomem. */
static int decode_read(reading *c)
{
	roster_directory *dir = c->dir;
	size_t i;

	for (i = 0; i < c->nrecs; i++) {
		read_rec *r = &c->recs[i];
		char key[RS_KEY_SIZE];
		int rc;

		if (!r->bytes)
			continue;
		rs_record_key(key, r->id);
		rc = rs_persist_decode(dir, key, r->id, r->bytes, r->len,
				       r->version, &r->cur);
		rs_free(&dir->al, r->bytes);
		r->bytes = NULL;
		if (rc == ROSTER_ENOMEM) {
			c->nomem = 1;
			return STOP;
		}
		if (rc)
			return read_all(c); /* which names the fault */
		if (r->old && r->cur->kind != r->old->kind)
			return read_all(c);
		/* an account takes the next ordinal of the search index, which
		 * numbers accounts by identifier: one below an account held
		 * would be listed out of place */
		if (!r->old && r->cur->kind == ROSTER_KIND_ACCOUNT &&
		    r->id < dir->next_id)
			return read_all(c);
	}
	return 0;
}

static int cmp_read(const void *a, const void *b)
{
	roster_id x = ((const read_rec *)a)->id, y = ((const read_rec *)b)->id;

	return x < y ? -1 : x > y;
}

/* Scan the keys starting with `prefix` into the reading (the store's
 * methods may not call back into the directory). 0, STOP, or a failure
 * of the scan, recorded (rs_storage_scan). */
static int scan_keys(reading *c, const char *prefix, roster_storage_row_fn row)
{
	return rs_storage_scan(c->dir, prefix, row, c);
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

/* A bitmap of the identifiers below `below` (`seen`, `held`) is made as
 * long as there are no more than SEEN_SPREAD of them a record. */
#define SEEN_SPREAD 64

static int bitmap_fits(const roster_directory *dir, roster_id below)
{
	return below / SEEN_SPREAD <= dir->records.count + 4096;
}

/*
 * The records held that the store no longer has, to delete. When fewer
 * records are held at their version or read again than the directory
 * has, the keys are scanned once more, marking the identifiers stored.
 * 0, STOP, or a storage code.
 */
static int find_deleted(reading *c)
{
	roster_directory *dir = c->dir;
	size_t held = c->same + c->nagain, i;
	uint64_t pos = 0;
	rs_rec *r;
	int rc;

	for (i = 0; i < c->nrecs; i++)
		held += c->recs[i].old != NULL;
	if (held == dir->records.count)
		return 0;
	/* the records read are marked too, the new ones included */
	c->below = dir->next_id;
	for (i = 0; i < c->nrecs; i++) {
		if (c->recs[i].id == UINT64_MAX)
			return read_all(c); /* out of range: which names it */
		if (c->recs[i].id >= c->below)
			c->below = c->recs[i].id + 1;
	}
	if (!bitmap_fits(dir, c->below))
		return read_all(c); /* too far apart for a bitmap */
	if (!(c->seen = rs_calloc(&dir->al, c->below / 8 + 1, 1)))
		return out_of_memory(c);
	if ((rc = scan_keys(c, "r/", see_row)))
		return rc;
	/* a record read (changed, created, or written again as it was) and
	 * deleted since: the reading is not one state of the store (and a
	 * unit written again would be given its version once freed) */
	for (i = 0; i < c->nrecs; i++)
		if (!seen(c, c->recs[i].id))
			return read_all(c);
	for (i = 0; i < c->nagain; i++)
		if (!seen(c, c->again[i].rec->id))
			return read_all(c);
	while ((r = rs_idmap_next(&dir->records, &pos))) {
		if (seen(c, r->id))
			continue;
		if (add_read(c, r, r->id, 0, NULL, 0))
			return out_of_memory(c);
	}
	return 0;
}

static int is_user(const read_rec *r)
{
	return (r->old ? r->old : r->cur)->kind == ROSTER_KIND_USER;
}

/* Add unit `id` (0: none) to the units whose items in use are counted,
 * once. 0 or -1 out of memory. */
static int add_unit(roster_directory *dir, rs_table *seen, rs_rec ***v,
		    size_t *n, size_t *cap, roster_id id)
{
	rs_rec *r = id ? rs_get(dir, id) : NULL;
	rs_rec **w;

	if (!r || rs_table_get(seen, id))
		return 0;
	if (!(w = rs_array_room(&dir->al, *v, *n, cap, sizeof(*w), 8)))
		return -1;
	*v = w;
	if (rs_table_reserve(&dir->al, seen, 1))
		return -1;
	rs_table_insert(seen, id, 1);
	(*v)[(*n)++] = r;
	return 0;
}

/* Sites and accounts whose items in use the records read may change: the
 * site of a user holding a pack, the account of one holding products,
 * a site or account read. */
static int affected_units(reading *c, rs_rec ***out, size_t *n)
{
	roster_directory *dir = c->dir;
	rs_table seen = { NULL, 0, 0 };
	size_t i, k, cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < c->nrecs && !rc; i++) {
		if (!is_user(&c->recs[i])) {
			if (c->recs[i].cur)
				rc = add_unit(dir, &seen, out, n, &cap,
					      c->recs[i].cur->id);
			continue;
		}
		for (k = 0; k < 2 && !rc; k++) {
			const rs_user *u = (const rs_user *)(k ? c->recs[i].cur
							      : c->recs[i].old);
			if (!u)
				continue;
			if (RS_STR(u, ROSTER_FIELD_PACK))
				rc = add_unit(dir, &seen, out, n, &cap,
					      RS_REF(u, ROSTER_FIELD_SITE));
			if (!rc && u->nproducts)
				rc = add_unit(dir, &seen, out, n, &cap,
					      u->base.parent);
		}
	}
	rs_table_free(&dir->al, &seen);
	if (rc) {
		rs_free(&dir->al, *out);
		*out = NULL;
		*n = 0;
		return rs_nomem(dir);
	}
	return 0;
}

/* The units read of `kind`: created (`step` 0), changed in place (1),
 * deleted (2), or their names checked (3). */
static int units_of_kind(reading *c, int kind, int step)
{
	roster_directory *dir = c->dir;
	char key[RS_KEY_SIZE];
	size_t i;
	int rc = 0;

	for (i = 0; i < c->nrecs && !rc; i++) {
		read_rec *r = &c->recs[i];
		const rs_rec *v = r->cur ? r->cur : r->old;
		if (v->kind != kind || (step == 0 && r->old) ||
		    (step == 1 && (!r->old || !r->cur)) ||
		    (step == 2 && r->cur) || (step == 3 && !r->cur))
			continue;
		rs_record_key(key, v->id);
		if (step == 0)
			rc = rs_unit_add_read(dir, (rs_unit *)r->cur, key,
					      &r->put);
		else if (step == 1)
			r->put = !(rc = rs_unit_replace_read(
					   dir, (rs_unit *)r->cur,
					   (const rs_unit *)r->old, key));
		else if (step == 2)
			rc = rs_unit_remove_read(dir, (const rs_unit *)r->old,
						 key);
		else
			rc = rs_unit_name_read(dir, (const rs_unit *)r->cur,
					       key);
	}
	return rc;
}

/* Each step for the units of every kind, parents first (last when they
 * go). */
static int units_step(reading *c, int step)
{
	int kind, rc = 0;

	for (kind = ROSTER_KIND_PARTNER; kind < ROSTER_KIND_USER && !rc; kind++)
		rc = units_of_kind(c, step == 2 ? ROSTER_KIND_USER - 1 -
						       (kind - ROSTER_KIND_PARTNER)
						 : kind,
				   step);
	return rc;
}

/* Put the records read in place, in one transaction: the units created
 * and changed first (the users' checks read them), then every user
 * leaving, then every user arriving, then the units deleted; then the
 * units' names and the items in use. */
static int apply(reading *c)
{
	roster_directory *dir = c->dir;
	rs_rec **units = NULL;
	size_t i, nunits = 0;
	char key[RS_KEY_SIZE];
	rs_op op;
	int rc;

	rs_op_begin(dir, &op);
	rc = units_step(c, 0);
	if (!rc)
		rc = units_step(c, 1);
	for (i = 0; i < c->nrecs && !rc; i++)
		if (is_user(&c->recs[i]) && c->recs[i].old)
			rc = rs_user_unlink_read(dir, (rs_user *)c->recs[i].old,
						 (rs_user *)c->recs[i].cur);
	for (i = 0; i < c->nrecs && !rc; i++) {
		read_rec *u = &c->recs[i];
		if (!is_user(u) || !u->cur)
			continue;
		rs_record_key(key, u->cur->id);
		if ((rc = rs_persist_check(dir, u->cur, key, 1)))
			break;
		rc = rs_user_link_read(dir, (rs_user *)u->cur, (rs_user *)u->old,
				       key);
		/* published last: from then on the transaction owns it */
		u->put = rc == 0;
	}
	if (!rc)
		rc = units_step(c, 2);
	if (!rc)
		rc = units_step(c, 3);
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
	fresh.emails.ptrs = 1;
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

	for (i = 0; i < c->nrecs; i++) {
		if (c->recs[i].cur && !c->recs[i].put)
			rs_rec_release(&c->dir->al, c->recs[i].cur, 1);
		rs_free(&c->dir->al, c->recs[i].bytes);
	}
	rs_free(&c->dir->al, c->recs);
	rs_free(&c->dir->al, c->again);
	rs_free(&c->dir->al, c->seen);
	rs_free(&c->dir->al, c->held);
}

/* Once the users read are in place: the versions of the units written
 * again, and the counters as read (next_id as a load sets it). */
static void take_versions(roster_directory *dir, const reading *c)
{
	size_t i;

	for (i = 0; i < c->nagain; i++)
		c->again[i].rec->sver = c->again[i].version;
	for (i = 0; i < c->nrecs; i++)
		if (c->recs[i].cur && c->recs[i].cur->id >= dir->next_id)
			dir->next_id = c->recs[i].cur->id + 1;
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

/*
 * Scan the store's counters, then its records (find_deleted: the records
 * gone). In that order: a commit landing between the scans then leaves
 * the directory with records newer than the counters it holds, never
 * older, so that its next write of the counters (a login, line or
 * extension changed, an identifier taken) conflicts instead of passing a
 * change it has not read. 0, STOP or a storage code.
 */
static int read_changes(reading *c)
{
	roster_directory *dir = c->dir;
	int rc;

	/* the records held are those below next_id */
	if (bitmap_fits(dir, dir->next_id)) {
		c->held_below = dir->next_id;
		if (!(c->held = rs_calloc(&dir->al, c->held_below / 8 + 1, 1)))
			return out_of_memory(c);
	}
	rc = scan_keys(c, "m/", read_row);
	if (rc == 0)
		rc = scan_keys(c, "r/", read_row);
	if (rc == 0 && !c->all)
		rc = find_deleted(c);
	/* a counter vanished or appeared: as a reading of everything would
	 * see it */
	if (rc == 0 && (c->meta != (dir->meta_ver != 0) ||
			c->events != (dir->events_ver != 0)))
		rc = read_all(c);
	return rc;
}

/* Has the store nothing the directory has not read? */
static int nothing_new(const reading *c)
{
	const roster_directory *dir = c->dir;

	return !c->all && !c->nrecs && !c->nagain &&
	       (!c->meta || c->meta_ver == dir->meta_ver) &&
	       (!c->events || c->events_ver == dir->events_ver);
}

/* The last number of the outbox's entries; a key of another shape there
 * is a fault, which a reading of everything names. */
static int outbox_row(const char *key, const void *value, size_t len,
		      uint64_t version, void *data)
{
	reading *c = data;
	uint64_t seq = rs_event_key_seq(key);

	(void)value;
	(void)len;
	(void)version;
	if (!seq)
		return read_all(c);
	if (seq > c->last_event)
		c->last_event = seq;
	return 0;
}

/*
 * The outbox holds no entry the event counter read has not passed, as a
 * load checks: else everything is read, which reports it. (An entry
 * committed since the counter was read also has everything read, which
 * then finds the store as it is.) 0, STOP or a storage code.
 */
static int check_outbox(reading *c)
{
	uint64_t next = c->events ? c->next_event : 0;
	int rc = scan_keys(c, "o/", outbox_row);

	if (rc == 0 && c->last_event && c->last_event >= next)
		rc = read_all(c);
	return rc;
}

int rs_persist_refresh(roster_directory *dir)
{
	reading c;
	roster_error before = dir->err;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.dir = dir;
	c.most = dir->records.count / 8 + 1024;
	rc = read_changes(&c);
	if (rc == 0 && nothing_new(&c)) {
		reading_free(&c);
		return ROSTER_OK;
	}
	if (rc == 0)
		rc = check_outbox(&c);
	if (rc == 0 && !c.all)
		rc = decode_read(&c);
	if (c.nomem || (rc && rc != STOP)) {
		/* recorded: out of memory, or the scan failed */
		reading_free(&c);
		return dir->err.code;
	}
	/* by identifier, as a store may scan in any order: the accounts
	 * created take their ordinals in the order an open gives them */
	if (!c.all && c.nrecs > 1)
		qsort(c.recs, c.nrecs, sizeof(*c.recs), cmp_read);
	/* a store that handed a key twice (each copy would be put in place,
	 * the record held replaced twice, or a unit written again as it was
	 * take the version of a copy once another replaced it): a reading
	 * of everything refuses it as an open would */
	for (i = 1; !c.all && i < c.nrecs; i++)
		if (c.recs[i].id == c.recs[i - 1].id)
			c.all = 1;
	for (i = 0; !c.all && c.nrecs && i < c.nagain; i++) {
		read_rec k;
		k.id = c.again[i].rec->id;
		if (bsearch(&k, c.recs, c.nrecs, sizeof(*c.recs), cmp_read))
			c.all = 1;
	}
	if (!c.all && c.nrecs && (rc = apply(&c)) != ROSTER_OK) {
		if (rc == ROSTER_ENOMEM) {
			reading_free(&c);
			return rc;
		}
		/* a fault, which a reading of everything names as an open
		 * would, or the handle out of search ordinals, which it
		 * numbers afresh */
		c.all = 1;
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
