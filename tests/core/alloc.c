/*
 * alloc.c: allocation failure, in the manner of SQLite's test_malloc and
 * curl's torture tests.
 *
 * The directory is opened with allocator hooks that count allocations,
 * can fail the Nth one after being armed (once, or that one and every one
 * after it), and track live blocks. Each public call that allocates or
 * changes the directory is run with N = 1, 2, ... until it succeeds with
 * no failure injected. Every run that fails must:
 *
 * - return ROSTER_ENOMEM with the rule "nomem" (in the directory's error,
 *   or in roster_error_last() for calls that take no directory);
 * - leave the directory exactly as it was: every record and every field
 *   the API shows (tests/support/snapshot.h), and the live blocks;
 * - raise no event;
 * - and leave its out-parameters empty.
 *
 * The successful run is then checked for its result and its events. The
 * directory is freed at the end of each case and must leave no block.
 *
 * The cases run again on a directory on a memory store, where the commit
 * also gathers and encodes what it writes, with an explicit transaction
 * committed as a whole. There a failed run must also leave the store as it
 * was: the same keys, versions and bytes, and the same directory for a
 * host that opens the store afresh; the storage transaction it began, if
 * any, rolled back. Reading the store is tortured too: opening a
 * directory on a store that holds records, roster_directory_refresh after
 * another directory's commits (a failure keeps the directory as it was),
 * and the refresh that follows a lost race, where the conflict stays the
 * error and the directory is either as before or as the store holds it.
 * Third-party libraries (libcrypt's yescrypt, utf8proc) allocate with
 * malloc outside the hooks; that is allowed (directory.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "snapshot.h"

/* ------------------------------------------------------------------ */
/* The allocator                                                       */

typedef struct hooks {
	long arm_at;	/* fail the arm_at-th allocation once armed; 0: off */
	long seen;	/* allocations since armed */
	int persistent; /* then fail every later one too */
	long fired;	/* failures injected since armed */
	long live;	/* blocks handed out and not freed */
	long total;	/* blocks ever handed out */
} hooks;

#define BLOCK_MAGIC 0x52535452u
#define BLOCK_DEAD 0xDEADBEEFu

typedef union block {
	struct {
		size_t size;
		unsigned magic;
	} h;
	max_align_t align;
} block;

static hooks H;

static int inject(hooks *h)
{
	if (!h->arm_at)
		return 0;
	h->seen++;
	if ((h->fired && h->persistent) || h->seen == h->arm_at) {
		h->fired++;
		return 1;
	}
	return 0;
}

static block *header_of(void *p)
{
	block *b = (block *)p - 1;

	if (b->h.magic != BLOCK_MAGIC)
		fail_msg("allocator: block %p was not ours or was freed", p);
	return b;
}

static void *t_malloc(size_t size, void *data)
{
	hooks *h = data;
	block *b;

	if (inject(h))
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->h.size = size;
	b->h.magic = BLOCK_MAGIC;
	h->live++;
	h->total++;
	return b + 1;
}

static void *t_realloc(void *p, size_t size, void *data)
{
	hooks *h = data;
	block *b, *n;

	if (!p)
		return t_malloc(size, data);
	b = header_of(p);
	if (inject(h))
		return NULL;
	n = realloc(b, sizeof(*n) + size);
	if (!n)
		return NULL;
	n->h.size = size;
	return n + 1;
}

static void t_free(void *p, void *data)
{
	hooks *h = data;
	block *b;

	if (!p)
		return;
	b = header_of(p);
	b->h.magic = BLOCK_DEAD;
	h->live--;
	free(b);
}

static void arm(long n, int persistent)
{
	H.arm_at = n;
	H.seen = 0;
	H.fired = 0;
	H.persistent = persistent;
}

static void disarm(void)
{
	H.arm_at = 0;
}

static roster_directory_options hooked_options(void)
{
	roster_directory_options o;

	assert_int_equal(roster_directory_options_init(
				 &o, ROSTER_DIRECTORY_OPTIONS_VERSION),
			 0);
	o.malloc_fn = t_malloc;
	o.realloc_fn = t_realloc;
	o.free_fn = t_free;
	o.alloc_data = &H;
	return o;
}

/* ------------------------------------------------------------------ */
/* A memory store, watched                                             */

/*
 * A directory under test reaches its memory store through these
 * callbacks. They pass every call on, and note whether a storage
 * transaction is open and how many began and were rolled back: a failure
 * injected after begin hit the write phase of a commit, which must roll
 * the storage transaction back and write nothing.
 */
typedef struct watch {
	roster_memstore *ms;
	int open;	 /* a storage transaction is open */
	long begins;	 /* since last reset */
	long rollbacks;	 /* since last reset */
} watch;

static watch S;

static const roster_storage *M(void)
{
	return roster_memstore_methods();
}

static int w_begin(void *store)
{
	watch *s = store;
	int rc;

	if (s->open)
		fail_msg("storage: begin inside a storage transaction");
	rc = M()->begin(s->ms);
	if (rc == 0) {
		s->open = 1;
		s->begins++;
	}
	return rc;
}

static int w_commit(void *store)
{
	watch *s = store;

	if (!s->open)
		fail_msg("storage: commit without begin");
	s->open = 0;
	return M()->commit(s->ms);
}

static int w_rollback(void *store)
{
	watch *s = store;

	if (!s->open)
		fail_msg("storage: rollback without begin");
	s->open = 0;
	s->rollbacks++;
	return M()->rollback(s->ms);
}

static int w_put(void *store, const char *key, const void *value, size_t len,
		 uint64_t expected, uint64_t *version_out)
{
	return M()->put(((watch *)store)->ms, key, value, len, expected,
			version_out);
}

static int w_remove(void *store, const char *key, uint64_t expected)
{
	return M()->remove(((watch *)store)->ms, key, expected);
}

static int w_check(void *store, const char *key, uint64_t expected)
{
	return M()->check(((watch *)store)->ms, key, expected);
}

static int w_scan(void *store, const char *prefix, roster_storage_row_fn row,
		  void *row_data)
{
	watch *s = store;

	if (s->open)
		fail_msg("storage: scan inside a storage transaction");
	return M()->scan(s->ms, prefix, row, row_data);
}

static const char *w_errmsg(void *store)
{
	return M()->errmsg(((watch *)store)->ms);
}

static const roster_storage watched = { ROSTER_STORAGE_VERSION,
					w_begin,
					w_commit,
					w_rollback,
					w_put,
					w_remove,
					w_scan,
					w_errmsg,
					NULL,
					w_check };

/* Hooked options of a directory on `ms`, through the watch. */
static roster_directory_options store_options(roster_memstore *ms)
{
	roster_directory_options o = hooked_options();

	memset(&S, 0, sizeof(S));
	S.ms = ms;
	o.storage = &watched;
	o.store = &S;
	return o;
}

/* A directory on `ms` with the C allocator and a cheap password hash. */
static roster_directory *open_plain(roster_memstore *ms)
{
	roster_directory_options o;
	roster_password_policy p;
	roster_directory *d = NULL;

	assert_int_equal(roster_directory_options_init(
				 &o, ROSTER_DIRECTORY_OPTIONS_VERSION),
			 0);
	o.storage = M();
	o.store = ms;
	assert_int_equal(roster_directory_open(&d, &o), ROSTER_OK);
	roster_password_policy_init(&p, ROSTER_PASSWORD_POLICY_VERSION);
	p.hash_cost = 1;
	p.min_length = 8;
	assert_int_equal(roster_directory_set_password_policy(d, &p), 0);
	return d;
}

typedef struct rows {
	char **v;
	size_t n, cap;
} rows;

static int dump_row(const char *key, const void *value, size_t len,
		    uint64_t version, void *data)
{
	rows *r = data;
	const unsigned char *p = value;
	size_t i, size = strlen(key) + 2 * len + 48;
	char *s = malloc(size), *q;

	if (!s)
		return -1;
	q = s + sprintf(s, "%s v%llu ", key, (unsigned long long)version);
	for (i = 0; i < len; i++)
		q += sprintf(q, "%02x", p[i]);
	if (r->n == r->cap) {
		char **v = realloc(r->v, (r->cap ? 2 * r->cap : 64) *
						 sizeof(*v));
		if (!v) {
			free(s);
			return -1;
		}
		r->v = v;
		r->cap = r->cap ? 2 * r->cap : 64;
	}
	r->v[r->n++] = s;
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every committed key of `ms` with its version and bytes, one a line,
 * sorted (malloc'd; free with free(3)). */
static char *store_dump(roster_memstore *ms)
{
	rows r = { NULL, 0, 0 };
	size_t i, len = 1;
	char *s, *q;

	assert_int_equal(M()->scan(ms, "", dump_row, &r), 0);
	if (r.n)
		qsort(r.v, r.n, sizeof(*r.v), cmp_row);
	for (i = 0; i < r.n; i++)
		len += strlen(r.v[i]) + 1;
	q = s = malloc(len);
	assert_non_null(s);
	for (i = 0; i < r.n; i++) {
		size_t l = strlen(r.v[i]);
		memcpy(q, r.v[i], l);
		q[l] = '\n';
		q += l + 1;
		free(r.v[i]);
	}
	*q = '\0';
	free(r.v);
	return s;
}

/* The snapshot of a new directory opened on `ms`: what the store holds,
 * as a host reading it would see it. */
static char *store_snapshot(roster_memstore *ms)
{
	roster_directory *d = open_plain(ms);
	char *s = snapshot_take(d);

	roster_directory_free(d);
	return s;
}

/* Fail unless `dir` shows exactly what `ms` holds. */
static void assert_in_sync(roster_directory *dir, roster_memstore *ms,
			   const char *what)
{
	char *model = snapshot_take(dir), *stored = store_snapshot(ms);

	snapshot_assert_equal(stored, model, what);
	free(model);
	free(stored);
}

/* Fail unless the store still holds `dump` and shows `snap`. */
static void assert_store_kept(roster_memstore *ms, const char *dump,
			      const char *snap, const char *what)
{
	char *now = store_dump(ms);

	if (strcmp(dump, now) != 0) {
		print_error("%s: the store's keys, versions or bytes changed\n",
			    what);
		snapshot_assert_equal(dump, now, what);
	}
	free(now);
	now = store_snapshot(ms);
	snapshot_assert_equal(snap, now, what);
	free(now);
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */

typedef struct ctx {
	world *w;
	/* ids and values the case prepares */
	roster_id user, user2, site, pbx2, group2, site2, account;
	roster_form *form;
	char token[128];
	char password[300];
	char email[256];
	/* results of the call */
	roster_id out;
	roster_user *u;
	roster_record *rec;
	roster_page *page;
	roster_form *new_form;
	char buf[64];
	/* the memory store of the directory, for the cases run on one */
	roster_memstore *ms;
	roster_choices *choices;
	roster_billing *billing;
	roster_preview *preview;
} ctx;

typedef struct tcase {
	const char *name;
	void (*prepare)(ctx *c);
	int (*run)(ctx *c);
	void (*check)(ctx *c);
	/* after every failed run, optional: deeper "nothing changed" checks */
	void (*verify)(ctx *c);
	int expect;   /* the code of the successful call */
	int tl_error; /* failures are reported in roster_error_last() */
} tcase;

static roster_directory *D(ctx *c)
{
	return c->w->dir;
}

static void str(roster_form *f, int field, const char *v)
{
	assert_int_equal(roster_form_set_str(f, field, v), ROSTER_OK);
}

static roster_form *new_form(ctx *c)
{
	roster_form *f = NULL;

	assert_int_equal(roster_form_new(&f, D(c)), 0);
	return f;
}

static void expect_str(const roster_user *u, int field, const char *want)
{
	const char *got = roster_user_str(u, field);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
}

static roster_user *get_user(ctx *c, roster_id id)
{
	roster_user *u = NULL;

	assert_int_equal(roster_user_get(&u, D(c), id), ROSTER_OK);
	return u;
}

static size_t members_of(ctx *c, roster_id id)
{
	roster_record *r = NULL;
	size_t n;

	assert_int_equal(roster_record_get(&r, D(c), id), ROSTER_OK);
	n = roster_record_members(r);
	roster_record_free(r);
	return n;
}

/* A user with a PBX extension, lines, a site, a group and a password. */
static roster_id rich_user(ctx *c, const char *email, const char *ext,
			   const char *line, int admin, const char *password)
{
	roster_form *f = new_form(c);
	const char *lines[1];
	roster_id id = 0;

	lines[0] = line;
	str(f, ROSTER_FIELD_FIRST_NAME, "Rita");
	str(f, ROSTER_FIELD_LAST_NAME, "Rich");
	str(f, ROSTER_FIELD_EMAIL, email);
	str(f, ROSTER_FIELD_EXTENSION, ext);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, c->w->pbx), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE, c->w->site), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, c->w->group),
			 0);
	assert_int_equal(roster_form_set_lines(f, lines, 1), 0);
	if (admin)
		assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1),
				 0);
	if (password)
		str(f, ROSTER_FIELD_PASSWORD, password);
	assert_int_equal(roster_user_create(&id, D(c), &c->w->system,
					    c->w->account, f),
			 ROSTER_OK);
	roster_form_free(f);
	return id;
}

