/* random.c: getrandom(2), retried on interruption and short reads, and a
 * page of its bytes kept out of child processes (random.h). */
#include "random.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "alloc.h"

int rs_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

#define RNG_PAGE 4096

/* The whole page: a fork leaves the child all zeroes, `avail` included. */
struct rs_rng {
	size_t avail; /* bytes not handed out, at the end of `bytes` */
	unsigned char bytes[RNG_PAGE - sizeof(size_t)];
};

rs_rng *rs_rng_new(void)
{
#ifdef MADV_WIPEONFORK
	void *p = mmap(NULL, RNG_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, RNG_PAGE, MADV_WIPEONFORK) != 0) {
		munmap(p, RNG_PAGE);
		return NULL;
	}
#ifdef MADV_DONTDUMP
	/* bytes of future tokens have no place in a core dump */
	(void)madvise(p, RNG_PAGE, MADV_DONTDUMP);
#endif
	return p;
#else
	return NULL;
#endif
}

void rs_rng_free(rs_rng *r)
{
	if (!r)
		return;
	rs_wipe(r, sizeof(*r));
	munmap(r, RNG_PAGE);
}

int rs_rng_bytes(rs_rng *r, void *buf, size_t n)
{
	unsigned char *from;

	if (!r || n > sizeof(r->bytes))
		return rs_random(buf, n);
	if (r->avail < n) {
		if (rs_random(r->bytes, sizeof(r->bytes)))
			return -1;
		r->avail = sizeof(r->bytes);
	}
	from = r->bytes + sizeof(r->bytes) - r->avail;
	memcpy(buf, from, n);
	rs_wipe(from, n);
	r->avail -= n;
	return 0;
}
