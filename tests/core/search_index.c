/*
 * search_index.c: the prefix index itself (src/search_index.c), checked
 * from the inside while users come, change and go: every list in label
 * order with the fences of its segments true, seeks and forward moves
 * agreeing with a scan, slots numbered afresh in label order once enough
 * are out of it (and nothing lost when memory runs out meanwhile), and
 * searches over several lists agreeing with a scan of the users. Links the
 * static library to reach the index.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "roster/sys/storage.h"
#include "search_index.h"
#include "searched.h"
#include "util/text.h"
#include "validate.h"

static const char *const firsts[] = { "Marie", "Jiří", "Hélène", "Zoë",
				      "Maxime", "Šárka", "Anna", "Lukáš" };
static const char *const lasts[] = { "Dvořáková", "Novák", "Lefèvre",
				     "Černý", "Martin", "Svoboda", "Müller",
				     "Lê" };
#define NF (sizeof(firsts) / sizeof(firsts[0]))
#define NL (sizeof(lasts) / sizeof(lasts[0]))

static unsigned seed = 20261123;

static unsigned rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/* The checks draw from their own sequence: which lists they look at
 * follows the table's random hash seed, and must not change the changes
 * the tests make. */
static unsigned check_seed = 7;

static unsigned check_rnd(void)
{
	check_seed = check_seed * 1103515245u + 12345u;
	return check_seed >> 8;
}

/* An allocator that can be told to fail, now or after `countdown` more
 * allocations (-1: never). */
static int failing;
static long countdown = -1;

static int fails(void)
{
	if (countdown > 0)
		countdown--;
	else if (countdown == 0)
		failing = 1;
	return failing;
}

static void *t_malloc(size_t n, void *data)
{
	(void)data;
	return fails() ? NULL : malloc(n);
}

static void *t_realloc(void *p, size_t n, void *data)
{
	(void)data;
	return fails() ? NULL : realloc(p, n);
}

static void t_free(void *p, void *data)
{
	(void)data;
	free(p);
}

typedef struct world {
	roster_directory *dir;
	roster_actor sys;
	roster_id accounts[3];
	roster_id *ids;
	size_t n;
	unsigned serial;
	size_t tidied; /* commits after which the slots were in order */
	size_t unordered; /* the index's count after the last step */
	size_t repacked;  /* tidyings after which every list was dense */
} world;

static void world_open(world *w)
{
	roster_directory_options o;
	static const char *const names[] = { "Main", "Second", "Third" };
	roster_id partner;
	size_t i;

	memset(w, 0, sizeof(*w));
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.malloc_fn = t_malloc;
	o.realloc_fn = t_realloc;
	o.free_fn = t_free;
	assert_int_equal(roster_directory_open(&w->dir, &o), 0);
	roster_actor_init(&w->sys, ROSTER_ACTOR_SYSTEM, 0);
	assert_int_equal(roster_partner_create(&partner, w->dir, &w->sys,
					       "Partner"),
			 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(roster_account_create(&w->accounts[i], w->dir,
						       &w->sys, partner, names[i]),
				 0);
	w->ids = calloc(20000, sizeof(*w->ids));
	assert_non_null(w->ids);
	/* small enough for the test's few thousand users: their logins'
	 * words ("u", "x", "test") are inverted lists */
	w->dir->sindex->tidy_min = 64;
	w->dir->sindex->inv_min = 32;
}

static void world_free(world *w)
{
	roster_directory_free(w->dir);
	free(w->ids);
}

static roster_form *name_form(world *w, int flags)
{
	roster_form *f = NULL;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME,
					     firsts[rnd() % NF]),
			 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME,
					     lasts[rnd() % NL]),
			 0);
	if (flags) {
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_CLOUD,
						      (int)(rnd() % 3 == 0)),
				 0);
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_IOT,
						      (int)(rnd() % 2)),
				 0);
	}
	return f;
}

/* Half the users get a phone number of a country that dials a national
 * prefix (0), one that dials none, the one whose code is its prefix, or
 * of no country: the search checks find them by their national forms. */
static void set_phone(roster_form *f)
{
	static const char *const codes[] = { "33", "420", "1", "999" };
	char phone[24];

	if (rnd() % 2)
		return;
	snprintf(phone, sizeof(phone), "+%s %u%u %06u", codes[rnd() % 4],
		 (unsigned)(rnd() % 9 + 1), (unsigned)(rnd() % 10),
		 (unsigned)(rnd() % 1000000));
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PHONE, phone), 0);
}

/* A new login: seven in eight at x.test, so that the lists of its words
 * are inverted, and the users lacking them listed in those. */
static void set_login(world *w, roster_form *f)
{
	char email[48];

	snprintf(email, sizeof(email), "u%u@%s", w->serial++,
		 rnd() % 8 ? "x.test" : "y.example");
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, email), 0);
}

static void add_user(world *w)
{
	roster_form *f = name_form(w, 1);

	set_login(w, f);
	set_phone(f);
	assert_int_equal(roster_user_create(&w->ids[w->n], w->dir, &w->sys,
					    w->accounts[rnd() % 3], f),
			 0);
	w->n++;
	roster_form_free(f);
}

static void change_user(world *w)
{
	roster_form *f = name_form(w, rnd() % 2);

	if (rnd() % 4 == 0)
		set_login(w, f);
	assert_int_equal(roster_user_update(w->dir, &w->sys,
					    w->ids[rnd() % w->n], f),
			 0);
	roster_form_free(f);
}

static void delete_user(world *w)
{
	size_t k = rnd() % w->n;

	assert_int_equal(roster_user_delete(w->dir, &w->sys, w->ids[k]), 0);
	w->ids[k] = w->ids[--w->n];
}

/* ------------------------------------------------------------------ */
/* The index's invariants                                              */

static uint32_t order_of(const rs_sindex *x, uint32_t slot)
{
	return (uint32_t)(x->key[slot].label >> 32);
}

/* The slots of a list, in list order; returns how many. */
static size_t slots_of(const rs_plist *l, uint32_t *out)
{
	rs_pos p = { 0, 0 };
	uint32_t s;
	size_t n = 0;

	while ((s = rs_plist_next(l, &p)) != UINT32_MAX)
		out[n++] = s;
	return n;
}

