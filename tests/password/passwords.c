/* passwords.c: policy, hashing, login, reset and welcome tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static int setup(void **state)
{
	*state = world_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	world_free(*state);
	return 0;
}

static void test_policy(void **state)
{
	world *w = *state;
	roster_password_policy p, q;
	roster_password_policy init = ROSTER_PASSWORD_POLICY_INIT;

	assert_int_equal(roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION), 0);
	assert_memory_equal(&p, &init, sizeof(p));
	assert_int_equal(roster_password_policy_init(&p, 0), ROSTER_EVERSION);
	assert_int_equal(roster_password_policy_init(&p, 1), 0);
	p.min_length = 4;
	assert_int_equal(roster_directory_set_password_policy(w->dir, &p), ROSTER_EINVAL);
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)), "min_length");
	assert_string_equal(roster_error_rule(roster_directory_error(w->dir)), "policy.range");
	p.min_length = 10;
	p.hash_cost = 12;
	assert_int_equal(roster_directory_set_password_policy(w->dir, &p), ROSTER_EINVAL);
	assert_string_equal(roster_error_field(roster_directory_error(w->dir)), "hash_cost");
	/* refused policies change nothing */
	q.version = 1;
	assert_int_equal(roster_directory_get_password_policy(w->dir, &q), 0);
	assert_int_equal(q.min_length, 8);
	assert_int_equal(q.hash_cost, 1);
	p.hash_cost = 1;
	p.required_classes = ROSTER_CLASS_DIGIT | ROSTER_CLASS_SYMBOL;
	assert_int_equal(roster_directory_set_password_policy(w->dir, &p), 0);

	assert_int_equal(roster_password_check(w->dir, "short1!"), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "password.length");
	assert_string_equal(roster_error_message(roster_directory_error(w->dir)),
			    "the password must have at least 10 characters");
	/* too long: its own rule, naming the maximum */
	p.max_length = 16;
	assert_int_equal(roster_directory_set_password_policy(w->dir, &p), 0);
	assert_int_equal(roster_password_check(w->dir, "seventeen-chars-1"),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "password.long");
	assert_string_equal(roster_error_message(roster_directory_error(w->dir)),
			    "the password must have at most 16 characters");
	{
		char fr[ROSTER_ERROR_MESSAGE_MAX];

		assert_int_equal(roster_error_message_in(
					 roster_directory_error(w->dir),
					 ROSTER_LANG_FR, fr, sizeof(fr)),
				 0);
		assert_string_equal(fr, "le mot de passe doit avoir au plus 16 "
					"caractères");
	}
	assert_int_equal(roster_password_check(w->dir, "sixteen-chars-1!"),
			 ROSTER_OK);
	p.max_length = init.max_length;
	assert_int_equal(roster_directory_set_password_policy(w->dir, &p), 0);
	assert_int_equal(roster_password_check(w->dir, "longenoughbutplain"), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "password.classes");
	assert_int_equal(roster_password_check(w->dir, "\xFF\xFEinvalid-utf8-1"), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "password.utf8");
	assert_int_equal(roster_password_check(w->dir, "tab\there1!x"), ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "text.control");
	/* length counts characters, not bytes */
	assert_int_equal(roster_password_check(w->dir, "žluťoučký1!"), ROSTER_OK);
	assert_int_equal(roster_password_check(w->dir, "ééééé1!"), ROSTER_EINVALID);
	/* far too long, in valid UTF-8 whose characters do not end on a
	 * round number of bytes: refused for its length, not as invalid */
	{
		static char pw[3 * 2000 + 3];
		size_t i;

		for (i = 0; i < 2000; i++)
			memcpy(pw + 3 * i, "\xE2\x82\xAC", 3); /* the euro sign */
		memcpy(pw + 3 * 2000, "1!", 3);
		assert_int_equal(roster_password_check(w->dir, pw),
				 ROSTER_EINVALID);
		assert_err(w, ROSTER_EINVALID, "password.long");
	}
}

