/*
 * user_record.c: a user version in memory (src/user_record.c): published
 * users are one block holding every string, working copies made from them
 * hold the same values in blocks of their own, and a large transaction
 * gives its buffers back once over. Links the static library to reach
 * the records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fields.h"
#include "full_user.h"
#include "model.h"
#include "password.h"
#include "txn.h"
#include "users.h"

static roster_directory *dir;
static roster_id user;

static int setup(void **state)
{
	roster_id ids[FULL_USER_IDS];

	(void)state;
	dir = full_user_directory(ids);
	user = ids[FULL_USER_IDS - 1];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	roster_directory_free(dir);
	return 0;
}

static void same_str(const char *a, const char *b)
{
	if (a)
		assert_string_equal(a, b);
	else
		assert_null(b);
}

static void same_user(const rs_user *a, const rs_user *b)
{
	size_t i;

	assert_int_equal(a->base.id, b->base.id);
	assert_int_equal(a->base.parent, b->base.parent);
	assert_int_equal(a->flags, b->flags);
	for (i = ROSTER_FIELD_GROUP; i <= ROSTER_FIELD_PBX; i++)
		assert_int_equal(RS_REF(a, i), RS_REF(b, i));
	assert_int_equal(a->nlines, b->nlines);
	assert_int_equal(a->nproducts, b->nproducts);
	/* every string: fields, keys, hashes, lines, products */
	for (i = 0; i < RS_S_END + a->nlines + a->nproducts; i++)
		if (i != RS_S_WORDS)
			same_str(rs_user_s(a, i), rs_user_s(b, i));
	/* empty words are no string in a packed user */
	assert_string_equal(rs_user_words(a), rs_user_words(b));
	assert_int_equal(RS_WELCOME_EXPIRES(a), RS_WELCOME_EXPIRES(b));
	assert_int_equal(RS_RESET_EXPIRES(a), RS_RESET_EXPIRES(b));
}

/* Is `p` inside the strings of the block [u, u + size), which start
 * `at` bytes after u? */
static int inside(const rs_user *u, size_t at, size_t size, const char *p)
{
	return p >= (const char *)u + at &&
	       p + strlen(p) < (const char *)u + size;
}

/* The published version is one block: the record, a 16-bit offset for
 * each string it holds (none for the fields it lacks), then the
 * strings. */
static void test_published_is_one_block(void **state)
{
	const rs_user *u = (const rs_user *)rs_get(dir, user);
	size_t n, at, size, i, held = 0;

	(void)state;
	assert_non_null(u);
	assert_int_equal(u->packed, 1);
	n = RS_S_END + u->nlines + u->nproducts;
	for (i = 0; i < RS_S_END; i++) {
		/* `present` says which fixed strings it holds, each by its
		 * bit */
		unsigned b = rs_string_bit[i];
		assert_int_equal(b && ((u->present >> (b - 1)) & 1),
				 rs_user_s(u, i) != NULL);
		held += rs_user_s(u, i) != NULL;
	}
	assert_true(held < RS_S_END);
	/* the values it has (this user every one: three references and
	 * both deadlines), 8 bytes each after the header, then the
	 * offsets */
	assert_int_equal(u->opt, (1u << RS_O_END) - 1);
	for (i = 0; i < RS_O_END; i++)
		assert_true(rs_user_opt(u, (int)i) != 0);
	at = sizeof(*u) + 8 * RS_O_END +
	     (held + u->nlines + u->nproducts) * sizeof(uint16_t);
	size = at;
	for (i = 0; i < n; i++)
		if (rs_user_s(u, i))
			size += strlen(rs_user_s(u, i)) + 1;
	for (i = 0; i < n; i++)
		if (rs_user_s(u, i))
			assert_true(inside(u, at, size, rs_user_s(u, i)));
	assert_non_null(RS_EMAIL_KEY(u));
	assert_non_null(RS_WORDS(u));
	assert_non_null(RS_SORTKEY(u));
	assert_non_null(RS_PASSWORD(u));
	assert_non_null(RS_WELCOME(u));
	assert_non_null(RS_RESET(u));
	assert_null(RS_STR(u, ROSTER_FIELD_PHONE));
	assert_string_equal(RS_STR(u, ROSTER_FIELD_FIRST_NAME), "Zoë");
	assert_string_equal(RS_LINE(u, 1), "+420601000002");
	/* the block ends with the last string */
	assert_true(RS_RESET(u) + strlen(RS_RESET(u)) + 1 <=
		    (const char *)u + size);
}

/* A block too large for 16-bit offsets has offsets of 32 bits; values
 * read the same either way. */
