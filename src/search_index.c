/*
 * search_index.c: the prefix index behind search as you type
 * (search_index.h): slots and labels, posting lists, and keeping them in
 * step with the transaction.
 */
#include "search_index.h"

#include <stdlib.h>
#include <string.h>

#include "txn.h"

#define LOW_BITS 32
#define SPAN ((uint64_t)1 << LOW_BITS)
#define STEP ((uint64_t)1 << 12) /* between labels added at either end */
#define FILL RS_SEG		 /* slots per segment in a built list */
#define TIDY_MIN 4096		 /* see rs_sindex_tidy() */
#define TAIL 64			 /* see between() */
#define PENDING_MAX 65536	 /* see rs_sindex_defer() */
#define MERGE_MIN 64		 /* see merge_labels() */
#define INV_MIN 4096		 /* see rs_sindex_tidy() */

/* ------------------------------------------------------------------ */
/* Prefixes of a user's words                                          */

static size_t char_len(unsigned char c)
{
	return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
}

/* Bytes of the first `chars` characters of the word [w, end), 0 if the
 * word is shorter. */
static size_t prefix_bytes(const char *w, const char *end, size_t chars)
{
	const char *p = w;

	while (chars-- && p < end)
		p += char_len((unsigned char)*p);
	return chars == (size_t)-1 && p <= end ? (size_t)(p - w) : 0;
}

/* A letter or digit of a login key. */
static int plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

void rs_user_texts(const rs_user *u, rs_text out[RS_TEXTS], char *numbers,
		   int with_numbers)
{
	out[0].s = RS_SORTKEY(u);
	out[0].raw = 0;
	out[1].s = rs_user_words(u);
	out[1].raw = 0;
	out[2].s = RS_EMAIL_KEY(u);
	out[2].raw = 1;
	numbers[0] = '\0';
	if (with_numbers)
		rs_user_number_words(u, numbers, RS_NUMBER_WORDS);
	out[3].s = numbers;
	out[3].raw = 0;
}

/* Is the folded query word (after its space) digits alone? Only such a
 * word can begin a national form of a number. */
static int digits_only(const char *word)
{
	const char *p = word + 1;

	while (*p >= '0' && *p <= '9')
		p++;
	return !*p;
}

/* The first word of a text at or after p: its start in *w, its end
 * returned; NULL when none is left. A folded text's words each follow a
 * space and end at a space, the '\x01' ending the sort key's last name,
 * or its end; a login key's are its runs of letters and digits. */
static const char *next_word(const rs_text *t, const char *p,
			     const char **w)
{
	const char *e;

	if (!p)
		return NULL;
	if (t->raw) {
		while (*p && !plain_char(*p))
			p++;
		if (!*p)
			return NULL;
		for (e = p; plain_char(*e); e++)
			;
	} else {
		if (!(p = strchr(p, ' ')))
			return NULL;
		for (e = ++p; *e && *e != ' ' && *e != '\x01'; e++)
			;
	}
	*w = p;
	return e;
}

int rs_user_has_word(const rs_user *u, const char *word)
{
	rs_text t[RS_TEXTS];
	char numbers[RS_NUMBER_WORDS];
	const char *p;
	size_t i;

	if (!word[0] || !word[1])
		return 1; /* no letter: it begins every word */
	rs_user_texts(u, t, numbers, digits_only(word) && u->nlines +
					     !!RS_STR(u, ROSTER_FIELD_PHONE));
	for (i = 0; i < RS_TEXTS; i++) {
		if (!t[i].raw) {
			if (t[i].s && strstr(t[i].s, word))
				return 1;
			continue;
		}
		/* at the start of a run of letters and digits */
		for (p = t[i].s; (p = strstr(p, word + 1)); p++)
			if (p == t[i].s || !plain_char(p[-1]))
				return 1;
	}
	return 0;
}

/* Does a word before w, which is in texts[t], begin with w's first n
 * bytes? By scanning them: for users of more words than each_prefix()
 * keeps. */
static int seen_by_scan(const rs_text *texts, size_t t, const char *w,
			size_t n)
{
	const char *v, *vend;
	size_t i;

	for (i = 0; i <= t; i++)
		for (vend = texts[i].s;
		     (vend = next_word(&texts[i], vend, &v)) &&
		     (i < t || v < w);)
			if ((size_t)(vend - v) >= n && !memcmp(v, w, n))
				return 1;
	return 0;
}

#define WORDS_KEPT 64 /* words whose place each_prefix() keeps */

/*
 * Call fn for each distinct prefix of one to RS_PREFIX_CHARS characters
 * of the words of texts[0..n) (a user's, rs_user_texts). A prefix an
 * earlier word has already given is skipped, without allocating: undoing
 * a change walks the prefixes again. The earlier words' places are kept
 * on the stack, so that each check compares bytes instead of scanning the
 * texts again. Stops at fn's first non-zero return.
 */
static int each_prefix(const rs_text *texts, size_t ntexts,
		       int (*fn)(void *, const char *, size_t), void *ctx)
{
	const char *w, *end, *at[WORDS_KEPT];
	size_t len[WORDS_KEPT], nkept = 0, k, n, j, t;
	int rc, all_kept = 1;

	for (t = 0; t < ntexts; t++) {
		for (end = texts[t].s; (end = next_word(&texts[t], end, &w));) {
			for (k = 1; k <= RS_PREFIX_CHARS; k++) {
				int seen = 0;
				if (!(n = prefix_bytes(w, end, k)))
					break;
				if (all_kept) {
					for (j = 0; j < nkept && !seen; j++)
						seen = len[j] >= n &&
						       !memcmp(at[j], w, n);
				} else {
					seen = seen_by_scan(texts, t, w, n);
				}
				if (!seen && (rc = fn(ctx, w, n)))
					return rc;
			}
			if (nkept < WORDS_KEPT) {
				at[nkept] = w;
				len[nkept++] = (size_t)(end - w);
			} else {
				all_kept = 0;
			}
		}
	}
	return 0;
}

static void filter_key(int filter, char key[2])
{
	/* a control character: no folded word has one */
	key[0] = '\x01';
	key[1] = (char)('0' + filter);
}

/* Value lists: "\x02", a letter for what is held, then the value. */
#define VALUE_KEY '\x02'

static int is_value_key(const char *key, size_t n)
{
	return n && key[0] == VALUE_KEY;
}

static size_t item_key(int kind, const char *id, char key[RS_KEY_BYTES])
{
	size_t n = strnlen(id, ROSTER_ITEM_ID_MAX);

	key[0] = VALUE_KEY;
	key[1] = kind == ROSTER_ITEM_LICENCE ? 'l'
		 : kind == ROSTER_ITEM_PACK  ? 'p'
					     : 'r';
	memcpy(key + 2, id, n);
	return 2 + n;
}

static size_t ref_key(int field, roster_id id, char key[RS_KEY_BYTES])
{
	int i;

	key[0] = VALUE_KEY;
	key[1] = field == ROSTER_FIELD_GROUP ? 'g' : 's';
	for (i = 0; i < 8; i++)
		key[2 + i] = (char)(id >> (8 * i));
	return 10;
}

/* Call fn for the key of each value `a` holds and `b` does not. A user's
 * product licences are ascending (a stored user's are checked so). */
static int each_value_lost(const rs_user *a, const rs_user *b,
			   int (*fn)(void *, const char *, size_t), void *ctx)
{
	static const struct { int kind, field; } items[] = {
		{ ROSTER_ITEM_LICENCE, ROSTER_FIELD_LICENCE },
		{ ROSTER_ITEM_PACK, ROSTER_FIELD_PACK },
	};
	char key[RS_KEY_BYTES];
	const char *id, *other;
	size_t i, j = 0;
	int f, c, rc;

	for (i = 0; i < 2; i++) {
		id = RS_STR(a, items[i].field);
		other = RS_STR(b, items[i].field);
		if (id && (!other || strcmp(id, other)) &&
		    (rc = fn(ctx, key, item_key(items[i].kind, id, key))))
			return rc;
	}
	for (i = 0; i < a->nproducts; i++) {
		id = RS_PRODUCT(a, i);
		c = 1;
		while (j < b->nproducts &&
		       (c = strcmp(RS_PRODUCT(b, j), id)) < 0)
			j++;
		if (c && (rc = fn(ctx, key, item_key(ROSTER_ITEM_PRODUCT, id,
						     key))))
			return rc;
	}
	for (f = ROSTER_FIELD_GROUP; f <= ROSTER_FIELD_SITE; f++)
		if (RS_REF(a, f) && RS_REF(a, f) != RS_REF(b, f) &&
		    (rc = fn(ctx, key, ref_key(f, RS_REF(a, f), key))))
			return rc;
	return 0;
}

