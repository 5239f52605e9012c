/* codec.c: encoding and decoding records (docs/storage.md, format 1). */
#include "codec.h"

#include <stdio.h>
#include <string.h>

#include "../fields.h"
#include "../password.h"
#include "../txn.h"
#include "../users.h"
#include "../util/text.h"

enum tag {
	T_ID = 1,	/* u64 */
	T_PARENT = 2,	/* u64 */
	T_NAME = 3,	/* text */
	T_HELPDESK = 4, /* u8 */
	T_DIGITS = 5,	/* u8 min, u8 max */
	T_EDITION = 6,	/* text: catalog edition of an account */
	T_LICENCE = 7,	/* text: a licence an account may use, ascending */
	T_STOCK = 8,	/* u32 purchased, text pack: a site's stations */
	T_BOUGHT = 9,	/* u32 purchased, text product: an account's */
	T_STR = 16,	/* u8 field, text */
	T_FLAG = 17,	/* u8 field, u8 value */
	T_REF = 18,	/* u8 field, u64 */
	T_LINE = 19,	/* text */
	T_PASSWORD = 20, /* text: crypt(3) hash */
	T_RESET = 21,	/* i64 expiry, text: crypt(3) hash */
	T_WELCOME = 22,	/* i64 expiry, text: crypt(3) hash */
	T_PRODUCT = 23	/* text: a product licence assigned, ascending */
};

/* Longest text any field holds, in bytes (a generous bound). */
#define TEXT_MAX 8192
/* Most lines a user record may list (the model allows ROSTER_LINES_MAX,
 * which the check after the decoding refuses beyond). The lists of
 * catalog items (a user's products, an account's licences and products,
 * a site's packs) are as long as the catalog allows, which sets no
 * bound: only the record's length bounds them. */
#define LINES_MAX 1024
_Static_assert(LINES_MAX <= UINT16_MAX, "a user's lines are counted in 16 bits");
#define NO_MAX SIZE_MAX

/* The array `arr` of `count` elements made here, with room for one more:
 * it grows to twice its size whenever count reaches a power of two, so
 * that a list of n costs O(n) copying. NULL out of memory (arr kept). */
static void *list_room(const rs_alloc *al, void *arr, size_t count,
		       size_t size)
{
	if (count & (count - 1))
		return arr; /* room left */
	return rs_reallocarray(al, arr, count ? count * 2 : 1, size);
}

/* "<p>/" and v in 16 lower-case hex digits (what "%016llx" writes, at a
 * tenth of snprintf's cost: a key is made for every record written,
 * event queued and record loaded). */
static void number_key(char key[RS_KEY_SIZE], char p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	_Static_assert(RS_KEY_SIZE >= 19, "a key holds its 18 bytes");
	key[0] = p;
	key[1] = '/';
	for (i = 17; i >= 2; i--, v >>= 4)
		key[i] = hex[v & 15];
	key[18] = '\0';
}

void rs_record_key(char key[RS_KEY_SIZE], roster_id id)
{
	number_key(key, 'r', id);
}