static void test_wide_block(void **state)
{
	rs_user *w = rs_user_new(&dir->al), *p = NULL, *q = NULL;
	size_t i, len = 30000;

	(void)state;
	assert_non_null(w);
	w->base.kind = ROSTER_KIND_USER;
	for (i = ROSTER_FIELD_FIRST_NAME; i <= ROSTER_FIELD_DISPLAY_NAME; i++) {
		char *s = malloc(len + 1);
		assert_non_null(s);
		memset(s, (int)('a' + i), len);
		s[len] = '\0';
		rs_user_set(&dir->al, w, i, rs_strdup(&dir->al, s));
		free(s);
	}
	rs_user_set(&dir->al, w, RS_S_SORTKEY, rs_strdup(&dir->al, "key"));
	assert_int_equal(rs_user_pack(&dir->al, w, &p), 0);
	assert_int_equal(p->packed, 2);
	same_user(w, p);
	assert_int_equal(strlen(RS_STR(p, ROSTER_FIELD_DISPLAY_NAME)), len);
	assert_string_equal(RS_SORTKEY(p), "key");
	/* a copy of the wide block, packed again, is the same */
	rs_user_release(&dir->al, w);
	assert_int_equal(rs_user_copy(dir, p, &w), 0);
	assert_int_equal(rs_user_pack(&dir->al, w, &q), 0);
	assert_int_equal(q->packed, 2);
	same_user(p, q);
	rs_user_release(&dir->al, w);
	rs_user_release(&dir->al, p);
	rs_user_release(&dir->al, q);
}

/* The login key is the first string of a packed user, just past its
 * offsets, so that a lookup by login reads it beside the header. */
static void assert_key_first(const rs_user *u)
{
	size_t held = rs_popcount32(u->present) + u->nlines + u->nproducts;
	size_t first = sizeof(rs_user) + 8 * rs_popcount32(u->opt) +
		       held * (u->packed == 1 ? sizeof(uint16_t)
					      : sizeof(uint32_t));

	assert_true(u->packed != 0);
	assert_ptr_equal(RS_EMAIL_KEY(u), (const char *)u + first);
}

/* A working copy holds its own strings (changing one leaves the
 * published version alone); packing it again gives the same values. */
static void test_copy_and_pack(void **state)
{
	const rs_user *pub = (const rs_user *)rs_get(dir, user);
	rs_user *w = NULL, *p = NULL, *q = NULL;

	(void)state;
	assert_int_equal(rs_user_copy(dir, pub, &w), 0);
	assert_int_equal(w->packed, 0);
	same_user(pub, w);
	assert_ptr_not_equal(RS_STR(w, ROSTER_FIELD_FIRST_NAME),
			     RS_STR(pub, ROSTER_FIELD_FIRST_NAME));
	RS_W(w)->s[ROSTER_FIELD_FIRST_NAME][0] = 'X';
	assert_string_equal(RS_STR(pub, ROSTER_FIELD_FIRST_NAME), "Zoë");
	RS_W(w)->s[ROSTER_FIELD_FIRST_NAME][0] = 'Z';

	assert_int_equal(rs_user_pack(&dir->al, w, &p), 0);
	assert_int_equal(p->packed, 1);
	same_user(w, p);
	/* packing a packed version copies the block */
	assert_int_equal(rs_user_pack(&dir->al, p, &q), 0);
	same_user(pub, q);
	rs_user_release(&dir->al, w);
	rs_user_release(&dir->al, p);
	rs_user_release(&dir->al, q);

	/* publishable: a working copy is replaced by its packed form */
	assert_int_equal(rs_user_copy(dir, pub, &w), 0);
	assert_int_equal(rs_user_publishable(dir, &w), 0);
	assert_int_equal(w->packed, 1);
	same_user(pub, w);
	p = w;
	assert_int_equal(rs_user_publishable(dir, &w), 0);
	assert_ptr_equal(w, p); /* already packed: no change */
	rs_user_release(&dir->al, w);

	/* each subset of the values it may lack: those it has come after
	 * the header in order, the others read 0, the strings as before */
	{
		unsigned mask, i;

		for (mask = 0; mask < 1u << RS_O_END; mask++) {
			assert_int_equal(rs_user_copy(dir, pub, &w), 0);
			for (i = 0; i < RS_O_END; i++)
				if (!((mask >> i) & 1))
					RS_W(w)->opt[i] = 0;
			assert_int_equal(rs_user_pack(&dir->al, w, &p), 0);
			assert_int_equal(p->opt, mask);
			for (i = 0; i < RS_O_END; i++)
				assert_int_equal(rs_user_opt(p, (int)i),
						 (mask >> i) & 1
							 ? rs_user_opt(pub, (int)i)
							 : 0);
			same_user(w, p);
			assert_key_first(p);
			rs_user_release(&dir->al, w);
			rs_user_release(&dir->al, p);
		}
	}

	/* empty search words: no string packed, "" read; a copy has them,
	 * computed, as "" */
	assert_int_equal(rs_user_copy(dir, pub, &w), 0);
	rs_user_set(&dir->al, w, RS_S_WORDS, strdup(""));
	assert_int_equal(rs_user_pack(&dir->al, w, &p), 0);
	assert_null(RS_WORDS(p));
	assert_string_equal(rs_user_words(p), "");
	assert_int_equal(rs_popcount32(p->present),
			 rs_popcount32(pub->present) - 1);
	assert_int_equal(rs_user_copy(dir, p, &q), 0);
	assert_non_null(RS_WORDS(q));
	assert_string_equal(RS_WORDS(q), "");
	rs_user_release(&dir->al, w);
	rs_user_release(&dir->al, p);
	rs_user_release(&dir->al, q);
}