/* Does u hold the value of a value list's key: "\x02", then 'g' or 's'
 * and a group's or site's identifier (8 bytes, least significant
 * first), or 'l', 'p' or 'r' and a licence's, pack's or product's? */
static int holds(const rs_user *u, const rs_plist *l)
{
	char id[64];
	roster_id ref = 0;
	size_t i;

	if (l->key[1] == 'g' || l->key[1] == 's') {
		assert_int_equal(l->klen, 10);
		for (i = 0; i < 8; i++)
			ref |= (roster_id)(unsigned char)l->key[2 + i] << (8 * i);
		return RS_REF(u, l->key[1] == 'g' ? ROSTER_FIELD_GROUP
						  : ROSTER_FIELD_SITE) == ref;
	}
	snprintf(id, sizeof(id), "%.*s", (int)l->klen - 2, l->key + 2);
	if (l->key[1] == 'l' || l->key[1] == 'p') {
		const char *v = RS_STR(u, l->key[1] == 'l' ? ROSTER_FIELD_LICENCE
							   : ROSTER_FIELD_PACK);
		return v && !strcmp(v, id);
	}
	assert_int_equal(l->key[1], 'r');
	for (i = 0; i < u->nproducts; i++)
		if (!strcmp(RS_PRODUCT(u, i), id))
			return 1;
	return 0;
}

static void check_list(const rs_sindex *x, const rs_plist *l, uint32_t *buf)
{
	size_t n = slots_of(l, buf), i, total = 0;
	rs_pos p = { 0, 0 };
	uint32_t g;

	assert_int_equal(n, l->total);
	/* a word's prefix (the filters' keys begin with '\x01', the
	 * values' with '\x02'): no control character, such as the one
	 * ending the sort key's last name, is part of it */
	if (l->klen && l->key[0] != '\x01' && l->key[0] != '\x02')
		for (i = 0; i < l->klen; i++)
			assert_true((unsigned char)l->key[i] >= 0x20);
	for (g = 0; g < l->nsegs; g++) {
		const rs_seg *s = &l->segs[g];
		total += s->len;
		if (l->nsegs > 1)
			assert_true(s->len > 0);
		if (!s->len)
			continue;
		assert_int_equal(s->lo,
				 order_of(x, rs_entry_slot(l->slab[s->at])));
		assert_int_equal(s->hi,
				 order_of(x, rs_entry_slot(
						     l->slab[s->at + s->len - 1])));
	}
	assert_int_equal(total, n);
	for (i = 0; i < n; i++) {
		uint32_t e = rs_plist_next_entry(l, &p);
		assert_non_null(x->users[buf[i]]);
		/* each entry holds the filters its user passes */
		assert_int_equal(rs_entry_slot(e), buf[i]);
		assert_int_equal(rs_entry_filters(e),
				 rs_user_filters(x->users[buf[i]]));
		if (i)
			assert_true(x->key[buf[i - 1]].label <
				    x->key[buf[i]].label);
		if (l->klen && l->key[0] == '\x02')
			assert_true(holds(x->users[buf[i]], l));
	}
}

/* The first index in buf[0..n) whose label is >= label. */
static size_t scan_seek(const rs_sindex *x, const uint32_t *buf, size_t n,
			uint64_t label)
{
	size_t i = 0;

	while (i < n && x->key[buf[i]].label < label)
		i++;
	return i;
}

/* Seeks and forward moves land where a scan says, for labels of every
 * kind: each account's base and end, the labels of users and between. */
static void check_seeks(const rs_sindex *x, const rs_plist *l, uint32_t *buf)
{
	size_t n = slots_of(l, buf), k;
	rs_pos walk = { 0, 0 };
	uint64_t last = 0;

	for (k = 0; k < 40; k++) {
		uint64_t label;
		rs_pos p;
		unsigned r = check_rnd() % 4;

		if (r == 0 || !n)
			label = (uint64_t)(check_rnd() % 6) << 32;
		else if (r == 1)
			label = x->key[buf[check_rnd() % n]].label;
		else if (r == 2)
			label = x->key[buf[check_rnd() % n]].label + 1;
		else
			label = ((uint64_t)(check_rnd() % 6) << 32) + check_rnd();
		p = rs_plist_seek(x, l, label);
		assert_int_equal(rs_plist_rank(l, p), scan_seek(x, buf, n, label));
		/* forward moves only: from the last target on */
		if (label < last)
			continue;
		rs_plist_advance(x, l, &walk, label);
		assert_int_equal(rs_plist_rank(l, walk),
				 scan_seek(x, buf, n, label));
		last = label;
	}
}

static int has_word(const rs_user *u, const char *prefix);

/* Does u have the key of a word's or filter's list? */
static int has_key(const rs_user *u, const rs_plist *l)
{
	char prefix[RS_KEY_BYTES + 1];

	if (l->key[0] == '\x01')
		return (int)((rs_user_filters(u) >> (l->key[1] - '0')) & 1);
	snprintf(prefix, sizeof(prefix), "%.*s", (int)l->klen, l->key);
	return has_word(u, prefix);
}

/* An inverted list holds exactly the listed users lacking its key. */
static void check_inverted(const rs_sindex *x, const rs_plist *l)
{
	uint32_t *all = calloc(x->nslots + 1, sizeof(*all));
	unsigned char *in = calloc(x->nslots + 1, 1);
	rs_pos p = { 0, 0 };
	size_t n, i;
	uint32_t s;

	assert_non_null(all);
	assert_non_null(in);
	assert_true(l->klen > 0 && l->key[0] != '\x02');
	while ((s = rs_plist_next(l, &p)) != UINT32_MAX)
		in[s] = 1;
	n = slots_of(x->all, all);
	for (i = 0; i < n; i++)
		if (in[all[i]] != !has_key(x->users[all[i]], l))
			fail_msg("list \"%.*s\" (inverted) %s slot %u",
				 (int)l->klen, l->key,
				 in[all[i]] ? "holds" : "lacks", all[i]);
	free(all);
	free(in);
}

/* The login set holds users' addresses: this one's? */
static int is_user(void *ctx, uint64_t addr)
{
	return (const void *)(uintptr_t)addr == ctx;
}

