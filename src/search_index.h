/*
 * search_index.h (internal): the prefix index behind search as you type.
 *
 * Every user has a slot (a small number, kept by all its versions) and a
 * 64-bit label. Labels are ordered as the documented listing order: the
 * account's ordinal (accounts numbered by ascending identifier) in the top
 * 32 bits, then the user's place in the account by (folded last name,
 * first name, identifier) in the low 32 bits, never 0: a label is always
 * above its account's base. Labels are spread with gaps so that a new
 * user usually takes one between its neighbours; when there is none the
 * account's users are labelled afresh, which keeps their order and so
 * every list below.
 *
 * Slots are handed out in label order when the index is built. Users
 * added or moved later take free slots, so that a page's slots scatter
 * over the slot arrays; once a committed transaction leaves a quarter of
 * the slots out of order, rs_sindex_tidy() numbers them again in label
 * order, so that a page of results reads a few neighbouring entries.
 *
 * For each folded prefix of one to four characters of the words of a
 * user's sort key and search words (model.h) there is a posting list: the slots of the users having a word that
 * begins so, ordered by label. Each entry of a list holds, above the slot,
 * the boolean filters its user passes, so that a search with a filter
 * checks it in the list it walks, reading no other memory. The list of
 * the empty prefix holds every user, and each boolean filter (admins,
 * registered, ...) has a list of the users passing it, under a key no
 * word can have. So has each catalog item users hold (a licence, a pack,
 * a product licence) and each permission group and site with members
 * (value lists, under keys beginning "\x02"), so that a search filtered
 * by one walks its holders instead of reading every user in scope; once
 * many of them have emptied, rs_sindex_trim() frees the empty ones
 * (groups and sites are deleted, items dropped).
 *
 * A list is a sequence of segments of at most RS_SEG slots held in one
 * block that only grows, so that inserting costs a binary search and a
 * short move, and no change to a list ever needs a block of its own.
 *
 * A word's or filter's list that holds most users (the words of a domain
 * every login shares: "example", "com", a company's name) is inverted:
 * it holds the users lacking the key instead, its `inv` set, so that the
 * key costs an entry for the few users without it rather than for every
 * user with it. The key's users are then those of the empty prefix's
 * list that the inverted list lacks; a search walks or follows it so.
 * Lists are inverted and put back only after a commit (rs_sindex_tidy:
 * at three quarters of the users, back under a half), never within a
 * transaction, so that an undo finds the lists as the change left them.
 * Value lists are never inverted.
 *
 * Changes go through the transaction (txn.h): rs_sindex_user() is called
 * by rs_put() for each new, replaced or removed user version, and logs its
 * undo, which puts the lists back without allocating.
 */
#ifndef RS_SEARCH_INDEX_H
#define RS_SEARCH_INDEX_H

#include "model.h"

/* Slots per segment of a long list. A test build makes it small
 * (tests/meson.build), so that segments fill, split and pass slots on
 * every few users. */
#ifndef RS_SEG
#define RS_SEG 256
#endif

/* A list entry: the slot in its low RS_SLOT_BITS bits, above them the
 * filters its user passes (rs_user_filters() >> 1). A directory handle
 * indexes RS_SLOTS_MAX users at most (67,108,864): one more is refused
 * (ROSTER_ERROR, "users.max"), and so is a store holding more, so that a
 * store one handle filled can be opened by another. A test build makes
 * it small (tests/meson.build), so that the limit is reached. */
#ifndef RS_SLOT_BITS
#define RS_SLOT_BITS 26
#endif
#define RS_SLOT_MASK ((1u << RS_SLOT_BITS) - 1)
#define RS_SLOTS_MAX (1u << RS_SLOT_BITS)
#define RS_NO_ENTRY UINT32_MAX /* past the end of a list */

static inline uint32_t rs_entry_slot(uint32_t e)
{
	return e & RS_SLOT_MASK;
}

/* The filters of an entry, as bits 1 << filter (rs_user_filters). */
static inline unsigned rs_entry_filters(uint32_t e)
{
	return (e >> RS_SLOT_BITS) << 1;
}