/* Call fn for the key of each value u holds: its licence, its pack, each
 * product licence (distinct: a stored user is checked), its group and
 * its site. */
static int each_value(const rs_user *u,
		      int (*fn)(void *, const char *, size_t), void *ctx)
{
	static const rs_user_work none; /* holds no value */

	return each_value_lost(u, &none.u, fn, ctx);
}

/* Call fn for each key a user is listed under: the prefixes of its
 * words, each filter it passes, each value it holds, and the empty
 * prefix. */
static int each_key(const rs_user *u,
		    int (*fn)(void *, const char *, size_t), void *ctx)
{
	unsigned passed = rs_user_filters(u);
	rs_text texts[RS_TEXTS];
	char key[2], numbers[RS_NUMBER_WORDS];
	int f, rc;

	rs_user_texts(u, texts, numbers, 1);
	if ((rc = each_prefix(texts, RS_TEXTS, fn, ctx)))
		return rc;
	for (f = 0; passed >> f; f++)
		if ((passed >> f) & 1) {
			filter_key(f, key);
			if ((rc = fn(ctx, key, 2)))
				return rc;
		}
	if ((rc = each_value(u, fn, ctx)))
		return rc;
	return fn(ctx, "", 0);
}

static int count_one(void *ctx, const char *p, size_t n)
{
	(void)p;
	(void)n;
	++*(size_t *)ctx;
	return 0;
}

/* Bytes of the indexed prefix of a word of `len` bytes: its first
 * RS_PREFIX_CHARS characters, or all of it when shorter. */
static size_t indexed_len(const char *word, size_t len)
{
	size_t n = prefix_bytes(word, word + len, RS_PREFIX_CHARS);

	return n ? n : len;
}

int rs_sindex_longer(const char *word)
{
	size_t len = strlen(word);

	return indexed_len(word, len) < len;
}

/* ------------------------------------------------------------------ */
/* Lists                                                               */

typedef struct find_ctx {
	const char *key;
	size_t n;
} find_ctx;

static int match_list(void *ctx, uint64_t b)
{
	const find_ctx *f = ctx;
	const rs_plist *l = (const rs_plist *)(uintptr_t)b;

	return l->klen == f->n && !memcmp(l->key, f->key, f->n);
}

static uint64_t key_hash(const rs_sindex *x, const char *key, size_t n)
{
	return rs_hash(key, n, x->seed);
}

static rs_plist *find_list(const rs_sindex *x, const char *key, size_t n)
{
	find_ctx f = { key, n };

	return (rs_plist *)(uintptr_t)rs_table_find(&x->lists,
						    key_hash(x, key, n),
						    match_list, &f);
}

const rs_plist *rs_sindex_list(const rs_sindex *x, const char *word)
{
	return find_list(x, word, indexed_len(word, strlen(word)));
}

const rs_plist *rs_sindex_filter_list(const rs_sindex *x, int filter)
{
	char key[2];

	filter_key(filter, key);
	return find_list(x, key, 2);
}

const rs_plist *rs_sindex_item_list(const rs_sindex *x, int kind,
				    const char *id)
{
	char key[RS_KEY_BYTES];

	return find_list(x, key, item_key(kind, id, key));
}

const rs_plist *rs_sindex_ref_list(const rs_sindex *x, int field,
				   roster_id id)
{
	char key[RS_KEY_BYTES];

	return find_list(x, key, ref_key(field, id, key));
}

static void list_free(const rs_alloc *al, rs_plist *l)
{
	if (!l)
		return;
	rs_free(al, l->slab);
	rs_free(al, l->segs);
	rs_free(al, l->spare);
	rs_free(al, l);
}

/* Take a list out of the index and free it. */
static void list_drop(const rs_alloc *al, rs_sindex *x, rs_plist *l)
{
	rs_table_remove(&x->lists, key_hash(x, l->key, l->klen),
			(uint64_t)(uintptr_t)l);
	x->nvalues -= is_value_key(l->key, l->klen);
	list_free(al, l);
}

/* A new empty list of the prefix, in the table (room reserved). */
static rs_plist *list_new(const rs_alloc *al, rs_sindex *x, const char *key,
			  size_t n)
{
	rs_plist *l = rs_calloc(al, 1, sizeof(*l));

	if (!l || !(l->slab = rs_calloc(al, 4, sizeof(uint32_t))) ||
	    !(l->segs = rs_calloc(al, 1, sizeof(rs_seg))) ||
	    !(l->spare = rs_calloc(al, 1, sizeof(uint32_t)))) {
		list_free(al, l);
		return NULL;
	}
	l->slabcap = 4;
	l->nsegs = l->capsegs = 1;
	memcpy(l->key, key, n);
	l->klen = (uint8_t)n;
	rs_table_insert(&x->lists, key_hash(x, key, n), (uint64_t)(uintptr_t)l);
	x->nvalues += is_value_key(key, n);
	return l;
}

/* The account ordinal of a slot's label. */
static uint32_t order_at(const rs_sindex *x, uint32_t slot)
{
	return (uint32_t)(x->key[slot].label >> LOW_BITS);
}

static uint32_t seg_cap(const rs_plist *l)
{
	return l->capsegs == 1 ? l->slabcap : RS_SEG;
}

static uint32_t *seg_at(const rs_plist *l, uint32_t i)
{
	return l->slab + l->segs[i].at;
}

/* Set the fences of segment i after its first or last slot changed. */
static void seg_fix(const rs_sindex *x, rs_plist *l, uint32_t i)
{
	rs_seg *s = &l->segs[i];

	if (s->len) {
		s->lo = order_at(x, rs_entry_slot(l->slab[s->at]));
		s->hi = order_at(x, rs_entry_slot(l->slab[s->at + s->len - 1]));
	}
}

/* Room for one more segment (multi-segment lists hold RS_SEG slots in
 * each) or, in a one-segment list not yet that long, a longer segment. */
static int list_grow(const rs_alloc *al, rs_plist *l)
{
	uint32_t caps, *slab, *spare;
	rs_seg *segs;

	if (l->capsegs == 1 && l->slabcap < RS_SEG) {
		uint32_t c = l->slabcap * 2;
		if (!(slab = rs_reallocarray(al, l->slab, c, sizeof(*slab))))
			return -1;
		l->slab = slab;
		l->slabcap = c;
		return 0;
	}
	/* a quarter more: a long list keeps little room it does not use */
	caps = l->capsegs + (l->capsegs + 3) / 4;
	if (!(slab = rs_reallocarray(al, l->slab, (size_t)caps * RS_SEG,
				     sizeof(*slab))))
		return -1;
	l->slab = slab;
	if (!(segs = rs_reallocarray(al, l->segs, caps, sizeof(*segs))))
		return -1;
	l->segs = segs;
	if (!(spare = rs_reallocarray(al, l->spare, caps, sizeof(*spare))))
		return -1;
	l->spare = spare;
	/* the new segments are spare until used */
	while (l->capsegs < caps)
		l->spare[l->nspare++] = l->capsegs++ * RS_SEG;
	l->slabcap = caps * RS_SEG;
	return 0;
}

/* Split the full segment i in two, its slots from `half` on going to a
 * spare. */
static void split(const rs_sindex *x, rs_plist *l, uint32_t i, uint32_t half)
{
	uint32_t at = l->spare[--l->nspare];

	memcpy(l->slab + at, seg_at(l, i) + half,
	       (l->segs[i].len - half) * sizeof(uint32_t));
	memmove(l->segs + i + 2, l->segs + i + 1,
		(l->nsegs - i - 1) * sizeof(rs_seg));
	l->segs[i + 1].at = at;
	l->segs[i + 1].len = l->segs[i].len - half;
	l->segs[i].len = half;
	l->nsegs++;
	seg_fix(x, l, i);
	seg_fix(x, l, i + 1);
}

/* A new, empty segment at place i of the list, from a spare. */
static void open_seg(rs_plist *l, uint32_t i)
{
	memmove(l->segs + i + 1, l->segs + i, (l->nsegs - i) * sizeof(rs_seg));
	l->segs[i].at = l->spare[--l->nspare];
	l->segs[i].len = 0;
	l->nsegs++;
}

/*
 * Where a seek is headed: cmp orders an entry against it (< 0: the entry
 * sorts before it). When its account's ordinal is known (order > 0) the
 * fences decide for the segments of other accounts, reading no slot; a
 * target at its account's base (base) comes before every entry of the
 * account too, labels being above the base.
 */
typedef struct target {
	int (*cmp)(const void *ctx, uint32_t slot);
	const void *ctx;
	uint32_t order;
	int base;
} target;

