/*
 * token.c: login, password reset and welcome e-mails, and redeeming the
 * one-time tokens those e-mails carry.
 */
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "policy.h"
#include "txn.h"
#include "users.h"
#include "util/text.h"
#include "validate.h"

_Static_assert(TOKEN_KEPT_SIZE <= RS_LINK_SIZE,
	       "an e-mail event holds its link's kept hash");

struct login_probe {
	const char *key;
	const rs_user *user; /* the match, so it is not looked up twice */
};

/* The logins hold the users' addresses (model.h). */
static int match_login(void *ctx, uint64_t addr)
{
	struct login_probe *c = ctx;
	const rs_user *u = (const rs_user *)(uintptr_t)addr;

	/* the key, the first string, is mostly on the line after the
	 * header's, whose offsets tell where: both fetched at once (about
	 * 30 of 650 ns a lookup among a million users) */
	__builtin_prefetch((const char *)u + 64);
	if (strcmp(RS_EMAIL_KEY(u), c->key) != 0)
		return 0;
	c->user = u;
	return 1;
}

/* The user whose login is `email`, NULL when none. Only the key is
 * built: the address as typed is of no use to a lookup. */
static const rs_user *find_login(const roster_directory *dir, const char *email)
{
	char key[256];
	struct login_probe c;
	size_t len;

	if (rs_email_key(email, key, &len))
		return NULL;
	c.key = key;
	c.user = NULL;
	rs_keyset_find(&dir->emails, rs_hash(key, len, dir->seed), match_login,
		      &c);
	return c.user;
}

int roster_user_find_login(roster_id *out, roster_directory *dir,
			   const char *email)
{
	const rs_user *u;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out || !email)
		return rs_fail(dir, ROSTER_EINVAL, out ? "email" : "out",
			       "arg.null", NULL);
	*out = 0;
	if (!(u = find_login(dir, email)))
		return rs_fail(dir, ROSTER_ENOTFOUND, "email", "record.notfound",
			       email);
	*out = u->base.id;
	return ROSTER_OK;
}

/* Hash `pw` for nothing but the time it takes. */
static void spend_hash(roster_directory *dir, const char *pw)
{
	char *dummy = NULL;

	rs_password_hash(dir, pw, dir->policy.hash_cost, &dummy);
	rs_free_secret(&dir->al, dummy);
}

int roster_login(roster_id *user_out, roster_directory *dir, const char *email,
		 const char *password)
{
	const rs_user *u;
	char *form = NULL;
	int rc, ok, as_typed;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!user_out || !email || !password)
		return rs_fail(dir, ROSTER_EINVAL,
			       !user_out ? "user_out" : !email ? "email" : "password",
			       "arg.null", NULL);
	*user_out = 0;
	/* compared in the form passwords are hashed in (NFKC), then, when
	 * that differs, as typed: a password set before passwords were
	 * normalised was hashed so. Bytes that are not UTF-8, and a
	 * password longer than any chosen (RS_PASSWORD_BYTES_MAX), are
	 * tried as they are. */
	if (strnlen(password, RS_PASSWORD_BYTES_MAX) < RS_PASSWORD_BYTES_MAX &&
	    rs_text_nfkc(&dir->al, password, &form) == -1)
		return rs_nomem(dir);
	as_typed = form && strcmp(form, password) != 0;
	u = find_login(dir, email);
	if (!u || !RS_PASSWORD(u)) {
		/* spend the time a real check takes, a hash for each form
		 * it would try: no timing oracle for which logins exist */
		spend_hash(dir, form ? form : password);
		if (as_typed)
			spend_hash(dir, password);
		rs_free_secret(&dir->al, form);
		return rs_fail(dir, ROSTER_EAUTH, NULL, "login.failed", NULL);
	}
	ok = rs_password_verify(dir, RS_PASSWORD(u), form ? form : password);
	if (ok == 0 && as_typed)
		ok = rs_password_verify(dir, RS_PASSWORD(u), password);
	rs_free_secret(&dir->al, form);
	if (ok < 0)
		return rs_nomem(dir);
	if (!ok)
		return rs_fail(dir, ROSTER_EAUTH, NULL, "login.failed", NULL);
	*user_out = u->base.id;
	return ROSTER_OK;
}

