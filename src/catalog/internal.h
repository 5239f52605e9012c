/*
 * internal.h: the catalog model, shared by the files of src/catalog/
 * and by licence.c, which decides by index rather than by identifier.
 *
 *   parse.c    XML to a schema-valid libxml2 document (syntax, schema)
 *   build.c    document to model: identifiers, names, references, values
 *   catalog.c  loading, reference counting, the embedded texts
 *   query.c    the read calls of roster/catalog.h
 *   lint.c     the lint checks and their findings
 *
 * A loaded catalog never changes: every string and array lives in its
 * arena and is freed with it when the last reference is dropped.
 */
#ifndef RS_CATALOG_INTERNAL_H
#define RS_CATALOG_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "roster/catalog.h"
#include "roster/password.h"

/* Item kinds are 1 .. RS_KIND_LAST (roster_item_kind). */
#define RS_KIND_LAST ROSTER_ITEM_LANGUAGE
/* An index that names nothing. */
#define RS_NONE UINT32_MAX
/* Longest display name, in bytes. */
#define RS_NAME_MAX 128
/* Most findings a lint reports (and faults a load collects). */
#define RS_LINT_MAX 10000
/* Most licences whose changes are kept as a bit matrix (128 KiB). */
#define RS_CHANGE_BITS 1024

/* A sorted set of item indices. */
typedef struct rs_set {
	const uint32_t *v;
	uint32_t n;
} rs_set;

/* The names of an item for one edition (RS_NONE: without edition). */
typedef struct rs_names {
	uint32_t edition;
	const char *text[ROSTER_LANG_COUNT];
} rs_names;

typedef struct rs_item {
	const char *id;
	unsigned long line;
	/* names[0] is the set without edition, then one per edition */
	const rs_names *names;
	uint32_t nnames;
	/* licences: family and tier (RS_NONE: a licence without tier) */
	uint32_t family, tier;
	/*
	 * editions: set[0] the tiers offered, set[1] the services orderable;
	 * families: set[0] the services required;
	 * licences: set[0] every service needed (its family's and its own);
	 * packs: set[0] the clients included.
	 */
	rs_set set[2];
} rs_item;

/* A slot of the hash index of a kind: the item (RS_NONE: empty) and the
 * upper bits of its identifier's hash with its length in the lower six. */
typedef struct rs_slot {
	uint32_t tag, item;
} rs_slot;

typedef struct rs_kind {
	rs_item *items;
	uint32_t n;
	/*
	 * indices of items by hash of identifier: open addressing with
	 * linear probing, mask + 1 slots (a power of two, at least twice n);
	 * NULL when the kind has no item
	 */
	rs_slot *slots;
	uint32_t mask;
} rs_kind;

typedef struct rs_change {
	uint32_t from, to;
	unsigned long line;
} rs_change;

typedef struct rs_block rs_block;

struct roster_catalog {
	atomic_size_t refs;
	rs_kind kind[RS_KIND_LAST + 1];
	/* in catalog order, and sorted by (from, to) */
	rs_change *changes, *changes_sorted;
	uint32_t nchanges;
	/*
	 * the changes as bits, from * licences + to (up to RS_CHANGE_BITS
	 * licences; NULL beyond, and changes_sorted is searched instead)
	 */
	uint64_t *change_bits;
	/* the seed of the identifier hash, random per catalog */
	uint64_t seed;
	roster_password_policy policy;
	rs_block *arena;
};

/* ------------------------------------------------------------------ */
/* Faults found while building                                         */

/*
 * One thing wrong with a catalog. `rule` is the error rule of a load
 * ("catalog.duplicate", ...); `code` the lint code when roster_catalog_
 * lint_file reports it as a finding (0: it fails the load instead).
 * `what` names the message (the keys of lint texts in i18n.c).
 */
typedef struct rs_fault_cat {
	const char *rule;
	int code;
	const char *what;
	int kind, kind2;
	char a[ROSTER_ITEM_ID_MAX + 1], b[ROSTER_ITEM_ID_MAX + 1];
	unsigned long line, line2;
	size_t seq;
	/* in English, for the error value of a load */
	char detail[128];
} rs_fault_cat;