/* Every user's login leads to the version the directory holds now
 * (rs_put swaps it at each version): a lookup reads no other. */
static void check_login(const roster_directory *dir, const rs_user *u)
{
	const char *key = RS_EMAIL_KEY(u);

	assert_ptr_equal(rs_get(dir, u->base.id), u);
	assert_int_equal(rs_keyset_find(&dir->emails,
					rs_hash(key, strlen(key), dir->seed),
					is_user, (void *)u),
			 (uintptr_t)u);
}

static void check_index(world *w)
{
	const rs_sindex *x = w->dir->sindex;
	uint32_t *buf = calloc(x->nslots + 1, sizeof(*buf));
	size_t i, k, n, lists = 0, inverted = 0;

	assert_non_null(buf);
	/* every user listed once, in its slot, but those waiting */
	n = slots_of(x->all, buf);
	assert_int_equal(n + x->npending, w->n);
	assert_int_equal(n + x->npending, x->nslots - x->nfree);
	for (i = 0; i < x->npending; i++) {
		assert_ptr_equal(x->users[x->pending[i]->base.slot], x->pending[i]);
		check_login(w->dir, x->pending[i]);
	}
	assert_int_equal(w->dir->emails.count + w->dir->emails.far.count,
			 w->n);
	for (i = 0; i < n; i++) {
		const rs_user *u = x->users[buf[i]];
		check_login(w->dir, u);
		assert_int_equal(u->base.slot, buf[i]);
		assert_int_equal(x->key[buf[i]].id, u->base.id);
		/* the names are in the sort key and the login
		 * ("u7@x.test") in its key, lower-case ASCII: the words
		 * hold neither, only the phone's digits when it has one
		 * (no other field is set here) */
		for (k = 0; RS_EMAIL_KEY(u)[k]; k++)
			assert_true(RS_EMAIL_KEY(u)[k] > ' ' &&
				    (unsigned char)RS_EMAIL_KEY(u)[k] < 0x80 &&
				    (RS_EMAIL_KEY(u)[k] < 'A' ||
				     RS_EMAIL_KEY(u)[k] > 'Z'));
		if (RS_STR(u, ROSTER_FIELD_PHONE))
			assert_true(RS_WORDS(u)[0] == ' ' &&
				    strncmp(RS_WORDS(u) + 1,
					    RS_STR(u, ROSTER_FIELD_PHONE) + 1,
					    strlen(RS_STR(u, ROSTER_FIELD_PHONE)
						   + 1)) == 0);
		else
			/* none: a packed user keeps no string for them */
			assert_null(RS_WORDS(u));
		/* a word of no letter begins every word; one never typed
		 * begins none (its login's words are read to the end) */
		assert_true(rs_user_has_word(u, " "));
		assert_true(rs_user_has_word(u, ""));
		assert_false(rs_user_has_word(u, " qqqqq"));
		/* a label is above its account's base */
		assert_true((x->key[buf[i]].label & 0xFFFFFFFFu) != 0);
		/* numbered in label order since the last tidying (users
		 * deleted since leave gaps) */
		if (!x->unordered && i)
			assert_true(buf[i - 1] < buf[i]);
	}
	for (i = 0, k = 0; i < x->lists.cap; i++) {
		const rs_plist *l =
			(const rs_plist *)(uintptr_t)x->lists.slots[i].b;
		if (!l)
			continue;
		check_list(x, l, buf);
		if (lists++ % 7 == 0)
			check_seeks(x, l, buf);
		k += l->klen && l->key[0] == '\x02';
		inverted += l->inv;
	}
	/* the value lists are counted */
	assert_int_equal(k, x->nvalues);
	/* and the inverted ones, each where its place says */
	assert_int_equal(inverted, x->ninv);
	for (i = 0; i < x->ninv; i++) {
		assert_true(x->inv[i]->inv);
		assert_int_equal(x->inv[i]->invbit, i);
		check_inverted(x, x->inv[i]);
	}
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Searches against a scan                                             */

/* Does " prefix" begin a word of one of u's searched fields (names,
 * login, numbers, lines)? Folded here from the fields themselves, not
 * read from the words and sort key the index was built from. */
/* Does the E.164 number v begin with prefix in its country: its digits
 * after the calling code, or those after the national prefix? */
static int national_has(const char *v, const char *prefix)
{
	const char *trunk;
	char dialled[40];
	size_t cc, n = strlen(prefix);

	if (v[0] != '+' || !(cc = rs_calling_code(v + 1, &trunk)))
		return 0;
	snprintf(dialled, sizeof(dialled), "%s%s", trunk, v + 1 + cc);
	return strncmp(v + 1 + cc, prefix, n) == 0 ||
	       (*trunk && strncmp(dialled, prefix, n) == 0);
}

static int has_word(const rs_user *u, const char *prefix)
{
	size_t i, n = NSEARCHED + u->nlines;
	int found = 0;
	rs_alloc al;
	char p[16];

	rs_alloc_setup(&al, NULL);
	snprintf(p, sizeof(p), " %s", prefix);
	for (i = 0; i < n && !found; i++) {
		const char *v = i < NSEARCHED ? RS_STR(u, searched_fields[i])
					      : RS_LINE(u, i - NSEARCHED);
		char *words = NULL;
		if (!v)
			continue;
		assert_int_equal(rs_text_words(&al, v, &words), 0);
		found = strstr(words, p) != NULL;
		rs_free(&al, words);
		if (i >= NSEARCHED || searched_fields[i] == ROSTER_FIELD_PHONE)
			found |= national_has(v, prefix);
	}
	return found;
}

static int all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static void check_search(world *w, roster_id account, const char *a,
			 const char *b, unsigned props)
{
	const rs_sindex *x = w->dir->sindex;
	roster_query *q = NULL;
	roster_page *pg = NULL;
	char text[32], joined[16];
	size_t want = 0, got = 0, i, counted = 0;
	char *cursor = NULL;
	int f;

	snprintf(text, sizeof(text), "%s %s", a, b);
	if (*b && all_digits(a) && all_digits(b)) {
		/* two groups of digits are one number (search.h) */
		snprintf(joined, sizeof(joined), "%s%s", a, b);
		a = joined;
		b = "";
	}
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_set_text(q, text), 0);
	for (f = 0; props >> f; f++)
		if ((props >> f) & 1)
			assert_int_equal(roster_query_filter(q, f), 0);
	for (i = 0; i < x->nslots; i++) {
		const rs_user *u = x->users[i];
		if (u && (!account || u->base.parent == account) &&
		    has_word(u, a) && (!*b || has_word(u, b)) &&
		    !(props & ~rs_user_filters(u)))
			want++;
	}
	/* pages of 7, each user once */
	do {
		assert_int_equal(roster_search(&pg, w->dir, &w->sys, account,
					       q, cursor, 7),
				 0);
		for (i = 0; i < roster_page_count(pg); i++) {
			const rs_user *u = (const rs_user *)rs_get_kind(
				w->dir, roster_page_id(pg, i), ROSTER_KIND_USER);
			assert_non_null(u);
			assert_true(!account || u->base.parent == account);
			assert_true(has_word(u, a) && (!*b || has_word(u, b)));
			assert_int_equal(props & ~rs_user_filters(u), 0);
		}
		got += roster_page_count(pg);
		free(cursor);
		cursor = roster_page_next(pg) ? strdup(roster_page_next(pg))
					      : NULL;
		roster_page_free(pg);
	} while (cursor);
	if (got != want)
		fail_msg("\"%s\" with filters %#x: %zu found, the scan says %zu",
			 text, props, got, want);
	assert_int_equal(roster_search_count(&counted, w->dir, &w->sys,
					     account, q),
			 0);
	assert_int_equal(counted, want);
	roster_query_free(q);
}