/* Does segment s (holding slots) end before the target? */
static int seg_before(const rs_plist *l, const rs_seg *s, const target *t)
{
	if (t->order && s->hi != t->order)
		return s->hi < t->order;
	if (t->order && t->base)
		return 0;
	return t->cmp(t->ctx, rs_entry_slot(l->slab[s->at + s->len - 1])) < 0;
}

/* The first offset in [a, b) of segment `seg` whose entry is not below
 * the target, b if none. */
static uint32_t seek_in(const rs_plist *l, uint32_t seg, uint32_t a,
			uint32_t b, const target *t)
{
	const rs_seg *s = &l->segs[seg];

	while (a < b) {
		uint32_t mid = a + (b - a) / 2;
		if (t->cmp(t->ctx, rs_entry_slot(l->slab[s->at + mid])) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

/* The first position from segment `from` on whose entry is not below the
 * target. */
static rs_pos seek_by(const rs_plist *l, uint32_t from, const target *t)
{
	uint32_t lo = from, hi = l->nsegs;
	const rs_seg *s;
	rs_pos p;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		s = &l->segs[mid];
		if (s->len && seg_before(l, s, t))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == l->nsegs) {
		p.seg = l->nsegs - 1;
		p.off = l->segs[p.seg].len;
		return p;
	}
	p.seg = lo;
	s = &l->segs[lo];
	/* the fences may say the segment starts at or after the target */
	if (t->order && (s->lo > t->order || (s->lo == t->order && t->base)))
		p.off = 0;
	else
		p.off = seek_in(l, lo, 0, s->len, t);
	return p;
}
typedef struct label_ctx {
	const rs_sindex *x;
	uint64_t label;
} label_ctx;

static int cmp_label(const void *ctx, uint32_t slot)
{
	const label_ctx *c = ctx;
	uint64_t v = c->x->key[slot].label;

	return v < c->label ? -1 : v > c->label;
}

static target label_target(const label_ctx *c)
{
	target t;

	t.cmp = cmp_label;
	t.ctx = c;
	t.order = (uint32_t)(c->label >> LOW_BITS);
	t.base = (c->label & (SPAN - 1)) == 0;
	/* ordinal 0 is no account's: the fences cannot tell */
	if (!t.order)
		t.base = 0;
	return t;
}

rs_pos rs_plist_seek(const rs_sindex *x, const rs_plist *l, uint64_t label)
{
	label_ctx c = { x, label };
	target t = label_target(&c);

	if (!t.order && !label) {
		rs_pos p = { 0, 0 };
		return p; /* every entry is at or after label 0 */
	}
	return seek_by(l, 0, &t);
}

uint32_t rs_plist_at(const rs_plist *l, rs_pos p)
{
	rs_pos q = p;

	return rs_plist_next(l, &q);
}

void rs_plist_advance(const rs_sindex *x, const rs_plist *l, rs_pos *p,
		      uint64_t label)
{
	label_ctx c = { x, label };
	target t = label_target(&c);
	const rs_seg *s = &l->segs[p->seg];
	uint32_t step, a, b;

	if (p->off < s->len && !seg_before(l, s, &t)) {
		/* in this segment: gallop from here, then halve */
		if (cmp_label(&c, rs_entry_slot(l->slab[s->at + p->off])) >= 0)
			return;
		a = p->off;
		for (step = 1; a + step < s->len &&
			       cmp_label(&c, rs_entry_slot(l->slab[s->at + a + step])) <
				       0;
		     step *= 2)
			a += step;
		/* the entry at a is below, the one at b (if any) is not */
		b = a + step < s->len ? a + step : s->len;
		p->off = seek_in(l, p->seg, a + 1, b, &t);
		return;
	}
	if (p->seg + 1 >= l->nsegs) {
		p->off = s->len;
		return;
	}
	*p = seek_by(l, p->seg + 1, &t);
}

typedef struct after_ctx {
	const rs_sindex *x;
	roster_id account, id;
	const char *key;
} after_ctx;

/* Entries up to and including the target sort before it. */
static int cmp_after(const void *ctx, uint32_t slot)
{
	const after_ctx *c = ctx;
	const rs_user *u = c->x->users[slot];
	int r;

	if (u->base.parent != c->account)
		return u->base.parent < c->account ? -1 : 1;
	if ((r = strcmp(RS_SORTKEY(u), c->key)))
		return r;
	return u->base.id <= c->id ? -1 : 1;
}

rs_pos rs_plist_seek_after(const rs_sindex *x, const rs_plist *l,
			   roster_id account, uint32_t order, const char *key,
			   roster_id id)
{
	after_ctx c = { x, account, id, key };
	target t = { cmp_after, &c, order, 0 };

	return seek_by(l, 0, &t);
}

uint32_t rs_plist_next_entry(const rs_plist *l, rs_pos *p)
{
	while (p->off >= l->segs[p->seg].len) {
		if (p->seg + 1 >= l->nsegs)
			return RS_NO_ENTRY;
		p->seg++;
		p->off = 0;
	}
	return seg_at(l, p->seg)[p->off++];
}

uint32_t rs_plist_next(const rs_plist *l, rs_pos *p)
{
	uint32_t e = rs_plist_next_entry(l, p);

	return e == RS_NO_ENTRY ? UINT32_MAX : rs_entry_slot(e);
}

uint32_t rs_plist_find(const rs_sindex *x, const rs_plist *l, rs_pos *p,
		       unsigned filters, uint64_t end)
{
	const uint32_t want = rs_entry_bits(filters);

	for (;;) {
		const rs_seg *s = &l->segs[p->seg];
		const uint32_t *e = l->slab + s->at;
		uint32_t k;

		for (k = p->off; k < s->len; k++)
			if ((e[k] & want) == want) {
				p->off = k;
				return e[k];
			}
		p->off = s->len;
		if (p->seg + 1 >= l->nsegs)
			return RS_NO_ENTRY;
		s = &l->segs[p->seg + 1];
		/* a segment starting past the end: nothing more to find */
		if (s->len && x->key[rs_entry_slot(l->slab[s->at])].label >= end)
			return RS_NO_ENTRY;
		p->seg++;
		p->off = 0;
	}
}

size_t rs_plist_rank(const rs_plist *l, rs_pos p)
{
	size_t n = p.off;
	uint32_t i;

	for (i = 0; i < p.seg; i++)
		n += l->segs[i].len;
	return n;
}

/* A place p between two segments moves to the end of the previous one
 * when that one has room. */
static rs_pos fill_before(const rs_plist *l, rs_pos p)
{
	if (p.off == 0 && p.seg > 0 &&
	    l->segs[p.seg - 1].len < seg_cap(l)) {
		p.seg--;
		p.off = l->segs[p.seg].len;
	}
	return p;
}

/* Where a slot of `label` goes: at the end of the previous segment when
 * it falls between two and that one has room. */
static rs_pos insert_pos(const rs_sindex *x, const rs_plist *l,
			 uint64_t label)
{
	return fill_before(l, rs_plist_seek(x, l, label));
}

static void put_at(const rs_sindex *x, rs_plist *l, rs_pos p, uint32_t entry)
{
	uint32_t *s = seg_at(l, p.seg);

	memmove(s + p.off + 1, s + p.off,
		(l->segs[p.seg].len - p.off) * sizeof(*s));
	s[p.off] = entry;
	l->segs[p.seg].len++;
	l->total++;
	seg_fix(x, l, p.seg);
}

/* Insert, growing the list when the segment is full. -1 out of memory,
 * the list as it was (with more room, perhaps). */
static int list_add(const rs_alloc *al, const rs_sindex *x, rs_plist *l,
		    uint32_t entry)
{
	uint32_t slot = rs_entry_slot(entry);
	rs_pos p = rs_plist_seek(x, l, x->key[slot].label);

	/* right before the slot added last, at the front of its segment:
	 * a descending run grows there while the segment has room, rather
	 * than at the end of the previous one, which it would fill
	 * between that one's slots and its own */
	if (!(p.off == 0 && l->segs[p.seg].len &&
	      l->segs[p.seg].len < seg_cap(l) &&
	      rs_entry_slot(seg_at(l, p.seg)[0]) == l->last))
		p = fill_before(l, p);

	while (l->segs[p.seg].len == seg_cap(l)) {
		if (l->capsegs == 1 && l->slabcap < RS_SEG) {
			if (list_grow(al, l))
				return -1;
			continue;
		}
		if (!l->nspare && list_grow(al, l))
			return -1;
		if (p.off == 0 || p.off == l->segs[p.seg].len) {
			/* past either end of a full segment (users added in
			 * order): a segment of its own, the full one kept */
			p.seg += p.off ? 1 : 0;
			p.off = 0;
			open_seg(l, p.seg);
			break;
		}
		if (rs_entry_slot(seg_at(l, p.seg)[p.off - 1]) == l->last) {
			/* right after the slot added last: an ascending run
			 * continues here; cut at the place, so that the run
			 * fills the segment it is in */
			split(x, l, p.seg, p.off);
			break;
		}
		if (rs_entry_slot(seg_at(l, p.seg)[p.off]) == l->last) {
			/* right before it: a descending run; cut at the
			 * place and go to the front of the run's part */
			split(x, l, p.seg, p.off);
			p.seg++;
			p.off = 0;
			break;
		}
		split(x, l, p.seg, l->segs[p.seg].len / 2);
		p = insert_pos(x, l, x->key[slot].label);
	}
	put_at(x, l, p, entry);
	l->last = slot;
	return 0;
}

/*
 * Insert without allocating, when undoing: the list held as many slots
 * before, and lists never give room back within a transaction. A full
 * segment is split into a spare one, or passes its last slot on to the
 * next segment with room (or its first to the previous one).
 */
static void list_put_back(const rs_sindex *x, rs_plist *l, uint32_t entry)
{
	uint32_t slot = rs_entry_slot(entry);
	rs_pos p = insert_pos(x, l, x->key[slot].label);
	uint32_t i, cap = seg_cap(l);

	if (l->segs[p.seg].len < cap) {
		put_at(x, l, p, entry);
		return;
	}
	if (l->nspare) {
		split(x, l, p.seg, l->segs[p.seg].len / 2);
		put_at(x, l, insert_pos(x, l, x->key[slot].label), entry);
		return;
	}
	for (i = p.seg + 1; i < l->nsegs && l->segs[i].len == cap; i++)
		;
	if (i < l->nsegs) {
		/* carry the last slot of each full segment to the next */
		uint32_t k;
		for (k = i; k > p.seg; k--) {
			rs_pos head = { k, 0 };
			uint32_t *prev = seg_at(l, k - 1);
			uint32_t moved = prev[--l->segs[k - 1].len];
			l->total--;
			seg_fix(x, l, k - 1);
			put_at(x, l, head, moved);
		}
	} else {
		/* carry the first slot of each full segment to the previous,
		 * from the one with room on, up to the segment the slot goes
		 * to, or the one before when it goes before the first slot
		 * (which a carry would move ahead of it) */
		uint32_t k, to = p.off || !p.seg ? p.seg : p.seg - 1;
		for (i = to; i > 0 && l->segs[i - 1].len == cap; i--)
			;
		/* segment i - 1 has room: the list held the slot before */
		for (k = i ? i - 1 : to; k < to; k++) {
			uint32_t *next = seg_at(l, k + 1);
			rs_pos tail = { k, l->segs[k].len };
			uint32_t moved = next[0];
			memmove(next, next + 1,
				(l->segs[k + 1].len - 1) * sizeof(*next));
			l->segs[k + 1].len--;
			l->total--;
			seg_fix(x, l, k + 1);
			put_at(x, l, tail, moved);
		}
	}
	put_at(x, l, insert_pos(x, l, x->key[slot].label), entry);
}

/* Remove a slot; an emptied segment becomes a spare. */
static void list_remove(const rs_sindex *x, rs_plist *l, uint32_t slot)
{
	rs_pos p = rs_plist_seek(x, l, x->key[slot].label);
	uint32_t *s;

	if (p.off >= l->segs[p.seg].len)
		return;
	s = seg_at(l, p.seg);
	if (rs_entry_slot(s[p.off]) != slot)
		return;
	memmove(s + p.off, s + p.off + 1,
		(l->segs[p.seg].len - p.off - 1) * sizeof(*s));
	l->segs[p.seg].len--;
	l->total--;
	seg_fix(x, l, p.seg);
	if (!l->segs[p.seg].len && l->nsegs > 1) {
		l->spare[l->nspare++] = l->segs[p.seg].at;
		memmove(l->segs + p.seg, l->segs + p.seg + 1,
			(l->nsegs - p.seg - 1) * sizeof(rs_seg));
		l->nsegs--;
	}
}

/* ------------------------------------------------------------------ */
/* Labels                                                              */

static uint32_t order_of(const roster_directory *dir, const rs_user *u)
{
	const rs_rec *acc =
		rs_get_kind(dir, u->base.parent, ROSTER_KIND_ACCOUNT);

	return acc && RS_MEMBERS(acc) ? RS_MEMBERS(acc)->order : 0;
}

void rs_sindex_account_range(const rs_unit *account, uint64_t *lo,
			     uint64_t *hi)
{
	uint64_t o = account->members->order;

	*lo = o << LOW_BITS;
	*hi = (o + 1) << LOW_BITS;
}

typedef struct user_ctx {
	const rs_sindex *x;
	const rs_user *u;
	uint64_t order;
} user_ctx;

/* Entries by (account ordinal, sort key, identifier). */
static int cmp_user_at(const void *ctx, uint32_t slot)
{
	const user_ctx *c = ctx;
	uint64_t o = c->x->key[slot].label >> LOW_BITS;
	const rs_user *v;
	int r;

	/* another account: decided by the label, without reading the user */
	if (o != c->order)
		return o < c->order ? -1 : 1;
	v = c->x->users[slot];
	if ((r = strcmp(RS_SORTKEY(v), RS_SORTKEY(c->u))))
		return r;
	return v->base.id < c->u->base.id ? -1 : v->base.id > c->u->base.id;
}

/* Label the account's users afresh, spread over the lower half of its
 * range so that users added at the end find room, with the user of `slot`
 * (not yet listed) at its place `at`. */
static void relabel(rs_sindex *x, uint64_t base, uint32_t slot, rs_pos at)
{
	rs_pos p = rs_plist_seek(x, x->all, base), stop;
	size_t n = rs_plist_rank(x->all, (stop = rs_plist_seek(x, x->all,
							       base + SPAN))) -
		   rs_plist_rank(x->all, p) + 1;
	uint64_t gap = (SPAN / 2) / (n + 1), next = base + gap;
	uint32_t s;
	int placed = 0;

	x->relabels++;
	while (1) {
		int here;
		/* the end of a segment is the start of the next */
		if (p.off == x->all->segs[p.seg].len && p.seg + 1 < x->all->nsegs) {
			p.seg++;
			p.off = 0;
		}
		here = !placed && p.seg == at.seg && p.off == at.off;
		if (here) {
			x->key[slot].label = next;
			next += gap;
			placed = 1;
			continue;
		}
		if ((p.seg == stop.seg && p.off == stop.off) ||
		    (s = rs_plist_next(x->all, &p)) == UINT32_MAX)
			break;
		x->key[s].label = next;
		next += gap;
	}
	if (!placed)
		x->key[slot].label = next;
}

/*
 * How far above the previous label `prev` (the user of slot s, when in
 * the account) a user goes, given a gap of `gap` >= 2 to the next. Half
 * way, unless the previous user has the same name: users of one name are
 * ordered by identifier, so the next one created goes right after this
 * one, and a run of them would halve the gap each time and have the
 * account labelled afresh every few dozen users. Such a user takes a
 * TAIL-th of the gap instead, leaving the rest to those that follow; so
 * does every user listed by flush(), which lists them in order.
 */
static uint64_t between(const rs_sindex *x, uint32_t s, int in_account,
			const rs_user *u, uint64_t gap)
{
	if (gap / TAIL > 0 &&
	    (x->run || (in_account &&
			!strcmp(RS_SORTKEY(x->users[s]), RS_SORTKEY(u)))))
		return gap / TAIL;
	return gap / 2;
}

/* Give `u` (in slot `slot`, not yet listed) its label. */
static void label_user(const roster_directory *dir, rs_sindex *x,
		       uint32_t slot, const rs_user *u)
{
	user_ctx c = { x, u, order_of(dir, u) };
	target t = { cmp_user_at, &c, (uint32_t)c.order, 0 };
	uint64_t base = c.order << LOW_BITS, lo = base, hi = base + SPAN;
	rs_pos at = seek_by(x->all, 0, &t), q = at;
	uint32_t s;

	/* the neighbours in the account, if any */
	if ((s = rs_plist_next(x->all, &q)) != UINT32_MAX &&
	    x->key[s].label < base + SPAN)
		hi = x->key[s].label;
	if (at.off > 0)
		s = rs_entry_slot(seg_at(x->all, at.seg)[at.off - 1]);
	else if (at.seg > 0)
		s = rs_entry_slot(seg_at(x->all, at.seg - 1)
				    [x->all->segs[at.seg - 1].len - 1]);
	else
		s = UINT32_MAX;
	if (s != UINT32_MAX && x->key[s].label >= base)
		lo = x->key[s].label;
	if (hi == base + SPAN && hi - lo > 2 * STEP)
		x->key[slot].label = lo + STEP;
	else if (lo == base && hi - lo > 2 * STEP)
		x->key[slot].label = hi - STEP;
	else if (hi - lo >= 2)
		x->key[slot].label = lo + between(x, s, lo != base, u, hi - lo);
	else
		relabel(x, base, slot, at);
}

/* ------------------------------------------------------------------ */
/* Slots                                                               */

/* Every slot a list entry can name is taken: ROSTER_ERROR, recorded. It
 * is no lack of memory, which the host could remedy. */
static int slots_full(roster_directory *dir)
{
	return rs_fail_limit(dir, ROSTER_ERROR, NULL, "users.max", NULL,
			     (long long)RS_SLOTS_MAX);
}

/* Room for one more slot: 0, ROSTER_ENOMEM (not recorded), or
 * slots_full(). */
static int slots_room(roster_directory *dir, rs_sindex *x)
{
	const rs_alloc *al = &dir->al;
	uint32_t cap;
	rs_user **users;
	rs_slotkey *key;

	if (x->nfree || x->nslots < x->capslots)
		return 0;
	if (x->capslots >= RS_SLOTS_MAX)
		return slots_full(dir); /* a slot fits RS_SLOT_BITS */
	cap = x->capslots ? x->capslots * 2 : 64;
	if (cap > RS_SLOTS_MAX)
		cap = RS_SLOTS_MAX;
	if (!(users = rs_reallocarray(al, x->users, cap, sizeof(*users))))
		return ROSTER_ENOMEM;
	x->users = users;
	if (!(key = rs_reallocarray(al, x->key, cap, sizeof(*key))))
		return ROSTER_ENOMEM;
	x->key = key;
	x->capslots = cap;
	return 0;
}

static uint32_t take_slot(rs_sindex *x)
{
	uint32_t s;

	if (!x->nfree)
		return x->nslots++;
	s = x->free_head;
	x->free_head = (uint32_t)x->key[s].id;
	x->nfree--;
	return s;
}

/* Take back a given free slot (undoing its release, so that it is
 * almost always the first). */
static void retake_slot(rs_sindex *x, uint32_t slot)
{
	uint32_t i, prev = UINT32_MAX, s = x->free_head;

	for (i = 0; i < x->nfree; i++) {
		uint32_t next = (uint32_t)x->key[s].id;
		if (s == slot) {
			if (prev == UINT32_MAX)
				x->free_head = next;
			else
				x->key[prev].id = next;
			x->nfree--;
			return;
		}
		prev = s;
		s = next;
	}
}

static void release_slot(rs_sindex *x, uint32_t slot)
{
	x->users[slot] = NULL;
	x->key[slot].id = x->free_head;
	x->free_head = slot;
	x->nfree++;
}

/* ------------------------------------------------------------------ */
/* Following the transaction                                           */

/* Registered and unregistered exclude each other, so that no entry is
 * RS_NO_ENTRY; the filters fit above the slot. */
_Static_assert(ROSTER_FILTER_IOT <= 32 - RS_SLOT_BITS,
	       "list entries hold the filters above the slot");

/* A user's list entry: its slot, and the filters it passes above. */
static uint32_t entry_of(const rs_user *u)
{
	return u->base.slot | rs_entry_bits(rs_user_filters(u));
}

typedef struct walk {
	roster_directory *dir;
	rs_sindex *x;
	uint32_t entry; /* the user's: slot and filters (entry_of) */
	size_t done;	/* prefixes handled */
	size_t limit; /* stop after this many (undoing a partial insert) */
	uint32_t seen; /* bit i: the user has the key of x->inv[i] */
	int lacking;   /* the keys offered are inverted lists' it lacks */
} walk;

/* A key of the user's own whose list is inverted is not an entry: it is
 * noted as seen, the user being listed in the inverted lists of the keys
 * it lacks (each_listing). */
static int skipped(walk *w, const rs_plist *l)
{
	if (!l || !l->inv || w->lacking)
		return 0;
	w->seen |= UINT32_C(1) << l->invbit;
	return 1;
}

static int unlist_one(void *ctx, const char *key, size_t n)
{
	walk *w = ctx;
	rs_plist *l;

	if (w->done++ >= w->limit)
		return 1;
	if ((l = find_list(w->x, key, n)) && !skipped(w, l)) {
		list_remove(w->x, l, rs_entry_slot(w->entry));
		w->x->emptied += !l->total && is_value_key(key, n);
	}
	return 0;
}

static int relist_one(void *ctx, const char *key, size_t n)
{
	walk *w = ctx;
	rs_plist *l = find_list(w->x, key, n);

	/* the list is there: the slot was in it before */
	if (l && !skipped(w, l))
		list_put_back(w->x, l, w->entry);
	return 0;
}

static int list_one(void *ctx, const char *key, size_t n)
{
	walk *w = ctx;
	rs_plist *l = find_list(w->x, key, n);

	if (skipped(w, l)) {
		w->done++;
		return 0;
	}
	if (!l) {
		if (rs_table_reserve(&w->dir->al, &w->x->lists, 1) ||
		    !(l = list_new(&w->dir->al, w->x, key, n)))
			return -1;
		rs_log_push(w->dir, U_IDX_LIST, l, 0, 0, NULL, NULL);
	}
	if (list_add(&w->dir->al, w->x, l, w->entry))
		return -1;
	w->done++;
	return 0;
}

/*
 * Call fn for each list a user is in: the key of each of its own (each_key)
 * whose list is not inverted, then the key of each inverted list whose key
 * it lacks, with w->lacking set. The order is the same from call to call
 * while no list is inverted or put back, which happens between
 * transactions only: `limit` counts alike when listing and unlisting.
 */
static int each_listing(const rs_user *u,
			int (*fn)(void *, const char *, size_t), walk *w)
{
	const rs_sindex *x = w->x;
	uint32_t i;
	int rc;

	w->seen = 0;
	w->lacking = 0;
	if ((rc = each_key(u, fn, w)) || !x->ninv)
		return rc;
	w->lacking = 1;
	for (i = 0; i < x->ninv; i++)
		if (!((w->seen >> i) & 1) &&
		    (rc = fn(w, x->inv[i]->key, x->inv[i]->klen)))
			break;
	w->lacking = 0;
	return rc;
}

/* Take a user out of every list (the first `limit` of each_listing). */
static void unlist(roster_directory *dir, rs_sindex *x, const rs_user *u,
		   size_t limit)
{
	walk w = { dir, x, entry_of(u), 0, limit, 0, 0 };

	x->changed++;
	each_listing(u, unlist_one, &w);
}

/* Put a user back in its slot and lists, without allocating. */
static void relist(roster_directory *dir, rs_sindex *x, rs_user *u)
{
	walk w = { dir, x, entry_of(u), 0, (size_t)-1, 0, 0 };

	x->users[u->base.slot] = u;
	x->key[u->base.slot].id = u->base.id;
	label_user(dir, x, u->base.slot, u);
	each_listing(u, relist_one, &w);
}

/* Do two versions of a user have the same label, entry and words' and
 * filters' lists, so that only their value lists may differ? */
static int same_words(const rs_user *a, const rs_user *b)
{
	return a->base.parent == b->base.parent &&
	       !strcmp(rs_user_words(a), rs_user_words(b)) &&
	       !strcmp(RS_SORTKEY(a), RS_SORTKEY(b)) &&
	       !strcmp(RS_EMAIL_KEY(a), RS_EMAIL_KEY(b)) &&
	       rs_user_filters(a) == rs_user_filters(b);
}

static int any_key(void *ctx, const char *key, size_t n)
{
	(void)ctx;
	(void)key;
	(void)n;
	return 1;
}

/* Do two versions of a user have the same keys (each_key)? */
static int same_keys(const rs_user *a, const rs_user *b)
{
	return same_words(a, b) && !each_value_lost(a, b, any_key, NULL) &&
	       !each_value_lost(b, a, any_key, NULL);
}

typedef struct listed {
	uint64_t order;
	uint64_t pre[2]; /* the sort key's first 16 bytes, big-endian */
	rs_user *u;
	int labelled; /* flush: given its label by merge_labels() */
} listed;

/* A user to sort: its account's ordinal and the start of its sort key
 * (two words: sort keys "last\x01first" often share their first 8 bytes),
 * which decide most comparisons without reading the user again. */
static void listed_set(const roster_directory *dir, listed *l, rs_user *u)
{
	const unsigned char *k = (const unsigned char *)RS_SORTKEY(u);
	int i, end = 0;

	l->pre[0] = l->pre[1] = 0;
	for (i = 0; i < 16; i++) {
		end = end || !k[i];
		l->pre[i / 8] = l->pre[i / 8] << 8 | (end ? 0 : k[i]);
	}
	l->order = order_of(dir, u);
	l->u = u;
}

/* Does a (not listed) sort before b in its account: by sort key, then
 * identifier? */
static int before_user(const rs_user *a, const rs_user *b)
{
	int c = strcmp(RS_SORTKEY(a), RS_SORTKEY(b));

	return c ? c < 0 : a->base.id < b->base.id;
}

static int cmp_listed(const void *a, const void *b)
{
	const listed *x = a, *y = b;
	int c;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	/* as strcmp() orders the first 16 bytes, the NUL and after as 0 */
	if (x->pre[0] != y->pre[0])
		return x->pre[0] < y->pre[0] ? -1 : 1;
	if (x->pre[1] != y->pre[1])
		return x->pre[1] < y->pre[1] ? -1 : 1;
	if ((c = strcmp(RS_SORTKEY(x->u), RS_SORTKEY(y->u))))
		return c;
	return x->u->base.id < y->u->base.id ? -1 : x->u->base.id > y->u->base.id;
}

/* Label and list a user already in its slot, with room for `extra` more
 * log entries after those of the lists it makes. Out of memory, it is in
 * no list again (the lists made meanwhile are logged, for the caller's
 * undo to free) and ROSTER_ENOMEM is returned. */
static int list_user(roster_directory *dir, rs_sindex *x, rs_user *u,
		     size_t extra, int labelled)
{
	size_t n = 0;
	walk w = { dir, x, 0, 0, 0, 0, 0 };

	/* a log entry for each list it may make: inverted lists are made */
	each_key(u, count_one, &n);
	if (rs_log_reserve(dir, n + extra))
		return ROSTER_ENOMEM;
	if (!labelled)
		label_user(dir, x, u->base.slot, u);
	x->unordered++;
	x->changed++;
	w.entry = entry_of(u);
	if (each_listing(u, list_one, &w) == 0)
		return ROSTER_OK;
	/* the account's labels may have been spread afresh, in the same
	 * order */
	unlist(dir, x, u, w.done);
	return ROSTER_ENOMEM;
}


/*
 * Label a batch of waiting users of one account (sorted, v[0..k)) with
 * the account's listed users at once, spread evenly over the lower half
 * of its range as a build does, when the batch is a large part of them:
 * placing them one by one would run out of room between labels again and
 * again and label the account afresh each time. The listed users keep
 * their order, so every list stays sorted.
 */
static void merge_labels(rs_sindex *x, listed *v, size_t k)
{
	uint64_t base = v[0].order << LOW_BITS, gap, next;
	rs_pos p = rs_plist_seek(x, x->all, base), stop;
	size_t n, i = 0;
	uint32_t s = UINT32_MAX;

	if (!v[0].order || k < MERGE_MIN)
		return;
	stop = rs_plist_seek(x, x->all, base + SPAN);
	n = rs_plist_rank(x->all, stop) - rs_plist_rank(x->all, p);
	if (k * 4 < n)
		return;
	x->relabels++;
	gap = (SPAN / 2) / (n + k + 1);
	next = base + gap;
	while (1) {
		const rs_user *old = NULL;
		if (p.off == x->all->segs[p.seg].len &&
		    p.seg + 1 < x->all->nsegs) {
			p.seg++;
			p.off = 0;
		}
		if (!(p.seg == stop.seg && p.off == stop.off) &&
		    (s = rs_plist_at(x->all, p)) != UINT32_MAX)
			old = x->users[s];
		if (!old && i == k)
			break;
		if (i < k && (!old || before_user(v[i].u, old))) {
			x->key[v[i].u->base.slot].label = next;
			v[i++].labelled = 1;
		} else {
			x->key[s].label = next;
			rs_plist_next(x->all, &p);
		}
		next += gap;
	}
}

/*
 * List the waiting users in listing order, so that each goes next to the
 * one before: the searches of the lists then read what the last one read,
 * and labels are handed out along a run. Out of memory, the users not yet
 * listed keep waiting and ROSTER_ENOMEM is returned.
 */
static int flush(roster_directory *dir)
{
	rs_sindex *x = dir->sindex;
	size_t n = x->npending, i, j;
	listed *v;
	int rc = ROSTER_OK;

	if (!n)
		return ROSTER_OK;
	if (!(v = rs_calloc(&dir->al, n, sizeof(*v))))
		return ROSTER_ENOMEM;
	for (i = 0; i < n; i++)
		listed_set(dir, &v[i], x->pending[i]);
	qsort(v, n, sizeof(*v), cmp_listed);
	/* many for one account: labelled with its users at once */
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && v[j].order == v[i].order; j++)
			;
		merge_labels(x, v + i, j - i);
	}
	x->run = 1;
	for (i = 0; i < n && !(rc = list_user(dir, x, v[i].u, 0,
					       v[i].labelled));
	     i++)
		;
	x->run = 0;
	/* those not listed wait on */
	for (j = 0; i < n; i++, j++)
		x->pending[j] = v[i].u;
	x->npending = j;
	rs_free(&dir->al, v);
	return rc;
}