typedef struct rs_faults {
	rs_fault_cat *v; /* the first RS_LINT_MAX found */
	size_t n, cap;
	size_t seen; /* faults found, kept or not */
	/* the first in the file of all of them, found past the cap too:
	 * [0] among those without lint code, [1] among all */
	rs_fault_cat first[2];
	int have[2];
	/* set when an allocation failed while recording */
	int nomem;
} rs_faults;

/* Free the faults' memory (not the struct). */
void rs_faults_clear(rs_faults *f);
/*
 * The first fault in the file (lowest line, then first found), NULL if
 * none, among every fault found (those past the cap of the list too).
 * `which`: -1 any fault, 0 only those that fail a load even for the lint
 * of a file (no lint code).
 */
const rs_fault_cat *rs_faults_first(const rs_faults *f, int which);

/* ------------------------------------------------------------------ */
/* Loading                                                             */

/* Parse and validate; on failure records the error (thread) and returns
 * ROSTER_EPARSE or ROSTER_ENOMEM. *doc_out is an xmlDoc. */
int rs_catalog_parse(void **doc_out, const void *xml, size_t len,
		     const char *name);
void rs_catalog_doc_free(void *doc);

/*
 * Build the model from a parsed document. Faults are collected in
 * `faults`; *out is set only when there is none. Returns ROSTER_OK (even
 * with faults) or ROSTER_ENOMEM.
 */
int rs_catalog_build(roster_catalog **out, void *doc, rs_faults *faults);

/* Record the fault as the thread's error: ROSTER_EPARSE. */
int rs_catalog_fail(const rs_fault_cat *f, const char *name);

/* "NAME:LINE: detail" into buf; the name is cut to its last component,
 * and that past 40 bytes as an error's value shows them (on a character
 * boundary, marked "..."). */
void rs_catalog_where(char *buf, size_t size, const char *name,
		      unsigned long line, const char *detail);

/* Load from memory, collecting faults instead of failing on the first
 * duplicate or unknown reference (for the lint of a file). On ROSTER_OK,
 * *out is the catalog when `faults` holds no lint-coded fault, else NULL.
 */
int rs_catalog_load_collect(roster_catalog **out, const void *xml,
			    size_t len, const char *name, rs_faults *faults);

/* Read a whole file (at most ROSTER_CATALOG_SIZE_MAX bytes) into a fresh
 * NUL-terminated buffer; records the error (ESTORAGE, EPARSE). */
int rs_catalog_read_file(const char *path, char **buf, size_t *len);

/* Lint of a buffer, as roster_catalog_lint_file does for a file. */
int rs_catalog_lint_buffer(roster_lint **out, const void *xml, size_t len,
			   const char *name);

/* The name of an item kind ("licence"), NULL when out of range. */
const char *rs_kind_name(int kind);

/* ------------------------------------------------------------------ */
/* The model                                                           */

void rs_catalog_destroy(roster_catalog *cat);

/* Index of an item by identifier, RS_NONE when absent. */
uint32_t rs_catalog_find(const roster_catalog *cat, int kind, const char *id);
/*
 * The same for a question about an item that must exist: an unknown one
 * is recorded as the thread's error, as the calls of roster/catalog.h
 * record it (ROSTER_ENOTFOUND, "catalog.unknown", the kind, the id).
 */
uint32_t rs_catalog_lookup(const roster_catalog *cat, int kind,
			   const char *id);
/* 1 when `x` is in the set. */
int rs_set_has(rs_set s, uint32_t x);
/* 1 when every member of `a` is in `b`. */
int rs_set_within(rs_set a, rs_set b);

/* The edition offers the licence (its tier, or it has none). */
int rs_offers(const roster_catalog *cat, uint32_t edition, uint32_t licence);
/* Every service the licence needs is orderable in the edition. */
int rs_can_meet(const roster_catalog *cat, uint32_t edition,
		uint32_t licence);
/* The table allows changing licence `from` into licence `to`. */
int rs_change_ok(const roster_catalog *cat, uint32_t from, uint32_t to);

/* Arena of the model. */
void *rs_arena_alloc(rs_block **arena, size_t size);
char *rs_arena_strdup(rs_block **arena, const char *s);
void rs_arena_free(rs_block *arena);

/* The embedded texts (generated by scripts/embed.py). */
extern const char rs_catalog_schema_text[];
extern const size_t rs_catalog_schema_text_len;
extern const char rs_catalog_default_text[];
extern const size_t rs_catalog_default_text_len;

#endif
