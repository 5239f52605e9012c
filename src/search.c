/*
 * search.c: search as you type and filters over users (search.h).
 *
 * Every version of a user carries its search words (the folded words of
 * its names, login and numbers, each after a space) and its sort key
 * (folded "last first"), derived when the version is made or loaded. A
 * query word matches a user when " word" begins one of its words. The
 * matching users are sorted by (sort key, id); a cursor holds the key and
 * id of the last user shown, so a page starts strictly after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "txn.h"
#include "util/text.h"
#include "validate.h"

#define WORDS_MAX 16 /* query words kept */

struct roster_query {
	char *text;		  /* as given */
	char *words[WORDS_MAX];	  /* its folded words */
	size_t nwords;
	unsigned props;		  /* bits 1 << roster_filter */
	char *item[3];		  /* licence, pack, product; NULL: any */
	roster_id group, site;
};

/* ------------------------------------------------------------------ */
/* Keys of a user                                                      */

/* The fields whose words are searched, in the order they are kept. */
static const int search_fields[] = { ROSTER_FIELD_FIRST_NAME,
				     ROSTER_FIELD_LAST_NAME,
				     ROSTER_FIELD_DISPLAY_NAME,
				     ROSTER_FIELD_EMAIL,
				     ROSTER_FIELD_EXTENSION,
				     ROSTER_FIELD_PHONE };
#define NSEARCH (sizeof(search_fields) / sizeof(search_fields[0]))

uint64_t rs_search_field_mask(void)
{
	uint64_t m = (uint64_t)1 << ROSTER_FIELD_LINES;
	size_t i;

	for (i = 0; i < NSEARCH; i++)
		m |= (uint64_t)1 << search_fields[i];
	return m;
}

int rs_user_search_keys(roster_directory *dir, rs_user *u)
{
	size_t n = NSEARCH + u->nlines, i, len = 0, a, b;
	char **w = rs_calloc(&dir->al, n, sizeof(char *));
	char *words = NULL, *key = NULL;
	int rc = 0;

	/* each field folded once: for the words and, names, the key */
	for (i = 0; w && i < n && !rc; i++) {
		const char *v = i < NSEARCH ? u->str[search_fields[i]]
					    : u->lines[i - NSEARCH];
		if ((rc = rs_text_words(&dir->al, v ? v : "", &w[i])) == 0)
			len += strlen(w[i]);
	}
	if (w && !rc && (words = rs_calloc(&dir->al, len + 1, 1)) &&
	    (key = rs_calloc(&dir->al, strlen(w[0]) + strlen(w[1]) + 2, 1))) {
		for (i = 0, len = 0; i < n; i++) {
			memcpy(words + len, w[i], strlen(w[i]));
			len += strlen(w[i]);
		}
		/* "last\x01first": a shorter last name sorts first */
		a = strlen(w[1]);
		b = strlen(w[0]);
		memcpy(key, w[1], a);
		key[a] = '\x01';
		memcpy(key + a + 1, w[0], b);
	}
	for (i = 0; w && i < n; i++)
		rs_free(&dir->al, w[i]);
	rs_free(&dir->al, w);
	if (!key) {
		/* the fields were validated: only memory can fail here */
		rs_free(&dir->al, words);
		return rs_nomem(dir);
	}
	rs_free(&dir->al, u->words);
	rs_free(&dir->al, u->sortkey);
	u->words = words;
	u->sortkey = key;
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */

int roster_query_new(roster_query **out)
{
	if (!out)
		return rs_error_tl(ROSTER_EINVAL, "out", "arg.null", NULL);
	if (!(*out = calloc(1, sizeof(**out))))
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	return ROSTER_OK;
}

static void clear_text(roster_query *q)
{
	size_t i;

	for (i = 0; i < q->nwords; i++)
		free(q->words[i]);
	free(q->text);
	q->text = NULL;
	q->nwords = 0;
}

void roster_query_clear(roster_query *q)
{
	size_t i;

	if (!q)
		return;
	clear_text(q);
	for (i = 0; i < 3; i++) {
		free(q->item[i]);
		q->item[i] = NULL;
	}
	q->props = 0;
	q->group = q->site = 0;
}

void roster_query_free(roster_query *q)
{
	roster_query_clear(q);
	free(q);
}

int roster_query_set_text(roster_query *q, const char *text)
{
	roster_query next;
	rs_alloc libc;
	char *w = NULL, *p, *save = NULL;
	int rc;

	if (!q)
		return rs_error_tl(ROSTER_EINVAL, "query", "arg.null", NULL);
	if (!text || !*text) {
		clear_text(q);
		return ROSTER_OK;
	}
	if (strnlen(text, ROSTER_QUERY_MAX + 1) > ROSTER_QUERY_MAX)
		return rs_error_tl(ROSTER_EINVALID, "query", "text.long", NULL);
	rs_alloc_setup(&libc, NULL); /* a query belongs to no directory */
	if ((rc = rs_text_words(&libc, text, &w)))
		return rc == -1 ? rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL)
				: rs_error_tl(ROSTER_EINVALID, "query",
					      "text.utf8", NULL);
	memset(&next, 0, sizeof(next));
	if (!(next.text = strdup(text)))
		goto nomem;
	for (p = strtok_r(w, " ", &save); p && next.nwords < WORDS_MAX;
	     p = strtok_r(NULL, " ", &save)) {
		/* kept with its leading space: " word" begins a word */
		size_t n = strlen(p);
		char *s = malloc(n + 2);
		if (!s)
			goto nomem;
		s[0] = ' ';
		memcpy(s + 1, p, n + 1);
		next.words[next.nwords++] = s;
	}
	free(w);
	clear_text(q);
	q->text = next.text;
	memcpy(q->words, next.words, sizeof(q->words));
	q->nwords = next.nwords;
	return ROSTER_OK;
nomem:
	free(w);
	clear_text(&next);
	return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
}

