/*
 * random_calls.c: random sequences of public calls, each checked against
 * the documented invariants.
 *
 * A seed builds a small world (two partners, an account each with an
 * admin, a PBX, sites, a permission group, stations, licences and
 * product licences) and then makes random calls: users created, updated
 * and deleted with random forms (valid and hostile values), stations
 * ordered and disconnected, product licences bought, released, assigned
 * and unassigned, account licences and the Helpdesk service set, sites,
 * PBXs, groups, accounts and partners created, renamed and deleted,
 * password resets, welcome e-mails and token redemptions, transactions
 * (begin, preview, commit, rollback, a nested begin), searches, CSV
 * and XML imports (XML well-formed or not), exports, field access and
 * choices, the outbox replayed (by the directory or one opened afresh)
 * and acknowledged, a new catalog (the default one with licences,
 * packs, the product or editions renamed away, services an edition may
 * order or tiers it offers removed) set on every directory, and the
 * clock moved on. The actor is random too: the system, the account's
 * partner or another one, admins and plain users of the account or of
 * another, unknown ids and an invalid kind. A seed runs in one of three
 * modes (the seed modulo 3): one directory without storage, two
 * directories on one memory store, or two directories on one file store
 * in a temporary directory.
 * In some seeds every directory allocates through hooks that count the
 * blocks live, and a random call now and then has its Nth allocation
 * fail (N random).
 *
 * After every call it checks that:
 * - a refused call sets the directory's error to its code, with a rule
 *   and a message, changes nothing a host can read and delivers no
 *   event; a conflict leaves the store as it was and the directory as
 *   a fresh one on the store sees it;
 * - events come only after a commit, only to the directory that made
 *   the change, with increasing sequence numbers (across the store when
 *   it keeps an outbox) and PBX reloads last; a creation, deletion,
 *   role change or move on a PBX has its event, a change has some;
 * - a preview's events and inventory deltas are those of the commit;
 *   a rollback restores the state at begin; a nested begin is misuse;
 * - stations in service (per site and pack) and product licences
 *   assigned (per account) are those the users hold and never more
 *   than purchased, and an assignment or unassignment reports as many
 *   users changed as the account's count moved; a user with a pack has
 *   a site;
 * - logins, extensions on a PBX and lines are unique; an account's
 *   member and admin counts match its users, and an account with
 *   members never loses its last admin; a user's site, PBX and group
 *   are of its account; a user attached to Helpdesk is in an account
 *   that has it;
 * - a search without text finds every user of the account, as its
 *   count says; a search finds a user by their own name or e-mail; a
 *   search never gives a user twice, nor one out of the account or out
 *   of a partner's scope, and its count agrees; reads change nothing;
 * - a successful import created as many users as it says (none when
 *   dry), and an all-or-nothing import that succeeded had no error; a
 *   malformed XML file (cut short, a DOCTYPE, another namespace, an
 *   unknown element, stray text, too many attributes) stops the import
 *   with ROSTER_EPARSE, the last refusal of its report, and a field
 *   given twice refuses its row; an XML import refuses, row by row, the
 *   columns and rules its dry-run twin refused (the same rows in CSV,
 *   or without comments and CDATA), and its code follows from the
 *   twin's;
 * - an export changes nothing, and imported into an empty account of a
 *   directory of its own with the same sites, PBXes, groups (by name),
 *   services and stock, gives the same users (through roster_user_get:
 *   every field but the password, registered, cloud and iot, the
 *   lines and the product licences), but those holding a licence, pack
 *   or product the catalog no longer has, which are refused;
 * - a token is redeemed once (a user's other links are void then), and
 *   its user then logs in with the new password and is registered; no
 *   token works once a newer link of its kind, a new password or login,
 *   or the user's deletion was committed, nor after its lifetime;
 * - roster_user_field_access and roster_user_choices agree with what
 *   an update then allows;
 * - with storage and an outbox, a replay delivers the events delivered
 *   and not acknowledged, oldest first, with the same sequence numbers
 *   (up to its maximum), and so does a directory opened afresh; an
 *   acknowledgement removes exactly those of its range (none without an
 *   outbox; first > last is ROSTER_EINVAL);
 * - a call whose allocation failed returns ROSTER_ENOMEM (or, having
 *   lost a race first, ROSTER_ECONFLICT), changes nothing, delivers no
 *   event, leaves the store and the transaction state as they were and
 *   no more blocks live; a commit out of memory rolled back to begin;
 *   the directory goes on working, and once every directory is freed no
 *   block is left;
 * - a new catalog is refused in a transaction; else it reports exactly
 *   the users whose licence, pack or product licences it no longer
 *   allows (licence.h: a licence held must be known, offered by the
 *   account's edition, its services ordered and orderable, the user
 *   attached), changes no user, record or count and delivers no event;
 *   from then on what it dropped is never bought, ordered or given to a
 *   user, while what is held of it is still counted and can be given
 *   back (not refused as unknown);
 * - with two directories, both show the same after a refresh, and so
 *   does a directory opened afresh on the store; the users are those
 *   the events created and did not delete.
 * One step of its own races the two directories over the Helpdesk
 * service: one cancels it while the other, stale, attaches a user, or
 * the other way round (the second of the two must conflict).
 *
 * A failure prints the seed, mode and step, the last calls made and
 * the line that replays the seed, and fails the test. A run depends on
 * its seed only (a fake clock; no time, process id or address is used).
 *
 * By default it runs seeds 1 to 120 with 500 calls each (about 6 s).
 * ROSTER_RANDOM_SEED (the first seed), ROSTER_RANDOM_SEEDS (how many)
 * and ROSTER_RANDOM_STEPS (calls per seed) change that, for a replay
 * or a long run:
 *
 *     ROSTER_RANDOM_SEED=7 ROSTER_RANDOM_SEEDS=1 \
 *         build/tests/model_random_calls
 *     ROSTER_RANDOM_SEEDS=3000 ROSTER_RANDOM_STEPS=2000 \
 *         meson test -C build model/random_calls -t 0
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "snapshot.h"

#define SEEDS_DEFAULT 120
#define STEPS_DEFAULT 500

#define MAX_IDS 4096	/* records of one kind a listing can hold */
#define MAX_TOKENS 4096 /* tokens remembered for redemption */
#define LOG_LINES 64	/* calls printed on failure */

/* The generator: xorshift64, seeded from the seed alone. */
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A number below n (0 for n = 0). */
static unsigned R(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

/* True with a chance of pct in 100. */
static int P(unsigned pct)
{
	return R(100) < pct;
}

static int64_t now_t;

static int64_t fake_clock(void *data)
{
	(void)data;
	return now_t;
}

/* The run: what a failure reports. */
static unsigned long long seed_cur;
static long step_cur, steps_cur;
static int mode_cur; /* 0: no storage, 1: memory store, 2: file store */
static int seed_running;

static const char *const mode_names[] = { "one directory",
					  "two on a memory store",
					  "two on a file store" };

/* The last calls made, in a ring. */
static char oplog[LOG_LINES][640];
static size_t nlog;

static void logop(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(oplog[nlog % LOG_LINES], sizeof oplog[0], fmt, ap);
	va_end(ap);
	nlog++;
}

static void print_run(void)
{
	size_t s = nlog > LOG_LINES ? nlog - LOG_LINES : 0;

	if (step_cur < 0)
		print_error("seed %llu (%s), while building the world\n",
			    seed_cur, mode_names[mode_cur]);
	else
		print_error("seed %llu (%s), step %ld; the last calls:\n",
			    seed_cur, mode_names[mode_cur], step_cur);
	for (; s < nlog; s++)
		print_error("  %zu: %s\n", s, oplog[s % LOG_LINES]);
	print_error("replay: ROSTER_RANDOM_SEED=%llu ROSTER_RANDOM_SEEDS=1 "
		    "ROSTER_RANDOM_STEPS=%ld\n",
		    seed_cur, steps_cur);
}

/* An invariant does not hold: report and fail the test. */
static void violation(const char *key, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print_run();
	seed_running = 0;
	fail_msg("[%s] %s", key, msg);
}

/* Where two snapshots first differ: the line number and both lines. */
static void first_difference(char *out, size_t len, const char *a,
			     const char *b)
{
	size_t line = 1, i = 0, start = 0;

	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	snprintf(out, len, "line %zu:\n   %.*s\n   %.*s", line,
		 (int)strcspn(a + start, "\n"), a + start,
		 (int)strcspn(b + start, "\n"), b + start);
}

static void same_snapshot(const char *a, const char *b, const char *key,
			  const char *what)
{
	char diff[1024];

	if (strcmp(a, b) == 0)
		return;
	first_difference(diff, sizeof diff, a, b);
	violation(key, "%s, at %s", what, diff);
}

/* Events as a handle received them. */
typedef struct ev {
	int type;
	uint64_t seq;
	roster_id partner, account, user, pbx;
	int admin;
	char email[300];
} ev;

typedef struct handle {
	roster_directory *dir;
	ev *evs;
	size_t nev, cap;
	int txn;
	uint64_t last_seq;
	char *txn_snap; /* the snapshot at begin */
	int id;
} handle;

static handle H[2];
static int nh;

/* Password tokens the events carried: what they were sent for, and
 * whether a committed change has voided them since (used, superseded by a
 * newer link of the same kind, a new password or login, the user deleted)
 * or they have surely expired (the test's policy keeps the default
 * lifetimes, counted from no later than the delivery). */
typedef struct token {
	char s[160];
	roster_id user;
	int used;
	int type;		/* ROSTER_EVENT_WELCOME_EMAIL or _RESET_EMAIL */
	char email[300];	/* the address it was sent to */
	int64_t expired_at;	/* it no longer works from then on */
} token;
static token toks[MAX_TOKENS];
static size_t ntoks;

/* The users the events created and did not delete, with their account. */
static roster_id mu_user[MAX_IDS], mu_acc[MAX_IDS];
static size_t nmu;

/* What the event callback found wrong (it must not fail the test from
 * inside the library), reported after the call: a sequence number out of
 * order, or more users than the model holds. */
static char pending_msg[256];
static int check_store_seq;
static uint64_t store_seq;

static void model_add(roster_id u, roster_id a)
{
	if (nmu == MAX_IDS) {
		snprintf(pending_msg, sizeof pending_msg,
			 "more users than the test holds");
		return;
	}
	mu_user[nmu] = u;
	mu_acc[nmu++] = a;
}

static void model_del(roster_id u)
{
	size_t i;

	for (i = 0; i < nmu; i++)
		if (mu_user[i] == u) {
			mu_user[i] = mu_user[--nmu];
			mu_acc[i] = mu_acc[nmu];
			return;
		}
}

/* A list of events that grows. */
typedef struct evlist {
	ev *v;
	size_t n, cap;
} evlist;

static ev *evlist_add(evlist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (!l->v)
			abort();
	}
	return &l->v[l->n++];
}

/* The outbox as the store must hold it (when the world keeps one): the
 * events delivered and not acknowledged, in order; and the events a
 * replay delivered. */
static int outbox_on;
static evlist outbox, replayed;

static void ev_fill(ev *r, const roster_event *e)
{
	const char *s = roster_event_email(e);

	r->type = roster_event_type_of(e);
	r->seq = roster_event_seq(e);
	r->partner = roster_event_partner(e);
	r->account = roster_event_account(e);
	r->user = roster_event_user(e);
	r->pbx = roster_event_pbx(e);
	r->admin = roster_event_admin(e);
	snprintf(r->email, sizeof r->email, "%s", s ? s : "");
}

/* The tokens a committed event voids: the older links of the same kind
 * for a new one, every link of a user deleted, given a new password or
 * registered, or whose login is no longer the address a link went to. */
static void void_tokens(const ev *r)
{
	size_t i;

	for (i = 0; i < ntoks; i++) {
		token *t = &toks[i];

		if (t->user != r->user || t->used)
			continue;
		switch (r->type) {
		case ROSTER_EVENT_WELCOME_EMAIL:
		case ROSTER_EVENT_PASSWORD_RESET_EMAIL:
			t->used = t->type == r->type ||
				  strcmp(t->email, r->email) != 0;
			break;
		case ROSTER_EVENT_USER_DELETED:
		case ROSTER_EVENT_PASSWORD_CHANGED:
		case ROSTER_EVENT_USER_REGISTERED:
			t->used = 1;
			break;
		case ROSTER_EVENT_USER_CREATED:
		case ROSTER_EVENT_USER_UPDATED:
		case ROSTER_EVENT_ROLE_CHANGED:
			t->used = r->email[0] && strcmp(t->email, r->email) != 0;
			break;
		default:
			break;
		}
	}
}

static void on_event(const roster_event *e, void *data)
{
	handle *h = data;
	uint64_t sq = roster_event_seq(e);
	const char *s;
	ev *r;

	if (roster_event_replayed(e)) {
		ev_fill(evlist_add(&replayed), e);
		return;
	}
	if (!h)
		return; /* a directory of the test's own */
	if (outbox_on)
		ev_fill(evlist_add(&outbox), e);
	if (h->nev == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 256;
		h->evs = realloc(h->evs, h->cap * sizeof *h->evs);
		if (!h->evs)
			abort();
	}
	r = &h->evs[h->nev++];
	if (sq <= h->last_seq && !pending_msg[0])
		snprintf(pending_msg, sizeof pending_msg,
			 "directory %d: event %llu after %llu", h->id,
			 (unsigned long long)sq,
			 (unsigned long long)h->last_seq);
	if (check_store_seq && sq <= store_seq && !pending_msg[0])
		snprintf(pending_msg, sizeof pending_msg,
			 "event %llu after %llu on the store",
			 (unsigned long long)sq, (unsigned long long)store_seq);
	h->last_seq = sq;
	if (sq > store_seq)
		store_seq = sq;
	ev_fill(r, e);
	void_tokens(r);
	s = roster_event_secret(e);
	if (s && *s && ntoks < MAX_TOKENS) {
		snprintf(toks[ntoks].s, sizeof toks[ntoks].s, "%s", s);
		toks[ntoks].user = r->user;
		toks[ntoks].used = 0;
		toks[ntoks].type = r->type;
		snprintf(toks[ntoks].email, sizeof toks[ntoks].email, "%s",
			 r->email);
		toks[ntoks].expired_at =
			now_t + (r->type == ROSTER_EVENT_WELCOME_EMAIL
					 ? 7 * 86400
					 : 86400);
		ntoks++;
	}
	if (r->type == ROSTER_EVENT_USER_CREATED)
		model_add(r->user, r->account);
	if (r->type == ROSTER_EVENT_USER_DELETED)
		model_del(r->user);
}

static void check_pending(const char *opname)
{
	char b[256];

	if (!pending_msg[0])
		return;
	snprintf(b, sizeof b, "%s", pending_msg);
	pending_msg[0] = 0;
	violation("event", "%s: %s", opname, b);
}

/* Allocation failure: in some seeds every directory allocates through
 * these hooks, which count the blocks live and can fail the fail_at-th
 * allocation of the one call armed. */
#define BLOCK_MAGIC 0x52535452u

typedef union block {
	struct {
		size_t size;
		unsigned magic;
	} h;
	max_align_t align;
} block;

static int hooked;	 /* this seed's directories use the hooks */
static long al_live;	 /* blocks handed out and not freed */
static long fail_at;	 /* the step's call fails this allocation; 0: none */
static long al_seen;	 /* allocations of the call armed */
static long live_at_arm; /* al_live when armed */
static long fail_n;	 /* the allocation that failed */
static int armed, fired; /* a call is armed; its failure was injected */

static int inject(void)
{
	if (!armed || ++al_seen != fail_at)
		return 0;
	fired = 1;
	return 1;
}

static void *t_malloc(size_t size, void *data)
{
	block *b;

	(void)data;
	if (inject() || !(b = malloc(sizeof *b + size)))
		return NULL;
	b->h.size = size;
	b->h.magic = BLOCK_MAGIC;
	al_live++;
	return b + 1;
}

static void *t_realloc(void *p, size_t size, void *data)
{
	block *b, *n;

	if (!p)
		return t_malloc(size, data);
	b = (block *)p - 1;
	if (b->h.magic != BLOCK_MAGIC)
		abort();
	if (inject() || !(n = realloc(b, sizeof *n + size)))
		return NULL;
	n->h.size = size;
	return n + 1;
}

static void t_free(void *p, void *data)
{
	block *b;

	(void)data;
	if (!p)
		return;
	b = (block *)p - 1;
	if (b->h.magic != BLOCK_MAGIC)
		abort();
	b->h.magic = 0;
	al_live--;
	free(b);
}

/* Around the call a step may fail: the first one of the step only. */
static void arm(void)
{
	if (!fail_at)
		return;
	armed = 1;
	al_seen = 0;
	fired = 0;
	fail_n = fail_at;
	live_at_arm = al_live;
}

static void disarm(void)
{
	armed = 0;
	fail_at = 0;
}

/* The catalog the directories decide with since the last change (NULL:
 * the default one). */
static roster_catalog *cur_cat;

/* The world. */
static int storage_mode, no_outbox;
static roster_memstore *ms;
static roster_filestore *fs[2];
static char tmpdir[256], fpath[300];
static const roster_actor SYS = { ROSTER_ACTOR_SYSTEM, 0, 0 };
static roster_id P1, P2, A1, A2, SITE1, ADM1, ADM2;
static roster_id maxid;
static char *store_snap; /* the store as a fresh directory shows it */

static const char *const packs[] = { "premium", "standard", "basic" };
static const char *licences[] = {
	"callcentrum-mini",	  "callcentrum-start",
	"callcentrum-profi",	  "callcentrum-enterprise",
	"helpdesk-mini",	  "helpdesk-start",
	"helpdesk-profi",	  "helpdesk-enterprise",
	"omnichannel-mini",	  "omnichannel-start",
	"omnichannel-profi",	  "omnichannel-enterprise",
	"video"
};
#define NLICENCES (sizeof licences / sizeof *licences)
static const char *const editions[] = { "mini", "start", "profi",
					"enterprise" };

/* The world's catalog, if changed, and the cheap password policy of the
 * test (a catalog brings its own). */
static void set_policy(roster_directory *d)
{
	roster_password_policy pol;

	if (cur_cat &&
	    roster_directory_set_catalog(d, cur_cat, NULL) != ROSTER_OK)
		violation("catalog", "roster_directory_set_catalog failed");
	roster_password_policy_init(&pol, ROSTER_PASSWORD_POLICY_VERSION);
	pol.hash_cost = 1;
	pol.min_length = 8;
	pol.generated_length = 12;
	assert_int_equal(roster_directory_set_password_policy(d, &pol), 0);
}

static roster_directory *open_dir(handle *h, const roster_storage *st,
				  void *store, int nobox)
{
	roster_directory_options o;
	roster_directory *d = NULL;
	int rc;

	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.clock_fn = fake_clock;
	o.event_cb = on_event; /* with no handle, for replays only */
	o.event_data = h;
	o.storage = st;
	o.store = store;
	if (nobox)
		o.flags = ROSTER_DIRECTORY_NO_OUTBOX;
	if (hooked) {
		o.malloc_fn = t_malloc;
		o.realloc_fn = t_realloc;
		o.free_fn = t_free;
	}
	rc = roster_directory_open(&d, &o);
	if (rc)
		violation("open", "roster_directory_open: %d %s", rc,
			  roster_error_rule(roster_error_last()));
	set_policy(d);
	return d;
}

/* A directory opened afresh on the store (NULL without storage); *f
 * gets the file store it opened. */
static roster_directory *fresh_dir(roster_filestore **f)
{
	*f = NULL;
	if (storage_mode == 1)
		return open_dir(NULL, roster_memstore_methods(), ms,
				no_outbox);
	if (storage_mode == 2) {
		if (roster_filestore_open(fpath, ROSTER_FILESTORE_NOSYNC, f))
			violation("reopen", "roster_filestore_open: %s",
				  roster_error_rule(roster_error_last()));
		return open_dir(NULL, roster_filestore_methods(), *f,
				no_outbox);
	}
	return NULL;
}

