/* kv.c: the live keys of a built-in store and a transaction's writes. */
#include "kv.h"

#include <stdlib.h>
#include <string.h>

#include "../util/table.h"

#define FIRST_SLOTS 64
#define SMALL_INDEX 1024

uint64_t rs_kv_hash(const char *key, size_t klen)
{
	return rs_hash(key, klen, 0);
}

/* The tag of a hash: its top 7 bits (the home slot takes the low ones),
 * and the bit that tells a used slot from an empty one. */
static unsigned char tag_of(uint64_t hash)
{
	return (unsigned char)(0x80 | (hash >> 57));
}

int rs_kv_init(rs_kv *t)
{
	memset(t, 0, sizeof(*t));
	t->slots = calloc(FIRST_SLOTS, sizeof(*t->slots));
	t->tags = calloc(FIRST_SLOTS, 1);
	if (!t->slots || !t->tags) {
		free(t->slots);
		free(t->tags);
		t->slots = NULL;
		t->tags = NULL;
		return -1;
	}
	t->cap = FIRST_SLOTS;
	return 0;
}

void rs_kv_free(rs_kv *t)
{
	rs_kv_entry *e, *newer;

	for (e = t->oldest; e; e = newer) {
		newer = e->newer;
		free(e);
	}
	free(t->slots);
	free(t->tags);
	memset(t, 0, sizeof(*t));
}

static int same(const rs_kv_entry *e, const char *key, size_t klen,
		uint64_t hash)
{
	return e->hash == hash && e->klen == klen &&
	       memcmp(e->key, key, klen) == 0;
}

/* The slot of a key: its entry's, or the empty one where it would go.
 * A slot is read only when its tag is the key's, an entry only when its
 * slot holds the same hash. */
static size_t find(const rs_kv *t, const char *key, size_t klen,
		   uint64_t hash)
{
	size_t mask = t->cap - 1, i = (size_t)hash & mask;
	unsigned char tag = tag_of(hash);

	for (; t->tags[i]; i = (i + 1) & mask)
		if (t->tags[i] == tag && t->slots[i].hash == hash &&
		    same(t->slots[i].e, key, klen, hash))
			break;
	return i;
}

rs_kv_entry *rs_kv_get(const rs_kv *t, const char *key, size_t klen,
		       uint64_t hash)
{
	size_t i = find(t, key, klen, hash);

	return t->tags[i] ? t->slots[i].e : NULL;
}

int rs_kv_reserve(rs_kv *t, size_t more)
{
	size_t cap = t->cap, i;
	rs_kv_slot *s;
	unsigned char *tags;

	if (more > SIZE_MAX / 4 - t->count)
		return -1;
	while ((t->count + more) * 2 >= cap) {
		if (cap > SIZE_MAX / 4 / sizeof(*s))
			return -1;
		cap *= 2;
	}
	if (cap == t->cap)
		return 0;
	if (!(s = calloc(cap, sizeof(*s))) || !(tags = calloc(cap, 1))) {
		free(s);
		return -1;
	}
	/* the hashes are in the slots: no entry is read */
	for (i = 0; i < t->cap; i++)
		if (t->tags[i]) {
			size_t j = (size_t)t->slots[i].hash & (cap - 1);
			while (tags[j])
				j = (j + 1) & (cap - 1);
			s[j] = t->slots[i];
			tags[j] = t->tags[i];
		}
	free(t->slots);
	free(t->tags);
	t->slots = s;
	t->tags = tags;
	t->cap = cap;
	return 0;
}

/* Empty slot i, moving up the entries after it that probed past it
 * (backward-shift deletion: no tombstones). */
static void empty_slot(rs_kv *t, size_t i)
{
	size_t mask = t->cap - 1, j = i;

	for (;;) {
		size_t home;
		j = (j + 1) & mask;
		if (!t->tags[j])
			break;
		home = (size_t)t->slots[j].hash & mask;
		if (!rs_probe_may_fill(i, j, home))
			continue;
		t->slots[i] = t->slots[j];
		t->tags[i] = t->tags[j];
		i = j;
	}
	t->slots[i].e = NULL;
	t->slots[i].hash = 0;
	t->tags[i] = 0;
}