int roster_query_filter(roster_query *q, int filter)
{
	char v[24];

	if (!q)
		return rs_error_tl(ROSTER_EINVAL, "query", "arg.null", NULL);
	if (filter < ROSTER_FILTER_ADMINS || filter > ROSTER_FILTER_IOT) {
		snprintf(v, sizeof(v), "%d", filter);
		return rs_error_tl(ROSTER_EINVAL, "filter", "arg.range", v);
	}
	q->props |= 1u << filter;
	return ROSTER_OK;
}

int roster_query_item(roster_query *q, int kind, const char *id)
{
	int slot = kind == ROSTER_ITEM_LICENCE ? 0
		   : kind == ROSTER_ITEM_PACK  ? 1
		   : kind == ROSTER_ITEM_PRODUCT ? 2
						 : -1;
	char v[24], *copy = NULL;

	if (!q)
		return rs_error_tl(ROSTER_EINVAL, "query", "arg.null", NULL);
	if (slot < 0) {
		snprintf(v, sizeof(v), "%d", kind);
		return rs_error_tl(ROSTER_EINVAL, "kind", "arg.range", v);
	}
	if (id && rs_valid_item_id(id))
		return rs_error_tl(ROSTER_EINVALID, "id", "item.syntax", id);
	if (id && !(copy = strdup(id)))
		return rs_error_tl(ROSTER_ENOMEM, NULL, "nomem", NULL);
	free(q->item[slot]);
	q->item[slot] = copy;
	return ROSTER_OK;
}