static char *fresh_snapshot(void)
{
	roster_filestore *f;
	roster_directory *d = fresh_dir(&f);
	char *s;

	s = snapshot_take(d);
	roster_directory_free(d);
	roster_filestore_free(f);
	return s;
}

/* Listings. */
typedef struct ids {
	roster_id v[MAX_IDS];
	size_t n;
} ids;

/* Every child of a kind, in pages of random size; returns the code. */
static int list_try(ids *out, roster_directory *d, roster_id parent,
		    int kind)
{
	char cur[8192];
	const char *next = NULL;
	int first = 1;

	out->n = 0;
	while (first || next) {
		roster_page *p = NULL;
		size_t i;
		int rc = roster_list(&p, d, parent, kind, first ? NULL : cur,
				     1 + R(50));

		if (rc)
			return rc;
		first = 0;
		for (i = 0; i < roster_page_count(p); i++) {
			if (out->n == MAX_IDS)
				violation("full", "more than %d records: use "
						  "fewer steps",
					  MAX_IDS);
			out->v[out->n++] = roster_page_id(p, i);
		}
		next = roster_page_next(p);
		if (next)
			snprintf(cur, sizeof cur, "%s", next);
		roster_page_free(p);
	}
	return 0;
}

static void list_all(ids *out, roster_directory *d, roster_id parent,
		     int kind)
{
	int rc = list_try(out, d, parent, kind);

	if (rc)
		violation("list", "roster_list(%llu, %d): %d %s",
			  (unsigned long long)parent, kind, rc,
			  roster_error_rule(roster_directory_error(d)));
}

static int cmpid(const void *a, const void *b)
{
	roster_id x = *(const roster_id *)a, y = *(const roster_id *)b;

	return x < y ? -1 : x > y;
}

/* What the calling directory shows, to pick arguments from. */
typedef struct view {
	ids partners, accounts, sites, pbxs, groups, users;
	roster_id user_acc[MAX_IDS];
	int user_admin[MAX_IDS];
	roster_id site_acc[MAX_IDS], pbx_acc[MAX_IDS], group_acc[MAX_IDS];
	roster_id acc_partner[MAX_IDS];
} view;
static view V;

static void collect_kind(roster_directory *d, roster_id a, int kind, ids *s,
			 roster_id *acc)
{
	static ids tmp;
	size_t k;

	list_all(&tmp, d, a, kind);
	for (k = 0; k < tmp.n; k++) {
		acc[s->n] = a;
		s->v[s->n++] = tmp.v[k];
	}
}

static void collect(roster_directory *d)
{
	static ids acc;
	view *v = &V;
	size_t i, j, k;

	v->accounts.n = v->sites.n = v->pbxs.n = v->groups.n = 0;
	v->users.n = 0;
	list_all(&v->partners, d, 0, ROSTER_KIND_PARTNER);
	for (i = 0; i < v->partners.n; i++) {
		list_all(&acc, d, v->partners.v[i], ROSTER_KIND_ACCOUNT);
		for (j = 0; j < acc.n; j++) {
			roster_id a = acc.v[j];
			size_t u0 = v->users.n;

			v->acc_partner[v->accounts.n] = v->partners.v[i];
			v->accounts.v[v->accounts.n++] = a;
			collect_kind(d, a, ROSTER_KIND_SITE, &v->sites,
				     v->site_acc);
			collect_kind(d, a, ROSTER_KIND_PBX, &v->pbxs,
				     v->pbx_acc);
			collect_kind(d, a, ROSTER_KIND_GROUP, &v->groups,
				     v->group_acc);
			collect_kind(d, a, ROSTER_KIND_USER, &v->users,
				     v->user_acc);
			for (k = u0; k < v->users.n; k++) {
				roster_user *u = NULL;

				if (roster_user_get(&u, d, v->users.v[k]))
					violation("user.get", "user %llu",
						  (unsigned long long)
							  v->users.v[k]);
				v->user_admin[k] =
					roster_user_bool(u, ROSTER_FIELD_ADMIN);
				roster_user_free(u);
				if (v->users.v[k] > maxid)
					maxid = v->users.v[k];
			}
		}
	}
}

static roster_id pick(const ids *s)
{
	return s->n ? s->v[R((unsigned)s->n)] : 0;
}

static roster_id bogus_id(void)
{
	switch (R(4)) {
	case 0:
		return 0;
	case 1:
		return maxid + 1 + R(5);
	case 2:
		return 1 + R((unsigned)maxid);
	default:
		return (roster_id)-1;
	}
}

/* A record of account a from a listing with its accounts. */
static roster_id pick_of(const ids *s, const roster_id *acc, roster_id a)
{
	static roster_id c[MAX_IDS];
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (acc[i] == a)
			c[n++] = s->v[i];
	return n ? c[R((unsigned)n)] : 0;
}

/* When set, the step's arguments are valid ones mostly. */
static int clean;

static roster_id pick_account(void)
{
	if (clean)
		return P(85) ? A1 : A2;
	if (P(5))
		return bogus_id();
	if (P(60))
		return P(70) ? A1 : A2;
	return pick(&V.accounts);
}

/* A user of account a: an admin (1), not one (0) or either (-1). */
static roster_id pick_user_in(roster_id a, int want_admin)
{
	static roster_id c[MAX_IDS];
	size_t i, n = 0;

	for (i = 0; i < V.users.n; i++)
		if (V.user_acc[i] == a &&
		    (want_admin < 0 || V.user_admin[i] == want_admin))
			c[n++] = V.users.v[i];
	return n ? c[R((unsigned)n)] : 0;
}

static roster_id pick_user(void)
{
	if (!clean && P(4))
		return bogus_id();
	return pick(&V.users);
}

static roster_id account_of_user(roster_id u)
{
	size_t i;

	for (i = 0; i < V.users.n; i++)
		if (V.users.v[i] == u)
			return V.user_acc[i];
	return 0;
}

static roster_id partner_of(roster_id a)
{
	size_t i;

	for (i = 0; i < V.accounts.n; i++)
		if (V.accounts.v[i] == a)
			return V.acc_partner[i];
	return 0;
}

static char actor_desc[64];

static void describe_actor(const roster_actor *a, const char *note)
{
	snprintf(actor_desc, sizeof actor_desc, "{%u,%llu}%s", a->kind,
		 (unsigned long long)a->id, note);
}

/* An actor for a call on account acc, in scope or not. */
static roster_actor pick_actor(roster_id acc)
{
	roster_actor a = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	unsigned r = R(100);
	roster_id u;

	if (clean)
		r = r < 30 ? 0 : r < 60 ? 30 : 60;
	if (r < 22) {
		/* the system */
	} else if (r < 42) {
		a.kind = ROSTER_ACTOR_PARTNER;
		a.id = partner_of(acc) ? partner_of(acc) : P1;
	} else if (r < 48) {
		a.kind = ROSTER_ACTOR_PARTNER;
		a.id = P(50) ? P2 : pick(&V.partners);
	} else if (r < 75) {
		a.kind = ROSTER_ACTOR_USER;
		u = pick_user_in(acc, 1);
		a.id = u ? u : ADM1;
	} else if (r < 87) {
		a.kind = ROSTER_ACTOR_USER;
		u = pick_user_in(acc, 0);
		a.id = u ? u : pick_user();
	} else if (r < 93) {
		a.kind = ROSTER_ACTOR_USER;
		a.id = P(50) ? ADM2 : pick_user();
	} else if (r < 96) {
		a.kind = ROSTER_ACTOR_USER;
		a.id = bogus_id();
	} else if (r < 98) {
		a.kind = ROSTER_ACTOR_PARTNER;
		a.id = bogus_id();
	} else {
		a.kind = 7; /* no such kind */
		a.id = 1;
	}
	describe_actor(&a, "");
	return a;
}

/* Random values, in a ring of buffers. */
static char vbuf[32][1200];
static unsigned vbi;

static char *vnew(void)
{
	return vbuf[vbi++ % 32];
}

static const char *rand_name(void)
{
	static const char *const names[] = {
		"Ada",	   "Bob",     "Dvořák",	 "Zoë",	 "Marie-Hélène",
		"Yılmaz",  "  Lee   Chan ", "Ｆｕｌｌ", "O'Neil", "Novák",
		"Ann",	   "ﬁne",     "José",	 "Chloé"
	};
	const unsigned n = sizeof names / sizeof *names;
	char *b;

	if (clean)
		return names[R(n)];
	switch (R(30)) {
	case 0:
		return "";
	case 1:
		return NULL;
	case 2: /* one over the limit */
		b = vnew();
		memset(b, 'x', 101);
		b[101] = 0;
		return b;
	case 3:
		return "\xff\xfe bad";
	case 4:
		return "ctl\x01x";
	case 5:
		b = vnew();
		memset(b, 'y', 100);
		b[100] = 0;
		return b;
	case 6:
		return "   ";
	default:
		return names[R(n)];
	}
}

static const char *rand_email(void)
{
	char *b = vnew();

	switch (clean ? 9 : R(25)) {
	case 0:
		return "not-an-email";
	case 1:
		return "";
	case 2:
		return NULL;
	case 3:
		memset(b, 'a', 260);
		strcpy(b + 250, "@x.example");
		return b;
	case 4:
		return "\xc3\x28@x.example";
	default:
		snprintf(b, 64, "%s%u@%s.example", P(20) ? "User" : "user",
			 R(40), P(50) ? "acme" : "ACME");
		return b;
	}
}

static const char *rand_ext(void)
{
	char *b = vnew();

	switch (clean ? 9 : R(15)) {
	case 0:
		return "0123";
	case 1:
		return "12";
	case 2:
		return "12a";
	case 3:
		return "";
	case 4:
		return "123456789";
	default:
		snprintf(b, 16, "%u", 100 + R(25));
		return b;
	}
}

static const char *rand_line(void)
{
	char *b = vnew();

	switch (clean ? 9 : R(12)) {
	case 0:
		return "12";
	case 1:
		return "+420 (200) 000-00-1";
	default:
		snprintf(b, 32, "+4202000000%02u", R(20));
		return b;
	}
}

static const char *rand_licence(void)
{
	switch (clean ? 9 : R(16)) {
	case 0:
		return "bogus";
	case 1:
		return "";
	case 2:
		return "BAD ID";
	default:
		/* a licence a new catalog has, now and then */
		if (cur_cat && P(20))
			return roster_catalog_item(
				cur_cat, ROSTER_ITEM_LICENCE,
				R((unsigned)roster_catalog_count(
					cur_cat, ROSTER_ITEM_LICENCE)));
		return licences[R(NLICENCES)];
	}
}

static const char *rand_pack(void)
{
	switch (clean ? 9 : R(10)) {
	case 0:
		return "bogus";
	case 1:
		return "";
	default:
		if (cur_cat && P(20))
			return roster_catalog_item(
				cur_cat, ROSTER_ITEM_PACK,
				R((unsigned)roster_catalog_count(
					cur_cat, ROSTER_ITEM_PACK)));
		return packs[R(3)];
	}
}

static const char *rand_pass(void)
{
	switch (clean ? 9 : R(6)) {
	case 0:
		return "short";
	case 1:
		return "\xff\xff\xff\xff\xff\xff\xff\xff\xff";
	default:
		return P(50) ? "Correct-Horse-1" : "another passw0rd";
	}
}

/* A reference for a field of a user of account a: none, one of a, or
 * (unless clean) one of another account or no record at all. */
static roster_id rand_ref(const ids *s, const roster_id *acc, roster_id a)
{
	if (P(10))
		return 0;
	if (clean)
		return pick_of(s, acc, a);
	if (P(8))
		return bogus_id();
	if (P(8))
		return pick(s);
	return pick_of(s, acc, a);
}

/* A string quoted for the log, in a ring of its own. */
static const char *q(const char *s)
{
	static char qbuf[16][300];
	static unsigned qi;
	char *b;
	size_t i, j = 0;

	if (!s)
		return "NULL";
	b = qbuf[qi++ % 16];
	b[j++] = '"';
	for (i = 0; s[i] && j < 200; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			j += (size_t)snprintf(b + j, 8, "\\x%02x", c);
		else
			b[j++] = (char)c;
	}
	if (s[i])
		j += (size_t)snprintf(b + j, 32, "...(%zu)", strlen(s));
	b[j++] = '"';
	b[j] = 0;
	return b;
}

/* A form's fields, as set, for the log. */
static char formdesc[4096];

static void fd(const char *fmt, ...)
{
	size_t l = strlen(formdesc);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(formdesc + l, sizeof formdesc - l, fmt, ap);
	va_end(ap);
}

static void set_s(roster_form *f, int field, const char *v)
{
	roster_form_set_str(f, field, v);
	fd(" %s=%s", roster_field_name(field), q(v));
}

static void set_b(roster_form *f, int field, int v)
{
	roster_form_set_bool(f, field, v);
	fd(" %s=%d", roster_field_name(field), v);
}

static void set_r(roster_form *f, int field, roster_id v)
{
	roster_form_set_ref(f, field, v);
	fd(" %s=#%llu", roster_field_name(field), (unsigned long long)v);
}

/* Fill a form for a user of account a, to create or to update. */
static void rand_form(roster_form *f, roster_id a, int creating)
{
	unsigned pct = creating ? 25 : 12;

	formdesc[0] = 0;
	if (creating ? P(95) : P(15))
		set_s(f, ROSTER_FIELD_FIRST_NAME, rand_name());
	if (creating ? P(95) : P(15))
		set_s(f, ROSTER_FIELD_LAST_NAME, rand_name());
	if (P(pct))
		set_s(f, ROSTER_FIELD_DISPLAY_NAME, rand_name());
	if (creating ? P(96) : P(15))
		set_s(f, ROSTER_FIELD_EMAIL, rand_email());
	if (P(pct)) {
		if (P(30)) {
			roster_form_generate_password(f);
			fd(" password=generated");
		} else {
			set_s(f, ROSTER_FIELD_PASSWORD, rand_pass());
		}
	}
	if (P(8))
		set_s(f, ROSTER_FIELD_PHONE,
		      clean || P(80) ? "+420 777 123 456" : "12x");
	if (P(5)) {
		set_s(f, ROSTER_FIELD_ADDRESS_STREET, "1 Main St");
		set_s(f, ROSTER_FIELD_ADDRESS_LOCALITY, P(80) ? "Paris" : NULL);
		set_s(f, ROSTER_FIELD_ADDRESS_COUNTRY, P(80) ? "FR" : "FRA");
	}
	if (P(8))
		set_s(f, ROSTER_FIELD_LANGUAGE,
		      P(80) ? (P(50) ? "fr-fr" : "cs-cz") : "xx-yy");
	if (P(pct))
		set_r(f, ROSTER_FIELD_GROUP,
		      rand_ref(&V.groups, V.group_acc, a));
	if (P(pct + 10))
		set_r(f, ROSTER_FIELD_SITE, rand_ref(&V.sites, V.site_acc, a));
	if (P(pct + 10)) {
		if (P(85)) {
			set_r(f, ROSTER_FIELD_PBX,
			      rand_ref(&V.pbxs, V.pbx_acc, a));
			set_s(f, ROSTER_FIELD_EXTENSION, rand_ext());
		} else if (P(50)) {
			set_r(f, ROSTER_FIELD_PBX,
			      rand_ref(&V.pbxs, V.pbx_acc, a));
		} else {
			set_s(f, ROSTER_FIELD_EXTENSION, rand_ext());
		}
	}
	if (P(pct)) {
		const char *lines[17];
		size_t i, n = R(4);

		if (!clean && P(3))
			n = 17; /* over the limit */
		for (i = 0; i < n; i++)
			lines[i] = rand_line();
		roster_form_set_lines(f, lines, n);
		fd(" lines=(");
		for (i = 0; i < n; i++)
			fd("%s%s", i ? "," : "", q(lines[i]));
		fd(")");
	}
	if (P(5)) {
		/* spreadsheet formulas too, which a CSV export defuses */
		static const char *const notes[] = { "a note\nline 2", "=1+2",
						     "'-x", "@home, \"q\"",
						     "''+33 1" };

		set_s(f, ROSTER_FIELD_NOTE, P(90) ? notes[R(5)] : "\x01");
	}
	if (P(6))
		set_b(f, ROSTER_FIELD_TWO_FACTOR, (int)R(2));
	if (P(6))
		set_b(f, ROSTER_FIELD_API_COMMUNICATOR, (int)R(2));
	if (P(5))
		set_b(f, ROSTER_FIELD_STATUTORY, (int)R(2));
	if (!clean && P(4))
		set_b(f, ROSTER_FIELD_DO_NOT_BILL, (int)R(2));
	if (P(5))
		set_b(f, ROSTER_FIELD_SYSTEM_USER, (int)R(2));
	if (P(creating ? 20 : 12))
		set_b(f, ROSTER_FIELD_ADMIN, (int)R(2));
	if (!clean && P(2))
		set_b(f, ROSTER_FIELD_REGISTERED, (int)R(2));
	if (P(2))
		set_b(f, ROSTER_FIELD_CLOUD, (int)R(2));
	if (P(2))
		set_b(f, ROSTER_FIELD_IOT, (int)R(2));
	if (P(pct + 5))
		set_s(f, ROSTER_FIELD_LICENCE, rand_licence());
	if (P(pct + 10))
		set_s(f, ROSTER_FIELD_PACK, rand_pack());
	if (P(pct))
		set_b(f, ROSTER_FIELD_HELPDESK, (int)R(2));
	if (P(30)) {
		roster_form_confirm(f, ROSTER_CONFIRM_DOWNGRADE);
		fd(" confirm");
	}
}

/* Search over account a as the system, every page, into found (sorted);
 * returns the count the search gives. */
static size_t search_all(roster_directory *d, roster_id a, ids *found,
			 size_t most, const char *who)
{
	roster_query *qq = NULL;
	const char *next = NULL;
	char cur[8192];
	int first = 1;
	size_t cnt = 0;

	assert_int_equal(roster_query_new(&qq), 0);
	found->n = 0;
	while ((first || next) && found->n <= most) {
		roster_page *pg = NULL;
		size_t z;
		int rc = roster_search(&pg, d, &SYS, a, qq, first ? NULL : cur,
				       1 + R(7));

		if (rc)
			violation("inv.search", "%s: search: %d %s", who, rc,
				  roster_error_rule(roster_directory_error(d)));
		first = 0;
		for (z = 0; z < roster_page_count(pg) && found->n < MAX_IDS;
		     z++)
			found->v[found->n++] = roster_page_id(pg, z);
		next = roster_page_next(pg);
		if (next)
			snprintf(cur, sizeof cur, "%s", next);
		roster_page_free(pg);
	}
	if (roster_search_count(&cnt, d, &SYS, a, qq))
		violation("inv.search", "%s: search count failed", who);
	roster_query_free(qq);
	qsort(found->v, found->n, sizeof(roster_id), cmpid);
	return cnt;
}

/* Keys that must be unique across the directory, gathered user by user:
 * logins (folded to lower case), extensions per PBX, and lines. */
static char logins[MAX_IDS][300];
static roster_id lpbx[MAX_IDS];
static char lext[MAX_IDS][32];
static size_t nkeys;
static char lines[4 * MAX_IDS][64];
static size_t nlines;