rs_kv_entry *rs_kv_entry_new(const char *key, size_t klen, uint64_t hash,
			     const void *value, size_t len, uint64_t version)
{
	rs_kv_entry *e;

	if (!value)
		len = 0;
	if (klen >= UINT32_MAX || len >= UINT32_MAX ||
	    klen + len > SIZE_MAX / 2)
		return NULL;
	if (!(e = malloc(sizeof(*e) + klen + 1 + len)))
		return NULL;
	e->older = e->newer = NULL;
	e->sp_older = e->sp_newer = NULL;
	e->space = 0;
	e->hash = hash;
	e->version = value ? version : 0;
	e->klen = (uint32_t)klen;
	e->len = (uint32_t)len;
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

int rs_kv_writes_add(rs_kv_writes *w, rs_kv *t, rs_kv_entry *e)
{
	if (rs_kv_reserve(t, w->n + 1) || writes_room(w))
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

int rs_kv_lock_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	int rc;

	if (pthread_mutexattr_init(&attr))
		return -1;
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	rc = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	return rc ? -1 : 0;
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

/* The length of the key space of a key of klen bytes, 0 when it has
 * none a table keeps: no '/' among its first RS_KV_SPACE_BYTES bytes. */
static size_t space_len(const char *key, size_t klen)
{
	const char *slash = memchr(key, '/', klen < RS_KV_SPACE_BYTES
						  ? klen
						  : RS_KV_SPACE_BYTES);

	return slash && slash > key ? (size_t)(slash - key) : 0;
}

/* 1 + the place of the space of `name` (n bytes) in t, 0 when none. */
static unsigned space_of(const rs_kv *t, const char *name, size_t n)
{
	size_t i;

	for (i = 0; n && i < t->nspaces; i++)
		if (t->spaces[i].len == n && !memcmp(t->spaces[i].name, name, n))
			return (unsigned)i + 1;
	return 0;
}

/* Take an entry out of the order applied and of its space's. */
static void unlink_order(rs_kv *t, rs_kv_entry *e)
{
	*(e->older ? &e->older->newer : &t->oldest) = e->newer;
	*(e->newer ? &e->newer->older : &t->newest) = e->older;
	if (e->space) {
		rs_kv_space *sp = &t->spaces[e->space - 1];
		*(e->sp_older ? &e->sp_older->sp_newer : &sp->oldest) =
			e->sp_newer;
		*(e->sp_newer ? &e->sp_newer->sp_older : &sp->newest) =
			e->sp_older;
	} else {
		t->spaceless--;
	}
}

/* Put an entry last in the order applied and in its space's, naming a
 * space for its key when the table has room for one more. */
static void link_order(rs_kv *t, rs_kv_entry *e)
{
	size_t n = space_len(e->key, e->klen);
	rs_kv_space *sp;

	e->older = t->newest;
	e->newer = NULL;
	*(t->newest ? &t->newest->newer : &t->oldest) = e;
	t->newest = e;
	if (!(e->space = space_of(t, e->key, n)) && n &&
	    t->nspaces < RS_KV_SPACES) {
		sp = &t->spaces[t->nspaces++];
		memcpy(sp->name, e->key, n);
		sp->len = n;
		sp->oldest = sp->newest = NULL;
		e->space = (unsigned)t->nspaces;
	}
	if (!e->space) {
		t->spaceless++;
		return;
	}
	sp = &t->spaces[e->space - 1];
	e->sp_older = sp->newest;
	e->sp_newer = NULL;
	*(sp->newest ? &sp->newest->sp_newer : &sp->oldest) = e;
	sp->newest = e;
}

int rs_kv_scan(const rs_kv *t, const char *prefix, roster_storage_row_fn row,
	       void *row_data)
{
	size_t n = strlen(prefix), k = space_len(prefix, n);
	unsigned sp = k ? space_of(t, prefix, k) : 0;
	const rs_kv_entry *e;
	int rc = 0;

	if (sp) {
		/* every key of a space the table names is in its list */
		for (e = t->spaces[sp - 1].oldest; e && !rc; e = e->sp_newer)
			if (strncmp(e->key, prefix, n) == 0)
				rc = row(e->key, rs_kv_value(e), e->len,
					 e->version, row_data);
		return rc;
	}
	if (k && !t->spaceless)
		return 0; /* a space no key has */
	for (e = t->oldest; e && !rc; e = e->newer)
		if (strncmp(e->key, prefix, n) == 0)
			rc = row(e->key, rs_kv_value(e), e->len, e->version,
				 row_data);
	return rc;
}

void rs_kv_apply(rs_kv *t, rs_kv_writes *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		rs_kv_entry *e = w->v[i], *old;
		size_t at = find(t, e->key, e->klen, e->hash);

		old = t->tags[at] ? t->slots[at].e : NULL;
		if (old) {
			unlink_order(t, old);
			t->count--;
			t->bytes -= (uint64_t)old->klen + old->len;
			free(old);
		}
		if (!e->version) { /* a removal */
			if (old)
				empty_slot(t, at);
			free(e);
			continue;
		}
		t->slots[at].hash = e->hash;
		t->slots[at].e = e;
		t->tags[at] = tag_of(e->hash);
		link_order(t, e);
		t->count++;
		t->bytes += (uint64_t)e->klen + e->len;
	}
	w->n = 0;
	index_reset(w);
}