int roster_query_ref(roster_query *q, int field, roster_id id)
{
	char v[24];

	if (!q)
		return rs_error_tl(ROSTER_EINVAL, "query", "arg.null", NULL);
	if (field == ROSTER_FIELD_GROUP)
		q->group = id;
	else if (field == ROSTER_FIELD_SITE)
		q->site = id;
	else {
		snprintf(v, sizeof(v), "%d", field);
		return rs_error_tl(ROSTER_EINVAL, "field", "arg.range", v);
	}
	return ROSTER_OK;
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */

static int same(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* Does `u` pass the query's filters and text? */
static int matches(const roster_query *q, const rs_user *u)
{
	static const struct { int filter, field, want; } props[] = {
		{ ROSTER_FILTER_ADMINS, ROSTER_FIELD_ADMIN, 1 },
		{ ROSTER_FILTER_REGISTERED, ROSTER_FIELD_REGISTERED, 1 },
		{ ROSTER_FILTER_UNREGISTERED, ROSTER_FIELD_REGISTERED, 0 },
		{ ROSTER_FILTER_CLOUD, ROSTER_FIELD_CLOUD, 1 },
		{ ROSTER_FILTER_IOT, ROSTER_FIELD_IOT, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		if ((q->props & (1u << props[i].filter)) &&
		    u->flag[props[i].field] != props[i].want)
			return 0;
	if ((q->props & (1u << ROSTER_FILTER_PBX_USERS)) &&
	    !u->ref[ROSTER_FIELD_PBX])
		return 0;
	if ((q->item[0] && !same(u->str[ROSTER_FIELD_LICENCE], q->item[0])) ||
	    (q->item[1] && !same(u->str[ROSTER_FIELD_PACK], q->item[1])) ||
	    (q->item[2] && !rs_user_has_product(u, q->item[2])) ||
	    (q->group && u->ref[ROSTER_FIELD_GROUP] != q->group) ||
	    (q->site && u->ref[ROSTER_FIELD_SITE] != q->site))
		return 0;
	for (i = 0; i < q->nwords; i++)
		if (!strstr(u->words, q->words[i]))
			return 0;
	return 1;
}

static int cmp_user(const void *a, const void *b)
{
	const rs_user *x = *(const rs_user *const *)a;
	const rs_user *y = *(const rs_user *const *)b;
	int c = strcmp(x->sortkey, y->sortkey);

	if (c)
		return c;
	return x->base.id < y->base.id ? -1 : x->base.id > y->base.id;
}

/* Strictly after the cursor's (key, id)? */
static int after(const rs_user *u, const char *key, roster_id id)
{
	int c = strcmp(u->sortkey, key);

	return c > 0 || (c == 0 && u->base.id > id);
}

/* A cursor: "k", the key in hex, ".", the id in hex. */
static char *make_cursor(roster_directory *dir, const rs_user *u)
{
	size_t n = strlen(u->sortkey), i;
	char *c = rs_calloc(&dir->al, 2 * n + 20, 1), *p;

	if (!c)
		return NULL;
	p = c;
	*p++ = 'k';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%02x", (unsigned char)u->sortkey[i]);
	sprintf(p, ".%llx", (unsigned long long)u->base.id);
	return c;
}

static int parse_cursor(const char *c, char *key, size_t size, roster_id *id)
{
	const char *dot;
	size_t n, i;
	char *end;

	if (c[0] != 'k' || !(dot = strchr(c, '.')))
		return -1;
	n = (size_t)(dot - c - 1);
	if (n % 2 || n / 2 >= size)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(c + 1 + 2 * i, "%2x", &v) != 1 || !v)
			return -1;
		key[i] = (char)v;
	}
	key[n / 2] = '\0';
	if (!dot[1] || strlen(dot + 1) > 16)
		return -1;
	*id = strtoull(dot + 1, &end, 16);
	return *end ? -1 : 0;
}

/* The accounts the actor searches: one, or all it manages. */
static int scope(roster_directory *dir, const rs_who *who, roster_id account,
		 rs_idvec *out)
{
	size_t i, j;
	int rc;

	if (account) {
		if (!rs_get_kind(dir, account, ROSTER_KIND_ACCOUNT))
			return rs_fail_id(dir, ROSTER_ENOTFOUND, "account",
					  "record.notfound", account);
		if ((rc = rs_authz_account(dir, who, account, RS_MANAGE_USERS)))
			return rc;
		if (rs_idvec_reserve(&dir->al, out, 1))
			return rs_nomem(dir);
		out->ids[out->len++] = account;
		return ROSTER_OK;
	}
	if (who->kind != ROSTER_ACTOR_SYSTEM && who->kind != ROSTER_ACTOR_PARTNER)
		return rs_fail(dir, ROSTER_EDENIED, "account", "auth.scope",
			       NULL);
	for (i = 0; i < dir->partners.len; i++) {
		const rs_rec *p = rs_get(dir, dir->partners.ids[i]);
		const rs_idvec *accs = &p->members->accounts;
		if (who->kind == ROSTER_ACTOR_PARTNER && p->id != who->id)
			continue;
		for (j = 0; j < accs->len; j++) {
			if (rs_idvec_reserve(&dir->al, out, 1))
				return rs_nomem(dir);
			out->ids[out->len++] = accs->ids[j];
		}
	}
	return ROSTER_OK;
}

/* Collect the matching users (sorted when `sorted`). */
static int collect(roster_directory *dir, const roster_actor *actor,
		   roster_id account, const roster_query *q, int sorted,
		   const rs_user ***out, size_t *n)
{
	rs_idvec accounts = { NULL, 0, 0 };
	const rs_user **hits = NULL;
	size_t i, j, cap = 0;
	rs_who who;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = rs_who_resolve(dir, actor, &who)))
		return rc;
	if (!q)
		return rs_fail(dir, ROSTER_EINVAL, "query", "arg.null", NULL);
	if ((rc = scope(dir, &who, account, &accounts))) {
		rs_idvec_free(&dir->al, &accounts);
		return rc;
	}
	for (i = 0; i < accounts.len && !rc; i++) {
		const rs_idvec *users = &rs_get(dir, accounts.ids[i])->members->users;
		for (j = 0; j < users->len; j++) {
			const rs_user *u = (const rs_user *)rs_get(dir, users->ids[j]);
			if (!matches(q, u))
				continue;
			if (*n == cap) {
				size_t c = cap ? cap * 2 : 64;
				const rs_user **g = rs_reallocarray(
					&dir->al, hits, c, sizeof(*g));
				if (!g) {
					rc = rs_nomem(dir);
					break;
				}
				hits = g;
				cap = c;
			}
			hits[(*n)++] = u;
		}
	}
	rs_idvec_free(&dir->al, &accounts);
	if (rc) {
		rs_free(&dir->al, hits);
		*n = 0;
		return rc;
	}
	if (sorted && *n > 1)
		qsort(hits, *n, sizeof(*hits), cmp_user);
	*out = hits;
	return ROSTER_OK;
}

