/*
 * bench.c: figures for the directory at scale, printed, never asserted.
 *
 *   build/tests/bench/roster-bench [users] [accounts]
 *
 * (default 1,000,000 users in 10,000 accounts, one of which holds a tenth
 * of them). Generates French, Czech and English names with diacritics,
 * creates the users through the public API and prints: creation
 * throughput, search latency (p50, p99) for 1- to 4-letter prefixes, first
 * 20 results, across the whole directory and inside the big account,
 * search with a filter, counting all matches, lookup by login, a licence
 * decision (roster_user_choices), and resident memory per user.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "roster.h"

static const char *const firsts[] = {
	"Marie", "Jiří", "Hélène", "Zoë", "François", "Šárka", "Anna",
	"Lukáš", "Ève", "Petr", "Jan", "Tomáš", "Chloé", "Léa", "Olivia",
	"James", "Emily", "Oliver", "Kateřina", "Gaëlle", "Noémie", "Jakub",
	"Adéla", "Éric", "Amélie", "Zdeněk", "William", "Sophie", "Ondřej",
	"Camille",
};
static const char *const lasts[] = {
	"Dvořáková", "Novák", "Lefèvre", "Černý", "Dubois", "Svoboda",
	"Müller", "Procházka", "Garçon", "Smith", "Martin", "Bernard",
	"Kučera", "Veselý", "Horák", "Němec", "Pokorný", "Thomas", "Robert",
	"Richard", "Petit", "Durand", "Johnson", "Williams", "Brown",
	"Jones", "Marková", "Fialová", "Rousseau", "Girard",
};
#define NF (sizeof(firsts) / sizeof(firsts[0]))
#define NL (sizeof(lasts) / sizeof(lasts[0]))

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned seed = 20261123;

static unsigned rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_double);
	printf("%-46s p50 %10.2f us   p99 %10.2f us   (%zu runs)\n", what,
	       t[n / 2] * 1e6, t[(n * 99) / 100] * 1e6, n);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * 4;
}

/* A prefix of 1 to 4 letters of a random name, folded by hand (ASCII). */
static void prefix(char *out, size_t len)
{
	static const char *const plain[] = { "mar", "jir", "hel", "zoe",
					     "fra", "sar", "ann", "luk", "dvo",
					     "nov", "lef", "cer", "dub", "svo",
					     "mul", "pro", "smi", "ber", "kuc",
					     "ves", "hor", "nem", "pok", "tho" };
	const char *p = plain[rnd() % (sizeof(plain) / sizeof(plain[0]))];
	char extra[] = "abcdefghijklmnopqrstuvwxyz";

	if (len <= 3) {
		memcpy(out, p, len);
		out[len] = '\0';
	} else {
		memcpy(out, p, 3);
		out[3] = extra[rnd() % 26];
		out[4] = '\0';
	}
}

