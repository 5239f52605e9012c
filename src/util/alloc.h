/* alloc.h: the per-directory allocator every internal allocation uses. */
#ifndef RS_ALLOC_H
#define RS_ALLOC_H

#include <stddef.h>

#include "roster/directory.h"

typedef struct rs_alloc {
	roster_malloc_fn malloc_fn;
	roster_realloc_fn realloc_fn;
	roster_free_fn free_fn;
	void *data;
} rs_alloc;

/* Fill `a` with the hooks of `opts` or with the C library's. */
void rs_alloc_setup(rs_alloc *a, const roster_directory_options *opts);

void *rs_malloc(const rs_alloc *a, size_t size);
/* Zeroed allocation of n * size bytes, NULL on overflow. */
void *rs_calloc(const rs_alloc *a, size_t n, size_t size);
/* realloc of n * size bytes, NULL on overflow (ptr untouched then). */
void *rs_reallocarray(const rs_alloc *a, void *ptr, size_t n, size_t size);
void rs_free(const rs_alloc *a, void *ptr);
/* Room for element n of the array `arr` of *cap elements of `size` bytes:
 * `arr` itself while n < *cap, else the array grown (to `first`
 * elements, then doubling) and *cap with it; NULL when memory is short,
 * `arr` and *cap then as they were. */
void *rs_array_room(const rs_alloc *a, void *arr, size_t n, size_t *cap,
		    size_t size, size_t first);
/* Duplicate a string (NULL gives NULL without failing: check the input). */
char *rs_strdup(const rs_alloc *a, const char *s);
char *rs_strndup(const rs_alloc *a, const char *s, size_t n);
/* Overwrite memory in a way the compiler keeps. */
void rs_wipe(void *p, size_t n);
/* Wipe and free a string holding a secret. */
void rs_free_secret(const rs_alloc *a, char *s);
/* Wipe the `size` bytes of a block that may hold secrets (an import's
 * cells: the password column) and free it. */
void rs_free_wiped(const rs_alloc *a, void *p, size_t size);
/* Grow such a block of `size` bytes to `cap` (> size): a new block with
 * its bytes, the old one wiped and freed; NULL (the old one kept) when
 * memory is short. realloc could leave the old bytes behind. */
void *rs_grow_wiped(const rs_alloc *a, void *p, size_t size, size_t cap);

#endif