static void check_searches(world *w)
{
	/* longer than the lists' four characters too: those are checked
	 * against the users' words */
	static const char *const words[] = { "m",     "ma",    "mar",
					     "d",     "dv",    "no",
					     "z",     "u1",    "s",
					     "ce",    "marti", "dvora",
					     "helen", "lukas", "6",
					     "06",    "33",    "420",
					     "0612",  "1",     "99",
					     /* every login's: inverted */
					     "u",     "x",     "test",
					     "tes",   "testy", "t",
					     "y",     "exam" };
	const size_t n = sizeof(words) / sizeof(words[0]);
	size_t k;

	for (k = 0; k < 6; k++) {
		const char *a = words[rnd() % n];
		const char *b = rnd() % 2 ? words[rnd() % n] : "";
		unsigned props = 0;
		if (rnd() % 2)
			props |= 1u << ROSTER_FILTER_CLOUD;
		if (rnd() % 3 == 0)
			props |= 1u << ROSTER_FILTER_IOT;
		roster_id account =
			rnd() % 3 ? 0 : w->accounts[rnd() % 3];
		check_search(w, account, a, b, props);
	}
}

/* The index's invariants, then searches against a scan. */
static void check_all(world *w)
{
	check_index(w);
	check_searches(w);
}

/* ------------------------------------------------------------------ */

/* The segments a list packed again has: full ones, an eighth more
 * spare. */
static size_t packed_segs(const rs_plist *l)
{
	size_t segs = (l->total + RS_SEG - 1) / RS_SEG;

	if (!segs)
		segs = 1;
	return segs + (segs + 7) / 8;
}

/* Is every list at least 60% used, or one that packing would not make
 * smaller? */
static int lists_dense(const rs_sindex *x)
{
	size_t i;

	for (i = 0; i < x->lists.cap; i++) {
		const rs_plist *l =
			(const rs_plist *)(uintptr_t)x->lists.slots[i].b;
		if (!l || l->capsegs < 2 ||
		    l->total * 5 >= (size_t)l->capsegs * RS_SEG * 3)
			continue;
		if (packed_segs(l) < l->capsegs)
			return 0;
	}
	return 1;
}

/* A commit after which the slots are in label order again. A step
 * that numbered them afresh (some were out of order before it) also
 * packed every list left under 60% used (rs_sindex_tidy). */
static void note_tidy(world *w)
{
	const rs_sindex *x = w->dir->sindex;

	if (!x->unordered)
		w->tidied++;
	if (w->unordered && !x->unordered) {
		assert_true(lists_dense(x));
		w->repacked++;
	}
	w->unordered = x->unordered;
}

static void test_random_changes(void **state)
{
	world w;
	size_t step;

	(void)state;
	world_open(&w);
	for (step = 0; step < 3000; step++) {
		unsigned op = rnd() % 100;
		if (op < 55 || w.n < 10) {
			add_user(&w);
		} else if (op < 75) {
			change_user(&w);
		} else if (op < 85) {
			delete_user(&w);
		} else {
			/* a batch, committed or rolled back */
			size_t before = w.n, k, keep = rnd() % 2;
			roster_id *saved = malloc(w.n * sizeof(*saved) + 1);
			assert_non_null(saved);
			memcpy(saved, w.ids, w.n * sizeof(*saved));
			assert_int_equal(roster_transaction_begin(w.dir), 0);
			for (k = 0; k < 40; k++) {
				unsigned o = rnd() % 4;
				if (o < 2)
					add_user(&w);
				else if (o == 2)
					change_user(&w);
				else
					delete_user(&w);
			}
			if (keep) {
				assert_int_equal(roster_transaction_commit(w.dir), 0);
			} else {
				assert_int_equal(roster_transaction_rollback(w.dir), 0);
				w.n = before;
				memcpy(w.ids, saved, w.n * sizeof(*saved));
			}
			free(saved);
		}
		note_tidy(&w);
		if (step % 250 == 249) {
			check_all(&w);
		}
	}
	check_all(&w);
	print_message("%zu users after 3000 changes; slots put in label order"
		      " after %zu commits (numbered afresh %zu times);"
		      " %u lists inverted\n",
		      w.n, w.tidied, w.repacked, w.dir->sindex->ninv);
	assert_true(w.tidied >= 3);
	assert_true(w.repacked >= 3);
	/* the logins' words, at least "u", "x", "t", "te", "tes", "test" */
	assert_true(w.dir->sindex->ninv >= 6);
	world_free(&w);
}