void rs_sindex_defer(roster_directory *dir, int on)
{
	dir->sindex->defer = on;
}

int rs_sindex_flush(roster_directory *dir)
{
	return dir->sindex ? flush(dir) : ROSTER_OK;
}

int rs_sindex_flush_full(roster_directory *dir)
{
	rs_sindex *x = dir->sindex;

	return x->npending >= x->pending_max ? flush(dir) : ROSTER_OK;
}

#define SWEEP_MIN 64 /* value lists emptied before a sweep */

typedef struct sweep_ctx {
	const rs_alloc *al;
	rs_sindex *x;
} sweep_ctx;

static int drop_empty_value(void *ctx, uint64_t a, uint64_t b)
{
	sweep_ctx *c = ctx;
	rs_plist *l = (rs_plist *)(uintptr_t)b;

	(void)a;
	if (l->total || !is_value_key(l->key, l->klen))
		return 0;
	c->x->nvalues--;
	list_free(c->al, l);
	return 1;
}

/* Free the empty value lists: those of deleted groups and sites and of
 * items nobody holds any more would otherwise stay as long as the
 * directory. */
static void sweep(const rs_alloc *al, rs_sindex *x)
{
	sweep_ctx c = { al, x };

	rs_table_sweep(&x->lists, drop_empty_value, &c);
	x->emptied = 0;
}

