/* txn.c: the undo log, the event queue and commit. */
#include "txn.h"

#include <string.h>

#include "search_index.h"
#include "storage/persist.h"
#include "users.h"

static rs_txn *txn_of(roster_directory *dir)
{
	return dir->txn;
}

/* Room for n more entries in the undo log. */
int rs_log_reserve(roster_directory *dir, size_t n)
{
	rs_txn *t = txn_of(dir);
	rs_undo *log;
	size_t cap;

	if (t->caplog - t->nlog >= n)
		return 0;
	cap = t->caplog ? t->caplog * 2 : 16;
	while (cap - t->nlog < n)
		cap *= 2;
	log = rs_reallocarray(&dir->al, t->log, cap, sizeof(*log));
	if (!log)
		return ROSTER_ENOMEM;
	t->log = log;
	t->caplog = cap;
	return 0;
}

void rs_log_push(roster_directory *dir, int op, void *target, uint64_t a,
		 uint64_t b, rs_rec *old_rec, rs_rec *new_rec)
{
	rs_txn *t = txn_of(dir);
	rs_undo *u = &t->log[t->nlog++];

	u->op = op;
	u->target = target;
	u->a = a;
	u->b = b;
	u->old_rec = old_rec;
	u->new_rec = new_rec;
}

/*
 * Room for one more entry of `id` in a set of keys, and for the entry
 * that logs it. When this gives the set its first block, that is logged
 * too, so that undoing the call hands the block back: a failed call
 * leaves the memory it found, not only the model. (Growing later only
 * moves the entries to a new block.)
 */
static int keyset_room(roster_directory *dir, rs_keyset *set, roster_id id)
{
	int fresh;

	if (rs_log_reserve(dir, 2) ||
	    rs_keyset_reserve(&dir->al, set, id, &fresh))
		return ROSTER_ENOMEM;
	if (fresh)
		rs_log_push(dir, U_KEYSET_NEW, set, id, 0, NULL, NULL);
	return 0;
}

/* The same for a record's identifier in the records map: the page (or
 * the first block of the table of far identifiers) made for it is logged,
 * so that undoing frees it. */
static int record_room(roster_directory *dir, roster_id id)
{
	int made;

	if (rs_log_reserve(dir, 2) ||
	    rs_idmap_reserve(&dir->al, &dir->records, id, &made))
		return ROSTER_ENOMEM;
	if (made)
		rs_log_push(dir, U_IDMAP_MADE, NULL, id, (uint64_t)made, NULL,
			    NULL);
	return 0;
}

/* The same for a vector of identifiers. */
static int vec_room(roster_directory *dir, rs_idvec *vec)
{
	int fresh = vec->cap == 0;

	if (rs_log_reserve(dir, fresh ? 2 : 1) ||
	    rs_idvec_reserve(&dir->al, vec, 1))
		return ROSTER_ENOMEM;
	if (fresh)
		rs_log_push(dir, U_VEC_NEW, vec, 0, 0, NULL, NULL);
	return 0;
}

static rs_user *user_of(rs_rec *r)
{
	return r && r->kind == ROSTER_KIND_USER ? (rs_user *)r : NULL;
}

/*
 * The search index follows every user version: its entry is logged after
 * the record's, so that undoing it runs first, while the version it takes
 * out of the index is still alive.
 */
int rs_put(roster_directory *dir, roster_id id, rs_rec *rec)
{
	rs_rec *old = rs_get(dir, id);
	int user = user_of(old) || user_of(rec);
	int rc;

	if (record_room(dir, id) || rs_log_reserve(dir, 2))
		return ROSTER_ENOMEM;
	if (rec && !old && rec->kind == ROSTER_KIND_ACCOUNT &&
	    (rc = rs_sindex_account(dir, (rs_unit *)rec)))
		return rc;
	/* the logins hold the latest version (their undoing reads no
	 * record), then the room for the two entries below again */
	if (user && (rs_user_login_swap(dir, user_of(old), user_of(rec)) ||
		     rs_log_reserve(dir, 2)))
		return ROSTER_ENOMEM;
	/* a new user may find every slot of the index taken (ROSTER_ERROR,
	 * recorded) */
	if (user && (rc = rs_sindex_user(dir, user_of(old), user_of(rec))))
		return rc;
	if (rec)
		rs_idmap_set(&dir->records, id, rec);
	else
		rs_idmap_del(&dir->records, id);
	rs_log_push(dir, U_REC, NULL, id, 0, old, rec);
	if (user)
		rs_log_push(dir, U_IDX_USER, NULL, id, 0, old, rec);
	return 0;
}

