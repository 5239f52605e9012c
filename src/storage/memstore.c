/*
 * memstore.c: the built-in memory store (roster/sys/storage.h).
 *
 * A hash table of keys to (value, version), chained, behind one mutex
 * that a write transaction holds from begin to commit or rollback, so the
 * directories sharing the store see each other's commits whole. Writes of
 * a transaction wait in a list until commit. It belongs to the host and
 * uses the C library's allocator.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "roster/sys/storage.h"
#include "../util/table.h"

typedef struct entry {
	struct entry *next;
	char *key;
	void *value;
	size_t len;
	uint64_t version;
} entry;

typedef struct pending {
	char *key;
	void *value; /* NULL for a removal */
	size_t len;
	uint64_t version;
} pending;

struct roster_memstore {
	pthread_mutex_t lock;
	entry **buckets;
	size_t nbuckets, count;
	uint64_t clock; /* versions are unique across the store */
	pending *writes;
	size_t nwrites, capwrites;
	int in_txn;
	const char *err;
};

static uint64_t hash_key(const char *s)
{
	return rs_hash(s, strlen(s), 0);
}

static entry **slot(roster_memstore *ms, const char *key)
{
	entry **e = &ms->buckets[hash_key(key) & (ms->nbuckets - 1)];

	while (*e && strcmp((*e)->key, key) != 0)
		e = &(*e)->next;
	return e;
}

int roster_memstore_new(roster_memstore **out)
{
	roster_memstore *ms;

	if (!out)
		return ROSTER_EINVAL;
	*out = NULL;
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return ROSTER_ENOMEM;
	ms->nbuckets = 1024;
	ms->buckets = calloc(ms->nbuckets, sizeof(entry *));
	if (!ms->buckets || pthread_mutex_init(&ms->lock, NULL)) {
		free(ms->buckets);
		free(ms);
		return ROSTER_ENOMEM;
	}
	*out = ms;
	return ROSTER_OK;
}

static void drop_writes(roster_memstore *ms)
{
	size_t i;

	for (i = 0; i < ms->nwrites; i++) {
		free(ms->writes[i].key);
		free(ms->writes[i].value);
	}
	ms->nwrites = 0;
}

void roster_memstore_free(roster_memstore *ms)
{
	size_t i;

	if (!ms)
		return;
	drop_writes(ms);
	free(ms->writes);
	for (i = 0; i < ms->nbuckets; i++) {
		entry *e = ms->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e->key);
			free(e->value);
			free(e);
		}
	}
	free(ms->buckets);
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}

static int fail(roster_memstore *ms, int code, const char *why)
{
	ms->err = why;
	return code;
}

static int ms_begin(void *store)
{
	roster_memstore *ms = store;

	pthread_mutex_lock(&ms->lock);
	ms->in_txn = 1;
	ms->nwrites = 0;
	return ROSTER_OK;
}

/* The version a key has in this transaction's view (0: absent). */
static uint64_t current(roster_memstore *ms, const char *key)
{
	entry *e;
	size_t i = ms->nwrites;

	while (i--)
		if (strcmp(ms->writes[i].key, key) == 0)
			return ms->writes[i].value ? ms->writes[i].version : 0;
	e = *slot(ms, key);
	return e ? e->version : 0;
}

static int add_write(roster_memstore *ms, const char *key, const void *value,
		     size_t len, uint64_t version)
{
	pending *p;

	if (ms->nwrites == ms->capwrites) {
		size_t cap = ms->capwrites ? ms->capwrites * 2 : 16;
		pending *w = realloc(ms->writes, cap * sizeof(*w));
		if (!w)
			return fail(ms, ROSTER_ESTORAGE, "out of memory");
		ms->writes = w;
		ms->capwrites = cap;
	}
	p = &ms->writes[ms->nwrites];
	p->key = strdup(key);
	p->value = NULL;
	p->len = len;
	p->version = version;
	if (!p->key || (value && !(p->value = malloc(len ? len : 1)))) {
		free(p->key);
		return fail(ms, ROSTER_ESTORAGE, "out of memory");
	}
	if (value && len)
		memcpy(p->value, value, len);
	ms->nwrites++;
	return ROSTER_OK;
}

