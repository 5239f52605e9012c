/*
 * model.h (internal): the records and the directory that holds them.
 *
 * Records are immutable once published in the directory: a change builds a
 * new version of the record, validates it whole, then swaps it in (see
 * txn.h). Their mutable companions (rs_members: the ordered members of a
 * parent and its counters) are shared by every version of one record and
 * changed only through the transaction's undo log.
 */
#ifndef RS_MODEL_H
#define RS_MODEL_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "roster.h"
#include "util/alloc.h"
#include "util/idmap.h"
#include "util/keyset.h"
#include "util/table.h"

/* Members of a parent record, in ascending id order. */
typedef struct rs_members {
	rs_idvec accounts; /* partner */
	rs_idvec users;	   /* account, site, pbx, group */
	rs_idvec sites;	   /* account */
	rs_idvec pbxes;	   /* account */
	rs_idvec groups;   /* account */
	size_t admins;	   /* account: users holding the admin role */
	uint32_t order;	   /* account: its ordinal in the search index */
} rs_members;

/* Fields common to every record; first member of each kind. */
typedef struct rs_rec {
	int kind;      /* roster_kind */
	uint32_t slot; /* a user's slot in the search index, kept by its
			  versions (search_index.h); 0 for the others */
	roster_id id;
	roster_id parent; /* partner of an account, account of the others */
	uint64_t sver;	  /* version in the store when read or written */
} rs_rec;

/* Partner, account, site, PBX, permission group. A user has no members:
 * its record is the smaller for it. */
typedef struct rs_unit {
	rs_rec base;
	rs_members *members; /* shared by all versions */
	char *name;
	char *name_key; /* case-folded name for uniqueness in the account */
	int helpdesk;	/* account */
	unsigned min_digits, max_digits; /* pbx */
	char *edition;	   /* account: its catalog edition, NULL if none */
	char **licences;   /* account: the licences it may use, sorted */
	size_t nlicences;
	struct rs_stock *stock; /* site: stations purchased per pack, sorted */
	size_t nstock;
	struct rs_stock *bought; /* account: product licences per product */
	size_t nbought;
} rs_unit;

/* The members of a record that is not a user's, an lvalue. */
#define RS_MEMBERS(r) (((rs_unit *)(r))->members)

/* A count purchased of one catalog item: the stations of a pack at a
 * site, the product licences of an account (in use: derived). */
typedef struct rs_stock {
	char *item;
	uint32_t purchased;
} rs_stock;

/*
 * A user. Its strings are numbered: the string fields by roster_field
 * (other fields' numbers unused), then the derived and secret strings
 * (RS_S_*), then its lines, then its product licences. Read them through
 * rs_user_s() and the macros below, which work on both forms:
 *  - a working copy (`packed` 0) is an rs_user_work, one allocation per
 *    string, so that a change can replace any of them (RS_W());
 *  - a published version is packed into one block (user_record.c): the
 *    record, whose `present` has bit i set for each string i < RS_S_END
 *    it holds, then the offset from the record's start of each string it
 *    holds, in order (those of `present`, its lines, its products), 16
 *    bits wide (`packed` 1) or 32 (`packed` 2) when the block is larger
 *    than 16 bits can reach, then the strings. It must not be changed.
 */
enum {
	RS_S_EMAIL_KEY = ROSTER_FIELD_END, /* lower-case login, for uniqueness */
	RS_S_WORDS,	 /* search: the folded words of the fields but the
			    first and last names (in the sort key) and the
			    login (its key: search_index.h) */
	RS_S_SORTKEY,	 /* search: folded " last\x01 first", the listing
			    order, and the names' words */
	RS_S_PASSWORD,	 /* crypt(3) hash of the password */
	RS_S_RESET,	 /* hash of the password-reset token */
	RS_S_WELCOME,	 /* hash of the welcome token */
	RS_S_END
};

/*
 * The values a user may lack, 0 when it does: its group, site and PBX
 * and the deadlines of its reset and welcome tokens. A working copy has
 * a member for each (rs_user_work); a packed user holds those it has,
 * 8 bytes each, right after its header, `opt` having their bits (RS_O_*),
 * so that most users carry none of the 40 bytes. Read them through
 * rs_user_opt() and the macros below.
 */
enum {
	RS_O_GROUP, /* the reference fields, in their order */
	RS_O_SITE,
	RS_O_PBX,
	RS_O_RESET,   /* the reset token's deadline */
	RS_O_WELCOME, /* the welcome token's deadline */
	RS_O_END
};

