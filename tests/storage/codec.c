/*
 * codec.c: the stored form of records (docs/storage.md): round trips of
 * every kind, and hostile input (truncation at every length, flipped
 * bits, overlong varints, unknown formats) refused without a crash.
 * Links the static library to reach the internal codec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <crypt.h>
#include <nettle/sha2.h>

#include "catalog/internal.h"
#include "full_user.h"
#include "model.h"
#include "password.h"
#include "storage/codec.h"
#include "users.h"

static roster_directory *dir;
static roster_id ids[8];
static size_t nids;

static int setup(void **state)
{
	(void)state;
	dir = full_user_directory(ids);
	nids = FULL_USER_IDS;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	roster_directory_free(dir);
	return 0;
}

static void encode(roster_id id, unsigned char **buf, size_t *len)
{
	rs_rec *rec = rs_get(dir, id);

	assert_non_null(rec);
	assert_int_equal(rs_encode(&dir->al, rec, buf, len), 0);
}

static void test_round_trip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nids; i++) {
		unsigned char *a, *b;
		size_t la, lb;
		rs_rec *back;
		const char *why;

		encode(ids[i], &a, &la);
		assert_int_equal(rs_decode(&dir->al, a, la, &back, &why), 0);
		assert_int_equal(back->id, ids[i]);
		assert_int_equal(back->kind, rs_get(dir, ids[i])->kind);
		assert_int_equal(rs_encode(&dir->al, back, &b, &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		if (back->kind == ROSTER_KIND_USER) {
			const rs_user *o = (const rs_user *)rs_get(dir, ids[i]);
			const rs_user *u = (const rs_user *)back;
			int f;
			for (f = 1; f < ROSTER_FIELD_END; f++) {
				if (RS_STR(o, f))
					assert_string_equal(RS_STR(u, f), RS_STR(o, f));
				else
					assert_null(RS_STR(u, f));
				assert_int_equal(RS_FLAG(u, f), RS_FLAG(o, f));
			}
			for (f = ROSTER_FIELD_GROUP; f <= ROSTER_FIELD_PBX; f++)
				assert_int_equal(RS_REF(u, f), RS_REF(o, f));
			assert_int_equal(u->nlines, 2);
			assert_string_equal(RS_LINE(u, 1), "+420601000002");
			assert_string_equal(RS_EMAIL_KEY(u), "zoe@acme.example");
			assert_string_equal(RS_PASSWORD(u), RS_PASSWORD(o));
			assert_string_equal(RS_RESET(u), RS_RESET(o));
			assert_int_equal(RS_RESET_EXPIRES(u), RS_RESET_EXPIRES(o));
			assert_string_equal(RS_WELCOME(u), RS_WELCOME(o));
		} else {
			const rs_unit *o = (const rs_unit *)rs_get(dir, ids[i]);
			const rs_unit *n = (const rs_unit *)back;
			assert_string_equal(n->name, o->name);
			assert_string_equal(n->name_key, o->name_key);
			assert_int_equal(n->helpdesk, o->helpdesk);
			assert_int_equal(n->min_digits, o->min_digits);
			assert_int_equal(n->max_digits, o->max_digits);
			assert_non_null(n->members);
		}
		rs_rec_release(&dir->al, back, 1);
		rs_free(&dir->al, a);
		rs_free(&dir->al, b);
	}
}

/* What the model can hold, the store can give back: a user holding a
 * product licence of each of 3,000 products (a catalog may list that
 * many), an account that bought that many products and may use that many
 * licences, a site stocking that many packs. */
