/* random.h: the operating system's CSPRNG, and a buffer of its bytes. */
#ifndef RS_RANDOM_H
#define RS_RANDOM_H

#include <stddef.h>

/* Fill buf with n random bytes; 0 on success, -1 when the OS fails. */
int rs_random(void *buf, size_t n);

/*
 * A page of random bytes drawn from the OS at once, handed out in order
 * and wiped as they go, so that a token costs a copy instead of a system
 * call. The page is mapped on its own with MADV_WIPEONFORK: a child
 * process finds it empty and draws its own bytes, never its parent's;
 * and with MADV_DONTDUMP, out of core dumps.
 * Where the system cannot do that, rs_rng_new() gives NULL and every
 * draw goes to rs_random().
 */
typedef struct rs_rng rs_rng;

rs_rng *rs_rng_new(void);
void rs_rng_free(rs_rng *r);
/* As rs_random (r may be NULL). */
int rs_rng_bytes(rs_rng *r, void *buf, size_t n);

#endif