static void check_unique(const roster_user *u, const char *who)
{
	const char *e = roster_user_str(u, ROSTER_FIELD_EMAIL);
	const char *x = roster_user_str(u, ROSTER_FIELD_EXTENSION);
	size_t t, z, m;

	if (e && nkeys < MAX_IDS) {
		for (t = 0; e[t] && t < sizeof logins[0] - 1; t++)
			logins[nkeys][t] = (char)tolower((unsigned char)e[t]);
		logins[nkeys][t] = 0;
		lpbx[nkeys] = roster_user_ref(u, ROSTER_FIELD_PBX);
		snprintf(lext[nkeys], sizeof lext[0], "%s", x ? x : "");
		for (z = 0; z < nkeys; z++) {
			if (!strcmp(logins[z], logins[nkeys]))
				violation("inv.login", "%s: login %s twice",
					  who, e);
			if (lpbx[nkeys] && lpbx[z] == lpbx[nkeys] &&
			    lext[nkeys][0] && !strcmp(lext[z], lext[nkeys]))
				violation("inv.ext",
					  "%s: extension %s twice on PBX %llu",
					  who, lext[nkeys],
					  (unsigned long long)lpbx[nkeys]);
		}
		nkeys++;
	}
	for (m = 0; m < roster_user_line_count(u) && nlines < 4 * MAX_IDS;
	     m++) {
		const char *ln = roster_user_line(u, m);

		for (z = 0; z < nlines; z++)
			if (!strcmp(lines[z], ln))
				violation("inv.line", "%s: line %s twice", who,
					  ln);
		snprintf(lines[nlines++], sizeof lines[0], "%s", ln);
	}
}

/* A user of account a (whose Helpdesk service is on or not): attached to
 * Helpdesk only with the service, its site, PBX and group of a, and a
 * pack only with a site. */
static void check_user(roster_directory *d, const roster_user *u,
		       roster_id a, int helpdesk, const char *who)
{
	static const int refs[] = { ROSTER_FIELD_SITE, ROSTER_FIELD_PBX,
				    ROSTER_FIELD_GROUP };
	unsigned long long id = roster_user_id(u);
	size_t z;

	if (roster_user_bool(u, ROSTER_FIELD_HELPDESK) && !helpdesk)
		violation("inv.helpdesk",
			  "%s: user %llu attached to Helpdesk, account %llu "
			  "has none",
			  who, id, (unsigned long long)a);
	for (z = 0; z < 3; z++) {
		roster_id rid = roster_user_ref(u, refs[z]);
		roster_record *rr = NULL;

		if (!rid)
			continue;
		if (roster_record_get(&rr, d, rid) ||
		    roster_record_parent(rr) != a)
			violation("inv.ref",
				  "%s: user %llu's %s %llu is missing or of "
				  "another account",
				  who, id, roster_field_name(refs[z]),
				  (unsigned long long)rid);
		roster_record_free(rr);
	}
	if (roster_user_str(u, ROSTER_FIELD_PACK) &&
	    !roster_user_ref(u, ROSTER_FIELD_SITE))
		violation("inv.packsite", "%s: user %llu has a pack, no site",
			  who, id);
	check_unique(u, who);
}

/* Does the directory's catalog have the item? */
static int in_catalog(roster_directory *d, int kind, const char *id)
{
	roster_catalog *cat = roster_directory_catalog(d);
	int has = id && roster_catalog_has(cat, kind, id);

	roster_catalog_free(cat);
	return has;
}

/* The stations of a pack at a site, or the product licences of an
 * account: purchased and in use. An item the catalog dropped is counted
 * while held; one not held is unknown then: none. Returns 0 when the
 * count failed otherwise. */
static int counts(roster_directory *d, roster_id rec, int kind,
		  const char *item, size_t *pur, size_t *used)
{
	int rc = kind == ROSTER_ITEM_PACK ?
			 roster_station_counts(d, &SYS, rec, item, pur, used) :
			 roster_product_counts(d, &SYS, rec, item, pur, used);

	if (rc == ROSTER_EINVALID && !in_catalog(d, kind, item)) {
		*pur = *used = 0;
		return 1;
	}
	return rc == ROSTER_OK;
}

/* An account: its counts, inventory and search agree with its users. */
static void check_account(roster_directory *d, roster_id a, const char *who)
{
	static ids users, sites, found;
	static roster_user *us[MAX_IDS];
	size_t nadm = 0, holders = 0, pur, used, cnt, k, m, z, npk;
	const char *pks[8];
	roster_record *rec = NULL;

	list_all(&users, d, a, ROSTER_KIND_USER);
	list_all(&sites, d, a, ROSTER_KIND_SITE);
	if (roster_record_get(&rec, d, a))
		violation("inv.get", "%s: account %llu", who,
			  (unsigned long long)a);
	for (k = 0; k < users.n; k++) {
		if (roster_user_get(&us[k], d, users.v[k]))
			violation("inv.get", "%s: user %llu", who,
				  (unsigned long long)users.v[k]);
		check_user(d, us[k], a, roster_record_helpdesk(rec), who);
		nadm += roster_user_bool(us[k], ROSTER_FIELD_ADMIN);
		for (m = 0; m < roster_user_product_count(us[k]); m++)
			holders += !strcmp(roster_user_product(us[k], m),
					   "meetings");
	}
	if (roster_record_members(rec) != users.n ||
	    roster_record_admins(rec) != nadm)
		violation("inv.counts",
			  "%s: account %llu counts %zu members and %zu "
			  "admins, lists %zu and %zu",
			  who, (unsigned long long)a,
			  roster_record_members(rec),
			  roster_record_admins(rec), users.n, nadm);
	roster_record_free(rec);

	/* Product licences: assigned to their holders, and no more than
	 * purchased. */
	if (!counts(d, a, ROSTER_ITEM_PRODUCT, "meetings", &pur, &used))
		violation("inv.products", "%s: counts failed", who);
	if (used > pur || used != holders)
		violation("inv.products",
			  "%s: account %llu: %zu assigned, %zu purchased, "
			  "%zu holders",
			  who, (unsigned long long)a, used, pur, holders);

	/* Stations: in service for their users, and no more than
	 * purchased; of the default packs and of a new catalog's. */
	npk = 0;
	for (m = 0; m < 3; m++)
		pks[npk++] = packs[m];
	for (m = 0; cur_cat && m < roster_catalog_count(cur_cat,
							 ROSTER_ITEM_PACK);
	     m++) {
		const char *pk = roster_catalog_item(cur_cat, ROSTER_ITEM_PACK, m);

		if (strcmp(pk, packs[0]) && strcmp(pk, packs[1]) &&
		    strcmp(pk, packs[2]) && npk < 8)
			pks[npk++] = pk;
	}
	for (z = 0; z < sites.n; z++)
		for (m = 0; m < npk; m++) {
			if (!counts(d, sites.v[z], ROSTER_ITEM_PACK, pks[m],
				    &pur, &used))
				violation("inv.stations", "%s: counts failed",
					  who);
			holders = 0;
			for (k = 0; k < users.n; k++) {
				const char *pk =
					roster_user_str(us[k], ROSTER_FIELD_PACK);

				holders += pk && !strcmp(pk, pks[m]) &&
					   roster_user_ref(us[k],
							   ROSTER_FIELD_SITE) ==
						   sites.v[z];
			}
			if (used > pur || used != holders)
				violation("inv.stations",
					  "%s: site %llu, %s: %zu in service, "
					  "%zu purchased, %zu users",
					  who, (unsigned long long)sites.v[z],
					  pks[m], used, pur, holders);
		}
	for (k = 0; k < users.n; k++)
		roster_user_free(us[k]);

	/* A search without text finds every user. */
	cnt = search_all(d, a, &found, users.n + 5, who);
	qsort(users.v, users.n, sizeof(roster_id), cmpid);
	if (found.n != users.n ||
	    memcmp(found.v, users.v, found.n * sizeof(roster_id)) ||
	    cnt != users.n)
		violation("inv.search",
			  "%s: account %llu: search finds %zu users, counts "
			  "%zu, lists %zu",
			  who, (unsigned long long)a, found.n, cnt, users.n);
}

/* The invariants of everything a directory shows. */
static void check_invariants(roster_directory *d, const char *who)
{
	static ids parts, accs;
	size_t i, j;

	nkeys = nlines = 0;
	list_all(&parts, d, 0, ROSTER_KIND_PARTNER);
	for (i = 0; i < parts.n; i++) {
		list_all(&accs, d, parts.v[i], ROSTER_KIND_ACCOUNT);
		for (j = 0; j < accs.n; j++)
			check_account(d, accs.v[j], who);
	}
}

/* The users listed are those the events created and did not delete. */
static void check_model(roster_directory *d, const char *who)
{
	static ids parts, accs, users;
	size_t i, j, k, m, total = 0;

	list_all(&parts, d, 0, ROSTER_KIND_PARTNER);
	for (i = 0; i < parts.n; i++) {
		list_all(&accs, d, parts.v[i], ROSTER_KIND_ACCOUNT);
		for (j = 0; j < accs.n; j++) {
			list_all(&users, d, accs.v[j], ROSTER_KIND_USER);
			for (k = 0; k < users.n; k++) {
				for (m = 0; m < nmu; m++)
					if (mu_user[m] == users.v[k])
						break;
				if (m == nmu || mu_acc[m] != accs.v[j])
					violation("model.extra",
						  "%s: user %llu of account "
						  "%llu had no creation event "
						  "there",
						  who,
						  (unsigned long long)users.v[k],
						  (unsigned long long)accs.v[j]);
			}
			total += users.n;
		}
	}
	if (total != nmu)
		violation("model.missing",
			  "%s: the events leave %zu users, the directory "
			  "lists %zu",
			  who, nmu, total);
}

/* Member and admin counts of every account. */
typedef struct accst {
	roster_id id;
	size_t members, admins;
} accst;

static size_t acc_states(roster_directory *d, accst *out)
{
	static ids parts, accs;
	size_t i, j, n = 0;

	list_all(&parts, d, 0, ROSTER_KIND_PARTNER);
	for (i = 0; i < parts.n; i++) {
		list_all(&accs, d, parts.v[i], ROSTER_KIND_ACCOUNT);
		for (j = 0; j < accs.n && n < MAX_IDS; j++) {
			roster_record *r = NULL;

			if (roster_record_get(&r, d, accs.v[j]))
				violation("inv.get", "account %llu",
					  (unsigned long long)accs.v[j]);
			out[n].id = accs.v[j];
			out[n].members = roster_record_members(r);
			out[n].admins = roster_record_admins(r);
			roster_record_free(r);
			n++;
		}
	}
	return n;
}

/* The directory calls are made on, and its state before the call. */
static handle *cur_h;
#define CUR_DIR (cur_h->dir)

static accst before_acc[MAX_IDS], after_acc[MAX_IDS];

typedef struct callctx {
	handle *h;
	char *snap;
	size_t nev0[2];
	size_t nacc;
	int was_txn;
} callctx;

static void pre(callctx *c, handle *h)
{
	c->h = h;
	c->snap = snapshot_take(h->dir);
	c->nev0[0] = H[0].nev;
	c->nev0[1] = H[1].nev;
	c->nacc = acc_states(h->dir, before_acc);
	c->was_txn = h->txn;
}

static size_t new_events(const callctx *c, int which)
{
	return H[which].nev - c->nev0[which];
}

static int has_event(const callctx *c, int type, roster_id user)
{
	const handle *h = c->h;
	size_t i;

	for (i = c->nev0[h->id]; i < h->nev; i++)
		if (h->evs[i].type == type && (!user || h->evs[i].user == user))
			return 1;
	return 0;
}

static int has_reload(const callctx *c, roster_id pbx)
{
	const handle *h = c->h;
	size_t i;

	for (i = c->nev0[h->id]; i < h->nev; i++)
		if (h->evs[i].type == ROSTER_EVENT_PBX_RELOAD &&
		    h->evs[i].pbx == pbx)
			return 1;
	return 0;
}

static const char *rcs(int rc)
{
	static char b[8][96];
	static unsigned i;
	char *s = b[i++ % 8];

	if (rc)
		snprintf(s, sizeof b[0], "%d %s", rc,
			 roster_error_rule(roster_directory_error(CUR_DIR)));
	else
		snprintf(s, sizeof b[0], "0");
	return s;
}

/* Take the store's state again, and sometimes check its invariants. */
static void refresh_store_snap(void)
{
	roster_filestore *f;
	roster_directory *d = fresh_dir(&f);

	free(store_snap);
	store_snap = snapshot_take(d);
	if (P(35))
		check_invariants(d, "a fresh directory");
	roster_directory_free(d);
	roster_filestore_free(f);
}

/* A call whose allocation failed: ROSTER_ENOMEM, no more blocks live
 * (it may free what it no longer needs), the store as it was (the rest is checked as for any refusal). */
static void check_nomem(const callctx *c, int rc, const char *opname)
{
	const roster_error *e = roster_directory_error(c->h->dir);

	fired = 0;
	if (rc == ROSTER_ECONFLICT)
		return; /* lost a race first, then the refresh failed */
	if (rc != ROSTER_ENOMEM || strcmp(roster_error_rule(e), "nomem"))
		violation("nomem.code",
			  "%s: allocation %ld failed, but it returned %s",
			  opname, fail_n, rcs(rc));
	if (al_live > live_at_arm)
		violation("nomem.leak",
			  "%s: allocation %ld failed; %ld more block(s) live",
			  opname, fail_n, al_live - live_at_arm);
	if (storage_mode && !c->was_txn) {
		char *fr = fresh_snapshot();

		same_snapshot(store_snap, fr, "nomem.store",
			      "a call out of memory changed the store");
		free(fr);
	}
}

/* The checks after every call. */
static void post(callctx *c, int rc, const char *opname)
{
	handle *h = c->h;
	const roster_error *e = roster_directory_error(h->dir);
	int other = nh > 1 ? 1 - h->id : -1;
	char *after;
	size_t i, j, na;
	int nomem;

	check_pending(opname);
	nomem = fired;
	if (fired)
		check_nomem(c, rc, opname);
	if (roster_transaction_active(h->dir) != h->txn)
		violation("txn.state", "%s: a transaction is %s", opname,
			  h->txn ? "no longer open" : "open");
	after = snapshot_take(h->dir);
	if (rc != ROSTER_OK) {
		if (!*roster_error_rule(e) || !*roster_error_message(e))
			violation("err.empty", "%s: %d with rule \"%s\" and "
					       "message \"%s\"",
				  opname, rc, roster_error_rule(e),
				  roster_error_message(e));
		if (roster_error_code(e) != rc)
			violation("err.code", "%s returned %d, its error has %d",
				  opname, rc, roster_error_code(e));
		if (new_events(c, 0) || (other >= 0 && new_events(c, 1)))
			violation("err.events",
				  "%s failed (%d %s) but delivered events",
				  opname, rc, roster_error_rule(e));
		if (rc == ROSTER_ECONFLICT && storage_mode && !c->was_txn) {
			/* The store is as it was; the directory shows it. */
			char *fr = fresh_snapshot();

			same_snapshot(store_snap, fr, "conflict.store",
				      "a conflict changed the store");
			/* out of memory, the refresh after it may fail */
			if (nomem && strcmp(fr, after))
				same_snapshot(c->snap, after, "conflict.view",
					      "after a conflict and a failed "
					      "refresh the directory changed");
			else
				same_snapshot(fr, after, "conflict.view",
					      "after a conflict the directory "
					      "differs from the store");
			free(fr);
		} else {
			char what[128];

			snprintf(what, sizeof what, "%s failed (%d %s) but "
				 "changed the directory",
				 opname, rc, roster_error_rule(e));
			same_snapshot(c->snap, after, "err.changed", what);
		}
	} else {
		if (other >= 0 && new_events(c, other))
			violation("ev.other",
				  "%s: events went to the other directory",
				  opname);
		if (h->txn && new_events(c, h->id))
			violation("ev.txn",
				  "%s in a transaction delivered events",
				  opname);
		/* An account with members keeps an admin, unless its only
		 * member is the admin it had. */
		na = acc_states(h->dir, after_acc);
		for (i = 0; i < c->nacc; i++)
			for (j = 0; j < na; j++)
				if (before_acc[i].id == after_acc[j].id &&
				    before_acc[i].admins > 0 &&
				    after_acc[j].admins == 0 &&
				    after_acc[j].members > 0 &&
				    !(before_acc[i].members == 1 &&
				      after_acc[j].members == 1))
					violation("admin.lost",
						  "%s: account %llu had %zu "
						  "admins of %zu members, "
						  "now none of %zu",
						  opname,
						  (unsigned long long)
							  before_acc[i].id,
						  before_acc[i].admins,
						  before_acc[i].members,
						  after_acc[j].members);
		if (storage_mode && !h->txn)
			refresh_store_snap();
	}
	check_invariants(h->dir, opname);
	free(c->snap);
	c->snap = NULL;
	free(after);
}

/* The calls. */

/* A user is never given a licence or pack the catalog dropped (it may
 * keep one it had: was). */
static void given_dropped(const roster_user *was, const roster_user *u)
{
	static const int fields[] = { ROSTER_FIELD_LICENCE, ROSTER_FIELD_PACK };
	static const int kinds[] = { ROSTER_ITEM_LICENCE, ROSTER_ITEM_PACK };
	const char *v, *w;
	int i;

	for (i = 0; i < 2; i++) {
		v = roster_user_str(u, fields[i]);
		w = was ? roster_user_str(was, fields[i]) : NULL;
		if (v && (!w || strcmp(v, w)) &&
		    !in_catalog(CUR_DIR, kinds[i], v))
			violation("catalog.dropped",
				  "user %llu was given %s %s, which the "
				  "catalog no longer has",
				  (unsigned long long)roster_user_id(u),
				  roster_field_name(fields[i]), v);
	}
}

static void op_user_create(void)
{
	roster_id a = pick_account(), out = 0;
	roster_actor act = pick_actor(a);
	roster_form *f = NULL;
	int no_out = P(1), no_actor = P(1), no_form = P(1);
	callctx c;
	int rc;

	assert_int_equal(roster_form_new(&f, CUR_DIR), 0);
	rand_form(f, a, 1);
	pre(&c, cur_h);
	arm();
	rc = roster_user_create(no_out ? NULL : &out, CUR_DIR,
				no_actor ? NULL : &act, a, no_form ? NULL : f);
	disarm();
	logop("d%d user_create(%s, %llu,%s) = %s -> %llu", cur_h->id,
	      no_actor ? "NULL" : actor_desc, (unsigned long long)a,
	      no_form ? " NULL" : formdesc, rcs(rc), (unsigned long long)out);
	if (rc == 0 && !cur_h->txn) {
		roster_user *u = NULL;
		roster_id pbx;

		if (!has_event(&c, ROSTER_EVENT_USER_CREATED, out))
			violation("ev.create", "user %llu created, no event",
				  (unsigned long long)out);
		if (!has_event(&c, ROSTER_EVENT_WELCOME_EMAIL, out))
			violation("ev.welcome",
				  "user %llu created, no welcome e-mail",
				  (unsigned long long)out);
		assert_int_equal(roster_user_get(&u, CUR_DIR, out), 0);
		given_dropped(NULL, u);
		pbx = roster_user_ref(u, ROSTER_FIELD_PBX);
		if (pbx && !has_reload(&c, pbx))
			violation("ev.reload",
				  "user created on PBX %llu, no reload",
				  (unsigned long long)pbx);
		roster_user_free(u);
	}
	post(&c, rc, "user_create");
	roster_form_free(f);
}

