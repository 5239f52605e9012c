/*
 * txn.h (internal): all-or-nothing changes.
 *
 * Every change to the model goes through the primitives below. Each one
 * makes its room first (and fails with ROSTER_ENOMEM having done nothing)
 * and then applies itself and logs its inverse, which cannot fail. So any
 * sequence of primitives can be undone exactly, whatever failed after it:
 * validation, policy, allocation.
 *
 * A public call brackets its work with rs_op_begin/rs_op_end. When the
 * call fails, everything it did is undone and its events are dropped;
 * when it succeeds, the replaced records are freed and the events are
 * delivered to the host, only then.
 */
#ifndef RS_TXN_H
#define RS_TXN_H

#include "model.h"

/* Room for a token's kept hash (TOKEN_KEPT_SIZE, password.h). */
#define RS_LINK_SIZE 48

/* An event waiting for commit. */
struct roster_event {
	int type;
	uint64_t seq;
	roster_id partner;
	roster_id account;
	roster_id user;
	roster_id pbx;
	int admin;
	char *email;
	char *secret;	/* wiped after delivery */
	char *password; /* wiped after delivery */
	int withheld;	/* read back from the outbox: 1 secret, 2 password
			 * were handed out and are not stored */
	int replayed;	/* delivered again from the outbox */
	/* an e-mail's link: the kept hash of its token (password.h), ""
	 * when none; the e-mail goes out only while it is the user's */
	char link[RS_LINK_SIZE];
	/* a welcome carrying a generated password: a hash of the user's
	 * stored password hash then, to tell whether it still works */
	uint64_t pw;
};

/* Kinds of undo entries. */
enum {
	U_REC = 1,  /* record swapped: a = id, old_rec/new_rec */
	U_VEC_INS,  /* target rs_idvec, a = id */
	U_VEC_DEL,  /* target rs_idvec, a = id */
	U_KEY_INS,  /* target rs_keyset, a = hash, b = id */
	U_KEY_DEL,  /* target rs_keyset, a = hash, b = id */
	U_COUNT,    /* target size_t, a = delta as int64 */
	U_KEYSET_NEW, /* target rs_keyset got a first block for id a */
	U_IDMAP_MADE, /* the records map made blocks for id a (b: what) */
	U_VEC_NEW,  /* target rs_idvec got its first block */
	U_IDX_USER, /* search index: user version old_rec -> new_rec */
	U_IDX_LIST  /* search index: target rs_plist was made */
};

typedef struct rs_undo {
	int op;
	void *target;
	uint64_t a, b;
	rs_rec *old_rec, *new_rec;
} rs_undo;

typedef struct rs_reload_req {
	roster_id account, pbx;
} rs_reload_req;

typedef struct rs_txn {
	rs_undo *log;
	size_t nlog, caplog;
	struct roster_event *events;
	size_t nevents, capevents;
	rs_reload_req *reloads;
	size_t nreloads, capreloads;
	int touch_keys; /* a unique key or name changed: write the counters */
	roster_id *vouch; /* the users whose roles the changes relied on
			     (the acting users): checked at commit to be
			     as read (persist.c) */
	size_t nvouch, capvouch;
} rs_txn;

/* Marks of one call inside the transaction. */
typedef struct rs_op {
	int implicit;
	size_t nlog, nevents, nreloads;
	roster_id next_id; /* identifiers handed out by a failed call return */
	int touch_keys;	   /* and so does its note of changed unique keys */
} rs_op;

void rs_op_begin(roster_directory *dir, rs_op *op);
/* Finish a call: commit (rc == 0) or undo (rc < 0). Returns rc. */
int rs_op_end(roster_directory *dir, rs_op *op, int rc);
/* The same for changes a refresh read from the store (outside any other
 * transaction): committed without being written back, and with no event. */
int rs_op_end_read(roster_directory *dir, rs_op *op, int rc);
/*
 * Give a directory the first blocks of its undo log, event queue and
 * reload list, so that no call, failed or not, leaves a block behind that
 * it did not find. 0 or ROSTER_ENOMEM (having allocated nothing).
 */
int rs_txn_init(roster_directory *dir);
/* The explicit transaction of roster_transaction_begin: open it, commit
 * it (delivering its events) or undo all of it. */
void rs_txn_begin(roster_directory *dir);
int rs_txn_commit(roster_directory *dir);
void rs_txn_rollback(roster_directory *dir);
/* Free the transaction storage of a directory. */
void rs_txn_free(roster_directory *dir);

/* Room for n more entries in the undo log; 0 or ROSTER_ENOMEM. */
int rs_log_reserve(roster_directory *dir, size_t n);
/* Append an entry (room reserved). */
void rs_log_push(roster_directory *dir, int op, void *target, uint64_t a,
		 uint64_t b, rs_rec *old_rec, rs_rec *new_rec);

/* Publish `rec` (new or replacing the record of the same id), or remove
 * the record `id` when rec is NULL. 0, ROSTER_ENOMEM (not recorded), or
 * ROSTER_ERROR (recorded) for a new account out of search ordinals or a
 * new user out of search slots (search_index.h). */
int rs_put(roster_directory *dir, roster_id id, rs_rec *rec);
int rs_vec_insert(roster_directory *dir, rs_idvec *vec, roster_id id);
int rs_vec_remove(roster_directory *dir, rs_idvec *vec, roster_id id);
int rs_key_insert(roster_directory *dir, rs_keyset *set, uint64_t hash,
		  roster_id id);
int rs_key_remove(roster_directory *dir, rs_keyset *set, uint64_t hash,
		  roster_id id);
/* Add delta (+1 or -1) to a counter. */
int rs_count(roster_directory *dir, size_t *counter, int delta);

/*
 * Queue an event for commit. The strings are copied (secrets are wiped
 * on free). Returns ROSTER_ENOMEM having queued nothing.
 */
int rs_event(roster_directory *dir, int type, roster_id account,
	     roster_id user, const char *email, const char *secret,
	     const char *password, int admin);
/* Queue the creation event of a partner. */
int rs_event_partner(roster_directory *dir, roster_id partner);
/* The e-mail event just queued (welcome or reset) carries the link whose
 * token has `kept` (its kept hash, as the user holds it): the commit drops
 * the e-mail when the link no longer works by then (the user deleted, or
 * the link voided by a later change in the same transaction). `pw` is
 * the user's stored password hash when the e-mail also carries the
 * password generated for it, else NULL. */
void rs_event_link(roster_directory *dir, const char *kept, const char *pw);
/* The password generated for `u` that a welcome queued in this
 * transaction carries, while it is still u's password; else NULL. A
 * later welcome carries it again, as the commit drops the first one. */
const char *rs_event_password(const roster_directory *dir, const rs_user *u);
/* Is e an e-mail whose link no longer works, as things stand: its user
 * deleted, or the token voided by a later change (a newer link of the
 * same kind, a new password or login, activation)? The commit drops
 * those, and a preview leaves them out. */
int rs_event_dead(const roster_directory *dir, const struct roster_event *e);
/*
 * Note that a unique key (login, line, extension, name) changed, so that
 * the commit writes the counters record conditionally too: two directories
 * that each take the same key then conflict instead of both winning.
 */
void rs_touch_keys(roster_directory *dir);
/* Hand one event to the host's callback (marked as being in it). */
void rs_event_deliver(roster_directory *dir, const struct roster_event *e);
/* Ask for one reload of `pbx` at commit (coalesced). */
int rs_reload(roster_directory *dir, roster_id account, roster_id pbx);

#endif