/* Filters (bits 1 << filter) as they sit in an entry. */
static inline uint32_t rs_entry_bits(unsigned filters)
{
	return (uint32_t)(filters >> 1) << RS_SLOT_BITS;
}
#define RS_PREFIX_CHARS 4 /* longest indexed prefix, in characters */
#define RS_PREFIX_BYTES (RS_PREFIX_CHARS * 4)
/* The longest key of a list: a prefix, or a value list's ("\x02", a
 * letter, then a catalog identifier or a record's 8 bytes). */
#define RS_KEY_BYTES (2 + ROSTER_ITEM_ID_MAX)
_Static_assert(RS_KEY_BYTES >= RS_PREFIX_BYTES && RS_KEY_BYTES < 256,
	       "a list key holds a prefix and fits its 8-bit length");

/* A segment of a list, in list order: where its slots start in the block,
 * how many it holds and, when it holds some, the account ordinals of its
 * first and last slots. A label's ordinal never changes (relabelling
 * keeps it), so these fences let a seek pass over the segments of other
 * accounts without reading a slot's label. */
typedef struct rs_seg {
	uint32_t at;
	uint32_t len;
	uint32_t lo, hi;
} rs_seg;

typedef struct rs_plist {
	uint32_t *slab;	 /* the slots of every segment */
	uint32_t slabcap; /* slots the block holds */
	rs_seg *segs;	 /* segments in order; one at least */
	uint32_t *spare; /* starts of emptied segments, for reuse */
	uint32_t nsegs, nspare, capsegs;
	size_t total;	 /* slots in the list */
	uint32_t last;	 /* the slot added last: a hint for splits */
	uint8_t klen;
	uint8_t inv;	/* 1: holds the users lacking the key */
	uint8_t invbit; /* inverted: its place in rs_sindex.inv */
	char key[RS_KEY_BYTES + 1];
} rs_plist;

/* Lists inverted at most at once. */
#define RS_INV_MAX 32

/* What a page needs of a slot, side by side: a search builds a page of
 * identifiers from these alone, one memory access a result. */
typedef struct rs_slotkey {
	uint64_t label;
	roster_id id; /* the user's, kept by its versions */
} rs_slotkey;

typedef struct rs_sindex {
	rs_user **users;  /* by slot: the current version, NULL if free */
	rs_slotkey *key;  /* by slot */
	/* the free slots, last freed first, each holding the next in its
	 * key's id (a free slot has no key): a list costing no memory */
	uint32_t free_head;
	uint32_t nslots, nfree, capslots;
	rs_table lists;	  /* hash(prefix) -> rs_plist* */
	rs_plist *all;	  /* the empty prefix: every user */
	uint32_t orders;  /* account ordinals handed out */
	uint64_t seed;	  /* hash seed of the lists */
	size_t unordered; /* slots labelled since they were last in order */
	size_t tidy_min;  /* the fewest that make rs_sindex_tidy() work */
	size_t relabels;  /* times an account was labelled afresh */
	size_t nvalues;	  /* value lists */
	size_t emptied;	  /* value lists emptied since the last sweep */
	rs_plist *inv[RS_INV_MAX]; /* the inverted lists */
	uint32_t ninv;
	size_t inv_min;	  /* the fewest users for a list to be inverted */
	size_t changed;	  /* users listed or unlisted since lists were
			     last weighed for inverting */
	/* new users waiting to be listed (rs_sindex_defer) */
	rs_user **pending;
	size_t npending, cappending;
	size_t pending_max; /* the most that wait: then they are listed */
	int defer; /* new users wait */
	int run;   /* users are being listed in order (flush) */
} rs_sindex;

/*
 * A user's searched words, in RS_TEXTS texts: its sort key (" last\x01
 * first", folded: model.h), its search words (the other fields folded,
 * " w1 w2 ..."), its login key and the national forms of its numbers
 * (rs_user_number_words, made when read). A login is ASCII (its syntax
 * allows nothing else, and a loaded user is checked before it gets its
 * keys), and its key is its lower-case copy, so the key's runs of
 * letters and digits are the words folding would give: the words leave
 * the login out.
 */