typedef struct rs_user {
	rs_rec base;
	uint32_t present; /* packed: the strings < RS_S_END held, by their
			     bits (rs_string_bit) */
	uint32_t flags;	  /* bit f: the boolean field f, through RS_FLAG() */
	uint16_t nlines;  /* at most the store codec's LINES_MAX */
	unsigned char packed; /* 0 working copy, 1 or 2: one block, read only */
	unsigned char opt;    /* packed: the RS_O_* values held, by bit */
	uint32_t nproducts; /* product licences assigned, ascending */
} rs_user;

/* A working copy: the record, a pointer to each string and each value
 * it may lack. */
typedef struct rs_user_work {
	rs_user u;
	char *s[RS_S_END];
	char **lines;
	char **products;
	uint64_t opt[RS_O_END]; /* RS_O_*: a reference, or a deadline */
} rs_user_work;

_Static_assert(ROSTER_FIELD_END <= 32, "the boolean fields fit in flags");

/*
 * The strings numbered below RS_S_END that a user can hold (the string
 * fields and the RS_S_* strings) take one bit each of a packed user's
 * `present`, in their order: rs_string_bit[i] is string i's bit plus one,
 * 0 for a number that is no string (a boolean, reference or list field).
 * The other numbers leave no hole in `present`, which so fits 32 bits.
 */
extern const unsigned char rs_string_bit[RS_S_END];
#define RS_STRINGS_HELD 23 /* the numbers that are strings */
_Static_assert(RS_STRINGS_HELD <= 32, "the fixed strings fit in present");

/* Set bits of x. */
static inline size_t rs_popcount32(uint32_t x)
{
	return (size_t)__builtin_popcount(x);
}

/* Where a packed user's string offsets start: past its header and the
 * values it holds (RS_O_*). */
static inline const void *rs_user_offsets(const rs_user *u)
{
	return (const char *)(u + 1) + 8 * rs_popcount32(u->opt);
}

/* The offset from its start of the k-th string a packed user holds. */
static inline size_t rs_user_offset(const rs_user *u, size_t k)
{
	return u->packed == 1 ? ((const uint16_t *)rs_user_offsets(u))[k]
			      : ((const uint32_t *)rs_user_offsets(u))[k];
}

/* String i of a user, NULL when it has none. */
static inline const char *rs_user_s(const rs_user *u, size_t i)
{
	const rs_user_work *w = (const rs_user_work *)u;
	size_t o, k;

	if (u->packed) {
		/* its place among the strings held */
		if (i < RS_S_END) {
			unsigned b = rs_string_bit[i];
			if (!b || !((u->present >> (b - 1)) & 1))
				return NULL;
			k = rs_popcount32(u->present & ((UINT32_C(1) << (b - 1)) - 1));
		} else {
			k = rs_popcount32(u->present) + (i - RS_S_END);
		}
		o = rs_user_offset(u, k);
	} else if (i < RS_S_END)
		return w->s[i];
	else if (i < RS_S_END + (size_t)u->nlines)
		return w->lines[i - RS_S_END];
	else
		return w->products[i - RS_S_END - u->nlines];
	return o ? (const char *)u + o : NULL;
}

#define RS_STR(u, f) rs_user_s((u), (f))
#define RS_EMAIL_KEY(u) rs_user_s((u), RS_S_EMAIL_KEY)
#define RS_WORDS(u) rs_user_s((u), RS_S_WORDS)
#define RS_SORTKEY(u) rs_user_s((u), RS_S_SORTKEY)
#define RS_PASSWORD(u) rs_user_s((u), RS_S_PASSWORD)
#define RS_RESET(u) rs_user_s((u), RS_S_RESET)
#define RS_WELCOME(u) rs_user_s((u), RS_S_WELCOME)
#define RS_LINE(u, i) rs_user_s((u), RS_S_END + (i))
#define RS_PRODUCT(u, i) rs_user_s((u), RS_S_END + (u)->nlines + (i))

/* A user's search words, "" for none: a packed user whose words are
 * empty (most: the names and login have theirs elsewhere) keeps no
 * string for them; a working copy's are NULL until computed. */
static inline const char *rs_user_words(const rs_user *u)
{
	const char *w = RS_WORDS(u);

	return w ? w : "";
}

/* The boolean field f of user u, 0 or 1. */
#define RS_FLAG(u, f) ((int)(((u)->flags >> (f)) & 1u))
static inline void rs_flag_set(rs_user *u, int f, int on)
{
	if (on)
		u->flags |= 1u << f;
	else
		u->flags &= ~(1u << f);
}