/* Out of memory when the slots would be numbered afresh: the commit
 * stands, the index stays as it was, and a later commit does it. */
static void test_tidy_without_memory(void **state)
{
	world w;
	size_t k, before;

	(void)state;
	world_open(&w);
	for (k = 0; k < 200; k++)
		add_user(&w);
	check_index(&w);
	assert_int_equal(roster_transaction_begin(w.dir), 0);
	for (k = 0; k < 150; k++)
		add_user(&w);
	/* what the commit needs is there: only the tidying runs short */
	failing = 1;
	assert_int_equal(roster_transaction_commit(w.dir), 0);
	failing = 0;
	before = w.dir->sindex->unordered;
	assert_true(before >= 150);
	check_all(&w);
	add_user(&w);
	assert_int_equal(w.dir->sindex->unordered, 0);
	check_all(&w);
	world_free(&w);
}

/* Lists left sparse by single creations and deletions are packed by the
 * tidying; out
 * of memory at any of its allocations, the lists not packed stay as they
 * were and the index stays whole. */
static void test_repack_without_memory(void **state)
{
	world w;
	size_t k, tries = 0;

	(void)state;
	world_open(&w);
	w.dir->sindex->tidy_min = (size_t)-1; /* no tidying meanwhile */
	for (k = 0; k < 4000; k++)
		add_user(&w);
	for (k = 0; k < 2500; k++)
		delete_user(&w); /* segments split in halves, then emptied */
	assert_false(lists_dense(w.dir->sindex));
	w.dir->sindex->tidy_min = 64;
	do {
		/* as if every slot had been labelled since */
		w.dir->sindex->unordered = w.dir->sindex->nslots;
		countdown = (long)tries++;
		rs_sindex_tidy(w.dir);
		countdown = -1;
		failing = 0;
		check_index(&w);
	} while (!lists_dense(w.dir->sindex) && tries < 100000);
	print_message("packing the lists failed %zu times, then went"
		      " through\n",
		      tries - 1);
	assert_true(lists_dense(w.dir->sindex));
	assert_true(tries > 10);
	/* every user's list, left a quarter used, was packed full */
	assert_int_equal(w.dir->sindex->all->capsegs,
			 packed_segs(w.dir->sindex->all));
	check_all(&w);
	world_free(&w);
}

/* Give user k the login "m<k>@<domain>". */
static void move_login(world *w, size_t k, const char *domain)
{
	roster_form *f = NULL;
	char email[48];

	snprintf(email, sizeof(email), "m%zu@%s", k, domain);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, email), 0);
	assert_int_equal(roster_user_update(w->dir, &w->sys, w->ids[k], f), 0);
	roster_form_free(f);
}

static int inverted(const world *w, const char *word)
{
	const rs_plist *l = rs_sindex_list(w->dir->sindex, word);

	assert_non_null(l);
	return l->inv;
}

/* The list of a word most users have is inverted after a commit, and put
 * back once most lack it; searches and counts find the same users either
 * way (check_all), and within a transaction undone too. */
static void test_inverted_lists(void **state)
{
	world w;
	size_t k;

	(void)state;
	world_open(&w);
	for (k = 0; k < 200; k++)
		add_user(&w);
	for (k = 0; k < w.n; k++)
		move_login(&w, k, "x.test");
	assert_true(inverted(&w, "test") && inverted(&w, "x"));
	assert_false(inverted(&w, "exam"));
	check_all(&w);
	/* most users move to another domain, then the move is undone */
	assert_int_equal(roster_transaction_begin(w.dir), 0);
	for (k = 0; k < w.n; k++)
		if (k % 4)
			move_login(&w, k, "y.example");
	check_all(&w);
	assert_int_equal(roster_transaction_rollback(w.dir), 0);
	assert_true(inverted(&w, "test"));
	check_all(&w);
	/* and for good: put back, while the other domain's are inverted */
	assert_int_equal(roster_transaction_begin(w.dir), 0);
	for (k = 0; k < w.n; k++)
		if (k % 4)
			move_login(&w, k, "y.example");
	assert_int_equal(roster_transaction_commit(w.dir), 0);
	assert_false(inverted(&w, "test"));
	assert_true(inverted(&w, "exam"));
	check_all(&w);
	/* deleted (the others, at positions above, are swapped in), the
	 * users lacking "exam" leave its inverted list */
	for (k = w.n; k-- > 0;)
		if (k % 4 == 0) {
			assert_int_equal(roster_user_delete(w.dir, &w.sys,
							    w.ids[k]),
					 0);
			w.ids[k] = w.ids[--w.n];
		}
	assert_true(inverted(&w, "exam"));
	assert_int_equal(rs_sindex_list(w.dir->sindex, "exam")->total, 0);
	check_all(&w);
	world_free(&w);
}

/* Out of memory at any allocation of the inverting, the lists not yet
 * inverted stay as they were, the index whole; the next tidying tries
 * them again, without waiting for more users to change. */
static void test_invert_without_memory(void **state)
{
	world w;
	size_t k, tries = 0;
	rs_sindex *x;

	(void)state;
	world_open(&w);
	x = w.dir->sindex;
	x->inv_min = (size_t)-1; /* no list inverted meanwhile */
	for (k = 0; k < 300; k++)
		add_user(&w);
	assert_int_equal(x->ninv, 0);
	x->inv_min = 32;
	x->tidy_min = (size_t)-1; /* the inverting alone */
	/* as if every user had been listed since, once */
	x->changed = x->nslots;
	do {
		countdown = (long)tries++;
		rs_sindex_tidy(w.dir);
		countdown = -1;
		failing = 0;
		check_index(&w);
	} while (x->ninv < 6 && tries < 10000);
	print_message("inverting the lists failed %zu times, then went"
		      " through\n",
		      tries - 1);
	assert_true(x->ninv >= 6);
	assert_true(tries > 6);
	check_all(&w);
	world_free(&w);
}

/* The last account ordinals: the one before last is handed out and its
 * users found; then the handle refuses, changing nothing. */