int rs_vec_insert(roster_directory *dir, rs_idvec *vec, roster_id id)
{
	if (vec_room(dir, vec))
		return ROSTER_ENOMEM;
	rs_idvec_insert(vec, id);
	rs_log_push(dir, U_VEC_INS, vec, id, 0, NULL, NULL);
	return 0;
}

int rs_vec_remove(roster_directory *dir, rs_idvec *vec, roster_id id)
{
	if (rs_log_reserve(dir, 1))
		return ROSTER_ENOMEM;
	if (rs_idvec_remove(vec, id))
		rs_log_push(dir, U_VEC_DEL, vec, id, 0, NULL, NULL);
	return 0;
}

int rs_key_insert(roster_directory *dir, rs_keyset *set, uint64_t hash,
		  roster_id id)
{
	if (keyset_room(dir, set, id))
		return ROSTER_ENOMEM;
	rs_keyset_insert(set, hash, id);
	rs_log_push(dir, U_KEY_INS, set, hash, id, NULL, NULL);
	return 0;
}

int rs_key_remove(roster_directory *dir, rs_keyset *set, uint64_t hash,
		  roster_id id)
{
	if (rs_log_reserve(dir, 1))
		return ROSTER_ENOMEM;
	if (rs_keyset_remove(set, hash, id))
		rs_log_push(dir, U_KEY_DEL, set, hash, id, NULL, NULL);
	return 0;
}

int rs_count(roster_directory *dir, size_t *counter, int delta)
{
	if (rs_log_reserve(dir, 1))
		return ROSTER_ENOMEM;
	*counter += (size_t)(ptrdiff_t)delta;
	rs_log_push(dir, U_COUNT, counter, (uint64_t)(int64_t)delta, 0, NULL, NULL);
	return 0;
}

static void event_clear(roster_directory *dir, struct roster_event *e)
{
	rs_free(&dir->al, e->email);
	rs_free_secret(&dir->al, e->secret);
	rs_free_secret(&dir->al, e->password);
	memset(e, 0, sizeof(*e));
}

int rs_event(roster_directory *dir, int type, roster_id account,
	     roster_id user, const char *email, const char *secret,
	     const char *password, int admin)
{
	rs_txn *t = txn_of(dir);
	struct roster_event e;

	memset(&e, 0, sizeof(e));
	if (t->nevents == t->capevents) {
		size_t cap = t->capevents ? t->capevents * 2 : 8;
		struct roster_event *ev = rs_reallocarray(
			&dir->al, t->events, cap, sizeof(*ev));
		if (!ev)
			return ROSTER_ENOMEM;
		t->events = ev;
		t->capevents = cap;
	}
	e.type = type;
	e.account = account;
	if (account) {
		const rs_rec *acc = rs_get(dir, account);
		e.partner = acc ? acc->parent : 0;
	}
	e.user = user;
	e.admin = admin;
	if ((email && !(e.email = rs_strdup(&dir->al, email))) ||
	    (secret && !(e.secret = rs_strdup(&dir->al, secret))) ||
	    (password && !(e.password = rs_strdup(&dir->al, password)))) {
		event_clear(dir, &e);
		return ROSTER_ENOMEM;
	}
	t->events[t->nevents++] = e;
	return 0;
}

int rs_event_partner(roster_directory *dir, roster_id partner)
{
	rs_txn *t = txn_of(dir);
	int rc = rs_event(dir, ROSTER_EVENT_PARTNER_CREATED, 0, 0, NULL, NULL,
			  NULL, 0);

	if (rc == 0)
		t->events[t->nevents - 1].partner = partner;
	return rc;
}

void rs_event_link(roster_directory *dir, const char *kept, const char *pw)
{
	rs_txn *t = txn_of(dir);
	struct roster_event *e = &t->events[t->nevents - 1];

	/* a kept hash always fits (token.c checks the sizes) */
	if (kept && strlen(kept) < sizeof(e->link))
		strcpy(e->link, kept);
	if (pw)
		e->pw = rs_hash(pw, strlen(pw), dir->seed);
}

const char *rs_event_password(const roster_directory *dir, const rs_user *u)
{
	const rs_txn *t = dir->txn;
	const char *pw = RS_PASSWORD(u);
	size_t i;

	if (!t || !pw)
		return NULL;
	for (i = t->nevents; i-- > 0;) {
		const struct roster_event *e = &t->events[i];
		if (e->type == ROSTER_EVENT_WELCOME_EMAIL &&
		    e->user == u->base.id && e->password)
			return e->pw == rs_hash(pw, strlen(pw), dir->seed)
				       ? e->password
				       : NULL;
	}
	return NULL;
}