/* The working copy u (never a published version). */
static inline rs_user_work *rs_user_w(rs_user *u)
{
	assert(!u->packed);
	return (rs_user_work *)u;
}
#define RS_W(u) rs_user_w(u)

/* The value RS_O_* `i` of a user, 0 when it has none. */
static inline uint64_t rs_user_opt(const rs_user *u, int i)
{
	uint64_t v;

	if (!u->packed)
		return ((const rs_user_work *)u)->opt[i];
	if (!((u->opt >> i) & 1))
		return 0;
	memcpy(&v, (const char *)(u + 1) +
			   8 * rs_popcount32(u->opt & ((1u << i) - 1)),
	       sizeof(v));
	return v;
}

/* The reference field `f` (group, site or PBX) of user `u`, and of a
 * working copy, an lvalue. */
#define RS_REF(u, f) ((roster_id)rs_user_opt((u), (f) - ROSTER_FIELD_GROUP))
#define RS_REF_W(u, f) (RS_W(u)->opt[(f) - ROSTER_FIELD_GROUP])
/* The deadlines of its reset and welcome tokens (0 without a token), and
 * of a working copy, lvalues. */
#define RS_RESET_EXPIRES(u) ((int64_t)rs_user_opt((u), RS_O_RESET))
#define RS_WELCOME_EXPIRES(u) ((int64_t)rs_user_opt((u), RS_O_WELCOME))
#define RS_RESET_EXPIRES_W(u) (RS_W(u)->opt[RS_O_RESET])
#define RS_WELCOME_EXPIRES_W(u) (RS_W(u)->opt[RS_O_WELCOME])
_Static_assert(ROSTER_FIELD_SITE == ROSTER_FIELD_GROUP + 1 &&
		       ROSTER_FIELD_PBX == ROSTER_FIELD_GROUP + 2,
	       "the reference fields follow each other");


struct rs_txn;

struct roster_directory {
	rs_alloc al;
	roster_language lang;
	roster_error err;
	roster_event_cb event_cb;
	void *event_data;
	roster_clock_fn clock_fn;
	void *clock_data;
	roster_password_policy policy;

	uint64_t seed;	  /* hash seed, random per directory */
	struct rs_rng *rng; /* random bytes for tokens (util/random.h) */
	roster_id next_id;
	uint64_t next_event;

	rs_idmap records;   /* id -> rs_rec* */
	rs_idvec partners;  /* every partner */
	rs_keyset emails;    /* hash(email key) -> the user (its address) */
	rs_keyset lines;     /* hash(line) -> user id */
	rs_keyset extensions; /* hash(pbx, extension) -> user id */

	roster_id acting_user; /* the USER actor of the public call under way
				  (rs_who_resolve), 0 for another */
	const roster_storage *storage; /* NULL: memory only */
	void *store;
	uint64_t meta_ver;   /* store version of the counters record */
	uint64_t local_ver;  /* versions handed out without a store */
	roster_id stored_next_id; /* next_id as the store has it */
	int outbox;	     /* write events to the store's outbox */
	uint64_t events_ver; /* store version of the event counter */
	uint64_t stored_next_event; /* the next sequence number it holds */
	uint64_t max_event_seen;    /* while loading: the last outbox key */

	struct rs_txn *txn; /* undo log and event queue (txn.h) */
	int txn_open;	    /* a transaction is open */
	int txn_explicit;   /* ... opened by roster_transaction_begin */
	roster_id txn_next_id; /* next_id when it was opened */
	int in_callback;    /* set while a host callback runs */
	roster_catalog *catalog; /* decides licences; NULL until first used */
	struct rs_sindex *sindex; /* search index (search_index.h) */
};

/* The record `id`, NULL when absent. */
rs_rec *rs_get(const roster_directory *dir, roster_id id);
/* The record `id` if it is of `kind`, else NULL. */
rs_rec *rs_get_kind(const roster_directory *dir, roster_id id, int kind);

/* Record a failure in the directory's error; returns the code. */
int rs_fail(roster_directory *dir, int code, const char *field,
	    const char *rule, const char *value);
/* Same with a number for {limit}. */
int rs_fail_limit(roster_directory *dir, int code, const char *field,
		  const char *rule, const char *value, long long limit);
/* Same with an identifier as the value. */
int rs_fail_id(roster_directory *dir, int code, const char *field,
	       const char *rule, roster_id id);