/* The records a case may move users to. */
static void prepare_places(ctx *c)
{
	world *w = c->w;

	assert_int_equal(roster_pbx_create(&c->pbx2, D(c), &w->system,
					   w->account, "Second PBX", 3, 4),
			 0);
	assert_int_equal(roster_site_create(&c->site2, D(c), &w->system,
					    w->account, "Lyon"),
			 0);
	assert_int_equal(roster_group_create(&c->group2, D(c), &w->system,
					     w->account, "Support"),
			 0);
}

/* --- partners, accounts, sites, PBXes, groups ----------------------- */

static int run_partner_create(ctx *c)
{
	return roster_partner_create(&c->out, D(c), &c->w->system,
				     "Partner Three");
}

static void check_named(ctx *c, roster_id id, int kind, roster_id parent,
			const char *name)
{
	roster_record *r = NULL;

	assert_int_equal(roster_record_get(&r, D(c), id), 0);
	assert_int_equal(roster_record_kind(r), kind);
	assert_int_equal(roster_record_parent(r), parent);
	assert_string_equal(roster_record_name(r), name);
	roster_record_free(r);
}

static void check_partner_create(ctx *c)
{
	assert_int_not_equal(c->out, 0);
	check_named(c, c->out, ROSTER_KIND_PARTNER, 0, "Partner Three");
	assert_int_equal(world_count(c->w, ROSTER_EVENT_PARTNER_CREATED), 1);
}

static int run_account_create(ctx *c)
{
	return roster_account_create(&c->out, D(c), &c->w->as_partner,
				     c->w->partner, "Initech");
}

static void check_account_create(ctx *c)
{
	check_named(c, c->out, ROSTER_KIND_ACCOUNT, c->w->partner, "Initech");
	assert_int_equal(world_count(c->w, ROSTER_EVENT_ACCOUNT_CREATED), 1);
	assert_int_equal(members_of(c, c->w->partner), 2);
}

static int run_site_create(ctx *c)
{
	return roster_site_create(&c->out, D(c), &c->w->as_admin,
				  c->w->account, "Zürich Office");
}

static void check_site_create(ctx *c)
{
	check_named(c, c->out, ROSTER_KIND_SITE, c->w->account,
		    "Zürich Office");
	assert_int_equal(world_count(c->w, ROSTER_EVENT_ACCOUNT_UPDATED), 1);
}

static int run_pbx_create(ctx *c)
{
	return roster_pbx_create(&c->out, D(c), &c->w->as_partner,
				 c->w->account, "Branch PBX", 2, 6);
}

static void check_pbx_create(ctx *c)
{
	roster_record *r = NULL;

	check_named(c, c->out, ROSTER_KIND_PBX, c->w->account, "Branch PBX");
	assert_int_equal(roster_record_get(&r, D(c), c->out), 0);
	assert_int_equal(roster_record_min_digits(r), 2);
	assert_int_equal(roster_record_max_digits(r), 6);
	roster_record_free(r);
}

static int run_group_create(ctx *c)
{
	return roster_group_create(&c->out, D(c), &c->w->as_admin,
				   c->w->account, "Call centre");
}

static void check_group_create(ctx *c)
{
	check_named(c, c->out, ROSTER_KIND_GROUP, c->w->account,
		    "Call centre");
}

static int run_rename_site(ctx *c)
{
	return roster_record_rename(D(c), &c->w->as_admin, c->w->site,
				    "Paris La Défense");
}

static void check_rename_site(ctx *c)
{
	check_named(c, c->w->site, ROSTER_KIND_SITE, c->w->account,
		    "Paris La Défense");
	assert_int_equal(world_count(c->w, ROSTER_EVENT_ACCOUNT_UPDATED), 1);
}

static int run_rename_account(ctx *c)
{
	return roster_record_rename(D(c), &c->w->as_partner, c->w->account,
				    "Acme Corporation");
}

static void check_rename_account(ctx *c)
{
	check_named(c, c->w->account, ROSTER_KIND_ACCOUNT, c->w->partner,
		    "Acme Corporation");
}

static int run_rename_partner(ctx *c)
{
	return roster_record_rename(D(c), &c->w->system, c->w->partner,
				    "Partner Prime");
}

static void check_rename_partner(ctx *c)
{
	check_named(c, c->w->partner, ROSTER_KIND_PARTNER, 0, "Partner Prime");
}

static int run_helpdesk(ctx *c)
{
	return roster_account_set_helpdesk(D(c), &c->w->as_partner,
					   c->w->account, 1);
}

static void check_helpdesk(ctx *c)
{
	roster_record *r = NULL;

	assert_int_equal(roster_record_get(&r, D(c), c->w->account), 0);
	assert_int_equal(roster_record_helpdesk(r), 1);
	roster_record_free(r);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_ACCOUNT_UPDATED), 1);
}

static void prepare_spare_site(ctx *c)
{
	assert_int_equal(roster_site_create(&c->site, D(c), &c->w->system,
					    c->w->account, "Spare"),
			 0);
}

static int run_delete_site(ctx *c)
{
	return roster_record_delete(D(c), &c->w->as_admin, c->site);
}

static void check_gone(ctx *c, roster_id id)
{
	roster_record *r = NULL;

	assert_int_equal(roster_record_get(&r, D(c), id), ROSTER_ENOTFOUND);
	assert_null(r);
}

static void check_delete_site(ctx *c)
{
	check_gone(c, c->site);
}

static void prepare_spare_pbx_group(ctx *c)
{
	prepare_places(c);
}

static int run_delete_pbx(ctx *c)
{
	return roster_record_delete(D(c), &c->w->as_partner, c->pbx2);
}

static void check_delete_pbx(ctx *c)
{
	check_gone(c, c->pbx2);
}

static int run_delete_group(ctx *c)
{
	return roster_record_delete(D(c), &c->w->as_admin, c->group2);
}

static void check_delete_group(ctx *c)
{
	check_gone(c, c->group2);
}

/*
 * An empty account that still has sites, PBXes and groups: enough of them
 * that deleting it takes more undo entries than any call before, so the
 * undo log grows (and may fail) half-way through.
 */
static void prepare_empty_account(ctx *c)
{
	world *w = c->w;
	roster_id id;
	char name[16];
	int i;

	assert_int_equal(roster_account_create(&c->account, D(c), &w->system,
					       w->partner, "Leaving"),
			 0);
	assert_int_equal(roster_site_create(&c->site, D(c), &w->system,
					    c->account, "S1"),
			 0);
	assert_int_equal(roster_site_create(&id, D(c), &w->system, c->account,
					    "S2"),
			 0);
	assert_int_equal(roster_pbx_create(&c->pbx2, D(c), &w->system,
					   c->account, "P1", 3, 4),
			 0);
	assert_int_equal(roster_group_create(&c->group2, D(c), &w->system,
					     c->account, "G1"),
			 0);
	for (i = 3; i <= 10; i++) {
		snprintf(name, sizeof(name), "S%d", i);
		assert_int_equal(roster_site_create(&id, D(c), &w->system,
						    c->account, name),
				 0);
	}
}

static int run_delete_account(ctx *c)
{
	return roster_record_delete(D(c), &c->w->as_partner, c->account);
}

static void check_delete_account(ctx *c)
{
	check_gone(c, c->account);
	check_gone(c, c->site);
	check_gone(c, c->pbx2);
	check_gone(c, c->group2);
	assert_int_equal(members_of(c, c->w->partner), 1);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_ACCOUNT_DELETED), 1);
}

/* --- forms ---------------------------------------------------------- */

static int run_form_new(ctx *c)
{
	c->new_form = (roster_form *)1; /* must be reset on failure */
	return roster_form_new(&c->new_form, D(c));
}

static void verify_form_new(ctx *c)
{
	assert_null(c->new_form);
}

static void check_form_new(ctx *c)
{
	assert_non_null(c->new_form);
	assert_int_equal(roster_form_has(c->new_form, ROSTER_FIELD_EMAIL), 0);
	roster_form_free(c->new_form);
	c->new_form = NULL;
}

static void prepare_old_form(ctx *c)
{
	const char *old_lines[1] = { "+33 6 00 00 00 01" };

	c->form = new_form(c);
	str(c->form, ROSTER_FIELD_FIRST_NAME, "Old");
	str(c->form, ROSTER_FIELD_LAST_NAME, "Name");
	str(c->form, ROSTER_FIELD_EMAIL, "old.name@acme.example");
	assert_int_equal(roster_form_set_lines(c->form, old_lines, 1), 0);
}

static int run_set_str(ctx *c)
{
	return roster_form_set_str(c->form, ROSTER_FIELD_FIRST_NAME,
				   "Brand New");
}

static void verify_form_kept(ctx *c)
{
	assert_int_equal(roster_form_has(c->form, ROSTER_FIELD_FIRST_NAME), 1);
	assert_int_equal(roster_form_has(c->form, ROSTER_FIELD_LINES), 1);
	assert_int_equal(roster_form_has(c->form, ROSTER_FIELD_NOTE), 0);
}

/* Apply the form to a new user and return it (the form is freed). */
static roster_user *apply_form(ctx *c)
{
	roster_id id = 0;

	assert_int_equal(roster_user_create(&id, D(c), &c->w->system,
					    c->w->account, c->form),
			 ROSTER_OK);
	roster_form_free(c->form);
	c->form = NULL;
	return get_user(c, id);
}

static void check_set_str(ctx *c)
{
	roster_user *u = apply_form(c);

	expect_str(u, ROSTER_FIELD_FIRST_NAME, "Brand New");
	roster_user_free(u);
}

static int run_set_note(ctx *c)
{
	return roster_form_set_str(c->form, ROSTER_FIELD_NOTE,
				   "A note\nof two lines");
}

static void check_set_note(ctx *c)
{
	roster_user *u = apply_form(c);

	expect_str(u, ROSTER_FIELD_NOTE, "A note\nof two lines");
	roster_user_free(u);
}

static int run_set_lines(ctx *c)
{
	static const char *const lines[] = { "+420 601 000 001",
					     "+420 601 000 002",
					     "+420 601 000 003" };

	return roster_form_set_lines(c->form, lines, 3);
}

static void check_set_lines(ctx *c)
{
	roster_user *u = apply_form(c);

	assert_int_equal(roster_user_line_count(u), 3);
	assert_string_equal(roster_user_line(u, 0), "+420601000001");
	assert_string_equal(roster_user_line(u, 2), "+420601000003");
	roster_user_free(u);
}

static int run_set_bool(ctx *c)
{
	return roster_form_set_bool(c->form, ROSTER_FIELD_TWO_FACTOR, 1);
}

static void check_set_bool(ctx *c)
{
	roster_user *u = apply_form(c);

	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_TWO_FACTOR), 1);
	roster_user_free(u);
}

static int run_set_ref(ctx *c)
{
	return roster_form_set_ref(c->form, ROSTER_FIELD_GROUP, c->w->group);
}

static void check_set_ref(ctx *c)
{
	roster_user *u = apply_form(c);

	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_GROUP), c->w->group);
	roster_user_free(u);
}

static int run_generate(ctx *c)
{
	return roster_form_generate_password(c->form);
}

static void check_generate(ctx *c)
{
	roster_user *u = apply_form(c);

	assert_int_equal(roster_user_has_password(u), 1);
	assert_true(strlen(world_last(c->w, ROSTER_EVENT_WELCOME_EMAIL)
				   ->password) >= 12);
	roster_user_free(u);
}

/* --- users ---------------------------------------------------------- */

static void prepare_full_form(ctx *c)
{
	static const char *const lines[] = { "+33 1 40 00 00 01",
					     "+33 1 40 00 00 02" };
	roster_form *f;

	prepare_places(c);
	f = c->form = new_form(c);
	str(f, ROSTER_FIELD_FIRST_NAME, "  Émile ");
	str(f, ROSTER_FIELD_LAST_NAME, "Exemple");
	str(f, ROSTER_FIELD_DISPLAY_NAME, "Émile Z.");
	str(f, ROSTER_FIELD_EMAIL, "Emile.Exemple@Acme.example");
	str(f, ROSTER_FIELD_PHONE, "+33 (1) 23 45 67 89");
	str(f, ROSTER_FIELD_ADDRESS_STREET, "12 rue de Rivoli");
	str(f, ROSTER_FIELD_ADDRESS_EXTRA, "Bâtiment B");
	str(f, ROSTER_FIELD_ADDRESS_LOCALITY, "Paris");
	str(f, ROSTER_FIELD_ADDRESS_REGION, "Île-de-France");
	str(f, ROSTER_FIELD_ADDRESS_POSTCODE, "75004");
	str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "fr");
	str(f, ROSTER_FIELD_LANGUAGE, "fr-FR");
	str(f, ROSTER_FIELD_EXTENSION, "4321");
	str(f, ROSTER_FIELD_NOTE, "Sales\non the second floor");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, c->pbx2), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE, c->site2), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, c->group2),
			 0);
	assert_int_equal(roster_form_set_lines(f, lines, 2), 0);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_TWO_FACTOR, 1), 0);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_API_COMMUNICATOR,
					      1),
			 0);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1), 0);
	assert_int_equal(roster_form_generate_password(f), 0);
}