static void test_generate(void **state)
{
	world *w = *state;
	char a[64], b[64], small[8];

	assert_int_equal(roster_password_generate(w->dir, a, sizeof(a)), 0);
	assert_int_equal(roster_password_generate(w->dir, b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 12);
	assert_string_not_equal(a, b);
	assert_int_equal(roster_password_check(w->dir, a), 0);
	assert_int_equal(roster_password_generate(w->dir, small, sizeof(small)),
			 ROSTER_EINVAL);
	assert_int_equal(roster_password_generate(w->dir, NULL, 64), ROSTER_EINVAL);
}

static roster_id make_user(world *w, const char *email, const char *pw, int gen)
{
	roster_form *f = NULL;
	roster_id id = 0;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Pat"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Word"), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, email), 0);
	if (pw)
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PASSWORD, pw), 0);
	if (gen)
		assert_int_equal(roster_form_generate_password(f), 0);
	assert_int_equal(roster_user_create(&id, w->dir, &w->as_admin, w->account, f), 0);
	roster_form_free(f);
	return id;
}

static void test_login(void **state)
{
	world *w = *state;
	roster_id id = make_user(w, "pat@acme.example", "correct horse", 0), who;
	roster_id gen;
	char pw[300];
	roster_user *u;

	assert_int_equal(roster_login(&who, w->dir, "PAT@acme.example", "correct horse"), 0);
	assert_int_equal(who, id);
	assert_int_equal(roster_login(&who, w->dir, "pat@acme.example", "correct horsE"),
			 ROSTER_EAUTH);
	assert_int_equal(who, 0);
	assert_err(w, ROSTER_EAUTH, "login.failed");
	assert_int_equal(roster_login(&who, w->dir, "nobody@acme.example", "x"), ROSTER_EAUTH);
	/* users without a password cannot log in */
	assert_int_equal(roster_login(&who, w->dir, "ada@acme.example", ""), ROSTER_EAUTH);
	/* the plaintext is not kept anywhere a snapshot shows */
	assert_int_equal(roster_user_get(&u, w->dir, id), 0);
	assert_null(roster_user_str(u, ROSTER_FIELD_PASSWORD));
	assert_int_equal(roster_user_has_password(u), 1);
	roster_user_free(u);
	/* the welcome event carries no chosen password */
	assert_string_equal(world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->password, "");

	/* a generated password reaches the host once, in the welcome event */
	gen = make_user(w, "gen@acme.example", NULL, 1);
	snprintf(pw, sizeof(pw), "%s", world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->password);
	assert_int_equal(strlen(pw), 12);
	assert_int_equal(roster_login(&who, w->dir, "gen@acme.example", pw), 0);
	assert_int_equal(who, gen);

	/* a refused password changes nothing */
	{
		roster_form *f = NULL;
		assert_int_equal(roster_form_new(&f, w->dir), 0);
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PASSWORD, "short"), 0);
		assert_int_equal(roster_user_update(w->dir, &w->as_admin, gen, f),
				 ROSTER_EINVALID);
		assert_err(w, ROSTER_EINVALID, "password.length");
		assert_int_equal(roster_login(&who, w->dir, "gen@acme.example", pw), 0);
		/* the user changes their own password */
		roster_actor self = actor_of(ROSTER_ACTOR_USER, gen);
		assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PASSWORD,
						     "my own secret"), 0);
		world_events_clear(w);
		assert_int_equal(roster_user_update(w->dir, &self, gen, f), 0);
		assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_CHANGED), 1);
		assert_int_equal(roster_login(&who, w->dir, "gen@acme.example", pw),
				 ROSTER_EAUTH);
		assert_int_equal(roster_login(&who, w->dir, "gen@acme.example",
					      "my own secret"), 0);
		roster_form_free(f);
	}
}

/*
 * Passwords are hashed and compared in NFKC: "é" typed composed or
 * decomposed, or a full-width letter, is one password, and the policy
 * counts the characters of that form (core/user_record: a hash made
 * before, of the password as typed).
 */
