/* random.h: the operating system's CSPRNG. */
#ifndef RS_RANDOM_H
#define RS_RANDOM_H

#include <stddef.h>

/* Fill buf with n random bytes; 0 on success, -1 when the OS fails. */
int rs_random(void *buf, size_t n);

#endif