void rs_sindex_trim(roster_directory *dir)
{
	rs_sindex *x = dir->sindex;

	if (x && !x->npending && x->cappending) {
		rs_free(&dir->al, x->pending);
		x->pending = NULL;
		x->cappending = 0;
	}
	if (x && x->emptied >= SWEEP_MIN && x->emptied >= x->nvalues / 8)
		sweep(&dir->al, x);
}

static int pending_room(const rs_alloc *al, rs_sindex *x)
{
	size_t cap;
	rs_user **p;

	if (x->npending < x->cappending)
		return 0;
	cap = x->cappending ? x->cappending * 2 : 256;
	if (!(p = rs_reallocarray(al, x->pending, cap, sizeof(*p))))
		return -1;
	x->pending = p;
	x->cappending = cap;
	return 0;
}

/* Take a waiting user out (undoing its creation); 0 if it was listed. */
static int unpend(rs_sindex *x, const rs_user *u)
{
	size_t i;

	for (i = x->npending; i-- > 0;)
		if (x->pending[i] == u) {
			memmove(x->pending + i, x->pending + i + 1,
				(x->npending - i - 1) * sizeof(*x->pending));
			x->npending--;
			return 1;
		}
	return 0;
}

/*
 * A new version of a user whose words, filters and label stay (same_words)
 * changes only its value lists: it joins those of the values it gained
 * and leaves those of the values it lost, instead of leaving and joining
 * all of its twenty or so lists (a product assigned to 100,000 users).
 * The lists joined first, as joining may allocate: out of memory, it
 * leaves those joined so far and the old version stays.
 */
