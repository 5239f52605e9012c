/*
 * textbuf.h: a growing text buffer for the tests and the fuzz targets,
 * which build long texts (snapshots, dumps of what a directory shows) a
 * printf at a time. Static, without cmocka: each caller checks the
 * result its own way.
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

/* Append the formatted text, growing the buffer: 0, or -1 when vsnprintf
 * fails or memory is short (the buffer then as it was). */
static int textbuf_vput(textbuf *b, const char *fmt, va_list ap)
{
	for (;;) {
		size_t room = b->cap - b->len;
		va_list again;
		char *s;
		int n;

		va_copy(again, ap);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, again);
		va_end(again);
		if (n < 0)
			return -1;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		if (!(s = realloc(b->s, b->cap * 2 + (size_t)n + 256)))
			return -1;
		b->s = s;
		b->cap = b->cap * 2 + (size_t)n + 256;
	}
}

#endif