/* Issue a fresh token of `kind` for one user and queue its e-mail. */
static int issue(roster_directory *dir, const rs_user *cur, int welcome)
{
	rs_user *u;
	char *token = NULL, *hash = NULL;
	/* a password generated at creation in this transaction, which the
	 * welcome this one voids was to carry */
	const char *pw = welcome ? rs_event_password(dir, cur) : NULL;
	int rc;

	if ((rc = rs_user_copy(dir, cur, &u)))
		return rc;
	if ((rc = rs_token_new(dir, u->base.id, &token, &hash))) {
		rs_rec_free(dir, &u->base, 0);
		return rc;
	}
	rs_user_set(&dir->al, u, welcome ? RS_S_WELCOME : RS_S_RESET, hash);
	*(welcome ? &RS_WELCOME_EXPIRES_W(u) : &RS_RESET_EXPIRES_W(u)) =
		(uint64_t)rs_deadline(dir, welcome ? dir->policy.welcome_ttl
						   : dir->policy.reset_ttl);
	rc = rs_event(dir,
		      welcome ? ROSTER_EVENT_WELCOME_EMAIL
			      : ROSTER_EVENT_PASSWORD_RESET_EMAIL,
		      u->base.parent, u->base.id, RS_STR(u, ROSTER_FIELD_EMAIL),
		      token, pw, 0);
	rs_free_secret(&dir->al, token);
	if (rc) {
		rs_rec_free(dir, &u->base, 0);
		return rs_nomem(dir);
	}
	rs_event_link(dir, hash, pw ? RS_PASSWORD(u) : NULL);
	return rs_user_replace(dir, u);
}

/* Does the selection name `id` and no one else? */
static int only(const roster_id *users, size_t count, roster_id id)
{
	size_t i;

	for (i = 0; users && i < count; i++)
		if (users[i] != id)
			return 0;
	return users && count;
}

typedef struct id_at {
	roster_id id;
	size_t at;
} id_at;

static int cmp_id_at(const void *a, const void *b)
{
	const id_at *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* first[i] = 1 when users[i] is not listed before i: one sort of the
 * selection, where comparing each entry with those before it took time
 * growing with the square of the selection. NULL when memory is short. */
static unsigned char *first_listed(roster_directory *dir,
				   const roster_id *users, size_t count)
{
	id_at *s = rs_calloc(&dir->al, count, sizeof(*s));
	unsigned char *first = rs_calloc(&dir->al, count, 1);
	size_t i;

	if (!s || !first) {
		rs_free(&dir->al, s);
		rs_free(&dir->al, first);
		return NULL;
	}
	for (i = 0; i < count; i++) {
		s[i].id = users[i];
		s[i].at = i;
	}
	qsort(s, count, sizeof(*s), cmp_id_at);
	for (i = 0; i < count; i++)
		first[s[i].at] = i == 0 || s[i - 1].id != s[i].id;
	rs_free(&dir->al, s);
	return first;
}

static int issue_all(roster_directory *dir, const roster_actor *actor,
		     roster_id account, const roster_id *users, size_t count,
		     int welcome)
{
	rs_who who;
	rs_rec *acc;
	const rs_idvec *all;
	unsigned char *first = NULL;
	size_t i, n;
	int rc;

	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!users && count)
		return rs_fail(dir, ROSTER_EINVAL, "users", "arg.null", NULL);
	if (!(acc = rs_get_kind(dir, account, ROSTER_KIND_ACCOUNT)))
		return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
				  "record.notfound", account);
	/* managers act on any user of the account; a user may ask a reset
	 * of their own password (listed once or more) and nothing more */
	if (!(!welcome && who.kind == ROSTER_ACTOR_USER &&
	      who.account == account && only(users, count, who.id)) &&
	    (rc = rs_authz_account(dir, &who, account, RS_MANAGE_USERS)))
		return rc;
	/* a user listed twice gets one e-mail, whose link works */
	if (users && count && !(first = first_listed(dir, users, count)))
		return rs_nomem(dir);
	all = &RS_MEMBERS(acc)->users;
	n = users ? count : all->len;
	rc = ROSTER_OK;
	for (i = 0; i < n && !rc; i++) {
		roster_id id = users ? users[i] : all->ids[i];
		const rs_rec *r = rs_get_kind(dir, id, ROSTER_KIND_USER);

		if (first && !first[i])
			continue;
		if (!r)
			rc = rs_fail_id(dir, ROSTER_ENOTFOUND, "users",
					"record.notfound", id);
		else if (r->parent != account)
			/* refused either way; denied only to an actor that
			 * may not manage the user's own account (the system
			 * or the partner of both was told "may not act on
			 * this account", which was not the reason) */
			rc = rs_authz_account(dir, &who, r->parent,
					      RS_MANAGE_USERS)
				     ? rs_fail_id(dir, ROSTER_EDENIED, "users",
						  "auth.scope", id)
				     : rs_fail_id(dir, ROSTER_EINVALID, "users",
						  "user.account", id);
		else
			rc = issue(dir, (const rs_user *)r, welcome);
	}
	rs_free(&dir->al, first);
	return rc;
}