static int ms_put(void *store, const char *key, const void *value, size_t len,
		  uint64_t expected, uint64_t *version_out)
{
	roster_memstore *ms = store;
	int rc;

	if (!ms->in_txn)
		return fail(ms, ROSTER_ESTORAGE, "put outside a transaction");
	if (current(ms, key) != expected)
		return fail(ms, ROSTER_ECONFLICT, "version changed");
	if ((rc = add_write(ms, key, value ? value : "", len, ++ms->clock)))
		return rc;
	*version_out = ms->clock;
	return ROSTER_OK;
}

static int ms_remove(void *store, const char *key, uint64_t expected)
{
	roster_memstore *ms = store;

	if (!ms->in_txn)
		return fail(ms, ROSTER_ESTORAGE, "remove outside a transaction");
	if (!expected || current(ms, key) != expected)
		return fail(ms, ROSTER_ECONFLICT, "version changed");
	return add_write(ms, key, NULL, 0, 0);
}

static int ms_commit(void *store)
{
	roster_memstore *ms = store;
	size_t i;
	int rc = ROSTER_OK;

	/* make room first, so that applying cannot fail half way */
	entry **fresh = calloc(ms->nwrites ? ms->nwrites : 1, sizeof(entry *));
	if (!fresh) {
		rc = fail(ms, ROSTER_ESTORAGE, "out of memory");
		goto out;
	}
	for (i = 0; i < ms->nwrites; i++)
		if (ms->writes[i].value && !(fresh[i] = calloc(1, sizeof(entry)))) {
			rc = fail(ms, ROSTER_ESTORAGE, "out of memory");
			break;
		}
	if (rc) {
		for (i = 0; i < ms->nwrites; i++)
			free(fresh[i]);
		goto out;
	}
	for (i = 0; i < ms->nwrites; i++) {
		pending *p = &ms->writes[i];
		entry **s = slot(ms, p->key), *e = *s;

		if (!p->value) { /* removal */
			if (e) {
				*s = e->next;
				free(e->key);
				free(e->value);
				free(e);
				ms->count--;
			}
			free(p->key);
			free(fresh[i]);
			continue;
		}
		if (e) {
			free(e->value);
			free(p->key);
			free(fresh[i]);
		} else {
			e = fresh[i];
			e->key = p->key;
			e->next = ms->buckets[hash_key(p->key) & (ms->nbuckets - 1)];
			ms->buckets[hash_key(p->key) & (ms->nbuckets - 1)] = e;
			ms->count++;
		}
		e->value = p->value;
		e->len = p->len;
		e->version = p->version;
	}
	ms->nwrites = 0;
	free(fresh);
out:
	if (rc)
		drop_writes(ms);
	free(rc ? fresh : NULL);
	ms->in_txn = 0;
	pthread_mutex_unlock(&ms->lock);
	return rc;
}

static int ms_rollback(void *store)
{
	roster_memstore *ms = store;

	drop_writes(ms);
	ms->in_txn = 0;
	pthread_mutex_unlock(&ms->lock);
	return ROSTER_OK;
}

static int ms_scan(void *store, const char *prefix, roster_storage_row_fn row,
		   void *row_data)
{
	roster_memstore *ms = store;
	size_t i, n = strlen(prefix);
	int rc = 0;

	pthread_mutex_lock(&ms->lock);
	for (i = 0; i < ms->nbuckets && !rc; i++) {
		entry *e;
		for (e = ms->buckets[i]; e && !rc; e = e->next)
			if (strncmp(e->key, prefix, n) == 0)
				rc = row(e->key, e->value, e->len, e->version,
					 row_data);
	}
	pthread_mutex_unlock(&ms->lock);
	return rc;
}

static const char *ms_errmsg(void *store)
{
	roster_memstore *ms = store;

	return ms->err ? ms->err : "";
}

static const roster_storage methods = {
	ROSTER_STORAGE_VERSION, ms_begin, ms_commit, ms_rollback, ms_put,
	ms_remove, ms_scan, ms_errmsg, NULL
};

const roster_storage *roster_memstore_methods(void)
{
	return &methods;
}
