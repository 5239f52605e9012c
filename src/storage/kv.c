/* kv.c: the live keys of a built-in store and a transaction's writes. */
#include "kv.h"

#include <stdlib.h>
#include <string.h>

#include "../util/table.h"

#define FIRST_BUCKETS 64
#define SMALL_INDEX 1024

uint64_t rs_kv_hash(const char *key, size_t klen)
{
	return rs_hash(key, klen, 0);
}

int rs_kv_init(rs_kv *t)
{
	memset(t, 0, sizeof(*t));
	t->buckets = calloc(FIRST_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -1;
	t->nbuckets = FIRST_BUCKETS;
	return 0;
}

void rs_kv_free(rs_kv *t)
{
	rs_kv_entry *e, *newer;

	for (e = t->oldest; e; e = newer) {
		newer = e->newer;
		free(e);
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static int same(const rs_kv_entry *e, const char *key, size_t klen,
		uint64_t hash)
{
	return e->hash == hash && e->klen == klen &&
	       memcmp(e->key, key, klen) == 0;
}

static rs_kv_entry **slot(const rs_kv *t, const char *key, size_t klen,
			  uint64_t hash)
{
	rs_kv_entry **e = &t->buckets[hash & (t->nbuckets - 1)];

	while (*e && !same(*e, key, klen, hash))
		e = &(*e)->next;
	return e;
}

rs_kv_entry *rs_kv_get(const rs_kv *t, const char *key, size_t klen,
		       uint64_t hash)
{
	return *slot(t, key, klen, hash);
}

/* More buckets when the chains would grow past two on average; keeping
 * the old ones when memory is short is fine. */
static void grow(rs_kv *t, size_t more)
{
	size_t n = t->nbuckets;
	rs_kv_entry **b, *e;

	while (n < (SIZE_MAX / sizeof(*b)) / 4 && t->count + more > 2 * n)
		n *= 2;
	if (n == t->nbuckets || !(b = calloc(n, sizeof(*b))))
		return;
	/* in the order applied: the entries are read from one end of their
	 * memory to the other */
	for (e = t->oldest; e; e = e->newer) {
		e->next = b[e->hash & (n - 1)];
		b[e->hash & (n - 1)] = e;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

rs_kv_entry *rs_kv_entry_new(const char *key, size_t klen, uint64_t hash,
			     const void *value, size_t len, uint64_t version)
{
	rs_kv_entry *e;

	if (!value)
		len = 0;
	if (klen > SIZE_MAX / 4 || len > SIZE_MAX / 4)
		return NULL;
	if (!(e = malloc(sizeof(*e) + klen + 1 + len)))
		return NULL;
	e->next = e->older = e->newer = NULL;
	e->hash = hash;
	e->version = value ? version : 0;
	e->klen = klen;
	e->len = len;
	memcpy(e->key, key, klen);
	e->key[klen] = '\0';
	if (len)
		memcpy(e->key + klen + 1, value, len);
	return e;
}

/* The place of a key in the write index: its latest write, or the empty
 * place where it goes. */
static size_t index_place(const rs_kv_writes *w, const char *key, size_t klen,
			  uint64_t hash)
{
	size_t i = (size_t)hash & (w->icap - 1);

	while (w->index[i] && !same(w->v[w->index[i] - 1], key, klen, hash))
		i = (i + 1) & (w->icap - 1);
	return i;
}

/* Room for one more write in the vector. */
static int vector_room(rs_kv_writes *w)
{
	if (w->n >= UINT32_MAX - 1)
		return -1;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		rs_kv_entry **v = cap > SIZE_MAX / sizeof(*v)
					  ? NULL
					  : realloc(w->v, cap * sizeof(*v));
		if (!v)
			return -1;
		w->v = v;
		w->cap = cap;
	}
	return 0;
}

/* Room for one more write: the vector and an index at most half full. */
static int writes_room(rs_kv_writes *w)
{
	size_t i;

	if (vector_room(w))
		return -1;
	if (2 * (w->n + 1) > w->icap) {
		size_t icap = w->icap ? w->icap * 2 : 32;
		uint32_t *old = w->index, *index;
		size_t old_cap = w->icap;

		if (icap > SIZE_MAX / sizeof(*index) ||
		    !(index = calloc(icap, sizeof(*index))))
			return -1;
		w->index = index;
		w->icap = icap;
		for (i = 0; i < old_cap; i++)
			if (old[i]) {
				const rs_kv_entry *e = w->v[old[i] - 1];
				w->index[index_place(w, e->key, e->klen,
						     e->hash)] = old[i];
			}
		free(old);
	}
	return 0;
}

int rs_kv_writes_add(rs_kv_writes *w, rs_kv_entry *e)
{
	if (writes_room(w))
		return -1;
	w->v[w->n++] = e;
	w->index[index_place(w, e->key, e->klen, e->hash)] = (uint32_t)w->n;
	return 0;
}

int rs_kv_writes_append(rs_kv_writes *w, rs_kv_entry *e)
{
	if (vector_room(w))
		return -1;
	w->v[w->n++] = e;
	return 0;
}

const rs_kv_entry *rs_kv_writes_find(const rs_kv_writes *w, const char *key,
				     size_t klen, uint64_t hash)
{
	size_t i;

	if (!w->n)
		return NULL;
	i = index_place(w, key, klen, hash);
	return w->index[i] ? w->v[w->index[i] - 1] : NULL;
}

uint64_t rs_kv_current(const rs_kv *t, const rs_kv_writes *w, const char *key,
		       size_t klen, uint64_t hash)
{
	const rs_kv_entry *e = rs_kv_writes_find(w, key, klen, hash);

	if (!e)
		e = rs_kv_get(t, key, klen, hash);
	return e ? e->version : 0;
}

/* Empty the index: a small one is zeroed, a large one (left by a big
 * transaction) given back, so that small transactions stay cheap. */
static void index_reset(rs_kv_writes *w)
{
	if (w->icap > SMALL_INDEX) {
		free(w->index);
		w->index = NULL;
		w->icap = 0;
	} else if (w->index) {
		memset(w->index, 0, w->icap * sizeof(*w->index));
	}
}

void rs_kv_writes_clear(rs_kv_writes *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	w->n = 0;
	index_reset(w);
}

void rs_kv_writes_free(rs_kv_writes *w)
{
	rs_kv_writes_clear(w);
	free(w->v);
	free(w->index);
	memset(w, 0, sizeof(*w));
}

/* Take an entry out of the order applied. */
static void unlink_order(rs_kv *t, rs_kv_entry *e)
{
	*(e->older ? &e->older->newer : &t->oldest) = e->newer;
	*(e->newer ? &e->newer->older : &t->newest) = e->older;
}

void rs_kv_apply(rs_kv *t, rs_kv_writes *w)
{
	size_t i;

	grow(t, w->n);
	for (i = 0; i < w->n; i++) {
		rs_kv_entry *e = w->v[i], **s, *old;

		s = slot(t, e->key, e->klen, e->hash);
		old = *s;
		if (old) {
			*s = old->next;
			unlink_order(t, old);
			t->count--;
			t->bytes -= old->klen + old->len;
			free(old);
		}
		if (!e->version) { /* a removal */
			free(e);
			continue;
		}
		e->next = t->buckets[e->hash & (t->nbuckets - 1)];
		t->buckets[e->hash & (t->nbuckets - 1)] = e;
		e->older = t->newest;
		e->newer = NULL;
		*(t->newest ? &t->newest->newer : &t->oldest) = e;
		t->newest = e;
		t->count++;
		t->bytes += e->klen + e->len;
	}
	w->n = 0;
	index_reset(w);
}