#define RS_TEXTS 4
typedef struct rs_text {
	const char *s;
	int raw; /* 1: the login key, words are runs of [a-z0-9] */
} rs_text;

/* Room for the national forms of a user's numbers: at most five words
 * of up to 17 digits for each of its phone and lines. */
#define RS_NUMBER_WORDS (5 * 18 * (1 + ROSTER_LINES_MAX) + 1)

/* The national forms of u's phone and lines (search.c), " w1 w2 ...",
 * in buf of `size` bytes; returns their length. */
size_t rs_user_number_words(const rs_user *u, char *buf, size_t size);

/* The texts of u's words; `numbers` (RS_NUMBER_WORDS bytes) gets the
 * national forms of its numbers when `with_numbers`, else none. */
void rs_user_texts(const rs_user *u, rs_text out[RS_TEXTS], char *numbers,
		   int with_numbers);
/* Does " word" (a folded query word after its space) begin one of u's
 * words? A word of no letter begins every one. */
int rs_user_has_word(const rs_user *u, const char *word);

/* Build the index of every user of the directory (at open and refresh),
 * numbering the accounts. recs[0..nrecs) is every record of the
 * directory, in the order a load read them, which a build reads faster
 * than the records table (none for a directory without storage). 0 or
 * ENOMEM recorded, or ROSTER_ERROR ("users.max", recorded) for more than
 * RS_SLOTS_MAX users; the accounts' ordinals and the users' slots may then
 * have been set, and the directory is to be freed (open and refresh
 * free the one they were loading). */
int rs_sindex_build(roster_directory *dir, rs_rec *const *recs, size_t nrecs);
void rs_sindex_free(const rs_alloc *al, rs_sindex *x);

/* Give a new account its ordinal (from rs_put). 0 or ROSTER_ERROR
 * ("id.exhausted", recorded) once a directory handle has numbered 2^32 - 2
 * accounts since it was opened or refreshed. */
int rs_sindex_account(roster_directory *dir, rs_unit *account);

/* A user version replaces another (either may be NULL): the slot, label
 * and list entries move from one to the other, and the lists made for it
 * are logged (U_IDX_LIST). The caller logs U_IDX_USER once the record is
 * published; room for two more log entries is reserved. 0, ROSTER_ENOMEM
 * (not recorded) or, for a new user once RS_SLOTS_MAX are indexed,
 * ROSTER_ERROR ("users.max", recorded); the index as it was. */
int rs_sindex_user(roster_directory *dir, rs_user *old, rs_user *cur);
/*
 * A bulk change (an import) adds users by the thousand: with defer on,
 * each new user takes its slot at once but waits, unlisted and unlabelled,
 * until rs_sindex_flush() lists the waiting ones in listing order, so
 * that inserting reads the few segments the previous user read instead
 * of as many random ones. Every commit flushes first (txn.c), and nothing
 * reads the index before: a bulk change turns defer on and off within
 * one call running its own transaction, and only creates users. Undoing
 * the creation of a waiting user drops it from the wait.
 *
 * A flush logs the lists it makes (U_IDX_LIST) where the log stands, and
 * undoing such an entry frees its list; so it runs between the calls of
 * the bulk change (rs_sindex_flush_full, once pending_max users wait) or
 * at the commit, never inside a call that could be undone alone while
 * earlier users stay in those lists. Any other index change while users
 * wait flushes first, which is why defer is for creations only.
 */
void rs_sindex_defer(roster_directory *dir, int on);
/* 0 or ROSTER_ENOMEM, the users not yet listed still waiting. */
int rs_sindex_flush(roster_directory *dir);
/* Once no user waits (a bulk change committed or undone), give back the
 * block that held the waiting ones: a call leaves no block it did not
 * find. Once a transaction is over, free the empty value lists when an
 * eighth of them (64 at least) have emptied since the last time. */
void rs_sindex_trim(roster_directory *dir);
/* The same once pending_max users wait; else 0 at once. */
int rs_sindex_flush_full(roster_directory *dir);