static int issue_call(roster_directory *dir, const roster_actor *actor,
		      roster_id account, const roster_id *users, size_t count,
		      int welcome)
{
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	rs_op_begin(dir, &op);
	return rs_op_end(dir, &op, issue_all(dir, actor, account, users, count,
					     welcome));
}

int roster_password_reset(roster_directory *dir, const roster_actor *actor,
			  roster_id account, const roster_id *users,
			  size_t count)
{
	return issue_call(dir, actor, account, users, count, 0);
}

int roster_welcome_send(roster_directory *dir, const roster_actor *actor,
			roster_id account, const roster_id *users, size_t count)
{
	return issue_call(dir, actor, account, users, count, 1);
}

/* Does `secret` redeem the token of `hash` (NULL: none) valid until
 * `expires`? Costs one hash whatever the answer, so that timing tells no
 * case apart (no token, expired, wrong, right). */
static int token_matches(roster_directory *dir, const char *hash,
			 int64_t expires, const char *secret)
{
	int live = hash && rs_now(dir) < expires;

	return rs_token_verify(dir, live ? hash : NULL, secret);
}

static int redeem(roster_directory *dir, const char *token,
		  const char *password, roster_id *out)
{
	const rs_user *cur;
	const char *secret;
	char *form = NULL;
	roster_id id;
	rs_user *u;
	int rc, m, r;

	if (rs_token_parse(token, &id, &secret))
		return rs_fail(dir, ROSTER_EEXPIRED, NULL, "token.invalid", NULL);
	cur = (const rs_user *)rs_get_kind(dir, id, ROSTER_KIND_USER);
	/* both slots are tried, each at the cost of one hash */
	if ((m = token_matches(dir, cur ? RS_WELCOME(cur) : NULL,
			       cur ? RS_WELCOME_EXPIRES(cur) : 0, secret)) < 0 ||
	    (r = token_matches(dir, cur ? RS_RESET(cur) : NULL,
			       cur ? RS_RESET_EXPIRES(cur) : 0, secret)) < 0)
		return rs_nomem(dir);
	if (!m && !r)
		return rs_fail(dir, ROSTER_EEXPIRED, NULL, "token.invalid", NULL);
	if ((rc = rs_password_chosen(dir, password, &form)))
		return rc;
	if ((rc = rs_user_copy(dir, cur, &u))) {
		rs_free_secret(&dir->al, form);
		return rc;
	}
	rs_user_set(&dir->al, u, RS_S_PASSWORD, NULL);
	rc = rs_password_hash(dir, form, dir->policy.hash_cost,
			      &RS_W(u)->s[RS_S_PASSWORD]);
	rs_free_secret(&dir->al, form);
	if (rc) {
		rs_rec_free(dir, &u->base, 0);
		return rc;
	}
	/* single use, and a new password voids every link sent out (as an
	 * update does): both tokens go. Either link proves the mailbox and
	 * sets a password: the user is registered */
	rs_user_void_tokens(&dir->al, u);
	rs_flag_set(u, ROSTER_FIELD_REGISTERED, 1);
	if ((!RS_FLAG(cur, ROSTER_FIELD_REGISTERED) &&
	     rs_event(dir, ROSTER_EVENT_USER_REGISTERED, u->base.parent, id,
		      RS_STR(u, ROSTER_FIELD_EMAIL), NULL, NULL, 0)) ||
	    rs_event(dir, ROSTER_EVENT_PASSWORD_CHANGED, u->base.parent, id,
		     RS_STR(u, ROSTER_FIELD_EMAIL), NULL, NULL, 0)) {
		rs_rec_free(dir, &u->base, 0);
		return rs_nomem(dir);
	}
	if ((rc = rs_user_replace(dir, u)))
		return rc;
	*out = id;
	return ROSTER_OK;
}

int roster_token_redeem(roster_id *user_out, roster_directory *dir,
			const char *token, const char *password)
{
	roster_id id = 0;
	rs_op op;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!user_out || !token || !password)
		return rs_fail(dir, ROSTER_EINVAL,
			       !user_out ? "user_out" : !token ? "token" : "password",
			       "arg.null", NULL);
	*user_out = 0;
	rs_op_begin(dir, &op);
	rc = rs_op_end(dir, &op, redeem(dir, token, password, &id));
	if (rc == 0)
		*user_out = id;
	return rc;
}