void rs_touch_keys(roster_directory *dir)
{
	txn_of(dir)->touch_keys = 1;
}

int rs_reload(roster_directory *dir, roster_id account, roster_id pbx)
{
	rs_txn *t = txn_of(dir);
	size_t i;

	for (i = 0; i < t->nreloads; i++)
		if (t->reloads[i].pbx == pbx)
			return 0;
	if (t->nreloads == t->capreloads) {
		size_t cap = t->capreloads ? t->capreloads * 2 : 4;
		rs_reload_req *r = rs_reallocarray(&dir->al, t->reloads, cap,
					       sizeof(*r));
		if (!r)
			return ROSTER_ENOMEM;
		t->reloads = r;
		t->capreloads = cap;
	}
	t->reloads[t->nreloads].account = account;
	t->reloads[t->nreloads].pbx = pbx;
	t->nreloads++;
	return 0;
}

static void undo(roster_directory *dir, rs_undo *u)
{
	switch (u->op) {
	case U_REC:
		if (u->old_rec)
			rs_idmap_set(&dir->records, u->a, u->old_rec);
		else
			rs_idmap_del(&dir->records, u->a);
		/* a record created in this transaction owns its members;
		 * a replacement shares them with the one it replaced */
		if (u->new_rec)
			rs_rec_free(dir, u->new_rec, u->old_rec == NULL);
		break;
	case U_VEC_INS:
		rs_idvec_remove(u->target, u->a);
		break;
	case U_VEC_DEL:
		/* the removal left the capacity in place */
		rs_idvec_insert(u->target, u->a);
		break;
	case U_KEY_INS:
		rs_keyset_remove(u->target, u->a, u->b);
		break;
	case U_KEY_DEL:
		/* the removal left the capacity in place */
		rs_keyset_insert(u->target, u->a, u->b);
		break;
	case U_COUNT:
		*(size_t *)u->target -= (size_t)(ptrdiff_t)(int64_t)u->a;
		break;
	case U_IDMAP_MADE:
		rs_idmap_unreserve(&dir->al, &dir->records, u->a, (int)u->b);
		break;
	case U_KEYSET_NEW:
		/* every entry made since was undone before: it is empty */
		rs_keyset_unreserve(&dir->al, u->target, u->a);
		break;
	case U_VEC_NEW:
		rs_idvec_free(&dir->al, u->target);
		break;
	case U_IDX_USER:
	case U_IDX_LIST:
		rs_sindex_undo(dir, u->op, u->target, u->old_rec, u->new_rec);
		break;
	}
}

void rs_op_begin(roster_directory *dir, rs_op *op)
{
	rs_txn *t = txn_of(dir);

	op->implicit = !dir->txn_open;
	dir->txn_open = 1;
	op->nlog = t->nlog;
	op->nevents = t->nevents;
	op->nreloads = t->nreloads;
	op->next_id = dir->next_id;
	op->touch_keys = t->touch_keys;
}

static void deliver(roster_directory *dir, struct roster_event *e)
{
	if (!dir->outbox)
		e->seq = ++dir->next_event;
	rs_event_deliver(dir, e);
}

void rs_event_deliver(roster_directory *dir, const struct roster_event *e)
{
	if (dir->event_cb) {
		int was = rs_hook_begin(dir);

		dir->event_cb(e, dir->event_data);
		rs_hook_end(dir, was);
	}
}

/*
 * Turn the coalesced reloads into events after the others, once per PBX
 * that still exists, so that the outbox keeps them too. ROSTER_ENOMEM
 * having added none.
 */
static int queue_reloads(roster_directory *dir)
{
	rs_txn *t = txn_of(dir);
	size_t i, n = t->nevents;

	for (i = 0; i < t->nreloads; i++) {
		const rs_reload_req *r = &t->reloads[i];

		/* a PBX removed in the same transaction has nothing to reload */
		if (!rs_get_kind(dir, r->pbx, ROSTER_KIND_PBX))
			continue;
		if (rs_event(dir, ROSTER_EVENT_PBX_RELOAD, r->account, 0, NULL,
			     NULL, NULL, 0)) {
			t->nevents = n; /* reload events own no strings */
			return rs_nomem(dir);
		}
		t->events[t->nevents - 1].pbx = r->pbx;
	}
	return ROSTER_OK;
}