static void op_user_update(void)
{
	roster_id u = pick_user(), a = account_of_user(u);
	roster_user *ub = NULL, *ua = NULL;
	roster_form *f = NULL;
	roster_actor act;
	callctx c;
	int rc;

	if (P(15)) {
		act.kind = ROSTER_ACTOR_USER;
		act.reserved = 0;
		act.id = u;
		describe_actor(&act, "(self)");
	} else {
		act = pick_actor(a ? a : A1);
	}
	assert_int_equal(roster_form_new(&f, CUR_DIR), 0);
	rand_form(f, a, 0);
	roster_user_get(&ub, CUR_DIR, u);
	pre(&c, cur_h);
	arm();
	rc = roster_user_update(CUR_DIR, &act, u, f);
	disarm();
	logop("d%d user_update(%s, %llu,%s) = %s", cur_h->id, actor_desc,
	      (unsigned long long)u, formdesc, rcs(rc));
	if (rc == 0 && !cur_h->txn && ub) {
		roster_id p0, p1;
		const char *x0, *x1;
		char *s2;

		assert_int_equal(roster_user_get(&ua, CUR_DIR, u), 0);
		given_dropped(ub, ua);
		p0 = roster_user_ref(ub, ROSTER_FIELD_PBX);
		p1 = roster_user_ref(ua, ROSTER_FIELD_PBX);
		x0 = roster_user_str(ub, ROSTER_FIELD_EXTENSION);
		x1 = roster_user_str(ua, ROSTER_FIELD_EXTENSION);
		if (p1 && (p0 != p1 || !x0 || !x1 || strcmp(x0, x1)) &&
		    !has_reload(&c, p1))
			violation("ev.reload",
				  "user moved to PBX %llu extension %s, no "
				  "reload",
				  (unsigned long long)p1, x1 ? x1 : "none");
		if (roster_user_bool(ub, ROSTER_FIELD_ADMIN) !=
			    roster_user_bool(ua, ROSTER_FIELD_ADMIN) &&
		    !has_event(&c, ROSTER_EVENT_ROLE_CHANGED, u))
			violation("ev.role", "admin role changed, no event");
		roster_user_free(ua);
		s2 = snapshot_take(CUR_DIR);
		if (strcmp(c.snap, s2) && !new_events(&c, cur_h->id))
			violation("ev.update",
				  "user_update changed the directory, no "
				  "event");
		free(s2);
	}
	roster_user_free(ub);
	post(&c, rc, "user_update");
	roster_form_free(f);
}

static void op_user_delete(void)
{
	roster_id u = pick_user(), a = account_of_user(u);
	roster_actor act = pick_actor(a ? a : A1);
	callctx c;
	int rc;

	pre(&c, cur_h);
	arm();
	rc = roster_user_delete(CUR_DIR, &act, u);
	disarm();
	logop("d%d user_delete(%s, %llu) = %s", cur_h->id, actor_desc,
	      (unsigned long long)u, rcs(rc));
	if (rc == 0 && !cur_h->txn &&
	    !has_event(&c, ROSTER_EVENT_USER_DELETED, u))
		violation("ev.delete", "user %llu deleted, no event",
			  (unsigned long long)u);
	post(&c, rc, "user_delete");
}

/* What the catalog dropped is never bought, ordered or assigned
 * (adding), and what is held of it can still be given back. */
static void dropped_item(int rc, int adding, int kind, const char *item,
			 size_t held)
{
	const char *rule = roster_error_rule(roster_directory_error(CUR_DIR));

	if (!item || in_catalog(CUR_DIR, kind, item))
		return;
	if (adding && rc == 0)
		violation("catalog.dropped",
			  "%s, which the catalog no longer has, was added", item);
	if (!adding && held && rc &&
	    (!strcmp(rule, "pack.unknown") || !strcmp(rule, "product.unknown")))
		violation("catalog.held",
			  "%s, which the catalog dropped, is held (%zu) but "
			  "cannot be given back: %s",
			  item, held, rule);
}

static roster_id pick_site(void)
{
	if (P(6))
		return bogus_id();
	if (P(50))
		return SITE1;
	return pick(&V.sites);
}

static void op_station(void)
{
	roster_id s = pick_site(), a = 0;
	const char *pk = rand_pack();
	unsigned n = P(5) ? 0 : P(3) ? 2000000u : 1 + R(3);
	int rc, order = P(60);
	roster_actor act;
	callctx c;
	size_t i, pur, used;

	for (i = 0; i < V.sites.n; i++)
		if (V.sites.v[i] == s)
			a = V.site_acc[i];
	act = pick_actor(a ? a : A1);
	if (!counts(CUR_DIR, s, ROSTER_ITEM_PACK, pk, &pur, &used))
		pur = 0;
	pre(&c, cur_h);
	arm();
	if (order)
		rc = roster_station_order(CUR_DIR, &act, s, pk, n);
	else
		rc = roster_station_disconnect(CUR_DIR, &act, s, pk, n);
	disarm();
	logop("d%d station_%s(%s, %llu, %s, %u) = %s", cur_h->id,
	      order ? "order" : "disconnect", actor_desc,
	      (unsigned long long)s, q(pk), n, rcs(rc));
	dropped_item(rc, order, ROSTER_ITEM_PACK, pk, pur);
	post(&c, rc, order ? "station_order" : "station_disconnect");
}

/* How many users of the account of `user` hold `product` (0 when either
 * is unknown); *acc, when not NULL, gets that account (0 if none). */
static size_t holders_of(roster_id user, const char *product, roster_id *acc)
{
	roster_user *u = NULL;
	roster_id a = 0;
	size_t pur = 0, used = 0;

	if (product && roster_user_get(&u, CUR_DIR, user) == ROSTER_OK) {
		a = roster_user_account(u);
		roster_user_free(u);
		if (!counts(CUR_DIR, a, ROSTER_ITEM_PRODUCT, product, &pur,
			    &used))
			a = 0;
	}
	if (acc)
		*acc = a;
	return a ? used : 0;
}

static void op_product(void)
{
	static const char *const names[] = { "purchase", "release", "assign",
					     "unassign" };
	roster_id a = pick_account(), us[4];
	roster_actor act = pick_actor(a);
	const char *pr = P(90) ? "meetings" : P(50) ? "bogus" : NULL;
	unsigned n = P(5) ? 0 : 1 + R(3), k = R(4);
	size_t i, nu = 1 + R(4), done = 0, pur, used, held;
	roster_id held_acc = 0;
	char ub[128] = "";
	callctx c;
	int rc;

	for (i = 0; i < nu; i++) {
		us[i] = P(85) ? pick_user_in(a, -1) : pick_user();
		snprintf(ub + strlen(ub), sizeof ub - strlen(ub), "%s%llu",
			 i ? "," : "", (unsigned long long)us[i]);
	}
	if (!pr || !counts(CUR_DIR, a, ROSTER_ITEM_PRODUCT, pr, &pur, &used))
		pur = 0;
	held = k >= 2 ? holders_of(us[0], pr, &held_acc) : 0;
	pre(&c, cur_h);
	switch (k) {
	case 0:
		arm();
		rc = roster_product_purchase(CUR_DIR, &act, a, pr, n);
		disarm();
		break;
	case 1:
		arm();
		rc = roster_product_release(CUR_DIR, &act, a, pr, n);
		disarm();
		break;
	case 2:
		arm();
		rc = roster_product_assign(CUR_DIR, &act, pr, us, nu, &done);
		disarm();
		break;
	default:
		arm();
		rc = roster_product_unassign(CUR_DIR, &act, pr, us, nu, &done);
		disarm();
		break;
	}
	logop("d%d product_%s(%s, %llu, %s, %u, {%s}) = %s done=%zu",
	      cur_h->id, names[k], actor_desc, (unsigned long long)a, q(pr),
	      n, ub, rcs(rc), done);
	dropped_item(rc, k == 0 || k == 2, ROSTER_ITEM_PRODUCT, pr, pur);
	post(&c, rc, "product");
	/* the count a selection reports is what it changed */
	if (rc == ROSTER_OK && k >= 2 && held_acc) {
		size_t now = holders_of(us[0], pr, NULL);

		if ((k == 2 ? now - held : held - now) != done)
			violation("product.done",
				  "%s reported %zu users changed, the account "
				  "holds %zu where it held %zu",
				  names[k], done, now, held);
	}
}

static void op_account_cfg(void)
{
	roster_id a = pick_account();
	roster_actor act = pick_actor(a);
	callctx c;
	int rc;

	pre(&c, cur_h);
	if (P(50)) {
		const char *ed, *ls[6];
		size_t i, n;
		char d[512] = "";

		if (P(10))
			ed = NULL;
		else if (P(5))
			ed = "bogus";
		else
			ed = editions[R(4)];
		n = R(6);
		for (i = 0; i < n; i++) {
			ls[i] = P(95) ? licences[R(NLICENCES)] : "bogus";
			snprintf(d + strlen(d), sizeof d - strlen(d), "%s%s",
				 i ? " " : "", ls[i]);
		}
		arm();
		rc = roster_account_set_licences(CUR_DIR, &act, a, ed, ls, n);
		disarm();
		logop("d%d account_set_licences(%s, %llu, %s, {%s}) = %s",
		      cur_h->id, actor_desc, (unsigned long long)a, q(ed), d,
		      rcs(rc));
	} else {
		int on = (int)R(2);

		arm();
		rc = roster_account_set_helpdesk(CUR_DIR, &act, a, on);
		disarm();
		logop("d%d account_set_helpdesk(%s, %llu, %d) = %s", cur_h->id,
		      actor_desc, (unsigned long long)a, on, rcs(rc));
	}
	post(&c, rc, "account_cfg");
}

static void op_records(void)
{
	roster_id a = pick_account(), out = 0, id, p;
	roster_actor act = pick_actor(a);
	unsigned k = R(9), mn, mx;
	char name[32];
	const char *nm;
	callctx c;
	int rc;

	snprintf(name, sizeof name, "%s%u", P(30) ? "N" : "Name", R(6));
	nm = P(5) ? NULL : P(3) ? "\xff" : name;
	pre(&c, cur_h);
	switch (k) {
	case 0:
	case 8:
		arm();
		rc = roster_site_create(&out, CUR_DIR, &act, a, nm);
		disarm();
		logop("d%d site_create(%s, %llu, %s) = %s -> %llu", cur_h->id,
		      actor_desc, (unsigned long long)a, q(nm), rcs(rc),
		      (unsigned long long)out);
		break;
	case 1:
		mn = 2 + R(4);
		mx = P(5) ? 1 : mn + R(3);
		arm();
		rc = roster_pbx_create(&out, CUR_DIR, &act, a, nm, mn, mx);
		disarm();
		logop("d%d pbx_create(%s, %llu, %s, %u, %u) = %s -> %llu",
		      cur_h->id, actor_desc, (unsigned long long)a, q(nm), mn,
		      mx, rcs(rc), (unsigned long long)out);
		break;
	case 2:
		arm();
		rc = roster_group_create(&out, CUR_DIR, &act, a, nm);
		disarm();
		logop("d%d group_create(%s, %llu, %s) = %s -> %llu", cur_h->id,
		      actor_desc, (unsigned long long)a, q(nm), rcs(rc),
		      (unsigned long long)out);
		break;
	case 3:
	case 4:
		switch (R(5)) {
		case 0:
			id = pick(&V.sites);
			break;
		case 1:
			id = pick(&V.pbxs);
			break;
		case 2:
			id = pick(&V.groups);
			break;
		case 3:
			id = pick(&V.accounts);
			break;
		default:
			id = P(50) ? pick(&V.partners) : bogus_id();
			break;
		}
		if (P(30)) {
			act = SYS;
			describe_actor(&act, "");
		}
		arm();
		rc = roster_record_delete(CUR_DIR, &act, id);
		disarm();
		logop("d%d record_delete(%s, %llu) = %s", cur_h->id,
		      actor_desc, (unsigned long long)id, rcs(rc));
		break;
	case 5:
		id = P(50) ? pick(&V.sites) : pick(&V.groups);
		arm();
		rc = roster_record_rename(CUR_DIR, &act, id, nm);
		disarm();
		logop("d%d record_rename(%s, %llu, %s) = %s", cur_h->id,
		      actor_desc, (unsigned long long)id, q(nm), rcs(rc));
		break;
	case 6:
		p = P(70) ? pick(&V.partners) : bogus_id();
		arm();
		rc = roster_account_create(&out, CUR_DIR, &act, p, nm);
		disarm();
		logop("d%d account_create(%s, %llu, %s) = %s -> %llu",
		      cur_h->id, actor_desc, (unsigned long long)p, q(nm),
		      rcs(rc), (unsigned long long)out);
		break;
	default:
		if (P(50)) {
			act = SYS;
			describe_actor(&act, "");
		}
		arm();
		rc = roster_partner_create(&out, CUR_DIR, &act, nm);
		disarm();
		logop("d%d partner_create(%s, %s) = %s -> %llu", cur_h->id,
		      actor_desc, q(nm), rcs(rc), (unsigned long long)out);
		break;
	}
	post(&c, rc, "records");
}

/* Redeem a token the events carried (or garbage): once only, and the
 * user then logs in with the new password. */
static void op_redeem(void)
{
	size_t t = R((unsigned)ntoks), z;
	const char *pw = rand_pass(), *tok = P(5) ? "garbage" : toks[t].s;
	roster_id out = 0;
	callctx c;
	/* as before the call: its own events void the token */
	int was_void = toks[t].used;
	int rc;

	pre(&c, cur_h);
	arm();
	rc = roster_token_redeem(&out, CUR_DIR, tok, pw);
	disarm();
	logop("d%d token_redeem(token %zu of user %llu%s, %s) = %s -> %llu",
	      cur_h->id, t, (unsigned long long)toks[t].user,
	      was_void ? ", void" : "", q(pw), rcs(rc),
	      (unsigned long long)out);
	if (rc == 0) {
		if (out != toks[t].user)
			violation("token.user",
				  "a token of user %llu redeemed for %llu",
				  (unsigned long long)toks[t].user,
				  (unsigned long long)out);
		if (!cur_h->txn) {
			roster_user *u = NULL;
			roster_id who = 0;
			int lr;

			if (was_void)
				violation("token.reuse",
					  "a used, superseded or voided token "
					  "was redeemed");
			if (now_t >= toks[t].expired_at)
				violation("token.expired",
					  "an expired token was redeemed");
			/* Every link of the user is void now. */
			for (z = 0; z < ntoks; z++)
				if (toks[z].user == out)
					toks[z].used = 1;
			assert_int_equal(roster_user_get(&u, CUR_DIR, out), 0);
			lr = roster_login(&who, CUR_DIR,
					  roster_user_str(u, ROSTER_FIELD_EMAIL),
					  pw);
			if (lr || who != out)
				violation("token.login",
					  "no login after redeeming: %d", lr);
			if (!roster_user_bool(u, ROSTER_FIELD_REGISTERED))
				violation("token.registered",
					  "not registered after redeeming");
			roster_user_free(u);
		}
	}
	post(&c, rc, "token_redeem");
}

static void op_password(void)
{
	roster_id a = pick_account(), us[3];
	roster_actor act = pick_actor(a);
	size_t i, n = P(30) ? 0 : 1 + R(3);
	int reset = P(50), rc;
	char ub[128] = "";
	callctx c;

	for (i = 0; i < n; i++) {
		us[i] = P(85) ? pick_user_in(a, -1) : pick_user();
		snprintf(ub + strlen(ub), sizeof ub - strlen(ub), "%s%llu",
			 i ? "," : "", (unsigned long long)us[i]);
	}
	pre(&c, cur_h);
	arm();
	if (reset)
		rc = roster_password_reset(CUR_DIR, &act, a, n ? us : NULL, n);
	else
		rc = roster_welcome_send(CUR_DIR, &act, a, n ? us : NULL, n);
	disarm();
	logop("d%d %s(%s, %llu, {%s}) = %s", cur_h->id,
	      reset ? "password_reset" : "welcome_send", actor_desc,
	      (unsigned long long)a, ub, rcs(rc));
	post(&c, rc, reset ? "password_reset" : "welcome_send");
}

static void op_clock(void)
{
	now_t += P(80) ? 60 : 8 * 86400;
	logop("clock now %lld", (long long)now_t);
}

/* Inventory counts: purchased and in use, per record and item. */
typedef struct cnt {
	roster_id rec;
	char item[40];
	long long pur, used;
} cnt;
#define MAX_CNT (4 * MAX_IDS)
static cnt begin_cnt[MAX_CNT], after_cnt[MAX_CNT], pv_delta[MAX_CNT];
static size_t nbegin_cnt, npv_delta;

static size_t counts_add(cnt *out, size_t n, roster_id rec, const char *item,
			 size_t pu, size_t us)
{
	if (n == MAX_CNT)
		violation("full", "more counts than the test holds");
	out[n].rec = rec;
	snprintf(out[n].item, sizeof out[n].item, "%s", item);
	out[n].pur = (long long)pu;
	out[n].used = (long long)us;
	return n + 1;
}

static size_t counts_map(roster_directory *d, cnt *out)
{
	static ids parts, accs, sites;
	size_t i, j, k, p, n = 0, pu, us;

	list_all(&parts, d, 0, ROSTER_KIND_PARTNER);
	for (i = 0; i < parts.n; i++) {
		list_all(&accs, d, parts.v[i], ROSTER_KIND_ACCOUNT);
		for (j = 0; j < accs.n; j++) {
			pu = us = 0;
			roster_product_counts(d, &SYS, accs.v[j], "meetings",
					      &pu, &us);
			n = counts_add(out, n, accs.v[j], "meetings", pu, us);
			list_all(&sites, d, accs.v[j], ROSTER_KIND_SITE);
			for (k = 0; k < sites.n; k++)
				for (p = 0; p < 3; p++) {
					pu = us = 0;
					roster_station_counts(d, &SYS,
							      sites.v[k],
							      packs[p], &pu,
							      &us);
					n = counts_add(out, n, sites.v[k],
						       packs[p], pu, us);
				}
		}
	}
	return n;
}

static void find_cnt(const cnt *m, size_t n, roster_id rec, const char *item,
		     long long *pur, long long *used)
{
	size_t i;

	*pur = *used = 0;
	for (i = 0; i < n; i++)
		if (m[i].rec == rec && !strcmp(m[i].item, item)) {
			*pur += m[i].pur;
			*used += m[i].used;
		}
}

/* A preview's events. */
static ev prev_evs[8192];
static size_t nprev;

/* Take a preview of h's transaction; returns whether it succeeded. */
static int take_preview(handle *h)
{
	roster_preview *pv = NULL;
	callctx c;
	size_t i;
	int rc;

	pre(&c, h);
	arm();
	rc = roster_transaction_preview(&pv, h->dir);
	disarm();
	logop("d%d transaction_preview() = %s", h->id, rcs(rc));
	if (rc == 0) {
		nprev = roster_preview_event_count(pv);
		if (nprev > sizeof prev_evs / sizeof *prev_evs)
			violation("full", "more events than the test holds");
		for (i = 0; i < nprev; i++) {
			const roster_event *e = roster_preview_event(pv, i);
			const char *s = roster_event_email(e);

			prev_evs[i].type = roster_event_type_of(e);
			prev_evs[i].partner = roster_event_partner(e);
			prev_evs[i].account = roster_event_account(e);
			prev_evs[i].user = roster_event_user(e);
			prev_evs[i].pbx = roster_event_pbx(e);
			prev_evs[i].admin = roster_event_admin(e);
			snprintf(prev_evs[i].email, sizeof prev_evs[i].email,
				 "%s", s ? s : "");
			if (roster_event_secret(e))
				violation("preview.secret",
					  "a preview's event carries a secret");
		}
		npv_delta = 0;
		for (i = 0; i < roster_preview_delta_count(pv); i++) {
			int kind;
			roster_id rec;
			const char *item;
			long long pu, us;

			if (roster_preview_delta(pv, i, &kind, &rec, &item, &pu,
						 &us))
				violation("preview.delta", "delta %zu", i);
			if (npv_delta == MAX_CNT)
				violation("full",
					  "more deltas than the test holds");
			pv_delta[npv_delta].rec = rec;
			snprintf(pv_delta[npv_delta].item,
				 sizeof pv_delta[0].item, "%s",
				 item ? item : "");
			pv_delta[npv_delta].pur = pu;
			pv_delta[npv_delta].used = us;
			npv_delta++;
		}
	}
	roster_preview_free(pv);
	post(&c, rc, "preview");
	return rc == 0;
}

