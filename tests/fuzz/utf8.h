/* utf8.h: what the fuzz targets check of the messages they are given. */
#ifndef ROSTER_FUZZ_UTF8_H
#define ROSTER_FUZZ_UTF8_H

/* Is s valid UTF-8 (no overlong form, surrogate or value past U+10FFFF)? */
static inline int fuzz_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p, n, i, v;

		if (c < 0x80) {
			p++;
			continue;
		}
		n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : 0;
		if (!n || c > 0xF4)
			return 0;
		v = c & (0x3F >> n);
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			v = v << 6 | (p[i] & 0x3F);
		}
		if ((n == 2 && (v < 0x800 || (v >= 0xD800 && v < 0xE000))) ||
		    (n == 3 && (v < 0x10000 || v > 0x10FFFF)))
			return 0;
		p += n + 1;
	}
	return 1;
}

#endif