int main(int argc, char **argv)
{
	size_t users = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t accounts = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	roster_directory *dir = NULL;
	roster_actor sys, partner_actor;
	roster_id partner, *acc, big, some_user = 0;
	roster_form *f = NULL;
	roster_query *q = NULL;
	double t0, t1, *lat;
	long rss0, rss1;
	size_t i, runs = 200, len;
	char email[64];

	if (!users || !accounts || accounts > users)
		return fprintf(stderr, "usage: %s [users] [accounts]\n", argv[0]), 2;
	lat = calloc(runs, sizeof(*lat));
	acc = calloc(accounts, sizeof(*acc));
	if (!lat || !acc)
		return 1;
	rss0 = rss_kib();
	if (roster_directory_open(&dir, NULL))
		return 1;
	roster_actor_init(&sys, ROSTER_ACTOR_SYSTEM, 0);
	roster_partner_create(&partner, dir, &sys, "Reseller");
	roster_actor_init(&partner_actor, ROSTER_ACTOR_PARTNER, partner);
	for (i = 0; i < accounts; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Account %zu", i);
		if (roster_account_create(&acc[i], dir, &sys, partner, name))
			return fprintf(stderr, "account: %s\n",
				       roster_error_message(
					       roster_directory_error(dir))), 1;
	}
	big = acc[0];
	roster_form_new(&f, dir);
	t0 = now();
	for (i = 0; i < users; i++) {
		roster_id id;
		/* a tenth in the big account, the rest spread */
		roster_id a = i % 10 == 0 ? big : acc[1 + i % (accounts - 1 ? accounts - 1 : 1)];
		snprintf(email, sizeof(email), "u%zu@acme%zu.example", i,
			 i % 97);
		roster_form_clear(f);
		roster_form_set_str(f, ROSTER_FIELD_FIRST_NAME, firsts[rnd() % NF]);
		roster_form_set_str(f, ROSTER_FIELD_LAST_NAME, lasts[rnd() % NL]);
		roster_form_set_str(f, ROSTER_FIELD_EMAIL, email);
		if (roster_user_create(&id, dir, &sys, a, f))
			return fprintf(stderr, "user %zu: %s\n", i,
				       roster_error_message(
					       roster_directory_error(dir))), 1;
		if (i == users / 2)
			some_user = id;
	}
	t1 = now();
	rss1 = rss_kib();
	printf("users %zu in %zu accounts (%zu in the big one)\n", users,
	       accounts, (users + 9) / 10);
	printf("%-46s %10.0f users/s\n", "create through the API", users / (t1 - t0));
	printf("%-46s %10.0f bytes\n", "resident memory per user",
	       (double)(rss1 - rss0) * 1024.0 / (double)users);

	roster_query_new(&q);
	for (len = 1; len <= 4; len++) {
		char text[8], what[64];
		for (i = 0; i < runs; i++) {
			roster_page *p = NULL;
			prefix(text, len);
			roster_query_set_text(q, text);
			t0 = now();
			roster_search(&p, dir, &sys, 0, q, NULL, 20);
			lat[i] = now() - t0;
			roster_page_free(p);
		}
		snprintf(what, sizeof(what), "search, whole directory, %zu letter(s)",
			 len);
		report(what, lat, runs);
		for (i = 0; i < runs; i++) {
			roster_page *p = NULL;
			prefix(text, len);
			roster_query_set_text(q, text);
			t0 = now();
			roster_search(&p, dir, &sys, big, q, NULL, 20);
			lat[i] = now() - t0;
			roster_page_free(p);
		}
		snprintf(what, sizeof(what), "search, big account, %zu letter(s)", len);
		report(what, lat, runs);
	}
	roster_query_filter(q, ROSTER_FILTER_UNREGISTERED);
	for (i = 0; i < runs; i++) {
		roster_page *p = NULL;
		char text[8];
		prefix(text, 2);
		roster_query_set_text(q, text);
		t0 = now();
		roster_search(&p, dir, &sys, big, q, NULL, 20);
		lat[i] = now() - t0;
		roster_page_free(p);
	}
	report("search + filter, big account, 2 letters", lat, runs);
	roster_query_clear(q);
	for (i = 0; i < runs; i++) {
		size_t n;
		char text[8];
		prefix(text, 1 + rnd() % 4);
		roster_query_set_text(q, text);
		t0 = now();
		roster_search_count(&n, dir, &sys, 0, q);
		lat[i] = now() - t0;
	}
	report("count all matches, whole directory", lat, runs);
	for (i = 0; i < runs; i++) {
		roster_id id;
		size_t k = rnd() % users;
		snprintf(email, sizeof(email), "u%zu@acme%zu.example", k, k % 97);
		t0 = now();
		roster_user_find_login(&id, dir, email);
		lat[i] = now() - t0;
	}
	report("lookup by login", lat, runs);
	for (i = 0; i < runs; i++) {
		roster_choices *c = NULL;
		t0 = now();
		roster_user_choices(&c, dir, &sys, 0, some_user);
		lat[i] = now() - t0;
		roster_choices_free(c);
	}
	report("licence decision (every choice of a user)", lat, runs);
	roster_query_free(q);
	roster_form_free(f);
	roster_directory_free(dir);
	free(lat);
	free(acc);
	return 0;
}