static void commit(handle *h, int have_prev)
{
	callctx c;
	size_t e0, n, i, na;
	int rc, seen, nomem;

	pre(&c, h);
	e0 = h->nev;
	arm();
	rc = roster_transaction_commit(h->dir);
	disarm();
	logop("d%d transaction_commit() = %s", h->id, rcs(rc));
	h->txn = 0;
	check_pending("commit");
	nomem = fired;
	if (fired && rc != ROSTER_ENOMEM && rc != ROSTER_ECONFLICT)
		violation("nomem.code",
			  "commit: allocation %ld failed, but it returned %s",
			  fail_n, rcs(rc));
	fired = 0;
	if (rc == 0) {
		n = h->nev - e0;
		if (have_prev && n != nprev)
			violation("preview.count",
				  "the preview had %zu events, the commit "
				  "delivered %zu",
				  nprev, n);
		for (i = 0; have_prev && i < n; i++) {
			const ev *x = &h->evs[e0 + i], *y = &prev_evs[i];

			if (x->type != y->type || x->user != y->user ||
			    x->account != y->account || x->pbx != y->pbx ||
			    x->partner != y->partner ||
			    strcmp(x->email, y->email) ||
			    (x->type == ROSTER_EVENT_ROLE_CHANGED &&
			     x->admin != y->admin))
				violation("preview.event",
					  "event %zu: the preview's is %d "
					  "(user %llu, account %llu, PBX "
					  "%llu, %s), the commit's %d (user "
					  "%llu, account %llu, PBX %llu, %s)",
					  i, y->type,
					  (unsigned long long)y->user,
					  (unsigned long long)y->account,
					  (unsigned long long)y->pbx, y->email,
					  x->type,
					  (unsigned long long)x->user,
					  (unsigned long long)x->account,
					  (unsigned long long)x->pbx, x->email);
		}
		/* With one directory nothing else changed the counts since
		 * begin, so they moved by the preview's deltas. */
		if (have_prev && nh == 1) {
			na = counts_map(h->dir, after_cnt);
			for (i = 0; i < na; i++) {
				long long bp, bu, dp, du;

				find_cnt(begin_cnt, nbegin_cnt,
					 after_cnt[i].rec, after_cnt[i].item,
					 &bp, &bu);
				find_cnt(pv_delta, npv_delta, after_cnt[i].rec,
					 after_cnt[i].item, &dp, &du);
				if (after_cnt[i].pur - bp != dp ||
				    after_cnt[i].used - bu != du)
					violation("preview.deltas",
						  "record %llu, %s: purchased "
						  "%lld to %lld, in use %lld "
						  "to %lld, the preview said "
						  "%+lld and %+lld",
						  (unsigned long long)
							  after_cnt[i].rec,
						  after_cnt[i].item, bp,
						  after_cnt[i].pur, bu,
						  after_cnt[i].used, dp, du);
			}
		}
		seen = 0;
		for (i = e0; i < h->nev; i++) {
			if (h->evs[i].type == ROSTER_EVENT_PBX_RELOAD)
				seen = 1;
			else if (seen)
				violation("ev.order",
					  "an event after a PBX reload");
		}
		if (storage_mode)
			refresh_store_snap();
		check_invariants(h->dir, "commit");
	} else {
		/* A failed commit rolled back and closed the transaction:
		 * only a conflict may make it fail here. */
		if (h->nev != e0)
			violation("commit.events",
				  "a failed commit delivered events");
		if (rc == ROSTER_ECONFLICT) {
			char *fr = fresh_snapshot(), *af = snapshot_take(h->dir);

			same_snapshot(store_snap, fr, "conflict.store",
				      "a failed commit changed the store");
			if (nomem && strcmp(fr, af))
				same_snapshot(h->txn_snap, af, "conflict.view",
					      "after a failed commit and "
					      "refresh the directory is not "
					      "as at begin");
			else
				same_snapshot(fr, af, "conflict.view",
					      "after a failed commit the "
					      "directory differs from the "
					      "store");
			free(fr);
			free(af);
		} else if (rc == ROSTER_ENOMEM) {
			/* rolled back: as at begin, the store as it was */
			char *af = snapshot_take(h->dir), *fr;

			same_snapshot(h->txn_snap, af, "nomem.commit",
				      "after a commit out of memory the "
				      "directory is not as at begin");
			if (storage_mode) {
				fr = fresh_snapshot();
				same_snapshot(store_snap, fr, "nomem.store",
					      "a commit out of memory changed "
					      "the store");
				free(fr);
			}
			free(af);
		} else {
			violation("commit.fail", "commit failed: %s", rcs(rc));
		}
		check_invariants(h->dir, "failed commit");
	}
	if (roster_transaction_active(h->dir))
		violation("txn.active", "a transaction is open after commit");
	free(c.snap);
}

static void rollback(handle *h)
{
	size_t e0 = h->nev;
	char *af;
	int rc;

	rc = roster_transaction_rollback(h->dir);
	logop("d%d transaction_rollback() = %s", h->id, rcs(rc));
	h->txn = 0;
	if (rc)
		violation("rollback", "rollback failed: %d", rc);
	if (h->nev != e0)
		violation("rollback.events", "a rollback delivered events");
	af = snapshot_take(h->dir);
	same_snapshot(h->txn_snap, af, "rollback.state",
		      "the state after rollback differs from that at begin");
	free(af);
	check_invariants(h->dir, "rollback");
}

static void op_txn(void)
{
	handle *h = cur_h;
	int have_prev = 0, rc;
	callctx c;

	if (!h->txn) {
		pre(&c, h);
		arm();
		rc = roster_transaction_begin(CUR_DIR);
		disarm();
		logop("d%d transaction_begin() = %s", h->id, rcs(rc));
		if (rc == 0) {
			h->txn = 1;
			h->txn_snap = snapshot_take(CUR_DIR);
			nbegin_cnt = counts_map(CUR_DIR, begin_cnt);
		}
		post(&c, rc, "begin");
		return;
	}
	if (P(15)) {
		pre(&c, h);
		rc = roster_transaction_begin(CUR_DIR);
		logop("d%d transaction_begin() = %s", h->id, rcs(rc));
		if (rc != ROSTER_EMISUSE)
			violation("txn.nested", "a nested begin gave %d", rc);
		post(&c, rc, "nested begin");
		return;
	}
	if (P(60))
		have_prev = take_preview(h);
	if (P(55))
		commit(h, have_prev);
	else
		rollback(h);
	free(h->txn_snap);
	h->txn_snap = NULL;
}

/* A search for a user's own last name, e-mail or first name finds them. */
static void op_search_self(void)
{
	roster_id u = pick(&V.users);
	roster_query *qq = NULL;
	roster_user *x = NULL;
	const char *t, *next = NULL;
	unsigned which = R(3);
	static const int fields[] = { ROSTER_FIELD_LAST_NAME,
				      ROSTER_FIELD_EMAIL,
				      ROSTER_FIELD_FIRST_NAME };
	char cur[8192];
	int first = 1, found = 0, rc;
	size_t i, n = 0;

	if (!u || roster_user_get(&x, CUR_DIR, u))
		return;
	t = roster_user_str(x, fields[which]);
	assert_int_equal(roster_query_new(&qq), 0);
	if (!t || roster_query_set_text(qq, t)) {
		roster_query_free(qq);
		roster_user_free(x);
		return;
	}
	while (first || next) {
		roster_page *pg = NULL;

		rc = roster_search(&pg, CUR_DIR, &SYS, roster_user_account(x), qq,
				   first ? NULL : cur, 50);
		if (rc)
			violation("search.self", "search %s failed: %d", q(t),
				  rc);
		first = 0;
		for (i = 0; i < roster_page_count(pg); i++, n++)
			if (roster_page_id(pg, i) == u)
				found = 1;
		next = roster_page_next(pg);
		if (next)
			snprintf(cur, sizeof cur, "%s", next);
		roster_page_free(pg);
	}
	logop("d%d search(%llu's %s %s) found=%d of %zu", cur_h->id,
	      (unsigned long long)u, roster_field_name(fields[which]), q(t),
	      found, n);
	if (!found)
		violation("search.self", "a search for user %llu's %s %s "
					 "does not find them",
			  (unsigned long long)u,
			  roster_field_name(fields[which]), q(t));
	roster_query_free(qq);
	roster_user_free(x);
}

/* The filters of a random search, 0 or NULL where it has none. */
typedef struct search_filters {
	int filter; /* ROSTER_FILTER_* */
	const char *licence, *pack, *product;
	roster_id group, site;
} search_filters;

/* Does user u pass the filters, as its fields say? */
static int passes(const roster_user *u, const search_filters *f)
{
	const char *v;
	size_t i;
	int ok = 1;

	switch (f->filter) {
	case ROSTER_FILTER_ADMINS:
		ok = roster_user_bool(u, ROSTER_FIELD_ADMIN) == 1;
		break;
	case ROSTER_FILTER_REGISTERED:
		ok = roster_user_bool(u, ROSTER_FIELD_REGISTERED) == 1;
		break;
	case ROSTER_FILTER_UNREGISTERED:
		ok = roster_user_bool(u, ROSTER_FIELD_REGISTERED) == 0;
		break;
	case ROSTER_FILTER_PBX_USERS:
		ok = roster_user_ref(u, ROSTER_FIELD_PBX) != 0;
		break;
	case ROSTER_FILTER_CLOUD:
		ok = roster_user_bool(u, ROSTER_FIELD_CLOUD) == 1;
		break;
	case ROSTER_FILTER_IOT:
		ok = roster_user_bool(u, ROSTER_FIELD_IOT) == 1;
		break;
	}
	if (ok && f->licence)
		ok = (v = roster_user_str(u, ROSTER_FIELD_LICENCE)) &&
		     !strcmp(v, f->licence);
	if (ok && f->pack)
		ok = (v = roster_user_str(u, ROSTER_FIELD_PACK)) &&
		     !strcmp(v, f->pack);
	if (ok && f->product) {
		for (i = 0, ok = 0; i < roster_user_product_count(u); i++)
			ok |= !strcmp(roster_user_product(u, i), f->product);
	}
	if (ok && f->group)
		ok = roster_user_ref(u, ROSTER_FIELD_GROUP) == f->group;
	if (ok && f->site)
		ok = roster_user_ref(u, ROSTER_FIELD_SITE) == f->site;
	return ok;
}

/* A search without text found `found[0..n)`: every user the actor finds
 * in scope with no filter that passes them, and no other. */
static void check_filtered(const roster_actor *act, roster_id a,
			   const search_filters *f, const roster_id *found,
			   size_t n)
{
	roster_query *all = NULL;
	char cur[8192];
	const char *next = NULL;
	size_t expect = 0, i, z;
	int first = 1;

	assert_int_equal(roster_query_new(&all), 0);
	while (first || next) {
		roster_page *pg = NULL;

		if (roster_search(&pg, CUR_DIR, act, a, all, first ? NULL : cur,
				  500))
			violation("search.filter", "the search without "
				  "filters was refused");
		first = 0;
		for (i = 0; pg && i < roster_page_count(pg); i++) {
			roster_id id = roster_page_id(pg, i);
			roster_user *u = NULL;

			if (roster_user_get(&u, CUR_DIR, id))
				continue;
			if (passes(u, f)) {
				expect++;
				for (z = 0; z < n && found[z] != id; z++)
					;
				if (z == n)
					violation("search.filter",
						  "user %llu passes the filters "
						  "but was not found",
						  (unsigned long long)id);
			}
			roster_user_free(u);
		}
		next = pg ? roster_page_next(pg) : NULL;
		if (next)
			snprintf(cur, sizeof cur, "%s", next);
		roster_page_free(pg);
	}
	if (expect != n)
		violation("search.filter", "%zu users found, %zu pass the "
			  "filters", n, expect);
	roster_query_free(all);
}

/* A random search as a random actor: no user twice, none out of scope,
 * the count agrees, nothing changes; without text, what is found is what
 * the filters let through. */
static void op_search(void)
{
	static const char *const texts[] = {
		"", "a", "dvor", "ZÁK", "user1", "ma dv", "12", "+420", "\xff",
		"ｆｕｌｌ", "yilmaz", "hel"
	};
	static roster_id seen[MAX_IDS];
	roster_id a = P(20) ? 0 : pick_account();
	roster_actor act = pick_actor(a ? a : A1);
	const char *t = texts[R(12)], *next = NULL;
	roster_query *qq = NULL;
	size_t cnt = 0, n = 0, i, z, e0 = cur_h->nev;
	char cur[8192], *s0, *s1;
	int first = 1, rc = 0, rc2;
	search_filters want;

	memset(&want, 0, sizeof(want));
	assert_int_equal(roster_query_new(&qq), 0);
	roster_query_set_text(qq, t);
	if (P(30))
		roster_query_filter(qq, want.filter = 1 + (int)R(6));
	if (P(15))
		roster_query_item(qq, ROSTER_ITEM_PACK, want.pack = packs[R(3)]);
	if (P(10))
		roster_query_item(qq, ROSTER_ITEM_PRODUCT,
				  want.product = "meetings");
	if (P(10))
		roster_query_item(qq, ROSTER_ITEM_LICENCE,
				  want.licence = licences[R(NLICENCES)]);
	if (P(10))
		roster_query_ref(qq, ROSTER_FIELD_SITE, want.site = pick(&V.sites));
	if (P(10))
		roster_query_ref(qq, ROSTER_FIELD_GROUP,
				 want.group = pick(&V.groups));
	s0 = snapshot_take(CUR_DIR);
	while ((first || next) && n < MAX_IDS - 64) {
		roster_page *pg = NULL;

		rc = roster_search(&pg, CUR_DIR, &act, a, qq, first ? NULL : cur,
				   1 + R(5));
		if (rc)
			break;
		first = 0;
		for (i = 0; i < roster_page_count(pg); i++) {
			roster_id id = roster_page_id(pg, i);

			for (z = 0; z < n; z++)
				if (seen[z] == id)
					violation("search.twice",
						  "the search gave %llu twice",
						  (unsigned long long)id);
			seen[n++] = id;
		}
		next = roster_page_next(pg);
		if (next)
			snprintf(cur, sizeof cur, "%s", next);
		roster_page_free(pg);
	}
	rc2 = roster_search_count(&cnt, CUR_DIR, &act, a, qq);
	logop("d%d search(%s, %llu, %s) = %s, %zu users; count = %s, %zu",
	      cur_h->id, actor_desc, (unsigned long long)a, q(t), rcs(rc), n,
	      rcs(rc2), cnt);
	if ((rc == 0) != (rc2 == 0))
		violation("search.rc", "the search gives %d, its count %d", rc,
			  rc2);
	if (rc == 0 && cnt != n)
		violation("search.count", "the search gives %zu, its count %zu",
			  n, cnt);
	for (i = 0; rc == 0 && i < n; i++) {
		roster_user *u = NULL;

		if (roster_user_get(&u, CUR_DIR, seen[i]))
			violation("search.get", "user %llu",
				  (unsigned long long)seen[i]);
		if (a && roster_user_account(u) != a)
			violation("search.scope",
				  "user %llu is not of account %llu",
				  (unsigned long long)seen[i],
				  (unsigned long long)a);
		if (act.kind == ROSTER_ACTOR_PARTNER &&
		    partner_of(roster_user_account(u)) != act.id)
			violation("search.scope",
				  "a partner finds user %llu of another",
				  (unsigned long long)seen[i]);
		roster_user_free(u);
	}
	/* without text, the users found are those in scope passing the
	 * filters, as each user's fields say */
	if (rc == 0 && !*t && (first || !next))
		check_filtered(&act, a, &want, seen, n);
	s1 = snapshot_take(CUR_DIR);
	same_snapshot(s0, s1, "search.changed", "a search changed the state");
	if (e0 != cur_h->nev)
		violation("search.events", "a search delivered events");
	free(s0);
	free(s1);
	roster_query_free(qq);
}

/* An import's bytes, handed out in random pieces. */
typedef struct reader {
	const char *s;
	size_t len, pos;
} reader;

static long read_fn(void *data, void *buf, size_t len)
{
	reader *r = data;
	size_t n = r->len - r->pos;

	if (n > len)
		n = len;
	if (n > 7 && P(50))
		n = 1 + R((unsigned)n);
	memcpy(buf, r->s + r->pos, n);
	r->pos += n;
	return (long)n;
}

/* A record name of one of the account's listed records, or none. */
static const char *rand_record_name(const ids *s, char *buf, size_t len)
{
	roster_id id = pick(s);
	roster_record *rec = NULL;
	const char *v;

	if (id && roster_record_get(&rec, CUR_DIR, id) == 0 && P(90)) {
		snprintf(buf, len, "%s", roster_record_name(rec));
		v = buf;
	} else {
		v = P(50) ? "nosuch" : "";
	}
	roster_record_free(rec);
	return v;
}

/* An import's columns, and its rows' cells by column. */
#define NCOLS 13
#define IMPORT_ROWS 5
static const char *const cols[NCOLS] = {
	"first_name", "last_name", "email",   "admin", "pbx",
	"extension",  "site",	   "pack",    "licence", "lines",
	"products",   "group",	   "helpdesk"
};
static char cells[IMPORT_ROWS][NCOLS][300];

/* Random cells for the used columns of each row, some of them wrong. */
static void import_cells(roster_id a, const int *use, unsigned rows)
{
	static ids sites, pbxs, groups;
	char nb[128];
	unsigned r;
	size_t i;

	/* The account may be no account: its lists are empty then. */
	if (list_try(&sites, CUR_DIR, a, ROSTER_KIND_SITE))
		sites.n = 0;
	if (list_try(&pbxs, CUR_DIR, a, ROSTER_KIND_PBX))
		pbxs.n = 0;
	if (list_try(&groups, CUR_DIR, a, ROSTER_KIND_GROUP))
		groups.n = 0;
	for (r = 0; r < rows; r++)
		for (i = 0; i < NCOLS; i++) {
			const char *v = "";

			if (!use[i])
				continue;
			switch (i) {
			case 0:
			case 1:
				v = P(90) ? (P(50) ? "Imp" : "Dvořák") : "";
				break;
			case 2:
				v = rand_email();
				if (!v)
					v = "";
				break;
			case 3:
				v = P(20) ? "1" : P(50) ? "0" : "maybe";
				break;
			case 4:
				v = rand_record_name(&pbxs, nb, sizeof nb);
				break;
			case 5:
				v = rand_ext();
				break;
			case 6:
				v = rand_record_name(&sites, nb, sizeof nb);
				break;
			case 7:
				v = rand_pack();
				break;
			case 8:
				v = rand_licence();
				break;
			case 9:
				v = P(50) ? rand_line() : "";
				break;
			case 10:
				v = P(40) ? "meetings" : "";
				break;
			case 11:
				v = rand_record_name(&groups, nb, sizeof nb);
				break;
			default:
				v = P(30) ? "1" : "";
				break;
			}
			snprintf(cells[r][i], sizeof cells[r][i], "%s", v);
		}
}