static int relist_values(roster_directory *dir, rs_sindex *x, rs_user *old,
			 rs_user *cur)
{
	walk w;
	size_t n = 0;

	/* the slot first: the entry holds it (a version read from the store
	 * comes without) */
	cur->base.slot = old->base.slot;
	w = (walk){ dir, x, entry_of(cur), 0, (size_t)-1, 0, 0 };
	each_value_lost(cur, old, count_one, &n);
	/* the lists made, then the caller's two entries */
	if (rs_log_reserve(dir, n + 2))
		return ROSTER_ENOMEM;
	if (each_value_lost(cur, old, list_one, &w)) {
		walk back = { dir, x, w.entry, 0, w.done, 0, 0 };

		each_value_lost(cur, old, unlist_one, &back);
		return ROSTER_ENOMEM;
	}
	each_value_lost(old, cur, unlist_one, &w);
	x->users[cur->base.slot] = cur;
	return ROSTER_OK;
}

int rs_sindex_user(roster_directory *dir, rs_user *old, rs_user *cur)
{
	rs_sindex *x = dir->sindex;
	int fresh, rc;

	if (x->defer && !old && cur) {
		if ((rc = slots_room(dir, x)))
			return rc;
		if (pending_room(&dir->al, x))
			return ROSTER_ENOMEM;
		cur->base.slot = take_slot(x);
		x->users[cur->base.slot] = cur;
		x->key[cur->base.slot].id = cur->base.id;
		x->key[cur->base.slot].label = 0;
		x->pending[x->npending++] = cur;
		return ROSTER_OK;
	}
	/* anything else finds every user listed (rs_sindex_defer: not
	 * within a call that could be undone alone) */
	if (flush(dir))
		return ROSTER_ENOMEM;
	/* the caller logs two entries (the flush may have used the room) */
	if (rs_log_reserve(dir, 2))
		return ROSTER_ENOMEM;
	if (old && cur && same_keys(old, cur)) {
		cur->base.slot = old->base.slot;
		x->users[cur->base.slot] = cur;
		return ROSTER_OK;
	}
	if (old && cur && same_words(old, cur))
		return relist_values(dir, x, old, cur);
	if (cur && !old && (rc = slots_room(dir, x)))
		return rc;
	if (old)
		unlist(dir, x, old, (size_t)-1);
	if (!cur) {
		release_slot(x, old->base.slot);
		return ROSTER_OK;
	}
	fresh = !old && !x->nfree;
	cur->base.slot = old ? old->base.slot : take_slot(x);
	x->users[cur->base.slot] = cur;
	x->key[cur->base.slot].id = cur->base.id;
	/* the caller logs two entries after those of the lists */
	if (list_user(dir, x, cur, 2, 0) == ROSTER_OK)
		return ROSTER_OK;
	/* out of memory: back as it was */
	if (old) {
		relist(dir, x, old);
	} else if (fresh) {
		x->users[cur->base.slot] = NULL;
		x->nslots--;
	} else {
		release_slot(x, cur->base.slot);
	}
	return ROSTER_ENOMEM;
}