/* Names written with apostrophes, long enough that their words and the
 * words without the apostrophes outgrow the stack buffer they are folded
 * into (search.c): every allocation of the joined words fails in turn. */
static void prepare_apostrophes(ctx *c)
{
	roster_form *f;

	f = c->form = new_form(c);
	/* ten words of nine CJK letters each, apostrophes between */
	str(f, ROSTER_FIELD_FIRST_NAME, "\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD'\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD");
	str(f, ROSTER_FIELD_LAST_NAME, "\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87'\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87\xE6\x96\x87");
	str(f, ROSTER_FIELD_DISPLAY_NAME, "\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE2\x80\x99\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97\xE5\xAD\x97");
	str(f, ROSTER_FIELD_EMAIL, "apostrophes@acme.example");
}

static void check_apostrophes(ctx *c)
{
	roster_query *q = NULL;
	size_t n = 0;

	assert_true(c->out != 0);
	/* found by the first name's eighteen first letters, across an
	 * apostrophe: a joined word */
	assert_int_equal(roster_query_new(&q), 0);
	assert_int_equal(roster_query_set_text(q, "\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD"), 0);
	assert_int_equal(roster_search_count(&n, D(c), &c->w->system,
					     c->w->account, q),
			 0);
	assert_int_equal(n, 1);
	roster_query_free(q);
}

static int run_user_create(ctx *c)
{
	c->out = 999; /* must be reset on failure */
	return roster_user_create(&c->out, D(c), &c->w->as_partner,
				  c->w->account, c->form);
}

static void verify_user_create(ctx *c)
{
	assert_int_equal(c->out, 0);
}

static void check_user_create(ctx *c);

/* The same inside an open transaction that already holds a change: a
 * failing call must undo only itself, and the commit must carry both. */
static void prepare_full_form_in_txn(ctx *c)
{
	roster_form *f;

	prepare_full_form(c);
	assert_int_equal(roster_transaction_begin(D(c)), 0);
	f = new_form(c);
	str(f, ROSTER_FIELD_NOTE, "changed earlier in the transaction");
	assert_int_equal(roster_user_update(D(c), &c->w->system, c->w->admin, f),
			 0);
	roster_form_free(f);
}

static void check_user_create_in_txn(ctx *c)
{
	roster_user *u;

	assert_int_equal(c->w->nevents, 0);
	assert_int_equal(roster_transaction_commit(D(c)), 0);
	assert_int_equal(roster_transaction_active(D(c)), 0);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_USER_UPDATED), 1);
	u = get_user(c, c->w->admin);
	expect_str(u, ROSTER_FIELD_NOTE, "changed earlier in the transaction");
	roster_user_free(u);
	check_user_create(c);
}

static void check_user_create(ctx *c)
{
	world *w = c->w;
	roster_user *u = get_user(c, c->out);
	const rec_event *welcome = world_last(w, ROSTER_EVENT_WELCOME_EMAIL);
	roster_id who = 0;

	expect_str(u, ROSTER_FIELD_FIRST_NAME, "Émile");
	expect_str(u, ROSTER_FIELD_DISPLAY_NAME, "Émile Z.");
	expect_str(u, ROSTER_FIELD_EMAIL, "Emile.Exemple@Acme.example");
	expect_str(u, ROSTER_FIELD_PHONE, "+33123456789");
	expect_str(u, ROSTER_FIELD_ADDRESS_REGION, "Île-de-France");
	expect_str(u, ROSTER_FIELD_ADDRESS_COUNTRY, "FR");
	expect_str(u, ROSTER_FIELD_LANGUAGE, "fr-FR");
	expect_str(u, ROSTER_FIELD_EXTENSION, "4321");
	expect_str(u, ROSTER_FIELD_NOTE, "Sales\non the second floor");
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_PBX), c->pbx2);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_SITE), c->site2);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_GROUP), c->group2);
	assert_int_equal(roster_user_line_count(u), 2);
	assert_string_equal(roster_user_line(u, 1), "+33140000002");
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_ADMIN), 1);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_REGISTERED), 0);
	assert_int_equal(roster_user_has_password(u), 1);
	roster_user_free(u);
	/* events: created, welcome (token and password), one reload */
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 1);
	assert_non_null(welcome);
	assert_int_equal(welcome->user, c->out);
	assert_true(strlen(welcome->secret) > 0);
	assert_true(strlen(welcome->password) > 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 1);
	assert_int_equal(world_last(w, ROSTER_EVENT_PBX_RELOAD)->pbx, c->pbx2);
	/* the indexes and counters took it in */
	assert_int_equal(members_of(c, c->pbx2), 1);
	assert_int_equal(members_of(c, c->site2), 1);
	assert_int_equal(members_of(c, c->group2), 1);
	assert_int_equal(members_of(c, w->account), 2);
	assert_int_equal(roster_user_find_login(&who, D(c),
						"emile.exemple@acme.example"),
			 0);
	assert_int_equal(who, c->out);
	assert_int_equal(roster_login(&who, D(c), "emile.exemple@acme.example",
				      welcome->password),
			 ROSTER_OK);
	roster_form_free(c->form);
	c->form = NULL;
}

/* A user to change, with the places it may move to. */
static void prepare_target(ctx *c)
{
	prepare_places(c);
	c->user = rich_user(c, "tina@acme.example", "200", "+33 1 50 00 00 01",
			    0, "Old-password-1");
}

static void verify_old_password(ctx *c)
{
	roster_id id = 0;

	assert_int_equal(roster_login(&id, D(c), "tina@acme.example",
				      "Old-password-1"),
			 ROSTER_OK);
	assert_int_equal(id, c->user);
}

static void prepare_update_many(ctx *c)
{
	static const char *const lines[] = { "+33 1 60 00 00 01",
					     "+33 1 60 00 00 02" };
	roster_form *f;

	prepare_target(c);
	f = c->form = new_form(c);
	str(f, ROSTER_FIELD_FIRST_NAME, "Tatiana");
	str(f, ROSTER_FIELD_EMAIL, "tatiana@acme.example");
	str(f, ROSTER_FIELD_PASSWORD, "New-password-2");
	str(f, ROSTER_FIELD_PHONE, "+420 777 123 456");
	str(f, ROSTER_FIELD_ADDRESS_STREET, "Václavské náměstí 1");
	str(f, ROSTER_FIELD_ADDRESS_LOCALITY, "Praha");
	str(f, ROSTER_FIELD_ADDRESS_COUNTRY, "CZ");
	str(f, ROSTER_FIELD_LANGUAGE, "cs-CZ");
	str(f, ROSTER_FIELD_EXTENSION, "2001");
	str(f, ROSTER_FIELD_NOTE, "Moved to Prague");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, c->pbx2), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE, c->site2), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, c->group2),
			 0);
	assert_int_equal(roster_form_set_lines(f, lines, 2), 0);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1), 0);
	assert_int_equal(roster_form_set_bool(f, ROSTER_FIELD_STATUTORY, 1), 0);
}

static int run_update(ctx *c)
{
	return roster_user_update(D(c), &c->w->as_partner, c->user, c->form);
}

static void check_update_many(ctx *c)
{
	world *w = c->w;
	roster_user *u = get_user(c, c->user);
	roster_record *acc = NULL;
	roster_id id = 0;
	int rc;

	expect_str(u, ROSTER_FIELD_FIRST_NAME, "Tatiana");
	expect_str(u, ROSTER_FIELD_EMAIL, "tatiana@acme.example");
	expect_str(u, ROSTER_FIELD_PHONE, "+420777123456");
	expect_str(u, ROSTER_FIELD_ADDRESS_STREET, "Václavské náměstí 1");
	expect_str(u, ROSTER_FIELD_LANGUAGE, "cs-CZ");
	expect_str(u, ROSTER_FIELD_EXTENSION, "2001");
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_PBX), c->pbx2);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_SITE), c->site2);
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_GROUP), c->group2);
	assert_int_equal(roster_user_line_count(u), 2);
	assert_string_equal(roster_user_line(u, 0), "+33160000001");
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_ADMIN), 1);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_STATUTORY), 1);
	roster_user_free(u);
	assert_int_equal(roster_record_get(&acc, D(c), w->account), 0);
	assert_int_equal(roster_record_admins(acc), 2);
	roster_record_free(acc);
	/* memberships moved */
	assert_int_equal(members_of(c, w->pbx), 0);
	assert_int_equal(members_of(c, c->pbx2), 1);
	assert_int_equal(members_of(c, w->site), 0);
	assert_int_equal(members_of(c, c->site2), 1);
	/* events: role, update, password, a reload of each PBX */
	assert_int_equal(world_count(w, ROSTER_EVENT_ROLE_CHANGED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_CHANGED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 2);
	/* the indexes: old keys free, new keys taken */
	assert_int_equal(roster_user_find_login(&id, D(c), "tina@acme.example"),
			 ROSTER_ENOTFOUND);
	assert_int_equal(roster_login(&id, D(c), "tatiana@acme.example",
				      "New-password-2"),
			 ROSTER_OK);
	assert_int_equal(id, c->user);
	rc = roster_login(&id, D(c), "tatiana@acme.example", "Old-password-1");
	assert_int_equal(rc, ROSTER_EAUTH);
	id = rich_user(c, "reuse@acme.example", "200", "+33 1 50 00 00 01", 0,
		       NULL);
	assert_int_not_equal(id, 0);
	{
		roster_form *f = new_form(c);
		const char *line = "+33 1 60 00 00 02";

		str(f, ROSTER_FIELD_FIRST_NAME, "Dup");
		str(f, ROSTER_FIELD_LAST_NAME, "Line");
		str(f, ROSTER_FIELD_EMAIL, "dup@acme.example");
		assert_int_equal(roster_form_set_lines(f, &line, 1), 0);
		assert_int_equal(roster_user_create(&id, D(c), &w->system,
						    w->account, f),
				 ROSTER_EEXISTS);
		assert_err(w, ROSTER_EEXISTS, "line.unique");
		roster_form_free(f);
	}
	roster_form_free(c->form);
	c->form = NULL;
}

/* Take the admin role back from a second admin. */
static void prepare_demote(ctx *c)
{
	c->user = rich_user(c, "second.admin@acme.example", "300",
			    "+33 1 70 00 00 01", 1, NULL);
	c->form = new_form(c);
	assert_int_equal(roster_form_set_bool(c->form, ROSTER_FIELD_ADMIN, 0),
			 0);
	str(c->form, ROSTER_FIELD_DISPLAY_NAME, "Former admin");
}

static void check_demote(ctx *c)
{
	roster_record *acc = NULL;

	assert_int_equal(roster_record_get(&acc, D(c), c->w->account), 0);
	assert_int_equal(roster_record_admins(acc), 1);
	roster_record_free(acc);
	assert_int_equal(world_last(c->w, ROSTER_EVENT_ROLE_CHANGED)->admin, 0);
	roster_form_free(c->form);
	c->form = NULL;
}

/* An admin has a new password generated for a user. */
static void prepare_regenerate(ctx *c)
{
	prepare_target(c);
	c->form = new_form(c);
	assert_int_equal(roster_form_generate_password(c->form), 0);
}

static int run_update_as_admin(ctx *c)
{
	return roster_user_update(D(c), &c->w->as_admin, c->user, c->form);
}

static void check_regenerate(ctx *c)
{
	const rec_event *e = world_last(c->w, ROSTER_EVENT_PASSWORD_CHANGED);
	roster_id id = 0;

	assert_non_null(e);
	assert_true(strlen(e->password) >= 12);
	assert_int_equal(roster_login(&id, D(c), "tina@acme.example",
				      e->password),
			 ROSTER_OK);
	roster_form_free(c->form);
	c->form = NULL;
}

static void prepare_delete(ctx *c)
{
	c->user = rich_user(c, "dora@acme.example", "400", "+33 1 80 00 00 01",
			    0, NULL);
}

static int run_user_delete(ctx *c)
{
	return roster_user_delete(D(c), &c->w->as_admin, c->user);
}

static void check_user_delete(ctx *c)
{
	world *w = c->w;
	roster_user *u = NULL;
	roster_id id = 0;

	assert_int_equal(roster_user_get(&u, D(c), c->user), ROSTER_ENOTFOUND);
	assert_int_equal(roster_user_find_login(&id, D(c), "dora@acme.example"),
			 ROSTER_ENOTFOUND);
	assert_int_equal(members_of(c, w->account), 1);
	assert_int_equal(members_of(c, w->pbx), 0);
	assert_int_equal(members_of(c, w->site), 0);
	assert_int_equal(members_of(c, w->group), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_DELETED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_PBX_RELOAD), 1);
	/* its e-mail, extension and line are free again */
	id = rich_user(c, "dora@acme.example", "400", "+33 1 80 00 00 01", 0,
		       NULL);
	assert_int_not_equal(id, 0);
}

/* --- reading -------------------------------------------------------- */

static void prepare_reader(ctx *c)
{
	c->user = rich_user(c, "rita@acme.example", "500", "+33 1 90 00 00 01",
			    0, "Some-password-1");
}