static void test_last_ordinal(void **state)
{
	world w;
	roster_id partner, acc, refused = 99;
	roster_query *q = NULL;
	roster_page *p = NULL;
	size_t n = 0;

	(void)state;
	world_open(&w);
	w.dir->sindex->orders = UINT32_MAX - 2;
	assert_int_equal(roster_partner_create(&partner, w.dir, &w.sys,
					       "Late partner"),
			 0);
	assert_int_equal(roster_account_create(&acc, w.dir, &w.sys, partner,
					       "Late"),
			 0);
	w.accounts[0] = w.accounts[1] = w.accounts[2] = acc;
	add_user(&w);
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_search(&p, w.dir, &w.sys, acc, q, NULL, 10), 0);
	assert_int_equal(roster_page_count(p), 1);
	assert_int_equal(roster_page_id(p, 0), w.ids[0]);
	roster_page_free(p);
	assert_int_equal(roster_search_count(&n, w.dir, &w.sys, acc, q), 0);
	assert_int_equal(n, 1);
	assert_int_equal(roster_account_create(&refused, w.dir, &w.sys,
					       partner, "Too late"),
			 ROSTER_ERROR);
	assert_string_equal(roster_error_rule(roster_directory_error(w.dir)),
			    "id.exhausted");
	assert_int_equal(refused, 0);
	assert_int_equal(w.dir->sindex->orders, UINT32_MAX - 1);
	check_index(&w);
	roster_query_free(q);
	world_free(&w);
}

/* A handle out of account ordinals refreshes after another created an
 * account: reading only that account would need one more, so the whole
 * store is read, which numbers the accounts afresh. */
static void test_refresh_out_of_ordinals(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *a = NULL, *b = NULL;
	roster_actor sys;
	roster_id partner, acc;
	roster_record *rec = NULL;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_memstore_methods();
	o.store = ms;
	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	assert_int_equal(roster_directory_open(&a, &o), 0);
	assert_int_equal(roster_partner_create(&partner, a, &sys, "Partner"), 0);
	assert_int_equal(roster_directory_open(&b, &o), 0);
	b->sindex->orders = UINT32_MAX - 1;
	assert_int_equal(roster_account_create(&acc, a, &sys, partner, "Late"),
			 0);
	assert_int_equal(roster_record_get(&rec, b, acc), ROSTER_ENOTFOUND);
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_true(b->sindex->orders < 10);
	assert_int_equal(roster_record_get(&rec, b, acc), 0);
	assert_string_equal(roster_record_name(rec), "Late");
	roster_record_free(rec);
	roster_directory_free(a);
	roster_directory_free(b);
	roster_memstore_free(ms);
}

/* Users of one name come one after the other (by identifier): each takes
 * a small part of the room after the last, so the account is seldom
 * labelled afresh. Halving the room each time did it every 32 users. */
static void test_same_name_run(void **state)
{
	world w;
	roster_form *f = NULL;
	char email[48];
	size_t k;

	(void)state;
	world_open(&w);
	/* two neighbours, then 3,000 of one name between them */
	for (k = 0; k < 3002; k++) {
		const char *last = k == 0 ? "Aaron" : k == 1 ? "Zeman" : "Novák";
		assert_int_equal(roster_form_new(&f, w.dir), 0);
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME,
						     "Jana"),
				 0);
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME,
						     last),
				 0);
		snprintf(email, sizeof(email), "run%zu@x.test", k);
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL,
						     email),
				 0);
		assert_int_equal(roster_user_create(&w.ids[w.n], w.dir, &w.sys,
						    w.accounts[0], f),
				 0);
		w.n++;
		roster_form_free(f);
	}
	print_message("3,000 users of one name: the account labelled afresh"
		      " %zu times\n",
		      w.dir->sindex->relabels);
	assert_true(w.dir->sindex->relabels <= 8);
	check_all(&w);
	world_free(&w);
}

/* ------------------------------------------------------------------ */
/* Imports: their users listed together, in order                      */

typedef struct text_in {
	const char *s;
	size_t at, len;
} text_in;

static long read_text(void *data, void *buf, size_t len)
{
	text_in *t = data;
	size_t n = t->len - t->at < len ? t->len - t->at : len;

	memcpy(buf, t->s + t->at, n);
	t->at += n;
	return (long)n;
}

/* CSV of `rows` users with random names; row `bad` (if any) repeats the
 * e-mail of the row before. */
static char *users_csv(world *w, size_t rows, size_t bad)
{
	size_t cap = 64 + rows * 80, len = 0, i;
	char *s = malloc(cap);

	assert_non_null(s);
	len += (size_t)snprintf(s, cap, "first_name,last_name,email,cloud\r\n");
	for (i = 0; i < rows; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"%s,%s,imp%u@x.test,%d\r\n",
					firsts[rnd() % NF], lasts[rnd() % NL],
					i == bad ? w->serial - 1 : w->serial++,
					(int)(rnd() % 2));
	return s;
}

static int import_csv(world *w, const char *csv, unsigned mode, int dry,
		      size_t *created)
{
	roster_import_options o;
	roster_import_report *r = NULL;
	text_in t = { csv, 0, strlen(csv) };
	int rc;

	roster_import_options_init(&o, ROSTER_IMPORT_OPTIONS_VERSION);
	o.mode = mode;
	o.dry_run = dry;
	rc = roster_import(&r, w->dir, &w->sys, w->accounts[0],
			   ROSTER_FORMAT_CSV, read_text, &t, &o);
	*created = r ? roster_import_created(r) : 0;
	roster_import_report_free(r);
	return rc;
}

/* The ids of the users of the account, appended to w->ids. */
static void take_ids(world *w, roster_id account)
{
	roster_page *p = NULL;
	size_t i, k;

	assert_int_equal(roster_list(&p, w->dir, account, ROSTER_KIND_USER,
				     NULL, ROSTER_PAGE_MAX),
			 0);
	for (i = 0; i < roster_page_count(p); i++) {
		roster_id id = roster_page_id(p, i);
		for (k = 0; k < w->n && w->ids[k] != id; k++)
			;
		if (k == w->n)
			w->ids[w->n++] = id;
	}
	roster_page_free(p);
}