static void test_long_lists(void **state)
{
	enum { N = 3000 };
	const rs_unit *acc = NULL, *site = NULL;
	rs_stock *stock = rs_calloc(&dir->al, N, sizeof(*stock));
	char **names = rs_calloc(&dir->al, N, sizeof(*names));
	const rs_user *src = NULL;
	unsigned char *buf;
	rs_unit unit;
	rs_user *u;
	rs_rec *back;
	const char *why;
	size_t len, i, k;

	(void)state;
	assert_non_null(stock);
	assert_non_null(names);
	for (i = 0; i < nids; i++) {
		const rs_rec *r = rs_get(dir, ids[i]);
		if (r->kind == ROSTER_KIND_USER)
			src = (const rs_user *)r;
		else if (r->kind == ROSTER_KIND_ACCOUNT)
			acc = (const rs_unit *)r;
		else if (r->kind == ROSTER_KIND_SITE)
			site = (const rs_unit *)r;
	}
	assert_non_null(src);
	assert_non_null(acc);
	assert_non_null(site);
	for (i = 0; i < N; i++) {
		char s[16];
		snprintf(s, sizeof(s), "p%05zu", i);
		assert_non_null(names[i] = rs_strdup(&dir->al, s));
		stock[i].item = names[i];
		stock[i].purchased = (uint32_t)i + 1;
	}
	/* the user: its products replaced by the N */
	assert_int_equal(rs_user_copy(dir, src, &u), 0);
	for (i = 0; i < u->nproducts; i++)
		rs_free(&dir->al, RS_W(u)->products[i]);
	rs_free(&dir->al, RS_W(u)->products);
	assert_non_null(RS_W(u)->products =
				rs_calloc(&dir->al, N, sizeof(char *)));
	for (i = 0; i < N; i++)
		assert_non_null(RS_W(u)->products[i] =
					rs_strdup(&dir->al, names[i]));
	u->nproducts = N;
	assert_int_equal(rs_encode(&dir->al, &u->base, &buf, &len), 0);
	assert_int_equal(rs_decode(&dir->al, buf, len, &back, &why), 0);
	assert_int_equal(((rs_user *)back)->nproducts, N);
	for (i = 0; i < N; i++)
		assert_string_equal(RS_PRODUCT((rs_user *)back, i), names[i]);
	rs_rec_release(&dir->al, back, 1);
	rs_free(&dir->al, buf);
	rs_user_release(&dir->al, u);
	/* the account and the site: the same lists, not their own */
	for (k = 0; k < 2; k++) {
		unit = k ? *site : *acc;
		if (k) {
			unit.stock = stock;
			unit.nstock = N;
		} else {
			unit.bought = stock;
			unit.nbought = N;
			unit.licences = names;
			unit.nlicences = N;
		}
		assert_int_equal(rs_encode(&dir->al, &unit.base, &buf, &len),
				 0);
		assert_int_equal(rs_decode(&dir->al, buf, len, &back, &why),
				 0);
		if (k) {
			assert_int_equal(((rs_unit *)back)->nstock, N);
			assert_string_equal(((rs_unit *)back)->stock[N - 1].item,
					    names[N - 1]);
			assert_int_equal(((rs_unit *)back)->stock[N - 1].purchased,
					 N);
		} else {
			assert_int_equal(((rs_unit *)back)->nbought, N);
			assert_int_equal(((rs_unit *)back)->nlicences, N);
			assert_string_equal(((rs_unit *)back)->licences[N - 1],
					    names[N - 1]);
		}
		rs_rec_release(&dir->al, back, 1);
		rs_free(&dir->al, buf);
	}
	for (i = 0; i < N; i++)
		rs_free(&dir->al, names[i]);
	rs_free(&dir->al, names);
	rs_free(&dir->al, stock);
}