/* ROSTER_ENOMEM with the "nomem" rule. */
int rs_nomem(roster_directory *dir);

/*
 * Entry check of every public call taking a directory: refuses NULL and
 * calls made from inside one of the directory's callbacks.
 */
int rs_enter(roster_directory *dir);

/* Hand out the next identifier; ROSTER_ERROR ("id.exhausted") when the
 * 64-bit space is used up, never wrapping to 0 or to an id in use. */
int rs_new_id(roster_directory *dir, roster_id *out);

/* Now, by the directory's clock (the host's clock_fn runs as a callback:
 * rs_hook_begin). */
int64_t rs_now(roster_directory *dir);
/* Now plus ttl (> 0) seconds, saturating instead of overflowing. */
int64_t rs_deadline(roster_directory *dir, int64_t ttl);

/*
 * Around a host hook (the event, read and write callbacks, the clock, the
 * storage methods): the directory is marked as in a callback, so that a
 * call back into it fails with ROSTER_EMISUSE instead of joining the
 * call under way (roster_directory_free then does nothing). Nests: end
 * with the value begin returned.
 */
static inline int rs_hook_begin(roster_directory *dir)
{
	int was = dir->in_callback;

	dir->in_callback = 1;
	return was;
}

static inline void rs_hook_end(roster_directory *dir, int was)
{
	dir->in_callback = was;
}

/*
 * Publish an unchanged new version of the unit `id` (an account), so that
 * the commit writes it conditionally on the version read: two directories
 * changing what a rule across records counts (the account's admins and
 * users, for the last-admin rule) then conflict instead of both winning.
 */
int rs_unit_touch(roster_directory *dir, roster_id id);

/*
 * station.c: publish a new version of a unit with `count` more (or, with
 * `remove`, fewer) purchased of `item`: stations of a site (bought 0) or
 * product licences of an account (bought 1), with an ACCOUNT_UPDATED
 * event. A count of 0 or one past the maximum is refused (arg.range), and
 * so is removing any of the `in_use` (`busy_rule`, with the numbers).
 * 0 or recorded.
 */
int rs_restock(roster_directory *dir, const rs_unit *cur, int bought,
	       const char *item, unsigned count, int remove, size_t in_use,
	       const char *busy_rule);
/* station.c: how many of `item` a list of purchased counts holds. */
size_t rs_stock_count(const rs_stock *st, size_t n, const char *item);
/* product.c: does the user hold the product licence? */
int rs_user_has_product(const rs_user *u, const char *product);
/* A product licence of the catalog: 0, or EINVAL (NULL), EINVALID
 * (item.syntax, product.unknown) recorded with field "product". */
int rs_product_check(roster_directory *dir, const char *product);
/* Licences of `product` the account bought and no user holds. Reads
 * every user of the account. */
size_t rs_product_available(const roster_directory *dir, const rs_unit *acc,
			    const char *product);
/* station.c: the stations purchased for a site, all packs together. */
size_t rs_site_stations(const rs_unit *site);
/* Stations of `pack` available at a site, not counting the one `except`
 * holds (0: none). */
size_t rs_station_free(const roster_directory *dir, roster_id site,
		       const char *pack, roster_id except);
/* Check that `u` (new or replacing `cur`) can have its pack at its site:
 * a station available there, and the site written with the change so
 * that two directories cannot take its last station. 0 or recorded. */
int rs_station_check(roster_directory *dir, const rs_user *u,
		     const rs_user *cur);

/* licence.c: the catalog the directory decides with (the default one
 * loaded on first use); NULL with the error recorded. */
const roster_catalog *rs_catalog(roster_directory *dir);
/* May the account order `service` ("pbx", "helpdesk")? Refused
 * (ROSTER_EPOLICY "service.edition", recorded with field `field`) when
 * the catalog knows the account's edition and the service and the
 * edition does not list it as orderable; an account without an edition
 * may order anything. */
int rs_service_orderable(roster_directory *dir, const rs_unit *acc,
			 const char *service, const char *field);
/* search.c: derive the search words and sort key of a user from its
 * fields. 0 or ENOMEM recorded. */
int rs_user_search_keys(roster_directory *dir, rs_user *u);
/* The fields the search words come from, as bits 1 << field. */
uint64_t rs_search_field_mask(void);

/* Is the phone language `tag` ("fr-FR") one the catalog offers? */
int rs_catalog_language(roster_directory *dir, const char *tag);
/* Check the licence and pack of `u` (new or replacing `cur`): 0 or a
 * recorded error with its reason. */