static void test_import_listed_in_order(void **state)
{
	world w;
	size_t k, created, before;
	char *csv;

	(void)state;
	world_open(&w);
	for (k = 0; k < 300; k++)
		add_user(&w);
	/* several flushes within the import, the first ones a large part of
	 * the account (labelled with it at once, merge_labels) */
	w.dir->sindex->pending_max = 97;
	w.dir->sindex->relabels = 0;
	csv = users_csv(&w, 1000, (size_t)-1);
	assert_int_equal(import_csv(&w, csv, ROSTER_IMPORT_ALL_OR_NOTHING, 0,
				    &created),
			 0);
	free(csv);
	assert_int_equal(created, 1000);
	take_ids(&w, w.accounts[0]);
	assert_int_equal(w.n, 1300);
	assert_int_equal(w.dir->sindex->npending, 0);
	assert_true(w.dir->sindex->relabels >= 1);
	check_all(&w);
	/* refused, dry: nothing changes, no user waits */
	before = w.dir->sindex->nslots - w.dir->sindex->nfree;
	csv = users_csv(&w, 500, 400);
	assert_int_equal(import_csv(&w, csv, ROSTER_IMPORT_ALL_OR_NOTHING, 0,
				    &created),
			 ROSTER_EINVALID);
	assert_int_equal(import_csv(&w, csv, ROSTER_IMPORT_BEST_EFFORT, 1,
				    &created),
			 ROSTER_EINVALID);
	assert_int_equal(w.dir->sindex->nslots - w.dir->sindex->nfree, before);
	assert_int_equal(w.dir->sindex->npending, 0);
	check_index(&w);
	/* best effort: the good rows */
	assert_int_equal(import_csv(&w, csv, ROSTER_IMPORT_BEST_EFFORT, 0,
				    &created),
			 0);
	free(csv);
	assert_int_equal(created, 499);
	take_ids(&w, w.accounts[0]);
	check_all(&w);
	world_free(&w);
}

/* Users added one by one in runs in listing order: ascending at the end
 * of the lists, descending at their end, ascending in their middle. The
 * lists' segments stay full but where a run starts, not split in halves. */
static void test_added_in_order(void **state)
{
	static const char lead[3] = { 'A', 'C', 'B' };
	world w;
	const rs_plist *all;
	size_t k, n = 6 * RS_SEG + 5, want;
	int pass;

	(void)state;
	world_open(&w);
	for (pass = 0; pass < 3; pass++) {
		for (k = 0; k < n; k++) {
			roster_form *f = NULL;
			char last[32], email[48];
			size_t at = pass == 1 ? n - 1 - k : k;

			snprintf(last, sizeof(last), "%c%c%c%c", lead[pass],
				 (int)('a' + at / 676 % 26),
				 (int)('a' + at / 26 % 26), (int)('a' + at % 26));
			snprintf(email, sizeof(email), "o%u@x.test",
				 w.serial++);
			assert_int_equal(roster_form_new(&f, w.dir), 0);
			assert_int_equal(roster_form_set_str(
						 f, ROSTER_FIELD_FIRST_NAME, "Ann"),
					 0);
			assert_int_equal(roster_form_set_str(
						 f, ROSTER_FIELD_LAST_NAME, last),
					 0);
			assert_int_equal(roster_form_set_str(
						 f, ROSTER_FIELD_EMAIL, email),
					 0);
			assert_int_equal(roster_user_create(&w.ids[w.n],
							    w.dir, &w.sys,
							    w.accounts[0], f),
					 0);
			w.n++;
			roster_form_free(f);
		}
		all = w.dir->sindex->all;
		assert_int_equal(all->total, (size_t)(pass + 1) * n);
		want = (all->total + RS_SEG - 1) / RS_SEG;
		assert_true(all->nsegs <= want + (size_t)pass);
	}
	check_all(&w);
	world_free(&w);
}

/* Memory running out while waiting users are listed: those listed stay,
 * the others wait; a commit that cannot list them fails whole. */
static void test_flush_without_memory(void **state)
{
	world w;
	size_t k, before, tries = 0;
	int rc;

	(void)state;
	world_open(&w);
	for (k = 0; k < 100; k++)
		add_user(&w);
	before = w.n;
	assert_int_equal(roster_transaction_begin(w.dir), 0);
	rs_sindex_defer(w.dir, 1);
	for (k = 0; k < 200; k++)
		add_user(&w);
	rs_sindex_defer(w.dir, 0);
	assert_int_equal(w.dir->sindex->npending, 200);
	/* the commit cannot list them: all of it is undone */
	failing = 1;
	assert_int_equal(roster_transaction_commit(w.dir), ROSTER_ENOMEM);
	failing = 0;
	w.n = before;
	assert_int_equal(w.dir->sindex->npending, 0);
	check_index(&w);
	/* again, failing later and later while listing */
	assert_int_equal(roster_transaction_begin(w.dir), 0);
	rs_sindex_defer(w.dir, 1);
	for (k = 0; k < 200; k++)
		add_user(&w);
	rs_sindex_defer(w.dir, 0);
	do {
		size_t waiting = w.dir->sindex->npending;
		countdown = (long)tries++;
		rc = rs_sindex_flush(w.dir);
		countdown = -1;
		failing = 0;
		if (rc) {
			assert_int_equal(rc, ROSTER_ENOMEM);
			assert_true(w.dir->sindex->npending <= waiting);
			check_index(&w);
		}
	} while (rc);
	assert_int_equal(w.dir->sindex->npending, 0);
	assert_int_equal(roster_transaction_commit(w.dir), 0);
	print_message("listing 200 waiting users failed %zu times, then"
		      " went through\n",
		      tries - 1);
	assert_true(tries > 3);
	check_all(&w);
	world_free(&w);
}

/* A user moved to a new group and a new site, each allocation failing in
 * turn: a refused move leaves the user in the lists of its old values
 * only (check_list: each member of a value list holds its value), and
 * the lists a failed move made are gone with it. */
