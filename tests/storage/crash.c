/*
 * crash.c: a writer killed at random moments.
 *
 * A child process opens a directory on a file store (fsync on) and
 * commits transactions in a loop: transaction i creates user number i and
 * sets the note of each of eight helper users to a long text naming i,
 * so the log grows much faster than the live data and is compacted every
 * few dozen commits. After each commit returns,
 * the child writes i to a pipe. The parent kills it (SIGKILL) after a
 * random delay, reopens the store and checks that it holds exactly a
 * committed prefix: users 1..n and every note of n, where n is the last
 * number reported or the one after it (a commit may be durable before it
 * is reported). Its outbox must hold every event of those commits and
 * nothing else: the setup's, then ten per commit (the creation, its
 * welcome e-mail, whose token is withheld, and the eight updates),
 * numbered without a gap. Then the next child goes on
 * from there.
 *
 * ROSTER_CRASH_ITERATIONS (default 200) and ROSTER_CRASH_SEED replay a
 * run; the seed is printed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define RESET_EVERY 40	/* a fresh store now and then keeps runs short */
#define CHILD_MAX 300	/* commits a child makes before it waits */
#define DELAY_MAX_US 60000
#define HELPERS 8

typedef struct setup {
	char dir[64], path[96];
	roster_id partner, account, helper[HELPERS];
	size_t setup_events; /* events the setup left in the outbox */
} setup;

/* What a replay of the outbox holds. */
typedef struct outbox {
	uint64_t events;   /* delivered so far */
	long gaps;	   /* events out of sequence */
	long created_max;  /* users u1..u<created_max> have their event */
	long created_bad;  /* creations not in order, or twice */
	long updated;
	long welcome;	   /* welcome e-mails that say their token was withheld */
} outbox;

static void count_event(const roster_event *e, void *data)
{
	outbox *o = data;
	const char *email = roster_event_email(e);
	long i;

	o->events++;
	if (roster_event_seq(e) != o->events || !roster_event_replayed(e))
		o->gaps++;
	if (roster_event_type_of(e) == ROSTER_EVENT_USER_UPDATED)
		o->updated++;
	if (roster_event_type_of(e) == ROSTER_EVENT_WELCOME_EMAIL &&
	    roster_event_withheld(e) == ROSTER_WITHHELD_SECRET &&
	    !roster_event_secret(e))
		o->welcome++;
	if (roster_event_type_of(e) == ROSTER_EVENT_USER_CREATED && email &&
	    sscanf(email, "u%ld@", &i) == 1) {
		if (i != o->created_max + 1)
			o->created_bad++;
		o->created_max = i;
	}
}

static roster_directory_options on(roster_filestore *fs)
{
	roster_directory_options o;

	roster_directory_options_init(&o, ROSTER_DIRECTORY_OPTIONS_VERSION);
	o.storage = roster_filestore_methods();
	o.store = fs;
	return o;
}

static void note_of(char *buf, size_t size, long n)
{
	size_t w = 0;

	buf[0] = '\0';
	while (w + 40 < size - 1 && w < 940)
		w += (size_t)snprintf(buf + w, size - w, "[commit %ld]", n);
}

/* A new store holding a partner, an account and its admin. */
static void setup_new(setup *s)
{
	roster_filestore *fs = NULL;
	roster_directory_options o;
	roster_directory *d = NULL;
	roster_actor sys, partner;
	roster_form *f = NULL;
	char email[64];
	int i;

	snprintf(s->dir, sizeof(s->dir), "/tmp/roster-crash-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/store", s->dir);
	assert_int_equal(roster_filestore_open(s->path, 0, &fs), 0);
	o = on(fs);
	assert_int_equal(roster_directory_open(&d, &o), 0);
	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	assert_int_equal(roster_partner_create(&s->partner, d, &sys, "Partner"), 0);
	roster_actor_init(&partner, ROSTER_ACTOR_PARTNER, s->partner);
	assert_int_equal(roster_account_create(&s->account, d, &partner,
					       s->partner, "Acme"), 0);
	assert_int_equal(roster_form_new(&f, d), 0);
	for (i = 0; i < HELPERS; i++) {
		snprintf(email, sizeof(email), "h%d@acme.example", i);
		roster_form_clear(f);
		roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "Helper");
		roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, email);
		roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
		roster_form_set_bool(f, ROSTER_FIELD_ADMIN, i == 0);
		assert_int_equal(roster_user_create(&s->helper[i], d, &partner,
						    s->account, f), 0);
	}
	roster_form_free(f);
	assert_int_equal(roster_outbox_replay(d, 0, &s->setup_events), 0);
	assert_true(s->setup_events > HELPERS);
	roster_directory_free(d);
	roster_filestore_free(fs);
}