int rs_event_dead(const roster_directory *dir, const struct roster_event *e)
{
	int welcome = e->type == ROSTER_EVENT_WELCOME_EMAIL;
	const rs_user *u;
	const char *kept;

	if ((!welcome && e->type != ROSTER_EVENT_PASSWORD_RESET_EMAIL) ||
	    !e->link[0])
		return 0;
	u = (const rs_user *)rs_get_kind(dir, e->user, ROSTER_KIND_USER);
	kept = u ? rs_user_s(u, welcome ? RS_S_WELCOME : RS_S_RESET) : NULL;
	return !kept || strcmp(kept, e->link) != 0;
}

/* Drop the e-mails whose link no longer works (rs_event_dead): such a
 * mail would send a dead link, or an account's name to an address it no
 * longer has. Nothing is allocated. */
static void drop_dead_links(roster_directory *dir)
{
	rs_txn *t = txn_of(dir);
	size_t i, n = 0;

	for (i = 0; i < t->nevents; i++) {
		struct roster_event *e = &t->events[i];

		if (rs_event_dead(dir, e)) {
			event_clear(dir, e);
			continue;
		}
		if (n != i)
			t->events[n] = *e;
		n++;
	}
	t->nevents = n;
}

/* Write the transaction to the store (unless it is what the store holds
 * already: `write` 0), then free what it replaced and deliver its events.
 * Fails (changing nothing) only while writing. */
static int commit(roster_directory *dir, int write)
{
	rs_txn *t = txn_of(dir);
	size_t i, nevents;
	int rc;

	/* users waiting for the search index (an import) are listed
	 * before anything can search for them */
	if (rs_sindex_flush(dir))
		return rs_nomem(dir);
	drop_dead_links(dir);
	nevents = t->nevents;
	if ((rc = queue_reloads(dir)))
		return rc;
	if (write && (rc = rs_persist_commit(dir, t))) {
		t->nevents = nevents;
		return rc;
	}
	for (i = 0; i < t->nlog; i++) {
		rs_undo *u = &t->log[i];
		/* the replaced version is no longer reachable */
		if (u->op == U_REC && u->old_rec)
			rs_rec_free(dir, u->old_rec, u->new_rec == NULL);
	}
	t->nlog = 0;
	/* only the current versions are left to know their slots */
	rs_sindex_tidy(dir);
	rs_idmap_tidy(&dir->al, &dir->records, 0);
	for (i = 0; i < t->nevents; i++) {
		deliver(dir, &t->events[i]);
		event_clear(dir, &t->events[i]);
	}
	t->nevents = 0;
	t->nreloads = 0;
	t->touch_keys = 0;
	return ROSTER_OK;
}

/*
 * Once a transaction is over, give back what a large one grew: an import
 * of 100,000 users leaves an undo log of half a million entries (24 MB)
 * that no later change needs. Small capacities stay, so that ordinary
 * changes do not reallocate each time. A failed shrink keeps the block.
 */
#define TRIM_ABOVE 4096

static void *shrunk(roster_directory *dir, void *p, size_t *cap, size_t keep,
		    size_t size)
{
	void *q;

	if (*cap <= TRIM_ABOVE || !(q = rs_reallocarray(&dir->al, p, keep, size)))
		return p;
	*cap = keep;
	return q;
}

static void trim(roster_directory *dir)
{
	rs_txn *t = txn_of(dir);

	if (t->nlog || t->nevents || t->nreloads)
		return;
	t->log = shrunk(dir, t->log, &t->caplog, 16, sizeof(*t->log));
	t->events = shrunk(dir, t->events, &t->capevents, 8, sizeof(*t->events));
	t->reloads = shrunk(dir, t->reloads, &t->capreloads, 4,
			    sizeof(*t->reloads));
	rs_sindex_trim(dir);
}

/* Undo the log back to the marks of `op` and drop what was queued since. */
static void undo_to(roster_directory *dir, const rs_op *op)
{
	rs_txn *t = txn_of(dir);

	while (t->nlog > op->nlog)
		undo(dir, &t->log[--t->nlog]);
	while (t->nevents > op->nevents)
		event_clear(dir, &t->events[--t->nevents]);
	t->nreloads = op->nreloads;
	t->touch_keys = op->touch_keys;
	dir->next_id = op->next_id;
}

/* After losing a race the model is stale: read the winner's state, so
 * that the caller can look again and retry. The conflict stays the error
 * to report, whether or not the refresh succeeds. */