static void test_login_normalised(void **state)
{
	world *w = *state;
	/* "Pétanque à Sète" decomposed: e + U+0301, a + U+0300 */
	static const char nfd[] = "Pe\xCC\x81tanque a\xCC\x80 Se\xCC\x80te";
	static const char nfc[] = "P\xC3\xA9tanque \xC3\xA0 S\xC3\xA8te";
	/* full-width "ＣＯＲＲＥＣＴ horse" and its plain letters */
	static const char wide[] = "\xEF\xBC\xA3\xEF\xBC\xAF\xEF\xBC\xB2"
				   "\xEF\xBC\xB2\xEF\xBC\xA5\xEF\xBC\xA3"
				   "\xEF\xBC\xB4 horse";
	/* 7 characters in NFC, under the world's 8; 10 code points
	 * decomposed */
	static const char short_nfd[] = "e\xCC\x81" "e\xCC\x81" "e\xCC\x81"
					"abcd";
	roster_id a = make_user(w, "nfd@acme.example", nfd, 0);
	roster_id b = make_user(w, "wide@acme.example", wide, 0), who;
	roster_form *f = NULL;

	assert_int_equal(roster_login(&who, w->dir, "nfd@acme.example", nfc), 0);
	assert_int_equal(who, a);
	assert_int_equal(roster_login(&who, w->dir, "nfd@acme.example", nfd), 0);
	assert_int_equal(roster_login(&who, w->dir, "nfd@acme.example",
				      "Petanque a Sete"), ROSTER_EAUTH);
	assert_int_equal(roster_login(&who, w->dir, "wide@acme.example",
				      "CORRECT horse"), 0);
	assert_int_equal(who, b);
	assert_int_equal(roster_login(&who, w->dir, "wide@acme.example",
				      "correct horse"), ROSTER_EAUTH);
	/* bytes that are not UTF-8 are compared as they are, and fail */
	assert_int_equal(roster_login(&who, w->dir, "nfd@acme.example",
				      "\xFF\xFE"), ROSTER_EAUTH);
	/* the policy counts the characters as kept */
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PASSWORD,
					     short_nfd),
			 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, a, f),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "password.length");
	assert_int_equal(roster_password_check(w->dir, short_nfd),
			 ROSTER_EINVALID);
	/* and the maximum too: the default policy's maximum in "é" typed
	 * decomposed is twice as many code points, and passes */
	{
		roster_password_policy pol;
		char *many;
		size_t i, n;

		roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION);
		assert_int_equal(roster_directory_get_password_policy(w->dir,
								       &pol),
				 0);
		n = pol.max_length;
		assert_non_null(many = malloc(3 * (n + 1) + 1));
		for (i = 0; i < n; i++)
			memcpy(many + 3 * i, "e\xCC\x81", 3);
		many[3 * n] = '\0';
		assert_int_equal(roster_password_check(w->dir, many), ROSTER_OK);
		memcpy(many + 3 * n, "e\xCC\x81", 4);
		assert_int_equal(roster_password_check(w->dir, many),
				 ROSTER_EINVALID);
		assert_err(w, ROSTER_EINVALID, "password.long");
		free(many);
		/* and the minimum: three "ﬃ" and "Ab" are 5 typed, 11 kept */
		assert_int_equal(roster_password_check(w->dir,
						       "\xEF\xAC\x83\xEF\xAC\x83"
						       "\xEF\xAC\x83" "Ab"),
				 ROSTER_OK);
	}
	roster_form_free(f);
	assert_int_equal(roster_login(&who, w->dir, "nfd@acme.example", nfc), 0);
}

/* The largest block the directory asks its allocator for. */
static size_t largest;

static void *big_malloc(size_t n, void *data)
{
	(void)data;
	if (n > largest)
		largest = n;
	return malloc(n);
}

