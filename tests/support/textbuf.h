/*
 * textbuf.h: a growing text buffer for the tests and the fuzz targets,
 * which build long texts (snapshots, dumps of what a directory shows) a
 * printf at a time. Static and without cmocka, for both.
 */
#ifndef ROSTER_TEST_TEXTBUF_H
#define ROSTER_TEST_TEXTBUF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct textbuf {
	char *s; /* NUL-terminated once anything was put; free(3) it */
	size_t len, cap;
} textbuf;

/* Append the formatted text, growing the buffer. A test has nothing to
 * check without its text: out of memory, or a failing vsnprintf, ends
 * the program. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void textbuf_put(textbuf *b, const char *fmt, ...)
{
	for (;;) {
		size_t room = b->cap - b->len, cap;
		va_list ap;
		char *s;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		cap = b->cap * 2 + (n > 0 ? (size_t)n : 0) + 256;
		if (n < 0 || !(s = realloc(b->s, cap))) {
			fprintf(stderr, "textbuf_put: %s\n",
				n < 0 ? "vsnprintf failed" : "out of memory");
			abort();
		}
		b->s = s;
		b->cap = cap;
	}
}

#endif