static int run_user_get(ctx *c)
{
	c->u = (roster_user *)1;
	return roster_user_get(&c->u, D(c), c->user);
}

static void verify_user_get(ctx *c)
{
	assert_null(c->u);
}

static void check_user_get(ctx *c)
{
	expect_str(c->u, ROSTER_FIELD_EMAIL, "rita@acme.example");
	/* the display name is made up when none is set */
	expect_str(c->u, ROSTER_FIELD_DISPLAY_NAME, "Rita Rich");
	assert_int_equal(roster_user_line_count(c->u), 1);
	assert_int_equal(roster_user_has_password(c->u), 1);
	roster_user_free(c->u);
	c->u = NULL;
}

static int run_record_get(ctx *c)
{
	c->rec = (roster_record *)1;
	return roster_record_get(&c->rec, D(c), c->w->account);
}

static void verify_record_get(ctx *c)
{
	assert_null(c->rec);
}

static void check_record_get(ctx *c)
{
	assert_string_equal(roster_record_name(c->rec), "Acme");
	assert_int_equal(roster_record_admins(c->rec), 1);
	assert_int_equal(roster_record_members(c->rec), 2);
	roster_record_free(c->rec);
	c->rec = NULL;
}

static int run_list(ctx *c)
{
	c->page = (roster_page *)1;
	return roster_list(&c->page, D(c), c->w->account, ROSTER_KIND_USER,
			   NULL, 1);
}

static void verify_list(ctx *c)
{
	assert_null(c->page);
}

static void check_list(ctx *c)
{
	roster_page *next = NULL;

	assert_int_equal(roster_page_count(c->page), 1);
	assert_int_equal(roster_page_id(c->page, 0), c->w->admin);
	assert_int_equal(roster_page_total(c->page), 2);
	assert_non_null(roster_page_next(c->page));
	assert_int_equal(roster_list(&next, D(c), c->w->account,
				     ROSTER_KIND_USER,
				     roster_page_next(c->page), 10),
			 0);
	assert_int_equal(roster_page_id(next, 0), c->user);
	assert_null(roster_page_next(next));
	roster_page_free(next);
	roster_page_free(c->page);
	c->page = NULL;
}

static int run_find_login(ctx *c)
{
	return roster_user_find_login(&c->out, D(c), "RITA@acme.example");
}

static void check_find_login(ctx *c)
{
	assert_int_equal(c->out, c->user);
}

static int run_login(ctx *c)
{
	c->out = 999;
	return roster_login(&c->out, D(c), "rita@acme.example",
			    "Some-password-1");
}

static void verify_login(ctx *c)
{
	assert_int_equal(c->out, 0);
}

static void check_login(ctx *c)
{
	assert_int_equal(c->out, c->user);
}

static int run_login_wrong(ctx *c)
{
	return roster_login(&c->out, D(c), "rita@acme.example",
			    "Wrong-password-1");
}

static void check_login_wrong(ctx *c)
{
	assert_err(c->w, ROSTER_EAUTH, "login.failed");
}

static int run_generate_buf(ctx *c)
{
	return roster_password_generate(D(c), c->buf, sizeof(c->buf));
}

static void check_generate_buf(ctx *c)
{
	assert_int_equal(roster_password_check(D(c), c->buf), ROSTER_OK);
}

/* --- e-mails and tokens --------------------------------------------- */

static void prepare_three_users(ctx *c)
{
	c->user = rich_user(c, "one@acme.example", "601", "+33 1 91 00 00 01",
			    0, NULL);
	c->user2 = rich_user(c, "two@acme.example", "602", "+33 1 91 00 00 02",
			     0, "Two-password-2");
	/* an older reset token, which the bulk reset must supersede */
	assert_int_equal(roster_password_reset(D(c), &c->w->system,
					       c->w->account, &c->user2, 1),
			 0);
	snprintf(c->token, sizeof(c->token), "%s",
		 world_last(c->w, ROSTER_EVENT_PASSWORD_RESET_EMAIL)->secret);
}

static int run_reset_all(ctx *c)
{
	return roster_password_reset(D(c), &c->w->as_admin, c->w->account, NULL,
				     0);
}

static void check_reset_all(ctx *c)
{
	world *w = c->w;
	roster_id id = 0;
	size_t i;

	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 3);
	/* the older token stopped working; the new one works */
	assert_int_equal(roster_token_redeem(&id, D(c), c->token,
					     "Reset-password-3"),
			 ROSTER_EEXPIRED);
	for (i = 0; i < w->nevents; i++) {
		if (w->events[i].type == ROSTER_EVENT_PASSWORD_RESET_EMAIL &&
		    w->events[i].user == c->user2)
			assert_int_equal(roster_token_redeem(&id, D(c),
							     w->events[i].secret,
							     "Reset-password-3"),
					 ROSTER_OK);
	}
	assert_int_equal(id, c->user2);
}

static int run_reset_some(ctx *c)
{
	roster_id sel[3] = { c->user2, c->user, c->user2 };

	return roster_password_reset(D(c), &c->w->as_admin, c->w->account, sel,
				     3);
}

static void check_reset_some(ctx *c)
{
	world *w = c->w;
	roster_id id = 0;

	/* one e-mail each, in the order of the selection */
	assert_int_equal(world_count(w, ROSTER_EVENT_PASSWORD_RESET_EMAIL), 2);
	assert_int_equal(w->events[0].user, c->user2);
	assert_int_equal(w->events[1].user, c->user);
	assert_int_equal(roster_token_redeem(&id, D(c), c->token,
					     "Reset-password-3"),
			 ROSTER_EEXPIRED);
	assert_int_equal(roster_token_redeem(&id, D(c), w->events[0].secret,
					     "Reset-password-3"),
			 ROSTER_OK);
	assert_int_equal(id, c->user2);
}

static int run_welcome_all(ctx *c)
{
	return roster_welcome_send(D(c), &c->w->as_partner, c->w->account,
				   NULL, 0);
}

static void check_welcome_all(ctx *c)
{
	world *w = c->w;
	const rec_event *e = world_last(w, ROSTER_EVENT_WELCOME_EMAIL);
	roster_id id = 0;

	assert_int_equal(world_count(w, ROSTER_EVENT_WELCOME_EMAIL), 3);
	assert_non_null(e);
	assert_int_equal(roster_token_redeem(&id, D(c), e->secret,
					     "Welcome-password-4"),
			 ROSTER_OK);
	assert_int_equal(id, e->user);
}

static int run_welcome_some(ctx *c)
{
	roster_id users[2];

	users[0] = c->user;
	users[1] = c->user2;
	return roster_welcome_send(D(c), &c->w->as_admin, c->w->account, users,
				   2);
}

static void check_welcome_some(ctx *c)
{
	assert_int_equal(world_count(c->w, ROSTER_EVENT_WELCOME_EMAIL), 2);
}

static void prepare_reset_token(ctx *c)
{
	prepare_three_users(c);
	world_events_clear(c->w);
}

static void prepare_welcome_token(ctx *c)
{
	prepare_three_users(c);
	assert_int_equal(roster_welcome_send(D(c), &c->w->system, c->w->account,
					     &c->user, 1),
			 0);
	snprintf(c->token, sizeof(c->token), "%s",
		 world_last(c->w, ROSTER_EVENT_WELCOME_EMAIL)->secret);
	world_events_clear(c->w);
}

static int run_redeem(ctx *c)
{
	c->out = 999;
	return roster_token_redeem(&c->out, D(c), c->token,
				   "Redeemed-password-5");
}

static void verify_redeem(ctx *c)
{
	assert_int_equal(c->out, 0);
}

static void check_redeem_reset(ctx *c)
{
	roster_id id = 0;

	assert_int_equal(c->out, c->user2);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_PASSWORD_CHANGED), 1);
	assert_int_equal(roster_login(&id, D(c), "two@acme.example",
				      "Redeemed-password-5"),
			 ROSTER_OK);
	/* single use */
	assert_int_equal(roster_token_redeem(&id, D(c), c->token,
					     "Another-password-6"),
			 ROSTER_EEXPIRED);
}

static void check_redeem_welcome(ctx *c)
{
	roster_user *u = get_user(c, c->user);

	assert_int_equal(c->out, c->user);
	assert_int_equal(roster_user_bool(u, ROSTER_FIELD_REGISTERED), 1);
	assert_int_equal(roster_user_has_password(u), 1);
	roster_user_free(u);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_USER_REGISTERED), 1);
}

/* --- explicit transactions committed to a store -------------------- */

/*
 * One transaction of many kinds of change: a user moved and changed twice
 * (one net change), a new account, a new user, a site made and removed
 * again (nothing to write), a rename, a flag and a deletion. It is opened
 * before each run with no failure injected; the run is the commit alone.
 * A failed commit rolls the whole transaction back and closes it
 * (transaction.h), so "as before" is the state before it was opened.
 */
static void prepare_txn(ctx *c)
{
	prepare_target(c);
	assert_int_equal(roster_site_create(&c->site, D(c), &c->w->system,
					    c->w->account, "Spare"),
			 0);
}

static void setup_txn(ctx *c)
{
	static const char *const lines[] = { "+33 1 61 00 00 01",
					     "+33 1 61 00 00 02" };
	world *w = c->w;
	roster_form *f;
	roster_id tmp = 0;

	assert_int_equal(roster_transaction_begin(D(c)), 0);
	f = new_form(c);
	str(f, ROSTER_FIELD_EMAIL, "tina.moved@acme.example");
	str(f, ROSTER_FIELD_EXTENSION, "2002");
	str(f, ROSTER_FIELD_NOTE, "first");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, c->pbx2), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE, c->site2), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, c->group2),
			 0);
	assert_int_equal(roster_form_set_lines(f, lines, 2), 0);
	assert_int_equal(roster_user_update(D(c), &w->as_partner, c->user, f),
			 0);
	roster_form_free(f);
	f = new_form(c);
	str(f, ROSTER_FIELD_NOTE, "second");
	assert_int_equal(roster_user_update(D(c), &w->as_partner, c->user, f),
			 0);
	roster_form_free(f);
	assert_int_equal(roster_account_create(&c->account, D(c),
					       &w->as_partner, w->partner,
					       "Initech"),
			 0);
	c->user2 = rich_user(c, "txn@acme.example", "777", "+33 1 77 00 00 01",
			     0, "Txn-password-1");
	assert_int_equal(roster_site_create(&tmp, D(c), &w->as_partner,
					    w->account, "Ephemeral"),
			 0);
	assert_int_equal(roster_record_delete(D(c), &w->as_partner, tmp), 0);
	assert_int_equal(roster_record_rename(D(c), &w->as_partner, w->site,
					      "Paris Nord"),
			 0);
	assert_int_equal(roster_account_set_helpdesk(D(c), &w->as_partner,
						     w->account, 1),
			 0);
	assert_int_equal(roster_record_delete(D(c), &w->as_partner, c->site),
			 0);
	c->out = tmp;
}

static int run_txn_commit(ctx *c)
{
	return roster_transaction_commit(D(c));
}

static void verify_txn_closed(ctx *c)
{
	assert_int_equal(roster_transaction_active(D(c)), 0);
	check_gone(c, c->account);
	check_gone(c, c->user2);
}

static void check_txn_commit(ctx *c)
{
	world *w = c->w;
	roster_user *u = get_user(c, c->user);
	roster_id id = 0;

	assert_int_equal(roster_transaction_active(D(c)), 0);
	expect_str(u, ROSTER_FIELD_EMAIL, "tina.moved@acme.example");
	expect_str(u, ROSTER_FIELD_NOTE, "second");
	assert_int_equal(roster_user_ref(u, ROSTER_FIELD_PBX), c->pbx2);
	assert_int_equal(roster_user_line_count(u), 2);
	roster_user_free(u);
	assert_int_equal(members_of(c, c->pbx2), 1);
	assert_int_equal(members_of(c, c->group2), 1);
	check_named(c, c->account, ROSTER_KIND_ACCOUNT, w->partner, "Initech");
	check_named(c, w->site, ROSTER_KIND_SITE, w->account, "Paris Nord");
	check_gone(c, c->out);
	check_gone(c, c->site);
	assert_int_equal(roster_user_find_login(&id, D(c), "txn@acme.example"),
			 0);
	assert_int_equal(id, c->user2);
	assert_int_equal(roster_login(&id, D(c), "tina.moved@acme.example",
				      "Old-password-1"),
			 ROSTER_OK);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_CREATED), 1);
	assert_int_equal(world_count(w, ROSTER_EVENT_ACCOUNT_CREATED), 1);
	assert_true(world_count(w, ROSTER_EVENT_USER_UPDATED) >= 1);
}

static const tcase txn_commit_case = { "transaction_commit", prepare_txn,
				       run_txn_commit, check_txn_commit,
				       verify_txn_closed, ROSTER_OK, 0 };

/* ------------------------------------------------------------------ */
/* The driver                                                          */

/* ------------------------------------------------------------------ */
/* Licences, stations, products                                        */

static const char *const some_licences[] = { "callcentrum-mini",
					     "callcentrum-start", "video" };