/* Does `needle` occur in buf[0..n)? */
static int holds(const unsigned char *buf, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(buf + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Random lower-case hex digits. */
static void random_hex(char *out, size_t n, unsigned *seed)
{
	size_t k;

	for (k = 0; k < n; k++) {
		*seed = *seed * 1103515245u + 12345u;
		out[k] = "0123456789abcdef"[(*seed >> 16) & 15];
	}
	out[n] = '\0';
}

/* A user keeps its token hashes in the short form; the store gets the
 * long one, "$sha256-128$" and hex, as docs/storage.md says, and an
 * earlier build's "$sha256$" and the whole digest is read as its first
 * 128 bits. */
static void test_token_hash_forms(void **state)
{
	const size_t p = sizeof(TOKEN_HASH_PREFIX) - 1;
	char stored[TOKEN_HASH_SIZE], kept[TOKEN_KEPT_SIZE], back[96],
		full[80];
	const rs_user *u = NULL;
	unsigned char *buf;
	size_t i, len;
	unsigned seed = 7;

	(void)state;
	for (i = 0; i < nids && !u; i++)
		if (rs_get(dir, ids[i])->kind == ROSTER_KIND_USER)
			u = (const rs_user *)rs_get(dir, ids[i]);
	assert_non_null(u);
	assert_int_equal(strlen(RS_RESET(u)), TOKEN_KEPT_SIZE - 1);
	assert_int_equal(RS_RESET(u)[0], '#');
	encode(u->base.id, &buf, &len);
	assert_int_equal(rs_token_hash_stored(RS_RESET(u), stored), 0);
	assert_int_equal(strncmp(stored, "$sha256-128$", 12), 0);
	assert_int_equal(strlen(stored), 12 + 32);
	assert_true(holds(buf, len, stored));
	assert_false(holds(buf, len, RS_RESET(u)));
	rs_free(&dir->al, buf);

	/* the two forms convert both ways, for any digest; an earlier
	 * build's whole digest comes in as its first half */
	for (i = 0; i < 200; i++) {
		memcpy(stored, TOKEN_HASH_PREFIX, p);
		random_hex(stored + p, 32, &seed);
		assert_int_equal(rs_token_hash_kept(stored, kept), 0);
		assert_int_equal(strlen(kept), TOKEN_KEPT_SIZE - 1);
		assert_int_equal(rs_token_hash_stored(kept, back), 0);
		assert_string_equal(back, stored);
		memcpy(full, "$sha256$", 8);
		memcpy(full + 8, stored + p, 32);
		random_hex(full + 40, 32, &seed);
		assert_int_equal(rs_token_hash_kept(full, back), 0);
		assert_string_equal(back, kept);
	}
	/* other forms are kept and stored as they are */
	assert_int_equal(rs_token_hash_kept("$sha256-128$ab", kept), -1);
	assert_int_equal(rs_token_hash_kept("$sha256$ab", kept), -1);
	for (i = 0; i < 2; i++) {
		const char *form = i ? full : stored;
		size_t at = i ? 10 : p + 2;
		strcpy(back, form);
		back[at] = 'A'; /* upper-case hex */
		assert_int_equal(rs_token_hash_kept(back, kept), -1);
		back[at] = 'g';
		assert_int_equal(rs_token_hash_kept(back, kept), -1);
		back[at] = '\xe1'; /* a byte above 127 (a negative char) */
		assert_int_equal(rs_token_hash_kept(back, kept), -1);
		strcpy(back, form);
		strcat(back, "0");
		assert_int_equal(rs_token_hash_kept(back, kept), -1);
		/* the whole digest is checked, not only the half kept */
		strcpy(back, form);
		back[strlen(back) - 1] = 'x';
		assert_int_equal(rs_token_hash_kept(back, kept), -1);
	}
	/* the short form's digits after a full digest's prefix, and the
	 * reverse, are no form */
	memcpy(back, "$sha256$", 8);
	strcpy(back + 8, stored + p);
	assert_int_equal(rs_token_hash_kept(back, kept), -1);
	memcpy(back, TOKEN_HASH_PREFIX, p);
	strcpy(back + p, full + 8);
	assert_int_equal(rs_token_hash_kept(back, kept), -1);
	assert_int_equal(rs_token_hash_kept("$y$j9T$salt$hash", kept), -1);
	assert_int_equal(rs_token_hash_kept(stored, kept), 0);
	strcpy(back, kept);
	back[5] = '+'; /* not base64url */
	assert_int_equal(rs_token_hash_stored(back, stored), -1);
	back[5] = '=';
	assert_int_equal(rs_token_hash_stored(back, stored), -1);
	back[5] = '\xc1';
	assert_int_equal(rs_token_hash_stored(back, stored), -1);
	back[5] = kept[5];
	back[22] = 'B'; /* the last digit's four spare bits set */
	if (kept[22] != 'B')
		assert_int_equal(rs_token_hash_stored(back, stored), -1);
	back[22] = '\0';
	assert_int_equal(rs_token_hash_stored(back, stored), -1);
	assert_int_equal(rs_token_hash_stored("$sha256-128$00", stored), -1);
}

/* A token checks against either form; a hash of another length (a
 * store may hold anything) never matches and is read no further than
 * its end. */
static void test_token_verify(void **state)
{
	char *kept = NULL, stored[TOKEN_HASH_SIZE], *shortened;
	const char *secret = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";

	(void)state;
	assert_int_equal(rs_token_hash(dir, secret, &kept), 0);
	assert_int_equal(rs_token_verify(dir, kept, secret), 1);
	assert_int_equal(rs_token_verify(dir, kept, "another secret"), 0);
	assert_int_equal(rs_token_hash_stored(kept, stored), 0);
	assert_int_equal(rs_token_verify(dir, stored, secret), 1);
	assert_int_equal(rs_token_verify(dir, stored, "another secret"), 0);
	assert_int_equal(rs_token_verify(dir, NULL, secret), 0);
	/* cut short, in blocks of their own size so that ASan sees any
	 * read past the end */
	shortened = strndup(kept, 20);
	assert_int_equal(rs_token_verify(dir, shortened, secret), 0);
	free(shortened);
	shortened = strndup(stored, 20);
	assert_int_equal(rs_token_verify(dir, shortened, secret), 0);
	free(shortened);
	assert_int_equal(rs_token_verify(dir, "#", secret), 0);
	assert_int_equal(rs_token_verify(dir, "$sha256$", secret), 0);
	assert_int_equal(rs_token_verify(dir, "$sha256-128$", secret), 0);
	/* an earlier build's whole digest redeems the token it sent, and
	 * not with a digit of its first half (the half kept) wrong; the
	 * other half is checked for its form alone (test above) */
	{
		struct sha256_ctx ctx;
		uint8_t d[SHA256_DIGEST_SIZE];
		char full[80];
		size_t i;

		sha256_init(&ctx);
		sha256_update(&ctx, strlen(secret), (const uint8_t *)secret);
		sha256_digest(&ctx, SHA256_DIGEST_SIZE, d);
		memcpy(full, "$sha256$", 8);
		for (i = 0; i < SHA256_DIGEST_SIZE; i++)
			snprintf(full + 8 + 2 * i, 3, "%02x", d[i]);
		assert_int_equal(rs_token_verify(dir, full, secret), 1);
		assert_int_equal(rs_token_verify(dir, full, "another"), 0);
		full[8] = full[8] == '0' ? '1' : '0';
		assert_int_equal(rs_token_verify(dir, full, secret), 0);
	}
	rs_free(&dir->al, kept);
}

static void test_truncated_everywhere(void **state)
{
	size_t i, cut, refused = 0;

	(void)state;
	for (i = 0; i < nids; i++) {
		unsigned char *a;
		size_t la;

		encode(ids[i], &a, &la);
		for (cut = 0; cut < la; cut++) {
			rs_rec *back = NULL;
			const char *why = NULL;
			/* a copy of exactly `cut` bytes, so that the sanitizer
			 * sees any read past it */
			unsigned char *copy = malloc(cut ? cut : 1);
			int rc;

			memcpy(copy, a, cut);
			rc = rs_decode(&dir->al, copy, cut, &back, &why);
			if (rc == ROSTER_OK) {
				/* a cut between two optional fields is a
				 * well-formed shorter record */
				rs_rec_release(&dir->al, back, 1);
			} else {
				assert_int_equal(rc, ROSTER_EPARSE);
				assert_non_null(why);
				assert_null(back);
				refused++;
			}
			free(copy);
		}
		rs_free(&dir->al, a);
	}
	assert_true(refused > 100);
}

static void test_flipped_bits(void **state)
{
	static const unsigned char masks[] = { 0x01, 0x80, 0xFF, 0x40 };
	size_t i, pos, m, decoded = 0;

	(void)state;
	for (i = 0; i < nids; i++) {
		unsigned char *a;
		size_t la;

		encode(ids[i], &a, &la);
		for (pos = 0; pos < la; pos++)
			for (m = 0; m < sizeof(masks); m++) {
				rs_rec *back = NULL;
				const char *why = NULL;
				unsigned char *copy = malloc(la);

				memcpy(copy, a, la);
				copy[pos] ^= masks[m];
				if (rs_decode(&dir->al, copy, la, &back, &why) ==
				    ROSTER_OK) {
					unsigned char *b;
					size_t lb;
					decoded++;
					assert_int_equal(rs_encode(&dir->al, back,
								   &b, &lb), 0);
					rs_free(&dir->al, b);
					rs_rec_release(&dir->al, back, 1);
				} else {
					assert_non_null(why);
				}
				free(copy);
			}
		rs_free(&dir->al, a);
	}
	assert_true(decoded > 0);
}

static void test_malformed(void **state)
{
	static const unsigned char future[] = { 2, 1 };
	static const unsigned char badkind[] = { 1, 9 };
	/* an overlong varint length */
	static const unsigned char varint[] = { 1, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF,
						0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
						0x7F };
	/* a partner with id 0 */
	static const unsigned char zero[] = { 1, 1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0,
					      2, 8, 0, 0, 0, 0, 0, 0, 0, 0,
					      3, 1, 'P' };
	/* a name with a NUL inside */
	static const unsigned char nul[] = { 1, 1, 1, 8, 5, 0, 0, 0, 0, 0, 0, 0,
					     2, 8, 0, 0, 0, 0, 0, 0, 0, 0,
					     3, 3, 'P', 0, 'Q' };
	/* a partner with an unknown field 99 after its name: skipped */
	static const unsigned char later[] = { 1, 1, 1, 8, 5, 0, 0, 0, 0, 0, 0, 0,
					       2, 8, 0, 0, 0, 0, 0, 0, 0, 0,
					       3, 1, 'P', 99, 2, 'x', 'y' };
	/* a site with helpdesk twice, a user field on a site */
	static const unsigned char twice[] = { 1, 3, 1, 8, 5, 0, 0, 0, 0, 0, 0, 0,
					       2, 8, 4, 0, 0, 0, 0, 0, 0, 0,
					       3, 1, 'S', 4, 1, 1, 4, 1, 0 };
	static const unsigned char wrong[] = { 1, 3, 1, 8, 5, 0, 0, 0, 0, 0, 0, 0,
					       2, 8, 4, 0, 0, 0, 0, 0, 0, 0,
					       3, 1, 'S', 17, 2, 25, 1 };
	/* a site with 1 station of "basic", then 0, then one past the most
	 * a site may have (1,000,001), then 2^32 - 1 */
#define SITE_STOCK(b0, b1, b2, b3)                                             \
	{ 1, 3, 1, 8, 5, 0, 0, 0, 0, 0, 0, 0, 2, 8, 4, 0, 0, 0, 0, 0, 0, 0,     \
	  3, 1, 'S', 8, 9, b0, b1, b2, b3, 'b', 'a', 's', 'i', 'c' }
	static const unsigned char stock[][36] = {
		SITE_STOCK(1, 0, 0, 0), SITE_STOCK(0, 0, 0, 0),
		SITE_STOCK(0x41, 0x42, 0x0F, 0), SITE_STOCK(0xFF, 0xFF, 0xFF, 0xFF)
	};
#undef SITE_STOCK
	rs_rec *rec = NULL;
	const char *why;
	size_t i;

	(void)state;
	assert_int_equal(rs_decode(&dir->al, stock[0], sizeof(stock[0]), &rec,
				   &why), 0);
	assert_int_equal(((rs_unit *)rec)->nstock, 1);
	assert_int_equal(((rs_unit *)rec)->stock[0].purchased, 1);
	rs_rec_release(&dir->al, rec, 1);
	for (i = 1; i < 4; i++) {
		assert_int_equal(rs_decode(&dir->al, stock[i], sizeof(stock[i]),
					   &rec, &why),
				 ROSTER_EPARSE);
		assert_string_equal(why, "count purchased out of range");
	}
	assert_int_equal(rs_decode(&dir->al, twice, sizeof(twice), &rec, &why),
			 ROSTER_EPARSE);
	assert_string_equal(why, "field repeated");
	assert_int_equal(rs_decode(&dir->al, wrong, sizeof(wrong), &rec, &why),
			 ROSTER_EPARSE);
	assert_string_equal(why, "field of another kind");
	assert_int_equal(rs_decode(&dir->al, future, 2, &rec, &why), ROSTER_EPARSE);
	assert_string_equal(why, "unknown format");
	assert_int_equal(rs_decode(&dir->al, badkind, 2, &rec, &why), ROSTER_EPARSE);
	assert_string_equal(why, "unknown kind");
	assert_int_equal(rs_decode(&dir->al, varint, sizeof(varint), &rec, &why),
			 ROSTER_EPARSE);
	assert_int_equal(rs_decode(&dir->al, zero, sizeof(zero), &rec, &why),
			 ROSTER_EPARSE);
	assert_string_equal(why, "identifier missing");
	assert_int_equal(rs_decode(&dir->al, nul, sizeof(nul), &rec, &why),
			 ROSTER_EPARSE);
	assert_int_equal(rs_decode(&dir->al, NULL, 0, &rec, &why), ROSTER_EPARSE);
	assert_int_equal(rs_decode(&dir->al, later, sizeof(later), &rec, &why), 0);
	assert_int_equal(rec->id, 5);
	assert_string_equal(((rs_unit *)rec)->name, "P");
	rs_rec_release(&dir->al, rec, 1);
}

/* Encode the first user with a password; returns where its hash ("$y$")
 * is in the record. */
static unsigned char *encode_password_user(unsigned char **buf, size_t *len)
{
	unsigned char *at;
	size_t i;

	for (i = 0; i < nids; i++)
		if (rs_get(dir, ids[i])->kind == ROSTER_KIND_USER &&
		    RS_PASSWORD((const rs_user *)rs_get(dir, ids[i])))
			break;
	assert_true(i < nids);
	encode(ids[i], buf, len);
	at = memmem(*buf, *len, "$y$", 3);
	assert_non_null(at);
	return at;
}

/* A stored password hash is roster's yescrypt ($y$) and nothing else. */
static void test_password_method(void **state)
{
	unsigned char *buf, *at;
	rs_rec *rec = NULL;
	const char *why = NULL;
	size_t len;

	(void)state;
	at = encode_password_user(&buf, &len);
	assert_int_equal(rs_decode(&dir->al, buf, len, &rec, &why), 0);
	rs_rec_release(&dir->al, rec, 1);
	rec = NULL;
	at[1] = '6'; /* SHA-crypt, a method roster does not write */
	assert_int_equal(rs_decode(&dir->al, buf, len, &rec, &why),
			 ROSTER_EPARSE);
	assert_string_equal(why, "password hash not yescrypt");
	assert_null(rec);
	rs_free(&dir->al, buf);
}

/* The yescrypt parameters crypt_gensalt gives for `cost`, e.g. "j9T". */
static void params_of(unsigned cost, char out[4])
{
	static const char rbytes[16] = "0123456789abcdef";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	assert_non_null(crypt_gensalt_rn("$y$", cost, rbytes, sizeof(rbytes),
					 setting, sizeof(setting)));
	assert_memory_equal(setting, "$y$", 3);
	assert_int_equal(setting[6], '$');
	memcpy(out, setting + 3, 3);
	out[3] = '\0';
}

/* A stored hash (a password, a token of an earlier build) is checked at
 * the cost it names, so one naming a cost no policy sets (up to 11) is
 * refused: "jJT" took a minute a login, higher ones hours. */
static void test_hash_cost(void **state)
{
	static const char *const tokens[] = {
		"$y$jJT$abcdefghijklmnopqrstuv$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
		"$2b$31$abcdefghijklmnopqrstuvabcdefghijklmnopqrstuvwxyzABCDE",
		"$6$rounds=999999999$salt$hash",
		"$sha256$00"
	};
	unsigned char *buf, *at, *b2;
	rs_rec *rec = NULL;
	rs_user *u;
	const char *why = NULL;
	char params[4], legacy[96];
	size_t i, len, l2;
	unsigned cost;

	(void)state;
	at = encode_password_user(&buf, &len);
	/* every cost a policy sets is read */
	for (cost = 1; cost <= 11; cost++) {
		params_of(cost, params);
		memcpy(at + 3, params, 3);
		assert_int_equal(rs_decode(&dir->al, buf, len, &rec, &why), 0);
		rs_rec_release(&dir->al, rec, 1);
		rec = NULL;
	}
	memcpy(at + 3, "jJT", 3);
	assert_int_equal(rs_decode(&dir->al, buf, len, &rec, &why),
			 ROSTER_EPARSE);
	assert_string_equal(why, "password hash cost unknown");
	assert_null(rec);
	memcpy(at + 3, "j75", 3);

	/* a reset token hashed by an earlier build: yescrypt at a cost a
	 * policy sets, nothing else */
	assert_int_equal(rs_decode(&dir->al, buf, len, &rec, &why), 0);
	u = (rs_user *)rec;
	for (cost = 1; cost <= 11; cost++) {
		params_of(cost, params);
		snprintf(legacy, sizeof(legacy), "$y$%s$%s$%s", params,
			 "abcdefghijklmnopqrstuv",
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ");
		rs_user_set(&dir->al, u, RS_S_RESET, rs_strdup(&dir->al, legacy));
		assert_int_equal(rs_encode(&dir->al, rec, &b2, &l2), 0);
		assert_non_null(memmem(b2, l2, legacy, strlen(legacy)));
		rs_rec_release(&dir->al, rec, 1);
		rec = NULL;
		assert_int_equal(rs_decode(&dir->al, b2, l2, &rec, &why), 0);
		assert_string_equal(RS_RESET((rs_user *)rec), legacy);
		u = (rs_user *)rec;
		rs_free(&dir->al, b2);
	}
	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		rs_rec *back = NULL;

		rs_user_set(&dir->al, u, RS_S_RESET, rs_strdup(&dir->al, tokens[i]));
		assert_int_equal(rs_encode(&dir->al, rec, &b2, &l2), 0);
		assert_int_equal(rs_decode(&dir->al, b2, l2, &back, &why),
				 ROSTER_EPARSE);
		assert_string_equal(why, "token hash not one roster writes");
		assert_null(back);
		rs_free(&dir->al, b2);
	}
	rs_rec_release(&dir->al, rec, 1);
	rs_free(&dir->al, buf);
}

/* A refresh checks the users it reads against the default catalog, as
 * open does, taking a reference to it: one it gives back. */
static void test_refresh_catalog_refs(void **state)
{
	roster_directory_options o;
	roster_memstore *ms = NULL;
	roster_directory *d = NULL;
	roster_actor sys = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	roster_form *f = NULL;
	roster_catalog *cat;
	roster_id p, a, u;
	size_t refs;
	int i;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_memstore_methods();
	o.store = ms;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	assert_int_equal(roster_partner_create(&p, d, &sys, "P"), 0);
	assert_int_equal(roster_account_create(&a, d, &sys, p, "A"), 0);
	assert_int_equal(roster_form_new(&f, d), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Jana");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Nova");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "jana@acme.example");
	roster_form_set_str(f, ROSTER_FIELD_LANGUAGE, "cs-CZ");
	assert_int_equal(roster_user_create(&u, d, &sys, a, f), 0);
	roster_form_free(f);
	cat = roster_directory_catalog(d); /* a reference of ours */
	assert_non_null(cat);
	refs = atomic_load(&cat->refs);
	for (i = 0; i < 3; i++)
		assert_int_equal(roster_directory_refresh(d), 0);
	assert_int_equal(atomic_load(&cat->refs), refs);
	roster_catalog_free(cat);
	roster_directory_free(d);
	roster_memstore_free(ms);
}

static void test_keys(void **state)
{
	char key[RS_KEY_SIZE];

	(void)state;
	rs_record_key(key, 0x1234abcdULL);
	assert_string_equal(key, "r/000000001234abcd");
	assert_int_equal(rs_record_key_id(key), 0x1234abcdULL);
	assert_int_equal(rs_record_key_id("r/000000001234abcG"), 0);
	assert_int_equal(rs_record_key_id("r/1234"), 0);
	assert_int_equal(rs_record_key_id("x/000000001234abcd"), 0);
}

/* The keys are what "%016llx" writes, for any number. */
static void test_keys_any_number(void **state)
{
	char key[RS_KEY_SIZE], want[RS_KEY_SIZE];
	uint64_t v = 0x9E3779B97F4A7C15ULL;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		uint64_t n = i == 0 ? 0 : i == 1 ? UINT64_MAX : v >> (i % 64);

		v = v * 6364136223846793005ULL + 1442695040888963407ULL;
		rs_record_key(key, n);
		snprintf(want, sizeof(want), "r/%016llx", (unsigned long long)n);
		assert_string_equal(key, want);
		assert_true(rs_record_key_id(key) == n);
		rs_event_key(key, n);
		want[0] = 'o';
		assert_string_equal(key, want);
		assert_true(rs_event_key_seq(key) == n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_keys_any_number),
		cmocka_unit_test(test_long_lists),
		cmocka_unit_test(test_token_hash_forms),
		cmocka_unit_test(test_token_verify),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_refresh_catalog_refs),
		cmocka_unit_test(test_password_method),
		cmocka_unit_test(test_hash_cost),
	};

	return cmocka_run_group_tests_name("storage/codec", tests, setup, teardown);
}