static size_t put_csv(char *csv, size_t size, const int *use, unsigned rows,
		      int faults)
{
	size_t l = 0, i;
	int ncols = 0;
	unsigned r;

	for (i = 0; i < NCOLS; i++)
		if (use[i])
			l += (size_t)snprintf(csv + l, size - l, "%s%s",
					      ncols++ ? "," : "", cols[i]);
	if (!ncols)
		l += (size_t)snprintf(csv + l, size - l, "bogus");
	l += (size_t)snprintf(csv + l, size - l, "\r\n");
	for (r = 0; r < rows; r++) {
		int first = 1;

		for (i = 0; i < NCOLS; i++) {
			const char *v = cells[r][i];

			if (!use[i])
				continue;
			l += (size_t)snprintf(csv + l, size - l,
					      strpbrk(v, ",\"\r\n") ? "%s\"%s\"" :
								      "%s%s",
					      first ? "" : ",", v);
			first = 0;
		}
		l += (size_t)snprintf(csv + l, size - l, "%s",
				      P(50) ? "\r\n" : "\n");
	}
	if (faults && P(4))
		l += (size_t)snprintf(csv + l, size - l, "\"unterminated,x\n");
	return l;
}

/* Text for XML: the markup characters escaped. */
static size_t put_text(char *out, size_t size, const char *v)
{
	size_t l = 0;

	for (; *v && l + 8 < size; v++)
		l += (size_t)snprintf(out + l, size - l, "%s",
				      *v == '&'	  ? "&amp;" :
				      *v == '<'	  ? "&lt;" :
				      *v == '>'	  ? "&gt;" :
						    (char[]){ *v, 0 });
	out[l] = 0;
	return l;
}

/* Faults an XML file may have: the file is malformed (the import stops
 * with ROSTER_EPARSE), or a row refuses (XML_TWICE), or nothing is
 * wrong (XML_EXTRAS: a comment and CDATA). */
enum { XML_OK, XML_CUT, XML_DOCTYPE, XML_NAMESPACE, XML_UNKNOWN, XML_TEXT,
       XML_ATTRS, XML_TWICE, XML_EXTRAS, XML_FAULTS };
static const char *const xml_faults[] = { "none",    "cut",	"doctype",
					  "namespace", "unknown", "text",
					  "attributes", "twice", "extras" };