static int run_account_licences(ctx *c)
{
	return roster_account_set_licences(D(c), &c->w->as_partner,
					   c->w->account, "start", some_licences,
					   3);
}

static void check_account_licences(ctx *c)
{
	roster_record *r = NULL;

	assert_int_equal(roster_record_get(&r, D(c), c->w->account), 0);
	assert_string_equal(roster_record_edition(r), "start");
	assert_int_equal(roster_record_licence_count(r), 3);
	roster_record_free(r);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_ACCOUNT_UPDATED), 1);
}

/* A Callcentrum MINI user on the PBX, the form moving it to START. */
static void prepare_licence_change(ctx *c)
{
	roster_form *f;

	assert_int_equal(run_account_licences(c), 0);
	f = new_form(c);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Lia");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Cence");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "lia@acme.example");
	roster_form_set_ref(f, ROSTER_FIELD_PBX, c->w->pbx);
	roster_form_set_str(f, ROSTER_FIELD_EXTENSION, "250");
	roster_form_set_str(f, ROSTER_FIELD_LICENCE, "callcentrum-mini");
	assert_int_equal(roster_user_create(&c->user, D(c), &c->w->as_admin,
					    c->w->account, f), 0);
	roster_form_free(f);
	c->form = new_form(c);
	roster_form_set_str(c->form, ROSTER_FIELD_LICENCE, "callcentrum-start");
}

static void check_licence_change(ctx *c)
{
	roster_user *u = get_user(c, c->user);

	assert_string_equal(roster_user_str(u, ROSTER_FIELD_LICENCE),
			    "callcentrum-start");
	roster_user_free(u);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_USER_UPDATED), 1);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_PBX_RELOAD), 1);
}

static size_t in_use_of(ctx *c, roster_id site, const char *pack,
			size_t *purchased)
{
	size_t used = 0;

	assert_int_equal(roster_station_counts(D(c), &c->w->system, site, pack,
					       purchased, &used), 0);
	return used;
}

static int run_station_order(ctx *c)
{
	return roster_station_order(D(c), &c->w->as_partner, c->w->site,
				    "standard", 3);
}

static void check_station_order(ctx *c)
{
	size_t p;

	assert_int_equal(in_use_of(c, c->w->site, "standard", &p), 0);
	assert_int_equal(p, 3);
}

static void prepare_stations(ctx *c)
{
	assert_int_equal(roster_station_order(D(c), &c->w->system, c->w->site,
					      "standard", 3), 0);
	assert_int_equal(roster_station_order(D(c), &c->w->system, c->w->site,
					      "premium", 1), 0);
}

static int run_station_disconnect(ctx *c)
{
	return roster_station_disconnect(D(c), &c->w->as_partner, c->w->site,
					 "standard", 3);
}

static void check_station_disconnect(ctx *c)
{
	size_t p;

	assert_int_equal(in_use_of(c, c->w->site, "standard", &p), 0);
	assert_int_equal(p, 0);
}

/* A user with a Premium station, the form downgrading it (confirmed). */
static void prepare_pack_change(ctx *c)
{
	roster_form *f;

	prepare_stations(c);
	f = new_form(c);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Pat");
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, "Ack");
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, "pat@acme.example");
	roster_form_set_ref(f, ROSTER_FIELD_SITE, c->w->site);
	roster_form_set_str(f, ROSTER_FIELD_PACK, "premium");
	assert_int_equal(roster_user_create(&c->user, D(c), &c->w->as_admin,
					    c->w->account, f), 0);
	roster_form_free(f);
	c->form = new_form(c);
	roster_form_set_str(c->form, ROSTER_FIELD_PACK, "standard");
	roster_form_confirm(c->form, ROSTER_CONFIRM_DOWNGRADE);
}

static void check_pack_change(ctx *c)
{
	size_t p;

	assert_int_equal(in_use_of(c, c->w->site, "premium", &p), 0);
	assert_int_equal(p, 1); /* freed, still purchased */
	assert_int_equal(in_use_of(c, c->w->site, "standard", &p), 1);
}

static void prepare_products(ctx *c)
{
	assert_int_equal(roster_product_purchase(D(c), &c->w->system,
						 c->w->account, "meetings", 3),
			 0);
	c->user = rich_user(c, "pam@acme.example", "260", "+33 1 60 00 00 01",
			    0, NULL);
	c->user2 = rich_user(c, "pia@acme.example", "261", "+33 1 60 00 00 02",
			     0, NULL);
}

static int run_product_assign(ctx *c)
{
	roster_id both[3] = { c->user, c->user2, c->user };

	return roster_product_assign(D(c), &c->w->as_admin, "meetings", both,
				     3, NULL);
}

/* The account's "meetings" licences: so many purchased, so many held. */
static void assert_meetings(ctx *c, size_t purchased, size_t assigned)
{
	size_t p = 0, a = 0;

	assert_int_equal(roster_product_counts(D(c), &c->w->system,
					       c->w->account, "meetings", &p, &a),
			 0);
	assert_int_equal(p, purchased);
	assert_int_equal(a, assigned);
}

static void check_product_assign(ctx *c)
{
	assert_meetings(c, 3, 2);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_USER_UPDATED), 2);
}

/* prepare_products' two users holding "meetings". */
static void prepare_products_held(ctx *c)
{
	roster_id both[2];

	prepare_products(c);
	both[0] = c->user;
	both[1] = c->user2;
	assert_int_equal(roster_product_assign(D(c), &c->w->as_admin,
					       "meetings", both, 2, NULL),
			 0);
}

static int run_product_unassign(ctx *c)
{
	roster_id sel[3] = { c->user2, c->user, c->user2 };

	return roster_product_unassign(D(c), &c->w->as_admin, "meetings", sel,
				       3, NULL);
}

static void check_product_unassign(ctx *c)
{
	assert_meetings(c, 3, 0);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_USER_UPDATED), 2);
}

static int run_product_purchase(ctx *c)
{
	return roster_product_purchase(D(c), &c->w->as_partner, c->w->account,
				       "meetings", 4);
}

static void check_product_purchase(ctx *c)
{
	assert_meetings(c, 7, 0);
}

static int run_product_release(ctx *c)
{
	return roster_product_release(D(c), &c->w->as_partner, c->w->account,
				      "meetings", 1);
}

static void check_product_release(ctx *c)
{
	assert_meetings(c, 2, 2);
}

/* Inside an open transaction that already gave one of the two users a
 * licence and the other a welcome, the selection of both: a failing call
 * undoes only itself, and the commit carries the earlier changes too. */
static void prepare_products_in_txn(ctx *c)
{
	prepare_products(c);
	assert_int_equal(roster_transaction_begin(D(c)), 0);
	assert_int_equal(roster_product_assign(D(c), &c->w->as_admin,
					       "meetings", &c->user, 1, NULL),
			 0);
	assert_int_equal(roster_welcome_send(D(c), &c->w->as_admin,
					     c->w->account, &c->user2, 1),
			 0);
}

static int run_assign_in_txn(ctx *c)
{
	roster_id both[2] = { c->user2, c->user };

	return roster_product_assign(D(c), &c->w->as_admin, "meetings", both,
				     2, NULL);
}

static void check_assign_in_txn(ctx *c)
{
	assert_int_equal(c->w->nevents, 0);
	assert_int_equal(roster_transaction_commit(D(c)), 0);
	assert_meetings(c, 3, 2);
	/* the changes made before the run are committed with it */
	assert_int_equal(world_count(c->w, ROSTER_EVENT_WELCOME_EMAIL), 1);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_USER_UPDATED), 2);
}

typedef struct text_src {
	const char *s;
	size_t at;
} text_src;

static long text_read(void *data, void *buf, size_t len)
{
	text_src *t = data;
	size_t n = strlen(t->s + t->at);

	if (n > len)
		n = len;
	memcpy(buf, t->s + t->at, n);
	t->at += n;
	return (long)n;
}

/* An import whose rows take product licences (prepare_products bought
 * three, none held). */
static int run_import_products(ctx *c)
{
	text_src src = { "first_name,last_name,email,products\n"
			 "Ima,Port,ima@acme.example,meetings\n"
			 "Ivo,Port,ivo@acme.example,meetings meetings\n",
			 0 };
	roster_import_report *r = NULL;
	int rc = roster_import(&r, D(c), &c->w->as_admin, c->w->account,
			       ROSTER_FORMAT_CSV, text_read, &src, NULL);

	if (rc == ROSTER_OK)
		assert_int_equal(roster_import_created(r), 2);
	roster_import_report_free(r);
	return rc;
}

static void check_import_products(ctx *c)
{
	assert_meetings(c, 3, 2);
	assert_int_equal(world_count(c->w, ROSTER_EVENT_USER_CREATED), 2);
}

/* An all-or-nothing import whose first row is refused and whose later
 * rows take its login, its line and its extension: the keys of refused
 * rows are held, the rows taking them refused after their create and
 * undone. */
static int run_import_refused_keys(ctx *c)
{
	text_src src = { "first_name,last_name,email,site,pbx,extension,lines\n"
			 "Ima,Port,ima@acme.example,Lyon,Main PBX,101,"
			 "+33111111111\n"
			 "Ivo,Port,IMA@acme.example,,,,\n"
			 "Ida,Port,ida@acme.example,,,,+33111111111\n"
			 "Ira,Port,ira@acme.example,,Main PBX,101,\n",
			 0 };
	roster_import_report *r = NULL;
	int rc = roster_import(&r, D(c), &c->w->as_admin, c->w->account,
			       ROSTER_FORMAT_CSV, text_read, &src, NULL);

	if (rc == ROSTER_EINVALID) {
		assert_int_equal(roster_import_error_count(r), 4);
		assert_string_equal(roster_import_error_rule(r, 1),
				    "email.unique");
		assert_string_equal(roster_import_error_rule(r, 3),
				    "extension.unique");
	}
	roster_import_report_free(r);
	return rc;
}

static void check_import_refused_keys(ctx *c)
{
	assert_int_equal(world_count(c->w, ROSTER_EVENT_USER_CREATED), 0);
}

/* The same with an XML row refused as a whole (an element given twice),
 * whose keys are read from its cells. */
static int run_import_twice_keys(ctx *c)
{
	text_src src = { "<users xmlns=\"urn:roster:users:1\">"
			 "<user><first_name>Ima</first_name>"
			 "<first_name>Ima</first_name><last_name>Port</last_name>"
			 "<email>ima@acme.example</email><pbx>Main PBX</pbx>"
			 "<extension>101</extension><lines>"
			 "<line>+33111111111</line></lines></user>"
			 "<user><first_name>Ivo</first_name><last_name>Port"
			 "</last_name><email>IMA@acme.example</email></user>"
			 "<user><first_name>Ida</first_name><last_name>Port"
			 "</last_name><email>ida@acme.example</email><lines>"
			 "<line>+33111111111</line></lines></user>"
			 "</users>",
			 0 };
	roster_import_report *r = NULL;
	int rc = roster_import(&r, D(c), &c->w->as_admin, c->w->account,
			       ROSTER_FORMAT_XML, text_read, &src, NULL);

	if (rc == ROSTER_EINVALID) {
		assert_int_equal(roster_import_error_count(r), 3);
		assert_string_equal(roster_import_error_rule(r, 1),
				    "email.unique");
		assert_string_equal(roster_import_error_rule(r, 2),
				    "line.unique");
	}
	roster_import_report_free(r);
	return rc;
}

static int run_choices(ctx *c)
{
	return roster_user_choices(&c->choices, D(c), &c->w->as_admin, 0,
				   c->user);
}

static void verify_choices(ctx *c)
{
	assert_null(c->choices);
}

static void check_choices(ctx *c)
{
	size_t i, current = 0;

	assert_int_equal(roster_choices_count(c->choices), 13 + 3);
	/* the target has no licence and no pack yet */
	for (i = 0; i < roster_choices_count(c->choices); i++)
		current += roster_choices_current(c->choices, i);
	assert_int_equal(current, 0);
	roster_choices_free(c->choices);
	c->choices = NULL;
}

static int run_billing(ctx *c)
{
	return roster_billing_summary(&c->billing, D(c), &c->w->as_partner,
				      c->w->account);
}

static void verify_billing(ctx *c)
{
	assert_null(c->billing);
}

static void check_billing(ctx *c)
{
	assert_int_equal(roster_billing_users(c->billing), 3);
	roster_billing_free(c->billing);
	c->billing = NULL;
}

/* A transaction with a station taken and a product licence assigned. */
static void prepare_preview(ctx *c)
{
	prepare_products(c);
	prepare_stations(c);
	assert_int_equal(roster_transaction_begin(D(c)), 0);
	assert_int_equal(run_product_assign(c), 0);
	assert_int_equal(roster_station_order(D(c), &c->w->system, c->w->site,
					      "basic", 2), 0);
}

static int run_preview(ctx *c)
{
	return roster_transaction_preview(&c->preview, D(c));
}

static void verify_preview(ctx *c)
{
	assert_null(c->preview);
}