void rs_sindex_undo(roster_directory *dir, int op, void *target,
		    rs_rec *old_rec, rs_rec *new_rec)
{
	rs_sindex *x = dir->sindex;
	rs_user *old = (rs_user *)old_rec, *cur = (rs_user *)new_rec;

	if (op == U_IDX_LIST) {
		list_drop(&dir->al, x, target);
		return;
	}
	if (old && cur && same_keys(old, cur)) {
		x->users[old->base.slot] = old;
		return;
	}
	if (old && cur && same_words(old, cur)) {
		walk w = { dir, x, entry_of(old), 0, (size_t)-1, 0, 0 };

		each_value_lost(cur, old, unlist_one, &w);
		each_value_lost(old, cur, relist_one, &w);
		x->users[old->base.slot] = old;
		return;
	}
	if (cur && !old && unpend(x, cur)) {
		release_slot(x, cur->base.slot);
		return;
	}
	if (cur) {
		unlist(dir, x, cur, (size_t)-1);
		if (!old)
			release_slot(x, cur->base.slot);
	}
	if (old) {
		if (!cur)
			retake_slot(x, old->base.slot);
		relist(dir, x, old);
	}
}

int rs_sindex_account(roster_directory *dir, rs_unit *account)
{
	rs_sindex *x = dir->sindex;

	/* the last ordinal stays unused: an account's label range ends at
	 * the next one's base, which must fit in 64 bits */
	if (x->orders >= UINT32_MAX - 1)
		return rs_fail(dir, ROSTER_ERROR, NULL, "id.exhausted", NULL);
	account->members->order = ++x->orders;
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Building                                                            */

void rs_sindex_free(const rs_alloc *al, rs_sindex *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->lists.cap; i++)
		if (x->lists.slots[i].b)
			list_free(al, (rs_plist *)(uintptr_t)x->lists.slots[i].b);
	rs_table_free(al, &x->lists);
	rs_free(al, x->users);
	rs_free(al, x->key);
	rs_free(al, x->pending);
	rs_free(al, x);
}

static void invert(roster_directory *dir);

static int cmp_id(const void *a, const void *b)
{
	roster_id x = (*(rs_rec *const *)a)->id, y = (*(rs_rec *const *)b)->id;

	return x < y ? -1 : x > y;
}

/* Append in a list being built (slots come in label order), each
 * segment filled: the first user added into a full segment later splits
 * it in halves, which leaves room for the next ones there. */
static int append_one(void *ctx, const char *key, size_t n)
{
	walk *w = ctx;
	const rs_alloc *al = &w->dir->al;
	rs_plist *l = find_list(w->x, key, n);
	uint32_t last;

	if (!l && (rs_table_reserve(al, &w->x->lists, 1) ||
		   !(l = list_new(al, w->x, key, n))))
		return -1;
	last = l->nsegs - 1;
	if (l->capsegs == 1 && l->slabcap < RS_SEG) {
		if (l->segs[0].len == l->slabcap && list_grow(al, l))
			return -1;
	} else if (l->segs[last].len >= FILL) {
		if (!l->nspare && list_grow(al, l))
			return -1;
		l->segs[l->nsegs].at = l->spare[--l->nspare];
		l->segs[l->nsegs].len = 0;
		last = l->nsegs++;
	}
	seg_at(l, last)[l->segs[last].len++] = w->entry;
	l->total++;
	seg_fix(w->x, l, last);
	return 0;
}

int rs_sindex_build(roster_directory *dir, rs_rec *const *recs, size_t nrecs)
{
	rs_sindex *x = rs_calloc(&dir->al, 1, sizeof(*x));
	rs_rec **accounts = NULL;
	listed *users = NULL;
	size_t naccounts = 0, nusers = 0, i, j, k;
	walk w;

	if (!x)
		goto nomem;
	x->seed = dir->seed;
	x->tidy_min = TIDY_MIN;
	x->pending_max = PENDING_MAX;
	x->inv_min = INV_MIN;
	/* one pass counts the accounts and users, one gathers them */
	for (i = 0; i < nrecs; i++) {
		naccounts += recs[i]->kind == ROSTER_KIND_ACCOUNT;
		nusers += recs[i]->kind == ROSTER_KIND_USER;
	}
	if (naccounts > UINT32_MAX - 1)
		goto nomem;
	/* as many users as a handle indexes: a store it filled opens */
	if (nusers > RS_SLOTS_MAX) {
		rs_sindex_free(&dir->al, x);
		return slots_full(dir);
	}
	x->capslots = (uint32_t)(nusers < RS_SLOTS_MAX - 64 ? nusers + 64
							     : RS_SLOTS_MAX);
	if (!(x->users = rs_calloc(&dir->al, x->capslots, sizeof(*x->users))) ||
	    !(x->key = rs_calloc(&dir->al, x->capslots, sizeof(*x->key))) ||
	    rs_table_reserve(&dir->al, &x->lists, 1) ||
	    !(x->all = list_new(&dir->al, x, "", 0)))
		goto nomem;
	if ((nusers && !(users = rs_calloc(&dir->al, nusers, sizeof(*users)))) ||
	    (naccounts &&
	     !(accounts = rs_calloc(&dir->al, naccounts, sizeof(*accounts)))))
		goto nomem;
	for (i = 0, j = 0, k = 0; i < nrecs; i++)
		if (recs[i]->kind == ROSTER_KIND_ACCOUNT)
			accounts[k++] = recs[i];
		else if (recs[i]->kind == ROSTER_KIND_USER)
			users[j++].u = (rs_user *)recs[i];
	/* accounts numbered by identifier, which is creation order */
	if (naccounts > 1)
		qsort(accounts, naccounts, sizeof(*accounts), cmp_id);
	for (i = 0; i < naccounts; i++)
		RS_MEMBERS(accounts[i])->order = (uint32_t)i + 1;
	x->orders = (uint32_t)naccounts;
	for (i = 0; i < nusers; i++)
		listed_set(dir, &users[i], users[i].u);
	if (nusers > 1)
		qsort(users, nusers, sizeof(*users), cmp_listed);
	w.dir = dir;
	w.x = x;
	for (i = 0; i < nusers; i = j) {
		/* the users of one account, spread over half its range */
		uint64_t base = users[i].order << LOW_BITS, gap;
		for (j = i; j < nusers && users[j].order == users[i].order; j++)
			;
		gap = (SPAN / 2) / (j - i + 1);
		for (k = i; k < j; k++) {
			rs_user *u = users[k].u;
			u->base.slot = x->nslots++;
			x->users[u->base.slot] = u;
			x->key[u->base.slot].label = base + gap * (k - i + 1);
			x->key[u->base.slot].id = u->base.id;
			w.entry = entry_of(u);
			if (each_key(u, append_one, &w))
				goto nomem;
		}
	}
	rs_free(&dir->al, accounts);
	rs_free(&dir->al, users);
	dir->sindex = x;
	x->changed = nusers;
	invert(dir);
	return ROSTER_OK;
nomem:
	rs_free(&dir->al, accounts);
	rs_free(&dir->al, users);
	rs_sindex_free(&dir->al, x);
	return rs_nomem(dir);
}