static void setup_free(setup *s)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
}

/* The child: commit transactions from number `next` on, reporting each. */
static void writer(const setup *s, long next, int out)
{
	roster_filestore *fs = NULL;
	roster_directory_options o;
	roster_directory *d = NULL;
	roster_actor partner = { ROSTER_ACTOR_PARTNER, 0, s->partner };
	roster_form *f = NULL, *g = NULL;
	char email[64], last[32], note[1000];
	roster_id id;
	long end = next + CHILD_MAX;
	int j, rc;

	if (roster_filestore_open(s->path, 0, &fs))
		_exit(3);
	o = on(fs);
	if (roster_directory_open(&d, &o) || roster_form_new(&f, d) ||
	    roster_form_new(&g, d))
		_exit(4);
	for (; next < end; next++) {
		snprintf(email, sizeof(email), "u%ld@acme.example", next);
		snprintf(last, sizeof(last), "%ld", next);
		note_of(note, sizeof(note), next);
		roster_form_clear(f);
		roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, "User");
		roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, last);
		roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
		roster_form_clear(g);
		roster_form_set_str(g, ROSTER_FIELD_NOTE, note);
		rc = roster_transaction_begin(d);
		if (!rc)
			rc = roster_user_create(&id, d, &partner, s->account, f);
		for (j = 0; !rc && j < HELPERS; j++)
			rc = roster_user_update(d, &partner, s->helper[j], g);
		if (rc || roster_transaction_commit(d)) {
			fprintf(stderr, "writer: commit %ld: %s\n", next,
				roster_error_message(roster_directory_error(d)));
			_exit(5);
		}
		if (write(out, &next, sizeof(next)) != (ssize_t)sizeof(next))
			_exit(6);
	}
	for (;;)
		pause(); /* until killed */
}

/* The number of transactions the store holds; fails unless they are
 * exactly 1..n, whole. */
static long committed(const setup *s)
{
	roster_filestore *fs = NULL;
	roster_directory_options o;
	roster_directory *d = NULL;
	roster_page *p = NULL;
	roster_user *u = NULL;
	roster_id id;
	char email[64], note[1000];
	const char *have;
	outbox box;
	long n, i;
	int j;

	if (roster_filestore_open(s->path, 0, &fs))
		fail_msg("reopening: %s",
			 roster_error_message(roster_error_last()));
	o = on(fs);
	memset(&box, 0, sizeof(box));
	o.event_cb = count_event;
	o.event_data = &box;
	if (roster_directory_open(&d, &o))
		fail_msg("reopening the directory: %s",
			 roster_error_message(roster_error_last()));
	assert_int_equal(roster_list(&p, d, s->account, ROSTER_KIND_USER, NULL,
				     1), 0);
	n = (long)roster_page_total(p) - HELPERS;
	roster_page_free(p);
	for (i = 1; i <= n + 1; i++) {
		snprintf(email, sizeof(email), "u%ld@acme.example", i);
		if ((roster_user_find_login(&id, d, email) == 0) != (i <= n))
			fail_msg("%ld users, but user %ld is %s", n, i,
				 i <= n ? "missing" : "there");
	}
	note_of(note, sizeof(note), n);
	for (j = 0; j < HELPERS; j++) {
		assert_int_equal(roster_user_get(&u, d, s->helper[j]), 0);
		have = roster_user_str(u, ROSTER_FIELD_NOTE);
		if (n ? !have || strcmp(have, note) != 0 : have != NULL)
			fail_msg("%ld users but helper %d has the note of "
				 "another commit: %.20s",
				 n, j, have ? have : "(none)");
		roster_user_free(u);
		u = NULL;
	}
	/* every committed event is in the outbox, in order, once */
	assert_int_equal(roster_outbox_replay(d, 0, NULL), 0);
	if (box.gaps || box.created_bad || box.created_max != n ||
	    box.events != s->setup_events + 10 * (uint64_t)n ||
	    box.updated != HELPERS * n || box.welcome != HELPERS + n)
		fail_msg("%ld commits, but the outbox holds %llu events (%ld "
			 "out of sequence), creations up to u%ld (%ld out of "
			 "order), %ld updates, %ld welcome e-mails",
			 n, (unsigned long long)box.events, box.gaps,
			 box.created_max, box.created_bad, box.updated,
			 box.welcome);
	roster_directory_free(d);
	roster_filestore_free(fs);
	return n;
}