static void *big_realloc(void *p, size_t n, void *data)
{
	(void)data;
	if (n > largest)
		largest = n;
	return realloc(p, n);
}

static void big_free(void *p, void *data)
{
	(void)data;
	free(p);
}

/*
 * A password longer than any chosen one (4096 bytes) is not normalised
 * at login: NFKC orders a run of combining marks in a time that grows as
 * its square (120,000 bytes of them took 16 s), which anyone could ask
 * of a login. Seen by the allocator: its normal form, 4 bytes a code
 * point, is never made.
 */
static void test_long_password_not_normalised(void **state)
{
	roster_directory_options o;
	world *w;
	char *pw = malloc(40001);
	roster_id who = 1;
	size_t i;

	(void)state;
	assert_non_null(pw);
	for (i = 0; i < 20000; i += 2)
		memcpy(pw + i, "\xCD\x85", 2); /* U+0345, class 240 */
	for (; i < 40000; i += 2)
		memcpy(pw + i, "\xCC\x96", 2); /* U+0316, class 220 */
	pw[40000] = '\0';
	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.malloc_fn = big_malloc;
	o.realloc_fn = big_realloc;
	o.free_fn = big_free;
	w = world_new(&o);
	make_user(w, "long@acme.example", "a fine password", 0);
	largest = 0;
	assert_int_equal(roster_login(&who, w->dir, "nobody@acme.example", pw),
			 ROSTER_EAUTH);
	assert_int_equal(roster_login(&who, w->dir, "long@acme.example", pw),
			 ROSTER_EAUTH);
	assert_int_equal(who, 0);
	if (largest >= 64 * 1024)
		fail_msg("a block of %zu bytes for a password of 40,000",
			 largest);
	world_free(w);
	free(pw);
}

static int64_t world_clock(void *data)
{
	return ((world *)data)->now;
}

/* A token goes through the store: a handle opened on it afterwards (its
 * users read back from their stored form) redeems it. */
static void test_token_through_store(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options o;
	roster_directory *b = NULL;
	roster_password_policy pol;
	roster_id id = 0, who = 0;
	char token[128];
	world *w;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	o = memstore_options(ms);
	w = world_new(&o);
	assert_int_equal(world_user(w, &w->as_admin, w->account, "Via", "Store",
				    "via.store@acme.example", 0, &id), 0);
	snprintf(token, sizeof(token), "%s",
		 world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->secret);
	/* the second handle on the world's clock and password policy */
	o.clock_fn = world_clock;
	o.clock_data = w;
	assert_int_equal(roster_directory_open(&b, &o), 0);
	roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION);
	pol.hash_cost = 1;
	pol.min_length = 8;
	assert_int_equal(roster_directory_set_password_policy(b, &pol), 0);
	assert_int_equal(roster_token_redeem(&who, b, token, "x"),
			 ROSTER_EINVALID); /* the password, not the token */
	assert_int_equal(roster_token_redeem(&who, b, token, "activated!!"), 0);
	assert_int_equal(who, id);
	/* used up, for the first handle too once it reads the store */
	assert_int_equal(roster_directory_refresh(w->dir), 0);
	assert_int_equal(roster_token_redeem(&who, w->dir, token,
					     "activated!!"),
			 ROSTER_EEXPIRED);
	roster_directory_free(b);
	world_free(w);
	roster_memstore_free(ms);
}