/* A login typed in lower case is its own key: the published version keeps
 * it once; a working copy has a key of its own, and packing shares again. */
static void test_lower_case_login_kept_once(void **state)
{
	const rs_user *pub = (const rs_user *)rs_get(dir, user), *lower;
	roster_form *f = NULL;
	roster_actor sys;
	roster_id id;
	rs_user *w = NULL, *p = NULL;

	(void)state;
	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	assert_int_equal(roster_form_new(&f, dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Jan"),
			 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Novák"),
			 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL,
					     "jan.novak@acme.example"),
			 0);
	assert_int_equal(roster_user_create(&id, dir, &sys, pub->base.parent, f),
			 0);
	roster_form_free(f);
	lower = (const rs_user *)rs_get(dir, id);
	assert_ptr_equal(RS_EMAIL_KEY(lower), RS_STR(lower, ROSTER_FIELD_EMAIL));
	assert_key_first(lower);
	assert_key_first(pub);
	/* mixed case: a key of its own */
	assert_ptr_not_equal(RS_EMAIL_KEY(pub), RS_STR(pub, ROSTER_FIELD_EMAIL));
	assert_string_equal(RS_EMAIL_KEY(pub), "zoe@acme.example");

	assert_int_equal(rs_user_copy(dir, lower, &w), 0);
	assert_ptr_not_equal(RS_EMAIL_KEY(w), RS_STR(w, ROSTER_FIELD_EMAIL));
	same_user(lower, w);
	assert_int_equal(rs_user_pack(&dir->al, w, &p), 0);
	assert_ptr_equal(RS_EMAIL_KEY(p), RS_STR(p, ROSTER_FIELD_EMAIL));
	assert_key_first(p);
	same_user(lower, p);
	rs_user_release(&dir->al, w);
	rs_user_release(&dir->al, p);
	assert_int_equal(roster_user_find_login(&id, dir, "Jan.Novak@ACME.example"),
			 0);
	assert_int_equal(id, lower->base.id);
	assert_int_equal(roster_user_delete(dir, &sys, id), 0);
}

/* ------------------------------------------------------------------ */
/* A large transaction gives its buffers back                          */

#define BIG (300 * 1024)

static size_t big_live; /* live blocks of BIG bytes or more */

typedef union head {
	size_t size;
	max_align_t align;
} head;

static void *t_malloc(size_t size, void *data)
{
	head *h = malloc(sizeof(head) + size);

	(void)data;
	if (!h)
		return NULL;
	h->size = size;
	big_live += size >= BIG;
	return h + 1;
}

static void t_free(void *p, void *data)
{
	head *h = p ? (head *)p - 1 : NULL;

	(void)data;
	if (!h)
		return;
	big_live -= h->size >= BIG;
	free(h);
}

static void *t_realloc(void *p, size_t size, void *data)
{
	head *h = p ? (head *)p - 1 : NULL, *n;
	size_t old = h ? h->size : 0;

	(void)data;
	if (!(n = realloc(h, sizeof(head) + size)))
		return NULL;
	big_live -= old >= BIG;
	big_live += size >= BIG;
	n->size = size;
	return n + 1;
}

