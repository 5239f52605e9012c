/* text.c: UTF-8 validation and normalisation through utf8proc. */
#include "text.h"

#include <string.h>
#include <utf8proc.h>

int rs_utf8_valid(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;

	while (len > 0) {
		utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &c);
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

size_t rs_utf8_step(const char *s, size_t len, int *unsafe)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s,
					      (utf8proc_ssize_t)len, &c);
	utf8proc_category_t cat;

	if (n <= 0)
		return 0;
	cat = utf8proc_category(c);
	*unsafe = cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_ZL ||
		  cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_CF;
	return (size_t)n;
}

size_t rs_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int is_space(utf8proc_int32_t c)
{
	const utf8proc_property_t *p;

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B ||
	    c == 0x0C || c == 0x85)
		return 1;
	p = utf8proc_get_property(c);
	return p->category == UTF8PROC_CATEGORY_ZS ||
	       p->category == UTF8PROC_CATEGORY_ZL ||
	       p->category == UTF8PROC_CATEGORY_ZP;
}

static int is_control(utf8proc_int32_t c)
{
	return utf8proc_category(c) == UTF8PROC_CATEGORY_CC;
}

enum rs_text_fault rs_text_clean(const rs_alloc *al, const char *in,
				 unsigned flags, size_t max_chars, char **out)
{
	const utf8proc_option_t opts =
		UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		((flags & RS_TEXT_FOLD) ? UTF8PROC_CASEFOLD : 0);
	size_t len = strlen(in), i, w = 0;
	utf8proc_ssize_t n, m, bytes;
	utf8proc_int32_t *buf;
	int pending_space = 0, pending_break = 0;
	char *res;

	*out = NULL;
	/* refuse absurd sizes before any work: no character takes > 16 bytes
	 * of combining sequence in real text */
	if (len / 16 > max_chars)
		return RS_TEXT_LONG;
	n = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, NULL, 0, opts);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? RS_TEXT_NOMEM : RS_TEXT_UTF8;
	buf = rs_calloc(al, (size_t)n + 1, sizeof(*buf));
	if (!buf)
		return RS_TEXT_NOMEM;
	m = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, buf, n, opts);
	if (m != n) {
		rs_free(al, buf);
		return RS_TEXT_UTF8;
	}
	/* filter: trim, collapse white space, refuse control characters */
	for (i = 0; i < (size_t)n; i++) {
		utf8proc_int32_t c = buf[i];

		if ((flags & RS_TEXT_MULTILINE) && c == '\n') {
			pending_break = 1;
			pending_space = 0;
			continue;
		}
		if (is_space(c)) {
			if (!pending_break)
				pending_space = 1;
			continue;
		}
		if (is_control(c)) {
			rs_free(al, buf);
			return RS_TEXT_CONTROL;
		}
		if (w > 0 && pending_break)
			buf[w++] = '\n';
		else if (w > 0 && pending_space)
			buf[w++] = ' ';
		pending_space = pending_break = 0;
		buf[w++] = c;
	}
	if (w == 0 && !(flags & RS_TEXT_ALLOW_EMPTY)) {
		rs_free(al, buf);
		return RS_TEXT_EMPTY;
	}
	bytes = utf8proc_reencode(buf, (utf8proc_ssize_t)w, opts);
	if (bytes < 0) {
		rs_free(al, buf);
		return RS_TEXT_UTF8;
	}
	res = rs_strndup(al, (const char *)buf, (size_t)bytes);
	rs_free(al, buf);
	if (!res)
		return RS_TEXT_NOMEM;
	if (rs_utf8_chars(res) > max_chars) {
		rs_free(al, res);
		return RS_TEXT_LONG;
	}
	*out = res;
	return RS_TEXT_OK;
}

static int is_word(utf8proc_int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	       (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

int rs_text_words(const rs_alloc *al, const char *in, char **out)
{
	const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
				       UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK;
	size_t len = strlen(in), i, w = 0;
	utf8proc_ssize_t n;
	utf8proc_int32_t *buf;
	int in_word = 0;
	char *res;

	*out = NULL;
	n = utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, NULL, 0, opts);
	if (n < 0)
		return n == UTF8PROC_ERROR_NOMEM ? -1 : -2;
	buf = rs_calloc(al, (size_t)n + 1, sizeof(*buf));
	/* each code point is at most 4 bytes, plus a space before each word */
	res = buf ? rs_calloc(al, (size_t)n * 5 + 2, 1) : NULL;
	if (!res) {
		rs_free(al, buf);
		return -1;
	}
	if (utf8proc_decompose((const utf8proc_uint8_t *)in,
			       (utf8proc_ssize_t)len, buf, n, opts) != n) {
		rs_free(al, buf);
		rs_free(al, res);
		return -2;
	}
	for (i = 0; i < (size_t)n; i++) {
		if (!is_word(buf[i])) {
			in_word = 0;
			continue;
		}
		if (!in_word)
			res[w++] = ' ';
		in_word = 1;
		w += (size_t)utf8proc_encode_char(buf[i], (utf8proc_uint8_t *)res + w);
	}
	res[w] = '\0';
	rs_free(al, buf);
	*out = res;
	return 0;
}