/* Undo an index entry of the log; never allocates. */
void rs_sindex_undo(roster_directory *dir, int op, void *target,
		    rs_rec *old_rec, rs_rec *new_rec);

/* After a commit (no transaction open): when a quarter of the slots or
 * more have been labelled since they were last numbered in label order,
 * and at least tidy_min, number every slot afresh in label order. Lists,
 * slot arrays and each current user's slot follow; nothing else changes.
 * Then, when an eighth of the users or more (and a quarter of inv_min at
 * least) have been listed or unlisted since the last time, invert the
 * word and filter lists holding three quarters of the users or more (at
 * least inv_min of them), and put back those inverted that lack more
 * than half of them. Out of memory, nothing is done: the order only
 * speeds pages up, and either form of a list answers alike. */
void rs_sindex_tidy(roster_directory *dir);

/* The posting list of a folded word's prefix (its first four characters),
 * NULL when no user has one; "" gives every user. An inverted one (inv)
 * lists the users lacking the prefix. */
const rs_plist *rs_sindex_list(const rs_sindex *x, const char *word);
/* Does the word have more characters than the lists index? */
int rs_sindex_longer(const char *word);
/* The list of the users holding catalog item `id` of `kind`
 * (ROSTER_ITEM_LICENCE, _PACK, _PRODUCT), NULL when none does. */
const rs_plist *rs_sindex_item_list(const rs_sindex *x, int kind,
				    const char *id);
/* The list of the users whose `field` (ROSTER_FIELD_GROUP or _SITE) is
 * `id`, NULL when none is. */
const rs_plist *rs_sindex_ref_list(const rs_sindex *x, int field,
				   roster_id id);

/* A position in a list: segment and offset. */
typedef struct rs_pos {
	uint32_t seg, off;
} rs_pos;

/* The first position whose label is >= `label`. */
rs_pos rs_plist_seek(const rs_sindex *x, const rs_plist *l, uint64_t label);
/* Move p forward (never back) to the first position whose label is >=
 * `label`: for walking a list alongside another, in label order. */
void rs_plist_advance(const rs_sindex *x, const rs_plist *l, rs_pos *p,
		      uint64_t label);
/* The slot at a position; UINT32_MAX past the end. Does not step. */
uint32_t rs_plist_at(const rs_plist *l, rs_pos p);
/* The first position whose entry sorts after (account, sort key, id) in
 * the listing order: where the page after a cursor starts. `order` is the
 * account's ordinal, 0 when unknown (an account gone since). */
rs_pos rs_plist_seek_after(const rs_sindex *x, const rs_plist *l,
			   roster_id account, uint32_t order, const char *key,
			   roster_id id);
/* The slot at a position; UINT32_MAX past the end. Steps forward. */
uint32_t rs_plist_next(const rs_plist *l, rs_pos *p);
/* The entry (slot and filters) at a position; RS_NO_ENTRY past the end.
 * Steps forward. */
uint32_t rs_plist_next_entry(const rs_plist *l, rs_pos *p);
/* Move p forward (never back) to the first entry whose user passes every
 * filter of `filters` (bits 1 << filter) and return it, scanning the
 * entries alone; RS_NO_ENTRY when the list has none before a segment
 * whose first label is at or past `end`. The entry found may be past
 * `end` too: the caller checks its label. */
uint32_t rs_plist_find(const rs_sindex *x, const rs_plist *l, rs_pos *p,
		       unsigned filters, uint64_t end);
/* The number of slots before a position. */
size_t rs_plist_rank(const rs_plist *l, rs_pos p);

/* The list of the users passing a boolean filter (roster_filter), NULL
 * when none does; inverted (inv), of those failing it. */
const rs_plist *rs_sindex_filter_list(const rs_sindex *x, int filter);
/* search.c: the boolean filters a user passes, as bits 1 << filter. */
unsigned rs_user_filters(const rs_user *u);

/* The label range of an account's users: [lo, hi). */
void rs_sindex_account_range(const rs_unit *account, uint64_t *lo,
			     uint64_t *hi);

#endif