static void test_welcome_activation(void **state)
{
	world *w = *state;
	roster_id id = make_user(w, "new@acme.example", NULL, 0), who;
	char token[128], token2[128];
	roster_user *u;

	snprintf(token, sizeof(token), "%s", world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->secret);
	/* a bad password leaves the token usable */
	assert_int_equal(roster_token_redeem(&who, w->dir, token, "short"), ROSTER_EINVALID);
	world_events_clear(w);
	assert_int_equal(roster_token_redeem(&who, w->dir, token, "activated!!"), 0);
	assert_int_equal(who, id);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_REGISTERED), 1);
	assert_int_equal(roster_user_get(&u, w->dir, id), 0);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_REGISTERED), 1);
	roster_user_free(u);
	assert_int_equal(roster_login(&who, w->dir, "new@acme.example", "activated!!"), 0);
	/* single use */
	assert_int_equal(roster_token_redeem(&who, w->dir, token, "again again"),
			 ROSTER_EEXPIRED);
	assert_err(w, ROSTER_EEXPIRED, "token.invalid");

	/* resend: a fresh token supersedes the old one; expiry is enforced */
	id = make_user(w, "late@acme.example", NULL, 0);
	snprintf(token, sizeof(token), "%s", world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->secret);
	world_events_clear(w);
	assert_int_equal(roster_welcome_send(w->dir, &w->as_admin, w->account, &id, 1), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 1);
	snprintf(token2, sizeof(token2), "%s", world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->secret);
	assert_string_not_equal(token, token2);
	assert_int_equal(roster_token_redeem(&who, w->dir, token, "activated!!"),
			 ROSTER_EEXPIRED);
	w->now += 7 * 86400;
	assert_int_equal(roster_token_redeem(&who, w->dir, token2, "activated!!"),
			 ROSTER_EEXPIRED);
	/* a clock at the end of time does not overflow the expiry */
	w->now = INT64_MAX - 5;
	assert_int_equal(roster_welcome_send(w->dir, &w->as_admin, w->account, &id, 1), 0);
	snprintf(token2, sizeof(token2), "%s", world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->secret);
	assert_int_equal(roster_token_redeem(&who, w->dir, token2, "activated!!"), 0);
	/* malformed tokens */
	assert_int_equal(roster_token_redeem(&who, w->dir, "", "activated!!"), ROSTER_EEXPIRED);
	assert_int_equal(roster_token_redeem(&who, w->dir, "12.abc", "activated!!"),
			 ROSTER_EEXPIRED);
	assert_int_equal(roster_token_redeem(&who, w->dir,
					     "99999999999999999999999.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					     "activated!!"), ROSTER_EEXPIRED);
}

static void test_reset(void **state)
{
	world *w = *state;
	roster_id a = make_user(w, "a@acme.example", "first password", 0);
	roster_id b = make_user(w, "b@acme.example", "first password", 0), who;
	roster_actor as_a = actor_of(ROSTER_ACTOR_USER, a);
	roster_id both[2] = { a, b };
	char tok[128];

	/* all users of the account: the admin, a and b */
	world_events_clear(w);
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account, NULL, 0), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 3);
	/* selected users */
	world_events_clear(w);
	assert_int_equal(roster_password_reset(w->dir, &w->as_partner, w->account, both, 2), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 2);
	snprintf(tok, sizeof(tok), "%s", w->events[0].secret);
	assert_int_equal(w->events[0].user, a);
	assert_int_equal(roster_token_redeem(&who, w->dir, tok, "second password"), 0);
	assert_int_equal(roster_login(&who, w->dir, "a@acme.example", "second password"), 0);
	assert_int_equal(roster_token_redeem(&who, w->dir, tok, "third password"),
			 ROSTER_EEXPIRED);
	/* each user once, in the order first listed, however far apart the
	 * repeats are */
	{
		roster_id sel[7] = { b, a, b, w->admin, a, b, w->admin };

		world_events_clear(w);
		assert_int_equal(roster_welcome_send(w->dir, &w->as_admin,
						     w->account, sel, 7), 0);
		assert_int_equal(w->nevents, 3);
		assert_int_equal(w->events[0].user, b);
		assert_int_equal(w->events[1].user, a);
		assert_int_equal(w->events[2].user, w->admin);
		/* one that is no user, after repeats: refused, nothing sent */
		world_events_clear(w);
		sel[6] = w->group;
		assert_int_equal(roster_password_reset(w->dir, &w->as_admin,
						       w->account, sel, 7),
				 ROSTER_ENOTFOUND);
		assert_int_equal(w->nevents, 0);
	}
	/* a user may reset their own password, not another's */
	world_events_clear(w);
	assert_int_equal(roster_password_reset(w->dir, &as_a, w->account, &a, 1), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 1);
	world_events_clear(w);
	/* listed twice: still their own, one e-mail */
	{
		roster_id self_twice[2] = { a, a };

		assert_int_equal(roster_password_reset(w->dir, &as_a, w->account,
						       self_twice, 2), 0);
		assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 1);
		world_events_clear(w);
		/* not for every user of the account, nor as a welcome */
		assert_int_equal(roster_password_reset(w->dir, &as_a, w->account,
						       NULL, 0), ROSTER_EDENIED);
		assert_int_equal(roster_welcome_send(w->dir, &as_a, w->account,
						     &a, 1), ROSTER_EDENIED);
		assert_int_equal(w->nevents, 0);
	}
	assert_int_equal(roster_password_reset(w->dir, &as_a, w->account, &b, 1), ROSTER_EDENIED);
	assert_int_equal(roster_password_reset(w->dir, &as_a, w->account, both, 2), ROSTER_EDENIED);
	/* all or nothing: one user of another account spoils the batch */
	both[1] = w->other_admin;
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account, both, 2),
			 ROSTER_EDENIED);
	assert_err(w, ROSTER_EDENIED, "auth.scope");
	assert_int_equal(w->nevents, 0);
	/* an actor that may manage that user's account too is told why:
	 * the user is not of this account, not that the actor may not act */
	assert_int_equal(roster_password_reset(w->dir, &w->system, w->account,
					       both, 2),
			 ROSTER_EINVALID);
	assert_err(w, ROSTER_EINVALID, "user.account");
	{
		roster_id acc2, c;
		assert_int_equal(roster_account_create(&acc2, w->dir,
						       &w->as_partner,
						       w->partner, "Second"),
				 0);
		assert_int_equal(world_user(w, &w->as_partner, acc2, "C",
					    "Two", "c@second.example", 0, &c),
				 0);
		world_events_clear(w);
		both[1] = c;
		assert_int_equal(roster_welcome_send(w->dir, &w->as_partner,
						     w->account, both, 2),
				 ROSTER_EINVALID);
		assert_err(w, ROSTER_EINVALID, "user.account");
		/* an admin of the account reaches no further than it */
		assert_int_equal(roster_password_reset(w->dir, &w->as_admin,
						       w->account, both, 2),
				 ROSTER_EDENIED);
		assert_err(w, ROSTER_EDENIED, "auth.scope");
	}
	assert_int_equal(w->nevents, 0);
	/* reset tokens expire after a day */
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account, &b, 1), 0);
	snprintf(tok, sizeof(tok), "%s", world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
	w->now += 86400;
	assert_int_equal(roster_token_redeem(&who, w->dir, tok, "second password"),
			 ROSTER_EEXPIRED);
}