static void test_large_transaction_trimmed(void **state)
{
	roster_directory_options o;
	roster_directory *d;
	roster_actor sys;
	roster_id partner, account, id;
	roster_form *f = NULL;
	char email[64];
	int i, end;

	(void)state;
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.malloc_fn = t_malloc;
	o.realloc_fn = t_realloc;
	o.free_fn = t_free;
	assert_int_equal(roster_directory_open(&d, &o), 0);
	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	assert_int_equal(roster_partner_create(&partner, d, &sys, "P"), 0);
	assert_int_equal(roster_account_create(&account, d, &sys, partner, "A"), 0);
	/* committed, then rolled back: both end the transaction */
	for (end = 0; end < 2; end++) {
		assert_int_equal(roster_transaction_begin(d), 0);
		for (i = 0; i < 3000; i++) {
			assert_int_equal(roster_form_new(&f, d), 0);
			snprintf(email, sizeof(email), "u%d.%d@acme.example", end, i);
			roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Anna");
			roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Nováková");
			roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
			assert_int_equal(roster_user_create(&id, d, &sys, account, f), 0);
			roster_form_free(f);
		}
		/* the undo log of 3,000 creations is well above BIG */
		assert_true(big_live > 0);
		if (end == 0)
			assert_int_equal(roster_transaction_commit(d), 0);
		else
			assert_int_equal(roster_transaction_rollback(d), 0);
		assert_int_equal(big_live, 0);
	}
	roster_directory_free(d);
	assert_int_equal(big_live, 0);
}

/* Every string field and RS_S_* string has a bit of `present`, in their
 * order and without a gap; no other field has one; a user's header is
 * as small as its members allow. */
static void test_string_bits(void **state)
{
	size_t i, next = 1;

	(void)state;
	assert_int_equal(rs_string_bit[0], 0);
	for (i = 1; i < RS_S_END; i++) {
		int string = i >= ROSTER_FIELD_END ||
			     rs_field((int)i)->type == ROSTER_TYPE_STRING;
		if (!string) {
			assert_int_equal(rs_string_bit[i], 0);
			continue;
		}
		assert_int_equal(rs_string_bit[i], next);
		next++;
	}
	assert_int_equal(next - 1, RS_STRINGS_HELD);
	assert_int_equal(sizeof(rs_rec), 32);
	assert_int_equal(sizeof(rs_user), 48);
}

/* A user whose tokens are voided (a new password voids the links sent
 * out) keeps no deadline for them: 0 without a token, as a store gives
 * it back, and none of the 16 bytes after its header. */
static void test_voided_tokens_keep_no_deadline(void **state)
{
	const rs_user *u = (const rs_user *)rs_get(dir, user);
	roster_actor sys;
	roster_form *f = NULL;

	(void)state;
	assert_non_null(RS_WELCOME(u));
	assert_non_null(RS_RESET(u));
	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	assert_int_equal(roster_form_new(&f, dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PASSWORD,
					     "Another-Secret-42!"),
			 0);
	assert_int_equal(roster_user_update(dir, &sys, user, f), 0);
	roster_form_free(f);
	u = (const rs_user *)rs_get(dir, user);
	assert_null(RS_WELCOME(u));
	assert_null(RS_RESET(u));
	assert_int_equal(RS_WELCOME_EXPIRES(u), 0);
	assert_int_equal(RS_RESET_EXPIRES(u), 0);
	assert_int_equal(u->opt & (1u << RS_O_RESET | 1u << RS_O_WELCOME), 0);
}

/*
 * A password hashed as it was typed, before passwords were hashed in
 * NFKC (a store of then): it still lets the user in, typed the same way.
 */
static void test_password_hashed_as_typed(void **state)
{
	static const char nfd[] = "Pe\xCC\x81tanque a\xCC\x80 Se\xCC\x80te";
	static const char nfc[] = "P\xC3\xA9tanque \xC3\xA0 S\xC3\xA8te";
	const rs_user *cur = (const rs_user *)rs_get(dir, user);
	const char *email = RS_STR(cur, ROSTER_FIELD_EMAIL);
	char *login = NULL;
	roster_id who;
	rs_user *u;
	rs_op op;
	int rc;

	(void)state;
	assert_non_null(login = strdup(email));
	rs_op_begin(dir, &op);
	rc = rs_user_copy(dir, cur, &u);
	if (!rc) {
		rs_user_set(&dir->al, u, RS_S_PASSWORD, NULL);
		rc = rs_password_hash(dir, nfd, dir->policy.hash_cost,
				      &RS_W(u)->s[RS_S_PASSWORD]);
		if (rc)
			rs_rec_free(dir, &u->base, 0);
		else
			rc = rs_user_replace(dir, u);
	}
	assert_int_equal(rs_op_end(dir, &op, rc), 0);
	assert_int_equal(roster_login(&who, dir, login, nfd), 0);
	assert_int_equal(who, user);
	/* composed, it is another password to that hash */
	assert_int_equal(roster_login(&who, dir, login, nfc), ROSTER_EAUTH);
	free(login);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_is_one_block),
		cmocka_unit_test(test_wide_block),
		cmocka_unit_test(test_copy_and_pack),
		cmocka_unit_test(test_lower_case_login_kept_once),
		cmocka_unit_test(test_large_transaction_trimmed),
		cmocka_unit_test(test_string_bits),
		cmocka_unit_test(test_voided_tokens_keep_no_deadline),
		cmocka_unit_test(test_password_hashed_as_typed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