static void check_preview(ctx *c)
{
	assert_int_equal(roster_preview_delta_count(c->preview), 2);
	assert_int_equal(roster_preview_billing_count(c->preview), 2);
	assert_true(roster_preview_event_count(c->preview) >= 3);
	roster_preview_free(c->preview);
	c->preview = NULL;
	assert_int_equal(roster_transaction_rollback(D(c)), 0);
}

static const tcase cases[] = {
	{ "partner_create", NULL, run_partner_create, check_partner_create,
	  NULL, ROSTER_OK, 0 },
	{ "account_create", NULL, run_account_create, check_account_create,
	  NULL, ROSTER_OK, 0 },
	{ "site_create", NULL, run_site_create, check_site_create, NULL,
	  ROSTER_OK, 0 },
	{ "pbx_create", NULL, run_pbx_create, check_pbx_create, NULL,
	  ROSTER_OK, 0 },
	{ "group_create", NULL, run_group_create, check_group_create, NULL,
	  ROSTER_OK, 0 },
	{ "rename_site", NULL, run_rename_site, check_rename_site, NULL,
	  ROSTER_OK, 0 },
	{ "rename_account", NULL, run_rename_account, check_rename_account,
	  NULL, ROSTER_OK, 0 },
	{ "rename_partner", NULL, run_rename_partner, check_rename_partner,
	  NULL, ROSTER_OK, 0 },
	{ "helpdesk", NULL, run_helpdesk, check_helpdesk, NULL, ROSTER_OK, 0 },
	{ "delete_site", prepare_spare_site, run_delete_site,
	  check_delete_site, NULL, ROSTER_OK, 0 },
	{ "delete_pbx", prepare_spare_pbx_group, run_delete_pbx,
	  check_delete_pbx, NULL, ROSTER_OK, 0 },
	{ "delete_group", prepare_spare_pbx_group, run_delete_group,
	  check_delete_group, NULL, ROSTER_OK, 0 },
	{ "delete_account", prepare_empty_account, run_delete_account,
	  check_delete_account, NULL, ROSTER_OK, 0 },
	{ "form_new", NULL, run_form_new, check_form_new, verify_form_new,
	  ROSTER_OK, 0 },
	{ "form_set_str", prepare_old_form, run_set_str, check_set_str,
	  verify_form_kept, ROSTER_OK, 1 },
	{ "form_set_str_note", prepare_old_form, run_set_note, check_set_note,
	  verify_form_kept, ROSTER_OK, 1 },
	{ "form_set_lines", prepare_old_form, run_set_lines, check_set_lines,
	  verify_form_kept, ROSTER_OK, 1 },
	{ "form_set_bool", prepare_old_form, run_set_bool, check_set_bool,
	  verify_form_kept, ROSTER_OK, 1 },
	{ "form_set_ref", prepare_old_form, run_set_ref, check_set_ref,
	  verify_form_kept, ROSTER_OK, 1 },
	{ "form_generate_password", prepare_old_form, run_generate,
	  check_generate, verify_form_kept, ROSTER_OK, 1 },
	{ "user_create_apostrophes", prepare_apostrophes, run_user_create,
	  check_apostrophes, verify_user_create, ROSTER_OK, 0 },
	{ "user_create_full", prepare_full_form, run_user_create,
	  check_user_create, verify_user_create, ROSTER_OK, 0 },
	{ "user_create_in_transaction", prepare_full_form_in_txn,
	  run_user_create, check_user_create_in_txn, verify_user_create,
	  ROSTER_OK, 0 },
	{ "user_update_many", prepare_update_many, run_update,
	  check_update_many, verify_old_password, ROSTER_OK, 0 },
	{ "account_licences", NULL, run_account_licences,
	  check_account_licences, NULL, ROSTER_OK, 0 },
	{ "licence_change", prepare_licence_change, run_update,
	  check_licence_change, NULL, ROSTER_OK, 0 },
	{ "station_order", NULL, run_station_order, check_station_order, NULL,
	  ROSTER_OK, 0 },
	{ "station_disconnect", prepare_stations, run_station_disconnect,
	  check_station_disconnect, NULL, ROSTER_OK, 0 },
	{ "pack_change", prepare_pack_change, run_update, check_pack_change,
	  NULL, ROSTER_OK, 0 },
	{ "product_assign", prepare_products, run_product_assign,
	  check_product_assign, NULL, ROSTER_OK, 0 },
	{ "import_products", prepare_products, run_import_products,
	  check_import_products, NULL, ROSTER_OK, 0 },
	{ "import_refused_keys", NULL, run_import_refused_keys,
	  check_import_refused_keys, NULL, ROSTER_EINVALID, 0 },
	{ "import_twice_keys", NULL, run_import_twice_keys,
	  check_import_refused_keys, NULL, ROSTER_EINVALID, 0 },
	{ "user_choices", prepare_target, run_choices, check_choices,
	  verify_choices, ROSTER_OK, 0 },
	{ "billing_summary", prepare_products, run_billing, check_billing,
	  verify_billing, ROSTER_OK, 0 },
	{ "transaction_preview", prepare_preview, run_preview, check_preview,
	  verify_preview, ROSTER_OK, 0 },
	{ "user_update_demote", prepare_demote, run_update, check_demote, NULL,
	  ROSTER_OK, 0 },
	{ "user_update_generate", prepare_regenerate, run_update_as_admin,
	  check_regenerate, verify_old_password, ROSTER_OK, 0 },
	{ "user_delete", prepare_delete, run_user_delete, check_user_delete,
	  NULL, ROSTER_OK, 0 },
	{ "user_get", prepare_reader, run_user_get, check_user_get,
	  verify_user_get, ROSTER_OK, 0 },
	{ "record_get", prepare_reader, run_record_get, check_record_get,
	  verify_record_get, ROSTER_OK, 0 },
	{ "list", prepare_reader, run_list, check_list, verify_list, ROSTER_OK,
	  0 },
	{ "find_login", prepare_reader, run_find_login, check_find_login, NULL,
	  ROSTER_OK, 0 },
	{ "login", prepare_reader, run_login, check_login, verify_login,
	  ROSTER_OK, 0 },
	{ "login_wrong_password", prepare_reader, run_login_wrong,
	  check_login_wrong, NULL, ROSTER_EAUTH, 0 },
	{ "password_generate", NULL, run_generate_buf, check_generate_buf, NULL,
	  ROSTER_OK, 0 },
	{ "password_reset_all", prepare_three_users, run_reset_all,
	  check_reset_all, NULL, ROSTER_OK, 0 },
	{ "password_reset_some", prepare_three_users, run_reset_some,
	  check_reset_some, NULL, ROSTER_OK, 0 },
	{ "product_unassign", prepare_products_held, run_product_unassign,
	  check_product_unassign, NULL, ROSTER_OK, 0 },
	{ "product_purchase", prepare_products, run_product_purchase,
	  check_product_purchase, NULL, ROSTER_OK, 0 },
	{ "product_release", prepare_products_held, run_product_release,
	  check_product_release, NULL, ROSTER_OK, 0 },
	{ "product_assign_in_transaction", prepare_products_in_txn, run_assign_in_txn,
	  check_assign_in_txn, NULL, ROSTER_OK, 0 },
	{ "welcome_send_all", prepare_three_users, run_welcome_all,
	  check_welcome_all, NULL, ROSTER_OK, 0 },
	{ "welcome_send_some", prepare_three_users, run_welcome_some,
	  check_welcome_some, NULL, ROSTER_OK, 0 },
	{ "token_redeem_reset", prepare_reset_token, run_redeem,
	  check_redeem_reset, verify_redeem, ROSTER_OK, 0 },
	{ "token_redeem_welcome", prepare_welcome_token, run_redeem,
	  check_redeem_welcome, verify_redeem, ROSTER_OK, 0 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Give up on a call that still fails after this many injections. */
#define MAX_RUNS 2000

/*
 * Run `t` with N = 1, 2, ... failing. `setup`, when given, runs before
 * each run with no failure injected, after the "before" state was taken
 * (it opens the transaction the run commits). With `on_store` the
 * directory lives on a memory store, and every failed run must also leave
 * the store as it was: the same keys, versions and bytes, and the same
 * directory for a host that opens it afresh.
 */
static void torture_with(const tcase *t, void (*setup)(ctx *c), int persistent,
			 int on_store)
{
	roster_directory_options opts = hooked_options();
	ctx c;
	long n, live, fired, writing = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&H, 0, sizeof(H));
	if (on_store) {
		assert_int_equal(roster_memstore_new(&c.ms), 0);
		opts = store_options(c.ms);
	}
	c.w = world_new(&opts);
	if (t->prepare)
		t->prepare(&c);
	world_events_clear(c.w);
	if (on_store && !roster_transaction_active(D(&c)))
		assert_in_sync(D(&c), c.ms, t->name);

	for (n = 1; n <= MAX_RUNS; n++) {
		char *before = snapshot_take(D(&c)), *after;
		char *dump = on_store ? store_dump(c.ms) : NULL;
		char *stored = on_store ? store_snapshot(c.ms) : NULL;
		const roster_error *err;

		live = H.live;
		if (setup)
			setup(&c);
		S.begins = S.rollbacks = 0;
		arm(n, persistent);
		rc = t->run(&c);
		fired = H.fired;
		disarm();
		if (on_store && S.open)
			fail_msg("%s: allocation %ld: a storage transaction "
				 "was left open",
				 t->name, n);
		if (!fired) {
			free(before);
			free(dump);
			free(stored);
			if (rc != t->expect)
				fail_msg("%s: with no failure injected it "
					 "returned %d (%s), not %d",
					 t->name, rc,
					 roster_error_rule(
						 roster_directory_error(D(&c))),
					 t->expect);
			break;
		}
		if (rc != ROSTER_ENOMEM)
			fail_msg("%s: allocation %ld failed (%s), but the call "
				 "returned %d (%s)",
				 t->name, n, persistent ? "and on" : "once", rc,
				 rc == t->expect ? "success"
						 : roster_strerror(rc));
		err = t->tl_error ? roster_error_last()
				  : roster_directory_error(D(&c));
		if (roster_error_code(err) != ROSTER_ENOMEM ||
		    strcmp(roster_error_rule(err), "nomem") != 0)
			fail_msg("%s: allocation %ld failed; the error says %d "
				 "rule %s",
				 t->name, n, roster_error_code(err),
				 roster_error_rule(err));
		if (H.live != live)
			fail_msg("%s: allocation %ld failed (%s); %ld block(s) "
				 "%s",
				 t->name, n, persistent ? "and on" : "once",
				 labs(H.live - live),
				 H.live > live ? "leaked" : "freed too many");
		if (c.w->nevents)
			fail_msg("%s: allocation %ld failed, yet %zu event(s) "
				 "were raised (first: %s)",
				 t->name, n, c.w->nevents,
				 roster_event_type_name(c.w->events[0].type));
		after = snapshot_take(D(&c));
		if (strcmp(before, after) != 0) {
			print_error("%s: allocation %ld failed (%s)\n",
				    t->name, n, persistent ? "and on" : "once");
			snapshot_assert_equal(before, after, t->name);
		}
		free(before);
		free(after);
		if (on_store) {
			if (S.rollbacks != S.begins)
				fail_msg("%s: allocation %ld failed after the "
					 "store began a write, which was not "
					 "rolled back",
					 t->name, n);
			writing += S.begins > 0;
			assert_store_kept(c.ms, dump, stored, t->name);
			free(dump);
			free(stored);
		}
		if (t->verify)
			t->verify(&c);
	}
	if (n > MAX_RUNS)
		fail_msg("%s: still failing after %d runs", t->name, MAX_RUNS);
	if (on_store)
		print_message("%s: %ld allocation(s) failed in turn, %ld of "
			      "them while writing to the store\n",
			      t->name, n - 1, writing);
	else
		print_message("%s: %ld allocation(s) failed in turn\n",
			      t->name, n - 1);
	if (on_store && !roster_transaction_active(D(&c)))
		assert_in_sync(D(&c), c.ms, t->name);
	if (t->check)
		t->check(&c);
	if (on_store && !roster_transaction_active(D(&c)))
		assert_in_sync(D(&c), c.ms, t->name);
	roster_form_free(c.form);
	world_free(c.w);
	if (H.live != 0)
		fail_msg("%s: %ld block(s) left after the directory was freed",
			 t->name, H.live);
	roster_memstore_free(c.ms);
}

static void torture(const tcase *t, int persistent)
{
	torture_with(t, NULL, persistent, 0);
}

static void test_once(void **state)
{
	const tcase *t = *state;

	torture(t, 0);
}

static void test_persistent(void **state)
{
	const tcase *t = *state;

	torture(t, 1);
}

/* Opening the directory itself. */
static void test_directory_open(void **state)
{
	int persistent;

	(void)state;
	for (persistent = 0; persistent < 2; persistent++) {
		roster_directory_options opts = hooked_options();
		roster_directory *dir;
		long n;
		int rc;

		memset(&H, 0, sizeof(H));
		for (n = 1;; n++) {
			dir = (roster_directory *)1;
			arm(n, persistent);
			rc = roster_directory_open(&dir, &opts);
			disarm();
			if (!H.fired)
				break;
			assert_int_equal(rc, ROSTER_ENOMEM);
			assert_null(dir);
			assert_int_equal(roster_error_code(roster_error_last()),
					 ROSTER_ENOMEM);
			assert_string_equal(
				roster_error_rule(roster_error_last()),
				"nomem");
			assert_int_equal(H.live, 0);
		}
		assert_int_equal(rc, ROSTER_OK);
		assert_non_null(dir);
		assert_true(n > 1); /* it allocates, so failures were tried */
		roster_directory_free(dir);
		assert_int_equal(H.live, 0);
	}
}

/* ------------------------------------------------------------------ */
/* Commit to a store, refresh, open from a store                       */

/* A case run on a memory store: every case above that works on the
 * directory (not the forms' own thread errors), and the transaction. */
typedef struct store_case {
	const tcase *t;
	void (*setup)(ctx *c);
} store_case;

static void test_store_once(void **state)
{
	const store_case *sc = *state;

	torture_with(sc->t, sc->setup, 0, 1);
}

static void test_store_persistent(void **state)
{
	const store_case *sc = *state;

	torture_with(sc->t, sc->setup, 1, 1);
}

/* A user made on any directory `d`, with every index it can be in. */
static roster_id user_on(roster_directory *d, const world *w,
			 const char *email, const char *ext, const char *line,
			 const char *password)
{
	roster_form *f = NULL;
	roster_id id = 0;

	assert_int_equal(roster_form_new(&f, d), 0);
	str(f, ROSTER_FIELD_FIRST_NAME, "Other");
	str(f, ROSTER_FIELD_LAST_NAME, "Side");
	str(f, ROSTER_FIELD_EMAIL, email);
	str(f, ROSTER_FIELD_EXTENSION, ext);
	str(f, ROSTER_FIELD_NOTE, "made elsewhere");
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_SITE, w->site), 0);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_GROUP, w->group),
			 0);
	assert_int_equal(roster_form_set_lines(f, &line, 1), 0);
	if (password)
		str(f, ROSTER_FIELD_PASSWORD, password);
	assert_int_equal(roster_user_create(&id, d, &w->system, w->account, f),
			 ROSTER_OK);
	roster_form_free(f);
	return id;
}