/* ------------------------------------------------------------------ */
/* Slots in label order                                                */

/* A list's block packed anew, FILL slots a segment and an eighth more
 * segments spare (packing_new), filled in list order (packing_put), then
 * put in place of the list's (packing_install). */
typedef struct packing {
	uint32_t *slab, *spare;
	rs_seg *segs;
	uint32_t nseg, caps;
	size_t k; /* slots put */
} packing;

/* The segments a block of n slots packed has, the spare ones included. */
static uint32_t packed_caps(size_t n, uint32_t *nseg)
{
	*nseg = n ? (uint32_t)((n + FILL - 1) / FILL) : 1;
	return *nseg + (*nseg + 7) / 8;
}

/* The segments of n slots packed: 0, or -1 out of memory. */
static int packing_new(const rs_alloc *al, size_t n, packing *p)
{
	uint32_t g;

	p->caps = packed_caps(n, &p->nseg);
	p->k = 0;
	p->slab = rs_calloc(al, (size_t)p->caps * RS_SEG, sizeof(*p->slab));
	p->segs = rs_calloc(al, p->caps, sizeof(*p->segs));
	p->spare = rs_calloc(al, p->caps, sizeof(*p->spare));
	if (!p->slab || !p->segs || !p->spare) {
		rs_free(al, p->slab);
		rs_free(al, p->segs);
		rs_free(al, p->spare);
		return -1;
	}
	for (g = 0; g < p->nseg; g++)
		p->segs[g].at = g * RS_SEG;
	return 0;
}

static void packing_put(packing *p, uint32_t entry)
{
	p->slab[(p->k / FILL) * RS_SEG + p->k % FILL] = entry;
	p->segs[p->k / FILL].len++;
	p->k++;
}

/* The list's block replaced by the packed one. */
static void packing_install(const rs_alloc *al, const rs_sindex *x,
			    rs_plist *l, const packing *p)
{
	uint32_t g;

	rs_free(al, l->slab);
	rs_free(al, l->segs);
	rs_free(al, l->spare);
	l->slab = p->slab;
	l->segs = p->segs;
	l->spare = p->spare;
	l->slabcap = p->caps * RS_SEG;
	l->capsegs = p->caps;
	l->nsegs = p->nseg;
	l->nspare = 0;
	l->total = p->k;
	for (g = p->nseg; g < p->caps; g++)
		l->spare[l->nspare++] = g * RS_SEG;
	for (g = 0; g < p->nseg; g++)
		seg_fix(x, l, g);
}

/*
 * Pack a list again, FILL slots a segment as a build leaves them, with an
 * eighth more segments spare, when its block is under 60% used (packed,
 * it is about eight ninths used): users added one by one split full
 * segments in halves (and deletions empty them), so that a directory
 * built by single creations would otherwise keep lists twice the size
 * of an imported one's. Out of memory, the list stays as it is.
 */
static void list_repack(const rs_alloc *al, const rs_sindex *x, rs_plist *l)
{
	uint32_t n, g, i;
	packing p;

	if (l->capsegs < 2 || l->total * 5 >= (size_t)l->capsegs * RS_SEG * 3 ||
	    packed_caps(l->total, &n) >= l->capsegs ||
	    packing_new(al, l->total, &p))
		return;
	for (g = 0; g < l->nsegs; g++) {
		const uint32_t *e = seg_at(l, g);
		for (i = 0; i < l->segs[g].len; i++)
			packing_put(&p, e[i]);
	}
	packing_install(al, x, l, &p);
}

/* Number every slot afresh in label order (rs_sindex_tidy). */
static void renumber(roster_directory *dir)
{
	rs_sindex *x = dir->sindex;
	size_t used = x->nslots - x->nfree, i, k;
	uint32_t *map, s, n = 0;
	rs_user **users;
	rs_slotkey *key;
	rs_pos p = { 0, 0 };

	if (x->unordered < x->tidy_min || x->unordered < used / 4 ||
	    x->npending)
		return;
	map = rs_calloc(&dir->al, x->nslots ? x->nslots : 1, sizeof(*map));
	users = rs_calloc(&dir->al, x->capslots, sizeof(*users));
	key = rs_calloc(&dir->al, x->capslots, sizeof(*key));
	if (!map || !users || !key) {
		rs_free(&dir->al, map);
		rs_free(&dir->al, users);
		rs_free(&dir->al, key);
		return;
	}
	/* every user is in the list of the empty prefix, in label order */
	while ((s = rs_plist_next(x->all, &p)) != UINT32_MAX) {
		map[s] = n;
		users[n] = x->users[s];
		key[n] = x->key[s];
		users[n]->base.slot = n;
		n++;
	}
	for (i = 0; i < x->lists.cap; i++) {
		rs_plist *l = (rs_plist *)(uintptr_t)x->lists.slots[i].b;
		uint32_t g;
		if (!l)
			continue;
		for (g = 0; g < l->nsegs; g++) {
			uint32_t *e = seg_at(l, g);
			for (k = 0; k < l->segs[g].len; k++)
				e[k] = map[rs_entry_slot(e[k])] |
				       (e[k] & ~RS_SLOT_MASK);
		}
	}
	rs_free(&dir->al, map);
	rs_free(&dir->al, x->users);
	rs_free(&dir->al, x->key);
	x->users = users;
	x->key = key;
	x->nslots = n;
	x->nfree = 0;
	x->unordered = 0;
	for (i = 0; i < x->lists.cap; i++) {
		rs_plist *l = (rs_plist *)(uintptr_t)x->lists.slots[i].b;
		if (l)
			list_repack(&dir->al, x, l);
	}
}

/*
 * Make l hold the users of the empty prefix's list that it lacks, in the
 * same order, packed as list_repack() leaves a list: a list becomes its
 * inverse, an inverse its list again. Every listed user is in the empty
 * prefix's list, so that l's slots are there in the same order. 0, or -1
 * out of memory, l unchanged.
 */
static int complement(const rs_alloc *al, const rs_sindex *x, rs_plist *l)
{
	const rs_plist *all = x->all;
	rs_pos pa = { 0, 0 }, pl = { 0, 0 };
	packing p;
	uint32_t e;

	if (packing_new(al, all->total - l->total, &p))
		return -1;
	while ((e = rs_plist_next_entry(all, &pa)) != RS_NO_ENTRY) {
		if (rs_plist_at(l, pl) == rs_entry_slot(e))
			rs_plist_next(l, &pl);
		else
			packing_put(&p, e);
	}
	packing_install(al, x, l, &p);
	l->last = 0;
	l->inv = !l->inv;
	return 0;
}

/* Invert the lists holding most users and put back the inverted ones
 * holding most of them (rs_sindex_tidy). */
static void invert(roster_directory *dir)
{
	rs_sindex *x = dir->sindex;
	size_t n = x->all->total, i, changed = x->changed;
	uint32_t k;
	int short_of_memory = 0;

	if (x->npending || x->changed < x->inv_min / 4 ||
	    x->changed * 8 < n)
		return;
	x->changed = 0;
	for (k = 0; k < x->ninv;) {
		rs_plist *l = x->inv[k];
		if (l->total * 2 <= n) {
			k++;
			continue;
		}
		if (complement(&dir->al, x, l)) {
			short_of_memory = 1;
			k++;
			continue;
		}
		x->inv[k] = x->inv[--x->ninv];
		x->inv[k]->invbit = (uint8_t)k;
	}
	for (i = 0; n >= x->inv_min && i < x->lists.cap &&
		    x->ninv < RS_INV_MAX;
	     i++) {
		rs_plist *l = (rs_plist *)(uintptr_t)x->lists.slots[i].b;
		if (!l || l->inv || !l->klen || is_value_key(l->key, l->klen) ||
		    l->total * 4 < n * 3)
			continue;
		if (complement(&dir->al, x, l)) {
			short_of_memory = 1;
			continue;
		}
		l->invbit = (uint8_t)x->ninv;
		x->inv[x->ninv++] = l;
	}
	/* what could not be done is tried again after the next commit */
	if (short_of_memory)
		x->changed = changed;
}

void rs_sindex_tidy(roster_directory *dir)
{
	renumber(dir);
	invert(dir);
}