static void refresh_after_conflict(roster_directory *dir)
{
	roster_error conflict = dir->err;

	/* a directory without a store has nothing to read again */
	if (!dir->storage)
		return;
	rs_persist_refresh(dir);
	dir->err = conflict;
}

/*
 * The acting user's role allowed what the call changed: the commit checks
 * that its record is still the version read, so that an admin revoked or
 * deleted through another directory on the store changes nothing more
 * here (ROSTER_ECONFLICT, then a refresh). Within one directory the role
 * is read at each call already.
 */
static int vouch(roster_directory *dir, roster_id id)
{
	rs_txn *t = txn_of(dir);
	roster_id *v;
	size_t i;

	for (i = 0; i < t->nvouch; i++)
		if (t->vouch[i] == id)
			return ROSTER_OK;
	if (t->nvouch == t->capvouch) {
		size_t cap = t->capvouch * 2;

		if (!(v = rs_reallocarray(&dir->al, t->vouch, cap, sizeof(*v))))
			return rs_nomem(dir);
		t->vouch = v;
		t->capvouch = cap;
	}
	t->vouch[t->nvouch++] = id;
	return ROSTER_OK;
}

int rs_op_end(roster_directory *dir, rs_op *op, int rc)
{
	int committing;

	if (rc >= 0 && dir->acting_user && dir->storage &&
	    dir->storage->version >= 2 && dir->storage->check &&
	    txn_of(dir)->nlog > op->nlog)
		rc = vouch(dir, dir->acting_user);
	committing = rc >= 0 && op->implicit;
	if (committing)
		rc = commit(dir, 1);
	if (rc < 0)
		undo_to(dir, op);
	if (op->implicit) {
		txn_of(dir)->nvouch = 0;
		dir->txn_open = 0;
		trim(dir);
	}
	/* a commit losing a race, or a form made from a version this
	 * directory has not read yet (user.changed, refused before any
	 * change): either way the model is stale and read again, so that
	 * the retry sees what the store holds */
	if (op->implicit && rc == ROSTER_ECONFLICT)
		refresh_after_conflict(dir);
	return rc;
}

int rs_op_end_read(roster_directory *dir, rs_op *op, int rc)
{
	assert(op->implicit);
	if (rc >= 0)
		rc = commit(dir, 0);
	if (rc < 0)
		undo_to(dir, op);
	dir->txn_open = 0;
	trim(dir);
	return rc;
}

void rs_txn_begin(roster_directory *dir)
{
	dir->txn_open = 1;
	dir->txn_explicit = 1;
	dir->txn_next_id = dir->next_id;
}

int rs_txn_commit(roster_directory *dir)
{
	int rc = commit(dir, 1);

	if (rc) {
		rs_txn_rollback(dir);
		if (rc == ROSTER_ECONFLICT)
			refresh_after_conflict(dir);
		return rc;
	}
	txn_of(dir)->nvouch = 0;
	dir->txn_open = dir->txn_explicit = 0;
	trim(dir);
	return ROSTER_OK;
}

void rs_txn_rollback(roster_directory *dir)
{
	rs_op start = { 0, 0, 0, 0, dir->txn_next_id, 0 };

	undo_to(dir, &start);
	txn_of(dir)->nvouch = 0;
	dir->txn_open = dir->txn_explicit = 0;
	trim(dir);
}

int rs_txn_init(roster_directory *dir)
{
	rs_txn *t = txn_of(dir);

	t->log = rs_reallocarray(&dir->al, NULL, 16, sizeof(*t->log));
	t->events = rs_reallocarray(&dir->al, NULL, 8, sizeof(*t->events));
	t->reloads = rs_reallocarray(&dir->al, NULL, 4, sizeof(*t->reloads));
	t->vouch = rs_reallocarray(&dir->al, NULL, 4, sizeof(*t->vouch));
	if (!t->log || !t->events || !t->reloads || !t->vouch) {
		rs_txn_free(dir);
		return ROSTER_ENOMEM;
	}
	t->caplog = 16;
	t->capevents = 8;
	t->capreloads = 4;
	t->capvouch = 4;
	return ROSTER_OK;
}

void rs_txn_free(roster_directory *dir)
{
	rs_txn *t = txn_of(dir);
	size_t i;

	for (i = 0; i < t->nevents; i++)
		event_clear(dir, &t->events[i]);
	rs_free(&dir->al, t->log);
	rs_free(&dir->al, t->events);
	rs_free(&dir->al, t->reloads);
	rs_free(&dir->al, t->vouch);
	memset(t, 0, sizeof(*t));
}