/* The unique-key indexes still refuse what they held before. */
static void assert_indexes_hold(world *w, const char *line, const char *ext)
{
	roster_form *f = NULL;
	roster_id id = 0;

	assert_int_equal(roster_form_new(&f, w->dir), 0);
	str(f, ROSTER_FIELD_FIRST_NAME, "Dup");
	str(f, ROSTER_FIELD_LAST_NAME, "Licate");
	str(f, ROSTER_FIELD_EMAIL, "dup.licate@acme.example");
	assert_int_equal(roster_form_set_lines(f, &line, 1), 0);
	assert_int_equal(roster_user_create(&id, w->dir, &w->system, w->account,
					    f),
			 ROSTER_EEXISTS);
	assert_err(w, ROSTER_EEXISTS, "line.unique");
	roster_form_free(f);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	str(f, ROSTER_FIELD_FIRST_NAME, "Dup");
	str(f, ROSTER_FIELD_LAST_NAME, "Licate");
	str(f, ROSTER_FIELD_EMAIL, "dup.licate@acme.example");
	str(f, ROSTER_FIELD_EXTENSION, ext);
	assert_int_equal(roster_form_set_ref(f, ROSTER_FIELD_PBX, w->pbx), 0);
	assert_int_equal(roster_user_create(&id, w->dir, &w->system, w->account,
					    f),
			 ROSTER_EEXISTS);
	assert_err(w, ROSTER_EEXISTS, "extension.unique");
	roster_form_free(f);
	assert_int_equal(id, 0);
}

/*
 * Another directory commits to the shared store; the hooked one reads it
 * with roster_directory_refresh, N = 1, 2, ... failing. Each failure
 * leaves it as it was (records, indexes, blocks); the run that succeeds
 * shows the store, and the directory writes on from there.
 */
static void refresh_torture(int persistent)
{
	roster_directory_options opts;
	roster_memstore *ms = NULL;
	roster_directory *b;
	roster_id keeper, leaving, empty, bob, acc, site, pbx, partner, id = 0;
	char *first = NULL;
	world *w;
	long n, live;
	int rc;

	assert_int_equal(roster_memstore_new(&ms), 0);
	memset(&H, 0, sizeof(H));
	opts = store_options(ms);
	w = world_new(&opts);
	keeper = user_on(w->dir, w, "keeper@acme.example", "210",
			 "+33 1 21 00 00 01", "Keeper-password-1");
	leaving = user_on(w->dir, w, "leaving@acme.example", "211",
			  "+33 1 21 00 00 02", NULL);
	assert_int_equal(roster_group_create(&empty, w->dir, &w->as_partner,
					     w->account, "Empty"),
			 0);

	/* the other directory changes much of it */
	b = open_plain(ms);
	bob = user_on(b, w, "bob@acme.example", "212", "+33 1 21 00 00 03",
		      "Bob-password-1");
	assert_int_equal(set_note(b, &w->as_partner, w->admin, "seen by b"), 0);
	assert_int_equal(roster_user_delete(b, &w->as_partner, leaving), 0);
	assert_int_equal(roster_account_create(&acc, b, &w->as_partner,
					       w->partner, "Initech"),
			 0);
	assert_int_equal(roster_site_create(&site, b, &w->as_partner, acc,
					    "Brno"),
			 0);
	assert_int_equal(roster_pbx_create(&pbx, b, &w->as_partner, acc,
					   "Brno PBX", 3, 4),
			 0);
	assert_int_equal(roster_record_rename(b, &w->as_partner, w->site,
					      "Paris Est"),
			 0);
	assert_int_equal(roster_record_delete(b, &w->as_partner, empty), 0);
	assert_int_equal(roster_partner_create(&partner, b, &w->system,
					       "Partner Three"),
			 0);
	world_events_clear(w);
	first = snapshot_take(w->dir);

	for (n = 1; n <= MAX_RUNS; n++) {
		char *before = snapshot_take(w->dir), *after;

		live = H.live;
		arm(n, persistent);
		rc = roster_directory_refresh(w->dir);
		disarm();
		if (!H.fired) {
			free(before);
			assert_int_equal(rc, ROSTER_OK);
			break;
		}
		if (rc != ROSTER_ENOMEM)
			fail_msg("refresh: allocation %ld failed (%s), but it "
				 "returned %d",
				 n, persistent ? "and on" : "once", rc);
		assert_err(w, ROSTER_ENOMEM, "nomem");
		if (H.live != live)
			fail_msg("refresh: allocation %ld failed (%s); %ld "
				 "block(s) %s",
				 n, persistent ? "and on" : "once",
				 labs(H.live - live),
				 H.live > live ? "leaked" : "freed too many");
		assert_int_equal(w->nevents, 0);
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "refresh");
		free(before);
		free(after);
		assert_indexes_hold(w, "+33 1 21 00 00 02", "211");
	}
	if (n > MAX_RUNS)
		fail_msg("refresh: still failing after %d runs", MAX_RUNS);
	print_message("refresh: %ld allocation(s) failed in turn\n", n - 1);

	/* it shows the store now, and goes on from there */
	{
		char *now = snapshot_take(w->dir);
		assert_string_not_equal(first, now);
		free(now);
	}
	free(first);
	assert_in_sync(w->dir, ms, "refresh");
	assert_int_equal(roster_user_find_login(&id, w->dir, "bob@acme.example"),
			 0);
	assert_int_equal(id, bob);
	assert_indexes_hold(w, "+33 1 21 00 00 03", "212");
	assert_indexes_hold(w, "+33 1 21 00 00 01", "210");
	assert_int_equal(roster_user_find_login(&id, w->dir,
						"keeper@acme.example"),
			 0);
	assert_int_equal(id, keeper);
	assert_int_equal(roster_login(&id, w->dir, "bob@acme.example",
				      "Bob-password-1"),
			 ROSTER_OK);
	id = user_on(w->dir, w, "leaving@acme.example", "211",
		     "+33 1 21 00 00 02", NULL);
	assert_true(id > partner);
	assert_int_equal(set_note(w->dir, &w->as_partner, bob, "seen by a"), 0);
	assert_int_equal(roster_directory_refresh(b), 0);
	assert_in_sync(b, ms, "refresh, the other way");
	roster_directory_free(b);
	world_free(w);
	assert_int_equal(H.live, 0);
	roster_memstore_free(ms);
}

static void test_refresh_once(void **state)
{
	(void)state;
	refresh_torture(0);
}

static void test_refresh_persistent(void **state)
{
	(void)state;
	refresh_torture(1);
}

/* Opening a directory on a store that holds records. */
static void test_open_on_store(void **state)
{
	roster_memstore *ms = NULL;
	roster_directory_options opts;
	roster_directory *dir;
	char *stored;
	world *w;
	int persistent;

	(void)state;
	assert_int_equal(roster_memstore_new(&ms), 0);
	assert_int_equal(roster_directory_options_init(
				 &opts, ROSTER_DIRECTORY_OPTIONS_VERSION),
			 0);
	opts.storage = M();
	opts.store = ms;
	w = world_new(&opts);
	user_on(w->dir, w, "one@acme.example", "220", "+33 1 22 00 00 01",
		"One-password-1");
	user_on(w->dir, w, "two@acme.example", "221", "+33 1 22 00 00 02",
		NULL);
	world_free(w);
	stored = store_snapshot(ms);

	for (persistent = 0; persistent < 2; persistent++) {
		long n;
		int rc;

		opts = store_options(ms);
		memset(&H, 0, sizeof(H));
		for (n = 1; n <= MAX_RUNS; n++) {
			dir = (roster_directory *)1;
			arm(n, persistent);
			rc = roster_directory_open(&dir, &opts);
			disarm();
			if (!H.fired)
				break;
			if (rc != ROSTER_ENOMEM)
				fail_msg("open: allocation %ld failed (%s), "
					 "but it returned %d",
					 n, persistent ? "and on" : "once", rc);
			assert_null(dir);
			assert_int_equal(roster_error_code(roster_error_last()),
					 ROSTER_ENOMEM);
			assert_string_equal(
				roster_error_rule(roster_error_last()),
				"nomem");
			if (H.live != 0)
				fail_msg("open: allocation %ld failed (%s); "
					 "%ld block(s) leaked",
					 n, persistent ? "and on" : "once",
					 H.live);
			assert_int_equal(S.open, 0);
		}
		if (n > MAX_RUNS)
			fail_msg("open: still failing after %d runs", MAX_RUNS);
		print_message("open on a store (%s): %ld allocation(s) failed "
			      "in turn\n",
			      persistent ? "fail from then on" : "fail once",
			      n - 1);
		assert_int_equal(rc, ROSTER_OK);
		assert_non_null(dir);
		{
			char *now = snapshot_take(dir);
			snapshot_assert_equal(stored, now, "open on a store");
			free(now);
		}
		roster_directory_free(dir);
		assert_int_equal(H.live, 0);
	}
	free(stored);
	roster_memstore_free(ms);
}

/*
 * A commit that loses a race while allocations fail. Before each run the
 * other directory changes the user again, so the hooked one is stale and
 * its write conflicts; the run is the call that commits (an update, or
 * the commit of a transaction opened with no failure injected). A
 * failure before the store refused the write is ROSTER_ENOMEM and
 * changes nothing; a failure in the refresh that follows the conflict
 * must still report the conflict, and leave the directory either as it
 * was (the refresh failed) or exactly as the store holds it; never
 * anything in between, nor a leak, nor an event, nor a write.
 */
