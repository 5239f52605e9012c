/* alloc.c: allocation through the directory's hooks. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(size_t size, void *data)
{
	(void)data;
	return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *data)
{
	(void)data;
	return realloc(ptr, size);
}

static void libc_free(void *ptr, void *data)
{
	(void)data;
	free(ptr);
}

void rs_alloc_setup(rs_alloc *a, const roster_directory_options *opts)
{
	if (opts && opts->malloc_fn && opts->realloc_fn && opts->free_fn) {
		a->malloc_fn = opts->malloc_fn;
		a->realloc_fn = opts->realloc_fn;
		a->free_fn = opts->free_fn;
		a->data = opts->alloc_data;
	} else {
		a->malloc_fn = libc_malloc;
		a->realloc_fn = libc_realloc;
		a->free_fn = libc_free;
		a->data = NULL;
	}
}

void *rs_malloc(const rs_alloc *a, size_t size)
{
	return a->malloc_fn(size ? size : 1, a->data);
}

void *rs_calloc(const rs_alloc *a, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = rs_malloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *rs_reallocarray(const rs_alloc *a, void *ptr, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return a->realloc_fn(ptr, (n * size) > 0 ? n * size : 1, a->data);
}

void *rs_array_room(const rs_alloc *a, void *arr, size_t n, size_t *cap,
		    size_t size, size_t first)
{
	size_t c;
	void *grown;

	if (n < *cap)
		return arr;
	if (*cap > SIZE_MAX / 2)
		return NULL;
	c = *cap ? *cap * 2 : first;
	if (!(grown = rs_reallocarray(a, arr, c, size)))
		return NULL;
	*cap = c;
	return grown;
}

void rs_free(const rs_alloc *a, void *ptr)
{
	if (ptr)
		a->free_fn(ptr, a->data);
}

char *rs_strndup(const rs_alloc *a, const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	p = rs_malloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *rs_strdup(const rs_alloc *a, const char *s)
{
	return s ? rs_strndup(a, s, strlen(s)) : NULL;
}

void rs_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void rs_free_secret(const rs_alloc *a, char *s)
{
	if (!s)
		return;
	rs_wipe(s, strlen(s));
	rs_free(a, s);
}

void rs_free_wiped(const rs_alloc *a, void *p, size_t size)
{
	if (!p)
		return;
	rs_wipe(p, size);
	rs_free(a, p);
}

void *rs_grow_wiped(const rs_alloc *a, void *p, size_t size, size_t cap)
{
	void *n = rs_malloc(a, cap);

	if (!n)
		return NULL;
	if (p)
		memcpy(n, p, size);
	rs_free_wiped(a, p, size);
	return n;
}