int rs_licence_check(roster_directory *dir, const rs_user *u,
		     const rs_user *cur);
/* A pack of fewer clients than `cur`'s, or none where it had one, needs
 * the form's confirmation (ROSTER_ECONFIRM "pack.downgrade", listing the
 * clients lost): checked after the station is found, as the choices give
 * their reasons. 0 or recorded. */
int rs_pack_downgrade_check(roster_directory *dir, const rs_user *u,
			    const rs_user *cur, unsigned confirm);

/* Entry checks of a call returning a page: the directory (rs_enter),
 * `out` (set to NULL) and 1 <= limit <= ROSTER_PAGE_MAX. 0 or recorded. */
int rs_page_enter(roster_directory *dir, roster_page **out, size_t limit);
/* A one-page listing of `n` identifiers (copied). 0 or ENOMEM recorded. */
int rs_page_of(roster_directory *dir, const roster_id *ids, size_t n,
	       roster_page **out);
/* Give a page its total and the cursor of the next page (NULL: the last
 * page; copied). 0 or ENOMEM recorded. */
int rs_page_set_next(roster_directory *dir, roster_page *p,
		     const char *cursor, size_t total);

/* A new version of a unit, sharing its members. NULL on ENOMEM (not
 * recorded). */
rs_unit *rs_unit_copy(roster_directory *dir, const rs_unit *cur);

/*
 * Check a unit read from the store against the rules the API enforces:
 * its name in the normal form the API gives it, the Helpdesk service only
 * on an account. ROSTER_EPARSE with the fault in `why` (n bytes), or
 * ROSTER_ENOMEM recorded. Sibling names are checked by the loader.
 */
int rs_unit_check_stored(roster_directory *dir, const rs_unit *n, char *why,
			 size_t len);
/* A unit's name as it is kept (trimmed, spaces joined) in *name and its
 * folded key, which names are unique by, in *key: 0, or the
 * rs_text_fault (util/text.h) with neither made. `flags`: 0, or
 * RS_TEXT_STORED for a name read from a store. */
int rs_unit_name_key(const rs_alloc *al, const char *in, unsigned flags,
		     char **name, char **key);
/* The unit of `kind` (not a user) under `parent` whose folded name is
 * `key` (names are unique so among their siblings), 0 when none. */
roster_id rs_unit_named(const roster_directory *dir, roster_id parent,
			int kind, const char *key);

/*
 * Another directory's version of a unit, read by a refresh (the same kind
 * and parent) and checked alone (rs_persist_decode), replaces the one
 * held inside a transaction, sharing its members; a PBX whose digits
 * changed first checks the extensions of its users. Its name among
 * its siblings is checked apart (rs_unit_name_read), once every unit read
 * is in place, so that two units may trade names. `key` names the record
 * in messages. 0, ROSTER_EPARSE or ROSTER_ENOMEM, recorded; on failure
 * `cur` is still the caller's.
 */
int rs_unit_replace_read(roster_directory *dir, rs_unit *cur,
			 const rs_unit *old, const char *key);
int rs_unit_name_read(roster_directory *dir, const rs_unit *u,
		      const char *key);
/*
 * A unit another directory created, read by a refresh (and checked
 * alone): published (the transaction owns it from then on: *put set) and listed
 * among its parent's members, which must be held already (a partner's
 * accounts read before them). Its name is checked apart as above.
 * One another directory deleted leaves its parent's members; it must have
 * none left itself. 0, ROSTER_EPARSE or ROSTER_ENOMEM, recorded; an
 * account created also ROSTER_ERROR ("id.exhausted") once the handle has
 * handed out its search ordinals (rs_sindex_account).
 */
int rs_unit_add_read(roster_directory *dir, rs_unit *u, const char *key,
		     int *put);
int rs_unit_remove_read(roster_directory *dir, const rs_unit *old,
			const char *key);

/* Free every record and index of the model (not the directory). */
void rs_model_free(roster_directory *dir);

/* Free the members of a unit (NULL accepted). */
void rs_members_free(const rs_alloc *al, rs_members *m);
/* Free a record of any kind; `deep` also frees its members. */
void rs_rec_free(roster_directory *dir, rs_rec *rec, int deep);
/* The same with an allocator alone (for snapshots that outlive calls). */
void rs_rec_release(const rs_alloc *al, rs_rec *rec, int deep);

#endif
