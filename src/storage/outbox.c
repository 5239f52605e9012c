/*
 * outbox.c: the durable outbox, read back and acknowledged.
 *
 * Each commit writes its events under "o/<seq>" in the same storage
 * transaction as its records (persist.c). They stay there until the host
 * acknowledges them, so that a host that crashed between a commit and the
 * handling of its events can deliver them again: at least once, each with
 * its sequence number to de-duplicate by.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../txn.h"
#include "codec.h"
#include "persist.h"

/* Times an acknowledgement scans again after another directory removed
 * some of the same events first. */
#define ACK_RETRIES 16

/* An event read back, or the fault of an entry that could not be: the
 * entry is named only if a replay would deliver it. */
typedef struct held {
	struct roster_event e; /* empty but for its seq when `why` is set */
	const char *why;       /* why the entry is malformed, or NULL */
} held;

/* The events read by a scan of the outbox: all of them, or, when a replay
 * delivers at most `max`, the `max` oldest met so far, kept as a heap
 * whose top is the newest of them, so that a replay in batches of a long
 * outbox holds and decodes a batch's worth, not the whole outbox. */
typedef struct pending {
	roster_directory *dir;
	held *ev;
	size_t n, cap;
	size_t max; /* 0: all */
} pending;

static void swap_held(held *a, held *b)
{
	held t = *a;

	*a = *b;
	*b = t;
}

/* The heap of the newest on top: ev[n - 1] just put in moves up. */
static void heap_up(held *ev, size_t n)
{
	size_t i = n - 1;

	while (i && ev[(i - 1) / 2].e.seq < ev[i].e.seq) {
		swap_held(&ev[(i - 1) / 2], &ev[i]);
		i = (i - 1) / 2;
	}
}

/* ev[0] just replaced moves down. */
static void heap_down(held *ev, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;
		if (l < n && ev[l].e.seq > ev[top].e.seq)
			top = l;
		if (r < n && ev[r].e.seq > ev[top].e.seq)
			top = r;
		if (top == i)
			return;
		swap_held(&ev[i], &ev[top]);
		i = top;
	}
}

static int read_row(const char *key, const void *value, size_t len,
		    uint64_t version, void *data)
{
	pending *p = data;
	roster_directory *dir = p->dir;
	uint64_t seq = rs_event_key_seq(key);
	held h, *ev;
	int rc;

	(void)version;
	/* every key under o/ is roster's (docs/storage.md): one of another
	 * shape is an event this replay would miss, as opening says */
	if (!seq) {
		char where[96];
		snprintf(where, sizeof(where), "%s: not an outbox key", key);
		return rs_fail(dir, ROSTER_EPARSE, "store", "storage.malformed",
			       where);
	}
	/* newer than the `max` oldest met so far: not delivered this time,
	 * nor decoded */
	if (p->max && p->n == p->max && seq > p->ev[0].e.seq)
		return 0;
	if (!p->max || p->n < p->max) {
		if (!(ev = rs_array_room(&dir->al, p->ev, p->n, &p->cap,
					 sizeof(*ev), 16)))
			return rs_nomem(dir);
		p->ev = ev;
	}
	h.why = NULL;
	rc = rs_event_decode(&dir->al, value, len, &h.e, &h.why);
	if (rc == ROSTER_ENOMEM)
		return rs_nomem(dir);
	if (rc == 0 && h.e.seq != seq) {
		rs_free(&dir->al, h.e.email);
		h.why = "key and sequence differ";
		rc = ROSTER_EPARSE;
	}
	if (rc) {
		/* named once the scan is over, if a replay delivers it: met
		 * before older ones (a store scans in any order), it may yet
		 * be pushed out of the `max` oldest */
		memset(&h.e, 0, sizeof(h.e));
		h.e.seq = seq;
	}
	h.e.replayed = 1;
	if (!p->max) {
		p->ev[p->n++] = h;
	} else if (p->n < p->max) {
		p->ev[p->n++] = h;
		heap_up(p->ev, p->n);
	} else {
		rs_free(&dir->al, p->ev[0].e.email);
		p->ev[0] = h;
		heap_down(p->ev, p->n);
	}
	return 0;
}

static int cmp_seq(const void *a, const void *b)
{
	uint64_t x = ((const held *)a)->e.seq;
	uint64_t y = ((const held *)b)->e.seq;

	return x < y ? -1 : x > y;
}

static void pending_free(pending *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		rs_free(&p->dir->al, p->ev[i].e.email);
	rs_free(&p->dir->al, p->ev);
}