static void test_values_without_memory(void **state)
{
	world w;
	roster_id g[2], st;
	roster_form *f = NULL;
	size_t tries = 0, lists;
	int rc;

	(void)state;
	world_open(&w);
	assert_int_equal(roster_group_create(&g[0], w.dir, &w.sys, w.accounts[0],
					     "G1"),
			 0);
	assert_int_equal(roster_group_create(&g[1], w.dir, &w.sys, w.accounts[0],
					     "G2"),
			 0);
	assert_int_equal(roster_site_create(&st, w.dir, &w.sys, w.accounts[0],
					    "S1"),
			 0);
	assert_int_equal(roster_form_new(&f, w.dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Ann"),
			 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Lee"),
			 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL,
					     "ann@x.test"),
			 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, g[0]), 0);
	assert_int_equal(roster_user_create(&w.ids[w.n++], w.dir, &w.sys,
					    w.accounts[0], f),
			 0);
	/* G2 has a member already: its list is there to join */
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL,
					     "bob@x.test"),
			 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, g[1]), 0);
	assert_int_equal(roster_user_create(&w.ids[w.n++], w.dir, &w.sys,
					    w.accounts[0], f),
			 0);
	roster_form_free(f);
	lists = w.dir->sindex->lists.count;
	assert_int_equal(roster_form_new(&f, w.dir), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, g[1]), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE, st), 0);
	do {
		countdown = (long)tries++;
		rc = roster_user_update(w.dir, &w.sys, w.ids[0], f);
		countdown = -1;
		failing = 0;
		check_index(&w);
		if (rc) {
			assert_int_equal(rc, ROSTER_ENOMEM);
			assert_int_equal(w.dir->sindex->lists.count, lists);
			assert_non_null(rs_sindex_ref_list(w.dir->sindex,
							   ROSTER_FIELD_GROUP,
							   g[0]));
		}
	} while (rc);
	roster_form_free(f);
	assert_int_equal(rs_sindex_ref_list(w.dir->sindex, ROSTER_FIELD_GROUP,
					    g[1])->total,
			 2);
	assert_int_equal(rs_sindex_ref_list(w.dir->sindex, ROSTER_FIELD_GROUP,
					    g[0])->total,
			 0);
	print_message("moving a user to a new group and site failed %zu "
		      "times, then went through\n",
		      tries - 1);
	world_free(&w);
}

/* The number of value lists in the index, and of those empty. */
static size_t value_lists(const rs_sindex *x, size_t *empty)
{
	size_t i, n = 0;

	*empty = 0;
	for (i = 0; i < x->lists.cap; i++) {
		const rs_plist *l =
			(const rs_plist *)(uintptr_t)x->lists.slots[i].b;
		if (l && l->klen && l->key[0] == '\x02') {
			n++;
			*empty += !l->total;
		}
	}
	return n;
}

/* A group's list goes when its members leave: groups come and go over a
 * directory's life, and their lists must not stay. A search by group
 * walks the group's members alone. */
static void test_value_lists_swept(void **state)
{
	world w;
	roster_id groups[300];
	roster_query *q = NULL;
	roster_page *p = NULL;
	size_t i, empty, round;

	(void)state;
	world_open(&w);
	for (i = 0; i < 300; i++) {
		char name[16];

		snprintf(name, sizeof(name), "G%zu", i);
		assert_int_equal(roster_group_create(&groups[i], w.dir, &w.sys,
						     w.accounts[0], name),
				 0);
	}
	for (i = 0; i < 600; i++) {
		roster_form *f = name_form(&w, 0);
		char email[48];

		snprintf(email, sizeof(email), "g%zu@x.test", i);
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL,
						     email),
				 0);
		assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP,
						     groups[i % 300]),
				 0);
		assert_int_equal(roster_user_create(&w.ids[w.n++], w.dir, &w.sys,
						    w.accounts[0], f),
				 0);
		roster_form_free(f);
	}
	assert_int_equal(value_lists(w.dir->sindex, &empty), 300);
	assert_int_equal(empty, 0);
	check_all(&w);
	/* a group's search finds its two members */
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_ref(q, ROSTER_FIELD_GROUP, groups[7]), 0);
	assert_int_equal(roster_search(&p, w.dir, &w.sys, 0, q, NULL, 10), 0);
	assert_int_equal(roster_page_count(p), 2);
	assert_true(roster_page_id(p, 0) == w.ids[7] ||
		    roster_page_id(p, 0) == w.ids[307]);
	roster_page_free(p);
	/* the members leave, in rounds: once enough lists have emptied,
	 * the empty ones are freed */
	for (round = 0; round < 2; round++) {
		for (i = round * 300; i < round * 300 + 300; i++) {
			roster_form *f = NULL;

			assert_int_equal(roster_form_new(&f, w.dir), 0);
			assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP,
							     0),
					 0);
			assert_int_equal(roster_user_update(w.dir, &w.sys,
							    w.ids[i], f),
					 0);
			roster_form_free(f);
		}
		check_all(&w);
	}
	assert_true(value_lists(w.dir->sindex, &empty) < 64);
	assert_int_equal(value_lists(w.dir->sindex, &empty), empty);
	/* the group's search finds nobody, with or without its list */
	assert_int_equal(roster_search(&p, w.dir, &w.sys, 0, q, NULL, 10), 0);
	assert_int_equal(roster_page_count(p), 0);
	roster_page_free(p);
	/* and a list comes back with a member */
	{
		roster_form *f = NULL;
		size_t n;

		assert_int_equal(roster_form_new(&f, w.dir), 0);
		assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP,
						     groups[7]),
				 0);
		assert_int_equal(roster_user_update(w.dir, &w.sys, w.ids[0], f),
				 0);
		roster_form_free(f);
		assert_int_equal(roster_search_count(&n, w.dir, &w.sys, 0, q), 0);
		assert_int_equal(n, 1);
	}
	check_all(&w);
	roster_query_free(q);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_changes),
		cmocka_unit_test(test_tidy_without_memory),
		cmocka_unit_test(test_repack_without_memory),
		cmocka_unit_test(test_inverted_lists),
		cmocka_unit_test(test_invert_without_memory),
		cmocka_unit_test(test_last_ordinal),
		cmocka_unit_test(test_refresh_out_of_ordinals),
		cmocka_unit_test(test_same_name_run),
		cmocka_unit_test(test_import_listed_in_order),
		cmocka_unit_test(test_flush_without_memory),
		cmocka_unit_test(test_added_in_order),
		cmocka_unit_test(test_value_lists_swept),
		cmocka_unit_test(test_values_without_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