static void test_links_voided(void **state)
{
	world *w = *state;
	roster_id a = make_user(w, "v@acme.example", "first password", 0), who;
	roster_id twice[2];
	roster_form *f = NULL;
	char tok[128];

	/* a reset link outlives the login sent back with blanks, or
	 * spelt in capitals: the same login */
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account, &a, 1), 0);
	snprintf(tok, sizeof(tok), "%s", world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, " v@acme.example "), 0);
	world_events_clear(w);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, a, f), 0);
	assert_int_equal(w->nevents, 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, "V@Acme.example"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, a, f), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 1);
	assert_int_equal(roster_token_redeem(&who, w->dir, tok, "second password"), 0);
	assert_int_equal(who, a);
	/* a reset link stops working once the login changes */
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account, &a, 1), 0);
	snprintf(tok, sizeof(tok), "%s", world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_EMAIL, "v2@acme.example"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, a, f), 0);
	assert_int_equal(roster_token_redeem(&who, w->dir, tok, "attacker chosen"),
			 ROSTER_EEXPIRED);
	/* ... or the password changes */
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account, &a, 1), 0);
	snprintf(tok, sizeof(tok), "%s", world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
	roster_form_clear(f);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_PASSWORD, "admin chosen"), 0);
	assert_int_equal(roster_user_update(w->dir, &w->as_admin, a, f), 0);
	assert_int_equal(roster_token_redeem(&who, w->dir, tok, "attacker chosen"),
			 ROSTER_EEXPIRED);
	roster_form_free(f);
	/* a user listed twice gets one e-mail, and its link works */
	twice[0] = twice[1] = a;
	world_events_clear(w);
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account, twice, 2), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 1);
	snprintf(tok, sizeof(tok), "%s", world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
	assert_int_equal(roster_token_redeem(&who, w->dir, tok, "third password"), 0);
	/* a password set through a reset link voids the welcome link too
	 * (whoever holds the welcome e-mail cannot replace it), and the
	 * user is registered by either */
	{
		roster_id n = make_user(w, "new@acme.example", NULL, 0);
		char welcome[128], reset[128];
		roster_user *got = NULL;

		snprintf(welcome, sizeof(welcome), "%s",
			 world_last(w, ROSTER_EVENT_WELCOME_EMAIL)->secret);
		assert_int_equal(roster_password_reset(w->dir, &w->as_admin,
						       w->account, &n, 1), 0);
		snprintf(reset, sizeof(reset), "%s",
			 world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
		assert_int_equal(roster_token_redeem(&who, w->dir, reset,
						     "users own pw"), 0);
		assert_int_equal(roster_token_redeem(&who, w->dir, welcome,
						     "attacker pw!"),
				 ROSTER_EEXPIRED);
		assert_int_equal(roster_login(&who, w->dir, "new@acme.example",
					      "users own pw"), 0);
		assert_int_equal(roster_user_get(&got, w->dir, n), 0);
		assert_true(roster_user_bool(got, ROSTER_FIELD_REGISTERED));
		roster_user_free(got);
	}
	/* passwords with invisible or line-breaking characters are refused */
	assert_int_equal(roster_password_check(w->dir, "next\xC2\x85line pass"), ROSTER_EINVALID);
	assert_int_equal(roster_password_check(w->dir, "bidi\xE2\x80\xAEpassword"), ROSTER_EINVALID);
}

/* The secret of a fresh reset link for user u. */
static void reset_secret(world *w, roster_id u, char *out, size_t size)
{
	world_events_clear(w);
	assert_int_equal(roster_password_reset(w->dir, &w->as_admin, w->account,
					       &u, 1),
			 0);
	snprintf(out, size, "%s",
		 world_last(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
}

/* Tokens draw from a page of random bytes; a process forked from the
 * portal must not draw the same bytes as its parent. */
static void test_tokens_after_fork(void **state)
{
	world *w = *state;
	roster_id a = make_user(w, "a@acme.example", "first password", 0);
	char parent[128], child[128] = "", seen[128];
	int fd[2], status;
	ssize_t n;
	pid_t pid;

	/* the page is drawn, and partly handed out, before the fork */
	reset_secret(w, a, seen, sizeof(seen));
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char mine[128];
		reset_secret(w, a, mine, sizeof(mine));
		n = write(fd[1], mine, strlen(mine) + 1);
		_exit(n > 0 ? 0 : 1);
	}
	close(fd[1]);
	reset_secret(w, a, parent, sizeof(parent));
	n = read(fd[0], child, sizeof(child) - 1);
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(n > 0);
	assert_string_not_equal(parent, child);
	assert_string_not_equal(seen, child);
	assert_string_not_equal(seen, parent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_normalised, setup,
						teardown),
		cmocka_unit_test(test_long_password_not_normalised),
		cmocka_unit_test_setup_teardown(test_welcome_activation, setup, teardown),
		cmocka_unit_test(test_token_through_store),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_voided, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_after_fork, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("password/passwords", tests, NULL, NULL);
}