/* The number of a key "<p>/" and 16 lower-case hex digits, 0 if none. */
static uint64_t key_number(const char *key, char p)
{
	uint64_t v = 0;
	size_t i;

	if (key[0] != p || key[1] != '/' || strlen(key) != 18)
		return 0;
	for (i = 2; i < 18; i++) {
		int d = rs_hex_digit(key[i]);
		if (d < 0)
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	return v;
}

roster_id rs_record_key_id(const char *key)
{
	return key_number(key, 'r');
}

/* ------------------------------------------------------------------ */
/* Encoding                                                            */

typedef struct wbuf {
	const rs_alloc *al;
	unsigned char *p;
	size_t len, cap;
	int failed;
} wbuf;

static void put_bytes(wbuf *w, const void *data, size_t n)
{
	if (w->failed)
		return;
	if (w->cap - w->len < n) {
		size_t cap = w->cap ? w->cap : 128;
		unsigned char *p;
		while (cap - w->len < n)
			cap *= 2;
		p = rs_reallocarray(w->al, w->p, cap, 1);
		if (!p) {
			w->failed = 1;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, data, n);
	w->len += n;
}

static void put_u8(wbuf *w, unsigned v)
{
	unsigned char b = (unsigned char)v;

	put_bytes(w, &b, 1);
}

static void put_varint(wbuf *w, uint64_t v)
{
	do {
		put_u8(w, (unsigned)(v & 0x7F) | (v > 0x7F ? 0x80u : 0));
		v >>= 7;
	} while (v);
}

void rs_le64_put(unsigned char b[8], uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

uint64_t rs_le64_get(const unsigned char b[8])
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* One field: tag, length, then `n` bytes of head and the text. */
static void put_field(wbuf *w, unsigned tag, const void *head, size_t n,
		      const char *text)
{
	size_t tl = text ? strlen(text) : 0;

	put_u8(w, tag);
	put_varint(w, n + tl);
	if (n)
		put_bytes(w, head, n);
	if (tl)
		put_bytes(w, text, tl);
}

static void put_u64_field(wbuf *w, unsigned tag, uint64_t v)
{
	unsigned char b[8];

	rs_le64_put(b, v);
	put_field(w, tag, b, 8, NULL);
}

/* A token's hash goes to the store in its stored form (password.h),
 * whatever form the user keeps it in. */
static void put_token(wbuf *w, unsigned tag, const char *hash,
		      int64_t expires)
{
	unsigned char b[8];
	char stored[TOKEN_HASH_SIZE];

	if (!hash)
		return;
	rs_le64_put(b, (uint64_t)expires);
	put_field(w, tag, b, 8,
		  rs_token_hash_stored(hash, stored) == 0 ? stored : hash);
}

static void put_stock(wbuf *w, unsigned tag, const rs_stock *st, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c[4];
		uint32_t v = st[i].purchased;
		c[0] = (unsigned char)v;
		c[1] = (unsigned char)(v >> 8);
		c[2] = (unsigned char)(v >> 16);
		c[3] = (unsigned char)(v >> 24);
		put_field(w, tag, c, 4, st[i].item);
	}
}

int rs_encode(const rs_alloc *al, const rs_rec *rec, unsigned char **out,
	      size_t *len)
{
	wbuf w;
	int f;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.al = al;
	put_u8(&w, RS_CODEC_FORMAT);
	put_u8(&w, (unsigned)rec->kind);
	put_u64_field(&w, T_ID, rec->id);
	put_u64_field(&w, T_PARENT, rec->parent);
	if (rec->kind == ROSTER_KIND_USER) {
		const rs_user *u = (const rs_user *)rec;
		for (f = 1; f < ROSTER_FIELD_END; f++) {
			unsigned char head[9];
			switch (roster_field_type(f)) {
			case ROSTER_TYPE_STRING:
				if (!RS_STR(u, f))
					break;
				head[0] = (unsigned char)f;
				put_field(&w, T_STR, head, 1, RS_STR(u, f));
				break;
			case ROSTER_TYPE_BOOL:
				if (!RS_FLAG(u, f))
					break;
				head[0] = (unsigned char)f;
				head[1] = 1;
				put_field(&w, T_FLAG, head, 2, NULL);
				break;
			case ROSTER_TYPE_REF:
				if (!RS_REF(u, f))
					break;
				head[0] = (unsigned char)f;
				rs_le64_put(head + 1, RS_REF(u, f));
				put_field(&w, T_REF, head, 9, NULL);
				break;
			}
		}
		for (i = 0; i < u->nlines; i++)
			put_field(&w, T_LINE, NULL, 0, RS_LINE(u, i));
		for (i = 0; i < u->nproducts; i++)
			put_field(&w, T_PRODUCT, NULL, 0, RS_PRODUCT(u, i));
		if (RS_PASSWORD(u))
			put_field(&w, T_PASSWORD, NULL, 0, RS_PASSWORD(u));
		put_token(&w, T_RESET, RS_RESET(u), RS_RESET_EXPIRES(u));
		put_token(&w, T_WELCOME, RS_WELCOME(u), RS_WELCOME_EXPIRES(u));
	} else {
		const rs_unit *n = (const rs_unit *)rec;
		unsigned char d[2];
		put_field(&w, T_NAME, NULL, 0, n->name);
		if (n->edition)
			put_field(&w, T_EDITION, NULL, 0, n->edition);
		for (i = 0; i < n->nlicences; i++)
			put_field(&w, T_LICENCE, NULL, 0, n->licences[i]);
		put_stock(&w, T_STOCK, n->stock, n->nstock);
		put_stock(&w, T_BOUGHT, n->bought, n->nbought);
		if (n->helpdesk)
			put_field(&w, T_HELPDESK, "\1", 1, NULL);
		if (rec->kind == ROSTER_KIND_PBX) {
			d[0] = (unsigned char)n->min_digits;
			d[1] = (unsigned char)n->max_digits;
			put_field(&w, T_DIGITS, d, 2, NULL);
		}
	}
	if (w.failed) {
		rs_free(al, w.p);
		return ROSTER_ENOMEM;
	}
	*out = w.p;
	*len = w.len;
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

typedef struct rbuf {
	const unsigned char *p;
	size_t len, pos;
} rbuf;

static int get_varint(rbuf *r, uint64_t *v)
{
	uint64_t x = 0;
	int shift;

	for (shift = 0; shift < 64; shift += 7) {
		unsigned char b;
		if (r->pos >= r->len)
			return -1;
		b = r->p[r->pos++];
		if (shift == 63 && (b & 0x7E))
			return -1; /* more than 64 bits */
		x |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* A text value: valid UTF-8, no NUL, bounded; copied into *out. */
static int get_text(const rs_alloc *al, const unsigned char *p, size_t n,
		    char **out, const char **why)
{
	if (n == 0 || n > TEXT_MAX) {
		*why = "text length";
		return ROSTER_EPARSE;
	}
	if (memchr(p, 0, n) || !rs_utf8_valid((const char *)p, n)) {
		*why = "text not UTF-8";
		return ROSTER_EPARSE;
	}
	if (*out) {
		*why = "field repeated";
		return ROSTER_EPARSE;
	}
	*out = rs_strndup(al, (const char *)p, n);
	return *out ? ROSTER_OK : ROSTER_ENOMEM;
}

/* A token's hash, turned into the form a user keeps it in (shorter, the
 * bytes of it copied over the text's); else the yescrypt hash an earlier
 * build wrote, which a redemption checks at the cost it names. */
static int get_token(const rs_alloc *al, const unsigned char *p, size_t n,
		     char **out, const char **why)
{
	char kept[TOKEN_KEPT_SIZE];
	int rc = get_text(al, p, n, out, why);

	if (rc != ROSTER_OK)
		return rc;
	if (rs_token_hash_kept(*out, kept) == 0) {
		memcpy(*out, kept, sizeof(kept));
	} else if (!rs_password_hash_known(*out, n)) {
		*why = "token hash not one roster writes";
		return ROSTER_EPARSE;
	}
	return ROSTER_OK;
}

/*
 * One more text of a repeated field (lines, products, licences): at most
 * `max` of them, and with `ascending` each after the one before, so that
 * a set has one encoding.
 */
static int add_text(const rs_alloc *al, char ***arr, size_t *count,
		    const unsigned char *p, size_t n, size_t max,
		    int ascending, const char **why)
{
	char **l, *s = NULL;
	int rc;

	if (*count >= max) {
		*why = "too many values";
		return ROSTER_EPARSE;
	}
	if ((rc = get_text(al, p, n, &s, why)))
		return rc;
	if (ascending && *count && strcmp((*arr)[*count - 1], s) >= 0) {
		rs_free(al, s);
		*why = "values not ascending";
		return ROSTER_EPARSE;
	}
	if (!(l = list_room(al, *arr, *count, sizeof(char *)))) {
		rs_free(al, s);
		return ROSTER_ENOMEM;
	}
	*arr = l;
	l[(*count)++] = s;
	return ROSTER_OK;
}

static int user_field(const rs_alloc *al, rs_user *u, unsigned tag,
		      const unsigned char *p, size_t n, const char **why)
{
	rs_user_work *w = RS_W(u);
	int f = n ? p[0] : 0;
	int type = roster_field_type(f);
	size_t count;
	int rc;

	switch (tag) {
	case T_STR:
		if (type != ROSTER_TYPE_STRING || f == ROSTER_FIELD_PASSWORD)
			break;
		return get_text(al, p + 1, n - 1, &w->s[f], why);
	case T_FLAG:
		if (type != ROSTER_TYPE_BOOL || n != 2 || p[1] > 1)
			break;
		rs_flag_set(u, f, p[1]);
		return ROSTER_OK;
	case T_REF:
		if (type != ROSTER_TYPE_REF || n != 9)
			break;
		RS_REF_W(u, f) = rs_le64_get(p + 1);
		return ROSTER_OK;
	case T_LINE:
		count = u->nlines;
		rc = add_text(al, &w->lines, &count, p, n, LINES_MAX, 0, why);
		u->nlines = (uint16_t)count;
		return rc;
	case T_PRODUCT:
		count = u->nproducts;
		rc = add_text(al, &w->products, &count, p, n, NO_MAX, 1,
			      why);
		u->nproducts = (uint32_t)count;
		return rc;
	case T_PASSWORD:
		/* the yescrypt hash roster writes, no other crypt(3) method:
		 * an older one (DES reads 8 characters) would be weaker and
		 * answer a login at another speed than an unknown login */
		if (n < 3 || memcmp(p, "$y$", 3) != 0) {
			*why = "password hash not yescrypt";
			return ROSTER_EPARSE;
		}
		/* nor another cost than a policy sets: a login is checked
		 * at the cost the hash names */
		if (!rs_password_hash_known((const char *)p, n)) {
			*why = "password hash cost unknown";
			return ROSTER_EPARSE;
		}
		return get_text(al, p, n, &w->s[RS_S_PASSWORD], why);
	case T_RESET:
	case T_WELCOME:
		if (n <= 8)
			break;
		*(tag == T_RESET ? &RS_RESET_EXPIRES_W(u)
				 : &RS_WELCOME_EXPIRES_W(u)) = rs_le64_get(p);
		return get_token(al, p + 8, n - 8,
				 &w->s[tag == T_RESET ? RS_S_RESET
						      : RS_S_WELCOME],
				 why);
	default:
		return ROSTER_OK; /* a later format's field: skipped */
	}
	*why = "malformed user field";
	return ROSTER_EPARSE;
}

/* Counts purchased per item (the stations of a site per pack, the
 * product licences of an account): one entry per item, ascending, each
 * count from 1 to `max` (an item none is left of has no entry). */
static int add_stock(const rs_alloc *al, rs_stock **arr, size_t *count,
		     const unsigned char *p, size_t n, uint32_t max,
		     const char **why)
{
	uint32_t purchased = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	rs_stock *st;
	char *s = NULL;
	int rc;

	if (!purchased || purchased > max) {
		*why = "count purchased out of range";
		return ROSTER_EPARSE;
	}
	if ((rc = get_text(al, p + 4, n - 4, &s, why)))
		return rc;
	if (*count && strcmp((*arr)[*count - 1].item, s) >= 0) {
		rs_free(al, s);
		*why = "items not ascending";
		return ROSTER_EPARSE;
	}
	if (!(st = list_room(al, *arr, *count, sizeof(*st)))) {
		rs_free(al, s);
		return ROSTER_ENOMEM;
	}
	*arr = st;
	st[*count].item = s;
	st[*count].purchased = purchased;
	(*count)++;
	return ROSTER_OK;
}

static int unit_field(const rs_alloc *al, rs_unit *u, unsigned tag,
		      const unsigned char *p, size_t n, const char **why)
{
	switch (tag) {
	case T_NAME:
		return get_text(al, p, n, &u->name, why);
	case T_EDITION:
		return get_text(al, p, n, &u->edition, why);
	case T_LICENCE:
		return add_text(al, &u->licences, &u->nlicences, p, n,
				NO_MAX, 1, why);
	case T_STOCK:
	case T_BOUGHT:
		if (n <= 4)
			break;
		return tag == T_STOCK
			       ? add_stock(al, &u->stock, &u->nstock, p, n,
					   ROSTER_STATIONS_MAX, why)
			       : add_stock(al, &u->bought, &u->nbought, p, n,
					   ROSTER_PRODUCTS_MAX, why);
	case T_HELPDESK:
		if (n != 1 || p[0] > 1)
			break;
		u->helpdesk = p[0];
		return ROSTER_OK;
	case T_DIGITS:
		if (n != 2 || u->base.kind != ROSTER_KIND_PBX ||
		    p[0] < ROSTER_EXTENSION_DIGITS_MIN ||
		    p[1] > ROSTER_EXTENSION_DIGITS_MAX || p[0] > p[1])
			break;
		u->min_digits = p[0];
		u->max_digits = p[1];
		return ROSTER_OK;
	default:
		return ROSTER_OK; /* a later format's field: skipped */
	}
	*why = "malformed field";
	return ROSTER_EPARSE;
}

static int finish_unit(const rs_alloc *al, rs_unit *n, const char **why)
{
	enum rs_text_fault f;

	if (!n->name) {
		*why = "name missing";
		return ROSTER_EPARSE;
	}
	if (n->base.kind == ROSTER_KIND_PBX && !n->min_digits) {
		*why = "digit rules missing";
		return ROSTER_EPARSE;
	}
	f = rs_text_clean(al, n->name, RS_TEXT_FOLD | RS_TEXT_STORED,
			  ROSTER_NAME_MAX * 4, &n->name_key);
	if (f == RS_TEXT_NOMEM)
		return ROSTER_ENOMEM;
	if (f != RS_TEXT_OK) {
		*why = "name not valid";
		return ROSTER_EPARSE;
	}
	n->members = rs_calloc(al, 1, sizeof(rs_members));
	return n->members ? ROSTER_OK : ROSTER_ENOMEM;
}

static int finish_user(const rs_alloc *al, rs_user *u, const char **why)
{
	const char *e = RS_STR(u, ROSTER_FIELD_EMAIL);
	size_t i, n;
	char *key;

	if (!RS_STR(u, ROSTER_FIELD_FIRST_NAME) ||
	    !RS_STR(u, ROSTER_FIELD_LAST_NAME) || !e) {
		*why = "required field missing";
		return ROSTER_EPARSE;
	}
	/* the login key is derived, never stored */
	n = strlen(e);
	if (!(key = rs_strndup(al, e, n)))
		return ROSTER_ENOMEM;
	for (i = 0; i < n; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] + 32);
	rs_user_set(al, u, RS_S_EMAIL_KEY, key);
	return ROSTER_OK;
}

/*
 * Refuse a known field on the wrong kind of record, and a fixed-size field
 * given twice (text fields refuse repeats themselves). seen[0] holds the
 * unit tags, seen[1] the flag fields, seen[2] the reference fields.
 */
static int check_repeat(int kind, unsigned tag, const unsigned char *p,
			size_t n, uint64_t seen[3], const char **why)
{
	int user = kind == ROSTER_KIND_USER;
	uint64_t *set = NULL, bit = 0;

	if ((user && tag >= T_NAME && tag <= T_BOUGHT) ||
	    (!user && tag >= T_STR && tag <= T_PRODUCT)) {
		*why = "field of another kind";
		return ROSTER_EPARSE;
	}
	if (tag == T_HELPDESK || tag == T_DIGITS) {
		set = &seen[0];
		bit = (uint64_t)1 << tag;
	} else if ((tag == T_FLAG || tag == T_REF) && n >= 1 && p[0] < 64) {
		set = &seen[tag == T_FLAG ? 1 : 2];
		bit = (uint64_t)1 << p[0];
	}
	if (set && (*set & bit)) {
		*why = "field repeated";
		return ROSTER_EPARSE;
	}
	if (set)
		*set |= bit;
	return ROSTER_OK;
}

int rs_decode(const rs_alloc *al, const void *data, size_t len, rs_rec **out,
	      const char **why)
{
	rbuf r = { data, len, 0 };
	rs_rec *rec = NULL;
	uint64_t seen_bits[3] = { 0, 0, 0 };
	int kind, rc = ROSTER_OK, seen_id = 0, seen_parent = 0;

	*out = NULL;
	*why = NULL;
	if (!data || len < 2) {
		*why = "truncated";
		return ROSTER_EPARSE;
	}
	if (r.p[0] != RS_CODEC_FORMAT) {
		*why = "unknown format";
		return ROSTER_EPARSE;
	}
	kind = r.p[1];
	if (kind < ROSTER_KIND_PARTNER || kind > ROSTER_KIND_USER) {
		*why = "unknown kind";
		return ROSTER_EPARSE;
	}
	rec = kind == ROSTER_KIND_USER ? (rs_rec *)rs_user_new(al)
				       : rs_calloc(al, 1, sizeof(rs_unit));
	if (!rec)
		return ROSTER_ENOMEM;
	rec->kind = kind;
	r.pos = 2;
	while (rc == ROSTER_OK && r.pos < r.len) {
		unsigned tag = r.p[r.pos++];
		uint64_t n;
		const unsigned char *p;

		if (get_varint(&r, &n) || n > r.len - r.pos) {
			*why = "truncated";
			rc = ROSTER_EPARSE;
			break;
		}
		p = r.p + r.pos;
		r.pos += (size_t)n;
		if (tag == T_ID || tag == T_PARENT) {
			int *seen = tag == T_ID ? &seen_id : &seen_parent;
			if (n != 8 || *seen) {
				*why = "malformed identifier";
				rc = ROSTER_EPARSE;
				break;
			}
			*seen = 1;
			*(tag == T_ID ? &rec->id : &rec->parent) = rs_le64_get(p);
			continue;
		}
		if ((rc = check_repeat(kind, tag, p, (size_t)n, seen_bits, why)))
			break;
		rc = kind == ROSTER_KIND_USER
			     ? user_field(al, (rs_user *)rec, tag, p, (size_t)n, why)
			     : unit_field(al, (rs_unit *)rec, tag, p, (size_t)n, why);
	}
	if (rc == ROSTER_OK && (!seen_id || !rec->id || !seen_parent ||
				(kind != ROSTER_KIND_PARTNER && !rec->parent))) {
		*why = "identifier missing";
		rc = ROSTER_EPARSE;
	}
	if (rc == ROSTER_OK)
		rc = kind == ROSTER_KIND_USER
			     ? finish_user(al, (rs_user *)rec, why)
			     : finish_unit(al, (rs_unit *)rec, why);
	if (rc) {
		if (rc == ROSTER_ENOMEM)
			*why = "out of memory";
		rs_rec_release(al, rec, 1);
		return rc;
	}
	*out = rec;
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Outbox events                                                       */

enum event_tag {
	E_SEQ = 1,	 /* u64, required */
	E_TYPE = 32,	 /* u8, required */
	E_PARTNER = 33,	 /* u64 */
	E_ACCOUNT = 34,	 /* u64 */
	E_USER = 35,	 /* u64 */
	E_PBX = 36,	 /* u64 */
	E_ADMIN = 37,	 /* u8 0 or 1 */
	E_EMAIL = 38,	 /* text */
	E_WITHHELD = 39	 /* u8: 1 a secret, 2 a password was handed out */
};

void rs_event_key(char key[RS_KEY_SIZE], uint64_t seq)
{
	number_key(key, 'o', seq);
}

uint64_t rs_event_key_seq(const char *key)
{
	return key_number(key, 'o');
}

int rs_event_encode(const rs_alloc *al, const struct roster_event *e,
		    unsigned char **out, size_t *len)
{
	unsigned char b;
	wbuf w;

	memset(&w, 0, sizeof(w));
	w.al = al;
	put_u8(&w, RS_CODEC_FORMAT);
	put_u8(&w, RS_KIND_EVENT);
	put_u64_field(&w, E_SEQ, e->seq);
	b = (unsigned char)e->type;
	put_field(&w, E_TYPE, &b, 1, NULL);
	if (e->partner)
		put_u64_field(&w, E_PARTNER, e->partner);
	if (e->account)
		put_u64_field(&w, E_ACCOUNT, e->account);
	if (e->user)
		put_u64_field(&w, E_USER, e->user);
	if (e->pbx)
		put_u64_field(&w, E_PBX, e->pbx);
	if (e->admin)
		put_field(&w, E_ADMIN, "\1", 1, NULL);
	if (e->email)
		put_field(&w, E_EMAIL, NULL, 0, e->email);
	b = (unsigned char)((e->secret ? 1 : 0) | (e->password ? 2 : 0));
	if (b)
		put_field(&w, E_WITHHELD, &b, 1, NULL);
	if (w.failed) {
		rs_free(al, w.p);
		return ROSTER_ENOMEM;
	}
	*out = w.p;
	*len = w.len;
	return ROSTER_OK;
}

/* One field of an event; each may appear once. */
static int event_field(const rs_alloc *al, struct roster_event *e,
		       unsigned tag, const unsigned char *p, size_t n,
		       unsigned *seen, const char **why)
{
	unsigned bit;
	uint64_t *id = NULL;
	int *small = NULL, max = 0;

	switch (tag) {
	case E_SEQ: id = &e->seq; break;
	case E_PARTNER: id = &e->partner; break;
	case E_ACCOUNT: id = &e->account; break;
	case E_USER: id = &e->user; break;
	case E_PBX: id = &e->pbx; break;
	case E_TYPE: small = &e->type; max = 255; break;
	case E_ADMIN: small = &e->admin; max = 1; break;
	case E_WITHHELD: small = &e->withheld; max = 3; break;
	case E_EMAIL: break;
	default:
		return ROSTER_OK; /* a later format's field: skipped */
	}
	bit = 1u << (tag == E_SEQ ? 0 : tag - E_SEQ - 30);
	if (*seen & bit) {
		*why = "field repeated";
		return ROSTER_EPARSE;
	}
	*seen |= bit;
	if (tag == E_EMAIL)
		return get_text(al, p, n, &e->email, why);
	if ((id && n != 8) || (small && (n != 1 || p[0] > max))) {
		*why = "malformed event field";
		return ROSTER_EPARSE;
	}
	if (id)
		*id = rs_le64_get(p);
	else
		*small = p[0];
	return ROSTER_OK;
}

int rs_event_decode(const rs_alloc *al, const void *data, size_t len,
		    struct roster_event *e, const char **why)
{
	rbuf r = { data, len, 0 };
	unsigned seen = 0;
	int rc = ROSTER_OK;

	memset(e, 0, sizeof(*e));
	*why = NULL;
	if (!data || len < 2) {
		*why = "truncated";
		return ROSTER_EPARSE;
	}
	if (r.p[0] != RS_CODEC_FORMAT || r.p[1] != RS_KIND_EVENT) {
		*why = r.p[0] != RS_CODEC_FORMAT ? "unknown format"
						 : "not an event";
		return ROSTER_EPARSE;
	}
	r.pos = 2;
	while (rc == ROSTER_OK && r.pos < r.len) {
		unsigned tag = r.p[r.pos++];
		uint64_t n;

		if (get_varint(&r, &n) || n > r.len - r.pos) {
			*why = "truncated";
			rc = ROSTER_EPARSE;
			break;
		}
		rc = event_field(al, e, tag, r.p + r.pos, (size_t)n, &seen, why);
		r.pos += (size_t)n;
	}
	if (rc == ROSTER_OK && (!e->seq || !roster_event_type_name(e->type))) {
		*why = e->seq ? "unknown event type" : "sequence missing";
		rc = ROSTER_EPARSE;
	}
	if (rc) {
		if (rc == ROSTER_ENOMEM)
			*why = "out of memory";
		rs_free(al, e->email);
		memset(e, 0, sizeof(*e));
	}
	return rc;
}