int roster_outbox_replay(roster_directory *dir, size_t max, size_t *count)
{
	pending p = { dir, NULL, 0, 0, max };
	size_t i;
	int rc;

	if (count)
		*count = 0;
	if ((rc = rs_enter(dir)))
		return rc;
	if (!dir->storage)
		return ROSTER_OK;
	/* read it all first: the host may use the store from its callback */
	if ((rc = rs_storage_scan(dir, "o/", read_row, &p))) {
		pending_free(&p);
		return rc;
	}
	if (p.n > 1)
		qsort(p.ev, p.n, sizeof(*p.ev), cmp_seq);
	/* a store that hands a key twice would have it delivered twice */
	for (i = 1; i < p.n; i++)
		if (p.ev[i].e.seq == p.ev[i - 1].e.seq) {
			pending_free(&p);
			return rs_fail(dir, ROSTER_ESTORAGE, "scan",
				       "storage.failed", "a key twice");
		}
	/* the oldest malformed entry of those to deliver, before any is */
	for (i = 0; i < p.n; i++)
		if (p.ev[i].why) {
			char key[RS_KEY_SIZE], where[96];
			rs_event_key(key, p.ev[i].e.seq);
			snprintf(where, sizeof(where), "%s: %s", key,
				 p.ev[i].why);
			pending_free(&p);
			return rs_fail(dir, ROSTER_EPARSE, "store",
				       "storage.malformed", where);
		}
	for (i = 0; i < p.n && (!max || i < max); i++)
		rs_event_deliver(dir, &p.ev[i].e);
	if (count)
		*count = i;
	pending_free(&p);
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Acknowledgement                                                     */

typedef struct acking {
	roster_directory *dir;
	uint64_t first, last;
	struct due {
		uint64_t seq, version;
	} *due;
	size_t n, cap;
} acking;

static int ack_row(const char *key, const void *value, size_t len,
		   uint64_t version, void *data)
{
	acking *a = data;
	uint64_t seq = rs_event_key_seq(key);
	struct due *d;

	(void)value;
	(void)len;
	if (!seq || seq < a->first || seq > a->last)
		return 0;
	if (!(d = rs_array_room(&a->dir->al, a->due, a->n, &a->cap, sizeof(*d),
				16)))
		return rs_nomem(a->dir);
	a->due = d;
	a->due[a->n].seq = seq;
	a->due[a->n].version = version;
	a->n++;
	return 0;
}

static int cmp_due(const void *a, const void *b)
{
	uint64_t x = ((const struct due *)a)->seq;
	uint64_t y = ((const struct due *)b)->seq;

	return x < y ? -1 : x > y;
}

/* The events found, in order; ROSTER_ESTORAGE, recorded, when the scan
 * handed one twice (removing it twice would read as a conflict, again
 * at every retry). */
static int due_in_order(roster_directory *dir, acking *a)
{
	size_t i;

	if (a->n > 1)
		qsort(a->due, a->n, sizeof(*a->due), cmp_due);
	for (i = 1; i < a->n; i++)
		if (a->due[i].seq == a->due[i - 1].seq)
			return rs_fail(dir, ROSTER_ESTORAGE, "scan",
				       "storage.failed", "a key twice");
	return 0;
}

/* The longest key prefix shared by every outbox key from first to last. */
static void range_prefix(char out[RS_KEY_SIZE], uint64_t first, uint64_t last)
{
	char hi[RS_KEY_SIZE];
	size_t i;

	rs_event_key(out, first);
	rs_event_key(hi, last);
	for (i = 0; out[i] && out[i] == hi[i]; i++)
		;
	out[i] = '\0';
}

static int remove_due_hooked(roster_directory *dir, const acking *a);

/* Remove the events found; 1 when another directory removed one first.
 * The store's methods run as callbacks (rs_hook_begin). */
static int remove_due(roster_directory *dir, const acking *a)
{
	int was = rs_hook_begin(dir), rc = remove_due_hooked(dir, a);

	rs_hook_end(dir, was);
	return rc;
}

static int remove_due_hooked(roster_directory *dir, const acking *a)
{
	const roster_storage *st = dir->storage;
	char key[RS_KEY_SIZE];
	size_t i;
	int rc;

	if ((rc = st->begin(dir->store)))
		return rs_storage_fail(dir, "begin", rc);
	for (i = 0; i < a->n; i++) {
		rs_event_key(key, a->due[i].seq);
		if ((rc = st->remove(dir->store, key, a->due[i].version)))
			break;
	}
	if (rc) {
		st->rollback(dir->store);
		return rc == ROSTER_ECONFLICT ? 1
					      : rs_storage_fail(dir, "remove", rc);
	}
	if ((rc = st->commit(dir->store)))
		return rc == ROSTER_ECONFLICT ? 1
					      : rs_storage_fail(dir, "commit", rc);
	return 0;
}

int roster_outbox_ack(roster_directory *dir, uint64_t first, uint64_t last,
		      size_t *acked)
{
	acking a;
	char prefix[RS_KEY_SIZE], v[48];
	int rc, tries;

	if (acked)
		*acked = 0;
	if ((rc = rs_enter(dir)))
		return rc;
	if (first > last) {
		snprintf(v, sizeof(v), "%llu > %llu", (unsigned long long)first,
			 (unsigned long long)last);
		return rs_fail(dir, ROSTER_EINVAL, "first", "arg.range", v);
	}
	if (!dir->storage)
		return ROSTER_OK;
	memset(&a, 0, sizeof(a));
	a.dir = dir;
	a.first = first;
	a.last = last;
	range_prefix(prefix, first, last);
	for (tries = 0;; tries++) {
		a.n = 0;
		if ((rc = rs_storage_scan(dir, prefix, ack_row, &a)) ||
		    (rc = due_in_order(dir, &a)))
			break;
		if (!a.n || (rc = remove_due(dir, &a)) != 1)
			break;
		if (tries == ACK_RETRIES) {
			rc = rs_storage_fail(dir, "remove", ROSTER_ECONFLICT);
			break;
		}
	}
	if (!rc && acked)
		*acked = a.n;
	rs_free(&dir->al, a.due);
	return rc;
}