static void conflict_torture(int persistent, int explicit)
{
	const char *name = explicit ? "conflict (transaction)" : "conflict";
	roster_directory_options opts;
	roster_memstore *ms = NULL;
	roster_directory *b;
	roster_id target, site = 0;
	roster_form *f = NULL;
	long n, live, fired, nomem = 0, kept = 0, refreshed = 0;
	world *w;
	int rc;

	assert_int_equal(roster_memstore_new(&ms), 0);
	memset(&H, 0, sizeof(H));
	opts = store_options(ms);
	w = world_new(&opts);
	target = user_on(w->dir, w, "target@acme.example", "230",
			 "+33 1 23 00 00 01", NULL);
	b = open_plain(ms);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "a"), 0);
	world_events_clear(w);

	for (n = 1; n <= MAX_RUNS; n++) {
		char note[32], *before, *dump, *stored, *after;
		const roster_error *err = roster_directory_error(w->dir);

		snprintf(note, sizeof(note), "b%ld", n);
		assert_int_equal(set_note(b, &w->as_partner, target, note), 0);
		before = snapshot_take(w->dir);
		dump = store_dump(ms);
		stored = store_snapshot(ms);
		assert_string_not_equal(before, stored);
		live = H.live;
		if (explicit) {
			assert_int_equal(roster_transaction_begin(w->dir), 0);
			assert_int_equal(roster_site_create(&site, w->dir,
							    &w->as_partner,
							    w->account,
							    "Conflict site"),
					 0);
			assert_int_equal(set_note(w->dir, &w->as_partner,
						  target, "a"),
					 0);
		}
		S.begins = S.rollbacks = 0;
		arm(n, persistent);
		rc = explicit ? roster_transaction_commit(w->dir)
			      : roster_user_update(w->dir, &w->as_partner,
						   target, f);
		fired = H.fired;
		disarm();
		if (S.open)
			fail_msg("%s: allocation %ld: a storage transaction "
				 "was left open",
				 name, n);
		assert_int_equal(roster_transaction_active(w->dir), 0);
		if (w->nevents)
			fail_msg("%s: allocation %ld: %zu event(s) raised",
				 name, n, w->nevents);
		assert_store_kept(ms, dump, stored, name);
		after = snapshot_take(w->dir);
		if (rc == ROSTER_ENOMEM) {
			if (!fired)
				fail_msg("%s: ROSTER_ENOMEM with no failure "
					 "injected",
					 name);
			if (roster_error_code(err) != ROSTER_ENOMEM ||
			    strcmp(roster_error_rule(err), "nomem") != 0)
				fail_msg("%s: allocation %ld failed; the error "
					 "says %d rule %s",
					 name, n, roster_error_code(err),
					 roster_error_rule(err));
			snapshot_assert_equal(before, after, name);
			if (H.live != live)
				fail_msg("%s: allocation %ld failed; %ld "
					 "block(s) %s",
					 name, n, labs(H.live - live),
					 H.live > live ? "leaked"
						       : "freed too many");
			nomem++;
		} else if (rc == ROSTER_ECONFLICT) {
			if (roster_error_code(err) != ROSTER_ECONFLICT ||
			    strcmp(roster_error_rule(err),
				   "storage.conflict") != 0)
				fail_msg("%s: allocation %ld: the conflict "
					 "was reported as %d rule %s",
					 name, n, roster_error_code(err),
					 roster_error_rule(err));
			if (strcmp(before, after) == 0) {
				/* the refresh failed: the stale state stays */
				if (!fired)
					fail_msg("%s: no refresh after the "
						 "conflict",
						 name);
				if (H.live != live)
					fail_msg("%s: allocation %ld failed in "
						 "the refresh; %ld block(s) %s",
						 name, n, labs(H.live - live),
						 H.live > live
							 ? "leaked"
							 : "freed too many");
				kept++;
			} else {
				snapshot_assert_equal(stored, after, name);
				refreshed += fired > 0;
			}
		} else {
			fail_msg("%s: allocation %ld failed (%s): returned %d "
				 "(%s)",
				 name, n, persistent ? "and on" : "once", rc,
				 roster_strerror(rc));
		}
		if (explicit) {
			roster_record *r = NULL;

			assert_int_equal(roster_record_get(&r, w->dir, site),
					 ROSTER_ENOTFOUND);
		}
		free(before);
		free(dump);
		free(stored);
		free(after);
		if (!fired) {
			assert_int_equal(rc, ROSTER_ECONFLICT);
			break;
		}
	}
	if (n > MAX_RUNS)
		fail_msg("%s: still failing after %d runs", name, MAX_RUNS);
	print_message("%s: %ld allocation(s) failed in turn: %ld ROSTER_ENOMEM, "
		      "%ld conflicts with the refresh failing, %ld refreshed "
		      "all the same\n",
		      name, n - 1, nomem, kept, refreshed);
	assert_true(nomem > 0);
	assert_true(kept > 0);
	/* the directory saw the winner and now wins */
	assert_in_sync(w->dir, ms, name);
	assert_int_equal(set_note(w->dir, &w->as_partner, target, "a"), 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 1);
	assert_in_sync(w->dir, ms, name);
	roster_form_free(f);
	roster_directory_free(b);
	world_free(w);
	assert_int_equal(H.live, 0);
	roster_memstore_free(ms);
}

static void test_conflict_once(void **state)
{
	(void)state;
	conflict_torture(0, 0);
}

static void test_conflict_persistent(void **state)
{
	(void)state;
	conflict_torture(1, 0);
}

static void test_conflict_txn_once(void **state)
{
	(void)state;
	conflict_torture(0, 1);
}

static void test_conflict_txn_persistent(void **state)
{
	(void)state;
	conflict_torture(1, 1);
}

/*
 * Another directory took the outbox's next event numbers (it committed a
 * change of another user), so the hooked directory's commit finds them
 * taken, rolls back, reads the event counter again and writes once more.
 * A failure in either attempt is ROSTER_ENOMEM with nothing written.
 */
static void renumber_torture(int persistent)
{
	roster_directory_options opts;
	roster_memstore *ms = NULL;
	roster_directory *b;
	roster_form *f = NULL;
	roster_id x, y;
	long n, live, fired, retried = 0;
	world *w;
	int rc;

	assert_int_equal(roster_memstore_new(&ms), 0);
	memset(&H, 0, sizeof(H));
	opts = store_options(ms);
	w = world_new(&opts);
	x = user_on(w->dir, w, "x@acme.example", "240", "+33 1 24 00 00 01",
		    NULL);
	y = user_on(w->dir, w, "y@acme.example", "241", "+33 1 24 00 00 02",
		    NULL);
	b = open_plain(ms);
	assert_int_equal(roster_form_new(&f, w->dir), 0);
	assert_int_equal(roster_form_set_str(f, ROSTER_FIELD_NOTE, "from a"),
			 0);
	world_events_clear(w);

	for (n = 1; n <= MAX_RUNS; n++) {
		char note[32], *before, *dump, *stored, *after;

		snprintf(note, sizeof(note), "b%ld", n);
		assert_int_equal(set_note(b, &w->as_partner, y, note), 0);
		before = snapshot_take(w->dir);
		dump = store_dump(ms);
		stored = store_snapshot(ms);
		live = H.live;
		S.begins = S.rollbacks = 0;
		arm(n, persistent);
		rc = roster_user_update(w->dir, &w->as_partner, x, f);
		fired = H.fired;
		disarm();
		if (S.open)
			fail_msg("renumber: allocation %ld: a storage "
				 "transaction was left open",
				 n);
		if (!fired) {
			free(before);
			free(dump);
			free(stored);
			if (rc != ROSTER_OK)
				fail_msg("renumber: with no failure injected "
					 "it returned %d (%s)",
					 rc,
					 roster_error_rule(
						 roster_directory_error(w->dir)));
			/* it did lose the numbers once */
			assert_int_equal(S.begins, 2);
			break;
		}
		if (rc != ROSTER_ENOMEM)
			fail_msg("renumber: allocation %ld failed (%s), but it "
				 "returned %d (%s)",
				 n, persistent ? "and on" : "once", rc,
				 roster_strerror(rc));
		assert_err(w, ROSTER_ENOMEM, "nomem");
		if (H.live != live)
			fail_msg("renumber: allocation %ld failed (%s); %ld "
				 "block(s) %s",
				 n, persistent ? "and on" : "once",
				 labs(H.live - live),
				 H.live > live ? "leaked" : "freed too many");
		assert_int_equal(w->nevents, 0);
		assert_int_equal(S.rollbacks, S.begins);
		retried += S.begins > 1;
		after = snapshot_take(w->dir);
		snapshot_assert_equal(before, after, "renumber");
		assert_store_kept(ms, dump, stored, "renumber");
		free(before);
		free(after);
		free(dump);
		free(stored);
	}
	if (n > MAX_RUNS)
		fail_msg("renumber: still failing after %d runs", MAX_RUNS);
	print_message("renumber: %ld allocation(s) failed in turn, %ld of "
		      "them in the second attempt\n",
		      n - 1, retried);
	assert_true(retried > 0);
	assert_int_equal(world_count(w, ROSTER_EVENT_USER_UPDATED), 1);
	assert_int_equal(roster_directory_refresh(w->dir), 0);
	assert_in_sync(w->dir, ms, "renumber");
	roster_form_free(f);
	roster_directory_free(b);
	world_free(w);
	assert_int_equal(H.live, 0);
	roster_memstore_free(ms);
}

static void test_renumber_once(void **state)
{
	(void)state;
	renumber_torture(0);
}

static void test_renumber_persistent(void **state)
{
	(void)state;
	renumber_torture(1);
}

/*
 * The outbox read back and acknowledged under allocation failure: a
 * failed replay delivers nothing, a failed acknowledgement removes
 * nothing, and neither leaks.
 */
static void outbox_torture(int persistent)
{
	roster_directory_options opts;
	roster_memstore *ms = NULL;
	long n, live, fired;
	size_t count, pending;
	world *w;
	int rc, what;

	assert_int_equal(roster_memstore_new(&ms), 0);
	memset(&H, 0, sizeof(H));
	opts = store_options(ms);
	w = world_new(&opts);
	user_on(w->dir, w, "x@acme.example", "240", "+33 1 24 00 00 01", NULL);
	assert_int_equal(roster_outbox_replay(w->dir, 0, &pending), 0);
	assert_true(pending > 2);
	for (what = 0; what < 2; what++) {
		for (n = 1; n <= MAX_RUNS; n++) {
			char *dump, *stored;

			dump = store_dump(ms);
			stored = store_snapshot(ms);
			live = H.live;
			world_events_clear(w);
			count = 99;
			arm(n, persistent);
			rc = what ? roster_outbox_ack(w->dir, 0, UINT64_MAX,
						      &count)
				  : roster_outbox_replay(w->dir, 0, &count);
			fired = H.fired;
			disarm();
			if (!fired) {
				assert_int_equal(rc, ROSTER_OK);
				assert_int_equal(count, pending);
				assert_int_equal(w->nevents, what ? 0 : pending);
				free(dump);
				free(stored);
				break;
			}
			if (rc != ROSTER_ENOMEM)
				fail_msg("outbox %s: allocation %ld failed, but "
					 "it returned %d",
					 what ? "ack" : "replay", n, rc);
			assert_err(w, ROSTER_ENOMEM, "nomem");
			assert_int_equal(count, 0);
			assert_int_equal(w->nevents, 0);
			assert_int_equal(H.live, live);
			assert_store_kept(ms, dump, stored, "outbox");
			free(dump);
			free(stored);
		}
		if (n > MAX_RUNS)
			fail_msg("outbox: still failing after %d runs", MAX_RUNS);
		print_message("outbox %s: %ld allocation(s) failed in turn\n",
			      what ? "ack" : "replay", n - 1);
		assert_true(n > 1);
	}
	assert_int_equal(roster_outbox_replay(w->dir, 0, &count), 0);
	assert_int_equal(count, 0);
	world_free(w);
	assert_int_equal(H.live, 0);
	roster_memstore_free(ms);
}

static void test_outbox_once(void **state)
{
	(void)state;
	outbox_torture(0);
}

static void test_outbox_persistent(void **state)
{
	(void)state;
	outbox_torture(1);
}

/* The hooks see every block: a world freed leaves nothing. */
static void test_hooks_see_everything(void **state)
{
	roster_directory_options opts = hooked_options();
	world *w;

	(void)state;
	memset(&H, 0, sizeof(H));
	w = world_new(&opts);
	assert_true(H.total > 0);
	assert_true(H.live > 0);
	world_free(w);
	assert_int_equal(H.live, 0);
}

#define NSTORE_MAX (NCASES + 1)
#define NTESTS_MAX (2 * NCASES + 2 * NSTORE_MAX + 16)

int main(void)
{
	static store_case store_cases[NSTORE_MAX];
	static char names[NTESTS_MAX][96];
	struct CMUnitTest tests[NTESTS_MAX];
	size_t i, n = 0, ns = 0;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
		test_hooks_see_everything);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_directory_open);
	for (i = 0; i < NCASES; i++) {
		snprintf(names[n], sizeof(names[0]), "%s (fail once)",
			 cases[i].name);
		tests[n] = (struct CMUnitTest){ names[n], test_once, NULL, NULL,
						(void *)&cases[i] };
		n++;
		snprintf(names[n], sizeof(names[0]), "%s (fail from then on)",
			 cases[i].name);
		tests[n] = (struct CMUnitTest){ names[n], test_persistent, NULL,
						NULL, (void *)&cases[i] };
		n++;
	}

	/* the same on a memory store, with the transaction commit */
	for (i = 0; i < NCASES; i++)
		if (!cases[i].tl_error)
			store_cases[ns++] = (store_case){ &cases[i], NULL };
	store_cases[ns++] = (store_case){ &txn_commit_case, setup_txn };
	for (i = 0; i < ns; i++) {
		snprintf(names[n], sizeof(names[0]), "%s on a store (fail once)",
			 store_cases[i].t->name);
		tests[n] = (struct CMUnitTest){ names[n], test_store_once, NULL,
						NULL, &store_cases[i] };
		n++;
		snprintf(names[n], sizeof(names[0]),
			 "%s on a store (fail from then on)",
			 store_cases[i].t->name);
		tests[n] = (struct CMUnitTest){ names[n], test_store_persistent,
						NULL, NULL, &store_cases[i] };
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_refresh_once);
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_refresh_persistent);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_open_on_store);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_conflict_once);
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_conflict_persistent);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_outbox_once);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_outbox_persistent);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_renumber_once);
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_renumber_persistent);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_conflict_txn_once);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
		test_conflict_txn_persistent);
	return _cmocka_run_group_tests("core/alloc", tests, n, NULL, NULL);
}