int roster_search(roster_page **out, roster_directory *dir,
		  const roster_actor *actor, roster_id account,
		  const roster_query *q, const char *cursor, size_t limit)
{
	const rs_user **hits;
	roster_id after_id = 0, *page_ids;
	char key[1024], *next = NULL;
	size_t n, start = 0, count, i;
	int rc;

	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	*out = NULL;
	if (limit < 1 || limit > ROSTER_PAGE_MAX)
		return rs_fail_id(dir, ROSTER_EINVAL, "limit", "arg.range", limit);
	if (cursor && parse_cursor(cursor, key, sizeof(key), &after_id))
		return rs_fail(dir, ROSTER_EINVAL, "cursor", "arg.cursor", cursor);
	if ((rc = collect(dir, actor, account, q, 1, &hits, &n)))
		return rc;
	if (cursor)
		while (start < n && !after(hits[start], key, after_id))
			start++;
	count = n - start < limit ? n - start : limit;
	page_ids = count ? rs_calloc(&dir->al, count, sizeof(*page_ids)) : NULL;
	if (count && !page_ids) {
		rs_free(&dir->al, hits);
		return rs_nomem(dir);
	}
	for (i = 0; i < count; i++)
		page_ids[i] = hits[start + i]->base.id;
	if (start + count < n && !(next = make_cursor(dir, hits[start + count - 1])))
		rc = rs_nomem(dir);
	if (!rc)
		rc = rs_page_of(dir, page_ids, count, out);
	if (!rc && (rc = rs_page_set_next(dir, *out, next, n))) {
		roster_page_free(*out);
		*out = NULL;
	}
	rs_free(&dir->al, next);
	rs_free(&dir->al, page_ids);
	rs_free(&dir->al, hits);
	return rc;
}

int roster_search_count(size_t *out, roster_directory *dir,
			const roster_actor *actor, roster_id account,
			const roster_query *q)
{
	const rs_user **hits;
	size_t n;
	int rc;

	if (out)
		*out = 0;
	if ((rc = rs_enter(dir)))
		return rc;
	if (!out)
		return rs_fail(dir, ROSTER_EINVAL, "out", "arg.null", NULL);
	if ((rc = collect(dir, actor, account, q, 0, &hits, &n)))
		return rc;
	rs_free(&dir->al, hits);
	*out = n;
	return ROSTER_OK;
}