static void test_killed_writer(void **state)
{
	const char *env_n = getenv("ROSTER_CRASH_ITERATIONS");
	const char *env_seed = getenv("ROSTER_CRASH_SEED");
	long iterations = env_n ? atol(env_n) : 200, it, n = 0, reported;
	unsigned seed = env_seed ? (unsigned)strtoul(env_seed, NULL, 10)
				 : (unsigned)time(NULL) ^ (unsigned)getpid();
	long commits = 0, ahead = 0, torn = 0, resets = 0, compacted = 0;
	long mid_compaction = 0;
	struct timespec t0, t1;
	setup s;

	(void)state;
	print_message("seed %u (ROSTER_CRASH_SEED replays it)\n", seed);
	srand(seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setup_new(&s);
	for (it = 0; it < iterations; it++) {
		int fds[2], status;
		pid_t pid;
		long got, before = n;
		struct stat st;
		ssize_t r;
		off_t size;
		ino_t ino;
		char tmp[128];

		if (it && it % RESET_EVERY == 0) {
			setup_free(&s);
			setup_new(&s);
			n = before = 0;
			resets++;
		}
		assert_int_equal(stat(s.path, &st), 0);
		ino = st.st_ino;
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			writer(&s, n + 1, fds[1]);
		}
		close(fds[1]);
		usleep((useconds_t)(rand() % DELAY_MAX_US));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("the writer exited by itself with %d",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		reported = n;
		while ((r = read(fds[0], &got, sizeof(got))) == (ssize_t)sizeof(got)) {
			assert_int_equal(got, reported + 1);
			reported = got;
		}
		assert_int_equal(r, 0);
		close(fds[0]);
		assert_int_equal(stat(s.path, &st), 0);
		size = st.st_size;
		compacted += st.st_ino != ino;
		snprintf(tmp, sizeof(tmp), "%s.tmp", s.path);
		mid_compaction += access(tmp, F_OK) == 0;
		n = committed(&s);
		if (n != reported && n != reported + 1)
			fail_msg("iteration %ld: %ld commits reported, the store "
				 "holds %ld",
				 it, reported, n);
		ahead += n == reported + 1;
		assert_int_equal(stat(s.path, &st), 0);
		torn += st.st_size < size;
		commits += n - before;
	}
	setup_free(&s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("%ld kills, %ld commits (%ld durable before reported), "
		      "%ld torn frames cut, %ld runs compacted, %ld killed "
		      "while compacting, %ld fresh stores, in %.1f s\n",
		      iterations, commits, ahead, torn, compacted,
		      mid_compaction, resets + 1,
		      (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_true(iterations < 20 || commits > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_writer),
	};

	return cmocka_run_group_tests_name("storage/crash", tests, NULL, NULL);
}