static size_t put_xml(char *x, size_t size, const int *use, unsigned rows,
		      int fault)
{
	size_t l = 0, i, k;
	unsigned r;

	l += (size_t)snprintf(x + l, size - l,
			      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	if (fault == XML_DOCTYPE)
		l += (size_t)snprintf(x + l, size - l,
				      "<!DOCTYPE users [<!ENTITY e \"x\">]>\n");
	l += (size_t)snprintf(x + l, size - l, "<users xmlns=\"urn:roster:"
					       "users:%d\">\n",
			      fault == XML_NAMESPACE ? 2 : 1);
	if (fault == XML_EXTRAS)
		l += (size_t)snprintf(x + l, size - l, "<!-- users -->\n");
	for (r = 0; r < rows; r++) {
		l += (size_t)snprintf(x + l, size - l, "  <user");
		for (k = 0; fault == XML_ATTRS && r == 0 && k < 40; k++)
			l += (size_t)snprintf(x + l, size - l, " a%zu=\"1\"", k);
		l += (size_t)snprintf(x + l, size - l, ">\n");
		if (fault == XML_UNKNOWN && r == 0)
			l += (size_t)snprintf(x + l, size - l,
					      "    <bogus>1</bogus>\n");
		for (i = 0; i < NCOLS; i++) {
			const char *v = cells[r][i], *c = cols[i];
			int twice = fault == XML_TWICE && r == 0;

			if (!use[i] || (!*v && P(50)))
				continue;
			if (i == 9 || i == 10) {
				/* lines and products hold elements */
				l += (size_t)snprintf(x + l, size - l,
						      "    <%s>", c);
				/* one element a word, as CSV splits them */
				for (k = 0; v[k]; k += strcspn(v + k, " ")) {
					char w[300];

					k += strspn(v + k, " ");
					snprintf(w, sizeof w, "%.*s",
						 (int)strcspn(v + k, " "), v + k);
					if (!*w)
						break;
					l += (size_t)snprintf(
						x + l, size - l, "<%s>",
						i == 9 ? "line" : "product");
					l += put_text(x + l, size - l, w);
					l += (size_t)snprintf(
						x + l, size - l, "</%s>",
						i == 9 ? "line" : "product");
				}
				l += (size_t)snprintf(x + l, size - l,
						      "</%s>\n", c);
				continue;
			}
			for (k = 0; k < 1u + twice; k++) {
				l += (size_t)snprintf(x + l, size - l,
						      "    <%s>", c);
				if (fault == XML_EXTRAS && *v) {
					l += (size_t)snprintf(x + l, size - l,
							      "<![CDATA[%s]]>",
							      v);
				} else {
					l += put_text(x + l, size - l, v);
				}
				l += (size_t)snprintf(x + l, size - l,
						      "</%s>\n", c);
			}
			twice = 0;
		}
		l += (size_t)snprintf(x + l, size - l, "  </user>\n");
		if (fault == XML_TEXT && r == 0)
			l += (size_t)snprintf(x + l, size - l, "stray\n");
	}
	l += (size_t)snprintf(x + l, size - l, "</users>\n");
	if (fault == XML_CUT)
		l = 1 + R((unsigned)(l - 10));
	return l;
}

/* The import's twin: the same rows as CSV, or as XML without comments
 * and CDATA, imported as a dry run (changing nothing) with the same
 * options; its code goes into twin_rc. */
static int twin_rc;

static roster_import_report *dry_twin(roster_id a, const roster_actor *act,
				      const int *use, unsigned rows, int fault,
				      const roster_import_options *opts)
{
	static char text[32768];
	roster_import_options o = *opts;
	roster_import_report *rep = NULL;
	reader rd;

	o.dry_run = 1;
	rd.s = text;
	rd.pos = 0;
	rd.len = fault == XML_EXTRAS ?
			 put_xml(text, sizeof text, use, rows, XML_OK) :
			 put_csv(text, sizeof text, use, rows, 0);
	twin_rc = roster_import(&rep, CUR_DIR, act, a,
				fault == XML_EXTRAS ? ROSTER_FORMAT_XML :
						      ROSTER_FORMAT_CSV,
				read_fn, &rd, &o);
	logop("d%d import(twin, %s, dry) = %s, %zu errors", cur_h->id,
	      fault == XML_EXTRAS ? "XML" : "CSV", rcs(twin_rc),
	      rep ? roster_import_error_count(rep) : 0);
	return rep;
}

/* An import refuses what its dry twin in the other form refused: the
 * same columns and rules, row by row (a malformed file: both stop), and
 * its code follows from the twin's. */
static void same_report(const roster_import_report *t,
			const roster_import_report *r, int rc,
			const roster_import_options *o)
{
	size_t n = roster_import_error_count(t), i;
	int want = twin_rc;

	if (!o->dry_run && twin_rc == ROSTER_EINVALID &&
	    o->mode == ROSTER_IMPORT_BEST_EFFORT)
		want = ROSTER_OK;
	/* XML is parsed a chunk ahead: a malformed file stops it before
	 * rows the CSV reader tried */
	if (rc == ROSTER_EPARSE && twin_rc == ROSTER_EPARSE)
		return;
	if (n != roster_import_error_count(r) || rc != want)
		violation("import.twin",
			  "the import gave %s with %zu refusals, its dry twin "
			  "%d with %zu",
			  rcs(rc), roster_import_error_count(r), twin_rc, n);
	for (i = 0; i < n; i++) {
		int code = roster_import_error_code(r, i);

		if (code != roster_import_error_code(t, i) ||
		    (code != ROSTER_EPARSE &&
		     (strcmp(roster_import_error_rule(r, i),
			     roster_import_error_rule(t, i)) ||
		      strcmp(roster_import_error_column(r, i),
			     roster_import_error_column(t, i)))))
			violation("import.twin",
				  "refusal %zu: %s %s (%d), the dry twin's "
				  "%s %s (%d)",
				  i, roster_import_error_column(r, i),
				  roster_import_error_rule(r, i), code,
				  roster_import_error_column(t, i),
				  roster_import_error_rule(t, i),
				  roster_import_error_code(t, i));
	}
}

/* An import of random columns and rows, some of them wrong, in CSV or
 * XML (well-formed or not). */
static void op_import(void)
{
	roster_id a = pick_account();
	roster_actor act = pick_actor(a);
	roster_import_options o = ROSTER_IMPORT_OPTIONS_INIT;
	roster_import_report *rep = NULL;
	static char text[32768];
	size_t l, created, nerr, i;
	int use[NCOLS], rc, xml = P(45), fault = XML_OK, ncols;
	roster_import_report *twin = NULL;
	unsigned rows = R(IMPORT_ROWS + 1);
	reader rd;
	callctx c;

	for (i = 0; i < NCOLS; i++)
		use[i] = i < 3 ? P(95) : P(30);
	import_cells(a, use, rows);
	if (xml && P(30))
		fault = 1 + (int)R(XML_FAULTS - 1);
	if (fault == XML_TWICE || fault == XML_ATTRS || fault == XML_UNKNOWN ||
	    fault == XML_TEXT) {
		use[0] = 1; /* a first row with a field */
		rows = rows ? rows : 1;
		import_cells(a, use, rows);
		snprintf(cells[0][0], sizeof cells[0][0], "Imp");
	}
	o.mode = R(2);
	o.dry_run = P(15);
	o.max_errors = P(20) ? 1 : 0;
	for (i = ncols = 0; i < NCOLS; i++)
		ncols += use[i];
	if (xml && !o.max_errors &&
	    (fault == XML_EXTRAS || (!fault && ncols > 1 && P(30))))
		twin = dry_twin(a, &act, use, rows, fault, &o);
	l = xml ? put_xml(text, sizeof text, use, rows, fault) :
		  put_csv(text, sizeof text, use, rows, 1);
	rd.s = text;
	rd.len = l;
	rd.pos = 0;
	pre(&c, cur_h);
	arm();
	rc = roster_import(&rep, CUR_DIR, &act, a,
			   xml ? ROSTER_FORMAT_XML : ROSTER_FORMAT_CSV, read_fn,
			   &rd, &o);
	disarm();
	created = rep ? roster_import_created(rep) : 0;
	nerr = rep ? roster_import_error_count(rep) : 0;
	logop("d%d import(%s, %llu, %s%s%s, mode %u, dry %d, max %u, %s) = "
	      "%s, %zu created, %zu errors",
	      cur_h->id, actor_desc, (unsigned long long)a, xml ? "XML" : "CSV",
	      fault ? " " : "", fault ? xml_faults[fault] : "", o.mode,
	      o.dry_run, o.max_errors, q(text), rcs(rc), created, nerr);
	if (rc == 0 && !cur_h->txn) {
		size_t nc = 0;

		for (i = c.nev0[cur_h->id]; i < cur_h->nev; i++)
			nc += cur_h->evs[i].type == ROSTER_EVENT_USER_CREATED;
		if (nc != created)
			violation("import.created",
				  "the import reports %zu created, the events "
				  "%zu",
				  created, nc);
		if (o.dry_run && created)
			violation("import.dry", "a dry run created users");
	}
	if (rc == 0 && o.dry_run) {
		char *s1 = snapshot_take(CUR_DIR);

		same_snapshot(c.snap, s1, "import.dry",
			      "a dry run changed the directory");
		free(s1);
	}
	if (rc == 0 && rep && o.mode == ROSTER_IMPORT_ALL_OR_NOTHING && nerr)
		violation("import.all", "an all-or-nothing import succeeded "
					"with %zu errors",
			  nerr);
	/* A malformed file stops the import, whoever imports: unless the
	 * call was refused before reading (scope, no account, a
	 * transaction open), stopped reading at its first refused row or
	 * ran out of memory. */
	if (fault && fault != XML_TWICE && fault != XML_EXTRAS && rep &&
	    !o.max_errors &&
	    roster_import_rows(rep) + nerr > 0 && rc != ROSTER_EPARSE &&
	    rc != ROSTER_ENOMEM)
		violation("import.xml", "an XML file with a fault (%s) gave %s",
			  xml_faults[fault], rcs(rc));
	if (rc == ROSTER_EPARSE &&
	    (created || !nerr ||
	     roster_import_error_code(rep, nerr - 1) != ROSTER_EPARSE))
		violation("import.parse",
			  "a malformed file: %zu created, the last of %zu "
			  "refusals has code %d",
			  created, nerr,
			  nerr ? roster_import_error_code(rep, nerr - 1) : 0);
	if (twin && rep && rc != ROSTER_ENOMEM && rc != ROSTER_ECONFLICT)
		same_report(twin, rep, rc, &o);
	roster_import_report_free(twin);
	if (fault == XML_TWICE && rc != ROSTER_ENOMEM && rep && nerr) {
		for (i = 0; i < nerr; i++)
			if (!strcmp(roster_import_error_rule(rep, i),
				    "import.twice"))
				break;
		if (i == nerr && roster_import_rows(rep))
			violation("import.twice", "a field given twice in "
						  "a row was not refused");
	}
	roster_import_report_free(rep);
	post(&c, rc, "import");
}

/* An export's bytes, in a buffer that grows. */
typedef struct outbuf {
	char *s;
	size_t len, cap;
} outbuf;

static int write_fn(void *data, const void *buf, size_t len)
{
	outbuf *o = data;

	if (o->len + len + 1 > o->cap) {
		o->cap = 2 * (o->len + len + 1);
		o->s = realloc(o->s, o->cap);
		if (!o->s)
			abort();
	}
	memcpy(o->s + o->len, buf, len);
	o->len += len;
	o->s[o->len] = 0;
	return 0;
}

/* A directory of the test's own, in memory, deciding as the world's. */
static roster_directory *scratch_dir(void)
{
	roster_directory_options o;
	roster_directory *d = NULL;

	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.clock_fn = fake_clock;
	if (roster_directory_open(&d, &o))
		violation("open", "a directory of the test's own");
	set_policy(d);
	return d;
}

/* The name of record id ("" for none), in a ring of buffers. */
static const char *name_of(roster_directory *d, roster_id id)
{
	static char b[4][128];
	static unsigned i;
	roster_record *r = NULL;
	char *s = b[i++ % 4];

	*s = 0;
	if (id && roster_record_get(&r, d, id) == 0)
		snprintf(s, sizeof b[0], "%s", roster_record_name(r));
	roster_record_free(r);
	return s;
}

/* User y (of directory dy) is user x (of dx) as an export carries it:
 * every field but the password, registered, cloud and iot; the site,
 * PBX and group by name; the lines and the product licences. */
static void same_user(roster_directory *dx, const roster_user *x,
		      roster_directory *dy, const roster_user *y)
{
	unsigned long long id = roster_user_id(x);
	const char *s, *t;
	size_t i;
	int f;

	for (f = 1; f < ROSTER_FIELD_END; f++) {
		if (f == ROSTER_FIELD_PASSWORD || f == ROSTER_FIELD_REGISTERED ||
		    f == ROSTER_FIELD_CLOUD || f == ROSTER_FIELD_IOT)
			continue;
		switch (roster_field_type(f)) {
		case ROSTER_TYPE_STRING:
			s = roster_user_str(x, f);
			t = roster_user_str(y, f);
			if (strcmp(s ? s : "", t ? t : ""))
				violation("export.same",
					  "user %llu's %s %s came back as %s",
					  id, roster_field_name(f), q(s), q(t));
			break;
		case ROSTER_TYPE_BOOL:
			if (roster_user_bool(x, f) != roster_user_bool(y, f))
				violation("export.same",
					  "user %llu's %s %d came back as %d",
					  id, roster_field_name(f),
					  roster_user_bool(x, f),
					  roster_user_bool(y, f));
			break;
		case ROSTER_TYPE_REF:
			s = name_of(dx, roster_user_ref(x, f));
			t = name_of(dy, roster_user_ref(y, f));
			if (strcmp(s, t))
				violation("export.same",
					  "user %llu's %s %s came back as %s",
					  id, roster_field_name(f), q(s), q(t));
			break;
		default:
			if (roster_user_line_count(x) !=
			    roster_user_line_count(y))
				violation("export.same",
					  "user %llu's %zu lines came back as "
					  "%zu",
					  id, roster_user_line_count(x),
					  roster_user_line_count(y));
			for (i = 0; i < roster_user_line_count(x); i++)
				if (strcmp(roster_user_line(x, i),
					   roster_user_line(y, i)))
					violation("export.same",
						  "user %llu's line %s came "
						  "back as %s",
						  id, roster_user_line(x, i),
						  roster_user_line(y, i));
		}
	}
	if (roster_user_product_count(x) != roster_user_product_count(y))
		violation("export.same",
			  "user %llu's %zu product licences came back as %zu",
			  id, roster_user_product_count(x),
			  roster_user_product_count(y));
	for (i = 0; i < roster_user_product_count(x); i++)
		if (strcmp(roster_user_product(x, i),
			   roster_user_product(y, i)))
			violation("export.same",
				  "user %llu's product %s came back as %s", id,
				  roster_user_product(x, i),
				  roster_user_product(y, i));
}

/* Does the catalog lack the user's licence, pack or a product of it? */
static int lacks(const roster_catalog *cat, const roster_user *u)
{
	const char *l = roster_user_str(u, ROSTER_FIELD_LICENCE);
	const char *p = roster_user_str(u, ROSTER_FIELD_PACK);
	size_t i;

	if ((l && !roster_catalog_has(cat, ROSTER_ITEM_LICENCE, l)) ||
	    (p && !roster_catalog_has(cat, ROSTER_ITEM_PACK, p)))
		return 1;
	for (i = 0; i < roster_user_product_count(u); i++)
		if (!roster_catalog_has(cat, ROSTER_ITEM_PRODUCT,
					roster_user_product(u, i)))
			return 1;
	return 0;
}

/* Build, in directory x, an empty account like account a of the
 * calling directory for its users to come back: its sites, PBXes and
 * groups by name, its Helpdesk service, every licence it or a user has
 * (no edition, so none is refused for one), stations of every pack
 * enough for all, and the product licences it bought. Returns the
 * account, 0 when two of its records of a kind share a name. */
static roster_id mirror_account(roster_directory *x, roster_id a,
				const ids *users, const roster_catalog *cat)
{
	static const int kinds[3] = { ROSTER_KIND_SITE, ROSTER_KIND_PBX,
				      ROSTER_KIND_GROUP };
	static ids recs[3];
	static char lic[NLICENCES + MAX_IDS][40];
	const char *lp[NLICENCES + MAX_IDS];
	roster_record *acc = NULL, *r = NULL;
	roster_user *u = NULL;
	roster_id p, b, id;
	size_t i, j, k, nl = 0, pur, used;
	int rc = 0;

	for (k = 0; k < 3; k++) {
		list_all(&recs[k], CUR_DIR, a, kinds[k]);
		for (i = 0; i < recs[k].n; i++)
			for (j = 0; j < i; j++)
				if (!strcmp(name_of(CUR_DIR, recs[k].v[i]),
					    name_of(CUR_DIR, recs[k].v[j])))
					return 0;
	}
	if (roster_record_get(&acc, CUR_DIR, a))
		violation("export.mirror", "account %llu",
			  (unsigned long long)a);
	for (i = 0; i < roster_record_licence_count(acc); i++)
		snprintf(lic[nl++], sizeof lic[0], "%s",
			 roster_record_licence(acc, i));
	for (i = 0; i < users->n; i++) {
		const char *l;

		if (roster_user_get(&u, CUR_DIR, users->v[i]))
			violation("export.mirror", "user");
		l = roster_user_str(u, ROSTER_FIELD_LICENCE);
		if (l)
			snprintf(lic[nl++], sizeof lic[0], "%s", l);
		roster_user_free(u);
	}
	for (i = j = 0; i < nl; i++)
		if (roster_catalog_has(cat, ROSTER_ITEM_LICENCE, lic[i]))
			lp[j++] = lic[i];
	rc |= roster_partner_create(&p, x, &SYS, "Partner");
	rc |= roster_account_create(&b, x, &SYS, p, "Mirror");
	rc |= roster_account_set_licences(x, &SYS, b, NULL, lp, j);
	if (roster_record_helpdesk(acc))
		rc |= roster_account_set_helpdesk(x, &SYS, b, 1);
	for (k = 0; k < 3; k++)
		for (i = 0; i < recs[k].n; i++) {
			const char *nm = name_of(CUR_DIR, recs[k].v[i]);

			if (kinds[k] == ROSTER_KIND_GROUP) {
				rc |= roster_group_create(&id, x, &SYS, b, nm);
				continue;
			}
			if (kinds[k] == ROSTER_KIND_PBX) {
				assert_int_equal(roster_record_get(
							 &r, CUR_DIR,
							 recs[k].v[i]),
						 0);
				rc |= roster_pbx_create(
					&id, x, &SYS, b, nm,
					roster_record_min_digits(r),
					roster_record_max_digits(r));
				roster_record_free(r);
				continue;
			}
			rc |= roster_site_create(&id, x, &SYS, b, nm);
			for (j = 0; users->n &&
				    j < roster_catalog_count(cat, ROSTER_ITEM_PACK);
			     j++)
				rc |= roster_station_order(
					x, &SYS, id,
					roster_catalog_item(cat,
							    ROSTER_ITEM_PACK, j),
					(unsigned)users->n);
		}
	for (j = 0; j < roster_catalog_count(cat, ROSTER_ITEM_PRODUCT); j++) {
		const char *pr = roster_catalog_item(cat, ROSTER_ITEM_PRODUCT, j);

		pur = 0;
		roster_product_counts(CUR_DIR, &SYS, a, pr, &pur, &used);
		if (pur)
			rc |= roster_product_purchase(x, &SYS, b, pr,
						      (unsigned)pur);
	}
	roster_record_free(acc);
	if (rc)
		violation("export.mirror", "building the account: %s",
			  roster_error_rule(roster_directory_error(x)));
	return b;
}

/* Account a's users exported (text in format xml or CSV) and imported
 * into an account built like it in a directory of its own: they come
 * back the same, but those holding what the catalog no longer has,
 * which are refused (bulk.md). */
static void roundtrip(roster_id a, const outbuf *ob, int xml)
{
	static ids users, back;
	roster_import_options o = ROSTER_IMPORT_OPTIONS_INIT;
	roster_import_report *rep = NULL;
	roster_directory *x = scratch_dir();
	roster_catalog *cat = roster_directory_catalog(CUR_DIR);
	roster_user *u = NULL, *v = NULL;
	size_t i, k, refused = 0;
	roster_id b;
	reader rd;
	int rc;

	list_all(&users, CUR_DIR, a, ROSTER_KIND_USER);
	b = mirror_account(x, a, &users, cat);
	for (i = 0; b && i < users.n; i++) {
		assert_int_equal(roster_user_get(&u, CUR_DIR, users.v[i]), 0);
		refused += lacks(cat, u);
		roster_user_free(u);
	}
	if (refused)
		o.mode = ROSTER_IMPORT_BEST_EFFORT;
	rd.s = ob->s;
	rd.len = ob->len;
	rd.pos = 0;
	rc = b ? roster_import(&rep, x, &SYS, b,
			       xml ? ROSTER_FORMAT_XML : ROSTER_FORMAT_CSV,
			       read_fn, &rd, &o) :
		 0;
	logop("import of the export into a mirror = %d, %zu created, %zu "
	      "refused (%zu expected)%s",
	      rc, rep ? roster_import_created(rep) : 0,
	      rep ? roster_import_error_count(rep) : 0, refused,
	      b ? "" : ", skipped: names shared");
	if (b && (rc || roster_import_created(rep) != users.n - refused ||
		  roster_import_error_count(rep) != refused))
		violation("export.import",
			  "%zu users exported, %zu of them holding what the "
			  "catalog lacks; the import gave %d, %zu created, "
			  "%zu refused, the first %s %s: %s",
			  users.n, refused, rc, roster_import_created(rep),
			  roster_import_error_count(rep),
			  roster_import_error_column(rep, 0),
			  roster_import_error_rule(rep, 0),
			  roster_import_error_message(rep, 0));
	if (b)
		list_all(&back, x, b, ROSTER_KIND_USER);
	for (i = k = 0; b && i < users.n; i++) {
		assert_int_equal(roster_user_get(&u, CUR_DIR, users.v[i]), 0);
		if (!lacks(cat, u)) {
			assert_int_equal(roster_user_get(&v, x, back.v[k++]),
					 0);
			same_user(CUR_DIR, u, x, v);
			roster_user_free(v);
		}
		roster_user_free(u);
	}
	roster_import_report_free(rep);
	roster_catalog_free(cat);
	roster_directory_free(x);
}

/* An export changes nothing, and imports back as it was. */
static void op_export(void)
{
	roster_id a = pick_account();
	roster_actor act = pick_actor(a);
	outbuf ob = { NULL, 0, 0 };
	int xml = P(50), rc;
	callctx c;
	char *s1;

	pre(&c, cur_h);
	arm();
	rc = roster_export(CUR_DIR, &act, a,
			   xml ? ROSTER_FORMAT_XML : ROSTER_FORMAT_CSV,
			   write_fn, &ob);
	disarm();
	logop("d%d export(%s, %llu, %s) = %s, %s", cur_h->id, actor_desc,
	      (unsigned long long)a, xml ? "XML" : "CSV", rcs(rc),
	      q(ob.s ? ob.s : ""));
	s1 = snapshot_take(CUR_DIR);
	same_snapshot(c.snap, s1, "export.changed",
		      "an export changed the directory");
	free(s1);
	if (new_events(&c, cur_h->id))
		violation("export.events", "an export delivered events");
	if (rc == 0)
		roundtrip(a, &ob, xml);
	free(ob.s);
	post(&c, rc, "export");
}

/* With two directories and no transaction: after a refresh both show the
 * same, as does a directory opened afresh on the store, and the users are
 * those of the events. */
static void check_handles_equal(const char *why)
{
	char *a, *b, *fr;
	int r0, r1;

	if (nh < 2 || H[0].txn || H[1].txn)
		return;
	r0 = roster_directory_refresh(H[0].dir);
	r1 = roster_directory_refresh(H[1].dir);
	logop("refresh both = %d, %d (%s)", r0, r1, why);
	if (r0 || r1)
		violation("refresh", "refresh failed: %d, %d", r0, r1);
	a = snapshot_take(H[0].dir);
	b = snapshot_take(H[1].dir);
	same_snapshot(a, b, "handles.differ",
		      "after refresh the directories differ");
	fr = fresh_snapshot();
	same_snapshot(a, fr, "reopen.differ",
		      "a directory opened on the store differs");
	free(fr);
	check_model(H[0].dir, why);
	check_invariants(H[0].dir, why);
	free(a);
	free(b);
}

static void op_refresh(void)
{
	callctx c;
	int rc;

	pre(&c, cur_h);
	arm();
	rc = roster_directory_refresh(CUR_DIR);
	disarm();
	logop("d%d refresh() = %s", cur_h->id, rcs(rc));
	if (rc && !(rc == ROSTER_EMISUSE && cur_h->txn) && !fired)
		violation("refresh", "refresh failed: %d", rc);
	if (rc == 0) {
		/* A refresh may show other changes. */
		free(c.snap);
		c.snap = snapshot_take(CUR_DIR);
		c.nacc = acc_states(CUR_DIR, before_acc);
	}
	post(&c, rc, "refresh");
}

/* The events a replay delivered are the outbox's first ones, in order,
 * with their sequence numbers. */
static void check_replay(size_t max, size_t count, const char *who)
{
	size_t want = max && max < outbox.n ? max : outbox.n, i;

	if (count != want || replayed.n != want)
		violation("outbox.replay",
			  "%s: replayed %zu (counted %zu) of %zu, wanted %zu",
			  who, replayed.n, count, outbox.n, want);
	for (i = 0; i < want; i++) {
		const ev *x = &replayed.v[i], *y = &outbox.v[i];

		if (x->seq != y->seq || x->type != y->type ||
		    x->user != y->user || x->account != y->account ||
		    x->partner != y->partner || x->pbx != y->pbx ||
		    x->admin != y->admin || strcmp(x->email, y->email))
			violation("outbox.replay",
				  "%s: replayed event %zu is %llu (type %d, "
				  "user %llu, %s), the outbox's %llu (type "
				  "%d, user %llu, %s)",
				  who, i, (unsigned long long)x->seq, x->type,
				  (unsigned long long)x->user, x->email,
				  (unsigned long long)y->seq, y->type,
				  (unsigned long long)y->user, y->email);
	}
}

/* Replay the outbox, from the directory or one opened afresh, or
 * acknowledge a range of it. */
static void op_outbox(void)
{
	roster_filestore *f = NULL;
	roster_directory *d;
	uint64_t first, last;
	size_t max = P(40) ? 0 : 1 + R(6), count = 99, i, j, k;
	callctx c;
	int rc;

	if (P(55)) {
		replayed.n = 0;
		pre(&c, cur_h);
		arm();
		rc = roster_outbox_replay(CUR_DIR, max, &count);
		disarm();
		logop("d%d outbox_replay(%zu) = %s, %zu", cur_h->id, max,
		      rcs(rc), count);
		if (rc == 0)
			check_replay(max, count, "replay");
		else if (replayed.n || count)
			violation("outbox.replay", "a failed replay delivered "
						   "%zu events (counted %zu)",
				  replayed.n, count);
		post(&c, rc, "outbox_replay");
		if (storage_mode && P(30)) {
			/* the same from a directory opened afresh */
			replayed.n = 0;
			d = fresh_dir(&f);
			rc = roster_outbox_replay(d, max, &count);
			logop("fresh outbox_replay(%zu) = %d, %zu", max, rc,
			      count);
			if (rc)
				violation("outbox.replay", "fresh: %d", rc);
			check_replay(max, count, "fresh replay");
			roster_directory_free(d);
			roster_filestore_free(f);
		}
		return;
	}
	if (outbox.n && P(80)) {
		/* a range of it, edges on events or between them */
		i = R((unsigned)outbox.n);
		j = i + R(4) < outbox.n ? i + R(4) : outbox.n - 1;
		first = outbox.v[i].seq - (P(30) ? R(3) : 0);
		last = outbox.v[j].seq + (P(30) ? R(3) : 0);
	} else if (P(60)) {
		first = P(50) ? 0 : 1;
		last = UINT64_MAX;
	} else {
		first = 2 + R(1000);
		last = first - 1 - R(2);
	}
	pre(&c, cur_h);
	arm();
	rc = roster_outbox_ack(CUR_DIR, first, last, &count);
	disarm();
	logop("d%d outbox_ack(%llu, %llu) = %s, %zu", cur_h->id,
	      (unsigned long long)first, (unsigned long long)last, rcs(rc),
	      count);
	if (first > last && rc != ROSTER_EINVAL)
		violation("outbox.ack", "first > last gave %d", rc);
	if (rc == 0) {
		for (i = k = 0; i < outbox.n; i++)
			if (outbox.v[i].seq < first || outbox.v[i].seq > last)
				outbox.v[k++] = outbox.v[i];
		if (count != outbox.n - k)
			violation("outbox.ack",
				  "acknowledged %zu, the outbox held %zu of "
				  "them",
				  count, outbox.n - k);
		outbox.n = k;
	} else if (count) {
		violation("outbox.ack", "a failed ack counts %zu", count);
	}
	post(&c, rc, "outbox_ack");
}

/* A new catalog: an edited copy of the default one. */

/* Replace every `from` in xml by `to`, of the same length. */
static void edit_all(char *xml, const char *from, const char *to)
{
	while (strstr(xml, from))
		catalog_xml_edit(xml, from, to);
}

/* Blank out the first `what` after the first `after`. */
static void blank_after(char *xml, const char *after, const char *what)
{
	char *at = strstr(xml, after);

	if (at && (at = strstr(at, what)))
		memset(at, ' ', strlen(what));
}

/* One random edit of the catalog's XML, described into desc. */
static void catalog_edit(char *xml, char *desc, size_t len)
{
	char from[64], to[64], ed[64];
	const char *id, *e = editions[R(4)];
	size_t l = strlen(desc);

	snprintf(ed, sizeof ed, "<edition id=\"%s\"", e);
	switch (R(6)) {
	case 0: /* a licence, a pack or the product renamed away */
	case 1:
	case 2:
		id = R(3) == 0 ? packs[R(3)] :
		     P(70)     ? licences[R(NLICENCES)] :
				 "meetings";
		snprintf(from, sizeof from, "\"%s\"", id);
		snprintf(to, sizeof to, "\"%.*sz\"", (int)strlen(id) - 1, id);
		edit_all(xml, from, to);
		snprintf(desc + l, len - l, " %s renamed", id);
		break;
	case 3: /* an edition renamed away, with the names it gives */
		snprintf(to, sizeof to, "<edition id=\"%.*sz\"",
			 (int)strlen(e) - 1, e);
		if (strstr(xml, ed))
			catalog_xml_edit(xml, ed, to);
		snprintf(from, sizeof from, " edition=\"%s\"", e);
		snprintf(to, sizeof to, " edition=\"%.*sz\"", (int)strlen(e) - 1,
			 e);
		edit_all(xml, from, to);
		snprintf(desc + l, len - l, " edition %s renamed", e);
		break;
	case 4: /* a service an edition may order */
		id = P(50) ? "pbx" : "helpdesk";
		snprintf(from, sizeof from, "<orderable service=\"%s\"/>", id);
		blank_after(xml, ed, from);
		snprintf(desc + l, len - l, " %s not orderable in %s", id, e);
		break;
	default: /* a tier an edition offers */
		id = P(50) ? "mini" : e;
		snprintf(from, sizeof from, "<offer tier=\"%s\"/>", id);
		blank_after(xml, ed, from);
		snprintf(desc + l, len - l, " tier %s not offered in %s", id, e);
		break;
	}
}
/* A snapshot without its count lines (the catalog names the items it
 * counts), in place. */
static void strip_counts(char *s)
{
	char *w = s, *r = s;

	while (*r) {
		size_t n = strcspn(r, "\n");

		n += r[n] == '\n';
		if (memchr(r, '=', n)) {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = 0;
}

/* Does cat no longer allow user u's licence, pack or product licences
 * (licence.h)? A licence held is judged as one kept: known, offered by
 * the account's edition, every service it needs ordered (a PBX, the
 * Helpdesk service) and one the edition may order, the user attached
 * (a PBX and an extension, the helpdesk flag); whether the account
 * still enables it is not the catalog's doing. */
static int misfit(const roster_catalog *cat, const roster_user *u,
		  const roster_record *acc, int has_pbx)
{
	const char *l = roster_user_str(u, ROSTER_FIELD_LICENCE);
	const char *ed = roster_record_edition(acc);

	if (lacks(cat, u))
		return 1;
	if (!l)
		return 0;
	if (ed && roster_catalog_edition_offers(cat, ed, l) != 1)
		return 1;
	if (roster_catalog_licence_needs(cat, l, "pbx") == 1 &&
	    (!has_pbx || (ed && roster_catalog_edition_orders(cat, ed, "pbx") ==
					0) ||
	     !roster_user_ref(u, ROSTER_FIELD_PBX) ||
	     !roster_user_str(u, ROSTER_FIELD_EXTENSION)))
		return 1;
	if (roster_catalog_licence_needs(cat, l, "helpdesk") == 1 &&
	    (!roster_record_helpdesk(acc) ||
	     (ed && roster_catalog_edition_orders(cat, ed, "helpdesk") == 0) ||
	     !roster_user_bool(u, ROSTER_FIELD_HELPDESK)))
		return 1;
	return 0;
}

/* The users of the calling directory cat no longer allows, ascending. */
static size_t misfits(const roster_catalog *cat, roster_id *out)
{
	static ids pbxs;
	size_t i, n = 0;

	for (i = 0; i < V.users.n; i++) {
		roster_record *acc = NULL;
		roster_user *u = NULL;

		if (roster_user_get(&u, CUR_DIR, V.users.v[i]) ||
		    roster_record_get(&acc, CUR_DIR, V.user_acc[i]))
			violation("catalog.get", "user %llu",
				  (unsigned long long)V.users.v[i]);
		list_all(&pbxs, CUR_DIR, V.user_acc[i], ROSTER_KIND_PBX);
		if (misfit(cat, u, acc, pbxs.n > 0))
			out[n++] = V.users.v[i];
		roster_user_free(u);
		roster_record_free(acc);
	}
	qsort(out, n, sizeof *out, cmpid);
	return n;
}

/* A new catalog, edited from the default one: it reports exactly the
 * users it no longer allows, changes nobody, and every directory on the
 * store decides with it from then on (refused while a transaction is
 * open). */
static void op_catalog(void)
{
	static roster_id want[MAX_IDS];
	static cnt cnt0[MAX_CNT];
	char *xml = catalog_xml_copy(), desc[512] = "", *s0, *s1;
	roster_catalog *cat = NULL;
	roster_page *rep = NULL;
	size_t nwant = 0, n0 = 0, n1, i, got;
	int rc, k, other = nh > 1 ? 1 - cur_h->id : -1;
	callctx c;

	if (other >= 0 && H[other].txn && !cur_h->txn) {
		free(xml);
		return;
	}
	for (k = 1 + (int)R(3); k > 0; k--)
		catalog_edit(xml, desc, sizeof desc);
	if (roster_catalog_load_buffer(&cat, xml, strlen(xml), "edited.xml"))
		violation("catalog.load", "the catalog edited (%s) is refused: %s",
			  desc, roster_error_rule(roster_error_last()));
	free(xml);
	if (!cur_h->txn) {
		nwant = misfits(cat, want);
		n0 = counts_map(CUR_DIR, cnt0);
	}
	s0 = snapshot_take(CUR_DIR);
	strip_counts(s0);
	pre(&c, cur_h);
	arm();
	rc = roster_directory_set_catalog(CUR_DIR, cat, &rep);
	disarm();
	got = rep ? roster_page_count(rep) : 0;
	logop("d%d directory_set_catalog(%s) = %s, %zu reported, %zu expected",
	      cur_h->id, desc, rcs(rc), got, nwant);
	if (cur_h->txn && rc != ROSTER_EMISUSE)
		violation("catalog.txn", "in a transaction it gave %s", rcs(rc));
	if (rc == 0) {
		for (i = 0; i < got && i < nwant; i++)
			if (roster_page_id(rep, i) != want[i])
				break;
		if (got != nwant || i < got)
			violation("catalog.report",
				  "%zu users reported, %zu expected; the first "
				  "apart: %llu reported, %llu expected",
				  got, nwant,
				  i < got ? (unsigned long long)roster_page_id(
						    rep, i) :
					    0ull,
				  i < nwant ? (unsigned long long)want[i] : 0ull);
		s1 = snapshot_take(CUR_DIR);
		strip_counts(s1);
		same_snapshot(s0, s1, "catalog.changed",
			      "a new catalog changed the directory");
		free(s1);
		n1 = counts_map(CUR_DIR, after_cnt);
		for (i = 0; i < n0 && n1 == n0; i++)
			if (cnt0[i].rec != after_cnt[i].rec ||
			    strcmp(cnt0[i].item, after_cnt[i].item) ||
			    cnt0[i].pur != after_cnt[i].pur ||
			    cnt0[i].used != after_cnt[i].used)
				break;
		if (n1 != n0 || i < n0)
			violation("catalog.counts",
				  "a new catalog changed the inventory counts "
				  "(record %llu, %s)",
				  i < n0 ? (unsigned long long)cnt0[i].rec : 0ull,
				  i < n0 ? cnt0[i].item : "");
		if (new_events(&c, cur_h->id))
			violation("catalog.events",
				  "a new catalog delivered events");
		roster_catalog_free(cur_cat);
		cur_cat = roster_catalog_ref(cat);
		set_policy(CUR_DIR);
		if (other >= 0)
			set_policy(H[other].dir);
	}
	free(s0);
	roster_page_free(rep);
	roster_catalog_free(cat);
	post(&c, rc, "set_catalog");
}

/* Field access, choices and billing change nothing. */
static void op_reads(void)
{
	roster_id a = pick_account(), u = pick_user();
	roster_actor act = pick_actor(a);
	roster_choices *ch = NULL;
	roster_billing *bl = NULL;
	size_t e0 = cur_h->nev;
	char *s0 = snapshot_take(CUR_DIR), *s1;
	int out = 0;

	roster_user_field_access(&out, CUR_DIR, &act, P(50) ? u : a,
				 1 + (int)R(31));
	roster_user_choices(&ch, CUR_DIR, &act, a, P(50) ? u : 0);
	roster_choices_free(ch);
	roster_billing_summary(&bl, CUR_DIR, &act, a);
	roster_billing_free(bl);
	logop("d%d reads(%s, %llu, %llu)", cur_h->id, actor_desc,
	      (unsigned long long)a, (unsigned long long)u);
	s1 = snapshot_take(CUR_DIR);
	same_snapshot(s0, s1, "reads.changed", "reads changed the state");
	if (e0 != cur_h->nev)
		violation("reads.events", "reads delivered events");
	free(s0);
	free(s1);
}

/* An update of one field agrees with roster_user_field_access. */
static int fa_n;

static void op_access(void)
{
	static const int fields[] = {
		ROSTER_FIELD_FIRST_NAME,
		ROSTER_FIELD_LAST_NAME,
		ROSTER_FIELD_DISPLAY_NAME,
		ROSTER_FIELD_EMAIL,
		ROSTER_FIELD_PHONE,
		ROSTER_FIELD_LANGUAGE,
		ROSTER_FIELD_NOTE,
		ROSTER_FIELD_TWO_FACTOR,
		ROSTER_FIELD_API_COMMUNICATOR,
		ROSTER_FIELD_STATUTORY,
		ROSTER_FIELD_DO_NOT_BILL,
		ROSTER_FIELD_SYSTEM_USER,
		ROSTER_FIELD_ADMIN,
		ROSTER_FIELD_REGISTERED,
		ROSTER_FIELD_CLOUD,
		ROSTER_FIELD_IOT,
		ROSTER_FIELD_PASSWORD,
		ROSTER_FIELD_HELPDESK
	};
	roster_id u = pick_user(), a = account_of_user(u);
	int field = fields[R(sizeof fields / sizeof *fields)], acc = -1, rc;
	roster_user *ub = NULL;
	roster_form *f = NULL;
	roster_actor act;
	callctx c;
	char b[64];

	if (P(25)) {
		act.kind = ROSTER_ACTOR_USER;
		act.reserved = 0;
		act.id = u;
		describe_actor(&act, "(self)");
	} else {
		act = pick_actor(a ? a : A1);
	}
	if (roster_user_field_access(&acc, CUR_DIR, &act, u, field) ||
	    roster_user_get(&ub, CUR_DIR, u))
		return;
	assert_int_equal(roster_form_new(&f, CUR_DIR), 0);
	if (roster_field_type(field) == ROSTER_TYPE_BOOL) {
		roster_form_set_bool(f, field, !roster_user_bool(ub, field));
		snprintf(b, sizeof b, "%d", !roster_user_bool(ub, field));
	} else {
		const char *l = roster_user_str(ub, field);

		if (field == ROSTER_FIELD_EMAIL)
			snprintf(b, sizeof b, "fa%d.%llu@acme.example", fa_n++,
				 seed_cur);
		else if (field == ROSTER_FIELD_PHONE)
			snprintf(b, sizeof b, "+42077700%04d", fa_n++ % 10000);
		else if (field == ROSTER_FIELD_LANGUAGE)
			snprintf(b, sizeof b, "%s",
				 l && !strcmp(l, "fr-fr") ? "cs-cz" : "fr-fr");
		else if (field == ROSTER_FIELD_PASSWORD)
			snprintf(b, sizeof b, "Pw-%d-long-enough", fa_n++);
		else
			snprintf(b, sizeof b, "Zed%d", fa_n++);
		roster_form_set_str(f, field, b);
	}
	pre(&c, cur_h);
	arm();
	rc = roster_user_update(CUR_DIR, &act, u, f);
	disarm();
	logop("d%d user_update(%s, %llu, %s=%s) = %s (access %d)", cur_h->id,
	      actor_desc, (unsigned long long)u, roster_field_name(field), b,
	      rcs(rc), acc);
	if (acc == 0 && rc == 0)
		violation("access.denied",
			  "no access to %s, but the update succeeded",
			  roster_field_name(field));
	if (acc == 1 && rc == ROSTER_EDENIED)
		violation("access.granted",
			  "access to %s, but the update was denied (%s)",
			  roster_field_name(field),
			  roster_error_rule(roster_directory_error(CUR_DIR)));
	post(&c, rc, "access_update");
	roster_user_free(ub);
	roster_form_free(f);
}

static int is_choice_rule(const char *r)
{
	return r && (!strncmp(r, "licence.", 8) || !strncmp(r, "pack.", 5));
}

/* An update to one of a user's choices agrees with roster_user_choices:
 * allowed ones are not refused for a licence or pack rule, refused ones
 * fail with one of the reasons given. */
static void op_choices(void)
{
	roster_id u = pick_user(), a = account_of_user(u);
	roster_actor act = pick_actor(a ? a : A1);
	roster_choices *ch = NULL;
	roster_form *f = NULL;
	const char *item, *rule;
	char reasons[512] = "";
	int rc, acc = 0, kind, field, allowed;
	size_t i, r, n;
	callctx c;

	if (roster_user_choices(&ch, CUR_DIR, &act, 0, u))
		return;
	n = roster_choices_count(ch);
	if (!n) {
		roster_choices_free(ch);
		return;
	}
	i = R((unsigned)n);
	kind = roster_choices_kind(ch, i);
	field = kind == ROSTER_ITEM_LICENCE ? ROSTER_FIELD_LICENCE :
					      ROSTER_FIELD_PACK;
	if (roster_user_field_access(&acc, CUR_DIR, &act, u, field) || !acc ||
	    roster_choices_current(ch, i)) {
		roster_choices_free(ch);
		return;
	}
	item = roster_choices_item(ch, i);
	allowed = roster_choices_allowed(ch, i);
	for (r = 0; r < roster_choices_reason_count(ch, i); r++) {
		const char *param = roster_choices_reason_param(ch, i, r);

		snprintf(reasons + strlen(reasons),
			 sizeof reasons - strlen(reasons), "%s(%s) ",
			 roster_choices_reason(ch, i, r), param ? param : "");
	}
	assert_int_equal(roster_form_new(&f, CUR_DIR), 0);
	roster_form_set_str(f, field, item);
	pre(&c, cur_h);
	arm();
	rc = roster_user_update(CUR_DIR, &act, u, f);
	disarm();
	rule = roster_error_rule(roster_directory_error(CUR_DIR));
	logop("d%d user_update(%s, %llu, %s=%s) = %s (choice allowed %d, %s)",
	      cur_h->id, actor_desc, (unsigned long long)u,
	      roster_field_name(field), item, rcs(rc), allowed, reasons);
	if (allowed && rc && is_choice_rule(rule))
		violation("choices.allowed",
			  "%s %s is allowed, but the update was refused: %s",
			  roster_field_name(field), item, rule);
	if (!allowed && rc == 0)
		violation("choices.refused",
			  "%s %s is refused (%s), but the update succeeded",
			  roster_field_name(field), item, reasons);
	if (!allowed && rc && is_choice_rule(rule) && !strstr(reasons, rule))
		violation("choices.reason",
			  "%s %s is refused for %s, the update for %s",
			  roster_field_name(field), item, reasons, rule);
	post(&c, rc, "choices_update");
	roster_choices_free(ch);
	roster_form_free(f);
}

/* The Helpdesk race: both directories fresh and the service on, one
 * cancels it while the other, stale, attaches a user of the account to
 * it, or the other way round. The second call must conflict; if both
 * succeed, the comparison after refresh finds a user attached to a
 * service the account no longer has. */
static void race_set_helpdesk(handle *h, roster_id a, int on)
{
	callctx c;
	int rc;

	cur_h = h;
	pre(&c, h);
	rc = roster_account_set_helpdesk(h->dir, &SYS, a, on);
	logop("d%d account_set_helpdesk(system, %llu, %d) = %s", h->id,
	      (unsigned long long)a, on, rcs(rc));
	post(&c, rc, "race_set_helpdesk");
}

static void race_attach(handle *h, roster_id u)
{
	roster_form *f = NULL;
	callctx c;
	int rc;

	cur_h = h;
	assert_int_equal(roster_form_new(&f, h->dir), 0);
	roster_form_set_bool(f, ROSTER_FIELD_HELPDESK, 1);
	pre(&c, h);
	rc = roster_user_update(h->dir, &SYS, u, f);
	logop("d%d user_update(system, %llu, helpdesk=1) = %s", h->id,
	      (unsigned long long)u, rcs(rc));
	post(&c, rc, "race_attach");
	roster_form_free(f);
}

static void op_helpdesk_race(void)
{
	handle *x = cur_h, *y = &H[1 - cur_h->id];
	roster_id a = P(80) ? A1 : A2, u;

	if (x->txn || y->txn)
		return;
	check_handles_equal("before the Helpdesk race");
	collect(x->dir);
	u = pick_user_in(a, -1);
	if (!u)
		return;
	race_set_helpdesk(x, a, 1);
	check_handles_equal("Helpdesk on");
	if (P(50)) {
		race_set_helpdesk(y, a, 0);
		race_attach(x, u);
	} else {
		race_attach(x, u);
		race_set_helpdesk(y, a, 0);
	}
	cur_h = x;
	check_handles_equal("after the Helpdesk race");
}

/* A seed's world. */

/* The licences an edition offers: each family's mini tier and the
 * edition's own, Helpdesk's only when asked, and video. */
static size_t edition_licences(unsigned e, int helpdesk, const char **out)
{
	size_t n = 0;
	unsigned f;

	for (f = 0; f < 3; f++) {
		if (f == 1 && !helpdesk)
			continue;
		out[n++] = licences[4 * f];
		if (e)
			out[n++] = licences[4 * f + e];
	}
	out[n++] = licences[12];
	return n;
}
static roster_id setup_admin(roster_directory *d, const roster_actor *pa,
			     roster_id account, const char *first,
			     const char *last, const char *email)
{
	roster_form *f = NULL;
	roster_id id = 0;

	assert_int_equal(roster_form_new(&f, d), 0);
	roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, first);
	roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, last);
	roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
	roster_form_set_bool(f, ROSTER_FIELD_ADMIN, 1);
	assert_int_equal(roster_user_create(&id, d, pa, account, f), 0);
	roster_form_free(f);
	return id;
}

static void world_setup(int mode)
{
	const roster_storage *st = NULL;
	void *stores[2] = { NULL, NULL };
	roster_directory *d;
	roster_actor pa = { ROSTER_ACTOR_PARTNER, 0, 0 };
	roster_id pbx, grp, x;
	const char *ls[NLICENCES];
	int i, k;
	unsigned e;
	size_t n;

	storage_mode = mode;
	nh = mode ? 2 : 1;
	for (i = 0; i < 2; i++) {
		H[i].nev = 0;
		H[i].txn = 0;
		H[i].id = i;
		H[i].last_seq = 0;
	}
	nmu = 0;
	ntoks = 0;
	fa_n = 0;
	store_seq = 0;
	check_store_seq = 0;
	pending_msg[0] = 0;
	now_t = 1700000000;
	if (mode == 1) {
		assert_int_equal(roster_memstore_new(&ms), 0);
		st = roster_memstore_methods();
		stores[0] = stores[1] = ms;
	} else if (mode == 2) {
		snprintf(fpath, sizeof fpath, "%s/store", tmpdir);
		for (i = 0; i < 2; i++) {
			assert_int_equal(roster_filestore_open(
						 fpath, ROSTER_FILESTORE_NOSYNC,
						 &fs[i]),
					 0);
			stores[i] = fs[i];
		}
		st = roster_filestore_methods();
	}
	no_outbox = P(50);
	outbox_on = mode && !no_outbox;
	outbox.n = replayed.n = 0;
	hooked = P(30);
	al_live = 0;
	H[0].dir = d = open_dir(&H[0], st, stores[0], no_outbox);

	assert_int_equal(roster_partner_create(&P1, d, &SYS, "Partner One"),
			 0);
	pa.id = P1;
	assert_int_equal(roster_account_create(&A1, d, &pa, P1, "Acme"), 0);
	assert_int_equal(roster_pbx_create(&pbx, d, &pa, A1, "Main PBX", 3, 4),
			 0);
	assert_int_equal(roster_site_create(&SITE1, d, &pa, A1, "Paris"), 0);
	assert_int_equal(roster_group_create(&grp, d, &pa, A1, "Sales"), 0);
	ADM1 = setup_admin(d, &pa, A1, "Ada", "Admin", "ada@acme.example");
	assert_int_equal(roster_partner_create(&P2, d, &SYS, "Partner Two"),
			 0);
	pa.id = P2;
	assert_int_equal(roster_account_create(&A2, d, &pa, P2, "Globex"), 0);
	ADM2 = setup_admin(d, &pa, A2, "Otto", "Other", "otto@globex.example");
	assert_int_equal(roster_station_order(d, &SYS, SITE1, "standard", 3),
			 0);
	assert_int_equal(roster_station_order(d, &SYS, SITE1, "premium", 1),
			 0);
	if (P(50)) {
		/* A random edition, Helpdesk licences or not. */
		e = R(4);
		n = edition_licences(e, (int)R(2), ls);
		assert_int_equal(roster_account_set_licences(d, &SYS, A1,
							     editions[e], ls,
							     n),
				 0);
	} else {
		/* Everything: the top edition, Helpdesk, a second PBX and
		 * site, stations of every pack and product licences. */
		n = edition_licences(3, 1, ls);
		assert_int_equal(roster_account_set_licences(d, &SYS, A1,
							     editions[3], ls,
							     n),
				 0);
		assert_int_equal(roster_account_set_helpdesk(d, &SYS, A1, 1),
				 0);
		assert_int_equal(roster_pbx_create(&x, d, &SYS, A1,
						   "Second PBX", 2, 5),
				 0);
		assert_int_equal(roster_site_create(&x, d, &SYS, A1, "Brno"),
				 0);
		for (k = 0; k < 3; k++)
			assert_int_equal(roster_station_order(d, &SYS, x,
							      packs[k], 4),
					 0);
		assert_int_equal(roster_product_purchase(d, &SYS, A1,
							 "meetings", 3),
				 0);
		n = edition_licences(1, 0, ls);
		assert_int_equal(roster_account_set_licences(d, &SYS, A2,
							     editions[1], ls,
							     n),
				 0);
	}
	if (mode) {
		H[1].dir = open_dir(&H[1], st, stores[1], no_outbox);
		refresh_store_snap();
	}
	maxid = ADM2 + 2;
	check_store_seq = mode && !no_outbox;
}

/* Free a seed's world, also after a failure. */
static void world_free_all(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		roster_directory_free(H[i].dir);
		H[i].dir = NULL;
		H[i].txn = 0;
		free(H[i].txn_snap);
		H[i].txn_snap = NULL;
		roster_filestore_free(fs[i]);
		fs[i] = NULL;
	}
	if (ms)
		roster_memstore_free(ms);
	ms = NULL;
	free(store_snap);
	store_snap = NULL;
	roster_catalog_free(cur_cat);
	cur_cat = NULL;
	armed = 0;
	fail_at = 0;
}

/* Remove the files a file store left in the temporary directory. */
static void empty_tmpdir(void)
{
	char path[600];
	struct dirent *e;
	DIR *dp = opendir(tmpdir);

	if (!dp)
		return;
	while ((e = readdir(dp)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	closedir(dp);
}

/* With one directory: outside a transaction, its users are the model's. */
static void check_model_now(void)
{
	if (!H[0].txn)
		check_model(H[0].dir, "model");
}

static void run_seed(unsigned long long seed, long steps)
{
	unsigned r;
	int i;

	seed_cur = seed;
	steps_cur = steps;
	mode_cur = (int)(seed % 3);
	rng = seed * 0x9E3779B97F4A7C15ull + 1;
	nlog = 0;
	step_cur = -1;
	seed_running = 1;
	world_setup(mode_cur);
	for (step_cur = 0; step_cur < steps; step_cur++) {
		cur_h = &H[nh > 1 ? R(2) : 0];
		clean = P(50);
		fired = 0;
		fail_at = hooked && P(25) ? 1 + (long)R(P(70) ? 16 : 400) : 0;
		collect(cur_h->dir);
		r = R(100);
		if (r < 22)
			op_user_create();
		else if (r < 38)
			op_user_update();
		else if (r < 44)
			op_user_delete();
		else if (r < 50)
			op_station();
		else if (r < 57)
			op_product();
		else if (r < 61)
			op_account_cfg();
		else if (r < 67)
			op_records();
		else if (r < 69)
			op_clock();
		else if (r < 74 && ntoks && P(35))
			op_redeem();
		else if (r < 74)
			op_password();
		else if (r < 81)
			op_txn();
		else if (r < 83)
			op_search();
		else if (r < 85)
			op_search_self();
		else if (r < 89)
			P(75) ? op_import() : op_export();
		else if (r < 91)
			op_reads();
		else if (r < 92)
			op_access();
		else if (r < 93)
			op_choices();
		else if (r < 95 && P(60))
			op_outbox();
		else if (r < 95 && P(8))
			op_catalog();
		else if (nh == 1)
			check_model_now();
		else if (r < 96)
			op_refresh();
		else if (r < 98)
			op_helpdesk_race();
		else
			check_handles_equal("periodic");
	}
	for (i = 0; i < nh; i++)
		if (H[i].txn) {
			cur_h = &H[i];
			rollback(&H[i]);
			free(H[i].txn_snap);
			H[i].txn_snap = NULL;
		}
	if (nh > 1)
		check_handles_equal("final");
	else
		check_model(H[0].dir, "final");
	world_free_all();
	if (al_live)
		violation("nomem.leak",
			  "%ld block(s) left once every directory was freed",
			  al_live);
	empty_tmpdir();
	seed_running = 0;
}

static unsigned long long env_number(const char *name,
				     unsigned long long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 10) : def;
}

static void test_random_calls(void **state)
{
	unsigned long long first = env_number("ROSTER_RANDOM_SEED", 1);
	unsigned long long n = env_number("ROSTER_RANDOM_SEEDS", SEEDS_DEFAULT);
	long steps = (long)env_number("ROSTER_RANDOM_STEPS", STEPS_DEFAULT);
	unsigned long long s;

	(void)state;
	print_message("seeds %llu to %llu, %ld calls each\n", first,
		      first + n - 1, steps);
	for (s = first; s < first + n; s++)
		run_seed(s, steps);
}

static int group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "%s/roster-random-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* After a failure too: report a seed that did not finish, then free. */
static int test_teardown(void **state)
{
	int i;

	(void)state;
	if (seed_running)
		print_run();
	seed_running = 0;
	world_free_all();
	for (i = 0; i < 2; i++) {
		free(H[i].evs);
		H[i].evs = NULL;
		H[i].nev = H[i].cap = 0;
	}
	free(outbox.v);
	free(replayed.v);
	memset(&outbox, 0, sizeof outbox);
	memset(&replayed, 0, sizeof replayed);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	empty_tmpdir();
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_random_calls, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
